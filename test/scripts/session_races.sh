#!/usr/bin/env bash
# Races of the sessions module, with concurrent sessions released together by
# an advisory-lock barrier: 50 mentees booking the same slot (exactly one
# wins, exactly one hold exists), 20 activations of mentorships for a mentor
# with room for 2 (exactly 2 become active), and 20 concurrent completions of
# one session (the mentor is paid exactly once), and 20 staff approvals of
# matches for a mentor with one place (exactly one mentorship), and a proposed
# session accepted and rejected at once (one answer wins).  Runs inside
# pg_virtualenv; TAP.
set -uo pipefail
db=mentor_session_races
dropdb --if-exists $db >/dev/null 2>&1; createdb $db
q() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d $db -c "$1"; }
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT

q "SET client_min_messages = warning; CREATE EXTENSION mentor CASCADE" >/dev/null
q "INSERT INTO mentor.users (email, username, full_name)
   SELECT format('race%s@example.com', g), format('race%s', g), 'Racer' FROM generate_series(0, 50) g;
   INSERT INTO mentor.mentor_profiles (user_id, price_tokens, max_mentees)
   SELECT id, 50, 2 FROM mentor.users WHERE username = 'race0';
   SELECT count(mentor.transfer(gen_random_uuid(), mentor.system_account('external'), mentor.wallet(id), 100, 'purchase'))
     FROM mentor.users WHERE username <> 'race0';" >/dev/null
mentor=$(q "SELECT id FROM mentor.users WHERE username = 'race0'")
slot=$(q "SELECT mentor.publish_slot($mentor, tstzrange(now() + interval '1 day', now() + interval '1 day 1 hour'))")

# race N SQL-TEMPLATE: runs N sessions at once; %i in the template is 1..N. Output in $w/out.i
race() {
    local n=$1 template=$2
    psql -X -q -d $db -c "SELECT pg_advisory_lock(4242)" -c "SELECT pg_sleep(2)" >/dev/null 2>&1 &
    local holder=$!
    sleep 0.5
    for i in $(seq 1 "$n"); do
        psql -X -q -t -A -d $db -c '\set VERBOSITY sqlstate' \
             -c 'DO $$BEGIN PERFORM pg_advisory_lock_shared(4242); PERFORM pg_advisory_unlock_shared(4242); END$$' \
             -c "${template//%i/$i}" > "$w/out.$i" 2>&1 &
    done
    wait
}
echo "1..11"

race 50 "SELECT mentor.book_session($slot, (SELECT id FROM mentor.users WHERE username = 'race%i'), gen_random_uuid())"
wins=$(cat "$w"/out.* | grep -c "^$slot\$"); refused=$(cat "$w"/out.* | grep -c "MN006")
if [ "$wins" = 1 ] && [ "$refused" = 49 ]; then echo "ok 1 - 50 racing bookings of one slot: 1 booked, 49 refused with MN006"
else echo "not ok 1 - 50 racing bookings of one slot: $wins booked, $refused refused"; cat "$w"/out.* | sort | uniq -c | sed 's/^/# /'; fi
holds=$(q "SELECT count(*) FROM mentor.ledger_transfers WHERE kind = 'hold' AND reference = 'session $slot'")
booked=$(q "SELECT status || '/' || (mentee_id IS NOT NULL) FROM mentor.sessions WHERE id = $slot")
if [ "$holds" = 1 ] && [ "$booked" = "confirmed/true" ]; then echo "ok 2 - exactly one hold exists and the session is confirmed"
else echo "not ok 2 - exactly one hold ($holds) and the session confirmed ($booked)"; fi

q "INSERT INTO mentor.mentorships (mentor_id, mentee_id)
   SELECT $mentor, id FROM mentor.users WHERE username <> 'race0' ORDER BY id LIMIT 20" >/dev/null
rm -f "$w"/out.*
race 20 "UPDATE mentor.mentorships SET status = 'active' WHERE mentor_id = $mentor AND mentee_id = (SELECT id FROM mentor.users WHERE username = 'race%i')"
active=$(q "SELECT count(*) FROM mentor.mentorships WHERE mentor_id = $mentor AND status = 'active'")
counted=$(q "SELECT active_mentees FROM mentor.mentor_profiles WHERE user_id = $mentor")
refused=$(cat "$w"/out.* | grep -c "MN004")
if [ "$active" = 2 ] && [ "$refused" = 18 ]; then echo "ok 3 - 20 racing activations for a capacity of 2: 2 active, 18 refused with MN004"
else echo "not ok 3 - 20 racing activations: $active active, $refused refused"; cat "$w"/out.* | sort | uniq -c | sed 's/^/# /'; fi
if [ "$counted" = 2 ]; then echo "ok 4 - the profile counts 2 active mentees"; else echo "not ok 4 - active_mentees is $counted"; fi

