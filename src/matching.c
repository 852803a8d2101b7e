/*
 * matching.c - SQL glue of the fit score and cohort matching
 * (src/core/matching.c): arrays in, a composite or rows out.  The SQL module
 * gathers skills, availability, capacity and ratings and writes suggestions
 * and matches.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/tuplestore.h"

#include "mentor.h"
#include "core/matching.h"

/* The weights array of mentor._matching_weights(): 7 numbers, validated. */
static mn_fit_weights
weights_arg(FunctionCallInfo fcinfo, int argno)
{
	int			n;
	Datum	   *v = mn_array_arg(fcinfo, argno, "weights", FLOAT8OID, &n);
	mn_fit_weights w;

	if (n != 7)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("weights must have 7 elements, not %d", n)));
	w.skills = DatumGetFloat8(v[0]);
	w.availability = DatumGetFloat8(v[1]);
	w.capacity = DatumGetFloat8(v[2]);
	w.rating = DatumGetFloat8(v[3]);
	w.rating_prior_mean = DatumGetFloat8(v[4]);
	w.rating_prior_count = DatumGetFloat8(v[5]);
	w.partial_level_credit = DatumGetFloat8(v[6]);
	if (!mn_fit_weights_valid(&w))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid matching weights"),
				 errdetail("Weights must be finite and >= 0, not all zero; the prior mean in 1-5, the prior count >= 0, "
						   "the partial level credit in 0-1."),
				 errhint("See SELECT key, value FROM mentor.settings WHERE key LIKE 'matching.%%'.")));
	return w;
}

static mn_skill_level *
skills_arg(FunctionCallInfo fcinfo, int argno, int *n)
{
	int			nl;
	Datum	   *ids = mn_array_arg(fcinfo, argno, "skills", INT8OID, n);
	Datum	   *levels = mn_array_arg(fcinfo, argno + 1, "levels", INT4OID, &nl);
	mn_skill_level *s = palloc(sizeof(mn_skill_level) * (*n + 1));

	if (nl != *n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("skills and levels must have the same length")));
	for (int i = 0; i < *n; i++)
	{
		s[i].skill = DatumGetInt64(ids[i]);
		s[i].level = DatumGetInt32(levels[i]);
	}
	return s;
}

PG_FUNCTION_INFO_V1(mn_fit_sql);
/*
 * _fit(seek_skills bigint[], seek_levels int[], offer_skills bigint[], offer_levels int[],
 *      overlap int, wanted int, active int, max_places int, rating_mean float8,
 *      rating_count int, weights float8[])
 *   -> (score, skills, availability, capacity, rating float8, skills_full, skills_partial int)
 */
Datum
mn_fit_sql(PG_FUNCTION_ARGS)
{
	int			ns, no;
	mn_skill_level *seeks = skills_arg(fcinfo, 0, &ns);
	mn_skill_level *offers = skills_arg(fcinfo, 2, &no);
	mn_fit_weights w = weights_arg(fcinfo, 10);
	mn_fit		f;
	TupleDesc	tupdesc;
	Datum		values[7];
	bool		nulls[7] = {false};

	for (int i = 4; i < 10; i++)
		if (PG_ARGISNULL(i) && i != 8)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("argument %d of _fit must not be NULL", i + 1)));
	f = mn_fit_score(&w, seeks, ns, offers, no, PG_GETARG_INT32(4), PG_GETARG_INT32(5), PG_GETARG_INT32(6),
					 PG_GETARG_INT32(7), PG_ARGISNULL(8) ? 0 : PG_GETARG_FLOAT8(8), PG_GETARG_INT32(9));
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "_fit must return a row type");
	values[0] = Float8GetDatum(f.score);
	values[1] = Float8GetDatum(f.skills);
	values[2] = Float8GetDatum(f.availability);
	values[3] = Float8GetDatum(f.capacity);
	values[4] = Float8GetDatum(f.rating);
	values[5] = Int32GetDatum(f.skills_full);
	values[6] = Int32GetDatum(f.skills_partial);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc), values, nulls)));
}

PG_FUNCTION_INFO_V1(mn_match_sql);
/*
 * _match(mentees int[], mentors int[], scores float8[], capacities int[], nmentees int,
 *        per_mentee int, method text) -> setof (mentee int, mentor int, score float8)
 * Edges are (mentees[i], mentors[i], scores[i]), 1-based; capacities per mentor.
 */
Datum
mn_match_sql(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			ne, nm2, ns, nr;
	Datum	   *mentees = mn_array_arg(fcinfo, 0, "mentees", INT4OID, &ne);
	Datum	   *mentors = mn_array_arg(fcinfo, 1, "mentors", INT4OID, &nm2);
	Datum	   *scores = mn_array_arg(fcinfo, 2, "scores", FLOAT8OID, &ns);
	Datum	   *caps = mn_array_arg(fcinfo, 3, "capacities", INT4OID, &nr);
	int32		nmentees = PG_ARGISNULL(4) ? -1 : PG_GETARG_INT32(4);
	int32		per_mentee = PG_ARGISNULL(5) ? 0 : PG_GETARG_INT32(5);
	char	   *method = PG_ARGISNULL(6) ? "" : text_to_cstring(PG_GETARG_TEXT_PP(6));
	mn_allocator a = mn_palloc_allocator(CurrentMemoryContext);
	mn_match_edge *edges = palloc(sizeof(mn_match_edge) * (ne + 1));
	int32	   *capacity = palloc(sizeof(int32) * (nr + 1));
	mn_match_problem p;
	mn_match_result r;

	if (nm2 != ne || ns != ne)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("mentees, mentors and scores must have the same length")));
	if (per_mentee < 1)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("per_mentee must be at least 1, not %d", per_mentee)));
	if (strcmp(method, "optimal") != 0 && strcmp(method, "stable") != 0)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("unknown matching method \"%s\"", method),
						errhint("Use optimal or stable.")));
	for (int i = 0; i < nr; i++)
		capacity[i] = Max(DatumGetInt32(caps[i]), 0);
	for (int i = 0; i < ne; i++)
	{
		edges[i].mentee = DatumGetInt32(mentees[i]) - 1;
		edges[i].mentor = DatumGetInt32(mentors[i]) - 1;
		edges[i].score = DatumGetFloat8(scores[i]);
	}
	p.nmentees = nmentees;
	p.nmentors = nr;
	p.capacity = capacity;
	p.per_mentee = per_mentee;
	p.edges = edges;
	p.nedges = ne;
	r = method[0] == 'o' ? mn_match_optimal(&p, &a) : mn_match_stable(&p, &a);
	if (r.error == 2)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("a pair refers to a mentee or mentor out of range")));
	if (r.error)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory matching %d mentees", nmentees)));

	mn_materialize_srf(fcinfo);
	for (int64 i = 0; i < r.npairs; i++)
	{
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		values[0] = Int32GetDatum(r.pairs[i].mentee + 1);
		values[1] = Int32GetDatum(r.pairs[i].mentor + 1);
		values[2] = Float8GetDatum(r.pairs[i].score);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
