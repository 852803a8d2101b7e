/*
 * ledger.c - the token ledger's money-moving functions.
 *
 * Every call (transfer, transfer_batch, post_pending, void_pending,
 * expire_pending) is a list of operations run through one pipeline:
 *
 *   1. idempotency: an operation whose id exists is a repeat (same
 *      parameters: no effect) or a conflict (MN003), and a call whose id is
 *      being inserted by another waits for it; a post or void claims its
 *      hold by moving the hold's status, which serialises resolutions; the
 *      op's transfer row is inserted at once;
 *   2. accounts, in ascending id order (one global order, so concurrent calls
 *      never deadlock): each tracked account is read at its newest version,
 *      every operation of the call is checked against it in call order, and
 *      its new balance is written once; a concurrent update makes us read it
 *      again.  Untracked accounts are only read, never locked or written,
 *      which is what keeps a hot platform account from serialising traffic;
 *   3. the entries of what was posted, with running balances.
 *
 * Rows are written by direct heap access (direct.c): an INSERT plan per row
 * would cost more than the rest of the transfer.  So the C code enforces what
 * the tables' CHECK constraints and foreign keys declare.  Any error aborts
 * the statement, so a call changes all or nothing.
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_enum.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "common/int.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"
#include "storage/lmgr.h"

#include "mentor.h"
#include "mentor_errcodes.h"
#include "direct.h"

/* Column positions (0-based), checked against the tables' column count at open. */
enum
{
	A_ID, A_OWNER, A_KIND, A_ASSET, A_POSTED, A_PEND_DR, A_PEND_CR, A_VERSION, A_ALLOW_NEG,
	A_TRACKED, A_CLOSED, A_NAME, A_EXPIRES, A_CREATED, A_UPDATED, A_NATTS
};
enum
{
	T_ID, T_DEBIT, T_CREDIT, T_AMOUNT, T_KIND, T_STATUS, T_PENDING_ID, T_EXPIRES, T_REFERENCE,
	T_ACTOR, T_CREATED, T_NATTS
};
enum
{
	E_ACCOUNT, E_AT, E_TRANSFER, E_AMOUNT, E_BALANCE, E_VERSION, E_NATTS
};

static MnDirectRel accounts_rel = {.relname = "ledger_accounts", .natts = A_NATTS};
static MnDirectRel transfers_rel = {.relname = "ledger_transfers", .natts = T_NATTS};
static MnDirectRel entries_rel = {.relname = "ledger_entries", .natts = E_NATTS};

typedef enum
{
	ST_POSTED, ST_PENDING, ST_POSTED_PENDING, ST_VOIDED, ST_EXPIRED, ST_COUNT
} Status;
static const char *const status_names[ST_COUNT] = {"posted", "pending", "posted_pending", "voided", "expired"};
static Oid	status_oids[ST_COUNT];
static Oid	status_rel_oid = InvalidOid;	/* the ledger_transfers the OIDs were read for */

static const char *const transfer_kinds[] = {
	"purchase", "promo_grant", "allotment", "spend", "hold", "earning", "fee", "refund", "withdrawal",
	"expiry", "adjustment", NULL
};

typedef enum
{
	OP_POSTED, OP_PENDING, OP_POST, OP_VOID, OP_EXPIRE
} OpType;

typedef struct Op
{
	OpType		type;
	pg_uuid_t	id;				/* the row this op writes (not for OP_EXPIRE) */
	int64		debit;
	int64		credit;
	int64		amount;			/* moved (posted ops) or held (pending) */
	int64		held;			/* resolutions: the hold's amount */
	bool		amount_given;	/* OP_POST: a partial amount was asked for */
	text	   *kind;
	text	   *reference;
	TimestampTz expires_at;		/* 0 = none */
	pg_uuid_t	pending_id;		/* resolutions: the hold */
	bool		duplicate;		/* an idempotent repeat: no effect */
	bool		skipped;		/* OP_EXPIRE: the hold was being resolved by someone else */
} Op;

typedef struct Acct
{
	int64		id;
	bool		found;
	bool		tracked;
	bool		allow_negative;
	bool		closed;
	text	   *asset;
	int64		posted;			/* newest stored values (tracked accounts) */
	int64		pend_dr;
	int64		pend_cr;
	int64		version;
	HeapTuple	tuple;			/* copy of the newest version */
	/* running values while the call's rows are written */
	int64		r_posted;
	int64		r_version;
} Acct;

typedef struct Ledger
{
	Relation	accounts;
	Relation	transfers;
	Relation	entries;
	TupleTableSlot *slot_a;
	TupleTableSlot *slot_t;
	Op		   *ops;
	int			nops;
	Acct	   *accts;
	int			naccts;
	bool		has_actor;
	int64		actor;
	TimestampTz now;
	Snapshot	snap;			/* fresh when taken; renewed after waiting for another call */
} Ledger;

static char *
uuid_str(const pg_uuid_t *u)
{
	return DatumGetCString(DirectFunctionCall1(uuid_out, UUIDPGetDatum(u)));
}

static const char *
op_verb(OpType t)
{
	switch (t)
	{
		case OP_POSTED:
			return "transfer";
		case OP_PENDING:
			return "hold";
		case OP_POST:
			return "post";
		case OP_VOID:
			return "void";
		default:
			return "expiry";
	}
}

