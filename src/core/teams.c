/*
 * teams.c - team formation: fill existing teams, then snake-draft new ones.
 *
 * Why a snake draft: dealing students best-first as 1..t, t..1, 1..t gives
 * every team one student from each "tier" of the class, so the sums of ranks
 * differ by at most one tier's spread, and sizes by at most one.
 */
#include "teams.h"

#include <stdlib.h>
#include <string.h>

typedef struct ranked
{
	uint64_t	key;			/* rank, then seeded tie-break */
	int32_t		idx;
} ranked;

static int
ranked_cmp(const void *x, const void *y)
{
	uint64_t	a = ((const ranked *) x)->key;
	uint64_t	b = ((const ranked *) y)->key;

	return a < b ? -1 : a > b;
}

/*
 * Deals the students of `who` (best first) to teams[0..nteams-1] in snake
 * order, skipping teams whose room is used up; the caller guarantees that the
 * rooms add up to at least nwho.
 */
static void
snake_deal(const int32_t *who, int32_t nwho, const int32_t *teams, int32_t *room,
		   int32_t nteams, int32_t *team_of)
{
	int32_t		pos = 0;
	int			dir = 1;

	for (int32_t i = 0; i < nwho; i++)
	{
		while (room[pos] == 0)
		{
			/* bounce at the ends: ..., t-1, t-1, t-2, ... */
			if ((dir > 0 && pos == nteams - 1) || (dir < 0 && pos == 0))
				dir = -dir;
			else
				pos += dir;
		}
		team_of[who[i]] = teams[pos];
		room[pos]--;
		if ((dir > 0 && pos == nteams - 1) || (dir < 0 && pos == 0))
			dir = -dir;
		else
			pos += dir;
	}
}

mn_teams_result
mn_teams_distribute(int32_t n, const int32_t *rank,
					int32_t nexisting, const int32_t *existing_size,
					mn_teams_spec spec, uint64_t seed, const mn_allocator *a)
{
	mn_rng		rng = {seed};
	mn_teams_result r;
	ranked	   *order;
	int32_t    *pool;			/* students in rank order not yet placed */
	int32_t    *picked;
	int32_t    *teams;
	int32_t    *room;
	int32_t		npool = 0;
	int32_t		total_room = 0;
	int32_t		cap = spec.strict_size > 0 ? spec.strict_size : spec.max_size;
	int32_t		rest, t, placed;

	memset(&r, 0, sizeof(r));
	r.team_of = mn_alloc(a, sizeof(int32_t) * (size_t) (n + 1));
	order = mn_alloc(a, sizeof(ranked) * (size_t) (n + 1));
	pool = mn_alloc(a, sizeof(int32_t) * (size_t) (n + 1));
	picked = mn_alloc(a, sizeof(int32_t) * (size_t) (n + 1));
	teams = mn_alloc(a, sizeof(int32_t) * (size_t) (n + nexisting + 1));
	room = mn_alloc(a, sizeof(int32_t) * (size_t) (n + nexisting + 1));
	if (!r.team_of || !order || !pool || !picked || !teams || !room)
	{
		r.error = 1;
		return r;
	}
	for (int32_t i = 0; i < n; i++)
	{
		r.team_of[i] = -1;
		order[i].key = (uint64_t) (uint32_t) rank[i] << 32 | (uint32_t) mn_rng_next(&rng);
		order[i].idx = i;
	}
	qsort(order, (size_t) n, sizeof(ranked), ranked_cmp);
	for (int32_t i = 0; i < n; i++)
		pool[i] = order[i].idx;
	npool = n;

	/* existing teams, smallest first */
	{
		ranked	   *byroom = mn_alloc(a, sizeof(ranked) * (size_t) (nexisting + 1));
		int32_t		nopen = 0;

		if (!byroom)
		{
			r.error = 1;
			return r;
		}

		for (int32_t i = 0; i < nexisting; i++)
			if (existing_size[i] < cap)
			{
				byroom[nopen].key = (uint64_t) existing_size[i] << 32 | (uint32_t) i;
				byroom[nopen++].idx = i;
			}
		qsort(byroom, (size_t) nopen, sizeof(ranked), ranked_cmp);
		for (int32_t i = 0; i < nopen; i++)
		{
			teams[i] = byroom[i].idx;
			room[i] = cap - existing_size[byroom[i].idx];
			total_room += room[i];
		}
		if (nopen > 0 && npool > 0)
		{
			int32_t		take = total_room < npool ? total_room : npool;
			int32_t		kept = 0;
			int32_t		next = 0;

			/* evenly spaced ranks: the j-th pick is at floor((j + 1/2) * npool / take) */
			for (int32_t j = 0; j < take; j++)
				picked[j] = pool[(int32_t) (((int64_t) 2 * j + 1) * npool / (2 * (int64_t) take))];
			snake_deal(picked, take, teams, room, nopen, r.team_of);
			r.to_existing = take;
			for (int32_t i = 0; i < npool; i++)
			{
				if (next < take && picked[next] == pool[i])
				{
					next++;
					continue;
				}
				pool[kept++] = pool[i];
			}
			npool = kept;
		}
	}

	/* new teams: the fewest that fit, else as many full ones as possible */
	rest = npool;
	if (spec.strict_size > 0)
		t = rest / spec.strict_size;
	else
	{
		int32_t		t_lo = (rest + spec.max_size - 1) / spec.max_size;
		int32_t		t_hi = rest / spec.min_size;

		t = t_lo <= t_hi ? t_lo : t_hi;
	}
	placed = rest < t * cap ? rest : t * cap;
	if (t > 0)
	{
		r.leads = mn_alloc(a, sizeof(int32_t) * (size_t) t);
		if (!r.leads)
		{
			r.error = 1;
			return r;
		}
		for (int32_t j = 0; j < t; j++)
		{
			teams[j] = nexisting + j;
			room[j] = cap;
			r.leads[j] = pool[j];	/* the first round deals the t best */
		}
		snake_deal(pool, placed, teams, room, t, r.team_of);
	}
	r.new_teams = t;
	r.left_out = rest - placed;
	return r;
}
