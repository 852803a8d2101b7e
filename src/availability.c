/*
 * availability.c - the mentor.availability type: text and binary I/O,
 * equality and hashing, and the functions that turn a weekly schedule into
 * instants (occurrences, @> tstzrange, overlap_minutes).
 *
 * Parsing and the interval logic are in src/core/availability.c; this file
 * owns what needs the server: the tz database (zone validation, canonical
 * zone spelling, local time to instant with DST), varlena layout, ranges.
 */
#include "postgres.h"

#include "access/hash.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "libpq/pqformat.h"
#include "pgtime.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/lsyscache.h"
#include "utils/multirangetypes.h"
#include "utils/rangetypes.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"

#include "mentor.h"
#include "core/availability.h"

/*
 * On disk: the windows, then the zone name (canonical spelling, no NUL).
 * Normalized schedules with canonical zones are equal exactly when their
 * bytes are, which is what equality and hashing rely on.
 */
typedef struct AvailabilityData
{
	int32		vl_len_;
	int16		nwindows;
	int16		zone_len;
	int32		minutes[FLEXIBLE_ARRAY_MEMBER];	/* start, end, start, end, ... then zone bytes */
} AvailabilityData;

#define AV_ZONE(p) ((char *) &(p)->minutes[2 * (p)->nwindows])
#define DatumGetAvailabilityP(d) ((AvailabilityData *) PG_DETOAST_DATUM(d))
#define PG_GETARG_AVAILABILITY_P(n) DatumGetAvailabilityP(PG_GETARG_DATUM(n))

/* Day 0 of the core's day numbering: Monday 2000-01-03. */
#define MONDAY_JULIAN (POSTGRES_EPOCH_JDATE + 2)
/* The longest range occurrences() expands: about twenty years. */
#define MAX_DAYS 7400

/* The zone, validated against the tz database; its canonical spelling goes to *canonical. */
static pg_tz *
lookup_zone(const char *zone, const char **canonical)
{
	pg_tz	   *tz = pg_tzset(zone);

	if (tz == NULL || !pg_tz_acceptable(tz))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("time zone \"%s\" is not recognized", zone),
				 errhint("Use an IANA name listed in pg_timezone_names, such as Europe/Berlin.")));
	if (canonical)
		*canonical = pg_get_timezone_name(tz);
	return tz;
}

static AvailabilityData *
pack(const mn_availability *a)
{
	const char *zone;
	size_t		zlen;
	AvailabilityData *p;

	lookup_zone(a->zone, &zone);
	zlen = strlen(zone);
	p = palloc0(offsetof(AvailabilityData, minutes) + sizeof(int32) * 2 * a->nwindows + zlen);
	SET_VARSIZE(p, offsetof(AvailabilityData, minutes) + sizeof(int32) * 2 * a->nwindows + zlen);
	p->nwindows = (int16) a->nwindows;
	p->zone_len = (int16) zlen;
	for (int i = 0; i < a->nwindows; i++)
	{
		p->minutes[2 * i] = a->windows[i].start;
		p->minutes[2 * i + 1] = a->windows[i].end;
	}
	memcpy(AV_ZONE(p), zone, zlen);
	return p;
}

static void
unpack(const AvailabilityData *p, mn_availability *a)
{
	a->nwindows = p->nwindows;
	for (int i = 0; i < p->nwindows; i++)
	{
		a->windows[i].start = p->minutes[2 * i];
		a->windows[i].end = p->minutes[2 * i + 1];
	}
	memcpy(a->zone, AV_ZONE(p), p->zone_len);
	a->zone[p->zone_len] = '\0';
}

PG_FUNCTION_INFO_V1(mn_availability_in);
Datum
mn_availability_in(PG_FUNCTION_ARGS)
{
	char	   *s = PG_GETARG_CSTRING(0);
	mn_availability a;
	size_t		pos;
	const char *problem = mn_av_parse(s, strlen(s), &a, &pos);

	if (problem)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type availability: \"%.200s\"", s),
				 errdetail("At character %zu: %s.", pos + 1, problem),
				 errhint("Write weekly windows and a time zone, like 'Mon 09:00-12:00, Wed 18:00-20:30 @ Europe/Berlin'.")));
	PG_RETURN_POINTER(pack(&a));
}

