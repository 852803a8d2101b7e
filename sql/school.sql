-- Course school: auto-checked attempts within their window and limit, whose
-- best or latest becomes the task result; assigned checkers, the only ones
-- besides the course's staff who score a checked task; artefacts; course roles.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS mentor CASCADE;
RESET client_min_messages;
\set SHOW_CONTEXT never

\i sql/helpers/try.psql
\i sql/helpers/tryn.psql
\i sql/helpers/as_user.psql
CREATE FUNCTION pg_temp.as_user_try(u bigint, q text) RETURNS text LANGUAGE sql AS $$
    SELECT pg_temp.tryn(format('SELECT pg_temp.as_user(%s, %L)', u, q)) $$;
INSERT INTO mentor.users (email, username, full_name, role) VALUES
    ('sc_kim@example.com', 'sc_kim', 'Kim Student', 'user'), ('sc_lou@example.com', 'sc_lou', 'Lou Student', 'user'),
    ('sc_gus@example.com', 'sc_gus', 'Gus Mentor', 'mentor'), ('sc_hal@example.com', 'sc_hal', 'Hal Mentor', 'mentor'),
    ('sc_meg@example.com', 'sc_meg', 'Meg Manager', 'user');
SELECT id AS kim FROM mentor.users WHERE username = 'sc_kim' \gset
SELECT id AS lou FROM mentor.users WHERE username = 'sc_lou' \gset
SELECT id AS gus FROM mentor.users WHERE username = 'sc_gus' \gset
SELECT id AS hal FROM mentor.users WHERE username = 'sc_hal' \gset
SELECT id AS meg FROM mentor.users WHERE username = 'sc_meg' \gset
INSERT INTO mentor.courses (name, alias, start_date, end_date) VALUES ('School', 'sc-school', '2026-01-01', '2027-12-31')
RETURNING id AS course \gset
INSERT INTO mentor.course_users (course_id, user_id, is_manager) VALUES (:course, :meg, true);
INSERT INTO mentor.course_mentors (course_id, user_id) VALUES (:course, :gus), (:course, :hal);
SELECT id AS gus_m FROM mentor.course_mentors WHERE user_id = :gus \gset
SELECT id AS hal_m FROM mentor.course_mentors WHERE user_id = :hal \gset
INSERT INTO mentor.students (course_id, user_id, mentor_id) VALUES (:course, :kim, :gus_m), (:course, :lou, :hal_m);
SELECT id AS kim_s FROM mentor.students WHERE user_id = :kim \gset
SELECT id AS lou_s FROM mentor.students WHERE user_id = :lou \gset

-- Course roles, as seed 000's Session derives them.
SELECT u.username, mentor.course_roles(u.id, :course) AS roles
  FROM mentor.users u WHERE u.username IN ('sc_gus', 'sc_hal', 'sc_kim', 'sc_lou', 'sc_meg') ORDER BY u.username;
SELECT mentor.has_course_role(:meg, :course, 'manager', 'supervisor') AS meg_runs_it,
       mentor.has_course_role(:kim, :course, 'mentor') AS kim_mentors;

-- An auto-test task: three attempts at most, the best counts.
INSERT INTO mentor.tasks (name) VALUES ('JS basics test'), ('Portfolio review'), ('Mentor check');
INSERT INTO mentor.course_tasks (course_id, task_id, student_start_at, student_end_at, max_score, checker, max_attempts)
SELECT :course, id, now() - interval '1 day', now() + interval '1 day', 50, 'auto_test', 3 FROM mentor.tasks WHERE name = 'JS basics test'
RETURNING id AS auto \gset
SELECT pg_temp.as_user(:kim, format($q$INSERT INTO mentor.task_verifications (course_task_id, course_id, student_id, status, score, answers)
    VALUES (%s, 0, %s, 'completed', 30, '{"q1": "a"}') RETURNING attempt_no$q$, :auto, :kim_s)) AS first_attempt;
SELECT score, historical_scores -> -1 ->> 'source' AS source FROM mentor.task_results WHERE course_task_id = :auto AND student_id = :kim_s;
-- A pending attempt counts only once it is checked; a worse one leaves the best.
SELECT pg_temp.as_user(:kim, format($q$INSERT INTO mentor.task_verifications (course_task_id, course_id, student_id)
    VALUES (%s, 0, %s) RETURNING id$q$, :auto, :kim_s)) AS pending \gset
