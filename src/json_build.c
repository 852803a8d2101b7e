/*
 * json_build.c - tuple values to JSON text, straight from datums.
 *
 * History stores JSON text rather than jsonb: for the small documents it
 * writes (["score", 41, 42]) text is less than half the size of jsonb's
 * binary form, and appending text is cheaper than building jsonb.  The text
 * is what to_jsonb() would produce, so reading it back as jsonb gives values
 * equal to a to_jsonb(row) snapshot: numbers stay numbers (NaN and infinities
 * become strings), booleans booleans, dates and timestamps ISO 8601 strings,
 * json and jsonb are embedded, arrays become JSON arrays and composites
 * objects; every other type becomes the string of its output function.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"

#include "json_build.h"

void
mn_json_col_init(MnJsonCol *col, Oid typid, MemoryContext cxt)
{
	Oid			outfunc;
	bool		isvarlena;

	col->typid = typid;
	col->base = getBaseType(typid);
	switch (col->base)
	{
		case BOOLOID:
			col->category = 'b';
			break;
		case INT2OID:
		case INT4OID:
		case INT8OID:
			col->category = 'i';
			break;
		case NUMERICOID:
			col->category = 'n';
			break;
		case FLOAT4OID:
		case FLOAT8OID:
			col->category = 'f';
			break;
		case DATEOID:
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
			col->category = 'd';
			break;
		case JSONBOID:
			col->category = 'j';
			break;
		case JSONOID:
			col->category = 'J';
			break;
		default:
			if (OidIsValid(get_element_type(col->base)))
				col->category = 'a';
			else if (type_is_rowtype(col->base))
				col->category = 'c';
			else
				col->category = 's';
			break;
	}
	getTypeOutputInfo(typid, &outfunc, &isvarlena);
	fmgr_info_cxt(outfunc, &col->out, cxt);
}

/* The value as text, as its output function writes it. */
char *
mn_json_col_text(const MnJsonCol *col, Datum value)
{
	return OutputFunctionCall((FmgrInfo *) &col->out, value);
}

/* A smallint, integer or bigint value (type says which) as int64. */
int64
mn_int_datum(Oid type, Datum value)
{
	return type == INT2OID ? DatumGetInt16(value)
		: type == INT4OID ? DatumGetInt32(value) : DatumGetInt64(value);
}

/* A number's text, or a string when JSON has no such number (NaN, Infinity). */
static void
append_number_text(StringInfo buf, const char *s)
{
	if (strcmp(s, "NaN") == 0 || strstr(s, "Infinity") != NULL)
		escape_json(buf, s);
	else
		appendStringInfoString(buf, s);
}

static void append_array(StringInfo buf, Datum value);
static void append_composite(StringInfo buf, Datum value);

void
mn_json_append(StringInfo buf, const MnJsonCol *col, Datum value, bool isnull)
{
	char		num[MAXINT8LEN + 1];

	if (isnull)
	{
		appendStringInfoString(buf, "null");
		return;
	}
	switch (col->category)
	{
		case 'b':
			appendStringInfoString(buf, DatumGetBool(value) ? "true" : "false");
			break;
		case 'i':
			pg_lltoa(mn_int_datum(col->base, value), num);
			appendStringInfoString(buf, num);
			break;
		case 'n':
		case 'f':
			append_number_text(buf, mn_json_col_text(col, value));
			break;
		case 'd':
			escape_json(buf, JsonEncodeDateTime(NULL, value, col->base, NULL));
			break;
		case 'j':
			{
				Jsonb	   *jb = DatumGetJsonbP(value);

				JsonbToCString(buf, &jb->root, VARSIZE(jb));
			}
			break;
		case 'J':
			/* json values are valid JSON text by construction. */
			appendStringInfoString(buf, mn_json_col_text(col, value));
			break;
		case 'a':
			append_array(buf, value);
			break;
		case 'c':
			append_composite(buf, value);
			break;
		default:
			if (col->base == TEXTOID || col->base == VARCHAROID)
				escape_json(buf, TextDatumGetCString(value));
			else
				escape_json(buf, mn_json_col_text(col, value));
			break;
	}
}

/* One dimension of an array, recursively, as nested JSON arrays. */
static void
append_dim(StringInfo buf, int dim, int ndims, int *dims, Datum *elems, bool *nulls, int *pos,
		   const MnJsonCol *ecol)
{
	int			i;

	appendStringInfoChar(buf, '[');
	for (i = 0; i < dims[dim]; i++)
	{
		if (i > 0)
			appendStringInfoChar(buf, ',');
		if (dim + 1 < ndims)
			append_dim(buf, dim + 1, ndims, dims, elems, nulls, pos, ecol);
		else
		{
			mn_json_append(buf, ecol, elems[*pos], nulls[*pos]);
			(*pos)++;
		}
	}
	appendStringInfoChar(buf, ']');
}

static void
append_array(StringInfo buf, Datum value)
{
	ArrayType  *arr = DatumGetArrayTypeP(value);
	Oid			etype = ARR_ELEMTYPE(arr);
	int16		elen;
	bool		ebyval;
	char		ealign;
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			pos = 0;
	MnJsonCol	ecol;

	if (ARR_NDIM(arr) == 0)
	{
		appendStringInfoString(buf, "[]");
		return;
	}
	mn_json_col_init(&ecol, etype, CurrentMemoryContext);
	get_typlenbyvalalign(etype, &elen, &ebyval, &ealign);
	deconstruct_array(arr, etype, elen, ebyval, ealign, &elems, &nulls, &n);
	append_dim(buf, 0, ARR_NDIM(arr), ARR_DIMS(arr), elems, nulls, &pos, &ecol);
}

static void
append_composite(StringInfo buf, Datum value)
{
	HeapTupleHeader td = DatumGetHeapTupleHeader(value);
	TupleDesc	desc = lookup_rowtype_tupdesc(HeapTupleHeaderGetTypeId(td), HeapTupleHeaderGetTypMod(td));
	HeapTupleData tuple;
	Datum	   *values = palloc(sizeof(Datum) * desc->natts);
	bool	   *nulls = palloc(sizeof(bool) * desc->natts);
	bool		first = true;
	int			i;

	tuple.t_len = HeapTupleHeaderGetDatumLength(td);
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = td;
	heap_deform_tuple(&tuple, desc, values, nulls);
	appendStringInfoChar(buf, '{');
	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		MnJsonCol	acol;

		if (att->attisdropped)
			continue;
		if (!first)
			appendStringInfoChar(buf, ',');
		first = false;
		mn_json_col_init(&acol, att->atttypid, CurrentMemoryContext);
		escape_json(buf, NameStr(att->attname));
		appendStringInfoChar(buf, ':');
		mn_json_append(buf, &acol, values[i], nulls[i]);
	}
	appendStringInfoChar(buf, '}');
	ReleaseTupleDesc(desc);
}
