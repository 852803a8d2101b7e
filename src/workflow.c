/*
 * workflow.c - the workflow engine's C: mentor._workflow_check(...), a
 * definition validated by src/core/workflow.c before it is stored, and the
 * trigger that enrolls leads and job posts by the workflow rules (with the
 * events that have rules cached).
 *
 * The SQL caller (the workflows table's trigger) takes the nodes, their
 * parameter names and the edges out of the definition's JSON and checks its
 * shape; this file hands them to the core and turns its verdict into a 22023
 * that names the first problem.  An empty "when" is an unlabelled edge.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/rel.h"

#include "cache_invalidate.h"
#include "mentor.h"
#include "core/workflow.h"

PG_FUNCTION_INFO_V1(mn_workflow_check);

Datum
mn_workflow_check(PG_FUNCTION_ARGS)
{
	int			nids, ntypes, npn, npnames, nfrom, nto, nwhen;
	Datum	   *ids = mn_array_arg(fcinfo, 0, "node_ids", TEXTOID, &nids);
	Datum	   *types = mn_array_arg(fcinfo, 1, "node_types", TEXTOID, &ntypes);
	Datum	   *pnodes = mn_array_arg(fcinfo, 2, "param_nodes", INT4OID, &npn);
	Datum	   *pnames = mn_array_arg(fcinfo, 3, "param_names", TEXTOID, &npnames);
	Datum	   *efrom = mn_array_arg(fcinfo, 4, "edge_from", TEXTOID, &nfrom);
	Datum	   *eto = mn_array_arg(fcinfo, 5, "edge_to", TEXTOID, &nto);
	Datum	   *ewhen = mn_array_arg(fcinfo, 6, "edge_when", TEXTOID, &nwhen);
	mn_allocator a = mn_palloc_allocator(CurrentMemoryContext);
	wf_node    *nodes;
	wf_edge    *edges;
	wf_graph   *g;
	char		err[1024];
	int			i;

	if (nids != ntypes || npn != npnames || nfrom != nto || nfrom != nwhen)
		elog(ERROR, "_workflow_check: array lengths do not match");
	nodes = palloc0(sizeof(wf_node) * (nids + 1));
	edges = palloc0(sizeof(wf_edge) * (nfrom + 1));
	for (i = 0; i < nids; i++)
	{
		nodes[i].id = TextDatumGetCString(ids[i]);
		nodes[i].type = TextDatumGetCString(types[i]);
		nodes[i].params = palloc0(sizeof(char *) * (npn + 1));
	}
	/* Parameters arrive as (node number, name) pairs, in any order. */
	for (i = 0; i < npn; i++)
	{
		int32		k = DatumGetInt32(pnodes[i]) - 1;
		wf_node    *n;

		if (k < 0 || k >= nids)
			elog(ERROR, "_workflow_check: parameter of node %d out of range", k + 1);
		n = &nodes[k];
		((const char **) n->params)[n->nparams++] = TextDatumGetCString(pnames[i]);
	}
	for (i = 0; i < nfrom; i++)
	{
		char	   *when = TextDatumGetCString(ewhen[i]);

		edges[i].from = TextDatumGetCString(efrom[i]);
		edges[i].to = TextDatumGetCString(eto[i]);
		edges[i].when = when[0] == '\0' ? NULL : when;
	}
	g = wf_validate(nodes, nids, edges, nfrom, &a, err, sizeof(err));
	if (g == NULL)
	{
		if (err[0] == '\0')
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory validating a workflow")));
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid workflow definition"),
				 errdetail("%s.", err),
				 errhint("A definition is {\"nodes\": [{\"id\", \"type\", \"params\"}], \"edges\": [{\"from\", \"to\", \"when\"}]}: "
						 "one start node, no cycle, every node reachable; only branch nodes have labelled edges.")));
	}
	PG_RETURN_TEXT_P(cstring_to_text(nodes[g->start].id));
}

/*
 * Which events have an active rule at all, cached per backend: with none (the
 * common case) a lead passes the trigger without a query.  Any change to
 * workflow_rules invalidates it (its statement trigger, _table_cache_changed).
 */
static bool RulesStale = true;
static Oid	rules_oid = InvalidOid;
static bool rules_for[3];		/* lead_created, lead_status, job_post_status */

void
mn_workflow_relcache(Oid relid)
{
	if (relid == InvalidOid || relid == rules_oid)
		RulesStale = true;
}

static int
event_index(const char *event)
{
	return strcmp(event, "lead_created") == 0 ? 0 : strcmp(event, "lead_status") == 0 ? 1 : 2;
}

