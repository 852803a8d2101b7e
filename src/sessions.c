/*
 * sessions.c - the two steps every paid session goes through, book_session
 * and complete_session.  The session row is written through kept SPI plans,
 * so its triggers, constraints and history apply as to any write; the money
 * goes straight through the ledger's pipeline, one call per step.  The
 * PL/pgSQL these replace spent most of a cycle in helper calls (settings,
 * account lookups, spend_tokens), each one re-entering the executor.
 *
 * Each step first tries the common case with as few statements as it can:
 * an UPDATE whose WHERE clause repeats every condition of the step, so that
 * the row lock and the checks come with the write.  When that UPDATE finds
 * nothing, the step locks the row and runs the checks one by one, to raise
 * the error that applies (or to see a retry).  The rest of the module
 * (requests, cancelling, rescheduling) is 62_sessions.sql.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "common/int.h"
#include "common/md5.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/snapmgr.h"
#include "utils/datum.h"
#include "utils/memutils.h"
#include "utils/rangetypes.h"
#include "utils/resowner.h"
#include "utils/uuid.h"

#include "mentor.h"
#include "mentor_errcodes.h"
#include "ledger.h"
#include "tokens.h"

/* What both steps read of the session, in the lock query's column order (1-based). */
enum
{
	S_MENTOR = 1, S_MENTEE, S_STATUS, S_HOLD, S_PARTS, S_PRICE, S_DURING, S_STARTED, S_START, S_END
};

typedef struct Session
{
	int64		id;
	int64		mentor;
	bool		has_mentee;
	int64		mentee;
	char	   *status;
	bool		has_hold;
	pg_uuid_t	hold;
	int32		parts;
	int64		price;
	Datum		during;
	bool		started;		/* lower(during) <= now() */
	TimestampTz start;
	TimestampTz end;
} Session;

/* The session's columns (the step's other reads are in sessions_lookup.c). */
#define SESSION_COLUMNS \
	" s.mentor_id, s.mentee_id, s.status::text, s.hold_id, s.hold_parts, s.price_tokens, s.during," \
	" lower(s.during) <= now(), lower(s.during), upper(s.during)"

static SPIPlanPtr book_lock_plan, book_plan, complete_plan, complete_lock_plan;

static void
prepare_plans(void)
{
	Oid			one[1] = {INT8OID};
	Oid			book[4] = {INT8OID, INT8OID, UUIDOID, INT8ARRAYOID};

	if (complete_lock_plan != NULL)
		return;
	book_lock_plan = mn_keep_plan(
		"SELECT" SESSION_COLUMNS " FROM mentor.sessions s WHERE s.id = $1 FOR UPDATE OF s",
		1, one, CURSOR_OPT_GENERIC_PLAN);
	/*
	 * Every condition of a booking, checked again under the row lock the
	 * UPDATE takes.  The price is the row's, so the number of parts of the
	 * hold is worked out here: $4 holds the running totals of the mentee's
	 * promo tokens, starting at 0, and each total below the price means one
	 * more source (the last one the wallet).  An open slot is pending or,
	 * in the slot flow, tentative; the states are compared as text so that
	 * the same plans serve a 0.1 schema, whose enum has no 'tentative'.
	 */
	book_plan = mn_keep_plan(
		"UPDATE mentor.sessions s SET mentee_id = $2, status = 'confirmed',"
		"       hold_id = CASE WHEN s.price_tokens > 0 THEN $3 END,"
		"       hold_parts = CASE WHEN s.price_tokens > 0 THEN width_bucket(s.price_tokens - 1, $4) END"
		" WHERE s.id = $1 AND s.status::text IN ('pending', 'tentative') AND s.mentee_id IS NULL AND s.mentor_id <> $2"
		"   AND lower(s.during) > now()"
		" RETURNING" SESSION_COLUMNS,
		4, book, CURSOR_OPT_GENERIC_PLAN);
	complete_plan = mn_keep_plan(
		"UPDATE mentor.sessions s SET status = 'completed', completed_at = now()"
		" WHERE s.id = $1 AND s.status::text IN ('confirmed', 'rescheduled') AND s.mentee_id IS NOT NULL"
		"   AND lower(s.during) <= now()"
		" RETURNING" SESSION_COLUMNS,
		1, one, CURSOR_OPT_GENERIC_PLAN);
	complete_lock_plan = mn_keep_plan(
		"SELECT" SESSION_COLUMNS " FROM mentor.sessions s WHERE s.id = $1 FOR UPDATE OF s",
		1, one, CURSOR_OPT_GENERIC_PLAN);
}

