/*
 * history_partitions.c - which partition of mentor.history_log a history row
 * goes to, and partitions made before they are needed.
 *
 * The log is partitioned by time (RANGE on at), so that an audited write
 * descends only the current partition's key indexes, however long the log
 * is, and old history goes by dropping whole partitions.  History rows are
 * written by direct heap insert (history_store.c), not through the executor,
 * so the routing is done here: the partitions' bounds are copied from the
 * relcache's partition descriptor (always the latest committed catalog
 * state, also under REPEATABLE READ) into a small sorted array, dropped by the
 * relcache invalidation that ATTACH, DETACH and DROP send for the parent.
 *
 * A row with no partition for its time gets one there and then, through
 * mentor._history_add_partition() (SECURITY DEFINER, under SHARE UPDATE
 * EXCLUSIVE on the parent, so writers are not blocked and two creators
 * serialise).  Ahead of need: a write into the last partition past its
 * middle asks for the next one without waiting (NOWAIT; another session
 * doing it is as good), at most once a minute per backend, so the boundary
 * is crossed into a partition that already exists.
 *
 * A database still on 0.1 (served by this library before ALTER EXTENSION
 * UPDATE) has a plain log: rows then go to the log itself.
 */
#include "postgres.h"

#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "commands/extension.h"
#include "nodes/makefuncs.h"
#include "nodes/value.h"
#include "parser/parse_func.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "partitioning/partbounds.h"
#include "partitioning/partdesc.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "mentor.h"
#include "cache_invalidate.h"
#include "history.h"

typedef struct HistPart
{
	TimestampTz lo;				/* inclusive */
	TimestampTz hi;				/* exclusive */
	Oid			relid;
} HistPart;

static bool parts_valid = false;
static Oid	log_oid = InvalidOid;
static bool log_partitioned = false;
static HistPart *parts = NULL;	/* sorted by lo, in TopMemoryContext */
static int	nparts = 0;
static Oid	default_oid = InvalidOid;
static int	last_hit = -1;
static TimestampTz last_ahead_try = 0;

void
mn_history_partitions_relcache(Oid relid)
{
	if (relid == InvalidOid || relid == log_oid)
		parts_valid = false;
}

static TimestampTz
bound_value(PartitionBoundInfo b, int i)
{
	if (b->kind && b->kind[i][0] == PARTITION_RANGE_DATUM_MINVALUE)
		return DT_NOBEGIN;
	if (b->kind && b->kind[i][0] == PARTITION_RANGE_DATUM_MAXVALUE)
		return DT_NOEND;
	return DatumGetTimestampTz(b->datums[i][0]);
}

/* Copies the partitions' bounds from the relcache. */
static void
load_parts(void)
{
	Relation	parent;
	PartitionDesc pd;
	PartitionBoundInfo b;
	int			i;

	log_oid = get_relname_relid("history_log", get_namespace_oid("mentor", false));
	if (!OidIsValid(log_oid))
		elog(ERROR, "mentor.history_log is missing; reinstall the extension");
	parent = table_open(log_oid, AccessShareLock);
	log_partitioned = parent->rd_rel->relkind == RELKIND_PARTITIONED_TABLE;
	nparts = 0;
	default_oid = InvalidOid;
	last_hit = -1;
	if (log_partitioned)
	{
		pd = RelationGetPartitionDesc(parent, true);
		b = pd->boundinfo;
		if (parts)
			pfree(parts);
		parts = MemoryContextAlloc(TopMemoryContext, sizeof(HistPart) * Max(pd->nparts, 1));
		if (b && b->strategy == PARTITION_STRATEGY_RANGE)
		{
			/* indexes[i + 1] is the partition that starts at bound i, or -1 for a gap. */
			for (i = 0; i + 1 < b->ndatums; i++)
			{
				int			k = b->indexes[i + 1];

				if (k < 0)
					continue;
				parts[nparts].lo = bound_value(b, i);
				parts[nparts].hi = bound_value(b, i + 1);
				parts[nparts].relid = pd->oids[k];
				nparts++;
			}
			if (b->default_index >= 0)
				default_oid = pd->oids[b->default_index];
		}
		else if (b && b->default_index >= 0)
			default_oid = pd->oids[b->default_index];
	}
	table_close(parent, NoLock);
	parts_valid = true;
}

