#!/usr/bin/env bash
# Benchmark of quiz grading: submit_quiz of a 20-question quiz (8 single
# choice, 6 multiple choice, 6 text), each submission a request of its own
# (BEGIN, set_actor, submit_quiz, COMMIT, as an application sends it; the
# script takes the next attempt in the set_actor statement) on an attempt
# started beforehand,
# with 8 clients; the answers are half right on average.  ROUNDS rounds of
# SUBMITS submissions; the figure is the median.  Target >= 5,000 submissions/s.
# Runs inside pg_virtualenv (scripts/bench.sh).
set -euo pipefail
ROUNDS="${ROUNDS:-3}"; SUBMITS="${SUBMITS:-40000}"; CLIENTS="${CLIENTS:-8}"
db=mentor_bench_quizzes
dropdb --if-exists $db >/dev/null 2>&1; createdb $db
q() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d $db "$@"; }
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT
total=$((ROUNDS * SUBMITS))

q >/dev/null <<SQL
SET client_min_messages = warning;
CREATE EXTENSION mentor CASCADE;
SELECT setseed(0.42);
INSERT INTO mentor.courses (name, alias, start_date, end_date) VALUES ('Bench course', 'bench-course', '2027-01-01', '2027-12-31');
INSERT INTO mentor.course_modules (course_id, position, title) SELECT id, 1, 'Bench module' FROM mentor.courses;
INSERT INTO mentor.questions (kind, prompt, options, correct)
SELECT CASE WHEN g <= 8 THEN 'single_choice' WHEN g <= 14 THEN 'multiple_choice' ELSE 'text' END::mentor.question_kind,
       'Question ' || g,
       CASE WHEN g <= 14 THEN '["a", "b", "c", "d"]'::jsonb END,
       CASE WHEN g <= 8 THEN '[1]' WHEN g <= 14 THEN '[0, 2]' ELSE '["yes", "y"]' END::jsonb
  FROM generate_series(1, 20) g;
INSERT INTO mentor.quizzes (module_id, title, max_attempts, time_limit, published)
SELECT id, 'Bench quiz', 1, '1 day', true FROM mentor.course_modules;
INSERT INTO mentor.quiz_questions (quiz_id, question_id, position)
SELECT z.id, q.id, row_number() OVER (ORDER BY q.id) FROM mentor.quizzes z, mentor.questions q;
SET session_replication_role = replica;
INSERT INTO mentor.users (email, username, full_name)
SELECT format('qb%s@example.com', g), format('qb%s', g), 'Bench' FROM generate_series(1, $total) g;
INSERT INTO mentor.quiz_attempts (quiz_id, user_id, attempt_no, deadline)
SELECT z.id, u.id, 1, now() + interval '1 day' FROM mentor.quizzes z, mentor.users u;
RESET session_replication_role;
-- Each attempt's answers, made beforehand: right or wrong at random.
CREATE TABLE bench_attempts AS
SELECT row_number() OVER (ORDER BY a.id) AS n, a.id, a.user_id,
       (SELECT jsonb_object_agg(q.id::text,
                 CASE WHEN q.kind = 'single_choice' THEN to_jsonb(CASE WHEN random() < 0.5 THEN 1 ELSE 3 END)
                      WHEN q.kind = 'multiple_choice' THEN CASE WHEN random() < 0.5 THEN '[2, 0]'::jsonb ELSE '[0]'::jsonb END
                      ELSE to_jsonb(CASE WHEN random() < 0.5 THEN ' Yes' ELSE 'no' END) END)
          FROM mentor.questions q WHERE q.id > a.id * 0) AS answers
  FROM mentor.quiz_attempts a;
CREATE UNIQUE INDEX ON bench_attempts (n);
CREATE SEQUENCE bench_next;
VACUUM ANALYZE;
SQL
cat > "$w/script.sql" <<'PGB'
BEGIN;
SELECT mentor.set_actor(user_id) AS actor, n AS k FROM bench_attempts WHERE n = (SELECT nextval('bench_next')) \gset
SELECT (mentor.submit_quiz(id, answers)).score FROM bench_attempts WHERE n = :k;
COMMIT;
PGB
declare -a o=()
for round in $(seq 1 "$ROUNDS"); do
    out=$(pgbench -n -M prepared -c "$CLIENTS" -j 2 -t $((SUBMITS / CLIENTS)) -f "$w/script.sql" $db 2>&1)
    if ! grep -q "number of failed transactions: 0" <<<"$out"; then echo "$out" | tail -5 >&2; exit 1; fi
    o+=("$(sed -nE 's/^tps = ([0-9.]+).*/\1/p' <<<"$out" | cut -d. -f1)")
    echo "# round $round: ${o[-1]} submissions/s" >&2
done
graded=$(q -c "SELECT count(*) FROM mentor.quiz_attempts WHERE submitted_at IS NOT NULL")
[ "$graded" = $((ROUNDS * (SUBMITS / CLIENTS) * CLIENTS)) ] || { echo "only $graded graded" >&2; exit 1; }
# The grades are right: recomputed here from the stored answers, independently of submit_quiz.
wrong=$(q -c "SELECT count(*) FROM mentor.quiz_attempts a
               WHERE a.submitted_at IS NOT NULL AND a.score <> (
                     SELECT count(*) FILTER (WHERE CASE q.kind
                              WHEN 'single_choice' THEN a.answers -> q.id::text = '1'
                              WHEN 'multiple_choice' THEN a.answers -> q.id::text = '[2, 0]'
                              ELSE a.answers ->> q.id::text = ' Yes' END)
                       FROM mentor.questions q)")
[ "$wrong" = 0 ] || { echo "$wrong attempts graded wrong" >&2; exit 1; }
mean=$(q -c "SELECT round(avg(score), 1) FROM mentor.quiz_attempts WHERE submitted_at IS NOT NULL")
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "quizzes benchmark: $ROUNDS rounds, $CLIENTS clients, a 20-question quiz, $graded submissions graded (all checked, mean score $mean of 20); submissions/s ${o[*]}"
printf '%-62s %10s %10s %8s %s\n' measure ours baseline ratio target
printf '%-62s %10s %10s %8s %s\n' "submit_quiz of 20 questions, submissions/s" "$(median "${o[@]}")" "" "" ">= 5000"
