-- The role matrix: every privileged effect that README's role table lists,
-- tried through every path that could reach it (table, view, function,
-- setting) by a real login of each role.  The logins connect through dblink,
-- so each is its own backend with its own session user, as an application's
-- pool would be; each request runs in its own transaction.  The data lives
-- in a database of its own (committed, so the logins see it), dropped at the end.
\set ON_ERROR_STOP 1
\set QUIET 1
\getenv pghost PGHOST
\getenv pgport PGPORT
SELECT coalesce(:'pghost', '') = '' AS no_host \gset
\if :no_host
\set pghost /var/run/postgresql
\endif
SELECT coalesce(:'pgport', '') = '' AS no_port \gset
\if :no_port
\set pgport 5432
\endif
SET client_min_messages = warning;
DROP DATABASE IF EXISTS mentor_matrix;
CREATE DATABASE mentor_matrix;
DO $$
DECLARE r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['matrix_app', 'matrix_analyst', 'matrix_admin'] LOOP
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN EXECUTE format('DROP ROLE %I', r); END IF;
    END LOOP;
END $$;
CREATE ROLE matrix_app LOGIN PASSWORD 'matrix-app';
CREATE ROLE matrix_analyst LOGIN PASSWORD 'matrix-analyst';
CREATE ROLE matrix_admin LOGIN PASSWORD 'matrix-admin';
\c mentor_matrix
SET client_min_messages = warning;
CREATE EXTENSION mentor CASCADE;
CREATE EXTENSION pgtap;
CREATE EXTENSION dblink;
GRANT mentor_app TO matrix_app;
GRANT mentor_analyst TO matrix_analyst;
GRANT mentor_admin TO matrix_admin;

-- The platform as the seeds have it: a mentor and her mentee, an outsider, notes,
-- messages, a pending purchase, a requested withdrawal, a course with a student.
INSERT INTO mentor.users (email, username, full_name) VALUES
    ('grace@example.com', 'grace', 'Grace Hopper'), ('mia@example.com', 'mia', 'Mia Mentee'),
    ('olly@example.com', 'olly', 'Olly Outsider');
SELECT id AS grace FROM mentor.users WHERE username = 'grace' \gset
SELECT id AS mia FROM mentor.users WHERE username = 'mia' \gset
SELECT id AS olly FROM mentor.users WHERE username = 'olly' \gset
INSERT INTO mentor.mentor_profiles (user_id, headline, max_mentees) VALUES (:grace, 'Compilers', 3);
INSERT INTO mentor.mentorships (mentor_id, mentee_id) VALUES (:grace, :mia);
UPDATE mentor.mentorships SET status = 'active';
SELECT id AS ms FROM mentor.mentorships \gset
INSERT INTO mentor.mentorship_notes (mentorship_id, author_id, body, shared) VALUES
    (:ms, :grace, 'private: Mia needs help with tests', false), (:ms, :grace, 'shared: reading list', true);
INSERT INTO mentor.mentorship_messages (mentorship_id, sender_id, body) VALUES (:ms, :grace, 'See you Monday');
INSERT INTO mentor.action_items (mentorship_id, assignee_id, creator_id, title) VALUES (:ms, :mia, :grace, 'Write tests');
SELECT mentor.purchase_tokens(:mia, 50, 'order-1', '00000000-0000-4000-8000-00000000a001');
SELECT mentor.credit_earnings(:grace, 80, '00000000-0000-4000-8000-00000000a002');
SELECT mentor.request_withdrawal(:grace, 30, '00000000-0000-4000-8000-00000000a003');
SELECT mentor.grant_promo(:mia, 10, now() + interval '30 days', '00000000-0000-4000-8000-00000000a004');
SELECT mentor.set_security_answer(:mia, 'First pet?', 'Rex');
INSERT INTO mentor.suggestions (mentee_id, mentor_id, score) VALUES (:olly, :grace, 0.5);
INSERT INTO mentor.matches (mentor_id, mentee_id, method) VALUES (:grace, :olly, 'manual');
INSERT INTO mentor.courses (name, alias, start_date, end_date) VALUES ('Matrix course', 'matrix-course', '2026-01-01', '2026-12-31');
INSERT INTO mentor.students (course_id, user_id) SELECT id, :mia FROM mentor.courses;
INSERT INTO mentor.tasks (name) VALUES ('Matrix task');
INSERT INTO mentor.course_tasks (course_id, task_id, student_start_at, student_end_at, checker)
SELECT c.id, t.id, now() - interval '2 days', now() + interval '2 days', 'crosscheck' FROM mentor.courses c, mentor.tasks t
RETURNING id AS ctask \gset
INSERT INTO mentor.task_solutions (course_task_id, student_id, url) SELECT :ctask, id, 'https://example.com/mia' FROM mentor.students;
SELECT id AS mia_student FROM mentor.students \gset
SELECT mentor.system_account('allotments') AS allotments, mentor.system_account('promo_pool') AS promo_pool,
       mentor.system_account('revenue') AS revenue, mentor.system_account('external') AS external,
       mentor.system_account('expiry') AS expiry, mentor.wallet(:mia) AS w_mia, mentor.wallet(:grace) AS w_grace,
       mentor.earnings_account(:grace) AS e_grace \gset

SELECT dblink_connect('app', format('host=%s port=%s dbname=mentor_matrix user=matrix_app password=matrix-app', :'pghost', :'pgport'));
SELECT dblink_connect('analyst', format('host=%s port=%s dbname=mentor_matrix user=matrix_analyst password=matrix-analyst', :'pghost', :'pgport'));
SELECT dblink_connect('admin', format('host=%s port=%s dbname=mentor_matrix user=matrix_admin password=matrix-admin', :'pghost', :'pgport'));

-- One request of a login: BEGIN, set_actor(actor) when given, the statement, COMMIT.
-- Returns the statement's command tag ('SELECT n' for a query of n rows), or
-- with value, the one text value the query returns; the SQLSTATE if it failed.
CREATE FUNCTION pg_temp.run(conn text, actor bigint, q text, value boolean) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r text;
BEGIN
    PERFORM dblink_exec(conn, 'BEGIN');
    IF actor IS NOT NULL THEN
        PERFORM * FROM dblink(conn, format('SELECT mentor.set_actor(%s)::text', actor)) AS t(v text);
    END IF;
    IF value THEN
        SELECT t.v INTO r FROM dblink(conn, q) AS t(v text);
    ELSIF q ~* '^\s*SELECT' THEN
        SELECT 'SELECT ' || t.n INTO r FROM dblink(conn, format('SELECT count(*)::text FROM (%s) q', q)) AS t(n text);
    ELSE
        r := dblink_exec(conn, q);
    END IF;
    PERFORM dblink_exec(conn, 'COMMIT');
    RETURN r;
EXCEPTION WHEN OTHERS THEN
    PERFORM dblink_exec(conn, 'ROLLBACK');
    RETURN SQLSTATE;
END $$;
CREATE FUNCTION pg_temp.req(conn text, actor bigint, q text) RETURNS text LANGUAGE sql AS $$
    SELECT pg_temp.run(conn, actor, q, false) $$;
CREATE FUNCTION pg_temp.val(conn text, actor bigint, q text) RETURNS text LANGUAGE sql AS $$
    SELECT pg_temp.run(conn, actor, q, true) $$;
CREATE FUNCTION pg_temp.tokens() RETURNS bigint LANGUAGE sql AS $$
    SELECT sum(posted) FROM mentor.ledger_accounts WHERE track_balance $$;
SELECT pg_temp.tokens() AS tokens_before \gset
RESET client_min_messages;

SELECT plan(455);

-- Mint or allot tokens.
SELECT is(pg_temp.req('app', :mia, format($$SELECT mentor.transfer(gen_random_uuid(), %s, %s, 1000000, 'allotment')$$, :allotments, :w_mia)),
          '42501', 'app: transfer() from the allotments account is refused');
SELECT is(pg_temp.req('app', :mia, format($$SELECT mentor.transfer(gen_random_uuid(), %s, %s, 1000, 'promo_grant')$$, :promo_pool, :w_mia)),
          '42501', 'app: transfer() from the promo pool is refused');
SELECT is(pg_temp.req('app', :mia, format($$SELECT mentor.transfer(gen_random_uuid(), %s, %s, 1000, 'refund')$$, :revenue, :w_mia)),
          '42501', 'app: transfer() from revenue is refused');
SELECT is(pg_temp.req('app', :mia, format($$SELECT mentor.transfer(gen_random_uuid(), %s, %s, 1000, 'purchase')$$, :external, :w_mia)),
          '42501', 'app: transfer() from the external account (a purchase without its record) is refused');
SELECT is(pg_temp.req('app', :mia, format($$SELECT mentor.transfer(gen_random_uuid(), %s, %s, 1000, 'expiry')$$, :expiry, :w_mia)),
          '42501', 'app: transfer() from the expiry account is refused');
SELECT is(pg_temp.req('app', :mia, format($$SELECT mentor.transfer(gen_random_uuid(), %s, %s, 1000, 'hold', pending => true)$$, :allotments, :w_mia)),
          '42501', 'app: a hold from a system account is refused');
SELECT is(pg_temp.req('app', :mia, format($$SELECT mentor.transfer_batch(ARRAY[gen_random_uuid()], ARRAY[%s::bigint], ARRAY[%s::bigint], ARRAY[1000::bigint], ARRAY['allotment'])$$, :allotments, :w_mia)),
          '42501', 'app: transfer_batch() from a system account is refused');
SELECT is(pg_temp.req('app', :mia, $$SELECT mentor.allot_tokens(ARRAY[2]::bigint[], 100, gen_random_uuid())$$),
          '42501', 'app: allot_tokens() is refused');
SELECT is(pg_temp.req('analyst', NULL, $$SELECT mentor.allot_tokens(ARRAY[2]::bigint[], 100, gen_random_uuid())$$),
          '42501', 'analyst: allot_tokens() is refused');
SELECT is(pg_temp.req('analyst', NULL, format($$SELECT mentor.transfer(gen_random_uuid(), %s, %s, 5, 'spend')$$, :w_mia, :revenue)),
          '42501', 'analyst: transfer() is refused');
SELECT is(pg_temp.req('app', NULL, format($$INSERT INTO mentor.ledger_transfers (id, debit_account_id, credit_account_id, amount, kind, status, created_at) VALUES (gen_random_uuid(), %s, %s, 1000, 'adjustment', 'posted', now())$$, :allotments, :w_mia)),
          '42501', 'app: INSERT into ledger_transfers is refused');
SELECT is(pg_temp.req('admin', NULL, format($$INSERT INTO mentor.ledger_transfers (id, debit_account_id, credit_account_id, amount, kind, status, created_at) VALUES (gen_random_uuid(), %s, %s, 1000, 'adjustment', 'posted', now())$$, :allotments, :w_mia)),
          '42501', 'admin: INSERT into ledger_transfers is refused too');
SELECT is(pg_temp.req('app', NULL, format($$INSERT INTO mentor.ledger_entries (account_id, at, transfer_id, amount) VALUES (%s, now(), '00000000-0000-4000-8000-00000000a001', 1000)$$, :w_mia)),
          '42501', 'app: INSERT into ledger_entries is refused');
SELECT is(pg_temp.req('app', NULL, format('UPDATE mentor.ledger_accounts SET posted = posted + 1000 WHERE id = %s', :w_mia)),
          '42501', 'app: UPDATE of a balance is refused');
SELECT is(pg_temp.req('app', NULL, format('UPDATE mentor.ledger_accounts SET allow_negative = true WHERE id = %s', :w_mia)),
          '42501', 'app: UPDATE of allow_negative on a wallet is refused');
SELECT is(pg_temp.req('app', NULL, format($$SELECT mentor.open_account(%s, 'escrow', allow_negative => true)$$, :mia)),
          '42501', 'app: open_account() of an account that may go negative is refused');
SELECT is(pg_temp.req('app', NULL, $$INSERT INTO mentor.ledger_accounts (kind, name, allow_negative, track_balance) VALUES ('platform', 'mint', true, false)$$),
          '42501', 'app: INSERT of an account that may go negative is refused');
SELECT is(pg_temp.req('app', NULL, format('UPDATE mentor.ledger_accounts SET closed = true WHERE id = %s', :revenue)),
          '42501', 'app: closing a system account is refused');
SELECT is(pg_temp.req('app', NULL, format($$UPDATE mentor.ledger_accounts SET name = 'revenue-old' WHERE id = %s$$, :revenue)),
          '42501', 'app: renaming a system account is refused');
SELECT is(pg_temp.req('app', NULL, $$INSERT INTO mentor.token_allotments (id, amount, user_ids) VALUES (gen_random_uuid(), 5, '{2}')$$),
          '42501', 'app: INSERT into token_allotments is refused');
