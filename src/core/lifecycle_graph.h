/*
 * lifecycle_graph.h - status lifecycles as small directed graphs.
 *
 * A lifecycle is a set of states (some initial, some final) and the allowed
 * transitions between them.  The graph is built either from stored parts
 * (states with flags plus transitions, as the catalogue holds them) or from
 * an edge list in the notation of the seed documents' state diagrams, where
 * a NULL "from" means [*] --> state (initial) and a NULL "to" means
 * state --> [*] (final).
 */
#ifndef LIFECYCLE_GRAPH_H
#define LIFECYCLE_GRAPH_H

#include <stdbool.h>
#include "mn_core.h"

#define LC_STATE_NAME_MAX 63	/* states double as enum labels (NAMEDATALEN-1) */
#define LC_MAX_STATES 256

#define LC_INITIAL 0x01
#define LC_FINAL   0x02

typedef struct lc_graph
{
	int			nstates;
	char	  **names;
	unsigned char *flags;		/* LC_INITIAL | LC_FINAL per state */
	unsigned char *adj;			/* nstates x nstates, adj[from * n + to] */
} lc_graph;

typedef struct lc_edge
{
	const char *from;			/* NULL: the pseudo-state [*] (initial) */
	const char *to;				/* NULL: the pseudo-state [*] (final) */
} lc_edge;

typedef enum lc_verdict
{
	LC_OK = 0,
	LC_UNKNOWN_FROM,			/* the current value is not a state */
	LC_UNKNOWN_TO,				/* the new value is not a state */
	LC_NOT_INITIAL,				/* insert with a non-initial state */
	LC_NOT_ALLOWED				/* no such transition */
} lc_verdict;

/* Graph from stored parts; NULL only when the allocator fails. */
extern lc_graph *lc_create(int nstates, const char *const *names,
						   const unsigned char *flags, const mn_allocator *a);
extern void lc_allow(lc_graph *g, int from, int to);

/*
 * Graph from an edge list, validated: state names must be lower snake_case,
 * at least one initial state, every state reachable from an initial one.
 * A state with no outgoing transition is final.  Returns NULL and writes a
 * message to errbuf when the list is not a valid lifecycle.
 */
extern lc_graph *lc_from_edges(const lc_edge *edges, int nedges,
							   const mn_allocator *a, char *errbuf, size_t errlen);

extern bool lc_valid_state_name(const char *name, size_t len);
extern int	lc_find(const lc_graph *g, const char *name, size_t len);

/*
 * Judge a change of a status value.  from == NULL judges an insert.  Equal
 * values are always allowed for updates, so rewriting a row is never blocked.
 */
extern lc_verdict lc_check(const lc_graph *g, const char *from, size_t from_len,
						   const char *to, size_t to_len);

/* Indexes of the states reachable in one step from "from"; returns count. */
extern int	lc_next(const lc_graph *g, int from, int *out);

#endif							/* LIFECYCLE_GRAPH_H */
