-- Learning paths: ordered modules, completions as rows, and progress that is
-- always completed / total (kept by trigger, also when the path changes);
-- seed 004's JSON shapes as views.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS mentor CASCADE;
RESET client_min_messages;
\set SHOW_CONTEXT never

\i sql/helpers/try.psql
\i sql/helpers/tryn.psql
INSERT INTO mentor.users (email, username, full_name, role) VALUES
    ('lp_lea@example.com', 'lp_lea', 'Lea Learner', 'user'), ('lp_max@example.com', 'lp_max', 'Max Learner', 'user'),
    ('lp_ada@example.com', 'lp_ada', 'Ada Admin', 'admin');
SELECT id AS lea FROM mentor.users WHERE username = 'lp_lea' \gset
SELECT id AS max FROM mentor.users WHERE username = 'lp_max' \gset
SELECT id AS ada FROM mentor.users WHERE username = 'lp_ada' \gset
\i sql/helpers/as_user.psql
CREATE FUNCTION pg_temp.progress(u bigint) RETURNS text LANGUAGE sql AS $$
    SELECT x.completed_count || '/' || p.module_count || ' = ' || x.progress || '%'
           || CASE WHEN x.completed_at IS NOT NULL THEN ', completed' ELSE '' END
      FROM mentor.learning_progress x JOIN mentor.learning_paths p ON p.id = x.path_id
     WHERE x.user_id = u AND p.title = 'Leading a team' $$;

