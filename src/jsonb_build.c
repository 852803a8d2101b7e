/*
 * jsonb_build.c - tuple values to jsonb values, straight from datums.
 *
 * The result is what PostgreSQL's to_jsonb() gives for the same value, so
 * history rows compare equal to to_jsonb(row) snapshots: numbers stay
 * numbers (NaN and infinities become strings), booleans booleans, dates and
 * timestamps ISO 8601 strings, json and jsonb are embedded, arrays become
 * JSON arrays and composites objects; every other type becomes the string of
 * its output function, which its input function reads back.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/json.h"
#include "utils/typcache.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"

#include "jsonb_build.h"

void
mn_json_col_init(MnJsonCol *col, Oid typid, MemoryContext cxt)
{
	Oid			base = getBaseType(typid);
	Oid			outfunc;
	bool		isvarlena;

	col->typid = typid;
	switch (base)
	{
		case BOOLOID:
			col->category = 'b';
			break;
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case NUMERICOID:
		case FLOAT4OID:
		case FLOAT8OID:
			col->category = 'n';
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
			if (OidIsValid(get_element_type(base)))
				col->category = 'a';
			else if (type_is_rowtype(base))
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

void
mn_json_push_cstring(JsonbParseState **state, JsonbIteratorToken tok, const char *s)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.val = (char *) s;
	v.val.string.len = strlen(s);
	pushJsonbValue(state, tok, &v);
}

/* Pushes a jsonb document as a value: its scalar, or its container. */
static void
push_jsonb(JsonbParseState **state, JsonbIteratorToken tok, Jsonb *jb)
{
	JsonbValue	v;

	if (JB_ROOT_IS_SCALAR(jb))
	{
		JsonbExtractScalar(&jb->root, &v);
		pushJsonbValue(state, tok, &v);
		return;
	}
	v.type = jbvBinary;
	v.val.binary.data = &jb->root;
	v.val.binary.len = VARSIZE(jb) - VARHDRSZ;
	pushJsonbValue(state, tok, &v);
}

static void push_array(JsonbParseState **state, JsonbIteratorToken tok, Datum value);
static void push_composite(JsonbParseState **state, JsonbIteratorToken tok, Datum value);

void
mn_json_push(JsonbParseState **state, JsonbIteratorToken tok,
			 const MnJsonCol *col, Datum value, bool isnull)
{
	JsonbValue	v;
	char	   *s;

	if (isnull)
	{
		v.type = jbvNull;
		pushJsonbValue(state, tok, &v);
		return;
	}
	switch (col->category)
	{
		case 'b':
			v.type = jbvBool;
			v.val.boolean = DatumGetBool(value);
			pushJsonbValue(state, tok, &v);
			return;
		case 'n':
			/* Integers and numerics directly; the result is what to_jsonb's text round trip gives. */
			v.type = jbvNumeric;
			switch (getBaseType(col->typid))
			{
				case INT2OID:
					v.val.numeric = int64_to_numeric(DatumGetInt16(value));
					pushJsonbValue(state, tok, &v);
					return;
				case INT4OID:
					v.val.numeric = int64_to_numeric(DatumGetInt32(value));
					pushJsonbValue(state, tok, &v);
					return;
				case INT8OID:
					v.val.numeric = int64_to_numeric(DatumGetInt64(value));
					pushJsonbValue(state, tok, &v);
					return;
				case NUMERICOID:
					v.val.numeric = DatumGetNumeric(value);
					if (!numeric_is_nan(v.val.numeric) && !numeric_is_inf(v.val.numeric))
					{
						pushJsonbValue(state, tok, &v);
						return;
					}
					break;
			}
			/* Floats through their output text: shortest exact digits; NaN and infinities as strings. */
			s = mn_json_col_text(col, value);
			if (strcmp(s, "NaN") == 0 || strstr(s, "Infinity") != NULL)
			{
				mn_json_push_cstring(state, tok, s);
				return;
			}
			v.type = jbvNumeric;
			v.val.numeric = DatumGetNumeric(DirectFunctionCall3(numeric_in, CStringGetDatum(s),
																ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1)));
			pushJsonbValue(state, tok, &v);
			return;
		case 'd':
			/* With no buffer it pallocs one: the parse state keeps only a pointer until the end. */
			mn_json_push_cstring(state, tok, JsonEncodeDateTime(NULL, value, getBaseType(col->typid), NULL));
			return;
		case 'j':
			push_jsonb(state, tok, DatumGetJsonbP(value));
			return;
		case 'J':
			push_jsonb(state, tok, DatumGetJsonbP(DirectFunctionCall1(jsonb_in,
																	   CStringGetDatum(mn_json_col_text(col, value)))));
			return;
		case 'a':
			push_array(state, tok, value);
			return;
		case 'c':
			push_composite(state, tok, value);
			return;
		default:
			mn_json_push_cstring(state, tok, mn_json_col_text(col, value));
			return;
	}
}

