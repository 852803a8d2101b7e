/*
 * mn_core.h - shared definitions of the PostgreSQL-free core.
 *
 * Everything under src/core/ is plain C99 without PostgreSQL headers or
 * global state, so it can be unit-tested, fuzzed and benchmarked on its own.
 * Memory comes from a caller-supplied allocator: the PostgreSQL glue passes
 * one backed by palloc in a suitable memory context, tests pass malloc.
 * The core never frees piecemeal; its owner drops the whole context.
 */
#ifndef MN_CORE_H
#define MN_CORE_H

#include <stddef.h>
#include <stdint.h>

typedef struct mn_allocator
{
	void	   *(*alloc) (void *ctx, size_t size);	/* returns zeroed memory or NULL */
	void	   *ctx;
} mn_allocator;

static inline void *
mn_alloc(const mn_allocator *a, size_t size)
{
	return a->alloc(a->ctx, size);
}

/*
 * Seeded pseudo-random numbers (SplitMix64).  The algorithms must give the
 * same answer for the same seed on every platform and every run, which rules
 * out random() and friends; statistical quality only has to be good enough
 * for shuffling a class.
 */
typedef struct mn_rng
{
	uint64_t	state;
} mn_rng;

static inline uint64_t
mn_rng_next(mn_rng *r)
{
	uint64_t	z = (r->state += UINT64_C(0x9E3779B97F4A7C15));

	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

/* Uniform in [0, bound), bound > 0, without modulo bias. */
static inline uint64_t
mn_rng_below(mn_rng *r, uint64_t bound)
{
	uint64_t	limit = UINT64_MAX - UINT64_MAX % bound;
	uint64_t	x;

	do
		x = mn_rng_next(r);
	while (x >= limit);
	return x % bound;
}

/* Fisher-Yates shuffle of an int32 array. */
static inline void
mn_shuffle_i32(mn_rng *r, int32_t *v, int64_t n)
{
	for (int64_t i = n - 1; i > 0; i--)
	{
		int64_t		j = (int64_t) mn_rng_below(r, (uint64_t) i + 1);
		int32_t		t = v[i];

		v[i] = v[j];
		v[j] = t;
	}
}

#endif							/* MN_CORE_H */
