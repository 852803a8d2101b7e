/*
 * json_build.h - tuple values as JSON text, the way to_jsonb() renders them.
 */
#ifndef JSON_BUILD_H
#define JSON_BUILD_H

#include "postgres.h"
#include "fmgr.h"
#include "lib/stringinfo.h"

/* How one column's values become JSON; computed once per column and cached. */
typedef struct MnJsonCol
{
	Oid			typid;
	Oid			base;			/* typid without domains */
	char		category;		/* b bool, i integer, n numeric, f float, d date/time, j jsonb, J json,
								 * a array, c composite, s anything else (a string) */
	FmgrInfo	out;			/* output function */
} MnJsonCol;

extern void mn_json_col_init(MnJsonCol *col, Oid typid, MemoryContext cxt);
extern void mn_json_append(StringInfo buf, const MnJsonCol *col, Datum value, bool isnull);
extern char *mn_json_col_text(const MnJsonCol *col, Datum value);
extern int64 mn_int_datum(Oid type, Datum value);

#endif							/* JSON_BUILD_H */