SELECT pg_temp.as_user(:kim, format($q$UPDATE mentor.task_verifications SET status = 'completed', score = 45 WHERE id = %s RETURNING attempt_no$q$, :pending)) AS second_attempt;
SELECT pg_temp.as_user(:kim, format($q$INSERT INTO mentor.task_verifications (course_task_id, course_id, student_id, status, score)
    VALUES (%s, 0, %s, 'completed', 10) RETURNING attempt_no$q$, :auto, :kim_s)) AS third_attempt;
SELECT score, jsonb_path_query_array(historical_scores, '$[*].score') AS scores
  FROM mentor.task_results WHERE course_task_id = :auto AND student_id = :kim_s;
SELECT pg_temp.as_user_try(:kim, format($q$INSERT INTO mentor.task_verifications (course_task_id, course_id, student_id, status, score)
    VALUES (%s, 0, %s, 'completed', 50)$q$, :auto, :kim_s));
-- With latest scoring, the last completed attempt counts (an errored one does not).
UPDATE mentor.course_tasks SET attempt_scoring = 'latest', max_attempts = NULL WHERE id = :auto;
SELECT pg_temp.as_user(:lou, format($q$INSERT INTO mentor.task_verifications (course_task_id, course_id, student_id, status, score)
    VALUES (%s, 0, %s, 'completed', 40) RETURNING attempt_no$q$, :auto, :lou_s));
SELECT pg_temp.as_user(:lou, format($q$INSERT INTO mentor.task_verifications (course_task_id, course_id, student_id, status, score)
    VALUES (%s, 0, %s, 'completed', 20) RETURNING attempt_no$q$, :auto, :lou_s));
SELECT pg_temp.as_user(:lou, format($q$INSERT INTO mentor.task_verifications (course_task_id, course_id, student_id, status, metadata)
    VALUES (%s, 0, %s, 'error', '{"stderr": "timeout"}') RETURNING attempt_no$q$, :auto, :lou_s));
SELECT score FROM mentor.task_results WHERE course_task_id = :auto AND student_id = :lou_s;
-- Bad attempts: above the maximum score, another student's, a completed one without a score,
-- a finished attempt moved again, the numbering rewritten, a checked score raised.
SELECT pg_temp.as_user_try(:lou, format($q$INSERT INTO mentor.task_verifications (course_task_id, course_id, student_id, status, score)
    VALUES (%s, 0, %s, 'completed', 51)$q$, :auto, :lou_s));
SELECT pg_temp.as_user_try(:lou, format($q$INSERT INTO mentor.task_verifications (course_task_id, course_id, student_id, status, score)
    VALUES (%s, 0, %s, 'completed', 50)$q$, :auto, :kim_s));
SELECT pg_temp.try(format($q$INSERT INTO mentor.task_verifications (course_task_id, course_id, student_id, status) VALUES (%s, 0, %s, 'completed')$q$, :auto, :lou_s));
SELECT pg_temp.tryn(format($q$UPDATE mentor.task_verifications SET status = 'pending' WHERE course_task_id = %s AND student_id = %s AND attempt_no = 1$q$, :auto, :lou_s));
SELECT pg_temp.as_user_try(:lou, format($q$UPDATE mentor.task_verifications SET attempt_no = 9 WHERE course_task_id = %s AND student_id = %s AND attempt_no = 1$q$, :auto, :lou_s));
SELECT pg_temp.as_user_try(:lou, format($q$UPDATE mentor.task_verifications SET score = 50 WHERE course_task_id = %s AND student_id = %s AND attempt_no = 2 RETURNING 1$q$, :auto, :lou_s));
-- Outside the window: MN008.
UPDATE mentor.course_tasks SET student_start_at = now() - interval '3 days', student_end_at = now() - interval '2 days' WHERE id = :auto;
SELECT split_part(pg_temp.as_user_try(:lou, format($q$INSERT INTO mentor.task_verifications (course_task_id, course_id, student_id) VALUES (%s, 0, %s)$q$, :auto, :lou_s)), ' from ', 1) AS outside_window;
-- Nobody else reads a student's attempts; the course's staff do.
SELECT pg_temp.as_user(:lou, 'SELECT count(*) FROM mentor.task_verifications') AS lou_reads,
       pg_temp.as_user(:meg, 'SELECT count(*) FROM mentor.task_verifications') AS meg_reads;

