/*
 * lifecycle.c - the enforce_lifecycle trigger and its per-backend cache.
 *
 * Design: lifecycles are read from the catalogue views mentor.lifecycles and
 * mentor.lifecycle_transitions once per backend and kept as lc_graph
 * (src/core/lifecycle_graph.c) in a hash in LifecycleContext.  The storage
 * tables behind the views carry a statement trigger that sends a relcache
 * invalidation for themselves; every backend receives it no later than the
 * start of its next transaction (or its next lock acquisition), our relcache
 * callback marks the cache stale, and the next lookup rebuilds it.  So a
 * define_lifecycle() committed by another session is honoured by the next
 * statement, and one rolled back is forgotten, without any per-row query.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "mentor.h"
#include "cache_invalidate.h"
#include "mentor_errcodes.h"
#include "core/lifecycle_graph.h"

typedef struct LifecycleEntry
{
	char		name[NAMEDATALEN];	/* hash key */
	lc_graph   *graph;
} LifecycleEntry;

static MemoryContext LifecycleContext = NULL;
static HTAB *LifecycleHash = NULL;
static bool LifecycleStale = true;
static Oid	state_defs_oid = InvalidOid;
static Oid	transition_defs_oid = InvalidOid;
static SPIPlanPtr states_plan = NULL;
static SPIPlanPtr transitions_plan = NULL;

void
mn_lifecycle_relcache(Oid relid)
{
	if (relid == InvalidOid || relid == state_defs_oid || relid == transition_defs_oid)
		LifecycleStale = true;
}

static void
check_lifecycle_name(const char *name)
{
	if (!lc_valid_state_name(name, strlen(name)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid lifecycle name \"%s\"", name),
				 errhint("Lifecycle names are lower snake_case of at most %d characters, such as \"session\".",
						 LC_STATE_NAME_MAX)));
}

/* Reads one lifecycle from the catalogue into LifecycleContext; NULL if it does not exist. */
static lc_graph *
load_lifecycle(const char *name)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];
	lc_graph   *g = NULL;
	mn_allocator a = mn_palloc_allocator(LifecycleContext);
	Oid			nsp;
	int			ret;
	uint64		i;

	elog(DEBUG1, "mentor: loading lifecycle \"%s\" into the backend cache", name);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	nsp = get_namespace_oid("mentor", false);
	state_defs_oid = get_relname_relid("lifecycle_state_defs", nsp);
	transition_defs_oid = get_relname_relid("lifecycle_transition_defs", nsp);
	if (states_plan == NULL)
		states_plan = mn_keep_plan("SELECT state, is_initial, is_final FROM mentor.lifecycles"
								" WHERE name = $1 ORDER BY position", 1, argtypes, 0);
	if (transitions_plan == NULL)
		transitions_plan = mn_keep_plan("SELECT from_state, to_state FROM mentor.lifecycle_transitions"
									 " WHERE name = $1", 1, argtypes, 0);
	args[0] = CStringGetTextDatum(name);

	ret = SPI_execute_plan(states_plan, args, NULL, true, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "reading lifecycle states failed: %s", SPI_result_code_string(ret));
	if (SPI_processed > 0 && SPI_processed <= LC_MAX_STATES)
	{
		int			n = (int) SPI_processed;
		const char **names = palloc(sizeof(char *) * n);
		unsigned char *flags = palloc0(n);
		bool		isnull;

		for (i = 0; i < SPI_processed; i++)
		{
			HeapTuple	tup = SPI_tuptable->vals[i];
			TupleDesc	desc = SPI_tuptable->tupdesc;

			names[i] = SPI_getvalue(tup, desc, 1);
			if (DatumGetBool(SPI_getbinval(tup, desc, 2, &isnull)) && !isnull)
				flags[i] |= LC_INITIAL;
			if (DatumGetBool(SPI_getbinval(tup, desc, 3, &isnull)) && !isnull)
				flags[i] |= LC_FINAL;
		}
		g = lc_create(n, names, flags, &a);
		if (g == NULL)
			elog(ERROR, "out of memory loading lifecycle \"%s\"", name);

		ret = SPI_execute_plan(transitions_plan, args, NULL, true, 0);
		if (ret != SPI_OK_SELECT)
			elog(ERROR, "reading lifecycle transitions failed: %s", SPI_result_code_string(ret));
		for (i = 0; i < SPI_processed; i++)
		{
			char	   *from = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
			char	   *to = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2);

			lc_allow(g, lc_find(g, from, strlen(from)), lc_find(g, to, strlen(to)));
		}
	}
	SPI_finish();
	return g;
}

