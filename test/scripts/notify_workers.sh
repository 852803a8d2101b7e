#!/usr/bin/env bash
# The notification outbox under real workers: 8 psql sessions drain 10,000
# email notifications at once (claim a batch, "send" each by writing it to a
# delivery log in its own commit, mark_sent), while 2 more workers claim a
# batch each and are killed before sending: their rows come back when the
# lease runs out and the others deliver them.  Every notification ends sent
# exactly once, each delivery is logged once, and no worker ever reports a
# row it does not hold.  Runs inside pg_virtualenv; TAP.
set -uo pipefail
db=mentor_notify_workers
dropdb --if-exists $db >/dev/null 2>&1; createdb $db
q() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d $db -c "$1"; }
w=$(mktemp -d); trap 'rm -rf "$w"; dropdb --if-exists $db >/dev/null 2>&1' EXIT

q "SET client_min_messages = warning; CREATE EXTENSION mentor CASCADE" >/dev/null
# 1,000 users, 10 notifications each: 10,000 emails (and as many in-app rows, left alone).
q "INSERT INTO mentor.users (email, username, full_name)
   SELECT format('nw%s@example.com', g), format('nw%s', g), 'Notified' FROM generate_series(1, 1000) g;
   SELECT sum(mentor.notify(u.id, 'session.booked', jsonb_build_object('n', k), 'load-' || k))
     FROM mentor.users u, generate_series(1, 10) k WHERE u.username LIKE 'nw%';
   CREATE TABLE deliveries (notification_id bigint NOT NULL, worker text NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp());" >/dev/null
total=$(q "SELECT count(*) FROM mentor.notifications WHERE channel_code = 'email'")
echo "1..6"
if [ "$total" = 10000 ]; then echo "ok 1 - 10000 email notifications queued by notify()"
else echo "not ok 1 - 10000 email notifications queued (got $total)"; fi

# A worker: until nothing is left to send, claim up to 25, log each as delivered
# (its own commit, as a message handed to a provider would be), then mark it sent.
worker() {
    psql -X -q -d $db -v ON_ERROR_STOP=1 > "$w/$1.out" 2>&1 <<'SQL'
SET client_min_messages = warning;
DO $$
DECLARE
    me   text := current_setting('nw.worker');
    ids  bigint[];
    nid  bigint;
    idle int := 0;
BEGIN
    LOOP
        ids := ARRAY(SELECT id FROM mentor.claim_notifications('email', me, 25, interval '2 seconds'));
        COMMIT;
        IF cardinality(ids) = 0 THEN
            EXIT WHEN NOT EXISTS (SELECT 1 FROM mentor.notifications WHERE channel_code = 'email' AND status <> 'sent');
            idle := idle + 1;
            EXIT WHEN idle > 200;
            PERFORM pg_sleep(0.05);
            CONTINUE;
        END IF;
        FOREACH nid IN ARRAY ids LOOP
            INSERT INTO deliveries (notification_id, worker) VALUES (nid, me);
            COMMIT;
            PERFORM mentor.mark_sent(nid, me, me || ':' || nid);
            COMMIT;
        END LOOP;
    END LOOP;
END
$$;
SQL
}
# Two doomed workers take a batch each and hang before sending; they are killed.
for k in 1 2; do
    psql -X -q -d $db -c "SELECT count(*) FROM mentor.claim_notifications('email', 'doomed$k', 25, interval '2 seconds')" \
         -c "SELECT pg_sleep(600)" > "$w/doomed$k.out" 2>&1 &
done
sleep 0.5
doomed_rows=$(q "SELECT count(*) FROM mentor.notifications WHERE lease_owner LIKE 'doomed%'")
start=$(date +%s.%N)
for i in $(seq 1 8); do PGOPTIONS="-c nw.worker=w$i" worker "w$i" & done
sleep 0.3
killed=$(q "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '$db' AND query LIKE '%pg_sleep(600)%' AND pid <> pg_backend_pid()")
wait
secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')

if [ "$doomed_rows" = 50 ] && [ "$killed" = 2 ]; then
    echo "ok 2 - two workers holding 50 leased notifications were killed mid-lease"
else echo "not ok 2 - two workers holding 50 leased notifications were killed (held: $doomed_rows, killed: $killed)"; fi
sent=$(q "SELECT count(*) FROM mentor.notifications WHERE channel_code = 'email' AND status = 'sent'")
if [ "$sent" = 10000 ]; then echo "ok 3 - all 10000 were sent by the 8 live workers in $secs s"
else echo "not ok 3 - all 10000 were sent (sent: $sent; $(q "SELECT string_agg(status || '=' || n, ' ') FROM (SELECT status, count(*) n FROM mentor.notifications WHERE channel_code = 'email' GROUP BY 1) s"))"; fi
dupes=$(q "SELECT count(*) FROM (SELECT notification_id FROM deliveries GROUP BY 1 HAVING count(*) > 1) d")
logged=$(q "SELECT count(*) FROM deliveries")
if [ "$dupes" = 0 ] && [ "$logged" = 10000 ]; then echo "ok 4 - each was delivered exactly once (10000 deliveries, none twice)"
else echo "not ok 4 - each was delivered exactly once ($logged deliveries, $dupes twice)"; fi
mismatch=$(q "SELECT count(*) FROM mentor.notifications n JOIN deliveries d ON d.notification_id = n.id
              WHERE n.channel_code = 'email' AND (n.provider_ref <> d.worker || ':' || n.id OR n.sent_at < d.at)")
if [ "$mismatch" = 0 ]; then echo "ok 5 - every notification was marked sent by the worker that delivered it, after delivering it"
else echo "not ok 5 - marked sent by the worker that delivered it ($mismatch mismatches)"; fi
redone=$(q "SELECT count(*) FROM mentor.notifications WHERE channel_code = 'email' AND attempts = 2 AND last_error LIKE 'lease of doomed% expired'")
errors=$(cat "$w"/w*.out | grep -c "ERROR" || true)
spread=$(q "SELECT count(DISTINCT worker) FROM deliveries")
if [ "$redone" = 50 ] && [ "$errors" = 0 ] && [ "$spread" = 8 ]; then
    echo "ok 6 - the 50 rows of the killed workers came back after their lease and were sent on a second attempt; no worker raised an error; all 8 shared the work"
else echo "not ok 6 - the killed workers' rows were redelivered ($redone of 50; worker errors: $errors; workers with deliveries: $spread)"; sed 's/^/# /' "$w"/w1.out | head -5; fi
