#!/usr/bin/env bash
# Benchmark of coding practice, each figure against a baseline in the same
# run, ROUNDS interleaved rounds, medians of the rounds' ratios:
#  1. the judge queue: CLIENTS workers each claiming 10 submissions, then
#     reporting each running and then accepted, every step its own
#     transaction as a judge commits them (claim_submissions +
#     report_submission), over PENDING pending submissions, against the same
#     loop of bare statements on the same table (claim 10 by
#     UPDATE ... FOR UPDATE SKIP LOCKED, then an UPDATE to running and one
#     to completed for each).  Target >= 0.5.
#  2. stats upkeep: the same judging with the stats trigger against the same
#     with it disabled.  Target >= 0.7.
#  3. with USERS users' stats: user_rank() of a random user and the top 100
#     of the leaderboard, medians of 200 calls.  Target < 10 ms each.
# Runs inside pg_virtualenv (scripts/bench.sh).
set -euo pipefail
ROUNDS="${ROUNDS:-3}"; PENDING="${PENDING:-100000}"; CLIENTS="${CLIENTS:-8}"; PEOPLE="${PEOPLE:-5000}"; USERS="${USERS:-1000000}"
db=mentor_bench_practice
dropdb --if-exists $db >/dev/null 2>&1; createdb $db
q() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d $db "$@"; }
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT
BATCHES=$((PENDING / CLIENTS / 10))

q >/dev/null <<SQL
SET client_min_messages = warning;
CREATE EXTENSION mentor CASCADE;
INSERT INTO mentor.users (email, username, full_name)
SELECT format('pb%s@example.com', g), format('pb%s', g), 'Bench' FROM generate_series(1, $PEOPLE) g;
INSERT INTO mentor.problems (slug, title, difficulty, published)
SELECT 'bench-' || g, 'Problem ' || g, (ARRAY['easy', 'medium', 'hard'])[1 + g % 3]::mentor.problem_difficulty, true
  FROM generate_series(1, 200) g;
-- One batch of a judge: claim 10, then run and report each, every step committed.
CREATE PROCEDURE judge_ours(me text) LANGUAGE plpgsql AS \$\$
DECLARE
    ids bigint[];
    sid bigint;
BEGIN
    ids := ARRAY(SELECT id FROM mentor.claim_submissions(me, 10, interval '1 minute'));
    COMMIT;
    FOREACH sid IN ARRAY ids LOOP
        PERFORM mentor.report_submission(sid, me, 'running');
        COMMIT;
        PERFORM mentor.report_submission(sid, me, 'completed', 'accepted', 'ok', 100, 5, 1024);
        COMMIT;
    END LOOP;
END \$\$;
CREATE PROCEDURE judge_bare(me text) LANGUAGE plpgsql AS \$\$
DECLARE
    ids bigint[];
    sid bigint;
BEGIN
    WITH c AS (UPDATE mentor.submissions q SET status = 'compiling', lease_owner = me, lease_until = now() + interval '1 minute',
                      attempts = q.attempts + 1
                WHERE q.id IN (SELECT x.id FROM mentor.submissions x WHERE x.status = 'pending' AND x.available_at <= now()
                                ORDER BY x.available_at, x.id LIMIT 10 FOR UPDATE SKIP LOCKED)
               RETURNING q.id)
    SELECT array_agg(id) INTO ids FROM c;
    COMMIT;
    FOREACH sid IN ARRAY coalesce(ids, '{}') LOOP
        UPDATE mentor.submissions q SET status = 'running' WHERE q.id = sid AND q.status = 'compiling' AND q.lease_owner = me;
        COMMIT;
        UPDATE mentor.submissions q SET status = 'completed', verdict = 'accepted', result = 'ok', score = 100, execution_ms = 5,
               memory_kb = 1024, judged_at = now(), judged_by = me, lease_owner = NULL, lease_until = NULL
         WHERE q.id = sid AND q.status = 'running' AND q.lease_owner = me;
        COMMIT;
    END LOOP;
END \$\$;
SQL

