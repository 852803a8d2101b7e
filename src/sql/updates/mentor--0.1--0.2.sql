-- mentor 0.1 -> 0.2.  Every schema change made after the 0.1 release goes here
-- as well as into its module file (src/sql/NN_module.sql), in the order it was
-- made, so that `ALTER EXTENSION mentor UPDATE` turns a 0.1 database into what
-- a fresh 0.2 install is, keeping every row.  test/scripts/upgrade.sh compares
-- the two catalogs object by object and fails on any difference.
\echo Use "ALTER EXTENSION mentor UPDATE TO '0.2'" to load this file. \quit

-- Lock what this update alters before altering anything, in the order bookings
-- take these tables (sessions, then users), so that the update waits for running
-- requests and they wait for it, rather than deadlocking half way.
LOCK TABLE sessions, users, profiles, mentor_profiles, teams, mentorships, matches, mentorship_notes, action_items
    IN ACCESS EXCLUSIVE MODE;

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
                       LEFT JOIN profile_visibility pv ON pv.user_id = target.id AND pv.field = d.key
                      WHERE array_position(enum_range(NULL::visibility),
                                           coalesce(pv.visibility, profile_field_default(d.key))) - 1 <= clearance),
                    '{}');
END
$$;

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
CREATE OR REPLACE FUNCTION _users_open_wallets() RETURNS trigger
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    welcome bigint := (setting('signup.welcome_promo_tokens') #>> '{}')::bigint;
BEGIN
    INSERT INTO ledger_accounts (owner_id, kind) SELECT n.id, 'wallet' FROM new_users n;
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
    'Internal: signup opens the user''s token wallet and grants the welcome promo tokens of the settings (journey 1)';
