/*
 * mentor.c - module entry point and the acting user.
 *
 * Owns _PG_init (GUCs and cache callbacks of the other modules) and the
 * transaction-local acting user that history and row-level security read.
 * mentor.set_actor() (SQL, identity module) checks that the user exists and
 * sets the GUC with is_local = true, so the actor ends with the transaction.
 */
#include "postgres.h"

#include <limits.h>

#include "fmgr.h"
#include "utils/guc.h"

#include "mentor.h"
#include "mentor_errcodes.h"
#include "history.h"
#include "direct.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

static char *actor_guc = NULL;
static char *score_source_guc = NULL;

/* Parses "" (no actor) or a positive bigint; false for anything else. */
static bool
parse_actor(const char *s, int64 *out, bool *present)
{
	char	   *end;
	long long	v;

	*present = false;
	if (s == NULL || s[0] == '\0')
		return true;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v <= 0)
		return false;
	*out = (int64) v;
	*present = true;
	return true;
}

static bool
check_actor(char **newval, void **extra, GucSource source)
{
	int64		v;
	bool		present;

	if (parse_actor(*newval, &v, &present))
		return true;
	GUC_check_errcode(ERRCODE_INVALID_PARAMETER_VALUE);
	GUC_check_errdetail("mentor.actor_id must be empty or the positive id of a user, not \"%s\".", *newval);
	GUC_check_errhint("Call mentor.set_actor(user_id) instead of setting it directly.");
	return false;
}

void
_PG_init(void)
{
	DefineCustomStringVariable("mentor.actor_id",
							   "Id of the user acting in this transaction (set by mentor.set_actor).",
							   "Read by mentor.current_actor(), history and row-level security.",
							   &actor_guc, "", PGC_USERSET, 0,
							   check_actor, NULL, NULL);
	/* set transaction-locally by the functions that write scores in bulk */
	DefineCustomStringVariable("mentor.score_source",
							   "What is writing task scores in this transaction (crosscheck:<method>, review...).",
							   "Recorded in historical_scores as \"source\"; set by the extension's functions.",
							   &score_source_guc, "", PGC_USERSET, GUC_NOT_IN_SAMPLE | GUC_NO_SHOW_ALL,
							   NULL, NULL, NULL);

#if PG_VERSION_NUM >= 150000
	MarkGUCPrefixReserved("mentor");
#else
	EmitWarningsOnPlaceholders("mentor");
#endif
	mn_direct_init();
	mn_lifecycle_init();
	mn_history_init();
}

bool
mn_current_actor(int64 *actor)
{
	bool		present;

	return parse_actor(actor_guc, actor, &present) && present;
}

PG_FUNCTION_INFO_V1(mn_current_actor_sql);
/* mentor.current_actor() -> bigint: the acting user, NULL when unset. */
Datum
mn_current_actor_sql(PG_FUNCTION_ARGS)
{
	int64		actor;

	if (!mn_current_actor(&actor))
		PG_RETURN_NULL();
	PG_RETURN_INT64(actor);
}
