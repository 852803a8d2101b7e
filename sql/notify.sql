-- Notifications: the catalogue and each user's choices, notify() in the
-- caller's transaction with dedupe keys, the extension's own events, the
-- delivery queue (claims, leases, reports, retries), the in-app inbox and
-- alerts.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS mentor CASCADE;
RESET client_min_messages;
\set SHOW_CONTEXT never

\i sql/helpers/try.psql
\i sql/helpers/tryn.psql
-- What the outbox holds for a user, one line per row.
CREATE FUNCTION pg_temp.outbox(u bigint) RETURNS SETOF text LANGUAGE sql AS $$
    SELECT format('%s %s %s %s', type_code, channel_code, status, coalesce(address, '-'))
      FROM mentor.notifications WHERE user_id = u ORDER BY id $$;

INSERT INTO mentor.users (email, username, full_name) VALUES
    ('nt_mentor@example.com', 'nt_mentor', 'Nia Mentor'), ('nt_a@example.com', 'nt_a', 'Ada Mentee'),
    ('nt_b@example.com', 'nt_b', 'Bea Other');
SELECT id AS m FROM mentor.users WHERE username = 'nt_mentor' \gset
SELECT id AS a FROM mentor.users WHERE username = 'nt_a' \gset
SELECT id AS b FROM mentor.users WHERE username = 'nt_b' \gset
INSERT INTO mentor.mentor_profiles (user_id, price_tokens, max_mentees) VALUES (:m, 20, 3);
SELECT mentor.transfer(gen_random_uuid(), mentor.system_account('external'), mentor.wallet(u), 500, 'purchase') IS NOT NULL AS funded
  FROM unnest(ARRAY[:a, :b]::bigint[]) u;

-- The catalogue: a tree of types, the channels, shipped defaults (email and in-app on).
SELECT code, parent_code FROM mentor.notification_types ORDER BY code;
SELECT code, needs_address FROM mentor.notification_channels ORDER BY code;
SELECT channel_code, enabled FROM mentor.notification_defaults WHERE type_code = 'session' ORDER BY 1;

-- notify(): every channel the user gets the type on; unknown type, user or a bad payload refused.
SELECT pg_temp.try(format($$SELECT mentor.notify(%s, 'no.such.type')$$, :a));
SELECT pg_temp.try($$SELECT mentor.notify(-1, 'session.booked')$$);
SELECT pg_temp.try(format($$SELECT mentor.notify(%s, 'session.booked', '[1]')$$, :a));
SELECT mentor.notify(:a, 'session.booked', '{"session_id": 1}', 'manual-1') AS recorded;
SELECT mentor.notify(:a, 'session.booked', '{"session_id": 1}', 'manual-1') AS repeat_recorded;
SELECT * FROM pg_temp.outbox(:a);
-- Rolled back with the caller's transaction.
BEGIN;
SELECT mentor.notify(:b, 'session.booked', '{}') AS in_transaction;
ROLLBACK;
SELECT count(*) AS after_rollback FROM mentor.notifications WHERE user_id = :b;

-- Choices: a user turns email off for a parent type (its children follow), Telegram on for one
-- type; Telegram needs a verified address, and only one is verified per user and channel.
INSERT INTO mentor.notification_user_settings (user_id, type_code, channel_code, enabled) VALUES
    (:b, 'session', 'email', false), (:b, 'session.cancelled', 'telegram', true);
SELECT mentor.notify(:b, 'session.cancelled', '{}') AS recorded_without_telegram_address;
INSERT INTO mentor.notification_connections (user_id, channel_code, address, verified_at) VALUES
    (:b, 'telegram', '@bea_old', NULL), (:b, 'telegram', '@bea', now());
