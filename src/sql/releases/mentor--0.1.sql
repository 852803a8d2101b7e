-- mentor extension install script, assembled from src/sql/NN_module.sql by the Makefile.
\echo Use "CREATE EXTENSION mentor CASCADE" to load this file. \quit

--------------------------------------------------------------------------------
-- Module core: roles, shared domains, the acting user, updated_at.
--------------------------------------------------------------------------------

-- Roles are cluster-wide, so a second database that installs the extension
-- reuses them.  They are NOLOGIN groups: grant them to your login roles.
DO $roles$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'mentor_app') THEN
        CREATE ROLE mentor_app NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'mentor_analyst') THEN
        CREATE ROLE mentor_analyst NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'mentor_admin') THEN
        CREATE ROLE mentor_admin NOLOGIN;
    END IF;
END
$roles$;
COMMENT ON ROLE mentor_app IS 'mentor: applications; read/write through tables and functions, row-level security applies';
COMMENT ON ROLE mentor_analyst IS 'mentor: read-only access to catalogues and analytics views, no secrets';
COMMENT ON ROLE mentor_admin IS 'mentor: administrators; everything mentor_app can do plus catalogue changes';

GRANT USAGE ON SCHEMA @extschema@ TO mentor_app, mentor_analyst, mentor_admin;

-- Validators behind the domains: they raise 23514 naming the offending value.
CREATE FUNCTION check_email(text) RETURNS boolean
    AS 'MODULE_PATHNAME', 'mn_check_email' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION check_email(text) IS
    'True for a sane email address (local@domain.tld); otherwise raises 23514 naming the address and the problem';

CREATE FUNCTION check_slug(text) RETURNS boolean
    AS 'MODULE_PATHNAME', 'mn_check_slug' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION check_slug(text) IS
    'True for a URL slug (lower-case words joined by single hyphens); otherwise raises 23514';

-- STABLE, not IMMUTABLE: the time zone database can change with a package upgrade.
CREATE FUNCTION check_time_zone(text) RETURNS boolean
    AS 'MODULE_PATHNAME', 'mn_check_time_zone' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION check_time_zone(text) IS
    'True for a time zone name listed in pg_timezone_names (exact spelling); otherwise raises 23514';

CREATE FUNCTION check_int_range(value bigint, lo bigint, hi bigint, what text) RETURNS boolean
    AS 'MODULE_PATHNAME', 'mn_check_int_range' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION check_int_range(bigint, bigint, bigint, text) IS
    'True when lo <= value <= hi; otherwise raises 23514 naming the value, what it is and the range';

CREATE DOMAIN email AS citext
    CHECK (@extschema@.check_email(VALUE::text));
COMMENT ON DOMAIN email IS 'Email address, compared case-insensitively (citext), syntax-checked';

CREATE DOMAIN time_zone AS text
    CHECK (@extschema@.check_time_zone(VALUE));
COMMENT ON DOMAIN time_zone IS 'IANA time zone name as listed in pg_timezone_names, e.g. Europe/Berlin';

CREATE DOMAIN rating AS smallint
    CHECK (@extschema@.check_int_range(VALUE, 1, 5, 'rating'));
COMMENT ON DOMAIN rating IS 'A rating from 1 (worst) to 5 (best)';

CREATE DOMAIN percent AS smallint
    CHECK (@extschema@.check_int_range(VALUE, 0, 100, 'percentage'));
COMMENT ON DOMAIN percent IS 'A whole percentage from 0 to 100';

CREATE DOMAIN token_amount AS bigint
    CHECK (@extschema@.check_int_range(VALUE, 0, 9223372036854775807, 'token amount'));
COMMENT ON DOMAIN token_amount IS 'A non-negative number of tokens';

CREATE DOMAIN slug AS text
    CHECK (@extschema@.check_slug(VALUE));
COMMENT ON DOMAIN slug IS 'URL slug: lower-case words joined by single hyphens, e.g. machine-learning';

-- The acting user of the current transaction.
CREATE FUNCTION current_actor() RETURNS bigint
    AS 'MODULE_PATHNAME', 'mn_current_actor_sql' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION current_actor() IS
    'Id of the user acting in this transaction (set by mentor.set_actor), NULL when none is set';

CREATE FUNCTION touch_updated_at() RETURNS trigger
    AS 'MODULE_PATHNAME', 'mn_touch_updated_at' LANGUAGE C;
COMMENT ON FUNCTION touch_updated_at() IS
    'BEFORE UPDATE FOR EACH ROW trigger: sets updated_at to now() (the transaction start)';

-- Who counts as an administrator for the guards below and in later modules.
CREATE FUNCTION _current_user_is_admin() RETURNS boolean
    AS 'MODULE_PATHNAME', 'mn_current_user_is_admin_sql' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION _current_user_is_admin() IS
    'Internal: the current user has the privileges of mentor_admin (superusers, and so the extension''s own '
    'SECURITY DEFINER functions, do)';

CREATE FUNCTION _keep_owned_columns() RETURNS trigger
    AS 'MODULE_PATHNAME', 'mn_keep_owned_columns' LANGUAGE C;
COMMENT ON FUNCTION _keep_owned_columns() IS
    'BEFORE INSERT OR UPDATE FOR EACH ROW trigger (arguments: a hint, then columns): the columns are kept by the '
    'extension; any other role that gives them a value other than the default (INSERT) or the old one (UPDATE) '
    'gets 42501';
--------------------------------------------------------------------------------
-- Module lifecycle: status state machines and the C trigger that enforces them.
--------------------------------------------------------------------------------

-- Storage.  Shipped rows come with the extension; rows with shipped = false
-- are the database's own definitions (new lifecycles or overrides of shipped
-- ones).  Keeping both lets pg_dump save only the database's own rows and a
-- restore recreate the same effective definitions.
CREATE TABLE lifecycle_state_defs (
    lifecycle   text     NOT NULL,
    state       text     NOT NULL,
    position    integer  NOT NULL,
    is_initial  boolean  NOT NULL DEFAULT false,
    is_final    boolean  NOT NULL DEFAULT false,
    shipped     boolean  NOT NULL DEFAULT false,
    PRIMARY KEY (lifecycle, shipped, state)
);
COMMENT ON TABLE lifecycle_state_defs IS
    'Storage of lifecycle states; read mentor.lifecycles, write through mentor.define_lifecycle()';
COMMENT ON COLUMN lifecycle_state_defs.position IS 'Order of first appearance in the definition (diagram order)';
COMMENT ON COLUMN lifecycle_state_defs.shipped IS
    'true: shipped with the extension; false: defined in this database (overrides a shipped lifecycle of the same name)';

CREATE TABLE lifecycle_transition_defs (
    lifecycle   text     NOT NULL,
    from_state  text     NOT NULL,
    to_state    text     NOT NULL,
    shipped     boolean  NOT NULL DEFAULT false,
    PRIMARY KEY (lifecycle, shipped, from_state, to_state),
    FOREIGN KEY (lifecycle, shipped, from_state) REFERENCES lifecycle_state_defs ON DELETE CASCADE,
    FOREIGN KEY (lifecycle, shipped, to_state) REFERENCES lifecycle_state_defs ON DELETE CASCADE
);
COMMENT ON TABLE lifecycle_transition_defs IS
    'Storage of lifecycle transitions; read mentor.lifecycle_transitions, write through mentor.define_lifecycle()';

SELECT pg_catalog.pg_extension_config_dump('lifecycle_state_defs', 'WHERE NOT shipped');
SELECT pg_catalog.pg_extension_config_dump('lifecycle_transition_defs', 'WHERE NOT shipped');

-- The effective definitions: the database's own when it has one, else the shipped one.
CREATE VIEW lifecycles AS
SELECT d.lifecycle AS name, d.state, d.is_initial, d.is_final, d.position, d.shipped
  FROM @extschema@.lifecycle_state_defs d
 WHERE NOT d.shipped
    OR NOT EXISTS (SELECT 1 FROM @extschema@.lifecycle_state_defs o
                    WHERE o.lifecycle = d.lifecycle AND NOT o.shipped);
COMMENT ON VIEW lifecycles IS 'States of every lifecycle in force (one row per state)';
COMMENT ON COLUMN lifecycles.is_initial IS 'A new row may start in this state';
COMMENT ON COLUMN lifecycles.is_final IS 'No transition leaves this state (or the definition ends it with [*])';
COMMENT ON COLUMN lifecycles.shipped IS 'Shipped with the extension (false: defined in this database)';

CREATE VIEW lifecycle_transitions AS
SELECT t.lifecycle AS name, t.from_state, t.to_state
  FROM @extschema@.lifecycle_transition_defs t
 WHERE NOT t.shipped
    OR NOT EXISTS (SELECT 1 FROM @extschema@.lifecycle_state_defs o
                    WHERE o.lifecycle = t.lifecycle AND NOT o.shipped);
COMMENT ON VIEW lifecycle_transitions IS 'Allowed transitions of every lifecycle in force (keeping a state is always allowed)';

CREATE FUNCTION _table_cache_changed() RETURNS trigger
    AS 'MODULE_PATHNAME', 'mn_table_cache_changed' LANGUAGE C;
COMMENT ON FUNCTION _table_cache_changed() IS
    'Internal: statement trigger that makes every backend drop what it caches from the table (lifecycles, ledger accounts)';

CREATE TRIGGER lifecycle_cache_invalidate
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON lifecycle_state_defs
    FOR EACH STATEMENT EXECUTE FUNCTION _table_cache_changed();
CREATE TRIGGER lifecycle_cache_invalidate
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON lifecycle_transition_defs
    FOR EACH STATEMENT EXECUTE FUNCTION _table_cache_changed();

CREATE FUNCTION enforce_lifecycle() RETURNS trigger
    AS 'MODULE_PATHNAME', 'mn_enforce_lifecycle' LANGUAGE C;
COMMENT ON FUNCTION enforce_lifecycle() IS
    'BEFORE INSERT OR UPDATE OF col FOR EACH ROW trigger, arguments (lifecycle, column): new rows start in an '
    'initial state, updates follow a listed transition; otherwise MN001 listing the allowed next states';

CREATE FUNCTION next_states(lifecycle text, state text) RETURNS text[]
    AS 'MODULE_PATHNAME', 'mn_next_states' LANGUAGE C STABLE STRICT;
COMMENT ON FUNCTION next_states(text, text) IS
    'States one transition away from state in lifecycle, in diagram order (empty for a final state)';

CREATE FUNCTION define_lifecycle(name text, transitions text[]) RETURNS integer
    AS 'MODULE_PATHNAME', 'mn_define_lifecycle' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION define_lifecycle(text, text[]) IS
    'Defines or replaces a lifecycle from {from, to} pairs; NULL or ''[*]'' is the diagrams'' [*] '
    '(ARRAY[[NULL,''draft''],[''draft'',''done'']]). Overrides a shipped lifecycle of that name. '
    'Returns the number of transitions stored; every session honours it from its next statement';

CREATE FUNCTION _ship_lifecycle(name text, transitions text[], shipped boolean) RETURNS integer
    AS 'MODULE_PATHNAME', 'mn_define_lifecycle' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION _ship_lifecycle(text, text[], boolean) IS
    'Internal: stores a lifecycle shipped with the extension';

CREATE FUNCTION reset_lifecycle(name text) RETURNS boolean
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    DELETE FROM lifecycle_state_defs d WHERE d.lifecycle = reset_lifecycle.name AND NOT d.shipped;
    RETURN FOUND;
END
$$;
COMMENT ON FUNCTION reset_lifecycle(text) IS
    'Removes this database''s definition of a lifecycle: a shipped one returns to its shipped form, '
    'a custom one disappears. True if there was a definition to remove';

CREATE FUNCTION attach_lifecycle(tbl regclass, col name, lifecycle text) RETURNS void
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    coltype   oid;
    relname   text := tbl::text;
    missing   text[];
BEGIN
    IF NOT EXISTS (SELECT 1 FROM lifecycles l WHERE l.name = attach_lifecycle.lifecycle) THEN
        RAISE EXCEPTION 'lifecycle "%" does not exist', lifecycle
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
    -- An enum label that is not a state could be stored but never judged.
    IF EXISTS (SELECT 1 FROM pg_type WHERE oid = coltype AND typtype = 'e') THEN
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
    'after checking that the lifecycle and column exist and an enum column''s labels are all states';
--------------------------------------------------------------------------------
-- Shipped lifecycles.  Where a seed document draws a state diagram, the
-- transitions are exactly the diagram's ('[*]' is its start/end marker).
-- Where a seed only lists the states of an enum, the transitions are ours,
-- the forward path those states describe; README.md ("Lifecycles") lists
-- every one.  Redefine any of them with mentor.define_lifecycle().
--------------------------------------------------------------------------------

-- 001: Slots.status (MeetingStatus) - as drawn.
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
    ['cancelled', '[*]']], true);

-- 001: Application.status (ApplicationStatus) - as drawn.
SELECT _ship_lifecycle('program_application', ARRAY[
    ['[*]', 'draft'],
    ['draft', 'submitted'],
    ['submitted', 'under_review'],
    ['under_review', 'approved'],
    ['under_review', 'rejected'],
    ['approved', 'payment_received'],
    ['payment_received', 'paid'],
    ['paid', 'batch_allocated'],
    ['batch_allocated', 'enrolled'],
    ['enrolled', 'deboarded'],
    ['rejected', '[*]'],
    ['deboarded', '[*]']], true);

-- 001: JobApplication.status (CandidateStatus) - as drawn.
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
    ['talent_pool', '[*]']], true);

-- 001: Mas101PapWorkflow.status (pay after placement) - as drawn.
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
    ['payment_collection_pending', '[*]']], true);

-- 001: WorkflowEnrollment.status - as drawn.
SELECT _ship_lifecycle('workflow_enrollment', ARRAY[
    ['[*]', 'active'],
    ['active', 'waiting'],
    ['waiting', 'active'],
    ['active', 'paused'],
    ['paused', 'active'],
    ['active', 'completed'],
    ['active', 'failed'],
    ['active', 'cancelled'],
    ['completed', '[*]'],
    ['failed', '[*]'],
    ['cancelled', '[*]']], true);

-- 001: MeetingRecording.status (states listed by the seed; transitions ours).
SELECT _ship_lifecycle('recording', ARRAY[
    ['[*]', 'recording'],
    ['recording', 'processing'],
    ['recording', 'failed'],
    ['processing', 'uploaded'],
    ['processing', 'failed'],
    ['uploaded', 'deleted'],
    ['failed', 'deleted'],
    ['deleted', '[*]']], true);

-- 001: TokenPurchase.status (PaymentStatus).
SELECT _ship_lifecycle('token_purchase', ARRAY[
    ['[*]', 'pending'],
    ['pending', 'completed'],
    ['pending', 'failed'],
    ['pending', 'cancelled']], true);

-- 001: Enrollment.status.
SELECT _ship_lifecycle('enrollment', ARRAY[
    ['[*]', 'not_started'],
    ['not_started', 'in_progress'],
    ['in_progress', 'completed']], true);

-- 001: Batch.status.
SELECT _ship_lifecycle('batch', ARRAY[
    ['[*]', 'upcoming'],
    ['upcoming', 'active'],
    ['upcoming', 'cancelled'],
    ['active', 'completed'],
    ['active', 'cancelled']], true);

-- 001: CoursePlan.status (AI-generated plans: generate, review, run).
SELECT _ship_lifecycle('course_plan', ARRAY[
    ['[*]', 'draft'],
    ['draft', 'generating'],
    ['generating', 'draft'],
    ['generating', 'failed'],
    ['failed', 'generating'],
    ['draft', 'approved'],
    ['approved', 'paused'],
    ['paused', 'approved'],
    ['approved', 'completed']], true);

-- 001: VendorApiKey.status.
SELECT _ship_lifecycle('vendor_key', ARRAY[
    ['[*]', 'active'],
    ['active', 'disabled'],
    ['disabled', 'active'],
    ['active', 'revoked'],
    ['disabled', 'revoked']], true);

-- 001: JobPost.status.
SELECT _ship_lifecycle('job_post', ARRAY[
    ['[*]', 'draft'],
    ['draft', 'active'],
    ['draft', 'closed'],
    ['active', 'paused'],
    ['paused', 'active'],
    ['active', 'closed'],
    ['paused', 'closed']], true);

-- 000: Registry.status - a registration request to join a course.
SELECT _ship_lifecycle('registration', ARRAY[
    ['[*]', 'pending'],
    ['pending', 'approved'],
    ['pending', 'rejected'],
    ['approved', '[*]'],
    ['rejected', '[*]']], true);

-- 001: mentor withdrawals (MentorEarnings withdrawal status).
SELECT _ship_lifecycle('withdrawal', ARRAY[
    ['[*]', 'requested'],
    ['requested', 'approved'],
    ['requested', 'rejected'],
    ['approved', 'paid']], true);

-- 004: sessions, with rescheduling.  pending = open/unclaimed, proposed = a
-- mentor proposed it, requested = a mentee asked for it; rescheduled = a new
-- time is proposed and awaits an answer.
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
    ['rescheduled', 'cancelled'],
    ['rejected', '[*]'],
    ['completed', '[*]'],
    ['cancelled', '[*]']], true);

-- 004: matches (approved or rejected by an admin).
SELECT _ship_lifecycle('match', ARRAY[
    ['[*]', 'pending'],
    ['pending', 'approved'],
    ['pending', 'rejected']], true);

-- 004: user connections.
SELECT _ship_lifecycle('connection', ARRAY[
    ['[*]', 'pending'],
    ['pending', 'accepted'],
    ['pending', 'rejected']], true);

-- 004: proxy requests (maternity leave coverage).
SELECT _ship_lifecycle('proxy_request', ARRAY[
    ['[*]', 'pending'],
    ['pending', 'accepted'],
    ['pending', 'rejected'],
    ['accepted', 'completed']], true);

-- 004: action items.
SELECT _ship_lifecycle('action_item', ARRAY[
    ['[*]', 'pending'],
    ['pending', 'in_progress'],
    ['pending', 'completed'],
    ['in_progress', 'completed']], true);

-- 004: profile onboarding.
SELECT _ship_lifecycle('onboarding', ARRAY[
    ['[*]', 'not_started'],
    ['not_started', 'in_progress'],
    ['in_progress', 'completed']], true);

-- 004: reported issues (a resolved issue can be reopened).
SELECT _ship_lifecycle('reported_issue', ARRAY[
    ['[*]', 'open'],
    ['open', 'in_progress'],
    ['open', 'resolved'],
    ['in_progress', 'resolved'],
    ['resolved', 'open']], true);

-- 002: mentorships, PENDING to COMPLETED.
SELECT _ship_lifecycle('mentorship', ARRAY[
    ['[*]', 'pending'],
    ['pending', 'active'],
    ['pending', 'rejected'],
    ['pending', 'cancelled'],
    ['active', 'completed'],
    ['active', 'cancelled']], true);

