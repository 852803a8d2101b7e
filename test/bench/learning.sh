#!/usr/bin/env bash
# Benchmark of the learning modules, each against a hand-written baseline in
# the same run, on the same tables (history and score triggers active on both
# sides):
#   distribute - mentor.crosscheck_distribute of N solutions with k = 4 vs one
#                INSERT ... SELECT of the same N x 4 pairs (precomputed);
#   complete   - mentor.crosscheck_complete over N x 4 reviews vs one
#                aggregate INSERT ... SELECT (best k-1 mean) written by hand;
#   recalc     - mentor.recalculate_scores over N students x 50 tasks vs a
#                plain GROUP BY over the same results.
# Fixtures are loaded with session_replication_role = replica (no triggers);
# the timed statements run normally.  ROUNDS rounds, medians reported.
# Runs inside pg_virtualenv (scripts/bench.sh).
set -euo pipefail
ROUNDS="${ROUNDS:-3}"; N="${N:-100000}"; TASKS="${TASKS:-50}"
db=mentor_bench
dropdb --if-exists $db >/dev/null 2>&1; createdb $db
q() { psql -X -q -v ON_ERROR_STOP=1 -d $db "$@"; }
# ms SQL: wall-clock milliseconds of one statement in its own session
ms() {
    local t0 t1
    t0=$(date +%s%N); q -c "$1" >/dev/null; t1=$(date +%s%N)
    echo $(( (t1 - t0) / 1000000 ))
}
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }

q <<SQL
SET client_min_messages = warning;
CREATE EXTENSION mentor CASCADE;
SET session_replication_role = replica;
INSERT INTO mentor.users (email, username, full_name)
SELECT 'b' || g || '@example.com', 'b' || g, 'Bench ' || g FROM generate_series(1, $N) g;
INSERT INTO mentor.courses (name, alias, start_date, end_date) VALUES ('Bench', 'bench', '2026-01-01', '2026-12-31');
INSERT INTO mentor.students (course_id, user_id) SELECT 1, id FROM mentor.users ORDER BY id;
INSERT INTO mentor.tasks (name) VALUES ('Bench task');
CREATE TABLE bench_pairs (course_task_id bigint, task_solution_id bigint, student_id bigint, checker_id bigint);
SQL

# A cross-checked course task with a solution from every student, past its deadline.
new_task() {
    q -At <<SQL
SET session_replication_role = replica;
WITH t AS (INSERT INTO mentor.course_tasks (course_id, task_id, student_start_at, student_end_at, checker, pairs_count)
           VALUES (1, 1, now() - interval '2 days', now() - interval '1 day', 'crosscheck', 4) RETURNING id),
     s AS (INSERT INTO mentor.task_solutions (course_task_id, student_id, url)
           SELECT t.id, st.id, 'https://example.com/' || st.id FROM t, mentor.students st WHERE st.course_id = 1)
SELECT id FROM t;
SQL
}

declare -a d_ours d_base c_ours c_base
for round in $(seq 1 "$ROUNDS"); do
    a=$(new_task | tail -1); b=$(new_task | tail -1)
    q -c "VACUUM ANALYZE mentor.task_solutions" >/dev/null
    d_ours+=("$(ms "SELECT mentor.crosscheck_distribute($a, 4, $round)")")
    q <<SQL
TRUNCATE bench_pairs;
INSERT INTO bench_pairs SELECT $b, sb.id, c.student_id, c.checker_id
  FROM mentor.task_solution_checkers c JOIN mentor.task_solutions sb ON sb.course_task_id = $b AND sb.student_id = c.student_id
 WHERE c.course_task_id = $a;
UPDATE mentor.course_tasks SET crosscheck_status = 'distributed' WHERE id = $b;
SQL
    d_base+=("$(ms "INSERT INTO mentor.task_solution_checkers (course_task_id, task_solution_id, student_id, checker_id)
                    SELECT * FROM bench_pairs")")

    # Every assigned review submitted with a score of 40-100.
    q <<SQL
SET session_replication_role = replica;
INSERT INTO mentor.task_solution_results (course_task_id, task_solution_id, student_id, checker_id, score)
SELECT course_task_id, task_solution_id, student_id, checker_id, 40 + (hashint8(checker_id * 7 + student_id) & 63)
  FROM mentor.task_solution_checkers WHERE course_task_id = $a;
