-- Mentorship and sessions: capacity, private notes, open slots, booking on the
-- ledger, completion paid once, cancellation policy, rescheduling, feedback
-- and reminders.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS mentor CASCADE;
RESET client_min_messages;
\set SHOW_CONTEXT never

\i sql/helpers/try.psql
-- Wallet balance of a user, as "posted/held/available".
CREATE FUNCTION pg_temp.tokens(u bigint) RETURNS text LANGUAGE sql AS $$
    SELECT format('%s/%s/%s', posted, pending_debits, available) FROM mentor.balance(mentor.wallet(u)) $$;

INSERT INTO mentor.users (email, username, full_name) VALUES
    ('sm_mentor@example.com', 'sm_mentor', 'Sage Mentor'), ('sm_a@example.com', 'sm_a', 'Ari Mentee'),
    ('sm_b@example.com', 'sm_b', 'Bo Mentee'), ('sm_c@example.com', 'sm_c', 'Cy Mentee'),
    ('sm_out@example.com', 'sm_out', 'Outsider');
SELECT id AS m FROM mentor.users WHERE username = 'sm_mentor' \gset
SELECT id AS a FROM mentor.users WHERE username = 'sm_a' \gset
SELECT id AS b FROM mentor.users WHERE username = 'sm_b' \gset
SELECT id AS c FROM mentor.users WHERE username = 'sm_c' \gset
SELECT id AS outsider FROM mentor.users WHERE username = 'sm_out' \gset
INSERT INTO mentor.mentor_profiles (user_id, headline, price_tokens, max_mentees, availability)
VALUES (:m, 'Staff engineer, Postgres internals', 50, 2, 'Mon-Fri 08:00-20:00 @ Europe/Berlin');

-- Mentorships: no self-mentorship, one live mentorship per pair, capacity under lock.
SELECT pg_temp.try(format('INSERT INTO mentor.mentorships (mentor_id, mentee_id) VALUES (%s, %s)', :m, :m));
INSERT INTO mentor.mentorships (mentor_id, mentee_id, goal)
VALUES (:m, :a, 'Get into Postgres hacking'), (:m, :b, 'Query tuning'), (:m, :c, 'Career');
SELECT pg_temp.try(format('INSERT INTO mentor.mentorships (mentor_id, mentee_id) VALUES (%s, %s)', :m, :a));
UPDATE mentor.mentorships SET status = 'active' WHERE mentor_id = :m AND mentee_id IN (:a, :b);
SELECT pg_temp.try(format($$UPDATE mentor.mentorships SET status = 'active' WHERE mentor_id = %s AND mentee_id = %s$$, :m, :c));
SELECT active_mentees FROM mentor.mentor_profiles WHERE user_id = :m;
UPDATE mentor.mentorships SET status = 'completed' WHERE mentor_id = :m AND mentee_id = :b;
UPDATE mentor.mentorships SET status = 'active' WHERE mentor_id = :m AND mentee_id = :c;
SELECT u.username, ms.status, ms.started_at IS NOT NULL AS started, ms.ended_at IS NOT NULL AS ended
  FROM mentor.mentorships ms JOIN mentor.users u ON u.id = ms.mentee_id WHERE ms.mentor_id = :m ORDER BY u.username;
SELECT active_mentees FROM mentor.mentor_profiles WHERE user_id = :m;
SELECT pg_temp.try(format($$UPDATE mentor.mentorships SET status = 'pending' WHERE mentor_id = %s AND mentee_id = %s$$, :m, :c));

-- Notes are private to their author unless shared; messages to the two participants (row-level security).
SELECT id AS ms_a FROM mentor.mentorships WHERE mentor_id = :m AND mentee_id = :a \gset
INSERT INTO mentor.mentorship_notes (mentorship_id, author_id, body, shared) VALUES
    (:ms_a, :m, 'Ari struggles with the planner; start with EXPLAIN basics.', false),
    (:ms_a, :m, 'Reading list: the executor README.', true);
