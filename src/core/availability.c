/*
 * availability.c - parsing, normalizing and printing weekly availability,
 * and turning it into concrete intervals through a caller's clock.
 *
 * Why minutes of the week: a weekly schedule is a subset of one week, so a
 * sorted list of [start, end) minute pairs makes equality a memcmp after
 * normalizing, and merging, overlap and occurrences simple sweeps.
 */
#include "availability.h"

#include <stdlib.h>
#include <string.h>

#define MAX_RAW (MN_AV_MAX_WINDOWS * 4)

static const char *const day_abbrev[7] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
static const char *const day_full[7] = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"};

typedef struct cursor
{
	const char *s;
	size_t		len;
	size_t		pos;
} cursor;

static inline int
lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

static inline int
is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void
skip_space(cursor *c)
{
	while (c->pos < c->len && is_space((unsigned char) c->s[c->pos]))
		c->pos++;
}

static int
peek(const cursor *c)
{
	return c->pos < c->len ? (unsigned char) c->s[c->pos] : -1;
}

/* A day name: three letters or the full English name, any case; -1 if none. */
static int
parse_day(cursor *c)
{
	size_t		n = 0;
	char		word[12];

	while (c->pos + n < c->len && n < sizeof(word) - 1 &&
		   lower((unsigned char) c->s[c->pos + n]) >= 'a' && lower((unsigned char) c->s[c->pos + n]) <= 'z')
	{
		word[n] = (char) lower((unsigned char) c->s[c->pos + n]);
		n++;
	}
	word[n] = '\0';
	for (int d = 0; d < 7; d++)
		if ((n == 3 && memcmp(word, day_full[d], 3) == 0) || strcmp(word, day_full[d]) == 0)
		{
			c->pos += n;
			return d;
		}
	return -1;
}

/* H:MM or HH:MM, 00:00 to 24:00; minutes of the day or -1. */
static int32_t
parse_time(cursor *c)
{
	int32_t		h = 0, m = 0;
	size_t		digits = 0;

	while (peek(c) >= '0' && peek(c) <= '9' && digits < 2)
	{
		h = h * 10 + (peek(c) - '0');
		c->pos++;
		digits++;
	}
	if (digits == 0 || peek(c) != ':')
		return -1;
	c->pos++;
	for (digits = 0; digits < 2; digits++)
	{
		if (peek(c) < '0' || peek(c) > '9')
			return -1;
		m = m * 10 + (peek(c) - '0');
		c->pos++;
	}
	if (peek(c) >= '0' && peek(c) <= '9')
		return -1;
	if (m > 59 || h > 24 || (h == 24 && m != 0))
		return -2;
	return h * 60 + m;
}

const char *
mn_av_zone_problem(const char *zone, size_t len)
{
	if (len == 0)
		return "the time zone after \"@\" is missing";
	if (len > MN_AV_MAX_ZONE)
		return "the time zone name is longer than 64 characters";
	if (zone[0] == '/' || zone[len - 1] == '/')
		return "a time zone name does not start or end with \"/\"";
	for (size_t i = 0; i < len; i++)
	{
		unsigned char ch = (unsigned char) zone[i];

		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
			  ch == '_' || ch == '-' || ch == '+' || ch == '/'))
			return "a time zone name has only letters, digits and _ - + / (like Europe/Berlin)";
		if (ch == '/' && zone[i + 1] == '/')
			return "a time zone name has no empty part";
	}
	return NULL;
}

static int
window_cmp(const void *x, const void *y)
{
	const mn_av_window *a = x, *b = y;

	return a->start != b->start ? (a->start < b->start ? -1 : 1) : (a->end < b->end ? -1 : a->end > b->end);
}

bool
mn_av_normalize(mn_availability *a)
{
	mn_av_window tmp[MN_AV_MAX_WINDOWS * 2];
	int32_t		n = 0, out = 0;

	for (int32_t i = 0; i < a->nwindows && n < MN_AV_MAX_WINDOWS * 2; i++)
	{
		mn_av_window w = a->windows[i];

		if (w.end > MN_AV_WEEK_MINUTES)
		{
			/* past Sunday midnight: the rest belongs to the start of the week */
			tmp[n].start = 0;
			tmp[n++].end = w.end - MN_AV_WEEK_MINUTES;
			w.end = MN_AV_WEEK_MINUTES;
		}
		if (w.start < w.end)
			tmp[n++] = w;
	}
	qsort(tmp, (size_t) n, sizeof(mn_av_window), window_cmp);
	for (int32_t i = 0; i < n; i++)
	{
		if (out > 0 && tmp[i].start <= a->windows[out - 1].end)
		{
			if (tmp[i].end > a->windows[out - 1].end)
				a->windows[out - 1].end = tmp[i].end;
		}
		else if (out < MN_AV_MAX_WINDOWS)
			a->windows[out++] = tmp[i];
		else
			return false;
	}
	a->nwindows = out;
	return true;
}

