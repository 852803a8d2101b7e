--------------------------------------------------------------------------------
-- Module mentorship (design.md section 7; seeds 002, 004): mentor profiles
-- with capacity, mentorships under their lifecycle, goals, private notes,
-- action items and messages.
--------------------------------------------------------------------------------

CREATE TYPE mentorship_status AS ENUM ('pending', 'active', 'completed', 'rejected', 'cancelled');
COMMENT ON TYPE mentorship_status IS 'Mentorship status (lifecycle "mentorship")';
CREATE TYPE action_item_status AS ENUM ('pending', 'in_progress', 'completed');
COMMENT ON TYPE action_item_status IS 'Action item status (lifecycle "action_item")';

CREATE TABLE mentor_profiles (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id              bigint NOT NULL UNIQUE REFERENCES users ON DELETE CASCADE,
    headline             text,
    bio                  text,
    price_tokens         bigint NOT NULL DEFAULT 0 CONSTRAINT mentor_profiles_price_nonneg CHECK (price_tokens >= 0),
    max_mentees          integer NOT NULL DEFAULT 3 CONSTRAINT mentor_profiles_max_mentees_nonneg CHECK (max_mentees >= 0),
    accepting            boolean NOT NULL DEFAULT true,
    supports_new_mothers boolean NOT NULL DEFAULT false,
    availability         @extschema@.availability,
    rating_avg           numeric(3,2) CONSTRAINT mentor_profiles_rating_range CHECK (rating_avg BETWEEN 1 AND 5),
    rating_count         integer NOT NULL DEFAULT 0 CONSTRAINT mentor_profiles_rating_count_nonneg CHECK (rating_count >= 0),
    active_mentees       integer NOT NULL DEFAULT 0 CONSTRAINT mentor_profiles_active_nonneg CHECK (active_mentees >= 0),
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE mentor_profiles IS 'A user''s offer as a mentor: price, capacity, availability and ratings';
COMMENT ON COLUMN mentor_profiles.price_tokens IS 'Price of one session in tokens (0: free)';
COMMENT ON COLUMN mentor_profiles.max_mentees IS 'Active mentorships at most; activating one more fails with MN004';
COMMENT ON COLUMN mentor_profiles.accepting IS 'Takes new mentorship requests';
COMMENT ON COLUMN mentor_profiles.supports_new_mothers IS 'Supports mothers returning to work (program flag of seed 004)';
COMMENT ON COLUMN mentor_profiles.availability IS 'Weekly availability in the mentor''s time zone';
COMMENT ON COLUMN mentor_profiles.rating_avg IS 'Mean rating mentees gave after completed sessions (kept by trigger)';
COMMENT ON COLUMN mentor_profiles.rating_count IS 'Number of those ratings';
COMMENT ON COLUMN mentor_profiles.active_mentees IS 'Active mentorships, kept by trigger';
CREATE TRIGGER mentor_profiles_touch_updated_at BEFORE UPDATE ON mentor_profiles
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
-- Ratings follow session_feedback and active_mentees follows mentorships; nobody else writes them.
CREATE TRIGGER mentor_profiles_owned_columns BEFORE INSERT OR UPDATE OF rating_avg, rating_count, active_mentees
    ON mentor_profiles FOR EACH ROW
    EXECUTE FUNCTION _keep_owned_columns('Ratings follow mentor.session_feedback and active_mentees follows '
                                         'mentor.mentorships; leave these columns out.',
                                         'rating_avg', 'rating_count', 'active_mentees');

-- One source of truth for a mentor's capacity: mentor_profiles enforces it (max_mentees,
-- active_mentees under the profile lock); the same figures in profiles (seed 004's
-- max_mentee_capacity, current_mentee_count, accepting_new_mentees, supports_new_mothers)
-- follow it, and a change made there is carried over to mentor_profiles.
CREATE FUNCTION _mentor_capacity_to_profile() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    UPDATE profiles p SET max_mentee_capacity = NEW.max_mentees, current_mentee_count = NEW.active_mentees,
           accepting_new_mentees = NEW.accepting, supports_new_mothers = NEW.supports_new_mothers
     WHERE p.user_id = NEW.user_id
       AND (p.max_mentee_capacity, p.current_mentee_count, p.accepting_new_mentees, p.supports_new_mothers)
           IS DISTINCT FROM (NEW.max_mentees, NEW.active_mentees, NEW.accepting, NEW.supports_new_mothers);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION _mentor_capacity_to_profile() IS
    'Internal: copies a mentor''s enforced capacity, count and flags from mentor_profiles into profiles';
