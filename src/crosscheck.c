/*
 * crosscheck.c - SQL glue of the cross-check distribution (src/core/crosscheck.c).
 *
 * The two functions take the solutions as parallel arrays, ask the core for
 * pairs of indices and return them as rows of ids; mentor.crosscheck_distribute
 * (SQL) locks the task, gathers the arrays and inserts the rows in one
 * statement.  The outcome of a small class becomes MN007 or a NOTICE here.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/tuplestore.h"

#include "mentor.h"
#include "mentor_errcodes.h"
#include "core/crosscheck.h"

/* more pairs than this would not fit one allocation; no real class comes near */
#define MAX_PAIRS ((int64) 50 * 1000 * 1000)

typedef struct solutions
{
	int			n;
	Datum	   *solution_ids;
	Datum	   *student_ids;
} solutions;

static solutions
solutions_arg(FunctionCallInfo fcinfo)
{
	solutions	s;
	int			nstudents;

	s.solution_ids = mn_array_arg(fcinfo, 0, "solution_ids", INT8OID, &s.n);
	s.student_ids = mn_array_arg(fcinfo, 1, "student_ids", INT8OID, &nstudents);
	if (nstudents != s.n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("solution_ids and student_ids must have the same length"),
				 errdetail("%d solutions, %d students.", s.n, nstudents)));
	return s;
}

static int32
reviewers_arg(FunctionCallInfo fcinfo, int argno, int n)
{
	int32		k = PG_ARGISNULL(argno) ? 0 : PG_GETARG_INT32(argno);

	if (k < 1 || k > 100)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("reviewers must be between 1 and 100, got %d", k)));
	if ((int64) n * k > MAX_PAIRS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%d solutions with %d reviewers each exceed %lld pairs", n, k, (long long) MAX_PAIRS)));
	return k;
}

static void
too_few(int n)
{
	ereport(ERROR,
			(errcode(ERRCODE_MN_NOT_ENOUGH_PARTICIPANTS),
			 errmsg("a cross-check needs at least 2 solutions, there %s %d", n == 1 ? "is" : "are", n),
			 errdetail("Expelled students' solutions do not count; nothing was assigned."),
			 errhint("Wait for more submissions or move the deadline (course_tasks.student_end_at).")));
}