-- Assigned checkers: on an assigned task, Hal checks Kim; only he or the course's staff score her.
INSERT INTO mentor.course_tasks (course_id, task_id, student_start_at, student_end_at, checker)
SELECT :course, id, now() - interval '1 day', now() + interval '1 day', 'assigned' FROM mentor.tasks WHERE name = 'Portfolio review'
RETURNING id AS assigned \gset
SELECT pg_temp.as_user_try(:gus, format('INSERT INTO mentor.task_checkers (course_task_id, course_id, student_id, mentor_id) VALUES (%s, 0, %s, %s)', :assigned, :kim_s, :hal_m));
SELECT pg_temp.as_user(:meg, format('INSERT INTO mentor.task_checkers (course_task_id, course_id, student_id, mentor_id) VALUES (%s, 0, %s, %s) RETURNING course_id = %s', :assigned, :kim_s, :hal_m, :course)) AS meg_assigns;
SELECT pg_temp.tryn(format('INSERT INTO mentor.task_checkers (course_task_id, course_id, student_id, mentor_id) VALUES (%s, 0, %s, %s)', :auto, :kim_s, :hal_m));
SELECT pg_temp.as_user_try(:gus, format('INSERT INTO mentor.task_results (course_task_id, student_id, score) VALUES (%s, %s, 80)', :assigned, :kim_s));
SELECT pg_temp.as_user_try(:kim, format('INSERT INTO mentor.task_results (course_task_id, student_id, score) VALUES (%s, %s, 100)', :assigned, :kim_s));
SELECT pg_temp.as_user(:hal, format('INSERT INTO mentor.task_results (course_task_id, student_id, score) VALUES (%s, %s, 80) RETURNING last_checker_id = %s', :assigned, :kim_s, :hal)) AS hal_scores;
SELECT pg_temp.as_user(:meg, format('UPDATE mentor.task_results SET score = 85 WHERE course_task_id = %s AND student_id = %s RETURNING last_checker_id = %s', :assigned, :kim_s, :meg)) AS meg_rescores;
SELECT jsonb_path_query_array(historical_scores, '$[*].score') AS scores,
       jsonb_path_query_array(historical_scores, '$[*].checker_id') = format('[%s, %s]', :hal, :meg)::jsonb AS checkers_recorded
  FROM mentor.task_results WHERE course_task_id = :assigned AND student_id = :kim_s;
-- Without an actor, only administrators' tools score it.
BEGIN;
SET LOCAL ROLE mentor_app;
SELECT pg_temp.tryn(format('UPDATE mentor.task_results SET score = 1 WHERE course_task_id = %s', :assigned)) AS app_without_actor;
RESET ROLE;
SELECT pg_temp.try(format('UPDATE mentor.task_results SET score = 86 WHERE course_task_id = %s', :assigned)) AS superuser_without_actor;
ROLLBACK;
-- On a mentor task without an assigned checker, the student's own mentor checks.
INSERT INTO mentor.course_tasks (course_id, task_id, student_start_at, student_end_at, checker)
SELECT :course, id, now() - interval '1 day', now() + interval '1 day', 'mentor' FROM mentor.tasks WHERE name = 'Mentor check'
RETURNING id AS mtask \gset
SELECT pg_temp.as_user(:gus, format('INSERT INTO mentor.task_results (course_task_id, student_id, score) VALUES (%s, %s, 70) RETURNING score', :mtask, :kim_s)) AS gus_scores_kim;
SELECT pg_temp.as_user_try(:gus, format('INSERT INTO mentor.task_results (course_task_id, student_id, score) VALUES (%s, %s, 70)', :mtask, :lou_s));
-- A checker of another course is refused by the keys.
INSERT INTO mentor.courses (name, alias, start_date, end_date) VALUES ('Other', 'sc-other', '2026-01-01', '2027-12-31') RETURNING id AS other \gset
INSERT INTO mentor.course_mentors (course_id, user_id) VALUES (:other, :gus) RETURNING id AS gus_other \gset
SELECT pg_temp.try(format('INSERT INTO mentor.task_checkers (course_task_id, course_id, student_id, mentor_id) VALUES (%s, 0, %s, %s)', :assigned, :lou_s, :gus_other));

