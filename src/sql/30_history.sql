--------------------------------------------------------------------------------
-- Module history: every change to every audited row, who made it and when.
--------------------------------------------------------------------------------

CREATE TABLE history_tables (
    id           smallint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    table_name   text NOT NULL,
    key_columns  text[] NOT NULL,
    key_types    text[] NOT NULL,
    excluded     text[] NOT NULL DEFAULT '{}',
    private      text[] NOT NULL DEFAULT '{}',
    enabled      boolean NOT NULL DEFAULT true,
    shipped      boolean NOT NULL DEFAULT false,
    enabled_at   timestamptz NOT NULL DEFAULT now(),
    disabled_at  timestamptz,
    gaps         tstzrange[] NOT NULL DEFAULT '{}'
);
COMMENT ON TABLE history_tables IS
    'Tables whose history is (or was) recorded; maintained by mentor.enable_history() and mentor.disable_history()';
COMMENT ON COLUMN history_tables.table_name IS 'Schema-qualified name when history was last enabled';
COMMENT ON COLUMN history_tables.key_columns IS 'Columns of the primary key (or replica identity) that identify a row';
COMMENT ON COLUMN history_tables.excluded IS 'Columns never written to history (password hashes, tokens)';
COMMENT ON COLUMN history_tables.private IS
    'Columns recorded in history but shown only to mentor_admin (emails, names, OAuth ids, reviewers): '
    'the history view and readers leave them out for everyone else; set by mentor.set_history_private()';
COMMENT ON COLUMN history_tables.gaps IS
    'Periods when nothing was recorded, each opened by disable_history (which recorded every row''s state as op S '
    'at its start) and closed by enable_history: readers of an earlier moment walk back from that state, never '
    'across the gap';
COMMENT ON COLUMN history_tables.shipped IS 'An extension table (recreated by CREATE EXTENSION, not dumped)';
SELECT pg_catalog.pg_extension_config_dump('history_tables', 'WHERE NOT shipped');

CREATE TABLE history_contexts (
    id               integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    actor_id         bigint NOT NULL DEFAULT 0,
    db_user          text NOT NULL,
    application_name text NOT NULL,
    UNIQUE (actor_id, db_user, application_name)
);
COMMENT ON TABLE history_contexts IS
    'Who acted: each distinct (acting user, session user, application_name) once, referenced by history rows';
COMMENT ON COLUMN history_contexts.actor_id IS 'mentor.current_actor() at the time, 0 when none was set';
COMMENT ON COLUMN history_contexts.db_user IS 'The session user (the database login)';

-- The log itself, kept narrow: about 85 bytes of heap per one-column update.  changes is JSON
-- text, not jsonb: for the small documents history writes, text is less than half the size.
-- A key is stored in one of two columns: row_id for a single integer key column (most tables),
-- row_key for any other key.  Each has its own partial index, so a row's history is one index
-- probe either way; the bigint one is the cheaper to insert into on every audited write.
-- Fixed-width columns come first, widest first, so no byte is lost to alignment.
CREATE TABLE history_log (
    at          timestamptz NOT NULL,
    txid        xid8 NOT NULL,
    row_id      bigint,
    context_id  integer NOT NULL,
    table_id    smallint NOT NULL,
    op          "char" NOT NULL,
    row_key     text COLLATE "C",
    changes     json,
    CHECK ((row_id IS NULL) <> (row_key IS NULL))
) PARTITION BY RANGE (at);
COMMENT ON TABLE history_log IS
    'Storage of mentor.history (read that view): append-only, written by mentor.history_trigger(); partitioned by '
    'time (mentor.history_partitions), one partition per history.partition_interval, created as needed';
COMMENT ON COLUMN history_log.at IS
    'When the change was made: strictly increasing within a session, so it orders the changes of a row';
COMMENT ON COLUMN history_log.op IS
    'I insert, U update, D delete, T removed by TRUNCATE, S the row''s state when disable_history stopped recording';
COMMENT ON COLUMN history_log.row_id IS
    'The key value when the key is a single smallint, integer or bigint column (row_key is then NULL)';
COMMENT ON COLUMN history_log.row_key IS
    'Any other key as text: the value''s text, or for a composite key a JSON array of the values as text '
    '(byte order: keys are compared, never sorted for people); NULL when row_id holds the key';
COMMENT ON COLUMN history_log.changes IS
    'I: NULL (the row is rebuilt from the live row; whole rows written by 0.1 are kept); D, T and S: the whole row; '
    'U: ["column", old, new, ...] for the changed columns only';
-- Each partition has its own indexes (made with it by _history_index_partition): a B-tree on
-- row_id, one on row_key, both partial, and a BRIN on at.  None is declared on the log itself:
-- a restored dump attaches each partition with its own indexes, which an index on the log (made
-- by CREATE EXTENSION before the partitions arrive) would duplicate under clashing names.
-- B-tree, not hash, although readers only look keys up by equality: a hash index was a few
-- percent faster on two cores, but every insert into one takes its metapage lock exclusively (to
-- count tuples), which would serialise the audited writes of all sessions on one lock.

