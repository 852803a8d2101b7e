#!/usr/bin/env bash
# Benchmark of the hiring module: applications ingested per second through
# journey 4's pipeline with 8 clients, one transaction per application: the
# application inserted (resume_received), its resume analysis inserted (the
# trigger moves it to resume_parsed), record_screening() (the verdict stored,
# the application moved to scoring_complete and on to shortlisted or
# talent_pool by the job's threshold, a talent-pool entry for the latter), all
# under the candidate lifecycle and with history.  Baseline: bare INSERTs of
# the same three rows into plain tables with the same columns, keys and
# indexes.  ROUNDS interleaved rounds; the figure is the median of the rounds'
# ratios.  Target >= 0.5.
# Runs inside pg_virtualenv (scripts/bench.sh).
set -euo pipefail
ROUNDS="${ROUNDS:-3}"; JOBS="${JOBS:-200}"; APPLICATIONS="${APPLICATIONS:-40000}"; CLIENTS="${CLIENTS:-8}"
db=mentor_bench_hiring
dropdb --if-exists $db >/dev/null 2>&1; createdb $db
q() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d $db "$@"; }
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT

q >/dev/null <<SQL
SET client_min_messages = warning;
CREATE EXTENSION mentor CASCADE;
INSERT INTO mentor.job_posts (title, skills, salary_min, salary_max, status)
SELECT 'Engineer ' || g, '{sql,python}', 50000, 90000, 'draft' FROM generate_series(1, $JOBS) g;
UPDATE mentor.job_posts SET status = 'active';
INSERT INTO mentor.job_screening_configs (job_post_id, shortlist_threshold) SELECT id, 60 FROM mentor.job_posts;
-- The baseline: the same rows into plain tables (same columns, keys and indexes, no triggers).
CREATE TABLE bare_applications (LIKE mentor.job_applications INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES);
ALTER TABLE bare_applications ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY;
CREATE TABLE bare_analyses (LIKE mentor.resume_analyses INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES);
ALTER TABLE bare_analyses ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY;
CREATE TABLE bare_screenings (LIKE mentor.screening_results INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES);
ALTER TABLE bare_screenings ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY;
-- LIKE copies no foreign keys; the baseline has the same ones as ours.
ALTER TABLE bare_applications ADD FOREIGN KEY (job_post_id) REFERENCES mentor.job_posts ON DELETE CASCADE;
ALTER TABLE bare_analyses ADD FOREIGN KEY (application_id) REFERENCES bare_applications ON DELETE CASCADE;
ALTER TABLE bare_screenings ADD FOREIGN KEY (application_id) REFERENCES bare_applications ON DELETE CASCADE;
VACUUM ANALYZE;
SQL
run() {   # run SCRIPT-TEXT: transactions per second of CLIENTS x APPLICATIONS/CLIENTS transactions
    echo "$1" > "$w/script.sql"
    local out
    out=$(pgbench -n -M prepared -c "$CLIENTS" -j 2 -t $((APPLICATIONS / CLIENTS)) -D jobs="$JOBS" -f "$w/script.sql" $db 2>&1)
    if ! grep -q "number of failed transactions: 0" <<<"$out"; then echo "$out" | tail -5 >&2; exit 1; fi
    sed -nE 's/^tps = ([0-9.]+).*/\1/p' <<<"$out" | cut -d. -f1
}
# Each transaction a new candidate (client id, transaction number and round make the email unique).
ours() {
    run "\\set job random(1, :jobs)
\\set score random(0, 100)
BEGIN;
INSERT INTO mentor.job_applications (job_post_id, candidate_email, candidate_name, resume_url)
VALUES (:job, 'r$1c' || :client_id || 'n' || nextval('bench_seq') || '@example.com', 'Bench Candidate', 'https://cv.example.com/x.pdf')
RETURNING id AS app \\gset
INSERT INTO mentor.resume_analyses (application_id, parsed, skills, years_experience, model)
VALUES (:app, '{\"expected_salary\": 70000}', '{sql,go}', 4, 'parser-1');
SELECT verdict FROM mentor.record_screening(:app, :score, '{\"model\": \"screen-1\"}');
COMMIT;"
}
bare() {
    run "\\set job random(1, :jobs)
\\set score random(0, 100)
BEGIN;
INSERT INTO bare_applications (job_post_id, candidate_email, candidate_name, resume_url)
VALUES (:job, 'r$1c' || :client_id || 'n' || nextval('bench_seq') || '@example.com', 'Bench Candidate', 'https://cv.example.com/x.pdf')
RETURNING id AS app \\gset
INSERT INTO bare_analyses (application_id, parsed, skills, years_experience, model)
VALUES (:app, '{\"expected_salary\": 70000}', '{sql,go}', 4, 'parser-1');
INSERT INTO bare_screenings (application_id, score, threshold, verdict, model_config)
VALUES (:app, :score, 60, CASE WHEN :score >= 60 THEN 'shortlisted' ELSE 'talent_pool' END::mentor.candidate_status, '{\"model\": \"screen-1\"}');
COMMIT;"
}
q -c "CREATE SEQUENCE bench_seq" >/dev/null
declare -a o=() b=()
for round in $(seq 1 "$ROUNDS"); do
    q -c "VACUUM ANALYZE" >/dev/null
    if [ $((round % 2)) = 1 ]; then o+=("$(ours "$round")"); b+=("$(bare "$round")"); else b+=("$(bare "$round")"); o+=("$(ours "$round")"); fi
    echo "# round $round: pipeline ${o[-1]}/s, bare inserts ${b[-1]}/s" >&2
done
total=$((ROUNDS * (APPLICATIONS / CLIENTS) * CLIENTS))
check=$(q -c "SELECT count(*) FILTER (WHERE a.status IN ('shortlisted', 'talent_pool') AND s.id IS NOT NULL)
                FROM mentor.job_applications a LEFT JOIN mentor.screening_results s ON s.application_id = a.id")
[ "$check" = "$total" ] || { echo "only $check of $total applications screened" >&2; exit 1; }
pooled=$(q -c "SELECT count(*) FROM mentor.talent_pool_entries")
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ratios() { for i in "${!o[@]}"; do awk -v a="${o[$i]}" -v b="${b[$i]}" 'BEGIN {printf "%.2f\n", a / b}'; done; }
echo "hiring benchmark: $ROUNDS rounds, $CLIENTS clients, $JOBS jobs, $total applications screened ($pooled to the talent pool); pipeline/s ${o[*]}, bare inserts/s ${b[*]}; ratios $(ratios | tr '\n' ' ')"
printf '%-62s %10s %10s %8s %s\n' measure ours baseline ratio target
printf '%-62s %10s %10s %8s %s\n' "journey 4 (apply, analysis, screening)/s vs bare inserts" "$(median "${o[@]}")" "$(median "${b[@]}")" "$(median $(ratios))" ">= 0.5"
