#!/usr/bin/env bash
# `make run` and `make stop` work from a checkout the postgres user cannot
# read: as root, a clone in root's home directory (mode 0700) is such a
# checkout, and the demo cluster then lives under /var/tmp.  The checkout is
# copied (tracked and new files, as a clone would have them) into a fresh
# mode-0700 directory and the two commands are run there, on a port of their
# own.  Runs inside pg_virtualenv (not used); prints TAP.
set -uo pipefail
cd "$(dirname "$0")/../.."
port=54391
home=$(mktemp -d)                       # mode 0700
chmod 0700 "$home"
trap '(cd "$home/mentor" 2>/dev/null && make -s stop PORT=$port >/dev/null 2>&1); rm -rf "$home" /var/tmp/mentor-run-$port /var/tmp/mentor-run-99999' EXIT
mkdir "$home/mentor"
git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$home/mentor" 2>/dev/null
n=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }

if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- test -r "$home/mentor/Makefile"
    [ $? -ne 0 ]; ok $? "the copy in $home (mode 0700) is out of the postgres user's reach"
fi
(cd "$home/mentor" && env -u PGHOST -u PGPORT -u PGUSER -u PGPASSWORD -u PGDATABASE make run PORT=$port) > "$home/run.log" 2>&1
rc=$?
[ $rc -ne 0 ] && tail -n 20 "$home/run.log" | sed 's/^/# /'
ok $rc "make run from that checkout succeeds"
grep -q "the demo database is running" "$home/run.log"; ok $? "it walks through the demo and says how to connect"
connect=$(sed -n 's/^ *connect: *//p' "$home/run.log")
users=$(env -u PGHOST -u PGPORT -u PGUSER -u PGPASSWORD $connect -X -A -t -c 'SELECT count(*) FROM mentor.users' 2>&1)
[ "${users:-0}" -gt 0 ] 2>/dev/null; ok $? "the printed psql command connects to the demo database ($users users): $connect"
(cd "$home/mentor" && make -s stop PORT=$port) > "$home/stop.log" 2>&1
grep -q "stopped the demo cluster" "$home/stop.log"; ok $? "make stop stops it"
# A failure names what failed instead of ending silently.
# (port 99999 cannot be listened on, so the server does not start)
(cd "$home/mentor" && env -u PGHOST -u PGPORT make -s run PORT=99999) > "$home/fail.log" 2>&1
grep -q "make run: failed" "$home/fail.log"; ok $? "a failing make run says what failed: $(grep -m1 'make run: failed' "$home/fail.log")"
echo "1..$n"
