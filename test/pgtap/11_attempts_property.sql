-- Property test of auto-checked attempts: a random sequence (fixed seed) of
-- attempts by many students on several auto-test tasks (completed with a
-- score, pending then checked, errors, deletions by staff) with the tasks'
-- rule switched between best and latest in between; afterwards every
-- task_results row must be what the rule gives over the completed attempts,
-- there must be one exactly where a completed attempt exists, and every
-- number must be taken once per student and task.
BEGIN;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS mentor CASCADE;
RESET client_min_messages;
SELECT plan(5);

SELECT setseed(0.3141);
INSERT INTO mentor.users (email, username, full_name)
SELECT format('aprop%s@example.com', g), format('aprop%s', g), 'Student ' || g FROM generate_series(1, 25) g;
INSERT INTO mentor.courses (name, alias, start_date, end_date) VALUES ('Attempts property', 'aprop', '2026-01-01', '2030-12-31');
INSERT INTO mentor.students (course_id, user_id)
SELECT c.id, u.id FROM mentor.courses c, mentor.users u WHERE c.alias = 'aprop' AND u.username LIKE 'aprop%';
INSERT INTO mentor.tasks (name) SELECT 'Property test ' || g FROM generate_series(1, 4) g;
INSERT INTO mentor.course_tasks (course_id, task_id, student_start_at, student_end_at, checker, max_score, attempt_scoring)
SELECT c.id, t.id, now() - interval '1 day', now() + interval '1 day', 'auto_test', 100,
       CASE WHEN t.name LIKE '%2' OR t.name LIKE '%4' THEN 'latest' ELSE 'best' END
  FROM mentor.courses c, mentor.tasks t WHERE c.alias = 'aprop' AND t.name LIKE 'Property test %';

CREATE FUNCTION pg_temp.walk() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    students bigint[] := ARRAY(SELECT s.id FROM mentor.students s JOIN mentor.courses c ON c.id = s.course_id WHERE c.alias = 'aprop' ORDER BY s.id);
    tasks bigint[] := ARRAY(SELECT ct.id FROM mentor.course_tasks ct JOIN mentor.courses c ON c.id = ct.course_id WHERE c.alias = 'aprop' ORDER BY ct.id);
    st bigint; t bigint; v bigint; r float; i int;
BEGIN
    FOR i IN 1 .. 3000 LOOP
        r := random();
        st := students[1 + floor(random() * cardinality(students))::int];
        t := tasks[1 + floor(random() * cardinality(tasks))::int];
        IF r < 0.55 THEN      -- a completed attempt
            INSERT INTO mentor.task_verifications (course_task_id, course_id, student_id, status, score)
            SELECT t, ct.course_id, st, 'completed', floor(random() * 101)::int FROM mentor.course_tasks ct WHERE ct.id = t;
        ELSIF r < 0.70 THEN   -- a pending one
            INSERT INTO mentor.task_verifications (course_task_id, course_id, student_id)
            SELECT t, ct.course_id, st FROM mentor.course_tasks ct WHERE ct.id = t;
        ELSIF r < 0.85 THEN   -- a pending one is checked: a score or an error
            SELECT x.id INTO v FROM mentor.task_verifications x WHERE x.status = 'pending' ORDER BY random() LIMIT 1;
            CONTINUE WHEN v IS NULL;
            IF random() < 0.8 THEN
                UPDATE mentor.task_verifications SET status = 'completed', score = floor(random() * 101)::int WHERE id = v;
            ELSE
                UPDATE mentor.task_verifications SET status = 'error' WHERE id = v;
            END IF;
        ELSIF r < 0.95 THEN   -- staff delete an attempt
            DELETE FROM mentor.task_verifications
             WHERE id = (SELECT x.id FROM mentor.task_verifications x WHERE x.course_task_id = t ORDER BY random() LIMIT 1);
        ELSE                  -- the rule of a task switches
            UPDATE mentor.course_tasks SET attempt_scoring = CASE attempt_scoring WHEN 'best' THEN 'latest' ELSE 'best' END
             WHERE id = t;
        END IF;
    END LOOP;
END $$;
SELECT pg_temp.walk();

CREATE TEMP TABLE expected AS
SELECT DISTINCT ON (v.course_task_id, v.student_id) v.course_task_id, v.student_id, v.score
  FROM mentor.task_verifications v JOIN mentor.course_tasks ct ON ct.id = v.course_task_id
 WHERE v.status = 'completed'
 ORDER BY v.course_task_id, v.student_id, CASE WHEN ct.attempt_scoring = 'best' THEN v.score END DESC NULLS LAST, v.attempt_no DESC;

SELECT cmp_ok((SELECT count(*) FROM mentor.task_verifications), '>', 1000::bigint, 'the walk made over a thousand attempts');
SELECT cmp_ok((SELECT count(DISTINCT attempt_scoring) FROM mentor.course_tasks ct JOIN mentor.courses c ON c.id = ct.course_id WHERE c.alias = 'aprop'),
              '>=', 1::bigint, 'the tasks have their rules (switched along the way)');
SELECT is((SELECT count(*) FROM expected e LEFT JOIN mentor.task_results r USING (course_task_id, student_id)
            WHERE r.score IS DISTINCT FROM e.score), 0::bigint,
          'every result is the best or latest completed attempt, as its task''s rule says');
SELECT is((SELECT count(*) FROM mentor.task_results r JOIN mentor.course_tasks ct ON ct.id = r.course_task_id
             JOIN mentor.courses c ON c.id = ct.course_id
            WHERE c.alias = 'aprop' AND NOT EXISTS (SELECT 1 FROM expected e WHERE e.course_task_id = r.course_task_id AND e.student_id = r.student_id)),
          0::bigint, 'and there is no result without a completed attempt');
SELECT is((SELECT count(*) FROM (SELECT course_task_id, student_id, attempt_no FROM mentor.task_verifications
                                  GROUP BY 1, 2, 3 HAVING count(*) > 1) d), 0::bigint, 'no attempt number is taken twice');
SELECT * FROM finish();
ROLLBACK;