-- Partitions: an audited write descends only its partition's key index, so its cost does not grow
-- with the log, and prune_history drops whole partitions.  They are data, not part of the
-- extension: pg_dump keeps them (and their rows) as ordinary tables, and nothing is written to
-- the log while CREATE EXTENSION or an update runs (the partitions it would create would be
-- members, and a restore's CREATE EXTENSION would create ones that clash with those restored).
INSERT INTO settings (key, shipped, value, description) VALUES
    ('history.partition_interval', true, '"1 month"',
     'The time each partition of the history log covers (an interval: "1 month", "1 week", "1 day"); '
     'partitions already made keep theirs');

-- What every partition of the log has: its indexes, the append-only guard, and the replica key
-- when history_replica_key() asked for it (it marks the log REPLICA IDENTITY FULL: a mark in the
-- catalog, which replication does not copy, unlike a setting; the log itself holds no rows).
-- Names derive from the partition's.
CREATE FUNCTION _history_index_partition(leaf regclass) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    name text := (SELECT c.relname FROM pg_class c WHERE c.oid = leaf);
BEGIN
    -- Each only if missing (by name, so that one built concurrently beforehand is kept).
    IF to_regclass(format('%I.%I', '@extschema@', name || '_row_idx')) IS NULL THEN
        EXECUTE format('CREATE INDEX %I ON %s (row_id) WHERE row_id IS NOT NULL', name || '_row_idx', leaf);
    END IF;
    IF to_regclass(format('%I.%I', '@extschema@', name || '_key_idx')) IS NULL THEN
        EXECUTE format('CREATE INDEX %I ON %s (row_key) WHERE row_key IS NOT NULL', name || '_key_idx', leaf);
    END IF;
    IF to_regclass(format('%I.%I', '@extschema@', name || '_at_idx')) IS NULL THEN
        EXECUTE format('CREATE INDEX %I ON %s USING brin (at)', name || '_at_idx', leaf);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = leaf AND t.tgname = 'history_append_only') THEN
        EXECUTE format('CREATE TRIGGER history_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON %s '
                       'FOR EACH STATEMENT EXECUTE FUNCTION _history_guard()', leaf);
    END IF;
    IF (SELECT c.relreplident FROM pg_class c WHERE c.oid = 'history_log'::regclass) = 'f' THEN
        IF to_regclass(format('%I.%I', '@extschema@', name || '_replica_key')) IS NULL THEN
            EXECUTE format('CREATE UNIQUE INDEX %I ON %s (txid, at)', name || '_replica_key', leaf);
        END IF;
        EXECUTE format('ALTER TABLE %s REPLICA IDENTITY USING INDEX %I', leaf, name || '_replica_key');
    END IF;
END
$$;
COMMENT ON FUNCTION _history_index_partition(regclass) IS
    'Internal: gives a partition of the history log its indexes, its append-only guard and, once '
    'history_replica_key() has run, its replica identity';

CREATE FUNCTION _history_partition_bounds() RETURNS TABLE (partition regclass, from_at timestamptz, to_at timestamptz)
    AS 'MODULE_PATHNAME', 'mn_history_partition_bounds' LANGUAGE C STABLE;
COMMENT ON FUNCTION _history_partition_bounds() IS
    'Internal: the partitions of history_log with their bounds (NULL for the default partition), from the relcache';

CREATE VIEW history_partitions AS
SELECT b.from_at, b.to_at, b.partition, b.from_at IS NULL AS is_default,
       greatest(c.reltuples, 0)::bigint AS estimated_rows, pg_catalog.pg_total_relation_size(b.partition) AS bytes
  FROM @extschema@._history_partition_bounds() b JOIN pg_catalog.pg_class c ON c.oid = b.partition;
COMMENT ON VIEW history_partitions IS
    'The partitions of the history log: the time each holds [from_at, to_at), the partition, its size; the default '
    'partition (a subscriber''s, for what arrives before it has a partition) has no bounds';

-- The partition for a moment, created if none holds it: the slot of history.partition_interval
-- that holds it (counted from the first partition, or from the start of its month), clipped to
-- its neighbours, and started after any row the default partition holds in it.  wait => false:
-- NULL at once if another session is creating one (writers ask ahead of need this way).
CREATE FUNCTION _history_add_partition(at timestamptz, wait boolean DEFAULT true) RETURNS regclass
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    step  interval;
    found regclass;
    lo    timestamptz;
    hi    timestamptz;
    bound timestamptz;
    dflt  regclass;
    name  text;
    leaf  regclass;
BEGIN
    IF at IS NULL OR NOT isfinite(at) THEN
        RAISE EXCEPTION 'a partition of the history log needs a finite point in time'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    BEGIN
        step := (setting('history.partition_interval') #>> '{}')::interval;
    EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow OR interval_field_overflow THEN
        step := NULL;
    END;
    IF step IS NULL OR step < interval '1 millisecond' THEN
        RAISE EXCEPTION 'setting history.partition_interval is not an interval of at least a millisecond: %',
                        setting('history.partition_interval')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'UPDATE mentor.settings SET value = ''"1 month"'' WHERE key = ''history.partition_interval'' AND NOT shipped.';
    END IF;
    IF wait THEN
        LOCK TABLE history_log IN SHARE UPDATE EXCLUSIVE MODE;
    ELSE
        BEGIN
            LOCK TABLE history_log IN SHARE UPDATE EXCLUSIVE MODE NOWAIT;
        EXCEPTION WHEN lock_not_available THEN
            RETURN NULL;
        END;
    END IF;
    SELECT b.partition INTO found FROM _history_partition_bounds() b WHERE b.from_at <= at AND at < b.to_at;
    IF found IS NOT NULL THEN
        RETURN found;
    END IF;
    -- Counted in UTC wall time, so that months start on the 1st and days at midnight whatever the
    -- session's time zone.
    lo := coalesce((SELECT min(b.from_at) FROM _history_partition_bounds() b), date_trunc('month', at, 'UTC'));
    IF extract(year FROM step) = 0 AND extract(month FROM step) = 0 AND extract(day FROM step) = 0 THEN
        lo := lo + step * floor(extract(epoch FROM at - lo) / extract(epoch FROM step));
    ELSE
        WHILE lo > at LOOP lo := ((lo AT TIME ZONE 'UTC') - step) AT TIME ZONE 'UTC'; END LOOP;
        WHILE ((lo AT TIME ZONE 'UTC') + step) AT TIME ZONE 'UTC' <= at LOOP
            lo := ((lo AT TIME ZONE 'UTC') + step) AT TIME ZONE 'UTC';
        END LOOP;
    END IF;
    hi := ((lo AT TIME ZONE 'UTC') + step) AT TIME ZONE 'UTC';
    SELECT max(b.to_at) INTO bound FROM _history_partition_bounds() b WHERE b.to_at <= at;
    lo := greatest(lo, bound);
    SELECT min(b.from_at) INTO bound FROM _history_partition_bounds() b WHERE b.from_at > at;
    hi := least(hi, bound);
    SELECT b.partition INTO dflt FROM _history_partition_bounds() b WHERE b.from_at IS NULL;
    IF dflt IS NOT NULL THEN
        EXECUTE format('SELECT max(l.at) FROM %s l WHERE l.at >= $1 AND l.at < $2', dflt) INTO bound USING lo, hi;
        IF bound >= at THEN
            RETURN NULL;   -- the default partition holds this moment already; the row joins it
        END IF;
        lo := greatest(lo, bound + interval '1 microsecond');
    END IF;
    name := 'history_log_' || to_char(lo AT TIME ZONE 'UTC', 'YYYYMMDD_HH24MISS')
            || CASE WHEN extract(microseconds FROM lo) % 1000000 <> 0 THEN to_char(lo AT TIME ZONE 'UTC', '_US') ELSE '' END;
    EXECUTE format('CREATE TABLE %I (LIKE history_log INCLUDING CONSTRAINTS)', name);
    leaf := format('%I.%I', '@extschema@', name)::regclass;
    PERFORM _history_index_partition(leaf);
    EXECUTE format('ALTER TABLE history_log ATTACH PARTITION %s FOR VALUES FROM (%L) TO (%L)', leaf, lo, hi);
    -- Made by an update script (the 0.1 log moved in): data like any other partition, not a member.
    IF EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = leaf AND d.deptype = 'e') THEN
        EXECUTE format('ALTER EXTENSION mentor DROP TABLE %s', leaf);
    END IF;
    RETURN leaf;
