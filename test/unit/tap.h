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

#include "../arena.h"

/* The core's allocator in unit tests; tap_done() frees everything. */
#define tap_alloc arena_alloc

static int
tap_done(void)
{
	arena_free();
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
