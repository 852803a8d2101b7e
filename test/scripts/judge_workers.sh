#!/usr/bin/env bash
# The judge queue under real workers: 8 psql sessions drain 10,000 pending
# submissions at once (claim a batch; for each, "run" it - logged in its own
# commit, as a sandbox run would be - then report running and the verdict,
# with the report logged in the report's own transaction), while 2 more
# workers claim a batch each and are killed before judging: their
# submissions come back when the lease runs out and the others judge them.
# Every submission ends judged exactly once, by the worker that ran it, and
# the stats kept by trigger under this concurrency equal the submissions.
# Runs inside pg_virtualenv; TAP.
set -uo pipefail
db=mentor_judge_workers
dropdb --if-exists $db >/dev/null 2>&1; createdb $db
q() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d $db -c "$1"; }
w=$(mktemp -d); trap 'rm -rf "$w"; dropdb --if-exists $db >/dev/null 2>&1' EXIT

q "SET client_min_messages = warning; CREATE EXTENSION mentor CASCADE" >/dev/null
# 500 users, 20 problems, 10,000 submissions (the same user often on the same problem).
q "INSERT INTO mentor.users (email, username, full_name)
   SELECT format('jw%s@example.com', g), format('jw%s', g), 'Judged' FROM generate_series(1, 500) g;
   INSERT INTO mentor.problems (slug, title, difficulty, published)
   SELECT format('jw-%s', g), 'Problem ' || g, (ARRAY['easy', 'medium', 'hard'])[1 + g % 3]::mentor.problem_difficulty, true
     FROM generate_series(1, 20) g;
   INSERT INTO mentor.submissions (problem_id, user_id, language_code, code)
   SELECT (SELECT id FROM mentor.problems WHERE slug = 'jw-' || (1 + k % 20)), (SELECT id FROM mentor.users WHERE username = 'jw' || (1 + k % 500)),
          'python', 'print(' || k || ')'
     FROM generate_series(1, 10000) k;
   CREATE TABLE runs (submission_id bigint NOT NULL, worker text NOT NULL);
   CREATE TABLE reports (submission_id bigint NOT NULL, worker text NOT NULL);" >/dev/null
total=$(q "SELECT count(*) FROM mentor.submissions WHERE status = 'pending'")
echo "1..7"
if [ "$total" = 10000 ]; then echo "ok 1 - 10000 submissions pending"
else echo "not ok 1 - 10000 submissions pending (got $total)"; fi

# A judge: until the queue is empty, claim up to 25; run each (its own commit), report it
# running, then its verdict (accepted when the id divides by 3) with the report logged.
worker() {
    psql -X -q -d $db -v ON_ERROR_STOP=1 > "$w/$1.out" 2>&1 <<'SQL'
SET client_min_messages = warning;
DO $$
DECLARE
    me   text := current_setting('jw.worker');
    ids  bigint[];
    sid  bigint;
    idle int := 0;
BEGIN
    LOOP
        ids := ARRAY(SELECT id FROM mentor.claim_submissions(me, 25, interval '3 seconds'));
        COMMIT;
        IF cardinality(ids) = 0 THEN
            EXIT WHEN NOT EXISTS (SELECT 1 FROM mentor.submissions WHERE status NOT IN ('completed', 'failed'));
            idle := idle + 1;
            EXIT WHEN idle > 300;
            PERFORM pg_sleep(0.05);
            CONTINUE;
        END IF;
        FOREACH sid IN ARRAY ids LOOP
            INSERT INTO runs (submission_id, worker) VALUES (sid, me);
            COMMIT;
            PERFORM mentor.report_submission(sid, me, 'running');
            COMMIT;
            PERFORM mentor.report_submission(sid, me, 'completed',
                                             CASE WHEN sid % 3 = 0 THEN 'accepted' ELSE 'wrong_answer' END::mentor.submission_verdict,
                                             'ok', (sid % 101)::numeric, 10, 1024);
            INSERT INTO reports (submission_id, worker) VALUES (sid, me);
            COMMIT;
        END LOOP;
    END LOOP;
END
$$;
SQL
}
for k in 1 2; do
    psql -X -q -d $db -c "SELECT count(*) FROM mentor.claim_submissions('doomed$k', 25, interval '3 seconds')" \
         -c "SELECT pg_sleep(600)" > "$w/doomed$k.out" 2>&1 &
done
sleep 0.5
doomed_rows=$(q "SELECT count(*) FROM mentor.submissions WHERE lease_owner LIKE 'doomed%'")
start=$(date +%s.%N)
for i in $(seq 1 8); do PGOPTIONS="-c jw.worker=j$i" worker "j$i" & done
sleep 0.3
killed=$(q "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '$db' AND query LIKE '%pg_sleep(600)%' AND pid <> pg_backend_pid()")
wait
secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')

