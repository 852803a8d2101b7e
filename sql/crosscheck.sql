-- Cross-check module: distribution, late solutions, reviews, completion by
-- three methods, reviewer flags, and who sees which review.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS mentor CASCADE;
RESET client_min_messages;
\set SHOW_CONTEXT never

\i sql/helpers/try.psql
-- The properties of one task's pairs, as one line.
CREATE FUNCTION pg_temp.pairs(ct bigint) RETURNS text LANGUAGE sql AS $$
    SELECT format('%s pairs; reviews done per student %s; received per solution %s; self %s; duplicates %s; mutual %s',
        (SELECT count(*) FROM mentor.task_solution_checkers c WHERE c.course_task_id = ct),
        (SELECT array_agg(DISTINCT n) FROM (SELECT count(*) n FROM mentor.task_solution_checkers c
                                             WHERE c.course_task_id = ct GROUP BY c.checker_id) x),
        (SELECT array_agg(DISTINCT n) FROM (SELECT count(*) n FROM mentor.task_solution_checkers c
                                             WHERE c.course_task_id = ct GROUP BY c.student_id) x),
        (SELECT count(*) FROM mentor.task_solution_checkers c WHERE c.course_task_id = ct AND c.checker_id = c.student_id),
        (SELECT count(*) - count(DISTINCT (c.checker_id, c.student_id)) FROM mentor.task_solution_checkers c
          WHERE c.course_task_id = ct),
        (SELECT count(*) / 2 FROM mentor.task_solution_checkers a JOIN mentor.task_solution_checkers b
             ON b.course_task_id = a.course_task_id AND b.checker_id = a.student_id AND b.student_id = a.checker_id
          WHERE a.course_task_id = ct)) $$;

-- A course of 14 students; the last one is expelled.
INSERT INTO mentor.users (email, username, full_name)
SELECT format('cc%s@example.com', g), format('cc%s', lpad(g::text, 2, '0')), format('Checker %s', g)
  FROM generate_series(1, 14) g;
INSERT INTO mentor.users (email, username, full_name) VALUES ('ccboss@example.com', 'ccboss', 'CC Manager');
INSERT INTO mentor.courses (name, alias, start_date, end_date)
VALUES ('Cross-check school', 'cc-school', '2026-01-01', '2026-12-31') RETURNING id AS course \gset
INSERT INTO mentor.students (course_id, user_id)
SELECT :course, id FROM mentor.users WHERE username LIKE 'cc__' ORDER BY username;
SELECT array_agg(s.id ORDER BY u.username) AS s FROM mentor.students s JOIN mentor.users u ON u.id = s.user_id
 WHERE s.course_id = :course \gset
SELECT id AS boss FROM mentor.users WHERE username = 'ccboss' \gset
INSERT INTO mentor.course_users (course_id, user_id, is_manager) VALUES (:course, :boss, true);
UPDATE mentor.students SET is_expelled = true WHERE id = (:'s'::bigint[])[14];
INSERT INTO mentor.tasks (name, criteria)
VALUES ('Portfolio', '[{"key": "layout", "text": "Responsive layout", "max": 50}, {"key": "code", "max": 50}]')
RETURNING id AS task \gset
INSERT INTO mentor.tasks (name) VALUES ('Plain') RETURNING id AS plain \gset

-- A cross-checked task whose submissions are still open.
INSERT INTO mentor.course_tasks (course_id, task_id, student_start_at, student_end_at, max_score, checker, pairs_count)
VALUES (:course, :task, now() - interval '7 days', now() + interval '1 day', 100, 'crosscheck', 3)
RETURNING id AS ct \gset
INSERT INTO mentor.course_tasks (course_id, task_id, student_start_at, student_end_at, checker)
VALUES (:course, :plain, now() - interval '7 days', now() - interval '1 day', 'mentor') RETURNING id AS not_cc \gset

