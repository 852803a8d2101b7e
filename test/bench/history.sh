#!/usr/bin/env bash
# Benchmark: what history auditing costs, against every alternative a user
# could pick, on identical 10-column tables of ROWS rows in one run:
#   plain     unaudited;
#   mentor    mentor.enable_history;
#   floor     history_floor.c: the old row copied whole into a history table of
#             the same shape by direct heap insert, nothing on insert (the
#             mechanism of the fastest public C versioning trigger, as a floor);
#   floorkey  the same with a key index on its history table;
#   periods   Debian's postgresql-15-periods, SYSTEM VERSIONING;
#   plpgsql   the minimal PL/pgSQL trigger of history_plpgsql_baseline.sql.
# pgbench -M prepared, CLIENTS clients, ROUNDS interleaved runs per variant,
# every ratio per round and the medians; server CPU per transaction from
# /proc.  Then the growth series: the CPU mentor adds to a single-row update
# with GROWTH log rows already recorded (1M distinct keys, earlier months).
# Runs inside pg_virtualenv (scripts/bench.sh), as root (it builds the floor).
set -euo pipefail
ROWS="${ROWS:-1000000}"; ROUNDS="${ROUNDS:-3}"; SECS="${SECS:-10}"; CLIENTS="${CLIENTS:-2}"
GROWTH="${GROWTH:-1000000 10000000 30000000}"
here="$(cd "$(dirname "$0")" && pwd)"
db=mentor_bench_history
dropdb --if-exists $db >/dev/null 2>&1; createdb $db
P() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d $db "$@"; }
w=$(mktemp -d); chmod 755 "$w"; trap 'rm -rf "$w"' EXIT

# The floor is built here and loaded by its path (the server's user reads $w).
gcc -O2 -fPIC -shared -I"$(pg_config --includedir-server)" -o "$w/history_floor.so" "$here/history_floor.c"
P -c "SET client_min_messages = warning; CREATE EXTENSION mentor CASCADE" >/dev/null
P -c "CREATE EXTENSION periods" >/dev/null
P -c "CREATE FUNCTION bench_floor_trigger() RETURNS trigger AS '$w/history_floor.so', 'bench_floor_trigger' LANGUAGE C"
P -f "$here/history_plpgsql_baseline.sql" >/dev/null
variants=(plain mentor floor floorkey periods plpgsql)
cols="id bigint PRIMARY KEY, name text, email text, score int, level int, balance numeric, active boolean, city text, seen timestamptz, note text"
for t in "${variants[@]}"; do
    P -c "CREATE TABLE up_$t ($cols)" \
      -c "CREATE TABLE ins_$t (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text, email text, score int, level int,
                               balance numeric, active boolean, city text, seen timestamptz, note text)"
    P -c "INSERT INTO up_$t SELECT g, 'user ' || g, 'user' || g || '@example.com', g % 100, g % 7, (g % 1000) / 10.0,
                         g % 2 = 0, 'city ' || (g % 50), '2026-01-01'::timestamptz + g * interval '1 second', NULL
            FROM generate_series(1, $ROWS) g"
done
# Enable auditing after loading, so the load itself is not measured or stored.
P -c "SELECT mentor.enable_history('up_mentor'); SELECT mentor.enable_history('ins_mentor')" >/dev/null
for t in up_plpgsql ins_plpgsql; do
    P -c "CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON $t FOR EACH ROW EXECUTE FUNCTION bench_plpgsql_audit()"
done
for t in up_floor ins_floor up_floorkey ins_floorkey; do
    P -c "CREATE TABLE ${t}_hist (LIKE $t)" \
      -c "CREATE TRIGGER audit AFTER UPDATE OR DELETE ON $t FOR EACH ROW EXECUTE FUNCTION bench_floor_trigger('${t}_hist')"
done
P -c "CREATE INDEX ON up_floorkey_hist (id)" -c "CREATE INDEX ON ins_floorkey_hist (id)"
for t in up_periods ins_periods; do
    P -c "SELECT periods.add_system_time_period('$t')" -c "SELECT periods.add_system_versioning('$t')" >/dev/null 2>&1 ||
    P -c "SELECT add_system_time_period('$t')" -c "SELECT add_system_versioning('$t')" >/dev/null
done
P -c "VACUUM ANALYZE" >/dev/null
# Checkpoints far apart, and one now: a checkpoint landing inside one variant's
# run (and the full-page images after it) would decide that run's figure.
P -c "ALTER SYSTEM SET max_wal_size = '8GB'" -c "ALTER SYSTEM SET checkpoint_timeout = '30min'" >/dev/null
P -c "SELECT pg_reload_conf()" -c "CHECKPOINT" >/dev/null

