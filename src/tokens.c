/*
 * tokens.c - the token economy's reads in C: a user's token sources (open,
 * unexpired promo accounts, then the wallet), a user's own account of a kind
 * and a named system account.  Each is one or two probes of a unique or
 * partial index, read without the executor: every booking and completion of
 * a session does them, and as subqueries of its statement they would cost
 * more than the ledger call they feed.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "utils/fmgroids.h"
#include "utils/snapmgr.h"

#include "mentor.h"
#include "ledger.h"
#include "tokens.h"


static void
read_source(HeapTuple tuple, TupleDesc desc, MnTokenSource *src)
{
	bool		isnull;
	Datum		d;

	src->account = DatumGetInt64(heap_getattr(tuple, A_ID + 1, desc, &isnull));
	src->tracked = DatumGetBool(heap_getattr(tuple, A_TRACKED + 1, desc, &isnull));
	src->available = src->tracked ?
		DatumGetInt64(heap_getattr(tuple, A_POSTED + 1, desc, &isnull)) -
		DatumGetInt64(heap_getattr(tuple, A_PEND_DR + 1, desc, &isnull)) : 0;
	d = heap_getattr(tuple, A_EXPIRES + 1, desc, &isnull);
	src->expires_at = isnull ? 0 : DatumGetTimestampTz(d);
	src->take = 0;
}

/* The account found by an index scan of ledger_accounts with keys, into src; false when none. */
static bool
find_account(Relation rel, const char *index, Snapshot snap, int nkeys, ScanKey keys, MnTokenSource *src)
{
	SysScanDesc scan = systable_beginscan(rel, mn_relid(index), true, snap, nkeys, keys);
	HeapTuple	tuple = systable_getnext(scan);

	if (tuple)
		read_source(tuple, RelationGetDescr(rel), src);
	systable_endscan(scan);
	return tuple != NULL;
}

static int
cmp_promo(const void *a, const void *b)
{
	const MnTokenSource *x = a;
	const MnTokenSource *y = b;

	if (x->expires_at != y->expires_at)
		return x->expires_at < y->expires_at ? -1 : 1;
	return x->account < y->account ? -1 : x->account > y->account ? 1 : 0;
}

/* The user's account of a kind with one account per owner (wallet, earnings, escrow) in tokens, or 0. */
static bool
owned_account(Relation rel, Snapshot snap, int64 owner, const char *kind, MnTokenSource *src)
{
	ScanKeyData keys[3];

	ScanKeyInit(&keys[0], A_OWNER + 1, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(owner));
	mn_text_scankey(&keys[1], A_KIND + 1, kind);
	mn_text_scankey(&keys[2], A_ASSET + 1, "TOKEN");
	return find_account(rel, "ledger_accounts_one_per_owner", snap, 3, keys, src);
}

void
mn_token_sources(int64 owner, MnTokenSources *out)
{
	Relation	rel = table_open(mn_relid("ledger_accounts"), AccessShareLock);
	TupleDesc	desc = RelationGetDescr(rel);
	Snapshot	snap = RegisterSnapshot(GetLatestSnapshot());
	ScanKeyData keys[2];
	SysScanDesc scan;
	HeapTuple	tuple;
	int			cap = 4;

	out->promo = palloc(sizeof(MnTokenSource) * cap);
	out->npromo = 0;
	ScanKeyInit(&keys[0], A_OWNER + 1, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(owner));
	ScanKeyInit(&keys[1], A_EXPIRES + 1, BTGreaterStrategyNumber, F_TIMESTAMPTZ_GT,
				TimestampTzGetDatum(GetCurrentTransactionStartTimestamp()));
	scan = systable_beginscan(rel, mn_relid("ledger_accounts_promos"), true, snap, 2, keys);
	while ((tuple = systable_getnext(scan)) != NULL)
	{
		bool		isnull;

		if (DatumGetBool(heap_getattr(tuple, A_CLOSED + 1, desc, &isnull)))
			continue;
		if (out->npromo == cap)
			out->promo = repalloc(out->promo, sizeof(MnTokenSource) * (cap *= 2));
		read_source(tuple, desc, &out->promo[out->npromo++]);
	}
	systable_endscan(scan);
	qsort(out->promo, out->npromo, sizeof(MnTokenSource), cmp_promo);
	if (!owned_account(rel, snap, owner, "wallet", &out->wallet))
		out->wallet.account = 0;
	UnregisterSnapshot(snap);
	table_close(rel, AccessShareLock);
}

int64
mn_owned_account(int64 owner, const char *kind)
{
	Relation	rel = table_open(mn_relid("ledger_accounts"), AccessShareLock);
	Snapshot	snap = RegisterSnapshot(GetLatestSnapshot());
	MnTokenSource		src;
	bool		found = owned_account(rel, snap, owner, kind, &src);

	UnregisterSnapshot(snap);
	table_close(rel, AccessShareLock);
	return found ? src.account : 0;
}

/* A system account by name (ledger_accounts.name is unique), or 0. */
int64
mn_named_account(const char *name)
{
	Relation	rel = table_open(mn_relid("ledger_accounts"), AccessShareLock);
	Snapshot	snap = RegisterSnapshot(GetLatestSnapshot());
	ScanKeyData key;
	MnTokenSource		src;
	bool		found;

	mn_text_scankey(&key, A_NAME + 1, name);
	found = find_account(rel, "ledger_accounts_name_key", snap, 1, &key, &src);
	UnregisterSnapshot(snap);
	table_close(rel, AccessShareLock);
	return found ? src.account : 0;
}
