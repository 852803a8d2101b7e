-- mentor 0.1 -> 0.2.  Every schema change made after the 0.1 release goes here
-- as well as into its module file (src/sql/NN_module.sql), in the order it was
-- made, so that `ALTER EXTENSION mentor UPDATE` turns a 0.1 database into what
-- a fresh 0.2 install is, keeping every row.  test/scripts/upgrade.sh compares
-- the two catalogs object by object and fails on any difference.
\echo Use "ALTER EXTENSION mentor UPDATE TO '0.2'" to load this file. \quit

-- Lock what this update alters before altering anything, in the order bookings
-- take these tables (sessions, then users), so that the update waits for running
-- requests and they wait for it, rather than deadlocking half way.
LOCK TABLE sessions, users, teams, mentorships, matches IN ACCESS EXCLUSIVE MODE;

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

-- Actors checked (the module files hold the same definitions): staff, mentorship
-- steps by their participants, suggestions by their mentee, matches by staff.
-- Who is platform staff for the extension's checks: administrators and owners.
CREATE FUNCTION _is_staff(user_id bigint) RETURNS boolean
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$ SELECT EXISTS (SELECT 1 FROM users u WHERE u.id = _is_staff.user_id AND u.role IN ('admin', 'owner') AND u.active) $$;
COMMENT ON FUNCTION _is_staff(bigint) IS 'Internal: the user is an active administrator or owner of the platform';

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