END
$$;
COMMENT ON FUNCTION _history_add_partition(timestamptz, boolean) IS
    'Internal: the partition of the history log that holds a moment, created if none does (NULL when wait is false '
    'and another session is creating one, or when the default partition already holds that moment)';

-- Whole partitions older than the cutoff are dropped, whatever their size; only the partition the
-- cutoff falls in (and a subscriber's default partition) is deleted from.  When a publication
-- sends the log's deletes (create_publications(history_deletes => true)), each pruned row is
-- deleted before its partition goes, so that subscribers prune too.
CREATE FUNCTION _history_prune(older_than timestamptz) RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    p         record;
    n         bigint;
    total     bigint := 0;
    published boolean := EXISTS (SELECT 1 FROM pg_publication pub
                                  WHERE pub.pubdelete AND (pub.puballtables OR EXISTS (
                                        SELECT 1 FROM pg_publication_rel r
                                         WHERE r.prpubid = pub.oid AND r.prrelid = 'history_log'::regclass)));
BEGIN
    FOR p IN SELECT b.partition, b.from_at, b.to_at FROM _history_partition_bounds() b ORDER BY b.from_at NULLS FIRST LOOP
        IF p.to_at <= older_than THEN
            IF published THEN
                EXECUTE format('DELETE FROM %s', p.partition);
                GET DIAGNOSTICS n = ROW_COUNT;
            ELSE
                EXECUTE format('SELECT count(*) FROM %s', p.partition) INTO n;
            END IF;
            EXECUTE format('DROP TABLE %s', p.partition);
            total := total + n;
        ELSIF p.from_at IS NULL OR p.from_at < older_than THEN
            EXECUTE format('DELETE FROM %s WHERE at < $1', p.partition) USING older_than;
            GET DIAGNOSTICS n = ROW_COUNT;
            total := total + n;
        END IF;
    END LOOP;
    RETURN total;
END
$$;
COMMENT ON FUNCTION _history_prune(timestamptz) IS
    'Internal (mentor.prune_history): drops the partitions of the log older than a moment, deletes the older rows '
    'of the one it falls in; returns how many rows went';

CREATE FUNCTION _history_guard() RETURNS trigger
    AS 'MODULE_PATHNAME', 'mn_history_guard' LANGUAGE C;
COMMENT ON FUNCTION _history_guard() IS 'Internal: keeps history append-only except for mentor.prune_history()';
CREATE TRIGGER history_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON history_log
    FOR EACH STATEMENT EXECUTE FUNCTION _history_guard();
CREATE TRIGGER history_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON history_contexts
    FOR EACH STATEMENT EXECUTE FUNCTION _history_guard();

CREATE FUNCTION _history_context_id(actor bigint, db_user text, app text) RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    found_id integer;
BEGIN
    SELECT c.id INTO found_id FROM history_contexts c
     WHERE c.actor_id = actor AND c.db_user = _history_context_id.db_user AND c.application_name = app;
    IF found_id IS NULL THEN
        INSERT INTO history_contexts (actor_id, db_user, application_name) VALUES (actor, db_user, app)
        ON CONFLICT DO NOTHING RETURNING id INTO found_id;
    END IF;
    IF found_id IS NULL THEN
        -- Another session inserted it after this transaction's snapshot (REPEATABLE READ).
        SELECT c.id INTO found_id FROM history_contexts c
         WHERE c.actor_id = actor AND c.db_user = _history_context_id.db_user AND c.application_name = app;
    END IF;
    IF found_id IS NULL THEN
        RAISE EXCEPTION 'could not record the history context concurrently created by another session'
            USING ERRCODE = 'serialization_failure', HINT = 'Retry the transaction.';
    END IF;
    RETURN found_id;
END
$$;
COMMENT ON FUNCTION _history_context_id(bigint, text, text) IS 'Internal: id of a history context, created on first use';

CREATE FUNCTION history_trigger() RETURNS trigger
    AS 'MODULE_PATHNAME', 'mn_history_trigger' LANGUAGE C;
COMMENT ON FUNCTION history_trigger() IS
    'Records changes of a table in mentor.history (attached by mentor.enable_history; argument: the history table id)';

CREATE FUNCTION prune_history(older_than timestamptz) RETURNS bigint
    AS 'MODULE_PATHNAME', 'mn_prune_history' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION prune_history(timestamptz) IS
    'Deletes history recorded before older_than (the only way history rows are ever removed): drops whole '
    'partitions of the log, deletes only in the partition older_than falls in; returns how many rows went';

-- Decoding helpers for the view and the readers.
CREATE FUNCTION _history_side(changes jsonb, side integer) RETURNS jsonb
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
SELECT (SELECT jsonb_object_agg(changes ->> i, changes -> (i + side))
          FROM generate_series(0, jsonb_array_length(changes) - 1, 3) AS i)
$$;
COMMENT ON FUNCTION _history_side(jsonb, integer) IS
    'Internal: the old (side 1) or new (side 2) values of an update as an object';

CREATE FUNCTION _history_key_json(key_columns text[], key_types text[], row_key text) RETURNS jsonb
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
SELECT (SELECT jsonb_object_agg(c.col, CASE WHEN c.typ IN ('smallint', 'integer', 'bigint', 'numeric')
                                            THEN to_jsonb(c.val::numeric) ELSE to_jsonb(c.val) END)
          FROM unnest(key_columns, key_types,
                      CASE WHEN cardinality(key_columns) = 1 THEN ARRAY[row_key]
                           ELSE ARRAY(SELECT jsonb_array_elements_text(row_key::jsonb)) END) AS c(col, typ, val))
$$;
COMMENT ON FUNCTION _history_key_json(text[], text[], text) IS 'Internal: a stored row key as a jsonb object';

-- The row_id under which history_trigger() stores a key given in its canonical text, or NULL if
-- that text is not an integer's.  Readers probe both row_id and row_key with it, so a row's
-- history is found whichever way it was stored (also across an ALTER TYPE of the key column).
CREATE FUNCTION _history_key_id(key_text text) RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
SELECT CASE WHEN key_text ~ '^(0|-?[1-9][0-9]{0,18})$'
            THEN CASE WHEN key_text::numeric BETWEEN -9223372036854775808 AND 9223372036854775807
                      THEN key_text::bigint END END
$$;
COMMENT ON FUNCTION _history_key_id(text) IS 'Internal: a key''s text as history_log.row_id, NULL if not an integer';

-- An insert is recorded as its key alone; its row is rebuilt from the live row (or the delete or
-- TRUNCATE that removed it), walked back to the moment of the insert.  SECURITY DEFINER: analysts
-- read the history of tables they may not read, as the history view always let them; a direct
-- call answers what that view would (private columns left out unless the login is an
-- administrator), and only roles that read history may call it.
CREATE FUNCTION _history_inserted_row(tid smallint, key_id bigint, key_text text, at timestamptz) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    h       history_tables;
    tbl     regclass;
    ktext   text := coalesce(key_text, key_id::text);
    current jsonb;
    state   jsonb;
BEGIN
    SELECT * INTO h FROM history_tables WHERE id = tid;
    IF NOT FOUND OR ktext IS NULL OR at IS NULL THEN
        RETURN NULL;
    END IF;
    -- The table by its trigger (renames followed), else by the name it was last enabled under.
    SELECT g.tgrelid INTO tbl FROM pg_trigger g
     WHERE g.tgname = 'mentor_history' AND g.tgparentid = 0 AND g.tgnargs = 1
       AND g.tgargs = convert_to(tid::text, 'SQL_ASCII') || '\x00'::bytea;
    IF tbl IS NULL THEN
        tbl := to_regclass(h.table_name);
        IF tbl IS NOT NULL AND _history_table_id(tbl, false) IS DISTINCT FROM tid THEN
            tbl := NULL;
        END IF;
    END IF;
    IF tbl IS NOT NULL THEN
        BEGIN
            EXECUTE format('SELECT to_jsonb(t) - $2 FROM %s t WHERE (%s) = (SELECT %s FROM jsonb_populate_record(NULL::%s, $1))',
                           tbl, _history_key_list(tid, 't.'), _history_key_list(tid), tbl)
               INTO current USING _history_key_json(h.key_columns, h.key_types, ktext), h.excluded;
        EXCEPTION WHEN undefined_column OR invalid_text_representation OR datatype_mismatch THEN
            current := NULL;   -- the key's columns changed since: only the log can answer
        END;
    END IF;
    state := _history_rewind(tid, ktext, current, at);
    IF cardinality(h.private) > 0 AND NOT pg_has_role(session_user, 'mentor_admin', 'USAGE') THEN
        state := state - h.private;
    END IF;
    RETURN state;
END
$$;
COMMENT ON FUNCTION _history_inserted_row(smallint, bigint, text, timestamptz) IS
    'Internal: the row an insert recorded as its key alone wrote, rebuilt from the live row (or the delete that '
    'removed it) walked back to that moment; NULL when the table is gone';

-- Private columns are removed here, so every reader of history (row_history, row_as_of,
-- table_as_of) inherits the rule; analysts and applications read history only through this view.
-- No LATERAL subquery for the sides: a reader that does not ask for new_row (the walk back of
-- _history_rewind) must not rebuild inserted rows, and a column of a flattened view that nobody
-- references is never computed.
CREATE VIEW history AS
SELECT l.at,
       l.txid,
       nullif(c.actor_id, 0) AS actor_id,
       c.db_user,
       c.application_name,
       t.table_name,
       l.op,
       @extschema@._history_key_json(t.key_columns, t.key_types, coalesce(l.row_key, l.row_id::text)) AS row_key,
       CASE WHEN cardinality(t.private) = 0 OR (SELECT @extschema@._current_user_is_admin())
            THEN CASE l.op WHEN 'U' THEN @extschema@._history_side(l.changes::jsonb, 1)
                           WHEN 'I' THEN NULL ELSE l.changes::jsonb END
            ELSE CASE l.op WHEN 'U' THEN @extschema@._history_side(l.changes::jsonb, 1)
                           WHEN 'I' THEN NULL ELSE l.changes::jsonb END - t.private END AS old_row,
       CASE WHEN cardinality(t.private) = 0 OR (SELECT @extschema@._current_user_is_admin())
            THEN CASE l.op WHEN 'U' THEN @extschema@._history_side(l.changes::jsonb, 2)
                           WHEN 'I' THEN coalesce(l.changes::jsonb,
                                                  @extschema@._history_inserted_row(l.table_id, l.row_id, l.row_key, l.at)) END
            ELSE CASE l.op WHEN 'U' THEN @extschema@._history_side(l.changes::jsonb, 2)
                           WHEN 'I' THEN coalesce(l.changes::jsonb,
                                                  @extschema@._history_inserted_row(l.table_id, l.row_id, l.row_key, l.at)) END
                 - t.private END AS new_row,
       l.table_id,
       l.row_id AS key_id,
       l.row_key AS key_text
  FROM @extschema@.history_log l
  JOIN @extschema@.history_tables t ON t.id = l.table_id
  LEFT JOIN @extschema@.history_contexts c ON c.id = l.context_id;
COMMENT ON VIEW history IS
    'Every recorded change: an insert''s new row (rebuilt from the live row walked back), a delete''s (or TRUNCATE''s) '
    'old row, an update''s changed columns only (old values in old_row, new in new_row), and as old_row the state of '
    'each row when its recording was disabled (S). Private columns (history_tables.private) are left out unless the '
    'reader is mentor_admin';
COMMENT ON COLUMN history.at IS 'When the change was made';
COMMENT ON COLUMN history.txid IS 'Transaction that made it (pg_current_xact_id())';
COMMENT ON COLUMN history.actor_id IS 'mentor.current_actor() of that transaction; NULL when none was set';
COMMENT ON COLUMN history.db_user IS 'Session user that made it';
COMMENT ON COLUMN history.op IS
    'I insert, U update, D delete, T removed by TRUNCATE, S the row as it was when disable_history stopped recording';
COMMENT ON COLUMN history.row_key IS 'The row''s key as an object of key columns';
COMMENT ON COLUMN history.key_id IS
    'The key as stored when it is a single integer column, else NULL (use mentor.row_history to search by key)';
COMMENT ON COLUMN history.key_text IS
    'The key as stored when it is not a single integer column, else NULL (use mentor.row_history to search by key)';


CREATE FUNCTION _history_qualified(tbl regclass) RETURNS text
LANGUAGE sql STABLE STRICT
AS $$
SELECT (SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.oid = tbl)
$$;
COMMENT ON FUNCTION _history_qualified(regclass) IS 'Internal: schema-qualified, quoted name of a table';

-- Listed from the triggers themselves, so dropped tables vanish and renamed ones show their new name.
CREATE VIEW history_enabled_tables AS
SELECT h.id, @extschema@._history_qualified(g.tgrelid) AS table_name, h.key_columns, h.excluded, h.enabled_at
  FROM pg_catalog.pg_trigger g
  JOIN @extschema@.history_tables h
    ON h.id = pg_catalog.split_part(pg_catalog.encode(g.tgargs, 'escape'), '\000', 1)::smallint
 WHERE g.tgname = 'mentor_history' AND g.tgparentid = 0;
COMMENT ON VIEW history_enabled_tables IS
    'Tables whose changes are being recorded now (by their trigger), with their key and excluded columns';

-- The history id of a table: from its trigger (robust to renames and dumps), else by name (disabled tables).
CREATE FUNCTION _history_table_id(tbl regclass, required boolean DEFAULT true) RETURNS smallint
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    tid smallint;
BEGIN
    SELECT split_part(encode(t.tgargs, 'escape'), '\000', 1)::smallint INTO tid
      FROM pg_trigger t WHERE t.tgrelid = tbl AND t.tgname = 'mentor_history';
    IF tid IS NULL THEN
        SELECT h.id INTO tid FROM history_tables h WHERE h.table_name = _history_qualified(tbl)
         ORDER BY h.id DESC LIMIT 1;
    END IF;
    IF tid IS NULL AND required THEN
        RAISE EXCEPTION 'table % has no history', tbl
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = format('Start recording it with SELECT mentor.enable_history(%L).', tbl::text);
    END IF;
    RETURN tid;
END
$$;
COMMENT ON FUNCTION _history_table_id(regclass, boolean) IS 'Internal: the history id of a table';

-- Statement triggers are not cloned to partitions: TRUNCATE triggers go on every leaf partition too.
CREATE FUNCTION _history_drop_triggers(tbl regclass) RETURNS void
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT g.tgname, g.tgrelid::regclass AS rel FROM pg_trigger g
              WHERE g.tgrelid IN (SELECT relid FROM pg_partition_tree(tbl) UNION SELECT tbl)
                AND g.tgname IN ('mentor_history', 'mentor_history_truncate') AND NOT g.tgisinternal
                AND g.tgparentid = 0 LOOP
        EXECUTE format('DROP TRIGGER %I ON %s', t.tgname, t.rel);
    END LOOP;
END
$$;
COMMENT ON FUNCTION _history_drop_triggers(regclass) IS 'Internal: removes the history triggers of a table and its partitions';

-- The columns enable_history excludes and set_history_private hides must exist and not be key columns.
CREATE FUNCTION _history_check_columns(tbl regclass, cols text[], keycols text[], purpose text) RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    bad text[];
BEGIN
    SELECT array_agg(c) INTO bad FROM unnest(cols) c
     WHERE NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = tbl AND a.attname = c AND a.attnum > 0 AND NOT a.attisdropped);
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'table % has no column %', tbl, array_to_string(bad, ', ')
            USING ERRCODE = 'undefined_column',
                  HINT = format('Name the columns to be %s history exactly as they are spelled.', purpose);
    END IF;
    IF cols && keycols THEN
        RAISE EXCEPTION 'key columns of % cannot be % its history', tbl, purpose
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('The key is (%s); history identifies rows by it.', array_to_string(keycols, ', '));
    END IF;
