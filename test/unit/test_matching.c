/*
 * test_matching.c - the fit score, and cohort matching: the optimal
 * assignment equals brute force on every small random instance (up to 7
 * mentees x 5 mentors with capacities) and has no negative cycle left on
 * larger ones, the stable one has no blocking pair, greedy never beats the
 * optimum, and all respect every capacity.
 */
#include <math.h>
#include <string.h>

#include "tap.h"
#include "../../src/core/matching.h"

static const mn_allocator A = {arena_alloc, NULL};
static const mn_fit_weights W = {0.5, 0.2, 0.15, 0.15, 4.0, 5.0, 0.5};

/* brute force: best total over all assignments, mentee by mentee */
static double best_total;
static int	cap_left[8];
static int	nm, nr, per;
static double score_of[8][8];	/* < 0: no edge */

static void
brute(int m, double total)
{
	if (m == nm)
	{
		if (total > best_total)
			best_total = total;
		return;
	}
	/* every subset of mentors of size <= per for mentee m */
	for (int mask = 0; mask < (1 << nr); mask++)
	{
		int			bits = __builtin_popcount(mask), okay = 1;
		double		add = 0;

		if (bits > per)
			continue;
		for (int j = 0; j < nr && okay; j++)
			if (mask & (1 << j))
			{
				if (score_of[m][j] <= 0 || cap_left[j] == 0)
					okay = 0;
				else
					add += score_of[m][j];
			}
		if (!okay)
			continue;
		for (int j = 0; j < nr; j++)
			if (mask & (1 << j))
				cap_left[j]--;
		brute(m + 1, total + add);
		for (int j = 0; j < nr; j++)
			if (mask & (1 << j))
				cap_left[j]++;
	}
}

/* capacities and per-mentee limits hold, and every pair is an edge */
static int
respects(const mn_match_result *r, const int *cap)
{
	int			used[8] = {0}, got[8] = {0};

	for (int64_t i = 0; i < r->npairs; i++)
	{
		const mn_match_edge *x = &r->pairs[i];

		if (score_of[x->mentee][x->mentor] <= 0 || ++used[x->mentor] > cap[x->mentor] || ++got[x->mentee] > per)
			return 0;
		for (int64_t k = 0; k < i; k++)
			if (r->pairs[k].mentee == x->mentee && r->pairs[k].mentor == x->mentor)
				return 0;
	}
	return 1;
}

/* a mentee and a mentor that would both rather have each other */
static int
blocking_pairs(const mn_match_result *r, const int *cap)
{
	int			blocking = 0;

	for (int m = 0; m < nm; m++)
		for (int j = 0; j < nr; j++)
		{
			int			matched = 0, m_has = 0, j_has = 0, m_would = 0, j_would = 0;
			double		s = score_of[m][j];

			if (s <= 0)
				continue;
			for (int64_t i = 0; i < r->npairs; i++)
			{
				const mn_match_edge *x = &r->pairs[i];

				if (x->mentee == m && x->mentor == j)
					matched = 1;
				if (x->mentee == m)
				{
					m_has++;
					/* the mentee prefers j to this one (ties by lower mentor index) */
					if (s > x->score || (s == x->score && j < x->mentor))
						m_would = 1;
				}
				if (x->mentor == j)
				{
					j_has++;
					if (s > x->score || (s == x->score && m < x->mentee))
						j_would = 1;
				}
			}
			if (matched)
				continue;
			if ((m_has < per || m_would) && (j_has < cap[j] || j_would))
				blocking++;
		}
	return blocking;
}

/*
 * Optimality certificate for instances too big for brute force: a flow is a
 * min-cost flow iff its residual graph has no negative cycle (Bellman-Ford).
 * Nodes: mentees 0..m-1, mentors m..m+n-1, the sink m+n.  Residual arcs:
 * an unused pair mentee -> mentor at -score, a used one mentor -> mentee at
 * +score, mentor <-> sink by free / used places, mentee -> sink always (the
 * unit left unassigned), sink -> mentee while the mentee has a unit unused.
 */
#define BIG_M 60
#define BIG_N 20
static int	big_score[BIG_M][BIG_N];	/* 0: no edge */

