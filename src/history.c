/*
 * history.c - the history trigger: what changed in an audited row.
 *
 * mentor.enable_history(tbl) attaches mentor.history_trigger('<table id>')
 * AFTER INSERT OR UPDATE OR DELETE FOR EACH ROW, and BEFORE TRUNCATE FOR
 * EACH STATEMENT.  Per row it records: an insert as the whole new row, a
 * delete as the whole old row, an update as the changed columns only
 * (["col", old, new, ...]), nothing for an update that changes nothing; an
 * update of the key as a delete of the old key and an insert of the new; a
 * truncate as one row per removed row, like a delete.  Excluded columns are
 * never read into history.
 *
 * No catalogue lookups, name parsing or planning per row: everything about a
 * relation (key columns, excluded columns, how each column becomes JSON) is
 * cached per relation OID and dropped by a relcache callback, so ALTER TABLE
 * is picked up at the next row.  Excluded columns are stored by name; if one
 * disappears (renamed or dropped) the trigger refuses to write rather than
 * risk recording a secret under its new name.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/tableam.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "mentor.h"
#include "cache_invalidate.h"
#include "history.h"
#include "json_build.h"

typedef struct HistRel
{
	Oid			relid;			/* hash key */
	bool		valid;
	int16		table_id;
	int			natts;
	bool	   *skip;			/* dropped or excluded columns */
	MnJsonCol  *cols;
	int			nkeys;
	AttrNumber	keys[INDEX_MAX_KEYS];
	Oid			id_type;		/* type of a single integer key column, else InvalidOid */
	bool		keyed_inserts;	/* the schema's readers rebuild inserted rows (0.2 on) */
	MemoryContext cxt;
} HistRel;

static HTAB *HistRels = NULL;

/*
 * Counts invalidations; a load that saw it change while it ran leaves its
 * entry invalid, so the next row loads again.  The callback only flags
 * entries: their memory is freed by the next load, never under a caller.
 */
static uint64 hist_inval_count = 0;

void
mn_history_relcache(Oid relid)
{
	HASH_SEQ_STATUS seq;
	HistRel    *hr;

	hist_inval_count++;
	if (HistRels == NULL)
		return;
	if (OidIsValid(relid))
	{
		hr = hash_search(HistRels, &relid, HASH_FIND, NULL);
		if (hr)
			hr->valid = false;
		return;
	}
	hash_seq_init(&seq, HistRels);
	while ((hr = hash_seq_search(&seq)) != NULL)
		hr->valid = false;
}

void
mn_history_init(void)
{
	mn_history_store_init();
}

/*
 * The excluded column names registered for a table id; errors if history is
 * not enabled for it.  *keyed_inserts: whether the installed schema rebuilds
 * an insert's row from the live row (a database still on 0.1, served by this
 * library before ALTER EXTENSION UPDATE, gets whole rows as its view expects).
 */
static ArrayType *
registered_exclusions(int16 table_id, Relation rel, bool *keyed_inserts)
{
	Oid			types[1] = {INT2OID};
	Datum		values[1] = {Int16GetDatum(table_id)};
	bool		isnull;
	ArrayType  *result;
	int			ret;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ret = SPI_execute_with_args("SELECT excluded, pg_catalog.to_regprocedure("
								"'mentor._history_inserted_row(smallint, bigint, text, timestamptz)') IS NOT NULL "
								"FROM mentor.history_tables WHERE id = $1",
								1, types, values, NULL, true, 1);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "reading mentor.history_tables failed: %s", SPI_result_code_string(ret));
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("history trigger of table %s refers to history table id %d, which is not registered",
						mn_qualified_name(rel), table_id),
				 errhint("Run SELECT mentor.enable_history(%s) again.", quote_literal_cstr(mn_qualified_name(rel)))));
	result = DatumGetArrayTypePCopy(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	*keyed_inserts = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	SPI_finish();
	return result;
}

