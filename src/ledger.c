/*
 * ledger.c - the token ledger's pipeline: what every money-moving call runs.
 *
 * Every call (transfer, transfer_batch, post_pending, void_pending,
 * expire_pending) is a list of operations run through one pipeline:
 *
 *   1. idempotency: an operation whose id exists is a repeat (same
 *      parameters: no effect) or a conflict (MN003), and a call whose id is
 *      being inserted by another waits for it.  A new transfer's row is
 *      simply inserted, the primary key telling whether the id was taken; a
 *      post or void looks its id up, then claims its hold by moving the
 *      hold's status, which serialises resolutions, then inserts its row;
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

#include "catalog/namespace.h"
#include "catalog/pg_enum.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "storage/lmgr.h"

#include "mentor.h"
#include "mentor_errcodes.h"
#include "ledger.h"

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

char *
mn_uuid_str(const pg_uuid_t *u)
{
	return DatumGetCString(DirectFunctionCall1(uuid_out, UUIDPGetDatum(u)));
}

const char *
mn_op_verb(MnLedgerOpType t)
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

void
mn_ledger_begin(MnLedger *L)
{
	memset(L, 0, sizeof(*L));
	L->accounts = mn_direct_open(&mn_ledger_accounts_rel);
	L->transfers = mn_direct_open(&transfers_rel);
	L->entries = mn_direct_open(&entries_rel);
	load_statuses(RelationGetRelid(L->transfers));
	L->slot_a = MakeSingleTupleTableSlot(RelationGetDescr(L->accounts), &TTSOpsBufferHeapTuple);
	L->slot_t = MakeSingleTupleTableSlot(RelationGetDescr(L->transfers), &TTSOpsBufferHeapTuple);
	L->has_actor = mn_current_actor(&L->actor);
	L->now = GetCurrentTimestamp();
}

/* After waiting for another transaction: see what it committed. */
void
mn_renew_snapshot(MnLedger *L)
{
	UnregisterSnapshot(L->snap);
	L->snap = RegisterSnapshot(GetLatestSnapshot());
}

/*
 * The command counter moves on so that the next call, even within the same
 * statement, may update the rows this one wrote.
 */
void
mn_ledger_end(MnLedger *L)
{
	if (L->snap)
		UnregisterSnapshot(L->snap);
	ExecDropSingleTupleTableSlot(L->slot_a);
	ExecDropSingleTupleTableSlot(L->slot_t);
	mn_direct_close(&entries_rel);
	mn_direct_close(&transfers_rel);
	mn_direct_close(&mn_ledger_accounts_rel);
	CommandCounterIncrement();
}

/* Under REPEATABLE READ or SERIALIZABLE a row newer than the snapshot cannot be acted on. */
void
mn_check_snapshot(TupleTableSlot *slot, const char *what)
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
void
mn_check_new_transfer(const MnLedgerOp *op)
{
	if (op->amount <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("transfer amount must be positive, not " INT64_FORMAT, op->amount),
				 errdetail("Transfer %s from account " INT64_FORMAT " to " INT64_FORMAT ".",
						   mn_uuid_str(&op->id), op->debit, op->credit),
				 errhint("A reversal is a new transfer in the other direction.")));
	if (op->debit == op->credit)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("transfer %s debits and credits the same account " INT64_FORMAT,
						mn_uuid_str(&op->id), op->debit),
				 errhint("A transfer moves tokens between two different accounts.")));
	check_kind(op->kind);
}

bool
mn_same_text(text *a, text *b)
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
 * transfer itself).  New transfers get here only when their insert met the
 * id (insert_transfer); posts and voids look first and insert right after,
 * so only two of those with one id checking within the same microseconds can
 * still meet at the primary key (23505; a retry then returns the original).
 * The dirty snapshot (needed to see rows in progress) can miss a row that a
 * non-HOT update is moving; only holds are ever updated, and a repeated hold
 * goes through insert_transfer's loop, which meets the id again.
 */
