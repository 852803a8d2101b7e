#!/usr/bin/env bash
# A hot standby of the throwaway cluster (pg_basebackup -R, started on its
# own socket): once it has replayed the primary's WAL, every read function
# and view answers on it exactly as on the primary, and every write is
# PostgreSQL's 25006.  The primary holds the demo data of `make run`.  Runs
# inside pg_virtualenv; TAP.
set -uo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
db=mentor_standby
w=$(mktemp -d); chmod 755 "$w"
bin=$(pg_config --bindir)
# The server refuses to run as root: the standby runs as the cluster's owner.
as_owner=()
if [ "$(id -u)" -eq 0 ]; then
    owner=$(stat -c %U "$(psql -X -q -t -A -d postgres -c 'SHOW data_directory')")
    as_owner=(runuser -u "$owner" --)
    chown "$owner" "$w"
fi
port=$((PGPORT + 17))
standby="$w/standby"
cleanup() {
    "${as_owner[@]}" "$bin/pg_ctl" -D "$standby" -m immediate stop >/dev/null 2>&1
    dropdb --if-exists $db >/dev/null 2>&1
    rm -rf "$w"
}
trap cleanup EXIT
P() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d $db "$@"; }
S() { psql -X -q -t -A -h "$w" -p $port -d $db "$@"; }

