/*
 * sessions.c - the two steps every paid session goes through, book_session
 * and complete_session.  The session row is locked and written through kept
 * SPI plans, so its triggers, constraints and history apply as to any write;
 * the money goes straight through the ledger's pipeline, one call per step.
 * The PL/pgSQL these replace spent most of a cycle in helper calls (settings,
 * account lookups, spend_tokens), each one re-entering the executor.  The
 * rest of the module (requests, cancelling, rescheduling) is 62_sessions.sql.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "common/int.h"
#include "common/md5.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/memutils.h"
#include "utils/rangetypes.h"
#include "utils/resowner.h"
#include "utils/uuid.h"

#include "mentor.h"
#include "mentor_errcodes.h"
#include "ledger.h"

/* What both steps read of the session, in the lock query's column order (1-based). */
enum
{
	S_MENTOR = 1, S_MENTEE, S_STATUS, S_HOLD, S_PARTS, S_PRICE, S_DURING, S_STARTED, S_START, S_END,
	S_REVENUE, S_SETTING, S_EARNINGS
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
	int64		revenue;		/* 0: the account does not exist yet */
	char	   *setting;		/* the step's setting as text, NULL when missing or JSON null */
	int64		earnings;		/* complete: the mentor's earnings account, 0 when missing */
} Session;

/*
 * The session row, locked, with what each step looks up besides: the revenue
 * account, the setting it reads (by its override, else the shipped default)
 * and for completion the mentor's earnings account.  One statement, so a step
 * enters the executor once for all of it.
 */
#define LOCK_SQL(setting_key, extra) \
	"SELECT s.mentor_id, s.mentee_id, s.status::text, s.hold_id, s.hold_parts, s.price_tokens, s.during," \
	"       lower(s.during) <= now(), lower(s.during), upper(s.during)," \
	"       (SELECT a.id FROM mentor.ledger_accounts a WHERE a.name = 'revenue')," \
	"       (SELECT v.value #>> '{}' FROM mentor.settings v WHERE v.key = '" setting_key "'" \
	"         ORDER BY v.shipped LIMIT 1)" extra \
	"  FROM mentor.sessions s WHERE s.id = $1 FOR UPDATE OF s"

static SPIPlanPtr book_lock_plan, complete_lock_plan, sources_plan, book_update_plan, complete_update_plan;

static void
prepare_plans(void)
{
	Oid			one[1] = {INT8OID};
	Oid			book[4] = {INT8OID, INT8OID, UUIDOID, INT4OID};

	if (complete_update_plan != NULL)
		return;
	book_lock_plan = mn_keep_plan(LOCK_SQL("session.hold_grace", ""), 1, one, CURSOR_OPT_GENERIC_PLAN);
	complete_lock_plan = mn_keep_plan(LOCK_SQL("session.platform_fee_percent",
											   ", (SELECT a.id FROM mentor.ledger_accounts a"
											   "    WHERE a.owner_id = s.mentor_id AND a.kind = 'earnings' AND a.asset = 'TOKEN'"
											   "      AND a.kind IN ('wallet', 'earnings', 'escrow'))"),
									  1, one, CURSOR_OPT_GENERIC_PLAN);
	/*
	 * Where a mentee's tokens come from: unexpired promo accounts, earliest
	 * expiry first, then the wallet (mentor.spend_tokens' order).  The kind
	 * lists repeat the partial indexes' predicates so the generic plan uses
	 * them.
	 */
	sources_plan = mn_keep_plan(
		"SELECT x.id, x.available, x.is_wallet FROM ("
		"  SELECT a.id, a.expires_at, false AS is_wallet,"
		"         CASE WHEN a.track_balance THEN a.posted - a.pending_debits"
		"              ELSE (mentor.balance(a.id)).available END AS available"
		"    FROM mentor.ledger_accounts a"
		"   WHERE a.owner_id = $1 AND a.kind = 'promo' AND a.expires_at > now() AND NOT a.closed"
		"  UNION ALL"
		"  SELECT a.id, NULL, true,"
		"         CASE WHEN a.track_balance THEN a.posted - a.pending_debits"
		"              ELSE (mentor.balance(a.id)).available END"
		"    FROM mentor.ledger_accounts a"
		"   WHERE a.owner_id = $1 AND a.kind = 'wallet' AND a.asset = 'TOKEN'"
		"     AND a.kind IN ('wallet', 'earnings', 'escrow')) x"
		" ORDER BY x.is_wallet, x.expires_at, x.id",
		1, one, CURSOR_OPT_GENERIC_PLAN);
	book_update_plan = mn_keep_plan(
		"UPDATE mentor.sessions SET mentee_id = $2, status = 'confirmed', hold_id = $3, hold_parts = $4 WHERE id = $1",
		4, book, CURSOR_OPT_GENERIC_PLAN);
	complete_update_plan = mn_keep_plan(
		"UPDATE mentor.sessions SET status = 'completed', completed_at = now() WHERE id = $1",
		1, one, CURSOR_OPT_GENERIC_PLAN);
}

