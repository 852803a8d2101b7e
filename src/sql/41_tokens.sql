--------------------------------------------------------------------------------
-- Module tokens: the token economy of a mentorship marketplace (wallets,
-- promotional tokens, purchases, allotments, earnings, withdrawals) on top of
-- the ledger (40_ledger.sql).  Its functions own the flows that debit the
-- system accounts or credit `external`; the ledger refuses those to anyone
-- else without mentor_admin.
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
    -- Read-only (a standby): an account not opened yet is NULL rather than an error.
    IF NOT FOUND AND NOT current_setting('transaction_read_only')::boolean THEN
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
    'created on first use; NULL in a read-only transaction (a standby) before it exists';

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
        -- Read-only (a standby): an account not opened yet is NULL rather than an error.
        IF current_setting('transaction_read_only')::boolean THEN
            RETURN NULL;
        END IF;
        INSERT INTO ledger_accounts (owner_id, kind) VALUES (user_id, account_kind)
        ON CONFLICT (owner_id, kind, asset) WHERE kind IN ('wallet', 'earnings', 'escrow') DO NOTHING;
        SELECT id INTO acct FROM ledger_accounts WHERE owner_id = user_id AND kind = account_kind AND asset = 'TOKEN';
    END IF;
    RETURN acct;
END
$$;
COMMENT ON FUNCTION _owned_account(bigint, text) IS
    'Internal: a user''s wallet or earnings account, created on first use (NULL in a read-only transaction before '
    'it exists)';

CREATE FUNCTION wallet(user_id bigint) RETURNS bigint
LANGUAGE sql
AS $$ SELECT @extschema@._owned_account(user_id, 'wallet') $$;
COMMENT ON FUNCTION wallet(bigint) IS
    'The user''s token wallet account (created at signup, or on first use; NULL in a read-only transaction before '
    'it exists)';

CREATE FUNCTION earnings_account(user_id bigint) RETURNS bigint
LANGUAGE sql
AS $$ SELECT @extschema@._owned_account(user_id, 'earnings') $$;
COMMENT ON FUNCTION earnings_account(bigint) IS
    'The mentor''s earnings account (created on first use; NULL in a read-only transaction before it exists)';

-- Signup's welcome tokens (journey 1): none unless a deployment sets them.
INSERT INTO settings (key, shipped, value, description) VALUES
    ('signup.welcome_promo_tokens', true, '0', 'Promotional tokens every new user gets at signup (0: none)'),
    ('signup.welcome_promo_days', true, '30', 'Days until the welcome tokens expire');

CREATE FUNCTION _users_open_wallets() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    welcome bigint := (setting('signup.welcome_promo_tokens') #>> '{}')::bigint;
BEGIN
    INSERT INTO ledger_accounts (owner_id, kind) SELECT n.id, 'wallet' FROM new_users n;
    -- Users imported from another system signed up there: no signup event, no welcome tokens.
    IF _importing() THEN
        RETURN NULL;
    END IF;
    INSERT INTO login_events (user_id, event) SELECT n.id, 'signup' FROM new_users n;
    -- The welcome tokens a deployment gives (journey 1), once per user: the grant's id is the user's.
    IF welcome > 0 THEN
        PERFORM grant_promo(n.id, welcome,
                            date_trunc('day', now()) + (setting('signup.welcome_promo_days') #>> '{}')::int * interval '1 day',
                            _derived_id('00000000-0000-0000-0000-000000000000', 'welcome:' || n.id))
           FROM new_users n;
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION _users_open_wallets() IS
    'Internal: signup opens the user''s token wallet, records the signup event and grants the welcome promo tokens '
    'of the settings (journey 1); an imported user gets the wallet only';
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
