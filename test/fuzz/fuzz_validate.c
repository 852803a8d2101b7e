/*
 * fuzz_validate.c - libFuzzer target for the email and slug checks.
 *
 * Any input must be judged without reading past its length, and whatever is
 * accepted must satisfy the rules the checks promise.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/core/validate.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy so AddressSanitizer catches any read past the end. */
	char	   *s = malloc(size ? size : 1);
	size_t		i,
				ats = 0;

	memcpy(s, data, size);
	if (mn_email_problem(s, size) == NULL)
	{
		for (i = 0; i < size; i++)
			ats += s[i] == '@';
		if (ats != 1 || size > MN_EMAIL_MAX || s[0] == '@' || s[size - 1] == '@' || memchr(s, ' ', size))
			abort();
	}
	if (mn_slug_problem(s, size) == NULL)
	{
		if (size == 0 || s[0] == '-' || s[size - 1] == '-')
			abort();
		for (i = 0; i < size; i++)
			if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
				abort();
	}
	free(s);
	return 0;
}
