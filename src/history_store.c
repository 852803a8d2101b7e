/*
 * history_store.c - writing history rows, and guarding them.
 *
 * Rows go into mentor.history_log by a direct heap insert plus index
 * inserts (direct.c), not through SPI: on the hot path of every audited write
 * that is several times cheaper than executing an INSERT plan.
 *
 * A statement's rows (when it touched more than one) are written together at
 * its end, by one heap_multi_insert: the executor and utility hooks below end every
 * statement with a flush, so rows are buffered only while one of them runs
 * (elsewhere, say at the first statement of a backend that loads the library
 * inside it, rows are written at once).  Rows buffered in one subtransaction
 * are flushed only from it and dropped if it aborts; a row written in a
 * child while its parent's rows wait is written at once, so no row ever
 * lands under the wrong subtransaction.
 *
 * Who acted (mentor.current_actor(), the session user, application_name) is
 * stored once per distinct combination in mentor.history_contexts and
 * referenced by a 4-byte id; the backend remembers the last combination it
 * used, and forgets it on (sub)transaction abort, since the row that created
 * it may have been rolled back.
 *
 * The log is append-only: a statement trigger rejects UPDATE, DELETE and
 * TRUNCATE unless mentor.prune_history() is running in this backend.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/heapam.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/index.h"
#include "catalog/namespace.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/xid8.h"

#include "mentor.h"
#include "history.h"
#include "direct.h"

/* Writers of mentor.history_log or, when it is partitioned, of the partition each row goes to. */
static MnDirectRel log_writer = {.relname = NULL, .natts = 8};
static MnDirectRel batch_writer = {.relname = NULL, .natts = 8};

/* The last context used; ctx_id 0 = none cached. */
static int32 ctx_id = 0;
static int64 ctx_actor;
static Oid	ctx_user;
static char ctx_app[NAMEDATALEN];

static bool pruning = false;

/* The statement's rows waiting for its end, in a context of their own, emptied after each flush. */
#define MN_HISTORY_BATCH 1000
static HeapTuple pending[MN_HISTORY_BATCH];
static int	npending = 0;
static SubTransactionId pending_subxact = InvalidSubTransactionId;
static Oid	pending_target = InvalidOid;	/* the one relation the waiting rows go to */
static MemoryContext pending_cxt = NULL;
static int	hook_depth = 0;		/* statements running under our hooks, which flush at their end */
static bool batch_rows = false;	/* the innermost of them touched more than one row */

static ExecutorFinish_hook_type prev_executor_finish = NULL;
static ProcessUtility_hook_type prev_process_utility = NULL;

static void
drop_pending(void)
{
	npending = 0;
	if (pending_cxt)
		MemoryContextReset(pending_cxt);
}

/* Writes the waiting rows, if they belong to the current subtransaction. */
static void
flush_pending(void)
{
	int			n = npending;

	if (n == 0 || GetCurrentSubTransactionId() != pending_subxact)
		return;
	npending = 0;				/* an error below aborts the (sub)transaction: nothing to retry */
	mn_direct_retarget(&batch_writer, pending_target);
	mn_direct_open(&batch_writer);
	mn_direct_insert_batch(&batch_writer, pending, n);
	mn_direct_close(&batch_writer);
	MemoryContextReset(pending_cxt);
}

static void
store_xact_cb(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
		case XACT_EVENT_PRE_PREPARE:
			flush_pending();	/* nothing should be left; never lose a row if it is */
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
			ctx_id = 0;
			/* fall through */
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PREPARE:
			drop_pending();
			hook_depth = 0;
			batch_rows = false;
			break;
		default:
			break;
	}
}

static void
store_subxact_cb(SubXactEvent event, SubTransactionId mySubid,
				 SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB)
	{
		ctx_id = 0;
		if (npending > 0 && pending_subxact == mySubid)
			drop_pending();
	}
	else if (event == SUBXACT_EVENT_COMMIT_SUB && pending_subxact == mySubid)
		pending_subxact = parentSubid;
}

