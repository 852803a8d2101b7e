/*
 * validate.c - email and slug syntax checks (see validate.h).
 *
 * Deliberately not a full RFC 5322 parser: quoted local parts, comments and
 * IP-literal domains are legal there but are almost always typos or abuse in
 * a sign-up form, so they are refused with a reason instead.
 */
#include "validate.h"

static bool
is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Characters allowed in a local part: RFC 5322 atext plus dots, and UTF-8. */
static bool
is_local_char(unsigned char c)
{
	if (is_alnum(c) || c >= 0x80)
		return true;
	switch (c)
	{
		case '!': case '#': case '$': case '%': case '&': case '\'':
		case '*': case '+': case '-': case '/': case '=': case '?':
		case '^': case '_': case '`': case '{': case '|': case '}':
		case '~': case '.':
			return true;
		default:
			return false;
	}
}

static const char *
domain_problem(const char *d, size_t len)
{
	size_t		i;
	size_t		label_start = 0;
	int			labels = 0;
	bool		tld_alpha = true;

	if (len == 0)
		return "the domain after \"@\" is empty";
	for (i = 0; i <= len; i++)
	{
		unsigned char c = i < len ? (unsigned char) d[i] : '.';

		if (c == '.')
		{
			size_t		llen = i - label_start;

			if (llen == 0)
				return "the domain has an empty label (a leading, trailing or double dot)";
			if (llen > 63)
				return "a domain label is longer than 63 characters";
			if (d[label_start] == '-' || d[i - 1] == '-')
				return "a domain label starts or ends with a hyphen";
			labels++;
			label_start = i + 1;
			continue;
		}
		if (!(is_alnum(c) || c == '-' || c >= 0x80))
			return "the domain contains a character other than letters, digits, hyphens and dots";
		/* Only the last label decides whether the top-level domain is alphabetic. */
		if (i == label_start)
			tld_alpha = true;
		if (!(c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-'))
			tld_alpha = false;
	}
	if (labels < 2)
		return "the domain needs a dot, as in example.com";
	if (!tld_alpha)
		return "the top-level domain must be letters";
	return 0;
}

const char *
mn_email_problem(const char *s, size_t len)
{
	size_t		at = len;
	size_t		i;

	if (len == 0)
		return "the address is empty";
	if (len > MN_EMAIL_MAX)
		return "the address is longer than 254 characters";
	for (i = 0; i < len; i++)
	{
		if (s[i] == '@')
		{
			if (at != len)
				return "the address contains more than one \"@\"";
			at = i;
		}
	}
	if (at == len)
		return "the address has no \"@\"";
	if (at == 0)
		return "the part before \"@\" is empty";
	if (at > MN_EMAIL_LOCAL_MAX)
		return "the part before \"@\" is longer than 64 characters";
	if (s[0] == '.' || s[at - 1] == '.')
		return "the part before \"@\" starts or ends with a dot";
	for (i = 0; i < at; i++)
	{
		if (!is_local_char((unsigned char) s[i]))
			return "the part before \"@\" contains a space, quote, comma, bracket or control character";
		if (s[i] == '.' && s[i + 1] == '.')
			return "the part before \"@\" contains two dots in a row";
	}
	return domain_problem(s + at + 1, len - at - 1);
}

const char *
mn_slug_problem(const char *s, size_t len)
{
	size_t		i;

	if (len == 0)
		return "the slug is empty";
	if (len > 100)
		return "the slug is longer than 100 characters";
	if (s[0] == '-' || s[len - 1] == '-')
		return "the slug starts or ends with a hyphen";
	for (i = 0; i < len; i++)
	{
		char		c = s[i];

		if (c == '-')
		{
			if (s[i + 1] == '-')
				return "the slug contains two hyphens in a row";
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
			return "the slug may contain only lower-case letters, digits and single hyphens";
	}
	return 0;
}
