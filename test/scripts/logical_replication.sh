#!/usr/bin/env bash
# Logical replication.  Decoding of the ledger (what a subscriber or a CDC
# pipeline receives): an idempotent repeat of a transfer, alone or in a
# transaction that also makes a new one, decodes to nothing, so a subscriber
# never gets a second insert of a key it has (which stops its subscription).
# A subscriber's caches: a lifecycle changed on the publisher reaches a
# long-lived session on the subscriber.  The throwaway cluster is restarted
# with wal_level = logical for this test and restored afterwards.  Runs
# inside pg_virtualenv; TAP.
set -uo pipefail
db=mentor_decoding
pub=mentor_pub
sub=mentor_sub
q() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d $db -c "$1"; }
restart() {
    pg_ctlcluster "$PGVERSION" regress restart >/dev/null 2>&1
    for _ in $(seq 1 60); do pg_isready -q && return 0; sleep 0.5; done
    return 1
}
was=$(psql -X -q -t -A -d postgres -c "SHOW wal_level")
if [ "$was" != logical ]; then
    psql -X -q -d postgres -c "ALTER SYSTEM SET wal_level = logical" >/dev/null
    restart
fi
cleanup() {
    [ -n "${holder:-}" ] && kill "$holder" 2>/dev/null
    psql -X -q -d $sub -c "ALTER SUBSCRIPTION mentor_sub DISABLE" >/dev/null 2>&1
    psql -X -q -d $sub -c "ALTER SUBSCRIPTION mentor_sub SET (slot_name = NONE)" >/dev/null 2>&1
    psql -X -q -d $sub -c "DROP SUBSCRIPTION mentor_sub" >/dev/null 2>&1
    psql -X -q -d postgres -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name IN ('mentor_decoding', 'mentor_sub')" >/dev/null 2>&1
    dropdb --if-exists $db >/dev/null 2>&1; dropdb --if-exists $sub >/dev/null 2>&1; dropdb --if-exists $pub >/dev/null 2>&1
    if [ "$was" != logical ]; then
        psql -X -q -d postgres -c "ALTER SYSTEM RESET wal_level" >/dev/null
        restart
    fi
}
trap cleanup EXIT
dropdb --if-exists $db >/dev/null 2>&1; createdb $db
echo "1..9"
level=$(q "SHOW wal_level")
if [ "$level" = logical ]; then echo "ok 1 - the cluster runs with wal_level = logical"
else echo "not ok 1 - the cluster runs with wal_level = logical (got $level)"; exit 1; fi

psql -X -q -v ON_ERROR_STOP=1 -d $db >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION mentor CASCADE;
INSERT INTO mentor.users (email, username, full_name, role) VALUES
    ('dec_mentor@example.com', 'dec_mentor', 'Dec Mentor', 'mentor'), ('dec_mentee@example.com', 'dec_mentee', 'Dec Mentee', 'user');
INSERT INTO mentor.mentor_profiles (user_id, price_tokens) SELECT id, 10 FROM mentor.users WHERE username = 'dec_mentor';
SELECT mentor.transfer('00000000-0000-4000-8000-00000000d001', mentor.system_account('external'),
                       mentor.wallet((SELECT id FROM mentor.users WHERE username = 'dec_mentee')), 100, 'purchase');
SELECT mentor.publish_slot((SELECT id FROM mentor.users WHERE username = 'dec_mentor'),
                           tstzrange(date_trunc('hour', now()) + interval '2 days', date_trunc('hour', now()) + interval '2 days 1 hour'));
SELECT pg_create_logical_replication_slot('mentor_decoding', 'test_decoding');
SQL

