/*
 * history_store.c - writing history rows, and guarding them.
 *
 * Rows go into mentor.history_log by a direct heap insert plus index
 * inserts (direct.c), not through SPI: on the hot path of every audited write
 * that is several times cheaper than executing an INSERT plan.
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

static MnDirectRel history_log = {.relname = "history_log", .natts = 8};

/* The last context used; ctx_id 0 = none cached. */
static int32 ctx_id = 0;
static int64 ctx_actor;
static Oid	ctx_user;
static char ctx_app[NAMEDATALEN];

static bool pruning = false;

static void
store_xact_cb(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
		ctx_id = 0;
}

static void
store_subxact_cb(SubXactEvent event, SubTransactionId mySubid,
				 SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB)
		ctx_id = 0;
}

void
mn_history_store_init(void)
{
	RegisterXactCallback(store_xact_cb, NULL);
	RegisterSubXactCallback(store_subxact_cb, NULL);
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

/* Appends one row to mentor.history_log. */
void
mn_history_write(TimestampTz at, int32 ctx, int16 table_id, char op, MnHistKey key, text *changes)
{
	Relation	rel = mn_direct_open(&history_log);
	Datum		values[8];
	bool		nulls[8] = {false};
	HeapTuple	tuple;

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

	tuple = heap_form_tuple(RelationGetDescr(rel), values, nulls);
	mn_direct_insert(&history_log, tuple);
	heap_freetuple(tuple);
	mn_direct_close(&history_log);
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
		ret = SPI_execute_with_args("DELETE FROM mentor.history_log WHERE at < $1", 1, types, values,
									NULL, false, 0);
		if (ret != SPI_OK_DELETE)
			elog(ERROR, "pruning history failed: %s", SPI_result_code_string(ret));
		deleted = SPI_processed;
	}
	PG_FINALLY();
	{
		pruning = false;
	}
	PG_END_TRY();
	SPI_finish();
	PG_RETURN_INT64((int64) deleted);
}