/* The rows (solution, author, checker) of the pairs, by index into s. */
static Datum
return_pairs(FunctionCallInfo fcinfo, const solutions *s, const mn_cc_result *r)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	mn_materialize_srf(fcinfo);
	for (int64 i = 0; i < r->npairs; i++)
	{
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		values[0] = s->solution_ids[r->pairs[i].author];
		values[1] = s->student_ids[r->pairs[i].author];
		values[2] = s->student_ids[r->pairs[i].checker];
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(mn_crosscheck_pairs);
/* _crosscheck_pairs(solution_ids bigint[], student_ids bigint[], k int, seed bigint) */
Datum
mn_crosscheck_pairs(PG_FUNCTION_ARGS)
{
	solutions	s = solutions_arg(fcinfo);
	int32		k = reviewers_arg(fcinfo, 2, s.n);
	uint64		seed = PG_ARGISNULL(3) ? 0 : (uint64) PG_GETARG_INT64(3);
	mn_allocator a = mn_palloc_allocator(CurrentMemoryContext);
	mn_cc_result r = mn_cc_distribute(s.n, k, seed, &a);

	switch (r.outcome)
	{
		case MN_CC_TOO_FEW:
			too_few(s.n);
			break;
		case MN_CC_NO_MEMORY:
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory distributing %d solutions", s.n)));
			break;
		case MN_CC_MUTUAL:
			ereport(NOTICE,
					(errmsg("%d solutions are too few for %d reviewers without mutual reviews", s.n, k),
					 errdetail("Everyone still reviews and is reviewed %d times; %lld pairs of students review each other.",
							   k, (long long) r.mutual_pairs),
					 errhint("Mutual pairs disappear from %d solutions on.", 2 * k + 1)));
			break;
		case MN_CC_REDUCED:
			ereport(NOTICE,
					(errmsg("%d solutions are too few for %d reviewers each", s.n, k),
					 errdetail("Everyone reviews and is reviewed by the %d other students.", s.n - 1)));
			break;
		case MN_CC_OK:
			break;
	}
	return return_pairs(fcinfo, &s, &r);
}

static int
cmp_datum_int64(const void *a, const void *b)
{
	int64		x = DatumGetInt64(*(const Datum *) a);
	int64		y = DatumGetInt64(*(const Datum *) b);

	return x < y ? -1 : x > y;
}

/* Index of a student id in the (ascending) student_ids, or -1. */
static int32
student_index(const solutions *s, Datum id)
{
	Datum	   *hit = bsearch(&id, s->student_ids, s->n, sizeof(Datum), cmp_datum_int64);

	return hit ? (int32) (hit - s->student_ids) : -1;
}

PG_FUNCTION_INFO_V1(mn_crosscheck_late_pairs);
/*
 * _crosscheck_late_pairs(solution_ids, student_ids, late boolean[],
 *                        existing_checkers bigint[], existing_authors bigint[], k, seed)
 * Existing pairs that involve students no longer eligible (expelled) are
 * ignored: they neither count as load nor block a pair.
 */
Datum
mn_crosscheck_late_pairs(PG_FUNCTION_ARGS)
{
	solutions	s = solutions_arg(fcinfo);
	int			nlate, nchk, nauth;
	Datum	   *late = mn_array_arg(fcinfo, 2, "late", BOOLOID, &nlate);
	Datum	   *chk = mn_array_arg(fcinfo, 3, "existing_checkers", INT8OID, &nchk);
	Datum	   *auth = mn_array_arg(fcinfo, 4, "existing_authors", INT8OID, &nauth);
	int32		k = reviewers_arg(fcinfo, 5, s.n);
	uint64		seed = PG_ARGISNULL(6) ? 0 : (uint64) PG_GETARG_INT64(6);
	mn_allocator a = mn_palloc_allocator(CurrentMemoryContext);
	int32	   *load = palloc0(sizeof(int32) * (s.n + 1));
	int32	   *authors = palloc(sizeof(int32) * (s.n + 1));
	mn_cc_pair *existing = palloc(sizeof(mn_cc_pair) * (nchk + 1));
	int64		nexisting = 0;
	int32		nauthors = 0;
	mn_cc_result r;

	if (nlate != s.n || nchk != nauth)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("late must match the solutions and existing_checkers the existing_authors in length")));
	for (int i = 1; i < s.n; i++)
		if (DatumGetInt64(s.student_ids[i - 1]) >= DatumGetInt64(s.student_ids[i]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("student_ids must be distinct and ascending")));
	for (int i = 0; i < nchk; i++)
	{
		int32		c = student_index(&s, chk[i]);
		int32		au = student_index(&s, auth[i]);

		if (c < 0 || au < 0)
			continue;
		existing[nexisting].checker = c;
		existing[nexisting++].author = au;
		load[c]++;
	}
	for (int i = 0; i < s.n; i++)
		if (DatumGetBool(late[i]))
			authors[nauthors++] = i;

	r = mn_cc_assign_late(s.n, load, existing, nexisting, authors, nauthors, k, seed, &a);
	switch (r.outcome)
	{
		case MN_CC_TOO_FEW:
			too_few(s.n);
			break;
		case MN_CC_NO_MEMORY:
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory assigning late solutions")));
			break;
		case MN_CC_REDUCED:
			ereport(NOTICE,
					(errmsg("late solutions get %d reviewers instead of %d", r.per_student, k),
					 errdetail("Only %d students can review them.", s.n - 1)));
			break;
		case MN_CC_MUTUAL:
			ereport(NOTICE,
					(errmsg("%lld of the new pairs are mutual", (long long) r.mutual_pairs),
					 errdetail("The least-loaded reviewers left no other choice.")));
			break;
		case MN_CC_OK:
			break;
	}
	return return_pairs(fcinfo, &s, &r);
}
