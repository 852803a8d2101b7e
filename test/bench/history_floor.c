/*
 * history_floor.c - the benchmark's floor for history triggers: the
 * mechanism of the fastest public C versioning trigger, and nothing else.
 *
 * AFTER UPDATE OR DELETE FOR EACH ROW, bench_floor_trigger('<history table>')
 * copies the old row, as it is, into a history table of the same shape by a
 * direct heap insert plus the entries of that table's indexes (if any).
 * Nothing happens on insert.  No change detection, no key, no actor, no
 * time: what is left is what any versioning trigger must pay at least, so
 * history.sh compares mentor's trigger against it.  Built by history.sh and
 * loaded by absolute path; not part of the extension.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/heapam.h"
#include "access/table.h"
#include "catalog/index.h"
#include "catalog/namespace.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "fmgr.h"
#include "nodes/makefuncs.h"
#include "utils/builtins.h"
#include "utils/regproc.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/varlena.h"

PG_MODULE_MAGIC;

PG_FUNCTION_INFO_V1(bench_floor_trigger);

Datum
bench_floor_trigger(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	Relation	hist;
	HeapTuple	copy;
	List	   *indexes;
	ListCell   *lc;
	EState	   *estate = NULL;
	TupleTableSlot *slot = NULL;

	if (!CALLED_AS_TRIGGER(fcinfo) || td->tg_trigger->tgnargs != 1 ||
		TRIGGER_FIRED_BY_INSERT(td->tg_event) || !TRIGGER_FIRED_FOR_ROW(td->tg_event))
		elog(ERROR, "bench_floor_trigger: AFTER UPDATE OR DELETE FOR EACH ROW, argument: the history table");
	/* The history table's OID, looked up once per statement (fn_extra lives as long as the executor). */
	if (fcinfo->flinfo->fn_extra == NULL)
	{
		Oid		   *relid = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(Oid));

		*relid = RangeVarGetRelid(makeRangeVarFromNameList(stringToQualifiedNameList(td->tg_trigger->tgargs[0])),
								  RowExclusiveLock, false);
		fcinfo->flinfo->fn_extra = relid;
	}
	hist = table_open(*(Oid *) fcinfo->flinfo->fn_extra, RowExclusiveLock);
	copy = heap_copytuple(td->tg_trigtuple);
	simple_heap_insert(hist, copy);
	indexes = RelationGetIndexList(hist);
	foreach(lc, indexes)
	{
		Relation	index = index_open(lfirst_oid(lc), RowExclusiveLock);
		IndexInfo  *ii = BuildIndexInfo(index);
		Datum		values[INDEX_MAX_KEYS];
		bool		isnull[INDEX_MAX_KEYS];

		if (estate == NULL)
		{
			estate = CreateExecutorState();
			slot = MakeSingleTupleTableSlot(RelationGetDescr(hist), &TTSOpsHeapTuple);
			GetPerTupleExprContext(estate)->ecxt_scantuple = slot;
			ExecStoreHeapTuple(copy, slot, false);
		}
		FormIndexDatum(ii, slot, estate, values, isnull);
		index_insert(index, values, isnull, &copy->t_self, hist, UNIQUE_CHECK_NO, false, ii);
		index_close(index, NoLock);
	}
	if (estate != NULL)
	{
		ExecDropSingleTupleTableSlot(slot);
		FreeExecutorState(estate);
	}
	table_close(hist, NoLock);
	return PointerGetDatum(NULL);
}
