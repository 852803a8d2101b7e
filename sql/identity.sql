-- Identity module: users, profiles, skills, external accounts, profile visibility.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS mentor CASCADE;
RESET client_min_messages;
-- Errors raised inside PL/pgSQL functions need no CONTEXT lines here.
\set SHOW_CONTEXT never

-- Signing up creates the user's profile too.
INSERT INTO mentor.users (email, username, full_name, role, time_zone) VALUES
    ('grace@example.com', 'grace', 'Grace Hopper', 'mentor', 'America/New_York'),
    ('alan@example.com',  'alan',  'Alan Turing',  'user',   'Europe/London'),
    ('root@example.com',  'root',  'Site Admin',   'admin',  'UTC'),
    ('kay@example.com',   'kay',   'Kay Mentee',   'user',   'Asia/Kolkata');
SELECT u.id, u.username, u.role, p.onboarding_status, p.onboarding_step
  FROM mentor.users u JOIN mentor.profiles p ON p.user_id = u.id ORDER BY u.id;

-- Emails and usernames are unique regardless of case.
INSERT INTO mentor.users (email, username, full_name) VALUES ('GRACE@example.com', 'grace2', 'Imposter');
INSERT INTO mentor.users (email, username, full_name) VALUES ('g2@example.com', 'GRACE', 'Imposter');
SELECT id FROM mentor.users WHERE email = 'Grace@Example.com';
-- Bad values name themselves.
INSERT INTO mentor.users (email, username, full_name) VALUES ('grace at example.com', 'g3', 'X');
INSERT INTO mentor.users (email, username, full_name, time_zone) VALUES ('g3@example.com', 'g3', 'X', 'Europe/Atlantis');
INSERT INTO mentor.users (email, username, full_name, role) VALUES ('g3@example.com', 'g3', 'X', 'superuser');
\set VERBOSITY terse
INSERT INTO mentor.users (email, username, full_name) VALUES ('g3@example.com', 'g 3', 'X');
\set VERBOSITY default
\set VERBOSITY terse
INSERT INTO mentor.users (email, username, full_name) VALUES ('g3@example.com', 'g3', '   ');
\set VERBOSITY default
\set VERBOSITY terse
INSERT INTO mentor.users (email, username, full_name, avatar_url) VALUES ('g3@example.com', 'g3', 'X', 'javascript:alert(1)');
\set VERBOSITY default
SELECT count(*) AS users_after_rejections FROM mentor.users;

-- updated_at moves on update; created_at does not.
UPDATE mentor.users SET created_at = '2020-01-01', updated_at = '2020-01-01' WHERE username = 'alan';
SELECT created_at = '2020-01-01' AS created_kept, updated_at > '2020-01-01' AS updated_touched
  FROM mentor.users WHERE username = 'alan';

-- Onboarding follows its lifecycle; completion is stamped.
UPDATE mentor.profiles SET onboarding_status = 'completed' WHERE user_id = 2;
UPDATE mentor.profiles SET onboarding_status = 'in_progress', onboarding_step = 1 WHERE user_id = 2;
UPDATE mentor.profiles SET onboarding_status = 'completed', onboarding_step = 4 WHERE user_id = 2;
SELECT onboarding_status, onboarding_step, onboarding_completed_at IS NOT NULL AS stamped
  FROM mentor.profiles WHERE user_id = 2;
\set VERBOSITY terse
UPDATE mentor.profiles SET onboarding_completed_at = now() WHERE user_id = 1;
\set VERBOSITY default

-- Profile fields of seed 004.
UPDATE mentor.profiles SET
    headline = 'Compiler pioneer', department = 'Engineering', position = 'Rear Admiral',
    organization = 'US Navy', location = 'Arlington, VA', bio = 'Wrote the first compiler.',
    skills = '["COBOL", "compilers"]', interests = '["teaching"]', goals = 'Grow new engineers',
    availability = '{"mon": ["09:00-12:00"]}', years_of_experience = 40,
    area_of_expertise = 'Programming languages', mentorship_style = 'Hands-on',
    preferred_communication = 'video', max_mentee_capacity = 3, accepting_new_mentees = true,
    supports_new_mothers = true
 WHERE user_id = 1;
\set VERBOSITY terse
UPDATE mentor.profiles SET skills = '{"not": "an array"}' WHERE user_id = 1;
\set VERBOSITY default
\set VERBOSITY terse
UPDATE mentor.profiles SET years_of_experience = 120 WHERE user_id = 1;
\set VERBOSITY default
\set VERBOSITY terse
UPDATE mentor.profiles SET max_mentee_capacity = -1 WHERE user_id = 1;
\set VERBOSITY default

-- The shipped skill catalogue, and skills per user.
SELECT name, slug, category FROM mentor.skills ORDER BY id;
INSERT INTO mentor.skills (name, slug) VALUES ('Rust', 'Rust Lang');
INSERT INTO mentor.skills (name, slug) VALUES ('frontend', 'frontend-2');
INSERT INTO mentor.user_skills (user_id, skill_id, direction, level)
SELECT 1, id, 'offers', 5 FROM mentor.skills WHERE slug IN ('backend', 'devops');
INSERT INTO mentor.user_skills (user_id, skill_id, direction, level)
SELECT 2, id, 'seeks', 2 FROM mentor.skills WHERE slug = 'backend';
\set VERBOSITY terse
INSERT INTO mentor.user_skills (user_id, skill_id, direction, level)
SELECT 2, id, 'seeks', 9 FROM mentor.skills WHERE slug = 'cloud';
\set VERBOSITY default
INSERT INTO mentor.user_skills (user_id, skill_id, direction)
SELECT 1, id, 'offers' FROM mentor.skills WHERE slug = 'backend';