-- Artefacts: the student's own links; her checker and the course's staff read them.
SELECT pg_temp.as_user(:kim, format($q$INSERT INTO mentor.task_artefacts (course_task_id, course_id, student_id, video_url, notes)
    VALUES (%s, 0, %s, 'https://video.example/kim', 'Demo of the portfolio') RETURNING course_id = %s$q$, :assigned, :kim_s, :course)) AS kim_uploads;
SELECT pg_temp.as_user_try(:lou, format($q$INSERT INTO mentor.task_artefacts (course_task_id, course_id, student_id, notes) VALUES (%s, 0, %s, 'x')$q$, :assigned, :kim_s));
SELECT pg_temp.try(format($q$INSERT INTO mentor.task_artefacts (course_task_id, course_id, student_id, video_url) VALUES (%s, 0, %s, 'ftp://x')$q$, :assigned, :lou_s));
SELECT pg_temp.as_user(:hal, 'SELECT count(*) FROM mentor.task_artefacts') AS hal_reads,
       pg_temp.as_user(:gus, 'SELECT count(*) FROM mentor.task_artefacts') AS gus_reads,
       pg_temp.as_user(:lou, 'SELECT count(*) FROM mentor.task_artefacts') AS lou_reads;

-- Task interviews: Gus and Hal interview on an interview task, one place each.
INSERT INTO mentor.tasks (name, type, criteria) VALUES ('Technical interview', 'interview',
    '[{"key": "algorithms", "text": "Algorithms", "max": 10}, {"key": "communication", "text": "Communication", "max": 5}]');
INSERT INTO mentor.course_tasks (course_id, task_id, student_start_at, student_end_at, max_score, checker)
SELECT :course, id, now() - interval '1 day', now() + interval '7 days', 15, 'mentor' FROM mentor.tasks WHERE name = 'Technical interview'
RETURNING id AS itask \gset
SELECT pg_temp.as_user_try(:kim, format('INSERT INTO mentor.task_interviewers (course_task_id, course_id, mentor_id, capacity) VALUES (%s, 0, %s, 1)', :itask, :gus_m));
SELECT pg_temp.as_user(:meg, format('INSERT INTO mentor.task_interviewers (course_task_id, course_id, mentor_id, capacity) VALUES (%s, 0, %s, 1), (%s, 0, %s, 1) RETURNING 1', :itask, :gus_m, :itask, :hal_m));
SELECT pg_temp.tryn(format('INSERT INTO mentor.task_interviewers (course_task_id, course_id, mentor_id) VALUES (%s, 0, %s)', :auto, :gus_m));
-- Kim registers: an interviewer with room is assigned; registering again is the same registration.
SELECT u.username AS kim_interviewer FROM mentor.users u JOIN mentor.course_mentors m ON m.user_id = u.id
  JOIN mentor.task_interviewers i ON i.mentor_id = m.id
 WHERE i.id = pg_temp.as_user(:kim, format('SELECT (mentor.register_for_interview(%s)).interviewer_id', :itask))::bigint;