median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# Server CPU in clock ticks: every PostgreSQL process (backends, WAL writer,
# autovacuum...), live or exited, from /proc.  Throughput on two shared cores
# moves by several percent between runs; the CPU a transaction costs the
# server moves far less, so it shows what auditing costs when tps cannot.
# (In /proc/PID/stat the command name may hold spaces: fields are counted
# after its closing parenthesis.)
pm=$(head -1 "$(P -c "SHOW data_directory")/postmaster.pid")
server_ticks() {
    cat /proc/[0-9]*/stat 2>/dev/null | awk -v pm="$pm" '{ pid = $1; sub(/^.*\) /, "") }
        pid == pm { t += $12 + $13 + $14 + $15 }
        $2 == pm { t += $12 + $13 }
        END { print t }'
}
# Every run starts from a vacuumed database: a run's updates leave dead rows
# that autovacuum would otherwise clean up inside the next run, on one of the
# two cores, slowing whichever variant comes next.  Prints "tps
# server-CPU-microseconds-per-transaction"; the pauses let the postmaster reap
# the backends that just exited, whose time then counts as its own.
tps() { P -c "VACUUM" >/dev/null; sleep 0.3
        local c0 out n; c0=$(server_ticks)
        out=$(pgbench -n -M prepared --max-tries=20 -c "$CLIENTS" -j "$CLIENTS" -T "$SECS" -f "$1" $db 2>/dev/null || true); sleep 0.3
        n=$(echo "$out" | sed -nE 's/^number of transactions actually processed: ([0-9]+).*/\1/p')
        awk -v tps="$(echo "$out" | sed -nE 's/^tps = ([0-9.]+).*/\1/p')" -v d=$(($(server_ticks) - c0)) \
            -v hz="$(getconf CLK_TCK)" -v n="$n" 'BEGIN { printf "%s %.1f\n", tps, d * 1e6 / hz / n }'; }
lat() { P -c "VACUUM" >/dev/null
        pgbench -n -M prepared -c 1 -t "$2" -f "$1" $db 2>/dev/null | sed -nE 's/^latency average = ([0-9.]+) ms.*/\1/p'; }
declare -A single bulk insert single_cpu insert_cpu
for t in "${variants[@]}"; do
    # Each client updates its own rows: periods refuses (invalid row version) to update a row a
    # concurrent transaction updated, and aborts the client; no variant should pay for collisions.
    printf '%s\n' "\\set id :client_id * ($ROWS / $CLIENTS) + random(1, $ROWS / $CLIENTS)" "UPDATE up_$t SET score = score + 1 WHERE id = :id;" > "$w/single_$t.sql"
    printf '%s\n' "\\set s random(1, $ROWS - 10000)" "UPDATE up_$t SET level = level + 1 WHERE id BETWEEN :s AND :s + 9999;" > "$w/bulk_$t.sql"
    printf '%s\n' "INSERT INTO ins_$t (name, email, score, level, balance, active, city, seen) VALUES ('new user', 'new@example.com', 1, 2, 3.5, true, 'Berlin', now());" > "$w/insert_$t.sql"
done

# The log is partitioned: its size is its partitions'.
log_bytes() { P -c "SELECT coalesce(sum(bytes), 0) FROM mentor.history_partitions"; }
log_heap() { P -c "SELECT coalesce(sum(pg_relation_size(partition)), 0) FROM mentor.history_partitions"; }
log_rows() { P -c "SELECT count(*) FROM mentor.history_log"; }
bytes_before=$(log_bytes); rows_before=$(log_rows)
# Each round starts with a different variant, so none always runs right after another.
order() { local i; for i in "${!variants[@]}"; do echo "${variants[$(( ($1 - 1 + i) % ${#variants[@]} ))]}"; done; }
for round in $(seq 1 "$ROUNDS"); do
    for t in $(order "$round"); do
        read -r r c < <(tps "$w/single_$t.sql"); single[$t]="${single[$t]:-} $r"; single_cpu[$t]="${single_cpu[$t]:-} $c"
    done
