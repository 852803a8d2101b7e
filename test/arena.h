/*
 * arena.h - a malloc-backed allocator for tests of src/core/.
 *
 * Blocks are chained so arena_free() releases them all at once, the way the
 * glue drops a memory context; sanitizer builds then report only real leaks.
 */
#ifndef TEST_ARENA_H
#define TEST_ARENA_H

#include <stddef.h>
#include <stdlib.h>

typedef struct arena_block
{
	struct arena_block *next;
	max_align_t data[];
} arena_block;

static arena_block *arena_blocks = NULL;

__attribute__((unused))
static void *
arena_alloc(void *ctx, size_t size)
{
	arena_block *b = calloc(1, sizeof(arena_block) + (size ? size : 1));

	(void) ctx;
	if (b == NULL)
		return NULL;
	b->next = arena_blocks;
	arena_blocks = b;
	return b->data;
}

__attribute__((unused))
static void
arena_free(void)
{
	while (arena_blocks)
	{
		arena_block *next = arena_blocks->next;

		free(arena_blocks);
		arena_blocks = next;
	}
}

#endif
