/*
 * workflow.h - validation of workflow definitions (seed 001's Workflow).
 *
 * A workflow is a set of nodes, each with an id, a type and parameters, and
 * edges between them.  A definition is accepted only when it can be run one
 * node at a time without ever getting stuck or looping: one start node, known
 * node types with their required parameters, edges between existing nodes, no
 * cycle, every node reachable from the start.  A branch node picks its next
 * node by the outcome its run reports: its edges carry distinct "when"
 * labels (and at most one unlabelled default); any other node has at most one
 * outgoing edge and no label.  A node without an outgoing edge ends the
 * enrollment.
 */
#ifndef WORKFLOW_H
#define WORKFLOW_H

#include <stdbool.h>
#include <stddef.h>
#include "mn_core.h"

#define WF_MAX_NODES 500
#define WF_MAX_EDGES 2000
#define WF_ID_MAX 63

typedef struct wf_node
{
	const char *id;
	const char *type;
	const char *const *params;	/* names of the parameters given */
	int			nparams;
} wf_node;

typedef struct wf_edge
{
	const char *from;
	const char *to;
	const char *when;			/* NULL: unlabelled */
} wf_edge;

/* A validated workflow: nodes by index, edges resolved to indexes. */
typedef struct wf_graph
{
	int			nnodes;
	int			start;			/* index of the start node */
	int			nedges;
	int		   *edge_from;
	int		   *edge_to;
} wf_graph;

/* Whether type is a node type the engine knows. */
extern bool wf_known_type(const char *type);

/* The required parameters of a known type, NULL-terminated. */
extern const char *const *wf_required_params(const char *type);

/*
 * Validates a definition.  Returns the graph, or NULL with the first problem
 * written to errbuf (a cycle is named by its nodes, in order).  NULL without
 * a message only when the allocator fails.
 */
extern wf_graph *wf_validate(const wf_node *nodes, int nnodes, const wf_edge *edges, int nedges,
							 const mn_allocator *a, char *errbuf, size_t errlen);

#endif							/* WORKFLOW_H */
