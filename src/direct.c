/*
 * direct.c - direct heap and index writes into the extension's own tables.
 *
 * The history log and the ledger are written on the hot path of every
 * audited change and every money movement.  Executing an INSERT plan (or SPI)
 * costs several times more than forming the tuple and inserting it with its
 * index entries, so these tables are written here instead.  What the executor
 * would otherwise look up per statement (the index list, IndexInfos, partial
 * index predicates) is cached per table and dropped by a relcache callback.
 *
 * Triggers and foreign-key checks do not fire on this path: the callers own
 * the invariants those would enforce (the ledger locks or reads every account
 * it references, and accounts cannot be deleted).  Unique indexes are checked.
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/genam.h"
#include "access/table.h"
#include "access/xact.h"
#include "access/skey.h"
#include "catalog/index.h"
#include "catalog/namespace.h"
#include "executor/executor.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/relcache.h"
#include "utils/snapmgr.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "miscadmin.h"

#include "direct.h"
#include "cache_invalidate.h"

static MnDirectRel *registered = NULL;

/*
 * Only flags: invalidations arrive in the middle of index_open() and friends,
 * so freeing here could pull memory from under a caller.  The next open
 * rebuilds.
 */
void
mn_direct_relcache(Oid relid)
{
	MnDirectRel *d;
	int			i;

	for (d = registered; d != NULL; d = d->next)
	{
		if (d->stale)
			continue;
		if (relid == InvalidOid || relid == d->oid)
		{
			d->stale = true;
			continue;
		}
		for (i = 0; i < d->nindexes; i++)
			if (d->index_oids[i] == relid)
				d->stale = true;
	}
}

static void
load(MnDirectRel *d)
{
	List	   *indexes;
	ListCell   *lc;
	MemoryContext old;
	Oid			pk = RelationGetPrimaryKeyIndex(d->rel);

	if (d->estate)
		FreeExecutorState(d->estate);
	d->estate = NULL;
	MemoryContextReset(d->cxt);
	old = MemoryContextSwitchTo(d->cxt);
	indexes = RelationGetIndexList(d->rel);
	if (list_length(indexes) > MN_DIRECT_MAX_INDEXES)
		elog(ERROR, "mentor.%s has more than %d indexes", RelationGetRelationName(d->rel), MN_DIRECT_MAX_INDEXES);
	d->nindexes = 0;
	d->pk = -1;
	d->estate = CreateExecutorState();
	foreach(lc, indexes)
	{
		Relation	index = index_open(lfirst_oid(lc), RowExclusiveLock);
		IndexInfo  *ii = BuildIndexInfo(index);

		if (lfirst_oid(lc) == pk)
			d->pk = d->nindexes;
		d->index_oids[d->nindexes] = lfirst_oid(lc);
		d->infos[d->nindexes] = ii;
		d->preds[d->nindexes] = ii->ii_Predicate != NIL ? ExecPrepareQual(ii->ii_Predicate, d->estate) : NULL;
		d->nindexes++;
		index_close(index, NoLock);
	}
	/* A private copy: pinning the relation's descriptor would tie it to one transaction. */
	d->slot = MakeSingleTupleTableSlot(CreateTupleDescCopy(RelationGetDescr(d->rel)), &TTSOpsHeapTuple);
	MemoryContextSwitchTo(old);
}

/* Joins d to the writers the relcache callback flags; its cache is built at the next open. */
static void
register_writer(MnDirectRel *d)
{
	if (d->registered)
		return;
	d->cxt = AllocSetContextCreate(CacheMemoryContext, "mentor direct writer", ALLOCSET_SMALL_SIZES);
	d->stale = true;
	d->next = registered;
	registered = d;
	d->registered = true;
}

/*
 * Points a writer declared without relname at a table by OID (a partition
 * of a partitioned table, chosen per row); its cache is rebuilt if the
 * table changes.
 */
