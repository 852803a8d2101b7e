--------------------------------------------------------------------------------
-- Module identity: users, profiles, skills, external accounts, visibility.
--------------------------------------------------------------------------------

CREATE TYPE platform_role AS ENUM ('user', 'mentor', 'admin', 'owner', 'sales', 'mentee', 'expert', 'superadmin', 'new_mother');
COMMENT ON TYPE platform_role IS
    'Platform-wide role, as the platforms write it: user, mentee, new_mother (members); mentor, expert (may mentor); '
    'admin, owner, superadmin (staff); sales. mentor._role_class() says which class a role is in';

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
    username      citext UNIQUE
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
    updated_at    timestamptz NOT NULL DEFAULT now(),
    -- added in 0.2 (after the columns of 0.1, as ALTER TABLE puts them)
    password_changed_at timestamptz
);
COMMENT ON TABLE users IS
    'Every person on the platform (mentors, mentees, students, staff). Inserting a user also creates its profile';
COMMENT ON COLUMN users.email IS 'Login and contact address, unique case-insensitively';
COMMENT ON COLUMN users.username IS
    'Public handle, unique case-insensitively when present (NULL for platforms without handles); 2-40 letters, digits, _ . -';
COMMENT ON COLUMN users.role IS 'Platform role; course roles (student, course mentor, manager) live with the courses';
COMMENT ON COLUMN users.password_hash IS 'Password hash when not using OAuth; never shown by mentor.visible_profile()';
COMMENT ON COLUMN users.github_id IS 'GitHub account id (OAuth login)';
COMMENT ON COLUMN users.google_id IS 'Google account id (OAuth login)';
COMMENT ON COLUMN users.time_zone IS 'IANA time zone of the user, validated against pg_timezone_names';
COMMENT ON COLUMN users.active IS 'false deactivates the account (preferred over deleting, which cascades widely)';

CREATE TRIGGER users_touch_updated_at BEFORE UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
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
        CHECK (onboarding_completed_at IS NULL OR onboarding_status = 'completed'),
    -- added in 0.2 (after the columns of 0.1, as ALTER TABLE puts them)
    years_of_experience_text text CONSTRAINT profiles_years_text_length CHECK (length(years_of_experience_text) <= 40)
);
COMMENT ON TABLE profiles IS 'Professional profile of a user (one per user, created with the user)';
COMMENT ON COLUMN profiles.skills IS 'Free-form skill labels (JSON array); structured skills are in mentor.user_skills';
COMMENT ON COLUMN profiles.interests IS 'Interests (JSON array)';
COMMENT ON COLUMN profiles.availability IS 'Availability as the application describes it (JSON)';
COMMENT ON COLUMN profiles.years_of_experience IS
    'Years of professional experience (0-80); follows years_of_experience_text when that is written';
COMMENT ON COLUMN profiles.years_of_experience_text IS
    'Experience as the person typed it ("5+", "10-15", "3 years"); years_of_experience becomes its first number '
    '(the lower bound), or NULL when it has none';
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

-- Who is platform staff for the extension's checks (see _role_class): admin, owner, superadmin.
CREATE FUNCTION _is_staff(user_id bigint) RETURNS boolean
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$ SELECT EXISTS (SELECT 1 FROM users u WHERE u.id = _is_staff.user_id AND _role_class(u.role) = 'staff' AND u.active) $$;
COMMENT ON FUNCTION _is_staff(bigint) IS 'Internal: the user is active platform staff (admin, owner, superadmin)';

-- The acting user.  C (src/actor.c): only this function may set mentor.actor_id,
-- and only transaction-locally, so it never outlives the request that set it.
CREATE FUNCTION set_actor(user_id bigint) RETURNS bigint
    AS 'MODULE_PATHNAME', 'mn_set_actor' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION set_actor(bigint) IS
    'Sets the acting user for the rest of the current transaction (NULL clears it; P0002 for an unknown user) and '
    'returns it; outside a transaction block it lasts one statement and warns. The only way to set mentor.actor_id';

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

-- Experience as people type it (seed 004): the number follows the text's first number.
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
