#!/usr/bin/env bash
# Crash: kill -9 of the postmaster (and its backends, as a power cut would)
# in the middle of ledger load; after restart and crash recovery every
# invariant holds and every transfer a client saw committed is there.
# Clients are psql calls whose id is written down only after psql reported
# the commit; pgbench runs the mixed workload (test/ledger/workload.sql)
# alongside.  Runs inside pg_virtualenv (synchronous_commit on); TAP.
set -uo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
db=mentor_ledger_crash
dropdb --if-exists $db >/dev/null 2>&1; createdb $db
q() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d $db -c "$1"; }
psql -X -q -v ON_ERROR_STOP=1 -d $db -f "$here/ledger/workload.sql" >/dev/null
data=$(q "SHOW data_directory"); sc=$(q "SHOW synchronous_commit")
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT
echo 'SELECT op();' > "$w/op.sql"

# One psql per client fed an endless stream of transfers: psql prints a
# transfer's id only once the server acknowledged its commit.
statements() {
    local n=$1 i=0 id a b
    while :; do
        i=$((i + 1))
        id=$(printf '%08x-0000-4000-8000-%012x' "$n" "$i")
        a=$(( (n * 7 + i) % 100 + 1 )); b=$(( (a + i % 99) % 100 + 1 ))
        echo "WITH t AS (SELECT mentor.transfer('$id', acct($a), acct($b), 1, 'spend') AS id) INSERT INTO ok_ids SELECT id FROM t RETURNING id;"
    done
}
client() { statements "$1" | psql -X -q -t -A -d $db > "$w/committed.$1" 2>/dev/null; }

echo "1..9"
pgbench -n -c 8 -j 2 -T 120 -f "$w/op.sql" $db > "$w/pgbench.log" 2>&1 &
bench=$!
for n in 1 2 3 4; do client $n & done
sleep "${CRASH_AFTER:-8}"
pm=$(head -1 "$data/postmaster.pid")
kill -9 "$pm" $(pgrep -P "$pm") 2>/dev/null
wait
seen=$(cat "$w"/committed.* 2>/dev/null | grep -c .)
if [ "$seen" -gt 100 ]; then echo "ok 1 - clients saw $seen transfers committed before the crash (synchronous_commit=$sc)"
else echo "not ok 1 - clients saw transfers committed before the crash (got $seen)"; fi
for _ in $(seq 1 50); do kill -0 "$pm" 2>/dev/null || break; sleep 0.1; done
if ! kill -0 "$pm" 2>/dev/null; then echo "ok 2 - the postmaster (pid $pm) was killed with SIGKILL"
else echo "not ok 2 - the postmaster (pid $pm) was killed"; fi

for _ in $(seq 1 60); do
    pg_ctlcluster "$PGVERSION" regress start >/dev/null 2>&1 && break
    sleep 1
done
for _ in $(seq 1 60); do pg_isready -q && break; sleep 1; done
if q "SELECT 1" >/dev/null 2>&1; then echo "ok 3 - the server restarted and recovered"
else echo "not ok 3 - the server restarted and recovered"; fi

cat "$w"/committed.* | grep . | sort -u > "$w/seen.txt" 2>/dev/null
missing=$(psql -X -q -t -A -d $db -v ON_ERROR_STOP=1 \
    -c "CREATE TEMP TABLE seen (id uuid)" -c "\\copy seen FROM '$w/seen.txt'" \
    -c "SELECT count(*) FROM seen s WHERE NOT EXISTS (SELECT 1 FROM mentor.ledger_transfers t WHERE t.id = s.id)")
if [ "$missing" = "0" ]; then echo "ok 4 - every one of the $seen transfers a client saw committed is present"
else echo "not ok 4 - transfers a client saw committed are present: $missing of $seen missing"; fi
n=4
while IFS='|' read -r what bad; do
    n=$((n + 1))
    if [ "$bad" = "0" ]; then echo "ok $n - after the crash, $what: none"; else echo "not ok $n - after the crash, $what: $bad"; fi
done < <(q "SELECT what, bad FROM invariant_report")
dropdb $db
