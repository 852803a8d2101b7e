-- Matching module: explainable suggestions (skills, availability, capacity,
-- rating), hard filters, accept/decline, and cohort matching optimal and
-- stable under capacities.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS mentor CASCADE;
RESET client_min_messages;
\set SHOW_CONTEXT never

\i sql/helpers/try.psql

INSERT INTO mentor.users (email, username, full_name, role)
SELECT format('%s@match.example', n), n, initcap(n), CASE WHEN n LIKE 'mx_m%' THEN 'mentor' ELSE 'user' END::mentor.platform_role
  FROM unnest(ARRAY['mx_m1', 'mx_m2', 'mx_m3', 'mx_m4', 'mx_a', 'mx_b', 'mx_c', 'mx_d']) n;
CREATE FUNCTION pg_temp.uid(n text) RETURNS bigint LANGUAGE sql AS $$ SELECT id FROM mentor.users WHERE username = n $$;
CREATE FUNCTION pg_temp.uname(i bigint) RETURNS text LANGUAGE sql AS $$ SELECT username::text FROM mentor.users WHERE id = i $$;
INSERT INTO mentor.user_skills (user_id, skill_id, direction, level)
SELECT pg_temp.uid(u), (SELECT id FROM mentor.skills WHERE slug = s), d::mentor.skill_direction, l
  FROM (VALUES ('mx_m1', 'backend', 'offers', 5), ('mx_m1', 'devops', 'offers', 4),
               ('mx_m2', 'backend', 'offers', 2), ('mx_m2', 'frontend', 'offers', 5),
               ('mx_m3', 'data-science', 'offers', 5), ('mx_m4', 'backend', 'offers', 4),
               ('mx_a', 'backend', 'seeks', 3), ('mx_a', 'devops', 'seeks', 2),
               ('mx_b', 'backend', 'seeks', 2), ('mx_c', 'frontend', 'seeks', 3), ('mx_d', 'security', 'seeks', 3)) v(u, s, d, l);
INSERT INTO mentor.mentor_profiles (user_id, max_mentees, accepting, supports_new_mothers, availability)
VALUES (pg_temp.uid('mx_m1'), 2, true, false, 'Mon-Fri 09:00-17:00 @ UTC'),
       (pg_temp.uid('mx_m2'), 1, true, false, 'Mon-Fri 18:00-21:00 @ Asia/Kolkata'),
       (pg_temp.uid('mx_m3'), 3, false, false, NULL),
       (pg_temp.uid('mx_m4'), 1, true, true, NULL);
-- Ratings as feedback would leave them: m1 fifty ratings of 4.8, m2 one 5.
UPDATE mentor.mentor_profiles SET rating_avg = 4.8, rating_count = 50 WHERE user_id = pg_temp.uid('mx_m1');
UPDATE mentor.mentor_profiles SET rating_avg = 5, rating_count = 1 WHERE user_id = pg_temp.uid('mx_m2');
-- m4 is full: one active mentee of one place.
INSERT INTO mentor.mentorships (mentor_id, mentee_id, status) VALUES (pg_temp.uid('mx_m4'), pg_temp.uid('mx_d'), 'pending');
UPDATE mentor.mentorships SET status = 'active' WHERE mentor_id = pg_temp.uid('mx_m4');

-- Suggestions for mx_a (seeks backend 3, devops 2; free Mon-Fri 09-12 UTC), with reasons.
-- m1 covers both at level and overlaps 15 h; m2 only backend, below level, no overlap;
-- m3 is not accepting, m4 is full: neither is suggested.
SELECT pg_temp.uname(mentor_id) AS mentor, score, reasons
  FROM mentor.suggest_mentors(pg_temp.uid('mx_a'), 10, 'Mon-Fri 09:00-12:00 @ UTC');
-- A Bayesian rating: fifty 4.8s rate above one 5.
SELECT pg_temp.uname(mentor_id) AS mentor, (reasons -> 'parts' ->> 'rating')::numeric AS rating_part
  FROM mentor.suggest_mentors(pg_temp.uid('mx_a')) ORDER BY 2 DESC;
