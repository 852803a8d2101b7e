-- Quizzes: course modules, a question bank whose answers the application never
-- reads, attempts within their limit and time limit, grading in the database
-- (single and multiple choice, text), the counting attempt, and the review once
-- an attempt is closed.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS mentor CASCADE;
RESET client_min_messages;
\set SHOW_CONTEXT never

\i sql/helpers/try.psql
\i sql/helpers/tryn.psql
INSERT INTO mentor.users (email, username, full_name, role) VALUES
    ('qz_kim@example.com', 'qz_kim', 'Kim Student', 'user'), ('qz_lou@example.com', 'qz_lou', 'Lou Student', 'user'),
    ('qz_ann@example.com', 'qz_ann', 'Ann Admin', 'admin');
SELECT id AS kim FROM mentor.users WHERE username = 'qz_kim' \gset
SELECT id AS lou FROM mentor.users WHERE username = 'qz_lou' \gset
SELECT id AS ann FROM mentor.users WHERE username = 'qz_ann' \gset
\i sql/helpers/as_user.psql

-- A course with a module (written by its staff) and a bank of three questions.
INSERT INTO mentor.courses (name, alias, start_date, end_date) VALUES ('Quiz course', 'qz-course', '2027-01-01', '2027-12-31');
SELECT id AS course FROM mentor.courses WHERE alias = 'qz-course' \gset
SELECT pg_temp.as_user(:ann, format($q$INSERT INTO mentor.course_modules (course_id, position, title) VALUES (%s, 1, 'SQL basics') RETURNING id$q$, :course)) AS module \gset
SELECT pg_temp.tryn(format($q$SELECT pg_temp.as_user(%s, 'INSERT INTO mentor.course_modules (course_id, position, title) VALUES (%s, 2, ''Mine'')')$q$, :kim, :course));
INSERT INTO mentor.question_categories (name) VALUES ('SQL');
INSERT INTO mentor.questions (category_id, kind, prompt, options, correct, points)
SELECT c.id, q.kind::mentor.question_kind, q.prompt, q.options::jsonb, q.correct::jsonb, q.points
  FROM mentor.question_categories c,
       (VALUES ('single_choice', 'Which clause filters groups?', '["WHERE", "HAVING", "ORDER BY"]', '[1]', 1),
               ('multiple_choice', 'Which are aggregate functions?', '["count", "lower", "sum", "now"]', '[0, 2]', 2),
               ('text', 'The keyword that removes duplicate rows?', NULL, '["DISTINCT", "distinct on"]', 1)) q(kind, prompt, options, correct, points);
SELECT id AS q1 FROM mentor.questions WHERE prompt LIKE 'Which clause%' \gset
SELECT id AS q2 FROM mentor.questions WHERE prompt LIKE 'Which are%' \gset
SELECT id AS q3 FROM mentor.questions WHERE prompt LIKE 'The keyword%' \gset
-- The bank's shapes are checked.
SELECT pg_temp.try($$INSERT INTO mentor.questions (kind, prompt, options, correct) VALUES ('single_choice', 'Two right?', '["a", "b"]', '[0, 1]')$$);
SELECT pg_temp.try($$INSERT INTO mentor.questions (kind, prompt, options, correct) VALUES ('multiple_choice', 'Out of range', '["a", "b"]', '[2]')$$);
SELECT pg_temp.try($$INSERT INTO mentor.questions (kind, prompt, correct) VALUES ('text', 'No answers', '[]')$$);
INSERT INTO mentor.quizzes (module_id, title, max_attempts, time_limit, scoring, published)
VALUES (:module, 'SQL check', 2, '10 minutes', 'best', true) RETURNING id AS quiz \gset
INSERT INTO mentor.quiz_questions (quiz_id, question_id, position) VALUES (:quiz, :q1, 1), (:quiz, :q2, 2), (:quiz, :q3, 3);

-- The application reads the questions, never their answers.
SELECT pg_temp.as_user(:kim, format('SELECT string_agg(position || '': '' || prompt || '' '' || coalesce(options::text, ''(text)''), E''\n'' ORDER BY position) FROM mentor.quiz_questions_public WHERE quiz_id = %s', :quiz)) AS questions;
SELECT pg_temp.tryn(format($q$SELECT pg_temp.as_user(%s, 'SELECT correct FROM mentor.questions')$q$, :kim));

