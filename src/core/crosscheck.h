/*
 * crosscheck.h - fair peer-review (cross-check) assignment.
 *
 * Students are indices 0..n-1 in a canonical order chosen by the caller (the
 * glue sorts by student id), so one seed always gives one distribution.  A
 * pair says "checker reviews the solution of author".
 */
#ifndef MN_CROSSCHECK_H
#define MN_CROSSCHECK_H

#include <stdbool.h>
#include <stdint.h>
#include "mn_core.h"

typedef struct mn_cc_pair
{
	int32_t		checker;
	int32_t		author;
} mn_cc_pair;

typedef enum mn_cc_outcome
{
	MN_CC_OK = 0,				/* every property held */
	MN_CC_MUTUAL,				/* k+1 <= n < 2k+1: exact loads, some mutual pairs */
	MN_CC_REDUCED,				/* 2 <= n <= k: everyone reviews the n-1 others */
	MN_CC_TOO_FEW,				/* n < 2: nothing can be assigned */
	MN_CC_NO_MEMORY
} mn_cc_outcome;

typedef struct mn_cc_result
{
	mn_cc_outcome outcome;
	mn_cc_pair *pairs;
	int64_t		npairs;
	int32_t		per_student;	/* reviews each student does and receives */
	int64_t		mutual_pairs;	/* unordered pairs that review each other */
} mn_cc_result;

/*
 * First distribution of n submitted solutions, k reviewers each (k >= 1).
 * For n >= 2k+1 every student does and receives exactly k reviews, with no
 * self-review, duplicate or mutual pair (the circulant of the reference
 * implementation: shuffle, k distinct offsets from 1..floor((n-1)/2)).
 * Smaller classes degrade as mn_cc_outcome says instead of failing.
 */
extern mn_cc_result mn_cc_distribute(int32_t n, int32_t k, uint64_t seed, const mn_allocator *a);

/*
 * Late solutions after a first distribution.  Students are 0..n-1 (all the
 * eligible students with a solution); load[i] is how many reviews student i
 * already does; existing holds the pairs made so far; authors lists the
 * students whose solutions have no reviewer yet.  Each gets up to k
 * reviewers, least-loaded first, never itself or a reviewer it already has,
 * avoiding mutual pairs while any other candidate with the same load exists.
 * Returns only the new pairs; per_student is the smallest number of reviewers
 * a new solution got (below k when the class is too small: MN_CC_REDUCED).
 */
extern mn_cc_result mn_cc_assign_late(int32_t n, const int32_t *load,
									  const mn_cc_pair *existing, int64_t nexisting,
									  const int32_t *authors, int32_t nauthors,
									  int32_t k, uint64_t seed, const mn_allocator *a);

#endif							/* MN_CROSSCHECK_H */
