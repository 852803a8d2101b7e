/*
 * lifecycle_graph.c - building, validating and querying lifecycle graphs.
 *
 * Lifecycles are small (the largest shipped one has 12 states), so a dense
 * adjacency matrix and linear name lookup beat anything cleverer: the check
 * on the trigger's hot path is a few strcmp calls and one byte load.
 */
#include "lifecycle_graph.h"

#include <stdio.h>
#include <string.h>

bool
lc_valid_state_name(const char *name, size_t len)
{
	size_t		i;

	if (len == 0 || len > LC_STATE_NAME_MAX)
		return false;
	if (name[0] < 'a' || name[0] > 'z')
		return false;
	for (i = 1; i < len; i++)
	{
		char		c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return true;
}

int
lc_find(const lc_graph *g, const char *name, size_t len)
{
	int			i;

	for (i = 0; i < g->nstates; i++)
	{
		if (strncmp(g->names[i], name, len) == 0 && g->names[i][len] == '\0')
			return i;
	}
	return -1;
}

lc_graph *
lc_create(int nstates, const char *const *names, const unsigned char *flags,
		  const mn_allocator *a)
{
	lc_graph   *g;
	int			i;

	if (nstates < 0 || nstates > LC_MAX_STATES)
		return NULL;
	g = mn_alloc(a, sizeof(lc_graph));
	if (g == NULL)
		return NULL;
	g->nstates = nstates;
	g->names = mn_alloc(a, sizeof(char *) * (size_t) (nstates + 1));
	g->flags = mn_alloc(a, (size_t) nstates + 1);
	g->adj = mn_alloc(a, (size_t) nstates * (size_t) nstates + 1);
	if (g->names == NULL || g->flags == NULL || g->adj == NULL)
		return NULL;
	for (i = 0; i < nstates; i++)
	{
		size_t		len = strlen(names[i]);

		g->names[i] = mn_alloc(a, len + 1);
		if (g->names[i] == NULL)
			return NULL;
		memcpy(g->names[i], names[i], len + 1);
		g->flags[i] = flags ? flags[i] : 0;
	}
	return g;
}

void
lc_allow(lc_graph *g, int from, int to)
{
	if (from >= 0 && to >= 0 && from < g->nstates && to < g->nstates)
		g->adj[from * g->nstates + to] = 1;
}

/* Adds name to the list unless present; returns its index or -1 when full. */
static int
intern_state(const char **names, int *n, const char *name)
{
	int			i;

	for (i = 0; i < *n; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	if (*n >= LC_MAX_STATES)
		return -1;
	names[*n] = name;
	return (*n)++;
}

lc_graph *
lc_from_edges(const lc_edge *edges, int nedges, const mn_allocator *a,
			  char *errbuf, size_t errlen)
{
	const char *names[LC_MAX_STATES];
	unsigned char flags[LC_MAX_STATES];
	int			n = 0;
	int			i;
	lc_graph   *g;
	int			queue[LC_MAX_STATES];
	unsigned char seen[LC_MAX_STATES];
	int			head = 0,
				tail = 0;

	memset(flags, 0, sizeof(flags));
	if (nedges <= 0)
	{
		snprintf(errbuf, errlen, "A lifecycle needs at least one transition");
		return NULL;
	}
	for (i = 0; i < nedges; i++)
	{
		const char *ends[2] = {edges[i].from, edges[i].to};
		int			k;

		if (ends[0] == NULL && ends[1] == NULL)
		{
			snprintf(errbuf, errlen, "Transition %d goes from [*] to [*]", i + 1);
			return NULL;
		}
		for (k = 0; k < 2; k++)
		{
			if (ends[k] == NULL)
				continue;
			if (!lc_valid_state_name(ends[k], strlen(ends[k])))
			{
				snprintf(errbuf, errlen,
						 "State \"%.80s\" in transition %d is not lower snake_case of at most %d characters",
						 ends[k], i + 1, LC_STATE_NAME_MAX);
				return NULL;
			}
			if (intern_state(names, &n, ends[k]) < 0)
			{
				snprintf(errbuf, errlen, "A lifecycle has at most %d states", LC_MAX_STATES);
				return NULL;
			}
		}
	}

	g = lc_create(n, names, NULL, a);
	if (g == NULL)
	{
		snprintf(errbuf, errlen, "Out of memory");
		return NULL;
	}
	for (i = 0; i < nedges; i++)
	{
		int			from = edges[i].from ? lc_find(g, edges[i].from, strlen(edges[i].from)) : -1;
		int			to = edges[i].to ? lc_find(g, edges[i].to, strlen(edges[i].to)) : -1;

		if (from < 0)
			g->flags[to] |= LC_INITIAL;
		else if (to < 0)
			g->flags[from] |= LC_FINAL;
		else if (from != to)
			lc_allow(g, from, to);
	}

	/* Final: marked explicitly, or nowhere to go. */
	for (i = 0; i < n; i++)
	{
		int			nexts[LC_MAX_STATES];

		if (lc_next(g, i, nexts) == 0)
			g->flags[i] |= LC_FINAL;
	}

	/* Every state must be reachable from an initial state. */
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < n; i++)
		if (g->flags[i] & LC_INITIAL)
		{
			seen[i] = 1;
			queue[tail++] = i;
		}
	if (tail == 0)
	{
		snprintf(errbuf, errlen, "A lifecycle needs an initial state: add a transition from [*] (or NULL) to it");
		return NULL;
	}
	while (head < tail)
	{
		int			from = queue[head++];

		for (i = 0; i < n; i++)
			if (g->adj[from * n + i] && !seen[i])
			{
				seen[i] = 1;
				queue[tail++] = i;
			}
	}
	for (i = 0; i < n; i++)
		if (!seen[i])
		{
			snprintf(errbuf, errlen, "State \"%s\" cannot be reached from any initial state", g->names[i]);
			return NULL;
		}
	return g;
}

lc_verdict
lc_check(const lc_graph *g, const char *from, size_t from_len,
		 const char *to, size_t to_len)
{
	int			t;
	int			f;

	if (from != NULL && from_len == to_len && memcmp(from, to, to_len) == 0)
		return LC_OK;
	t = lc_find(g, to, to_len);
	if (t < 0)
		return LC_UNKNOWN_TO;
	if (from == NULL)
		return (g->flags[t] & LC_INITIAL) ? LC_OK : LC_NOT_INITIAL;
	f = lc_find(g, from, from_len);
	if (f < 0)
		return LC_UNKNOWN_FROM;
	return g->adj[f * g->nstates + t] ? LC_OK : LC_NOT_ALLOWED;
}

int
lc_next(const lc_graph *g, int from, int *out)
{
	int			i;
	int			k = 0;

	if (from < 0 || from >= g->nstates)
		return 0;
	for (i = 0; i < g->nstates; i++)
		if (g->adj[from * g->nstates + i])
			out[k++] = i;
	return k;
}