END
$$;
COMMENT ON FUNCTION _history_check_columns(regclass, text[], text[], text) IS
    'Internal: the named columns exist and are not key columns (42703, 22023)';

CREATE FUNCTION enable_history(tbl regclass, exclude text[] DEFAULT '{}') RETURNS smallint
LANGUAGE plpgsql VOLATILE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    kind      "char";
    keyindex  oid;
    keycols   text[];
    keytypes  text[];
    tid       smallint;
    part      regclass;
BEGIN
    IF tbl IS NULL THEN
        RAISE EXCEPTION 'enable_history needs a table' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    exclude := coalesce(exclude, '{}');
    SELECT c.relkind INTO kind FROM pg_class c WHERE c.oid = tbl;
    IF kind NOT IN ('r', 'p') THEN
        RAISE EXCEPTION '% is not a table', tbl USING ERRCODE = 'wrong_object_type';
    END IF;
    IF tbl IN ('history_log'::regclass, 'history_contexts'::regclass, 'history_tables'::regclass)
       OR EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = tbl AND h.inhparent = 'history_log'::regclass) THEN
        RAISE EXCEPTION 'the history of history is not recorded' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT i.indexrelid INTO keyindex FROM pg_index i WHERE i.indrelid = tbl AND i.indisprimary;
    IF keyindex IS NULL THEN
        SELECT i.indexrelid INTO keyindex FROM pg_index i WHERE i.indrelid = tbl AND i.indisreplident;
    END IF;
    IF keyindex IS NULL THEN
        RAISE EXCEPTION 'table % has neither a primary key nor a replica identity index', tbl
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'History identifies rows by key: add a primary key, or ALTER TABLE ... REPLICA IDENTITY USING INDEX.';
    END IF;
    SELECT array_agg(a.attname::text ORDER BY k.ord), array_agg(format_type(a.atttypid, a.atttypmod) ORDER BY k.ord)
      INTO keycols, keytypes
      FROM pg_index i, unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
      JOIN pg_attribute a ON a.attrelid = tbl AND a.attnum = k.attnum
     WHERE i.indexrelid = keyindex AND k.ord <= i.indnkeyatts;
    PERFORM _history_check_columns(tbl, exclude, keycols, 'excluded from');

    tid := _history_table_id(tbl, false);
    IF tid IS NULL THEN
        INSERT INTO history_tables (table_name, key_columns, key_types, excluded)
        VALUES (_history_qualified(tbl), keycols, keytypes, exclude) RETURNING id INTO tid;
    ELSE
        UPDATE history_tables SET table_name = _history_qualified(tbl), key_columns = keycols, key_types = keytypes,
               excluded = exclude, enabled = true, enabled_at = now(), disabled_at = NULL
         WHERE id = tid;
    END IF;
    PERFORM _history_drop_triggers(tbl);
    EXECUTE format('CREATE TRIGGER mentor_history AFTER INSERT OR UPDATE OR DELETE ON %s '
                   'FOR EACH ROW EXECUTE FUNCTION @extschema@.history_trigger(%L)', tbl, tid);
    EXECUTE format('CREATE TRIGGER mentor_history_truncate BEFORE TRUNCATE ON %s '
                   'FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.history_trigger(%L)', tbl, tid);
    FOR part IN SELECT relid FROM pg_partition_tree(tbl) WHERE isleaf AND relid <> tbl LOOP
        EXECUTE format('CREATE TRIGGER mentor_history_truncate BEFORE TRUNCATE ON %s '
                       'FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.history_trigger(%L)', part, tid);
    END LOOP;
    -- Changes from here on are recorded: the gap since disable_history ends now.
    UPDATE history_tables
       SET gaps[cardinality(gaps)] = tstzrange(lower(gaps[cardinality(gaps)]), clock_timestamp())
     WHERE id = tid AND cardinality(gaps) > 0 AND upper_inf(gaps[cardinality(gaps)]);
    RETURN tid;
