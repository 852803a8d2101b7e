-- Security: the six ways an application login could get past the role table,
-- each tried as the attack it was and refused.  (The role matrix in
-- test/pgtap/06_role_matrix.sql tries every path through real logins.)
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS mentor CASCADE;
RESET client_min_messages;
\set SHOW_CONTEXT never

CREATE ROLE sec_backend LOGIN;
GRANT mentor_app TO sec_backend;
CREATE ROLE sec_analyst LOGIN;
GRANT mentor_analyst TO sec_analyst;
INSERT INTO mentor.users (email, username, full_name) VALUES
    ('sec_mentor@example.com', 'sec_mentor', 'Sec Mentor'), ('sec_mentee@example.com', 'sec_mentee', 'Sec Mentee');
SELECT id AS mentor FROM mentor.users WHERE username = 'sec_mentor' \gset
SELECT id AS mentee FROM mentor.users WHERE username = 'sec_mentee' \gset
INSERT INTO mentor.mentorships (mentor_id, mentee_id) VALUES (:mentor, :mentee);
SELECT id AS ms FROM mentor.mentorships WHERE mentor_id = :mentor \gset
INSERT INTO mentor.mentor_profiles (user_id, headline) VALUES (:mentor, 'Security reviews');
UPDATE mentor.mentorships SET status = 'active' WHERE id = :ms;
INSERT INTO mentor.mentorship_notes (mentorship_id, author_id, body, shared) VALUES (:ms, :mentor, 'Reading list', true);
INSERT INTO mentor.mentorship_messages (mentorship_id, sender_id, body) VALUES (:ms, :mentor, 'Welcome!');
SELECT mentor.credit_earnings(:mentor, 40, '5ec00000-0000-4000-8000-000000000001') IS NOT NULL AS earned;
SELECT mentor.request_withdrawal(:mentor, 25, '5ec00000-0000-4000-8000-000000000002') IS NOT NULL AS withdrawal_requested;
SELECT mentor.purchase_tokens(:mentee, 50, 'sec-order', '5ec00000-0000-4000-8000-000000000003') IS NOT NULL AS purchase_started;
INSERT INTO mentor.courses (name, alias, start_date, end_date) VALUES ('Sec course', 'sec-course', '2026-01-01', '2026-12-31');
INSERT INTO mentor.students (course_id, user_id) SELECT id, :mentee FROM mentor.courses WHERE alias = 'sec-course';

SET ROLE sec_backend;

-- 1. Lifecycles through their views: the views are read-only, for every role.
DELETE FROM mentor.lifecycles WHERE name = 'onboarding';
INSERT INTO mentor.lifecycle_transitions VALUES ('onboarding', 'in_progress', 'not_started');
SELECT mentor.next_states('onboarding', 'in_progress') AS onboarding_unchanged;

