/*
 * test_secret.c - unit tests of the constant-time comparison and the API key format.
 */
#include "tap.h"
#include "../../src/core/secret.h"

static int
key_ok(const char *s)
{
	return mn_api_key_problem(s, strlen(s)) == NULL;
}

int
main(void)
{
	const unsigned char a[] = {1, 2, 3, 4}, b[] = {1, 2, 3, 4}, c[] = {1, 2, 3, 5}, d[] = {0, 2, 3, 4};
	const char *good = "mk_a1b2c3d4e5f6.abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN-_0";

	ok(mn_ct_equal(a, 4, b, 4), "equal bytes are equal");
	ok(!mn_ct_equal(a, 4, c, 4), "a difference in the last byte is found");
	ok(!mn_ct_equal(a, 4, d, 4), "a difference in the first byte is found");
	ok(!mn_ct_equal(a, 4, b, 3), "a shorter value is not equal, though its bytes match");
	ok(mn_ct_equal(a, 0, b, 0), "two empty values are equal");
	ok(strlen(good) == MN_API_KEY_LEN, "the sample key has the documented length");
	ok(key_ok(good), "a key in the format is accepted");
	ok(!key_ok(""), "an empty key is refused");
	ok(!key_ok("mk_a1b2c3d4e5f6.abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN-_"), "a key one character short is refused");
	ok(!key_ok("mx_a1b2c3d4e5f6.abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN-_0"), "a wrong marker is refused");
	ok(!key_ok("mk_A1b2c3d4e5f6.abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN-_0"), "an upper-case prefix is refused");
	ok(!key_ok("mk_a1b2c3d4e5f6:abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN-_0"), "a missing dot is refused");
	ok(!key_ok("mk_a1b2c3d4e5f6.abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN+/0"), "base64 (not url) characters are refused");
	ok(!key_ok("mk_a1b2c3d4e5f6.abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN-_\x01"), "a control character is refused");
	ok(mn_api_key_problem("mk_a1b2c3d4e5f6.abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN-_0", 58) != NULL,
	   "the length is the one given, not up to a NUL");
	return tap_done();
}
