/*
 * grading.h - how a quiz answer is compared with the right one.
 *
 * Pure functions over plain values; the glue (src/quizzes.c) takes them out
 * of jsonb.  A choice answer is right when the set of options given equals
 * the right set; a text answer when it equals one accepted answer once both
 * are trimmed of spaces (the caller folds case).
 */
#ifndef GRADING_H
#define GRADING_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Whether two lists of option indexes are the same set (order and repeats
 * ignored).  Sorts both arrays in place.
 */
extern bool mn_same_option_set(int *given, size_t ngiven, int *right, size_t nright);

/* Whether a and b are equal once leading and trailing spaces are dropped from each. */
extern bool mn_same_trimmed(const char *a, size_t alen, const char *b, size_t blen);

#endif							/* GRADING_H */
