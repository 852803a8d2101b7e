-- Seed 004's session flow (setting session.flow = 'session', the default):
-- a mentee requests, a mentor proposes, the other side confirms or rejects,
-- a moved session reads rescheduled; anything off the lifecycle is MN001.
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

SELECT mentor.setting('session.flow') AS flow;

INSERT INTO mentor.users (email, full_name, role) VALUES
    ('sf_mentor@example.com', 'Priya Mentor', 'mentor'), ('sf_mentee@example.com', 'Lena Mentee', 'mentee'),
    ('sf_mother@example.com', 'Noor Mother', 'new_mother'), ('sf_admin@example.com', 'Ada Admin', 'admin'),
    ('sf_other@example.com', 'Omar Other', 'mentor');
SELECT id AS m FROM mentor.users WHERE email = 'sf_mentor@example.com' \gset
SELECT id AS e FROM mentor.users WHERE email = 'sf_mentee@example.com' \gset
SELECT id AS nm FROM mentor.users WHERE email = 'sf_mother@example.com' \gset
SELECT id AS adm FROM mentor.users WHERE email = 'sf_admin@example.com' \gset
SELECT id AS o FROM mentor.users WHERE email = 'sf_other@example.com' \gset
INSERT INTO mentor.mentor_profiles (user_id, headline, price_tokens, max_mentees)
VALUES (:m, 'Engineering manager', 30, 3), (:o, 'Designer', 10, 3);
SELECT mentor.transfer(gen_random_uuid(), mentor.system_account('external'), mentor.wallet(u), 100, 'purchase') IS NOT NULL AS funded
  FROM unnest(ARRAY[:e, :nm]::bigint[]) u;
INSERT INTO mentor.mentorships (mentor_id, mentee_id, goal) VALUES (:m, :e, 'Lead a team'), (:m, :nm, 'Return to work');
SELECT id AS ms FROM mentor.mentorships WHERE mentee_id = :e \gset
SELECT id AS ms2 FROM mentor.mentorships WHERE mentee_id = :nm \gset
-- One transaction, so that the acting user set by mentor.set_actor lasts from call to call.
BEGIN;
SELECT mentor.set_actor(:m) = :m AS as_mentor;
SELECT mentor.activate_mentorship(:ms) = :ms AS active;

-- 1. The mentor proposes; proposing for another mentor's mentorship, or a pending one, is refused.
SELECT mentor.propose_session(:ms, pg_temp.at(3), 'Delegation', 'How to hand work over', '1. wins 2. blockers') AS p1 \gset
SELECT status, mentee_id = :e AS to_mentee, mentorship_id = :ms AS of_mentorship, price_tokens, hold_id IS NULL AS not_held,
       description FROM mentor.sessions WHERE id = :p1;
SELECT mentor.set_actor(:o) = :o AS as_other_mentor;
SELECT pg_temp.try(format('SELECT mentor.propose_session(%s, pg_temp.at(4))', :ms));
SELECT mentor.set_actor(:m) = :m AS as_mentor;
SELECT pg_temp.try(format('SELECT mentor.propose_session(%s, pg_temp.at(4))', :ms2));
SELECT pg_temp.try(format('SELECT mentor.propose_session(%s, pg_temp.at(3))', :ms)) AS overlap;

-- 2. Only the mentee (or staff) answers; accepting holds the price, once.
SELECT pg_temp.try(format('SELECT mentor.respond_proposal(%s, true)', :p1));
SELECT mentor.set_actor(:e) = :e AS as_mentee;
SELECT mentor.respond_proposal(:p1, true, '00000000-0000-4000-8000-00000000f001', 'See you') = :p1 AS accepted;
SELECT mentor.respond_proposal(:p1, true, '00000000-0000-4000-8000-00000000f001') = :p1 AS retry_same;
SELECT status, response_message, pg_temp.tokens(:e) AS mentee_tokens FROM mentor.sessions WHERE id = :p1;
SELECT pg_temp.try(format('SELECT mentor.respond_proposal(%s, false)', :p1));