SELECT is(ARRAY(SELECT format('%s %s', r, c.relname) FROM pg_class c, unnest(ARRAY['matrix_app', 'matrix_analyst', 'matrix_admin']) r
                 WHERE c.relnamespace = 'mentor'::regnamespace AND c.relkind IN ('v', 'm')
                   AND has_table_privilege(r, c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE') ORDER BY 1),
          '{}'::text[], 'no role may write through any view of the extension (ledger_statement among them)');
SELECT is(pg_temp.req('app', NULL, $$UPDATE mentor.token_purchases SET status = 'completed'$$),
          '42501', 'app: completing a purchase by UPDATE is refused');
SELECT is(pg_temp.tokens(), :'tokens_before'::bigint, 'no tokens were minted by any refused path');
SELECT is(pg_temp.req('app', :grace, format($$SELECT mentor.transfer(gen_random_uuid(), %s, %s, 5, 'spend')$$, :e_grace, :revenue)),
          'SELECT 1', 'app: transfer() of tokens an account holds, to revenue, still works');
SELECT is(pg_temp.req('app', :mia, format($$SELECT mentor.grant_promo(%s, 5, now() + interval '7 days', gen_random_uuid())$$, :mia)),
            'SELECT 1', 'app: grant_promo() (the promo pool''s own flow) works');
SELECT is(pg_temp.req('admin', NULL, format($$SELECT mentor.allot_tokens(ARRAY[%s]::bigint[], 10, gen_random_uuid())$$, :mia)),
            'SELECT 1', 'admin: allot_tokens() works');
SELECT is(pg_temp.req('admin', NULL, format($$SELECT mentor.transfer(gen_random_uuid(), %s, %s, 1, 'adjustment')$$, :allotments, :w_mia)),
            'SELECT 1', 'admin: an adjustment from a system account works');

-- Pay money out.
SELECT is(pg_temp.req('app', NULL, $$SELECT mentor.post_pending('00000000-0000-4000-8000-00000000a003', gen_random_uuid())$$),
          '42501', 'app: post_pending() of a withdrawal''s hold is refused');
SELECT is(pg_temp.req('app', NULL, $$SELECT mentor.void_pending('00000000-0000-4000-8000-00000000a003', gen_random_uuid())$$),
          '42501', 'app: void_pending() of a withdrawal''s hold is refused');
SELECT is(pg_temp.req('admin', NULL, $$SELECT mentor.post_pending('00000000-0000-4000-8000-00000000a003', gen_random_uuid())$$),
          '42501', 'admin: post_pending() of a withdrawal''s hold is refused (approve_withdrawal is the way)');
SELECT is(pg_temp.req('app', NULL, $$SELECT mentor.post_pending('00000000-0000-4000-8000-00000000a001', gen_random_uuid())$$),
          '42501', 'app: post_pending() of a purchase''s hold is refused');
SELECT is(pg_temp.req('admin', NULL, $$SELECT mentor.void_pending('00000000-0000-4000-8000-00000000a001', gen_random_uuid())$$),
          '42501', 'admin: void_pending() of a purchase''s hold is refused');
SELECT is(pg_temp.req('app', NULL, format($$SELECT mentor.transfer(gen_random_uuid(), %s, %s, 10, 'withdrawal')$$, :e_grace, :external)),
          '42501', 'app: transfer() to the external account is refused');
SELECT is(pg_temp.req('app', NULL, $$SELECT mentor.approve_withdrawal('00000000-0000-4000-8000-00000000a003')$$),
          '42501', 'app: approve_withdrawal() is refused');
SELECT is(pg_temp.req('analyst', NULL, $$SELECT mentor.approve_withdrawal('00000000-0000-4000-8000-00000000a003')$$),
          '42501', 'analyst: approve_withdrawal() is refused');
SELECT is(pg_temp.req('app', NULL, $$SELECT mentor.mark_withdrawal_paid('00000000-0000-4000-8000-00000000a003', 'x')$$),
          '42501', 'app: mark_withdrawal_paid() is refused');
SELECT is(pg_temp.req('app', NULL, $$UPDATE mentor.withdrawals SET status = 'approved'$$),
          '42501', 'app: approving a withdrawal by UPDATE is refused');
SELECT is(pg_temp.val('admin', NULL, $$SELECT count(*)::text FROM mentor.ledger_check()$$), '0',
          'ledger_check() is clean after every refused path');
SELECT is(pg_temp.req('admin', NULL, $$SELECT mentor.approve_withdrawal('00000000-0000-4000-8000-00000000a003')$$),
            'SELECT 1', 'admin: approve_withdrawal() works');
SELECT is(pg_temp.req('app', NULL, $$SELECT mentor.confirm_purchase('00000000-0000-4000-8000-00000000a001')$$),
            'SELECT 1', 'app: confirm_purchase() works');

-- Change a lifecycle or a catalogue.
SELECT is(pg_temp.req('app', NULL, $$DELETE FROM mentor.lifecycles WHERE name = 'onboarding'$$),
          '42501', 'app: DELETE through the lifecycles view is refused');
SELECT is(pg_temp.req('admin', NULL, $$DELETE FROM mentor.lifecycles WHERE name = 'onboarding'$$),
          '42501', 'admin: DELETE through the lifecycles view is refused (define_lifecycle is the way)');
SELECT is(pg_temp.req('analyst', NULL, $$DELETE FROM mentor.lifecycles WHERE name = 'onboarding'$$),
          '42501', 'analyst: DELETE through the lifecycles view is refused');
SELECT is(pg_temp.req('app', NULL, $$INSERT INTO mentor.lifecycle_transitions VALUES ('onboarding', 'in_progress', 'not_started')$$),
          '42501', 'app: INSERT through the lifecycle_transitions view is refused');
SELECT is(pg_temp.req('app', NULL, $$INSERT INTO mentor.lifecycle_transition_defs (lifecycle, from_state, to_state) VALUES ('onboarding', 'in_progress', 'not_started')$$),
          '42501', 'app: INSERT into the table behind it is refused');
SELECT is(pg_temp.req('app', NULL, $$SELECT mentor.define_lifecycle('onboarding', ARRAY[['[*]', 'not_started']])$$),
          '42501', 'app: define_lifecycle() is refused');
SELECT is(pg_temp.req('app', NULL, $$SELECT mentor.reset_lifecycle('onboarding')$$),
          '42501', 'app: reset_lifecycle() is refused');
SELECT is(pg_temp.req('app', NULL, $$SELECT mentor.attach_lifecycle('mentor.profiles', 'onboarding_status', 'onboarding')$$),
          '42501', 'app: attach_lifecycle() is refused');
SELECT is(pg_temp.req('app', NULL, $$INSERT INTO mentor.skills (name, slug) VALUES ('Go', 'go')$$),
          '42501', 'app: changing the skill catalogue is refused');
SELECT is(pg_temp.val('app', NULL, $$SELECT array_to_string(mentor.next_states('onboarding', 'in_progress'), ',')$$), 'completed',
          'the onboarding lifecycle is unchanged');

-- Write a trigger-kept column.
SELECT is(pg_temp.req('app', NULL, format('INSERT INTO mentor.mentor_profiles (user_id, rating_avg, rating_count, active_mentees) VALUES (%s, 5.00, 1000, 3)', :olly)),
          '42501', 'app: INSERT of a mentor profile with a made-up rating is refused');
SELECT is(pg_temp.req('app', NULL, format('UPDATE mentor.mentor_profiles SET rating_avg = 5, rating_count = 1000 WHERE user_id = %s', :grace)),
          '42501', 'app: UPDATE of a rating is refused');
SELECT is(pg_temp.req('admin', NULL, format('UPDATE mentor.mentor_profiles SET active_mentees = 0 WHERE user_id = %s', :grace)),
          '42501', 'admin: UPDATE of active_mentees is refused too');
SELECT is(pg_temp.req('app', NULL, format('UPDATE mentor.students SET total_score = 999 WHERE user_id = %s', :mia)),
          '42501', 'app: UPDATE of a student''s score is refused');
SELECT is(pg_temp.req('app', :grace, format('UPDATE mentor.mentorship_messages SET read_at = now() WHERE mentorship_id = %s', :ms)),
          '42501', 'app: the sender cannot set read_at of her own message');
SELECT is(pg_temp.req('app', NULL, format('INSERT INTO mentor.certificates (student_id, score) SELECT id, 100 FROM mentor.students WHERE user_id = %s', :mia)),
          '42501', 'app: issuing a certificate by INSERT is refused (issue_certificates is the way)');
SELECT is(pg_temp.req('app', :mia, format('UPDATE mentor.mentorship_messages SET read_at = now() WHERE mentorship_id = %s', :ms)),
          'UPDATE 0', 'app: the recipient cannot change the message by UPDATE either');
SELECT is(pg_temp.req('app', NULL, format($$UPDATE mentor.mentor_profiles SET headline = 'Compilers and careers', rating_avg = rating_avg, rating_count = rating_count, active_mentees = active_mentees, updated_at = now() WHERE user_id = %s$$, :grace)),
          'UPDATE 1', 'app: an ORM-style save of every column, the kept ones unchanged, works');
SELECT is(pg_temp.val('app', :mia, format('SELECT mentor.mark_messages_read(%s)::text', :ms)), '1',
          'app: the recipient marks the message read through mark_messages_read()');
SELECT is(pg_temp.val('app', :olly, format('SELECT mentor.mark_messages_read(%s)::text', :ms)), 'MN005',
          'app: an outsider cannot mark messages read');
SELECT is((SELECT rating_count FROM mentor.mentor_profiles WHERE user_id = :grace), 0, 'the rating is untouched');

-- Decide for someone else: a suggestion is the mentee's, a match staff's, a mentorship its participants'.
SELECT is(pg_temp.req('app', :mia, 'SELECT mentor.accept_suggestion(id) FROM mentor.suggestions'), 'MN005',
          'app: accepting another mentee''s suggestion is refused');
SELECT is(pg_temp.req('app', :olly, 'SELECT mentor.approve_match(id) FROM mentor.matches'), '42501',
          'app: a mentee cannot approve her own match (staff only)');
SELECT is(pg_temp.req('app', NULL, $$UPDATE mentor.matches SET status = 'approved'$$), '42501',
          'app: approving a match by UPDATE is refused');
SELECT is(pg_temp.req('app', :mia, format($$UPDATE mentor.mentorships SET status = 'completed' WHERE id = %s$$, :ms)), '42501',
          'app: moving a mentorship by UPDATE is refused');
SELECT is(pg_temp.req('app', :olly, format('SELECT mentor.complete_mentorship(%s)', :ms)), 'MN005',
          'app: an outsider cannot complete someone else''s mentorship');
SELECT is(pg_temp.val('app', :olly, 'SELECT (mentor.accept_suggestion(id) IS NOT NULL)::text FROM mentor.suggestions'), 'true',
          'app: the mentee accepts her own suggestion');

-- Late solutions are accepted by course staff; sign-in events and imports go through their functions.
SELECT is(pg_temp.req('app', :mia, format('UPDATE mentor.task_solutions SET late = true WHERE course_task_id = %s', :ctask)), '42501',
          'app: marking one''s solution late by UPDATE is refused');
SELECT is(pg_temp.req('app', :mia, format($$SELECT mentor.accept_late_solution(%s, %s, 'https://example.com/mia2')$$, :ctask, :mia_student)), 'MN005',
          'app: a student cannot accept her own late solution');
SELECT is(pg_temp.req('analyst', :grace, format($$SELECT mentor.accept_late_solution(%s, %s, 'https://example.com/mia2')$$, :ctask, :mia_student)), '42501',
          'analyst: accept_late_solution() is refused');
SELECT is(pg_temp.val('app', NULL, format('SELECT solutions::text FROM mentor.crosscheck_report(%s)', :ctask)), '1',
          'app: crosscheck_report() gives the counts of a distribution');
SELECT is(pg_temp.req('app', NULL, 'SELECT mentor.prepare_subscriber()'), '42501', 'app: prepare_subscriber() is refused');
SELECT is(pg_temp.req('admin', NULL, 'SELECT mentor.prepare_subscriber()'), '42501',
          'admin: prepare_subscriber() is a superuser''s (it empties catalogues with their guards off)');
SELECT is(pg_temp.req('app', NULL, 'SELECT * FROM mentor.sync_sequences()'), '42501', 'app: sync_sequences() is refused');
SELECT is(pg_temp.req('analyst', NULL, 'SELECT * FROM mentor.create_publications()'), '42501', 'analyst: create_publications() is refused');
SELECT is(pg_temp.req('app', NULL, 'SELECT mentor.history_replica_key()'), '42501', 'app: history_replica_key() is refused');
SELECT is(pg_temp.req('admin', NULL, 'SELECT mentor.history_replica_key()'), '42501',
          'admin: history_replica_key() is the table owner''s (it indexes the log and sets its replica identity)');
SELECT is(pg_temp.val('app', NULL, 'SELECT count(*)::text FROM mentor.team_distribution_report(-1)'), '0',
          'app: team_distribution_report() answers (no row for an unknown distribution)');
SELECT is(pg_temp.req('analyst', NULL, 'SELECT * FROM mentor.team_distribution_report(1)'), '42501',
          'analyst: team_distribution_report() is the application''s');
SELECT is(pg_temp.req('app', NULL, 'SELECT * FROM mentor._team_waiting(1)'), '42501',
          'app: who waits for a team is internal (_team_waiting)');
SELECT is(pg_temp.req('app', NULL, format($$INSERT INTO mentor.login_events (user_id, event) VALUES (%s, 'login')$$, :mia)), '42501',
          'app: sign-in events are written through record_login() only');
SELECT ok(pg_temp.val('app', NULL, format($$SELECT mentor.record_login(%s, 'login', '198.51.100.4')::text$$, :mia)) ~ '^\d+$', 'app: record_login() records one');
SELECT is(pg_temp.req('analyst', NULL, 'SELECT * FROM mentor.login_events'), '42501', 'analyst: sign-in events (addresses) are not readable');
SELECT is(pg_temp.req('app', NULL, $$SELECT mentor.import_rows('mentor.users', '[{"email": "imp@example.com"}]')$$), '42501',
          'app: import_rows() is for administrators');
SELECT is(pg_temp.req('app', NULL, $$SELECT mentor._import_rows('mentor.users', '[{"email": "imp@example.com"}]')$$), '42501',
          'app: nor through the internal function');
SELECT is(pg_temp.val('admin', NULL, format($$SELECT mentor.import_rows('mentor.login_events', '[{"user_id": %s, "event": "login", "at": "2020-01-01T00:00:00Z"}]')::text$$, :mia)), '1',
          'admin: import_rows() imports');

-- Sessions of someone else's mentorship: the mentor proposes, the mentee answers, staff resolve reviews.
SELECT is(pg_temp.req('app', :olly, format($$SELECT mentor.propose_session(%s, tstzrange(now() + interval '3 days', now() + interval '3 days 1 hour'))$$, :ms)),
          'MN005', 'app: proposing a session for someone else''s mentorship is refused');
SELECT is(pg_temp.req('app', :mia, format($$SELECT mentor.propose_session(%s, tstzrange(now() + interval '3 days', now() + interval '3 days 1 hour'))$$, :ms)),
          'MN005', 'app: the mentee cannot propose in the mentor''s name');
SELECT is(pg_temp.req('analyst', :grace, format($$SELECT mentor.propose_session(%s, tstzrange(now() + interval '3 days', now() + interval '3 days 1 hour'))$$, :ms)),
          '42501', 'analyst: propose_session() is refused');
SELECT ok(pg_temp.val('app', :grace, format($$SELECT mentor.propose_session(%s, tstzrange(now() + interval '3 days', now() + interval '3 days 1 hour'))::text$$, :ms)) ~ '^\d+$',
          'app: the mentor proposes a session of her mentorship');
SELECT id AS proposal FROM mentor.sessions WHERE status = 'proposed' AND mentor_id = :grace \gset
SELECT is(pg_temp.req('app', :olly, format('SELECT mentor.respond_proposal(%s, true)', :proposal)), 'MN005',
          'app: an outsider cannot accept the mentee''s proposal');
SELECT is(pg_temp.req('app', :grace, format('SELECT mentor.resolve_review(%s, 100)', :proposal)), 'MN005',
          'app: a participant cannot resolve a review (staff only)');
SELECT is(pg_temp.req('app', :grace, format($$UPDATE mentor.sessions SET status = 'confirmed' WHERE id = %s$$, :proposal)), '42501',
          'app: confirming a session by UPDATE is refused');
SELECT is(pg_temp.req('app', :grace, format($$UPDATE mentor.sessions SET price_tokens = 99 WHERE id = %s$$, :proposal)), '42501',
          'app: changing a session''s price by UPDATE is refused');
SELECT is(pg_temp.req('app', :grace, format($$UPDATE mentor.sessions SET ends_at = ends_at + interval '1 hour' WHERE id = %s$$, :proposal)), '42501',
          'app: moving a session by writing its plain bounds (starts_at, ends_at) is refused too');
SELECT is(pg_temp.req('app', :grace, format($$UPDATE mentor.sessions s SET (mentor_id, mentee_id, during, status, price_tokens, hold_id, title, description, updated_at)
                                              = (s.mentor_id, s.mentee_id, s.during, s.status, s.price_tokens, s.hold_id, 'Agenda review', 'ORM save', now()) WHERE id = %s$$, :proposal)),
          'UPDATE 1', 'app: an ORM-style save of a session''s every column, the kept ones unchanged, works');
SELECT is(pg_temp.req('app', NULL, $$INSERT INTO mentor.settings (key, value) VALUES ('session.flow', '"slot"')$$), '42501',
          'app: choosing the sessions flow is for administrators');

-- Read or change a private row.
SELECT is(pg_temp.val('app', :mia, format('SELECT count(*)::text FROM mentor.mentorship_notes WHERE mentorship_id = %s', :ms)), '1',
          'app as the mentee: only the shared note is visible');
SELECT is(pg_temp.req('app', :mia, format('DELETE FROM mentor.mentorship_notes WHERE mentorship_id = %s', :ms)), 'DELETE 0',
          'app as the mentee: deleting the mentor''s notes deletes nothing');
SELECT is(pg_temp.req('app', :mia, format($$UPDATE mentor.mentorship_notes SET body = 'defaced' WHERE mentorship_id = %s$$, :ms)), 'UPDATE 0',
          'app as the mentee: editing the mentor''s shared note changes nothing');
SELECT is(pg_temp.req('app', :mia, format('DELETE FROM mentor.mentorship_messages WHERE mentorship_id = %s', :ms)), 'DELETE 0',
          'app as the mentee: deleting the mentor''s message deletes nothing');
SELECT is(pg_temp.val('app', :olly, 'SELECT count(*)::text FROM mentor.mentorship_messages'), '0',
          'app as an outsider: no message is visible');
SELECT is(pg_temp.val('app', NULL, 'SELECT count(*)::text FROM mentor.mentorship_notes'), '0',
          'app without an actor: no note is visible');
SELECT is((SELECT count(*)::int FROM mentor.mentorship_notes) + (SELECT count(*)::int FROM mentor.mentorship_messages), 3,
          'every note and message is still there');
SELECT is(pg_temp.val('app', :olly, 'SELECT count(*)::text FROM mentor.action_items'), '0',
          'app as an outsider: no action item is visible');
SELECT is(pg_temp.val('app', :mia, 'SELECT count(*)::text FROM mentor.action_items'), '1',
          'app as the mentee: her mentorship''s action item is visible');
SELECT is(pg_temp.req('app', :olly, 'DELETE FROM mentor.action_items'), 'DELETE 0',
          'app as an outsider: deleting action items deletes nothing');
SELECT is(pg_temp.req('app', :grace, format('DELETE FROM mentor.mentorship_notes WHERE mentorship_id = %s AND NOT shared', :ms)), 'DELETE 1',
          'app as the author: deleting her own note works');
SELECT is(pg_temp.val('analyst', NULL, 'SELECT count(*)::text FROM mentor.mentorship_notes'), '42501',
          'analyst: notes cannot be read');

-- Read a secret column.
SELECT is(pg_temp.val('analyst', NULL, 'SELECT email FROM mentor.users LIMIT 1'), '42501', 'analyst: users cannot be read');
SELECT is(pg_temp.val('analyst', NULL, 'SELECT count(*)::text FROM mentor.history_log'), '42501',
          'analyst: the raw history log cannot be read');
SELECT is(pg_temp.val('analyst', NULL, $$SELECT count(*)::text FROM mentor.history WHERE table_name = 'mentor.users' AND (new_row ?| ARRAY['email', 'full_name', 'github_id', 'google_id'] OR old_row ?| ARRAY['email', 'full_name'])$$), '0',
          'analyst: history shows no email, name or OAuth id');
SELECT is(pg_temp.val('analyst', NULL, $$SELECT count(*)::text FROM mentor.history WHERE table_name = 'mentor.users' AND op = 'I'$$), '3',
          'analyst: history still shows that the users were created');
-- An insert is logged as its key alone; the view rebuilds its row from users, which analysts cannot read.
SELECT is(pg_temp.val('analyst', NULL, $$SELECT count(*)::text FROM mentor.history WHERE table_name = 'mentor.users' AND op = 'I' AND new_row ? 'username'$$), '3',
          'analyst: an inserted user''s row is rebuilt for history (its public columns)');
SELECT is(pg_temp.val('analyst', NULL, format($$SELECT (mentor._history_inserted_row(mentor._history_table_id('mentor.users'), %s, NULL, now()) ?| ARRAY['email', 'full_name'])::text$$, :mia)), 'false',
          'analyst: called directly, the row rebuilder leaves private columns out too');
SELECT is(pg_temp.val('app', NULL, format($$SELECT mentor._history_inserted_row(1::smallint, %s, NULL, now())::text$$, :mia)), '42501',
          'app: the row rebuilder is refused (it reads history)');
SELECT is(pg_temp.req('app', NULL, $$SELECT mentor._history_snapshot('mentor.users', 1::smallint)$$), '42501',
          'app: the state snapshot of disable_history is refused (it writes history)');
SELECT is(pg_temp.req('analyst', NULL, $$SELECT mentor._history_snapshot('mentor.users', 1::smallint)$$), '42501',
          'analyst: the state snapshot is refused');
SELECT is(pg_temp.req('admin', NULL, $$SELECT mentor._history_snapshot('mentor.user_security_answers', mentor._history_table_id('mentor.users'))$$),
          '55000', 'admin: the state snapshot only under the table''s own history id (another''s would not exclude the answer hash)');
SELECT is(pg_temp.req('admin', NULL, $$SELECT mentor._history_index_partition('mentor.users')$$), '42501',
          'admin: the partition indexer is the extension''s own');
-- Partitions of the log: made by the trigger (through fmgr) for every writer, by hand only by admins.
SELECT is(pg_temp.req('app', NULL, $$SELECT mentor._history_add_partition('2031-01-01')$$), '42501',
          'app: making a partition of the history log by hand is refused');
SELECT is(pg_temp.req('analyst', NULL, $$SELECT mentor._history_prune('2000-01-01')$$), '42501',
          'analyst: pruning through the internal function is refused');
SELECT is(pg_temp.val('app', NULL, 'SELECT count(*)::text FROM mentor.history_partitions'), '42501',
          'app: the list of history partitions cannot be read');
SELECT is(pg_temp.val('app', NULL, format('SELECT count(*)::text FROM %s', (SELECT partition FROM mentor.history_partitions LIMIT 1))),
          '42501', 'app: a partition of the log cannot be read directly');
SELECT is(pg_temp.val('analyst', NULL, format('SELECT count(*)::text FROM %s', (SELECT partition FROM mentor.history_partitions LIMIT 1))),
          '42501', 'analyst: nor by analysts (private columns are in it)');
SELECT is(pg_temp.val('analyst', NULL, 'SELECT (count(*) > 0)::text FROM mentor.history_partitions'), 'true',
          'analyst: the list of partitions (bounds and sizes) is readable');
SELECT is(pg_temp.val('analyst', NULL, format($$SELECT count(*)::text FROM mentor.row_history('mentor.users', '{"id": %s}') h WHERE h.new_row ? 'email'$$, :mia)), '0',
          'analyst: row_history() shows no email');
SELECT is(pg_temp.val('analyst', NULL, $$SELECT format('%s/%s', count(*), count(*) FILTER (WHERE new_row ?| ARRAY['ip', 'user_agent'])) FROM mentor.history WHERE table_name = 'mentor.login_events' AND new_row->>'event' = 'login'$$), '2/0',
          'analyst: history shows sign-ins, never where from');
SELECT is(pg_temp.val('analyst', NULL, 'SELECT full_name FROM mentor.course_leaderboard LIMIT 1'), '42501',
          'analyst: the leaderboard''s names cannot be read');
SELECT is(pg_temp.val('analyst', NULL, 'SELECT count(*)::text FROM mentor.course_leaderboard WHERE username IS NOT NULL'), '1',
          'analyst: the leaderboard''s other columns can');
SELECT is(pg_temp.val('app', NULL, 'SELECT count(*)::text FROM mentor.history'), '42501', 'app: history cannot be read');
SELECT is(pg_temp.req('app', NULL, $$SELECT mentor.set_history_private('mentor.users', '{}')$$), '42501',
          'app: un-hiding private columns of history (set_history_private) is refused');
SELECT is(pg_temp.req('analyst', NULL, $$SELECT mentor.set_history_private('mentor.users', '{}')$$), '42501',
          'analyst: set_history_private is refused');
SELECT is(pg_temp.req('admin', NULL, $$SELECT mentor.set_history_private('mentor.users', ARRAY['email', 'full_name', 'github_id', 'google_id'])$$),
          'SELECT 1', 'admin: set_history_private works');
SELECT is(pg_temp.val('admin', NULL, format($$SELECT h.new_row ->> 'email' FROM mentor.row_history('mentor.users', '{"id": %s}') h WHERE h.op = 'I'$$, :mia)),
          'mia@example.com', 'admin: history shows the email');

SELECT is(pg_temp.val('app', NULL, 'SELECT answer_hash FROM mentor.user_security_answers LIMIT 1'), '42501',
          'app: security answer hashes cannot be read');
SELECT is(pg_temp.val('analyst', NULL, format($$SELECT mentor.check_security_answer(%s, 'x')::text$$, :mia)), '42501',
          'analyst: security answers cannot be tried');
SELECT is(pg_temp.val('app', NULL, format($$SELECT mentor.check_security_answer(%s, 'rex')::text$$, :mia)), 'true',
          'app: check_security_answer answers yes or no');

-- Act as another user.
SELECT is(pg_temp.req('app', NULL, $$SET mentor.actor_id = '2'$$), '42501', 'app: SET mentor.actor_id is refused');
SELECT is(pg_temp.req('app', NULL, $$SET LOCAL mentor.actor_id = '2'$$), '42501', 'app: SET LOCAL mentor.actor_id is refused');
SELECT is(pg_temp.req('app', NULL, $$SELECT set_config('mentor.actor_id', '2', false)$$), '42501',
          'app: set_config(mentor.actor_id, ..., false) is refused');
SELECT is(pg_temp.req('analyst', NULL, $$SET mentor.actor_id = '2'$$), '42501', 'analyst: SET mentor.actor_id is refused');
SELECT is(pg_temp.req('app', NULL, $$SELECT set_config('mentor.score_source', 'crosscheck:top_k_minus_1', true)$$), '42501',
          'app: claiming a cross-check as the source of a score (mentor.score_source) is refused');
SELECT is(pg_temp.val('app', NULL, 'SELECT coalesce(mentor.current_actor()::text, $$none$$)'), 'none',
          'app: the next request on that connection has no actor');
SELECT is(pg_temp.val('app', :mia, 'SELECT mentor.current_actor()::text'), :'mia', 'app: set_actor() sets it for the request');
SELECT is(pg_temp.val('app', NULL, 'SELECT coalesce(mentor.current_actor()::text, $$none$$)'), 'none',
          'app: the request after it has no actor');

-- Notifications: the outbox is written by notify() and the delivery functions; each user
-- reads only their own in-app rows, choices and connections; catalogue and alerts are
-- administrators'.
SELECT mentor.notify(:mia, 'session.booked', '{"note": "for mia"}') AS n_mia, mentor.notify(:grace, 'session.booked') AS n_grace \gset
SELECT is(pg_temp.val('app', :mia, format('SELECT count(*)::text FROM mentor.notifications WHERE user_id = %s', :grace)), '0',
          'app as the mentee: another user''s notifications are invisible');
SELECT is(pg_temp.val('app', :mia, 'SELECT string_agg(DISTINCT channel_code, $$,$$) FROM mentor.notifications'), 'in_app',
          'app as the mentee: only her own in-app rows are visible (not the email outbox)');
SELECT is(pg_temp.req('app', :mia, format($$INSERT INTO mentor.notifications (user_id, type_code, channel_code) VALUES (%s, 'session.booked', 'in_app')$$, :grace)),
          '42501', 'app: writing the outbox by INSERT is refused (notify() records)');
SELECT is(pg_temp.req('app', :mia, $$UPDATE mentor.notifications SET read_at = now()$$), '42501',
          'app: marking notifications read by UPDATE is refused (mark_notifications_read)');
SELECT is(pg_temp.req('app', NULL, 'DELETE FROM mentor.notifications'), '42501', 'app: deleting from the outbox is refused');
SELECT is(pg_temp.req('admin', NULL, $$UPDATE mentor.notifications SET status = 'sent', sent_at = now()$$), '42501',
          'admin: marking sent by UPDATE is refused too (mark_sent)');
SELECT is(pg_temp.req('analyst', NULL, 'SELECT * FROM mentor.notifications'), '42501', 'analyst: notifications (payloads, addresses) are not readable');
SELECT is(pg_temp.req('analyst', NULL, $$SELECT * FROM mentor.claim_notifications('email', 'a1')$$), '42501',
          'analyst: claim_notifications() is refused');
SELECT matches(pg_temp.req('app', NULL, $$SELECT * FROM mentor.claim_notifications('email', 'app-worker', 100)$$), '^SELECT [1-9]',
          'app: a delivery worker claims the email outbox of every user');
SELECT is(pg_temp.req('app', NULL, 'SELECT mentor.requeue_notification(1)'), '42501',
          'app: queueing a failed notification again is for administrators');
SELECT is(pg_temp.req('app', NULL, $$SELECT * FROM mentor._queue_claim('mentor.notifications', 'queued', 'sending', 'failed', 'w', 10, '1 minute', 5)$$),
          '42501', 'app: the queue''s internal claim is not callable');
SELECT is(pg_temp.val('app', :mia, format('SELECT mentor.mark_notifications_read(ARRAY(SELECT id FROM mentor.notifications WHERE user_id = %s))::text', :grace)),
          '0', 'app as the mentee: marking another user''s notifications read changes nothing');
SELECT is(pg_temp.req('app', NULL, $$INSERT INTO mentor.notification_types (code, description) VALUES ('custom.app', 'x')$$), '42501',
          'app: adding a notification type is for administrators');
SELECT is(pg_temp.req('admin', NULL, $$INSERT INTO mentor.notification_types (code, description) VALUES ('custom', 'Custom events')$$), 'INSERT 0 1',
          'admin: adds a notification type');
SELECT is(pg_temp.req('app', NULL, $$INSERT INTO mentor.settings (key, value) VALUES ('notify.disabled_types', '["session"]')$$), '42501',
          'app: turning events off is for administrators');
SELECT is(pg_temp.req('app', NULL, $$INSERT INTO mentor.alerts (title) VALUES ('app banner')$$), '42501', 'app: posting an alert is refused');
SELECT is(pg_temp.req('admin', NULL, $$INSERT INTO mentor.alerts (title) VALUES ('Maintenance')$$), 'INSERT 0 1', 'admin: posts an alert');
SELECT is(pg_temp.val('app', :olly, 'SELECT count(*)::text FROM mentor.active_alerts'), '1', 'app: a global alert is shown to everyone');
SELECT is(pg_temp.req('app', :olly, format($$INSERT INTO mentor.notification_user_settings (user_id, type_code, channel_code, enabled) VALUES (%s, 'session', 'email', false)$$, :mia)),
          '42501', 'app: choosing another user''s notification settings is refused');
SELECT is(pg_temp.req('app', :mia, format($$INSERT INTO mentor.notification_user_settings (user_id, type_code, channel_code, enabled) VALUES (%s, 'session', 'email', false)$$, :mia)),
          'INSERT 0 1', 'app: a user chooses her own');
SELECT is(pg_temp.req('app', :mia, format($$INSERT INTO mentor.notification_connections (user_id, channel_code, address) VALUES (%s, 'telegram', '@mia')$$, :mia)),
          'INSERT 0 1', 'app: a user adds her own connection');
SELECT is(pg_temp.val('app', :olly, 'SELECT count(*)::text FROM mentor.notification_connections'), '0', 'app: nobody else sees it');
SELECT is(pg_temp.val('app', :olly, 'SELECT count(*)::text FROM mentor.notification_user_settings'), '0',
          'app: nor another user''s settings');
SELECT is(pg_temp.req('analyst', NULL, 'SELECT * FROM mentor.notification_connections'), '42501', 'analyst: connections (addresses) are not readable');

-- Secrets: plain text only through read_token for the owner or an administrator; hashes and
-- ciphertext never by SELECT; keys, rotation and API keys are administrators'.
\o /dev/null
SELECT current_setting('data_directory') || '/mentor_matrix.key' AS keyfile \gset
SELECT format('COPY (SELECT %L) TO %L', md5(random()::text) || md5(random()::text), :'keyfile') \gexec
LOAD 'mentor';
SELECT format('ALTER SYSTEM SET mentor.secret_key_file = %L', :'keyfile') \gexec
SELECT pg_reload_conf(), pg_sleep(0.3);
\o
SELECT pg_temp.val('app', :mia, format($$SELECT mentor.store_token(%s, 'google', 'ya29.matrix-secret', 'rt-matrix')::text$$, :mia)) AS tid \gset
SELECT ok(:'tid' ~ '^\d+$', 'app: a user stores her own token');
SELECT is(pg_temp.req('app', :olly, format($$SELECT mentor.store_token(%s, 'google', 'forged')$$, :mia)), '42501',
          'app: storing a token for another user is refused');
SELECT is(pg_temp.val('app', :mia, format('SELECT access_token FROM mentor.read_token(%s)', :tid)), 'ya29.matrix-secret',
          'app: the owner reads her token in clear');
SELECT is(pg_temp.req('app', :olly, format('SELECT * FROM mentor.read_token(%s)', :tid)), '42501', 'app: another user cannot decrypt it');
SELECT is(pg_temp.req('app', NULL, format('SELECT * FROM mentor.read_token(%s)', :tid)), '42501', 'app: nor can a request without an actor');
SELECT is(pg_temp.val('admin', NULL, format('SELECT access_token FROM mentor.read_token(%s)', :tid)), 'ya29.matrix-secret',
          'admin: an administrator can');
SELECT is(pg_temp.req('app', :mia, 'SELECT access_token FROM mentor.integration_tokens'), '42501', 'app: the ciphertext column is not selectable');
SELECT is(pg_temp.req('admin', NULL, 'SELECT refresh_token FROM mentor.integration_tokens'), '42501', 'admin: nor for administrators');
SELECT is(pg_temp.req('analyst', NULL, 'SELECT provider FROM mentor.integration_tokens'), '42501', 'analyst: integration tokens are not readable');
SELECT is(pg_temp.val('app', :olly, 'SELECT count(*)::text FROM mentor.integration_tokens'), '0', 'app: another user does not see the row');
SELECT is(pg_temp.req('app', :mia, format($$UPDATE mentor.integration_tokens SET key_id = 'x' WHERE id = %s$$, :tid)), '42501',
          'app: the row is not writable by UPDATE');
SELECT is(pg_temp.req('app', NULL, 'SELECT mentor._secret_key(false)'), '42501', 'app: the key itself is not callable');
SELECT is(pg_temp.req('app', NULL, 'SHOW mentor.secret_key_file'), '42501', 'app: the key file setting is not readable');
SELECT is(pg_temp.req('app', NULL, 'SELECT mentor.rotate_secret_key()'), '42501', 'app: rotating the key is for administrators');
SELECT is(pg_temp.val('admin', NULL, 'SELECT mentor.rotate_secret_key()::text'), '0', 'admin: rotates (nothing to move)');
SELECT is(pg_temp.req('app', NULL, $$SELECT * FROM mentor.create_api_key('app key')$$), '42501', 'app: making an API key is for administrators');
SELECT pg_temp.val('admin', NULL, $$SELECT api_key FROM mentor.create_api_key('matrix vendor')$$) AS apikey \gset
SELECT ok(pg_temp.val('app', NULL, format($$SELECT mentor.verify_api_key(%L)::text$$, :'apikey')) ~ '^\d+$', 'app: verifies a vendor''s key');
SELECT is(pg_temp.req('admin', NULL, 'SELECT secret_hash FROM mentor.api_keys'), '42501', 'admin: a key''s hash is not selectable');
SELECT is(pg_temp.req('app', NULL, 'SELECT * FROM mentor.api_keys'), '42501', 'app: API keys are not readable');
SELECT is(pg_temp.req('app', NULL, $$UPDATE mentor.api_keys SET status = 'revoked'$$), '42501', 'app: revoking a key is for administrators');
SELECT is(pg_temp.req('analyst', NULL, 'SELECT * FROM mentor.api_key_usage_daily'), '42501', 'analyst: key usage is not readable');
SELECT pg_temp.val('app', NULL, format($$SELECT mentor.issue_token('password_reset', %s)$$, :mia)) AS ott \gset
SELECT is(pg_temp.req('app', NULL, 'SELECT * FROM mentor.one_time_tokens'), '42501', 'app: one-time tokens are not readable');
SELECT is(pg_temp.req('admin', NULL, 'SELECT token_hash FROM mentor.one_time_tokens'), '42501', 'admin: nor their hashes');
SELECT is(pg_temp.req('app', NULL, 'UPDATE mentor.one_time_tokens SET used_at = NULL'), '42501', 'app: a used token cannot be made usable again');
SELECT is(pg_temp.val('app', NULL, format($$SELECT user_id::text FROM mentor.consume_token('password_reset', %L)$$, :'ott')), :'mia',
          'app: consumes a token once');
SELECT is(pg_temp.req('app', NULL, format($$SELECT * FROM mentor.consume_token('password_reset', %L)$$, :'ott')), 'MN006', 'app: not twice');
SELECT is(pg_temp.req('app', NULL, 'SELECT * FROM mentor.refresh_tokens'), '42501', 'app: refresh tokens are not readable');
SELECT is(pg_temp.req('app', :olly, format('SELECT mentor.revoke_refresh_tokens(%s)', :mia)), '42501',
          'app: signing another user out is refused');
SELECT is(pg_temp.req('app', :mia, 'UPDATE mentor.login_events SET success = false'), '42501', 'app: sign-in events cannot be changed');
SELECT is(pg_temp.req('admin', NULL, 'UPDATE mentor.login_events SET success = false'), '42501', 'admin: sign-in events cannot be changed');
SELECT is(pg_temp.req('admin', NULL, 'DELETE FROM mentor.login_events'), '42501', 'admin: nor removed');
\o /dev/null
ALTER SYSTEM RESET mentor.secret_key_file;
SELECT pg_reload_conf();
\o

-- Community: conversations and connections are their people's; writes through the functions.
SELECT pg_temp.val('app', :grace, format('SELECT mentor.start_direct(%s)::text', :mia)) AS dm \gset
SELECT ok(pg_temp.val('app', :grace, format($$SELECT mentor.send_message(%s, 'private hello')::text$$, :dm)) ~ '^\d+$',
          'app: a member sends a message');
SELECT is(pg_temp.val('app', :olly, 'SELECT count(*)::text FROM mentor.messages'), '0', 'app as an outsider: no message of the conversation is visible');
SELECT is(pg_temp.val('app', :olly, 'SELECT count(*)::text FROM mentor.direct_messages'), '0', 'app as an outsider: nor through direct_messages');
SELECT is(pg_temp.req('app', :olly, format($$SELECT mentor.send_message(%s, 'intruder')$$, :dm)), 'MN005',
          'app: a non-member cannot write to the conversation');
SELECT is(pg_temp.req('app', :olly, format($$INSERT INTO mentor.messages (conversation_id, sender_id, body) VALUES (%s, %s, 'x')$$, :dm, :olly)),
          '42501', 'app: nor by INSERT');
SELECT is(pg_temp.req('app', :mia, format('UPDATE mentor.conversation_members SET last_read_message_id = 0 WHERE conversation_id = %s', :dm)),
          '42501', 'app: read markers move through mark_conversation_read only');
SELECT is(pg_temp.req('analyst', NULL, 'SELECT * FROM mentor.messages'), '42501', 'analyst: messages are not readable');
SELECT is(pg_temp.req('analyst', NULL, 'SELECT * FROM mentor.direct_messages'), '42501', 'analyst: nor through direct_messages');
SELECT pg_temp.val('app', :olly, format('SELECT mentor.request_connection(%s)::text', :mia)) AS conn \gset
SELECT is(pg_temp.req('app', :olly, format('SELECT mentor.respond_connection(%s, true)', :conn)), 'MN005',
          'app: the requester cannot accept her own request');
SELECT is(pg_temp.req('app', :olly, format($$UPDATE mentor.connections SET status = 'accepted' WHERE id = %s$$, :conn)), '42501',
          'app: nor by UPDATE');
SELECT is(pg_temp.val('app', :grace, 'SELECT count(*)::text FROM mentor.connections'), '0', 'app: a third user does not see the request');
SELECT is(pg_temp.req('analyst', NULL, 'SELECT * FROM mentor.connections'), '42501', 'analyst: connections are not readable');
SELECT is(pg_temp.req('app', :mia, $$INSERT INTO mentor.support_groups (name, created_by) VALUES ('Mia''s group', NULL)$$), '42501',
          'app: a support group is started in one''s own name only');
SELECT pg_temp.val('app', :mia, format($$INSERT INTO mentor.support_groups (name, created_by) VALUES ('Matrix group', %s) RETURNING id::text$$, :mia)) AS sgroup \gset
SELECT is(pg_temp.req('app', :olly, format('INSERT INTO mentor.group_memberships (group_id, user_id) VALUES (%s, %s)', :sgroup, :grace)), '42501',
          'app: nobody joins a group for someone else');
SELECT is(pg_temp.req('app', :olly, format('UPDATE mentor.support_groups SET member_count = 99 WHERE id = %s', :sgroup)), 'UPDATE 0',
          'app: only the creator edits a group (row-level security)');
SELECT is(pg_temp.req('app', :mia, format('UPDATE mentor.support_groups SET member_count = 99 WHERE id = %s', :sgroup)), '42501',
          'app: and not its member count, which the extension keeps');

-- Practice: problems are staff's; submissions are their user's and move through the judge's
-- functions; stats are the triggers'; interviews, pair programming and posts are their people's.
INSERT INTO mentor.users (email, username, full_name, role) VALUES ('ada@example.com', 'ada', 'Ada Admin', 'admin');
SELECT id AS ada FROM mentor.users WHERE username = 'ada' \gset
INSERT INTO mentor.problems (slug, title, difficulty, published) VALUES ('matrix-sum', 'Matrix sum', 'easy', true);
SELECT id AS prob FROM mentor.problems WHERE slug = 'matrix-sum' \gset
SELECT is(pg_temp.req('app', :ada, $$INSERT INTO mentor.problems (slug, title, difficulty) VALUES ('app-problem', 'x', 'easy')$$), '42501',
          'app: problems are written by staff, not the application');
SELECT is(pg_temp.req('admin', NULL, $$INSERT INTO mentor.problems (slug, title, difficulty) VALUES ('admin-problem', 'x', 'easy')$$), 'INSERT 0 1',
          'admin: writes problems');
SELECT is(pg_temp.req('app', :mia, $$UPDATE mentor.languages SET compiled = NOT compiled$$), '42501', 'app: the language catalogue is staff''s');
SELECT is(pg_temp.req('app', :mia, format($$INSERT INTO mentor.submissions (problem_id, user_id, language_code, code) VALUES (%s, %s, 'python', 'x')$$, :prob, :olly)),
          '42501', 'app: nobody submits in another user''s name');
SELECT is(pg_temp.req('app', :mia, format($$INSERT INTO mentor.submissions (problem_id, user_id, language_code, code) VALUES (%s, %s, 'python', 'print(1)')$$, :prob, :mia)),
          'INSERT 0 1', 'app: a user submits their own code');
SELECT is(pg_temp.req('app', :olly, 'SELECT * FROM mentor.submissions'), 'SELECT 0', 'app: another user''s code is not visible');
SELECT is(pg_temp.req('app', :ada, 'SELECT * FROM mentor.submissions'), 'SELECT 1', 'app as staff: every submission is');
SELECT is(pg_temp.req('app', :mia, $$UPDATE mentor.submissions SET status = 'completed', verdict = 'accepted'$$), '42501',
          'app: a verdict is not written by UPDATE');
SELECT is(pg_temp.req('admin', NULL, $$UPDATE mentor.submissions SET status = 'completed', verdict = 'accepted'$$), '42501',
          'admin: nor by an administrator');
SELECT is(pg_temp.req('app', :mia, $$INSERT INTO mentor.submissions (problem_id, user_id, language_code, code, verdict) SELECT problem_id, user_id, 'python', 'y', 'accepted' FROM mentor.submissions$$), '42501',
          'app: nor given at submission');
SELECT pg_temp.val('app', NULL, $$SELECT string_agg(id::text, ',') FROM mentor.claim_submissions('matrix-judge', 1, interval '1 minute')$$) AS judged \gset
SELECT is(pg_temp.req('app', NULL, format($$SELECT mentor.report_submission(%s, 'other-judge', 'running')$$, :judged)), 'MN005',
          'app: only the judge holding the lease reports');
SELECT pg_temp.req('app', NULL, format($$SELECT mentor.report_submission(%s, 'matrix-judge', 'running')$$, :judged)) AS _ \gset
SELECT is(pg_temp.req('app', NULL, format($$SELECT mentor.report_submission(%s, 'matrix-judge', 'completed', 'accepted', 'ok', 100)$$, :judged)), 'SELECT 1',
          'app: which it does');
SELECT is(pg_temp.req('app', :mia, format('UPDATE mentor.user_stats SET problems_solved = 99 WHERE user_id = %s', :mia)), '42501',
          'app: stats are not written by UPDATE');
SELECT is(pg_temp.req('app', :mia, format('INSERT INTO mentor.user_stats (user_id, problems_solved) VALUES (%s, 99)', :olly)), '42501',
          'app: nor by INSERT');
SELECT is(pg_temp.req('app', :mia, format($$UPDATE mentor.user_stats SET study_plan = '{"focus": "graphs"}' WHERE user_id = %s$$, :mia)), 'UPDATE 1',
          'app: a study plan is the application''s to write');
SELECT is(pg_temp.req('app', :mia, 'UPDATE mentor.user_rank_counts SET users = 0'), '42501', 'app: the rank buckets are the triggers''');
SELECT is(pg_temp.req('admin', NULL, 'DELETE FROM mentor.solved_problems'), '42501', 'admin: solved problems are the triggers''');
SELECT is(pg_temp.req('analyst', NULL, 'SELECT * FROM mentor.submissions'), '42501', 'analyst: submitted code is not readable');
SELECT is(pg_temp.req('analyst', NULL, 'SELECT * FROM mentor.problems'), 'SELECT 2', 'analyst: problems are');
SELECT pg_temp.val('app', :mia, $$INSERT INTO mentor.interview_sessions (user_id, interview_type) VALUES (mentor.current_actor(), 'coding') RETURNING id::text$$) AS iv \gset
SELECT is(pg_temp.req('app', :olly, 'SELECT * FROM mentor.interview_sessions'), 'SELECT 0', 'app: another user''s interview is not visible');
SELECT is(pg_temp.req('app', :olly, format($$INSERT INTO mentor.interview_questions (session_id, position, question) VALUES (%s, 1, 'x')$$, :iv)), '42501',
          'app: nor can questions be added to it');
SELECT is(pg_temp.req('analyst', NULL, 'SELECT * FROM mentor.interview_sessions'), '42501', 'analyst: interviews are not readable');
SELECT pg_temp.val('app', :grace, $$INSERT INTO mentor.collaboration_sessions (host_id, code) VALUES (mentor.current_actor(), 'secret code') RETURNING id::text$$) AS cs \gset
SELECT is(pg_temp.req('app', :olly, 'SELECT * FROM mentor.collaboration_sessions'), 'SELECT 0', 'app: a pair-programming session is its participants''');
SELECT is(pg_temp.req('app', :olly, format($$UPDATE mentor.collaboration_sessions SET code = 'mine' WHERE id = %s$$, :cs)), 'UPDATE 0',
          'app: an outsider cannot write its code');
SELECT is(pg_temp.req('app', :olly, format('INSERT INTO mentor.collaboration_participants (session_id, user_id) VALUES (%s, %s)', :cs, :olly)), '42501',
          'app: nor join it uninvited');
SELECT is(pg_temp.req('app', :grace, format('INSERT INTO mentor.collaboration_participants (session_id, user_id) VALUES (%s, %s)', :cs, :mia)), 'INSERT 0 1',
          'app: the host invites');
SELECT is(pg_temp.val('app', :mia, format('SELECT code FROM mentor.collaboration_sessions WHERE id = %s', :cs)), 'secret code',
          'app: and the invited participant reads the code');
SELECT pg_temp.val('app', :mia, $$INSERT INTO mentor.forum_posts (author_id, title, content) VALUES (mentor.current_actor(), 'Matrix post', 'Hello') RETURNING id::text$$) AS post \gset
SELECT is(pg_temp.req('app', :olly, format($$UPDATE mentor.forum_posts SET title = 'x' WHERE id = %s$$, :post)), 'UPDATE 0', 'app: only its author edits a post');
SELECT is(pg_temp.req('app', :mia, format('UPDATE mentor.forum_posts SET hidden = true WHERE id = %s', :post)), '42501',
          'app: hiding is not an author''s UPDATE');
SELECT is(pg_temp.req('app', :olly, format('SELECT mentor.hide_forum_post(%s)', :post)), '42501', 'app: a non-staff user does not moderate');
SELECT is(pg_temp.val('app', :ada, format('SELECT (mentor.hide_forum_post(%s)).hidden::text', :post)), 'true', 'app as staff: moderates');
SELECT is(pg_temp.req('app', :olly, 'SELECT * FROM mentor.forum_posts'), 'SELECT 0', 'app: a hidden post is gone for others');
SELECT is(pg_temp.req('app', NULL, $$INSERT INTO mentor.news_sources (code, name) VALUES ('myfeed', 'Mine')$$), '42501', 'app: news sources are staff''s');
SELECT is(pg_temp.req('app', NULL, $$SELECT mentor.record_news_item('indeed', 'job', 'Matrix job', 'https://indeed.example/1')$$), 'SELECT 1',
          'app: a fetcher records news items');

-- Support: an unpublished resource is its uploader's and staff's; a ticket and its thread the
-- reporter's, the assignee's and staff's (staff assign, to staff only); cover is answered by the
-- proxy alone; milestones and support chats are their owner's, staff included.
SELECT pg_temp.val('app', :mia, $$INSERT INTO mentor.resources (title, type, uploaded_by, file_path) VALUES ('Draft story', 'story', mentor.current_actor(), 'up/mia.pdf') RETURNING id::text$$) AS res \gset
SELECT is(pg_temp.req('app', :olly, format('SELECT * FROM mentor.resources WHERE id = %s', :res)), 'SELECT 0', 'app: an unpublished resource is not visible to others');
SELECT is(pg_temp.req('app', :ada, format('SELECT * FROM mentor.resources WHERE id = %s', :res)), 'SELECT 1', 'app as staff: it is');
SELECT is(pg_temp.req('app', :olly, format('UPDATE mentor.resources SET published = true WHERE id = %s', :res)), 'UPDATE 0',
          'app: only its uploader or staff publish it');
SELECT is(pg_temp.req('app', :olly, format($$INSERT INTO mentor.resource_comments (resource_id, user_id, content) VALUES (%s, %s, 'x')$$, :res, :olly)),
          '42501', 'app: nor can others comment on it');
SELECT is(pg_temp.req('analyst', NULL, 'SELECT * FROM mentor.resources'), '42501', 'analyst: resources are not readable');
SELECT pg_temp.val('app', :mia, $$INSERT INTO mentor.support_tickets (reporter_id, title, description) VALUES (mentor.current_actor(), 'Matrix ticket', 'Private detail') RETURNING id::text$$) AS tkt \gset
SELECT is(pg_temp.req('app', :olly, 'SELECT * FROM mentor.support_tickets'), 'SELECT 0', 'app: another user''s ticket is not visible');
SELECT is(pg_temp.req('app', :mia, format($$UPDATE mentor.support_tickets SET status = 'resolved', resolved_at = now() WHERE id = %s$$, :tkt)), '42501',
          'app: the status moves through set_ticket_status only');
SELECT is(pg_temp.req('app', :mia, format('SELECT mentor.assign_ticket(%s, %s)', :tkt, :ada)), '42501', 'app: a non-staff user does not assign tickets');
SELECT is(pg_temp.req('app', :mia, format('UPDATE mentor.support_tickets SET assignee_id = %s WHERE id = %s', :ada, :tkt)), '42501',
          'app: nor by UPDATE');
SELECT is(pg_temp.req('app', :ada, format('SELECT mentor.assign_ticket(%s, %s)', :tkt, :grace)), '22023', 'app as staff: not to a non-staff user');
SELECT is(pg_temp.val('app', :ada, format('SELECT (mentor.assign_ticket(%s, %s)).assignee_id::text', :tkt, :ada)), :'ada', 'app as staff: assigns to staff');
SELECT is(pg_temp.req('app', :mia, format($$INSERT INTO mentor.ticket_messages (ticket_id, author_id, body) VALUES (%s, mentor.current_actor(), 'more detail')$$, :tkt)),
          'INSERT 0 1', 'app: the reporter writes in the thread');
SELECT is(pg_temp.req('app', :olly, 'SELECT * FROM mentor.ticket_messages'), 'SELECT 0', 'app: an outsider reads none of it');
SELECT is(pg_temp.req('app', :olly, format($$INSERT INTO mentor.ticket_messages (ticket_id, author_id, body) VALUES (%s, mentor.current_actor(), 'x')$$, :tkt)),
          '42501', 'app: nor writes in it');
SELECT is(pg_temp.req('app', :mia, 'UPDATE mentor.ticket_messages SET body = $$edited$$'), '42501', 'app: a thread is never edited');
SELECT is(pg_temp.req('admin', NULL, 'DELETE FROM mentor.ticket_messages'), '42501', 'admin: nor removed');
SELECT is(pg_temp.req('analyst', NULL, 'SELECT * FROM mentor.ticket_messages'), '42501', 'analyst: ticket threads are not readable');
SELECT is(pg_temp.req('analyst', NULL, 'SELECT * FROM mentor.support_tickets'), '42501', 'analyst: nor tickets');
SELECT is(pg_temp.val('analyst', NULL, $$SELECT bool_or(new_row ? 'description')::text FROM mentor.history WHERE table_name = 'mentor.support_tickets'$$), 'false',
          'analyst: nor what a ticket says through history');
SELECT is(pg_temp.val('admin', NULL, $$SELECT bool_or(new_row ? 'description')::text FROM mentor.history WHERE table_name = 'mentor.support_tickets'$$), 'true',
          'admin: administrators read it in history');
SELECT pg_temp.val('app', :mia, format($$INSERT INTO mentor.proxy_requests (mother_id, proxy_id, start_date, expected_end_date) VALUES (mentor.current_actor(), %s, '2027-03-01', '2027-06-01') RETURNING id::text$$, :grace)) AS pxy \gset
SELECT is(pg_temp.req('app', :olly, 'SELECT * FROM mentor.proxy_requests'), 'SELECT 0', 'app: a proxy request is its two people''s');
SELECT is(pg_temp.req('app', :mia, format('SELECT mentor.respond_proxy_request(%s, true)', :pxy)), 'MN005', 'app: the mother does not accept her own request');
SELECT is(pg_temp.req('app', :mia, format($$UPDATE mentor.proxy_requests SET status = 'accepted', responded_at = now() WHERE id = %s$$, :pxy)), '42501',
          'app: nor by UPDATE');
SELECT is(pg_temp.val('app', :grace, format('SELECT mentor.respond_proxy_request(%s, true)::text', :pxy)), 'accepted', 'app: the proxy accepts');
SELECT is(pg_temp.req('analyst', NULL, 'SELECT * FROM mentor.proxy_requests'), '42501', 'analyst: proxy requests are not readable');
SELECT is(pg_temp.req('app', :mia, $$INSERT INTO mentor.milestone_logs (user_id, type, title) VALUES (mentor.current_actor(), 'birth', 'Matrix milestone')$$),
          'INSERT 0 1', 'app: a user logs a milestone');
SELECT is(pg_temp.req('app', :ada, 'SELECT * FROM mentor.milestone_logs'), 'SELECT 0', 'app as staff: milestones are their owner''s alone');
SELECT is(pg_temp.req('analyst', NULL, 'SELECT * FROM mentor.milestone_logs'), '42501', 'analyst: milestones are not readable');
SELECT is(pg_temp.req('app', :mia, $$INSERT INTO mentor.support_chats (user_id, message, is_from_user) VALUES (mentor.current_actor(), 'matrix chat', true)$$),
          'INSERT 0 1', 'app: a user chats with the assistant');
SELECT is(pg_temp.req('app', :ada, 'SELECT * FROM mentor.support_chats'), 'SELECT 0', 'app as staff: the chat is the user''s alone');
SELECT is(pg_temp.req('app', :olly, format($$INSERT INTO mentor.support_chats (user_id, message, is_from_user) VALUES (%s, 'x', false)$$, :mia)), '42501',
          'app: nobody writes into another user''s chat');
SELECT is(pg_temp.req('app', :mia, 'UPDATE mentor.support_chats SET message = $$x$$'), '42501', 'app: a chat is not rewritten');
SELECT is(pg_temp.req('analyst', NULL, 'SELECT * FROM mentor.support_chats'), '42501', 'analyst: chats are not readable');
SELECT is(pg_temp.val('admin', NULL, $$SELECT count(*)::text FROM mentor.history WHERE table_name = 'mentor.support_chats'$$), '0',
          'admin: nor are they in history');

-- Learning paths: paths and modules are staff's; completions are their user's; progress is
-- the triggers' alone.
INSERT INTO mentor.learning_paths (title) VALUES ('Matrix path');
SELECT id AS lpath FROM mentor.learning_paths WHERE title = 'Matrix path' \gset
INSERT INTO mentor.learning_path_modules (path_id, position, title) VALUES (:lpath, 1, 'Matrix module 1'), (:lpath, 2, 'Matrix module 2');
SELECT id AS lmod FROM mentor.learning_path_modules WHERE title = 'Matrix module 1' \gset
SELECT is(pg_temp.req('app', :ada, $$INSERT INTO mentor.learning_paths (title) VALUES ('App path')$$), '42501', 'app: learning paths are written by administrators');
SELECT is(pg_temp.req('admin', NULL, format('UPDATE mentor.learning_paths SET module_count = 9 WHERE id = %s', :lpath)), '42501',
          'admin: not a path''s module count, which the extension keeps');
SELECT is(pg_temp.req('app', :olly, format('INSERT INTO mentor.learning_module_completions (user_id, module_id) VALUES (%s, %s)', :mia, :lmod)), '42501',
          'app: nobody completes a module for someone else');
SELECT is(pg_temp.req('app', :mia, format('INSERT INTO mentor.learning_module_completions (user_id, module_id) VALUES (mentor.current_actor(), %s)', :lmod)),
          'INSERT 0 1', 'app: a user completes a module');
SELECT is(pg_temp.val('app', :mia, 'SELECT progress::text FROM mentor.learning_progress'), '50', 'app: and reads her progress, 1 of 2');
SELECT is(pg_temp.req('app', :mia, 'UPDATE mentor.learning_progress SET progress = 100'), '42501', 'app: progress is never written by hand');
SELECT is(pg_temp.req('admin', NULL, 'UPDATE mentor.learning_progress SET progress = 100'), '42501', 'admin: not even by administrators');
SELECT is(pg_temp.req('app', :olly, format('INSERT INTO mentor.learning_progress (user_id, path_id, progress) VALUES (mentor.current_actor(), %s, 100)', :lpath)),
          '42501', 'app: nor given on INSERT');
SELECT is(pg_temp.req('app', :olly, 'SELECT * FROM mentor.learning_progress'), 'SELECT 0', 'app: another user''s progress is not visible');
SELECT is(pg_temp.req('app', :olly, 'SELECT * FROM mentor.user_learning_progress'), 'SELECT 0', 'app: nor through user_learning_progress');
SELECT is(pg_temp.req('analyst', NULL, 'SELECT * FROM mentor.learning_progress'), '42501', 'analyst: progress is not readable');
SELECT is(pg_temp.req('analyst', NULL, 'SELECT * FROM mentor.learning_paths_json'), 'SELECT 1', 'analyst: the paths are');

-- Events: reusable events and webinars are staff's, course events the course staff's,
-- webinar progress its user's.
INSERT INTO mentor.events (name, type) VALUES ('Matrix lecture', 'lecture');
SELECT id AS mevent FROM mentor.events WHERE name = 'Matrix lecture' \gset
SELECT id AS mcourse FROM mentor.courses WHERE alias = 'matrix-course' \gset
INSERT INTO mentor.webinars (title, starts_at, duration_minutes) VALUES ('Matrix webinar', now(), 30);
SELECT id AS mweb FROM mentor.webinars WHERE title = 'Matrix webinar' \gset
SELECT is(pg_temp.req('app', :ada, $$INSERT INTO mentor.events (name, type) VALUES ('App event', 'lecture')$$), '42501', 'app: reusable events are administrators''');
SELECT is(pg_temp.req('app', :mia, format($$INSERT INTO mentor.course_events (course_id, event_id, starts_at, ends_at) VALUES (%s, %s, now(), now() + interval '1 hour')$$, :mcourse, :mevent)),
          '42501', 'app: a student does not schedule course events');
SELECT is(pg_temp.req('app', :ada, format($$INSERT INTO mentor.course_events (course_id, event_id, starts_at, ends_at, organizer_id) VALUES (%s, %s, now(), now() + interval '1 hour', %s)$$, :mcourse, :mevent, :grace)),
          'INSERT 0 1', 'app as staff: schedules one');
SELECT is(pg_temp.req('app', :mia, format('INSERT INTO mentor.webinar_progress (user_id, webinar_id, watched_seconds) VALUES (%s, %s, 10)', :olly, :mweb)), '42501',
          'app: nobody records webinar progress for someone else');
SELECT is(pg_temp.req('app', :mia, format('INSERT INTO mentor.webinar_progress (user_id, webinar_id, watched_seconds) VALUES (mentor.current_actor(), %s, 10)', :mweb)),
          'INSERT 0 1', 'app: a user records her own');
SELECT is(pg_temp.req('app', :olly, 'SELECT * FROM mentor.webinar_progress'), 'SELECT 0', 'app: and nobody else reads it');
SELECT is(pg_temp.req('analyst', NULL, 'SELECT * FROM mentor.webinar_progress'), '42501', 'analyst: webinar progress is not readable');
SELECT is(pg_temp.req('analyst', NULL, 'SELECT * FROM mentor.events'), 'SELECT 1', 'analyst: the events are');

-- Quizzes: the bank and the quizzes are staff's; nobody in the application reads the answers;
-- attempts move through start_quiz and submit_quiz only.
INSERT INTO mentor.course_modules (course_id, position, title) VALUES (:mcourse, 1, 'Matrix module');
SELECT id AS cmod FROM mentor.course_modules WHERE title = 'Matrix module' \gset
INSERT INTO mentor.questions (kind, prompt, options, correct) VALUES ('single_choice', 'Matrix question', '["a", "b"]', '[1]');
SELECT id AS mq FROM mentor.questions WHERE prompt = 'Matrix question' \gset
INSERT INTO mentor.quizzes (module_id, title, published) VALUES (:cmod, 'Matrix quiz', true);
SELECT id AS mquiz FROM mentor.quizzes WHERE title = 'Matrix quiz' \gset
INSERT INTO mentor.quiz_questions (quiz_id, question_id, position) VALUES (:mquiz, :mq, 1);
SELECT is(pg_temp.req('app', :mia, 'SELECT correct FROM mentor.questions'), '42501', 'app: the answers in the bank are not readable');
SELECT is(pg_temp.req('app', :ada, 'SELECT correct FROM mentor.questions'), '42501', 'app as staff: not through the application either');
SELECT is(pg_temp.req('app', :mia, 'SELECT * FROM mentor.quiz_questions_public'), 'SELECT 1', 'app: the questions are, without answers');
SELECT is(pg_temp.req('admin', NULL, 'SELECT correct FROM mentor.questions'), 'SELECT 1', 'admin: administrators write and read the bank');
SELECT is(pg_temp.req('app', :ada, $$INSERT INTO mentor.questions (kind, prompt, correct) VALUES ('text', 'x', '["x"]')$$), '42501',
          'app: the application does not write the bank');
SELECT is(pg_temp.req('app', :mia, format($$INSERT INTO mentor.course_modules (course_id, position, title) VALUES (%s, 2, 'x')$$, :mcourse)), '42501',
          'app: a student does not write course modules');
SELECT is(pg_temp.req('app', :mia, format('INSERT INTO mentor.quiz_attempts (quiz_id, user_id, attempt_no) VALUES (%s, mentor.current_actor(), 1)', :mquiz)), '42501',
          'app: attempts are not inserted by SQL');
SELECT pg_temp.val('app', :mia, format('SELECT (mentor.start_quiz(%s)).id::text', :mquiz)) AS matt \gset
SELECT is(pg_temp.req('app', :mia, format('SELECT * FROM mentor.quiz_review(%s)', :matt)), 'MN006', 'app: the review waits until the attempt is closed');
SELECT is(pg_temp.req('app', :mia, format('UPDATE mentor.quiz_attempts SET score = 100 WHERE id = %s', :matt)), '42501', 'app: a score is not written by SQL');
SELECT is(pg_temp.req('app', :olly, format($$SELECT mentor.submit_quiz(%s, '{}')$$, :matt)), 'P0002', 'app: nobody submits another user''s attempt');
SELECT is(pg_temp.val('app', :mia, format($$SELECT (mentor.submit_quiz(%s, '{"%s": 1}')).score::text$$, :matt, :mq)), '1.00', 'app: the user submits hers, graded');
SELECT is(pg_temp.req('app', :olly, 'SELECT * FROM mentor.quiz_attempts'), 'SELECT 0', 'app: and nobody else reads it');
SELECT is(pg_temp.req('analyst', NULL, 'SELECT * FROM mentor.quiz_attempts'), '42501', 'analyst: attempts are not readable');

-- Cohorts: batches are staff's; an application is its applicant's draft, then moves only through
-- the functions of the people whose move it is; classes, attendance and announcements belong to
-- the course's staff and are read by those they concern.
INSERT INTO mentor.batches (code, name, course_id, capacity) VALUES ('MX-1', 'Matrix batch', :mcourse, 1);
SELECT id AS mbatch FROM mentor.batches WHERE code = 'MX-1' \gset
SELECT is(pg_temp.req('app', :ada, $$INSERT INTO mentor.batches (code, name) VALUES ('MX-2', 'x')$$), '42501', 'app: batches are not the application''s to write');
SELECT is(pg_temp.req('admin', NULL, $$INSERT INTO mentor.batches (code, name) VALUES ('MX-3', 'x')$$), 'INSERT 0 1', 'admin: administrators write batches');
SELECT is(pg_temp.req('admin', NULL, format('UPDATE mentor.batches SET seats_taken = 5 WHERE id = %s', :mbatch)), '42501', 'admin: not even they write the seat counter');
SELECT is(pg_temp.req('analyst', NULL, 'SELECT * FROM mentor.batches'), 'SELECT 2', 'analyst: batches are readable');
SELECT is(pg_temp.req('app', :mia, format('INSERT INTO mentor.program_applications (user_id, batch_id) VALUES (%s, %s)', :olly, :mbatch)), '42501',
          'app: nobody applies in another''s name');
SELECT is(pg_temp.req('app', :mia, format('INSERT INTO mentor.program_applications (user_id, batch_id) VALUES (mentor.current_actor(), %s)', :mbatch)), 'INSERT 0 1',
          'app: a user applies as herself');
SELECT id AS mapp FROM mentor.program_applications WHERE user_id = :mia \gset
SELECT is(pg_temp.req('app', :olly, 'SELECT * FROM mentor.program_applications'), 'SELECT 0', 'app: nobody else reads her application');
SELECT is(pg_temp.req('app', :mia, format($$UPDATE mentor.program_applications SET status = 'submitted' WHERE id = %s$$, :mapp)), '42501',
          'app: its status is not written by SQL');
SELECT is(pg_temp.req('app', :olly, format('SELECT mentor.submit_application(%s)', :mapp)), '42501', 'app: nobody else submits it');
SELECT is(pg_temp.req('app', :mia, format('SELECT mentor.submit_application(%s)', :mapp)), 'SELECT 1', 'app: the applicant does');
SELECT is(pg_temp.req('app', :mia, format('SELECT mentor.review_application(%s, true)', :mapp)), '42501', 'app: an applicant does not approve herself');
SELECT is(pg_temp.req('app', :mia, format('DELETE FROM mentor.program_applications WHERE id = %s', :mapp)), 'DELETE 0', 'app: nor withdraws it once submitted by SQL');
SELECT is(pg_temp.req('app', :ada, format('SELECT mentor.review_application(%s, true)', :mapp)), 'SELECT 1', 'app as staff: staff approve it');
SELECT is(pg_temp.req('app', :mia, format($$SELECT mentor.pay_application_fee(%s, 'mx-pay', '00000000-0000-4000-8000-00000000c001')$$, :mapp)), 'SELECT 1',
          'app: the applicant records her payment');
SELECT is(pg_temp.req('app', :mia, format('SELECT mentor.confirm_application_payment(%s)', :mapp)), 'SELECT 1', 'app: the provider''s confirmation is recorded');
SELECT is(pg_temp.req('app', :mia, format('SELECT mentor.allocate_application(%s)', :mapp)), '42501', 'app: an applicant does not allocate herself a seat');
SELECT is(pg_temp.req('app', :ada, format('SELECT mentor.allocate_application(%s)', :mapp)), 'SELECT 1', 'app as staff: staff allocate seats');
SELECT is(pg_temp.req('analyst', NULL, 'SELECT * FROM mentor.program_applications'), '42501', 'analyst: applications are not readable');
SELECT is(pg_temp.req('app', :mia, format($$INSERT INTO mentor.classes (module_id, course_id, title, starts_at) VALUES (%s, %s, 'x', now())$$, :cmod, :mcourse)), '42501',
          'app: a student does not write classes');
INSERT INTO mentor.classes (module_id, course_id, title, starts_at) VALUES (:cmod, :mcourse, 'Matrix class', now() - interval '1 hour');
SELECT id AS mclass FROM mentor.classes WHERE title = 'Matrix class' \gset
SELECT is(pg_temp.req('app', :mia, format($$INSERT INTO mentor.attendance (class_id, course_id, student_id, status) VALUES (%s, %s, %s, 'present')$$, :mclass, :mcourse, :mia_student)), '42501',
          'app: a student does not mark her own attendance');
SELECT is(pg_temp.req('app', :ada, format($$INSERT INTO mentor.attendance (class_id, course_id, student_id, status) VALUES (%s, %s, %s, 'present')$$, :mclass, :mcourse, :mia_student)), 'INSERT 0 1',
          'app as staff: the course''s staff mark it');
SELECT is(pg_temp.req('app', :mia, 'SELECT * FROM mentor.attendance'), 'SELECT 1', 'app: the student reads hers');
SELECT is(pg_temp.req('app', :olly, 'SELECT * FROM mentor.attendance'), 'SELECT 0', 'app: nobody else does');
SELECT is(pg_temp.req('analyst', NULL, 'SELECT * FROM mentor.attendance'), '42501', 'analyst: attendance is not readable');
SELECT is(pg_temp.req('app', :mia, format($$INSERT INTO mentor.announcements (course_id, author_id, title, body) VALUES (%s, mentor.current_actor(), 'x', 'y')$$, :mcourse)), '42501',
          'app: a student does not announce');
SELECT is(pg_temp.req('app', :ada, format($$INSERT INTO mentor.announcements (course_id, author_id, title, body) VALUES (%s, mentor.current_actor(), 'Matrix news', 'y')$$, :mcourse)), 'INSERT 0 1',
          'app as staff: the course''s staff do');
SELECT is(pg_temp.req('app', :mia, 'SELECT * FROM mentor.announcements'), 'SELECT 1', 'app: the course''s student reads it');
SELECT is(pg_temp.req('app', :olly, 'SELECT * FROM mentor.announcements'), 'SELECT 0', 'app: an outsider does not');

-- Course school: attempts are the student's (or staff's) to post, numbered by the extension;
-- checkers are assigned by the course's staff; only the checker or staff score a checked task.
INSERT INTO mentor.tasks (name) VALUES ('MX auto'), ('MX assigned');
INSERT INTO mentor.course_tasks (course_id, task_id, student_start_at, student_end_at, checker)
SELECT :mcourse, id, now() - interval '1 day', now() + interval '1 day', 'auto_test' FROM mentor.tasks WHERE name = 'MX auto'
RETURNING id AS mxauto \gset
INSERT INTO mentor.course_tasks (course_id, task_id, student_start_at, student_end_at, checker)
SELECT :mcourse, id, now() - interval '1 day', now() + interval '1 day', 'assigned' FROM mentor.tasks WHERE name = 'MX assigned'
RETURNING id AS mxassigned \gset
INSERT INTO mentor.course_mentors (course_id, user_id) VALUES (:mcourse, :grace) RETURNING id AS mxgrace \gset
SELECT is(pg_temp.req('app', :mia, format($$INSERT INTO mentor.task_verifications (course_task_id, course_id, student_id, status, score) VALUES (%s, %s, %s, 'completed', 10)$$, :mxauto, :mcourse, :mia_student)), 'INSERT 0 1',
          'app: a student posts her auto-test attempt');
SELECT is(pg_temp.req('app', :olly, format($$INSERT INTO mentor.task_verifications (course_task_id, course_id, student_id, status, score) VALUES (%s, %s, %s, 'completed', 90)$$, :mxauto, :mcourse, :mia_student)), '42501',
          'app: nobody posts one for another student');
SELECT is(pg_temp.req('app', :mia, 'UPDATE mentor.task_verifications SET attempt_no = 7'), '42501', 'app: an attempt''s number is the extension''s');
SELECT is(pg_temp.req('app', :olly, 'SELECT * FROM mentor.task_verifications'), 'SELECT 0', 'app: nobody else reads her attempts');
SELECT is(pg_temp.req('analyst', NULL, 'SELECT * FROM mentor.task_verifications'), '42501', 'analyst: attempts are not readable');
SELECT is(pg_temp.req('app', :mia, format('INSERT INTO mentor.task_checkers (course_task_id, course_id, student_id, mentor_id) VALUES (%s, %s, %s, %s)', :mxassigned, :mcourse, :mia_student, :mxgrace)), '42501',
          'app: a student does not choose her checker');
SELECT is(pg_temp.req('app', :ada, format('INSERT INTO mentor.task_checkers (course_task_id, course_id, student_id, mentor_id) VALUES (%s, %s, %s, %s)', :mxassigned, :mcourse, :mia_student, :mxgrace)), 'INSERT 0 1',
          'app as staff: the course''s staff assign checkers');
SELECT is(pg_temp.req('app', :mia, format('INSERT INTO mentor.task_results (course_task_id, student_id, score) VALUES (%s, %s, 100)', :mxassigned, :mia_student)), 'MN005',
          'app: a student does not score her checked task');
SELECT is(pg_temp.req('app', :olly, format('INSERT INTO mentor.task_results (course_task_id, student_id, score) VALUES (%s, %s, 100)', :mxassigned, :mia_student)), 'MN005',
          'app: nor does anyone but her checker');
SELECT is(pg_temp.req('app', :grace, format('INSERT INTO mentor.task_results (course_task_id, student_id, score) VALUES (%s, %s, 60)', :mxassigned, :mia_student)), 'INSERT 0 1',
          'app: her assigned checker does');
SELECT is(pg_temp.req('app', :mia, format($$INSERT INTO mentor.task_artefacts (course_task_id, course_id, student_id, video_url) VALUES (%s, %s, %s, 'https://v.example/mia')$$, :mxassigned, :mcourse, :mia_student)), 'INSERT 0 1',
          'app: a student adds her artefacts');
SELECT is(pg_temp.req('app', :grace, 'SELECT * FROM mentor.task_artefacts'), 'SELECT 1', 'app: her checker reads them');
SELECT is(pg_temp.req('app', :olly, 'SELECT * FROM mentor.task_artefacts'), 'SELECT 0', 'app: nobody else does');
SELECT is(pg_temp.req('analyst', NULL, format('SELECT mentor.course_roles(%s, %s)', :grace, :mcourse)), 'SELECT 1', 'analyst: course roles are readable');
INSERT INTO mentor.tasks (name, type) VALUES ('MX interview', 'interview');
INSERT INTO mentor.course_tasks (course_id, task_id, student_start_at, student_end_at, checker)
SELECT :mcourse, id, now() - interval '1 day', now() + interval '1 day', 'mentor' FROM mentor.tasks WHERE name = 'MX interview'
RETURNING id AS mxint \gset
SELECT is(pg_temp.req('app', :mia, format('INSERT INTO mentor.task_interviewers (course_task_id, course_id, mentor_id) VALUES (%s, %s, %s)', :mxint, :mcourse, :mxgrace)), '42501',
          'app: a student does not make interviewers');
SELECT is(pg_temp.req('app', :ada, format('INSERT INTO mentor.task_interviewers (course_task_id, course_id, mentor_id) VALUES (%s, %s, %s)', :mxint, :mcourse, :mxgrace)), 'INSERT 0 1',
          'app as staff: the course''s staff do');
SELECT is(pg_temp.req('app', :mia, format('INSERT INTO mentor.task_interview_students (course_task_id, course_id, student_id) VALUES (%s, %s, %s)', :mxint, :mcourse, :mia_student)), '42501',
          'app: registrations go through register_for_interview only');
SELECT is(pg_temp.req('app', :olly, format('SELECT mentor.register_for_interview(%s)', :mxint)), '42501', 'app: someone not a student does not register');
SELECT is(pg_temp.req('app', :mia, format('SELECT mentor.register_for_interview(%s)', :mxint)), 'SELECT 1', 'app: the student registers and is assigned');
SELECT id AS mxreg FROM mentor.task_interview_students WHERE course_task_id = :mxint \gset
SELECT is(pg_temp.req('app', :mia, format('SELECT mentor.submit_interview_result(%s, 90)', :mxreg)), 'MN005', 'app: a student does not score her interview');
SELECT is(pg_temp.req('app', :grace, format('SELECT mentor.submit_interview_result(%s, 90)', :mxreg)), 'SELECT 1', 'app: her interviewer does');
SELECT is(pg_temp.req('app', :olly, 'SELECT * FROM mentor.task_interview_results'), 'SELECT 0', 'app: nobody else reads the result');
SELECT is(pg_temp.req('analyst', NULL, 'SELECT * FROM mentor.task_interview_results'), '42501', 'analyst: interview results are not readable');

-- Course school, people: thanks and feedback in one's own name; private feedback for the
-- course's staff; resumes as their visibility says; the school's registries are staff's.
SELECT is(pg_temp.req('app', :mia, format($$INSERT INTO mentor.gratitudes (from_user_id, to_user_id, badge) VALUES (%s, %s, 'hero')$$, :olly, :grace)), '42501',
          'app: nobody thanks in another''s name');
SELECT is(pg_temp.req('app', :mia, format($$INSERT INTO mentor.gratitudes (from_user_id, to_user_id, badge) VALUES (mentor.current_actor(), %s, 'thank_you')$$, :grace)), 'INSERT 0 1',
          'app: a user thanks someone');
SELECT is(pg_temp.req('analyst', NULL, 'SELECT * FROM mentor.gratitudes'), 'SELECT 1', 'analyst: public thanks are readable');
SELECT is(pg_temp.req('app', :mia, format($$INSERT INTO mentor.private_feedback (from_user_id, to_user_id, course_id, comment) VALUES (mentor.current_actor(), %s, %s, 'Late to every class')$$, :grace, :mcourse)), 'INSERT 0 1',
          'app: a user leaves private feedback for a course''s staff');
SELECT is(pg_temp.req('app', :grace, 'SELECT * FROM mentor.private_feedback'), 'SELECT 0', 'app: the person it is about never reads it');
SELECT is(pg_temp.req('app', :ada, 'SELECT * FROM mentor.private_feedback'), 'SELECT 1', 'app as staff: the course''s staff do');
SELECT is(pg_temp.req('analyst', NULL, 'SELECT * FROM mentor.private_feedback'), '42501', 'analyst: private feedback is not readable');
SELECT is(pg_temp.req('app', :mia, format($$INSERT INTO mentor.student_feedback (student_id, course_id, mentor_id) VALUES (%s, %s, %s)$$, :mia_student, :mcourse, :mxgrace)), '42501',
          'app: a student does not write her mentor''s feedback on herself');
SELECT is(pg_temp.req('app', :grace, format($$INSERT INTO mentor.student_feedback (student_id, course_id, mentor_id, soft_skills) VALUES (%s, %s, %s, '{"responsible": 5}')$$, :mia_student, :mcourse, :mxgrace)), 'INSERT 0 1',
          'app: the course mentor does');
SELECT is(pg_temp.req('app', :mia, $$INSERT INTO mentor.resumes (user_id, name) VALUES (mentor.current_actor(), 'Mia')$$), 'INSERT 0 1', 'app: a user writes her resume');
SELECT is(pg_temp.req('app', :olly, 'SELECT * FROM mentor.resumes'), 'SELECT 0', 'app: a hidden resume is nobody else''s to read');
SELECT is(pg_temp.req('app', :olly, $$UPDATE mentor.resumes SET visibility = 'public'$$), 'UPDATE 0', 'app: nor to publish');
SELECT is(pg_temp.req('app', :ada, format($$INSERT INTO mentor.employers (user_id, company) VALUES (%s, 'Acme')$$, :olly)), '42501',
          'app: employers are not the application''s to make');
SELECT is(pg_temp.req('admin', NULL, format($$INSERT INTO mentor.employers (user_id, company) VALUES (%s, 'Acme')$$, :olly)), 'INSERT 0 1',
          'admin: administrators recognise employers');
SELECT is(pg_temp.req('app', :olly, 'SELECT * FROM mentor.resumes'), 'SELECT 0', 'app: an employer still does not read a hidden resume');
SELECT is(pg_temp.req('app', :ada, $$INSERT INTO mentor.user_groups (name) VALUES ('x')$$), '42501', 'app: user groups are staff''s');
SELECT is(pg_temp.req('app', :mia, $$INSERT INTO mentor.repository_events (repository_url, action) VALUES ('https://github.com/x/y', 'push')$$), 'INSERT 0 1',
          'app: repository events are recorded');
SELECT is(pg_temp.req('admin', NULL, $$UPDATE mentor.repository_events SET action = 'x'$$), '42501', 'admin: and never changed, by anyone');
SELECT is(pg_temp.req('admin', NULL, 'DELETE FROM mentor.repository_events'), '42501', 'admin: or deleted');

-- Hiring: the application writes posts and applications; a verdict comes only from
-- record_screening and is never changed; analysts never see candidates.
INSERT INTO mentor.job_posts (title) VALUES ('MX job') RETURNING id AS mxjob \gset
SELECT is(pg_temp.req('app', :ada, format($$INSERT INTO mentor.job_applications (job_post_id, candidate_email) VALUES (%s, 'cand@example.com')$$, :mxjob)), 'INSERT 0 1',
          'app: the hiring team records an application');
SELECT id AS mxapp FROM mentor.job_applications WHERE job_post_id = :mxjob \gset
INSERT INTO mentor.resume_analyses (application_id) VALUES (:mxapp);
SELECT is(pg_temp.req('app', :ada, format($$INSERT INTO mentor.screening_results (application_id, score, threshold, verdict) VALUES (%s, 90, 0, 'shortlisted')$$, :mxapp)), '42501',
          'app: a verdict is not written by SQL');
SELECT is(pg_temp.req('app', :ada, format('SELECT mentor.record_screening(%s, 90)', :mxapp)), 'SELECT 1', 'app: it is recorded by record_screening');
SELECT is(pg_temp.req('admin', NULL, $$UPDATE mentor.screening_results SET verdict = 'talent_pool'$$), '42501', 'admin: and never changed');
SELECT is(pg_temp.req('analyst', NULL, 'SELECT * FROM mentor.job_applications'), '42501', 'analyst: candidates are not readable');
SELECT is(pg_temp.req('analyst', NULL, 'SELECT * FROM mentor.job_posts'), 'SELECT 1', 'analyst: job posts are');
SELECT is(pg_temp.req('app', :ada, format('SELECT * FROM mentor.match_talent_pool(%s)', :mxjob)), 'SELECT 0', 'app: the pool is matched to a job');
SELECT is(pg_temp.req('app', :ada, $$INSERT INTO mentor.talent_pool_matches (entry_id, job_post_id, score) VALUES (1, 1, 1)$$), '42501',
          'app: a match is not written by SQL');
SELECT is(pg_temp.req('analyst', NULL, 'SELECT * FROM mentor.talent_pool_entries'), '42501', 'analyst: pool candidates are not readable');
SELECT is(pg_temp.req('app', :ada, $$INSERT INTO mentor.pap_agreement_templates (name, body) VALUES ('x', 'y')$$), '42501',
          'app: agreement templates are staff''s');
SELECT is(pg_temp.req('analyst', NULL, 'SELECT * FROM mentor.pap_workflows'), '42501', 'analyst: pay-after-placement workflows are not readable');
SELECT is(pg_temp.req('analyst', NULL, format('SELECT mentor.record_screening(%s, 10)', :mxapp)), '42501', 'analyst: record_screening() is refused');
SELECT is(pg_temp.req('analyst', NULL, format('SELECT mentor.match_talent_pool(%s)', :mxjob)), '42501', 'analyst: match_talent_pool() is refused');
-- The pipeline: job boards are staff's, a posting, a candidate quiz and an interview move only
-- through their functions, a transcript turn is never changed, discounts are decided in functions.
SELECT is(pg_temp.req('app', :ada, $$INSERT INTO mentor.hr_platforms (code, name) VALUES ('mxboard', 'MX board')$$), '42501', 'app: job boards are staff''s');
SELECT is(pg_temp.req('admin', NULL, $$INSERT INTO mentor.hr_platforms (code, name) VALUES ('mxboard', 'MX board')$$), 'INSERT 0 1', 'admin: staff add a job board');
SELECT is(pg_temp.req('app', :ada, format($$INSERT INTO mentor.hr_platform_accounts (user_id, platform_id, account_ref) SELECT %s, id, 'mx-hr' FROM mentor.hr_platforms WHERE code = 'mxboard'$$, :ada)),
          'INSERT 0 1', 'app: a recruiter links an account');
SELECT id AS mxacct FROM mentor.hr_platform_accounts WHERE account_ref = 'mx-hr' \gset
SELECT is(pg_temp.req('app', :ada, format($$INSERT INTO mentor.job_platform_postings (job_post_id, account_id, status, external_id) VALUES (%s, %s, 'posted', 'x')$$, :mxjob, :mxacct)),
          '42501', 'app: a posting is not marked posted by SQL');
SELECT is(pg_temp.req('analyst', NULL, format('SELECT mentor.post_job(%s, %s)', :mxjob, :mxacct)), '42501', 'analyst: post_job() is refused');
INSERT INTO mentor.quiz_templates (name) VALUES ('MX quiz');
SELECT is(pg_temp.req('app', :ada, format($$INSERT INTO mentor.candidate_quiz_responses (application_id, template_id, expires_at) SELECT %s, id, now() FROM mentor.quiz_templates WHERE name = 'MX quiz'$$, :mxapp)),
          '42501', 'app: a candidate quiz is not written by SQL');
SELECT is(pg_temp.req('analyst', NULL, 'SELECT * FROM mentor.candidate_quiz_responses'), '42501', 'analyst: candidate quizzes are not readable');
INSERT INTO mentor.job_applications (job_post_id, candidate_email) VALUES (:mxjob, 'voice@example.com') RETURNING id AS mxvoice \gset
INSERT INTO mentor.resume_analyses (application_id) VALUES (:mxvoice);
UPDATE mentor.job_applications SET status = 'outreach_sent' WHERE id = :mxvoice;
UPDATE mentor.job_applications SET status = 'quiz_invited' WHERE id = :mxvoice;
UPDATE mentor.job_applications SET status = 'quiz_completed' WHERE id = :mxvoice;
SELECT is(pg_temp.req('app', :ada, format($$SELECT mentor.schedule_voice_interview(%s, now())$$, :mxvoice)), 'SELECT 1', 'app: the hiring team schedules a voice interview');
SELECT id AS mxcall FROM mentor.voice_interviews WHERE application_id = :mxvoice \gset
SELECT is(pg_temp.req('app', :ada, format($$UPDATE mentor.voice_interviews SET status = 'completed' WHERE id = %s$$, :mxcall)), '42501', 'app: an interview is not completed by SQL');
SELECT is(pg_temp.req('app', :ada, format($$INSERT INTO mentor.voice_interview_messages (interview_id, turn, speaker, body) VALUES (%s, 1, 'agent', 'Hello')$$, :mxcall)),
          'INSERT 0 1', 'app: the agent appends a transcript turn');
SELECT is(pg_temp.req('app', :ada, $$UPDATE mentor.voice_interview_messages SET body = 'x'$$), '42501', 'app: a turn is never changed');
SELECT is(pg_temp.req('admin', NULL, 'DELETE FROM mentor.voice_interview_messages'), '42501', 'admin: or deleted');
SELECT is(pg_temp.req('analyst', NULL, 'SELECT * FROM mentor.voice_interview_messages'), '42501', 'analyst: transcripts are not readable');
SELECT is(pg_temp.req('app', :ada, $$INSERT INTO mentor.discount_requests (application_id, amount, reason) VALUES (1, 1, 'x')$$), '42501',
          'app: a discount request is not written by SQL');
SELECT is(pg_temp.req('analyst', NULL, 'SELECT * FROM mentor.discount_requests'), '42501', 'analyst: discount requests are not readable');
SELECT is(pg_temp.req('analyst', NULL, 'SELECT mentor.decide_discount(1, true)'), '42501', 'analyst: decide_discount() is refused');

-- The sales CRM: leads are the application's, assignment and follow-ups move through their
-- functions, the timeline, the assignment history and vendor leads are the extension's,
-- analysts read none of it.  Workflows: enrollments start with enroll(), runs are the engine's.
INSERT INTO mentor.users (email, username, full_name, role) VALUES ('mxsales@example.com', 'mxsales', 'MX Sales', 'sales') RETURNING id AS mxsales \gset
INSERT INTO mentor.raw_leads (session_year, name, phone) VALUES ('2026', 'MX Lead', '98000 11111') RETURNING id AS mxlead \gset
SELECT api_key AS mxkey FROM mentor.create_api_key('MX vendor', 'mxvendor') \gset
INSERT INTO mentor.workflows (name, definition) VALUES ('MX flow', '{"nodes": [{"id": "s", "type": "start"}, {"id": "t", "type": "task", "params": {"title": "x"}}], "edges": [{"from": "s", "to": "t"}]}')
RETURNING id AS mxwf \gset
SELECT is(pg_temp.req('app', :mxsales, $$INSERT INTO mentor.raw_leads (session_year, phone) VALUES ('2026', '98000 22222')$$), 'INSERT 0 1', 'app: a lead is added by SQL');
SELECT is(pg_temp.req('app', :mxsales, format('UPDATE mentor.raw_leads SET assigned_to = %s WHERE id = %s', :mxsales, :mxlead)), '42501', 'app: a lead is not assigned by SQL');
SELECT is(pg_temp.req('app', :mxsales, format('SELECT * FROM mentor.assign_lead(%s, %s)', :mxlead, :mxsales)), 'SELECT 1', 'app: assign_lead() assigns it');
SELECT is(pg_temp.req('app', :mxsales, $$UPDATE mentor.lead_activity SET kind = 'x'$$), '42501', 'app: the timeline is not changed');
SELECT is(pg_temp.req('admin', NULL, 'DELETE FROM mentor.lead_activity'), '42501', 'admin: or emptied');
SELECT is(pg_temp.req('app', :mxsales, format('INSERT INTO mentor.lead_assignment_history (lead_id, to_user) VALUES (%s, %s)', :mxlead, :mxsales)), '42501',
          'app: the assignment history is not written by SQL');
INSERT INTO mentor.users (email, username, full_name, role) VALUES ('mxhead@example.com', 'mxhead', 'MX Head', 'sales') RETURNING id AS mxhead \gset
INSERT INTO mentor.sales_head_profiles (user_id, requires_approval) VALUES (:mxhead, true);
INSERT INTO mentor.raw_leads (session_year, phone, owning_sales_head_id) VALUES ('2026', '98000 66666', :mxhead) RETURNING id AS mxheadlead \gset
SELECT is(pg_temp.val('app', :mxsales, format('SELECT outcome FROM mentor.assign_lead(%s, %s)', :mxheadlead, :mxsales)), 'approval_requested',
          'app: assigning a lead of a head who approves asks the head');
SELECT is(pg_temp.req('app', :mxsales, format('SELECT mentor.decide_lead_assignment(id, true) FROM mentor.lead_assignment_approvals WHERE lead_id = %s', :mxheadlead)), 'MN005',
          'app: only the head decides (the requester is refused)');
SELECT is(pg_temp.req('app', :mxsales, $$UPDATE mentor.lead_assignment_approvals SET status = 'approved', decided_at = now()$$), '42501',
          'app: an approval is not decided by SQL');
SELECT is(pg_temp.req('app', :mxsales, $$SELECT mentor.import_leads('mx import', '[{"phone": "98000 33333"}]')$$), 'SELECT 1', 'app: import_leads() imports');
SELECT is(pg_temp.req('app', :mxsales, 'UPDATE mentor.lead_import_batches SET inserted = 5'), '42501', 'app: an import''s counts are not changed by SQL');
SELECT is(pg_temp.req('app', :mxsales, 'DELETE FROM mentor.lead_import_rows'), '42501', 'app: nor its results');
SELECT is(pg_temp.req('app', NULL, format($$SELECT * FROM mentor.ingest_vendor_lead(%L, '{"phone": "98000 44444"}', 'mx-1')$$, :'mxkey')), 'SELECT 1',
          'app: a vendor''s lead comes in through ingest_vendor_lead()');
SELECT is(pg_temp.req('app', NULL, format($$INSERT INTO mentor.vendor_leads (api_key_id, idempotency_key, payload) SELECT id, 'mx-2', '{}' FROM mentor.api_keys WHERE vendor = 'mxvendor'$$)),
          '42501', 'app: vendor leads are not written by SQL');
SELECT is(pg_temp.req('app', :mxsales, format($$INSERT INTO mentor.lead_follow_ups (lead_id, available_at) VALUES (%s, now())$$, :mxlead)), '42501',
          'app: a follow-up is scheduled with schedule_follow_up() only');
SELECT is(pg_temp.req('app', :mxsales, format('SELECT mentor.schedule_follow_up(%s, now())', :mxlead)), 'SELECT 1', 'app: schedule_follow_up() schedules it');
SELECT is(pg_temp.req('app', :mxsales, $$UPDATE mentor.lead_follow_ups SET status = 'claimed', lease_owner = 'me', lease_until = now() + interval '1 hour'$$), '42501',
          'app: a follow-up is not claimed by SQL');
SELECT is(pg_temp.req('app', :mxsales, $$SELECT * FROM mentor.claim_follow_ups('mx-phone')$$), 'SELECT 1', 'app: claim_follow_ups() claims it');
SELECT is(pg_temp.req('analyst', NULL, 'SELECT * FROM mentor.raw_leads'), '42501', 'analyst: leads are not readable');
SELECT is(pg_temp.req('analyst', NULL, 'SELECT * FROM mentor.lead_activity'), '42501', 'analyst: nor their timelines');
SELECT is(pg_temp.req('analyst', NULL, 'SELECT * FROM mentor.lead_call_logs'), '42501', 'analyst: nor calls');
SELECT is(pg_temp.req('analyst', NULL, 'SELECT * FROM mentor.lead_whatsapp_logs'), '42501', 'analyst: nor messages (through a view)');
SELECT is(pg_temp.req('analyst', NULL, 'SELECT * FROM mentor.overdue_follow_ups'), '42501', 'analyst: nor follow-ups');
SELECT is(pg_temp.req('analyst', NULL, 'SELECT * FROM mentor.vendor_leads'), '42501', 'analyst: nor vendor leads');
SELECT is(pg_temp.req('analyst', NULL, 'SELECT * FROM mentor.cm_notes'), '42501', 'analyst: nor community managers'' notes');
SELECT is(pg_temp.req('analyst', NULL, format($$SELECT mentor.ingest_vendor_lead(%L, '{"phone": "98000 55555"}', 'mx-3')$$, :'mxkey')), '42501',
          'analyst: ingest_vendor_lead() is refused');
SELECT is(pg_temp.req('analyst', NULL, format('SELECT mentor.assign_lead(%s, %s)', :mxlead, :mxsales)), '42501', 'analyst: assign_lead() is refused');
SELECT is(pg_temp.req('app', NULL, $$INSERT INTO mentor.workflows (name, definition) VALUES ('app flow', '{"nodes": [{"id": "s", "type": "start"}]}')$$), 'INSERT 0 1',
          'app: the application saves a workflow');
SELECT is(pg_temp.req('app', NULL, format($$INSERT INTO mentor.workflow_enrollments (workflow_id, subject_type, subject_id) VALUES (%s, 'lead', 1)$$, :mxwf)), '42501',
          'app: an enrollment is not written by SQL');
SELECT is(pg_temp.req('app', NULL, format($$SELECT mentor.enroll(%s, 'lead', %s)$$, :mxwf, :mxlead)), 'SELECT 1', 'app: enroll() enrolls');
SELECT is(pg_temp.req('app', NULL, $$UPDATE mentor.workflow_enrollments SET status = 'paused'$$), '42501', 'app: an enrollment''s status is the engine''s');
SELECT is(pg_temp.req('app', NULL, $$UPDATE mentor.workflow_node_runs SET status = 'running', lease_owner = 'me', lease_until = now() + interval '1 hour'$$), '42501',
          'app: node runs are not claimed by SQL');
SELECT is(pg_temp.req('app', NULL, format($$INSERT INTO mentor.workflow_node_runs (enrollment_id, node_id, node_type) SELECT id, 'x', 'task' FROM mentor.workflow_enrollments LIMIT 1$$)),
          '42501', 'app: nor added');
SELECT is(pg_temp.req('app', NULL, $$SELECT * FROM mentor.claim_node_runs('mx-worker')$$), 'SELECT 1', 'app: a worker claims the run');
SELECT is(pg_temp.req('analyst', NULL, 'SELECT * FROM mentor.workflows'), '42501', 'analyst: workflows are not readable');
SELECT is(pg_temp.req('analyst', NULL, 'SELECT * FROM mentor.workflow_enrollments'), '42501', 'analyst: nor enrollments');
SELECT is(pg_temp.req('analyst', NULL, format($$SELECT mentor.enroll(%s, 'lead', 1)$$, :mxwf)), '42501', 'analyst: enroll() is refused');
SELECT is(pg_temp.req('analyst', NULL, $$SELECT mentor.claim_node_runs('x')$$), '42501', 'analyst: claim_node_runs() is refused');

SELECT * FROM finish();
SELECT dblink_disconnect('app'), dblink_disconnect('analyst'), dblink_disconnect('admin');
\c postgres
SET client_min_messages = warning;
DROP DATABASE mentor_matrix;
DROP ROLE matrix_app;
DROP ROLE matrix_analyst;
DROP ROLE matrix_admin;
