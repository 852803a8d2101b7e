-- Secrets: integration tokens encrypted under a key the database never
-- holds, readable in clear by their user only; key rotation; one-time and
-- rotating refresh tokens; API keys; the append-only sign-in log.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS mentor CASCADE;
RESET client_min_messages;
\set SHOW_CONTEXT never

\i sql/helpers/try.psql
\i sql/helpers/tryn.psql
INSERT INTO mentor.users (email, username, full_name) VALUES
    ('sc_a@example.com', 'sc_a', 'Sam Owner'), ('sc_b@example.com', 'sc_b', 'Bo Other');
SELECT id AS a FROM mentor.users WHERE username = 'sc_a' \gset
SELECT id AS b FROM mentor.users WHERE username = 'sc_b' \gset

-- Without a key, nothing is stored, and the error says how to configure one.
ALTER SYSTEM RESET mentor.secret_key_file;
ALTER SYSTEM RESET mentor.previous_secret_key_file;
SELECT pg_reload_conf() AS reloaded, pg_sleep(0.3) IS NOT NULL AS waited;
BEGIN;
SELECT mentor.set_actor(:a) IS NOT NULL AS as_sam;
SELECT split_part(pg_temp.try(format($$SELECT mentor.store_token(%s, 'google', 'x')$$, :a)), ':', 1) AS sqlstate;
SELECT mentor.store_token(:a, 'google', 'ya29.first-access', 'rt-first');
ROLLBACK;

\set keyname one
\i sql/helpers/secret_key.psql
-- The owner stores and reads back; the table holds ciphertext only.
BEGIN;
SET LOCAL ROLE mentor_app;
SELECT mentor.set_actor(:a) IS NOT NULL AS as_sam;
SELECT mentor.store_token(:a, 'google', 'ya29.first-access', 'rt-first', now() + interval '1 hour', 'calendar') AS tid \gset
SELECT access_token, refresh_token, provider, scopes FROM mentor.read_token(:tid);
-- A new access token without a refresh token keeps the stored refresh token.
SELECT mentor.store_token(:a, 'google', 'ya29.second-access') = :tid AS same_row;
SELECT access_token, refresh_token FROM mentor.read_token(:tid);
SELECT provider, scopes, key_id ~ '^[0-9a-f]{16}$' AS fingerprint FROM mentor.integration_tokens;
SELECT pg_temp.try('SELECT access_token FROM mentor.integration_tokens') ~ '^42501' AS ciphertext_not_selectable;
-- Another user can neither read it nor store for Sam.
SELECT mentor.set_actor(:b) IS NOT NULL AS as_bo;
SELECT pg_temp.tryn(format('SELECT * FROM mentor.read_token(%s)', :tid));
SELECT pg_temp.tryn(format($$SELECT mentor.store_token(%s, 'google', 'x')$$, :a));
SELECT count(*) AS rows_bo_sees FROM mentor.integration_tokens;
COMMIT;
SELECT position('ya29' IN encode(access_token, 'escape')) = 0 AND position('rt-first' IN encode(refresh_token, 'escape')) = 0
       AS no_plain_text FROM mentor.integration_tokens;
SELECT count(*) AS audited FROM mentor.history_tables WHERE table_name = 'mentor.integration_tokens';

-- Rotation: under a new key the old rows are unreadable until the previous key is named;
-- rotate_secret_key() moves them all, in one call.
SELECT current_setting('mentor.secret_key_file') AS old_keyfile \gset
\set keyname two
\i sql/helpers/secret_key.psql
BEGIN;
SELECT mentor.set_actor(:a) IS NOT NULL AS as_sam;
SELECT pg_temp.try(format('SELECT * FROM mentor.read_token(%s)', :tid)) ~ '^55000: integration token \d+ was encrypted with a key the server does not have' AS unreadable;
ROLLBACK;
SELECT pg_temp.try('SELECT mentor.rotate_secret_key()') ~ '^55000: 1 integration tokens are encrypted with neither' AS rotation_needs_the_old_key;
\o /dev/null
\set ECHO none
SELECT format('ALTER SYSTEM SET mentor.previous_secret_key_file = %L', :'old_keyfile') \gexec
\set ECHO all
\o
SELECT pg_reload_conf() AS reloaded, pg_sleep(0.3) IS NOT NULL AS waited;
SELECT mentor.rotate_secret_key() AS rotated;
SELECT mentor.rotate_secret_key() AS rotated_again;
ALTER SYSTEM RESET mentor.previous_secret_key_file;
SELECT pg_reload_conf() AS reloaded, pg_sleep(0.3) IS NOT NULL AS waited;
BEGIN;
SELECT mentor.set_actor(:a) IS NOT NULL AS as_sam;
SELECT access_token, refresh_token FROM mentor.read_token(:tid);
ROLLBACK;