INSERT INTO mentor.mentorship_messages (mentorship_id, sender_id, body) VALUES (:ms_a, :a, 'Thanks for today!');
BEGIN;
SET LOCAL ROLE mentor_app;
SELECT mentor.set_actor(:a) IS NOT NULL AS as_mentee;
SELECT body FROM mentor.mentorship_notes WHERE mentorship_id = :ms_a;
SELECT count(*) AS messages FROM mentor.mentorship_messages WHERE mentorship_id = :ms_a;
SELECT mentor.set_actor(:m) IS NOT NULL AS as_mentor;
SELECT count(*) AS own_notes FROM mentor.mentorship_notes WHERE mentorship_id = :ms_a;
SELECT mentor.set_actor(:outsider) IS NOT NULL AS as_outsider;
SELECT count(*) AS notes, (SELECT count(*) FROM mentor.mentorship_messages) AS messages FROM mentor.mentorship_notes;
SELECT pg_temp.try(format($$INSERT INTO mentor.mentorship_messages (mentorship_id, sender_id, body) VALUES (%s, %s, 'hi')$$, :ms_a, :outsider)) ~ '^42501' AS outsider_cannot_write;
ROLLBACK;
-- Private note text stays out of history.
SELECT count(*) AS note_bodies_in_history FROM mentor.history
 WHERE table_name = 'mentor.mentorship_notes' AND new_row::text LIKE '%planner%';

-- Open slots: bounded, in the future, never overlapping the mentor's other live sessions.
SELECT split_part(pg_temp.try(format($$SELECT mentor.publish_slot(%s, tstzrange(now() - interval '1 hour', now()))$$, :m)), ' (', 1) AS past;
SELECT split_part(pg_temp.try(format($$SELECT mentor.publish_slot(%s, tstzrange(now(), NULL))$$, :m)), ' (', 1) AS unbounded;
SELECT pg_temp.try(format($$SELECT mentor.publish_slot(%s, tstzrange(now() + interval '1 day', now() + interval '1 day 1 hour'))$$, :a));
SELECT mentor.publish_slot(:m, tstzrange(date_trunc('hour', now()) + interval '3 days', date_trunc('hour', now()) + interval '3 days 1 hour'), 'Deep dive') AS s1 \gset
SELECT mentor.publish_slot(:m, tstzrange(date_trunc('hour', now()) + interval '4 days', date_trunc('hour', now()) + interval '4 days 1 hour')) AS s2 \gset
SELECT mentor.publish_slot(:m, tstzrange(now() + interval '2 hours', now() + interval '3 hours')) AS s3 \gset
SELECT regexp_replace(pg_temp.try(format($$SELECT mentor.publish_slot(%s, tstzrange(date_trunc('hour', now()) + interval '3 days 30 minutes', date_trunc('hour', now()) + interval '3 days 2 hours'))$$, :m)),
                      '\(pending, .*\)', '(pending, ...)') AS overlapping_slot;
SELECT status, price_tokens, mentee_id IS NULL AS open FROM mentor.sessions WHERE id = :s1;

-- Booking: tokens are held, promo tokens first; not enough tokens changes nothing.
SELECT pg_temp.try(format($$SELECT mentor.book_session(%s, %s, '00000000-0000-4000-8000-00000000b001')$$, :s1, :a));
SELECT status, mentee_id IS NULL AS still_open FROM mentor.sessions WHERE id = :s1;
SELECT mentor.transfer(gen_random_uuid(), mentor.system_account('external'), mentor.wallet(u), 100, 'purchase') IS NOT NULL AS funded
  FROM unnest(ARRAY[:a, :b]::bigint[]) u;
