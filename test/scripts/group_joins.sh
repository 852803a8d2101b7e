#!/usr/bin/env bash
# Support groups under concurrency: 20 sessions join one group at the same
# moment (released together by an advisory-lock barrier): member_count ends
# at 20, the number of memberships; 20 more join a group with 5 places:
# exactly 5 join, 15 get MN004, and its count is 5.  Runs inside
# pg_virtualenv; TAP.
set -uo pipefail
db=mentor_group_joins
dropdb --if-exists $db >/dev/null 2>&1; createdb $db
q() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d $db -c "$1"; }
w=$(mktemp -d); trap 'rm -rf "$w"; dropdb --if-exists $db >/dev/null 2>&1' EXIT
q "SET client_min_messages = warning; CREATE EXTENSION mentor CASCADE" >/dev/null
q "INSERT INTO mentor.users (email, username, full_name) SELECT format('gj%s@example.com', g), format('gj%s', g), 'Joiner' FROM generate_series(1, 20) g;
   INSERT INTO mentor.support_groups (name) VALUES ('open');
   INSERT INTO mentor.support_groups (name, capacity) VALUES ('five places', 5);" >/dev/null

race() {   # race GROUP-NAME: 20 sessions join it at once; their outputs in $w/out.i
    psql -X -q -d $db -c "SELECT pg_advisory_lock(4243)" -c "SELECT pg_sleep(2)" >/dev/null 2>&1 &
    local holder=$!
    sleep 0.5
    for i in $(seq 1 20); do
        psql -X -q -t -A -d $db -c '\set VERBOSITY sqlstate' \
             -c 'DO $$BEGIN PERFORM pg_advisory_lock_shared(4243); PERFORM pg_advisory_unlock_shared(4243); END$$' \
             -c "INSERT INTO mentor.group_memberships (group_id, user_id)
                 SELECT g.id, u.id FROM mentor.support_groups g, mentor.users u WHERE g.name = '$1' AND u.username = 'gj$i'" > "$w/out.$i" 2>&1 &
    done
    wait
}
echo "1..3"
race open
counts=$(q "SELECT member_count || '/' || (SELECT count(*) FROM mentor.group_memberships m WHERE m.group_id = g.id) FROM mentor.support_groups g WHERE name = 'open'")
if [ "$counts" = "20/20" ]; then echo "ok 1 - 20 racing joins: member_count 20, 20 memberships"
else echo "not ok 1 - 20 racing joins: member_count and memberships 20/20 (got $counts)"; fi
race 'five places'
full=$(cat "$w"/out.* | grep -c "MN004" || true)
counts=$(q "SELECT member_count || '/' || (SELECT count(*) FROM mentor.group_memberships m WHERE m.group_id = g.id) FROM mentor.support_groups g WHERE name = 'five places'")
if [ "$counts" = "5/5" ]; then echo "ok 2 - 20 racing joins of a group with 5 places: exactly 5 members, counted 5"
else echo "not ok 2 - 20 racing joins of a group with 5 places: 5/5 (got $counts)"; fi
if [ "$full" = 15 ]; then echo "ok 3 - the other 15 were refused with MN004"
else echo "not ok 3 - the other 15 were refused with MN004 (got $full)"; cat "$w"/out.* | sort | uniq -c | sed 's/^/# /'; fi
