#!/usr/bin/env bash
# Benchmark: book_session + complete_session cycles, 8 clients, over 10,000
# mentors and 10,000 mentees, against the raw ledger calls those cycles make
# (a pending transfer for the hold; its post and the earnings transfer), with
# the same accounts, in the same run.  A cycle is two phases, because a
# session can only be completed once it has started: all bookings (timed),
# then the booked sessions are moved into the past (not timed), then all
# completions (timed).  cycles/s = cycles / (booking time + completion time).
# ROUNDS rounds of CYCLES cycles, interleaved (each round starts with another
# measurement); cycles/s are medians, a ratio is the median of the rounds'
# ratios (each against the raw ledger of its own round).
# A third measurement, the floor, shows what the session row itself costs: each
# step as one statement doing only the raw ledger calls and the session's
# UPDATE (no checks, no promo lookup, no retry handling): a booking that
# still writes the session row through the executor can hardly go faster.
# Our cycles run in both flows (setting session.flow: session, then slot).
# Runs inside pg_virtualenv (scripts/bench.sh).
set -euo pipefail
ROUNDS="${ROUNDS:-3}"; CYCLES="${CYCLES:-16000}"; CLIENTS="${CLIENTS:-8}"; MENTORS="${MENTORS:-10000}"
db=mentor_bench
dropdb --if-exists $db >/dev/null 2>&1; createdb $db
q() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d $db "$@"; }

q >/dev/null <<SQL
SET client_min_messages = warning;
CREATE EXTENSION mentor CASCADE;
INSERT INTO mentor.users (email, username, full_name)
SELECT format('%s%s@example.com', r, g), format('%s%s', r, g), 'Bench' FROM generate_series(1, $MENTORS) g, unnest(ARRAY['mr', 'me']) r;
INSERT INTO mentor.mentor_profiles (user_id, price_tokens, max_mentees)
SELECT id, 50, 1000 FROM mentor.users WHERE username LIKE 'mr%';
CREATE TABLE bench_people AS
SELECT g AS n, (SELECT id FROM mentor.users WHERE username = 'mr' || g) AS mentor,
       (SELECT id FROM mentor.users WHERE username = 'me' || g) AS mentee
  FROM generate_series(1, $MENTORS) g;
ALTER TABLE bench_people ADD COLUMN wallet bigint, ADD COLUMN earnings bigint;
UPDATE bench_people SET wallet = mentor.wallet(mentee), earnings = mentor.earnings_account(mentor);
SELECT count(*) AS funded FROM mentor.transfer_batch(ARRAY(SELECT gen_random_uuid() FROM bench_people),
       ARRAY[mentor.system_account('external')], ARRAY(SELECT wallet FROM bench_people ORDER BY n), ARRAY[10000000::bigint],
       ARRAY['purchase']);
CREATE TABLE bench_cycles (k int PRIMARY KEY, session_id bigint, mentor bigint, mentee bigint, wallet bigint,
                           earnings bigint, hold uuid, post uuid, earn uuid);
CREATE SEQUENCE bench_a; CREATE SEQUENCE bench_b;
SQL

