/*
 * fuzz_crosscheck.c - libFuzzer target for the cross-check distribution and
 * team formation.
 *
 * The input chooses a class size, k, a seed, which students arrive late and
 * their ranks; whatever the input, the first distribution must have exact
 * loads without self-reviews or duplicates, late assignment must never
 * duplicate or self-assign, and team formation must place each student at
 * most once within the size limits.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/core/crosscheck.h"
#include "../../src/core/teams.h"
#include "../arena.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const mn_allocator A = {arena_alloc, NULL};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int32_t		n, k, nexist, late = 0, load[256] = {0}, authors[256], rank[256], exist[4];
	uint64_t	seed = 0;
	static char seen[256][256];
	mn_cc_result r, l;
	mn_teams_spec spec;
	mn_teams_result t;

	if (size < 12)
		return 0;
	n = data[0];
	k = 1 + data[1] % 12;
	memcpy(&seed, data + 2, 8);
	spec.min_size = 1 + data[10] % 6;
	spec.max_size = spec.min_size + data[11] % 4;
	spec.strict_size = data[11] & 0x80 ? 1 + data[10] % 5 : 0;
	data += 12;
	size -= 12;

	/* first distribution over the first n - (late) students */
	for (int32_t i = 0; i < n; i++)
	{
		rank[i] = 1 + (i < (int32_t) size ? data[i] : i);
		if (i < (int32_t) size && (data[i] & 1))
			authors[late++] = i;
	}
	memset(seen, 0, sizeof(seen));
	r = mn_cc_distribute(n, k, seed, &A);
	if (n < 2)
	{
		if (r.outcome != MN_CC_TOO_FEW)
			abort();
	}
	else
	{
		int32_t		per = n <= k ? n - 1 : k;

		if (r.npairs != (int64_t) n * per)
			abort();
		for (int64_t i = 0; i < r.npairs; i++)
		{
			mn_cc_pair	p = r.pairs[i];

			if (p.checker == p.author || p.checker < 0 || p.checker >= n || seen[p.checker][p.author])
				abort();
			seen[p.checker][p.author] = 1;
			load[p.checker]++;
		}
		for (int32_t i = 0; i < n; i++)
			if (load[i] != per)
				abort();

		/* the "late" students get more reviewers on top: never self, never twice */
		l = mn_cc_assign_late(n, load, r.pairs, r.npairs, authors, late, k, seed ^ 1, &A);
		for (int64_t i = 0; i < l.npairs; i++)
		{
			mn_cc_pair	p = l.pairs[i];

			if (p.checker == p.author || p.checker < 0 || p.checker >= n || seen[p.checker][p.author])
				abort();
			seen[p.checker][p.author] = 1;
		}
	}

	/* teams over the same students, with up to 4 existing teams */
	for (int i = 0; i < 4; i++)
		exist[i] = i < (int) size ? data[size - 1 - i] % 8 : 0;
	nexist = size ? data[0] % 5 : 0;
	t = mn_teams_distribute(n, rank, nexist, exist, spec, seed, &A);
	if (!t.error)
	{
		int32_t		placed = 0;
		int32_t		sizes[300] = {0};

		for (int32_t i = 0; i < n; i++)
		{
			if (t.team_of[i] < -1 || t.team_of[i] >= nexist + t.new_teams)
				abort();
			if (t.team_of[i] >= 0)
			{
				placed++;
				sizes[t.team_of[i]]++;
			}
		}
		if (placed + t.left_out != n)
			abort();
		for (int32_t j = nexist; j < nexist + t.new_teams; j++)
			if (spec.strict_size ? sizes[j] != spec.strict_size : (sizes[j] < spec.min_size || sizes[j] > spec.max_size))
				abort();
	}
	arena_free();
	return 0;
}