# The booked session takes place (time passes), then 20 completions race.
q "UPDATE mentor.sessions SET during = tstzrange(now() - interval '2 hours', now() - interval '1 hour') WHERE id = $slot" >/dev/null
rm -f "$w"/out.*
race 20 "SELECT mentor.complete_session($slot)"
firsts=$(cat "$w"/out.* | grep -c "^t$"); repeats=$(cat "$w"/out.* | grep -c "^f$")
earned=$(q "SELECT (mentor.balance(mentor.earnings_account($mentor))).posted")
if [ "$firsts" = 1 ] && [ "$repeats" = 19 ]; then echo "ok 5 - 20 racing completions: one completed it, 19 found it done"
else echo "not ok 5 - 20 racing completions: $firsts completed, $repeats found it done"; cat "$w"/out.* | sort | uniq -c | sed 's/^/# /'; fi
if [ "$earned" = 40 ]; then echo "ok 6 - the mentor was paid once: 40 of the 50 tokens (20% fee)"
else echo "not ok 6 - the mentor was paid once: earnings are $earned"; fi
violations=$(q "SELECT count(*) FROM mentor.ledger_check()")
if [ "$violations" = 0 ]; then echo "ok 7 - the ledger balances"; else echo "not ok 7 - ledger_check found $violations problems"; fi
# 20 matches for a mentor with one free place, approved by staff at once.
q "INSERT INTO mentor.users (email, username, full_name, role) VALUES
     ('race_m2@example.com', 'race_m2', 'Racer mentor', 'mentor'), ('race_admin@example.com', 'race_admin', 'Racer admin', 'admin');
   INSERT INTO mentor.mentor_profiles (user_id, max_mentees) SELECT id, 1 FROM mentor.users WHERE username = 'race_m2';
   INSERT INTO mentor.matches (mentor_id, mentee_id, method)
   SELECT (SELECT id FROM mentor.users WHERE username = 'race_m2'), r.id, 'manual'
     FROM mentor.users r WHERE r.username ~ '^race[0-9]+$' AND r.username <> 'race0' ORDER BY r.id LIMIT 20" >/dev/null
race 20 "SELECT mentor.set_actor((SELECT id FROM mentor.users WHERE username = 'race_admin')) IS NOT NULL;
         SELECT mentor.approve_match(m.id) FROM mentor.matches m JOIN mentor.users u ON u.id = m.mentee_id
          WHERE u.username = 'race%i' AND m.method = 'manual'"
refused=$(cat "$w"/out.* | grep -c "MN004")
approved=$(q "SELECT count(*) FROM mentor.matches WHERE status = 'approved'")
active=$(q "SELECT count(*) FROM mentor.mentorships m JOIN mentor.users u ON u.id = m.mentor_id WHERE u.username = 'race_m2' AND m.status = 'active'")
if [ "$approved" = 1 ] && [ "$active" = 1 ] && [ "$refused" = 19 ]; then
    echo "ok 8 - 20 racing approve_match for a mentor with one place: 1 approved, 19 refused with MN004"
else echo "not ok 8 - 20 racing approve_match: $approved approved, $active active, $refused refused"; cat "$w"/out.* | sort | uniq -c | sed 's/^/# /'; fi
pending=$(q "SELECT count(*) FROM mentor.matches WHERE status = 'pending' AND mentorship_id IS NULL")
if [ "$pending" = 19 ]; then echo "ok 9 - the 19 refused matches are still pending, with no mentorship"
else echo "not ok 9 - $pending matches still pending"; fi

# A proposed session answered twice at once, accept and reject: one answer wins
# (10 rounds).  An accepted one holds its price once, a rejected one holds nothing.
ms=$(q "SELECT id || ' ' || mentee_id FROM mentor.mentorships WHERE mentor_id = $mentor AND status = 'active' ORDER BY id LIMIT 1")
mentee=${ms#* }; ms=${ms% *}
q "SELECT count(mentor.transfer(gen_random_uuid(), mentor.system_account('external'), mentor.wallet($mentee), 1000, 'purchase'))" >/dev/null
good=0
for round in $(seq 1 10); do
    sid=$(q "BEGIN; SELECT mentor.set_actor($mentor) IS NULL;
             SELECT mentor.propose_session($ms, tstzrange(date_trunc('hour', now()) + interval '3 days' + $round * interval '2 hours',
                                                          date_trunc('hour', now()) + interval '3 days 1 hour' + $round * interval '2 hours'));
             COMMIT;" | tail -n 1)
    rm -f "$w"/out.*
    race 2 "SELECT mentor.set_actor($mentee) IS NULL; SELECT mentor.respond_proposal($sid, %i = 1)"
    wins=$(cat "$w"/out.* | grep -c "^$sid\$"); refused=$(cat "$w"/out.* | grep -c "MN006")
    state=$(q "SELECT s.status || '/' || (SELECT count(*) FROM mentor.ledger_transfers t WHERE t.reference = 'session ' || s.id AND t.kind = 'hold')
                 FROM mentor.sessions s WHERE s.id = $sid")
    if [ "$wins" = 1 ] && [ "$refused" = 1 ] && { [ "$state" = "confirmed/1" ] || [ "$state" = "rejected/0" ]; }; then
        good=$((good + 1))
    else
        echo "# round $round: $wins won, $refused refused, session $state"; cat "$w"/out.* | sed 's/^/# /'
    fi
done
if [ "$good" = 10 ]; then echo "ok 10 - racing respond_proposal accept and reject, 10 rounds: one answer wins each time, the other gets MN006"
else echo "not ok 10 - racing respond_proposal: $good of 10 rounds had exactly one winner"; fi
outcomes=$(q "SELECT count(DISTINCT status) FROM mentor.sessions WHERE mentor_id = $mentor AND proposed_by = $mentor")
violations=$(q "SELECT count(*) FROM mentor.ledger_check()")
if [ "$violations" = 0 ]; then echo "ok 11 - the ledger balances after the proposals ($outcomes distinct outcomes)"
else echo "not ok 11 - ledger_check found $violations problems"; fi
dropdb $db
