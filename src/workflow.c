/*
 * workflow.c - mentor._workflow_check(...): a workflow definition validated
 * by src/core/workflow.c before it is stored.
 *
 * The SQL caller (the workflows table's trigger) takes the nodes, their
 * parameter names and the edges out of the definition's JSON and checks its
 * shape; this file hands them to the core and turns its verdict into a 22023
 * that names the first problem.  An empty "when" is an unlabelled edge.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/builtins.h"

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
