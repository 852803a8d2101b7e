/*
 * fuzz_availability.c - libFuzzer target for the availability parser.
 *
 * Any input is either refused with a reason and a position inside it, or
 * accepted as a schedule in normal form (sorted, disjoint, not touching,
 * within the week) whose canonical text parses back to the same schedule.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/core/availability.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* an exact-size copy so AddressSanitizer catches any read past the end */
	char	   *s = malloc(size ? size : 1);
	mn_availability a, b;
	size_t		pos;
	const char *err;
	static char text[16384];

	memcpy(s, data, size);
	err = mn_av_parse(s, size, &a, &pos);
	if (err != NULL)
	{
		if (pos > size || strlen(err) == 0)
			abort();
		free(s);
		return 0;
	}
	if (a.nwindows < 0 || a.nwindows > MN_AV_MAX_WINDOWS || strlen(a.zone) == 0 || strlen(a.zone) > MN_AV_MAX_ZONE)
		abort();
	for (int32_t i = 0; i < a.nwindows; i++)
		if (a.windows[i].start < (i ? a.windows[i - 1].end + 1 : 0) || a.windows[i].end <= a.windows[i].start ||
			a.windows[i].end > MN_AV_WEEK_MINUTES)
			abort();
	if (mn_av_format(&a, text, sizeof(text)) >= sizeof(text))
		abort();
	if (mn_av_parse(text, strlen(text), &b, &pos) != NULL || a.nwindows != b.nwindows ||
		memcmp(a.windows, b.windows, sizeof(mn_av_window) * (size_t) a.nwindows) != 0 || strcmp(a.zone, b.zone) != 0)
		abort();
	free(s);
	return 0;
}