-- Bad input: nothing changes.
SELECT pg_temp.try('SELECT mentor.crosscheck_distribute(-1)');
SELECT pg_temp.try(format('SELECT mentor.crosscheck_distribute(%s)', :not_cc));
SELECT split_part(pg_temp.try(format('SELECT mentor.crosscheck_distribute(%s)', :ct)), ' (', 1) AS before_deadline;
SELECT pg_temp.try(format('SELECT mentor.crosscheck_distribute(%s, 0, force => true)', :ct));
SELECT pg_temp.try(format('SELECT mentor.crosscheck_distribute(%s, 101, force => true)', :ct));
-- One solution is not enough (MN007), and the task stays initial.
INSERT INTO mentor.task_solutions (course_task_id, student_id, url)
VALUES (:ct, (:'s'::bigint[])[1], 'https://example.com/cc/1');
SELECT pg_temp.try(format('SELECT mentor.crosscheck_distribute(%s, force => true)', :ct));
SELECT crosscheck_status, crosscheck_seed FROM mentor.course_tasks WHERE id = :ct;
SELECT pg_temp.try(format('SELECT mentor.crosscheck_submit_review(%s, %s, 1, 10)', :ct, (:'s'::bigint[])[2]));

-- Eleven students and the expelled one submit; the deadline passes.
INSERT INTO mentor.task_solutions (course_task_id, student_id, url)
SELECT :ct, s, 'https://example.com/cc/' || i FROM unnest(:'s'::bigint[]) WITH ORDINALITY AS x(s, i) WHERE i BETWEEN 2 AND 11 OR i = 14;
UPDATE mentor.course_tasks SET student_start_at = now() - interval '8 days', student_end_at = now() - interval '1 hour',
       crosscheck_end_at = now() + interval '7 days' WHERE id = :ct;
SELECT mentor.crosscheck_distribute(:ct, seed => 2026) AS pairs;
SELECT pg_temp.pairs(:ct);
SELECT crosscheck_status, crosscheck_reviewers, crosscheck_seed FROM mentor.course_tasks WHERE id = :ct;
SELECT count(*) AS pairs_with_expelled FROM mentor.task_solution_checkers
 WHERE course_task_id = :ct AND (:'s'::bigint[])[14] IN (checker_id, student_id);

-- The same seed over the same solutions gives the same pairs.
INSERT INTO mentor.course_tasks (course_id, task_id, student_start_at, student_end_at, checker, pairs_count)
VALUES (:course, :task, now() - interval '7 days', now() - interval '1 hour', 'crosscheck', 3) RETURNING id AS twin \gset
INSERT INTO mentor.task_solutions (course_task_id, student_id, url, submitted_at)
SELECT :twin, student_id, url, now() - interval '2 hours' FROM mentor.task_solutions WHERE course_task_id = :ct;
SELECT mentor.crosscheck_distribute(:twin, seed => 2026) AS twin_pairs;
SELECT count(*) AS pairs_that_differ FROM (
    (SELECT checker_id, student_id FROM mentor.task_solution_checkers WHERE course_task_id = :ct
     EXCEPT SELECT checker_id, student_id FROM mentor.task_solution_checkers WHERE course_task_id = :twin)
    UNION ALL
    (SELECT checker_id, student_id FROM mentor.task_solution_checkers WHERE course_task_id = :twin
     EXCEPT SELECT checker_id, student_id FROM mentor.task_solution_checkers WHERE course_task_id = :ct)) d;

-- Small classes do not fail: 5 solutions and k = 3 (mutual pairs), 3 solutions and k = 4 (n - 1 each).
INSERT INTO mentor.course_tasks (course_id, task_id, student_start_at, student_end_at, checker, pairs_count)
VALUES (:course, :task, now() - interval '7 days', now() - interval '1 hour', 'crosscheck', 3),
       (:course, :task, now() - interval '7 days', now() - interval '1 hour', 'crosscheck', 4);
