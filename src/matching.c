/*
 * matching.c - SQL glue of the fit score and cohort matching
 * (src/core/matching.c): counts or arrays in, a composite or rows out.  The
 * SQL module gathers skills, availability, capacity and ratings and writes
 * suggestions and matches; a cohort's pairs are scored here, in C, because
 * 2,000 x 500 of them would cost seconds as SQL rows.  _match_pairs runs the
 * same assignment over pairs a caller scored itself (interview pairings).
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

/*
 * The fit from the arguments (nseeks, full, partial, overlap, wanted, active,
 * max_places, rating_mean, rating_count, weights) shared by _fit and
 * _fit_score.  The weights are read once per query (fn_extra): they come
 * from settings and are constant in a statement.
 */
static mn_fit
fit_from_args(FunctionCallInfo fcinfo)
{
	mn_fit_weights *w = fcinfo->flinfo->fn_extra;

	for (int i = 0; i < 9; i++)
		if (PG_ARGISNULL(i) && i != 7)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("argument %d of the fit must not be NULL", i + 1)));
	if (w == NULL)
	{
		mn_fit_weights x = weights_arg(fcinfo, 9);

		w = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(mn_fit_weights));
		*w = x;
		fcinfo->flinfo->fn_extra = w;
	}
	return mn_fit_counts(w, PG_GETARG_INT32(0), PG_GETARG_INT32(1), PG_GETARG_INT32(2), PG_GETARG_INT32(3),
						 PG_GETARG_INT32(4), PG_GETARG_INT32(5), PG_GETARG_INT32(6),
						 PG_ARGISNULL(7) ? 0 : PG_GETARG_FLOAT8(7), PG_GETARG_INT32(8));
}

PG_FUNCTION_INFO_V1(mn_fit_score_sql);
/* _fit_score(...same arguments as _fit...) -> float8: only the score, to rank thousands of candidates. */
Datum
mn_fit_score_sql(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(fit_from_args(fcinfo).score);
}

PG_FUNCTION_INFO_V1(mn_fit_counts_sql);
/*
 * _fit(nseeks int, full int, partial int, overlap int, wanted int, active int, max_places int,
 *      rating_mean float8, rating_count int, weights float8[])
 *   -> (score, skills, availability, capacity, rating float8, skills_full, skills_partial int)
 */
Datum
mn_fit_counts_sql(PG_FUNCTION_ARGS)
{
	mn_fit		f = fit_from_args(fcinfo);
	TupleDesc	tupdesc;
	Datum		values[7];
	bool		nulls[7] = {false};

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

/*
 * (owner int[], skill bigint[], level int[]) arguments as CSR lists of n
 * owners: owner k's (skill, level) pairs in out[first[k-1] .. first[k]).
 */
static mn_skill_level *
skill_lists_arg(FunctionCallInfo fcinfo, int argno, int32 n, const char *what, int64 **first)
{
	int			no, ns, nl;
	Datum	   *owner = mn_array_arg(fcinfo, argno, what, INT4OID, &no);
	Datum	   *skill = mn_array_arg(fcinfo, argno + 1, "skills", INT8OID, &ns);
	Datum	   *level = mn_array_arg(fcinfo, argno + 2, "levels", INT4OID, &nl);
	mn_skill_level *out = palloc(sizeof(mn_skill_level) * (no + 1));
	int64	   *fill = palloc0(sizeof(int64) * (n + 1));

	if (ns != no || nl != no)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("%s, skills and levels must have the same length", what)));
	*first = palloc0(sizeof(int64) * (n + 1));
	for (int i = 0; i < no; i++)
	{
		int32		k = DatumGetInt32(owner[i]);

		if (k < 1 || k > n)
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							errmsg("%s element %d is %d, outside 1..%d", what, i + 1, k, n)));
		(*first)[k]++;
	}
	for (int32 k = 0; k < n; k++)
	{
		(*first)[k + 1] += (*first)[k];
		fill[k] = (*first)[k];
	}
	for (int i = 0; i < no; i++)
	{
		int32		k = DatumGetInt32(owner[i]) - 1;

		out[fill[k]].skill = DatumGetInt64(skill[i]);
		out[fill[k]++].level = DatumGetInt32(level[i]);
	}
	return out;
}

/* An int[] argument of expect elements (any number when expect < 0, returned in *n). */
static int32 *
int_array_arg(FunctionCallInfo fcinfo, int argno, const char *name, int expect, int *n)
{
	Datum	   *v = mn_array_arg(fcinfo, argno, name, INT4OID, n);
	int32	   *out = palloc(sizeof(int32) * (*n + 1));

	if (expect >= 0 && *n != expect)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("%s must have %d elements, not %d", name, expect, *n)));
	for (int i = 0; i < *n; i++)
		out[i] = DatumGetInt32(v[i]);
	return out;
}

