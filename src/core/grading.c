/*
 * grading.c - set and text comparisons behind quiz grading (see grading.h).
 */
#include "grading.h"

#include <stdlib.h>
#include <string.h>

static int
cmp_int(const void *a, const void *b)
{
	int			x = *(const int *) a,
				y = *(const int *) b;

	return (x > y) - (x < y);
}

/* Sorts and drops repeats; returns the new length. */
static size_t
sort_unique(int *v, size_t n)
{
	size_t		out = 0;

	if (n == 0)
		return 0;
	qsort(v, n, sizeof(int), cmp_int);
	for (size_t i = 1; i < n; i++)
		if (v[i] != v[out])
			v[++out] = v[i];
	return out + 1;
}

bool
mn_same_option_set(int *given, size_t ngiven, int *right, size_t nright)
{
	ngiven = sort_unique(given, ngiven);
	nright = sort_unique(right, nright);
	return ngiven == nright && (ngiven == 0 || memcmp(given, right, ngiven * sizeof(int)) == 0);
}

static void
trim(const char **s, size_t *len)
{
	while (*len > 0 && **s == ' ')
		(*s)++, (*len)--;
	while (*len > 0 && (*s)[*len - 1] == ' ')
		(*len)--;
}

bool
mn_same_trimmed(const char *a, size_t alen, const char *b, size_t blen)
{
	trim(&a, &alen);
	trim(&b, &blen);
	return alen == blen && memcmp(a, b, alen) == 0;
}
