/*
 * phone.c - E.164 normalisation of typed phone numbers (see phone.h).
 *
 * In C because every lead that arrives (imports, vendor intake, the lead
 * table's trigger) passes here; the rules are those of the documentation, and
 * the unit tests pin them case by case.  Input is bounded: anything longer
 * than a phone number could be once its separators are gone is refused
 * without being copied.
 */
#include "phone.h"

#include <string.h>

#define PH_SCRATCH 64

static int
is_separator(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' ||
		c == '(' || c == ')' || c == '.' || c == '-';
}

static int
all_digits(const char *s, size_t n)
{
	size_t		i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

ph_result
ph_normalize(const char *in, size_t len, const char *default_cc, char *out, size_t outlen)
{
	char		d[PH_SCRATCH];
	size_t		n = 0,
				i;
	const char *p;
	size_t		plen;
	char		num[PH_SCRATCH];
	size_t		nlen = 0;

	if (outlen < PH_E164_MAX + 1)
		return PH_INVALID;
	out[0] = '\0';
	for (i = 0; i < len; i++)
	{
		if (is_separator(in[i]))
			continue;
		if (n >= sizeof(d))
			return PH_INVALID;
		d[n++] = in[i];
	}
	p = d;
	plen = n;
	if (plen > 0 && p[0] == '+')
	{
		p++;
		plen--;
	}
	else if (plen >= 2 && p[0] == '0' && p[1] == '0')
	{
		p += 2;
		plen -= 2;
	}
	else if (plen > 0 && all_digits(p, plen))
	{
		size_t		cclen = default_cc ? strlen(default_cc) : 0;

		if (cclen == 0 || cclen > 3 || default_cc[0] == '0' || !all_digits(default_cc, cclen))
			return PH_NO_COUNTRY;
		while (plen > 0 && p[0] == '0')
		{
			p++;
			plen--;
		}
		if (!(plen > 10 && strncmp(p, default_cc, cclen) == 0))
		{
			memcpy(num, default_cc, cclen);
			nlen = cclen;
		}
	}
	if (nlen + plen > 15 || nlen + plen < 8)
		return PH_INVALID;
	memcpy(num + nlen, p, plen);
	nlen += plen;
	if (!all_digits(num, nlen) || num[0] == '0')
		return PH_INVALID;
	out[0] = '+';
	memcpy(out + 1, num, nlen);
	out[nlen + 1] = '\0';
	return PH_OK;
}
