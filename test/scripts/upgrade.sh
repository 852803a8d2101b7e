#!/usr/bin/env bash
# Upgrades from every released version keep every row and end where a fresh
# install is.  For each released version (frozen in src/sql/releases/ with
# its demo data and regression suites in test/upgrade/VERSION/):
#   - a database on that version, served by this build's library, passes
#     that version's own regression outputs;
#   - with its demo data, ALTER EXTENSION mentor UPDATE (under a load of
#     transfers) keeps every row, every balance and every answer of the
#     history readers, ledger_check() stays empty, and the catalog equals a
#     fresh install's, object by object (test/upgrade/catalog.sql);
#   - the comparison itself catches a column the upgrade script forgot.
# Runs inside pg_virtualenv; prints TAP.
set -uo pipefail
cd "$(dirname "$0")/../.."
source scripts/common.sh
current=$(sed -n "s/^default_version *= *'\([^']*\)'.*/\1/p" mentor.control)
w=$(mktemp -d)
# KEEP=1 keeps the work directory (logs, catalogs, diffs) for a look afterwards.
if [ -n "${KEEP:-}" ]; then echo "# work dir $w"; else trap 'rm -rf "$w"' EXIT; fi
q() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }
n=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }
fresh_db() { dropdb --if-exists "$1" >/dev/null 2>&1; createdb "$1"; }

# What must survive an update: the rows of every table (of catalogue tables, the database's own:
# the update may ship new catalogue rows, which the catalog comparison checks), balances, the
# journal, and what the history readers answer about everything before the update.  One line
# per fact; $2 is the moment the update started.  A column the update adds is NULL in every
# old row, so rows are compared without their NULL fields.
facts() {
    q "$1" "SELECT c.relname || ' ' || (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %s %s',
                c.oid::regclass,
                CASE WHEN EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'shipped')
                     THEN 'WHERE NOT shipped'
                     WHEN c.relname = 'history_log' THEN format('WHERE at < %L', '$2') ELSE '' END),
                false, true, '')))[1]::text
              FROM pg_class c WHERE c.relnamespace = 'mentor'::regnamespace AND c.relkind IN ('r', 'p')
               AND NOT c.relispartition AND c.relname <> 'history_contexts' ORDER BY 1"
    q "$1" "SELECT 'balances ' || md5(string_agg(concat_ws('/', a.id, b.posted, b.pending_debits, b.pending_credits), ',' ORDER BY a.id))
              FROM mentor.ledger_accounts a, mentor.balance(a.id) b"
    q "$1" "SELECT 'journal ' || md5(string_agg(concat_ws('/', id, status, amount, debit_account_id, credit_account_id), ',' ORDER BY id))
              FROM mentor.ledger_transfers"
    q "$1" "SELECT 'history ' || md5(string_agg(concat_ws('/', at, table_name, op, row_key, old_row, new_row, actor_id), ','
                                                ORDER BY at, table_name, row_key::text)) FROM mentor.history WHERE at < '$2'"
    q "$1" "SELECT 'row_history ' || md5(string_agg(h::text, ',' ORDER BY u.id, h.at))
              FROM mentor.users u, mentor.row_history('mentor.users', jsonb_build_object('id', u.id)) h"
    q "$1" "SELECT 'table_as_of ' || md5(string_agg(jsonb_strip_nulls(r)::text, ',' ORDER BY r->>'id'))
              FROM mentor.table_as_of('mentor.profiles', '$2') r"
}

