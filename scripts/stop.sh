#!/usr/bin/env bash
# `make stop`: stops the `make run` cluster; the next `make run` starts it again with fresh demo data.
set -Eeuo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
report_failures "make stop"
source scripts/cluster.sh
if [ -f "$DATA/PG_VERSION" ] && as_owner "$PGBIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
    as_owner "$PGBIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null
    echo "stopped the demo cluster in $DATA"
else
    echo "no demo cluster is running"
fi
