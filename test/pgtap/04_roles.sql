-- The roles as applications use them: a login granted mentor_app writes through
-- the tables (history and lifecycles working under its rights) but cannot read
-- history or change catalogues; a login granted mentor_analyst reads history
-- and cannot change anything.
BEGIN;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS mentor CASCADE;
RESET client_min_messages;
SELECT plan(32);

CREATE ROLE tap_backend LOGIN;
GRANT mentor_app TO tap_backend;
CREATE ROLE tap_analyst LOGIN;
GRANT mentor_analyst TO tap_analyst;
CREATE ROLE tap_admin LOGIN;
GRANT mentor_admin TO tap_admin;

SET ROLE tap_backend;
SELECT lives_ok($$INSERT INTO mentor.users (email, username, full_name) VALUES ('tap@example.com', 'tap_user', 'Tap User')$$,
                'the application role signs a user up (profile and history written under its rights)');
SELECT lives_ok($$SELECT mentor.set_actor((SELECT id FROM mentor.users WHERE username = 'tap_user'))$$,
                'it sets the acting user');
SELECT lives_ok($$UPDATE mentor.profiles SET onboarding_status = 'in_progress', bio = 'hi'
                   WHERE user_id = (SELECT id FROM mentor.users WHERE username = 'tap_user')$$,
                'it moves a profile along its lifecycle');
SELECT throws_ok($$UPDATE mentor.profiles SET onboarding_status = 'not_started'
                    WHERE user_id = (SELECT id FROM mentor.users WHERE username = 'tap_user')$$,
                 'MN001', NULL, 'lifecycles hold for it too');
SELECT ok(mentor.visible_profile(NULL, (SELECT id FROM mentor.users WHERE username = 'tap_user')) ->> 'bio' = 'hi',
          'it reads profiles through visible_profile');
SELECT throws_ok($$SELECT count(*) FROM mentor.history$$, '42501', NULL, 'it cannot read history');
SELECT throws_ok($$SELECT count(*) FROM mentor.history_log$$, '42501', NULL, 'nor the log behind it');
SELECT throws_ok($$SELECT * FROM mentor.row_history('mentor.users', '{"id": 1}')$$, '42501', NULL,
                 'nor through row_history');
SELECT throws_ok($$INSERT INTO mentor.skills (name, slug) VALUES ('Go', 'go')$$, '42501', NULL,
                 'it cannot change the skill catalogue');
SELECT throws_ok($$SELECT mentor.define_lifecycle('x', ARRAY[['[*]', 'a']])$$, '42501', NULL,
                 'nor define lifecycles');
SELECT lives_ok($$SELECT mentor.purchase_tokens((SELECT id FROM mentor.users WHERE username = 'tap_user'), 20, 'pay-1',
                                                '00000000-0000-0000-0000-0000000000a1')$$,
                'it starts a token purchase');
SELECT lives_ok($$SELECT mentor.confirm_purchase('00000000-0000-0000-0000-0000000000a1')$$, 'and confirms it');
SELECT lives_ok($$SELECT mentor.transfer('00000000-0000-0000-0000-0000000000a2',
                                         mentor.wallet((SELECT id FROM mentor.users WHERE username = 'tap_user')),
                                         mentor.system_account('revenue'), 5, 'spend')$$,
                'it moves tokens through the ledger functions');
SELECT throws_ok($$INSERT INTO mentor.ledger_transfers (id, debit_account_id, credit_account_id, amount, kind, status, created_at)
                   SELECT gen_random_uuid(), 1, 2, 1000, 'adjustment', 'posted', now()$$, '42501', NULL,
                 'it cannot write the journal by SQL');
SELECT throws_ok($$UPDATE mentor.token_purchases SET status = 'completed'$$, '42501', NULL,
                 'nor complete a purchase without its function');
SELECT throws_ok($$SELECT mentor.allot_tokens(ARRAY[1]::bigint[], 100, gen_random_uuid())$$, '42501', NULL,
                 'giving tokens away is for administrators');
SELECT throws_ok($$SELECT mentor.approve_withdrawal(gen_random_uuid())$$, '42501', NULL,
                 'so is paying money out');