-- One-time tokens: used once; a second use, an expired or an unknown token change nothing.
SELECT mentor.issue_token('email_verification', :a, interval '1 hour', '{"email": "sc_a@example.com"}') AS tok \gset
SELECT length(:'tok') AS token_length, (SELECT count(*) FROM mentor.one_time_tokens WHERE token_hash = sha256(convert_to(:'tok', 'UTF8'))) AS stored_as_hash;
SELECT pg_temp.try(format($$SELECT * FROM mentor.consume_token('password_reset', %L)$$, :'tok'));
SELECT user_id = :a AS for_sam, subject FROM mentor.consume_token('email_verification', :'tok');
SELECT regexp_replace(pg_temp.try(format($$SELECT * FROM mentor.consume_token('email_verification', %L)$$, :'tok')), ' \(.*', '') AS again;
SELECT mentor.issue_token('meeting_action', NULL, interval '1 millisecond', '{"session_id": 7, "action": "accept"}') AS old \gset
SELECT pg_sleep(0.01);
SELECT regexp_replace(pg_temp.try(format($$SELECT * FROM mentor.consume_token('meeting_action', %L)$$, :'old')), ' \(.*', '') AS expired;
SELECT count(*) AS still_unused FROM mentor.one_time_tokens WHERE kind = 'meeting_action' AND used_at IS NULL;
SELECT pg_temp.try($$SELECT mentor.issue_token('Bad Kind', NULL)$$) ~ '^23514' AS bad_kind;
SELECT pg_temp.try($$SELECT mentor.issue_token('login_state', NULL, interval '-1 minute')$$);

-- Refresh tokens rotate; reusing a rotated one revokes the whole family.
SELECT mentor.issue_refresh_token(:a) AS r1 \gset
SELECT next_token AS r2, outcome FROM mentor.rotate_refresh_token(:'r1') \gset
SELECT :'outcome' AS outcome, :'r2' <> :'r1' AS new_token;
SELECT next_token AS r3 FROM mentor.rotate_refresh_token(:'r2') \gset
SELECT next_token IS NULL AS no_token, user_id = :a AS for_sam, outcome FROM mentor.rotate_refresh_token(:'r1');
SELECT count(*) FILTER (WHERE revoked_at IS NULL) AS live, count(*) AS family FROM mentor.refresh_tokens WHERE user_id = :a;
SELECT regexp_replace(pg_temp.try(format($$SELECT * FROM mentor.rotate_refresh_token(%L)$$, :'r3')), ' \(.*', '') AS thief_or_owner;
SELECT pg_temp.try($$SELECT * FROM mentor.rotate_refresh_token('nope')$$);
SELECT mentor.issue_refresh_token(:a, interval '1 millisecond') AS r9 \gset
SELECT pg_sleep(0.01);
SELECT regexp_replace(pg_temp.try(format($$SELECT * FROM mentor.rotate_refresh_token(%L)$$, :'r9')), ' \(.*', '') AS expired;
SELECT mentor.revoke_refresh_tokens(:a) AS signed_out_everywhere;

-- API keys: shown once, stored as a hash, looked up by prefix; disabled and revoked keys fail.
SELECT id AS kid, api_key AS k FROM mentor.create_api_key('Lead vendor', 'acme') \gset
SELECT :'k' ~ '^mk_[a-z0-9]{12}\.[A-Za-z0-9_-]{43}$' AS key_format,
       (SELECT secret_hash = sha256(convert_to(:'k', 'UTF8')) FROM mentor.api_keys WHERE id = :kid) AS stored_as_hash;
SELECT mentor.verify_api_key(:'k') = :kid AS valid, mentor.verify_api_key(:'k') = :kid AS valid_twice;
SELECT mentor.verify_api_key(left(:'k', 16) || repeat('A', 43)) IS NULL AS wrong_secret,
       mentor.verify_api_key('mk_000000000000.' || repeat('A', 43)) IS NULL AS unknown_prefix;
SELECT pg_temp.try($$SELECT mentor.verify_api_key('mk_short.secret')$$);
SELECT pg_temp.try($$SELECT mentor.verify_api_key(NULL)$$);
SELECT name, vendor, calls FROM mentor.api_key_usage_daily WHERE key_id = :kid;
UPDATE mentor.api_keys SET status = 'disabled' WHERE id = :kid;
SELECT mentor.verify_api_key(:'k') IS NULL AS disabled_fails;
UPDATE mentor.api_keys SET status = 'revoked' WHERE id = :kid;
SELECT pg_temp.try(format($$UPDATE mentor.api_keys SET status = 'active' WHERE id = %s$$, :kid)) ~ '^MN001' AS revoked_is_final;
SELECT count(*) AS secret_hash_in_history FROM mentor.history WHERE table_name = 'mentor.api_keys' AND new_row ? 'secret_hash';

-- Sign-in events: appended, never changed; a successful login moves last_login_at, a failure does not.
SELECT mentor.record_login(:a, 'login', '192.0.2.1', 'curl/8', 'password') IS NOT NULL AS logged_in;
SELECT last_login_at IS NOT NULL AS stamped FROM mentor.users WHERE id = :a;
SELECT last_login_at AS first_login FROM mentor.users WHERE id = :a \gset
SELECT mentor.record_login(:a, 'failed_login', method => 'password') IS NOT NULL AS failed;
SELECT last_login_at = :'first_login' AS unchanged_by_failure FROM mentor.users WHERE id = :a;
SELECT event, method, success FROM mentor.login_events WHERE user_id = :a ORDER BY id;
SELECT pg_temp.try(format('UPDATE mentor.login_events SET success = true WHERE user_id = %s', :a));
SELECT pg_temp.try(format('DELETE FROM mentor.login_events WHERE user_id = %s', :a));
SELECT pg_temp.try('TRUNCATE mentor.login_events');
DELETE FROM mentor.users WHERE id = :b;
SELECT count(*) AS bo_events_left FROM mentor.login_events WHERE user_id = :b;

ALTER SYSTEM RESET mentor.secret_key_file;
SELECT pg_reload_conf() AS reloaded;