CREATE TRIGGER mentor_profiles_capacity_to_profile
    AFTER INSERT OR UPDATE OF max_mentees, active_mentees, accepting, supports_new_mothers ON mentor_profiles
    FOR EACH ROW EXECUTE FUNCTION _mentor_capacity_to_profile();

CREATE FUNCTION _profile_capacity_to_mentor() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    UPDATE mentor_profiles m SET max_mentees = NEW.max_mentee_capacity, accepting = NEW.accepting_new_mentees,
           supports_new_mothers = NEW.supports_new_mothers
     WHERE m.user_id = NEW.user_id
       AND (m.max_mentees, m.accepting, m.supports_new_mothers)
           IS DISTINCT FROM (NEW.max_mentee_capacity, NEW.accepting_new_mentees, NEW.supports_new_mothers);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION _profile_capacity_to_mentor() IS
    'Internal: carries a capacity or flag set in profiles over to the mentor''s mentor_profiles row, which enforces it';
CREATE TRIGGER profiles_capacity_to_mentor
    AFTER UPDATE OF max_mentee_capacity, accepting_new_mentees, supports_new_mothers ON profiles
    FOR EACH ROW EXECUTE FUNCTION _profile_capacity_to_mentor();
CREATE TRIGGER profiles_owned_columns BEFORE INSERT OR UPDATE OF current_mentee_count ON profiles
    FOR EACH ROW
    EXECUTE FUNCTION _keep_owned_columns('current_mentee_count follows the mentor''s active mentorships (mentor_profiles.active_mentees).',
                                         'current_mentee_count');

CREATE TABLE mentorships (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    mentor_id   bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    mentee_id   bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    status      @extschema@.mentorship_status NOT NULL DEFAULT 'pending',
    goal        text,
    approved_by bigint REFERENCES users ON DELETE SET NULL,
    started_at  timestamptz,
    ended_at    timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT mentorships_not_self CHECK (mentor_id <> mentee_id)
);
COMMENT ON TABLE mentorships IS
    'A mentor and a mentee: pending -> active -> completed, or rejected / cancelled (lifecycle "mentorship")';
COMMENT ON COLUMN mentorships.approved_by IS 'Administrator who approved it, for programs that need approval';
COMMENT ON COLUMN mentorships.started_at IS 'Set when it becomes active';
COMMENT ON COLUMN mentorships.ended_at IS 'Set when it is completed, rejected or cancelled';
-- No second live mentorship for the same pair.
CREATE UNIQUE INDEX mentorships_one_live_per_pair ON mentorships (mentor_id, mentee_id)
    WHERE status IN ('pending', 'active');
CREATE INDEX mentorships_mentee_idx ON mentorships (mentee_id);
CREATE TRIGGER mentorships_touch_updated_at BEFORE UPDATE ON mentorships
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
SELECT attach_lifecycle('mentorships', 'status', 'mentorship');

-- Why lock the profile row: many activations racing for the last place
-- would each count the same active mentorships; the lock makes them count
-- in turn, and only the mentor's row is locked, not the table.
CREATE FUNCTION _mentorships_activate() RETURNS trigger
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    prof mentor_profiles;
    busy integer;