static void
no_session(const char *id)
{
	ereport(ERROR,
			(errcode(ERRCODE_NO_DATA_FOUND),
			 errmsg("session %s does not exist", id)));
}

/* Locks the session row and reads it into s (SPI connected); P0002 when there is none. */
static void
lock_session(SPIPlanPtr plan, int64 id, Session *s)
{
	Datum		arg = Int64GetDatum(id);
	HeapTuple	row;
	TupleDesc	desc;
	bool		isnull;
	Datum		d;
	int			ret = SPI_execute_plan(plan, &arg, NULL, false, 1);

	if (ret != SPI_OK_SELECT)
		elog(ERROR, "locking session " INT64_FORMAT " failed: %s", id, SPI_result_code_string(ret));
	if (SPI_processed == 0)
		no_session(psprintf(INT64_FORMAT, id));
	row = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
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
	d = SPI_getbinval(row, desc, S_REVENUE, &isnull);
	s->revenue = isnull ? 0 : DatumGetInt64(d);
	s->setting = SPI_getvalue(row, desc, S_SETTING);
	s->earnings = 0;
	if (desc->natts >= S_EARNINGS)
	{
		d = SPI_getbinval(row, desc, S_EARNINGS, &isnull);
		s->earnings = isnull ? 0 : DatumGetInt64(d);
	}
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
revenue_account(Session *s)
{
	bool		isnull;

	if (s->revenue == 0)
		s->revenue = DatumGetInt64(call_scalar("SELECT mentor.system_account('revenue')", InvalidOid, 0, &isnull));
	return s->revenue;
}

/* A setting's text; mentor.setting() raises its own error when the setting does not exist at all. */
static const char *
setting_text(const Session *s, const char *key)
{
	bool		isnull;

	if (s->setting != NULL)
		return s->setting;
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

typedef struct Source
{
	int64		account;
	int64		take;
} Source;

/*
 * Holds the price from the mentee: promo tokens first, then the wallet, one
 * pending transfer per source account (ids from _part_id), all in one ledger
 * call.  Returns the number of parts.
 */
static int
hold_price(Session *s, int64 mentee, const pg_uuid_t *id)
{
	Datum		arg = Int64GetDatum(mentee);
	Source	   *src;
	int64		remaining = s->price,
				total = 0,
				wallet = 0,
				wallet_available = 0;
	int			n = 0,
				i,
				ret;
	uint64		r;
	bool		isnull;
	Ledger		L;
	TimestampTz expires_at = 0;
	text	   *kind = cstring_to_text("hold");
	text	   *reference = cstring_to_text(psprintf("session " INT64_FORMAT, s->id));

	ret = SPI_execute_plan(sources_plan, &arg, NULL, false, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "reading the accounts of user " INT64_FORMAT " failed: %s", mentee, SPI_result_code_string(ret));
	src = palloc(sizeof(Source) * (SPI_processed + 1));
	for (r = 0; r < SPI_processed; r++)
	{
		HeapTuple	row = SPI_tuptable->vals[r];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		int64		account = DatumGetInt64(SPI_getbinval(row, desc, 1, &isnull));
		Datum		d = SPI_getbinval(row, desc, 2, &isnull);
		int64		available = isnull ? 0 : DatumGetInt64(d);

		if (DatumGetBool(SPI_getbinval(row, desc, 3, &isnull)))
		{
			wallet = account;
			wallet_available = available;
			continue;
		}
		if (available <= 0 || remaining == 0)
			continue;
		src[n].account = account;
		src[n].take = Min(remaining, available);
		remaining -= src[n++].take;
		total += available;
	}
	if (remaining > 0)
	{
		if (wallet == 0)		/* no wallet yet: mentor.wallet() opens it, or says who does not exist */
			wallet = DatumGetInt64(call_scalar("SELECT mentor.wallet($1)", INT8OID, arg, &isnull));
		src[n].account = wallet;
		src[n++].take = remaining;
		total += wallet_available;
	}
	if (total < s->price)
		ereport(ERROR,
				(errcode(ERRCODE_MN_INSUFFICIENT_FUNDS),
				 errmsg("user " INT64_FORMAT " has " INT64_FORMAT " tokens available, " INT64_FORMAT " needed",
						mentee, total, s->price),
				 errdetail("Promotional and wallet tokens together: " INT64_FORMAT ".", total),
				 errhint("Buy tokens with mentor.purchase_tokens().")));
	/* The hold lasts until the session's end plus session.hold_grace. */
	expires_at = DatumGetTimestampTz(DirectFunctionCall2(timestamptz_pl_interval, TimestampTzGetDatum(s->end),
														 DirectFunctionCall3(interval_in,
																			 CStringGetDatum(setting_text(s, "session.hold_grace")),
																			 ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1))));
	revenue_account(s);

	mn_ledger_begin(&L);
	if (expires_at <= L.now)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the hold of session " INT64_FORMAT " would expire before it is made", s->id),
				 errhint("Set session.hold_grace in mentor.settings to a positive interval.")));
	L.ops = palloc0(sizeof(Op) * n);
	L.nops = n;
	for (i = 0; i < n; i++)
	{
		Op		   *op = &L.ops[i];

		op->type = OP_PENDING;
		op->id = part_id(id, i);
		op->debit = src[i].account;
		op->credit = s->revenue;
		op->amount = src[i].take;
		op->kind = kind;
		op->reference = reference;
		op->expires_at = expires_at;
		mn_check_new_transfer(op);
	}
	mn_ledger_run(&L);
	mn_ledger_end(&L);
	return n;
}

