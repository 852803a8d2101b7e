#!/usr/bin/env bash
# Runs inside pg_virtualenv (PGHOST, PGPORT, PGUSER set for a throwaway
# cluster): pg_regress suites, isolation suites, pgTAP suites and the
# concurrency scripts, recording counts for scripts/test.sh.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
source scripts/tally.sh

# run_pg_regress NAME TITLE MAKE-ARGS...: one PGXS installcheck pass (regress or isolation).
run_pg_regress() {
    local name=$1 title=$2 rc; shift 2
    echo "== $title"
    make -s PG_CONFIG="$PG_CONFIG" installcheck "$@" > "$LOGDIR/$name.log" 2>&1
    rc=$?
    grep -E '\.\.\. ' "$LOGDIR/$name.log"
    [ $rc -ne 0 ] && [ -f "build/$name/regression.diffs" ] && head -n 150 "build/$name/regression.diffs"
    regress_record "$name" "$LOGDIR/$name.log" $rc
}
mkdir -p build/regress build/isolation
run_pg_regress regress "pg_regress suites (sql/, expected/)" ISOLATION=
run_pg_regress isolation "isolation suites (specs/)" REGRESS=

echo "== pgTAP suites (test/pgtap/)"
dropdb --if-exists mentor_tap >/dev/null 2>&1
createdb mentor_tap && psql -X -q -d mentor_tap -c 'CREATE EXTENSION pgtap' >/dev/null
pg_prove --verbose -d mentor_tap test/pgtap/*.sql > "$LOGDIR/pgtap.tap" 2>&1
rc=$?
tail -n 3 "$LOGDIR/pgtap.tap"
tap_record pgtap "$LOGDIR/pgtap.tap" $rc

for t in test/scripts/*.sh; do
    [ -e "$t" ] || continue
    name=$(basename "$t" .sh)
    echo "== $name"
    bash "$t" > "$LOGDIR/$name.tap" 2>&1
    rc=$?
    tail -n 2 "$LOGDIR/$name.tap"
    tap_record "$name" "$LOGDIR/$name.tap" $rc
done