SELECT mentor.grant_promo(:a, 20, now() + interval '30 days', '00000000-0000-4000-8000-00000000b002') IS NOT NULL AS promo;
SELECT pg_temp.try(format($$SELECT mentor.book_session(%s, %s, '00000000-0000-4000-8000-00000000b003')$$, :s1, :m));
SELECT mentor.book_session(:s1, :a, '00000000-0000-4000-8000-00000000b001') = :s1 AS booked,
       mentor.book_session(:s1, :a, '00000000-0000-4000-8000-00000000b001') = :s1 AS retried;
SELECT status, hold_parts, pg_temp.tokens(:a) AS wallet_posted_held_available FROM mentor.sessions WHERE id = :s1;
SELECT a.kind, t.amount, t.status FROM mentor.sessions s, mentor._hold_parts(s) p
  JOIN mentor.ledger_transfers t ON t.id = p JOIN mentor.ledger_accounts a ON a.id = t.debit_account_id
 WHERE s.id = :s1 ORDER BY a.kind DESC;
SELECT pg_temp.try(format($$SELECT mentor.book_session(%s, %s, '00000000-0000-4000-8000-00000000b004')$$, :s1, :b));
-- Ari is busy then: a slot of another mentor overlapping s1 cannot be booked by Ari.
INSERT INTO mentor.mentor_profiles (user_id, price_tokens) VALUES (:outsider, 10);
SELECT mentor.publish_slot(:outsider, tstzrange(date_trunc('hour', now()) + interval '3 days 30 minutes', date_trunc('hour', now()) + interval '3 days 90 minutes')) AS other_slot \gset
SELECT regexp_replace(pg_temp.try(format($$SELECT mentor.book_session(%s, %s, '00000000-0000-4000-8000-00000000b005')$$, :other_slot, :a)),
                      'Session [0-9]+ \(confirmed, .*\)', 'Session <s1> (confirmed, ...)') AS mentee_busy;
SELECT pg_temp.tokens(:a) AS ari_unchanged;

-- Completion pays the mentor once (price 50, fee 20%: 40), only after the start.
SELECT split_part(pg_temp.try(format('SELECT mentor.complete_session(%s)', :s1)), ' (', 1) AS too_early;
UPDATE mentor.sessions SET during = tstzrange(now() - interval '2 hours', now() - interval '1 hour') WHERE id = :s1;  -- time passes
SELECT mentor.complete_session(:s1) AS completed, mentor.complete_session(:s1) AS completed_again;
SELECT (mentor.balance(mentor.earnings_account(:m))).posted AS mentor_earnings, pg_temp.tokens(:a) AS ari_after;
SELECT pg_temp.try(format('SELECT mentor.cancel_session(%s, %s)', :s1, :a));

-- Feedback: participants, after completion, once each; the mentee's rating is the mentor's average.
INSERT INTO mentor.session_feedback (session_id, author_id, rating, comment) VALUES (:s1, :a, 4, 'Clear and patient');
SELECT pg_temp.try(format('INSERT INTO mentor.session_feedback (session_id, author_id, rating) VALUES (%s, %s, 5)', :s1, :a));
SELECT pg_temp.try(format('INSERT INTO mentor.session_feedback (session_id, author_id, rating) VALUES (%s, %s, 5)', :s1, :outsider));
SELECT pg_temp.try(format('INSERT INTO mentor.session_feedback (session_id, author_id, rating) VALUES (%s, %s, 5)', :s2, :m));
SELECT pg_temp.try(format('INSERT INTO mentor.session_feedback (session_id, author_id, rating) VALUES (%s, %s, 6)', :s1, :m));
INSERT INTO mentor.session_feedback (session_id, author_id, rating) VALUES (:s1, :m, 5);
SELECT rating_avg, rating_count FROM mentor.mentor_profiles WHERE user_id = :m;