/* The cached graph of a lifecycle, loading it on first use; NULL if unknown. */
static lc_graph *
lookup_lifecycle(const char *name)
{
	LifecycleEntry *entry;
	bool		found;
	lc_graph   *g;

	check_lifecycle_name(name);
	if (LifecycleStale || LifecycleHash == NULL)
	{
		HASHCTL		ctl;

		if (LifecycleContext == NULL)
			LifecycleContext = AllocSetContextCreate(CacheMemoryContext, "mentor lifecycles",
													 ALLOCSET_SMALL_SIZES);
		else
			MemoryContextReset(LifecycleContext);
		memset(&ctl, 0, sizeof(ctl));
		ctl.keysize = NAMEDATALEN;
		ctl.entrysize = sizeof(LifecycleEntry);
		ctl.hcxt = LifecycleContext;
#if PG_VERSION_NUM >= 140000
		LifecycleHash = hash_create("mentor lifecycles", 64, &ctl,
									HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
#else
		LifecycleHash = hash_create("mentor lifecycles", 64, &ctl, HASH_ELEM | HASH_CONTEXT);
#endif
		LifecycleStale = false;
	}
	entry = hash_search(LifecycleHash, name, HASH_FIND, NULL);
	if (entry)
		return entry->graph;
	g = load_lifecycle(name);
	/* An invalidation during the load reset nothing: the reset happens on entry. */
	if (g != NULL && !LifecycleStale)
	{
		entry = hash_search(LifecycleHash, name, HASH_ENTER, &found);
		entry->graph = g;
	}
	return g;
}

static lc_graph *
require_lifecycle(const char *name)
{
	lc_graph   *g = lookup_lifecycle(name);

	if (g == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("lifecycle \"%s\" does not exist", name),
				 errhint("SELECT DISTINCT name FROM mentor.lifecycles lists them; mentor.define_lifecycle() adds one.")));
	return g;
}

/* "a, b, c" of the states reachable from state index "from", or of the initial states when from < 0. */
static char *
state_list(const lc_graph *g, int from)
{
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	for (i = 0; i < g->nstates; i++)
	{
		bool		listed = from < 0 ? (g->flags[i] & LC_INITIAL) != 0
			: g->adj[from * g->nstates + i] != 0;

		if (listed)
			appendStringInfo(&buf, "%s%s", buf.len ? ", " : "", g->names[i]);
	}
	return buf.data;
}

static char *
value_text(Datum value, Oid typid)
{
	Oid			outfunc;
	bool		isvarlena;

	if (typid == TEXTOID || typid == VARCHAROID)
		return TextDatumGetCString(value);
	getTypeOutputInfo(typid, &outfunc, &isvarlena);
	return OidOutputFunctionCall(outfunc, value);
}

/* errdetail text for the moves out of "from" (a state name, or NULL for a new row). */
static char *
allowed_moves(const lc_graph *g, const char *row, const char *column, const char *from)
{
	int			next[LC_MAX_STATES];
	int			f = from ? lc_find(g, from, strlen(from)) : -1;

	if (from == NULL)
		return psprintf("%s: a new %s must be one of: %s.", row, column, state_list(g, -1));
	if (f < 0)
		return psprintf("%s: %s is \"%s\", which is not a state of this lifecycle.", row, column, from);
	if (lc_next(g, f, next) == 0)
		return psprintf("%s: \"%s\" is a final state; no transition leaves it.", row, from);
	return psprintf("%s: %s may move from \"%s\" only to: %s.", row, column, from, state_list(g, f));
}