done
bytes_after=$(log_bytes); rows_after=$(log_rows)
pl_bytes=$(P -c "SELECT pg_total_relation_size('bench_audit_plpgsql')"); pl_rows=$(P -c "SELECT count(*) FROM bench_audit_plpgsql")
fl_bytes=$(P -c "SELECT pg_total_relation_size('up_floor_hist')"); fl_rows=$(P -c "SELECT count(*) FROM up_floor_hist")
fk_bytes=$(P -c "SELECT pg_total_relation_size('up_floorkey_hist')"); fk_rows=$(P -c "SELECT count(*) FROM up_floorkey_hist")
pe_bytes=$(P -c "SELECT pg_total_relation_size('up_periods_history')"); pe_rows=$(P -c "SELECT count(*) FROM up_periods_history")
for round in $(seq 1 "$ROUNDS"); do
    for t in $(order "$round"); do bulk[$t]="${bulk[$t]:-} $(lat "$w/bulk_$t.sql" 5)"; done
done
bytes_before_ins=$(log_bytes); heap_before_ins=$(log_heap)
rows_before_ins=$(P -c "SELECT count(*) FROM mentor.history_log WHERE op = 'I'")
for round in $(seq 1 "$ROUNDS"); do
    for t in $(order "$round"); do
        read -r r c < <(tps "$w/insert_$t.sql"); insert[$t]="${insert[$t]:-} $r"; insert_cpu[$t]="${insert_cpu[$t]:-} $c"
    done
done
ins_rows=$(( $(P -c "SELECT count(*) FROM mentor.history_log WHERE op = 'I'") - rows_before_ins ))
ins_bytes=$(( $(log_bytes) - bytes_before_ins )); ins_heap=$(( $(log_heap) - heap_before_ins ))

med() { echo "$1" | median; }
# Ratios of throughput, per round (same round, same order) and of the medians.
ratio_rounds() { paste -d' ' <(echo $1 | tr ' ' '\n') <(echo $2 | tr ' ' '\n') | awk '{ printf " %.2f", $1 / $2 }'; }
inv_rounds() { paste -d' ' <(echo $1 | tr ' ' '\n') <(echo $2 | tr ' ' '\n') | awk '{ printf " %.2f", $2 / $1 }'; }
printf 'history: %s-row, 10-column tables, %s clients, median of %s x %ss (pgbench -M prepared)\n' "$ROWS" "$CLIENTS" "$ROUNDS" "$SECS"
for t in "${variants[@]}"; do
    printf '  %-9s single-row UPDATE %8.0f tps (%6.1f us CPU)   10,000-row UPDATE %8.1f ms   INSERT %8.0f tps (%6.1f us CPU)\n' \
        "$t" "$(med "${single[$t]}")" "$(med "${single_cpu[$t]}")" "$(med "${bulk[$t]}")" "$(med "${insert[$t]}")" "$(med "${insert_cpu[$t]}")"
done
echo "  mentor against each (throughput ratio of the medians; per round in brackets; 10,000-row: time ratio, theirs / mentor's):"
for t in plain floor floorkey periods plpgsql; do
    printf '    vs %-9s single-row %s [%s ]   10,000-row %s [%s ]   INSERT %s [%s ]\n' "$t" \
        "$(awk -v a="$(med "${single[mentor]}")" -v b="$(med "${single[$t]}")" 'BEGIN { printf "%.2fx", a / b }')" "$(ratio_rounds "${single[mentor]}" "${single[$t]}")" \
        "$(awk -v a="$(med "${bulk[mentor]}")" -v b="$(med "${bulk[$t]}")" 'BEGIN { printf "%.2fx", b / a }')" "$(inv_rounds "${bulk[mentor]}" "${bulk[$t]}")" \
        "$(awk -v a="$(med "${insert[mentor]}")" -v b="$(med "${insert[$t]}")" 'BEGIN { printf "%.2fx", a / b }')" "$(ratio_rounds "${insert[mentor]}" "${insert[$t]}")"
done
echo "  targets: single-row >= 1.1x floor, >= 1.25x floorkey, >= 0.85x plain; INSERT >= 0.85x plain; 10,000-row >= 1.5x floor"
awk -v scp="$(med "${single_cpu[plain]}")" -v scm="$(med "${single_cpu[mentor]}")" -v icp="$(med "${insert_cpu[plain]}")" -v icm="$(med "${insert_cpu[mentor]}")" \
    -v hb=$((bytes_after - bytes_before)) -v hr=$((rows_after - rows_before)) -v pb="$pl_bytes" -v pr="$pl_rows" \
    -v fb="$fl_bytes" -v fr="$fl_rows" -v kb="$fk_bytes" -v kr="$fk_rows" -v eb="$pe_bytes" -v er="$pe_rows" \
    -v ib="$ins_bytes" -v ih="$ins_heap" -v ir="$ins_rows" 'BEGIN {
    printf "  server CPU added by mentor       single-row UPDATE +%.1f us (%.2fx)   INSERT +%.1f us (%.2fx)\n", scm - scp, scm / scp, icm - icp, icm / icp
    printf "  bytes per one-column update      mentor %.0f (heap + indexes, %d rows; target <= 100)   floor %.0f   floorkey %.0f   periods %.0f   PL/pgSQL %.0f\n", hb / hr, hr, fb / fr, kb / kr, eb / er, pb / pr
    printf "  bytes per insert                 mentor %.0f heap + indexes, %.0f heap alone (%d rows; target <= 60)   floor and periods 0\n", ib / ir, ih / ir, ir
}'
for t in "${variants[@]}"; do
    echo "  rounds, $t: single-row tps${single[$t]}; 10,000-row ms${bulk[$t]}; insert tps${insert[$t]}"
    echo "  rounds, $t: server CPU us per single-row update${single_cpu[$t]}; per insert${insert_cpu[$t]}"