SELECT pg_temp.as_user(:kim, format('SELECT (mentor.register_for_interview(%s)).id', :itask)) AS kim_reg \gset
SELECT count(*) AS kim_registrations FROM mentor.task_interview_students WHERE student_id = :kim_s;
-- Lou gets the other; a third student waits, since both places are taken.
SELECT pg_temp.as_user(:lou, format('SELECT (mentor.register_for_interview(%s)).interviewer_id IS NOT NULL', :itask)) AS lou_assigned;
INSERT INTO mentor.users (email, username, full_name) VALUES ('sc_ned@example.com', 'sc_ned', 'Ned Student') RETURNING id AS ned \gset
INSERT INTO mentor.students (course_id, user_id) VALUES (:course, :ned);
SELECT pg_temp.as_user(:ned, format('SELECT (mentor.register_for_interview(%s)).interviewer_id IS NULL', :itask)) AS ned_waits;
SELECT i.capacity, i.assigned_count FROM mentor.task_interviewers i WHERE i.course_task_id = :itask ORDER BY i.id;
-- Staff cannot overfill an interviewer; a student never meets the same interviewer twice.
SELECT id AS ned_reg FROM mentor.task_interview_students WHERE course_task_id = :itask AND student_id = (SELECT id FROM mentor.students WHERE user_id = :ned) \gset
SELECT id AS gus_i FROM mentor.task_interviewers WHERE course_task_id = :itask AND mentor_id = :gus_m \gset
SELECT pg_temp.as_user_try(:meg, format('SELECT mentor.assign_interviewer(%s, %s)', :ned_reg, :gus_i));
SELECT pg_temp.as_user_try(:kim, format('SELECT mentor.assign_interviewer(%s, %s)', :ned_reg, :gus_i));
SELECT pg_temp.as_user(:kim, format('WITH u AS (UPDATE mentor.task_interview_students SET interviewer_id = %s WHERE id = %s RETURNING 1) SELECT count(*) FROM u', :gus_i, :kim_reg)) AS kim_moves_herself;
SELECT pg_temp.as_user_try(:ned, format('SELECT mentor.register_for_interview(%s)', :assigned));
INSERT INTO mentor.tasks (name, type) VALUES ('Second interview', 'interview');
INSERT INTO mentor.course_tasks (course_id, task_id, student_start_at, student_end_at, checker)
SELECT :course, id, now() - interval '1 day', now() + interval '7 days', 'mentor' FROM mentor.tasks WHERE name = 'Second interview'
RETURNING id AS itask2 \gset
INSERT INTO mentor.task_interviewers (course_task_id, course_id, mentor_id, capacity)
SELECT :itask2, 0, i.mentor_id, 5 FROM mentor.task_interviewers i WHERE i.id = (SELECT interviewer_id FROM mentor.task_interview_students WHERE id = :kim_reg)
RETURNING id AS same_i \gset
SELECT pg_temp.as_user(:kim, format('SELECT (mentor.register_for_interview(%s)).interviewer_id IS NULL', :itask2)) AS kim_not_given_the_same;
SELECT pg_temp.as_user_try(:meg, format('SELECT mentor.register_for_interview(%s)', :itask2)) AS staff_registers;
-- Results: the interviewer scores, the form is checked against the task's criteria, and the
-- score becomes the task result.
SELECT u.id AS kim_interviewer_user FROM mentor.task_interview_students r JOIN mentor.task_interviewers i ON i.id = r.interviewer_id
  JOIN mentor.course_mentors m ON m.id = i.mentor_id JOIN mentor.users u ON u.id = m.user_id WHERE r.id = :kim_reg \gset
SELECT pg_temp.as_user_try(:kim, format($q$SELECT mentor.submit_interview_result(%s, 15)$q$, :kim_reg));
SELECT pg_temp.as_user_try(:kim_interviewer_user, format($q$SELECT mentor.submit_interview_result(%s, 12, '{"algorithms": 11, "charm": 3, "communication": "good"}')$q$, :kim_reg));
SELECT pg_temp.as_user_try(:kim_interviewer_user, format($q$SELECT mentor.submit_interview_result(%s, 16)$q$, :kim_reg));
SELECT pg_temp.as_user(:kim_interviewer_user, format($q$SELECT (mentor.submit_interview_result(%s, 12, '{"algorithms": 8, "communication": 4}', 'Solid')).score$q$, :kim_reg)) AS saved;
SELECT r.score, r.last_checker_id = :kim_interviewer_user AS by_interviewer, r.historical_scores -> -1 ->> 'source' AS source
  FROM mentor.task_results r WHERE r.course_task_id = :itask AND r.student_id = :kim_s;
SELECT pg_temp.as_user(:kim, 'SELECT string_agg(score || '' '' || form::text, '','') FROM mentor.task_interview_results') AS kim_reads,
       pg_temp.as_user(:lou, 'SELECT count(*) FROM mentor.task_interview_results') AS lou_reads;
-- A student leaving the interview frees the place.
SELECT pg_temp.as_user(:lou, format('DELETE FROM mentor.task_interview_students WHERE course_task_id = %s AND student_id = %s RETURNING 1', :itask, :lou_s)) AS lou_leaves;
SELECT sum(assigned_count) AS taken FROM mentor.task_interviewers WHERE course_task_id = :itask;

-- Gratitude: public thanks with a badge, from the acting user; not to oneself.
SELECT pg_temp.as_user(:kim, format($q$INSERT INTO mentor.gratitudes (from_user_id, to_user_id, course_id, badge, comment)
    VALUES (%s, %s, %s, 'helping_hand', 'Thanks for the code review!') RETURNING badge$q$, :kim, :gus, :course));