run() {   # run SCRIPT-TEXT TRANSACTIONS-PER-CLIENT: prints transactions per second
    echo "$1" > "$w/script.sql"
    local out
    out=$(pgbench -n -M prepared -c "$CLIENTS" -j 2 -t "$2" -f "$w/script.sql" $db 2>&1)
    if ! grep -q "number of failed transactions: 0" <<<"$out"; then echo "$out" | tail -5 >&2; exit 1; fi
    sed -nE 's/^tps = ([0-9.]+).*/\1/p' <<<"$out" | cut -d. -f1
}
# A fresh queue of PENDING submissions (fixtures: written without triggers), no stats yet.
prepare_queue() {
    q >/dev/null <<SQL
TRUNCATE mentor.submissions, mentor.solved_problems, mentor.user_stats, mentor.user_rank_counts, mentor.user_rank_totals;
SET session_replication_role = replica;
INSERT INTO mentor.submissions (problem_id, user_id, language_code, code, time_spent, submitted_at, available_at)
SELECT (SELECT min(id) FROM mentor.problems) + g % 200, (SELECT min(id) FROM mentor.users) + (g * 7919) % $PEOPLE, 'python',
       'print(' || g || ')', interval '1 minute', now() - interval '1 hour' + g * interval '1 ms', now() - interval '1 hour' + g * interval '1 ms'
  FROM generate_series(1, $PENDING) g;
SQL
    q -c "VACUUM ANALYZE mentor.submissions" >/dev/null
}
check() {   # check LABEL: every submission judged once, stats (when on) counting them all
    local judged attempts
    judged=$(q -c "SELECT count(*) FROM mentor.submissions WHERE status = 'completed'")
    [ "$judged" = $((CLIENTS * BATCHES * 10)) ] || { echo "$1 judged only $judged" >&2; exit 1; }
    if [ "$2" = on ]; then
        attempts=$(q -c "SELECT coalesce(sum(attempts), 0) FROM mentor.user_stats")
        [ "$attempts" = "$judged" ] || { echo "$1: stats count $attempts of $judged" >&2; exit 1; }
    fi
}
judge_ours() {   # judge_ours on|off: batches of 10 per second through the queue's functions
    prepare_queue
    if [ "$1" = off ]; then q -c "ALTER TABLE mentor.submissions DISABLE TRIGGER submissions_judged" >/dev/null; fi
    local tps
    tps=$(run "CALL judge_ours('w' || :client_id);" "$BATCHES")
    q -c "ALTER TABLE mentor.submissions ENABLE TRIGGER submissions_judged" >/dev/null
    check ours "$1"
    echo "$tps"
}
judge_bare() {
    prepare_queue
    local tps
    tps=$(run "CALL judge_bare('w' || :client_id);" "$BATCHES")
    check bare on
    echo "$tps"
}
declare -a ours=() bare=() off=()
for round in $(seq 1 "$ROUNDS"); do
    if [ $((round % 2)) = 1 ]; then ours+=("$(judge_ours on)"); bare+=("$(judge_bare)"); off+=("$(judge_ours off)")
    else off+=("$(judge_ours off)"); bare+=("$(judge_bare)"); ours+=("$(judge_ours on)"); fi
    echo "# round $round: ours ${ours[-1]} batches/s, bare ${bare[-1]}, stats trigger off ${off[-1]}" >&2
done

# USERS users with stats (fixtures, without triggers) and their rank buckets as the triggers keep them.
q >/dev/null <<SQL
TRUNCATE mentor.submissions, mentor.solved_problems, mentor.user_stats, mentor.user_rank_counts, mentor.user_rank_totals;
SET session_replication_role = replica;
INSERT INTO mentor.users (email, username, full_name)
SELECT format('rk%s@example.com', g), format('rk%s', g), 'Ranked' FROM generate_series(1, $USERS) g;
INSERT INTO mentor.user_stats (user_id, problems_solved, score, attempts, accepted)
SELECT u.id, s, s + floor(random() * (2 * s + 1))::int, 2 * s + 3, s
  FROM mentor.users u, LATERAL (SELECT floor(random() * random() * 500)::int + (u.id * 0)) x(s)
 WHERE u.username LIKE 'rk%';