-- 002: suggestions (the user's response).
SELECT _ship_lifecycle('suggestion', ARRAY[
    ['[*]', 'pending'],
    ['pending', 'accepted'],
    ['pending', 'declined']], true);

-- 003: code submissions (interpreted languages skip compiling).
SELECT _ship_lifecycle('submission', ARRAY[
    ['[*]', 'pending'],
    ['pending', 'compiling'],
    ['pending', 'running'],
    ['pending', 'failed'],
    ['compiling', 'running'],
    ['compiling', 'failed'],
    ['running', 'completed'],
    ['running', 'failed']], true);

-- 003: mock interview sessions.
SELECT _ship_lifecycle('interview_session', ARRAY[
    ['[*]', 'pending'],
    ['pending', 'in_progress'],
    ['in_progress', 'completed']], true);

-- 003: pair-programming collaboration sessions.
SELECT _ship_lifecycle('collaboration_session', ARRAY[
    ['[*]', 'pending'],
    ['pending', 'active'],
    ['active', 'completed']], true);

-- 000: CourseTask.crossCheckStatus - as drawn.
SELECT _ship_lifecycle('crosscheck', ARRAY[
    ['[*]', 'initial'],
    ['initial', 'distributed'],
    ['distributed', 'completed']], true);
--------------------------------------------------------------------------------
-- Module identity: users, profiles, skills, external accounts, visibility.
--------------------------------------------------------------------------------

CREATE TYPE platform_role AS ENUM ('user', 'mentor', 'admin', 'owner', 'sales');
COMMENT ON TYPE platform_role IS
    'Platform-wide role: user (mentee/student), mentor, admin, owner, sales';

CREATE TYPE onboarding_status AS ENUM ('not_started', 'in_progress', 'completed');
COMMENT ON TYPE onboarding_status IS 'Onboarding progress of a profile (lifecycle "onboarding")';

CREATE TYPE visibility AS ENUM ('public', 'student', 'mentor', 'private');
COMMENT ON TYPE visibility IS
    'Who may see a profile field: public (anyone), student (any signed-in user), mentor (mentors and staff), '
    'private (the user and staff only); each level includes the ones after it';

CREATE TYPE skill_direction AS ENUM ('offers', 'seeks');
COMMENT ON TYPE skill_direction IS 'offers: the user can teach the skill; seeks: the user wants to learn it';

CREATE TABLE users (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         @extschema@.email NOT NULL UNIQUE,
    username      citext NOT NULL UNIQUE
                  CONSTRAINT users_username_format CHECK (username ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{1,39}$'),
    full_name     text NOT NULL CONSTRAINT users_full_name_length CHECK (length(btrim(full_name)) BETWEEN 1 AND 200),
    role          @extschema@.platform_role NOT NULL DEFAULT 'user',
    password_hash text,
    github_id     text UNIQUE,
    google_id     text UNIQUE,
    avatar_url    text CONSTRAINT users_avatar_url_http CHECK (avatar_url ~ '^https?://'),
    time_zone     @extschema@.time_zone NOT NULL DEFAULT 'UTC',
    active        boolean NOT NULL DEFAULT true,
    last_login_at timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE users IS
    'Every person on the platform (mentors, mentees, students, staff). Inserting a user also creates its profile';
COMMENT ON COLUMN users.email IS 'Login and contact address, unique case-insensitively';
COMMENT ON COLUMN users.username IS 'Public handle, unique case-insensitively; 2-40 letters, digits, _ . -';
COMMENT ON COLUMN users.role IS 'Platform role; course roles (student, course mentor, manager) live with the courses';
COMMENT ON COLUMN users.password_hash IS 'Password hash when not using OAuth; never shown by mentor.visible_profile()';
COMMENT ON COLUMN users.github_id IS 'GitHub account id (OAuth login)';
COMMENT ON COLUMN users.google_id IS 'Google account id (OAuth login)';
COMMENT ON COLUMN users.time_zone IS 'IANA time zone of the user, validated against pg_timezone_names';
COMMENT ON COLUMN users.active IS 'false deactivates the account (preferred over deleting, which cascades widely)';

CREATE TRIGGER users_touch_updated_at BEFORE UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE profiles (
    id                      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id                 bigint NOT NULL UNIQUE REFERENCES users ON DELETE CASCADE,
    headline                text,
    department              text,
    position                text,
    organization            text,
    location                text,
    bio                     text,
    skills                  jsonb NOT NULL DEFAULT '[]'
                            CONSTRAINT profiles_skills_array CHECK (jsonb_typeof(skills) = 'array'),
    interests               jsonb NOT NULL DEFAULT '[]'
                            CONSTRAINT profiles_interests_array CHECK (jsonb_typeof(interests) = 'array'),
    goals                   text,
    availability            jsonb
                            CONSTRAINT profiles_availability_json CHECK (jsonb_typeof(availability) IN ('object', 'array')),
    years_of_experience     smallint CONSTRAINT profiles_years_range CHECK (years_of_experience BETWEEN 0 AND 80),
    area_of_expertise       text,
    mentorship_style        text,
    preferred_communication text,
    max_mentee_capacity     integer NOT NULL DEFAULT 0 CONSTRAINT profiles_capacity_nonneg CHECK (max_mentee_capacity >= 0),
    current_mentee_count    integer NOT NULL DEFAULT 0 CONSTRAINT profiles_count_nonneg CHECK (current_mentee_count >= 0),
    accepting_new_mentees   boolean NOT NULL DEFAULT false,
    supports_new_mothers    boolean NOT NULL DEFAULT false,
    notification_preferences jsonb NOT NULL DEFAULT '{}'
                            CONSTRAINT profiles_notification_object CHECK (jsonb_typeof(notification_preferences) = 'object'),
    onboarding_status       @extschema@.onboarding_status NOT NULL DEFAULT 'not_started',
    onboarding_step         smallint NOT NULL DEFAULT 0 CONSTRAINT profiles_step_nonneg CHECK (onboarding_step >= 0),
    onboarding_completed_at timestamptz,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT profiles_completed_at_only_when_completed
        CHECK (onboarding_completed_at IS NULL OR onboarding_status = 'completed')
);
COMMENT ON TABLE profiles IS 'Professional profile of a user (one per user, created with the user)';
COMMENT ON COLUMN profiles.skills IS 'Free-form skill labels (JSON array); structured skills are in mentor.user_skills';
COMMENT ON COLUMN profiles.interests IS 'Interests (JSON array)';
COMMENT ON COLUMN profiles.availability IS 'Availability as the application describes it (JSON)';
COMMENT ON COLUMN profiles.years_of_experience IS 'Years of professional experience (0-80)';
COMMENT ON COLUMN profiles.max_mentee_capacity IS 'How many mentees the user takes at once as a mentor';
COMMENT ON COLUMN profiles.current_mentee_count IS 'Mentees the user currently has';
COMMENT ON COLUMN profiles.supports_new_mothers IS 'Mentor supports working mothers returning from leave';
COMMENT ON COLUMN profiles.notification_preferences IS 'Per-channel notification settings (JSON object)';
COMMENT ON COLUMN profiles.onboarding_status IS 'not_started -> in_progress -> completed (lifecycle "onboarding")';
COMMENT ON COLUMN profiles.onboarding_completed_at IS 'Set automatically when onboarding_status becomes completed';

CREATE TRIGGER profiles_touch_updated_at BEFORE UPDATE ON profiles
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
SELECT attach_lifecycle('profiles', 'onboarding_status', 'onboarding');

CREATE FUNCTION _profiles_stamp_onboarding() RETURNS trigger
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    IF NEW.onboarding_status = 'completed' AND NEW.onboarding_completed_at IS NULL THEN
        NEW.onboarding_completed_at := now();
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION _profiles_stamp_onboarding() IS 'Internal: stamps onboarding_completed_at on completion';
CREATE TRIGGER profiles_stamp_onboarding BEFORE INSERT OR UPDATE OF onboarding_status ON profiles
    FOR EACH ROW EXECUTE FUNCTION _profiles_stamp_onboarding();

-- Signup (seed 001, journey 1): the satellites the rest of the system assumes exist.
CREATE FUNCTION _users_after_insert() RETURNS trigger
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO profiles (user_id) SELECT n.id FROM new_users n;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION _users_after_insert() IS 'Internal: creates the profile of each new user';
CREATE TRIGGER users_after_insert AFTER INSERT ON users
    REFERENCING NEW TABLE AS new_users
    FOR EACH STATEMENT EXECUTE FUNCTION _users_after_insert();

CREATE TABLE skills (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        citext NOT NULL UNIQUE CONSTRAINT skills_name_length CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    slug        @extschema@.slug NOT NULL UNIQUE,
    category    text,
    description text,
    shipped     boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE skills IS 'Skill catalogue used for matching; the extension ships a default set (shipped = true)';
COMMENT ON COLUMN skills.slug IS 'URL-friendly name, e.g. machine-learning';
COMMENT ON COLUMN skills.shipped IS 'Part of the default catalogue shipped with the extension (not dumped by pg_dump)';

SELECT pg_catalog.pg_extension_config_dump('skills', 'WHERE NOT shipped');
SELECT pg_catalog.pg_extension_config_dump('skills_id_seq', '');

INSERT INTO skills (name, slug, category, description, shipped) VALUES
    ('Frontend',         'frontend',         'engineering', 'Web interfaces: HTML, CSS, JavaScript frameworks', true),
    ('Backend',          'backend',          'engineering', 'Server-side services, APIs and databases', true),
    ('DevOps',           'devops',           'engineering', 'CI/CD, infrastructure as code, operations', true),
    ('Mobile',           'mobile',           'engineering', 'iOS and Android applications', true),
    ('Data Science',     'data-science',     'data',        'Statistics, analysis and visualisation', true),
    ('Machine Learning', 'machine-learning', 'data',        'Models, training and deployment', true),
    ('Cloud',            'cloud',            'engineering', 'Cloud platforms and architecture', true),
    ('Security',         'security',         'engineering', 'Application and infrastructure security', true),
    ('UI/UX Design',     'ui-ux-design',     'design',      'User research, interaction and visual design', true),
    ('Product Management','product-management','product',  'Discovery, roadmaps and delivery', true);

CREATE TABLE user_skills (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    skill_id    bigint NOT NULL REFERENCES skills ON DELETE CASCADE,
    direction   @extschema@.skill_direction NOT NULL,
    level       smallint NOT NULL DEFAULT 3 CONSTRAINT user_skills_level_range CHECK (level BETWEEN 1 AND 5),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (user_id, skill_id, direction)
);
COMMENT ON TABLE user_skills IS 'Skills a user offers as a mentor or seeks as a mentee, with a level';
COMMENT ON COLUMN user_skills.level IS 'Proficiency 1 (beginner) to 5 (expert); for seeks, the level the user has now';
-- The inverted list of a skill: who offers or seeks it, at what level, read
-- index-only by mentor suggestions (user_id is included for that).
CREATE INDEX user_skills_skill_idx ON user_skills (skill_id, direction, level) INCLUDE (user_id);
-- Inactive accounts are few: suggestions filter them through this index.
CREATE INDEX users_inactive_idx ON users (id) WHERE NOT active;
CREATE TRIGGER user_skills_touch_updated_at BEFORE UPDATE ON user_skills
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE external_accounts (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    service     text NOT NULL CONSTRAINT external_accounts_service_format CHECK (service ~ '^[a-z][a-z0-9_]{1,39}$'),
    username    text NOT NULL CONSTRAINT external_accounts_username_length CHECK (length(username) BETWEEN 1 AND 200),
    profile_url text CONSTRAINT external_accounts_url_http CHECK (profile_url ~ '^https?://'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (user_id, service)
);
COMMENT ON TABLE external_accounts IS 'Accounts on other learning platforms (codewars, leetcode, github...)';
COMMENT ON COLUMN external_accounts.service IS 'Platform name in lower snake_case, e.g. codewars';
CREATE TRIGGER external_accounts_touch_updated_at BEFORE UPDATE ON external_accounts
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- Fields of mentor.visible_profile() whose visibility a user may set, and their defaults.
CREATE FUNCTION profile_field_default(field text) RETURNS @extschema@.visibility
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
SELECT CASE field
    WHEN 'email' THEN 'private'
    WHEN 'location' THEN 'student'
    WHEN 'time_zone' THEN 'student'
    WHEN 'external_accounts' THEN 'student'
    ELSE CASE WHEN field = ANY (ARRAY['full_name', 'avatar_url', 'headline', 'department', 'position',
                                      'organization', 'bio', 'skills', 'interests', 'goals', 'availability',
                                      'years_of_experience', 'area_of_expertise', 'mentorship_style',
                                      'preferred_communication', 'user_skills'])
              THEN 'public'::@extschema@.visibility END
END
$$;
COMMENT ON FUNCTION profile_field_default(text) IS
    'Default visibility of a profile field (NULL: not a field whose visibility can be set)';

CREATE TABLE profile_visibility (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    field       text NOT NULL
                CONSTRAINT profile_visibility_known_field CHECK (@extschema@.profile_field_default(field) IS NOT NULL),
    visibility  @extschema@.visibility NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (user_id, field)
);
COMMENT ON TABLE profile_visibility IS
    'Per-user, per-field visibility of the profile; fields without a row use mentor.profile_field_default()';
CREATE TRIGGER profile_visibility_touch_updated_at BEFORE UPDATE ON profile_visibility
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE FUNCTION visible_profile(viewer bigint, user_id bigint) RETURNS jsonb
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
            WHEN v.id = target.id OR v.role IN ('admin', 'owner') THEN 3
            WHEN NOT v.active THEN 0
            WHEN v.role = 'mentor' THEN 2
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
COMMENT ON FUNCTION visible_profile(bigint, bigint) IS
    'The profile of user_id as viewer may see it (viewer NULL: anonymous): id, username, role and mentoring flags '
    'always, other fields by mentor.profile_visibility. NULL for a deactivated account unless viewer is the user or staff';

-- The acting user.  C (src/actor.c): only this function may set mentor.actor_id,
-- and only transaction-locally, so it never outlives the request that set it.
CREATE FUNCTION set_actor(user_id bigint) RETURNS bigint
    AS 'MODULE_PATHNAME', 'mn_set_actor' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION set_actor(bigint) IS
    'Sets the acting user for the rest of the current transaction (NULL clears it; P0002 for an unknown user) and '
    'returns it; outside a transaction block it lasts one statement and warns. The only way to set mentor.actor_id';
--------------------------------------------------------------------------------
-- Module history: every change to every audited row, who made it and when.
--------------------------------------------------------------------------------

CREATE TABLE history_tables (
    id           smallint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    table_name   text NOT NULL,
    key_columns  text[] NOT NULL,
    key_types    text[] NOT NULL,
    excluded     text[] NOT NULL DEFAULT '{}',
    private      text[] NOT NULL DEFAULT '{}',
    enabled      boolean NOT NULL DEFAULT true,
    shipped      boolean NOT NULL DEFAULT false,
    enabled_at   timestamptz NOT NULL DEFAULT now(),
    disabled_at  timestamptz
);
COMMENT ON TABLE history_tables IS
    'Tables whose history is (or was) recorded; maintained by mentor.enable_history() and mentor.disable_history()';
COMMENT ON COLUMN history_tables.table_name IS 'Schema-qualified name when history was last enabled';
COMMENT ON COLUMN history_tables.key_columns IS 'Columns of the primary key (or replica identity) that identify a row';
COMMENT ON COLUMN history_tables.excluded IS 'Columns never written to history (password hashes, tokens)';
COMMENT ON COLUMN history_tables.private IS
    'Columns recorded in history but shown only to mentor_admin (emails, names, OAuth ids, reviewers): '
    'the history view and readers leave them out for everyone else; set by mentor.set_history_private()';
COMMENT ON COLUMN history_tables.shipped IS 'An extension table (recreated by CREATE EXTENSION, not dumped)';
SELECT pg_catalog.pg_extension_config_dump('history_tables', 'WHERE NOT shipped');

CREATE TABLE history_contexts (
    id               integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    actor_id         bigint NOT NULL DEFAULT 0,
    db_user          text NOT NULL,
    application_name text NOT NULL,
    UNIQUE (actor_id, db_user, application_name)
);
COMMENT ON TABLE history_contexts IS
    'Who acted: each distinct (acting user, session user, application_name) once, referenced by history rows';
COMMENT ON COLUMN history_contexts.actor_id IS 'mentor.current_actor() at the time, 0 when none was set';
COMMENT ON COLUMN history_contexts.db_user IS 'The session user (the database login)';

-- The log itself, kept narrow: about 85 bytes of heap per one-column update.  changes is JSON
-- text, not jsonb: for the small documents history writes, text is less than half the size.
-- A key is stored in one of two columns: row_id for a single integer key column (most tables),
-- row_key for any other key.  Each has its own partial index, so a row's history is one index
-- probe either way; the bigint one is the cheaper to insert into on every audited write.
-- Fixed-width columns come first, widest first, so no byte is lost to alignment.
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
);
COMMENT ON TABLE history_log IS
    'Storage of mentor.history (read that view): append-only, written by mentor.history_trigger()';
COMMENT ON COLUMN history_log.at IS
    'When the change was made: strictly increasing within a session, so it orders the changes of a row';
COMMENT ON COLUMN history_log.op IS 'I insert, U update, D delete, T removed by TRUNCATE';
COMMENT ON COLUMN history_log.row_id IS
    'The key value when the key is a single smallint, integer or bigint column (row_key is then NULL)';
COMMENT ON COLUMN history_log.row_key IS
    'Any other key as text: the value''s text, or for a composite key a JSON array of the values as text '
    '(byte order: keys are compared, never sorted for people); NULL when row_id holds the key';
COMMENT ON COLUMN history_log.changes IS
    'I: the new row; D and T: the old row; U: ["column", old, new, ...] for the changed columns only';
-- B-tree, not hash, although readers only look keys up by equality: a hash index was a few
-- percent faster on two cores, but every insert into one takes its metapage lock exclusively (to
-- count tuples), which would serialise the audited writes of all sessions on one lock.
CREATE INDEX history_log_row_idx ON history_log (row_id) WHERE row_id IS NOT NULL;
CREATE INDEX history_log_key_idx ON history_log (row_key) WHERE row_key IS NOT NULL;
CREATE INDEX history_log_at_idx ON history_log USING brin (at);

CREATE FUNCTION _history_guard() RETURNS trigger
    AS 'MODULE_PATHNAME', 'mn_history_guard' LANGUAGE C;
COMMENT ON FUNCTION _history_guard() IS 'Internal: keeps history append-only except for mentor.prune_history()';
CREATE TRIGGER history_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON history_log
    FOR EACH STATEMENT EXECUTE FUNCTION _history_guard();
CREATE TRIGGER history_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON history_contexts
    FOR EACH STATEMENT EXECUTE FUNCTION _history_guard();

CREATE FUNCTION _history_context_id(actor bigint, db_user text, app text) RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    found_id integer;
BEGIN
    SELECT c.id INTO found_id FROM history_contexts c
     WHERE c.actor_id = actor AND c.db_user = _history_context_id.db_user AND c.application_name = app;
    IF found_id IS NULL THEN
        INSERT INTO history_contexts (actor_id, db_user, application_name) VALUES (actor, db_user, app)
        ON CONFLICT DO NOTHING RETURNING id INTO found_id;
    END IF;
    IF found_id IS NULL THEN
        -- Another session inserted it after this transaction's snapshot (REPEATABLE READ).
        SELECT c.id INTO found_id FROM history_contexts c
         WHERE c.actor_id = actor AND c.db_user = _history_context_id.db_user AND c.application_name = app;
    END IF;
    IF found_id IS NULL THEN
        RAISE EXCEPTION 'could not record the history context concurrently created by another session'
            USING ERRCODE = 'serialization_failure', HINT = 'Retry the transaction.';
    END IF;
    RETURN found_id;
END
$$;
COMMENT ON FUNCTION _history_context_id(bigint, text, text) IS 'Internal: id of a history context, created on first use';

CREATE FUNCTION history_trigger() RETURNS trigger
    AS 'MODULE_PATHNAME', 'mn_history_trigger' LANGUAGE C;
COMMENT ON FUNCTION history_trigger() IS
    'Records changes of a table in mentor.history (attached by mentor.enable_history; argument: the history table id)';

CREATE FUNCTION prune_history(older_than timestamptz) RETURNS bigint
    AS 'MODULE_PATHNAME', 'mn_prune_history' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION prune_history(timestamptz) IS
    'Deletes history recorded before older_than (the only way history rows are ever removed); returns how many';

-- Decoding helpers for the view and the readers.
CREATE FUNCTION _history_side(changes jsonb, side integer) RETURNS jsonb
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
SELECT (SELECT jsonb_object_agg(changes ->> i, changes -> (i + side))
          FROM generate_series(0, jsonb_array_length(changes) - 1, 3) AS i)
$$;
COMMENT ON FUNCTION _history_side(jsonb, integer) IS
    'Internal: the old (side 1) or new (side 2) values of an update as an object';

CREATE FUNCTION _history_key_json(key_columns text[], key_types text[], row_key text) RETURNS jsonb
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
SELECT (SELECT jsonb_object_agg(c.col, CASE WHEN c.typ IN ('smallint', 'integer', 'bigint', 'numeric')
                                            THEN to_jsonb(c.val::numeric) ELSE to_jsonb(c.val) END)
          FROM unnest(key_columns, key_types,
                      CASE WHEN cardinality(key_columns) = 1 THEN ARRAY[row_key]
                           ELSE ARRAY(SELECT jsonb_array_elements_text(row_key::jsonb)) END) AS c(col, typ, val))
$$;
COMMENT ON FUNCTION _history_key_json(text[], text[], text) IS 'Internal: a stored row key as a jsonb object';

-- The row_id under which history_trigger() stores a key given in its canonical text, or NULL if
-- that text is not an integer's.  Readers probe both row_id and row_key with it, so a row's
-- history is found whichever way it was stored (also across an ALTER TYPE of the key column).
CREATE FUNCTION _history_key_id(key_text text) RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
SELECT CASE WHEN key_text ~ '^(0|-?[1-9][0-9]{0,18})$'
            THEN CASE WHEN key_text::numeric BETWEEN -9223372036854775808 AND 9223372036854775807
                      THEN key_text::bigint END END
$$;
COMMENT ON FUNCTION _history_key_id(text) IS 'Internal: a key''s text as history_log.row_id, NULL if not an integer';

-- Private columns are removed here, so every reader of history (row_history, row_as_of,
-- table_as_of) inherits the rule; analysts and applications read history only through this view.
CREATE VIEW history AS
SELECT l.at,
       l.txid,
       nullif(c.actor_id, 0) AS actor_id,
       c.db_user,
       c.application_name,
       t.table_name,
       l.op,
       @extschema@._history_key_json(t.key_columns, t.key_types, coalesce(l.row_key, l.row_id::text)) AS row_key,
       CASE WHEN cardinality(t.private) = 0 OR (SELECT @extschema@._current_user_is_admin()) THEN o.old_row
            ELSE o.old_row - t.private END AS old_row,
       CASE WHEN cardinality(t.private) = 0 OR (SELECT @extschema@._current_user_is_admin()) THEN o.new_row
            ELSE o.new_row - t.private END AS new_row,
       l.table_id,
       l.row_id AS key_id,
       l.row_key AS key_text
  FROM @extschema@.history_log l
  JOIN @extschema@.history_tables t ON t.id = l.table_id
  LEFT JOIN @extschema@.history_contexts c ON c.id = l.context_id
  CROSS JOIN LATERAL (SELECT CASE l.op WHEN 'U' THEN @extschema@._history_side(l.changes::jsonb, 1)
                                       WHEN 'I' THEN NULL ELSE l.changes::jsonb END AS old_row,
                             CASE l.op WHEN 'U' THEN @extschema@._history_side(l.changes::jsonb, 2)
                                       WHEN 'I' THEN l.changes::jsonb ELSE NULL END AS new_row) o;
COMMENT ON VIEW history IS
    'Every recorded change: an insert keeps the new row, a delete (or TRUNCATE) the old row, an update the changed '
    'columns only (old values in old_row, new in new_row). Private columns (history_tables.private) are left out '
    'unless the reader is mentor_admin';
COMMENT ON COLUMN history.at IS 'When the change was made';
COMMENT ON COLUMN history.txid IS 'Transaction that made it (pg_current_xact_id())';
COMMENT ON COLUMN history.actor_id IS 'mentor.current_actor() of that transaction; NULL when none was set';
COMMENT ON COLUMN history.db_user IS 'Session user that made it';
COMMENT ON COLUMN history.op IS 'I insert, U update, D delete, T removed by TRUNCATE';
COMMENT ON COLUMN history.row_key IS 'The row''s key as an object of key columns';
COMMENT ON COLUMN history.key_id IS
    'The key as stored when it is a single integer column, else NULL (use mentor.row_history to search by key)';
COMMENT ON COLUMN history.key_text IS
    'The key as stored when it is not a single integer column, else NULL (use mentor.row_history to search by key)';


CREATE FUNCTION _history_qualified(tbl regclass) RETURNS text
LANGUAGE sql STABLE STRICT
AS $$
SELECT (SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.oid = tbl)
$$;
COMMENT ON FUNCTION _history_qualified(regclass) IS 'Internal: schema-qualified, quoted name of a table';

-- Listed from the triggers themselves, so dropped tables vanish and renamed ones show their new name.
CREATE VIEW history_enabled_tables AS
SELECT h.id, @extschema@._history_qualified(g.tgrelid) AS table_name, h.key_columns, h.excluded, h.enabled_at
  FROM pg_catalog.pg_trigger g
  JOIN @extschema@.history_tables h
    ON h.id = pg_catalog.split_part(pg_catalog.encode(g.tgargs, 'escape'), '\000', 1)::smallint
 WHERE g.tgname = 'mentor_history' AND g.tgparentid = 0;
COMMENT ON VIEW history_enabled_tables IS
    'Tables whose changes are being recorded now (by their trigger), with their key and excluded columns';

-- The history id of a table: from its trigger (robust to renames and dumps), else by name (disabled tables).
CREATE FUNCTION _history_table_id(tbl regclass, required boolean DEFAULT true) RETURNS smallint
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    tid smallint;
BEGIN
    SELECT split_part(encode(t.tgargs, 'escape'), '\000', 1)::smallint INTO tid
      FROM pg_trigger t WHERE t.tgrelid = tbl AND t.tgname = 'mentor_history';
    IF tid IS NULL THEN
        SELECT h.id INTO tid FROM history_tables h WHERE h.table_name = _history_qualified(tbl)
         ORDER BY h.id DESC LIMIT 1;
    END IF;
    IF tid IS NULL AND required THEN
        RAISE EXCEPTION 'table % has no history', tbl
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = format('Start recording it with SELECT mentor.enable_history(%L).', tbl::text);
    END IF;
    RETURN tid;
END
$$;
COMMENT ON FUNCTION _history_table_id(regclass, boolean) IS 'Internal: the history id of a table';

-- Statement triggers are not cloned to partitions: TRUNCATE triggers go on every leaf partition too.
CREATE FUNCTION _history_drop_triggers(tbl regclass) RETURNS void
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT g.tgname, g.tgrelid::regclass AS rel FROM pg_trigger g
              WHERE g.tgrelid IN (SELECT relid FROM pg_partition_tree(tbl) UNION SELECT tbl)
                AND g.tgname IN ('mentor_history', 'mentor_history_truncate') AND NOT g.tgisinternal
                AND g.tgparentid = 0 LOOP
        EXECUTE format('DROP TRIGGER %I ON %s', t.tgname, t.rel);
    END LOOP;
END
$$;
COMMENT ON FUNCTION _history_drop_triggers(regclass) IS 'Internal: removes the history triggers of a table and its partitions';

-- The columns enable_history excludes and set_history_private hides must exist and not be key columns.
CREATE FUNCTION _history_check_columns(tbl regclass, cols text[], keycols text[], purpose text) RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    bad text[];
BEGIN
    SELECT array_agg(c) INTO bad FROM unnest(cols) c
     WHERE NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = tbl AND a.attname = c AND a.attnum > 0 AND NOT a.attisdropped);
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'table % has no column %', tbl, array_to_string(bad, ', ')
            USING ERRCODE = 'undefined_column',
                  HINT = format('Name the columns to be %s history exactly as they are spelled.', purpose);
    END IF;
    IF cols && keycols THEN
        RAISE EXCEPTION 'key columns of % cannot be % its history', tbl, purpose
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('The key is (%s); history identifies rows by it.', array_to_string(keycols, ', '));
    END IF;
END
$$;
COMMENT ON FUNCTION _history_check_columns(regclass, text[], text[], text) IS
    'Internal: the named columns exist and are not key columns (42703, 22023)';

CREATE FUNCTION enable_history(tbl regclass, exclude text[] DEFAULT '{}') RETURNS smallint
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
    IF tbl IN ('history_log'::regclass, 'history_contexts'::regclass, 'history_tables'::regclass) THEN
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
    RETURN tid;
END
$$;
COMMENT ON FUNCTION enable_history(regclass, text[]) IS
    'Starts (or updates) recording every change of a table in mentor.history; excluded columns are never written. '
    'Needs a primary key or replica identity index. For a partitioned table, call it again after adding partitions '
    '(so that TRUNCATE of a new partition is recorded). Returns the table''s history id';

CREATE FUNCTION disable_history(tbl regclass) RETURNS boolean
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    tid smallint := _history_table_id(tbl, false);
BEGIN
    PERFORM _history_drop_triggers(tbl);
    UPDATE history_tables SET enabled = false, disabled_at = now() WHERE id = tid AND enabled;
    RETURN FOUND;
END
$$;
COMMENT ON FUNCTION disable_history(regclass) IS
    'Stops recording changes of a table; its history so far stays readable. True if it was being recorded';

-- The stored form of a key given as jsonb, canonical for its column types.
CREATE FUNCTION _history_key_text(tid smallint, key jsonb) RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    h      history_tables;
    vals   text[] := '{}';
    v      text;
    extra  text[];
    i      integer;
BEGIN
    SELECT * INTO h FROM history_tables WHERE id = tid;
    IF key IS NULL OR jsonb_typeof(key) <> 'object' THEN
        RAISE EXCEPTION 'a row key must be a jsonb object of its key columns'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = format('For %s pass e.g. ''{"%s": ...}''.', h.table_name, h.key_columns[1]);
    END IF;
    SELECT array_agg(k) INTO extra FROM jsonb_object_keys(key) k WHERE NOT k = ANY (h.key_columns);
    IF extra IS NOT NULL THEN
        RAISE EXCEPTION 'key of % has no column %', h.table_name, array_to_string(extra, ', ')
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('Its key is (%s).', array_to_string(h.key_columns, ', '));
    END IF;
    FOR i IN 1 .. cardinality(h.key_columns) LOOP
        v := key ->> h.key_columns[i];
        IF v IS NULL THEN
            RAISE EXCEPTION 'key of % needs column %', h.table_name, h.key_columns[i]
                USING ERRCODE = 'invalid_parameter_value',
                      DETAIL = format('Its key is (%s).', array_to_string(h.key_columns, ', '));
        END IF;
        EXECUTE format('SELECT %L::%s::text', v, h.key_types[i]) INTO v;
        vals := vals || v;
    END LOOP;
    RETURN CASE WHEN cardinality(vals) = 1 THEN vals[1] ELSE to_jsonb(vals)::text END;
END
$$;
COMMENT ON FUNCTION _history_key_text(smallint, jsonb) IS 'Internal: a key object in the stored, canonical form';

CREATE FUNCTION row_history(tbl regclass, key jsonb) RETURNS SETOF history
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    tid   smallint := _history_table_id(tbl);
    ktext text := _history_key_text(tid, key);
BEGIN
    RETURN QUERY SELECT * FROM history h
                  WHERE (h.key_id = _history_key_id(ktext) OR h.key_text = ktext) AND h.table_id = tid
                  ORDER BY h.at;
END
$$;
COMMENT ON FUNCTION row_history(regclass, jsonb) IS
    'Every recorded change of one row, oldest first; key is an object of the key columns, e.g. ''{"id": 42}''';

-- Walks a row back from its current state (NULL: no row now) through its changes after as_of.
CREATE FUNCTION _history_rewind(tid smallint, key_text text, current jsonb, as_of timestamptz) RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    state jsonb := current;
    h     record;
BEGIN
    FOR h IN SELECT l.op, l.old_row FROM history l
              WHERE (l.key_id = _history_key_id(_history_rewind.key_text) OR l.key_text = _history_rewind.key_text)
                AND l.table_id = tid AND l.at > as_of ORDER BY l.at DESC
    LOOP
        state := CASE h.op WHEN 'I' THEN NULL
                           WHEN 'U' THEN coalesce(state, '{}') || h.old_row
                           ELSE h.old_row END;
    END LOOP;
    RETURN state;
END
$$;
COMMENT ON FUNCTION _history_rewind(smallint, text, jsonb, timestamptz) IS
    'Internal: a row as it was at as_of, rebuilt from its current state';

-- "t.a, t.b" style lists of a table's key columns, for dynamic SQL.
CREATE FUNCTION _history_key_list(tid smallint, prefix text DEFAULT '') RETURNS text
LANGUAGE sql STABLE
AS $$
SELECT (SELECT string_agg(prefix || quote_ident(c), ', ' ORDER BY o)
          FROM @extschema@.history_tables h, unnest(h.key_columns) WITH ORDINALITY AS k(c, o) WHERE h.id = tid)
$$;
COMMENT ON FUNCTION _history_key_list(smallint, text) IS 'Internal: the key columns of a history table as a SQL list';

CREATE FUNCTION row_as_of(tbl regclass, key jsonb, at timestamptz) RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    tid     smallint := _history_table_id(tbl);
    ktext   text := _history_key_text(tid, key);
    current jsonb;
BEGIN
    IF at IS NULL THEN
        RAISE EXCEPTION 'row_as_of needs a point in time' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    EXECUTE format('SELECT to_jsonb(t) - $2 FROM %s t WHERE (%s) = (SELECT %s FROM jsonb_populate_record(NULL::%s, $1))',
                   tbl, _history_key_list(tid, 't.'), _history_key_list(tid), tbl)
       INTO current USING key, (SELECT excluded FROM history_tables WHERE id = tid);
    RETURN _history_rewind(tid, ktext, current, at);
END
$$;
COMMENT ON FUNCTION row_as_of(regclass, jsonb, timestamptz) IS
    'One row as it was at a moment (jsonb, excluded columns left out); NULL if it did not exist then';

CREATE FUNCTION table_as_of(tbl regclass, at timestamptz) RETURNS SETOF jsonb
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    tid     smallint := _history_table_id(tbl);
    h       history_tables;
    keyexpr text;
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

CREATE FUNCTION restore_row(tbl regclass, key jsonb, at timestamptz) RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    tid     smallint := _history_table_id(tbl);
    target  jsonb := row_as_of(tbl, key, at);
    keypred text := format('(%s) = (SELECT %s FROM jsonb_populate_record(NULL::%s, $2))',
                           _history_key_list(tid), _history_key_list(tid), tbl);
    exists_now boolean;
    setcols text;
    inscols text;
BEGIN
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %s WHERE %s)', tbl, keypred) INTO exists_now USING NULL::jsonb, key;
    IF target IS NULL THEN
        IF exists_now THEN
            EXECUTE format('DELETE FROM %s WHERE %s', tbl, keypred) USING NULL::jsonb, key;
        END IF;
        RETURN NULL;
    END IF;
    -- Columns that can be written back: present in the old state, not generated; identity only on insert.
    SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) FILTER (WHERE a.attidentity = ''),
           string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum)
      INTO setcols, inscols
      FROM pg_attribute a
     WHERE a.attrelid = tbl AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
       AND target ? a.attname;
    IF exists_now THEN
        IF setcols IS NOT NULL THEN
            EXECUTE format('UPDATE %s SET (%s) = (SELECT %s FROM jsonb_populate_record(NULL::%s, $1)) WHERE %s',
                           tbl, setcols, setcols, tbl, keypred) USING target, key;
        END IF;
    ELSE
        EXECUTE format('INSERT INTO %s (%s) OVERRIDING SYSTEM VALUE SELECT %s FROM jsonb_populate_record(NULL::%s, $1)',
                       tbl, inscols, inscols, tbl) USING target;
    END IF;
    RETURN target;