dropdb --if-exists $db >/dev/null 2>&1; createdb $db
psql -X -q -d $db -c "ALTER DATABASE $db SET search_path = public, mentor" >/dev/null
P -c "SET client_min_messages = warning; CREATE EXTENSION mentor CASCADE" >/dev/null
for f in "$here"/demo/seed/*.sql; do P -f "$f" >/dev/null 2>&1 || echo "# loading $(basename "$f") failed"; done
for f in "$here"/demo/walkthrough/*.sql; do P -f "$f" >/dev/null 2>&1; done

# Debian's clusters (pg_virtualenv's too) keep their configuration outside the
# data directory, so the copy gets its own: hot standby, and local trust on its
# private socket directory.
destdir=$(psql -X -q -t -A -d postgres -c "SELECT setting FROM pg_settings WHERE name = 'extension_destdir'")
configure() {
    [ -f "$standby/postgresql.conf" ] || echo "hot_standby = on" > "$standby/postgresql.conf"
    echo "local all all trust" > "$standby/pg_hba.conf"
    : > "$standby/pg_ident.conf"
    [ ${#as_owner[@]} -gt 0 ] && chown "$owner" "$standby"/postgresql.conf "$standby"/pg_hba.conf "$standby"/pg_ident.conf
    return 0
}
echo "1..6"
if "${as_owner[@]}" env PGPASSWORD="${PGPASSWORD:-}" "$bin/pg_basebackup" -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" \
       -D "$standby" -R -X stream -c fast > "$w/basebackup.log" 2>&1 \
   && configure \
   && "${as_owner[@]}" "$bin/pg_ctl" -D "$standby" -w -l "$w/standby.log" \
       -o "-p $port -k $w -c listen_addresses='' -c hot_standby=on -c config_file=$standby/postgresql.conf -c hba_file=$standby/pg_hba.conf -c ident_file=$standby/pg_ident.conf -c data_directory=$standby ${destdir:+-c extension_destdir=$destdir}" start >/dev/null 2>&1; then
    echo "ok 1 - a hot standby made by pg_basebackup -R runs"
else
    echo "not ok 1 - a hot standby made by pg_basebackup -R runs"
    sed 's/^/# /' "$w/basebackup.log" "$w/standby.log" 2>/dev/null | tail -n 20
    exit 1
fi
target=$(P -c "SELECT pg_current_wal_lsn()")
caught=f
for _ in $(seq 1 200); do
    caught=$(S -c "SELECT pg_is_in_recovery() AND pg_last_wal_replay_lsn() >= '$target'" 2>/dev/null)
    [ "$caught" = t ] && break
    sleep 0.1
done
if [ "$caught" = t ]; then echo "ok 2 - it is in recovery and has replayed the primary's WAL"
else echo "not ok 2 - it is in recovery and has replayed the primary's WAL"; fi

# The reads, each answered in full on both sides.  Times come from the
# primary once, so that as-of reads ask both for the same moment.
at=$(P -c "SELECT now()")
queries=(
    "SELECT * FROM mentor.ledger_check()"
    "SELECT account_id, at, transfer_id, kind, amount, balance, version FROM mentor.ledger_statement ORDER BY 1, 2, 3"
    "SELECT id, (mentor.balance(id)).* FROM mentor.ledger_accounts ORDER BY id"
    "SELECT id, mentor.balance_at(id, '$at') FROM mentor.ledger_accounts ORDER BY id"
    "SELECT id, mentor.wallet(id), mentor.system_account('revenue') FROM mentor.users ORDER BY id"
    "SELECT at, txid, actor_id, table_name, op, row_key, old_row, new_row FROM mentor.history ORDER BY at, table_name, row_key::text"
    "SELECT * FROM mentor.table_as_of('mentor.profiles', '$at') t ORDER BY 1"
    "SELECT u.id, mentor.row_history('mentor.users', jsonb_build_object('id', u.id)) FROM mentor.users u ORDER BY 1"
    "SELECT * FROM mentor.lifecycles ORDER BY 1, 2"
    "SELECT * FROM mentor.lifecycle_transitions ORDER BY 1, 2, 3"
    "SELECT * FROM mentor.course_leaderboard ORDER BY 1, 2, 3"
    "SELECT * FROM mentor.crosscheck_progress ORDER BY 1"
    "SELECT ct.id, r.* FROM mentor.course_tasks ct, mentor.crosscheck_report(ct.id) r ORDER BY 1"
    "SELECT ct.id, f.* FROM mentor.course_tasks ct, mentor.crosscheck_reviewer_flags(ct.id) f WHERE ct.checker = 'crosscheck' ORDER BY 1, 2, 3"
    "SELECT d.id, r.* FROM mentor.team_distributions d, mentor.team_distribution_report(d.id) r ORDER BY 1"
    "SELECT u.id, mentor.visible_profile(NULL, u.id) FROM mentor.users u ORDER BY 1"
    "SELECT u.id, s.* FROM mentor.users u, mentor.suggest_mentors(u.id) s WHERE u.role IN ('user', 'mentee') ORDER BY 1, 3 DESC, 2"
    "SELECT * FROM mentor.match_cohort(ARRAY(SELECT id FROM mentor.users WHERE role IN ('user', 'mentee')))"
    "SELECT * FROM mentor.match_cohort(ARRAY(SELECT id FROM mentor.users WHERE role IN ('user', 'mentee')), method => 'stable')"
    "SELECT id, status, during, starts_at, ends_at FROM mentor.sessions ORDER BY id"
    "SELECT key, mentor.setting(key) FROM mentor.settings ORDER BY 1"
)
same=0; differ=(); empty=0
for qry in "${queries[@]}"; do
    a=$(P -c "$qry" 2>&1); b=$(S -c "$qry" 2>&1)
    if [ "$a" = "$b" ]; then same=$((same + 1)); [ -z "$a" ] && empty=$((empty + 1))
    else differ+=("$qry"); printf '# primary: %s\n# standby: %s\n' "${a:0:300}" "${b:0:300}"; fi
done
if [ ${#differ[@]} -eq 0 ]; then
    echo "ok 3 - all ${#queries[@]} reads (ledger, history as of a time, lifecycles, course school reports, matching, profiles) answer the same on the standby ($empty of them empty on both)"
else
    echo "not ok 3 - every read answers the same on the standby (${#differ[@]} differ)"
    for d in "${differ[@]}"; do echo "#   $d"; done
fi
rows=$(P -c "SELECT (SELECT count(*) FROM mentor.history_log) > 0 AND (SELECT count(*) FROM mentor.ledger_transfers) > 0 AND (SELECT count(*) FROM mentor.sessions) > 0")
if [ "$rows" = t ]; then echo "ok 4 - the compared data is not empty: history, transfers and sessions are there"
else echo "not ok 4 - the compared data is not empty"; fi

# Writes: the extension's functions and plain SQL alike are PostgreSQL's 25006.
u=$(P -c "SELECT owner_id FROM mentor.ledger_accounts WHERE kind = 'wallet' ORDER BY posted DESC, owner_id LIMIT 1")
slot=$(P -c "SELECT id FROM mentor.sessions WHERE mentee_id IS NULL ORDER BY id LIMIT 1")
refused=0; wrong=()
for qry in "SELECT mentor.transfer(gen_random_uuid(), mentor.wallet($u), mentor.system_account('revenue'), 1, 'spend')" \
           "SELECT count(*) FROM mentor.spend_tokens($u, 1, mentor.system_account('revenue'), gen_random_uuid())" \
           "SELECT mentor.expire_pending()" \
           "SELECT mentor.book_session(${slot:-0}, $u, gen_random_uuid())" \
           "SELECT mentor.prune_history(now())" \
           "SELECT count(*) FROM mentor.match_cohort(ARRAY[$u]::bigint[], save => true)" \
           "UPDATE mentor.profiles SET headline = 'x' WHERE user_id = $u"; do
    code=$(S -v VERBOSITY=verbose -c "$qry" 2>&1 | sed -n 's/^ERROR: *\([0-9A-Z]\{5\}\):.*/\1/p' | head -1)
    if [ "$code" = 25006 ]; then refused=$((refused + 1)); else wrong+=("$qry -> ${code:-no error}"); fi
done
if [ ${#wrong[@]} -eq 0 ]; then echo "ok 5 - the $refused writes tried on the standby (ledger, sessions, history, matching, plain SQL) are all 25006"
else echo "not ok 5 - every write on the standby is 25006"; for x in "${wrong[@]}"; do echo "#   $x"; done; fi
after=$(S -c "SELECT count(*) FROM mentor.ledger_transfers")
before=$(P -c "SELECT count(*) FROM mentor.ledger_transfers")
if [ "$after" = "$before" ]; then echo "ok 6 - and nothing was written ($after transfers on both)"
else echo "not ok 6 - nothing was written on the standby ($after against $before)"; fi
