/*
 * test_workflow.c - unit tests of workflow definition validation.
 *
 * A three-node workflow and a branch that must pass, then each rule the
 * validator enforces broken once, with the message the SQL caller shows.
 */
#include "tap.h"
#include "../../src/core/workflow.h"

static const mn_allocator A = {tap_alloc, NULL};

#define N(a) ((int) (sizeof(a) / sizeof((a)[0])))

static const char *const dur[] = {"duration"};
static const char *const ntype[] = {"notification_type"};
static const char *const cond[] = {"condition"};
static const char *const title[] = {"title"};

static char err[512];

static bool
valid(const wf_node *n, int nn, const wf_edge *e, int ne)
{
	return wf_validate(n, nn, e, ne, &A, err, sizeof(err)) != NULL;
}

static bool
says(const char *part)
{
	if (strstr(err, part) != NULL)
		return true;
	printf("# message: %s\n", err);
	return false;
}

int
main(void)
{
	const wf_node three[] = {
		{"start", "start", NULL, 0},
		{"wait2d", "wait", dur, 1},
		{"remind", "notify", ntype, 1},
	};
	const wf_edge three_e[] = {{"start", "wait2d", NULL}, {"wait2d", "remind", NULL}};
	const wf_node br[] = {
		{"s", "start", NULL, 0},
		{"b", "branch", cond, 1},
		{"yes", "task", title, 1},
		{"no", "end", NULL, 0},
		{"other", "end", NULL, 0},
	};
	const wf_edge br_e[] = {{"s", "b", NULL}, {"b", "yes", "answered"}, {"b", "no", "no_answer"}, {"b", "other", NULL}, {"yes", "no", NULL}};
	wf_graph   *g;

	g = wf_validate(three, N(three), three_e, N(three_e), &A, err, sizeof(err));
	ok(g != NULL && g->start == 0 && g->nedges == 2 && g->edge_from[1] == 1 && g->edge_to[1] == 2,
	   "a start, a wait and a notification in a chain are valid");
	ok(valid(br, N(br), br_e, N(br_e)), "a branch with labelled edges and a default is valid");
	ok(valid(three, 1, NULL, 0), "a lone start node is valid (it completes at once)");

	ok(!valid(three, 0, NULL, 0) && says("at least a start node"), "no nodes: refused");
	{
		const wf_node n[] = {{"a", "wait", dur, 1}};

		ok(!valid(n, 1, NULL, 0) && says("no start node"), "no start node: refused");
	}
	{
		const wf_node n[] = {{"a", "start", NULL, 0}, {"b", "start", NULL, 0}};

		ok(!valid(n, 2, NULL, 0) && says("two start nodes, \"a\" and \"b\""), "two start nodes: refused, named");
	}
	{
		const wf_node n[] = {{"s", "start", NULL, 0}, {"x", "teleport", NULL, 0}};

		ok(!valid(n, 2, NULL, 0) && says("unknown type \"teleport\""), "unknown node type: refused, named");
	}
	{
		const wf_node n[] = {{"s", "start", NULL, 0}, {"w", "wait", NULL, 0}};
		const wf_edge e[] = {{"s", "w", NULL}};

		ok(!valid(n, 2, e, 1) && says("\"w\" (wait) needs the parameter \"duration\""), "missing parameter: refused, named");
	}
	{
		const wf_node n[] = {{"s", "start", NULL, 0}, {"s", "end", NULL, 0}};

		ok(!valid(n, 2, NULL, 0) && says("Two nodes have the id \"s\""), "duplicate id: refused");
	}
	{
		const wf_node n[] = {{"s", "start", NULL, 0}, {"bad id", "end", NULL, 0}};

		ok(!valid(n, 2, NULL, 0) && says("Node 2 has the id \"bad id\""), "malformed id: refused");
	}
	{
		const wf_edge e[] = {{"start", "nowhere", NULL}};

		ok(!valid(three, 1, e, 1) && says("leads to \"nowhere\", which is not a node"), "edge to a missing node: refused");
	}
	{
		const wf_node n[] = {
			{"s", "start", NULL, 0}, {"a", "task", title, 1}, {"b", "branch", cond, 1}, {"c", "task", title, 1},
		};
		const wf_edge e[] = {{"s", "a", NULL}, {"a", "b", NULL}, {"b", "c", "again"}, {"c", "a", NULL}};

		ok(!valid(n, 4, e, 4) && says("cycle: a -> b -> c -> a"), "a cycle: refused, its nodes named in order");
	}
	{
		const wf_node n[] = {{"s", "start", NULL, 0}, {"a", "task", title, 1}};
		const wf_edge e[] = {{"s", "a", NULL}, {"a", "s", NULL}};

		ok(!valid(n, 2, e, 2) && says("leads into the start node"), "an edge back into the start: refused");
	}
	{
		const wf_node n[] = {{"s", "branch", cond, 1}, {"st", "start", NULL, 0}, {"a", "task", title, 1}};
		const wf_edge e[] = {{"st", "s", NULL}, {"s", "s", "x"}};

		ok(!valid(n, 3, e, 2) && says("cycle: s -> s"), "a self-loop: refused as a cycle");
	}
	{
		const wf_node n[] = {{"s", "start", NULL, 0}, {"a", "task", title, 1}, {"b", "task", title, 1}};
		const wf_edge e[] = {{"s", "a", NULL}, {"s", "b", NULL}};

		ok(!valid(n, 3, e, 2) && says("\"s\" has two outgoing edges"), "two edges from a non-branch node: refused");
	}
	{
		const wf_edge e[] = {{"start", "wait2d", "maybe"}, {"wait2d", "remind", NULL}};

		ok(!valid(three, 3, e, 2) && says("only branch nodes choose"), "a label on a non-branch edge: refused");
	}
	{
		const wf_edge e[] = {{"s", "b", NULL}, {"b", "yes", "x"}, {"b", "no", "x"}, {"b", "other", NULL}, {"yes", "no", NULL}};

		ok(!valid(br, N(br), e, N(e)) && says("two edges for the outcome \"x\""), "two edges for one outcome: refused");
	}
	{
		const wf_node n[] = {{"s", "start", NULL, 0}, {"e", "end", NULL, 0}, {"x", "task", title, 1}};
		const wf_edge e[] = {{"s", "e", NULL}, {"e", "x", NULL}};

		ok(!valid(n, 3, e, 2) && says("leaves the end node"), "an edge out of an end node: refused");
	}
	{
		const wf_node n[] = {{"s", "start", NULL, 0}, {"lost", "task", title, 1}};

		ok(!valid(n, 2, NULL, 0) && says("\"lost\" cannot be reached from the start node \"s\""), "an unreachable node: refused");
	}
	{
		/* The longest chain allowed: the iterative search must not recurse per node. */
		static wf_node n[WF_MAX_NODES];
		static wf_edge e[WF_MAX_NODES];
		static char ids[WF_MAX_NODES][16];
		int			i;

		for (i = 0; i < WF_MAX_NODES; i++)
		{
			snprintf(ids[i], sizeof(ids[i]), "n%d", i);
			n[i].id = ids[i];
			n[i].type = i == 0 ? "start" : "task";
			n[i].params = title;
			n[i].nparams = 1;
			if (i > 0)
			{
				e[i - 1].from = ids[i - 1];
				e[i - 1].to = ids[i];
				e[i - 1].when = NULL;
			}
		}
		ok(valid(n, WF_MAX_NODES, e, WF_MAX_NODES - 1), "a chain of %d nodes is valid", WF_MAX_NODES);
		e[WF_MAX_NODES - 2].to = ids[1];
		ok(!valid(n, WF_MAX_NODES, e, WF_MAX_NODES - 1) && says("cycle: n1 -> n2"), "closing it into a loop is a cycle");
		ok(!valid(n, WF_MAX_NODES + 1, e, 0) && says("at most"), "one node more than the limit: refused");
	}
	ok(wf_known_type("wait") && !wf_known_type("WAIT") && wf_required_params("wait")[0] != NULL &&
	   wf_required_params("start")[0] == NULL && wf_required_params("nope") == NULL, "the type table answers");
	return tap_done();
}