END
$$;
COMMENT ON FUNCTION restore_row(regclass, jsonb, timestamptz) IS
    'Puts one row back as it was at a moment (updating, re-inserting or deleting it); the restore is itself '
    'recorded as a change by the acting user. Excluded and generated columns keep their current values';

CREATE FUNCTION set_history_private(tbl regclass, columns text[]) RETURNS smallint
LANGUAGE plpgsql VOLATILE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    tid smallint := _history_table_id(tbl);
BEGIN
    columns := coalesce(columns, '{}');
    PERFORM _history_check_columns(tbl, columns, (SELECT key_columns FROM history_tables WHERE id = tid), 'private in');
    UPDATE history_tables SET private = ARRAY(SELECT DISTINCT c FROM unnest(columns) c ORDER BY c) WHERE id = tid;
    RETURN tid;
END
$$;
COMMENT ON FUNCTION set_history_private(regclass, text[]) IS
    'Marks columns of an audited table as private in its history: recorded, but left out of mentor.history and its '
    'readers for everyone but mentor_admin. Replaces the earlier list; returns the history table id';

-- History of the extension's own tables; password hashes never enter it.
CREATE FUNCTION _enable_history_shipped(tbl regclass, exclude text[] DEFAULT '{}', private text[] DEFAULT '{}') RETURNS void
LANGUAGE sql
AS $$
    SELECT @extschema@.enable_history(tbl, exclude);
    SELECT @extschema@.set_history_private(tbl, private);
    UPDATE @extschema@.history_tables SET shipped = true WHERE id = @extschema@._history_table_id(tbl);
$$;
COMMENT ON FUNCTION _enable_history_shipped(regclass, text[], text[]) IS 'Internal: enables history on an extension table';

-- What analysts may not read of users (emails, names, OAuth ids) is private in history too.
SELECT _enable_history_shipped('users', ARRAY['password_hash'], ARRAY['email', 'full_name', 'github_id', 'google_id']);
SELECT _enable_history_shipped('profiles');
SELECT _enable_history_shipped('skills');
SELECT _enable_history_shipped('user_skills');
SELECT _enable_history_shipped('external_accounts', private => ARRAY['username', 'profile_url']);
SELECT _enable_history_shipped('profile_visibility');
SELECT _enable_history_shipped('lifecycle_state_defs');
SELECT _enable_history_shipped('lifecycle_transition_defs');
--------------------------------------------------------------------------------
-- Module ledger: a double-entry token ledger (design.md section 6).
--
-- Accounts hold balances of one asset; a transfer moves an amount from a debit
-- account to a credit account and is identified by the caller's idempotency
-- key; entries are its two legs.  The money-moving functions are C
-- (src/ledger.c) and write these tables directly: CHECK constraints and
-- foreign keys below document what the C code enforces itself, and hold for
-- every row it writes.  Transfers and entries are immutable.
--------------------------------------------------------------------------------

CREATE TYPE transfer_status AS ENUM ('posted', 'pending', 'posted_pending', 'voided', 'expired');
COMMENT ON TYPE transfer_status IS
    'posted: moved money (has entries); pending: a hold; posted_pending / voided / expired: what became of a hold';

CREATE TABLE ledger_accounts (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner_id        bigint REFERENCES users (id) ON DELETE SET NULL,
    kind            text NOT NULL CONSTRAINT ledger_accounts_kind CHECK (kind IN
                        ('wallet', 'promo', 'earnings', 'escrow', 'platform', 'revenue', 'external', 'expiry')),
    asset           text NOT NULL DEFAULT 'TOKEN' CONSTRAINT ledger_accounts_asset CHECK (asset ~ '^[A-Z][A-Z0-9_]{0,15}$'),
    posted          bigint NOT NULL DEFAULT 0,
    pending_debits  bigint NOT NULL DEFAULT 0 CHECK (pending_debits >= 0),
    pending_credits bigint NOT NULL DEFAULT 0 CHECK (pending_credits >= 0),
    version         bigint NOT NULL DEFAULT 0,
    allow_negative  boolean NOT NULL DEFAULT false,
    track_balance   boolean NOT NULL DEFAULT true,
    closed          boolean NOT NULL DEFAULT false,
    name            text UNIQUE,
    expires_at      timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ledger_accounts_untracked_may_go_negative CHECK (track_balance OR allow_negative),
    CONSTRAINT ledger_accounts_expiry_is_promo CHECK (expires_at IS NULL OR kind = 'promo'),
    CONSTRAINT ledger_accounts_owner_or_name CHECK (owner_id IS NOT NULL OR name IS NOT NULL OR closed)
) WITH (fillfactor = 50);
COMMENT ON TABLE ledger_accounts IS
    'Ledger accounts. Balances are changed only by the ledger functions; an account is closed, never deleted';
COMMENT ON COLUMN ledger_accounts.kind IS
    'wallet, promo (promotional tokens with an expiry), earnings (a mentor''s), escrow, platform, revenue, external (payments in and out), expiry';
COMMENT ON COLUMN ledger_accounts.posted IS
    'Posted balance, credits minus debits (tracked accounts; mentor.balance() computes it for untracked ones)';
COMMENT ON COLUMN ledger_accounts.pending_debits IS 'Sum of pending holds debiting this account (tracked accounts)';
COMMENT ON COLUMN ledger_accounts.pending_credits IS 'Sum of pending holds crediting this account (tracked accounts)';
COMMENT ON COLUMN ledger_accounts.version IS 'Number of entries of this account (tracked accounts); entries carry it';
COMMENT ON COLUMN ledger_accounts.allow_negative IS 'Whether the available balance may go below zero (external and system accounts)';
COMMENT ON COLUMN ledger_accounts.track_balance IS
    'false for hot system accounts: never locked or updated per transfer, balance = sum of entries; such accounts must allow_negative';
COMMENT ON COLUMN ledger_accounts.name IS 'Unique name of a system account (no owner), see mentor.system_account()';
COMMENT ON COLUMN ledger_accounts.expires_at IS 'Promo accounts: when their tokens expire (mentor.expire_promos())';
-- A user has one wallet and one earnings account per asset; promo accounts are one per expiry.
CREATE UNIQUE INDEX ledger_accounts_one_per_owner ON ledger_accounts (owner_id, kind, asset)
    WHERE kind IN ('wallet', 'earnings', 'escrow');
CREATE INDEX ledger_accounts_promos ON ledger_accounts (owner_id, expires_at) WHERE kind = 'promo';

CREATE TABLE ledger_transfers (
    id                uuid PRIMARY KEY,
    debit_account_id  bigint NOT NULL REFERENCES ledger_accounts (id) ON DELETE RESTRICT,
    credit_account_id bigint NOT NULL REFERENCES ledger_accounts (id) ON DELETE RESTRICT,
    amount            bigint NOT NULL CHECK (amount > 0),
    kind              text NOT NULL CONSTRAINT ledger_transfers_kind CHECK (kind IN
                          ('purchase', 'promo_grant', 'allotment', 'spend', 'hold', 'earning', 'fee',
                           'refund', 'withdrawal', 'expiry', 'adjustment')),
    status            transfer_status NOT NULL,
    pending_id        uuid REFERENCES ledger_transfers (id) ON DELETE RESTRICT,
    expires_at        timestamptz,
    reference         text,
    actor_id          bigint,
    created_at        timestamptz NOT NULL,
    CONSTRAINT ledger_transfers_two_accounts CHECK (debit_account_id <> credit_account_id)
);
COMMENT ON TABLE ledger_transfers IS
    'One row per money movement, hold or hold resolution; the primary key is the caller''s idempotency key. Immutable '
    'except a hold''s status, moved by post_pending / void_pending / expire_pending';
COMMENT ON COLUMN ledger_transfers.id IS 'The caller''s idempotency key: re-sending it with the same parameters has no second effect';
COMMENT ON COLUMN ledger_transfers.status IS
    'posted (money moved), pending (a hold), and for a hold once resolved: posted_pending, voided or expired. '
    'A post of a hold is a posted row with pending_id set; a void is a voided row with pending_id set';
COMMENT ON COLUMN ledger_transfers.pending_id IS 'For a post or void: the hold it resolves (at most one resolution per hold)';
COMMENT ON COLUMN ledger_transfers.expires_at IS 'For a hold: after this moment it can no longer be posted and expire_pending() releases it';
COMMENT ON COLUMN ledger_transfers.actor_id IS 'mentor.current_actor() of the call that made the row';
CREATE UNIQUE INDEX ledger_transfers_one_resolution ON ledger_transfers (pending_id) WHERE pending_id IS NOT NULL;
CREATE INDEX ledger_transfers_pending ON ledger_transfers (expires_at) WHERE status = 'pending';

CREATE TABLE ledger_entries (
    account_id  bigint NOT NULL REFERENCES ledger_accounts (id) ON DELETE RESTRICT,
    at          timestamptz NOT NULL,
    transfer_id uuid NOT NULL REFERENCES ledger_transfers (id) ON DELETE RESTRICT,
    amount      bigint NOT NULL CHECK (amount <> 0),
    balance     bigint,
    version     bigint,
    PRIMARY KEY (account_id, at, transfer_id)
);
COMMENT ON TABLE ledger_entries IS 'The legs of posted transfers: a debit (negative amount) and a credit (positive); immutable';
COMMENT ON COLUMN ledger_entries.at IS 'When the entry was written (strictly increasing per session); balance_at() reads up to it';
COMMENT ON COLUMN ledger_entries.balance IS 'The account''s posted balance after this entry (tracked accounts; NULL for untracked)';
COMMENT ON COLUMN ledger_entries.version IS 'The account''s version after this entry (tracked accounts)';

-- Immutability, for table owners too (triggers apply to them, unlike RLS).
CREATE FUNCTION _ledger_immutable() RETURNS trigger
LANGUAGE c AS 'MODULE_PATHNAME', 'mn_ledger_immutable';
COMMENT ON FUNCTION _ledger_immutable() IS 'Internal: rejects UPDATE, DELETE and TRUNCATE of transfers and entries';
CREATE TRIGGER ledger_immutable BEFORE UPDATE OR DELETE OR TRUNCATE ON ledger_transfers
    FOR EACH STATEMENT EXECUTE FUNCTION _ledger_immutable();
CREATE TRIGGER ledger_immutable BEFORE UPDATE OR DELETE OR TRUNCATE ON ledger_entries
    FOR EACH STATEMENT EXECUTE FUNCTION _ledger_immutable();

CREATE FUNCTION _ledger_accounts_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    b record;
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.posted <> 0 OR NEW.pending_debits <> 0 OR NEW.pending_credits <> 0 OR NEW.version <> 0 THEN
            RAISE EXCEPTION 'a new ledger account starts with a zero balance'
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'Fund it with mentor.transfer() from another account.';
        END IF;
        -- An account that may go negative is a source of tokens: only administrators open one.
        IF (NEW.allow_negative OR NOT NEW.track_balance) AND NOT _current_user_is_admin() THEN
            RAISE EXCEPTION 'only mentor_admin may open a ledger account that can go negative'
                USING ERRCODE = 'insufficient_privilege',
                      DETAIL = format('%s account for owner %s with allow_negative = %s, track_balance = %s.',
                                      NEW.kind, coalesce(NEW.owner_id::text, 'none'), NEW.allow_negative, NEW.track_balance),
                      HINT = 'Users'' accounts come from mentor.wallet() and mentor.earnings_account(), the platform''s from mentor.system_account().';
        END IF;
        RETURN NEW;
    END IF;
    IF TG_OP <> 'UPDATE' THEN
        RAISE EXCEPTION 'ledger accounts are closed, never deleted: % on ledger_accounts is not allowed', TG_OP
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'SELECT mentor.close_account(id) closes an account with a zero balance.';
    END IF;
    -- Deleting a user (ON DELETE SET NULL) leaves closed, ownerless accounts behind, entries intact.
    IF OLD.owner_id IS NOT NULL AND NEW.owner_id IS NULL THEN
        NEW.closed := true;
    END IF;
    IF (NEW.id, coalesce(NEW.owner_id, OLD.owner_id), NEW.kind, NEW.asset, NEW.posted, NEW.pending_debits, NEW.pending_credits,
        NEW.version, NEW.track_balance)
       IS DISTINCT FROM
       (OLD.id, OLD.owner_id, OLD.kind, OLD.asset, OLD.posted, OLD.pending_debits, OLD.pending_credits,
        OLD.version, OLD.track_balance) THEN
        RAISE EXCEPTION 'balance, owner, kind, asset and tracking of ledger account % cannot be changed by UPDATE', OLD.id
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'Only name, allow_negative, closed and expires_at may be updated.',
                  HINT = 'Balances move through mentor.transfer(); open a new account for another owner, kind or asset.';
    END IF;
    IF (NEW.allow_negative, NEW.name) IS DISTINCT FROM (OLD.allow_negative, OLD.name) AND NOT _current_user_is_admin() THEN
        RAISE EXCEPTION 'only mentor_admin may change allow_negative or name of ledger account %', OLD.id
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = format('allow_negative %s -> %s, name %s -> %s.', OLD.allow_negative, NEW.allow_negative,
                                  coalesce(OLD.name, 'none'), coalesce(NEW.name, 'none')),
                  HINT = 'A negative balance would create tokens from nothing; system accounts are found by name.';
    END IF;
    IF OLD.closed AND NOT NEW.closed THEN
        RAISE EXCEPTION 'ledger account % is closed for good', OLD.id
            USING ERRCODE = 'MN006', HINT = 'Open a new account with mentor.open_account().';
    END IF;
    -- (a deleted user's accounts are empty: users_keep_tokens saw to that)
    IF NEW.closed AND NOT OLD.closed AND NOT (OLD.owner_id IS NOT NULL AND NEW.owner_id IS NULL) THEN
        IF OLD.owner_id IS NULL AND NOT _current_user_is_admin() THEN
            RAISE EXCEPTION 'only mentor_admin may close system ledger account %', OLD.id
                USING ERRCODE = 'insufficient_privilege', HINT = 'Closing it would stop every flow that uses it.';
        END IF;
        SELECT * INTO b FROM balance(OLD.id);
        IF b.posted <> 0 OR b.pending_debits <> 0 OR b.pending_credits <> 0 THEN
            RAISE EXCEPTION 'ledger account % still holds a balance', OLD.id
                USING ERRCODE = 'MN006',
                      DETAIL = format('posted %s, pending debits %s, pending credits %s', b.posted, b.pending_debits, b.pending_credits),
                      HINT = 'Move the balance out and resolve its holds first.';
        END IF;
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION _ledger_accounts_guard() IS 'Internal: keeps balances and identity of ledger accounts out of reach of plain SQL';
CREATE TRIGGER ledger_accounts_guard BEFORE INSERT OR UPDATE OR DELETE ON ledger_accounts
    FOR EACH ROW EXECUTE FUNCTION _ledger_accounts_guard();
CREATE TRIGGER ledger_accounts_no_truncate BEFORE TRUNCATE ON ledger_accounts
    FOR EACH STATEMENT EXECUTE FUNCTION _ledger_immutable();
CREATE TRIGGER ledger_accounts_touch_updated_at BEFORE UPDATE ON ledger_accounts
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
-- The ledger caches what it reads of accounts (src/ledger.c); a change by SQL (closing one) drops those caches.
CREATE TRIGGER ledger_accounts_cache_invalidate AFTER UPDATE ON ledger_accounts
    FOR EACH STATEMENT EXECUTE FUNCTION _table_cache_changed();

--------------------------------------------------------------------------------
-- The ledger API.
--------------------------------------------------------------------------------

CREATE FUNCTION open_account(owner bigint, kind text, asset text DEFAULT 'TOKEN', allow_negative boolean DEFAULT false,
                             track_balance boolean DEFAULT true, name text DEFAULT NULL,
                             expires_at timestamptz DEFAULT NULL) RETURNS bigint
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    new_id bigint;
BEGIN
    IF kind IS NULL OR kind NOT IN ('wallet', 'promo', 'earnings', 'escrow', 'platform', 'revenue', 'external', 'expiry') THEN
        RAISE EXCEPTION 'unknown ledger account kind "%"', kind
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Kinds: wallet, promo, earnings, escrow, platform, revenue, external, expiry.';
    END IF;
    IF asset IS NULL OR asset !~ '^[A-Z][A-Z0-9_]{0,15}$' THEN
        RAISE EXCEPTION 'invalid asset code "%"', asset
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Asset codes are upper-case, e.g. TOKEN.';
    END IF;
    IF NOT coalesce(track_balance, true) AND NOT coalesce(allow_negative, false) THEN
        RAISE EXCEPTION 'an account that does not track its balance must allow a negative balance'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'Untracked accounts are never locked, so their balance cannot be checked before a debit.',
                  HINT = 'Pass allow_negative => true, or keep track_balance => true.';
    END IF;
    IF owner IS NULL AND name IS NULL THEN
        RAISE EXCEPTION 'a ledger account needs an owner or a name'
            USING ERRCODE = 'invalid_parameter_value', HINT = 'System accounts are named, e.g. ''revenue''.';
    END IF;
    INSERT INTO ledger_accounts (owner_id, kind, asset, allow_negative, track_balance, name, expires_at)
    VALUES (owner, kind, asset, coalesce(allow_negative, false), coalesce(track_balance, true), name, expires_at)
    RETURNING id INTO new_id;
    RETURN new_id;
END
$$;
COMMENT ON FUNCTION open_account(bigint, text, text, boolean, boolean, text, timestamptz) IS
    'Opens a ledger account with a zero balance and returns its id';

CREATE FUNCTION close_account(account bigint) RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    b record;
BEGIN
    PERFORM 1 FROM ledger_accounts WHERE id = account FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'ledger account % does not exist', account USING ERRCODE = 'no_data_found';
    END IF;
    SELECT * INTO b FROM balance(account);
    IF b.posted <> 0 OR b.pending_debits <> 0 OR b.pending_credits <> 0 THEN
        RAISE EXCEPTION 'ledger account % still holds a balance', account
            USING ERRCODE = 'MN006',
                  DETAIL = format('posted %s, pending debits %s, pending credits %s', b.posted, b.pending_debits, b.pending_credits),
                  HINT = 'Move the balance out and resolve its holds first.';
    END IF;
    UPDATE ledger_accounts SET closed = true WHERE id = account;
END
$$;
COMMENT ON FUNCTION close_account(bigint) IS 'Closes an account whose balance is zero and has no pending holds; it takes no new transfers';

CREATE FUNCTION transfer(id uuid, debit bigint, credit bigint, amount bigint, kind text, reference text DEFAULT NULL,
                         pending boolean DEFAULT false, timeout interval DEFAULT NULL) RETURNS uuid
LANGUAGE c AS 'MODULE_PATHNAME', 'mn_transfer';
COMMENT ON FUNCTION transfer(uuid, bigint, bigint, bigint, text, text, boolean, interval) IS
    'Moves amount from debit to credit (or holds it when pending, optionally expiring after timeout); '
    'id is the idempotency key: a retry with the same parameters returns id without a second effect';

CREATE FUNCTION post_pending(pending_id uuid, id uuid, amount bigint DEFAULT NULL) RETURNS uuid
LANGUAGE c AS 'MODULE_PATHNAME', 'mn_post_pending';
COMMENT ON FUNCTION post_pending(uuid, uuid, bigint) IS
    'Posts a hold, in full or partly (amount); the rest is released. id is the idempotency key of the post';

CREATE FUNCTION void_pending(pending_id uuid, id uuid) RETURNS uuid
LANGUAGE c AS 'MODULE_PATHNAME', 'mn_void_pending';
COMMENT ON FUNCTION void_pending(uuid, uuid) IS 'Releases a hold; id is the idempotency key of the void';

CREATE FUNCTION expire_pending() RETURNS integer
LANGUAGE c AS 'MODULE_PATHNAME', 'mn_expire_pending';
COMMENT ON FUNCTION expire_pending() IS
    'Releases every hold past its expiry (skipping holds being resolved right now) and returns how many; run it periodically';

CREATE FUNCTION transfer_batch(ids uuid[], debits bigint[], credits bigint[], amounts bigint[], kinds text[],
                               refs text[] DEFAULT NULL, pending boolean DEFAULT false, timeout interval DEFAULT NULL)
RETURNS TABLE (n integer, id uuid, created boolean)
LANGUAGE c AS 'MODULE_PATHNAME', 'mn_transfer_batch';
COMMENT ON FUNCTION transfer_batch(uuid[], bigint[], bigint[], bigint[], text[], text[], boolean, interval) IS
    'Many transfers in one call, all or nothing, in array order; an array of one element applies to every transfer. '
    'Returns one row per transfer: created = false for an idempotent repeat of an existing id';

CREATE FUNCTION balance(account bigint, OUT posted bigint, OUT pending_debits bigint, OUT pending_credits bigint,
                        OUT available bigint)
LANGUAGE plpgsql STABLE STRICT
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    a ledger_accounts;
BEGIN
    SELECT * INTO a FROM ledger_accounts WHERE id = account;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'ledger account % does not exist', account USING ERRCODE = 'no_data_found';
    END IF;
    IF a.track_balance THEN
        posted := a.posted; pending_debits := a.pending_debits; pending_credits := a.pending_credits;
    ELSE
        SELECT coalesce(sum(e.amount), 0) INTO posted FROM ledger_entries e WHERE e.account_id = account;
        SELECT coalesce(sum(t.amount) FILTER (WHERE t.debit_account_id = account), 0),
               coalesce(sum(t.amount) FILTER (WHERE t.credit_account_id = account), 0)
          INTO pending_debits, pending_credits
          FROM ledger_transfers t
         WHERE t.status = 'pending' AND account IN (t.debit_account_id, t.credit_account_id);
    END IF;
    available := posted - pending_debits;
END
$$;
COMMENT ON FUNCTION balance(bigint) IS
    'Posted balance, pending debits and credits, and available = posted - pending debits (what a debit may take)';

CREATE FUNCTION balance_at(account bigint, at timestamptz) RETURNS bigint
LANGUAGE plpgsql STABLE STRICT
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM ledger_accounts WHERE id = account) THEN
        RAISE EXCEPTION 'ledger account % does not exist', account USING ERRCODE = 'no_data_found';
    END IF;
    RETURN (SELECT coalesce(sum(e.amount), 0) FROM ledger_entries e WHERE e.account_id = account AND e.at <= balance_at.at);