static void
load_statuses(Oid rel_oid)
{
	Oid			typid;
	int			i;

	if (rel_oid == status_rel_oid)
		return;
	typid = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid, CStringGetDatum("transfer_status"),
							ObjectIdGetDatum(get_namespace_oid("mentor", false)));
	for (i = 0; i < ST_COUNT; i++)
	{
		status_oids[i] = GetSysCacheOid2(ENUMTYPOIDNAME, Anum_pg_enum_oid, ObjectIdGetDatum(typid),
										 CStringGetDatum(status_names[i]));
		if (!OidIsValid(status_oids[i]))
			elog(ERROR, "mentor.transfer_status lacks \"%s\"; reinstall the extension", status_names[i]);
	}
	status_rel_oid = rel_oid;
}

static Status
status_of(Datum d)
{
	int			i;

	for (i = 0; i < ST_COUNT; i++)
		if (status_oids[i] == DatumGetObjectId(d))
			return (Status) i;
	elog(ERROR, "unknown transfer status oid %u", DatumGetObjectId(d));
	return ST_POSTED;			/* keep compiler quiet */
}

static void
ledger_begin(Ledger *L)
{
	memset(L, 0, sizeof(*L));
	L->accounts = mn_direct_open(&accounts_rel);
	L->transfers = mn_direct_open(&transfers_rel);
	L->entries = mn_direct_open(&entries_rel);
	load_statuses(RelationGetRelid(L->transfers));
	L->slot_a = MakeSingleTupleTableSlot(RelationGetDescr(L->accounts), &TTSOpsBufferHeapTuple);
	L->slot_t = MakeSingleTupleTableSlot(RelationGetDescr(L->transfers), &TTSOpsBufferHeapTuple);
	L->has_actor = mn_current_actor(&L->actor);
	L->now = GetCurrentTimestamp();
}

/* After waiting for another transaction: see what it committed. */
static void
renew_snapshot(Ledger *L)
{
	UnregisterSnapshot(L->snap);
	L->snap = RegisterSnapshot(GetLatestSnapshot());
}

/*
 * The command counter moves on so that the next call, even within the same
 * statement, may update the rows this one wrote.
 */
static void
ledger_end(Ledger *L)
{
	if (L->snap)
		UnregisterSnapshot(L->snap);
	ExecDropSingleTupleTableSlot(L->slot_a);
	ExecDropSingleTupleTableSlot(L->slot_t);
	mn_direct_close(&entries_rel);
	mn_direct_close(&transfers_rel);
	mn_direct_close(&accounts_rel);
	CommandCounterIncrement();
}

/* Under REPEATABLE READ or SERIALIZABLE a row newer than the snapshot cannot be acted on. */
static void
check_snapshot(TupleTableSlot *slot, const char *what)
{
	HeapTuple	tuple;
	TransactionId xmin;

	if (!IsolationUsesXactSnapshot())
		return;
	tuple = ExecFetchSlotHeapTuple(slot, false, NULL);
	xmin = HeapTupleHeaderGetXmin(tuple->t_data);
	if (!TransactionIdIsCurrentTransactionId(xmin) && XidInMVCCSnapshot(xmin, GetTransactionSnapshot()))
		ereport(ERROR,
				(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
				 errmsg("could not serialize access due to concurrent update of %s", what),
				 errhint("Retry the transaction.")));
}

static void
check_kind(text *kind)
{
	char	   *k = text_to_cstring(kind);
	int			i;

	for (i = 0; transfer_kinds[i]; i++)
		if (strcmp(k, transfer_kinds[i]) == 0)
			return;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown transfer kind \"%s\"", k),
			 errhint("Kinds: purchase, promo_grant, allotment, spend, hold, earning, fee, refund, withdrawal, "
					 "expiry, adjustment.")));
}

/* Checks what can be checked of a new transfer before touching any row. */
static void
check_new_transfer(const Op *op)
{
	if (op->amount <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("transfer amount must be positive, not " INT64_FORMAT, op->amount),
				 errdetail("Transfer %s from account " INT64_FORMAT " to " INT64_FORMAT ".",
						   uuid_str(&op->id), op->debit, op->credit),
				 errhint("A reversal is a new transfer in the other direction.")));
	if (op->debit == op->credit)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("transfer %s debits and credits the same account " INT64_FORMAT,
						uuid_str(&op->id), op->debit),
				 errhint("A transfer moves tokens between two different accounts.")));
	check_kind(op->kind);
}

static bool
same_text(text *a, text *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return VARSIZE_ANY_EXHDR(a) == VARSIZE_ANY_EXHDR(b) &&
		memcmp(VARDATA_ANY(a), VARDATA_ANY(b), VARSIZE_ANY_EXHDR(a)) == 0;
}

/*
 * Whether a transfer with this id exists, committed or being inserted by a
 * transaction still in progress, which is waited for: a retry sent while its
 * original runs waits for it, then finds it (or, if it rolled back, makes the
 * transfer itself).  The row is inserted right after this check, so a later
 * retry finds it in turn; two calls checking within the same microseconds
 * may still meet at the primary key (23505, and a retry then returns the
 * original).
 */
