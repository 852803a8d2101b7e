/*
 * import.c - historical imports (mentor.import_rows).  A backend-local flag,
 * raised only by the extension's import function around the INSERT it runs,
 * tells the lifecycle trigger and the signup and session checks that the
 * rows come from another system's past, not from a live request: a completed
 * session may start in the past, a mentorship may arrive completed.  The
 * flag is not a GUC, so no SET can raise it; it falls when the
 * (sub)transaction that raised it ends, whatever happens.
 */
#include "postgres.h"

#include "access/xact.h"
#include "fmgr.h"

#include "mentor.h"

static bool importing = false;
static int	import_level = 0;	/* transaction nesting level that raised it */
static bool callbacks_registered = false;

static void
import_xact_end(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT ||
		event == XACT_EVENT_PARALLEL_COMMIT || event == XACT_EVENT_PARALLEL_ABORT ||
		event == XACT_EVENT_PREPARE)
		importing = false;
}

static void
import_subxact_end(SubXactEvent event, SubTransactionId mySubid, SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB && importing && import_level >= GetCurrentTransactionNestLevel())
		importing = false;
}

bool
mn_importing(void)
{
	return importing;
}

PG_FUNCTION_INFO_V1(mn_import_flag);
/* mentor._import_flag(on boolean) -> boolean: raises or lowers the flag, returns it */
Datum
mn_import_flag(PG_FUNCTION_ARGS)
{
	if (!callbacks_registered)
	{
		RegisterXactCallback(import_xact_end, NULL);
		RegisterSubXactCallback(import_subxact_end, NULL);
		callbacks_registered = true;
	}
	importing = !PG_ARGISNULL(0) && PG_GETARG_BOOL(0);
	import_level = GetCurrentTransactionNestLevel();
	PG_RETURN_BOOL(importing);
}

PG_FUNCTION_INFO_V1(mn_importing_sql);
/* mentor._importing() -> boolean, for the PL/pgSQL triggers that relax for imports */
Datum
mn_importing_sql(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(importing);
}
