-- Read-only transactions (and so hot standbys, where every transaction is
-- one): every function that moves money or writes history raises
-- PostgreSQL's own 25006 and changes nothing, although the ledger writes the
-- heap directly, past the executor's own check.  Each call runs with
-- transaction_read_only switched on inside throws_ok's subtransaction, so the
-- setting ends with it; the same calls then succeed read-write.
BEGIN;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS mentor CASCADE;
RESET client_min_messages;
SELECT plan(37);

CREATE FUNCTION pg_temp.ro(q text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('transaction_read_only', 'on', true);
    EXECUTE q;
END $$;
-- A read's answer, read-only: the value travels out in an error, whose subtransaction
-- takes the read-only setting with it.
CREATE FUNCTION pg_temp.ro_val(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    r text;
BEGIN
    BEGIN
        PERFORM set_config('transaction_read_only', 'on', true);
        EXECUTE q INTO r;
        RAISE EXCEPTION USING ERRCODE = 'ZRO01', MESSAGE = coalesce(r, '<null>');
    EXCEPTION WHEN SQLSTATE 'ZRO01' THEN
        RETURN SQLERRM;
    END;
END $$;
-- What a refused call could have changed: transfers, entries, balances, sessions, history.
CREATE FUNCTION pg_temp.state() RETURNS text LANGUAGE sql AS $$
SELECT concat_ws('/', (SELECT count(*) FROM mentor.ledger_transfers), (SELECT count(*) FROM mentor.ledger_entries),
                 (SELECT sum(posted + pending_debits + pending_credits) FROM mentor.ledger_accounts),
                 (SELECT string_agg(status::text, ',' ORDER BY id) FROM mentor.sessions),
                 (SELECT count(*) FROM mentor.history_log))
$$;

\o /dev/null
INSERT INTO mentor.users (email, username, full_name, role) VALUES
    ('ro_mentor@example.com', 'ro_mentor', 'RO Mentor', 'mentor'), ('ro_mentee@example.com', 'ro_mentee', 'RO Mentee', 'user');
SELECT id AS m FROM mentor.users WHERE username = 'ro_mentor' \gset
SELECT id AS u FROM mentor.users WHERE username = 'ro_mentee' \gset
INSERT INTO mentor.mentor_profiles (user_id, price_tokens) VALUES (:m, 10);
SELECT mentor.transfer('00000000-0000-4000-8000-0000000000a1', mentor.system_account('external'), mentor.wallet(:u), 500, 'purchase') IS NOT NULL AS funded;
SELECT mentor.transfer('00000000-0000-4000-8000-0000000000a2', mentor.wallet(:u), mentor.system_account('revenue'), 5, 'spend',
                       pending => true) IS NOT NULL AS held;
SELECT mentor.publish_slot(:m, tstzrange(date_trunc('hour', now()) + interval '3 days', date_trunc('hour', now()) + interval '3 days 1 hour')) AS open_slot \gset
SELECT mentor.publish_slot(:m, tstzrange(date_trunc('hour', now()) + interval '4 days', date_trunc('hour', now()) + interval '4 days 1 hour')) AS booked \gset
SELECT mentor.book_session(:booked, :u, '00000000-0000-4000-8000-0000000000a3') = :booked AS booked_one;
SELECT pg_temp.state() AS before \gset
\o

SELECT throws_ok(format($$SELECT pg_temp.ro('SELECT mentor.transfer(gen_random_uuid(), mentor.wallet(%s), mentor.system_account(''revenue''), 1, ''spend'')')$$, :u),
                 '25006', 'cannot execute mentor.transfer() in a read-only transaction', 'transfer: 25006, naming the function');
SELECT throws_ok(format($$SELECT pg_temp.ro('SELECT mentor.transfer(''00000000-0000-4000-8000-0000000000a1'', mentor.system_account(''external''), mentor.wallet(%s), 500, ''purchase'')')$$, :u),
                 '25006', NULL, 'transfer: also an idempotent repeat of a committed one');
SELECT throws_ok(format($$SELECT pg_temp.ro('SELECT count(*) FROM mentor.transfer_batch(ARRAY[gen_random_uuid()], ARRAY[mentor.wallet(%s)], ARRAY[mentor.system_account(''revenue'')], ARRAY[1::bigint], ARRAY[''spend''])')$$, :u),
                 '25006', NULL, 'transfer_batch');
SELECT throws_ok($$SELECT pg_temp.ro('SELECT mentor.post_pending(''00000000-0000-4000-8000-0000000000a2'', gen_random_uuid())')$$,
                 '25006', NULL, 'post_pending');
SELECT throws_ok($$SELECT pg_temp.ro('SELECT mentor.void_pending(''00000000-0000-4000-8000-0000000000a2'', gen_random_uuid())')$$,
                 '25006', NULL, 'void_pending');
SELECT throws_ok($$SELECT pg_temp.ro('SELECT mentor.expire_pending()')$$, '25006', NULL, 'expire_pending');
SELECT throws_ok(format($$SELECT pg_temp.ro('SELECT count(*) FROM mentor.spend_tokens(%s, 5, mentor.system_account(''revenue''), gen_random_uuid())')$$, :u),
                 '25006', NULL, 'spend_tokens');
SELECT throws_ok(format($$SELECT pg_temp.ro('SELECT mentor.grant_promo(%s, 5, now() + interval ''1 day'', gen_random_uuid())')$$, :u),
                 '25006', NULL, 'grant_promo');
SELECT throws_ok(format($$SELECT pg_temp.ro('SELECT mentor.purchase_tokens(%s, 5, ''ref-ro'', gen_random_uuid())')$$, :u),
                 '25006', NULL, 'purchase_tokens');
SELECT throws_ok(format($$SELECT pg_temp.ro('SELECT mentor.allot_tokens(ARRAY[%s]::bigint[], 5, gen_random_uuid(), ''ro'')')$$, :u),
                 '25006', NULL, 'allot_tokens');
SELECT throws_ok(format($$SELECT pg_temp.ro('SELECT mentor.credit_earnings(%s, 5, gen_random_uuid())')$$, :m),
                 '25006', NULL, 'credit_earnings');
SELECT throws_ok(format($$SELECT pg_temp.ro('SELECT mentor.book_session(%s, %s, gen_random_uuid())')$$, :open_slot, :u),
                 '25006', 'cannot execute mentor.book_session() in a read-only transaction', 'book_session');
SELECT throws_ok(format($$SELECT pg_temp.ro('SELECT mentor.complete_session(%s)')$$, :booked),
                 '25006', NULL, 'complete_session');
SELECT throws_ok(format($$SELECT pg_temp.ro('SELECT mentor.cancel_session(%s, %s, ''ro'')')$$, :booked, :u),
                 '25006', NULL, 'cancel_session');
SELECT throws_ok(format($$SELECT pg_temp.ro('SELECT mentor.open_account(%s, ''escrow'')')$$, :u),
                 '25006', NULL, 'open_account');
SELECT throws_ok($$SELECT pg_temp.ro('SELECT mentor.prune_history(now())')$$, '25006', NULL, 'prune_history');
SELECT throws_ok(format($$SELECT pg_temp.ro('SELECT mentor.restore_row(''mentor.users'', ''{"id": %s}'', now() - interval ''1 hour'')')$$, :u),
                 '25006', NULL, 'restore_row');
SELECT is(pg_temp.state(), :'before', 'nothing changed: transfers, entries, balances, sessions and history are as they were');

-- Reads keep working read-only.
SELECT lives_ok(format($$SELECT pg_temp.ro('SELECT mentor.balance(mentor.wallet(%s))')$$, :u), 'balance() reads read-only');
SELECT lives_ok($$SELECT pg_temp.ro('SELECT count(*) FROM mentor.ledger_check()')$$, 'ledger_check() reads read-only');
SELECT lives_ok(format($$SELECT pg_temp.ro('SELECT count(*) FROM mentor.row_history(''mentor.users'', ''{"id": %s}'')')$$, :u),
                'row_history() reads read-only');

-- Reads that used to write or lock: a cohort matched without save, reviewer flags (no
-- lock on the task), and account lookups (NULL for an account not opened yet).
SELECT lives_ok(format($$SELECT pg_temp.ro('SELECT count(*) FROM mentor.match_cohort(ARRAY[%s]::bigint[])')$$, :u),
                'match_cohort() without save runs read-only');
SELECT throws_ok(format($$SELECT pg_temp.ro('SELECT count(*) FROM mentor.match_cohort(ARRAY[%s]::bigint[], save => true)')$$, :u),
                 '25006', NULL, 'match_cohort(save => true) is a write');
SELECT throws_ok($$SELECT pg_temp.ro('SELECT count(*) FROM mentor.crosscheck_reviewer_flags(-1)')$$, 'P0002', NULL,
                 'crosscheck_reviewer_flags() reads without locking (an unknown task is P0002, not a refused lock)');
SELECT is(pg_temp.ro_val(format('SELECT mentor.earnings_account(%s)', :u)), '<null>',
          'earnings_account() of a user who has none yet: NULL read-only');
SELECT is(pg_temp.ro_val(format('SELECT mentor.wallet(%s) = mentor.wallet(%s)', :u, :u)), 'true',
          'wallet() of an existing wallet answers read-only');
SELECT is((SELECT count(*) FROM mentor.ledger_accounts WHERE owner_id = :u AND kind = 'earnings'), 0::bigint,
          'and the lookup opened no account');

-- Notifications and secrets: the outbox and one-time tokens are writes (25006); an API key is
-- checked read-only, as on a standby, without counting the use.
SELECT throws_ok(format($$SELECT pg_temp.ro('SELECT mentor.notify(%s, ''session.booked'')')$$, :u), '25006', NULL, 'notify');
SELECT throws_ok($$SELECT pg_temp.ro('SELECT count(*) FROM mentor.claim_notifications(''email'', ''ro-worker'')')$$, '25006', NULL,
                 'claim_notifications');
SELECT mentor.issue_token('password_reset', :u) AS ro_token \gset
SELECT throws_ok(format($$SELECT pg_temp.ro('SELECT * FROM mentor.consume_token(''password_reset'', ''%s'')')$$, :'ro_token'), '25006', NULL,
                 'consume_token');
SELECT id AS ro_key_id, api_key AS ro_key FROM mentor.create_api_key('read-only check') \gset
SELECT is(pg_temp.ro_val(format('SELECT mentor.verify_api_key(%L)::text', :'ro_key')), :'ro_key_id',
          'verify_api_key answers in a read-only transaction');
SELECT is((SELECT count(*) FROM mentor.api_key_usage WHERE key_id = :ro_key_id), 0::bigint, 'without counting the use');

-- Read-write, the same calls go through.
SELECT lives_ok(format($$SELECT mentor.transfer(gen_random_uuid(), mentor.wallet(%s), mentor.system_account('revenue'), 1, 'spend')$$, :u),
                'transfer read-write');
SELECT lives_ok($$SELECT mentor.post_pending('00000000-0000-4000-8000-0000000000a2', gen_random_uuid())$$, 'post_pending read-write');
SELECT lives_ok(format($$SELECT mentor.book_session(%s, %s, gen_random_uuid())$$, :open_slot, :u), 'book_session read-write');
SELECT isnt(pg_temp.state(), :'before', 'and they change the ledger');
SELECT is((SELECT count(*) FROM mentor.ledger_check()), 0::bigint, 'the books balance');

SELECT * FROM finish();
ROLLBACK;