static bool
find_transfer(Ledger *L, const pg_uuid_t *id, TupleTableSlot *s)
{
	for (;;)
	{
		SnapshotData dirty;

		InitDirtySnapshot(dirty);
		if (!mn_direct_fetch(&transfers_rel, F_UUID_EQ, UUIDPGetDatum(id), &dirty, s, NULL))
			return false;
		if (!TransactionIdIsValid(dirty.xmin))
			return true;
		XactLockTableWait(dirty.xmin, L->transfers, &s->tts_tid, XLTW_None);
	}
}

/*
 * Step 1 for one op: is its id already a transfer?  If so, the same
 * parameters make it a repeat, anything else is MN003.
 */
static void
check_idempotency(Ledger *L, Op *op)
{
	TupleTableSlot *s = L->slot_t;
	Datum	   *v;
	bool	   *n;
	Status		st;
	bool		same;

	if (!find_transfer(L, &op->id, s))
		return;
	slot_getallattrs(s);
	v = s->tts_values;
	n = s->tts_isnull;
	st = status_of(v[T_STATUS]);
	switch (op->type)
	{
		case OP_POSTED:
		case OP_PENDING:
			same = n[T_PENDING_ID] && (op->type == OP_POSTED ? st == ST_POSTED : st != ST_POSTED) &&
				DatumGetInt64(v[T_DEBIT]) == op->debit && DatumGetInt64(v[T_CREDIT]) == op->credit &&
				DatumGetInt64(v[T_AMOUNT]) == op->amount &&
				same_text(DatumGetTextPP(v[T_KIND]), op->kind) &&
				same_text(n[T_REFERENCE] ? NULL : DatumGetTextPP(v[T_REFERENCE]), op->reference);
			break;
		case OP_POST:
		case OP_VOID:
			same = !n[T_PENDING_ID] &&
				memcmp(DatumGetUUIDP(v[T_PENDING_ID]), &op->pending_id, UUID_LEN) == 0 &&
				(op->type == OP_POST ? st == ST_POSTED : st == ST_VOIDED) &&
				(!op->amount_given || DatumGetInt64(v[T_AMOUNT]) == op->amount);
			break;
		default:
			same = false;
	}
	if (!same)
		ereport(ERROR,
				(errcode(ERRCODE_MN_IDEMPOTENCY_CONFLICT),
				 errmsg("transfer id %s is already used by a different transfer", uuid_str(&op->id)),
				 errdetail("Recorded: %s of " INT64_FORMAT " from account " INT64_FORMAT " to " INT64_FORMAT
						   ", kind %s, status %s%s%s.",
						   n[T_PENDING_ID] ? "transfer" : "resolution", DatumGetInt64(v[T_AMOUNT]),
						   DatumGetInt64(v[T_DEBIT]), DatumGetInt64(v[T_CREDIT]),
						   TextDatumGetCString(v[T_KIND]), status_names[st],
						   n[T_PENDING_ID] ? "" : " of hold ",
						   n[T_PENDING_ID] ? "" : uuid_str(DatumGetUUIDP(v[T_PENDING_ID]))),
				 errhint("An id is an idempotency key: retry with exactly the same parameters, or use a new id.")));
	op->duplicate = true;
}

/*
 * Step 1 for a post, void or expiry: claims the hold by moving its status, so
 * that a hold is resolved at most once whatever the concurrency.  Returns
 * false only for an expiry whose hold is being resolved elsewhere.
 */
