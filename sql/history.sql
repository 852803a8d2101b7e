-- History module: every change of every audited row, readable and restorable.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS mentor CASCADE;
RESET client_min_messages;
\set SHOW_CONTEXT never

-- The extension's own tables are audited from the start; password hashes are excluded.
SELECT table_name, key_columns, excluded FROM mentor.history_enabled_tables ORDER BY id;

-- Any table with a key can be audited, quoted names and all.
CREATE SCHEMA "Audit Space";
CREATE TABLE "Audit Space"."Order Items" (
    "Id" int PRIMARY KEY, "Qty" int NOT NULL, note text, secret text,
    total int GENERATED ALWAYS AS ("Qty" * 10) STORED);
SELECT mentor.enable_history('"Audit Space"."Order Items"', exclude => ARRAY['secret']) > 0 AS enabled;
INSERT INTO "Audit Space"."Order Items" ("Id", "Qty", note, secret) VALUES (1, 2, 'first', 's3cret'), (2, 5, NULL, 'x');
UPDATE "Audit Space"."Order Items" SET "Qty" = 3 WHERE "Id" = 1;
UPDATE "Audit Space"."Order Items" SET "Qty" = 3 WHERE "Id" = 1;          -- changes nothing: not recorded
UPDATE "Audit Space"."Order Items" SET secret = 'new secret' WHERE "Id" = 1;  -- only an excluded column: not recorded
SELECT clock_timestamp() AS before_delete \gset
DELETE FROM "Audit Space"."Order Items" WHERE "Id" = 2;
SELECT table_name, op, row_key, old_row, new_row
  FROM mentor.history WHERE table_name = '"Audit Space"."Order Items"' ORDER BY at;
SELECT count(*) AS rows_mentioning_the_secret FROM mentor.history_log WHERE changes::text LIKE '%secret%' AND changes::text NOT LIKE '%"note"%';
SELECT count(*) AS secret_values_in_history FROM mentor.history_log WHERE changes::text LIKE '%s3cret%' OR changes::text LIKE '%new secret%';

-- Each row of history carries its transaction and its actor.
INSERT INTO mentor.users (email, username, full_name) VALUES ('ops@example.com', 'ops', 'Ops Person');
BEGIN;
SELECT mentor.set_actor((SELECT id FROM mentor.users WHERE username = 'ops')) IS NOT NULL AS actor_set;
UPDATE "Audit Space"."Order Items" SET note = 'by ops' WHERE "Id" = 1;
UPDATE "Audit Space"."Order Items" SET "Qty" = 4 WHERE "Id" = 1;
COMMIT;
SELECT h.op, u.username AS actor, h.db_user = current_user AS by_session_user, h.application_name,
       count(*) OVER (PARTITION BY h.txid) AS changes_in_its_transaction
  FROM mentor.row_history('"Audit Space"."Order Items"', '{"Id": 1}') h
  LEFT JOIN mentor.users u ON u.id = h.actor_id ORDER BY h.at;

-- Reading the past: a row, a whole table.
SELECT clock_timestamp() AS before_big_change \gset
UPDATE "Audit Space"."Order Items" SET note = 'changed', "Qty" = 9 WHERE "Id" = 1;
INSERT INTO "Audit Space"."Order Items" ("Id", "Qty") VALUES (3, 1);
SELECT mentor.row_as_of('"Audit Space"."Order Items"', '{"Id": 1}', :'before_big_change');
SELECT mentor.row_as_of('"Audit Space"."Order Items"', '{"Id": 3}', :'before_big_change') AS not_yet_inserted;
SELECT mentor.row_as_of('"Audit Space"."Order Items"', '{"Id": 2}', :'before_big_change') AS deleted_earlier;
SELECT r FROM mentor.table_as_of('"Audit Space"."Order Items"', :'before_big_change') r ORDER BY r->>'Id';
SELECT count(*) AS rows_long_ago FROM mentor.table_as_of('"Audit Space"."Order Items"', '2000-01-01');

-- Restoring a row writes it back (and is itself recorded); generated and excluded columns are left alone.
BEGIN;
SELECT mentor.set_actor((SELECT id FROM mentor.users WHERE username = 'ops')) IS NOT NULL AS actor_set;
SELECT mentor.restore_row('"Audit Space"."Order Items"', '{"Id": 1}', :'before_big_change');
COMMIT;
SELECT "Id", "Qty", note, secret, total FROM "Audit Space"."Order Items" ORDER BY "Id";
SELECT h.op, h.old_row, h.new_row, u.username AS restored_by
  FROM mentor.row_history('"Audit Space"."Order Items"', '{"Id": 1}') h LEFT JOIN mentor.users u ON u.id = h.actor_id
 ORDER BY h.at DESC LIMIT 1;