PG_FUNCTION_INFO_V1(mn_availability_out);
Datum
mn_availability_out(PG_FUNCTION_ARGS)
{
	AvailabilityData *p = PG_GETARG_AVAILABILITY_P(0);
	mn_availability a;
	size_t		need;
	char	   *buf;

	unpack(p, &a);
	need = mn_av_format(&a, NULL, 0);
	buf = palloc(need + 1);
	mn_av_format(&a, buf, need + 1);
	PG_RETURN_CSTRING(buf);
}

PG_FUNCTION_INFO_V1(mn_availability_send);
Datum
mn_availability_send(PG_FUNCTION_ARGS)
{
	AvailabilityData *p = PG_GETARG_AVAILABILITY_P(0);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendint16(&buf, p->nwindows);
	for (int i = 0; i < 2 * p->nwindows; i++)
		pq_sendint32(&buf, p->minutes[i]);
	pq_sendtext(&buf, AV_ZONE(p), p->zone_len);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(mn_availability_recv);
/* Binary input is checked as strictly as text: a schedule in normal form and a known zone. */
Datum
mn_availability_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	mn_availability a;
	int			n = pq_getmsgint(buf, 2);
	const char *zone;
	int			zlen;

	if (n < 0 || n > MN_AV_MAX_WINDOWS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid availability: %d windows (0 to %d)", n, MN_AV_MAX_WINDOWS)));
	a.nwindows = n;
	for (int i = 0; i < n; i++)
	{
		a.windows[i].start = (int32) pq_getmsgint(buf, 4);
		a.windows[i].end = (int32) pq_getmsgint(buf, 4);
		if (a.windows[i].start < (i > 0 ? a.windows[i - 1].end + 1 : 0) || a.windows[i].end <= a.windows[i].start ||
			a.windows[i].end > MN_AV_WEEK_MINUTES)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("invalid availability: window %d is not in normal form", i + 1),
					 errdetail("Windows are sorted, disjoint, not touching, within 0-%d minutes.", MN_AV_WEEK_MINUTES)));
	}
	zone = pq_getmsgtext(buf, buf->len - buf->cursor, &zlen);
	if (mn_av_zone_problem(zone, (size_t) zlen) != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid availability: bad time zone name")));
	memcpy(a.zone, zone, zlen);
	a.zone[zlen] = '\0';
	PG_RETURN_POINTER(pack(&a));
}

PG_FUNCTION_INFO_V1(mn_availability_eq);
Datum
mn_availability_eq(PG_FUNCTION_ARGS)
{
	AvailabilityData *a = PG_GETARG_AVAILABILITY_P(0);
	AvailabilityData *b = PG_GETARG_AVAILABILITY_P(1);

	PG_RETURN_BOOL(VARSIZE(a) == VARSIZE(b) && memcmp(a, b, VARSIZE(a)) == 0);
}

PG_FUNCTION_INFO_V1(mn_availability_ne);
Datum
mn_availability_ne(PG_FUNCTION_ARGS)
{
	return BoolGetDatum(!DatumGetBool(mn_availability_eq(fcinfo)));
}

/*
 * A total order for sorting (DISTINCT, ORDER BY, btree): by zone name, then
 * window by window, an earlier start first, a longer window first, fewer
 * windows first.  It has no meaning beyond being consistent with equality.
 */