END
$$;
COMMENT ON FUNCTION enable_history(regclass, text[]) IS
    'Starts (or updates) recording every change of a table in mentor.history; excluded columns are never written. '
    'Needs a primary key or replica identity index. For a partitioned table, call it again after adding partitions '
    '(so that TRUNCATE of a new partition is recorded). Returns the table''s history id';

CREATE FUNCTION _history_snapshot(tbl regclass, tid smallint) RETURNS void
    AS 'MODULE_PATHNAME', 'mn_history_snapshot' LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION _history_snapshot(regclass, smallint) IS
    'Internal: records every row of a table (a leaf, not a partitioned parent) as it is now, op S';

-- Before recording stops, each row's state is recorded (S): the readers walk back from the live
-- row, and changes made while nobody records must not leak into the past they rebuild (an
-- insert's row included, which is stored as its key alone).  The table is locked first, so that
-- no write falls between the snapshot and the triggers' end.
CREATE FUNCTION disable_history(tbl regclass) RETURNS boolean
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    tid     smallint := _history_table_id(tbl, false);
    leaf    regclass;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM history_tables h WHERE h.id = tid AND h.enabled)
       OR NOT EXISTS (SELECT 1 FROM pg_trigger g WHERE g.tgrelid = tbl AND g.tgname = 'mentor_history') THEN
        PERFORM _history_drop_triggers(tbl);
        UPDATE history_tables SET enabled = false, disabled_at = now() WHERE id = tid AND enabled;
        RETURN FOUND;
    END IF;
    EXECUTE format('LOCK TABLE %s IN ACCESS EXCLUSIVE MODE', tbl);
    -- Every change recorded so far is older than this moment, every S row younger.
    UPDATE history_tables SET enabled = false, disabled_at = now(), gaps = gaps || tstzrange(clock_timestamp(), NULL)
     WHERE id = tid;
    FOR leaf IN SELECT p.relid FROM pg_partition_tree(tbl) p WHERE p.isleaf
                UNION SELECT tbl WHERE NOT EXISTS (SELECT 1 FROM pg_partition_tree(tbl)) LOOP
        PERFORM _history_snapshot(leaf, tid);
    END LOOP;
    PERFORM _history_drop_triggers(tbl);
    RETURN true;
