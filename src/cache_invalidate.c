/*
 * cache_invalidate.c - one relcache callback for every module cache.
 *
 * A backend has room for only MAX_RELCACHE_CALLBACKS (10) relcache callbacks,
 * shared by every extension it loads; registering one per module cache would
 * take six of them and can make another extension fail to load beside this
 * one.  So _PG_init registers this single callback, which hands each
 * invalidation to the module handlers in turn.  A handler only flags its
 * cache; nothing is freed or rebuilt inside the callback.
 */
#include "postgres.h"

#include "utils/inval.h"

#include "cache_invalidate.h"

static void
mn_relcache_callback(Datum arg, Oid relid)
{
	mn_direct_relcache(relid);
	mn_lifecycle_relcache(relid);
	mn_history_relcache(relid);
	mn_history_partitions_relcache(relid);
	mn_ledger_accounts_relcache(relid);
	mn_settings_relcache(relid);
	mn_workflow_relcache(relid);
}

void
mn_cache_invalidate_init(void)
{
	CacheRegisterRelcacheCallback(mn_relcache_callback, (Datum) 0);
}
