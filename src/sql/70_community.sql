--------------------------------------------------------------------------------
-- Module community: connections between people, and conversations (direct
-- and group) with their messages, private to their members by row-level
-- security.  Writes go through the functions, which act for the acting user
-- (set_actor); a member's read marker is the id of the last message read, so
-- unread counts are one index range per conversation.
--------------------------------------------------------------------------------

INSERT INTO settings (key, shipped, value, description) VALUES
    ('community.direct_requires_connection', true, 'false',
     'true: start_direct() only between users with an accepted connection'),
    ('community.connection_retry_after', true, '"30 days"',
     'How long after a rejection the same two people may ask again');

CREATE TYPE connection_status AS ENUM ('pending', 'accepted', 'rejected');
COMMENT ON TYPE connection_status IS 'Connection status (lifecycle "connection")';

-- One live row per unordered pair: user_low/user_high are the pair whoever asked.
CREATE TABLE connections (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    requester_id bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    receiver_id  bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    user_low     bigint NOT NULL GENERATED ALWAYS AS (least(requester_id, receiver_id)) STORED,
    user_high    bigint NOT NULL GENERATED ALWAYS AS (greatest(requester_id, receiver_id)) STORED,
    status       @extschema@.connection_status NOT NULL DEFAULT 'pending',
    message      text CONSTRAINT connections_message_length CHECK (length(message) <= 1000),
    responded_at timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT connections_not_self CHECK (requester_id <> receiver_id)
);
COMMENT ON TABLE connections IS
    'People connected (seed 004 userConnections): requested by one, accepted or rejected by the other (lifecycle '
    '"connection"); one live request or connection per pair, whoever asked. Written by request_connection and '
    'respond_connection; each user sees their own';
COMMENT ON COLUMN connections.user_low IS 'The pair''s smaller user id (with user_high: the pair, whoever asked)';
COMMENT ON COLUMN connections.responded_at IS 'When the receiver accepted or rejected';
CREATE UNIQUE INDEX connections_one_live_per_pair ON connections (user_low, user_high) WHERE status IN ('pending', 'accepted');
CREATE INDEX connections_user_high_idx ON connections (user_high, user_low);
CREATE TRIGGER connections_touch_updated_at BEFORE UPDATE ON connections
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
SELECT attach_lifecycle('connections', 'status', 'connection');

CREATE FUNCTION is_connected(a bigint, b bigint) RETURNS boolean
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
SELECT EXISTS (SELECT 1 FROM connections c
                WHERE c.user_low = least(a, b) AND c.user_high = greatest(a, b) AND c.status = 'accepted')
$$;
COMMENT ON FUNCTION is_connected(bigint, bigint) IS 'Whether two users have an accepted connection';

CREATE FUNCTION _community_actor() RETURNS bigint
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    me bigint := current_actor();
BEGIN
    IF me IS NULL THEN
        RAISE EXCEPTION 'no acting user' USING ERRCODE = 'MN005',
            HINT = 'Call mentor.set_actor(user_id) in the request''s transaction first: connections and messages are a user''s.';
    END IF;
    RETURN me;
END
$$;
COMMENT ON FUNCTION _community_actor() IS 'Internal: the acting user, MN005 when none is set';

CREATE FUNCTION request_connection(other_user bigint, message text DEFAULT NULL) RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    me    bigint := _community_actor();
    c     connections;
    again timestamptz;
