/*
 * matching.c - the fit score of a mentor for a mentee, and cohort matching:
 * optimal (min-cost flow) and stable (deferred acceptance), both under
 * mentor capacities and a number of mentors per mentee.
 *
 * Why min-cost flow: source -> mentee (per_mentee) -> mentor (1 per pair,
 * cost -score) -> sink (capacity) is exactly the capacitated assignment, and
 * successive shortest paths stop as soon as one more pair would not raise
 * the total, which makes the result the maximum-score assignment, not merely
 * the largest one.
 */
#include "matching.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int
mn_fit_weights_valid(const mn_fit_weights *w)
{
	const double parts[4] = {w->skills, w->availability, w->capacity, w->rating};
	double		sum = 0;

	for (int i = 0; i < 4; i++)
	{
		if (!isfinite(parts[i]) || parts[i] < 0)
			return 0;
		sum += parts[i];
	}
	return sum > 0 && isfinite(w->rating_prior_mean) && w->rating_prior_mean >= 1 && w->rating_prior_mean <= 5 &&
		isfinite(w->rating_prior_count) && w->rating_prior_count >= 0 &&
		isfinite(w->partial_level_credit) && w->partial_level_credit >= 0 && w->partial_level_credit <= 1;
}

static double
clamp01(double x)
{
	return x < 0 ? 0 : x > 1 ? 1 : x;
}

mn_fit
mn_fit_score(const mn_fit_weights *w,
			 const mn_skill_level *seeks, int32_t nseeks,
			 const mn_skill_level *offers, int32_t noffers,
			 int32_t overlap_minutes, int32_t wanted_minutes,
			 int32_t active, int32_t max_places,
			 double rating_mean, int32_t rating_count)
{
	mn_fit		f;
	double		credit = 0, bayes, wsum;

	memset(&f, 0, sizeof(f));
	for (int32_t i = 0; i < nseeks; i++)
	{
		int32_t		best = -1;

		for (int32_t j = 0; j < noffers; j++)
			if (offers[j].skill == seeks[i].skill && offers[j].level > best)
				best = offers[j].level;
		if (best >= seeks[i].level)
			f.skills_full++;
		else if (best >= 0)
			f.skills_partial++;
	}
	credit = f.skills_full + w->partial_level_credit * f.skills_partial;
	f.skills = nseeks > 0 ? credit / nseeks : 0;
	f.availability = wanted_minutes > 0 ? clamp01((double) overlap_minutes / wanted_minutes) : 1;
	f.capacity = max_places > 0 ? clamp01((double) (max_places - active) / max_places) : 0;
	/* a prior of rating_prior_count ratings at the prior mean: one 5 does not beat fifty 4.8s */
	bayes = (w->rating_prior_mean * w->rating_prior_count + (rating_count > 0 ? rating_mean * rating_count : 0)) /
		(w->rating_prior_count + (rating_count > 0 ? rating_count : 0));
	if (!isfinite(bayes))
		bayes = w->rating_prior_mean;
	f.rating = clamp01((bayes - 1) / 4);
	wsum = w->skills + w->availability + w->capacity + w->rating;
	f.score = wsum > 0 ? (w->skills * f.skills + w->availability * f.availability + w->capacity * f.capacity +
						  w->rating * f.rating) / wsum : 0;
	return f;
}

static int
edge_cmp(const void *x, const void *y)
{
	const mn_match_edge *a = x, *b = y;

	if (a->mentee != b->mentee)
		return a->mentee < b->mentee ? -1 : 1;
	if (a->mentor != b->mentor)
		return a->mentor < b->mentor ? -1 : 1;
	return a->score > b->score ? -1 : a->score < b->score;
}

