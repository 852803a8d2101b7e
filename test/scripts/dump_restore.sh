#!/usr/bin/env bash
# pg_dump of a database using the extension restores to the same state:
# shipped catalogue rows come from CREATE EXTENSION, the database's own rows
# (custom skills, lifecycle overrides, users) from the dump, without clashes.
# Runs inside pg_virtualenv; prints TAP.
set -uo pipefail
src=mentor_dump_src; dst=mentor_dump_dst
dropdb --if-exists $src >/dev/null 2>&1; dropdb --if-exists $dst >/dev/null 2>&1
createdb $src && createdb $dst
q() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT

q $src "SET client_min_messages = warning; CREATE EXTENSION mentor CASCADE" >/dev/null
q $src "INSERT INTO mentor.skills (name, slug) VALUES ('Rust', 'rust');
        INSERT INTO mentor.users (email, username, full_name) VALUES ('ada@example.com', 'ada', 'Ada');
        UPDATE mentor.profiles SET onboarding_status = 'in_progress';
        SELECT mentor.define_lifecycle('suggestion', ARRAY[['[*]','pending'],['pending','accepted'],['pending','declined'],['declined','pending']]);
        SELECT mentor.define_lifecycle('ticket', ARRAY[['[*]','open'],['open','closed']]);
        CREATE TABLE public.orders (id int PRIMARY KEY, total int, card text);
        SELECT mentor.enable_history('public.orders', exclude => ARRAY['card']);
        INSERT INTO public.orders VALUES (1, 10, 'x'), (2, 20, 'y');
        UPDATE public.orders SET total = 15 WHERE id = 1;
        DELETE FROM public.orders WHERE id = 2;" >/dev/null
# Ledger: a confirmed purchase, a spend, an open hold, a promo grant.
q $src "SELECT mentor.purchase_tokens(1, 100, 'pay-1', '00000000-0000-4000-8000-000000000001');
        SELECT mentor.confirm_purchase('00000000-0000-4000-8000-000000000001');
        SELECT mentor.transfer('00000000-0000-4000-8000-000000000002', mentor.wallet(1), mentor.system_account('revenue'), 30, 'spend');
        SELECT mentor.transfer('00000000-0000-4000-8000-000000000003', mentor.wallet(1), mentor.system_account('revenue'), 20, 'hold', pending => true);
        SELECT mentor.grant_promo(1, 5, now() + interval '30 days', '00000000-0000-4000-8000-000000000004');" >/dev/null
# Courses: a cross-check distributed and reviewed, a scored task, a team.
q $src "INSERT INTO mentor.users (email, username, full_name) SELECT 'd' || g || '@example.com', 'dump' || g, 'D' FROM generate_series(1, 6) g;
        INSERT INTO mentor.courses (name, alias, start_date, end_date) VALUES ('Dumped', 'dumped', '2026-01-01', '2026-12-31');
        INSERT INTO mentor.students (course_id, user_id) SELECT 1, id FROM mentor.users WHERE username LIKE 'dump%';
        INSERT INTO mentor.tasks (name, criteria) VALUES ('T', '[{\"key\": \"a\", \"max\": 10}]');
        INSERT INTO mentor.course_tasks (course_id, task_id, student_start_at, student_end_at, max_score, checker, pairs_count)
        VALUES (1, 1, now() - interval '2 days', now() - interval '1 day', 10, 'crosscheck', 2);
        INSERT INTO mentor.task_solutions (course_task_id, student_id, url, submitted_at) SELECT 1, id, 'https://example.com/' || id, now() - interval '36 hours' FROM mentor.students WHERE id <= 5;
        SELECT mentor.crosscheck_distribute(1, seed => 3);
        SELECT mentor.crosscheck_submit_review(1, checker_id, task_solution_id, 7, '{\"a\": 7}') FROM mentor.task_solution_checkers;
        INSERT INTO mentor.team_distributions (course_id, name, start_at, end_at) VALUES (1, 'D', now() - interval '1 day', now() + interval '1 day');
        INSERT INTO mentor.team_distribution_students (distribution_id, course_id, student_id) SELECT 1, 1, id FROM mentor.students;
        SELECT mentor.distribute_teams(1, 1);" >/dev/null