/* One dimension of an array, recursively, as nested JSON arrays; returns what closing it returned. */
static JsonbValue *
push_dim(JsonbParseState **state, int dim, int ndims, int *dims, Datum *elems, bool *nulls,
		 int *pos, const MnJsonCol *ecol)
{
	int			i;

	pushJsonbValue(state, WJB_BEGIN_ARRAY, NULL);
	for (i = 0; i < dims[dim]; i++)
	{
		if (dim + 1 < ndims)
			push_dim(state, dim + 1, ndims, dims, elems, nulls, pos, ecol);
		else
		{
			mn_json_push(state, WJB_ELEM, ecol, elems[*pos], nulls[*pos]);
			(*pos)++;
		}
	}
	return pushJsonbValue(state, WJB_END_ARRAY, NULL);
}

/* Pushes a whole container built in a separate state as one value of the outer one. */
static void
push_built(JsonbParseState **state, JsonbIteratorToken tok, JsonbValue *built)
{
	push_jsonb(state, tok, JsonbValueToJsonb(built));
}

static void
push_array(JsonbParseState **state, JsonbIteratorToken tok, Datum value)
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
	JsonbParseState *inner = NULL;

	mn_json_col_init(&ecol, etype, CurrentMemoryContext);
	get_typlenbyvalalign(etype, &elen, &ebyval, &ealign);
	deconstruct_array(arr, etype, elen, ebyval, ealign, &elems, &nulls, &n);
	if (ARR_NDIM(arr) == 0)
	{
		pushJsonbValue(&inner, WJB_BEGIN_ARRAY, NULL);
		push_built(state, tok, pushJsonbValue(&inner, WJB_END_ARRAY, NULL));
		return;
	}
	push_built(state, tok, push_dim(&inner, 0, ARR_NDIM(arr), ARR_DIMS(arr), elems, nulls, &pos, &ecol));
}

static void
push_composite(JsonbParseState **state, JsonbIteratorToken tok, Datum value)
{
	HeapTupleHeader td = DatumGetHeapTupleHeader(value);
	TupleDesc	desc = lookup_rowtype_tupdesc(HeapTupleHeaderGetTypeId(td), HeapTupleHeaderGetTypMod(td));
	HeapTupleData tuple;
	Datum	   *values = palloc(sizeof(Datum) * desc->natts);
	bool	   *nulls = palloc(sizeof(bool) * desc->natts);
	JsonbParseState *inner = NULL;
	int			i;

	tuple.t_len = HeapTupleHeaderGetDatumLength(td);
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = td;
	heap_deform_tuple(&tuple, desc, values, nulls);
	pushJsonbValue(&inner, WJB_BEGIN_OBJECT, NULL);
	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		MnJsonCol	acol;

		if (att->attisdropped)
			continue;
		mn_json_col_init(&acol, att->atttypid, CurrentMemoryContext);
		mn_json_push_cstring(&inner, WJB_KEY, NameStr(att->attname));
		mn_json_push(&inner, WJB_VALUE, &acol, values[i], nulls[i]);
	}
	ReleaseTupleDesc(desc);
	push_built(state, tok, pushJsonbValue(&inner, WJB_END_OBJECT, NULL));
}
