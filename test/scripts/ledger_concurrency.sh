#!/usr/bin/env bash
# Concurrency: 16 clients for SECONDS_TO_RUN (30 s by default) doing random
# transfers, holds, posts, voids, expiries and batches among 100 accounts,
# with retries of the same ids (test/ledger/workload.sql).  Afterwards every
# invariant holds, and the transfers are exactly the ids that succeeded.
# Runs inside pg_virtualenv; TAP.
set -uo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
db=mentor_ledger_load
dropdb --if-exists $db >/dev/null 2>&1; createdb $db
q() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d $db -c "$1"; }
psql -X -q -v ON_ERROR_STOP=1 -d $db -f "$here/ledger/workload.sql" >/dev/null
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT
echo 'SELECT op();' > "$w/op.sql"
secs="${SECONDS_TO_RUN:-30}"

echo "1..9"
pgbench -n -c 16 -j 4 -T "$secs" -f "$w/op.sql" $db > "$w/pgbench.log" 2>&1
rc=$?
txns=$(sed -nE 's/^number of transactions actually processed: ([0-9]+).*/\1/p' "$w/pgbench.log")
if [ $rc -eq 0 ] && grep -q "number of failed transactions: 0" "$w/pgbench.log"; then
    echo "ok 1 - 16 clients ran $txns operations for ${secs}s without a failed transaction (no deadlock, no unexpected error)"
else
    echo "not ok 1 - 16 clients ran for ${secs}s without a failed transaction"
    sed 's/^/# /' "$w/pgbench.log" | tail -20
fi
n=1
while IFS='|' read -r what bad; do
    n=$((n + 1))
    if [ "$bad" = "0" ]; then echo "ok $n - $what: none"; else echo "not ok $n - $what: $bad"; fi
done < <(q "SELECT what, bad FROM invariant_report")
transfers=$(q "SELECT count(*) FROM mentor.ledger_transfers"); ok=$(q "SELECT count(*) FROM ok_ids")
retries=$(q "SELECT last_value FROM retries_seen"); refusals=$(q "SELECT last_value FROM refusals_seen")
if [ "$transfers" = "$ok" ] && [ "$transfers" -gt 1000 ]; then
    echo "ok 7 - $transfers transfers = $ok distinct ids that succeeded"
else echo "not ok 7 - transfers ($transfers) = distinct ids that succeeded ($ok), more than 1000"; fi
if [ "${retries:-0}" -gt 10 ]; then echo "ok 8 - $retries idempotent retries returned the original transfer"
else echo "not ok 8 - idempotent retries happened (got '$retries')"; fi
states=$(q "SELECT string_agg(DISTINCT status::text, ',' ORDER BY status::text) FROM mentor.ledger_transfers")
# Whether a hold is still pending when the load stops is chance; that holds ended posted, voided
# and expired is the claim.
if [ "${refusals:-0}" -gt 10 ] && [ "$states" = "expired,pending,posted,posted_pending,voided" -o "$states" = "expired,posted,posted_pending,voided" ]; then
    echo "ok 9 - $refusals refusals (MN002/MN003/MN006/MN008) changed nothing; holds ended posted, voided and expired"
else echo "not ok 9 - refusals happened ($refusals) and holds took every status ($states)"; fi
dropdb $db
