/*
 * secret.h - checks on secrets that must not leak through timing.
 *
 * Comparing a presented secret's hash with a stored one byte by byte and
 * stopping at the first difference tells an attacker how much was right;
 * these helpers take the same time whatever the contents.
 */
#ifndef SECRET_H
#define SECRET_H

#include <stdbool.h>
#include <stddef.h>

#define MN_API_KEY_PREFIX_LEN 15		/* "mk_" and 12 of [a-z0-9] */
#define MN_API_KEY_SECRET_LEN 43		/* 32 random bytes, base64url without padding */
#define MN_API_KEY_LEN (MN_API_KEY_PREFIX_LEN + 1 + MN_API_KEY_SECRET_LEN)

/*
 * Whether a and b hold the same bytes.  The time depends on the lengths only,
 * never on where the contents differ.
 */
extern bool mn_ct_equal(const unsigned char *a, size_t alen, const unsigned char *b, size_t blen);

/*
 * Whether s is an API key as create_api_key makes them: "mk_" + 12 lower-case
 * letters or digits, ".", 43 base64url characters.  Returns NULL when it is,
 * otherwise a static reason.  Looks at every byte whatever it finds, so the
 * answer takes the same time for any key of the right length.
 */
extern const char *mn_api_key_problem(const char *s, size_t len);

#endif							/* SECRET_H */