-- First attempt: one right, the multiple choice half right (wrong), the text in another case.
SELECT pg_temp.as_user(:kim, format('SELECT (mentor.start_quiz(%s)).id', :quiz)) AS a1 \gset
SELECT pg_temp.as_user(:kim, format('SELECT (mentor.start_quiz(%s)).id', :quiz)) = :'a1' AS same_open_attempt;
SELECT pg_temp.tryn(format($q$SELECT pg_temp.as_user(%s, 'SELECT mentor.quiz_review(%s)')$q$, :kim, :a1));
SELECT pg_temp.as_user(:kim, format($q$SELECT score || ' of ' || max_score FROM mentor.submit_quiz(%s, '{"%s": 1, "%s": [0], "%s": "  distinct "}')$q$,
                                    :a1, :q1, :q2, :q3)) AS first_score;
SELECT pg_temp.tryn(format($q$SELECT pg_temp.as_user(%s, 'SELECT mentor.submit_quiz(%s, ''{}'')')$q$, :kim, :a1));
-- The review, now that it is closed.
SELECT pg_temp.as_user(:kim, format($q$SELECT string_agg(question_no || ' ' || coalesce(answer::text, '-') || ' vs ' || correct || ' ' || is_right, E'\n' ORDER BY question_no)
                                       FROM mentor.quiz_review(%s)$q$, :a1)) AS review;
-- Second attempt: all right; answers to a question not in the quiz are refused, naming it.
SELECT pg_temp.as_user(:kim, format('SELECT (mentor.start_quiz(%s)).id', :quiz)) AS a2 \gset
SELECT pg_temp.tryn(format($q$SELECT pg_temp.as_user(%s, 'SELECT mentor.submit_quiz(%s, ''{"%s": 1, "999999": 0, "x": 1}'')')$q$, :kim, :a2, :q1));
SELECT pg_temp.tryn(format($q$SELECT pg_temp.as_user(%s, 'SELECT mentor.submit_quiz(%s, ''[1, 2]'')')$q$, :kim, :a2));
SELECT pg_temp.as_user(:kim, format($q$SELECT score || ' of ' || max_score FROM mentor.submit_quiz(%s, '{"%s": [1], "%s": [2, 0], "%s": "DISTINCT ON"}')$q$,
                                    :a2, :q1, :q2, :q3)) AS second_score;
-- No third attempt; the best counts.
SELECT pg_temp.tryn(format($q$SELECT pg_temp.as_user(%s, 'SELECT mentor.start_quiz(%s)')$q$, :kim, :quiz));
SELECT pg_temp.as_user(:kim, format('SELECT score || '' of '' || max_score || '', attempts: '' || attempts FROM mentor.quiz_results WHERE quiz_id = %s', :quiz)) AS counting;

-- Lou runs out of time: the submission is refused (MN008), the review opens.
SELECT pg_temp.as_user(:lou, format('SELECT (mentor.start_quiz(%s)).id', :quiz)) AS l1 \gset
UPDATE mentor.quiz_attempts SET started_at = now() - interval '11 minutes', deadline = now() - interval '1 minute' WHERE id = :l1;
SELECT pg_temp.tryn(format($q$SELECT pg_temp.as_user(%s, 'SELECT mentor.submit_quiz(%s, ''{}'')')$q$, :lou, :l1));
SELECT pg_temp.as_user(:lou, format('SELECT count(*) FROM mentor.quiz_review(%s) WHERE answer IS NULL', :l1)) AS unanswered_in_review;
-- Others' attempts are not theirs to submit or read.
SELECT pg_temp.tryn(format($q$SELECT pg_temp.as_user(%s, 'SELECT mentor.submit_quiz(%s, ''{}'')')$q$, :lou, :a1));
SELECT pg_temp.tryn(format($q$SELECT pg_temp.as_user(%s, 'SELECT mentor.quiz_review(%s)')$q$, :lou, :a1));
SELECT pg_temp.as_user(:lou, 'SELECT count(*) FROM mentor.quiz_attempts') AS lou_sees_attempts,
       pg_temp.as_user(:ann, 'SELECT count(*) FROM mentor.quiz_attempts') AS staff_sees_attempts;
SELECT pg_temp.tryn(format($q$SELECT pg_temp.as_user(%s, 'UPDATE mentor.quiz_attempts SET score = 99')$q$, :kim));
-- An unpublished quiz cannot be started.
INSERT INTO mentor.quizzes (module_id, title) VALUES (:module, 'Draft quiz') RETURNING id AS draft \gset
SELECT pg_temp.tryn(format($q$SELECT pg_temp.as_user(%s, 'SELECT mentor.start_quiz(%s)')$q$, :kim, :draft));
