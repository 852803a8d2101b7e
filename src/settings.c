/*
 * settings.c - the platform settings (core module) read from C: what
 * mentor.setting(key) returns, without the executor, for the C functions
 * that read a setting on every call (booking and completing sessions).
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "utils/snapmgr.h"

#include "mentor.h"

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
char *
mn_setting_text(const char *key, bool *found)
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
