/*
 * matching.c - the fit score of a mentor for a mentee, and cohort matching:
 * optimal (min-cost flow), stable (deferred acceptance) and greedy (the
 * baseline), all under mentor capacities and a number of mentors per mentee.
 *
 * Why min-cost flow: source -> mentee (per_mentee) -> mentor (1 per pair,
 * cost -score) -> sink (capacity) is exactly the capacitated assignment.
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
mn_fit_counts(const mn_fit_weights *w, int32_t nseeks, int32_t full, int32_t partial,
			  int32_t overlap_minutes, int32_t wanted_minutes,
			  int32_t active, int32_t max_places,
			  double rating_mean, int32_t rating_count)
{
	mn_fit		f;
	double		credit, bayes, wsum;

	memset(&f, 0, sizeof(f));
	f.skills_full = full;
	f.skills_partial = partial;
	credit = full + w->partial_level_credit * partial;
	f.skills = nseeks > 0 ? clamp01(credit / nseeks) : 0;
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

/* How many sought skills are offered at the mentee's level or above, and how many below it. */
static void
count_skills(const mn_skill_level *seeks, int32_t nseeks, const mn_skill_level *offers, int32_t noffers,
			 int32_t *full, int32_t *partial)
{
	*full = *partial = 0;
	for (int32_t i = 0; i < nseeks; i++)
	{
		int32_t		best = -1;

		for (int32_t j = 0; j < noffers; j++)
			if (offers[j].skill == seeks[i].skill && offers[j].level > best)
				best = offers[j].level;
		if (best >= seeks[i].level)
			(*full)++;
		else if (best >= 0)
			(*partial)++;
	}
}

mn_fit
mn_fit_score(const mn_fit_weights *w,
			 const mn_skill_level *seeks, int32_t nseeks,
			 const mn_skill_level *offers, int32_t noffers,
			 int32_t overlap_minutes, int32_t wanted_minutes,
			 int32_t active, int32_t max_places,
			 double rating_mean, int32_t rating_count)
{
	int32_t		full, partial;

	count_skills(seeks, nseeks, offers, noffers, &full, &partial);
	return mn_fit_counts(w, nseeks, full, partial, overlap_minutes, wanted_minutes, active, max_places,
						 rating_mean, rating_count);
}

static int	edge_cmp(const void *x, const void *y);

/* An offered skill in the inverted list: which mentor offers it. */
typedef struct offer_entry
{
	int64_t		skill;
	int32_t		mentor;
} offer_entry;

static int
offer_entry_cmp(const void *x, const void *y)
{
	const offer_entry *a = x, *b = y;

	if (a->skill != b->skill)
		return a->skill < b->skill ? -1 : 1;
	return (a->mentor > b->mentor) - (a->mentor < b->mentor);
}

static int
int32_cmp(const void *x, const void *y)
{
	int32_t		a = *(const int32_t *) x, b = *(const int32_t *) y;

	return (a > b) - (a < b);
}

