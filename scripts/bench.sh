#!/usr/bin/env bash
# `make bench`: builds, installs and runs every benchmark in test/bench/ on a
# throwaway cluster.  Figures go to build/bench/*.txt, to stdout, and as a
# dated entry (newest first) into docs/performance.md; the README's
# Performance section summarises them.
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

# The day's figures go to the top of the log, below its marker line.
entry=$(mktemp)
{
    echo "## $(date -u +%Y-%m-%d): make bench${BENCH:+ BENCH=$BENCH} ($(nproc) cores, PostgreSQL $PGVERSION_MAJOR, commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown))"
    echo
    for b in test/bench/${BENCH:-*}.sh; do
        name=$(basename "$b" .sh)
        echo "### $name"
        echo
        echo '```'
        grep -v -e "^Creating new PostgreSQL cluster" -e "^Dropping cluster" "build/bench/$name.txt"
        echo '```'
        echo
    done
} > "$entry"
marker='<!-- make bench adds new entries below this line -->'
awk -v marker="$marker" -v entry="$entry" '
    { print }
    $0 == marker { print ""; while ((getline line < entry) > 0) print line }' docs/performance.md > "$entry.log"
mv "$entry.log" docs/performance.md
rm -f "$entry"
echo "== figures added to docs/performance.md"