SELECT throws_ok($$SELECT mentor._resolve_request('withdrawal', 'mentor.withdrawals', gen_random_uuid(), 'requested',
                                                  'approved', true, 'reason', NULL)$$, '42501', NULL,
                 'also through the internal function behind it');
-- Courses: the application runs a cross-check through its functions only.
SELECT lives_ok($$WITH c AS (INSERT INTO mentor.courses (name, alias, start_date, end_date)
                             VALUES ('Tap course', 'tap-course', '2026-01-01', '2026-12-31') RETURNING id),
                      t AS (INSERT INTO mentor.tasks (name) VALUES ('Tap task') RETURNING id)
                 INSERT INTO mentor.course_tasks (course_id, task_id, student_start_at, student_end_at, checker)
                 SELECT c.id, t.id, now() - interval '2 days', now() - interval '1 day', 'crosscheck' FROM c, t$$,
                'it creates a course and a cross-checked task');
SELECT lives_ok($$WITH u AS (INSERT INTO mentor.users (email, username, full_name)
                             SELECT format('tapst%s@example.com', g), format('tapst%s', g), 'Tap student' FROM generate_series(1, 3) g
                             RETURNING id),
                      s AS (INSERT INTO mentor.students (course_id, user_id)
                            SELECT (SELECT id FROM mentor.courses WHERE alias = 'tap-course'), id FROM u RETURNING id)
                 INSERT INTO mentor.task_solutions (course_task_id, student_id, url, submitted_at)
                 SELECT (SELECT max(id) FROM mentor.course_tasks), id, 'https://example.com/tap', now() - interval '36 hours' FROM s$$,
                'it enrols students who submit solutions');
SELECT throws_ok($$INSERT INTO mentor.task_solution_checkers (course_task_id, task_solution_id, student_id, checker_id)
                   SELECT course_task_id, id, student_id, student_id + 1 FROM mentor.task_solutions LIMIT 1$$,
                 '42501', NULL, 'it cannot assign reviewers by hand');
SELECT is(mentor.crosscheck_distribute((SELECT max(id) FROM mentor.course_tasks), 1, 1), 3,
          'it distributes through the function');
SELECT throws_ok($$INSERT INTO mentor.task_solution_results (course_task_id, task_solution_id, student_id, checker_id, score)
                   SELECT course_task_id, task_solution_id, student_id, checker_id, 100 FROM mentor.task_solution_checkers$$,
                 '42501', NULL, 'nor write reviews by SQL');
SELECT throws_ok($$SELECT * FROM mentor._crosscheck_pairs('{1,2}', '{1,2}', 1, 1)$$, '42501', NULL,
                 'nor call the internal distribution');
RESET ROLE;

SELECT id AS tap_user_id FROM mentor.users WHERE username = 'tap_user' \gset
SET ROLE tap_analyst;
SELECT is((SELECT count(*)::int FROM mentor.history h WHERE h.actor_id = :tap_user_id AND h.table_name = 'mentor.profiles' AND h.op = 'U'), 1,
          'the analyst reads history, with the application''s actor');
SELECT throws_ok($$UPDATE mentor.users SET full_name = 'x'$$, '42501', NULL, 'the analyst changes nothing');
SELECT throws_ok($$SELECT email FROM mentor.users$$, '42501', NULL, 'nor reads users directly');
SELECT throws_ok($$SELECT mentor.transfer(gen_random_uuid(), 1, 2, 1, 'spend')$$, '42501', NULL,
                 'nor moves tokens');
RESET ROLE;

SET ROLE tap_admin;
SELECT lives_ok($$SELECT mentor.allot_tokens(ARRAY[(SELECT id FROM mentor.users WHERE username = 'tap_user')], 10,
                                             '00000000-0000-0000-0000-0000000000a3', 'welcome')$$,
                'the admin allots tokens');
SELECT throws_ok($$DELETE FROM mentor.history_log$$, '42501', NULL, 'even the admin cannot delete history');
SELECT lives_ok($$SELECT mentor.prune_history('2000-01-01')$$, 'the admin may prune it');
SELECT lives_ok($$SELECT mentor.define_lifecycle('tap_flow', ARRAY[['[*]', 'a'], ['a', 'b']])$$,
                'the admin defines lifecycles');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