static bool
claim_hold(Ledger *L, Op *op)
{
	TupleTableSlot *s = L->slot_t;
	TupleDesc	desc = RelationGetDescr(L->transfers);

	for (;;)
	{
		Datum	   *v;
		bool	   *n;
		Status		st;
		Status		to;
		HeapTuple	newtup;
		Datum		values[T_NATTS] = {0};
		bool		nulls[T_NATTS] = {false};
		bool		repl[T_NATTS] = {false};
		TM_Result	r;

		if (!mn_direct_fetch(&transfers_rel, F_UUID_EQ, UUIDPGetDatum(&op->pending_id), L->snap, s, NULL))
			ereport(ERROR,
					(errcode(ERRCODE_NO_DATA_FOUND),
					 errmsg("hold %s does not exist", uuid_str(&op->pending_id)),
					 errhint("Holds are made by mentor.transfer(..., pending => true).")));
		check_snapshot(s, "a hold");
		slot_getallattrs(s);
		v = s->tts_values;
		n = s->tts_isnull;
		st = status_of(v[T_STATUS]);
		if (op->type == OP_EXPIRE && (st != ST_PENDING || n[T_EXPIRES] ||
									  DatumGetTimestampTz(v[T_EXPIRES]) > L->now))
			return false;
		if (st != ST_PENDING)
			ereport(ERROR,
					(errcode(ERRCODE_MN_WRONG_STATE),
					 errmsg(st == ST_POSTED ? "transfer %s is not a hold" : "hold %s is already resolved",
							uuid_str(&op->pending_id)),
					 errdetail("Its status is %s.", status_names[st]),
					 errhint("Only a pending hold can be posted or voided, once.")));
		if (!n[T_EXPIRES] && DatumGetTimestampTz(v[T_EXPIRES]) <= L->now && op->type != OP_EXPIRE)
			ereport(ERROR,
					(errcode(ERRCODE_MN_EXPIRED),
					 errmsg("hold %s expired at %s", uuid_str(&op->pending_id),
							timestamptz_to_str(DatumGetTimestampTz(v[T_EXPIRES]))),
					 errhint("An expired hold is released by mentor.expire_pending(); make a new one.")));
		op->debit = DatumGetInt64(v[T_DEBIT]);
		op->credit = DatumGetInt64(v[T_CREDIT]);
		op->held = DatumGetInt64(v[T_AMOUNT]);
		op->kind = DatumGetTextPCopy(v[T_KIND]);
		/* The post or void carries the hold's reference, so statements read the same. */
		op->reference = n[T_REFERENCE] ? NULL : DatumGetTextPCopy(v[T_REFERENCE]);
		if (op->type == OP_POST)
		{
			if (!op->amount_given)
				op->amount = op->held;
			else if (op->amount <= 0 || op->amount > op->held)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("cannot post " INT64_FORMAT " of hold %s, which holds " INT64_FORMAT,
								op->amount, uuid_str(&op->pending_id), op->held),
						 errhint("Post between 1 and the held amount; the rest is released.")));
		}
		else
			op->amount = op->held;

		to = op->type == OP_POST ? ST_POSTED_PENDING : op->type == OP_VOID ? ST_VOIDED : ST_EXPIRED;
		values[T_STATUS] = ObjectIdGetDatum(status_oids[to]);
		repl[T_STATUS] = true;
		newtup = heap_modify_tuple(ExecFetchSlotHeapTuple(s, false, NULL), desc, values, nulls, repl);
		r = mn_direct_update(&transfers_rel, &s->tts_tid, newtup, op->type != OP_EXPIRE);
		heap_freetuple(newtup);
		if (r == TM_Ok)
			return true;
		if (op->type == OP_EXPIRE && (r == TM_BeingModified || r == TM_Updated))
			return false;
		if (r != TM_Updated && r != TM_Deleted)
			elog(ERROR, "unexpected result %d claiming hold %s", (int) r, uuid_str(&op->pending_id));
		if (IsolationUsesXactSnapshot())
			ereport(ERROR,
					(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
					 errmsg("could not serialize access due to concurrent resolution of hold %s",
							uuid_str(&op->pending_id)),
					 errhint("Retry the transaction.")));
		/* Resolved or changed meanwhile: judge the newest version. */
		renew_snapshot(L);
	}
}

static Acct *
find_acct(Ledger *L, int64 id)
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
	bool		closed;
	char		asset[NAMEDATALEN];
} AcctCacheEntry;

#define ACCT_CACHE_MAX 100000

static HTAB *acct_cache = NULL;
static bool acct_cache_stale = false;
static uint64 acct_inval_count = 0;

static void
acct_cache_relcache_cb(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == accounts_rel.oid)
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
	else
		CacheRegisterRelcacheCallback(acct_cache_relcache_cb, (Datum) 0);
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(int64);
	ctl.entrysize = sizeof(AcctCacheEntry);
	ctl.hcxt = CacheMemoryContext;
	acct_cache = hash_create("mentor ledger accounts", 1024, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	acct_cache_stale = false;
}

/* Reads the account's version that L's snapshot sees into a. */
static void
read_account(Ledger *L, Acct *a)
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
		a->closed = e->closed;
		a->asset = cstring_to_text(e->asset);
		return;
	}
	found = e && mn_direct_fetch_tid(&accounts_rel, &e->root, L->snap, s) &&
		DatumGetInt64(slot_getattr(s, A_ID + 1, &isnull)) == a->id;
	if (!found)
	{
		found = mn_direct_fetch(&accounts_rel, F_INT8EQ, Int64GetDatum(a->id), L->snap, s, &root);
		e = NULL;
	}
	a->found = found;
	if (!found)
		return;
	slot_getallattrs(s);
	a->tracked = DatumGetBool(s->tts_values[A_TRACKED]);
	if (a->tracked)
		check_snapshot(s, "a ledger account");
	a->allow_negative = DatumGetBool(s->tts_values[A_ALLOW_NEG]);
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
		e->closed = a->closed;
		text_to_cstring_buffer(a->asset, e->asset, NAMEDATALEN);
	}
}

static bool
op_is_live(const Op *op)
{
	return !op->duplicate && !op->skipped;
}

/* The accounts every live op touches, sorted and read. */
static void
gather_accounts(Ledger *L)
{
	int64	   *ids = palloc(sizeof(int64) * 2 * Max(L->nops, 1));
	int			n = 0,
				i;

	for (i = 0; i < L->nops; i++)
		if (op_is_live(&L->ops[i]))
		{
			ids[n++] = L->ops[i].debit;
			ids[n++] = L->ops[i].credit;
		}
	qsort(ids, n, sizeof(int64), cmp_int64);
	L->accts = palloc0(sizeof(Acct) * Max(n, 1));
	L->naccts = 0;
	for (i = 0; i < n; i++)
		if (L->naccts == 0 || L->accts[L->naccts - 1].id != ids[i])
			L->accts[L->naccts++].id = ids[i];
	pfree(ids);
	for (i = 0; i < L->naccts; i++)
		read_account(L, &L->accts[i]);
}