snapshot() {
    q "$1" "SELECT (SELECT string_agg(name || ':' || slug, ',' ORDER BY id) FROM mentor.skills)
             || '|' || (SELECT string_agg(name || '.' || from_state || '>' || to_state, ',' ORDER BY name, from_state, to_state) FROM mentor.lifecycle_transitions)
             || '|' || (SELECT string_agg(u.id || ':' || username || '/' || p.onboarding_status, ',' ORDER BY u.id) FROM mentor.users u JOIN mentor.profiles p ON p.user_id = u.id)
             || '|' || (SELECT string_agg(concat_ws('/', at, txid, actor_id, db_user, table_name, op, row_key, old_row, new_row), ',' ORDER BY at) FROM mentor.history)
             || '|' || (SELECT string_agg(table_name || '=' || enabled, ',' ORDER BY id) FROM mentor.history_tables)
             || '|' || (SELECT string_agg(concat_ws('/', id, kind, status, amount, debit_account_id, credit_account_id, created_at), ',' ORDER BY created_at) FROM mentor.ledger_transfers)
             || '|' || (SELECT string_agg(concat_ws('/', a.id, a.kind, b.posted, b.pending_debits, b.pending_credits), ',' ORDER BY a.id) FROM mentor.ledger_accounts a, mentor.balance(a.id) b)
             || '|' || (SELECT string_agg(concat_ws('/', account_id, at, amount, balance, version), ',' ORDER BY account_id, at) FROM mentor.ledger_entries)
             || '|' || (SELECT string_agg(id || '=' || status, ',' ORDER BY id) FROM mentor.token_purchases)
             || '|' || (SELECT string_agg(concat_ws('/', task_solution_id, student_id, checker_id), ',' ORDER BY id) FROM mentor.task_solution_checkers)
             || '|' || (SELECT string_agg(concat_ws('/', checker_id, score, criteria, historical_scores), ',' ORDER BY id) FROM mentor.task_solution_results)
             || '|' || (SELECT string_agg(concat_ws('/', t.name, t.lead_student_id, m.student_id), ',' ORDER BY m.id) FROM mentor.teams t JOIN mentor.team_members m ON m.team_id = t.id)
             || '|' || (SELECT string_agg(concat_ws('/', id, crosscheck_status, crosscheck_seed), ',') FROM mentor.course_tasks)"
}
# Secrets and notifications: a token stored under the server's key, an API key, a one-time
# token, a custom notification type, a deployment's choice of defaults, a queued notification.
keyfile=$(q $src "SELECT current_setting('data_directory')")/mentor_dump_test.key
q $src "COPY (SELECT 'dump-test-key-' || md5(random()::text)) TO '$keyfile'" >/dev/null
psql -X -q -d $src -c "LOAD 'mentor'" -c "ALTER SYSTEM SET mentor.secret_key_file = '$keyfile'" -c "SELECT pg_reload_conf()" >/dev/null
sleep 0.5
apikey=$(q $src "SELECT api_key FROM mentor.create_api_key('dump vendor')")
ott=$(q $src "SELECT mentor.issue_token('email_verification', 1, interval '1 day')")
q $src "BEGIN; SELECT mentor.set_actor(1); SELECT mentor.store_token(1, 'google', 'ya29.dump-secret-access', 'dump-secret-refresh'); COMMIT;
        INSERT INTO mentor.notification_types (code, parent_code, description) VALUES ('custom', NULL, 'Custom');
        INSERT INTO mentor.notification_defaults (type_code, channel_code, enabled) VALUES ('session', 'email', false), ('custom', 'in_app', true);
        SELECT mentor.notify(1, 'custom', '{\"hello\": \"dump\"}');" >/dev/null
before=$(snapshot $src)
echo "1..11"
if pg_dump -d $src -f "$w/dump.sql" 2>"$w/dump.err"; then echo "ok 1 - pg_dump succeeds"; else echo "not ok 1 - pg_dump succeeds"; fi
# Triggers must not fire again on restored rows (signup would create profiles twice).
if PGOPTIONS="-c session_replication_role=replica" psql -X -q -v ON_ERROR_STOP=1 -d $dst -f "$w/dump.sql" > "$w/restore.log" 2>&1; then
    echo "ok 2 - the dump restores without errors"
else
    echo "not ok 2 - the dump restores without errors"; sed 's/^/# /' "$w/restore.log" | head -20
fi
after=$(snapshot $dst)
if [ -n "$before" ] && [ "$before" = "$after" ]; then echo "ok 3 - skills, lifecycles and users are the same after restore"
else echo "not ok 3 - skills, lifecycles and users are the same after restore"; echo "# before: $before"; echo "# after:  $after"; fi
# The restored sequences continue after the dumped rows.
if q $dst "INSERT INTO mentor.skills (name, slug) VALUES ('Go', 'go');
           INSERT INTO mentor.users (email, username, full_name) VALUES ('bob@example.com', 'bob', 'Bob')" >/dev/null; then
    echo "ok 4 - new rows after restore get fresh ids"
else echo "not ok 4 - new rows after restore get fresh ids"; fi
# History keeps being recorded after the restore, under the same table id.
q $dst "UPDATE public.orders SET total = 16 WHERE id = 1" >/dev/null
if [ "$(q $dst "SELECT count(*) FROM mentor.row_history('public.orders', '{\"id\": 1}')")" = 3 ]; then
    echo "ok 5 - history of a user table continues after restore"
