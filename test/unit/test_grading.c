/*
 * test_grading.c - unit tests of the quiz answer comparisons.
 */
#include "tap.h"
#include "../../src/core/grading.h"

static int
same(const int *g, size_t ng, const int *r, size_t nr)
{
	int			a[32], b[32];

	memcpy(a, g, ng * sizeof(int));
	memcpy(b, r, nr * sizeof(int));
	return mn_same_option_set(a, ng, b, nr);
}

int
main(void)
{
	const int	one[] = {1}, two[] = {0, 2}, two_rev[] = {2, 0}, two_rep[] = {2, 0, 2, 0}, three[] = {0, 1, 2}, other[] = {0, 3};

	ok(same(one, 1, one, 1), "one right option given is right");
	ok(!same(two, 1, two, 2), "half of a multiple choice is wrong");
	ok(same(two_rev, 2, two, 2), "order does not matter");
	ok(same(two_rep, 4, two, 2), "repeats do not matter");
	ok(!same(three, 3, two, 2), "an extra option is wrong");
	ok(!same(other, 2, two, 2), "the same count of other options is wrong");
	ok(!same(one, 0, two, 2), "nothing given is wrong");
	ok(same(one, 0, one, 0), "two empty sets are the same (the caller refuses empty right answers)");
	ok(mn_same_trimmed("  distinct ", 11, "distinct", 8), "spaces around are dropped");
	ok(!mn_same_trimmed("dis tinct", 9, "distinct", 8), "spaces inside count");
	ok(!mn_same_trimmed("distinct on", 11, "distinct", 8), "a longer text is not equal");
	ok(mn_same_trimmed("   ", 3, "", 0), "only spaces equal the empty text");
	ok(!mn_same_trimmed("Distinct", 8, "distinct", 8), "case is the caller's to fold");
	return tap_done();
}
