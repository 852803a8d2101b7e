/*
 * jsonb_build.h - turning tuple values into jsonb without going through SQL.
 */
#ifndef JSONB_BUILD_H
#define JSONB_BUILD_H

#include "postgres.h"
#include "fmgr.h"
#include "utils/jsonb.h"

/* How one column's values become JSON; computed once per column and cached. */
typedef struct MnJsonCol
{
	Oid			typid;
	char		category;		/* 'b' bool, 'n' integer/numeric, 'f' float, 'j' jsonb, 'J' json, 's' string */
	FmgrInfo	out;			/* output function, for 's' and 'J' */
} MnJsonCol;

extern void mn_json_col_init(MnJsonCol *col, Oid typid, MemoryContext cxt);
extern void mn_json_push(JsonbParseState **state, JsonbIteratorToken tok,
						 const MnJsonCol *col, Datum value, bool isnull);
extern void mn_json_push_cstring(JsonbParseState **state, JsonbIteratorToken tok, const char *s);
extern char *mn_json_col_text(const MnJsonCol *col, Datum value);

#endif							/* JSONB_BUILD_H */
