/*
 * quizzes.c - mentor._quiz_answer_right(is_text, correct, answer): one quiz
 * answer against the right one, for submit_quiz and quiz_review.
 *
 * In C because submit_quiz calls it once per question of every submission:
 * as SQL (subqueries over jsonb_array_elements) it was most of a 20-question
 * grading.  The comparisons themselves are src/core/grading.c; this file
 * takes the values out of jsonb.  Anything of the wrong shape (an answer of
 * another type, a nested array, a fraction) is simply a wrong answer: the
 * answers are the user's, and grading never fails on them.
 */
#include "postgres.h"

#include "catalog/pg_collation.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/formatting.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "core/grading.h"

#define MAX_OPTIONS 64			/* questions have at most 20 options */

/* The elements of a jsonb array (or the one scalar) as option indexes; false when any is not one. */
static bool
option_indexes(Jsonb *jb, int *out, size_t *n)
{
	JsonbIterator *it = JsonbIteratorInit(&jb->root);
	JsonbValue	v;
	JsonbIteratorToken tok;
	bool		good = true;

	*n = 0;
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		bool		error = false;
		int32		i;

		if (tok != WJB_ELEM)
		{
			if (tok == WJB_BEGIN_OBJECT)
				return false;
			continue;
		}
		if (!good)
			continue;
		if (v.type != jbvNumeric || numeric_is_nan(v.val.numeric) || numeric_is_inf(v.val.numeric) || *n >= MAX_OPTIONS)
		{
			good = false;
			continue;
		}
		i = numeric_int4_opt_error(v.val.numeric, &error);
		/* numeric_int4 rounds: 1.5 must not count as an index */
		if (error || i < 0 ||
			!DatumGetBool(DirectFunctionCall2(numeric_eq, NumericGetDatum(v.val.numeric),
											  DirectFunctionCall1(int4_numeric, Int32GetDatum(i)))))
		{
			good = false;
			continue;
		}
		out[(*n)++] = i;
	}
	return good;
}

/* A string, lower-cased in the database's collation (as SQL's lower() would). */
static char *
folded(const char *s, int len, size_t *outlen)
{
	char	   *f = str_tolower(s, len, DEFAULT_COLLATION_OID);

	*outlen = strlen(f);
	return f;
}

PG_FUNCTION_INFO_V1(mn_quiz_answer_right);

Datum
mn_quiz_answer_right(PG_FUNCTION_ARGS)
{
	bool		is_text;
	Jsonb	   *correct;
	Jsonb	   *answer;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_BOOL(false);
	is_text = PG_GETARG_BOOL(0);
	correct = PG_GETARG_JSONB_P(1);
	answer = PG_GETARG_JSONB_P(2);

	if (is_text)
	{
		JsonbValue	given;
		JsonbIterator *it;
		JsonbValue	v;
		JsonbIteratorToken tok;
		size_t		glen;
		char	   *g;

		if (!JB_ROOT_IS_SCALAR(answer) || !JsonbExtractScalar(&answer->root, &given) || given.type != jbvString)
			PG_RETURN_BOOL(false);
		g = folded(given.val.string.val, given.val.string.len, &glen);
		it = JsonbIteratorInit(&correct->root);
		while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
		{
			size_t		clen;
			char	   *c;

			if (tok != WJB_ELEM || v.type != jbvString)
				continue;
			c = folded(v.val.string.val, v.val.string.len, &clen);
			if (mn_same_trimmed(g, glen, c, clen))
				PG_RETURN_BOOL(true);
		}
		PG_RETURN_BOOL(false);
	}
	else
	{
		int			given[MAX_OPTIONS], right[MAX_OPTIONS];
		size_t		ngiven, nright;

		if (!option_indexes(answer, given, &ngiven) || ngiven == 0 || !option_indexes(correct, right, &nright))
			PG_RETURN_BOOL(false);
		PG_RETURN_BOOL(mn_same_option_set(given, ngiven, right, nright));
	}
}
