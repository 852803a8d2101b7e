/*
 * range_bounds.c - plain bound columns beside a range column.
 *
 * Owns the trigger mentor._range_bounds(range, lower, upper, ...), which keeps
 * columns such as sessions.starts_at and ends_at equal to the bounds of a
 * range column (during).  ORMs map a timestamp natively and most of them do
 * not know tstzrange; the range stays the source of truth because the
 * exclusion constraints that prevent double booking are built on it.
 *
 * Why plain columns kept by a trigger and not generated columns: an ORM that
 * saves every mapped column (Django) would send a value for a generated
 * column, which PostgreSQL refuses even when it is unchanged.  Here an
 * unchanged bound passes, a changed range sets the bounds, and bounds
 * changed alone set the range ([lower, upper), as the extension's functions
 * build it), so rows imported with only a start and an end get their range.
 * Bounds that contradict a range written in the same statement are refused.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "commands/trigger.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rangetypes.h"
#include "utils/typcache.h"

#include "mentor.h"

typedef struct BoundsColumns
{
	AttrNumber	range;
	AttrNumber	lower;
	AttrNumber	upper;
} BoundsColumns;

static AttrNumber
column(TriggerData *td, const char *name, Oid want)
{
	Relation	rel = td->tg_relation;
	AttrNumber	attnum = get_attnum(RelationGetRelid(rel), name);
	Oid			have;

	if (attnum == InvalidAttrNumber)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("trigger \"%s\" names column \"%s\", which %s does not have",
						td->tg_trigger->tgname, name, mn_qualified_name(rel))));
	have = TupleDescAttr(RelationGetDescr(rel), attnum - 1)->atttypid;
	if (OidIsValid(want) ? have != want : !type_is_range(have))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("column \"%s\" of %s is of type %s, not %s",
						name, mn_qualified_name(rel), format_type_be(have),
						OidIsValid(want) ? format_type_be(want) : "a range type"),
				 errdetail("_range_bounds() takes triples of columns: a range, then its lower and upper bound.")));
	return attnum;
}

/* The bounds a range value gives its columns: NULL for an infinite bound, both NULL for empty. */
static void
bounds_of(TypeCacheEntry *tc, Datum r, bool rnull, Datum *lo, bool *lonull, Datum *hi, bool *hinull)
{
	RangeBound	lower,
				upper;
	bool		empty;

	*lonull = *hinull = true;
	if (rnull)
		return;
	range_deserialize(tc, DatumGetRangeTypeP(r), &lower, &upper, &empty);
	if (empty)
		return;
	if (!lower.infinite)
	{
		*lo = lower.val;
		*lonull = false;
	}
	if (!upper.infinite)
	{
		*hi = upper.val;
		*hinull = false;
	}
}

static Datum
range_of(TypeCacheEntry *tc, Datum lo, bool lonull, Datum hi, bool hinull)
{
	RangeBound	lower = {.val = lo, .infinite = lonull, .inclusive = !lonull, .lower = true};
	RangeBound	upper = {.val = hi, .infinite = hinull, .inclusive = false, .lower = false};

	return RangeTypePGetDatum(make_range(tc, &lower, &upper, false));
}

PG_FUNCTION_INFO_V1(mn_range_bounds);
/* BEFORE INSERT OR UPDATE FOR EACH ROW; arguments: (range, lower, upper) column triples. */
Datum
mn_range_bounds(PG_FUNCTION_ARGS)
{
	TriggerData *td;
	Relation	rel;
	TupleDesc	desc;
	HeapTuple	newtup;
	bool		insert;
	int			t;

	mn_check_row_trigger(fcinfo, "_range_bounds", -1, true);
	td = (TriggerData *) fcinfo->context;
	if (td->tg_trigger->tgnargs == 0 || td->tg_trigger->tgnargs % 3 != 0)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("trigger \"%s\" must pass _range_bounds() triples of columns: range, lower, upper",
						td->tg_trigger->tgname)));
	rel = td->tg_relation;
	desc = RelationGetDescr(rel);
	insert = TRIGGER_FIRED_BY_INSERT(td->tg_event);
	newtup = insert ? td->tg_trigtuple : td->tg_newtuple;

	for (t = 0; t < td->tg_trigger->tgnargs; t += 3)
	{
		char	  **args = td->tg_trigger->tgargs + t;
		BoundsColumns c;
		TypeCacheEntry *tc;
		Form_pg_attribute lo_att;
		Datum		r,
					lo,
					hi,
					want_lo = 0,
					want_hi = 0;
		bool		rnull,
					lonull,
					hinull,
					want_lonull,
					want_hinull,
					range_written,
					lo_written,
					hi_written;
		int			cols[2];
		Datum		values[2];
		bool		nulls[2] = {false, false};

		c.range = column(td, args[0], InvalidOid);
		tc = lookup_type_cache(TupleDescAttr(desc, c.range - 1)->atttypid, TYPECACHE_RANGE_INFO);
		c.lower = column(td, args[1], tc->rngelemtype->type_id);
		c.upper = column(td, args[2], tc->rngelemtype->type_id);
		lo_att = TupleDescAttr(desc, c.lower - 1);

		r = heap_getattr(newtup, c.range, desc, &rnull);
		lo = heap_getattr(newtup, c.lower, desc, &lonull);
		hi = heap_getattr(newtup, c.upper, desc, &hinull);
		if (insert)
		{
			range_written = !rnull;
			lo_written = !lonull;
			hi_written = !hinull;
		}
		else
		{
			Datum		o;
			bool		onull;

			o = heap_getattr(td->tg_trigtuple, c.range, desc, &onull);
			range_written = !mn_same_value(TupleDescAttr(desc, c.range - 1), r, rnull, o, onull);
			o = heap_getattr(td->tg_trigtuple, c.lower, desc, &onull);
			lo_written = !mn_same_value(lo_att, lo, lonull, o, onull);
			o = heap_getattr(td->tg_trigtuple, c.upper, desc, &onull);
			hi_written = !mn_same_value(lo_att, hi, hinull, o, onull);
		}

		if (!range_written && !lo_written && !hi_written && !insert)
			continue;
		if (!range_written && (lo_written || hi_written))
		{
			/* Only the bounds were written: they make the range. */
			cols[0] = c.range;
			nulls[0] = lonull && hinull;
			values[0] = nulls[0] ? (Datum) 0 : range_of(tc, lo, lonull, hi, hinull);
			newtup = heap_modify_tuple_by_cols(newtup, desc, 1, cols, values, nulls);
			continue;
		}
		bounds_of(tc, r, rnull, &want_lo, &want_lonull, &want_hi, &want_hinull);
		/* A bound the statement left alone follows the new range; one it wrote must agree. */
		if (range_written &&
			((lo_written && !mn_same_value(lo_att, lo, lonull, want_lo, want_lonull)) ||
			 (hi_written && !mn_same_value(lo_att, hi, hinull, want_hi, want_hinull))))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("columns %s and %s of %s disagree with %s",
							args[1], args[2], mn_qualified_name(rel), args[0]),
					 errdetail("%s and %s are the bounds of %s; this statement writes them, with different values.",
							   args[1], args[2], args[0]),
					 errhint("Write either %s or %s and %s; the other follows.", args[0], args[1], args[2])));
		cols[0] = c.lower;
		cols[1] = c.upper;
		values[0] = want_lo;
		values[1] = want_hi;
		nulls[0] = want_lonull;
		nulls[1] = want_hinull;
		newtup = heap_modify_tuple_by_cols(newtup, desc, 2, cols, values, nulls);
	}
	return PointerGetDatum(newtup);
}
