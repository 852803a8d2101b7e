--------------------------------------------------------------------------------
-- Module notify: what must be told to whom, recorded in the transaction that
-- caused it (the outbox), and handed to delivery workers through the work
-- queue mechanism (module queue).  Sending is outside the database; the
-- queue, the per-user choices and the in-app inbox are inside.
--------------------------------------------------------------------------------

CREATE TYPE notification_status AS ENUM ('queued', 'sending', 'sent', 'failed', 'cancelled');
COMMENT ON TYPE notification_status IS 'Notification status (lifecycle "notification")';
-- Ours: queued -> sending (a worker's lease) -> sent, or back to queued (a
-- failure with attempts left, or a lease that ran out), or failed (the last
-- attempt), which is not final: an administrator may queue it again.
SELECT _ship_lifecycle('notification', ARRAY[
    ['[*]', 'queued'],
    ['queued', 'sending'],
    ['sending', 'sent'],
    ['sending', 'queued'],
    ['sending', 'failed'],
    ['queued', 'cancelled'],
    ['failed', 'queued'],
    ['sent', '[*]'],
    ['cancelled', '[*]']], true);

INSERT INTO settings (key, shipped, value, description) VALUES
    ('notify.max_attempts', true, '5', 'Delivery attempts of a notification before it is failed'),
    ('notify.retry_backoff', true, '"30 seconds"',
     'First wait after a failed delivery; each further failure doubles it (mark_failed''s retry_after overrides)'),
    ('notify.disabled_types', true, '[]',
     'Notification types (codes) that record nothing, with their descendants: a deployment turns events off here'),
    ('notify.disabled_channels', true, '[]', 'Channels (codes) that get nothing');