static void
no_session(const char *id)
{
	ereport(ERROR,
			(errcode(ERRCODE_NO_DATA_FOUND),
			 errmsg("session %s does not exist", id)));
}

/* Reads a row of SESSION_COLUMNS into s. */
static void
read_session(HeapTuple row, TupleDesc desc, int64 id, Session *s)
{
	bool		isnull;
	Datum		d;

	s->id = id;
	s->mentor = DatumGetInt64(SPI_getbinval(row, desc, S_MENTOR, &isnull));
	d = SPI_getbinval(row, desc, S_MENTEE, &isnull);
	s->has_mentee = !isnull;
	s->mentee = isnull ? 0 : DatumGetInt64(d);
	s->status = SPI_getvalue(row, desc, S_STATUS);
	d = SPI_getbinval(row, desc, S_HOLD, &isnull);
	s->has_hold = !isnull;
	if (!isnull)
		s->hold = *DatumGetUUIDP(d);
	d = SPI_getbinval(row, desc, S_PARTS, &isnull);
	s->parts = isnull ? 0 : DatumGetInt32(d);
	s->price = DatumGetInt64(SPI_getbinval(row, desc, S_PRICE, &isnull));
	s->during = datumCopy(SPI_getbinval(row, desc, S_DURING, &isnull), false, -1);
	s->started = DatumGetBool(SPI_getbinval(row, desc, S_STARTED, &isnull));
	s->start = DatumGetTimestampTz(SPI_getbinval(row, desc, S_START, &isnull));
	s->end = DatumGetTimestampTz(SPI_getbinval(row, desc, S_END, &isnull));
}

/* Runs a kept plan that reads (or writes and returns) session id; the number of rows. */
static uint64
run_plan(SPIPlanPtr plan, Datum *args, const char *nulls, int64 id, int expected)
{
	int			ret = SPI_execute_plan(plan, args, nulls, false, 0);

	if (ret != expected)
		elog(ERROR, "a statement on session " INT64_FORMAT " failed: %s", id, SPI_result_code_string(ret));
	return SPI_processed;
}

/* The value of a scalar SQL call (SPI connected), for the rare lookups that may create rows or raise. */
static Datum
call_scalar(const char *sql, Oid argtype, Datum arg, bool *isnull)
{
	int			ret = SPI_execute_with_args(sql, argtype == InvalidOid ? 0 : 1, &argtype, &arg, NULL, false, 1);

	if (ret != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "\"%s\" failed: %s", sql, SPI_result_code_string(ret));
	return SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, isnull);
}

/* The revenue account, made on first use by mentor.system_account() like everywhere else. */
static int64
revenue_account(void)
{
	int64		acct = mn_named_account("revenue");
	bool		isnull;

	if (acct == 0)
		acct = DatumGetInt64(call_scalar("SELECT mentor.system_account('revenue')", InvalidOid, 0, &isnull));
	return acct;
}

/* A setting's text; mentor.setting() raises its own error when the setting does not exist at all. */
static const char *
setting_text(const char *key)
{
	bool		found;
	bool		isnull;
	char	   *value = mn_setting_text(key, &found);

	if (value != NULL)
		return value;
	if (!found)
		(void) call_scalar("SELECT mentor.setting($1)", TEXTOID, CStringGetTextDatum(key), &isnull);
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("setting %s is null", key),
			 errhint("UPDATE or INSERT a value in mentor.settings (key '%s', shipped false).", key)));
	return NULL;				/* keep compiler quiet */
}