-- 2. Trigger-kept counters: a made-up rating is refused on INSERT as on UPDATE;
-- writing them back unchanged (what an ORM's save() does) is fine.
INSERT INTO mentor.mentor_profiles (user_id, rating_avg, rating_count, active_mentees) VALUES (:mentee, 5.00, 1000, 3);
UPDATE mentor.mentor_profiles SET rating_count = 1000 WHERE user_id = :mentor;
UPDATE mentor.mentor_profiles SET headline = 'Security and privacy reviews', rating_count = rating_count,
       active_mentees = active_mentees, updated_at = now() WHERE user_id = :mentor;
UPDATE mentor.students SET total_score = 1000 WHERE user_id = :mentee;

-- 3. Row-level security per command: the mentee reads the shared note and the
-- message, but deletes and edits none of them; she marks the message read.
BEGIN;
SELECT mentor.set_actor(:mentee) IS NOT NULL AS as_mentee;
SELECT body FROM mentor.mentorship_notes WHERE mentorship_id = :ms;
DELETE FROM mentor.mentorship_notes WHERE mentorship_id = :ms;
DELETE FROM mentor.mentorship_messages WHERE mentorship_id = :ms;
UPDATE mentor.mentorship_messages SET body = 'edited' WHERE mentorship_id = :ms;
SELECT mentor.mark_messages_read(:ms) AS marked_read;
SELECT count(*) AS read FROM mentor.mentorship_messages WHERE mentorship_id = :ms AND read_at IS NOT NULL;
COMMIT;
BEGIN;
SELECT mentor.set_actor(:mentor) IS NOT NULL AS as_mentor;
UPDATE mentor.mentorship_messages SET read_at = NULL WHERE mentorship_id = :ms;
ROLLBACK;
BEGIN;
SELECT mentor.set_actor(NULL) IS NULL AS no_actor;
SELECT mentor.mark_messages_read(:ms);
ROLLBACK;
RESET ROLE;
SELECT (SELECT count(*) FROM mentor.mentorship_notes WHERE mentorship_id = :ms) AS notes,
       (SELECT string_agg(body, ', ') FROM mentor.mentorship_messages WHERE mentorship_id = :ms) AS messages;
SET ROLE sec_backend;

-- 4. Money without the administrator: minting from a system account, a wallet
-- that may go negative, paying out a withdrawal's hold behind its back.
SELECT mentor.transfer('5ec00000-0000-4000-8000-000000000010', mentor.system_account('allotments'), mentor.wallet(:mentee),
                       1000000, 'allotment');
UPDATE mentor.ledger_accounts SET allow_negative = true WHERE id = mentor.wallet(:mentee);
SELECT mentor.open_account(:mentee, 'escrow', allow_negative => true);
SELECT mentor.post_pending('5ec00000-0000-4000-8000-000000000002', '5ec00000-0000-4000-8000-000000000011');
SELECT mentor.void_pending('5ec00000-0000-4000-8000-000000000003', '5ec00000-0000-4000-8000-000000000012');
SELECT mentor.transfer('5ec00000-0000-4000-8000-000000000013', mentor.earnings_account(:mentor), mentor.system_account('external'),
                       5, 'withdrawal');
-- What the application may do with money still works: spending what an account holds.
SELECT mentor.transfer('5ec00000-0000-4000-8000-000000000014', mentor.earnings_account(:mentor), mentor.wallet(:mentor), 5, 'spend')
       IS NOT NULL AS moved_own_tokens;
RESET ROLE;
-- An administrator cannot resolve a request's hold directly either; its function does both.
CREATE ROLE sec_admin LOGIN;
GRANT mentor_admin TO sec_admin;
SET ROLE sec_admin;
SELECT mentor.post_pending('5ec00000-0000-4000-8000-000000000002', '5ec00000-0000-4000-8000-000000000015');
SELECT mentor.approve_withdrawal('5ec00000-0000-4000-8000-000000000002') IS NOT NULL AS approved;
RESET ROLE;
SELECT status FROM mentor.withdrawals WHERE id = '5ec00000-0000-4000-8000-000000000002';
-- ledger_check() reports a request whose hold disagrees with it (forced here by a superuser, and rolled back).
BEGIN;
SELECT mentor.void_pending('5ec00000-0000-4000-8000-000000000003', '5ec00000-0000-4000-8000-000000000016') IS NOT NULL AS voided_behind_its_back;
SELECT * FROM mentor.ledger_check();
ROLLBACK;
SELECT count(*) AS violations FROM mentor.ledger_check();

-- 5. The acting user does not leak across pooled requests: only set_actor sets it.
SET ROLE sec_backend;
SET mentor.actor_id = '13';
SELECT set_config('mentor.actor_id', '13', false);
SELECT mentor.current_actor() IS NULL AS no_actor_carried_over;
SELECT mentor.set_actor(:mentee) IS NOT NULL AS outside_a_transaction;
SELECT mentor.current_actor() IS NULL AS lasted_one_statement;
RESET ROLE;

-- 6. The analyst reads history without emails, names, OAuth ids or reviewers.
SET ROLE sec_analyst;
SELECT op, new_row ? 'email' AS email, new_row ? 'full_name' AS full_name, new_row ? 'username' AS username
  FROM mentor.history WHERE table_name = 'mentor.users' AND row_key = jsonb_build_object('id', :mentor);
SELECT count(*) FROM mentor.history_log;
SELECT full_name FROM mentor.course_leaderboard;
SELECT username, total_score FROM mentor.course_leaderboard WHERE username = 'sec_mentee';
RESET ROLE;
SELECT table_name, private FROM mentor.history_tables WHERE private <> '{}' ORDER BY table_name;
SELECT mentor.set_history_private('mentor.users', ARRAY['no_such_column']);

-- (The token economy's signup flow, here at the end so that no other suite's ids move.)
-- A deployment that gives welcome tokens: every signup gets them as promo tokens, once.
INSERT INTO mentor.settings (key, value) VALUES ('signup.welcome_promo_tokens', '25');
INSERT INTO mentor.users (email, username, full_name) VALUES ('welcome@example.com', 'welcome', 'Wel Come');
SELECT a.kind, b.posted, a.expires_at = date_trunc('day', now()) + interval '30 days' AS in_30_days
  FROM mentor.ledger_accounts a JOIN mentor.users u ON u.id = a.owner_id, mentor.balance(a.id) b
 WHERE u.username = 'welcome' ORDER BY a.kind;
DELETE FROM mentor.settings WHERE key = 'signup.welcome_promo_tokens' AND NOT shipped;

DROP ROLE sec_backend;
DROP ROLE sec_analyst;
DROP ROLE sec_admin;