/* Pairs scored per call at most: the assignment's memory grows with them (about 100 bytes each). */
#define MAX_COHORT_PAIRS 8000000

static Datum solve_and_return(FunctionCallInfo fcinfo, const mn_match_problem *pp, const char *method,
							  const int32 *candidates, const mn_allocator *ap);

static void
check_method(const char *method)
{
	if (strcmp(method, "optimal") != 0 && strcmp(method, "stable") != 0 && strcmp(method, "greedy") != 0)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("unknown matching method \"%s\"", method),
						errhint("Use optimal, stable or greedy.")));
}

PG_FUNCTION_INFO_V1(mn_match_cohort_sql);
/*
 * _match_cohort(nmentees int, seek_mentee int[], seek_skill bigint[], seek_level int[],
 *               offer_mentor int[], offer_skill bigint[], offer_level int[],
 *               active int[], max_places int[], rating_mean float8[], rating_count int[],
 *               excluded_mentee int[], excluded_mentor int[], per_mentee int, method text,
 *               weights float8[])
 *   -> setof (mentee int, mentor int, score float8, candidates int)
 * Mentees and mentors are numbered from 1; the profile arrays are per mentor.
 * Chosen pairs come back with their score; a mentee without any, once, with
 * a NULL mentor and how many mentors were candidates for it.
 */
Datum
mn_match_cohort_sql(PG_FUNCTION_ARGS)
{
	int32		nmentees = PG_ARGISNULL(0) ? -1 : PG_GETARG_INT32(0);
	int			nmentors, nr, nx, n;
	Datum	   *rating = mn_array_arg(fcinfo, 9, "rating_mean", FLOAT8OID, &nr);
	int32	   *active, *max_places, *rating_count, *xm, *xr, *capacity, *candidates;
	int32		per_mentee = PG_ARGISNULL(13) ? 0 : PG_GETARG_INT32(13);
	char	   *method = PG_ARGISNULL(14) ? "" : text_to_cstring(PG_GETARG_TEXT_PP(14));
	mn_fit_weights w;
	mn_allocator a = mn_palloc_allocator(CurrentMemoryContext);
	mn_cohort	c;
	mn_match_problem p;
	double	   *rating_mean;
	mn_match_edge *edges, *excluded;
	int64		ne, *seek_first, *offer_first;
	int			error;

	if (nmentees < 0)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("nmentees must be >= 0")));
	if (per_mentee < 1)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("per_mentee must be at least 1, not %d", per_mentee)));
	check_method(method);
	nmentors = nr;
	w = weights_arg(fcinfo, 15);
	active = int_array_arg(fcinfo, 7, "active", nmentors, &n);
	max_places = int_array_arg(fcinfo, 8, "max_places", nmentors, &n);
	rating_count = int_array_arg(fcinfo, 10, "rating_count", nmentors, &n);
	rating_mean = palloc(sizeof(double) * (nmentors + 1));
	capacity = palloc(sizeof(int32) * (nmentors + 1));
	for (int j = 0; j < nmentors; j++)
	{
		rating_mean[j] = DatumGetFloat8(rating[j]);
		capacity[j] = Max(max_places[j] - active[j], 0);
	}
	xm = int_array_arg(fcinfo, 11, "excluded_mentee", -1, &nx);
	xr = int_array_arg(fcinfo, 12, "excluded_mentor", nx, &n);
	excluded = palloc(sizeof(mn_match_edge) * (nx + 1));
	for (int i = 0; i < nx; i++)
	{
		if (xm[i] < 1 || xm[i] > nmentees || xr[i] < 1 || xr[i] > nmentors)
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							errmsg("excluded pair %d (%d, %d) is out of range", i + 1, xm[i], xr[i])));
		excluded[i].mentee = xm[i] - 1;
		excluded[i].mentor = xr[i] - 1;
		excluded[i].score = 0;
	}
	c.nmentees = nmentees;
	c.nmentors = nmentors;
	c.seeks = skill_lists_arg(fcinfo, 1, nmentees, "seek_mentee", &seek_first);
	c.offers = skill_lists_arg(fcinfo, 4, nmentors, "offer_mentor", &offer_first);
	c.seek_first = seek_first;
	c.offer_first = offer_first;
	c.active = active;
	c.max_places = max_places;
	c.rating_mean = rating_mean;
	c.rating_count = rating_count;
	c.excluded = excluded;
	c.nexcluded = nx;

	edges = mn_cohort_edges(&c, &w, MAX_COHORT_PAIRS, &a, &ne, &error);
	if (error == 3)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("the cohort has %lld candidate pairs; one call matches at most %d",
						(long long) ne, MAX_COHORT_PAIRS),
				 errhint("Match the cohort in smaller groups, or have mentees name the skills they seek.")));
	if (error)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory scoring %d mentees", nmentees)));
	candidates = palloc0(sizeof(int32) * (nmentees + 1));
	for (int64 i = 0; i < ne; i++)
		candidates[edges[i].mentee]++;

	p.nmentees = nmentees;
	p.nmentors = nmentors;
	p.capacity = capacity;
	p.per_mentee = per_mentee;
	p.edges = edges;
	p.nedges = ne;
	return solve_and_return(fcinfo, &p, method, candidates, &a);
}

