\echo
\echo '--- 69. Sales CRM (journey 5): leads arrive from a webinar import (a duplicate merges, a bad phone is rejected with its reason), Sam asks for one of Neha''s leads and Neha approves, Sam logs a call and schedules a follow-up, then claims and completes it'
INSERT INTO mentor.users (email, username, full_name, role, time_zone)
VALUES ('neha.head@mentor.example', 'neha', 'Neha Kapoor', 'sales', 'Asia/Kolkata') RETURNING id AS neha \gset
SELECT id AS sam FROM mentor.users WHERE username = 'sam' \gset
INSERT INTO mentor.sales_head_profiles (user_id, team_name, region, requires_approval) VALUES (:neha, 'West', 'Mumbai', true);
SELECT id AS mas101 FROM mentor.batches WHERE code = 'MAS101-2027-01' \gset
BEGIN;
SET LOCAL ROLE mentor_app;
SELECT mentor.set_actor(:sam) IS NOT NULL AS as_sam;
SELECT name, total_rows, inserted, merged, rejected FROM mentor.import_leads('MAS 101 webinar, December', $$[
    {"phone": "98200 12345", "name": "Ritu Desai", "email": "ritu@example.in", "session_year": "2026-27", "webinar": "attended"},
    {"phone": "+91 98200-12345", "name": "Ritu D.", "session_year": "2026-27", "city": "Pune"},
    {"phone": "022 2496 1234", "name": "Office line", "session_year": "2026-27"},
    {"phone": "call me maybe", "name": "Typo Tom", "session_year": "2026-27"}
  ]$$, 'webinar', :mas101);
SELECT r.row_number, r.outcome, coalesce(r.reason, '') AS reason, l.phone
  FROM mentor.lead_import_rows r LEFT JOIN mentor.raw_leads l ON l.id = r.lead_id
 WHERE r.batch_id = (SELECT max(id) FROM mentor.lead_import_batches) ORDER BY r.row_number;
SELECT id AS ritu FROM mentor.raw_leads WHERE phone = '+919820012345' \gset
COMMIT;
-- Neha owns Ritu's lead; her profile asks for approval.
UPDATE mentor.raw_leads SET owning_sales_head_id = :neha WHERE id = :ritu;
BEGIN;
SET LOCAL ROLE mentor_app;
SELECT mentor.set_actor(:sam) IS NOT NULL AS as_sam;
SELECT outcome, approval_id IS NOT NULL AS asked FROM mentor.assign_lead(:ritu, :sam);
SELECT demo.try(format('SELECT mentor.decide_lead_assignment(id, true) FROM mentor.lead_assignment_approvals WHERE lead_id = %s', :ritu)) AS sam_decides;
SELECT demo.try(format('UPDATE mentor.raw_leads SET assigned_to = %s WHERE id = %s', :sam, :ritu)) AS sam_assigns_by_sql;
SELECT mentor.set_actor(:neha) IS NOT NULL AS as_neha;
SELECT status FROM mentor.decide_lead_assignment((SELECT id FROM mentor.lead_assignment_approvals WHERE lead_id = :ritu), true, 'Sam knows Pune');
SELECT mentor.set_actor(:sam) IS NOT NULL AS as_sam;
INSERT INTO mentor.lead_call_logs (lead_id, user_id, outcome, source, provider_ref, duration_seconds, notes)
VALUES (:ritu, :sam, 'callback_requested', 'exotel', 'exo-ritu-1', 95, 'Wants the fee plan; call back tomorrow');
SELECT id AS fu FROM mentor.schedule_follow_up(:ritu, now() - interval '5 minutes', 'Send the fee plan and call') \gset
SELECT note, round(extract(epoch FROM overdue_by) / 60) AS minutes_late FROM mentor.overdue_follow_ups WHERE assigned_to = :sam;
SELECT id = :fu AS claimed_it FROM mentor.claim_follow_ups('sam-phone', 5, interval '10 minutes', :sam);
SELECT status, outcome FROM mentor.complete_follow_up(:fu, 'sam-phone', 'Fee plan sent; applying next week');
SELECT demo.try(format($q$SELECT mentor.complete_follow_up(%s, 'sam-phone', 'again')$q$, :fu)) AS completed_twice;
COMMIT;
SELECT kind, detail - 'approval_id' - 'follow_up_id' - 'call_id' AS detail FROM mentor.lead_activity WHERE lead_id = :ritu ORDER BY id;