static void
check_account_usable(const Op *op, const Acct *a)
{
	if (!a->found)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("ledger account " INT64_FORMAT " does not exist", a->id),
				 errdetail("%s %s from account " INT64_FORMAT " to " INT64_FORMAT ".",
						   op_verb(op->type), uuid_str(&op->id), op->debit, op->credit),
				 errhint("Accounts are made by mentor.open_account(), mentor.wallet() and mentor.system_account().")));
	if (a->closed && (op->type == OP_POSTED || op->type == OP_PENDING))
		ereport(ERROR,
				(errcode(ERRCODE_MN_WRONG_STATE),
				 errmsg("ledger account " INT64_FORMAT " is closed", a->id),
				 errdetail("%s %s from account " INT64_FORMAT " to " INT64_FORMAT ".",
						   op_verb(op->type), uuid_str(&op->id), op->debit, op->credit),
				 errhint("A closed account takes no new transfers.")));
}

/* Static checks of the live ops against the accounts they name, in call order. */
static void
check_ops_accounts(Ledger *L)
{
	int			i;

	for (i = 0; i < L->nops; i++)
	{
		Op		   *op = &L->ops[i];
		Acct	   *d,
				   *c;

		if (!op_is_live(op))
			continue;
		d = find_acct(L, op->debit);
		c = find_acct(L, op->credit);
		check_account_usable(op, d);
		check_account_usable(op, c);
		if (!same_text(d->asset, c->asset))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("transfer %s would move %s from account " INT64_FORMAT " into %s account " INT64_FORMAT,
							uuid_str(&op->id), text_to_cstring(d->asset), d->id, text_to_cstring(c->asset), c->id),
					 errhint("Both accounts of a transfer hold the same asset.")));
	}
}

static int64
add_checked(int64 a, int64 b, const Acct *acct)
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
apply_side(const Op *op, const Acct *a, bool debit, int64 *posted, int64 *dr, int64 *cr, int64 *version,
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
								   op_verb(op->type), uuid_str(&op->id), op->debit, op->credit, *posted, *dr),
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
static void
update_accounts(Ledger *L)
{
	TupleDesc	desc = RelationGetDescr(L->accounts);
	int			i,
				j;

	for (i = 0; i < L->naccts; i++)
	{
		Acct	   *a = &L->accts[i];

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
				Op		   *op = &L->ops[j];

				if (!op_is_live(op))
					continue;
				if (op->debit == a->id)
				{
					if (a->closed && (op->type == OP_POSTED || op->type == OP_PENDING))
						check_account_usable(op, a);
					apply_side(op, a, true, &posted, &dr, &cr, &version, true);
					touched = true;
				}
				if (op->credit == a->id)
				{
					if (a->closed && (op->type == OP_POSTED || op->type == OP_PENDING))
						check_account_usable(op, a);
					apply_side(op, a, false, &posted, &dr, &cr, &version, true);
					touched = true;
				}
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
			r = mn_direct_update(&accounts_rel, &a->tuple->t_self, newtup, true);
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
			renew_snapshot(L);
			read_account(L, a);
			if (!a->found)
				elog(ERROR, "ledger account " INT64_FORMAT " disappeared", a->id);
		}
		a->r_posted = a->posted;
		a->r_version = a->version;
	}
}

static void
write_entry(Ledger *L, Acct *a, TimestampTz at, const pg_uuid_t *transfer, int64 amount)
{
	Datum		values[E_NATTS];
	bool		nulls[E_NATTS] = {false};
	HeapTuple	tuple;

	values[E_ACCOUNT] = Int64GetDatum(a->id);
	values[E_AT] = TimestampTzGetDatum(at);
	values[E_TRANSFER] = UUIDPGetDatum(transfer);
	values[E_AMOUNT] = Int64GetDatum(amount);
	if (a->tracked)
	{
		a->r_posted += amount;
		a->r_version += 1;
		values[E_BALANCE] = Int64GetDatum(a->r_posted);
		values[E_VERSION] = Int64GetDatum(a->r_version);
	}
	else
		nulls[E_BALANCE] = nulls[E_VERSION] = true;
	tuple = heap_form_tuple(RelationGetDescr(L->entries), values, nulls);
	mn_direct_insert(&entries_rel, tuple);
	heap_freetuple(tuple);
}

/* Step 1, last: the op's transfer row, right after its id was found free. */
static void
insert_transfer(Ledger *L, Op *op)
{
	Datum		values[T_NATTS];
	bool		nulls[T_NATTS] = {false};
	HeapTuple	tuple;
	Status		st = op->type == OP_PENDING ? ST_PENDING : op->type == OP_VOID ? ST_VOIDED : ST_POSTED;

	values[T_ID] = UUIDPGetDatum(&op->id);
	values[T_DEBIT] = Int64GetDatum(op->debit);
	values[T_CREDIT] = Int64GetDatum(op->credit);
	values[T_AMOUNT] = Int64GetDatum(op->amount);
	values[T_KIND] = PointerGetDatum(op->kind);
	values[T_STATUS] = ObjectIdGetDatum(status_oids[st]);
	values[T_PENDING_ID] = UUIDPGetDatum(&op->pending_id);
	nulls[T_PENDING_ID] = op->type == OP_POSTED || op->type == OP_PENDING;
	values[T_EXPIRES] = TimestampTzGetDatum(op->expires_at);
	nulls[T_EXPIRES] = op->expires_at == 0;
	values[T_REFERENCE] = PointerGetDatum(op->reference);
	nulls[T_REFERENCE] = op->reference == NULL;
	values[T_ACTOR] = Int64GetDatum(L->actor);
	nulls[T_ACTOR] = !L->has_actor;
	values[T_CREATED] = TimestampTzGetDatum(mn_clock());
	tuple = heap_form_tuple(RelationGetDescr(L->transfers), values, nulls);
	mn_direct_insert(&transfers_rel, tuple);
	heap_freetuple(tuple);
}

