-- Property test of history: random inserts, updates and deletes over many
-- column types (fixed seed); snapshots taken along the way must equal what
-- row_as_of and table_as_of rebuild, every change must be recorded exactly
-- once, and restoring every row to a snapshot must give the snapshot back.
BEGIN;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS mentor CASCADE;
RESET client_min_messages;
SELECT plan(9);

CREATE TABLE prop (id int PRIMARY KEY, a int, b text, c jsonb, d timestamptz, e numeric, f boolean,
                   g text[], h double precision, secret text);
SELECT ok(mentor.enable_history('prop', exclude => ARRAY['secret']) > 0, 'history enabled on the test table');
CREATE TEMP TABLE snaps (n int PRIMARY KEY, at timestamptz, rows jsonb);
CREATE TEMP TABLE expected (changes int);

SELECT setseed(0.4242);
DO $$
DECLARE
    i int; r float; k int; before jsonb; after jsonb; changes int := 0;
BEGIN
    FOR i IN 1 .. 400 LOOP
        k := 1 + floor(random() * 25)::int;
        r := random();
        SELECT to_jsonb(p) - 'secret' INTO before FROM prop p WHERE id = k;
        IF r < 0.35 THEN
            INSERT INTO prop VALUES (k, floor(random() * 5)::int, md5(random()::text),
                                     jsonb_build_object('n', floor(random() * 3)::int, 'tags', jsonb_build_array('x', random() < 0.5)),
                                     timestamptz '2026-01-01 00:00+00' + random() * interval '300 days',
                                     round((random() * 100)::numeric, 2), random() < 0.5,
                                     ARRAY['a', CASE WHEN random() < 0.5 THEN NULL ELSE 'b' END], random(), md5(random()::text))
            ON CONFLICT (id) DO UPDATE SET a = EXCLUDED.a, secret = EXCLUDED.secret;
        ELSIF r < 0.80 THEN
            UPDATE prop SET a = CASE WHEN random() < 0.5 THEN a ELSE floor(random() * 5)::int END,
                            b = CASE WHEN random() < 0.7 THEN b ELSE NULL END,
                            e = CASE WHEN random() < 0.5 THEN e ELSE round((random() * 100)::numeric, 1) END,
                            f = CASE WHEN random() < 0.8 THEN f ELSE NOT f END,
                            g = CASE WHEN random() < 0.8 THEN g ELSE array_append(g, 'c') END,
                            secret = CASE WHEN random() < 0.5 THEN secret ELSE md5(random()::text) END
             WHERE id = k;
        ELSE
            DELETE FROM prop WHERE id = k;
        END IF;
        SELECT to_jsonb(p) - 'secret' INTO after FROM prop p WHERE id = k;
        IF before IS DISTINCT FROM after THEN
            changes := changes + 1;
        END IF;
        IF i % 20 = 0 THEN
            PERFORM pg_sleep(0.001);   -- capture times are microseconds; keep snapshots off them
            INSERT INTO snaps SELECT i / 20, clock_timestamp(),
                   coalesce(jsonb_agg(to_jsonb(p) - 'secret' ORDER BY p.id), '[]') FROM prop p;
            PERFORM pg_sleep(0.001);
        END IF;
    END LOOP;
    INSERT INTO expected VALUES (changes);
END
$$;

SELECT is((SELECT count(*)::int FROM mentor.history WHERE table_name = 'public.prop'),
          (SELECT changes FROM expected), 'every change recorded exactly once, and nothing else');
SELECT ok((SELECT changes FROM expected) > 200, 'the random walk made more than 200 changes');
SELECT is((SELECT count(DISTINCT txid)::int FROM mentor.history WHERE table_name = 'public.prop'), 1,
          'all of them in this one transaction');
SELECT is((SELECT count(*)::int FROM mentor.history_log WHERE changes::text LIKE '%secret%'), 0,
          'the excluded column never appears');
SELECT is((SELECT count(*)::int FROM snaps s
            WHERE s.rows IS DISTINCT FROM (SELECT coalesce(jsonb_agg(r ORDER BY (r->>'id')::int), '[]')
                                             FROM mentor.table_as_of('prop', s.at) r)),
          0, 'table_as_of equals each of the 20 snapshots');
SELECT is((SELECT count(*)::int FROM snaps s, generate_series(1, 25) k
            WHERE mentor.row_as_of('prop', jsonb_build_object('id', k), s.at)
                  IS DISTINCT FROM (SELECT e FROM jsonb_array_elements(s.rows) e WHERE (e->>'id')::int = k)),
          0, 'row_as_of equals every snapshot, row by row (500 comparisons)');

-- Restore every key to snapshot 7: the table must equal it again (secret aside).
SELECT count(mentor.restore_row('prop', jsonb_build_object('id', k), (SELECT at FROM snaps WHERE n = 7)))
  FROM generate_series(1, 25) k;
SELECT is((SELECT coalesce(jsonb_agg(to_jsonb(p) - 'secret' ORDER BY p.id), '[]') FROM prop p),
          (SELECT rows FROM snaps WHERE n = 7), 'restoring every row to a snapshot gives the snapshot back');
SELECT ok((SELECT count(*) FROM mentor.history WHERE table_name = 'public.prop') > (SELECT changes FROM expected),
          'the restores were recorded as changes');

SELECT * FROM finish();
ROLLBACK;
