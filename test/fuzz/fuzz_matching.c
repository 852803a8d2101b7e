/*
 * fuzz_matching.c - libFuzzer target for cohort scoring and assignment.
 *
 * The input chooses up to 12 mentees and 8 mentors, their sought and
 * offered skills and levels, capacities, ratings, excluded pairs and
 * per_mentee.  Whatever the input: every scored pair respects the skill
 * filter and the exclusions with a score in 0..1; optimal, stable and greedy
 * respect every capacity and per-mentee limit and never take a pair twice;
 * greedy never beats optimal, and neither does stable.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/core/matching.h"
#include "../arena.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const mn_allocator A = {arena_alloc, NULL};

#define MAX_M 12
#define MAX_N 8

static uint8_t
next(const uint8_t **data, size_t *size)
{
	uint8_t		b = 0;

	if (*size > 0)
	{
		b = **data;
		(*data)++;
		(*size)--;
	}
	return b;
}

/* capacities, per-mentee limits, distinct pairs, every pair an edge */
static void
check(const mn_match_result *r, const mn_match_edge *edges, int64_t ne, const int32_t *cap, int32_t per)
{
	int32_t		used[MAX_N] = {0}, got[MAX_M] = {0};
	char		taken[MAX_M][MAX_N];

	if (r->error)
		abort();
	memset(taken, 0, sizeof(taken));
	for (int64_t i = 0; i < r->npairs; i++)
	{
		const mn_match_edge *x = &r->pairs[i];
		int			found = 0;

		if (x->mentee < 0 || x->mentee >= MAX_M || x->mentor < 0 || x->mentor >= MAX_N || taken[x->mentee][x->mentor])
			abort();
		taken[x->mentee][x->mentor] = 1;
		if (++used[x->mentor] > cap[x->mentor] || ++got[x->mentee] > per)
			abort();
		for (int64_t k = 0; k < ne; k++)
			found |= edges[k].mentee == x->mentee && edges[k].mentor == x->mentor;
		if (!found)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const mn_fit_weights w = {0.5, 0.2, 0.15, 0.15, 4.0, 5.0, 0.5};
	int32_t		m, n, per, cap[MAX_N], active[MAX_N], maxp[MAX_N], rcount[MAX_N];
	double		rmean[MAX_N];
	int64_t		seek_first[MAX_M + 1], offer_first[MAX_N + 1], ns = 0, no = 0, ne;
	mn_skill_level seeks[MAX_M * 4], offers[MAX_N * 6];
	mn_match_edge excluded[16], *edges;
	int			nx, error;
	mn_cohort	c;
	mn_match_problem p;
	mn_match_result o, s, g;

	if (size < 4)
		return 0;
	m = 1 + next(&data, &size) % MAX_M;
	n = 1 + next(&data, &size) % MAX_N;
	per = 1 + next(&data, &size) % 3;
	nx = next(&data, &size) % 16;
	for (int32_t i = 0; i < m; i++)
	{
		int32_t		k = next(&data, &size) % 5;

		seek_first[i] = ns;
		for (int32_t q = 0; q < k; q++)
		{
			uint8_t		b = next(&data, &size);

			seeks[ns++] = (mn_skill_level) {b % 7, 1 + (b >> 3) % 5};
		}
	}
	seek_first[m] = ns;
	for (int32_t j = 0; j < n; j++)
	{
		int32_t		k = next(&data, &size) % 7;
		uint8_t		b = next(&data, &size);

		offer_first[j] = no;
		for (int32_t q = 0; q < k; q++)
		{
			uint8_t		x = next(&data, &size);

			offers[no++] = (mn_skill_level) {x % 7, 1 + (x >> 3) % 5};
		}
		maxp[j] = b % 5;
		active[j] = (b >> 3) % 3;
		cap[j] = maxp[j] > active[j] ? maxp[j] - active[j] : 0;
		rcount[j] = (b >> 5);
		rmean[j] = 1 + (b % 41) / 10.0;
	}
	offer_first[n] = no;
	for (int i = 0; i < nx; i++)
	{
		uint8_t		b = next(&data, &size);

		excluded[i] = (mn_match_edge) {b % m, (b >> 4) % n, 0};
	}
	c = (mn_cohort) {m, n, seek_first, seeks, offer_first, offers, active, maxp, rmean, rcount, excluded, nx};
	edges = mn_cohort_edges(&c, &w, 1000, &A, &ne, &error);
	if (error || !edges)
		abort();
	for (int64_t k = 0; k < ne; k++)
	{
		const mn_match_edge *e = &edges[k];
		int			shares = seek_first[e->mentee + 1] == seek_first[e->mentee];

		if (!(e->score >= 0 && e->score <= 1) || (k > 0 && (edges[k - 1].mentee > e->mentee ||
															(edges[k - 1].mentee == e->mentee && edges[k - 1].mentor >= e->mentor))))
			abort();
		for (int i = 0; i < nx; i++)
			if (excluded[i].mentee == e->mentee && excluded[i].mentor == e->mentor)
				abort();
		for (int64_t a = seek_first[e->mentee]; a < seek_first[e->mentee + 1]; a++)
			for (int64_t b = offer_first[e->mentor]; b < offer_first[e->mentor + 1]; b++)
				shares |= seeks[a].skill == offers[b].skill;
		if (!shares)
			abort();
	}
	p = (mn_match_problem) {m, n, cap, per, edges, ne};
	o = mn_match_optimal(&p, &A);
	s = mn_match_stable(&p, &A);
	g = mn_match_greedy(&p, &A);
	check(&o, edges, ne, cap, per);
	check(&s, edges, ne, cap, per);
	check(&g, edges, ne, cap, per);
	if (g.total > o.total + 1e-9 || s.total > o.total + 1e-9)
		abort();
	arena_free();
	return 0;
}
