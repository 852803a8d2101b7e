--------------------------------------------------------------------------------
-- Module ledger: a double-entry token ledger.
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

-- ledger_check() is in the token economy's file (41_tokens.sql): it also reads purchases and withdrawals.


