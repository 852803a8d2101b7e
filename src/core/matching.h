/*
 * matching.h - mentor/mentee matching: the fit score, and cohort assignment
 * under mentor capacities, either optimal (maximum total score) or stable
 * (mentee-proposing deferred acceptance).
 *
 * Mentees are 0..nmentees-1, mentors 0..nmentors-1.  Candidate pairs are
 * edges with a score; a pair without an edge (filtered out: not accepting,
 * no capacity, same person, ...) is never assigned.
 */
#ifndef MN_MATCHING_H
#define MN_MATCHING_H

#include <stdint.h>
#include "mn_core.h"

/* What the fit score is made of, each in 0..1, and how they are weighted. */
typedef struct mn_fit_weights
{
	double		skills;
	double		availability;
	double		capacity;
	double		rating;
	double		rating_prior_mean;	/* Bayesian average: prior mean rating (1..5) */
	double		rating_prior_count; /* and its weight in ratings */
	double		partial_level_credit;	/* credit for a skill offered below the mentee's level */
} mn_fit_weights;

typedef struct mn_skill_level
{
	int64_t		skill;
	int32_t		level;
} mn_skill_level;

typedef struct mn_fit
{
	double		score;			/* weighted sum of the parts, divided by the sum of weights */
	double		skills;			/* 0..1: share of sought skills covered (partial credit below level) */
	double		availability;	/* 0..1: overlap minutes / wanted_minutes, capped */
	double		capacity;		/* 0..1: free places / max places */
	double		rating;			/* 0..1: (Bayesian rating - 1) / 4 */
	int32_t		skills_full;	/* sought skills offered at the mentee's level or above */
	int32_t		skills_partial; /* offered below it */
} mn_fit;

/* False when a weight is negative or not a number, or all are zero. */
extern int	mn_fit_weights_valid(const mn_fit_weights *w);

/*
 * The fit of one mentor for one mentee: seeks/offers are (skill, level)
 * lists in any order; overlap and wanted are weekly minutes (wanted 0: the
 * availability part counts as 1); active/max places; rating mean and count.
 */
extern mn_fit mn_fit_score(const mn_fit_weights *w,
						   const mn_skill_level *seeks, int32_t nseeks,
						   const mn_skill_level *offers, int32_t noffers,
						   int32_t overlap_minutes, int32_t wanted_minutes,
						   int32_t active, int32_t max_places,
						   double rating_mean, int32_t rating_count);

/* The same from counts: full and partial of nseeks sought skills (what SQL aggregates). */
extern mn_fit mn_fit_counts(const mn_fit_weights *w, int32_t nseeks, int32_t full, int32_t partial,
							int32_t overlap_minutes, int32_t wanted_minutes,
							int32_t active, int32_t max_places,
							double rating_mean, int32_t rating_count);

typedef struct mn_match_edge
{
	int32_t		mentee;
	int32_t		mentor;
	double		score;
} mn_match_edge;

/* Scores above this are refused (error 2); fit scores are in 0..1. */
#define MN_MATCH_MAX_SCORE 1000.0

typedef struct mn_match_problem
{
	int32_t		nmentees;
	int32_t		nmentors;
	const int32_t *capacity;	/* per mentor, >= 0 */
	int32_t		per_mentee;		/* mentors wanted per mentee, >= 1 */
	const mn_match_edge *edges;
	int64_t		nedges;
} mn_match_problem;

/*
 * A cohort to score: every mentee against every mentor.  Skills are lists
 * in CSR form (mentee i seeks seeks[seek_first[i] .. seek_first[i+1]),
 * mentor j offers offers[offer_first[j] ..]); per-mentor capacity and rating
 * parts; excluded pairs (live mentorships, declined suggestions, the same
 * person) by index, score ignored.  No availability: its part counts as 1.
 */
typedef struct mn_cohort
{
	int32_t		nmentees;
	int32_t		nmentors;
	const int64_t *seek_first;
	const mn_skill_level *seeks;
	const int64_t *offer_first;
	const mn_skill_level *offers;
	const int32_t *active;
	const int32_t *max_places;
	const double *rating_mean;
	const int32_t *rating_count;
	const mn_match_edge *excluded;
	int64_t		nexcluded;
} mn_cohort;

/*
 * The scored pairs of a cohort, by mentee then mentor: every pair not
 * excluded, except that a mentee who seeks skills only pairs with mentors
 * offering at least one of them.  NULL with error 1 when out of memory, 3
 * when there are more than max_pairs pairs (*n says how many).
 */
extern mn_match_edge *mn_cohort_edges(const mn_cohort *c, const mn_fit_weights *w, int64_t max_pairs,
									  const mn_allocator *a, int64_t *n, int *error);

typedef struct mn_match_result
{
	mn_match_edge *pairs;		/* chosen edges, by mentee then mentor */
	int64_t		npairs;
	double		total;			/* sum of their scores */
	int			error;			/* 1: out of memory, 2: invalid problem */
} mn_match_result;

/*
 * The assignment with the largest total score: each mentee gets at most
 * per_mentee mentors, each mentor at most its capacity, each pair at most
 * once; pairs with a score <= 0 are never worth taking.  Min-cost flow by
 * successive shortest paths, one mentee unit at a time (Dijkstra with
 * potentials, stopped at the sink).
 */
extern mn_match_result mn_match_optimal(const mn_match_problem *p, const mn_allocator *a);

/*
 * Highest score first: each pair in score order is taken while its mentee
 * and mentor have room.  What the public matching tools do; the baseline the
 * optimum is measured against, never better than it.
 */
extern mn_match_result mn_match_greedy(const mn_match_problem *p, const mn_allocator *a);

/*
 * Mentee-proposing deferred acceptance with capacities: both sides rank by
 * score (ties by index).  No mentee and mentor would both rather be matched
 * to each other than to someone they have.
 */
extern mn_match_result mn_match_stable(const mn_match_problem *p, const mn_allocator *a);

#endif							/* MN_MATCHING_H */
