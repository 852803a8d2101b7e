-- Ledger module: double-entry token ledger and the token economy on top.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS mentor CASCADE;
RESET client_min_messages;
\set SHOW_CONTEXT never

-- Shows the SQLSTATE and message of a failing statement (and 'ok' otherwise),
-- so every error case below states exactly which code it raises.
CREATE FUNCTION pg_temp.try(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
-- A readable uuid: u(7) = 00000000-0000-0000-0000-000000000007.
CREATE FUNCTION pg_temp.u(n int) RETURNS uuid LANGUAGE sql IMMUTABLE AS $$
    SELECT lpad(to_hex(n), 32, '0')::uuid $$;
CREATE FUNCTION pg_temp.bal(acct bigint) RETURNS text LANGUAGE sql AS $$
    SELECT format('posted %s, held %s, incoming %s, available %s', posted, pending_debits, pending_credits, available)
      FROM mentor.balance(acct) $$;

-- Signup opens a wallet (seed 001, journey 1).
INSERT INTO mentor.users (email, username, full_name) VALUES
    ('ana@example.com', 'ana', 'Ana Mentee'), ('ben@example.com', 'ben', 'Ben Mentor'),
    ('cy@example.com', 'cy', 'Cy Mentee');
SELECT u.username, a.kind, a.asset, a.posted, a.track_balance
  FROM mentor.ledger_accounts a JOIN mentor.users u ON u.id = a.owner_id ORDER BY u.id;
SELECT id AS ana FROM mentor.users WHERE username = 'ana' \gset
SELECT id AS ben FROM mentor.users WHERE username = 'ben' \gset
SELECT id AS cy FROM mentor.users WHERE username = 'cy' \gset
SELECT mentor.wallet(:ana) AS w_ana, mentor.wallet(:ben) AS w_ben, mentor.wallet(:cy) AS w_cy \gset
SELECT mentor.system_account('external') AS ext, mentor.system_account('revenue') AS rev \gset
SELECT mentor.wallet(:ana) = :w_ana AS wallet_is_stable;

-- Opening accounts: bad input is refused with 22023.
SELECT pg_temp.try($$SELECT mentor.open_account(1, 'piggy bank')$$);
SELECT pg_temp.try($$SELECT mentor.open_account(1, 'wallet', 'token')$$);
SELECT pg_temp.try($$SELECT mentor.open_account(NULL, 'platform', track_balance => false)$$);
SELECT pg_temp.try($$SELECT mentor.open_account(NULL, 'platform')$$);
SELECT pg_temp.try($$SELECT mentor.system_account('bank')$$);
SELECT mentor.open_account(NULL, 'escrow', 'GEM', name => 'gem escrow') AS gem \gset

-- A purchase moves tokens from the external account into a wallet.
SELECT mentor.transfer(pg_temp.u(1), :ext, :w_ana, 100, 'purchase', 'order-1') = pg_temp.u(1) AS transferred;
SELECT pg_temp.bal(:w_ana) AS ana, pg_temp.bal(:ext) AS external;
-- Retrying the same call is safe: same id, same answer, no second effect.
SELECT mentor.transfer(pg_temp.u(1), :ext, :w_ana, 100, 'purchase', 'order-1') = pg_temp.u(1) AS retried;
SELECT pg_temp.bal(:w_ana) AS ana_after_retry;
-- The same id with anything else different is a conflict (MN003).
SELECT pg_temp.try(format($$SELECT mentor.transfer(%L, %s, %s, 101, 'purchase', 'order-1')$$, pg_temp.u(1), :ext, :w_ana));
SELECT pg_temp.try(format($$SELECT mentor.transfer(%L, %s, %s, 100, 'purchase', 'order-2')$$, pg_temp.u(1), :ext, :w_ana));

-- Bad transfers change nothing and say why.
SELECT pg_temp.try(format($$SELECT mentor.transfer(%L, %s, %s, 0, 'spend')$$, pg_temp.u(2), :w_ana, :w_ben));
SELECT pg_temp.try(format($$SELECT mentor.transfer(%L, %s, %s, -5, 'spend')$$, pg_temp.u(2), :w_ana, :w_ben));
SELECT pg_temp.try(format($$SELECT mentor.transfer(%L, %s, %s, 99999999999999999999::bigint, 'spend')$$, pg_temp.u(2), :w_ana, :w_ben));
SELECT pg_temp.try(format($$SELECT mentor.transfer(%L, %s, %s, 5, 'spend')$$, pg_temp.u(2), :w_ana, :w_ana));
SELECT pg_temp.try(format($$SELECT mentor.transfer(%L, %s, %s, 5, 'gift')$$, pg_temp.u(2), :w_ana, :w_ben));
SELECT pg_temp.try(format($$SELECT mentor.transfer(%L, %s, 999999, 5, 'spend')$$, pg_temp.u(2), :w_ana));
SELECT pg_temp.try(format($$SELECT mentor.transfer(%L, %s, %s, 5, 'spend')$$, pg_temp.u(2), :w_ana, :gem));
SELECT pg_temp.try(format($$SELECT mentor.transfer(NULL, %s, %s, 5, 'spend')$$, :w_ana, :w_ben));
SELECT pg_temp.try(format($$SELECT mentor.transfer(%L, %s, %s, 101, 'spend')$$, pg_temp.u(2), :w_ana, :w_ben));
SELECT pg_temp.try(format($$SELECT mentor.transfer(%L, %s, %s, 5, 'spend', timeout => '1 hour')$$, pg_temp.u(2), :w_ana, :w_ben));
SELECT pg_temp.try(format($$SELECT mentor.transfer(%L, %s, %s, 5, 'hold', pending => true, timeout => '-1 hour')$$, pg_temp.u(2), :w_ana, :w_ben));
-- A balance that would leave the bigint range is refused (22003).
SELECT mentor.transfer(pg_temp.u(3), :ext, :w_cy, 9223372036854775807, 'adjustment') IS NOT NULL AS at_the_limit;
SELECT pg_temp.try(format($$SELECT mentor.transfer(%L, %s, %s, 1, 'adjustment')$$, pg_temp.u(4), :ext, :w_cy));
SELECT mentor.transfer(pg_temp.u(5), :w_cy, :ext, 9223372036854775807, 'adjustment') IS NOT NULL AS reversed;
SELECT count(*) AS transfers, (SELECT count(*) FROM mentor.ledger_entries) AS entries FROM mentor.ledger_transfers;
SELECT pg_temp.bal(:w_ana) AS ana_unchanged;

-- Holds: pending amounts count against the available balance.
SELECT mentor.transfer(pg_temp.u(10), :w_ana, :rev, 60, 'hold', 'booking 1', pending => true, timeout => '1 hour') IS NOT NULL AS held;
SELECT pg_temp.bal(:w_ana) AS ana_with_hold;
SELECT pg_temp.try(format($$SELECT mentor.transfer(%L, %s, %s, 50, 'spend')$$, pg_temp.u(11), :w_ana, :w_ben));
-- A partial post moves 45 and releases the other 15; retrying it changes nothing.
SELECT mentor.post_pending(pg_temp.u(10), pg_temp.u(12), 45) = pg_temp.u(12) AS posted;
SELECT mentor.post_pending(pg_temp.u(10), pg_temp.u(12), 45) = pg_temp.u(12) AS post_retried;
SELECT pg_temp.bal(:w_ana) AS ana_after_post;
SELECT id = pg_temp.u(10) AS is_hold, status, amount, pending_id = pg_temp.u(10) AS resolves_the_hold
  FROM mentor.ledger_transfers WHERE id IN (pg_temp.u(10), pg_temp.u(12)) ORDER BY created_at;
-- A hold resolves once: a second post or a void fails (MN006), as do unknown holds (P0002).
SELECT pg_temp.try(format($$SELECT mentor.post_pending(%L, %L)$$, pg_temp.u(10), pg_temp.u(13)));
SELECT pg_temp.try(format($$SELECT mentor.void_pending(%L, %L)$$, pg_temp.u(10), pg_temp.u(13)));
SELECT pg_temp.try(format($$SELECT mentor.void_pending(%L, %L)$$, pg_temp.u(99), pg_temp.u(13)));
SELECT pg_temp.try(format($$SELECT mentor.void_pending(%L, %L)$$, pg_temp.u(1), pg_temp.u(13)));
-- The post's id cannot be reused for something else.
SELECT pg_temp.try(format($$SELECT mentor.post_pending(%L, %L, 40)$$, pg_temp.u(10), pg_temp.u(12)));
-- Posting more than is held is refused (22023); a void releases everything.
SELECT mentor.transfer(pg_temp.u(20), :w_ana, :w_ben, 30, 'hold', pending => true) IS NOT NULL AS held;
SELECT pg_temp.try(format($$SELECT mentor.post_pending(%L, %L, 31)$$, pg_temp.u(20), pg_temp.u(21)));
SELECT pg_temp.try(format($$SELECT mentor.post_pending(%L, %L, 0)$$, pg_temp.u(20), pg_temp.u(21)));
SELECT mentor.void_pending(pg_temp.u(20), pg_temp.u(21)) = pg_temp.u(21) AS voided;
SELECT mentor.void_pending(pg_temp.u(20), pg_temp.u(21)) = pg_temp.u(21) AS void_retried;
SELECT pg_temp.bal(:w_ana) AS ana, pg_temp.bal(:w_ben) AS ben;
-- An expired hold cannot be posted (MN008); expire_pending releases it once.
SELECT mentor.transfer(pg_temp.u(30), :w_ana, :w_ben, 10, 'hold', pending => true, timeout => '10 milliseconds') IS NOT NULL AS held;
SELECT pg_sleep(0.05);
SELECT regexp_replace(pg_temp.try(format($$SELECT mentor.post_pending(%L, %L)$$, pg_temp.u(30), pg_temp.u(31))),
                      ' at .*', ' at (its expiry)') AS try;
SELECT regexp_replace(pg_temp.try(format($$SELECT mentor.void_pending(%L, %L)$$, pg_temp.u(30), pg_temp.u(31))),
                      ' at .*', ' at (its expiry)') AS try;
SELECT mentor.expire_pending() AS expired, mentor.expire_pending() AS expired_again;
SELECT status FROM mentor.ledger_transfers WHERE id = pg_temp.u(30);
SELECT pg_temp.bal(:w_ana) AS ana, pg_temp.bal(:w_ben) AS ben;

-- A batch is all or nothing, in order, with a result per transfer.
SELECT * FROM mentor.transfer_batch(ARRAY[pg_temp.u(1), pg_temp.u(40), pg_temp.u(41)],
    ARRAY[:ext, :w_ana, :w_ana]::bigint[], ARRAY[:w_ana, :w_ben, :w_cy]::bigint[], ARRAY[100, 5, 6]::bigint[],
    ARRAY['purchase', 'spend', 'spend'], ARRAY['order-1', NULL, NULL]);
SELECT count(*) AS transfers_before FROM mentor.ledger_transfers \gset
SELECT pg_temp.try(format($$SELECT * FROM mentor.transfer_batch(ARRAY[%L, %L]::uuid[], ARRAY[%s]::bigint[], ARRAY[%s, %s]::bigint[],
    ARRAY[1, 1000]::bigint[], ARRAY['spend'])$$, pg_temp.u(42), pg_temp.u(43), :w_ana, :w_ben, :w_cy));
SELECT pg_temp.try(format($$SELECT * FROM mentor.transfer_batch(ARRAY[%L, %L]::uuid[], ARRAY[%s]::bigint[], ARRAY[%s, %s, %s]::bigint[],
    ARRAY[1]::bigint[], ARRAY['spend'])$$, pg_temp.u(42), pg_temp.u(43), :w_ana, :w_ben, :w_cy, :w_cy));
SELECT pg_temp.try($$SELECT * FROM mentor.transfer_batch('{}', '{}', '{}', '{}', '{}')$$);
SELECT count(*) - :transfers_before AS transfers_added FROM mentor.ledger_transfers;

-- Balances in the past come from the entries.
SELECT clock_timestamp() AS before_refund \gset
SELECT mentor.transfer(pg_temp.u(50), :w_ben, :w_ana, 3, 'refund') IS NOT NULL AS refunded;
SELECT mentor.balance_at(:w_ana, :'before_refund') AS ana_before_refund, (mentor.balance(:w_ana)).posted AS ana_now,
       mentor.balance_at(:w_ana, '2000-01-01') AS ana_in_2000;
SELECT pg_temp.try($$SELECT mentor.balance(424242)$$);
SELECT kind, reference, amount, balance, version, counterparty_id = :ext AS from_external
  FROM mentor.ledger_statement WHERE account_id = :w_ana ORDER BY at;

-- Transfers and entries are immutable, for their owner too; balances move only through the ledger.
SELECT pg_temp.try($$UPDATE mentor.ledger_transfers SET amount = 1$$);
SELECT pg_temp.try($$DELETE FROM mentor.ledger_entries$$);
SELECT pg_temp.try($$TRUNCATE mentor.ledger_entries$$);
SELECT pg_temp.try($$TRUNCATE mentor.ledger_accounts CASCADE$$);
SELECT pg_temp.try(format($$UPDATE mentor.ledger_accounts SET posted = posted + 1000 WHERE id = %s$$, :w_ana));
SELECT pg_temp.try(format($$DELETE FROM mentor.ledger_accounts WHERE id = %s$$, :w_ana));
SELECT pg_temp.try(format($$INSERT INTO mentor.ledger_accounts (owner_id, kind, posted) VALUES (%s, 'escrow', 5)$$, :ana));
-- Closing: only at zero; a closed account takes no new transfers (MN006) and stays closed.
SELECT pg_temp.try(format($$SELECT mentor.close_account(%s)$$, :w_cy));
SELECT mentor.open_account(:cy, 'escrow') AS cy_escrow \gset
SELECT mentor.close_account(:cy_escrow);
SELECT pg_temp.try(format($$SELECT mentor.transfer(%L, %s, %s, 1, 'spend')$$, pg_temp.u(60), :w_cy, :cy_escrow));
SELECT pg_temp.try(format($$UPDATE mentor.ledger_accounts SET closed = false WHERE id = %s$$, :cy_escrow));
-- The ledger remembers untracked accounts between calls; closing one by SQL is still seen at once.
SELECT mentor.open_account(NULL, 'platform', allow_negative => true, track_balance => false, name => 'campaign') AS campaign \gset
SELECT mentor.transfer(pg_temp.u(61), :ext, :campaign, 3, 'adjustment') IS NOT NULL AS funded,
       mentor.transfer(pg_temp.u(62), :campaign, :ext, 3, 'adjustment') IS NOT NULL AS emptied;
SELECT mentor.close_account(:campaign);
SELECT pg_temp.try(format($$SELECT mentor.transfer(%L, %s, %s, 1, 'adjustment')$$, pg_temp.u(63), :ext, :campaign));

SELECT * FROM mentor.ledger_check();

-- Token economy -------------------------------------------------------------

-- A purchase is held until the payment is confirmed; a failed one is voided.
SELECT mentor.purchase_tokens(:cy, 50, 'rzp_order_1', pg_temp.u(100)) = pg_temp.u(100) AS purchase_started;
SELECT mentor.purchase_tokens(:cy, 50, 'rzp_order_1', pg_temp.u(100)) = pg_temp.u(100) AS purchase_retried;
SELECT pg_temp.try(format($$SELECT mentor.purchase_tokens(%s, 60, 'rzp_order_1', %L)$$, :cy, pg_temp.u(100)));
SELECT pg_temp.bal(:w_cy) AS cy_before_payment;
SELECT mentor.confirm_purchase(pg_temp.u(100)) IS NOT NULL AS confirmed, mentor.confirm_purchase(pg_temp.u(100)) IS NOT NULL AS confirmed_again;
SELECT pg_temp.bal(:w_cy) AS cy_after_payment;
SELECT mentor.purchase_tokens(:cy, 70, 'rzp_order_2', pg_temp.u(101)) IS NOT NULL AS second_purchase;
SELECT mentor.fail_purchase(pg_temp.u(101), 'card declined') IS NOT NULL AS failed;
SELECT pg_temp.try(format($$SELECT mentor.confirm_purchase(%L)$$, pg_temp.u(101)));
SELECT pg_temp.try(format($$SELECT mentor.confirm_purchase(%L)$$, pg_temp.u(109)));
SELECT amount, payment_ref, status, failure FROM mentor.token_purchases ORDER BY created_at, id;
SELECT pg_temp.bal(:w_cy) AS cy;

-- Promotional tokens are spent first, earliest expiry first, then the wallet.
SELECT mentor.grant_promo(:cy, 10, now() + interval '30 days', pg_temp.u(110)) IS NOT NULL AS late_promo;
SELECT mentor.grant_promo(:cy, 5, now() + interval '7 days', pg_temp.u(111)) IS NOT NULL AS early_promo;
SELECT pg_temp.try(format($$SELECT mentor.grant_promo(%s, 5, '2020-01-01 00:00:00+00', %L)$$, :cy, pg_temp.u(112)));
SELECT a.kind, t.taken, a.expires_at > now() + interval '20 days' AS late_expiry
  FROM mentor.spend_tokens(:cy, 20, :rev, pg_temp.u(120), reference => 'session 7') t
  JOIN mentor.ledger_accounts a ON a.id = t.source_account;
SELECT count(*) AS parts_on_retry FROM mentor.spend_tokens(:cy, 20, :rev, pg_temp.u(120), reference => 'session 7');
SELECT pg_temp.bal(:w_cy) AS cy_wallet;
SELECT pg_temp.try(format($$SELECT * FROM mentor.spend_tokens(%s, 1000, %s, %L)$$, :cy, :rev, pg_temp.u(121)));
-- Expired promotional tokens go to the expiry account.
SELECT mentor.grant_promo(:cy, 4, clock_timestamp() + interval '50 milliseconds', pg_temp.u(113)) IS NOT NULL AS short_promo;
SELECT pg_sleep(0.1);
SELECT mentor.expire_promos() AS tokens_expired, mentor.expire_promos() AS expired_again;
SELECT pg_temp.bal(mentor.system_account('expiry')) AS expiry_account;

-- An allotment gives tokens to a batch of users in one call.
SELECT u.username, t.transfer_id IS NOT NULL AS transferred
  FROM mentor.allot_tokens(ARRAY[:ana, :cy]::bigint[], 25, pg_temp.u(130), 'cohort 12 welcome') t
  JOIN mentor.users u ON u.id = t.user_id ORDER BY u.id;
SELECT count(*) AS users_on_retry FROM mentor.allot_tokens(ARRAY[:ana, :cy]::bigint[], 25, pg_temp.u(130), 'cohort 12 welcome');
SELECT pg_temp.try(format($$SELECT * FROM mentor.allot_tokens(ARRAY[%s]::bigint[], 30, %L)$$, :ana, pg_temp.u(130)));
SELECT pg_temp.try(format($$SELECT * FROM mentor.allot_tokens(ARRAY[%s, 424242]::bigint[], 30, %L)$$, :ana, pg_temp.u(131)));

-- Mentor earnings (credited once per session) and withdrawals under their lifecycle.
SELECT mentor.credit_earnings(:ben, 40, pg_temp.u(140), 'session 7') IS NOT NULL AS earned;
SELECT mentor.credit_earnings(:ben, 40, pg_temp.u(140), 'session 7') IS NOT NULL AS meeting_ended_again;
SELECT pg_temp.bal(mentor.earnings_account(:ben)) AS ben_earnings;
SELECT pg_temp.try(format($$SELECT mentor.request_withdrawal(%s, 41, %L)$$, :ben, pg_temp.u(150)));
SELECT mentor.request_withdrawal(:ben, 30, pg_temp.u(150)) IS NOT NULL AS requested;
SELECT pg_temp.bal(mentor.earnings_account(:ben)) AS ben_earnings;
SELECT mentor.approve_withdrawal(pg_temp.u(150)) IS NOT NULL AS approved;
SELECT mentor.mark_withdrawal_paid(pg_temp.u(150), 'payout-77');
SELECT mentor.request_withdrawal(:ben, 10, pg_temp.u(151)) IS NOT NULL AS requested;
SELECT mentor.reject_withdrawal(pg_temp.u(151), 'bank details missing') IS NOT NULL AS rejected;
SELECT pg_temp.try(format($$SELECT mentor.approve_withdrawal(%L)$$, pg_temp.u(151)));
SELECT pg_temp.try(format($$SELECT mentor.mark_withdrawal_paid(%L, 'x')$$, pg_temp.u(151)));
SELECT pg_temp.try(format($$SELECT mentor.mark_withdrawal_paid(%L, 'x')$$, pg_temp.u(159)));
SELECT amount, status, payout_ref, reason FROM mentor.withdrawals ORDER BY created_at, id;
SELECT pg_temp.bal(mentor.earnings_account(:ben)) AS ben_earnings;

-- A user is deleted only with empty accounts, which stay behind closed, entries intact.
SELECT pg_temp.try(format($$DELETE FROM mentor.users WHERE id = %s$$, :ben));
INSERT INTO mentor.users (email, username, full_name) VALUES ('dee@example.com', 'dee', 'Dee Leaving') RETURNING id AS dee \gset
SELECT mentor.wallet(:dee) AS w_dee \gset
SELECT mentor.transfer(pg_temp.u(160), :w_ana, :w_dee, 2, 'spend') IS NOT NULL AS paid;
SELECT mentor.transfer(pg_temp.u(161), :w_dee, :w_ana, 2, 'refund') IS NOT NULL AS paid_back;
DELETE FROM mentor.users WHERE id = :dee;
SELECT owner_id, kind, closed, (mentor.balance(id)).posted FROM mentor.ledger_accounts WHERE id = :w_dee;
SELECT count(*) AS entries_kept FROM mentor.ledger_entries WHERE account_id = :w_dee;

-- Every invariant still holds, and the tokens of each asset sum to zero.
SELECT * FROM mentor.ledger_check();
SELECT a.asset, sum(e.amount) AS total FROM mentor.ledger_entries e JOIN mentor.ledger_accounts a ON a.id = e.account_id GROUP BY a.asset;
