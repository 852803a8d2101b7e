-- Seed 001's slot flow (setting session.flow = 'slot'): tentative ->
-- meeting_requested -> confirmed -> under_review / completed /
-- cancellation_requested -> cancelled, with the money of journeys 2 and 3.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS mentor CASCADE;
RESET client_min_messages;
\set SHOW_CONTEXT never

\i sql/helpers/try.psql
CREATE FUNCTION pg_temp.tokens(u bigint) RETURNS text LANGUAGE sql AS $$
    SELECT format('%s/%s/%s', posted, pending_debits, available) FROM mentor.balance(mentor.wallet(u)) $$;
CREATE FUNCTION pg_temp.earned(u bigint) RETURNS bigint LANGUAGE sql AS $$
    SELECT posted FROM mentor.balance(mentor.earnings_account(u)) $$;
CREATE FUNCTION pg_temp.at(days int, hours int DEFAULT 1) RETURNS tstzrange LANGUAGE sql AS $$
    SELECT tstzrange(date_trunc('hour', now()) + days * interval '1 day',
                     date_trunc('hour', now()) + days * interval '1 day' + hours * interval '1 hour') $$;
-- Moves a session to have started half an hour ago (as the platform's clock would).
CREATE FUNCTION pg_temp.started(sid bigint) RETURNS boolean LANGUAGE sql AS $$
    UPDATE mentor.sessions SET during = tstzrange(now() - interval '30 minutes', now() + interval '30 minutes') WHERE id = sid
    RETURNING lower(during) < now() $$;

-- 1. Choosing the flow: only session or slot, and not while live sessions are in states the slot flow lacks.
SELECT pg_temp.try($$INSERT INTO mentor.settings (key, value) VALUES ('session.flow', '"calendar"')$$) AS unknown_flow;
SELECT count(*) > 0 AS live_004_sessions FROM mentor.sessions WHERE status IN ('pending', 'proposed', 'requested', 'rescheduled');
SELECT regexp_replace(pg_temp.try($$INSERT INTO mentor.settings (key, value) VALUES ('session.flow', '"slot"')$$),
                      'Live sessions: .*', 'Live sessions: ...') AS while_live;
SELECT count(mentor.cancel_session(id, mentor_id, 'moving to the slot flow')) > 0 AS cancelled
  FROM mentor.sessions WHERE status IN ('pending', 'proposed', 'requested', 'rescheduled');
INSERT INTO mentor.settings (key, value) VALUES ('session.flow', '"slot"');
SELECT mentor.setting('session.flow') AS flow;

INSERT INTO mentor.users (email, full_name, role) VALUES
    ('sl_expert@example.com', 'Ravi Expert', 'expert'), ('sl_student@example.com', 'Maya Student', 'user'),
    ('sl_admin@example.com', 'Sam Superadmin', 'superadmin'), ('sl_other@example.com', 'Olu Other', 'user');
SELECT id AS x FROM mentor.users WHERE email = 'sl_expert@example.com' \gset
SELECT id AS st FROM mentor.users WHERE email = 'sl_student@example.com' \gset
SELECT id AS adm FROM mentor.users WHERE email = 'sl_admin@example.com' \gset
SELECT id AS o FROM mentor.users WHERE email = 'sl_other@example.com' \gset
INSERT INTO mentor.mentor_profiles (user_id, headline, price_tokens, max_mentees) VALUES (:x, 'System design', 50, 5);
SELECT mentor.transfer(gen_random_uuid(), mentor.system_account('external'), mentor.wallet(:st), 500, 'purchase') IS NOT NULL AS funded;
-- One transaction, so that the acting user set by mentor.set_actor lasts from call to call.
BEGIN;

-- 2. Journeys 2 and 3: a tentative slot is booked (confirmed, tokens taken), the meeting ends, the mentor earns once.
SELECT mentor.publish_slot(:x, pg_temp.at(2)) AS s1 \gset
INSERT INTO mentor.sessions (mentor_id, during) VALUES (:x, pg_temp.at(30)) RETURNING status AS default_status;
SELECT status FROM mentor.sessions WHERE id = :s1;
SELECT mentor.book_session(:s1, :st, '00000000-0000-4000-8000-00000000d001') = :s1 AS booked;
SELECT status, pg_temp.tokens(:st) AS student_tokens FROM mentor.sessions WHERE id = :s1;
SELECT pg_temp.started(:s1);
SELECT mentor.complete_session(:s1) AS completed, mentor.complete_session(:s1) AS again;
SELECT status, pg_temp.earned(:x) AS expert_earned, pg_temp.tokens(:st) AS student_tokens FROM mentor.sessions WHERE id = :s1;

-- 3. A meeting request on a tentative slot: held, then confirmed; a turned-down one is cancelled and refunded.
SELECT mentor.publish_slot(:x, pg_temp.at(3)) AS s2 \gset
SELECT mentor.request_slot(:s2, :st, '00000000-0000-4000-8000-00000000d002') = :s2 AS requested;
SELECT status, pg_temp.tokens(:st) AS held FROM mentor.sessions WHERE id = :s2;
SELECT mentor.respond_request(:s2, true, 'Confirmed') = :s2 AS accepted;
SELECT status FROM mentor.sessions WHERE id = :s2;
SELECT mentor.request_session(:x, :st, pg_temp.at(4), '00000000-0000-4000-8000-00000000d003', 'Mock interview') AS s3 \gset
SELECT status FROM mentor.sessions WHERE id = :s3;
SELECT array_agg(new_row->>'status' ORDER BY at, op) AS went_through FROM mentor.history
 WHERE table_name = 'mentor.sessions' AND row_key->>'id' = :'s3' AND new_row ? 'status';
SELECT mentor.respond_request(:s3, false, 'Not my topic') = :s3 AS turned_down;
SELECT status, cancelled_by = :x AS by_expert, cancel_reason, refund_tokens, pg_temp.tokens(:st) AS student_tokens
  FROM mentor.sessions WHERE id = :s3;

-- 4. Cancellation requested: the other party decides; accepted, the refund is the policy's at the time of asking.
SELECT mentor.set_actor(:st) = :st AS as_student;
SELECT mentor.request_cancellation(:s2, 'Exam moved') = :s2 AS asked;
SELECT status, cancelled_by = :st AS by_student, refund_tokens FROM mentor.sessions WHERE id = :s2;
SELECT pg_temp.try(format('SELECT mentor.respond_cancellation(%s, true)', :s2)) AS own_request;
SELECT pg_temp.try(format('SELECT mentor.cancel_session(%s, %s)', :s2, :st)) AS cancel_directly;
SELECT mentor.set_actor(:x) = :x AS as_expert;
SELECT mentor.respond_cancellation(:s2, false, 'Let us keep it') IS NULL AS declined;
SELECT status, cancelled_by, refund_tokens FROM mentor.sessions WHERE id = :s2;
SELECT mentor.set_actor(:st) = :st AS as_student;
SELECT mentor.request_cancellation(:s2, 'Exam moved after all') = :s2 AS asked_again;
SELECT mentor.set_actor(:x) = :x AS as_expert;
SELECT mentor.respond_cancellation(:s2, true, 'Good luck') AS refunded;
SELECT status, pg_temp.tokens(:st) AS student_tokens FROM mentor.sessions WHERE id = :s2;
SELECT pg_temp.try(format('SELECT mentor.respond_cancellation(%s, true)', :s2)) AS answered_twice;
-- a confirmed session can also be cancelled outright (CONFIRMED --> CANCELLED)
SELECT mentor.publish_slot(:x, pg_temp.at(5)) AS s4 \gset
SELECT mentor.book_session(:s4, :st, '00000000-0000-4000-8000-00000000d004') = :s4 AS booked;
SELECT mentor.cancel_session(:s4, :x, 'travel') AS refund;

-- 5. Under review: the tokens are taken, the payout waits for staff, and is paid once.
SELECT mentor.publish_slot(:x, pg_temp.at(6)) AS s5 \gset
SELECT mentor.book_session(:s5, :st, '00000000-0000-4000-8000-00000000d005') = :s5 AS booked;
SELECT pg_temp.try(format('SELECT mentor.review_session(%s)', :s5)) AS before_start;
SELECT pg_temp.started(:s5);
SELECT mentor.set_actor(:o) = :o AS as_outsider;
SELECT pg_temp.try(format('SELECT mentor.review_session(%s)', :s5)) AS outsider;
SELECT mentor.set_actor(:st) = :st AS as_student;
SELECT pg_temp.earned(:x) AS expert_earned_before;
SELECT mentor.review_session(:s5, 'The expert left after ten minutes') = :s5 AS under_review;
SELECT status, review_reason, pg_temp.tokens(:st) AS student_tokens, pg_temp.earned(:x) AS expert_earned
  FROM mentor.sessions WHERE id = :s5;
SELECT pg_temp.try(format('SELECT mentor.complete_session(%s)', :s5)) AS complete_meanwhile;
SELECT pg_temp.try(format('SELECT mentor.resolve_review(%s, 50)', :s5)) AS not_staff;
SELECT mentor.set_actor(:adm) = :adm AS as_superadmin;
SELECT pg_temp.try(format('SELECT mentor.resolve_review(%s, 120)', :s5)) AS bad_percent;
SELECT mentor.resolve_review(:s5, 50, 'Half refunded') AS refund;
SELECT status, refund_tokens, resolved_by = :adm AS by_admin, response_message, completed_at IS NOT NULL AS completed_stamp,
       pg_temp.tokens(:st) AS student_tokens, pg_temp.earned(:x) AS expert_earned FROM mentor.sessions WHERE id = :s5;
SELECT pg_temp.try(format('SELECT mentor.resolve_review(%s, 100)', :s5)) AS resolved_twice;
SELECT pg_temp.tokens(:st) AS student_tokens_unchanged, pg_temp.earned(:x) AS expert_earned_unchanged;
-- resolved with a full refund, it is cancelled and the expert earns nothing
SELECT mentor.publish_slot(:x, pg_temp.at(7)) AS s6 \gset
SELECT mentor.book_session(:s6, :st, '00000000-0000-4000-8000-00000000d006') = :s6 AS booked;
SELECT pg_temp.started(:s6);
SELECT mentor.review_session(:s6, 'No-show disputed') = :s6 AS staff_review;
SELECT mentor.resolve_review(:s6, 100) AS refund;
SELECT status, pg_temp.tokens(:st) AS student_tokens, pg_temp.earned(:x) AS expert_earned FROM mentor.sessions WHERE id = :s6;

-- 6. Off the lifecycle: MN001 naming the allowed next states; a moved session stays confirmed.
SELECT mentor.publish_slot(:x, pg_temp.at(8)) AS s7 \gset
SELECT mentor.book_session(:s7, :st, '00000000-0000-4000-8000-00000000d007') = :s7 AS booked;
SELECT pg_temp.try(format($$UPDATE mentor.sessions SET status = 'rescheduled' WHERE id = %s$$, :s7)) AS off_lifecycle;
SELECT pg_temp.try(format($$UPDATE mentor.sessions SET status = 'meeting_requested' WHERE id = %s$$, :s7)) AS backwards;
SELECT mentor.propose_reschedule(:s7, :st, pg_temp.at(9)) = :s7 AS proposed;
SELECT mentor.respond_reschedule(:s7, :x, true) = :s7 AS moved;
SELECT status, during = pg_temp.at(9) AS at_new_time FROM mentor.sessions WHERE id = :s7;
INSERT INTO mentor.mentorships (mentor_id, mentee_id) VALUES (:x, :st) RETURNING id AS ms \gset
SELECT mentor.set_actor(:x) = :x AS as_expert;
SELECT mentor.activate_mentorship(:ms) = :ms AS active;
SELECT pg_temp.try(format('SELECT mentor.propose_session(%s, pg_temp.at(10))', :ms)) AS no_proposals;
COMMIT;

-- 7. Back to seed 004's flow: refused while a slot-only state is live, then the override is removed.
SELECT regexp_replace(pg_temp.try($$DELETE FROM mentor.settings WHERE key = 'session.flow' AND NOT shipped$$),
                      '\d+ tentative', 'N tentative') AS while_tentative;
SELECT count(mentor.cancel_session(id, mentor_id, 'back to the session flow')) > 0 AS cancelled
  FROM mentor.sessions WHERE status IN ('tentative', 'meeting_requested');
DELETE FROM mentor.settings WHERE key = 'session.flow' AND NOT shipped;
SELECT mentor.setting('session.flow') AS flow;
