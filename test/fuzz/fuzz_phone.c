/*
 * fuzz_phone.c - libFuzzer target for E.164 normalisation.
 *
 * The first byte picks a default country code (or none); the rest is the
 * number as typed.  Whatever is accepted must be "+" and 8 to 15 digits, the
 * first not 0, and normalising it again must give it back unchanged.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/core/phone.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const codes[] = {NULL, "91", "1", "44", "971", "0", "9a"};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		out[PH_E164_MAX + 1];
	char		again[PH_E164_MAX + 1];
	const char *cc;
	size_t		n,
				i;

	if (size < 1)
		return 0;
	cc = codes[data[0] % (sizeof(codes) / sizeof(codes[0]))];
	if (ph_normalize((const char *) data + 1, size - 1, cc, out, sizeof(out)) != PH_OK)
		return 0;
	n = strlen(out);
	if (out[0] != '+' || n < 9 || n > 16 || out[1] == '0')
		abort();
	for (i = 1; i < n; i++)
		if (out[i] < '0' || out[i] > '9')
			abort();
	if (ph_normalize(out, n, cc, again, sizeof(again)) != PH_OK || strcmp(out, again) != 0)
		abort();
	return 0;
}
