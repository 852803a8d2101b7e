#!/usr/bin/env bash
# Benchmark of learning-path progress, against a baseline in the same run:
# a module completion (INSERT into learning_module_completions: history and
# the progress trigger, which moves the user's progress row under its lock)
# with 8 clients, against a bare INSERT of the same row into a plain table
# with the same columns, keys and indexes and no triggers.  PATHS paths of
# MODULES modules, USERS learners, random (user, module) pairs (a repeat does
# nothing on either side).  ROUNDS interleaved rounds; the figure is the
# median of the rounds' ratios.  Target >= 0.7.
# Runs inside pg_virtualenv (scripts/bench.sh).
set -euo pipefail
ROUNDS="${ROUNDS:-3}"; PATHS="${PATHS:-20}"; MODULES="${MODULES:-10}"; USERS="${USERS:-50000}"
INSERTS="${INSERTS:-40000}"; CLIENTS="${CLIENTS:-8}"
db=mentor_bench_paths
dropdb --if-exists $db >/dev/null 2>&1; createdb $db
q() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d $db "$@"; }
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT

q >/dev/null <<SQL
SET client_min_messages = warning;
CREATE EXTENSION mentor CASCADE;
SET session_replication_role = replica;
INSERT INTO mentor.users (email, username, full_name)
SELECT format('lp%s@example.com', g), format('lp%s', g), 'Bench' FROM generate_series(1, $USERS) g;
RESET session_replication_role;
INSERT INTO mentor.learning_paths (title) SELECT 'Bench path ' || g FROM generate_series(1, $PATHS) g;
INSERT INTO mentor.learning_path_modules (path_id, position, title)
SELECT p.id, g, 'Module ' || g FROM mentor.learning_paths p, generate_series(1, $MODULES) g;
CREATE TABLE bench_users AS SELECT row_number() OVER (ORDER BY id) AS n, id FROM mentor.users;
CREATE UNIQUE INDEX ON bench_users (n);
CREATE TABLE bench_modules AS SELECT row_number() OVER (ORDER BY id) AS n, id FROM mentor.learning_path_modules;
CREATE UNIQUE INDEX ON bench_modules (n);
CREATE TABLE bare_completions (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES mentor.users ON DELETE CASCADE,
    module_id    bigint NOT NULL REFERENCES mentor.learning_path_modules ON DELETE CASCADE,
    completed_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (user_id, module_id)
);
CREATE INDEX ON bare_completions (module_id);
VACUUM ANALYZE;
SQL
run() {   # run TABLE: inserts per second of CLIENTS x INSERTS/CLIENTS transactions
    cat > "$w/script.sql" <<PGB
\set u random(1, $USERS)
\set m random(1, $((PATHS * MODULES)))
INSERT INTO $1 (user_id, module_id) SELECT u.id, m.id FROM bench_users u, bench_modules m WHERE u.n = :u AND m.n = :m ON CONFLICT DO NOTHING;
PGB
    local out
    out=$(pgbench -n -M prepared -c "$CLIENTS" -j 2 -t $((INSERTS / CLIENTS)) -f "$w/script.sql" $db 2>&1)
    if ! grep -q "number of failed transactions: 0" <<<"$out"; then echo "$out" | tail -5 >&2; exit 1; fi
    sed -nE 's/^tps = ([0-9.]+).*/\1/p' <<<"$out" | cut -d. -f1
}
declare -a o=() b=()
for round in $(seq 1 "$ROUNDS"); do
    q -c "VACUUM ANALYZE" >/dev/null
    if [ $((round % 2)) = 1 ]; then o+=("$(run mentor.learning_module_completions)"); b+=("$(run bare_completions)")
    else b+=("$(run bare_completions)"); o+=("$(run mentor.learning_module_completions)"); fi
    echo "# round $round: completions ${o[-1]}/s, bare insert ${b[-1]}/s" >&2
done
# The figures are right after the load: every progress row equals its completions.
wrong=$(q -c "SELECT count(*) FROM mentor.learning_progress x
               WHERE x.completed_count <> (SELECT count(*) FROM mentor.learning_module_completions c
                                             JOIN mentor.learning_path_modules m ON m.id = c.module_id
                                            WHERE c.user_id = x.user_id AND m.path_id = x.path_id)")
[ "$wrong" = 0 ] || { echo "$wrong progress rows disagree with their completions" >&2; exit 1; }
rows=$(q -c "SELECT count(*) FROM mentor.learning_module_completions")
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ratios() { for i in "${!o[@]}"; do awk -v a="${o[$i]}" -v b="${b[$i]}" 'BEGIN {printf "%.2f\n", a / b}'; done; }
echo "paths benchmark: $ROUNDS rounds, $CLIENTS clients, $PATHS paths x $MODULES modules, $USERS users, $rows completions (progress rows all exact); completions/s ${o[*]}, bare insert/s ${b[*]}; ratios $(ratios | tr '\n' ' ')"
printf '%-62s %10s %10s %8s %s\n' measure ours baseline ratio target
printf '%-62s %10s %10s %8s %s\n' "module completions/s (history, progress) vs a bare INSERT" "$(median "${o[@]}")" "$(median "${b[@]}")" "$(median $(ratios))" ">= 0.7"
