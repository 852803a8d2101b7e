#!/usr/bin/env bash
# `make bench`: builds, installs and runs every benchmark in test/bench/ on a
# throwaway cluster.  Figures go to build/bench/*.txt and to stdout; the
# README's Performance section quotes them.
set -Eeuo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
report_failures "make bench"
build_and_install
VENV_OPTS=(-t -v "$PGVERSION_MAJOR" -o synchronous_commit=off -o shared_buffers=512MB)
[ -n "$(destdir_guc)" ] && VENV_OPTS+=(-o "$(destdir_guc)")
mkdir -p build/bench
for b in test/bench/${BENCH:-*}.sh; do
    echo "== $(basename "$b" .sh)"
    pg_virtualenv "${VENV_OPTS[@]}" bash "$b" 2>/dev/null \
        | tee "build/bench/$(basename "$b" .sh).txt"
done