static int
availability_cmp(const AvailabilityData *a, const AvailabilityData *b)
{
	int			c = memcmp(AV_ZONE(a), AV_ZONE(b), Min(a->zone_len, b->zone_len));

	if (c != 0 || a->zone_len != b->zone_len)
		return c != 0 ? c : (a->zone_len < b->zone_len ? -1 : 1);
	for (int i = 0; i < 2 * Min(a->nwindows, b->nwindows); i++)
		if (a->minutes[i] != b->minutes[i])
			return (a->minutes[i] < b->minutes[i]) == (i % 2 == 0) ? -1 : 1;
	return a->nwindows < b->nwindows ? -1 : a->nwindows > b->nwindows;
}

PG_FUNCTION_INFO_V1(mn_availability_cmp);
Datum
mn_availability_cmp(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(availability_cmp(PG_GETARG_AVAILABILITY_P(0), PG_GETARG_AVAILABILITY_P(1)));
}

#define AV_COMPARISON(name, test) \
PG_FUNCTION_INFO_V1(name); \
Datum \
name(PG_FUNCTION_ARGS) \
{ \
	int			c = availability_cmp(PG_GETARG_AVAILABILITY_P(0), PG_GETARG_AVAILABILITY_P(1)); \
	PG_RETURN_BOOL(test); \
}
AV_COMPARISON(mn_availability_lt, c < 0)
AV_COMPARISON(mn_availability_le, c <= 0)
AV_COMPARISON(mn_availability_gt, c > 0)
AV_COMPARISON(mn_availability_ge, c >= 0)

PG_FUNCTION_INFO_V1(mn_availability_hash);
Datum
mn_availability_hash(PG_FUNCTION_ARGS)
{
	AvailabilityData *p = PG_GETARG_AVAILABILITY_P(0);

	return hash_any((unsigned char *) VARDATA(p), VARSIZE(p) - VARHDRSZ);
}

/*
 * The core's clock: local minute of a local day in the zone, as a
 * timestamptz.  When the zone keeps one UTC offset over the whole span being
 * expanded (no DST change in it: most weeks of the year), the conversion is
 * plain arithmetic; otherwise every instant asks the zone, which resolves
 * skipped and repeated local times the way PostgreSQL does.  Mentor
 * suggestions expand thousands of schedules per call, hence the fast path.
 */
typedef struct zone_span
{
	pg_tz	   *tz;
	bool		fixed;			/* one offset all through the span */
	int64		offset_usecs;	/* local - UTC, when fixed */
} zone_span;