END
$$;
COMMENT ON FUNCTION balance_at(bigint, timestamptz) IS 'Posted balance of an account at a moment: the sum of its entries up to it';

CREATE VIEW ledger_statement AS
SELECT e.account_id, e.at, e.transfer_id, t.kind, t.reference,
       e.amount, e.balance, e.version,
       CASE WHEN e.amount < 0 THEN t.credit_account_id ELSE t.debit_account_id END AS counterparty_id,
       t.pending_id, t.actor_id
  FROM ledger_entries e
  JOIN ledger_transfers t ON t.id = e.transfer_id;
COMMENT ON VIEW ledger_statement IS
    'Account statements: one row per entry with its transfer, counterparty and running balance; '
    'filter by account_id and order by at';

-- ledger_check() comes at the end of this file: it also reads purchases and withdrawals.


--------------------------------------------------------------------------------
-- Token economy (seed 001: wallets, promotional tokens, purchases, allotments,
-- earnings, withdrawals) on top of the ledger.
--------------------------------------------------------------------------------

-- A uuid derived from another and a label, for the transfers one call makes.
CREATE FUNCTION _derived_id(base uuid, label text) RETURNS uuid
LANGUAGE sql IMMUTABLE STRICT
AS $$ SELECT md5(base::text || ':' || label)::uuid $$;
COMMENT ON FUNCTION _derived_id(uuid, text) IS 'Internal: a deterministic uuid for the n-th transfer of one idempotent call';

-- The ids of the transfers of one multi-part call: the call's own id, then ids derived from it.
-- Not STRICT, so that it is inlined into the calling query: a CASE is not
-- provably strict, and a STRICT SQL function whose body is not would be run
-- (parsed and planned) on every call.  NULL in still gives NULL out.
CREATE FUNCTION _part_id(base uuid, part int) RETURNS uuid
LANGUAGE sql IMMUTABLE
AS $$ SELECT CASE WHEN part = 0 THEN base ELSE @extschema@._derived_id(base, part::text) END $$;
COMMENT ON FUNCTION _part_id(uuid, integer) IS 'Internal: id of part n (from 0) of a multi-transfer call such as spend_tokens';

-- SECURITY DEFINER: system accounts may go negative, which only the extension and administrators may open.
CREATE FUNCTION system_account(name text, asset text DEFAULT 'TOKEN') RETURNS bigint
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
    IF NOT FOUND THEN
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
    'created on first use';

CREATE FUNCTION _owned_account(user_id bigint, account_kind text) RETURNS bigint
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
        INSERT INTO ledger_accounts (owner_id, kind) VALUES (user_id, account_kind)
        ON CONFLICT (owner_id, kind, asset) WHERE kind IN ('wallet', 'earnings', 'escrow') DO NOTHING;
        SELECT id INTO acct FROM ledger_accounts WHERE owner_id = user_id AND kind = account_kind AND asset = 'TOKEN';
    END IF;
    RETURN acct;
END
$$;
COMMENT ON FUNCTION _owned_account(bigint, text) IS 'Internal: a user''s wallet or earnings account, created on first use';

CREATE FUNCTION wallet(user_id bigint) RETURNS bigint
LANGUAGE sql
AS $$ SELECT @extschema@._owned_account(user_id, 'wallet') $$;
COMMENT ON FUNCTION wallet(bigint) IS 'The user''s token wallet account (created at signup, or on first use)';

CREATE FUNCTION earnings_account(user_id bigint) RETURNS bigint
LANGUAGE sql
AS $$ SELECT @extschema@._owned_account(user_id, 'earnings') $$;
COMMENT ON FUNCTION earnings_account(bigint) IS 'The mentor''s earnings account (created on first use)';

CREATE FUNCTION _users_open_wallets() RETURNS trigger
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO ledger_accounts (owner_id, kind) SELECT n.id, 'wallet' FROM new_users n;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION _users_open_wallets() IS 'Internal: signup opens the user''s token wallet (seed 001, journey 1)';
-- A user is deleted only once their accounts are empty: tokens are never lost with them.
CREATE FUNCTION _users_before_delete() RETURNS trigger
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    acct record;
BEGIN
    SELECT a.id, b.posted, b.pending_debits, b.pending_credits INTO acct
      FROM ledger_accounts a CROSS JOIN LATERAL balance(a.id) b
     WHERE a.owner_id = OLD.id AND (b.posted <> 0 OR b.pending_debits <> 0 OR b.pending_credits <> 0)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'user % still holds tokens and cannot be deleted', OLD.id
            USING ERRCODE = 'MN006',
                  DETAIL = format('Ledger account %s: posted %s, pending debits %s, pending credits %s.',
                                  acct.id, acct.posted, acct.pending_debits, acct.pending_credits),
                  HINT = 'Move the balance out and resolve the holds first, or deactivate the user (active = false).';
    END IF;
    RETURN OLD;
END
$$;
COMMENT ON FUNCTION _users_before_delete() IS 'Internal: refuses to delete a user whose ledger accounts are not empty';
CREATE TRIGGER users_keep_tokens BEFORE DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION _users_before_delete();

CREATE TRIGGER users_open_wallets AFTER INSERT ON users
    REFERENCING NEW TABLE AS new_users
    FOR EACH STATEMENT EXECUTE FUNCTION _users_open_wallets();

-- SECURITY DEFINER: the promo pool may go negative, which only its owning flows may debit.
CREATE FUNCTION grant_promo(user_id bigint, amount bigint, expires_at timestamptz, id uuid) RETURNS uuid
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    acct bigint;
BEGIN
    IF expires_at IS NULL OR expires_at <= now() THEN
        RAISE EXCEPTION 'promotional tokens need an expiry in the future, not %', expires_at
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Pass e.g. now() + interval ''30 days''.';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM users u WHERE u.id = user_id) THEN
        RAISE EXCEPTION 'user % does not exist', user_id USING ERRCODE = 'no_data_found';
    END IF;
    SELECT a.id INTO acct FROM ledger_accounts a
     WHERE a.owner_id = user_id AND a.kind = 'promo' AND a.expires_at = grant_promo.expires_at AND NOT a.closed;
    IF NOT FOUND THEN
        acct := open_account(user_id, 'promo', expires_at => grant_promo.expires_at);
    END IF;
    RETURN transfer(id, system_account('promo_pool'), acct, amount, 'promo_grant');
END
$$;
COMMENT ON FUNCTION grant_promo(bigint, bigint, timestamptz, uuid) IS
    'Grants promotional tokens expiring at expires_at (one promo account per user and expiry); id is the idempotency key';

CREATE FUNCTION spend_tokens(user_id bigint, amount bigint, credit bigint, id uuid, kind text DEFAULT 'spend',
                             reference text DEFAULT NULL, pending boolean DEFAULT false, timeout interval DEFAULT NULL)
RETURNS TABLE (transfer_id uuid, source_account bigint, taken bigint)
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    sources   bigint[] := '{}';
    takes     bigint[] := '{}';
    ids       uuid[];
    remaining bigint := spend_tokens.amount;
    user_wallet bigint;
    src       record;
    part      bigint;
    total     bigint := 0;
BEGIN
    IF remaining IS NULL OR remaining <= 0 THEN
        RAISE EXCEPTION 'amount must be positive, not %', remaining USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- A retry returns what the first call did.
    IF EXISTS (SELECT 1 FROM ledger_transfers t WHERE t.id = spend_tokens.id) THEN
        RETURN QUERY
            SELECT t.id, t.debit_account_id, t.amount
              FROM generate_series(0, 64) k
              JOIN ledger_transfers t ON t.id = _part_id(spend_tokens.id, k)
             ORDER BY k;
        RETURN;
    END IF;
    -- Unexpired promo tokens first, earliest expiry first; then the wallet.
    FOR src IN
        SELECT a.id, (b).available AS available
          FROM (SELECT a.id, a.expires_at, balance(a.id) AS b
                  FROM ledger_accounts a
                 WHERE a.owner_id = user_id AND a.kind = 'promo' AND a.expires_at > now() AND NOT a.closed) a
         WHERE (b).available > 0
         ORDER BY a.expires_at, a.id
    LOOP
        EXIT WHEN remaining = 0;
        part := least(remaining, src.available);
        sources := sources || src.id; takes := takes || part; remaining := remaining - part;
        total := total + src.available;
    END LOOP;
    IF remaining > 0 THEN
        user_wallet := wallet(user_id);
        sources := sources || user_wallet; takes := takes || remaining;
        total := total + (balance(user_wallet)).available;
    END IF;
    IF total < spend_tokens.amount THEN
        RAISE EXCEPTION 'user % has % tokens available, % needed', user_id, total, spend_tokens.amount
            USING ERRCODE = 'MN002',
                  DETAIL = format('Promotional and wallet tokens together: %s.', total),
                  HINT = 'Buy tokens with mentor.purchase_tokens().';
    END IF;
    ids := ARRAY(SELECT _part_id(spend_tokens.id, k) FROM generate_series(0, array_length(sources, 1) - 1) k ORDER BY k);
    PERFORM transfer_batch(ids, sources, ARRAY[credit], takes, ARRAY[kind], ARRAY[reference], pending, timeout);
    RETURN QUERY SELECT u.i, u.s, u.t FROM unnest(ids, sources, takes) AS u(i, s, t);
END
$$;
COMMENT ON FUNCTION spend_tokens(bigint, bigint, bigint, uuid, text, text, boolean, interval) IS
    'Spends (or, pending, holds) a user''s tokens towards credit: unexpired promo tokens first, earliest expiry first, '
    'then the wallet. One transfer per source account, all or nothing; id is the idempotency key';

CREATE FUNCTION expire_promos() RETURNS bigint
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    ids     uuid[];
    accts   bigint[];
    amounts bigint[];
BEGIN
    SELECT array_agg(_derived_id('00000000-0000-0000-0000-000000000000', format('expire:%s:%s', a.id, a.version))),
           array_agg(a.id), array_agg(a.posted - a.pending_debits)
      INTO ids, accts, amounts
      FROM (SELECT * FROM ledger_accounts l
             WHERE l.kind = 'promo' AND l.expires_at <= now() AND l.posted - l.pending_debits > 0
             ORDER BY l.id FOR UPDATE) a;
    IF ids IS NULL THEN
        RETURN 0;
    END IF;
    PERFORM transfer_batch(ids, accts, ARRAY[system_account('expiry')], amounts, ARRAY['expiry']);
    RETURN (SELECT sum(x) FROM unnest(amounts) x);
END
$$;
COMMENT ON FUNCTION expire_promos() IS
    'Moves the available balance of every expired promo account to the expiry account and returns the tokens expired; '
    'safe to run concurrently and repeatedly';

