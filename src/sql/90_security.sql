--------------------------------------------------------------------------------
-- Module security: every grant of the extension's roles, in one place.  The
-- modules before this file create objects and say nothing about who may use
-- them; this file runs last, so its blanket grants cover them all, and then
-- takes back what README's role table says a role may not do.  Row-level
-- security policies and the guard triggers (_keep_owned_columns, the ledger
-- accounts guard) live with the tables they protect; test/pgtap/06_role_matrix.sql
-- tries every path through real logins.
--------------------------------------------------------------------------------

GRANT mentor_app TO mentor_admin;

GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA @extschema@ TO mentor_app, mentor_admin;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA @extschema@ TO mentor_app, mentor_admin;

-- Views are read-only for every role: a simple view is auto-updatable and
-- writes through it with its owner's rights, past every table grant below.
DO $grants$
DECLARE
    v regclass;
BEGIN
    FOR v IN SELECT c.oid FROM pg_class c
              WHERE c.relnamespace = '@extschema@'::regnamespace AND c.relkind IN ('v', 'm') ORDER BY c.relname
    LOOP
        EXECUTE format('REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON %s FROM mentor_app, mentor_analyst, mentor_admin, PUBLIC', v);
    END LOOP;
END
$grants$;

-- Catalogues: applications read them, administrators change them.
REVOKE INSERT, UPDATE, DELETE ON lifecycle_state_defs, lifecycle_transition_defs FROM mentor_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON lifecycle_state_defs, lifecycle_transition_defs TO mentor_admin;
REVOKE INSERT, UPDATE, DELETE ON skills FROM mentor_app;
REVOKE EXECUTE ON FUNCTION define_lifecycle(text, text[]), reset_lifecycle(text),
    _ship_lifecycle(text, text[], boolean), attach_lifecycle(regclass, name, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION define_lifecycle(text, text[]), reset_lifecycle(text),
    attach_lifecycle(regclass, name, text) TO mentor_admin;

-- Security answers: only through set_security_answer / check_security_answer (SECURITY DEFINER).
REVOKE ALL ON user_security_answers FROM mentor_app, mentor_admin;
REVOKE EXECUTE ON FUNCTION _crypt(text, text), set_security_answer(bigint, text, text),
    check_security_answer(bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION set_security_answer(bigint, text, text), check_security_answer(bigint, text) TO mentor_app;

-- Sign-in events: written by signup and record_login, read by the application; an
-- append-only log (its trigger refuses changes to everyone, owner included).
REVOKE INSERT, UPDATE, DELETE ON login_events FROM mentor_app;
REVOKE UPDATE, DELETE ON login_events FROM mentor_admin;
REVOKE EXECUTE ON FUNCTION record_login(bigint, text, inet, text, text, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION record_login(bigint, text, inet, text, text, boolean) TO mentor_app;

-- Analysts: catalogues and analytics views; never users' secrets (emails,
-- names, OAuth ids, password hashes, private notes, message bodies, reviewers).
GRANT SELECT ON lifecycles, lifecycle_transitions, skills, user_skills TO mentor_analyst;

-- History: append-only for everyone; read by analysts and administrators.  The
-- trigger writes it without needing rights on it, and reads the registry.
REVOKE INSERT, UPDATE, DELETE ON history_log, history_contexts, history_tables FROM mentor_app;
-- Views read with their owner's rights: revoking the tables alone would leave history readable.
REVOKE SELECT ON history_log, history_contexts, history, history_enabled_tables FROM mentor_app;
GRANT SELECT ON history_tables TO PUBLIC;
-- Analysts read history through the view, which leaves private columns out; the raw log would not.
GRANT SELECT ON history, history_enabled_tables TO mentor_analyst, mentor_admin;
GRANT SELECT ON history_log, history_contexts TO mentor_admin;
GRANT INSERT, UPDATE ON history_tables TO mentor_admin;
GRANT DELETE ON history_log TO mentor_admin;
REVOKE EXECUTE ON FUNCTION enable_history(regclass, text[]), disable_history(regclass), prune_history(timestamptz),
    _enable_history_shipped(regclass, text[], text[]), set_history_private(regclass, text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION enable_history(regclass, text[]), disable_history(regclass), prune_history(timestamptz),
    set_history_private(regclass, text[]) TO mentor_admin;
-- The state snapshot writes history of any table without reading rights on it: disable_history's
-- (an administrator's) alone.  Inserted rows are rebuilt for those who read history.
REVOKE EXECUTE ON FUNCTION _history_snapshot(regclass, smallint),
    _history_inserted_row(smallint, bigint, text, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION _history_snapshot(regclass, smallint) TO mentor_admin;
GRANT EXECUTE ON FUNCTION _history_inserted_row(smallint, bigint, text, timestamptz) TO mentor_analyst, mentor_admin;
-- Partitions: the trigger makes them through fmgr (no EXECUTE needed); administrators may make them
-- ahead by hand and prune through prune_history, which drops them.
REVOKE EXECUTE ON FUNCTION _history_add_partition(timestamptz, boolean), _history_prune(timestamptz),
    _history_index_partition(regclass) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION _history_add_partition(timestamptz, boolean), _history_prune(timestamptz) TO mentor_admin;
REVOKE SELECT ON history_partitions FROM mentor_app;
GRANT SELECT ON history_partitions TO mentor_analyst, mentor_admin;

-- Ledger: money moves only through the ledger functions, which write the
-- journal directly; nobody writes transfers or entries by SQL.  Purchases,
-- allotments and withdrawals change through their (SECURITY DEFINER)
-- functions only.  Accounts may be opened and closed by the application; their
-- guard trigger keeps balances, identity, allow_negative, names and system
-- accounts out of its reach, and the ledger's C functions refuse it debits of
-- accounts that may go negative and credits of external ones (the token
-- economy's functions own those flows).
REVOKE INSERT, UPDATE, DELETE ON ledger_transfers, ledger_entries FROM mentor_app, mentor_admin;
REVOKE INSERT, UPDATE, DELETE ON token_purchases, token_allotments, withdrawals FROM mentor_app, mentor_admin;
REVOKE DELETE ON ledger_accounts FROM mentor_app, mentor_admin;
DO $grants$
DECLARE
    fn text;
BEGIN
    FOREACH fn IN ARRAY ARRAY[
        'transfer(uuid, bigint, bigint, bigint, text, text, boolean, interval)', 'post_pending(uuid, uuid, bigint)',
        'void_pending(uuid, uuid)', 'expire_pending()',
        'transfer_batch(uuid[], bigint[], bigint[], bigint[], text[], text[], boolean, interval)',
        'open_account(bigint, text, text, boolean, boolean, text, timestamptz)', 'close_account(bigint)',
        'system_account(text, text)', 'wallet(bigint)', 'earnings_account(bigint)', '_owned_account(bigint, text)',
        'grant_promo(bigint, bigint, timestamptz, uuid)',
        'spend_tokens(bigint, bigint, bigint, uuid, text, text, boolean, interval)', 'expire_promos()',
        'purchase_tokens(bigint, bigint, text, uuid)', 'confirm_purchase(uuid)',
        'fail_purchase(uuid, text)', 'cancel_purchase(uuid, text)', 'credit_earnings(bigint, bigint, uuid, text)',
        'request_withdrawal(bigint, bigint, uuid)']
    LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION @extschema@.%s FROM PUBLIC', fn);
        EXECUTE format('GRANT EXECUTE ON FUNCTION @extschema@.%s TO mentor_app', fn);
    END LOOP;
    -- Giving tokens away and paying money out are administrators' decisions.
    FOREACH fn IN ARRAY ARRAY['allot_tokens(bigint[], bigint, uuid, text)', 'approve_withdrawal(uuid)',
                              'reject_withdrawal(uuid, text)', 'mark_withdrawal_paid(uuid, text)']
    LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION @extschema@.%s FROM PUBLIC', fn);
        EXECUTE format('GRANT EXECUTE ON FUNCTION @extschema@.%s TO mentor_admin', fn);
    END LOOP;
    -- Only through confirm/fail/cancel_purchase and approve/reject_withdrawal, which run as the owner.
    REVOKE EXECUTE ON FUNCTION _resolve_request(text, regclass, uuid, text, text, boolean, name, text, text[]) FROM PUBLIC;
END
$grants$;
GRANT SELECT ON ledger_statement TO mentor_analyst;

-- Courses and cross-checks: pairs are written by mentor.crosscheck_distribute,
-- reviews by mentor.crosscheck_submit_review and their discussion by
-- mentor.crosscheck_add_message only; course-wide operations are for the
-- application to offer to course managers.
REVOKE INSERT, UPDATE, DELETE ON task_solution_checkers, task_solution_results FROM mentor_app, mentor_admin;
-- Certificates are issued by mentor.issue_certificates for the score a student reached; an
-- application may withdraw one (DELETE), an administrator also issue one by hand.
REVOKE INSERT, UPDATE ON certificates FROM mentor_app;
GRANT INSERT, UPDATE ON certificates TO mentor_admin;
DO $grants$
DECLARE
    fn text;
BEGIN
    FOREACH fn IN ARRAY ARRAY[
        'crosscheck_distribute(bigint, integer, bigint, boolean)',
        'crosscheck_submit_review(bigint, bigint, bigint, integer, jsonb, text, boolean)',
        'crosscheck_complete(bigint, text)', 'crosscheck_reviewer_flags(bigint, integer)',
        'crosscheck_add_message(bigint, text)', 'accept_late_solution(bigint, bigint, text, text)',
        'crosscheck_report(bigint)',
        'recalculate_scores(bigint)', 'issue_certificates(bigint)', 'distribute_teams(bigint, bigint)',
        'team_distribution_report(bigint)']
    LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION @extschema@.%s FROM PUBLIC', fn);
        EXECUTE format('GRANT EXECUTE ON FUNCTION @extschema@.%s TO mentor_app', fn);
    END LOOP;
    REVOKE EXECUTE ON FUNCTION _crosscheck_pairs(bigint[], bigint[], integer, bigint),
        _crosscheck_late_pairs(bigint[], bigint[], boolean[], bigint[], bigint[], integer, bigint),
        _teams_plan(integer[], integer[], integer, integer, integer, bigint), _team_waiting(bigint),
        _crosscheck_task(bigint, text), _is_course_staff(bigint, bigint), _score_changes(bigint) FROM PUBLIC;
    -- the row-level security policy of task_solution_results calls it
    GRANT EXECUTE ON FUNCTION _is_course_staff(bigint, bigint) TO mentor_app;
END
$grants$;
GRANT SELECT ON crosscheck_progress TO mentor_analyst;
GRANT SELECT (course_id, rank, student_id, user_id, username, total_score, cross_check_score, mentor_username)
    ON course_leaderboard TO mentor_analyst;       -- not full_name

-- Mentorship and sessions: sessions change through their functions (booking,
-- completion, cancellation, rescheduling), which keep the money right; the
-- application may edit a session's descriptive columns.  Settings are for
-- administrators.
-- The application updates a session as a whole (an ORM's save); its trigger
-- sessions_owned_columns refuses a change to anything but the descriptive columns.
REVOKE INSERT, UPDATE, DELETE ON sessions FROM mentor_app, mentor_admin;
GRANT UPDATE ON sessions TO mentor_app;
REVOKE INSERT, UPDATE, DELETE ON settings FROM mentor_app;
GRANT INSERT, UPDATE, DELETE ON settings TO mentor_admin;
-- Counters and ratings of mentor_profiles are kept by triggers (SECURITY
-- DEFINER); its trigger mentor_profiles_owned_columns refuses any other value
-- for them, so the table stays writable as a whole, as ORMs write it.
DO $grants$
DECLARE
    fn text;
BEGIN
    FOREACH fn IN ARRAY ARRAY[
        'publish_slot(bigint, tstzrange, text)', 'book_session(bigint, bigint, uuid)', 'complete_session(bigint)',
        'cancel_session(bigint, bigint, text)', 'propose_reschedule(bigint, bigint, tstzrange, text)',
        'respond_reschedule(bigint, bigint, boolean, text)', 'due_reminders(interval)', 'mark_reminded(bigint[])',
        'mark_messages_read(bigint, timestamptz)', 'activate_mentorship(bigint)', 'reject_mentorship(bigint)',
        'complete_mentorship(bigint)', 'cancel_mentorship(bigint)',
        'request_session(bigint, bigint, tstzrange, uuid, text)', 'respond_request(bigint, boolean, text)',
        'request_slot(bigint, bigint, uuid)', 'propose_session(bigint, tstzrange, text, text, text)',
        'respond_proposal(bigint, boolean, uuid, text)', 'request_cancellation(bigint, text)',
        'respond_cancellation(bigint, boolean, text)', 'review_session(bigint, text)', 'resolve_review(bigint, numeric, text)']
    LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION @extschema@.%s FROM PUBLIC', fn);
        EXECUTE format('GRANT EXECUTE ON FUNCTION @extschema@.%s TO mentor_app', fn);
    END LOOP;
    -- the row-level security policies of notes and action items call it
    REVOKE EXECUTE ON FUNCTION _in_session(bigint) FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION _in_session(bigint) TO mentor_app;
    REVOKE EXECUTE ON FUNCTION _settle_hold(sessions, bigint), _lock_session(bigint),
        _hold_price(bigint, bigint, uuid, bigint, tstzrange), _pay_mentor(sessions, bigint),
        _cancel_refund(sessions, bigint, text), _session_actor(sessions, boolean, text) FROM PUBLIC;
END
$grants$;
GRANT SELECT ON settings TO mentor_analyst;

-- Matching: suggestions and matches change through their functions.
REVOKE INSERT, UPDATE, DELETE ON suggestions FROM mentor_app;
DO $grants$
DECLARE
    fn text;
BEGIN
    FOREACH fn IN ARRAY ARRAY[
        'suggest_mentors(bigint, integer, availability, boolean)', 'refresh_suggestions(bigint, integer, availability)',
        'accept_suggestion(bigint)', 'decline_suggestion(bigint)', 'match_cohort(bigint[], integer, text, boolean)',
        'approve_match(bigint)', 'reject_match(bigint, text)']
    LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION @extschema@.%s FROM PUBLIC', fn);
        EXECUTE format('GRANT EXECUTE ON FUNCTION @extschema@.%s TO mentor_app', fn);
    END LOOP;
    REVOKE EXECUTE ON FUNCTION _top_fits(bigint, integer, availability, boolean), _lock_suggestion(bigint),
        _require_mentee(suggestions), _decide_match(bigint, boolean, text), _mentorship_step(bigint, mentorship_status, boolean),
        _is_staff(bigint) FROM PUBLIC;
END
$grants$;

-- Notifications: the catalogue (types, channels, templates, defaults) and
-- alerts are administrators'; users choose their own settings and
-- connections (row-level security); the outbox is written by notify() and
-- the delivery functions only, and read by the application as each user's
-- in-app inbox.  Analysts see none of it: payloads and addresses are personal.
REVOKE INSERT, UPDATE, DELETE ON notification_types, notification_channels, notification_templates,
    notification_defaults, alerts FROM mentor_app;
REVOKE INSERT, UPDATE, DELETE ON notifications FROM mentor_app, mentor_admin;
DO $grants$
DECLARE
    fn text;
BEGIN
    FOREACH fn IN ARRAY ARRAY[
        'notify(bigint, text, jsonb, text)', 'claim_notifications(text, text, integer, interval)',
        'mark_sent(bigint, text, text)', 'mark_failed(bigint, text, text, interval)', 'render_notification(bigint)',
        'mark_notifications_read(bigint[])', 'unread_notifications()']
    LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION @extschema@.%s FROM PUBLIC', fn);
        EXECUTE format('GRANT EXECUTE ON FUNCTION @extschema@.%s TO mentor_app', fn);
    END LOOP;
    REVOKE EXECUTE ON FUNCTION requeue_notification(bigint) FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION requeue_notification(bigint) TO mentor_admin;
    REVOKE EXECUTE ON FUNCTION _queue_claim(regclass, text, text, text, text, integer, interval, integer, name, text, text),
        _queue_hold(regclass, text, bigint, text, text, text), _queue_refuse(regclass, text, bigint, text, text, text),
        _queue_retry(regclass, text, bigint, text, text, interval, text, text, text, integer, interval),
        _notification_targets(bigint, text), _notify_each(bigint[], text[], jsonb, text[]),
        _notifications_catalogue_deleted() FROM PUBLIC;
    -- the row-level security policy of alerts calls it
    REVOKE EXECUTE ON FUNCTION _in_course(bigint) FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION _in_course(bigint) TO mentor_app;
END
$grants$;

-- Secrets: no role reads plain text by SELECT.  Tokens are written and read in
-- clear only through their SECURITY DEFINER functions, for their user (by
-- set_actor) or an administrator; the application sees the descriptive
-- columns of its own integration tokens (row-level security), never the
-- ciphertext, and no column of one-time tokens, refresh tokens or key hashes.
REVOKE ALL ON integration_tokens, one_time_tokens, refresh_tokens, api_keys, api_key_usage FROM mentor_app, mentor_admin;
GRANT SELECT (id, user_id, provider, account_ref, scopes, expires_at, key_id, created_at, updated_at)
    ON integration_tokens TO mentor_app, mentor_admin;
GRANT DELETE ON integration_tokens TO mentor_app, mentor_admin;
GRANT SELECT (id, name, vendor, owner_id, prefix, status, created_at, updated_at) ON api_keys TO mentor_admin;
GRANT UPDATE (status) ON api_keys TO mentor_admin;
GRANT SELECT ON api_key_usage TO mentor_admin;
REVOKE SELECT ON api_key_usage_daily FROM mentor_app;
ALTER TABLE integration_tokens ENABLE ROW LEVEL SECURITY;
CREATE POLICY integration_tokens_select ON integration_tokens FOR SELECT TO mentor_app
    USING (user_id = @extschema@.current_actor());
CREATE POLICY integration_tokens_delete ON integration_tokens FOR DELETE TO mentor_app
    USING (user_id = @extschema@.current_actor());
DO $grants$
DECLARE
    fn text;
BEGIN
    FOREACH fn IN ARRAY ARRAY[
        'store_token(bigint, text, text, text, timestamptz, text, text)', 'read_token(bigint)',
        'issue_token(text, bigint, interval, jsonb)', 'consume_token(text, text)',
        'issue_refresh_token(bigint, interval)', 'rotate_refresh_token(text, interval)',
        'revoke_refresh_tokens(bigint)', 'verify_api_key(text)']
    LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION @extschema@.%s FROM PUBLIC', fn);
        EXECUTE format('GRANT EXECUTE ON FUNCTION @extschema@.%s TO mentor_app', fn);
    END LOOP;
    FOREACH fn IN ARRAY ARRAY['rotate_secret_key()', 'create_api_key(text, text, bigint)']
    LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION @extschema@.%s FROM PUBLIC', fn);
        EXECUTE format('GRANT EXECUTE ON FUNCTION @extschema@.%s TO mentor_admin', fn);
    END LOOP;
    REVOKE EXECUTE ON FUNCTION _secret_key(boolean), _pgp(boolean, bytea, text), _random_token(integer),
        _secret_reader(bigint), _caller_is_admin() FROM PUBLIC;
END
$grants$;

-- Community: connections and conversations change through their functions, for the acting
-- user; rows are readable by the people in them (row-level security); analysts see none.
REVOKE INSERT, UPDATE, DELETE ON connections, conversations, conversation_members, messages FROM mentor_app, mentor_admin;
-- Support groups: the application writes them under their row-level security; memberships are
-- joined and left, never edited.
REVOKE UPDATE ON group_memberships FROM mentor_app, mentor_admin;
DO $grants$
DECLARE
    fn text;
BEGIN
    FOREACH fn IN ARRAY ARRAY[
        'request_connection(bigint, text)', 'respond_connection(bigint, boolean)', 'is_connected(bigint, bigint)',
        'start_direct(bigint)', 'start_group(text, bigint[])', 'send_message(bigint, text)', 'edit_message(bigint, text)',
        'mark_conversation_read(bigint)', 'unread_counts()']
    LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION @extschema@.%s FROM PUBLIC', fn);
        EXECUTE format('GRANT EXECUTE ON FUNCTION @extschema@.%s TO mentor_app', fn);
    END LOOP;
    REVOKE EXECUTE ON FUNCTION _community_actor(), _notify_conversation_message(), _group_memberships_count() FROM PUBLIC;
    -- the row-level security policies of conversations call it
    REVOKE EXECUTE ON FUNCTION _in_conversation(bigint) FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION _in_conversation(bigint) TO mentor_app;
END
$grants$;

-- Course school: attempts, checkers and artefacts are written under their row-level security;
-- results on checked tasks by their checker or the course's staff (the trigger's MN005).
DO $grants$
DECLARE
    fn text;
BEGIN
    FOREACH fn IN ARRAY ARRAY[
        'course_roles(bigint, bigint)', 'has_course_role(bigint, bigint, text[])',
        'register_for_interview(bigint, bigint[])', 'assign_interviewer(bigint, bigint)', 'distribute_interviews(bigint)',
        'schedule_interview(bigint, tstzrange)', 'decide_interview(bigint, boolean, boolean)',
        'submit_interview_result(bigint, integer, jsonb, text)',
        -- the row-level security policies call them
        '_own_student(bigint)', '_task_checker_user(bigint, bigint)']
    LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION @extschema@.%s FROM PUBLIC', fn);
        EXECUTE format('GRANT EXECUTE ON FUNCTION @extschema@.%s TO mentor_app, mentor_analyst', fn);
    END LOOP;
    REVOKE EXECUTE ON FUNCTION _task_verification_attempt(), _task_verification_update(),
        _task_verification_result(), _course_task_attempt_rescore(), _task_checkers_task(), _task_results_checker(),
        _course_task_course(), _interview_task_course(), _task_interview_assignment(),
        _match_pairs(integer, integer[], integer[], integer[], float8[], integer, text),
        _interview_party(task_interview_students, text), _interview_registration(bigint),
        _interviewed_before(bigint, bigint, bigint) FROM PUBLIC;
END
$grants$;
-- Course school, people: gratitude, feedback, resumes and mentors' registries are written by
-- their authors under row-level security; employers and the registries of groups, Discord
-- servers and contributors are staff's; repository events are an append-only log.
REVOKE INSERT, UPDATE, DELETE ON employers, user_groups, user_group_members, discord_servers, contributors FROM mentor_app;
GRANT SELECT ON gratitudes, user_groups, discord_servers TO mentor_analyst;
DO $grants$
DECLARE
    fn text;
BEGIN
    FOREACH fn IN ARRAY ARRAY['resume_by_public_id(uuid)',
        -- the row-level security policies call them
        '_course_mentor_is_actor(bigint)', '_resume_readable(bigint, resume_visibility)']
    LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION @extschema@.%s FROM PUBLIC', fn);
        EXECUTE format('GRANT EXECUTE ON FUNCTION @extschema@.%s TO mentor_app', fn);
    END LOOP;
    REVOKE EXECUTE ON FUNCTION _student_feedback_check(), _repository_events_guard() FROM PUBLIC;
END
$grants$;

-- Learning: paths and their modules are staff's; users start paths and complete modules as
-- themselves (row-level security); progress figures are the triggers'.
REVOKE INSERT, UPDATE, DELETE ON learning_paths, learning_path_modules FROM mentor_app;
REVOKE UPDATE ON learning_progress, learning_module_completions FROM mentor_app, mentor_admin;
GRANT SELECT ON learning_paths, learning_path_modules, learning_paths_json TO mentor_analyst;
REVOKE EXECUTE ON FUNCTION _learning_completion_counts(), _learning_modules_recount() FROM PUBLIC;
-- Events: the reusable events and webinars are staff's; course events are written by the
-- course's staff (row-level security); webinar progress by its user.
REVOKE INSERT, UPDATE, DELETE ON events, webinars FROM mentor_app;
GRANT SELECT ON events, webinars TO mentor_analyst;
REVOKE EXECUTE ON FUNCTION _course_event_clash(), _webinar_progress_stamp() FROM PUBLIC;

-- Quizzes: the question bank and quizzes are staff's; the application reads questions without
-- their answers (quiz_questions_public), course modules are written by the course's staff, and
-- attempts move only through start_quiz and submit_quiz.
REVOKE INSERT, UPDATE, DELETE ON question_categories, questions, quizzes, quiz_questions FROM mentor_app;
REVOKE SELECT ON questions FROM mentor_app;
GRANT SELECT ON questions TO mentor_admin;
REVOKE INSERT, UPDATE, DELETE ON quiz_attempts FROM mentor_app, mentor_admin;
DO $grants$
DECLARE
    fn text;
BEGIN
    FOREACH fn IN ARRAY ARRAY['start_quiz(bigint)', 'submit_quiz(bigint, jsonb)', 'quiz_review(bigint)']
    LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION @extschema@.%s FROM PUBLIC', fn);
        EXECUTE format('GRANT EXECUTE ON FUNCTION @extschema@.%s TO mentor_app', fn);
    END LOOP;
END
$grants$;

-- Cohorts: batches are staff's; an application is written by its applicant while a draft and
-- then moves only through its functions; classes, attendance and announcements are written
-- under their row-level security; seats, marks and enrollment flags are the triggers'.
REVOKE INSERT, UPDATE, DELETE ON batches FROM mentor_app;
GRANT SELECT ON batches, classes TO mentor_analyst;
DO $grants$
DECLARE
    fn text;
BEGIN
    FOREACH fn IN ARRAY ARRAY[
        'submit_application(bigint)', 'review_application(bigint, boolean, text)',
        'pay_application_fee(bigint, text, uuid)', 'confirm_application_payment(bigint)',
        'allocate_application(bigint, bigint)', 'enroll_application(bigint)', 'deboard_application(bigint, text)',
        -- the row-level security policies call them
        '_class_staff(bigint)', '_may_announce(bigint, bigint)', '_announcement_audience(bigint, bigint)']
    LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION @extschema@.%s FROM PUBLIC', fn);
        EXECUTE format('GRANT EXECUTE ON FUNCTION @extschema@.%s TO mentor_app', fn);
    END LOOP;
    REVOKE EXECUTE ON FUNCTION _program_applications_seats(), _attendance_mark(), _classes_course(),
        _students_enrollment_completed(), _application(bigint),
        _application_in(program_applications, text, program_application_status[]) FROM PUBLIC;
END
$grants$;

-- Practice: problems and the catalogues are staff's; submissions are inserted by their user and
-- then move only through the judge's functions; stats and ranks are the triggers' (the
-- application writes a user's study_plan only); interviews, pair programming and the forum are
-- written under their row-level security.
REVOKE INSERT, UPDATE, DELETE ON languages, tags, problems, problem_tags, news_sources FROM mentor_app;
REVOKE UPDATE, DELETE ON submissions FROM mentor_app, mentor_admin;
REVOKE INSERT, UPDATE, DELETE ON solved_problems, user_rank_counts, user_rank_totals, user_stats_daily FROM mentor_app, mentor_admin;
REVOKE UPDATE, DELETE ON user_stats FROM mentor_app, mentor_admin;
GRANT UPDATE (study_plan) ON user_stats TO mentor_app, mentor_admin;
GRANT SELECT ON languages, tags, problems, problem_tags, news_sources, news_items, user_stats_daily TO mentor_analyst;
DO $grants$
DECLARE
    fn text;
BEGIN
    FOREACH fn IN ARRAY ARRAY[
        'claim_submissions(text, integer, interval, text)',
        'report_submission(bigint, text, submission_status, submission_verdict, text, numeric, integer, integer, text)',
        'user_rank(bigint)', 'snapshot_user_stats(date)', 'hide_forum_post(bigint, boolean, text)',
        'hide_forum_comment(bigint, boolean)', 'record_news_item(text, news_type, text, text, text, timestamptz)',
        -- the row-level security policies call them
        '_own_interview(bigint)', '_in_collaboration(bigint)', '_actor_is_staff()', '_collaboration_host(bigint)', '_forum_post_visible(bigint)']
    LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION @extschema@.%s FROM PUBLIC', fn);
        EXECUTE format('GRANT EXECUTE ON FUNCTION @extschema@.%s TO mentor_app', fn);
    END LOOP;
    REVOKE EXECUTE ON FUNCTION _problem_document(bigint, text, text), _problems_search(), _submission_judged(),
        _user_stats_gone(), _rank_count_move(integer, integer, integer, integer), _collaboration_host_joins(), _collaboration_participants_count(), _forum_comments_count(),
        _staff_actor(text) FROM PUBLIC;
END
$grants$;

-- Support: resources, tickets, proxy requests, milestones and support chats are written by
-- the application under their row-level security; a ticket's status and assignee and a proxy
-- request's answer move through their functions; threads are never edited; analysts see none.
REVOKE UPDATE, DELETE ON ticket_messages FROM mentor_app, mentor_admin;
REVOKE UPDATE ON support_chats FROM mentor_app, mentor_admin;
DO $grants$
DECLARE
    fn text;
BEGIN
    FOREACH fn IN ARRAY ARRAY[
        'assign_ticket(bigint, bigint)', 'set_ticket_status(bigint, reported_issue_status)',
        'respond_proxy_request(bigint, boolean)', 'complete_proxy_request(bigint, timestamptz)',
        -- the row-level security policies call them
        '_resource_visible(bigint)', '_ticket_party(bigint)']
    LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION @extschema@.%s FROM PUBLIC', fn);
        EXECUTE format('GRANT EXECUTE ON FUNCTION @extschema@.%s TO mentor_app', fn);
    END LOOP;
    REVOKE EXECUTE ON FUNCTION _support_ticket_assignee(), _proxy_request_check() FROM PUBLIC;
END
$grants$;

-- Hiring: the hiring team's application writes posts, templates, applications, analyses, HR
-- accounts and quiz templates; a screening verdict, a posting's status, a candidate quiz and a
-- voice interview move through their functions only; a transcript turn is never changed; the
-- job boards are staff's; analysts see the posts and salary benchmarks, never candidates.
REVOKE UPDATE, DELETE ON screening_results FROM mentor_app, mentor_admin;
REVOKE UPDATE, DELETE, TRUNCATE ON voice_interview_messages FROM mentor_app, mentor_admin;
REVOKE INSERT, UPDATE, DELETE ON pap_agreement_templates, hr_platforms FROM mentor_app;
GRANT SELECT ON job_posts, salary_benchmarks TO mentor_analyst;
DO $grants$
DECLARE
    fn text;
BEGIN
    FOREACH fn IN ARRAY ARRAY['record_screening(bigint, numeric, jsonb, jsonb)',
                              'match_talent_pool(bigint, integer)', 'start_pap(bigint, bigint)',
                              'pap_step(bigint, text, jsonb, text, text, text, uuid)',
                              'job_post_from_template(bigint, text, text)', 'post_job(bigint, bigint)',
                              'record_job_posting(bigint, text, text, text)', 'remove_job_posting(bigint)',
                              'invite_candidate_quiz(bigint, bigint, interval)', 'start_candidate_quiz(bigint)',
                              'submit_candidate_quiz(bigint, jsonb)',
                              'schedule_voice_interview(bigint, timestamptz, text)', 'start_voice_interview(bigint, text)',
                              'complete_voice_interview(bigint, numeric, text, text)', 'end_voice_interview(bigint, text, text)',
                              'request_discount(bigint, bigint, text)', 'decide_discount(bigint, boolean, text)',
                              'cancel_discount(bigint)']
    LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION @extschema@.%s FROM PUBLIC', fn);
        EXECUTE format('GRANT EXECUTE ON FUNCTION @extschema@.%s TO mentor_app', fn);
    END LOOP;
    REVOKE EXECUTE ON FUNCTION salary_benchmark(text, text, date) FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION salary_benchmark(text, text, date) TO mentor_app, mentor_analyst;
    REVOKE EXECUTE ON FUNCTION _resume_analysis_parsed(), _job_application_pooled(), _voice_interview_message_open(),
        _job_application_to(bigint, candidate_status[]), _voice_interview(bigint, text, text[]),
        _grade_answers(bigint[], jsonb, text), _application_fee(bigint), _discount_open(program_applications),
        _job_posting(bigint), _candidate_quiz(bigint) FROM PUBLIC;
END
$grants$;

-- Sales CRM: the sales team's application reads and writes leads, tags, calls, messages, the
-- organisation and notes; assignment, approvals, imports, follow-ups and vendor intake move
-- through their functions; the timeline, the assignment history, import results, bulk
-- assignments and vendor leads are written by the extension only.  Analysts see none of it
-- (phones, emails and notes are people's).
REVOKE INSERT, UPDATE, DELETE ON lead_activity, lead_assignment_history, lead_import_rows, batch_lead_assignments,
    vendor_leads FROM mentor_app, mentor_admin;
REVOKE INSERT ON lead_import_batches, lead_assignment_approvals, lead_follow_ups FROM mentor_app;
-- Workflows: definitions and rules are written by the application (validated on save);
-- enrollments start with enroll() and runs are the engine's.
REVOKE INSERT ON workflow_enrollments FROM mentor_app;
REVOKE INSERT, UPDATE, DELETE ON workflow_node_runs FROM mentor_app;
DO $grants$
DECLARE
    fn text;
BEGIN
    FOREACH fn IN ARRAY ARRAY['normalize_phone(text, text)', 'assign_lead(bigint, bigint)',
                              'decide_lead_assignment(bigint, boolean, text)', 'assign_batch_leads(bigint, bigint[])',
                              'schedule_follow_up(bigint, timestamp with time zone, text, bigint, text)',
                              'claim_follow_ups(text, integer, interval, bigint)', 'complete_follow_up(bigint, text, text)',
                              'cancel_follow_up(bigint)', 'import_leads(text, jsonb, text, bigint)',
                              'ingest_vendor_lead(text, jsonb, text)',
                              'validate_workflow(jsonb)', 'enroll(bigint, text, bigint, jsonb)',
                              'claim_node_runs(text, integer, interval)', 'finish_node_run(bigint, text, text, jsonb)',
                              'finish_node_runs(bigint[], text, text[], jsonb[])',
                              'fail_node_run(bigint, text, text, interval)', 'pause_enrollment(bigint)',
                              'resume_enrollment(bigint)', 'cancel_enrollment(bigint, text)']
    LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION @extschema@.%s FROM PUBLIC', fn);
        EXECUTE format('GRANT EXECUTE ON FUNCTION @extschema@.%s TO mentor_app', fn);
    END LOOP;
    REVOKE EXECUTE ON FUNCTION _raw_lead_normalize(), _lead_activity_guard(), _lead_log(bigint, text, jsonb),
        _raw_lead_logged(), _lead_contact_logged(), _is_sales(bigint), _assign_lead(raw_leads, bigint, bigint),
        _active_lead(bigint), _lead_fields(jsonb), _upsert_lead(record, text, bigint, bigint),
        _workflow_check(text[], text[], integer[], text[], text[], text[], text[]), _workflow_saved(),
        _workflow_run_failed(), _workflow_advance(bigint[], text[], text[]),
        _live_enrollment(bigint), _workflow_rules_fire() FROM PUBLIC;
END
$grants$;
