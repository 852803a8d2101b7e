--------------------------------------------------------------------------------
-- Module replication: logical replication of the whole schema to a subscriber
-- that has the extension installed (README, "Standbys and replication").
-- Two publications: every table but the history log, and the history log.
-- By default the log is published for its inserts only and each side prunes
-- itself: publishing deletes (prune_history's) needs a replica identity, a
-- unique key on every history row, which every audited write then pays for
-- (10-12% on a 100,000-row audited UPDATE).  history_replica_key() adds that
-- key for a deployment that wants the deletes replicated (a CDC pipeline).
--------------------------------------------------------------------------------

-- The key is (txid, at): a transaction runs in one backend, whose history
-- clock is strictly increasing, so no two rows of a transaction share an at.
-- Each partition of the log has its own (the log itself has no index, see
-- 30_history); the log marked REPLICA IDENTITY FULL gives it to partitions
-- made later.
CREATE FUNCTION history_replica_key() RETURNS text
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    leaf   regclass;
    name   text;
    usable boolean;
BEGIN
    IF NOT pg_has_role(current_user, (SELECT c.relowner FROM pg_class c WHERE c.oid = '@extschema@.history_log'::regclass),
                       'USAGE') THEN
        RAISE EXCEPTION 'history_replica_key() is for the owner of mentor.history_log'
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'It builds an index on each partition of the history log and sets its replica identity.',
                  HINT = 'Run it as the role that created the extension (or a superuser).';
    END IF;
    FOR leaf, name IN SELECT b.partition, c.relname FROM _history_partition_bounds() b JOIN pg_class c ON c.oid = b.partition LOOP
        SELECT i.indisvalid AND i.indisunique INTO usable
          FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
         WHERE i.indrelid = leaf AND c.relname = name || '_replica_key';
        IF usable IS NOT NULL AND NOT usable THEN
            RAISE EXCEPTION 'index mentor.% exists but is not a valid unique index', name || '_replica_key'
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      DETAIL = 'A CREATE INDEX CONCURRENTLY of it may have failed half-way.',
                      HINT = format('DROP INDEX mentor.%I, then build it again.', name || '_replica_key');
        END IF;
    END LOOP;
    ALTER TABLE history_log REPLICA IDENTITY FULL;
    -- Blocks audited writes to each partition while its index builds; on a large log, build them
    -- first with CREATE UNIQUE INDEX CONCURRENTLY under these names.
    FOR leaf IN SELECT b.partition FROM _history_partition_bounds() b LOOP
        PERFORM _history_index_partition(leaf);
    END LOOP;
    RETURN 'history_log_replica_key';
END
$$;
COMMENT ON FUNCTION history_replica_key() IS
    'Gives every partition of mentor.history_log (and each one made later: the log is marked REPLICA IDENTITY FULL) '
    'a replica identity, the unique index PARTITION_replica_key on (txid, at), so that the log''s deletes '
    '(prune_history) can be published; run it on the publisher and on each subscriber, and again after a restore. '
    'Every audited write then also inserts into that index. Idempotent; uses an index of that name built '
    'concurrently beforehand. Returns history_log_replica_key';

CREATE FUNCTION create_publications(name text DEFAULT 'mentor', history_deletes boolean DEFAULT false)
RETURNS SETOF text
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    tables text;
    history text := name || '_history';
    ops     text := 'insert';
BEGIN
    IF name IS NULL OR name !~ '^[a-z_][a-z0-9_]{0,40}$' THEN
        RAISE EXCEPTION 'publication name % is not a lower-case identifier of up to 41 characters',
                        coalesce(quote_literal(name), 'NULL')
            USING ERRCODE = 'invalid_parameter_value', HINT = 'For example mentor.create_publications(''mentor'').';
    END IF;
    SELECT string_agg(format('%I.%I', n.nspname, c.relname), ', ' ORDER BY c.relname) INTO tables
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = '@extschema@' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
       AND c.relname <> 'history_log';
    -- Again after ALTER EXTENSION UPDATE: the list then takes in the new tables.
    IF EXISTS (SELECT 1 FROM pg_publication p WHERE p.pubname = name) THEN
        EXECUTE format('ALTER PUBLICATION %I SET TABLE %s', name, tables);
    ELSE
        EXECUTE format('CREATE PUBLICATION %I FOR TABLE %s', name, tables);
    END IF;
    IF history_deletes IS NULL THEN
        RAISE EXCEPTION 'history_deletes must be true or false'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF history_deletes THEN
        PERFORM history_replica_key();
        ops := 'insert, delete';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_publication p WHERE p.pubname = history) THEN
        EXECUTE format('ALTER PUBLICATION %I SET (publish = %L, publish_via_partition_root = true)', history, ops);
    ELSE
        -- As the log itself, not its partitions: each side makes partitions of its own.
        EXECUTE format('CREATE PUBLICATION %I FOR TABLE @extschema@.history_log WITH (publish = %L, publish_via_partition_root = true)',
                       history, ops);
    END IF;
    RETURN NEXT name;
    RETURN NEXT history;
END
$$;
COMMENT ON FUNCTION create_publications(text, boolean) IS
    'Creates (or, after an update of the extension, refreshes) the publications a subscriber needs: NAME with '
    'every table of the extension but history_log, NAME_history with history_log''s inserts (prune_history then '
    'runs on each side), or with history_deletes also its deletes (after history_replica_key(), which it calls). '
    'Returns their names. Needs the rights of CREATE PUBLICATION (the tables'' owner)';

