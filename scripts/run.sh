#!/usr/bin/env bash
# `make run`: build, install, start a throwaway cluster, load the demo data and
# walk through the main flows.  PORT=54329 by default; `make stop` stops it.
set -Eeuo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
report_failures "make run"
source scripts/cluster.sh

echo "== building and installing mentor into PostgreSQL $PGVERSION_MAJOR"
build_and_install

if [ ! -f "$DATA/PG_VERSION" ]; then
    echo "== creating a throwaway cluster in $DATA (port $PORT)"
    as_owner mkdir -p "$DATA"
    as_owner "$PGBIN/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 >/dev/null
    echo "$DATA" > "$RUN/datadir"
fi
if ! as_owner "$PGBIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
    echo "== starting it (Unix socket only, in $SOCK)"
    as_owner "$PGBIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w \
        -o "-p $PORT -k $SOCK -c listen_addresses='' ${EXTENSION_DESTDIR:+-c extension_destdir=$EXTENSION_DESTDIR}" start >/dev/null
fi

PSQL=("$PGBIN/psql" -X -q -h "$SOCK" -p "$PORT" -U postgres -v ON_ERROR_STOP=1)
"${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS mentor_demo" -c "CREATE DATABASE mentor_demo" \
    -c "ALTER DATABASE mentor_demo SET search_path = public, mentor" >/dev/null
echo "== loading demo data"
for f in demo/seed/*.sql; do "${PSQL[@]}" -d mentor_demo -f "$f"; done
echo
for f in demo/walkthrough/*.sql; do "${PSQL[@]}" -d mentor_demo -P pager=off -P footer=off -f "$f"; done

cat <<MSG

== the demo database is running
   connect:  psql -h $SOCK -p $PORT -U postgres mentor_demo
   stop:     make stop
MSG