-- A deleted row comes back, a row that did not exist yet goes away.
SELECT mentor.restore_row('"Audit Space"."Order Items"', '{"Id": 2}', :'before_delete') AS restored_deleted;
SELECT mentor.restore_row('"Audit Space"."Order Items"', '{"Id": 3}', :'before_big_change') IS NULL AS removed_new;
SELECT "Id", "Qty", note FROM "Audit Space"."Order Items" ORDER BY "Id";

-- Changing a key is recorded as the old key going away and the new one arriving,
-- so the past of either key can be rebuilt.
INSERT INTO "Audit Space"."Order Items" ("Id", "Qty", note) VALUES (10, 1, 'renumbered');
SELECT clock_timestamp() AS before_renumber \gset
UPDATE "Audit Space"."Order Items" SET "Id" = 11 WHERE "Id" = 10;
SELECT op, row_key, old_row ->> 'note' AS old_note, new_row ->> 'note' AS new_note
  FROM mentor.history WHERE table_name = '"Audit Space"."Order Items"' AND key_id IN (10, 11) ORDER BY at;
SELECT mentor.row_as_of('"Audit Space"."Order Items"', '{"Id": 10}', :'before_renumber') ->> 'note' AS id_10_before,
       mentor.row_as_of('"Audit Space"."Order Items"', '{"Id": 11}', :'before_renumber') AS id_11_before;
DELETE FROM "Audit Space"."Order Items" WHERE "Id" = 11;

-- Composite keys.
CREATE TABLE enrol (course text, student int, grade int, PRIMARY KEY (course, student));
SELECT mentor.enable_history('enrol') > 0 AS enabled;
INSERT INTO enrol VALUES ('js', 1, 50), ('js', 2, 60), ('py', 1, 70);
UPDATE enrol SET grade = grade + 5;
SELECT op, row_key, old_row, new_row FROM mentor.row_history('enrol', '{"course": "js", "student": 1}') ORDER BY at;
SELECT mentor.row_history('enrol', '{"course": "js"}');
SELECT mentor.row_history('enrol', '{"course": "js", "student": 1, "grade": 5}');
SELECT mentor.row_history('enrol', '{"course": "js", "student": "one"}');
SELECT mentor.row_history('enrol', '[1]');

-- Without a primary key, the replica identity index identifies rows.
CREATE TABLE devices (serial text NOT NULL, owner text);
CREATE UNIQUE INDEX devices_serial ON devices (serial);
ALTER TABLE devices REPLICA IDENTITY USING INDEX devices_serial;
SELECT mentor.enable_history('devices') > 0 AS enabled;
INSERT INTO devices VALUES ('SN-1', 'ada');
UPDATE devices SET owner = 'grace';
SELECT op, row_key, old_row, new_row FROM mentor.row_history('devices', '{"serial": "SN-1"}') ORDER BY at;

-- Columns added, dropped or renamed between changes.
ALTER TABLE enrol ADD COLUMN passed boolean DEFAULT false;
UPDATE enrol SET passed = true WHERE course = 'js' AND student = 1;
ALTER TABLE enrol DROP COLUMN grade;
UPDATE enrol SET passed = false WHERE course = 'js' AND student = 1;
ALTER TABLE enrol RENAME COLUMN passed TO has_passed;
UPDATE enrol SET has_passed = true WHERE course = 'js' AND student = 1;
-- An insert is logged as its key alone and rebuilt from the row as it is now, walked back: a column
-- added since shows with its current value, one renamed under both names.
SELECT op, old_row, new_row FROM mentor.row_history('enrol', '{"course": "js", "student": 1}') ORDER BY at;
-- A single integer key is stored as row_id, any other key as row_key text; a key column whose
-- type changes later keeps one history across both forms.
SELECT t.table_name, count(l.row_id) AS stored_as_id, count(l.row_key) AS stored_as_text
  FROM mentor.history_log l JOIN mentor.history_tables t ON t.id = l.table_id
 WHERE t.table_name IN ('"Audit Space"."Order Items"', 'public.enrol', 'public.devices')
 GROUP BY t.table_name ORDER BY t.table_name;