/*
 * Books the session.  The exclusion constraints decide whether the mentee is
 * free; when they refuse, a subtransaction lets _explain_overlap name the
 * session in the way, as the PL/pgSQL exception block did.
 */
static void
confirm_booking(Session *s, int64 mentee, const pg_uuid_t *id, int parts)
{
	Datum		args[4] = {Int64GetDatum(s->id), Int64GetDatum(mentee), UUIDPGetDatum(id), Int32GetDatum(parts)};
	char		nulls[4] = {' ', ' ', parts > 0 ? ' ' : 'n', parts > 0 ? ' ' : 'n'};
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		int			ret = SPI_execute_plan(book_update_plan, args, nulls, false, 0);

		if (ret != SPI_OK_UPDATE || SPI_processed != 1)
			elog(ERROR, "booking session " INT64_FORMAT " updated " UINT64_FORMAT " rows", s->id, SPI_processed);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;
		Oid			types[3] = {INT8OID, TSTZRANGEOID, INT8OID};
		Datum		explain[3] = {Int64GetDatum(mentee), s->during, Int64GetDatum(s->id)};

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
		if (edata->sqlerrcode != ERRCODE_EXCLUSION_VIOLATION)
			ReThrowError(edata);
		SPI_execute_with_args("SELECT mentor._explain_overlap(NULL, $1, $2, $3)", 3, types, explain, NULL, false, 1);
		ReThrowError(edata);	/* _explain_overlap always raises; this is a safety net */
	}
	PG_END_TRY();
}

