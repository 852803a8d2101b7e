/*
 * crosscheck.c - peer-review assignment: the first distribution (a shuffled
 * circulant, degrading gracefully for small classes) and the assignment of
 * reviewers to solutions that arrive after it.
 *
 * Why a circulant: with students on a shuffled circle and reviewer offsets
 * o_1..o_k, everyone reviews and is reviewed exactly k times by construction;
 * offsets below n/2 can never add up to n, so nobody reviews their reviewer.
 */
#include "crosscheck.h"

#include <string.h>

static mn_cc_result
cc_fail(mn_cc_outcome why)
{
	mn_cc_result r;

	memset(&r, 0, sizeof(r));
	r.outcome = why;
	return r;
}

mn_cc_result
mn_cc_distribute(int32_t n, int32_t k, uint64_t seed, const mn_allocator *a)
{
	mn_rng		rng = {seed};
	mn_cc_result r;
	int32_t		safe = (n - 1) / 2;	/* offsets that cannot form mutual pairs */
	int32_t		noffsets;
	int32_t    *offsets;
	int32_t    *perm;
	bool	   *chosen;

	if (n < 2 || k < 1)
		return cc_fail(MN_CC_TOO_FEW);
	memset(&r, 0, sizeof(r));

	/* candidate offsets 1..n-1, the safe ones first */
	offsets = mn_alloc(a, sizeof(int32_t) * (size_t) n);
	perm = mn_alloc(a, sizeof(int32_t) * (size_t) n);
	chosen = mn_alloc(a, sizeof(bool) * (size_t) n);
	if (!offsets || !perm || !chosen)
		return cc_fail(MN_CC_NO_MEMORY);
	for (int32_t i = 0; i < n - 1; i++)
		offsets[i] = i + 1;

	if (n <= k)
	{
		r.outcome = MN_CC_REDUCED;
		noffsets = n - 1;
	}
	else if (n < 2 * k + 1)
	{
		/* all safe offsets, and the fewest unsafe ones drawn at random */
		r.outcome = MN_CC_MUTUAL;
		noffsets = k;
		mn_shuffle_i32(&rng, offsets + safe, n - 1 - safe);
	}
	else
	{
		r.outcome = MN_CC_OK;
		noffsets = k;
		/* a partial Fisher-Yates draw of k distinct offsets from 1..safe */
		for (int32_t i = 0; i < k; i++)
		{
			int32_t		j = i + (int32_t) mn_rng_below(&rng, (uint64_t) (safe - i));
			int32_t		t = offsets[i];

			offsets[i] = offsets[j];
			offsets[j] = t;
		}
	}

	for (int32_t i = 0; i < n; i++)
		perm[i] = i;
	mn_shuffle_i32(&rng, perm, n);

	r.per_student = noffsets;
	r.npairs = (int64_t) n * noffsets;
	r.pairs = mn_alloc(a, sizeof(mn_cc_pair) * (size_t) r.npairs);
	if (!r.pairs)
		return cc_fail(MN_CC_NO_MEMORY);
	for (int32_t j = 0; j < noffsets; j++)
	{
		int32_t		o = offsets[j];

		chosen[o] = true;
		for (int32_t i = 0; i < n; i++)
		{
			mn_cc_pair *p = &r.pairs[(int64_t) i * noffsets + j];
			int32_t		c = i + o;

			p->author = perm[i];
			p->checker = perm[c >= n ? c - n : c];
		}
	}

	/*
	 * Offsets o and n-o both chosen pair every student with one reviewer in
	 * both directions: n unordered pairs, or n/2 when o = n-o.
	 */
	for (int32_t o = 1; o <= n / 2; o++)
		if (chosen[o] && chosen[n - o])
			r.mutual_pairs += (2 * o == n) ? n / 2 : n;
	return r;
}

/* An open-addressing set of (checker, author) pairs; never shrinks. */
typedef struct pair_set
{
	uint64_t   *slots;			/* key + 1, 0 = empty */
	uint64_t	mask;
} pair_set;

static inline uint64_t
pair_key(int32_t checker, int32_t author)
{
	return ((uint64_t) (uint32_t) checker << 32 | (uint32_t) author) + 1;
}

static inline uint64_t
pair_hash(uint64_t key)
{
	key ^= key >> 33;
	key *= UINT64_C(0xff51afd7ed558ccd);
	return key ^ (key >> 33);
}

static bool
set_contains(const pair_set *s, int32_t checker, int32_t author)
{
	uint64_t	key = pair_key(checker, author);

	for (uint64_t h = pair_hash(key) & s->mask;; h = (h + 1) & s->mask)
	{
		if (s->slots[h] == key)
			return true;
		if (s->slots[h] == 0)
			return false;
	}
}