-- 3. A rejected proposal; a proposal the mentee cannot pay for changes nothing.
SELECT mentor.set_actor(:m) = :m AS as_mentor;
SELECT mentor.propose_session(:ms, pg_temp.at(5), 'Hiring') AS p2 \gset
SELECT mentor.set_actor(:e) = :e AS as_mentee;
SELECT mentor.respond_proposal(:p2, false, NULL, 'That week is full') = :p2 AS rejected;
SELECT status, response_message FROM mentor.sessions WHERE id = :p2;
UPDATE mentor.mentor_profiles SET price_tokens = 500 WHERE user_id = :m;
SELECT mentor.set_actor(:m) = :m AS as_mentor;
SELECT mentor.propose_session(:ms, pg_temp.at(6), 'Offsite') AS p3 \gset
SELECT mentor.set_actor(:e) = :e AS as_mentee;
SELECT pg_temp.try(format('SELECT mentor.respond_proposal(%s, true)', :p3));
SELECT status, pg_temp.tokens(:e) AS mentee_tokens FROM mentor.sessions WHERE id = :p3;
UPDATE mentor.mentor_profiles SET price_tokens = 30 WHERE user_id = :m;

-- 4. A mentee requests; the mentor accepts.
SELECT mentor.request_session(:m, :nm, pg_temp.at(7), '00000000-0000-4000-8000-00000000f002', 'Part-time roles') AS r1 \gset
SELECT status, pg_temp.tokens(:nm) AS held FROM mentor.sessions WHERE id = :r1;
SELECT mentor.respond_request(:r1, true, 'Happy to') = :r1 AS accepted;
SELECT status FROM mentor.sessions WHERE id = :r1;

-- 5. Moving a session: the new time waits for the other participant; accepted, the session reads rescheduled.
SELECT mentor.propose_reschedule(:p1, :e, pg_temp.at(8), 'Can we do next week?') = :p1 AS proposed;
SELECT status, proposed_during = pg_temp.at(8) AS awaiting FROM mentor.sessions WHERE id = :p1;
SELECT pg_temp.try(format('SELECT mentor.respond_reschedule(%s, %s, true)', :p1, :e));
SELECT mentor.respond_reschedule(:p1, :m, true, 'Sure') = :p1 AS moved;
SELECT status, during = pg_temp.at(8) AS at_new_time, proposed_during IS NULL AS answered FROM mentor.sessions WHERE id = :p1;
SELECT pg_temp.try(format('SELECT mentor.respond_reschedule(%s, %s, true)', :p1, :e));
-- moved again, it stays rescheduled; it is reminded, completed and paid like a confirmed one
SELECT mentor.propose_reschedule(:p1, :m, pg_temp.at(9)) = :p1 AS proposed_again;
SELECT mentor.respond_reschedule(:p1, :e, true) = :p1 AS moved_again;
SELECT status FROM mentor.sessions WHERE id = :p1;
UPDATE mentor.sessions SET during = tstzrange(now() - interval '1 hour', now() - interval '5 minutes') WHERE id = :p1;
SELECT mentor.complete_session(:p1) AS completed, mentor.complete_session(:p1) AS again;
SELECT status, pg_temp.earned(:m) AS mentor_earned, pg_temp.tokens(:e) AS mentee_tokens FROM mentor.sessions WHERE id = :p1;

-- 6. Off the lifecycle: MN001 naming the allowed next states.
SELECT pg_temp.try(format($$UPDATE mentor.sessions SET status = 'under_review' WHERE id = %s$$, :r1)) AS off_lifecycle;
SELECT mentor.set_actor(:nm) = :nm AS as_its_mentee;
SELECT pg_temp.try(format($$SELECT mentor.request_cancellation(%s)$$, :r1)) AS no_cancellation_requests;
SELECT pg_temp.try(format($$INSERT INTO mentor.sessions (mentor_id, during, status) VALUES (%s, pg_temp.at(20), 'tentative')$$, :m)) AS no_tentative;
-- an open slot without a status is pending, and a mentee asks for it rather than booking it
INSERT INTO mentor.sessions (mentor_id, during, price_tokens) VALUES (:m, pg_temp.at(21), 30) RETURNING status;
SELECT mentor.publish_slot(:m, pg_temp.at(22)) AS open1 \gset
SELECT mentor.request_slot(:open1, :e, '00000000-0000-4000-8000-00000000f003') = :open1 AS asked;
SELECT status, mentee_id = :e AS mentee, pg_temp.tokens(:e) AS held FROM mentor.sessions WHERE id = :open1;
SELECT mentor.respond_request(:open1, false, 'Sorry') = :open1 AS turned_down;
SELECT status, refund_tokens, pg_temp.tokens(:e) AS mentee_tokens FROM mentor.sessions WHERE id = :open1;
COMMIT;