-- Cancellation policy: the mentee cancelling 3 days ahead gets everything back.
SELECT mentor.book_session(:s2, :b, '00000000-0000-4000-8000-00000000b010') = :s2 AS booked;
SELECT pg_temp.tokens(:b) AS bo_booked;
SELECT pg_temp.try(format('SELECT mentor.cancel_session(%s, %s)', :s2, :outsider));
SELECT mentor.cancel_session(:s2, :b, 'conflict at work') AS refund;
SELECT pg_temp.tokens(:b) AS bo_after;
-- Two hours ahead it is too late: nothing back, the mentor is paid (minus the fee).
SELECT mentor.book_session(:s3, :b, '00000000-0000-4000-8000-00000000b011') = :s3 AS booked;
SELECT mentor.cancel_session(:s3, :b) AS late_refund;
SELECT pg_temp.tokens(:b) AS bo_after_late, (mentor.balance(mentor.earnings_account(:m))).posted AS mentor_earnings;
SELECT pg_temp.try(format('SELECT mentor.complete_session(%s)', :s3));
-- The mentor cancelling refunds everything; a no-show is reported after the start.
SELECT mentor.publish_slot(:m, tstzrange(date_trunc('hour', now()) + interval '5 days', date_trunc('hour', now()) + interval '5 days 1 hour')) AS s4 \gset
SELECT mentor.book_session(:s4, :b, '00000000-0000-4000-8000-00000000b012') = :s4 AS booked;
SELECT pg_temp.try(format($$SELECT mentor.cancel_session(%s, %s, 'mentor_no_show')$$, :s4, :b));
SELECT mentor.cancel_session(:s4, :m, 'ill') AS mentor_cancel_refund;
SELECT pg_temp.tokens(:b) AS bo_refunded;
SELECT mentor.publish_slot(:m, tstzrange(date_trunc('hour', now()) + interval '6 days', date_trunc('hour', now()) + interval '6 days 1 hour')) AS s5 \gset
SELECT mentor.book_session(:s5, :b, '00000000-0000-4000-8000-00000000b013') = :s5 AS booked;
UPDATE mentor.sessions SET during = tstzrange(now() - interval '30 minutes', now() + interval '30 minutes') WHERE id = :s5;  -- it started
SELECT mentor.cancel_session(:s5, :b, 'mentor_no_show') AS no_show_refund;
SELECT pg_temp.tokens(:b) AS bo_after_no_show;

-- Rescheduling: a proposal into a conflict is refused; the other participant answers.
SELECT mentor.publish_slot(:m, tstzrange(date_trunc('hour', now()) + interval '7 days', date_trunc('hour', now()) + interval '7 days 1 hour')) AS s6 \gset
SELECT mentor.book_session(:s6, :b, '00000000-0000-4000-8000-00000000b014') = :s6 AS booked;
SELECT mentor.publish_slot(:m, tstzrange(date_trunc('hour', now()) + interval '8 days', date_trunc('hour', now()) + interval '8 days 1 hour')) AS s7 \gset
SELECT regexp_replace(pg_temp.try(format($$SELECT mentor.propose_reschedule(%s, %s, tstzrange(date_trunc('hour', now()) + interval '8 days', date_trunc('hour', now()) + interval '8 days 1 hour'))$$, :s6, :b)),
                      '\(pending, .*\)', '(pending, ...)') AS into_conflict;
SELECT mentor.propose_reschedule(:s6, :b, tstzrange(date_trunc('hour', now()) + interval '9 days', date_trunc('hour', now()) + interval '9 days 1 hour'), 'Can we move it?') = :s6 AS proposed;
SELECT status, proposed_during IS NOT NULL AS awaiting_answer,
       proposed_starts_at = date_trunc('hour', now()) + interval '9 days' AND proposed_ends_at = upper(proposed_during) AS proposal_bounds
  FROM mentor.sessions WHERE id = :s6;
SELECT pg_temp.try(format('SELECT mentor.respond_reschedule(%s, %s, true)', :s6, :b));
SELECT mentor.respond_reschedule(:s6, :m, true, 'Sure') = :s6 AS accepted;
SELECT status, lower(during) = date_trunc('hour', now()) + interval '9 days' AS moved, proposed_during IS NULL AS answered
  FROM mentor.sessions WHERE id = :s6;

