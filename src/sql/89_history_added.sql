--------------------------------------------------------------------------------
-- History of the tables that earlier modules gained after 0.1.  A table's
-- history id is its trigger's argument, given in the order tables are
-- enabled; enabling these after every table of 0.1 gives them the same ids in
-- a fresh install as in a database updated from 0.1 (the upgrade script
-- enables them in the same order), so the two catalogs stay equal.
--------------------------------------------------------------------------------

SELECT _enable_history_shipped('user_security_answers', ARRAY['answer_hash']);   -- the hash never enters history
SELECT _enable_history_shipped('login_events', private => ARRAY['ip', 'user_agent']);   -- where people sign in from is not for analysts
-- Notifications and secrets (0.2): the catalogue, people's choices and addresses, alerts and API
-- keys.  Not the outbox (each row is an event already, and history of what caused it is kept) nor
-- any token table (ciphertext and hashes stay out of history).
SELECT _enable_history_shipped('notification_types');
SELECT _enable_history_shipped('notification_channels');
SELECT _enable_history_shipped('notification_templates');
SELECT _enable_history_shipped('notification_defaults');
SELECT _enable_history_shipped('notification_user_settings');
SELECT _enable_history_shipped('notification_connections', private => ARRAY['address']);
SELECT _enable_history_shipped('alerts');
SELECT _enable_history_shipped('api_keys', ARRAY['secret_hash']);
-- Community (0.2): message bodies stay out of history; read markers move on every read, so
-- they are not recorded either.
SELECT _enable_history_shipped('connections');
SELECT _enable_history_shipped('conversations', ARRAY['last_message_at']);
SELECT _enable_history_shipped('conversation_members', ARRAY['last_read_message_id', 'last_read_at']);
SELECT _enable_history_shipped('messages', ARRAY['body']);
SELECT _enable_history_shipped('support_groups', ARRAY['member_count', 'last_active']);
SELECT _enable_history_shipped('group_memberships');
-- Course school (0.2): attempts (not the checker's output), checkers and artefacts.
SELECT _enable_history_shipped('task_verifications', ARRAY['metadata']);
SELECT _enable_history_shipped('task_checkers');
SELECT _enable_history_shipped('task_artefacts');
SELECT _enable_history_shipped('task_interviewers', ARRAY['assigned_count']);
SELECT _enable_history_shipped('task_interview_students');
SELECT _enable_history_shipped('task_interview_results');
-- What people say of each other and their CVs (not the resumes' search documents); private
-- feedback's text is for administrators only.  Not repository_events: an append-only log itself.
SELECT _enable_history_shipped('gratitudes');
SELECT _enable_history_shipped('private_feedback', private => ARRAY['comment']);
SELECT _enable_history_shipped('student_feedback');
SELECT _enable_history_shipped('employers');
SELECT _enable_history_shipped('resumes', ARRAY['search']);
SELECT _enable_history_shipped('user_groups');
SELECT _enable_history_shipped('user_group_members');
SELECT _enable_history_shipped('mentor_registries');
SELECT _enable_history_shipped('discord_servers');
SELECT _enable_history_shipped('contributors');
-- Learning (0.2): paths, modules and completions; progress rows follow the completions by
-- trigger and are not recorded, nor the module counts.
SELECT _enable_history_shipped('learning_paths', ARRAY['module_count']);
SELECT _enable_history_shipped('learning_path_modules');
SELECT _enable_history_shipped('learning_module_completions');
SELECT _enable_history_shipped('events');
SELECT _enable_history_shipped('course_events', ARRAY['during']);
SELECT _enable_history_shipped('webinars');
-- Not webinar_progress: a player writes it every few seconds while someone watches.
SELECT _enable_history_shipped('course_modules');
SELECT _enable_history_shipped('question_categories');
SELECT _enable_history_shipped('questions');
SELECT _enable_history_shipped('quizzes');
SELECT _enable_history_shipped('quiz_questions');
SELECT _enable_history_shipped('quiz_attempts', ARRAY['answers']);
-- Cohorts (0.2): not the seat counter (it follows the applications).
SELECT _enable_history_shipped('batches', ARRAY['seats_taken']);
SELECT _enable_history_shipped('program_applications');
SELECT _enable_history_shipped('classes');
SELECT _enable_history_shipped('attendance');
SELECT _enable_history_shipped('announcements');
-- Practice (0.2): what people write and how submissions move, not the code (it can be
-- large and is the user's), the judge's output or the queue's bookkeeping; counters and
-- search documents follow other rows, so they are not recorded either.
SELECT _enable_history_shipped('problems', ARRAY['search']);
SELECT _enable_history_shipped('problem_tags');
SELECT _enable_history_shipped('tags');
SELECT _enable_history_shipped('submissions', ARRAY['code', 'result', 'lease_owner', 'lease_until', 'attempts',
                                                    'available_at', 'last_error']);
SELECT _enable_history_shipped('forum_posts', ARRAY['search', 'comment_count', 'last_activity_at']);
SELECT _enable_history_shipped('forum_comments', ARRAY['search']);
SELECT _enable_history_shipped('interview_sessions');
SELECT _enable_history_shipped('collaboration_sessions', ARRAY['code', 'participant_count']);
SELECT _enable_history_shipped('interview_questions');
SELECT _enable_history_shipped('collaboration_participants');
SELECT _enable_history_shipped('languages');
SELECT _enable_history_shipped('news_sources');
SELECT _enable_history_shipped('news_items', ARRAY['search']);
-- Not solved_problems, user_stats, user_rank_counts, user_rank_totals nor user_stats_daily: they follow the
-- submissions (whose history is kept) by trigger, on every judged one.
-- Support (0.2): ticket threads and support chats are private, so their text stays out (chats
-- entirely); a milestone is recorded as its owner and date only; what a ticket or a proxy
-- request says is for administrators, not analysts; search documents follow other columns.
SELECT _enable_history_shipped('resources', ARRAY['search']);
SELECT _enable_history_shipped('resource_comments');
SELECT _enable_history_shipped('support_tickets', private => ARRAY['title', 'description']);
SELECT _enable_history_shipped('ticket_messages', ARRAY['body']);
SELECT _enable_history_shipped('proxy_requests', ARRAY['leave'], ARRAY['notes']);
SELECT _enable_history_shipped('milestone_logs', ARRAY['type', 'title', 'notes']);
-- Hiring (0.2): posts, screening settings, applications and what the parser and the screening
-- found; candidates' emails and names are for administrators only.
SELECT _enable_history_shipped('job_posts');
SELECT _enable_history_shipped('job_screening_configs');
SELECT _enable_history_shipped('job_applications', private => ARRAY['candidate_email', 'candidate_name']);
SELECT _enable_history_shipped('resume_analyses');
SELECT _enable_history_shipped('screening_results');
SELECT _enable_history_shipped('salary_benchmarks');
SELECT _enable_history_shipped('talent_pool_entries', private => ARRAY['candidate_email', 'candidate_name']);
SELECT _enable_history_shipped('talent_pool_matches');
SELECT _enable_history_shipped('pap_agreement_templates');
SELECT _enable_history_shipped('pap_workflows');
-- The pipeline (0.2): templates, boards and accounts, postings, candidate quizzes, voice
-- interviews (their transcripts are append-only and kept out), discount requests.
SELECT _enable_history_shipped('job_templates');
SELECT _enable_history_shipped('hr_platforms');
SELECT _enable_history_shipped('hr_platform_accounts');
SELECT _enable_history_shipped('job_platform_postings');
SELECT _enable_history_shipped('quiz_templates');
SELECT _enable_history_shipped('quiz_template_questions');
SELECT _enable_history_shipped('candidate_quiz_responses');
SELECT _enable_history_shipped('voice_interviews');
SELECT _enable_history_shipped('discount_requests');
-- Sales CRM (0.2): leads (people's contact details private), tags, the organisation, calls and
-- messages (bodies kept out), approvals, follow-ups.  Not the append-only records that are a
-- history themselves: the timeline, the assignment history, import results, bulk assignments,
-- vendor leads as received.
SELECT _enable_history_shipped('raw_leads', private => ARRAY['name', 'phone', 'email', 'extra_data']);
SELECT _enable_history_shipped('lead_tags');
SELECT _enable_history_shipped('raw_lead_tags');
SELECT _enable_history_shipped('lead_import_batches');
SELECT _enable_history_shipped('lead_call_logs', private => ARRAY['notes']);
SELECT _enable_history_shipped('lead_message_logs', ARRAY['body', 'subject']);
SELECT _enable_history_shipped('sales_head_profiles');
SELECT _enable_history_shipped('salesperson_targets');
SELECT _enable_history_shipped('community_manager_assignments');
SELECT _enable_history_shipped('cm_notes', ARRAY['body']);
SELECT _enable_history_shipped('lead_assignment_approvals');
SELECT _enable_history_shipped('lead_follow_ups');
-- Workflows (0.2): definitions, rules and enrollments; not the node runs (a work queue whose
-- rows are each an event of the enrollment).  An enrollment's history is its status and
-- context: the node it is at moves with every run (the runs are that record), so neither it
-- nor updated_at alone makes a history row.
SELECT _enable_history_shipped('workflows', ARRAY['steps']);
SELECT _enable_history_shipped('workflow_rules');
SELECT _enable_history_shipped('workflow_enrollments', ARRAY['current_node', 'updated_at']);