CREATE TABLE notification_channels (
    code        text PRIMARY KEY CONSTRAINT notification_channels_code_format CHECK (code ~ '^[a-z][a-z0-9_]{0,39}$'),
    name        text NOT NULL,
    needs_address boolean NOT NULL DEFAULT true,
    shipped     boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE notification_channels IS
    'Delivery channels (email, telegram, discord, whatsapp, in_app; add your own); setting notify.disabled_channels '
    'turns one off';
COMMENT ON COLUMN notification_channels.shipped IS 'Shipped with the extension (not dumped by pg_dump: CREATE EXTENSION makes it)';
SELECT pg_catalog.pg_extension_config_dump('notification_channels', 'WHERE NOT shipped');
COMMENT ON COLUMN notification_channels.needs_address IS
    'Delivered only to users with a verified notification_connections row for it (email uses users.email instead)';
CREATE TRIGGER notification_channels_touch_updated_at BEFORE UPDATE ON notification_channels
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
INSERT INTO notification_channels (code, name, needs_address, shipped) VALUES
    ('email', 'Email', false, true), ('telegram', 'Telegram', true, true), ('discord', 'Discord', true, true),
    ('whatsapp', 'WhatsApp', true, true), ('in_app', 'In the application', false, true);

CREATE TABLE notification_types (
    code        text PRIMARY KEY CONSTRAINT notification_types_code_format CHECK (code ~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$'),
    parent_code text REFERENCES notification_types ON DELETE CASCADE,
    description text NOT NULL,
    shipped     boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT notification_types_not_own_parent CHECK (parent_code IS DISTINCT FROM code)
);
COMMENT ON TABLE notification_types IS
    'What a notification is about, as a tree (seed 000): settings and defaults of a type apply to its children; '
    'the extension''s own events are the shipped types, turned off by setting notify.disabled_types';
COMMENT ON COLUMN notification_types.shipped IS 'Shipped with the extension (not dumped by pg_dump: CREATE EXTENSION makes it)';
SELECT pg_catalog.pg_extension_config_dump('notification_types', 'WHERE NOT shipped');
CREATE INDEX notification_types_parent_idx ON notification_types (parent_code);
CREATE TRIGGER notification_types_touch_updated_at BEFORE UPDATE ON notification_types
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
INSERT INTO notification_types (code, parent_code, description, shipped) VALUES
    ('session', NULL, 'Mentoring sessions', true),
    ('session.booked', 'session', 'A mentee booked or requested a session (to the mentor)', true),
    ('session.confirmed', 'session', 'A session is confirmed (to the mentee; to the mentor when it answers a proposal)', true),
    ('session.rescheduled', 'session', 'A session moved to a new time (to both participants)', true),
    ('session.cancelled', 'session', 'A session was cancelled (to both participants)', true),
    ('mentorship', NULL, 'Mentorships', true),
    ('mentorship.requested', 'mentorship', 'A mentee asked for a mentorship (to the mentor)', true),
    ('mentorship.accepted', 'mentorship', 'A mentorship became active (to the mentee)', true),
    ('review', NULL, 'Reviews', true),
    ('review.received', 'review', 'The other participant rated a session (to the one rated)', true),
    ('course', NULL, 'Courses', true),
    ('course.registration_approved', 'course', 'A course registration was approved (to the applicant)', true),
    ('message', NULL, 'Messages', true),
    ('message.received', 'message', 'A message arrived for a member who had read everything before it (once per streak of unread messages)', true);

CREATE TABLE notification_templates (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    type_code    text NOT NULL REFERENCES notification_types ON DELETE CASCADE,
    channel_code text NOT NULL REFERENCES notification_channels ON DELETE CASCADE,
    subject      text,
    body         text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (type_code, channel_code)
);
COMMENT ON TABLE notification_templates IS
    'Text per type and channel (seed 000''s NotificationChannelSettings); {{key}} is replaced by the payload''s key '
    '(mentor.render_notification)';
CREATE TRIGGER notification_templates_touch_updated_at BEFORE UPDATE ON notification_templates
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE notification_defaults (
    type_code    text NOT NULL REFERENCES notification_types ON DELETE CASCADE,
    channel_code text NOT NULL REFERENCES notification_channels ON DELETE CASCADE,
    enabled      boolean NOT NULL,
    shipped      boolean NOT NULL DEFAULT false,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (type_code, channel_code, shipped)
);
COMMENT ON TABLE notification_defaults IS
    'Whether a type goes to a channel for users who chose nothing; a row on a parent type applies to its children. '
    'The extension ships email and in-app on (shipped = true); a row with shipped = false overrides the shipped one';
SELECT pg_catalog.pg_extension_config_dump('notification_defaults', 'WHERE NOT shipped');
CREATE TRIGGER notification_defaults_touch_updated_at BEFORE UPDATE ON notification_defaults
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
INSERT INTO notification_defaults (type_code, channel_code, enabled, shipped)
SELECT t.code, c.code, c.code IN ('email', 'in_app'), true
  FROM notification_types t CROSS JOIN notification_channels c WHERE t.parent_code IS NULL;

CREATE TABLE notification_user_settings (
    user_id      bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    type_code    text NOT NULL REFERENCES notification_types ON DELETE CASCADE,
    channel_code text NOT NULL REFERENCES notification_channels ON DELETE CASCADE,
    enabled      boolean NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, type_code, channel_code)
);
COMMENT ON TABLE notification_user_settings IS
    'A user''s choice per type and channel, over the defaults; on a parent type it applies to the children the user '
    'chose nothing for. Each user reads and writes their own (row-level security)';
CREATE TRIGGER notification_user_settings_touch_updated_at BEFORE UPDATE ON notification_user_settings
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE notification_connections (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    channel_code text NOT NULL REFERENCES notification_channels ON DELETE CASCADE,
    address      text NOT NULL CONSTRAINT notification_connections_address_length CHECK (length(btrim(address)) BETWEEN 1 AND 320),
    verified_at  timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (user_id, channel_code, address)
);
COMMENT ON TABLE notification_connections IS
    'Where a user is reached on a channel (a Telegram chat id, a Discord id, a phone); at most one verified address '
    'per user and channel, the one deliveries go to. Each user reads and writes their own (row-level security)';
COMMENT ON COLUMN notification_connections.verified_at IS 'When the user proved the address; only a verified one is used';
CREATE UNIQUE INDEX notification_connections_one_verified ON notification_connections (user_id, channel_code)
    WHERE verified_at IS NOT NULL;
CREATE TRIGGER notification_connections_touch_updated_at BEFORE UPDATE ON notification_connections
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- The outbox, a work queue (module queue).  Not audited: every row is an
-- event already, and the audit of what caused it is in history.
CREATE TABLE notifications (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    type_code    text NOT NULL,
    channel_code text NOT NULL,
    address      text,
    payload      jsonb NOT NULL DEFAULT '{}' CONSTRAINT notifications_payload_object CHECK (jsonb_typeof(payload) = 'object'),
    dedupe_key   text,
    status       @extschema@.notification_status NOT NULL DEFAULT 'queued',
    attempts     integer NOT NULL DEFAULT 0,
    available_at timestamptz NOT NULL DEFAULT now(),
    lease_owner  text,
    lease_until  timestamptz,
    last_error   text,
    provider_ref text,
    sent_at      timestamptz,
    read_at      timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (user_id, type_code, channel_code, dedupe_key),
    CONSTRAINT notifications_lease CHECK ((status = 'sending') = (lease_owner IS NOT NULL AND lease_until IS NOT NULL)),
    CONSTRAINT notifications_sent CHECK ((status = 'sent') = (sent_at IS NOT NULL))
);
COMMENT ON TABLE notifications IS
    'The outbox: one row per user, type and channel to deliver, written by mentor.notify() in the transaction that '
    'caused it; workers take rows with mentor.claim_notifications(). In-app rows are the user''s inbox (readable by '
    'that user only)';
COMMENT ON COLUMN notifications.type_code IS
    'The notification type (notify() checks it; removing a type removes its notifications, by trigger)';
COMMENT ON COLUMN notifications.channel_code IS
    'The channel (notify() checks it; removing a channel removes its notifications, by trigger)';
COMMENT ON COLUMN notifications.address IS 'Where it goes: the verified connection (or users.email) at the time of notify()';
COMMENT ON COLUMN notifications.dedupe_key IS 'A repeat of notify() with the same user, type and key records nothing';
COMMENT ON COLUMN notifications.status IS 'queued -> sending -> sent | queued (retry) | failed (lifecycle "notification")';
COMMENT ON COLUMN notifications.attempts IS 'Deliveries tried (claims); after notify.max_attempts it is failed';
COMMENT ON COLUMN notifications.available_at IS 'Not claimed before this time (the backoff after a failure)';
COMMENT ON COLUMN notifications.lease_owner IS 'The worker holding it while sending; only it may report';
COMMENT ON COLUMN notifications.provider_ref IS 'The delivering service''s id of the message, from mark_sent';
COMMENT ON COLUMN notifications.read_at IS 'In-app: when the user read it (mentor.mark_notifications_read)';
CREATE INDEX notifications_ready_idx ON notifications (channel_code, available_at, id) WHERE status = 'queued';
CREATE INDEX notifications_leased_idx ON notifications (lease_until) WHERE status = 'sending';
CREATE INDEX notifications_inbox_idx ON notifications (user_id, created_at) WHERE channel_code = 'in_app';
CREATE TRIGGER notifications_touch_updated_at BEFORE UPDATE ON notifications
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
SELECT attach_lifecycle('notifications', 'status', 'notification');

-- type_code and channel_code are not foreign keys: notify() writes only codes
-- it has just resolved from the catalogue, and the two key checks per row
-- cost as much as the rest of notify() on every booking.  What the keys'
-- ON DELETE CASCADE did, these do.
CREATE FUNCTION _notifications_catalogue_deleted() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_TABLE_NAME = 'notification_types' THEN
        DELETE FROM notifications n WHERE n.type_code IN (SELECT o.code FROM old_rows o);
    ELSE
        DELETE FROM notifications n WHERE n.channel_code IN (SELECT o.code FROM old_rows o);
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION _notifications_catalogue_deleted() IS
    'Internal: removes the notifications of deleted notification types or channels';
CREATE TRIGGER notification_types_deleted AFTER DELETE ON notification_types
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION _notifications_catalogue_deleted();
CREATE TRIGGER notification_channels_deleted AFTER DELETE ON notification_channels
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION _notifications_catalogue_deleted();

-- Resolution along the type's ancestors: the nearest type with a choice of
-- the user's decides, else the nearest with a default; a type is live only
-- when neither it nor an ancestor is turned off.  PL/pgSQL, not SQL: a SQL
-- function with its own search_path is planned again on every call.
CREATE FUNCTION _notification_targets(user_id bigint, type_code text)
RETURNS TABLE (channel_code text, address text)
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    RETURN QUERY
    WITH RECURSIVE up AS (
        SELECT t.code, t.parent_code, 0 AS depth FROM notification_types t WHERE t.code = _notification_targets.type_code
        UNION ALL
        SELECT t.code, t.parent_code, up.depth + 1 FROM notification_types t JOIN up ON t.code = up.parent_code
         WHERE up.depth < 32
    ), off AS (       -- as setting() reads them, without its call per row
        SELECT (SELECT s.value FROM settings s WHERE s.key = 'notify.disabled_types' ORDER BY s.shipped LIMIT 1) AS types,
               (SELECT s.value FROM settings s WHERE s.key = 'notify.disabled_channels' ORDER BY s.shipped LIMIT 1) AS channels
    )
    SELECT c.code, CASE WHEN c.code = 'email' THEN u.email::text ELSE nc.address END
      FROM off, notification_channels c
      JOIN users u ON u.id = _notification_targets.user_id
      LEFT JOIN notification_connections nc
             ON nc.user_id = u.id AND nc.channel_code = c.code AND nc.verified_at IS NOT NULL
     WHERE NOT coalesce(off.channels ? c.code, false)
       AND NOT EXISTS (SELECT 1 FROM up WHERE coalesce(off.types ? up.code, false))
       AND coalesce((SELECT s.enabled FROM notification_user_settings s JOIN up ON up.code = s.type_code
                      WHERE s.user_id = u.id AND s.channel_code = c.code ORDER BY up.depth LIMIT 1),
                    (SELECT d.enabled FROM notification_defaults d JOIN up ON up.code = d.type_code
                      WHERE d.channel_code = c.code ORDER BY up.depth, d.shipped LIMIT 1),
                    false)
       AND (NOT c.needs_address OR nc.address IS NOT NULL);
END
$$;
COMMENT ON FUNCTION _notification_targets(bigint, text) IS
    'Internal: the channels (and addresses) a notification of a type reaches a user on, after types, defaults, the '
    'user''s choices and verified connections';

-- One INSERT for any number of recipients: a booking's triggers tell two
-- people in one statement.
CREATE FUNCTION _notify_each(user_ids bigint[], types text[], payload jsonb, dedupe_keys text[]) RETURNS integer
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    n integer;
BEGIN
    INSERT INTO notifications (user_id, type_code, channel_code, address, payload, dedupe_key)
    SELECT x.u, x.t, tg.channel_code, tg.address, _notify_each.payload, x.k
      FROM unnest(user_ids, types, dedupe_keys) x(u, t, k), LATERAL _notification_targets(x.u, x.t) tg
    ON CONFLICT ON CONSTRAINT notifications_user_id_type_code_channel_code_dedupe_key_key DO NOTHING;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
COMMENT ON FUNCTION _notify_each(bigint[], text[], jsonb, text[]) IS
    'Internal: notify() for several (user, type, dedupe key) at once, with one payload; returns the rows recorded';

CREATE FUNCTION notify(user_id bigint, type text, payload jsonb DEFAULT '{}', dedupe_key text DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    n integer;
BEGIN
    IF payload IS NULL OR jsonb_typeof(payload) <> 'object' THEN
        RAISE EXCEPTION 'a notification''s payload is a JSON object, not %', coalesce(jsonb_typeof(payload), 'NULL')
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Pass ''{}'' for no payload.';
    END IF;
    -- The checks below only run when nothing was recorded, to say why.
    n := _notify_each(ARRAY[user_id], ARRAY[type], payload, ARRAY[dedupe_key]);
    IF n = 0 THEN
        IF NOT EXISTS (SELECT 1 FROM notification_types t WHERE t.code = notify.type) THEN
            RAISE EXCEPTION 'unknown notification type %', coalesce(quote_literal(type), 'NULL')
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'SELECT code FROM mentor.notification_types lists them; an administrator adds new ones.';
        END IF;
        IF NOT EXISTS (SELECT 1 FROM users u WHERE u.id = notify.user_id) THEN
            RAISE EXCEPTION 'user % does not exist', coalesce(user_id::text, 'NULL') USING ERRCODE = 'no_data_found';
        END IF;
    END IF;
    RETURN n;
END
$$;
COMMENT ON FUNCTION notify(bigint, text, jsonb, text) IS
    'Records a notification of type for a user on every channel the user gets it on, in the caller''s transaction '
    '(rolled back with it); a repeat with the same dedupe_key records nothing. Returns how many rows it queued. '
    '22023 for an unknown type or a payload that is not an object, P0002 for an unknown user';

CREATE FUNCTION claim_notifications(channel text, worker text, n integer DEFAULT 10,
                                    lease interval DEFAULT interval '1 minute')
RETURNS SETOF notifications
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    ids bigint[];
BEGIN
    IF NOT EXISTS (SELECT 1 FROM notification_channels c WHERE c.code = claim_notifications.channel) THEN
        RAISE EXCEPTION 'unknown notification channel %', coalesce(quote_literal(channel), 'NULL')
            USING ERRCODE = 'invalid_parameter_value', HINT = 'SELECT code FROM mentor.notification_channels lists them.';
    END IF;
    -- Two statements: the rows are read back after the claim's UPDATE, as it left them.
    ids := ARRAY(SELECT _queue_claim('notifications', 'queued', 'sending', 'failed', worker, n, lease,
                                     (setting('notify.max_attempts') #>> '{}')::integer, 'channel_code', channel));
    RETURN QUERY SELECT q.* FROM notifications q WHERE q.id = ANY (ids) ORDER BY q.available_at, q.id;
END
$$;
COMMENT ON FUNCTION claim_notifications(text, text, integer, interval) IS
    'A delivery worker takes up to n due notifications of a channel, oldest first, leased to it for lease; workers '
    'never wait on each other or get the same row. Expired leases go back to the queue first (failed after '
    'notify.max_attempts). Report each with mark_sent or mark_failed';

CREATE FUNCTION mark_sent(id bigint, worker text, provider_ref text DEFAULT NULL) RETURNS notifications
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    r notifications;
BEGIN
    -- The common case in one statement; when it finds nothing, _queue_refuse says why.
    UPDATE notifications q
       SET status = 'sent', sent_at = now(), provider_ref = mark_sent.provider_ref, lease_owner = NULL, lease_until = NULL
     WHERE q.id = mark_sent.id AND q.status = 'sending' AND q.lease_owner = worker AND q.lease_until >= now()
    RETURNING q.* INTO r;
    IF NOT FOUND THEN
        PERFORM _queue_refuse('notifications', 'notification', mark_sent.id, worker, 'sending');
    END IF;
    RETURN r;
END
$$;
COMMENT ON FUNCTION mark_sent(bigint, text, text) IS
    'The lease holder reports a notification delivered (once: it is then sent, and any later report is MN006); '
    'MN005 when another worker holds it, MN008 when the lease ran out, P0002 when it does not exist';

CREATE FUNCTION mark_failed(id bigint, worker text, error text, retry_after interval DEFAULT NULL) RETURNS notifications
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    r notifications;
BEGIN
    PERFORM _queue_retry('notifications', 'notification', mark_failed.id, worker, error, retry_after, 'queued', 'sending',
                         'failed', (setting('notify.max_attempts') #>> '{}')::integer,
                         (setting('notify.retry_backoff') #>> '{}')::interval);
    SELECT * INTO r FROM notifications q WHERE q.id = mark_failed.id;
    RETURN r;
END
$$;
COMMENT ON FUNCTION mark_failed(bigint, text, text, interval) IS
    'The lease holder reports a failed delivery: queued again after retry_after (default notify.retry_backoff, '
    'doubled per attempt), or failed after notify.max_attempts. Same refusals as mark_sent';

CREATE FUNCTION requeue_notification(id bigint) RETURNS notifications
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    r notifications;
BEGIN
    UPDATE notifications q SET status = 'queued', attempts = 0, available_at = now()
     WHERE q.id = requeue_notification.id AND q.status = 'failed'
    RETURNING q.* INTO r;
    IF NOT FOUND THEN
        SELECT * INTO r FROM notifications q WHERE q.id = requeue_notification.id;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'notification % does not exist', id USING ERRCODE = 'no_data_found';
        END IF;
        RAISE EXCEPTION 'notification % is %, not failed', id, r.status USING ERRCODE = 'MN006',
            HINT = 'Only a failed notification is queued again; a queued or sending one is on its way.';
    END IF;
    RETURN r;
END
$$;
COMMENT ON FUNCTION requeue_notification(bigint) IS
    'An administrator queues a failed notification again, with its attempts reset (its last_error is kept); MN006 '
    'unless it is failed';

CREATE FUNCTION render_notification(id bigint) RETURNS TABLE (subject text, body text)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    q  notifications;
    kv record;
BEGIN
    SELECT * INTO q FROM notifications n WHERE n.id = render_notification.id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'notification % does not exist', id USING ERRCODE = 'no_data_found';
    END IF;
    SELECT t.subject, t.body INTO subject, body FROM notification_templates t
     WHERE t.type_code = q.type_code AND t.channel_code = q.channel_code;
    IF NOT FOUND THEN
        subject := q.type_code;
        body := q.payload::text;
    END IF;
    FOR kv IN SELECT * FROM jsonb_each_text(q.payload) LOOP
        subject := replace(subject, '{{' || kv.key || '}}', coalesce(kv.value, ''));
        body := replace(body, '{{' || kv.key || '}}', coalesce(kv.value, ''));
    END LOOP;
    RETURN NEXT;
END
$$;
COMMENT ON FUNCTION render_notification(bigint) IS
    'The subject and body of a notification: its type and channel''s template with {{key}} replaced by the payload''s '
    'values (without a template, the type and the payload as JSON)';

-- The in-app inbox: each user reads their own, marks them read, counts the unread.
CREATE FUNCTION mark_notifications_read(ids bigint[] DEFAULT NULL) RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    reader bigint := current_actor();
    n      integer;
BEGIN
    IF reader IS NULL THEN
        RAISE EXCEPTION 'no acting user: the inbox is the acting user''s' USING ERRCODE = 'MN005',
            HINT = 'Call mentor.set_actor(user_id) first.';
    END IF;
    UPDATE notifications q SET read_at = now()
     WHERE q.user_id = reader AND q.channel_code = 'in_app' AND q.read_at IS NULL
       AND (ids IS NULL OR q.id = ANY (ids));
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
COMMENT ON FUNCTION mark_notifications_read(bigint[]) IS
    'Marks the acting user''s in-app notifications read (those of ids, or all when NULL); returns how many. Another '
    'user''s ids are ignored';

CREATE FUNCTION unread_notifications() RETURNS bigint
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
SELECT count(*) FROM notifications q
 WHERE q.user_id = current_actor() AND q.channel_code = 'in_app' AND q.read_at IS NULL AND q.status <> 'cancelled'
$$;
COMMENT ON FUNCTION unread_notifications() IS 'How many in-app notifications the acting user has not read';

ALTER TABLE notifications ENABLE ROW LEVEL SECURITY;
CREATE POLICY notifications_select ON notifications FOR SELECT TO mentor_app
    USING (user_id = @extschema@.current_actor() AND channel_code = 'in_app');
ALTER TABLE notification_user_settings ENABLE ROW LEVEL SECURITY;
CREATE POLICY notification_user_settings_select ON notification_user_settings FOR SELECT TO mentor_app
    USING (user_id = @extschema@.current_actor());
CREATE POLICY notification_user_settings_insert ON notification_user_settings FOR INSERT TO mentor_app
    WITH CHECK (user_id = @extschema@.current_actor());
CREATE POLICY notification_user_settings_update ON notification_user_settings FOR UPDATE TO mentor_app
    USING (user_id = @extschema@.current_actor()) WITH CHECK (user_id = @extschema@.current_actor());
CREATE POLICY notification_user_settings_delete ON notification_user_settings FOR DELETE TO mentor_app
    USING (user_id = @extschema@.current_actor());
ALTER TABLE notification_connections ENABLE ROW LEVEL SECURITY;
CREATE POLICY notification_connections_select ON notification_connections FOR SELECT TO mentor_app
    USING (user_id = @extschema@.current_actor());
CREATE POLICY notification_connections_insert ON notification_connections FOR INSERT TO mentor_app
    WITH CHECK (user_id = @extschema@.current_actor());
CREATE POLICY notification_connections_update ON notification_connections FOR UPDATE TO mentor_app
    USING (user_id = @extschema@.current_actor()) WITH CHECK (user_id = @extschema@.current_actor());
CREATE POLICY notification_connections_delete ON notification_connections FOR DELETE TO mentor_app
    USING (user_id = @extschema@.current_actor());

-- Alerts (seed 000): banners for everyone, or for one course's people.
CREATE TABLE alerts (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    course_id  bigint REFERENCES courses ON DELETE CASCADE,
    severity   text NOT NULL DEFAULT 'info' CONSTRAINT alerts_severity CHECK (severity IN ('info', 'warning', 'critical')),
    title      text NOT NULL CONSTRAINT alerts_title_length CHECK (length(btrim(title)) BETWEEN 1 AND 200),
    body       text,
    starts_at  timestamptz NOT NULL DEFAULT now(),
    ends_at    timestamptz,
    created_by bigint REFERENCES users ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT alerts_window CHECK (ends_at IS NULL OR ends_at > starts_at)
);
COMMENT ON TABLE alerts IS
    'Banners (seed 000): global (course_id NULL) or for a course''s students, mentors and staff, shown from starts_at '
    'until ends_at; written by administrators (who see them all), read through mentor.active_alerts';
CREATE INDEX alerts_course_idx ON alerts (course_id, starts_at);
CREATE TRIGGER alerts_touch_updated_at BEFORE UPDATE ON alerts FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE FUNCTION _in_course(course_id bigint) RETURNS boolean
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
SELECT EXISTS (SELECT 1 FROM students s WHERE s.course_id = _in_course.course_id AND s.user_id = current_actor())
    OR EXISTS (SELECT 1 FROM course_mentors m WHERE m.course_id = _in_course.course_id AND m.user_id = current_actor())
    OR EXISTS (SELECT 1 FROM course_users c WHERE c.course_id = _in_course.course_id AND c.user_id = current_actor())
$$;
COMMENT ON FUNCTION _in_course(bigint) IS 'Internal: whether the acting user is a student, mentor or staff member of the course';

ALTER TABLE alerts ENABLE ROW LEVEL SECURITY;
CREATE POLICY alerts_select ON alerts FOR SELECT TO mentor_app
    USING (course_id IS NULL OR @extschema@._in_course(course_id) OR @extschema@._current_user_is_admin());
-- Administrators are members of mentor_app, so without these the policies above would refuse them.
CREATE POLICY alerts_insert ON alerts FOR INSERT TO mentor_admin WITH CHECK (true);
CREATE POLICY alerts_update ON alerts FOR UPDATE TO mentor_admin USING (true) WITH CHECK (true);
CREATE POLICY alerts_delete ON alerts FOR DELETE TO mentor_admin USING (true);

CREATE VIEW active_alerts WITH (security_barrier, security_invoker) AS
SELECT a.id, a.course_id, a.severity, a.title, a.body, a.starts_at, a.ends_at
  FROM alerts a
 WHERE a.starts_at <= now() AND (a.ends_at IS NULL OR a.ends_at > now());
COMMENT ON VIEW active_alerts IS
    'The alerts shown now to the acting user: global ones and those of the user''s courses (row-level security of alerts)';
