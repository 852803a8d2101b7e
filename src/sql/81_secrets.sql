--------------------------------------------------------------------------------
-- Module secrets: integration tokens encrypted at rest, one-time and refresh
-- tokens and API keys stored as hashes, and the append-only sign-in log.
-- The encryption key lives in a file outside the database (src/secrets.c
-- says why not in a setting); tables hold ciphertext and a fingerprint of the
-- key that made it, so a rotation knows which rows are still to do.
--------------------------------------------------------------------------------

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