/*
 * Step 3: the entries of the posted ops, in order.  Their time is taken now,
 * with the accounts locked, so an account's entries are in version order.
 */
static void
write_entries(Ledger *L)
{
	int			i;

	for (i = 0; i < L->nops; i++)
	{
		Op		   *op = &L->ops[i];
		TimestampTz at;

		if (!op_is_live(op) || (op->type != OP_POSTED && op->type != OP_POST))
			continue;
		at = mn_clock();
		write_entry(L, find_acct(L, op->debit), at, &op->id, -op->amount);
		write_entry(L, find_acct(L, op->credit), at, &op->id, op->amount);
	}
}

static bool
same_request(const Op *a, const Op *b)
{
	return a->type == b->type && a->debit == b->debit && a->credit == b->credit && a->amount == b->amount &&
		same_text(a->kind, b->kind) && same_text(a->reference, b->reference);
}

static int
cmp_op_id(const void *a, const void *b)
{
	const Op   *x = *(const Op *const *) a;
	const Op   *y = *(const Op *const *) b;
	int			c = memcmp(&x->id, &y->id, UUID_LEN);

	return c != 0 ? c : x < y ? -1 : x > y ? 1 : 0;
}

/*
 * An id twice in one batch: the later one repeats the first (same
 * parameters) or conflicts with it (MN003), as it would in separate calls.
 */
static void
mark_repeats_in_call(Ledger *L)
{
	Op		  **sorted;
	int			i,
				first = 0;

	if (L->nops < 2 || L->ops[0].type == OP_EXPIRE)
		return;
	sorted = palloc(sizeof(Op *) * L->nops);
	for (i = 0; i < L->nops; i++)
		sorted[i] = &L->ops[i];
	qsort(sorted, L->nops, sizeof(Op *), cmp_op_id);
	for (i = 1; i < L->nops; i++)
	{
		if (memcmp(&sorted[i]->id, &sorted[first]->id, UUID_LEN) != 0)
		{
			first = i;
			continue;
		}
		if (!same_request(sorted[first], sorted[i]))
			ereport(ERROR,
					(errcode(ERRCODE_MN_IDEMPOTENCY_CONFLICT),
					 errmsg("transfer id %s appears twice in the batch with different parameters",
							uuid_str(&sorted[i]->id)),
					 errdetail("Transfers %d and %d.", (int) (sorted[first] - L->ops) + 1,
							   (int) (sorted[i] - L->ops) + 1),
					 errhint("Each transfer needs its own id.")));
		sorted[i]->duplicate = true;
	}
	pfree(sorted);
}

/* Runs the ops of L through the pipeline described at the top of the file. */
static void
ledger_run(Ledger *L)
{
	int			i;

	L->snap = RegisterSnapshot(GetLatestSnapshot());
	mark_repeats_in_call(L);
	for (i = 0; i < L->nops; i++)
	{
		Op		   *op = &L->ops[i];

		if (op->type != OP_EXPIRE && !op->duplicate)
			check_idempotency(L, op);
		if (op->duplicate)
			continue;
		if (op->type == OP_POST || op->type == OP_VOID || op->type == OP_EXPIRE)
			op->skipped = !claim_hold(L, op);
		if (op_is_live(op) && op->type != OP_EXPIRE)
			insert_transfer(L, op);
	}
	gather_accounts(L);
	check_ops_accounts(L);
	update_accounts(L);
	write_entries(L);
}

/* Argument helpers ----------------------------------------------------- */

static void
require_arg(FunctionCallInfo fcinfo, int n, const char *name)
{
	if (PG_ARGISNULL(n))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be NULL", name),
				 errhint("Every transfer needs id, debit, credit, amount and kind.")));
}

static TimestampTz
expiry_from_timeout(Ledger *L, Interval *timeout)
{
	Interval	zero = {0};
	TimestampTz at;

	if (DatumGetBool(DirectFunctionCall2(interval_le, IntervalPGetDatum(timeout), IntervalPGetDatum(&zero))))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a hold's timeout must be positive"),
				 errhint("Pass e.g. interval '15 minutes', or NULL for a hold that never expires.")));
	at = DatumGetTimestampTz(DirectFunctionCall2(timestamptz_pl_interval, TimestampTzGetDatum(L->now),
												 IntervalPGetDatum(timeout)));
	return at;
}

static void
check_timeout_use(bool pending, bool has_timeout)
{
	if (has_timeout && !pending)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a timeout applies only to a pending transfer"),
				 errhint("Pass pending => true to make a hold that expires.")));
}