# A round's cycles: open slots one hour apart (nobody is ever double-booked), ids for the baseline.
prepare() {
    q >/dev/null <<SQL
TRUNCATE bench_cycles;
ALTER SEQUENCE bench_a RESTART; ALTER SEQUENCE bench_b RESTART;
INSERT INTO bench_cycles
SELECT k, NULL, p.mentor, p.mentee, p.wallet, p.earnings, gen_random_uuid(), gen_random_uuid(), gen_random_uuid()
  FROM generate_series(1, $CYCLES) k JOIN bench_people p ON p.n = 1 + (k * 7919) % $MENTORS;
SET session_replication_role = replica;    -- fixtures: the exclusion constraints still hold
WITH s AS (INSERT INTO mentor.sessions (mentor_id, during, price_tokens)
           SELECT c.mentor, tstzrange(t, t + interval '30 minutes'), 50
             FROM bench_cycles c, LATERAL (SELECT date_trunc('hour', now()) + interval '1 day'
                                                  + ((SELECT coalesce(max(id), 0) FROM mentor.sessions) + c.k) * interval '1 hour') x(t)
            ORDER BY c.k RETURNING id, mentor_id, lower(during) AS t)
UPDATE bench_cycles c SET session_id = s.id FROM (SELECT id, row_number() OVER (ORDER BY t) AS k FROM s) s WHERE s.k = c.k;
SQL
    # Vacuumed before every timed step, so that autovacuum does not land in
    # one measurement's time (two cores) and no measurement inherits the
    # previous one's dead rows.
    q -c "VACUUM ANALYZE" >/dev/null
}
# The booked sessions take place: move them into the past (keeping them disjoint;
# 40 years, as the slots of four measurements x rounds span more than 20 years of hours).
take_place() {
    q -c "SET session_replication_role = replica;
          UPDATE mentor.sessions s SET during = tstzrange(lower(during) - interval '40 years', upper(during) - interval '40 years')
           WHERE s.id IN (SELECT session_id FROM bench_cycles)" >/dev/null
    q -c "VACUUM ANALYZE mentor.sessions" >/dev/null
}
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT
per_client=$((CYCLES / CLIENTS))
run() {   # run SCRIPT-TEXT: prints elapsed seconds of CLIENTS x per_client transactions
    echo "$1" > "$w/script.sql"
    local out
    out=$(pgbench -n -M prepared -c "$CLIENTS" -j 2 -t "$per_client" -f "$w/script.sql" $db 2>&1)
    if ! grep -q "number of failed transactions: 0" <<<"$out"; then echo "$out" | tail -5 >&2; exit 1; fi
    awk -v tps="$(sed -nE 's/^tps = ([0-9.]+).*/\1/p' <<<"$out")" -v n=$((per_client * CLIENTS)) 'BEGIN {printf "%.3f", n / tps}'
}
# cycles/s of a round whose booking took $1 s and completion $2 s.
per_sec() { awk -v a="$1" -v b="$2" -v n=$((per_client * CLIENTS)) 'BEGIN {printf "%.0f", n / (a + b)}'; }
# One round of sessions booked by BOOK-SQL and completed by COMPLETE-SQL: sets cps.
session_cycles() {   # session_cycles LABEL BOOK-SQL COMPLETE-SQL
    local a b done_
    prepare
    a=$(run "$2")
    take_place
    b=$(run "$3")
    done_=$(q -c "SELECT count(*) FROM mentor.sessions WHERE id IN (SELECT session_id FROM bench_cycles) AND status = 'completed'")
    [ "$done_" = $((per_client * CLIENTS)) ] || { echo "$1: only $done_ sessions completed" >&2; exit 1; }
    echo "# $1: booking ${a}s, completion ${b}s" >&2
    cps=$(per_sec "$a" "$b")
}
declare -a ours=() slot=() raw=() floor=()
# The flow the sessions follow (setting session.flow): prepare() opens slots in its open state.
# Open slots left by the other measurements (never booked) are cancelled first, as fixtures.
flow() { q -c "SET session_replication_role = replica; UPDATE mentor.sessions SET status = 'cancelled' WHERE status IN ('pending', 'tentative')" \
           -c "DELETE FROM mentor.settings WHERE key = 'session.flow' AND NOT shipped" \
           -c "INSERT INTO mentor.settings (key, value) SELECT 'session.flow', to_jsonb('$1'::text) WHERE '$1' <> 'session'" >/dev/null; }