SELECT pg_temp.try(format($$UPDATE mentor.notification_connections SET verified_at = now() WHERE address = '@bea_old'$$));
SELECT mentor.notify(:b, 'session.cancelled', '{}') AS recorded_with_telegram;
SELECT * FROM pg_temp.outbox(:b);
-- A deployment turns a type off (with its children) by setting.
INSERT INTO mentor.settings (key, value) VALUES ('notify.disabled_types', '["review"]');
SELECT mentor.notify(:b, 'review.received', '{}') AS recorded_when_disabled;
DELETE FROM mentor.settings WHERE key = 'notify.disabled_types' AND NOT shipped;
DELETE FROM mentor.notifications;

-- The extension's own events: a booking tells the mentor (booked) and the mentee (confirmed); a
-- retried booking tells nobody again; a reschedule and a cancellation tell both.
SELECT mentor.publish_slot(:m, tstzrange(date_trunc('hour', now()) + interval '3 days', date_trunc('hour', now()) + interval '3 days 1 hour')) AS s1 \gset
SELECT mentor.book_session(:s1, :a, '00000000-0000-4000-8000-00000000c001') IS NOT NULL AS booked;
SELECT mentor.book_session(:s1, :a, '00000000-0000-4000-8000-00000000c001') IS NOT NULL AS booked_again;
SELECT u.username, n.type_code, n.channel_code, n.payload ->> 'session_id' = :'s1' AS this_session
  FROM mentor.notifications n JOIN mentor.users u ON u.id = n.user_id ORDER BY n.id;
DELETE FROM mentor.notifications;
SELECT mentor.propose_reschedule(:s1, :a, tstzrange(date_trunc('hour', now()) + interval '5 days', date_trunc('hour', now()) + interval '5 days 1 hour')) IS NOT NULL AS proposed;
SELECT mentor.respond_reschedule(:s1, :m, true) IS NOT NULL AS accepted;
SELECT mentor.cancel_session(:s1, :a, 'conflict') IS NOT NULL AS cancelled;
SELECT u.username, n.type_code FROM mentor.notifications n JOIN mentor.users u ON u.id = n.user_id
 WHERE n.channel_code = 'in_app' ORDER BY n.id;
DELETE FROM mentor.notifications;
-- Mentorships, reviews, registrations, messages (one per unread streak).
INSERT INTO mentor.mentorships (mentor_id, mentee_id, goal) VALUES (:m, :b, 'Postgres');
UPDATE mentor.mentorships SET status = 'active' WHERE mentee_id = :b;
SELECT id AS ms FROM mentor.mentorships WHERE mentee_id = :b \gset
INSERT INTO mentor.mentorship_messages (mentorship_id, sender_id, body) VALUES (:ms, :m, 'one'), (:ms, :m, 'two');
UPDATE mentor.mentorship_messages SET read_at = now() WHERE mentorship_id = :ms;
INSERT INTO mentor.mentorship_messages (mentorship_id, sender_id, body) VALUES (:ms, :m, 'three');
INSERT INTO mentor.courses (name, alias, start_date, end_date) VALUES ('Notify course', 'notify-course', '2026-01-01', '2026-12-31');
SELECT id AS course FROM mentor.courses WHERE alias = 'notify-course' \gset
INSERT INTO mentor.registries (course_id, user_id, kind) VALUES (:course, :a, 'student');
UPDATE mentor.registries SET status = 'approved' WHERE user_id = :a;
SELECT mentor.publish_slot(:m, tstzrange(date_trunc('hour', now()) + interval '6 days', date_trunc('hour', now()) + interval '6 days 1 hour')) AS s2 \gset
SELECT mentor.book_session(:s2, :b, '00000000-0000-4000-8000-00000000c002') IS NOT NULL AS booked;
-- (moved into the past, as time would, without its triggers)
SET session_replication_role = replica;
UPDATE mentor.sessions SET during = tstzrange(now() - interval '2 hours', now() - interval '1 hour') WHERE id = :s2;
RESET session_replication_role;
SELECT mentor.complete_session(:s2) IS NOT NULL AS completed;
INSERT INTO mentor.session_feedback (session_id, author_id, rating) VALUES (:s2, :b, 5);
SELECT u.username, n.type_code, n.payload - 'session_id' - 'mentorship_id' - 'registration_id' - 'course_id' - 'feedback_id'
       - 'message_id' - 'mentor_id' - 'mentee_id' - 'author_id' - 'sender_id' - 'starts_at' - 'ends_at' AS payload
  FROM mentor.notifications n JOIN mentor.users u ON u.id = n.user_id
 WHERE n.channel_code = 'in_app' AND n.type_code NOT LIKE 'session.%' ORDER BY n.id;