static bool
find_transfer(MnLedger *L, const pg_uuid_t *id, TupleTableSlot *s)
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
 * Step 1 for an op whose id is already a transfer (in L->slot_t): the same
 * parameters make it a repeat, anything else is MN003.
 */
static void
judge_existing(MnLedger *L, MnLedgerOp *op)
{
	TupleTableSlot *s = L->slot_t;
	Datum	   *v;
	bool	   *n;
	Status		st;
	bool		same;

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
				mn_same_text(DatumGetTextPP(v[T_KIND]), op->kind) &&
				mn_same_text(n[T_REFERENCE] ? NULL : DatumGetTextPP(v[T_REFERENCE]), op->reference);
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
				 errmsg("transfer id %s is already used by a different transfer", mn_uuid_str(&op->id)),
				 errdetail("Recorded: %s of " INT64_FORMAT " from account " INT64_FORMAT " to " INT64_FORMAT
						   ", kind %s, status %s%s%s.",
						   n[T_PENDING_ID] ? "transfer" : "resolution", DatumGetInt64(v[T_AMOUNT]),
						   DatumGetInt64(v[T_DEBIT]), DatumGetInt64(v[T_CREDIT]),
						   TextDatumGetCString(v[T_KIND]), status_names[st],
						   n[T_PENDING_ID] ? "" : " of hold ",
						   n[T_PENDING_ID] ? "" : mn_uuid_str(DatumGetUUIDP(v[T_PENDING_ID]))),
				 errhint("An id is an idempotency key: retry with exactly the same parameters, or use a new id.")));
	op->duplicate = true;
}

/* Step 1 for a post or void: is its id already a transfer? */
static void
check_idempotency(MnLedger *L, MnLedgerOp *op)
{
	if (find_transfer(L, &op->id, L->slot_t))
		judge_existing(L, op);
}

/*
 * Step 1 for a post, void or expiry: claims the hold by moving its status, so
 * that a hold is resolved at most once whatever the concurrency.  Returns
 * false only for an expiry whose hold is being resolved elsewhere.
 */
static bool
claim_hold(MnLedger *L, MnLedgerOp *op)
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
					 errmsg("hold %s does not exist", mn_uuid_str(&op->pending_id)),
					 errhint("Holds are made by mentor.transfer(..., pending => true).")));
		mn_check_snapshot(s, "a hold");
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
							mn_uuid_str(&op->pending_id)),
					 errdetail("Its status is %s.", status_names[st]),
					 errhint("Only a pending hold can be posted or voided, once.")));
		if (!n[T_EXPIRES] && DatumGetTimestampTz(v[T_EXPIRES]) <= L->now && op->type != OP_EXPIRE)
			ereport(ERROR,
					(errcode(ERRCODE_MN_EXPIRED),
					 errmsg("hold %s expired at %s", mn_uuid_str(&op->pending_id),
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
								op->amount, mn_uuid_str(&op->pending_id), op->held),
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
			elog(ERROR, "unexpected result %d claiming hold %s", (int) r, mn_uuid_str(&op->pending_id));
		if (IsolationUsesXactSnapshot())
			ereport(ERROR,
					(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
					 errmsg("could not serialize access due to concurrent resolution of hold %s",
							mn_uuid_str(&op->pending_id)),
					 errhint("Retry the transaction.")));
		/* Resolved or changed meanwhile: judge the newest version. */
		mn_renew_snapshot(L);
	}
}

bool
mn_op_is_live(const MnLedgerOp *op)
{
	return !op->duplicate && !op->skipped;
}

static void
write_entry(MnLedger *L, MnLedgerAcct *a, TimestampTz at, const pg_uuid_t *transfer, int64 amount)
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

/*
 * Step 1, last: the op's transfer row.  A new transfer's row goes in only if
 * no row has its id (false otherwise: nothing written); a post's or void's
 * id was looked up before.
 */
