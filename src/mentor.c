/*
 * mentor.c - module entry point.
 *
 * Owns _PG_init: the GUCs and cache callbacks of the other modules (the
 * acting user lives in actor.c).
 */
#include "postgres.h"

#include "access/parallel.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/guc.h"

#include "mentor.h"
#include "mentor_errcodes.h"
#include "history.h"
#include "cache_invalidate.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

static char *score_source_guc = NULL;

/*
 * historical_scores records who wrote a score; only the extension's own
 * (SECURITY DEFINER) functions may say so, or any role could pass its own
 * edit off as a cross-check's.
 */
static bool
check_score_source(char **newval, void **extra, GucSource source)
{
	if (*newval == NULL || (*newval)[0] == '\0' || superuser() || InitializingParallelWorker)
		return true;
	GUC_check_errcode(ERRCODE_INSUFFICIENT_PRIVILEGE);
	GUC_check_errmsg("mentor.score_source is set only by the extension's functions");
	GUC_check_errhint("Scores written by SQL are recorded with source NULL; cross-checks and reviews set their own.");
	return false;
}

void
_PG_init(void)
{
	mn_actor_init();
	mn_secrets_init();
	/* set transaction-locally by the functions that write scores in bulk */
	DefineCustomStringVariable("mentor.score_source",
							   "What is writing task scores in this transaction (crosscheck:<method>, review...).",
							   "Recorded in historical_scores as \"source\"; set by the extension's functions.",
							   &score_source_guc, "", PGC_USERSET, GUC_NOT_IN_SAMPLE | GUC_NO_SHOW_ALL,
							   check_score_source, NULL, NULL);

#if PG_VERSION_NUM >= 150000
	MarkGUCPrefixReserved("mentor");
#else
	EmitWarningsOnPlaceholders("mentor");
#endif
	mn_cache_invalidate_init();
	mn_history_init();
}
