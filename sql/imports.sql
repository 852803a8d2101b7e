-- Importing another system's past: users who signed up long ago, finished
-- mentorships, completed sessions, kept as they were (ids too) through
-- mentor.import_rows, with constraints, foreign keys and history still in force.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS mentor CASCADE;
RESET client_min_messages;
\set SHOW_CONTEXT never

\i sql/helpers/try.psql
-- What signup gives a live user: a wallet, a signup event and (here) 5 welcome tokens.
INSERT INTO mentor.settings (key, value) VALUES ('signup.welcome_promo_tokens', '5');
INSERT INTO mentor.users (email, full_name) VALUES ('im_live@example.com', 'Live Signup') RETURNING id AS live \gset
SELECT (SELECT count(*) FROM mentor.login_events WHERE user_id = :live AND event = 'signup') AS signup_events,
       (SELECT sum(b.posted) FROM mentor.ledger_accounts a, mentor.balance(a.id) b WHERE a.owner_id = :live AND a.kind = 'promo') AS welcome_tokens;

-- 1. Users with their old ids and dates: a wallet each, but no signup event and no welcome tokens.
SELECT mentor.import_rows('mentor.users', $$[
    {"id": 900001, "email": "im_mentor@example.com", "full_name": "Imported Mentor", "role": "mentor", "created_at": "2023-02-01T10:00:00Z"},
    {"id": 900002, "email": "im_mentee@example.com", "full_name": "Imported Mentee", "role": "mentee", "created_at": "2023-03-05T09:30:00Z",
     "last_login_at": "2024-06-01T08:00:00Z"}]$$) AS users_imported;
SELECT id, role, created_at, (SELECT count(*) FROM mentor.login_events e WHERE e.user_id = u.id) AS events,
       (SELECT count(*) FROM mentor.ledger_accounts a WHERE a.owner_id = u.id AND a.kind = 'wallet') AS wallets,
       (SELECT count(*) FROM mentor.ledger_accounts a WHERE a.owner_id = u.id AND a.kind = 'promo') AS promos
  FROM mentor.users u WHERE id >= 900001 ORDER BY id;
-- the identity goes on after the imported ids
INSERT INTO mentor.users (email, full_name) VALUES ('im_after@example.com', 'After Import') RETURNING id > 900002 AS id_after_imported;
SELECT mentor.import_rows('mentor.mentor_profiles', $$[{"user_id": 900001, "headline": "Imported", "price_tokens": 40, "max_mentees": 1}]$$) AS profiles;

-- 2. A finished mentorship and a completed session in the past, as they were.
SELECT mentor.import_rows('mentor.mentorships', $$[
    {"id": 700001, "mentor_id": 900001, "mentee_id": 900002, "status": "completed", "goal": "Ship v1",
     "started_at": "2023-04-01T00:00:00Z", "ended_at": "2023-09-30T00:00:00Z", "created_at": "2023-03-20T00:00:00Z"}]$$) AS mentorships;
SELECT mentor.import_rows('mentor.sessions', $$[
    {"id": 800001, "mentor_id": 900001, "mentee_id": 900002, "mentorship_id": 700001, "status": "completed",
     "during": "[2023-05-02 15:00:00+00,2023-05-02 16:00:00+00)", "title": "Kick-off", "completed_at": "2023-05-02T16:00:00Z"},
    {"id": 800002, "mentor_id": 900001, "mentee_id": 900002, "mentorship_id": 700001, "status": "cancelled",
     "starts_at": "2023-06-02T15:00:00Z", "ends_at": "2023-06-02T16:00:00Z", "cancel_reason": "holiday"}]$$) AS sessions;
-- (the second one as a platform exports it, with a start and an end: they make its range)
SELECT m.status, m.started_at, m.ended_at, s.id, s.status AS session_status, s.during
  FROM mentor.mentorships m JOIN mentor.sessions s ON s.mentorship_id = m.id WHERE m.id = 700001 ORDER BY s.id;
SELECT active_mentees FROM mentor.mentor_profiles WHERE user_id = 900001;
-- history records the import, naming it as the application that wrote the rows
SELECT table_name, op, count(*) AS rows, min(application_name) AS written_by FROM mentor.history
 WHERE (table_name = 'mentor.users' AND (row_key->>'id')::bigint IN (900001, 900002))
    OR (table_name = 'mentor.mentorships' AND row_key->>'id' = '700001')
    OR (table_name = 'mentor.sessions' AND (row_key->>'id')::bigint IN (800001, 800002))
 GROUP BY 1, 2 ORDER BY 1;

-- 3. After the import the rules apply again: a completed session cannot go back, a past session cannot be created.
SELECT pg_temp.try($$UPDATE mentor.sessions SET status = 'pending' WHERE id = 800001$$) AS lifecycle_again;
SELECT pg_temp.try($$INSERT INTO mentor.sessions (mentor_id, during, status) VALUES (900001, '[2023-07-01 10:00+00,2023-07-01 11:00+00)', 'completed')$$) AS no_past_sessions;