-- Program flag: only mentors supporting new mothers (m4, who is full).
SELECT count(*) AS for_new_mothers FROM mentor.suggest_mentors(pg_temp.uid('mx_a'), needs_new_mothers_support => true);
-- Bad input.
SELECT pg_temp.try('SELECT * FROM mentor.suggest_mentors(-1)');
SELECT pg_temp.try(format('SELECT * FROM mentor.suggest_mentors(%s, 0)', pg_temp.uid('mx_a')));
INSERT INTO mentor.settings (key, value) VALUES ('matching.weight_rating', '-1');
SELECT pg_temp.try(format('SELECT * FROM mentor.suggest_mentors(%s)', pg_temp.uid('mx_a')));
UPDATE mentor.settings SET value = '"NaN"' WHERE key = 'matching.weight_rating' AND NOT shipped;
SELECT pg_temp.try(format('SELECT * FROM mentor.suggest_mentors(%s)', pg_temp.uid('mx_a'))) ~ '^22' AS nan_refused;
DELETE FROM mentor.settings WHERE key = 'matching.weight_rating' AND NOT shipped;

-- Stored suggestions: accept one (a mentorship request), decline the other (never again).
SELECT mentor.refresh_suggestions(pg_temp.uid('mx_a')) AS written;
SELECT pg_temp.uname(mentor_id) AS mentor, status FROM mentor.suggestions WHERE mentee_id = pg_temp.uid('mx_a') ORDER BY score DESC;
-- Only the mentee (the acting user) or staff accepts or declines: anyone else gets MN005.
SELECT pg_temp.try(format('SELECT mentor.accept_suggestion(%s)', id)) AS without_actor FROM mentor.suggestions
 WHERE mentee_id = pg_temp.uid('mx_a') AND mentor_id = pg_temp.uid('mx_m1');
BEGIN;
SELECT mentor.set_actor(pg_temp.uid('mx_b')) IS NOT NULL AS as_another_mentee;
SELECT pg_temp.try(format('SELECT mentor.decline_suggestion(%s)', id)) AS someone_elses FROM mentor.suggestions
 WHERE mentee_id = pg_temp.uid('mx_a') AND mentor_id = pg_temp.uid('mx_m2');
SELECT mentor.set_actor(pg_temp.uid('mx_a')) IS NOT NULL AS as_the_mentee;
SELECT mentor.decline_suggestion(id) FROM mentor.suggestions WHERE mentee_id = pg_temp.uid('mx_a') AND mentor_id = pg_temp.uid('mx_m2');
SELECT mentor.accept_suggestion(id) IS NOT NULL AS requested FROM mentor.suggestions
 WHERE mentee_id = pg_temp.uid('mx_a') AND mentor_id = pg_temp.uid('mx_m1');
COMMIT;
SELECT status FROM mentor.mentorships WHERE mentor_id = pg_temp.uid('mx_m1') AND mentee_id = pg_temp.uid('mx_a');
BEGIN;
SELECT mentor.set_actor(pg_temp.uid('mx_a')) IS NOT NULL AS as_the_mentee;
SELECT pg_temp.try(format('SELECT mentor.accept_suggestion(%s)', id)) FROM mentor.suggestions
 WHERE mentee_id = pg_temp.uid('mx_a') AND mentor_id = pg_temp.uid('mx_m1');
COMMIT;
SELECT pg_temp.try('SELECT mentor.decline_suggestion(-1)');
-- m1 now has a live (pending) mentorship with mx_a and m2 was declined: nothing left to suggest.
SELECT mentor.refresh_suggestions(pg_temp.uid('mx_a')) AS written_again;

-- Cohort matching: mx_b (backend 2) and mx_c (frontend 3) and mx_d (security: nobody offers it).
SELECT pg_temp.uname(m.mentee_id) AS mentee, pg_temp.uname(m.mentor_id) AS mentor, m.score, m.reason
  FROM mentor.match_cohort(ARRAY[pg_temp.uid('mx_b'), pg_temp.uid('mx_c'), pg_temp.uid('mx_d')]) m ORDER BY 1;
SELECT pg_temp.uname(m.mentee_id) AS mentee, pg_temp.uname(m.mentor_id) AS mentor, m.score
  FROM mentor.match_cohort(ARRAY[pg_temp.uid('mx_b'), pg_temp.uid('mx_c'), pg_temp.uid('mx_d')], 1, 'stable') m ORDER BY 1;