SELECT max(id) - 1 AS five, max(id) AS three FROM mentor.course_tasks \gset
INSERT INTO mentor.task_solutions (course_task_id, student_id, url, submitted_at)
SELECT :five, s, 'https://example.com/five/' || s, now() - interval '2 hours' FROM unnest((:'s'::bigint[])[1:5]) s
UNION ALL SELECT :three, s, 'https://example.com/three/' || s, now() - interval '2 hours' FROM unnest((:'s'::bigint[])[1:3]) s;
SELECT mentor.crosscheck_distribute(:five, seed => 1) AS five_pairs;
SELECT pg_temp.pairs(:five);
SELECT mentor.crosscheck_distribute(:three, seed => 1) AS three_pairs;
SELECT pg_temp.pairs(:three);

-- After the deadline a solution is refused (MN008) unless course staff accept it late; late
-- solutions get reviewers, least-loaded first, and nothing else changes.
SELECT regexp_replace(pg_temp.try(format($$INSERT INTO mentor.task_solutions (course_task_id, student_id, url) VALUES (%s, %s, 'https://example.com/late')$$,
                                         :ct, (:'s'::bigint[])[12])), ' from .*', ' from ... to ...') AS after_deadline;
BEGIN;
SELECT mentor.set_actor(pg_temp_s.user_id) IS NOT NULL AS as_a_student FROM mentor.students pg_temp_s WHERE pg_temp_s.id = (:'s'::bigint[])[1];
SELECT pg_temp.try(format($$SELECT mentor.accept_late_solution(%s, %s, 'https://example.com/late')$$, :ct, (:'s'::bigint[])[12])) AS student_refused;
SELECT mentor.set_actor(:boss) = :boss AS as_the_manager;
SELECT count(mentor.accept_late_solution(:ct, s, 'https://example.com/late/' || s, 'Ill last week')) AS accepted_late
  FROM unnest((:'s'::bigint[])[12:13]) s;
COMMIT;
SELECT count(*) FILTER (WHERE late) AS late, count(*) AS solutions FROM mentor.task_solutions WHERE course_task_id = :ct;
SELECT mentor.crosscheck_distribute(:ct, seed => 7) AS late_pairs;
SELECT u.username AS late_author, count(*) AS reviewers, bool_and(c.checker_id <> c.student_id) AS no_self
  FROM mentor.task_solution_checkers c JOIN mentor.students s ON s.id = c.student_id JOIN mentor.users u ON u.id = s.user_id
 WHERE c.course_task_id = :ct AND c.student_id = ANY ((:'s'::bigint[])[12:13]) GROUP BY u.username ORDER BY 1;
SELECT pg_temp.pairs(:ct);
SELECT mentor.crosscheck_distribute(:ct) AS nothing_new;

-- Reviews: only assigned checkers, scores and criteria within the task's limits.
SELECT c.task_solution_id AS sol, c.checker_id AS chk, c.student_id AS author
  FROM mentor.task_solution_checkers c WHERE c.course_task_id = :ct ORDER BY c.id LIMIT 1 \gset
SELECT s AS stranger FROM unnest(:'s'::bigint[]) s
 WHERE s <> :author AND NOT EXISTS (SELECT 1 FROM mentor.task_solution_checkers c WHERE c.task_solution_id = :sol AND c.checker_id = s)
 LIMIT 1 \gset