PG_FUNCTION_INFO_V1(mn_book_session);
/* mentor.book_session(session_id, mentee_id, id) -> bigint */
Datum
mn_book_session(PG_FUNCTION_ARGS)
{
	Session		s;
	int64		mentee;
	pg_uuid_t	id;
	int			parts = 0;

	if (PG_ARGISNULL(0))
		no_session("NULL");
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	prepare_plans();
	lock_session(book_lock_plan, PG_GETARG_INT64(0), &s);
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("mentee_id and id are required"),
				 errhint("id is the booking's idempotency key: generate one uuid per booking attempt and reuse it on retry.")));
	mentee = PG_GETARG_INT64(1);
	id = *PG_GETARG_UUID_P(2);
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
	if (strcmp(s.status, "pending") != 0 || s.has_mentee)
		ereport(ERROR,
				(errcode(ERRCODE_MN_WRONG_STATE),
				 errmsg("session " INT64_FORMAT " is not open for booking", s.id),
				 errdetail("It is %s%s.", s.status, s.has_mentee ? " and taken" : "")));
	if (s.started)
		ereport(ERROR,
				(errcode(ERRCODE_MN_EXPIRED),
				 errmsg("session " INT64_FORMAT " has already started", s.id)));
	if (s.price > 0)
		parts = hold_price(&s, mentee, &id);
	confirm_booking(&s, mentee, &id, parts);
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
				earned;
	Ledger		L;
	int			i;
	bool		isnull;

	if (!s->has_hold)
		return;
	percent = DatumGetInt64(DirectFunctionCall1(numeric_int8,
												DirectFunctionCall3(numeric_in,
																	CStringGetDatum(setting_text(s, "session.platform_fee_percent")),
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
		revenue_account(s);
		if (s->earnings == 0)
			s->earnings = DatumGetInt64(call_scalar("SELECT mentor.earnings_account($1)", INT8OID,
													Int64GetDatum(s->mentor), &isnull));
	}

	mn_ledger_begin(&L);
	L.ops = palloc0(sizeof(Op) * (s->parts + 1));
	for (i = 0; i < s->parts; i++)
	{
		Op		   *op = &L.ops[L.nops++];

		op->type = OP_POST;
		op->pending_id = part_id(&s->hold, i);
		op->id = derived_id(&op->pending_id, "settle");
	}
	if (earned > 0)
	{
		Op		   *op = &L.ops[L.nops++];

		op->type = OP_POSTED;
		op->id = derived_id(&s->hold, "earnings");
		op->debit = s->revenue;
		op->credit = s->earnings;
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
	int			ret;

	if (PG_ARGISNULL(0))
		no_session("NULL");
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	prepare_plans();
	lock_session(complete_lock_plan, PG_GETARG_INT64(0), &s);
	if (strcmp(s.status, "completed") == 0)
	{
		SPI_finish();
		PG_RETURN_BOOL(false);	/* already done: the mentor is paid once */
	}
	if (strcmp(s.status, "confirmed") != 0 || !s.has_mentee)
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
	settle_in_full(&s);
	arg = Int64GetDatum(s.id);
	ret = SPI_execute_plan(complete_update_plan, &arg, NULL, false, 0);
	if (ret != SPI_OK_UPDATE || SPI_processed != 1)
		elog(ERROR, "completing session " INT64_FORMAT " updated " UINT64_FORMAT " rows", s.id, SPI_processed);
	SPI_finish();
	PG_RETURN_BOOL(true);
}
