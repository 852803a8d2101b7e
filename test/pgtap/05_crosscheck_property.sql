-- Property test of mentor.crosscheck_distribute over SQL: for every class
-- size n in 1..60 and k in 1..6, with three seeds, the pairs written have
-- exact loads, no self-review, no duplicate and (when n >= 2k+1) no mutual
-- pair; n < 2 fails with MN007 leaving the task initial.  Then late
-- solutions, and team formation sizes.
BEGIN;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS mentor CASCADE;
SELECT plan(360 + 6 + 4);

INSERT INTO mentor.users (email, username, full_name)
SELECT format('prop%s@example.com', g), format('prop%s', g), format('Prop %s', g) FROM generate_series(1, 66) g;
INSERT INTO mentor.courses (name, alias, start_date, end_date) VALUES ('Property', 'property', '2026-01-01', '2026-12-31');
INSERT INTO mentor.students (course_id, user_id)
SELECT c.id, u.id FROM mentor.courses c, mentor.users u WHERE c.alias = 'property' AND u.username LIKE 'prop%' ORDER BY u.id;
INSERT INTO mentor.tasks (name) VALUES ('Property task');

-- Distributes n solutions with k reviewers and the seed; returns what is wrong, or NULL.
CREATE FUNCTION pg_temp.violations(n int, k int, seed bigint) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    ct      bigint;
    created int;
    per     int := CASE WHEN n <= k THEN n - 1 ELSE k END;
    loads   text;
    bad     text;
BEGIN
    INSERT INTO mentor.course_tasks (course_id, task_id, student_start_at, student_end_at, checker, pairs_count)
    SELECT c.id, t.id, now() - interval '2 days', now() - interval '1 day', 'crosscheck', k
      FROM mentor.courses c, mentor.tasks t WHERE c.alias = 'property' AND t.name = 'Property task'
    RETURNING id INTO ct;
    INSERT INTO mentor.task_solutions (course_task_id, student_id, url, submitted_at)
    SELECT ct, s.id, 'https://example.com/p/' || s.id, now() - interval '36 hours'
      FROM mentor.students s JOIN mentor.courses c ON c.id = s.course_id
     WHERE c.alias = 'property' ORDER BY s.id LIMIT n;
    BEGIN
        created := mentor.crosscheck_distribute(ct, seed => seed);
    EXCEPTION WHEN SQLSTATE 'MN007' THEN
        IF n >= 2 THEN
            RETURN 'MN007 although n >= 2';
        END IF;
        IF (SELECT crosscheck_status FROM mentor.course_tasks WHERE id = ct) <> 'initial' THEN
            RETURN 'status changed by a failed distribution';
        END IF;
        RETURN NULL;
    END;
    IF n < 2 THEN
        RETURN 'n < 2 did not fail';
    END IF;
    IF created <> n * per THEN
        RETURN format('%s pairs instead of %s', created, n * per);
    END IF;
    SELECT string_agg(DISTINCT format('%s does %s', checker_id, cnt), ', ') INTO loads
      FROM (SELECT checker_id, count(*) cnt FROM mentor.task_solution_checkers WHERE course_task_id = ct GROUP BY 1) x
     WHERE cnt <> per;
    IF loads IS NOT NULL THEN RETURN 'unequal reviews to do: ' || loads; END IF;
    SELECT string_agg(DISTINCT format('%s gets %s', student_id, cnt), ', ') INTO loads
      FROM (SELECT student_id, count(*) cnt FROM mentor.task_solution_checkers WHERE course_task_id = ct GROUP BY 1) x
     WHERE cnt <> per;
    IF loads IS NOT NULL THEN RETURN 'unequal reviews received: ' || loads; END IF;
    IF (SELECT count(DISTINCT student_id) FROM mentor.task_solution_checkers WHERE course_task_id = ct) <> n THEN
        RETURN 'a solution without reviewers';
    END IF;
    -- self-review and duplicates are also refused by constraints; a mutual pair only by the algorithm
    IF n >= 2 * k + 1 AND EXISTS (SELECT 1 FROM mentor.task_solution_checkers a JOIN mentor.task_solution_checkers b
                                     ON b.course_task_id = a.course_task_id AND b.checker_id = a.student_id
                                    AND b.student_id = a.checker_id
                                  WHERE a.course_task_id = ct) THEN
        RETURN 'a mutual pair although n >= 2k+1';
    END IF;
    IF (SELECT crosscheck_status FROM mentor.course_tasks WHERE id = ct) <> 'distributed' THEN
        RETURN 'status not distributed';
    END IF;
    RETURN NULL;
END $$;

SELECT is(coalesce(pg_temp.violations(n, k, 1), pg_temp.violations(n, k, 99), pg_temp.violations(n, k, -7)), NULL,
          format('n=%s k=%s: exact loads, no self, no duplicate%s', n, k, CASE WHEN n >= 2 * k + 1 THEN ', no mutual' ELSE '' END))
  FROM generate_series(1, 60) n, generate_series(1, 6) k;