SELECT pg_temp.as_user_try(:kim, format($q$INSERT INTO mentor.gratitudes (from_user_id, to_user_id, badge) VALUES (%s, %s, 'hero')$q$, :lou, :gus));
SELECT pg_temp.as_user_try(:kim, format($q$INSERT INTO mentor.gratitudes (from_user_id, to_user_id, badge) VALUES (%s, %s, 'hero')$q$, :kim, :kim));
SELECT pg_temp.as_user_try(:kim, format($q$INSERT INTO mentor.gratitudes (from_user_id, to_user_id, badge) VALUES (%s, %s, 'legend')$q$, :kim, :gus));
SELECT pg_temp.as_user(:lou, 'SELECT string_agg(badge::text, '','') FROM mentor.gratitudes') AS everyone_reads;
-- Private feedback: the course's staff read it, the person it is about does not.
SELECT pg_temp.as_user(:gus, format($q$INSERT INTO mentor.private_feedback (from_user_id, to_user_id, course_id, comment)
    VALUES (%s, %s, %s, 'Kim copies solutions sometimes') RETURNING 1$q$, :gus, :kim, :course)) AS gus_writes;
SELECT pg_temp.as_user(:kim, 'SELECT count(*) FROM mentor.private_feedback') AS kim_reads,
       pg_temp.as_user(:meg, 'SELECT count(*) FROM mentor.private_feedback') AS meg_reads,
       pg_temp.as_user(:gus, 'SELECT count(*) FROM mentor.private_feedback') AS author_reads;
-- A mentor's feedback on a student: soft skills rated 1 to 5, once per mentor and student.
SELECT pg_temp.as_user(:gus, format($q$INSERT INTO mentor.student_feedback (student_id, course_id, mentor_id, recommendation, soft_skills, content, english_level)
    VALUES (%s, %s, %s, 'hire', '{"responsible": 5, "team_player": 4}', '{"impression": "Strong"}', 'b2') RETURNING author_id = %s$q$, :kim_s, :course, :gus_m, :gus)) AS gus_is_author;
SELECT pg_temp.as_user_try(:gus, format($q$INSERT INTO mentor.student_feedback (student_id, course_id, mentor_id, soft_skills)
    VALUES (%s, %s, %s, '{"charisma": 5, "responsible": 7, "team_player": 2.5}')$q$, :lou_s, :course, :gus_m));
SELECT pg_temp.as_user_try(:hal, format($q$INSERT INTO mentor.student_feedback (student_id, course_id, mentor_id) VALUES (%s, %s, %s)$q$, :lou_s, :course, :gus_m));
SELECT pg_temp.tryn(format($q$INSERT INTO mentor.student_feedback (student_id, course_id, mentor_id) VALUES (%s, %s, %s)$q$, :kim_s, :course, :gus_m));
SELECT pg_temp.as_user(:kim, 'SELECT recommendation FROM mentor.student_feedback') AS kim_reads_hers,
       pg_temp.as_user(:lou, 'SELECT count(*) FROM mentor.student_feedback') AS lou_reads;

-- Resumes: hidden by default; shown to employers; public, also by its public link.
INSERT INTO mentor.users (email, username, full_name) VALUES ('sc_eve@example.com', 'sc_eve', 'Eve Employer') RETURNING id AS eve \gset
INSERT INTO mentor.employers (user_id, company) VALUES (:eve, 'Acme');
SELECT pg_temp.as_user(:kim, format($q$INSERT INTO mentor.resumes (user_id, name, desired_position, sections)
    VALUES (%s, 'Kim Student', 'Junior frontend developer', '{"skills": ["TypeScript", "React"], "about": "Career changer"}') RETURNING visibility$q$, :kim));
SELECT pg_temp.as_user(:eve, 'SELECT count(*) FROM mentor.resumes') AS eve_reads_hidden,
       pg_temp.as_user(:meg, 'SELECT count(*) FROM mentor.resumes') AS non_staff_reads;
