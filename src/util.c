/*
 * util.c - small helpers shared by the glue files.
 *
 * The palloc-backed allocator handed to src/core/, the description of a row
 * by its key for errdetail, and the checks every C trigger makes on how it
 * was called.
 */
#include "postgres.h"

#include "access/xact.h"
#include "miscadmin.h"
#include "utils/lsyscache.h"

#include "access/genam.h"
#include "access/stratnum.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/detoast.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "catalog/namespace.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/tuplestore.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/relcache.h"
#include "utils/timestamp.h"
#include "utils/inval.h"

#include "mentor.h"

static void *
palloc_cb(void *ctx, size_t size)
{
	return MemoryContextAllocZero((MemoryContext) ctx, size ? size : 1);
}

mn_allocator
mn_palloc_allocator(MemoryContext cxt)
{
	mn_allocator a = {palloc_cb, cxt};

	return a;
}

/* "schema.table", quoted where needed, as SQL would accept it back. */
char *
mn_qualified_name(Relation rel)
{
	return quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
									  RelationGetRelationName(rel));
}

/*
 * "table mentor.users, row (id)=(42)": the key comes from the primary key, or
 * else the replica identity index.  Used only on error paths, so catalogue
 * lookups are fine here.  Values the caller may not read are left out by
 * BuildIndexValueDescription itself.
 */
char *
mn_describe_row(Relation rel, HeapTuple tuple)
{
	char	   *relname = mn_qualified_name(rel);
	Oid			indexoid = RelationGetPrimaryKeyIndex(rel);
	char	   *key = NULL;

	if (!OidIsValid(indexoid))
		indexoid = RelationGetReplicaIndex(rel);
	if (OidIsValid(indexoid) && tuple != NULL)
	{
		Relation	index = index_open(indexoid, AccessShareLock);
		int			nkeys = index->rd_index->indnkeyatts;
		Datum		values[INDEX_MAX_KEYS];
		bool		isnull[INDEX_MAX_KEYS];
		int			i;

		for (i = 0; i < nkeys; i++)
			values[i] = heap_getattr(tuple, index->rd_index->indkey.values[i],
									 RelationGetDescr(rel), &isnull[i]);
		key = BuildIndexValueDescription(index, values, isnull);
		index_close(index, AccessShareLock);
	}
	if (key)
		return psprintf("table %s, row %s", relname, key);
	return psprintf("table %s", relname);
}

/*
 * Refuses to run a trigger function called as a plain function; returns its
 * TriggerData.  hint says how the function is meant to be attached (NULL: by
 * CREATE TRIGGER).
 */
TriggerData *
mn_require_trigger(FunctionCallInfo fcinfo, const char *funcname, const char *hint)
{
	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("%s() can only be called as a trigger", funcname),
				 hint ? errhint("%s", hint)
				 : errhint("Attach it with CREATE TRIGGER ... EXECUTE FUNCTION %s(...).", funcname)));
	return (TriggerData *) fcinfo->context;
}

/*
 * For the statement triggers that keep a table append-only or immutable:
 * refuses the UPDATE, DELETE or TRUNCATE that fired td, for every role.
 */
void
mn_refuse_write(struct TriggerData *td, const char *what, const char *hint)
{
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("%s: %s on %s is not allowed", what,
					TRIGGER_FIRED_BY_UPDATE(td->tg_event) ? "UPDATE"
					: TRIGGER_FIRED_BY_DELETE(td->tg_event) ? "DELETE" : "TRUNCATE",
					RelationGetRelationName(td->tg_relation)),
			 errhint("%s", hint)));
}

/* Refuses to run as anything but the row-level trigger the SQL declares. */
void
mn_check_row_trigger(FunctionCallInfo fcinfo, const char *funcname, int nargs, bool before)
{
	TriggerData *trigdata = mn_require_trigger(fcinfo, funcname, NULL);

	if (!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		(before && !TRIGGER_FIRED_BEFORE(trigdata->tg_event)) ||
		!(TRIGGER_FIRED_BY_INSERT(trigdata->tg_event) || TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event)))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("trigger \"%s\" on table \"%s\" must be %s INSERT OR UPDATE ... FOR EACH ROW",
						trigdata->tg_trigger->tgname, RelationGetRelationName(trigdata->tg_relation),
						before ? "BEFORE" : "AFTER"),
				 errdetail("%s() judges one row at a time before it is written.", funcname)));
	if (nargs >= 0 && trigdata->tg_trigger->tgnargs != nargs)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("trigger \"%s\" on table \"%s\" passes %d arguments to %s(), which takes %d",
						trigdata->tg_trigger->tgname, RelationGetRelationName(trigdata->tg_relation),
						trigdata->tg_trigger->tgnargs, funcname, nargs)));
}

/*
 * Whether two values of a column are the same bytes once detoasted: the same
 * value may be stored compressed, out of line or inline.  Equal by this test
 * means equal by any type's "=", never the reverse.
 */
