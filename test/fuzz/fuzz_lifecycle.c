/*
 * fuzz_lifecycle.c - libFuzzer target for lifecycle graphs built from edge lists.
 *
 * The input is read as lines "from>to" ('*' stands for the diagrams' [*]), the
 * form define_lifecycle() receives.  A graph that builds must be a valid
 * lifecycle: valid names, an initial state, every listed transition allowed,
 * every state reachable; and checking arbitrary values against it is safe.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/core/lifecycle_graph.h"
#include "../arena.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const mn_allocator a = {arena_alloc, NULL};
	char	   *text = malloc(size + 1);
	lc_edge		edges[64];
	int			n = 0;
	char	   *line,
			   *save = NULL;
	char		err[256];
	lc_graph   *g;
	int			i;

	memcpy(text, data, size);
	text[size] = '\0';
	for (line = strtok_r(text, "\n", &save); line && n < 64; line = strtok_r(NULL, "\n", &save))
	{
		char	   *gt = strchr(line, '>');

		if (!gt)
			continue;
		*gt = '\0';
		edges[n].from = strcmp(line, "*") == 0 ? NULL : line;
		edges[n].to = strcmp(gt + 1, "*") == 0 ? NULL : gt + 1;
		n++;
	}
	g = lc_from_edges(edges, n, &a, err, sizeof(err));
	if (g != NULL)
	{
		int			initial = 0;
		int			next[LC_MAX_STATES];

		for (i = 0; i < g->nstates; i++)
		{
			if (!lc_valid_state_name(g->names[i], strlen(g->names[i])) ||
				lc_find(g, g->names[i], strlen(g->names[i])) != i)
				abort();
			initial += (g->flags[i] & LC_INITIAL) != 0;
			if (lc_next(g, i, next) == 0 && !(g->flags[i] & LC_FINAL))
				abort();
		}
		if (initial == 0)
			abort();
		for (i = 0; i < n; i++)
		{
			if (edges[i].from && edges[i].to &&
				lc_check(g, edges[i].from, strlen(edges[i].from), edges[i].to, strlen(edges[i].to)) != LC_OK)
				abort();
			if (!edges[i].from && edges[i].to &&
				lc_check(g, NULL, 0, edges[i].to, strlen(edges[i].to)) != LC_OK)
				abort();
		}
		/* Raw input as a value must be judged safely, whatever it is. */
		(void) lc_check(g, (const char *) data, size, (const char *) data, size / 2);
	}
	else if (err[0] == '\0')
		abort();				/* a refusal always says why */
	arena_free();
	free(text);
	return 0;
}