CREATE TABLE codes (id bigint PRIMARY KEY, label text);
SELECT mentor.enable_history('codes') > 0 AS enabled;
INSERT INTO codes VALUES (9223372036854775807, 'max'), (-5, 'negative'), (0, 'zero');
UPDATE codes SET label = 'max!' WHERE id = 9223372036854775807;
SELECT clock_timestamp() AS before_retype \gset
ALTER TABLE codes ALTER COLUMN id TYPE text;
UPDATE codes SET label = 'max?' WHERE id = '9223372036854775807';
UPDATE codes SET label = 'minus five' WHERE id = '-5';
SELECT op, row_key, key_id, key_text, new_row FROM mentor.row_history('codes', '{"id": "9223372036854775807"}') ORDER BY at;
SELECT mentor.row_as_of('codes', '{"id": -5}', :'before_retype') AS minus_five_before_retype;
SELECT r FROM mentor.table_as_of('codes', :'before_retype') r ORDER BY r->>'label';
-- Renaming an excluded column stops writes rather than leak it under a new name.
ALTER TABLE "Audit Space"."Order Items" RENAME COLUMN secret TO hidden;
UPDATE "Audit Space"."Order Items" SET note = 'after rename' WHERE "Id" = 1;
SELECT mentor.enable_history('"Audit Space"."Order Items"', exclude => ARRAY['hidden']) > 0 AS re_enabled;
UPDATE "Audit Space"."Order Items" SET note = 'after rename' WHERE "Id" = 1;

-- Megabyte values are stored, and an unchanged one is not stored again.
CREATE TABLE docs (id int PRIMARY KEY, body text, title text);
SELECT mentor.enable_history('docs') > 0 AS enabled;
INSERT INTO docs VALUES (1, repeat('lorem ipsum ', 300000), 'big');
UPDATE docs SET title = 'renamed';
UPDATE docs SET body = body || '!';
SELECT op, length(coalesce(new_row->>'body', '')) AS body_length, new_row ? 'title' AS has_title
  FROM mentor.row_history('docs', '{"id": 1}') ORDER BY at;

-- TRUNCATE keeps every removed row.
CREATE TABLE tags (id int PRIMARY KEY, name text);
SELECT mentor.enable_history('tags') > 0 AS enabled;
INSERT INTO tags VALUES (1, 'a'), (2, 'b');
SELECT clock_timestamp() AS before_truncate \gset
TRUNCATE tags;
SELECT op, row_key, old_row FROM mentor.history WHERE table_name = 'public.tags' AND op = 'T' ORDER BY row_key::text;
SELECT r FROM mentor.table_as_of('tags', :'before_truncate') r ORDER BY r->>'id';

-- Partitioned tables: one history for all partitions, rows moving between partitions included.
CREATE TABLE events (id int, region text, v int, PRIMARY KEY (id, region)) PARTITION BY LIST (region);
CREATE TABLE events_eu PARTITION OF events FOR VALUES IN ('eu');
CREATE TABLE events_us PARTITION OF events FOR VALUES IN ('us');
SELECT mentor.enable_history('events') > 0 AS enabled;
INSERT INTO events VALUES (1, 'eu', 1), (2, 'us', 2);
UPDATE events SET v = v + 10;
UPDATE events SET region = 'us' WHERE id = 1;
TRUNCATE events_us;
INSERT INTO events VALUES (3, 'eu', 3);
TRUNCATE events;
SELECT op, row_key, old_row, new_row FROM mentor.history WHERE table_name = 'public.events' ORDER BY at;

-- The log is partitioned by time: every row sits in the partition that holds its moment.
SELECT count(*) > 0 AS has_partitions, bool_or(is_default) AS has_default FROM mentor.history_partitions;
SELECT count(*) AS misplaced_rows FROM mentor.history_log l JOIN mentor.history_partitions p ON p.partition = l.tableoid
 WHERE NOT (l.at >= p.from_at AND l.at < p.to_at);
-- Partitions are made for any moment, once: asking again finds the same one.
SELECT mentor._history_add_partition('2020-01-15') = mentor._history_add_partition('2020-01-20') AS same_month,
       mentor._history_add_partition('2020-02-15') <> mentor._history_add_partition('2020-01-15') AS next_month;
SELECT from_at AT TIME ZONE 'UTC' AS from_utc, to_at AT TIME ZONE 'UTC' AS to_utc FROM mentor.history_partitions
 WHERE from_at < '2021-01-01' ORDER BY from_at;
