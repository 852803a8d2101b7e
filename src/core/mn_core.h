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

#endif							/* MN_CORE_H */
