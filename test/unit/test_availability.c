/*
 * test_availability.c - parsing, canonical text, round trips, occurrences
 * through a fake clock (fixed offsets and a DST change), overlap.
 */
#include "tap.h"
#include "../../src/core/availability.h"

static const mn_allocator A = {arena_alloc, NULL};

static const char *
canon(const char *in)
{
	static char buf[8192];
	mn_availability a;
	size_t		pos;
	const char *err = mn_av_parse(in, strlen(in), &a, &pos);

	if (err)
	{
		snprintf(buf, sizeof(buf), "ERROR at %zu: %s", pos, err);
		return buf;
	}
	mn_av_format(&a, buf, sizeof(buf));
	return buf;
}

#define canon_is(in, want) \
	do { const char *got_ = canon(in); ok(strcmp(got_, want) == 0, "'%s' -> '%s' (got '%s')", in, want, got_); } while (0)

static void
rejects(const char *in, const char *why)
{
	const char *got = canon(in);

	ok(strncmp(got, "ERROR", 5) == 0 && strstr(got, why) != NULL, "'%s' rejected: %s", in, got);
}

/* Fake clocks: minute m of local day d is (d * 1440 + m - offset) minutes, in microseconds. */
static int64_t
fixed_clock(void *ctx, int64_t day, int32_t minute)
{
	int32_t		offset = *(int32_t *) ctx;

	return ((int64_t) day * 1440 + minute - offset) * 60000000;
}

/*
 * UTC+1, then UTC+2 from local day 10 at 02:00, when clocks jump to 03:00.
 * A nonexistent local time (02:00-02:59 that day) is read with the offset
 * before the change, as PostgreSQL does: 02:15 is 01:15 UTC (03:15 local).
 */
static int64_t
dst_clock(void *ctx, int64_t day, int32_t minute)
{
	int32_t		offset = (day > 10 || (day == 10 && minute >= 180)) ? 120 : 60;

	(void) ctx;
	return ((int64_t) day * 1440 + minute - offset) * 60000000;
}