else echo "not ok 5 - history of a user table continues after restore"; fi
if [ "$(q $dst "SELECT count(*) FROM mentor.history WHERE table_name = 'public.orders'")" = 5 ] &&
   [ "$(q $dst "SELECT count(*) FROM mentor.history_log WHERE changes::text LIKE '%card%'")" = 0 ]; then
    echo "ok 6 - restored history is complete and still without excluded columns"
else echo "not ok 6 - restored history is complete and still without excluded columns"; fi
# The restored ledger is consistent and keeps working: the hold posts, retries are still recognised.
if [ "$(q $dst "SELECT count(*) FROM mentor.ledger_check()")" = 0 ] &&
   q $dst "SELECT mentor.post_pending('00000000-0000-4000-8000-000000000003', '00000000-0000-4000-8000-000000000005');
           SELECT mentor.transfer('00000000-0000-4000-8000-000000000002', mentor.wallet(1), mentor.system_account('revenue'), 30, 'spend')" >/dev/null &&
   [ "$(q $dst "SELECT (mentor.balance(mentor.wallet(1))).posted || '/' || count(*) FROM mentor.ledger_check()")" = "50/0" ]; then
    echo "ok 7 - the restored ledger balances, posts its open hold and recognises retries"
else echo "not ok 7 - the restored ledger balances, posts its open hold and recognises retries"; fi
# The restored cross-check completes, and a late solution gets fresh pairs.
if q $dst "INSERT INTO mentor.task_solutions (course_task_id, student_id, url, late) VALUES (1, 6, 'https://example.com/6', true)" >/dev/null &&
   [ "$(q $dst "SELECT mentor.crosscheck_distribute(1)")" = 2 ] &&
   [ "$(q $dst "SELECT mentor.crosscheck_complete(1)")" = 5 ] &&
   [ "$(q $dst "SELECT string_agg(DISTINCT score::text, ',') FROM mentor.task_results")" = 7 ]; then
    echo "ok 8 - the restored cross-check takes late solutions and completes"
else echo "not ok 8 - the restored cross-check takes late solutions and completes"; fi

key=$(cat "$keyfile" 2>/dev/null || psql -X -q -t -A -d $src -c "SELECT pg_read_file('$keyfile')")
leaks=0
for secret in ya29.dump-secret-access dump-secret-refresh "$apikey" "$ott" "$(tr -d '\n' <<<"$key")"; do
    grep -qF -- "$secret" "$w/dump.sql" && leaks=$((leaks + 1))
done
if [ "$leaks" = 0 ] && [ ${#key} -ge 16 ] && grep -q "integration_tokens" "$w/dump.sql"; then
    echo "ok 9 - the dump holds the token rows but no plain token, API key, one-time token or key"
else echo "not ok 9 - the dump holds no plain secret ($leaks found)"; fi
back=$(q $dst "BEGIN; SELECT mentor.set_actor(1); SELECT access_token || '/' || refresh_token FROM mentor.read_token(1); COMMIT" 2>&1 | grep dump-secret)
used=$(q $dst "SELECT user_id FROM mentor.consume_token('email_verification', '$ott')" 2>&1)
valid=$(q $dst "SELECT mentor.verify_api_key('$apikey') IS NOT NULL" 2>&1)
if [ "$back" = "ya29.dump-secret-access/dump-secret-refresh" ] && [ "$used" = 1 ] && [ "$valid" = t ]; then
    echo "ok 10 - restored under the same server key: the owner reads her token, the one-time token and the API key work"
else echo "not ok 10 - restored secrets work (token: $back, one-time: $used, API key: $valid)"; fi
notif=$(q $dst "SELECT (SELECT count(*) FROM mentor.notification_types WHERE code = 'custom') || '/' ||
                        (SELECT count(*) FROM mentor.notification_defaults WHERE type_code = 'session' AND channel_code = 'email') || '/' ||
                        (SELECT count(*) FROM mentor.notifications WHERE type_code = 'custom') || '/' ||
                        (SELECT count(*) FROM mentor.notification_types WHERE shipped)")
if [ "$notif" = "1/2/1/14" ]; then
    echo "ok 11 - a custom notification type, an overriding default and the queued notifications are restored beside the shipped catalogue"
else echo "not ok 11 - notification catalogue and outbox restored (custom/defaults/queued/shipped: $notif)"; fi
psql -X -q -d $src -c "LOAD 'mentor'" -c "ALTER SYSTEM RESET mentor.secret_key_file" -c "SELECT pg_reload_conf()" >/dev/null
[ -n "${KEEP:-}" ] || { dropdb $src; dropdb $dst; }
