/*
 * test_crosscheck.c - properties of the cross-check distribution for every
 * class size 1..60 and k 1..6, several seeds, and of late assignment.
 */
#include "tap.h"
#include "../../src/core/crosscheck.h"

static const mn_allocator A = {arena_alloc, NULL};

/*
 * Checks one distribution; returns NULL when it has every property its
 * outcome promises, else what broke.
 */
static const char *
check_distribution(int n, int k, const mn_cc_result *r)
{
	static int	does[64], gets[64];
	static char seen[64][64];
	int			expect = n <= k ? n - 1 : k;
	long		mutual = 0;

	if (n < 2)
		return r->outcome == MN_CC_TOO_FEW && r->npairs == 0 ? NULL : "n < 2 must fail";
	if (r->outcome != (n <= k ? MN_CC_REDUCED : n < 2 * k + 1 ? MN_CC_MUTUAL : MN_CC_OK))
		return "wrong outcome";
	if (r->per_student != expect || r->npairs != (long) n * expect)
		return "wrong number of pairs";
	memset(does, 0, sizeof(does));
	memset(gets, 0, sizeof(gets));
	memset(seen, 0, sizeof(seen));
	for (long i = 0; i < r->npairs; i++)
	{
		int			c = r->pairs[i].checker, a = r->pairs[i].author;

		if (c < 0 || c >= n || a < 0 || a >= n)
			return "index out of range";
		if (c == a)
			return "self-review";
		if (seen[c][a])
			return "duplicate pair";
		seen[c][a] = 1;
		does[c]++;
		gets[a]++;
	}
	for (int i = 0; i < n; i++)
		if (does[i] != expect || gets[i] != expect)
			return "unequal load";
	for (int c = 0; c < n; c++)
		for (int a = c + 1; a < n; a++)
			mutual += seen[c][a] && seen[a][c];
	if (mutual != r->mutual_pairs)
		return "mutual pairs miscounted";
	if (n >= 2 * k + 1 && mutual > 0)
		return "mutual pair although n >= 2k+1";
	return NULL;
}

static void
distribution_properties(void)
{
	const uint64_t seeds[] = {0, 1, 42, 20261122, UINT64_MAX};

	for (int n = 1; n <= 60; n++)
		for (int k = 1; k <= 6; k++)
		{
			const char *problem = NULL;
			int			bad_seed = 0;

			for (size_t s = 0; s < sizeof(seeds) / sizeof(seeds[0]) && !problem; s++)
			{
				mn_cc_result r = mn_cc_distribute(n, k, seeds[s], &A);

				problem = check_distribution(n, k, &r);
				bad_seed = (int) s;
			}
			ok(problem == NULL, "n=%d k=%d: %s (seed #%d)", n, k, problem ? problem : "all properties", bad_seed);
		}
}

static void
determinism(void)
{
	mn_cc_result a = mn_cc_distribute(50, 4, 7, &A);
	mn_cc_result b = mn_cc_distribute(50, 4, 7, &A);
	mn_cc_result c = mn_cc_distribute(50, 4, 8, &A);

	ok(a.npairs == b.npairs && memcmp(a.pairs, b.pairs, sizeof(mn_cc_pair) * a.npairs) == 0,
	   "same seed, same distribution");
	ok(memcmp(a.pairs, c.pairs, sizeof(mn_cc_pair) * a.npairs) != 0, "another seed, another distribution");
	ok(mn_cc_distribute(10, 0, 1, &A).outcome == MN_CC_TOO_FEW, "k = 0 is refused");
}

/*
 * Late solutions: n0 students were distributed, `late` more arrive.  Every
 * group of new pairs (one author) must take reviewers no more loaded than any
 * eligible one left out, never self, never a reviewer the solution had.
 */