SELECT pg_temp.try(format('SELECT mentor.crosscheck_submit_review(%s, %s, %s, 50)', :ct, :stranger, :sol)) ~ '^MN005' AS unassigned_refused;
SELECT pg_temp.try(format('SELECT mentor.crosscheck_submit_review(%s, %s, %s, 101)', :ct, :chk, :sol));
SELECT pg_temp.try(format('SELECT mentor.crosscheck_submit_review(%s, %s, %s, -1)', :ct, :chk, :sol));
SELECT pg_temp.try(format('SELECT mentor.crosscheck_submit_review(%s, %s, %s, NULL)', :ct, :chk, :sol));
SELECT pg_temp.try(format($$SELECT mentor.crosscheck_submit_review(%s, %s, %s, 50, '[1]')$$, :ct, :chk, :sol));
SELECT pg_temp.try(format($$SELECT mentor.crosscheck_submit_review(%s, %s, %s, 50, '{"style": 5}')$$, :ct, :chk, :sol));
SELECT pg_temp.try(format($$SELECT mentor.crosscheck_submit_review(%s, %s, %s, 50, '{"layout": 60, "code": "a"}')$$, :ct, :chk, :sol));
SELECT pg_temp.try(format('SELECT mentor.crosscheck_submit_review(%s, %s, -5, 50)', :ct, :chk));
SELECT pg_temp.try(format('SELECT mentor.crosscheck_submit_review(%s, %s, %s, 50)', :not_cc, :chk, :sol));
-- The acting user must be the checker (or course staff).
BEGIN;
SELECT mentor.set_actor(user_id) IS NOT NULL AS acting_as_author FROM mentor.students WHERE id = :author;
SELECT pg_temp.try(format('SELECT mentor.crosscheck_submit_review(%s, %s, %s, 50)', :ct, :chk, :sol)) ~ '^MN005' AS impersonation_refused;
ROLLBACK;
SELECT count(*) AS reviews_after_bad_input FROM mentor.task_solution_results WHERE course_task_id = :ct;
-- A saved review can be re-saved; every score is kept in historical_scores.
SELECT mentor.crosscheck_submit_review(:ct, :chk, :sol, 40, '{"layout": 20, "code": 20}', 'Needs work') = (
       mentor.crosscheck_submit_review(:ct, :chk, :sol, 45, '{"layout": 25, "code": 20}', 'Needs work on the grid')) AS same_review;
SELECT score, criteria, jsonb_path_query_array(historical_scores, '$[*].score') AS scores,
       historical_scores -> 0 ->> 'source' AS source
  FROM mentor.task_solution_results WHERE task_solution_id = :sol AND checker_id = :chk;

-- Who sees a review: anonymous ones are hidden from the reviewed student, except
-- through my_crosscheck_reviews, which leaves the reviewer out.
SELECT user_id AS author_user FROM mentor.students WHERE id = :author \gset
SELECT user_id AS checker_user FROM mentor.students WHERE id = :chk \gset
SELECT user_id AS stranger_user FROM mentor.students WHERE id = :stranger \gset
SELECT c.checker_id AS chk2 FROM mentor.task_solution_checkers c WHERE c.task_solution_id = :sol AND c.checker_id <> :chk LIMIT 1 \gset
SELECT mentor.crosscheck_submit_review(:ct, :chk2, :sol, 70, anonymous => false, comment => 'Signed review') > 0 AS saved;
BEGIN;
SET LOCAL ROLE mentor_app;
SELECT mentor.set_actor(:author_user) IS NOT NULL AS as_author;
SELECT score, anonymous FROM mentor.task_solution_results WHERE task_solution_id = :sol ORDER BY score;
SELECT score, anonymous, checker_id IS NULL AS reviewer_hidden FROM mentor.my_crosscheck_reviews WHERE task_solution_id = :sol ORDER BY score;
SELECT mentor.set_actor(:checker_user) IS NOT NULL AS as_checker;
SELECT score, anonymous FROM mentor.task_solution_results WHERE task_solution_id = :sol ORDER BY score;
SELECT mentor.set_actor(:boss) IS NOT NULL AS as_manager;
SELECT count(*) AS manager_sees FROM mentor.task_solution_results WHERE task_solution_id = :sol;
ROLLBACK;
-- The discussion: the author answers the anonymous reviewer without learning who it is.
SELECT id AS review FROM mentor.task_solution_results WHERE task_solution_id = :sol AND checker_id = :chk \gset
BEGIN;
SET LOCAL ROLE mentor_app;
SELECT mentor.set_actor(:author_user) IS NOT NULL AS as_author;
SELECT m ->> 'from' AS sender, m ->> 'text' AS text FROM mentor.crosscheck_add_message(:review, '  Which grid issue do you mean?  ') m;
SELECT mentor.set_actor(:checker_user) IS NOT NULL AS as_checker;
SELECT m ->> 'from' AS sender FROM mentor.crosscheck_add_message(:review, 'The cards overflow at 375px.') m;
SELECT mentor.set_actor(:author_user) IS NOT NULL AS as_author_again;
SELECT text FROM mentor.my_crosscheck_reviews r, jsonb_array_elements(r.messages) e, LATERAL (SELECT e ->> 'from' || ': ' || (e ->> 'text')) x(text)
 WHERE r.id = :review;