BEGIN
    IF other_user IS NULL OR NOT EXISTS (SELECT 1 FROM users u WHERE u.id = other_user) THEN
        RAISE EXCEPTION 'user % does not exist', coalesce(other_user::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
    IF other_user = me THEN
        RAISE EXCEPTION 'a user cannot connect to themselves' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- The pair's row, locked: a request from each side at once makes one connection.
    PERFORM pg_advisory_xact_lock(hashtextextended('mentor.connection:' || least(me, other_user) || ':' || greatest(me, other_user), 0));
    SELECT * INTO c FROM connections x
     WHERE x.user_low = least(me, other_user) AND x.user_high = greatest(me, other_user) AND x.status IN ('pending', 'accepted');
    IF FOUND THEN
        RETURN c.id;    -- already asked (by either) or connected: the same row
    END IF;
    SELECT max(x.responded_at) + (setting('community.connection_retry_after') #>> '{}')::interval INTO again
      FROM connections x
     WHERE x.user_low = least(me, other_user) AND x.user_high = greatest(me, other_user) AND x.status = 'rejected';
    IF again > now() THEN
        RAISE EXCEPTION 'user % rejected this connection recently', other_user USING ERRCODE = 'MN006',
            DETAIL = format('A new request is possible from %s (setting community.connection_retry_after).', again);
    END IF;
    INSERT INTO connections (requester_id, receiver_id, message) VALUES (me, other_user, request_connection.message)
    RETURNING id INTO c.id;
    RETURN c.id;
END
$$;
COMMENT ON FUNCTION request_connection(bigint, text) IS
    'The acting user asks other_user to connect; returns the connection (the existing one when either already asked, '
    'or they are connected). 22023 for oneself, P0002 for an unknown user, MN006 within '
    'community.connection_retry_after of a rejection';

CREATE FUNCTION respond_connection(connection_id bigint, accept boolean) RETURNS connection_status
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    me bigint := _community_actor();
    c  connections;
BEGIN
    SELECT * INTO c FROM connections x WHERE x.id = connection_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'connection % does not exist', connection_id USING ERRCODE = 'no_data_found';
    END IF;
    IF c.receiver_id <> me THEN
        RAISE EXCEPTION 'only the receiver answers connection %', connection_id USING ERRCODE = 'MN005',
            DETAIL = format('User %s asked user %s; the acting user is %s.', c.requester_id, c.receiver_id, me);
    END IF;
    IF c.status <> 'pending' THEN
        RAISE EXCEPTION 'connection % is already %', connection_id, c.status USING ERRCODE = 'MN006';
    END IF;
    UPDATE connections x SET status = CASE WHEN accept THEN 'accepted'::connection_status ELSE 'rejected' END,
                             responded_at = now()
     WHERE x.id = connection_id RETURNING x.status INTO c.status;
    RETURN c.status;
END
$$;
COMMENT ON FUNCTION respond_connection(bigint, boolean) IS
    'The receiver accepts or rejects a pending connection; MN005 for anyone else (the requester included), MN006 when '
    'it is no longer pending';

-- Conversations: direct ones keep their pair, one conversation per pair.
CREATE TABLE conversations (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind            text NOT NULL CONSTRAINT conversations_kind CHECK (kind IN ('direct', 'group')),
    title           text CONSTRAINT conversations_title_length CHECK (length(btrim(title)) BETWEEN 1 AND 200),
    created_by      bigint REFERENCES users ON DELETE SET NULL,
    direct_low      bigint,
    direct_high     bigint,
    last_message_at timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT conversations_direct_pair CHECK ((kind = 'direct') = (direct_low IS NOT NULL AND direct_high IS NOT NULL)
                                                AND (direct_low IS NULL OR direct_low < direct_high)),
    CONSTRAINT conversations_one_per_pair UNIQUE (direct_low, direct_high)
);
COMMENT ON TABLE conversations IS
    'A direct conversation of two users (one per pair, whoever starts it: start_direct) or a group (start_group); '
    'readable by its members only';
COMMENT ON COLUMN conversations.direct_low IS 'For a direct conversation, the smaller user id of the pair';
COMMENT ON COLUMN conversations.last_message_at IS 'When the last message was sent (kept by send_message)';
CREATE TRIGGER conversations_touch_updated_at BEFORE UPDATE ON conversations
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE conversation_members (
    conversation_id      bigint NOT NULL REFERENCES conversations ON DELETE CASCADE,
    user_id              bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    joined_at            timestamptz NOT NULL DEFAULT now(),
    last_read_message_id bigint NOT NULL DEFAULT 0,
    last_read_at         timestamptz,
    PRIMARY KEY (conversation_id, user_id)
);
COMMENT ON TABLE conversation_members IS
    'Who is in a conversation, and how far each has read (mark_conversation_read); members see each other';
COMMENT ON COLUMN conversation_members.last_read_message_id IS 'The last message id this member has read (0: none)';
CREATE INDEX conversation_members_user_idx ON conversation_members (user_id, conversation_id);

CREATE TABLE messages (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    conversation_id bigint NOT NULL REFERENCES conversations ON DELETE CASCADE,
    sender_id       bigint REFERENCES users ON DELETE SET NULL,
    body            text NOT NULL,
    sent_at         timestamptz NOT NULL DEFAULT now(),
    edited_at       timestamptz
);
COMMENT ON TABLE messages IS
    'Messages of conversations, readable by the conversation''s members only (row-level security); written by '
    'send_message and edit_message; bodies never enter history';
COMMENT ON COLUMN messages.body IS 'The text, 1 to 10,000 characters after trimming';
-- sender_id included: unread counts are then index-only.
CREATE INDEX messages_conversation_idx ON messages (conversation_id, id) INCLUDE (sender_id);

CREATE FUNCTION _in_conversation(conversation_id bigint) RETURNS boolean
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
SELECT EXISTS (SELECT 1 FROM conversation_members m
                WHERE m.conversation_id = _in_conversation.conversation_id AND m.user_id = current_actor())
$$;
COMMENT ON FUNCTION _in_conversation(bigint) IS 'Internal: whether the acting user is a member of the conversation';

CREATE FUNCTION _message_body(body text) RETURNS text
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
    IF body IS NULL OR length(btrim(body)) NOT BETWEEN 1 AND 10000 THEN
        RAISE EXCEPTION 'a message is 1 to 10,000 characters, not %', coalesce(length(btrim(body))::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Split a longer text into several messages.';
    END IF;
    RETURN btrim(body);
END
$$;
COMMENT ON FUNCTION _message_body(text) IS 'Internal: a message body trimmed, or 22023 when empty or over 10,000 characters';

CREATE FUNCTION start_direct(other_user bigint) RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    me  bigint := _community_actor();
    cid bigint;
BEGIN
    IF other_user IS NULL OR NOT EXISTS (SELECT 1 FROM users u WHERE u.id = other_user) THEN
        RAISE EXCEPTION 'user % does not exist', coalesce(other_user::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
    IF other_user = me THEN
        RAISE EXCEPTION 'a direct conversation is with someone else' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF (setting('community.direct_requires_connection') #>> '{}')::boolean AND NOT is_connected(me, other_user) THEN
        RAISE EXCEPTION 'users % and % are not connected', me, other_user USING ERRCODE = 'MN005',
            DETAIL = 'This platform allows direct messages between connected users only (setting community.direct_requires_connection).',
            HINT = 'Ask to connect first: mentor.request_connection(user_id).';
    END IF;
    -- Two people starting it at once: the unique pair makes the second wait and find the first's.
    INSERT INTO conversations (kind, created_by, direct_low, direct_high)
    VALUES ('direct', me, least(me, other_user), greatest(me, other_user))
    ON CONFLICT ON CONSTRAINT conversations_one_per_pair DO NOTHING
    RETURNING id INTO cid;
    IF cid IS NULL THEN
        SELECT c.id INTO cid FROM conversations c WHERE c.direct_low = least(me, other_user) AND c.direct_high = greatest(me, other_user);
    ELSE
        INSERT INTO conversation_members (conversation_id, user_id) VALUES (cid, me), (cid, other_user);
    END IF;
    RETURN cid;
END
$$;
COMMENT ON FUNCTION start_direct(bigint) IS
    'The direct conversation of the acting user and other_user, made on first use (one per pair, whoever starts it, '
    'also when both start it at once). 22023 for oneself, P0002 for an unknown user, MN005 when direct messages need '
    'a connection and there is none';

CREATE FUNCTION start_group(title text, member_ids bigint[]) RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    me      bigint := _community_actor();
    cid     bigint;
    missing bigint;
BEGIN
    SELECT x INTO missing FROM unnest(member_ids) x WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = x) LIMIT 1;
    IF FOUND OR array_position(member_ids, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'user % does not exist', coalesce(missing::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
    INSERT INTO conversations (kind, title, created_by) VALUES ('group', start_group.title, me) RETURNING id INTO cid;
    INSERT INTO conversation_members (conversation_id, user_id)
    SELECT DISTINCT cid, u FROM unnest(member_ids || me) u;
    RETURN cid;
END
$$;
COMMENT ON FUNCTION start_group(text, bigint[]) IS
    'A group conversation of the acting user and member_ids; returns it. P0002 for an unknown member';

CREATE FUNCTION send_message(conversation_id bigint, body text) RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    me  bigint := _community_actor();
    mid bigint;
    at  timestamptz := clock_timestamp();
BEGIN
    IF NOT EXISTS (SELECT 1 FROM conversation_members m WHERE m.conversation_id = send_message.conversation_id AND m.user_id = me) THEN
        RAISE EXCEPTION 'user % is not in conversation %', me, conversation_id USING ERRCODE = 'MN005',
            HINT = 'Only members write to a conversation: start_direct() or start_group() make one.';
    END IF;
    INSERT INTO messages (conversation_id, sender_id, body, sent_at) VALUES (send_message.conversation_id, me, _message_body(body), at)
    RETURNING id INTO mid;
    UPDATE conversations c SET last_message_at = at WHERE c.id = send_message.conversation_id;
    -- The sender has read up to their own message.
    UPDATE conversation_members m SET last_read_message_id = mid, last_read_at = at
     WHERE m.conversation_id = send_message.conversation_id AND m.user_id = me;
    RETURN mid;
END
$$;
COMMENT ON FUNCTION send_message(bigint, text) IS
    'The acting user writes to a conversation they are in; returns the message (the other members are notified: '
    'message.received). MN005 for a non-member, 22023 for an empty or overlong body';

CREATE FUNCTION edit_message(message_id bigint, body text) RETURNS timestamptz
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    me bigint := _community_actor();
    at timestamptz;
BEGIN
    UPDATE messages m SET body = _message_body(edit_message.body), edited_at = clock_timestamp()
     WHERE m.id = message_id AND m.sender_id = me
    RETURNING m.edited_at INTO at;
    IF at IS NULL THEN
        RAISE EXCEPTION 'user % did not send message %', me, message_id USING ERRCODE = 'MN005';
    END IF;
    RETURN at;
END
$$;
COMMENT ON FUNCTION edit_message(bigint, text) IS 'The sender changes a message''s text (edited_at stamped); MN005 for anyone else';

CREATE FUNCTION mark_conversation_read(conversation_id bigint) RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    me   bigint := _community_actor();
    upto bigint;
BEGIN
    UPDATE conversation_members m
       SET last_read_message_id = greatest(m.last_read_message_id,
                                           coalesce((SELECT max(x.id) FROM messages x WHERE x.conversation_id = m.conversation_id), 0)),
           last_read_at = now()
     WHERE m.conversation_id = mark_conversation_read.conversation_id AND m.user_id = me
    RETURNING m.last_read_message_id INTO upto;
    IF upto IS NULL THEN
        RAISE EXCEPTION 'user % is not in conversation %', me, conversation_id USING ERRCODE = 'MN005';
    END IF;
    RETURN upto;
END
$$;
COMMENT ON FUNCTION mark_conversation_read(bigint) IS
    'The acting user has read the conversation up to its last message; returns that message id. MN005 for a non-member';

CREATE FUNCTION unread_counts() RETURNS TABLE (conversation_id bigint, unread bigint)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
-- One index range per conversation (LATERAL), whatever the planner guesses of the actor's
-- memberships: a join would scan all messages once they outnumber the guess.
SELECT m.conversation_id, u.n
  FROM conversation_members m
 CROSS JOIN LATERAL (SELECT count(*) AS n FROM messages x
                      WHERE x.conversation_id = m.conversation_id AND x.id > m.last_read_message_id
                        AND x.sender_id IS DISTINCT FROM m.user_id) u
 WHERE m.user_id = current_actor() AND u.n > 0
$$;
COMMENT ON FUNCTION unread_counts() IS
    'The acting user''s conversations with unread messages (from others), and how many each';

ALTER TABLE connections ENABLE ROW LEVEL SECURITY;
CREATE POLICY connections_select ON connections FOR SELECT TO mentor_app
    USING (@extschema@.current_actor() IN (requester_id, receiver_id));
ALTER TABLE conversations ENABLE ROW LEVEL SECURITY;
CREATE POLICY conversations_select ON conversations FOR SELECT TO mentor_app
    USING (@extschema@._in_conversation(id));
ALTER TABLE conversation_members ENABLE ROW LEVEL SECURITY;
CREATE POLICY conversation_members_select ON conversation_members FOR SELECT TO mentor_app
    USING (@extschema@._in_conversation(conversation_id));
ALTER TABLE messages ENABLE ROW LEVEL SECURITY;
CREATE POLICY messages_select ON messages FOR SELECT TO mentor_app
    USING (@extschema@._in_conversation(conversation_id));

-- Seed 004's directMessages, over the direct conversations.
CREATE VIEW direct_messages WITH (security_invoker) AS
SELECT x.id, x.sender_id, r.user_id AS receiver_id, x.body AS content, x.id <= r.last_read_message_id AS is_read,
       x.sent_at AS created_at
  FROM messages x
  JOIN conversations c ON c.id = x.conversation_id AND c.kind = 'direct'
  JOIN conversation_members r ON r.conversation_id = c.id AND r.user_id IS DISTINCT FROM x.sender_id;
COMMENT ON VIEW direct_messages IS
    'Seed 004''s directMessages (sender, receiver, content, read) over direct conversations; readable, as the '
    'messages are, by the two people only. Send with mentor.start_direct and mentor.send_message';

-- Support groups (seed 004 supportGroups, groupMemberships): anyone may start
-- one and join it; member_count and last_active are kept by the membership
-- triggers, which lock the group row, so racing joins count exactly and a
-- full group refuses the next one.
CREATE TABLE support_groups (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name         text NOT NULL CONSTRAINT support_groups_name_length CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    description  text,
    category     text,
    capacity     integer CONSTRAINT support_groups_capacity_positive CHECK (capacity > 0),
    member_count integer NOT NULL DEFAULT 0,
    last_active  timestamptz,
    created_by   bigint REFERENCES users ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE support_groups IS
    'Peer support groups (seed 004): anyone reads them; their creator edits them; people join through group_memberships';
COMMENT ON COLUMN support_groups.capacity IS 'At most this many members (NULL: no limit); a join past it is MN004';
COMMENT ON COLUMN support_groups.member_count IS 'How many members (kept by trigger, exact under concurrent joins)';
COMMENT ON COLUMN support_groups.last_active IS 'When someone last joined or left (kept by trigger)';
CREATE TRIGGER support_groups_touch_updated_at BEFORE UPDATE ON support_groups
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER support_groups_owned_columns BEFORE INSERT OR UPDATE OF member_count, last_active ON support_groups
    FOR EACH ROW
    EXECUTE FUNCTION _keep_owned_columns('member_count and last_active follow the memberships; leave them out.',
                                         'member_count', 'last_active');

CREATE TABLE group_memberships (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    group_id   bigint NOT NULL REFERENCES support_groups ON DELETE CASCADE,
    user_id    bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    role       text NOT NULL DEFAULT 'member' CONSTRAINT group_memberships_role CHECK (role IN ('member', 'moderator')),
    joined_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT group_memberships_once UNIQUE (group_id, user_id)
);
COMMENT ON TABLE group_memberships IS
    'Who is in a support group: each user joins and leaves as themselves (row-level security); once per group';
CREATE INDEX group_memberships_user_idx ON group_memberships (user_id);

CREATE FUNCTION _group_memberships_count() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    g support_groups;
BEGIN
    IF TG_OP = 'INSERT' THEN
        -- The group row's lock orders racing joins: each sees the count the one before left.
        SELECT * INTO g FROM support_groups x WHERE x.id = NEW.group_id FOR UPDATE;
        IF g.capacity IS NOT NULL AND g.member_count >= g.capacity THEN
            RAISE EXCEPTION 'support group % is full', NEW.group_id USING ERRCODE = 'MN004',
                DETAIL = format('It has %s of %s places taken.', g.member_count, g.capacity);
        END IF;
        UPDATE support_groups x SET member_count = x.member_count + 1, last_active = now() WHERE x.id = NEW.group_id;
        RETURN NEW;
    END IF;
    UPDATE support_groups x SET member_count = x.member_count - 1, last_active = now() WHERE x.id = OLD.group_id;
    RETURN OLD;
END
$$;
COMMENT ON FUNCTION _group_memberships_count() IS
    'Internal: a join checks the group''s capacity (MN004) and counts itself, a leave uncounts itself, under the group row''s lock';
CREATE TRIGGER group_memberships_join BEFORE INSERT ON group_memberships
    FOR EACH ROW EXECUTE FUNCTION _group_memberships_count();
CREATE TRIGGER group_memberships_leave AFTER DELETE ON group_memberships
    FOR EACH ROW EXECUTE FUNCTION _group_memberships_count();

ALTER TABLE support_groups ENABLE ROW LEVEL SECURITY;
CREATE POLICY support_groups_select ON support_groups FOR SELECT TO mentor_app USING (true);
CREATE POLICY support_groups_insert ON support_groups FOR INSERT TO mentor_app
    WITH CHECK (created_by = @extschema@.current_actor());
CREATE POLICY support_groups_update ON support_groups FOR UPDATE TO mentor_app
    USING (created_by = @extschema@.current_actor()) WITH CHECK (created_by = @extschema@.current_actor());
CREATE POLICY support_groups_delete ON support_groups FOR DELETE TO mentor_app
    USING (created_by = @extschema@.current_actor());
ALTER TABLE group_memberships ENABLE ROW LEVEL SECURITY;
CREATE POLICY group_memberships_select ON group_memberships FOR SELECT TO mentor_app USING (true);
CREATE POLICY group_memberships_insert ON group_memberships FOR INSERT TO mentor_app
    WITH CHECK (user_id = @extschema@.current_actor() AND role = 'member');
CREATE POLICY group_memberships_update ON group_memberships FOR UPDATE TO mentor_app USING (false);
CREATE POLICY group_memberships_delete ON group_memberships FOR DELETE TO mentor_app
    USING (user_id = @extschema@.current_actor());
