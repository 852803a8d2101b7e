--------------------------------------------------------------------------------
-- Module sessions: bookable sessions
-- that never double-book anyone, paid through ledger holds, completed,
-- cancelled by a refund policy or rescheduled; feedback, meeting logs and
-- reminders.
--------------------------------------------------------------------------------

-- The sessions' defaults in the platform settings (core module).
INSERT INTO settings (key, shipped, value, description) VALUES
    ('session.platform_fee_percent', true, '20', 'Share of a session''s price the platform keeps; the mentor earns the rest'),
    ('session.full_refund_hours', true, '24', 'A mentee who cancels at least this many hours before the start gets everything back'),
    ('session.late_cancel_refund_percent', true, '0', 'Refund, in percent, for a mentee''s later cancellation'),
    ('session.mentee_no_show_refund_percent', true, '0', 'Refund, in percent, when the mentee did not show up'),
    ('session.mentor_no_show_refund_percent', true, '100', 'Refund, in percent, when the mentor did not show up'),
    ('session.hold_grace', true, '"7 days"', 'How long after a session''s end its hold lasts if nobody completes or cancels it'),
    ('session.flow', true, '"session"', 'The lifecycle sessions follow: session (seed 004: a mentee requests, a mentor '
     'proposes, a moved session reads rescheduled) or slot (seed 001: tentative, meeting_requested, under_review, '
     'cancellation_requested)');

