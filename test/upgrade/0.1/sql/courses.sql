-- Courses module: courses, people, tasks, results with score history,
-- weighted totals, ranks, leaderboard and certificates.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS mentor CASCADE;
RESET client_min_messages;
\set SHOW_CONTEXT never

\i sql/helpers/try.psql

-- People: six students, a mentor, a manager.
INSERT INTO mentor.users (email, username, full_name)
SELECT format('course%s@example.com', g), format('learner%s', g), format('Learner %s', g) FROM generate_series(1, 6) g;
INSERT INTO mentor.users (email, username, full_name) VALUES
    ('coach@example.com', 'coach', 'Coach Mentor'), ('boss@example.com', 'boss', 'Boss Manager');
SELECT id AS coach FROM mentor.users WHERE username = 'coach' \gset
SELECT id AS boss FROM mentor.users WHERE username = 'boss' \gset

-- A course: dates, alias and threshold are checked.
INSERT INTO mentor.disciplines (name) VALUES ('JavaScript');
SELECT pg_temp.try($$INSERT INTO mentor.courses (name, alias, start_date, end_date)
                     VALUES ('Backwards', 'backwards', '2026-06-01', '2026-01-01')$$);
SELECT pg_temp.try($$INSERT INTO mentor.courses (name, alias, start_date, end_date)
                     VALUES ('Bad alias', 'Not A Slug', '2026-01-01', '2026-06-01')$$);
SELECT pg_temp.try($$INSERT INTO mentor.courses (name, alias, start_date, end_date, planned, completed)
                     VALUES ('Both', 'both', '2026-01-01', '2026-06-01', true, true)$$);
INSERT INTO mentor.courses (name, alias, discipline_id, start_date, end_date, certificate_threshold)
SELECT 'JavaScript Frontend', 'js-fe-2026', id, '2026-01-10', '2026-06-30', 150 FROM mentor.disciplines
RETURNING id AS course \gset
INSERT INTO mentor.course_users (course_id, user_id, is_manager) VALUES (:course, :boss, true);

-- Registrations: approving one enrols the user; the lifecycle guards the status.
INSERT INTO mentor.registries (course_id, user_id, kind)
SELECT :course, id, 'student' FROM mentor.users WHERE username LIKE 'learner%';
INSERT INTO mentor.registries (course_id, user_id, kind, max_students) VALUES (:course, :coach, 'mentor', 2);
UPDATE mentor.registries SET status = 'approved' WHERE course_id = :course;
SELECT count(*) AS students FROM mentor.students WHERE course_id = :course;
SELECT max_students FROM mentor.course_mentors WHERE course_id = :course;
SELECT pg_temp.try(format($$UPDATE mentor.registries SET status = 'pending' WHERE course_id = %s$$, :course));

-- A course mentor takes at most max_students (MN004), counted under a row lock.
SELECT id AS mentor FROM mentor.course_mentors WHERE course_id = :course \gset
SELECT array_agg(s.id ORDER BY u.username) AS s FROM mentor.students s JOIN mentor.users u ON u.id = s.user_id
 WHERE s.course_id = :course \gset
UPDATE mentor.students SET mentor_id = :mentor WHERE id IN ((:'s'::bigint[])[1], (:'s'::bigint[])[2]);
SELECT pg_temp.try(format('UPDATE mentor.students SET mentor_id = %s WHERE id = %s', :mentor, (:'s'::bigint[])[3]));
-- A mentor of another course cannot be assigned (composite foreign key).
INSERT INTO mentor.courses (name, alias, start_date, end_date) VALUES ('Other', 'other-2026', '2026-01-01', '2026-02-01')
RETURNING id AS other \gset
INSERT INTO mentor.course_mentors (course_id, user_id) VALUES (:other, :coach) RETURNING id AS other_mentor \gset
SELECT pg_temp.try(format('UPDATE mentor.students SET mentor_id = %s WHERE id = %s', :other_mentor, (:'s'::bigint[])[4]));

-- Tasks: criteria are a list of {key, max}; malformed lists are refused.
SELECT pg_temp.try($$INSERT INTO mentor.tasks (name, criteria) VALUES ('x', '{"layout": 10}')$$);
SELECT pg_temp.try($$INSERT INTO mentor.tasks (name, criteria) VALUES ('x', '[{"key": "Layout", "max": 10}]')$$);
SELECT pg_temp.try($$INSERT INTO mentor.tasks (name, criteria) VALUES ('x', '[{"key": "a", "max": 0}]')$$);
SELECT pg_temp.try($$INSERT INTO mentor.tasks (name, criteria) VALUES ('x', '[{"key": "a", "max": 1}, {"key": "a", "max": 2}]')$$);
INSERT INTO mentor.tasks (name, type) VALUES ('Songbird', 'jstask'), ('Codewars', 'codewars'), ('Quiz', 'test');
SELECT array_agg(id ORDER BY id) AS t FROM mentor.tasks WHERE name IN ('Songbird', 'Codewars', 'Quiz') \gset
SELECT pg_temp.try(format($$INSERT INTO mentor.course_tasks (course_id, task_id, student_start_at, student_end_at)
                           VALUES (%s, %s, '2026-02-01', '2026-01-01')$$, :course, (:'t'::bigint[])[1]));