SELECT pg_temp.as_user(:kim, $q$WITH u AS (UPDATE mentor.resumes SET visibility = 'employers' WHERE user_id = mentor.current_actor() RETURNING 1) SELECT count(*) FROM u$q$) AS shown;
SELECT pg_temp.as_user(:eve, $q$SELECT name FROM mentor.resumes WHERE search @@ websearch_to_tsquery('simple', 'react frontend')$q$) AS eve_finds,
       pg_temp.as_user(:lou, 'SELECT count(*) FROM mentor.resumes') AS lou_reads;
SELECT pg_temp.as_user(:kim, $q$WITH u AS (UPDATE mentor.resumes SET visibility = 'public' WHERE user_id = mentor.current_actor() RETURNING 1) SELECT count(*) FROM u$q$) AS published;
SELECT public_id AS kim_link FROM mentor.resumes WHERE user_id = :kim \gset
SELECT pg_temp.as_user(:lou, 'SELECT count(*) FROM mentor.resumes') AS lou_reads_public,
       (mentor.resume_by_public_id(:'kim_link')).desired_position AS by_link;
SELECT pg_temp.as_user(:lou, format($q$WITH u AS (UPDATE mentor.resumes SET name = 'x' WHERE user_id = %s RETURNING 1) SELECT count(*) FROM u$q$, :kim)) AS lou_edits_kims;

-- The school's registries: groups with course roles, Discord servers, contributors, a mentor's
-- standing offer; repository events are never changed.
SELECT pg_temp.try($$INSERT INTO mentor.user_groups (name, roles) VALUES ('Jury 2026', '{jury_activist, wizard}')$$);
INSERT INTO mentor.user_groups (name, roles) VALUES ('Jury 2026', '{jury_activist}') RETURNING name, roles;
INSERT INTO mentor.discord_servers (name, gratitude_url) VALUES ('RS School', 'https://discord.example/api/webhooks/1') RETURNING id AS ds \gset
UPDATE mentor.courses SET discord_server_id = :ds WHERE id = :course;
SELECT pg_temp.as_user(:gus, format($q$INSERT INTO mentor.mentor_registries (user_id, preferred_course_ids, preferred_student_locations, max_students)
    VALUES (%s, ARRAY[%s]::bigint[], '{Berlin, Remote}', 3) RETURNING max_students$q$, :gus, :course));
SELECT pg_temp.as_user(:hal, 'SELECT count(*) FROM mentor.mentor_registries') AS hal_reads;
INSERT INTO mentor.repository_events (repository_url, action, github_id, user_id)
VALUES ('https://github.com/school/kim-portfolio', 'created', 'kim-gh', :kim);
SELECT pg_temp.try($$UPDATE mentor.repository_events SET action = 'deleted'$$);
SELECT pg_temp.try($$DELETE FROM mentor.repository_events$$);
SELECT action FROM mentor.repository_events;
-- A deleted user's events stay, without the user.
INSERT INTO mentor.users (email, username, full_name) VALUES ('sc_gone@example.com', 'sc_gone', 'Gone') RETURNING id AS gone \gset
INSERT INTO mentor.repository_events (repository_url, action, user_id) VALUES ('https://github.com/school/gone', 'push', :gone);
DELETE FROM mentor.users WHERE id = :gone;
SELECT action, user_id FROM mentor.repository_events WHERE repository_url = 'https://github.com/school/gone';