-- Purchases (seed 001 TokenPurchase): a hold from the payment gateway to the
-- wallet until the payment is confirmed; the tokens are not spendable before.
CREATE TABLE token_purchases (
    id          uuid PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    amount      bigint NOT NULL CHECK (amount > 0),
    payment_ref text NOT NULL,
    status      text NOT NULL DEFAULT 'pending',
    failure     text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE token_purchases IS 'Token purchases; the id is the caller''s idempotency key and the id of the ledger hold';
COMMENT ON COLUMN token_purchases.payment_ref IS 'The payment provider''s reference (e.g. a Razorpay order id)';
COMMENT ON COLUMN token_purchases.status IS 'Lifecycle token_purchase: pending, then completed, failed or cancelled';
CREATE INDEX token_purchases_user ON token_purchases (user_id, created_at);
CREATE TRIGGER token_purchases_touch_updated_at BEFORE UPDATE ON token_purchases
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
SELECT attach_lifecycle('token_purchases', 'status', 'token_purchase');

CREATE FUNCTION purchase_tokens(user_id bigint, amount bigint, payment_ref text, id uuid) RETURNS uuid
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    p token_purchases;
BEGIN
    SELECT * INTO p FROM token_purchases t WHERE t.id = purchase_tokens.id;
    IF FOUND THEN
        IF (p.user_id, p.amount, p.payment_ref) IS DISTINCT FROM (user_id, amount, payment_ref) THEN
            RAISE EXCEPTION 'purchase % already exists with other parameters', id
                USING ERRCODE = 'MN003',
                      DETAIL = format('Recorded: user %s, amount %s, payment %s.', p.user_id, p.amount, p.payment_ref),
                      HINT = 'Use a new id for a new purchase.';
        END IF;
        RETURN id;
    END IF;
    IF payment_ref IS NULL OR btrim(payment_ref) = '' THEN
        RAISE EXCEPTION 'a purchase needs the payment reference' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM transfer(id, system_account('external'), wallet(user_id), amount, 'purchase', payment_ref, pending => true);
    INSERT INTO token_purchases (id, user_id, amount, payment_ref) VALUES (id, user_id, amount, payment_ref);
    RETURN id;
END
$$;
COMMENT ON FUNCTION purchase_tokens(bigint, bigint, text, uuid) IS
    'Records a purchase awaiting payment: the tokens are held towards the wallet until confirm_purchase or fail_purchase';

-- Purchases and withdrawals are requests backed by a ledger hold (the request's id is the hold's):
-- resolving one posts or voids the hold and moves the request's status, once.
CREATE FUNCTION _resolve_request(what text, tbl regclass, request uuid, open_status text, outcome text,
                                 post boolean, reason_col name, why text, also_done text[] DEFAULT '{}') RETURNS uuid
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    st text;
    resolution uuid := _derived_id(request, outcome);
BEGIN
    EXECUTE format('SELECT status FROM %s WHERE id = $1 FOR UPDATE', tbl) INTO st USING request;
    IF st IS NULL THEN
        RAISE EXCEPTION '% % does not exist', what, request USING ERRCODE = 'no_data_found';
    END IF;
    IF st = outcome OR st = ANY (also_done) THEN
        RETURN resolution;
    END IF;
    IF st <> open_status THEN
        RAISE EXCEPTION '% % is %, it cannot become %', what, request, st, outcome
            USING ERRCODE = 'MN006', HINT = format('Only a %s %s is resolved.', open_status, what);
    END IF;
    IF post THEN
        PERFORM post_pending(request, resolution);
    ELSE
        PERFORM void_pending(request, resolution);
    END IF;
    EXECUTE format('UPDATE %s SET status = $1, %I = $2 WHERE id = $3', tbl, reason_col) USING outcome, why, request;
    RETURN resolution;
END
$$;
COMMENT ON FUNCTION _resolve_request(text, regclass, uuid, text, text, boolean, name, text, text[]) IS
    'Internal: posts or voids the hold behind a purchase or withdrawal and moves its status (idempotent)';

CREATE FUNCTION confirm_purchase(id uuid) RETURNS uuid
LANGUAGE sql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$ SELECT @extschema@._resolve_request('purchase', '@extschema@.token_purchases', id, 'pending', 'completed', true, 'failure', NULL) $$;
COMMENT ON FUNCTION confirm_purchase(uuid) IS 'The payment succeeded: the held tokens are posted to the wallet (idempotent)';

CREATE FUNCTION fail_purchase(id uuid, reason text DEFAULT NULL) RETURNS uuid
LANGUAGE sql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$ SELECT @extschema@._resolve_request('purchase', '@extschema@.token_purchases', id, 'pending', 'failed', false, 'failure', reason) $$;
COMMENT ON FUNCTION fail_purchase(uuid, text) IS 'The payment failed: the hold is voided (idempotent)';

CREATE FUNCTION cancel_purchase(id uuid, reason text DEFAULT NULL) RETURNS uuid
LANGUAGE sql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$ SELECT @extschema@._resolve_request('purchase', '@extschema@.token_purchases', id, 'pending', 'cancelled', false, 'failure', reason) $$;
COMMENT ON FUNCTION cancel_purchase(uuid, text) IS 'The buyer cancelled before paying: the hold is voided (idempotent)';

-- Allotments (seed 001 TokenAllotmentRequest): an administrator gives tokens to a batch of users at once.
CREATE TABLE token_allotments (
    id          uuid PRIMARY KEY,
    amount      bigint NOT NULL CHECK (amount > 0),
    user_ids    bigint[] NOT NULL,
    reason      text,
    actor_id    bigint,
    created_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE token_allotments IS 'Token allotments to batches of users; one ledger transfer per user, ids derived from the allotment id';

CREATE FUNCTION allot_tokens(user_ids bigint[], amount bigint, id uuid, reason text DEFAULT NULL)
RETURNS TABLE (user_id bigint, transfer_id uuid)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    a token_allotments;
    missing bigint[];
BEGIN
    IF user_ids IS NULL OR cardinality(user_ids) = 0 THEN
        RAISE EXCEPTION 'an allotment needs at least one user' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF (SELECT count(DISTINCT u) FROM unnest(user_ids) u) <> cardinality(user_ids) OR array_position(user_ids, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'an allotment lists each user once' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT * INTO a FROM token_allotments t WHERE t.id = allot_tokens.id;
    IF FOUND AND (a.amount, a.user_ids) IS DISTINCT FROM (amount, user_ids) THEN
        RAISE EXCEPTION 'allotment % already exists with other parameters', id
            USING ERRCODE = 'MN003', HINT = 'Use a new id for a new allotment.';
    END IF;
    IF NOT FOUND THEN
        SELECT array_agg(u) INTO missing FROM unnest(user_ids) u WHERE NOT EXISTS (SELECT 1 FROM users x WHERE x.id = u);
        IF missing IS NOT NULL THEN
            RAISE EXCEPTION 'users % do not exist', missing USING ERRCODE = 'no_data_found';
        END IF;
        INSERT INTO token_allotments (id, amount, user_ids, reason, actor_id)
        VALUES (id, amount, user_ids, reason, current_actor());
        PERFORM transfer_batch(array_agg(_derived_id(id, u::text) ORDER BY o), ARRAY[system_account('allotments')],
                               array_agg(wallet(u) ORDER BY o), ARRAY[amount], ARRAY['allotment'], ARRAY['allotment:' || id])
           FROM unnest(user_ids) WITH ORDINALITY AS x(u, o);
    END IF;
    RETURN QUERY SELECT u, _derived_id(id, u::text) FROM unnest(user_ids) u;
END
$$;
COMMENT ON FUNCTION allot_tokens(bigint[], bigint, uuid, text) IS
    'Gives amount tokens to each user in one all-or-nothing call; id is the idempotency key';

-- Mentor earnings and withdrawals (seed 001 MentorEarnings / MentorTransaction).
-- SECURITY DEFINER: platform revenue may go negative, which only its owning flows may debit.
CREATE FUNCTION credit_earnings(mentor_id bigint, amount bigint, id uuid, reference text DEFAULT NULL) RETURNS uuid
LANGUAGE sql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
    SELECT @extschema@.transfer(id, @extschema@.system_account('revenue'), @extschema@.earnings_account(mentor_id),
                                amount, 'earning', reference)
$$;
COMMENT ON FUNCTION credit_earnings(bigint, bigint, uuid, text) IS
    'Credits a mentor''s earnings from platform revenue, e.g. when a session is completed; id is the idempotency key '
    '(the session''s, so a repeated "meeting ended" event never credits twice)';

CREATE TABLE withdrawals (
    id          uuid PRIMARY KEY,
    mentor_id   bigint NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    amount      bigint NOT NULL CHECK (amount > 0),
    status      text NOT NULL DEFAULT 'requested',
    payout_ref  text,
    reason      text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE withdrawals IS 'Mentor withdrawals of earnings; the id is the idempotency key and the id of the ledger hold';
COMMENT ON COLUMN withdrawals.status IS 'Lifecycle withdrawal: requested, then approved (then paid) or rejected';
CREATE INDEX withdrawals_mentor ON withdrawals (mentor_id, created_at);
CREATE TRIGGER withdrawals_touch_updated_at BEFORE UPDATE ON withdrawals
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
SELECT attach_lifecycle('withdrawals', 'status', 'withdrawal');

CREATE FUNCTION request_withdrawal(mentor_id bigint, amount bigint, id uuid) RETURNS uuid
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    w withdrawals;
BEGIN
    SELECT * INTO w FROM withdrawals x WHERE x.id = request_withdrawal.id;
    IF FOUND THEN
        IF (w.mentor_id, w.amount) IS DISTINCT FROM (mentor_id, amount) THEN
            RAISE EXCEPTION 'withdrawal % already exists with other parameters', id
                USING ERRCODE = 'MN003', HINT = 'Use a new id for a new withdrawal.';
        END IF;
        RETURN id;
    END IF;
    PERFORM transfer(id, earnings_account(mentor_id), system_account('external'), amount, 'withdrawal', pending => true);
    INSERT INTO withdrawals (id, mentor_id, amount) VALUES (id, mentor_id, amount);
    RETURN id;
END
$$;
COMMENT ON FUNCTION request_withdrawal(bigint, bigint, uuid) IS
    'A mentor asks to withdraw earnings: the amount is held (MN002 if not available) until approved or rejected';

CREATE FUNCTION approve_withdrawal(id uuid) RETURNS uuid
LANGUAGE sql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$ SELECT @extschema@._resolve_request('withdrawal', '@extschema@.withdrawals', id, 'requested', 'approved', true, 'reason', NULL,
                                          ARRAY['paid']) $$;
COMMENT ON FUNCTION approve_withdrawal(uuid) IS 'Approves a withdrawal: the held earnings are posted out (idempotent)';

CREATE FUNCTION reject_withdrawal(id uuid, reason text DEFAULT NULL) RETURNS uuid
LANGUAGE sql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$ SELECT @extschema@._resolve_request('withdrawal', '@extschema@.withdrawals', id, 'requested', 'rejected', false, 'reason', reason) $$;
COMMENT ON FUNCTION reject_withdrawal(uuid, text) IS 'Rejects a withdrawal: the hold is voided and the earnings are available again (idempotent)';

CREATE FUNCTION mark_withdrawal_paid(id uuid, payout_ref text) RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    UPDATE withdrawals x SET status = 'paid', payout_ref = mark_withdrawal_paid.payout_ref WHERE x.id = mark_withdrawal_paid.id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'withdrawal % does not exist', id USING ERRCODE = 'no_data_found';
    END IF;
END
$$;
COMMENT ON FUNCTION mark_withdrawal_paid(uuid, text) IS 'Records the payout of an approved withdrawal (its lifecycle rejects any other state)';

CREATE FUNCTION ledger_check() RETURNS SETOF text
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
    -- Every posted transfer has exactly its two legs, summing to zero.
    SELECT format('transfer %s: %s entries (debit %s, credit %s), expected -%s on %s and +%s on %s',
                  t.id, count(e.*), min(e.amount), max(e.amount), t.amount, t.debit_account_id, t.amount, t.credit_account_id)
      FROM ledger_transfers t
      LEFT JOIN ledger_entries e ON e.transfer_id = t.id
     WHERE t.status = 'posted'
     GROUP BY t.id
    HAVING count(e.*) <> 2
        OR count(*) FILTER (WHERE e.account_id = t.debit_account_id AND e.amount = -t.amount) <> 1
        OR count(*) FILTER (WHERE e.account_id = t.credit_account_id AND e.amount = t.amount) <> 1
    UNION ALL
    SELECT format('entry of account %s at %s belongs to transfer %s, which is %s', e.account_id, e.at, e.transfer_id,
                  coalesce(t.status::text, 'missing'))
      FROM ledger_entries e LEFT JOIN ledger_transfers t ON t.id = e.transfer_id
     WHERE t.status IS DISTINCT FROM 'posted'
    UNION ALL
    SELECT format('transfer %s moves %s from %s to %s', t.id, d.asset, c.asset, t.id)
      FROM ledger_transfers t
      JOIN ledger_accounts d ON d.id = t.debit_account_id
      JOIN ledger_accounts c ON c.id = t.credit_account_id
     WHERE d.asset <> c.asset
    UNION ALL
    SELECT format('account %s: stored posted %s, version %s; entries sum to %s over %s entries, last balance %s',
                  a.id, a.posted, a.version, s.total, s.n, s.last_balance)
      FROM ledger_accounts a
      CROSS JOIN LATERAL (SELECT coalesce(sum(e.amount), 0) AS total, count(*) AS n,
                                 (array_agg(e.balance ORDER BY e.version DESC))[1] AS last_balance,
                                 count(DISTINCT e.version) AS versions
                            FROM ledger_entries e WHERE e.account_id = a.id) s
     WHERE a.track_balance
       AND (a.posted <> s.total OR a.version <> s.n OR s.versions <> s.n
            OR (s.n > 0 AND s.last_balance IS DISTINCT FROM a.posted))
    UNION ALL
    SELECT format('account %s: stored pending debits %s / credits %s, open holds %s / %s',
                  a.id, a.pending_debits, a.pending_credits, p.dr, p.cr)
      FROM ledger_accounts a
      CROSS JOIN LATERAL (SELECT coalesce(sum(t.amount) FILTER (WHERE t.debit_account_id = a.id), 0) AS dr,
                                 coalesce(sum(t.amount) FILTER (WHERE t.credit_account_id = a.id), 0) AS cr
                            FROM ledger_transfers t
                           WHERE t.status = 'pending' AND a.id IN (t.debit_account_id, t.credit_account_id)) p
     WHERE a.track_balance AND (a.pending_debits <> p.dr OR a.pending_credits <> p.cr)
    UNION ALL
    SELECT format('account %s: available balance %s is negative and the account does not allow it',
                  a.id, a.posted - a.pending_debits)
      FROM ledger_accounts a
     WHERE a.track_balance AND NOT a.allow_negative AND a.posted - a.pending_debits < 0
    UNION ALL
    SELECT format('account %s: untracked but stores a balance (posted %s, version %s)', a.id, a.posted, a.version)
      FROM ledger_accounts a
     WHERE NOT a.track_balance AND (a.posted <> 0 OR a.version <> 0 OR a.pending_debits <> 0 OR a.pending_credits <> 0)
    UNION ALL
    SELECT format('asset %s: entries sum to %s, not zero', a.asset, sum(e.amount))
      FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id
     GROUP BY a.asset HAVING sum(e.amount) <> 0
    UNION ALL
    -- A resolved hold has exactly one resolution, and an open one none.
    SELECT format('hold %s is %s but %s', h.id, h.status,
                  CASE WHEN r.id IS NULL THEN 'has no resolution' ELSE format('is resolved by %s (%s)', r.id, r.status) END)
      FROM ledger_transfers h
      LEFT JOIN ledger_transfers r ON r.pending_id = h.id
     WHERE h.pending_id IS NULL AND h.status <> 'posted'
       AND ((h.status = 'pending') <> (r.id IS NULL) AND NOT (h.status = 'expired' AND r.id IS NULL)
            OR (h.status = 'posted_pending' AND (r.status <> 'posted' OR r.amount > h.amount))
            OR (h.status = 'voided' AND r.status <> 'voided'))
    UNION ALL
    SELECT format('resolution %s of %s: the hold is %s', r.id, r.pending_id, coalesce(h.status::text, 'missing'))
      FROM ledger_transfers r LEFT JOIN ledger_transfers h ON h.id = r.pending_id
     WHERE r.pending_id IS NOT NULL AND h.status IS DISTINCT FROM (CASE r.status WHEN 'posted' THEN 'posted_pending'
                                                                              ELSE r.status END)::transfer_status
    UNION ALL
    -- A purchase or withdrawal and its hold (same id) move together: pending while open,
    -- posted when it went through, voided when it did not.
    SELECT format('%s %s is %s but its hold is %s', q.what, q.id, q.status, coalesce(h.status::text, 'missing'))
      FROM (SELECT 'purchase' AS what, p.id, p.status,
                   CASE p.status WHEN 'pending' THEN 'pending' WHEN 'completed' THEN 'posted_pending' ELSE 'voided' END AS hold_status
              FROM token_purchases p
            UNION ALL
            SELECT 'withdrawal', w.id, w.status,
                   CASE w.status WHEN 'requested' THEN 'pending' WHEN 'rejected' THEN 'voided' ELSE 'posted_pending' END
              FROM withdrawals w) q
      LEFT JOIN ledger_transfers h ON h.id = q.id
     WHERE h.status IS DISTINCT FROM q.hold_status::transfer_status;
$$;
COMMENT ON FUNCTION ledger_check() IS
    'Checks every ledger invariant (legs of posted transfers, stored balances and versions against entries, '
    'pending sums against open holds, negative balances, per-asset zero sum, hold resolutions, purchases and '
    'withdrawals against their holds); returns one line per violation';

-- Balances move outside triggers, so only an account's settings enter history.
SELECT _enable_history_shipped('ledger_accounts', ARRAY['posted', 'pending_debits', 'pending_credits', 'version']);
SELECT _enable_history_shipped('token_purchases');
SELECT _enable_history_shipped('token_allotments');
SELECT _enable_history_shipped('withdrawals');
--------------------------------------------------------------------------------
-- Module courses (design.md section 8, seed 000): disciplines, courses and
-- their people (students, course mentors, staff, registrations), tasks
-- scheduled per course, task results with their score history, weighted
-- totals, ranks and the leaderboard.
--------------------------------------------------------------------------------

CREATE TYPE checker_kind AS ENUM ('auto_test', 'mentor', 'assigned', 'crosscheck', 'jury');
COMMENT ON TYPE checker_kind IS
    'Who scores a course task: auto_test (automatic tests), mentor (the student''s mentor), assigned (a named checker), '
    'crosscheck (other students, see mentor.crosscheck_distribute), jury';

CREATE TYPE registration_kind AS ENUM ('student', 'mentor');
COMMENT ON TYPE registration_kind IS 'What a course registration asks to become';

CREATE TYPE registration_status AS ENUM ('pending', 'approved', 'rejected');
COMMENT ON TYPE registration_status IS 'Registration request status (lifecycle "registration")';

CREATE TABLE disciplines (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        citext NOT NULL UNIQUE CONSTRAINT disciplines_name_length CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    description text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE disciplines IS 'Taxonomy of courses and tasks (JavaScript, Android, Data Science...)';
CREATE TRIGGER disciplines_touch_updated_at BEFORE UPDATE ON disciplines
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE courses (
    id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name                  text NOT NULL CONSTRAINT courses_name_length CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    alias                 @extschema@.slug NOT NULL UNIQUE,
    description           text,
    discipline_id         bigint REFERENCES disciplines ON DELETE SET NULL,
    start_date            date NOT NULL,
    end_date              date NOT NULL,
    registration_end_date date,
    location              text,
    planned               boolean NOT NULL DEFAULT false,
    completed             boolean NOT NULL DEFAULT false,
    invite_only           boolean NOT NULL DEFAULT false,
    certificate_threshold numeric(12,2) NOT NULL DEFAULT 0
                          CONSTRAINT courses_certificate_threshold_nonneg CHECK (certificate_threshold >= 0),
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT courses_dates_ordered CHECK (end_date >= start_date),
    CONSTRAINT courses_registration_before_end CHECK (registration_end_date IS NULL OR registration_end_date <= end_date),
    CONSTRAINT courses_not_planned_and_completed CHECK (NOT (planned AND completed))
);
COMMENT ON TABLE courses IS 'A cohort: a course run with dates, discipline and certificate rule';
COMMENT ON COLUMN courses.alias IS 'URL name of the course, e.g. js-fe-2026q1';
COMMENT ON COLUMN courses.planned IS 'Announced but not started';
COMMENT ON COLUMN courses.completed IS 'Finished; results are final';
COMMENT ON COLUMN courses.invite_only IS 'Registrations need an invitation';
COMMENT ON COLUMN courses.certificate_threshold IS 'Minimum total_score for a certificate (mentor.issue_certificates)';
CREATE TRIGGER courses_touch_updated_at BEFORE UPDATE ON courses
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE course_users (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    course_id        bigint NOT NULL REFERENCES courses ON DELETE CASCADE,
    user_id          bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    is_manager       boolean NOT NULL DEFAULT false,
    is_supervisor    boolean NOT NULL DEFAULT false,
    is_task_owner    boolean NOT NULL DEFAULT false,
    is_jury_activist boolean NOT NULL DEFAULT false,
    is_activist      boolean NOT NULL DEFAULT false,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (course_id, user_id)
);
COMMENT ON TABLE course_users IS 'Course-scoped staff roles of a user';
COMMENT ON COLUMN course_users.is_manager IS 'Runs the course: distributions, completions, scores';
COMMENT ON COLUMN course_users.is_supervisor IS 'Oversees mentors and students; sees every review';
COMMENT ON COLUMN course_users.is_task_owner IS 'Owns tasks of the course; sees their reviews';
CREATE INDEX course_users_user_idx ON course_users (user_id);
CREATE TRIGGER course_users_touch_updated_at BEFORE UPDATE ON course_users
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE course_mentors (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    course_id    bigint NOT NULL REFERENCES courses ON DELETE CASCADE,
    user_id      bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    max_students integer NOT NULL DEFAULT 2 CONSTRAINT course_mentors_max_students_nonneg CHECK (max_students >= 0),
    is_expelled  boolean NOT NULL DEFAULT false,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (course_id, user_id),
    UNIQUE (id, course_id)
);
COMMENT ON TABLE course_mentors IS 'A user mentoring students in one course';
COMMENT ON COLUMN course_mentors.max_students IS 'How many students the mentor takes; assigning more fails with MN004';
CREATE TRIGGER course_mentors_touch_updated_at BEFORE UPDATE ON course_mentors
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE students (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    course_id         bigint NOT NULL REFERENCES courses ON DELETE CASCADE,
    user_id           bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    mentor_id         bigint,
    is_expelled       boolean NOT NULL DEFAULT false,
    expelling_reason  text,
    is_failed         boolean NOT NULL DEFAULT false,
    is_completed      boolean NOT NULL DEFAULT false,
    total_score       numeric(12,2) NOT NULL DEFAULT 0,
    cross_check_score numeric(12,2) NOT NULL DEFAULT 0,
    rank              integer CONSTRAINT students_rank_positive CHECK (rank >= 1),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (course_id, user_id),
    UNIQUE (id, course_id),
    FOREIGN KEY (mentor_id, course_id) REFERENCES course_mentors (id, course_id) ON DELETE SET NULL (mentor_id)
) WITH (fillfactor = 50);
-- fillfactor 50: recalculate_scores rewrites the scores of a whole course at
-- once; with half of each page free those updates stay HOT (no index writes),
-- which makes it about 40% faster for the price of a twice larger table.
COMMENT ON TABLE students IS 'A user studying in one course, with progress flags, scores and rank';
COMMENT ON COLUMN students.mentor_id IS 'The course mentor of the student (same course), within the mentor''s max_students';
COMMENT ON COLUMN students.is_expelled IS 'Expelled students take no part in cross-checks, ranks or teams';
COMMENT ON COLUMN students.total_score IS 'Sum of score x score_weight over enabled tasks (mentor.recalculate_scores)';
COMMENT ON COLUMN students.cross_check_score IS 'The same sum over cross-check tasks only';
COMMENT ON COLUMN students.rank IS 'Rank by total_score among students not expelled, ties as 1, 2, 2, 4';
CREATE INDEX students_mentor_idx ON students (mentor_id) WHERE mentor_id IS NOT NULL;
CREATE INDEX students_user_idx ON students (user_id);
CREATE TRIGGER students_touch_updated_at BEFORE UPDATE ON students
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER students_owned_columns BEFORE INSERT OR UPDATE OF total_score, cross_check_score, rank
    ON students FOR EACH ROW
    EXECUTE FUNCTION _keep_owned_columns('Scores and ranks are computed from task_results by '
                                         'mentor.recalculate_scores(course_id); leave these columns out.',
                                         'total_score', 'cross_check_score', 'rank');

-- Why lock the mentor row: two concurrent assignments would both count the
-- same students and both fit; the row lock makes them count in turn.
CREATE FUNCTION _students_mentor_capacity() RETURNS trigger
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    cap   integer;
    taken integer;
BEGIN
    IF NEW.mentor_id IS NULL OR (TG_OP = 'UPDATE' AND NEW.mentor_id IS NOT DISTINCT FROM OLD.mentor_id) THEN
        RETURN NEW;
    END IF;
    SELECT m.max_students INTO cap FROM course_mentors m WHERE m.id = NEW.mentor_id FOR UPDATE;
    SELECT count(*) INTO taken FROM students s WHERE s.mentor_id = NEW.mentor_id AND s.id IS DISTINCT FROM NEW.id;
    IF cap IS NOT NULL AND taken >= cap THEN
        RAISE EXCEPTION 'course mentor % already has % of % students', NEW.mentor_id, taken, cap
            USING ERRCODE = 'MN004',
                  DETAIL = format('Student %s of course %s cannot be assigned to mentor %s.', NEW.id, NEW.course_id, NEW.mentor_id),
                  HINT = 'Raise course_mentors.max_students or choose another mentor.';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION _students_mentor_capacity() IS 'Internal: keeps each course mentor within max_students (MN004)';
CREATE TRIGGER students_mentor_capacity BEFORE INSERT OR UPDATE OF mentor_id ON students
    FOR EACH ROW EXECUTE FUNCTION _students_mentor_capacity();

CREATE TABLE registries (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    course_id   bigint NOT NULL REFERENCES courses ON DELETE CASCADE,
    user_id     bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    kind        @extschema@.registration_kind NOT NULL,
    status      @extschema@.registration_status NOT NULL DEFAULT 'pending',
    max_students integer CONSTRAINT registries_max_students_nonneg CHECK (max_students >= 0),
    attributes  jsonb NOT NULL DEFAULT '{}' CONSTRAINT registries_attributes_object CHECK (jsonb_typeof(attributes) = 'object'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (course_id, user_id, kind)
);
COMMENT ON TABLE registries IS
    'Requests to join a course as a student or a mentor; approving one creates the students or course_mentors row';
COMMENT ON COLUMN registries.status IS 'pending -> approved | rejected (lifecycle "registration")';
COMMENT ON COLUMN registries.max_students IS 'For mentor registrations: the capacity the mentor offers';
COMMENT ON COLUMN registries.attributes IS 'Answers of the registration form (preferences, experience...)';
CREATE TRIGGER registries_touch_updated_at BEFORE UPDATE ON registries
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
SELECT attach_lifecycle('registries', 'status', 'registration');

CREATE FUNCTION _registries_approved() RETURNS trigger
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    IF NEW.status = 'approved' AND (TG_OP = 'INSERT' OR OLD.status IS DISTINCT FROM 'approved') THEN
        IF NEW.kind = 'student' THEN
            INSERT INTO students (course_id, user_id) VALUES (NEW.course_id, NEW.user_id)
                ON CONFLICT (course_id, user_id) DO NOTHING;
        ELSE
            INSERT INTO course_mentors (course_id, user_id, max_students)
                 VALUES (NEW.course_id, NEW.user_id, coalesce(NEW.max_students, 2))
                ON CONFLICT (course_id, user_id) DO NOTHING;
        END IF;
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION _registries_approved() IS 'Internal: an approved registration enrols the user';
CREATE TRIGGER registries_approved AFTER INSERT OR UPDATE OF status ON registries
    FOR EACH ROW EXECUTE FUNCTION _registries_approved();

-- Criteria of a task: [{"key": "layout", "text": "...", "max": 20}, ...]
CREATE FUNCTION _criteria_problem(criteria jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
SELECT CASE
    WHEN criteria IS NULL THEN NULL
    WHEN jsonb_typeof(criteria) <> 'array' THEN 'criteria must be a JSON array'
    ELSE (SELECT string_agg(DISTINCT problem, '; ') FROM (
            SELECT CASE
                WHEN jsonb_typeof(c) <> 'object' THEN format('element %s is not an object', i)
                WHEN jsonb_typeof(c -> 'key') IS DISTINCT FROM 'string' OR c ->> 'key' !~ '^[a-z0-9_]{1,60}$'
                    THEN format('element %s needs a "key" of 1-60 lower-case letters, digits or _', i)
                WHEN jsonb_typeof(c -> 'max') IS DISTINCT FROM 'number' OR (c ->> 'max')::numeric <= 0
                    THEN format('element %s needs a positive number "max"', i)
                WHEN count(*) OVER (PARTITION BY c ->> 'key') > 1 THEN format('key "%s" appears twice', c ->> 'key')
            END AS problem
            FROM jsonb_array_elements(criteria) WITH ORDINALITY AS e(c, i)) p)
END
$$;
COMMENT ON FUNCTION _criteria_problem(jsonb) IS 'Internal: why a task''s criteria list is malformed, NULL when it is fine';

CREATE TABLE tasks (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name            text NOT NULL CONSTRAINT tasks_name_length CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    type            text NOT NULL DEFAULT 'htmltask' CONSTRAINT tasks_type_format CHECK (type ~ '^[a-z][a-z0-9_:-]{0,39}$'),
    description_url text CONSTRAINT tasks_description_url_http CHECK (description_url ~ '^https?://'),
    description     text,
    discipline_id   bigint REFERENCES disciplines ON DELETE SET NULL,
    skills          text[] NOT NULL DEFAULT '{}',
    tags            text[] NOT NULL DEFAULT '{}',
    criteria        jsonb NOT NULL DEFAULT '[]'
                    CONSTRAINT tasks_criteria_valid CHECK (@extschema@._criteria_problem(criteria) IS NULL),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE tasks IS 'Reusable task definitions; mentor.course_tasks schedules them in courses';
COMMENT ON COLUMN tasks.type IS 'Task kind as the platform names it (jstask, htmltask, ipynb, codewars, interview...)';
COMMENT ON COLUMN tasks.criteria IS
    'Review criteria: a JSON array of {"key", "text", "max"}; cross-check reviews score each key from 0 to max';
CREATE TRIGGER tasks_touch_updated_at BEFORE UPDATE ON tasks
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- The CHECK constraint guards the data; this says what exactly is wrong first.
CREATE FUNCTION _tasks_check_criteria() RETURNS trigger
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    problem text := _criteria_problem(NEW.criteria);
BEGIN
    IF problem IS NOT NULL THEN
        RAISE EXCEPTION 'malformed criteria for task "%"', NEW.name
            USING ERRCODE = 'invalid_parameter_value', DETAIL = problem,
                  HINT = 'Criteria are a JSON array like [{"key": "layout", "text": "Responsive layout", "max": 20}].';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION _tasks_check_criteria() IS 'Internal: explains a malformed criteria list (22023)';
CREATE TRIGGER tasks_check_criteria BEFORE INSERT OR UPDATE OF criteria ON tasks
    FOR EACH ROW EXECUTE FUNCTION _tasks_check_criteria();

CREATE TYPE crosscheck_status AS ENUM ('initial', 'distributed', 'completed');
COMMENT ON TYPE crosscheck_status IS 'Cross-check progress of a course task (lifecycle "crosscheck")';

CREATE TABLE course_tasks (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    course_id            bigint NOT NULL REFERENCES courses ON DELETE CASCADE,
    task_id              bigint NOT NULL REFERENCES tasks ON DELETE RESTRICT,
    student_start_at     timestamptz NOT NULL,
    student_end_at       timestamptz NOT NULL,
    crosscheck_end_at    timestamptz,
    max_score            integer NOT NULL DEFAULT 100 CONSTRAINT course_tasks_max_score_positive CHECK (max_score > 0),
    score_weight         numeric(6,2) NOT NULL DEFAULT 1 CONSTRAINT course_tasks_weight_nonneg CHECK (score_weight >= 0),
    checker              @extschema@.checker_kind NOT NULL DEFAULT 'auto_test',
    crosscheck_status    @extschema@.crosscheck_status NOT NULL DEFAULT 'initial',
    pairs_count          integer NOT NULL DEFAULT 4 CONSTRAINT course_tasks_pairs_count_range CHECK (pairs_count BETWEEN 1 AND 100),
    crosscheck_reviewers integer,
    crosscheck_seed      bigint,
    disabled             boolean NOT NULL DEFAULT false,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT course_tasks_dates_ordered CHECK (student_end_at >= student_start_at),
    CONSTRAINT course_tasks_crosscheck_after_submission CHECK (crosscheck_end_at IS NULL OR crosscheck_end_at >= student_end_at),
    UNIQUE (id, course_id)
);
COMMENT ON TABLE course_tasks IS 'A task scheduled in a course, with deadlines, scoring and checker';
COMMENT ON COLUMN course_tasks.student_end_at IS 'Submission deadline; cross-check distribution waits for it unless forced';
COMMENT ON COLUMN course_tasks.crosscheck_end_at IS 'Deadline of cross-check reviews (NULL: none)';
COMMENT ON COLUMN course_tasks.score_weight IS 'Multiplier of the score in the student''s total';
COMMENT ON COLUMN course_tasks.crosscheck_status IS 'initial -> distributed -> completed (lifecycle "crosscheck")';
COMMENT ON COLUMN course_tasks.pairs_count IS 'Reviewers per solution in a cross-check (k)';
COMMENT ON COLUMN course_tasks.crosscheck_reviewers IS 'Reviewers per solution the distribution actually gave (k, or n-1 in small classes)';
COMMENT ON COLUMN course_tasks.crosscheck_seed IS 'Seed of the distribution: the same seed and solutions give the same pairs';
COMMENT ON COLUMN course_tasks.disabled IS 'Disabled tasks do not count in totals';
CREATE INDEX course_tasks_course_idx ON course_tasks (course_id);
CREATE TRIGGER course_tasks_touch_updated_at BEFORE UPDATE ON course_tasks
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
SELECT attach_lifecycle('course_tasks', 'crosscheck_status', 'crosscheck');

CREATE TABLE task_results (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    course_task_id    bigint NOT NULL REFERENCES course_tasks ON DELETE CASCADE,
    student_id        bigint NOT NULL REFERENCES students ON DELETE CASCADE,
    score             integer NOT NULL CONSTRAINT task_results_score_nonneg CHECK (score >= 0),
    historical_scores jsonb NOT NULL DEFAULT '[]',
    last_checker_id   bigint REFERENCES users ON DELETE SET NULL,
    comment           text,
    github_pr_url     text CONSTRAINT task_results_pr_url_http CHECK (github_pr_url ~ '^https?://'),
    github_repo_url   text CONSTRAINT task_results_repo_url_http CHECK (github_repo_url ~ '^https?://'),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (course_task_id, student_id)
);
COMMENT ON TABLE task_results IS 'The authoritative score of a student on a course task';
COMMENT ON COLUMN task_results.historical_scores IS
    'Every score this result had, oldest first: {"score", "at", "checker_id", "actor", "source"} (appended automatically)';
COMMENT ON COLUMN task_results.last_checker_id IS 'User who set the current score (NULL for computed scores)';
CREATE INDEX task_results_student_idx ON task_results (student_id);
CREATE TRIGGER task_results_touch_updated_at BEFORE UPDATE ON task_results
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- Why a trigger: every writer (mentor, auto-test, completion, a manager in
-- psql) gets its change recorded, and no writer can rewrite the past.
CREATE FUNCTION _append_historical_score() RETURNS trigger
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    entry jsonb;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF NEW.score IS NOT DISTINCT FROM OLD.score AND NEW.historical_scores = OLD.historical_scores THEN
            RETURN NEW;
        END IF;
        NEW.historical_scores := OLD.historical_scores;     -- the past is not editable
        IF NEW.score IS NOT DISTINCT FROM OLD.score THEN
            RETURN NEW;
        END IF;
    ELSE
        NEW.historical_scores := '[]';
    END IF;
    entry := jsonb_build_object('score', NEW.score, 'at', statement_timestamp(), 'actor', current_actor(),
                                'source', nullif(current_setting('mentor.score_source', true), ''));
    -- Reviews are one checker's by construction; results name who set the score.
    IF TG_TABLE_NAME = 'task_results' THEN
        entry := entry || jsonb_build_object('checker_id', NEW.last_checker_id);
    END IF;
    NEW.historical_scores := NEW.historical_scores || entry;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION _append_historical_score() IS
    'Internal: appends each new score to historical_scores and keeps earlier entries unchanged';
CREATE TRIGGER task_results_historical_scores BEFORE INSERT OR UPDATE ON task_results
    FOR EACH ROW EXECUTE FUNCTION _append_historical_score();

CREATE TABLE certificates (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    student_id  bigint NOT NULL UNIQUE REFERENCES students ON DELETE CASCADE,
    public_id   uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
    score       numeric(12,2) NOT NULL,
    issued_at   timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE certificates IS 'Course certificates; public_id is what a verification URL shows';
COMMENT ON COLUMN certificates.score IS 'The total_score the certificate was issued for';

-- The students of a course whose totals or rank differ from what their
-- results say.  A separate function because RETURN QUERY may run its query
-- in parallel, which neither an UPDATE's subquery nor SELECT INTO may.
-- Weights are taken in hundredths as integers, so the per-row product is an
-- integer multiply and the sums run in 128-bit integers rather than numeric;
-- work_mem lets the per-student sums of a large course hash in memory.
-- Ranks are among the students who are not expelled; rank() gives ties
-- 1, 2, 2, 4.
CREATE FUNCTION _score_changes(course_id bigint)
    RETURNS TABLE (student_id bigint, total numeric, cross_check numeric, rank integer)
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_catalog, pg_temp
SET work_mem = '64MB'
AS $$
BEGIN
    RETURN QUERY
    WITH weights AS (
        SELECT ct.id, (ct.score_weight * 100)::bigint AS w, ct.checker = 'crosscheck' AS is_cross_check
          FROM course_tasks ct
         WHERE ct.course_id = _score_changes.course_id AND NOT ct.disabled),
    sums AS (
        SELECT tr.student_id AS sid,
               sum(tr.score * w.w) / 100.0 AS sum_total,
               coalesce(sum(tr.score * w.w) FILTER (WHERE w.is_cross_check), 0) / 100.0 AS sum_cross_check
          FROM weights w
          JOIN task_results tr ON tr.course_task_id = w.id
         GROUP BY tr.student_id),
    scored AS (
        SELECT s.id AS sid, coalesce(x.sum_total, 0) AS new_total, coalesce(x.sum_cross_check, 0) AS new_cross_check,
               s.is_expelled, s.total_score, s.cross_check_score, s.rank AS old_rank
          FROM students s LEFT JOIN sums x ON x.sid = s.id
         WHERE s.course_id = _score_changes.course_id),
    ranked AS (
        SELECT sc.*, CASE WHEN NOT sc.is_expelled
                          THEN rank() OVER (PARTITION BY sc.is_expelled ORDER BY sc.new_total DESC) END::integer AS new_rank
          FROM scored sc)
    SELECT r.sid, r.new_total, r.new_cross_check, r.new_rank
      FROM ranked r
     WHERE (r.total_score, r.cross_check_score, r.old_rank) IS DISTINCT FROM (r.new_total, r.new_cross_check, r.new_rank);
END
$$;
COMMENT ON FUNCTION _score_changes(bigint) IS
    'Internal: the students of a course whose total_score, cross_check_score or rank are out of date, with the new values';

CREATE FUNCTION recalculate_scores(course_id bigint) RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    changed integer;
BEGIN
    IF course_id IS NULL OR NOT EXISTS (SELECT 1 FROM courses c WHERE c.id = recalculate_scores.course_id) THEN
        RAISE EXCEPTION 'course % does not exist', coalesce(course_id::text, 'NULL')
            USING ERRCODE = 'no_data_found', HINT = 'Pass the id of a row of mentor.courses.';
    END IF;
    -- Only rows whose values change are written (and so recorded by history).
    UPDATE students s
       SET total_score = u.total, cross_check_score = u.cross_check, rank = u.rank
      FROM _score_changes(recalculate_scores.course_id) u
     WHERE s.id = u.student_id;
    GET DIAGNOSTICS changed = ROW_COUNT;
    RETURN changed;
END
$$;
COMMENT ON FUNCTION recalculate_scores(bigint) IS
    'Recomputes total_score (sum of score x score_weight over enabled tasks), cross_check_score and rank '
    '(ties as 1, 2, 2, 4; expelled students unranked) for a course; writes only rows that change and returns how many';

CREATE FUNCTION issue_certificates(course_id bigint) RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    threshold numeric;
    issued    integer;
BEGIN
    SELECT c.certificate_threshold INTO threshold FROM courses c WHERE c.id = issue_certificates.course_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'course % does not exist', coalesce(course_id::text, 'NULL')
            USING ERRCODE = 'no_data_found', HINT = 'Pass the id of a row of mentor.courses.';
    END IF;
    INSERT INTO certificates (student_id, score)
    SELECT s.id, s.total_score FROM students s
     WHERE s.course_id = issue_certificates.course_id AND NOT s.is_expelled AND NOT s.is_failed
       AND s.total_score >= threshold
    ON CONFLICT (student_id) DO NOTHING;
    GET DIAGNOSTICS issued = ROW_COUNT;
    RETURN issued;
END
$$;
COMMENT ON FUNCTION issue_certificates(bigint) IS
    'Issues a certificate to every student of the course (not expelled or failed) whose total_score reaches the '
    'course''s certificate_threshold and who has none yet; returns how many were issued. Run recalculate_scores first';

CREATE VIEW course_leaderboard AS
SELECT s.course_id, s.rank, s.id AS student_id, u.id AS user_id, u.username, u.full_name,
       s.total_score, s.cross_check_score, mu.username AS mentor_username
  FROM students s
  JOIN users u ON u.id = s.user_id
  LEFT JOIN course_mentors m ON m.id = s.mentor_id
  LEFT JOIN users mu ON mu.id = m.user_id
 WHERE NOT s.is_expelled
 ORDER BY s.course_id, s.rank, u.username;
COMMENT ON VIEW course_leaderboard IS
    'Students of each course by rank (as of the last mentor.recalculate_scores), expelled students left out';

-- Who may see everything of a course: its managers and supervisors, and platform staff.
CREATE FUNCTION _is_course_staff(course_id bigint, user_id bigint) RETURNS boolean
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
SELECT EXISTS (SELECT 1 FROM users u WHERE u.id = _is_course_staff.user_id AND u.role IN ('admin', 'owner'))
    OR EXISTS (SELECT 1 FROM course_users cu
                WHERE cu.course_id = _is_course_staff.course_id AND cu.user_id = _is_course_staff.user_id
                  AND (cu.is_manager OR cu.is_supervisor OR cu.is_task_owner))
$$;
COMMENT ON FUNCTION _is_course_staff(bigint, bigint) IS
    'Internal: the user is a platform admin or a manager, supervisor or task owner of the course';

SELECT _enable_history_shipped('disciplines');
SELECT _enable_history_shipped('courses');
SELECT _enable_history_shipped('course_users');
SELECT _enable_history_shipped('course_mentors');
SELECT _enable_history_shipped('students');
SELECT _enable_history_shipped('registries');
SELECT _enable_history_shipped('tasks');
SELECT _enable_history_shipped('course_tasks');
SELECT _enable_history_shipped('task_results');
SELECT _enable_history_shipped('certificates');
--------------------------------------------------------------------------------
-- Module crosscheck (design.md section 8, seed 000): students review each
-- other's solutions.  The assignment is computed in C (src/core/crosscheck.c)
-- and written here in one statement; reviews, completion by a known rule and
-- reviewer flags are set-based SQL.
--------------------------------------------------------------------------------

CREATE TABLE task_solutions (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    course_task_id bigint NOT NULL REFERENCES course_tasks ON DELETE CASCADE,
    student_id     bigint NOT NULL REFERENCES students ON DELETE CASCADE,
    url            text NOT NULL CONSTRAINT task_solutions_url_http CHECK (url ~ '^https?://'),
    comment        text,
    submitted_at   timestamptz NOT NULL DEFAULT now(),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (course_task_id, student_id),
    UNIQUE (id, course_task_id, student_id)
);
COMMENT ON TABLE task_solutions IS 'A student''s submitted solution of a cross-checked task (one per student and task)';
COMMENT ON COLUMN task_solutions.url IS 'Where the solution is (repository, deployed page...)';
CREATE TRIGGER task_solutions_touch_updated_at BEFORE UPDATE ON task_solutions
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE task_solution_checkers (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    course_task_id   bigint NOT NULL,
    task_solution_id bigint NOT NULL,
    student_id       bigint NOT NULL,
    checker_id       bigint NOT NULL REFERENCES students ON DELETE CASCADE,
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (task_solution_id, checker_id),
    FOREIGN KEY (task_solution_id, course_task_id, student_id)
        REFERENCES task_solutions (id, course_task_id, student_id) ON DELETE CASCADE,
    CONSTRAINT task_solution_checkers_no_self_review CHECK (checker_id <> student_id)
);
COMMENT ON TABLE task_solution_checkers IS
    'Who reviews which solution (written by mentor.crosscheck_distribute): checker_id reviews the solution of student_id';
COMMENT ON COLUMN task_solution_checkers.student_id IS 'Author of the solution (students.id)';
COMMENT ON COLUMN task_solution_checkers.checker_id IS 'Reviewing student (students.id)';
CREATE INDEX task_solution_checkers_task_idx ON task_solution_checkers (course_task_id, checker_id);

CREATE TABLE task_solution_results (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    course_task_id    bigint NOT NULL REFERENCES course_tasks ON DELETE CASCADE,
    task_solution_id  bigint NOT NULL,
    student_id        bigint NOT NULL REFERENCES students ON DELETE CASCADE,
    checker_id        bigint NOT NULL,
    score             integer NOT NULL CONSTRAINT task_solution_results_score_nonneg CHECK (score >= 0),
    criteria          jsonb NOT NULL DEFAULT '{}'
                      CONSTRAINT task_solution_results_criteria_object CHECK (jsonb_typeof(criteria) = 'object'),
    comment           text,
    anonymous         boolean NOT NULL DEFAULT true,
    historical_scores jsonb NOT NULL DEFAULT '[]',
    messages          jsonb NOT NULL DEFAULT '[]'
                      CONSTRAINT task_solution_results_messages_array CHECK (jsonb_typeof(messages) = 'array'),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (task_solution_id, checker_id),
    FOREIGN KEY (task_solution_id, checker_id) REFERENCES task_solution_checkers (task_solution_id, checker_id)
        ON DELETE CASCADE
);
COMMENT ON TABLE task_solution_results IS
    'A cross-check review: only an assigned checker can have one (foreign key to task_solution_checkers). '
    'The reviewed student sees anonymous reviews only through mentor.my_crosscheck_reviews, without the reviewer';
COMMENT ON COLUMN task_solution_results.student_id IS 'Author of the reviewed solution (students.id)';
COMMENT ON COLUMN task_solution_results.checker_id IS 'Reviewing student (students.id)';
COMMENT ON COLUMN task_solution_results.criteria IS 'Score per criterion key of the task: {"layout": 18, ...}';
COMMENT ON COLUMN task_solution_results.anonymous IS 'Hide the reviewer from the reviewed student (row-level security)';
COMMENT ON COLUMN task_solution_results.historical_scores IS 'Every saved score of this review, oldest first';
COMMENT ON COLUMN task_solution_results.messages IS
    'Discussion between author and reviewer, appended by mentor.crosscheck_add_message: [{"from": "student"|"reviewer"|"staff", "text", "at"}]';
CREATE INDEX task_solution_results_task_idx ON task_solution_results (course_task_id, student_id);
CREATE TRIGGER task_solution_results_touch_updated_at BEFORE UPDATE ON task_solution_results
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER task_solution_results_historical_scores BEFORE INSERT OR UPDATE ON task_solution_results
    FOR EACH ROW EXECUTE FUNCTION _append_historical_score();

-- Row-level security: through mentor_app, a review is visible to its
-- reviewer, to course staff, and to the reviewed student only when it is not
-- anonymous.  The owner (the extension's functions) is not subject to it.
ALTER TABLE task_solution_results ENABLE ROW LEVEL SECURITY;
CREATE POLICY task_solution_results_visible ON task_solution_results FOR SELECT TO mentor_app
    USING (EXISTS (SELECT 1 FROM students s
                    WHERE s.id = checker_id AND s.user_id = @extschema@.current_actor())
        OR (NOT anonymous AND EXISTS (SELECT 1 FROM students s
                                       WHERE s.id = student_id AND s.user_id = @extschema@.current_actor()))
        OR EXISTS (SELECT 1 FROM course_tasks ct
                    WHERE ct.id = course_task_id AND @extschema@._is_course_staff(ct.course_id, @extschema@.current_actor())));
-- The reviewed student's view: every review of their solutions, the reviewer
-- left out when anonymous.  Runs with the owner's rights, hence the filter.
CREATE VIEW my_crosscheck_reviews WITH (security_barrier) AS
SELECT r.id, r.course_task_id, r.task_solution_id, r.student_id,
       CASE WHEN r.anonymous THEN NULL ELSE r.checker_id END AS checker_id,
       r.score, r.criteria, r.comment, r.anonymous, r.messages, r.updated_at
  FROM task_solution_results r
  JOIN students s ON s.id = r.student_id
 WHERE s.user_id = @extschema@.current_actor();
COMMENT ON VIEW my_crosscheck_reviews IS
    'Reviews received by the acting user (mentor.set_actor), reviewer hidden when anonymous';

CREATE FUNCTION _crosscheck_pairs(solution_ids bigint[], student_ids bigint[], k integer, seed bigint)
    RETURNS TABLE (task_solution_id bigint, student_id bigint, checker_id bigint)
    AS 'MODULE_PATHNAME', 'mn_crosscheck_pairs' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION _crosscheck_pairs(bigint[], bigint[], integer, bigint) IS
    'Internal: the first distribution of the given solutions (C, src/core/crosscheck.c)';

CREATE FUNCTION _crosscheck_late_pairs(solution_ids bigint[], student_ids bigint[], late boolean[],
                                       existing_checkers bigint[], existing_authors bigint[], k integer, seed bigint)
    RETURNS TABLE (task_solution_id bigint, student_id bigint, checker_id bigint)
    AS 'MODULE_PATHNAME', 'mn_crosscheck_late_pairs' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION _crosscheck_late_pairs(bigint[], bigint[], boolean[], bigint[], bigint[], integer, bigint) IS
    'Internal: reviewers for solutions that arrived after the distribution (C, src/core/crosscheck.c)';

-- Locks the course task and checks that it is a cross-checked one.
CREATE FUNCTION _crosscheck_task(course_task_id bigint, lock_mode text) RETURNS course_tasks
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    ct course_tasks;
BEGIN
    IF lock_mode = 'update' THEN
        SELECT * INTO ct FROM course_tasks t WHERE t.id = _crosscheck_task.course_task_id FOR UPDATE;
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
COMMENT ON FUNCTION _crosscheck_task(bigint, text) IS 'Internal: locks a cross-check course task or raises P0002/MN006';

CREATE FUNCTION crosscheck_distribute(course_task_id bigint, reviewers integer DEFAULT NULL, seed bigint DEFAULT NULL,
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

CREATE FUNCTION crosscheck_submit_review(course_task_id bigint, checker_student_id bigint, solution_id bigint,
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
    SELECT coalesce(jsonb_object_agg(c ->> 'key', (c ->> 'max')::numeric), '{}') INTO known
      FROM tasks t, jsonb_array_elements(t.criteria) c WHERE t.id = ct.task_id;
    IF jsonb_typeof(criteria) <> 'object' THEN
        problem := 'criteria must be a JSON object of scores per criterion key';
    ELSE
        SELECT string_agg(CASE
                   WHEN jsonb_typeof(e.value) <> 'number' THEN format('"%s" is not a number', e.key)
                   WHEN known <> '{}' AND NOT known ? e.key THEN format('"%s" is not a criterion of the task', e.key)
                   WHEN e.value::text::numeric < 0 OR e.value::text::numeric > coalesce((known ->> e.key)::numeric, ct.max_score)
                       THEN format('"%s" must be between 0 and %s', e.key, coalesce(known ->> e.key, ct.max_score::text))
               END, '; ')
          INTO problem FROM jsonb_each(criteria) e;
    END IF;
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

-- The discussion of a review: the author may answer an anonymous reviewer
-- without learning who it is, so messages name roles, not people.
CREATE FUNCTION crosscheck_add_message(review_id bigint, message text) RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    r      task_solution_results;
    actor  bigint := current_actor();
    sender text;
    entry  jsonb;
BEGIN
    SELECT * INTO r FROM task_solution_results t WHERE t.id = review_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'review % does not exist', coalesce(review_id::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
    IF message IS NULL OR length(btrim(message)) NOT BETWEEN 1 AND 5000 THEN
        RAISE EXCEPTION 'a message must have 1 to 5000 characters'
            USING ERRCODE = 'invalid_parameter_value', DETAIL = format('Got %s.', coalesce(length(btrim(message)), 0));
    END IF;
    sender := CASE
        WHEN actor IS NULL THEN NULL
        WHEN EXISTS (SELECT 1 FROM students s WHERE s.id = r.student_id AND s.user_id = actor) THEN 'student'
        WHEN EXISTS (SELECT 1 FROM students s WHERE s.id = r.checker_id AND s.user_id = actor) THEN 'reviewer'
        WHEN _is_course_staff((SELECT ct.course_id FROM course_tasks ct WHERE ct.id = r.course_task_id), actor) THEN 'staff'
    END;
    IF sender IS NULL THEN
        RAISE EXCEPTION 'user % takes no part in review %', coalesce(actor::text, '(no actor)'), r.id
            USING ERRCODE = 'MN005',
                  HINT = 'Set the acting user (mentor.set_actor) to the reviewed student, the reviewer or course staff.';
    END IF;
    entry := jsonb_build_object('from', sender, 'text', btrim(message), 'at', statement_timestamp());
    UPDATE task_solution_results t SET messages = t.messages || entry WHERE t.id = r.id;
    RETURN entry;
END
$$;
COMMENT ON FUNCTION crosscheck_add_message(bigint, text) IS
    'Appends a message of the acting user (the reviewed student, the reviewer or course staff; MN005 otherwise) to '
    'a review''s discussion and returns it; messages say the sender''s role, never who an anonymous reviewer is';

-- One row per reviewed student with the score each method gives.
CREATE FUNCTION crosscheck_complete(course_task_id bigint, method text DEFAULT 'top_k_minus_1') RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
SET work_mem = '64MB'    -- per-student windows and sums in memory for large cohorts
AS $$
DECLARE
    ct      course_tasks := _crosscheck_task(course_task_id, 'update');
    written integer;
BEGIN
    IF method IS NULL OR method NOT IN ('top_k_minus_1', 'median', 'mean') THEN
        RAISE EXCEPTION 'unknown completion method %', coalesce(quote_literal(method), 'NULL')
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Use top_k_minus_1, median or mean.';
    END IF;
    IF ct.crosscheck_status = 'initial' THEN
        RAISE EXCEPTION 'course task % has not been distributed', ct.id
            USING ERRCODE = 'MN006', HINT = 'Run mentor.crosscheck_distribute first.';
    END IF;
    PERFORM set_config('mentor.score_source', 'crosscheck:' || method, true);
    WITH received AS (
        SELECT r.student_id, r.score, r.criteria,
               row_number() OVER (PARTITION BY r.student_id ORDER BY r.score DESC) AS place
          FROM task_solution_results r
         WHERE r.course_task_id = ct.id),
    reviewers AS (     -- reviewers each solution has
        SELECT c.student_id, count(*) AS n FROM task_solution_checkers c
         WHERE c.course_task_id = ct.id GROUP BY c.student_id),
    to_do AS (         -- reviews each student was given
        SELECT c.checker_id AS student_id, count(*) AS n FROM task_solution_checkers c
         WHERE c.course_task_id = ct.id GROUP BY c.checker_id),
    done AS (          -- reviews each student submitted
        SELECT r.checker_id AS student_id, count(*) AS n FROM task_solution_results r
         WHERE r.course_task_id = ct.id GROUP BY r.checker_id),
    top AS (
        SELECT x.student_id, round(avg(x.score))::integer AS score
          FROM received x
          JOIN reviewers rv ON rv.student_id = x.student_id
          LEFT JOIN to_do td ON td.student_id = x.student_id
          LEFT JOIN done d ON d.student_id = x.student_id
         WHERE x.place <= greatest(rv.n - 1, 1)
           -- a student given no reviews to do (a late submission) owes none
           AND (coalesce(td.n, 0) = 0 OR coalesce(d.n, 0) >= greatest(td.n - 1, 1))
         GROUP BY x.student_id),
    per_criterion AS (
        SELECT q.student_id, sum(q.m) AS total
          FROM (SELECT x.student_id, ceil(percentile_cont(0.5) WITHIN GROUP (ORDER BY e.value::text::numeric)) AS m
                  FROM received x, jsonb_each(x.criteria) e
                 GROUP BY x.student_id, e.key) q
         GROUP BY q.student_id),
    median AS (
        SELECT q.student_id, least(coalesce(pc.total, q.m), ct.max_score)::integer AS score
          FROM (SELECT x.student_id, ceil(percentile_cont(0.5) WITHIN GROUP (ORDER BY x.score)) AS m
                  FROM received x GROUP BY x.student_id) q
          LEFT JOIN per_criterion pc ON pc.student_id = q.student_id),
    mean AS (
        SELECT x.student_id, round(avg(x.score))::integer AS score FROM received x GROUP BY x.student_id),
    chosen AS (
        SELECT * FROM top WHERE method = 'top_k_minus_1'
        UNION ALL SELECT * FROM median WHERE method = 'median'
        UNION ALL SELECT * FROM mean WHERE method = 'mean')
    INSERT INTO task_results AS t (course_task_id, student_id, score)
    SELECT ct.id, c.student_id, c.score FROM chosen c
    ON CONFLICT ON CONSTRAINT task_results_course_task_id_student_id_key DO UPDATE
       SET score = EXCLUDED.score, last_checker_id = NULL
     WHERE t.score IS DISTINCT FROM EXCLUDED.score;
    GET DIAGNOSTICS written = ROW_COUNT;
    PERFORM set_config('mentor.score_source', '', true);
    IF ct.crosscheck_status <> 'completed' THEN
        UPDATE course_tasks t SET crosscheck_status = 'completed' WHERE t.id = ct.id;
    END IF;
    RETURN written;
END
$$;
COMMENT ON FUNCTION crosscheck_complete(bigint, text) IS
    'Scores the cross-check into task_results and marks it completed; returns the results written. Methods: '
    'top_k_minus_1 (students who did at least max(k-1,1) of the k reviews they were given get the rounded mean of '
    'their best max(r-1,1) received scores, r = their reviewers), median (per criterion, rounded up, summed; the median score without criteria), '
    'mean (rounded mean of all received scores). Can be re-run: changed scores are overwritten, history kept';

CREATE FUNCTION crosscheck_reviewer_flags(course_task_id bigint, min_comment_length integer DEFAULT 20)
    RETURNS TABLE (review_id bigint, task_solution_id bigint, student_id bigint, checker_id bigint, score integer,
                   flag text, detail text)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    ct course_tasks := _crosscheck_task(course_task_id, 'share');
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

CREATE VIEW crosscheck_progress AS
SELECT ct.id AS course_task_id, ct.course_id, t.name AS task, ct.crosscheck_status, ct.crosscheck_reviewers,
       (SELECT count(*) FROM task_solutions s WHERE s.course_task_id = ct.id) AS solutions,
       (SELECT count(*) FROM task_solution_checkers c WHERE c.course_task_id = ct.id) AS assigned_reviews,
       (SELECT count(*) FROM task_solution_results r WHERE r.course_task_id = ct.id) AS submitted_reviews
  FROM course_tasks ct JOIN tasks t ON t.id = ct.task_id
 WHERE ct.checker = 'crosscheck';
COMMENT ON VIEW crosscheck_progress IS 'Per cross-check task: status, solutions, reviews assigned and submitted';

SELECT _enable_history_shipped('task_solutions');
-- Who reviewed whom, and what they wrote, is for administrators: reviews may be anonymous.
SELECT _enable_history_shipped('task_solution_checkers', private => ARRAY['checker_id']);
SELECT _enable_history_shipped('task_solution_results', private => ARRAY['checker_id', 'comment', 'messages']);
--------------------------------------------------------------------------------
-- Module teams (design.md section 8, seed 000): a team distribution is a
-- window in which students of a course register to be put into teams;
-- mentor.distribute_teams forms them (src/core/teams.c).
--------------------------------------------------------------------------------

CREATE TABLE team_distributions (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    course_id        bigint NOT NULL REFERENCES courses ON DELETE CASCADE,
    name             text NOT NULL CONSTRAINT team_distributions_name_length CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    description      text,
    start_at         timestamptz NOT NULL,
    end_at           timestamptz NOT NULL,
    min_team_size    integer NOT NULL DEFAULT 2 CONSTRAINT team_distributions_min_size CHECK (min_team_size >= 1),
    max_team_size    integer NOT NULL DEFAULT 4,
    strict_team_size integer CONSTRAINT team_distributions_strict_size CHECK (strict_team_size >= 1),
    min_total_score  numeric(12,2) NOT NULL DEFAULT 0,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT team_distributions_max_size CHECK (max_team_size >= min_team_size),
    CONSTRAINT team_distributions_window CHECK (end_at > start_at),
    UNIQUE (id, course_id)
);
COMMENT ON TABLE team_distributions IS 'A team formation round of a course: registration window, size rules, score threshold';
COMMENT ON COLUMN team_distributions.start_at IS 'Registrations from this moment count';
COMMENT ON COLUMN team_distributions.end_at IS 'Registrations after this moment do not count';
COMMENT ON COLUMN team_distributions.strict_team_size IS
    'When set, every team formed has exactly this many members (students who do not fill a team are left out)';
COMMENT ON COLUMN team_distributions.min_total_score IS 'Students below this total_score are not placed';
CREATE TRIGGER team_distributions_touch_updated_at BEFORE UPDATE ON team_distributions
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE team_distribution_students (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    distribution_id bigint NOT NULL,
    course_id       bigint NOT NULL,
    student_id      bigint NOT NULL,
    active          boolean NOT NULL DEFAULT true,
    distributed     boolean NOT NULL DEFAULT false,
    registered_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (distribution_id, student_id),
    FOREIGN KEY (distribution_id, course_id) REFERENCES team_distributions (id, course_id) ON DELETE CASCADE,
    FOREIGN KEY (student_id, course_id) REFERENCES students (id, course_id) ON DELETE CASCADE
);
COMMENT ON TABLE team_distribution_students IS 'Students registered for a team distribution (of their own course)';
COMMENT ON COLUMN team_distribution_students.active IS 'false: the student withdrew and is not placed';
COMMENT ON COLUMN team_distribution_students.distributed IS 'The student has been placed in a team';

CREATE TABLE teams (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    distribution_id bigint NOT NULL REFERENCES team_distributions ON DELETE CASCADE,
    name            text NOT NULL CONSTRAINT teams_name_length CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    description     text,
    lead_student_id bigint REFERENCES students ON DELETE SET NULL,
    chat_url        text CONSTRAINT teams_chat_url_http CHECK (chat_url ~ '^https?://'),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (distribution_id, name),
    UNIQUE (id, distribution_id)
);
COMMENT ON TABLE teams IS 'A team of a distribution';
COMMENT ON COLUMN teams.lead_student_id IS 'Team lead; mentor.distribute_teams picks the best-ranked member';
CREATE TRIGGER teams_touch_updated_at BEFORE UPDATE ON teams
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE team_members (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    team_id         bigint NOT NULL,
    distribution_id bigint NOT NULL,
    student_id      bigint NOT NULL REFERENCES students ON DELETE CASCADE,
    joined_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (distribution_id, student_id),
    FOREIGN KEY (team_id, distribution_id) REFERENCES teams (id, distribution_id) ON DELETE CASCADE
);
COMMENT ON TABLE team_members IS 'Members of a team; a student is in at most one team per distribution';
CREATE INDEX team_members_team_idx ON team_members (team_id);

-- Why lock the team row: concurrent joins would each count the same members.
CREATE FUNCTION _team_members_capacity() RETURNS trigger
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    cap     integer;
    members integer;
BEGIN
    PERFORM 1 FROM teams t WHERE t.id = NEW.team_id FOR UPDATE;
    SELECT coalesce(d.strict_team_size, d.max_team_size) INTO cap
      FROM team_distributions d WHERE d.id = NEW.distribution_id;
    SELECT count(*) INTO members FROM team_members m WHERE m.team_id = NEW.team_id AND m.id IS DISTINCT FROM NEW.id;
    IF members >= cap THEN
        RAISE EXCEPTION 'team % is full', NEW.team_id
            USING ERRCODE = 'MN004', DETAIL = format('It has %s members, the distribution allows %s.', members, cap),
                  HINT = 'Join another team or raise team_distributions.max_team_size.';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION _team_members_capacity() IS 'Internal: keeps teams within their distribution''s size (MN004)';
CREATE TRIGGER team_members_capacity BEFORE INSERT OR UPDATE OF team_id ON team_members
    FOR EACH ROW EXECUTE FUNCTION _team_members_capacity();

CREATE FUNCTION _teams_plan(ranks integer[], existing_sizes integer[], min_size integer, max_size integer,
                            strict_size integer, seed bigint)
    RETURNS TABLE (student_index integer, team_index integer, is_lead boolean)
    AS 'MODULE_PATHNAME', 'mn_teams_plan' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION _teams_plan(integer[], integer[], integer, integer, integer, bigint) IS
    'Internal: which student goes to which team, by position (C, src/core/teams.c)';

CREATE FUNCTION distribute_teams(distribution_id bigint, seed bigint DEFAULT NULL) RETURNS integer
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

    SELECT array_agg(st.id ORDER BY st.id), array_agg(coalesce(st.rank, 2147483647) ORDER BY st.id)
      INTO sids, ranks
      FROM team_distribution_students r JOIN students st ON st.id = r.student_id
     WHERE r.distribution_id = d.id AND r.active AND NOT r.distributed
       AND NOT st.is_expelled AND st.total_score >= d.min_total_score
       AND r.registered_at BETWEEN d.start_at AND d.end_at
       AND NOT EXISTS (SELECT 1 FROM team_members m WHERE m.distribution_id = d.id AND m.student_id = st.id);
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

SELECT _enable_history_shipped('team_distributions');
SELECT _enable_history_shipped('team_distribution_students');
SELECT _enable_history_shipped('teams');
SELECT _enable_history_shipped('team_members');
--------------------------------------------------------------------------------
-- Module availability (design.md section 7): the weekly availability type of
-- mentors and mentees, in C (src/availability.c, src/core/availability.c).
--------------------------------------------------------------------------------

CREATE TYPE availability;

CREATE FUNCTION availability_in(cstring) RETURNS availability
    AS 'MODULE_PATHNAME', 'mn_availability_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION availability_out(availability) RETURNS cstring
    AS 'MODULE_PATHNAME', 'mn_availability_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION availability_recv(internal) RETURNS availability
    AS 'MODULE_PATHNAME', 'mn_availability_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION availability_send(availability) RETURNS bytea
    AS 'MODULE_PATHNAME', 'mn_availability_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION availability_in(cstring) IS 'Text input of mentor.availability';
COMMENT ON FUNCTION availability_out(availability) IS 'Canonical text of mentor.availability (sorted, merged, split at midnight)';
COMMENT ON FUNCTION availability_recv(internal) IS 'Binary input of mentor.availability (checked like text input)';
COMMENT ON FUNCTION availability_send(availability) IS 'Binary output of mentor.availability';

CREATE TYPE availability (
    INPUT = availability_in, OUTPUT = availability_out,
    RECEIVE = availability_recv, SEND = availability_send,
    INTERNALLENGTH = VARIABLE, ALIGNMENT = int4, STORAGE = extended
);
COMMENT ON TYPE availability IS
    'Weekly windows in an IANA time zone, e.g. ''Mon 09:00-12:00, Wed 18:00-20:30 @ Europe/Berlin''; '
    'day ranges (Mon-Fri) and overnight windows (Fri 22:00-02:00) are accepted; see mentor.occurrences';

CREATE FUNCTION availability_eq(availability, availability) RETURNS boolean
    AS 'MODULE_PATHNAME', 'mn_availability_eq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION availability_ne(availability, availability) RETURNS boolean
    AS 'MODULE_PATHNAME', 'mn_availability_ne' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION availability_hash(availability) RETURNS integer
    AS 'MODULE_PATHNAME', 'mn_availability_hash' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION availability_eq(availability, availability) IS 'Same windows in the same zone';
COMMENT ON FUNCTION availability_ne(availability, availability) IS 'Different windows or zone';
COMMENT ON FUNCTION availability_hash(availability) IS 'Hash of an availability, for hash joins, DISTINCT and GROUP BY';

CREATE OPERATOR = (
    LEFTARG = availability, RIGHTARG = availability, FUNCTION = availability_eq,
    COMMUTATOR = =, NEGATOR = <>, RESTRICT = eqsel, JOIN = eqjoinsel, HASHES
);
CREATE OPERATOR <> (
    LEFTARG = availability, RIGHTARG = availability, FUNCTION = availability_ne,
    COMMUTATOR = <>, NEGATOR = =, RESTRICT = neqsel, JOIN = neqjoinsel
);
CREATE OPERATOR CLASS availability_hash_ops DEFAULT FOR TYPE availability USING hash AS
    OPERATOR 1 =, FUNCTION 1 availability_hash(availability);

-- An order with no meaning of its own (zone, then windows), so that sorting,
-- DISTINCT aggregates, ORDER BY and btree indexes work.
CREATE FUNCTION availability_cmp(availability, availability) RETURNS integer
    AS 'MODULE_PATHNAME', 'mn_availability_cmp' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION availability_lt(availability, availability) RETURNS boolean
    AS 'MODULE_PATHNAME', 'mn_availability_lt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION availability_le(availability, availability) RETURNS boolean
    AS 'MODULE_PATHNAME', 'mn_availability_le' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION availability_gt(availability, availability) RETURNS boolean
    AS 'MODULE_PATHNAME', 'mn_availability_gt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION availability_ge(availability, availability) RETURNS boolean
    AS 'MODULE_PATHNAME', 'mn_availability_ge' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION availability_cmp(availability, availability) IS 'Sort order of availabilities (zone, then windows)';
COMMENT ON FUNCTION availability_lt(availability, availability) IS 'Sorts before (see availability_cmp)';
COMMENT ON FUNCTION availability_le(availability, availability) IS 'Sorts before or equal (see availability_cmp)';
COMMENT ON FUNCTION availability_gt(availability, availability) IS 'Sorts after (see availability_cmp)';
COMMENT ON FUNCTION availability_ge(availability, availability) IS 'Sorts after or equal (see availability_cmp)';
CREATE OPERATOR < (LEFTARG = availability, RIGHTARG = availability, FUNCTION = availability_lt,
                   COMMUTATOR = >, NEGATOR = >=, RESTRICT = scalarltsel, JOIN = scalarltjoinsel);
CREATE OPERATOR <= (LEFTARG = availability, RIGHTARG = availability, FUNCTION = availability_le,
                    COMMUTATOR = >=, NEGATOR = >, RESTRICT = scalarlesel, JOIN = scalarlejoinsel);
CREATE OPERATOR > (LEFTARG = availability, RIGHTARG = availability, FUNCTION = availability_gt,
                   COMMUTATOR = <, NEGATOR = <=, RESTRICT = scalargtsel, JOIN = scalargtjoinsel);
CREATE OPERATOR >= (LEFTARG = availability, RIGHTARG = availability, FUNCTION = availability_ge,
                    COMMUTATOR = <=, NEGATOR = <, RESTRICT = scalargesel, JOIN = scalargejoinsel);
CREATE OPERATOR CLASS availability_btree_ops DEFAULT FOR TYPE availability USING btree AS
    OPERATOR 1 <, OPERATOR 2 <=, OPERATOR 3 =, OPERATOR 4 >=, OPERATOR 5 >,
    FUNCTION 1 availability_cmp(availability, availability);

CREATE FUNCTION occurrences(a availability, during tstzrange) RETURNS tstzmultirange
    AS 'MODULE_PATHNAME', 'mn_availability_occurrences' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION occurrences(availability, tstzrange) IS
    'The instants within the range when the schedule is open, DST-correct in its time zone (a bounded range of at '
    'most about twenty years)';

CREATE FUNCTION availability_contains(a availability, during tstzrange) RETURNS boolean
    AS 'MODULE_PATHNAME', 'mn_availability_contains_range' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION availability_contains(availability, tstzrange) IS
    'The schedule is open for the whole range (operator @>); an empty range is always covered';
CREATE OPERATOR @> (LEFTARG = availability, RIGHTARG = tstzrange, FUNCTION = availability_contains);
COMMENT ON OPERATOR @> (availability, tstzrange) IS 'The schedule is open for the whole range';

CREATE FUNCTION overlap_minutes(a availability, b availability,
                                week_start timestamptz DEFAULT date_trunc('week', now())) RETURNS integer
    AS 'MODULE_PATHNAME', 'mn_availability_overlap_minutes' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION overlap_minutes(availability, availability, timestamptz) IS
    'Minutes in the week from week_start (default: this week) when both schedules are open, each in its own zone';
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
    mentorship_id bigint NOT NULL REFERENCES mentorships ON DELETE CASCADE,
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
    mentorship_id bigint NOT NULL REFERENCES mentorships ON DELETE CASCADE,
    assignee_id   bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    creator_id    bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    title         text NOT NULL CONSTRAINT action_items_title_length CHECK (length(btrim(title)) BETWEEN 1 AND 300),
    due_date      date,
    status        @extschema@.action_item_status NOT NULL DEFAULT 'pending',
    completed_at  timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE action_items IS 'Tasks agreed in a mentorship (seed 004): pending -> in_progress -> completed';
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
--------------------------------------------------------------------------------
-- Module sessions (design.md section 7; seeds 001, 004): bookable sessions
-- that never double-book anyone, paid through ledger holds, completed,
-- cancelled by a refund policy or rescheduled; feedback, meeting logs and
-- reminders.
--------------------------------------------------------------------------------

CREATE TABLE settings (
    key         text NOT NULL CONSTRAINT settings_key_format CHECK (key ~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$'),
    shipped     boolean NOT NULL DEFAULT false,
    value       jsonb NOT NULL,
    description text,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (key, shipped)
);
COMMENT ON TABLE settings IS
    'Platform settings. The extension ships defaults (shipped = true); a row with the same key and shipped = false '
    'overrides the default. Read with mentor.setting(key)';
CREATE TRIGGER settings_touch_updated_at BEFORE UPDATE ON settings
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
SELECT pg_catalog.pg_extension_config_dump('settings', 'WHERE NOT shipped');
INSERT INTO settings (key, shipped, value, description) VALUES
    ('session.platform_fee_percent', true, '20', 'Share of a session''s price the platform keeps; the mentor earns the rest'),
    ('session.full_refund_hours', true, '24', 'A mentee who cancels at least this many hours before the start gets everything back'),
    ('session.late_cancel_refund_percent', true, '0', 'Refund, in percent, for a mentee''s later cancellation'),
    ('session.mentee_no_show_refund_percent', true, '0', 'Refund, in percent, when the mentee did not show up'),
    ('session.mentor_no_show_refund_percent', true, '100', 'Refund, in percent, when the mentor did not show up'),
    ('session.hold_grace', true, '"7 days"', 'How long after a session''s end its hold lasts if nobody completes or cancels it');

CREATE FUNCTION setting(key text) RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    v jsonb;
BEGIN
    SELECT s.value INTO v FROM settings s WHERE s.key = setting.key ORDER BY s.shipped LIMIT 1;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown setting "%"', key USING ERRCODE = 'undefined_object',
            HINT = 'SELECT key, value FROM mentor.settings lists them.';
    END IF;
    RETURN v;
END
$$;
COMMENT ON FUNCTION setting(text) IS 'The value of a setting: this database''s override if any, else the shipped default';

CREATE TYPE session_status AS ENUM ('pending', 'proposed', 'requested', 'confirmed', 'rescheduled', 'rejected',
                                    'completed', 'cancelled');
COMMENT ON TYPE session_status IS
    'Session status (lifecycle "session"): pending = an open slot, proposed by the mentor, requested by a mentee, '
    'confirmed, rescheduled (a new time awaits an answer), rejected, completed, cancelled';

CREATE TABLE sessions (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    mentor_id        bigint NOT NULL REFERENCES users ON DELETE RESTRICT,
    mentee_id        bigint REFERENCES users ON DELETE RESTRICT,
    mentorship_id    bigint REFERENCES mentorships ON DELETE SET NULL,
    during           tstzrange NOT NULL,
    status           @extschema@.session_status NOT NULL DEFAULT 'pending',
    title            text,
    agenda           text,
    meeting_link     text CONSTRAINT sessions_meeting_link_http CHECK (meeting_link ~ '^https?://'),
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
    -- the conflicting session, these constraints hold under any race.
    CONSTRAINT sessions_mentor_no_overlap EXCLUDE USING gist (mentor_id WITH =, during WITH &&)
        WHERE (status IN ('pending', 'proposed', 'requested', 'confirmed', 'rescheduled')),
    CONSTRAINT sessions_mentee_no_overlap EXCLUDE USING gist (mentee_id WITH =, during WITH &&)
        WHERE (mentee_id IS NOT NULL AND status IN ('pending', 'proposed', 'requested', 'confirmed', 'rescheduled'))
);
COMMENT ON TABLE sessions IS
    'Mentoring sessions and open slots; neither the mentor nor the mentee is ever in two live sessions that overlap';
COMMENT ON COLUMN sessions.mentee_id IS 'NULL for an open slot a mentor published';
COMMENT ON COLUMN sessions.during IS 'When it takes place (bounded, not empty)';
COMMENT ON COLUMN sessions.price_tokens IS 'Price in tokens, from the mentor''s profile when published';
COMMENT ON COLUMN sessions.hold_id IS 'Idempotency key of the booking; the ledger hold (one transfer per source account)';
COMMENT ON COLUMN sessions.hold_parts IS 'How many transfers the hold has (promo accounts first, then the wallet)';
COMMENT ON COLUMN sessions.refund_tokens IS 'Tokens returned to the mentee when cancelled';
COMMENT ON COLUMN sessions.proposed_during IS 'A new time proposed by proposed_by, awaiting an answer (status rescheduled)';
COMMENT ON COLUMN sessions.reminded_at IS 'When the reminder was sent (mentor.mark_reminded)';
CREATE INDEX sessions_mentee_idx ON sessions (mentee_id) WHERE mentee_id IS NOT NULL;
CREATE INDEX sessions_due_idx ON sessions (lower(during)) WHERE status = 'confirmed' AND reminded_at IS NULL;
CREATE TRIGGER sessions_touch_updated_at BEFORE UPDATE ON sessions
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
SELECT attach_lifecycle('sessions', 'status', 'session');

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
       AND s.status IN ('pending', 'proposed', 'requested', 'confirmed', 'rescheduled')
    UNION ALL
    SELECT * FROM sessions s
     WHERE s.mentee_id = user_id AND s.during && _session_conflict.during
       AND s.status IN ('pending', 'proposed', 'requested', 'confirmed', 'rescheduled')) x
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
    IF TG_OP = 'INSERT' AND lower(NEW.during) <= now() THEN
        RAISE EXCEPTION 'a session cannot start in the past' USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('It would start at %s.', lower(NEW.during));
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION _sessions_check() IS 'Internal: bounded ranges, and no new session in the past (22023)';

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
    fee := charge * (setting('session.platform_fee_percent'))::numeric::bigint / 100;
    IF charge - fee > 0 THEN
        PERFORM credit_earnings(s.mentor_id, charge - fee, _derived_id(s.hold_id, 'earnings'), format('session %s', s.id));
    END IF;
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

-- Requested slots (seed 001): a mentee asks for a time; the price is held at
-- once, so accepting confirms without another payment step.
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
        VALUES (request_session.mentor_id, request_session.mentee_id, request_session.during, 'requested',
                request_session.title, prof.price_tokens)
        RETURNING sessions.id INTO sid;
    EXCEPTION WHEN exclusion_violation THEN
        PERFORM _explain_overlap(request_session.mentor_id, request_session.mentee_id, request_session.during, NULL);
    END;
    IF prof.price_tokens > 0 THEN
        parts := _hold_price(request_session.mentee_id, prof.price_tokens, request_session.id, sid, request_session.during);
        UPDATE sessions s SET hold_id = request_session.id, hold_parts = parts WHERE s.id = sid;
    END IF;
    RETURN sid;
END
$$;
COMMENT ON FUNCTION request_session(bigint, bigint, tstzrange, uuid, text) IS
    'A mentee requests a session at a time of their choice (status requested); the price is held at once. Same '
    'errors as publishing and booking (22023, 23P01, MN002, MN006); id is the idempotency key';

CREATE FUNCTION respond_request(session_id bigint, accept boolean, message text DEFAULT NULL) RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    s        sessions := _lock_session(session_id);
    accepted boolean := coalesce(accept, false);
BEGIN
    IF s.status <> 'requested' THEN
        RAISE EXCEPTION 'session % is not a pending request', s.id USING ERRCODE = 'MN006', DETAIL = format('It is %s.', s.status);
    END IF;
    IF NOT accepted THEN
        PERFORM _settle_hold(s, 0);          -- everything back to the mentee
    END IF;
    UPDATE sessions t SET status = CASE WHEN accepted THEN 'confirmed' ELSE 'rejected' END::session_status,
                          response_message = message, refund_tokens = CASE WHEN accepted THEN NULL ELSE s.price_tokens END
     WHERE t.id = s.id;
    RETURN s.id;
END
$$;
COMMENT ON FUNCTION respond_request(bigint, boolean, text) IS
    'The mentor accepts (confirmed) or rejects (the hold is released) a requested session; MN006 if it is not a request';

CREATE FUNCTION complete_session(session_id bigint) RETURNS boolean
LANGUAGE c
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'mn_complete_session';
COMMENT ON FUNCTION complete_session(bigint) IS
    'Completes a confirmed session that has started: the hold is posted and the mentor earns the price minus the '
    'platform fee (setting session.platform_fee_percent). True if this call completed it, false if it already was '
    '(so concurrent or repeated calls pay once); MN006 for a session in another state';

CREATE FUNCTION cancel_session(session_id bigint, by_user bigint, reason text DEFAULT NULL) RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    s       sessions := _lock_session(session_id);
    percent numeric;
    refund  bigint;
BEGIN
    IF s.status NOT IN ('pending', 'proposed', 'requested', 'confirmed', 'rescheduled') THEN
        RAISE EXCEPTION 'session % cannot be cancelled', s.id USING ERRCODE = 'MN006',
            DETAIL = format('It is %s.', s.status);
    END IF;
    PERFORM _require_participant(s, by_user);
    IF reason IN ('mentor_no_show', 'mentee_no_show') AND lower(s.during) > now() THEN
        RAISE EXCEPTION 'a no-show can only be reported once the session has started' USING ERRCODE = 'MN006';
    END IF;
    percent := CASE
        WHEN reason = 'mentor_no_show' THEN (setting('session.mentor_no_show_refund_percent'))::numeric
        WHEN reason = 'mentee_no_show' THEN (setting('session.mentee_no_show_refund_percent'))::numeric
        WHEN by_user = s.mentor_id THEN 100
        WHEN lower(s.during) - now() >= make_interval(hours => (setting('session.full_refund_hours'))::numeric::int) THEN 100
        ELSE (setting('session.late_cancel_refund_percent'))::numeric END;
    refund := CASE WHEN s.hold_id IS NULL THEN 0 ELSE floor(s.price_tokens * percent / 100)::bigint END;
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
    IF s.status <> 'confirmed' THEN
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
    UPDATE sessions t SET status = 'rescheduled', proposed_during = new_during, proposed_by = by_user,
                          response_message = message
     WHERE t.id = s.id;
    RETURN s.id;
END
$$;
COMMENT ON FUNCTION propose_reschedule(bigint, bigint, tstzrange, text) IS
    'A participant proposes a new time for a confirmed session (status rescheduled until the other answers); '
    '23P01 if either participant is busy then, 22023 for a past or unbounded range';

CREATE FUNCTION respond_reschedule(session_id bigint, by_user bigint, accept boolean, message text DEFAULT NULL)
    RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    s sessions := _lock_session(session_id);
BEGIN
    IF s.status <> 'rescheduled' THEN
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
           SET status = 'confirmed', during = CASE WHEN coalesce(accept, false) THEN s.proposed_during ELSE s.during END,
               proposed_during = NULL, response_message = message
         WHERE t.id = s.id;
    EXCEPTION WHEN exclusion_violation THEN
        PERFORM _explain_overlap(s.mentor_id, s.mentee_id, s.proposed_during, s.id);
    END;
    RETURN s.id;
END
$$;
COMMENT ON FUNCTION respond_reschedule(bigint, bigint, boolean, text) IS
    'The other participant accepts (the session moves) or declines (it stays) a proposed time; the session is '
    'confirmed again either way. MN005 for the proposer or an outsider, MN008 once the proposed time has passed';

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
 WHERE s.status = 'confirmed' AND s.reminded_at IS NULL
   AND lower(s.during) > now() AND lower(s.during) <= now() + within
 ORDER BY lower(s.during)
$$;
COMMENT ON FUNCTION due_reminders(interval) IS
    'Confirmed sessions starting within the interval that have not been reminded; send, then mark_reminded';

CREATE FUNCTION mark_reminded(session_ids bigint[]) RETURNS SETOF bigint
LANGUAGE sql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
UPDATE sessions s SET reminded_at = now()
 WHERE s.id = ANY (session_ids) AND s.reminded_at IS NULL AND s.status = 'confirmed'
RETURNING s.id
$$;
COMMENT ON FUNCTION mark_reminded(bigint[]) IS
    'Marks sessions as reminded and returns those this call marked: two workers racing claim each session once';

SELECT _enable_history_shipped('settings');
SELECT _enable_history_shipped('sessions');
SELECT _enable_history_shipped('session_feedback');
SELECT _enable_history_shipped('meeting_logs');
--------------------------------------------------------------------------------
-- Module matching (design.md section 7; seeds 002, 004): explainable mentor
-- suggestions and cohort matching.  The fit score and the assignment
-- algorithms are C (src/core/matching.c); this file gathers the data.
--------------------------------------------------------------------------------

INSERT INTO settings (key, shipped, value, description) VALUES
    ('matching.weight_skills', true, '0.5', 'Weight of skill fit in the match score'),
    ('matching.weight_availability', true, '0.2', 'Weight of weekly availability overlap'),
    ('matching.weight_capacity', true, '0.15', 'Weight of free capacity (an idle mentor ranks above a nearly full one)'),
    ('matching.weight_rating', true, '0.15', 'Weight of the mentor''s rating'),
    ('matching.rating_prior_mean', true, '4.0', 'Prior mean rating (1-5) of the Bayesian rating'),
    ('matching.rating_prior_count', true, '5', 'Weight of the prior, in ratings: one 5 does not beat fifty 4.8s'),
    ('matching.partial_level_credit', true, '0.5', 'Credit (0-1) for a skill offered below the level the mentee has');

CREATE FUNCTION _matching_weights() RETURNS float8[]
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
SELECT ARRAY[(setting('matching.weight_skills'))::float8, (setting('matching.weight_availability'))::float8,
             (setting('matching.weight_capacity'))::float8, (setting('matching.weight_rating'))::float8,
             (setting('matching.rating_prior_mean'))::float8, (setting('matching.rating_prior_count'))::float8,
             (setting('matching.partial_level_credit'))::float8]
$$;
COMMENT ON FUNCTION _matching_weights() IS 'Internal: the matching weights from settings, in the order _fit takes them';

CREATE FUNCTION _fit(nseeks integer, skills_full integer, skills_partial integer, overlap integer, wanted integer,
                     active integer, max_places integer, rating_mean float8, rating_count integer, weights float8[],
                     OUT score float8, OUT skills float8, OUT availability float8, OUT capacity float8, OUT rating float8,
                     OUT skills_full integer, OUT skills_partial integer)
    AS 'MODULE_PATHNAME', 'mn_fit_counts_sql' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION _fit(integer, integer, integer, integer, integer, integer, integer, float8, integer, float8[]) IS
    'Internal: the fit score of a mentor for a mentee and its parts, from the counts of sought skills offered at '
    'or above / below the mentee''s level (C, src/core/matching.c)';

CREATE FUNCTION _fit_score(nseeks integer, skills_full integer, skills_partial integer, overlap integer, wanted integer,
                           active integer, max_places integer, rating_mean float8, rating_count integer, weights float8[])
    RETURNS float8
    AS 'MODULE_PATHNAME', 'mn_fit_score_sql' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION _fit_score(integer, integer, integer, integer, integer, integer, integer, float8, integer, float8[]) IS
    'Internal: the score of _fit alone, to rank many candidates cheaply';

CREATE FUNCTION _match_cohort(nmentees integer, seek_mentee integer[], seek_skill bigint[], seek_level integer[],
                              offer_mentor integer[], offer_skill bigint[], offer_level integer[],
                              active integer[], max_places integer[], rating_mean float8[], rating_count integer[],
                              excluded_mentee integer[], excluded_mentor integer[], per_mentee integer, method text,
                              weights float8[])
    RETURNS TABLE (mentee integer, mentor integer, score float8, candidates integer)
    AS 'MODULE_PATHNAME', 'mn_match_cohort_sql' LANGUAGE C IMMUTABLE;
COMMENT ON FUNCTION _match_cohort(integer, integer[], bigint[], integer[], integer[], bigint[], integer[], integer[],
                                  integer[], float8[], integer[], integer[], integer[], integer, text, float8[]) IS
    'Internal: scores every pair of a cohort and assigns them (optimal, stable or greedy) under the mentors'' free '
    'places; mentees and mentors numbered from 1 (C, src/core/matching.c)';

CREATE TYPE suggestion_status AS ENUM ('pending', 'accepted', 'declined');
COMMENT ON TYPE suggestion_status IS 'Suggestion status (lifecycle "suggestion")';
CREATE TYPE match_status AS ENUM ('pending', 'approved', 'rejected');
COMMENT ON TYPE match_status IS 'Cohort match status (lifecycle "match"): awaiting an administrator, approved, rejected';

CREATE TABLE suggestions (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    mentee_id     bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    mentor_id     bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    score         numeric(6,4) NOT NULL,
    reasons       jsonb NOT NULL DEFAULT '{}',
    status        @extschema@.suggestion_status NOT NULL DEFAULT 'pending',
    mentorship_id bigint REFERENCES mentorships ON DELETE SET NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE suggestions IS
    'Mentors suggested to a mentee (seed 002) with the reasons; accepted ones start a mentorship request, declined '
    'pairs are never suggested again';
COMMENT ON COLUMN suggestions.reasons IS
    'Why: skills offered at or above / below the mentee''s level, weekly overlap hours, free places, rating, score parts';
CREATE UNIQUE INDEX suggestions_one_pending_per_pair ON suggestions (mentee_id, mentor_id) WHERE status = 'pending';
CREATE INDEX suggestions_declined ON suggestions (mentee_id, mentor_id) WHERE status = 'declined';
CREATE TRIGGER suggestions_touch_updated_at BEFORE UPDATE ON suggestions
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
SELECT attach_lifecycle('suggestions', 'status', 'suggestion');

CREATE TABLE matches (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    mentor_id   bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    mentee_id   bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    score       numeric(6,4),
    method      text NOT NULL CONSTRAINT matches_method CHECK (method IN ('optimal', 'stable', 'greedy', 'manual')),
    goal        text,
    status      @extschema@.match_status NOT NULL DEFAULT 'pending',
    approved_by bigint REFERENCES users ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE matches IS 'Cohort matches (seed 004) awaiting an administrator''s approval (lifecycle "match")';
CREATE TRIGGER matches_touch_updated_at BEFORE UPDATE ON matches
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
SELECT attach_lifecycle('matches', 'status', 'match');

-- The k eligible mentors that fit a mentee best, with the fit and its
-- parts.  Hard filters: accepting, a free place, not the mentee, no live
-- mentorship or declined suggestion for the pair, an active account, and the
-- program flag when asked.  When the mentee seeks skills, the candidates and
-- their skill counts come from the user_skills index on (skill, direction,
-- level) including the user: the inverted list of each sought skill, read
-- index-only, so a mentor who offers none of them is never looked at.  Each
-- candidate's profile is then fetched by its key (OFFSET 0 keeps that a
-- per-candidate index probe rather than a hash of every profile) and ranked by
-- the scalar score; the parts are computed for the k kept.
CREATE FUNCTION _top_fits(mentee_id bigint, k integer, mentee_availability availability DEFAULT NULL,
                          needs_new_mothers_support boolean DEFAULT false)
    RETURNS TABLE (mentor_id bigint, score float8, skills float8, availability float8, capacity float8, rating float8,
                   skills_full integer, skills_partial integer, overlap integer, free_places integer,
                   rating_avg numeric, rating_count integer)
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    seek_skills bigint[];
    seek_levels integer[];
    nseeks      integer;
    week        timestamptz := date_trunc('week', now());
    wanted      integer := CASE WHEN mentee_availability IS NULL THEN 0
                                ELSE overlap_minutes(mentee_availability, mentee_availability, week) END;
    weights     float8[] := _matching_weights();
    -- the mentee's own exclusions, few: an array test per candidate beats
    -- rescanning mentorships and suggestions for each of thousands
    excluded    bigint[] := ARRAY(SELECT ms.mentor_id FROM mentorships ms
                                   WHERE ms.mentee_id = _top_fits.mentee_id AND ms.status IN ('pending', 'active')
                                  UNION
                                  SELECT sg.mentor_id FROM suggestions sg
                                   WHERE sg.mentee_id = _top_fits.mentee_id AND sg.status = 'declined'
                                  UNION
                                  SELECT _top_fits.mentee_id);
BEGIN
    SELECT coalesce(array_agg(us.skill_id), '{}'), coalesce(array_agg(us.level), '{}')
      INTO seek_skills, seek_levels
      FROM user_skills us WHERE us.user_id = _top_fits.mentee_id AND us.direction = 'seeks';
    nseeks := cardinality(seek_skills);
    RETURN QUERY
    WITH credit AS (
        SELECT o.user_id, (count(*) FILTER (WHERE o.level >= s.level))::int AS full,
               (count(*) FILTER (WHERE o.level < s.level))::int AS partial
          FROM unnest(seek_skills, seek_levels) s(skill, level)
          JOIN user_skills o ON o.skill_id = s.skill AND o.direction = 'offers'
         GROUP BY o.user_id
        UNION ALL
        SELECT p.user_id, 0, 0 FROM mentor_profiles p WHERE nseeks = 0),
    ranked AS (
        SELECT p.user_id, c.full, c.partial, ov.m, p.active_mentees, p.max_mentees, p.rating_avg, p.rating_count,
               _fit_score(nseeks, c.full, c.partial, ov.m, wanted, p.active_mentees, p.max_mentees,
                          p.rating_avg::float8, p.rating_count, weights) AS score
          FROM credit c
          CROSS JOIN LATERAL (SELECT * FROM mentor_profiles p
                               WHERE p.user_id = c.user_id AND p.accepting AND p.active_mentees < p.max_mentees
                                 AND p.user_id <> ALL (excluded)
                                 AND (NOT needs_new_mothers_support OR p.supports_new_mothers)
                              OFFSET 0) p
          CROSS JOIN LATERAL (SELECT CASE WHEN mentee_availability IS NULL OR p.availability IS NULL THEN 0
                                          ELSE overlap_minutes(p.availability, mentee_availability, week) END AS m) ov
         WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = p.user_id AND NOT u.active)
         ORDER BY 9 DESC, 1
         LIMIT k)
    SELECT r.user_id, f.score, f.skills, f.availability, f.capacity, f.rating, f.skills_full, f.skills_partial, r.m,
           r.max_mentees - r.active_mentees, r.rating_avg, r.rating_count
      FROM ranked r
      CROSS JOIN LATERAL _fit(nseeks, r.full, r.partial, r.m, wanted, r.active_mentees, r.max_mentees,
                              r.rating_avg::float8, r.rating_count, weights) f
     ORDER BY f.score DESC, r.user_id;
END
$$;
COMMENT ON FUNCTION _top_fits(bigint, integer, availability, boolean) IS
    'Internal: the k eligible mentors that fit a mentee best, with the fit score and its parts';

CREATE FUNCTION _require_user(user_id bigint, what text) RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    IF user_id IS NULL OR NOT EXISTS (SELECT 1 FROM users u WHERE u.id = _require_user.user_id) THEN
        RAISE EXCEPTION '% % does not exist', what, coalesce(user_id::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
END
$$;
COMMENT ON FUNCTION _require_user(bigint, text) IS 'Internal: P0002 unless the user exists';

CREATE FUNCTION suggest_mentors(mentee_id bigint, k integer DEFAULT 10, mentee_availability availability DEFAULT NULL,
                                needs_new_mothers_support boolean DEFAULT false)
    RETURNS TABLE (mentor_id bigint, score numeric, reasons jsonb)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM _require_user(mentee_id, 'mentee');
    IF k IS NULL OR k < 1 OR k > 1000 THEN
        RAISE EXCEPTION 'k must be between 1 and 1000, got %', coalesce(k::text, 'NULL') USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN QUERY
    WITH top AS (SELECT * FROM _top_fits(suggest_mentors.mentee_id, k, mentee_availability, needs_new_mothers_support))
    SELECT t.mentor_id, round(t.score::numeric, 4),
           jsonb_build_object(
               'skills_at_level', (SELECT coalesce(jsonb_agg(s.slug ORDER BY s.slug), '[]')
                                     FROM user_skills se JOIN user_skills o ON o.skill_id = se.skill_id
                                     JOIN skills s ON s.id = se.skill_id
                                    WHERE se.user_id = suggest_mentors.mentee_id AND se.direction = 'seeks'
                                      AND o.user_id = t.mentor_id AND o.direction = 'offers' AND o.level >= se.level),
               'skills_below_level', (SELECT coalesce(jsonb_agg(s.slug ORDER BY s.slug), '[]')
                                        FROM user_skills se JOIN user_skills o ON o.skill_id = se.skill_id
                                        JOIN skills s ON s.id = se.skill_id
                                       WHERE se.user_id = suggest_mentors.mentee_id AND se.direction = 'seeks'
                                         AND o.user_id = t.mentor_id AND o.direction = 'offers' AND o.level < se.level),
               'overlap_hours_per_week', round(t.overlap / 60.0, 1),
               'free_places', t.free_places,
               'rating', t.rating_avg, 'ratings', t.rating_count,
               'parts', jsonb_build_object('skills', round(t.skills::numeric, 3), 'availability', round(t.availability::numeric, 3),
                                           'capacity', round(t.capacity::numeric, 3), 'rating', round(t.rating::numeric, 3)))
      FROM top t
     ORDER BY t.score DESC, t.mentor_id;
END
$$;
COMMENT ON FUNCTION suggest_mentors(bigint, integer, availability, boolean) IS
    'The k mentors that fit a mentee best, with the reasons: weighted skill fit (full credit at or above the '
    'mentee''s level, partial below), weekly availability overlap with mentee_availability, free capacity and a '
    'Bayesian rating (weights in settings, matching.*). Hard filters: accepting, a free place, not oneself, no live '
    'mentorship, not declined before, supports new mothers when asked';

CREATE FUNCTION refresh_suggestions(mentee_id bigint, k integer DEFAULT 10, mentee_availability availability DEFAULT NULL)
    RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    made integer;
BEGIN
    DELETE FROM suggestions s WHERE s.mentee_id = refresh_suggestions.mentee_id AND s.status = 'pending';
    INSERT INTO suggestions (mentee_id, mentor_id, score, reasons)
    SELECT refresh_suggestions.mentee_id, x.mentor_id, x.score, x.reasons
      FROM suggest_mentors(refresh_suggestions.mentee_id, k, mentee_availability) x;
    GET DIAGNOSTICS made = ROW_COUNT;
    RETURN made;
END
$$;
COMMENT ON FUNCTION refresh_suggestions(bigint, integer, availability) IS
    'Replaces a mentee''s pending suggestions with the current best k; returns how many were written';

-- Accepting and declining lock the suggestion first, so that of two racing
-- calls the second sees what the first did.
CREATE FUNCTION _lock_suggestion(suggestion_id bigint) RETURNS suggestions
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    sg suggestions;
BEGIN
    SELECT * INTO sg FROM suggestions s WHERE s.id = suggestion_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'suggestion % does not exist', coalesce(suggestion_id::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
    RETURN sg;
END
$$;
COMMENT ON FUNCTION _lock_suggestion(bigint) IS 'Internal: locks a suggestion row or raises P0002';

CREATE FUNCTION accept_suggestion(suggestion_id bigint) RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    sg suggestions := _lock_suggestion(suggestion_id);
    ms bigint;
BEGIN
    IF sg.status <> 'pending' THEN
        RAISE EXCEPTION 'suggestion % is already %', sg.id, sg.status USING ERRCODE = 'MN006';
    END IF;
    INSERT INTO mentorships (mentor_id, mentee_id, goal) VALUES (sg.mentor_id, sg.mentee_id, NULL) RETURNING id INTO ms;
    UPDATE suggestions s SET status = 'accepted', mentorship_id = ms WHERE s.id = sg.id;
    RETURN ms;
END
$$;
COMMENT ON FUNCTION accept_suggestion(bigint) IS
    'Accepts a pending suggestion: a mentorship request (pending) is created and returned; MN006 if not pending';

CREATE FUNCTION decline_suggestion(suggestion_id bigint) RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    sg suggestions := _lock_suggestion(suggestion_id);
BEGIN
    IF sg.status <> 'pending' THEN
        RAISE EXCEPTION 'suggestion % is not pending', sg.id USING ERRCODE = 'MN006';
    END IF;
    UPDATE suggestions s SET status = 'declined' WHERE s.id = sg.id;
END
$$;
COMMENT ON FUNCTION decline_suggestion(bigint) IS 'Declines a pending suggestion; the pair is never suggested again';

CREATE FUNCTION match_cohort(mentee_ids bigint[], per_mentee integer DEFAULT 1, method text DEFAULT 'optimal',
                             save boolean DEFAULT false)
    RETURNS TABLE (mentee_id bigint, mentor_id bigint, score numeric, reason text)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    unknown bigint[];
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
    -- scored and assigned.
    RETURN QUERY
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
               LEFT JOIN pool r ON r.j = x.mentor),
         saved AS (
             INSERT INTO matches (mentor_id, mentee_id, score, method)
             SELECT r.mentor, r.mentee, round(r.score::numeric, 4), match_cohort.method
               FROM result r WHERE save AND r.mentor IS NOT NULL)
    SELECT r.mentee, r.mentor, round(r.score::numeric, 4),
           CASE WHEN r.mentor IS NOT NULL THEN NULL
                WHEN r.candidates = 0
                THEN 'no eligible mentor (filters: accepting, free place, skills sought, no live mentorship)'
                WHEN match_cohort.method = 'stable'
                THEN 'every eligible mentor''s places went to mentees the mentor ranks higher'
                ELSE 'every eligible mentor''s places went to pairs with a higher total score' END
      FROM result r
     ORDER BY 1, 3 DESC NULLS LAST, 2;
END
$$;
COMMENT ON FUNCTION match_cohort(bigint[], integer, text, boolean) IS
    'Matches a cohort of mentees to mentors at once: optimal (the largest total fit under every mentor''s free '
    'places and per_mentee mentors each, by min-cost flow), stable (mentee-proposing deferred acceptance) or '
    'greedy (highest score first, the baseline). Unmatched mentees come back with a NULL mentor and the reason. '
    'save => true also writes the pairs as matches awaiting approval. 22023 for per_mentee < 1 or an unknown '
    'method, P0002 for unknown mentees, 54000 past 8 million candidate pairs';

SELECT _enable_history_shipped('suggestions');
SELECT _enable_history_shipped('matches');
--------------------------------------------------------------------------------
-- Module security: every grant of the extension's roles, in one place.  The
-- modules before this file create objects and say nothing about who may use
-- them; this file runs last, so its blanket grants cover them all, and then
-- takes back what README's role table says a role may not do.  Row-level
-- security policies and the guard triggers (_keep_owned_columns, the ledger
-- accounts guard) live with the tables they protect; test/pgtap/06_role_matrix.sql
-- tries every path through real logins.
--------------------------------------------------------------------------------

GRANT mentor_app TO mentor_admin;

GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA @extschema@ TO mentor_app, mentor_admin;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA @extschema@ TO mentor_app, mentor_admin;

-- Views are read-only for every role: a simple view is auto-updatable and
-- writes through it with its owner's rights, past every table grant below.
DO $grants$
DECLARE
    v regclass;
BEGIN
    FOR v IN SELECT c.oid FROM pg_class c
              WHERE c.relnamespace = '@extschema@'::regnamespace AND c.relkind IN ('v', 'm') ORDER BY c.relname
    LOOP
        EXECUTE format('REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON %s FROM mentor_app, mentor_analyst, mentor_admin, PUBLIC', v);
    END LOOP;
END
$grants$;

-- Catalogues: applications read them, administrators change them.
REVOKE INSERT, UPDATE, DELETE ON lifecycle_state_defs, lifecycle_transition_defs FROM mentor_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON lifecycle_state_defs, lifecycle_transition_defs TO mentor_admin;
REVOKE INSERT, UPDATE, DELETE ON skills FROM mentor_app;
REVOKE EXECUTE ON FUNCTION define_lifecycle(text, text[]), reset_lifecycle(text),
    _ship_lifecycle(text, text[], boolean), attach_lifecycle(regclass, name, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION define_lifecycle(text, text[]), reset_lifecycle(text),
    attach_lifecycle(regclass, name, text) TO mentor_admin;

-- Analysts: catalogues and analytics views; never users' secrets (emails,
-- names, OAuth ids, password hashes, private notes, message bodies, reviewers).
GRANT SELECT ON lifecycles, lifecycle_transitions, skills, user_skills TO mentor_analyst;

-- History: append-only for everyone; read by analysts and administrators.  The
-- trigger writes it without needing rights on it, and reads the registry.
REVOKE INSERT, UPDATE, DELETE ON history_log, history_contexts, history_tables FROM mentor_app;
-- Views read with their owner's rights: revoking the tables alone would leave history readable.
REVOKE SELECT ON history_log, history_contexts, history, history_enabled_tables FROM mentor_app;
GRANT SELECT ON history_tables TO PUBLIC;
-- Analysts read history through the view, which leaves private columns out; the raw log would not.
GRANT SELECT ON history, history_enabled_tables TO mentor_analyst, mentor_admin;
GRANT SELECT ON history_log, history_contexts TO mentor_admin;
GRANT INSERT, UPDATE ON history_tables TO mentor_admin;
GRANT DELETE ON history_log TO mentor_admin;
REVOKE EXECUTE ON FUNCTION enable_history(regclass, text[]), disable_history(regclass), prune_history(timestamptz),
    _enable_history_shipped(regclass, text[], text[]), set_history_private(regclass, text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION enable_history(regclass, text[]), disable_history(regclass), prune_history(timestamptz),
    set_history_private(regclass, text[]) TO mentor_admin;

-- Ledger: money moves only through the ledger functions, which write the
-- journal directly; nobody writes transfers or entries by SQL.  Purchases,
-- allotments and withdrawals change through their (SECURITY DEFINER)
-- functions only.  Accounts may be opened and closed by the application; their
-- guard trigger keeps balances, identity, allow_negative, names and system
-- accounts out of its reach, and the ledger's C functions refuse it debits of
-- accounts that may go negative and credits of external ones (the token
-- economy's functions own those flows).
REVOKE INSERT, UPDATE, DELETE ON ledger_transfers, ledger_entries FROM mentor_app, mentor_admin;
REVOKE INSERT, UPDATE, DELETE ON token_purchases, token_allotments, withdrawals FROM mentor_app, mentor_admin;
REVOKE DELETE ON ledger_accounts FROM mentor_app, mentor_admin;
DO $grants$
DECLARE
    fn text;
BEGIN
    FOREACH fn IN ARRAY ARRAY[
        'transfer(uuid, bigint, bigint, bigint, text, text, boolean, interval)', 'post_pending(uuid, uuid, bigint)',
        'void_pending(uuid, uuid)', 'expire_pending()',
        'transfer_batch(uuid[], bigint[], bigint[], bigint[], text[], text[], boolean, interval)',
        'open_account(bigint, text, text, boolean, boolean, text, timestamptz)', 'close_account(bigint)',
        'system_account(text, text)', 'wallet(bigint)', 'earnings_account(bigint)', '_owned_account(bigint, text)',
        'grant_promo(bigint, bigint, timestamptz, uuid)',
        'spend_tokens(bigint, bigint, bigint, uuid, text, text, boolean, interval)', 'expire_promos()',
        'purchase_tokens(bigint, bigint, text, uuid)', 'confirm_purchase(uuid)',
        'fail_purchase(uuid, text)', 'cancel_purchase(uuid, text)', 'credit_earnings(bigint, bigint, uuid, text)',
        'request_withdrawal(bigint, bigint, uuid)']
    LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION @extschema@.%s FROM PUBLIC', fn);
        EXECUTE format('GRANT EXECUTE ON FUNCTION @extschema@.%s TO mentor_app', fn);
    END LOOP;
    -- Giving tokens away and paying money out are administrators' decisions.
    FOREACH fn IN ARRAY ARRAY['allot_tokens(bigint[], bigint, uuid, text)', 'approve_withdrawal(uuid)',
                              'reject_withdrawal(uuid, text)', 'mark_withdrawal_paid(uuid, text)']
    LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION @extschema@.%s FROM PUBLIC', fn);
        EXECUTE format('GRANT EXECUTE ON FUNCTION @extschema@.%s TO mentor_admin', fn);
    END LOOP;
    -- Only through confirm/fail/cancel_purchase and approve/reject_withdrawal, which run as the owner.
    REVOKE EXECUTE ON FUNCTION _resolve_request(text, regclass, uuid, text, text, boolean, name, text, text[]) FROM PUBLIC;
END
$grants$;
GRANT SELECT ON ledger_statement TO mentor_analyst;

-- Courses and cross-checks: pairs are written by mentor.crosscheck_distribute,
-- reviews by mentor.crosscheck_submit_review and their discussion by
-- mentor.crosscheck_add_message only; course-wide operations are for the
-- application to offer to course managers.
REVOKE INSERT, UPDATE, DELETE ON task_solution_checkers, task_solution_results FROM mentor_app, mentor_admin;
-- Certificates are issued by mentor.issue_certificates for the score a student reached; an
-- application may withdraw one (DELETE), an administrator also issue one by hand.
REVOKE INSERT, UPDATE ON certificates FROM mentor_app;
GRANT INSERT, UPDATE ON certificates TO mentor_admin;
DO $grants$
DECLARE
    fn text;
BEGIN
    FOREACH fn IN ARRAY ARRAY[
        'crosscheck_distribute(bigint, integer, bigint, boolean)',
        'crosscheck_submit_review(bigint, bigint, bigint, integer, jsonb, text, boolean)',
        'crosscheck_complete(bigint, text)', 'crosscheck_reviewer_flags(bigint, integer)',
        'crosscheck_add_message(bigint, text)',
        'recalculate_scores(bigint)', 'issue_certificates(bigint)', 'distribute_teams(bigint, bigint)']
    LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION @extschema@.%s FROM PUBLIC', fn);
        EXECUTE format('GRANT EXECUTE ON FUNCTION @extschema@.%s TO mentor_app', fn);
    END LOOP;
    REVOKE EXECUTE ON FUNCTION _crosscheck_pairs(bigint[], bigint[], integer, bigint),
        _crosscheck_late_pairs(bigint[], bigint[], boolean[], bigint[], bigint[], integer, bigint),
        _teams_plan(integer[], integer[], integer, integer, integer, bigint),
        _crosscheck_task(bigint, text), _is_course_staff(bigint, bigint), _score_changes(bigint) FROM PUBLIC;
    -- the row-level security policy of task_solution_results calls it
    GRANT EXECUTE ON FUNCTION _is_course_staff(bigint, bigint) TO mentor_app;
END
$grants$;
GRANT SELECT ON crosscheck_progress TO mentor_analyst;
GRANT SELECT (course_id, rank, student_id, user_id, username, total_score, cross_check_score, mentor_username)
    ON course_leaderboard TO mentor_analyst;       -- not full_name

-- Mentorship and sessions: sessions change through their functions (booking,
-- completion, cancellation, rescheduling), which keep the money right; the
-- application may edit a session's descriptive columns.  Settings are for
-- administrators.
REVOKE INSERT, UPDATE, DELETE ON sessions FROM mentor_app, mentor_admin;
GRANT UPDATE (title, agenda, meeting_link, mentorship_id, updated_at) ON sessions TO mentor_app;
REVOKE INSERT, UPDATE, DELETE ON settings FROM mentor_app;
GRANT INSERT, UPDATE, DELETE ON settings TO mentor_admin;
-- Counters and ratings of mentor_profiles are kept by triggers (SECURITY
-- DEFINER); its trigger mentor_profiles_owned_columns refuses any other value
-- for them, so the table stays writable as a whole, as ORMs write it.
DO $grants$
DECLARE
    fn text;
BEGIN
    FOREACH fn IN ARRAY ARRAY[
        'publish_slot(bigint, tstzrange, text)', 'book_session(bigint, bigint, uuid)', 'complete_session(bigint)',
        'cancel_session(bigint, bigint, text)', 'propose_reschedule(bigint, bigint, tstzrange, text)',
        'respond_reschedule(bigint, bigint, boolean, text)', 'due_reminders(interval)', 'mark_reminded(bigint[])',
        'mark_messages_read(bigint, timestamptz)',
        'request_session(bigint, bigint, tstzrange, uuid, text)', 'respond_request(bigint, boolean, text)']
    LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION @extschema@.%s FROM PUBLIC', fn);
        EXECUTE format('GRANT EXECUTE ON FUNCTION @extschema@.%s TO mentor_app', fn);
    END LOOP;
    REVOKE EXECUTE ON FUNCTION _settle_hold(sessions, bigint), _lock_session(bigint),
        _hold_price(bigint, bigint, uuid, bigint, tstzrange) FROM PUBLIC;
END
$grants$;
GRANT SELECT ON settings TO mentor_analyst;

-- Matching: suggestions and matches change through their functions.
REVOKE INSERT, UPDATE, DELETE ON suggestions FROM mentor_app;
DO $grants$
DECLARE
    fn text;
BEGIN
    FOREACH fn IN ARRAY ARRAY[
        'suggest_mentors(bigint, integer, availability, boolean)', 'refresh_suggestions(bigint, integer, availability)',
        'accept_suggestion(bigint)', 'decline_suggestion(bigint)', 'match_cohort(bigint[], integer, text, boolean)']
    LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION @extschema@.%s FROM PUBLIC', fn);
        EXECUTE format('GRANT EXECUTE ON FUNCTION @extschema@.%s TO mentor_app', fn);
    END LOOP;
    REVOKE EXECUTE ON FUNCTION _top_fits(bigint, integer, availability, boolean), _lock_suggestion(bigint) FROM PUBLIC;
END
$grants$;
--------------------------------------------------------------------------------
-- Module dump: pg_dump keeps the data of every table of the extension.
-- Tables created by an extension are left out of a dump unless registered;
-- catalogue tables with shipped rows registered themselves with a filter
-- (WHERE NOT shipped), everything else is registered here whole, with the
-- sequences behind identity columns so restored ids do not collide.
-- Restore with session_replication_role = replica (README, "Backup and
-- restore") so that triggers do not fire a second time on restored rows.
--------------------------------------------------------------------------------
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