static int
has_negative_cycle(const mn_match_result *r, int m, int n, const int *cap, int per_mentee)
{
	static int	from[4 * BIG_M * BIG_N], to[4 * BIG_M * BIG_N], w[4 * BIG_M * BIG_N];
	static char used[BIG_M][BIG_N];
	long		dist[BIG_M + BIG_N + 1];
	int			held[BIG_N] = {0}, got[BIG_M] = {0}, na = 0, V = m + n + 1, T = m + n;

	memset(used, 0, sizeof(used));
	for (int64_t i = 0; i < r->npairs; i++)
	{
		used[r->pairs[i].mentee][r->pairs[i].mentor] = 1;
		held[r->pairs[i].mentor]++;
		got[r->pairs[i].mentee]++;
	}
#define ARC(a, b, c) (from[na] = (a), to[na] = (b), w[na++] = (c))
	for (int i = 0; i < m; i++)
	{
		for (int j = 0; j < n; j++)
			if (big_score[i][j] > 0)
			{
				if (used[i][j])
					ARC(m + j, i, big_score[i][j]);
				else
					ARC(i, m + j, -big_score[i][j]);
			}
		ARC(i, T, 0);
		if (got[i] < per_mentee)
			ARC(T, i, 0);
	}
	for (int j = 0; j < n; j++)
	{
		if (held[j] < cap[j])
			ARC(m + j, T, 0);
		if (held[j] > 0)
			ARC(T, m + j, 0);
	}
#undef ARC
	for (int v = 0; v < V; v++)
		dist[v] = 0;
	for (int round = 0; round < V; round++)
	{
		int			changed = 0;

		for (int a = 0; a < na; a++)
			if (dist[from[a]] + w[a] < dist[to[a]])
			{
				dist[to[a]] = dist[from[a]] + w[a];
				changed = 1;
			}
		if (!changed)
			return 0;
	}
	return 1;
}

