#!/usr/bin/env bash
# `make test`: build with warnings as errors, install, run every suite on a
# throwaway cluster, and end with one line "N passed, M failed".
# Logs of each stage are in build/test/.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
# From clean: PGXS does not track header dependencies, and every object must see -Werror.
make -s PG_CONFIG="$PG_CONFIG" clean >/dev/null 2>&1
export LOGDIR="$PWD/build/test"
export RESULTS="$LOGDIR/results"
rm -rf "$LOGDIR"; mkdir -p "$LOGDIR"; : > "$RESULTS"
source scripts/tally.sh

echo "== build (warnings are errors) and install into PostgreSQL $PGVERSION_MAJOR"
if ! build_and_install WERROR=1 > "$LOGDIR/build.log" 2>&1; then
    cat "$LOGDIR/build.log"
    record build 0 1
    summary; exit 1
fi
grep -v '^make' "$LOGDIR/build.log" || true
VENV_OPTS=(-t -v "$PGVERSION_MAJOR")
[ -n "$(destdir_guc)" ] && VENV_OPTS+=(-o "$(destdir_guc)")

echo "== C unit tests of src/core/"
scripts/unit.sh > "$LOGDIR/unit.tap" 2>&1
tap_record unit "$LOGDIR/unit.tap" $?

echo "== PostgreSQL suites on a throwaway cluster (pg_virtualenv)"
if ! pg_virtualenv "${VENV_OPTS[@]}" bash scripts/suites.sh > "$LOGDIR/suites.log" 2>&1; then
    grep -q . "$RESULTS" || record pg_virtualenv 0 1
fi
grep -vE '^(ok|#) ' "$LOGDIR/suites.log" | grep -vE '^\s*$' | tail -n 60

summary
