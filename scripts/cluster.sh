#!/usr/bin/env bash
# Shared by run.sh and stop.sh: where the throwaway `make run` cluster lives
# and how to run commands as its owner.  As root the cluster belongs to the
# postgres user (initdb refuses root); if postgres cannot reach ./.run (a
# checkout under /root, say), the data directory goes to /var/tmp instead and
# ./.run/datadir remembers where.
RUN="$PWD/.run"
PORT="${PORT:-54329}"
mkdir -p "$RUN"
if [ "$(id -u)" -eq 0 ]; then
    OWNER=postgres
    as_owner() { runuser -u postgres -- "$@"; }
else
    OWNER="$(id -un)"
    as_owner() { "$@"; }
fi
if [ -f "$RUN/datadir" ]; then
    DATA="$(cat "$RUN/datadir")"
elif as_owner test -w "$RUN" 2>/dev/null || { [ "$OWNER" = postgres ] && chown postgres "$RUN" 2>/dev/null && as_owner test -w "$RUN"; }; then
    DATA="$RUN/data"
else
    DATA="/var/tmp/mentor-run-$PORT"
fi
SOCK="$(dirname "$DATA")"
# (an if, not `[ ] &&`: this file is sourced under set -e, and a false last test would end the caller)
if [ "$DATA" = "$RUN/data" ]; then SOCK="$RUN"; fi