-- 4. Bad input changes nothing; constraints, foreign keys and exclusions still hold.
SELECT pg_temp.try($$SELECT mentor.import_rows('mentor.users', '[{"id": 900010, "email": "x@example.com", "nickname": "x"}]')$$) AS unknown_column;
SELECT pg_temp.try($$SELECT mentor.import_rows('mentor.ledger_transfers', '[{"amount": 5}]')$$) AS ledger_refused;
SELECT pg_temp.try($$SELECT mentor.import_rows('mentor.token_purchases', '[{"amount": 5}]')$$) ~ '^22023' AS purchases_refused;
SELECT pg_temp.try($$SELECT mentor.import_rows('mentor.users', '{"id": 1}')$$) AS not_an_array;
SELECT pg_temp.try($$SELECT mentor.import_rows('mentor.sessions', '[{"mentor_id": 900001, "mentee_id": 424242, "status": "completed",
    "during": "[2023-08-01 10:00+00,2023-08-01 11:00+00)"}]')$$) AS foreign_key;
SELECT pg_temp.try($$SELECT mentor.import_rows('mentor.sessions', '[{"mentor_id": 900001, "status": "confirmed", "during": "[2024-01-01 10:00+00,2024-01-01 11:00+00)"},
    {"mentor_id": 900001, "status": "confirmed", "during": "[2024-01-01 10:30+00,2024-01-01 11:30+00)"}]')$$) AS overlap_refused;
SELECT pg_temp.try($$SELECT mentor.import_rows('mentor.sessions', '[{"mentor_id": 900001, "status": "finished", "during": "[2024-02-01 10:00+00,2024-02-01 11:00+00)"}]')$$) AS not_a_state;
SELECT count(*) AS sessions_of_imported_mentor FROM mentor.sessions WHERE mentor_id = 900001;
-- a failed import leaves no trace of its relaxed rules in the transaction
BEGIN;
SELECT pg_temp.try($$SELECT mentor.import_rows('mentor.users', '[{"email": "not-an-email"}]')$$) AS bad_email;
SELECT pg_temp.try($$INSERT INTO mentor.mentorships (mentor_id, mentee_id, status) VALUES (900001, 900002, 'completed')$$) AS rules_back;
ROLLBACK;
-- only administrators import
CREATE ROLE im_app_login LOGIN IN ROLE mentor_app;
SET ROLE im_app_login;
SELECT pg_temp.try($$SELECT mentor.import_rows('mentor.users', '[{"email": "sneaky@example.com"}]')$$) AS app_refused;
SELECT pg_temp.try($$SELECT mentor._import_rows('mentor.users', '[{"email": "sneaky@example.com"}]')$$) AS internal_refused;
SELECT pg_temp.try($$SELECT mentor._import_flag(true)$$) AS flag_refused;
RESET ROLE;
DROP ROLE im_app_login;
DELETE FROM mentor.settings WHERE key = 'signup.welcome_promo_tokens' AND NOT shipped;

-- 5. Sign-in events: record_login adds one and stamps last_login_at.
SELECT mentor.record_login(900002, 'login', '203.0.113.7', 'curl/8') > 0 AS recorded;
SELECT event, ip, user_agent FROM mentor.login_events WHERE user_id = 900002 ORDER BY id;
SELECT last_login_at > '2024-06-01' AS stamped FROM mentor.users WHERE id = 900002;
SELECT pg_temp.try($$SELECT mentor.record_login(900002, 'Logged In!')$$) AS bad_event;
SELECT pg_temp.try($$SELECT mentor.record_login(-1)$$) AS no_user;

-- 6. Experience as people type it (seed 004): the number follows the text's first number.
UPDATE mentor.profiles SET years_of_experience_text = '10-15' WHERE user_id = 900001;
UPDATE mentor.profiles SET years_of_experience_text = '5+' WHERE user_id = 900002;
SELECT user_id, years_of_experience_text, years_of_experience FROM mentor.profiles WHERE user_id IN (900001, 900002) ORDER BY 1;
SELECT mentor.visible_profile(NULL, 900001) -> 'years_of_experience_text' AS shown, mentor.visible_profile(NULL, 900001) -> 'years_of_experience' AS as_number;
INSERT INTO mentor.profile_visibility (user_id, field, visibility) VALUES (900001, 'years_of_experience', 'private');
SELECT mentor.visible_profile(NULL, 900001) ? 'years_of_experience_text' AS text_shown_when_private;
UPDATE mentor.profiles SET years_of_experience_text = 'less than a year' WHERE user_id = 900002;
SELECT years_of_experience IS NULL AS no_number FROM mentor.profiles WHERE user_id = 900002;
SELECT pg_temp.try($$UPDATE mentor.profiles SET years_of_experience_text = '150 years' WHERE user_id = 900002$$) AS out_of_range;