/* Every statement run by the executor ends with its history rows written. */
static void
history_executor_finish(QueryDesc *queryDesc)
{
	bool		outer_batch_rows = batch_rows;

	/*
	 * The row triggers of a statement fire in here, after it ran: a statement
	 * of one row writes its history row at once (a batch of one would cost
	 * it a second open of the partition), one of many batches them.
	 */
	batch_rows = queryDesc->estate == NULL || queryDesc->estate->es_processed > 1;
	hook_depth++;
	PG_TRY();
	{
		if (prev_executor_finish)
			prev_executor_finish(queryDesc);
		else
			standard_ExecutorFinish(queryDesc);
	}
	PG_FINALLY();
	{
		hook_depth--;
		batch_rows = outer_batch_rows;
	}
	PG_END_TRY();
	flush_pending();
}

/* And so does every utility statement (COPY fires the row triggers itself). */
static void
history_process_utility(PlannedStmt *pstmt, const char *queryString, bool readOnlyTree,
						ProcessUtilityContext context, ParamListInfo params,
						QueryEnvironment *queryEnv, DestReceiver *dest, QueryCompletion *qc)
{
	bool		outer_batch_rows = batch_rows;

	batch_rows = true;
	hook_depth++;
	PG_TRY();
	{
		if (prev_process_utility)
			prev_process_utility(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc);
		else
			standard_ProcessUtility(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc);
	}
	PG_FINALLY();
	{
		hook_depth--;
		batch_rows = outer_batch_rows;
	}
	PG_END_TRY();
	flush_pending();
}

void
mn_history_store_init(void)
{
	RegisterXactCallback(store_xact_cb, NULL);
	RegisterSubXactCallback(store_subxact_cb, NULL);
	prev_executor_finish = ExecutorFinish_hook;
	ExecutorFinish_hook = history_executor_finish;
	prev_process_utility = ProcessUtility_hook;
	ProcessUtility_hook = history_process_utility;
}

/* The id of (actor, session user, application_name) in mentor.history_contexts. */
int32
mn_history_context(void)
{
	int64		actor = 0;
	Oid			user = GetSessionUserId();
	const char *app = application_name ? application_name : "";
	Oid			types[3] = {INT8OID, TEXTOID, TEXTOID};
	Datum		values[3];
	bool		isnull;
	int			ret;

	mn_current_actor(&actor);
	if (ctx_id != 0 && ctx_actor == actor && ctx_user == user && strlen(app) < NAMEDATALEN && strcmp(ctx_app, app) == 0)
		return ctx_id;

	values[0] = Int64GetDatum(actor);
	values[1] = CStringGetTextDatum(GetUserNameFromId(user, false));
	values[2] = CStringGetTextDatum(app);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/* SECURITY DEFINER: the acting role need not have rights on the contexts table. */
	ret = SPI_execute_with_args("SELECT mentor._history_context_id($1, $2, $3)",
								3, types, values, NULL, false, 1);
	if (ret != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "recording the history context failed: %s", SPI_result_code_string(ret));
	ctx_id = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();
	ctx_actor = actor;
	ctx_user = user;
	strlcpy(ctx_app, app, NAMEDATALEN);
	return ctx_id;
}

/*
 * Appends one row to mentor.history_log (the partition for its time): at the
 * end of the running statement when a hook will flush it, else at once.
 */
