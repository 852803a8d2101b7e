/*
 * ledger_accounts.c - step 2 of the ledger's pipeline: the accounts of a
 * call, read through a per-backend cache, judged against every operation of
 * the call in order, and written once each in ascending id order.
 */
#include "postgres.h"

#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/hsearch.h"
#include "utils/inval.h"

#include "mentor.h"
#include "cache_invalidate.h"
#include "mentor_errcodes.h"
#include "ledger.h"

MnDirectRel mn_ledger_accounts_rel = {.relname = "ledger_accounts", .natts = A_NATTS};

MnLedgerAcct *
mn_find_acct(MnLedger *L, int64 id)
{
	int			lo = 0,
				hi = L->naccts - 1;

	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;

		if (L->accts[mid].id == id)
			return &L->accts[mid];
		if (L->accts[mid].id < id)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return NULL;
}

static int
cmp_int64(const void *a, const void *b)
{
	int64		x = *(const int64 *) a,
				y = *(const int64 *) b;

	return x < y ? -1 : x > y ? 1 : 0;
}

/*
 * What this backend remembers of accounts, so that a transfer does not
 * descend the accounts index twice: where the index points for each account
 * (checked against the id on every use, since VACUUM may reuse the slot),
 * and for untracked accounts, which are never updated by the ledger,
 * everything a transfer needs.  A change of an account by SQL (closing it)
 * fires _table_cache_changed, whose relcache invalidation empties the cache;
 * an entry is only added if no invalidation arrived while it was read.
 */
typedef struct AcctCacheEntry
{
	int64		id;				/* hash key */
	ItemPointerData root;
	bool		untracked;		/* the fields below are valid */
	bool		allow_negative;
	bool		external;
	bool		closed;
	char		asset[NAMEDATALEN];
} AcctCacheEntry;

#define ACCT_CACHE_MAX 100000

static HTAB *acct_cache = NULL;
static bool acct_cache_stale = false;
static uint64 acct_inval_count = 0;

void
mn_ledger_accounts_relcache(Oid relid)
{
	if (relid == InvalidOid || relid == mn_ledger_accounts_rel.oid)
	{
		acct_cache_stale = true;
		acct_inval_count++;
	}
}

static void
acct_cache_prepare(void)
{
	HASHCTL		ctl;

	if (acct_cache && !acct_cache_stale && hash_get_num_entries(acct_cache) < ACCT_CACHE_MAX)
		return;
	if (acct_cache)
		hash_destroy(acct_cache);
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(int64);
	ctl.entrysize = sizeof(AcctCacheEntry);
	ctl.hcxt = CacheMemoryContext;
	acct_cache = hash_create("mentor ledger accounts", 1024, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	acct_cache_stale = false;
}

/* Reads the account's version that L's snapshot sees into a. */
static void
read_account(MnLedger *L, MnLedgerAcct *a)
{
	TupleTableSlot *s = L->slot_a;
	uint64		inval_before = acct_inval_count;
	AcctCacheEntry *e;
	ItemPointerData root;
	bool		found;
	bool		isnull;

	if (a->tuple)
		heap_freetuple(a->tuple);
	a->tuple = NULL;
	acct_cache_prepare();
	e = hash_search(acct_cache, &a->id, HASH_FIND, NULL);
	if (e && e->untracked)
	{
		a->found = true;
		a->tracked = false;
		a->allow_negative = e->allow_negative;
		a->external = e->external;
		a->closed = e->closed;
		a->asset = cstring_to_text(e->asset);
		return;
	}
	found = e && mn_direct_fetch_tid(&mn_ledger_accounts_rel, &e->root, L->snap, s) &&
		DatumGetInt64(slot_getattr(s, A_ID + 1, &isnull)) == a->id;
	if (!found)
	{
		found = mn_direct_fetch(&mn_ledger_accounts_rel, F_INT8EQ, Int64GetDatum(a->id), L->snap, s, &root);
		e = NULL;
	}
	a->found = found;
	if (!found)
		return;
	slot_getallattrs(s);
	a->tracked = DatumGetBool(s->tts_values[A_TRACKED]);
	if (a->tracked)
		mn_check_snapshot(s, "a ledger account");
	a->allow_negative = DatumGetBool(s->tts_values[A_ALLOW_NEG]);
	{
		text	   *kind = DatumGetTextPP(s->tts_values[A_KIND]);

		a->external = VARSIZE_ANY_EXHDR(kind) == 8 && memcmp(VARDATA_ANY(kind), "external", 8) == 0;
	}
	a->closed = DatumGetBool(s->tts_values[A_CLOSED]);
	a->asset = DatumGetTextPCopy(s->tts_values[A_ASSET]);
	a->posted = DatumGetInt64(s->tts_values[A_POSTED]);
	a->pend_dr = DatumGetInt64(s->tts_values[A_PEND_DR]);
	a->pend_cr = DatumGetInt64(s->tts_values[A_PEND_CR]);
	a->version = DatumGetInt64(s->tts_values[A_VERSION]);
	if (a->tracked)
		a->tuple = ExecCopySlotHeapTuple(s);
	ExecClearTuple(s);
	if (e == NULL && inval_before == acct_inval_count && VARSIZE_ANY_EXHDR(a->asset) < NAMEDATALEN)
	{
		e = hash_search(acct_cache, &a->id, HASH_ENTER, NULL);
		e->root = root;
		e->untracked = !a->tracked;
		e->allow_negative = a->allow_negative;
		e->external = a->external;
		e->closed = a->closed;
		text_to_cstring_buffer(a->asset, e->asset, NAMEDATALEN);
	}
}

/* The accounts every live op touches, sorted and read. */
void
mn_gather_accounts(MnLedger *L)
{
	int64	   *ids = palloc(sizeof(int64) * 2 * Max(L->nops, 1));
	int			n = 0,
				i;

	for (i = 0; i < L->nops; i++)
		if (mn_op_is_live(&L->ops[i]))
		{
			ids[n++] = L->ops[i].debit;
			ids[n++] = L->ops[i].credit;
		}
	qsort(ids, n, sizeof(int64), cmp_int64);
	L->accts = palloc0(sizeof(MnLedgerAcct) * Max(n, 1));
	L->naccts = 0;
	for (i = 0; i < n; i++)
		if (L->naccts == 0 || L->accts[L->naccts - 1].id != ids[i])
			L->accts[L->naccts++].id = ids[i];
	pfree(ids);
	for (i = 0; i < L->naccts; i++)
		read_account(L, &L->accts[i]);
}

static void
check_account_usable(const MnLedgerOp *op, const MnLedgerAcct *a)
{
	if (!a->found)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("ledger account " INT64_FORMAT " does not exist", a->id),
				 errdetail("%s %s from account " INT64_FORMAT " to " INT64_FORMAT ".",
						   mn_op_verb(op->type), mn_uuid_str(&op->id), op->debit, op->credit),
				 errhint("Accounts are made by mentor.open_account(), mentor.wallet() and mentor.system_account().")));
	if (a->closed && (op->type == OP_POSTED || op->type == OP_PENDING))
		ereport(ERROR,
				(errcode(ERRCODE_MN_WRONG_STATE),
				 errmsg("ledger account " INT64_FORMAT " is closed", a->id),
				 errdetail("%s %s from account " INT64_FORMAT " to " INT64_FORMAT ".",
						   mn_op_verb(op->type), mn_uuid_str(&op->id), op->debit, op->credit),
				 errhint("A closed account takes no new transfers.")));
}