\echo
\echo '--- 70. Vendor intake (journey 7): LeadsRUs posts a lead with its API key (stored once per idempotency key, promoted into the CRM once), retries it, posts the same person again under another key (merged), then its key is revoked (the API answers 401)'
SELECT api_key AS vkey FROM mentor.create_api_key('LeadsRUs production', 'leadsrus') \gset
BEGIN;
SET LOCAL ROLE mentor_app;
SELECT outcome, lead_id IS NOT NULL AS in_crm FROM mentor.ingest_vendor_lead(:'vkey', '{"phone": "98330 55555", "name": "Farhan Ali", "utm_source": "leadsrus-fb"}', 'lru-7781');
SELECT outcome FROM mentor.ingest_vendor_lead(:'vkey', '{"phone": "98330 55555", "name": "Farhan Ali", "utm_source": "leadsrus-fb"}', 'lru-7781');
SELECT demo.try(format($q$SELECT mentor.ingest_vendor_lead(%L, '{"phone": "98330 66666"}', 'lru-7781')$q$, :'vkey')) AS key_reused;
SELECT outcome FROM mentor.ingest_vendor_lead(:'vkey', '{"phone": "+91 98330 55555", "email": "farhan@example.in"}', 'lru-7790');
SELECT demo.try(format($q$SELECT mentor.ingest_vendor_lead(%L, '{"phone": "12"}', 'lru-7791')$q$, :'vkey')) AS bad_phone;
COMMIT;
SELECT l.name, l.phone, l.email, l.source, l.extra_data FROM mentor.raw_leads l WHERE l.phone = '+919833055555';
SELECT calls AS accepted_calls_today FROM mentor.api_key_usage_daily WHERE vendor = 'leadsrus';
UPDATE mentor.api_keys SET status = 'revoked' WHERE vendor = 'leadsrus';
SELECT regexp_replace(demo.try(format($q$SELECT mentor.ingest_vendor_lead(%L, '{"phone": "98330 77777"}', 'lru-7800')$q$, :'vkey')), 'mk_[a-z0-9]+', 'mk_…') AS revoked_key;

\echo
\echo '--- 71. A workflow: every new lead is called; if they pick up the enrollment ends, if not it waits two days and sends a reminder. The definition is checked on save (a cycle is refused, named); a worker claims and finishes the runs, each once'
BEGIN;
SET LOCAL ROLE mentor_app;
SELECT demo.try($q$INSERT INTO mentor.workflows (name, definition) VALUES ('Loop', '{"nodes": [{"id": "start", "type": "start"}, {"id": "call", "type": "task", "params": {"title": "Call"}}, {"id": "again", "type": "branch", "params": {"condition": "retry?"}}], "edges": [{"from": "start", "to": "call"}, {"from": "call", "to": "again"}, {"from": "again", "to": "call", "when": "yes"}]}')$q$) AS a_cycle;
INSERT INTO mentor.workflows (name, definition) VALUES ('New lead nurture', $${
  "nodes": [{"id": "start", "type": "start"},
            {"id": "call", "type": "task", "params": {"title": "Call the new lead"}},
            {"id": "picked_up", "type": "branch", "params": {"condition": "did they answer?"}},
            {"id": "wait", "type": "wait", "params": {"duration": "2 days"}},
            {"id": "remind", "type": "notify", "params": {"notification_type": "lead_follow_up"}},
            {"id": "done", "type": "end"}],
  "edges": [{"from": "start", "to": "call"}, {"from": "call", "to": "picked_up"},
            {"from": "picked_up", "to": "done", "when": "yes"}, {"from": "picked_up", "to": "wait", "when": "no"},
            {"from": "wait", "to": "remind"}]}$$) RETURNING id AS nurture, start_node \gset
INSERT INTO mentor.workflow_rules (workflow_id, event) VALUES (:nurture, 'lead_created');
COMMIT;
INSERT INTO mentor.raw_leads (session_year, name, phone, source) VALUES ('2026-27', 'Dev Patel', '98110 22334', 'manual') RETURNING id AS dev \gset
SELECT id AS dev_enrollment, status, current_node FROM mentor.workflow_enrollments WHERE subject_type = 'lead' AND subject_id = :dev \gset
SELECT :'status' AS enrolled_by_the_rule, :'current_node' AS at;
BEGIN;
SET LOCAL ROLE mentor_app;
SELECT id AS run, node_id, params ->> 'title' AS task FROM mentor.claim_node_runs('dialler-1', 10) \gset
SELECT :'node_id' AS claimed, :'task' AS task;
SELECT status FROM mentor.finish_node_run(:run, 'dialler-1', 'no answer');
SELECT id AS run FROM mentor.claim_node_runs('dialler-1', 10) \gset
SELECT demo.try(format($q$SELECT mentor.finish_node_run(%s, 'dialler-1', 'maybe')$q$, :run)) AS unknown_outcome;
SELECT status FROM mentor.finish_node_run(:run, 'dialler-1', 'no');
SELECT status, current_node FROM mentor.workflow_enrollments WHERE id = :dev_enrollment;
SELECT count(*) AS due_now FROM mentor.claim_node_runs('dialler-1', 10);
COMMIT;
-- Two days later (moved by hand here).
UPDATE mentor.workflow_node_runs SET available_at = now() WHERE enrollment_id = :dev_enrollment AND node_id = 'wait';
BEGIN;
SET LOCAL ROLE mentor_app;
SELECT count(*) AS finished FROM mentor.finish_node_runs(ARRAY(SELECT id FROM mentor.claim_node_runs('dialler-1', 10)), 'dialler-1');
SELECT id AS run, params ->> 'notification_type' AS notify FROM mentor.claim_node_runs('dialler-1', 10) \gset
SELECT status FROM mentor.finish_node_run(:run, 'dialler-1', 'sent');
COMMIT;
SELECT status, current_node, finished_at IS NOT NULL AS finished FROM mentor.workflow_enrollments WHERE id = :dev_enrollment;
SELECT node_id, outcome, status FROM mentor.workflow_node_runs WHERE enrollment_id = :dev_enrollment ORDER BY id;
