/*
 * direct.h - writing rows of the extension's own tables without the executor.
 */
#ifndef DIRECT_H
#define DIRECT_H

#include "postgres.h"
#include "access/htup.h"
#include "access/tableam.h"
#include "executor/tuptable.h"
#include "nodes/execnodes.h"
#include "utils/rel.h"
#include "utils/snapshot.h"

#define MN_DIRECT_MAX_INDEXES 8

/*
 * One table of schema mentor written by direct heap and index access.  Declare
 * it static with relname and natts set (or relname NULL, and the table chosen
 * by mn_direct_retarget before each open); everything else is the cache, built
 * at the first open and rebuilt after a relcache invalidation of the table or
 * one of its indexes.
 */
typedef struct MnDirectRel
{
	const char *relname;
	int			natts;
	/* cache */
	bool		registered;
	bool		stale;
	Oid			oid;
	MemoryContext cxt;
	int			nindexes;
	int			pk;				/* position of the primary key in indexes, or -1 */
	Oid			index_oids[MN_DIRECT_MAX_INDEXES];
	IndexInfo  *infos[MN_DIRECT_MAX_INDEXES];
	ExprState  *preds[MN_DIRECT_MAX_INDEXES];
	EState	   *estate;			/* evaluates partial-index predicates */
	TupleTableSlot *slot;
	struct MnDirectRel *next;
	/* open state, between mn_direct_open and mn_direct_close */
	Relation	rel;
	bool		indexes_open;
	Relation	indexes[MN_DIRECT_MAX_INDEXES];
} MnDirectRel;

extern Relation mn_direct_open(MnDirectRel *d);
extern void mn_direct_retarget(MnDirectRel *d, Oid relid);
extern void mn_direct_close(MnDirectRel *d);
extern void mn_direct_prevent_read_only(const char *what);
extern void mn_direct_insert(MnDirectRel *d, HeapTuple tuple);
extern void mn_direct_insert_batch(MnDirectRel *d, HeapTuple *tuples, int n);
extern bool mn_direct_insert_if_new(MnDirectRel *d, HeapTuple tuple);
extern TM_Result mn_direct_update(MnDirectRel *d, ItemPointer otid, HeapTuple tuple, bool wait);
extern bool mn_direct_fetch(MnDirectRel *d, RegProcedure eqproc, Datum key, Snapshot snapshot,
							TupleTableSlot *slot, ItemPointer root);
extern bool mn_direct_fetch_tid(MnDirectRel *d, ItemPointer root, Snapshot snapshot, TupleTableSlot *slot);
extern Relation mn_direct_pk(MnDirectRel *d);

#endif							/* DIRECT_H */
