#!/usr/bin/env bash
# The partitioned history log under concurrency.  With partitions of 150 ms,
# 4 pgbench clients updating and inserting audited rows for 6 s cross a
# partition boundary about 40 times, each crossing raced by the four (the
# writer that needs a partition makes it, ahead of need without waiting, or
# at need under the lock that serialises creators): no transaction fails,
# every change is recorded exactly once, every row sits in the partition of
# its time, no partition becomes a member of the extension.  Then the same
# writers run while another session prunes everything older than a second,
# dropping partitions under them, again without a failed transaction.
# pg_virtualenv; TAP.
set -uo pipefail
db=mentor_history_partitions
dropdb --if-exists $db >/dev/null 2>&1; createdb $db
q() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d $db -c "$1"; }
w=$(mktemp -d); trap 'rm -rf "$w"; dropdb --if-exists $db >/dev/null 2>&1' EXIT
q "SET client_min_messages = warning; CREATE EXTENSION mentor CASCADE" >/dev/null
q "INSERT INTO mentor.settings (key, shipped, value) VALUES ('history.partition_interval', false, '\"150 milliseconds\"')"
q "CREATE TABLE counters (id int PRIMARY KEY, n int NOT NULL DEFAULT 0);
   CREATE TABLE notes (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, body text);
   INSERT INTO counters SELECT g FROM generate_series(1, 1000) g;
   SELECT mentor.enable_history('counters'); SELECT mentor.enable_history('notes');" >/dev/null
printf '%s\n' '\set id random(1, 1000)' 'UPDATE counters SET n = n + 1 WHERE id = :id;' \
    'INSERT INTO notes (body) VALUES (:id);' > "$w/write.sql"
failed() { sed -nE 's/^number of failed transactions: ([0-9]+).*/\1/p' "$1"; }
done_n() { sed -nE 's/^number of transactions actually processed: ([0-9]+).*/\1/p' "$1"; }

echo "1..7"
parts_before=$(q "SELECT count(*) FROM mentor.history_partitions")
pgbench -n -c 4 -j 4 -T 6 -f "$w/write.sql" $db > "$w/run1.out" 2>&1
n1=$(done_n "$w/run1.out"); f1=$(failed "$w/run1.out")
parts=$(q "SELECT count(*) FROM mentor.history_partitions")
if [ "${f1:-x}" = 0 ] && [ "${n1:-0}" -gt 1000 ] && [ $((parts - parts_before)) -ge 20 ]; then
    echo "ok 1 - 4 writers across $((parts - parts_before)) new partitions: $n1 transactions, none failed"
else echo "not ok 1 - 4 writers across many new partitions without a failure (transactions: $n1, failed: $f1, partitions made: $((parts - parts_before)))"; tail -5 "$w/run1.out" | sed 's/^/# /'; fi
counts=$(q "SELECT (SELECT sum(n) FROM counters) || ' ' || (SELECT count(*) FROM notes) || ' ' ||
                   (SELECT count(*) FROM mentor.history WHERE table_name = 'public.counters' AND op = 'U') || ' ' ||
                   (SELECT count(*) FROM mentor.history WHERE table_name = 'public.notes' AND op = 'I')")
read -r sum_n notes hu hi <<<"$counts"
if [ "$sum_n" = "$n1" ] && [ "$notes" = "$n1" ] && [ "$hu" = "$n1" ] && [ "$hi" = "$n1" ]; then
    echo "ok 2 - every change recorded exactly once ($hu updates, $hi inserts)"
else echo "not ok 2 - every change recorded exactly once (transactions $n1; counters $sum_n, notes $notes; history: $hu updates, $hi inserts)"; fi
misplaced=$(q "SELECT count(*) FROM mentor.history_log l JOIN mentor.history_partitions p ON p.partition = l.tableoid
               WHERE NOT (l.at >= p.from_at AND l.at < p.to_at)")
if [ "$misplaced" = 0 ]; then echo "ok 3 - every history row sits in the partition of its time"
else echo "not ok 3 - every history row sits in the partition of its time ($misplaced misplaced)"; fi
members=$(q "SELECT count(*) FROM mentor.history_partitions p JOIN pg_depend d ON d.classid = 'pg_class'::regclass
             AND d.objid = p.partition AND d.deptype = 'e'")
guarded=$(q "SELECT count(*) FROM mentor.history_partitions p
             WHERE NOT EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = p.partition AND t.tgname = 'history_append_only')
                OR (SELECT count(*) FROM pg_index i WHERE i.indrelid = p.partition) <> 3")
if [ "$members" = 0 ] && [ "$guarded" = 0 ]; then echo "ok 4 - no partition is a member of the extension; each has its three indexes and its guard"
else echo "not ok 4 - partitions are data with indexes and guard (members: $members, incomplete: $guarded)"; fi
# A row history across many partitions reads back whole.
rows=$(q "SELECT count(*) FROM mentor.row_history('counters', '{\"id\": 7}')")
direct=$(q "SELECT count(*) FROM mentor.history_log l JOIN mentor.history_tables t ON t.id = l.table_id
            WHERE t.table_name = 'public.counters' AND l.row_id = 7")
spread=$(q "SELECT count(DISTINCT l.tableoid) FROM mentor.history_log l JOIN mentor.history_tables t ON t.id = l.table_id
            WHERE t.table_name = 'public.counters' AND l.row_id = 7")
if [ "$rows" = "$direct" ] && [ "$rows" -gt 0 ]; then echo "ok 5 - one row's history, spread over $spread partitions, reads back whole ($rows changes)"
else echo "not ok 5 - one row's history reads back whole (row_history $rows, log $direct)"; fi

# Writers while partitions are dropped under them.
( end=$((SECONDS + 6)); while [ $SECONDS -lt $end ]; do
      psql -X -q -t -A -d $db -c "SELECT mentor.prune_history(clock_timestamp() - interval '1 second')" >> "$w/prune.out" 2>&1
      sleep 0.2
  done ) &
pruner=$!
pgbench -n -c 4 -j 4 -T 6 -f "$w/write.sql" $db > "$w/run2.out" 2>&1
wait $pruner
n2=$(done_n "$w/run2.out"); f2=$(failed "$w/run2.out")
perr=$(grep -c "ERROR" "$w/prune.out" || true); pruned=$(grep -E '^[0-9]+$' "$w/prune.out" | awk '{s += $1} END {print s + 0}')
if [ "${f2:-x}" = 0 ] && [ "${n2:-0}" -gt 1000 ] && [ "$perr" = 0 ] && [ "$pruned" -gt 0 ]; then
    echo "ok 6 - writers and a pruner together: $n2 transactions, none failed; $pruned rows pruned without an error"
else echo "not ok 6 - writers and a pruner together (transactions $n2, failed $f2, prune errors $perr, pruned $pruned)"; grep ERROR "$w/prune.out" | head -3 | sed 's/^/# /'; tail -3 "$w/run2.out" | sed 's/^/# /'; fi
old=$(q "SELECT count(*) FROM mentor.history_partitions WHERE to_at < clock_timestamp() - interval '3 seconds'")
if [ "$old" = 0 ]; then echo "ok 7 - the partitions older than the cutoff are gone"
else echo "not ok 7 - the partitions older than the cutoff are gone ($old left)"; fi