END
$$;
COMMENT ON FUNCTION disable_history(regclass) IS
    'Stops recording changes of a table; its history so far stays readable. Records each row''s state first (op S, '
    'one history row per table row), so that reading the past never crosses unrecorded changes. True if it was '
    'being recorded';

-- The stored form of a key given as jsonb, canonical for its column types.
CREATE FUNCTION _history_key_text(tid smallint, key jsonb) RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    h      history_tables;
    vals   text[] := '{}';
    v      text;
    extra  text[];
    i      integer;
BEGIN
    SELECT * INTO h FROM history_tables WHERE id = tid;
    IF key IS NULL OR jsonb_typeof(key) <> 'object' THEN
        RAISE EXCEPTION 'a row key must be a jsonb object of its key columns'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = format('For %s pass e.g. ''{"%s": ...}''.', h.table_name, h.key_columns[1]);
    END IF;
    SELECT array_agg(k) INTO extra FROM jsonb_object_keys(key) k WHERE NOT k = ANY (h.key_columns);
    IF extra IS NOT NULL THEN
        RAISE EXCEPTION 'key of % has no column %', h.table_name, array_to_string(extra, ', ')
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('Its key is (%s).', array_to_string(h.key_columns, ', '));
    END IF;
    FOR i IN 1 .. cardinality(h.key_columns) LOOP
        v := key ->> h.key_columns[i];
        IF v IS NULL THEN
            RAISE EXCEPTION 'key of % needs column %', h.table_name, h.key_columns[i]
                USING ERRCODE = 'invalid_parameter_value',
                      DETAIL = format('Its key is (%s).', array_to_string(h.key_columns, ', '));
        END IF;
        EXECUTE format('SELECT %L::%s::text', v, h.key_types[i]) INTO v;
        vals := vals || v;
    END LOOP;
    RETURN CASE WHEN cardinality(vals) = 1 THEN vals[1] ELSE to_jsonb(vals)::text END;
