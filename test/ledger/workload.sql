-- Random ledger traffic for the concurrency and crash tests: transfers,
-- holds, posts, voids, expiries and batches among 100 funded wallets and two
-- untracked system accounts, with ids that repeat so that retries (same id,
-- same parameters) and conflicts (same id, other parameters) happen all the
-- time.  Expected refusals (MN002, MN003, MN006, MN008, P0002) are caught and
-- counted; anything else fails the pgbench transaction.  Every id that
-- succeeded is recorded in ok_ids in the same transaction.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS mentor CASCADE;
CREATE TABLE ok_ids (id uuid PRIMARY KEY);
CREATE TABLE outcomes (outcome text PRIMARY KEY, n bigint NOT NULL DEFAULT 0);
CREATE SEQUENCE retries_seen;
CREATE SEQUENCE refusals_seen;
INSERT INTO mentor.users (email, username, full_name)
SELECT 'load' || g || '@example.com', 'load' || g, 'Load ' || g FROM generate_series(1, 100) g;
CREATE TABLE accts AS
SELECT row_number() OVER (ORDER BY a.id) AS n, a.id FROM mentor.ledger_accounts a WHERE a.kind = 'wallet';
INSERT INTO accts VALUES (101, mentor.system_account('revenue')), (102, mentor.system_account('external'));
SELECT count(*) FROM mentor.transfer_batch(
    array(SELECT gen_random_uuid() FROM generate_series(1, 100)), ARRAY[mentor.system_account('external')],
    array(SELECT id FROM accts WHERE n <= 100 ORDER BY n), ARRAY[1000::bigint], ARRAY['purchase']);
INSERT INTO ok_ids SELECT id FROM mentor.ledger_transfers;

CREATE FUNCTION acct(n int) RETURNS bigint LANGUAGE sql STABLE AS $$ SELECT id FROM accts WHERE accts.n = acct.n $$;
CREATE FUNCTION did(VARIADIC parts text[]) RETURNS uuid LANGUAGE sql IMMUTABLE AS $$ SELECT md5(array_to_string(parts, ':'))::uuid $$;

CREATE FUNCTION record(ids uuid[], created boolean[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO ok_ids SELECT unnest(ids) ON CONFLICT DO NOTHING;
    IF false = ANY (created) THEN PERFORM nextval('retries_seen'); END IF;
END $$;

CREATE FUNCTION op() RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    r float8 := random();
    a int := 1 + floor(random() * 102)::int;
    b int := 1 + (a + floor(random() * 101)::int) % 102;
    amt bigint := 1 + floor(random() * 40)::int;
    slot int := floor(random() * 300)::int;
    id uuid;
    h record;
    res record;
    ids uuid[];
    created boolean[];
BEGIN
    IF a > 100 AND b > 100 THEN b := 1 + floor(random() * 100)::int; END IF;
    IF r < 0.40 THEN
        -- A posted transfer.  Half of them replay one of 300 fixed transfers (a
        -- retry: same id, same parameters); the others are new.
        IF r < 0.20 THEN
            a := 1 + slot % 100; b := 1 + (slot * 7 + 1) % 100; amt := 1 + slot % 5;
            IF a = b THEN b := 1 + b % 100; END IF;
            id := did('r', slot::text);
        ELSE
            id := gen_random_uuid();
        END IF;
        IF random() < 0.03 THEN amt := amt + 1; END IF;   -- same id, other parameters: MN003
        SELECT array_agg(t.id), array_agg(t.created) INTO ids, created
          FROM mentor.transfer_batch(ARRAY[id], ARRAY[acct(a)], ARRAY[acct(b)], ARRAY[amt], ARRAY['spend']) t;
    ELSIF r < 0.60 THEN
        id := did('h', a::text, b::text, amt::text, slot::text);
        SELECT array_agg(t.id), array_agg(t.created) INTO ids, created
          FROM mentor.transfer_batch(ARRAY[id], ARRAY[acct(a)], ARRAY[acct(b)], ARRAY[amt], ARRAY['hold'],
                                     pending => true,
                                     timeout => CASE WHEN random() < 0.5 THEN interval '200 milliseconds' ELSE interval '1 hour' END) t;
    ELSIF r < 0.85 THEN
        SELECT t.id, t.amount INTO h FROM mentor.ledger_transfers t
         WHERE t.status = 'pending' ORDER BY t.expires_at DESC NULLS LAST LIMIT 1 OFFSET floor(random() * 5)::int;
        IF NOT FOUND THEN RETURN 'no hold'; END IF;
        IF r < 0.75 THEN
            id := did('p', h.id::text);
            PERFORM mentor.post_pending(h.id, id, CASE WHEN random() < 0.5 THEN h.amount ELSE 1 + floor(random() * h.amount)::bigint END);
        ELSE
            id := did('v', h.id::text);
            PERFORM mentor.void_pending(h.id, id);
        END IF;
        ids := ARRAY[id]; created := ARRAY[true];
    ELSIF r < 0.90 THEN
        PERFORM mentor.expire_pending();
        RETURN 'expire';
    ELSE
        SELECT array_agg(t.id), array_agg(t.created) INTO ids, created
          FROM mentor.transfer_batch(
                array(SELECT did('b', slot::text, k::text) FROM generate_series(1, 5) k),
                array(SELECT acct(1 + (a + k * 13) % 100) FROM generate_series(1, 5) k),
                array(SELECT acct(1 + (a + k * 13 + 1 + slot % 98) % 100) FROM generate_series(1, 5) k),
                ARRAY[1 + slot % 7]::bigint[], ARRAY['allotment']) t;
    END IF;
    PERFORM record(ids, created);
    RETURN 'ok';
EXCEPTION WHEN SQLSTATE 'MN002' OR SQLSTATE 'MN003' OR SQLSTATE 'MN006' OR SQLSTATE 'MN008' OR SQLSTATE 'P0002' THEN
    PERFORM nextval('refusals_seen');
    RETURN SQLSTATE;
END $$;

-- The invariants checked after the load (and after a crash).
CREATE VIEW invariant_report AS
SELECT 'ledger_check' AS what, count(*) AS bad FROM mentor.ledger_check()
UNION ALL
SELECT 'asset sum', abs(sum((mentor.balance(a.id)).posted)) FROM mentor.ledger_accounts a
UNION ALL
SELECT 'negative balance', count(*) FROM mentor.ledger_accounts a
 WHERE NOT a.allow_negative AND (mentor.balance(a.id)).available < 0
UNION ALL
SELECT 'transfers without a successful id', count(*) FROM mentor.ledger_transfers t WHERE NOT EXISTS (SELECT 1 FROM ok_ids o WHERE o.id = t.id)
UNION ALL
SELECT 'successful ids without a transfer', count(*) FROM ok_ids o WHERE NOT EXISTS (SELECT 1 FROM mentor.ledger_transfers t WHERE t.id = o.id);