BEGIN
    IF NEW.status = 'active' AND (TG_OP = 'INSERT' OR OLD.status <> 'active') THEN
        SELECT * INTO prof FROM mentor_profiles p WHERE p.user_id = NEW.mentor_id FOR UPDATE;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'user % has no mentor profile', NEW.mentor_id
                USING ERRCODE = 'MN006', HINT = 'Create a row in mentor.mentor_profiles first.';
        END IF;
        SELECT count(*) INTO busy FROM mentorships m
         WHERE m.mentor_id = NEW.mentor_id AND m.status = 'active' AND m.id <> NEW.id;
        IF busy >= prof.max_mentees THEN
            RAISE EXCEPTION 'mentor % already has % active mentees', NEW.mentor_id, busy
                USING ERRCODE = 'MN004',
                      DETAIL = format('Mentorship %s cannot start: max_mentees is %s.', NEW.id, prof.max_mentees),
                      HINT = 'Complete or cancel another mentorship, or raise mentor_profiles.max_mentees.';
        END IF;
        NEW.started_at := coalesce(NEW.started_at, now());
    END IF;
    IF NEW.status IN ('completed', 'rejected', 'cancelled') AND (TG_OP = 'INSERT' OR OLD.status <> NEW.status) THEN
        NEW.ended_at := coalesce(NEW.ended_at, now());
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION _mentorships_activate() IS
    'Internal: keeps a mentor within max_mentees when a mentorship becomes active (MN004) and stamps start and end';
CREATE TRIGGER mentorships_activate BEFORE INSERT OR UPDATE OF status ON mentorships
    FOR EACH ROW EXECUTE FUNCTION _mentorships_activate();

CREATE FUNCTION _mentorships_count_active() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.status = 'active' THEN
        UPDATE mentor_profiles p SET active_mentees = p.active_mentees - 1 WHERE p.user_id = OLD.mentor_id;
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.status = 'active' THEN
        UPDATE mentor_profiles p SET active_mentees = p.active_mentees + 1 WHERE p.user_id = NEW.mentor_id;
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION _mentorships_count_active() IS 'Internal: keeps mentor_profiles.active_mentees equal to the active mentorships';
CREATE TRIGGER mentorships_count_active AFTER INSERT OR DELETE OR UPDATE OF status, mentor_id ON mentorships
    FOR EACH ROW EXECUTE FUNCTION _mentorships_count_active();

-- Mentorship steps by the people they belong to (the acting user): the mentor
-- (or staff) accepts or rejects a request, either participant (or staff)
-- completes or cancels it.  Activation keeps the mentor within max_mentees
-- (MN004, under the profile lock of _mentorships_activate).
CREATE FUNCTION _mentorship_step(mentorship_id bigint, to_status mentorship_status, by_mentor_only boolean) RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    m     mentorships;
    actor bigint := current_actor();