END
$$;
COMMENT ON FUNCTION _history_key_text(smallint, jsonb) IS 'Internal: a key object in the stored, canonical form';

CREATE FUNCTION row_history(tbl regclass, key jsonb) RETURNS SETOF history
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    tid   smallint := _history_table_id(tbl);
    ktext text := _history_key_text(tid, key);
BEGIN
    RETURN QUERY SELECT * FROM history h
                  WHERE (h.key_id = _history_key_id(ktext) OR h.key_text = ktext) AND h.table_id = tid
                  ORDER BY h.at;
END
$$;
COMMENT ON FUNCTION row_history(regclass, jsonb) IS
    'Every recorded change of one row, oldest first; key is an object of the key columns, e.g. ''{"id": 42}''';

-- The first gap in a table's history after a moment (NULL if none): its S rows are then the
-- latest exact state known for that moment, and walking back starts from them.
CREATE FUNCTION _history_gap_after(tid smallint, as_of timestamptz) RETURNS tstzrange
LANGUAGE sql STABLE
AS $$
SELECT (SELECT g FROM @extschema@.history_tables h, unnest(h.gaps) g
         WHERE h.id = tid AND lower(g) > as_of ORDER BY lower(g) LIMIT 1)
$$;
COMMENT ON FUNCTION _history_gap_after(smallint, timestamptz) IS
    'Internal: the first period without recording that starts after a moment, NULL if none';

-- Walks a row back through its changes after as_of: from its current state (NULL: no row now),
-- or, when recording stopped for a while after as_of, from its state when it stopped (S).
CREATE FUNCTION _history_rewind(tid smallint, key_text text, current jsonb, as_of timestamptz) RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    state jsonb := current;
    gap   tstzrange := _history_gap_after(tid, as_of);
    h     record;
BEGIN
    IF gap IS NOT NULL THEN
        SELECT l.old_row INTO state FROM history l
         WHERE (l.key_id = _history_key_id(_history_rewind.key_text) OR l.key_text = _history_rewind.key_text)
           AND l.table_id = tid AND l.op = 'S' AND l.at <@ gap
         LIMIT 1;
    END IF;
    FOR h IN SELECT l.op, l.old_row FROM history l
              WHERE (l.key_id = _history_key_id(_history_rewind.key_text) OR l.key_text = _history_rewind.key_text)
                AND l.table_id = tid AND l.at > as_of AND (gap IS NULL OR l.at < lower(gap)) ORDER BY l.at DESC
    LOOP
        state := CASE h.op WHEN 'I' THEN NULL
                           WHEN 'U' THEN coalesce(state, '{}') || h.old_row
                           ELSE h.old_row END;
    END LOOP;
    RETURN state;
END
$$;
COMMENT ON FUNCTION _history_rewind(smallint, text, jsonb, timestamptz) IS
    'Internal: a row as it was at as_of, rebuilt from its current state (or its state when recording next stopped)';

-- "t.a, t.b" style lists of a table's key columns, for dynamic SQL.
CREATE FUNCTION _history_key_list(tid smallint, prefix text DEFAULT '') RETURNS text
LANGUAGE sql STABLE
AS $$
SELECT (SELECT string_agg(prefix || quote_ident(c), ', ' ORDER BY o)
          FROM @extschema@.history_tables h, unnest(h.key_columns) WITH ORDINALITY AS k(c, o) WHERE h.id = tid)
$$;
COMMENT ON FUNCTION _history_key_list(smallint, text) IS 'Internal: the key columns of a history table as a SQL list';

CREATE FUNCTION row_as_of(tbl regclass, key jsonb, at timestamptz) RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    tid     smallint := _history_table_id(tbl);
    ktext   text := _history_key_text(tid, key);
    current jsonb;
BEGIN
    IF at IS NULL THEN
        RAISE EXCEPTION 'row_as_of needs a point in time' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    EXECUTE format('SELECT to_jsonb(t) - $2 FROM %s t WHERE (%s) = (SELECT %s FROM jsonb_populate_record(NULL::%s, $1))',
                   tbl, _history_key_list(tid, 't.'), _history_key_list(tid), tbl)
       INTO current USING key, (SELECT excluded FROM history_tables WHERE id = tid);
    RETURN _history_rewind(tid, ktext, current, at);
END
$$;
COMMENT ON FUNCTION row_as_of(regclass, jsonb, timestamptz) IS
    'One row as it was at a moment (jsonb, excluded columns left out); NULL if it did not exist then';

CREATE FUNCTION table_as_of(tbl regclass, at timestamptz) RETURNS SETOF jsonb
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    tid     smallint := _history_table_id(tbl);
    h       history_tables;
    keyexpr text;
    gap     tstzrange;
    r       record;
