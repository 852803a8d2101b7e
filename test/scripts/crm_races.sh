#!/usr/bin/env bash
# CRM and workflows under concurrency: the same vendor lead posted by 20
# sessions at once with one idempotency key is stored and promoted once, and
# all 20 get the same answer; 20 vendor leads of one phone with different keys
# make one lead; 8 workers draining 10,000 due workflow node runs (5,000
# enrollments of a two-node workflow) finish each run exactly once and leave
# every enrollment completed; 8 workers claiming 1,000 due follow-ups complete
# each once.  Released together by an advisory-lock barrier; pg_virtualenv; TAP.
set -uo pipefail
db=mentor_crm_races
dropdb --if-exists $db >/dev/null 2>&1; createdb $db
q() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d $db -c "$1"; }
w=$(mktemp -d); trap 'rm -rf "$w"; dropdb --if-exists $db >/dev/null 2>&1' EXIT
q "SET client_min_messages = warning; CREATE EXTENSION mentor CASCADE" >/dev/null
key=$(q "SELECT api_key FROM mentor.create_api_key('Race vendor', 'racer')")

barrier() {   # barrier KEY: holds the lock for 2 s so that the racers start together
    psql -X -q -d $db -c "SELECT pg_advisory_lock($1)" -c "SELECT pg_sleep(2)" >/dev/null 2>&1 &
    sleep 0.5
}
wait_for() { echo "DO \$\$BEGIN PERFORM pg_advisory_lock_shared($1); PERFORM pg_advisory_unlock_shared($1); END\$\$"; }

echo "1..8"
barrier 5301
for i in $(seq 1 20); do
    psql -X -q -t -A -d $db -c '\set VERBOSITY sqlstate' -c "$(wait_for 5301)" \
         -c "SELECT vendor_lead_id || ' ' || lead_id || ' ' || outcome FROM mentor.ingest_vendor_lead('$key', '{\"phone\": \"98000 00001\", \"name\": \"Racer\"}', 'same-key')" \
         > "$w/same.$i" 2>&1 &
done
wait
counts=$(q "SELECT (SELECT count(*) FROM mentor.vendor_leads) || ' ' || (SELECT count(*) FROM mentor.raw_leads)")
if [ "$counts" = "1 1" ]; then echo "ok 1 - 20 racing posts of one vendor lead with one idempotency key: one vendor lead, one lead"
else echo "not ok 1 - 20 racing posts with one key: one vendor lead and one lead (got $counts)"; cat "$w"/same.* | sort | uniq -c | sed 's/^/# /'; fi
answers=$(cat "$w"/same.* | awk '{print $1, $2}' | sort -u | wc -l)
created=$(cat "$w"/same.* | grep -c " created$" || true)
dups=$(cat "$w"/same.* | grep -c " duplicate$" || true)
if [ "$answers" = 1 ] && [ "$created" = 1 ] && [ "$dups" = 19 ]; then echo "ok 2 - all 20 were given the same vendor lead and lead (1 created, 19 duplicate)"
else echo "not ok 2 - all 20 given the same answer (got $answers answers, $created created, $dups duplicate)"; cat "$w"/same.* | sort | uniq -c | sed 's/^/# /'; fi

barrier 5302
for i in $(seq 1 20); do
    psql -X -q -t -A -d $db -c '\set VERBOSITY sqlstate' -c "$(wait_for 5302)" \
         -c "SELECT outcome FROM mentor.ingest_vendor_lead('$key', '{\"phone\": \"+91 98000 00002\", \"src\": \"r$i\"}', 'key-$i')" \
         > "$w/phone.$i" 2>&1 &
done
wait
counts=$(q "SELECT (SELECT count(*) FROM mentor.vendor_leads WHERE idempotency_key LIKE 'key-%') || ' ' || (SELECT count(*) FROM mentor.raw_leads WHERE phone = '+919800000002')")
outcomes=$(cat "$w"/phone.* | sort | uniq -c | awk '{print $2 "=" $1}' | tr '\n' ' ')
if [ "$counts" = "20 1" ] && [ "$outcomes" = "created=1 merged=19 " ]; then
    echo "ok 3 - 20 racing vendor leads of one phone with different keys: 20 vendor leads, one lead ($outcomes)"
else echo "not ok 3 - 20 racing vendor leads of one phone: 20 vendor leads, one lead (got $counts; $outcomes)"; fi
linked=$(q "SELECT count(DISTINCT raw_lead_id) || ' ' || count(*) FILTER (WHERE raw_lead_id IS NULL) FROM mentor.vendor_leads WHERE idempotency_key LIKE 'key-%'")
if [ "$linked" = "1 0" ]; then echo "ok 4 - every one of them points at that lead"
else echo "not ok 4 - every vendor lead points at the one lead (got distinct/unlinked $linked)"; fi

