#!/usr/bin/env bash
# Hiring under concurrency: 20 sessions apply to one job with the same email
# (in different cases) at the same moment: one application, 19 refusals with
# 23505; then 10 sessions screen one parsed application at once with
# different scores: one verdict is recorded and every session is given that
# same one; 10 sessions submit one candidate quiz at once: graded once, the
# others MN006; 10 sessions collect one placement fee with one payment id:
# one ledger transfer.  Released together by an advisory-lock barrier;
# pg_virtualenv; TAP.
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

echo "1..8"
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

# Candidate quizzes: one graded submission.
q "INSERT INTO mentor.job_applications (job_post_id, candidate_email) VALUES ($job, 'quiz@example.com')" >/dev/null
qapp=$(q "SELECT id FROM mentor.job_applications WHERE candidate_email = 'quiz@example.com'")
q "INSERT INTO mentor.resume_analyses (application_id) VALUES ($qapp)" >/dev/null
qid=$(q "INSERT INTO mentor.questions (kind, prompt, correct) VALUES ('text', 'Race?', '[\"yes\"]') RETURNING id")
tpl=$(q "INSERT INTO mentor.quiz_templates (name) VALUES ('Race quiz') RETURNING id")
q "INSERT INTO mentor.quiz_template_questions (template_id, question_id) VALUES ($tpl, $qid)" >/dev/null
resp=$(q "SELECT id FROM mentor.invite_candidate_quiz($qapp, $tpl)")
q "SELECT mentor.start_candidate_quiz($resp)" >/dev/null
barrier 4248
for i in $(seq 1 10); do
    answer=$( [ $((i % 2)) = 0 ] && echo yes || echo no )
    psql -X -q -t -A -d $db -c '\set VERBOSITY sqlstate' -c "$(wait_for 4248)" \
         -c "SELECT 'graded ' || score FROM mentor.submit_candidate_quiz($resp, '{\"$qid\": \"$answer\"}')" > "$w/quiz.$i" 2>&1 &
done
wait
graded=$(cat "$w"/quiz.* | grep -c "^graded" || true)
refused=$(cat "$w"/quiz.* | grep -c "MN006$" || true)
if [ "$graded" = 1 ] && [ "$refused" = 9 ]; then echo "ok 5 - 10 racing submissions of one candidate quiz: graded once, 9 refused with MN006"
else echo "not ok 5 - 10 racing submissions: graded once (got $graded graded, $refused MN006)"; cat "$w"/quiz.* | sort | uniq -c | sed 's/^/# /'; fi
state=$(q "SELECT score || ' ' || a.status FROM mentor.candidate_quiz_responses r JOIN mentor.job_applications a ON a.id = r.application_id WHERE r.id = $resp")
won=$(cat "$w"/quiz.* | sed -n 's/^graded //p')
if [ "$state" = "$won quiz_completed" ]; then echo "ok 6 - the score stored is the winner's and the application is quiz_completed ($state)"
else echo "not ok 6 - the stored score is the winner's (stored $state, winner $won)"; fi

# Pay after placement: one collection for one payment id.
q "INSERT INTO mentor.users (email, username, full_name, role) VALUES ('race_st@example.com', 'race_st', 'Race Student', 'user'), ('race_ad@example.com', 'race_ad', 'Race Admin', 'admin')" >/dev/null
st=$(q "SELECT id FROM mentor.users WHERE username = 'race_st'"); ad=$(q "SELECT id FROM mentor.users WHERE username = 'race_ad'")
batch=$(q "INSERT INTO mentor.batches (code, name, enrollment_fee) VALUES ('RACE-1', 'Race batch', 100000) RETURNING id")
papp=$(q "INSERT INTO mentor.program_applications (user_id, batch_id) VALUES ($st, $batch) RETURNING id")
ptpl=$(q "INSERT INTO mentor.pap_agreement_templates (name, body, placement_fee) VALUES ('Race PAP', 'x', 300000) RETURNING id")
as() { echo "SELECT mentor.set_actor($1)"; }
psql -X -q -v ON_ERROR_STOP=1 -d $db >/dev/null <<SQL
BEGIN; $(as $st); SELECT mentor.start_pap($papp, $ptpl); COMMIT;
BEGIN; $(as $st); SELECT mentor.pap_step(w.id, 'submit_details', '{}', 'https://esign.example/race.pdf') FROM mentor.pap_workflows w WHERE w.application_id = $papp; COMMIT;
BEGIN; $(as $ad); SELECT mentor.pap_step(w.id, 'approve_mou') FROM mentor.pap_workflows w WHERE w.application_id = $papp; COMMIT;
BEGIN; $(as $st); SELECT mentor.pap_step(w.id, 'choose_payment', payment_option => 'pap') FROM mentor.pap_workflows w WHERE w.application_id = $papp; COMMIT;
BEGIN; $(as $ad); SELECT mentor.pap_step(w.id, 'approve_pap') FROM mentor.pap_workflows w WHERE w.application_id = $papp; COMMIT;
BEGIN; $(as $st); SELECT mentor.pap_step(w.id, 'report_placement', '{"employer": "Race Co"}') FROM mentor.pap_workflows w WHERE w.application_id = $papp; COMMIT;
BEGIN; $(as $ad); SELECT mentor.pap_step(w.id, 'approve_placement') FROM mentor.pap_workflows w WHERE w.application_id = $papp; COMMIT;
SQL
wf=$(q "SELECT id FROM mentor.pap_workflows WHERE application_id = $papp")
barrier 4249
for i in $(seq 1 10); do
    psql -X -q -t -A -d $db -c '\set VERBOSITY sqlstate' -c "$(wait_for 4249)" -c "BEGIN" -c "$(as $ad)" \
         -c "SELECT 'collected ' || collected_amount FROM mentor.pap_step($wf, 'collect_payment', payment_ref => 'race-ref', payment_id => 'd0000000-0000-4000-8000-000000000001')" \
         -c "COMMIT" > "$w/collect.$i" 2>&1 &
done
wait
transfers=$(q "SELECT count(*) || ' ' || sum(amount) FROM mentor.ledger_transfers WHERE reference = 'race-ref'")
if [ "$transfers" = "1 300000" ]; then echo "ok 7 - 10 racing collections with one payment id: one ledger transfer of the placement fee"
else echo "not ok 7 - 10 racing collections: one transfer (got $transfers)"; fi
answers=$(cat "$w"/collect.* | grep -c "^collected 300000$" || true)
if [ "$answers" = 10 ]; then echo "ok 8 - every session was given the one collection"
else echo "not ok 8 - every session was given the collection (got $answers)"; cat "$w"/collect.* | sort | uniq -c | sed 's/^/# /'; fi
