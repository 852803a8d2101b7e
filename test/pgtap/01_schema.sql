-- Schema checks: tables, keys, foreign keys, comments and grants of the extension.
BEGIN;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS mentor CASCADE;
RESET client_min_messages;
SELECT plan(74);

SELECT has_schema('mentor');
SELECT tables_are('mentor', ARRAY['lifecycle_state_defs', 'lifecycle_transition_defs', 'users', 'profiles',
                                  'skills', 'user_skills', 'external_accounts', 'profile_visibility', 'user_security_answers', 'login_events',
                                  'history_tables', 'history_contexts', 'history_log',
                                  'ledger_accounts', 'ledger_transfers', 'ledger_entries',
                                  'token_purchases', 'token_allotments', 'withdrawals',
                                  'disciplines', 'courses', 'course_users', 'course_mentors', 'students', 'registries',
                                  'tasks', 'course_tasks', 'task_results', 'certificates', 'task_solutions',
                                  'task_solution_checkers', 'task_solution_results', 'team_distributions',
                                  'team_distribution_students', 'teams', 'team_members',
                                  'mentor_profiles', 'mentorships', 'mentorship_goals', 'mentorship_notes', 'action_items',
                                  'mentorship_messages', 'settings', 'sessions', 'session_feedback', 'meeting_logs',
                                  'suggestions', 'matches',
                                  'notification_channels', 'notification_types', 'notification_templates', 'notification_defaults',
                                  'notification_user_settings', 'notification_connections', 'notifications', 'alerts',
                                  'integration_tokens', 'one_time_tokens', 'refresh_tokens', 'api_keys', 'api_key_usage',
                                  'connections', 'conversations', 'conversation_members', 'messages',
                                  'support_groups', 'group_memberships',
                                  'languages', 'tags', 'problems', 'problem_tags', 'submissions', 'solved_problems',
                                  'user_stats', 'user_rank_counts', 'user_rank_totals', 'user_stats_daily', 'interview_sessions',
                                  'interview_questions', 'collaboration_sessions', 'collaboration_participants',
                                  'forum_posts', 'forum_comments', 'news_sources', 'news_items',
                                  'resources', 'resource_comments', 'support_tickets', 'ticket_messages', 'proxy_requests',
                                  'milestone_logs', 'support_chats', 'learning_paths', 'learning_path_modules',
                                  'learning_progress', 'learning_module_completions', 'events', 'course_events', 'webinars',
                                  'webinar_progress', 'course_modules', 'question_categories', 'questions', 'quizzes',
                                  'quiz_questions', 'quiz_attempts', 'batches', 'program_applications', 'classes',
                                  'attendance', 'announcements', 'task_verifications', 'task_checkers', 'task_artefacts',
                                  'task_interviewers', 'task_interview_students', 'task_interview_results',
                                  'gratitudes', 'private_feedback', 'student_feedback', 'employers', 'resumes', 'user_groups',
                                  'user_group_members', 'mentor_registries', 'discord_servers', 'contributors', 'repository_events',
                                  'job_posts', 'job_screening_configs', 'job_applications', 'resume_analyses', 'screening_results',
                                  'salary_benchmarks', 'talent_pool_entries', 'talent_pool_matches', 'pap_agreement_templates', 'pap_workflows',
                                  'job_templates', 'hr_platforms', 'hr_platform_accounts', 'job_platform_postings',
                                  'quiz_templates', 'quiz_template_questions', 'candidate_quiz_responses', 'voice_interviews',
                                  'voice_interview_messages', 'discount_requests',
                                  'lead_tags', 'lead_import_batches', 'raw_leads', 'raw_lead_tags', 'lead_import_rows',
                                  'lead_activity', 'lead_call_logs', 'lead_message_logs', 'sales_head_profiles',
                                  'salesperson_targets', 'community_manager_assignments', 'cm_notes', 'lead_assignment_history',
                                  'lead_assignment_approvals', 'batch_lead_assignments', 'lead_follow_ups', 'vendor_leads',
                                  'workflows', 'workflow_enrollments', 'workflow_node_runs', 'workflow_rules']);
SELECT views_are('mentor', ARRAY['lifecycles', 'lifecycle_transitions', 'history', 'history_enabled_tables', 'history_partitions',
                                 'ledger_statement', 'course_leaderboard', 'my_crosscheck_reviews', 'crosscheck_progress',
                                 'active_alerts', 'api_key_usage_daily', 'direct_messages', 'leaderboard',
                                 'learning_paths_json', 'user_learning_progress', 'quiz_questions_public', 'quiz_results',
                                 'enrollments', 'assignments', 'attendance_rates',
                                 'lead_sms_logs', 'lead_email_logs', 'lead_whatsapp_logs', 'overdue_follow_ups', 'campaign_leads', 'leads']);
