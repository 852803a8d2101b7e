/*
 * tap.h - a minimal TAP producer for the core's unit tests.
 *
 * Each check prints "ok N - name" or "not ok N - name", and tap_done() prints
 * the plan and returns the exit status, so prove(1) and the test runner can
 * count the assertions.
 */
#ifndef TAP_H
#define TAP_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <stddef.h>

static int	tap_n = 0;
static int	tap_failed = 0;

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

__attribute__((format(printf, 4, 5)))
static void
tap_ok(int pass, const char *file, int line, const char *fmt, ...)
{
	va_list		ap;

	tap_n++;
	if (!pass)
		tap_failed++;
	printf("%s %d - ", pass ? "ok" : "not ok", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!pass)
		printf("#   failed at %s line %d\n", file, line);
}

/*
 * malloc-backed allocator for the core.  Blocks are chained so tap_done()
 * frees them all, the way the glue drops a memory context, and the sanitizer
 * builds report only real leaks.
 */
typedef struct tap_block
{
	struct tap_block *next;
	max_align_t data[];
} tap_block;

static tap_block *tap_blocks = NULL;

__attribute__((unused))
static void *
tap_alloc(void *ctx, size_t size)
{
	tap_block  *b = calloc(1, sizeof(tap_block) + (size ? size : 1));

	(void) ctx;
	if (b == NULL)
		return NULL;
	b->next = tap_blocks;
	tap_blocks = b;
	return b->data;
}

static int
tap_done(void)
{
	while (tap_blocks)
	{
		tap_block  *next = tap_blocks->next;

		free(tap_blocks);
		tap_blocks = next;
	}
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