-- Late solutions: 20 distributed with k = 4, then 6 more arrive.
CREATE TEMP TABLE late_task AS
SELECT ct.id FROM mentor.course_tasks ct JOIN mentor.courses c ON c.id = ct.course_id WHERE false;
DO $$
DECLARE
    ct bigint;
BEGIN
    INSERT INTO mentor.course_tasks (course_id, task_id, student_start_at, student_end_at, checker, pairs_count)
    SELECT c.id, t.id, now() - interval '2 days', now() - interval '1 day', 'crosscheck', 4
      FROM mentor.courses c, mentor.tasks t WHERE c.alias = 'property' AND t.name = 'Property task'
    RETURNING id INTO ct;
    INSERT INTO late_task VALUES (ct);
    INSERT INTO mentor.task_solutions (course_task_id, student_id, url, submitted_at)
    SELECT ct, s.id, 'https://example.com/l/' || s.id, now() - interval '36 hours' FROM mentor.students s JOIN mentor.courses c ON c.id = s.course_id
     WHERE c.alias = 'property' ORDER BY s.id LIMIT 20;
    PERFORM mentor.crosscheck_distribute(ct, seed => 5);
    CREATE TEMP TABLE before_late AS SELECT * FROM mentor.task_solution_checkers WHERE course_task_id = ct;
    -- after the deadline: accepted late (by an administrator here)
    INSERT INTO mentor.task_solutions (course_task_id, student_id, url, late)
    SELECT ct, s.id, 'https://example.com/l/' || s.id, true FROM mentor.students s JOIN mentor.courses c ON c.id = s.course_id
     WHERE c.alias = 'property' ORDER BY s.id OFFSET 20 LIMIT 6;
END $$;
SELECT is(mentor.crosscheck_distribute(id, seed => 6), 24, 'late solutions: 6 x 4 new pairs') FROM late_task;
SELECT is((SELECT count(*) FROM mentor.task_solution_checkers c WHERE c.course_task_id = l.id
            AND c.id NOT IN (SELECT id FROM before_late) AND c.task_solution_id IN (SELECT task_solution_id FROM before_late)),
          0::bigint, 'late: no new reviewer for a solution distributed before') FROM late_task l;
SELECT is((SELECT array_agg(DISTINCT n) FROM (SELECT count(*) n FROM mentor.task_solution_checkers c
            WHERE c.course_task_id = l.id GROUP BY c.student_id) x), ARRAY[4::bigint], 'late: every solution has 4 reviewers')
  FROM late_task l;
SELECT is((SELECT count(*) FROM (SELECT checker_id, count(*) FROM before_late GROUP BY 1) b
            JOIN (SELECT checker_id, count(*) FROM mentor.task_solution_checkers c WHERE c.course_task_id = l.id GROUP BY 1) a
              USING (checker_id)), 20::bigint, 'late: the earlier pairs are all still there') FROM late_task l;
-- Least-loaded: the 6 late students (0 reviews) are used before anyone doing 4 takes a fifth.
SELECT ok((SELECT max(n) FROM (SELECT count(*) n FROM mentor.task_solution_checkers c WHERE c.course_task_id = l.id
                                GROUP BY c.checker_id) x) <= 5, 'late: nobody reviews more than 5') FROM late_task l;
SELECT is(mentor.crosscheck_distribute(id), 0, 'late: a further call adds nothing') FROM late_task l;

-- Teams: 37 ranked students into teams of 3-5, strict size off, and of exactly 4.
CREATE FUNCTION pg_temp.sizes(min_size int, max_size int, strict int) RETURNS int[] LANGUAGE sql AS $$
    SELECT array_agg(n ORDER BY n) FROM (
        SELECT count(*)::int AS n FROM mentor._teams_plan(
            (SELECT array_agg((g % 13) + 1) FROM generate_series(1, 37) g), '{}', min_size, max_size, strict, 42)
         GROUP BY team_index) x $$;
SELECT is(pg_temp.sizes(3, 5, NULL), ARRAY[4, 4, 4, 5, 5, 5, 5, 5], 'teams of 3-5 for 37: the fewest teams, sizes within one');
SELECT is(pg_temp.sizes(4, 4, NULL), ARRAY[4, 4, 4, 4, 4, 4, 4, 4, 4], 'teams of exactly 4 (min = max): 9 teams, one left out');
SELECT is(pg_temp.sizes(1, 10, 6), ARRAY[6, 6, 6, 6, 6, 6], 'strict size 6: 6 teams of 6');
SELECT throws_ok($$SELECT * FROM mentor._teams_plan('{1}', '{}', 3, 2, NULL, 1)$$, '22023', NULL, 'min above max is refused');

SELECT * FROM finish();
ROLLBACK;
