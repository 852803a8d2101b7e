\echo
\echo '--- 1. Users and their platform roles (mentor.users, mentor.profiles)'
SELECT u.id, u.username, u.full_name, u.role, u.time_zone, p.headline, p.onboarding_status
  FROM mentor.users u JOIN mentor.profiles p ON p.user_id = u.id ORDER BY u.id;

\echo
\echo '--- 2. Skills: what mentors offer and mentees seek (mentor.user_skills)'
SELECT s.name AS skill,
       string_agg(u.username || ' (' || us.level || ')', ', ' ORDER BY us.level DESC) FILTER (WHERE us.direction = 'offers') AS offered_by,
       string_agg(u.username || ' (' || us.level || ')', ', ' ORDER BY us.level) FILTER (WHERE us.direction = 'seeks') AS sought_by
  FROM mentor.skills s JOIN mentor.user_skills us ON us.skill_id = s.id JOIN mentor.users u ON u.id = us.user_id
 GROUP BY s.name ORDER BY s.name;

\echo
\echo '--- 3. Signup creates the profile: a new user arrives'
INSERT INTO mentor.users (email, username, full_name, time_zone)
VALUES ('Nora.New@Mentor.Example', 'nora', 'Nora Novak', 'Europe/Prague');
SELECT u.username, u.email, p.onboarding_status, p.onboarding_step
  FROM mentor.users u JOIN mentor.profiles p ON p.user_id = u.id WHERE u.username = 'nora';

\echo
\echo '--- 4. Bad input is refused with a specific SQLSTATE and the offending value'
SELECT demo.try($$INSERT INTO mentor.users (email, username, full_name) VALUES ('nora.new@mentor.example', 'nora2', 'Copy')$$) AS duplicate_email_any_case;
SELECT demo.try($$INSERT INTO mentor.users (email, username, full_name) VALUES ('nora@mentor', 'nora3', 'X')$$) AS bad_email;
SELECT demo.try($$INSERT INTO mentor.users (email, username, full_name, time_zone) VALUES ('x@mentor.example', 'x1', 'X', 'Berlin')$$) AS bad_time_zone;
SELECT demo.try($$INSERT INTO mentor.users (email, username, full_name, role) VALUES ('x@mentor.example', 'x1', 'X', 'god')$$) AS bad_role;

\echo
\echo '--- 5. Onboarding follows its lifecycle: not_started -> in_progress -> completed'
SELECT mentor.next_states('onboarding', 'not_started') AS from_not_started, mentor.next_states('onboarding', 'in_progress') AS from_in_progress;
SELECT demo.try($$UPDATE mentor.profiles SET onboarding_status = 'completed' WHERE user_id = (SELECT id FROM mentor.users WHERE username = 'nora')$$) AS skip_a_step;
UPDATE mentor.profiles SET onboarding_status = 'in_progress', onboarding_step = 1
 WHERE user_id = (SELECT id FROM mentor.users WHERE username = 'nora');
UPDATE mentor.profiles SET onboarding_status = 'completed', onboarding_step = 5
 WHERE user_id = (SELECT id FROM mentor.users WHERE username = 'nora');
SELECT onboarding_status, onboarding_step, onboarding_completed_at IS NOT NULL AS completion_stamped
  FROM mentor.profiles WHERE user_id = (SELECT id FROM mentor.users WHERE username = 'nora');

\echo
\echo '--- 6. Profile visibility: Amara shows her location to mentors only and keeps her goals private'
SELECT viewer, p->>'location' AS location, p->>'goals' AS goals, p->>'email' AS email
  FROM (VALUES ('anonymous visitor', NULL), ('kenji (student)', 'kenji'), ('grace (mentor)', 'grace'), ('amara herself', 'amara')) v(viewer, who)
 CROSS JOIN LATERAL mentor.visible_profile((SELECT id FROM mentor.users WHERE username = v.who),
                                           (SELECT id FROM mentor.users WHERE username = 'amara')) p;

\echo
\echo '--- 7. The acting user is set per transaction (history and row-level security use it)'
BEGIN;
SELECT mentor.set_actor((SELECT id FROM mentor.users WHERE username = 'adam')) AS actor_set;
SELECT mentor.current_actor() AS actor_inside_transaction;
COMMIT;
SELECT mentor.current_actor() IS NULL AS actor_cleared_after_commit;
