/*
 * fuzz_workflow.c - libFuzzer target for workflow definition validation.
 *
 * The input is decoded into a definition: its first byte is the node count,
 * then one byte per node (type, whether its required parameter is given,
 * sometimes a repeated id), then three bytes per edge (from, to, label).
 * Whatever wf_validate accepts is checked independently: Kahn's algorithm
 * must order every node (no cycle), every node must be reachable from the
 * one start node, every node's type known and its parameters given, and only
 * branch nodes may have more than one outgoing edge.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/core/workflow.h"
#include "../arena.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const type_names[] = {"start", "end", "wait", "notify", "task", "branch", "webhook", "set_status", "bogus"};
static const char *const labels[] = {"yes", "no", "maybe"};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const mn_allocator a = {arena_alloc, NULL};
	wf_node		nodes[32];
	wf_edge		edges[64];
	char		ids[32][8];
	const char *params[32][1];
	int			nn, ne = 0, i, k;
	size_t		pos = 0;
	char		err[512];
	wf_graph   *g;

	if (size < 1)
		return 0;
	nn = data[pos++] % 32;
	for (i = 0; i < nn; i++)
	{
		uint8_t		b = pos < size ? data[pos++] : 0;
		const char *const *req;

		snprintf(ids[i], sizeof(ids[i]), "n%d", i);
		nodes[i].id = (b & 0x40) && i > 0 ? ids[i - 1] : ids[i];
		nodes[i].type = type_names[(b & 0x0f) % 9];
		req = wf_required_params(nodes[i].type);
		params[i][0] = req && req[0] ? req[0] : "unused";
		nodes[i].params = params[i];
		nodes[i].nparams = (b & 0x80) ? 0 : 1;
	}
	while (pos + 3 <= size && ne < 64 && nn > 0)
	{
		edges[ne].from = nodes[data[pos] % nn].id;
		edges[ne].to = nodes[data[pos + 1] % nn].id;
		edges[ne].when = data[pos + 2] % 4 == 0 ? NULL : labels[data[pos + 2] % 3];
		pos += 3;
		ne++;
	}
	g = wf_validate(nodes, nn, edges, ne, &a, err, sizeof(err));
	if (g != NULL)
	{
		int			indeg[32] = {0}, outdeg[32] = {0}, queue[32], head = 0, tail = 0, starts = 0;
		unsigned char seen[32] = {0};

		for (i = 0; i < nn; i++)
		{
			const char *const *req = wf_required_params(nodes[i].type);

			if (req == NULL || (req[0] != NULL && nodes[i].nparams == 0))
				abort();
			starts += strcmp(nodes[i].type, "start") == 0;
			for (k = 0; k < i; k++)
				if (strcmp(nodes[k].id, nodes[i].id) == 0)
					abort();
		}
		if (starts != 1 || g->start < 0 || g->start >= nn || strcmp(nodes[g->start].type, "start") != 0)
			abort();
		for (k = 0; k < g->nedges; k++)
		{
			indeg[g->edge_to[k]]++;
			outdeg[g->edge_from[k]]++;
		}
		for (i = 0; i < nn; i++)
			if (outdeg[i] > 1 && strcmp(nodes[i].type, "branch") != 0)
				abort();
		for (i = 0; i < nn; i++)
			if (indeg[i] == 0)
				queue[tail++] = i;
		while (head < tail)
		{
			int			v = queue[head++];

			for (k = 0; k < g->nedges; k++)
				if (g->edge_from[k] == v && --indeg[g->edge_to[k]] == 0)
					queue[tail++] = g->edge_to[k];
		}
		if (tail != nn)
			abort();			/* a cycle got through */
		head = tail = 0;
		queue[tail++] = g->start;
		seen[g->start] = 1;
		while (head < tail)
		{
			int			v = queue[head++];

			for (k = 0; k < g->nedges; k++)
				if (g->edge_from[k] == v && !seen[g->edge_to[k]])
				{
					seen[g->edge_to[k]] = 1;
					queue[tail++] = g->edge_to[k];
				}
		}
		if (tail != nn)
			abort();			/* an unreachable node got through */
	}
	else if (err[0] == '\0')
		abort();				/* refused without saying why */
	arena_free();
	return 0;
}