-- Two mentors each for mx_b: as many as there are free places.
SELECT pg_temp.uname(m.mentee_id) AS mentee, count(m.mentor_id) AS mentors
  FROM mentor.match_cohort(ARRAY[pg_temp.uid('mx_b')], 2) m GROUP BY 1;
-- The optimal total is never below the stable or the greedy one, and no mentor goes over its free places.
SELECT (SELECT sum(score) FROM mentor.match_cohort(ARRAY(SELECT id FROM mentor.users WHERE username LIKE 'mx_%'))) >=
       (SELECT sum(score) FROM mentor.match_cohort(ARRAY(SELECT id FROM mentor.users WHERE username LIKE 'mx_%'), 1, 'stable'))
       AS optimal_at_least_stable,
       (SELECT sum(score) FROM mentor.match_cohort(ARRAY(SELECT id FROM mentor.users WHERE username LIKE 'mx_%'))) >=
       (SELECT sum(score) FROM mentor.match_cohort(ARRAY(SELECT id FROM mentor.users WHERE username LIKE 'mx_%'), 1, 'greedy'))
       AS optimal_at_least_greedy;
-- Greedy, highest score first: the baseline the optimum is measured against.
SELECT pg_temp.uname(m.mentee_id) AS mentee, pg_temp.uname(m.mentor_id) AS mentor, m.score
  FROM mentor.match_cohort(ARRAY[pg_temp.uid('mx_b'), pg_temp.uid('mx_c'), pg_temp.uid('mx_d')], 1, 'greedy') m ORDER BY 1;
SELECT bool_and(n <= free) AS capacities_respected
  FROM (SELECT m.mentor_id, count(*) AS n FROM mentor.match_cohort(ARRAY(SELECT id FROM mentor.users), 3) m
         WHERE m.mentor_id IS NOT NULL GROUP BY 1) x
  JOIN (SELECT user_id, max_mentees - active_mentees AS free FROM mentor.mentor_profiles) p ON p.user_id = x.mentor_id;
-- Bad input and edge cases.
SELECT count(*) AS empty_cohort FROM mentor.match_cohort('{}');
SELECT pg_temp.try('SELECT * FROM mentor.match_cohort(ARRAY[-5, -6]::bigint[])');
SELECT pg_temp.try(format('SELECT * FROM mentor.match_cohort(ARRAY[%s], 0)', pg_temp.uid('mx_b')));
SELECT pg_temp.try(format($$SELECT * FROM mentor.match_cohort(ARRAY[%s], 1, 'random')$$, pg_temp.uid('mx_b')));
-- save => true writes the pairs as matches awaiting an administrator.
SELECT count(*) AS returned FROM mentor.match_cohort(ARRAY[pg_temp.uid('mx_b'), pg_temp.uid('mx_c')], save => true) WHERE mentor_id IS NOT NULL;
SELECT pg_temp.uname(mentee_id) AS mentee, pg_temp.uname(mentor_id) AS mentor, method, status FROM mentor.matches ORDER BY 1;
SELECT pg_temp.try($$UPDATE mentor.matches SET status = 'pending' WHERE status = 'pending'$$) AS same_state_ok;
UPDATE mentor.matches SET status = 'approved';
SELECT pg_temp.try($$UPDATE mentor.matches SET status = 'rejected'$$);