/*
 * The assignment of p by method, returned as the rows of _match_cohort and
 * _match_pairs: each chosen pair with its score, and a mentee without any once,
 * with a NULL mentor and how many mentors were candidates for it.
 */
static Datum
solve_and_return(FunctionCallInfo fcinfo, const mn_match_problem *pp, const char *method, const int32 *candidates,
				 const mn_allocator *ap)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	mn_match_problem p = *pp;
	mn_allocator a = *ap;
	mn_match_result r;
	int32		nmentees = p.nmentees;
	int64		k = 0;

	r = method[0] == 'o' ? mn_match_optimal(&p, &a) : method[0] == 's' ? mn_match_stable(&p, &a) : mn_match_greedy(&p, &a);
	if (r.error == 2)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("a pair refers to a mentee or mentor out of range, or has a score above %g", MN_MATCH_MAX_SCORE)));
	if (r.error)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory matching %d mentees", nmentees)));

	/* pairs are by mentee: a mentee without one gets its NULL row in turn */
	mn_materialize_srf(fcinfo);
	for (int32 i = 0; i < nmentees; i++)
	{
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};

		values[0] = Int32GetDatum(i + 1);
		values[3] = Int32GetDatum(candidates[i]);
		if (k >= r.npairs || r.pairs[k].mentee != i)
		{
			nulls[1] = nulls[2] = true;
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
			continue;
		}
		for (; k < r.npairs && r.pairs[k].mentee == i; k++)
		{
			values[1] = Int32GetDatum(r.pairs[k].mentor + 1);
			values[2] = Float8GetDatum(r.pairs[k].score);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(mn_match_pairs_sql);
/*
 * _match_pairs(nmentees int, capacity int[], pair_mentee int[], pair_mentor int[], pair_score float8[],
 *              per_mentee int, method text) -> setof (mentee int, mentor int, score float8, candidates int)
 * The same assignment over pairs a caller scored itself (interview pairings:
 * preferences, excluded teams): mentees and mentors numbered from 1, capacity
 * per mentor; rows as _match_cohort's.
 */
Datum
mn_match_pairs_sql(PG_FUNCTION_ARGS)
{
	int32		nmentees = PG_ARGISNULL(0) ? -1 : PG_GETARG_INT32(0);
	int32		per_mentee = PG_ARGISNULL(5) ? 0 : PG_GETARG_INT32(5);
	char	   *method = PG_ARGISNULL(6) ? "" : text_to_cstring(PG_GETARG_TEXT_PP(6));
	int			nmentors, npairs, n, ns;
	int32	   *capacity, *pm, *pr, *candidates;
	Datum	   *score;
	mn_match_edge *edges;
	mn_match_problem p;
	mn_allocator a = mn_palloc_allocator(CurrentMemoryContext);

	if (nmentees < 0)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("nmentees must be >= 0")));
	if (per_mentee < 1)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("per_mentee must be at least 1, not %d", per_mentee)));
	check_method(method);
	capacity = int_array_arg(fcinfo, 1, "capacity", -1, &nmentors);
	pm = int_array_arg(fcinfo, 2, "pair_mentee", -1, &npairs);
	pr = int_array_arg(fcinfo, 3, "pair_mentor", npairs, &n);
	score = mn_array_arg(fcinfo, 4, "pair_score", FLOAT8OID, &ns);
	if (ns != npairs)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("pair_score must have %d elements, not %d", npairs, ns)));
	if (npairs > MAX_COHORT_PAIRS)
		ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						errmsg("%d pairs; one call matches at most %d", npairs, MAX_COHORT_PAIRS)));
	edges = palloc(sizeof(mn_match_edge) * (npairs + 1));
	candidates = palloc0(sizeof(int32) * (nmentees + 1));
	for (int i = 0; i < npairs; i++)
	{
		if (pm[i] < 1 || pm[i] > nmentees || pr[i] < 1 || pr[i] > nmentors)
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							errmsg("pair %d (%d, %d) is out of range", i + 1, pm[i], pr[i])));
		edges[i].mentee = pm[i] - 1;
		edges[i].mentor = pr[i] - 1;
		edges[i].score = DatumGetFloat8(score[i]);
		candidates[pm[i] - 1]++;
	}
	for (int j = 0; j < nmentors; j++)
		capacity[j] = Max(capacity[j], 0);
	p.nmentees = nmentees;
	p.nmentors = nmentors;
	p.capacity = capacity;
	p.per_mentee = per_mentee;
	p.edges = edges;
	p.nedges = npairs;
	return solve_and_return(fcinfo, &p, method, candidates, &a);
}