-- Staff write paths; the application reads them.
INSERT INTO mentor.learning_paths (title, category, description, created_by)
VALUES ('Leading a team', 'leadership', 'From individual contributor to team lead.', :ada) RETURNING id AS path \gset
INSERT INTO mentor.learning_path_modules (path_id, position, title, estimated_minutes)
SELECT :path, g, (ARRAY['Delegation', 'Feedback', 'One-on-ones', 'Hiring'])[g], 30 FROM generate_series(1, 4) g;
SELECT module_count FROM mentor.learning_paths WHERE id = :path;
SELECT pg_temp.try(format($$INSERT INTO mentor.learning_path_modules (path_id, position, title) VALUES (%s, 2, 'Again')$$, :path));
-- Administrators (mentor_admin) write paths, not their counts.
CREATE FUNCTION pg_temp.as_admin(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('role', 'mentor_admin', true);
    EXECUTE q;
    PERFORM set_config('role', 'none', true);
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    PERFORM set_config('role', 'none', true);
    RAISE;
END $$;
SELECT pg_temp.tryn(format($q$SELECT pg_temp.as_admin('UPDATE mentor.learning_paths SET module_count = 9 WHERE id = %s')$q$, :path));
SELECT pg_temp.try(format($q$SELECT pg_temp.as_admin('UPDATE mentor.learning_paths SET description = ''Lead people.'' WHERE id = %s')$q$, :path));
SELECT pg_temp.tryn(format($q$SELECT pg_temp.as_user(%s, 'INSERT INTO mentor.learning_paths (title) VALUES (''Mine'')')$q$, :lea));
-- Positions swap in one statement (the unique position is deferrable).
UPDATE mentor.learning_path_modules SET position = CASE position WHEN 3 THEN 4 ELSE 3 END
 WHERE path_id = :path AND position IN (3, 4);
SELECT position, title FROM mentor.learning_path_modules WHERE path_id = :path ORDER BY position;
SELECT id AS m1 FROM mentor.learning_path_modules WHERE path_id = :path AND position = 1 \gset
SELECT id AS m2 FROM mentor.learning_path_modules WHERE path_id = :path AND position = 2 \gset
SELECT id AS m3 FROM mentor.learning_path_modules WHERE path_id = :path AND position = 3 \gset
SELECT id AS m4 FROM mentor.learning_path_modules WHERE path_id = :path AND position = 4 \gset

-- Completing modules moves the progress; the first completion starts the path.
SELECT pg_temp.as_user(:lea, format('INSERT INTO mentor.learning_module_completions (user_id, module_id) VALUES (mentor.current_actor(), %s) RETURNING 1', :m1)) AS done;
SELECT pg_temp.progress(:lea);
SELECT pg_temp.as_user(:lea, format('INSERT INTO mentor.learning_module_completions (user_id, module_id) VALUES (mentor.current_actor(), %s) RETURNING 1', :m2)) AS done;
SELECT pg_temp.progress(:lea);
SELECT pg_temp.try(format('INSERT INTO mentor.learning_module_completions (user_id, module_id) VALUES (%s, %s)', :lea, :m2));
SELECT pg_temp.tryn(format($q$SELECT pg_temp.as_user(%s, 'INSERT INTO mentor.learning_module_completions (user_id, module_id) VALUES (%s, %s)')$q$, :max, :lea, :m3));
-- Progress is never written by hand, not even on one's own row.
SELECT pg_temp.tryn(format($q$SELECT pg_temp.as_user(%s, 'UPDATE mentor.learning_progress SET progress = 100')$q$, :lea));
SELECT pg_temp.tryn(format($q$SELECT pg_temp.as_user(%s, 'INSERT INTO mentor.learning_progress (user_id, path_id, progress) VALUES (mentor.current_actor(), %s, 100)')$q$, :max, :path));
SELECT pg_temp.tryn(format($q$SELECT pg_temp.as_admin('UPDATE mentor.learning_progress SET progress = 100 WHERE user_id = %s')$q$, :lea));
-- Max starts the path without completing anything.
SELECT pg_temp.as_user(:max, format('INSERT INTO mentor.learning_progress (user_id, path_id) VALUES (mentor.current_actor(), %s) RETURNING progress', :path)) AS max_starts;
INSERT INTO mentor.learning_module_completions (user_id, module_id) VALUES (:lea, :m3), (:lea, :m4);
SELECT pg_temp.progress(:lea);
-- A new module: Lea is no longer done; removing it again brings her back to 100%.
INSERT INTO mentor.learning_path_modules (path_id, position, title) VALUES (:path, 5, 'Conflict') RETURNING id AS m5 \gset
SELECT pg_temp.progress(:lea), pg_temp.progress(:max);
DELETE FROM mentor.learning_path_modules WHERE id = :m5;
SELECT pg_temp.progress(:lea);
-- Removing a module she completed: 3 of 3.  Un-completing one: 2 of 3.
DELETE FROM mentor.learning_path_modules WHERE id = :m4;
SELECT pg_temp.progress(:lea);
SELECT pg_temp.as_user(:lea, format('DELETE FROM mentor.learning_module_completions WHERE module_id = %s AND user_id = mentor.current_actor() RETURNING 1', :m2)) AS undone;
SELECT pg_temp.progress(:lea);

-- Seed 004's JSON shapes.
SELECT title, category, jsonb_path_query_array(modules, '$[*].title') AS modules FROM mentor.learning_paths_json WHERE id = :path;
SELECT pg_temp.as_user(:lea, format('SELECT completed_modules = jsonb_build_array(%s, %s) FROM mentor.user_learning_progress', :m1, :m3)) AS lea_json;
-- Each user reads their own progress; staff all.
SELECT pg_temp.as_user(:max, 'SELECT count(*) FROM mentor.learning_module_completions') AS max_sees_completions,
       pg_temp.as_user(:max, 'SELECT count(*) FROM mentor.learning_progress') AS max_sees_progress,
       pg_temp.as_user(:ada, 'SELECT count(*) FROM mentor.learning_progress') AS staff_sees_progress;
-- History: the path and the completions, not the progress figures.
SELECT table_name, op, count(*) FROM mentor.history
 WHERE table_name IN ('mentor.learning_paths', 'mentor.learning_path_modules', 'mentor.learning_module_completions', 'mentor.learning_progress')
 GROUP BY 1, 2 ORDER BY 1, 2;

-- Events: a course schedules reusable events; an organizer is never in two at once (23P01
-- naming the other), whatever the course; the course's staff write them.
INSERT INTO mentor.courses (name, alias, start_date, end_date) VALUES
    ('Events course', 'lp-events-course', '2027-01-01', '2027-06-30'), ('Other course', 'lp-other-course', '2027-01-01', '2027-06-30');
SELECT id AS ecourse FROM mentor.courses WHERE alias = 'lp-events-course' \gset
SELECT id AS ocourse FROM mentor.courses WHERE alias = 'lp-other-course' \gset
INSERT INTO mentor.events (name, type, description) VALUES ('Git basics', 'lecture', 'Branches and merges'), ('Code review', 'workshop', NULL);
SELECT id AS git FROM mentor.events WHERE name = 'Git basics' \gset
SELECT id AS review FROM mentor.events WHERE name = 'Code review' \gset
SELECT pg_temp.try($$INSERT INTO mentor.events (name, type) VALUES ('Bad', 'Big Talk')$$);
SELECT pg_temp.as_user(:ada, format($q$INSERT INTO mentor.course_events (course_id, event_id, starts_at, ends_at, link, organizer_id)
    VALUES (%s, %s, '2027-02-01 18:00+00', '2027-02-01 19:30+00', 'https://meet.example/git', %s) RETURNING 'scheduled'$q$, :ecourse, :git, :max));
SELECT pg_temp.tryn(format($$INSERT INTO mentor.course_events (course_id, event_id, starts_at, ends_at, organizer_id)
    VALUES (%s, %s, '2027-02-01 19:00+00', '2027-02-01 20:00+00', %s)$$, :ocourse, :review, :max));
SELECT pg_temp.try(format($$INSERT INTO mentor.course_events (course_id, event_id, starts_at, ends_at, organizer_id)
    VALUES (%s, %s, '2027-02-01 19:30+00', '2027-02-01 20:30+00', %s) RETURNING 1$$, :ocourse, :review, :max)) AS right_after;
SELECT pg_temp.try(format($$INSERT INTO mentor.course_events (course_id, event_id, starts_at, ends_at)
    VALUES (%s, %s, '2027-02-01 19:00+00', '2027-02-01 18:00+00')$$, :ecourse, :review));
-- Moving an event onto another of the same organizer is refused too.
SELECT pg_temp.tryn(format($$UPDATE mentor.course_events SET starts_at = '2027-02-01 19:00+00', ends_at = '2027-02-01 21:00+00'
    WHERE course_id = %s AND event_id = %s$$, :ecourse, :git));
-- Only the course's staff schedule (Lea is not).
SELECT pg_temp.tryn(format($q$SELECT pg_temp.as_user(%s, 'INSERT INTO mentor.course_events (course_id, event_id, starts_at, ends_at)
    VALUES (%s, %s, ''2027-03-01 10:00+00'', ''2027-03-01 11:00+00'')')$q$, :lea, :ecourse, :git));
SELECT pg_temp.as_user(:lea, 'SELECT string_agg(e.name || '' '' || lower(ce.during)::date, '', '' ORDER BY ce.starts_at) FROM mentor.course_events ce JOIN mentor.events e ON e.id = ce.event_id') AS schedule;

-- Webinars: progress only moves forward and completes at the webinar's length.
INSERT INTO mentor.webinars (title, starts_at, duration_minutes, url) VALUES ('Career talk', '2027-02-10 17:00+00', 10, 'https://live.example/career')
RETURNING id AS webinar \gset
SELECT pg_temp.as_user(:lea, format('INSERT INTO mentor.webinar_progress (user_id, webinar_id, watched_seconds) VALUES (mentor.current_actor(), %s, 240) RETURNING watched_seconds', :webinar)) AS watched;
SELECT pg_temp.as_user(:lea, format('UPDATE mentor.webinar_progress SET watched_seconds = 60 WHERE webinar_id = %s RETURNING watched_seconds', :webinar)) AS rewound_keeps;
SELECT pg_temp.as_user(:lea, format('UPDATE mentor.webinar_progress SET watched_seconds = 600 WHERE webinar_id = %s RETURNING completed_at IS NOT NULL', :webinar)) AS completed;
SELECT pg_temp.as_user(:lea, format('UPDATE mentor.webinar_progress SET completed_at = NULL WHERE webinar_id = %s RETURNING completed_at IS NOT NULL', :webinar)) AS still_completed;
SELECT pg_temp.as_user(:max, 'SELECT count(*) FROM mentor.webinar_progress') AS max_sees;
SELECT pg_temp.tryn(format($q$SELECT pg_temp.as_user(%s, 'INSERT INTO mentor.webinars (title, starts_at, duration_minutes) VALUES (''Mine'', now(), 5)')$q$, :lea));