/* The first entry of the inverted list with this skill (nentries if none). */
static int64_t
first_offer(const offer_entry *list, int64_t nentries, int64_t skill)
{
	int64_t		lo = 0, hi = nentries;

	while (lo < hi)
	{
		int64_t		mid = lo + (hi - lo) / 2;

		if (list[mid].skill < skill)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * The candidate mentors of a mentee, ascending: those offering one of the
 * skills it seeks (through the inverted list, so a cohort over 100,000
 * mentors only looks at the few that matter), or every mentor when it seeks
 * none.  stamp[j] == i marks j as already taken for mentee i.
 */
static int32_t
candidates_of(const mn_cohort *c, int32_t i, const offer_entry *list, int64_t nentries, int32_t *stamp, int32_t *out)
{
	int32_t		n = 0;

	if (c->seek_first[i + 1] == c->seek_first[i])
	{
		for (int32_t j = 0; j < c->nmentors; j++)
			out[n++] = j;
		return n;
	}
	for (int64_t k = c->seek_first[i]; k < c->seek_first[i + 1]; k++)
		for (int64_t e = first_offer(list, nentries, c->seeks[k].skill); e < nentries && list[e].skill == c->seeks[k].skill; e++)
			if (stamp[list[e].mentor] != i)
			{
				stamp[list[e].mentor] = i;
				out[n++] = list[e].mentor;
			}
	qsort(out, (size_t) n, sizeof(int32_t), int32_cmp);
	return n;
}

mn_match_edge *
mn_cohort_edges(const mn_cohort *c, const mn_fit_weights *w, int64_t max_pairs, const mn_allocator *a,
				int64_t *n, int *error)
{
	mn_match_edge *out = NULL, *excl;
	int64_t		k = 0, noffers = c->offer_first[c->nmentors];
	offer_entry *list;
	int32_t    *stamp, *cand;

	*n = 0;
	*error = 0;
	excl = mn_alloc(a, sizeof(mn_match_edge) * (size_t) (c->nexcluded + 1));
	list = mn_alloc(a, sizeof(offer_entry) * (size_t) (noffers + 1));
	stamp = mn_alloc(a, sizeof(int32_t) * (size_t) (c->nmentors + 1));
	cand = mn_alloc(a, sizeof(int32_t) * (size_t) (c->nmentors + 1));
	if (!excl || !list || !stamp || !cand)
	{
		*error = 1;
		return NULL;
	}
	if (c->nexcluded > 0)
		memcpy(excl, c->excluded, sizeof(mn_match_edge) * (size_t) c->nexcluded);
	qsort(excl, (size_t) c->nexcluded, sizeof(mn_match_edge), edge_cmp);
	for (int32_t j = 0; j < c->nmentors; j++)
		for (int64_t e = c->offer_first[j]; e < c->offer_first[j + 1]; e++)
			list[e] = (offer_entry) {c->offers[e].skill, j};
	qsort(list, (size_t) noffers, sizeof(offer_entry), offer_entry_cmp);

	/* pass 0 counts the pairs, pass 1 scores them: memory follows the pairs, not mentees x mentors */
	for (int pass = 0; pass < 2; pass++)
	{
		int64_t		x = 0;

		if (pass == 1)
		{
			if (k > max_pairs)
			{
				*n = k;
				*error = 3;
				return NULL;
			}
			out = mn_alloc(a, sizeof(mn_match_edge) * (size_t) (k + 1));
			if (!out)
			{
				*error = 1;
				return NULL;
			}
			k = 0;
		}
		for (int32_t j = 0; j < c->nmentors; j++)
			stamp[j] = -1;
		for (int32_t i = 0; i < c->nmentees; i++)
		{
			const mn_skill_level *seeks = &c->seeks[c->seek_first[i]];
			int32_t		nseeks = (int32_t) (c->seek_first[i + 1] - c->seek_first[i]);
			int32_t		ncand = candidates_of(c, i, list, noffers, stamp, cand);

			for (int32_t q = 0; q < ncand; q++)
			{
				int32_t		j = cand[q], full, partial;

				/* pairs come in (mentee, mentor) order, so the sorted exclusions are merged in */
				while (x < c->nexcluded && (excl[x].mentee < i || (excl[x].mentee == i && excl[x].mentor < j)))
					x++;
				if (x < c->nexcluded && excl[x].mentee == i && excl[x].mentor == j)
					continue;
				count_skills(seeks, nseeks, &c->offers[c->offer_first[j]],
							 (int32_t) (c->offer_first[j + 1] - c->offer_first[j]), &full, &partial);
				if (pass == 1)
				{
					out[k].mentee = i;
					out[k].mentor = j;
					out[k].score = mn_fit_counts(w, nseeks, full, partial, 0, 0, c->active[j], c->max_places[j],
												 c->rating_mean[j], c->rating_count[j]).score;
				}
				k++;
			}
		}
	}
	*n = k;
	return out;
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

		/* scores are scaled to integers for the flow: beyond MN_MATCH_MAX_SCORE sums could overflow */
		if (x->mentee < 0 || x->mentee >= p->nmentees || x->mentor < 0 || x->mentor >= p->nmentors ||
			x->score > MN_MATCH_MAX_SCORE)
		{
			*error = 2;
			return NULL;
		}
		if (isfinite(x->score) && x->score > 0 && p->capacity[x->mentor] > 0)
			e[k++] = *x;
	}
	/* a cohort's pairs come sorted already (mn_cohort_edges): sort only when they are not */
	for (int64_t i = 1; i < k; i++)
		if (edge_cmp(&e[i - 1], &e[i]) > 0)
		{
			qsort(e, (size_t) k, sizeof(mn_match_edge), edge_cmp);
			break;
		}
	for (int64_t i = 0; i < k; i++)
		if (out == 0 || e[i].mentee != e[out - 1].mentee || e[i].mentor != e[out - 1].mentor)
			e[out++] = e[i];
	*n = out;
	return e;
}

/* Edges sorted by mentee: mentee m's are e[first[m] .. first[m+1]). */
static void
mentee_offsets(const mn_match_edge *e, int64_t ne, int32_t M, int64_t *first)
{
	for (int64_t i = 0, m = 0; m <= M; m++)
	{
		while (i < ne && e[i].mentee < m)
			i++;
		first[m] = i;
	}
}

/* ---- optimal: min-cost flow ---- */

/*
 * Each mentee unit (per_mentee of them per mentee) is routed, one at a time,
 * along a shortest path to the sink in the residual graph: mentee -> mentor
 * on an unused pair (cost -score), mentor -> mentee on a used one (+score,
 * the mentee gives that mentor up), mentor -> sink while it has a free place,
 * and mentee -> sink at cost 0 (the unit stays unassigned, which makes the
 * result the maximum-score assignment rather than the largest one).  Routing
 * a unit along a shortest path keeps the flow a min-cost flow for the units
 * routed so far (no negative cycle appears), so after the last unit it is
 * optimal.  Dijkstra from the unit's mentee stops as soon as the sink is
 * settled; potentials keep reduced costs non-negative, and only the nodes
 * settled move theirs.  Most units find a free place in a few steps, which
 * is what makes 2,000 x 500 dense instances take a fraction of a second
 * instead of the tens of seconds a full search from a super source took.
 */

/* a binary min-heap of (distance, node) */
typedef struct heap_item
{
	int64_t		d;
	int32_t		v;
} heap_item;

/*
 * Order of the heap: distance, then the sink before any other node.  With
 * coarse scores many nodes tie with the sink; taking the sink first ends
 * the search there instead of settling all of them.
 */
static inline int
heap_less(heap_item a, heap_item b, int32_t sink)
{
	return a.d < b.d || (a.d == b.d && a.v == sink && b.v != sink);
}

static void
heap_push(heap_item *h, int64_t *n, heap_item x, int32_t sink)
{
	int64_t		i = (*n)++;

	while (i > 0 && heap_less(x, h[(i - 1) / 2], sink))
	{
		h[i] = h[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h[i] = x;
}

static heap_item
heap_pop(heap_item *h, int64_t *n, int32_t sink)
{
	heap_item	top = h[0], last = h[--(*n)];
	int64_t		i = 0;

	for (;;)
	{
		int64_t		c = 2 * i + 1;

		if (c >= *n)
			break;
		if (c + 1 < *n && heap_less(h[c + 1], h[c], sink))
			c++;
		if (!heap_less(h[c], last, sink))
			break;
		h[i] = h[c];
		i = c;
	}
	if (*n > 0)
		h[i] = last;
	return top;
}

#define SCORE_SCALE 1e9

typedef struct flow_state
{
	int32_t		M, N, T;		/* nodes: mentees 0..M-1, mentors M..M+N-1, sink T */
	const mn_match_edge *e;
	const int64_t *first;		/* mentee i's edges: e[first[i] .. first[i+1]) */
	int64_t    *cost;			/* per edge: -score, scaled */
	char	   *used;			/* per edge: the pair is assigned */
	int64_t    *held;			/* per mentor j: its assigned edges at held[slot[j] ..] */
	int64_t    *slot;
	int32_t    *nheld;
	const int32_t *cap;
	int64_t    *pot, *dist;
	int32_t    *stamp;			/* dist[v] is valid when stamp[v] == round */
	char	   *done;
	int32_t    *prev_node;
	int64_t    *prev_edge;		/* the edge used to reach a node, -1 for the sink */
	int32_t    *settled;
	heap_item  *heap;
} flow_state;

static inline void
relax(flow_state *s, int32_t round, int64_t *nh, int32_t from, int32_t to, int64_t d, int64_t via)
{
	if (s->stamp[to] != round || d < s->dist[to])
	{
		s->stamp[to] = round;
		s->done[to] = 0;
		s->dist[to] = d;
		s->prev_node[to] = from;
		s->prev_edge[to] = via;
		heap_push(s->heap, nh, (heap_item) {d, to}, s->T);
	}
}

/* Routes one unit from mentee src along a shortest path and updates potentials. */
static void
route_unit(flow_state *s, int32_t src, int32_t round)
{
	int64_t		nh = 0, nsettled = 0, dT;
	int32_t		M = s->M, T = s->T;

	relax(s, round, &nh, -1, src, 0, -1);
	for (;;)
	{
		heap_item	it = heap_pop(s->heap, &nh, T);
		int32_t		v = it.v;

		if (s->done[v] || it.d > s->dist[v])
			continue;
		s->done[v] = 1;
		s->settled[nsettled++] = v;
		if (v == T)
			break;
		if (v < M)
		{
			relax(s, round, &nh, v, T, it.d + s->pot[v] - s->pot[T], -1);
			for (int64_t k = s->first[v]; k < s->first[v + 1]; k++)
			{
				int32_t		w = M + s->e[k].mentor;

				if (s->used[k] || (s->stamp[w] == round && s->done[w]))
					continue;
				relax(s, round, &nh, v, w, it.d + s->cost[k] + s->pot[v] - s->pot[w], k);
			}
		}
		else
		{
			int32_t		j = v - M;
			int64_t    *h = &s->held[s->slot[j]];

			if (s->nheld[j] < s->cap[j])
				relax(s, round, &nh, v, T, it.d + s->pot[v] - s->pot[T], -1);
			for (int32_t k = 0; k < s->nheld[j]; k++)
			{
				int32_t		w = s->e[h[k]].mentee;
				int64_t		nd = it.d - s->cost[h[k]] + s->pot[v] - s->pot[w];

				if (!(s->stamp[w] == round && s->done[w]))
					relax(s, round, &nh, v, w, nd, h[k]);
			}
		}
	}
	dT = s->dist[T];
	for (int64_t k = 0; k < nsettled; k++)
		s->pot[s->settled[k]] += s->dist[s->settled[k]] - dT;

	/* flip the path: a mentee -> mentor step takes the pair, mentor -> mentee gives it back */
	for (int32_t v = T; s->prev_node[v] >= 0; v = s->prev_node[v])
	{
		int32_t		u = s->prev_node[v];
		int64_t		k = s->prev_edge[v];

		if (k < 0)
			continue;			/* into the sink: a free place, or the unit stays unassigned */
		if (u < M)
		{
			int32_t		j = v - M;

			s->used[k] = 1;
			s->held[s->slot[j] + s->nheld[j]++] = k;
		}
		else
		{
			int32_t		j = u - M;
			int64_t    *h = &s->held[s->slot[j]];

			s->used[k] = 0;
			for (int32_t x = 0; x < s->nheld[j]; x++)
				if (h[x] == k)
				{
					h[x] = h[--s->nheld[j]];
					break;
				}
		}
	}
}

mn_match_result
mn_match_optimal(const mn_match_problem *p, const mn_allocator *a)
{
	mn_match_result r;
	int64_t		ne, total_cap = 0, *first;
	mn_match_edge *e;
	flow_state	s;
	int32_t		M = p->nmentees, N = p->nmentors, V, round = 0;

	memset(&r, 0, sizeof(r));
	e = usable_edges(p, a, &ne, &r.error);
	if (r.error)
		return r;
	V = M + N + 1;
	memset(&s, 0, sizeof(s));
	s.M = M;
	s.N = N;
	s.T = M + N;
	s.e = e;
	s.cap = p->capacity;
	first = mn_alloc(a, sizeof(int64_t) * (size_t) (M + 1));
	s.cost = mn_alloc(a, sizeof(int64_t) * (size_t) (ne + 1));
	s.used = mn_alloc(a, (size_t) (ne + 1));
	s.slot = mn_alloc(a, sizeof(int64_t) * (size_t) (N + 1));
	s.nheld = mn_alloc(a, sizeof(int32_t) * (size_t) (N + 1));
	s.pot = mn_alloc(a, sizeof(int64_t) * (size_t) V);
	s.dist = mn_alloc(a, sizeof(int64_t) * (size_t) V);
	s.stamp = mn_alloc(a, sizeof(int32_t) * (size_t) V);
	s.done = mn_alloc(a, (size_t) V);
	s.prev_node = mn_alloc(a, sizeof(int32_t) * (size_t) V);
	s.prev_edge = mn_alloc(a, sizeof(int64_t) * (size_t) V);
	s.settled = mn_alloc(a, sizeof(int32_t) * (size_t) V);
	/* every relaxation pushes at most once: edges, back arcs, sink arcs, the source */
	s.heap = mn_alloc(a, sizeof(heap_item) * (size_t) (2 * ne + 2 * V + 2));
	r.pairs = mn_alloc(a, sizeof(mn_match_edge) * (size_t) (ne + 1));
	if (!first || !s.cost || !s.used || !s.slot || !s.nheld || !s.pot || !s.dist || !s.stamp || !s.done ||
		!s.prev_node || !s.prev_edge || !s.settled || !s.heap || !r.pairs)
	{
		r.error = 1;
		return r;
	}
	for (int32_t j = 0; j < N; j++)
	{
		s.slot[j] = total_cap;
		total_cap += p->capacity[j];
		s.nheld[j] = 0;
	}
	s.held = mn_alloc(a, sizeof(int64_t) * (size_t) (total_cap + 1));
	if (!s.held)
	{
		r.error = 1;
		return r;
	}
	mentee_offsets(e, ne, M, first);
	s.first = first;

	/* start potentials: each mentor at its cheapest incoming pair, the sink below all */
	for (int32_t v = 0; v < V; v++)
	{
		s.pot[v] = 0;
		s.stamp[v] = -1;
	}
	for (int64_t k = 0; k < ne; k++)
	{
		int32_t		w = M + e[k].mentor;

		s.cost[k] = -(int64_t) llround(e[k].score * SCORE_SCALE);
		s.used[k] = 0;
		if (s.cost[k] < s.pot[w])
			s.pot[w] = s.cost[k];
	}
	for (int32_t j = 0; j < N; j++)
		if (s.pot[M + j] < s.pot[s.T])
			s.pot[s.T] = s.pot[M + j];

	for (int32_t unit = 0; unit < p->per_mentee; unit++)
		for (int32_t i = 0; i < M; i++)
			if (first[i + 1] > first[i])
				route_unit(&s, i, round++);

	for (int64_t k = 0; k < ne; k++)
		if (s.used[k])
		{
			r.pairs[r.npairs++] = e[k];
			r.total += e[k].score;
		}
	return r;
}

/* ---- greedy: highest score first (the baseline the optimum is compared with) ---- */

static int
score_desc_cmp(const void *x, const void *y)
{
	const mn_match_edge *a = x, *b = y;

	if (a->score != b->score)
		return a->score > b->score ? -1 : 1;
	return edge_cmp(x, y);
}

mn_match_result
mn_match_greedy(const mn_match_problem *p, const mn_allocator *a)
{
	mn_match_result r;
	int64_t		ne;
	mn_match_edge *e;
	int32_t    *left, *taken;

	memset(&r, 0, sizeof(r));
	e = usable_edges(p, a, &ne, &r.error);
	if (r.error)
		return r;
	left = mn_alloc(a, sizeof(int32_t) * (size_t) (p->nmentors + 1));
	taken = mn_alloc(a, sizeof(int32_t) * (size_t) (p->nmentees + 1));
	r.pairs = mn_alloc(a, sizeof(mn_match_edge) * (size_t) (ne + 1));
	if (!left || !taken || !r.pairs)
	{
		r.error = 1;
		return r;
	}
	memcpy(left, p->capacity, sizeof(int32_t) * (size_t) p->nmentors);
	memset(taken, 0, sizeof(int32_t) * (size_t) p->nmentees);
	qsort(e, (size_t) ne, sizeof(mn_match_edge), score_desc_cmp);
	for (int64_t k = 0; k < ne; k++)
		if (taken[e[k].mentee] < p->per_mentee && left[e[k].mentor] > 0)
		{
			taken[e[k].mentee]++;
			left[e[k].mentor]--;
			r.pairs[r.npairs++] = e[k];
			r.total += e[k].score;
		}
	qsort(r.pairs, (size_t) r.npairs, sizeof(mn_match_edge), edge_cmp);
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
	mentee_offsets(e, ne, M, first);
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