# Workflow node runs: 5,000 enrollments of start -> call -> remind, 10,000 runs in all.
wf=$(q "INSERT INTO mentor.workflows (name, definition) VALUES ('Race flow', '{\"nodes\": [{\"id\": \"s\", \"type\": \"start\"}, {\"id\": \"call\", \"type\": \"task\", \"params\": {\"title\": \"Call\"}}, {\"id\": \"remind\", \"type\": \"notify\", \"params\": {\"notification_type\": \"x\"}}], \"edges\": [{\"from\": \"s\", \"to\": \"call\"}, {\"from\": \"call\", \"to\": \"remind\"}]}') RETURNING id")
q "SELECT count(mentor.enroll($wf, 'lead', g)) FROM generate_series(1, 5000) g" >/dev/null
barrier 5303
for k in $(seq 1 8); do
    (
        psql -X -q -t -A -d $db -c "$(wait_for 5303)" >/dev/null 2>&1
        total=0; idle=0
        while [ $idle -lt 3 ]; do
            n=$(psql -X -q -t -A -d $db -c "SELECT count(mentor.finish_node_run(r.id, 'worker-$k', 'ok')) FROM mentor.claim_node_runs('worker-$k', 25) r" 2>>"$w/err.$k")
            if [ "${n:-0}" = 0 ]; then idle=$((idle + 1)); sleep 0.1; else idle=0; total=$((total + n)); fi
        done
        echo "$total" > "$w/finished.$k"
    ) &
done
wait
reported=$(cat "$w"/finished.* | awk '{s += $1} END {print s}')
state=$(q "SELECT count(*) FILTER (WHERE status = 'done') || ' ' || count(*) FROM mentor.workflow_node_runs")
if [ "$reported" = 10000 ] && [ "$state" = "10000 10000" ]; then
    echo "ok 5 - 8 workers drained 10,000 node runs: each finished exactly once ($(cat "$w"/finished.* | tr '\n' ' '))"
else echo "not ok 5 - 8 workers finish each of 10,000 runs once (reported $reported, done/total $state)"; cat "$w"/err.* | sort | uniq -c | head -5 | sed 's/^/# /'; fi
enr=$(q "SELECT count(*) FILTER (WHERE status = 'completed' AND current_node = 'remind') || ' ' || count(*) FROM mentor.workflow_enrollments")
errors=$(cat "$w"/err.* 2>/dev/null | grep -c ERROR || true)
if [ "$enr" = "5000 5000" ] && [ "$errors" = 0 ]; then echo "ok 6 - every enrollment completed at its last node, no worker saw an error"
else echo "not ok 6 - every enrollment completed (got $enr, $errors errors)"; cat "$w"/err.* | sort | uniq -c | head -5 | sed 's/^/# /'; fi

# Follow-ups: 1,000 due, 8 claimers at once.
lead=$(q "SELECT id FROM mentor.raw_leads WHERE phone = '+919800000001'")
q "SELECT count(mentor.schedule_follow_up($lead, now() - interval '1 minute', 'race ' || g)) FROM generate_series(1, 1000) g" >/dev/null
barrier 5304
for k in $(seq 1 8); do
    (
        psql -X -q -t -A -d $db -c "$(wait_for 5304)" >/dev/null 2>&1
        total=0
        while true; do
            n=$(psql -X -q -t -A -d $db -c "SELECT count(mentor.complete_follow_up(f.id, 'phone-$k', 'done')) FROM mentor.claim_follow_ups('phone-$k', 20) f" 2>>"$w/ferr.$k")
            [ "${n:-0}" = 0 ] && break
            total=$((total + n))
        done
        echo "$total" > "$w/fdone.$k"
    ) &
done
wait
reported=$(cat "$w"/fdone.* | awk '{s += $1} END {print s}')
state=$(q "SELECT count(*) FILTER (WHERE status = 'done') || ' ' || count(*) FILTER (WHERE attempts <> 1) FROM mentor.lead_follow_ups")
if [ "$reported" = 1000 ] && [ "$state" = "1000 0" ]; then echo "ok 7 - 8 claimers completed 1,000 due follow-ups, each once and on its first claim"
else echo "not ok 7 - 1,000 follow-ups completed once each (reported $reported, done/reclaimed $state)"; fi
logged=$(q "SELECT count(*) FROM mentor.lead_activity WHERE kind = 'follow_up_done'")
if [ "$logged" = 1000 ]; then echo "ok 8 - the lead's timeline has each completion once"
else echo "not ok 8 - each completion on the timeline once (got $logged)"; fi