-- Requested slots: the mentee asks for a time, the price is held; the mentor accepts or rejects.
SELECT mentor.transfer(gen_random_uuid(), mentor.system_account('external'), mentor.wallet(:b), 200, 'purchase') IS NOT NULL AS funded;
SELECT mentor.request_session(:m, :b, tstzrange(date_trunc('hour', now()) + interval '10 days', date_trunc('hour', now()) + interval '10 days 1 hour'),
                              '00000000-0000-4000-8000-00000000b020', 'Mock interview') AS r1 \gset
SELECT mentor.request_session(:m, :b, tstzrange(date_trunc('hour', now()) + interval '10 days', date_trunc('hour', now()) + interval '10 days 1 hour'),
                              '00000000-0000-4000-8000-00000000b020') = :r1 AS retry_same;
SELECT status, pg_temp.tokens(:b) AS bo_held FROM mentor.sessions WHERE id = :r1;
SELECT mentor.respond_request(:r1, true, 'See you then') = :r1 AS accepted;
SELECT status FROM mentor.sessions WHERE id = :r1;
SELECT pg_temp.try(format('SELECT mentor.respond_request(%s, false)', :r1));
SELECT mentor.request_session(:m, :b, tstzrange(date_trunc('hour', now()) + interval '11 days', date_trunc('hour', now()) + interval '11 days 1 hour'),
                              '00000000-0000-4000-8000-00000000b021') AS r2 \gset
SELECT mentor.respond_request(:r2, false, 'Fully booked that week') = :r2 AS rejected;
SELECT status, refund_tokens FROM mentor.sessions WHERE id = :r2;
SELECT pg_temp.tokens(:b) AS bo_after_rejection;

-- Reminders are claimed once.
SELECT mentor.publish_slot(:m, tstzrange(now() + interval '20 minutes', now() + interval '50 minutes')) AS soon \gset
SELECT mentor.book_session(:soon, :b, '00000000-0000-4000-8000-00000000b015') = :soon AS booked;
SELECT session_id = :soon AS due FROM mentor.due_reminders('1 hour');
SELECT count(*) AS first_claim FROM mentor.mark_reminded(ARRAY[:soon]::bigint[]);
SELECT count(*) AS second_claim FROM mentor.mark_reminded(ARRAY[:soon]::bigint[]);
SELECT count(*) AS still_due FROM mentor.due_reminders('1 hour');

-- The paths around the common case: settings overrides, free sessions, an id
-- already used elsewhere, missing arguments and settings.
INSERT INTO mentor.settings (key, value) VALUES ('session.platform_fee_percent', '10'), ('session.hold_grace', '"2 days"');
SELECT mentor.publish_slot(:m, tstzrange(date_trunc('hour', now()) + interval '12 days', date_trunc('hour', now()) + interval '12 days 1 hour')) AS s8 \gset
SELECT mentor.book_session(:s8, :a, '00000000-0000-4000-8000-00000000b030') = :s8 AS booked;
SELECT t.expires_at = upper(s.during) + interval '2 days' AS grace_from_override
  FROM mentor.sessions s JOIN mentor.ledger_transfers t ON t.id = s.hold_id WHERE s.id = :s8;