/* The partition holding time at, or -1. */
static int
find_part(TimestampTz at)
{
	int			lo = 0,
				hi = nparts - 1;

	if (last_hit >= 0 && last_hit < nparts && parts[last_hit].lo <= at && at < parts[last_hit].hi)
		return last_hit;
	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;

		if (at < parts[mid].lo)
			hi = mid - 1;
		else if (at >= parts[mid].hi)
			lo = mid + 1;
		else
			return last_hit = mid;
	}
	return -1;
}

/*
 * mentor._history_add_partition(at, wait): the partition created (or found)
 * for at, or InvalidOid.  Called through fmgr, not SQL: every role that
 * writes an audited table may need a partition made, but none may call the
 * function itself (EXECUTE is mentor_admin's), which makes tables.
 */
static Oid
add_partition(TimestampTz at, bool wait)
{
	static Oid	fn = InvalidOid;
	static Oid	fn_log = InvalidOid;
	FmgrInfo	flinfo;
	LOCAL_FCINFO(fcinfo, 2);
	Datum		result;

	if (!OidIsValid(fn) || fn_log != log_oid)
	{
		Oid			argtypes[2] = {TIMESTAMPTZOID, BOOLOID};

		fn = LookupFuncName(list_make2(makeString("mentor"), makeString("_history_add_partition")), 2, argtypes, false);
		fn_log = log_oid;
	}
	fmgr_info(fn, &flinfo);
	InitFunctionCallInfoData(*fcinfo, &flinfo, 2, InvalidOid, NULL, NULL);
	fcinfo->args[0].value = TimestampTzGetDatum(at);
	fcinfo->args[0].isnull = false;
	fcinfo->args[1].value = BoolGetDatum(wait);
	fcinfo->args[1].isnull = false;
	result = FunctionCallInvoke(fcinfo);
	parts_valid = false;
	return fcinfo->isnull ? InvalidOid : DatumGetObjectId(result);
}

/*
 * The relation a history row recorded at `at` goes to: a partition of the
 * log (created if none holds at), the default partition when only that can
 * take it, or the log itself when it is not partitioned.  InvalidOid: write
 * nothing.  Inside CREATE EXTENSION or ALTER EXTENSION UPDATE nothing is
 * written to a partitioned log: the partitions it would create would become
 * members of the extension, left out of dumps and clashing with the ones a
 * restore brings back.
 */
Oid
mn_history_target(TimestampTz at)
{
	int			k;
	Oid			made;

	if (!parts_valid)
		load_parts();
	if (!log_partitioned)
		return log_oid;
	if (creating_extension)
		return InvalidOid;
	k = find_part(at);
	if (k < 0)
	{
		made = add_partition(at, true);
		if (OidIsValid(made))
			return made;
		if (OidIsValid(default_oid))
			return default_oid;
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("no partition of mentor.history_log holds %s", timestamptz_to_str(at)),
				 errhint("Create one with SELECT mentor._history_add_partition(%s, true).",
						 quote_literal_cstr(timestamptz_to_str(at)))));
	}
	/* The last partition, past its middle: ask for the next one, without waiting for anyone. */
	if (k == nparts - 1 && parts[k].hi != DT_NOEND && at >= parts[k].lo + (parts[k].hi - parts[k].lo) / 2 &&
		at - last_ahead_try >= 60 * USECS_PER_SEC)
	{
		Oid			target = parts[k].relid;

		last_ahead_try = at;
		add_partition(parts[k].hi, false);
		return target;
	}
	return parts[k].relid;
}

/* Whether the log is partitioned (0.2 on) or a plain table (a database still on 0.1). */
bool
mn_history_log_is_partitioned(void)
{
	if (!parts_valid)
		load_parts();
	return log_partitioned;
}

/*
 * After the target was opened (and locked): false if what was loaded is no
 * longer true (a partition detached or dropped meanwhile), so the caller
 * routes again.
 */
bool
mn_history_target_still_valid(void)
{
	return parts_valid;
}

PG_FUNCTION_INFO_V1(mn_history_partition_bounds);
/* mentor._history_partition_bounds() -> setof (partition regclass, from_at, to_at): fresh from the relcache. */
Datum
mn_history_partition_bounds(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			i;

	InitMaterializedSRF(fcinfo, 0);
	load_parts();
	for (i = 0; i < nparts; i++)
	{
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		values[0] = ObjectIdGetDatum(parts[i].relid);
		values[1] = TimestampTzGetDatum(parts[i].lo);
		values[2] = TimestampTzGetDatum(parts[i].hi);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	if (OidIsValid(default_oid))
	{
		Datum		values[3] = {ObjectIdGetDatum(default_oid), 0, 0};
		bool		nulls[3] = {false, true, true};

		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