SELECT count(*) AS message_bodies_in_payloads FROM mentor.notifications WHERE payload::text ~ '"(one|two|three)"';

-- Templates render the payload.
INSERT INTO mentor.notification_templates (type_code, channel_code, subject, body)
VALUES ('review.received', 'email', 'You got {{rating}} stars', 'Session {{session_id}} was rated {{rating}}/5.');
SELECT r.subject, r.body ~ '^Session \d+ was rated 5/5\.$' AS body_rendered
  FROM mentor.notifications n, mentor.render_notification(n.id) r
 WHERE n.type_code = 'review.received' AND n.channel_code = 'email';

-- Delivery: claims take the oldest due rows of a channel, leased; only the holder reports, once.
SELECT count(*) AS queued_email FROM mentor.notifications WHERE channel_code = 'email' AND status = 'queued';
SELECT pg_temp.try($$SELECT * FROM mentor.claim_notifications('pigeon', 'w1')$$);
SELECT pg_temp.try($$SELECT * FROM mentor.claim_notifications('email', '', 1)$$);
SELECT pg_temp.try($$SELECT * FROM mentor.claim_notifications('email', 'w1', 0)$$);
SELECT pg_temp.try($$SELECT * FROM mentor.claim_notifications('email', 'w1', 1, interval '0')$$);
SELECT count(*) AS w1_claimed, bool_and(status = 'sending' AND lease_owner = 'w1' AND attempts = 1) AS leased
  FROM mentor.claim_notifications('email', 'w1', 2);
SELECT min(id) AS n1, max(id) AS n2 FROM mentor.notifications WHERE lease_owner = 'w1' \gset
SELECT count(*) AS w2_claimed, bool_and(id NOT IN (:n1, :n2)) AS other_rows FROM mentor.claim_notifications('email', 'w2', 1);
SELECT pg_temp.tryn(format($$SELECT mentor.mark_sent(%s, 'w2')$$, :n1));
SELECT status, provider_ref, sent_at IS NOT NULL AS sent, lease_owner FROM mentor.mark_sent(:n1, 'w1', 'smtp-250-abc');
SELECT pg_temp.tryn(format($$SELECT mentor.mark_sent(%s, 'w1')$$, :n1));
SELECT pg_temp.try($$SELECT mentor.mark_sent(-5, 'w1')$$);
-- A failure goes back to the queue after a backoff; after the last attempt it is failed.
SELECT status, attempts, last_error, available_at > now() + interval '29 seconds' AS backed_off
  FROM mentor.mark_failed(:n2, 'w1', 'SMTP 451 try later');
