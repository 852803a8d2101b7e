/*
 * sessions_lookup.c - the rows a session step reads besides the session
 * itself: the mentee's token sources, the mentor's earnings account, the
 * revenue account and a setting.  Each is one or two probes of a unique or
 * partial index, read without the executor: a booking or a completion does
 * them every time, and as subqueries of its statement they cost more than
 * the ledger call they feed.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_collation.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/snapmgr.h"

#include "ledger.h"
#include "sessions.h"

static Oid
mentor_relid(const char *name)
{
	Oid			relid = get_relname_relid(name, get_namespace_oid("mentor", false));

	if (!OidIsValid(relid))
		elog(ERROR, "relation mentor.%s is missing", name);
	return relid;
}

/* keys[i] compares the text column attno with value (the columns are of the default collation) */
static void
text_key(ScanKey key, AttrNumber attno, const char *value)
{
	ScanKeyInit(key, attno, BTEqualStrategyNumber, F_TEXTEQ, CStringGetTextDatum(value));
	key->sk_collation = DEFAULT_COLLATION_OID;
}

static void
read_source(HeapTuple tuple, TupleDesc desc, Source *src)
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
find_account(Relation rel, const char *index, Snapshot snap, int nkeys, ScanKey keys, Source *src)
{
	SysScanDesc scan = systable_beginscan(rel, mentor_relid(index), true, snap, nkeys, keys);
	HeapTuple	tuple = systable_getnext(scan);

	if (tuple)
		read_source(tuple, RelationGetDescr(rel), src);
	systable_endscan(scan);
	return tuple != NULL;
}

static int
cmp_promo(const void *a, const void *b)
{
	const Source *x = a;
	const Source *y = b;

	if (x->expires_at != y->expires_at)
		return x->expires_at < y->expires_at ? -1 : 1;
	return x->account < y->account ? -1 : x->account > y->account ? 1 : 0;
}

/* The user's account of a kind with one account per owner (wallet, earnings, escrow) in tokens, or 0. */
static bool
owned_account(Relation rel, Snapshot snap, int64 owner, const char *kind, Source *src)
{
	ScanKeyData keys[3];

	ScanKeyInit(&keys[0], A_OWNER + 1, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(owner));
	text_key(&keys[1], A_KIND + 1, kind);
	text_key(&keys[2], A_ASSET + 1, "TOKEN");
	return find_account(rel, "ledger_accounts_one_per_owner", snap, 3, keys, src);
}

void
mn_token_sources(int64 owner, Sources *out)
{
	Relation	rel = table_open(mentor_relid("ledger_accounts"), AccessShareLock);
	TupleDesc	desc = RelationGetDescr(rel);
	Snapshot	snap = RegisterSnapshot(GetLatestSnapshot());
	ScanKeyData keys[2];
	SysScanDesc scan;
	HeapTuple	tuple;
	int			cap = 4;

	out->promo = palloc(sizeof(Source) * cap);
	out->npromo = 0;
	ScanKeyInit(&keys[0], A_OWNER + 1, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(owner));
	ScanKeyInit(&keys[1], A_EXPIRES + 1, BTGreaterStrategyNumber, F_TIMESTAMPTZ_GT,
				TimestampTzGetDatum(GetCurrentTransactionStartTimestamp()));
	scan = systable_beginscan(rel, mentor_relid("ledger_accounts_promos"), true, snap, 2, keys);
	while ((tuple = systable_getnext(scan)) != NULL)
	{
		bool		isnull;

		if (DatumGetBool(heap_getattr(tuple, A_CLOSED + 1, desc, &isnull)))
			continue;
		if (out->npromo == cap)
			out->promo = repalloc(out->promo, sizeof(Source) * (cap *= 2));
		read_source(tuple, desc, &out->promo[out->npromo++]);
	}
	systable_endscan(scan);
	qsort(out->promo, out->npromo, sizeof(Source), cmp_promo);
	if (!owned_account(rel, snap, owner, "wallet", &out->wallet))
		out->wallet.account = 0;
	UnregisterSnapshot(snap);
	table_close(rel, AccessShareLock);
}

int64
mn_owned_account(int64 owner, const char *kind)
{
	Relation	rel = table_open(mentor_relid("ledger_accounts"), AccessShareLock);
	Snapshot	snap = RegisterSnapshot(GetLatestSnapshot());
	Source		src;
	bool		found = owned_account(rel, snap, owner, kind, &src);

	UnregisterSnapshot(snap);
	table_close(rel, AccessShareLock);
	return found ? src.account : 0;
}

/* A system account by name (ledger_accounts.name is unique), or 0. */
int64
mn_named_account(const char *name)
{
	Relation	rel = table_open(mentor_relid("ledger_accounts"), AccessShareLock);
	Snapshot	snap = RegisterSnapshot(GetLatestSnapshot());
	ScanKeyData key;
	Source		src;
	bool		found;

	text_key(&key, A_NAME + 1, name);
	found = find_account(rel, "ledger_accounts_name_key", snap, 1, &key, &src);
	UnregisterSnapshot(snap);
	table_close(rel, AccessShareLock);
	return found ? src.account : 0;
}

/* A jsonb value as text, as the operator #>> '{}' gives it (NULL for JSON null). */
static char *
jsonb_as_text(Jsonb *jb)
{
	JsonbValue	v;

	if (!JB_ROOT_IS_SCALAR(jb) || !JsonbExtractScalar(&jb->root, &v))
		return JsonbToCString(NULL, &jb->root, VARSIZE(jb));
	switch (v.type)
	{
		case jbvNull:
			return NULL;
		case jbvString:
			return pnstrdup(v.val.string.val, v.val.string.len);
		case jbvNumeric:
			return DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v.val.numeric)));
		case jbvBool:
			return pstrdup(v.val.boolean ? "true" : "false");
		default:
			return JsonbToCString(NULL, &jb->root, VARSIZE(jb));
	}
}

/*
 * mentor.setting(key) as text: this database's override (shipped = false)
 * if any, else the shipped default.  *found is false when neither exists.
 */
char *
mn_setting_text(const char *key, bool *found)
{
	/* settings (key, shipped, value, ...) */
	enum
	{
		SET_KEY = 1, SET_SHIPPED, SET_VALUE
	};
	Relation	rel = table_open(mentor_relid("settings"), AccessShareLock);
	TupleDesc	desc = RelationGetDescr(rel);
	Snapshot	snap = RegisterSnapshot(GetLatestSnapshot());
	ScanKeyData keyd;
	SysScanDesc scan;
	HeapTuple	tuple;
	char	   *value = NULL;

	*found = false;
	text_key(&keyd, SET_KEY, key);
	scan = systable_beginscan(rel, mentor_relid("settings_pkey"), true, snap, 1, &keyd);
	while ((tuple = systable_getnext(scan)) != NULL)
	{
		bool		isnull;
		bool		shipped = DatumGetBool(heap_getattr(tuple, SET_SHIPPED, desc, &isnull));

		if (*found && shipped)
			continue;			/* the override, read first or not, wins */
		value = jsonb_as_text(DatumGetJsonbP(heap_getattr(tuple, SET_VALUE, desc, &isnull)));
		*found = true;
		if (!shipped)
			break;
	}
	systable_endscan(scan);
	UnregisterSnapshot(snap);
	table_close(rel, AccessShareLock);
	return value;
}
