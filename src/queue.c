/*
 * queue.c - the work-queue mechanism (15_queue.sql): claims and lease checks
 * for any queue table of the extension.
 *
 * The statements depend on the queue's name, its status names and the
 * column a claim is scoped by, so they are built as text; in PL/pgSQL that
 * meant planning them on every call, which cost more than the work.  Here
 * each distinct statement is planned once per backend and kept (the plan
 * cache revalidates it after DDL), so a claim or a report costs what its
 * UPDATE or SELECT costs.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "mentor.h"
#include "mentor_errcodes.h"

#define QUEUE_SQL_MAX 1024

typedef struct QueuePlan
{
	char		sql[QUEUE_SQL_MAX];	/* hash key: the statement itself */
	SPIPlanPtr	plan;
} QueuePlan;

static HTAB *queue_plans = NULL;

/*
 * The kept plan of sql (built on first use); sql must be shorter than
 * QUEUE_SQL_MAX.  Claims leave the plan cache its choice (options 0): a
 * generic plan cannot know the LIMIT and may sort the whole queue.
 */
static SPIPlanPtr
queue_plan(const char *sql, int nargs, Oid *argtypes, int options)
{
	QueuePlan  *entry;
	bool		found;
	char		key[QUEUE_SQL_MAX];

	if (strlen(sql) >= QUEUE_SQL_MAX)
		elog(ERROR, "queue statement too long");
	if (queue_plans == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = QUEUE_SQL_MAX;
		ctl.entrysize = sizeof(QueuePlan);
		queue_plans = hash_create("mentor queue plans", 16, &ctl, HASH_ELEM | HASH_STRINGS);
	}
	memset(key, 0, sizeof(key));
	strlcpy(key, sql, sizeof(key));
	entry = hash_search(queue_plans, key, HASH_ENTER, &found);
	if (!found)
		entry->plan = NULL;
	if (entry->plan == NULL)
		entry->plan = mn_keep_plan(sql, nargs, argtypes, options);
	return entry->plan;
}

/* The queue's status column type, for casting the status names. */
static char *
status_type(Oid queue)
{
	AttrNumber	att = get_attnum(queue, "status");

	if (att == InvalidAttrNumber)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s is not a work queue: it has no status column", get_rel_name(queue))));
	return format_type_be(get_atttype(queue, att));
}

static char *
arg_text(FunctionCallInfo fcinfo, int n)
{
	return PG_ARGISNULL(n) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(n));
}

PG_FUNCTION_INFO_V1(mn_queue_claim);

/*
 * _queue_claim(queue regclass, ready, leased, dead, worker text, n integer,
 * lease interval, max_attempts integer, scope_column name, scope_value text,
 * also_leased text) -> SETOF bigint.  First puts expired leases back (or to
 * dead after the last attempt), then leases up to n of the oldest due ready
 * rows to worker.  also_leased names a second status a lease may be in (a
 * submission being compiled, then run), whose expiry counts the same.
 */