static void
set_add(pair_set *s, int32_t checker, int32_t author)
{
	uint64_t	key = pair_key(checker, author);
	uint64_t	h;

	for (h = pair_hash(key) & s->mask; s->slots[h] != 0 && s->slots[h] != key; h = (h + 1) & s->mask)
		;
	s->slots[h] = key;
}

/*
 * Ordering of candidate reviewers for one solution, smaller is better: load
 * first (least-loaded), then not forming a mutual pair, then a seeded
 * priority that breaks ties without favouring low ids.
 */
static inline int64_t
candidate_key(int32_t load, bool mutual, int32_t prio)
{
	return ((int64_t) load << 33) | ((int64_t) mutual << 32) | (int64_t) prio;
}

mn_cc_result
mn_cc_assign_late(int32_t n, const int32_t *load,
				  const mn_cc_pair *existing, int64_t nexisting,
				  const int32_t *authors, int32_t nauthors,
				  int32_t k, uint64_t seed, const mn_allocator *a)
{
	mn_rng		rng = {seed};
	mn_cc_result r;
	pair_set	set;
	uint64_t	cap = 16;
	int32_t    *prio;
	int32_t    *loads;
	int32_t    *order;
	int32_t    *best;			/* the best candidates so far, sorted by key */
	int64_t    *bestkey;
	int32_t		want = k < n - 1 ? k : n - 1;

	if (n < 2 || k < 1)
		return cc_fail(MN_CC_TOO_FEW);
	memset(&r, 0, sizeof(r));
	r.outcome = MN_CC_OK;
	r.per_student = nauthors > 0 ? want : 0;

	while (cap < 2 * (uint64_t) (nexisting + (int64_t) nauthors * want) + 16)
		cap <<= 1;
	set.mask = cap - 1;
	set.slots = mn_alloc(a, sizeof(uint64_t) * cap);
	prio = mn_alloc(a, sizeof(int32_t) * (size_t) n);
	loads = mn_alloc(a, sizeof(int32_t) * (size_t) n);
	order = mn_alloc(a, sizeof(int32_t) * (size_t) (nauthors + 1));
	best = mn_alloc(a, sizeof(int32_t) * (size_t) (want + 1));
	bestkey = mn_alloc(a, sizeof(int64_t) * (size_t) (want + 1));
	r.pairs = mn_alloc(a, sizeof(mn_cc_pair) * (size_t) ((int64_t) nauthors * want + 1));
	if (!set.slots || !prio || !loads || !order || !best || !bestkey || !r.pairs)
		return cc_fail(MN_CC_NO_MEMORY);

	for (int64_t i = 0; i < nexisting; i++)
		set_add(&set, existing[i].checker, existing[i].author);
	for (int32_t i = 0; i < n; i++)
	{
		prio[i] = i;
		loads[i] = load[i];
	}
	mn_shuffle_i32(&rng, prio, n);
	memcpy(order, authors, sizeof(int32_t) * (size_t) nauthors);
	mn_shuffle_i32(&rng, order, nauthors);

	for (int32_t ai = 0; ai < nauthors; ai++)
	{
		int32_t		author = order[ai];
		int32_t		nbest = 0;

		/* one pass keeping the `want` best candidates in insertion order */
		for (int32_t c = 0; c < n; c++)
		{
			int64_t		key;
			int32_t		pos;

			if (c == author)
				continue;
			key = candidate_key(loads[c], false, prio[c]);
			if (nbest == want && key >= bestkey[want - 1])
				continue;		/* cannot beat the worst kept even without a mutual pair */
			if (set_contains(&set, c, author))
				continue;		/* already reviews this solution */
			if (set_contains(&set, author, c))
				key = candidate_key(loads[c], true, prio[c]);
			if (nbest == want && key >= bestkey[want - 1])
				continue;
			pos = nbest < want ? nbest++ : want - 1;
			while (pos > 0 && bestkey[pos - 1] > key)
			{
				bestkey[pos] = bestkey[pos - 1];
				best[pos] = best[pos - 1];
				pos--;
			}
			bestkey[pos] = key;
			best[pos] = c;
		}
		for (int32_t j = 0; j < nbest; j++)
		{
			mn_cc_pair *p = &r.pairs[r.npairs++];

			p->checker = best[j];
			p->author = author;
			if (set_contains(&set, author, best[j]))
				r.mutual_pairs++;
			set_add(&set, best[j], author);
			loads[best[j]]++;
		}
		if (nbest < r.per_student)
			r.per_student = nbest;
	}
	if (r.per_student < k && nauthors > 0)
		r.outcome = MN_CC_REDUCED;
	else if (r.mutual_pairs > 0)
		r.outcome = MN_CC_MUTUAL;
	return r;
}
