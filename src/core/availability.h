/*
 * availability.h - weekly availability windows in a time zone.
 *
 * Text form: "Mon 09:00-12:00, Wed 18:00-20:30 @ Europe/Berlin".  Items are
 * a day or a day range ("Mon-Fri") and a time range; an end at or before the
 * start runs into the next day ("Fri 22:00-02:00"), "24:00" is the end of a
 * day.  The zone is optional (UTC).  Internally a schedule is a sorted list of
 * disjoint, non-adjacent windows in minutes from Monday 00:00 local time;
 * the canonical text splits them at midnight.  The core does not know time
 * zones: it checks the zone name's spelling, and converting local times to
 * instants is the caller's (a callback), so DST is handled where the tz
 * database is.
 */
#ifndef MN_AVAILABILITY_H
#define MN_AVAILABILITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "mn_core.h"

#define MN_AV_WEEK_MINUTES 10080
#define MN_AV_DAY_MINUTES 1440
#define MN_AV_MAX_WINDOWS 128		/* after merging */
#define MN_AV_MAX_INPUT 4096		/* characters of text input */
#define MN_AV_MAX_ZONE 64

typedef struct mn_av_window
{
	int32_t		start;			/* 0 <= start < end <= MN_AV_WEEK_MINUTES */
	int32_t		end;
} mn_av_window;

typedef struct mn_availability
{
	int32_t		nwindows;
	mn_av_window windows[MN_AV_MAX_WINDOWS];
	char		zone[MN_AV_MAX_ZONE + 1];	/* NUL-terminated; "UTC" when not given */
} mn_availability;

/*
 * Parses len bytes of s (no NUL needed).  Returns NULL and fills *out
 * (normalized) on success; otherwise a static sentence saying what is wrong,
 * and *errpos the byte offset where it was found.
 */
extern const char *mn_av_parse(const char *s, size_t len, mn_availability *out, size_t *errpos);

/*
 * Sorts and merges windows (overlapping or touching); windows past the
 * week's end wrap to its start.  False (and the schedule unusable) when the
 * result would have more than MN_AV_MAX_WINDOWS windows.
 */
extern bool mn_av_normalize(mn_availability *a);

/*
 * The canonical text into buf (NUL-terminated, truncated to buflen - 1);
 * returns the length it needs without the NUL.  Equal schedules print the same.
 */
extern size_t mn_av_format(const mn_availability *a, char *buf, size_t buflen);

/* A syntactically plausible IANA zone name ("Europe/Berlin", "UTC", "Etc/GMT+3"). */
extern const char *mn_av_zone_problem(const char *zone, size_t len);

/*
 * Occurrences: the instants (microseconds, any epoch the callback uses) when
 * the schedule is open, for the local days first_day..last_day (days counted
 * from any Monday-aligned epoch: day 0 must be a Monday).  to_utc(ctx, day,
 * minute) returns the instant of local minute-of-day `minute` (0..1440) of
 * local day `day`.  Intervals are merged when they touch and returned in
 * order; *n is their number.  Returns NULL when memory runs out.
 */
typedef int64_t (*mn_av_to_utc) (void *ctx, int64_t day, int32_t minute);

typedef struct mn_interval
{
	int64_t		lo;
	int64_t		hi;				/* exclusive */
} mn_interval;

extern mn_interval *mn_av_occurrences(const mn_availability *a, int64_t first_day, int64_t last_day,
									  mn_av_to_utc to_utc, void *ctx, const mn_allocator *alloc,
									  int64_t *n);

/* Clips sorted intervals to [lo, hi) in place; returns the new count. */
extern int64_t mn_intervals_clip(mn_interval *v, int64_t n, int64_t lo, int64_t hi);

/* Total length of the intersection of two sorted lists of disjoint intervals. */
extern int64_t mn_intervals_overlap(const mn_interval *a, int64_t na, const mn_interval *b, int64_t nb);

#endif							/* MN_AVAILABILITY_H */