/* mentor._derived_id(base, label): md5(base::text || ':' || label)::uuid */
static pg_uuid_t
derived_id(const pg_uuid_t *base, const char *label)
{
	char	   *s = psprintf("%s:%s", DatumGetCString(DirectFunctionCall1(uuid_out, UUIDPGetDatum(base))), label);
	const char *errstr = NULL;
	pg_uuid_t	out;

	if (!pg_md5_binary(s, strlen(s), out.data, &errstr))
		elog(ERROR, "could not compute MD5: %s", errstr);
	pfree(s);
	return out;
}

/* mentor._part_id(base, k): a multi-part call's k-th transfer id */
static pg_uuid_t
part_id(const pg_uuid_t *base, int k)
{
	char		label[16];

	if (k == 0)
		return *base;
	snprintf(label, sizeof(label), "%d", k);
	return derived_id(base, label);
}

/* How a booking is paid: one source account per part, promo first. */
typedef struct Payment
{
	MnTokenSource	   *src;
	int			n;
	int64		total;			/* tokens available over the sources used */
} Payment;

/* The available balance of an untracked account, which only mentor.balance() adds up. */
static int64
untracked_available(int64 account)
{
	bool		isnull;
	Datum		d = call_scalar("SELECT (mentor.balance($1)).available", INT8OID, Int64GetDatum(account), &isnull);

	return isnull ? 0 : DatumGetInt64(d);
}

/* The mentee's token sources, with what untracked ones hold. */
static void
read_sources(int64 mentee, MnTokenSources *src)
{
	int			i;

	mn_token_sources(mentee, src);
	for (i = 0; i < src->npromo; i++)
		if (!src->promo[i].tracked)
			src->promo[i].available = untracked_available(src->promo[i].account);
	if (src->wallet.account != 0 && !src->wallet.tracked)
		src->wallet.available = untracked_available(src->wallet.account);
}

