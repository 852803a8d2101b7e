/*
 * sessions.h - what sessions.c (book_session, complete_session) shares with
 * sessions_lookup.c, which reads the accounts and settings a step needs.
 */
#ifndef SESSIONS_H
#define SESSIONS_H

#include "postgres.h"
#include "utils/timestamp.h"

/* An account a user's tokens can come from. */
typedef struct Source
{
	int64		account;
	int64		available;
	TimestampTz expires_at;		/* promo accounts */
	bool		tracked;
	int64		take;			/* what a payment takes from it */
} Source;

/*
 * Where a user's tokens come from, in mentor.spend_tokens' order: open,
 * unexpired promo accounts, earliest expiry first, then the wallet
 * (wallet.account = 0 when the user has none yet).  Untracked accounts have
 * available = 0 until the caller asks mentor.balance().
 */
typedef struct Sources
{
	Source	   *promo;
	int			npromo;
	Source		wallet;
} Sources;

extern void mn_token_sources(int64 owner, Sources *out);
extern int64 mn_owned_account(int64 owner, const char *kind);
extern int64 mn_named_account(const char *name);
extern char *mn_setting_text(const char *key, bool *found);

#endif							/* SESSIONS_H */