static void
reject(const lc_graph *g, lc_verdict v, const char *lifecycle, const char *column,
	   const char *from, const char *to, Relation rel, HeapTuple tuple)
{
	char	   *detail = allowed_moves(g, mn_describe_row(rel, tuple), column, from);

	switch (v)
	{
		case LC_NOT_INITIAL:
			ereport(ERROR,
					(errcode(ERRCODE_MN_INVALID_TRANSITION),
					 errmsg("\"%s\" is not an initial state of lifecycle \"%s\"", to, lifecycle),
					 errdetail_internal("%s", detail)));
			break;
		case LC_UNKNOWN_TO:
			ereport(ERROR,
					(errcode(ERRCODE_MN_INVALID_TRANSITION),
					 errmsg("\"%s\" is not a state of lifecycle \"%s\"", to, lifecycle),
					 errdetail_internal("%s", detail),
					 errhint("SELECT state FROM mentor.lifecycles WHERE name = '%s' lists its states.", lifecycle)));
			break;
		case LC_UNKNOWN_FROM:
			ereport(ERROR,
					(errcode(ERRCODE_MN_INVALID_TRANSITION),
					 errmsg("current %s \"%s\" is not a state of lifecycle \"%s\"", column, from, lifecycle),
					 errdetail_internal("%s", detail),
					 errhint("Add the state with mentor.define_lifecycle('%s', ...), or correct the row.", lifecycle)));
			break;
		case LC_NOT_ALLOWED:
			ereport(ERROR,
					(errcode(ERRCODE_MN_INVALID_TRANSITION),
					 errmsg("invalid transition from \"%s\" to \"%s\" in lifecycle \"%s\"", from, to, lifecycle),
					 errdetail_internal("%s", detail),
					 errhint("mentor.next_states('%s', '%s') lists the allowed moves.", lifecycle, from)));
			break;
		case LC_OK:
			break;
	}
}

PG_FUNCTION_INFO_V1(mn_enforce_lifecycle);
/*
 * BEFORE INSERT OR UPDATE OF col FOR EACH ROW
 * EXECUTE FUNCTION mentor.enforce_lifecycle('lifecycle', 'col').
 * Inserts must start in an initial state; updates must follow a transition
 * (keeping the same value is always fine).  NULL is "no state": a NULL row
 * may enter an initial state, but a stated row cannot fall back to NULL.
 */
Datum
mn_enforce_lifecycle(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	Relation	rel;
	TupleDesc	tupdesc;
	const char *lifecycle;
	const char *column;
	HeapTuple	newtuple;
	int			attnum;
	Oid			typid;
	Datum		newval;
	bool		newnull;
	Datum		oldval = (Datum) 0;
	bool		oldnull = true;
	lc_graph   *g;
	char	   *from = NULL;
	char	   *to;
	lc_verdict	v;

	mn_check_row_trigger(fcinfo, "mentor.enforce_lifecycle", 2, true);
	rel = td->tg_relation;
	tupdesc = RelationGetDescr(rel);
	lifecycle = td->tg_trigger->tgargs[0];
	column = td->tg_trigger->tgargs[1];
	newtuple = TRIGGER_FIRED_BY_UPDATE(td->tg_event) ? td->tg_newtuple : td->tg_trigtuple;

	attnum = SPI_fnumber(tupdesc, column);
	if (attnum <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" named by trigger \"%s\" does not exist in table \"%s\"",
						column, td->tg_trigger->tgname, RelationGetRelationName(rel)),
				 errhint("Recreate the trigger with mentor.attach_lifecycle(table, column, lifecycle).")));
	typid = TupleDescAttr(tupdesc, attnum - 1)->atttypid;
	newval = heap_getattr(newtuple, attnum, tupdesc, &newnull);

	if (TRIGGER_FIRED_BY_UPDATE(td->tg_event))
	{
		oldval = heap_getattr(td->tg_trigtuple, attnum, tupdesc, &oldnull);
		/* The common case, and nearly free: the status was not changed. */
		if (mn_same_value(TupleDescAttr(tupdesc, attnum - 1), oldval, oldnull, newval, newnull))
			return PointerGetDatum(newtuple);
	}
	else if (newnull)
		return PointerGetDatum(newtuple);

	/*
	 * "setting:<key>": the deployment chooses the lifecycle (sessions follow
	 * session.flow), read only now that a status actually changes.
	 */
	if (strncmp(lifecycle, "setting:", 8) == 0)
	{
		bool		found;
		const char *key = lifecycle + 8;

		lifecycle = mn_setting_text(key, &found);
		if (lifecycle == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("setting %s names no lifecycle for column %s of table %s", key, column,
							RelationGetRelationName(rel)),
					 errhint("Set %s in mentor.settings to the name of a lifecycle.", key)));
	}
	g = require_lifecycle(lifecycle);
	if (!oldnull)
		from = value_text(oldval, typid);
	if (newnull)
		ereport(ERROR,
				(errcode(ERRCODE_MN_INVALID_TRANSITION),
				 errmsg("%s cannot be set to NULL once it has a state in lifecycle \"%s\"", column, lifecycle),
				 errdetail_internal("%s", allowed_moves(g, mn_describe_row(rel, td->tg_trigtuple), column, from))));
	to = value_text(newval, typid);
	v = lc_check(g, from, from ? strlen(from) : 0, to, strlen(to));
	/* An imported row arrives in whatever state its history left it, as long as it is a state. */
	if (mn_importing() && (v == LC_NOT_INITIAL || v == LC_NOT_ALLOWED))
		v = LC_OK;
	if (v != LC_OK)
		reject(g, v, lifecycle, column, from, to, rel, newtuple);
	return PointerGetDatum(newtuple);
}