/*
 * The token economy's rule for callers without mentor_admin: an account that
 * may go negative (the system accounts) is a source of tokens, and a credit
 * to an external account is a payout; both belong to the functions that own
 * those flows (SECURITY DEFINER, so not restricted), or to administrators.
 */
static void
check_restricted(const MnLedgerOp *op, const MnLedgerAcct *d, const MnLedgerAcct *c)
{
	bool		resolution = op->type == OP_POST || op->type == OP_VOID;

	if (!d->allow_negative && !c->external)
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 resolution ?
			 errmsg("only mentor_admin and the token-economy functions may %s hold %s",
					mn_op_verb(op->type), mn_uuid_str(&op->pending_id)) :
			 errmsg("only mentor_admin and the token-economy functions may %s account " INT64_FORMAT,
					d->allow_negative ? "debit" : "credit", d->allow_negative ? d->id : c->id),
			 errdetail("%s %s from account " INT64_FORMAT " to " INT64_FORMAT ": %s.",
					   mn_op_verb(op->type), mn_uuid_str(&op->id), op->debit, op->credit,
					   d->allow_negative ? "the debited account may go negative, so the transfer would create tokens"
					   : "the credited account is external, so the transfer would pay tokens out"),
			 errhint("Tokens enter through purchase_tokens/confirm_purchase, grant_promo and credit_earnings, and leave "
					 "through request_withdrawal and mentor_admin's approve_withdrawal; allot_tokens is mentor_admin's.")));
}

/* Static checks of the live ops against the accounts they name, in call order. */
void
mn_check_ops_accounts(MnLedger *L)
{
	int			i;

	for (i = 0; i < L->nops; i++)
	{
		MnLedgerOp		   *op = &L->ops[i];
		MnLedgerAcct	   *d,
				   *c;

		if (!mn_op_is_live(op))
			continue;
		d = mn_find_acct(L, op->debit);
		c = mn_find_acct(L, op->credit);
		check_account_usable(op, d);
		check_account_usable(op, c);
		if (L->restricted && op->type != OP_EXPIRE)
			check_restricted(op, d, c);
		if (!mn_same_text(d->asset, c->asset))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("transfer %s would move %s from account " INT64_FORMAT " into %s account " INT64_FORMAT,
							mn_uuid_str(&op->id), text_to_cstring(d->asset), d->id, text_to_cstring(c->asset), c->id),
					 errhint("Both accounts of a transfer hold the same asset.")));
	}
}

