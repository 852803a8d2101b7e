/*
 * phone.h - phone numbers as people type them, to E.164.
 *
 * Separators (spaces, dots, dashes, brackets) are dropped; "+" or "00" starts
 * an international number; a number of digits only is a national number of
 * the default country: its trunk zeros dropped and the country code put in
 * front, unless it is longer than a national number (ten digits) and starts
 * with that code already.  The result is "+" and 8 to 15 digits, the first
 * not 0.
 */
#ifndef PHONE_H
#define PHONE_H

#include <stddef.h>

#define PH_E164_MAX 16			/* "+" and 15 digits */

typedef enum ph_result
{
	PH_OK = 0,
	PH_NO_COUNTRY,				/* a national number, and no valid default country code */
	PH_INVALID					/* not a phone number */
} ph_result;

/*
 * Normalises in[0..len) into out (outlen >= PH_E164_MAX + 1, NUL-terminated).
 * default_cc is the default country's calling code as digits ("91"), or NULL.
 */
extern ph_result ph_normalize(const char *in, size_t len, const char *default_cc, char *out, size_t outlen);

#endif							/* PHONE_H */