BEGIN
    SELECT * INTO m FROM mentorships x WHERE x.id = _mentorship_step.mentorship_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'mentorship % does not exist', coalesce(mentorship_id::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
    IF actor IS NULL OR NOT (actor = m.mentor_id OR (actor = m.mentee_id AND NOT by_mentor_only) OR _is_staff(actor)) THEN
        RAISE EXCEPTION 'user % may not make mentorship % %', coalesce(actor::text, '(no actor)'), m.id, to_status
            USING ERRCODE = 'MN005',
                  DETAIL = format('Mentorship %s: mentor %s, mentee %s.', m.id, m.mentor_id, m.mentee_id),
                  HINT = CASE WHEN by_mentor_only THEN 'The mentor (or staff) decides; call mentor.set_actor(mentor_id) first.'
                              ELSE 'A participant (or staff) does; call mentor.set_actor(user_id) first.' END;
    END IF;
    IF m.status = to_status THEN
        RETURN m.id;
    END IF;
    UPDATE mentorships x SET status = to_status,
           approved_by = CASE WHEN to_status = 'active' AND _is_staff(actor) THEN actor ELSE x.approved_by END
     WHERE x.id = m.id;
    RETURN m.id;
END
$$;
COMMENT ON FUNCTION _mentorship_step(bigint, mentorship_status, boolean) IS
    'Internal: moves a mentorship to a status for the acting user (MN005 for anyone not allowed, MN001 off its lifecycle)';

CREATE FUNCTION activate_mentorship(mentorship_id bigint) RETURNS bigint
LANGUAGE sql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$ SELECT @extschema@._mentorship_step(mentorship_id, 'active', true) $$;
COMMENT ON FUNCTION activate_mentorship(bigint) IS
    'The mentor (or staff) accepts a mentorship request: it becomes active within the mentor''s max_mentees (MN004)';

CREATE FUNCTION reject_mentorship(mentorship_id bigint) RETURNS bigint
LANGUAGE sql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$ SELECT @extschema@._mentorship_step(mentorship_id, 'rejected', true) $$;
COMMENT ON FUNCTION reject_mentorship(bigint) IS 'The mentor (or staff) turns a mentorship request down';

CREATE FUNCTION complete_mentorship(mentorship_id bigint) RETURNS bigint
LANGUAGE sql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$ SELECT @extschema@._mentorship_step(mentorship_id, 'completed', false) $$;
COMMENT ON FUNCTION complete_mentorship(bigint) IS 'A participant (or staff) completes an active mentorship';

CREATE FUNCTION cancel_mentorship(mentorship_id bigint) RETURNS bigint
LANGUAGE sql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$ SELECT @extschema@._mentorship_step(mentorship_id, 'cancelled', false) $$;
COMMENT ON FUNCTION cancel_mentorship(bigint) IS 'A participant (or staff) cancels a pending or active mentorship';

-- Who moves a mentorship is checked by the functions above; its status and stamps are theirs.
CREATE TRIGGER mentorships_owned_columns BEFORE UPDATE OF status, started_at, ended_at, approved_by ON mentorships
    FOR EACH ROW
    EXECUTE FUNCTION _keep_owned_columns('A mentorship moves through mentor.activate_mentorship, reject_mentorship, '
                                         'complete_mentorship and cancel_mentorship, which check who acts.',
                                         'status', 'started_at', 'ended_at', 'approved_by');

-- Whether the acting user takes part in a mentorship (row-level security).
CREATE FUNCTION _in_mentorship(mentorship_id bigint) RETURNS boolean
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
SELECT EXISTS (SELECT 1 FROM mentorships m WHERE m.id = _in_mentorship.mentorship_id
                  AND current_actor() IN (m.mentor_id, m.mentee_id))
$$;
COMMENT ON FUNCTION _in_mentorship(bigint) IS 'Internal: the acting user is the mentor or the mentee of the mentorship';

CREATE TABLE mentorship_goals (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    mentorship_id bigint NOT NULL REFERENCES mentorships ON DELETE CASCADE,
    title         text NOT NULL CONSTRAINT mentorship_goals_title_length CHECK (length(btrim(title)) BETWEEN 1 AND 300),
    description   text,
    target_date   date,
    achieved_at   timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE mentorship_goals IS 'Goals of a mentorship (seed 002)';
COMMENT ON COLUMN mentorship_goals.achieved_at IS 'When the goal was reached (NULL: open)';
CREATE TRIGGER mentorship_goals_touch_updated_at BEFORE UPDATE ON mentorship_goals
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE mentorship_notes (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    mentorship_id bigint REFERENCES mentorships ON DELETE CASCADE,
    author_id     bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    body          text NOT NULL CONSTRAINT mentorship_notes_body_length CHECK (length(btrim(body)) BETWEEN 1 AND 20000),
    shared        boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE mentorship_notes IS
    'Notes on a mentorship; private to their author unless shared with the other participant (row-level security)';
COMMENT ON COLUMN mentorship_notes.shared IS 'Visible to the other participant of the mentorship';
CREATE INDEX mentorship_notes_mentorship_idx ON mentorship_notes (mentorship_id);
CREATE TRIGGER mentorship_notes_touch_updated_at BEFORE UPDATE ON mentorship_notes
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE action_items (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    mentorship_id bigint REFERENCES mentorships ON DELETE CASCADE,
    assignee_id   bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    creator_id    bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    title         text NOT NULL CONSTRAINT action_items_title_length CHECK (length(btrim(title)) BETWEEN 1 AND 300),
    status        @extschema@.action_item_status NOT NULL DEFAULT 'pending',
    completed_at  timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE action_items IS
    'Tasks agreed in a mentorship or a session (seed 004): pending -> in_progress -> completed; participants only';
CREATE INDEX action_items_assignee_idx ON action_items (assignee_id, status);
CREATE TRIGGER action_items_touch_updated_at BEFORE UPDATE ON action_items
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
SELECT attach_lifecycle('action_items', 'status', 'action_item');

CREATE TABLE mentorship_messages (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    mentorship_id bigint NOT NULL REFERENCES mentorships ON DELETE CASCADE,
    sender_id     bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    body          text NOT NULL CONSTRAINT mentorship_messages_body_length CHECK (length(btrim(body)) BETWEEN 1 AND 20000),
    read_at       timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE mentorship_messages IS 'Messages between the mentor and the mentee (seed 002); participants only';
CREATE INDEX mentorship_messages_mentorship_idx ON mentorship_messages (mentorship_id, created_at);

-- Private rows, one policy per command.  Through mentor_app a note is read by
-- its author and, when shared, by the other participant, and written and
-- deleted by its author only; a message is read by both participants, sent as
-- oneself, edited and deleted by its sender; the recipient marks it read
-- through mark_messages_read(), since read_at is nobody else's to write.
ALTER TABLE mentorship_notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY mentorship_notes_select ON mentorship_notes FOR SELECT TO mentor_app
    USING (author_id = @extschema@.current_actor() OR (shared AND @extschema@._in_mentorship(mentorship_id)));
CREATE POLICY mentorship_notes_insert ON mentorship_notes FOR INSERT TO mentor_app
    WITH CHECK (author_id = @extschema@.current_actor() AND @extschema@._in_mentorship(mentorship_id));
CREATE POLICY mentorship_notes_update ON mentorship_notes FOR UPDATE TO mentor_app
    USING (author_id = @extschema@.current_actor())
    WITH CHECK (author_id = @extschema@.current_actor() AND @extschema@._in_mentorship(mentorship_id));
CREATE POLICY mentorship_notes_delete ON mentorship_notes FOR DELETE TO mentor_app
    USING (author_id = @extschema@.current_actor());

ALTER TABLE mentorship_messages ENABLE ROW LEVEL SECURITY;
CREATE POLICY mentorship_messages_select ON mentorship_messages FOR SELECT TO mentor_app
    USING (@extschema@._in_mentorship(mentorship_id));
CREATE POLICY mentorship_messages_insert ON mentorship_messages FOR INSERT TO mentor_app
    WITH CHECK (sender_id = @extschema@.current_actor() AND @extschema@._in_mentorship(mentorship_id));
CREATE POLICY mentorship_messages_update ON mentorship_messages FOR UPDATE TO mentor_app
    USING (sender_id = @extschema@.current_actor())
    WITH CHECK (sender_id = @extschema@.current_actor() AND @extschema@._in_mentorship(mentorship_id));
CREATE POLICY mentorship_messages_delete ON mentorship_messages FOR DELETE TO mentor_app
    USING (sender_id = @extschema@.current_actor());
CREATE TRIGGER mentorship_messages_owned_columns BEFORE INSERT OR UPDATE OF read_at ON mentorship_messages
    FOR EACH ROW
    EXECUTE FUNCTION _keep_owned_columns('The recipient marks messages read with mentor.mark_messages_read(mentorship_id).',
                                         'read_at');

CREATE FUNCTION mark_messages_read(mentorship_id bigint, up_to timestamptz DEFAULT now()) RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    reader bigint := current_actor();
    n      integer;
BEGIN
    IF reader IS NULL OR NOT _in_mentorship(mark_messages_read.mentorship_id) THEN
        RAISE EXCEPTION 'user % is not a participant of mentorship %', coalesce(reader::text, '(no actor)'), mentorship_id
            USING ERRCODE = 'MN005',
                  HINT = 'Call mentor.set_actor(user_id) with the mentor or the mentee of the mentorship first.';
    END IF;
    UPDATE mentorship_messages m SET read_at = now()
     WHERE m.mentorship_id = mark_messages_read.mentorship_id AND m.sender_id <> reader
       AND m.read_at IS NULL AND m.created_at <= up_to;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
COMMENT ON FUNCTION mark_messages_read(bigint, timestamptz) IS
    'The acting user has read the other participant''s messages of a mentorship sent up to up_to: stamps their '
    'read_at (the only way read_at is set) and returns how many; MN005 for anyone but the two participants';

SELECT _enable_history_shipped('mentor_profiles');
SELECT _enable_history_shipped('mentorships');
SELECT _enable_history_shipped('mentorship_goals');
SELECT _enable_history_shipped('mentorship_notes', ARRAY['body']);   -- private text stays out of history
SELECT _enable_history_shipped('action_items');
SELECT _enable_history_shipped('mentorship_messages', ARRAY['body']);
