/*
 * validate.h - syntactic checks of user-supplied identity values.
 *
 * Pure functions that say whether a value is acceptable and, if not, why, in
 * a sentence the glue puts into errdetail.
 */
#ifndef VALIDATE_H
#define VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

#define MN_EMAIL_MAX 254		/* RFC 5321 path limit */
#define MN_EMAIL_LOCAL_MAX 64

/*
 * A sane email address: local@domain, printable ASCII or UTF-8 without
 * spaces, quotes or angle brackets, no leading/trailing/double dots, a domain
 * of at least two labels of letters, digits and hyphens.  Returns NULL when
 * valid, otherwise a static reason.
 */
extern const char *mn_email_problem(const char *s, size_t len);

/*
 * Slugs are lower-case ASCII words joined by single hyphens, as used in URLs
 * ("machine-learning").  Returns NULL when valid, otherwise a static reason.
 */
extern const char *mn_slug_problem(const char *s, size_t len);

#endif							/* VALIDATE_H */