SELECT (mentor.balance(mentor.earnings_account(:m))).posted AS earnings_before \gset
UPDATE mentor.sessions SET during = tstzrange(now() - interval '2 hours', now() - interval '1 hour') WHERE id = :s8;  -- time passes
SELECT mentor.complete_session(:s8) AS completed;
SELECT (mentor.balance(mentor.earnings_account(:m))).posted - :earnings_before AS earned_at_10_percent;
DELETE FROM mentor.settings WHERE NOT shipped;
SELECT mentor.publish_slot(:m, tstzrange(date_trunc('hour', now()) + interval '13 days', date_trunc('hour', now()) + interval '13 days 1 hour')) AS s9 \gset
UPDATE mentor.sessions SET price_tokens = 0 WHERE id = :s9;
SELECT mentor.book_session(:s9, :c, '00000000-0000-4000-8000-00000000b031') = :s9 AS booked_free;
SELECT status, hold_id IS NULL AS no_hold, hold_parts IS NULL AS no_parts, pg_temp.tokens(:c) AS cy_tokens FROM mentor.sessions WHERE id = :s9;
UPDATE mentor.sessions SET during = tstzrange(now() - interval '4 hours', now() - interval '3 hours') WHERE id = :s9;
SELECT mentor.complete_session(:s9) AS completed_free, pg_temp.tokens(:c) AS cy_tokens_after;
SELECT mentor.publish_slot(:m, tstzrange(date_trunc('hour', now()) + interval '14 days', date_trunc('hour', now()) + interval '14 days 1 hour')) AS s10 \gset
SELECT split_part(pg_temp.try(format($$SELECT mentor.book_session(%s, %s, '00000000-0000-4000-8000-00000000b030')$$, :s10, :b)), ' (', 1) AS id_of_another_booking;
SELECT status, mentee_id IS NULL AS still_open, pg_temp.tokens(:b) AS bo_unchanged FROM mentor.sessions WHERE id = :s10;
SELECT pg_temp.try('SELECT mentor.book_session(NULL, 1, gen_random_uuid())');
SELECT pg_temp.try(format('SELECT mentor.book_session(%s, NULL, NULL)', :s10));
SELECT pg_temp.try('SELECT mentor.complete_session(-1)');
BEGIN;
DELETE FROM mentor.settings WHERE key = 'session.hold_grace';
SELECT pg_temp.try(format($$SELECT mentor.book_session(%s, %s, '00000000-0000-4000-8000-00000000b032')$$, :s10, :b));
ROLLBACK;

-- Meeting links take the URI of any meeting tool, never a script.
SELECT min(id) AS any_session FROM mentor.sessions \gset
SELECT pg_temp.try(format($$UPDATE mentor.sessions SET meeting_link = %L WHERE id = %s$$, l, :any_session)) AS result, l AS link
  FROM unnest(ARRAY['https://meet.example.com/abc', 'msteams:/l/meetup-join/19%3ameeting', 'zoommtg://zoom.us/join?confno=1',
                    'javascript:alert(1)', 'JavaScript:alert(1)', 'data:text/html,hi', 'https://has space', 'no-scheme']) l;

-- Notes and action items of a session (seed 004): the session's two participants only.
SELECT id AS ns, mentor_id AS ns_mentor, mentee_id AS ns_mentee FROM mentor.sessions WHERE mentee_id IS NOT NULL ORDER BY id LIMIT 1 \gset
INSERT INTO mentor.mentorship_notes (session_id, author_id, body, shared) VALUES (:ns, :ns_mentor, 'Session recap', true);
INSERT INTO mentor.action_items (session_id, assignee_id, creator_id, title, description, due_at)
VALUES (:ns, :ns_mentee, :ns_mentor, 'Read chapter 3', 'Then try the exercises', '2026-12-24 18:00+00');
SELECT pg_temp.try($$INSERT INTO mentor.action_items (assignee_id, creator_id, title) VALUES (1, 1, 'of nothing')$$) AS belongs_somewhere;
BEGIN;
SET LOCAL ROLE mentor_app;
SELECT mentor.set_actor(:ns_mentee) IS NOT NULL AS as_mentee;
SELECT (SELECT count(*) FROM mentor.mentorship_notes WHERE session_id = :ns) AS notes,
       (SELECT count(*) FROM mentor.action_items WHERE session_id = :ns) AS action_items;