static int64_t
zone_clock(void *ctx, int64_t day, int32_t minute)
{
	zone_span  *z = (zone_span *) ctx;
	struct pg_tm tm;
	int			offset;
	TimestampTz result;

	if (z->fixed)
		return (day + MONDAY_JULIAN - POSTGRES_EPOCH_JDATE) * USECS_PER_DAY + (int64) minute * USECS_PER_MINUTE -
			z->offset_usecs;
	memset(&tm, 0, sizeof(tm));
	j2date((int) (day + MONDAY_JULIAN), &tm.tm_year, &tm.tm_mon, &tm.tm_mday);
	tm.tm_hour = minute / 60;
	tm.tm_min = minute % 60;
	offset = DetermineTimeZoneOffset(&tm, z->tz);
	if (tm2timestamp(&tm, 0, &offset, &result) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range")));
	return result;
}

/* Whether tz keeps one offset over local days [first, last] (two days of margin), and which. */
static void
zone_span_init(zone_span *z, pg_tz *tz, int64 first, int64 last)
{
	pg_time_t	from = ((first - 2 + MONDAY_JULIAN) - UNIX_EPOCH_JDATE) * SECS_PER_DAY;
	pg_time_t	until = ((last + 2 + MONDAY_JULIAN) - UNIX_EPOCH_JDATE) * SECS_PER_DAY;
	long int	before_gmtoff, after_gmtoff;
	int			before_isdst, after_isdst;
	pg_time_t	boundary;
	int			r;

	z->tz = tz;
	r = pg_next_dst_boundary(&from, &before_gmtoff, &before_isdst, &boundary, &after_gmtoff, &after_isdst, tz);
	z->fixed = r == 0 || (r == 1 && boundary > until);
	z->offset_usecs = (int64) before_gmtoff * USECS_PER_SEC;
}

/* The core's day number of the UTC date of an instant. */
static int64
utc_day(TimestampTz t)
{
	int64		d = t / USECS_PER_DAY;

	if (t < 0 && d * USECS_PER_DAY != t)
		d--;
	return d + POSTGRES_EPOCH_JDATE - MONDAY_JULIAN;
}

/*
 * The zone of a stored schedule.  Stored names were validated on input; the
 * last one is remembered (pg_tz entries live as long as the backend) since
 * a scan over profiles meets the same few zones again and again.
 */
static pg_tz *
stored_zone(const char *zone)
{
	static char last_name[TZ_STRLEN_MAX + 1];
	static pg_tz *last_tz = NULL;

	if (last_tz == NULL || strcmp(zone, last_name) != 0)
	{
		last_tz = lookup_zone(zone, NULL);
		strlcpy(last_name, zone, sizeof(last_name));
	}
	return last_tz;
}

/* The open intervals of a schedule within [lo, hi), in order. */
static mn_interval *
intervals_between(const AvailabilityData *p, TimestampTz lo, TimestampTz hi, int64 *n)
{
	mn_availability a;
	pg_tz	   *tz;
	zone_span	z;
	int64		first, last;
	mn_allocator alloc = mn_palloc_allocator(CurrentMemoryContext);
	mn_interval *v;

	unpack(p, &a);
	tz = stored_zone(a.zone);
	/* local days are within a day of UTC days; one more either side for windows past midnight */
	first = utc_day(lo) - 2;
	last = utc_day(hi) + 2;
	if (last - first > MAX_DAYS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("the range spans %lld days; availability expands at most %d", (long long) (last - first), MAX_DAYS)));
	zone_span_init(&z, tz, first, last);
	v = mn_av_occurrences(&a, first, last, zone_clock, &z, &alloc, n);
	*n = mn_intervals_clip(v, *n, lo, hi);
	return v;
}

/* The half-open [lo, hi) of a tstzrange; false when empty. */
static bool
range_bounds(TypeCacheEntry *typcache, RangeType *r, RangeBound *lower, RangeBound *upper,
			 TimestampTz *lo, TimestampTz *hi, const char *what)
{
	bool		empty;

	range_deserialize(typcache, r, lower, upper, &empty);
	if (empty)
		return false;
	if (lower->infinite || upper->infinite)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s needs a bounded range", what),
				 errhint("Give both ends, e.g. tstzrange(now(), now() + interval '1 month').")));
	*lo = DatumGetTimestampTz(lower->val) + (lower->inclusive ? 0 : 1);
	*hi = DatumGetTimestampTz(upper->val) + (upper->inclusive ? 1 : 0);
	return *lo < *hi;
}

PG_FUNCTION_INFO_V1(mn_availability_occurrences);
/* occurrences(availability, tstzrange) -> tstzmultirange */
Datum
mn_availability_occurrences(PG_FUNCTION_ARGS)
{
	AvailabilityData *p = PG_GETARG_AVAILABILITY_P(0);
	RangeType  *r = PG_GETARG_RANGE_P(1);
	TypeCacheEntry *rtyp = lookup_type_cache(RangeTypeGetOid(r), TYPECACHE_RANGE_INFO);
	Oid			mltrngtypoid = get_range_multirange(RangeTypeGetOid(r));
	RangeBound	lower, upper;
	TimestampTz lo, hi;
	int64		n;
	mn_interval *v;
	RangeType **ranges;

	if (!range_bounds(rtyp, r, &lower, &upper, &lo, &hi, "occurrences"))
		PG_RETURN_POINTER(make_empty_multirange(mltrngtypoid, rtyp));
	v = intervals_between(p, lo, hi, &n);
	ranges = palloc(sizeof(RangeType *) * (n + 1));
	for (int64 i = 0; i < n; i++)
	{
		RangeBound	l = {TimestampTzGetDatum(v[i].lo), false, true, true};
		RangeBound	u = {TimestampTzGetDatum(v[i].hi), false, false, false};

		ranges[i] = make_range(rtyp, &l, &u, false);
	}
	PG_RETURN_POINTER(make_multirange(mltrngtypoid, rtyp, (int32) n, ranges));
}