/* Inside SPI. */
static void
load_rule_events(void)
{
	uint64		i;

	rules_oid = mn_relid("workflow_rules");
	if (SPI_execute("SELECT DISTINCT event FROM mentor.workflow_rules WHERE active", true, 0) != SPI_OK_SELECT)
		elog(ERROR, "workflow rules lookup failed");
	rules_for[0] = rules_for[1] = rules_for[2] = false;
	for (i = 0; i < SPI_processed; i++)
		rules_for[event_index(SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1))] = true;
	RulesStale = false;
}

/*
 * _workflow_rules_fire(): AFTER ROW trigger on raw_leads (INSERT; UPDATE OF
 * status) and job_posts (UPDATE OF status): enrolls the row in the active
 * workflows whose rules match the event.  In C because every lead that
 * arrives passes here, and with no rule (the common case) it is one cached
 * query.  It runs with the rights of the writer (who may read the rules and
 * call mentor.enroll, itself SECURITY DEFINER).
 */
PG_FUNCTION_INFO_V1(mn_workflow_rules_fire);

Datum
mn_workflow_rules_fire(PG_FUNCTION_ARGS)
{
	static SPIPlanPtr rules_plan = NULL;
	static SPIPlanPtr enroll_plan = NULL;
	TriggerData *td = mn_require_trigger(fcinfo, "_workflow_rules_fire", NULL);
	Relation	rel = td->tg_relation;
	TupleDesc	desc = RelationGetDescr(rel);
	HeapTuple	row;
	bool		lead = strcmp(RelationGetRelationName(rel), "raw_leads") == 0;
	const char *event;
	const char *kind = lead ? "lead" : "job_post";
	int			id_att = SPI_fnumber(desc, "id");
	int			status_att = SPI_fnumber(desc, "status");
	Datum		id;
	char	   *status;
	bool		isnull;
	Datum		args[4];
	uint64		i, n;

	if (!TRIGGER_FIRED_AFTER(td->tg_event) || !TRIGGER_FIRED_FOR_ROW(td->tg_event) || id_att <= 0 || status_att <= 0)
		elog(ERROR, "_workflow_rules_fire() must be an AFTER ROW trigger on a table with id and status");
	row = TRIGGER_FIRED_BY_UPDATE(td->tg_event) ? td->tg_newtuple : td->tg_trigtuple;
	event = !lead ? "job_post_status" : TRIGGER_FIRED_BY_INSERT(td->tg_event) ? "lead_created" : "lead_status";
	id = SPI_getbinval(row, desc, id_att, &isnull);
	status = SPI_getvalue(row, desc, status_att);

	SPI_connect();
	if (RulesStale)
		load_rule_events();
	if (!rules_for[event_index(event)])
	{
		SPI_finish();
		return PointerGetDatum(NULL);
	}
	if (rules_plan == NULL)
	{
		Oid			types[3] = {TEXTOID, TEXTOID, INT8OID};

		rules_plan = mn_keep_plan("SELECT r.workflow_id FROM mentor.workflow_rules r"
								  " JOIN mentor.workflows w ON w.id = r.workflow_id AND w.active"
								  " WHERE r.active AND r.event = $1 AND ($1 = 'lead_created' OR r.status_value = $2)"
								  " AND (r.job_post_id IS NULL OR r.job_post_id = $3) ORDER BY r.id",
								  3, types, CURSOR_OPT_GENERIC_PLAN);
	}
	args[0] = CStringGetTextDatum(event);
	args[1] = CStringGetTextDatum(status ? status : "");
	args[2] = id;
	if (SPI_execute_plan(rules_plan, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "workflow rules lookup failed");
	n = SPI_processed;
	if (n > 0)
	{
		SPITupleTable *rules = SPI_tuptable;
		Datum	   *workflows = palloc(sizeof(Datum) * n);

		for (i = 0; i < n; i++)
			workflows[i] = SPI_getbinval(rules->vals[i], rules->tupdesc, 1, &isnull);
		if (enroll_plan == NULL)
		{
			Oid			types[4] = {INT8OID, TEXTOID, INT8OID, TEXTOID};

			enroll_plan = mn_keep_plan("SELECT mentor.enroll($1, $2, $3, jsonb_build_object('rule_event', $4))",
									   4, types, 0);
		}
		for (i = 0; i < n; i++)
		{
			args[0] = workflows[i];
			args[1] = CStringGetTextDatum(kind);
			args[2] = id;
			args[3] = CStringGetTextDatum(event);
			if (SPI_execute_plan(enroll_plan, args, NULL, false, 0) != SPI_OK_SELECT)
				elog(ERROR, "enrolling by a workflow rule failed");
		}
	}
	SPI_finish();
	return PointerGetDatum(NULL);
}