UPDATE mentor.action_items SET status = 'completed' WHERE session_id = :ns;
UPDATE mentor.sessions SET description = 'Chapter 3 of the book' WHERE id = :ns;
SELECT mentor.set_actor(:outsider) IS NOT NULL AS as_outsider;
SELECT (SELECT count(*) FROM mentor.mentorship_notes WHERE session_id = :ns) AS notes,
       (SELECT count(*) FROM mentor.action_items WHERE session_id = :ns) AS action_items;
SELECT pg_temp.try(format($$INSERT INTO mentor.action_items (session_id, assignee_id, creator_id, title) VALUES (%s, %s, %s, 'sneaky')$$,
                          :ns, :outsider, :outsider)) ~ '^42501' AS outsider_cannot_add;
COMMIT;
SELECT status, completed_at IS NOT NULL AS stamped, due_at, description FROM mentor.action_items WHERE session_id = :ns;
SELECT description FROM mentor.sessions WHERE id = :ns;

-- One source of truth for capacity: a mentor's profile shows what mentor_profiles enforces,
-- and a capacity set in the profile is carried over to it.
SELECT p.max_mentee_capacity, p.current_mentee_count, p.accepting_new_mentees, m.max_mentees, m.active_mentees, m.accepting
  FROM mentor.profiles p JOIN mentor.mentor_profiles m USING (user_id) WHERE user_id = :m;
UPDATE mentor.profiles SET max_mentee_capacity = 5 WHERE user_id = :m;
SELECT max_mentees AS enforced_now FROM mentor.mentor_profiles WHERE user_id = :m;
SELECT mentor.visible_profile(NULL, :m) ->> 'accepting_new_mentees' AS shown_accepting;
BEGIN;
SET LOCAL ROLE mentor_app;
SELECT pg_temp.try(format('UPDATE mentor.profiles SET current_mentee_count = 9 WHERE user_id = %s', :m)) ~ '^42501' AS count_is_kept;
ROLLBACK;

-- starts_at and ends_at are the bounds of during (proposed_* of proposed_during), for
-- clients that map timestamps but not ranges; true of every session the suite made.
SELECT count(*) FILTER (WHERE starts_at IS DISTINCT FROM lower(during) OR ends_at IS DISTINCT FROM upper(during)
                           OR proposed_starts_at IS DISTINCT FROM lower(proposed_during)
                           OR proposed_ends_at IS DISTINCT FROM upper(proposed_during)) AS bounds_off,
       count(*) > 10 AS many
  FROM mentor.sessions;
-- An ORM's save of the whole row, bounds unchanged, passes; a bound of its own is the functions' (42501).
BEGIN;
SET LOCAL ROLE mentor_app;
SELECT mentor.set_actor(:ns_mentee) IS NOT NULL AS as_mentee;
UPDATE mentor.sessions SET starts_at = starts_at, ends_at = ends_at, description = 'Same time' WHERE id = :ns;
SELECT pg_temp.try(format($$UPDATE mentor.sessions SET ends_at = ends_at + interval '1 hour' WHERE id = %s$$, :ns)) ~ '^42501' AS bounds_are_kept;
ROLLBACK;
-- Written alone (an import, the extension's own code), a bound moves the range; written
-- beside the range, it must agree with it (22023).
BEGIN;
UPDATE mentor.sessions SET ends_at = ends_at + interval '30 minutes' WHERE id = :ns
RETURNING upper(during) = ends_at AS range_followed, upper(during) - lower(during) AS length;
SELECT pg_temp.try(format($$UPDATE mentor.sessions SET during = tstzrange(starts_at - interval '1 hour', ends_at),
                                                      starts_at = starts_at + interval '5 minutes' WHERE id = %s$$, :ns)) AS disagree;
UPDATE mentor.sessions SET during = tstzrange(starts_at - interval '1 hour', ends_at), ends_at = ends_at WHERE id = :ns
RETURNING starts_at = lower(during) AS start_followed;
ROLLBACK;

-- The books balance after all of it.
SELECT count(*) AS ledger_violations FROM mentor.ledger_check();
