-- The baseline the ledger benchmark measures against: the design of pgledger
-- (the best-known PostgreSQL ledger, PL/pgSQL), written from its published
-- description.  Per transfer: lock both accounts FOR UPDATE in id order,
-- update their balances and versions, insert the transfer and two entries with
-- the running balances.  Amounts are bigint like mentor's (pgledger uses
-- numeric, which would only slow the baseline down).
CREATE TABLE bl_accounts (
    id             bigint PRIMARY KEY,
    name           text NOT NULL,
    currency       text NOT NULL DEFAULT 'TOKEN',
    balance        bigint NOT NULL DEFAULT 0,
    version        bigint NOT NULL DEFAULT 0,
    allow_negative boolean NOT NULL DEFAULT false,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE bl_transfers (
    id              uuid PRIMARY KEY,
    from_account_id bigint NOT NULL REFERENCES bl_accounts (id),
    to_account_id   bigint NOT NULL REFERENCES bl_accounts (id),
    amount          bigint NOT NULL CHECK (amount > 0),
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE bl_entries (
    id                       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id               bigint NOT NULL REFERENCES bl_accounts (id),
    transfer_id              uuid NOT NULL REFERENCES bl_transfers (id),
    amount                   bigint NOT NULL,
    account_previous_balance bigint NOT NULL,
    account_current_balance  bigint NOT NULL,
    account_version          bigint NOT NULL,
    created_at               timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON bl_entries (account_id);

CREATE FUNCTION bl_transfer(p_id uuid, p_from bigint, p_to bigint, p_amount bigint) RETURNS uuid
LANGUAGE plpgsql AS $$
DECLARE
    f bl_accounts;
    t bl_accounts;
BEGIN
    IF p_amount <= 0 THEN RAISE EXCEPTION 'amount must be positive'; END IF;
    IF p_from = p_to THEN RAISE EXCEPTION 'same account'; END IF;
    -- Lock in a global order so that concurrent transfers cannot deadlock.
    IF p_from < p_to THEN
        SELECT * INTO f FROM bl_accounts WHERE id = p_from FOR UPDATE;
        SELECT * INTO t FROM bl_accounts WHERE id = p_to FOR UPDATE;
    ELSE
        SELECT * INTO t FROM bl_accounts WHERE id = p_to FOR UPDATE;
        SELECT * INTO f FROM bl_accounts WHERE id = p_from FOR UPDATE;
    END IF;
    IF f.id IS NULL OR t.id IS NULL THEN RAISE EXCEPTION 'unknown account'; END IF;
    IF f.currency <> t.currency THEN RAISE EXCEPTION 'currency mismatch'; END IF;
    IF NOT f.allow_negative AND f.balance - p_amount < 0 THEN
        RAISE EXCEPTION 'insufficient funds' USING ERRCODE = 'MN002';
    END IF;
    UPDATE bl_accounts SET balance = balance - p_amount, version = version + 1, updated_at = now() WHERE id = p_from;
    UPDATE bl_accounts SET balance = balance + p_amount, version = version + 1, updated_at = now() WHERE id = p_to;
    INSERT INTO bl_transfers (id, from_account_id, to_account_id, amount) VALUES (p_id, p_from, p_to, p_amount);
    INSERT INTO bl_entries (account_id, transfer_id, amount, account_previous_balance, account_current_balance, account_version)
    VALUES (p_from, p_id, -p_amount, f.balance, f.balance - p_amount, f.version + 1),
           (p_to, p_id, p_amount, t.balance, t.balance + p_amount, t.version + 1);
    RETURN p_id;
END
$$;
