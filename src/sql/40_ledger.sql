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