PG_FUNCTION_INFO_V1(mn_transfer);
/* mentor.transfer(id, debit, credit, amount, kind, reference, pending, timeout) -> uuid */
Datum
mn_transfer(PG_FUNCTION_ARGS)
{
	Ledger		L;
	Op			op = {0};
	bool		pending = !PG_ARGISNULL(6) && PG_GETARG_BOOL(6);

	require_arg(fcinfo, 0, "id");
	require_arg(fcinfo, 1, "debit");
	require_arg(fcinfo, 2, "credit");
	require_arg(fcinfo, 3, "amount");
	require_arg(fcinfo, 4, "kind");
	check_timeout_use(pending, !PG_ARGISNULL(7));
	op.type = pending ? OP_PENDING : OP_POSTED;
	op.id = *PG_GETARG_UUID_P(0);
	op.debit = PG_GETARG_INT64(1);
	op.credit = PG_GETARG_INT64(2);
	op.amount = PG_GETARG_INT64(3);
	op.kind = PG_GETARG_TEXT_PP(4);
	op.reference = PG_ARGISNULL(5) ? NULL : PG_GETARG_TEXT_PP(5);
	check_new_transfer(&op);

	ledger_begin(&L);
	if (!PG_ARGISNULL(7))
		op.expires_at = expiry_from_timeout(&L, PG_GETARG_INTERVAL_P(7));
	L.ops = &op;
	L.nops = 1;
	ledger_run(&L);
	ledger_end(&L);
	PG_RETURN_UUID_P(PG_GETARG_UUID_P(0));
}

static Datum
resolve(FunctionCallInfo fcinfo, OpType type)
{
	Ledger		L;
	Op			op = {0};

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("pending_id and id must not be NULL"),
				 errhint("id is the idempotency key of this %s.", op_verb(type))));
	op.type = type;
	op.pending_id = *PG_GETARG_UUID_P(0);
	op.id = *PG_GETARG_UUID_P(1);
	if (type == OP_POST && PG_NARGS() > 2 && !PG_ARGISNULL(2))
	{
		op.amount = PG_GETARG_INT64(2);
		op.amount_given = true;
	}
	ledger_begin(&L);
	L.ops = &op;
	L.nops = 1;
	ledger_run(&L);
	ledger_end(&L);
	PG_RETURN_UUID_P(PG_GETARG_UUID_P(1));
}

PG_FUNCTION_INFO_V1(mn_post_pending);
/* mentor.post_pending(pending_id, id, amount default null) -> uuid */
Datum
mn_post_pending(PG_FUNCTION_ARGS)
{
	return resolve(fcinfo, OP_POST);
}

PG_FUNCTION_INFO_V1(mn_void_pending);
/* mentor.void_pending(pending_id, id) -> uuid */
Datum
mn_void_pending(PG_FUNCTION_ARGS)
{
	return resolve(fcinfo, OP_VOID);
}

PG_FUNCTION_INFO_V1(mn_expire_pending);
/*
 * mentor.expire_pending() -> int: releases the holds past their expiry.  The
 * candidates come from the partial index on pending holds; each is claimed
 * without waiting, so a hold being posted or voided right now is left to
 * that call.
 */
Datum
mn_expire_pending(PG_FUNCTION_ARGS)
{
	Ledger		L;
	Oid			types[1] = {TIMESTAMPTZOID};
	Datum		values[1];
	int			ret,
				i,
				expired = 0;
	uint64		n;
	pg_uuid_t  *ids;

	values[0] = TimestampTzGetDatum(GetCurrentTimestamp());
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ret = SPI_execute_with_args("SELECT id FROM mentor.ledger_transfers "
								"WHERE status = 'pending' AND expires_at <= $1 ORDER BY expires_at, id",
								1, types, values, NULL, false, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "finding expired holds failed: %s", SPI_result_code_string(ret));
	n = SPI_processed;
	/* SPI_palloc: memory of the caller's context, which outlives SPI_finish. */
	ids = SPI_palloc(sizeof(pg_uuid_t) * Max(n, 1));
	for (i = 0; i < (int) n; i++)
	{
		bool		isnull;

		ids[i] = *DatumGetUUIDP(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
	}
	SPI_finish();
	if (n == 0)
		PG_RETURN_INT32(0);

	ledger_begin(&L);
	L.ops = palloc0(sizeof(Op) * n);
	L.nops = (int) n;
	for (i = 0; i < (int) n; i++)
	{
		L.ops[i].type = OP_EXPIRE;
		L.ops[i].pending_id = ids[i];
	}
	ledger_run(&L);
	for (i = 0; i < (int) n; i++)
		if (!L.ops[i].skipped)
			expired++;
	ledger_end(&L);
	pfree(ids);
	PG_RETURN_INT32(expired);
}

/* Elements of a batch argument; a one-element array stands for every transfer. */
typedef struct BatchArg
{
	const char *name;
	Datum	   *values;
	bool	   *nulls;
	int			n;
} BatchArg;

static void
batch_arg(FunctionCallInfo fcinfo, int argno, const char *name, Oid elemtype, int expected, bool nullable,
		  BatchArg *arg)
{
	ArrayType  *a;
	int16		typlen;
	bool		typbyval;
	char		typalign;
	int			i;

	arg->name = name;
	arg->n = 0;
	if (PG_ARGISNULL(argno))
	{
		if (!nullable)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s must not be NULL", name)));
		return;
	}
	a = PG_GETARG_ARRAYTYPE_P(argno);
	if (ARR_NDIM(a) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s must be a one-dimensional array", name)));
	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	deconstruct_array(a, elemtype, typlen, typbyval, typalign, &arg->values, &arg->nulls, &arg->n);
	if (expected >= 0 && arg->n != expected && arg->n != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s has %d elements, ids has %d", name, arg->n, expected),
				 errhint("Pass one element per transfer, or a single element for all of them.")));
	if (!nullable)
		for (i = 0; i < arg->n; i++)
			if (arg->nulls[i])
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("element %d of %s is NULL", i + 1, name)));
}

