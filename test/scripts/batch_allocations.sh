#!/usr/bin/env bash
# Batch seats under concurrency: 50 paid applications to a batch of 30 seats
# are allocated by 50 sessions at the same moment (released together by an
# advisory-lock barrier): exactly 30 get a seat, the other 20 get MN004 and
# stay paid, and seats_taken is 30.  Runs inside pg_virtualenv; TAP.
set -uo pipefail
db=mentor_batch_allocations
dropdb --if-exists $db >/dev/null 2>&1; createdb $db
q() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d $db -c "$1"; }
w=$(mktemp -d); trap 'rm -rf "$w"; dropdb --if-exists $db >/dev/null 2>&1' EXIT
q "SET client_min_messages = warning; CREATE EXTENSION mentor CASCADE" >/dev/null
# 50 applicants and an admin; each application goes draft -> paid through the functions.
q "INSERT INTO mentor.users (email, username, full_name, role)
   SELECT format('ba%s@example.com', g), format('ba%s', g), 'Applicant', 'user'::mentor.platform_role FROM generate_series(1, 50) g
   UNION ALL SELECT 'ba_admin@example.com', 'ba_admin', 'Admin', 'admin';
   INSERT INTO mentor.batches (code, name, capacity, enrollment_fee) VALUES ('RACE-30', 'Thirty seats', 30, 100000);" >/dev/null
q "BEGIN; DO \$\$
   DECLARE u record; a bigint; admin bigint := (SELECT id FROM mentor.users WHERE username = 'ba_admin');
   BEGIN
     FOR u IN SELECT id FROM mentor.users WHERE username LIKE 'ba%' AND username <> 'ba_admin' ORDER BY id LOOP
       PERFORM mentor.set_actor(u.id);
       INSERT INTO mentor.program_applications (user_id, batch_id)
       SELECT u.id, b.id FROM mentor.batches b WHERE b.code = 'RACE-30' RETURNING id INTO a;
       PERFORM mentor.submit_application(a);
       PERFORM mentor.set_actor(admin);
       PERFORM mentor.review_application(a, true);
       PERFORM mentor.pay_application_fee(a, 'race-' || a, gen_random_uuid());
       PERFORM mentor.confirm_application_payment(a);
     END LOOP;
   END \$\$; COMMIT" >/dev/null

echo "1..4"
paid=$(q "SELECT count(*) FROM mentor.program_applications WHERE status = 'paid'")
if [ "$paid" = 50 ]; then echo "ok 1 - 50 applications paid, fees posted"
else echo "not ok 1 - 50 applications paid (got $paid)"; fi
psql -X -q -d $db -c "SELECT pg_advisory_lock(4244)" -c "SELECT pg_sleep(2)" >/dev/null 2>&1 &
sleep 0.5
i=0
for app in $(q "SELECT id FROM mentor.program_applications ORDER BY id"); do
    i=$((i + 1))
    psql -X -q -t -A -d $db -c '\set VERBOSITY sqlstate' \
         -c 'DO $$BEGIN PERFORM pg_advisory_lock_shared(4244); PERFORM pg_advisory_unlock_shared(4244); END$$' \
         -c "BEGIN" -c "SELECT mentor.set_actor(id) FROM mentor.users WHERE username = 'ba_admin'" \
         -c "SELECT status FROM mentor.allocate_application($app)" -c "COMMIT" > "$w/out.$i" 2>&1 &
done
wait
counts=$(q "SELECT b.seats_taken || '/' || (SELECT count(*) FROM mentor.program_applications p WHERE p.batch_id = b.id AND p.status = 'batch_allocated') FROM mentor.batches b WHERE code = 'RACE-30'")
if [ "$counts" = "30/30" ]; then echo "ok 2 - 50 racing allocations into 30 seats: exactly 30 allocated, seats_taken 30"
else echo "not ok 2 - 50 racing allocations into 30 seats: 30/30 (got $counts)"; fi
full=$(cat "$w"/out.* | grep -c "MN004" || true)
if [ "$full" = 20 ]; then echo "ok 3 - the other 20 were refused with MN004"
else echo "not ok 3 - the other 20 were refused with MN004 (got $full)"; cat "$w"/out.* | sort | uniq -c | sed 's/^/# /'; fi
left=$(q "SELECT count(*) FROM mentor.program_applications WHERE status = 'paid'")
if [ "$left" = 20 ]; then echo "ok 4 - the refused 20 are still paid, waiting for another batch"
else echo "not ok 4 - the refused 20 are still paid (got $left)"; fi
