/*
 * bench_matching.c - the core's own benchmark of cohort matching: optimal
 * (min-cost flow), stable and greedy on 2,000 mentees x 500 mentors with 4
 * places each and every pair scored, with fine-grained random scores and
 * with coarse fit-like scores (many ties).  Reports seconds and the optimal
 * total as a ratio to greedy's.
 */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../../src/core/matching.h"
#include "../arena.h"

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
run(const char *label, int coarse, int per_mentee)
{
	const int	M = 2000, N = 500;
	const mn_allocator alloc = {arena_alloc, NULL};
	mn_match_edge *edges = malloc(sizeof(mn_match_edge) * (size_t) M * N);
	int32_t    *cap = malloc(sizeof(int32_t) * N);
	mn_rng		rng = {42};
	mn_match_problem p;
	mn_match_result o, s, g;
	double		t0, to, ts, tg;
	int64_t		ne = 0;

	for (int j = 0; j < N; j++)
		cap[j] = 4;
	for (int i = 0; i < M; i++)
		for (int j = 0; j < N; j++)
		{
			/* coarse: skill credit in quarters plus a mentor-level part, like the fit score */
			double		sc = coarse ? (0.5 * (1 + mn_rng_below(&rng, 4)) / 4 + 0.5 * (j % 20) / 20.0)
				: (1 + mn_rng_below(&rng, 1000000)) / 1e6;

			edges[ne++] = (mn_match_edge) {i, j, sc};
		}
	p = (mn_match_problem) {M, N, cap, per_mentee, edges, ne};
	t0 = now_seconds();
	o = mn_match_optimal(&p, &alloc);
	to = now_seconds() - t0;
	t0 = now_seconds();
	s = mn_match_stable(&p, &alloc);
	ts = now_seconds() - t0;
	t0 = now_seconds();
	g = mn_match_greedy(&p, &alloc);
	tg = now_seconds() - t0;
	printf("%-34s optimal %.3f s (%lld pairs, total %.2f) | stable %.3f s (%.2f) | greedy %.3f s (%.2f) | optimal/greedy %.4f\n",
		   label, to, (long long) o.npairs, o.total, ts, s.total, tg, g.total, o.total / g.total);
	arena_free();
	free(edges);
	free(cap);
}

int
main(void)
{
	run("2000x500 cap 4, random scores", 0, 1);
	run("2000x500 cap 4, fit-like scores", 1, 1);
	run("2000x500 cap 4, 2 mentors each", 0, 2);
	return 0;
}
