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
