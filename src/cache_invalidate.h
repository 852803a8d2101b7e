/*
 * cache_invalidate.h - the module caches that a relcache invalidation drops.
 */
#ifndef CACHE_INVALIDATE_H
#define CACHE_INVALIDATE_H

#include "postgres.h"

extern void mn_cache_invalidate_init(void);

/* Each module's handler: relid is the changed relation, InvalidOid for "all". */
extern void mn_direct_relcache(Oid relid);			/* direct.c */
extern void mn_lifecycle_relcache(Oid relid);		/* lifecycle.c */
extern void mn_history_relcache(Oid relid);			/* history.c */
extern void mn_history_partitions_relcache(Oid relid);	/* history_partitions.c */
extern void mn_ledger_accounts_relcache(Oid relid);	/* ledger_accounts.c */
extern void mn_settings_relcache(Oid relid);		/* settings.c */
extern void mn_workflow_relcache(Oid relid);		/* workflow.c */

#endif							/* CACHE_INVALIDATE_H */