ours_cycles() {
    session_cycles "$1" "SELECT mentor.book_session(session_id, mentee, hold) FROM bench_cycles WHERE k = (SELECT nextval('bench_a'));" \
                        "SELECT mentor.complete_session(session_id) FROM bench_cycles WHERE k = (SELECT nextval('bench_b'));"
}
run_ours() { flow session; ours_cycles "ours (session flow)"; ours+=("$cps"); }
run_slot() { flow slot; ours_cycles "ours (slot flow)"; slot+=("$cps"); flow session; }
run_raw() {
    local a b done_
    prepare
    a=$(run "SELECT mentor.transfer(hold, wallet, mentor.system_account('revenue'), 50, 'hold', 'bench', true,
                                    interval '30 days') FROM bench_cycles WHERE k = (SELECT nextval('bench_a'));")
    b=$(run "SELECT mentor.post_pending(hold, post), mentor.transfer(earn, mentor.system_account('revenue'), earnings, 40,
                                                                     'earning', 'bench') FROM bench_cycles WHERE k = (SELECT nextval('bench_b'));")
    done_=$(q -c "SELECT count(*) FROM mentor.ledger_transfers WHERE kind = 'earning' AND id IN (SELECT earn FROM bench_cycles)")
    [ "$done_" = $((per_client * CLIENTS)) ] || { echo "only $done_ baseline cycles made" >&2; exit 1; }
    echo "# raw: hold ${a}s, post+earn ${b}s" >&2
    raw+=("$(per_sec "$a" "$b")")
}
run_floor() {
    session_cycles floor \
        "WITH c AS (SELECT * FROM bench_cycles WHERE k = (SELECT nextval('bench_a'))),
              h AS (SELECT c.*, mentor.transfer(hold, wallet, mentor.system_account('revenue'), 50, 'hold', 'bench', true,
                                                interval '30 days') FROM c)
         UPDATE mentor.sessions s SET mentee_id = h.mentee, status = 'confirmed', hold_id = h.hold, hold_parts = 1
           FROM h WHERE s.id = h.session_id;" \
        "WITH c AS (SELECT * FROM bench_cycles WHERE k = (SELECT nextval('bench_b'))),
              h AS (SELECT c.*, mentor.post_pending(hold, post), mentor.transfer(earn, mentor.system_account('revenue'),
                                                                                 earnings, 40, 'earning', 'bench') FROM c)
         UPDATE mentor.sessions s SET status = 'completed', completed_at = now() FROM h WHERE s.id = h.session_id;"
    floor+=("$cps")
}
# The tables grow and the machine drifts during a run: each round starts with
# a different measurement, so that none always runs first or last.
variants=(ours slot raw floor)
for round in $(seq 1 "$ROUNDS"); do
    for i in 0 1 2 3; do "run_${variants[$(( (round - 1 + i) % 4 ))]}"; done
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
mo=$(median "${ours[@]}"); ms=$(median "${slot[@]}"); mr=$(median "${raw[@]}"); mf=$(median "${floor[@]}")
# Each round's ratio against the raw ledger of the same round; the median of those is the figure.
ratios() { local -n v=$1; for i in "${!v[@]}"; do awk -v a="${v[$i]}" -v b="${raw[$i]}" 'BEGIN {printf "%.2f\n", a / b}'; done; }
ro=$(median $(ratios ours)); rs=$(median $(ratios slot)); rf=$(median $(ratios floor))
echo "sessions benchmark: $CYCLES cycles x $ROUNDS rounds, $CLIENTS clients, $MENTORS mentors; cycles/s per round: ours ${ours[*]}, slot flow ${slot[*]}, raw ledger ${raw[*]}, floor ${floor[*]}"
echo "ratios per round: ours $(ratios ours | tr '\n' ' '); slot flow $(ratios slot | tr '\n' ' '); floor $(ratios floor | tr '\n' ' ')"
printf '%-62s %10s %10s %8s %s\n' measure ours raw ratio target
printf '%-62s %10s %10s %8s %s\n' "book_session + complete_session cycles/s vs the raw ledger calls" "$mo" "$mr" "$ro" ">= 0.5"
printf '%-62s %10s %10s %8s %s\n' "the same in the slot flow (tentative -> confirmed -> completed)" "$ms" "$mr" "$rs" ">= 0.5"
printf '%-62s %10s %10s %8s %s\n' "floor: ledger calls + session UPDATE only, one statement a step" "$mf" "$mr" "$rf" "(reference)"
q -c "SELECT 'ledger_check: ' || count(*) FROM mentor.ledger_check()"