void
mn_history_write(TimestampTz at, int32 ctx, int16 table_id, char op, MnHistKey key, text *changes)
{
	Relation	rel;
	Oid			target;
	Datum		values[8];
	bool		nulls[8] = {false};
	HeapTuple	tuple;
	SubTransactionId subxact = GetCurrentSubTransactionId();
	bool		batch;

	/* Opening the partition processes invalidations: a partition list that changed meanwhile is routed again. */
	for (;;)
	{
		target = mn_history_target(at);
		if (!OidIsValid(target))
			return;
		mn_direct_retarget(&log_writer, target);
		rel = mn_direct_open(&log_writer);
		if (mn_history_target_still_valid())
			break;
		mn_direct_close(&log_writer);
	}

	/* Column order of mentor.history_log: at, txid, row_id, context_id, table_id, op, row_key, changes. */
	values[0] = TimestampTzGetDatum(at);
	values[1] = FullTransactionIdGetDatum(GetTopFullTransactionId());
	values[2] = Int64GetDatum(key.id);
	nulls[2] = key.text != NULL;
	values[3] = Int32GetDatum(ctx);
	values[4] = Int16GetDatum(table_id);
	values[5] = CharGetDatum(op);
	values[6] = PointerGetDatum(key.text);
	nulls[6] = key.text == NULL;
	values[7] = PointerGetDatum(changes);
	nulls[7] = changes == NULL;

	batch = hook_depth > 0 && batch_rows && (npending == 0 || pending_subxact == subxact);
	if (batch)
	{
		MemoryContext old;

		/* A batch goes to one partition: a row for another (a boundary crossed) sends the batch first. */
		if (npending > 0 && pending_target != target)
			flush_pending();
		/* Kept for the backend's life: making one per transaction costs a single-row write a microsecond. */
		if (pending_cxt == NULL)
			pending_cxt = AllocSetContextCreate(TopMemoryContext, "mentor history batch", ALLOCSET_DEFAULT_SIZES);
		old = MemoryContextSwitchTo(pending_cxt);
		pending[npending++] = heap_form_tuple(RelationGetDescr(rel), values, nulls);
		MemoryContextSwitchTo(old);
		pending_subxact = subxact;
		pending_target = target;
		mn_direct_close(&log_writer);
		if (npending == MN_HISTORY_BATCH)
			flush_pending();
		return;
	}
	tuple = heap_form_tuple(RelationGetDescr(rel), values, nulls);
	mn_direct_insert(&log_writer, tuple);
	heap_freetuple(tuple);
	mn_direct_close(&log_writer);
}

PG_FUNCTION_INFO_V1(mn_history_guard);
/* BEFORE UPDATE OR DELETE OR TRUNCATE FOR EACH STATEMENT on the log: append-only. */
Datum
mn_history_guard(PG_FUNCTION_ARGS)
{
	TriggerData *td = mn_require_trigger(fcinfo, "mentor._history_guard", NULL);

	if (!pruning)
		mn_refuse_write(td, "history is append-only", "Old history is removed with mentor.prune_history(older_than).");
	return PointerGetDatum(NULL);
}

PG_FUNCTION_INFO_V1(mn_prune_history);
/* mentor.prune_history(older_than) -> bigint: deletes history recorded before older_than. */
Datum
mn_prune_history(PG_FUNCTION_ARGS)
{
	Oid			types[1] = {TIMESTAMPTZOID};
	Datum		values[1];
	uint64		deleted = 0;
	int			ret;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("prune_history needs a point in time"),
				 errhint("mentor.prune_history(now() - interval '1 year') keeps the last year.")));
	values[0] = PG_GETARG_DATUM(0);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	pruning = true;
	PG_TRY();
	{
		bool		isnull;

		/* Whole partitions are dropped, the one the cutoff falls in is deleted from (mentor._history_prune). */
		if (mn_history_log_is_partitioned())
			ret = SPI_execute_with_args("SELECT mentor._history_prune($1)", 1, types, values, NULL, false, 1);
		else
			ret = SPI_execute_with_args("WITH d AS (DELETE FROM mentor.history_log WHERE at < $1 RETURNING 1) "
										"SELECT count(*) FROM d", 1, types, values, NULL, false, 1);
		if (ret != SPI_OK_SELECT || SPI_processed != 1)
			elog(ERROR, "pruning history failed: %s", SPI_result_code_string(ret));
		deleted = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	}
	PG_FINALLY();
	{
		pruning = false;
	}
	PG_END_TRY();
	SPI_finish();
	PG_RETURN_INT64((int64) deleted);
}