BEGIN
    IF at IS NULL THEN
        RAISE EXCEPTION 'table_as_of needs a point in time' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT * INTO h FROM history_tables WHERE id = tid;
    keyexpr := CASE WHEN cardinality(h.key_columns) = 1 THEN format('t.%I::text', h.key_columns[1])
                    ELSE format('to_jsonb(ARRAY[%s])::text',
                                (SELECT string_agg(format('t.%I::text', c), ', ' ORDER BY o)
                                   FROM unnest(h.key_columns) WITH ORDINALITY AS k(c, o))) END;
    gap := _history_gap_after(tid, at);
    IF gap IS NOT NULL THEN
        -- Recording stopped after that moment: walk back from the rows as they were then (S).
        FOR r IN SELECT _history_rewind(tid, k.row_key, NULL, table_as_of.at) AS row
                   FROM (SELECT DISTINCT coalesce(l.key_text, l.key_id::text) AS row_key FROM history l
                          WHERE l.table_id = tid AND l.at > table_as_of.at
                            AND (l.at < lower(gap) OR (l.op = 'S' AND l.at <@ gap))) k LOOP
            IF r.row IS NOT NULL THEN
                RETURN NEXT r.row;
            END IF;
        END LOOP;
        RETURN;
    END IF;
    FOR r IN EXECUTE format(
        $q$WITH changed AS (SELECT DISTINCT coalesce(l.key_text, l.key_id::text) AS row_key
                             FROM @extschema@.history l WHERE l.table_id = $1 AND l.at > $2),
                 cur AS (SELECT %s AS k, to_jsonb(t) - $3 AS row FROM %s t)
           SELECT cur.row FROM cur WHERE NOT EXISTS (SELECT 1 FROM changed WHERE changed.row_key = cur.k)
           UNION ALL
           SELECT @extschema@._history_rewind($1, changed.row_key, cur.row, $2)
             FROM changed LEFT JOIN cur ON cur.k = changed.row_key$q$, keyexpr, tbl)
        USING tid, at, h.excluded
    LOOP
        IF r.row IS NOT NULL THEN
            RETURN NEXT r.row;
        END IF;
    END LOOP;
END
$$;
COMMENT ON FUNCTION table_as_of(regclass, timestamptz) IS
    'Every row of a table as it was at a moment (jsonb each, excluded columns left out)';

CREATE FUNCTION restore_row(tbl regclass, key jsonb, at timestamptz) RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    tid     smallint := _history_table_id(tbl);
    target  jsonb := row_as_of(tbl, key, at);
    keypred text := format('(%s) = (SELECT %s FROM jsonb_populate_record(NULL::%s, $2))',
                           _history_key_list(tid), _history_key_list(tid), tbl);
    exists_now boolean;
    setcols text;
    inscols text;
BEGIN
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %s WHERE %s)', tbl, keypred) INTO exists_now USING NULL::jsonb, key;
    IF target IS NULL THEN
        IF exists_now THEN
            EXECUTE format('DELETE FROM %s WHERE %s', tbl, keypred) USING NULL::jsonb, key;
        END IF;
        RETURN NULL;
    END IF;
    -- Columns that can be written back: present in the old state, not generated; identity only on insert.
    SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) FILTER (WHERE a.attidentity = ''),
           string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum)
      INTO setcols, inscols
      FROM pg_attribute a
     WHERE a.attrelid = tbl AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
       AND target ? a.attname;
    IF exists_now THEN
        IF setcols IS NOT NULL THEN
            EXECUTE format('UPDATE %s SET (%s) = (SELECT %s FROM jsonb_populate_record(NULL::%s, $1)) WHERE %s',
                           tbl, setcols, setcols, tbl, keypred) USING target, key;
        END IF;
    ELSE
        EXECUTE format('INSERT INTO %s (%s) OVERRIDING SYSTEM VALUE SELECT %s FROM jsonb_populate_record(NULL::%s, $1)',
                       tbl, inscols, inscols, tbl) USING target;
    END IF;
    RETURN target;
END
$$;
COMMENT ON FUNCTION restore_row(regclass, jsonb, timestamptz) IS
    'Puts one row back as it was at a moment (updating, re-inserting or deleting it); the restore is itself '
    'recorded as a change by the acting user. Excluded and generated columns keep their current values';

CREATE FUNCTION set_history_private(tbl regclass, columns text[]) RETURNS smallint
LANGUAGE plpgsql VOLATILE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    tid smallint := _history_table_id(tbl);
BEGIN
    columns := coalesce(columns, '{}');
    PERFORM _history_check_columns(tbl, columns, (SELECT key_columns FROM history_tables WHERE id = tid), 'private in');
    UPDATE history_tables SET private = ARRAY(SELECT DISTINCT c FROM unnest(columns) c ORDER BY c) WHERE id = tid;
    RETURN tid;
END
$$;
COMMENT ON FUNCTION set_history_private(regclass, text[]) IS
    'Marks columns of an audited table as private in its history: recorded, but left out of mentor.history and its '
    'readers for everyone but mentor_admin. Replaces the earlier list; returns the history table id';

-- History of the extension's own tables; password hashes never enter it.
CREATE FUNCTION _enable_history_shipped(tbl regclass, exclude text[] DEFAULT '{}', private text[] DEFAULT '{}') RETURNS void
LANGUAGE sql
AS $$
    SELECT @extschema@.enable_history(tbl, exclude);
    SELECT @extschema@.set_history_private(tbl, private);
    UPDATE @extschema@.history_tables SET shipped = true WHERE id = @extschema@._history_table_id(tbl);
$$;
COMMENT ON FUNCTION _enable_history_shipped(regclass, text[], text[]) IS 'Internal: enables history on an extension table';

-- What analysts may not read of users (emails, names, OAuth ids) is private in history too.
SELECT _enable_history_shipped('users', ARRAY['password_hash'], ARRAY['email', 'full_name', 'github_id', 'google_id']);
SELECT _enable_history_shipped('profiles');
SELECT _enable_history_shipped('skills');
SELECT _enable_history_shipped('user_skills');
SELECT _enable_history_shipped('external_accounts', private => ARRAY['username', 'profile_url']);
SELECT _enable_history_shipped('profile_visibility');
SELECT _enable_history_shipped('lifecycle_state_defs');
SELECT _enable_history_shipped('lifecycle_transition_defs');