/* The usable edges: valid endpoints, positive score, one per pair (the best), sorted by mentee, mentor. */
static mn_match_edge *
usable_edges(const mn_match_problem *p, const mn_allocator *a, int64_t *n, int *error)
{
	mn_match_edge *e = mn_alloc(a, sizeof(mn_match_edge) * (size_t) (p->nedges + 1));
	int64_t		k = 0, out = 0;

	*error = 0;
	if (p->nmentees < 0 || p->nmentors < 0 || p->per_mentee < 1 || p->nedges < 0 || (p->nmentors > 0 && !p->capacity))
	{
		*error = 2;
		return NULL;
	}
	if (!e)
	{
		*error = 1;
		return NULL;
	}
	for (int64_t i = 0; i < p->nedges; i++)
	{
		const mn_match_edge *x = &p->edges[i];

		if (x->mentee < 0 || x->mentee >= p->nmentees || x->mentor < 0 || x->mentor >= p->nmentors)
		{
			*error = 2;
			return NULL;
		}
		if (isfinite(x->score) && x->score > 0 && p->capacity[x->mentor] > 0)
			e[k++] = *x;
	}
	qsort(e, (size_t) k, sizeof(mn_match_edge), edge_cmp);
	for (int64_t i = 0; i < k; i++)
		if (out == 0 || e[i].mentee != e[out - 1].mentee || e[i].mentor != e[out - 1].mentor)
			e[out++] = e[i];
	*n = out;
	return e;
}

/* ---- optimal: min-cost flow ---- */

typedef struct flow_graph
{
	int32_t    *head, *next, *to;
	int64_t    *cap, *cost;
	int32_t		nedges;
} flow_graph;

static void
add_arc(flow_graph *g, int32_t u, int32_t v, int64_t cap, int64_t cost)
{
	int32_t		e = g->nedges;

	g->to[e] = v; g->cap[e] = cap; g->cost[e] = cost; g->next[e] = g->head[u]; g->head[u] = e;
	g->to[e + 1] = u; g->cap[e + 1] = 0; g->cost[e + 1] = -cost; g->next[e + 1] = g->head[v]; g->head[v] = e + 1;
	g->nedges += 2;
}

/* a binary min-heap of (distance, node) */
typedef struct heap_item
{
	int64_t		d;
	int32_t		v;
} heap_item;