done

# Growth: the same single-row update, audited and not, with the log already holding N rows of
# 1M distinct keys recorded in earlier months (another table's, so the audited table's own key
# lookups do not change); the figure is the server CPU mentor adds per update.
P -c "CREATE TABLE growth_other (id bigint PRIMARY KEY)" -c "SELECT mentor.enable_history('growth_other')" >/dev/null
gid=$(P -c "SELECT mentor._history_table_id('growth_other')")
have=$(log_rows); first_added=""
echo "  growth (server CPU added per audited single-row update, median of $ROUNDS x ${SECS}s; 1M distinct keys):"
for n in $GROWTH; do
    if [ "$have" -lt "$n" ]; then
        # Earlier months' partitions first (a write makes its own; an INSERT by SQL needs them there).
        P -c "SELECT count(mentor._history_add_partition(m)) FROM generate_series(now() - interval '400 days',
                  now() - interval '400 days' + $n * interval '1 second' + interval '1 month', interval '1 month') m" >/dev/null
        P -c "INSERT INTO mentor.history_log (at, txid, row_id, context_id, table_id, op, changes)
              SELECT now() - interval '400 days' + g * interval '1 second', (1000 + g)::text::xid8,
                     (hashint8(g) & 1048575) + 1, 1, $gid, 'U', '[\"id\",1,2]'
                FROM generate_series($have + 1, $n) g"
        have=$n
    fi
    P -c "VACUUM ANALYZE mentor.history_log" -c "CHECKPOINT" >/dev/null
    gp=""; gm=""
    for round in $(seq 1 "$ROUNDS"); do
        read -r _ c < <(tps "$w/single_plain.sql"); gp="$gp $c"
        read -r _ c < <(tps "$w/single_mentor.sql"); gm="$gm $c"
    done
    added=$(awk -v m="$(med "$gm")" -v p="$(med "$gp")" 'BEGIN { printf "%.1f", m - p }')
    [ -z "$first_added" ] && first_added=$added
    printf '    %9s log rows (%s): +%s us   (%.2fx the first; target at 30M <= 1.15x)   rounds: unaudited%s; mentor%s\n' \
        "$(log_rows)" "$(P -c "SELECT pg_size_pretty(sum(bytes)) FROM mentor.history_partitions")" "$added" \
        "$(awk -v a="$added" -v f="$first_added" 'BEGIN { print (f > 0 ? a / f : 0) }')" "$gp" "$gm"
done
# Retention: prune_history of the ten million or so oldest rows of the growth series, at a
# partition boundary (whole partitions), timed; and whether anything is left to vacuum.
cut=$(P -c "SELECT min(to_at) FROM mentor.history_partitions WHERE to_at >= now() - interval '400 days' + interval '10000000 seconds'
            AND to_at < now() - interval '1 month'")
if [ -n "$cut" ]; then
    older=$(P -c "SELECT count(*) FROM mentor.history_log WHERE at < '$cut'")
    t0=$(date +%s.%N); pruned=$(P -c "SELECT mentor.prune_history('$cut')"); t1=$(date +%s.%N)
    dead=$(P -c "SELECT coalesce(sum(n_dead_tup), 0) FROM pg_stat_user_tables WHERE relid IN (SELECT partition FROM mentor.history_partitions)")
    printf '  retention: prune_history of %s rows older than %s in %.3f s (target: 10M in under 1 s); dead rows left in the log: %s\n' \
        "$pruned" "$cut" "$(echo "$t1 - $t0" | bc)" "$dead"
    [ "$pruned" = "$older" ] || echo "  retention: MISMATCH, $older rows were older than the cutoff"
fi
dropdb $db
