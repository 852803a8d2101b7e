/*
 * actor.c - the acting user of the current transaction.
 *
 * Owns the GUC mentor.actor_id, mentor.set_actor() and mentor.current_actor().
 * The GUC is how the value travels (SHOW, parallel workers, history), but only
 * set_actor may put a user into it, and only transaction-locally: a
 * session-level SET on a pooled connection would otherwise make the next
 * request, which never called set_actor, act as that user and pass its
 * row-level security.  The check hook refuses every other way of setting a
 * user (SET, SET LOCAL, set_config, ALTER ROLE ... SET, a function's SET
 * clause); clearing it ('' or RESET) is always allowed.
 */
#include "postgres.h"

#include <limits.h>

#include "access/parallel.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/guc.h"

#include "mentor.h"
#include "mentor_errcodes.h"

static char *actor_guc = NULL;

/* True only while set_actor itself assigns the GUC. */
static bool actor_from_set_actor = false;

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

	if (!parse_actor(*newval, &v, &present))
	{
		GUC_check_errcode(ERRCODE_INVALID_PARAMETER_VALUE);
		GUC_check_errdetail("mentor.actor_id must be empty or the positive id of a user, not \"%s\".", *newval);
		GUC_check_errhint("Call mentor.set_actor(user_id) instead of setting it directly.");
		return false;
	}
	/* A parallel worker receives the leader's value, which set_actor set. */
	if (present && !actor_from_set_actor && !InitializingParallelWorker)
	{
		GUC_check_errcode(ERRCODE_INSUFFICIENT_PRIVILEGE);
		GUC_check_errmsg("mentor.actor_id can only be set by mentor.set_actor()");
		GUC_check_errdetail("Setting it directly (SET, set_config, ALTER ROLE ... SET) could make it outlive the request "
							"that set it on a pooled connection.");
		GUC_check_errhint("Call SELECT mentor.set_actor(user_id) inside the request's transaction.");
		return false;
	}
	return true;
}

void
mn_actor_init(void)
{
	DefineCustomStringVariable("mentor.actor_id",
							   "Id of the user acting in this transaction (set by mentor.set_actor).",
							   "Read by mentor.current_actor(), history and row-level security; only mentor.set_actor() sets it.",
							   &actor_guc, "", PGC_USERSET, 0,
							   check_actor, NULL, NULL);
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

/* Whether users.id = id exists, read with the caller's rights. */
static bool
user_exists(int64 id)
{
	static SPIPlanPtr plan = NULL;
	Datum		arg = Int64GetDatum(id);
	bool		found;
	int			rc;

	SPI_connect();
	if (plan == NULL)
	{
		Oid			argtype = INT8OID;

		plan = mn_keep_plan("SELECT 1 FROM mentor.users WHERE id = $1", 1, &argtype, 0);
	}
	rc = SPI_execute_plan(plan, &arg, NULL, true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "looking up user " INT64_FORMAT " failed: %s", id, SPI_result_code_string(rc));
	found = SPI_processed > 0;
	SPI_finish();
	return found;
}

PG_FUNCTION_INFO_V1(mn_set_actor);
/*
 * mentor.set_actor(user_id bigint) -> bigint: the acting user for the rest of
 * the current transaction (NULL clears it).
 */
Datum
mn_set_actor(PG_FUNCTION_ARGS)
{
	char	   *volatile value = "";

	if (!PG_ARGISNULL(0))
	{
		int64		id = PG_GETARG_INT64(0);

		if (id <= 0 || !user_exists(id))
			ereport(ERROR,
					(errcode(ERRCODE_NO_DATA_FOUND),
					 errmsg("user " INT64_FORMAT " does not exist", id),
					 errhint("Pass the id of a row of mentor.users, or NULL to clear the actor.")));
		value = psprintf(INT64_FORMAT, id);
	}
	if (!IsTransactionBlock())
		ereport(WARNING,
				(errcode(ERRCODE_WARNING),
				 errmsg("mentor.set_actor() outside a transaction block lasts only this statement"),
				 errhint("Call it after BEGIN, in the transaction that does the user's work.")));
	actor_from_set_actor = true;
	PG_TRY();
	{
		(void) set_config_option("mentor.actor_id", value, PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_LOCAL, true, 0, false);
	}
	PG_FINALLY();
	{
		actor_from_set_actor = false;
	}
	PG_END_TRY();
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	PG_RETURN_INT64(PG_GETARG_INT64(0));
}
