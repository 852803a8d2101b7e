/*
 * tokens.h - the token economy's reads (tokens.c): where a user's tokens
 * come from, a user's own accounts and the named system accounts.
 */
#ifndef TOKENS_H
#define TOKENS_H

#include "postgres.h"
#include "utils/timestamp.h"

/* An account a user's tokens can come from. */
typedef struct MnTokenSource
{
	int64		account;
	int64		available;
	TimestampTz expires_at;		/* promo accounts */
	bool		tracked;
	int64		take;			/* what a payment takes from it */
} MnTokenSource;

/*
 * Where a user's tokens come from, in mentor.spend_tokens' order: open,
 * unexpired promo accounts, earliest expiry first, then the wallet
 * (wallet.account = 0 when the user has none yet).  Untracked accounts have
 * available = 0 until the caller asks mentor.balance().
 */
typedef struct MnTokenSources
{
	MnTokenSource	   *promo;
	int			npromo;
	MnTokenSource		wallet;
} MnTokenSources;

extern void mn_token_sources(int64 owner, MnTokenSources *out);
extern int64 mn_owned_account(int64 owner, const char *kind);
extern int64 mn_named_account(const char *name);

#endif							/* TOKENS_H */
