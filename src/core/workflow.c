/*
 * workflow.c - checks that a workflow definition is a runnable DAG.
 *
 * Definitions are small (tens of nodes), but they come from users, so every
 * limit is explicit and the cycle search is iterative: a hostile definition
 * of WF_MAX_NODES nodes in a chain cannot exhaust the stack.  Names are
 * looked up linearly for the same reason lifecycle states are: n is small and
 * the code stays obviously right.
 */
#include "workflow.h"

#include <stdio.h>
#include <string.h>

typedef struct wf_type
{
	const char *name;
	const char *required[3];
} wf_type;

/* The node types the engine runs; what each needs to be run. */
static const wf_type types[] = {
	{"start", {NULL}},
	{"end", {NULL}},
	{"wait", {"duration", NULL}},
	{"notify", {"notification_type", NULL}},
	{"task", {"title", NULL}},
	{"branch", {"condition", NULL}},
	{"webhook", {"url", NULL}},
	{"set_status", {"status", NULL}},
};

static const wf_type *
find_type(const char *name)
{
	size_t		i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(types[i].name, name) == 0)
			return &types[i];
	return NULL;
}

bool
wf_known_type(const char *type)
{
	return find_type(type) != NULL;
}

const char *const *
wf_required_params(const char *type)
{
	const wf_type *t = find_type(type);

	return t ? t->required : NULL;
}

