/*
 * domains.c - validators behind the shared domains (email, slug, time zone,
 * bounded integers).
 *
 * A plain domain CHECK fails with "value for domain ... violates check
 * constraint", which never shows the value.  These functions raise the error
 * themselves, with the offending value in the message and the rule in the
 * hint, and return true otherwise, so CHECK (mentor.check_email(VALUE)) keeps
 * SQLSTATE 23514 (check_violation) but says what was wrong.
 */
#include "postgres.h"

#include "fmgr.h"
#include "pgtime.h"
#include "utils/builtins.h"

#include "mentor.h"
#include "core/validate.h"

/* Raises 23514 for a value that a core check found a problem with. */
static void
reject_value(const char *problem, const char *what, text *value, const char *hint)
{
	if (problem)
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("invalid %s \"%s\"", what, text_to_cstring(value)),
				 errdetail("In \"%s\", %s.", text_to_cstring(value), problem),
				 errhint("%s", hint)));
}

PG_FUNCTION_INFO_V1(mn_check_email);
/* mentor.check_email(text) -> true, or 23514 naming the address and what is wrong with it. */
Datum
mn_check_email(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);

	reject_value(mn_email_problem(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t)), "email address", t,
				 "Use an address of the form name@example.com.");
	PG_RETURN_BOOL(true);
}

PG_FUNCTION_INFO_V1(mn_check_slug);
/* mentor.check_slug(text) -> true, or 23514 naming the slug. */
Datum
mn_check_slug(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);

	reject_value(mn_slug_problem(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t)), "slug", t,
				 "Use lower-case words joined by hyphens, as in \"machine-learning\".");
	PG_RETURN_BOOL(true);
}

/* Characters of IANA zone names; keeps paths and POSIX rule strings out. */
static bool
plausible_zone_name(const char *s)
{
	const char *p;

	if (!((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z')))
		return false;
	if (strlen(s) > 64 || strstr(s, "//") != NULL)
		return false;
	for (p = s; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
			  (*p >= '0' && *p <= '9') || *p == '_' || *p == '+' || *p == '-' || *p == '/'))
			return false;
	return s[strlen(s) - 1] != '/';
}

PG_FUNCTION_INFO_V1(mn_check_time_zone);
/*
 * mentor.check_time_zone(text) -> true, or 23514.  A name is accepted when
 * PostgreSQL's time zone library loads it under exactly that spelling, which
 * is the set pg_timezone_names lists, without scanning that view per row.
 */
Datum
mn_check_time_zone(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	pg_tz	   *tz = plausible_zone_name(name) ? pg_tzset(name) : NULL;
	const char *canonical = tz ? pg_get_timezone_name(tz) : NULL;

	if (canonical == NULL || strcmp(canonical, name) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("unknown time zone \"%s\"", name),
				 canonical ? errdetail("Time zone names are case-sensitive; the canonical spelling is \"%s\".", canonical)
				 : errdetail("\"%s\" is not a name listed in pg_timezone_names.", name),
				 errhint("Use an IANA name such as \"Europe/Berlin\", \"America/New_York\" or \"UTC\".")));
	PG_RETURN_BOOL(true);
}

PG_FUNCTION_INFO_V1(mn_check_int_range);
/* mentor.check_int_range(value, lo, hi, what) -> true, or 23514 naming the value and the range. */
Datum
mn_check_int_range(PG_FUNCTION_ARGS)
{
	int64		v = PG_GETARG_INT64(0);
	int64		lo = PG_GETARG_INT64(1);
	int64		hi = PG_GETARG_INT64(2);
	char	   *what = text_to_cstring(PG_GETARG_TEXT_PP(3));

	if (v < lo || v > hi)
	{
		if (hi == PG_INT64_MAX)
			ereport(ERROR,
					(errcode(ERRCODE_CHECK_VIOLATION),
					 errmsg("%s " INT64_FORMAT " is out of range", what, v),
					 errdetail("A %s must be at least " INT64_FORMAT ".", what, lo)));
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("%s " INT64_FORMAT " is out of range", what, v),
				 errdetail("A %s must be between " INT64_FORMAT " and " INT64_FORMAT ".", what, lo, hi)));
	}
	PG_RETURN_BOOL(true);
}