-- External learning accounts (seed 000).
INSERT INTO mentor.external_accounts (user_id, service, username, profile_url)
VALUES (1, 'codewars', 'ghopper', 'https://www.codewars.com/users/ghopper');
INSERT INTO mentor.external_accounts (user_id, service, username) VALUES (1, 'codewars', 'again');
\set VERBOSITY terse
INSERT INTO mentor.external_accounts (user_id, service, username) VALUES (1, 'Code Wars', 'x');
\set VERBOSITY default

-- Visibility: Grace hides her location from everyone but mentors, her bio from all but herself.
INSERT INTO mentor.profile_visibility (user_id, field, visibility) VALUES
    (1, 'location', 'mentor'), (1, 'bio', 'private');
\set VERBOSITY terse
INSERT INTO mentor.profile_visibility (user_id, field, visibility) VALUES (1, 'password_hash', 'public');
\set VERBOSITY default
SELECT v.viewer, k.field
  FROM (VALUES ('anonymous', NULL::bigint), ('student', 2), ('admin', 3)) v(viewer, viewer_id),
       LATERAL jsonb_object_keys(mentor.visible_profile(v.viewer_id, 1)) AS k(field)
 WHERE k.field IN ('bio', 'location', 'email', 'time_zone', 'external_accounts')
 ORDER BY 1, 2;
-- Field values as seen by a student: location hidden, skills present.
SELECT p->>'username' AS username, p->'location' AS location, p->'user_skills' AS user_skills,
       p ? 'password_hash' AS leaks_hash, p ? 'email' AS shows_email
  FROM mentor.visible_profile(2, 1) p;
-- Grace sees everything of her own; another mentor sees location but not bio.
INSERT INTO mentor.users (email, username, full_name, role) VALUES ('barbara@example.com', 'barbara', 'Barbara Liskov', 'mentor');
SELECT mentor.visible_profile(1, 1) ? 'bio' AS self_sees_bio,
       mentor.visible_profile(b.id, 1) ? 'location' AS mentor_sees_location,
       mentor.visible_profile(b.id, 1) ? 'bio' AS mentor_sees_bio
  FROM mentor.users b WHERE b.username = 'barbara';
-- Deactivated accounts are hidden except from staff.
UPDATE mentor.users SET active = false WHERE id = 1;
SELECT mentor.visible_profile(2, 1) IS NULL AS hidden_from_student, mentor.visible_profile(3, 1) IS NOT NULL AS shown_to_admin;
SELECT mentor.visible_profile(2, 999);
SELECT mentor.visible_profile(999, 1);

-- Deleting a user cascades to the rows it owns.
DELETE FROM mentor.users WHERE id = 1;
SELECT (SELECT count(*) FROM mentor.profiles WHERE user_id = 1) AS profiles,
       (SELECT count(*) FROM mentor.user_skills WHERE user_id = 1) AS skills,
       (SELECT count(*) FROM mentor.external_accounts WHERE user_id = 1) AS accounts;

-- Every platform's roles, as the platforms write them, and what the extension makes of them.
INSERT INTO mentor.users (email, username, full_name, role)
SELECT r || '@roles.example', 'role_' || r, initcap(r), r::mentor.platform_role
  FROM unnest(ARRAY['user', 'mentee', 'new_mother', 'mentor', 'expert', 'admin', 'owner', 'superadmin', 'sales']) r;
SELECT u.role, mentor._role_class(u.role) AS class,
       mentor.visible_profile(u.id, (SELECT id FROM mentor.users WHERE username = 'role_user')) ? 'email' AS sees_private_email
  FROM mentor.users u WHERE u.username LIKE 'role\_%' ORDER BY u.role;
-- A password change is stamped; a security answer is kept only as a hash, checked in any case.
UPDATE mentor.users SET password_hash = '$2b$10$abcdefghijklmnopqrstuv' WHERE username = 'role_user';
SELECT password_changed_at IS NOT NULL AS stamped FROM mentor.users WHERE username = 'role_user';
SELECT mentor.set_security_answer(id, 'First pet?', '  Rex ') FROM mentor.users WHERE username = 'role_user';
SELECT mentor.check_security_answer(id, 'rex') AS right, mentor.check_security_answer(id, 'Max') AS wrong,
       (SELECT answer_hash LIKE '$2%' AND answer_hash NOT LIKE '%Rex%' FROM mentor.user_security_answers a WHERE a.user_id = u.id) AS hashed
  FROM mentor.users u WHERE username = 'role_user';
SELECT mentor.check_security_answer(id, 'rex') AS none_set FROM mentor.users WHERE username = 'role_mentee';
SELECT mentor.set_security_answer(1, 'Q?', '   ');
SELECT count(*) AS hashes_in_history FROM mentor.history WHERE table_name = 'mentor.user_security_answers' AND new_row ? 'answer_hash';

-- Platforms without handles: a username is optional, and unique only when present.
INSERT INTO mentor.users (email, full_name) VALUES ('nohandle1@example.com', 'No Handle'), ('nohandle2@example.com', 'No Handle Two');
SELECT count(*) AS without_username FROM mentor.users WHERE username IS NULL;
SELECT mentor.visible_profile(NULL, id) ->> 'username' IS NULL AS shown_without FROM mentor.users WHERE email = 'nohandle1@example.com';

DROP EXTENSION mentor;
