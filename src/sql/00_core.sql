-- mentor extension install script, assembled from src/sql/NN_module.sql by the Makefile.
\echo Use "CREATE EXTENSION mentor CASCADE" to load this file. \quit

--------------------------------------------------------------------------------
-- Module core: roles, shared domains, the acting user, updated_at, settings.
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

CREATE FUNCTION _range_bounds() RETURNS trigger
    AS 'MODULE_PATHNAME', 'mn_range_bounds' LANGUAGE C;
COMMENT ON FUNCTION _range_bounds() IS
    'BEFORE INSERT OR UPDATE FOR EACH ROW trigger (arguments: triples of a range column and its lower and upper '
    'bound columns): the bound columns follow the range; bounds written alone set the range [lower, upper); both '
    'written and disagreeing is 22023';

-- Platform settings: every module ships its defaults into it (sessions, matching, ...).
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

