#!/usr/bin/env bash
# Benchmark: what history auditing costs.  Three identical 10-column tables of
# ROWS rows: unaudited, audited by mentor.enable_history, and audited by the
# minimal PL/pgSQL trigger of history_plpgsql_baseline.sql.  pgbench -M
# prepared, CLIENTS clients, ROUNDS interleaved runs per variant, medians.
# Runs inside pg_virtualenv (scripts/bench.sh).
set -euo pipefail
ROWS="${ROWS:-1000000}"; ROUNDS="${ROUNDS:-3}"; SECS="${SECS:-10}"; CLIENTS="${CLIENTS:-2}"
here="$(cd "$(dirname "$0")" && pwd)"
db=mentor_bench_history
dropdb --if-exists $db >/dev/null 2>&1; createdb $db
P() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d $db "$@"; }

P -c "SET client_min_messages = warning; CREATE EXTENSION mentor CASCADE" >/dev/null
P -f "$here/history_plpgsql_baseline.sql" >/dev/null
variants=(plain mentor plpgsql)
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
        out=$(pgbench -n -M prepared -c "$CLIENTS" -j "$CLIENTS" -T "$SECS" -f "$1" $db 2>/dev/null); sleep 0.3
        n=$(echo "$out" | sed -nE 's/^number of transactions actually processed: ([0-9]+).*/\1/p')
        awk -v tps="$(echo "$out" | sed -nE 's/^tps = ([0-9.]+).*/\1/p')" -v d=$(($(server_ticks) - c0)) \
            -v hz="$(getconf CLK_TCK)" -v n="$n" 'BEGIN { printf "%s %.1f\n", tps, d * 1e6 / hz / n }'; }
lat() { P -c "VACUUM" >/dev/null
        pgbench -n -M prepared -c 1 -t "$2" -f "$1" $db 2>/dev/null | sed -nE 's/^latency average = ([0-9.]+) ms.*/\1/p'; }
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT
declare -A single bulk insert single_cpu insert_cpu
for t in "${variants[@]}"; do
    printf '%s\n' "\\set id random(1, $ROWS)" "UPDATE up_$t SET score = score + 1 WHERE id = :id;" > "$w/single_$t.sql"
    printf '%s\n' "\\set s random(1, $ROWS - 10000)" "UPDATE up_$t SET level = level + 1 WHERE id BETWEEN :s AND :s + 9999;" > "$w/bulk_$t.sql"
    printf '%s\n' "INSERT INTO ins_$t (name, email, score, level, balance, active, city, seen) VALUES ('new user', 'new@example.com', 1, 2, 3.5, true, 'Berlin', now());" > "$w/insert_$t.sql"
done

log_bytes() { P -c "SELECT pg_total_relation_size('mentor.history_log')"; }
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
for round in $(seq 1 "$ROUNDS"); do
    for t in $(order "$round"); do bulk[$t]="${bulk[$t]:-} $(lat "$w/bulk_$t.sql" 5)"; done
done
for round in $(seq 1 "$ROUNDS"); do
    for t in $(order "$round"); do
        read -r r c < <(tps "$w/insert_$t.sql"); insert[$t]="${insert[$t]:-} $r"; insert_cpu[$t]="${insert_cpu[$t]:-} $c"
    done
done

sp=$(echo "${single[plain]}" | median); sm=$(echo "${single[mentor]}" | median); sl=$(echo "${single[plpgsql]}" | median)
bp=$(echo "${bulk[plain]}" | median); bm=$(echo "${bulk[mentor]}" | median); bl=$(echo "${bulk[plpgsql]}" | median)
ip=$(echo "${insert[plain]}" | median); im=$(echo "${insert[mentor]}" | median); il=$(echo "${insert[plpgsql]}" | median)
scp=$(echo "${single_cpu[plain]}" | median); scm=$(echo "${single_cpu[mentor]}" | median); scl=$(echo "${single_cpu[plpgsql]}" | median)
icp=$(echo "${insert_cpu[plain]}" | median); icm=$(echo "${insert_cpu[mentor]}" | median); icl=$(echo "${insert_cpu[plpgsql]}" | median)
printf 'history: %s-row, 10-column tables, %s clients, median of %s x %ss (pgbench -M prepared)\n' "$ROWS" "$CLIENTS" "$ROUNDS" "$SECS"
printf '  single-row UPDATE   unaudited %8.0f tps   mentor %8.0f tps   PL/pgSQL %8.0f tps\n' "$sp" "$sm" "$sl"
printf '  10,000-row UPDATE   unaudited %8.1f ms    mentor %8.1f ms    PL/pgSQL %8.1f ms\n' "$bp" "$bm" "$bl"
printf '  INSERT              unaudited %8.0f tps   mentor %8.0f tps   PL/pgSQL %8.0f tps\n' "$ip" "$im" "$il"
printf '  server CPU per transaction, single-row UPDATE: unaudited %.1f us   mentor %.1f us   PL/pgSQL %.1f us\n' "$scp" "$scm" "$scl"
printf '  server CPU per transaction, INSERT:            unaudited %.1f us   mentor %.1f us   PL/pgSQL %.1f us\n' "$icp" "$icm" "$icl"
awk -v sp="$sp" -v sm="$sm" -v sl="$sl" -v bp="$bp" -v bm="$bm" -v bl="$bl" -v ip="$ip" -v im="$im" -v il="$il" \
    -v hb=$((bytes_after - bytes_before)) -v hr=$((rows_after - rows_before)) -v pb="$pl_bytes" -v pr="$pl_rows" \
    -v scp="$scp" -v scm="$scm" -v icp="$icp" -v icm="$icm" 'BEGIN {
    printf "  single-row UPDATE audited/unaudited  %.2fx (target >= 0.85)   vs PL/pgSQL %.2fx (target >= 2)\n", sm / sp, sm / sl
    printf "  10,000-row UPDATE per-row time       %.2fx unaudited (target <= 2)   PL/pgSQL %.2fx\n", bm / bp, bl / bp
    printf "  INSERT audited/unaudited             %.2fx (target >= 0.85)   vs PL/pgSQL %.2fx\n", im / ip, im / il
    printf "  server CPU added by auditing         single-row UPDATE +%.1f us (%.2fx)   INSERT +%.1f us (%.2fx)\n", scm - scp, scm / scp, icm - icp, icm / icp
    printf "  bytes per one-column update          mentor %.0f (heap + indexes, %d rows; target <= 120)   PL/pgSQL %.0f\n", hb / hr, hr, pb / pr
}'
for t in "${variants[@]}"; do
    echo "  rounds, $t: single-row tps${single[$t]}; 10,000-row ms${bulk[$t]}; insert tps${insert[$t]}"
    echo "  rounds, $t: server CPU us per single-row update${single_cpu[$t]}; per insert${insert_cpu[$t]}"
done
dropdb $db
