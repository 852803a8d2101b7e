#!/usr/bin/env bash
# Benchmark of notifications, two measurements, each against a baseline in
# the same run, ROUNDS interleaved rounds, medians of the rounds' ratios:
#  1. book_session with the notification triggers on (a booking records
#     session.booked to the mentor and session.confirmed to the mentee: 4 outbox rows over email and
#     in-app) against the same bookings with those two triggers disabled;
#     8 clients, BOOKINGS bookings a round.  Target >= 0.85.
#  2. delivery: 8 workers each claiming 10 notifications and marking each one
#     sent (claim_notifications + mark_sent, one transaction a batch) against
#     a bare SKIP LOCKED loop on a plain table with the same columns and
#     indexes (claim 10 by UPDATE ... FOR UPDATE SKIP LOCKED, then mark them
#     sent in one UPDATE).  Target >= 0.5.
# Runs inside pg_virtualenv (scripts/bench.sh).
set -euo pipefail
ROUNDS="${ROUNDS:-3}"; BOOKINGS="${BOOKINGS:-8000}"; BATCHES="${BATCHES:-4000}"; CLIENTS="${CLIENTS:-8}"; PEOPLE="${PEOPLE:-2000}"
db=mentor_bench_notify
dropdb --if-exists $db >/dev/null 2>&1; createdb $db
q() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d $db "$@"; }
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT

q >/dev/null <<SQL
SET client_min_messages = warning;
CREATE EXTENSION mentor CASCADE;
INSERT INTO mentor.users (email, username, full_name)
SELECT format('%s%s@example.com', r, g), format('%s%s', r, g), 'Bench' FROM generate_series(1, $PEOPLE) g, unnest(ARRAY['mr', 'me']) r;
INSERT INTO mentor.mentor_profiles (user_id, price_tokens, max_mentees) SELECT id, 50, 1000 FROM mentor.users WHERE username LIKE 'mr%';
CREATE TABLE bench_people AS
SELECT g AS n, (SELECT id FROM mentor.users WHERE username = 'mr' || g) AS mentor,
       (SELECT id FROM mentor.users WHERE username = 'me' || g) AS mentee FROM generate_series(1, $PEOPLE) g;
SELECT count(*) FROM mentor.transfer_batch(ARRAY(SELECT gen_random_uuid() FROM bench_people),
       ARRAY[mentor.system_account('external')], ARRAY(SELECT mentor.wallet(mentee) FROM bench_people ORDER BY n),
       ARRAY[100000000::bigint], ARRAY['purchase']);
CREATE TABLE bench_slots (k int PRIMARY KEY, session_id bigint, mentee bigint, hold uuid);
CREATE SEQUENCE bench_k;
-- The baseline queue: the outbox's columns and indexes, no triggers, no lifecycle, no functions.
CREATE TABLE bare_queue (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, user_id bigint NOT NULL, type_code text NOT NULL,
    channel_code text NOT NULL, address text, payload jsonb NOT NULL DEFAULT '{}', dedupe_key text,
    status text NOT NULL DEFAULT 'queued', attempts integer NOT NULL DEFAULT 0, available_at timestamptz NOT NULL DEFAULT now(),
    lease_owner text, lease_until timestamptz, last_error text, provider_ref text, sent_at timestamptz, read_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (user_id, type_code, channel_code, dedupe_key));
CREATE INDEX ON bare_queue (channel_code, available_at, id) WHERE status = 'queued';
CREATE INDEX ON bare_queue (lease_until) WHERE status = 'sending';
SQL

