/*
 * teams.c - SQL glue of team formation (src/core/teams.c).
 *
 * _teams_plan() turns ranks and the sizes of existing teams into a plan of
 * (student, team, lead) rows by position; mentor.distribute_teams (SQL)
 * gathers the students, writes the teams and members it describes.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/tuplestore.h"

#include "mentor.h"
#include "core/teams.h"

PG_FUNCTION_INFO_V1(mn_teams_plan);
/*
 * _teams_plan(ranks int[], existing_sizes int[], min_size int, max_size int,
 *             strict_size int, seed bigint)
 *   -> (student_index int, team_index int, is_lead boolean), 1-based;
 * team_index <= cardinality(existing_sizes) is an existing team.  Students
 * left out have no row.
 */
Datum
mn_teams_plan(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			n, nexisting;
	Datum	   *ranks = mn_array_arg(fcinfo, 0, "ranks", INT4OID, &n);
	Datum	   *sizes = mn_array_arg(fcinfo, 1, "existing_sizes", INT4OID, &nexisting);
	mn_teams_spec spec;
	uint64		seed = PG_ARGISNULL(5) ? 0 : (uint64) PG_GETARG_INT64(5);
	int32	   *rank = palloc(sizeof(int32) * (n + 1));
	int32	   *size = palloc(sizeof(int32) * (nexisting + 1));
	mn_allocator a = mn_palloc_allocator(CurrentMemoryContext);
	mn_teams_result r;

	spec.min_size = PG_ARGISNULL(2) ? 0 : PG_GETARG_INT32(2);
	spec.max_size = PG_ARGISNULL(3) ? 0 : PG_GETARG_INT32(3);
	spec.strict_size = PG_ARGISNULL(4) ? 0 : PG_GETARG_INT32(4);
	if (spec.min_size < 1 || spec.max_size < spec.min_size || spec.strict_size < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("team sizes must satisfy 1 <= min_size <= max_size and strict_size >= 0"),
				 errdetail("min_size %d, max_size %d, strict_size %d.", spec.min_size, spec.max_size, spec.strict_size)));
	for (int i = 0; i < n; i++)
	{
		rank[i] = DatumGetInt32(ranks[i]);
		if (rank[i] < 1)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("ranks must be positive"), errdetail("Element %d is %d.", i + 1, rank[i])));
	}
	for (int i = 0; i < nexisting; i++)
		size[i] = Max(DatumGetInt32(sizes[i]), 0);

	r = mn_teams_distribute(n, rank, nexisting, size, spec, seed, &a);
	if (r.error)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory forming teams of %d students", n)));

	mn_materialize_srf(fcinfo);
	for (int i = 0; i < n; i++)
	{
		Datum		values[3];
		bool		nulls[3] = {false, false, false};
		bool		lead = false;

		if (r.team_of[i] < 0)
			continue;
		if (r.team_of[i] >= nexisting)
			lead = r.leads[r.team_of[i] - nexisting] == i;
		values[0] = Int32GetDatum(i + 1);
		values[1] = Int32GetDatum(r.team_of[i] + 1);
		values[2] = BoolGetDatum(lead);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
