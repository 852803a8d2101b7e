#!/usr/bin/env bash
# Benchmark: pgbench single-row UPDATEs of a status column over 100,000 rows,
# four identical tables: no trigger (baseline), PostgreSQL's own cheapest C
# row trigger (suppress_redundant_updates_trigger: the floor any BEFORE ROW
# trigger pays), mentor.enforce_lifecycle (C), and a PL/pgSQL trigger that
# checks the transition table with a query.
# Each variant runs ROUNDS times, interleaved, and the median tps is reported.
# Runs inside pg_virtualenv (scripts/bench.sh), synchronous_commit = off so the
# figure measures the trigger rather than the disk.
set -euo pipefail
ROUNDS="${ROUNDS:-3}"; SECONDS_PER_RUN="${SECONDS_PER_RUN:-10}"; CLIENTS="${CLIENTS:-2}"
db=mentor_bench
dropdb --if-exists $db >/dev/null 2>&1; createdb $db
psql -X -q -v ON_ERROR_STOP=1 -d $db <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION mentor CASCADE;
CREATE FUNCTION plpgsql_lifecycle() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status IS DISTINCT FROM OLD.status AND NOT EXISTS (
        SELECT 1 FROM mentor.lifecycle_transition_defs t
         WHERE t.lifecycle = TG_ARGV[0] AND t.from_state = OLD.status AND t.to_state = NEW.status) THEN
        RAISE EXCEPTION 'invalid transition from % to %', OLD.status, NEW.status USING ERRCODE = 'MN001';
    END IF;
    RETURN NEW;
END $$;
CREATE TABLE bench_plain (id int PRIMARY KEY, status text NOT NULL, payload text);
INSERT INTO bench_plain SELECT g, 'active', md5(g::text) FROM generate_series(1, 100000) g;
CREATE TABLE bench_c (LIKE bench_plain INCLUDING ALL);
INSERT INTO bench_c SELECT * FROM bench_plain;
CREATE TABLE bench_floor (LIKE bench_plain INCLUDING ALL);
INSERT INTO bench_floor SELECT * FROM bench_plain;
CREATE TRIGGER floor BEFORE UPDATE OF status ON bench_floor
    FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger();
CREATE TABLE bench_plpgsql (LIKE bench_plain INCLUDING ALL);
INSERT INTO bench_plpgsql SELECT * FROM bench_plain;
SELECT mentor.attach_lifecycle('bench_c', 'status', 'workflow_enrollment');
CREATE TRIGGER lifecycle_status BEFORE UPDATE OF status ON bench_plpgsql
    FOR EACH ROW EXECUTE FUNCTION plpgsql_lifecycle('workflow_enrollment');
VACUUM ANALYZE;
SQL

w=$(mktemp -d); trap 'rm -rf "$w"' EXIT
declare -A runs
for round in $(seq 1 "$ROUNDS"); do
    for t in plain floor c plpgsql; do
        cat > $w/single_$t.sql <<SQL
\set id random(1, 100000)
UPDATE bench_$t SET status = CASE status WHEN 'active' THEN 'waiting' ELSE 'active' END WHERE id = :id;
SQL
        tps=$(pgbench -n -M prepared -c "$CLIENTS" -j "$CLIENTS" -T "$SECONDS_PER_RUN" -f $w/single_$t.sql $db 2>/dev/null \
              | sed -nE 's/^tps = ([0-9.]+).*/\1/p')
        runs[$t]="${runs[$t]:-} $tps"
    done
done
# Bulk: one statement updating all 100,000 rows, where the per-row trigger cost dominates.
declare -A bulk
for round in $(seq 1 "$ROUNDS"); do
    for t in plain floor c plpgsql; do
        echo "UPDATE bench_$t SET status = CASE status WHEN 'active' THEN 'waiting' ELSE 'active' END;" > $w/bulk_$t.sql
        ms=$(pgbench -n -t 1 -f $w/bulk_$t.sql $db 2>/dev/null | sed -nE 's/^latency average = ([0-9.]+) ms.*/\1/p')
        bulk[$t]="${bulk[$t]:-} $ms"
    done
done
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
plain=$(echo "${runs[plain]}" | median); fl=$(echo "${runs[floor]}" | median); c=$(echo "${runs[c]}" | median); pl=$(echo "${runs[plpgsql]}" | median)
# Every toggle was a real transition: the C trigger judged them all.
bad=$(psql -X -t -A -d $db -c "SELECT count(*) FROM bench_c WHERE status NOT IN ('active', 'waiting')")
printf 'lifecycle: single-row UPDATE of a status column, 100,000 rows, %s clients, %s x %ss, median tps\n' "$CLIENTS" "$ROUNDS" "$SECONDS_PER_RUN"
printf '  no trigger                 %10.0f tps  (runs:%s)\n' "$plain" "${runs[plain]}"
printf '  any BEFORE ROW trigger     %10.0f tps  (runs:%s)\n' "$fl" "${runs[floor]}"
printf '  enforce_lifecycle (C)      %10.0f tps  (runs:%s)\n' "$c" "${runs[c]}"
printf '  PL/pgSQL + query           %10.0f tps  (runs:%s)\n' "$pl" "${runs[plpgsql]}"
awk -v p="$plain" -v c="$c" -v l="$pl" 'BEGIN { printf "  C / no trigger = %.2fx (target >= 0.90)   C / PL/pgSQL = %.2fx (target >= 2)\n", c / p, c / l }'
bp=$(echo "${bulk[plain]}" | median); bf=$(echo "${bulk[floor]}" | median); bc=$(echo "${bulk[c]}" | median); bl=$(echo "${bulk[plpgsql]}" | median)
awk -v p="$plain" -v f="$fl" -v c="$c" -v l="$pl" 'BEGIN { printf "  cost per update over no trigger: any row trigger %.1f us, C %.1f us, PL/pgSQL %.1f us\n  beyond the row-trigger floor: C %.1f us, PL/pgSQL %.1f us\n", (1/f - 1/p) * 1e6, (1/c - 1/p) * 1e6, (1/l - 1/p) * 1e6, (1/c - 1/f) * 1e6, (1/l - 1/f) * 1e6 }'
printf 'lifecycle: one UPDATE of all 100,000 rows, median of %s\n' "$ROUNDS"
printf '  no trigger %6.0f ms   any row trigger %6.0f ms   enforce_lifecycle (C) %6.0f ms   PL/pgSQL + query %6.0f ms\n' "$bp" "$bf" "$bc" "$bl"
awk -v p="$bp" -v c="$bc" -v l="$bl" 'BEGIN { printf "  C: %.2fx the no-trigger time; PL/pgSQL takes %.2fx the C time\n", c / p, l / c }'
[ "$bad" = 0 ] || echo "  WARNING: $bad rows left the lifecycle"
dropdb $db
