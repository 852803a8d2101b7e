--------------------------------------------------------------------------------
-- Module notify, the extension's own events: triggers on the tables whose
-- changes people are told about record them through mentor.notify(), in the
-- same transaction.  Each event is a shipped type (notification_types): a
-- deployment that does not want one disables it there.  Dedupe keys name the
-- event, so a step replayed (an idempotent retry) tells nobody twice.
--------------------------------------------------------------------------------

CREATE FUNCTION _notify_session() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    k     text := 'session:' || NEW.id || ':';
    who   bigint[] := '{}';
    what  text[] := '{}';
    keys  text[] := '{}';
    event text;
BEGIN
    IF TG_OP = 'INSERT' OR OLD.mentee_id IS NULL THEN
        who := who || NEW.mentor_id; what := what || 'session.booked'::text; keys := keys || (k || 'booked');
    END IF;
    -- A confirmation tells the mentee; the mentor too when it answers her
    -- proposal (otherwise the mentor confirmed, or was told of the booking).
    IF NEW.status = 'confirmed' AND (TG_OP = 'INSERT' OR OLD.status NOT IN ('confirmed', 'rescheduled')) THEN
        who := who || NEW.mentee_id; what := what || 'session.confirmed'::text; keys := keys || (k || 'confirmed');
        IF TG_OP = 'UPDATE' AND OLD.status = 'proposed' THEN
            who := who || NEW.mentor_id; what := what || 'session.confirmed'::text; keys := keys || (k || 'confirmed');
        END IF;
    ELSIF TG_OP = 'UPDATE' AND NEW.status = 'cancelled' AND OLD.status <> 'cancelled' THEN
        event := 'cancelled';
    ELSIF TG_OP = 'UPDATE' AND OLD.mentee_id IS NOT NULL AND NEW.during <> OLD.during THEN
        event := 'rescheduled';
        k := k || lower(NEW.during) || ':';
    END IF;
    IF event IS NOT NULL THEN
        who := who || ARRAY[NEW.mentor_id, NEW.mentee_id];
        what := what || ARRAY['session.' || event, 'session.' || event];
        keys := keys || ARRAY[k || event, k || event];
    END IF;
    IF cardinality(who) > 0 THEN
        PERFORM _notify_each(who, what,
                             jsonb_build_object('session_id', NEW.id, 'mentor_id', NEW.mentor_id, 'mentee_id', NEW.mentee_id,
                                                'starts_at', lower(NEW.during), 'ends_at', upper(NEW.during),
                                                'title', NEW.title, 'status', NEW.status),
                             keys);
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION _notify_session() IS
    'Internal: notifies session.booked (the mentor), session.confirmed (the mentee; the mentor too when the mentee '
    'accepted a proposal), session.rescheduled and session.cancelled (both participants)';
CREATE TRIGGER sessions_notify_insert AFTER INSERT ON sessions
    FOR EACH ROW WHEN (NEW.mentee_id IS NOT NULL) EXECUTE FUNCTION _notify_session();
CREATE TRIGGER sessions_notify_update AFTER UPDATE OF status, mentee_id, during ON sessions
    FOR EACH ROW WHEN (NEW.mentee_id IS NOT NULL AND (OLD.status IS DISTINCT FROM NEW.status
                       OR OLD.mentee_id IS DISTINCT FROM NEW.mentee_id OR OLD.during IS DISTINCT FROM NEW.during))
    EXECUTE FUNCTION _notify_session();

CREATE FUNCTION _notify_mentorship() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    p jsonb := jsonb_build_object('mentorship_id', NEW.id, 'mentor_id', NEW.mentor_id, 'mentee_id', NEW.mentee_id,
                                  'goal', NEW.goal);
BEGIN
    IF TG_OP = 'INSERT' AND NEW.status = 'pending' THEN
        PERFORM notify(NEW.mentor_id, 'mentorship.requested', p, 'mentorship:' || NEW.id || ':requested');
    ELSIF NEW.status = 'active' AND (TG_OP = 'INSERT' OR OLD.status <> 'active') THEN
        PERFORM notify(NEW.mentee_id, 'mentorship.accepted', p, 'mentorship:' || NEW.id || ':accepted');
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION _notify_mentorship() IS
    'Internal: notifies mentorship.requested (the mentor) and mentorship.accepted (the mentee)';
CREATE TRIGGER mentorships_notify_insert AFTER INSERT ON mentorships
    FOR EACH ROW EXECUTE FUNCTION _notify_mentorship();
