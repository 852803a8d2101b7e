#!/usr/bin/env bash
# Hiring under concurrency: 20 sessions apply to one job with the same email
# (in different cases) at the same moment: one application, 19 refusals with
# 23505; then 10 sessions screen one parsed application at once with
# different scores: one verdict is recorded and every session is given that
# same one.  Released together by an advisory-lock barrier; pg_virtualenv; TAP.
set -uo pipefail
db=mentor_hiring_races
dropdb --if-exists $db >/dev/null 2>&1; createdb $db
q() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d $db -c "$1"; }
w=$(mktemp -d); trap 'rm -rf "$w"; dropdb --if-exists $db >/dev/null 2>&1' EXIT
q "SET client_min_messages = warning; CREATE EXTENSION mentor CASCADE" >/dev/null
job=$(q "INSERT INTO mentor.job_posts (title) VALUES ('Race job') RETURNING id")

barrier() {   # barrier KEY: holds the lock for 2 s so that the racers start together
    psql -X -q -d $db -c "SELECT pg_advisory_lock($1)" -c "SELECT pg_sleep(2)" >/dev/null 2>&1 &
    sleep 0.5
}
wait_for() { echo "DO \$\$BEGIN PERFORM pg_advisory_lock_shared($1); PERFORM pg_advisory_unlock_shared($1); END\$\$"; }

echo "1..4"
barrier 4246
for i in $(seq 1 20); do
    email=$( [ $((i % 2)) = 0 ] && echo "Same.Person@Example.com" || echo "same.person@example.COM" )
    psql -X -q -t -A -d $db -c '\set VERBOSITY sqlstate' -c "$(wait_for 4246)" \
         -c "INSERT INTO mentor.job_applications (job_post_id, candidate_email) VALUES ($job, '$email') RETURNING 'applied'" \
         > "$w/apply.$i" 2>&1 &
done
wait
n=$(q "SELECT count(*) FROM mentor.job_applications")
if [ "$n" = 1 ]; then echo "ok 1 - 20 racing applications with one email (in two cases): one application"
else echo "not ok 1 - 20 racing applications with one email: one application (got $n)"; fi
dup=$(cat "$w"/apply.* | grep -c "23505$" || true)
if [ "$dup" = 19 ]; then echo "ok 2 - the other 19 were refused with 23505"
else echo "not ok 2 - the other 19 were refused with 23505 (got $dup)"; cat "$w"/apply.* | sort | uniq -c | sed 's/^/# /'; fi

app=$(q "SELECT id FROM mentor.job_applications")
q "INSERT INTO mentor.resume_analyses (application_id) VALUES ($app)" >/dev/null
barrier 4247
for i in $(seq 1 10); do
    psql -X -q -t -A -d $db -c '\set VERBOSITY sqlstate' -c "$(wait_for 4247)" \
         -c "SELECT verdict || ' ' || score FROM mentor.record_screening($app, $((i * 10)))" > "$w/screen.$i" 2>&1 &
done
wait
results=$(q "SELECT count(*) || ' ' || max(verdict::text) || ' ' || max(score) FROM mentor.screening_results")
status=$(q "SELECT status FROM mentor.job_applications")
recorded=$(q "SELECT verdict || ' ' || score FROM mentor.screening_results")
if [ "$(echo "$results" | cut -d' ' -f1)" = 1 ] && [ "$status" = "$(echo "$recorded" | cut -d' ' -f1)" ]; then
    echo "ok 3 - 10 racing screenings of one application: one verdict ($recorded), the application routed by it"
else echo "not ok 3 - 10 racing screenings: one verdict (got $results, status $status)"; fi
same=$(cat "$w"/screen.* | sort -u)
if [ "$same" = "$recorded" ]; then echo "ok 4 - every session was given that same verdict"
else echo "not ok 4 - every session was given the recorded verdict (got: $(echo $same))"; fi
