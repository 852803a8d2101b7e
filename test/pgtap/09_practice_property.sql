-- Property test of the practice stats: a random sequence (fixed seed) of
-- submissions judged through the queue - accepted, wrong, compile errors,
-- judge failures, the same problem solved again, scores or none - and then
-- every user's stats, the rank buckets, user_rank() and the leaderboard must
-- equal what a from-scratch recomputation over the submissions gives.  The
-- recomputation is written here, independently of the triggers it checks.
BEGIN;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS mentor CASCADE;
RESET client_min_messages;
SELECT plan(9);

SELECT setseed(0.2207);
INSERT INTO mentor.users (email, username, full_name)
SELECT format('prop%s@example.com', g), format('prop%s', g), 'Prop ' || g FROM generate_series(1, 40) g;
INSERT INTO mentor.problems (slug, title, difficulty, published)
SELECT format('prop-problem-%s', g), 'Problem ' || g, (ARRAY['easy', 'medium', 'hard'])[1 + floor(random() * 3)::int]::mentor.problem_difficulty, true
  FROM generate_series(1, 12) g;

-- 2,000 submissions from random users on random problems, judged in random batches.
CREATE FUNCTION pg_temp.walk() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    users bigint[] := ARRAY(SELECT id FROM mentor.users WHERE username LIKE 'prop%' ORDER BY id);
    problems bigint[] := ARRAY(SELECT id FROM mentor.problems WHERE slug LIKE 'prop-problem-%' ORDER BY id);
    s mentor.submissions;
    r float;
    v mentor.submission_verdict;
    i int;
BEGIN
    FOR i IN 1 .. 2000 LOOP
        INSERT INTO mentor.submissions (problem_id, user_id, language_code, code, time_spent)
        VALUES (problems[1 + floor(random() * cardinality(problems))::int], users[1 + floor(random() * cardinality(users))::int],
                'python', 'print(' || i || ')',
                CASE WHEN random() < 0.8 THEN make_interval(secs => floor(random() * 3600)::int) END);
        CONTINUE WHEN random() < 0.7;   -- let the queue grow; judge a batch now and then
        FOR s IN SELECT * FROM mentor.claim_submissions('prop-judge', 1 + floor(random() * 20)::int, interval '1 hour') LOOP
            r := random();
            IF r < 0.08 THEN   -- does not compile
                PERFORM mentor.report_submission(s.id, 'prop-judge', 'failed', 'compile_error', 'syntax error');
                CONTINUE;
            END IF;
            PERFORM mentor.report_submission(s.id, 'prop-judge', 'running');
            IF r < 0.12 THEN   -- the sandbox broke: failed without a verdict
                PERFORM mentor.report_submission(s.id, 'prop-judge', 'failed', error => 'sandbox crashed');
                CONTINUE;
            END IF;
            v := CASE WHEN r < 0.55 THEN 'accepted' WHEN r < 0.8 THEN 'wrong_answer' WHEN r < 0.87 THEN 'time_limit'
                      WHEN r < 0.93 THEN 'memory_limit' ELSE 'runtime_error' END;
            PERFORM mentor.report_submission(s.id, 'prop-judge', 'completed', v, 'out',
                                             CASE WHEN random() < 0.85 THEN round((random() * 100)::numeric, 2) END,
                                             floor(random() * 2000)::int, floor(random() * 65536)::int);
            IF random() < 0.1 THEN   -- a retried report changes nothing
                PERFORM mentor.report_submission(s.id, 'prop-judge', 'completed', v, 'out', (SELECT x.score FROM mentor.submissions x WHERE x.id = s.id));
            END IF;
        END LOOP;
    END LOOP;
END $$;
SELECT pg_temp.walk();

-- The recomputation, from the submissions alone.
CREATE FUNCTION pg_temp.recomputed() RETURNS TABLE (user_id bigint, problems_solved int, easy_solved int, medium_solved int,
    hard_solved int, score int, attempts int, accepted int, score_total numeric, scored int, time_spent interval,
    last_activity timestamptz)
LANGUAGE sql AS $$
WITH judged AS (SELECT s.* FROM mentor.submissions s WHERE s.verdict IS NOT NULL),
     solved AS (SELECT DISTINCT j.user_id, j.problem_id, p.difficulty FROM judged j JOIN mentor.problems p ON p.id = j.problem_id
                 WHERE j.verdict = 'accepted')
