#!/usr/bin/env bash
# Runs inside pg_virtualenv (PGHOST, PGPORT, PGUSER set for a throwaway
# cluster): pg_regress suites, isolation suites, pgTAP suites and the
# concurrency scripts, recording counts for scripts/test.sh.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
source scripts/tally.sh

echo "== pg_regress suites (sql/, expected/)"
make -s PG_CONFIG="$PG_CONFIG" installcheck ISOLATION= > "$LOGDIR/regress.log" 2>&1
rc=$?
cat "$LOGDIR/regress.log" | grep -E '\.\.\. '
[ $rc -ne 0 ] && [ -f build/regress/regression.diffs ] && head -n 150 build/regress/regression.diffs
regress_record pg_regress "$LOGDIR/regress.log" $rc

echo "== isolation suites (specs/)"
make -s PG_CONFIG="$PG_CONFIG" installcheck REGRESS= > "$LOGDIR/isolation.log" 2>&1
rc=$?
cat "$LOGDIR/isolation.log" | grep -E '\.\.\. '
[ $rc -ne 0 ] && [ -f build/isolation/regression.diffs ] && head -n 150 build/isolation/regression.diffs
regress_record isolation "$LOGDIR/isolation.log" $rc

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