Datum
mn_queue_claim(PG_FUNCTION_ARGS)
{
	Oid			queue = PG_GETARG_OID(0);
	char	   *ready = arg_text(fcinfo, 1);
	char	   *leased = arg_text(fcinfo, 2);
	char	   *dead = arg_text(fcinfo, 3);
	char	   *worker = arg_text(fcinfo, 4);
	bool		has_n = !PG_ARGISNULL(5);
	int32		n = has_n ? PG_GETARG_INT32(5) : 0;
	Interval   *lease = PG_ARGISNULL(6) ? NULL : PG_GETARG_INTERVAL_P(6);
	int32		max_attempts = PG_ARGISNULL(7) ? 1 : PG_GETARG_INT32(7);
	char	   *scope_col = PG_ARGISNULL(8) ? NULL : NameStr(*PG_GETARG_NAME(8));
	char	   *scope_val = arg_text(fcinfo, 9);
	char	   *also = PG_NARGS() > 10 ? arg_text(fcinfo, 10) : NULL;
	char	   *held;
	Interval	day = {0, 1, 0};
	Interval	zero = {0, 0, 0};
	char	   *qname,
			   *stype;
	StringInfoData sql;
	char		scope[NAMEDATALEN + 32] = "";
	Oid			expire_types[3] = {INT4OID, INT4OID, TEXTOID};
	Oid			claim_types[4] = {TEXTOID, INTERVALOID, INT4OID, TEXTOID};
	Datum		args[4];
	char		nulls[4] = {' ', ' ', ' ', ' '};
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	TupleDesc	desc;
	Tuplestorestate *store;
	MemoryContext old;
	uint64		i;
	int			rc;

	if (ready == NULL || leased == NULL || dead == NULL)
		elog(ERROR, "_queue_claim needs the ready, leased and dead status names");
	if (worker == NULL || strlen(worker) < 1 || strlen(worker) > 200 || strspn(worker, " \t\r\n") == strlen(worker))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a worker name of 1 to 200 characters is required, not %s",
						worker == NULL ? "NULL" : quote_literal_cstr(worker)),
				 errhint("Name each worker process uniquely, for example host:pid; it is recorded as the lease owner.")));
	if (!has_n || n < 1 || n > 10000)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a claim takes 1 to 10000 rows, not %s", has_n ? psprintf("%d", n) : "NULL")));
	if (lease == NULL
		|| DatumGetInt32(DirectFunctionCall2(interval_cmp, IntervalPGetDatum(lease), IntervalPGetDatum(&zero))) <= 0
		|| DatumGetInt32(DirectFunctionCall2(interval_cmp, IntervalPGetDatum(lease), IntervalPGetDatum(&day))) > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a lease lasts more than 0 and at most 1 day, not %s",
						lease == NULL ? "NULL" : DatumGetCString(DirectFunctionCall1(interval_out, IntervalPGetDatum(lease)))),
				 errhint("Take a lease a little longer than one delivery can take, for example interval '1 minute'.")));
	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) || !(rsinfo->allowedModes & SFRM_Materialize))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("set-valued function called in context that cannot accept a set")));

	qname = psprintf("%s.%s", quote_identifier(get_namespace_name(get_rel_namespace(queue))),
					 quote_identifier(get_rel_name(queue)));
	stype = status_type(queue);
	held = also == NULL ? psprintf("= %s::%s", quote_literal_cstr(leased), stype)
		: psprintf("IN (%s::%s, %s::%s)", quote_literal_cstr(leased), stype, quote_literal_cstr(also), stype);
	if (scope_col != NULL)
		snprintf(scope, sizeof(scope), " AND q.%s::text = $%d", quote_identifier(scope_col), 3);

	SPI_connect();
	/* Expired leases: back to the queue, or to dead after the last attempt. */
	initStringInfo(&sql);
	appendStringInfo(&sql,
					 "UPDATE %s q SET status = CASE WHEN q.attempts >= $1 THEN %s::%s ELSE %s::%s END,"
					 " lease_owner = NULL, lease_until = NULL,"
					 " last_error = concat_ws('; ', q.last_error, 'lease of ' || q.lease_owner || ' expired')"
					 " WHERE q.id IN (SELECT q.id FROM %s q WHERE q.status %s AND q.lease_until < now()%s"
					 " ORDER BY q.lease_until LIMIT $2 FOR UPDATE SKIP LOCKED)",
					 qname, quote_literal_cstr(dead), stype, quote_literal_cstr(ready), stype,
					 qname, held, scope);
	args[0] = Int32GetDatum(max_attempts);
	args[1] = Int32GetDatum(n);
	args[2] = scope_val ? CStringGetTextDatum(scope_val) : (Datum) 0;
	nulls[2] = scope_val ? ' ' : 'n';
	rc = SPI_execute_plan(queue_plan(sql.data, scope_col ? 3 : 2, expire_types, 0), args, nulls, false, 0);
	if (rc != SPI_OK_UPDATE)
		elog(ERROR, "queue expiry failed: %s", SPI_result_code_string(rc));

	/* The claim. */
	resetStringInfo(&sql);
	if (scope_col != NULL)
		snprintf(scope, sizeof(scope), " AND q.%s::text = $%d", quote_identifier(scope_col), 4);
	appendStringInfo(&sql,
					 "UPDATE %s q SET status = %s::%s, lease_owner = $1, lease_until = now() + $2,"
					 " attempts = q.attempts + 1"
					 " WHERE q.id IN (SELECT q.id FROM %s q WHERE q.status = %s::%s AND q.available_at <= now()%s"
					 " ORDER BY q.available_at, q.id LIMIT $3 FOR UPDATE SKIP LOCKED)"
					 " RETURNING q.id",
					 qname, quote_literal_cstr(leased), stype, qname, quote_literal_cstr(ready), stype, scope);
	args[0] = CStringGetTextDatum(worker);
	args[1] = IntervalPGetDatum(lease);
	args[2] = Int32GetDatum(n);
	nulls[2] = ' ';
	args[3] = scope_val ? CStringGetTextDatum(scope_val) : (Datum) 0;
	nulls[3] = scope_val ? ' ' : 'n';
	rc = SPI_execute_plan(queue_plan(sql.data, scope_col ? 4 : 3, claim_types, 0), args, nulls, false, 0);
	if (rc != SPI_OK_UPDATE_RETURNING)
		elog(ERROR, "queue claim failed: %s", SPI_result_code_string(rc));

	old = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	desc = CreateTemplateTupleDesc(1);
	TupleDescInitEntry(desc, 1, "id", INT8OID, -1, 0);
	store = tuplestore_begin_heap(true, false, work_mem);
	MemoryContextSwitchTo(old);
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		Datum		id = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull);

		tuplestore_putvalues(store, desc, &id, &isnull);
	}
	SPI_finish();
	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = store;
	rsinfo->setDesc = desc;
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(mn_queue_hold);

