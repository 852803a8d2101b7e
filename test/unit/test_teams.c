/*
 * test_teams.c - team formation: sizes within bounds, existing teams filled
 * first and never overfilled, leads are the best of their team, strength
 * balanced by the snake draft, deterministic for a seed.
 */
#include "tap.h"
#include "../../src/core/teams.h"

static const mn_allocator A = {arena_alloc, NULL};

static const char *
check(int n, const int *rank, int nexist, const int *exist_size, mn_teams_spec spec, uint64_t seed)
{
	mn_teams_result r = mn_teams_distribute(n, rank, nexist, exist_size, spec, seed, &A);
	int			size[256] = {0}, best[256], placed = 0, room = 0, cap;
	long		sum[256] = {0};
	int			pos[256];

	cap = spec.strict_size ? spec.strict_size : spec.max_size;
	if (r.error)
		return "out of memory";
	for (int t = 0; t < nexist + r.new_teams; t++)
		best[t] = 1 << 30;
	for (int i = 0; i < n; i++)
	{
		int			t = r.team_of[i];

		if (t < -1 || t >= nexist + r.new_teams)
			return "team index out of range";
		if (t < 0)
			continue;
		placed++;
		size[t]++;
		if (rank[i] < best[t])
			best[t] = rank[i];
	}
	for (int t = 0; t < nexist; t++)
	{
		if (exist_size[t] + size[t] > (exist_size[t] > cap ? exist_size[t] : cap))
			return "an existing team overfilled";
		room += exist_size[t] < cap ? cap - exist_size[t] : 0;
	}
	if (r.to_existing != (room < n ? room : n))
		return "existing teams not filled first";
	if (placed + r.left_out != n)
		return "students lost";
	for (int t = nexist; t < nexist + r.new_teams; t++)
	{
		if (spec.strict_size ? size[t] != spec.strict_size : size[t] < spec.min_size || size[t] > spec.max_size)
			return "a new team of the wrong size";
		if (size[t] - size[nexist] > 1 || size[nexist] - size[t] > 1)
			return "new team sizes differ by more than one";
		if (rank[r.leads[t - nexist]] != best[t] || r.team_of[r.leads[t - nexist]] != t)
			return "lead is not the best-ranked member";
	}
	/* whoever is left out ranks no better than anyone in a new team */
	for (int i = 0; i < n; i++)
		if (r.team_of[i] < 0)
			for (int j = 0; j < n; j++)
				if (r.team_of[j] >= nexist && rank[j] > rank[i])
					return "a better-ranked student left out";
	/* snake balance: positions in rank order summed per new team differ by at most 2t */
	{
		int			order = 0;

		for (int rk = 0; rk <= 1000; rk++)
			for (int i = 0; i < n; i++)
				if (rank[i] == rk)
					pos[i] = order++;
		for (int i = 0; i < n; i++)
			if (r.team_of[i] >= nexist)
				sum[r.team_of[i]] += pos[i];
		for (int t = nexist; t < nexist + r.new_teams; t++)
			for (int u = nexist; u < nexist + r.new_teams; u++)
				if (size[t] == size[u] && labs(sum[t] - sum[u]) > 2L * n)
					return "unbalanced strength";
	}
	if (n >= 0 && nexist == 0 && r.new_teams == 0 && n >= (spec.strict_size ? spec.strict_size : spec.min_size))
		return "no team although enough students";
	return NULL;
}

int
main(void)
{
	mn_rng		rng = {5};
	int			rank[200];
	int			exist[6];
	const mn_teams_spec specs[] = {{2, 4, 0}, {3, 5, 0}, {4, 5, 0}, {1, 1, 0}, {1, 6, 4}, {5, 5, 0}, {2, 3, 3}};

	for (size_t s = 0; s < sizeof(specs) / sizeof(specs[0]); s++)
	{
		const char *problem = NULL;
		int			where = 0;

		for (int n = 0; n <= 80 && !problem; n++)
			for (int nexist = 0; nexist <= 3 && !problem; nexist++)
			{
				for (int i = 0; i < n; i++)
					rank[i] = 1 + (int) mn_rng_below(&rng, (uint64_t) n / 2 + 1);	/* with ties */
				for (int t = 0; t < nexist; t++)
					exist[t] = (int) mn_rng_below(&rng, (uint64_t) specs[s].max_size + 2);
				problem = check(n, rank, nexist, exist, specs[s], (uint64_t) n);
				where = n;
			}
		ok(problem == NULL, "spec min=%d max=%d strict=%d, n=0..80, 0-3 existing teams: %s (n=%d)",
		   specs[s].min_size, specs[s].max_size, specs[s].strict_size, problem ? problem : "all properties", where);
	}
	{
		int			r10[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
		mn_teams_result r = mn_teams_distribute(10, r10, 0, NULL, (mn_teams_spec) {3, 4, 0}, 1, &A);

		/* 10 students, 3-4 per team: 3 teams; snake order 0 1 2 2 1 0 0 1 2 2 */
		ok(r.new_teams == 3 && r.team_of[0] == 0 && r.team_of[1] == 1 && r.team_of[2] == 2 &&
		   r.team_of[3] == 2 && r.team_of[5] == 0 && r.team_of[6] == 0 && r.team_of[9] == 2 &&
		   r.leads[0] == 0 && r.leads[2] == 2,
		   "hand-checked snake draft of 10 into 3 teams");
		r = mn_teams_distribute(7, r10, 0, NULL, (mn_teams_spec) {4, 5, 0}, 1, &A);
		ok(r.new_teams == 1 && r.left_out == 2 && r.team_of[5] == -1 && r.team_of[6] == -1,
		   "7 students, teams of 4-5: one team of 5, the two lowest left out");
		r = mn_teams_distribute(3, r10, 0, NULL, (mn_teams_spec) {4, 5, 0}, 1, &A);
		ok(r.new_teams == 0 && r.left_out == 3, "fewer students than the minimum: nobody placed");
	}
	{
		int			r6[6] = {1, 1, 1, 1, 1, 1};
		mn_teams_result a = mn_teams_distribute(6, r6, 0, NULL, (mn_teams_spec) {2, 3, 0}, 77, &A);
		mn_teams_result b = mn_teams_distribute(6, r6, 0, NULL, (mn_teams_spec) {2, 3, 0}, 77, &A);
		int			differ = 0;

		for (uint64_t seed = 78; seed < 88; seed++)
		{
			mn_teams_result c = mn_teams_distribute(6, r6, 0, NULL, (mn_teams_spec) {2, 3, 0}, seed, &A);

			differ += memcmp(a.team_of, c.team_of, 6 * sizeof(int)) != 0;
		}

		ok(memcmp(a.team_of, b.team_of, 6 * sizeof(int)) == 0, "same seed, same teams");
		ok(differ > 0, "ties broken differently by other seeds (%d of 10 differ)", differ);
	}
	return tap_done();
}
