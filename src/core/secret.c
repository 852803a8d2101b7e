/*
 * secret.c - constant-time comparison and the API key format (secret.h).
 */
#include "secret.h"

bool
mn_ct_equal(const unsigned char *a, size_t alen, const unsigned char *b, size_t blen)
{
	size_t		n = alen < blen ? alen : blen;
	unsigned int diff = (alen != blen);
	size_t		i;

	for (i = 0; i < n; i++)
		diff |= (unsigned int) (a[i] ^ b[i]);
	return diff == 0;
}

static unsigned int
not_lower_alnum(unsigned char c)
{
	return !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'));
}

static unsigned int
not_base64url(unsigned char c)
{
	return !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_');
}

const char *
mn_api_key_problem(const char *s, size_t len)
{
	unsigned int bad_prefix = 0;
	unsigned int bad_secret = 0;
	size_t		i;

	if (len != MN_API_KEY_LEN)
		return "an API key is 59 characters: mk_, 12 letters or digits, a dot and 43 characters of base64url";
	bad_prefix |= (s[0] != 'm') | (s[1] != 'k') | (s[2] != '_');
	for (i = 3; i < MN_API_KEY_PREFIX_LEN; i++)
		bad_prefix |= not_lower_alnum((unsigned char) s[i]);
	bad_prefix |= (s[MN_API_KEY_PREFIX_LEN] != '.');
	for (i = MN_API_KEY_PREFIX_LEN + 1; i < MN_API_KEY_LEN; i++)
		bad_secret |= not_base64url((unsigned char) s[i]);
	if (bad_prefix)
		return "an API key starts with mk_, 12 lower-case letters or digits and a dot";
	if (bad_secret)
		return "the part of an API key after the dot is 43 characters of base64url (A-Z, a-z, 0-9, - and _)";
	return NULL;
}