static bool
insert_transfer(MnLedger *L, MnLedgerOp *op)
{
	Datum		values[T_NATTS];
	bool		nulls[T_NATTS] = {false};
	HeapTuple	tuple;
	Status		st = op->type == OP_PENDING ? ST_PENDING : op->type == OP_VOID ? ST_VOIDED : ST_POSTED;
	bool		inserted = true;

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
	if (op->type == OP_POSTED || op->type == OP_PENDING)
		inserted = mn_direct_insert_if_new(&transfers_rel, tuple);
	else
		mn_direct_insert(&transfers_rel, tuple);
	heap_freetuple(tuple);
	return inserted;
}

/*
 * Step 3: the entries of the posted ops, in order.  Their time is taken now,
 * with the accounts locked, so an account's entries are in version order.
 */
static void
write_entries(MnLedger *L)
{
	int			i;

	for (i = 0; i < L->nops; i++)
	{
		MnLedgerOp		   *op = &L->ops[i];
		TimestampTz at;

		if (!mn_op_is_live(op) || (op->type != OP_POSTED && op->type != OP_POST))
			continue;
		at = mn_clock();
		write_entry(L, mn_find_acct(L, op->debit), at, &op->id, -op->amount);
		write_entry(L, mn_find_acct(L, op->credit), at, &op->id, op->amount);
	}
}

static bool
same_request(const MnLedgerOp *a, const MnLedgerOp *b)
{
	return a->type == b->type && a->debit == b->debit && a->credit == b->credit && a->amount == b->amount &&
		mn_same_text(a->kind, b->kind) && mn_same_text(a->reference, b->reference);
}

static int
cmp_op_id(const void *a, const void *b)
{
	const MnLedgerOp   *x = *(const MnLedgerOp *const *) a;
	const MnLedgerOp   *y = *(const MnLedgerOp *const *) b;
	int			c = memcmp(&x->id, &y->id, UUID_LEN);

	return c != 0 ? c : x < y ? -1 : x > y ? 1 : 0;
}

/*
 * An id twice in one batch: the later one repeats the first (same
 * parameters) or conflicts with it (MN003), as it would in separate calls.
 */
static void
mark_repeats_in_call(MnLedger *L)
{
	MnLedgerOp		  **sorted;
	int			i,
				first = 0;

	if (L->nops < 2 || L->ops[0].type == OP_EXPIRE)
		return;
	sorted = palloc(sizeof(MnLedgerOp *) * L->nops);
	for (i = 0; i < L->nops; i++)
		sorted[i] = &L->ops[i];
	qsort(sorted, L->nops, sizeof(MnLedgerOp *), cmp_op_id);
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
							mn_uuid_str(&sorted[i]->id)),
					 errdetail("Transfers %d and %d.", (int) (sorted[first] - L->ops) + 1,
							   (int) (sorted[i] - L->ops) + 1),
					 errhint("Each transfer needs its own id.")));
		sorted[i]->duplicate = true;
	}
	pfree(sorted);
}

/* Runs the ops of L through the pipeline described at the top of the file. */
void
mn_ledger_run(MnLedger *L)
{
	int			i;

	L->snap = RegisterSnapshot(GetLatestSnapshot());
	mark_repeats_in_call(L);
	for (i = 0; i < L->nops; i++)
	{
		MnLedgerOp		   *op = &L->ops[i];

		if (op->duplicate)
			continue;
		if (op->type == OP_POSTED || op->type == OP_PENDING)
		{
			/*
			 * Inserting is the idempotency check: only a key already there
			 * (or arriving) is looked at, and waited for.  If that other
			 * call rolled back, the id is free again.
			 */
			while (!insert_transfer(L, op))
				if (find_transfer(L, &op->id, L->slot_t))
				{
					judge_existing(L, op);
					break;
				}
			continue;
		}
		if (op->type != OP_EXPIRE)
		{
			check_idempotency(L, op);
			if (op->duplicate)
				continue;
		}
		op->skipped = !claim_hold(L, op);
		if (mn_op_is_live(op) && op->type != OP_EXPIRE)
			(void) insert_transfer(L, op);
	}
	mn_gather_accounts(L);
	mn_check_ops_accounts(L);
	mn_update_accounts(L);
	write_entries(L);
}