-- Mentorship steps by their participants: the mentor accepts or rejects a request, either
-- participant completes or cancels; a plain UPDATE of the status is refused to the application.
INSERT INTO mentor.users (email, username, full_name, role) VALUES ('mx_admin@example.com', 'mx_admin', 'Mx Admin', 'admin');
CREATE ROLE mx_backend LOGIN;
GRANT mentor_app TO mx_backend;
SELECT id AS mx_req FROM mentor.mentorships WHERE mentor_id = pg_temp.uid('mx_m1') AND mentee_id = pg_temp.uid('mx_a') \gset
SET ROLE mx_backend;
BEGIN;
SELECT mentor.set_actor(pg_temp.uid('mx_a')) IS NOT NULL AS as_the_mentee;
SELECT pg_temp.try(format('SELECT mentor.activate_mentorship(%s)', :mx_req)) AS mentee_activates;
SELECT pg_temp.try(format($$UPDATE mentor.mentorships SET status = 'active' WHERE id = %s$$, :mx_req)) AS by_update;
SELECT mentor.set_actor(pg_temp.uid('mx_m1')) IS NOT NULL AS as_the_mentor;
SELECT mentor.activate_mentorship(:mx_req) = :mx_req AS mentor_activates;
SELECT mentor.activate_mentorship(:mx_req) = :mx_req AS again_no_change;
SELECT mentor.set_actor(pg_temp.uid('mx_b')) IS NOT NULL AS as_an_outsider;
SELECT pg_temp.try(format('SELECT mentor.complete_mentorship(%s)', :mx_req)) AS outsider_completes;
SELECT mentor.set_actor(pg_temp.uid('mx_a')) IS NOT NULL AS as_the_mentee;
SELECT mentor.complete_mentorship(:mx_req) = :mx_req AS mentee_completes;
SELECT pg_temp.try(format('SELECT mentor.cancel_mentorship(%s)', :mx_req)) AS cancel_completed;
COMMIT;
RESET ROLE;
SELECT status, started_at IS NOT NULL AS started, ended_at IS NOT NULL AS ended FROM mentor.mentorships WHERE id = :mx_req;

-- Matches are decided by staff: approval creates the mentorship within capacity and stamps who and when.
SELECT id AS mx_match FROM mentor.matches WHERE status = 'approved' ORDER BY id LIMIT 1 \gset
INSERT INTO mentor.matches (mentor_id, mentee_id, method, goal)
VALUES (pg_temp.uid('mx_m2'), pg_temp.uid('mx_c'), 'manual', 'Ship a model'),
       (pg_temp.uid('mx_m2'), pg_temp.uid('mx_d'), 'manual', NULL),
       (pg_temp.uid('mx_m1'), pg_temp.uid('mx_d'), 'manual', NULL);
SELECT id AS m_c FROM mentor.matches WHERE mentee_id = pg_temp.uid('mx_c') AND mentor_id = pg_temp.uid('mx_m2') AND method = 'manual' \gset
SELECT id AS m_d FROM mentor.matches WHERE mentee_id = pg_temp.uid('mx_d') AND mentor_id = pg_temp.uid('mx_m2') AND method = 'manual' \gset
SELECT id AS m_d1 FROM mentor.matches WHERE mentee_id = pg_temp.uid('mx_d') AND mentor_id = pg_temp.uid('mx_m1') AND method = 'manual' \gset
SET ROLE mx_backend;
BEGIN;
SELECT mentor.set_actor(pg_temp.uid('mx_c')) IS NOT NULL AS as_the_mentee;
SELECT pg_temp.try(format('SELECT mentor.approve_match(%s)', :m_c)) AS mentee_approves;
SELECT pg_temp.try(format($$UPDATE mentor.matches SET status = 'approved' WHERE id = %s$$, :m_c)) AS by_update;
SELECT mentor.set_actor(pg_temp.uid('mx_admin')) IS NOT NULL AS as_staff;
SELECT mentor.approve_match(:m_c) IS NOT NULL AS approved;
SELECT pg_temp.try(format('SELECT mentor.approve_match(%s)', :m_c)) AS approved_twice;
SELECT pg_temp.try(format('SELECT mentor.approve_match(%s)', :m_d)) AS mentor_full;
SELECT mentor.reject_match(:m_d1, 'mentee changed programs');
COMMIT;
RESET ROLE;
SELECT pg_temp.uname(m.mentee_id) AS mentee, m.status, pg_temp.uname(m.approved_by) AS decided_by, m.decided_at IS NOT NULL AS stamped,
       m.reason, ms.status AS mentorship, pg_temp.uname(ms.approved_by) AS mentorship_approved_by
  FROM mentor.matches m LEFT JOIN mentor.mentorships ms ON ms.id = m.mentorship_id
 WHERE m.id IN (:m_c, :m_d, :m_d1) ORDER BY m.id;
DROP ROLE mx_backend;
