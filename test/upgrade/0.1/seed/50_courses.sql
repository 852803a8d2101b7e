-- Demo data, courses module: a course school cohort as in seed 000 - a
-- JavaScript course of 30 students with two course mentors and a manager,
-- three tasks already scored, a cross-checked portfolio task whose
-- submission deadline has just passed, and a team distribution open for
-- registration.
SET client_min_messages = warning;

INSERT INTO mentor.disciplines (name, description) VALUES ('JavaScript', 'Frontend and Node.js');

-- 30 students (seed 000: GitHub-based users).
INSERT INTO mentor.users (email, username, full_name, time_zone, github_id)
SELECT format('student%s@school.example', g), format('st%s', lpad(g::text, 2, '0')),
       (ARRAY['Alex', 'Bea', 'Chen', 'Dana', 'Eli', 'Fatima', 'Gus', 'Hana', 'Ivan', 'Jo'])[1 + (g - 1) % 10] || ' ' ||
       (ARRAY['Kowalski', 'Nguyen', 'Okoro', 'Petrov', 'Rossi', 'Silva'])[1 + (g - 1) % 6],
       (ARRAY['Europe/Warsaw', 'Europe/Berlin', 'Asia/Tbilisi', 'Europe/Kyiv'])[1 + g % 4], 'gh-st-' || g
  FROM generate_series(1, 30) g;

INSERT INTO mentor.courses (name, alias, description, discipline_id, start_date, end_date, certificate_threshold)
SELECT 'JavaScript / Front-end 2026 Q4', 'js-fe-2026-q4', 'Stage 1: HTML, CSS, JavaScript basics; stage 2: frameworks',
       d.id, date_trunc('day', now() - interval '60 days'), date_trunc('day', now() + interval '60 days'), 150
  FROM mentor.disciplines d WHERE d.name = 'JavaScript';

-- Staff: Adam manages, Grace and Linus mentor (8 students each at most).
INSERT INTO mentor.course_users (course_id, user_id, is_manager, is_supervisor)
SELECT c.id, u.id, true, true FROM mentor.courses c, mentor.users u WHERE c.alias = 'js-fe-2026-q4' AND u.username = 'adam';
-- Registrations are approved; approval enrols (seed 000: Registry).
INSERT INTO mentor.registries (course_id, user_id, kind, max_students, status)
SELECT c.id, u.id, 'mentor', 8, 'pending' FROM mentor.courses c, mentor.users u
 WHERE c.alias = 'js-fe-2026-q4' AND u.username IN ('grace', 'linus');
INSERT INTO mentor.registries (course_id, user_id, kind, status)
SELECT c.id, u.id, 'student', 'pending' FROM mentor.courses c, mentor.users u
 WHERE c.alias = 'js-fe-2026-q4' AND u.username LIKE 'st__';
UPDATE mentor.registries SET status = 'approved'
 WHERE course_id = (SELECT id FROM mentor.courses WHERE alias = 'js-fe-2026-q4');
-- The first 16 students get a mentor.
UPDATE mentor.students s SET mentor_id = m.id
  FROM mentor.course_mentors m JOIN mentor.users mu ON mu.id = m.user_id, mentor.users u
 WHERE s.user_id = u.id AND m.course_id = s.course_id AND u.username <= 'st16'
   AND mu.username = CASE WHEN u.username <= 'st08' THEN 'grace' ELSE 'linus' END;

-- Tasks (seed 000: Task, CourseTask) and the scores of the three already checked.
INSERT INTO mentor.tasks (name, type, description_url, skills, tags, criteria) VALUES
    ('CV. HTML', 'htmltask', 'https://school.example/tasks/cv-html', '{html,css}', '{stage1}', '[]'),
    ('Codewars #1', 'codewars', 'https://school.example/tasks/codewars-1', '{javascript}', '{stage1}', '[]'),
    ('JS basics quiz', 'test', 'https://school.example/tasks/js-quiz', '{javascript}', '{stage1}', '[]'),
    ('Portfolio', 'htmltask', 'https://school.example/tasks/portfolio', '{html,css,javascript}', '{stage1,crosscheck}',
     '[{"key": "layout", "text": "Responsive layout from 320px", "max": 40},
       {"key": "semantics", "text": "Semantic HTML and accessibility", "max": 30},
       {"key": "interactivity", "text": "Burger menu and slider in vanilla JS", "max": 30}]');
INSERT INTO mentor.course_tasks (course_id, task_id, student_start_at, student_end_at, crosscheck_end_at, max_score,
                                 score_weight, checker, pairs_count)
SELECT c.id, t.id, now() - interval '40 days' + (x.n * interval '7 days'), now() - interval '33 days' + (x.n * interval '7 days'),
       CASE WHEN t.name = 'Portfolio' THEN now() + interval '7 days' END,
       x.max_score, x.weight, x.checker::mentor.checker_kind, 4
  FROM mentor.courses c,
       (VALUES ('CV. HTML', 0, 100, 0.5, 'mentor'), ('Codewars #1', 1, 50, 1.0, 'auto_test'),
               ('JS basics quiz', 2, 20, 1.0, 'auto_test'), ('Portfolio', 4, 100, 1.0, 'crosscheck'))
         AS x(task, n, max_score, weight, checker)
  JOIN mentor.tasks t ON t.name = x.task
 WHERE c.alias = 'js-fe-2026-q4';
-- The portfolio deadline passed an hour ago.
UPDATE mentor.course_tasks ct SET student_end_at = now() - interval '1 hour'
  FROM mentor.tasks t WHERE t.id = ct.task_id AND t.name = 'Portfolio';

INSERT INTO mentor.task_results (course_task_id, student_id, score)
SELECT ct.id, s.id, least(ct.max_score, (ct.max_score * (0.45 + (hashint8(s.id * 31 + ct.id) & 63) / 110.0))::int)
  FROM mentor.course_tasks ct JOIN mentor.students s ON s.course_id = ct.course_id
 WHERE ct.checker <> 'crosscheck';

-- 27 portfolios were submitted on time; st28-st30 did not submit.
INSERT INTO mentor.task_solutions (course_task_id, student_id, url, submitted_at)
SELECT ct.id, s.id, format('https://%s.github.io/portfolio', u.username), now() - interval '2 hours'
  FROM mentor.course_tasks ct JOIN mentor.tasks t ON t.id = ct.task_id AND t.name = 'Portfolio'
  JOIN mentor.students s ON s.course_id = ct.course_id JOIN mentor.users u ON u.id = s.user_id
 WHERE u.username <= 'st27';

-- A team distribution for stage 2 (seed 000: TeamDistribution): teams of 3-4, total score 100 or more.
INSERT INTO mentor.team_distributions (course_id, name, description, start_at, end_at, min_team_size, max_team_size,
                                       min_total_score)
SELECT id, 'Stage 2 project teams', 'Build a single-page app in a team', now() - interval '3 days', now() + interval '4 days',
       3, 4, 100
  FROM mentor.courses WHERE alias = 'js-fe-2026-q4';
INSERT INTO mentor.team_distribution_students (distribution_id, course_id, student_id, registered_at)
SELECT d.id, d.course_id, s.id, now() - interval '1 day'
  FROM mentor.team_distributions d JOIN mentor.students s ON s.course_id = d.course_id
  JOIN mentor.users u ON u.id = s.user_id
 WHERE u.username <> 'st30';