SELECT enums_are('mentor', ARRAY['platform_role', 'onboarding_status', 'visibility', 'skill_direction',
                                 'transfer_status', 'checker_kind', 'registration_kind', 'registration_status',
                                 'crosscheck_status', 'mentorship_status', 'action_item_status', 'session_status',
                                 'suggestion_status', 'match_status', 'notification_status', 'vendor_key_status',
                                 'connection_status', 'problem_difficulty', 'submission_status', 'submission_verdict',
                                 'interview_type', 'interview_status', 'collaboration_status', 'news_type',
                                 'resource_type', 'reported_issue_status', 'proxy_request_status', 'question_kind',
                                 'batch_status', 'program_application_status', 'enrollment_status', 'attendance_status',
                                 'task_verification_status', 'gratitude_badge', 'soft_skill', 'mentor_recommendation',
                                 'resume_visibility', 'job_post_status', 'candidate_status', 'pap_workflow_status',
                                 'lead_status', 'follow_up_status', 'workflow_enrollment_status', 'workflow_node_run_status']);
SELECT domains_are('mentor', ARRAY['email', 'time_zone', 'rating', 'percent', 'token_amount', 'slug']);
SELECT enum_has_labels('mentor', 'platform_role', ARRAY['user', 'mentor', 'admin', 'owner', 'sales', 'mentee', 'expert', 'superadmin', 'new_mother']);

-- Conventional keys: bigint identity "id" on every entity table.
SELECT col_is_pk('mentor', t, 'id', format('%s has primary key id', t))
  FROM unnest(ARRAY['users', 'profiles', 'skills', 'user_skills', 'external_accounts', 'profile_visibility']) t;
SELECT col_type_is('mentor', t, 'id', 'bigint', format('%s.id is bigint', t))
  FROM unnest(ARRAY['users', 'profiles', 'skills', 'user_skills', 'external_accounts', 'profile_visibility']) t;
SELECT is((SELECT count(*)::int FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
            WHERE c.relnamespace = 'mentor'::regnamespace AND c.relkind = 'r' AND a.attname = 'id'
              AND a.attidentity = 'a'), 145, 'every bigint id is GENERATED ALWAYS AS IDENTITY');
-- Ledger rows are keyed by the caller's idempotency key.
SELECT col_type_is('mentor', t, 'id', 'uuid', format('%s.id is the caller''s uuid', t))
  FROM unnest(ARRAY['ledger_transfers', 'token_purchases', 'token_allotments', 'withdrawals']) t;

-- Foreign keys to users, with the ON DELETE the design asks for.
SELECT fk_ok('mentor', t, 'user_id', 'mentor', 'users', 'id')
  FROM unnest(ARRAY['profiles', 'user_skills', 'external_accounts', 'profile_visibility']) t;
SELECT fk_ok('mentor', 'user_skills', 'skill_id', 'mentor', 'skills', 'id');
SELECT is(ARRAY(SELECT conname::text FROM pg_constraint
                WHERE contype = 'f' AND connamespace = 'mentor'::regnamespace AND confdeltype = 'a' ORDER BY 1),
          '{}'::text[], 'every foreign key says its ON DELETE explicitly');
SELECT is(ARRAY(SELECT conname::text FROM pg_constraint
                WHERE contype = 'f' AND connamespace = 'mentor'::regnamespace AND confdeltype = 'c'
                  AND conrelid::regclass::text ~ '(ledger|token_|withdrawals)' ORDER BY 1),
          '{}'::text[], 'no delete cascades into money: ledger foreign keys restrict or set null');