INSERT INTO mentor.user_rank_counts SELECT problems_solved, score, count(*) FROM mentor.user_stats WHERE problems_solved > 0 GROUP BY 1, 2;
INSERT INTO mentor.user_rank_totals SELECT problems_solved, count(*) FROM mentor.user_stats WHERE problems_solved > 0 GROUP BY 1;
SQL
q -c "VACUUM ANALYZE mentor.user_stats" -c "VACUUM ANALYZE mentor.user_rank_counts" -c "VACUUM ANALYZE mentor.users" >/dev/null
timings=$(q <<'SQL'
CREATE TEMP TABLE t (what text, ms float8);
DO $$
DECLARE
    ids bigint[] := ARRAY(SELECT user_id FROM mentor.user_stats ORDER BY random() LIMIT 200);
    i int; t0 timestamptz; r bigint;
BEGIN
    FOR i IN 1 .. 200 LOOP
        t0 := clock_timestamp();
        r := mentor.user_rank(ids[i]);
        INSERT INTO t VALUES ('rank', extract(epoch FROM clock_timestamp() - t0) * 1000);
        t0 := clock_timestamp();
        PERFORM count(*) FROM (SELECT * FROM mentor.leaderboard LIMIT 100) x;
        INSERT INTO t VALUES ('top', extract(epoch FROM clock_timestamp() - t0) * 1000);
    END LOOP;
END $$;
SELECT string_agg(format('%s %s %s', what, round(m::numeric, 3), round(p::numeric, 3)), ' ')
  FROM (SELECT what, percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) m, percentile_cont(0.95) WITHIN GROUP (ORDER BY ms) p FROM t GROUP BY 1) s;
SQL
)
check_rank=$(q -c "SELECT mentor.user_rank(u) = 1 + (SELECT count(*) FROM mentor.user_stats o WHERE (o.problems_solved, o.score) > (s.problems_solved, s.score))
                    FROM (SELECT user_id AS u, problems_solved, score FROM mentor.user_stats ORDER BY random() LIMIT 1) s")
[ "$check_rank" = t ] || { echo "user_rank disagrees with a count" >&2; exit 1; }
buckets=$(q -c "SELECT count(*) FROM mentor.user_rank_counts")
rank_med=$(awk '{for (i = 1; i <= NF; i++) if ($i == "rank") print $(i+1)}' <<<"$timings")
rank_p95=$(awk '{for (i = 1; i <= NF; i++) if ($i == "rank") print $(i+2)}' <<<"$timings")
top_med=$(awk '{for (i = 1; i <= NF; i++) if ($i == "top") print $(i+1)}' <<<"$timings")
top_p95=$(awk '{for (i = 1; i <= NF; i++) if ($i == "top") print $(i+2)}' <<<"$timings")

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ratios() { local -n x=$1 y=$2; for i in "${!x[@]}"; do awk -v a="${x[$i]}" -v b="${y[$i]}" 'BEGIN {printf "%.2f\n", a / b}'; done; }
echo "practice benchmark: $ROUNDS rounds, $CLIENTS workers, $PENDING pending submissions a run; batches of 10/s ours ${ours[*]}, bare ${bare[*]}, stats trigger off ${off[*]}"
echo "ratios per round: queue $(ratios ours bare | tr '\n' ' '); stats upkeep $(ratios ours off | tr '\n' ' ')"
echo "ranks over $USERS users with stats ($buckets rank buckets): user_rank median ${rank_med} ms (p95 ${rank_p95}), top 100 median ${top_med} ms (p95 ${top_p95})"
printf '%-70s %10s %10s %8s %s\n' measure ours baseline ratio target
printf '%-70s %10s %10s %8s %s\n' "claim 10 + report running, accepted each: batches/s vs bare SKIP LOCKED" "$(median "${ours[@]}")" "$(median "${bare[@]}")" "$(median $(ratios ours bare))" ">= 0.5"
printf '%-70s %10s %10s %8s %s\n' "judging with the stats trigger vs without: batches/s" "$(median "${ours[@]}")" "$(median "${off[@]}")" "$(median $(ratios ours off))" ">= 0.7"
printf '%-70s %10s %10s %8s %s\n' "user_rank() of a random user, $USERS users (median ms)" "$rank_med" "" "" "< 10"
printf '%-70s %10s %10s %8s %s\n' "SELECT * FROM leaderboard LIMIT 100, $USERS users (median ms)" "$top_med" "" "" "< 10"