static bool
valid_id(const char *id)
{
	size_t		len,
				i;

	if (id == NULL)
		return false;
	len = strlen(id);
	if (len == 0 || len > WF_ID_MAX)
		return false;
	for (i = 0; i < len; i++)
	{
		char		c = id[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
	}
	return true;
}

static int
find_node(const wf_node *nodes, int n, const char *id)
{
	int			i;

	if (id == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (strcmp(nodes[i].id, id) == 0)
			return i;
	return -1;
}

static bool
has_param(const wf_node *node, const char *name)
{
	int			i;

	for (i = 0; i < node->nparams; i++)
		if (node->params[i] != NULL && strcmp(node->params[i], name) == 0)
			return true;
	return false;
}

/* Writes "a -> b -> ... -> a" for the cycle that closes at path[k..depth-1]. */
static void
describe_cycle(const wf_node *nodes, const int *path, int from, int depth, char *errbuf, size_t errlen)
{
	size_t		used;
	int			i;

	used = (size_t) snprintf(errbuf, errlen, "The workflow has a cycle: ");
	for (i = from; i < depth && used < errlen; i++)
		used += (size_t) snprintf(errbuf + used, errlen - used, "%s -> ", nodes[path[i]].id);
	if (used < errlen)
		snprintf(errbuf + used, errlen - used, "%s", nodes[path[from]].id);
}

/*
 * Depth-first search from every unvisited node with an explicit stack; a
 * node met again while still on the path closes a cycle.  Returns false and
 * describes the cycle when there is one.
 */
static bool
acyclic(const wf_node *nodes, int n, const wf_graph *g, const mn_allocator *a, char *errbuf, size_t errlen)
{
	unsigned char *state = mn_alloc(a, (size_t) n + 1);	/* 0 new, 1 on path, 2 done */
	int		   *path = mn_alloc(a, sizeof(int) * ((size_t) n + 1));
	int		   *next_edge = mn_alloc(a, sizeof(int) * ((size_t) n + 1));
	int			root;

	if (state == NULL || path == NULL || next_edge == NULL)
	{
		snprintf(errbuf, errlen, "Out of memory");
		return false;
	}
	for (root = 0; root < n; root++)
	{
		int			depth = 0;

		if (state[root] != 0)
			continue;
		path[depth] = root;
		next_edge[depth] = 0;
		state[root] = 1;
		depth++;
		while (depth > 0)
		{
			int			v = path[depth - 1];
			int			e = next_edge[depth - 1];

			while (e < g->nedges && g->edge_from[e] != v)
				e++;
			if (e == g->nedges)
			{
				state[v] = 2;
				depth--;
				continue;
			}
			next_edge[depth - 1] = e + 1;
			{
				int			w = g->edge_to[e];

				if (state[w] == 1)
				{
					int			k = 0;

					while (path[k] != w)
						k++;
					describe_cycle(nodes, path, k, depth, errbuf, errlen);
					return false;
				}
				if (state[w] == 0)
				{
					state[w] = 1;
					path[depth] = w;
					next_edge[depth] = 0;
					depth++;
				}
			}
		}
	}
	return true;
}

wf_graph *
wf_validate(const wf_node *nodes, int nnodes, const wf_edge *edges, int nedges,
			const mn_allocator *a, char *errbuf, size_t errlen)
{
	wf_graph   *g;
	int			i,
				j;
	int		   *queue;
	unsigned char *seen;
	int			head = 0,
				tail = 0;

	errbuf[0] = '\0';
	if (nnodes <= 0)
	{
		snprintf(errbuf, errlen, "A workflow needs at least a start node");
		return NULL;
	}
	if (nnodes > WF_MAX_NODES || nedges > WF_MAX_EDGES || nedges < 0)
	{
		snprintf(errbuf, errlen, "A workflow has at most %d nodes and %d edges", WF_MAX_NODES, WF_MAX_EDGES);
		return NULL;
	}
	g = mn_alloc(a, sizeof(wf_graph));
	if (g == NULL)
		return NULL;
	g->nnodes = nnodes;
	g->nedges = nedges;
	g->start = -1;
	g->edge_from = mn_alloc(a, sizeof(int) * ((size_t) nedges + 1));
	g->edge_to = mn_alloc(a, sizeof(int) * ((size_t) nedges + 1));
	if (g->edge_from == NULL || g->edge_to == NULL)
		return NULL;

	for (i = 0; i < nnodes; i++)
	{
		const wf_type *t;

		if (!valid_id(nodes[i].id))
		{
			snprintf(errbuf, errlen,
					 "Node %d has the id \"%.80s\": ids are 1 to %d letters, digits, '_' or '-'",
					 i + 1, nodes[i].id ? nodes[i].id : "", WF_ID_MAX);
			return NULL;
		}
		if (find_node(nodes, i, nodes[i].id) >= 0)
		{
			snprintf(errbuf, errlen, "Two nodes have the id \"%s\"", nodes[i].id);
			return NULL;
		}
		t = find_type(nodes[i].type);
		if (t == NULL)
		{
			snprintf(errbuf, errlen,
					 "Node \"%s\" has the unknown type \"%.80s\" (known: start, end, wait, notify, task, branch, webhook, set_status)",
					 nodes[i].id, nodes[i].type ? nodes[i].type : "");
			return NULL;
		}
		for (j = 0; t->required[j] != NULL; j++)
			if (!has_param(&nodes[i], t->required[j]))
			{
				snprintf(errbuf, errlen, "Node \"%s\" (%s) needs the parameter \"%s\"",
						 nodes[i].id, t->name, t->required[j]);
				return NULL;
			}
		if (strcmp(t->name, "start") == 0)
		{
			if (g->start >= 0)
			{
				snprintf(errbuf, errlen, "The workflow has two start nodes, \"%s\" and \"%s\"",
						 nodes[g->start].id, nodes[i].id);
				return NULL;
			}
			g->start = i;
		}
	}
	if (g->start < 0)
	{
		snprintf(errbuf, errlen, "The workflow has no start node");
		return NULL;
	}

	for (i = 0; i < nedges; i++)
	{
		int			from = find_node(nodes, nnodes, edges[i].from),
					to = find_node(nodes, nnodes, edges[i].to);
		bool		branch;

		if (from < 0 || to < 0)
		{
			const char *missing = from < 0 ? edges[i].from : edges[i].to;

			snprintf(errbuf, errlen, "Edge %d %s \"%.80s\", which is not a node",
					 i + 1, from < 0 ? "leaves" : "leads to", missing ? missing : "");
			return NULL;
		}
		if (to == g->start)
		{
			snprintf(errbuf, errlen, "Edge %d leads into the start node \"%s\"", i + 1, nodes[to].id);
			return NULL;
		}
		if (strcmp(nodes[from].type, "end") == 0)
		{
			snprintf(errbuf, errlen, "Edge %d leaves the end node \"%s\"", i + 1, nodes[from].id);
			return NULL;
		}
		branch = strcmp(nodes[from].type, "branch") == 0;
		if (!branch && edges[i].when != NULL)
		{
			snprintf(errbuf, errlen, "Edge %d from \"%s\" has a \"when\" label, and only branch nodes choose",
					 i + 1, nodes[from].id);
			return NULL;
		}
		for (j = 0; j < i; j++)
		{
			if (g->edge_from[j] != from)
				continue;
			if (!branch)
			{
				snprintf(errbuf, errlen, "Node \"%s\" has two outgoing edges; only a branch node has more than one",
						 nodes[from].id);
				return NULL;
			}
			if ((edges[j].when == NULL && edges[i].when == NULL) ||
				(edges[j].when != NULL && edges[i].when != NULL && strcmp(edges[j].when, edges[i].when) == 0))
			{
				snprintf(errbuf, errlen, "Branch \"%s\" has two edges for the outcome \"%.80s\"",
						 nodes[from].id, edges[i].when ? edges[i].when : "(default)");
				return NULL;
			}
		}
		g->edge_from[i] = from;
		g->edge_to[i] = to;
	}

	if (!acyclic(nodes, nnodes, g, a, errbuf, errlen))
		return NULL;

	queue = mn_alloc(a, sizeof(int) * ((size_t) nnodes + 1));
	seen = mn_alloc(a, (size_t) nnodes + 1);
	if (queue == NULL || seen == NULL)
		return NULL;
	queue[tail++] = g->start;
	seen[g->start] = 1;
	while (head < tail)
	{
		int			v = queue[head++];

		for (i = 0; i < nedges; i++)
			if (g->edge_from[i] == v && !seen[g->edge_to[i]])
			{
				seen[g->edge_to[i]] = 1;
				queue[tail++] = g->edge_to[i];
			}
	}
	for (i = 0; i < nnodes; i++)
		if (!seen[i])
		{
			snprintf(errbuf, errlen, "Node \"%s\" cannot be reached from the start node \"%s\"",
					 nodes[i].id, nodes[g->start].id);
			return NULL;
		}
	return g;
}