-- One enum for both flows (the labels after 'cancelled' came in 0.2, for seed
-- 001's slots); the lifecycle in force, named by setting session.flow, says
-- which labels a deployment uses.
CREATE TYPE session_status AS ENUM ('pending', 'proposed', 'requested', 'confirmed', 'rescheduled', 'rejected',
                                    'completed', 'cancelled',
                                    'tentative', 'meeting_requested', 'under_review', 'cancellation_requested');
COMMENT ON TYPE session_status IS
    'Session status. Flow "session" (seed 004): pending = an open slot, proposed by the mentor, requested by a mentee, '
    'confirmed, rescheduled (moved to a new time), rejected, completed, cancelled. Flow "slot" (seed 001): tentative = '
    'an open slot, meeting_requested, confirmed, under_review (the payout waits for an admin), cancellation_requested, '
    'completed, cancelled';

-- The flow a deployment chose (setting session.flow) and the state a new open slot starts in.
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

CREATE TABLE sessions (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    mentor_id        bigint NOT NULL REFERENCES users ON DELETE RESTRICT,
    mentee_id        bigint REFERENCES users ON DELETE RESTRICT,
    mentorship_id    bigint REFERENCES mentorships ON DELETE SET NULL,
    during           tstzrange NOT NULL,
    status           @extschema@.session_status NOT NULL DEFAULT @extschema@._session_open_status(),
    title            text,
    agenda           text,
    meeting_link     text CONSTRAINT sessions_meeting_link_uri CHECK (meeting_link ~* '^[a-z][a-z0-9+.-]*:[^[:space:][:cntrl:]]+$' AND meeting_link !~* '^(javascript|data|vbscript):'),
    price_tokens     bigint NOT NULL DEFAULT 0 CONSTRAINT sessions_price_nonneg CHECK (price_tokens >= 0),
    hold_id          uuid,
    hold_parts       integer,
    refund_tokens    bigint,
    proposed_during  tstzrange,
    proposed_by      bigint REFERENCES users ON DELETE SET NULL,
    response_message text,
    cancelled_by     bigint REFERENCES users ON DELETE SET NULL,
    cancel_reason    text,
    completed_at     timestamptz,
    reminded_at      timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT sessions_not_self CHECK (mentee_id IS NULL OR mentee_id <> mentor_id),
    CONSTRAINT sessions_during_bounded CHECK (NOT isempty(during) AND NOT lower_inf(during) AND NOT upper_inf(during)),
    -- Nobody is ever in two live sessions at once; the trigger below reports
    -- the conflicting session, these constraints hold under any race.  Live
    -- is every state but the three final ones, in either flow.
    CONSTRAINT sessions_mentor_no_overlap EXCLUDE USING gist (mentor_id WITH =, during WITH &&)
        WHERE (status NOT IN ('rejected', 'completed', 'cancelled')),
    CONSTRAINT sessions_mentee_no_overlap EXCLUDE USING gist (mentee_id WITH =, during WITH &&)
        WHERE (mentee_id IS NOT NULL AND status NOT IN ('rejected', 'completed', 'cancelled')),
    -- added in 0.2 (after the columns of 0.1, as ALTER TABLE puts them)
    description      text,
    review_reason    text,
    resolved_by      bigint REFERENCES users ON DELETE SET NULL,
    starts_at          timestamptz,
    ends_at            timestamptz,
    proposed_starts_at timestamptz,
    proposed_ends_at   timestamptz
);
COMMENT ON TABLE sessions IS
    'Mentoring sessions and open slots; neither the mentor nor the mentee is ever in two live sessions that overlap';
COMMENT ON COLUMN sessions.mentee_id IS 'NULL for an open slot a mentor published';
COMMENT ON COLUMN sessions.during IS 'When it takes place (bounded, not empty)';
COMMENT ON COLUMN sessions.price_tokens IS 'Price in tokens, from the mentor''s profile when published';
COMMENT ON COLUMN sessions.hold_id IS 'Idempotency key of the booking; the ledger hold (one transfer per source account)';
COMMENT ON COLUMN sessions.hold_parts IS 'How many transfers the hold has (promo accounts first, then the wallet)';
COMMENT ON COLUMN sessions.refund_tokens IS
    'Tokens returned to the mentee when cancelled (while cancellation_requested: what accepting will refund)';
COMMENT ON COLUMN sessions.proposed_during IS 'A new time proposed by proposed_by, awaiting the other participant''s answer';
COMMENT ON COLUMN sessions.review_reason IS 'Why the session went under review (slot flow)';
COMMENT ON COLUMN sessions.resolved_by IS 'The staff member who resolved the review';
COMMENT ON COLUMN sessions.reminded_at IS 'When the reminder was sent (mentor.mark_reminded)';
COMMENT ON COLUMN sessions.starts_at IS 'The start of during, for clients that map timestamps but not ranges (trigger sessions_bounds)';
COMMENT ON COLUMN sessions.ends_at IS 'The end of during, for clients that map timestamps but not ranges (trigger sessions_bounds)';
COMMENT ON COLUMN sessions.proposed_starts_at IS 'The start of proposed_during (trigger sessions_bounds)';
COMMENT ON COLUMN sessions.proposed_ends_at IS 'The end of proposed_during (trigger sessions_bounds)';
COMMENT ON COLUMN sessions.description IS 'What the session is about (seed 004), beside its title and agenda';
CREATE INDEX sessions_mentee_idx ON sessions (mentee_id) WHERE mentee_id IS NOT NULL;
CREATE INDEX sessions_due_idx ON sessions (lower(during)) WHERE status IN ('confirmed', 'rescheduled') AND reminded_at IS NULL;
COMMENT ON COLUMN sessions.meeting_link IS 'Where to meet: any URI a meeting tool uses (https:, msteams:, zoommtg:, ...); javascript:, data: and vbscript: are refused';
CREATE TRIGGER sessions_touch_updated_at BEFORE UPDATE ON sessions
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
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

-- The lifecycle is the one setting session.flow names, read at each change of status.
SELECT attach_lifecycle('sessions', 'status', 'setting:session.flow');

-- session.flow is session or slot, and changes only while no live session is
-- in a state the other flow does not have.
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

-- The live session of a user that overlaps a range, if any (for errors that
-- name it).  Two branches, so each uses its exclusion constraint's index on
-- (user, range) rather than scanning every session of the period.
CREATE FUNCTION _session_conflict(user_id bigint, during tstzrange, except_id bigint) RETURNS sessions
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

CREATE FUNCTION _sessions_check() RETURNS trigger
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

-- Raised when an exclusion constraint refused a write: finds the session in
-- the way so the error can name it (the constraints stay the guarantee;
-- looking only after a refusal keeps the common path to one index probe).
CREATE FUNCTION _explain_overlap(mentor_id bigint, mentee_id bigint, during tstzrange, except_id bigint) RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    other sessions;
    who   bigint;
BEGIN
    FOREACH who IN ARRAY ARRAY[mentor_id, mentee_id] LOOP
        CONTINUE WHEN who IS NULL;
        other := _session_conflict(who, during, except_id);
        IF other.id IS NOT NULL THEN
            RAISE EXCEPTION 'user % already has a session at that time', who
                USING ERRCODE = 'exclusion_violation',
                      DETAIL = format('Session %s (%s, %s) overlaps %s.', other.id, other.status, other.during, during),
                      HINT = 'Choose another time, or cancel the other session first.';
        END IF;
    END LOOP;
    RAISE EXCEPTION 'that time overlaps a session being booked at this moment' USING ERRCODE = 'exclusion_violation',
        DETAIL = format('Users %s and %s, %s.', mentor_id, coalesce(mentee_id::text, '-'), during),
        HINT = 'Choose another time.';
END
$$;
COMMENT ON FUNCTION _explain_overlap(bigint, bigint, tstzrange, bigint) IS
    'Internal: raises 23P01 naming the live session that overlaps, after an exclusion constraint refused a write';
-- Only a new row or a new time needs checking: booking, completing and
-- cancelling change the status, not the range, and skip this trigger.
CREATE TRIGGER sessions_check BEFORE INSERT OR UPDATE OF during ON sessions
    FOR EACH ROW EXECUTE FUNCTION _sessions_check();

-- The mentor profile behind a session, or MN006.
CREATE FUNCTION _mentor_profile(user_id bigint) RETURNS mentor_profiles
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    prof mentor_profiles;
BEGIN
    SELECT * INTO prof FROM mentor_profiles p WHERE p.user_id = _mentor_profile.user_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'user % has no mentor profile', coalesce(user_id::text, 'NULL')
            USING ERRCODE = 'MN006', HINT = 'Create a row in mentor.mentor_profiles first.';
    END IF;
    RETURN prof;
END
$$;
COMMENT ON FUNCTION _mentor_profile(bigint) IS 'Internal: a user''s mentor profile, or MN006';

-- Holds a session's price from the mentee (promo tokens first); the hold
-- lasts until the session's end plus session.hold_grace.  Returns the number
-- of transfers (parts) of the hold.
CREATE FUNCTION _hold_price(mentee_id bigint, amount bigint, id uuid, session_id bigint, during tstzrange)
    RETURNS integer
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
-- PL/pgSQL rather than SQL: its plan is cached for the session, where a SQL
-- function's is parsed and planned again in every transaction.
DECLARE
    parts integer;
BEGIN
    SELECT count(*)::integer INTO parts
      FROM spend_tokens(mentee_id, amount, system_account('revenue'), id, 'hold', format('session %s', session_id),
                        pending => true, timeout => upper(during) + (setting('session.hold_grace') #>> '{}')::interval - now());
    RETURN parts;
END
$$;
COMMENT ON FUNCTION _hold_price(bigint, bigint, uuid, bigint, tstzrange) IS
    'Internal: holds a session''s price in the ledger (spend_tokens, pending) and returns its number of parts';

-- MN005 unless the user takes part in the session.
CREATE FUNCTION _require_participant(s sessions, user_id bigint) RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    IF user_id IS NULL OR user_id NOT IN (s.mentor_id, coalesce(s.mentee_id, s.mentor_id)) THEN
        RAISE EXCEPTION 'user % takes no part in session %', coalesce(user_id::text, 'NULL'), s.id USING ERRCODE = 'MN005';
    END IF;
END
$$;
COMMENT ON FUNCTION _require_participant(sessions, bigint) IS 'Internal: MN005 unless the user is the session''s mentor or mentee';

CREATE FUNCTION publish_slot(mentor_id bigint, during tstzrange, title text DEFAULT NULL) RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    prof mentor_profiles := _mentor_profile(mentor_id);
    sid  bigint;
BEGIN
    BEGIN
        INSERT INTO sessions (mentor_id, during, title, price_tokens)
        VALUES (publish_slot.mentor_id, publish_slot.during, publish_slot.title, prof.price_tokens)
        RETURNING id INTO sid;
    EXCEPTION WHEN exclusion_violation THEN
        PERFORM _explain_overlap(publish_slot.mentor_id, NULL, publish_slot.during, NULL);
    END;
    RETURN sid;
END
$$;
COMMENT ON FUNCTION publish_slot(bigint, tstzrange, text) IS
    'A mentor publishes an open slot (status pending) at the price of their profile; returns the session id. '
    '22023 for a past or unbounded range, 23P01 naming the session it would overlap';

-- The hold behind a booking: one transfer per source account, ids from _part_id.
-- No SET clause, so that it is inlined into the calling query.
CREATE FUNCTION _hold_parts(s @extschema@.sessions) RETURNS SETOF uuid
LANGUAGE sql IMMUTABLE
AS $$ SELECT @extschema@._part_id(s.hold_id, k) FROM pg_catalog.generate_series(0, coalesce(s.hold_parts, 0) - 1) k ORDER BY k $$;
COMMENT ON FUNCTION _hold_parts(sessions) IS 'Internal: the ledger ids of the transfers of a session''s hold';

-- Pays the mentor `charge` tokens of a session minus the platform fee, once
-- (the id derives from the hold's).
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

-- Settles a session's hold: `charge` tokens go to the platform and the
-- mentor's earnings (minus the fee), the rest back to the mentee.  Every
-- ledger call has an id derived from the hold, so it happens once.
CREATE FUNCTION _settle_hold(s sessions, charge bigint) RETURNS bigint
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

CREATE FUNCTION _lock_session(session_id bigint) RETURNS sessions
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    s sessions;
BEGIN
    SELECT * INTO s FROM sessions t WHERE t.id = session_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'session % does not exist', coalesce(session_id::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
    RETURN s;
END
$$;
COMMENT ON FUNCTION _lock_session(bigint) IS 'Internal: locks a session row or raises P0002';

-- book_session and complete_session are C (src/sessions.c): the two steps
-- of every paid session, written to cost little more than the ledger calls
-- beneath them.  SET search_path keeps their kept plans valid whatever the
-- caller's path.
CREATE FUNCTION book_session(session_id bigint, mentee_id bigint, id uuid) RETURNS bigint
LANGUAGE c
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'mn_book_session';
COMMENT ON FUNCTION book_session(bigint, bigint, uuid) IS
    'Books an open slot for a mentee: holds the price (promo tokens first, then the wallet) and confirms it, or '
    'changes nothing: MN002 not enough tokens, MN006 not open, 22023 own session, 23P01 the mentee is busy then. '
    'id is the idempotency key; a retry returns the session';

-- Who acts on a session (the acting user): MN005 unless a participant, or
-- staff where staff_ok.  Returns the actor.
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

-- Requests (seed 004's "a mentee requests", seed 001's meeting request): the
-- price is held at once, so accepting confirms without another payment step.
-- In the slot flow a request is a tentative slot with its meeting requested.
CREATE FUNCTION request_session(mentor_id bigint, mentee_id bigint, during tstzrange, id uuid, title text DEFAULT NULL)
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

CREATE FUNCTION respond_request(session_id bigint, accept boolean, message text DEFAULT NULL) RETURNS bigint
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

-- Mentor-proposed sessions (seed 004): the mentor of an active mentorship
-- proposes a time, the mentee confirms (the price is held then) or rejects.
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

CREATE FUNCTION complete_session(session_id bigint) RETURNS boolean
LANGUAGE c
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'mn_complete_session';
COMMENT ON FUNCTION complete_session(bigint) IS
    'Completes a confirmed (or rescheduled) session that has started: the hold is posted and the mentor earns the '
    'price minus the platform fee (setting session.platform_fee_percent). True if this call completed it, false if '
    'it already was (so concurrent or repeated calls pay once); MN006 for a session in another state';

-- What a cancellation by by_user refunds the mentee, by the policy settings.
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

CREATE FUNCTION cancel_session(session_id bigint, by_user bigint, reason text DEFAULT NULL) RETURNS bigint
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

-- Seed 001's cancellation request: a participant asks, the other one (or
-- staff) accepts, and the refund is the policy's at the time of asking.
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

-- Seed 001's review: once a session has started, a participant or staff puts
-- it under review; the mentee's tokens are taken (the hold is posted) but the
-- mentor is paid only when staff resolves it.
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

-- Rescheduling: a proposed new time waits in proposed_during for the other
-- participant.  Accepted, the session moves; seed 004 then calls it
-- rescheduled, the slot flow (which has no such state) keeps it confirmed.
CREATE FUNCTION propose_reschedule(session_id bigint, by_user bigint, new_during tstzrange, message text DEFAULT NULL)
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

CREATE FUNCTION respond_reschedule(session_id bigint, by_user bigint, accept boolean, message text DEFAULT NULL)
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

CREATE TABLE session_feedback (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id bigint NOT NULL REFERENCES sessions ON DELETE CASCADE,
    author_id  bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    rating     @extschema@.rating NOT NULL,
    comment    text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (session_id, author_id)
);
COMMENT ON TABLE session_feedback IS
    'One rating (1-5) per participant per completed session; the mentee''s rating feeds the mentor''s average';
CREATE TRIGGER session_feedback_touch_updated_at BEFORE UPDATE ON session_feedback
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE FUNCTION _session_feedback_check() RETURNS trigger
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    s sessions;
BEGIN
    SELECT * INTO s FROM sessions t WHERE t.id = NEW.session_id;
    IF s.status IS DISTINCT FROM 'completed' THEN
        RAISE EXCEPTION 'feedback is given after the session is completed' USING ERRCODE = 'MN006',
            DETAIL = format('Session %s is %s.', NEW.session_id, coalesce(s.status::text, 'missing'));
    END IF;
    IF NEW.author_id NOT IN (s.mentor_id, s.mentee_id) THEN
        RAISE EXCEPTION 'user % takes no part in session %', NEW.author_id, s.id USING ERRCODE = 'MN005';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION _session_feedback_check() IS 'Internal: feedback only from participants of a completed session';
CREATE TRIGGER session_feedback_check BEFORE INSERT OR UPDATE OF session_id, author_id ON session_feedback
    FOR EACH ROW EXECUTE FUNCTION _session_feedback_check();

CREATE FUNCTION _session_feedback_rating() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    mentor bigint;
BEGIN
    SELECT s.mentor_id INTO mentor FROM sessions s WHERE s.id = coalesce(NEW.session_id, OLD.session_id);
    UPDATE mentor_profiles p
       SET (rating_avg, rating_count) = (SELECT round(avg(f.rating), 2), count(*)
                                           FROM session_feedback f JOIN sessions s ON s.id = f.session_id
                                          WHERE s.mentor_id = mentor AND f.author_id = s.mentee_id)
     WHERE p.user_id = mentor;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION _session_feedback_rating() IS 'Internal: keeps the mentor''s rating average and count current';
CREATE TRIGGER session_feedback_rating AFTER INSERT OR UPDATE OR DELETE ON session_feedback
    FOR EACH ROW EXECUTE FUNCTION _session_feedback_rating();

CREATE TABLE meeting_logs (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id bigint NOT NULL REFERENCES sessions ON DELETE CASCADE,
    user_id    bigint REFERENCES users ON DELETE SET NULL,
    event      text NOT NULL CONSTRAINT meeting_logs_event_format CHECK (event ~ '^[a-z][a-z_]{1,39}$'),
    details    jsonb NOT NULL DEFAULT '{}',
    at         timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE meeting_logs IS 'What happened in a session''s meeting (seed 001): joined, left, recording_started...';
CREATE INDEX meeting_logs_session_idx ON meeting_logs (session_id, at);

CREATE FUNCTION due_reminders(within interval DEFAULT '1 hour')
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

CREATE FUNCTION mark_reminded(session_ids bigint[]) RETURNS SETOF bigint
LANGUAGE sql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
UPDATE sessions s SET reminded_at = now()
 WHERE s.id = ANY (session_ids) AND s.reminded_at IS NULL AND s.status IN ('confirmed', 'rescheduled')
RETURNING s.id
$$;
COMMENT ON FUNCTION mark_reminded(bigint[]) IS
    'Marks sessions as reminded and returns those this call marked: two workers racing claim each session once';

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

SELECT _enable_history_shipped('settings');        -- the core module's table, audited from here as in 0.1
SELECT _enable_history_shipped('sessions');
SELECT _enable_history_shipped('session_feedback');
SELECT _enable_history_shipped('meeting_logs');
