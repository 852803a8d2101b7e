\echo
\echo '--- 46. Every booking above told people, in the same transaction: the outbox for Grace and Lucas'
SELECT u.username, n.type_code, n.channel_code, n.status, coalesce(n.address, '-') AS address
  FROM mentor.notifications n JOIN mentor.users u ON u.id = n.user_id
 WHERE u.username IN ('grace', 'lucas') AND n.type_code LIKE 'session.%' ORDER BY n.id LIMIT 8;

\echo
\echo '--- 47. A mail worker claims the email outbox (SKIP LOCKED: workers never wait or collide), sends, reports'
SELECT count(*) AS claimed FROM mentor.claim_notifications('email', 'mailer-1', 100);
SELECT min(id) AS first FROM mentor.notifications WHERE lease_owner = 'mailer-1' \gset
SELECT count(mentor.mark_sent(id, 'mailer-1', 'smtp-' || id)) AS sent FROM mentor.notifications WHERE lease_owner = 'mailer-1';
\echo 'A retried report does not send twice, and another worker finds nothing left of them:'
SELECT demo.try(format($$SELECT mentor.mark_sent(%s, 'mailer-1')$$, :first)) AS result;
SELECT count(*) AS claimed_by_mailer_2 FROM mentor.claim_notifications('email', 'mailer-2', 100);
SELECT status, count(*) FROM mentor.notifications WHERE channel_code = 'email' GROUP BY 1 ORDER BY 1;

\echo
\echo '--- 48. Lucas''s in-app inbox: only his own rows are readable (row-level security), with an unread count'
BEGIN;
SET LOCAL ROLE mentor_app;
SELECT mentor.set_actor(id) IS NOT NULL AS as_lucas FROM mentor.users WHERE username = 'lucas';
SELECT count(*) AS rows_lucas_can_read, mentor.unread_notifications() AS unread,
       bool_and(u.username = 'lucas') AS all_his FROM mentor.notifications n JOIN mentor.users u ON u.id = n.user_id;
SELECT mentor.mark_notifications_read() AS marked_read;
SELECT mentor.unread_notifications() AS unread_now;
COMMIT;

\echo
\echo '--- 49. Secrets: Lucas connects Google Calendar; the token is encrypted under a key the database never holds'
-- (the demo writes a random key file into the throwaway cluster's data directory and leaves it
-- configured, so read_token works in psql afterwards; in production keep the key elsewhere)
\o /dev/null
SELECT current_setting('data_directory') || '/mentor_demo.key' AS keyfile \gset
SELECT format('COPY (SELECT %L) TO %L', md5(random()::text) || md5(random()::text), :'keyfile') \gexec
LOAD 'mentor';
SELECT format('ALTER SYSTEM SET mentor.secret_key_file = %L', :'keyfile') \gexec
SELECT pg_reload_conf(), pg_sleep(0.3);
\o
BEGIN;
SET LOCAL ROLE mentor_app;
SELECT mentor.set_actor(id) IS NOT NULL AS as_lucas FROM mentor.users WHERE username = 'lucas';
SELECT mentor.store_token(mentor.current_actor(), 'google', 'ya29.lucas-calendar-access', 'lucas-refresh', now() + interval '1 hour', 'calendar') AS token_id \gset
SELECT provider, access_token, refresh_token FROM mentor.read_token(:token_id);
\echo 'Kenji asks for Lucas''s token, then selects the column:'
SELECT mentor.set_actor(id) IS NOT NULL AS as_kenji FROM mentor.users WHERE username = 'kenji';
SELECT demo.try(format('SELECT * FROM mentor.read_token(%s)', :token_id)) AS result;
SELECT demo.try('SELECT access_token FROM mentor.integration_tokens') AS result;
COMMIT;
SELECT left(encode(access_token, 'hex'), 32) || '...' AS what_the_table_holds, key_id FROM mentor.integration_tokens;

\echo
\echo '--- 50. A one-time password-reset link works once; a vendor''s API key is shown once and checked by hash'
SELECT mentor.issue_token('password_reset', id, interval '30 minutes') AS reset FROM mentor.users WHERE username = 'kenji' \gset
SELECT u.username AS reset_for FROM mentor.consume_token('password_reset', :'reset') c JOIN mentor.users u ON u.id = c.user_id;
SELECT demo.try(format($$SELECT mentor.consume_token('password_reset', %L)$$, :'reset')) AS used_again;
SELECT api_key AS key FROM mentor.create_api_key('Lead vendor', 'acme') \gset
SELECT left(:'key', 16) || '...' AS shown_once, mentor.verify_api_key(:'key') IS NOT NULL AS valid,
       mentor.verify_api_key(left(:'key', 16) || repeat('x', 43)) IS NULL AS forged_is_refused;