static void
heap_push(heap_item *h, int64_t *n, heap_item x)
{
	int64_t		i = (*n)++;

	while (i > 0 && h[(i - 1) / 2].d > x.d)
	{
		h[i] = h[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h[i] = x;
}

static heap_item
heap_pop(heap_item *h, int64_t *n)
{
	heap_item	top = h[0], last = h[--(*n)];
	int64_t		i = 0;

	for (;;)
	{
		int64_t		c = 2 * i + 1;

		if (c >= *n)
			break;
		if (c + 1 < *n && h[c + 1].d < h[c].d)
			c++;
		if (h[c].d >= last.d)
			break;
		h[i] = h[c];
		i = c;
	}
	if (*n > 0)
		h[i] = last;
	return top;
}

#define SCORE_SCALE 1e9
#define INF_DIST INT64_MAX / 4

mn_match_result
mn_match_optimal(const mn_match_problem *p, const mn_allocator *a)
{
	mn_match_result r;
	int64_t		ne;
	mn_match_edge *e;
	flow_graph	g;
	int32_t		M = p->nmentees, N = p->nmentors;
	int32_t		V, S, T, maxarcs;
	int64_t    *pot, *dist;
	int32_t    *prev_arc;
	heap_item  *heap;

	memset(&r, 0, sizeof(r));
	e = usable_edges(p, a, &ne, &r.error);
	if (r.error)
		return r;
	V = M + N + 2;
	S = 0;
	T = V - 1;
	maxarcs = 2 * (int32_t) (ne + M + N) + 2;
	g.head = mn_alloc(a, sizeof(int32_t) * (size_t) V);
	g.next = mn_alloc(a, sizeof(int32_t) * (size_t) maxarcs);
	g.to = mn_alloc(a, sizeof(int32_t) * (size_t) maxarcs);
	g.cap = mn_alloc(a, sizeof(int64_t) * (size_t) maxarcs);
	g.cost = mn_alloc(a, sizeof(int64_t) * (size_t) maxarcs);
	pot = mn_alloc(a, sizeof(int64_t) * (size_t) V);
	dist = mn_alloc(a, sizeof(int64_t) * (size_t) V);
	prev_arc = mn_alloc(a, sizeof(int32_t) * (size_t) V);
	heap = mn_alloc(a, sizeof(heap_item) * (size_t) (maxarcs + V));
	r.pairs = mn_alloc(a, sizeof(mn_match_edge) * (size_t) (ne + 1));
	if (!g.head || !g.next || !g.to || !g.cap || !g.cost || !pot || !dist || !prev_arc || !heap || !r.pairs)
	{
		r.error = 1;
		return r;
	}
	g.nedges = 0;
	for (int32_t v = 0; v < V; v++)
		g.head[v] = -1;
	for (int32_t i = 0; i < M; i++)
		add_arc(&g, S, 1 + i, p->per_mentee, 0);
	for (int64_t i = 0; i < ne; i++)
		add_arc(&g, 1 + e[i].mentee, 1 + M + e[i].mentor, 1, -(int64_t) llround(e[i].score * SCORE_SCALE));
	for (int32_t j = 0; j < N; j++)
		add_arc(&g, 1 + M + j, T, p->capacity[j], 0);

	/* initial potentials: shortest distances in the (acyclic) start graph */
	for (int32_t v = 0; v < V; v++)
		pot[v] = 0;
	for (int64_t i = 0; i < ne; i++)
	{
		int32_t		v = 1 + M + e[i].mentor;
		int64_t		c = -(int64_t) llround(e[i].score * SCORE_SCALE);

		if (c < pot[v])
			pot[v] = c;
	}
	for (int32_t j = 0; j < N; j++)
		if (pot[1 + M + j] < pot[T])
			pot[T] = pot[1 + M + j];

	for (;;)
	{
		int64_t		nh = 0, push = INF_DIST;

		for (int32_t v = 0; v < V; v++)
		{
			dist[v] = INF_DIST;
			prev_arc[v] = -1;
		}
		dist[S] = 0;
		heap_push(heap, &nh, (heap_item) {0, S});
		while (nh > 0)
		{
			heap_item	it = heap_pop(heap, &nh);

			if (it.d > dist[it.v])
				continue;
			for (int32_t arc = g.head[it.v]; arc >= 0; arc = g.next[arc])
			{
				int32_t		w = g.to[arc];
				int64_t		nd;

				if (g.cap[arc] <= 0)
					continue;
				nd = it.d + g.cost[arc] + pot[it.v] - pot[w];
				if (nd < dist[w])
				{
					dist[w] = nd;
					prev_arc[w] = arc;
					heap_push(heap, &nh, (heap_item) {nd, w});
				}
			}
		}
		if (dist[T] >= INF_DIST)
			break;
		for (int32_t v = 0; v < V; v++)
			if (dist[v] < INF_DIST)
				pot[v] += dist[v];
		if (pot[T] - pot[S] >= 0)
			break;				/* one more pair would not raise the total */
		for (int32_t v = T; v != S; v = g.to[prev_arc[v] ^ 1])
			if (g.cap[prev_arc[v]] < push)
				push = g.cap[prev_arc[v]];
		for (int32_t v = T; v != S; v = g.to[prev_arc[v] ^ 1])
		{
			g.cap[prev_arc[v]] -= push;
			g.cap[prev_arc[v] ^ 1] += push;
		}
	}

	/* the chosen pairs are the mentee -> mentor arcs that carry flow, in edge order */
	for (int64_t i = 0; i < ne; i++)
	{
		int32_t		arc = 2 * (M + (int32_t) i);	/* arcs were added mentee arcs first, then edges */

		if (g.cap[arc] == 0)
		{
			r.pairs[r.npairs++] = e[i];
			r.total += e[i].score;
		}
	}
	return r;
}

/* ---- stable: deferred acceptance ---- */

/* Whether mentor prefers mentee a (score sa) over b (score sb). */
static inline int
mentor_prefers(double sa, int32_t a, double sb, int32_t b)
{
	return sa > sb || (sa == sb && a < b);
}

mn_match_result
mn_match_stable(const mn_match_problem *p, const mn_allocator *a)
{
	mn_match_result r;
	int64_t		ne;
	mn_match_edge *e;
	int32_t		M = p->nmentees, N = p->nmentors;
	int64_t    *first;			/* per mentee: its edges in e[first[m] .. first[m+1]) */
	int64_t    *next_choice;
	int32_t    *held_count;		/* per mentee */
	int64_t    *slot_start;		/* per mentor: held proposals in held[slot_start[j] ..] */
	int32_t    *held_n;
	int64_t    *held;			/* edge indices */
	int32_t    *queue;
	int64_t		qh = 0, qt = 0, total_cap = 0;
	char	   *in_queue;

	memset(&r, 0, sizeof(r));
	e = usable_edges(p, a, &ne, &r.error);
	if (r.error)
		return r;
	first = mn_alloc(a, sizeof(int64_t) * (size_t) (M + 1));
	next_choice = mn_alloc(a, sizeof(int64_t) * (size_t) (M + 1));
	held_count = mn_alloc(a, sizeof(int32_t) * (size_t) (M + 1));
	slot_start = mn_alloc(a, sizeof(int64_t) * (size_t) (N + 1));
	held_n = mn_alloc(a, sizeof(int32_t) * (size_t) (N + 1));
	queue = mn_alloc(a, sizeof(int32_t) * (size_t) (M + 1));
	in_queue = mn_alloc(a, (size_t) (M + 1));
	if (!first || !next_choice || !held_count || !slot_start || !held_n || !queue || !in_queue)
	{
		r.error = 1;
		return r;
	}
	for (int32_t j = 0; j < N; j++)
	{
		slot_start[j] = total_cap;
		total_cap += p->capacity[j] > 0 ? p->capacity[j] : 0;
	}
	held = mn_alloc(a, sizeof(int64_t) * (size_t) (total_cap + 1));
	r.pairs = mn_alloc(a, sizeof(mn_match_edge) * (size_t) (ne + 1));
	if (!held || !r.pairs)
	{
		r.error = 1;
		return r;
	}
	/* each mentee's edges, best score first (ties: lower mentor index) */
	for (int64_t i = 0, m = 0; m <= M; m++)
	{
		while (i < ne && e[i].mentee < m)
			i++;
		first[m] = i;
	}
	for (int32_t m = 0; m < M; m++)
	{
		for (int64_t i = first[m] + 1; i < first[m + 1]; i++)
		{
			mn_match_edge x = e[i];
			int64_t		k = i;

			while (k > first[m] && (e[k - 1].score < x.score || (e[k - 1].score == x.score && e[k - 1].mentor > x.mentor)))
			{
				e[k] = e[k - 1];
				k--;
			}
			e[k] = x;
		}
		next_choice[m] = first[m];
		queue[qt++] = m;
		in_queue[m] = 1;
	}
	while (qh != qt)
	{
		int32_t		m = queue[qh];

		qh = (qh + 1) % (M + 1);
		in_queue[m] = 0;
		while (held_count[m] < p->per_mentee && next_choice[m] < first[m + 1])
		{
			int64_t		ei = next_choice[m]++;
			int32_t		j = e[ei].mentor;
			int32_t		cap = p->capacity[j];
			int64_t    *h = &held[slot_start[j]];

			if (held_n[j] < cap)
			{
				h[held_n[j]++] = ei;
				held_count[m]++;
				continue;
			}
			/* full: displace the least preferred if this proposal is better */
			{
				int32_t		worst = 0;

				for (int32_t k = 1; k < held_n[j]; k++)
					if (mentor_prefers(e[h[worst]].score, e[h[worst]].mentee, e[h[k]].score, e[h[k]].mentee))
						worst = k;
				if (held_n[j] > 0 && mentor_prefers(e[ei].score, m, e[h[worst]].score, e[h[worst]].mentee))
				{
					int32_t		loser = e[h[worst]].mentee;

					h[worst] = ei;
					held_count[m]++;
					held_count[loser]--;
					if (!in_queue[loser])
					{
						queue[qt] = loser;
						qt = (qt + 1) % (M + 1);
						in_queue[loser] = 1;
					}
				}
			}
		}
	}
	for (int32_t j = 0; j < N; j++)
		for (int32_t k = 0; k < held_n[j]; k++)
		{
			r.pairs[r.npairs++] = e[held[slot_start[j] + k]];
			r.total += e[held[slot_start[j] + k]].score;
		}
	qsort(r.pairs, (size_t) r.npairs, sizeof(mn_match_edge), edge_cmp);
	return r;
}