/* Fills the cache entry of rel from the relation itself and mentor.history_tables. */
static void
load_histrel(HistRel *hr, Relation rel, int16 table_id)
{
	TupleDesc	desc = RelationGetDescr(rel);
	uint64		inval_at_start = hist_inval_count;
	bool		keyed_inserts;
	ArrayType  *excluded = registered_exclusions(table_id, rel, &keyed_inserts);
	Datum	   *names;
	bool	   *nulls;
	int			nnames;
	Oid			keyindex;
	Relation	index;
	MemoryContext old;
	int			i;

	if (hr->cxt)
		MemoryContextDelete(hr->cxt);
	hr->cxt = AllocSetContextCreate(CacheMemoryContext, "mentor history relation", ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(hr->cxt);
	hr->table_id = table_id;
	hr->keyed_inserts = keyed_inserts;
	hr->natts = desc->natts;
	hr->skip = palloc0(sizeof(bool) * desc->natts);
	hr->cols = palloc0(sizeof(MnJsonCol) * desc->natts);
	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		hr->skip[i] = att->attisdropped;
		if (!att->attisdropped)
			mn_json_col_init(&hr->cols[i], att->atttypid, hr->cxt);
	}
	MemoryContextSwitchTo(old);

	deconstruct_array(excluded, TEXTOID, -1, false, TYPALIGN_INT, &names, &nulls, &nnames);
	for (i = 0; i < nnames; i++)
	{
		char	   *name = TextDatumGetCString(names[i]);
		int			attnum = SPI_fnumber(desc, name);

		if (attnum <= 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("column \"%s\" excluded from the history of %s no longer exists",
							name, mn_qualified_name(rel)),
					 errdetail("It was renamed or dropped; history refuses to write rather than record it under another name."),
					 errhint("Run SELECT mentor.enable_history(%s, exclude => ...) with the current column names.",
							 quote_literal_cstr(mn_qualified_name(rel)))));
		hr->skip[attnum - 1] = true;
	}

	keyindex = RelationGetPrimaryKeyIndex(rel);
	if (!OidIsValid(keyindex))
		keyindex = RelationGetReplicaIndex(rel);
	if (!OidIsValid(keyindex))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("table %s has neither a primary key nor a replica identity index",
						mn_qualified_name(rel)),
				 errhint("History identifies rows by key: add a primary key.")));
	index = index_open(keyindex, AccessShareLock);
	hr->nkeys = index->rd_index->indnkeyatts;
	for (i = 0; i < hr->nkeys; i++)
		hr->keys[i] = index->rd_index->indkey.values[i];
	index_close(index, AccessShareLock);
	hr->id_type = InvalidOid;
	if (hr->nkeys == 1)
	{
		Oid			typid = TupleDescAttr(desc, hr->keys[0] - 1)->atttypid;

		/* Readers turn such a key's text back into row_id with mentor._history_key_id(). */
		if (typid == INT2OID || typid == INT4OID || typid == INT8OID)
			hr->id_type = typid;
	}
	hr->valid = (hist_inval_count == inval_at_start);
}

