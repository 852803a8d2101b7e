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
rpub=mentor_rpub
rsub=mentor_rsub
here="$(cd "$(dirname "$0")/../.." && pwd)"
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
    psql -X -q -d $rsub -c "ALTER SUBSCRIPTION mentor_rsub DISABLE" >/dev/null 2>&1
    psql -X -q -d $rsub -c "ALTER SUBSCRIPTION mentor_rsub SET (slot_name = NONE)" >/dev/null 2>&1
    psql -X -q -d $rsub -c "DROP SUBSCRIPTION mentor_rsub" >/dev/null 2>&1
    dropdb --if-exists $rsub >/dev/null 2>&1; dropdb --if-exists $rpub >/dev/null 2>&1
    psql -X -q -d postgres -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name IN ('mentor_decoding', 'mentor_sub', 'mentor_rsub') OR slot_name LIKE 'pg_%_sync_%'" >/dev/null 2>&1
    dropdb --if-exists $db >/dev/null 2>&1; dropdb --if-exists $sub >/dev/null 2>&1; dropdb --if-exists $pub >/dev/null 2>&1
    if [ "$was" != logical ]; then
        psql -X -q -d postgres -c "ALTER SYSTEM RESET wal_level" >/dev/null
        restart
    fi
}
trap cleanup EXIT
dropdb --if-exists $db >/dev/null 2>&1; createdb $db
echo "1..18"
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

# The whole schema, as the README's recipe has it: a publisher with the demo
# data, create_publications(); a fresh subscriber, prepare_subscriber(), a
# subscription with its initial copy; then a workload of every kind of write
# and retry, and a prune on both sides.
for d in $rpub $rsub; do
    dropdb --if-exists $d >/dev/null 2>&1; createdb $d
    psql -X -q -d $d -c "SET client_min_messages = warning; CREATE EXTENSION mentor CASCADE" >/dev/null
