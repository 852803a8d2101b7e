#!/usr/bin/env bash
# Benchmark: the ledger against the pgledger design in PL/pgSQL
# (ledger_plpgsql_baseline.sql), in the same run, with synchronous_commit on
# (the default) and off.  pgbench -M prepared, CLIENTS clients, ROUNDS
# interleaved runs per variant, medians.
#   random  - single transfers between random accounts out of ACCOUNTS
#   hot     - every transfer credits the same platform account (mentor: an
#             untracked system account; baseline: its one design)
#   batch   - mentor.transfer_batch with BATCH transfers per call
#   insert  - a bare INSERT of one row into a table shaped like ledger_transfers,
#             against a single mentor.transfer per transaction, 1 client
# Runs inside pg_virtualenv (scripts/bench.sh).
set -euo pipefail
ACCOUNTS="${ACCOUNTS:-10000}"; ROUNDS="${ROUNDS:-3}"; SECS="${SECS:-10}"; CLIENTS="${CLIENTS:-8}"; BATCH="${BATCH:-1000}"
here="$(cd "$(dirname "$0")" && pwd)"
db=mentor_bench_ledger
dropdb --if-exists $db >/dev/null 2>&1; createdb $db
P() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d $db "$@"; }

P -c "SET client_min_messages = warning; CREATE EXTENSION mentor CASCADE" >/dev/null
P -f "$here/ledger_plpgsql_baseline.sql" >/dev/null
# Accounts 1..ACCOUNTS with a large balance, plus a hot platform account, in both ledgers.
P -c "INSERT INTO mentor.users (email, username, full_name)
      SELECT 'u' || g || '@bench.example', 'u' || g, 'User ' || g FROM generate_series(1, $ACCOUNTS) g" >/dev/null
P -c "SELECT count(*) FROM mentor.transfer_batch(
        array(SELECT gen_random_uuid() FROM generate_series(1, $ACCOUNTS)), ARRAY[mentor.system_account('external')],
        array(SELECT mentor.wallet(g) FROM generate_series(1, $ACCOUNTS) g), ARRAY[1000000000::bigint], ARRAY['purchase'])" >/dev/null
hot=$(P -c "SELECT mentor.system_account('revenue')")
wmin=$(P -c "SELECT min(mentor.wallet(g)) FROM generate_series(1, $ACCOUNTS) g")
P -c "INSERT INTO bl_accounts (id, name, balance) SELECT g, 'user ' || g, 1000000000 FROM generate_series(1, $ACCOUNTS) g" \
  -c "INSERT INTO bl_accounts (id, name, allow_negative) VALUES (0, 'platform', true)"
P -c "CREATE TABLE bare_transfers (LIKE mentor.ledger_transfers INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES)"
P -c "VACUUM ANALYZE" >/dev/null

# pgbench talks to the server over its Unix socket, as local clients do, so that
# TCP overhead (the same for both ledgers) does not blur the comparison.
# (The throwaway cluster's socket uses peer authentication; trust it, as pgbench
# runs as whoever runs the benchmark.)
sock=$(P -c "SHOW unix_socket_directories" | cut -d, -f1)
hba=$(P -c "SHOW hba_file"); sed -i '1i local all all trust' "$hba"
# Checkpoints far apart, so that one landing in a run does not decide its figure.
P -c "ALTER SYSTEM SET max_wal_size = '8GB'" -c "ALTER SYSTEM SET checkpoint_timeout = '30min'" >/dev/null
P -c "SELECT pg_reload_conf()" >/dev/null
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT
pick='\set a random(0, '$((ACCOUNTS - 1))')
\set b (:a + random(1, '$((ACCOUNTS - 1))')) % '$ACCOUNTS
printf '%s\n' "$pick" "SELECT mentor.transfer(gen_random_uuid(), $wmin + :a, $wmin + :b, 1, 'spend');" > "$w/random_mentor.sql"
printf '%s\n' "$pick" "SELECT bl_transfer(gen_random_uuid(), 1 + :a, 1 + :b, 1);" > "$w/random_plpgsql.sql"
printf '%s\n' "$pick" "SELECT mentor.transfer(gen_random_uuid(), $wmin + :a, $hot, 1, 'spend');" > "$w/hot_mentor.sql"
printf '%s\n' "$pick" "SELECT bl_transfer(gen_random_uuid(), 1 + :a, 0, 1);" > "$w/hot_plpgsql.sql"
printf '%s\n' "\\set a random(0, $((ACCOUNTS - 1)))" \
    "SELECT count(*) FROM mentor.transfer_batch(array(SELECT gen_random_uuid() FROM generate_series(1, $BATCH)),
       array(SELECT $wmin + (:a + g * 7) % $ACCOUNTS FROM generate_series(1, $BATCH) g), ARRAY[$hot::bigint], ARRAY[1::bigint], ARRAY['spend']);" \
    > "$w/batch_mentor.sql"