-- Uniqueness users rely on.
SELECT col_is_unique('mentor', 'users', ARRAY['email'], 'users.email is unique');
SELECT col_is_unique('mentor', 'users', ARRAY['username'], 'users.username is unique');
SELECT col_is_unique('mentor', 'profiles', ARRAY['user_id'], 'one profile per user');
SELECT col_is_unique('mentor', 'skills', ARRAY['slug'], 'skills.slug is unique');
SELECT col_is_unique('mentor', 'user_skills', ARRAY['user_id', 'skill_id', 'direction'], 'a skill once per user and direction');
SELECT col_is_unique('mentor', 'task_results', ARRAY['course_task_id', 'student_id'], 'one result per student and course task');
SELECT col_is_unique('mentor', 'task_solutions', ARRAY['course_task_id', 'student_id'], 'one solution per student and course task');
SELECT col_is_unique('mentor', 'task_solution_checkers', ARRAY['task_solution_id', 'checker_id'], 'a reviewer once per solution');
SELECT col_is_unique('mentor', 'team_members', ARRAY['distribution_id', 'student_id'], 'one team per student and distribution');
SELECT trigger_is('mentor', 'course_tasks', 'lifecycle_crosscheck_status', 'mentor', 'enforce_lifecycle');
SELECT trigger_is('mentor', 'registries', 'lifecycle_status', 'mentor', 'enforce_lifecycle');
SELECT trigger_is('mentor', 'sessions', 'lifecycle_status', 'mentor', 'enforce_lifecycle');
SELECT trigger_is('mentor', 'mentorships', 'lifecycle_status', 'mentor', 'enforce_lifecycle');
SELECT is((SELECT count(*)::int FROM pg_constraint WHERE conrelid = 'mentor.sessions'::regclass AND contype = 'x'), 2,
          'sessions have exclusion constraints for the mentor and the mentee');
SELECT has_type('mentor', 'availability', 'the availability type exists');
SELECT col_type_is('mentor', 'users', 'email', 'mentor', 'email', 'users.email is a mentor.email');
SELECT col_type_is('mentor', 'users', 'time_zone', 'mentor', 'time_zone', 'users.time_zone is a mentor.time_zone');
SELECT col_not_null('mentor', 'users', 'email', 'users.email is required');
SELECT col_has_default('mentor', 'profiles', 'onboarding_status', 'profiles start not_started');

-- Triggers: lifecycle on onboarding_status, updated_at on every table that has it, signup.
SELECT trigger_is('mentor', 'profiles', 'lifecycle_onboarding_status', 'mentor', 'enforce_lifecycle');
SELECT trigger_is('mentor', 'users', 'users_after_insert', 'mentor', '_users_after_insert');
SELECT is(ARRAY(SELECT c.relname::text FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
                 WHERE c.relnamespace = 'mentor'::regnamespace AND c.relkind = 'r' AND a.attname = 'updated_at'
                   AND NOT EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid
                                     AND t.tgfoid = 'mentor.touch_updated_at'::regproc)
                 ORDER BY 1), '{}'::text[], 'every table with updated_at keeps it current');

-- Documentation: \d+ and \df+ explain everything.
SELECT is(ARRAY(SELECT c.relname::text FROM pg_class c WHERE c.relnamespace = 'mentor'::regnamespace
                   AND c.relkind IN ('r', 'v') AND obj_description(c.oid, 'pg_class') IS NULL ORDER BY 1),
          '{}'::text[], 'every table and view has a comment');
SELECT is(ARRAY(SELECT p.oid::regprocedure::text FROM pg_proc p WHERE p.pronamespace = 'mentor'::regnamespace
                   AND obj_description(p.oid, 'pg_proc') IS NULL ORDER BY 1),
          '{}'::text[], 'every function has a comment');
SELECT is(ARRAY(SELECT t.typname::text FROM pg_type t WHERE t.typnamespace = 'mentor'::regnamespace
                   AND t.typtype IN ('d', 'e') AND obj_description(t.oid, 'pg_type') IS NULL ORDER BY 1),
          '{}'::text[], 'every domain and enum has a comment');
SELECT is(ARRAY(SELECT format('%s.%s', c.relname, a.attname) FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
                 WHERE c.relnamespace = 'mentor'::regnamespace AND c.relname = 'users' AND a.attnum > 0
                   AND a.attname IN ('email', 'username', 'role', 'password_hash', 'time_zone', 'active')
                   AND col_description(c.oid, a.attnum) IS NULL ORDER BY 1),
          '{}'::text[], 'the notable columns of users have comments');