const char *
mn_av_parse(const char *s, size_t len, mn_availability *out, size_t *errpos)
{
	cursor		c = {s, len, 0};
	mn_av_window raw[MAX_RAW];
	int32_t		nraw = 0;
	size_t		zone_at;

	memset(out, 0, sizeof(*out));
	strcpy(out->zone, "UTC");
	*errpos = 0;
	if (len > MN_AV_MAX_INPUT)
		return "an availability is at most 4096 characters long";
	skip_space(&c);
	while (c.pos < len && peek(&c) != '@')
	{
		int			first, last;
		int32_t		from, to;
		size_t		item_at = c.pos;

		first = parse_day(&c);
		if (first < 0)
		{
			*errpos = c.pos;
			return "expected a day (Mon, Tue, Wed, Thu, Fri, Sat, Sun)";
		}
		last = first;
		if (peek(&c) == '-')
		{
			c.pos++;
			last = parse_day(&c);
			if (last < 0)
			{
				*errpos = c.pos;
				return "expected a day after \"-\" (a day range like Mon-Fri)";
			}
		}
		if (!is_space(peek(&c)))
		{
			*errpos = c.pos;
			return "expected a space and a time range after the day (Mon 09:00-12:00)";
		}
		skip_space(&c);
		from = parse_time(&c);
		if (from >= 0 && peek(&c) == '-')
		{
			c.pos++;
			to = parse_time(&c);
		}
		else
			to = from < 0 ? from : -1;
		if (from == -2 || to == -2)
		{
			*errpos = item_at;
			return "times go from 00:00 to 24:00 (hours 0-24, minutes 0-59)";
		}
		if (from < 0 || to < 0)
		{
			*errpos = c.pos;
			return "expected a time range like 09:00-12:30";
		}
		if (from == MN_AV_DAY_MINUTES)
		{
			*errpos = item_at;
			return "a window cannot start at 24:00";
		}
		if (from == to)
		{
			*errpos = item_at;
			return "a window must not be empty (start and end are equal)";
		}
		if (to < from)
			to += MN_AV_DAY_MINUTES;	/* runs into the next day */
		for (int d = first;; d = (d + 1) % 7)
		{
			if (nraw == MAX_RAW)
			{
				*errpos = item_at;
				return "too many windows (at most 512 before merging)";
			}
			raw[nraw].start = d * MN_AV_DAY_MINUTES + from;
			raw[nraw++].end = d * MN_AV_DAY_MINUTES + to;
			if (d == last)
				break;
		}
		skip_space(&c);
		if (peek(&c) == ',')
		{
			c.pos++;
			skip_space(&c);
			if (c.pos == len || peek(&c) == '@')
			{
				*errpos = c.pos;
				return "expected another window after \",\"";
			}
		}
		else if (c.pos < len && peek(&c) != '@')
		{
			*errpos = c.pos;
			return "expected \",\" between windows or \"@\" before the time zone";
		}
	}
	if (peek(&c) == '@')
	{
		size_t		end = len;
		const char *problem;

		c.pos++;
		skip_space(&c);
		while (end > c.pos && is_space((unsigned char) s[end - 1]))
			end--;
		zone_at = c.pos;
		problem = mn_av_zone_problem(s + zone_at, end - zone_at);
		if (problem)
		{
			*errpos = zone_at;
			return problem;
		}
		memcpy(out->zone, s + zone_at, end - zone_at);
		out->zone[end - zone_at] = '\0';
	}
	/* merge in chunks small enough for the normalizer's buffer */
	for (int32_t i = 0; i < nraw; i++)
	{
		if (out->nwindows == MN_AV_MAX_WINDOWS &&
			(!mn_av_normalize(out) || out->nwindows == MN_AV_MAX_WINDOWS))
		{
			*errpos = 0;
			return "too many separate windows (at most 128 after merging)";
		}
		out->windows[out->nwindows++] = raw[i];
	}
	if (!mn_av_normalize(out))
		return "too many separate windows (at most 128 after merging)";
	return NULL;
}

static size_t
put(char *buf, size_t buflen, size_t at, const char *text, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (at + i + 1 < buflen)
			buf[at + i] = text[i];
	return at + n;
}