VACUUM ANALYZE mentor.task_solution_results;
SQL
    c_ours+=("$(ms "SELECT mentor.crosscheck_complete($a)")")
    c_base+=("$(ms "INSERT INTO mentor.task_results (course_task_id, student_id, score)
                    SELECT $b, student_id, round(avg(score))::int
                      FROM (SELECT student_id, score, row_number() OVER (PARTITION BY student_id ORDER BY score DESC) AS place
                              FROM mentor.task_solution_results WHERE course_task_id = $a) x
                     WHERE place <= 3 GROUP BY student_id")")
done
pairs=$(q -At -c "SELECT count(*) FROM mentor.task_solution_checkers WHERE course_task_id = (SELECT min(id) FROM mentor.course_tasks)")
results=$(q -At -c "SELECT count(*) FROM mentor.task_results WHERE course_task_id = (SELECT min(id) FROM mentor.course_tasks)")

# Scores: N students x TASKS tasks of mixed weights, one of them disabled.
q <<SQL
SET session_replication_role = replica;
INSERT INTO mentor.course_tasks (course_id, task_id, student_start_at, student_end_at, score_weight, checker, disabled)
SELECT 1, 1, '2026-01-01', '2026-02-01', 0.5 + (g % 4) * 0.5, CASE WHEN g % 5 = 0 THEN 'crosscheck' ELSE 'mentor' END::mentor.checker_kind,
       g = $TASKS
  FROM generate_series(1, $TASKS) g;
DELETE FROM mentor.task_results;
INSERT INTO mentor.task_results (course_task_id, student_id, score)
SELECT ct.id, st.id, (hashint8(ct.id * 100003 + st.id) & 127)
  FROM mentor.course_tasks ct, mentor.students st WHERE ct.checker <> 'crosscheck' OR ct.crosscheck_status = 'initial';
VACUUM ANALYZE mentor.task_results;
SQL
rows=$(q -At -c "SELECT count(*) FROM mentor.task_results")
declare -a r_ours r_base
for round in $(seq 1 "$ROUNDS"); do
    # change one task's scores so that every total moves
    q -c "SET session_replication_role = replica; UPDATE mentor.task_results SET score = score + 1
          WHERE course_task_id = (SELECT max(id) - 1 FROM mentor.course_tasks)" >/dev/null
    r_ours+=("$(ms "SELECT mentor.recalculate_scores(1)")")
    r_base+=("$(ms "SELECT count(*) FROM (SELECT tr.student_id, sum(tr.score * ct.score_weight)
                      FROM mentor.task_results tr JOIN mentor.course_tasks ct ON ct.id = tr.course_task_id
                     WHERE ct.course_id = 1 AND NOT ct.disabled GROUP BY tr.student_id) x")")
done

dm=$(median "${d_ours[@]}"); db_=$(median "${d_base[@]}")
cm=$(median "${c_ours[@]}"); cb=$(median "${c_base[@]}")
rm_=$(median "${r_ours[@]}"); rb=$(median "${r_base[@]}")
echo "learning benchmark: $N students, $ROUNDS rounds, medians (ms); rounds: distribute ${d_ours[*]} / ${d_base[*]}," \
     "complete ${c_ours[*]} / ${c_base[*]}, recalc ${r_ours[*]} / ${r_base[*]}"
printf '%-58s %10s %10s %8s %s\n' measure ours baseline ratio target
printf '%-58s %10s %10s %8s %s\n' "crosscheck_distribute, $pairs pairs (k=4) vs INSERT..SELECT" "$dm" "$db_" "$(ratio "$dm" "$db_")" "<= 2"
printf '%-58s %10s %10s %8s %s\n' "crosscheck_complete, $results results vs aggregate INSERT" "$cm" "$cb" "$(ratio "$cm" "$cb")" "<= 2"
printf '%-58s %10s %10s %8s %s\n' "recalculate_scores, $rows results vs plain GROUP BY" "$rm_" "$rb" "$(ratio "$rm_" "$rb")" "< 10 s"
