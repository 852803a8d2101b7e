/*
 * test_lifecycle_graph.c - unit tests of lifecycle graph building and checks.
 *
 * Uses the slot lifecycle exactly as seed 001 draws it, then the validation
 * failures define_lifecycle relies on, then an exhaustive check that lc_check
 * agrees with the edge list for every pair of states.
 */
#include "tap.h"
#include "../../src/core/lifecycle_graph.h"

static const mn_allocator A = {tap_alloc, NULL};

static const lc_edge slot[] = {
	{NULL, "tentative"},
	{"tentative", "meeting_requested"},
	{"meeting_requested", "confirmed"},
	{"tentative", "confirmed"},
	{"confirmed", "under_review"},
	{"confirmed", "completed"},
	{"confirmed", "cancellation_requested"},
	{"cancellation_requested", "cancelled"},
	{"confirmed", "cancelled"},
	{"completed", NULL},
	{"cancelled", NULL},
};

#define N(a) ((int) (sizeof(a) / sizeof((a)[0])))

static lc_verdict
check(const lc_graph *g, const char *from, const char *to)
{
	return lc_check(g, from, from ? strlen(from) : 0, to, strlen(to));
}

static lc_graph *
build(const lc_edge *e, int n, char *err, size_t errlen)
{
	err[0] = '\0';
	return lc_from_edges(e, n, &A, err, errlen);
}

int
main(void)
{
	char		err[256];
	lc_graph   *g = build(slot, N(slot), err, sizeof(err));
	int			next[LC_MAX_STATES];
	int			k,
				i,
				j;

	ok(g != NULL, "slot lifecycle builds (%s)", err);
	if (g == NULL)
		return tap_done();
	ok(g->nstates == 7, "slot has 7 states");
	ok(check(g, NULL, "tentative") == LC_OK, "insert as tentative allowed");
	ok(check(g, NULL, "confirmed") == LC_NOT_INITIAL, "insert as confirmed refused");
	ok(check(g, NULL, "bogus") == LC_UNKNOWN_TO, "insert with unknown state refused");
	ok(check(g, "tentative", "confirmed") == LC_OK, "tentative -> confirmed");
	ok(check(g, "confirmed", "tentative") == LC_NOT_ALLOWED, "confirmed -> tentative refused");
	ok(check(g, "completed", "cancelled") == LC_NOT_ALLOWED, "completed is final");
	ok(check(g, "completed", "completed") == LC_OK, "same state always allowed");
	ok(check(g, "bogus", "bogus") == LC_OK, "same unknown state is a no-op, allowed");
	ok(check(g, "bogus", "confirmed") == LC_UNKNOWN_FROM, "unknown current state reported");
	ok(check(g, "confirmed", "confirmedx") == LC_UNKNOWN_TO, "prefix of a name is not the name");
	ok(lc_check(g, "confirmed", 9, "completed", 9) == LC_OK, "lengths honoured, no NUL needed");

	k = lc_next(g, lc_find(g, "confirmed", 9), next);
	ok(k == 4, "confirmed has 4 next states (got %d)", k);
	ok(lc_next(g, lc_find(g, "cancelled", 9), next) == 0, "cancelled has none");
	ok(lc_next(g, -1, next) == 0, "lc_next of unknown index is empty");
	ok((g->flags[lc_find(g, "under_review", 12)] & LC_FINAL) != 0,
	   "under_review has no way out, so it is final");
	ok((g->flags[lc_find(g, "confirmed", 9)] & LC_FINAL) == 0, "confirmed is not final");
	ok((g->flags[lc_find(g, "tentative", 9)] & LC_INITIAL) != 0, "tentative is initial");

	/* lc_check agrees with the edge list for every ordered pair. */
	{
		int			mismatches = 0;

		for (i = 0; i < g->nstates; i++)
			for (j = 0; j < g->nstates; j++)
			{
				int			listed = (i == j);
				int			e;

				for (e = 0; e < N(slot); e++)
					if (slot[e].from && slot[e].to &&
						strcmp(slot[e].from, g->names[i]) == 0 &&
						strcmp(slot[e].to, g->names[j]) == 0)
						listed = 1;
				if ((check(g, g->names[i], g->names[j]) == LC_OK) != listed)
					mismatches++;
			}
		ok(mismatches == 0, "every pair of states judged as the diagram draws it (%d mismatches)", mismatches);
	}

	/* Validation failures. */
	{
		const lc_edge none_initial[] = {{"a", "b"}, {"b", "a"}};
		const lc_edge unreachable[] = {{NULL, "a"}, {"a", "b"}, {"c", "b"}};
		const lc_edge bad_name[] = {{NULL, "Draft"}};
		const lc_edge bad_name2[] = {{NULL, "a b"}};
		const lc_edge star_star[] = {{NULL, NULL}};
		const lc_edge cycle[] = {{NULL, "active"}, {"active", "waiting"}, {"waiting", "active"}, {"active", "completed"}};
		const lc_edge self[] = {{NULL, "a"}, {"a", "a"}};
		char		longname[80];
		lc_edge		toolong[1];

		ok(build(none_initial, N(none_initial), err, sizeof(err)) == NULL && strstr(err, "initial"),
		   "no initial state refused: %s", err);
		ok(build(unreachable, N(unreachable), err, sizeof(err)) == NULL && strstr(err, "\"c\""),
		   "unreachable state refused: %s", err);
		ok(build(bad_name, N(bad_name), err, sizeof(err)) == NULL && strstr(err, "Draft"),
		   "upper-case state refused: %s", err);
		ok(build(bad_name2, N(bad_name2), err, sizeof(err)) == NULL, "state with space refused: %s", err);
		ok(build(star_star, N(star_star), err, sizeof(err)) == NULL, "[*] -> [*] refused: %s", err);
		ok(build(slot, 0, err, sizeof(err)) == NULL, "empty list refused: %s", err);
		memset(longname, 'a', 64);
		longname[64] = '\0';
		toolong[0].from = NULL;
		toolong[0].to = longname;
		ok(build(toolong, 1, err, sizeof(err)) == NULL, "64-character state refused: %s", err);
		longname[63] = '\0';
		ok(build(toolong, 1, err, sizeof(err)) != NULL, "63-character state accepted");

		g = build(cycle, N(cycle), err, sizeof(err));
		ok(g != NULL && check(g, "waiting", "active") == LC_OK && check(g, "active", "waiting") == LC_OK,
		   "cycles are fine (workflow enrollment)");
		ok(g != NULL && (g->flags[lc_find(g, "active", 6)] & LC_FINAL) == 0, "active in a cycle is not final");
		g = build(self, N(self), err, sizeof(err));
		ok(g != NULL && g->nstates == 1 && lc_next(g, 0, next) == 0, "self-loop adds nothing");
	}

	/* Unicode and punctuation in a value never match a state (no crash either). */
	g = build(slot, N(slot), err, sizeof(err));
	ok(check(g, "tentative", "confirmed\xc3\xa9") == LC_UNKNOWN_TO, "non-ASCII value is unknown");
	ok(check(g, "tentative", "") == LC_UNKNOWN_TO, "empty value is unknown");
	return tap_done();
}