static Datum
batch_value(const BatchArg *arg, int i, bool *isnull)
{
	int			k = arg->n == 1 ? 0 : i;

	if (arg->n == 0)
	{
		*isnull = true;
		return (Datum) 0;
	}
	*isnull = arg->nulls[k];
	return arg->values[k];
}

#define MAX_BATCH 100000

PG_FUNCTION_INFO_V1(mn_transfer_batch);
/*
 * mentor.transfer_batch(ids, debits, credits, amounts, kinds, refs, pending,
 * timeout) -> table(n, id, created): all transfers or none, in array order.
 */
Datum
mn_transfer_batch(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	BatchArg	ids,
				debits,
				credits,
				amounts,
				kinds,
				refs;
	bool		pending = !PG_ARGISNULL(6) && PG_GETARG_BOOL(6);
	TimestampTz expires_at = 0;
	Ledger		L;
	TupleDesc	tupdesc;
	Tuplestorestate *store;
	MemoryContext old;
	int			i;

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) || !(rsinfo->allowedModes & SFRM_Materialize))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("transfer_batch must be called in a context that accepts a set"),
				 errhint("SELECT * FROM mentor.transfer_batch(...).")));
	batch_arg(fcinfo, 0, "ids", UUIDOID, -1, false, &ids);
	if (ids.n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("transfer_batch needs at least one transfer")));
	if (ids.n > MAX_BATCH)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("transfer_batch takes at most %d transfers, not %d", MAX_BATCH, ids.n),
				 errhint("Split the batch.")));
	batch_arg(fcinfo, 1, "debits", INT8OID, ids.n, false, &debits);
	batch_arg(fcinfo, 2, "credits", INT8OID, ids.n, false, &credits);
	batch_arg(fcinfo, 3, "amounts", INT8OID, ids.n, false, &amounts);
	batch_arg(fcinfo, 4, "kinds", TEXTOID, ids.n, false, &kinds);
	batch_arg(fcinfo, 5, "refs", TEXTOID, ids.n, true, &refs);
	check_timeout_use(pending, !PG_ARGISNULL(7));

	ledger_begin(&L);
	if (!PG_ARGISNULL(7))
		expires_at = expiry_from_timeout(&L, PG_GETARG_INTERVAL_P(7));
	L.ops = palloc0(sizeof(Op) * ids.n);
	L.nops = ids.n;
	for (i = 0; i < ids.n; i++)
	{
		Op		   *op = &L.ops[i];
		bool		isnull;
		Datum		ref;

		op->type = pending ? OP_PENDING : OP_POSTED;
		op->id = *DatumGetUUIDP(ids.values[i]);
		op->debit = DatumGetInt64(batch_value(&debits, i, &isnull));
		op->credit = DatumGetInt64(batch_value(&credits, i, &isnull));
		op->amount = DatumGetInt64(batch_value(&amounts, i, &isnull));
		op->kind = DatumGetTextPP(batch_value(&kinds, i, &isnull));
		ref = batch_value(&refs, i, &isnull);
		op->reference = isnull ? NULL : DatumGetTextPP(ref);
		op->expires_at = expires_at;
		check_new_transfer(op);
	}
	ledger_run(&L);

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "transfer_batch must return a row type");
	old = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	tupdesc = CreateTupleDescCopy(tupdesc);
	store = tuplestore_begin_heap(true, false, work_mem);
	MemoryContextSwitchTo(old);
	for (i = 0; i < L.nops; i++)
	{
		Datum		values[3];
		bool		nulls[3] = {false};

		values[0] = Int32GetDatum(i + 1);
		values[1] = UUIDPGetDatum(&L.ops[i].id);
		values[2] = BoolGetDatum(!L.ops[i].duplicate);
		tuplestore_putvalues(store, tupdesc, values, nulls);
	}
	ledger_end(&L);
	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = store;
	rsinfo->setDesc = tupdesc;
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(mn_ledger_immutable);
/* BEFORE UPDATE OR DELETE OR TRUNCATE FOR EACH STATEMENT on transfers, entries (and TRUNCATE of accounts). */
Datum
mn_ledger_immutable(PG_FUNCTION_ARGS)
{
	TriggerData *td = mn_require_trigger(fcinfo, "mentor._ledger_immutable", NULL);

	mn_refuse_write(td, "the ledger is immutable",
					"Corrections are new transfers (kind adjustment or refund); holds are resolved by "
					"mentor.post_pending(), mentor.void_pending() and mentor.expire_pending().");
	return PointerGetDatum(NULL);
}