static size_t
put_time(char *buf, size_t buflen, size_t at, int32_t minutes)
{
	char		t[5] = {(char) ('0' + minutes / 600), (char) ('0' + minutes / 60 % 10), ':',
	(char) ('0' + minutes % 60 / 10), (char) ('0' + minutes % 10)};

	return put(buf, buflen, at, t, 5);
}

size_t
mn_av_format(const mn_availability *a, char *buf, size_t buflen)
{
	size_t		at = 0;

	for (int32_t i = 0; i < a->nwindows; i++)
	{
		for (int32_t pos = a->windows[i].start; pos < a->windows[i].end;)
		{
			int32_t		day = pos / MN_AV_DAY_MINUTES;
			int32_t		day_end = (day + 1) * MN_AV_DAY_MINUTES;
			int32_t		seg_end = a->windows[i].end < day_end ? a->windows[i].end : day_end;

			if (at > 0)
				at = put(buf, buflen, at, ", ", 2);
			at = put(buf, buflen, at, day_abbrev[day], 3);
			at = put(buf, buflen, at, " ", 1);
			at = put_time(buf, buflen, at, pos - day * MN_AV_DAY_MINUTES);
			at = put(buf, buflen, at, "-", 1);
			at = put_time(buf, buflen, at, seg_end - day * MN_AV_DAY_MINUTES);
			pos = seg_end;
		}
	}
	at = put(buf, buflen, at, at > 0 ? " @ " : "@ ", at > 0 ? 3 : 2);
	at = put(buf, buflen, at, a->zone, strlen(a->zone));
	if (buflen > 0)
		buf[at < buflen ? at : buflen - 1] = '\0';
	return at;
}

mn_interval *
mn_av_occurrences(const mn_availability *a, int64_t first_day, int64_t last_day,
				  mn_av_to_utc to_utc, void *ctx, const mn_allocator *alloc, int64_t *n)
{
	int64_t		days = last_day >= first_day ? last_day - first_day + 1 : 0;
	mn_interval *v = mn_alloc(alloc, sizeof(mn_interval) * (size_t) (days * (a->nwindows + 1) + 1));

	*n = 0;
	if (v == NULL)
		return NULL;
	for (int64_t d = first_day; d <= last_day; d++)
	{
		int32_t		wd = (int32_t) (((d % 7) + 7) % 7);
		int32_t		day_lo = wd * MN_AV_DAY_MINUTES;
		int32_t		day_hi = day_lo + MN_AV_DAY_MINUTES;

		for (int32_t i = 0; i < a->nwindows; i++)
		{
			const mn_av_window *w = &a->windows[i];
			int32_t		s, e;
			int64_t		lo, hi;

			if (w->end <= day_lo || w->start >= day_hi)
				continue;
			s = (w->start > day_lo ? w->start : day_lo) - day_lo;
			e = (w->end < day_hi ? w->end : day_hi) - day_lo;
			lo = to_utc(ctx, d, s);
			hi = e == MN_AV_DAY_MINUTES ? to_utc(ctx, d + 1, 0) : to_utc(ctx, d, e);
			if (hi <= lo)
				continue;		/* a window inside a skipped DST hour */
			if (*n > 0 && v[*n - 1].hi >= lo)
			{
				if (hi > v[*n - 1].hi)
					v[*n - 1].hi = hi;
			}
			else
			{
				v[*n].lo = lo;
				v[(*n)++].hi = hi;
			}
		}
	}
	return v;
}

int64_t
mn_intervals_clip(mn_interval *v, int64_t n, int64_t lo, int64_t hi)
{
	int64_t		out = 0;

	for (int64_t i = 0; i < n; i++)
	{
		mn_interval x = v[i];

		if (x.lo < lo)
			x.lo = lo;
		if (x.hi > hi)
			x.hi = hi;
		if (x.lo < x.hi)
			v[out++] = x;
	}
	return out;
}

int64_t
mn_intervals_overlap(const mn_interval *a, int64_t na, const mn_interval *b, int64_t nb)
{
	int64_t		total = 0, i = 0, j = 0;

	while (i < na && j < nb)
	{
		int64_t		lo = a[i].lo > b[j].lo ? a[i].lo : b[j].lo;
		int64_t		hi = a[i].hi < b[j].hi ? a[i].hi : b[j].hi;

		if (lo < hi)
			total += hi - lo;
		if (a[i].hi < b[j].hi)
			i++;
		else
			j++;
	}
	return total;
}
