\echo
\echo '--- 61. Course school, auto-tests: st01 posts two attempts of a new test (the best counts); a third is MN006'
SELECT id AS st01 FROM mentor.users WHERE username = 'st01' \gset
SELECT id AS adam FROM mentor.users WHERE username = 'adam' \gset
SELECT id AS grace FROM mentor.users WHERE username = 'grace' \gset
SELECT id AS linus FROM mentor.users WHERE username = 'linus' \gset
SELECT id AS course FROM mentor.courses WHERE alias = 'js-fe-2026-q4' \gset
SELECT id AS st01_s FROM mentor.students WHERE user_id = :st01 AND course_id = :course \gset
INSERT INTO mentor.tasks (name, type, skills) VALUES ('Async JS test', 'test', '{javascript}');
INSERT INTO mentor.course_tasks (course_id, task_id, student_start_at, student_end_at, max_score, checker, max_attempts)
SELECT :course, t.id, now() - interval '1 day', now() + interval '6 days', 100, 'auto_test', 2
  FROM mentor.tasks t WHERE t.name = 'Async JS test' RETURNING id AS async_task \gset
BEGIN;
SET LOCAL ROLE mentor_app;
SELECT mentor.set_actor(:st01) IS NOT NULL AS as_st01;
INSERT INTO mentor.task_verifications (course_task_id, course_id, student_id, status, score, answers)
VALUES (:async_task, :course, :st01_s, 'completed', 60, '{"q1": "b", "q2": "a"}'),
       (:async_task, :course, :st01_s, 'completed', 85, '{"q1": "c", "q2": "a"}')
RETURNING attempt_no, score;
SELECT demo.try(format($q$INSERT INTO mentor.task_verifications (course_task_id, course_id, student_id, status, score)
    VALUES (%s, %s, %s, 'completed', 100)$q$, :async_task, :course, :st01_s)) AS third_attempt;
COMMIT;
SELECT score, historical_scores FROM mentor.task_results WHERE course_task_id = :async_task AND student_id = :st01_s;

\echo
\echo '--- 62. Assigned checker: on the mentor-checked CV task Linus may not score st01 (Grace is her mentor) until Adam assigns him'
SELECT ct.id AS cv_task FROM mentor.course_tasks ct JOIN mentor.tasks t ON t.id = ct.task_id WHERE t.name = 'CV. HTML' \gset
BEGIN;
SET LOCAL ROLE mentor_app;
SELECT mentor.set_actor(:linus) IS NOT NULL AS as_linus;
SELECT demo.try(format('UPDATE mentor.task_results SET score = 95 WHERE course_task_id = %s AND student_id = %s', :cv_task, :st01_s)) AS linus_scores;
SELECT mentor.set_actor(:adam) IS NOT NULL AS as_adam;
INSERT INTO mentor.task_checkers (course_task_id, course_id, student_id, mentor_id)
SELECT :cv_task, :course, :st01_s, m.id FROM mentor.course_mentors m WHERE m.course_id = :course AND m.user_id = :linus;
SELECT mentor.set_actor(:linus) IS NOT NULL AS as_linus;
UPDATE mentor.task_results SET score = 95 WHERE course_task_id = :cv_task AND student_id = :st01_s
RETURNING score, (SELECT username FROM mentor.users WHERE id = last_checker_id) AS checked_by;
COMMIT;
SELECT mentor.course_roles(:linus, :course) AS linus_roles, mentor.course_roles(:adam, :course) AS adam_roles;

\echo
\echo '--- 63. Gratitude: st01 thanks Grace with a badge; everyone sees it'
BEGIN;
SET LOCAL ROLE mentor_app;
SELECT mentor.set_actor(:st01) IS NOT NULL AS as_st01;
INSERT INTO mentor.gratitudes (from_user_id, to_user_id, course_id, badge, comment)
VALUES (mentor.current_actor(), :grace, :course, 'helping_hand', 'Thank you for the patient CV review!');
SELECT demo.try(format($q$INSERT INTO mentor.gratitudes (from_user_id, to_user_id, badge) VALUES (%s, %s, 'hero')$q$, :grace, :linus)) AS in_graces_name;
COMMIT;
SELECT f.username AS from_user, t.username AS to_user, g.badge, g.comment
  FROM mentor.gratitudes g JOIN mentor.users f ON f.id = g.from_user_id JOIN mentor.users t ON t.id = g.to_user_id;
