/*
 * bench_availability.c - the core's own benchmark of availability: parses
 * per second of typical schedules, and parse + occurrences over a year (with
 * a fixed-offset clock; the server's tz lookups are not part of the core).
 */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../../src/core/availability.h"
#include "../arena.h"

static const char *const inputs[] = {
	"Mon 09:00-12:00, Wed 18:00-20:30 @ Europe/Berlin",
	"Mon-Fri 09:00-17:00 @ America/New_York",
	"Tue 07:30-08:15, Thu 19:00-21:00, Sat 10:00-14:00, Sun 16:00-18:00 @ Asia/Kolkata",
	"Fri 22:00-02:00 @ Asia/Tokyo",
};

static int64_t
fixed_clock(void *ctx, int64_t day, int32_t minute)
{
	(void) ctx;
	return ((int64_t) day * 1440 + minute - 60) * 60000000;
}

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int
main(void)
{
	const int	n = 2000000;
	const int	m = 20000;
	mn_availability a;
	size_t		pos, lens[4];
	double		t0, parse_s, occ_s;
	int64_t		total = 0, count;
	const mn_allocator alloc = {arena_alloc, NULL};

	for (int i = 0; i < 4; i++)
		lens[i] = strlen(inputs[i]);
	t0 = now_seconds();
	for (int i = 0; i < n; i++)
		total += mn_av_parse(inputs[i & 3], lens[i & 3], &a, &pos) == NULL ? a.nwindows : -1000000;
	parse_s = now_seconds() - t0;

	t0 = now_seconds();
	for (int i = 0; i < m; i++)
	{
		mn_av_parse(inputs[i & 3], lens[i & 3], &a, &pos);
		mn_av_occurrences(&a, 0, 365, fixed_clock, NULL, &alloc, &count);
		total += count;
		if ((i & 255) == 255)
			arena_free();
	}
	occ_s = now_seconds() - t0;
	arena_free();
	printf("availability core benchmark (%d parses; %d parse + occurrences over 366 days; checksum %lld)\n",
		   n, m, (long long) total);
	printf("%-44s %12.0f /s   (target >= 1,000,000)\n", "parse (4 typical schedules, round robin)", n / parse_s);
	printf("%-44s %12.0f /s\n", "parse + occurrences over a year", m / occ_s);
	return 0;
}