void
mn_direct_retarget(MnDirectRel *d, Oid relid)
{
	if (d->registered && d->oid == relid)
		return;
	register_writer(d);
	d->oid = relid;
	d->stale = true;
}

/*
 * Opens the table with RowExclusiveLock; its indexes are opened on first use
 * (open_indexes), since a call that only reads a row through a cached
 * position needs none of them.
 */
Relation
mn_direct_open(MnDirectRel *d)
{
	register_writer(d);
	if (d->stale && d->relname != NULL)
		d->oid = get_relname_relid(d->relname, get_namespace_oid("mentor", false));
	if (!OidIsValid(d->oid))
		elog(ERROR, "mentor.%s is missing; reinstall the extension", d->relname ? d->relname : "(table)");
	d->rel = table_open(d->oid, RowExclusiveLock);
	if (RelationGetDescr(d->rel)->natts != d->natts)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("mentor.%s has %d columns, expected %d", RelationGetRelationName(d->rel),
						RelationGetDescr(d->rel)->natts, d->natts),
				 errhint("The extension owns the shape of this table; undo the ALTER TABLE or reinstall.")));
	d->indexes_open = false;
	return d->rel;
}

/*
 * Opens the indexes with RowExclusiveLock, (re)building the cache if anything
 * changed.  Everything is opened first and staleness checked afterwards:
 * opening processes invalidations, which may rebuild a relcache entry that a
 * cached IndexInfo points to (BRIN keeps its index's Relation); while a
 * relation stays open its entry is rebuilt in place.
 */
static void
open_indexes(MnDirectRel *d)
{
	int			i;

	if (d->indexes_open)
		return;
	for (;;)
	{
		if (d->stale)
		{
			d->stale = false;
			load(d);
		}
		for (i = 0; i < d->nindexes; i++)
			d->indexes[i] = index_open(d->index_oids[i], RowExclusiveLock);
		if (!d->stale)
		{
			d->indexes_open = true;
			return;
		}
		/* Something changed while opening: build again from what is open now. */
		for (i = 0; i < d->nindexes; i++)
			index_close(d->indexes[i], NoLock);
	}
}

void
mn_direct_close(MnDirectRel *d)
{
	int			i;

	if (d->indexes_open)
		for (i = 0; i < d->nindexes; i++)
			index_close(d->indexes[i], NoLock);
	d->indexes_open = false;
	table_close(d->rel, NoLock);
	d->rel = NULL;
}

Relation
mn_direct_pk(MnDirectRel *d)
{
	open_indexes(d);
	if (d->pk < 0)
		elog(ERROR, "mentor.%s has no primary key", RelationGetRelationName(d->rel));
	return d->indexes[d->pk];
}

/* Index entries for a heap tuple just written, as ExecInsertIndexTuples makes them. */
static bool
insert_index_entries(MnDirectRel *d, HeapTuple tuple, bool summarizing_only, IndexUniqueCheck unique_check)
{
	bool		unique = true;
	ExprContext *econtext;
	int			i;

	open_indexes(d);
	econtext = GetPerTupleExprContext(d->estate);
	ExecStoreHeapTuple(tuple, d->slot, false);
	econtext->ecxt_scantuple = d->slot;
	for (i = 0; i < d->nindexes; i++)
	{
		Datum		values[INDEX_MAX_KEYS];
		bool		isnull[INDEX_MAX_KEYS];
		Relation	index = d->indexes[i];

		/* An index being built (CREATE/REINDEX CONCURRENTLY) takes rows only once it is ready. */
		if (!d->infos[i]->ii_ReadyForInserts)
			continue;
#if PG_VERSION_NUM >= 160000
		if (summarizing_only && !d->infos[i]->ii_Summarizing)
			continue;
#endif
		if (d->preds[i] && !ExecQual(d->preds[i], econtext))
			continue;
		FormIndexDatum(d->infos[i], d->slot, d->estate, values, isnull);
		{
			IndexUniqueCheck check = index->rd_index->indisunique ? unique_check : UNIQUE_CHECK_NO;

			/* index_insert's result means something only for a partial check. */
			if (!index_insert(index, values, isnull, &tuple->t_self, d->rel, check,
#if PG_VERSION_NUM >= 140000
							  false,
#endif
							  d->infos[i]) && check == UNIQUE_CHECK_PARTIAL)
				unique = false;
		}
	}
	ResetExprContext(econtext);
	ExecClearTuple(d->slot);
	return unique;
}