PG_FUNCTION_INFO_V1(mn_next_states);
/* mentor.next_states(lifecycle, state) -> text[]: states one transition away, in diagram order. */
Datum
mn_next_states(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *state = text_to_cstring(PG_GETARG_TEXT_PP(1));
	lc_graph   *g = require_lifecycle(name);
	int			f = lc_find(g, state, strlen(state));
	int			next[LC_MAX_STATES];
	Datum		elems[LC_MAX_STATES];
	int			n;
	int			i;

	if (f < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" is not a state of lifecycle \"%s\"", state, name),
				 errdetail("Its initial states are: %s.", state_list(g, -1)),
				 errhint("SELECT state FROM mentor.lifecycles WHERE name = '%s' lists them all.", name)));
	n = lc_next(g, f, next);
	for (i = 0; i < n; i++)
		elems[i] = CStringGetTextDatum(g->names[next[i]]);
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT));
}

/* Runs one statement of define_lifecycle through SPI, checking its result. */
static void
spi_exec(const char *sql, int nargs, Oid *types, Datum *values, int expected)
{
	int			ret = SPI_execute_with_args(sql, nargs, types, values, NULL, false, 0);

	if (ret != expected)
		elog(ERROR, "\"%s\" failed: %s", sql, SPI_result_code_string(ret));
}

PG_FUNCTION_INFO_V1(mn_define_lifecycle);
/*
 * mentor.define_lifecycle(name, transitions text[][]) -> int (transitions stored).
 * Each row of the array is {from, to}; NULL or '[*]' stands for the
 * diagrams' [*], so {NULL, 'draft'} makes draft initial and {'paid', NULL}
 * makes paid final.  Replaces the caller's previous definition of the name,
 * which overrides a shipped one (mentor.reset_lifecycle() goes back).
 * mentor._ship_lifecycle(name, transitions, true) stores a shipped one.
 */