run() {   # run SCRIPT-TEXT TRANSACTIONS-PER-CLIENT: prints transactions per second
    echo "$1" > "$w/script.sql"
    local out
    out=$(pgbench -n -M prepared -c "$CLIENTS" -j 2 -t "$2" -f "$w/script.sql" $db 2>&1)
    if ! grep -q "number of failed transactions: 0" <<<"$out"; then echo "$out" | tail -5 >&2; exit 1; fi
    sed -nE 's/^tps = ([0-9.]+).*/\1/p' <<<"$out" | cut -d. -f1
}
# Open slots one hour apart, each mentor's in turn, for BOOKINGS bookings.
prepare_slots() {
    q >/dev/null <<SQL
TRUNCATE bench_slots; ALTER SEQUENCE bench_k RESTART;
SET session_replication_role = replica;
WITH s AS (INSERT INTO mentor.sessions (mentor_id, during, price_tokens)
           SELECT p.mentor, tstzrange(t, t + interval '30 minutes'), 50
             FROM generate_series(1, $BOOKINGS) k JOIN bench_people p ON p.n = 1 + k % $PEOPLE,
                  LATERAL (SELECT date_trunc('hour', now()) + interval '1 day'
                                  + ((SELECT coalesce(max(id), 0) FROM mentor.sessions) + k) * interval '1 hour') x(t)
           RETURNING id, mentor_id, lower(during) AS t)
INSERT INTO bench_slots SELECT row_number() OVER (ORDER BY s.t), s.id,
       (SELECT p.mentee FROM bench_people p WHERE p.mentor = s.mentor_id), gen_random_uuid() FROM s;
SQL
    q -c "VACUUM ANALYZE" >/dev/null
}
book() {   # book on|off: bookings per second
    local per=$((BOOKINGS / CLIENTS)) tps
    prepare_slots
    if [ "$1" = off ]; then q -c "ALTER TABLE mentor.sessions DISABLE TRIGGER sessions_notify_insert, DISABLE TRIGGER sessions_notify_update" >/dev/null; fi
    tps=$(run "SELECT mentor.book_session(session_id, mentee, hold) FROM bench_slots WHERE k = (SELECT nextval('bench_k'));" "$per")
    q -c "ALTER TABLE mentor.sessions ENABLE TRIGGER sessions_notify_insert, ENABLE TRIGGER sessions_notify_update" >/dev/null
    local booked
    booked=$(q -c "SELECT count(*) FROM mentor.sessions s JOIN bench_slots b ON b.session_id = s.id WHERE s.status = 'confirmed'")
    [ "$booked" = $((per * CLIENTS)) ] || { echo "only $booked bookings" >&2; exit 1; }
    if [ "$1" = on ]; then
        local told
        told=$(q -c "SELECT count(*) FROM mentor.notifications n JOIN bench_slots b ON (n.payload ->> 'session_id')::bigint = b.session_id")
        [ "$told" = $((per * CLIENTS * 4)) ] || { echo "bookings told $told, not $((per * CLIENTS * 4))" >&2; exit 1; }
    fi
    echo "$tps"
}
# A fresh outbox of CLIENTS x BATCHES x 10 email rows (fixtures), in both queues.
prepare_queue() {
    local n=$((CLIENTS * BATCHES * 10))
    q >/dev/null <<SQL
SET session_replication_role = replica;
DELETE FROM mentor.notifications;
TRUNCATE bare_queue;
INSERT INTO mentor.notifications (user_id, type_code, channel_code, address, payload)
SELECT (SELECT min(id) FROM mentor.users) + g % $PEOPLE, 'session.booked', 'email', 'x@example.com', jsonb_build_object('n', g)
  FROM generate_series(1, $n) g;
INSERT INTO bare_queue (user_id, type_code, channel_code, address, payload)
SELECT user_id, type_code, channel_code, address, payload FROM mentor.notifications;
SQL
    q -c "VACUUM ANALYZE mentor.notifications" -c "VACUUM ANALYZE bare_queue" >/dev/null
}
deliver_ours() {
    prepare_queue
    local tps
    tps=$(run "SELECT count(mentor.mark_sent(id, 'w' || :client_id, 'ref')) FROM mentor.claim_notifications('email', 'w' || :client_id, 10);" "$BATCHES")
    local sent
    sent=$(q -c "SELECT count(*) FROM mentor.notifications WHERE status = 'sent'")
    [ "$sent" = $((CLIENTS * BATCHES * 10)) ] || { echo "ours sent only $sent" >&2; exit 1; }
    echo "$tps"
}
deliver_bare() {
    prepare_queue
    local tps
    tps=$(run "BEGIN;
UPDATE bare_queue q SET status = 'sending', lease_owner = 'w' || :client_id, lease_until = now() + interval '1 minute', attempts = q.attempts + 1
 WHERE q.id IN (SELECT id FROM bare_queue WHERE status = 'queued' AND channel_code = 'email' AND available_at <= now()
                ORDER BY available_at, id LIMIT 10 FOR UPDATE SKIP LOCKED);
UPDATE bare_queue q SET status = 'sent', sent_at = now(), provider_ref = 'ref', lease_owner = NULL, lease_until = NULL
 WHERE q.status = 'sending' AND q.lease_owner = 'w' || :client_id;
COMMIT;" "$BATCHES")
    local sent
    sent=$(q -c "SELECT count(*) FROM bare_queue WHERE status = 'sent'")
    [ "$sent" = $((CLIENTS * BATCHES * 10)) ] || { echo "bare sent only $sent" >&2; exit 1; }
    echo "$tps"
}
declare -a on=() off=() ours=() bare=()
for round in $(seq 1 "$ROUNDS"); do
    if [ $((round % 2)) = 1 ]; then on+=("$(book on)"); off+=("$(book off)"); ours+=("$(deliver_ours)"); bare+=("$(deliver_bare)")
    else off+=("$(book off)"); on+=("$(book on)"); bare+=("$(deliver_bare)"); ours+=("$(deliver_ours)"); fi
    echo "# round $round: booking on ${on[-1]}/s, off ${off[-1]}/s; delivery ours ${ours[-1]} batches/s, bare ${bare[-1]}" >&2
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ratios() { local -n x=$1 y=$2; for i in "${!x[@]}"; do awk -v a="${x[$i]}" -v b="${y[$i]}" 'BEGIN {printf "%.2f\n", a / b}'; done; }
echo "notify benchmark: $ROUNDS rounds, $CLIENTS clients; bookings/s on ${on[*]}, off ${off[*]}; delivery batches of 10/s ours ${ours[*]}, bare ${bare[*]}"
echo "ratios per round: booking $(ratios on off | tr '\n' ' '); delivery $(ratios ours bare | tr '\n' ' ')"
printf '%-66s %10s %10s %8s %s\n' measure ours baseline ratio target
printf '%-66s %10s %10s %8s %s\n' "book_session/s, notification triggers on vs off" "$(median "${on[@]}")" "$(median "${off[@]}")" "$(median $(ratios on off))" ">= 0.85"
printf '%-66s %10s %10s %8s %s\n' "claim 10 + mark_sent each, batches/s vs a bare SKIP LOCKED loop" "$(median "${ours[@]}")" "$(median "${bare[@]}")" "$(median $(ratios ours bare))" ">= 0.5"