bool
mn_same_value(Form_pg_attribute att, Datum a, bool anull, Datum b, bool bnull)
{
	struct varlena *va;
	struct varlena *vb;

	if (anull || bnull)
		return anull == bnull;
	if (datumIsEqual(a, b, att->attbyval, att->attlen))
		return true;
	if (att->attlen != -1)
		return false;
	va = pg_detoast_datum_packed((struct varlena *) DatumGetPointer(a));
	vb = pg_detoast_datum_packed((struct varlena *) DatumGetPointer(b));
	return VARSIZE_ANY_EXHDR(va) == VARSIZE_ANY_EXHDR(vb) &&
		memcmp(VARDATA_ANY(va), VARDATA_ANY(vb), VARSIZE_ANY_EXHDR(va)) == 0;
}

PG_FUNCTION_INFO_V1(mn_table_cache_changed);
/*
 * AFTER ... FOR EACH STATEMENT on a table that backends cache (lifecycle
 * definitions, ledger accounts): tell every backend (this one at the end of
 * the statement, others at commit) to drop what it holds.
 */
Datum
mn_table_cache_changed(PG_FUNCTION_ARGS)
{
	TriggerData *td = mn_require_trigger(fcinfo, "mentor._table_cache_changed", NULL);

	CacheInvalidateRelcacheByRelid(RelationGetRelid(td->tg_relation));
	return PointerGetDatum(NULL);
}

static TimestampTz last_at = 0;

/*
 * A timestamp that never repeats or goes back within this backend, so it
 * orders a row's history and an account's ledger entries.
 */
TimestampTz
mn_clock(void)
{
	TimestampTz now = GetCurrentTimestamp();

	if (now <= last_at)
		now = last_at + 1;
	last_at = now;
	return now;
}

/*
 * The elements of a one-dimensional array argument without NULLs, for the
 * glue functions that hand arrays to src/core/.  A NULL array, a NULL element
 * or a multi-dimensional array is the caller's mistake, reported by name.
 */
Datum *
mn_array_arg(FunctionCallInfo fcinfo, int argno, const char *name, Oid elemtype, int *n)
{
	ArrayType  *arr;
	Datum	   *values;
	bool	   *nulls;
	int16		typlen;
	bool		typbyval;
	char		typalign;

	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be NULL", name),
				 errhint("Pass an empty array instead.")));
	arr = PG_GETARG_ARRAYTYPE_P(argno);
	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a one-dimensional array", name)));
	if (ARR_ELEMTYPE(arr) != elemtype)
		elog(ERROR, "%s has element type %u, expected %u", name, ARR_ELEMTYPE(arr), elemtype);
	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	deconstruct_array(arr, elemtype, typlen, typbyval, typalign, &values, &nulls, n);
	for (int i = 0; i < *n; i++)
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s must not contain NULL", name),
					 errdetail("Element %d is NULL.", i + 1)));
	return values;
}

/*
 * Sets up a set-returning function to return its rows in a tuplestore
 * (rsinfo->setResult, rsinfo->setDesc), as InitMaterializedSRF does from
 * PostgreSQL 15 on; spelled out for older servers.
 */
void
mn_materialize_srf(FunctionCallInfo fcinfo)
{
#if PG_VERSION_NUM >= 150000
	InitMaterializedSRF(fcinfo, 0);
#else
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	TupleDesc	tupdesc;
	MemoryContext old;

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) || !(rsinfo->allowedModes & SFRM_Materialize))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("set-valued function called in context that cannot accept a set")));
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	old = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	rsinfo->setDesc = CreateTupleDescCopy(tupdesc);
	rsinfo->setResult = tuplestore_begin_heap(true, false, work_mem);
	rsinfo->returnMode = SFRM_Materialize;
	MemoryContextSwitchTo(old);
#endif
}

/*
 * A plan kept for the life of the backend (the plan cache revalidates it
 * after DDL).  CURSOR_OPT_GENERIC_PLAN in options skips the custom plans the
 * plan cache would otherwise try first, for statements that look up one row
 * by key, where a custom plan is never better.
 */
SPIPlanPtr
mn_keep_plan(const char *sql, int nargs, Oid *argtypes, int options)
{
	SPIPlanPtr	plan = SPI_prepare_cursor(sql, nargs, argtypes, options);

	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed for \"%s\": %s", sql, SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "SPI_keepplan failed");
	return plan;
}

/* The OID of relation (or index) mentor.name; it must exist. */
Oid
mn_relid(const char *name)
{
	Oid			relid = get_relname_relid(name, get_namespace_oid("mentor", false));

	if (!OidIsValid(relid))
		elog(ERROR, "relation mentor.%s is missing", name);
	return relid;
}

/* key compares the text column attno with value (the columns are of the default collation) */
void
mn_text_scankey(ScanKey key, AttrNumber attno, const char *value)
{
	ScanKeyInit(key, attno, BTEqualStrategyNumber, F_TEXTEQ, CStringGetTextDatum(value));
	key->sk_collation = DEFAULT_COLLATION_OID;
}

/*
 * PostgreSQL's own 25006 for a function that writes, called in a read-only
 * transaction (every transaction of a hot standby is one).  The C writers
 * write the heap directly, past the executor's check; this runs first, before
 * any lock is taken.
 */
void
mn_prevent_read_only(FunctionCallInfo fcinfo)
{
	if (XactReadOnly)
		PreventCommandIfReadOnly(psprintf("mentor.%s()", get_func_name(fcinfo->flinfo->fn_oid)));
}