/* The running totals of the promo tokens, from 0: book_plan's $4. */
static Datum
promo_totals(const MnTokenSources *src)
{
	Datum	   *totals = palloc(sizeof(Datum) * (src->npromo + 1));
	int64		sum = 0;
	int			n = 0,
				i;

	totals[n++] = Int64GetDatum(0);
	for (i = 0; i < src->npromo; i++)
		if (src->promo[i].available > 0 && !pg_add_s64_overflow(sum, src->promo[i].available, &sum))
			totals[n++] = Int64GetDatum(sum);
	return PointerGetDatum(construct_array(totals, n, INT8OID, sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/*
 * Splits the price over the sources: promo accounts with tokens left, then
 * the wallet for the rest; false when they do not add up to the price.  A
 * mentee without a wallet row gets one from mentor.wallet(), which also says
 * so when the user does not exist.
 */
static bool
plan_payment(const Session *s, int64 mentee, MnTokenSources *src, Payment *pay)
{
	int64		remaining = s->price;
	int			i;

	pay->src = palloc(sizeof(MnTokenSource) * (src->npromo + 1));
	pay->n = 0;
	pay->total = 0;
	for (i = 0; i < src->npromo && remaining > 0; i++)
	{
		MnTokenSource	   *p = &src->promo[i];

		if (p->available <= 0)
			continue;
		pay->src[pay->n] = *p;
		pay->src[pay->n].take = Min(remaining, p->available);
		remaining -= pay->src[pay->n++].take;
		pay->total += p->available;
	}
	if (remaining > 0)
	{
		if (src->wallet.account == 0)
		{
			bool		isnull;

			src->wallet.account = DatumGetInt64(call_scalar("SELECT mentor.wallet($1)", INT8OID,
															Int64GetDatum(mentee), &isnull));
			src->wallet.available = 0;
		}
		pay->src[pay->n] = src->wallet;
		pay->src[pay->n++].take = remaining;
		pay->total += src->wallet.available;
	}
	return pay->total >= s->price;
}

static void
not_enough_tokens(const Session *s, int64 mentee, const Payment *pay)
{
	ereport(ERROR,
			(errcode(ERRCODE_MN_INSUFFICIENT_FUNDS),
			 errmsg("user " INT64_FORMAT " has " INT64_FORMAT " tokens available, " INT64_FORMAT " needed",
					mentee, pay->total, s->price),
			 errdetail("Promotional and wallet tokens together: " INT64_FORMAT ".", pay->total),
			 errhint("Buy tokens with mentor.purchase_tokens().")));
}

/*
 * Holds the price: one pending transfer per source (ids from _part_id), in
 * one ledger call, until the session's end plus session.hold_grace.
 */
static void
hold_price(Session *s, const pg_uuid_t *id, const Payment *pay)
{
	MnLedger		L;
	int			i;
	text	   *kind = cstring_to_text("hold");
	text	   *reference = cstring_to_text(psprintf("session " INT64_FORMAT, s->id));
	Datum		grace = DirectFunctionCall3(interval_in, CStringGetDatum(setting_text("session.hold_grace")),
											ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
	TimestampTz expires_at = DatumGetTimestampTz(DirectFunctionCall2(timestamptz_pl_interval,
																	 TimestampTzGetDatum(s->end), grace));
	int64		revenue = revenue_account();

	mn_ledger_begin(&L);
	if (expires_at <= L.now)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the hold of session " INT64_FORMAT " would expire before it is made", s->id),
				 errhint("Set session.hold_grace in mentor.settings to a positive interval.")));
	L.ops = palloc0(sizeof(MnLedgerOp) * pay->n);
	L.nops = pay->n;
	for (i = 0; i < pay->n; i++)
	{
		MnLedgerOp		   *op = &L.ops[i];

		op->type = OP_PENDING;
		op->id = part_id(id, i);
		op->debit = pay->src[i].account;
		op->credit = revenue;
		op->amount = pay->src[i].take;
		op->kind = kind;
		op->reference = reference;
		op->expires_at = expires_at;
		mn_check_new_transfer(op);
	}
	mn_ledger_run(&L);
	mn_ledger_end(&L);
}

/*
 * The booking's UPDATE, which reads the session back into s; false when the
 * session is not open for this mentee.  The exclusion constraints decide
 * whether the mentee is free; when they refuse, a subtransaction lets
 * _explain_overlap name the session in the way, as the PL/pgSQL exception
 * block did.
 */
static bool
write_booking(Session *s, int64 session_id, int64 mentee, const pg_uuid_t *id, const MnTokenSources *src)
{
	Datum		args[4] = {Int64GetDatum(session_id), Int64GetDatum(mentee), UUIDPGetDatum(id), promo_totals(src)};
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	uint64		n = 0;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		n = run_plan(book_plan, args, NULL, session_id, SPI_OK_UPDATE_RETURNING);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;
		Oid			types[3] = {INT8OID, INT8OID, INT8OID};
		Datum		explain[3] = {Int64GetDatum(mentee), Int64GetDatum(session_id), Int64GetDatum(session_id)};

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
		if (edata->sqlerrcode != ERRCODE_EXCLUSION_VIOLATION)
			ReThrowError(edata);
		SPI_execute_with_args("SELECT mentor._explain_overlap(NULL, $1, s.during, $3)"
							  "  FROM mentor.sessions s WHERE s.id = $2", 3, types, explain, NULL, false, 1);
		ReThrowError(edata);	/* _explain_overlap always raises; this is a safety net */
	}
	PG_END_TRY();
	if (n == 1)
		read_session(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, session_id, s);
	return n == 1;
}

/* Holds the price the booking's UPDATE saw, split as that UPDATE counted its parts. */
static void
pay_booking(Session *s, int64 mentee, const pg_uuid_t *id, MnTokenSources *src)
{
	Payment		pay;

	if (s->price <= 0)
		return;
	if (!plan_payment(s, mentee, src, &pay))
		not_enough_tokens(s, mentee, &pay);
	if (pay.n != s->parts)
		elog(ERROR, "session " INT64_FORMAT ": the hold has %d parts, the session says %d", s->id, pay.n, s->parts);
	hold_price(s, id, &pay);
}

PG_FUNCTION_INFO_V1(mn_book_session);
/* mentor.book_session(session_id, mentee_id, id) -> bigint */
Datum
mn_book_session(PG_FUNCTION_ARGS)
{
	Session		s;
	MnTokenSources		src;
	Payment		pay;
	Datum		arg;
	int64		session_id = PG_ARGISNULL(0) ? 0 : PG_GETARG_INT64(0);
	int64		mentee = PG_ARGISNULL(1) ? 0 : PG_GETARG_INT64(1);
	pg_uuid_t	id;

	mn_prevent_read_only(fcinfo);
	if (PG_ARGISNULL(0))
		no_session("NULL");
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	prepare_plans();
	/*
	 * The common case, a mentee with a wallet booking an open session: the
	 * UPDATE alone (no lock beforehand), then the hold.
	 */
	if (!PG_ARGISNULL(1) && !PG_ARGISNULL(2))
	{
		id = *PG_GETARG_UUID_P(2);
		read_sources(mentee, &src);
		if (src.wallet.account != 0 && write_booking(&s, session_id, mentee, &id, &src))
		{
			pay_booking(&s, mentee, &id, &src);
			SPI_finish();
			PG_RETURN_INT64(session_id);
		}
	}

	/* Anything else: under the row lock, the checks in order, each with its own error. */
	arg = Int64GetDatum(session_id);
	if (run_plan(book_lock_plan, &arg, NULL, session_id, SPI_OK_SELECT) == 0)
		no_session(psprintf(INT64_FORMAT, session_id));
	read_session(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, session_id, &s);
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("mentee_id and id are required"),
				 errhint("id is the booking's idempotency key: generate one uuid per booking attempt and reuse it on retry.")));
	/* A retry of a booking that went through returns it. */
	if (s.has_hold && memcmp(&s.hold, &id, UUID_LEN) == 0 && s.has_mentee && s.mentee == mentee &&
		strcmp(s.status, "confirmed") == 0)
	{
		SPI_finish();
		PG_RETURN_INT64(s.id);
	}
	if (s.mentor == mentee)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a mentor cannot book their own session"),
				 errdetail("Session " INT64_FORMAT " belongs to user " INT64_FORMAT ".", s.id, s.mentor)));
	if ((strcmp(s.status, "pending") != 0 && strcmp(s.status, "tentative") != 0) || s.has_mentee)
		ereport(ERROR,
				(errcode(ERRCODE_MN_WRONG_STATE),
				 errmsg("session " INT64_FORMAT " is not open for booking", s.id),
				 errdetail("It is %s%s.", s.status, s.has_mentee ? " and taken" : "")));
	if (s.started)
		ereport(ERROR,
				(errcode(ERRCODE_MN_EXPIRED),
				 errmsg("session " INT64_FORMAT " has already started", s.id),
				 errhint("Book a session that starts later.")));
	/* Tokens before time: a mentee short of tokens hears that first, as from spend_tokens. */
	if (s.price > 0 && !plan_payment(&s, mentee, &src, &pay))
		not_enough_tokens(&s, mentee, &pay);
	if (!write_booking(&s, session_id, mentee, &id, &src))
		elog(ERROR, "session " INT64_FORMAT " changed under its row lock", session_id);
	pay_booking(&s, mentee, &id, &src);
	SPI_finish();
	PG_RETURN_INT64(s.id);
}

