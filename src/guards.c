/*
 * guards.c - what a role may write, where grants alone cannot say it.
 *
 * Owns the trigger mentor._keep_owned_columns(hint, column...), which keeps
 * columns that the extension maintains itself (counters, ratings, scores) out
 * of reach of every role but the extension's own code, and the "is this an
 * administrator" test that the ledger and the SQL guards share.
 *
 * Why a trigger and not column grants: ORMs write every mapped column on
 * INSERT and UPDATE, unchanged ones included, and a column grant refuses
 * those too.  The trigger refuses only a value that differs: on INSERT from
 * the column's default, on UPDATE from the old value.  The extension's own
 * writers run as SECURITY DEFINER functions owned by the superuser that
 * installed it, which is how the trigger tells them apart.
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "optimizer/optimizer.h"
#include "rewrite/rewriteHandler.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "mentor.h"

/* The current user has the privileges of mentor_admin (superusers do). */
bool
mn_current_user_is_admin(void)
{
	Oid			admin = get_role_oid("mentor_admin", true);

	return superuser() || (OidIsValid(admin) && has_privs_of_role(GetUserId(), admin));
}

/* The value column attnum gets on INSERT when none is given. */
static Datum
column_default(Relation rel, AttrNumber attnum, bool *isnull)
{
	Node	   *expr = build_column_default(rel, attnum);
	EState	   *estate;
	ExprState  *es;
	Datum		d;
	Form_pg_attribute att = TupleDescAttr(RelationGetDescr(rel), attnum - 1);

	*isnull = true;
	if (expr == NULL)
		return (Datum) 0;
	/* Kept columns default to constants (0, 0.00, NULL): no executor for those, on every insert. */
	expr = (Node *) expression_planner((Expr *) expr);
	if (IsA(expr, Const))
	{
		*isnull = ((Const *) expr)->constisnull;
		return ((Const *) expr)->constvalue;
	}
	estate = CreateExecutorState();
	es = ExecPrepareExpr((Expr *) expr, estate);
	d = ExecEvalExprSwitchContext(es, GetPerTupleExprContext(estate), isnull);
	if (!*isnull)
		d = datumCopy(d, att->attbyval, att->attlen);
	FreeExecutorState(estate);
	return d;
}

PG_FUNCTION_INFO_V1(mn_keep_owned_columns);
/*
 * BEFORE INSERT OR UPDATE FOR EACH ROW; arguments: a hint saying what keeps
 * the columns, then the columns.  A non-superuser may not give them a value
 * of its own (42501); the same value (or the default on INSERT) passes.
 */
Datum
mn_keep_owned_columns(PG_FUNCTION_ARGS)
{
	TriggerData *td;
	Relation	rel;
	TupleDesc	desc;
	HeapTuple	newtup;
	bool		insert;
	int			i;

	mn_check_row_trigger(fcinfo, "_keep_owned_columns", -1, true);
	td = (TriggerData *) fcinfo->context;
	rel = td->tg_relation;
	desc = RelationGetDescr(rel);
	insert = TRIGGER_FIRED_BY_INSERT(td->tg_event);
	newtup = insert ? td->tg_trigtuple : td->tg_newtuple;
	if (td->tg_trigger->tgnargs < 2)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("trigger \"%s\" must pass a hint and at least one column to _keep_owned_columns()",
						td->tg_trigger->tgname)));
	if (superuser())
		return PointerGetDatum(newtup);

	for (i = 1; i < td->tg_trigger->tgnargs; i++)
	{
		const char *col = td->tg_trigger->tgargs[i];
		AttrNumber	attnum = get_attnum(RelationGetRelid(rel), col);
		Form_pg_attribute att;
		Datum		now,
					was;
		bool		now_null,
					was_null;

		if (attnum == InvalidAttrNumber)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("trigger \"%s\" names column \"%s\", which %s does not have",
							td->tg_trigger->tgname, col, mn_qualified_name(rel))));
		att = TupleDescAttr(desc, attnum - 1);
		now = heap_getattr(newtup, attnum, desc, &now_null);
		if (insert)
			was = column_default(rel, attnum, &was_null);
		else
			was = heap_getattr(td->tg_trigtuple, attnum, desc, &was_null);
		if (mn_same_value(att, now, now_null, was, was_null))
			continue;
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("column %s of %s is kept by the extension and cannot be %s",
						quote_identifier(col), mn_qualified_name(rel), insert ? "given a value" : "changed"),
				 errdetail("%s", insert ? "On INSERT it must be left out or keep its default."
						   : mn_describe_row(rel, td->tg_trigtuple)),
				 errhint("%s", td->tg_trigger->tgargs[0])));
	}
	return PointerGetDatum(newtup);
}

PG_FUNCTION_INFO_V1(mn_current_user_is_admin_sql);
/* mentor._current_user_is_admin() -> boolean, for the SQL guards and views. */
Datum
mn_current_user_is_admin_sql(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(mn_current_user_is_admin());
}