SELECT j.user_id,
       (SELECT count(*) FROM solved x WHERE x.user_id = j.user_id)::int,
       (SELECT count(*) FROM solved x WHERE x.user_id = j.user_id AND x.difficulty = 'easy')::int,
       (SELECT count(*) FROM solved x WHERE x.user_id = j.user_id AND x.difficulty = 'medium')::int,
       (SELECT count(*) FROM solved x WHERE x.user_id = j.user_id AND x.difficulty = 'hard')::int,
       (SELECT coalesce(sum(CASE x.difficulty WHEN 'easy' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END), 0) FROM solved x WHERE x.user_id = j.user_id)::int,
       count(*)::int, count(*) FILTER (WHERE j.verdict = 'accepted')::int, coalesce(sum(j.score), 0), count(j.score)::int,
       coalesce(sum(j.time_spent), interval '0'), max(j.judged_at)
  FROM judged j GROUP BY j.user_id
$$;

SELECT cmp_ok((SELECT count(*) FROM mentor.submissions WHERE verdict IS NOT NULL AND user_id IN (SELECT id FROM mentor.users WHERE username LIKE 'prop%')),
              '>', 500::bigint, 'the walk judged hundreds of submissions');
SELECT set_eq($$SELECT user_id, problems_solved, easy_solved, medium_solved, hard_solved, score, attempts, accepted,
                       score_total, scored, time_spent, last_activity FROM mentor.user_stats$$,
              $$SELECT * FROM pg_temp.recomputed()$$,
              'every user''s stats equal a recomputation from the judged submissions');
SELECT is((SELECT count(*) FROM mentor.user_stats s
            WHERE s.acceptance_rate IS DISTINCT FROM round(s.accepted * 100.0 / nullif(s.attempts, 0), 2)
               OR s.average_score IS DISTINCT FROM round(s.score_total / nullif(s.scored, 0), 2)), 0::bigint,
          'acceptance rate and average score follow their counts');
SELECT set_eq($$SELECT problems_solved, score, users FROM mentor.user_rank_counts WHERE users > 0$$,
              $$SELECT problems_solved, score, count(*)::int FROM pg_temp.recomputed() WHERE problems_solved > 0 GROUP BY 1, 2$$,
              'the rank buckets count the users of each (problems solved, score)');
SELECT set_eq($$SELECT problems_solved, users FROM mentor.user_rank_totals WHERE users > 0$$,
              $$SELECT problems_solved, count(*)::int FROM pg_temp.recomputed() WHERE problems_solved > 0 GROUP BY 1$$,
              'the rank totals count the users of each number of problems solved');
SELECT set_eq($$SELECT u.id, mentor.user_rank(u.id) FROM mentor.users u$$,
              $$SELECT u.id, 1 + (SELECT count(*) FROM pg_temp.recomputed() r
                                   WHERE r.problems_solved > coalesce(me.problems_solved, 0)
                                      OR (r.problems_solved = coalesce(me.problems_solved, 0) AND r.score > coalesce(me.score, 0)))
                  FROM mentor.users u LEFT JOIN pg_temp.recomputed() me ON me.user_id = u.id$$,
              'user_rank() of every user is one more than the users strictly ahead of them');
SELECT results_eq($$SELECT rank, user_id FROM mentor.leaderboard LIMIT 25$$,
                  $$SELECT rank() OVER (ORDER BY problems_solved DESC, score DESC), user_id FROM pg_temp.recomputed()
                     ORDER BY problems_solved DESC, score DESC, user_id LIMIT 25$$,
                  'the top of the leaderboard, in order, with ranks');

-- Users deleted (their stats go) and more judging: still equal.
DELETE FROM mentor.users WHERE id IN (SELECT user_id FROM mentor.user_stats ORDER BY problems_solved DESC, user_id LIMIT 3);
SELECT setseed(0.5);
SELECT pg_temp.walk();
SELECT set_eq($$SELECT user_id, problems_solved, easy_solved, medium_solved, hard_solved, score, attempts, accepted,
                       score_total, scored, time_spent, last_activity FROM mentor.user_stats$$,
              $$SELECT * FROM pg_temp.recomputed()$$,
              'after deleting the three best users and judging more, the stats still equal the recomputation');
SELECT set_eq($$SELECT u.id, mentor.user_rank(u.id) FROM mentor.users u$$,
              $$SELECT u.id, 1 + (SELECT count(*) FROM pg_temp.recomputed() r
                                   WHERE r.problems_solved > coalesce(me.problems_solved, 0)
                                      OR (r.problems_solved = coalesce(me.problems_solved, 0) AND r.score > coalesce(me.score, 0)))
                  FROM mentor.users u LEFT JOIN pg_temp.recomputed() me ON me.user_id = u.id$$,
              'and so do the ranks');

SELECT * FROM finish();
ROLLBACK;
