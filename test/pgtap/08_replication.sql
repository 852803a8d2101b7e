-- The replication helpers' refusals and results (the end-to-end recipe runs in
-- test/scripts/logical_replication.sh): publications of the right tables, a
-- subscriber's preparation refused on a database with data of its own, and
-- sequences moved up, never down.
BEGIN;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS mentor CASCADE;
RESET client_min_messages;
SELECT plan(23);

SELECT throws_ok($$SELECT * FROM mentor.create_publications('Bad Name')$$, '22023', NULL,
                 'create_publications() refuses a name that is not a lower-case identifier');
SELECT is(array(SELECT * FROM mentor.create_publications('tap_pub')), ARRAY['tap_pub', 'tap_pub_history'],
          'create_publications() returns the two publications it made');
SELECT is((SELECT count(*) FROM pg_publication_tables WHERE pubname = 'tap_pub' AND tablename = 'history_log'), 0::bigint,
          'the first publishes every table but history_log');
SELECT is((SELECT count(*) FROM pg_publication_tables WHERE pubname = 'tap_pub'),
          (SELECT count(*) FROM pg_class WHERE relnamespace = 'mentor'::regnamespace AND relkind IN ('r', 'p')
              AND NOT relispartition AND relname <> 'history_log'),
          'all of them');
SELECT is((SELECT pubinsert AND NOT pubupdate AND NOT pubdelete AND NOT pubtruncate FROM pg_publication WHERE pubname = 'tap_pub_history'),
          true, 'the second publishes history_log''s inserts only');
SELECT lives_ok($$SELECT * FROM mentor.create_publications('tap_pub')$$, 'called again (after an update), it refreshes them');
SELECT is((SELECT relreplident FROM pg_class WHERE oid = 'mentor.history_log'::regclass), 'd'::"char",
          'by default history_log keeps no replica identity (no key for audited writes to pay for)');

-- Opting in to replicated prunes: a key on each partition of the log, and its deletes published.
INSERT INTO mentor.users (email, username, full_name) VALUES ('repl_before@example.com', 'repl_before', 'Repl Before');
SELECT is(array(SELECT * FROM mentor.create_publications('tap_pub', history_deletes => true)), ARRAY['tap_pub', 'tap_pub_history'],
          'create_publications(history_deletes => true) refreshes the same two publications');
SELECT is((SELECT pubinsert AND pubdelete AND NOT pubupdate AND NOT pubtruncate FROM pg_publication WHERE pubname = 'tap_pub_history'),
          true, 'the history publication now publishes inserts and deletes');
SELECT is((SELECT string_agg(c.relreplident::text || ':' || replace(pg_get_indexdef(i.oid), c.relname, 'P'), ',')
             FROM mentor.history_partitions p JOIN pg_class c ON c.oid = p.partition
             LEFT JOIN pg_index x ON x.indrelid = c.oid AND x.indisreplident LEFT JOIN pg_class i ON i.oid = x.indexrelid),
          'i:CREATE UNIQUE INDEX P_replica_key ON mentor.P USING btree (txid, at)',
          'the partition made before it gets a replica identity: its unique index on (txid, at)');
SELECT is((SELECT relreplident FROM pg_class WHERE oid = 'mentor.history_log'::regclass), 'f'::"char",
          'and partitions made later will: the log itself is marked (REPLICA IDENTITY FULL; it holds no rows)');
-- The next partition, made by a write to it: also keyed.
SELECT ok(mentor._history_add_partition(max(to_at) + interval '1 minute') IS NOT NULL, 'a later partition is made')
  FROM mentor.history_partitions;
SELECT is((SELECT string_agg(c.relreplident::text, '' ORDER BY p.from_at) FROM mentor.history_partitions p JOIN pg_class c ON c.oid = p.partition),
          'ii', 'it has the key as its replica identity too');
SELECT is((SELECT pubviaroot FROM pg_publication WHERE pubname = 'tap_pub_history'), true,
          'the log is published as itself, not as its partitions (each side makes its own)');
SELECT is(mentor.history_replica_key(), 'history_log_replica_key', 'history_replica_key() again keeps the indexes it made');
SELECT ok(mentor.prune_history('infinity') > 0,
          'prune_history deletes from the log (the signup audited under the key included)');
SELECT is((SELECT count(*) FROM mentor.history_log), 0::bigint, 'the prune removed the log');
SELECT is((SELECT count(*) FROM mentor.history_partitions), 0::bigint, 'and, its deletes published first, its partitions');
INSERT INTO mentor.users (email, username, full_name) VALUES ('repl_again@example.com', 'repl_again', 'Repl Again');
DO $$
DECLARE
    leaf text := (SELECT c.relname FROM mentor.history_partitions p JOIN pg_class c ON c.oid = p.partition LIMIT 1);
BEGIN
    EXECUTE format('ALTER TABLE mentor.%I REPLICA IDENTITY DEFAULT', leaf);
    EXECUTE format('DROP INDEX mentor.%I', leaf || '_replica_key');
    EXECUTE format('CREATE INDEX %I ON mentor.%I (txid, at)', leaf || '_replica_key', leaf);
END
$$;
SELECT throws_ok($$SELECT mentor.history_replica_key()$$, '55000', NULL,
                 'an index of that name that is not unique is refused, not used');

INSERT INTO mentor.users (email, username, full_name) VALUES ('repl_tap@example.com', 'repl_tap', 'Repl Tap');
SELECT throws_ok($$SELECT mentor.prepare_subscriber()$$, '55000', NULL,
                 'prepare_subscriber() refuses a database with data of its own (nothing is removed)');
SELECT ok((SELECT count(*) FROM mentor.lifecycle_state_defs) > 0, 'the shipped lifecycles are still there');

SELECT is(setval(pg_get_serial_sequence('mentor.users', 'id'), 1), 1::bigint, 'the users sequence set back, as on a new subscriber');
SELECT ok((SELECT bool_and(last_value >= 1) FROM mentor.sync_sequences())
          AND (SELECT last_value FROM mentor.users_id_seq) >= (SELECT max(id) FROM mentor.users),
          'sync_sequences() moves the users sequence back up to the largest id');

SELECT * FROM finish();
ROLLBACK;