static int64
add_checked(int64 a, int64 b, const MnLedgerAcct *acct)
{
	int64		r;

	if (pg_add_s64_overflow(a, b, &r))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("balance of ledger account " INT64_FORMAT " would leave the bigint range", acct->id),
				 errhint("Amounts are whole tokens in a bigint; split the movement or use a smaller unit.")));
	return r;
}

/*
 * What op does to one side of a: balances change by deltas, and a debit of a
 * new transfer or hold needs the funds when check is set.  The same function
 * judges the call (step 2) and writes it (step 3), so both agree.
 */
static void
apply_side(const MnLedgerOp *op, const MnLedgerAcct *a, bool debit, int64 *posted, int64 *dr, int64 *cr, int64 *version,
		   bool check)
{
	int64		sign = debit ? -1 : 1;

	switch (op->type)
	{
		case OP_POSTED:
		case OP_PENDING:
			if (check && debit && a->tracked && !a->allow_negative && *posted - *dr < op->amount)
				ereport(ERROR,
						(errcode(ERRCODE_MN_INSUFFICIENT_FUNDS),
						 errmsg("insufficient funds in ledger account " INT64_FORMAT ": " INT64_FORMAT
								" available, " INT64_FORMAT " needed", a->id, *posted - *dr, op->amount),
						 errdetail("%s %s from account " INT64_FORMAT " to " INT64_FORMAT
								   "; posted " INT64_FORMAT ", held " INT64_FORMAT ".",
								   mn_op_verb(op->type), mn_uuid_str(&op->id), op->debit, op->credit, *posted, *dr),
						 errhint("Top the account up, or transfer less.")));
			if (op->type == OP_POSTED)
			{
				*posted = add_checked(*posted, sign * op->amount, a);
				*version += 1;
			}
			else if (debit)
				*dr = add_checked(*dr, op->amount, a);
			else
				*cr = add_checked(*cr, op->amount, a);
			break;
		case OP_POST:
		case OP_VOID:
		case OP_EXPIRE:
			if (debit)
				*dr -= op->held;
			else
				*cr -= op->held;
			if (op->type == OP_POST)
			{
				*posted = add_checked(*posted, sign * op->amount, a);
				*version += 1;
			}
			break;
	}
}

/*
 * Step 2: judges every live op against each tracked account and writes the
 * account's new balance, account by account in id order.  A concurrent
 * update of the account (heap_update waits for it) means reading it again
 * and judging again.
 */
void
mn_update_accounts(MnLedger *L)
{
	TupleDesc	desc = RelationGetDescr(L->accounts);
	int			i,
				j;

	for (i = 0; i < L->naccts; i++)
	{
		MnLedgerAcct	   *a = &L->accts[i];

		if (!a->tracked)
			continue;
		for (;;)
		{
			int64		posted = a->posted,
						dr = a->pend_dr,
						cr = a->pend_cr,
						version = a->version;
			bool		touched = false;
			Datum		values[A_NATTS] = {0};
			bool		nulls[A_NATTS] = {false};
			bool		repl[A_NATTS] = {false};
			HeapTuple	newtup;
			TM_Result	r;

			for (j = 0; j < L->nops; j++)
			{
				MnLedgerOp		   *op = &L->ops[j];

				if (!mn_op_is_live(op) || (op->debit != a->id && op->credit != a->id))
					continue;
				/* Judged again on every read: the account may have been closed meanwhile. */
				check_account_usable(op, a);
				if (op->debit == a->id)
					apply_side(op, a, true, &posted, &dr, &cr, &version, true);
				if (op->credit == a->id)
					apply_side(op, a, false, &posted, &dr, &cr, &version, true);
				touched = true;
			}
			if (!touched)
				break;
			if (dr < 0 || cr < 0)
				elog(ERROR, "ledger account " INT64_FORMAT " would hold a negative pending amount", a->id);
			values[A_POSTED] = Int64GetDatum(posted);
			values[A_PEND_DR] = Int64GetDatum(dr);
			values[A_PEND_CR] = Int64GetDatum(cr);
			values[A_VERSION] = Int64GetDatum(version);
			repl[A_POSTED] = repl[A_PEND_DR] = repl[A_PEND_CR] = repl[A_VERSION] = true;
			newtup = heap_modify_tuple(a->tuple, desc, values, nulls, repl);
			r = mn_direct_update(&mn_ledger_accounts_rel, &a->tuple->t_self, newtup, true);
			heap_freetuple(newtup);
			if (r == TM_Ok)
				break;
			if (r != TM_Updated && r != TM_Deleted)
				elog(ERROR, "unexpected result %d updating ledger account " INT64_FORMAT, (int) r, a->id);
			if (IsolationUsesXactSnapshot())
				ereport(ERROR,
						(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
						 errmsg("could not serialize access due to concurrent update of ledger account " INT64_FORMAT,
								a->id),
						 errhint("Retry the transaction.")));
			mn_renew_snapshot(L);
			read_account(L, a);
			if (!a->found)
				elog(ERROR, "ledger account " INT64_FORMAT " disappeared", a->id);
		}
		a->r_posted = a->posted;
		a->r_version = a->version;
	}
}

