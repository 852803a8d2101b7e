/*
 * teams.h - forming course teams of balanced strength.
 *
 * Students are indices 0..n-1; rank[i] is their course rank (1 = best,
 * MN_TEAMS_UNRANKED for none).  Existing teams are 0..nexisting-1 with their
 * current sizes; new teams are numbered after them.
 */
#ifndef MN_TEAMS_H
#define MN_TEAMS_H

#include <stdint.h>
#include "mn_core.h"

#define MN_TEAMS_UNRANKED INT32_MAX

typedef struct mn_teams_spec
{
	int32_t		min_size;		/* >= 1 */
	int32_t		max_size;		/* >= min_size */
	int32_t		strict_size;	/* 0, or every new team has exactly this size */
} mn_teams_spec;

typedef struct mn_teams_result
{
	int32_t    *team_of;		/* per student: team index, or -1 when left out */
	int32_t    *leads;			/* per new team: its best-ranked student */
	int32_t		new_teams;
	int32_t		to_existing;	/* students placed into existing teams */
	int32_t		left_out;		/* students no valid team could take */
	int			error;			/* nonzero: out of memory */
} mn_teams_result;

/*
 * Existing teams with room are filled first: they receive students picked at
 * even intervals of the rank order (so the students left for new teams keep
 * the class's spread of strength), smallest team first, by snake draft.  The
 * rest form the fewest new teams whose sizes fit [min_size, max_size] (or
 * strict_size), dealt by snake draft over rank so team strength is balanced;
 * sizes differ by at most one.  When no split fits, the lowest-ranked
 * students are left out.  Ties in rank are broken by the seed.
 */
extern mn_teams_result mn_teams_distribute(int32_t n, const int32_t *rank,
										   int32_t nexisting, const int32_t *existing_size,
										   mn_teams_spec spec, uint64_t seed,
										   const mn_allocator *a);

#endif							/* MN_TEAMS_H */