before=$(q "SELECT count(*) FROM mentor.ledger_transfers")
u=$(q "SELECT id FROM mentor.users WHERE username = 'dec_mentee'")
slot=$(q "SELECT id FROM mentor.sessions LIMIT 1")
t1="'00000000-0000-4000-8000-00000000d001'"
# The workload: repeats of a committed transfer, a transaction with a new
# transfer and a repeat, a spend and a booking each retried with their ids.
q "SELECT mentor.transfer($t1, mentor.system_account('external'), mentor.wallet($u), 100, 'purchase')" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d $db >/dev/null <<SQL
BEGIN;
SELECT mentor.transfer('00000000-0000-4000-8000-00000000d002', mentor.wallet($u), mentor.system_account('revenue'), 3, 'spend');
SELECT mentor.transfer($t1, mentor.system_account('external'), mentor.wallet($u), 100, 'purchase');
SELECT mentor.transfer('00000000-0000-4000-8000-00000000d002', mentor.wallet($u), mentor.system_account('revenue'), 3, 'spend');
COMMIT;
SELECT count(*) FROM mentor.spend_tokens($u, 2, mentor.system_account('revenue'), '00000000-0000-4000-8000-00000000d003');
SELECT count(*) FROM mentor.spend_tokens($u, 2, mentor.system_account('revenue'), '00000000-0000-4000-8000-00000000d003');
SELECT mentor.book_session($slot, $u, '00000000-0000-4000-8000-00000000d004');
SELECT mentor.book_session($slot, $u, '00000000-0000-4000-8000-00000000d004');
SQL
changes=$(q "SELECT data FROM pg_logical_slot_get_changes('mentor_decoding', NULL, NULL, 'skip-empty-xacts', '1')")
ins=$(grep -c "table mentor.ledger_transfers: INSERT" <<<"$changes")
dels=$(grep -c "table mentor.ledger_transfers: DELETE" <<<"$changes")
rows=$(q "SELECT count(*) FROM mentor.ledger_transfers")
if [ "$dels" -eq 0 ]; then echo "ok 2 - no transfer is decoded as deleted (the repeats took their rows back speculatively)"
else echo "not ok 2 - no transfer is decoded as deleted ($dels DELETEs)"; fi
if [ "$ins" -eq $((rows - before)) ]; then echo "ok 3 - each of the $ins new transfers is decoded as one INSERT, the repeats as nothing"
else echo "not ok 3 - each new transfer is decoded as one INSERT ($ins INSERTs for $((rows - before)) new rows)"; fi
if ! grep -q "00000000-0000-4000-8000-00000000d001" <<<"$changes"; then
    echo "ok 4 - the repeated purchase of before the slot does not appear at all"
else echo "not ok 4 - the repeated purchase of before the slot does not appear"; fi
n2=$(grep -c "ledger_transfers: INSERT: id\[uuid\]:'00000000-0000-4000-8000-00000000d002'" <<<"$changes")
if [ "$n2" -eq 1 ]; then echo "ok 5 - the transfer made and repeated in one transaction is decoded once"
else echo "not ok 5 - the transfer made and repeated in one transaction is decoded once (got $n2)"; fi
# Control: a row inserted and deleted in one transaction is decoded as both,
# which is what an idempotent repeat looked like to a subscriber before.
q "BEGIN; INSERT INTO mentor.tasks (name) VALUES ('decoding control'); DELETE FROM mentor.tasks WHERE name = 'decoding control'; COMMIT" >/dev/null
control=$(q "SELECT data FROM pg_logical_slot_get_changes('mentor_decoding', NULL, NULL, 'skip-empty-xacts', '1')")
if grep -q "table mentor.tasks: DELETE" <<<"$control"; then echo "ok 6 - the control: a plain insert and delete in one transaction is decoded as a DELETE"
else echo "not ok 6 - the control: a plain insert and delete is decoded as a DELETE"; fi

# A subscriber of the lifecycle definitions, in a second database of the same
# cluster (its slot made beforehand, as a subscription to its own cluster needs).
for d in $pub $sub; do
    dropdb --if-exists $d >/dev/null 2>&1; createdb $d
    psql -X -q -d $d -c "SET client_min_messages = warning; CREATE EXTENSION mentor CASCADE" >/dev/null