SELECT pg_temp.try(format($$INSERT INTO mentor.course_tasks (course_id, task_id, student_start_at, student_end_at, max_score)
                           VALUES (%s, %s, '2026-01-01', '2026-02-01', 0)$$, :course, (:'t'::bigint[])[1]));
INSERT INTO mentor.course_tasks (course_id, task_id, student_start_at, student_end_at, max_score, score_weight, checker)
VALUES (:course, (:'t'::bigint[])[1], '2026-01-15', '2026-02-01', 100, 1, 'mentor'),
       (:course, (:'t'::bigint[])[2], '2026-01-15', '2026-02-01', 50, 0.5, 'auto_test'),
       (:course, (:'t'::bigint[])[3], '2026-01-15', '2026-02-01', 10, 2, 'auto_test');
SELECT array_agg(id ORDER BY id) AS ct FROM mentor.course_tasks WHERE course_id = :course \gset

-- Results: every score change is appended to historical_scores, which cannot be rewritten.
INSERT INTO mentor.task_results (course_task_id, student_id, score, last_checker_id)
SELECT (:'ct'::bigint[])[1], s, 80, :coach FROM unnest(:'s'::bigint[]) s;
BEGIN;
SELECT mentor.set_actor(:boss) IS NOT NULL AS actor_set;
UPDATE mentor.task_results SET score = 90 WHERE student_id = (:'s'::bigint[])[1] AND course_task_id = (:'ct'::bigint[])[1];
COMMIT;
UPDATE mentor.task_results SET comment = 'well done' WHERE student_id = (:'s'::bigint[])[1] AND course_task_id = (:'ct'::bigint[])[1];
UPDATE mentor.task_results SET historical_scores = '[]' WHERE student_id = (:'s'::bigint[])[1] AND course_task_id = (:'ct'::bigint[])[1];
SELECT jsonb_array_length(historical_scores) AS entries,
       jsonb_path_query_array(historical_scores, '$[*].score') AS scores,
       historical_scores -> 0 ->> 'checker_id' = :'coach' AS checker_recorded,
       historical_scores -> 1 ->> 'actor' = :'boss' AS actor_recorded
  FROM mentor.task_results WHERE student_id = (:'s'::bigint[])[1] AND course_task_id = (:'ct'::bigint[])[1];
SELECT pg_temp.try(format('INSERT INTO mentor.task_results (course_task_id, student_id, score) VALUES (%s, %s, 1)',
                          (:'ct'::bigint[])[1], (:'s'::bigint[])[1]));
SELECT pg_temp.try(format('INSERT INTO mentor.task_results (course_task_id, student_id, score) VALUES (%s, %s, -1)',
                          (:'ct'::bigint[])[2], (:'s'::bigint[])[1]));

-- Scores: weighted sums over enabled tasks, ranks with ties as 1, 2, 2, 4.
INSERT INTO mentor.task_results (course_task_id, student_id, score)
SELECT (:'ct'::bigint[])[2], s, (ARRAY[40, 20, 20, 20, 10, 0])[i] FROM unnest(:'s'::bigint[]) WITH ORDINALITY AS x(s, i);
INSERT INTO mentor.task_results (course_task_id, student_id, score)
SELECT (:'ct'::bigint[])[3], s, 10 FROM unnest(:'s'::bigint[]) s;
UPDATE mentor.students SET is_expelled = true, expelling_reason = 'left the course' WHERE id = (:'s'::bigint[])[6];
SELECT mentor.recalculate_scores(:course) AS changed;
SELECT u.username, s.total_score, s.rank FROM mentor.students s JOIN mentor.users u ON u.id = s.user_id
 WHERE s.course_id = :course ORDER BY u.username;
SELECT mentor.recalculate_scores(:course) AS changed_again;
-- Disabling a task takes it out of every total.
UPDATE mentor.course_tasks SET disabled = true WHERE id = (:'ct'::bigint[])[3];
SELECT mentor.recalculate_scores(:course) AS changed_after_disable;
SELECT rank, username, total_score FROM mentor.course_leaderboard WHERE course_id = :course ORDER BY rank, username;
SELECT pg_temp.try('SELECT mentor.recalculate_scores(-1)');
SELECT pg_temp.try('SELECT mentor.recalculate_scores(NULL)');

-- Certificates for totals at or above the threshold, once each.
UPDATE mentor.courses SET certificate_threshold = 100 WHERE id = :course;
SELECT mentor.issue_certificates(:course) AS issued, mentor.issue_certificates(:course) AS issued_again;
SELECT u.username, c.score FROM mentor.certificates c JOIN mentor.students s ON s.id = c.student_id
  JOIN mentor.users u ON u.id = s.user_id WHERE s.course_id = :course ORDER BY u.username;

-- History records score changes of students like any audited table.
SELECT count(*) > 0 AS students_audited FROM mentor.history
 WHERE table_name = 'mentor.students' AND op = 'U' AND new_row ? 'total_score';