static const char *
check_late(int n0, int late, int k, uint64_t seed, long *npairs_out)
{
	int			n = n0 + late;
	static int	load[128];
	static char seen[128][128];
	int			authors[64];
	mn_cc_result first = mn_cc_distribute(n0, k, seed, &A);
	mn_cc_result r;
	int			want = k < n - 1 ? k : n - 1;

	memset(load, 0, sizeof(load));
	memset(seen, 0, sizeof(seen));
	for (long i = 0; i < first.npairs; i++)
	{
		load[first.pairs[i].checker]++;
		seen[first.pairs[i].checker][first.pairs[i].author] = 1;
	}
	for (int i = 0; i < late; i++)
		authors[i] = n0 + i;
	r = mn_cc_assign_late(n, load, first.pairs, first.npairs, authors, late, k, seed, &A);
	*npairs_out = r.npairs;
	if (r.npairs != (long) late * want || r.per_student != want)
		return "wrong number of new pairs";
	for (long i = 0; i < r.npairs; i += want)
	{
		int			a = r.pairs[i].author;
		int			maxchosen = -1, minother = 1 << 30;

		if (a < n0)
			return "a reviewer for an old solution";
		for (int j = 0; j < want; j++)
		{
			int			c = r.pairs[i + j].checker;

			if (r.pairs[i + j].author != a)
				return "pairs not grouped by author";
			if (c == a)
				return "self-review";
			if (seen[c][a])
				return "duplicate pair";
			if (load[c] > maxchosen)
				maxchosen = load[c];
		}
		for (int c = 0; c < n; c++)
		{
			int			chosen = 0;

			for (int j = 0; j < want; j++)
				chosen |= r.pairs[i + j].checker == c;
			if (!chosen && c != a && !seen[c][a] && load[c] < minother)
				minother = load[c];
		}
		if (maxchosen > minother)
			return "a more loaded reviewer chosen over a less loaded one";
		for (int j = 0; j < want; j++)
		{
			seen[r.pairs[i + j].checker][a] = 1;
			load[r.pairs[i + j].checker]++;
		}
	}
	return NULL;
}

static void
late_properties(void)
{
	for (int n0 = 2; n0 <= 40; n0 += 3)
		for (int k = 1; k <= 6; k++)
		{
			const char *problem = NULL;
			long		npairs = 0;
			const int	lates[] = {1, 2, 5, 17};

			for (size_t l = 0; l < 4 && !problem; l++)
				for (uint64_t seed = 1; seed <= 3 && !problem; seed++)
					problem = check_late(n0, lates[l], k, seed, &npairs);
			ok(problem == NULL, "late solutions after n=%d k=%d: %s", n0, k, problem ? problem : "least-loaded, no self, no duplicate");
		}
	{
		/* a single late solution among three students: mutual avoided while possible */
		int			load[3] = {1, 1, 0};
		mn_cc_pair	existing[2] = {{0, 1}, {1, 0}};
		int			authors[1] = {2};
		mn_cc_result r = mn_cc_assign_late(3, load, existing, 2, authors, 1, 4, 9, &A);

		ok(r.npairs == 2 && r.outcome == MN_CC_REDUCED && r.per_student == 2,
		   "too few students for k: every other student reviews the late solution (%ld pairs)", (long) r.npairs);
	}
	{
		/* among equally loaded reviewers, the one the author reviews is avoided (every seed) */
		int			load[4] = {1, 1, 1, 1};
		mn_cc_pair	existing[4] = {{3, 0}, {0, 1}, {1, 2}, {2, 0}};
		int			authors[1] = {3};
		int			mutual = 0;

		for (uint64_t seed = 0; seed < 50; seed++)
		{
			mn_cc_result r = mn_cc_assign_late(4, load, existing, 4, authors, 1, 1, seed, &A);

			mutual += r.npairs != 1 || r.pairs[0].checker == 0 || r.mutual_pairs != 0;
		}
		ok(mutual == 0, "a mutual pair is avoided when an equally loaded reviewer exists (%d seeds failed)", mutual);
	}
	{
		/* load comes first: a mutual pair with an idle student beats a busy one */
		int			load[4] = {1, 1, 0, 0};
		mn_cc_pair	existing[2] = {{0, 1}, {1, 0}};
		int			authors[2] = {2, 3};
		mn_cc_result r = mn_cc_assign_late(4, load, existing, 2, authors, 2, 1, 3, &A);

		ok(r.npairs == 2 && r.mutual_pairs == 1 && r.outcome == MN_CC_MUTUAL,
		   "two late solutions with k=1 review each other, reported as mutual (%ld)", (long) r.mutual_pairs);
	}
	ok(mn_cc_assign_late(1, (int[]) {0}, NULL, 0, (int[]) {0}, 1, 2, 1, &A).outcome == MN_CC_TOO_FEW,
	   "a lone student cannot be reviewed");
}

int
main(void)
{
	distribution_properties();
	determinism();
	late_properties();
	return tap_done();
}