Datum
mn_define_lifecycle(PG_FUNCTION_ARGS)
{
	char	   *name;
	ArrayType  *arr;
	bool		shipped = PG_NARGS() > 2 && !PG_ARGISNULL(2) && PG_GETARG_BOOL(2);
	Datum	   *elems;
	bool	   *nulls;
	int			nelems;
	int			nedges;
	lc_edge    *edges;
	lc_graph   *g;
	char		err[256];
	mn_allocator a = mn_palloc_allocator(CurrentMemoryContext);
	Datum	   *states,
			   *initial,
			   *final,
			   *froms,
			   *tos;
	int			ntrans = 0;
	int			i,
				j;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("lifecycle name and transitions must not be NULL")));
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	check_lifecycle_name(name);
	arr = PG_GETARG_ARRAYTYPE_P(1);
	if (ARR_NDIM(arr) != 2 || ARR_DIMS(arr)[1] != 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("transitions of lifecycle \"%s\" must be a two-column array", name),
				 ARR_NDIM(arr) == 2
				 ? errdetail("Got %d columns per row.", ARR_DIMS(arr)[1])
				 : errdetail("Got an array of %d dimension(s).", ARR_NDIM(arr)),
				 errhint("Pass ARRAY[[NULL, 'draft'], ['draft', 'submitted'], ['submitted', NULL]]: NULL is the diagrams' [*].")));
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &nelems);
	nedges = nelems / 2;
	edges = palloc0(sizeof(lc_edge) * nedges);
	for (i = 0; i < nedges; i++)
		for (j = 0; j < 2; j++)
		{
			char	   *s = nulls[2 * i + j] ? NULL : TextDatumGetCString(elems[2 * i + j]);

			if (s && strcmp(s, "[*]") == 0)
				s = NULL;
			if (j == 0)
				edges[i].from = s;
			else
				edges[i].to = s;
		}
	g = lc_from_edges(edges, nedges, &a, err, sizeof(err));
	if (g == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid lifecycle \"%s\"", name),
				 errdetail("%s.", err)));

	states = palloc(sizeof(Datum) * g->nstates);
	initial = palloc(sizeof(Datum) * g->nstates);
	final = palloc(sizeof(Datum) * g->nstates);
	froms = palloc(sizeof(Datum) * g->nstates * g->nstates + 1);
	tos = palloc(sizeof(Datum) * g->nstates * g->nstates + 1);
	for (i = 0; i < g->nstates; i++)
	{
		states[i] = CStringGetTextDatum(g->names[i]);
		initial[i] = BoolGetDatum((g->flags[i] & LC_INITIAL) != 0);
		final[i] = BoolGetDatum((g->flags[i] & LC_FINAL) != 0);
		for (j = 0; j < g->nstates; j++)
			if (g->adj[i * g->nstates + j])
			{
				froms[ntrans] = CStringGetTextDatum(g->names[i]);
				tos[ntrans++] = CStringGetTextDatum(g->names[j]);
			}
	}

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	{
		Oid			t2[2] = {TEXTOID, BOOLOID};
		Datum		v2[2] = {CStringGetTextDatum(name), BoolGetDatum(shipped)};
		Oid			t5[5] = {TEXTOID, BOOLOID, TEXTARRAYOID, BOOLARRAYOID, BOOLARRAYOID};
		Datum		v5[5] = {v2[0], v2[1],
			PointerGetDatum(construct_array(states, g->nstates, TEXTOID, -1, false, TYPALIGN_INT)),
			PointerGetDatum(construct_array(initial, g->nstates, BOOLOID, 1, true, TYPALIGN_CHAR)),
		PointerGetDatum(construct_array(final, g->nstates, BOOLOID, 1, true, TYPALIGN_CHAR))};
		Oid			t4[4] = {TEXTOID, BOOLOID, TEXTARRAYOID, TEXTARRAYOID};
		Datum		v4[4] = {v2[0], v2[1],
			PointerGetDatum(construct_array(froms, ntrans, TEXTOID, -1, false, TYPALIGN_INT)),
		PointerGetDatum(construct_array(tos, ntrans, TEXTOID, -1, false, TYPALIGN_INT))};

		/* Concurrent definitions of one name queue up instead of colliding on the key. */
		spi_exec("SELECT pg_advisory_xact_lock(hashtext('mentor.lifecycle:' || $1))", 1, t2, v2, SPI_OK_SELECT);
		spi_exec("DELETE FROM mentor.lifecycle_transition_defs WHERE lifecycle = $1 AND shipped = $2",
				 2, t2, v2, SPI_OK_DELETE);
		spi_exec("DELETE FROM mentor.lifecycle_state_defs WHERE lifecycle = $1 AND shipped = $2",
				 2, t2, v2, SPI_OK_DELETE);
		spi_exec("INSERT INTO mentor.lifecycle_state_defs (lifecycle, state, position, is_initial, is_final, shipped)"
				 " SELECT $1, s, o, i, f, $2 FROM unnest($3, $4, $5) WITH ORDINALITY AS u(s, i, f, o)",
				 5, t5, v5, SPI_OK_INSERT);
		spi_exec("INSERT INTO mentor.lifecycle_transition_defs (lifecycle, from_state, to_state, shipped)"
				 " SELECT $1, f, t, $2 FROM unnest($3, $4) AS u(f, t)",
				 4, t4, v4, SPI_OK_INSERT);
	}
	SPI_finish();
	PG_RETURN_INT32(ntrans);
}
