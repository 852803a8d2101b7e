-- Property test of learning progress: a random sequence (fixed seed) of module
-- completions and un-completions by many users on several paths, with modules
-- added to and removed from the paths in between; afterwards every progress
-- row must equal what a from-scratch count over the completions gives
-- (completed / total, rounded down, completed_at set exactly when all are done),
-- and every path's module_count its modules.
BEGIN;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS mentor CASCADE;
RESET client_min_messages;
SELECT plan(6);

SELECT setseed(0.5407);
INSERT INTO mentor.users (email, username, full_name)
SELECT format('lprop%s@example.com', g), format('lprop%s', g), 'Learner ' || g FROM generate_series(1, 30) g;
INSERT INTO mentor.learning_paths (title) SELECT 'Property path ' || g FROM generate_series(1, 5) g;
INSERT INTO mentor.learning_path_modules (path_id, position, title)
SELECT p.id, g, 'Module ' || g FROM mentor.learning_paths p, generate_series(1, 1 + floor(random() * 6)::int) g
 WHERE p.title LIKE 'Property path %';

CREATE FUNCTION pg_temp.walk() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    users bigint[] := ARRAY(SELECT id FROM mentor.users WHERE username LIKE 'lprop%' ORDER BY id);
    paths bigint[] := ARRAY(SELECT id FROM mentor.learning_paths WHERE title LIKE 'Property path %' ORDER BY id);
    u bigint;
    m bigint;
    p bigint;
    r float;
    i int;
BEGIN
    FOR i IN 1 .. 3000 LOOP
        r := random();
        u := users[1 + floor(random() * cardinality(users))::int];
        p := paths[1 + floor(random() * cardinality(paths))::int];
        IF r < 0.70 THEN      -- complete a module not yet completed
            SELECT x.id INTO m FROM mentor.learning_path_modules x
             WHERE x.path_id = p AND NOT EXISTS (SELECT 1 FROM mentor.learning_module_completions c WHERE c.module_id = x.id AND c.user_id = u)
             ORDER BY random() LIMIT 1;
            CONTINUE WHEN m IS NULL;
            INSERT INTO mentor.learning_module_completions (user_id, module_id) VALUES (u, m);
        ELSIF r < 0.85 THEN   -- un-complete one
            DELETE FROM mentor.learning_module_completions c
             WHERE c.id = (SELECT c2.id FROM mentor.learning_module_completions c2 JOIN mentor.learning_path_modules x ON x.id = c2.module_id
                            WHERE c2.user_id = u AND x.path_id = p ORDER BY random() LIMIT 1);
        ELSIF r < 0.90 THEN   -- start a path without completing anything
            INSERT INTO mentor.learning_progress (user_id, path_id) VALUES (u, p) ON CONFLICT DO NOTHING;
        ELSIF r < 0.95 THEN   -- add a module to a path
            INSERT INTO mentor.learning_path_modules (path_id, position, title)
            SELECT p, coalesce((SELECT max(position) FROM mentor.learning_path_modules WHERE path_id = p), 0) + g, 'Added'
              FROM generate_series(1, 1) g;
        ELSE                  -- remove a module (its completions go with it)
            DELETE FROM mentor.learning_path_modules x
             WHERE x.id = (SELECT id FROM mentor.learning_path_modules WHERE path_id = p ORDER BY random() LIMIT 1);
        END IF;
    END LOOP;
END $$;
SELECT pg_temp.walk();

CREATE TEMP TABLE expected AS
SELECT x.id, c.done, t.total,
       CASE WHEN t.total = 0 THEN 0 ELSE floor(100.0 * c.done / t.total)::int END AS progress,
       t.total > 0 AND c.done = t.total AS complete
  FROM mentor.learning_progress x
 CROSS JOIN LATERAL (SELECT count(*)::int AS total FROM mentor.learning_path_modules m WHERE m.path_id = x.path_id) t
 CROSS JOIN LATERAL (SELECT count(*)::int AS done FROM mentor.learning_module_completions k
                       JOIN mentor.learning_path_modules m ON m.id = k.module_id
                      WHERE k.user_id = x.user_id AND m.path_id = x.path_id) c
 WHERE x.path_id IN (SELECT id FROM mentor.learning_paths WHERE title LIKE 'Property path %');

SELECT ok((SELECT count(*) FROM expected) >= 100 AND (SELECT count(*) FROM mentor.learning_module_completions) >= 300,
          'the walk made progress rows and completions enough to mean something');
SELECT ok((SELECT count(*) FILTER (WHERE complete) FROM expected) > 0 AND (SELECT count(*) FILTER (WHERE NOT complete AND done > 0) FROM expected) > 0,
          'some users finished a path and some are part way');
SELECT is((SELECT count(*) FROM expected e JOIN mentor.learning_progress x ON x.id = e.id WHERE x.completed_count <> e.done), 0::bigint,
          'every completed_count equals the completions on the path');
SELECT is((SELECT count(*) FROM expected e JOIN mentor.learning_progress x ON x.id = e.id WHERE x.progress <> e.progress), 0::bigint,
          'every progress equals floor(100 * completed / total)');
SELECT is((SELECT count(*) FROM expected e JOIN mentor.learning_progress x ON x.id = e.id WHERE (x.completed_at IS NOT NULL) <> e.complete), 0::bigint,
          'completed_at is set exactly when every module is done');
SELECT is((SELECT count(*) FROM mentor.learning_paths p
            WHERE p.module_count <> (SELECT count(*) FROM mentor.learning_path_modules m WHERE m.path_id = p.id)), 0::bigint,
          'every path''s module_count equals its modules');

SELECT * FROM finish();
ROLLBACK;
