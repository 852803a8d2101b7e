-- Property test of history: random inserts, updates and deletes over many
-- column types (fixed seed); snapshots taken along the way must equal what
-- row_as_of and table_as_of rebuild, every change must be recorded exactly
-- once, and restoring every row to a snapshot must give the snapshot back.
-- An insert is logged as its key alone: the history view must still show
-- each inserted row exactly as it was.  Halfway, recording is disabled, rows
-- change unrecorded, and recording resumes: every answer about the time
-- before the gap must stay exact.  The log is cut into partitions of 40 ms,
-- so that the walk's history spans many of them: every answer crosses
-- partition boundaries.
-- The same walk runs on three tables, one per way the log stores a key: a
-- single integer column (row_id), a single text column and a composite key
-- (row_key text).
BEGIN;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS mentor CASCADE;
RESET client_min_messages;
SELECT plan(35);
INSERT INTO mentor.settings (key, shipped, value) VALUES ('history.partition_interval', false, '"40 milliseconds"');

-- Row k of every table: id k (as the table's id type) and grp 'g' || k % 3.
CREATE TABLE prop_int (id int PRIMARY KEY, grp text NOT NULL, a int, b text, c jsonb, d timestamptz, e numeric,
                       f boolean, g text[], h double precision, secret text);
CREATE TABLE prop_text (LIKE prop_int);
ALTER TABLE prop_text ALTER COLUMN id TYPE text, ADD PRIMARY KEY (id);
CREATE TABLE prop_pair (LIKE prop_int, PRIMARY KEY (grp, id));
CREATE TEMP TABLE snaps (tbl text, n int, at timestamptz, rows jsonb, PRIMARY KEY (tbl, n));
CREATE TEMP TABLE expected (tbl text PRIMARY KEY, changes int);
CREATE TEMP TABLE inserted (tbl text, n int, k int, row jsonb, PRIMARY KEY (tbl, n));

-- The key object of row k.
CREATE FUNCTION pg_temp.key_of(tbl text, k int) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
SELECT CASE tbl WHEN 'prop_int' THEN jsonb_build_object('id', k)
                WHEN 'prop_text' THEN jsonb_build_object('id', k::text)
                ELSE jsonb_build_object('id', k, 'grp', 'g' || k % 3) END
$$;

-- The table's rows now, as snapshots and table_as_of give them.
CREATE FUNCTION pg_temp.rows_of(tbl text) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    result jsonb;
BEGIN
    EXECUTE format('SELECT coalesce(jsonb_agg(to_jsonb(p) - ''secret'' ORDER BY p.id::text::int), ''[]'') FROM %I p', tbl)
       INTO result;
    RETURN result;
END
$$;

-- One random change to row k; true if it changed the row.  An insert's row is kept in inserted.
CREATE FUNCTION pg_temp.step(tbl text, recorded boolean) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    r float := random(); k int := 1 + floor(random() * 25)::int; before jsonb; after jsonb;
    row_sql text := format('SELECT to_jsonb(p) - ''secret'' FROM %I p WHERE p.id::text = $1::text', tbl);
BEGIN
    EXECUTE row_sql INTO before USING k;
    IF r < 0.35 THEN
        EXECUTE format(
            'INSERT INTO %I VALUES ($1, $2, floor(random() * 5)::int, md5(random()::text),
                 jsonb_build_object(''n'', floor(random() * 3)::int, ''tags'', jsonb_build_array(''x'', random() < 0.5)),
                 timestamptz ''2026-01-01 00:00+00'' + random() * interval ''300 days'',
                 round((random() * 100)::numeric, 2), random() < 0.5,
                 ARRAY[''a'', CASE WHEN random() < 0.5 THEN NULL ELSE ''b'' END], random(), md5(random()::text))
             ON CONFLICT ON CONSTRAINT %I DO UPDATE SET a = EXCLUDED.a, secret = EXCLUDED.secret',
            tbl, tbl || '_pkey') USING k, 'g' || k % 3;
    ELSIF r < 0.80 THEN
        EXECUTE format(
            'UPDATE %I SET a = CASE WHEN random() < 0.5 THEN a ELSE floor(random() * 5)::int END,
                    b = CASE WHEN random() < 0.7 THEN b ELSE NULL END,
                    e = CASE WHEN random() < 0.5 THEN e ELSE round((random() * 100)::numeric, 1) END,
                    f = CASE WHEN random() < 0.8 THEN f ELSE NOT f END,
                    g = CASE WHEN random() < 0.8 THEN g ELSE array_append(g, ''c'') END,
                    secret = CASE WHEN random() < 0.5 THEN secret ELSE md5(random()::text) END
              WHERE id::text = $1::text', tbl) USING k;
    ELSE
        EXECUTE format('DELETE FROM %I WHERE id::text = $1::text', tbl) USING k;
    END IF;
    EXECUTE row_sql INTO after USING k;
    IF recorded AND before IS NULL AND after IS NOT NULL THEN
        INSERT INTO inserted VALUES (tbl, (SELECT count(*) + 1 FROM inserted i WHERE i.tbl = step.tbl), k, after);
    END IF;
    RETURN before IS DISTINCT FROM after;
END
$$;

-- 400 recorded changes with a snapshot every 20; after the 200th, recording stops for 60 changes.
CREATE FUNCTION pg_temp.walk(tbl text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    i int; n int; changes int := 0;
BEGIN
    PERFORM setseed(0.4242);
    FOR i IN 1 .. 400 LOOP
        IF pg_temp.step(tbl, true) THEN
            changes := changes + 1;
        END IF;
        IF i % 20 = 0 THEN
            PERFORM pg_sleep(0.001);   -- capture times are microseconds; keep snapshots off them
            INSERT INTO snaps VALUES (tbl, i / 20, clock_timestamp(), pg_temp.rows_of(tbl));
            PERFORM pg_sleep(0.001);
        END IF;
        IF i = 200 THEN
            PERFORM mentor.disable_history(tbl::regclass);
            EXECUTE format('SELECT count(*)::int FROM %I', tbl) INTO STRICT n;   -- one S row each
            changes := changes + n;
            FOR j IN 1 .. 60 LOOP
                PERFORM pg_temp.step(tbl, false);
            END LOOP;
            PERFORM mentor.enable_history(tbl::regclass, exclude => ARRAY['secret']);
        END IF;
    END LOOP;
    INSERT INTO expected VALUES (tbl, changes);
END
$$;

SELECT ok(mentor.enable_history(t::regclass, exclude => ARRAY['secret']) > 0, 'history enabled on ' || t)
  FROM unnest(ARRAY['prop_int', 'prop_text', 'prop_pair']) t;
SELECT pg_temp.walk(t) FROM unnest(ARRAY['prop_int', 'prop_text', 'prop_pair']) t;

SELECT is((SELECT count(*)::int FROM mentor.history h WHERE h.table_name = 'public.' || e.tbl), e.changes,
          e.tbl || ': every change recorded exactly once, and nothing else')
  FROM expected e ORDER BY e.tbl;
SELECT ok(min(changes) > 200, 'each random walk made more than 200 changes') FROM expected;
SELECT ok((SELECT count(DISTINCT l.tableoid) FROM mentor.history_log l JOIN mentor.history_tables t ON t.id = l.table_id
            WHERE t.table_name LIKE 'public.prop%') >= 10,
          'the walks'' history spans at least ten partitions of the log');
SELECT is((SELECT count(*)::int FROM mentor.history h WHERE h.table_name = 'public.' || e.tbl AND h.op = 'S'),
          (SELECT (s.rows ->> 'n')::int FROM (SELECT jsonb_build_object('n', jsonb_array_length(rows)) AS rows
                                              FROM snaps WHERE tbl = e.tbl AND n = 10) s),
          e.tbl || ': disabling recorded the state of each of its rows once (S)')
  FROM expected e ORDER BY e.tbl;
SELECT is((SELECT count(*)::int FROM mentor.history_log l JOIN mentor.history_tables t ON t.id = l.table_id
            WHERE t.table_name = 'public.' || e.tbl AND l.op = 'I' AND l.changes IS NOT NULL), 0,
          e.tbl || ': inserts are logged as their key alone')
  FROM expected e ORDER BY e.tbl;
SELECT is((SELECT jsonb_agg(h.new_row ORDER BY h.at) FROM mentor.history h
            WHERE h.table_name = 'public.' || e.tbl AND h.op = 'I'),
          (SELECT jsonb_agg(i.row ORDER BY i.n) FROM inserted i WHERE i.tbl = e.tbl),
          e.tbl || ': the history view shows every inserted row as it was inserted, before and after the gap')
  FROM expected e ORDER BY e.tbl;
SELECT is((SELECT count(DISTINCT txid)::int FROM mentor.history WHERE table_name LIKE 'public.prop%'), 1,
          'all of them in this one transaction');
SELECT is((SELECT count(*)::int FROM mentor.history_log WHERE changes::text LIKE '%secret%'), 0,
          'the excluded column never appears');
SELECT is((SELECT array_agg(s ORDER BY s)
             FROM (SELECT t.table_name || ':' || (count(l.row_id) > 0) || '/' || (count(l.row_key) > 0) AS s
                     FROM mentor.history_log l JOIN mentor.history_tables t ON t.id = l.table_id
                    WHERE t.table_name LIKE 'public.prop%' GROUP BY t.table_name) per_table),
          ARRAY['public.prop_int:true/false', 'public.prop_pair:false/true', 'public.prop_text:false/true'],
          'the integer key is stored as row_id, the text and composite keys as row_key');
SELECT is((SELECT count(*)::int FROM snaps s
            WHERE s.tbl = e.tbl
              AND s.rows IS DISTINCT FROM (SELECT coalesce(jsonb_agg(r ORDER BY (r->>'id')::int), '[]')
                                             FROM mentor.table_as_of(e.tbl::regclass, s.at) r)),
          0, e.tbl || ': table_as_of equals each of the 20 snapshots (10 from before the unrecorded gap)')
  FROM expected e ORDER BY e.tbl;
SELECT is((SELECT count(*)::int FROM snaps s, generate_series(1, 25) k
            WHERE s.tbl = e.tbl
              AND mentor.row_as_of(e.tbl::regclass, pg_temp.key_of(e.tbl, k), s.at)
                  IS DISTINCT FROM (SELECT r FROM jsonb_array_elements(s.rows) r WHERE (r->>'id')::int = k)),
          0, e.tbl || ': row_as_of equals every snapshot, row by row (500 comparisons)')
  FROM expected e ORDER BY e.tbl;

-- Restore every key to snapshot 7: the table must equal it again (secret aside).
SELECT count(mentor.restore_row(e.tbl::regclass, pg_temp.key_of(e.tbl, k), s.at))
  FROM expected e JOIN snaps s ON s.tbl = e.tbl AND s.n = 7, generate_series(1, 25) k;
SELECT is(pg_temp.rows_of(s.tbl), s.rows, s.tbl || ': restoring every row to a snapshot gives the snapshot back')
  FROM snaps s WHERE s.n = 7 ORDER BY s.tbl;
SELECT ok((SELECT count(*) FROM mentor.history h WHERE h.table_name = 'public.' || e.tbl) > e.changes,
          e.tbl || ': the restores were recorded as changes')
  FROM expected e ORDER BY e.tbl;
-- One row's history per table through row_history's key lookup, against a scan of the view
-- (NULL when the walk never touched row 7, so that an empty history cannot pass).
SELECT is((SELECT count(*)::int FROM mentor.row_history(e.tbl::regclass, pg_temp.key_of(e.tbl, 7))),
          (SELECT nullif(count(*)::int, 0) FROM mentor.history h
            WHERE h.table_name = 'public.' || e.tbl AND h.row_key = pg_temp.key_of(e.tbl, 7)),
          e.tbl || ': row_history returns every change of one row')
  FROM expected e ORDER BY e.tbl;

SELECT * FROM finish();
ROLLBACK;