for release in src/sql/releases/mentor--*.sql; do
    old=$(basename "$release" .sql); old=${old#mentor--}
    [ "$old" = "$current" ] && continue
    frozen=test/upgrade/$old

    # 1. The old version's own regression suites, on a database still on it.  The suites
    # install the extension themselves (some drop it at their end); in a copy, they name the
    # old version, in their SQL and in the echo of it in their expected output alike.
    rm -rf "$w/frozen"; cp -r "$frozen" "$w/frozen"; mkdir -p "$w/frozen/build/regress"
    sed -i "s/CREATE EXTENSION IF NOT EXISTS mentor CASCADE;/CREATE EXTENSION IF NOT EXISTS mentor VERSION '$old' CASCADE;/" \
        "$w/frozen"/sql/*.sql "$w/frozen"/expected/*.out
    fresh_db mentor_up_regress
    suites=$(cd "$frozen/sql" && ls *.sql | sed 's/\.sql$//' | sort)
    order=$(for s in core identity lifecycle history ledger courses crosscheck teams availability sessions matching security; do
                grep -qx "$s" <<<"$suites" && echo "$s"; done)
    (cd "$w/frozen" && "$("$PG_CONFIG" --pkglibdir)/pgxs/src/test/regress/pg_regress" --use-existing \
        --dbname=mentor_up_regress --inputdir=. --outputdir=build/regress $order) > "$w/regress.log" 2>&1
    rc=$?
    [ $rc -ne 0 ] && head -n 80 "$w/frozen/build/regress/regression.diffs" 2>/dev/null | sed 's/^/# /'
    ok $rc "a database on $old, served by this build's library, passes the $old regression suites ($(echo $order | wc -w) suites)"
    v=$(q mentor_up_regress "SELECT extversion FROM pg_extension WHERE extname = 'mentor'")
    [ "$v" = "$old" ]; ok $? "those suites ran on version $old (found $v)"

    # 2. The old version with its demo data, updated under load.
    fresh_db mentor_up_old
    q mentor_up_old "SET client_min_messages = warning; CREATE EXTENSION mentor VERSION '$old' CASCADE" >/dev/null
    for f in "$frozen"/seed/*.sql; do psql -X -q -v ON_ERROR_STOP=1 -d mentor_up_old -f "$f" >/dev/null || echo "# seed $f failed"; done
    q mentor_up_old "SELECT mentor.grant_promo(u.id, 100000, now() + interval '1 year', gen_random_uuid()) FROM mentor.users u" >/dev/null
    # Open slots one hour apart, so that no booking overlaps another one's time (the load books
    # only these: the demo data's own open slots may clash with its mentees' sessions).
    first_slot=$(( $(q mentor_up_old "SELECT coalesce(max(id), 0) FROM mentor.sessions") + 1 ))
    q mentor_up_old "SELECT count(mentor.publish_slot(p.user_id, tstzrange(date_trunc('hour', now()) + (g * 3 + p.n) * interval '1 hour' + interval '30 days',
                                                                     date_trunc('hour', now()) + (g * 3 + p.n) * interval '1 hour' + interval '30 days 50 minutes')))
                       FROM (SELECT user_id, row_number() OVER (ORDER BY id) - 1 AS n FROM mentor.mentor_profiles ORDER BY id LIMIT 3) p,
                            generate_series(1, 2000) g" >/dev/null
    before_transfers=$(q mentor_up_old "SELECT count(*) FROM mentor.ledger_transfers")
    before_booked=$(q mentor_up_old "SELECT count(*) FROM mentor.sessions WHERE status = 'confirmed'")
    cat > "$w/spend.sql" <<'SQL'
SELECT mentor.spend_tokens(u.id, 1, mentor.system_account('revenue'), gen_random_uuid())
  FROM (SELECT id FROM mentor.users ORDER BY random() LIMIT 1) u;
SQL
    # A mentee books the next open slot nobody else is booking (a mentor never books their own).
    cat > "$w/book.sql" <<'SQL'
SELECT mentor.book_session(s.id, u.id, gen_random_uuid())
  FROM (SELECT id, mentor_id FROM mentor.sessions WHERE status = 'pending' AND mentee_id IS NULL AND id >= :first_slot
         ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED) s
  CROSS JOIN LATERAL (SELECT id FROM mentor.users WHERE id <> s.mentor_id ORDER BY random() LIMIT 1) u;
SQL
    "$PGBIN/pgbench" -n --verbose-errors -c 2 -T 6 -f "$w/spend.sql" mentor_up_old > "$w/spend.log" 2>&1 &
    spend=$!
    "$PGBIN/pgbench" -n --verbose-errors -c 2 -T 6 -D first_slot="$first_slot" -f "$w/book.sql" mentor_up_old > "$w/book.log" 2>&1 &
    book=$!
    sleep 2
    q mentor_up_old "ALTER EXTENSION mentor UPDATE" > "$w/update.log" 2>&1
    rc=$?
    wait $spend $book
    # Under load the update either completes or, chosen as a deadlock's victim, fails as a
    # whole (still on the old version) and succeeds when run again.
    if [ $rc -ne 0 ] && grep -q 'deadlock detected' "$w/update.log" &&
       [ "$(q mentor_up_old "SELECT extversion FROM pg_extension WHERE extname = 'mentor'")" = "$old" ]; then
        echo "# the update was a deadlock's victim and left $old intact; running it again"
        q mentor_up_old "ALTER EXTENSION mentor UPDATE" >> "$w/update.log" 2>&1
        rc=$?
    fi
    [ $rc -ne 0 ] && sed 's/^/# /' "$w/update.log"
    ok $rc "ALTER EXTENSION mentor UPDATE from $old while sessions are booked and tokens spent"
    v=$(q mentor_up_old "SELECT extversion FROM pg_extension WHERE extname = 'mentor'")
    [ "$v" = "$current" ]; ok $? "the database is on $current now (found $v)"
    count() { sed -n "s/^$1: \([0-9]*\).*/\1/p" "$2"; }
    spends=$(count 'number of transactions actually processed' "$w/spend.log")
    bookings=$(count 'number of transactions actually processed' "$w/book.log")
    failed=$(( $(count 'number of failed transactions' "$w/spend.log") + $(count 'number of failed transactions' "$w/book.log") ))
    # A request may lose a deadlock against the update (it is retryable and changed nothing); no other error.
    others=$(grep -h 'ERROR:' "$w/spend.log" "$w/book.log" | grep -vc 'deadlock detected')
    [ "$others" -gt 0 ] && grep -h -A2 'ERROR:' "$w/spend.log" "$w/book.log" | grep -v 'deadlock detected' | head -n 12 | sed 's/^/# /'
    booked=$(( $(q mentor_up_old "SELECT count(*) FROM mentor.sessions WHERE status = 'confirmed'") - before_booked ))
    new_transfers=$(( $(q mentor_up_old "SELECT count(*) FROM mentor.ledger_transfers") - before_transfers ))
    holds=$(q mentor_up_old "SELECT count(*) FROM mentor.sessions s JOIN mentor.ledger_transfers t ON t.id = s.hold_id
                             WHERE s.status = 'confirmed' AND t.status = 'pending'")
    # A spend of one token is one transfer; a booking is one hold (promo tokens suffice); none lost, none doubled.
    [ -n "$spends" ] && [ -n "$bookings" ] && [ "$spends" -gt 0 ] && [ "$bookings" -gt 0 ] && [ "$others" -eq 0 ] &&
        [ "$booked" -eq "$bookings" ] && [ "$new_transfers" -eq $((spends + bookings)) ]
    ok $? "every committed spend and booking of the load is there: $spends spends and $bookings bookings, $booked sessions booked, $new_transfers new transfers ($failed requests lost a deadlock and changed nothing, $others other errors)"
    [ "$holds" -ge "$booked" ]; ok $? "each booked session holds its price ($holds open holds)"
    violations=$(q mentor_up_old "SELECT count(*) FROM mentor.ledger_check()")
    [ "$violations" = 0 ]; ok $? "ledger_check() is empty after the update ($violations violations)"

    # The same demo data without a load: every fact of it is the same across the update.
    fresh_db mentor_up_same
    q mentor_up_same "SET client_min_messages = warning; CREATE EXTENSION mentor VERSION '$old' CASCADE" >/dev/null
    for f in "$frozen"/seed/*.sql; do psql -X -q -v ON_ERROR_STOP=1 -d mentor_up_same -f "$f" >/dev/null; done
    t=$(q mentor_up_same "SELECT clock_timestamp()")
    facts mentor_up_same "$t" > "$w/same_before"
    q mentor_up_same "ALTER EXTENSION mentor UPDATE" >/dev/null
    facts mentor_up_same "$t" > "$w/same_after"
    # Tables the update adds come in empty; every other fact is unchanged.
    diff "$w/same_before" "$w/same_after" | grep -v -E '^> [a-z_]+ 0$' | grep -E '^[<>]' > "$w/facts.diff"
    sed 's/^/# /' "$w/facts.diff" | head -n 20
    [ ! -s "$w/facts.diff" ]
    ok $? "every row count, balance, transfer and history answer is the same after the update ($(wc -l < "$w/same_before") facts; new tables empty)"
    [ "$(wc -l < "$w/same_before")" -gt 40 ]; ok $? "the facts cover every table but history_contexts ($(grep -c . "$w/same_before") lines)"

    # 3. The updated catalog is a fresh install's.
    fresh_db mentor_up_new
    q mentor_up_new "SET client_min_messages = warning; CREATE EXTENSION mentor CASCADE" >/dev/null
    psql -X -q -d mentor_up_same -f test/upgrade/catalog.sql > "$w/cat_updated"
    psql -X -q -d mentor_up_new -f test/upgrade/catalog.sql > "$w/cat_fresh"
    diff "$w/cat_updated" "$w/cat_fresh" | head -n 40 | sed 's/^/# /'
    cmp -s "$w/cat_updated" "$w/cat_fresh"
    ok $? "the catalog updated from $old equals a fresh $current install ($(grep -c '^' "$w/cat_fresh") lines compared)"
    # The comparison is not blind: a column the upgrade script would have missed shows.
    q mentor_up_same "ALTER TABLE mentor.users ADD COLUMN nickname text" >/dev/null
    psql -X -q -d mentor_up_same -f test/upgrade/catalog.sql > "$w/cat_changed"
    ! cmp -s "$w/cat_changed" "$w/cat_fresh" && grep -q 'column mentor.users.nickname' "$w/cat_changed"
    ok $? "the comparison catches a column added by hand (as one missing from the upgrade script would be)"
done

# Bad input: an unknown target version, the upgrade script loaded by hand.
out=$(q mentor_up_new "ALTER EXTENSION mentor UPDATE TO '9.9'" 2>&1)
grep -q "has no update path" <<<"$out"; ok $? "UPDATE TO '9.9' is PostgreSQL's own clear error: ${out#*ERROR:  }"
for script in src/sql/updates/mentor--*--*.sql; do
    out=$(psql -X -d mentor_up_new -f "$script" 2>&1)
    grep -q 'Use "ALTER EXTENSION mentor UPDATE TO' <<<"$out"; ok $? "loading $(basename "$script") by hand stops at its guard"
done
echo "1..$n"
for d in mentor_up_regress mentor_up_old mentor_up_same mentor_up_new; do dropdb --if-exists $d >/dev/null 2>&1; done