-- Grants.
SELECT table_privs_are('mentor', 'users', 'mentor_app', ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE']);
SELECT table_privs_are('mentor', 'skills', 'mentor_app', ARRAY['SELECT']);
SELECT table_privs_are('mentor', 'lifecycle_state_defs', 'mentor_app', ARRAY['SELECT']);
SELECT table_privs_are('mentor', 'lifecycle_state_defs', 'mentor_admin', ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE']);
SELECT table_privs_are('mentor', 'users', 'mentor_analyst', '{}'::text[]);
SELECT table_privs_are('mentor', 'lifecycles', 'mentor_analyst', ARRAY['SELECT']);
SELECT function_privs_are('mentor', 'define_lifecycle', ARRAY['text', 'text[]'], 'mentor_app', '{}'::text[]);
SELECT function_privs_are('mentor', 'define_lifecycle', ARRAY['text', 'text[]'], 'mentor_admin', ARRAY['EXECUTE']);
SELECT is_member_of('mentor_app', 'mentor_admin');

-- pg_dump keeps every table's data, catalogue tables without their shipped rows.
SELECT is(ARRAY(SELECT c.relname::text FROM pg_class c
                 WHERE c.relnamespace = 'mentor'::regnamespace AND c.relkind IN ('r', 'S')
                   AND NOT EXISTS (SELECT 1 FROM pg_extension e WHERE e.extname = 'mentor' AND c.oid = ANY (e.extconfig))
                 ORDER BY 1), '{}'::text[], 'every table and sequence of the extension is dumped');
SELECT set_eq($$SELECT c.relname::text, x.cond FROM pg_extension e,
                   unnest(e.extconfig, e.extcondition) x(oid, cond) JOIN pg_class c ON c.oid = x.oid
                 WHERE e.extname = 'mentor' AND x.cond <> ''$$,
              $$VALUES ('lifecycle_state_defs', 'WHERE NOT shipped'), ('lifecycle_transition_defs', 'WHERE NOT shipped'),
                       ('skills', 'WHERE NOT shipped'), ('history_tables', 'WHERE NOT shipped'),
                       ('settings', 'WHERE NOT shipped'), ('notification_channels', 'WHERE NOT shipped'),
                       ('notification_types', 'WHERE NOT shipped'), ('notification_defaults', 'WHERE NOT shipped'),
                       ('languages', 'WHERE NOT shipped'), ('news_sources', 'WHERE NOT shipped')$$,
              'catalogue tables leave their shipped rows to CREATE EXTENSION');

-- History: every table users change is audited; the log is read-only for everyone.
SELECT is(ARRAY(SELECT c.relname::text FROM pg_class c
                 WHERE c.relnamespace = 'mentor'::regnamespace AND c.relkind = 'r' AND c.relname NOT LIKE 'history\_%'
                   AND c.relname NOT IN ('ledger_transfers', 'ledger_entries')  -- immutable journals themselves
                   -- the outbox (each row an event already) and secrets (ciphertext and hashes stay out of history)
                   AND c.relname NOT IN ('notifications', 'integration_tokens', 'one_time_tokens', 'refresh_tokens', 'api_key_usage')
                   -- practice figures kept from the submissions (audited) by trigger
                   AND c.relname NOT IN ('solved_problems', 'user_stats', 'user_rank_counts', 'user_rank_totals', 'user_stats_daily')
                   -- a user's chats with the support assistant are theirs alone, never recorded
                   AND c.relname <> 'support_chats'
                   -- learning progress follows the completions (audited) by trigger
                   AND c.relname <> 'learning_progress'
                   -- a webinar player writes its progress every few seconds
                   AND c.relname <> 'webinar_progress'
                   -- an append-only log of webhooks, never changed
                   AND c.relname <> 'repository_events'
                   -- voice interview transcripts: append-only, never changed
                   AND c.relname <> 'voice_interview_messages'
                   -- CRM records that are a history themselves, append-only or written once
                   AND c.relname NOT IN ('lead_activity', 'lead_assignment_history', 'lead_import_rows',
                                         'batch_lead_assignments', 'vendor_leads')
                   -- the workflow work queue (its enrollments are audited)
                   AND c.relname <> 'workflow_node_runs'
                   AND NOT EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid AND t.tgname = 'mentor_history')
                 ORDER BY 1), '{}'::text[], 'history is enabled on every table of the extension');
SELECT is((SELECT excluded FROM mentor.history_tables WHERE table_name = 'mentor.users'), ARRAY['password_hash'],
          'password hashes never enter history');
SELECT table_privs_are('mentor', 'history_log', 'mentor_app', '{}'::text[]);
SELECT table_privs_are('mentor', 'history_log', 'mentor_analyst', '{}'::text[]);   -- the view hides private columns, the log would not
SELECT table_privs_are('mentor', 'history', 'mentor_analyst', ARRAY['SELECT']);
SELECT function_privs_are('mentor', 'prune_history', ARRAY['timestamp with time zone'], 'mentor_app', '{}'::text[]);
SELECT function_privs_are('mentor', 'enable_history', ARRAY['regclass', 'text[]'], 'mentor_admin', ARRAY['EXECUTE']);

SELECT * FROM finish();
ROLLBACK;