/*
 * Posts the whole hold and pays the mentor the price minus the platform fee,
 * in one ledger call; every id derives from the hold's, so it happens once.
 */
static void
settle_in_full(Session *s)
{
	int64		percent,
				fee,
				earned,
				revenue = 0,
				earnings = 0;
	MnLedger		L;
	int			i;
	bool		isnull;

	if (!s->has_hold)
		return;
	percent = DatumGetInt64(DirectFunctionCall1(numeric_int8,
												DirectFunctionCall3(numeric_in,
																	CStringGetDatum(setting_text("session.platform_fee_percent")),
																	ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1))));
	if (pg_mul_s64_overflow(s->price, percent, &fee))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("bigint out of range"),
				 errdetail("The fee of session " INT64_FORMAT ": " INT64_FORMAT " tokens at " INT64_FORMAT "%%.",
						   s->id, s->price, percent)));
	fee /= 100;
	earned = s->price - fee;
	if (earned > 0)
	{
		revenue = revenue_account();
		earnings = mn_owned_account(s->mentor, "earnings");
		if (earnings == 0)
			earnings = DatumGetInt64(call_scalar("SELECT mentor.earnings_account($1)", INT8OID,
												 Int64GetDatum(s->mentor), &isnull));
	}

	mn_ledger_begin(&L);
	L.ops = palloc0(sizeof(MnLedgerOp) * (s->parts + 1));
	for (i = 0; i < s->parts; i++)
	{
		MnLedgerOp		   *op = &L.ops[L.nops++];

		op->type = OP_POST;
		op->pending_id = part_id(&s->hold, i);
		op->id = derived_id(&op->pending_id, "settle");
	}
	if (earned > 0)
	{
		MnLedgerOp		   *op = &L.ops[L.nops++];

		op->type = OP_POSTED;
		op->id = derived_id(&s->hold, "earnings");
		op->debit = revenue;
		op->credit = earnings;
		op->amount = earned;
		op->kind = cstring_to_text("earning");
		op->reference = cstring_to_text(psprintf("session " INT64_FORMAT, s->id));
		mn_check_new_transfer(op);
	}
	if (L.nops > 0)
		mn_ledger_run(&L);
	mn_ledger_end(&L);
}