-- Stage interviews: students register with the interviewers they prefer; staff pair the whole
-- group at once (never a student's own mentor); interviews are scheduled without overlaps,
-- scored against the form, and decided, the interviewer becoming the student's mentor.
INSERT INTO mentor.users (email, username, full_name, role) VALUES ('sc_ida@example.com', 'sc_ida', 'Ida Mentor', 'mentor')
RETURNING id AS ida \gset
INSERT INTO mentor.course_mentors (course_id, user_id, max_students) VALUES (:course, :ida, 1) RETURNING id AS ida_m \gset
INSERT INTO mentor.tasks (name, type, criteria) VALUES ('Stage 2 interview', 'stage_interview',
    '[{"key": "theory", "text": "Theory", "max": 50}, {"key": "practice", "text": "Practice", "max": 50}]');
INSERT INTO mentor.course_tasks (course_id, task_id, student_start_at, student_end_at, max_score, checker)
SELECT :course, id, now() - interval '1 day', now() + interval '14 days', 100, 'mentor' FROM mentor.tasks WHERE name = 'Stage 2 interview'
RETURNING id AS stage \gset
INSERT INTO mentor.task_interviewers (course_task_id, course_id, mentor_id, capacity)
VALUES (:stage, 0, :gus_m, 2), (:stage, 0, :ida_m, 1);
SELECT pg_temp.as_user(:kim, format('SELECT (mentor.register_for_interview(%s, ARRAY[%s]::bigint[])).interviewer_id IS NULL', :stage, :ida_m)) AS kim_waits;
SELECT pg_temp.as_user(:lou, format('SELECT (mentor.register_for_interview(%s, ARRAY[%s]::bigint[])).interviewer_id IS NULL', :stage, :ida_m)) AS lou_waits;
SELECT pg_temp.as_user_try(:ned, format('SELECT mentor.register_for_interview(%s, ARRAY[%s]::bigint[])', :stage, :hal_m));
SELECT pg_temp.as_user(:ned, format('SELECT (mentor.register_for_interview(%s)).interviewer_id IS NULL', :stage)) AS ned_waits;
SELECT pg_temp.as_user_try(:kim, format('SELECT mentor.distribute_interviews(%s)', :stage));
SELECT pg_temp.as_user(:meg, format('SELECT mentor.distribute_interviews(%s)', :stage)) AS assigned;
-- Kim's own mentor is Gus, so she gets Ida (whom she preferred); Lou preferred Ida too, but
-- Ida has one place: Lou and Ned go to Gus.
SELECT su.username AS student, mu.username AS interviewer
  FROM mentor.task_interview_students r JOIN mentor.students s ON s.id = r.student_id JOIN mentor.users su ON su.id = s.user_id
  JOIN mentor.task_interviewers i ON i.id = r.interviewer_id JOIN mentor.course_mentors m ON m.id = i.mentor_id
  JOIN mentor.users mu ON mu.id = m.user_id
 WHERE r.course_task_id = :stage ORDER BY su.username;
SELECT id AS kim_stage FROM mentor.task_interview_students WHERE course_task_id = :stage AND student_id = :kim_s \gset
SELECT id AS lou_stage FROM mentor.task_interview_students WHERE course_task_id = :stage AND student_id = :lou_s \gset
SELECT id AS ned_stage FROM mentor.task_interview_students WHERE course_task_id = :stage AND student_id <> :kim_s AND student_id <> :lou_s \gset
-- Scheduling: Gus cannot have two interviews at once.
SELECT pg_temp.as_user_try(:kim, format($q$SELECT mentor.schedule_interview(%s, '[2027-03-01 10:00+00, 2027-03-01 11:00+00)')$q$, :kim_stage));
SELECT pg_temp.as_user(:gus, format($q$SELECT (mentor.schedule_interview(%s, '[2027-03-01 10:00+00, 2027-03-01 11:00+00)')).during IS NOT NULL$q$, :lou_stage)) AS lou_scheduled;
SELECT pg_temp.as_user_try(:gus, format($q$SELECT mentor.schedule_interview(%s, '[2027-03-01 10:30+00, 2027-03-01 11:30+00)')$q$, :ned_stage));
SELECT pg_temp.as_user(:gus, format($q$SELECT (mentor.schedule_interview(%s, '[2027-03-01 11:00+00, 2027-03-01 12:00+00)')).during IS NOT NULL$q$, :ned_stage)) AS ned_after_lou;
-- Decisions follow a result; accepted with assign_mentor, Ida becomes Kim's mentor (one place).
SELECT pg_temp.as_user_try(:ida, format('SELECT mentor.decide_interview(%s, true)', :kim_stage));
SELECT pg_temp.as_user_try(:ida, format($q$SELECT mentor.submit_interview_result(%s, 90, '{"theory": 45, "practice": 60}')$q$, :kim_stage));
SELECT pg_temp.as_user(:ida, format($q$SELECT (mentor.submit_interview_result(%s, 90, '{"theory": 45, "practice": 45}')).score$q$, :kim_stage)) AS kim_scored;
SELECT pg_temp.as_user_try(:gus, format('SELECT mentor.decide_interview(%s, true)', :kim_stage));
SELECT pg_temp.as_user(:ida, format('SELECT (mentor.decide_interview(%s, true, true)).decision', :kim_stage)) AS decision;
SELECT m.user_id = :ida AS ida_mentors_kim FROM mentor.students s JOIN mentor.course_mentors m ON m.id = s.mentor_id WHERE s.id = :kim_s;
