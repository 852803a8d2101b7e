/*
 * secrets.c - the server-side key of the secrets module, and constant-time
 * comparison of hashes.
 *
 * The key that encrypts integration tokens is read from a file named by the
 * setting mentor.secret_key_file (mentor.previous_secret_key_file during a
 * rotation), not from a setting that holds the key itself: a setting in
 * postgresql.conf is a placeholder, readable by every role with SHOW, in any
 * session that has not loaded this library yet.  The file's name is not a
 * secret; its contents never reach a table, the log or a dump.
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/builtins.h"
#include "utils/guc.h"

#include "mentor.h"
#include "core/secret.h"

#define MN_SECRET_KEY_MIN 16
#define MN_SECRET_KEY_MAX 1024

static char *secret_key_file = NULL;
static char *previous_secret_key_file = NULL;

void
mn_secrets_init(void)
{
	DefineCustomStringVariable("mentor.secret_key_file",
							   "File holding the key that encrypts stored integration tokens.",
							   "Read by the server (the postgres user); at least 16 characters, kept outside the database.",
							   &secret_key_file, "", PGC_SIGHUP, GUC_SUPERUSER_ONLY | GUC_NOT_IN_SAMPLE,
							   NULL, NULL, NULL);
	DefineCustomStringVariable("mentor.previous_secret_key_file",
							   "File holding the key being rotated away from (mentor.rotate_secret_key).",
							   NULL,
							   &previous_secret_key_file, "", PGC_SIGHUP, GUC_SUPERUSER_ONLY | GUC_NOT_IN_SAMPLE,
							   NULL, NULL, NULL);
}

PG_FUNCTION_INFO_V1(mn_secret_key);

/* _secret_key(previous boolean) -> text: the key, or NULL for an unset previous key. */
Datum
mn_secret_key(PG_FUNCTION_ARGS)
{
	bool		previous = PG_GETARG_BOOL(0);
	const char *name = previous ? "mentor.previous_secret_key_file" : "mentor.secret_key_file";
	const char *path = previous ? previous_secret_key_file : secret_key_file;
	char		buf[MN_SECRET_KEY_MAX + 2];
	size_t		len;
	FILE	   *f;

	if (path == NULL || path[0] == '\0')
	{
		if (previous)
			PG_RETURN_NULL();
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("no secret key is configured: %s is not set", name),
				 errdetail("Integration tokens are encrypted with a key read from that file, which is never stored in the database."),
				 errhint("Write a random key of at least %d characters to a file only the postgres user can read (for example "
						 "openssl rand -base64 32 > /etc/postgresql/mentor.key), set %s = '/etc/postgresql/mentor.key' in "
						 "postgresql.conf (or LOAD 'mentor'; ALTER SYSTEM SET ...) and SELECT pg_reload_conf().",
						 MN_SECRET_KEY_MIN, name)));
	}
	f = AllocateFile(path, "r");
	if (f == NULL)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open the secret key file named by %s: %m", name),
				 errhint("The file must exist and be readable by the postgres user on the server.")));
	len = fread(buf, 1, sizeof(buf) - 1, f);
	FreeFile(f);
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r' || buf[len - 1] == ' ' || buf[len - 1] == '\t'))
		len--;
	if (len < MN_SECRET_KEY_MIN || len > MN_SECRET_KEY_MAX || memchr(buf, '\0', len) != NULL)
	{
		explicit_bzero(buf, sizeof(buf));
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the secret key file named by %s does not hold a usable key", name),
				 errdetail("A key is %d to %d characters of text on one line.", MN_SECRET_KEY_MIN, MN_SECRET_KEY_MAX),
				 errhint("Write a new one with openssl rand -base64 32.")));
	}
	buf[len] = '\0';
	{
		text	   *key = cstring_to_text_with_len(buf, (int) len);

		explicit_bzero(buf, sizeof(buf));
		PG_RETURN_TEXT_P(key);
	}
}

PG_FUNCTION_INFO_V1(mn_ct_equal_sql);

/* _ct_equal(bytea, bytea) -> boolean, in a time that depends on the lengths only. */
Datum
mn_ct_equal_sql(PG_FUNCTION_ARGS)
{
	bytea	   *a = PG_GETARG_BYTEA_PP(0);
	bytea	   *b = PG_GETARG_BYTEA_PP(1);

	PG_RETURN_BOOL(mn_ct_equal((const unsigned char *) VARDATA_ANY(a), VARSIZE_ANY_EXHDR(a),
							   (const unsigned char *) VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b)));
}

PG_FUNCTION_INFO_V1(mn_api_key_check);

/* _api_key_check(text): 22023 unless the text has the API key format. */
Datum
mn_api_key_check(PG_FUNCTION_ARGS)
{
	text	   *key = PG_GETARG_TEXT_PP(0);
	const char *problem = mn_api_key_problem(VARDATA_ANY(key), VARSIZE_ANY_EXHDR(key));

	if (problem != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("malformed API key"),
				 errdetail("%s.", problem),
				 errhint("Send the key exactly as create_api_key returned it.")));
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(mn_random_token);

/* _random_token(nbytes integer) -> text: nbytes from the OS's strong random source, base64url without padding. */
Datum
mn_random_token(PG_FUNCTION_ARGS)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	int32		n = PG_GETARG_INT32(0);
	unsigned char raw[64];
	char		out[90];
	int			i,
				o = 0;
	uint32		acc = 0;
	int			bits = 0;

	if (n < 8 || n > 64)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a random token has 8 to 64 bytes, not %d", n)));
	if (!pg_strong_random(raw, n))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate random bytes")));
	for (i = 0; i < n; i++)
	{
		acc = (acc << 8) | raw[i];
		bits += 8;
		while (bits >= 6)
		{
			bits -= 6;
			out[o++] = alphabet[(acc >> bits) & 0x3f];
		}
	}
	if (bits > 0)
		out[o++] = alphabet[(acc << (6 - bits)) & 0x3f];
	explicit_bzero(raw, sizeof(raw));
	PG_RETURN_TEXT_P(cstring_to_text_with_len(out, o));
}
