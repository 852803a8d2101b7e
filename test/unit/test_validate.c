/*
 * test_validate.c - unit tests of the email and slug checks.
 */
#include "tap.h"
#include "../../src/core/validate.h"

static int
email_ok(const char *s)
{
	return mn_email_problem(s, strlen(s)) == NULL;
}

static int
slug_ok(const char *s)
{
	return mn_slug_problem(s, strlen(s)) == NULL;
}

int
main(void)
{
	const char *good[] = {
		"ada@example.com", "Ada.Lovelace+mentor@Example.CO.uk", "x@a.io",
		"o'brien@mail.example.org", "user_name-1@sub-domain.example.com",
		"ünïcode@exämple.de", "a!#$%&*/=?^`{|}~@example.com"
	};
	const char *bad[] = {
		"", "plain", "@example.com", "ada@", "ada@@example.com", "a@b@example.com",
		"ada@localhost", ".ada@example.com", "ada.@example.com", "a..b@example.com",
		"ada lovelace@example.com", "\"ada\"@example.com", "ada@exa mple.com",
		"ada@.example.com", "ada@example..com", "ada@example.com.", "ada@-example.com",
		"ada@example-.com", "ada@example.123", "ada@exa_mple.com", "a<b>@example.com",
		"ada@example.c\x01m"
	};
	char		longlocal[80];
	char		longaddr[300];
	size_t		i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ok(email_ok(good[i]), "email accepted: %s", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(!email_ok(bad[i]), "email rejected: %s (%s)", bad[i],
		   mn_email_problem(bad[i], strlen(bad[i])) ? mn_email_problem(bad[i], strlen(bad[i])) : "accepted!");

	memset(longlocal, 'a', 65);
	strcpy(longlocal + 65, "@example.com");
	ok(!email_ok(longlocal), "65-character local part rejected");
	longlocal[1] = '@';
	longlocal[2] = '\0';
	memset(longaddr, 'a', 64);
	longaddr[64] = '@';
	for (i = 65; i < 255; i++)
		longaddr[i] = (i % 10 == 0) ? '.' : 'b';
	strcpy(longaddr + 255, ".com");
	ok(!email_ok(longaddr), "address over 254 characters rejected");
	ok(mn_email_problem("ada@example.com", 3) != NULL, "length is honoured (no NUL needed)");

	ok(slug_ok("frontend"), "slug frontend");
	ok(slug_ok("machine-learning"), "slug machine-learning");
	ok(slug_ok("c99"), "slug c99");
	ok(!slug_ok(""), "empty slug rejected");
	ok(!slug_ok("Frontend"), "upper-case slug rejected");
	ok(!slug_ok("-devops"), "leading hyphen rejected");
	ok(!slug_ok("devops-"), "trailing hyphen rejected");
	ok(!slug_ok("dev--ops"), "double hyphen rejected");
	ok(!slug_ok("dev ops"), "space rejected");
	ok(!slug_ok("ui/ux"), "slash rejected");
	return tap_done();
}
