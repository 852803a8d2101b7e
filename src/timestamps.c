/*
 * timestamps.c - the updated_at trigger.
 *
 * A C trigger rather than PL/pgSQL because it runs on every update of almost
 * every table; it replaces one column of the new tuple without any SPI.
 * An update that changes nothing else keeps the old updated_at, so a no-op
 * UPDATE stays a no-op (and history records nothing for it).
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "utils/timestamp.h"

#include "mentor.h"

/* Whether any column but skip_attnum differs between the two versions of a row. */
static bool
row_changed(TupleDesc desc, int skip_attnum, HeapTuple oldtup, HeapTuple newtup)
{
	Datum	   *ov = palloc(sizeof(Datum) * desc->natts);
	Datum	   *nv = palloc(sizeof(Datum) * desc->natts);
	bool	   *on = palloc(sizeof(bool) * desc->natts);
	bool	   *nn = palloc(sizeof(bool) * desc->natts);
	int			i;

	/* Deformed once each: heap_getattr per column walks the tuple again for every column. */
	heap_deform_tuple(oldtup, desc, ov, on);
	heap_deform_tuple(newtup, desc, nv, nn);
	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (i + 1 == skip_attnum || att->attisdropped)
			continue;
		if (!mn_same_value(att, ov[i], on[i], nv[i], nn[i]))
			return true;
	}
	return false;
}

PG_FUNCTION_INFO_V1(mn_touch_updated_at);
/* BEFORE UPDATE FOR EACH ROW: sets updated_at to the transaction's start time, like now(). */
Datum
mn_touch_updated_at(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	TupleDesc	tupdesc;
	int			attnum;
	int			cols[1];
	Datum		values[1];
	bool		nulls[1] = {false};

	mn_check_row_trigger(fcinfo, "mentor.touch_updated_at", 0, true);
	if (!TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
		return PointerGetDatum(trigdata->tg_trigtuple);

	tupdesc = RelationGetDescr(trigdata->tg_relation);
	attnum = SPI_fnumber(tupdesc, "updated_at");
	if (attnum <= 0 || TupleDescAttr(tupdesc, attnum - 1)->atttypid != TIMESTAMPTZOID)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("table \"%s\" has no timestamptz column \"updated_at\"",
						RelationGetRelationName(trigdata->tg_relation)),
				 errhint("mentor.touch_updated_at() needs a column updated_at timestamptz.")));
	cols[0] = attnum;
	values[0] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	if (!row_changed(tupdesc, attnum, trigdata->tg_trigtuple, trigdata->tg_newtuple))
		values[0] = heap_getattr(trigdata->tg_trigtuple, attnum, tupdesc, &nulls[0]);
	return PointerGetDatum(heap_modify_tuple_by_cols(trigdata->tg_newtuple, tupdesc,
													 1, cols, values, nulls));
}