done
for f in "$here"/demo/seed/*.sql; do psql -X -q -d $rpub -v ON_ERROR_STOP=1 -c "SET search_path = public, mentor" -f "$f" >/dev/null 2>&1; done
psql -X -q -t -A -v ON_ERROR_STOP=1 -d $rpub -c "SELECT * FROM mentor.create_publications()" \
    -c "SELECT pg_create_logical_replication_slot('mentor_rsub', 'pgoutput')" >/dev/null
removed=$(psql -X -q -t -A -d $rsub -c "SELECT mentor.prepare_subscriber()")
for conn in "host=$host port=$port dbname=$rpub user=$(whoami)" \
            "host=$host port=$port dbname=$rpub user=${PGUSER:-postgres} password=${PGPASSWORD:-}"; do
    psql -X -q -v ON_ERROR_STOP=1 -d $rsub -c "CREATE SUBSCRIPTION mentor_rsub CONNECTION '$conn' PUBLICATION mentor, mentor_history WITH (create_slot = false, slot_name = 'mentor_rsub')" >/dev/null 2>&1 && break
done
ready=f
for _ in $(seq 1 300); do
    ready=$(psql -X -q -t -A -d $rsub -c "SELECT count(*) > 40 AND bool_and(srsubstate = 'r') FROM pg_subscription_rel")
    [ "$ready" = t ] && break; sleep 0.1
done
if [ "$ready" = t ] && [ "${removed:-0}" -gt 0 ]; then
    echo "ok 10 - a fresh subscriber, prepared ($removed install rows removed), copies every table of the publisher"
else echo "not ok 10 - a fresh prepared subscriber copies every table of the publisher (ready: $ready, removed: ${removed:-none})"; fi

psql -X -q -v ON_ERROR_STOP=1 -d $rpub >/dev/null 2>"$w/workload.err" <<'SQL'
SET search_path = public, mentor;
CREATE TEMP TABLE who AS SELECT (SELECT owner_id FROM ledger_accounts WHERE kind = 'wallet' ORDER BY posted DESC, owner_id LIMIT 1) AS rich,
                                (SELECT min(id) FROM users WHERE role = 'mentor') AS mentor;
-- transfers, each retried; a hold posted and one voided, each retried
SELECT transfer('00000000-0000-4000-8000-00000000e001', wallet(rich), system_account('revenue'), 2, 'spend') FROM who;
SELECT transfer('00000000-0000-4000-8000-00000000e001', wallet(rich), system_account('revenue'), 2, 'spend') FROM who;
SELECT transfer('00000000-0000-4000-8000-00000000e002', wallet(rich), system_account('revenue'), 3, 'spend', pending => true) FROM who;
SELECT post_pending('00000000-0000-4000-8000-00000000e002', '00000000-0000-4000-8000-00000000e003');
SELECT post_pending('00000000-0000-4000-8000-00000000e002', '00000000-0000-4000-8000-00000000e003');
SELECT transfer('00000000-0000-4000-8000-00000000e004', wallet(rich), system_account('revenue'), 4, 'spend', pending => true) FROM who;
SELECT void_pending('00000000-0000-4000-8000-00000000e004', '00000000-0000-4000-8000-00000000e005');
SELECT void_pending('00000000-0000-4000-8000-00000000e004', '00000000-0000-4000-8000-00000000e005');
SELECT count(*) FROM transfer_batch(ARRAY['00000000-0000-4000-8000-00000000e006', '00000000-0000-4000-8000-00000000e001']::uuid[],
                                    ARRAY[(SELECT wallet(rich) FROM who)], ARRAY[system_account('revenue')], ARRAY[2::bigint], ARRAY['spend']);
-- spends, purchases, earnings, promos, each retried
SELECT count(*) FROM who, spend_tokens(rich, 1, system_account('revenue'), '00000000-0000-4000-8000-00000000e007');
SELECT count(*) FROM who, spend_tokens(rich, 1, system_account('revenue'), '00000000-0000-4000-8000-00000000e007');
SELECT purchase_tokens(rich, 10, 'pay-repl-1', '00000000-0000-4000-8000-00000000e008') FROM who;
SELECT purchase_tokens(rich, 10, 'pay-repl-1', '00000000-0000-4000-8000-00000000e008') FROM who;
SELECT confirm_purchase('00000000-0000-4000-8000-00000000e008');
SELECT confirm_purchase('00000000-0000-4000-8000-00000000e008');
SELECT credit_earnings(mentor, 5, '00000000-0000-4000-8000-00000000e009') FROM who;
SELECT credit_earnings(mentor, 5, '00000000-0000-4000-8000-00000000e009') FROM who;
SELECT grant_promo(rich, 3, '2036-01-01 00:00+00', '00000000-0000-4000-8000-00000000e00a') FROM who;
SELECT grant_promo(rich, 3, '2036-01-01 00:00+00', '00000000-0000-4000-8000-00000000e00a') FROM who;
-- a booking retried, then completed twice
SELECT publish_slot(mentor, tstzrange(date_trunc('hour', now()) + interval '20 days', date_trunc('hour', now()) + interval '20 days 1 hour')) AS slot FROM who \gset
SELECT book_session(:slot, rich, '00000000-0000-4000-8000-00000000e00b') FROM who;
SELECT book_session(:slot, rich, '00000000-0000-4000-8000-00000000e00b') FROM who;
-- audited updates and a user signing up (signup writes profile, wallet, event)
UPDATE profiles SET headline = 'Replicated headline' WHERE user_id = (SELECT rich FROM who);
UPDATE mentor_profiles SET bio = 'replicated bio' WHERE user_id = (SELECT mentor FROM who);
INSERT INTO users (email, username, full_name) VALUES ('repl@example.com', 'repl_user', 'Repl User');
SELECT define_lifecycle('repl_demo', ARRAY[['[*]', 'x'], ['x', '[*]']]);
SQL
workload_ok=$([ -s "$w/workload.err" ] && echo f || echo t)
[ "$workload_ok" = t ] || echo "# workload: $(head -c 600 "$w/workload.err")"

# Compare every table, waiting for the subscriber to catch up.
tables=$(psql -X -q -t -A -d $rpub -c "SELECT string_agg(relname, ' ' ORDER BY relname) FROM pg_class WHERE relnamespace = 'mentor'::regnamespace AND relkind IN ('r', 'p') AND NOT relispartition")
sums() {
    local t
    for t in $tables; do
        echo "$t $(psql -X -q -t -A -d "$1" -c "SELECT count(*) || ' ' || md5(coalesce(string_agg(x::text, E'\n' ORDER BY x::text), '')) FROM mentor.$t x")"
    done
}
same=f
for _ in $(seq 1 60); do
    if [ "$(sums $rpub)" = "$(sums $rsub)" ]; then same=t; break; fi
    sleep 0.5
done
# Each side prunes its own history with the same cutoff, as the recipe says.
cutoff=$(psql -X -q -t -A -d $rpub -c "SELECT min(at) + (max(at) - min(at)) / 2 FROM mentor.history_log")
p1=$(psql -X -q -t -A -d $rpub -c "SELECT mentor.prune_history('$cutoff')" 2>&1)
p2=$(psql -X -q -t -A -d $rsub -c "SELECT mentor.prune_history('$cutoff')" 2>&1)
if [ "$same" = t ] && [ "$workload_ok" = t ]; then
    echo "ok 11 - after the workload, all $(wc -w <<<"$tables") tables hold the same rows on both sides (counts and checksums)"
else
    echo "not ok 11 - after the workload, every table holds the same rows on both sides"
    diff <(sums $rpub) <(sums $rsub) | sed 's/^/# /' | head -20
fi
if [ "$p1" = "$p2" ] && [ "$p1" -gt 0 ] 2>/dev/null && [ "$(sums $rpub | grep '^history_log ')" = "$(sums $rsub | grep '^history_log ')" ]; then
    echo "ok 12 - prune_history works on a publisher (its deletes are not published) and, run on both with one cutoff, leaves the same log ($p1 rows)"
else echo "not ok 12 - prune_history on both sides leaves the same log (publisher: $p1, subscriber: $p2)"; fi
stats=$(psql -X -q -t -A -d $rsub -c "SELECT apply_error_count || '/' || sync_error_count FROM pg_stat_subscription_stats WHERE subname = 'mentor_rsub'")
running=$(psql -X -q -t -A -d $rsub -c "SELECT count(*) FROM pg_stat_subscription WHERE subname = 'mentor_rsub' AND pid IS NOT NULL")
if [ "$stats" = "0/0" ] && [ "$running" -ge 1 ]; then echo "ok 13 - the subscription never stopped: no apply or sync error, its worker running"
else echo "not ok 13 - the subscription never stopped (errors apply/sync: $stats, workers: $running)"; fi
violations=$(psql -X -q -t -A -d $rsub -c "SELECT count(*) FROM mentor.ledger_check()")
if [ "$violations" = 0 ]; then echo "ok 14 - ledger_check() on the subscriber is empty"
else echo "not ok 14 - ledger_check() on the subscriber is empty ($violations violations)"; fi

# Opting in to replicated prunes: the key on both sides, the history
# publication with deletes; a prune on the publisher alone reaches the subscriber.
psql -X -q -t -A -v ON_ERROR_STOP=1 -d $rsub -c "SELECT mentor.history_replica_key()" >/dev/null
psql -X -q -t -A -v ON_ERROR_STOP=1 -d $rpub -c "SELECT * FROM mentor.create_publications('mentor', history_deletes => true)" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d $rpub -c "UPDATE mentor.profiles SET headline = 'keyed headline' WHERE user_id = (SELECT min(user_id) FROM mentor.profiles)" >/dev/null
before_sub=$(psql -X -q -t -A -d $rsub -c "SELECT count(*) FROM mentor.history_log")
cutoff=$(psql -X -q -t -A -d $rpub -c "SELECT min(at) + (max(at) - min(at)) / 2 FROM mentor.history_log")
p3=$(psql -X -q -t -A -d $rpub -c "SELECT mentor.prune_history('$cutoff')" 2>&1)
same=f
for _ in $(seq 1 60); do
    a=$(sums $rpub | grep '^history_log '); b=$(sums $rsub | grep '^history_log ')
    if [ "$a" = "$b" ]; then same=t; break; fi
    sleep 0.5
done
after_sub=$(psql -X -q -t -A -d $rsub -c "SELECT count(*) FROM mentor.history_log")
if [ "$same" = t ] && [ "$p3" -gt 0 ] 2>/dev/null && [ "$after_sub" -lt "$before_sub" ]; then
    echo "ok 15 - with history_replica_key() on both sides and history_deletes, a prune on the publisher alone ($p3 rows) leaves the subscriber's log identical ($before_sub -> $after_sub rows)"
else echo "not ok 15 - a prune on the publisher alone reaches the subscriber (pruned: $p3, subscriber $before_sub -> $after_sub, same: $same)"; fi
stats=$(psql -X -q -t -A -d $rsub -c "SELECT apply_error_count || '/' || sync_error_count FROM pg_stat_subscription_stats WHERE subname = 'mentor_rsub'")
if [ "$stats" = "0/0" ]; then echo "ok 16 - the replicated deletes raised no apply error"
else echo "not ok 16 - the replicated deletes raised no apply error (apply/sync: $stats)"; fi

# Failover: the subscriber stops subscribing, moves its sequences up and takes writes.
psql -X -q -d $rsub -c "ALTER SUBSCRIPTION mentor_rsub DISABLE" >/dev/null
moved=$(psql -X -q -t -A -d $rsub -c "SELECT count(*) FROM mentor.sync_sequences()")
if psql -X -q -v ON_ERROR_STOP=1 -d $rsub >/dev/null 2>"$w/failover.err" <<'SQL'
SET search_path = public, mentor;
INSERT INTO users (email, username, full_name) VALUES ('after_failover@example.com', 'after_failover', 'After Failover');
SELECT transfer(gen_random_uuid(), system_account('external'), wallet((SELECT id FROM users WHERE username = 'after_failover')), 5, 'purchase');
UPDATE profiles SET headline = 'written after failover' WHERE user_id = (SELECT id FROM users WHERE username = 'after_failover');
SQL
then echo "ok 17 - after sync_sequences() ($moved sequences) the former subscriber signs a user up, moves tokens and audits, without a key collision"
else echo "not ok 17 - after sync_sequences() the former subscriber takes writes"; sed 's/^/# /' "$w/failover.err"; fi
violations=$(psql -X -q -t -A -d $rsub -c "SELECT count(*) FROM mentor.ledger_check()")
hist=$(psql -X -q -t -A -d $rsub -c "SELECT count(*) FROM mentor.history WHERE table_name = 'mentor.profiles' AND new_row ->> 'headline' = 'written after failover'")
if [ "$violations" = 0 ] && [ "$hist" = 1 ]; then echo "ok 18 - its books still balance and history records the new writes"
else echo "not ok 18 - its books still balance ($violations violations) and history records the new writes ($hist)"; fi
