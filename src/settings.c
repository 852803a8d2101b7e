/*
 * settings.c - the platform settings (core module) read from C: what
 * mentor.setting(key) returns, without the executor, for the C code that
 * reads a setting on every call (booking and completing sessions, the
 * sessions' lifecycle trigger).  Values are cached per backend; the settings
 * table's statement trigger (_table_cache_changed) drops the cache in every
 * backend when a setting changes, in this one from its next statement.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "commands/trigger.h"
#include "utils/rel.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/snapmgr.h"

#include "mentor.h"
#include "cache_invalidate.h"

/* One cached lookup: the key, whether it exists, its text (NULL for JSON null). */
typedef struct CachedSetting
{
	char	   *key;
	bool		found;
	char	   *value;
} CachedSetting;

#define MAX_CACHED_SETTINGS 32

static MemoryContext SettingsContext = NULL;
static CachedSetting cached[MAX_CACHED_SETTINGS];
static int	ncached = 0;
static bool SettingsStale = true;
static bool SettingsCacheable = false;
static Oid	settings_oid = InvalidOid;

/*
 * Values are cached only while the settings table has its invalidation
 * trigger: a 0.1 schema served by this library has none, and must read every
 * time.  Creating, dropping or disabling a trigger invalidates the relcache
 * entry, so the answer is looked at again then.
 */
static bool
settings_have_invalidation(void)
{
	Relation	rel = table_open(settings_oid, AccessShareLock);
	bool		found = false;
	int			i;

	for (i = 0; rel->trigdesc != NULL && i < rel->trigdesc->numtriggers; i++)
		if (strcmp(rel->trigdesc->triggers[i].tgname, "settings_cache_invalidate") == 0 &&
			rel->trigdesc->triggers[i].tgenabled != TRIGGER_DISABLED)
			found = true;
	table_close(rel, AccessShareLock);
	return found;
}

void
mn_settings_relcache(Oid relid)
{
	if (relid == InvalidOid || relid == settings_oid)
		SettingsStale = true;
}

/* A jsonb value as text, as the operator #>> '{}' gives it (NULL for JSON null). */
static char *
jsonb_as_text(Jsonb *jb)
{
	JsonbValue	v;

	if (!JB_ROOT_IS_SCALAR(jb) || !JsonbExtractScalar(&jb->root, &v))
		return JsonbToCString(NULL, &jb->root, VARSIZE(jb));
	switch (v.type)
	{
		case jbvNull:
			return NULL;
		case jbvString:
			return pnstrdup(v.val.string.val, v.val.string.len);
		case jbvNumeric:
			return DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v.val.numeric)));
		case jbvBool:
			return pstrdup(v.val.boolean ? "true" : "false");
		default:
			return JsonbToCString(NULL, &jb->root, VARSIZE(jb));
	}
}

/*
 * mentor.setting(key) as text: this database's override (shipped = false)
 * if any, else the shipped default.  *found is false when neither exists.
 */
static char *setting_lookup(const char *key, bool *found);

char *
mn_setting_text(const char *key, bool *found)
{
	int			i;
	char	   *value;
	MemoryContext old;

	if (SettingsStale || SettingsContext == NULL)
	{
		if (SettingsContext == NULL)
			SettingsContext = AllocSetContextCreate(TopMemoryContext, "mentor settings", ALLOCSET_SMALL_SIZES);
		else
			MemoryContextReset(SettingsContext);
		ncached = 0;
		settings_oid = mn_relid("settings");
		SettingsStale = false;
		SettingsCacheable = settings_have_invalidation();
	}
	if (!SettingsCacheable)
		return setting_lookup(key, found);
	for (i = 0; i < ncached; i++)
		if (strcmp(cached[i].key, key) == 0)
		{
			*found = cached[i].found;
			return cached[i].value ? pstrdup(cached[i].value) : NULL;
		}
	value = setting_lookup(key, found);
	/* An invalidation that arrived during the lookup leaves it uncached. */
	if (!SettingsStale && ncached < MAX_CACHED_SETTINGS)
	{
		old = MemoryContextSwitchTo(SettingsContext);
		cached[ncached].key = pstrdup(key);
		cached[ncached].found = *found;
		cached[ncached].value = value ? pstrdup(value) : NULL;
		ncached++;
		MemoryContextSwitchTo(old);
	}
	return value;
}

/* The lookup itself: an index scan of mentor.settings. */
static char *
setting_lookup(const char *key, bool *found)
{
	/* settings (key, shipped, value, ...) */
	enum
	{
		SET_KEY = 1, SET_SHIPPED, SET_VALUE
	};
	Relation	rel = table_open(mn_relid("settings"), AccessShareLock);
	TupleDesc	desc = RelationGetDescr(rel);
	Snapshot	snap = RegisterSnapshot(GetLatestSnapshot());
	ScanKeyData keyd;
	SysScanDesc scan;
	HeapTuple	tuple;
	char	   *value = NULL;

	*found = false;
	mn_text_scankey(&keyd, SET_KEY, key);
	scan = systable_beginscan(rel, mn_relid("settings_pkey"), true, snap, 1, &keyd);
	while ((tuple = systable_getnext(scan)) != NULL)
	{
		bool		isnull;
		bool		shipped = DatumGetBool(heap_getattr(tuple, SET_SHIPPED, desc, &isnull));

		if (*found && shipped)
			continue;			/* the override, read first or not, wins */
		value = jsonb_as_text(DatumGetJsonbP(heap_getattr(tuple, SET_VALUE, desc, &isnull)));
		*found = true;
		if (!shipped)
			break;
	}
	systable_endscan(scan);
	UnregisterSnapshot(snap);
	table_close(rel, AccessShareLock);
	return value;
}