if [ "$doomed_rows" = 50 ] && [ "$killed" = 2 ]; then
    echo "ok 2 - two judges holding 50 leased submissions were killed mid-lease"
else echo "not ok 2 - two judges holding 50 leased submissions were killed (held: $doomed_rows, killed: $killed)"; fi
done_n=$(q "SELECT count(*) FROM mentor.submissions WHERE status = 'completed'")
if [ "$done_n" = 10000 ]; then echo "ok 3 - all 10000 were judged by the 8 live judges in $secs s"
else echo "not ok 3 - all 10000 were judged (completed: $done_n; $(q "SELECT string_agg(status || '=' || n, ' ') FROM (SELECT status, count(*) n FROM mentor.submissions GROUP BY 1) s"))"; fi
dupes=$(q "SELECT (SELECT count(*) FROM (SELECT submission_id FROM reports GROUP BY 1 HAVING count(*) > 1) d) + (SELECT count(*) FROM (SELECT submission_id FROM runs GROUP BY 1 HAVING count(*) > 1) d)")
nrep=$(q "SELECT count(*) FROM reports"); nrun=$(q "SELECT count(*) FROM runs")
if [ "$dupes" = 0 ] && [ "$nrep" = 10000 ] && [ "$nrun" = 10000 ]; then echo "ok 4 - each was run once and its verdict reported once (10000 runs, 10000 reports, none twice)"
else echo "not ok 4 - each run and reported once ($nrun runs, $nrep reports, $dupes twice)"; fi
mismatch=$(q "SELECT count(*) FROM mentor.submissions s JOIN reports r ON r.submission_id = s.id JOIN runs x ON x.submission_id = s.id
              WHERE s.judged_by <> r.worker OR s.judged_by <> x.worker OR s.verdict <> CASE WHEN s.id % 3 = 0 THEN 'accepted' ELSE 'wrong_answer' END::mentor.submission_verdict")
if [ "$mismatch" = 0 ]; then echo "ok 5 - every verdict is the one its runner reported"
else echo "not ok 5 - every verdict is the one its runner reported ($mismatch mismatches)"; fi
redone=$(q "SELECT count(*) FROM mentor.submissions WHERE attempts = 2 AND last_error LIKE 'lease of doomed% expired'")
errors=$(cat "$w"/j*.out | grep -c "ERROR" || true)
spread=$(q "SELECT count(DISTINCT worker) FROM reports")
if [ "$redone" = 50 ] && [ "$errors" = 0 ] && [ "$spread" = 8 ]; then
    echo "ok 6 - the 50 submissions of the killed judges came back after their lease and were judged on a second attempt; no judge raised an error; all 8 shared the work"
else echo "not ok 6 - the killed judges' submissions were rejudged ($redone of 50; judge errors: $errors; judges with reports: $spread)"; sed 's/^/# /' "$w"/j1.out | head -5; fi
# The stats, kept by trigger while 8 judges wrote them at once, against the submissions.
bad=$(q "WITH r AS (SELECT user_id, count(*) attempts, count(*) FILTER (WHERE verdict = 'accepted') accepted,
                           count(DISTINCT problem_id) FILTER (WHERE verdict = 'accepted') solved
                      FROM mentor.submissions GROUP BY 1)
         SELECT (SELECT count(*) FROM r FULL JOIN mentor.user_stats s USING (user_id)
                  WHERE (r.attempts, r.accepted, r.solved) IS DISTINCT FROM (s.attempts, s.accepted, s.problems_solved))
              + (SELECT count(*) FROM (SELECT problems_solved, score, count(*) n FROM mentor.user_stats WHERE problems_solved > 0 GROUP BY 1, 2) b
                  FULL JOIN (SELECT * FROM mentor.user_rank_counts WHERE users > 0) c USING (problems_solved, score)
                  WHERE b.n IS DISTINCT FROM c.users)
              + (SELECT count(*) FROM (SELECT problems_solved, count(*) n FROM mentor.user_stats WHERE problems_solved > 0 GROUP BY 1) b
                  FULL JOIN (SELECT * FROM mentor.user_rank_totals WHERE users > 0) c USING (problems_solved)
                  WHERE b.n IS DISTINCT FROM c.users)")
if [ "$bad" = 0 ]; then echo "ok 7 - every user's attempts, accepted and solved counts and the rank counts equal the submissions"
else echo "not ok 7 - the stats equal the submissions ($bad users or buckets differ)"; fi