done
psql -X -q -v ON_ERROR_STOP=1 -d $pub >/dev/null <<'SQL'
CREATE PUBLICATION mentor_pub FOR TABLE mentor.lifecycle_state_defs, mentor.lifecycle_transition_defs;
SELECT pg_create_logical_replication_slot('mentor_sub', 'pgoutput');
SQL
port=$(psql -X -q -t -A -d postgres -c "SHOW port")
host=$(psql -X -q -t -A -d postgres -c "SHOW unix_socket_directories" | cut -d, -f1)
psql -X -q -v ON_ERROR_STOP=1 -d $sub -c "CREATE SUBSCRIPTION mentor_sub CONNECTION 'host=$host port=$port dbname=$pub user=$(whoami)' PUBLICATION mentor_pub WITH (create_slot = false, slot_name = 'mentor_sub', copy_data = false)" >/dev/null 2>&1 \
    || psql -X -q -v ON_ERROR_STOP=1 -d $sub -c "CREATE SUBSCRIPTION mentor_sub CONNECTION 'host=$host port=$port dbname=$pub user=${PGUSER:-postgres} password=${PGPASSWORD:-}' PUBLICATION mentor_pub WITH (create_slot = false, slot_name = 'mentor_sub', copy_data = false)" >/dev/null
arrived() {   # arrived SQL: waits until the subscriber's answer is t
    for _ in $(seq 1 100); do
        [ "$(psql -X -q -t -A -d $sub -c "$1")" = t ] && return 0; sleep 0.1
    done
    return 1
}
psql -X -q -d $pub -c "SELECT mentor.define_lifecycle('replicated', ARRAY[['[*]', 'a'], ['a', 'b'], ['b', 'c'], ['c', '[*]']])" >/dev/null
if arrived "SELECT EXISTS (SELECT 1 FROM mentor.lifecycle_transitions WHERE name = 'replicated' AND from_state = 'b' AND to_state = 'c')"; then
    echo "ok 7 - a lifecycle defined on the publisher arrives at the subscriber"
else echo "not ok 7 - a lifecycle defined on the publisher arrives at the subscriber"; fi

# A long-lived session on the subscriber uses it (so caches it), then tries a
# move the publisher allows only later.
w=$(mktemp -d)
mkfifo "$w/in"
psql -X -q -t -A -d $sub < "$w/in" > "$w/out" 2>&1 &
holder=$!
exec 3>"$w/in"
say() { echo "$1" >&3; }
said() {   # said TEXT: waits until the session has printed TEXT
    for _ in $(seq 1 100); do grep -q "$1" "$w/out" && return 0; sleep 0.1; done
    return 1
}
say "CREATE TABLE replicated_things (id int PRIMARY KEY, status text);"
say "SELECT mentor.attach_lifecycle('replicated_things', 'status', 'replicated');"
say "INSERT INTO replicated_things VALUES (1, 'a');"
say "\\set VERBOSITY verbose"
say "UPDATE replicated_things SET status = 'c' WHERE id = 1;"
say "SELECT 'first try done';"
said "first try done"
if grep -q "MN001" "$w/out"; then echo "ok 8 - the subscriber's session refuses a -> c while the lifecycle forbids it (MN001)"
else echo "not ok 8 - the subscriber's session refuses a -> c (MN001)"; sed 's/^/# /' "$w/out"; fi
psql -X -q -d $pub -c "SELECT mentor.define_lifecycle('replicated', ARRAY[['[*]', 'a'], ['a', 'b'], ['b', 'c'], ['a', 'c'], ['c', '[*]']])" >/dev/null
arrived "SELECT EXISTS (SELECT 1 FROM mentor.lifecycle_transitions WHERE name = 'replicated' AND from_state = 'a' AND to_state = 'c')" \
    || echo "# the new transition did not arrive in 10 s"
say "UPDATE replicated_things SET status = 'c' WHERE id = 1 RETURNING 'moved to ' || status;"
say "SELECT 'second try done';"
said "second try done"
if grep -q "moved to c" "$w/out"; then
    echo "ok 9 - once the new transition is applied, the same session moves a -> c: the subscriber dropped its cached lifecycle"
else echo "not ok 9 - once the new transition is applied, the same session moves a -> c"; sed 's/^/# /' "$w/out"; fi
exec 3>&-
wait "$holder" 2>/dev/null; holder=""