SELECT pg_temp.try(format($$SELECT mentor.crosscheck_add_message(%s, '   ')$$, :review));
SELECT pg_temp.try('SELECT mentor.crosscheck_add_message(-1, ''hello'')');
SELECT mentor.set_actor(:stranger_user) IS NOT NULL AS as_stranger;
SELECT pg_temp.try(format($$SELECT mentor.crosscheck_add_message(%s, 'me too')$$, :review)) ~ '^MN005' AS stranger_refused;
SELECT pg_temp.try(format($$UPDATE mentor.task_solution_results SET messages = '[]' WHERE id = %s$$, :review));
ROLLBACK;

-- Completion by hand-computed examples: four students, everyone assigned to
-- everyone, and a late fifth (E) reviewed by A only; reviews (checker -> author: score):
--   A -> B 50, A -> C 90, A -> E 70;  B -> A 60;  C -> A 80, C -> B 71;  D -> A 100.
-- Received: A 60/80/100, B 50/71, C 90, D none, E 70.  Done: A 3 of 4, B 1 of 3, C 2 of 3,
-- D 1 of 3, E 0 of 0.
INSERT INTO mentor.course_tasks (course_id, task_id, student_start_at, student_end_at, checker, pairs_count)
VALUES (:course, :task, now() - interval '7 days', now() - interval '1 hour', 'crosscheck', 3) RETURNING id AS hand \gset
INSERT INTO mentor.task_solutions (course_task_id, student_id, url, submitted_at)
SELECT :hand, s, 'https://example.com/hand/' || s, now() - interval '2 hours' FROM unnest((:'s'::bigint[])[1:4]) s;
INSERT INTO mentor.task_solution_checkers (course_task_id, task_solution_id, student_id, checker_id)
SELECT :hand, t.id, t.student_id, c FROM mentor.task_solutions t, unnest((:'s'::bigint[])[1:4]) c
 WHERE t.course_task_id = :hand AND c <> t.student_id;
INSERT INTO mentor.task_solutions (course_task_id, student_id, url, late)
VALUES (:hand, (:'s'::bigint[])[5], 'https://example.com/hand/late', true);
INSERT INTO mentor.task_solution_checkers (course_task_id, task_solution_id, student_id, checker_id)
SELECT :hand, t.id, t.student_id, (:'s'::bigint[])[1] FROM mentor.task_solutions t
 WHERE t.course_task_id = :hand AND t.student_id = (:'s'::bigint[])[5];
UPDATE mentor.course_tasks SET crosscheck_status = 'distributed', crosscheck_reviewers = 3 WHERE id = :hand;
CREATE TEMP TABLE hand_reviews (checker int, author int, score int, criteria jsonb, comment text);
INSERT INTO hand_reviews VALUES
    (1, 2, 50, '{}', 'The layout breaks below 600px; tests are missing.'),
    (1, 3, 90, '{}', 'ok'),
    (1, 5, 70, '{}', 'Late, but complete: the slider works, the layout needs a tablet breakpoint.'),
    (2, 1, 60, '{"layout": 10, "code": 50}', NULL),
    (3, 1, 80, '{"layout": 40, "code": 40}', 'Good code, the header overlaps on mobile.'),
    (3, 2, 71, '{}', 'Decent work, but the README does not explain how to run it.'),
    (4, 1, 100, '{"layout": 50, "code": 50}', NULL);