CREATE TRIGGER mentorships_notify_update AFTER UPDATE OF status ON mentorships
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION _notify_mentorship();

CREATE FUNCTION _notify_review() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    s sessions;
BEGIN
    SELECT * INTO s FROM sessions t WHERE t.id = NEW.session_id;
    PERFORM notify(CASE WHEN NEW.author_id = s.mentor_id THEN s.mentee_id ELSE s.mentor_id END, 'review.received',
                   jsonb_build_object('session_id', s.id, 'author_id', NEW.author_id, 'rating', NEW.rating,
                                      'feedback_id', NEW.id),
                   'session_feedback:' || NEW.id);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION _notify_review() IS 'Internal: notifies review.received to the participant a session''s feedback rates';
CREATE TRIGGER session_feedback_notify AFTER INSERT ON session_feedback
    FOR EACH ROW EXECUTE FUNCTION _notify_review();

CREATE FUNCTION _notify_registration() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM notify(NEW.user_id, 'course.registration_approved',
                   jsonb_build_object('registration_id', NEW.id, 'course_id', NEW.course_id, 'kind', NEW.kind,
                                      'course_name', (SELECT c.name FROM courses c WHERE c.id = NEW.course_id)),
                   'registration:' || NEW.id || ':approved');
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION _notify_registration() IS 'Internal: notifies course.registration_approved to the applicant';
CREATE TRIGGER registries_notify_insert AFTER INSERT ON registries
    FOR EACH ROW WHEN (NEW.status = 'approved') EXECUTE FUNCTION _notify_registration();
CREATE TRIGGER registries_notify_update AFTER UPDATE OF status ON registries
    FOR EACH ROW WHEN (NEW.status = 'approved' AND OLD.status IS DISTINCT FROM 'approved')
    EXECUTE FUNCTION _notify_registration();

-- A member who is not reading: one notification per unread streak, keyed by
-- the streak's first unread message, so a burst of messages tells once.
CREATE FUNCTION _notify_message() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    m         mentorships;
    recipient bigint;
    first     bigint;
BEGIN
    SELECT * INTO m FROM mentorships t WHERE t.id = NEW.mentorship_id;
    recipient := CASE WHEN NEW.sender_id = m.mentor_id THEN m.mentee_id ELSE m.mentor_id END;
    SELECT min(x.id) INTO first FROM mentorship_messages x
     WHERE x.mentorship_id = NEW.mentorship_id AND x.sender_id <> recipient AND x.read_at IS NULL;
    PERFORM notify(recipient, 'message.received',
                   jsonb_build_object('mentorship_id', m.id, 'sender_id', NEW.sender_id, 'message_id', NEW.id),
                   'mentorship_message:' || m.id || ':' || coalesce(first, NEW.id));
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION _notify_message() IS
    'Internal: notifies message.received to the other participant of a mentorship, once per streak of unread messages';
CREATE TRIGGER mentorship_messages_notify AFTER INSERT ON mentorship_messages
    FOR EACH ROW EXECUTE FUNCTION _notify_message();

-- The same for conversations (module community): each other member, keyed by
-- the first message that member has not read.
CREATE FUNCTION _notify_conversation_message() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM _notify_each(array_agg(m.user_id), array_agg('message.received'::text),
                         jsonb_build_object('conversation_id', NEW.conversation_id, 'sender_id', NEW.sender_id,
                                            'message_id', NEW.id),
                         array_agg('conversation:' || NEW.conversation_id || ':' || m.user_id || ':'
                                   || (SELECT min(x.id) FROM messages x WHERE x.conversation_id = m.conversation_id
                                          AND x.id > m.last_read_message_id AND x.sender_id IS DISTINCT FROM m.user_id)))
      FROM conversation_members m
     WHERE m.conversation_id = NEW.conversation_id AND m.user_id IS DISTINCT FROM NEW.sender_id
       -- a member already in a streak was told at its first message: nothing to look up
       AND NOT EXISTS (SELECT 1 FROM messages x WHERE x.conversation_id = m.conversation_id
                          AND x.id > m.last_read_message_id AND x.id < NEW.id AND x.sender_id IS DISTINCT FROM m.user_id)
    HAVING count(*) > 0;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION _notify_conversation_message() IS
    'Internal: notifies message.received to the other members of a conversation, once per streak of unread messages '
    '(the body is not in the notification)';
CREATE TRIGGER messages_notify AFTER INSERT ON messages
    FOR EACH ROW EXECUTE FUNCTION _notify_conversation_message();

