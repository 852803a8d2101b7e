/*
 * ledger_sql.c - the ledger's SQL functions: argument checks, then one call
 * of the pipeline (ledger.c) per transfer, batch, post, void or expiry run;
 * and the trigger that keeps transfers and entries immutable.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "mentor.h"
#include "mentor_errcodes.h"
#include "ledger.h"

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
expiry_from_timeout(MnLedger *L, Interval *timeout)
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
	MnLedger		L;
	MnLedgerOp			op = {0};
	bool		pending = !PG_ARGISNULL(6) && PG_GETARG_BOOL(6);

	mn_prevent_read_only(fcinfo);
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
	mn_check_new_transfer(&op);

	mn_ledger_begin(&L);
	L.restricted = !mn_current_user_is_admin();
	if (!PG_ARGISNULL(7))
		op.expires_at = expiry_from_timeout(&L, PG_GETARG_INTERVAL_P(7));
	L.ops = &op;
	L.nops = 1;
	mn_ledger_run(&L);
	mn_ledger_end(&L);
	PG_RETURN_UUID_P(PG_GETARG_UUID_P(0));
}

/*
 * A purchase's or withdrawal's hold moves with its request's status, so only
 * the functions that move both (SECURITY DEFINER: superuser) may resolve it;
 * ledger_check() reports a hold and request that disagree.
 */
static void
refuse_request_hold(const pg_uuid_t *hold, MnLedgerOpType type)
{
	static SPIPlanPtr plan = NULL;
	Datum		arg = UUIDPGetDatum(hold);
	char	   *owner = NULL;
	int			rc;

	SPI_connect();
	if (plan == NULL)
	{
		Oid			argtype = UUIDOID;

		plan = mn_keep_plan("SELECT 'purchase' FROM mentor.token_purchases WHERE id = $1 "
							"UNION ALL SELECT 'withdrawal' FROM mentor.withdrawals WHERE id = $1", 1, &argtype, 0);
	}
	rc = SPI_execute_plan(plan, &arg, NULL, true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "looking up the request of hold %s failed: %s", mn_uuid_str(hold), SPI_result_code_string(rc));
	if (SPI_processed > 0)
		owner = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	SPI_finish();
	if (owner == NULL)
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("hold %s belongs to a %s and cannot be %s directly", mn_uuid_str(hold), owner,
					type == OP_POST ? "posted" : "voided"),
			 errdetail("Resolving it alone would leave the %s's status disagreeing with its hold.", owner),
			 strcmp(owner, "purchase") == 0 ?
			 errhint("Use mentor.confirm_purchase(), mentor.fail_purchase() or mentor.cancel_purchase().") :
			 errhint("Use mentor.approve_withdrawal() or mentor.reject_withdrawal() (mentor_admin).")));
}

static Datum
resolve(FunctionCallInfo fcinfo, MnLedgerOpType type)
{
	MnLedger		L;
	MnLedgerOp			op = {0};

	mn_prevent_read_only(fcinfo);
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("pending_id and id must not be NULL"),
				 errhint("id is the idempotency key of this %s.", mn_op_verb(type))));
	op.type = type;
	op.pending_id = *PG_GETARG_UUID_P(0);
	op.id = *PG_GETARG_UUID_P(1);
	if (type == OP_POST && PG_NARGS() > 2 && !PG_ARGISNULL(2))
	{
		op.amount = PG_GETARG_INT64(2);
		op.amount_given = true;
	}
	if (!superuser())
		refuse_request_hold(&op.pending_id, type);
	mn_ledger_begin(&L);
	L.restricted = !mn_current_user_is_admin();
	L.ops = &op;
	L.nops = 1;
	mn_ledger_run(&L);
	mn_ledger_end(&L);
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
	MnLedger		L;
	Oid			types[1] = {TIMESTAMPTZOID};
	Datum		values[1];
	int			ret,
				i,
				expired = 0;
	uint64		n;
	pg_uuid_t  *ids;

	mn_prevent_read_only(fcinfo);
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

	mn_ledger_begin(&L);
	L.ops = palloc0(sizeof(MnLedgerOp) * n);
	L.nops = (int) n;
	for (i = 0; i < (int) n; i++)
	{
		L.ops[i].type = OP_EXPIRE;
		L.ops[i].pending_id = ids[i];
	}
	mn_ledger_run(&L);
	for (i = 0; i < (int) n; i++)
		if (!L.ops[i].skipped)
			expired++;
	mn_ledger_end(&L);
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
	MnLedger		L;
	int			i;

	mn_prevent_read_only(fcinfo);
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

	mn_ledger_begin(&L);
	L.restricted = !mn_current_user_is_admin();
	if (!PG_ARGISNULL(7))
		expires_at = expiry_from_timeout(&L, PG_GETARG_INTERVAL_P(7));
	L.ops = palloc0(sizeof(MnLedgerOp) * ids.n);
	L.nops = ids.n;
	for (i = 0; i < ids.n; i++)
	{
		MnLedgerOp		   *op = &L.ops[i];
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
		mn_check_new_transfer(op);
	}
	mn_ledger_run(&L);

	mn_materialize_srf(fcinfo);
	for (i = 0; i < L.nops; i++)
	{
		Datum		values[3];
		bool		nulls[3] = {false};

		values[0] = Int32GetDatum(i + 1);
		values[1] = UUIDPGetDatum(&L.ops[i].id);
		values[2] = BoolGetDatum(!L.ops[i].duplicate);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	mn_ledger_end(&L);
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
