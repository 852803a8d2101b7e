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

\echo
\echo '--- 64. Stage interview: three students register (naming whom they prefer), Adam pairs them at once (never with their own mentor), Linus interviews st20 and, given one more place, takes her as his mentee'
SELECT id AS st09 FROM mentor.users WHERE username = 'st09' \gset
SELECT id AS st20 FROM mentor.users WHERE username = 'st20' \gset
SELECT id AS st20_s FROM mentor.students WHERE user_id = :st20 AND course_id = :course \gset
SELECT id AS grace_m FROM mentor.course_mentors WHERE course_id = :course AND user_id = :grace \gset
SELECT id AS linus_m FROM mentor.course_mentors WHERE course_id = :course AND user_id = :linus \gset
INSERT INTO mentor.tasks (name, type, criteria) VALUES ('Stage 1 interview', 'stage_interview',
    '[{"key": "javascript", "text": "JavaScript fundamentals", "max": 60}, {"key": "communication", "text": "Explains clearly", "max": 40}]');
INSERT INTO mentor.course_tasks (course_id, task_id, student_start_at, student_end_at, max_score, checker)
SELECT :course, t.id, now() - interval '1 day', now() + interval '14 days', 100, 'mentor'
  FROM mentor.tasks t WHERE t.name = 'Stage 1 interview' RETURNING id AS stage_task \gset
INSERT INTO mentor.task_interviewers (course_task_id, course_id, mentor_id, capacity)
VALUES (:stage_task, :course, :grace_m, 2), (:stage_task, :course, :linus_m, 2);
BEGIN;
SET LOCAL ROLE mentor_app;
SELECT mentor.set_actor(:st01) IS NOT NULL AS as_st01;
SELECT (mentor.register_for_interview(:stage_task, ARRAY[:grace_m]::bigint[])).interviewer_id IS NULL AS st01_waits;
SELECT mentor.set_actor(:st09) IS NOT NULL AS as_st09;
SELECT (mentor.register_for_interview(:stage_task, ARRAY[:grace_m]::bigint[])).interviewer_id IS NULL AS st09_waits;
SELECT mentor.set_actor(:st20) IS NOT NULL AS as_st20;
SELECT (mentor.register_for_interview(:stage_task, ARRAY[:linus_m]::bigint[])).interviewer_id IS NULL AS st20_waits;
SELECT mentor.set_actor(:adam) IS NOT NULL AS as_adam;
SELECT mentor.distribute_interviews(:stage_task) AS paired;
COMMIT;
SELECT su.username AS student, own.username AS own_mentor, mu.username AS interviewer
  FROM mentor.task_interview_students r JOIN mentor.students s ON s.id = r.student_id JOIN mentor.users su ON su.id = s.user_id
  LEFT JOIN mentor.course_mentors om ON om.id = s.mentor_id LEFT JOIN mentor.users own ON own.id = om.user_id
  JOIN mentor.users mu ON mu.id = r.interviewer_user_id
 WHERE r.course_task_id = :stage_task ORDER BY su.username;
SELECT id AS st20_reg FROM mentor.task_interview_students WHERE course_task_id = :stage_task AND student_id = :st20_s \gset
BEGIN;
SET LOCAL ROLE mentor_app;
SELECT mentor.set_actor(:linus) IS NOT NULL AS as_linus;
SELECT lower(during) AS scheduled_for
  FROM mentor.schedule_interview(:st20_reg, tstzrange(date_trunc('hour', now()) + interval '2 days', date_trunc('hour', now()) + interval '2 days 45 minutes'));
SELECT demo.try(format($q$SELECT mentor.submit_interview_result(%s, 80, '{"javascript": 70, "charisma": 5}')$q$, :st20_reg)) AS bad_form;
SELECT score, form FROM mentor.submit_interview_result(:st20_reg, 82, '{"javascript": 50, "communication": 32}', 'Clear and curious');
SELECT demo.try(format('SELECT mentor.decide_interview(%s, true, assign_mentor => true)', :st20_reg)) AS linus_is_full;
COMMIT;
UPDATE mentor.course_mentors SET max_students = 9 WHERE id = :linus_m;
BEGIN;
SET LOCAL ROLE mentor_app;
SELECT mentor.set_actor(:linus) IS NOT NULL AS as_linus;
SELECT decision FROM mentor.decide_interview(:st20_reg, true, assign_mentor => true);
COMMIT;
SELECT u.username AS st20_mentor FROM mentor.students s JOIN mentor.course_mentors m ON m.id = s.mentor_id JOIN mentor.users u ON u.id = m.user_id
 WHERE s.id = :st20_s;
SELECT score, historical_scores -> -1 ->> 'source' AS source FROM mentor.task_results WHERE course_task_id = :stage_task AND student_id = :st20_s;
