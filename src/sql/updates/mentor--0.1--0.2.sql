-- mentor 0.1 -> 0.2.  Every schema change made after the 0.1 release goes here
-- as well as into its module file (src/sql/NN_module.sql), in the order it was
-- made, so that `ALTER EXTENSION mentor UPDATE` turns a 0.1 database into what
-- a fresh 0.2 install is, keeping every row.  test/scripts/upgrade.sh compares
-- the two catalogs object by object and fails on any difference.
\echo Use "ALTER EXTENSION mentor UPDATE TO '0.2'" to load this file. \quit

-- Lock what this update alters before altering anything, in the order bookings
-- take these tables (sessions, then users; the course school's courses, students,
-- tasks and results; settings are read last), so that the
-- update waits for running requests and they wait for it, rather than
-- deadlocking half way.
LOCK TABLE sessions, users, profiles, mentor_profiles, teams, mentorships, matches, mentorship_notes, action_items,
    courses, students, course_tasks, task_results, settings IN ACCESS EXCLUSIVE MODE;

-- Lifecycles the platforms' own code can follow: the journeys' shortcuts in
-- candidate (journey 4) and pap_workflow (journey 6), and the lead lifecycle.
-- Re-shipping replaces the shipped definitions only; a database's own
-- definitions of the same names (define_lifecycle) stay in force.
SELECT _ship_lifecycle('candidate', ARRAY[
    ['[*]', 'resume_received'],
    ['resume_received', 'resume_parsed'],
    ['resume_parsed', 'outreach_sent'],
    ['outreach_sent', 'quiz_invited'],
    ['quiz_invited', 'quiz_completed'],
    ['quiz_completed', 'voice_interview_scheduled'],
    ['voice_interview_scheduled', 'voice_interview_completed'],
    ['voice_interview_completed', 'scoring_complete'],
    ['scoring_complete', 'shortlisted'],
    ['scoring_complete', 'talent_pool'],
    ['shortlisted', '[*]'],
    ['talent_pool', '[*]'],
    ['resume_parsed', 'scoring_complete']], true);
SELECT _ship_lifecycle('pap_workflow', ARRAY[
    ['[*]', 'pending_mou_details'],
    ['pending_mou_details', 'pending_mou_upload'],
    ['pending_mou_upload', 'pending_mou_review'],
    ['pending_mou_review', 'mou_signed_approved'],
    ['mou_signed_approved', 'pending_payment_option'],
    ['pending_payment_option', 'pending_pap_approval'],
    ['pending_payment_option', 'pending_upfront_payment'],
    ['pending_pap_approval', 'enrolled'],
    ['pending_upfront_payment', 'enrolled'],
    ['enrolled', 'placement_under_review'],
    ['placement_under_review', 'payment_collection_pending'],
    ['payment_collection_pending', '[*]'],
    ['pending_mou_details', 'pending_mou_review'],
    ['mou_signed_approved', 'pending_pap_approval'],
    ['mou_signed_approved', 'pending_upfront_payment']], true);
SELECT _ship_lifecycle('lead', ARRAY[
    ['[*]', 'active'],
    ['active', 'archived'],
    ['archived', 'active'],
    ['active', 'deleted'],
    ['archived', 'deleted'],
    ['deleted', '[*]']], true);

-- Roles as the platforms write them, and what they mean to the extension's checks
-- (compared as text, so this same transaction may add the labels and use them).
ALTER TYPE platform_role ADD VALUE 'mentee';
ALTER TYPE platform_role ADD VALUE 'expert';
ALTER TYPE platform_role ADD VALUE 'superadmin';
ALTER TYPE platform_role ADD VALUE 'new_mother';
COMMENT ON TYPE platform_role IS
    'Platform-wide role, as the platforms write it: user, mentee, new_mother (members); mentor, expert (may mentor); '
    'admin, owner, superadmin (staff); sales. mentor._role_class() says which class a role is in';

-- What a platform role means to the extension's own checks.  Compared as text, so that
-- roles added to the enum by an update are usable in the same update.
CREATE FUNCTION _role_class(role platform_role) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
SELECT CASE role::text WHEN 'admin' THEN 'staff' WHEN 'owner' THEN 'staff' WHEN 'superadmin' THEN 'staff'
                       WHEN 'mentor' THEN 'mentor' WHEN 'expert' THEN 'mentor' ELSE 'member' END
$$;
COMMENT ON FUNCTION _role_class(platform_role) IS
    'Internal: staff (admin, owner, superadmin), mentor (mentor, expert) or member (every other role)';

ALTER TABLE users ADD COLUMN password_changed_at timestamptz;
COMMENT ON COLUMN users.password_changed_at IS 'When password_hash last changed (stamped automatically)';
CREATE FUNCTION _users_stamp_password() RETURNS trigger
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    IF NEW.password_hash IS DISTINCT FROM OLD.password_hash THEN
        NEW.password_changed_at := now();
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION _users_stamp_password() IS 'Internal: stamps users.password_changed_at when the password hash changes';
CREATE TRIGGER users_stamp_password BEFORE UPDATE OF password_hash ON users
    FOR EACH ROW EXECUTE FUNCTION _users_stamp_password();

-- visible_profile, which shows the new roles, is replaced once, near the end (with typed experience).

CREATE OR REPLACE FUNCTION _is_course_staff(course_id bigint, user_id bigint) RETURNS boolean
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
SELECT EXISTS (SELECT 1 FROM users u WHERE u.id = _is_course_staff.user_id AND _role_class(u.role) = 'staff')
    OR EXISTS (SELECT 1 FROM course_users cu
                WHERE cu.course_id = _is_course_staff.course_id AND cu.user_id = _is_course_staff.user_id
                  AND (cu.is_manager OR cu.is_supervisor OR cu.is_task_owner))
$$;

-- A security question and its answer (seed 004), the answer only as a crypt() hash,
-- readable by nobody: set_security_answer stores it, check_security_answer compares.
CREATE TABLE user_security_answers (
    user_id     bigint PRIMARY KEY REFERENCES users ON DELETE CASCADE,
    question    text NOT NULL CONSTRAINT user_security_answers_question_length CHECK (length(btrim(question)) BETWEEN 1 AND 500),
    answer_hash text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE user_security_answers IS
    'A user''s security question and the crypt() hash of its answer; only mentor.set_security_answer and '
    'mentor.check_security_answer touch it';
COMMENT ON COLUMN user_security_answers.answer_hash IS 'crypt() (bcrypt) of the answer, trimmed and lower-cased; never readable';
CREATE TRIGGER user_security_answers_touch_updated_at BEFORE UPDATE ON user_security_answers
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
SELECT pg_catalog.pg_extension_config_dump('user_security_answers', '');

-- pgcrypto's crypt() wherever pgcrypto is installed (CASCADE may have put it in another schema).
-- salt NULL: a new bcrypt salt.
CREATE FUNCTION _crypt(secret text, salt text DEFAULT NULL) RETURNS text
LANGUAGE plpgsql VOLATILE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    nsp text := (SELECT quote_ident(n.nspname) FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
                  WHERE e.extname = 'pgcrypto');
    out text;
BEGIN
    EXECUTE format('SELECT %1$s.crypt($1, coalesce($2, %1$s.gen_salt(''bf'')))', nsp) INTO out USING secret, salt;
    RETURN out;
END
$$;
COMMENT ON FUNCTION _crypt(text, text) IS 'Internal: pgcrypto''s crypt() of secret with salt (a new bcrypt salt when NULL)';

CREATE FUNCTION set_security_answer(user_id bigint, question text, answer text) RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    IF answer IS NULL OR btrim(answer) = '' THEN
        RAISE EXCEPTION 'a security answer must not be empty' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM users u WHERE u.id = set_security_answer.user_id) THEN
        RAISE EXCEPTION 'user % does not exist', user_id USING ERRCODE = 'no_data_found';
    END IF;
    INSERT INTO user_security_answers AS a (user_id, question, answer_hash)
    VALUES (user_id, question, _crypt(lower(btrim(answer))))
    ON CONFLICT ON CONSTRAINT user_security_answers_pkey
    DO UPDATE SET question = EXCLUDED.question, answer_hash = EXCLUDED.answer_hash;
END
$$;
COMMENT ON FUNCTION set_security_answer(bigint, text, text) IS
    'Sets (or replaces) a user''s security question and answer; the answer is kept only as a bcrypt hash';

CREATE FUNCTION check_security_answer(user_id bigint, answer text) RETURNS boolean
LANGUAGE plpgsql VOLATILE
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    h text := (SELECT a.answer_hash FROM user_security_answers a WHERE a.user_id = check_security_answer.user_id);
BEGIN
    RETURN h IS NOT NULL AND answer IS NOT NULL AND h = _crypt(lower(btrim(answer)), h);
END
$$;
COMMENT ON FUNCTION check_security_answer(bigint, text) IS
    'Whether answer (any case, surrounding spaces ignored) is the user''s security answer; false when none is set';
SELECT _enable_history_shipped('user_security_answers', ARRAY['answer_hash']);   -- the hash never enters history
REVOKE ALL ON user_security_answers FROM mentor_app, mentor_admin;
REVOKE EXECUTE ON FUNCTION _crypt(text, text), set_security_answer(bigint, text, text),
    check_security_answer(bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION set_security_answer(bigint, text, text), check_security_answer(bigint, text) TO mentor_app;

-- Actors checked (the module files hold the same definitions): staff, mentorship
-- steps by their participants, suggestions by their mentee, matches by staff.
-- Who is platform staff for the extension's checks (see _role_class): admin, owner, superadmin.
CREATE FUNCTION _is_staff(user_id bigint) RETURNS boolean
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$ SELECT EXISTS (SELECT 1 FROM users u WHERE u.id = _is_staff.user_id AND _role_class(u.role) = 'staff' AND u.active) $$;
COMMENT ON FUNCTION _is_staff(bigint) IS 'Internal: the user is active platform staff (admin, owner, superadmin)';

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

ALTER TABLE matches
    ADD COLUMN decided_at    timestamptz,
    ADD COLUMN reason        text,
    ADD COLUMN mentorship_id bigint REFERENCES mentorships ON DELETE SET NULL;
COMMENT ON COLUMN matches.approved_by IS 'The staff member who approved or rejected it (approve_match, reject_match)';
COMMENT ON COLUMN matches.decided_at IS 'When it was approved or rejected';
COMMENT ON COLUMN matches.reason IS 'Why it was rejected';
COMMENT ON COLUMN matches.mentorship_id IS 'The active mentorship its approval created';
CREATE TRIGGER matches_owned_columns BEFORE INSERT OR UPDATE OF status, approved_by, decided_at, mentorship_id ON matches
    FOR EACH ROW
    EXECUTE FUNCTION _keep_owned_columns('Matches are decided by staff through mentor.approve_match and mentor.reject_match.',
                                         'status', 'approved_by', 'decided_at', 'mentorship_id');

-- MN005 unless the acting user is the suggestion's mentee or staff.
CREATE FUNCTION _require_mentee(sg suggestions) RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    actor bigint := current_actor();
BEGIN
    IF actor IS NULL OR (actor <> sg.mentee_id AND NOT _is_staff(actor)) THEN
        RAISE EXCEPTION 'user % is not the mentee of suggestion %', coalesce(actor::text, '(no actor)'), sg.id
            USING ERRCODE = 'MN005', DETAIL = format('Suggestion %s is for mentee %s.', sg.id, sg.mentee_id),
                  HINT = 'Call mentor.set_actor(mentee_id) first; staff (admins, owners) may act for the mentee.';
    END IF;
END
$$;
COMMENT ON FUNCTION _require_mentee(suggestions) IS 'Internal: MN005 unless the acting user is the mentee or staff';

CREATE OR REPLACE FUNCTION accept_suggestion(suggestion_id bigint) RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    sg suggestions := _lock_suggestion(suggestion_id);
    ms bigint;
BEGIN
    PERFORM _require_mentee(sg);
    IF sg.status <> 'pending' THEN
        RAISE EXCEPTION 'suggestion % is already %', sg.id, sg.status USING ERRCODE = 'MN006';
    END IF;
    INSERT INTO mentorships (mentor_id, mentee_id, goal) VALUES (sg.mentor_id, sg.mentee_id, NULL) RETURNING id INTO ms;
    UPDATE suggestions s SET status = 'accepted', mentorship_id = ms WHERE s.id = sg.id;
    RETURN ms;
END
$$;
COMMENT ON FUNCTION accept_suggestion(bigint) IS
    'The mentee (acting user, or staff) accepts a pending suggestion: a mentorship request (pending) is created and '
    'returned; MN005 for anyone else, MN006 if not pending';

CREATE OR REPLACE FUNCTION decline_suggestion(suggestion_id bigint) RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    sg suggestions := _lock_suggestion(suggestion_id);
BEGIN
    PERFORM _require_mentee(sg);
    IF sg.status <> 'pending' THEN
        RAISE EXCEPTION 'suggestion % is not pending', sg.id USING ERRCODE = 'MN006';
    END IF;
    UPDATE suggestions s SET status = 'declined' WHERE s.id = sg.id;
END
$$;
COMMENT ON FUNCTION decline_suggestion(bigint) IS
    'The mentee (acting user, or staff) declines a pending suggestion; the pair is never suggested again';

-- A staff member (the acting user) decides a cohort match.  Approval creates
-- the mentorship and activates it within the mentor's capacity (MN004 when
-- full, and then nothing is approved); both stamp who decided and when.
CREATE FUNCTION _decide_match(match_id bigint, approve boolean, why text) RETURNS matches
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    mt    matches;
    actor bigint := current_actor();
    ms    bigint;
BEGIN
    IF actor IS NULL OR NOT _is_staff(actor) THEN
        RAISE EXCEPTION 'user % is not staff and may not decide match %', coalesce(actor::text, '(no actor)'), match_id
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Matches are approved by an administrator or owner: call mentor.set_actor(staff_user_id) first.';
    END IF;
    SELECT * INTO mt FROM matches m WHERE m.id = match_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'match % does not exist', coalesce(match_id::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
    IF mt.status <> 'pending' THEN
        RAISE EXCEPTION 'match % is already %', mt.id, mt.status
            USING ERRCODE = 'MN006', HINT = 'A match is decided once.';
    END IF;
    IF approve THEN
        INSERT INTO mentorships (mentor_id, mentee_id, goal) VALUES (mt.mentor_id, mt.mentee_id, mt.goal) RETURNING id INTO ms;
        UPDATE mentorships m SET status = 'active', approved_by = actor WHERE m.id = ms;
    END IF;
    UPDATE matches m SET status = CASE WHEN approve THEN 'approved' ELSE 'rejected' END::match_status,
           approved_by = actor, decided_at = now(), reason = why, mentorship_id = ms
     WHERE m.id = mt.id RETURNING * INTO mt;
    RETURN mt;
END
$$;
COMMENT ON FUNCTION _decide_match(bigint, boolean, text) IS 'Internal: approves or rejects a pending match for staff';

CREATE FUNCTION approve_match(match_id bigint) RETURNS bigint
LANGUAGE sql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$ SELECT (@extschema@._decide_match(match_id, true, NULL)).mentorship_id $$;
COMMENT ON FUNCTION approve_match(bigint) IS
    'Staff (the acting user) approve a pending match: an active mentorship is created within the mentor''s capacity '
    '(MN004 when full) and returned; approved_by and decided_at are stamped. 42501 for non-staff, MN006 if decided';

CREATE FUNCTION reject_match(match_id bigint, reason text DEFAULT NULL) RETURNS void
LANGUAGE sql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$ SELECT NULL::void FROM @extschema@._decide_match(match_id, false, reason) $$;
COMMENT ON FUNCTION reject_match(bigint, text) IS
    'Staff (the acting user) reject a pending match, with a reason; 42501 for non-staff, MN006 if decided';

REVOKE EXECUTE ON FUNCTION _is_staff(bigint), _mentorship_step(bigint, mentorship_status, boolean),
    _require_mentee(suggestions), _decide_match(bigint, boolean, text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION activate_mentorship(bigint), reject_mentorship(bigint), complete_mentorship(bigint),
    cancel_mentorship(bigint), approve_match(bigint), reject_match(bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION activate_mentorship(bigint), reject_mentorship(bigint), complete_mentorship(bigint),
    cancel_mentorship(bigint), approve_match(bigint), reject_match(bigint, text) TO mentor_app;

-- Imports: a username is optional (unique when present); meeting and chat links take
-- any URI scheme a meeting tool uses (https, msteams, zoommtg, ...), never script or data.
ALTER TABLE users ALTER COLUMN username DROP NOT NULL;
COMMENT ON COLUMN users.username IS
    'Public handle, unique case-insensitively when present (NULL for platforms without handles); 2-40 letters, digits, _ . -';
ALTER TABLE sessions DROP CONSTRAINT sessions_meeting_link_http,
    ADD CONSTRAINT sessions_meeting_link_uri CHECK (meeting_link ~* '^[a-z][a-z0-9+.-]*:[^[:space:][:cntrl:]]+$' AND meeting_link !~* '^(javascript|data|vbscript):');
ALTER TABLE teams DROP CONSTRAINT teams_chat_url_http,
    ADD CONSTRAINT teams_chat_url_uri CHECK (chat_url ~* '^[a-z][a-z0-9+.-]*:[^[:space:][:cntrl:]]+$' AND chat_url !~* '^(javascript|data|vbscript):');
COMMENT ON COLUMN sessions.meeting_link IS 'Where to meet: any URI a meeting tool uses (https:, msteams:, zoommtg:, ...); javascript:, data: and vbscript: are refused';
COMMENT ON COLUMN teams.chat_url IS 'The team''s chat: any URI scheme (https:, discord:, slack:, ...); javascript:, data: and vbscript: are refused';

-- Seed 004's columns: a session's description; notes and action items of a session as well
-- as of a mentorship; action items with a description, a due time and a completion stamp,
-- private to their participants.  due_date (a date) becomes due_at (a timestamp, midnight UTC).
ALTER TABLE sessions ADD COLUMN description text;
COMMENT ON COLUMN sessions.description IS 'What the session is about (seed 004), beside its title and agenda';
GRANT UPDATE (description) ON sessions TO mentor_app;
ALTER TABLE mentorship_notes ALTER COLUMN mentorship_id DROP NOT NULL;
ALTER TABLE action_items ALTER COLUMN mentorship_id DROP NOT NULL;
COMMENT ON TABLE action_items IS
    'Tasks agreed in a mentorship or a session (seed 004): pending -> in_progress -> completed; participants only';
--------------------------------------------------------------------------------
-- Session notes and action items (seed 004): notes and action items belong to
-- a mentorship, a session or both, and are private to their participants.
--------------------------------------------------------------------------------

-- Whether the acting user is the mentor or the mentee of a session (row-level security).
CREATE FUNCTION _in_session(session_id bigint) RETURNS boolean
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
SELECT EXISTS (SELECT 1 FROM sessions s WHERE s.id = _in_session.session_id
                  AND current_actor() IN (s.mentor_id, s.mentee_id))
$$;
COMMENT ON FUNCTION _in_session(bigint) IS 'Internal: the acting user is the mentor or the mentee of the session';

ALTER TABLE mentorship_notes
    ADD COLUMN session_id bigint REFERENCES sessions ON DELETE CASCADE,
    ADD CONSTRAINT mentorship_notes_belongs CHECK (mentorship_id IS NOT NULL OR session_id IS NOT NULL);
COMMENT ON COLUMN mentorship_notes.session_id IS 'The session the note is about (seed 004 sessionId); a note has a mentorship, a session or both';
CREATE INDEX mentorship_notes_session_idx ON mentorship_notes (session_id) WHERE session_id IS NOT NULL;
ALTER POLICY mentorship_notes_select ON mentorship_notes
    USING (author_id = @extschema@.current_actor()
           OR (shared AND (@extschema@._in_mentorship(mentorship_id) OR @extschema@._in_session(session_id))));
ALTER POLICY mentorship_notes_insert ON mentorship_notes
    WITH CHECK (author_id = @extschema@.current_actor()
                AND (@extschema@._in_mentorship(mentorship_id) OR @extschema@._in_session(session_id)));
ALTER POLICY mentorship_notes_update ON mentorship_notes
    USING (author_id = @extschema@.current_actor())
    WITH CHECK (author_id = @extschema@.current_actor()
                AND (@extschema@._in_mentorship(mentorship_id) OR @extschema@._in_session(session_id)));

ALTER TABLE action_items
    ADD COLUMN description text,
    ADD COLUMN due_at      timestamptz,
    ADD COLUMN session_id  bigint REFERENCES sessions ON DELETE CASCADE,
    ADD CONSTRAINT action_items_belongs CHECK (mentorship_id IS NOT NULL OR session_id IS NOT NULL);
UPDATE action_items SET due_at = due_date::timestamp AT TIME ZONE 'UTC' WHERE due_date IS NOT NULL;
ALTER TABLE action_items DROP COLUMN due_date;
COMMENT ON COLUMN action_items.due_at IS 'When it is due (seed 004 dueDate, a timestamp)';
COMMENT ON COLUMN action_items.completed_at IS 'Stamped when the status becomes completed';
COMMENT ON COLUMN action_items.session_id IS 'The session it came out of; an action item has a mentorship, a session or both';
CREATE INDEX action_items_session_idx ON action_items (session_id) WHERE session_id IS NOT NULL;

CREATE FUNCTION _action_items_stamp() RETURNS trigger
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    IF NEW.status = 'completed' AND (TG_OP = 'INSERT' OR OLD.status IS DISTINCT FROM 'completed') THEN
        NEW.completed_at := coalesce(NEW.completed_at, now());
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION _action_items_stamp() IS 'Internal: stamps action_items.completed_at when it is completed';
CREATE TRIGGER action_items_stamp BEFORE INSERT OR UPDATE OF status ON action_items
    FOR EACH ROW EXECUTE FUNCTION _action_items_stamp();

-- Action items are their participants': they read and update them (the assignee moves the
-- status), their creator adds them as oneself and deletes them.
ALTER TABLE action_items ENABLE ROW LEVEL SECURITY;
CREATE POLICY action_items_select ON action_items FOR SELECT TO mentor_app
    USING (@extschema@._in_mentorship(mentorship_id) OR @extschema@._in_session(session_id));
CREATE POLICY action_items_insert ON action_items FOR INSERT TO mentor_app
    WITH CHECK (creator_id = @extschema@.current_actor()
                AND (@extschema@._in_mentorship(mentorship_id) OR @extschema@._in_session(session_id)));
CREATE POLICY action_items_update ON action_items FOR UPDATE TO mentor_app
    USING (@extschema@._in_mentorship(mentorship_id) OR @extschema@._in_session(session_id))
    WITH CHECK (@extschema@._in_mentorship(mentorship_id) OR @extschema@._in_session(session_id));
CREATE POLICY action_items_delete ON action_items FOR DELETE TO mentor_app
    USING (creator_id = @extschema@.current_actor());
REVOKE EXECUTE ON FUNCTION _in_session(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION _in_session(bigint) TO mentor_app;

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
-- Existing mentors' figures into their profiles, once.
UPDATE profiles p SET max_mentee_capacity = m.max_mentees, current_mentee_count = m.active_mentees,
       accepting_new_mentees = m.accepting, supports_new_mothers = m.supports_new_mothers
  FROM mentor_profiles m
 WHERE m.user_id = p.user_id
   AND (p.max_mentee_capacity, p.current_mentee_count, p.accepting_new_mentees, p.supports_new_mothers)
       IS DISTINCT FROM (m.max_mentees, m.active_mentees, m.accepting, m.supports_new_mothers);

-- Signup's welcome tokens (journey 1): none unless a deployment sets them.
INSERT INTO settings (key, shipped, value, description) VALUES
    ('signup.welcome_promo_tokens', true, '0', 'Promotional tokens every new user gets at signup (0: none)'),
    ('signup.welcome_promo_days', true, '30', 'Days until the welcome tokens expire');
-- _users_open_wallets, which grants them, is replaced once, near the end (with the signup event).

-- Sessions for both marketplaces.  A 0.1 session awaiting an answer to a new
-- time read 'rescheduled'; now the proposal alone waits (proposed_during) and
-- rescheduled means "was moved", so those sessions are confirmed again.  Seed
-- 001's slot states join the enum (compared as text in this transaction, which
-- cannot use new labels yet); setting session.flow names the lifecycle in force.
UPDATE sessions SET status = 'confirmed' WHERE status = 'rescheduled';
ALTER TYPE session_status ADD VALUE 'tentative';
ALTER TYPE session_status ADD VALUE 'meeting_requested';
ALTER TYPE session_status ADD VALUE 'under_review';
ALTER TYPE session_status ADD VALUE 'cancellation_requested';
COMMENT ON TYPE session_status IS
    'Session status. Flow "session" (seed 004): pending = an open slot, proposed by the mentor, requested by a mentee, '
    'confirmed, rescheduled (moved to a new time), rejected, completed, cancelled. Flow "slot" (seed 001): tentative = '
    'an open slot, meeting_requested, confirmed, under_review (the payout waits for an admin), cancellation_requested, '
    'completed, cancelled';

-- The slot lifecycle's open ends (ours), and seed 004's rescheduled as a state a moved session is in.
SELECT _ship_lifecycle('slot', ARRAY[
    ['[*]', 'tentative'],
    ['tentative', 'meeting_requested'],
    ['meeting_requested', 'confirmed'],
    ['tentative', 'confirmed'],
    ['confirmed', 'under_review'],
    ['confirmed', 'completed'],
    ['confirmed', 'cancellation_requested'],
    ['cancellation_requested', 'cancelled'],
    ['confirmed', 'cancelled'],
    ['completed', '[*]'],
    ['cancelled', '[*]'],
    -- ours
    ['tentative', 'cancelled'],
    ['meeting_requested', 'cancelled'],
    ['under_review', 'completed'],
    ['under_review', 'cancelled'],
    ['cancellation_requested', 'confirmed']], true);
SELECT _ship_lifecycle('session', ARRAY[
    ['[*]', 'pending'],
    ['[*]', 'proposed'],
    ['[*]', 'requested'],
    ['pending', 'proposed'],
    ['pending', 'requested'],
    ['pending', 'confirmed'],
    ['pending', 'cancelled'],
    ['proposed', 'confirmed'],
    ['proposed', 'rejected'],
    ['proposed', 'cancelled'],
    ['requested', 'confirmed'],
    ['requested', 'rejected'],
    ['requested', 'cancelled'],
    ['confirmed', 'rescheduled'],
    ['confirmed', 'completed'],
    ['confirmed', 'cancelled'],
    ['rescheduled', 'confirmed'],
    ['rescheduled', 'completed'],
    ['rescheduled', 'cancelled'],
    ['rejected', '[*]'],
    ['completed', '[*]'],
    ['cancelled', '[*]']], true);

-- A lifecycle a setting names.
CREATE OR REPLACE FUNCTION attach_lifecycle(tbl regclass, col name, lifecycle text) RETURNS void
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    coltype   oid;
    relname   text := tbl::text;
    missing   text[];
    chosen    text := lifecycle;       -- the lifecycle in force ('setting:<key>': the setting's value)
BEGIN
    IF lifecycle LIKE 'setting:%' THEN
        chosen := setting(substr(lifecycle, 9)) #>> '{}';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM lifecycles l WHERE l.name = chosen) THEN
        RAISE EXCEPTION 'lifecycle "%" does not exist', chosen
            USING ERRCODE = 'undefined_object',
                  HINT = 'SELECT DISTINCT name FROM mentor.lifecycles lists them; mentor.define_lifecycle() adds one.';
    END IF;
    SELECT a.atttypid INTO coltype
      FROM pg_attribute a
     WHERE a.attrelid = tbl AND a.attname = col AND a.attnum > 0 AND NOT a.attisdropped;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'column "%" of table % does not exist', col, relname
            USING ERRCODE = 'undefined_column';
    END IF;
    -- An enum label that is not a state could be stored but never judged.  A lifecycle
    -- chosen by a setting is one of several over the same enum, each using part of it.
    IF lifecycle LIKE 'setting:%' THEN
        NULL;
    ELSIF EXISTS (SELECT 1 FROM pg_type WHERE oid = coltype AND typtype = 'e') THEN
        SELECT array_agg(e.enumlabel::text ORDER BY e.enumsortorder) INTO missing
          FROM pg_enum e
         WHERE e.enumtypid = coltype
           AND NOT EXISTS (SELECT 1 FROM lifecycles l
                            WHERE l.name = attach_lifecycle.lifecycle AND l.state = e.enumlabel::text);
        IF missing IS NOT NULL THEN
            RAISE EXCEPTION 'enum % of column % has labels that are not states of lifecycle "%"',
                            coltype::regtype, col, lifecycle
                USING ERRCODE = 'invalid_parameter_value',
                      DETAIL = format('Labels without a state: %s.', array_to_string(missing, ', ')),
                      HINT = 'Add the states with mentor.define_lifecycle(), or use a matching enum.';
        END IF;
    ELSIF NOT EXISTS (SELECT 1 FROM pg_type WHERE oid = coltype AND typcategory = 'S') THEN
        RAISE EXCEPTION 'column % of table % has type %, which cannot hold lifecycle states',
                        col, relname, coltype::regtype
            USING ERRCODE = 'datatype_mismatch',
                  HINT = 'Use an enum or a string column (text, varchar, citext).';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = tbl AND tgname = 'lifecycle_' || col) THEN
        EXECUTE format('DROP TRIGGER %I ON %s', 'lifecycle_' || col, tbl);
    END IF;
    EXECUTE format('CREATE TRIGGER %I BEFORE INSERT OR UPDATE OF %I ON %s FOR EACH ROW '
                   'EXECUTE FUNCTION @extschema@.enforce_lifecycle(%L, %L)',
                   'lifecycle_' || col, col, tbl, lifecycle, col);
END
$$;
COMMENT ON FUNCTION attach_lifecycle(regclass, name, text) IS
    'Creates (or replaces) the trigger lifecycle_<col> that enforces a lifecycle on a status column, '
    'after checking that the lifecycle and column exist and an enum column''s labels are all states. '
    'lifecycle ''setting:<key>'' lets a setting name the lifecycle (sessions: ''setting:session.flow'')';

INSERT INTO settings (key, shipped, value, description) VALUES
    ('session.flow', true, '"session"', 'The lifecycle sessions follow: session (seed 004: a mentee requests, a mentor '
     'proposes, a moved session reads rescheduled) or slot (seed 001: tentative, meeting_requested, under_review, '
     'cancellation_requested)');
CREATE FUNCTION _session_flow() RETURNS text
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$ SELECT setting('session.flow') #>> '{}' $$;
COMMENT ON FUNCTION _session_flow() IS 'Internal: the sessions flow in force, session (seed 004) or slot (seed 001)';

CREATE FUNCTION _session_open_status() RETURNS @extschema@.session_status
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    -- PL/pgSQL, so that the labels are read when called, not when created.
    RETURN CASE WHEN _session_flow() = 'slot' THEN 'tentative' ELSE 'pending' END::session_status;
END
$$;
COMMENT ON FUNCTION _session_open_status() IS
    'Internal: the status of a new open slot in the flow in force (pending, or tentative in the slot flow)';

ALTER TABLE sessions ALTER COLUMN status SET DEFAULT _session_open_status(),
    DROP CONSTRAINT sessions_mentor_no_overlap, DROP CONSTRAINT sessions_mentee_no_overlap,
    ADD CONSTRAINT sessions_mentor_no_overlap EXCLUDE USING gist (mentor_id WITH =, during WITH &&)
        WHERE (status NOT IN ('rejected', 'completed', 'cancelled')),
    ADD CONSTRAINT sessions_mentee_no_overlap EXCLUDE USING gist (mentee_id WITH =, during WITH &&)
        WHERE (mentee_id IS NOT NULL AND status NOT IN ('rejected', 'completed', 'cancelled')),
    ADD COLUMN review_reason text,
    ADD COLUMN resolved_by bigint REFERENCES users ON DELETE SET NULL;
COMMENT ON COLUMN sessions.refund_tokens IS
    'Tokens returned to the mentee when cancelled (while cancellation_requested: what accepting will refund)';
COMMENT ON COLUMN sessions.proposed_during IS 'A new time proposed by proposed_by, awaiting the other participant''s answer';
COMMENT ON COLUMN sessions.review_reason IS 'Why the session went under review (slot flow)';
COMMENT ON COLUMN sessions.resolved_by IS 'The staff member who resolved the review';
DROP INDEX sessions_due_idx;
CREATE INDEX sessions_due_idx ON sessions (lower(during)) WHERE status IN ('confirmed', 'rescheduled') AND reminded_at IS NULL;

SELECT attach_lifecycle('sessions', 'status', 'setting:session.flow');

CREATE FUNCTION _session_flow_check() RETURNS trigger
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    flow  text;
    stuck text;
BEGIN
    IF coalesce(NEW.key, OLD.key) <> 'session.flow' THEN
        RETURN NULL;
    END IF;
    flow := _session_flow();
    IF flow IS NULL OR flow NOT IN ('session', 'slot') THEN
        RAISE EXCEPTION 'session.flow must be "session" or "slot", not %', coalesce(NEW.value::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'session: seed 004''s lifecycle (pending, proposed, requested, rescheduled); slot: seed 001''s (tentative, meeting_requested, under_review, cancellation_requested).';
    END IF;
    SELECT string_agg(format('%s %s', n, st), ', ') INTO stuck
      FROM (SELECT s.status::text AS st, count(*) AS n FROM sessions s
             WHERE s.status NOT IN ('rejected', 'completed', 'cancelled')
               AND s.status::text NOT IN (SELECT l.state FROM lifecycles l WHERE l.name = flow)
             GROUP BY 1 ORDER BY 1) x;
    IF stuck IS NOT NULL THEN
        RAISE EXCEPTION 'sessions cannot follow flow % while some are in states it does not have', flow
            USING ERRCODE = 'object_not_in_prerequisite_state', DETAIL = format('Live sessions: %s.', stuck),
                  HINT = 'Complete or cancel them first, or keep the flow.';
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION _session_flow_check() IS
    'Internal: session.flow is session or slot (22023), and no live session is left in a state of the other flow (55000)';

CREATE TRIGGER settings_session_flow AFTER INSERT OR UPDATE OR DELETE ON settings
    FOR EACH ROW EXECUTE FUNCTION _session_flow_check();

CREATE OR REPLACE FUNCTION _session_conflict(user_id bigint, during tstzrange, except_id bigint) RETURNS sessions
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
SELECT * FROM (
    SELECT * FROM sessions s
     WHERE s.mentor_id = user_id AND s.during && _session_conflict.during
       AND s.status NOT IN ('rejected', 'completed', 'cancelled')
    UNION ALL
    SELECT * FROM sessions s
     WHERE s.mentee_id = user_id AND s.during && _session_conflict.during
       AND s.status NOT IN ('rejected', 'completed', 'cancelled')) x
 WHERE x.id IS DISTINCT FROM except_id
 ORDER BY lower(x.during) LIMIT 1
$$;
COMMENT ON FUNCTION _session_conflict(bigint, tstzrange, bigint) IS
    'Internal: a live session of the user overlapping the range, other than except_id';

CREATE FUNCTION _pay_mentor(s sessions, charge bigint) RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    fee bigint := charge * (setting('session.platform_fee_percent'))::numeric::bigint / 100;
BEGIN
    IF s.hold_id IS NOT NULL AND charge - fee > 0 THEN
        PERFORM credit_earnings(s.mentor_id, charge - fee, _derived_id(s.hold_id, 'earnings'), format('session %s', s.id));
    END IF;
END
$$;
COMMENT ON FUNCTION _pay_mentor(sessions, bigint) IS
    'Internal: credits the mentor `charge` tokens of a session minus the platform fee (once per session)';

CREATE OR REPLACE FUNCTION _settle_hold(s sessions, charge bigint) RETURNS bigint
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    part   uuid;
    amount bigint;
    left_  bigint := charge;
    fee    bigint;
BEGIN
    IF s.hold_id IS NULL THEN
        RETURN 0;
    END IF;
    IF charge = s.price_tokens THEN
        -- the common case (completion): every part posted in full, in one statement
        PERFORM post_pending(p, _derived_id(p, 'settle')) FROM _hold_parts(s) p;
    ELSE
        FOR part IN SELECT * FROM _hold_parts(s) LOOP
            SELECT t.amount INTO amount FROM ledger_transfers t WHERE t.id = part;
            IF left_ > 0 THEN
                PERFORM post_pending(part, _derived_id(part, 'settle'), least(left_, amount));
                left_ := left_ - least(left_, amount);
            ELSE
                PERFORM void_pending(part, _derived_id(part, 'settle'));
            END IF;
        END LOOP;
    END IF;
    PERFORM _pay_mentor(s, charge);
    RETURN s.price_tokens - charge;
END
$$;
COMMENT ON FUNCTION _settle_hold(sessions, bigint) IS
    'Internal: posts `charge` tokens of a session''s hold (the mentor earns it minus the platform fee) and releases the rest';

CREATE FUNCTION _session_actor(s sessions, staff_ok boolean, what text) RETURNS bigint
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    actor bigint := current_actor();
BEGIN
    IF actor IS NULL OR NOT (actor IN (s.mentor_id, coalesce(s.mentee_id, s.mentor_id)) OR (staff_ok AND _is_staff(actor))) THEN
        RAISE EXCEPTION 'user % may not % session %', coalesce(actor::text, '(no actor)'), what, s.id
            USING ERRCODE = 'MN005',
                  DETAIL = format('Session %s: mentor %s, mentee %s.', s.id, s.mentor_id, coalesce(s.mentee_id::text, '-')),
                  HINT = CASE WHEN staff_ok THEN 'A participant (or staff) does; call mentor.set_actor(user_id) first.'
                              ELSE 'A participant does; call mentor.set_actor(user_id) first.' END;
    END IF;
    RETURN actor;
END
$$;
COMMENT ON FUNCTION _session_actor(sessions, boolean, text) IS
    'Internal: the acting user, or MN005 unless it is a participant of the session (or staff, where allowed)';

CREATE OR REPLACE FUNCTION request_session(mentor_id bigint, mentee_id bigint, during tstzrange, id uuid, title text DEFAULT NULL)
    RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    prof  mentor_profiles;
    sid   bigint;
    parts integer;
    slot  boolean := _session_flow() = 'slot';
BEGIN
    IF id IS NULL OR mentee_id IS NULL THEN
        RAISE EXCEPTION 'mentee_id and id are required' USING ERRCODE = 'null_value_not_allowed',
            HINT = 'id is the request''s idempotency key.';
    END IF;
    SELECT s.id INTO sid FROM sessions s WHERE s.hold_id = request_session.id;
    IF FOUND THEN
        RETURN sid;                          -- a retry
    END IF;
    prof := _mentor_profile(request_session.mentor_id);
    IF NOT prof.accepting THEN
        RAISE EXCEPTION 'mentor % does not take requests now', mentor_id USING ERRCODE = 'MN006';
    END IF;
    BEGIN
        INSERT INTO sessions (mentor_id, mentee_id, during, status, title, price_tokens)
        VALUES (request_session.mentor_id, request_session.mentee_id, request_session.during,
                CASE WHEN slot THEN 'tentative' ELSE 'requested' END::session_status,
                request_session.title, prof.price_tokens)
        RETURNING sessions.id INTO sid;
    EXCEPTION WHEN exclusion_violation THEN
        PERFORM _explain_overlap(request_session.mentor_id, request_session.mentee_id, request_session.during, NULL);
    END;
    IF prof.price_tokens > 0 THEN
        parts := _hold_price(request_session.mentee_id, prof.price_tokens, request_session.id, sid, request_session.during);
    END IF;
    UPDATE sessions s SET hold_id = CASE WHEN prof.price_tokens > 0 THEN request_session.id END, hold_parts = parts,
                          status = CASE WHEN slot THEN 'meeting_requested' ELSE s.status END::session_status
     WHERE s.id = sid AND (prof.price_tokens > 0 OR slot);
    RETURN sid;
END
$$;
COMMENT ON FUNCTION request_session(bigint, bigint, tstzrange, uuid, text) IS
    'A mentee requests a session at a time of their choice (status requested; slot flow: tentative, then '
    'meeting_requested); the price is held at once. Same errors as publishing and booking (22023, 23P01, MN002, '
    'MN006); id is the idempotency key';

CREATE FUNCTION request_slot(session_id bigint, mentee_id bigint, id uuid) RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    s     sessions := _lock_session(session_id);
    parts integer;
BEGIN
    IF id IS NULL OR mentee_id IS NULL THEN
        RAISE EXCEPTION 'mentee_id and id are required' USING ERRCODE = 'null_value_not_allowed',
            HINT = 'id is the request''s idempotency key.';
    END IF;
    IF s.mentee_id = request_slot.mentee_id AND s.hold_id IS NOT DISTINCT FROM (CASE WHEN s.price_tokens > 0 THEN id END)
       AND s.status IN ('requested', 'meeting_requested') THEN
        RETURN s.id;                         -- a retry
    END IF;
    IF s.mentor_id = request_slot.mentee_id THEN
        RAISE EXCEPTION 'a mentor cannot request their own slot' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF s.status NOT IN ('pending', 'tentative') OR s.mentee_id IS NOT NULL THEN
        RAISE EXCEPTION 'session % is not an open slot', s.id USING ERRCODE = 'MN006',
            DETAIL = format('It is %s%s.', s.status, CASE WHEN s.mentee_id IS NOT NULL THEN ' and taken' ELSE '' END);
    END IF;
    IF lower(s.during) <= now() THEN
        RAISE EXCEPTION 'session % has already started', s.id USING ERRCODE = 'MN008';
    END IF;
    BEGIN
        UPDATE sessions t SET mentee_id = request_slot.mentee_id,
               status = CASE WHEN s.status = 'tentative' THEN 'meeting_requested' ELSE 'requested' END::session_status
         WHERE t.id = s.id;
    EXCEPTION WHEN exclusion_violation THEN
        PERFORM _explain_overlap(NULL, request_slot.mentee_id, s.during, s.id);
    END;
    IF s.price_tokens > 0 THEN
        parts := _hold_price(request_slot.mentee_id, s.price_tokens, request_slot.id, s.id, s.during);
        UPDATE sessions t SET hold_id = request_slot.id, hold_parts = parts WHERE t.id = s.id;
    END IF;
    RETURN s.id;
END
$$;
COMMENT ON FUNCTION request_slot(bigint, bigint, uuid) IS
    'A mentee asks for an open slot instead of booking it outright: the price is held and the slot waits for the '
    'mentor (requested; slot flow: meeting_requested). MN006 not open, MN008 started, MN002 not enough tokens, '
    '23P01 the mentee is busy then; id is the idempotency key';

CREATE OR REPLACE FUNCTION respond_request(session_id bigint, accept boolean, message text DEFAULT NULL) RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    s        sessions := _lock_session(session_id);
    accepted boolean := coalesce(accept, false);
BEGIN
    IF s.status NOT IN ('requested', 'meeting_requested') THEN
        RAISE EXCEPTION 'session % is not a pending request', s.id USING ERRCODE = 'MN006', DETAIL = format('It is %s.', s.status);
    END IF;
    IF NOT accepted THEN
        PERFORM _settle_hold(s, 0);          -- everything back to the mentee
    END IF;
    -- A turned-down request is rejected (seed 004) or, as the slot flow has no such state, cancelled.
    UPDATE sessions t
       SET status = CASE WHEN accepted THEN 'confirmed' WHEN s.status = 'requested' THEN 'rejected' ELSE 'cancelled' END::session_status,
           response_message = message, refund_tokens = CASE WHEN accepted THEN NULL ELSE s.price_tokens END,
           cancelled_by = CASE WHEN NOT accepted AND s.status = 'meeting_requested' THEN s.mentor_id END,
           cancel_reason = CASE WHEN NOT accepted AND s.status = 'meeting_requested' THEN 'rejected' END
     WHERE t.id = s.id;
    RETURN s.id;
END
$$;
COMMENT ON FUNCTION respond_request(bigint, boolean, text) IS
    'The mentor accepts (confirmed) or turns down (rejected; slot flow: cancelled, reason rejected) a requested '
    'session, whose hold is then released; MN006 if it is not a request';

CREATE FUNCTION propose_session(mentorship_id bigint, during tstzrange, title text DEFAULT NULL,
                                description text DEFAULT NULL, agenda text DEFAULT NULL) RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    m     mentorships;
    actor bigint := current_actor();
    sid   bigint;
BEGIN
    SELECT * INTO m FROM mentorships x WHERE x.id = propose_session.mentorship_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'mentorship % does not exist', coalesce(mentorship_id::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
    IF actor IS NULL OR NOT (actor = m.mentor_id OR _is_staff(actor)) THEN
        RAISE EXCEPTION 'user % is not the mentor of mentorship %', coalesce(actor::text, '(no actor)'), m.id
            USING ERRCODE = 'MN005', DETAIL = format('Mentorship %s: mentor %s, mentee %s.', m.id, m.mentor_id, m.mentee_id),
                  HINT = 'The mentor (or staff) proposes; call mentor.set_actor(mentor_id) first.';
    END IF;
    IF m.status <> 'active' THEN
        RAISE EXCEPTION 'mentorship % is not active', m.id USING ERRCODE = 'MN006', DETAIL = format('It is %s.', m.status);
    END IF;
    BEGIN
        INSERT INTO sessions (mentor_id, mentee_id, mentorship_id, during, status, title, description, agenda,
                              price_tokens, proposed_by)
        VALUES (m.mentor_id, m.mentee_id, m.id, propose_session.during, 'proposed', propose_session.title,
                propose_session.description, propose_session.agenda,
                coalesce((SELECT p.price_tokens FROM mentor_profiles p WHERE p.user_id = m.mentor_id), 0), actor)
        RETURNING sessions.id INTO sid;
    EXCEPTION WHEN exclusion_violation THEN
        PERFORM _explain_overlap(m.mentor_id, m.mentee_id, propose_session.during, NULL);
    END;
    RETURN sid;
END
$$;
COMMENT ON FUNCTION propose_session(bigint, tstzrange, text, text, text) IS
    'The mentor of an active mentorship (the acting user, or staff) proposes a session to its mentee (status '
    'proposed) at the mentor''s price; MN005 for anyone else, MN006 mentorship not active, 22023 past or unbounded '
    'range, 23P01 either is busy then, MN001 in a flow without proposals';

CREATE FUNCTION respond_proposal(session_id bigint, accept boolean, id uuid DEFAULT NULL, message text DEFAULT NULL)
    RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    s     sessions := _lock_session(session_id);
    actor bigint := current_actor();
    key   uuid;
    parts integer;
BEGIN
    IF actor IS NULL OR NOT (actor = s.mentee_id OR _is_staff(actor)) THEN
        RAISE EXCEPTION 'user % is not the mentee of session %', coalesce(actor::text, '(no actor)'), s.id
            USING ERRCODE = 'MN005', DETAIL = format('Session %s was proposed to mentee %s.', s.id, coalesce(s.mentee_id::text, '-')),
                  HINT = 'The mentee (or staff) answers; call mentor.set_actor(mentee_id) first.';
    END IF;
    key := coalesce(id, md5(format('mentor session %s proposal', s.id))::uuid);
    IF s.status = 'confirmed' AND coalesce(accept, false) AND s.hold_id IS NOT DISTINCT FROM (CASE WHEN s.price_tokens > 0 THEN key END)
       AND s.proposed_by IS NOT NULL THEN
        RETURN s.id;                         -- a retry of the acceptance
    END IF;
    IF s.status <> 'proposed' THEN
        RAISE EXCEPTION 'session % is not a proposal awaiting an answer', s.id USING ERRCODE = 'MN006',
            DETAIL = format('It is %s.', s.status);
    END IF;
    IF NOT coalesce(accept, false) THEN
        UPDATE sessions t SET status = 'rejected', response_message = message WHERE t.id = s.id;
        RETURN s.id;
    END IF;
    IF lower(s.during) <= now() THEN
        RAISE EXCEPTION 'the proposed time of session % has passed', s.id USING ERRCODE = 'MN008';
    END IF;
    IF s.price_tokens > 0 THEN
        parts := _hold_price(s.mentee_id, s.price_tokens, key, s.id, s.during);
    END IF;
    UPDATE sessions t SET status = 'confirmed', response_message = message,
                          hold_id = CASE WHEN s.price_tokens > 0 THEN key END, hold_parts = parts
     WHERE t.id = s.id;
    RETURN s.id;
END
$$;
COMMENT ON FUNCTION respond_proposal(bigint, boolean, uuid, text) IS
    'The mentee (the acting user, or staff) confirms a proposed session, which holds its price (MN002 when short), '
    'or rejects it. id is the hold''s idempotency key (derived from the session when NULL). MN005 for anyone else, '
    'MN006 once answered, MN008 when its time has passed';

CREATE FUNCTION _cancel_refund(s sessions, by_user bigint, reason text) RETURNS bigint
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    percent numeric;
BEGIN
    IF reason IN ('mentor_no_show', 'mentee_no_show') AND lower(s.during) > now() THEN
        RAISE EXCEPTION 'a no-show can only be reported once the session has started' USING ERRCODE = 'MN006';
    END IF;
    percent := CASE
        WHEN reason = 'mentor_no_show' THEN (setting('session.mentor_no_show_refund_percent'))::numeric
        WHEN reason = 'mentee_no_show' THEN (setting('session.mentee_no_show_refund_percent'))::numeric
        WHEN by_user = s.mentor_id THEN 100
        WHEN lower(s.during) - now() >= make_interval(hours => (setting('session.full_refund_hours'))::numeric::int) THEN 100
        ELSE (setting('session.late_cancel_refund_percent'))::numeric END;
    RETURN CASE WHEN s.hold_id IS NULL THEN 0 ELSE floor(s.price_tokens * percent / 100)::bigint END;
END
$$;
COMMENT ON FUNCTION _cancel_refund(sessions, bigint, text) IS
    'Internal: the tokens a cancellation by by_user (for reason) refunds, by the session.*refund* settings';

CREATE OR REPLACE FUNCTION cancel_session(session_id bigint, by_user bigint, reason text DEFAULT NULL) RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    s       sessions := _lock_session(session_id);
    refund  bigint;
BEGIN
    IF s.status NOT IN ('pending', 'proposed', 'requested', 'confirmed', 'rescheduled', 'tentative', 'meeting_requested') THEN
        RAISE EXCEPTION 'session % cannot be cancelled', s.id USING ERRCODE = 'MN006',
            DETAIL = format('It is %s.', s.status),
            HINT = CASE s.status WHEN 'cancellation_requested' THEN 'mentor.respond_cancellation() answers the request.'
                                 WHEN 'under_review' THEN 'mentor.resolve_review() settles it.'
                                 ELSE 'Only a session that is still to take place can be cancelled.' END;
    END IF;
    PERFORM _require_participant(s, by_user);
    refund := _cancel_refund(s, by_user, reason);
    PERFORM _settle_hold(s, s.price_tokens - refund);
    UPDATE sessions t SET status = 'cancelled', cancelled_by = by_user, cancel_reason = reason, refund_tokens = refund
     WHERE t.id = s.id;
    RETURN refund;
END
$$;
COMMENT ON FUNCTION cancel_session(bigint, bigint, text) IS
    'Cancels a live session and returns the tokens refunded to the mentee, by policy (settings): the mentor cancels '
    '(or reason mentor_no_show): everything; the mentee 24 h or more before the start: everything; later: '
    'late_cancel_refund_percent (0); reason mentee_no_show: mentee_no_show_refund_percent (0). What is not refunded is '
    'paid to the mentor minus the platform fee. MN005 for a non-participant, MN006 for a session that is over';

CREATE FUNCTION request_cancellation(session_id bigint, reason text DEFAULT NULL) RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    s     sessions := _lock_session(session_id);
    actor bigint := _session_actor(s, false, 'ask to cancel');
BEGIN
    IF s.status <> 'confirmed' THEN
        RAISE EXCEPTION 'session % is not confirmed', s.id USING ERRCODE = 'MN006', DETAIL = format('It is %s.', s.status);
    END IF;
    IF lower(s.during) <= now() THEN
        RAISE EXCEPTION 'session % has started', s.id USING ERRCODE = 'MN006',
            HINT = 'Report a no-show with mentor.cancel_session(), or put it under review with mentor.review_session().';
    END IF;
    UPDATE sessions t SET status = 'cancellation_requested', cancelled_by = actor, cancel_reason = reason,
                          refund_tokens = _cancel_refund(s, actor, reason), proposed_during = NULL
     WHERE t.id = s.id;
    RETURN s.id;
END
$$;
COMMENT ON FUNCTION request_cancellation(bigint, text) IS
    'Slot flow: a participant (the acting user) asks to cancel a confirmed session before it starts '
    '(cancellation_requested); refund_tokens shows what accepting will refund, by the policy at the time of asking. '
    'MN005 for anyone else, MN006 not confirmed or started, MN001 in the session flow';

CREATE FUNCTION respond_cancellation(session_id bigint, accept boolean, message text DEFAULT NULL) RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    s     sessions := _lock_session(session_id);
    actor bigint := _session_actor(s, true, 'answer the cancellation request of');
BEGIN
    IF s.status <> 'cancellation_requested' THEN
        RAISE EXCEPTION 'session % has no cancellation request', s.id USING ERRCODE = 'MN006',
            DETAIL = format('It is %s.', s.status);
    END IF;
    IF actor = s.cancelled_by AND NOT _is_staff(actor) THEN
        RAISE EXCEPTION 'user % asked for the cancellation and cannot answer it', actor USING ERRCODE = 'MN005',
            HINT = 'The other participant or staff answers.';
    END IF;
    IF coalesce(accept, false) THEN
        PERFORM _settle_hold(s, s.price_tokens - coalesce(s.refund_tokens, 0));
        UPDATE sessions t SET status = 'cancelled', response_message = message WHERE t.id = s.id;
        RETURN coalesce(s.refund_tokens, 0);
    END IF;
    UPDATE sessions t SET status = 'confirmed', cancelled_by = NULL, cancel_reason = NULL, refund_tokens = NULL,
                          response_message = message
     WHERE t.id = s.id;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION respond_cancellation(bigint, boolean, text) IS
    'Slot flow: the other participant or staff (the acting user) accepts a cancellation request (cancelled, refunded '
    'as requested; returns the refund) or declines it (confirmed again; returns NULL). MN005 for the requester or an '
    'outsider, MN006 without a request';

CREATE FUNCTION review_session(session_id bigint, reason text DEFAULT NULL) RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    s sessions := _lock_session(session_id);
BEGIN
    PERFORM _session_actor(s, true, 'put under review');
    IF s.status <> 'confirmed' THEN
        RAISE EXCEPTION 'session % cannot go under review', s.id USING ERRCODE = 'MN006', DETAIL = format('It is %s.', s.status);
    END IF;
    IF lower(s.during) > now() THEN
        RAISE EXCEPTION 'session % has not started yet', s.id USING ERRCODE = 'MN006',
            HINT = 'Before the start, cancel it or ask to cancel it.';
    END IF;
    UPDATE sessions t SET status = 'under_review', review_reason = reason, proposed_during = NULL WHERE t.id = s.id;
    PERFORM post_pending(p, _derived_id(p, 'settle')) FROM _hold_parts(s) p;
    RETURN s.id;
END
$$;
COMMENT ON FUNCTION review_session(bigint, text) IS
    'Slot flow: a participant or staff (the acting user) puts a confirmed session that has started under review: '
    'the hold is posted, the mentor''s payout waits for mentor.resolve_review(). MN005, MN006 (not confirmed or not '
    'started), MN001 in the session flow';

CREATE FUNCTION resolve_review(session_id bigint, refund_percent numeric DEFAULT 0, note text DEFAULT NULL) RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    s      sessions := _lock_session(session_id);
    actor  bigint := current_actor();
    refund bigint;
BEGIN
    IF actor IS NULL OR NOT _is_staff(actor) THEN
        RAISE EXCEPTION 'user % is not staff and may not resolve the review of session %', coalesce(actor::text, '(no actor)'), s.id
            USING ERRCODE = 'MN005', HINT = 'Staff (admin, owner, superadmin) resolve reviews; call mentor.set_actor(staff_id) first.';
    END IF;
    IF s.status <> 'under_review' THEN
        RAISE EXCEPTION 'session % is not under review', s.id USING ERRCODE = 'MN006',
            DETAIL = format('It is %s%s.', s.status, CASE WHEN s.resolved_by IS NOT NULL
                                                          THEN format(', resolved by user %s', s.resolved_by) ELSE '' END);
    END IF;
    IF refund_percent IS NULL OR refund_percent < 0 OR refund_percent > 100 THEN
        RAISE EXCEPTION 'refund_percent must be between 0 and 100, not %', coalesce(refund_percent::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    refund := CASE WHEN s.hold_id IS NULL THEN 0 ELSE floor(s.price_tokens * refund_percent / 100)::bigint END;
    IF refund > 0 THEN
        PERFORM transfer(_derived_id(s.hold_id, 'refund'), system_account('revenue'), wallet(s.mentee_id), refund,
                         'refund', format('session %s review', s.id));
    END IF;
    PERFORM _pay_mentor(s, s.price_tokens - refund);
    UPDATE sessions t SET status = CASE WHEN refund_percent = 100 THEN 'cancelled' ELSE 'completed' END::session_status,
                          completed_at = CASE WHEN refund_percent < 100 THEN now() END,
                          refund_tokens = refund, resolved_by = actor, response_message = note
     WHERE t.id = s.id;
    RETURN refund;
END
$$;
COMMENT ON FUNCTION resolve_review(bigint, numeric, text) IS
    'Staff (the acting user) resolve a session under review: refund_percent of the price goes back to the mentee''s '
    'wallet, the mentor earns the rest minus the platform fee. 100: cancelled, otherwise completed. Returns the '
    'refund; MN005 for non-staff, MN006 when it is not (or no longer) under review, so it is paid once';

CREATE OR REPLACE FUNCTION propose_reschedule(session_id bigint, by_user bigint, new_during tstzrange, message text DEFAULT NULL)
    RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    s     sessions := _lock_session(session_id);
    other sessions;
    who   bigint;
BEGIN
    IF s.status NOT IN ('confirmed', 'rescheduled') THEN
        RAISE EXCEPTION 'session % cannot be rescheduled', s.id USING ERRCODE = 'MN006', DETAIL = format('It is %s.', s.status);
    END IF;
    PERFORM _require_participant(s, by_user);
    IF new_during IS NULL OR isempty(new_during) OR lower_inf(new_during) OR upper_inf(new_during) OR lower(new_during) <= now() THEN
        RAISE EXCEPTION 'the new time must be a bounded range in the future' USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('Got %s.', coalesce(new_during::text, 'NULL'));
    END IF;
    FOREACH who IN ARRAY ARRAY[s.mentor_id, s.mentee_id] LOOP
        other := _session_conflict(who, new_during, s.id);
        IF other.id IS NOT NULL THEN
            RAISE EXCEPTION 'user % already has a session at the proposed time', who USING ERRCODE = 'exclusion_violation',
                DETAIL = format('Session %s (%s, %s) overlaps %s.', other.id, other.status, other.during, new_during);
        END IF;
    END LOOP;
    UPDATE sessions t SET proposed_during = new_during, proposed_by = by_user, response_message = message
     WHERE t.id = s.id;
    RETURN s.id;
END
$$;
COMMENT ON FUNCTION propose_reschedule(bigint, bigint, tstzrange, text) IS
    'A participant proposes a new time for a confirmed (or already moved) session; it waits in proposed_during for '
    'the other participant. 23P01 if either participant is busy then, 22023 for a past or unbounded range';

CREATE OR REPLACE FUNCTION respond_reschedule(session_id bigint, by_user bigint, accept boolean, message text DEFAULT NULL)
    RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    s     sessions := _lock_session(session_id);
    moved boolean := coalesce(accept, false);
BEGIN
    IF s.proposed_during IS NULL OR s.status NOT IN ('confirmed', 'rescheduled') THEN
        RAISE EXCEPTION 'session % has no proposed time', s.id USING ERRCODE = 'MN006', DETAIL = format('It is %s.', s.status);
    END IF;
    IF by_user IS NULL OR by_user NOT IN (s.mentor_id, s.mentee_id) OR by_user = s.proposed_by THEN
        RAISE EXCEPTION 'only the other participant answers a proposal' USING ERRCODE = 'MN005',
            DETAIL = format('User %s proposed it.', s.proposed_by);
    END IF;
    IF lower(s.proposed_during) <= now() THEN
        RAISE EXCEPTION 'the proposed time has passed' USING ERRCODE = 'MN008';
    END IF;
    BEGIN
        UPDATE sessions t
           SET during = CASE WHEN moved THEN s.proposed_during ELSE s.during END,
               status = CASE WHEN moved AND _session_flow() = 'session' THEN 'rescheduled' ELSE s.status END::session_status,
               reminded_at = CASE WHEN moved THEN NULL ELSE s.reminded_at END,
               proposed_during = NULL, response_message = message
         WHERE t.id = s.id;
    EXCEPTION WHEN exclusion_violation THEN
        PERFORM _explain_overlap(s.mentor_id, s.mentee_id, s.proposed_during, s.id);
    END;
    RETURN s.id;
END
$$;
COMMENT ON FUNCTION respond_reschedule(bigint, bigint, boolean, text) IS
    'The other participant accepts (the session moves, and reads rescheduled in the session flow) or declines (it '
    'stays) a proposed time. MN005 for the proposer or an outsider, MN006 with nothing proposed, MN008 once the '
    'proposed time has passed';

CREATE OR REPLACE FUNCTION due_reminders(within interval DEFAULT '1 hour')
    RETURNS TABLE (session_id bigint, mentor_id bigint, mentee_id bigint, starts_at timestamptz, title text)
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
SELECT s.id, s.mentor_id, s.mentee_id, lower(s.during), s.title FROM sessions s
 WHERE s.status IN ('confirmed', 'rescheduled') AND s.reminded_at IS NULL
   AND lower(s.during) > now() AND lower(s.during) <= now() + within
 ORDER BY lower(s.during)
$$;
COMMENT ON FUNCTION due_reminders(interval) IS
    'Confirmed (or moved) sessions starting within the interval that have not been reminded; send, then mark_reminded';

CREATE OR REPLACE FUNCTION mark_reminded(session_ids bigint[]) RETURNS SETOF bigint
LANGUAGE sql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
UPDATE sessions s SET reminded_at = now()
 WHERE s.id = ANY (session_ids) AND s.reminded_at IS NULL AND s.status IN ('confirmed', 'rescheduled')
RETURNING s.id
$$;
COMMENT ON FUNCTION mark_reminded(bigint[]) IS
    'Marks sessions as reminded and returns those this call marked: two workers racing claim each session once';

COMMENT ON FUNCTION complete_session(bigint) IS
    'Completes a confirmed (or rescheduled) session that has started: the hold is posted and the mentor earns the '
    'price minus the platform fee (setting session.platform_fee_percent). True if this call completed it, false if '
    'it already was (so concurrent or repeated calls pay once); MN006 for a session in another state';

REVOKE EXECUTE ON FUNCTION request_slot(bigint, bigint, uuid), propose_session(bigint, tstzrange, text, text, text),
    respond_proposal(bigint, boolean, uuid, text), request_cancellation(bigint, text), respond_cancellation(bigint, boolean, text),
    review_session(bigint, text), resolve_review(bigint, numeric, text),
    _pay_mentor(sessions, bigint), _cancel_refund(sessions, bigint, text), _session_actor(sessions, boolean, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION request_slot(bigint, bigint, uuid), propose_session(bigint, tstzrange, text, text, text),
    respond_proposal(bigint, boolean, uuid, text), request_cancellation(bigint, text), respond_cancellation(bigint, boolean, text),
    review_session(bigint, text), resolve_review(bigint, numeric, text) TO mentor_app;

-- Journey 1's login event: a table of sign-in events, written at signup and by record_login.
-- Sign-ins (seed 001's login_logs): signup records the first event (journey 1),
-- the application records the others with record_login.
CREATE TABLE login_events (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    event      text NOT NULL CONSTRAINT login_events_event_format CHECK (event ~ '^[a-z][a-z_]{1,39}$'),
    ip         inet,
    user_agent text,
    at         timestamptz NOT NULL DEFAULT now(),
    method     text,
    success    boolean NOT NULL DEFAULT true
);
COMMENT ON TABLE login_events IS
    'Sign-in events per user: signup (written at signup), login, logout, failed_login, password_reset...; '
    'append-only (a user''s deletion removes theirs)';
COMMENT ON COLUMN login_events.method IS 'How: password, google, github, magic_link, api_key...';
COMMENT ON COLUMN login_events.success IS 'false for a failed attempt; users.last_login_at follows the successful logins';
COMMENT ON COLUMN login_events.event IS 'What happened: lower-case words joined by _ (signup, login, logout, failed_login, ...)';
CREATE INDEX login_events_user_idx ON login_events (user_id, at);

-- Sign-in events are a log: appended to, never changed.  A user's deletion
-- takes theirs with it (the foreign key's cascade, after the user is gone).
CREATE FUNCTION _login_events_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP = 'DELETE' AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = OLD.user_id) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'sign-in events cannot be changed or removed' USING ERRCODE = 'insufficient_privilege',
        DETAIL = 'login_events is an append-only log; a user''s deletion removes theirs.';
END
$$;
COMMENT ON FUNCTION _login_events_guard() IS 'Internal: keeps login_events append-only (but for a deleted user''s)';
CREATE TRIGGER login_events_append_only BEFORE UPDATE OR DELETE ON login_events
    FOR EACH ROW EXECUTE FUNCTION _login_events_guard();
CREATE TRIGGER login_events_no_truncate BEFORE TRUNCATE ON login_events
    FOR EACH STATEMENT EXECUTE FUNCTION _login_events_guard();

CREATE FUNCTION _login_events_last_login() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    UPDATE users u SET last_login_at = NEW.at
     WHERE u.id = NEW.user_id AND (u.last_login_at IS NULL OR u.last_login_at < NEW.at);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION _login_events_last_login() IS 'Internal: users.last_login_at follows the latest successful login';
CREATE TRIGGER login_events_last_login AFTER INSERT ON login_events
    FOR EACH ROW WHEN (NEW.event = 'login' AND NEW.success) EXECUTE FUNCTION _login_events_last_login();

CREATE FUNCTION record_login(user_id bigint, event text DEFAULT 'login', ip inet DEFAULT NULL, user_agent text DEFAULT NULL,
                             method text DEFAULT NULL, success boolean DEFAULT NULL)
    RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    eid bigint;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM users u WHERE u.id = record_login.user_id) THEN
        RAISE EXCEPTION 'user % does not exist', coalesce(user_id::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
    INSERT INTO login_events (user_id, event, ip, user_agent, method, success)
    VALUES (record_login.user_id, coalesce(record_login.event, 'login'), record_login.ip, record_login.user_agent,
            record_login.method, coalesce(record_login.success, coalesce(record_login.event, 'login') <> 'failed_login'))
    RETURNING id INTO eid;
    RETURN eid;
END
$$;
COMMENT ON FUNCTION record_login(bigint, text, inet, text, text, boolean) IS
    'Records a sign-in event of a user and returns its id (a successful login moves users.last_login_at, by '
    'trigger); success defaults to false for failed_login only. 23514 for an event that is not lower-case words, '
    'P0002 for an unknown user';
SELECT pg_catalog.pg_extension_config_dump('login_events', '');
SELECT pg_catalog.pg_extension_config_dump('login_events_id_seq', '');
GRANT SELECT ON login_events TO mentor_app;
GRANT SELECT, INSERT ON login_events TO mentor_admin;
GRANT USAGE, SELECT ON SEQUENCE login_events_id_seq TO mentor_app, mentor_admin;
REVOKE EXECUTE ON FUNCTION record_login(bigint, text, inet, text, text, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION record_login(bigint, text, inet, text, text, boolean) TO mentor_app;

-- Historical imports (module import).
CREATE FUNCTION _import_flag(on_ boolean) RETURNS boolean
    AS 'MODULE_PATHNAME', 'mn_import_flag' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION _import_flag(boolean) IS 'Internal: raises or lowers the import flag of this transaction (mentor.import_rows)';
CREATE FUNCTION _importing() RETURNS boolean
    AS 'MODULE_PATHNAME', 'mn_importing_sql' LANGUAGE C STABLE;
COMMENT ON FUNCTION _importing() IS 'Internal: true while mentor.import_rows inserts rows';

-- The work, with the owner's rights (the tables' own grants keep even
-- administrators from inserting sessions directly); EXECUTE for mentor_admin.
CREATE FUNCTION _import_rows(tbl regclass, rows jsonb) RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    cols     text;
    unknown  text;
    idcol    name;
    seq      text;
    app      text := current_setting('application_name');
    n        bigint;
BEGIN
    IF tbl IS NULL OR NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = tbl AND c.relnamespace = '@extschema@'::regnamespace AND c.relkind = 'r')
       OR tbl::text ~ '(^|\.)(ledger_|history_|lifecycle_|token_|withdrawals$|settings$)' THEN
        RAISE EXCEPTION 'rows cannot be imported into %', coalesce(tbl::text, 'NULL') USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'Imports go into the extension''s own data tables; tokens (ledger, purchases, allotments, '
                     'withdrawals) move only through the ledger''s functions, history and lifecycles keep themselves.';
    END IF;
    IF rows IS NULL OR jsonb_typeof(rows) <> 'array' OR EXISTS (SELECT 1 FROM jsonb_array_elements(rows) r WHERE jsonb_typeof(r) <> 'object') THEN
        RAISE EXCEPTION 'rows must be a JSON array of objects, one per row' USING ERRCODE = 'invalid_parameter_value',
            HINT = 'SELECT jsonb_agg(to_jsonb(t)) FROM old_table t builds one.';
    END IF;
    IF jsonb_array_length(rows) = 0 THEN
        RETURN 0;
    END IF;
    SELECT string_agg(quote_ident(k), ', ' ORDER BY k) FILTER (WHERE a.attname IS NOT NULL),
           string_agg(k, ', ' ORDER BY k) FILTER (WHERE a.attname IS NULL)
      INTO cols, unknown
      FROM (SELECT DISTINCT jsonb_object_keys(r) AS k FROM jsonb_array_elements(rows) r) keys
      LEFT JOIN pg_attribute a ON a.attrelid = tbl AND a.attname = keys.k AND a.attnum > 0 AND NOT a.attisdropped
                              AND a.attgenerated = '';
    IF unknown IS NOT NULL THEN
        RAISE EXCEPTION 'table % has no column % to import', tbl, unknown USING ERRCODE = 'undefined_column';
    END IF;
    -- The history of these rows names the import as the application that wrote them.
    PERFORM set_config('application_name', 'mentor.import_rows', true);
    PERFORM _import_flag(true);
    BEGIN
        EXECUTE format('INSERT INTO %s (%s) OVERRIDING SYSTEM VALUE SELECT %s FROM jsonb_populate_recordset(NULL::%s, $1)',
                       tbl, cols, cols, tbl) USING rows;
        GET DIAGNOSTICS n = ROW_COUNT;
    EXCEPTION WHEN OTHERS THEN
        PERFORM _import_flag(false);
        RAISE;
    END;
    PERFORM _import_flag(false);
    PERFORM set_config('application_name', app, true);
    -- Imported ids stay unique: the identity continues after the largest.
    SELECT a.attname, pg_get_serial_sequence(tbl::text, a.attname) INTO idcol, seq
      FROM pg_attribute a WHERE a.attrelid = tbl AND a.attidentity <> '' LIMIT 1;
    IF seq IS NOT NULL THEN
        EXECUTE format('SELECT setval(%L, greatest((SELECT max(%I) FROM %s), (SELECT last_value FROM %s)))', seq, idcol, tbl, seq);
    END IF;
    RETURN n;
END
$$;
COMMENT ON FUNCTION _import_rows(regclass, jsonb) IS 'Internal: the insert of mentor.import_rows, with the owner''s rights';

CREATE FUNCTION import_rows(tbl regclass, rows jsonb) RETURNS bigint
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT _current_user_is_admin() THEN
        RAISE EXCEPTION 'only administrators import rows' USING ERRCODE = 'insufficient_privilege',
            HINT = 'Run the import as a member of mentor_admin.';
    END IF;
    RETURN _import_rows(tbl, rows);
END
$$;
COMMENT ON FUNCTION import_rows(regclass, jsonb) IS
    'Administrators: inserts another system''s past rows (a JSON array of objects, keys = columns, ids kept) into one '
    'of the extension''s tables, in any state of their lifecycle, sessions in the past included, users without '
    'welcome tokens or a signup event; constraints, foreign keys, capacity and history still apply (history names '
    'the application mentor.import_rows). All rows or none; returns how many';

REVOKE EXECUTE ON FUNCTION _import_flag(boolean), _import_rows(regclass, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION _import_rows(regclass, jsonb) TO mentor_admin;

CREATE OR REPLACE FUNCTION _users_open_wallets() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    welcome bigint := (setting('signup.welcome_promo_tokens') #>> '{}')::bigint;
BEGIN
    INSERT INTO ledger_accounts (owner_id, kind) SELECT n.id, 'wallet' FROM new_users n;
    -- Users imported from another system signed up there: no signup event, no welcome tokens.
    IF _importing() THEN
        RETURN NULL;
    END IF;
    INSERT INTO login_events (user_id, event) SELECT n.id, 'signup' FROM new_users n;
    -- The welcome tokens a deployment gives (journey 1), once per user: the grant's id is the user's.
    IF welcome > 0 THEN
        PERFORM grant_promo(n.id, welcome,
                            date_trunc('day', now()) + (setting('signup.welcome_promo_days') #>> '{}')::int * interval '1 day',
                            _derived_id('00000000-0000-0000-0000-000000000000', 'welcome:' || n.id))
           FROM new_users n;
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION _users_open_wallets() IS
    'Internal: signup opens the user''s token wallet, records the signup event and grants the welcome promo tokens '
    'of the settings (journey 1); an imported user gets the wallet only';

CREATE OR REPLACE FUNCTION _sessions_check() RETURNS trigger
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    IF isempty(NEW.during) OR lower_inf(NEW.during) OR upper_inf(NEW.during) THEN
        RAISE EXCEPTION 'a session needs a bounded, non-empty time range' USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('Got %s.', NEW.during);
    END IF;
    IF TG_OP = 'INSERT' AND lower(NEW.during) <= now() AND NOT _importing() THEN
        RAISE EXCEPTION 'a session cannot start in the past' USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('It would start at %s.', lower(NEW.during));
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION _sessions_check() IS 'Internal: bounded ranges, and no new session in the past (22023) but imported ones';


-- Cross-check solutions within the task's window (journey of seed 000): late ones only when staff accept them.
ALTER TABLE task_solutions ADD COLUMN late boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN task_solutions.submitted_at IS 'When it was submitted: within the task''s student_start_at..student_end_at unless late';
COMMENT ON COLUMN task_solutions.late IS 'Accepted after the window by course staff (mentor.accept_late_solution); the distribution reports it';
CREATE FUNCTION _task_solutions_window() RETURNS trigger
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    ct course_tasks;
BEGIN
    IF NEW.late OR _importing() THEN
        RETURN NEW;
    END IF;
    SELECT * INTO ct FROM course_tasks t WHERE t.id = NEW.course_task_id;
    IF NEW.submitted_at < ct.student_start_at OR NEW.submitted_at > ct.student_end_at THEN
        RAISE EXCEPTION 'course task % takes solutions from % to %', ct.id, ct.student_start_at, ct.student_end_at
            USING ERRCODE = 'MN008', DETAIL = format('This one was submitted at %s.', NEW.submitted_at),
                  HINT = 'Course staff can accept it late with mentor.accept_late_solution().';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION _task_solutions_window() IS
    'Internal: MN008 for a solution submitted outside its task''s student_start_at..student_end_at, unless late';

CREATE TRIGGER task_solutions_window BEFORE INSERT OR UPDATE OF submitted_at, course_task_id, late ON task_solutions
    FOR EACH ROW EXECUTE FUNCTION _task_solutions_window();
CREATE TRIGGER task_solutions_owned_columns BEFORE INSERT OR UPDATE OF late ON task_solutions
    FOR EACH ROW
    EXECUTE FUNCTION _keep_owned_columns('Course staff accept a late solution with mentor.accept_late_solution().', 'late');
CREATE FUNCTION accept_late_solution(course_task_id bigint, student_id bigint, url text, comment text DEFAULT NULL)
    RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    ct    course_tasks := _crosscheck_task(course_task_id, 'share');
    actor bigint := current_actor();
    sid   bigint;
BEGIN
    IF actor IS NULL OR NOT (_is_course_staff(ct.course_id, actor) OR _is_staff(actor)) THEN
        RAISE EXCEPTION 'user % is not staff of course %', coalesce(actor::text, '(no actor)'), ct.course_id
            USING ERRCODE = 'MN005', HINT = 'Course staff (or platform staff) accept late solutions; call mentor.set_actor() first.';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM students s WHERE s.id = accept_late_solution.student_id AND s.course_id = ct.course_id) THEN
        RAISE EXCEPTION 'student % is not in course %', coalesce(student_id::text, 'NULL'), ct.course_id
            USING ERRCODE = 'no_data_found';
    END IF;
    INSERT INTO task_solutions AS t (course_task_id, student_id, url, comment, submitted_at, late)
    VALUES (ct.id, accept_late_solution.student_id, accept_late_solution.url, accept_late_solution.comment, now(), true)
    ON CONFLICT ON CONSTRAINT task_solutions_course_task_id_student_id_key DO UPDATE
       SET url = excluded.url, comment = excluded.comment, submitted_at = excluded.submitted_at, late = true
    RETURNING t.id INTO sid;
    RETURN sid;
END
$$;
COMMENT ON FUNCTION accept_late_solution(bigint, bigint, text, text) IS
    'Course staff (the acting user) accept a student''s solution outside the task''s window: stored (or replaced) with '
    'late = true, and the next crosscheck_distribute gives it reviewers. MN005 for anyone else; returns the solution id';

CREATE OR REPLACE FUNCTION crosscheck_distribute(course_task_id bigint, reviewers integer DEFAULT NULL, seed bigint DEFAULT NULL,
                                      force boolean DEFAULT false) RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    ct       course_tasks := _crosscheck_task(course_task_id, 'update');
    k        integer := coalesce(reviewers, ct.pairs_count);
    sols     bigint[];
    authors  bigint[];
    late     boolean[];
    created  integer;
    accepted_late integer;    -- solutions staff accepted after the window, still without reviewers
BEGIN
    IF k IS NULL OR k < 1 OR k > 100 THEN
        RAISE EXCEPTION 'reviewers must be between 1 and 100, got %', coalesce(k::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Pass NULL to use the task''s pairs_count.';
    END IF;
    IF ct.crosscheck_status = 'completed' THEN
        RAISE EXCEPTION 'the cross-check of course task % is already completed', ct.id
            USING ERRCODE = 'MN006', DETAIL = 'A completed cross-check takes no new reviewers.',
                  HINT = 'Results are final; change them in mentor.task_results if needed.';
    END IF;
    IF ct.crosscheck_status = 'initial' AND statement_timestamp() < ct.student_end_at AND NOT coalesce(force, false) THEN
        RAISE EXCEPTION 'the submission deadline of course task % has not passed', ct.id
            USING ERRCODE = 'MN006', DETAIL = format('Submissions are open until %s.', ct.student_end_at),
                  HINT = 'Wait for the deadline, or pass force => true to distribute the solutions submitted so far.';
    END IF;
    seed := coalesce(seed, ct.crosscheck_seed, (random() * 9.2e18)::bigint);

    -- Solutions of students still in the course, in student id order so a seed reproduces.
    SELECT array_agg(s.id ORDER BY s.student_id), array_agg(s.student_id ORDER BY s.student_id),
           array_agg(NOT EXISTS (SELECT 1 FROM task_solution_checkers c WHERE c.task_solution_id = s.id)
                     ORDER BY s.student_id)
      INTO sols, authors, late
      FROM task_solutions s JOIN students st ON st.id = s.student_id
     WHERE s.course_task_id = ct.id AND NOT st.is_expelled;

    -- Late solutions (accepted by staff after the window) are distributed like the others, and said so.
    SELECT count(*) INTO accepted_late FROM task_solutions s
     WHERE s.id = ANY (sols) AND s.late AND NOT EXISTS (SELECT 1 FROM task_solution_checkers c WHERE c.task_solution_id = s.id);
    IF accepted_late > 0 THEN
        RAISE NOTICE 'course task %: % late solution(s), accepted by staff, get reviewers', ct.id, accepted_late;
    END IF;
    IF ct.crosscheck_status = 'initial' THEN
        INSERT INTO task_solution_checkers (course_task_id, task_solution_id, student_id, checker_id)
        SELECT ct.id, p.task_solution_id, p.student_id, p.checker_id
          FROM _crosscheck_pairs(coalesce(sols, '{}'), coalesce(authors, '{}'), k, seed) p;
        GET DIAGNOSTICS created = ROW_COUNT;
        UPDATE course_tasks t
           SET crosscheck_status = 'distributed', crosscheck_seed = seed,
               crosscheck_reviewers = created / cardinality(sols)
         WHERE t.id = ct.id;
    ELSE
        IF NOT coalesce(true = ANY (late), false) THEN
            RAISE NOTICE 'course task %: every solution already has its reviewers', ct.id;
            RETURN 0;
        END IF;
        INSERT INTO task_solution_checkers (course_task_id, task_solution_id, student_id, checker_id)
        SELECT ct.id, p.task_solution_id, p.student_id, p.checker_id
          FROM _crosscheck_late_pairs(coalesce(sols, '{}'), coalesce(authors, '{}'), coalesce(late, '{}'),
                                      (SELECT coalesce(array_agg(c.checker_id), '{}') FROM task_solution_checkers c
                                        WHERE c.course_task_id = ct.id),
                                      (SELECT coalesce(array_agg(c.student_id), '{}') FROM task_solution_checkers c
                                        WHERE c.course_task_id = ct.id),
                                      k, seed) p;
        GET DIAGNOSTICS created = ROW_COUNT;
    END IF;
    RETURN created;
END
$$;
COMMENT ON FUNCTION crosscheck_distribute(bigint, integer, bigint, boolean) IS
    'Assigns cross-check reviewers and returns the pairs created. First call: every non-expelled student with a '
    'solution reviews and is reviewed by k others (k = reviewers, default pairs_count), no self, duplicate or mutual '
    'pair when n >= 2k+1; smaller classes get exact loads with mutual pairs (k+1 <= n < 2k+1) or n-1 each (n <= k), '
    'with a NOTICE; n < 2 fails with MN007 and changes nothing. Later calls give late solutions reviewers, '
    'least-loaded first. Deterministic for a seed; waits for student_end_at unless force';

CREATE OR REPLACE VIEW crosscheck_progress AS
SELECT ct.id AS course_task_id, ct.course_id, t.name AS task, ct.crosscheck_status, ct.crosscheck_reviewers,
       (SELECT count(*) FROM task_solutions s WHERE s.course_task_id = ct.id) AS solutions,
       (SELECT count(*) FROM task_solution_checkers c WHERE c.course_task_id = ct.id) AS assigned_reviews,
       (SELECT count(*) FROM task_solution_results r WHERE r.course_task_id = ct.id) AS submitted_reviews,
       (SELECT count(*) FROM task_solutions s WHERE s.course_task_id = ct.id AND s.late) AS late_solutions
  FROM course_tasks ct JOIN tasks t ON t.id = ct.task_id
 WHERE ct.checker = 'crosscheck';
COMMENT ON VIEW crosscheck_progress IS 'Per cross-check task: status, solutions, reviews assigned and submitted, late solutions';
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON crosscheck_progress FROM mentor_app, mentor_analyst, mentor_admin, PUBLIC;
REVOKE EXECUTE ON FUNCTION accept_late_solution(bigint, bigint, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION accept_late_solution(bigint, bigint, text, text) TO mentor_app;

SELECT _enable_history_shipped('login_events', private => ARRAY['ip', 'user_agent']);   -- where people sign in from is not for analysts

-- Experience as people type it (seed 004: "5+", "10-15"), its first number kept as years_of_experience.
ALTER TABLE profiles ADD COLUMN years_of_experience_text text
    CONSTRAINT profiles_years_text_length CHECK (length(years_of_experience_text) <= 40);
COMMENT ON COLUMN profiles.years_of_experience IS
    'Years of professional experience (0-80); follows years_of_experience_text when that is written';
COMMENT ON COLUMN profiles.years_of_experience_text IS
    'Experience as the person typed it ("5+", "10-15", "3 years"); years_of_experience becomes its first number '
    '(the lower bound), or NULL when it has none';
CREATE FUNCTION _profiles_years_from_text() RETURNS trigger
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    first text := substring(NEW.years_of_experience_text FROM '[0-9]+');
BEGIN
    IF NEW.years_of_experience_text IS NOT NULL THEN
        IF length(first) > 2 OR first::int > 80 THEN
            RAISE EXCEPTION 'years of experience "%" is out of range', NEW.years_of_experience_text
                USING ERRCODE = 'check_violation', HINT = 'Between 0 and 80 years: "5+", "10-15", "3 years".';
        END IF;
        NEW.years_of_experience := first::smallint;
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION _profiles_years_from_text() IS
    'Internal: years_of_experience becomes the first number of years_of_experience_text ("5+" -> 5, "10-15" -> 10)';

CREATE TRIGGER profiles_years_from_text BEFORE INSERT OR UPDATE OF years_of_experience_text, years_of_experience ON profiles
    FOR EACH ROW EXECUTE FUNCTION _profiles_years_from_text();
CREATE OR REPLACE FUNCTION visible_profile(viewer bigint, user_id bigint) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    target     users;
    prof       profiles;
    v          users;
    clearance  int;
    doc        jsonb;
BEGIN
    IF user_id IS NULL THEN
        RAISE EXCEPTION 'user_id must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT * INTO target FROM users u WHERE u.id = visible_profile.user_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'user % does not exist', user_id USING ERRCODE = 'no_data_found';
    END IF;
    IF viewer IS NULL THEN
        clearance := 0;                      -- anonymous: public fields only
    ELSE
        SELECT * INTO v FROM users u WHERE u.id = viewer;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'viewer % does not exist', viewer USING ERRCODE = 'no_data_found',
                HINT = 'Pass NULL as viewer for an anonymous visitor.';
        END IF;
        clearance := CASE
            WHEN v.id = target.id OR _role_class(v.role) = 'staff' THEN 3
            WHEN NOT v.active THEN 0
            WHEN _role_class(v.role) = 'mentor' THEN 2
            ELSE 1 END;
    END IF;
    -- A deactivated account is visible to itself and staff only.
    IF NOT target.active AND clearance < 3 THEN
        RETURN NULL;
    END IF;
    SELECT * INTO prof FROM profiles p WHERE p.user_id = target.id;

    doc := jsonb_build_object(
        'full_name', target.full_name, 'avatar_url', target.avatar_url, 'email', target.email,
        'time_zone', target.time_zone, 'headline', prof.headline, 'department', prof.department,
        'position', prof.position, 'organization', prof.organization, 'location', prof.location,
        'bio', prof.bio, 'skills', prof.skills, 'interests', prof.interests, 'goals', prof.goals,
        'availability', prof.availability, 'years_of_experience', prof.years_of_experience,
        'years_of_experience_text', prof.years_of_experience_text,
        'area_of_expertise', prof.area_of_expertise, 'mentorship_style', prof.mentorship_style,
        'preferred_communication', prof.preferred_communication,
        'user_skills', (SELECT coalesce(jsonb_agg(jsonb_build_object('skill', s.slug, 'direction', us.direction,
                                                                      'level', us.level) ORDER BY s.slug, us.direction), '[]')
                          FROM user_skills us JOIN skills s ON s.id = us.skill_id WHERE us.user_id = target.id),
        'external_accounts', (SELECT coalesce(jsonb_agg(jsonb_build_object('service', e.service, 'username', e.username,
                                                                            'profile_url', e.profile_url) ORDER BY e.service), '[]')
                                FROM external_accounts e WHERE e.user_id = target.id));

    RETURN jsonb_build_object('id', target.id, 'username', target.username, 'role', target.role,
                              'accepting_new_mentees', prof.accepting_new_mentees,
                              'supports_new_mothers', prof.supports_new_mothers)
        || coalesce((SELECT jsonb_object_agg(d.key, d.value)
                       FROM jsonb_each(doc) d
                       -- the typed experience is shown as its number is
                       CROSS JOIN LATERAL (SELECT CASE d.key WHEN 'years_of_experience_text' THEN 'years_of_experience'
                                                             ELSE d.key END AS field) f
                       LEFT JOIN profile_visibility pv ON pv.user_id = target.id AND pv.field = f.field
                      WHERE array_position(enum_range(NULL::visibility),
                                           coalesce(pv.visibility, profile_field_default(f.field))) - 1 <= clearance),
                    '{}');
END
$$;
COMMENT ON FUNCTION visible_profile(bigint, bigint) IS
    'The profile of user_id as viewer may see it (viewer NULL: anonymous): id, username, role and mentoring flags '
    'always, other fields by mentor.profile_visibility. NULL for a deactivated account unless viewer is the user or staff';


-- Settings are cached by the C code (the sessions' lifecycle reads session.flow at each change of status).
CREATE TRIGGER settings_cache_invalidate
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON settings
    FOR EACH STATEMENT EXECUTE FUNCTION _table_cache_changed();

REVOKE UPDATE (title, agenda, meeting_link, mentorship_id, updated_at, description) ON sessions FROM mentor_app;
GRANT UPDATE ON sessions TO mentor_app;

-- A note column on lifecycle transitions, which also keeps SQLAlchemy's automap from taking the
-- table for a many-to-many link of states to themselves.
ALTER TABLE lifecycle_transition_defs ADD COLUMN note text;
COMMENT ON COLUMN lifecycle_transition_defs.note IS 'A note of this database on the transition (why it exists); free text';

-- What a distribution made, as a result rather than NOTICEs.
CREATE FUNCTION crosscheck_report(course_task_id bigint)
    RETURNS TABLE (solutions integer, late_solutions integer, pairs integer, mutual_pairs integer,
                   min_reviewers integer, max_reviewers integer)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
SELECT (SELECT count(*) FROM task_solutions s WHERE s.course_task_id = ct.id)::integer,
       (SELECT count(*) FROM task_solutions s WHERE s.course_task_id = ct.id AND s.late)::integer,
       (SELECT count(*) FROM task_solution_checkers c WHERE c.course_task_id = ct.id)::integer,
       (SELECT count(*) / 2 FROM task_solution_checkers a JOIN task_solution_checkers b
            ON b.course_task_id = a.course_task_id AND b.checker_id = a.student_id AND b.student_id = a.checker_id
         WHERE a.course_task_id = ct.id)::integer,
       r.lo, r.hi
  FROM course_tasks ct
  LEFT JOIN LATERAL (SELECT min(k)::integer AS lo, max(k)::integer AS hi
                       FROM (SELECT count(c.id) AS k FROM task_solutions s
                               LEFT JOIN task_solution_checkers c ON c.task_solution_id = s.id
                              WHERE s.course_task_id = ct.id GROUP BY s.id) x) r ON true
 WHERE ct.id = crosscheck_report.course_task_id
$$;
COMMENT ON FUNCTION crosscheck_report(bigint) IS
    'What the distribution of a cross-check task made, as one row: solutions, late ones (accepted by staff), pairs, '
    'mutual pairs, and the fewest and most reviewers a solution has; no row for an unknown task. Counts only: who '
    'reviews whom stays private';
REVOKE EXECUTE ON FUNCTION crosscheck_report(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION crosscheck_report(bigint) TO mentor_app;

-- Plain start and end columns beside the sessions' ranges, for clients that
-- map timestamps but not tstzrange.  Added as generated columns so that
-- existing rows get their values without firing any trigger (history records
-- nothing), then made plain: the trigger sessions_bounds keeps them from now on.
CREATE FUNCTION _range_bounds() RETURNS trigger
    AS 'MODULE_PATHNAME', 'mn_range_bounds' LANGUAGE C;
COMMENT ON FUNCTION _range_bounds() IS
    'BEFORE INSERT OR UPDATE FOR EACH ROW trigger (arguments: triples of a range column and its lower and upper '
    'bound columns): the bound columns follow the range; bounds written alone set the range [lower, upper); both '
    'written and disagreeing is 22023';

ALTER TABLE sessions
    ADD COLUMN starts_at timestamptz GENERATED ALWAYS AS (lower(during)) STORED,
    ADD COLUMN ends_at timestamptz GENERATED ALWAYS AS (upper(during)) STORED,
    ADD COLUMN proposed_starts_at timestamptz GENERATED ALWAYS AS (lower(proposed_during)) STORED,
    ADD COLUMN proposed_ends_at timestamptz GENERATED ALWAYS AS (upper(proposed_during)) STORED;
ALTER TABLE sessions ALTER COLUMN starts_at DROP EXPRESSION, ALTER COLUMN ends_at DROP EXPRESSION,
    ALTER COLUMN proposed_starts_at DROP EXPRESSION, ALTER COLUMN proposed_ends_at DROP EXPRESSION;
COMMENT ON COLUMN sessions.starts_at IS 'The start of during, for clients that map timestamps but not ranges (trigger sessions_bounds)';
COMMENT ON COLUMN sessions.ends_at IS 'The end of during, for clients that map timestamps but not ranges (trigger sessions_bounds)';
COMMENT ON COLUMN sessions.proposed_starts_at IS 'The start of proposed_during (trigger sessions_bounds)';
COMMENT ON COLUMN sessions.proposed_ends_at IS 'The end of proposed_during (trigger sessions_bounds)';
-- starts_at/ends_at follow during (and during follows them when only they are
-- written, as when rows are imported with a start and an end).  Named to run
-- before sessions_owned_columns, which then judges the range they made; an
-- UPDATE that sets none of these columns (a booking, a completion) skips it.
CREATE TRIGGER sessions_bounds
    BEFORE INSERT OR UPDATE OF during, starts_at, ends_at, proposed_during, proposed_starts_at, proposed_ends_at
    ON sessions
    FOR EACH ROW EXECUTE FUNCTION _range_bounds('during', 'starts_at', 'ends_at',
                                                'proposed_during', 'proposed_starts_at', 'proposed_ends_at');
-- What the application may change in a session is its description (title, description,
-- agenda, meeting link, mentorship); everything else moves through the functions below,
-- which keep the money right.  A trigger rather than column grants, so that an ORM's
-- save of the whole row, unchanged columns included, works.
CREATE TRIGGER sessions_owned_columns
    BEFORE UPDATE OF mentor_id, mentee_id, during, status, price_tokens, hold_id, hold_parts, refund_tokens,
                     proposed_during, proposed_by, response_message, cancelled_by, cancel_reason, completed_at,
                     reminded_at, created_at, review_reason, resolved_by, starts_at, ends_at, proposed_starts_at,
                     proposed_ends_at ON sessions
    FOR EACH ROW
    EXECUTE FUNCTION _keep_owned_columns('A session moves through mentor.book_session, complete_session, cancel_session, '
                                         'the request, proposal, reschedule and review functions; the application '
                                         'edits title, description, agenda, meeting_link and mentorship_id.',
                                         'mentor_id', 'mentee_id', 'during', 'status', 'price_tokens', 'hold_id',
                                         'hold_parts', 'refund_tokens', 'proposed_during', 'proposed_by',
                                         'response_message', 'cancelled_by', 'cancel_reason', 'completed_at',
                                         'reminded_at', 'created_at', 'review_reason', 'resolved_by', 'starts_at',
                                         'ends_at', 'proposed_starts_at', 'proposed_ends_at');

-- Teams: who a distribution would place is one function, shared by
-- distribute_teams and team_distribution_report (its result, rather than NOTICEs).
CREATE FUNCTION _team_waiting(distribution_id bigint) RETURNS TABLE (student_id bigint, rank integer)
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
SELECT st.id, coalesce(st.rank, 2147483647)
  FROM team_distributions d
  JOIN team_distribution_students r ON r.distribution_id = d.id
  JOIN students st ON st.id = r.student_id
 WHERE d.id = _team_waiting.distribution_id AND r.active AND NOT r.distributed
   AND NOT st.is_expelled AND st.total_score >= d.min_total_score
   AND r.registered_at BETWEEN d.start_at AND d.end_at
   AND NOT EXISTS (SELECT 1 FROM team_members m WHERE m.distribution_id = d.id AND m.student_id = st.id)
$$;
COMMENT ON FUNCTION _team_waiting(bigint) IS
    'Internal: the students a team distribution would place now (registered in the window, active, not yet placed, '
    'not expelled, total_score at least min_total_score), with their rank (unranked last)';
REVOKE EXECUTE ON FUNCTION _team_waiting(bigint) FROM PUBLIC;
CREATE OR REPLACE FUNCTION distribute_teams(distribution_id bigint, seed bigint DEFAULT NULL) RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    d        team_distributions;
    sids     bigint[];
    ranks    integer[];
    tids     bigint[];
    sizes    integer[];
    plan_s   integer[];
    plan_t   integer[];
    plan_l   boolean[];
    new_ids  bigint[];
    nexist   integer;
    placed   integer;
BEGIN
    SELECT * INTO d FROM team_distributions t WHERE t.id = distribute_teams.distribution_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'team distribution % does not exist', coalesce(distribution_id::text, 'NULL')
            USING ERRCODE = 'no_data_found', HINT = 'Pass the id of a row of mentor.team_distributions.';
    END IF;

    SELECT array_agg(w.student_id ORDER BY w.student_id), array_agg(w.rank ORDER BY w.student_id)
      INTO sids, ranks
      FROM _team_waiting(d.id) w;
    IF sids IS NULL THEN
        RAISE NOTICE 'team distribution %: nobody is waiting for a team', d.id
            USING DETAIL = 'Eligible: registered within the window, active, not yet placed, not expelled, '
                           'total_score at least min_total_score.';
        RETURN 0;
    END IF;
    SELECT coalesce(array_agg(t.id ORDER BY t.id), '{}'),
           coalesce(array_agg((SELECT count(*) FROM team_members m WHERE m.team_id = t.id)::integer ORDER BY t.id), '{}')
      INTO tids, sizes
      FROM teams t WHERE t.distribution_id = d.id;
    nexist := cardinality(tids);

    SELECT array_agg(p.student_index ORDER BY p.team_index, p.student_index),
           array_agg(p.team_index ORDER BY p.team_index, p.student_index),
           array_agg(p.is_lead ORDER BY p.team_index, p.student_index)
      INTO plan_s, plan_t, plan_l
      FROM _teams_plan(ranks, sizes, d.min_team_size, d.max_team_size, d.strict_team_size,
                       coalesce(seed, (random() * 9.2e18)::bigint)) p;
    placed := coalesce(cardinality(plan_s), 0);

    -- New teams, numbered after the existing ones, in plan order.
    WITH leads AS (
        SELECT p.t, p.s FROM unnest(plan_t, plan_s, plan_l) AS p(t, s, l) WHERE p.l),
    made AS (
        INSERT INTO teams (distribution_id, name, lead_student_id)
        SELECT d.id, format('Team %s', l.t), sids[l.s] FROM leads l ORDER BY l.t
        RETURNING id, lead_student_id)
    SELECT array_agg(m.id ORDER BY m.id) INTO new_ids FROM made m;

    INSERT INTO team_members (team_id, distribution_id, student_id)
    SELECT CASE WHEN p.t <= nexist THEN tids[p.t] ELSE new_ids[p.t - nexist] END, d.id, sids[p.s]
      FROM unnest(plan_t, plan_s) AS p(t, s);
    UPDATE team_distribution_students r SET distributed = true
     WHERE r.distribution_id = d.id AND r.student_id = ANY (SELECT sids[s] FROM unnest(plan_s) s);

    IF placed < cardinality(sids) THEN
        RAISE NOTICE 'team distribution %: % of % students could not be placed', d.id, cardinality(sids) - placed,
                     cardinality(sids)
            USING DETAIL = format('Teams take %s students (strict size %s); the lowest-ranked wait for the next round.',
                                  concat_ws('-', d.min_team_size, d.max_team_size), coalesce(d.strict_team_size::text, 'none'));
    END IF;
    RETURN placed;
END
$$;
COMMENT ON FUNCTION distribute_teams(bigint, bigint) IS
    'Places the eligible students of a distribution (registered within its window, active, not placed, not expelled, '
    'total_score >= min_total_score) into teams and returns how many were placed: existing teams with room first, '
    'then the fewest new teams whose sizes fit min/max (or strict) size, dealt by snake draft over rank so strength '
    'is balanced; the best-ranked member leads a new team. Deterministic for a seed';
CREATE FUNCTION team_distribution_report(distribution_id bigint)
    RETURNS TABLE (registered integer, placed integer, waiting integer, teams integer,
                   smallest_team integer, largest_team integer)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
SELECT (SELECT count(*) FROM team_distribution_students r WHERE r.distribution_id = d.id AND r.active)::integer,
       (SELECT count(*) FROM team_members m WHERE m.distribution_id = d.id)::integer,
       (SELECT count(*) FROM _team_waiting(d.id))::integer,
       (SELECT count(*) FROM teams t WHERE t.distribution_id = d.id)::integer,
       z.lo, z.hi
  FROM team_distributions d
  LEFT JOIN LATERAL (SELECT min(k)::integer AS lo, max(k)::integer AS hi
                       FROM (SELECT count(m.id) AS k FROM teams t LEFT JOIN team_members m ON m.team_id = t.id
                              WHERE t.distribution_id = d.id GROUP BY t.id) x) z ON true
 WHERE d.id = team_distribution_report.distribution_id
$$;
COMMENT ON FUNCTION team_distribution_report(bigint) IS
    'What a team distribution made, as one row: active registrations, students placed, students still waiting (whom '
    'the next distribute_teams would try to place), teams, and the smallest and largest team; no row for an unknown '
    'distribution';
REVOKE EXECUTE ON FUNCTION team_distribution_report(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION team_distribution_report(bigint) TO mentor_app;

-- Read functions that run on a hot standby: a cohort matched without save
-- writes nothing, reviewer flags take no lock, and account lookups return
-- NULL in a read-only transaction for an account not opened yet.
CREATE OR REPLACE FUNCTION match_cohort(mentee_ids bigint[], per_mentee integer DEFAULT 1, method text DEFAULT 'optimal',
                             save boolean DEFAULT false)
    RETURNS TABLE (mentee_id bigint, mentor_id bigint, score numeric, reason text)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    unknown    bigint[];
    mentees    bigint[];
    mentors    bigint[];
    scores     float8[];
    candidates integer[];
BEGIN
    IF per_mentee IS NULL OR per_mentee < 1 THEN
        RAISE EXCEPTION 'per_mentee must be at least 1, got %', coalesce(per_mentee::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF method IS NULL OR method NOT IN ('optimal', 'stable', 'greedy') THEN
        RAISE EXCEPTION 'unknown matching method %', coalesce(quote_literal(method), 'NULL')
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Use optimal, stable or greedy.';
    END IF;
    SELECT array_agg(DISTINCT m) INTO unknown FROM unnest(mentee_ids) m WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = m);
    IF unknown IS NOT NULL THEN
        RAISE EXCEPTION 'unknown mentees' USING ERRCODE = 'no_data_found', DETAIL = format('Users %s do not exist.', unknown);
    END IF;
    -- Mentees and the eligible mentors are numbered by id; their skills,
    -- profiles and the excluded pairs go to C as arrays, where every pair is
    -- scored and assigned.  The result is kept in arrays, so that only save
    -- writes: without it the function runs anywhere, a hot standby included.
    WITH cohort AS (SELECT m AS id, row_number() OVER (ORDER BY m)::int AS i
                      FROM (SELECT DISTINCT m FROM unnest(mentee_ids) m) x),
         pool AS (SELECT p.user_id AS id, row_number() OVER (ORDER BY p.user_id)::int AS j, p.active_mentees,
                         p.max_mentees, coalesce(p.rating_avg, 0)::float8 AS rating_avg, p.rating_count
                    FROM mentor_profiles p
                   WHERE p.accepting AND p.active_mentees < p.max_mentees
                     AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = p.user_id AND NOT u.active)),
         excluded AS (SELECT c.i, r.j FROM cohort c JOIN pool r ON r.id = c.id
                      UNION
                      SELECT c.i, r.j FROM mentorships ms JOIN cohort c ON c.id = ms.mentee_id
                        JOIN pool r ON r.id = ms.mentor_id WHERE ms.status IN ('pending', 'active')
                      UNION
                      SELECT c.i, r.j FROM suggestions sg JOIN cohort c ON c.id = sg.mentee_id
                        JOIN pool r ON r.id = sg.mentor_id WHERE sg.status = 'declined'),
         result AS (
             SELECT c.id AS mentee, r.id AS mentor, x.score, x.candidates
               FROM (SELECT array_agg(c.i) AS i, array_agg(us.skill_id) AS skill, array_agg(us.level::int) AS level
                       FROM cohort c JOIN user_skills us ON us.user_id = c.id AND us.direction = 'seeks') sk,
                    (SELECT array_agg(r.j) AS j, array_agg(us.skill_id) AS skill, array_agg(us.level::int) AS level
                       FROM pool r JOIN user_skills us ON us.user_id = r.id AND us.direction = 'offers') ok,
                    (SELECT array_agg(r.active_mentees ORDER BY r.j) AS active, array_agg(r.max_mentees ORDER BY r.j) AS max,
                            array_agg(r.rating_avg ORDER BY r.j) AS mean, array_agg(r.rating_count ORDER BY r.j) AS cnt
                       FROM pool r) pr,
                    (SELECT array_agg(e.i) AS i, array_agg(e.j) AS j FROM excluded e) ex,
                    _match_cohort((SELECT count(*)::int FROM cohort), coalesce(sk.i, '{}'), coalesce(sk.skill, '{}'),
                                  coalesce(sk.level, '{}'), coalesce(ok.j, '{}'), coalesce(ok.skill, '{}'),
                                  coalesce(ok.level, '{}'), coalesce(pr.active, '{}'), coalesce(pr.max, '{}'),
                                  coalesce(pr.mean, '{}'), coalesce(pr.cnt, '{}'), coalesce(ex.i, '{}'),
                                  coalesce(ex.j, '{}'), per_mentee, method, _matching_weights()) x
               JOIN cohort c ON c.i = x.mentee
               LEFT JOIN pool r ON r.j = x.mentor)
    SELECT array_agg(r.mentee), array_agg(r.mentor), array_agg(r.score), array_agg(r.candidates)
      INTO mentees, mentors, scores, candidates
      FROM result r;
    IF save THEN
        INSERT INTO matches (mentor_id, mentee_id, score, method)
        SELECT r.mentor, r.mentee, round(r.score::numeric, 4), match_cohort.method
          FROM unnest(mentees, mentors, scores) r(mentee, mentor, score) WHERE r.mentor IS NOT NULL;
    END IF;
    RETURN QUERY
    SELECT r.mentee, r.mentor, round(r.score::numeric, 4),
           CASE WHEN r.mentor IS NOT NULL THEN NULL
                WHEN r.candidates = 0
                THEN 'no eligible mentor (filters: accepting, free place, skills sought, no live mentorship)'
                WHEN match_cohort.method = 'stable'
                THEN 'every eligible mentor''s places went to mentees the mentor ranks higher'
                ELSE 'every eligible mentor''s places went to pairs with a higher total score' END
      FROM unnest(mentees, mentors, scores, candidates) r(mentee, mentor, score, candidates)
     ORDER BY 1, 3 DESC NULLS LAST, 2;
END
$$;
COMMENT ON FUNCTION match_cohort(bigint[], integer, text, boolean) IS
    'Matches a cohort of mentees to mentors at once: optimal (the largest total fit under every mentor''s free '
    'places and per_mentee mentors each, by min-cost flow), stable (mentee-proposing deferred acceptance) or '
    'greedy (highest score first, the baseline). Unmatched mentees come back with a NULL mentor and the reason. '
    'save => true also writes the pairs as matches awaiting approval. 22023 for per_mentee < 1 or an unknown '
    'method, P0002 for unknown mentees, 54000 past 8 million candidate pairs';
CREATE OR REPLACE FUNCTION _crosscheck_task(course_task_id bigint, lock_mode text) RETURNS course_tasks
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    ct course_tasks;
BEGIN
    IF lock_mode = 'update' THEN
        SELECT * INTO ct FROM course_tasks t WHERE t.id = _crosscheck_task.course_task_id FOR UPDATE;
    ELSIF lock_mode = 'none' THEN
        SELECT * INTO ct FROM course_tasks t WHERE t.id = _crosscheck_task.course_task_id;
    ELSE
        SELECT * INTO ct FROM course_tasks t WHERE t.id = _crosscheck_task.course_task_id FOR SHARE;
    END IF;
    IF ct.id IS NULL THEN
        RAISE EXCEPTION 'course task % does not exist', coalesce(course_task_id::text, 'NULL')
            USING ERRCODE = 'no_data_found', HINT = 'Pass the id of a row of mentor.course_tasks.';
    END IF;
    IF ct.checker <> 'crosscheck' THEN
        RAISE EXCEPTION 'course task % is not a cross-check task', ct.id
            USING ERRCODE = 'MN006', DETAIL = format('Its checker is %s.', ct.checker),
                  HINT = 'Set course_tasks.checker to ''crosscheck'' before distributing.';
    END IF;
    RETURN ct;
END
$$;
COMMENT ON FUNCTION _crosscheck_task(bigint, text) IS
    'Internal: a cross-check course task, locked for update or share (none: read only, as reports need on a '
    'standby), or P0002/MN006';
CREATE OR REPLACE FUNCTION crosscheck_reviewer_flags(course_task_id bigint, min_comment_length integer DEFAULT 20)
    RETURNS TABLE (review_id bigint, task_solution_id bigint, student_id bigint, checker_id bigint, score integer,
                   flag text, detail text)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    -- a report: no lock, so that it runs on a standby
    ct course_tasks := _crosscheck_task(course_task_id, 'none');
BEGIN
    RETURN QUERY
    WITH stats AS (
        SELECT r.*, count(*) OVER w AS n, sum(r.score) OVER w AS total
          FROM task_solution_results r WHERE r.course_task_id = ct.id
        WINDOW w AS (PARTITION BY r.task_solution_id))
    SELECT s.id, s.task_solution_id, s.student_id, s.checker_id, s.score, 'outlier',
           format('score %s vs %s, the mean of the %s other reviewers (accepted: %s-%s)', s.score,
                  round((s.total - s.score)::numeric / (s.n - 1), 2), s.n - 1,
                  round(0.9 * (s.total - s.score) / (s.n - 1), 2), round(1.1 * (s.total - s.score) / (s.n - 1), 2))
      FROM stats s
     WHERE s.n >= 3
       AND (s.score < 0.9 * (s.total - s.score) / (s.n - 1) OR s.score > 1.1 * (s.total - s.score) / (s.n - 1))
    UNION ALL
    SELECT s.id, s.task_solution_id, s.student_id, s.checker_id, s.score,
           CASE WHEN coalesce(btrim(s.comment), '') = '' THEN 'missing_comment' ELSE 'short_comment' END,
           format('score %s below the maximum %s with a comment of %s characters (at least %s expected)',
                  s.score, ct.max_score, length(coalesce(btrim(s.comment), '')), min_comment_length)
      FROM stats s
     WHERE s.score < ct.max_score AND length(coalesce(btrim(s.comment), '')) < min_comment_length
     ORDER BY 2, 4, 6;
END
$$;
COMMENT ON FUNCTION crosscheck_reviewer_flags(bigint, integer) IS
    'Reviews worth a second look: outlier (outside 0.9-1.1x the mean of the other reviewers of the same solution, '
    'when it has at least 3 reviews) and missing_comment / short_comment (a score below the maximum explained in '
    'fewer than min_comment_length characters)';
CREATE OR REPLACE FUNCTION system_account(name text, asset text DEFAULT 'TOKEN') RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    full_name text := CASE WHEN asset = 'TOKEN' THEN name ELSE name || ':' || asset END;
    acct      bigint;
    acct_kind text := CASE name WHEN 'revenue' THEN 'revenue' WHEN 'external' THEN 'external'
                                WHEN 'expiry' THEN 'expiry' WHEN 'promo_pool' THEN 'platform'
                                WHEN 'allotments' THEN 'platform' END;
BEGIN
    IF acct_kind IS NULL THEN
        RAISE EXCEPTION 'unknown system account "%"', name
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'System accounts: external, revenue, promo_pool, allotments, expiry.';
    END IF;
    SELECT id INTO acct FROM ledger_accounts a WHERE a.name = full_name;
    -- Read-only (a standby): an account not opened yet is NULL rather than an error.
    IF NOT FOUND AND NOT current_setting('transaction_read_only')::boolean THEN
        INSERT INTO ledger_accounts (kind, asset, allow_negative, track_balance, name)
        VALUES (acct_kind, asset, true, false, full_name)
        ON CONFLICT ON CONSTRAINT ledger_accounts_name_key DO NOTHING;
        SELECT id INTO acct FROM ledger_accounts a WHERE a.name = full_name;
    END IF;
    RETURN acct;
END
$$;
COMMENT ON FUNCTION system_account(text, text) IS
    'The platform''s untracked system account of that name (external, revenue, promo_pool, allotments, expiry), '
    'created on first use; NULL in a read-only transaction (a standby) before it exists';
CREATE OR REPLACE FUNCTION _owned_account(user_id bigint, account_kind text) RETURNS bigint
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    acct bigint;
BEGIN
    -- The kind list repeats the unique index's predicate so a cached generic
    -- plan can still use that index rather than scanning every account.
    SELECT id INTO acct FROM ledger_accounts
     WHERE owner_id = user_id AND kind = account_kind AND asset = 'TOKEN' AND kind IN ('wallet', 'earnings', 'escrow');
    IF NOT FOUND THEN
        IF NOT EXISTS (SELECT 1 FROM users WHERE id = user_id) THEN
            RAISE EXCEPTION 'user % does not exist', user_id USING ERRCODE = 'no_data_found';
        END IF;
        -- Read-only (a standby): an account not opened yet is NULL rather than an error.
        IF current_setting('transaction_read_only')::boolean THEN
            RETURN NULL;
        END IF;
        INSERT INTO ledger_accounts (owner_id, kind) VALUES (user_id, account_kind)
        ON CONFLICT (owner_id, kind, asset) WHERE kind IN ('wallet', 'earnings', 'escrow') DO NOTHING;
        SELECT id INTO acct FROM ledger_accounts WHERE owner_id = user_id AND kind = account_kind AND asset = 'TOKEN';
    END IF;
    RETURN acct;
END
$$;
COMMENT ON FUNCTION _owned_account(bigint, text) IS
    'Internal: a user''s wallet or earnings account, created on first use (NULL in a read-only transaction before '
    'it exists)';
COMMENT ON FUNCTION wallet(bigint) IS
    'The user''s token wallet account (created at signup, or on first use; NULL in a read-only transaction before '
    'it exists)';
COMMENT ON FUNCTION earnings_account(bigint) IS
    'The mentor''s earnings account (created on first use; NULL in a read-only transaction before it exists)';

-- On a logical-replication subscriber the rows arrive through the apply worker, which
-- runs with session_replication_role = replica and fires row triggers enabled for replicas
-- only: these drop the same caches there (on a primary they never fire).
CREATE TRIGGER lifecycle_cache_invalidate_apply
    AFTER INSERT OR UPDATE OR DELETE ON lifecycle_state_defs
    FOR EACH ROW EXECUTE FUNCTION _table_cache_changed();
ALTER TABLE lifecycle_state_defs ENABLE REPLICA TRIGGER lifecycle_cache_invalidate_apply;
CREATE TRIGGER lifecycle_cache_invalidate_apply
    AFTER INSERT OR UPDATE OR DELETE ON lifecycle_transition_defs
    FOR EACH ROW EXECUTE FUNCTION _table_cache_changed();
ALTER TABLE lifecycle_transition_defs ENABLE REPLICA TRIGGER lifecycle_cache_invalidate_apply;
CREATE TRIGGER settings_cache_invalidate_apply
    AFTER INSERT OR UPDATE OR DELETE ON settings
    FOR EACH ROW EXECUTE FUNCTION _table_cache_changed();
ALTER TABLE settings ENABLE REPLICA TRIGGER settings_cache_invalidate_apply;
COMMENT ON FUNCTION _table_cache_changed() IS
    'Internal: statement trigger that makes every backend drop what it caches from the table (lifecycles, settings, '
    'ledger accounts); also a row trigger enabled for replicas, for rows a subscription applies';

-- Logical replication of the whole schema (module replication).
-- The key is (txid, at): a transaction runs in one backend, whose history
-- clock is strictly increasing, so no two rows of a transaction share an at.
-- Each partition of the log has its own (the log itself has no index, see
-- 30_history); the log marked REPLICA IDENTITY FULL gives it to partitions
-- made later.
CREATE FUNCTION history_replica_key() RETURNS text
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    leaf   regclass;
    name   text;
    usable boolean;
BEGIN
    IF NOT pg_has_role(current_user, (SELECT c.relowner FROM pg_class c WHERE c.oid = '@extschema@.history_log'::regclass),
                       'USAGE') THEN
        RAISE EXCEPTION 'history_replica_key() is for the owner of mentor.history_log'
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'It builds an index on each partition of the history log and sets its replica identity.',
                  HINT = 'Run it as the role that created the extension (or a superuser).';
    END IF;
    FOR leaf, name IN SELECT b.partition, c.relname FROM _history_partition_bounds() b JOIN pg_class c ON c.oid = b.partition LOOP
        SELECT i.indisvalid AND i.indisunique INTO usable
          FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
         WHERE i.indrelid = leaf AND c.relname = name || '_replica_key';
        IF usable IS NOT NULL AND NOT usable THEN
            RAISE EXCEPTION 'index mentor.% exists but is not a valid unique index', name || '_replica_key'
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      DETAIL = 'A CREATE INDEX CONCURRENTLY of it may have failed half-way.',
                      HINT = format('DROP INDEX mentor.%I, then build it again.', name || '_replica_key');
        END IF;
    END LOOP;
    ALTER TABLE history_log REPLICA IDENTITY FULL;
    -- Blocks audited writes to each partition while its index builds; on a large log, build them
    -- first with CREATE UNIQUE INDEX CONCURRENTLY under these names.
    FOR leaf IN SELECT b.partition FROM _history_partition_bounds() b LOOP
        PERFORM _history_index_partition(leaf);
    END LOOP;
    RETURN 'history_log_replica_key';
END
$$;
COMMENT ON FUNCTION history_replica_key() IS
    'Gives every partition of mentor.history_log (and each one made later: the log is marked REPLICA IDENTITY FULL) '
    'a replica identity, the unique index PARTITION_replica_key on (txid, at), so that the log''s deletes '
    '(prune_history) can be published; run it on the publisher and on each subscriber, and again after a restore. '
    'Every audited write then also inserts into that index. Idempotent; uses an index of that name built '
    'concurrently beforehand. Returns history_log_replica_key';

CREATE FUNCTION create_publications(name text DEFAULT 'mentor', history_deletes boolean DEFAULT false)
RETURNS SETOF text
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    tables text;
    history text := name || '_history';
    ops     text := 'insert';
BEGIN
    IF name IS NULL OR name !~ '^[a-z_][a-z0-9_]{0,40}$' THEN
        RAISE EXCEPTION 'publication name % is not a lower-case identifier of up to 41 characters',
                        coalesce(quote_literal(name), 'NULL')
            USING ERRCODE = 'invalid_parameter_value', HINT = 'For example mentor.create_publications(''mentor'').';
    END IF;
    SELECT string_agg(format('%I.%I', n.nspname, c.relname), ', ' ORDER BY c.relname) INTO tables
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = '@extschema@' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
       AND c.relname <> 'history_log';
    -- Again after ALTER EXTENSION UPDATE: the list then takes in the new tables.
    IF EXISTS (SELECT 1 FROM pg_publication p WHERE p.pubname = name) THEN
        EXECUTE format('ALTER PUBLICATION %I SET TABLE %s', name, tables);
    ELSE
        EXECUTE format('CREATE PUBLICATION %I FOR TABLE %s', name, tables);
    END IF;
    IF history_deletes IS NULL THEN
        RAISE EXCEPTION 'history_deletes must be true or false'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF history_deletes THEN
        PERFORM history_replica_key();
        ops := 'insert, delete';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_publication p WHERE p.pubname = history) THEN
        EXECUTE format('ALTER PUBLICATION %I SET (publish = %L, publish_via_partition_root = true)', history, ops);
    ELSE
        -- As the log itself, not its partitions: each side makes partitions of its own.
        EXECUTE format('CREATE PUBLICATION %I FOR TABLE @extschema@.history_log WITH (publish = %L, publish_via_partition_root = true)',
                       history, ops);
    END IF;
    RETURN NEXT name;
    RETURN NEXT history;
END
$$;
COMMENT ON FUNCTION create_publications(text, boolean) IS
    'Creates (or, after an update of the extension, refreshes) the publications a subscriber needs: NAME with '
    'every table of the extension but history_log, NAME_history with history_log''s inserts (prune_history then '
    'runs on each side), or with history_deletes also its deletes (after history_replica_key(), which it calls). '
    'Returns their names. Needs the rights of CREATE PUBLICATION (the tables'' owner)';

-- What CREATE EXTENSION itself puts into tables; a subscriber receives the
-- publisher's copy of the same rows, so it starts without its own.
CREATE FUNCTION prepare_subscriber() RETURNS bigint
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    install  text[] := ARRAY['lifecycle_state_defs', 'lifecycle_transition_defs', 'settings', 'skills',
                             'history_tables', 'history_contexts', 'history_log', 'notification_channels',
                             'notification_types', 'notification_defaults', 'languages', 'news_sources'];
    rel      record;
    tbl      text;
    has_rows boolean;
    removed  bigint := 0;
    n        bigint;
    role     text;
BEGIN
    IF NOT (SELECT r.rolsuper FROM pg_roles r WHERE r.rolname = current_user) THEN
        RAISE EXCEPTION 'prepare_subscriber() is for a superuser'
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'It empties catalogue tables with their guards off, as replication does.';
    END IF;
    FOR rel IN
        SELECT c.relname FROM pg_class c
         WHERE c.relnamespace = '@extschema@'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
           AND c.relname <> ALL (install)
         ORDER BY c.relname
    LOOP
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM @extschema@.%I)', rel.relname) INTO has_rows;
        IF has_rows THEN
            RAISE EXCEPTION 'mentor.% has rows: prepare_subscriber() runs on a fresh install only', rel.relname
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      HINT = 'Subscribe from a new database: CREATE EXTENSION mentor, then prepare_subscriber(), '
                             'then CREATE SUBSCRIPTION.';
        END IF;
    END LOOP;
    IF EXISTS (SELECT 1 FROM lifecycle_state_defs WHERE NOT shipped) OR EXISTS (SELECT 1 FROM settings WHERE NOT shipped)
       OR EXISTS (SELECT 1 FROM skills WHERE NOT shipped) OR EXISTS (SELECT 1 FROM history_tables WHERE NOT shipped)
       OR EXISTS (SELECT 1 FROM notification_types WHERE NOT shipped)
       OR EXISTS (SELECT 1 FROM notification_channels WHERE NOT shipped)
       OR EXISTS (SELECT 1 FROM notification_defaults WHERE NOT shipped)
       OR EXISTS (SELECT 1 FROM languages WHERE NOT shipped) OR EXISTS (SELECT 1 FROM news_sources WHERE NOT shipped) THEN
        RAISE EXCEPTION 'this database has definitions of its own: prepare_subscriber() runs on a fresh install only'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'A lifecycle, setting, skill, audited table, notification type, channel or default, '
                           'programming language or news source was added after CREATE EXTENSION.';
    END IF;
    FOREACH tbl IN ARRAY install LOOP
        EXECUTE format('SELECT count(*) FROM @extschema@.%I', tbl) INTO n;
        removed := removed + n;
    END LOOP;
    -- The guards (append-only history, lifecycle definitions) are triggers, off in replica mode.
    role := current_setting('session_replication_role');
    PERFORM set_config('session_replication_role', 'replica', true);
    TRUNCATE lifecycle_transition_defs, lifecycle_state_defs, settings, user_skills, skills, history_tables,
             history_contexts, history_log, notification_defaults, notification_templates, notification_user_settings,
             notification_connections, notification_types, notification_channels;
    -- Every table referring to these is empty (checked above) and replica mode skips the
    -- foreign-key triggers, so a DELETE does what TRUNCATE would without naming the referrers.
    DELETE FROM languages;
    DELETE FROM news_sources;
    PERFORM set_config('session_replication_role', role, true);
    -- History arrives for times this side has no partition for (it makes them only for its own
    -- writes): a default partition takes it.  Partitions made later start after what it holds.
    IF to_regclass('@extschema@.history_log_default') IS NULL
       AND (SELECT c.relkind FROM pg_class c WHERE c.oid = '@extschema@.history_log'::regclass) = 'p' THEN
        CREATE TABLE history_log_default PARTITION OF history_log DEFAULT;
        PERFORM _history_index_partition('history_log_default');
    END IF;
    RETURN removed;
END
$$;
COMMENT ON FUNCTION prepare_subscriber() IS
    'On a fresh install that is to subscribe to a publisher: removes the rows CREATE EXTENSION put there (shipped '
    'lifecycles, settings, skills, the history catalogue and its log, the notification catalogue, programming languages and news sources), which the '
    'subscription''s initial copy '
    'brings from the publisher, and gives the history log a default partition for the history it receives. Returns '
    'the number removed; 55000 when the database has data of its own, 42501 for anyone but a superuser';

CREATE FUNCTION sync_sequences() RETURNS TABLE (table_name text, column_name text, last_value bigint)
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    col record;
    top bigint;
BEGIN
    FOR col IN
        SELECT c.oid::regclass AS tbl, a.attname, pg_get_serial_sequence(c.oid::regclass::text, a.attname) AS seq
          FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
         WHERE c.relnamespace = '@extschema@'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
           AND a.attidentity <> '' AND NOT a.attisdropped
         ORDER BY 1, 2
    LOOP
        EXECUTE format('SELECT max(%I)::bigint FROM %s', col.attname, col.tbl) INTO top;
        CONTINUE WHEN top IS NULL;
        -- Never backwards: a sequence already past the largest id stays where it is.
        EXECUTE format('SELECT setval(%L, greatest(%s, (SELECT s.last_value FROM %s s)))', col.seq, top, col.seq)
           INTO last_value;
        table_name := col.tbl::text;
        column_name := col.attname;
        RETURN NEXT;
    END LOOP;
END
$$;
COMMENT ON FUNCTION sync_sequences() IS
    'Moves every identity sequence of the extension''s tables up to its table''s largest id (never down), as a '
    'subscriber needs before it takes writes (logical replication copies rows, not sequences). Returns each '
    'sequence moved or kept, with its value';

REVOKE EXECUTE ON FUNCTION create_publications(text, boolean), history_replica_key(), prepare_subscriber(), sync_sequences()
    FROM PUBLIC;

-- The C helpers of the distributions are pure (the seed is an argument).
ALTER FUNCTION _crosscheck_pairs(bigint[], bigint[], integer, bigint) IMMUTABLE;
ALTER FUNCTION _crosscheck_late_pairs(bigint[], bigint[], boolean[], bigint[], bigint[], integer, bigint) IMMUTABLE;
ALTER FUNCTION _teams_plan(integer[], integer[], integer, integer, integer, bigint) IMMUTABLE;

-- Work queues, notifications and secrets (modules queue, notify, secrets).
CREATE FUNCTION _queue_claim(queue regclass, ready text, leased text, dead text, worker text, n integer,
                             lease interval, max_attempts integer, scope_column name DEFAULT NULL,
                             scope_value text DEFAULT NULL, also_leased text DEFAULT NULL)
RETURNS SETOF bigint
    AS 'MODULE_PATHNAME', 'mn_queue_claim' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION _queue_claim(regclass, text, text, text, text, integer, interval, integer, name, text, text) IS
    'Internal (work queues): returns expired leases of queue to ready (or dead after max_attempts), then leases up to '
    'n of the oldest due ready rows (where scope_column = scope_value) to worker, without waiting on other claims; '
    'returns their ids';

CREATE FUNCTION _queue_hold(queue regclass, what text, id bigint, worker text, leased text,
                            also_leased text DEFAULT NULL) RETURNS integer
    AS 'MODULE_PATHNAME', 'mn_queue_hold' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION _queue_hold(regclass, text, bigint, text, text, text) IS
    'Internal (work queues): locks row id of queue for its report and returns its attempts so far; P0002 if missing, '
    'MN006 if not leased, MN005 if leased to another worker, MN008 if the lease ran out';

-- A report's common case is one UPDATE whose WHERE clause holds the lease
-- conditions; when it finds nothing, this says why.
CREATE FUNCTION _queue_refuse(queue regclass, what text, id bigint, worker text, leased text,
                              also_leased text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM _queue_hold(queue, what, id, worker, leased, also_leased);
    -- The lease was fine when looked at again: the row changed between the two statements.
    RAISE EXCEPTION '% % changed while it was reported', what, id USING ERRCODE = 'serialization_failure',
        HINT = 'Retry the report.';
END
$$;
COMMENT ON FUNCTION _queue_refuse(regclass, text, bigint, text, text, text) IS
    'Internal (work queues): raises why worker cannot report row id (as _queue_hold), or 40001 if it now could';

-- A failure report: the row goes back to the queue after retry_after (default: backoff,
-- doubled per attempt, capped at 2^20 times), or to dead after max_attempts; only the
-- lease holder, within its lease, reports (else _queue_refuse says why).
CREATE FUNCTION _queue_retry(queue regclass, what text, id bigint, worker text, error text, retry_after interval,
                             ready text, leased text, dead text, max_attempts integer, backoff interval) RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    stype text := (SELECT a.atttypid::regtype::text FROM pg_attribute a WHERE a.attrelid = queue AND a.attname = 'status');
    n     bigint;
BEGIN
    IF retry_after < interval '0' THEN
        RAISE EXCEPTION 'retry_after cannot be negative (%)', retry_after USING ERRCODE = 'invalid_parameter_value';
    END IF;
    EXECUTE format($f$UPDATE %s q
                         SET status = CASE WHEN q.attempts >= $1 THEN %L::%s ELSE %L::%s END,
                             available_at = now() + coalesce($2, $3 * power(2, least(q.attempts - 1, 20))),
                             last_error = left(coalesce($4, 'unknown error'), 2000), lease_owner = NULL, lease_until = NULL
                       WHERE q.id = $5 AND q.status = %L::%s AND q.lease_owner = $6 AND q.lease_until >= now()$f$,
                   queue, dead, stype, ready, stype, leased, stype)
    USING max_attempts, retry_after, backoff, error, id, worker;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n = 0 THEN
        PERFORM _queue_refuse(queue, what, id, worker, leased);
    END IF;
END
$$;
COMMENT ON FUNCTION _queue_retry(regclass, text, bigint, text, text, interval, text, text, text, integer, interval) IS
    'Internal (work queues): the lease holder''s failure report: row id back to ready after retry_after (default '
    'backoff, doubling per attempt), or to dead after max_attempts; refusals as _queue_refuse';

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

CREATE FUNCTION _secret_key(previous boolean) RETURNS text
    AS 'MODULE_PATHNAME', 'mn_secret_key' LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION _secret_key(boolean) IS
    'Internal: the key read from the file named by mentor.secret_key_file (previous: mentor.previous_secret_key_file, '
    'NULL when unset); 55000 with a hint when no key is configured';
CREATE FUNCTION _ct_equal(a bytea, b bytea) RETURNS boolean
    AS 'MODULE_PATHNAME', 'mn_ct_equal_sql' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION _ct_equal(bytea, bytea) IS 'Internal: equality of two hashes in a time that does not depend on their contents';
CREATE FUNCTION _api_key_check(key text) RETURNS void
    AS 'MODULE_PATHNAME', 'mn_api_key_check' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION _api_key_check(text) IS 'Internal: 22023 unless key has the format create_api_key gives';
CREATE FUNCTION _random_token(nbytes integer) RETURNS text
    AS 'MODULE_PATHNAME', 'mn_random_token' LANGUAGE C VOLATILE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION _random_token(integer) IS 'Internal: nbytes of strong randomness as base64url text';

CREATE FUNCTION _key_fingerprint(key text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT left(encode(sha256(convert_to('mentor key fingerprint:' || key, 'UTF8')), 'hex'), 16) $$;
COMMENT ON FUNCTION _key_fingerprint(text) IS
    'Internal: which key encrypted a row (64 bits of a hash of the key; the key cannot be recovered from it)';

-- pgcrypto may be in any schema (CREATE EXTENSION ... CASCADE puts it where it likes).
CREATE FUNCTION _pgp(encrypt boolean, data bytea, key text) RETURNS bytea
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    nsp text := (SELECT quote_ident(n.nspname) FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
                  WHERE e.extname = 'pgcrypto');
    out bytea;
BEGIN
    IF data IS NULL THEN
        RETURN NULL;
    END IF;
    IF encrypt THEN
        EXECUTE format('SELECT %s.pgp_sym_encrypt_bytea($1, $2, ''cipher-algo=aes256, s2k-mode=3'')', nsp)
           INTO out USING data, key;
    ELSE
        EXECUTE format('SELECT %s.pgp_sym_decrypt_bytea($1, $2)', nsp) INTO out USING data, key;
    END IF;
    RETURN out;
END
$$;
COMMENT ON FUNCTION _pgp(boolean, bytea, text) IS 'Internal: pgcrypto''s symmetric PGP encryption (AES-256) or decryption';

CREATE TABLE integration_tokens (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id       bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    provider      text NOT NULL CONSTRAINT integration_tokens_provider_format CHECK (provider ~ '^[a-z][a-z0-9_.-]{0,59}$'),
    account_ref   text NOT NULL,
    scopes        text,
    expires_at    timestamptz,
    access_token  bytea,
    refresh_token bytea,
    key_id        text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (user_id, provider, account_ref)
);
COMMENT ON TABLE integration_tokens IS
    'OAuth and integration credentials of users (Google Calendar, Microsoft, NextAuth accounts, LLM keys), encrypted '
    'with the server''s key: written by mentor.store_token, read in clear only through mentor.read_token by their '
    'user or an administrator. The application sees the other columns of its own rows';
COMMENT ON COLUMN integration_tokens.provider IS 'Whose token: google, microsoft, nextauth.github, llm.openai...';
-- account_ref has no column default: drizzle-kit pull writes an empty-string default as broken TypeScript.
COMMENT ON COLUMN integration_tokens.account_ref IS
    'The account at the provider (NextAuth providerAccountId), '''' if one per user; store_token fills it';
COMMENT ON COLUMN integration_tokens.access_token IS 'PGP-encrypted (AES-256) with the key of key_id; never the plain text';
COMMENT ON COLUMN integration_tokens.refresh_token IS 'PGP-encrypted (AES-256) with the key of key_id; never the plain text';
COMMENT ON COLUMN integration_tokens.key_id IS 'Fingerprint of the key that encrypted the row (mentor.rotate_secret_key moves rows to the current one)';
CREATE TRIGGER integration_tokens_touch_updated_at BEFORE UPDATE ON integration_tokens
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- Who may see a user's secrets: the user (by set_actor) or an administrator.
-- Inside a SECURITY DEFINER function current_user is the function's owner;
-- the role the caller acts as is the role setting (SET ROLE), else the login.
CREATE FUNCTION _caller_is_admin() RETURNS boolean
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
SELECT pg_has_role(CASE WHEN current_setting('role') = 'none' THEN session_user::text ELSE current_setting('role') END,
                   'mentor_admin', 'USAGE')
$$;
COMMENT ON FUNCTION _caller_is_admin() IS
    'Internal: whether the role the caller acts as (SET ROLE, else the login) is a mentor_admin member';

CREATE FUNCTION _secret_reader(owner bigint) RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    IF owner IS DISTINCT FROM current_actor() AND NOT _caller_is_admin() THEN
        RAISE EXCEPTION 'only user % (or an administrator) may store or read that user''s secrets', owner
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = format('The acting user is %s.', coalesce(current_actor()::text, 'not set')),
                  HINT = 'Call mentor.set_actor(user_id) with the owner first; administrators read any.';
    END IF;
END
$$;
COMMENT ON FUNCTION _secret_reader(bigint) IS
    'Internal: 42501 unless the acting user is owner or the login is a mentor_admin member';

CREATE FUNCTION store_token(user_id bigint, provider text, access_token text, refresh_token text DEFAULT NULL,
                            expires_at timestamptz DEFAULT NULL, scopes text DEFAULT NULL, account_ref text DEFAULT '')
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    key text;
    tid bigint;
BEGIN
    PERFORM _secret_reader(store_token.user_id);
    IF access_token IS NULL AND refresh_token IS NULL THEN
        RAISE EXCEPTION 'store_token needs an access token, a refresh token or both' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    key := _secret_key(false);
    INSERT INTO integration_tokens AS t (user_id, provider, account_ref, scopes, expires_at, access_token, refresh_token, key_id)
    VALUES (store_token.user_id, store_token.provider, coalesce(store_token.account_ref, ''), store_token.scopes,
            store_token.expires_at, _pgp(true, convert_to(store_token.access_token, 'UTF8'), key),
            _pgp(true, convert_to(store_token.refresh_token, 'UTF8'), key), _key_fingerprint(key))
    ON CONFLICT ON CONSTRAINT integration_tokens_user_id_provider_account_ref_key DO UPDATE
       SET scopes = EXCLUDED.scopes, expires_at = EXCLUDED.expires_at, access_token = EXCLUDED.access_token,
           -- a provider that does not send a new refresh token keeps the old one valid
           refresh_token = coalesce(EXCLUDED.refresh_token, CASE WHEN t.key_id = EXCLUDED.key_id THEN t.refresh_token END,
                                    _pgp(true, _pgp(false, t.refresh_token, coalesce(_secret_key(true), key)), key)),
           key_id = EXCLUDED.key_id
    RETURNING t.id INTO tid;
    RETURN tid;
END
$$;
COMMENT ON FUNCTION store_token(bigint, text, text, text, timestamptz, text, text) IS
    'Stores (or replaces) a user''s token for a provider and account, encrypted with the server''s key; returns its '
    'id. For the user (by set_actor) or an administrator (42501 otherwise); 55000 when no key is configured';

CREATE FUNCTION read_token(id bigint)
RETURNS TABLE (user_id bigint, provider text, account_ref text, access_token text, refresh_token text,
               expires_at timestamptz, scopes text)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    t   integration_tokens;
    key text;
BEGIN
    SELECT * INTO t FROM integration_tokens x WHERE x.id = read_token.id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'integration token % does not exist', id USING ERRCODE = 'no_data_found';
    END IF;
    PERFORM _secret_reader(t.user_id);
    key := _secret_key(false);
    IF t.key_id <> _key_fingerprint(key) THEN
        key := _secret_key(true);
        IF key IS NULL OR t.key_id <> _key_fingerprint(key) THEN
            RAISE EXCEPTION 'integration token % was encrypted with a key the server does not have', id
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      DETAIL = format('Its key fingerprint is %s.', t.key_id),
                      HINT = 'Point mentor.previous_secret_key_file at the old key and run mentor.rotate_secret_key().';
        END IF;
    END IF;
    user_id := t.user_id;
    provider := t.provider;
    account_ref := t.account_ref;
    access_token := convert_from(_pgp(false, t.access_token, key), 'UTF8');
    refresh_token := convert_from(_pgp(false, t.refresh_token, key), 'UTF8');
    expires_at := t.expires_at;
    scopes := t.scopes;
    RETURN NEXT;
END
$$;
COMMENT ON FUNCTION read_token(bigint) IS
    'A stored token in clear, for its user (by set_actor) or an administrator; 42501 for anyone else, P0002 when it '
    'does not exist';

CREATE FUNCTION rotate_secret_key() RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    key     text := _secret_key(false);
    old     text := _secret_key(true);
    new_id  text := _key_fingerprint(key);
    old_id  text := _key_fingerprint(old);
    n       bigint;
    stuck   bigint;
BEGIN
    IF old IS NOT NULL THEN
        UPDATE integration_tokens t
           SET access_token = _pgp(true, _pgp(false, t.access_token, old), key),
               refresh_token = _pgp(true, _pgp(false, t.refresh_token, old), key), key_id = new_id
         WHERE t.key_id = old_id;
        GET DIAGNOSTICS n = ROW_COUNT;
    ELSE
        n := 0;
    END IF;
    SELECT count(*) INTO stuck FROM integration_tokens t WHERE t.key_id <> new_id;
    IF stuck > 0 THEN
        RAISE EXCEPTION '% integration tokens are encrypted with neither the current nor the previous key', stuck
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Set mentor.previous_secret_key_file to the file of the key they were written with, reload, and run it again.';
    END IF;
    RETURN n;
END
$$;
COMMENT ON FUNCTION rotate_secret_key() IS
    'Re-encrypts every integration token written with the previous key (mentor.previous_secret_key_file) under the '
    'current one (mentor.secret_key_file), in one transaction; returns how many. Fails, changing nothing, when a row '
    'was written with a key neither file holds. For administrators';

-- One-time tokens: email verification, password reset, meeting action links
-- (seed 001), login state (seed 000).  Only a hash is stored.
CREATE TABLE one_time_tokens (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind        text NOT NULL CONSTRAINT one_time_tokens_kind_format CHECK (kind ~ '^[a-z][a-z0-9_]{0,39}$'),
    user_id     bigint REFERENCES users ON DELETE CASCADE,
    subject     jsonb NOT NULL DEFAULT '{}' CONSTRAINT one_time_tokens_subject_object CHECK (jsonb_typeof(subject) = 'object'),
    token_hash  bytea NOT NULL UNIQUE,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE one_time_tokens IS
    'Links and codes that work once (email_verification, password_reset, meeting_action, login_state...): issued by '
    'mentor.issue_token, consumed by mentor.consume_token; only a SHA-256 hash of the token is kept';
COMMENT ON COLUMN one_time_tokens.subject IS 'What the token acts on (a meeting and an action, a redirect...)';
COMMENT ON COLUMN one_time_tokens.used_at IS 'When it was consumed; a consumed token never works again';
CREATE INDEX one_time_tokens_expiry_idx ON one_time_tokens (expires_at);

-- STABLE as convert_to() is: an IMMUTABLE wrapper of a STABLE body is never inlined, and a
-- SQL function that is not inlined is planned again on every call (44 us of each API call).
CREATE FUNCTION _token_hash(token text) RETURNS bytea
LANGUAGE sql STABLE STRICT PARALLEL SAFE
AS $$ SELECT sha256(convert_to(token, 'UTF8')) $$;
COMMENT ON FUNCTION _token_hash(text) IS
    'Internal: what is stored of a token (SHA-256; the tokens are 256 random bits, so no salt or stretching is needed)';

CREATE FUNCTION issue_token(kind text, user_id bigint, ttl interval DEFAULT interval '1 hour', subject jsonb DEFAULT '{}')
RETURNS text
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    token text := _random_token(32);
BEGIN
    IF ttl IS NULL OR ttl <= interval '0' THEN
        RAISE EXCEPTION 'a token''s lifetime must be positive, not %', coalesce(ttl::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF issue_token.user_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = issue_token.user_id) THEN
        RAISE EXCEPTION 'user % does not exist', issue_token.user_id USING ERRCODE = 'no_data_found';
    END IF;
    INSERT INTO one_time_tokens (kind, user_id, subject, token_hash, expires_at)
    VALUES (issue_token.kind, issue_token.user_id, coalesce(issue_token.subject, '{}'), _token_hash(token), now() + ttl);
    RETURN token;
END
$$;
COMMENT ON FUNCTION issue_token(text, bigint, interval, jsonb) IS
    'Makes a one-time token of a kind for a user (or none) and subject, valid for ttl; returns the token, which is '
    'not stored (only its hash): send it, do not keep it';

CREATE FUNCTION consume_token(kind text, token text) RETURNS TABLE (user_id bigint, subject jsonb)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    t one_time_tokens;
BEGIN
    -- One UPDATE decides: of two racing consumers, the second re-reads the row
    -- after the first commits and finds it used.
    UPDATE one_time_tokens o SET used_at = now()
     WHERE o.token_hash = _token_hash(coalesce(token, '')) AND o.kind = consume_token.kind
       AND o.used_at IS NULL AND o.expires_at > now()
    RETURNING o.* INTO t;
    IF FOUND THEN
        user_id := t.user_id;
        subject := t.subject;
        RETURN NEXT;
        RETURN;
    END IF;
    SELECT * INTO t FROM one_time_tokens o WHERE o.token_hash = _token_hash(coalesce(token, '')) AND o.kind = consume_token.kind;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown % token', kind USING ERRCODE = 'invalid_parameter_value',
            HINT = 'The link may be mistyped or for another purpose; ask for a new one.';
    ELSIF t.used_at IS NOT NULL THEN
        RAISE EXCEPTION 'this % token was already used', kind USING ERRCODE = 'MN006',
            DETAIL = format('It was used at %s.', t.used_at), HINT = 'A token works once; ask for a new one.';
    ELSE
        RAISE EXCEPTION 'this % token expired', kind USING ERRCODE = 'MN008',
            DETAIL = format('It expired at %s.', t.expires_at), HINT = 'Ask for a new one.';
    END IF;
END
$$;
COMMENT ON FUNCTION consume_token(text, text) IS
    'Uses a one-time token once and returns its user and subject; MN006 when already used, MN008 when expired, '
    '22023 when unknown (nothing changes in any of these)';

-- Refresh tokens rotate: each use returns the next; a rotated one presented
-- again means it was stolen (or replayed), so its whole family is revoked.
CREATE TABLE refresh_tokens (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    family_id   uuid NOT NULL,
    user_id     bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    token_hash  bytea NOT NULL UNIQUE,
    parent_id   bigint REFERENCES refresh_tokens ON DELETE CASCADE,
    expires_at  timestamptz NOT NULL,
    rotated_at  timestamptz,
    revoked_at  timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE refresh_tokens IS
    'Rotating refresh tokens (seed 001''s RefreshToken, NextAuth sessions): a family starts at sign-in; each use '
    'rotates to the next; reuse of a rotated one revokes the family (OAuth 2.0 security best practice). Hashes only';
COMMENT ON COLUMN refresh_tokens.family_id IS 'The sign-in this token descends from; revoked as a whole';
COMMENT ON COLUMN refresh_tokens.rotated_at IS 'When it was used and replaced by its child; using it again revokes the family';
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);

CREATE FUNCTION issue_refresh_token(user_id bigint, ttl interval DEFAULT interval '30 days') RETURNS text
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    token text := _random_token(32);
BEGIN
    IF NOT EXISTS (SELECT 1 FROM users u WHERE u.id = issue_refresh_token.user_id) THEN
        RAISE EXCEPTION 'user % does not exist', coalesce(issue_refresh_token.user_id::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
    IF ttl IS NULL OR ttl <= interval '0' THEN
        RAISE EXCEPTION 'a token''s lifetime must be positive, not %', coalesce(ttl::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    INSERT INTO refresh_tokens (family_id, user_id, token_hash, expires_at)
    VALUES (gen_random_uuid(), issue_refresh_token.user_id, _token_hash(token), now() + ttl);
    RETURN token;
END
$$;
COMMENT ON FUNCTION issue_refresh_token(bigint, interval) IS
    'Starts a refresh-token family for a user (a sign-in) and returns its first token (only its hash is kept)';

CREATE FUNCTION rotate_refresh_token(token text, ttl interval DEFAULT interval '30 days')
RETURNS TABLE (next_token text, user_id bigint, family_id uuid, outcome text)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    t refresh_tokens;
BEGIN
    SELECT * INTO t FROM refresh_tokens r WHERE r.token_hash = _token_hash(coalesce(token, '')) FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown refresh token' USING ERRCODE = 'invalid_parameter_value', HINT = 'Sign in again.';
    END IF;
    user_id := t.user_id;
    family_id := t.family_id;
    IF t.revoked_at IS NOT NULL THEN
        RAISE EXCEPTION 'this refresh token was revoked' USING ERRCODE = 'MN006',
            DETAIL = format('Its family %s was revoked at %s.', t.family_id, t.revoked_at), HINT = 'Sign in again.';
    END IF;
    IF t.rotated_at IS NOT NULL THEN
        -- Not an error: the revocation must commit.  The caller gets no token.
        UPDATE refresh_tokens r SET revoked_at = now() WHERE r.family_id = t.family_id AND r.revoked_at IS NULL;
        outcome := 'reuse_detected';
        RETURN NEXT;
        RETURN;
    END IF;
    IF t.expires_at <= now() THEN
        RAISE EXCEPTION 'this refresh token expired' USING ERRCODE = 'MN008',
            DETAIL = format('It expired at %s.', t.expires_at), HINT = 'Sign in again.';
    END IF;
    next_token := _random_token(32);
    UPDATE refresh_tokens r SET rotated_at = now() WHERE r.id = t.id;
    INSERT INTO refresh_tokens (family_id, user_id, token_hash, parent_id, expires_at)
    VALUES (t.family_id, t.user_id, _token_hash(next_token), t.id, now() + coalesce(ttl, interval '30 days'));
    outcome := 'rotated';
    RETURN NEXT;
END
$$;
COMMENT ON FUNCTION rotate_refresh_token(text, interval) IS
    'Uses a refresh token: returns the next one (outcome rotated). A token already rotated revokes its whole family '
    'and returns no token (outcome reuse_detected: treat as a theft, ask for a sign-in). MN006 revoked, MN008 '
    'expired, 22023 unknown';

CREATE FUNCTION revoke_refresh_tokens(user_id bigint) RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    n integer;
BEGIN
    PERFORM _secret_reader(revoke_refresh_tokens.user_id);
    UPDATE refresh_tokens r SET revoked_at = now() WHERE r.user_id = revoke_refresh_tokens.user_id AND r.revoked_at IS NULL;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
COMMENT ON FUNCTION revoke_refresh_tokens(bigint) IS
    'Signs a user out everywhere: revokes every refresh token of theirs; for the user or an administrator';

-- API keys (seed 001's vendor keys): "prefix.secret", shown once.
CREATE TYPE vendor_key_status AS ENUM ('active', 'disabled', 'revoked');
COMMENT ON TYPE vendor_key_status IS 'API key status (lifecycle "vendor_key")';
CREATE TABLE api_keys (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL CONSTRAINT api_keys_name_length CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    vendor      text,
    owner_id    bigint REFERENCES users ON DELETE SET NULL,
    prefix      text NOT NULL UNIQUE,
    secret_hash bytea NOT NULL,
    status      @extschema@.vendor_key_status NOT NULL DEFAULT 'active',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE api_keys IS
    'API keys of vendors and integrations: made by mentor.create_api_key (the key is shown once), checked by '
    'mentor.verify_api_key; active -> disabled -> revoked (lifecycle "vendor_key")';
COMMENT ON COLUMN api_keys.prefix IS 'The public part of the key, before the dot: how a key is looked up';
COMMENT ON COLUMN api_keys.secret_hash IS 'SHA-256 of the whole key; the key itself is not stored';
CREATE TRIGGER api_keys_touch_updated_at BEFORE UPDATE ON api_keys FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
SELECT attach_lifecycle('api_keys', 'status', 'vendor_key');

-- Usage per key and day, spread over shards by backend so that concurrent
-- requests with one key do not queue on one counter row.
CREATE TABLE api_key_usage (
    key_id  bigint NOT NULL REFERENCES api_keys ON DELETE CASCADE,
    day     date NOT NULL,
    shard   smallint NOT NULL,
    calls   bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (key_id, day, shard)
);
COMMENT ON TABLE api_key_usage IS
    'Successful uses of an API key per day, in up to 16 shards per key and day (summed by mentor.api_key_usage_daily)';

CREATE VIEW api_key_usage_daily AS
SELECT u.key_id, k.name, k.vendor, u.day, sum(u.calls)::bigint AS calls
  FROM api_key_usage u JOIN api_keys k ON k.id = u.key_id
 GROUP BY u.key_id, k.name, k.vendor, u.day;
COMMENT ON VIEW api_key_usage_daily IS 'Uses of each API key per day (seed 001''s VendorApiKeyAccessSummary)';

CREATE FUNCTION create_api_key(name text, vendor text DEFAULT NULL, owner_id bigint DEFAULT NULL)
RETURNS TABLE (id bigint, api_key text)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    prefix text := 'mk_' || left(translate(lower(_random_token(12)), '-_', 'xy'), 12);
BEGIN
    api_key := prefix || '.' || _random_token(32);
    INSERT INTO api_keys (name, vendor, owner_id, prefix, secret_hash)
    VALUES (create_api_key.name, create_api_key.vendor, create_api_key.owner_id, prefix, _token_hash(api_key))
    RETURNING api_keys.id INTO id;
    RETURN NEXT;
END
$$;
COMMENT ON FUNCTION create_api_key(text, text, bigint) IS
    'Makes an API key and returns it with its id: the only time the key is seen (only its hash is kept). For '
    'administrators';

-- A hash is computed and compared whatever the lookup found, so an unknown
-- prefix costs what a wrong secret costs.
CREATE FUNCTION verify_api_key(api_key text) RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    k     api_keys;
    given bytea;
    match boolean;
BEGIN
    PERFORM _api_key_check(coalesce(api_key, ''));
    given := _token_hash(api_key);
    SELECT * INTO k FROM api_keys a WHERE a.prefix = left(api_key, 15);
    match := _ct_equal(given, coalesce(k.secret_hash, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea))
             AND k.id IS NOT NULL;
    IF NOT match OR k.status <> 'active' THEN
        RETURN NULL;
    END IF;
    -- On a hot standby (or in any read-only transaction) the key is checked but the use not counted.
    IF NOT current_setting('transaction_read_only')::boolean THEN
        -- The day's shard exists after its first call: a plain (HOT) update, and only then the upsert.
        UPDATE api_key_usage u SET calls = u.calls + 1
         WHERE u.key_id = k.id AND u.day = current_date AND u.shard = pg_backend_pid() % 16;
        IF NOT FOUND THEN
            INSERT INTO api_key_usage AS u (key_id, day, shard, calls) VALUES (k.id, current_date, pg_backend_pid() % 16, 1)
            ON CONFLICT (key_id, day, shard) DO UPDATE SET calls = u.calls + 1;
        END IF;
    END IF;
    RETURN k.id;
END
$$;
COMMENT ON FUNCTION verify_api_key(text) IS
    'The id of the active API key presented, or NULL (unknown, wrong, disabled or revoked: the caller answers 401 '
    'alike); counts the use (not in a read-only transaction, as on a standby). 22023 for a malformed key';

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

-- The submission lifecycle gains the way back to pending that an expired judge lease takes.
-- 003: code submissions (interpreted languages skip compiling).  A judge's
-- lease that runs out puts it back to pending (0.2).
SELECT _ship_lifecycle('submission', ARRAY[
    ['[*]', 'pending'],
    ['pending', 'compiling'],
    ['pending', 'running'],
    ['pending', 'failed'],
    ['compiling', 'running'],
    ['compiling', 'failed'],
    ['compiling', 'pending'],
    ['running', 'pending'],
    ['running', 'completed'],
    ['running', 'failed']], true);

-- 0.1 history changed in 0.2: begin
ALTER TABLE history_tables ADD COLUMN gaps tstzrange[] NOT NULL DEFAULT '{}';
COMMENT ON COLUMN history_tables.gaps IS
    'Periods when nothing was recorded, each opened by disable_history (which recorded every row''s state as op S '
    'at its start) and closed by enable_history: readers of an earlier moment walk back from that state, never '
    'across the gap';
COMMENT ON COLUMN history_log.op IS
    'I insert, U update, D delete, T removed by TRUNCATE, S the row''s state when disable_history stopped recording';
COMMENT ON COLUMN history_log.changes IS
    'I: NULL (the row is rebuilt from the live row; whole rows written by 0.1 are kept); D, T and S: the whole row; '
    'U: ["column", old, new, ...] for the changed columns only';
-- Each partition has its own indexes (made with it by _history_index_partition): a B-tree on
-- row_id, one on row_key, both partial, and a BRIN on at.  None is declared on the log itself:
-- a restored dump attaches each partition with its own indexes, which an index on the log (made
-- by CREATE EXTENSION before the partitions arrive) would duplicate under clashing names.
-- An insert is recorded as its key alone; its row is rebuilt from the live row (or the delete or
-- TRUNCATE that removed it), walked back to the moment of the insert.  SECURITY DEFINER: analysts
-- read the history of tables they may not read, as the history view always let them; a direct
-- call answers what that view would (private columns left out unless the login is an
-- administrator), and only roles that read history may call it.
CREATE FUNCTION _history_inserted_row(tid smallint, key_id bigint, key_text text, at timestamptz) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    h       history_tables;
    tbl     regclass;
    ktext   text := coalesce(key_text, key_id::text);
    current jsonb;
    state   jsonb;
BEGIN
    SELECT * INTO h FROM history_tables WHERE id = tid;
    IF NOT FOUND OR ktext IS NULL OR at IS NULL THEN
        RETURN NULL;
    END IF;
    -- The table by its trigger (renames followed), else by the name it was last enabled under.
    SELECT g.tgrelid INTO tbl FROM pg_trigger g
     WHERE g.tgname = 'mentor_history' AND g.tgparentid = 0 AND g.tgnargs = 1
       AND g.tgargs = convert_to(tid::text, 'SQL_ASCII') || '\x00'::bytea;
    IF tbl IS NULL THEN
        tbl := to_regclass(h.table_name);
        IF tbl IS NOT NULL AND _history_table_id(tbl, false) IS DISTINCT FROM tid THEN
            tbl := NULL;
        END IF;
    END IF;
    IF tbl IS NOT NULL THEN
        BEGIN
            EXECUTE format('SELECT to_jsonb(t) - $2 FROM %s t WHERE (%s) = (SELECT %s FROM jsonb_populate_record(NULL::%s, $1))',
                           tbl, _history_key_list(tid, 't.'), _history_key_list(tid), tbl)
               INTO current USING _history_key_json(h.key_columns, h.key_types, ktext), h.excluded;
        EXCEPTION WHEN undefined_column OR invalid_text_representation OR datatype_mismatch THEN
            current := NULL;   -- the key's columns changed since: only the log can answer
        END;
    END IF;
    state := _history_rewind(tid, ktext, current, at);
    IF cardinality(h.private) > 0 AND NOT pg_has_role(session_user, 'mentor_admin', 'USAGE') THEN
        state := state - h.private;
    END IF;
    RETURN state;
END
$$;
COMMENT ON FUNCTION _history_inserted_row(smallint, bigint, text, timestamptz) IS
    'Internal: the row an insert recorded as its key alone wrote, rebuilt from the live row (or the delete that '
    'removed it) walked back to that moment; NULL when the table is gone';
CREATE OR REPLACE FUNCTION enable_history(tbl regclass, exclude text[] DEFAULT '{}') RETURNS smallint
LANGUAGE plpgsql VOLATILE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    kind      "char";
    keyindex  oid;
    keycols   text[];
    keytypes  text[];
    tid       smallint;
    part      regclass;
BEGIN
    IF tbl IS NULL THEN
        RAISE EXCEPTION 'enable_history needs a table' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    exclude := coalesce(exclude, '{}');
    SELECT c.relkind INTO kind FROM pg_class c WHERE c.oid = tbl;
    IF kind NOT IN ('r', 'p') THEN
        RAISE EXCEPTION '% is not a table', tbl USING ERRCODE = 'wrong_object_type';
    END IF;
    IF tbl IN ('history_log'::regclass, 'history_contexts'::regclass, 'history_tables'::regclass)
       OR EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = tbl AND h.inhparent = 'history_log'::regclass) THEN
        RAISE EXCEPTION 'the history of history is not recorded' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT i.indexrelid INTO keyindex FROM pg_index i WHERE i.indrelid = tbl AND i.indisprimary;
    IF keyindex IS NULL THEN
        SELECT i.indexrelid INTO keyindex FROM pg_index i WHERE i.indrelid = tbl AND i.indisreplident;
    END IF;
    IF keyindex IS NULL THEN
        RAISE EXCEPTION 'table % has neither a primary key nor a replica identity index', tbl
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'History identifies rows by key: add a primary key, or ALTER TABLE ... REPLICA IDENTITY USING INDEX.';
    END IF;
    SELECT array_agg(a.attname::text ORDER BY k.ord), array_agg(format_type(a.atttypid, a.atttypmod) ORDER BY k.ord)
      INTO keycols, keytypes
      FROM pg_index i, unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
      JOIN pg_attribute a ON a.attrelid = tbl AND a.attnum = k.attnum
     WHERE i.indexrelid = keyindex AND k.ord <= i.indnkeyatts;
    PERFORM _history_check_columns(tbl, exclude, keycols, 'excluded from');

    tid := _history_table_id(tbl, false);
    IF tid IS NULL THEN
        INSERT INTO history_tables (table_name, key_columns, key_types, excluded)
        VALUES (_history_qualified(tbl), keycols, keytypes, exclude) RETURNING id INTO tid;
    ELSE
        UPDATE history_tables SET table_name = _history_qualified(tbl), key_columns = keycols, key_types = keytypes,
               excluded = exclude, enabled = true, enabled_at = now(), disabled_at = NULL
         WHERE id = tid;
    END IF;
    PERFORM _history_drop_triggers(tbl);
    EXECUTE format('CREATE TRIGGER mentor_history AFTER INSERT OR UPDATE OR DELETE ON %s '
                   'FOR EACH ROW EXECUTE FUNCTION @extschema@.history_trigger(%L)', tbl, tid);
    EXECUTE format('CREATE TRIGGER mentor_history_truncate BEFORE TRUNCATE ON %s '
                   'FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.history_trigger(%L)', tbl, tid);
    FOR part IN SELECT relid FROM pg_partition_tree(tbl) WHERE isleaf AND relid <> tbl LOOP
        EXECUTE format('CREATE TRIGGER mentor_history_truncate BEFORE TRUNCATE ON %s '
                       'FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.history_trigger(%L)', part, tid);
    END LOOP;
    -- Changes from here on are recorded: the gap since disable_history ends now.
    UPDATE history_tables
       SET gaps[cardinality(gaps)] = tstzrange(lower(gaps[cardinality(gaps)]), clock_timestamp())
     WHERE id = tid AND cardinality(gaps) > 0 AND upper_inf(gaps[cardinality(gaps)]);
    RETURN tid;
END
$$;
COMMENT ON FUNCTION enable_history(regclass, text[]) IS
    'Starts (or updates) recording every change of a table in mentor.history; excluded columns are never written. '
    'Needs a primary key or replica identity index. For a partitioned table, call it again after adding partitions '
    '(so that TRUNCATE of a new partition is recorded). Returns the table''s history id';

CREATE FUNCTION _history_snapshot(tbl regclass, tid smallint) RETURNS void
    AS 'MODULE_PATHNAME', 'mn_history_snapshot' LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION _history_snapshot(regclass, smallint) IS
    'Internal: records every row of a table (a leaf, not a partitioned parent) as it is now, op S';

-- Before recording stops, each row's state is recorded (S): the readers walk back from the live
-- row, and changes made while nobody records must not leak into the past they rebuild (an
-- insert's row included, which is stored as its key alone).  The table is locked first, so that
-- no write falls between the snapshot and the triggers' end.
CREATE OR REPLACE FUNCTION disable_history(tbl regclass) RETURNS boolean
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    tid     smallint := _history_table_id(tbl, false);
    leaf    regclass;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM history_tables h WHERE h.id = tid AND h.enabled)
       OR NOT EXISTS (SELECT 1 FROM pg_trigger g WHERE g.tgrelid = tbl AND g.tgname = 'mentor_history') THEN
        PERFORM _history_drop_triggers(tbl);
        UPDATE history_tables SET enabled = false, disabled_at = now() WHERE id = tid AND enabled;
        RETURN FOUND;
    END IF;
    EXECUTE format('LOCK TABLE %s IN ACCESS EXCLUSIVE MODE', tbl);
    -- Every change recorded so far is older than this moment, every S row younger.
    UPDATE history_tables SET enabled = false, disabled_at = now(), gaps = gaps || tstzrange(clock_timestamp(), NULL)
     WHERE id = tid;
    FOR leaf IN SELECT p.relid FROM pg_partition_tree(tbl) p WHERE p.isleaf
                UNION SELECT tbl WHERE NOT EXISTS (SELECT 1 FROM pg_partition_tree(tbl)) LOOP
        PERFORM _history_snapshot(leaf, tid);
    END LOOP;
    PERFORM _history_drop_triggers(tbl);
    RETURN true;
END
$$;
COMMENT ON FUNCTION disable_history(regclass) IS
    'Stops recording changes of a table; its history so far stays readable. Records each row''s state first (op S, '
    'one history row per table row), so that reading the past never crosses unrecorded changes. True if it was '
    'being recorded';
-- The first gap in a table's history after a moment (NULL if none): its S rows are then the
-- latest exact state known for that moment, and walking back starts from them.
CREATE FUNCTION _history_gap_after(tid smallint, as_of timestamptz) RETURNS tstzrange
LANGUAGE sql STABLE
AS $$
SELECT (SELECT g FROM @extschema@.history_tables h, unnest(h.gaps) g
         WHERE h.id = tid AND lower(g) > as_of ORDER BY lower(g) LIMIT 1)
$$;
COMMENT ON FUNCTION _history_gap_after(smallint, timestamptz) IS
    'Internal: the first period without recording that starts after a moment, NULL if none';

-- Walks a row back through its changes after as_of: from its current state (NULL: no row now),
-- or, when recording stopped for a while after as_of, from its state when it stopped (S).
CREATE OR REPLACE FUNCTION _history_rewind(tid smallint, key_text text, current jsonb, as_of timestamptz) RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    state jsonb := current;
    gap   tstzrange := _history_gap_after(tid, as_of);
    h     record;
BEGIN
    IF gap IS NOT NULL THEN
        SELECT l.old_row INTO state FROM history l
         WHERE (l.key_id = _history_key_id(_history_rewind.key_text) OR l.key_text = _history_rewind.key_text)
           AND l.table_id = tid AND l.op = 'S' AND l.at <@ gap
         LIMIT 1;
    END IF;
    FOR h IN SELECT l.op, l.old_row FROM history l
              WHERE (l.key_id = _history_key_id(_history_rewind.key_text) OR l.key_text = _history_rewind.key_text)
                AND l.table_id = tid AND l.at > as_of AND (gap IS NULL OR l.at < lower(gap)) ORDER BY l.at DESC
    LOOP
        state := CASE h.op WHEN 'I' THEN NULL
                           WHEN 'U' THEN coalesce(state, '{}') || h.old_row
                           ELSE h.old_row END;
    END LOOP;
    RETURN state;
END
$$;
COMMENT ON FUNCTION _history_rewind(smallint, text, jsonb, timestamptz) IS
    'Internal: a row as it was at as_of, rebuilt from its current state (or its state when recording next stopped)';
CREATE OR REPLACE FUNCTION table_as_of(tbl regclass, at timestamptz) RETURNS SETOF jsonb
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    tid     smallint := _history_table_id(tbl);
    h       history_tables;
    keyexpr text;
    gap     tstzrange;
    r       record;
BEGIN
    IF at IS NULL THEN
        RAISE EXCEPTION 'table_as_of needs a point in time' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT * INTO h FROM history_tables WHERE id = tid;
    keyexpr := CASE WHEN cardinality(h.key_columns) = 1 THEN format('t.%I::text', h.key_columns[1])
                    ELSE format('to_jsonb(ARRAY[%s])::text',
                                (SELECT string_agg(format('t.%I::text', c), ', ' ORDER BY o)
                                   FROM unnest(h.key_columns) WITH ORDINALITY AS k(c, o))) END;
    gap := _history_gap_after(tid, at);
    IF gap IS NOT NULL THEN
        -- Recording stopped after that moment: walk back from the rows as they were then (S).
        FOR r IN SELECT _history_rewind(tid, k.row_key, NULL, table_as_of.at) AS row
                   FROM (SELECT DISTINCT coalesce(l.key_text, l.key_id::text) AS row_key FROM history l
                          WHERE l.table_id = tid AND l.at > table_as_of.at
                            AND (l.at < lower(gap) OR (l.op = 'S' AND l.at <@ gap))) k LOOP
            IF r.row IS NOT NULL THEN
                RETURN NEXT r.row;
            END IF;
        END LOOP;
        RETURN;
    END IF;
    FOR r IN EXECUTE format(
        $q$WITH changed AS (SELECT DISTINCT coalesce(l.key_text, l.key_id::text) AS row_key
                             FROM @extschema@.history l WHERE l.table_id = $1 AND l.at > $2),
                 cur AS (SELECT %s AS k, to_jsonb(t) - $3 AS row FROM %s t)
           SELECT cur.row FROM cur WHERE NOT EXISTS (SELECT 1 FROM changed WHERE changed.row_key = cur.k)
           UNION ALL
           SELECT @extschema@._history_rewind($1, changed.row_key, cur.row, $2)
             FROM changed LEFT JOIN cur ON cur.k = changed.row_key$q$, keyexpr, tbl)
        USING tid, at, h.excluded
    LOOP
        IF r.row IS NOT NULL THEN
            RETURN NEXT r.row;
        END IF;
    END LOOP;
END
$$;
COMMENT ON FUNCTION table_as_of(regclass, timestamptz) IS
    'Every row of a table as it was at a moment (jsonb each, excluded columns left out)';
-- The state snapshot writes history of any table without reading rights on it: disable_history's
-- (an administrator's) alone.  Inserted rows are rebuilt for those who read history.
REVOKE EXECUTE ON FUNCTION _history_snapshot(regclass, smallint),
    _history_inserted_row(smallint, bigint, text, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION _history_snapshot(regclass, smallint) TO mentor_admin;
GRANT EXECUTE ON FUNCTION _history_inserted_row(smallint, bigint, text, timestamptz) TO mentor_analyst, mentor_admin;
-- 0.1 history changed in 0.2: end

-- 0.1 functions changed in 0.2: begin
-- Scores per criterion (a review's, an interview's form) against the task's criteria: every
-- wrong entry is named, so one error says all that must change.
CREATE FUNCTION _criteria_scores_problem(ct course_tasks, scores jsonb, OUT problem text, OUT known jsonb)
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    SELECT coalesce(jsonb_object_agg(c ->> 'key', (c ->> 'max')::numeric), '{}') INTO known
      FROM tasks t, jsonb_array_elements(t.criteria) c WHERE t.id = ct.task_id;
    IF jsonb_typeof(scores) <> 'object' THEN
        problem := 'criteria must be a JSON object of scores per criterion key';
    ELSE
        SELECT string_agg(CASE
                   WHEN jsonb_typeof(e.value) <> 'number' THEN format('"%s" is not a number', e.key)
                   WHEN known <> '{}' AND NOT known ? e.key THEN format('"%s" is not a criterion of the task', e.key)
                   WHEN e.value::text::numeric < 0 OR e.value::text::numeric > coalesce((known ->> e.key)::numeric, ct.max_score)
                       THEN format('"%s" must be between 0 and %s', e.key, coalesce(known ->> e.key, ct.max_score::text))
               END, '; ')
          INTO problem FROM jsonb_each(scores) e;
    END IF;
END
$$;
COMMENT ON FUNCTION _criteria_scores_problem(course_tasks, jsonb) IS
    'Internal: what is wrong with scores per criterion key for the course task (unknown keys, non-numbers, out of '
    '0..max), NULL when nothing; and the task''s criteria as {key: max}';

CREATE OR REPLACE FUNCTION crosscheck_submit_review(course_task_id bigint, checker_student_id bigint, solution_id bigint,
                                         score integer, criteria jsonb DEFAULT '{}', comment text DEFAULT NULL,
                                         anonymous boolean DEFAULT true) RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    ct       course_tasks := _crosscheck_task(course_task_id, 'share');
    sol      task_solutions;
    known    jsonb;
    problem  text;
    actor    bigint := current_actor();
    saved    bigint;
BEGIN
    IF ct.crosscheck_status <> 'distributed' THEN
        RAISE EXCEPTION 'course task % takes no reviews now', ct.id
            USING ERRCODE = 'MN006', DETAIL = format('Its cross-check is %s.', ct.crosscheck_status),
                  HINT = CASE ct.crosscheck_status WHEN 'initial' THEN 'Reviews open after mentor.crosscheck_distribute.'
                              ELSE 'The cross-check is completed; its results are final.' END;
    END IF;
    IF ct.crosscheck_end_at IS NOT NULL AND statement_timestamp() > ct.crosscheck_end_at THEN
        RAISE EXCEPTION 'the review deadline of course task % has passed', ct.id
            USING ERRCODE = 'MN008', DETAIL = format('Reviews closed at %s.', ct.crosscheck_end_at),
                  HINT = 'A course manager can move course_tasks.crosscheck_end_at.';
    END IF;
    SELECT * INTO sol FROM task_solutions s WHERE s.id = solution_id AND s.course_task_id = ct.id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'solution % of course task % does not exist', coalesce(solution_id::text, 'NULL'), ct.id
            USING ERRCODE = 'no_data_found';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM task_solution_checkers c
                    WHERE c.task_solution_id = sol.id AND c.checker_id = checker_student_id) THEN
        RAISE EXCEPTION 'student % is not assigned to review solution %', coalesce(checker_student_id::text, 'NULL'), sol.id
            USING ERRCODE = 'MN005',
                  HINT = 'SELECT checker_id FROM mentor.task_solution_checkers WHERE task_solution_id = ... lists the reviewers.';
    END IF;
    IF actor IS NOT NULL AND NOT EXISTS (SELECT 1 FROM students st WHERE st.id = checker_student_id AND st.user_id = actor)
       AND NOT _is_course_staff(ct.course_id, actor) THEN
        RAISE EXCEPTION 'user % cannot review as student %', actor, checker_student_id
            USING ERRCODE = 'MN005', HINT = 'The acting user (mentor.set_actor) must be the reviewing student or course staff.';
    END IF;
    IF score IS NULL OR score < 0 OR score > ct.max_score THEN
        RAISE EXCEPTION 'score % is out of range', coalesce(score::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value', DETAIL = format('Scores of course task %s go from 0 to %s.', ct.id, ct.max_score);
    END IF;
    criteria := coalesce(criteria, '{}');
    SELECT r.problem, r.known INTO problem, known FROM _criteria_scores_problem(ct, criteria) r;
    IF problem IS NOT NULL THEN
        RAISE EXCEPTION 'malformed review criteria' USING ERRCODE = 'invalid_parameter_value', DETAIL = problem,
            HINT = format('Known criteria and their maxima: %s', known);
    END IF;

    PERFORM set_config('mentor.score_source', 'review', true);
    INSERT INTO task_solution_results AS r (course_task_id, task_solution_id, student_id, checker_id, score, criteria,
                                            comment, anonymous)
    VALUES (ct.id, sol.id, sol.student_id, checker_student_id, score, criteria, comment, coalesce(anonymous, true))
    ON CONFLICT ON CONSTRAINT task_solution_results_task_solution_id_checker_id_key DO UPDATE
       SET score = EXCLUDED.score, criteria = EXCLUDED.criteria, comment = EXCLUDED.comment, anonymous = EXCLUDED.anonymous
    RETURNING r.id INTO saved;
    PERFORM set_config('mentor.score_source', '', true);
    RETURN saved;
END
$$;
COMMENT ON FUNCTION crosscheck_submit_review(bigint, bigint, bigint, integer, jsonb, text, boolean) IS
    'Saves (or re-saves) the review of an assigned checker while the cross-check is distributed and before '
    'crosscheck_end_at; 0 <= score <= max_score, criteria keys and maxima from the task; every save appends to '
    'historical_scores. Returns the review id';
-- 0.1 functions changed in 0.2: end

--------------------------------------------------------------------------------
-- Module school (seed 000 TaskVerification, TaskChecker, TaskArtefact,
-- Session's course roles): every way a course school scores a student ends in
-- task_results.  Auto-checked tasks post numbered attempts within the task's
-- window and attempt limit, and the best or latest attempt becomes the result;
-- assigned checkers (or the student's mentor) are the only ones besides the
-- course's staff who may write a result on a task they check; artefacts are a
-- student's links per task; course_roles() says what a user is in a course.
--------------------------------------------------------------------------------

-- Staff as the acting user, for the 0.2 modules' row-level security policies and functions
-- (this is the first of them).
CREATE FUNCTION _actor_is_staff() RETURNS boolean
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$ SELECT current_actor() IS NOT NULL AND _is_staff(current_actor()) $$;
COMMENT ON FUNCTION _actor_is_staff() IS 'Internal: the acting user is platform staff (for row-level security policies)';

CREATE FUNCTION _staff_actor(action text) RETURNS bigint
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    me bigint := current_actor();
BEGIN
    IF me IS NULL OR NOT _is_staff(me) THEN
        RAISE EXCEPTION 'only staff %', action USING ERRCODE = 'insufficient_privilege',
            DETAIL = format('The acting user is %s.', coalesce(me::text, 'not set')),
            HINT = 'Call mentor.set_actor() with an admin''s id first.';
    END IF;
    RETURN me;
END
$$;
COMMENT ON FUNCTION _staff_actor(text) IS 'Internal: the acting user when staff, 42501 (saying who may do the action) otherwise';

CREATE FUNCTION course_roles(user_id bigint, course_id bigint) RETURNS text[]
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
SELECT coalesce(array_agg(r ORDER BY r), '{}') FROM (
    SELECT 'admin' AS r FROM users u WHERE u.id = course_roles.user_id AND _role_class(u.role) = 'staff' AND u.active
    UNION ALL
    SELECT 'student' FROM students s
     WHERE s.user_id = course_roles.user_id AND s.course_id = course_roles.course_id AND NOT s.is_expelled
    UNION ALL
    SELECT 'mentor' FROM course_mentors m
     WHERE m.user_id = course_roles.user_id AND m.course_id = course_roles.course_id AND NOT m.is_expelled
    UNION ALL
    SELECT x.r FROM course_users cu
     CROSS JOIN LATERAL (VALUES ('manager', cu.is_manager), ('supervisor', cu.is_supervisor),
                                ('task_owner', cu.is_task_owner), ('jury_activist', cu.is_jury_activist),
                                ('activist', cu.is_activist)) x(r, has)
     WHERE cu.user_id = course_roles.user_id AND cu.course_id = course_roles.course_id AND x.has) roles
$$;
COMMENT ON FUNCTION course_roles(bigint, bigint) IS
    'The roles a user holds in a course (seed 000 Session): admin (platform staff), student (not expelled), mentor '
    '(not expelled), manager, supervisor, task_owner, jury_activist, activist; sorted, empty when none';

CREATE FUNCTION has_course_role(user_id bigint, course_id bigint, VARIADIC roles text[]) RETURNS boolean
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$ SELECT course_roles(user_id, course_id) && roles $$;
COMMENT ON FUNCTION has_course_role(bigint, bigint, text[]) IS
    'Whether the user holds any of the roles in the course, e.g. has_course_role(7, 3, ''manager'', ''supervisor'')';

-- Attempts of auto-checked tasks: how many, and which counts.
ALTER TABLE course_tasks
    ADD COLUMN max_attempts integer CONSTRAINT course_tasks_max_attempts_positive CHECK (max_attempts >= 1),
    ADD COLUMN attempt_scoring text NOT NULL DEFAULT 'best'
        CONSTRAINT course_tasks_attempt_scoring CHECK (attempt_scoring IN ('best', 'latest'));
COMMENT ON COLUMN course_tasks.max_attempts IS 'Auto-check attempts per student (NULL: no limit); one more is MN006';
COMMENT ON COLUMN course_tasks.attempt_scoring IS 'Which completed auto-check attempt is the result: best or latest';

SELECT _ship_lifecycle('task_verification', ARRAY[
    ['[*]', 'pending'],
    ['[*]', 'completed'],
    ['[*]', 'error'],
    ['pending', 'completed'],
    ['pending', 'error'],
    ['completed', '[*]'],
    ['error', '[*]']], true);

CREATE TYPE task_verification_status AS ENUM ('pending', 'completed', 'error');
COMMENT ON TYPE task_verification_status IS
    'An auto-check attempt: pending (being checked), completed (scored) or error (the checker failed; not counted)';

CREATE TABLE task_verifications (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    course_task_id bigint NOT NULL,
    course_id      bigint NOT NULL,
    student_id     bigint NOT NULL,
    attempt_no     integer NOT NULL DEFAULT 0,
    status         @extschema@.task_verification_status NOT NULL DEFAULT 'pending',
    score          integer CONSTRAINT task_verifications_score_nonneg CHECK (score >= 0),
    answers        jsonb,
    metadata       jsonb NOT NULL DEFAULT '{}'
                   CONSTRAINT task_verifications_metadata_object CHECK (jsonb_typeof(metadata) = 'object'),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT task_verifications_attempt_once UNIQUE (course_task_id, student_id, attempt_no),
    CONSTRAINT task_verifications_course_task FOREIGN KEY (course_task_id, course_id)
        REFERENCES course_tasks (id, course_id) ON DELETE CASCADE,
    CONSTRAINT task_verifications_student_of_course FOREIGN KEY (student_id, course_id)
        REFERENCES students (id, course_id) ON DELETE CASCADE,
    CONSTRAINT task_verifications_scored CHECK (status <> 'completed' OR score IS NOT NULL)
);
COMMENT ON TABLE task_verifications IS
    'Auto-check attempts (seed 000 TaskVerification): numbered per student and course task, posted within the task''s '
    'window and max_attempts; the best or latest completed one is the student''s task_results score';
COMMENT ON COLUMN task_verifications.course_id IS 'The course task''s course (set by trigger); the student must be of it';
COMMENT ON COLUMN task_verifications.attempt_no IS 'The attempt''s number for this student and task, from 1 (set by trigger)';
COMMENT ON COLUMN task_verifications.status IS 'Lifecycle task_verification: pending, then completed (with a score) or error';
COMMENT ON COLUMN task_verifications.score IS 'The score the checker gave, at most the course task''s max_score';
COMMENT ON COLUMN task_verifications.answers IS 'What the student submitted (test answers, a repository, ...)';
COMMENT ON COLUMN task_verifications.metadata IS 'The checker''s details (test output, timings), a JSON object';
CREATE INDEX task_verifications_student_idx ON task_verifications (student_id);
CREATE TRIGGER task_verifications_touch_updated_at BEFORE UPDATE ON task_verifications
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER task_verifications_owned_columns BEFORE UPDATE OF course_task_id, course_id, student_id, attempt_no
    ON task_verifications FOR EACH ROW
    EXECUTE FUNCTION _keep_owned_columns('An attempt stays the attempt it was posted as; post another.',
                                         'course_task_id', 'course_id', 'student_id', 'attempt_no');
SELECT attach_lifecycle('task_verifications', 'status', 'task_verification');

-- Why the student row's lock: two attempts posted at once would both count the
-- same earlier ones and take the same number; the lock numbers them in turn.
CREATE FUNCTION _task_verification_attempt() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    ct   course_tasks;
    used integer;
    last integer;
BEGIN
    SELECT * INTO ct FROM course_tasks x WHERE x.id = NEW.course_task_id;
    -- A missing task gives course 0, so that the foreign key names it.
    NEW.course_id := coalesce(ct.course_id, 0);
    IF NOT FOUND THEN
        RETURN NEW;
    END IF;
    IF ct.checker <> 'auto_test' THEN
        RAISE EXCEPTION 'course task % is checked by %, not by auto-tests', ct.id, ct.checker
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Post attempts on auto_test course tasks.';
    END IF;
    IF now() < ct.student_start_at OR now() > ct.student_end_at THEN
        RAISE EXCEPTION 'course task % takes attempts from % to %', ct.id, ct.student_start_at, ct.student_end_at
            USING ERRCODE = 'MN008', DETAIL = format('It is %s.', now()),
                  HINT = 'Course staff may widen the window (course_tasks.student_start_at, student_end_at).';
    END IF;
    PERFORM 1 FROM students s WHERE s.id = NEW.student_id FOR UPDATE;
    -- Numbers go on after the last (a deleted attempt leaves a gap and gives its try back).
    SELECT count(*), coalesce(max(v.attempt_no), 0) INTO used, last FROM task_verifications v
     WHERE v.course_task_id = NEW.course_task_id AND v.student_id = NEW.student_id;
    IF ct.max_attempts IS NOT NULL AND used >= ct.max_attempts THEN
        RAISE EXCEPTION 'no attempts left at course task %', ct.id USING ERRCODE = 'MN006',
            DETAIL = format('Student %s used %s of %s.', NEW.student_id, used, ct.max_attempts);
    END IF;
    IF NEW.score > ct.max_score THEN
        RAISE EXCEPTION 'score % is above the task''s maximum of %', NEW.score, ct.max_score
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    NEW.attempt_no := last + 1;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION _task_verification_attempt() IS
    'Internal: an attempt is of an auto_test task (22023), within its window (MN008) and max_attempts (MN006), scored '
    'at most max_score, and '
    'numbered after the student''s earlier ones under the student row''s lock';
CREATE TRIGGER task_verifications_attempt BEFORE INSERT ON task_verifications
    FOR EACH ROW EXECUTE FUNCTION _task_verification_attempt();

CREATE FUNCTION _task_verification_update() RETURNS trigger
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    -- A checked attempt is what it was checked as: only a pending one gets its score.
    IF OLD.status <> 'pending' AND (NEW.score, NEW.answers) IS DISTINCT FROM (OLD.score, OLD.answers) THEN
        RAISE EXCEPTION 'attempt % is %: its score and answers are final', OLD.id, OLD.status USING ERRCODE = 'MN006',
            HINT = 'Post another attempt, or have staff delete this one.';
    END IF;
    IF NEW.score > (SELECT ct.max_score FROM course_tasks ct WHERE ct.id = NEW.course_task_id) THEN
        RAISE EXCEPTION 'score % is above the task''s maximum', NEW.score USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION _task_verification_update() IS
    'Internal: a checked (completed or errored) attempt''s score and answers are final (MN006); a score is at most the '
    'task''s max_score (22023)';
CREATE TRIGGER task_verifications_update BEFORE UPDATE ON task_verifications
    FOR EACH ROW EXECUTE FUNCTION _task_verification_update();

-- The result follows the attempts: the best or the latest completed one.
CREATE FUNCTION _task_verification_result() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    v       task_verifications := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    scoring text;
    counted task_verifications;
BEGIN
    IF v.status <> 'completed' THEN
        RETURN NULL;
    END IF;
    SELECT ct.attempt_scoring INTO scoring FROM course_tasks ct WHERE ct.id = v.course_task_id;
    SELECT * INTO counted FROM task_verifications x
     WHERE x.course_task_id = v.course_task_id AND x.student_id = v.student_id AND x.status = 'completed'
     ORDER BY CASE WHEN scoring = 'best' THEN x.score END DESC NULLS LAST, x.attempt_no DESC
     LIMIT 1;
    IF counted.id IS NULL THEN
        -- The last completed attempt was deleted: no result is left to show.
        DELETE FROM task_results r WHERE r.course_task_id = v.course_task_id AND r.student_id = v.student_id;
        RETURN NULL;
    END IF;
    PERFORM set_config('mentor.score_source', 'auto_test:attempt ' || counted.attempt_no, true);
    INSERT INTO task_results AS r (course_task_id, student_id, score)
    VALUES (v.course_task_id, v.student_id, counted.score)
    ON CONFLICT (course_task_id, student_id) DO UPDATE SET score = excluded.score, last_checker_id = NULL
     WHERE r.score IS DISTINCT FROM excluded.score;
    PERFORM set_config('mentor.score_source', '', true);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION _task_verification_result() IS
    'Internal: a completed attempt (or one deleted) makes the best (or latest) completed attempt''s score the task '
    'result, recorded in historical_scores with source auto_test; none left, no result';
CREATE TRIGGER task_verifications_result AFTER INSERT OR UPDATE OF status, score OR DELETE ON task_verifications
    FOR EACH ROW EXECUTE FUNCTION _task_verification_result();

-- A changed rule (best <-> latest) rescores every student of the task at once.
CREATE FUNCTION _course_task_attempt_rescore() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM set_config('mentor.score_source', 'auto_test:' || NEW.attempt_scoring, true);
    -- The same order as _task_verification_result's, for every student at once.
    UPDATE task_results r SET score = c.score, last_checker_id = NULL
      FROM (SELECT DISTINCT ON (v.student_id) v.student_id, v.score
              FROM task_verifications v
             WHERE v.course_task_id = NEW.id AND v.status = 'completed'
             ORDER BY v.student_id, CASE WHEN NEW.attempt_scoring = 'best' THEN v.score END DESC NULLS LAST,
                      v.attempt_no DESC) c
     WHERE r.course_task_id = NEW.id AND r.student_id = c.student_id AND r.score <> c.score;
    PERFORM set_config('mentor.score_source', '', true);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION _course_task_attempt_rescore() IS
    'Internal: a course task whose attempt_scoring changes gets each student''s result from the new rule';
CREATE TRIGGER course_tasks_attempt_rescore AFTER UPDATE OF attempt_scoring ON course_tasks
    FOR EACH ROW WHEN (NEW.attempt_scoring IS DISTINCT FROM OLD.attempt_scoring)
    EXECUTE FUNCTION _course_task_attempt_rescore();

CREATE TABLE task_checkers (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    course_task_id bigint NOT NULL,
    course_id      bigint NOT NULL,
    student_id     bigint NOT NULL,
    mentor_id      bigint NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT task_checkers_once UNIQUE (course_task_id, student_id),
    CONSTRAINT task_checkers_course_task FOREIGN KEY (course_task_id, course_id)
        REFERENCES course_tasks (id, course_id) ON DELETE CASCADE,
    CONSTRAINT task_checkers_student_of_course FOREIGN KEY (student_id, course_id)
        REFERENCES students (id, course_id) ON DELETE CASCADE,
    CONSTRAINT task_checkers_mentor_of_course FOREIGN KEY (mentor_id, course_id)
        REFERENCES course_mentors (id, course_id) ON DELETE CASCADE
);
COMMENT ON TABLE task_checkers IS
    'A course mentor assigned to check one student on an assigned or mentor course task (seed 000 TaskChecker); '
    'written by the course''s staff. Only that checker or the course''s staff write the student''s result (MN005)';
COMMENT ON COLUMN task_checkers.course_id IS 'The course task''s course (set by trigger); student and mentor must be of it';
CREATE INDEX task_checkers_mentor_idx ON task_checkers (mentor_id);
CREATE TRIGGER task_checkers_touch_updated_at BEFORE UPDATE ON task_checkers
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE FUNCTION _task_checkers_task() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    ct course_tasks;
BEGIN
    SELECT * INTO ct FROM course_tasks x WHERE x.id = NEW.course_task_id;
    NEW.course_id := coalesce(ct.course_id, 0);
    IF FOUND AND ct.checker NOT IN ('assigned', 'mentor') THEN
        RAISE EXCEPTION 'course task % is checked by %, not by an assigned checker', ct.id, ct.checker
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Assign checkers on course tasks whose checker is assigned or mentor.';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION _task_checkers_task() IS
    'Internal: checkers are assigned on assigned or mentor course tasks only (22023), in the task''s course';
CREATE TRIGGER task_checkers_task BEFORE INSERT OR UPDATE OF course_task_id, course_id ON task_checkers
    FOR EACH ROW EXECUTE FUNCTION _task_checkers_task();

-- Task interviews (seed 000 TaskInterviewStudent, TaskInterviewResult): course mentors
-- interview the students who register, each within a capacity, and score them.
CREATE TABLE task_interviewers (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    course_task_id bigint NOT NULL,
    course_id      bigint NOT NULL,
    mentor_id      bigint NOT NULL,
    capacity       integer NOT NULL DEFAULT 5 CONSTRAINT task_interviewers_capacity_nonneg CHECK (capacity >= 0),
    assigned_count integer NOT NULL DEFAULT 0,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT task_interviewers_once UNIQUE (course_task_id, mentor_id),
    CONSTRAINT task_interviewers_course_task FOREIGN KEY (course_task_id, course_id)
        REFERENCES course_tasks (id, course_id) ON DELETE CASCADE,
    CONSTRAINT task_interviewers_mentor_of_course FOREIGN KEY (mentor_id, course_id)
        REFERENCES course_mentors (id, course_id) ON DELETE CASCADE,
    -- The assignment trigger says MN004 first; this catches a capacity lowered below the count.
    CONSTRAINT task_interviewers_within_capacity CHECK (assigned_count <= capacity)
);
COMMENT ON TABLE task_interviewers IS
    'The course mentors who interview on an interview task, each for at most capacity students; written by the '
    'course''s staff';
COMMENT ON COLUMN task_interviewers.course_id IS 'The course task''s course (set by trigger); the mentor must be of it';
COMMENT ON COLUMN task_interviewers.assigned_count IS 'Students assigned (kept by trigger, exact under concurrent registrations)';
CREATE TRIGGER task_interviewers_touch_updated_at BEFORE UPDATE ON task_interviewers
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER task_interviewers_owned_columns BEFORE INSERT OR UPDATE OF assigned_count ON task_interviewers
    FOR EACH ROW EXECUTE FUNCTION _keep_owned_columns('assigned_count follows the assigned registrations; leave it out.',
                                                      'assigned_count');

CREATE FUNCTION _interview_task_course() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    kind text;
BEGIN
    SELECT ct.course_id, t.type INTO NEW.course_id, kind
      FROM course_tasks ct JOIN tasks t ON t.id = ct.task_id WHERE ct.id = NEW.course_task_id;
    NEW.course_id := coalesce(NEW.course_id, 0);   -- a missing task: the foreign key names it
    IF kind IS DISTINCT FROM 'interview' AND kind IS DISTINCT FROM 'stage_interview' AND NEW.course_id <> 0 THEN
        RAISE EXCEPTION 'course task % is not an interview (its task''s type is %)', NEW.course_task_id, kind
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Interviews run on course tasks whose task has type interview or stage_interview.';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION _interview_task_course() IS
    'Internal: interview rows belong to an interview task (tasks.type interview or stage_interview, 22023 otherwise) '
    'and its course';
CREATE TRIGGER task_interviewers_course BEFORE INSERT OR UPDATE OF course_task_id, course_id ON task_interviewers
    FOR EACH ROW EXECUTE FUNCTION _interview_task_course();

CREATE TABLE task_interview_students (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    course_task_id bigint NOT NULL,
    course_id      bigint NOT NULL,
    student_id     bigint NOT NULL,
    interviewer_id bigint REFERENCES task_interviewers ON DELETE SET NULL,
    preferred_mentor_ids bigint[] NOT NULL DEFAULT '{}',
    interviewer_user_id bigint REFERENCES users ON DELETE SET NULL,
    during         tstzrange CONSTRAINT task_interview_students_during_bounded
                   CHECK (NOT isempty(during) AND NOT lower_inf(during) AND NOT upper_inf(during)),
    decision       text CONSTRAINT task_interview_students_decision CHECK (decision IN ('accepted', 'rejected')),
    decided_by     bigint REFERENCES users ON DELETE SET NULL,
    decided_at     timestamptz,
    registered_at  timestamptz NOT NULL DEFAULT now(),
    assigned_at    timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT task_interview_students_once UNIQUE (course_task_id, student_id),
    -- Scheduled interviews never overlap for an interviewer or a student.
    CONSTRAINT task_interview_students_interviewer_free
        EXCLUDE USING gist (interviewer_user_id WITH =, during WITH &&) WHERE (during IS NOT NULL),
    CONSTRAINT task_interview_students_student_free
        EXCLUDE USING gist (student_id WITH =, during WITH &&) WHERE (during IS NOT NULL),
    CONSTRAINT task_interview_students_course_task FOREIGN KEY (course_task_id, course_id)
        REFERENCES course_tasks (id, course_id) ON DELETE CASCADE,
    CONSTRAINT task_interview_students_student_of_course FOREIGN KEY (student_id, course_id)
        REFERENCES students (id, course_id) ON DELETE CASCADE
);
COMMENT ON TABLE task_interview_students IS
    'Students registered for an interview task (seed 000 TaskInterviewStudent), through register_for_interview(); '
    'an interviewer of the task is assigned within capacity (NULL while none has room)';
COMMENT ON COLUMN task_interview_students.interviewer_id IS
    'The task interviewer assigned (NULL: waiting); never a mentor who interviewed the student in the course before';
COMMENT ON COLUMN task_interview_students.preferred_mentor_ids IS
    'Course mentors the student would like as interviewer (stage interviews: distribute_interviews prefers them)';
COMMENT ON COLUMN task_interview_students.interviewer_user_id IS 'The assigned interviewer''s user (kept by trigger)';
COMMENT ON COLUMN task_interview_students.during IS
    'When the interview takes place (schedule_interview): never overlapping another of the interviewer or the student';
COMMENT ON COLUMN task_interview_students.decision IS
    'accepted or rejected, by the interviewer or the course''s staff after the result (decide_interview)';
CREATE INDEX task_interview_students_interviewer_idx ON task_interview_students (interviewer_id);
CREATE INDEX task_interview_students_student_idx ON task_interview_students (student_id);
CREATE TRIGGER task_interview_students_touch_updated_at BEFORE UPDATE ON task_interview_students
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER task_interview_students_course BEFORE INSERT OR UPDATE OF course_task_id, course_id ON task_interview_students
    FOR EACH ROW EXECUTE FUNCTION _interview_task_course();
CREATE TRIGGER task_interview_students_owned_columns
    BEFORE INSERT OR UPDATE OF interviewer_id, assigned_at, interviewer_user_id, during, decision, decided_by, decided_at
    ON task_interview_students FOR EACH ROW
    EXECUTE FUNCTION _keep_owned_columns('Interviews move through mentor.register_for_interview(), distribute_interviews(), '
                                         'assign_interviewer(), schedule_interview() and decide_interview().',
                                         'interviewer_id', 'assigned_at', 'interviewer_user_id', 'during', 'decision',
                                         'decided_by', 'decided_at');

-- A student meets each interviewer (course mentor) once: the interview task they already had
-- with this one, NULL when none (leaving one registration out: the one being assigned).
CREATE FUNCTION _interviewed_before(student_id bigint, mentor_id bigint, except_registration bigint DEFAULT NULL)
RETURNS bigint
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
SELECT o.course_task_id FROM task_interview_students o JOIN task_interviewers x ON x.id = o.interviewer_id
 WHERE o.student_id = _interviewed_before.student_id AND x.mentor_id = _interviewed_before.mentor_id
   AND o.id IS DISTINCT FROM except_registration
 LIMIT 1
$$;
COMMENT ON FUNCTION _interviewed_before(bigint, bigint, bigint) IS
    'Internal: the course task of an earlier interview of the student by this course mentor, NULL when none';

-- Why the interviewer row's lock: racing assignments would each see the same free place.
CREATE FUNCTION _task_interview_assignment() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    i     task_interviewers;
    prior bigint;
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.interviewer_id IS NOT NULL
       AND (TG_OP = 'DELETE' OR NEW.interviewer_id IS DISTINCT FROM OLD.interviewer_id) THEN
        UPDATE task_interviewers x SET assigned_count = x.assigned_count - 1 WHERE x.id = OLD.interviewer_id;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    IF NEW.interviewer_id IS NOT NULL AND (TG_OP = 'INSERT' OR NEW.interviewer_id IS DISTINCT FROM OLD.interviewer_id) THEN
        SELECT * INTO i FROM task_interviewers x WHERE x.id = NEW.interviewer_id FOR UPDATE;
        IF i.course_task_id <> NEW.course_task_id THEN
            RAISE EXCEPTION 'interviewer % does not interview on course task %', i.id, NEW.course_task_id
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF i.assigned_count >= i.capacity THEN
            RAISE EXCEPTION 'interviewer % is full', i.id USING ERRCODE = 'MN004',
                DETAIL = format('Mentor %s interviews %s of %s students on course task %s.', i.mentor_id, i.assigned_count,
                                i.capacity, i.course_task_id),
                HINT = 'Raise task_interviewers.capacity or assign another interviewer.';
        END IF;
        prior := _interviewed_before(NEW.student_id, i.mentor_id, NEW.id);
        IF prior IS NOT NULL THEN
            RAISE EXCEPTION 'mentor % interviews student % already (course task %)', i.mentor_id, NEW.student_id, prior
                USING ERRCODE = 'invalid_parameter_value', HINT = 'A student meets each interviewer once: assign another.';
        END IF;
        UPDATE task_interviewers x SET assigned_count = x.assigned_count + 1 WHERE x.id = i.id;
        NEW.assigned_at := now();
    END IF;
    IF TG_OP = 'INSERT' OR NEW.interviewer_id IS DISTINCT FROM OLD.interviewer_id THEN
        -- Another interviewer: the old one's appointment is not theirs.
        NEW.interviewer_user_id := (SELECT m.user_id FROM task_interviewers x JOIN course_mentors m ON m.id = x.mentor_id
                                     WHERE x.id = NEW.interviewer_id);
        NEW.during := NULL;
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION _task_interview_assignment() IS
    'Internal: an assignment takes a place of the interviewer within capacity (MN004), never a mentor the student had '
    '(22023), under the interviewer row''s lock; an unassignment gives it back';
CREATE TRIGGER task_interview_students_assignment BEFORE INSERT OR UPDATE OF interviewer_id ON task_interview_students
    FOR EACH ROW EXECUTE FUNCTION _task_interview_assignment();
CREATE TRIGGER task_interview_students_freed AFTER DELETE ON task_interview_students
    FOR EACH ROW EXECUTE FUNCTION _task_interview_assignment();

CREATE TABLE task_interview_results (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    registration_id bigint NOT NULL CONSTRAINT task_interview_results_once UNIQUE
                   REFERENCES task_interview_students ON DELETE CASCADE,
    interviewer_id bigint REFERENCES users ON DELETE SET NULL,
    score          integer NOT NULL CONSTRAINT task_interview_results_score_nonneg CHECK (score >= 0),
    form           jsonb NOT NULL DEFAULT '{}',
    comment        text CONSTRAINT task_interview_results_comment_length CHECK (length(comment) <= 20000),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE task_interview_results IS
    'An interview''s result (seed 000 TaskInterviewResult): score, the form''s scores per criterion of the task, '
    'comment; written by submit_interview_result(), which makes the score the task result';
COMMENT ON COLUMN task_interview_results.interviewer_id IS 'The user who interviewed (the acting user when saved)';
COMMENT ON COLUMN task_interview_results.form IS 'Scores per criterion key of the task, {"algorithms": 8, ...}';
CREATE TRIGGER task_interview_results_touch_updated_at BEFORE UPDATE ON task_interview_results
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- Who checks a student on a task: the assigned checker (or interviewer), or on a mentor task
-- without one the student's own course mentor.
CREATE FUNCTION _task_checker_user(course_task_id bigint, student_id bigint) RETURNS bigint
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
SELECT coalesce(
    (SELECT m.user_id FROM task_checkers tc JOIN course_mentors m ON m.id = tc.mentor_id
      WHERE tc.course_task_id = _task_checker_user.course_task_id AND tc.student_id = _task_checker_user.student_id),
    (SELECT m.user_id FROM task_interview_students r JOIN task_interviewers i ON i.id = r.interviewer_id
       JOIN course_mentors m ON m.id = i.mentor_id
      WHERE r.course_task_id = _task_checker_user.course_task_id AND r.student_id = _task_checker_user.student_id),
    (SELECT m.user_id FROM course_tasks ct, students s JOIN course_mentors m ON m.id = s.mentor_id
      WHERE ct.id = _task_checker_user.course_task_id AND ct.checker = 'mentor' AND s.id = _task_checker_user.student_id))
$$;
COMMENT ON FUNCTION _task_checker_user(bigint, bigint) IS
    'Internal: the user who checks the student on the course task (the assigned checker or interviewer, else on a '
    'mentor task the student''s mentor), NULL when none';

-- Not SECURITY DEFINER: whether the writer is an administrator is the writer's role, not the owner's.
CREATE FUNCTION _task_results_checker() RETURNS trigger
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    me      bigint := current_actor();
    ct      course_tasks;
    checker bigint;
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.score IS NOT DISTINCT FROM OLD.score THEN
        RETURN NEW;
    END IF;
    SELECT * INTO ct FROM course_tasks x WHERE x.id = NEW.course_task_id;
    IF NOT FOUND OR ct.checker NOT IN ('assigned', 'mentor') THEN
        RETURN NEW;
    END IF;
    -- Administrators' tools (psql as mentor_admin, imports) work without an actor.
    IF me IS NULL AND _current_user_is_admin() THEN
        RETURN NEW;
    END IF;
    checker := _task_checker_user(NEW.course_task_id, NEW.student_id);
    IF me IS NULL OR (me IS DISTINCT FROM checker AND NOT _is_course_staff(ct.course_id, me)) THEN
        RAISE EXCEPTION 'only the checker of student % or the course''s staff score course task %', NEW.student_id, ct.id
            USING ERRCODE = 'MN005',
                  DETAIL = format('The acting user is %s; the checker is %s.', coalesce(me::text, 'not set'),
                                  coalesce(checker::text, 'not assigned')),
                  HINT = 'Assign a checker in mentor.task_checkers, or act as the course''s staff.';
    END IF;
    NEW.last_checker_id := me;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION _task_results_checker() IS
    'Internal: on assigned and mentor course tasks a score is written by the student''s checker or the course''s staff '
    '(MN005 otherwise), who becomes last_checker_id';
-- Named to run before task_results_historical_scores, which records last_checker_id.
CREATE TRIGGER task_results_checker BEFORE INSERT OR UPDATE OF score ON task_results
    FOR EACH ROW EXECUTE FUNCTION _task_results_checker();

CREATE TABLE task_artefacts (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    course_task_id   bigint NOT NULL,
    course_id        bigint NOT NULL,
    student_id       bigint NOT NULL,
    video_url        text CONSTRAINT task_artefacts_video_url_http CHECK (video_url ~ '^https?://'),
    presentation_url text CONSTRAINT task_artefacts_presentation_url_http CHECK (presentation_url ~ '^https?://'),
    notes            text CONSTRAINT task_artefacts_notes_length CHECK (length(notes) <= 20000),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT task_artefacts_once UNIQUE (course_task_id, student_id),
    CONSTRAINT task_artefacts_course_task FOREIGN KEY (course_task_id, course_id)
        REFERENCES course_tasks (id, course_id) ON DELETE CASCADE,
    CONSTRAINT task_artefacts_student_of_course FOREIGN KEY (student_id, course_id)
        REFERENCES students (id, course_id) ON DELETE CASCADE
);
COMMENT ON TABLE task_artefacts IS
    'A student''s artefacts for a course task (seed 000 TaskArtefact): video, presentation, notes; written by the '
    'student, read by them, their checker and the course''s staff';
COMMENT ON COLUMN task_artefacts.course_id IS 'The course task''s course (set by trigger); the student must be of it';
CREATE TRIGGER task_artefacts_touch_updated_at BEFORE UPDATE ON task_artefacts
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE FUNCTION _course_task_course() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    -- A missing task gives course 0, so that the foreign key names it.
    NEW.course_id := coalesce((SELECT ct.course_id FROM course_tasks ct WHERE ct.id = NEW.course_task_id), 0);
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION _course_task_course() IS 'Internal: a row about a course task belongs to the task''s course';
CREATE TRIGGER task_artefacts_course BEFORE INSERT OR UPDATE OF course_task_id, course_id ON task_artefacts
    FOR EACH ROW EXECUTE FUNCTION _course_task_course();

CREATE FUNCTION register_for_interview(course_task_id bigint, preferred_mentor_ids bigint[] DEFAULT '{}')
RETURNS task_interview_students
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    me  bigint := current_actor();
    ct  course_tasks;
    st  students;
    reg task_interview_students;
    pick bigint;
    strays text;
BEGIN
    SELECT * INTO ct FROM course_tasks x WHERE x.id = register_for_interview.course_task_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'course task % does not exist', coalesce(course_task_id::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
    SELECT * INTO st FROM students s WHERE s.course_id = ct.course_id AND s.user_id = me AND NOT s.is_expelled;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'only a student of course % registers for its interviews', ct.course_id
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = format('The acting user is %s.', coalesce(me::text, 'not set'));
    END IF;
    SELECT string_agg(p::text, ', ') INTO strays FROM unnest(coalesce(preferred_mentor_ids, '{}')) p
     WHERE NOT EXISTS (SELECT 1 FROM task_interviewers i WHERE i.course_task_id = ct.id AND i.mentor_id = p);
    IF strays IS NOT NULL THEN
        RAISE EXCEPTION 'course mentors % do not interview on course task %', strays, ct.id
            USING ERRCODE = 'invalid_parameter_value', HINT = 'mentor.task_interviewers lists the task''s interviewers.';
    END IF;
    INSERT INTO task_interview_students AS r (course_task_id, course_id, student_id, preferred_mentor_ids)
    VALUES (ct.id, ct.course_id, st.id, coalesce(preferred_mentor_ids, '{}'))
    ON CONFLICT ON CONSTRAINT task_interview_students_once DO UPDATE SET preferred_mentor_ids = excluded.preferred_mentor_ids
     WHERE r.interviewer_id IS NULL AND cardinality(excluded.preferred_mentor_ids) > 0;
    SELECT * INTO reg FROM task_interview_students r WHERE r.course_task_id = ct.id AND r.student_id = st.id FOR UPDATE;
    -- Stage interviews are paired for the whole group at once (distribute_interviews).
    IF reg.interviewer_id IS NULL AND (SELECT t.type FROM tasks t WHERE t.id = ct.task_id) = 'interview' THEN
        -- Every interviewer of the task is locked in one order, so racing registrations pick in turn:
        -- the one with most room whom the student has not met.
        PERFORM 1 FROM task_interviewers i WHERE i.course_task_id = ct.id ORDER BY i.id FOR UPDATE;
        SELECT i.id INTO pick FROM task_interviewers i
         WHERE i.course_task_id = ct.id AND i.assigned_count < i.capacity
           AND _interviewed_before(st.id, i.mentor_id) IS NULL
         ORDER BY i.capacity - i.assigned_count DESC, i.id LIMIT 1;
        IF pick IS NOT NULL THEN
            UPDATE task_interview_students r SET interviewer_id = pick WHERE r.id = reg.id RETURNING * INTO reg;
        END IF;
    END IF;
    RETURN reg;
END
$$;
COMMENT ON FUNCTION register_for_interview(bigint, bigint[]) IS
    'The acting student registers for an interview task, naming the interviewers (course mentor ids) they prefer '
    '(again: the same registration). On an interview task they are assigned at once the interviewer with most room '
    'whom they have not met, or wait (interviewer_id NULL); on a stage_interview task distribute_interviews() pairs '
    'them. 42501 for someone not a student of the course, 22023 for preferred mentors who do not interview there';

CREATE FUNCTION assign_interviewer(registration_id bigint, interviewer_id bigint) RETURNS task_interview_students
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    reg task_interview_students;
BEGIN
    SELECT * INTO reg FROM task_interview_students r WHERE r.id = assign_interviewer.registration_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'interview registration % does not exist', coalesce(registration_id::text, 'NULL')
            USING ERRCODE = 'no_data_found';
    END IF;
    IF NOT _is_course_staff(reg.course_id, current_actor()) THEN
        RAISE EXCEPTION 'only the course''s staff assign interviewers' USING ERRCODE = 'insufficient_privilege',
            DETAIL = format('The acting user is %s.', coalesce(current_actor()::text, 'not set'));
    END IF;
    UPDATE task_interview_students r SET interviewer_id = assign_interviewer.interviewer_id
     WHERE r.id = reg.id RETURNING * INTO reg;
    RETURN reg;
END
$$;
COMMENT ON FUNCTION assign_interviewer(bigint, bigint) IS
    'The course''s staff assign (or with NULL unassign) a registration''s interviewer: MN004 when full, 22023 for a '
    'mentor the student met or an interviewer of another task';

CREATE FUNCTION submit_interview_result(registration_id bigint, score integer, form jsonb DEFAULT '{}',
                                        comment text DEFAULT NULL) RETURNS task_interview_results
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    me      bigint := current_actor();
    reg     task_interview_students;
    ct      course_tasks;
    problem text;
    known   jsonb;
    saved   task_interview_results;
BEGIN
    SELECT * INTO reg FROM task_interview_students r WHERE r.id = submit_interview_result.registration_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'interview registration % does not exist', coalesce(registration_id::text, 'NULL')
            USING ERRCODE = 'no_data_found';
    END IF;
    SELECT * INTO ct FROM course_tasks x WHERE x.id = reg.course_task_id;
    IF me IS NULL OR (me IS DISTINCT FROM _task_checker_user(reg.course_task_id, reg.student_id)
                      AND NOT _is_course_staff(ct.course_id, me)) THEN
        RAISE EXCEPTION 'only the interviewer of student % or the course''s staff score this interview', reg.student_id
            USING ERRCODE = 'MN005', DETAIL = format('The acting user is %s.', coalesce(me::text, 'not set'));
    END IF;
    IF score IS NULL OR score < 0 OR score > ct.max_score THEN
        RAISE EXCEPTION 'score % is out of range', coalesce(score::text, 'NULL') USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('Scores of course task %s go from 0 to %s.', ct.id, ct.max_score);
    END IF;
    form := coalesce(form, '{}');
    SELECT r.problem, r.known INTO problem, known FROM _criteria_scores_problem(ct, form) r;
    IF problem IS NOT NULL THEN
        RAISE EXCEPTION 'malformed interview form' USING ERRCODE = 'invalid_parameter_value', DETAIL = problem,
            HINT = format('Known criteria and their maxima: %s', known);
    END IF;
    INSERT INTO task_interview_results AS x (registration_id, interviewer_id, score, form, comment)
    VALUES (reg.id, me, score, form, comment)
    ON CONFLICT ON CONSTRAINT task_interview_results_once DO UPDATE
       SET interviewer_id = excluded.interviewer_id, score = excluded.score, form = excluded.form, comment = excluded.comment
    RETURNING x.* INTO saved;
    PERFORM set_config('mentor.score_source', 'interview', true);
    INSERT INTO task_results AS r (course_task_id, student_id, score, last_checker_id, comment)
    VALUES (reg.course_task_id, reg.student_id, score, me, comment)
    ON CONFLICT (course_task_id, student_id) DO UPDATE
       SET score = excluded.score, last_checker_id = excluded.last_checker_id, comment = excluded.comment;
    PERFORM set_config('mentor.score_source', '', true);
    RETURN saved;
END
$$;
COMMENT ON FUNCTION submit_interview_result(bigint, integer, jsonb, text) IS
    'The interviewer (or the course''s staff) saves an interview''s result: 0 <= score <= max_score, the form''s scores '
    'per criterion of the task (22023 naming every unknown or out-of-range field); the score becomes the task result '
    '(historical_scores source interview). MN005 for anyone else';

-- Pairs for a whole group at once (stage interviews): the matching core's optimal assignment
-- over the pairs allowed, a preferred interviewer scoring higher.
CREATE FUNCTION _match_pairs(nmentees integer, capacity integer[], pair_mentee integer[], pair_mentor integer[],
                             pair_score float8[], per_mentee integer, method text)
    RETURNS TABLE (mentee integer, mentor integer, score float8, candidates integer)
    AS 'MODULE_PATHNAME', 'mn_match_pairs_sql' LANGUAGE C IMMUTABLE;
COMMENT ON FUNCTION _match_pairs(integer, integer[], integer[], integer[], float8[], integer, text) IS
    'Internal: the optimal (or stable, greedy) assignment of mentees to mentors over pairs scored by the caller, '
    'within each mentor''s capacity; numbered from 1 (C, src/core/matching.c)';

CREATE FUNCTION distribute_interviews(course_task_id bigint) RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    ct       course_tasks;
    assigned integer := 0;
BEGIN
    SELECT * INTO ct FROM course_tasks x WHERE x.id = distribute_interviews.course_task_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'course task % does not exist', coalesce(course_task_id::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
    IF NOT _is_course_staff(ct.course_id, current_actor()) THEN
        RAISE EXCEPTION 'only the course''s staff distribute interviews' USING ERRCODE = 'insufficient_privilege',
            DETAIL = format('The acting user is %s.', coalesce(current_actor()::text, 'not set'));
    END IF;
    -- The interviewers' rows in one order: registrations and other distributions wait.
    PERFORM 1 FROM task_interviewers i WHERE i.course_task_id = ct.id ORDER BY i.id FOR UPDATE;
    WITH waiting AS (
        SELECT r.id, r.student_id, r.preferred_mentor_ids, row_number() OVER (ORDER BY r.id)::integer AS n
          FROM task_interview_students r
         WHERE r.course_task_id = ct.id AND r.interviewer_id IS NULL
    ), interviewers AS (
        SELECT i.id, i.mentor_id, m.user_id, greatest(i.capacity - i.assigned_count, 0) AS free,
               row_number() OVER (ORDER BY i.id)::integer AS n
          FROM task_interviewers i JOIN course_mentors m ON m.id = i.mentor_id
         WHERE i.course_task_id = ct.id
    ), pairs AS (
        -- Not the student's own mentor, not someone in the student's team, not a mentor met before.
        SELECT w.n AS mentee, v.n AS mentor, CASE WHEN v.mentor_id = ANY (w.preferred_mentor_ids) THEN 2.0 ELSE 1.0 END::float8 AS score
          FROM waiting w JOIN students s ON s.id = w.student_id CROSS JOIN interviewers v
         WHERE s.mentor_id IS DISTINCT FROM v.mentor_id
           AND NOT EXISTS (SELECT 1 FROM team_members tm JOIN team_members tv ON tv.team_id = tm.team_id
                             JOIN students sv ON sv.id = tv.student_id
                            WHERE tm.student_id = w.student_id AND sv.user_id = v.user_id)
           AND _interviewed_before(w.student_id, v.mentor_id) IS NULL
    ), chosen AS (
        SELECT m.mentee, m.mentor
          FROM _match_pairs((SELECT count(*)::integer FROM waiting),
                            coalesce((SELECT array_agg(free ORDER BY n) FROM interviewers), '{}'),
                            coalesce((SELECT array_agg(mentee) FROM pairs), '{}'),
                            coalesce((SELECT array_agg(mentor) FROM pairs), '{}'),
                            coalesce((SELECT array_agg(score) FROM pairs), '{}'), 1, 'optimal') m
         WHERE m.mentor IS NOT NULL
    ), moved AS (
        UPDATE task_interview_students r SET interviewer_id = v.id
          FROM chosen c JOIN waiting w ON w.n = c.mentee JOIN interviewers v ON v.n = c.mentor
         WHERE r.id = w.id
        RETURNING 1
    )
    SELECT count(*) INTO assigned FROM moved;
    RETURN assigned;
END
$$;
COMMENT ON FUNCTION distribute_interviews(bigint) IS
    'The course''s staff pair the waiting registrations of an interview task with its interviewers at once: the '
    'matching core''s optimal assignment within each interviewer''s free places, a preferred interviewer counting '
    'double, never the student''s own mentor, a member of their team or a mentor they met. Returns how many were '
    'assigned; the rest keep waiting';

CREATE FUNCTION _interview_party(reg task_interview_students, action text) RETURNS bigint
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    me bigint := current_actor();
BEGIN
    IF me IS NULL OR (me IS DISTINCT FROM reg.interviewer_user_id AND NOT _is_course_staff(reg.course_id, me)) THEN
        RAISE EXCEPTION 'only the interviewer or the course''s staff %', action USING ERRCODE = 'MN005',
            DETAIL = format('The acting user is %s; the interviewer is %s.', coalesce(me::text, 'not set'),
                            coalesce(reg.interviewer_user_id::text, 'not assigned'));
    END IF;
    RETURN me;
END
$$;
COMMENT ON FUNCTION _interview_party(task_interview_students, text) IS
    'Internal: the acting user when they are the registration''s interviewer or the course''s staff, MN005 otherwise';

CREATE FUNCTION _interview_registration(registration_id bigint) RETURNS task_interview_students
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    reg task_interview_students;
BEGIN
    SELECT * INTO reg FROM task_interview_students r WHERE r.id = registration_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'interview registration % does not exist', coalesce(registration_id::text, 'NULL')
            USING ERRCODE = 'no_data_found';
    END IF;
    RETURN reg;
END
$$;
COMMENT ON FUNCTION _interview_registration(bigint) IS 'Internal: the interview registration, locked (P0002 when none)';

CREATE FUNCTION schedule_interview(registration_id bigint, during tstzrange) RETURNS task_interview_students
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    reg task_interview_students := _interview_registration(registration_id);
BEGIN
    PERFORM _interview_party(reg, 'schedule this interview');
    IF reg.interviewer_id IS NULL THEN
        RAISE EXCEPTION 'interview registration % has no interviewer yet', reg.id USING ERRCODE = 'MN006';
    END IF;
    UPDATE task_interview_students r SET during = schedule_interview.during WHERE r.id = reg.id RETURNING * INTO reg;
    RETURN reg;
END
$$;
COMMENT ON FUNCTION schedule_interview(bigint, tstzrange) IS
    'The interviewer (or the course''s staff) sets when an assigned interview takes place (NULL: unscheduled); '
    '23P01 when it overlaps another interview of the interviewer or of the student, MN006 before an interviewer is '
    'assigned';

CREATE FUNCTION decide_interview(registration_id bigint, accept boolean, assign_mentor boolean DEFAULT false)
RETURNS task_interview_students
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    reg task_interview_students := _interview_registration(registration_id);
    me  bigint := _interview_party(reg, 'decide this interview');
BEGIN
    IF accept IS NULL THEN
        RAISE EXCEPTION 'a decision accepts (true) or rejects (false)' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM task_interview_results x WHERE x.registration_id = reg.id) THEN
        RAISE EXCEPTION 'interview registration % has no result yet', reg.id USING ERRCODE = 'MN006',
            HINT = 'Save it with mentor.submit_interview_result() first.';
    END IF;
    UPDATE task_interview_students r
       SET decision = CASE WHEN accept THEN 'accepted' ELSE 'rejected' END, decided_by = me, decided_at = now()
     WHERE r.id = reg.id RETURNING * INTO reg;
    IF accept AND coalesce(assign_mentor, false) THEN
        -- The interviewer becomes the student's mentor, within their max_students (MN004).
        UPDATE students s SET mentor_id = (SELECT x.mentor_id FROM task_interviewers x WHERE x.id = reg.interviewer_id)
         WHERE s.id = reg.student_id;
    END IF;
    RETURN reg;
END
$$;
COMMENT ON FUNCTION decide_interview(bigint, boolean, boolean) IS
    'The interviewer (or the course''s staff) accepts or rejects a student after the interview''s result (MN006 '
    'before); accepted with assign_mentor, the interviewer becomes the student''s course mentor (MN004 when they are '
    'full). MN005 for anyone else';

CREATE FUNCTION _own_student(student_id bigint) RETURNS boolean
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$ SELECT EXISTS (SELECT 1 FROM students s WHERE s.id = _own_student.student_id AND s.user_id = current_actor()) $$;
COMMENT ON FUNCTION _own_student(bigint) IS 'Internal: the students row is the acting user''s (for row-level security)';

ALTER TABLE task_verifications ENABLE ROW LEVEL SECURITY;
CREATE POLICY task_verifications_select ON task_verifications FOR SELECT TO mentor_app
    USING (@extschema@._own_student(student_id)
           OR @extschema@._task_checker_user(course_task_id, student_id) = @extschema@.current_actor()
           OR @extschema@._is_course_staff(course_id, @extschema@.current_actor()));
CREATE POLICY task_verifications_insert ON task_verifications FOR INSERT TO mentor_app
    WITH CHECK (@extschema@._own_student(student_id) OR @extschema@._is_course_staff(course_id, @extschema@.current_actor()));
CREATE POLICY task_verifications_update ON task_verifications FOR UPDATE TO mentor_app
    USING (@extschema@._own_student(student_id) OR @extschema@._is_course_staff(course_id, @extschema@.current_actor()))
    WITH CHECK (@extschema@._own_student(student_id) OR @extschema@._is_course_staff(course_id, @extschema@.current_actor()));
CREATE POLICY task_verifications_delete ON task_verifications FOR DELETE TO mentor_app
    USING (@extschema@._is_course_staff(course_id, @extschema@.current_actor()));
ALTER TABLE task_checkers ENABLE ROW LEVEL SECURITY;
CREATE POLICY task_checkers_select ON task_checkers FOR SELECT TO mentor_app USING (true);
CREATE POLICY task_checkers_insert ON task_checkers FOR INSERT TO mentor_app
    WITH CHECK (@extschema@._is_course_staff(course_id, @extschema@.current_actor()));
CREATE POLICY task_checkers_update ON task_checkers FOR UPDATE TO mentor_app
    USING (@extschema@._is_course_staff(course_id, @extschema@.current_actor()))
    WITH CHECK (@extschema@._is_course_staff(course_id, @extschema@.current_actor()));
CREATE POLICY task_checkers_delete ON task_checkers FOR DELETE TO mentor_app
    USING (@extschema@._is_course_staff(course_id, @extschema@.current_actor()));
ALTER TABLE task_artefacts ENABLE ROW LEVEL SECURITY;
CREATE POLICY task_artefacts_select ON task_artefacts FOR SELECT TO mentor_app
    USING (@extschema@._own_student(student_id)
           OR @extschema@._task_checker_user(course_task_id, student_id) = @extschema@.current_actor()
           OR @extschema@._is_course_staff(course_id, @extschema@.current_actor()));
CREATE POLICY task_artefacts_insert ON task_artefacts FOR INSERT TO mentor_app
    WITH CHECK (@extschema@._own_student(student_id));
CREATE POLICY task_artefacts_update ON task_artefacts FOR UPDATE TO mentor_app
    USING (@extschema@._own_student(student_id)) WITH CHECK (@extschema@._own_student(student_id));
CREATE POLICY task_artefacts_delete ON task_artefacts FOR DELETE TO mentor_app
    USING (@extschema@._own_student(student_id));
ALTER TABLE task_interviewers ENABLE ROW LEVEL SECURITY;
CREATE POLICY task_interviewers_select ON task_interviewers FOR SELECT TO mentor_app USING (true);
CREATE POLICY task_interviewers_insert ON task_interviewers FOR INSERT TO mentor_app
    WITH CHECK (@extschema@._is_course_staff(course_id, @extschema@.current_actor()));
CREATE POLICY task_interviewers_update ON task_interviewers FOR UPDATE TO mentor_app
    USING (@extschema@._is_course_staff(course_id, @extschema@.current_actor()))
    WITH CHECK (@extschema@._is_course_staff(course_id, @extschema@.current_actor()));
CREATE POLICY task_interviewers_delete ON task_interviewers FOR DELETE TO mentor_app
    USING (@extschema@._is_course_staff(course_id, @extschema@.current_actor()));
ALTER TABLE task_interview_students ENABLE ROW LEVEL SECURITY;
CREATE POLICY task_interview_students_select ON task_interview_students FOR SELECT TO mentor_app
    USING (@extschema@._own_student(student_id)
           OR @extschema@._task_checker_user(course_task_id, student_id) = @extschema@.current_actor()
           OR @extschema@._is_course_staff(course_id, @extschema@.current_actor()));
CREATE POLICY task_interview_students_insert ON task_interview_students FOR INSERT TO mentor_app WITH CHECK (false);
CREATE POLICY task_interview_students_update ON task_interview_students FOR UPDATE TO mentor_app USING (false);
CREATE POLICY task_interview_students_delete ON task_interview_students FOR DELETE TO mentor_app
    USING (@extschema@._own_student(student_id) OR @extschema@._is_course_staff(course_id, @extschema@.current_actor()));
ALTER TABLE task_interview_results ENABLE ROW LEVEL SECURITY;
CREATE POLICY task_interview_results_select ON task_interview_results FOR SELECT TO mentor_app
    USING (interviewer_id = @extschema@.current_actor()
           OR EXISTS (SELECT 1 FROM @extschema@.task_interview_students r
                       WHERE r.id = registration_id
                         AND (@extschema@._own_student(r.student_id)
                              OR @extschema@._is_course_staff(r.course_id, @extschema@.current_actor()))));
CREATE POLICY task_interview_results_insert ON task_interview_results FOR INSERT TO mentor_app WITH CHECK (false);
CREATE POLICY task_interview_results_update ON task_interview_results FOR UPDATE TO mentor_app USING (false);
CREATE POLICY task_interview_results_delete ON task_interview_results FOR DELETE TO mentor_app USING (false);

--------------------------------------------------------------------------------
-- Module school, people (seed 000 Feedback, PrivateFeedback, StudentFeedback,
-- Resume, UserGroup, MentorRegistry, DiscordServer, Contributor,
-- RepositoryEvent): what people of a course school say about each other,
-- the CVs students show employers, and the school's own registries: user
-- groups, mentors' preferences, Discord servers, contributors, and the
-- append-only log of repository webhooks.
--------------------------------------------------------------------------------

CREATE TYPE gratitude_badge AS ENUM ('congratulations', 'expert_help', 'great_speaker', 'good_job', 'helping_hand',
                                     'hero', 'thank_you', 'outstanding_work', 'top_performer', 'job_offer');
COMMENT ON TYPE gratitude_badge IS 'The badges of public gratitude (seed 000 Feedback)';

CREATE TABLE gratitudes (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    from_user_id bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    to_user_id   bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    course_id    bigint REFERENCES courses ON DELETE SET NULL,
    badge        @extschema@.gratitude_badge NOT NULL,
    comment      text CONSTRAINT gratitudes_comment_length CHECK (length(comment) <= 2000),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT gratitudes_not_self CHECK (from_user_id <> to_user_id)
);
COMMENT ON TABLE gratitudes IS
    'Public thanks with a badge (seed 000 Feedback): from the acting user to another, optionally in a course; '
    'readable by everyone';
CREATE INDEX gratitudes_to_idx ON gratitudes (to_user_id, created_at);
CREATE INDEX gratitudes_from_idx ON gratitudes (from_user_id);
CREATE TRIGGER gratitudes_touch_updated_at BEFORE UPDATE ON gratitudes
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE private_feedback (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    from_user_id bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    to_user_id   bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    course_id    bigint NOT NULL REFERENCES courses ON DELETE CASCADE,
    comment      text NOT NULL CONSTRAINT private_feedback_comment_length CHECK (length(btrim(comment)) BETWEEN 1 AND 10000),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT private_feedback_not_self CHECK (from_user_id <> to_user_id)
);
COMMENT ON TABLE private_feedback IS
    'Feedback about a user for a course''s staff only (seed 000 PrivateFeedback): the person it is about never reads '
    'it; its author and the course''s staff do';
CREATE INDEX private_feedback_course_idx ON private_feedback (course_id, to_user_id);
CREATE TRIGGER private_feedback_touch_updated_at BEFORE UPDATE ON private_feedback
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TYPE soft_skill AS ENUM ('responsible', 'team_player', 'communicable');
COMMENT ON TYPE soft_skill IS 'The soft skills a mentor rates a student on (seed 000 StudentFeedback), 1 to 5 each';
CREATE TYPE mentor_recommendation AS ENUM ('hire', 'not_hire');
COMMENT ON TYPE mentor_recommendation IS 'A mentor''s recommendation of a student to employers';

CREATE TABLE student_feedback (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    student_id     bigint NOT NULL,
    course_id      bigint NOT NULL,
    mentor_id      bigint NOT NULL,
    author_id      bigint REFERENCES users ON DELETE SET NULL,
    recommendation @extschema@.mentor_recommendation,
    soft_skills    jsonb NOT NULL DEFAULT '{}',
    content        jsonb NOT NULL DEFAULT '{}'
                   CONSTRAINT student_feedback_content_object CHECK (jsonb_typeof(content) = 'object'),
    english_level  text CONSTRAINT student_feedback_english_level CHECK (english_level IN ('a0', 'a1', 'a2', 'b1', 'b2', 'c1', 'c2')),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT student_feedback_once UNIQUE (student_id, mentor_id),
    CONSTRAINT student_feedback_student_of_course FOREIGN KEY (student_id, course_id)
        REFERENCES students (id, course_id) ON DELETE CASCADE,
    CONSTRAINT student_feedback_mentor_of_course FOREIGN KEY (mentor_id, course_id)
        REFERENCES course_mentors (id, course_id) ON DELETE CASCADE
);
COMMENT ON TABLE student_feedback IS
    'A mentor''s structured feedback on a student of the course (seed 000 StudentFeedback), one per mentor and '
    'student: soft-skill ratings, recommendation, content. Written by the mentor, read by the mentor, the student '
    'and the course''s staff';
COMMENT ON COLUMN student_feedback.soft_skills IS
    'Ratings per soft skill, {"responsible": 5, "team_player": 4, ...}: keys from soft_skill, whole numbers 1 to 5';
COMMENT ON COLUMN student_feedback.content IS 'The written feedback, a JSON object (suggestions, impression, ...)';
COMMENT ON COLUMN student_feedback.author_id IS 'The user who wrote it (the acting user, set by trigger)';
CREATE INDEX student_feedback_mentor_idx ON student_feedback (mentor_id);
CREATE TRIGGER student_feedback_touch_updated_at BEFORE UPDATE ON student_feedback
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE FUNCTION _student_feedback_check() RETURNS trigger
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    problem text;
BEGIN
    IF jsonb_typeof(NEW.soft_skills) IS DISTINCT FROM 'object' THEN
        problem := 'soft_skills must be a JSON object of ratings per skill';
    ELSE
        SELECT string_agg(CASE
                   WHEN NOT e.key = ANY (enum_range(NULL::soft_skill)::text[]) THEN format('"%s" is not a soft skill', e.key)
                   WHEN jsonb_typeof(e.value) <> 'number' OR e.value::text::numeric NOT IN (1, 2, 3, 4, 5)
                       THEN format('"%s" must be a whole number from 1 to 5', e.key)
               END, '; ' ORDER BY e.key)
          INTO problem FROM jsonb_each(NEW.soft_skills) e;
    END IF;
    IF problem IS NOT NULL THEN
        RAISE EXCEPTION 'malformed soft-skill ratings' USING ERRCODE = 'invalid_parameter_value', DETAIL = problem,
            HINT = format('Soft skills: %s.', array_to_string(enum_range(NULL::soft_skill)::text[], ', '));
    END IF;
    NEW.author_id := coalesce(current_actor(), NEW.author_id);
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION _student_feedback_check() IS
    'Internal: soft-skill ratings are known skills rated 1 to 5 (22023 naming each wrong one); the author is the actor';
CREATE TRIGGER student_feedback_check BEFORE INSERT OR UPDATE ON student_feedback
    FOR EACH ROW EXECUTE FUNCTION _student_feedback_check();

CREATE FUNCTION _course_mentor_is_actor(mentor_id bigint) RETURNS boolean
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$ SELECT EXISTS (SELECT 1 FROM course_mentors m WHERE m.id = _course_mentor_is_actor.mentor_id AND m.user_id = current_actor()) $$;
COMMENT ON FUNCTION _course_mentor_is_actor(bigint) IS 'Internal: the course mentor row is the acting user''s (for row-level security)';

-- Resumes (seed 000 Resume): employers are users the platform recognises as hiring.
CREATE TABLE employers (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     bigint NOT NULL CONSTRAINT employers_once UNIQUE REFERENCES users ON DELETE CASCADE,
    company     text NOT NULL CONSTRAINT employers_company_length CHECK (length(btrim(company)) BETWEEN 1 AND 200),
    verified_at timestamptz NOT NULL DEFAULT now(),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE employers IS
    'Users recognised as hiring (they see resumes shown to employers); written by staff (mentor_admin)';
CREATE TRIGGER employers_touch_updated_at BEFORE UPDATE ON employers
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TYPE resume_visibility AS ENUM ('hidden', 'employers', 'public');
COMMENT ON TYPE resume_visibility IS 'Who reads a resume: its owner only, also employers, or everyone (and its public link)';

CREATE TABLE resumes (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id          bigint NOT NULL CONSTRAINT resumes_once UNIQUE REFERENCES users ON DELETE CASCADE,
    public_id        uuid NOT NULL CONSTRAINT resumes_public_id_unique UNIQUE DEFAULT gen_random_uuid(),
    name             text CONSTRAINT resumes_name_length CHECK (length(name) <= 200),
    desired_position text CONSTRAINT resumes_desired_position_length CHECK (length(desired_position) <= 200),
    location         text CONSTRAINT resumes_location_length CHECK (length(location) <= 200),
    english_level    text CONSTRAINT resumes_english_level CHECK (english_level IN ('a0', 'a1', 'a2', 'b1', 'b2', 'c1', 'c2')),
    full_time        boolean NOT NULL DEFAULT true,
    start_from       date,
    sections         jsonb NOT NULL DEFAULT '{}'
                     CONSTRAINT resumes_sections_object CHECK (jsonb_typeof(sections) = 'object'),
    visibility       @extschema@.resume_visibility NOT NULL DEFAULT 'hidden',
    search           tsvector GENERATED ALWAYS AS (
                         to_tsvector('simple', coalesce(name, '') || ' ' || coalesce(desired_position, '') || ' ' ||
                                               coalesce(location, '') || ' ' || coalesce(sections::text, ''))) STORED,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE resumes IS
    'A user''s CV (seed 000 Resume), one per user: written by its owner; read by them, staff, employers when shown to '
    'employers, everyone when public (also by public link, resume_by_public_id)';
COMMENT ON COLUMN resumes.public_id IS 'The id of its public link';
COMMENT ON COLUMN resumes.sections IS
    'The CV''s sections, a JSON object (about, skills, experience, education, projects, contacts, ...)';
COMMENT ON COLUMN resumes.search IS 'Full-text document of the resume (generated): search with @@ websearch_to_tsquery(''simple'', ...)';
CREATE INDEX resumes_search_idx ON resumes USING gin (search);
CREATE TRIGGER resumes_touch_updated_at BEFORE UPDATE ON resumes
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE FUNCTION _resume_readable(user_id bigint, visibility resume_visibility) RETURNS boolean
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
SELECT visibility = 'public'
    OR _resume_readable.user_id = current_actor()
    OR _actor_is_staff()
    OR (visibility = 'employers' AND EXISTS (SELECT 1 FROM employers e WHERE e.user_id = current_actor()))
$$;
COMMENT ON FUNCTION _resume_readable(bigint, resume_visibility) IS
    'Internal: the acting user may read a resume of this owner and visibility (for row-level security)';

CREATE FUNCTION resume_by_public_id(public_id uuid) RETURNS resumes
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$ SELECT r.* FROM resumes r WHERE r.public_id = resume_by_public_id.public_id AND r.visibility = 'public' $$;
COMMENT ON FUNCTION resume_by_public_id(uuid) IS
    'The public resume behind a public link, for anyone (no actor needed); no row when it is not public';

-- The school's registries.
CREATE TABLE user_groups (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       citext NOT NULL CONSTRAINT user_groups_name_unique UNIQUE
               CONSTRAINT user_groups_name_length CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    roles      text[] NOT NULL DEFAULT '{}'
               CONSTRAINT user_groups_roles_known CHECK (roles <@ ARRAY['student', 'mentor', 'manager', 'supervisor',
                                                                        'task_owner', 'jury_activist', 'activist', 'admin']),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE user_groups IS
    'Named static groups of users (seed 000 UserGroup) and the course roles their members get when a course takes '
    'the group on; written by staff (mentor_admin)';
COMMENT ON COLUMN user_groups.roles IS 'Course roles (as course_roles() names them) a course gives the group''s members';
CREATE TRIGGER user_groups_touch_updated_at BEFORE UPDATE ON user_groups
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE user_group_members (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    group_id   bigint NOT NULL REFERENCES user_groups ON DELETE CASCADE,
    user_id    bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT user_group_members_once UNIQUE (group_id, user_id)
);
COMMENT ON TABLE user_group_members IS 'Who is in a user group; written by staff (mentor_admin)';
CREATE INDEX user_group_members_user_idx ON user_group_members (user_id);

CREATE TABLE mentor_registries (
    id                          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id                     bigint NOT NULL CONSTRAINT mentor_registries_once UNIQUE REFERENCES users ON DELETE CASCADE,
    preferred_course_ids        bigint[] NOT NULL DEFAULT '{}',
    preferred_student_locations text[] NOT NULL DEFAULT '{}',
    technical_mentoring         text[] NOT NULL DEFAULT '{}',
    max_students                integer NOT NULL DEFAULT 2
                                CONSTRAINT mentor_registries_max_students_range CHECK (max_students BETWEEN 0 AND 100),
    comment                     text CONSTRAINT mentor_registries_comment_length CHECK (length(comment) <= 5000),
    canceled                    boolean NOT NULL DEFAULT false,
    created_at                  timestamptz NOT NULL DEFAULT now(),
    updated_at                  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE mentor_registries IS
    'A mentor''s standing offer across courses (seed 000 MentorRegistry): preferred courses and students'' locations, '
    'technologies, how many students; written by the mentor, read by staff and the mentor';
COMMENT ON COLUMN mentor_registries.preferred_course_ids IS 'Courses the mentor would take students in (ids of courses)';
CREATE TRIGGER mentor_registries_touch_updated_at BEFORE UPDATE ON mentor_registries
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE discord_servers (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name             text NOT NULL CONSTRAINT discord_servers_name_length CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    gratitude_url    text CONSTRAINT discord_servers_gratitude_url_http CHECK (gratitude_url ~ '^https://'),
    mentors_chat_url text CONSTRAINT discord_servers_mentors_chat_url_http CHECK (mentors_chat_url ~ '^https://'),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE discord_servers IS
    'Discord servers of the school (seed 000 DiscordServer): where gratitude is announced and mentors talk; written by '
    'staff (mentor_admin)';
COMMENT ON COLUMN discord_servers.gratitude_url IS 'The webhook that announces gratitudes (https)';
CREATE TRIGGER discord_servers_touch_updated_at BEFORE UPDATE ON discord_servers
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
ALTER TABLE courses ADD COLUMN discord_server_id bigint REFERENCES discord_servers ON DELETE SET NULL;
COMMENT ON COLUMN courses.discord_server_id IS 'The course''s Discord server, if any';

CREATE TABLE contributors (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     bigint NOT NULL CONSTRAINT contributors_once UNIQUE REFERENCES users ON DELETE CASCADE,
    description text CONSTRAINT contributors_description_length CHECK (length(description) <= 2000),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE contributors IS 'People who contribute to the school itself (seed 000 Contributor); written by staff (mentor_admin)';
CREATE TRIGGER contributors_touch_updated_at BEFORE UPDATE ON contributors
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE repository_events (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    repository_url text NOT NULL CONSTRAINT repository_events_repository_url_http CHECK (repository_url ~ '^https?://'),
    action         text NOT NULL CONSTRAINT repository_events_action_format CHECK (action ~ '^[a-z][a-z0-9_.]{0,59}$'),
    github_id      text,
    user_id        bigint REFERENCES users ON DELETE SET NULL,
    payload        jsonb NOT NULL DEFAULT '{}',
    created_at     timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE repository_events IS
    'The log of repository webhooks (seed 000 RepositoryEvent: a student''s repository created, a push, ...): '
    'append-only, for every role';
COMMENT ON COLUMN repository_events.action IS 'What happened, lower case (created, push, pull_request.opened, ...)';
CREATE INDEX repository_events_repository_idx ON repository_events (repository_url, created_at);
-- A log: appended to, never changed; a deleted user's events stay, without the user.
CREATE FUNCTION _repository_events_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    -- The foreign key's SET NULL, after the user is gone, is the one change allowed.
    IF TG_OP = 'UPDATE' AND OLD.user_id IS NOT NULL AND NEW.user_id IS NULL
       AND (NEW.id, NEW.repository_url, NEW.action, NEW.github_id, NEW.payload, NEW.created_at)
           IS NOT DISTINCT FROM (OLD.id, OLD.repository_url, OLD.action, OLD.github_id, OLD.payload, OLD.created_at)
       AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = OLD.user_id) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'repository events cannot be changed or removed' USING ERRCODE = 'insufficient_privilege',
        DETAIL = 'repository_events is an append-only log.', HINT = 'Record a new event.';
END
$$;
COMMENT ON FUNCTION _repository_events_guard() IS
    'Internal: keeps repository_events append-only for every role (a deleted user''s events lose only their user)';
CREATE TRIGGER repository_events_append_only BEFORE UPDATE OR DELETE ON repository_events
    FOR EACH ROW EXECUTE FUNCTION _repository_events_guard();
CREATE TRIGGER repository_events_no_truncate BEFORE TRUNCATE ON repository_events
    FOR EACH STATEMENT EXECUTE FUNCTION _repository_events_guard();

ALTER TABLE gratitudes ENABLE ROW LEVEL SECURITY;
CREATE POLICY gratitudes_select ON gratitudes FOR SELECT TO mentor_app, mentor_analyst USING (true);
CREATE POLICY gratitudes_insert ON gratitudes FOR INSERT TO mentor_app WITH CHECK (from_user_id = @extschema@.current_actor());
CREATE POLICY gratitudes_update ON gratitudes FOR UPDATE TO mentor_app
    USING (from_user_id = @extschema@.current_actor()) WITH CHECK (from_user_id = @extschema@.current_actor());
CREATE POLICY gratitudes_delete ON gratitudes FOR DELETE TO mentor_app
    USING (from_user_id = @extschema@.current_actor() OR @extschema@._actor_is_staff());
ALTER TABLE private_feedback ENABLE ROW LEVEL SECURITY;
CREATE POLICY private_feedback_select ON private_feedback FOR SELECT TO mentor_app
    USING (from_user_id = @extschema@.current_actor() OR @extschema@._is_course_staff(course_id, @extschema@.current_actor()));
CREATE POLICY private_feedback_insert ON private_feedback FOR INSERT TO mentor_app
    WITH CHECK (from_user_id = @extschema@.current_actor());
CREATE POLICY private_feedback_update ON private_feedback FOR UPDATE TO mentor_app
    USING (from_user_id = @extschema@.current_actor()) WITH CHECK (from_user_id = @extschema@.current_actor());
CREATE POLICY private_feedback_delete ON private_feedback FOR DELETE TO mentor_app
    USING (from_user_id = @extschema@.current_actor() OR @extschema@._is_course_staff(course_id, @extschema@.current_actor()));
ALTER TABLE student_feedback ENABLE ROW LEVEL SECURITY;
CREATE POLICY student_feedback_select ON student_feedback FOR SELECT TO mentor_app
    USING (@extschema@._course_mentor_is_actor(mentor_id) OR @extschema@._own_student(student_id)
           OR @extschema@._is_course_staff(course_id, @extschema@.current_actor()));
CREATE POLICY student_feedback_insert ON student_feedback FOR INSERT TO mentor_app
    WITH CHECK (@extschema@._course_mentor_is_actor(mentor_id));
CREATE POLICY student_feedback_update ON student_feedback FOR UPDATE TO mentor_app
    USING (@extschema@._course_mentor_is_actor(mentor_id)) WITH CHECK (@extschema@._course_mentor_is_actor(mentor_id));
CREATE POLICY student_feedback_delete ON student_feedback FOR DELETE TO mentor_app
    USING (@extschema@._course_mentor_is_actor(mentor_id) OR @extschema@._is_course_staff(course_id, @extschema@.current_actor()));
ALTER TABLE resumes ENABLE ROW LEVEL SECURITY;
CREATE POLICY resumes_select ON resumes FOR SELECT TO mentor_app USING (@extschema@._resume_readable(user_id, visibility));
CREATE POLICY resumes_insert ON resumes FOR INSERT TO mentor_app WITH CHECK (user_id = @extschema@.current_actor());
CREATE POLICY resumes_update ON resumes FOR UPDATE TO mentor_app
    USING (user_id = @extschema@.current_actor()) WITH CHECK (user_id = @extschema@.current_actor());
CREATE POLICY resumes_delete ON resumes FOR DELETE TO mentor_app USING (user_id = @extschema@.current_actor());
ALTER TABLE mentor_registries ENABLE ROW LEVEL SECURITY;
CREATE POLICY mentor_registries_select ON mentor_registries FOR SELECT TO mentor_app
    USING (user_id = @extschema@.current_actor() OR @extschema@._actor_is_staff());
CREATE POLICY mentor_registries_insert ON mentor_registries FOR INSERT TO mentor_app WITH CHECK (user_id = @extschema@.current_actor());
CREATE POLICY mentor_registries_update ON mentor_registries FOR UPDATE TO mentor_app
    USING (user_id = @extschema@.current_actor() OR @extschema@._actor_is_staff())
    WITH CHECK (user_id = @extschema@.current_actor() OR @extschema@._actor_is_staff());
CREATE POLICY mentor_registries_delete ON mentor_registries FOR DELETE TO mentor_app
    USING (user_id = @extschema@.current_actor() OR @extschema@._actor_is_staff());

--------------------------------------------------------------------------------
-- Module learning (LMS), first parts: learning paths (seed 004 learningPaths,
-- userLearningProgress), and events (seed 000 Event, CourseEvent; seed 001
-- Webinar, WebinarProgress), further below.  A path is an ordered list of modules (rows); a
-- user's progress is the set of modules they completed (rows), and the
-- progress row's figures (completed_count, progress, completed_at) follow
-- those rows by trigger, under the progress row's lock, so they are always
-- completed / total, also when modules are added to or removed from a path.
-- Seed 004's JSON shapes are views over the rows.
--------------------------------------------------------------------------------

CREATE TABLE learning_paths (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title        text NOT NULL CONSTRAINT learning_paths_title_length CHECK (length(btrim(title)) BETWEEN 1 AND 200),
    category     text CONSTRAINT learning_paths_category_length CHECK (length(btrim(category)) BETWEEN 1 AND 100),
    description  text CONSTRAINT learning_paths_description_length CHECK (length(description) <= 20000),
    module_count integer NOT NULL DEFAULT 0,
    created_by   bigint REFERENCES users ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE learning_paths IS
    'Structured learning content (seed 004 learningPaths): an ordered list of learning_path_modules; written by staff '
    '(mentor_admin), read by everyone';
COMMENT ON COLUMN learning_paths.category IS 'e.g. leadership, technical';
COMMENT ON COLUMN learning_paths.module_count IS 'How many modules the path has (kept by trigger)';
-- Not on module_count: a module added is the module's change, not the path's.
CREATE TRIGGER learning_paths_touch_updated_at BEFORE UPDATE OF title, category, description, created_by ON learning_paths
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER learning_paths_owned_columns BEFORE INSERT OR UPDATE ON learning_paths
    FOR EACH ROW
    EXECUTE FUNCTION _keep_owned_columns('module_count follows learning_path_modules; leave it out.', 'module_count');

CREATE TABLE learning_path_modules (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    path_id           bigint NOT NULL REFERENCES learning_paths ON DELETE CASCADE,
    position          integer NOT NULL CONSTRAINT learning_path_modules_position_positive CHECK (position >= 1),
    title             text NOT NULL CONSTRAINT learning_path_modules_title_length CHECK (length(btrim(title)) BETWEEN 1 AND 200),
    description       text CONSTRAINT learning_path_modules_description_length CHECK (length(description) <= 20000),
    content_url       text CONSTRAINT learning_path_modules_content_url_http CHECK (content_url ~ '^https?://' AND length(content_url) <= 2000),
    estimated_minutes integer CONSTRAINT learning_path_modules_minutes CHECK (estimated_minutes BETWEEN 1 AND 10000),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    -- Deferrable: reordering (swap two positions) is one UPDATE or one transaction.
    CONSTRAINT learning_path_modules_position_once UNIQUE (path_id, position) DEFERRABLE INITIALLY IMMEDIATE
);
COMMENT ON TABLE learning_path_modules IS
    'A learning path''s modules, ordered by position (unique per path; deferrable, so positions can be swapped in one '
    'statement or transaction)';
COMMENT ON COLUMN learning_path_modules.estimated_minutes IS 'How long the module takes, as its author estimates';
CREATE TRIGGER learning_path_modules_touch_updated_at BEFORE UPDATE ON learning_path_modules
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE learning_progress (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id         bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    path_id         bigint NOT NULL REFERENCES learning_paths ON DELETE CASCADE,
    completed_count integer NOT NULL DEFAULT 0,
    progress        @extschema@.percent NOT NULL DEFAULT 0,
    started_at      timestamptz NOT NULL DEFAULT now(),
    completed_at    timestamptz,
    CONSTRAINT learning_progress_once UNIQUE (user_id, path_id)
);
COMMENT ON TABLE learning_progress IS
    'A user on a learning path (seed 004 userLearningProgress): started by an INSERT (or by the first completed '
    'module); its figures follow learning_module_completions and are never written by hand (42501)';
COMMENT ON COLUMN learning_progress.completed_count IS 'Modules of the path the user completed (kept by trigger)';
COMMENT ON COLUMN learning_progress.progress IS
    'Percent of the path completed: floor(100 * completed_count / module_count), 0 for a path without modules (kept by trigger)';
COMMENT ON COLUMN learning_progress.completed_at IS
    'When the last missing module was completed; NULL while any is missing, also again after a module is added (kept by trigger)';
CREATE INDEX learning_progress_path_idx ON learning_progress (path_id);
-- On INSERT only: no role may UPDATE the table (grants), so the triggers' own updates,
-- one per completion, pay for no guard.
CREATE TRIGGER learning_progress_owned_columns BEFORE INSERT ON learning_progress
    FOR EACH ROW
    EXECUTE FUNCTION _keep_owned_columns('Progress follows learning_module_completions: insert a completion instead.',
                                         'completed_count', 'progress', 'completed_at');

CREATE TABLE learning_module_completions (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    module_id    bigint NOT NULL REFERENCES learning_path_modules ON DELETE CASCADE,
    completed_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT learning_module_completions_once UNIQUE (user_id, module_id)
);
COMMENT ON TABLE learning_module_completions IS
    'Modules a user completed (seed 004 completedModules, as rows): each user inserts and deletes their own; once per '
    'module. The user''s learning_progress follows';
CREATE INDEX learning_module_completions_module_idx ON learning_module_completions (module_id);

-- The figures of one progress row from its counts.
CREATE FUNCTION _learning_progress_figures(done integer, total integer, OUT progress smallint, OUT complete boolean)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT CASE WHEN total > 0 THEN (100 * least(done, total) / total)::smallint ELSE 0::smallint END, total > 0 AND done >= total $$;
COMMENT ON FUNCTION _learning_progress_figures(integer, integer) IS
    'Internal: percent done (rounded down) and whether the path is complete, from completed and total modules';

CREATE FUNCTION _learning_completion_counts() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    r     learning_module_completions := CASE WHEN TG_OP = 'INSERT' THEN NEW ELSE OLD END;
    delta integer := CASE WHEN TG_OP = 'INSERT' THEN 1 ELSE -1 END;
BEGIN
    -- One statement in the common case (the user is on the path already): racing completions
    -- queue on the progress row's lock and each adds its own.  Its table lock also waits for
    -- a path being edited (_learning_modules_recount locks the table), and the statement's
    -- snapshot is taken after that wait, so the total it reads is the one that edit left.
    UPDATE learning_progress x
       SET completed_count = x.completed_count + delta,
           progress = CASE WHEN lp.module_count > 0
                           THEN 100 * least(x.completed_count + delta, lp.module_count) / lp.module_count ELSE 0 END,
           completed_at = CASE WHEN lp.module_count > 0 AND x.completed_count + delta >= lp.module_count
                               THEN coalesce(x.completed_at, r.completed_at) END
      FROM learning_path_modules m JOIN learning_paths lp ON lp.id = m.path_id
     WHERE m.id = r.module_id AND x.user_id = r.user_id AND x.path_id = m.path_id;
    IF FOUND OR delta < 0 THEN
        RETURN NULL;    -- done; or a removal without a progress row, or of a module being deleted (recounted)
    END IF;
    -- The first completion on the path starts it (or meets a start racing it).
    INSERT INTO learning_progress AS x (user_id, path_id, completed_count, progress, completed_at)
    SELECT r.user_id, m.path_id, 1, f.progress, CASE WHEN f.complete THEN r.completed_at END
      FROM learning_path_modules m JOIN learning_paths lp ON lp.id = m.path_id,
           LATERAL _learning_progress_figures(1, lp.module_count) f
     WHERE m.id = r.module_id
    ON CONFLICT ON CONSTRAINT learning_progress_once DO UPDATE
       SET completed_count = x.completed_count + 1,
           progress = (_learning_progress_figures(x.completed_count + 1,
                                                  (SELECT lp.module_count FROM learning_paths lp WHERE lp.id = x.path_id))).progress,
           completed_at = CASE WHEN (_learning_progress_figures(x.completed_count + 1,
                                                                (SELECT lp.module_count FROM learning_paths lp WHERE lp.id = x.path_id))).complete
                               THEN coalesce(x.completed_at, excluded.completed_at) END;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION _learning_completion_counts() IS
    'Internal: a completed module (or its removal) moves its user''s progress on the path, creating the progress row';
CREATE TRIGGER learning_module_completions_count AFTER INSERT OR DELETE ON learning_module_completions
    FOR EACH ROW EXECUTE FUNCTION _learning_completion_counts();

-- Modules added or removed: the path's total changes, so every progress row of the path is
-- recounted from the completions (statement level: a bulk load recounts once).
CREATE FUNCTION _learning_modules_recount() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    -- Completions wait until this transaction ends, and this waits for those in flight, so
    -- no completion computes its percentage from the total before the edit (path edits are
    -- rare; completions are not held up otherwise).
    LOCK TABLE learning_progress IN SHARE ROW EXCLUSIVE MODE;
    WITH paths AS (
        SELECT DISTINCT path_id FROM changed
    ), totals AS (
        UPDATE learning_paths lp SET module_count = (SELECT count(*) FROM learning_path_modules m WHERE m.path_id = lp.id)
         WHERE lp.id IN (SELECT path_id FROM paths)
        RETURNING lp.id, lp.module_count
    ), counts AS (
        SELECT x.id, d.done, f.progress, f.complete
          FROM learning_progress x JOIN totals t ON t.id = x.path_id
         CROSS JOIN LATERAL (SELECT count(*)::integer AS done
                               FROM learning_module_completions c JOIN learning_path_modules m ON m.id = c.module_id
                              WHERE c.user_id = x.user_id AND m.path_id = x.path_id) d
         CROSS JOIN LATERAL _learning_progress_figures(d.done, t.module_count) f
    )
    UPDATE learning_progress x
       SET completed_count = c.done,
           progress = c.progress,
           completed_at = CASE WHEN c.complete THEN coalesce(x.completed_at, now()) END
      FROM counts c
     WHERE x.id = c.id;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION _learning_modules_recount() IS
    'Internal: after modules are added to or removed from paths, their module_count and every user''s progress on them';
CREATE TRIGGER learning_path_modules_added AFTER INSERT ON learning_path_modules
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION _learning_modules_recount();
CREATE TRIGGER learning_path_modules_removed AFTER DELETE ON learning_path_modules
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION _learning_modules_recount();

-- Seed 004's shapes: a path's modules and a user's completed modules as JSON arrays.
CREATE VIEW learning_paths_json WITH (security_invoker) AS
SELECT lp.id, lp.title, lp.category, lp.description,
       coalesce((SELECT jsonb_agg(jsonb_build_object('id', m.id, 'position', m.position, 'title', m.title,
                                                     'description', m.description, 'content_url', m.content_url,
                                                     'estimated_minutes', m.estimated_minutes) ORDER BY m.position)
                   FROM learning_path_modules m WHERE m.path_id = lp.id), '[]'::jsonb) AS modules,
       lp.created_at
  FROM learning_paths lp;
COMMENT ON VIEW learning_paths_json IS
    'Seed 004''s learningPaths with modules as a JSON array (ordered), over learning_paths and learning_path_modules';
CREATE VIEW user_learning_progress WITH (security_invoker) AS
SELECT x.id, x.user_id, x.path_id,
       coalesce((SELECT jsonb_agg(c.module_id ORDER BY m.position)
                   FROM learning_module_completions c JOIN learning_path_modules m ON m.id = c.module_id
                  WHERE c.user_id = x.user_id AND m.path_id = x.path_id), '[]'::jsonb) AS completed_modules,
       x.progress, x.started_at, x.completed_at
  FROM learning_progress x;
COMMENT ON VIEW user_learning_progress IS
    'Seed 004''s userLearningProgress: completed_modules as a JSON array of module ids (in path order), over '
    'learning_progress and learning_module_completions; readable as they are';

ALTER TABLE learning_progress ENABLE ROW LEVEL SECURITY;
CREATE POLICY learning_progress_select ON learning_progress FOR SELECT TO mentor_app
    USING (user_id = @extschema@.current_actor() OR @extschema@._actor_is_staff());
CREATE POLICY learning_progress_insert ON learning_progress FOR INSERT TO mentor_app
    WITH CHECK (user_id = @extschema@.current_actor());
CREATE POLICY learning_progress_update ON learning_progress FOR UPDATE TO mentor_app USING (false);
CREATE POLICY learning_progress_delete ON learning_progress FOR DELETE TO mentor_app
    USING (user_id = @extschema@.current_actor());
ALTER TABLE learning_module_completions ENABLE ROW LEVEL SECURITY;
CREATE POLICY learning_module_completions_select ON learning_module_completions FOR SELECT TO mentor_app
    USING (user_id = @extschema@.current_actor() OR @extschema@._actor_is_staff());
CREATE POLICY learning_module_completions_insert ON learning_module_completions FOR INSERT TO mentor_app
    WITH CHECK (user_id = @extschema@.current_actor());
CREATE POLICY learning_module_completions_update ON learning_module_completions FOR UPDATE TO mentor_app USING (false);
CREATE POLICY learning_module_completions_delete ON learning_module_completions FOR DELETE TO mentor_app
    USING (user_id = @extschema@.current_actor());

-- Events (seed 000 Event, CourseEvent; seed 001 Webinar, WebinarProgress) -----

CREATE TABLE events (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name          text NOT NULL CONSTRAINT events_name_length CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    type          text NOT NULL CONSTRAINT events_type_format CHECK (type ~ '^[a-z][a-z_]{0,39}$'),
    description   text CONSTRAINT events_description_length CHECK (length(description) <= 20000),
    discipline_id bigint REFERENCES disciplines ON DELETE SET NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE events IS
    'Reusable schedule entries (seed 000 Event): a lecture, workshop, meetup... that courses schedule as course_events';
COMMENT ON COLUMN events.type IS 'lower_snake_case kind: lecture, workshop, meetup, webinar, info_session, ...';
CREATE TRIGGER events_touch_updated_at BEFORE UPDATE ON events
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- An organizer is never in two overlapping course events: the constraint holds under any
-- race, the trigger before it names the other event.
CREATE TABLE course_events (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    course_id    bigint NOT NULL REFERENCES courses ON DELETE CASCADE,
    event_id     bigint NOT NULL REFERENCES events ON DELETE RESTRICT,
    starts_at    timestamptz NOT NULL,
    ends_at      timestamptz NOT NULL,
    during       tstzrange NOT NULL GENERATED ALWAYS AS (tstzrange(starts_at, greatest(starts_at, ends_at), '[)')) STORED,
    place        text CONSTRAINT course_events_place_length CHECK (length(btrim(place)) BETWEEN 1 AND 300),
    link         text CONSTRAINT course_events_link_http CHECK (link ~ '^https?://' AND length(link) <= 2000),
    organizer_id bigint REFERENCES users ON DELETE SET NULL,
    special      text CONSTRAINT course_events_special_length CHECK (length(special) <= 1000),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT course_events_ends_after_start CHECK (ends_at > starts_at),
    CONSTRAINT course_events_organizer_no_overlap EXCLUDE USING gist (organizer_id WITH =, during WITH &&)
);
COMMENT ON TABLE course_events IS
    'An event scheduled in a course (seed 000 CourseEvent): when, where (place or link), who organizes it. An '
    'organizer is never in two overlapping course events (23P01 naming the other). Written by the course''s staff';
COMMENT ON COLUMN course_events.during IS '[starts_at, ends_at), for the organizer''s exclusion constraint and range queries';
COMMENT ON COLUMN course_events.special IS 'Free notes: what to bring, prerequisites';
CREATE INDEX course_events_course_idx ON course_events (course_id, starts_at);
CREATE TRIGGER course_events_touch_updated_at BEFORE UPDATE ON course_events
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE FUNCTION _course_event_clash() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    other record;
BEGIN
    IF NEW.organizer_id IS NULL OR NOT NEW.ends_at > NEW.starts_at THEN
        RETURN NEW;    -- nothing to clash with, or course_events_ends_after_start reports it
    END IF;
    SELECT ce.id, e.name, c.name AS course, ce.starts_at, ce.ends_at INTO other
      FROM course_events ce JOIN events e ON e.id = ce.event_id JOIN courses c ON c.id = ce.course_id
     WHERE ce.organizer_id = NEW.organizer_id AND ce.id IS DISTINCT FROM NEW.id
       AND ce.during && tstzrange(NEW.starts_at, NEW.ends_at, '[)')
     ORDER BY ce.starts_at LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'user % already organizes course event % at that time', NEW.organizer_id, other.id
            USING ERRCODE = 'exclusion_violation', CONSTRAINT = 'course_events_organizer_no_overlap',
                  DETAIL = format('"%s" of course "%s" runs from %s to %s.', other.name, other.course, other.starts_at, other.ends_at),
                  HINT = 'Move one of the two, or give it another organizer.';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION _course_event_clash() IS
    'Internal: a course event overlapping another of the same organizer is 23P01 naming that event';
CREATE TRIGGER course_events_clash BEFORE INSERT OR UPDATE OF starts_at, ends_at, organizer_id ON course_events
    FOR EACH ROW EXECUTE FUNCTION _course_event_clash();

CREATE TABLE webinars (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title            text NOT NULL CONSTRAINT webinars_title_length CHECK (length(btrim(title)) BETWEEN 1 AND 300),
    description      text CONSTRAINT webinars_description_length CHECK (length(description) <= 20000),
    host_id          bigint REFERENCES users ON DELETE SET NULL,
    starts_at        timestamptz NOT NULL,
    duration_minutes integer NOT NULL CONSTRAINT webinars_duration CHECK (duration_minutes BETWEEN 1 AND 1440),
    url              text CONSTRAINT webinars_url_http CHECK (url ~ '^https?://' AND length(url) <= 2000),
    recording_url    text CONSTRAINT webinars_recording_url_http CHECK (recording_url ~ '^https?://' AND length(recording_url) <= 2000),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE webinars IS 'Webinars (seed 001 Webinar): live at starts_at for duration_minutes, then as a recording; written by staff';
CREATE TRIGGER webinars_touch_updated_at BEFORE UPDATE ON webinars
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE webinar_progress (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id         bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    webinar_id      bigint NOT NULL REFERENCES webinars ON DELETE CASCADE,
    watched_seconds integer NOT NULL DEFAULT 0 CONSTRAINT webinar_progress_watched_nonneg CHECK (watched_seconds >= 0),
    completed_at    timestamptz,
    registered_at   timestamptz NOT NULL DEFAULT now(),
    last_watched_at timestamptz,
    CONSTRAINT webinar_progress_once UNIQUE (user_id, webinar_id)
);
COMMENT ON TABLE webinar_progress IS
    'How far a user watched a webinar (seed 001 WebinarProgress): written by the user''s player; watched_seconds '
    'never goes back, completed_at is stamped once it reaches the webinar''s length';
COMMENT ON COLUMN webinar_progress.watched_seconds IS 'The furthest point watched; a smaller value written later is ignored';
COMMENT ON COLUMN webinar_progress.completed_at IS 'When watched_seconds first reached the whole webinar (kept by trigger)';
CREATE INDEX webinar_progress_webinar_idx ON webinar_progress (webinar_id);

CREATE FUNCTION _webinar_progress_stamp() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        NEW.watched_seconds := greatest(OLD.watched_seconds, NEW.watched_seconds);
        NEW.completed_at := OLD.completed_at;
        IF NEW.watched_seconds IS DISTINCT FROM OLD.watched_seconds THEN
            NEW.last_watched_at := now();
        END IF;
    ELSE
        NEW.completed_at := NULL;
        NEW.last_watched_at := CASE WHEN NEW.watched_seconds > 0 THEN now() END;
    END IF;
    IF NEW.completed_at IS NULL
       AND NEW.watched_seconds >= (SELECT w.duration_minutes * 60 FROM webinars w WHERE w.id = NEW.webinar_id) THEN
        NEW.completed_at := now();
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION _webinar_progress_stamp() IS
    'Internal: watched_seconds only grows; completed_at is stamped when it reaches the webinar''s length, and kept';
CREATE TRIGGER webinar_progress_stamp BEFORE INSERT OR UPDATE ON webinar_progress
    FOR EACH ROW EXECUTE FUNCTION _webinar_progress_stamp();

ALTER TABLE course_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY course_events_select ON course_events FOR SELECT TO mentor_app USING (true);
CREATE POLICY course_events_insert ON course_events FOR INSERT TO mentor_app
    WITH CHECK (@extschema@._is_course_staff(course_id, @extschema@.current_actor()));
CREATE POLICY course_events_update ON course_events FOR UPDATE TO mentor_app
    USING (@extschema@._is_course_staff(course_id, @extschema@.current_actor()))
    WITH CHECK (@extschema@._is_course_staff(course_id, @extschema@.current_actor()));
CREATE POLICY course_events_delete ON course_events FOR DELETE TO mentor_app
    USING (@extschema@._is_course_staff(course_id, @extschema@.current_actor()));
ALTER TABLE webinar_progress ENABLE ROW LEVEL SECURITY;
CREATE POLICY webinar_progress_select ON webinar_progress FOR SELECT TO mentor_app
    USING (user_id = @extschema@.current_actor() OR @extschema@._actor_is_staff());
CREATE POLICY webinar_progress_insert ON webinar_progress FOR INSERT TO mentor_app
    WITH CHECK (user_id = @extschema@.current_actor());
CREATE POLICY webinar_progress_update ON webinar_progress FOR UPDATE TO mentor_app
    USING (user_id = @extschema@.current_actor()) WITH CHECK (user_id = @extschema@.current_actor());
CREATE POLICY webinar_progress_delete ON webinar_progress FOR DELETE TO mentor_app
    USING (user_id = @extschema@.current_actor());

--------------------------------------------------------------------------------
-- Module learning, quizzes (seed 001 Module, Quiz, QuizSubmission,
-- QuestionBankCategory, QuestionBankQuestion): courses are made of ordered
-- modules; a module's quizzes draw questions from a question bank; a user
-- starts attempts within the quiz's limit and time limit, and submit_quiz
-- grades in the database, once per attempt.  The correct answers are never
-- readable by the application: it reads questions through
-- quiz_questions_public, and an attempt's answers once it is closed through
-- quiz_review().
--------------------------------------------------------------------------------

CREATE TABLE course_modules (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    course_id   bigint NOT NULL REFERENCES courses ON DELETE CASCADE,
    position    integer NOT NULL CONSTRAINT course_modules_position_positive CHECK (position >= 1),
    title       text NOT NULL CONSTRAINT course_modules_title_length CHECK (length(btrim(title)) BETWEEN 1 AND 200),
    description text CONSTRAINT course_modules_description_length CHECK (length(description) <= 20000),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT course_modules_position_once UNIQUE (course_id, position) DEFERRABLE INITIALLY IMMEDIATE,
    -- the target of classes' and assignments' (module, course) keys: a module of the same course
    CONSTRAINT course_modules_id_course UNIQUE (id, course_id)
);
COMMENT ON TABLE course_modules IS
    'A course''s modules (seed 001 Module), ordered by position (unique per course, deferrable for swaps); written by '
    'the course''s staff';
CREATE TRIGGER course_modules_touch_updated_at BEFORE UPDATE ON course_modules
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE question_categories (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        citext NOT NULL UNIQUE CONSTRAINT question_categories_name_length CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    description text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE question_categories IS 'Question bank categories (seed 001 QuestionBankCategory); written by staff';
CREATE TRIGGER question_categories_touch_updated_at BEFORE UPDATE ON question_categories
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TYPE question_kind AS ENUM ('single_choice', 'multiple_choice', 'text');
COMMENT ON TYPE question_kind IS
    'single_choice: one option is right; multiple_choice: a set of options is; text: any of the accepted answers';

CREATE TABLE questions (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    category_id bigint REFERENCES question_categories ON DELETE SET NULL,
    kind        @extschema@.question_kind NOT NULL,
    prompt      text NOT NULL CONSTRAINT questions_prompt_length CHECK (length(btrim(prompt)) BETWEEN 1 AND 5000),
    options     jsonb,
    correct     jsonb NOT NULL,
    points      numeric(6,2) NOT NULL DEFAULT 1 CONSTRAINT questions_points_positive CHECK (points > 0),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    -- Choices: 2 to 20 options (strings), the right ones as option indexes (0-based; one for
    -- single_choice).  Text: no options, 1 to 50 accepted answers (strings, compared trimmed
    -- and in any case).
    CONSTRAINT questions_shape CHECK (
        CASE kind
        WHEN 'text' THEN options IS NULL AND jsonb_typeof(correct) = 'array'
                         AND jsonb_array_length(correct) BETWEEN 1 AND 50
                         AND NOT jsonb_path_exists(correct, '$[*] ? (@.type() != "string")')
        ELSE jsonb_typeof(options) = 'array' AND jsonb_array_length(options) BETWEEN 2 AND 20
             AND NOT jsonb_path_exists(options, '$[*] ? (@.type() != "string")')
             AND jsonb_typeof(correct) = 'array'
             AND jsonb_array_length(correct) BETWEEN 1 AND CASE kind WHEN 'single_choice' THEN 1 ELSE 20 END
             AND NOT jsonb_path_exists(correct, '$[*] ? (@.type() != "number" || @ < 0 || @ >= $n || @ != @.floor())',
                                       jsonb_build_object('n', jsonb_array_length(options)))
        END)
);
COMMENT ON TABLE questions IS
    'The question bank (seed 001 QuestionBankQuestion): written and read by staff (mentor_admin); the application '
    'reads questions without their answers through quiz_questions_public';
COMMENT ON COLUMN questions.options IS 'The choices, a JSON array of strings (NULL for a text question)';
COMMENT ON COLUMN questions.correct IS
    'The right answer: option indexes (0-based) for choices, accepted answers (strings) for text. Never readable by mentor_app';
CREATE INDEX questions_category_idx ON questions (category_id);
CREATE TRIGGER questions_touch_updated_at BEFORE UPDATE ON questions
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE quizzes (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    module_id    bigint NOT NULL REFERENCES course_modules ON DELETE CASCADE,
    title        text NOT NULL CONSTRAINT quizzes_title_length CHECK (length(btrim(title)) BETWEEN 1 AND 200),
    max_attempts integer NOT NULL DEFAULT 1 CONSTRAINT quizzes_max_attempts CHECK (max_attempts BETWEEN 1 AND 100),
    time_limit   interval CONSTRAINT quizzes_time_limit CHECK (time_limit > interval '0' AND time_limit <= interval '1 day'),
    scoring      text NOT NULL DEFAULT 'best' CONSTRAINT quizzes_scoring CHECK (scoring IN ('best', 'latest')),
    published    boolean NOT NULL DEFAULT false,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE quizzes IS
    'A module''s quiz (seed 001 Quiz): its questions in quiz_questions; attempts per user up to max_attempts, each '
    'within time_limit (none: no limit); the best or the latest submitted attempt counts (scoring)';
CREATE INDEX quizzes_module_idx ON quizzes (module_id);
CREATE TRIGGER quizzes_touch_updated_at BEFORE UPDATE ON quizzes
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE quiz_questions (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    quiz_id     bigint NOT NULL REFERENCES quizzes ON DELETE CASCADE,
    question_id bigint NOT NULL REFERENCES questions ON DELETE RESTRICT,
    position    integer NOT NULL CONSTRAINT quiz_questions_position_positive CHECK (position >= 1),
    CONSTRAINT quiz_questions_once UNIQUE (quiz_id, question_id),
    CONSTRAINT quiz_questions_position_once UNIQUE (quiz_id, position) DEFERRABLE INITIALLY IMMEDIATE
);
COMMENT ON TABLE quiz_questions IS 'The questions a quiz draws from the bank, in order; each once per quiz';
CREATE INDEX quiz_questions_question_idx ON quiz_questions (question_id);

CREATE TABLE quiz_attempts (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    quiz_id      bigint NOT NULL REFERENCES quizzes ON DELETE CASCADE,
    user_id      bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    attempt_no   integer NOT NULL CONSTRAINT quiz_attempts_no_positive CHECK (attempt_no >= 1),
    started_at   timestamptz NOT NULL DEFAULT now(),
    deadline     timestamptz,
    submitted_at timestamptz,
    answers      jsonb,
    score        numeric(8,2),
    max_score    numeric(8,2),
    CONSTRAINT quiz_attempts_once UNIQUE (quiz_id, user_id, attempt_no),
    CONSTRAINT quiz_attempts_graded CHECK ((submitted_at IS NULL) = (score IS NULL) AND (score IS NULL) = (max_score IS NULL))
);
COMMENT ON TABLE quiz_attempts IS
    'A user''s attempts at a quiz (seed 001 QuizSubmission): started by mentor.start_quiz(), graded once by '
    'mentor.submit_quiz(); each user reads their own, staff all';
COMMENT ON COLUMN quiz_attempts.deadline IS 'started_at + the quiz''s time_limit (NULL: none); a submission after it is MN008';
COMMENT ON COLUMN quiz_attempts.answers IS 'What was submitted: {"<question id>": answer}, an option index, an array of them, or text';
COMMENT ON COLUMN quiz_attempts.score IS 'Points of the right answers (set by submit_quiz)';
CREATE INDEX quiz_attempts_user_idx ON quiz_attempts (user_id, quiz_id);

-- The quiz's questions without their answers: what the application shows.
CREATE VIEW quiz_questions_public AS
SELECT qq.quiz_id, qq.position, q.id AS question_id, q.kind, q.prompt, q.options, q.points
  FROM quiz_questions qq JOIN questions q ON q.id = qq.question_id;
COMMENT ON VIEW quiz_questions_public IS
    'A quiz''s questions in order, with their options and points but never the correct answers';

-- The counting attempt per user and quiz (best or latest, by the quiz's scoring).
CREATE VIEW quiz_results WITH (security_invoker) AS
SELECT DISTINCT ON (a.quiz_id, a.user_id) a.quiz_id, a.user_id, a.id AS attempt_id, a.score, a.max_score, a.submitted_at,
       (SELECT count(*) FROM quiz_attempts x WHERE x.quiz_id = a.quiz_id AND x.user_id = a.user_id AND x.submitted_at IS NOT NULL) AS attempts
  FROM quiz_attempts a JOIN quizzes z ON z.id = a.quiz_id
 WHERE a.submitted_at IS NOT NULL
 ORDER BY a.quiz_id, a.user_id, CASE WHEN z.scoring = 'best' THEN a.score END DESC NULLS LAST, a.submitted_at DESC;
COMMENT ON VIEW quiz_results IS
    'The attempt that counts per user and quiz: the best score, or the latest submission (quizzes.scoring); readable as '
    'the attempts are';

-- One answer against the right one (C, src/quizzes.c): a choice is right when the set of
-- options given (one index or an array of them) equals the right set; text when it is one of
-- the accepted answers, trimmed of spaces and in any case.  No answer, or one of another
-- shape, is wrong.
CREATE FUNCTION _quiz_answer_right(is_text boolean, correct jsonb, answer jsonb) RETURNS boolean
    AS 'MODULE_PATHNAME', 'mn_quiz_answer_right' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION _quiz_answer_right(boolean, jsonb, jsonb) IS 'Internal: whether an answer to a question is right';

-- One grading for learners' quizzes and candidates' (85_hiring_pipeline): one pass over the
-- questions, which also counts the answers that belong to one; any others are named (the slow
-- path, on errors only).
CREATE FUNCTION _grade_answers(question_ids bigint[], answers jsonb, what text, OUT got numeric, OUT total numeric)
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    known  bigint;
    strays text;
BEGIN
    IF jsonb_typeof(answers) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION 'answers are a JSON object keyed by question id' USING ERRCODE = 'invalid_parameter_value',
            HINT = 'For example {"12": 0, "13": [1, 2], "14": "Paris"}.';
    END IF;
    SELECT coalesce(sum(q.points) FILTER (WHERE _quiz_answer_right(q.kind = 'text', q.correct, answers -> q.id::text)), 0),
           coalesce(sum(q.points), 0), count(*) FILTER (WHERE answers ? q.id::text)
      INTO got, total, known
      FROM questions q
     WHERE q.id = ANY (question_ids);
    IF known <> (SELECT count(*) FROM jsonb_object_keys(answers)) THEN
        SELECT string_agg(k, ', ' ORDER BY k) INTO strays
          FROM jsonb_object_keys(answers) k
         WHERE k NOT IN (SELECT unnest(question_ids)::text);
        RAISE EXCEPTION 'questions % are not in %', strays, what USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Answer only the questions it lists.';
    END IF;
END
$$;
COMMENT ON FUNCTION _grade_answers(bigint[], jsonb, text) IS
    'Internal: the points got and the points possible of answers ({"<question id>": answer}) to bank questions; '
    '22023 for answers that are not an object or name questions not among them';

CREATE FUNCTION start_quiz(quiz_id bigint) RETURNS quiz_attempts
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    me   bigint := _community_actor();
    z    quizzes;
    a    quiz_attempts;
    used integer;
BEGIN
    SELECT * INTO z FROM quizzes x WHERE x.id = start_quiz.quiz_id;
    IF NOT FOUND OR NOT (z.published OR _actor_is_staff()) THEN
        RAISE EXCEPTION 'quiz % does not exist', coalesce(quiz_id::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
    -- One user's starts queue here, so two at once never make attempts past the limit.
    PERFORM pg_advisory_xact_lock(hashtextextended('mentor.quiz:' || z.id || ':' || me, 0));
    SELECT * INTO a FROM quiz_attempts x
     WHERE x.quiz_id = z.id AND x.user_id = me AND x.submitted_at IS NULL AND (x.deadline IS NULL OR x.deadline > now())
     ORDER BY x.attempt_no DESC LIMIT 1;
    IF FOUND THEN
        RETURN a;    -- an attempt still open: carry on with it
    END IF;
    SELECT count(*) INTO used FROM quiz_attempts x WHERE x.quiz_id = z.id AND x.user_id = me;
    IF used >= z.max_attempts THEN
        RAISE EXCEPTION 'no attempts left at quiz %', z.id USING ERRCODE = 'MN006',
            DETAIL = format('User %s used %s of %s.', me, used, z.max_attempts);
    END IF;
    INSERT INTO quiz_attempts (quiz_id, user_id, attempt_no, deadline)
    VALUES (z.id, me, used + 1, now() + z.time_limit)
    RETURNING * INTO a;
    RETURN a;
END
$$;
COMMENT ON FUNCTION start_quiz(bigint) IS
    'The acting user starts an attempt at a published quiz (or carries on with one still open); MN006 once max_attempts '
    'are used, P0002 for an unknown or unpublished quiz';

CREATE FUNCTION submit_quiz(attempt_id bigint, answers jsonb) RETURNS quiz_attempts
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    me        bigint := _community_actor();
    a         quiz_attempts;
    g         record;
BEGIN
    -- The attempt's row lock: a second submission of it waits, then finds it graded.
    SELECT * INTO a FROM quiz_attempts x WHERE x.id = submit_quiz.attempt_id FOR UPDATE;
    IF NOT FOUND OR a.user_id <> me THEN
        RAISE EXCEPTION 'quiz attempt % does not exist', coalesce(attempt_id::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
    IF a.submitted_at IS NOT NULL THEN
        RAISE EXCEPTION 'quiz attempt % was submitted at %', a.id, a.submitted_at USING ERRCODE = 'MN006',
            HINT = 'Start another attempt with mentor.start_quiz() if any are left.';
    END IF;
    IF a.deadline < now() THEN
        RAISE EXCEPTION 'the time of quiz attempt % ran out at %', a.id, a.deadline USING ERRCODE = 'MN008';
    END IF;
    g := _grade_answers(ARRAY(SELECT qq.question_id FROM quiz_questions qq WHERE qq.quiz_id = a.quiz_id), answers,
                        format('quiz %s', a.quiz_id));
    UPDATE quiz_attempts x
       SET submitted_at = now(), answers = submit_quiz.answers, score = g.got, max_score = g.total
     WHERE x.id = a.id
    RETURNING x.* INTO a;
    RETURN a;
END
$$;
COMMENT ON FUNCTION submit_quiz(bigint, jsonb) IS
    'The acting user submits their open attempt: {"<question id>": answer} (an option index or an array of them for '
    'choices, text for text questions); graded in the database and returned. MN006 when already submitted (also for a '
    'second submission racing the first), MN008 past the deadline, 22023 naming answers to questions not in the quiz';

CREATE FUNCTION quiz_review(attempt_id bigint)
RETURNS TABLE (question_id bigint, question_no integer, prompt text, options jsonb, answer jsonb, correct jsonb, is_right boolean, points numeric)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    me bigint := _community_actor();
    a  quiz_attempts;
BEGIN
    SELECT * INTO a FROM quiz_attempts x WHERE x.id = quiz_review.attempt_id;
    IF NOT FOUND OR NOT (a.user_id = me OR _actor_is_staff()) THEN
        RAISE EXCEPTION 'quiz attempt % does not exist', coalesce(attempt_id::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
    IF a.submitted_at IS NULL AND (a.deadline IS NULL OR a.deadline > now()) THEN
        RAISE EXCEPTION 'quiz attempt % is still open', a.id USING ERRCODE = 'MN006',
            HINT = 'The answers are shown once it is submitted or its time has run out.';
    END IF;
    RETURN QUERY
    SELECT q.id, qq.position, q.prompt, q.options, a.answers -> q.id::text, q.correct,
           _quiz_answer_right(q.kind = 'text', q.correct, a.answers -> q.id::text),
           q.points
      FROM quiz_questions qq JOIN questions q ON q.id = qq.question_id
     WHERE qq.quiz_id = a.quiz_id
     ORDER BY qq.position;
END
$$;
COMMENT ON FUNCTION quiz_review(bigint) IS
    'An attempt''s questions with the answer given, the correct one and whether it was right, once the attempt is '
    'closed (submitted or out of time; MN006 before); the attempt''s user or staff only';

ALTER TABLE course_modules ENABLE ROW LEVEL SECURITY;
CREATE POLICY course_modules_select ON course_modules FOR SELECT TO mentor_app USING (true);
CREATE POLICY course_modules_insert ON course_modules FOR INSERT TO mentor_app
    WITH CHECK (@extschema@._is_course_staff(course_id, @extschema@.current_actor()));
CREATE POLICY course_modules_update ON course_modules FOR UPDATE TO mentor_app
    USING (@extschema@._is_course_staff(course_id, @extschema@.current_actor()))
    WITH CHECK (@extschema@._is_course_staff(course_id, @extschema@.current_actor()));
CREATE POLICY course_modules_delete ON course_modules FOR DELETE TO mentor_app
    USING (@extschema@._is_course_staff(course_id, @extschema@.current_actor()));
ALTER TABLE quiz_attempts ENABLE ROW LEVEL SECURITY;
CREATE POLICY quiz_attempts_select ON quiz_attempts FOR SELECT TO mentor_app
    USING (user_id = @extschema@.current_actor() OR @extschema@._actor_is_staff());
CREATE POLICY quiz_attempts_insert ON quiz_attempts FOR INSERT TO mentor_app WITH CHECK (false);
CREATE POLICY quiz_attempts_update ON quiz_attempts FOR UPDATE TO mentor_app USING (false);
CREATE POLICY quiz_attempts_delete ON quiz_attempts FOR DELETE TO mentor_app USING (false);

--------------------------------------------------------------------------------
-- Module learning, cohorts (seed 001 Batch, Application, Enrollment, Class,
-- Attendance, Announcement, Assignment): a program runs in batches; people
-- apply, are reviewed, pay the fee through the ledger and are allocated a
-- seat within the batch's capacity; an enrollment is the `students` row of the
-- batch's course (one course concept for the course school and the LMS);
-- classes belong to a course's modules and the class's staff mark attendance;
-- announcements go to a course or a batch; assignments are course tasks
-- linked to a module.
--------------------------------------------------------------------------------

CREATE TYPE batch_status AS ENUM ('upcoming', 'active', 'completed', 'cancelled');
COMMENT ON TYPE batch_status IS 'A batch''s status (lifecycle "batch")';
CREATE TYPE program_application_status AS ENUM ('draft', 'submitted', 'under_review', 'approved', 'rejected',
                                                 'payment_received', 'paid', 'batch_allocated', 'enrolled', 'deboarded');
COMMENT ON TYPE program_application_status IS 'A program application''s status (lifecycle "program_application")';
CREATE TYPE enrollment_status AS ENUM ('not_started', 'in_progress', 'completed');
COMMENT ON TYPE enrollment_status IS 'An enrollment''s status (lifecycle "enrollment")';
CREATE TYPE attendance_status AS ENUM ('present', 'late', 'absent', 'excused');
COMMENT ON TYPE attendance_status IS 'How a student attended a class; present and late count as attended';

CREATE TABLE batches (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code           citext NOT NULL CONSTRAINT batches_code_unique UNIQUE
                   CONSTRAINT batches_code_shape CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'),
    name           text NOT NULL CONSTRAINT batches_name_length CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    course_id      bigint REFERENCES courses ON DELETE SET NULL,
    status         @extschema@.batch_status NOT NULL DEFAULT 'upcoming',
    starts_on      date,
    ends_on        date,
    capacity       integer CONSTRAINT batches_capacity_nonneg CHECK (capacity >= 0),
    seats_taken    integer NOT NULL DEFAULT 0,
    enrollment_fee bigint NOT NULL DEFAULT 0 CONSTRAINT batches_fee_nonneg CHECK (enrollment_fee >= 0),
    fee_asset      text NOT NULL DEFAULT 'INR'
                   CONSTRAINT batches_fee_asset CHECK (fee_asset ~ '^[A-Z][A-Z0-9_]{0,15}$' AND fee_asset <> 'TOKEN'),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT batches_dates_ordered CHECK (ends_on >= starts_on),
    -- The seat trigger says MN004 first; this catches a capacity lowered below the seats taken.
    CONSTRAINT batches_within_capacity CHECK (seats_taken <= capacity)
);
COMMENT ON TABLE batches IS
    'Cohorts of a program (seed 001 Batch): code, dates, capacity and enrollment fee; the course its enrollments join. '
    'Written by staff (mentor_admin), read by everyone';
COMMENT ON COLUMN batches.code IS 'The batch''s code, unique in any case (e.g. MAS101-2027-01)';
COMMENT ON COLUMN batches.course_id IS 'The course an enrolled applicant becomes a student of (NULL: none yet)';
COMMENT ON COLUMN batches.status IS 'Lifecycle batch: upcoming, active, then completed; upcoming or active may be cancelled';
COMMENT ON COLUMN batches.capacity IS 'Seats (NULL: no limit); an allocation past it is MN004';
COMMENT ON COLUMN batches.seats_taken IS 'Applications allocated or enrolled (kept by trigger, exact under concurrency)';
COMMENT ON COLUMN batches.enrollment_fee IS 'The fee in minor units of fee_asset (paise for INR); 0 is free';
COMMENT ON COLUMN batches.fee_asset IS 'The ledger asset of the fee, a currency code (tokens are spent with spend_tokens)';
CREATE INDEX batches_course_idx ON batches (course_id);
CREATE TRIGGER batches_touch_updated_at BEFORE UPDATE ON batches
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER batches_owned_columns BEFORE INSERT OR UPDATE OF seats_taken ON batches
    FOR EACH ROW EXECUTE FUNCTION _keep_owned_columns('seats_taken follows the allocated applications; leave it out.',
                                                      'seats_taken');
SELECT attach_lifecycle('batches', 'status', 'batch');

CREATE TABLE program_applications (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id         bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    batch_id        bigint NOT NULL REFERENCES batches ON DELETE RESTRICT,
    status          @extschema@.program_application_status NOT NULL DEFAULT 'draft',
    answers         jsonb NOT NULL DEFAULT '{}'
                    CONSTRAINT program_applications_answers_object CHECK (jsonb_typeof(answers) = 'object'),
    review_note     text CONSTRAINT program_applications_review_note_length CHECK (length(review_note) <= 5000),
    reviewed_by     bigint REFERENCES users ON DELETE SET NULL,
    fee_amount      bigint,
    fee_asset       text,
    fee_transfer_id uuid CONSTRAINT program_applications_fee_transfer_once UNIQUE,
    payment_ref     text,
    student_id      bigint REFERENCES students ON DELETE SET NULL,
    submitted_at    timestamptz,
    allocated_at    timestamptz,
    enrolled_at     timestamptz,
    deboarded_at    timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE program_applications IS
    'Applications to a program batch (seed 001 Application): the applicant writes a draft, then it moves through '
    'submit_application, review_application, pay_application_fee, confirm_application_payment, allocate_application, '
    'enroll_application and deboard_application';
COMMENT ON COLUMN program_applications.status IS
    'Lifecycle program_application: draft, submitted, under_review, approved or rejected, payment_received, paid, '
    'batch_allocated, enrolled, deboarded';
COMMENT ON COLUMN program_applications.answers IS 'The application form, a JSON object (the applicant''s while a draft)';
COMMENT ON COLUMN program_applications.fee_transfer_id IS 'The ledger hold of the fee (posted when the payment is confirmed)';
COMMENT ON COLUMN program_applications.student_id IS 'The enrollment (students row in the batch''s course) it became';
-- One live application per person and batch; after a rejection or deboarding one may apply again.
CREATE UNIQUE INDEX program_applications_open_once ON program_applications (user_id, batch_id)
    WHERE status NOT IN ('rejected', 'deboarded');
CREATE INDEX program_applications_batch_idx ON program_applications (batch_id, status);
CREATE TRIGGER program_applications_touch_updated_at BEFORE UPDATE ON program_applications
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER program_applications_owned_columns
    BEFORE INSERT OR UPDATE OF status, review_note, reviewed_by, fee_amount, fee_asset, fee_transfer_id, payment_ref,
                               student_id, submitted_at, allocated_at, enrolled_at, deboarded_at
    ON program_applications FOR EACH ROW
    EXECUTE FUNCTION _keep_owned_columns('An application moves through mentor.submit_application(), review_application(), '
                                         'pay_application_fee(), confirm_application_payment(), allocate_application(), '
                                         'enroll_application() and deboard_application().',
                                         'status', 'review_note', 'reviewed_by', 'fee_amount', 'fee_asset', 'fee_transfer_id',
                                         'payment_ref', 'student_id', 'submitted_at', 'allocated_at', 'enrolled_at',
                                         'deboarded_at');
SELECT attach_lifecycle('program_applications', 'status', 'program_application');

CREATE FUNCTION _holds_seat(status program_application_status) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT status IN ('batch_allocated', 'enrolled') $$;
COMMENT ON FUNCTION _holds_seat(program_application_status) IS 'Internal: an application in this status takes a seat of its batch';

-- Why a counter under the batch row's lock: racing allocations would each
-- count the same seats and all fit; the lock makes them count in turn.
CREATE FUNCTION _program_applications_seats() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    b       batches;
    takes   boolean := TG_OP <> 'DELETE' AND _holds_seat(NEW.status);
    gives   boolean := TG_OP <> 'INSERT' AND _holds_seat(OLD.status);
    moved   boolean := TG_OP = 'UPDATE' AND NEW.batch_id <> OLD.batch_id;
BEGIN
    IF gives AND (NOT takes OR moved) THEN
        UPDATE batches x SET seats_taken = x.seats_taken - 1 WHERE x.id = OLD.batch_id;
    END IF;
    IF takes AND (NOT gives OR moved) THEN
        SELECT * INTO b FROM batches x WHERE x.id = NEW.batch_id FOR UPDATE;
        IF b.status NOT IN ('upcoming', 'active') THEN
            RAISE EXCEPTION 'batch % is %', b.code, b.status USING ERRCODE = 'MN006',
                DETAIL = format('Application %s cannot take a seat in it.', NEW.id),
                HINT = 'Allocate to an upcoming or active batch.';
        END IF;
        IF b.capacity IS NOT NULL AND b.seats_taken >= b.capacity THEN
            RAISE EXCEPTION 'batch % is full', b.code USING ERRCODE = 'MN004',
                DETAIL = format('It has %s of %s seats taken; application %s gets none.', b.seats_taken, b.capacity, NEW.id),
                HINT = 'Raise batches.capacity or allocate the application to another batch.';
        END IF;
        UPDATE batches x SET seats_taken = x.seats_taken + 1 WHERE x.id = NEW.batch_id;
    END IF;
    RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
END
$$;
COMMENT ON FUNCTION _program_applications_seats() IS
    'Internal: an application entering batch_allocated or enrolled takes a seat of its batch within capacity (MN004), '
    'one leaving gives it back, under the batch row''s lock';
CREATE TRIGGER program_applications_seats BEFORE INSERT OR UPDATE OF status, batch_id ON program_applications
    FOR EACH ROW EXECUTE FUNCTION _program_applications_seats();
CREATE TRIGGER program_applications_seats_freed AFTER DELETE ON program_applications
    FOR EACH ROW EXECUTE FUNCTION _program_applications_seats();

-- Enrollments are the students rows: the course school and the LMS share one course concept.
ALTER TABLE students
    ADD COLUMN batch_id bigint REFERENCES batches ON DELETE SET NULL,
    ADD COLUMN enrollment_status @extschema@.enrollment_status NOT NULL DEFAULT 'not_started';
COMMENT ON COLUMN students.batch_id IS 'The batch the student came through (program applications), if any';
COMMENT ON COLUMN students.enrollment_status IS
    'Lifecycle enrollment: not_started, in_progress (set by the first class attended, or by staff), completed; '
    'is_completed mirrors it';
CREATE INDEX students_batch_idx ON students (batch_id) WHERE batch_id IS NOT NULL;
-- A database updated from 0.1 may hold completed students: their enrollments are completed.
UPDATE students SET enrollment_status = 'completed' WHERE is_completed;
SELECT attach_lifecycle('students', 'enrollment_status', 'enrollment');

CREATE FUNCTION _students_enrollment_completed() RETURNS trigger
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.is_completed IS DISTINCT FROM OLD.is_completed
       AND NEW.enrollment_status IS NOT DISTINCT FROM OLD.enrollment_status
       AND NEW.is_completed <> (NEW.enrollment_status = 'completed') THEN
        RAISE EXCEPTION 'is_completed follows enrollment_status' USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('Student %s is %s.', NEW.id, NEW.enrollment_status),
            HINT = 'Set enrollment_status to completed instead.';
    END IF;
    NEW.is_completed := NEW.enrollment_status = 'completed';
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION _students_enrollment_completed() IS
    'Internal: students.is_completed is true exactly when the enrollment is completed (22023 when written against it)';
CREATE TRIGGER students_enrollment_completed BEFORE INSERT OR UPDATE OF is_completed, enrollment_status ON students
    FOR EACH ROW EXECUTE FUNCTION _students_enrollment_completed();

CREATE VIEW enrollments WITH (security_invoker) AS
SELECT s.id, s.user_id, s.course_id, s.batch_id, s.enrollment_status AS status, s.created_at AS enrolled_at, s.updated_at
  FROM students s;
COMMENT ON VIEW enrollments IS
    'Seed 001''s Enrollment (one per user and course, lifecycle enrollment) as the students rows it is: enroll by '
    'inserting into students, move the status on students.enrollment_status';

-- Assignments are course tasks of a module (seed 001 Assignment): same deadlines, scores and checkers.
ALTER TABLE course_tasks
    ADD COLUMN module_id bigint,
    ADD CONSTRAINT course_tasks_module_same_course FOREIGN KEY (module_id, course_id)
        REFERENCES course_modules (id, course_id) ON DELETE SET NULL (module_id);
COMMENT ON COLUMN course_tasks.module_id IS 'The course module the task is an assignment of (same course), if any';
CREATE INDEX course_tasks_module_idx ON course_tasks (module_id) WHERE module_id IS NOT NULL;

CREATE VIEW assignments WITH (security_invoker) AS
SELECT ct.id, ct.module_id, ct.course_id, ct.task_id, t.name AS title, t.description, t.description_url,
       ct.student_start_at AS opens_at, ct.student_end_at AS due_at, ct.max_score, ct.checker, ct.disabled
  FROM course_tasks ct JOIN tasks t ON t.id = ct.task_id
 WHERE ct.module_id IS NOT NULL;
COMMENT ON VIEW assignments IS
    'Seed 001''s Assignment: the course tasks linked to a module, with the task''s title; results are task_results';

CREATE TABLE classes (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    module_id     bigint NOT NULL REFERENCES course_modules ON DELETE CASCADE,
    course_id     bigint NOT NULL REFERENCES courses ON DELETE CASCADE,
    batch_id      bigint REFERENCES batches ON DELETE CASCADE,
    title         text NOT NULL CONSTRAINT classes_title_length CHECK (length(btrim(title)) BETWEEN 1 AND 200),
    description   text CONSTRAINT classes_description_length CHECK (length(description) <= 20000),
    starts_at     timestamptz NOT NULL,
    duration      interval NOT NULL DEFAULT '1 hour'
                  CONSTRAINT classes_duration_range CHECK (duration > '0' AND duration <= '24 hours'),
    meeting_url   text CONSTRAINT classes_meeting_url_http CHECK (meeting_url ~ '^https?://'),
    recording_url text CONSTRAINT classes_recording_url_http CHECK (recording_url ~ '^https?://'),
    instructor_id bigint REFERENCES users ON DELETE SET NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT classes_id_course UNIQUE (id, course_id)
);
COMMENT ON TABLE classes IS
    'Lectures of a course module (seed 001 Class): when, how long, where to join and the recording; written by the '
    'course''s staff, read by everyone';
COMMENT ON COLUMN classes.course_id IS 'The module''s course (set from module_id by trigger)';
COMMENT ON COLUMN classes.batch_id IS 'The batch the class is held for (NULL: every student of the course)';
COMMENT ON COLUMN classes.instructor_id IS 'Who teaches it; marks attendance as the course''s staff do';
CREATE INDEX classes_module_idx ON classes (module_id);
CREATE INDEX classes_course_idx ON classes (course_id, starts_at);
CREATE TRIGGER classes_touch_updated_at BEFORE UPDATE ON classes
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE FUNCTION _classes_course() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    -- A missing module gives course 0, and a foreign key says what is missing.
    NEW.course_id := coalesce((SELECT m.course_id FROM course_modules m WHERE m.id = NEW.module_id), 0);
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION _classes_course() IS 'Internal: a class belongs to its module''s course';
CREATE TRIGGER classes_course BEFORE INSERT OR UPDATE OF module_id, course_id ON classes
    FOR EACH ROW EXECUTE FUNCTION _classes_course();

CREATE TABLE attendance (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    class_id   bigint NOT NULL,
    course_id  bigint NOT NULL,
    student_id bigint NOT NULL,
    status     @extschema@.attendance_status NOT NULL,
    note       text CONSTRAINT attendance_note_length CHECK (length(note) <= 2000),
    marked_by  bigint REFERENCES users ON DELETE SET NULL,
    marked_at  timestamptz NOT NULL DEFAULT now(),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT attendance_once UNIQUE (class_id, student_id),
    CONSTRAINT attendance_class FOREIGN KEY (class_id, course_id) REFERENCES classes (id, course_id) ON DELETE CASCADE,
    -- A student of the class's own course only.
    CONSTRAINT attendance_student_of_course FOREIGN KEY (student_id, course_id) REFERENCES students (id, course_id)
        ON DELETE CASCADE
);
COMMENT ON TABLE attendance IS
    'Who attended a class (seed 001 Attendance), one row per class and student; marked by the class''s instructor or '
    'the course''s staff, read by them and the student';
COMMENT ON COLUMN attendance.course_id IS 'The class''s course (set by trigger); the student must be of it';
COMMENT ON COLUMN attendance.marked_by IS 'Who marked it last (the acting user, set by trigger)';
CREATE INDEX attendance_student_idx ON attendance (student_id);
CREATE TRIGGER attendance_touch_updated_at BEFORE UPDATE ON attendance
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE FUNCTION _attendance_mark() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_WHEN = 'BEFORE' THEN
        -- A missing class gives course 0, so that the foreign key names the class.
        NEW.course_id := coalesce((SELECT c.course_id FROM classes c WHERE c.id = NEW.class_id), 0);
        NEW.marked_by := coalesce(current_actor(), NEW.marked_by);
        NEW.marked_at := now();
        RETURN NEW;
    END IF;
    -- The first class attended starts the enrollment.
    IF NEW.status IN ('present', 'late') THEN
        UPDATE students s SET enrollment_status = 'in_progress'
         WHERE s.id = NEW.student_id AND s.enrollment_status = 'not_started';
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION _attendance_mark() IS
    'Internal: attendance takes its class''s course and who marked it; the first class attended moves the enrollment '
    'to in_progress';
CREATE TRIGGER attendance_mark BEFORE INSERT OR UPDATE ON attendance
    FOR EACH ROW EXECUTE FUNCTION _attendance_mark();
CREATE TRIGGER attendance_starts_enrollment AFTER INSERT OR UPDATE OF status ON attendance
    FOR EACH ROW EXECUTE FUNCTION _attendance_mark();

CREATE FUNCTION _class_staff(class_id bigint) RETURNS boolean
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
SELECT EXISTS (SELECT 1 FROM classes c
                WHERE c.id = _class_staff.class_id
                  AND (c.instructor_id = current_actor() OR _is_course_staff(c.course_id, current_actor())))
$$;
COMMENT ON FUNCTION _class_staff(bigint) IS
    'Internal: the acting user teaches the class or is its course''s staff (for row-level security)';

-- Classes held so far count; one not marked counts as absent, an excused one not at all.
CREATE VIEW attendance_rates WITH (security_invoker) AS
SELECT s.id AS student_id, s.user_id, s.course_id,
       count(c.id) AS classes_held,
       count(a.id) FILTER (WHERE a.status = 'present') AS present,
       count(a.id) FILTER (WHERE a.status = 'late') AS late,
       count(a.id) FILTER (WHERE a.status = 'excused') AS excused,
       count(c.id) - count(a.id) FILTER (WHERE a.status IN ('present', 'late', 'excused')) AS absent,
       round(100.0 * count(a.id) FILTER (WHERE a.status IN ('present', 'late'))
             / nullif(count(c.id) - count(a.id) FILTER (WHERE a.status = 'excused'), 0))::@extschema@.percent AS rate
  FROM students s
  LEFT JOIN classes c ON c.course_id = s.course_id AND c.starts_at <= now()
                     AND (c.batch_id IS NULL OR c.batch_id IS NOT DISTINCT FROM s.batch_id)
  LEFT JOIN attendance a ON a.class_id = c.id AND a.student_id = s.id
 GROUP BY s.id, s.user_id, s.course_id;
COMMENT ON VIEW attendance_rates IS
    'Attendance per student and course: classes held so far (of the course, or of the student''s batch), present, '
    'late, excused, absent (unmarked counts as absent) and rate = (present + late) / (held - excused), a whole percent '
    '(NULL before any class)';

CREATE TABLE announcements (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    course_id    bigint REFERENCES courses ON DELETE CASCADE,
    batch_id     bigint REFERENCES batches ON DELETE CASCADE,
    author_id    bigint REFERENCES users ON DELETE SET NULL,
    title        text NOT NULL CONSTRAINT announcements_title_length CHECK (length(btrim(title)) BETWEEN 1 AND 200),
    body         text NOT NULL CONSTRAINT announcements_body_length CHECK (length(btrim(body)) BETWEEN 1 AND 20000),
    pinned       boolean NOT NULL DEFAULT false,
    published_at timestamptz NOT NULL DEFAULT now(),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT announcements_one_scope CHECK (num_nonnulls(course_id, batch_id) = 1)
);
COMMENT ON TABLE announcements IS
    'Announcements to a course or a batch (seed 001 Announcement): written by the course''s staff (a batch''s: platform '
    'staff), read by those it is addressed to';
COMMENT ON COLUMN announcements.published_at IS 'From when the audience sees it (a later time schedules it)';
CREATE INDEX announcements_course_idx ON announcements (course_id, published_at) WHERE course_id IS NOT NULL;
CREATE INDEX announcements_batch_idx ON announcements (batch_id, published_at) WHERE batch_id IS NOT NULL;
CREATE TRIGGER announcements_touch_updated_at BEFORE UPDATE ON announcements
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE FUNCTION _may_announce(course_id bigint, batch_id bigint) RETURNS boolean
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
SELECT CASE WHEN _may_announce.course_id IS NOT NULL THEN _is_course_staff(_may_announce.course_id, current_actor())
            ELSE _actor_is_staff() END
$$;
COMMENT ON FUNCTION _may_announce(bigint, bigint) IS
    'Internal: the acting user may announce to the course (its staff) or the batch (platform staff)';

CREATE FUNCTION _announcement_audience(course_id bigint, batch_id bigint) RETURNS boolean
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
SELECT EXISTS (SELECT 1 FROM students s
                WHERE s.user_id = current_actor() AND NOT s.is_expelled
                  AND (s.course_id = _announcement_audience.course_id OR s.batch_id = _announcement_audience.batch_id))
    OR EXISTS (SELECT 1 FROM program_applications p
                WHERE p.user_id = current_actor() AND p.batch_id = _announcement_audience.batch_id
                  AND _holds_seat(p.status))
$$;
COMMENT ON FUNCTION _announcement_audience(bigint, bigint) IS
    'Internal: the acting user is addressed by an announcement to the course or batch (a student not expelled, or an '
    'allocated or enrolled applicant)';

-- Program applications: each move is one function, for the person whose move it is.
CREATE FUNCTION _application(application_id bigint) RETURNS program_applications
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    p program_applications;
BEGIN
    SELECT * INTO p FROM program_applications x WHERE x.id = application_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'program application % does not exist', coalesce(application_id::text, 'NULL')
            USING ERRCODE = 'no_data_found';
    END IF;
    RETURN p;
END
$$;
COMMENT ON FUNCTION _application(bigint) IS 'Internal: the application, locked for its move (P0002 when there is none)';

CREATE FUNCTION _application_in(p program_applications, action text, VARIADIC allowed program_application_status[])
RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT p.status = ANY (allowed) THEN
        RAISE EXCEPTION 'program application % is %, it cannot be %', p.id, p.status, action USING ERRCODE = 'MN006',
            HINT = format('Only an application that is %s can be %s.', array_to_string(allowed, ' or '), action);
    END IF;
END
$$;
COMMENT ON FUNCTION _application_in(program_applications, text, program_application_status[]) IS
    'Internal: MN006 unless the application is in one of the statuses the move starts from';

CREATE FUNCTION submit_application(application_id bigint) RETURNS program_applications
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    p program_applications := _application(application_id);
BEGIN
    IF p.user_id IS DISTINCT FROM current_actor() THEN
        RAISE EXCEPTION 'only the applicant submits program application %', p.id USING ERRCODE = 'insufficient_privilege',
            HINT = 'Call mentor.set_actor() with the applicant''s id first.';
    END IF;
    PERFORM _application_in(p, 'submitted', 'draft');
    UPDATE program_applications x SET status = 'submitted', submitted_at = now() WHERE x.id = p.id RETURNING * INTO p;
    RETURN p;
END
$$;
COMMENT ON FUNCTION submit_application(bigint) IS 'The applicant (the acting user) submits a draft; MN006 once submitted';

CREATE FUNCTION review_application(application_id bigint, approve boolean DEFAULT NULL, note text DEFAULT NULL)
RETURNS program_applications
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    me bigint := _staff_actor('review program applications');
    p  program_applications := _application(application_id);
BEGIN
    PERFORM _application_in(p, CASE WHEN approve THEN 'approved' WHEN NOT approve THEN 'rejected' ELSE 'reviewed' END,
                            'submitted', 'under_review');
    IF p.status = 'submitted' THEN
        UPDATE program_applications x SET status = 'under_review', reviewed_by = me WHERE x.id = p.id RETURNING * INTO p;
    END IF;
    IF approve IS NOT NULL THEN
        UPDATE program_applications x
           SET status = CASE WHEN approve THEN 'approved' ELSE 'rejected' END::program_application_status,
               reviewed_by = me, review_note = note
         WHERE x.id = p.id RETURNING * INTO p;
    END IF;
    RETURN p;
END
$$;
COMMENT ON FUNCTION review_application(bigint, boolean, text) IS
    'Staff review a submitted application: NULL starts the review (under_review), true approves, false rejects, with '
    'an optional note; MN006 from any other status';

-- Discount requests (seed 001 DiscountRequest): a lower fee for an application, asked by its
-- applicant or staff and decided by another member of staff before the fee is paid.
CREATE TABLE discount_requests (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    application_id bigint NOT NULL REFERENCES program_applications ON DELETE CASCADE,
    requested_by   bigint REFERENCES users ON DELETE SET NULL,
    amount         bigint NOT NULL CONSTRAINT discount_requests_amount_positive CHECK (amount > 0),
    reason         text NOT NULL CONSTRAINT discount_requests_reason_length CHECK (length(btrim(reason)) BETWEEN 1 AND 5000),
    status         text NOT NULL DEFAULT 'pending'
                   CONSTRAINT discount_requests_status CHECK (status IN ('pending', 'approved', 'rejected', 'cancelled')),
    decided_by     bigint REFERENCES users ON DELETE SET NULL,
    decision_note  text CONSTRAINT discount_requests_note_length CHECK (length(decision_note) <= 5000),
    decided_at     timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE discount_requests IS
    'Requests to lower a program application''s fee (seed 001 DiscountRequest): amount in minor units of the batch''s '
    'fee asset; pending (one at a time per application), then approved or rejected by staff other than the requester '
    '(decide_discount) or cancelled (cancel_discount); approved amounts come off the fee that pay_application_fee and '
    'the pay-after-placement upfront payment charge. Written only by those functions';
CREATE UNIQUE INDEX discount_requests_pending_once ON discount_requests (application_id) WHERE status = 'pending';
CREATE TRIGGER discount_requests_touch_updated_at BEFORE UPDATE ON discount_requests
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE FUNCTION _application_fee(application_id bigint) RETURNS bigint
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
    SELECT greatest(b.enrollment_fee - coalesce((SELECT sum(d.amount) FROM discount_requests d
                                                 WHERE d.application_id = p.id AND d.status = 'approved'), 0), 0)::bigint
      FROM program_applications p JOIN batches b ON b.id = p.batch_id
     WHERE p.id = _application_fee.application_id
$$;
COMMENT ON FUNCTION _application_fee(bigint) IS
    'Internal: the fee an application pays: its batch''s enrollment_fee less its approved discounts (never below 0)';

CREATE FUNCTION _discount_open(p program_applications) RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    IF p.status IN ('rejected', 'deboarded') THEN
        RAISE EXCEPTION 'program application % is %', p.id, p.status USING ERRCODE = 'MN006',
            HINT = 'Discounts are for live applications.';
    END IF;
    IF p.fee_transfer_id IS NOT NULL OR p.status IN ('payment_received', 'paid', 'batch_allocated', 'enrolled')
       OR EXISTS (SELECT 1 FROM pap_workflows w WHERE w.application_id = p.id AND w.payment_transfer_id IS NOT NULL) THEN
        RAISE EXCEPTION 'the fee of program application % is paid', p.id USING ERRCODE = 'MN006',
            HINT = 'Discounts are requested and decided before the fee is paid.';
    END IF;
END
$$;
COMMENT ON FUNCTION _discount_open(program_applications) IS
    'Internal: MN006 once an application''s fee is paid (or the application rejected): no discount changes it then';

CREATE FUNCTION request_discount(application_id bigint, amount bigint, reason text) RETURNS discount_requests
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    me bigint := current_actor();
    p  program_applications := _application(application_id);
    d  discount_requests;
BEGIN
    IF me IS DISTINCT FROM p.user_id AND NOT _actor_is_staff() THEN
        RAISE EXCEPTION 'only the applicant or staff request a discount on program application %', p.id
            USING ERRCODE = 'MN005', DETAIL = format('The acting user is %s.', coalesce(me::text, 'not set'));
    END IF;
    PERFORM _discount_open(p);
    IF amount IS NULL OR amount <= 0 OR amount > _application_fee(p.id) THEN
        RAISE EXCEPTION 'a discount of % is not between 1 and the fee left, %', coalesce(amount::text, 'NULL'),
            _application_fee(p.id) USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- One pending request per application: a second is 23505 naming discount_requests_pending_once.
    INSERT INTO discount_requests AS x (application_id, requested_by, amount, reason)
    VALUES (p.id, me, amount, reason) RETURNING x.* INTO d;
    RETURN d;
END
$$;
COMMENT ON FUNCTION request_discount(bigint, bigint, text) IS
    'The applicant or staff (MN005 for anyone else) ask for a discount on an application''s fee, with a reason: pending '
    'until decided; 22023 for an amount above the fee left, MN006 once the fee is paid, 23505 while another is pending';

CREATE FUNCTION decide_discount(request_id bigint, approve boolean, note text DEFAULT NULL) RETURNS discount_requests
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    me bigint := _staff_actor('decide discount requests');
    d  discount_requests;
    p  program_applications;
BEGIN
    SELECT * INTO d FROM discount_requests x WHERE x.id = decide_discount.request_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'discount request % does not exist', coalesce(request_id::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
    p := _application(d.application_id);   -- the application's lock first, as pay_application_fee takes it
    SELECT * INTO d FROM discount_requests x WHERE x.id = d.id FOR UPDATE;
    IF d.status <> 'pending' THEN
        RAISE EXCEPTION 'discount request % is %', d.id, d.status USING ERRCODE = 'MN006';
    END IF;
    IF d.requested_by = me THEN
        RAISE EXCEPTION 'discount request % is decided by staff other than its requester', d.id USING ERRCODE = 'MN005',
            HINT = 'Another member of staff decides it.';
    END IF;
    IF approve IS NULL THEN
        RAISE EXCEPTION 'a discount is approved (true) or rejected (false)' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM _discount_open(p);
    IF approve AND d.amount > _application_fee(p.id) THEN
        RAISE EXCEPTION 'a discount of % is more than the fee left, %', d.amount, _application_fee(p.id)
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Reject it; the applicant may ask for less.';
    END IF;
    UPDATE discount_requests x SET status = CASE WHEN approve THEN 'approved' ELSE 'rejected' END,
           decided_by = me, decision_note = note, decided_at = now()
     WHERE x.id = d.id RETURNING x.* INTO d;
    RETURN d;
END
$$;
COMMENT ON FUNCTION decide_discount(bigint, boolean, text) IS
    'Staff other than the requester (MN005) approve or reject a pending discount request, with a note; MN006 when it '
    'is not pending or the fee is paid';

CREATE FUNCTION cancel_discount(request_id bigint) RETURNS discount_requests
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    d discount_requests;
BEGIN
    SELECT * INTO d FROM discount_requests x WHERE x.id = cancel_discount.request_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'discount request % does not exist', coalesce(request_id::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
    IF d.requested_by IS DISTINCT FROM current_actor() THEN
        RAISE EXCEPTION 'only its requester cancels discount request %', d.id USING ERRCODE = 'MN005';
    END IF;
    IF d.status <> 'pending' THEN
        RAISE EXCEPTION 'discount request % is %', d.id, d.status USING ERRCODE = 'MN006';
    END IF;
    UPDATE discount_requests x SET status = 'cancelled', decided_at = now() WHERE x.id = d.id RETURNING x.* INTO d;
    RETURN d;
END
$$;
COMMENT ON FUNCTION cancel_discount(bigint) IS 'Its requester withdraws a pending discount request (MN005 for anyone else)';

CREATE FUNCTION pay_application_fee(application_id bigint, payment_ref text, id uuid) RETURNS uuid
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    p program_applications := _application(application_id);
    b batches;
    fee bigint;
BEGIN
    IF p.user_id IS DISTINCT FROM current_actor() AND NOT _actor_is_staff() THEN
        RAISE EXCEPTION 'only the applicant or staff record the fee of program application %', p.id
            USING ERRCODE = 'insufficient_privilege', HINT = 'Call mentor.set_actor() with the applicant''s id first.';
    END IF;
    IF p.fee_transfer_id IS NOT NULL OR p.status IN ('payment_received', 'paid', 'batch_allocated', 'enrolled', 'deboarded') THEN
        IF p.fee_transfer_id IS NOT DISTINCT FROM pay_application_fee.id
           AND p.payment_ref IS NOT DISTINCT FROM pay_application_fee.payment_ref THEN
            RETURN id;   -- a retry of the same payment
        END IF;
        RAISE EXCEPTION 'the fee of program application % is recorded already', p.id USING ERRCODE = 'MN003',
            DETAIL = format('Recorded: transfer %s, payment %s.', p.fee_transfer_id, p.payment_ref),
            HINT = 'Retry with the same id and payment reference, or leave it.';
    END IF;
    PERFORM _application_in(p, 'paid', 'approved');
    IF id IS NULL OR payment_ref IS NULL OR btrim(payment_ref) = '' THEN
        RAISE EXCEPTION 'a fee payment needs an id and the payment reference' USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Pass the payment provider''s reference and a new uuid (the idempotency key).';
    END IF;
    SELECT * INTO b FROM batches x WHERE x.id = p.batch_id;
    fee := _application_fee(p.id);
    IF fee > 0 THEN
        -- Money comes in from outside: held from external towards revenue until the provider confirms it.
        PERFORM transfer(id, system_account('external', b.fee_asset), system_account('revenue', b.fee_asset),
                         fee, 'fee', payment_ref, pending => true);
    END IF;
    UPDATE program_applications x
       SET status = 'payment_received', fee_amount = fee, fee_asset = b.fee_asset,
           fee_transfer_id = pay_application_fee.id, payment_ref = pay_application_fee.payment_ref
     WHERE x.id = p.id;
    RETURN id;
END
$$;
COMMENT ON FUNCTION pay_application_fee(bigint, text, uuid) IS
    'Records the payment of an approved application''s fee (the batch fee less approved discounts; by the applicant or '
    'staff): a ledger hold of it '
    'in the batch''s asset from external to revenue, id being its idempotency key; payment_received until '
    'confirm_application_payment. A retry with the same id and reference returns id; another is MN003';

CREATE FUNCTION confirm_application_payment(application_id bigint) RETURNS program_applications
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    p program_applications := _application(application_id);
BEGIN
    IF p.status IN ('paid', 'batch_allocated', 'enrolled', 'deboarded') AND p.fee_transfer_id IS NOT NULL THEN
        RETURN p;   -- confirmed already
    END IF;
    PERFORM _application_in(p, 'confirmed paid', 'payment_received');
    IF p.fee_amount > 0 THEN
        PERFORM post_pending(p.fee_transfer_id, _derived_id(p.fee_transfer_id, 'paid'));
    END IF;
    UPDATE program_applications x SET status = 'paid' WHERE x.id = p.id RETURNING * INTO p;
    RETURN p;
END
$$;
COMMENT ON FUNCTION confirm_application_payment(bigint) IS
    'The payment provider confirmed the fee: the hold is posted (revenue) and the application is paid (idempotent)';

CREATE FUNCTION allocate_application(application_id bigint, batch_id bigint DEFAULT NULL) RETURNS program_applications
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    me bigint := _staff_actor('allocate batch seats');
    p  program_applications := _application(application_id);
BEGIN
    PERFORM _application_in(p, 'allocated', 'paid');
    UPDATE program_applications x
       SET status = 'batch_allocated', batch_id = coalesce(allocate_application.batch_id, x.batch_id), allocated_at = now()
     WHERE x.id = p.id RETURNING * INTO p;
    RETURN p;
END
$$;
COMMENT ON FUNCTION allocate_application(bigint, bigint) IS
    'Staff allocate a paid application a seat in its batch (or the batch given): MN004 when the batch is full, exact '
    'under concurrent allocations; MN006 unless paid or when the batch is completed or cancelled';

CREATE FUNCTION enroll_application(application_id bigint) RETURNS program_applications
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    me      bigint := _staff_actor('enroll applicants');
    p       program_applications := _application(application_id);
    course  bigint;
    student bigint;
BEGIN
    PERFORM _application_in(p, 'enrolled', 'batch_allocated');
    SELECT b.course_id INTO course FROM batches b WHERE b.id = p.batch_id;
    IF course IS NOT NULL THEN
        INSERT INTO students (course_id, user_id, batch_id) VALUES (course, p.user_id, p.batch_id)
        ON CONFLICT (course_id, user_id) DO UPDATE SET batch_id = EXCLUDED.batch_id, is_expelled = false, expelling_reason = NULL
        RETURNING id INTO student;
    END IF;
    UPDATE program_applications x SET status = 'enrolled', enrolled_at = now(), student_id = student
     WHERE x.id = p.id RETURNING * INTO p;
    RETURN p;
END
$$;
COMMENT ON FUNCTION enroll_application(bigint) IS
    'Staff enroll an allocated applicant: they become a student (the enrollment) of the batch''s course, keeping the seat';

CREATE FUNCTION deboard_application(application_id bigint, reason text) RETURNS program_applications
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    me bigint := _staff_actor('deboard students');
    p  program_applications := _application(application_id);
BEGIN
    PERFORM _application_in(p, 'deboarded', 'enrolled');
    IF reason IS NULL OR btrim(reason) = '' THEN
        RAISE EXCEPTION 'deboarding needs a reason' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    UPDATE students s SET is_expelled = true, expelling_reason = reason WHERE s.id = p.student_id;
    UPDATE program_applications x SET status = 'deboarded', deboarded_at = now(), review_note = reason
     WHERE x.id = p.id RETURNING * INTO p;
    RETURN p;
END
$$;
COMMENT ON FUNCTION deboard_application(bigint, text) IS
    'Staff deboard an enrolled student with a reason: the seat is freed and the student row is expelled (kept, with '
    'its results)';

ALTER TABLE program_applications ENABLE ROW LEVEL SECURITY;
CREATE POLICY program_applications_select ON program_applications FOR SELECT TO mentor_app
    USING (user_id = @extschema@.current_actor() OR @extschema@._actor_is_staff());
CREATE POLICY program_applications_insert ON program_applications FOR INSERT TO mentor_app
    WITH CHECK (user_id = @extschema@.current_actor());
CREATE POLICY program_applications_update ON program_applications FOR UPDATE TO mentor_app
    USING (user_id = @extschema@.current_actor() AND status = 'draft')
    WITH CHECK (user_id = @extschema@.current_actor());
CREATE POLICY program_applications_delete ON program_applications FOR DELETE TO mentor_app
    USING (user_id = @extschema@.current_actor() AND status = 'draft');
ALTER TABLE discount_requests ENABLE ROW LEVEL SECURITY;
CREATE POLICY discount_requests_select ON discount_requests FOR SELECT TO mentor_app
    USING (@extschema@._actor_is_staff()
           OR EXISTS (SELECT 1 FROM @extschema@.program_applications p
                       WHERE p.id = application_id AND p.user_id = @extschema@.current_actor()));
CREATE POLICY discount_requests_insert ON discount_requests FOR INSERT TO mentor_app WITH CHECK (false);
CREATE POLICY discount_requests_update ON discount_requests FOR UPDATE TO mentor_app USING (false);
CREATE POLICY discount_requests_delete ON discount_requests FOR DELETE TO mentor_app USING (false);
ALTER TABLE classes ENABLE ROW LEVEL SECURITY;
CREATE POLICY classes_select ON classes FOR SELECT TO mentor_app USING (true);
CREATE POLICY classes_insert ON classes FOR INSERT TO mentor_app
    WITH CHECK (@extschema@._is_course_staff(course_id, @extschema@.current_actor()));
CREATE POLICY classes_update ON classes FOR UPDATE TO mentor_app
    USING (@extschema@._is_course_staff(course_id, @extschema@.current_actor()))
    WITH CHECK (@extschema@._is_course_staff(course_id, @extschema@.current_actor()));
CREATE POLICY classes_delete ON classes FOR DELETE TO mentor_app
    USING (@extschema@._is_course_staff(course_id, @extschema@.current_actor()));
ALTER TABLE attendance ENABLE ROW LEVEL SECURITY;
CREATE POLICY attendance_select ON attendance FOR SELECT TO mentor_app
    USING (@extschema@._class_staff(class_id)
           OR EXISTS (SELECT 1 FROM @extschema@.students s WHERE s.id = student_id AND s.user_id = @extschema@.current_actor()));
CREATE POLICY attendance_insert ON attendance FOR INSERT TO mentor_app WITH CHECK (@extschema@._class_staff(class_id));
CREATE POLICY attendance_update ON attendance FOR UPDATE TO mentor_app
    USING (@extschema@._class_staff(class_id)) WITH CHECK (@extschema@._class_staff(class_id));
CREATE POLICY attendance_delete ON attendance FOR DELETE TO mentor_app USING (@extschema@._class_staff(class_id));
ALTER TABLE announcements ENABLE ROW LEVEL SECURITY;
CREATE POLICY announcements_select ON announcements FOR SELECT TO mentor_app
    USING (author_id = @extschema@.current_actor()
           OR (published_at <= now() AND @extschema@._announcement_audience(course_id, batch_id))
           OR @extschema@._may_announce(course_id, batch_id));
CREATE POLICY announcements_insert ON announcements FOR INSERT TO mentor_app
    WITH CHECK (author_id = @extschema@.current_actor() AND @extschema@._may_announce(course_id, batch_id));
CREATE POLICY announcements_update ON announcements FOR UPDATE TO mentor_app
    USING (@extschema@._may_announce(course_id, batch_id))
    WITH CHECK (@extschema@._may_announce(course_id, batch_id));
CREATE POLICY announcements_delete ON announcements FOR DELETE TO mentor_app
    USING (@extschema@._may_announce(course_id, batch_id));

--------------------------------------------------------------------------------
-- Module practice: a coding-practice site (seed 003).  Problems and their
-- tags are a catalogue staff keep; submissions wait in a judge queue that
-- external sandboxes drain through claim_submissions / report_submission (the
-- queue mechanism of 15_queue.sql); per-user stats and the rank buckets
-- behind user_rank() follow each judged submission by trigger, so they are
-- never recomputed.  Mock interviews, pair programming, the forum and the
-- news feed complete the model.
--------------------------------------------------------------------------------

INSERT INTO settings (key, shipped, value, description) VALUES
    ('practice.judge_max_attempts', true, '3',
     'How many judge leases a submission gets; when the last one runs out the submission fails'),
    ('practice.collaboration_max_participants', true, '8',
     'At most this many people in a pair-programming session, the host included (a session may set fewer)');

CREATE TYPE problem_difficulty AS ENUM ('easy', 'medium', 'hard');
COMMENT ON TYPE problem_difficulty IS 'How hard a coding problem is; a first solve earns 1, 2 or 3 points';
CREATE TYPE submission_status AS ENUM ('pending', 'compiling', 'running', 'completed', 'failed');
COMMENT ON TYPE submission_status IS 'Where a submission is in the judge queue (lifecycle "submission")';
CREATE TYPE submission_verdict AS ENUM ('accepted', 'wrong_answer', 'time_limit', 'memory_limit', 'runtime_error',
                                        'compile_error');
COMMENT ON TYPE submission_verdict IS 'What the judge found: completed submissions have any but compile_error';
CREATE TYPE interview_type AS ENUM ('technical', 'behavioral', 'coding');
COMMENT ON TYPE interview_type IS 'Kind of mock interview';
CREATE TYPE interview_status AS ENUM ('pending', 'in_progress', 'completed');
COMMENT ON TYPE interview_status IS 'Mock interview status (lifecycle "interview_session")';
CREATE TYPE collaboration_status AS ENUM ('pending', 'active', 'completed');
COMMENT ON TYPE collaboration_status IS 'Pair-programming session status (lifecycle "collaboration_session")';
CREATE TYPE news_type AS ENUM ('job', 'news', 'promotion');
COMMENT ON TYPE news_type IS 'Kind of fetched item: a job post, a news story or a promotion';

-- Problems -------------------------------------------------------------------

CREATE TABLE languages (
    code     text PRIMARY KEY CONSTRAINT languages_code_format CHECK (code ~ '^[a-z][a-z0-9_+#-]{0,29}$'),
    name     text NOT NULL CONSTRAINT languages_name_length CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    compiled boolean NOT NULL DEFAULT false,
    shipped  boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE languages IS 'Programming languages submissions may be written in (a catalogue staff extend)';
COMMENT ON COLUMN languages.compiled IS 'The judge compiles it before running (informational: every claim starts at compiling)';
COMMENT ON COLUMN languages.shipped IS 'Shipped with the extension (not dumped by pg_dump: CREATE EXTENSION makes it)';
SELECT pg_catalog.pg_extension_config_dump('languages', 'WHERE NOT shipped');
INSERT INTO languages (code, name, compiled, shipped) VALUES
    ('python', 'Python 3', false, true),
    ('javascript', 'JavaScript (Node.js)', false, true),
    ('typescript', 'TypeScript', true, true),
    ('java', 'Java', true, true),
    ('cpp', 'C++', true, true),
    ('c', 'C', true, true),
    ('csharp', 'C#', true, true),
    ('go', 'Go', true, true),
    ('rust', 'Rust', true, true),
    ('kotlin', 'Kotlin', true, true),
    ('ruby', 'Ruby', false, true),
    ('sql', 'SQL', false, true);

CREATE TABLE tags (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        citext NOT NULL UNIQUE CONSTRAINT tags_name_length CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    description text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE tags IS 'Problem tags (Dynamic Programming, Greedy, ...), unique case-insensitively';
CREATE TRIGGER tags_touch_updated_at BEFORE UPDATE ON tags
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE problems (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug            text NOT NULL UNIQUE CONSTRAINT problems_slug_format CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) <= 200),
    title           text NOT NULL CONSTRAINT problems_title_length CHECK (length(btrim(title)) BETWEEN 1 AND 300),
    description     text CONSTRAINT problems_description_length CHECK (length(description) <= 100000),
    difficulty      @extschema@.problem_difficulty NOT NULL,
    example_input   text,
    example_output  text,
    constraints     text,
    leetcode_id     integer UNIQUE CONSTRAINT problems_leetcode_id_positive CHECK (leetcode_id > 0),
    creator_id      bigint REFERENCES users ON DELETE SET NULL,
    published       boolean NOT NULL DEFAULT false,
    search          tsvector,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE problems IS
    'Coding problems (seed 003 Problem): staff write them, applications read them; search with '
    'WHERE search @@ websearch_to_tsquery(''english'', ...)';
COMMENT ON COLUMN problems.slug IS 'URL name: lower-case words joined by hyphens, unique';
COMMENT ON COLUMN problems.leetcode_id IS 'The problem''s LeetCode number when imported from there, unique';
COMMENT ON COLUMN problems.published IS 'Shown to users; drafts are false';
COMMENT ON COLUMN problems.search IS 'Full-text document (title, tags, description; kept by trigger)';
CREATE INDEX problems_search_idx ON problems USING gin (search);
CREATE INDEX problems_difficulty_idx ON problems (difficulty) WHERE published;
CREATE TRIGGER problems_touch_updated_at BEFORE UPDATE ON problems
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE problem_tags (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    problem_id bigint NOT NULL REFERENCES problems ON DELETE CASCADE,
    tag_id     bigint NOT NULL REFERENCES tags ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT problem_tags_once UNIQUE (problem_id, tag_id)
);
COMMENT ON TABLE problem_tags IS 'Which tags a problem has (seed 003 ProblemTag), each once';
CREATE INDEX problem_tags_tag_idx ON problem_tags (tag_id);

CREATE FUNCTION _problem_document(problem_id bigint, title text, description text) RETURNS tsvector
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
SELECT setweight(to_tsvector('english', coalesce(title, '')), 'A')
    || setweight(to_tsvector('english', coalesce((SELECT string_agg(t.name::text, ' ' ORDER BY t.name)
                                                    FROM problem_tags pt JOIN tags t ON t.id = pt.tag_id
                                                   WHERE pt.problem_id = _problem_document.problem_id), '')), 'B')
    || setweight(to_tsvector('english', coalesce(description, '')), 'C')
$$;
COMMENT ON FUNCTION _problem_document(bigint, text, text) IS 'Internal: a problem''s full-text document';

CREATE FUNCTION _problems_search() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_TABLE_NAME = 'problems' THEN
        NEW.search := _problem_document(NEW.id, NEW.title, NEW.description);
        RETURN NEW;
    END IF;
    -- A tag added, removed or renamed: the problems it is on search differently.
    IF TG_TABLE_NAME = 'tags' THEN
        UPDATE problems p SET search = p.search    -- the BEFORE trigger above recomputes it
         WHERE p.id IN (SELECT pt.problem_id FROM problem_tags pt WHERE pt.tag_id = NEW.id);
        RETURN NULL;
    END IF;
    UPDATE problems p SET search = p.search
     WHERE p.id = CASE WHEN TG_OP = 'DELETE' THEN OLD.problem_id ELSE NEW.problem_id END;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION _problems_search() IS 'Internal: keeps problems.search as the title, description and tags change';
CREATE TRIGGER problems_search BEFORE INSERT OR UPDATE ON problems
    FOR EACH ROW EXECUTE FUNCTION _problems_search();
CREATE TRIGGER problem_tags_search AFTER INSERT OR DELETE ON problem_tags
    FOR EACH ROW EXECUTE FUNCTION _problems_search();
CREATE TRIGGER tags_search AFTER UPDATE OF name ON tags
    FOR EACH ROW EXECUTE FUNCTION _problems_search();

-- Submissions and the judge queue -------------------------------------------

CREATE TABLE submissions (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    problem_id    bigint NOT NULL REFERENCES problems ON DELETE CASCADE,
    user_id       bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    language_code text NOT NULL REFERENCES languages ON DELETE RESTRICT ON UPDATE CASCADE,
    code          text NOT NULL CONSTRAINT submissions_code_size CHECK (octet_length(code) BETWEEN 1 AND 1048576),
    status        @extschema@.submission_status NOT NULL DEFAULT 'pending',
    verdict       @extschema@.submission_verdict,
    result        text CONSTRAINT submissions_result_size CHECK (octet_length(result) <= 1048576),
    score         numeric(5,2) CONSTRAINT submissions_score_range CHECK (score BETWEEN 0 AND 100),
    execution_ms  integer CONSTRAINT submissions_execution_ms_positive CHECK (execution_ms >= 0),
    memory_kb     integer CONSTRAINT submissions_memory_kb_positive CHECK (memory_kb >= 0),
    time_spent    interval CONSTRAINT submissions_time_spent_positive CHECK (time_spent >= interval '0'),
    submitted_at  timestamptz NOT NULL DEFAULT now(),
    judged_at     timestamptz,
    judged_by     text,
    -- the queue's columns (15_queue.sql)
    lease_owner   text,
    lease_until   timestamptz,
    attempts      integer NOT NULL DEFAULT 0,
    available_at  timestamptz NOT NULL DEFAULT now(),
    last_error    text,
    CONSTRAINT submissions_judged_fields CHECK (status IN ('completed', 'failed')
        OR (verdict IS NULL AND result IS NULL AND score IS NULL AND execution_ms IS NULL AND memory_kb IS NULL
            AND judged_at IS NULL AND judged_by IS NULL)),
    CONSTRAINT submissions_completed_verdict CHECK (status <> 'completed' OR (verdict IS NOT NULL AND verdict <> 'compile_error')),
    CONSTRAINT submissions_compile_error_failed CHECK (verdict <> 'compile_error' OR status = 'failed'),
    CONSTRAINT submissions_failed_verdict CHECK (status <> 'failed' OR verdict IS NULL OR verdict = 'compile_error')
);
COMMENT ON TABLE submissions IS
    'Code submitted for judging (seed 003 Submission), a work queue: judges take them with '
    'mentor.claim_submissions() and report with mentor.report_submission(). Each user sees their own (staff all)';
COMMENT ON COLUMN submissions.code IS 'The submitted code, at most 1 MiB';
COMMENT ON COLUMN submissions.status IS
    'pending (queued), compiling (claimed), running, completed (judged) or failed (compile error, or given up after '
    'practice.judge_max_attempts leases ran out)';
COMMENT ON COLUMN submissions.verdict IS
    'The judge''s verdict, once judged: a completed submission has any but compile_error, a failed one compile_error or none';
COMMENT ON COLUMN submissions.result IS 'The program''s output or the judge''s message, once judged';
COMMENT ON COLUMN submissions.score IS 'Score 0-100 given by the judge (tests passed), once judged';
COMMENT ON COLUMN submissions.time_spent IS 'Time the user spent on the problem before submitting (from the application)';
COMMENT ON COLUMN submissions.judged_by IS 'The worker whose report judged it';
COMMENT ON COLUMN submissions.lease_owner IS 'The worker holding the submission while compiling or running';
COMMENT ON COLUMN submissions.attempts IS 'Leases handed out so far';
COMMENT ON COLUMN submissions.last_error IS 'Why earlier leases did not end in a verdict (a worker''s error, an expired lease)';
CREATE INDEX submissions_queue_idx ON submissions (available_at, id) WHERE status = 'pending';
CREATE INDEX submissions_leases_idx ON submissions (lease_until) WHERE status IN ('compiling', 'running');
CREATE INDEX submissions_user_idx ON submissions (user_id, submitted_at);
CREATE INDEX submissions_problem_idx ON submissions (problem_id);
CREATE TRIGGER submissions_owned_columns BEFORE INSERT OR UPDATE ON submissions
    FOR EACH ROW
    EXECUTE FUNCTION _keep_owned_columns('Submit with status pending and no result; the judge reports through mentor.report_submission().',
                                         'status', 'verdict', 'result', 'score', 'execution_ms', 'memory_kb',
                                         'judged_at', 'judged_by', 'lease_owner', 'lease_until', 'attempts', 'last_error');
SELECT attach_lifecycle('submissions', 'status', 'submission');

ALTER TABLE submissions ENABLE ROW LEVEL SECURITY;
CREATE POLICY submissions_select ON submissions FOR SELECT TO mentor_app
    USING (user_id = @extschema@.current_actor() OR @extschema@._actor_is_staff());
CREATE POLICY submissions_insert ON submissions FOR INSERT TO mentor_app
    WITH CHECK (user_id = @extschema@.current_actor());
CREATE POLICY submissions_update ON submissions FOR UPDATE TO mentor_app USING (false);
CREATE POLICY submissions_delete ON submissions FOR DELETE TO mentor_app USING (false);

CREATE FUNCTION claim_submissions(worker text, n integer DEFAULT 10, lease interval DEFAULT interval '1 minute',
                                  language text DEFAULT NULL)
RETURNS SETOF submissions
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    ids bigint[];
BEGIN
    IF language IS NOT NULL AND NOT EXISTS (SELECT 1 FROM languages l WHERE l.code = claim_submissions.language) THEN
        RAISE EXCEPTION 'unknown language %', quote_literal(language)
            USING ERRCODE = 'invalid_parameter_value', HINT = 'SELECT code FROM mentor.languages lists them.';
    END IF;
    ids := ARRAY(SELECT _queue_claim('submissions', 'pending', 'compiling', 'failed', worker, n, lease,
                                     (setting('practice.judge_max_attempts') #>> '{}')::integer,
                                     CASE WHEN language IS NOT NULL THEN 'language_code' END, language, 'running'));
    RETURN QUERY SELECT q.* FROM submissions q WHERE q.id = ANY (ids) ORDER BY q.available_at, q.id;
END
$$;
COMMENT ON FUNCTION claim_submissions(text, integer, interval, text) IS
    'A judge takes up to n pending submissions (oldest first; of one language if given), each leased to it alone '
    'for lease and moved to compiling; other workers never wait on it. Expired leases go back to the queue first '
    '(failed after practice.judge_max_attempts). 22023 for n outside 1-10000 or a lease outside (0, 1 day]';

CREATE FUNCTION report_submission(id bigint, worker text, status submission_status,
                                  verdict submission_verdict DEFAULT NULL, result text DEFAULT NULL,
                                  score numeric DEFAULT NULL, execution_ms integer DEFAULT NULL,
                                  memory_kb integer DEFAULT NULL, error text DEFAULT NULL)
RETURNS submissions
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    r submissions;
BEGIN
    IF status IS NULL OR status = 'pending' OR status = 'compiling' THEN
        RAISE EXCEPTION 'a judge reports running, completed or failed, not %', coalesce(status::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'A submission is compiling once claimed; report running when it runs, then the verdict.';
    END IF;
    IF status = 'running' AND num_nonnulls(verdict, result, score, execution_ms, memory_kb) > 0 THEN
        RAISE EXCEPTION 'a running submission has no result yet' USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Report the verdict and its figures with status completed or failed.';
    END IF;
    IF status = 'failed' AND verdict IS DISTINCT FROM 'compile_error' AND verdict IS NOT NULL THEN
        RAISE EXCEPTION 'a failed submission has verdict compile_error or none, not %', verdict
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Code that ran is completed, whatever its verdict; failed is for code that did not compile or a judge that broke.';
    END IF;
    IF status = 'completed' AND (verdict IS NULL OR verdict = 'compile_error') THEN
        RAISE EXCEPTION 'a completed submission needs a verdict other than compile_error, not %', coalesce(verdict::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Code that did not compile is reported as failed with verdict compile_error.';
    END IF;
    IF status = 'running' THEN
        UPDATE submissions q SET status = 'running'
         WHERE q.id = report_submission.id AND q.status = 'compiling' AND q.lease_owner = worker AND q.lease_until >= now()
        RETURNING q.* INTO r;
    ELSE
        UPDATE submissions q
           SET status = report_submission.status, verdict = report_submission.verdict,
               result = report_submission.result, score = report_submission.score,
               execution_ms = report_submission.execution_ms, memory_kb = report_submission.memory_kb,
               judged_at = now(), judged_by = worker, lease_owner = NULL, lease_until = NULL,
               last_error = coalesce(error, q.last_error)
         WHERE q.id = report_submission.id AND q.status IN ('compiling', 'running') AND q.lease_owner = worker
           AND q.lease_until >= now()
        RETURNING q.* INTO r;
    END IF;
    IF FOUND THEN
        RETURN r;
    END IF;
    SELECT * INTO r FROM submissions q WHERE q.id = report_submission.id;
    -- Exactly once: the same report again (a worker retrying after a lost reply) changes nothing.
    IF FOUND AND r.judged_by = worker AND r.status = report_submission.status AND r.verdict IS NOT DISTINCT FROM report_submission.verdict
       AND r.score IS NOT DISTINCT FROM report_submission.score THEN
        RETURN r;
    END IF;
    IF FOUND AND r.status = 'running' AND report_submission.status = 'running' AND r.lease_owner = worker
       AND r.lease_until >= now() THEN
        RETURN r;
    END IF;
    IF FOUND AND r.status = 'pending' THEN
        RAISE EXCEPTION 'submission % is pending: it cannot become % before a judge claims it', id, status
            USING ERRCODE = 'MN001', DETAIL = 'Lifecycle "submission": pending -> compiling happens in mentor.claim_submissions().',
                  HINT = 'Claim it with mentor.claim_submissions(), then report.';
    END IF;
    IF FOUND AND r.status IN ('completed', 'failed') AND r.judged_by IS DISTINCT FROM worker THEN
        RAISE EXCEPTION 'submission % was judged by %, not by %', id, coalesce(r.judged_by, 'nobody (it failed in the queue)'),
            coalesce(worker, 'NULL')
            USING ERRCODE = 'MN005', DETAIL = format('It is %s (%s).', r.status, coalesce(r.verdict::text, r.last_error)),
                  HINT = 'Drop the result: a submission is judged once.';
    END IF;
    IF FOUND AND r.judged_by = worker THEN
        RAISE EXCEPTION 'submission % was already judged % (%) by %', id, r.status, coalesce(r.verdict::text, 'no verdict'), worker
            USING ERRCODE = 'MN006', DETAIL = 'A submission is judged once; the first report stands.';
    END IF;
    PERFORM _queue_refuse('submissions', 'submission', report_submission.id, worker, 'compiling', 'running');
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION report_submission(bigint, text, submission_status, submission_verdict, text, numeric, integer, integer, text) IS
    'The judge holding a submission''s lease reports it running, then completed (with its verdict) or failed; the '
    'same final report again returns the row unchanged. MN005 from another worker, MN008 after the lease ran out, '
    'MN001 for a pending submission, MN006 once judged, 22023 for a report that does not fit its status';

-- Stats and ranks ------------------------------------------------------------

CREATE TABLE solved_problems (
    user_id       bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    problem_id    bigint NOT NULL REFERENCES problems ON DELETE CASCADE,
    submission_id bigint NOT NULL,
    solved_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, problem_id)
);
COMMENT ON TABLE solved_problems IS
    'The first accepted submission of each user for each problem (kept by trigger): a problem counts once however '
    'often it is solved';
COMMENT ON COLUMN solved_problems.submission_id IS 'The submission that solved it first';

CREATE TABLE user_stats (
    user_id         bigint PRIMARY KEY REFERENCES users ON DELETE CASCADE,
    problems_solved integer NOT NULL DEFAULT 0,
    easy_solved     integer NOT NULL DEFAULT 0,
    medium_solved   integer NOT NULL DEFAULT 0,
    hard_solved     integer NOT NULL DEFAULT 0,
    score           integer NOT NULL DEFAULT 0,
    attempts        integer NOT NULL DEFAULT 0,
    accepted        integer NOT NULL DEFAULT 0,
    acceptance_rate numeric GENERATED ALWAYS AS (CASE WHEN attempts > 0 THEN round(accepted * 100.0 / attempts, 2) END) STORED,
    score_total     numeric NOT NULL DEFAULT 0,
    scored          integer NOT NULL DEFAULT 0,
    average_score   numeric GENERATED ALWAYS AS (CASE WHEN scored > 0 THEN round(score_total / scored, 2) END) STORED,
    time_spent      interval NOT NULL DEFAULT interval '0',
    last_activity   timestamptz,
    study_plan      jsonb,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE user_stats IS
    'Each user''s coding stats (seed 003 UserStats), kept by trigger as submissions are judged, never recomputed; '
    'the application writes only study_plan. Rank: mentor.user_rank(user_id), mentor.leaderboard';
COMMENT ON COLUMN user_stats.problems_solved IS 'Distinct problems with an accepted submission';
COMMENT ON COLUMN user_stats.score IS 'Points of the solved problems (easy 1, medium 2, hard 3, as rated when solved); ranks ties of problems_solved';
COMMENT ON COLUMN user_stats.attempts IS 'Judged submissions (every verdict, compile errors included)';
COMMENT ON COLUMN user_stats.accepted IS 'Accepted submissions (a problem solved twice counts twice here, once in problems_solved)';
COMMENT ON COLUMN user_stats.acceptance_rate IS 'accepted / attempts in percent';
COMMENT ON COLUMN user_stats.average_score IS 'Average judge score over the judged submissions that had one';
COMMENT ON COLUMN user_stats.time_spent IS 'Sum of the judged submissions'' time_spent';
COMMENT ON COLUMN user_stats.study_plan IS 'Suggestions for the user (JSON the application writes, e.g. from an AI coach)';
CREATE INDEX user_stats_leaderboard_idx ON user_stats (problems_solved DESC, score DESC, user_id);
CREATE TRIGGER user_stats_touch_updated_at BEFORE UPDATE ON user_stats
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER user_stats_owned_columns BEFORE INSERT OR UPDATE ON user_stats
    FOR EACH ROW
    EXECUTE FUNCTION _keep_owned_columns('The stats follow the judged submissions; only study_plan is the application''s.',
                                         'problems_solved', 'easy_solved', 'medium_solved', 'hard_solved', 'score',
                                         'attempts', 'accepted', 'score_total', 'scored', 'time_spent', 'last_activity');

-- How many users share each (problems_solved, score): a rank is one short
-- range of this table, however many users there are.  Users with nothing
-- solved are not counted; they rank after everyone here.
CREATE TABLE user_rank_counts (
    problems_solved integer NOT NULL,
    score           integer NOT NULL,
    users           integer NOT NULL,
    PRIMARY KEY (problems_solved, score)
);
COMMENT ON TABLE user_rank_counts IS
    'Internal (kept by trigger): users per (problems_solved, score), for mentor.user_rank()';
CREATE TABLE user_rank_totals (
    problems_solved integer PRIMARY KEY,
    users           integer NOT NULL
);
COMMENT ON TABLE user_rank_totals IS
    'Internal (kept by trigger): users per problems_solved, for mentor.user_rank()';

-- One user moving from (from_solved, from_score) to (to_solved, to_score) in
-- both counts; 0 problems solved is not counted.  Counts only move up (a
-- first solve), so every judge locks in one order: the lower total, the
-- higher total, the lower bucket, the higher bucket.
CREATE FUNCTION _rank_count_move(from_solved integer, from_score integer, to_solved integer, to_score integer)
RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    IF from_solved > 0 THEN
        UPDATE user_rank_totals c SET users = c.users - 1 WHERE c.problems_solved = from_solved;
    END IF;
    IF to_solved > 0 THEN
        UPDATE user_rank_totals c SET users = c.users + 1 WHERE c.problems_solved = to_solved;
        IF NOT FOUND THEN
            INSERT INTO user_rank_totals AS c VALUES (to_solved, 1)
            ON CONFLICT (problems_solved) DO UPDATE SET users = c.users + 1;
        END IF;
    END IF;
    IF from_solved > 0 THEN
        UPDATE user_rank_counts c SET users = c.users - 1 WHERE c.problems_solved = from_solved AND c.score = from_score;
    END IF;
    IF to_solved > 0 THEN
        UPDATE user_rank_counts c SET users = c.users + 1 WHERE c.problems_solved = to_solved AND c.score = to_score;
        IF NOT FOUND THEN
            INSERT INTO user_rank_counts AS c VALUES (to_solved, to_score, 1)
            ON CONFLICT (problems_solved, score) DO UPDATE SET users = c.users + 1;
        END IF;
    END IF;
END
$$;
COMMENT ON FUNCTION _rank_count_move(integer, integer, integer, integer) IS
    'Internal: moves one user from one (problems solved, score) to another in user_rank_totals and user_rank_counts';

CREATE FUNCTION _submission_judged() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    first_solve boolean := false;
    d           problem_difficulty;
    pts         integer := 0;
    solved      integer;
    total       integer;
BEGIN
    IF NEW.verdict = 'accepted' THEN
        -- The (user, problem) key decides the first solve, also between two judged at once.
        INSERT INTO solved_problems (user_id, problem_id, submission_id, solved_at)
        VALUES (NEW.user_id, NEW.problem_id, NEW.id, NEW.judged_at)
        ON CONFLICT DO NOTHING;
        first_solve := FOUND;
        IF first_solve THEN
            SELECT p.difficulty INTO d FROM problems p WHERE p.id = NEW.problem_id;
            pts := CASE d WHEN 'easy' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END;
        END IF;
    END IF;
    -- The common case is a user with stats: one UPDATE; the first judged submission inserts.
    UPDATE user_stats x
       SET problems_solved = x.problems_solved + first_solve::integer,
           easy_solved = x.easy_solved + (first_solve AND d = 'easy')::integer,
           medium_solved = x.medium_solved + (first_solve AND d = 'medium')::integer,
           hard_solved = x.hard_solved + (first_solve AND d = 'hard')::integer,
           score = x.score + pts,
           attempts = x.attempts + 1,
           accepted = x.accepted + (NEW.verdict = 'accepted')::integer,
           score_total = x.score_total + coalesce(NEW.score, 0),
           scored = x.scored + (NEW.score IS NOT NULL)::integer,
           time_spent = x.time_spent + coalesce(NEW.time_spent, interval '0'),
           last_activity = greatest(x.last_activity, NEW.judged_at)
     WHERE x.user_id = NEW.user_id
    RETURNING x.problems_solved, x.score INTO solved, total;
    IF NOT FOUND THEN
        INSERT INTO user_stats AS x (user_id, problems_solved, easy_solved, medium_solved, hard_solved, score, attempts,
                                     accepted, score_total, scored, time_spent, last_activity)
        VALUES (NEW.user_id, first_solve::integer, (first_solve AND d = 'easy')::integer,
                (first_solve AND d = 'medium')::integer, (first_solve AND d = 'hard')::integer, pts, 1,
                (NEW.verdict = 'accepted')::integer, coalesce(NEW.score, 0), (NEW.score IS NOT NULL)::integer,
                coalesce(NEW.time_spent, interval '0'), NEW.judged_at)
        ON CONFLICT (user_id) DO UPDATE   -- another judge inserted it meanwhile
           SET problems_solved = x.problems_solved + excluded.problems_solved,
               easy_solved = x.easy_solved + excluded.easy_solved,
               medium_solved = x.medium_solved + excluded.medium_solved,
               hard_solved = x.hard_solved + excluded.hard_solved,
               score = x.score + excluded.score,
               attempts = x.attempts + 1,
               accepted = x.accepted + excluded.accepted,
               score_total = x.score_total + excluded.score_total,
               scored = x.scored + excluded.scored,
               time_spent = x.time_spent + excluded.time_spent,
               last_activity = greatest(x.last_activity, excluded.last_activity)
        RETURNING x.problems_solved, x.score INTO solved, total;
    END IF;
    IF first_solve THEN
        PERFORM _rank_count_move(solved - 1, total - pts, solved, total);
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION _submission_judged() IS
    'Internal: counts a judged submission into its user''s stats, and a first solve into solved_problems and the rank counts';
CREATE TRIGGER submissions_judged AFTER UPDATE OF status ON submissions
    FOR EACH ROW WHEN (NEW.verdict IS NOT NULL AND OLD.verdict IS NULL)
    EXECUTE FUNCTION _submission_judged();

CREATE FUNCTION _user_stats_gone() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM _rank_count_move(OLD.problems_solved, OLD.score, 0, 0);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION _user_stats_gone() IS 'Internal: a user''s stats deleted (the user was) leave their rank bucket';
CREATE TRIGGER user_stats_gone AFTER DELETE ON user_stats
    FOR EACH ROW EXECUTE FUNCTION _user_stats_gone();

CREATE FUNCTION user_rank(user_id bigint) RETURNS bigint
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    solved integer := 0;
    pts    integer := 0;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM users u WHERE u.id = user_rank.user_id) THEN
        RAISE EXCEPTION 'user % does not exist', coalesce(user_id::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
    SELECT s.problems_solved, s.score INTO solved, pts FROM user_stats s WHERE s.user_id = user_rank.user_id;
    solved := coalesce(solved, 0);
    pts := coalesce(pts, 0);
    -- Those with more problems solved (a row per count), then those with as many and more points.
    RETURN 1 + coalesce((SELECT sum(t.users) FROM user_rank_totals t WHERE t.problems_solved > solved), 0)
             + coalesce((SELECT sum(c.users) FROM user_rank_counts c WHERE c.problems_solved = solved AND c.score > pts), 0);
END
$$;
COMMENT ON FUNCTION user_rank(bigint) IS
    'A user''s leaderboard rank: by problems solved, then score; equal users share a rank and the next rank skips '
    '(1, 2, 2, 4). Users with nothing solved share the last rank. P0002 for an unknown user';

CREATE VIEW leaderboard AS
SELECT rank() OVER w AS rank, s.user_id, u.username, s.problems_solved, s.score, s.easy_solved, s.medium_solved,
       s.hard_solved, s.acceptance_rate, s.average_score, s.last_activity
  FROM user_stats s
  JOIN users u ON u.id = s.user_id
WINDOW w AS (ORDER BY s.problems_solved DESC, s.score DESC)
 ORDER BY s.problems_solved DESC, s.score DESC, s.user_id;
COMMENT ON VIEW leaderboard IS
    'Users with stats, best first, ranked as mentor.user_rank() ranks them; read the top with LIMIT (the view is '
    'ordered, so SELECT * FROM mentor.leaderboard LIMIT 100 reads 100 rows of an index)';

CREATE TABLE user_stats_daily (
    user_id         bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    day             date NOT NULL,
    problems_solved integer NOT NULL,
    score           integer NOT NULL,
    attempts        integer NOT NULL,
    accepted        integer NOT NULL,
    average_score   numeric,
    time_spent      interval NOT NULL,
    rank            bigint NOT NULL,
    taken_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, day)
);
COMMENT ON TABLE user_stats_daily IS
    'One row per user and day (the seed''s many UserStats entries per user), written by mentor.snapshot_user_stats()';

CREATE FUNCTION snapshot_user_stats(day date DEFAULT current_date) RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    n integer;
BEGIN
    IF day IS NULL THEN
        RAISE EXCEPTION 'a snapshot needs a day' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    INSERT INTO user_stats_daily AS d (user_id, day, problems_solved, score, attempts, accepted, average_score,
                                       time_spent, rank)
    SELECT s.user_id, snapshot_user_stats.day, s.problems_solved, s.score, s.attempts, s.accepted, s.average_score,
           s.time_spent, rank() OVER (ORDER BY s.problems_solved DESC, s.score DESC)
      FROM user_stats s
    ON CONFLICT ON CONSTRAINT user_stats_daily_pkey DO UPDATE
       SET problems_solved = excluded.problems_solved, score = excluded.score, attempts = excluded.attempts,
           accepted = excluded.accepted, average_score = excluded.average_score, time_spent = excluded.time_spent,
           rank = excluded.rank, taken_at = now();
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
COMMENT ON FUNCTION snapshot_user_stats(date) IS
    'Copies every user''s stats and rank into user_stats_daily for day (again on the same day: replaced); returns the rows written';

-- Mock interviews ------------------------------------------------------------

CREATE TABLE interview_sessions (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id        bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    interview_type @extschema@.interview_type NOT NULL,
    status         @extschema@.interview_status NOT NULL DEFAULT 'pending',
    start_at       timestamptz NOT NULL DEFAULT now(),
    end_at         timestamptz,
    feedback       text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT interview_sessions_end_after_start CHECK (end_at > start_at),
    CONSTRAINT interview_sessions_one_at_a_time
        EXCLUDE USING gist (user_id WITH =, tstzrange(start_at, coalesce(end_at, 'infinity')) WITH &&)
);
COMMENT ON TABLE interview_sessions IS
    'Mock interviews (seed 003 InterviewSession, lifecycle "interview_session"): a user is in at most one at a '
    'time (an open one, without end_at, lasts until it ends). Each user reads and writes their own';
COMMENT ON COLUMN interview_sessions.feedback IS 'Feedback after the interview (e.g. AI-generated)';
CREATE TRIGGER interview_sessions_touch_updated_at BEFORE UPDATE ON interview_sessions
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
SELECT attach_lifecycle('interview_sessions', 'status', 'interview_session');

CREATE TABLE interview_questions (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id       bigint NOT NULL REFERENCES interview_sessions ON DELETE CASCADE,
    position         integer NOT NULL CONSTRAINT interview_questions_position_positive CHECK (position > 0),
    question         text NOT NULL CONSTRAINT interview_questions_question_length CHECK (length(btrim(question)) BETWEEN 1 AND 10000),
    answer           text,
    submitted_answer text,
    feedback         text,
    answered_at      timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT interview_questions_order UNIQUE (session_id, position)
);
COMMENT ON TABLE interview_questions IS 'The questions of a mock interview, in order (seed 003 InterviewQuestion)';
COMMENT ON COLUMN interview_questions.answer IS 'The expected answer or a hint';
COMMENT ON COLUMN interview_questions.submitted_answer IS 'What the user answered';
CREATE TRIGGER interview_questions_touch_updated_at BEFORE UPDATE ON interview_questions
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE FUNCTION _own_interview(session_id bigint) RETURNS boolean
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
SELECT EXISTS (SELECT 1 FROM interview_sessions s WHERE s.id = _own_interview.session_id AND s.user_id = current_actor())
$$;
COMMENT ON FUNCTION _own_interview(bigint) IS 'Internal: the interview is the acting user''s';

ALTER TABLE interview_sessions ENABLE ROW LEVEL SECURITY;
CREATE POLICY interview_sessions_select ON interview_sessions FOR SELECT TO mentor_app
    USING (user_id = @extschema@.current_actor());
CREATE POLICY interview_sessions_insert ON interview_sessions FOR INSERT TO mentor_app
    WITH CHECK (user_id = @extschema@.current_actor());
CREATE POLICY interview_sessions_update ON interview_sessions FOR UPDATE TO mentor_app
    USING (user_id = @extschema@.current_actor()) WITH CHECK (user_id = @extschema@.current_actor());
CREATE POLICY interview_sessions_delete ON interview_sessions FOR DELETE TO mentor_app
    USING (user_id = @extschema@.current_actor());
ALTER TABLE interview_questions ENABLE ROW LEVEL SECURITY;
CREATE POLICY interview_questions_select ON interview_questions FOR SELECT TO mentor_app
    USING (@extschema@._own_interview(session_id));
CREATE POLICY interview_questions_insert ON interview_questions FOR INSERT TO mentor_app
    WITH CHECK (@extschema@._own_interview(session_id));
CREATE POLICY interview_questions_update ON interview_questions FOR UPDATE TO mentor_app
    USING (@extschema@._own_interview(session_id)) WITH CHECK (@extschema@._own_interview(session_id));
CREATE POLICY interview_questions_delete ON interview_questions FOR DELETE TO mentor_app
    USING (@extschema@._own_interview(session_id));

-- Pair programming -----------------------------------------------------------

CREATE TABLE collaboration_sessions (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    host_id           bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    title             text CONSTRAINT collaboration_sessions_title_length CHECK (length(btrim(title)) BETWEEN 1 AND 300),
    problem_id        bigint REFERENCES problems ON DELETE SET NULL,
    language_code     text REFERENCES languages ON DELETE SET NULL ON UPDATE CASCADE,
    code              text CONSTRAINT collaboration_sessions_code_size CHECK (octet_length(code) <= 1048576),
    status            @extschema@.collaboration_status NOT NULL DEFAULT 'pending',
    start_at          timestamptz,
    end_at            timestamptz,
    max_participants  integer CONSTRAINT collaboration_sessions_max_positive CHECK (max_participants > 0),
    participant_count integer NOT NULL DEFAULT 0,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT collaboration_sessions_end_after_start CHECK (end_at > start_at)
);
COMMENT ON TABLE collaboration_sessions IS
    'Live pair-programming sessions (seed 003 CollaborationSession, lifecycle "collaboration_session"): the host '
    'is its first participant; only participants read it and write its code (row-level security)';
COMMENT ON COLUMN collaboration_sessions.code IS 'The shared code, at most 1 MiB (NULL until someone writes some)';
COMMENT ON COLUMN collaboration_sessions.max_participants IS
    'At most this many participants, host included (NULL: setting practice.collaboration_max_participants); MN004 past it';
COMMENT ON COLUMN collaboration_sessions.participant_count IS 'Participants now, host included (kept by trigger, exact under concurrent joins)';
CREATE INDEX collaboration_sessions_host_idx ON collaboration_sessions (host_id);
CREATE TRIGGER collaboration_sessions_touch_updated_at BEFORE UPDATE ON collaboration_sessions
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER collaboration_sessions_owned_columns BEFORE INSERT OR UPDATE ON collaboration_sessions
    FOR EACH ROW
    EXECUTE FUNCTION _keep_owned_columns('participant_count follows collaboration_participants; leave it out.',
                                         'participant_count');
SELECT attach_lifecycle('collaboration_sessions', 'status', 'collaboration_session');

CREATE TABLE collaboration_participants (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id bigint NOT NULL REFERENCES collaboration_sessions ON DELETE CASCADE,
    user_id    bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    role       text NOT NULL DEFAULT 'participant'
               CONSTRAINT collaboration_participants_role CHECK (role IN ('host', 'participant')),
    joined_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT collaboration_participants_once UNIQUE (session_id, user_id)
);
COMMENT ON TABLE collaboration_participants IS
    'Who is in a pair-programming session: the host (added with the session) and the people the host adds; each '
    'may leave, the host only by ending or deleting the session';
CREATE INDEX collaboration_participants_user_idx ON collaboration_participants (user_id);

CREATE FUNCTION _collaboration_host_joins() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO collaboration_participants (session_id, user_id, role) VALUES (NEW.id, NEW.host_id, 'host');
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION _collaboration_host_joins() IS 'Internal: a new session''s host is its first participant';
CREATE TRIGGER collaboration_sessions_host_joins AFTER INSERT ON collaboration_sessions
    FOR EACH ROW EXECUTE FUNCTION _collaboration_host_joins();

CREATE FUNCTION _collaboration_participants_count() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    c       collaboration_sessions;
    allowed integer;
BEGIN
    IF TG_OP = 'INSERT' THEN
        -- The session row's lock orders racing joins: each sees the count the one before left.
        SELECT * INTO c FROM collaboration_sessions x WHERE x.id = NEW.session_id FOR UPDATE;
        IF NEW.role = 'host' AND NEW.user_id IS DISTINCT FROM c.host_id THEN
            RAISE EXCEPTION 'user % is not the host of collaboration session %', NEW.user_id, NEW.session_id
                USING ERRCODE = 'MN005', HINT = 'Add other people with role participant.';
        END IF;
        allowed := coalesce(c.max_participants, (setting('practice.collaboration_max_participants') #>> '{}')::integer);
        IF c.participant_count >= allowed THEN
            RAISE EXCEPTION 'collaboration session % is full', NEW.session_id USING ERRCODE = 'MN004',
                DETAIL = format('It has %s of %s places taken.', c.participant_count, allowed),
                HINT = 'Raise max_participants of the session or setting practice.collaboration_max_participants.';
        END IF;
        UPDATE collaboration_sessions x SET participant_count = x.participant_count + 1 WHERE x.id = NEW.session_id;
        RETURN NEW;
    END IF;
    SELECT * INTO c FROM collaboration_sessions x WHERE x.id = OLD.session_id FOR UPDATE;
    IF FOUND AND OLD.user_id = c.host_id THEN
        -- Only the session's own deletion (cascade: the session row is gone by then) removes its host.
        RAISE EXCEPTION 'the host cannot leave collaboration session %', OLD.session_id USING ERRCODE = 'MN006',
            HINT = 'Complete the session, or delete it.';
    END IF;
    UPDATE collaboration_sessions x SET participant_count = x.participant_count - 1 WHERE x.id = OLD.session_id;
    RETURN OLD;
END
$$;
COMMENT ON FUNCTION _collaboration_participants_count() IS
    'Internal: a join checks the session''s maximum (MN004) and counts itself, a leave uncounts itself (not the '
    'host''s: MN006), under the session row''s lock';
CREATE TRIGGER collaboration_participants_join BEFORE INSERT ON collaboration_participants
    FOR EACH ROW EXECUTE FUNCTION _collaboration_participants_count();
CREATE TRIGGER collaboration_participants_leave BEFORE DELETE ON collaboration_participants
    FOR EACH ROW EXECUTE FUNCTION _collaboration_participants_count();

CREATE FUNCTION _in_collaboration(session_id bigint) RETURNS boolean
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
SELECT EXISTS (SELECT 1 FROM collaboration_participants p
                WHERE p.session_id = _in_collaboration.session_id AND p.user_id = current_actor())
$$;
COMMENT ON FUNCTION _in_collaboration(bigint) IS 'Internal: the acting user takes part in the collaboration session';

CREATE FUNCTION _collaboration_host(session_id bigint) RETURNS bigint
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$ SELECT c.host_id FROM collaboration_sessions c WHERE c.id = _collaboration_host.session_id $$;
COMMENT ON FUNCTION _collaboration_host(bigint) IS 'Internal: the host of a collaboration session';

ALTER TABLE collaboration_sessions ENABLE ROW LEVEL SECURITY;
CREATE POLICY collaboration_sessions_select ON collaboration_sessions FOR SELECT TO mentor_app
    USING (host_id = @extschema@.current_actor() OR @extschema@._in_collaboration(id));
CREATE POLICY collaboration_sessions_insert ON collaboration_sessions FOR INSERT TO mentor_app
    WITH CHECK (host_id = @extschema@.current_actor());
CREATE POLICY collaboration_sessions_update ON collaboration_sessions FOR UPDATE TO mentor_app
    USING (@extschema@._in_collaboration(id)) WITH CHECK (host_id = @extschema@._collaboration_host(id));
CREATE POLICY collaboration_sessions_delete ON collaboration_sessions FOR DELETE TO mentor_app
    USING (host_id = @extschema@.current_actor());
ALTER TABLE collaboration_participants ENABLE ROW LEVEL SECURITY;
CREATE POLICY collaboration_participants_select ON collaboration_participants FOR SELECT TO mentor_app
    USING (@extschema@._in_collaboration(session_id));
CREATE POLICY collaboration_participants_insert ON collaboration_participants FOR INSERT TO mentor_app
    WITH CHECK (@extschema@._collaboration_host(session_id) = @extschema@.current_actor() AND role = 'participant');
CREATE POLICY collaboration_participants_update ON collaboration_participants FOR UPDATE TO mentor_app USING (false);
CREATE POLICY collaboration_participants_delete ON collaboration_participants FOR DELETE TO mentor_app
    USING (user_id = @extschema@.current_actor() OR @extschema@._collaboration_host(session_id) = @extschema@.current_actor());

-- Forum ----------------------------------------------------------------------

CREATE TABLE forum_posts (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    author_id        bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    title            text NOT NULL CONSTRAINT forum_posts_title_length CHECK (length(btrim(title)) BETWEEN 1 AND 300),
    content          text NOT NULL CONSTRAINT forum_posts_content_length CHECK (length(btrim(content)) BETWEEN 1 AND 100000),
    comment_count    integer NOT NULL DEFAULT 0,
    last_activity_at timestamptz NOT NULL DEFAULT now(),
    hidden           boolean NOT NULL DEFAULT false,
    hidden_by        bigint REFERENCES users ON DELETE SET NULL,
    hidden_reason    text,
    search           tsvector GENERATED ALWAYS AS (setweight(to_tsvector('english', title), 'A')
                                                   || setweight(to_tsvector('english', content), 'B')) STORED,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE forum_posts IS
    'Forum posts (seed 003 ForumPost): everyone reads them (hidden ones: their author and staff), an author edits '
    'and deletes only their own; staff hide with mentor.hide_forum_post()';
COMMENT ON COLUMN forum_posts.comment_count IS 'Visible comments (kept by trigger)';
COMMENT ON COLUMN forum_posts.last_activity_at IS 'When the post or its latest comment was written (kept by trigger)';
COMMENT ON COLUMN forum_posts.hidden IS 'Hidden by a moderator (staff); see hidden_by, hidden_reason';
COMMENT ON COLUMN forum_posts.search IS 'Full-text document (title, content)';
CREATE INDEX forum_posts_search_idx ON forum_posts USING gin (search);
CREATE INDEX forum_posts_activity_idx ON forum_posts (last_activity_at DESC) WHERE NOT hidden;
CREATE INDEX forum_posts_author_idx ON forum_posts (author_id);
CREATE TRIGGER forum_posts_touch_updated_at BEFORE UPDATE OF title, content ON forum_posts
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER forum_posts_owned_columns BEFORE INSERT OR UPDATE ON forum_posts
    FOR EACH ROW
    EXECUTE FUNCTION _keep_owned_columns('Counts and activity follow the comments; moderators hide with mentor.hide_forum_post().',
                                         'comment_count', 'last_activity_at', 'hidden', 'hidden_by', 'hidden_reason');

CREATE TABLE forum_comments (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    post_id       bigint NOT NULL REFERENCES forum_posts ON DELETE CASCADE,
    author_id     bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    content       text NOT NULL CONSTRAINT forum_comments_content_length CHECK (length(btrim(content)) BETWEEN 1 AND 20000),
    hidden        boolean NOT NULL DEFAULT false,
    hidden_by     bigint REFERENCES users ON DELETE SET NULL,
    search        tsvector GENERATED ALWAYS AS (to_tsvector('english', content)) STORED,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE forum_comments IS
    'Comments on forum posts (seed 003 PostComment): the author edits and deletes their own; staff hide them';
CREATE INDEX forum_comments_post_idx ON forum_comments (post_id, created_at);
CREATE INDEX forum_comments_search_idx ON forum_comments USING gin (search);
CREATE TRIGGER forum_comments_touch_updated_at BEFORE UPDATE OF content ON forum_comments
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER forum_comments_owned_columns BEFORE INSERT OR UPDATE ON forum_comments
    FOR EACH ROW
    EXECUTE FUNCTION _keep_owned_columns('Moderators hide comments with mentor.hide_forum_comment().', 'hidden', 'hidden_by');

CREATE FUNCTION _forum_comments_count() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    delta integer;
BEGIN
    delta := CASE TG_OP
        WHEN 'INSERT' THEN (NOT NEW.hidden)::integer
        WHEN 'DELETE' THEN -(NOT OLD.hidden)::integer
        ELSE (NOT NEW.hidden)::integer - (NOT OLD.hidden)::integer END;
    -- One UPDATE of the post row: racing comments queue on its lock and each adds its own one.
    UPDATE forum_posts p
       SET comment_count = p.comment_count + delta,
           last_activity_at = CASE WHEN TG_OP = 'INSERT' THEN greatest(p.last_activity_at, NEW.created_at)
                                   ELSE p.last_activity_at END
     WHERE p.id = CASE WHEN TG_OP = 'DELETE' THEN OLD.post_id ELSE NEW.post_id END
       AND (delta <> 0 OR TG_OP = 'INSERT');
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION _forum_comments_count() IS 'Internal: keeps forum_posts.comment_count and last_activity_at';
CREATE TRIGGER forum_comments_count AFTER INSERT OR DELETE OR UPDATE OF hidden ON forum_comments
    FOR EACH ROW EXECUTE FUNCTION _forum_comments_count();

CREATE FUNCTION hide_forum_post(post_id bigint, hide boolean DEFAULT true, reason text DEFAULT NULL) RETURNS forum_posts
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    me bigint := _staff_actor('moderate the forum');
    r  forum_posts;
BEGIN
    UPDATE forum_posts p SET hidden = hide, hidden_by = CASE WHEN hide THEN me END,
                             hidden_reason = CASE WHEN hide THEN reason END
     WHERE p.id = post_id RETURNING p.* INTO r;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'forum post % does not exist', coalesce(post_id::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
    RETURN r;
END
$$;
COMMENT ON FUNCTION hide_forum_post(bigint, boolean, text) IS
    'A moderator (the acting user, staff) hides a forum post, or shows it again with hide => false; 42501 for anyone else';

CREATE FUNCTION hide_forum_comment(comment_id bigint, hide boolean DEFAULT true) RETURNS forum_comments
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    me bigint := _staff_actor('moderate the forum');
    r  forum_comments;
BEGIN
    UPDATE forum_comments c SET hidden = hide, hidden_by = CASE WHEN hide THEN me END
     WHERE c.id = comment_id RETURNING c.* INTO r;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'forum comment % does not exist', coalesce(comment_id::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
    RETURN r;
END
$$;
COMMENT ON FUNCTION hide_forum_comment(bigint, boolean) IS
    'A moderator (the acting user, staff) hides a comment (it leaves the post''s comment_count), or shows it again';

CREATE FUNCTION _forum_post_visible(post_id bigint) RETURNS boolean
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$ SELECT EXISTS (SELECT 1 FROM forum_posts p WHERE p.id = _forum_post_visible.post_id AND NOT p.hidden) $$;
COMMENT ON FUNCTION _forum_post_visible(bigint) IS 'Internal: the post exists and is not hidden';

ALTER TABLE forum_posts ENABLE ROW LEVEL SECURITY;
CREATE POLICY forum_posts_select ON forum_posts FOR SELECT TO mentor_app
    USING (NOT hidden OR author_id = @extschema@.current_actor() OR @extschema@._actor_is_staff());
CREATE POLICY forum_posts_insert ON forum_posts FOR INSERT TO mentor_app
    WITH CHECK (author_id = @extschema@.current_actor());
CREATE POLICY forum_posts_update ON forum_posts FOR UPDATE TO mentor_app
    USING (author_id = @extschema@.current_actor()) WITH CHECK (author_id = @extschema@.current_actor());
CREATE POLICY forum_posts_delete ON forum_posts FOR DELETE TO mentor_app
    USING (author_id = @extschema@.current_actor());
ALTER TABLE forum_comments ENABLE ROW LEVEL SECURITY;
CREATE POLICY forum_comments_select ON forum_comments FOR SELECT TO mentor_app
    USING ((NOT hidden AND @extschema@._forum_post_visible(post_id)) OR author_id = @extschema@.current_actor()
           OR @extschema@._actor_is_staff());
CREATE POLICY forum_comments_insert ON forum_comments FOR INSERT TO mentor_app
    WITH CHECK (author_id = @extschema@.current_actor() AND @extschema@._forum_post_visible(post_id));
CREATE POLICY forum_comments_update ON forum_comments FOR UPDATE TO mentor_app
    USING (author_id = @extschema@.current_actor()) WITH CHECK (author_id = @extschema@.current_actor());
CREATE POLICY forum_comments_delete ON forum_comments FOR DELETE TO mentor_app
    USING (author_id = @extschema@.current_actor());

-- Tech news and job posts ----------------------------------------------------

CREATE TABLE news_sources (
    code    text PRIMARY KEY CONSTRAINT news_sources_code_format CHECK (code ~ '^[a-z][a-z0-9_]{0,39}$'),
    name    text NOT NULL CONSTRAINT news_sources_name_length CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    url     text CONSTRAINT news_sources_url_http CHECK (url ~ '^https?://'),
    shipped boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE news_sources IS 'Where news and job posts are fetched from (a catalogue staff extend)';
COMMENT ON COLUMN news_sources.shipped IS 'Shipped with the extension (not dumped by pg_dump: CREATE EXTENSION makes it)';
SELECT pg_catalog.pg_extension_config_dump('news_sources', 'WHERE NOT shipped');
INSERT INTO news_sources (code, name, url, shipped) VALUES
    ('linkedin', 'LinkedIn', 'https://www.linkedin.com', true),
    ('indeed', 'Indeed', 'https://www.indeed.com', true),
    ('codechef', 'CodeChef', 'https://www.codechef.com', true);

CREATE TABLE news_items (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source_code  text NOT NULL REFERENCES news_sources ON DELETE RESTRICT ON UPDATE CASCADE,
    type         @extschema@.news_type NOT NULL,
    title        text NOT NULL CONSTRAINT news_items_title_length CHECK (length(btrim(title)) BETWEEN 1 AND 500),
    content      text CONSTRAINT news_items_content_length CHECK (length(content) <= 200000),
    url          text NOT NULL UNIQUE CONSTRAINT news_items_url_http CHECK (url ~ '^https?://' AND length(url) <= 2000),
    published_at timestamptz,
    fetched_at   timestamptz NOT NULL DEFAULT now(),
    search       tsvector GENERATED ALWAYS AS (setweight(to_tsvector('english', title), 'A')
                                               || setweight(to_tsvector('english', coalesce(content, '')), 'B')) STORED,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE news_items IS
    'Tech news, job posts and promotions fetched from news_sources (seed 003 TechNews & JobPost); one row per URL: '
    'record with mentor.record_news_item(), which updates the row a second fetch finds';
COMMENT ON COLUMN news_items.fetched_at IS 'When the item was last fetched';
COMMENT ON COLUMN news_items.search IS 'Full-text document (title, content)';
CREATE INDEX news_items_search_idx ON news_items USING gin (search);
CREATE INDEX news_items_type_idx ON news_items (type, fetched_at DESC);
CREATE TRIGGER news_items_touch_updated_at BEFORE UPDATE ON news_items
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE FUNCTION record_news_item(source text, type news_type, title text, url text, content text DEFAULT NULL,
                                 published_at timestamptz DEFAULT NULL) RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    id bigint;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM news_sources s WHERE s.code = record_news_item.source) THEN
        RAISE EXCEPTION 'unknown news source %', coalesce(quote_literal(source), 'NULL')
            USING ERRCODE = 'invalid_parameter_value', HINT = 'SELECT code FROM mentor.news_sources lists them; staff add more.';
    END IF;
    INSERT INTO news_items AS n (source_code, type, title, url, content, published_at)
    VALUES (source, record_news_item.type, record_news_item.title, record_news_item.url, record_news_item.content,
            record_news_item.published_at)
    ON CONFLICT ON CONSTRAINT news_items_url_key DO UPDATE
       SET source_code = excluded.source_code, type = excluded.type, title = excluded.title,
           content = excluded.content, published_at = coalesce(excluded.published_at, n.published_at), fetched_at = now()
    RETURNING n.id INTO id;
    RETURN id;
END
$$;
COMMENT ON FUNCTION record_news_item(text, news_type, text, text, text, timestamptz) IS
    'Records a fetched item: a new URL adds a row, a URL already there updates it (never a duplicate); returns its id';

--------------------------------------------------------------------------------
-- Module community, support half (seed 004, seed 001's Issues and
-- StudentQuery): shared resources with comments and search, support tickets
-- with threads only their people and staff read, and working-mother support:
-- proxy cover for a leave (exclusion constraints keep one accepted proxy per
-- leave and one leave per proxy), milestone logs and support chats private to
-- their owner.  Rows are written by the application under row-level security
-- for the acting user (set_actor); what only staff or the other party may
-- change moves through the functions here, guarded by _keep_owned_columns.
--------------------------------------------------------------------------------

CREATE TYPE resource_type AS ENUM ('meditation', 'guidebook', 'story', 'course', 'virtual_session');
COMMENT ON TYPE resource_type IS 'What a shared resource is (seed 004 resource types)';
CREATE TYPE reported_issue_status AS ENUM ('open', 'in_progress', 'resolved');
COMMENT ON TYPE reported_issue_status IS 'Support ticket status (lifecycle "reported_issue"; a resolved ticket can be reopened)';
CREATE TYPE proxy_request_status AS ENUM ('pending', 'accepted', 'rejected', 'completed');
COMMENT ON TYPE proxy_request_status IS 'Proxy request status (lifecycle "proxy_request")';

-- text[] output is immutable; array_to_string is only declared stable because other
-- element types' output may not be.  The generated search column needs an immutable call.
CREATE FUNCTION _words(words text[]) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT pg_catalog.array_to_string(words, ' ') $$;
COMMENT ON FUNCTION _words(text[]) IS 'Internal: the words of a text array joined by spaces (for full-text documents)';

-- Resources ------------------------------------------------------------------

CREATE TABLE resources (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title       text NOT NULL CONSTRAINT resources_title_length CHECK (length(btrim(title)) BETWEEN 1 AND 300),
    description text CONSTRAINT resources_description_length CHECK (length(description) <= 20000),
    type        @extschema@.resource_type NOT NULL,
    uploaded_by bigint REFERENCES users ON DELETE SET NULL,
    url         text CONSTRAINT resources_url_http CHECK (url ~ '^https?://' AND length(url) <= 2000),
    file_path   text CONSTRAINT resources_file_path_length CHECK (length(btrim(file_path)) BETWEEN 1 AND 1000),
    published   boolean NOT NULL DEFAULT false,
    category    text CONSTRAINT resources_category_length CHECK (length(btrim(category)) BETWEEN 1 AND 100),
    tags        text[] NOT NULL DEFAULT '{}'
                CONSTRAINT resources_tags_count CHECK (cardinality(tags) <= 50 AND array_position(tags, NULL) IS NULL),
    search      tsvector GENERATED ALWAYS AS (setweight(to_tsvector('english', title), 'A')
                                              || setweight(to_tsvector('english', @extschema@._words(tags)), 'B')
                                              || setweight(to_tsvector('english', coalesce(description, '')), 'C')) STORED,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT resources_url_or_file CHECK (url IS NOT NULL OR file_path IS NOT NULL)
);
COMMENT ON TABLE resources IS
    'Learning and support materials (seed 004 resources): a URL or an uploaded file path (at least one). Published '
    'ones are read by everyone, unpublished ones by their uploader and staff; the uploader and staff edit them';
COMMENT ON COLUMN resources.file_path IS 'Where the application stored the upload (the file itself is outside the database)';
COMMENT ON COLUMN resources.tags IS 'Free tags (seed 004''s JSON array), searched with the title and description';
COMMENT ON COLUMN resources.search IS 'Full-text document (title, tags, description): WHERE search @@ websearch_to_tsquery(''english'', ...)';
CREATE INDEX resources_search_idx ON resources USING gin (search);
CREATE INDEX resources_published_idx ON resources (type, created_at DESC) WHERE published;
CREATE INDEX resources_uploaded_by_idx ON resources (uploaded_by);
CREATE TRIGGER resources_touch_updated_at BEFORE UPDATE ON resources
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE resource_comments (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    resource_id bigint NOT NULL REFERENCES resources ON DELETE CASCADE,
    user_id     bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    content     text NOT NULL CONSTRAINT resource_comments_content_length CHECK (length(btrim(content)) BETWEEN 1 AND 5000),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE resource_comments IS
    'Comments on resources (seed 004 resourceComments): read by whoever reads the resource; each user writes, edits '
    'and deletes their own (staff delete any)';
CREATE INDEX resource_comments_resource_idx ON resource_comments (resource_id, created_at);
CREATE INDEX resource_comments_user_idx ON resource_comments (user_id);
CREATE TRIGGER resource_comments_touch_updated_at BEFORE UPDATE ON resource_comments
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE FUNCTION _resource_visible(resource_id bigint) RETURNS boolean
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
SELECT EXISTS (SELECT 1 FROM resources r
                WHERE r.id = _resource_visible.resource_id
                  AND (r.published OR r.uploaded_by = current_actor() OR _actor_is_staff()))
$$;
COMMENT ON FUNCTION _resource_visible(bigint) IS 'Internal: the acting user may read the resource (published, theirs, or staff)';

ALTER TABLE resources ENABLE ROW LEVEL SECURITY;
CREATE POLICY resources_select ON resources FOR SELECT TO mentor_app
    USING (published OR uploaded_by = @extschema@.current_actor() OR @extschema@._actor_is_staff());
CREATE POLICY resources_insert ON resources FOR INSERT TO mentor_app
    WITH CHECK (uploaded_by = @extschema@.current_actor());
CREATE POLICY resources_update ON resources FOR UPDATE TO mentor_app
    USING (uploaded_by = @extschema@.current_actor() OR @extschema@._actor_is_staff())
    WITH CHECK (uploaded_by = @extschema@.current_actor() OR @extschema@._actor_is_staff());
CREATE POLICY resources_delete ON resources FOR DELETE TO mentor_app
    USING (uploaded_by = @extschema@.current_actor() OR @extschema@._actor_is_staff());
ALTER TABLE resource_comments ENABLE ROW LEVEL SECURITY;
CREATE POLICY resource_comments_select ON resource_comments FOR SELECT TO mentor_app
    USING (@extschema@._resource_visible(resource_id));
CREATE POLICY resource_comments_insert ON resource_comments FOR INSERT TO mentor_app
    WITH CHECK (user_id = @extschema@.current_actor() AND @extschema@._resource_visible(resource_id));
CREATE POLICY resource_comments_update ON resource_comments FOR UPDATE TO mentor_app
    USING (user_id = @extschema@.current_actor()) WITH CHECK (user_id = @extschema@.current_actor());
CREATE POLICY resource_comments_delete ON resource_comments FOR DELETE TO mentor_app
    USING (user_id = @extschema@.current_actor() OR @extschema@._actor_is_staff());

-- Support tickets ------------------------------------------------------------

CREATE TABLE support_tickets (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    reporter_id bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    kind        text NOT NULL DEFAULT 'issue' CONSTRAINT support_tickets_kind CHECK (kind IN ('issue', 'query')),
    title       text NOT NULL CONSTRAINT support_tickets_title_length CHECK (length(btrim(title)) BETWEEN 1 AND 300),
    description text NOT NULL CONSTRAINT support_tickets_description_length CHECK (length(btrim(description)) BETWEEN 1 AND 20000),
    status      @extschema@.reported_issue_status NOT NULL DEFAULT 'open',
    assignee_id bigint REFERENCES users ON DELETE SET NULL,
    resolved_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT support_tickets_resolved_stamped CHECK ((status = 'resolved') = (resolved_at IS NOT NULL))
);
COMMENT ON TABLE support_tickets IS
    'Problems and questions reported to staff (seed 004 reportedIssues, seed 001 Issues and StudentQuery; lifecycle '
    '"reported_issue"). The reporter opens and edits theirs; staff assign with mentor.assign_ticket(); status moves '
    'with mentor.set_ticket_status(). Read by the reporter, the assignee and staff';
COMMENT ON COLUMN support_tickets.kind IS 'issue (something is wrong, seed 004 / 001 Issues) or query (a question, seed 001 StudentQuery)';
COMMENT ON COLUMN support_tickets.assignee_id IS 'The staff member working on it (an admin, owner or superadmin; anyone else is 22023)';
COMMENT ON COLUMN support_tickets.resolved_at IS 'When it was last resolved (stamped by set_ticket_status; cleared when reopened)';
CREATE INDEX support_tickets_reporter_idx ON support_tickets (reporter_id, created_at DESC);
CREATE INDEX support_tickets_queue_idx ON support_tickets (status, created_at) WHERE status <> 'resolved';
CREATE INDEX support_tickets_assignee_idx ON support_tickets (assignee_id) WHERE assignee_id IS NOT NULL;
CREATE TRIGGER support_tickets_touch_updated_at BEFORE UPDATE ON support_tickets
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER support_tickets_owned_columns BEFORE INSERT OR UPDATE ON support_tickets
    FOR EACH ROW
    EXECUTE FUNCTION _keep_owned_columns('Staff assign with mentor.assign_ticket(); the status moves with mentor.set_ticket_status().',
                                         'status', 'assignee_id', 'resolved_at');
SELECT attach_lifecycle('support_tickets', 'status', 'reported_issue');

-- Whoever writes it (a function, an administrator, a restore), the assignee is staff.
CREATE FUNCTION _support_ticket_assignee() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    IF NEW.assignee_id IS NOT NULL AND NOT _is_staff(NEW.assignee_id) THEN
        RAISE EXCEPTION 'user % is not staff and cannot be assigned ticket %', NEW.assignee_id, NEW.id
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Assign tickets to an active admin, owner or superadmin.';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION _support_ticket_assignee() IS 'Internal: a ticket''s assignee is active staff (22023 otherwise)';
CREATE TRIGGER support_tickets_assignee BEFORE INSERT OR UPDATE OF assignee_id ON support_tickets
    FOR EACH ROW EXECUTE FUNCTION _support_ticket_assignee();

CREATE TABLE ticket_messages (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id  bigint NOT NULL REFERENCES support_tickets ON DELETE CASCADE,
    author_id  bigint REFERENCES users ON DELETE SET NULL,
    body       text NOT NULL CONSTRAINT ticket_messages_body_length CHECK (length(btrim(body)) BETWEEN 1 AND 10000),
    created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE ticket_messages IS
    'A ticket''s thread (seed 004 issueMessages): written and read by the reporter, the assignee and staff only; '
    'never edited (the thread is the record)';
CREATE INDEX ticket_messages_ticket_idx ON ticket_messages (ticket_id, id);

CREATE FUNCTION _ticket_party(ticket_id bigint) RETURNS boolean
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
SELECT EXISTS (SELECT 1 FROM support_tickets t
                WHERE t.id = _ticket_party.ticket_id
                  AND (t.reporter_id = current_actor() OR t.assignee_id = current_actor() OR _actor_is_staff()))
$$;
COMMENT ON FUNCTION _ticket_party(bigint) IS 'Internal: the acting user is the ticket''s reporter, its assignee or staff';

CREATE FUNCTION assign_ticket(ticket_id bigint, assignee_id bigint) RETURNS support_tickets
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    r support_tickets;
BEGIN
    PERFORM _staff_actor('assign tickets');
    UPDATE support_tickets t SET assignee_id = assign_ticket.assignee_id WHERE t.id = assign_ticket.ticket_id
    RETURNING t.* INTO r;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'ticket % does not exist', coalesce(ticket_id::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
    RETURN r;
END
$$;
COMMENT ON FUNCTION assign_ticket(bigint, bigint) IS
    'Staff (the acting user) give a ticket to a staff member, or take it back with NULL; 42501 for anyone else, '
    '22023 for an assignee who is not staff, P0002 for an unknown ticket';

CREATE FUNCTION set_ticket_status(ticket_id bigint, status reported_issue_status) RETURNS support_tickets
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    me bigint := _community_actor();
    t  support_tickets;
BEGIN
    SELECT * INTO t FROM support_tickets x WHERE x.id = set_ticket_status.ticket_id FOR UPDATE;
    IF NOT FOUND OR NOT (t.reporter_id = me OR t.assignee_id IS NOT DISTINCT FROM me OR _is_staff(me)) THEN
        -- Someone else's ticket is as absent as one that does not exist: its existence is not theirs to learn.
        RAISE EXCEPTION 'ticket % does not exist', coalesce(ticket_id::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
    IF t.reporter_id = me AND t.assignee_id IS DISTINCT FROM me AND NOT _is_staff(me) AND status = 'in_progress' THEN
        RAISE EXCEPTION 'the reporter of ticket % resolves or reopens it; staff put it in progress', ticket_id
            USING ERRCODE = 'MN005';
    END IF;
    IF t.status = status THEN
        RETURN t;    -- already there: a retried call changes nothing
    END IF;
    -- The lifecycle (attached to the column) refuses a move it does not have, with MN001.
    UPDATE support_tickets x
       SET status = set_ticket_status.status,
           resolved_at = CASE WHEN set_ticket_status.status = 'resolved' THEN now() END
     WHERE x.id = t.id RETURNING x.* INTO t;
    RETURN t;
END
$$;
COMMENT ON FUNCTION set_ticket_status(bigint, reported_issue_status) IS
    'Moves a ticket along "reported_issue" (open -> in_progress -> resolved, resolved -> open), stamping resolved_at. '
    'Staff and the assignee make any move; the reporter resolves or reopens their own (MN005 for in_progress). The '
    'same status again changes nothing; P0002 for a ticket the acting user is not a party to; MN001 for a move the '
    'lifecycle lacks';

ALTER TABLE support_tickets ENABLE ROW LEVEL SECURITY;
CREATE POLICY support_tickets_select ON support_tickets FOR SELECT TO mentor_app
    USING (reporter_id = @extschema@.current_actor() OR assignee_id = @extschema@.current_actor()
           OR @extschema@._actor_is_staff());
CREATE POLICY support_tickets_insert ON support_tickets FOR INSERT TO mentor_app
    WITH CHECK (reporter_id = @extschema@.current_actor());
CREATE POLICY support_tickets_update ON support_tickets FOR UPDATE TO mentor_app
    USING (reporter_id = @extschema@.current_actor()) WITH CHECK (reporter_id = @extschema@.current_actor());
CREATE POLICY support_tickets_delete ON support_tickets FOR DELETE TO mentor_app
    USING (@extschema@._actor_is_staff());
ALTER TABLE ticket_messages ENABLE ROW LEVEL SECURITY;
CREATE POLICY ticket_messages_select ON ticket_messages FOR SELECT TO mentor_app
    USING (@extschema@._ticket_party(ticket_id));
CREATE POLICY ticket_messages_insert ON ticket_messages FOR INSERT TO mentor_app
    WITH CHECK (author_id = @extschema@.current_actor() AND @extschema@._ticket_party(ticket_id));
CREATE POLICY ticket_messages_update ON ticket_messages FOR UPDATE TO mentor_app USING (false);
CREATE POLICY ticket_messages_delete ON ticket_messages FOR DELETE TO mentor_app USING (false);

-- Working-mother support -----------------------------------------------------

-- A leave is [start_date, actual_end_date or expected_end_date).  Accepted and completed
-- cover counts: one proxy per mother's leave period, one leave per proxy at a time.
CREATE TABLE proxy_requests (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    mother_id         bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    proxy_id          bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    status            @extschema@.proxy_request_status NOT NULL DEFAULT 'pending',
    start_date        timestamptz NOT NULL,
    expected_end_date timestamptz NOT NULL,
    actual_end_date   timestamptz,
    notes             text CONSTRAINT proxy_requests_notes_length CHECK (length(notes) <= 5000),
    leave             tstzrange NOT NULL GENERATED ALWAYS AS
                          (tstzrange(start_date, greatest(start_date, coalesce(actual_end_date, expected_end_date)), '[)')) STORED,
    responded_at      timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT proxy_requests_not_self CHECK (proxy_id <> mother_id),
    CONSTRAINT proxy_requests_dates CHECK (expected_end_date > start_date
                                           AND (actual_end_date IS NULL OR actual_end_date > start_date)),
    CONSTRAINT proxy_requests_completed_stamped CHECK ((status = 'completed') = (actual_end_date IS NOT NULL)),
    CONSTRAINT proxy_requests_one_proxy_per_leave EXCLUDE USING gist (mother_id WITH =, leave WITH &&)
        WHERE (status IN ('accepted', 'completed')),
    CONSTRAINT proxy_requests_one_leave_per_proxy EXCLUDE USING gist (proxy_id WITH =, leave WITH &&)
        WHERE (status IN ('accepted', 'completed'))
);
COMMENT ON TABLE proxy_requests IS
    'Cover for a mother''s leave (seed 004 proxyRequests; lifecycle "proxy_request"): the mother asks a proxy '
    '(INSERT), the proxy accepts or rejects (mentor.respond_proxy_request), either completes it '
    '(mentor.complete_proxy_request). Read by the two of them';
COMMENT ON COLUMN proxy_requests.leave IS 'The period covered: [start_date, actual_end_date, else expected_end_date)';
COMMENT ON COLUMN proxy_requests.actual_end_date IS 'When the cover ended (stamped on completion)';
COMMENT ON COLUMN proxy_requests.responded_at IS 'When the proxy accepted or rejected';
CREATE INDEX proxy_requests_proxy_idx ON proxy_requests (proxy_id, status);
CREATE INDEX proxy_requests_mother_idx ON proxy_requests (mother_id, start_date);
CREATE TRIGGER proxy_requests_touch_updated_at BEFORE UPDATE ON proxy_requests
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER proxy_requests_owned_columns BEFORE INSERT OR UPDATE ON proxy_requests
    FOR EACH ROW
    EXECUTE FUNCTION _keep_owned_columns('The proxy answers with mentor.respond_proxy_request(); cover ends with mentor.complete_proxy_request().',
                                         'status', 'actual_end_date', 'responded_at');
SELECT attach_lifecycle('proxy_requests', 'status', 'proxy_request');

-- A request for a period already covered is refused when it is made, not only when
-- accepted (the exclusion constraints see accepted rows only, so they allow asking).
CREATE FUNCTION _proxy_request_check() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    ends  timestamptz := coalesce(NEW.actual_end_date, NEW.expected_end_date);
    other proxy_requests;
BEGIN
    IF NOT ends > NEW.start_date THEN
        RETURN NEW;    -- proxy_requests_dates reports it
    END IF;
    SELECT * INTO other FROM proxy_requests p
     WHERE p.mother_id = NEW.mother_id AND p.id <> NEW.id AND p.status IN ('accepted', 'completed')
       AND p.leave && tstzrange(NEW.start_date, ends, '[)')
     ORDER BY p.start_date LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'user % already has cover for part of that period (proxy request %)', NEW.mother_id, other.id
            USING ERRCODE = 'exclusion_violation', CONSTRAINT = 'proxy_requests_one_proxy_per_leave',
                  DETAIL = format('User %s is %s as proxy for %s.', other.proxy_id, other.status, other.leave),
                  HINT = 'Ask for a period that does not overlap it, or complete that cover first.';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION _proxy_request_check() IS
    'Internal: a request (or new dates) overlapping the mother''s accepted or completed cover is 23P01 naming it';
CREATE TRIGGER proxy_requests_check BEFORE INSERT OR UPDATE OF start_date, expected_end_date ON proxy_requests
    FOR EACH ROW EXECUTE FUNCTION _proxy_request_check();

CREATE FUNCTION respond_proxy_request(request_id bigint, accept boolean) RETURNS proxy_request_status
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    me bigint := _community_actor();
    r  proxy_requests;
BEGIN
    SELECT * INTO r FROM proxy_requests p WHERE p.id = request_id FOR UPDATE;
    IF NOT FOUND OR me NOT IN (r.mother_id, r.proxy_id) THEN
        RAISE EXCEPTION 'proxy request % does not exist', coalesce(request_id::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
    IF r.proxy_id <> me THEN
        RAISE EXCEPTION 'only the proxy answers proxy request %', request_id USING ERRCODE = 'MN005',
            DETAIL = format('User %s asked user %s; the acting user is %s.', r.mother_id, r.proxy_id, me);
    END IF;
    IF r.status <> 'pending' THEN
        RAISE EXCEPTION 'proxy request % is already %', request_id, r.status USING ERRCODE = 'MN006';
    END IF;
    -- Accepting checks the exclusion constraints: 23P01 names the overlapping cover.
    UPDATE proxy_requests p SET status = CASE WHEN accept THEN 'accepted'::proxy_request_status ELSE 'rejected' END,
                                responded_at = now()
     WHERE p.id = request_id RETURNING p.status INTO r.status;
    RETURN r.status;
END
$$;
COMMENT ON FUNCTION respond_proxy_request(bigint, boolean) IS
    'The proxy accepts or rejects a pending request; MN005 for the mother, MN006 once answered, 23P01 when accepting '
    'would give the mother two proxies or the proxy two leaves at once';

CREATE FUNCTION complete_proxy_request(request_id bigint, ended_at timestamptz DEFAULT now()) RETURNS proxy_requests
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    me bigint := _community_actor();
    r  proxy_requests;
BEGIN
    SELECT * INTO r FROM proxy_requests p WHERE p.id = request_id FOR UPDATE;
    IF NOT FOUND OR me NOT IN (r.mother_id, r.proxy_id) THEN
        RAISE EXCEPTION 'proxy request % does not exist', coalesce(request_id::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
    IF r.status = 'completed' THEN
        RETURN r;    -- a retried completion changes nothing
    END IF;
    IF ended_at IS NULL OR ended_at <= r.start_date THEN
        RAISE EXCEPTION 'cover of proxy request % cannot end at %', request_id, coalesce(ended_at::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('It starts at %s.', r.start_date);
    END IF;
    -- Only accepted cover completes: the lifecycle refuses pending -> completed with MN001.
    UPDATE proxy_requests p SET status = 'completed', actual_end_date = ended_at
     WHERE p.id = request_id RETURNING p.* INTO r;
    RETURN r;
END
$$;
COMMENT ON FUNCTION complete_proxy_request(bigint, timestamptz) IS
    'The mother or the proxy ends accepted cover, stamping actual_end_date (default now; after the start, else '
    '22023). Again changes nothing; MN001 for a request that was never accepted';

ALTER TABLE proxy_requests ENABLE ROW LEVEL SECURITY;
CREATE POLICY proxy_requests_select ON proxy_requests FOR SELECT TO mentor_app
    USING (mother_id = @extschema@.current_actor() OR proxy_id = @extschema@.current_actor());
CREATE POLICY proxy_requests_insert ON proxy_requests FOR INSERT TO mentor_app
    WITH CHECK (mother_id = @extschema@.current_actor());
CREATE POLICY proxy_requests_update ON proxy_requests FOR UPDATE TO mentor_app
    USING (mother_id = @extschema@.current_actor()) WITH CHECK (mother_id = @extschema@.current_actor());
CREATE POLICY proxy_requests_delete ON proxy_requests FOR DELETE TO mentor_app
    USING (mother_id = @extschema@.current_actor() AND status = 'pending');

CREATE TABLE milestone_logs (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    type       text NOT NULL CONSTRAINT milestone_logs_type_length CHECK (length(btrim(type)) BETWEEN 1 AND 50),
    title      text NOT NULL CONSTRAINT milestone_logs_title_length CHECK (length(btrim(title)) BETWEEN 1 AND 300),
    notes      text CONSTRAINT milestone_logs_notes_length CHECK (length(notes) <= 10000),
    date       timestamptz NOT NULL DEFAULT now(),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE milestone_logs IS
    'A new mother''s milestones (seed 004 milestoneLogs): private to their owner, staff included';
COMMENT ON COLUMN milestone_logs.type IS 'The application''s milestone kind (e.g. birth, first_day_back)';
CREATE INDEX milestone_logs_user_idx ON milestone_logs (user_id, date DESC);
CREATE TRIGGER milestone_logs_touch_updated_at BEFORE UPDATE ON milestone_logs
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE support_chats (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    message      text NOT NULL CONSTRAINT support_chats_message_length CHECK (length(btrim(message)) BETWEEN 1 AND 10000),
    is_from_user boolean NOT NULL,
    sentiment    text CONSTRAINT support_chats_sentiment_length CHECK (length(btrim(sentiment)) BETWEEN 1 AND 50),
    created_at   timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE support_chats IS
    'A user''s conversation with the support assistant (seed 004 mentalHealthChats): private to the user, staff '
    'included, and never in history; the application writes the assistant''s replies acting as the user';
COMMENT ON COLUMN support_chats.is_from_user IS 'true: the user wrote it; false: the assistant''s reply';
COMMENT ON COLUMN support_chats.sentiment IS 'The assistant''s reading of the message (free text, e.g. positive, anxious)';
CREATE INDEX support_chats_user_idx ON support_chats (user_id, created_at);

ALTER TABLE milestone_logs ENABLE ROW LEVEL SECURITY;
CREATE POLICY milestone_logs_select ON milestone_logs FOR SELECT TO mentor_app
    USING (user_id = @extschema@.current_actor());
CREATE POLICY milestone_logs_insert ON milestone_logs FOR INSERT TO mentor_app
    WITH CHECK (user_id = @extschema@.current_actor());
CREATE POLICY milestone_logs_update ON milestone_logs FOR UPDATE TO mentor_app
    USING (user_id = @extschema@.current_actor()) WITH CHECK (user_id = @extschema@.current_actor());
CREATE POLICY milestone_logs_delete ON milestone_logs FOR DELETE TO mentor_app
    USING (user_id = @extschema@.current_actor());
ALTER TABLE support_chats ENABLE ROW LEVEL SECURITY;
CREATE POLICY support_chats_select ON support_chats FOR SELECT TO mentor_app
    USING (user_id = @extschema@.current_actor());
CREATE POLICY support_chats_insert ON support_chats FOR INSERT TO mentor_app
    WITH CHECK (user_id = @extschema@.current_actor());
CREATE POLICY support_chats_update ON support_chats FOR UPDATE TO mentor_app USING (false);
CREATE POLICY support_chats_delete ON support_chats FOR DELETE TO mentor_app
    USING (user_id = @extschema@.current_actor());

--------------------------------------------------------------------------------
-- Module hiring, first part (seed 001 Mr-Hire: JobPost, JobScreeningConfig,
-- JobApplication, ResumeAnalysis, ScreeningResult, SalaryBenchmark; journey 4):
-- job posts under the `job_post` lifecycle, applications under `candidate`
-- (one per job and email, in any case), the resume analysis that marks an
-- application parsed, and record_screening(), which stores the verdict and
-- routes the candidate by the job's threshold in one step.  The AI parts (the
-- parser, the screening model) stay outside; their results land here.
--------------------------------------------------------------------------------

CREATE TYPE job_post_status AS ENUM ('draft', 'active', 'paused', 'closed');
COMMENT ON TYPE job_post_status IS 'A job post''s status (lifecycle "job_post")';
CREATE TYPE candidate_status AS ENUM ('resume_received', 'resume_parsed', 'outreach_sent', 'quiz_invited',
                                      'quiz_completed', 'voice_interview_scheduled', 'voice_interview_completed',
                                      'scoring_complete', 'shortlisted', 'talent_pool');
COMMENT ON TYPE candidate_status IS 'A job application''s status (lifecycle "candidate")';

-- Job templates (seed 001 JobTemplate): a recruiter's reusable post, copied into a draft post.
CREATE TABLE job_templates (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner_id    bigint REFERENCES users ON DELETE CASCADE,
    name        text NOT NULL CONSTRAINT job_templates_name_length CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    title       text NOT NULL CONSTRAINT job_templates_title_length CHECK (length(btrim(title)) BETWEEN 1 AND 200),
    company     text CONSTRAINT job_templates_company_length CHECK (length(company) <= 200),
    description text CONSTRAINT job_templates_description_length CHECK (length(description) <= 50000),
    roles       text[] NOT NULL DEFAULT '{}',
    skills      text[] NOT NULL DEFAULT '{}',
    location    text,
    salary_min  numeric(12,2) CONSTRAINT job_templates_salary_min_nonneg CHECK (salary_min >= 0),
    salary_max  numeric(12,2),
    currency    text NOT NULL DEFAULT 'INR' CONSTRAINT job_templates_currency CHECK (currency ~ '^[A-Z]{3}$'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT job_templates_salary_band CHECK (salary_max >= salary_min)
);
COMMENT ON TABLE job_templates IS
    'Reusable job posts (seed 001 JobTemplate): a name, unique per owner (NULL: the whole hiring team''s), and the '
    'fields job_post_from_template() copies into a new draft post';
-- NULLS NOT DISTINCT: one "Backend engineer" among the team-wide templates too.
CREATE UNIQUE INDEX job_templates_name_once ON job_templates (owner_id, lower(name)) NULLS NOT DISTINCT;
CREATE TRIGGER job_templates_touch_updated_at BEFORE UPDATE ON job_templates
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE job_posts (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title       text NOT NULL CONSTRAINT job_posts_title_length CHECK (length(btrim(title)) BETWEEN 1 AND 200),
    company     text CONSTRAINT job_posts_company_length CHECK (length(company) <= 200),
    description text CONSTRAINT job_posts_description_length CHECK (length(description) <= 50000),
    roles       text[] NOT NULL DEFAULT '{}',
    skills      text[] NOT NULL DEFAULT '{}',
    location    text,
    salary_min  numeric(12,2) CONSTRAINT job_posts_salary_min_nonneg CHECK (salary_min >= 0),
    salary_max  numeric(12,2),
    currency    text NOT NULL DEFAULT 'INR' CONSTRAINT job_posts_currency CHECK (currency ~ '^[A-Z]{3}$'),
    status      @extschema@.job_post_status NOT NULL DEFAULT 'draft',
    platform    text NOT NULL DEFAULT 'mas' CONSTRAINT job_posts_platform CHECK (platform ~ '^[a-z][a-z0-9_]{0,39}$'),
    created_by  bigint REFERENCES users ON DELETE SET NULL,
    template_id bigint REFERENCES job_templates ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT job_posts_salary_band CHECK (salary_max >= salary_min)
);
COMMENT ON TABLE job_posts IS
    'Job openings (seed 001 JobPost): roles, skills, salary band (min <= max), status under lifecycle job_post, the '
    'tenant platform; written by the hiring team through the application';
COMMENT ON COLUMN job_posts.platform IS 'Seed 001''s multi-tenant platform column (which product or tenant posts it)';
CREATE INDEX job_posts_status_idx ON job_posts (status, platform);
CREATE TRIGGER job_posts_touch_updated_at BEFORE UPDATE ON job_posts
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
SELECT attach_lifecycle('job_posts', 'status', 'job_post');
COMMENT ON COLUMN job_posts.template_id IS 'The job template it was made from (job_post_from_template), if any';

CREATE FUNCTION job_post_from_template(template_id bigint, title text DEFAULT NULL, platform text DEFAULT NULL)
RETURNS job_posts
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    t job_templates;
    p job_posts;
BEGIN
    SELECT * INTO t FROM job_templates x WHERE x.id = job_post_from_template.template_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'job template % does not exist', coalesce(template_id::text, 'NULL') USING ERRCODE = 'no_data_found',
            HINT = 'mentor.job_templates lists them.';
    END IF;
    INSERT INTO job_posts AS x (title, company, description, roles, skills, location, salary_min, salary_max, currency,
                                platform, created_by, template_id)
    VALUES (coalesce(job_post_from_template.title, t.title), t.company, t.description, t.roles, t.skills, t.location,
            t.salary_min, t.salary_max, t.currency, coalesce(job_post_from_template.platform, 'mas'), current_actor(), t.id)
    RETURNING x.* INTO p;
    RETURN p;
END
$$;
COMMENT ON FUNCTION job_post_from_template(bigint, text, text) IS
    'A new draft job post copied from a template (its title, or the one given; platform mas unless given), created by '
    'the acting user; P0002 for an unknown template. Runs with the caller''s rights: who may insert posts may use it';

CREATE TABLE job_screening_configs (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_post_id         bigint NOT NULL CONSTRAINT job_screening_configs_once UNIQUE REFERENCES job_posts ON DELETE CASCADE,
    shortlist_threshold numeric(5,2) NOT NULL DEFAULT 70
                        CONSTRAINT job_screening_configs_threshold_range CHECK (shortlist_threshold BETWEEN 0 AND 100),
    model               text,
    config              jsonb NOT NULL DEFAULT '{}'
                        CONSTRAINT job_screening_configs_config_object CHECK (jsonb_typeof(config) = 'object'),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE job_screening_configs IS
    'How a job''s applications are screened (seed 001 JobScreeningConfig): a score at or above shortlist_threshold '
    'shortlists, below it goes to the talent pool (no row: 70)';
CREATE TRIGGER job_screening_configs_touch_updated_at BEFORE UPDATE ON job_screening_configs
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE job_applications (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_post_id     bigint NOT NULL REFERENCES job_posts ON DELETE CASCADE,
    candidate_email @extschema@.email NOT NULL,
    candidate_name  text CONSTRAINT job_applications_name_length CHECK (length(candidate_name) <= 200),
    user_id         bigint REFERENCES users ON DELETE SET NULL,
    status          @extschema@.candidate_status NOT NULL DEFAULT 'resume_received',
    priority        integer NOT NULL DEFAULT 0,
    platform        text NOT NULL DEFAULT 'mas' CONSTRAINT job_applications_platform CHECK (platform ~ '^[a-z][a-z0-9_]{0,39}$'),
    resume_url      text CONSTRAINT job_applications_resume_url_http CHECK (resume_url ~ '^https?://'),
    applied_at      timestamptz NOT NULL DEFAULT now(),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    -- One application per job and email; candidate_email is citext, so in any case.
    CONSTRAINT job_applications_once UNIQUE (job_post_id, candidate_email)
) WITH (fillfactor = 70);
-- An application moves three or more times in its first transaction (parsed, scored, routed):
-- with its status left out of every index and room on the page (fillfactor 70) those updates
-- are HOT, so none of them inserts into the indexes (the email's unique check among them).
COMMENT ON TABLE job_applications IS
    'Candidates'' applications (seed 001 JobApplication), one per job post and email in any case (23505 names '
    'job_applications_once); status under lifecycle candidate, never skipping a step it forbids; not readable by analysts';
COMMENT ON COLUMN job_applications.status IS
    'Lifecycle candidate: resume_received, resume_parsed (set by its resume analysis), ..., scoring_complete, then '
    'shortlisted or talent_pool (set by record_screening)';
COMMENT ON COLUMN job_applications.priority IS 'The recruiter''s ordering (higher first)';
CREATE INDEX job_applications_queue_idx ON job_applications (job_post_id, priority DESC);
CREATE TRIGGER job_applications_touch_updated_at BEFORE UPDATE ON job_applications
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
SELECT attach_lifecycle('job_applications', 'status', 'candidate');

CREATE TABLE resume_analyses (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    application_id   bigint NOT NULL CONSTRAINT resume_analyses_once UNIQUE REFERENCES job_applications ON DELETE CASCADE,
    parsed           jsonb NOT NULL DEFAULT '{}'
                     CONSTRAINT resume_analyses_parsed_object CHECK (jsonb_typeof(parsed) = 'object'),
    skills           text[] NOT NULL DEFAULT '{}',
    years_experience numeric(4,1) CONSTRAINT resume_analyses_years_range CHECK (years_experience BETWEEN 0 AND 80),
    model            text,
    analyzed_at      timestamptz NOT NULL DEFAULT now(),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE resume_analyses IS
    'The parser''s reading of an application''s resume (seed 001 ResumeAnalysis), one per application; inserting it '
    'moves a received application to resume_parsed';
CREATE TRIGGER resume_analyses_touch_updated_at BEFORE UPDATE ON resume_analyses
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE FUNCTION _resume_analysis_parsed() RETURNS trigger
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    UPDATE job_applications a SET status = 'resume_parsed' WHERE a.id = NEW.application_id AND a.status = 'resume_received';
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION _resume_analysis_parsed() IS 'Internal: a received application whose resume is analysed is resume_parsed';
CREATE TRIGGER resume_analyses_parsed AFTER INSERT ON resume_analyses
    FOR EACH ROW EXECUTE FUNCTION _resume_analysis_parsed();

CREATE TABLE screening_results (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    application_id bigint NOT NULL CONSTRAINT screening_results_once UNIQUE REFERENCES job_applications ON DELETE CASCADE,
    score          numeric(5,2) NOT NULL CONSTRAINT screening_results_score_range CHECK (score BETWEEN 0 AND 100),
    threshold      numeric(5,2) NOT NULL,
    verdict        @extschema@.candidate_status NOT NULL
                   CONSTRAINT screening_results_verdict CHECK (verdict IN ('shortlisted', 'talent_pool')),
    model_config   jsonb NOT NULL DEFAULT '{}',
    reasons        jsonb NOT NULL DEFAULT '{}',
    screened_at    timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE screening_results IS
    'The screening verdict of an application (seed 001 ScreeningResult), one per application, written only by '
    'record_screening(): the score, the threshold it was held against, the verdict, the model''s configuration';
CREATE TRIGGER screening_results_owned BEFORE INSERT OR UPDATE ON screening_results
    FOR EACH ROW EXECUTE FUNCTION _keep_owned_columns('Screening results are recorded by mentor.record_screening().',
                                                      'score', 'threshold', 'verdict', 'model_config', 'reasons', 'screened_at');

CREATE FUNCTION record_screening(application_id bigint, score numeric, model_config jsonb DEFAULT '{}',
                                 reasons jsonb DEFAULT '{}') RETURNS screening_results
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    a       job_applications;
    bar     numeric;
    verdict candidate_status;
    saved   screening_results;
BEGIN
    -- The application's row lock: a second screening of it waits, then finds the verdict.
    SELECT * INTO a FROM job_applications x WHERE x.id = record_screening.application_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'job application % does not exist', coalesce(application_id::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
    SELECT * INTO saved FROM screening_results r WHERE r.application_id = a.id;
    IF FOUND THEN
        RETURN saved;   -- one verdict per application: a retry or a racing screening gets it
    END IF;
    IF score IS NULL OR score < 0 OR score > 100 THEN
        RAISE EXCEPTION 'screening score % is out of range', coalesce(score::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Scores go from 0 to 100.';
    END IF;
    bar := coalesce((SELECT c.shortlist_threshold FROM job_screening_configs c WHERE c.job_post_id = a.job_post_id), 70);
    verdict := CASE WHEN score >= bar THEN 'shortlisted' ELSE 'talent_pool' END;
    -- The lifecycle refuses an application not parsed yet (MN001), so nothing is stored for it.
    IF a.status <> 'scoring_complete' THEN
        UPDATE job_applications x SET status = 'scoring_complete' WHERE x.id = a.id;
    END IF;
    UPDATE job_applications x SET status = verdict WHERE x.id = a.id;
    INSERT INTO screening_results AS r (application_id, score, threshold, verdict, model_config, reasons)
    VALUES (a.id, score, bar, verdict, coalesce(model_config, '{}'), coalesce(reasons, '{}'))
    RETURNING r.* INTO saved;
    RETURN saved;
END
$$;
COMMENT ON FUNCTION record_screening(bigint, numeric, jsonb, jsonb) IS
    'Stores an application''s screening (score 0-100, 22023 otherwise) and moves it to scoring_complete and on to '
    'shortlisted (score >= the job''s shortlist_threshold, 70 without a config) or talent_pool, in one step; MN001 '
    'for an application whose resume is not parsed yet. Once per application: a retry or a racing call returns the '
    'verdict recorded';

CREATE TABLE salary_benchmarks (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    role       citext NOT NULL CONSTRAINT salary_benchmarks_role_length CHECK (length(btrim(role)) BETWEEN 1 AND 200),
    region     citext NOT NULL CONSTRAINT salary_benchmarks_region_length CHECK (length(btrim(region)) BETWEEN 1 AND 100),
    currency   text NOT NULL DEFAULT 'INR' CONSTRAINT salary_benchmarks_currency CHECK (currency ~ '^[A-Z]{3}$'),
    p25        numeric(12,2) NOT NULL,
    p50        numeric(12,2) NOT NULL,
    p75        numeric(12,2) NOT NULL,
    as_of      date NOT NULL DEFAULT current_date,
    source     text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT salary_benchmarks_once UNIQUE (role, region, as_of),
    CONSTRAINT salary_benchmarks_percentiles_ordered CHECK (0 <= p25 AND p25 <= p50 AND p50 <= p75)
);
COMMENT ON TABLE salary_benchmarks IS
    'Salary percentiles per role and region as of a date (seed 001 SalaryBenchmark); read with salary_benchmark()';
CREATE TRIGGER salary_benchmarks_touch_updated_at BEFORE UPDATE ON salary_benchmarks
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE FUNCTION salary_benchmark(role text, region text, as_of date DEFAULT current_date) RETURNS salary_benchmarks
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
SELECT b.* FROM salary_benchmarks b
 WHERE lower(b.role::text) = lower(salary_benchmark.role) AND lower(b.region::text) = lower(salary_benchmark.region)
   AND b.as_of <= salary_benchmark.as_of
 ORDER BY b.as_of DESC LIMIT 1
$$;
COMMENT ON FUNCTION salary_benchmark(text, text, date) IS
    'The latest benchmark of a role in a region on or before a date (names in any case); no row when there is none';

-- The talent pool (seed 001 TalentPoolEntry, TalentPoolMatch): candidates screened below a
-- job's bar stay on file and are matched to the next jobs.
CREATE TABLE talent_pool_entries (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    application_id  bigint NOT NULL CONSTRAINT talent_pool_entries_once UNIQUE REFERENCES job_applications ON DELETE CASCADE,
    candidate_email @extschema@.email NOT NULL,
    candidate_name  text,
    skills          text[] NOT NULL DEFAULT '{}',
    expected_salary numeric(12,2) CONSTRAINT talent_pool_entries_salary_nonneg CHECK (expected_salary >= 0),
    available       boolean NOT NULL DEFAULT true,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE talent_pool_entries IS
    'Candidates kept for later jobs (seed 001 TalentPoolEntry): one per application routed to talent_pool, created '
    'with its skills (and expected_salary, when the parser read one) by trigger; available until taken off';
CREATE INDEX talent_pool_entries_available_idx ON talent_pool_entries (available) WHERE available;
CREATE TRIGGER talent_pool_entries_touch_updated_at BEFORE UPDATE ON talent_pool_entries
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE FUNCTION _job_application_pooled() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO talent_pool_entries (application_id, candidate_email, candidate_name, skills, expected_salary)
    SELECT NEW.id, NEW.candidate_email, NEW.candidate_name, coalesce(r.skills, '{}'),
           CASE WHEN jsonb_typeof(r.parsed -> 'expected_salary') = 'number' AND (r.parsed ->> 'expected_salary')::numeric >= 0
                THEN (r.parsed ->> 'expected_salary')::numeric END
      FROM (SELECT 1) one LEFT JOIN resume_analyses r ON r.application_id = NEW.id
    ON CONFLICT ON CONSTRAINT talent_pool_entries_once DO NOTHING;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION _job_application_pooled() IS 'Internal: an application routed to talent_pool puts its candidate in the pool';
CREATE TRIGGER job_applications_pooled AFTER INSERT OR UPDATE OF status ON job_applications
    FOR EACH ROW WHEN (NEW.status = 'talent_pool') EXECUTE FUNCTION _job_application_pooled();

CREATE TABLE talent_pool_matches (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    entry_id    bigint NOT NULL REFERENCES talent_pool_entries ON DELETE CASCADE,
    job_post_id bigint NOT NULL REFERENCES job_posts ON DELETE CASCADE,
    score       numeric(6,4) NOT NULL,
    reasons     jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT talent_pool_matches_once UNIQUE (entry_id, job_post_id)
);
COMMENT ON TABLE talent_pool_matches IS
    'Pool candidates matched to a job (seed 001 TalentPoolMatch) by match_talent_pool(), with the score and why';
CREATE INDEX talent_pool_matches_job_idx ON talent_pool_matches (job_post_id, score DESC);
CREATE TRIGGER talent_pool_matches_touch_updated_at BEFORE UPDATE ON talent_pool_matches
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER talent_pool_matches_owned BEFORE INSERT OR UPDATE ON talent_pool_matches
    FOR EACH ROW EXECUTE FUNCTION _keep_owned_columns('Matches are recorded by mentor.match_talent_pool().', 'score', 'reasons');

-- Skills count 0.7 (the share of the job's skills the candidate has, names in any case; all of
-- them when the job names none), salary 0.3 (1 inside the band or unknown, less the further
-- outside it).
CREATE FUNCTION match_talent_pool(job_post_id bigint, k integer DEFAULT 10) RETURNS SETOF talent_pool_matches
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    j job_posts;
BEGIN
    SELECT * INTO j FROM job_posts x WHERE x.id = match_talent_pool.job_post_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'job post % does not exist', coalesce(job_post_id::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
    IF k IS NULL OR k < 1 OR k > 1000 THEN
        RAISE EXCEPTION 'k must be from 1 to 1000, not %', coalesce(k::text, 'NULL') USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN QUERY
    WITH wanted AS (
        SELECT array_agg(DISTINCT lower(x)) AS skills FROM unnest(j.skills) x
    ), scored AS (
        SELECT e.id, f.skills_share, f.salary_fit, round((0.7 * f.skills_share + 0.3 * f.salary_fit)::numeric, 4) AS score,
               f.matched
          FROM talent_pool_entries e
          JOIN job_applications a ON a.id = e.application_id
          CROSS JOIN wanted w
          CROSS JOIN LATERAL (
              SELECT coalesce((SELECT array_agg(DISTINCT lower(x)) FROM unnest(e.skills) x WHERE lower(x) = ANY (w.skills)), '{}') AS matched) m
          CROSS JOIN LATERAL (
              SELECT m.matched,
                     CASE WHEN coalesce(cardinality(w.skills), 0) = 0 THEN 1.0
                          ELSE cardinality(m.matched)::numeric / cardinality(w.skills) END AS skills_share,
                     CASE WHEN e.expected_salary IS NULL OR j.salary_min IS NULL OR j.salary_max IS NULL THEN 1.0
                          WHEN e.expected_salary BETWEEN j.salary_min AND j.salary_max THEN 1.0
                          WHEN j.salary_max = 0 THEN 0.0
                          ELSE greatest(0, 1 - abs(e.expected_salary - CASE WHEN e.expected_salary < j.salary_min
                                                                            THEN j.salary_min ELSE j.salary_max END)
                                                   / j.salary_max) END AS salary_fit) f
         WHERE e.available AND a.job_post_id <> j.id
         ORDER BY 4 DESC, e.id
         LIMIT k
    ), saved AS (
        INSERT INTO talent_pool_matches AS t (entry_id, job_post_id, score, reasons)
        SELECT s.id, j.id, s.score,
               jsonb_build_object('skills_share', round(s.skills_share, 4), 'skills_matched', to_jsonb(s.matched),
                                  'salary_fit', round(s.salary_fit, 4))
          FROM scored s
        ON CONFLICT ON CONSTRAINT talent_pool_matches_once DO UPDATE SET score = excluded.score, reasons = excluded.reasons
        RETURNING t.*
    )
    SELECT * FROM saved ORDER BY score DESC, entry_id;
END
$$;
COMMENT ON FUNCTION match_talent_pool(bigint, integer) IS
    'Ranks the available talent-pool candidates (from other jobs) for a job and records the best k as '
    'talent_pool_matches (again: updated): 0.7 x the share of the job''s skills they have + 0.3 x salary fit (1 inside '
    'the band or unknown, decreasing outside it); the reasons say which skills matched';

--------------------------------------------------------------------------------
-- Module hiring, pay after placement (seed 001 Mas101PapAgreementTemplate,
-- Mas101PapWorkflow; journey 6): a student's agreement for a program
-- application moves through its steps, each taken only by the role the
-- journey gives it; the upfront payment and, after placement, the collected
-- fee are ledger transfers in the batch's currency asset, so the finance
-- totals are the ledger's.
--------------------------------------------------------------------------------

CREATE TYPE pap_workflow_status AS ENUM ('pending_mou_details', 'pending_mou_upload', 'pending_mou_review',
                                         'mou_signed_approved', 'pending_payment_option', 'pending_pap_approval',
                                         'pending_upfront_payment', 'enrolled', 'placement_under_review',
                                         'payment_collection_pending');
COMMENT ON TYPE pap_workflow_status IS 'A pay-after-placement workflow''s status (lifecycle "pap_workflow")';

CREATE TABLE pap_agreement_templates (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text NOT NULL CONSTRAINT pap_agreement_templates_name_length CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    version    integer NOT NULL DEFAULT 1 CONSTRAINT pap_agreement_templates_version_positive CHECK (version >= 1),
    body       text NOT NULL CONSTRAINT pap_agreement_templates_body_length CHECK (length(btrim(body)) BETWEEN 1 AND 100000),
    active     boolean NOT NULL DEFAULT true,
    placement_fee bigint CONSTRAINT pap_agreement_templates_placement_fee_nonneg CHECK (placement_fee >= 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pap_agreement_templates_once UNIQUE (name, version)
);
COMMENT ON TABLE pap_agreement_templates IS
    'Versions of the pay-after-placement agreement (seed 001 Mas101PapAgreementTemplate); written by staff (mentor_admin)';
COMMENT ON COLUMN pap_agreement_templates.placement_fee IS
    'What is collected after placement, in minor units of the batch''s fee asset (NULL: the application''s fee)';
CREATE TRIGGER pap_agreement_templates_touch_updated_at BEFORE UPDATE ON pap_agreement_templates
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE pap_workflows (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    application_id    bigint NOT NULL CONSTRAINT pap_workflows_once UNIQUE REFERENCES program_applications ON DELETE CASCADE,
    user_id           bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    batch_id          bigint REFERENCES batches ON DELETE SET NULL,
    template_id       bigint NOT NULL REFERENCES pap_agreement_templates ON DELETE RESTRICT,
    status            @extschema@.pap_workflow_status NOT NULL DEFAULT 'pending_mou_details',
    mou_details       jsonb NOT NULL DEFAULT '{}'
                      CONSTRAINT pap_workflows_mou_details_object CHECK (jsonb_typeof(mou_details) = 'object'),
    signed_document_url text CONSTRAINT pap_workflows_signed_document_url_http CHECK (signed_document_url ~ '^https://'),
    payment_option    text CONSTRAINT pap_workflows_payment_option CHECK (payment_option IN ('upfront', 'pap')),
    approved_by       bigint REFERENCES users ON DELETE SET NULL,
    payment_transfer_id uuid CONSTRAINT pap_workflows_payment_once UNIQUE,
    placement_details jsonb CONSTRAINT pap_workflows_placement_object CHECK (jsonb_typeof(placement_details) = 'object'),
    collection_transfer_id uuid CONSTRAINT pap_workflows_collection_once UNIQUE,
    collected_amount  bigint,
    collected_at      timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE pap_workflows IS
    'A student''s pay-after-placement agreement for a program application (seed 001 Mas101PapWorkflow, journey 6), '
    'one per application; started by the student with start_pap(), moved only by pap_step()';
COMMENT ON COLUMN pap_workflows.status IS 'Lifecycle pap_workflow (journey 6: details and eSign at once, the payment option at approval)';
COMMENT ON COLUMN pap_workflows.payment_transfer_id IS 'The ledger transfer of an upfront payment';
COMMENT ON COLUMN pap_workflows.placement_details IS 'The placement reported (employer, role, salary, offer letter ...)';
COMMENT ON COLUMN pap_workflows.collection_transfer_id IS
    'The ledger transfer of the fee collected after placement; with collected_at set the agreement is settled';
CREATE INDEX pap_workflows_user_idx ON pap_workflows (user_id);
CREATE TRIGGER pap_workflows_touch_updated_at BEFORE UPDATE ON pap_workflows
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER pap_workflows_owned_columns
    BEFORE INSERT OR UPDATE OF status, mou_details, signed_document_url, payment_option, approved_by, payment_transfer_id,
                               placement_details, collection_transfer_id, collected_amount, collected_at
    ON pap_workflows FOR EACH ROW
    EXECUTE FUNCTION _keep_owned_columns('A pay-after-placement workflow moves through mentor.start_pap() and mentor.pap_step().',
                                         'status', 'mou_details', 'signed_document_url', 'payment_option', 'approved_by',
                                         'payment_transfer_id', 'placement_details', 'collection_transfer_id',
                                         'collected_amount', 'collected_at');
SELECT attach_lifecycle('pap_workflows', 'status', 'pap_workflow');

CREATE FUNCTION start_pap(application_id bigint, template_id bigint) RETURNS pap_workflows
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    app program_applications;
    w   pap_workflows;
BEGIN
    SELECT * INTO app FROM program_applications p WHERE p.id = start_pap.application_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'program application % does not exist', coalesce(application_id::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
    IF app.user_id IS DISTINCT FROM current_actor() THEN
        RAISE EXCEPTION 'only the applicant starts a pay-after-placement agreement' USING ERRCODE = 'MN005',
            DETAIL = format('The acting user is %s.', coalesce(current_actor()::text, 'not set'));
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pap_agreement_templates t WHERE t.id = start_pap.template_id AND t.active) THEN
        RAISE EXCEPTION 'agreement template % is not an active template', template_id USING ERRCODE = 'invalid_parameter_value';
    END IF;
    INSERT INTO pap_workflows AS x (application_id, user_id, batch_id, template_id)
    VALUES (app.id, app.user_id, app.batch_id, template_id)
    ON CONFLICT ON CONSTRAINT pap_workflows_once DO NOTHING;
    SELECT * INTO w FROM pap_workflows x WHERE x.application_id = app.id;
    RETURN w;
END
$$;
COMMENT ON FUNCTION start_pap(bigint, bigint) IS
    'The applicant (the acting user) starts the pay-after-placement agreement of their program application on an '
    'active template (again: the same workflow); MN005 for anyone else';

-- Each step and the role that takes it (journey 6): the student gives the details, eSigns and
-- chooses how to pay; staff approve the agreement and the plan, confirm the upfront payment;
-- the placement is reported by the student or staff, approved and collected by staff.
CREATE FUNCTION pap_step(workflow_id bigint, step text, details jsonb DEFAULT NULL, document_url text DEFAULT NULL,
                         payment_option text DEFAULT NULL, payment_ref text DEFAULT NULL, payment_id uuid DEFAULT NULL)
RETURNS pap_workflows
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    me      bigint := current_actor();
    w       pap_workflows;
    staff   boolean := _actor_is_staff();
    fee     bigint;
    asset   text;
    student_step boolean := step IN ('submit_details', 'upload_document', 'choose_payment');
    either_step  boolean := step = 'report_placement';
BEGIN
    SELECT * INTO w FROM pap_workflows x WHERE x.id = pap_step.workflow_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'pay-after-placement workflow % does not exist', coalesce(workflow_id::text, 'NULL')
            USING ERRCODE = 'no_data_found';
    END IF;
    IF step IS NULL OR step NOT IN ('submit_details', 'upload_document', 'approve_mou', 'choose_payment', 'approve_pap',
                                    'confirm_upfront_payment', 'report_placement', 'approve_placement', 'collect_payment') THEN
        RAISE EXCEPTION 'unknown pay-after-placement step "%"', step USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Steps: submit_details, upload_document, approve_mou, choose_payment, approve_pap, confirm_upfront_payment, '
                   'report_placement, approve_placement, collect_payment.';
    END IF;
    IF (either_step AND me IS DISTINCT FROM w.user_id AND NOT staff)
       OR (student_step AND me IS DISTINCT FROM w.user_id)
       OR (NOT student_step AND NOT either_step AND NOT staff) THEN
        RAISE EXCEPTION 'step % of workflow % is the %''s', step, w.id,
            CASE WHEN either_step THEN 'student''s or staff' WHEN student_step THEN 'student' ELSE 'staff' END
            USING ERRCODE = 'MN005', DETAIL = format('The acting user is %s.', coalesce(me::text, 'not set'));
    END IF;
    CASE step
    WHEN 'submit_details' THEN
        -- Details and eSign at once (journey 6), or the signed document to follow.
        UPDATE pap_workflows x SET mou_details = coalesce(details, '{}'), signed_document_url = document_url,
               status = CASE WHEN document_url IS NULL THEN 'pending_mou_upload' ELSE 'pending_mou_review' END::pap_workflow_status
         WHERE x.id = w.id RETURNING * INTO w;
    WHEN 'upload_document' THEN
        UPDATE pap_workflows x SET signed_document_url = document_url, status = 'pending_mou_review' WHERE x.id = w.id RETURNING * INTO w;
    WHEN 'approve_mou' THEN
        UPDATE pap_workflows x SET status = 'mou_signed_approved', approved_by = me WHERE x.id = w.id RETURNING * INTO w;
    WHEN 'choose_payment' THEN
        IF payment_option IS NULL OR payment_option NOT IN ('upfront', 'pap') THEN
            RAISE EXCEPTION 'the payment option is upfront or pap' USING ERRCODE = 'invalid_parameter_value';
        END IF;
        UPDATE pap_workflows x SET payment_option = pap_step.payment_option,
               status = CASE pap_step.payment_option WHEN 'pap' THEN 'pending_pap_approval' ELSE 'pending_upfront_payment' END::pap_workflow_status
         WHERE x.id = w.id RETURNING * INTO w;
    WHEN 'approve_pap' THEN
        UPDATE pap_workflows x SET status = 'enrolled', approved_by = me WHERE x.id = w.id RETURNING * INTO w;
    WHEN 'confirm_upfront_payment' THEN
        IF w.status = 'enrolled' AND w.payment_transfer_id IS NOT DISTINCT FROM payment_id THEN
            RETURN w;   -- a retry of the same payment
        END IF;
        IF w.status <> 'pending_upfront_payment' THEN
            RAISE EXCEPTION 'workflow % is %, not waiting for an upfront payment', w.id, w.status USING ERRCODE = 'MN006';
        END IF;
        SELECT _application_fee(w.application_id), b.fee_asset INTO fee, asset FROM batches b WHERE b.id = w.batch_id;
        IF payment_id IS NULL OR payment_ref IS NULL OR btrim(payment_ref) = '' THEN
            RAISE EXCEPTION 'an upfront payment needs its id and the payment reference' USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF coalesce(fee, 0) > 0 THEN
            PERFORM transfer(payment_id, system_account('external', asset), system_account('revenue', asset), fee,
                             'fee', payment_ref);
        END IF;
        UPDATE pap_workflows x SET status = 'enrolled', payment_transfer_id = payment_id WHERE x.id = w.id RETURNING * INTO w;
    WHEN 'report_placement' THEN
        IF jsonb_typeof(details) IS DISTINCT FROM 'object' THEN
            RAISE EXCEPTION 'a placement is reported with its details, a JSON object' USING ERRCODE = 'invalid_parameter_value',
                HINT = 'For example {"employer": "Acme", "role": "Backend engineer", "salary": 1400000}.';
        END IF;
        UPDATE pap_workflows x SET placement_details = details, status = 'placement_under_review' WHERE x.id = w.id RETURNING * INTO w;
    WHEN 'approve_placement' THEN
        UPDATE pap_workflows x SET status = 'payment_collection_pending', approved_by = me WHERE x.id = w.id RETURNING * INTO w;
    WHEN 'collect_payment' THEN
        IF w.collected_at IS NOT NULL AND w.collection_transfer_id IS NOT DISTINCT FROM payment_id THEN
            RETURN w;   -- a retry of the same collection
        END IF;
        IF w.status <> 'payment_collection_pending' OR w.collected_at IS NOT NULL THEN
            RAISE EXCEPTION 'workflow % is %, not waiting for the placement fee', w.id,
                CASE WHEN w.collected_at IS NULL THEN w.status::text ELSE 'settled' END USING ERRCODE = 'MN006';
        END IF;
        IF payment_id IS NULL OR payment_ref IS NULL OR btrim(payment_ref) = '' THEN
            RAISE EXCEPTION 'a collected fee needs its id and the payment reference' USING ERRCODE = 'invalid_parameter_value';
        END IF;
        SELECT coalesce(t.placement_fee, _application_fee(w.application_id)), b.fee_asset INTO fee, asset
          FROM pap_agreement_templates t, batches b WHERE t.id = w.template_id AND b.id = w.batch_id;
        IF coalesce(fee, 0) > 0 THEN
            PERFORM transfer(payment_id, system_account('external', asset), system_account('revenue', asset), fee,
                             'fee', payment_ref);
        END IF;
        UPDATE pap_workflows x SET collection_transfer_id = payment_id, collected_amount = coalesce(fee, 0), collected_at = now()
         WHERE x.id = w.id RETURNING * INTO w;
    END CASE;
    RETURN w;
END
$$;
COMMENT ON FUNCTION pap_step(bigint, text, jsonb, text, text, text, uuid) IS
    'Moves a pay-after-placement workflow one step, by the role journey 6 gives it (MN005 otherwise): the student '
    'submit_details (with the signed document: straight to review), upload_document, choose_payment (upfront or pap); '
    'staff approve_mou, approve_pap, confirm_upfront_payment (the application''s fee, batch fee less approved '
    'discounts, as a ledger transfer from external to revenue in the batch''s asset, payment_id its idempotency key); '
    'after enrollment the student or staff report_placement (details), staff approve_placement and collect_payment '
    '(the template''s placement_fee, or the application''s fee, as a ledger transfer; collected_at set). A step the '
    'lifecycle does not allow from the current status is MN001';

ALTER TABLE pap_workflows ENABLE ROW LEVEL SECURITY;
CREATE POLICY pap_workflows_select ON pap_workflows FOR SELECT TO mentor_app
    USING (user_id = @extschema@.current_actor() OR @extschema@._actor_is_staff());
CREATE POLICY pap_workflows_insert ON pap_workflows FOR INSERT TO mentor_app WITH CHECK (false);
CREATE POLICY pap_workflows_update ON pap_workflows FOR UPDATE TO mentor_app USING (false);
CREATE POLICY pap_workflows_delete ON pap_workflows FOR DELETE TO mentor_app USING (false);

--------------------------------------------------------------------------------
-- Module hiring, the candidate pipeline (seed 001 Mr-Hire: Platform,
-- HrPlatformAccount, JobPlatformPosting, QuizTemplate, CandidateQuizResponse,
-- VoiceInterview, VoiceInterviewMessage; journey 4): job posts published on
-- external job boards through linked HR accounts, candidate quizzes graded in
-- the database, voice interviews with an append-only transcript.  Each moves
-- its application along the `candidate` lifecycle, so no step is skipped.
-- The boards' APIs and the voice agent stay outside; their results land here.
--------------------------------------------------------------------------------

CREATE TABLE hr_platforms (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code       text NOT NULL CONSTRAINT hr_platforms_code_once UNIQUE
               CONSTRAINT hr_platforms_code_format CHECK (code ~ '^[a-z][a-z0-9_]{0,39}$'),
    name       text NOT NULL CONSTRAINT hr_platforms_name_length CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    active     boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE hr_platforms IS
    'External job boards (seed 001 Platform: linkedin, naukri, ...) that posts are published on; an inactive one takes '
    'no new postings';
CREATE TRIGGER hr_platforms_touch_updated_at BEFORE UPDATE ON hr_platforms
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE hr_platform_accounts (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    platform_id bigint NOT NULL REFERENCES hr_platforms ON DELETE CASCADE,
    account_ref text NOT NULL CONSTRAINT hr_platform_accounts_ref_length CHECK (length(btrim(account_ref)) BETWEEN 1 AND 200),
    connected   boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT hr_platform_accounts_once UNIQUE (platform_id, account_ref)
);
COMMENT ON TABLE hr_platform_accounts IS
    'A recruiter''s linked account on a job board (seed 001 HrPlatformAccount), once per board and account; its OAuth '
    'token is never stored here but encrypted by mentor.store_token(user_id, <board code>, ..., account_ref => '
    'account_ref), which keeps one token per user, provider and account';
COMMENT ON COLUMN hr_platform_accounts.connected IS 'false once the recruiter unlinks it: it takes no new postings';
CREATE INDEX hr_platform_accounts_user_idx ON hr_platform_accounts (user_id);
CREATE TRIGGER hr_platform_accounts_touch_updated_at BEFORE UPDATE ON hr_platform_accounts
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE job_platform_postings (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_post_id bigint NOT NULL REFERENCES job_posts ON DELETE CASCADE,
    account_id  bigint NOT NULL REFERENCES hr_platform_accounts ON DELETE CASCADE,
    status      text NOT NULL DEFAULT 'pending'
                CONSTRAINT job_platform_postings_status CHECK (status IN ('pending', 'posted', 'failed', 'removed')),
    external_id text,
    url         text CONSTRAINT job_platform_postings_url_http CHECK (url ~ '^https?://'),
    error       text CONSTRAINT job_platform_postings_error_length CHECK (length(error) <= 5000),
    attempts    integer NOT NULL DEFAULT 1,
    posted_at   timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT job_platform_postings_once UNIQUE (job_post_id, account_id),
    CONSTRAINT job_platform_postings_posted_has_id CHECK (status <> 'posted' OR external_id IS NOT NULL)
);
COMMENT ON TABLE job_platform_postings IS
    'A job post published on a board through an HR account (seed 001 JobPlatformPosting), once per post and account; '
    'status pending (queued by post_job), posted or failed (record_job_posting, what the board answered), removed '
    '(remove_job_posting); a failed or removed one is queued again by post_job';
CREATE INDEX job_platform_postings_pending_idx ON job_platform_postings (created_at) WHERE status = 'pending';
CREATE TRIGGER job_platform_postings_touch_updated_at BEFORE UPDATE ON job_platform_postings
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER job_platform_postings_owned
    BEFORE INSERT OR UPDATE OF status, external_id, url, error, attempts, posted_at ON job_platform_postings
    FOR EACH ROW EXECUTE FUNCTION _keep_owned_columns(
        'A posting moves through mentor.post_job(), record_job_posting() and remove_job_posting().',
        'status', 'external_id', 'url', 'error', 'attempts', 'posted_at');

CREATE FUNCTION post_job(job_post_id bigint, account_id bigint) RETURNS job_platform_postings
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    job  job_posts;
    acct record;
    p    job_platform_postings;
BEGIN
    -- The post's share lock: it is not closed while its posting is queued.
    SELECT * INTO job FROM job_posts j WHERE j.id = post_job.job_post_id FOR SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'job post % does not exist', coalesce(job_post_id::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
    IF job.status <> 'active' THEN
        RAISE EXCEPTION 'job post % is %, only an active post is published', job.id, job.status USING ERRCODE = 'MN006',
            HINT = 'Set the post''s status to active first.';
    END IF;
    SELECT a.id, a.connected, pl.code, pl.active INTO acct
      FROM hr_platform_accounts a JOIN hr_platforms pl ON pl.id = a.platform_id
     WHERE a.id = post_job.account_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'HR platform account % does not exist', coalesce(account_id::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
    IF NOT acct.connected OR NOT acct.active THEN
        RAISE EXCEPTION 'HR platform account % cannot publish: %', acct.id,
            CASE WHEN NOT acct.connected THEN 'it is disconnected' ELSE format('platform %s is inactive', acct.code) END
            USING ERRCODE = 'MN006', HINT = 'Link the account again or use another one.';
    END IF;
    INSERT INTO job_platform_postings AS x (job_post_id, account_id) VALUES (job.id, acct.id)
    ON CONFLICT ON CONSTRAINT job_platform_postings_once DO NOTHING
    RETURNING x.* INTO p;
    IF p.id IS NOT NULL THEN
        RETURN p;
    END IF;
    SELECT * INTO p FROM job_platform_postings x WHERE x.job_post_id = job.id AND x.account_id = acct.id FOR UPDATE;
    IF p.status IN ('failed', 'removed') THEN
        UPDATE job_platform_postings x SET status = 'pending', error = NULL, attempts = x.attempts + 1
         WHERE x.id = p.id RETURNING x.* INTO p;
    END IF;
    RETURN p;   -- pending or posted already: the same posting
END
$$;
COMMENT ON FUNCTION post_job(bigint, bigint) IS
    'Queues an active job post for publication through an HR account (pending); again: the same posting, a failed or '
    'removed one queued anew (attempts + 1). MN006 for a post that is not active or an account disconnected or on an '
    'inactive platform';

-- The posting locked for its move (P0002 when there is none).
CREATE FUNCTION _job_posting(posting_id bigint) RETURNS job_platform_postings
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    p job_platform_postings;
BEGIN
    SELECT * INTO p FROM job_platform_postings x WHERE x.id = posting_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'job posting % does not exist', coalesce(posting_id::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
    RETURN p;
END
$$;
COMMENT ON FUNCTION _job_posting(bigint) IS 'Internal: the job posting, locked for its move (P0002 when there is none)';

CREATE FUNCTION record_job_posting(posting_id bigint, external_id text DEFAULT NULL, url text DEFAULT NULL,
                                   error text DEFAULT NULL) RETURNS job_platform_postings
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    p job_platform_postings := _job_posting(posting_id);
BEGIN
    IF p.status = 'posted' AND record_job_posting.error IS NULL AND p.external_id = record_job_posting.external_id THEN
        RETURN p;   -- the board's answer delivered twice
    END IF;
    IF p.status <> 'pending' THEN
        RAISE EXCEPTION 'job posting % is %, not waiting for the board''s answer', p.id, p.status USING ERRCODE = 'MN006',
            HINT = 'Queue it again with mentor.post_job().';
    END IF;
    IF record_job_posting.error IS NULL AND (external_id IS NULL OR btrim(external_id) = '') THEN
        RAISE EXCEPTION 'a posting is recorded with the board''s id for it, or with an error' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    UPDATE job_platform_postings x
       SET status = CASE WHEN record_job_posting.error IS NULL THEN 'posted' ELSE 'failed' END,
           external_id = CASE WHEN record_job_posting.error IS NULL THEN record_job_posting.external_id END,
           url = CASE WHEN record_job_posting.error IS NULL THEN record_job_posting.url END,
           error = record_job_posting.error,
           posted_at = CASE WHEN record_job_posting.error IS NULL THEN now() END
     WHERE x.id = p.id RETURNING x.* INTO p;
    RETURN p;
END
$$;
COMMENT ON FUNCTION record_job_posting(bigint, text, text, text) IS
    'Records what the board answered for a pending posting: posted with its external_id (and url), or failed with the '
    'error; the same success twice returns the posting. MN006 for a posting not pending';

CREATE FUNCTION remove_job_posting(posting_id bigint) RETURNS job_platform_postings
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    p job_platform_postings := _job_posting(posting_id);
BEGIN
    IF p.status IN ('pending', 'posted') THEN
        UPDATE job_platform_postings x SET status = 'removed' WHERE x.id = p.id RETURNING x.* INTO p;
    END IF;
    RETURN p;
END
$$;
COMMENT ON FUNCTION remove_job_posting(bigint) IS
    'Takes a posting off its board (removed; a failed or removed one stays as it is)';

-- Candidate quizzes (seed 001 QuizTemplate, CandidateQuizResponse): questions come from the
-- question bank and are graded like the learners' quizzes, by _grade_answers().
CREATE TABLE quiz_templates (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name               text NOT NULL CONSTRAINT quiz_templates_name_length CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    role               text,
    description        text CONSTRAINT quiz_templates_description_length CHECK (length(description) <= 5000),
    pass_percent       numeric(5,2) NOT NULL DEFAULT 60
                       CONSTRAINT quiz_templates_pass_range CHECK (pass_percent BETWEEN 0 AND 100),
    time_limit_minutes integer NOT NULL DEFAULT 30
                       CONSTRAINT quiz_templates_time_limit_range CHECK (time_limit_minutes BETWEEN 1 AND 1440),
    active             boolean NOT NULL DEFAULT true,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE quiz_templates IS
    'Screening quizzes for candidates (seed 001 QuizTemplate): a role, the pass mark in percent, the time a candidate '
    'has once started; its questions are in quiz_template_questions';
CREATE UNIQUE INDEX quiz_templates_name_once ON quiz_templates (lower(name));
CREATE TRIGGER quiz_templates_touch_updated_at BEFORE UPDATE ON quiz_templates
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE quiz_template_questions (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    template_id bigint NOT NULL REFERENCES quiz_templates ON DELETE CASCADE,
    question_id bigint NOT NULL REFERENCES questions ON DELETE RESTRICT,
    position    integer NOT NULL DEFAULT 0,
    CONSTRAINT quiz_template_questions_once UNIQUE (template_id, question_id)
);
COMMENT ON TABLE quiz_template_questions IS 'The bank questions of a candidate quiz template, in position order';

CREATE TABLE candidate_quiz_responses (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    application_id bigint NOT NULL REFERENCES job_applications ON DELETE CASCADE,
    template_id    bigint NOT NULL REFERENCES quiz_templates ON DELETE RESTRICT,
    invited_at     timestamptz NOT NULL DEFAULT now(),
    expires_at     timestamptz NOT NULL,
    started_at     timestamptz,
    deadline       timestamptz,
    submitted_at   timestamptz,
    answers        jsonb,
    score          numeric(8,2),
    max_score      numeric(8,2),
    percent        numeric(5,2),
    passed         boolean,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT candidate_quiz_responses_once UNIQUE (application_id, template_id)
);
COMMENT ON TABLE candidate_quiz_responses IS
    'A candidate''s quiz (seed 001 CandidateQuizResponse), once per application and template: invited '
    '(invite_candidate_quiz), started (start_candidate_quiz: the time limit runs), submitted and graded '
    '(submit_candidate_quiz); written only by those functions';
COMMENT ON COLUMN candidate_quiz_responses.expires_at IS 'Until when the invitation may be started';
COMMENT ON COLUMN candidate_quiz_responses.deadline IS 'started_at + the template''s time limit: a later submission is MN008';
COMMENT ON COLUMN candidate_quiz_responses.passed IS 'percent >= the template''s pass_percent';
CREATE TRIGGER candidate_quiz_responses_touch_updated_at BEFORE UPDATE ON candidate_quiz_responses
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER candidate_quiz_responses_owned
    BEFORE INSERT OR UPDATE ON candidate_quiz_responses
    FOR EACH ROW EXECUTE FUNCTION _keep_owned_columns(
        'Candidate quizzes move through mentor.invite_candidate_quiz(), start_candidate_quiz() and submit_candidate_quiz().',
        'application_id', 'template_id', 'invited_at', 'expires_at', 'started_at', 'deadline', 'submitted_at', 'answers',
        'score', 'max_score', 'percent', 'passed');

-- The application's row lock serialises its moves; a step it is past already is left alone.
CREATE FUNCTION _job_application_to(application_id bigint, VARIADIC path candidate_status[]) RETURNS job_applications
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    a    job_applications;
    i    integer;
    from_i integer;
BEGIN
    SELECT * INTO a FROM job_applications x WHERE x.id = _job_application_to.application_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'job application % does not exist', coalesce(application_id::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
    -- Walk the path from where the application is on it.  Off the path, only its last step is
    -- tried, so the lifecycle says MN001 with the allowed next states (the first step is where
    -- the path starts, never taken: an application not parsed is not marked parsed here).
    from_i := coalesce(array_position(path, a.status) + 1, array_length(path, 1));
    FOR i IN from_i .. coalesce(array_length(path, 1), 0) LOOP
        UPDATE job_applications x SET status = path[i] WHERE x.id = a.id RETURNING x.* INTO a;
    END LOOP;
    RETURN a;
END
$$;
COMMENT ON FUNCTION _job_application_to(bigint, candidate_status[]) IS
    'Internal: locks an application and moves it along path (its first element the status it starts from) from where '
    'it stands; off the path, MN001 from the lifecycle; P0002 when there is none';

CREATE FUNCTION invite_candidate_quiz(application_id bigint, template_id bigint, valid_for interval DEFAULT '7 days')
RETURNS candidate_quiz_responses
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    a job_applications;
    r candidate_quiz_responses;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM quiz_templates t JOIN quiz_template_questions q ON q.template_id = t.id
                    WHERE t.id = invite_candidate_quiz.template_id AND t.active) THEN
        RAISE EXCEPTION 'quiz template % is not an active template with questions', coalesce(template_id::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Add bank questions in mentor.quiz_template_questions.';
    END IF;
    IF valid_for IS NULL OR valid_for <= interval '0' THEN
        RAISE EXCEPTION 'an invitation is valid for a positive time, not %', coalesce(valid_for::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT * INTO r FROM candidate_quiz_responses x
     WHERE x.application_id = invite_candidate_quiz.application_id AND x.template_id = invite_candidate_quiz.template_id;
    IF FOUND THEN
        RETURN r;   -- invited already
    END IF;
    -- A parsed application is reached out to and invited in one step (journey 4).
    a := _job_application_to(application_id, 'resume_parsed', 'outreach_sent', 'quiz_invited');
    INSERT INTO candidate_quiz_responses AS x (application_id, template_id, expires_at)
    VALUES (a.id, template_id, now() + valid_for)
    ON CONFLICT ON CONSTRAINT candidate_quiz_responses_once DO NOTHING
    RETURNING x.* INTO r;
    IF r.id IS NULL THEN
        SELECT * INTO r FROM candidate_quiz_responses x WHERE x.application_id = a.id AND x.template_id = invite_candidate_quiz.template_id;
    END IF;
    RETURN r;
END
$$;
COMMENT ON FUNCTION invite_candidate_quiz(bigint, bigint, interval) IS
    'Invites a candidate to a quiz template (valid 7 days unless given): a parsed application moves to outreach_sent '
    'and quiz_invited (MN001 from a status the candidate lifecycle does not lead on from); again: the same invitation; '
    '22023 for a template inactive or without questions';

-- The candidate quiz locked for its move: a second submission waits, then finds it submitted.
CREATE FUNCTION _candidate_quiz(response_id bigint) RETURNS candidate_quiz_responses
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    r candidate_quiz_responses;
BEGIN
    SELECT * INTO r FROM candidate_quiz_responses x WHERE x.id = response_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'candidate quiz % does not exist', coalesce(response_id::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
    RETURN r;
END
$$;
COMMENT ON FUNCTION _candidate_quiz(bigint) IS 'Internal: the candidate quiz, locked for its move (P0002 when there is none)';

CREATE FUNCTION start_candidate_quiz(response_id bigint) RETURNS candidate_quiz_responses
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    r candidate_quiz_responses := _candidate_quiz(response_id);
BEGIN
    IF r.started_at IS NOT NULL THEN
        RETURN r;   -- started already: the clock is not reset
    END IF;
    IF r.expires_at < now() THEN
        RAISE EXCEPTION 'the invitation to candidate quiz % expired at %', r.id, r.expires_at USING ERRCODE = 'MN008',
            HINT = 'The hiring team may invite the candidate to another template.';
    END IF;
    UPDATE candidate_quiz_responses x
       SET started_at = now(),
           deadline = now() + make_interval(mins => (SELECT t.time_limit_minutes FROM quiz_templates t WHERE t.id = x.template_id))
     WHERE x.id = r.id RETURNING x.* INTO r;
    RETURN r;
END
$$;
COMMENT ON FUNCTION start_candidate_quiz(bigint) IS
    'The candidate opens their quiz: the template''s time limit starts (deadline); again: unchanged. MN008 after the '
    'invitation expired';

CREATE FUNCTION submit_candidate_quiz(response_id bigint, answers jsonb) RETURNS candidate_quiz_responses
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    r   candidate_quiz_responses := _candidate_quiz(response_id);
    g   record;
    bar numeric;
BEGIN
    IF r.submitted_at IS NOT NULL THEN
        RAISE EXCEPTION 'candidate quiz % was submitted at %', r.id, r.submitted_at USING ERRCODE = 'MN006';
    END IF;
    IF r.started_at IS NULL THEN
        RAISE EXCEPTION 'candidate quiz % is not started', r.id USING ERRCODE = 'MN006',
            HINT = 'Call mentor.start_candidate_quiz() when the candidate opens it.';
    END IF;
    IF r.deadline < now() THEN
        RAISE EXCEPTION 'the time of candidate quiz % ran out at %', r.id, r.deadline USING ERRCODE = 'MN008';
    END IF;
    g := _grade_answers(ARRAY(SELECT q.question_id FROM quiz_template_questions q WHERE q.template_id = r.template_id),
                        answers, format('quiz template %s', r.template_id));
    SELECT t.pass_percent INTO bar FROM quiz_templates t WHERE t.id = r.template_id;
    UPDATE candidate_quiz_responses x
       SET submitted_at = now(), answers = submit_candidate_quiz.answers, score = g.got, max_score = g.total,
           percent = round(100 * g.got / nullif(g.total, 0), 2),
           passed = coalesce(100 * g.got / nullif(g.total, 0), 0) >= bar
     WHERE x.id = r.id RETURNING x.* INTO r;
    -- The application has completed its quizzes when none it was invited to is left open.
    IF NOT EXISTS (SELECT 1 FROM candidate_quiz_responses x WHERE x.application_id = r.application_id AND x.submitted_at IS NULL) THEN
        PERFORM _job_application_to(r.application_id, 'quiz_invited', 'quiz_completed');
    END IF;
    RETURN r;
END
$$;
COMMENT ON FUNCTION submit_candidate_quiz(bigint, jsonb) IS
    'Submits a started candidate quiz ({"<question id>": answer}, as for learners'' quizzes), graded in the database: '
    'score, percent, passed; the application moves to quiz_completed once no quiz it was invited to is open. MN006 '
    'when not started or submitted already (also for a racing second submission), MN008 past the deadline, 22023 for '
    'answers to questions not in the template';

-- Voice interviews (seed 001 VoiceInterview, VoiceInterviewMessage): the AI agent's call is
-- outside; its schedule, outcome and transcript are here.
CREATE TABLE voice_interviews (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    application_id   bigint NOT NULL REFERENCES job_applications ON DELETE CASCADE,
    status           text NOT NULL DEFAULT 'scheduled' CONSTRAINT voice_interviews_status
                     CHECK (status IN ('scheduled', 'in_progress', 'completed', 'failed', 'cancelled')),
    provider         text,
    provider_call_id text,
    scheduled_at     timestamptz NOT NULL,
    started_at       timestamptz,
    ended_at         timestamptz,
    score            numeric(5,2) CONSTRAINT voice_interviews_score_range CHECK (score BETWEEN 0 AND 100),
    summary          text CONSTRAINT voice_interviews_summary_length CHECK (length(summary) <= 20000),
    recording_url    text CONSTRAINT voice_interviews_recording_url_http CHECK (recording_url ~ '^https?://'),
    failure_reason   text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE voice_interviews IS
    'An AI voice interview of a candidate (seed 001 VoiceInterview): scheduled, in_progress, then completed (score, '
    'summary), failed or cancelled; at most one scheduled or in progress per application; moved only by '
    'schedule_voice_interview, start_voice_interview, complete_voice_interview and end_voice_interview';
CREATE UNIQUE INDEX voice_interviews_live_once ON voice_interviews (application_id)
    WHERE status IN ('scheduled', 'in_progress');
CREATE TRIGGER voice_interviews_touch_updated_at BEFORE UPDATE ON voice_interviews
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER voice_interviews_owned BEFORE INSERT OR UPDATE ON voice_interviews
    FOR EACH ROW EXECUTE FUNCTION _keep_owned_columns(
        'A voice interview moves through mentor.schedule_voice_interview(), start_voice_interview(), '
        'complete_voice_interview() and end_voice_interview().',
        'application_id', 'status', 'started_at', 'ended_at', 'score', 'summary', 'recording_url', 'failure_reason');

CREATE FUNCTION _voice_interview(interview_id bigint, action text, VARIADIC allowed text[]) RETURNS voice_interviews
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    v voice_interviews;
BEGIN
    SELECT * INTO v FROM voice_interviews x WHERE x.id = interview_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'voice interview % does not exist', coalesce(interview_id::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
    IF NOT v.status = ANY (allowed) THEN
        RAISE EXCEPTION 'voice interview % is %, it cannot be %', v.id, v.status, action USING ERRCODE = 'MN006',
            HINT = format('Only an interview that is %s can be %s.', array_to_string(allowed, ' or '), action);
    END IF;
    RETURN v;
END
$$;
COMMENT ON FUNCTION _voice_interview(bigint, text, text[]) IS
    'Internal: the voice interview, locked, when its status is one the move starts from (MN006 otherwise, P0002 when none)';

CREATE FUNCTION schedule_voice_interview(application_id bigint, scheduled_at timestamptz, provider text DEFAULT NULL)
RETURNS voice_interviews
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    a job_applications;
    v voice_interviews;
BEGIN
    IF scheduled_at IS NULL THEN
        RAISE EXCEPTION 'a voice interview needs its time' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    a := _job_application_to(application_id, 'quiz_completed', 'voice_interview_scheduled');
    SELECT * INTO v FROM voice_interviews x WHERE x.application_id = a.id AND x.status IN ('scheduled', 'in_progress');
    IF FOUND THEN
        RAISE EXCEPTION 'job application % has voice interview % %', a.id, v.id, replace(v.status, '_', ' ')
            USING ERRCODE = 'MN006', HINT = 'Complete or end it with mentor.end_voice_interview() first.';
    END IF;
    INSERT INTO voice_interviews AS x (application_id, scheduled_at, provider)
    VALUES (a.id, schedule_voice_interview.scheduled_at, schedule_voice_interview.provider)
    RETURNING x.* INTO v;
    RETURN v;
END
$$;
COMMENT ON FUNCTION schedule_voice_interview(bigint, timestamptz, text) IS
    'Schedules a voice interview of a candidate whose quizzes are completed (the application moves to '
    'voice_interview_scheduled; MN001 from a status the candidate lifecycle does not lead on from); after a failed or '
    'cancelled one, schedules another. MN006 while one is scheduled or in progress';

CREATE FUNCTION start_voice_interview(interview_id bigint, provider_call_id text DEFAULT NULL) RETURNS voice_interviews
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    v voice_interviews := _voice_interview(interview_id, 'started', 'scheduled');
BEGIN
    UPDATE voice_interviews x SET status = 'in_progress', started_at = now(),
           provider_call_id = coalesce(start_voice_interview.provider_call_id, x.provider_call_id)
     WHERE x.id = v.id RETURNING x.* INTO v;
    RETURN v;
END
$$;
COMMENT ON FUNCTION start_voice_interview(bigint, text) IS
    'The agent''s call begins: scheduled -> in_progress (MN006 from any other status), with the provider''s call id';

CREATE FUNCTION complete_voice_interview(interview_id bigint, score numeric, summary text DEFAULT NULL,
                                         recording_url text DEFAULT NULL) RETURNS voice_interviews
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    v voice_interviews := _voice_interview(interview_id, 'completed', 'in_progress');
BEGIN
    IF score IS NULL OR score < 0 OR score > 100 THEN
        RAISE EXCEPTION 'voice interview score % is out of range', coalesce(score::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Scores go from 0 to 100.';
    END IF;
    UPDATE voice_interviews x
       SET status = 'completed', ended_at = now(), score = complete_voice_interview.score,
           summary = complete_voice_interview.summary, recording_url = complete_voice_interview.recording_url
     WHERE x.id = v.id RETURNING x.* INTO v;
    PERFORM _job_application_to(v.application_id, 'voice_interview_scheduled', 'voice_interview_completed');
    RETURN v;
END
$$;
COMMENT ON FUNCTION complete_voice_interview(bigint, numeric, text, text) IS
    'The call ended with an outcome: in_progress -> completed with its score (0-100, 22023 otherwise), summary and '
    'recording; the application moves to voice_interview_completed, ready for record_screening. MN006 from any other status';

CREATE FUNCTION end_voice_interview(interview_id bigint, outcome text, reason text DEFAULT NULL) RETURNS voice_interviews
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    v voice_interviews;
BEGIN
    IF outcome IS NULL OR outcome NOT IN ('failed', 'cancelled') THEN
        RAISE EXCEPTION 'an interview ends failed or cancelled, not %', coalesce(outcome, 'NULL')
            USING ERRCODE = 'invalid_parameter_value', HINT = 'A finished call is recorded by mentor.complete_voice_interview().';
    END IF;
    -- A call that began can fail, not be cancelled.
    v := CASE outcome WHEN 'failed' THEN _voice_interview(interview_id, outcome, 'scheduled', 'in_progress')
                      ELSE _voice_interview(interview_id, outcome, 'scheduled') END;
    UPDATE voice_interviews x SET status = outcome, ended_at = now(), failure_reason = reason
     WHERE x.id = v.id RETURNING x.* INTO v;
    RETURN v;
END
$$;
COMMENT ON FUNCTION end_voice_interview(bigint, text, text) IS
    'Ends an interview without an outcome: failed (scheduled or in progress) or cancelled (scheduled only), with the '
    'reason; the application stays voice_interview_scheduled for another. MN006 from any other status';

CREATE TABLE voice_interview_messages (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    interview_id bigint NOT NULL REFERENCES voice_interviews ON DELETE CASCADE,
    turn         integer NOT NULL CONSTRAINT voice_interview_messages_turn_positive CHECK (turn >= 1),
    speaker      text NOT NULL CONSTRAINT voice_interview_messages_speaker CHECK (speaker IN ('agent', 'candidate')),
    body         text NOT NULL CONSTRAINT voice_interview_messages_body_length CHECK (length(body) BETWEEN 1 AND 20000),
    spoken_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT voice_interview_messages_turn_once UNIQUE (interview_id, turn)
);
COMMENT ON TABLE voice_interview_messages IS
    'The transcript of a voice interview (seed 001 VoiceInterviewMessage), one row per turn: append-only (nobody '
    'updates or deletes a turn; they go with their interview), added only while the interview is scheduled or in '
    'progress (MN006); kept out of history, being never changed';

CREATE FUNCTION _voice_interview_message_open() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    st text;
BEGIN
    -- The interview's share lock: it does not complete while a turn is being added.
    SELECT v.status INTO st FROM voice_interviews v WHERE v.id = NEW.interview_id FOR SHARE;
    IF st IS NOT NULL AND st NOT IN ('scheduled', 'in_progress') THEN
        RAISE EXCEPTION 'voice interview % is %, its transcript is closed', NEW.interview_id, st USING ERRCODE = 'MN006';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION _voice_interview_message_open() IS 'Internal: a transcript turn is added only to an interview not ended';
CREATE TRIGGER voice_interview_messages_open BEFORE INSERT ON voice_interview_messages
    FOR EACH ROW EXECUTE FUNCTION _voice_interview_message_open();

--------------------------------------------------------------------------------
-- Module crm: seed 001's sales CRM (RawLead and everything that hangs off it;
-- journeys 5 and 7).  Leads arrive from imports, webinars and vendors and are
-- kept once per phone number and session year: a second arrival merges into
-- the first.  Assignment goes through assign_lead (the assignee is checked,
-- the history written, the owning head's approval asked where required);
-- follow-ups are a work queue (module queue); every call and message is
-- logged against the lead, and the activity timeline is append-only.
--------------------------------------------------------------------------------

CREATE TYPE lead_status AS ENUM ('active', 'archived', 'deleted');
COMMENT ON TYPE lead_status IS 'Lead status (lifecycle "lead")';

INSERT INTO settings (key, shipped, value, description) VALUES
    ('crm.default_country_code', true, '"91"',
     'Country calling code of a phone number written without one (seed 001 sells in India)'),
    ('crm.session_year', true, 'null',
     'The session year a lead is filed under when none is given ("2026" or "2026-27"); null: the current year'),
    ('crm.follow_up_max_attempts', true, '3', 'Claims of a follow-up before it is failed (a lease that runs out counts)');

-- E.164 from what people type, in C (src/core/phone.c): spaces, dots, dashes and
-- brackets go; "+" or "00" starts an international number; anything else is a
-- national number of the default country (its trunk 0 dropped), unless it is longer
-- than a national number and already starts with that country's code.
CREATE FUNCTION normalize_phone(phone text, country_code text DEFAULT NULL) RETURNS text
    AS 'MODULE_PATHNAME', 'mn_normalize_phone' LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION normalize_phone(text, text) IS
    'A phone number as E.164 (+919876543210): separators dropped, "+" or "00" for an international number, else the '
    'country code (default crm.default_country_code) put in front; 22023 naming the number when it cannot be read';

CREATE TABLE lead_tags (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       citext NOT NULL CONSTRAINT lead_tags_name_once UNIQUE
               CONSTRAINT lead_tags_name_length CHECK (length(btrim(name)) BETWEEN 1 AND 60),
    color      text CONSTRAINT lead_tags_color_format CHECK (color ~ '^#[0-9a-fA-F]{6}$'),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE lead_tags IS 'Labels of leads (seed 001 LeadTag), one per name in any case';
CREATE TRIGGER lead_tags_touch_updated_at BEFORE UPDATE ON lead_tags FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE lead_import_batches (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL CONSTRAINT lead_import_batches_name_length CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    source      text NOT NULL DEFAULT 'import',
    uploaded_by bigint REFERENCES users ON DELETE SET NULL,
    total_rows  integer NOT NULL DEFAULT 0,
    inserted    integer NOT NULL DEFAULT 0,
    merged      integer NOT NULL DEFAULT 0,
    rejected    integer NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE lead_import_batches IS
    'One bulk import of leads (seed 001 LeadImportBatch), written by mentor.import_leads with its counts; each row''s '
    'result is in lead_import_rows';
CREATE TRIGGER lead_import_batches_touch_updated_at BEFORE UPDATE ON lead_import_batches
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER lead_import_batches_owned BEFORE INSERT OR UPDATE ON lead_import_batches
    FOR EACH ROW EXECUTE FUNCTION _keep_owned_columns('An import''s counts are kept by mentor.import_leads().',
                                                      'total_rows', 'inserted', 'merged', 'rejected');

CREATE TABLE raw_leads (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_year         text NOT NULL CONSTRAINT raw_leads_session_year_format CHECK (session_year ~ '^[0-9]{4}(-[0-9]{2,4})?$'),
    name                 text CONSTRAINT raw_leads_name_length CHECK (length(name) <= 200),
    phone                text NOT NULL CONSTRAINT raw_leads_phone_e164 CHECK (phone ~ '^\+[1-9][0-9]{7,14}$'),
    email                @extschema@.email,
    interest_level       text NOT NULL DEFAULT 'unknown'
                         CONSTRAINT raw_leads_interest_level CHECK (interest_level IN ('hot', 'warm', 'cold', 'unknown')),
    webinar_status       text NOT NULL DEFAULT 'not_registered'
                         CONSTRAINT raw_leads_webinar_status CHECK (webinar_status IN ('not_registered', 'registered', 'attended', 'missed')),
    source               text NOT NULL DEFAULT 'manual'
                         CONSTRAINT raw_leads_source CHECK (source IN ('manual', 'import', 'webinar', 'vendor', 'campaign', 'referral')),
    import_batch_id      bigint REFERENCES lead_import_batches ON DELETE SET NULL,
    batch_id             bigint REFERENCES batches ON DELETE SET NULL,
    extra_data           jsonb NOT NULL DEFAULT '{}' CONSTRAINT raw_leads_extra_object CHECK (jsonb_typeof(extra_data) = 'object'),
    assigned_to          bigint REFERENCES users ON DELETE SET NULL,
    assigned_at          timestamptz,
    owning_sales_head_id bigint REFERENCES users ON DELETE SET NULL,
    status               @extschema@.lead_status NOT NULL DEFAULT 'active',
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT raw_leads_phone_once UNIQUE (session_year, phone)
);
COMMENT ON TABLE raw_leads IS
    'The CRM''s leads (seed 001 RawLead, the CRM spine): one per phone number and session year (23505 names '
    'raw_leads_phone_once; imports and vendor intake merge instead); assigned through mentor.assign_lead';
COMMENT ON COLUMN raw_leads.phone IS 'E.164; whatever is written is normalised by mentor.normalize_phone first (22023 if unreadable)';
COMMENT ON COLUMN raw_leads.session_year IS 'The admission season the lead belongs to ("2026" or "2026-27")';
COMMENT ON COLUMN raw_leads.extra_data IS 'What the source sent beyond the known fields (a JSON object; merges add keys)';
COMMENT ON COLUMN raw_leads.batch_id IS 'The cohort the lead is interested in (assign_batch_leads spreads a batch''s leads)';
COMMENT ON COLUMN raw_leads.assigned_to IS 'The salesperson working it; set by mentor.assign_lead only';
COMMENT ON COLUMN raw_leads.owning_sales_head_id IS 'The sales head it belongs to; assignments need their approval when their profile says so';
COMMENT ON COLUMN raw_leads.status IS 'Lifecycle lead: active, archived (can come back), deleted (final)';
-- By lower(): functions run with the extension's search_path, where citext's own
-- operators (in citext's schema) are not visible and email = email compares as text.
CREATE INDEX raw_leads_email_idx ON raw_leads (session_year, lower(email::text)) WHERE email IS NOT NULL;
CREATE INDEX raw_leads_assignee_idx ON raw_leads (assigned_to) WHERE assigned_to IS NOT NULL;
CREATE INDEX raw_leads_batch_idx ON raw_leads (batch_id) WHERE batch_id IS NOT NULL;
CREATE INDEX raw_leads_head_idx ON raw_leads (owning_sales_head_id) WHERE owning_sales_head_id IS NOT NULL;
CREATE TRIGGER raw_leads_touch_updated_at BEFORE UPDATE ON raw_leads FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER raw_leads_owned BEFORE INSERT OR UPDATE ON raw_leads
    FOR EACH ROW EXECUTE FUNCTION _keep_owned_columns('A lead is assigned with mentor.assign_lead().', 'assigned_to', 'assigned_at');
SELECT attach_lifecycle('raw_leads', 'status', 'lead');

CREATE FUNCTION _raw_lead_normalize() RETURNS trigger
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    NEW.phone := normalize_phone(NEW.phone);
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION _raw_lead_normalize() IS 'Internal: a lead''s phone is stored as E.164';
-- Only a phone not in E.164 already calls it (imports and vendor intake normalise first).
CREATE TRIGGER raw_leads_normalize BEFORE INSERT OR UPDATE OF phone ON raw_leads
    FOR EACH ROW WHEN (NEW.phone !~ '^\+[1-9][0-9]{7,14}$') EXECUTE FUNCTION _raw_lead_normalize();

CREATE TABLE raw_lead_tags (
    lead_id    bigint NOT NULL REFERENCES raw_leads ON DELETE CASCADE,
    tag_id     bigint NOT NULL REFERENCES lead_tags ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (lead_id, tag_id)
);
COMMENT ON TABLE raw_lead_tags IS 'Which tags a lead carries (seed 001''s RawLead-LeadTag many-to-many)';
CREATE INDEX raw_lead_tags_tag_idx ON raw_lead_tags (tag_id);

CREATE TABLE lead_import_rows (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    batch_id   bigint NOT NULL REFERENCES lead_import_batches ON DELETE CASCADE,
    row_number integer NOT NULL,
    outcome    text NOT NULL CONSTRAINT lead_import_rows_outcome CHECK (outcome IN ('inserted', 'merged', 'rejected')),
    lead_id    bigint REFERENCES raw_leads ON DELETE SET NULL,
    reason     text,
    data       jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT lead_import_rows_once UNIQUE (batch_id, row_number),
    CONSTRAINT lead_import_rows_reason CHECK ((outcome = 'rejected') = (reason IS NOT NULL))
);
COMMENT ON TABLE lead_import_rows IS
    'The result of each row of an import: inserted (a new lead), merged (into the lead with its phone or email) or '
    'rejected (with the reason, such as an unreadable phone)';

-- The activity timeline: appended to by the CRM's functions and triggers, never changed.
CREATE TABLE lead_activity (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    lead_id      bigint NOT NULL REFERENCES raw_leads ON DELETE CASCADE,
    kind         text NOT NULL CONSTRAINT lead_activity_kind_format CHECK (kind ~ '^[a-z][a-z0-9_]{0,39}$'),
    detail       jsonb NOT NULL DEFAULT '{}' CONSTRAINT lead_activity_detail_object CHECK (jsonb_typeof(detail) = 'object'),
    performed_by bigint REFERENCES users ON DELETE SET NULL,
    at           timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE lead_activity IS
    'A lead''s timeline (seed 001 LeadActivityLog): created, merged, assigned, status, call, sms, email, whatsapp, '
    'follow_up_done and what the application adds; append-only (a lead''s deletion removes its own)';
COMMENT ON COLUMN lead_activity.performed_by IS 'The acting user (mentor.current_actor()) when it was written';
CREATE INDEX lead_activity_lead_idx ON lead_activity (lead_id, at);

CREATE FUNCTION _lead_activity_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP = 'DELETE' AND NOT EXISTS (SELECT 1 FROM raw_leads l WHERE l.id = OLD.lead_id) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'lead activity cannot be changed or removed' USING ERRCODE = 'insufficient_privilege',
        DETAIL = 'lead_activity is an append-only timeline; deleting a lead removes its own.';
END
$$;
COMMENT ON FUNCTION _lead_activity_guard() IS 'Internal: keeps lead_activity append-only (but for a deleted lead''s)';
CREATE TRIGGER lead_activity_append_only BEFORE UPDATE OR DELETE ON lead_activity
    FOR EACH ROW EXECUTE FUNCTION _lead_activity_guard();
CREATE TRIGGER lead_activity_no_truncate BEFORE TRUNCATE ON lead_activity
    FOR EACH STATEMENT EXECUTE FUNCTION _lead_activity_guard();

-- PL/pgSQL, not SQL: its INSERT's plan is kept between calls (a SQL function with SET is planned on each).
CREATE FUNCTION _lead_log(lead_id bigint, kind text, detail jsonb DEFAULT '{}') RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO lead_activity (lead_id, kind, detail, performed_by) VALUES (lead_id, kind, detail, current_actor());
END
$$;
COMMENT ON FUNCTION _lead_log(bigint, text, jsonb) IS 'Internal: appends to a lead''s timeline as the acting user';

-- The timeline writes itself for what the database sees happen.
CREATE FUNCTION _raw_lead_logged() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    -- The INSERTs written out rather than through _lead_log: every lead passes here.
    IF TG_OP = 'INSERT' THEN
        INSERT INTO lead_activity (lead_id, kind, detail, performed_by)
        VALUES (NEW.id, 'created', jsonb_build_object('source', NEW.source), current_actor());
    ELSIF NEW.status IS DISTINCT FROM OLD.status THEN
        INSERT INTO lead_activity (lead_id, kind, detail, performed_by)
        VALUES (NEW.id, 'status', jsonb_build_object('from', OLD.status, 'to', NEW.status), current_actor());
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION _raw_lead_logged() IS 'Internal: a lead''s creation and status changes go on its timeline';
CREATE TRIGGER raw_leads_logged AFTER INSERT OR UPDATE OF status ON raw_leads
    FOR EACH ROW EXECUTE FUNCTION _raw_lead_logged();

-- Calls and messages: one table per medium, as seed 001 has them.
CREATE TABLE lead_call_logs (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    lead_id          bigint NOT NULL REFERENCES raw_leads ON DELETE CASCADE,
    user_id          bigint REFERENCES users ON DELETE SET NULL,
    direction        text NOT NULL DEFAULT 'outbound' CONSTRAINT lead_call_logs_direction CHECK (direction IN ('inbound', 'outbound')),
    outcome          text NOT NULL CONSTRAINT lead_call_logs_outcome
                     CHECK (outcome IN ('connected', 'no_answer', 'busy', 'voicemail', 'wrong_number', 'callback_requested', 'not_interested')),
    source           text NOT NULL DEFAULT 'manual' CONSTRAINT lead_call_logs_source CHECK (source IN ('manual', 'exotel', 'aarya', 'other')),
    provider_ref     text,
    duration_seconds integer CONSTRAINT lead_call_logs_duration_nonneg CHECK (duration_seconds >= 0),
    recording_url    text CONSTRAINT lead_call_logs_recording_http CHECK (recording_url ~ '^https?://'),
    notes            text CONSTRAINT lead_call_logs_notes_length CHECK (length(notes) <= 5000),
    called_at        timestamptz NOT NULL DEFAULT now(),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE lead_call_logs IS
    'Calls with a lead (seed 001 LeadCallLog, Exotel''s and the Aarya agent''s included): outcome, source, the '
    'provider''s call id; each one goes on the lead''s timeline';
COMMENT ON COLUMN lead_call_logs.provider_ref IS 'The telephony provider''s id of the call (unique per source)';
CREATE UNIQUE INDEX lead_call_logs_provider_once ON lead_call_logs (source, provider_ref) WHERE provider_ref IS NOT NULL;
CREATE INDEX lead_call_logs_lead_idx ON lead_call_logs (lead_id, called_at);
CREATE TRIGGER lead_call_logs_touch_updated_at BEFORE UPDATE ON lead_call_logs FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE lead_message_logs (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    lead_id      bigint NOT NULL REFERENCES raw_leads ON DELETE CASCADE,
    user_id      bigint REFERENCES users ON DELETE SET NULL,
    channel      text NOT NULL CONSTRAINT lead_message_logs_channel CHECK (channel IN ('sms', 'email', 'whatsapp')),
    direction    text NOT NULL DEFAULT 'outbound' CONSTRAINT lead_message_logs_direction CHECK (direction IN ('inbound', 'outbound')),
    status       text NOT NULL DEFAULT 'sent'
                 CONSTRAINT lead_message_logs_status CHECK (status IN ('queued', 'sent', 'delivered', 'read', 'opened', 'clicked', 'failed', 'received')),
    subject      text CONSTRAINT lead_message_logs_subject_length CHECK (length(subject) <= 500),
    body         text CONSTRAINT lead_message_logs_body_length CHECK (length(body) <= 20000),
    provider     text,
    provider_ref text,
    error        text,
    sent_at      timestamptz NOT NULL DEFAULT now(),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE lead_message_logs IS
    'SMS, email and WhatsApp messages with a lead (seed 001 LeadSmsLog, LeadEmailLog, LeadWhatsAppLog; those three '
    'names are views over it): status as the provider reports it, the provider''s message id';
COMMENT ON COLUMN lead_message_logs.provider_ref IS 'The provider''s id of the message (unique per channel and provider)';
CREATE UNIQUE INDEX lead_message_logs_provider_once ON lead_message_logs (channel, provider, provider_ref) WHERE provider_ref IS NOT NULL;
CREATE INDEX lead_message_logs_lead_idx ON lead_message_logs (lead_id, sent_at);
CREATE TRIGGER lead_message_logs_touch_updated_at BEFORE UPDATE ON lead_message_logs FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE VIEW lead_sms_logs AS
SELECT id, lead_id, user_id, direction, status, body, provider, provider_ref, error, sent_at, created_at, updated_at
  FROM lead_message_logs WHERE channel = 'sms';
COMMENT ON VIEW lead_sms_logs IS 'SMS with leads (seed 001 LeadSmsLog): lead_message_logs where channel = ''sms''';
CREATE VIEW lead_email_logs AS
SELECT id, lead_id, user_id, direction, status, subject, body, provider, provider_ref, error, sent_at, created_at, updated_at
  FROM lead_message_logs WHERE channel = 'email';
COMMENT ON VIEW lead_email_logs IS 'Emails with leads (seed 001 LeadEmailLog): lead_message_logs where channel = ''email''';
CREATE VIEW lead_whatsapp_logs AS
SELECT id, lead_id, user_id, direction, status, body, provider, provider_ref, error, sent_at, created_at, updated_at
  FROM lead_message_logs WHERE channel = 'whatsapp';
COMMENT ON VIEW lead_whatsapp_logs IS 'WhatsApp messages with leads (seed 001 LeadWhatsAppLog): lead_message_logs where channel = ''whatsapp''';

CREATE FUNCTION _lead_contact_logged() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_TABLE_NAME = 'lead_call_logs' THEN
        PERFORM _lead_log(NEW.lead_id, 'call', jsonb_build_object('call_id', NEW.id, 'outcome', NEW.outcome, 'source', NEW.source));
    ELSE
        PERFORM _lead_log(NEW.lead_id, NEW.channel, jsonb_build_object('message_id', NEW.id, 'direction', NEW.direction));
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION _lead_contact_logged() IS 'Internal: a call or message goes on the lead''s timeline';
CREATE TRIGGER lead_call_logs_logged AFTER INSERT ON lead_call_logs FOR EACH ROW EXECUTE FUNCTION _lead_contact_logged();
CREATE TRIGGER lead_message_logs_logged AFTER INSERT ON lead_message_logs FOR EACH ROW EXECUTE FUNCTION _lead_contact_logged();

-- The sales organisation.
CREATE TABLE sales_head_profiles (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id           bigint NOT NULL CONSTRAINT sales_head_profiles_once UNIQUE REFERENCES users ON DELETE CASCADE,
    team_name         text CONSTRAINT sales_head_profiles_team_length CHECK (length(team_name) <= 200),
    region            text,
    requires_approval boolean NOT NULL DEFAULT false,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE sales_head_profiles IS
    'Sales heads (seed 001 SalesHeadProfile); with requires_approval, assigning one of their leads asks them first';
CREATE TRIGGER sales_head_profiles_touch_updated_at BEFORE UPDATE ON sales_head_profiles
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE salesperson_targets (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id            bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    period_start       date NOT NULL,
    period_end         date NOT NULL,
    target_leads       integer NOT NULL DEFAULT 0 CONSTRAINT salesperson_targets_leads_nonneg CHECK (target_leads >= 0),
    target_conversions integer NOT NULL DEFAULT 0 CONSTRAINT salesperson_targets_conversions_nonneg CHECK (target_conversions >= 0),
    target_revenue     numeric(14,2) CONSTRAINT salesperson_targets_revenue_nonneg CHECK (target_revenue >= 0),
    set_by             bigint REFERENCES users ON DELETE SET NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT salesperson_targets_period CHECK (period_end >= period_start),
    CONSTRAINT salesperson_targets_once UNIQUE (user_id, period_start)
);
COMMENT ON TABLE salesperson_targets IS 'A salesperson''s quota for a period (seed 001 SalespersonTarget), one per start date';
CREATE TRIGGER salesperson_targets_touch_updated_at BEFORE UPDATE ON salesperson_targets
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE community_manager_assignments (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    manager_id  bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    batch_id    bigint NOT NULL REFERENCES batches ON DELETE CASCADE,
    assigned_by bigint REFERENCES users ON DELETE SET NULL,
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT community_manager_assignments_once UNIQUE (manager_id, batch_id)
);
COMMENT ON TABLE community_manager_assignments IS
    'Community managers looking after a batch (seed 001 CommunityManagerAssignment), once per manager and batch';
CREATE INDEX community_manager_assignments_batch_idx ON community_manager_assignments (batch_id);
CREATE TRIGGER community_manager_assignments_touch_updated_at BEFORE UPDATE ON community_manager_assignments
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE cm_notes (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    author_id  bigint REFERENCES users ON DELETE SET NULL,
    student_id bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    batch_id   bigint REFERENCES batches ON DELETE SET NULL,
    body       text NOT NULL CONSTRAINT cm_notes_body_length CHECK (length(btrim(body)) BETWEEN 1 AND 10000),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE cm_notes IS 'A community manager''s notes on a student (seed 001 CMNote); not readable by analysts';
CREATE INDEX cm_notes_student_idx ON cm_notes (student_id, created_at);
CREATE TRIGGER cm_notes_touch_updated_at BEFORE UPDATE ON cm_notes FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- Who may be given leads: active users with the sales role, and staff.
CREATE FUNCTION _is_sales(user_id bigint) RETURNS boolean
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$ SELECT EXISTS (SELECT 1 FROM users u WHERE u.id = _is_sales.user_id AND u.active
                                             AND (u.role = 'sales' OR _role_class(u.role) = 'staff')) $$;
COMMENT ON FUNCTION _is_sales(bigint) IS 'Internal: the user is active sales staff (the sales role, or platform staff)';

CREATE TABLE lead_assignment_history (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    lead_id     bigint NOT NULL REFERENCES raw_leads ON DELETE CASCADE,
    from_user   bigint REFERENCES users ON DELETE SET NULL,
    to_user     bigint REFERENCES users ON DELETE SET NULL,
    assigned_by bigint REFERENCES users ON DELETE SET NULL,
    approval_id bigint,
    at          timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE lead_assignment_history IS
    'Every (re)assignment of a lead (seed 001 LeadAssignmentHistory): from whom, to whom, by whom, through which '
    'approval; written by mentor.assign_lead and mentor.decide_lead_assignment only';
CREATE INDEX lead_assignment_history_lead_idx ON lead_assignment_history (lead_id, at);

CREATE TABLE lead_assignment_approvals (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    lead_id      bigint NOT NULL REFERENCES raw_leads ON DELETE CASCADE,
    to_user      bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    head_id      bigint REFERENCES users ON DELETE SET NULL,
    requested_by bigint REFERENCES users ON DELETE SET NULL,
    status       text NOT NULL DEFAULT 'pending'
                 CONSTRAINT lead_assignment_approvals_status CHECK (status IN ('pending', 'approved', 'rejected', 'cancelled')),
    reason       text,
    decided_by   bigint REFERENCES users ON DELETE SET NULL,
    decided_at   timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT lead_assignment_approvals_decided CHECK ((status IN ('approved', 'rejected')) = (decided_at IS NOT NULL))
);
COMMENT ON TABLE lead_assignment_approvals IS
    'Assignments waiting for the owning sales head (seed 001 LeadAssignmentApproval): at most one pending per lead '
    '(a newer request replaces its assignee); decided with mentor.decide_lead_assignment';
CREATE UNIQUE INDEX lead_assignment_approvals_pending_once ON lead_assignment_approvals (lead_id) WHERE status = 'pending';
CREATE INDEX lead_assignment_approvals_head_idx ON lead_assignment_approvals (head_id) WHERE status = 'pending';
CREATE TRIGGER lead_assignment_approvals_touch_updated_at BEFORE UPDATE ON lead_assignment_approvals
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER lead_assignment_approvals_owned BEFORE INSERT OR UPDATE ON lead_assignment_approvals
    FOR EACH ROW EXECUTE FUNCTION _keep_owned_columns('Approvals are asked by mentor.assign_lead() and decided by mentor.decide_lead_assignment().',
                                                      'status', 'decided_by', 'decided_at', 'to_user', 'head_id');
ALTER TABLE lead_assignment_history ADD CONSTRAINT lead_assignment_history_approval_fkey
    FOREIGN KEY (approval_id) REFERENCES lead_assignment_approvals ON DELETE SET NULL;

-- The assignment itself, for a lead the caller has locked.
CREATE FUNCTION _assign_lead(l raw_leads, to_user bigint, approval_id bigint) RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    UPDATE raw_leads x SET assigned_to = to_user, assigned_at = now() WHERE x.id = l.id;
    INSERT INTO lead_assignment_history (lead_id, from_user, to_user, assigned_by, approval_id)
    VALUES (l.id, l.assigned_to, to_user, current_actor(), approval_id);
    PERFORM _lead_log(l.id, 'assigned', jsonb_build_object('from', l.assigned_to, 'to', to_user, 'approval_id', approval_id));
END
$$;
COMMENT ON FUNCTION _assign_lead(raw_leads, bigint, bigint) IS 'Internal: assigns a locked lead, with its history and timeline';

CREATE FUNCTION _active_lead(lead_id bigint) RETURNS raw_leads
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    l raw_leads;
BEGIN
    SELECT * INTO l FROM raw_leads x WHERE x.id = _active_lead.lead_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'lead % does not exist', coalesce(lead_id::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
    IF l.status <> 'active' THEN
        RAISE EXCEPTION 'lead % is %', l.id, l.status USING ERRCODE = 'MN006',
            HINT = 'Only active leads are worked on; an archived lead is made active again first.';
    END IF;
    RETURN l;
END
$$;
COMMENT ON FUNCTION _active_lead(bigint) IS 'Internal: locks an active lead (P0002 if missing, MN006 if archived or deleted)';

CREATE FUNCTION assign_lead(lead_id bigint, to_user bigint) RETURNS TABLE (outcome text, approval_id bigint)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    l     raw_leads := _active_lead(lead_id);
    actor bigint := current_actor();
BEGIN
    IF NOT _is_sales(to_user) THEN
        RAISE EXCEPTION 'user % is not sales staff', coalesce(to_user::text, 'NULL') USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'Leads go to active users with the sales role, or to platform staff.';
    END IF;
    IF l.assigned_to = to_user THEN
        RETURN QUERY SELECT 'unchanged'::text, NULL::bigint;
        RETURN;
    END IF;
    IF EXISTS (SELECT 1 FROM sales_head_profiles h WHERE h.user_id = l.owning_sales_head_id AND h.requires_approval)
       AND actor IS DISTINCT FROM l.owning_sales_head_id AND NOT coalesce(_is_staff(actor), false) THEN
        INSERT INTO lead_assignment_approvals AS a (lead_id, to_user, head_id, requested_by)
        VALUES (l.id, to_user, l.owning_sales_head_id, actor)
        ON CONFLICT (lead_id) WHERE status = 'pending'
        DO UPDATE SET to_user = EXCLUDED.to_user, requested_by = EXCLUDED.requested_by
        RETURNING a.id INTO approval_id;
        PERFORM _lead_log(l.id, 'assignment_requested', jsonb_build_object('to', to_user, 'approval_id', approval_id));
        RETURN QUERY SELECT 'approval_requested'::text, approval_id;
        RETURN;
    END IF;
    PERFORM _assign_lead(l, to_user, NULL);
    RETURN QUERY SELECT 'assigned'::text, NULL::bigint;
END
$$;
COMMENT ON FUNCTION assign_lead(bigint, bigint) IS
    'Assigns an active lead to a salesperson (22023 unless active sales staff), with its assignment history and '
    'timeline: outcome assigned, unchanged, or approval_requested (with the approval''s id) when the owning head''s '
    'profile requires approval and the acting user is neither that head nor staff. P0002 for no lead, MN006 for one '
    'archived or deleted';

CREATE FUNCTION decide_lead_assignment(approval_id bigint, approve boolean, reason text DEFAULT NULL)
RETURNS lead_assignment_approvals
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    a     lead_assignment_approvals;
    actor bigint := current_actor();
BEGIN
    SELECT * INTO a FROM lead_assignment_approvals x WHERE x.id = decide_lead_assignment.approval_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'lead assignment approval % does not exist', coalesce(approval_id::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
    IF actor IS DISTINCT FROM a.head_id AND NOT coalesce(_is_staff(actor), false) THEN
        RAISE EXCEPTION 'user % does not decide lead assignment approval %', coalesce(actor::text, 'NULL'), a.id
            USING ERRCODE = 'MN005', HINT = 'The owning sales head (or staff) decides; mentor.set_actor says who is acting.';
    END IF;
    IF a.status <> 'pending' THEN
        RAISE EXCEPTION 'lead assignment approval % is already %', a.id, a.status USING ERRCODE = 'MN006';
    END IF;
    IF approve IS NULL THEN
        RAISE EXCEPTION 'approve must be true or false' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF approve THEN
        IF NOT _is_sales(a.to_user) THEN
            RAISE EXCEPTION 'user % is no longer sales staff', a.to_user USING ERRCODE = 'invalid_parameter_value',
                HINT = 'Reject this request and assign the lead to someone else.';
        END IF;
        PERFORM _assign_lead(_active_lead(a.lead_id), a.to_user, a.id);
    ELSE
        PERFORM _lead_log(a.lead_id, 'assignment_rejected', jsonb_build_object('to', a.to_user, 'approval_id', a.id));
    END IF;
    UPDATE lead_assignment_approvals x
       SET status = CASE WHEN approve THEN 'approved' ELSE 'rejected' END, decided_by = actor, decided_at = now(),
           reason = coalesce(decide_lead_assignment.reason, x.reason)
     WHERE x.id = a.id RETURNING x.* INTO a;
    RETURN a;
END
$$;
COMMENT ON FUNCTION decide_lead_assignment(bigint, boolean, text) IS
    'The owning sales head (or staff; MN005 for anyone else) approves or rejects a pending assignment (MN006 once '
    'decided); approving assigns the lead as mentor.assign_lead would';

CREATE TABLE batch_lead_assignments (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    batch_id    bigint NOT NULL REFERENCES batches ON DELETE CASCADE,
    user_id     bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    assigned_by bigint REFERENCES users ON DELETE SET NULL,
    leads       integer NOT NULL CONSTRAINT batch_lead_assignments_leads_nonneg CHECK (leads >= 0),
    pending     integer NOT NULL DEFAULT 0 CONSTRAINT batch_lead_assignments_pending_nonneg CHECK (pending >= 0),
    created_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE batch_lead_assignments IS
    'One bulk assignment of a batch''s leads to a salesperson (seed 001 BatchLeadAssignment), written by '
    'mentor.assign_batch_leads: how many were assigned and how many wait for approval';
CREATE INDEX batch_lead_assignments_batch_idx ON batch_lead_assignments (batch_id, created_at);

CREATE FUNCTION assign_batch_leads(batch_id bigint, salespeople bigint[]) RETURNS SETOF batch_lead_assignments
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    who     bigint;
    lead    bigint;
    i       integer := 0;
    n       integer := cardinality(salespeople);
    given   integer[];
    waiting integer[];
    r       record;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM batches b WHERE b.id = assign_batch_leads.batch_id) THEN
        RAISE EXCEPTION 'batch % does not exist', coalesce(batch_id::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
    IF coalesce(n, 0) = 0 OR array_position(salespeople, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'assign_batch_leads needs at least one salesperson and no NULL' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOREACH who IN ARRAY salespeople LOOP
        IF NOT _is_sales(who) THEN
            RAISE EXCEPTION 'user % is not sales staff', who USING ERRCODE = 'invalid_parameter_value',
                DETAIL = 'Leads go to active users with the sales role, or to platform staff.';
        END IF;
    END LOOP;
    given := array_fill(0, ARRAY[n]);
    waiting := array_fill(0, ARRAY[n]);
    -- Round robin over the batch's unassigned active leads, oldest first; each through assign_lead.
    FOR lead IN SELECT l.id FROM raw_leads l
                 WHERE l.batch_id = assign_batch_leads.batch_id AND l.assigned_to IS NULL AND l.status = 'active'
                   AND NOT EXISTS (SELECT 1 FROM lead_assignment_approvals a WHERE a.lead_id = l.id AND a.status = 'pending')
                 ORDER BY l.created_at, l.id FOR UPDATE OF l SKIP LOCKED
    LOOP
        SELECT * INTO r FROM assign_lead(lead, salespeople[i % n + 1]);
        IF r.outcome = 'approval_requested' THEN
            waiting[i % n + 1] := waiting[i % n + 1] + 1;
        ELSE
            given[i % n + 1] := given[i % n + 1] + 1;
        END IF;
        i := i + 1;
    END LOOP;
    RETURN QUERY
    INSERT INTO batch_lead_assignments AS b (batch_id, user_id, assigned_by, leads, pending)
    SELECT assign_batch_leads.batch_id, salespeople[k], current_actor(), given[k], waiting[k] FROM generate_subscripts(salespeople, 1) k
    RETURNING b.*;
END
$$;
COMMENT ON FUNCTION assign_batch_leads(bigint, bigint[]) IS
    'Spreads a batch''s unassigned active leads over the salespeople in turn (oldest lead first), each through '
    'mentor.assign_lead (so approvals apply); returns one row per salesperson with the counts. Leads locked by '
    'another transaction are left for the next run';

-- Follow-ups: a work queue (module queue).  Salespeople or dialler workers
-- claim the due ones; each is done once.
CREATE TYPE follow_up_status AS ENUM ('scheduled', 'claimed', 'done', 'failed', 'cancelled');
COMMENT ON TYPE follow_up_status IS 'Follow-up status (lifecycle "follow_up")';
-- Ours: scheduled -> claimed (a lease) -> done, or back to scheduled (the lease ran out),
-- or failed after crm.follow_up_max_attempts claims; failed ones may be scheduled again.
SELECT _ship_lifecycle('follow_up', ARRAY[
    ['[*]', 'scheduled'],
    ['scheduled', 'claimed'],
    ['claimed', 'done'],
    ['claimed', 'scheduled'],
    ['claimed', 'failed'],
    ['scheduled', 'cancelled'],
    ['failed', 'scheduled'],
    ['done', '[*]'],
    ['cancelled', '[*]']], true);

CREATE TABLE lead_follow_ups (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    lead_id      bigint NOT NULL REFERENCES raw_leads ON DELETE CASCADE,
    assigned_to  bigint REFERENCES users ON DELETE SET NULL,
    kind         text NOT NULL DEFAULT 'call' CONSTRAINT lead_follow_ups_kind CHECK (kind IN ('call', 'sms', 'email', 'whatsapp', 'meeting', 'other')),
    note         text CONSTRAINT lead_follow_ups_note_length CHECK (length(note) <= 5000),
    status       @extschema@.follow_up_status NOT NULL DEFAULT 'scheduled',
    available_at timestamptz NOT NULL,
    attempts     integer NOT NULL DEFAULT 0,
    lease_owner  text,
    lease_until  timestamptz,
    last_error   text,
    outcome      text CONSTRAINT lead_follow_ups_outcome_length CHECK (length(outcome) <= 2000),
    done_at      timestamptz,
    created_by   bigint REFERENCES users ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT lead_follow_ups_lease CHECK ((status = 'claimed') = (lease_owner IS NOT NULL AND lease_until IS NOT NULL)),
    CONSTRAINT lead_follow_ups_done CHECK ((status = 'done') = (done_at IS NOT NULL))
);
COMMENT ON TABLE lead_follow_ups IS
    'Scheduled follow-ups of leads (seed 001 LeadFollowUp), a work queue: mentor.claim_follow_ups leases the due ones '
    '(SKIP LOCKED, never twice at once), mentor.complete_follow_up marks one done, once; overdue_follow_ups lists '
    'the late ones per salesperson';
COMMENT ON COLUMN lead_follow_ups.available_at IS 'When it is due: not claimed before';
COMMENT ON COLUMN lead_follow_ups.lease_owner IS 'The worker or salesperson holding it; only they complete it';
COMMENT ON COLUMN lead_follow_ups.attempts IS 'Claims so far; after crm.follow_up_max_attempts it is failed';
CREATE INDEX lead_follow_ups_ready_idx ON lead_follow_ups (available_at, id) WHERE status = 'scheduled';
CREATE INDEX lead_follow_ups_leased_idx ON lead_follow_ups (lease_until) WHERE status = 'claimed';
CREATE INDEX lead_follow_ups_lead_idx ON lead_follow_ups (lead_id);
CREATE TRIGGER lead_follow_ups_touch_updated_at BEFORE UPDATE ON lead_follow_ups FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER lead_follow_ups_owned BEFORE INSERT OR UPDATE ON lead_follow_ups
    FOR EACH ROW EXECUTE FUNCTION _keep_owned_columns('Follow-ups move through mentor.claim_follow_ups() and mentor.complete_follow_up().',
                                                      'status', 'attempts', 'lease_owner', 'lease_until', 'done_at', 'outcome');
SELECT attach_lifecycle('lead_follow_ups', 'status', 'follow_up');

CREATE FUNCTION schedule_follow_up(lead_id bigint, due_at timestamptz, note text DEFAULT NULL,
                                   assigned_to bigint DEFAULT NULL, kind text DEFAULT 'call') RETURNS lead_follow_ups
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    l raw_leads := _active_lead(lead_id);
    f lead_follow_ups;
BEGIN
    IF due_at IS NULL OR NOT isfinite(due_at) THEN
        RAISE EXCEPTION 'a follow-up needs a due time, not %', coalesce(due_at::text, 'NULL') USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF assigned_to IS NOT NULL AND NOT _is_sales(assigned_to) THEN
        RAISE EXCEPTION 'user % is not sales staff', assigned_to USING ERRCODE = 'invalid_parameter_value';
    END IF;
    INSERT INTO lead_follow_ups AS x (lead_id, assigned_to, kind, note, available_at, created_by)
    VALUES (l.id, coalesce(schedule_follow_up.assigned_to, l.assigned_to), coalesce(schedule_follow_up.kind, 'call'),
            schedule_follow_up.note, due_at, current_actor())
    RETURNING x.* INTO f;
    PERFORM _lead_log(l.id, 'follow_up_scheduled', jsonb_build_object('follow_up_id', f.id, 'due_at', due_at));
    RETURN f;
END
$$;
COMMENT ON FUNCTION schedule_follow_up(bigint, timestamptz, text, bigint, text) IS
    'Schedules a follow-up of an active lead at due_at, for the given salesperson or the lead''s assignee';

CREATE FUNCTION claim_follow_ups(worker text, n integer DEFAULT 10, lease interval DEFAULT interval '15 minutes',
                                 assigned_to bigint DEFAULT NULL) RETURNS SETOF lead_follow_ups
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    ids bigint[];
BEGIN
    ids := ARRAY(SELECT _queue_claim('lead_follow_ups', 'scheduled', 'claimed', 'failed', worker, n, lease,
                                     (setting('crm.follow_up_max_attempts') #>> '{}')::integer,
                                     CASE WHEN assigned_to IS NOT NULL THEN 'assigned_to' END, assigned_to::text));
    RETURN QUERY SELECT q.* FROM lead_follow_ups q WHERE q.id = ANY (ids) ORDER BY q.available_at, q.id;
END
$$;
COMMENT ON FUNCTION claim_follow_ups(text, integer, interval, bigint) IS
    'A salesperson or worker takes up to n due follow-ups (only those assigned to assigned_to when given), oldest '
    'first, leased for lease; claims never wait on each other or get the same row. Finish each with '
    'mentor.complete_follow_up';

CREATE FUNCTION complete_follow_up(id bigint, worker text, outcome text DEFAULT NULL) RETURNS lead_follow_ups
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    f lead_follow_ups;
BEGIN
    UPDATE lead_follow_ups q
       SET status = 'done', done_at = now(), outcome = complete_follow_up.outcome, lease_owner = NULL, lease_until = NULL
     WHERE q.id = complete_follow_up.id AND q.status = 'claimed' AND q.lease_owner = worker AND q.lease_until >= now()
    RETURNING q.* INTO f;
    IF NOT FOUND THEN
        PERFORM _queue_refuse('lead_follow_ups', 'follow-up', complete_follow_up.id, worker, 'claimed');
    END IF;
    PERFORM _lead_log(f.lead_id, 'follow_up_done', jsonb_build_object('follow_up_id', f.id, 'outcome', f.outcome, 'by', worker));
    RETURN f;
END
$$;
COMMENT ON FUNCTION complete_follow_up(bigint, text, text) IS
    'The lease holder marks a follow-up done (once; a second report is MN006), with what came of it; MN005 when '
    'another worker holds it, MN008 when the lease ran out, P0002 when there is no such follow-up';

CREATE FUNCTION cancel_follow_up(id bigint) RETURNS lead_follow_ups
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    f lead_follow_ups;
BEGIN
    SELECT * INTO f FROM lead_follow_ups q WHERE q.id = cancel_follow_up.id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'follow-up % does not exist', coalesce(id::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
    IF f.status <> 'scheduled' THEN
        RAISE EXCEPTION 'follow-up % is %, not scheduled', f.id, f.status USING ERRCODE = 'MN006',
            HINT = 'Only a follow-up nobody holds is cancelled; a claimed one is completed by its holder.';
    END IF;
    UPDATE lead_follow_ups q SET status = 'cancelled' WHERE q.id = f.id RETURNING q.* INTO f;
    RETURN f;
END
$$;
COMMENT ON FUNCTION cancel_follow_up(bigint) IS 'Cancels a scheduled follow-up (MN006 once claimed, done or failed)';

CREATE VIEW overdue_follow_ups AS
SELECT f.id, f.lead_id, f.assigned_to, f.kind, f.note, f.available_at AS due_at, now() - f.available_at AS overdue_by,
       l.name AS lead_name, l.phone AS lead_phone
  FROM lead_follow_ups f JOIN raw_leads l ON l.id = f.lead_id
 WHERE f.status = 'scheduled' AND f.available_at < now();
COMMENT ON VIEW overdue_follow_ups IS
    'Follow-ups past their due time that nobody has claimed, with how late they are; filter by assigned_to for one '
    'salesperson''s list';

-- A lead's known fields from a JSON object (an import row, a vendor's payload);
-- anything else goes to extra_data.  22023 names what cannot be read.
CREATE FUNCTION _lead_fields(data jsonb, OUT phone text, OUT email text, OUT name text, OUT interest_level text,
                             OUT session_year text, OUT extra jsonb)
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    IF jsonb_typeof(data) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION 'a lead is a JSON object, not %', coalesce(jsonb_typeof(data), 'NULL') USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF coalesce(btrim(data ->> 'phone'), '') = '' THEN
        RAISE EXCEPTION 'a lead needs a phone number' USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Send it as "phone", with its country code.';
    END IF;
    phone := normalize_phone(data ->> 'phone');
    email := nullif(btrim(data ->> 'email'), '');
    IF email IS NOT NULL THEN
        PERFORM check_email(email);   -- 23514 naming the address, as the email domain would
    END IF;
    name := nullif(btrim(data ->> 'name'), '');
    interest_level := coalesce(nullif(lower(btrim(data ->> 'interest_level')), ''), 'unknown');
    IF interest_level NOT IN ('hot', 'warm', 'cold', 'unknown') THEN
        RAISE EXCEPTION 'interest level % is not hot, warm, cold or unknown', quote_literal(data ->> 'interest_level')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- coalesce() stops at the first value: the setting is read only when the lead has no year.
    session_year := coalesce(nullif(btrim(data ->> 'session_year'), ''), setting('crm.session_year') #>> '{}',
                             extract(year FROM now())::int::text);
    extra := data - ARRAY['phone', 'email', 'name', 'interest_level', 'session_year'];
END
$$;
COMMENT ON FUNCTION _lead_fields(jsonb) IS
    'Internal: phone (E.164), email, name, interest level and session year of a lead''s JSON, the rest as extra';

-- One lead in: a new row, or merged into the one with the same phone (or, failing
-- that, the same email) in its session year.  Merging fills what the lead lacks
-- and adds extra keys; it never overwrites what a salesperson already has.
CREATE FUNCTION _upsert_lead(f record, source text, import_batch_id bigint, batch_id bigint,
                             OUT lead_id bigint, OUT inserted boolean)
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    IF f.email IS NOT NULL THEN
        SELECT l.id INTO lead_id FROM raw_leads l
         WHERE l.session_year = f.session_year AND lower(l.email::text) = lower(f.email) AND l.email IS NOT NULL
           AND l.phone <> f.phone
         ORDER BY l.id LIMIT 1 FOR UPDATE;
        IF FOUND THEN
            UPDATE raw_leads l SET name = coalesce(l.name, f.name), extra_data = f.extra || l.extra_data
             WHERE l.id = lead_id;
            inserted := false;
            PERFORM _lead_log(lead_id, 'merged', jsonb_build_object('source', source, 'by', 'email', 'phone', f.phone));
            RETURN;
        END IF;
    END IF;
    INSERT INTO raw_leads AS l (session_year, name, phone, email, interest_level, source, import_batch_id, batch_id,
                                extra_data)
    VALUES (f.session_year, f.name, f.phone, f.email, f.interest_level, source, import_batch_id, batch_id, f.extra)
    ON CONFLICT ON CONSTRAINT raw_leads_phone_once DO UPDATE
       SET name = coalesce(l.name, EXCLUDED.name), email = coalesce(l.email, EXCLUDED.email),
           batch_id = coalesce(l.batch_id, EXCLUDED.batch_id), extra_data = EXCLUDED.extra_data || l.extra_data
    RETURNING l.id, l.xmax = 0 INTO lead_id, inserted;
    IF NOT inserted THEN
        PERFORM _lead_log(lead_id, 'merged', jsonb_build_object('source', source, 'by', 'phone'));
    END IF;
END
$$;
COMMENT ON FUNCTION _upsert_lead(record, text, bigint, bigint) IS
    'Internal: inserts a lead or merges it into the one with its phone (or email) in its session year';

CREATE FUNCTION import_leads(name text, leads jsonb, source text DEFAULT 'import', batch_id bigint DEFAULT NULL)
RETURNS lead_import_batches
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    b   lead_import_batches;
    r   record;
    f   record;
    u   record;
    ins integer := 0;
    mer integer := 0;
    rej integer := 0;
BEGIN
    IF jsonb_typeof(leads) IS DISTINCT FROM 'array' THEN
        RAISE EXCEPTION 'import_leads takes a JSON array of leads, not %', coalesce(jsonb_typeof(leads), 'NULL')
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Pass [{"phone": "...", "name": "...", "email": "..."}, ...].';
    END IF;
    IF source NOT IN ('manual', 'import', 'webinar', 'vendor', 'campaign', 'referral') THEN
        RAISE EXCEPTION 'lead source % is not one of manual, import, webinar, vendor, campaign, referral',
            coalesce(quote_literal(source), 'NULL') USING ERRCODE = 'invalid_parameter_value';
    END IF;
    INSERT INTO lead_import_batches AS x (name, source, uploaded_by) VALUES (import_leads.name, source, current_actor())
    RETURNING x.* INTO b;
    FOR r IN SELECT e.value, e.ordinality::integer AS n FROM jsonb_array_elements(leads) WITH ORDINALITY e LOOP
        BEGIN
            f := _lead_fields(r.value);
            u := _upsert_lead(f, source, b.id, batch_id);
            INSERT INTO lead_import_rows (batch_id, row_number, outcome, lead_id, data)
            VALUES (b.id, r.n, CASE WHEN u.inserted THEN 'inserted' ELSE 'merged' END, u.lead_id, r.value);
            IF u.inserted THEN ins := ins + 1; ELSE mer := mer + 1; END IF;
        EXCEPTION WHEN invalid_parameter_value OR check_violation OR string_data_right_truncation THEN
            INSERT INTO lead_import_rows (batch_id, row_number, outcome, reason, data)
            VALUES (b.id, r.n, 'rejected', SQLERRM, r.value);
            rej := rej + 1;
        END;
    END LOOP;
    UPDATE lead_import_batches x SET total_rows = ins + mer + rej, inserted = ins, merged = mer, rejected = rej
     WHERE x.id = b.id RETURNING x.* INTO b;
    RETURN b;
END
$$;
COMMENT ON FUNCTION import_leads(text, jsonb, text, bigint) IS
    'Imports a JSON array of leads as one batch: each row inserted, merged (same phone, else same email, in its '
    'session year) or rejected with the reason (an unreadable phone or email, a bad value), in lead_import_rows; '
    'returns the batch with its counts. A rejected row does not stop the others';

-- Vendor intake (journey 7): a vendor posts a lead with its API key.
CREATE TABLE vendor_leads (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    api_key_id      bigint NOT NULL REFERENCES api_keys ON DELETE CASCADE,
    idempotency_key text NOT NULL CONSTRAINT vendor_leads_idempotency_key_length CHECK (length(idempotency_key) BETWEEN 1 AND 200),
    payload         jsonb NOT NULL CONSTRAINT vendor_leads_payload_object CHECK (jsonb_typeof(payload) = 'object'),
    status          text NOT NULL DEFAULT 'promoted' CONSTRAINT vendor_leads_status CHECK (status IN ('promoted', 'merged')),
    raw_lead_id     bigint REFERENCES raw_leads ON DELETE SET NULL,
    received_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT vendor_leads_once UNIQUE (api_key_id, idempotency_key)
);
COMMENT ON TABLE vendor_leads IS
    'Leads posted by vendors (seed 001 VendorLead), once per API key and idempotency key; each promoted into '
    'raw_leads (a new lead) or merged into the lead with its phone. Written by mentor.ingest_vendor_lead only';
COMMENT ON COLUMN vendor_leads.payload IS 'What the vendor sent, as sent';
COMMENT ON COLUMN vendor_leads.raw_lead_id IS 'The lead it was promoted into or merged with (a lead''s vendor leads are found by it)';
CREATE INDEX vendor_leads_raw_lead_idx ON vendor_leads (raw_lead_id) WHERE raw_lead_id IS NOT NULL;

-- Racing posts of one lead (a vendor's retries) queue on a transaction-scoped advisory
-- lock of their key and idempotency key (the two-integer form, class 'vendor_lead'), so
-- the first does the work and the others then find its vendor lead: nothing is merged twice.
CREATE FUNCTION ingest_vendor_lead(api_key text, payload jsonb, idempotency_key text)
RETURNS TABLE (vendor_lead_id bigint, lead_id bigint, outcome text)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    key bigint := verify_api_key(api_key);
    st  vendor_key_status;
    f   record;
    v   vendor_leads;
    u   record;
BEGIN
    -- A key turned down is told apart only after the fact, so an accepted request pays one
    -- hash.  Unknown or wrong: 28000; known but disabled or revoked: MN006.  Both are 401.
    IF key IS NULL THEN
        SELECT k.status INTO st FROM api_keys k WHERE k.prefix = left(api_key, 15) AND _ct_equal(k.secret_hash, _token_hash(api_key));
        IF st IS NOT NULL THEN
            RAISE EXCEPTION 'API key % is %', left(api_key, 15), st USING ERRCODE = 'MN006',
                DETAIL = 'A disabled or revoked key is refused; answer 401.', HINT = 'The vendor needs an active key from an administrator.';
        END IF;
        RAISE EXCEPTION 'API key not recognised' USING ERRCODE = 'invalid_authorization_specification',
            DETAIL = 'No key has this prefix and secret; answer 401.';
    END IF;
    IF coalesce(length(idempotency_key), 0) NOT BETWEEN 1 AND 200 THEN
        RAISE EXCEPTION 'a vendor lead needs an idempotency key of 1 to 200 characters' USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Send one key per lead (the vendor''s own lead id will do); a retry sends the same one.';
    END IF;
    f := _lead_fields(payload);
    PERFORM pg_advisory_xact_lock(hashtext('mentor.vendor_lead'), hashtext(key::text || ':' || idempotency_key));
    SELECT * INTO v FROM vendor_leads x WHERE x.api_key_id = key AND x.idempotency_key = ingest_vendor_lead.idempotency_key;
    IF FOUND THEN
        -- A retry, or a racing twin that committed first: the first one's answer, if it is the same lead.
        IF v.payload IS DISTINCT FROM payload THEN
            RAISE EXCEPTION 'idempotency key % was used for another lead', quote_literal(idempotency_key) USING ERRCODE = 'MN003',
                DETAIL = format('Vendor lead %s has this key with a different payload.', v.id),
                HINT = 'Send each lead with its own key; a retry sends the same payload.';
        END IF;
        RETURN QUERY SELECT v.id, v.raw_lead_id, 'duplicate'::text;
        RETURN;
    END IF;
    u := _upsert_lead(f, 'vendor', NULL, NULL);
    INSERT INTO vendor_leads AS x (api_key_id, idempotency_key, payload, status, raw_lead_id)
    VALUES (key, idempotency_key, payload, CASE WHEN u.inserted THEN 'promoted' ELSE 'merged' END, u.lead_id)
    RETURNING x.* INTO v;
    RETURN QUERY SELECT v.id, u.lead_id, CASE WHEN u.inserted THEN 'created' ELSE 'merged' END;
END
$$;
COMMENT ON FUNCTION ingest_vendor_lead(text, jsonb, text) IS
    'A vendor''s lead (JSON: phone, name, email, interest_level, session_year, anything else kept as extra data) '
    'stored once per key and idempotency key and promoted into raw_leads once: outcome created, merged (a lead with '
    'that phone or email existed) or duplicate (a retry: the first answer). 28000 unknown key and MN006 disabled or '
    'revoked key (both 401), MN003 for a reused idempotency key with another payload, 22023 for an unreadable phone';

-- Seed 001's other lead shapes, over the one table.
CREATE VIEW campaign_leads AS
SELECT id, session_year, name, phone, email, interest_level, extra_data ->> 'campaign' AS campaign, extra_data,
       assigned_to, status, created_at, updated_at
  FROM raw_leads WHERE source = 'campaign';
COMMENT ON VIEW campaign_leads IS 'Marketing-campaign leads (seed 001 CampaignLead): raw_leads from source campaign';
-- The legacy view finds a lead's account by lower(email): in the extension's functions and
-- views citext's own operators may not be visible (see raw_leads_email_idx), and this index
-- keeps that lookup off a scan of users.
CREATE INDEX users_email_lower_idx ON users (lower(email::text));
CREATE VIEW leads AS
SELECT l.id, (SELECT u.id FROM users u WHERE lower(u.email::text) = lower(l.email::text)) AS user_id, l.name, l.email,
       l.phone, l.status, l.assigned_to, l.session_year, l.source, l.created_at, l.updated_at
  FROM raw_leads l;
COMMENT ON VIEW leads IS
    'Seed 001''s legacy Lead, tied to a user: each lead with the user account of its email (NULL when the person has '
    'none yet) and its assignee; status under lifecycle lead (active, archived, deleted)';

--------------------------------------------------------------------------------
-- Module workflow: seed 001's automation engine (Workflow, WorkflowEnrollment,
-- WorkflowNodeRun, WorkflowRule).  A workflow is a definition of nodes and
-- edges, validated in C when saved (src/core/workflow.c: one start node,
-- known node types with their parameters, no cycle, every node reachable).
-- A lead, user or job post is enrolled; each node it reaches becomes one node
-- run in a work queue (module queue) that workers claim and finish; finishing
-- one moves the enrollment along its edge (a branch node's by the outcome
-- reported).  Each node of an enrollment runs once: the run is unique per
-- enrollment and node, and a DAG never comes back to a node.
--------------------------------------------------------------------------------

CREATE TYPE workflow_enrollment_status AS ENUM ('active', 'waiting', 'paused', 'completed', 'failed', 'cancelled');
COMMENT ON TYPE workflow_enrollment_status IS 'Workflow enrollment status (lifecycle "workflow_enrollment", seed 001)';
CREATE TYPE workflow_node_run_status AS ENUM ('ready', 'running', 'done', 'failed', 'held', 'cancelled');
COMMENT ON TYPE workflow_node_run_status IS 'Node run status (lifecycle "workflow_node_run")';
-- Ours: ready -> running (a worker's lease) -> done, or back to ready (a retry, a lease
-- that ran out), or failed after workflow.max_attempts; held while its enrollment is paused.
SELECT _ship_lifecycle('workflow_node_run', ARRAY[
    ['[*]', 'ready'],
    ['[*]', 'held'],
    ['ready', 'running'],
    ['running', 'done'],
    ['running', 'ready'],
    ['running', 'failed'],
    ['ready', 'held'],
    ['held', 'ready'],
    ['ready', 'cancelled'],
    ['held', 'cancelled'],
    ['done', '[*]'],
    ['failed', '[*]'],
    ['cancelled', '[*]']], true);

INSERT INTO settings (key, shipped, value, description) VALUES
    ('workflow.max_attempts', true, '3', 'Tries of a node run before it (and its enrollment) fails'),
    ('workflow.retry_backoff', true, '"1 minute"',
     'Wait before a failed node run is tried again; doubles with each try (fail_node_run''s retry_after overrides)');

CREATE FUNCTION _workflow_check(node_ids text[], node_types text[], param_nodes integer[], param_names text[],
                                edge_from text[], edge_to text[], edge_when text[]) RETURNS text
    AS 'MODULE_PATHNAME', 'mn_workflow_check' LANGUAGE C IMMUTABLE STRICT;
COMMENT ON FUNCTION _workflow_check(text[], text[], integer[], text[], text[], text[], text[]) IS
    'Internal: validates a workflow graph (src/core/workflow.c) and returns its start node; 22023 naming the first problem';

-- The JSON's shape is checked here, the graph in C, then what only SQL can read
-- (a wait's duration).  Returns the start node.
CREATE FUNCTION validate_workflow(definition jsonb) RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    bad   bigint;
    start text;
    n     record;
    d     interval;
BEGIN
    IF jsonb_typeof(definition) IS DISTINCT FROM 'object' OR jsonb_typeof(definition -> 'nodes') IS DISTINCT FROM 'array'
       OR jsonb_typeof(coalesce(definition -> 'edges', '[]')) <> 'array' THEN
        RAISE EXCEPTION 'a workflow definition is an object with a "nodes" array and an "edges" array'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = '{"nodes": [{"id": "start", "type": "start"}, ...], "edges": [{"from": "start", "to": "..."}]}';
    END IF;
    SELECT i INTO bad FROM jsonb_array_elements(definition -> 'nodes') WITH ORDINALITY t(x, i)
     WHERE jsonb_typeof(x) <> 'object' OR jsonb_typeof(x -> 'id') IS DISTINCT FROM 'string'
        OR jsonb_typeof(x -> 'type') IS DISTINCT FROM 'string' OR jsonb_typeof(coalesce(x -> 'params', '{}')) <> 'object'
     ORDER BY i LIMIT 1;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'node % of the workflow definition is not {"id": text, "type": text, "params": {...}}', bad
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT i INTO bad FROM jsonb_array_elements(coalesce(definition -> 'edges', '[]')) WITH ORDINALITY t(x, i)
     WHERE jsonb_typeof(x) <> 'object' OR jsonb_typeof(x -> 'from') IS DISTINCT FROM 'string'
        OR jsonb_typeof(x -> 'to') IS DISTINCT FROM 'string' OR jsonb_typeof(coalesce(x -> 'when', '""')) <> 'string'
     ORDER BY i LIMIT 1;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'edge % of the workflow definition is not {"from": text, "to": text, "when": text}', bad
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    start := _workflow_check(
        ARRAY(SELECT x ->> 'id' FROM jsonb_array_elements(definition -> 'nodes') WITH ORDINALITY t(x, i) ORDER BY i),
        ARRAY(SELECT x ->> 'type' FROM jsonb_array_elements(definition -> 'nodes') WITH ORDINALITY t(x, i) ORDER BY i),
        ARRAY(SELECT i::integer FROM jsonb_array_elements(definition -> 'nodes') WITH ORDINALITY t(x, i),
                     jsonb_object_keys(coalesce(x -> 'params', '{}')) k ORDER BY i),
        ARRAY(SELECT k FROM jsonb_array_elements(definition -> 'nodes') WITH ORDINALITY t(x, i),
                     jsonb_object_keys(coalesce(x -> 'params', '{}')) k ORDER BY i),
        ARRAY(SELECT x ->> 'from' FROM jsonb_array_elements(coalesce(definition -> 'edges', '[]')) WITH ORDINALITY t(x, i) ORDER BY i),
        ARRAY(SELECT x ->> 'to' FROM jsonb_array_elements(coalesce(definition -> 'edges', '[]')) WITH ORDINALITY t(x, i) ORDER BY i),
        ARRAY(SELECT coalesce(x ->> 'when', '') FROM jsonb_array_elements(coalesce(definition -> 'edges', '[]')) WITH ORDINALITY t(x, i) ORDER BY i));
    FOR n IN SELECT x ->> 'id' AS id, x -> 'params' ->> 'duration' AS duration
               FROM jsonb_array_elements(definition -> 'nodes') x WHERE x ->> 'type' = 'wait' LOOP
        BEGIN
            d := n.duration::interval;
        EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow OR interval_field_overflow THEN
            d := NULL;
        END;
        IF d IS NULL OR d <= interval '0' THEN
            RAISE EXCEPTION 'invalid workflow definition' USING ERRCODE = 'invalid_parameter_value',
                DETAIL = format('Node "%s" waits %s, which is not a positive interval.', n.id, coalesce(quote_literal(n.duration), 'NULL')),
                HINT = 'Write durations as PostgreSQL intervals: "2 days", "3 hours".';
        END IF;
    END LOOP;
    RETURN start;
END
$$;
COMMENT ON FUNCTION validate_workflow(jsonb) IS
    'Checks a workflow definition and returns its start node: {"nodes": [{"id", "type", "params"}], "edges": '
    '[{"from", "to", "when"}]}, node types start, end, wait (duration), notify (notification_type), task (title), '
    'branch (condition), webhook (url), set_status (status); one start node, no cycle (22023 names its nodes), every '
    'node reachable, only branch nodes with labelled edges. The workflows table runs it on every save';

CREATE TABLE workflows (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL CONSTRAINT workflows_name_length CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    description text,
    definition  jsonb NOT NULL,
    start_node  text,
    steps       jsonb,
    active      boolean NOT NULL DEFAULT true,
    created_by  bigint REFERENCES users ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE workflows IS
    'Automations (seed 001 Workflow): a definition of nodes and edges, validated on every save (22023 for a cycle, '
    'a missing start, an unknown node type, ...); an inactive workflow enrolls nobody new';
COMMENT ON COLUMN workflows.definition IS 'Nodes and edges as JSON; see mentor.validate_workflow for the format';
COMMENT ON COLUMN workflows.steps IS
    'The definition as the engine reads it, set on every save: per node id its type, params and next nodes by outcome '
    '("" for the unlabelled edge)';
COMMENT ON COLUMN workflows.start_node IS 'The id of the start node, set from the definition on every save (whatever is written)';
CREATE TRIGGER workflows_touch_updated_at BEFORE UPDATE ON workflows FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE workflow_enrollments (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workflow_id  bigint NOT NULL REFERENCES workflows ON DELETE CASCADE,
    subject_type text NOT NULL CONSTRAINT workflow_enrollments_subject_type
                 CHECK (subject_type IN ('lead', 'user', 'job_post', 'job_application', 'other')),
    subject_id   bigint NOT NULL,
    status       @extschema@.workflow_enrollment_status NOT NULL DEFAULT 'active',
    current_node text,
    context      jsonb NOT NULL DEFAULT '{}' CONSTRAINT workflow_enrollments_context_object CHECK (jsonb_typeof(context) = 'object'),
    error        text,
    finished_at  timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
) WITH (fillfactor = 80);
COMMENT ON TABLE workflow_enrollments IS
    'A lead, user or job post going through a workflow (seed 001 WorkflowEnrollment): at most one live (active, '
    'waiting or paused) per workflow and subject; moved by the engine''s functions only';
COMMENT ON COLUMN workflow_enrollments.subject_id IS 'The id of the lead, user, job post or application (a soft reference, as in the seed)';
COMMENT ON COLUMN workflow_enrollments.current_node IS 'The node it is at: the one whose run is open, or the last one';
COMMENT ON COLUMN workflow_enrollments.status IS
    'Lifecycle workflow_enrollment: active, waiting (a wait is not due yet), paused, completed, failed, cancelled';
CREATE UNIQUE INDEX workflow_enrollments_live_once ON workflow_enrollments (workflow_id, subject_type, subject_id)
    WHERE status IN ('active', 'waiting', 'paused');
CREATE INDEX workflow_enrollments_subject_idx ON workflow_enrollments (subject_type, subject_id);
CREATE TRIGGER workflow_enrollments_touch_updated_at BEFORE UPDATE ON workflow_enrollments
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER workflow_enrollments_owned BEFORE INSERT OR UPDATE ON workflow_enrollments
    FOR EACH ROW EXECUTE FUNCTION _keep_owned_columns('Enrollments move through mentor.enroll(), finish_node_run() and pause/resume/cancel_enrollment().',
                                                      'status', 'current_node', 'error', 'finished_at');
SELECT attach_lifecycle('workflow_enrollments', 'status', 'workflow_enrollment');

CREATE FUNCTION _workflow_saved() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.definition IS NOT DISTINCT FROM OLD.definition THEN
        NEW.start_node := OLD.start_node;
        NEW.steps := OLD.steps;
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' AND EXISTS (SELECT 1 FROM workflow_enrollments e
                                     WHERE e.workflow_id = NEW.id AND e.status IN ('active', 'waiting', 'paused')) THEN
        RAISE EXCEPTION 'workflow % has live enrollments; its definition cannot change under them', NEW.id
            USING ERRCODE = 'MN006', HINT = 'Save the new definition as a new workflow, or cancel the enrollments first.';
    END IF;
    NEW.start_node := validate_workflow(NEW.definition);
    -- What finishing a run looks up: a node's type, params and where each outcome leads.
    NEW.steps := (SELECT jsonb_object_agg(n ->> 'id', jsonb_build_object(
                             'type', n ->> 'type', 'params', coalesce(n -> 'params', '{}'),
                             'next', (SELECT coalesce(jsonb_object_agg(coalesce(x ->> 'when', ''), x ->> 'to'), '{}')
                                        FROM jsonb_array_elements(coalesce(NEW.definition -> 'edges', '[]')) x
                                       WHERE x ->> 'from' = n ->> 'id')))
                    FROM jsonb_array_elements(NEW.definition -> 'nodes') n);
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION _workflow_saved() IS
    'Internal: a workflow''s definition is validated on every save, and not changed under live enrollments (MN006)';
CREATE TRIGGER workflows_saved BEFORE INSERT OR UPDATE ON workflows FOR EACH ROW EXECUTE FUNCTION _workflow_saved();

CREATE TABLE workflow_node_runs (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    enrollment_id bigint NOT NULL REFERENCES workflow_enrollments ON DELETE CASCADE,
    node_id       text NOT NULL,
    node_type     text NOT NULL,
    params        jsonb NOT NULL DEFAULT '{}',
    status        @extschema@.workflow_node_run_status NOT NULL DEFAULT 'ready',
    available_at  timestamptz NOT NULL DEFAULT now(),
    attempts      integer NOT NULL DEFAULT 0,
    lease_owner   text,
    lease_until   timestamptz,
    last_error    text,
    outcome       text,
    output        jsonb,
    finished_at   timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT workflow_node_runs_once UNIQUE (enrollment_id, node_id),
    CONSTRAINT workflow_node_runs_lease CHECK ((status = 'running') = (lease_owner IS NOT NULL AND lease_until IS NOT NULL)),
    CONSTRAINT workflow_node_runs_done CHECK ((status = 'done') = (finished_at IS NOT NULL))
) WITH (fillfactor = 80);
COMMENT ON TABLE workflow_node_runs IS
    'One run of one node of an enrollment (seed 001 WorkflowNodeRun), a work queue: mentor.claim_node_runs leases the '
    'due ones to workers (SKIP LOCKED), mentor.finish_node_run reports the outcome and moves the enrollment on; once '
    'per enrollment and node (23505 names workflow_node_runs_once)';
COMMENT ON COLUMN workflow_node_runs.params IS 'The node''s parameters from the definition, for the worker';
COMMENT ON COLUMN workflow_node_runs.available_at IS 'Not claimed before: a wait''s run is due when the wait is over';
COMMENT ON COLUMN workflow_node_runs.outcome IS 'What the worker reported; a branch''s outcome picks its edge';
CREATE INDEX workflow_node_runs_ready_idx ON workflow_node_runs (available_at, id) WHERE status = 'ready';
CREATE INDEX workflow_node_runs_leased_idx ON workflow_node_runs (lease_until) WHERE status = 'running';
CREATE TRIGGER workflow_node_runs_touch_updated_at BEFORE UPDATE ON workflow_node_runs
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER workflow_node_runs_owned BEFORE INSERT OR UPDATE ON workflow_node_runs
    FOR EACH ROW EXECUTE FUNCTION _keep_owned_columns('Node runs move through mentor.claim_node_runs() and finish_node_run().',
                                                      'status', 'attempts', 'lease_owner', 'lease_until', 'outcome', 'output', 'finished_at');
SELECT attach_lifecycle('workflow_node_runs', 'status', 'workflow_node_run');

-- A run that failed for good (its last try, or a lease that ran out on it) fails its enrollment.
CREATE FUNCTION _workflow_run_failed() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    -- As drawn, only an active enrollment fails (a paused one whose run was being worked, too).
    UPDATE workflow_enrollments e SET status = 'active' WHERE e.id = NEW.enrollment_id AND e.status IN ('waiting', 'paused');
    UPDATE workflow_enrollments e
       SET status = 'failed', finished_at = now(),
           error = format('node %s failed after %s tries: %s', NEW.node_id, NEW.attempts, coalesce(NEW.last_error, 'no error given'))
     WHERE e.id = NEW.enrollment_id AND e.status = 'active';
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION _workflow_run_failed() IS 'Internal: a node run that failed for good fails its enrollment';
CREATE TRIGGER workflow_node_runs_failed AFTER UPDATE OF status ON workflow_node_runs
    FOR EACH ROW WHEN (NEW.status = 'failed') EXECUTE FUNCTION _workflow_run_failed();

-- The engine, set-based: enrollments (locked by the caller) leave their nodes with the
-- outcomes reported, all in a few statements however many there are.  Each goes to the
-- node its outcome leads to (a branch's labelled edge, else the unlabelled one): its run
-- is queued (held while paused; a wait's due after the wait), or the enrollment completes
-- at an end node or where no edge leads on.  Enrollments no longer live are left alone.
CREATE FUNCTION _workflow_advance(enrollment_ids bigint[], from_nodes text[], outcomes text[]) RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    eid    bigint[];
    est    workflow_enrollment_status[];
    nxt    text[];
    nst    jsonb[];
    moving integer;
    ending integer;
    stuck  jsonb;
BEGIN
    -- One pass says where each goes, whether any moves on or ends (the statements for none
    -- are skipped), and the first branch whose outcome leads nowhere.
    SELECT array_agg(t.id), array_agg(t.status), array_agg(t.next_id), array_agg(t.next_step),
           count(*) FILTER (WHERE t.next_id IS NOT NULL AND t.next_step ->> 'type' <> 'end'),
           count(*) FILTER (WHERE t.next_id IS NULL OR t.next_step ->> 'type' = 'end'),
           (array_agg(jsonb_build_object('node', t.from_node, 'outcome', t.outcome, 'next', t.step -> 'next'))
                FILTER (WHERE t.step ->> 'type' = 'branch' AND t.next_id IS NULL))[1]
      INTO eid, est, nxt, nst, moving, ending, stuck
      FROM (SELECT e.id, e.status, n.next_id, w.steps -> n.next_id AS next_step, x.from_node, x.outcome,
                   w.steps -> x.from_node AS step
              FROM unnest(enrollment_ids, from_nodes, outcomes) x(id, from_node, outcome)
              JOIN workflow_enrollments e ON e.id = x.id AND e.status IN ('active', 'waiting', 'paused')
              JOIN workflows w ON w.id = e.workflow_id
             CROSS JOIN LATERAL (SELECT CASE WHEN w.steps -> x.from_node ->> 'type' = 'branch'
                                             THEN coalesce(w.steps -> x.from_node -> 'next' ->> x.outcome,
                                                           w.steps -> x.from_node -> 'next' ->> '')
                                             ELSE w.steps -> x.from_node -> 'next' ->> '' END AS next_id) n) t;
    IF eid IS NULL THEN
        RETURN;
    END IF;
    -- A branch must lead somewhere: an outcome it has no edge for is the worker's mistake.
    IF stuck IS NOT NULL THEN
        RAISE EXCEPTION 'branch node % has no edge for the outcome %', stuck ->> 'node',
            coalesce(quote_literal(stuck ->> 'outcome'), 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('Its outcomes are: %s.', (SELECT string_agg(k, ', ') FROM jsonb_object_keys(stuck -> 'next') k)),
                  HINT = 'Report one of them (the run stays running until its lease ends).';
    END IF;
    IF moving > 0 THEN
        INSERT INTO workflow_node_runs (enrollment_id, node_id, node_type, params, status, available_at)
        SELECT t.eid, t.nxt, t.nst ->> 'type', t.nst -> 'params',
               CASE WHEN t.est = 'paused' THEN 'held' ELSE 'ready' END::workflow_node_run_status,
               now() + CASE WHEN t.nst ->> 'type' = 'wait' THEN (t.nst -> 'params' ->> 'duration')::interval ELSE interval '0' END
          FROM unnest(eid, est, nxt, nst) t(eid, est, nxt, nst)
         WHERE t.nxt IS NOT NULL AND t.nst ->> 'type' <> 'end';
        UPDATE workflow_enrollments e
           SET current_node = t.nxt,
               status = CASE WHEN e.status = 'paused' THEN e.status
                             WHEN t.nst ->> 'type' = 'wait' THEN 'waiting'::workflow_enrollment_status
                             ELSE 'active'::workflow_enrollment_status END
          FROM unnest(eid, nxt, nst) t(eid, nxt, nst)
         WHERE e.id = t.eid AND t.nxt IS NOT NULL AND t.nst ->> 'type' <> 'end';
    END IF;
    IF ending > 0 THEN
        -- As drawn, only an active enrollment completes.
        UPDATE workflow_enrollments e SET status = 'active'
          FROM unnest(eid, nxt, nst) t(eid, nxt, nst)
         WHERE e.id = t.eid AND (t.nxt IS NULL OR t.nst ->> 'type' = 'end') AND e.status IN ('waiting', 'paused');
        UPDATE workflow_enrollments e SET status = 'completed', finished_at = now(), current_node = coalesce(t.nxt, e.current_node)
          FROM unnest(eid, nxt, nst) t(eid, nxt, nst)
         WHERE e.id = t.eid AND (t.nxt IS NULL OR t.nst ->> 'type' = 'end');
    END IF;
END
$$;
COMMENT ON FUNCTION _workflow_advance(bigint[], text[], text[]) IS
    'Internal: locked enrollments leave their nodes with the outcomes given: the next runs are queued, or the '
    'enrollments complete; 22023 for a branch outcome it has no edge for';

CREATE FUNCTION enroll(workflow_id bigint, subject_type text, subject_id bigint, context jsonb DEFAULT '{}')
RETURNS workflow_enrollments
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    w workflows;
    e workflow_enrollments;
BEGIN
    SELECT * INTO w FROM workflows x WHERE x.id = enroll.workflow_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'workflow % does not exist', coalesce(workflow_id::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
    IF NOT w.active THEN
        RAISE EXCEPTION 'workflow % is not active', w.id USING ERRCODE = 'MN006', HINT = 'Activate it first.';
    END IF;
    INSERT INTO workflow_enrollments AS x (workflow_id, subject_type, subject_id, context, current_node)
    VALUES (w.id, subject_type, subject_id, coalesce(context, '{}'), w.start_node)
    ON CONFLICT (workflow_id, subject_type, subject_id) WHERE status IN ('active', 'waiting', 'paused') DO NOTHING
    RETURNING x.* INTO e;
    IF e.id IS NULL THEN
        -- Already going through it: that enrollment.
        SELECT * INTO e FROM workflow_enrollments x
         WHERE x.workflow_id = w.id AND x.subject_type = enroll.subject_type AND x.subject_id = enroll.subject_id
           AND x.status IN ('active', 'waiting', 'paused');
        RETURN e;
    END IF;
    PERFORM _workflow_advance(ARRAY[e.id], ARRAY[w.start_node], ARRAY[NULL::text]);
    SELECT * INTO e FROM workflow_enrollments x WHERE x.id = e.id;
    RETURN e;
END
$$;
COMMENT ON FUNCTION enroll(bigint, text, bigint, jsonb) IS
    'Enrolls a subject (lead, user, job_post, job_application, other) in an active workflow and queues the run of the '
    'node after the start; a subject already going through it gets that enrollment back. MN006 for an inactive '
    'workflow';

CREATE FUNCTION claim_node_runs(worker text, n integer DEFAULT 10, lease interval DEFAULT interval '5 minutes')
RETURNS SETOF workflow_node_runs
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    ids bigint[];
BEGIN
    ids := ARRAY(SELECT _queue_claim('workflow_node_runs', 'ready', 'running', 'failed', worker, n, lease,
                                     (setting('workflow.max_attempts') #>> '{}')::integer));
    -- A wait that is over: its enrollment is active again.
    UPDATE workflow_enrollments e SET status = 'active'
      FROM workflow_node_runs r
     WHERE r.id = ANY (ids) AND r.node_type = 'wait' AND e.id = r.enrollment_id AND e.status = 'waiting';
    RETURN QUERY SELECT r.* FROM workflow_node_runs r WHERE r.id = ANY (ids) ORDER BY r.available_at, r.id;
END
$$;
COMMENT ON FUNCTION claim_node_runs(text, integer, interval) IS
    'A worker takes up to n due node runs, oldest first, leased for lease; workers never wait on each other or get '
    'the same run. Expired leases go back first (failed after workflow.max_attempts, failing the enrollment). The '
    'worker does the node''s work (a wait needs none) and reports with finish_node_run or fail_node_run';

-- A batch in a few statements: every run done (only the lease holder's, within its lease;
-- otherwise the first refused one says why and nothing of the batch is kept), then the
-- enrollments locked in id order (two workers' batches never deadlock) and advanced.
CREATE FUNCTION finish_node_runs(ids bigint[], worker text, outcomes text[] DEFAULT NULL, outputs jsonb[] DEFAULT NULL)
RETURNS SETOF workflow_node_runs
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    n       integer := coalesce(cardinality(ids), 0);
    done    bigint[];
    eids    bigint[];
    froms   text[];
    outs    text[];
    missing bigint;
BEGIN
    IF n = 0 THEN
        RETURN;
    END IF;
    IF cardinality(outcomes) <> n OR cardinality(outputs) <> n THEN
        RAISE EXCEPTION 'finish_node_runs needs one outcome and one output per run, or none' USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('%s runs, %s outcomes, %s outputs.', n, coalesce(cardinality(outcomes)::text, 'no'),
                            coalesce(cardinality(outputs)::text, 'no'));
    END IF;
    WITH o AS (SELECT * FROM unnest(ids, coalesce(outcomes, array_fill(NULL::text, ARRAY[n])),
                                    coalesce(outputs, array_fill(NULL::jsonb, ARRAY[n]))) o(id, outcome, output)),
         u AS (UPDATE workflow_node_runs q
                  SET status = 'done', finished_at = now(), outcome = o.outcome, output = o.output,
                      lease_owner = NULL, lease_until = NULL
                 FROM o
                WHERE q.id = o.id AND q.status = 'running' AND q.lease_owner = worker AND q.lease_until >= now()
               RETURNING q.id, q.enrollment_id, q.node_id, q.outcome)
    SELECT array_agg(u.id ORDER BY u.enrollment_id), array_agg(u.enrollment_id ORDER BY u.enrollment_id),
           array_agg(u.node_id ORDER BY u.enrollment_id), array_agg(u.outcome ORDER BY u.enrollment_id)
      INTO done, eids, froms, outs FROM u;
    IF coalesce(cardinality(done), 0) < n THEN
        SELECT x INTO missing FROM unnest(ids) x WHERE x IS NULL OR NOT x = ANY (coalesce(done, '{}')) LIMIT 1;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'finish_node_runs was given a run twice' USING ERRCODE = 'invalid_parameter_value';
        END IF;
        PERFORM _queue_refuse('workflow_node_runs', 'node run', missing, worker, 'running');
    END IF;
    PERFORM 1 FROM workflow_enrollments e WHERE e.id = ANY (eids) ORDER BY e.id FOR UPDATE;
    PERFORM _workflow_advance(eids, froms, outs);
    RETURN QUERY SELECT q.* FROM workflow_node_runs q WHERE q.id = ANY (done) ORDER BY q.id;
END
$$;
COMMENT ON FUNCTION finish_node_runs(bigint[], text, text[], jsonb[]) IS
    'The lease holder reports a batch of node runs done, with their outcomes and outputs (arrays in the order of '
    'ids, or NULL), and their enrollments move on, as finish_node_run does for one; all or nothing: the first run '
    'it may not report raises (MN005, MN006, MN008, P0002) and none of the batch is kept';

CREATE FUNCTION finish_node_run(id bigint, worker text, outcome text DEFAULT NULL, output jsonb DEFAULT NULL)
RETURNS workflow_node_runs
LANGUAGE sql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$ SELECT * FROM finish_node_runs(ARRAY[id], worker, ARRAY[outcome], ARRAY[output]) $$;
COMMENT ON FUNCTION finish_node_run(bigint, text, text, jsonb) IS
    'The lease holder reports a node run done, with its outcome (a branch''s picks the edge; 22023 for one it has no '
    'edge for) and output, and the enrollment moves to the next node or completes. Once: a second report is MN006; '
    'MN005 when another worker holds it, MN008 when the lease ran out, P0002 when there is no such run';

CREATE FUNCTION fail_node_run(id bigint, worker text, error text, retry_after interval DEFAULT NULL)
RETURNS workflow_node_runs
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    r workflow_node_runs;
BEGIN
    PERFORM _queue_retry('workflow_node_runs', 'node run', fail_node_run.id, worker, error, retry_after, 'ready', 'running',
                         'failed', (setting('workflow.max_attempts') #>> '{}')::integer,
                         (setting('workflow.retry_backoff') #>> '{}')::interval);
    SELECT * INTO r FROM workflow_node_runs q WHERE q.id = fail_node_run.id;
    RETURN r;
END
$$;
COMMENT ON FUNCTION fail_node_run(bigint, text, text, interval) IS
    'The lease holder reports a node run failed: it is tried again after retry_after (default workflow.retry_backoff, '
    'doubling), or after workflow.max_attempts tries it fails and so does its enrollment';

CREATE FUNCTION _live_enrollment(id bigint) RETURNS workflow_enrollments
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    e workflow_enrollments;
BEGIN
    SELECT * INTO e FROM workflow_enrollments x WHERE x.id = _live_enrollment.id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'workflow enrollment % does not exist', coalesce(id::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
    IF e.status NOT IN ('active', 'waiting', 'paused') THEN
        RAISE EXCEPTION 'workflow enrollment % is already %', e.id, e.status USING ERRCODE = 'MN006';
    END IF;
    RETURN e;
END
$$;
COMMENT ON FUNCTION _live_enrollment(bigint) IS 'Internal: locks a live enrollment (P0002 if missing, MN006 once over)';

CREATE FUNCTION pause_enrollment(id bigint) RETURNS workflow_enrollments
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    e workflow_enrollments := _live_enrollment(id);
BEGIN
    IF e.status = 'paused' THEN
        RETURN e;
    END IF;
    -- As drawn, only an active enrollment pauses: a waiting one is active again first.
    UPDATE workflow_enrollments x SET status = 'active' WHERE x.id = e.id AND x.status = 'waiting';
    UPDATE workflow_enrollments x SET status = 'paused' WHERE x.id = e.id RETURNING x.* INTO e;
    UPDATE workflow_node_runs r SET status = 'held' WHERE r.enrollment_id = e.id AND r.status = 'ready';
    RETURN e;
END
$$;
COMMENT ON FUNCTION pause_enrollment(bigint) IS
    'Pauses a live enrollment: its queued run is held (one being run finishes, and the next is held)';

CREATE FUNCTION resume_enrollment(id bigint) RETURNS workflow_enrollments
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    e workflow_enrollments := _live_enrollment(id);
BEGIN
    IF e.status <> 'paused' THEN
        RETURN e;
    END IF;
    UPDATE workflow_enrollments x SET status = 'active' WHERE x.id = e.id;
    UPDATE workflow_node_runs r SET status = 'ready' WHERE r.enrollment_id = e.id AND r.status = 'held';
    -- A wait that is not over yet: waiting again.
    UPDATE workflow_enrollments x SET status = 'waiting'
     WHERE x.id = e.id AND EXISTS (SELECT 1 FROM workflow_node_runs r WHERE r.enrollment_id = e.id AND r.status = 'ready'
                                                                        AND r.node_type = 'wait' AND r.available_at > now());
    SELECT * INTO e FROM workflow_enrollments x WHERE x.id = e.id;
    RETURN e;
END
$$;
COMMENT ON FUNCTION resume_enrollment(bigint) IS 'Resumes a paused enrollment: its held run is queued again';

CREATE FUNCTION cancel_enrollment(id bigint, reason text DEFAULT NULL) RETURNS workflow_enrollments
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    e workflow_enrollments := _live_enrollment(id);
BEGIN
    UPDATE workflow_enrollments x SET status = 'active' WHERE x.id = e.id AND x.status IN ('waiting', 'paused');
    UPDATE workflow_enrollments x SET status = 'cancelled', finished_at = now(), error = reason WHERE x.id = e.id
    RETURNING x.* INTO e;
    UPDATE workflow_node_runs r SET status = 'cancelled' WHERE r.enrollment_id = e.id AND r.status IN ('ready', 'held');
    RETURN e;
END
$$;
COMMENT ON FUNCTION cancel_enrollment(bigint, text) IS
    'Cancels a live enrollment: its queued run is cancelled; one being run may finish, and nothing follows it';

-- Trigger rules (seed 001 WorkflowRule): events that enroll their subject.
CREATE TABLE workflow_rules (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workflow_id  bigint NOT NULL REFERENCES workflows ON DELETE CASCADE,
    event        text NOT NULL CONSTRAINT workflow_rules_event CHECK (event IN ('lead_created', 'lead_status', 'job_post_status')),
    status_value text,
    job_post_id  bigint REFERENCES job_posts ON DELETE CASCADE,
    active       boolean NOT NULL DEFAULT true,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT workflow_rules_status_needed CHECK ((event = 'lead_created') = (status_value IS NULL)),
    CONSTRAINT workflow_rules_job_post_only CHECK (job_post_id IS NULL OR event = 'job_post_status')
);
COMMENT ON TABLE workflow_rules IS
    'What enrolls subjects in a workflow by itself (seed 001 WorkflowRule): a lead created, a lead reaching a status, '
    'a job post (any, or job_post_id) reaching a status';
COMMENT ON COLUMN workflow_rules.status_value IS 'The status that fires lead_status and job_post_status rules';
CREATE INDEX workflow_rules_event_idx ON workflow_rules (event) WHERE active;
-- Backends cache which events have rules (src/workflow.c); a change drops that everywhere,
-- on a logical-replication subscriber too (the row trigger, enabled for replicas only).
CREATE TRIGGER workflow_rules_cache_invalidate
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON workflow_rules
    FOR EACH STATEMENT EXECUTE FUNCTION _table_cache_changed();
CREATE TRIGGER workflow_rules_cache_invalidate_apply
    AFTER INSERT OR UPDATE OR DELETE ON workflow_rules
    FOR EACH ROW EXECUTE FUNCTION _table_cache_changed();
ALTER TABLE workflow_rules ENABLE REPLICA TRIGGER workflow_rules_cache_invalidate_apply;
-- (The trigger function's own description, from the lifecycle module, gains this table.)
COMMENT ON FUNCTION _table_cache_changed() IS
    'Internal: statement trigger that makes every backend drop what it caches from the table (lifecycles, settings, '
    'ledger accounts, workflow rules); also a row trigger enabled for replicas, for rows a subscription applies';
CREATE TRIGGER workflow_rules_touch_updated_at BEFORE UPDATE ON workflow_rules FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- C (src/workflow.c): every lead passes here, and with no rule it is one cached query.
CREATE FUNCTION _workflow_rules_fire() RETURNS trigger
    AS 'MODULE_PATHNAME', 'mn_workflow_rules_fire' LANGUAGE C;
COMMENT ON FUNCTION _workflow_rules_fire() IS 'Internal: a lead or job post event enrolls it in the workflows whose rules match';
CREATE TRIGGER raw_leads_workflow_rules AFTER INSERT ON raw_leads
    FOR EACH ROW EXECUTE FUNCTION _workflow_rules_fire();
CREATE TRIGGER raw_leads_workflow_rules_status AFTER UPDATE OF status ON raw_leads
    FOR EACH ROW WHEN (NEW.status IS DISTINCT FROM OLD.status) EXECUTE FUNCTION _workflow_rules_fire();
CREATE TRIGGER job_posts_workflow_rules AFTER UPDATE OF status ON job_posts
    FOR EACH ROW WHEN (NEW.status IS DISTINCT FROM OLD.status) EXECUTE FUNCTION _workflow_rules_fire();

-- What 90_security's blanket grants give the new tables and sequences, then its revokes.
GRANT SELECT, INSERT, UPDATE, DELETE ON notification_channels, notification_types, notification_templates, notification_defaults, notification_user_settings, notification_connections, notifications, alerts, integration_tokens, one_time_tokens, refresh_tokens, api_keys, api_key_usage, active_alerts, api_key_usage_daily, connections, conversations, conversation_members, messages, direct_messages, support_groups, group_memberships,
    languages, tags, problems, problem_tags, submissions, solved_problems, user_stats, user_rank_counts, user_rank_totals,
    user_stats_daily, interview_sessions, interview_questions, collaboration_sessions, collaboration_participants, forum_posts,
    forum_comments, news_sources, news_items, leaderboard, resources, resource_comments, support_tickets, ticket_messages,
    proxy_requests, milestone_logs, support_chats, learning_paths, learning_path_modules, learning_progress,
    learning_module_completions, learning_paths_json, user_learning_progress, events, course_events, webinars,
    webinar_progress, course_modules, question_categories, questions, quizzes, quiz_questions, quiz_attempts,
    quiz_questions_public, quiz_results, batches, program_applications, enrollments, assignments, classes, attendance,
    attendance_rates, announcements, task_verifications, task_checkers, task_artefacts,
    task_interviewers, task_interview_students, task_interview_results,
    gratitudes, private_feedback, student_feedback, employers, resumes, user_groups, user_group_members,
    mentor_registries, discord_servers, contributors, repository_events, job_posts, job_screening_configs,
    job_applications, resume_analyses, screening_results, salary_benchmarks, talent_pool_entries, talent_pool_matches,
    pap_agreement_templates, pap_workflows, job_templates, hr_platforms, hr_platform_accounts, job_platform_postings,
    quiz_templates, quiz_template_questions, candidate_quiz_responses, voice_interviews, voice_interview_messages,
    discount_requests,
    lead_tags, lead_import_batches, raw_leads, raw_lead_tags, lead_import_rows, lead_activity, lead_call_logs, lead_message_logs, lead_sms_logs, lead_email_logs, lead_whatsapp_logs, sales_head_profiles, salesperson_targets, community_manager_assignments, cm_notes, lead_assignment_history, lead_assignment_approvals, batch_lead_assignments, lead_follow_ups, overdue_follow_ups, vendor_leads, campaign_leads, leads, workflows, workflow_enrollments, workflow_node_runs, workflow_rules
    TO mentor_app, mentor_admin;
GRANT USAGE, SELECT ON SEQUENCE notification_templates_id_seq, notification_connections_id_seq, notifications_id_seq,
    alerts_id_seq, integration_tokens_id_seq, one_time_tokens_id_seq, refresh_tokens_id_seq, api_keys_id_seq,
    connections_id_seq, conversations_id_seq, messages_id_seq, support_groups_id_seq, group_memberships_id_seq,
    tags_id_seq, problems_id_seq, submissions_id_seq, interview_sessions_id_seq, interview_questions_id_seq,
    collaboration_sessions_id_seq, forum_posts_id_seq, forum_comments_id_seq, news_items_id_seq,
    problem_tags_id_seq, collaboration_participants_id_seq, resources_id_seq, resource_comments_id_seq,
    support_tickets_id_seq, ticket_messages_id_seq, proxy_requests_id_seq, milestone_logs_id_seq, support_chats_id_seq,
    learning_paths_id_seq, learning_path_modules_id_seq, learning_progress_id_seq, learning_module_completions_id_seq,
    events_id_seq, course_events_id_seq, webinars_id_seq, webinar_progress_id_seq, course_modules_id_seq,
    question_categories_id_seq, questions_id_seq, quizzes_id_seq, quiz_questions_id_seq, quiz_attempts_id_seq,
    batches_id_seq, program_applications_id_seq, classes_id_seq, attendance_id_seq, announcements_id_seq,
    task_verifications_id_seq, task_checkers_id_seq, task_artefacts_id_seq, task_interviewers_id_seq,
    task_interview_students_id_seq, task_interview_results_id_seq,
    gratitudes_id_seq, private_feedback_id_seq, student_feedback_id_seq, employers_id_seq, resumes_id_seq, user_groups_id_seq, user_group_members_id_seq, mentor_registries_id_seq, discord_servers_id_seq, contributors_id_seq, repository_events_id_seq,
    job_posts_id_seq, job_screening_configs_id_seq, job_applications_id_seq, resume_analyses_id_seq,
    screening_results_id_seq, salary_benchmarks_id_seq, talent_pool_entries_id_seq, talent_pool_matches_id_seq,
    pap_agreement_templates_id_seq, pap_workflows_id_seq, job_templates_id_seq, hr_platforms_id_seq,
    hr_platform_accounts_id_seq, job_platform_postings_id_seq, quiz_templates_id_seq, quiz_template_questions_id_seq,
    candidate_quiz_responses_id_seq,
    voice_interviews_id_seq, voice_interview_messages_id_seq, discount_requests_id_seq,
    lead_tags_id_seq, lead_import_batches_id_seq, raw_leads_id_seq, lead_import_rows_id_seq, lead_activity_id_seq, lead_call_logs_id_seq, lead_message_logs_id_seq, sales_head_profiles_id_seq, salesperson_targets_id_seq, community_manager_assignments_id_seq, cm_notes_id_seq, lead_assignment_history_id_seq, lead_assignment_approvals_id_seq, batch_lead_assignments_id_seq, lead_follow_ups_id_seq, vendor_leads_id_seq, workflows_id_seq, workflow_enrollments_id_seq, workflow_node_runs_id_seq, workflow_rules_id_seq
    TO mentor_app, mentor_admin;
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON active_alerts, api_key_usage_daily, direct_messages, leaderboard, learning_paths_json, user_learning_progress, quiz_questions_public, quiz_results, enrollments, assignments, attendance_rates,
    lead_sms_logs, lead_email_logs, lead_whatsapp_logs, overdue_follow_ups, campaign_leads, leads FROM mentor_app, mentor_analyst, mentor_admin, PUBLIC;
-- Notifications: the catalogue (types, channels, templates, defaults) and
-- alerts are administrators'; users choose their own settings and
-- connections (row-level security); the outbox is written by notify() and
-- the delivery functions only, and read by the application as each user's
-- in-app inbox.  Analysts see none of it: payloads and addresses are personal.
REVOKE INSERT, UPDATE, DELETE ON notification_types, notification_channels, notification_templates,
    notification_defaults, alerts FROM mentor_app;
REVOKE INSERT, UPDATE, DELETE ON notifications FROM mentor_app, mentor_admin;
DO $grants$
DECLARE
    fn text;
BEGIN
    FOREACH fn IN ARRAY ARRAY[
        'notify(bigint, text, jsonb, text)', 'claim_notifications(text, text, integer, interval)',
        'mark_sent(bigint, text, text)', 'mark_failed(bigint, text, text, interval)', 'render_notification(bigint)',
        'mark_notifications_read(bigint[])', 'unread_notifications()']
    LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION @extschema@.%s FROM PUBLIC', fn);
        EXECUTE format('GRANT EXECUTE ON FUNCTION @extschema@.%s TO mentor_app', fn);
    END LOOP;
    REVOKE EXECUTE ON FUNCTION requeue_notification(bigint) FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION requeue_notification(bigint) TO mentor_admin;
    REVOKE EXECUTE ON FUNCTION _queue_claim(regclass, text, text, text, text, integer, interval, integer, name, text, text),
        _queue_hold(regclass, text, bigint, text, text, text), _queue_refuse(regclass, text, bigint, text, text, text),
        _queue_retry(regclass, text, bigint, text, text, interval, text, text, text, integer, interval),
        _notification_targets(bigint, text), _notify_each(bigint[], text[], jsonb, text[]),
        _notifications_catalogue_deleted() FROM PUBLIC;
    -- the row-level security policy of alerts calls it
    REVOKE EXECUTE ON FUNCTION _in_course(bigint) FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION _in_course(bigint) TO mentor_app;
END
$grants$;

-- Secrets: no role reads plain text by SELECT.  Tokens are written and read in
-- clear only through their SECURITY DEFINER functions, for their user (by
-- set_actor) or an administrator; the application sees the descriptive
-- columns of its own integration tokens (row-level security), never the
-- ciphertext, and no column of one-time tokens, refresh tokens or key hashes.
REVOKE ALL ON integration_tokens, one_time_tokens, refresh_tokens, api_keys, api_key_usage FROM mentor_app, mentor_admin;
GRANT SELECT (id, user_id, provider, account_ref, scopes, expires_at, key_id, created_at, updated_at)
    ON integration_tokens TO mentor_app, mentor_admin;
GRANT DELETE ON integration_tokens TO mentor_app, mentor_admin;
GRANT SELECT (id, name, vendor, owner_id, prefix, status, created_at, updated_at) ON api_keys TO mentor_admin;
GRANT UPDATE (status) ON api_keys TO mentor_admin;
GRANT SELECT ON api_key_usage TO mentor_admin;
REVOKE SELECT ON api_key_usage_daily FROM mentor_app;
ALTER TABLE integration_tokens ENABLE ROW LEVEL SECURITY;
CREATE POLICY integration_tokens_select ON integration_tokens FOR SELECT TO mentor_app
    USING (user_id = @extschema@.current_actor());
CREATE POLICY integration_tokens_delete ON integration_tokens FOR DELETE TO mentor_app
    USING (user_id = @extschema@.current_actor());
DO $grants$
DECLARE
    fn text;
BEGIN
    FOREACH fn IN ARRAY ARRAY[
        'store_token(bigint, text, text, text, timestamptz, text, text)', 'read_token(bigint)',
        'issue_token(text, bigint, interval, jsonb)', 'consume_token(text, text)',
        'issue_refresh_token(bigint, interval)', 'rotate_refresh_token(text, interval)',
        'revoke_refresh_tokens(bigint)', 'verify_api_key(text)']
    LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION @extschema@.%s FROM PUBLIC', fn);
        EXECUTE format('GRANT EXECUTE ON FUNCTION @extschema@.%s TO mentor_app', fn);
    END LOOP;
    FOREACH fn IN ARRAY ARRAY['rotate_secret_key()', 'create_api_key(text, text, bigint)']
    LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION @extschema@.%s FROM PUBLIC', fn);
        EXECUTE format('GRANT EXECUTE ON FUNCTION @extschema@.%s TO mentor_admin', fn);
    END LOOP;
    REVOKE EXECUTE ON FUNCTION _secret_key(boolean), _pgp(boolean, bytea, text), _random_token(integer),
        _secret_reader(bigint), _caller_is_admin() FROM PUBLIC;
END
$grants$;

-- Community: connections and conversations change through their functions, for the acting
-- user; rows are readable by the people in them (row-level security); analysts see none.
REVOKE INSERT, UPDATE, DELETE ON connections, conversations, conversation_members, messages FROM mentor_app, mentor_admin;
-- Support groups: the application writes them under their row-level security; memberships are
-- joined and left, never edited.
REVOKE UPDATE ON group_memberships FROM mentor_app, mentor_admin;
DO $grants$
DECLARE
    fn text;
BEGIN
    FOREACH fn IN ARRAY ARRAY[
        'request_connection(bigint, text)', 'respond_connection(bigint, boolean)', 'is_connected(bigint, bigint)',
        'start_direct(bigint)', 'start_group(text, bigint[])', 'send_message(bigint, text)', 'edit_message(bigint, text)',
        'mark_conversation_read(bigint)', 'unread_counts()']
    LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION @extschema@.%s FROM PUBLIC', fn);
        EXECUTE format('GRANT EXECUTE ON FUNCTION @extschema@.%s TO mentor_app', fn);
    END LOOP;
    REVOKE EXECUTE ON FUNCTION _community_actor(), _notify_conversation_message(), _group_memberships_count() FROM PUBLIC;
    -- the row-level security policies of conversations call it
    REVOKE EXECUTE ON FUNCTION _in_conversation(bigint) FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION _in_conversation(bigint) TO mentor_app;
END
$grants$;

-- Course school: attempts, checkers and artefacts are written under their row-level security;
-- results on checked tasks by their checker or the course's staff (the trigger's MN005).
DO $grants$
DECLARE
    fn text;
BEGIN
    FOREACH fn IN ARRAY ARRAY[
        'course_roles(bigint, bigint)', 'has_course_role(bigint, bigint, text[])',
        'register_for_interview(bigint, bigint[])', 'assign_interviewer(bigint, bigint)', 'distribute_interviews(bigint)',
        'schedule_interview(bigint, tstzrange)', 'decide_interview(bigint, boolean, boolean)',
        'submit_interview_result(bigint, integer, jsonb, text)',
        -- the row-level security policies call them
        '_own_student(bigint)', '_task_checker_user(bigint, bigint)']
    LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION @extschema@.%s FROM PUBLIC', fn);
        EXECUTE format('GRANT EXECUTE ON FUNCTION @extschema@.%s TO mentor_app, mentor_analyst', fn);
    END LOOP;
    REVOKE EXECUTE ON FUNCTION _task_verification_attempt(), _task_verification_update(),
        _task_verification_result(), _course_task_attempt_rescore(), _task_checkers_task(), _task_results_checker(),
        _course_task_course(), _interview_task_course(), _task_interview_assignment(),
        _match_pairs(integer, integer[], integer[], integer[], float8[], integer, text),
        _interview_party(task_interview_students, text), _interview_registration(bigint),
        _interviewed_before(bigint, bigint, bigint) FROM PUBLIC;
END
$grants$;
-- Course school, people: gratitude, feedback, resumes and mentors' registries are written by
-- their authors under row-level security; employers and the registries of groups, Discord
-- servers and contributors are staff's; repository events are an append-only log.
REVOKE INSERT, UPDATE, DELETE ON employers, user_groups, user_group_members, discord_servers, contributors FROM mentor_app;
GRANT SELECT ON gratitudes, user_groups, discord_servers TO mentor_analyst;
DO $grants$
DECLARE
    fn text;
BEGIN
    FOREACH fn IN ARRAY ARRAY['resume_by_public_id(uuid)',
        -- the row-level security policies call them
        '_course_mentor_is_actor(bigint)', '_resume_readable(bigint, resume_visibility)']
    LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION @extschema@.%s FROM PUBLIC', fn);
        EXECUTE format('GRANT EXECUTE ON FUNCTION @extschema@.%s TO mentor_app', fn);
    END LOOP;
    REVOKE EXECUTE ON FUNCTION _student_feedback_check(), _repository_events_guard() FROM PUBLIC;
END
$grants$;

-- Learning: paths and their modules are staff's; users start paths and complete modules as
-- themselves (row-level security); progress figures are the triggers'.
REVOKE INSERT, UPDATE, DELETE ON learning_paths, learning_path_modules FROM mentor_app;
REVOKE UPDATE ON learning_progress, learning_module_completions FROM mentor_app, mentor_admin;
GRANT SELECT ON learning_paths, learning_path_modules, learning_paths_json TO mentor_analyst;
REVOKE EXECUTE ON FUNCTION _learning_completion_counts(), _learning_modules_recount() FROM PUBLIC;
-- Events: the reusable events and webinars are staff's; course events are written by the
-- course's staff (row-level security); webinar progress by its user.
REVOKE INSERT, UPDATE, DELETE ON events, webinars FROM mentor_app;
GRANT SELECT ON events, webinars TO mentor_analyst;
REVOKE EXECUTE ON FUNCTION _course_event_clash(), _webinar_progress_stamp() FROM PUBLIC;

-- Quizzes: the question bank and quizzes are staff's; the application reads questions without
-- their answers (quiz_questions_public), course modules are written by the course's staff, and
-- attempts move only through start_quiz and submit_quiz.
REVOKE INSERT, UPDATE, DELETE ON question_categories, questions, quizzes, quiz_questions FROM mentor_app;
REVOKE SELECT ON questions FROM mentor_app;
GRANT SELECT ON questions TO mentor_admin;
REVOKE INSERT, UPDATE, DELETE ON quiz_attempts FROM mentor_app, mentor_admin;
DO $grants$
DECLARE
    fn text;
BEGIN
    FOREACH fn IN ARRAY ARRAY['start_quiz(bigint)', 'submit_quiz(bigint, jsonb)', 'quiz_review(bigint)']
    LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION @extschema@.%s FROM PUBLIC', fn);
        EXECUTE format('GRANT EXECUTE ON FUNCTION @extschema@.%s TO mentor_app', fn);
    END LOOP;
END
$grants$;

-- Cohorts: batches are staff's; an application is written by its applicant while a draft and
-- then moves only through its functions; classes, attendance and announcements are written
-- under their row-level security; seats, marks and enrollment flags are the triggers'.
REVOKE INSERT, UPDATE, DELETE ON batches FROM mentor_app;
GRANT SELECT ON batches, classes TO mentor_analyst;
DO $grants$
DECLARE
    fn text;
BEGIN
    FOREACH fn IN ARRAY ARRAY[
        'submit_application(bigint)', 'review_application(bigint, boolean, text)',
        'pay_application_fee(bigint, text, uuid)', 'confirm_application_payment(bigint)',
        'allocate_application(bigint, bigint)', 'enroll_application(bigint)', 'deboard_application(bigint, text)',
        -- the row-level security policies call them
        '_class_staff(bigint)', '_may_announce(bigint, bigint)', '_announcement_audience(bigint, bigint)']
    LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION @extschema@.%s FROM PUBLIC', fn);
        EXECUTE format('GRANT EXECUTE ON FUNCTION @extschema@.%s TO mentor_app', fn);
    END LOOP;
    REVOKE EXECUTE ON FUNCTION _program_applications_seats(), _attendance_mark(), _classes_course(),
        _students_enrollment_completed(), _application(bigint),
        _application_in(program_applications, text, program_application_status[]) FROM PUBLIC;
END
$grants$;

-- Practice: problems and the catalogues are staff's; submissions are inserted by their user and
-- then move only through the judge's functions; stats and ranks are the triggers' (the
-- application writes a user's study_plan only); interviews, pair programming and the forum are
-- written under their row-level security.
REVOKE INSERT, UPDATE, DELETE ON languages, tags, problems, problem_tags, news_sources FROM mentor_app;
REVOKE UPDATE, DELETE ON submissions FROM mentor_app, mentor_admin;
REVOKE INSERT, UPDATE, DELETE ON solved_problems, user_rank_counts, user_rank_totals, user_stats_daily FROM mentor_app, mentor_admin;
REVOKE UPDATE, DELETE ON user_stats FROM mentor_app, mentor_admin;
GRANT UPDATE (study_plan) ON user_stats TO mentor_app, mentor_admin;
GRANT SELECT ON languages, tags, problems, problem_tags, news_sources, news_items, user_stats_daily TO mentor_analyst;
DO $grants$
DECLARE
    fn text;
BEGIN
    FOREACH fn IN ARRAY ARRAY[
        'claim_submissions(text, integer, interval, text)',
        'report_submission(bigint, text, submission_status, submission_verdict, text, numeric, integer, integer, text)',
        'user_rank(bigint)', 'snapshot_user_stats(date)', 'hide_forum_post(bigint, boolean, text)',
        'hide_forum_comment(bigint, boolean)', 'record_news_item(text, news_type, text, text, text, timestamptz)',
        -- the row-level security policies call them
        '_own_interview(bigint)', '_in_collaboration(bigint)', '_actor_is_staff()', '_collaboration_host(bigint)', '_forum_post_visible(bigint)']
    LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION @extschema@.%s FROM PUBLIC', fn);
        EXECUTE format('GRANT EXECUTE ON FUNCTION @extschema@.%s TO mentor_app', fn);
    END LOOP;
    REVOKE EXECUTE ON FUNCTION _problem_document(bigint, text, text), _problems_search(), _submission_judged(),
        _user_stats_gone(), _rank_count_move(integer, integer, integer, integer), _collaboration_host_joins(), _collaboration_participants_count(), _forum_comments_count(),
        _staff_actor(text) FROM PUBLIC;
END
$grants$;

-- Support: resources, tickets, proxy requests, milestones and support chats are written by
-- the application under their row-level security; a ticket's status and assignee and a proxy
-- request's answer move through their functions; threads are never edited; analysts see none.
REVOKE UPDATE, DELETE ON ticket_messages FROM mentor_app, mentor_admin;
REVOKE UPDATE ON support_chats FROM mentor_app, mentor_admin;
DO $grants$
DECLARE
    fn text;
BEGIN
    FOREACH fn IN ARRAY ARRAY[
        'assign_ticket(bigint, bigint)', 'set_ticket_status(bigint, reported_issue_status)',
        'respond_proxy_request(bigint, boolean)', 'complete_proxy_request(bigint, timestamptz)',
        -- the row-level security policies call them
        '_resource_visible(bigint)', '_ticket_party(bigint)']
    LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION @extschema@.%s FROM PUBLIC', fn);
        EXECUTE format('GRANT EXECUTE ON FUNCTION @extschema@.%s TO mentor_app', fn);
    END LOOP;
    REVOKE EXECUTE ON FUNCTION _support_ticket_assignee(), _proxy_request_check() FROM PUBLIC;
END
$grants$;

-- Hiring: the hiring team's application writes posts, templates, applications, analyses, HR
-- accounts and quiz templates; a screening verdict, a posting's status, a candidate quiz and a
-- voice interview move through their functions only; a transcript turn is never changed; the
-- job boards are staff's; analysts see the posts and salary benchmarks, never candidates.
REVOKE UPDATE, DELETE ON screening_results FROM mentor_app, mentor_admin;
REVOKE UPDATE, DELETE, TRUNCATE ON voice_interview_messages FROM mentor_app, mentor_admin;
REVOKE INSERT, UPDATE, DELETE ON pap_agreement_templates, hr_platforms FROM mentor_app;
GRANT SELECT ON job_posts, salary_benchmarks TO mentor_analyst;
DO $grants$
DECLARE
    fn text;
BEGIN
    FOREACH fn IN ARRAY ARRAY['record_screening(bigint, numeric, jsonb, jsonb)',
                              'match_talent_pool(bigint, integer)', 'start_pap(bigint, bigint)',
                              'pap_step(bigint, text, jsonb, text, text, text, uuid)',
                              'job_post_from_template(bigint, text, text)', 'post_job(bigint, bigint)',
                              'record_job_posting(bigint, text, text, text)', 'remove_job_posting(bigint)',
                              'invite_candidate_quiz(bigint, bigint, interval)', 'start_candidate_quiz(bigint)',
                              'submit_candidate_quiz(bigint, jsonb)',
                              'schedule_voice_interview(bigint, timestamptz, text)', 'start_voice_interview(bigint, text)',
                              'complete_voice_interview(bigint, numeric, text, text)', 'end_voice_interview(bigint, text, text)',
                              'request_discount(bigint, bigint, text)', 'decide_discount(bigint, boolean, text)',
                              'cancel_discount(bigint)']
    LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION @extschema@.%s FROM PUBLIC', fn);
        EXECUTE format('GRANT EXECUTE ON FUNCTION @extschema@.%s TO mentor_app', fn);
    END LOOP;
    REVOKE EXECUTE ON FUNCTION salary_benchmark(text, text, date) FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION salary_benchmark(text, text, date) TO mentor_app, mentor_analyst;
    REVOKE EXECUTE ON FUNCTION _resume_analysis_parsed(), _job_application_pooled(), _voice_interview_message_open(),
        _job_application_to(bigint, candidate_status[]), _voice_interview(bigint, text, text[]),
        _grade_answers(bigint[], jsonb, text), _application_fee(bigint), _discount_open(program_applications),
        _job_posting(bigint), _candidate_quiz(bigint) FROM PUBLIC;
END
$grants$;

-- Sales CRM: the sales team's application reads and writes leads, tags, calls, messages, the
-- organisation and notes; assignment, approvals, imports, follow-ups and vendor intake move
-- through their functions; the timeline, the assignment history, import results, bulk
-- assignments and vendor leads are written by the extension only.  Analysts see none of it
-- (phones, emails and notes are people's).
REVOKE INSERT, UPDATE, DELETE ON lead_activity, lead_assignment_history, lead_import_rows, batch_lead_assignments,
    vendor_leads FROM mentor_app, mentor_admin;
REVOKE INSERT ON lead_import_batches, lead_assignment_approvals, lead_follow_ups FROM mentor_app;
-- Workflows: definitions and rules are written by the application (validated on save);
-- enrollments start with enroll() and runs are the engine's.
REVOKE INSERT ON workflow_enrollments FROM mentor_app;
REVOKE INSERT, UPDATE, DELETE ON workflow_node_runs FROM mentor_app;
DO $grants$
DECLARE
    fn text;
BEGIN
    FOREACH fn IN ARRAY ARRAY['normalize_phone(text, text)', 'assign_lead(bigint, bigint)',
                              'decide_lead_assignment(bigint, boolean, text)', 'assign_batch_leads(bigint, bigint[])',
                              'schedule_follow_up(bigint, timestamp with time zone, text, bigint, text)',
                              'claim_follow_ups(text, integer, interval, bigint)', 'complete_follow_up(bigint, text, text)',
                              'cancel_follow_up(bigint)', 'import_leads(text, jsonb, text, bigint)',
                              'ingest_vendor_lead(text, jsonb, text)',
                              'validate_workflow(jsonb)', 'enroll(bigint, text, bigint, jsonb)',
                              'claim_node_runs(text, integer, interval)', 'finish_node_run(bigint, text, text, jsonb)',
                              'finish_node_runs(bigint[], text, text[], jsonb[])',
                              'fail_node_run(bigint, text, text, interval)', 'pause_enrollment(bigint)',
                              'resume_enrollment(bigint)', 'cancel_enrollment(bigint, text)']
    LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION @extschema@.%s FROM PUBLIC', fn);
        EXECUTE format('GRANT EXECUTE ON FUNCTION @extschema@.%s TO mentor_app', fn);
    END LOOP;
    REVOKE EXECUTE ON FUNCTION _raw_lead_normalize(), _lead_activity_guard(), _lead_log(bigint, text, jsonb),
        _raw_lead_logged(), _lead_contact_logged(), _is_sales(bigint), _assign_lead(raw_leads, bigint, bigint),
        _active_lead(bigint), _lead_fields(jsonb), _upsert_lead(record, text, bigint, bigint),
        _workflow_check(text[], text[], integer[], text[], text[], text[], text[]), _workflow_saved(),
        _workflow_run_failed(), _workflow_advance(bigint[], text[], text[]),
        _live_enrollment(bigint), _workflow_rules_fire() FROM PUBLIC;
END
$grants$;

-- Their data in dumps (as module dump does for every table).
DO $dump$
DECLARE
    registered oid[] := (SELECT coalesce(extconfig, '{}') FROM pg_extension WHERE extname = 'mentor');
    rel        record;
BEGIN
    FOR rel IN
        SELECT c.oid, c.relname FROM pg_class c
         WHERE c.relnamespace = '@extschema@'::regnamespace AND c.relkind = 'r'
           AND NOT c.oid = ANY (registered)
         ORDER BY c.oid
    LOOP
        PERFORM pg_catalog.pg_extension_config_dump(rel.oid::regclass, '');
    END LOOP;
    FOR rel IN
        SELECT s.oid FROM pg_class s
          JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = s.oid AND d.deptype IN ('a', 'i')
          JOIN pg_class t ON t.oid = d.refobjid
         WHERE s.relkind = 'S' AND t.relnamespace = '@extschema@'::regnamespace
           AND NOT s.oid = ANY (registered)
    LOOP
        PERFORM pg_catalog.pg_extension_config_dump(rel.oid::regclass, '');
    END LOOP;
END
$dump$;

-- Notifications and secrets (0.2): the catalogue, people's choices and addresses, alerts and API
-- keys.  Not the outbox (each row is an event already, and history of what caused it is kept) nor
-- any token table (ciphertext and hashes stay out of history).
SELECT _enable_history_shipped('notification_types');
SELECT _enable_history_shipped('notification_channels');
SELECT _enable_history_shipped('notification_templates');
SELECT _enable_history_shipped('notification_defaults');
SELECT _enable_history_shipped('notification_user_settings');
SELECT _enable_history_shipped('notification_connections', private => ARRAY['address']);
SELECT _enable_history_shipped('alerts');
SELECT _enable_history_shipped('api_keys', ARRAY['secret_hash']);
-- Community (0.2): message bodies stay out of history; read markers move on every read, so
-- they are not recorded either.
SELECT _enable_history_shipped('connections');
SELECT _enable_history_shipped('conversations', ARRAY['last_message_at']);
SELECT _enable_history_shipped('conversation_members', ARRAY['last_read_message_id', 'last_read_at']);
SELECT _enable_history_shipped('messages', ARRAY['body']);
SELECT _enable_history_shipped('support_groups', ARRAY['member_count', 'last_active']);
SELECT _enable_history_shipped('group_memberships');
-- Course school (0.2): attempts (not the checker's output), checkers and artefacts.
SELECT _enable_history_shipped('task_verifications', ARRAY['metadata']);
SELECT _enable_history_shipped('task_checkers');
SELECT _enable_history_shipped('task_artefacts');
SELECT _enable_history_shipped('task_interviewers', ARRAY['assigned_count']);
SELECT _enable_history_shipped('task_interview_students');
SELECT _enable_history_shipped('task_interview_results');
-- What people say of each other and their CVs (not the resumes' search documents); private
-- feedback's text is for administrators only.  Not repository_events: an append-only log itself.
SELECT _enable_history_shipped('gratitudes');
SELECT _enable_history_shipped('private_feedback', private => ARRAY['comment']);
SELECT _enable_history_shipped('student_feedback');
SELECT _enable_history_shipped('employers');
SELECT _enable_history_shipped('resumes', ARRAY['search']);
SELECT _enable_history_shipped('user_groups');
SELECT _enable_history_shipped('user_group_members');
SELECT _enable_history_shipped('mentor_registries');
SELECT _enable_history_shipped('discord_servers');
SELECT _enable_history_shipped('contributors');
-- Learning (0.2): paths, modules and completions; progress rows follow the completions by
-- trigger and are not recorded, nor the module counts.
SELECT _enable_history_shipped('learning_paths', ARRAY['module_count']);
SELECT _enable_history_shipped('learning_path_modules');
SELECT _enable_history_shipped('learning_module_completions');
SELECT _enable_history_shipped('events');
SELECT _enable_history_shipped('course_events', ARRAY['during']);
SELECT _enable_history_shipped('webinars');
-- Not webinar_progress: a player writes it every few seconds while someone watches.
SELECT _enable_history_shipped('course_modules');
SELECT _enable_history_shipped('question_categories');
SELECT _enable_history_shipped('questions');
SELECT _enable_history_shipped('quizzes');
SELECT _enable_history_shipped('quiz_questions');
SELECT _enable_history_shipped('quiz_attempts', ARRAY['answers']);
-- Cohorts (0.2): not the seat counter (it follows the applications).
SELECT _enable_history_shipped('batches', ARRAY['seats_taken']);
SELECT _enable_history_shipped('program_applications');
SELECT _enable_history_shipped('classes');
SELECT _enable_history_shipped('attendance');
SELECT _enable_history_shipped('announcements');
-- Practice (0.2): what people write and how submissions move, not the code (it can be
-- large and is the user's), the judge's output or the queue's bookkeeping; counters and
-- search documents follow other rows, so they are not recorded either.
SELECT _enable_history_shipped('problems', ARRAY['search']);
SELECT _enable_history_shipped('problem_tags');
SELECT _enable_history_shipped('tags');
SELECT _enable_history_shipped('submissions', ARRAY['code', 'result', 'lease_owner', 'lease_until', 'attempts',
                                                    'available_at', 'last_error']);
SELECT _enable_history_shipped('forum_posts', ARRAY['search', 'comment_count', 'last_activity_at']);
SELECT _enable_history_shipped('forum_comments', ARRAY['search']);
SELECT _enable_history_shipped('interview_sessions');
SELECT _enable_history_shipped('collaboration_sessions', ARRAY['code', 'participant_count']);
SELECT _enable_history_shipped('interview_questions');
SELECT _enable_history_shipped('collaboration_participants');
SELECT _enable_history_shipped('languages');
SELECT _enable_history_shipped('news_sources');
SELECT _enable_history_shipped('news_items', ARRAY['search']);
-- Not solved_problems, user_stats, user_rank_counts, user_rank_totals nor user_stats_daily: they follow the
-- submissions (whose history is kept) by trigger, on every judged one.
-- Support (0.2): ticket threads and support chats are private, so their text stays out (chats
-- entirely); a milestone is recorded as its owner and date only; what a ticket or a proxy
-- request says is for administrators, not analysts; search documents follow other columns.
SELECT _enable_history_shipped('resources', ARRAY['search']);
SELECT _enable_history_shipped('resource_comments');
SELECT _enable_history_shipped('support_tickets', private => ARRAY['title', 'description']);
SELECT _enable_history_shipped('ticket_messages', ARRAY['body']);
SELECT _enable_history_shipped('proxy_requests', ARRAY['leave'], ARRAY['notes']);
SELECT _enable_history_shipped('milestone_logs', ARRAY['type', 'title', 'notes']);
-- Hiring (0.2): posts, screening settings, applications and what the parser and the screening
-- found; candidates' emails and names are for administrators only.
SELECT _enable_history_shipped('job_posts');
SELECT _enable_history_shipped('job_screening_configs');
SELECT _enable_history_shipped('job_applications', private => ARRAY['candidate_email', 'candidate_name']);
SELECT _enable_history_shipped('resume_analyses');
SELECT _enable_history_shipped('screening_results');
SELECT _enable_history_shipped('salary_benchmarks');
SELECT _enable_history_shipped('talent_pool_entries', private => ARRAY['candidate_email', 'candidate_name']);
SELECT _enable_history_shipped('talent_pool_matches');
SELECT _enable_history_shipped('pap_agreement_templates');
SELECT _enable_history_shipped('pap_workflows');
-- The pipeline (0.2): templates, boards and accounts, postings, candidate quizzes, voice
-- interviews (their transcripts are append-only and kept out), discount requests.
SELECT _enable_history_shipped('job_templates');
SELECT _enable_history_shipped('hr_platforms');
SELECT _enable_history_shipped('hr_platform_accounts');
SELECT _enable_history_shipped('job_platform_postings');
SELECT _enable_history_shipped('quiz_templates');
SELECT _enable_history_shipped('quiz_template_questions');
SELECT _enable_history_shipped('candidate_quiz_responses');
SELECT _enable_history_shipped('voice_interviews');
SELECT _enable_history_shipped('discount_requests');
-- Sales CRM (0.2): leads (people's contact details private), tags, the organisation, calls and
-- messages (bodies kept out), approvals, follow-ups.  Not the append-only records that are a
-- history themselves: the timeline, the assignment history, import results, bulk assignments,
-- vendor leads as received.
SELECT _enable_history_shipped('raw_leads', private => ARRAY['name', 'phone', 'email', 'extra_data']);
SELECT _enable_history_shipped('lead_tags');
SELECT _enable_history_shipped('raw_lead_tags');
SELECT _enable_history_shipped('lead_import_batches');
SELECT _enable_history_shipped('lead_call_logs', private => ARRAY['notes']);
SELECT _enable_history_shipped('lead_message_logs', ARRAY['body', 'subject']);
SELECT _enable_history_shipped('sales_head_profiles');
SELECT _enable_history_shipped('salesperson_targets');
SELECT _enable_history_shipped('community_manager_assignments');
SELECT _enable_history_shipped('cm_notes', ARRAY['body']);
SELECT _enable_history_shipped('lead_assignment_approvals');
SELECT _enable_history_shipped('lead_follow_ups');
-- Workflows (0.2): definitions, rules and enrollments; not the node runs (a work queue whose
-- rows are each an event of the enrollment).  An enrollment's history is its status and
-- context: the node it is at moves with every run (the runs are that record), so neither it
-- nor updated_at alone makes a history row.
SELECT _enable_history_shipped('workflows', ARRAY['steps']);
SELECT _enable_history_shipped('workflow_rules');
SELECT _enable_history_shipped('workflow_enrollments', ARRAY['current_node', 'updated_at']);

-- 0.2: the history log partitioned by time: begin
-- Partitions: an audited write descends only its partition's key index, so its cost does not grow
-- with the log, and prune_history drops whole partitions.  They are data, not part of the
-- extension: pg_dump keeps them (and their rows) as ordinary tables, and nothing is written to
-- the log while CREATE EXTENSION or an update runs (the partitions it would create would be
-- members, and a restore's CREATE EXTENSION would create ones that clash with those restored).
INSERT INTO settings (key, shipped, value, description) VALUES
    ('history.partition_interval', true, '"1 month"',
     'The time each partition of the history log covers (an interval: "1 month", "1 week", "1 day"); '
     'partitions already made keep theirs');

-- What every partition of the log has: its indexes, the append-only guard, and the replica key
-- when history_replica_key() asked for it (it marks the log REPLICA IDENTITY FULL: a mark in the
-- catalog, which replication does not copy, unlike a setting; the log itself holds no rows).
-- Names derive from the partition's.
CREATE FUNCTION _history_index_partition(leaf regclass) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    name text := (SELECT c.relname FROM pg_class c WHERE c.oid = leaf);
BEGIN
    -- Each only if missing (by name, so that one built concurrently beforehand is kept).
    IF to_regclass(format('%I.%I', '@extschema@', name || '_row_idx')) IS NULL THEN
        EXECUTE format('CREATE INDEX %I ON %s (row_id) WHERE row_id IS NOT NULL', name || '_row_idx', leaf);
    END IF;
    IF to_regclass(format('%I.%I', '@extschema@', name || '_key_idx')) IS NULL THEN
        EXECUTE format('CREATE INDEX %I ON %s (row_key) WHERE row_key IS NOT NULL', name || '_key_idx', leaf);
    END IF;
    IF to_regclass(format('%I.%I', '@extschema@', name || '_at_idx')) IS NULL THEN
        EXECUTE format('CREATE INDEX %I ON %s USING brin (at)', name || '_at_idx', leaf);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = leaf AND t.tgname = 'history_append_only') THEN
        EXECUTE format('CREATE TRIGGER history_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON %s '
                       'FOR EACH STATEMENT EXECUTE FUNCTION _history_guard()', leaf);
    END IF;
    IF (SELECT c.relreplident FROM pg_class c WHERE c.oid = 'history_log'::regclass) = 'f' THEN
        IF to_regclass(format('%I.%I', '@extschema@', name || '_replica_key')) IS NULL THEN
            EXECUTE format('CREATE UNIQUE INDEX %I ON %s (txid, at)', name || '_replica_key', leaf);
        END IF;
        EXECUTE format('ALTER TABLE %s REPLICA IDENTITY USING INDEX %I', leaf, name || '_replica_key');
    END IF;
END
$$;
COMMENT ON FUNCTION _history_index_partition(regclass) IS
    'Internal: gives a partition of the history log its indexes, its append-only guard and, once '
    'history_replica_key() has run, its replica identity';

CREATE FUNCTION _history_partition_bounds() RETURNS TABLE (partition regclass, from_at timestamptz, to_at timestamptz)
    AS 'MODULE_PATHNAME', 'mn_history_partition_bounds' LANGUAGE C STABLE;
COMMENT ON FUNCTION _history_partition_bounds() IS
    'Internal: the partitions of history_log with their bounds (NULL for the default partition), from the relcache';

CREATE VIEW history_partitions AS
SELECT b.from_at, b.to_at, b.partition, b.from_at IS NULL AS is_default,
       greatest(c.reltuples, 0)::bigint AS estimated_rows, pg_catalog.pg_total_relation_size(b.partition) AS bytes
  FROM @extschema@._history_partition_bounds() b JOIN pg_catalog.pg_class c ON c.oid = b.partition;
COMMENT ON VIEW history_partitions IS
    'The partitions of the history log: the time each holds [from_at, to_at), the partition, its size; the default '
    'partition (a subscriber''s, for what arrives before it has a partition) has no bounds';

-- The partition for a moment, created if none holds it: the slot of history.partition_interval
-- that holds it (counted from the first partition, or from the start of its month), clipped to
-- its neighbours, and started after any row the default partition holds in it.  wait => false:
-- NULL at once if another session is creating one (writers ask ahead of need this way).
CREATE FUNCTION _history_add_partition(at timestamptz, wait boolean DEFAULT true) RETURNS regclass
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    step  interval;
    found regclass;
    lo    timestamptz;
    hi    timestamptz;
    bound timestamptz;
    dflt  regclass;
    name  text;
    leaf  regclass;
BEGIN
    IF at IS NULL OR NOT isfinite(at) THEN
        RAISE EXCEPTION 'a partition of the history log needs a finite point in time'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    BEGIN
        step := (setting('history.partition_interval') #>> '{}')::interval;
    EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow OR interval_field_overflow THEN
        step := NULL;
    END;
    IF step IS NULL OR step < interval '1 millisecond' THEN
        RAISE EXCEPTION 'setting history.partition_interval is not an interval of at least a millisecond: %',
                        setting('history.partition_interval')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'UPDATE mentor.settings SET value = ''"1 month"'' WHERE key = ''history.partition_interval'' AND NOT shipped.';
    END IF;
    IF wait THEN
        LOCK TABLE history_log IN SHARE UPDATE EXCLUSIVE MODE;
    ELSE
        BEGIN
            LOCK TABLE history_log IN SHARE UPDATE EXCLUSIVE MODE NOWAIT;
        EXCEPTION WHEN lock_not_available THEN
            RETURN NULL;
        END;
    END IF;
    SELECT b.partition INTO found FROM _history_partition_bounds() b WHERE b.from_at <= at AND at < b.to_at;
    IF found IS NOT NULL THEN
        RETURN found;
    END IF;
    -- Counted in UTC wall time, so that months start on the 1st and days at midnight whatever the
    -- session's time zone.
    lo := coalesce((SELECT min(b.from_at) FROM _history_partition_bounds() b), date_trunc('month', at, 'UTC'));
    IF extract(year FROM step) = 0 AND extract(month FROM step) = 0 AND extract(day FROM step) = 0 THEN
        lo := lo + step * floor(extract(epoch FROM at - lo) / extract(epoch FROM step));
    ELSE
        WHILE lo > at LOOP lo := ((lo AT TIME ZONE 'UTC') - step) AT TIME ZONE 'UTC'; END LOOP;
        WHILE ((lo AT TIME ZONE 'UTC') + step) AT TIME ZONE 'UTC' <= at LOOP
            lo := ((lo AT TIME ZONE 'UTC') + step) AT TIME ZONE 'UTC';
        END LOOP;
    END IF;
    hi := ((lo AT TIME ZONE 'UTC') + step) AT TIME ZONE 'UTC';
    SELECT max(b.to_at) INTO bound FROM _history_partition_bounds() b WHERE b.to_at <= at;
    lo := greatest(lo, bound);
    SELECT min(b.from_at) INTO bound FROM _history_partition_bounds() b WHERE b.from_at > at;
    hi := least(hi, bound);
    SELECT b.partition INTO dflt FROM _history_partition_bounds() b WHERE b.from_at IS NULL;
    IF dflt IS NOT NULL THEN
        EXECUTE format('SELECT max(l.at) FROM %s l WHERE l.at >= $1 AND l.at < $2', dflt) INTO bound USING lo, hi;
        IF bound >= at THEN
            RETURN NULL;   -- the default partition holds this moment already; the row joins it
        END IF;
        lo := greatest(lo, bound + interval '1 microsecond');
    END IF;
    name := 'history_log_' || to_char(lo AT TIME ZONE 'UTC', 'YYYYMMDD_HH24MISS')
            || CASE WHEN extract(microseconds FROM lo) % 1000000 <> 0 THEN to_char(lo AT TIME ZONE 'UTC', '_US') ELSE '' END;
    EXECUTE format('CREATE TABLE %I (LIKE history_log INCLUDING CONSTRAINTS)', name);
    leaf := format('%I.%I', '@extschema@', name)::regclass;
    PERFORM _history_index_partition(leaf);
    EXECUTE format('ALTER TABLE history_log ATTACH PARTITION %s FOR VALUES FROM (%L) TO (%L)', leaf, lo, hi);
    -- Made by an update script (the 0.1 log moved in): data like any other partition, not a member.
    IF EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = leaf AND d.deptype = 'e') THEN
        EXECUTE format('ALTER EXTENSION mentor DROP TABLE %s', leaf);
    END IF;
    RETURN leaf;
END
$$;
COMMENT ON FUNCTION _history_add_partition(timestamptz, boolean) IS
    'Internal: the partition of the history log that holds a moment, created if none does (NULL when wait is false '
    'and another session is creating one, or when the default partition already holds that moment)';

-- Whole partitions older than the cutoff are dropped, whatever their size; only the partition the
-- cutoff falls in (and a subscriber's default partition) is deleted from.  When a publication
-- sends the log's deletes (create_publications(history_deletes => true)), each pruned row is
-- deleted before its partition goes, so that subscribers prune too.
CREATE FUNCTION _history_prune(older_than timestamptz) RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    p         record;
    n         bigint;
    total     bigint := 0;
    published boolean := EXISTS (SELECT 1 FROM pg_publication pub
                                  WHERE pub.pubdelete AND (pub.puballtables OR EXISTS (
                                        SELECT 1 FROM pg_publication_rel r
                                         WHERE r.prpubid = pub.oid AND r.prrelid = 'history_log'::regclass)));
BEGIN
    FOR p IN SELECT b.partition, b.from_at, b.to_at FROM _history_partition_bounds() b ORDER BY b.from_at NULLS FIRST LOOP
        IF p.to_at <= older_than THEN
            IF published THEN
                EXECUTE format('DELETE FROM %s', p.partition);
                GET DIAGNOSTICS n = ROW_COUNT;
            ELSE
                EXECUTE format('SELECT count(*) FROM %s', p.partition) INTO n;
            END IF;
            EXECUTE format('DROP TABLE %s', p.partition);
            total := total + n;
        ELSIF p.from_at IS NULL OR p.from_at < older_than THEN
            EXECUTE format('DELETE FROM %s WHERE at < $1', p.partition) USING older_than;
            GET DIAGNOSTICS n = ROW_COUNT;
            total := total + n;
        END IF;
    END LOOP;
    RETURN total;
END
$$;
COMMENT ON FUNCTION _history_prune(timestamptz) IS
    'Internal (mentor.prune_history): drops the partitions of the log older than a moment, deletes the older rows '
    'of the one it falls in; returns how many rows went';
ALTER TABLE history_log RENAME TO history_log_0_1;
ALTER INDEX IF EXISTS history_log_replica_key RENAME TO history_log_0_1_replica_key;
ALTER TABLE history_log_0_1 RENAME CONSTRAINT history_log_check TO history_log_0_1_check;
CREATE TABLE history_log (
    at          timestamptz NOT NULL,
    txid        xid8 NOT NULL,
    row_id      bigint,
    context_id  integer NOT NULL,
    table_id    smallint NOT NULL,
    op          "char" NOT NULL,
    row_key     text COLLATE "C",
    changes     json,
    CHECK ((row_id IS NULL) <> (row_key IS NULL))
) PARTITION BY RANGE (at);
COMMENT ON TABLE history_log IS
    'Storage of mentor.history (read that view): append-only, written by mentor.history_trigger(); partitioned by '
    'time (mentor.history_partitions), one partition per history.partition_interval, created as needed';
COMMENT ON COLUMN history_log.at IS
    'When the change was made: strictly increasing within a session, so it orders the changes of a row';
COMMENT ON COLUMN history_log.op IS
    'I insert, U update, D delete, T removed by TRUNCATE, S the row''s state when disable_history stopped recording';
COMMENT ON COLUMN history_log.row_id IS
    'The key value when the key is a single smallint, integer or bigint column (row_key is then NULL)';
COMMENT ON COLUMN history_log.row_key IS
    'Any other key as text: the value''s text, or for a composite key a JSON array of the values as text '
    '(byte order: keys are compared, never sorted for people); NULL when row_id holds the key';
COMMENT ON COLUMN history_log.changes IS
    'I: NULL (the row is rebuilt from the live row; whole rows written by 0.1 are kept); D, T and S: the whole row; '
    'U: ["column", old, new, ...] for the changed columns only';
-- Each partition has its own indexes (made with it by _history_index_partition): a B-tree on
-- row_id, one on row_key, both partial, and a BRIN on at.  None is declared on the log itself:
-- a restored dump attaches each partition with its own indexes, which an index on the log (made
-- by CREATE EXTENSION before the partitions arrive) would duplicate under clashing names.
-- B-tree, not hash, although readers only look keys up by equality: a hash index was a few
-- percent faster on two cores, but every insert into one takes its metapage lock exclusively (to
-- count tuples), which would serialise the audited writes of all sessions on one lock.

CREATE TRIGGER history_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON history_log
    FOR EACH STATEMENT EXECUTE FUNCTION _history_guard();
GRANT SELECT, INSERT, UPDATE, DELETE ON history_log TO mentor_admin;
-- Private columns are removed here, so every reader of history (row_history, row_as_of,
-- table_as_of) inherits the rule; analysts and applications read history only through this view.
-- No LATERAL subquery for the sides: a reader that does not ask for new_row (the walk back of
-- _history_rewind) must not rebuild inserted rows, and a column of a flattened view that nobody
-- references is never computed.
CREATE OR REPLACE VIEW history AS
SELECT l.at,
       l.txid,
       nullif(c.actor_id, 0) AS actor_id,
       c.db_user,
       c.application_name,
       t.table_name,
       l.op,
       @extschema@._history_key_json(t.key_columns, t.key_types, coalesce(l.row_key, l.row_id::text)) AS row_key,
       CASE WHEN cardinality(t.private) = 0 OR (SELECT @extschema@._current_user_is_admin())
            THEN CASE l.op WHEN 'U' THEN @extschema@._history_side(l.changes::jsonb, 1)
                           WHEN 'I' THEN NULL ELSE l.changes::jsonb END
            ELSE CASE l.op WHEN 'U' THEN @extschema@._history_side(l.changes::jsonb, 1)
                           WHEN 'I' THEN NULL ELSE l.changes::jsonb END - t.private END AS old_row,
       CASE WHEN cardinality(t.private) = 0 OR (SELECT @extschema@._current_user_is_admin())
            THEN CASE l.op WHEN 'U' THEN @extschema@._history_side(l.changes::jsonb, 2)
                           WHEN 'I' THEN coalesce(l.changes::jsonb,
                                                  @extschema@._history_inserted_row(l.table_id, l.row_id, l.row_key, l.at)) END
            ELSE CASE l.op WHEN 'U' THEN @extschema@._history_side(l.changes::jsonb, 2)
                           WHEN 'I' THEN coalesce(l.changes::jsonb,
                                                  @extschema@._history_inserted_row(l.table_id, l.row_id, l.row_key, l.at)) END
                 - t.private END AS new_row,
       l.table_id,
       l.row_id AS key_id,
       l.row_key AS key_text
  FROM @extschema@.history_log l
  JOIN @extschema@.history_tables t ON t.id = l.table_id
  LEFT JOIN @extschema@.history_contexts c ON c.id = l.context_id;
COMMENT ON VIEW history IS
    'Every recorded change: an insert''s new row (rebuilt from the live row walked back), a delete''s (or TRUNCATE''s) '
    'old row, an update''s changed columns only (old values in old_row, new in new_row), and as old_row the state of '
    'each row when its recording was disabled (S). Private columns (history_tables.private) are left out unless the '
    'reader is mentor_admin';
COMMENT ON COLUMN history.at IS 'When the change was made';
COMMENT ON COLUMN history.txid IS 'Transaction that made it (pg_current_xact_id())';
COMMENT ON COLUMN history.actor_id IS 'mentor.current_actor() of that transaction; NULL when none was set';
COMMENT ON COLUMN history.db_user IS 'Session user that made it';
COMMENT ON COLUMN history.op IS
    'I insert, U update, D delete, T removed by TRUNCATE, S the row as it was when disable_history stopped recording';
COMMENT ON COLUMN history.row_key IS 'The row''s key as an object of key columns';
COMMENT ON COLUMN history.key_id IS
    'The key as stored when it is a single integer column, else NULL (use mentor.row_history to search by key)';
COMMENT ON COLUMN history.key_text IS
    'The key as stored when it is not a single integer column, else NULL (use mentor.row_history to search by key)';
COMMENT ON FUNCTION prune_history(timestamptz) IS
    'Deletes history recorded before older_than (the only way history rows are ever removed): drops whole '
    'partitions of the log, deletes only in the partition older_than falls in; returns how many rows went';
DO $move$
DECLARE
    m timestamptz;
    pub name;
BEGIN
    FOR m IN SELECT DISTINCT date_trunc('month', l.at, 'UTC') FROM history_log_0_1 l ORDER BY 1 LOOP
        PERFORM _history_add_partition(m, true);
    END LOOP;
    INSERT INTO history_log SELECT * FROM history_log_0_1;
    IF to_regclass('@extschema@.history_log_0_1_replica_key') IS NOT NULL THEN
        PERFORM history_replica_key();
    END IF;
    FOR pub IN SELECT p.pubname FROM pg_publication p JOIN pg_publication_rel r ON r.prpubid = p.oid
                WHERE r.prrelid = 'history_log_0_1'::regclass LOOP
        EXECUTE format('ALTER PUBLICATION %I ADD TABLE @extschema@.history_log', pub);
        EXECUTE format('ALTER PUBLICATION %I SET (publish_via_partition_root = true)', pub);
    END LOOP;
END
$move$;
ALTER EXTENSION mentor DROP TABLE history_log_0_1;
DROP TABLE history_log_0_1;
-- Partitions: the trigger makes them through fmgr (no EXECUTE needed); administrators may make them
-- ahead by hand and prune through prune_history, which drops them.
REVOKE EXECUTE ON FUNCTION _history_add_partition(timestamptz, boolean), _history_prune(timestamptz),
    _history_index_partition(regclass) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION _history_add_partition(timestamptz, boolean), _history_prune(timestamptz) TO mentor_admin;
REVOKE SELECT ON history_partitions FROM mentor_app;
GRANT SELECT ON history_partitions TO mentor_analyst, mentor_admin;
-- 0.2: the history log partitioned by time: end