UPDATE mentor.notifications SET available_at = now() WHERE id = :n2;
INSERT INTO mentor.settings (key, value) VALUES ('notify.max_attempts', '2');
SELECT count(*) AS reclaimed FROM mentor.claim_notifications('email', 'w3', 50) WHERE id = :n2;
SELECT status, attempts FROM mentor.mark_failed(:n2, 'w3', 'SMTP 550 no such user', interval '0');
-- A lease that runs out puts the row back for another worker; its holder's late report is refused.
SELECT count(*) AS claimed FROM mentor.claim_notifications('in_app', 'w4', 1, interval '10 milliseconds');
SELECT id AS n3 FROM mentor.notifications WHERE lease_owner = 'w4' \gset
SELECT pg_sleep(0.05);
SELECT pg_temp.tryn(format($$SELECT mentor.mark_sent(%s, 'w4')$$, :n3)) AS late;
SELECT id = :n3 AS same_row, attempts, lease_owner, last_error FROM mentor.claim_notifications('in_app', 'w5', 1);
SELECT pg_temp.tryn(format($$SELECT mentor.mark_sent(%s, 'w4')$$, :n3));
DELETE FROM mentor.settings WHERE key = 'notify.max_attempts' AND NOT shipped;
-- An administrator queues a failed one again; nothing else can be requeued.
SELECT status, attempts, last_error FROM mentor.requeue_notification(:n2);
SELECT pg_temp.tryn(format('SELECT mentor.requeue_notification(%s)', :n2));
-- Status moves only as the lifecycle allows.
SELECT pg_temp.tryn(format($$UPDATE mentor.notifications SET status = 'queued', sent_at = NULL WHERE id = %s$$, :n1));

-- Removing a type (here a custom one) removes its notifications, as a foreign key's cascade would.
INSERT INTO mentor.notification_types (code, description) VALUES ('custom', 'Custom');
INSERT INTO mentor.notification_defaults (type_code, channel_code, enabled) VALUES ('custom', 'in_app', true);
SELECT mentor.notify(:a, 'custom') AS custom_recorded;
DELETE FROM mentor.notification_types WHERE code = 'custom';
SELECT count(*) AS custom_left FROM mentor.notifications WHERE type_code = 'custom';

-- The in-app inbox: each user reads only their own (row-level security), marks them read,
-- counts the unread.
BEGIN;
SET LOCAL ROLE mentor_app;
SELECT mentor.set_actor(:b) IS NOT NULL AS as_bea;
SELECT count(*) > 0 AS sees_own, bool_and(user_id = :b AND channel_code = 'in_app') AS only_own_in_app FROM mentor.notifications;
SELECT mentor.unread_notifications() AS unread;
SELECT mentor.mark_notifications_read(ARRAY(SELECT id FROM mentor.notifications ORDER BY id LIMIT 1)) AS marked;
SELECT mentor.unread_notifications() AS unread_after;
SELECT mentor.set_actor(:a) IS NOT NULL AS as_ada;
SELECT count(*) AS bea_rows_seen_by_ada FROM mentor.notifications WHERE user_id = :b;
SELECT pg_temp.try(format($$UPDATE mentor.notifications SET read_at = now() WHERE user_id = %s$$, :b)) ~ '^42501' AS cannot_update;
SELECT pg_temp.try(format($$SELECT mentor.notify(%s, 'session.booked')$$, :a));
ROLLBACK;

-- Alerts: global ones for everyone, course ones for that course's people, within their window.
INSERT INTO mentor.alerts (course_id, severity, title, starts_at, ends_at) VALUES
    (NULL, 'info', 'Maintenance on Sunday', now() - interval '1 hour', now() + interval '1 day'),
    (:course, 'warning', 'Deadline moved', now() - interval '1 hour', NULL),
    (NULL, 'critical', 'Expired banner', now() - interval '2 days', now() - interval '1 day');
SELECT pg_temp.try($$INSERT INTO mentor.alerts (title, starts_at, ends_at) VALUES ('bad window', now(), now() - interval '1 hour')$$);
BEGIN;
SET LOCAL ROLE mentor_app;
SELECT mentor.set_actor(:a) IS NOT NULL AS as_student;
SELECT severity, title FROM mentor.active_alerts ORDER BY id;
SELECT mentor.set_actor(:b) IS NOT NULL AS as_outsider;
SELECT severity, title FROM mentor.active_alerts ORDER BY id;
SELECT pg_temp.try($$INSERT INTO mentor.alerts (title) VALUES ('by the app')$$) ~ '^42501' AS app_cannot_write;
ROLLBACK;