-- What CREATE EXTENSION itself puts into tables; a subscriber receives the
-- publisher's copy of the same rows, so it starts without its own.
CREATE FUNCTION prepare_subscriber() RETURNS bigint
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    install  text[] := ARRAY['lifecycle_state_defs', 'lifecycle_transition_defs', 'settings', 'skills',
                             'history_tables', 'history_contexts', 'history_log', 'notification_channels',
                             'notification_types', 'notification_defaults', 'languages', 'news_sources'];
    rel      record;
    tbl      text;
    has_rows boolean;
    removed  bigint := 0;
    n        bigint;
    role     text;
BEGIN
    IF NOT (SELECT r.rolsuper FROM pg_roles r WHERE r.rolname = current_user) THEN
        RAISE EXCEPTION 'prepare_subscriber() is for a superuser'
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'It empties catalogue tables with their guards off, as replication does.';
    END IF;
    FOR rel IN
        SELECT c.relname FROM pg_class c
         WHERE c.relnamespace = '@extschema@'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
           AND c.relname <> ALL (install)
         ORDER BY c.relname
    LOOP
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM @extschema@.%I)', rel.relname) INTO has_rows;
        IF has_rows THEN
            RAISE EXCEPTION 'mentor.% has rows: prepare_subscriber() runs on a fresh install only', rel.relname
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      HINT = 'Subscribe from a new database: CREATE EXTENSION mentor, then prepare_subscriber(), '
                             'then CREATE SUBSCRIPTION.';
        END IF;
    END LOOP;
    IF EXISTS (SELECT 1 FROM lifecycle_state_defs WHERE NOT shipped) OR EXISTS (SELECT 1 FROM settings WHERE NOT shipped)
       OR EXISTS (SELECT 1 FROM skills WHERE NOT shipped) OR EXISTS (SELECT 1 FROM history_tables WHERE NOT shipped)
       OR EXISTS (SELECT 1 FROM notification_types WHERE NOT shipped)
       OR EXISTS (SELECT 1 FROM notification_channels WHERE NOT shipped)
       OR EXISTS (SELECT 1 FROM notification_defaults WHERE NOT shipped)
       OR EXISTS (SELECT 1 FROM languages WHERE NOT shipped) OR EXISTS (SELECT 1 FROM news_sources WHERE NOT shipped) THEN
        RAISE EXCEPTION 'this database has definitions of its own: prepare_subscriber() runs on a fresh install only'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'A lifecycle, setting, skill, audited table, notification type, channel or default, '
                           'programming language or news source was added after CREATE EXTENSION.';
    END IF;
    FOREACH tbl IN ARRAY install LOOP
        EXECUTE format('SELECT count(*) FROM @extschema@.%I', tbl) INTO n;
        removed := removed + n;
    END LOOP;
    -- The guards (append-only history, lifecycle definitions) are triggers, off in replica mode.
    role := current_setting('session_replication_role');
    PERFORM set_config('session_replication_role', 'replica', true);
    TRUNCATE lifecycle_transition_defs, lifecycle_state_defs, settings, user_skills, skills, history_tables,
             history_contexts, history_log, notification_defaults, notification_templates, notification_user_settings,
             notification_connections, notification_types, notification_channels;
    -- Every table referring to these is empty (checked above) and replica mode skips the
    -- foreign-key triggers, so a DELETE does what TRUNCATE would without naming the referrers.
    DELETE FROM languages;
    DELETE FROM news_sources;
    PERFORM set_config('session_replication_role', role, true);
    -- History arrives for times this side has no partition for (it makes them only for its own
    -- writes): a default partition takes it.  Partitions made later start after what it holds.
    IF to_regclass('@extschema@.history_log_default') IS NULL
       AND (SELECT c.relkind FROM pg_class c WHERE c.oid = '@extschema@.history_log'::regclass) = 'p' THEN
        CREATE TABLE history_log_default PARTITION OF history_log DEFAULT;
        PERFORM _history_index_partition('history_log_default');
    END IF;
    RETURN removed;
END
$$;
COMMENT ON FUNCTION prepare_subscriber() IS
    'On a fresh install that is to subscribe to a publisher: removes the rows CREATE EXTENSION put there (shipped '
    'lifecycles, settings, skills, the history catalogue and its log, the notification catalogue, programming languages and news sources), which the '
    'subscription''s initial copy '
    'brings from the publisher, and gives the history log a default partition for the history it receives. Returns '
    'the number removed; 55000 when the database has data of its own, 42501 for anyone but a superuser';

CREATE FUNCTION sync_sequences() RETURNS TABLE (table_name text, column_name text, last_value bigint)
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    col record;
    top bigint;
BEGIN
    FOR col IN
        SELECT c.oid::regclass AS tbl, a.attname, pg_get_serial_sequence(c.oid::regclass::text, a.attname) AS seq
          FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
         WHERE c.relnamespace = '@extschema@'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
           AND a.attidentity <> '' AND NOT a.attisdropped
         ORDER BY 1, 2
    LOOP
        EXECUTE format('SELECT max(%I)::bigint FROM %s', col.attname, col.tbl) INTO top;
        CONTINUE WHEN top IS NULL;
        -- Never backwards: a sequence already past the largest id stays where it is.
        EXECUTE format('SELECT setval(%L, greatest(%s, (SELECT s.last_value FROM %s s)))', col.seq, top, col.seq)
           INTO last_value;
        table_name := col.tbl::text;
        column_name := col.attname;
        RETURN NEXT;
    END LOOP;
END
$$;
COMMENT ON FUNCTION sync_sequences() IS
    'Moves every identity sequence of the extension''s tables up to its table''s largest id (never down), as a '
    'subscriber needs before it takes writes (logical replication copies rows, not sequences). Returns each '
    'sequence moved or kept, with its value';

REVOKE EXECUTE ON FUNCTION create_publications(text, boolean), history_replica_key(), prepare_subscriber(), sync_sequences()
    FROM PUBLIC;