-- A partition is append-only like the log.
DO $$
BEGIN
    EXECUTE format('DELETE FROM %s', (SELECT partition FROM mentor.history_partitions ORDER BY from_at DESC LIMIT 1));
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'DELETE on a partition: %', SQLSTATE;
END
$$;
DO $$
BEGIN
    EXECUTE format('TRUNCATE %s', (SELECT partition FROM mentor.history_partitions ORDER BY from_at DESC LIMIT 1));
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'TRUNCATE of a partition: %', SQLSTATE;
END
$$;
-- Pruning drops whole partitions older than the cutoff and deletes only in the one it falls in.
INSERT INTO mentor.history_log (at, txid, row_id, context_id, table_id, op, changes)
SELECT timestamptz '2020-01-01 00:00+00' + g * interval '1 hour', '1'::xid8, g, 1, 1, 'U', '["x", 1, 2]'
  FROM generate_series(1, 1400) g;   -- January and most of February 2020
SELECT mentor.prune_history('2020-02-01 00:00+00') AS pruned_january;
SELECT from_at AT TIME ZONE 'UTC' AS from_utc FROM mentor.history_partitions WHERE from_at < '2021-01-01' ORDER BY from_at;
SELECT mentor.prune_history('2020-02-10 00:00+00') AS pruned_in_february;
SELECT count(*) AS february_left, min(at) AT TIME ZONE 'UTC' AS oldest FROM mentor.history_log WHERE at < '2021-01-01';
SELECT mentor.prune_history('2020-03-01 00:00+00') AS pruned_the_rest;
SELECT count(*) AS old_partitions_left FROM mentor.history_partitions WHERE from_at < '2021-01-01';
-- A bad partition interval is a clear error, not a write that goes astray.
INSERT INTO mentor.settings (key, shipped, value) VALUES ('history.partition_interval', false, '"banana"');
SELECT mentor._history_add_partition('2019-06-01');
UPDATE mentor.settings SET value = '"0 days"' WHERE key = 'history.partition_interval' AND NOT shipped;
SELECT mentor._history_add_partition('2019-06-01');
DELETE FROM mentor.settings WHERE key = 'history.partition_interval' AND NOT shipped;
SELECT mentor._history_add_partition(NULL);

-- A statement's history rows are written together at its end: all of them, and only those of
-- what did not roll back.
CREATE TABLE batchy (id int PRIMARY KEY, v int);
CREATE TABLE batchy_counter (id int PRIMARY KEY, n int);
SELECT mentor.enable_history('batchy') > 0 AS enabled, mentor.enable_history('batchy_counter') > 0 AS enabled_too;
INSERT INTO batchy SELECT g, 0 FROM generate_series(1, 2500) g;   -- more than one batch
UPDATE batchy SET v = 1;
SELECT op, count(*) FROM mentor.history WHERE table_name = 'public.batchy' GROUP BY op ORDER BY op;
BEGIN;
UPDATE batchy SET v = 2 WHERE id <= 10;
SAVEPOINT s;
UPDATE batchy SET v = 3 WHERE id <= 20;
ROLLBACK TO s;
UPDATE batchy SET v = 4 WHERE id <= 5;
-- read in the same transaction, the next statement sees them
SELECT count(*) AS seen_in_transaction FROM mentor.row_history('batchy', '{"id": 1}') WHERE new_row ->> 'v' = '4';
COMMIT;
DO $$
BEGIN
    UPDATE batchy SET v = 5 WHERE id <= 3;
    BEGIN
        UPDATE batchy SET v = 6 WHERE id <= 4;
        RAISE EXCEPTION 'undo';
    EXCEPTION WHEN raise_exception THEN NULL;
    END;
END
$$;
-- A trigger that writes audited rows in a subtransaction between the statement's own history rows:
-- its rows are written at once, those of its rolled-back subtransactions are gone.
INSERT INTO batchy_counter VALUES (1, 0);
CREATE FUNCTION batchy_side() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    BEGIN
        UPDATE batchy_counter SET n = n + 1 WHERE id = 1;
        IF NEW.id % 2 = 0 THEN
            RAISE EXCEPTION 'even';
        END IF;
    EXCEPTION WHEN raise_exception THEN NULL;
    END;
    RETURN NULL;