int
main(void)
{
	canon_is("Mon 09:00-12:00, Wed 18:00-20:30 @ Europe/Berlin", "Mon 09:00-12:00, Wed 18:00-20:30 @ Europe/Berlin");
	canon_is("wed 18:00-20:30,mon 9:00-12:00@Europe/Berlin  ", "Mon 09:00-12:00, Wed 18:00-20:30 @ Europe/Berlin");
	canon_is("Mon 09:00-12:00, Mon 11:00-13:00", "Mon 09:00-13:00 @ UTC");
	canon_is("Mon 12:00-13:00, Mon 09:00-12:00", "Mon 09:00-13:00 @ UTC");
	canon_is("Mon-Fri 09:00-17:00 @ America/New_York",
			 "Mon 09:00-17:00, Tue 09:00-17:00, Wed 09:00-17:00, Thu 09:00-17:00, Fri 09:00-17:00 @ America/New_York");
	canon_is("Fri 22:00-02:00", "Fri 22:00-24:00, Sat 00:00-02:00 @ UTC");
	canon_is("Sun 23:00-01:00", "Mon 00:00-01:00, Sun 23:00-24:00 @ UTC");
	canon_is("Sat-Mon 10:00-11:00", "Mon 10:00-11:00, Sat 10:00-11:00, Sun 10:00-11:00 @ UTC");
	canon_is("Monday 00:00-24:00, tuesday 00:00-24:00", "Mon 00:00-24:00, Tue 00:00-24:00 @ UTC");
	canon_is("", "@ UTC");
	canon_is("  @ Asia/Tokyo", "@ Asia/Tokyo");
	canon_is("Thu 9:05-9:35 @ Etc/GMT+3", "Thu 09:05-09:35 @ Etc/GMT+3");

	rejects("Mon 25:00-26:00", "00:00 to 24:00");
	rejects("Mon 09:60-10:00", "00:00 to 24:00");
	rejects("Mon 24:00-01:00", "cannot start at 24:00");
	rejects("Mon 09:00-09:00", "must not be empty");
	rejects("Mon 9-10", "time range");
	rejects("Xyz 09:00-10:00", "expected a day");
	rejects("Mo 09:00-10:00", "expected a day");
	rejects("Mon-Xyz 09:00-10:00", "day range");
	rejects("Mon09:00-10:00", "space");
	rejects("Mon 09:00-10:00,", "another window");
	rejects("Mon 09:00-10:00 Tue 10:00-11:00", "\",\" between windows");
	rejects("Mon 09:00-10:00 @", "missing");
	rejects("Mon 09:00-10:00 @ Europe//Berlin", "empty part");
	rejects("Mon 09:00-10:00 @ Europe/Berlin; DROP", "letters, digits");
	rejects("Mon 09:00-10:000", "time range");
	{
		char		big[5000];

		memset(big, ' ', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		rejects(big, "at most 4096");
	}
	{
		/* 200 separate windows of one minute: more than 128 after merging */
		char		many[4000];
		size_t		at = 0;

		for (int i = 0; i < 200; i++)
			at += (size_t) snprintf(many + at, sizeof(many) - at, "%s%s %02d:%02d-%02d:%02d", i ? "," : "",
									(const char *[]) {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}[i % 7],
									i / 7 % 24, i / 168 * 2, i / 7 % 24, i / 168 * 2 + 1);
		rejects(many, "too many separate windows");
	}

	/* round trip: canonical text parses back to the same schedule */
	{
		mn_rng		rng = {17};
		int			bad = 0;

		for (int t = 0; t < 2000; t++)
		{
			mn_availability a, b;
			char		text[8192];
			size_t		pos;

			memset(&a, 0, sizeof(a));
			strcpy(a.zone, (t & 1) ? "Europe/Berlin" : "America/Argentina/Buenos_Aires");
			a.nwindows = (int32_t) mn_rng_below(&rng, 20);
			for (int i = 0; i < a.nwindows; i++)
			{
				a.windows[i].start = (int32_t) mn_rng_below(&rng, MN_AV_WEEK_MINUTES);
				a.windows[i].end = a.windows[i].start + 1 + (int32_t) mn_rng_below(&rng, 3000);
			}
			mn_av_normalize(&a);
			mn_av_format(&a, text, sizeof(text));
			if (mn_av_parse(text, strlen(text), &b, &pos) != NULL || a.nwindows != b.nwindows ||
				memcmp(a.windows, b.windows, sizeof(mn_av_window) * a.nwindows) != 0 || strcmp(a.zone, b.zone) != 0)
				bad++;
		}
		ok(bad == 0, "2000 random schedules survive format and parse unchanged (%d differ)", bad);
	}

	/* occurrences: day 0 is a Monday; UTC+1 */
	{
		mn_availability a;
		size_t		pos;
		int32_t		offset = 60;
		int64_t		n;
		mn_interval *v;

		mn_av_parse("Mon 09:00-12:00, Fri 22:00-02:00", 32, &a, &pos);
		v = mn_av_occurrences(&a, 0, 13, fixed_clock, &offset, &A, &n);
		ok(n == 4 && v[0].lo == (int64_t) (9 * 60 - 60) * 60000000 && v[0].hi - v[0].lo == (int64_t) 3 * 3600000000,
		   "two weeks of Mon 09:00-12:00 at UTC+1: first occurrence 08:00 UTC, three hours (%lld intervals)", (long long) n);
		ok(n == 4 && v[1].hi - v[1].lo == (int64_t) 4 * 3600000000,
		   "Fri 22:00-02:00 is one interval of four hours across midnight");
		n = mn_intervals_clip(v, n, v[0].lo + 3600000000LL, v[2].lo);
		ok(n == 2 && v[0].hi - v[0].lo == (int64_t) 2 * 3600000000, "clipping cuts the first interval and drops the rest");
	}
	{
		/* DST: a daily 09:00 window is one hour earlier in UTC after the change */
		mn_availability a;
		size_t		pos;
		int64_t		n;
		mn_interval *v;

		mn_av_parse("Mon-Sun 09:00-10:00, Thu 02:15-02:45", 36, &a, &pos);
		v = mn_av_occurrences(&a, 8, 12, dst_clock, NULL, &A, &n);
		ok(n == 6 && v[0].lo == ((int64_t) 8 * 1440 + 540 - 60) * 60000000 &&
		   v[5].lo == ((int64_t) 12 * 1440 + 540 - 120) * 60000000,
		   "09:00 local is 08:00 UTC before the change and 07:00 after (%lld intervals)", (long long) n);
		ok(n == 6 && v[2].lo == ((int64_t) 10 * 1440 + 135 - 60) * 60000000 && v[2].hi - v[2].lo == (int64_t) 30 * 60000000,
		   "a window in the skipped hour keeps its 30 minutes, at 01:15 UTC");
	}
	{
		/* overlap across zones: Mon 09:00-12:00 in UTC+1 vs Mon 10:00-14:00 in UTC+3 -> 08-11 vs 07-11 UTC: 3 h */
		mn_availability a, b;
		size_t		pos;
		int32_t		oa = 60, ob = 180;
		int64_t		na, nb;
		mn_interval *va, *vb;

		mn_av_parse("Mon 09:00-12:00", 15, &a, &pos);
		mn_av_parse("Mon 10:00-14:00", 15, &b, &pos);
		va = mn_av_occurrences(&a, 0, 6, fixed_clock, &oa, &A, &na);
		vb = mn_av_occurrences(&b, 0, 6, fixed_clock, &ob, &A, &nb);
		ok(mn_intervals_overlap(va, na, vb, nb) == (int64_t) 3 * 3600000000, "overlap across zones is three hours");
		ok(mn_intervals_overlap(va, na, va, 0) == 0, "overlap with nothing is zero");
	}
	return tap_done();
}