static HistRel *
get_histrel(Relation rel, int16 table_id)
{
	Oid			relid = RelationGetRelid(rel);
	HistRel    *hr;
	bool		found;

	if (HistRels == NULL)
	{
		HASHCTL		ctl;

		memset(&ctl, 0, sizeof(ctl));
		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(HistRel);
		ctl.hcxt = CacheMemoryContext;
		HistRels = hash_create("mentor history relations", 64, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	hr = hash_search(HistRels, &relid, HASH_ENTER, &found);
	if (!found)
	{
		hr->cxt = NULL;
		hr->valid = false;
	}
	if (!hr->valid || hr->table_id != table_id || hr->natts != RelationGetDescr(rel)->natts)
		load_histrel(hr, rel, table_id);
	return hr;
}

/*
 * The row's key: a single integer column as its value; otherwise as text, the
 * value's own output, or for a composite key a JSON array of the values'
 * texts formatted as jsonb prints it ('["js", "7"]') so that SQL can compute
 * the same text with to_jsonb(ARRAY[...])::text.
 */
static MnHistKey
row_key(HistRel *hr, Datum *values, bool *nulls)
{
	MnHistKey	key = {NULL, 0};
	StringInfoData buf;
	int			i;

	if (hr->nkeys == 1)
	{
		int			a = hr->keys[0] - 1;

		/* Key columns are NOT NULL (primary key, replica identity); '' only guards a broken catalog. */
		if (nulls[a])
			key.text = cstring_to_text("");
		else if (OidIsValid(hr->id_type))
			key.id = mn_int_datum(hr->id_type, values[a]);
		else
			key.text = cstring_to_text(mn_json_col_text(&hr->cols[a], values[a]));
		return key;
	}
	initStringInfo(&buf);
	appendStringInfoChar(&buf, '[');
	for (i = 0; i < hr->nkeys; i++)
	{
		int			a = hr->keys[i] - 1;

		if (i > 0)
			appendStringInfoString(&buf, ", ");
		if (nulls[a])
			appendStringInfoString(&buf, "null");
		else
			escape_json(&buf, mn_json_col_text(&hr->cols[a], values[a]));
	}
	appendStringInfoChar(&buf, ']');
	key.text = cstring_to_text_with_len(buf.data, buf.len);
	return key;
}

/* The whole row (less excluded columns) as a JSON object. */
static text *
row_object(HistRel *hr, TupleDesc desc, Datum *values, bool *nulls)
{
	StringInfoData buf;
	bool		first = true;
	int			i;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	for (i = 0; i < hr->natts; i++)
	{
		if (hr->skip[i])
			continue;
		if (!first)
			appendStringInfoChar(&buf, ',');
		first = false;
		escape_json(&buf, NameStr(TupleDescAttr(desc, i)->attname));
		appendStringInfoChar(&buf, ':');
		mn_json_append(&buf, &hr->cols[i], values[i], nulls[i]);
	}
	appendStringInfoChar(&buf, '}');
	return cstring_to_text_with_len(buf.data, buf.len);
}

/* ["col", old, new, ...] for the changed columns; NULL when nothing changed. */
static text *
row_changes(HistRel *hr, TupleDesc desc, Datum *ov, bool *on, Datum *nv, bool *nn)
{
	StringInfoData buf;
	bool		any = false;
	int			i;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '[');
	for (i = 0; i < hr->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (hr->skip[i] || mn_same_value(att, ov[i], on[i], nv[i], nn[i]))
			continue;
		if (any)
			appendStringInfoChar(&buf, ',');
		any = true;
		escape_json(&buf, NameStr(att->attname));
		appendStringInfoChar(&buf, ',');
		mn_json_append(&buf, &hr->cols[i], ov[i], on[i]);
		appendStringInfoChar(&buf, ',');
		mn_json_append(&buf, &hr->cols[i], nv[i], nn[i]);
	}
	if (!any)
		return NULL;
	appendStringInfoChar(&buf, ']');
	return cstring_to_text_with_len(buf.data, buf.len);
}

/* Whether an update changed the row's key. */
static bool
key_changed(HistRel *hr, TupleDesc desc, Datum *ov, bool *on, Datum *nv, bool *nn)
{
	int			i;

	for (i = 0; i < hr->nkeys; i++)
	{
		int			a = hr->keys[i] - 1;

		if (!mn_same_value(TupleDescAttr(desc, a), ov[a], on[a], nv[a], nn[a]))
			return true;
	}
	return false;
}

/*
 * Records every row of the table, whole: as removed by TRUNCATE ('T', seen by
 * the truncating statement), or as it is when recording stops ('S', seen by
 * a fresh snapshot: the caller holds the lock that keeps writers out, and a
 * repeatable-read snapshot could predate their last commits).
 */
static void
record_rows(HistRel *hr, Relation rel, char op)
{
	TupleDesc	desc = RelationGetDescr(rel);
	Snapshot	snapshot = RegisterSnapshot(op == 'T' ? GetActiveSnapshot() : GetLatestSnapshot());
	TableScanDesc scan = table_beginscan(rel, snapshot, 0, NULL);
	MemoryContext rowcxt = AllocSetContextCreate(CurrentMemoryContext, "mentor history truncate",
												 ALLOCSET_DEFAULT_SIZES);
	Datum	   *values = palloc(sizeof(Datum) * desc->natts);
	bool	   *nulls = palloc(sizeof(bool) * desc->natts);
	int32		ctx = mn_history_context();
	HeapTuple	tuple;

	while ((tuple = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(rowcxt);

		heap_deform_tuple(tuple, desc, values, nulls);
		mn_history_write(mn_clock(), ctx, hr->table_id, op,
						 row_key(hr, values, nulls), row_object(hr, desc, values, nulls));
		MemoryContextSwitchTo(old);
		MemoryContextReset(rowcxt);
	}
	table_endscan(scan);
	UnregisterSnapshot(snapshot);
	MemoryContextDelete(rowcxt);
}

PG_FUNCTION_INFO_V1(mn_history_trigger);
/* AFTER INSERT OR UPDATE OR DELETE FOR EACH ROW, and BEFORE TRUNCATE FOR EACH STATEMENT. */
Datum
mn_history_trigger(PG_FUNCTION_ARGS)
{
	TriggerData *td = mn_require_trigger(fcinfo, "mentor.history_trigger", "Use mentor.enable_history(table).");
	Relation	rel;
	TupleDesc	desc;
	HistRel    *hr;
	char	   *end;
	long		table_id;
	int			natts;
	Datum	   *ov,
			   *nv;
	bool	   *on,
			   *nn;

	rel = td->tg_relation;
	if (td->tg_trigger->tgnargs != 1 ||
		(table_id = strtol(td->tg_trigger->tgargs[0], &end, 10)) <= 0 || *end != '\0' || table_id > PG_INT16_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("trigger \"%s\" on %s must pass the history table id to mentor.history_trigger()",
						td->tg_trigger->tgname, mn_qualified_name(rel)),
				 errhint("Create it with SELECT mentor.enable_history(%s).", quote_literal_cstr(mn_qualified_name(rel)))));
	/* Nothing is recorded while the extension's own scripts run (see history_partitions.c). */
	if (creating_extension && mn_history_log_is_partitioned())
		return PointerGetDatum(NULL);
	if (TRIGGER_FIRED_BY_TRUNCATE(td->tg_event))
	{
		if (!TRIGGER_FIRED_BEFORE(td->tg_event))
			ereport(ERROR,
					(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
					 errmsg("mentor.history_trigger() records TRUNCATE only BEFORE it happens")));
		/* A partitioned table holds no rows: each partition's own trigger records its rows. */
		if (rel->rd_rel->relkind != RELKIND_RELATION)
			return PointerGetDatum(NULL);
		record_rows(get_histrel(rel, (int16) table_id), rel, 'T');
		return PointerGetDatum(NULL);
	}
	if (!TRIGGER_FIRED_AFTER(td->tg_event) || !TRIGGER_FIRED_FOR_ROW(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("trigger \"%s\" on %s must be AFTER INSERT OR UPDATE OR DELETE ... FOR EACH ROW",
						td->tg_trigger->tgname, mn_qualified_name(rel)),
				 errhint("Create it with SELECT mentor.enable_history(%s).", quote_literal_cstr(mn_qualified_name(rel)))));

	hr = get_histrel(rel, (int16) table_id);
	desc = RelationGetDescr(rel);
	natts = desc->natts;
	ov = palloc(sizeof(Datum) * natts);
	on = palloc(sizeof(bool) * natts);

	if (TRIGGER_FIRED_BY_UPDATE(td->tg_event))
	{
		text	   *changes;

		nv = palloc(sizeof(Datum) * natts);
		nn = palloc(sizeof(bool) * natts);
		heap_deform_tuple(td->tg_trigtuple, desc, ov, on);
		heap_deform_tuple(td->tg_newtuple, desc, nv, nn);
		if (key_changed(hr, desc, ov, on, nv, nn))
		{
			/* Recorded like a move between partitions, so both keys can be rewound. */
			int32		ctx = mn_history_context();

			mn_history_write(mn_clock(), ctx, hr->table_id, 'D',
							 row_key(hr, ov, on), row_object(hr, desc, ov, on));
			mn_history_write(mn_clock(), ctx, hr->table_id, 'I', row_key(hr, nv, nn),
							 hr->keyed_inserts ? NULL : row_object(hr, desc, nv, nn));
			return PointerGetDatum(NULL);
		}
		changes = row_changes(hr, desc, ov, on, nv, nn);
		if (changes != NULL)
			mn_history_write(mn_clock(), mn_history_context(), hr->table_id, 'U',
							 row_key(hr, nv, nn), changes);
	}
	else
	{
		bool		insert = TRIGGER_FIRED_BY_INSERT(td->tg_event);

		if (insert && hr->keyed_inserts)
		{
			/* An insert records its key alone: only the key columns are read. */
			int			i;

			for (i = 0; i < hr->nkeys; i++)
				ov[hr->keys[i] - 1] = heap_getattr(td->tg_trigtuple, hr->keys[i], desc, &on[hr->keys[i] - 1]);
			mn_history_write(mn_clock(), mn_history_context(), hr->table_id, 'I', row_key(hr, ov, on), NULL);
			return PointerGetDatum(NULL);
		}
		heap_deform_tuple(td->tg_trigtuple, desc, ov, on);
		mn_history_write(mn_clock(), mn_history_context(), hr->table_id, insert ? 'I' : 'D',
						 row_key(hr, ov, on), row_object(hr, desc, ov, on));
	}
	return PointerGetDatum(NULL);
}

PG_FUNCTION_INFO_V1(mn_history_snapshot);
/*
 * mentor._history_snapshot(tbl regclass, tid smallint) -> void: records every
 * row of one table (not a partitioned parent: its caller names each leaf) as
 * it is now, op 'S'.  disable_history calls it under an exclusive lock,
 * before it drops the triggers.
 */
Datum
mn_history_snapshot(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	int16		table_id = PG_GETARG_INT16(1);
	Relation	rel = table_open(relid, AccessShareLock);
	char		arg[8];
	bool		recorded = false;
	int			i;

	if (rel->rd_rel->relkind != RELKIND_RELATION)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("%s is not a table with rows of its own", mn_qualified_name(rel)),
				 errhint("Call it on each leaf partition.")));
	/*
	 * Only under the table's own history id, while its trigger is there: the
	 * id decides which columns are excluded, and another table's would let a
	 * secret column into history.
	 */
	snprintf(arg, sizeof(arg), "%d", table_id);
	for (i = 0; rel->trigdesc && i < rel->trigdesc->numtriggers; i++)
	{
		Trigger    *t = &rel->trigdesc->triggers[i];

		if (strcmp(t->tgname, "mentor_history") == 0 && t->tgnargs == 1 && strcmp(t->tgargs[0], arg) == 0)
			recorded = true;
	}
	if (!recorded)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("%s is not being recorded under history id %d", mn_qualified_name(rel), table_id),
				 errhint("mentor.disable_history(table) records the state of a table it stops recording.")));
	record_rows(get_histrel(rel, table_id), rel, 'S');
	table_close(rel, NoLock);
	PG_RETURN_VOID();
}