PG_FUNCTION_INFO_V1(mn_complete_session);
/* mentor.complete_session(session_id) -> boolean */
Datum
mn_complete_session(PG_FUNCTION_ARGS)
{
	Session		s;
	Datum		arg;

	mn_prevent_read_only(fcinfo);
	if (PG_ARGISNULL(0))
		no_session("NULL");
	arg = PG_GETARG_DATUM(0);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	prepare_plans();
	if (run_plan(complete_plan, &arg, NULL, DatumGetInt64(arg), SPI_OK_UPDATE_RETURNING) == 0)
	{
		/* Not completable right now: under the row lock, find out why. */
		if (run_plan(complete_lock_plan, &arg, NULL, DatumGetInt64(arg), SPI_OK_SELECT) == 0)
			no_session(psprintf(INT64_FORMAT, DatumGetInt64(arg)));
		read_session(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, DatumGetInt64(arg), &s);
		if (strcmp(s.status, "completed") == 0)
		{
			SPI_finish();
			PG_RETURN_BOOL(false);	/* already done: the mentor is paid once */
		}
		if ((strcmp(s.status, "confirmed") != 0 && strcmp(s.status, "rescheduled") != 0) || !s.has_mentee)
			ereport(ERROR,
					(errcode(ERRCODE_MN_WRONG_STATE),
					 errmsg("session " INT64_FORMAT " cannot be completed", s.id),
					 errdetail("It is %s%s.", s.status, s.has_mentee ? "" : " and nobody booked it")));
		if (!s.started)
			ereport(ERROR,
					(errcode(ERRCODE_MN_WRONG_STATE),
					 errmsg("session " INT64_FORMAT " has not started yet", s.id),
					 errdetail("It starts at %s.",
							   DatumGetCString(DirectFunctionCall1(timestamptz_out, TimestampTzGetDatum(s.start))))));
		/* It became completable since the first attempt (and is now locked): complete it. */
		if (run_plan(complete_plan, &arg, NULL, s.id, SPI_OK_UPDATE_RETURNING) != 1)
			elog(ERROR, "session " INT64_FORMAT " changed under its row lock", s.id);
	}
	read_session(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, DatumGetInt64(arg), &s);
	settle_in_full(&s);
	SPI_finish();
	PG_RETURN_BOOL(true);
}