/*
 * PostgreSQL's own 25006 in a read-only transaction (every transaction of a
 * hot standby is one): writes that bypass the executor bypass its check too,
 * and on a standby would otherwise fail later, on assigning a transaction id.
 */
void
mn_direct_prevent_read_only(const char *what)
{
	if (XactReadOnly)
		PreventCommandIfReadOnly(psprintf("a write to mentor.%s", what));
}

/* Inserts tuple (its t_self is set); a duplicate in a unique index raises 23505. */
void
mn_direct_insert(MnDirectRel *d, HeapTuple tuple)
{
	mn_direct_prevent_read_only(RelationGetRelationName(d->rel));
	simple_heap_insert(d->rel, tuple);
	insert_index_entries(d, tuple, false, UNIQUE_CHECK_YES);
}

/*
 * Inserts n tuples at once (their t_self are set): one heap_multi_insert,
 * which fills each page with one lock and one WAL record instead of one per
 * row, then each tuple's index entries.
 */
void
mn_direct_insert_batch(MnDirectRel *d, HeapTuple *tuples, int n)
{
	TupleTableSlot **slots;
	int			i;

	if (n == 1)
	{
		mn_direct_insert(d, tuples[0]);
		return;
	}
	mn_direct_prevent_read_only(RelationGetRelationName(d->rel));
	slots = palloc(sizeof(TupleTableSlot *) * n);
	for (i = 0; i < n; i++)
	{
		slots[i] = MakeSingleTupleTableSlot(RelationGetDescr(d->rel), &TTSOpsHeapTuple);
		ExecStoreHeapTuple(tuples[i], slots[i], false);
	}
	heap_multi_insert(d->rel, slots, n, GetCurrentCommandId(true), 0, NULL);
	for (i = 0; i < n; i++)
	{
		tuples[i]->t_self = slots[i]->tts_tid;
		insert_index_entries(d, tuples[i], false, UNIQUE_CHECK_YES);
		ExecDropSingleTupleTableSlot(slots[i]);
	}
	pfree(slots);
}

/*
 * Inserts tuple unless a unique index may already hold its key, committed or
 * in progress: then the tuple is taken back (its index entries left to
 * VACUUM) and false returned, without waiting, so that the caller can look
 * at the existing row.  One index descent instead of a lookup and an insert,
 * on the path where the key is new.
 *
 * The insert is speculative, as INSERT ... ON CONFLICT makes it: taking it
 * back is a "super-deletion" that logical decoding drops together with the
 * insert, so an idempotent repeat reaches no subscriber.  (A plain insert
 * and delete would be replayed there as an insert of a key the subscriber
 * already has, and stop the subscription.)
 */
bool
mn_direct_insert_if_new(MnDirectRel *d, HeapTuple tuple)
{
	TransactionId xid;
	uint32		token;
	bool		inserted;

	mn_direct_prevent_read_only(RelationGetRelationName(d->rel));
	xid = GetCurrentTransactionId();
	token = SpeculativeInsertionLockAcquire(xid);
	HeapTupleHeaderSetSpeculativeToken(tuple->t_data, token);
	heap_insert(d->rel, tuple, GetCurrentCommandId(true), HEAP_INSERT_SPECULATIVE, NULL);
	inserted = insert_index_entries(d, tuple, false, UNIQUE_CHECK_PARTIAL);
	if (inserted)
		heap_finish_speculative(d->rel, &tuple->t_self);
	else
		heap_abort_speculative(d->rel, &tuple->t_self);
	SpeculativeInsertionLockRelease(xid);
	return inserted;
}

