#!/usr/bin/env bash
# Concurrency: audited writes while other sessions keep invalidating the
# history log (ANALYZE, VACUUM, REINDEX, which swaps index OIDs) and the
# audited table (ALTER TABLE ... SET/RESET storage parameters).  The history caches must rebuild, never crash, and
# every write must be recorded exactly once.  Runs inside pg_virtualenv; TAP.
set -uo pipefail
db=mentor_inval
dropdb --if-exists $db >/dev/null 2>&1; createdb $db
q() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d $db -c "$1"; }
q "SET client_min_messages = warning; CREATE EXTENSION mentor CASCADE" >/dev/null
q "CREATE TABLE counters (id int PRIMARY KEY, n int NOT NULL DEFAULT 0, label text)" >/dev/null
q "INSERT INTO counters SELECT g, 0, 'c' || g FROM generate_series(1, 200) g" >/dev/null
q "SELECT mentor.enable_history('counters')" >/dev/null
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT
printf '%s\n' '\set id random(1, 200)' 'UPDATE counters SET n = n + 1 WHERE id = :id;' > "$w/write.sql"
printf '%s\n' 'ANALYZE mentor.history_log;' 'VACUUM mentor.history_log;' > "$w/analyze.sql"
# The indexes are the current partition's (the log itself has none): the first write makes it.
q "UPDATE counters SET label = label WHERE id = 1; UPDATE counters SET n = n + 1 WHERE id = 1" >/dev/null
leaf=$(q "SELECT c.relname FROM mentor.history_partitions p JOIN pg_class c ON c.oid = p.partition WHERE now() >= p.from_at AND now() < p.to_at")
printf '%s\n' "REINDEX INDEX mentor.${leaf}_at_idx;" "REINDEX INDEX CONCURRENTLY mentor.${leaf}_row_idx;" "REINDEX INDEX CONCURRENTLY mentor.${leaf}_key_idx;" > "$w/reindex.sql"
printf '%s\n' 'ALTER TABLE counters SET (fillfactor = 90);' 'ALTER TABLE counters RESET (fillfactor);' > "$w/alter.sql"

echo "1..4"
pgbench -n -c 3 -j 3 -T "${SECONDS_TO_RUN:-8}" -f "$w/write.sql@100" -f "$w/analyze.sql@1" -f "$w/alter.sql@1" -f "$w/reindex.sql@1" $db \
    > "$w/pgbench.log" 2>&1
rc=$?
if [ $rc -eq 0 ] && grep -q "number of failed transactions: 0" "$w/pgbench.log"; then
    echo "ok 1 - writes, ANALYZE, VACUUM, REINDEX and ALTER TABLE ran concurrently without a failed transaction"
else
    echo "not ok 1 - writes, ANALYZE, VACUUM, REINDEX and ALTER TABLE ran concurrently without a failed transaction"
    sed 's/^/# /' "$w/pgbench.log" | tail -20
fi
if pg_isready -q && q "SELECT 1" >/dev/null; then echo "ok 2 - the server is still up"
else echo "not ok 2 - the server is still up"; fi
total=$(q "SELECT sum(n) FROM counters")
recorded=$(q "SELECT count(*) FROM mentor.history WHERE table_name = 'public.counters' AND op = 'U'")
if [ -n "$total" ] && [ "$total" -gt 100 ]; then echo "ok 3 - $total audited updates were made"
else echo "not ok 3 - audited updates were made (got '$total')"; fi
if [ "$total" = "$recorded" ]; then echo "ok 4 - each of them is recorded exactly once ($recorded history rows)"
else echo "not ok 4 - each update recorded exactly once: $total updates, $recorded history rows"; fi
dropdb $db