PG_FUNCTION_INFO_V1(mn_availability_contains_range);
/* availability @> tstzrange: open for the whole range (an empty range is always covered). */
Datum
mn_availability_contains_range(PG_FUNCTION_ARGS)
{
	AvailabilityData *p = PG_GETARG_AVAILABILITY_P(0);
	RangeType  *r = PG_GETARG_RANGE_P(1);
	TypeCacheEntry *rtyp = lookup_type_cache(RangeTypeGetOid(r), TYPECACHE_RANGE_INFO);
	RangeBound	lower, upper;
	TimestampTz lo, hi;
	int64		n;
	mn_interval *v;

	if (!range_bounds(rtyp, r, &lower, &upper, &lo, &hi, "availability @> tstzrange"))
		PG_RETURN_BOOL(true);
	v = intervals_between(p, lo, hi, &n);
	PG_RETURN_BOOL(n == 1 && v[0].lo == lo && v[0].hi == hi);
}

/*
 * One schedule's intervals in one week, kept across calls of a query, one
 * slot per argument: a mentee's availability is compared with thousands of
 * mentors' in a suggestion, and expanding it again each time would double
 * the work.  A slot holds the last value its argument had; buffers are
 * reused, so a scan does not grow memory.
 */
typedef struct week_slot
{
	TimestampTz lo;
	Size		len;			/* 0: empty */
	Size		bytes_size, v_size;
	char	   *bytes;			/* the availability value, as stored */
	mn_interval *v;
	int64		n;
} week_slot;

static mn_interval *
week_intervals(FunctionCallInfo fcinfo, int argno, const AvailabilityData *p, TimestampTz lo, int64 *n)
{
	week_slot  *slot = fcinfo->flinfo->fn_extra;
	Size		len = VARSIZE(p);
	mn_interval *v;

	if (slot == NULL)
	{
		slot = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(week_slot) * 2);
		fcinfo->flinfo->fn_extra = slot;
	}
	slot += argno;
	if (slot->len == len && slot->lo == lo && memcmp(slot->bytes, p, len) == 0)
	{
		*n = slot->n;
		return slot->v;
	}
	v = intervals_between(p, lo, lo + (TimestampTz) 7 * USECS_PER_DAY, n);
	if (slot->bytes_size < len)
	{
		slot->bytes = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, len);
		slot->bytes_size = len;
	}
	if (slot->v_size < (Size) (*n + 1))
	{
		slot->v = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(mn_interval) * (*n + 1));
		slot->v_size = *n + 1;
	}
	memcpy(slot->bytes, p, len);
	memcpy(slot->v, v, sizeof(mn_interval) * *n);
	slot->n = *n;
	slot->lo = lo;
	slot->len = len;
	return v;
}

PG_FUNCTION_INFO_V1(mn_availability_overlap_minutes);
/* overlap_minutes(a, b, week_start timestamptz): minutes both are open in [week_start, +7 days). */
Datum
mn_availability_overlap_minutes(PG_FUNCTION_ARGS)
{
	AvailabilityData *a = PG_GETARG_AVAILABILITY_P(0);
	AvailabilityData *b = PG_GETARG_AVAILABILITY_P(1);
	TimestampTz lo = PG_GETARG_TIMESTAMPTZ(2);
	int64		na, nb;
	mn_interval *va, *vb;

	if (TIMESTAMP_NOT_FINITE(lo))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("week_start must be finite")));
	va = week_intervals(fcinfo, 0, a, lo, &na);
	vb = week_intervals(fcinfo, 1, b, lo, &nb);
	PG_RETURN_INT32((int32) (mn_intervals_overlap(va, na, vb, nb) / USECS_PER_MINUTE));
}