SELECT count(mentor.crosscheck_submit_review(:hand, (:'s'::bigint[])[h.checker], t.id, h.score, h.criteria, h.comment)) AS reviews
  FROM hand_reviews h JOIN mentor.task_solutions t ON t.course_task_id = :hand AND t.student_id = (:'s'::bigint[])[h.author];
CREATE FUNCTION pg_temp.results(ct bigint) RETURNS TABLE (student text, score int) LANGUAGE sql AS $$
    SELECT chr(64 + array_position((SELECT array_agg(s.id ORDER BY u.username) FROM mentor.students s
                                      JOIN mentor.users u ON u.id = s.user_id WHERE u.username LIKE 'cc__'), r.student_id)),
           r.score
      FROM mentor.task_results r WHERE r.course_task_id = ct ORDER BY 1 $$;
SELECT pg_temp.try(format($$SELECT mentor.crosscheck_complete(%s, 'majority')$$, :hand));
-- top_k_minus_1: A did 3 of 4 -> best 2 of 60/80/100 = 90; B did 1 of 3 -> none; C -> 90; D received none;
-- E had no reviews to do -> 70.
SELECT mentor.crosscheck_complete(:hand) AS written;
SELECT * FROM pg_temp.results(:hand);
-- median: per criterion for A (layout 40, code 50 = 90), of the scores otherwise (B: 50/71 -> 60.5 -> 61, C 90, E 70).
SELECT mentor.crosscheck_complete(:hand, 'median') AS written;
SELECT * FROM pg_temp.results(:hand);
-- mean: A 80, B 60.5 -> 61, C 90, E 70.
SELECT mentor.crosscheck_complete(:hand, 'mean') AS written;
SELECT * FROM pg_temp.results(:hand);
SELECT mentor.crosscheck_complete(:hand) AS written_again;
SELECT jsonb_path_query_array(r.historical_scores, '$[*].score') AS scores,
       jsonb_path_query_array(r.historical_scores, '$[*].source') AS sources
  FROM mentor.task_results r WHERE r.course_task_id = :hand AND r.student_id = (:'s'::bigint[])[1];
SELECT crosscheck_status FROM mentor.course_tasks WHERE id = :hand;

-- Flags: A's reviews of 60 and 100 are outside 0.9-1.1x of the others' mean; low scores need a comment.
SELECT chr(64 + array_position(:'s'::bigint[], f.checker_id)) AS checker,
       chr(64 + array_position(:'s'::bigint[], f.student_id)) AS author, f.score, f.flag, f.detail
  FROM mentor.crosscheck_reviewer_flags(:hand) f ORDER BY 2, 1, 4;

-- After completion: no reviews, no new reviewers.
SELECT pg_temp.try(format('SELECT mentor.crosscheck_submit_review(%s, %s, %s, 50)', :hand,
                          (:'s'::bigint[])[2], (SELECT id FROM mentor.task_solutions WHERE course_task_id = :hand
                                                 AND student_id = (:'s'::bigint[])[3])));
SELECT pg_temp.try(format('SELECT mentor.crosscheck_distribute(%s)', :hand));
-- Past the review deadline: MN008.
UPDATE mentor.course_tasks SET crosscheck_end_at = student_end_at WHERE id = :ct;
SELECT pg_temp.try(format('SELECT mentor.crosscheck_submit_review(%s, %s, %s, 50)', :ct, :chk, :sol)) ~ '^MN008' AS late_review_refused;
SELECT course_task_id = :ct AS main_task, crosscheck_status, solutions, assigned_reviews, submitted_reviews, late_solutions
  FROM mentor.crosscheck_progress WHERE course_task_id IN (:ct, :hand) ORDER BY 1 DESC;
-- The same as a result: what the distributions made.
SELECT * FROM mentor.crosscheck_report(:ct);
SELECT count(*) AS unknown_task FROM mentor.crosscheck_report(-1);