END
$$;
CREATE TRIGGER zz_side AFTER UPDATE ON batchy FOR EACH ROW EXECUTE FUNCTION batchy_side();
UPDATE batchy SET v = 7 WHERE id <= 50;
DROP TRIGGER zz_side ON batchy;
SELECT new_row ->> 'v' AS v, count(*) FROM mentor.history WHERE table_name = 'public.batchy' AND op = 'U'
 GROUP BY 1 ORDER BY 1;
SELECT n AS counter, (SELECT count(*) FROM mentor.history WHERE table_name = 'public.batchy_counter' AND op = 'U') AS counter_changes
  FROM batchy_counter;
-- COPY fires the row triggers itself, outside the executor: its rows are recorded too.
COPY batchy FROM stdin;
3001	1
3002	2
\.
SELECT count(*) AS copied_recorded FROM mentor.history WHERE table_name = 'public.batchy' AND op = 'I' AND key_id > 3000;
DROP TABLE batchy, batchy_counter;
DROP FUNCTION batchy_side();

-- Bad input.
SELECT mentor.enable_history('no_such_table');
CREATE TABLE nokey (a int, b text);
SELECT mentor.enable_history('nokey');
SELECT mentor.enable_history('docs', exclude => ARRAY['nope']);
SELECT mentor.enable_history('docs', exclude => ARRAY['id']);
SELECT mentor.enable_history('mentor.history_log');
SELECT mentor.enable_history((SELECT partition FROM mentor.history_partitions LIMIT 1));
CREATE VIEW docs_view AS SELECT * FROM docs;
SELECT mentor.enable_history('docs_view');
SELECT mentor.row_history('nokey', '{"a": 1}');
SELECT mentor.row_as_of('docs', '{"id": 1}', NULL);
SELECT mentor.history_trigger();
CREATE TRIGGER handmade AFTER INSERT ON nokey FOR EACH ROW EXECUTE FUNCTION mentor.history_trigger();
INSERT INTO nokey VALUES (1, 'x');
DROP TRIGGER handmade ON nokey;

-- History is append-only; only prune_history removes it.
UPDATE mentor.history_log SET op = 'X';
DELETE FROM mentor.history_log;
TRUNCATE mentor.history_log;
DELETE FROM mentor.history_contexts;
SELECT count(*) > 0 AS history_kept FROM mentor.history_log;
SELECT mentor.prune_history(NULL);
SELECT mentor.prune_history('2000-01-01') AS pruned_nothing_old;
SELECT mentor.prune_history(:'before_truncate') > 0 AS pruned_older;
SELECT count(*) AS left_after_prune FROM mentor.history WHERE table_name IN ('public.tags');

-- Disabling stops recording but keeps what was recorded, and records the state each row was in
-- (S); the past before the gap stays exact whatever changes while nothing is recorded.
INSERT INTO tags VALUES (5, 'e');
SELECT clock_timestamp() AS before_disable \gset
SELECT mentor.disable_history('tags');
SELECT op, row_key, old_row, new_row FROM mentor.history WHERE table_name = 'public.tags' AND op = 'S';
INSERT INTO tags VALUES (3, 'c');
UPDATE tags SET name = 'changed unrecorded' WHERE id = 5;
SELECT count(*) AS recorded_after_disable FROM mentor.history WHERE table_name = 'public.tags' AND at > :'before_disable' AND op <> 'S';
SELECT mentor.disable_history('tags') AS again;
SELECT mentor.enable_history('tags') > 0 AS re_enabled;
SELECT cardinality(gaps) AS gaps, NOT upper_inf(gaps[1]) AS gap_closed FROM mentor.history_tables WHERE table_name = 'public.tags';
SELECT r FROM mentor.table_as_of('tags', :'before_disable') r ORDER BY r->>'id';
SELECT op, new_row FROM mentor.history WHERE table_name = 'public.tags' AND op = 'I' AND key_id = 5;

-- The list of audited tables follows renames and drops.
ALTER TABLE docs RENAME TO documents;
DROP TABLE enrol, tags, codes;
SELECT table_name FROM mentor.history_enabled_tables WHERE table_name NOT LIKE 'mentor.%' ORDER BY table_name;
SELECT count(*) AS history_of_dropped_table_kept FROM mentor.history WHERE table_name = 'public.tags';
DROP TABLE documents, nokey, devices, events CASCADE;
DROP SCHEMA "Audit Space" CASCADE;
DROP EXTENSION mentor;