printf '%s\n' "INSERT INTO bare_transfers (id, debit_account_id, credit_account_id, amount, kind, status, created_at)
       VALUES (gen_random_uuid(), 1, 2, 1, 'spend', 'posted', now());" > "$w/insert_bare.sql"
printf '%s\n' "$pick" "SELECT mentor.transfer(gen_random_uuid(), $wmin + :a, $wmin + :b, 1, 'spend');" > "$w/insert_mentor.sql"

median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# pgbench threads: one per client, at most one per core (more threads than cores only add switching).
cores=$(nproc)
# Each run starts from a vacuumed database, so that autovacuum (of the tables
# the previous run grew) does not land inside a run and take one of the two cores.
tps() { P -c "VACUUM" >/dev/null
        PGOPTIONS="-c synchronous_commit=$1" pgbench -h "$sock" -n -M prepared -c "$2" -j "$(( $2 < cores ? $2 : cores ))" -T "$SECS" -f "$3" $db 2>/dev/null \
        | sed -nE 's/^tps = ([0-9.]+).*/\1/p'; }
declare -A r
# Both settings in every round, so that neither runs only on the bigger, older tables of the end of the run.
for round in $(seq 1 "$ROUNDS"); do
    for sc in on off; do
        for v in random_mentor random_plpgsql hot_mentor hot_plpgsql; do r[$sc.$v]="${r[$sc.$v]:-} $(tps $sc "$CLIENTS" "$w/$v.sql")"; done
        r[$sc.batch]="${r[$sc.batch]:-} $(tps $sc 2 "$w/batch_mentor.sql")"
        for v in insert_bare insert_mentor; do r[$sc.$v]="${r[$sc.$v]:-} $(tps $sc 1 "$w/$v.sql")"; done
    done
done
problems=$(P -c "SELECT count(*) FROM mentor.ledger_check()")

printf 'ledger: %s accounts, %s clients (batch: 2 clients x %s transfers per call; insert: 1 client), median of %s x %ss, pgbench -M prepared\n' \
    "$ACCOUNTS" "$CLIENTS" "$BATCH" "$ROUNDS" "$SECS"
for sc in on off; do
    m() { echo "${r[$sc.$1]}" | median; }
    awk -v sc="$sc" -v rm="$(m random_mentor)" -v rp="$(m random_plpgsql)" -v hm="$(m hot_mentor)" -v hp="$(m hot_plpgsql)" \
        -v bm="$(m batch)" -v ib="$(m insert_bare)" -v im="$(m insert_mentor)" -v batch="$BATCH" 'BEGIN {
        printf "  synchronous_commit=%s\n", sc
        printf "    random accounts  mentor %8.0f/s  PL/pgSQL %8.0f/s  %5.2fx (target >= 2)\n", rm, rp, rm / rp
        printf "    hot account      mentor %8.0f/s  PL/pgSQL %8.0f/s  %5.2fx (target >= 5)\n", hm, hp, hm / hp
        printf "    transfer_batch   %8.0f transfers/s (target >= 30000)\n", bm * batch
        printf "    single transfer  %8.0f/s vs bare INSERT %8.0f/s  %5.2fx (target >= 0.5)\n", im, ib, im / ib
    }'
done
for sc in on off; do
    echo "  rounds, synchronous_commit=$sc: hot mentor${r[$sc.hot_mentor]}, PL/pgSQL${r[$sc.hot_plpgsql]}; random mentor${r[$sc.random_mentor]}, PL/pgSQL${r[$sc.random_plpgsql]}"
done
echo "  ledger_check() after the run: $problems violations"
dropdb $db