/*
 * _queue_hold(queue regclass, what text, id bigint, worker text, leased text,
 * also_leased text) -> integer: locks the row for its report and returns its
 * attempts so far.
 * P0002 if missing, MN006 if not leased, MN005 if another worker holds it,
 * MN008 if the lease ran out.
 */
Datum
mn_queue_hold(PG_FUNCTION_ARGS)
{
	Oid			queue = PG_GETARG_OID(0);
	char	   *what = arg_text(fcinfo, 1);
	int64		id = PG_ARGISNULL(2) ? 0 : PG_GETARG_INT64(2);
	char	   *worker = arg_text(fcinfo, 3);
	char	   *leased = arg_text(fcinfo, 4);
	char	   *also = PG_NARGS() > 5 ? arg_text(fcinfo, 5) : NULL;
	char	   *sql;
	Oid			types[1] = {INT8OID};
	Datum		args[1];
	char	   *status,
			   *owner,
			   *until;
	bool		expired,
				isnull;
	int32		attempts;
	int			rc;

	if (what == NULL || leased == NULL)
		elog(ERROR, "_queue_hold needs the row's kind and the leased status");
	sql = psprintf("SELECT q.status::text, q.lease_owner, q.lease_until < now(), q.attempts, q.lease_until::text"
				   " FROM %s.%s q WHERE q.id = $1 FOR UPDATE",
				   quote_identifier(get_namespace_name(get_rel_namespace(queue))),
				   quote_identifier(get_rel_name(queue)));
	args[0] = Int64GetDatum(id);
	SPI_connect();
	rc = SPI_execute_plan(queue_plan(sql, 1, types, CURSOR_OPT_GENERIC_PLAN), args, PG_ARGISNULL(2) ? "n" : " ", false, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "queue lookup failed: %s", SPI_result_code_string(rc));
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("%s %s does not exist", what, PG_ARGISNULL(2) ? "NULL" : psprintf(INT64_FORMAT, id))));
	status = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	owner = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
	expired = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull)) && !isnull;
	attempts = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 4, &isnull));
	until = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 5);
	if (strcmp(status, leased) != 0 && (also == NULL || strcmp(status, also) != 0))
		ereport(ERROR,
				(errcode(ERRCODE_MN_WRONG_STATE),
				 errmsg("%s " INT64_FORMAT " is %s, not %s", what, id, status,
						also ? psprintf("%s or %s", leased, also) : leased),
				 errdetail("Only a leased %s can be reported on; its lease holder was %s.", what,
						   owner ? owner : "nobody"),
				 errhint("Claim it again if it is back in the queue; a row already done stays done.")));
	if (owner == NULL || worker == NULL || strcmp(owner, worker) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_MN_NOT_PARTICIPANT),
				 errmsg("%s " INT64_FORMAT " is leased to %s, not to %s", what, id, owner ? owner : "nobody",
						worker ? worker : "NULL"),
				 errdetail("Another worker claimed it after this worker's lease ran out, or never had it."),
				 errhint("Drop the result: the lease holder reports this one.")));
	if (expired)
		ereport(ERROR,
				(errcode(ERRCODE_MN_EXPIRED),
				 errmsg("the lease of %s " INT64_FORMAT " by %s ran out at %s", what, id, worker, until),
				 errhint("Take leases longer than a delivery takes; this one goes back to the queue at the next claim.")));
	SPI_finish();
	PG_RETURN_INT32(attempts);
}