/*
 * Replaces the row at otid by tuple, as heap_update does (waiting for a
 * concurrent updater if wait), adding index entries unless the update was
 * HOT.  Returns TM_Ok, or why the row could not be replaced; the caller
 * decides whether to read the row again.
 */
TM_Result
mn_direct_update(MnDirectRel *d, ItemPointer otid, HeapTuple tuple, bool wait)
{
	TM_FailureData tmfd;
	LockTupleMode lockmode;
	TM_Result	result;
#if PG_VERSION_NUM >= 160000
	TU_UpdateIndexes update_indexes;
#endif

	mn_direct_prevent_read_only(RelationGetRelationName(d->rel));
#if PG_VERSION_NUM >= 160000
	result = heap_update(d->rel, otid, tuple, GetCurrentCommandId(true), InvalidSnapshot, wait,
						 &tmfd, &lockmode, &update_indexes);
	if (result == TM_Ok && update_indexes != TU_None)
		insert_index_entries(d, tuple, update_indexes == TU_Summarizing, UNIQUE_CHECK_YES);
#else
	result = heap_update(d->rel, otid, tuple, GetCurrentCommandId(true), InvalidSnapshot, wait,
						 &tmfd, &lockmode);
	if (result == TM_Ok && !HeapTupleIsHeapOnly(tuple))
		insert_index_entries(d, tuple, false, UNIQUE_CHECK_YES);
#endif
	return result;
}

/*
 * Finds the row whose primary key (one column, compared with eqproc) is key,
 * as snapshot sees it, into slot.  Callers that act on the row pass a fresh
 * snapshot and rely on heap_update to report a newer version.  (A dirty
 * snapshot would not do: an index scan can read the page before a non-HOT
 * update adds the new version's entry and the heap after the update commits,
 * and then find nothing.)
 */
bool
mn_direct_fetch(MnDirectRel *d, RegProcedure eqproc, Datum key, Snapshot snapshot, TupleTableSlot *slot,
				ItemPointer root)
{
	ScanKeyData skey;
	IndexScanDesc scan;
	bool		found;

	ItemPointer tid;

	ScanKeyInit(&skey, 1, BTEqualStrategyNumber, eqproc, key);
	scan = index_beginscan(d->rel, mn_direct_pk(d), snapshot, 1, 0);
	index_rescan(scan, &skey, 1, NULL, 0);
	found = false;
	while (!found && (tid = index_getnext_tid(scan, ForwardScanDirection)) != NULL)
	{
		/* Fetching moves xs_heaptid along the HOT chain: keep the root the index points to. */
		ItemPointerData index_tid = *tid;

		found = index_fetch_heap(scan, slot);
		if (found && root)
			*root = index_tid;
	}
	index_endscan(scan);
	return found;
}

/*
 * The version snapshot sees of the HOT chain rooted at root (a TID an index
 * pointed to earlier), into slot; false if there is none, or if the TID no
 * longer exists.  Whatever is found may belong to another row now that
 * VACUUM has reused the slot: callers compare the key.
 */
bool
mn_direct_fetch_tid(MnDirectRel *d, ItemPointer root, Snapshot snapshot, TupleTableSlot *slot)
{
	IndexFetchTableData *fetch;
	ItemPointerData tid = *root;
	bool		call_again = false;
	bool		all_dead = false;
	bool		found;

	if (ItemPointerGetBlockNumber(&tid) >= RelationGetNumberOfBlocks(d->rel))
		return false;
	fetch = table_index_fetch_begin(d->rel);
	found = table_index_fetch_tuple(fetch, &tid, snapshot, slot, &call_again, &all_dead);
	table_index_fetch_end(fetch);
	return found;
}