int
main(void)
{
	mn_rng		rng = {2026};

	/* the fit score */
	{
		mn_skill_level seeks[3] = {{1, 3}, {2, 4}, {3, 2}};
		mn_skill_level offers[3] = {{1, 5}, {2, 2}, {9, 5}};
		mn_fit		f = mn_fit_score(&W, seeks, 3, offers, 3, 120, 240, 1, 4, 4.5, 10);

		ok(f.skills_full == 1 && f.skills_partial == 1 && fabs(f.skills - 0.5) < 1e-9,
		   "skills: one at level, one below (half credit), one missing -> 0.5 (got %.3f)", f.skills);
		ok(fabs(f.availability - 0.5) < 1e-9 && fabs(f.capacity - 0.75) < 1e-9,
		   "availability 120 of 240 minutes -> 0.5, 3 of 4 places free -> 0.75");
		ok(f.score > 0 && f.score < 1, "the score is a weighted mean in 0..1 (%.3f)", f.score);
	}
	{
		mn_fit		one_five = mn_fit_score(&W, NULL, 0, NULL, 0, 0, 0, 0, 1, 5.0, 1);
		mn_fit		fifty = mn_fit_score(&W, NULL, 0, NULL, 0, 0, 0, 0, 1, 4.8, 50);
		mn_fit		none = mn_fit_score(&W, NULL, 0, NULL, 0, 0, 0, 0, 1, 0, 0);

		ok(fifty.rating > one_five.rating, "fifty 4.8 ratings beat one 5 (%.3f > %.3f)", fifty.rating, one_five.rating);
		ok(fabs(none.rating - 0.75) < 1e-9, "no ratings: the prior mean 4.0 -> 0.75");
	}
	{
		mn_fit_weights bad = W;

		ok(mn_fit_weights_valid(&W), "default weights are valid");
		bad.skills = -1;
		ok(!mn_fit_weights_valid(&bad), "a negative weight is refused");
		bad = W;
		bad.rating = NAN;
		ok(!mn_fit_weights_valid(&bad), "a NaN weight is refused");
		bad = (mn_fit_weights) {0, 0, 0, 0, 4, 5, 0.5};
		ok(!mn_fit_weights_valid(&bad), "all-zero weights are refused");
	}

	/* a cohort's pairs: skill filter through the inverted list, exclusions, scores as mn_fit_score */
	{
		/* mentee 0 seeks skills 10 (level 3) and 20 (level 2); mentee 1 seeks nothing; mentee 2 seeks 99 */
		int64_t		seek_first[4] = {0, 2, 2, 3};
		mn_skill_level seeks[3] = {{10, 3}, {20, 2}, {99, 1}};
		/* mentor 0 offers 10@5; mentor 1 offers 30@5; mentor 2 offers 20@1 and 10@2; mentor 3 offers 10@4 */
		int64_t		offer_first[5] = {0, 1, 2, 4, 5};
		mn_skill_level offers[5] = {{10, 5}, {30, 5}, {20, 1}, {10, 2}, {10, 4}};
		int32_t		active[4] = {0, 1, 2, 0}, max_places[4] = {2, 2, 4, 1}, rating_count[4] = {0, 3, 10, 1};
		double		rating_mean[4] = {0, 4.5, 3.9, 5};
		mn_match_edge excluded[1] = {{0, 3, 0}};
		mn_cohort	c = {3, 4, seek_first, seeks, offer_first, offers, active, max_places, rating_mean, rating_count,
						 excluded, 1};
		int64_t		n;
		int			error, same = 1;
		mn_match_edge *e = mn_cohort_edges(&c, &W, 100, &A, &n, &error);

		ok(error == 0 && n == 6, "cohort pairs: 0-0, 0-2 (0-1 offers nothing sought, 0-3 excluded), 1-0..1-3, none for 2 (%lld)",
		   (long long) n);
		ok(n == 6 && e[0].mentee == 0 && e[0].mentor == 0 && e[1].mentee == 0 && e[1].mentor == 2 &&
		   e[2].mentee == 1 && e[2].mentor == 0 && e[5].mentee == 1 && e[5].mentor == 3, "pairs come by mentee, then mentor");
		for (int64_t k = 0; k < n; k++)
		{
			int32_t		i = e[k].mentee, j = e[k].mentor;
			mn_fit		f = mn_fit_score(&W, &seeks[seek_first[i]], (int32_t) (seek_first[i + 1] - seek_first[i]),
										 &offers[offer_first[j]], (int32_t) (offer_first[j + 1] - offer_first[j]),
										 0, 0, active[j], max_places[j], rating_mean[j], rating_count[j]);

			same &= fabs(f.score - e[k].score) < 1e-12;
		}
		ok(same, "every pair's score is mn_fit_score's for the same data");
		e = mn_cohort_edges(&c, &W, 5, &A, &n, &error);
		ok(e == NULL && error == 3 && n == 6, "more pairs than max_pairs: refused with the count");
		arena_free();
	}

	/* optimal equals brute force; stable has no blocking pair; both respect capacities */
	{
		int			wrong_total = 0, broken = 0, blocking = 0, instances = 0, greedy_better = 0;

		for (int t = 0; t < 3000; t++)
		{
			mn_match_edge edges[64];
			int			ne = 0, cap[8];
			mn_match_problem p;
			mn_match_result o, s, g;

			nm = 1 + (int) mn_rng_below(&rng, 7);
			nr = 1 + (int) mn_rng_below(&rng, 5);
			per = (nm <= 5 && (t & 1)) ? 2 : 1;
			for (int j = 0; j < nr; j++)
				cap[j] = cap_left[j] = (int) mn_rng_below(&rng, 4);
			for (int m = 0; m < nm; m++)
				for (int j = 0; j < nr; j++)
				{
					score_of[m][j] = -1;
					if (mn_rng_below(&rng, 10) < 7)
					{
						/* coarse scores make ties common */
						score_of[m][j] = (1 + (double) mn_rng_below(&rng, (t % 3 == 0) ? 4 : 1000)) / 1000.0;
						edges[ne++] = (mn_match_edge) {m, j, score_of[m][j]};
					}
				}
			p = (mn_match_problem) {nm, nr, cap, per, edges, ne};
			best_total = 0;
			brute(0, 0);
			o = mn_match_optimal(&p, &A);
			s = mn_match_stable(&p, &A);
			g = mn_match_greedy(&p, &A);
			instances++;
			if (o.error || fabs(o.total - best_total) > 1e-9)
				wrong_total++;
			if (g.error || g.total > o.total + 1e-9)
				greedy_better++;
			if (o.error || s.error || !respects(&o, cap) || !respects(&s, cap) || !respects(&g, cap))
				broken++;
			blocking += blocking_pairs(&s, cap);
			arena_free();
		}
		ok(wrong_total == 0, "optimal = brute force on %d random instances up to 7 mentees x 5 mentors (%d differ)",
		   instances, wrong_total);
		ok(broken == 0, "capacities, per-mentee limits and edges respected by all three methods (%d broken)", broken);
		ok(greedy_better == 0, "greedy never beats the optimum (%d times)", greedy_better);
		ok(blocking == 0, "the stable matching has no blocking pair (%d found)", blocking);
	}
	{
		/* optimal beats greedy: greedy takes 0.9 and strands the other mentee */
		int			cap[2] = {1, 1};
		mn_match_edge edges[3] = {{0, 0, 0.9}, {0, 1, 0.8}, {1, 0, 0.7}};
		mn_match_problem p = {2, 2, cap, 1, edges, 3};
		mn_match_result o = mn_match_optimal(&p, &A);
		mn_match_result s = mn_match_stable(&p, &A);

		ok(o.npairs == 2 && fabs(o.total - 1.5) < 1e-9, "optimal pairs 0-1 and 1-0 (total 1.5), not greedy 0.9");
		ok(s.npairs == 1 && s.pairs[0].mentor == 0 && s.pairs[0].mentee == 0, "stable keeps 0-0: mentee 1 stays unmatched");
	}
	/* larger instances: no negative cycle left, and greedy still never better */
	{
		static mn_match_edge edges[BIG_M * BIG_N];
		int			cycles = 0, greedy_better = 0, broken = 0, instances = 0;

		for (int t = 0; t < 200; t++)
		{
			int			m = 10 + (int) mn_rng_below(&rng, BIG_M - 9), n = 2 + (int) mn_rng_below(&rng, BIG_N - 1);
			int			cap[BIG_N], ne = 0, per_mentee = 1 + (int) mn_rng_below(&rng, 3), density = 3 + (int) mn_rng_below(&rng, 8);
			mn_match_problem p;
			mn_match_result o, g;

			for (int j = 0; j < n; j++)
				cap[j] = (int) mn_rng_below(&rng, 6);
			for (int i = 0; i < m; i++)
				for (int j = 0; j < n; j++)
				{
					big_score[i][j] = 0;
					if ((int) mn_rng_below(&rng, 10) < density)
					{
						/* coarse scores in some instances: many ties */
						big_score[i][j] = 1 + (int) mn_rng_below(&rng, (t & 1) ? 5 : 1000);
						edges[ne++] = (mn_match_edge) {i, j, big_score[i][j] / 1000.0};
					}
				}
			p = (mn_match_problem) {m, n, cap, per_mentee, edges, ne};
			o = mn_match_optimal(&p, &A);
			g = mn_match_greedy(&p, &A);
			instances++;
			if (o.error || has_negative_cycle(&o, m, n, cap, per_mentee))
				cycles++;
			if (g.error || g.total > o.total + 1e-9)
				greedy_better++;
			for (int64_t i = 0; i < o.npairs; i++)
				if (i > 0 && o.pairs[i].mentee == o.pairs[i - 1].mentee && o.pairs[i].mentor == o.pairs[i - 1].mentor)
					broken++;
			arena_free();
		}
		ok(cycles == 0, "optimal leaves no negative cycle on %d instances up to %d x %d, per_mentee 1-3 (%d do)",
		   instances, BIG_M, BIG_N, cycles);
		ok(greedy_better == 0 && broken == 0, "greedy never beats it there either, and no pair is taken twice");
	}
	{
		int			cap[1] = {1};
		mn_match_edge bad[1] = {{0, 3, 0.5}};
		mn_match_problem p = {1, 1, cap, 1, bad, 1};

		ok(mn_match_optimal(&p, &A).error == 2 && mn_match_stable(&p, &A).error == 2, "an edge to an unknown mentor is refused");
		p.per_mentee = 0;
		ok(mn_match_optimal(&p, &A).error == 2, "per_mentee < 1 is refused");
		bad[0] = (mn_match_edge) {0, 0, 1e300};
		p.per_mentee = 1;
		ok(mn_match_optimal(&p, &A).error == 2 && mn_match_greedy(&p, &A).error == 2,
		   "a score too large to scale is refused, not overflowed");
	}
	return tap_done();
}
