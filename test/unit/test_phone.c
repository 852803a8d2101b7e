/*
 * test_phone.c - unit tests of E.164 normalisation: the forms people type,
 * the default country's rules, and what is refused.
 */
#include "tap.h"
#include "../../src/core/phone.h"

static char out[PH_E164_MAX + 1];

static ph_result
norm(const char *in, const char *cc)
{
	return ph_normalize(in, strlen(in), cc, out, sizeof(out));
}

static int
gives(const char *in, const char *cc, const char *want)
{
	ph_result	r = norm(in, cc);

	if (r == PH_OK && strcmp(out, want) == 0)
		return 1;
	printf("# %s -> %d %s\n", in, r, out);
	return 0;
}

int
main(void)
{
	ok(gives("98765 43210", "91", "+919876543210"), "a national number gets the default country code");
	ok(gives("+1 (415) 555-0100", "91", "+14155550100"), "+ starts an international number; brackets and dashes go");
	ok(gives("0044 20 7946 0958", "91", "+442079460958"), "00 starts an international number");
	ok(gives("919876543210", "91", "+919876543210"), "more than ten digits starting with the code: the code is there already");
	ok(gives("098765-43210", "91", "+919876543210"), "the trunk zero of a national number is dropped");
	ok(gives("4155550100", "1", "+14155550100"), "another default country");
	ok(gives("022 2496 1234", "91", "+912224961234"), "a landline with its area code");
	ok(gives("  +91.98765.43210\t", "91", "+919876543210"), "dots and surrounding whitespace go");
	ok(gives("+919876543210", NULL, "+919876543210"), "an international number needs no default");
	ok(norm("98765 43210", NULL) == PH_NO_COUNTRY, "a national number without a default country: no country");
	ok(norm("98765 43210", "0") == PH_NO_COUNTRY && norm("98765 43210", "1234") == PH_NO_COUNTRY &&
	   norm("98765 43210", "9a") == PH_NO_COUNTRY, "a malformed default country code counts as none");
	ok(norm("call me", "91") == PH_INVALID, "letters are not a phone number");
	ok(norm("+12", "91") == PH_INVALID, "too short");
	ok(norm("+1234567890123456", "91") == PH_INVALID, "too long (16 digits)");
	ok(gives("+123456789012345", "91", "+123456789012345"), "15 digits is the longest");
	ok(gives("+12345678", "91", "+12345678"), "8 digits is the shortest");
	ok(norm("+0123456789", "91") == PH_INVALID, "a country code does not start with 0");
	ok(norm("", "91") == PH_INVALID && norm("+", "91") == PH_INVALID && norm("00", "91") == PH_INVALID, "nothing is not a number");
	ok(norm("+91 98765 4321x", "91") == PH_INVALID, "a stray letter in an international number");
	ok(norm("0000", "91") == PH_INVALID, "only trunk zeros");
	{
		char		longin[200];

		memset(longin, '1', sizeof(longin) - 1);
		longin[sizeof(longin) - 1] = '\0';
		ok(norm(longin, "91") == PH_INVALID, "a long input is refused without overflowing");
	}
	ok(ph_normalize("98765 43210", 11, "91", out, 5) == PH_INVALID, "a too-small output buffer is refused");
	return tap_done();
}
