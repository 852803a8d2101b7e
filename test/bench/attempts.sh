#!/usr/bin/env bash
# Benchmark of auto-checked attempts, against a baseline in the same run: an
# attempt posted completed with its score (INSERT into task_verifications:
# numbering under the student's lock, window and limit checks, history, and the
# result trigger, which makes the best attempt the task_results score with its
# historical_scores entry) with 8 clients, against a bare INSERT of the same row
# into a plain table with the same columns, keys and indexes and no triggers.
# STUDENTS students of one course, TASKS auto-test course tasks, random (student,
# task) pairs and scores.  ROUNDS interleaved rounds; the figure is the median
# of the rounds' ratios.  Target >= 0.6.
# Runs inside pg_virtualenv (scripts/bench.sh).
set -euo pipefail
ROUNDS="${ROUNDS:-3}"; STUDENTS="${STUDENTS:-20000}"; TASKS="${TASKS:-10}"
INSERTS="${INSERTS:-40000}"; CLIENTS="${CLIENTS:-8}"
db=mentor_bench_attempts
dropdb --if-exists $db >/dev/null 2>&1; createdb $db
q() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d $db "$@"; }
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT

q >/dev/null <<SQL
SET client_min_messages = warning;
CREATE EXTENSION mentor CASCADE;
SET session_replication_role = replica;
INSERT INTO mentor.users (email, username, full_name)
SELECT format('at%s@example.com', g), format('at%s', g), 'Bench' FROM generate_series(1, $STUDENTS) g;
RESET session_replication_role;
INSERT INTO mentor.courses (name, alias, start_date, end_date) VALUES ('Bench', 'bench', '2026-01-01', '2030-12-31');
INSERT INTO mentor.students (course_id, user_id) SELECT c.id, u.id FROM mentor.courses c, mentor.users u;
INSERT INTO mentor.tasks (name) SELECT 'Bench test ' || g FROM generate_series(1, $TASKS) g;
INSERT INTO mentor.course_tasks (course_id, task_id, student_start_at, student_end_at, checker)
SELECT c.id, t.id, now() - interval '1 day', now() + interval '30 days', 'auto_test' FROM mentor.courses c, mentor.tasks t;
CREATE TABLE bench_students AS SELECT row_number() OVER (ORDER BY id) AS n, id, course_id FROM mentor.students;
CREATE UNIQUE INDEX ON bench_students (n);
CREATE TABLE bench_tasks AS SELECT row_number() OVER (ORDER BY id) AS n, id FROM mentor.course_tasks;
CREATE UNIQUE INDEX ON bench_tasks (n);
CREATE TABLE bare_verifications (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    course_task_id bigint NOT NULL,
    course_id      bigint NOT NULL,
    student_id     bigint NOT NULL,
    attempt_no     integer NOT NULL DEFAULT 0,
    status         mentor.task_verification_status NOT NULL DEFAULT 'pending',
    score          integer,
    answers        jsonb,
    metadata       jsonb NOT NULL DEFAULT '{}',
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (course_task_id, course_id) REFERENCES mentor.course_tasks (id, course_id) ON DELETE CASCADE,
    FOREIGN KEY (student_id, course_id) REFERENCES mentor.students (id, course_id) ON DELETE CASCADE
);
CREATE INDEX ON bare_verifications (course_task_id, student_id, attempt_no);
CREATE INDEX ON bare_verifications (student_id);
VACUUM ANALYZE;
SQL
run() {   # run TABLE: attempts per second of CLIENTS x INSERTS/CLIENTS transactions
    cat > "$w/script.sql" <<PGB
\set s random(1, $STUDENTS)
\set t random(1, $TASKS)
\set score random(0, 100)
INSERT INTO $1 (course_task_id, course_id, student_id, status, score, answers)
SELECT t.id, s.course_id, s.id, 'completed', :score, '{"q1": "a", "q2": [1, 2]}' FROM bench_students s, bench_tasks t WHERE s.n = :s AND t.n = :t;
PGB
    local out
    out=$(pgbench -n -M prepared -c "$CLIENTS" -j 2 -t $((INSERTS / CLIENTS)) -f "$w/script.sql" $db 2>&1)
    if ! grep -q "number of failed transactions: 0" <<<"$out"; then echo "$out" | tail -5 >&2; exit 1; fi
    sed -nE 's/^tps = ([0-9.]+).*/\1/p' <<<"$out" | cut -d. -f1
}
declare -a o=() b=()
for round in $(seq 1 "$ROUNDS"); do
    q -c "VACUUM ANALYZE" >/dev/null
    if [ $((round % 2)) = 1 ]; then o+=("$(run mentor.task_verifications)"); b+=("$(run bare_verifications)")
    else b+=("$(run bare_verifications)"); o+=("$(run mentor.task_verifications)"); fi
    echo "# round $round: attempts ${o[-1]}/s, bare insert ${b[-1]}/s" >&2
done
# The results are right after the load: each is the best completed attempt.
wrong=$(q -c "SELECT count(*) FROM mentor.task_results r
               WHERE r.score <> (SELECT max(v.score) FROM mentor.task_verifications v
                                  WHERE v.course_task_id = r.course_task_id AND v.student_id = r.student_id)")
numbered=$(q -c "SELECT count(*) FROM (SELECT course_task_id, student_id FROM mentor.task_verifications
                  GROUP BY 1, 2 HAVING max(attempt_no) <> count(*)) x")
[ "$wrong" = 0 ] || { echo "$wrong results are not the best attempt" >&2; exit 1; }
[ "$numbered" = 0 ] || { echo "$numbered students' attempts are not numbered 1..n" >&2; exit 1; }
rows=$(q -c "SELECT count(*) FROM mentor.task_verifications")
results=$(q -c "SELECT count(*) FROM mentor.task_results")
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ratios() { for i in "${!o[@]}"; do awk -v a="${o[$i]}" -v b="${b[$i]}" 'BEGIN {printf "%.2f\n", a / b}'; done; }
echo "attempts benchmark: $ROUNDS rounds, $CLIENTS clients, $STUDENTS students x $TASKS auto-test tasks, $rows attempts, $results results (all the best attempt, attempts numbered 1..n); attempts/s ${o[*]}, bare insert/s ${b[*]}; ratios $(ratios | tr '\n' ' ')"
printf '%-62s %10s %10s %8s %s\n' measure ours baseline ratio target
printf '%-62s %10s %10s %8s %s\n' "auto-test attempts/s (numbering, history, result) vs a bare INSERT" "$(median "${o[@]}")" "$(median "${b[@]}")" "$(median $(ratios))" ">= 0.6"
