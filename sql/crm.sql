-- Sales CRM (journeys 5 and 7): leads kept once per phone and session year, imports with a
-- result per row, assignment with history and the head's approval, an append-only timeline,
-- calls and messages, follow-ups as a work queue, and vendor intake by API key, once per
-- idempotency key.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS mentor CASCADE;
RESET client_min_messages;
\set SHOW_CONTEXT never

\i sql/helpers/try.psql
\i sql/helpers/tryn.psql
INSERT INTO mentor.users (email, username, full_name, role) VALUES
    ('crm.head@example.com', 'crm_head', 'Hema Head', 'sales'),
    ('crm.sam@example.com', 'crm_sam', 'Sam Sales', 'sales'),
    ('crm.sia@example.com', 'crm_sia', 'Sia Sales', 'sales'),
    ('crm.mentee@example.com', 'crm_mentee', 'Not Sales', 'mentee'),
    ('crm.admin@example.com', 'crm_admin', 'Ada Admin', 'admin'),
    ('vik@example.com', 'vik', 'Vik Vendor-Lead', 'user');
SELECT id AS head FROM mentor.users WHERE username = 'crm_head' \gset
SELECT id AS sam FROM mentor.users WHERE username = 'crm_sam' \gset
SELECT id AS sia FROM mentor.users WHERE username = 'crm_sia' \gset
SELECT id AS mentee FROM mentor.users WHERE username = 'crm_mentee' \gset
SELECT id AS admin FROM mentor.users WHERE username = 'crm_admin' \gset

-- Phone numbers as people type them, stored as E.164 (default country 91).
SELECT mentor.normalize_phone('98765 43210') AS national, mentor.normalize_phone('+1 (415) 555-0100') AS plus,
       mentor.normalize_phone('0044 20 7946 0958') AS double_zero, mentor.normalize_phone('919876543210') AS with_code,
       mentor.normalize_phone('098765-43210') AS trunk_zero, mentor.normalize_phone('4155550100', '1') AS other_country;
SELECT pg_temp.try($$SELECT mentor.normalize_phone('call me')$$);
SELECT pg_temp.try($$SELECT mentor.normalize_phone('+12')$$);
-- The default country is a setting: a database's own value is followed at once, and NULL means none.
INSERT INTO mentor.settings (key, value) VALUES ('crm.default_country_code', '"1"');
SELECT mentor.normalize_phone('415 555 0100') AS us_default;
UPDATE mentor.settings SET value = 'null' WHERE key = 'crm.default_country_code' AND NOT shipped;
SELECT pg_temp.try($$SELECT mentor.normalize_phone('415 555 0100')$$);
DELETE FROM mentor.settings WHERE key = 'crm.default_country_code' AND NOT shipped;

-- One lead per phone and session year; the phone is normalised before the check.
INSERT INTO mentor.raw_leads (session_year, name, phone, email, source, owning_sales_head_id)
VALUES ('2026-27', 'Priya', '98765 43210', 'priya@example.com', 'webinar', :head) RETURNING id AS priya, phone \gset
SELECT :'phone' AS stored_phone;
SELECT pg_temp.try($$INSERT INTO mentor.raw_leads (session_year, phone) VALUES ('2026-27', '+91 98765-43210')$$);
SELECT pg_temp.try($$INSERT INTO mentor.raw_leads (session_year, phone) VALUES ('2026-27', 'none')$$);
SELECT pg_temp.try($$INSERT INTO mentor.raw_leads (session_year, phone) VALUES ('next year', '+919876500000')$$);
INSERT INTO mentor.raw_leads (session_year, phone) VALUES ('2027-28', '9876543210') RETURNING id AS priya_next \gset
-- Assignment is assign_lead's: the column is not written by SQL.
SELECT pg_temp.tryn(format('SET LOCAL ROLE mentor_app; UPDATE mentor.raw_leads SET assigned_to = %s WHERE id = %s', :sam, :priya));

-- The timeline wrote itself; it is append-only.
SELECT kind, detail FROM mentor.lead_activity WHERE lead_id = :priya ORDER BY id;
SELECT pg_temp.try(format('UPDATE mentor.lead_activity SET kind = %L WHERE lead_id = %s', 'edited', :priya));
SELECT pg_temp.try(format('DELETE FROM mentor.lead_activity WHERE lead_id = %s', :priya));
SELECT pg_temp.try('TRUNCATE mentor.lead_activity');

-- Assignment: only to sales staff; with history and a timeline entry.
SELECT pg_temp.tryn(format('SELECT mentor.assign_lead(%s, %s)', :priya, :mentee));
SELECT pg_temp.tryn(format('SELECT mentor.assign_lead(%s, %s)', 0, :sam));
-- The head requires approval: anyone else's assignment becomes a request.
INSERT INTO mentor.sales_head_profiles (user_id, team_name, requires_approval) VALUES (:head, 'North', true);
BEGIN;
SELECT mentor.set_actor(:sia) IS NOT NULL AS acting;
SELECT outcome, approval_id IS NOT NULL AS has_request FROM mentor.assign_lead(:priya, :sam);
-- A second request replaces the first one's assignee: one pending request per lead.
SELECT outcome FROM mentor.assign_lead(:priya, :sia);
SELECT count(*) AS pending, min(u.username) AS to_whom FROM mentor.lead_assignment_approvals a JOIN mentor.users u ON u.id = a.to_user
 WHERE a.lead_id = :priya AND a.status = 'pending';
SELECT id AS approval FROM mentor.lead_assignment_approvals WHERE lead_id = :priya AND status = 'pending' \gset
-- Only the head (or staff) decides.
SELECT pg_temp.tryn(format('SELECT mentor.decide_lead_assignment(%s, true)', :approval));
COMMIT;
BEGIN;
SELECT mentor.set_actor(:head) IS NOT NULL AS acting;
SELECT status, decided_by = :head AS by_head FROM mentor.decide_lead_assignment(:approval, true, 'ok for North');
SELECT pg_temp.tryn(format('SELECT mentor.decide_lead_assignment(%s, false)', :approval));
-- The head assigns directly.
SELECT outcome FROM mentor.assign_lead(:priya, :sam);
SELECT outcome FROM mentor.assign_lead(:priya, :sam);
COMMIT;
SELECT u.username AS assignee, l.assigned_at IS NOT NULL AS stamped FROM mentor.raw_leads l JOIN mentor.users u ON u.id = l.assigned_to WHERE l.id = :priya;
SELECT f.username AS from_user, t.username AS to_user, h.approval_id IS NOT NULL AS approved
  FROM mentor.lead_assignment_history h LEFT JOIN mentor.users f ON f.id = h.from_user JOIN mentor.users t ON t.id = h.to_user
 WHERE h.lead_id = :priya ORDER BY h.id;
SELECT kind FROM mentor.lead_activity WHERE lead_id = :priya ORDER BY id;

-- Calls and messages land on the timeline; provider ids are unique per source.
INSERT INTO mentor.lead_call_logs (lead_id, user_id, outcome, source, provider_ref, duration_seconds)
VALUES (:priya, :sam, 'connected', 'exotel', 'EXO-1', 240);
SELECT pg_temp.try(format($q$INSERT INTO mentor.lead_call_logs (lead_id, outcome, source, provider_ref) VALUES (%s, 'busy', 'exotel', 'EXO-1')$q$, :priya));
SELECT pg_temp.try(format($q$INSERT INTO mentor.lead_call_logs (lead_id, outcome) VALUES (%s, 'maybe')$q$, :priya));
INSERT INTO mentor.lead_message_logs (lead_id, user_id, channel, status, body, provider, provider_ref)
VALUES (:priya, :sam, 'whatsapp', 'delivered', 'Hi Priya, here is the brochure', 'gupshup', 'wa-1'),
       (:priya, :sam, 'email', 'opened', 'Brochure attached', 'ses', 'ses-1');
SELECT id > 0 AS has_id, status FROM mentor.lead_whatsapp_logs WHERE lead_id = :priya;
SELECT status FROM mentor.lead_email_logs WHERE lead_id = :priya;
SELECT count(*) AS sms FROM mentor.lead_sms_logs WHERE lead_id = :priya;
SELECT kind, detail ->> 'outcome' AS outcome FROM mentor.lead_activity WHERE lead_id = :priya AND kind IN ('call', 'whatsapp', 'email') ORDER BY id;

-- Follow-ups: scheduled for the assignee, claimed when due, done once by the holder.
SELECT (mentor.schedule_follow_up(:priya, now() - interval '1 hour', 'Send fee details')).assigned_to = :sam AS for_assignee;
SELECT id AS later FROM mentor.schedule_follow_up(:priya, now() + interval '1 day', 'Call again') \gset
SELECT note, overdue_by > interval '59 minutes' AS late FROM mentor.overdue_follow_ups WHERE assigned_to = :sam;
SELECT pg_temp.try(format('SELECT mentor.schedule_follow_up(%s, NULL)', :priya));
SELECT pg_temp.tryn(format('SELECT mentor.schedule_follow_up(%s, now(), NULL, %s)', :priya, :mentee));
SELECT pg_temp.try(format($q$INSERT INTO mentor.lead_follow_ups (lead_id, available_at, status) VALUES (%s, now(), 'done')$q$, :priya));
-- Scoped to one salesperson: Sia has none; Sam gets the due one, not tomorrow's.
SELECT count(*) AS for_sia FROM mentor.claim_follow_ups('sia-phone', 10, interval '10 minutes', :sia);
SELECT id AS fu, note FROM mentor.claim_follow_ups('sam-phone', 10, interval '10 minutes', :sam) \gset
SELECT :'note' AS claimed;
SELECT pg_temp.tryn(format($q$SELECT mentor.complete_follow_up(%s, 'someone-else', 'sent')$q$, :fu));
SELECT status, outcome FROM mentor.complete_follow_up(:fu, 'sam-phone', 'Sent the fee sheet');
SELECT pg_temp.tryn(format($q$SELECT mentor.complete_follow_up(%s, 'sam-phone', 'again')$q$, :fu));
SELECT pg_temp.tryn(format('SELECT mentor.cancel_follow_up(%s)', :fu));
SELECT status FROM mentor.cancel_follow_up(:later);
SELECT count(*) AS overdue FROM mentor.overdue_follow_ups WHERE assigned_to = :sam;
-- An archived lead is not worked on; deleted is final.
UPDATE mentor.raw_leads SET status = 'archived' WHERE id = :priya_next;
SELECT pg_temp.tryn(format('SELECT mentor.schedule_follow_up(%s, now())', :priya_next));
UPDATE mentor.raw_leads SET status = 'deleted' WHERE id = :priya_next;
SELECT pg_temp.tryn(format($q$UPDATE mentor.raw_leads SET status = 'active' WHERE id = %s$q$, :priya_next));

-- Imports: each row inserted, merged (same phone, else same email, in its session year) or
-- rejected with its reason; a bad row does not stop the rest.
INSERT INTO mentor.courses (name, alias, start_date, end_date) VALUES ('CRM course', 'crm-course', '2027-01-01', '2027-06-30') RETURNING id AS course \gset
INSERT INTO mentor.batches (code, name, course_id, starts_on, ends_on) VALUES ('CRM-2027', 'CRM batch', :course, '2027-01-10', '2027-06-30') RETURNING id AS batch \gset
SELECT total_rows, inserted, merged, rejected FROM mentor.import_leads('November fair', $$[
    {"phone": "98111 11111", "name": "Arjun", "email": "arjun@example.com", "session_year": "2026-27", "city": "Pune"},
    {"phone": "+91 98111-11111", "name": "Arjun again", "session_year": "2026-27", "course": "MAS 101"},
    {"phone": "98222 22222", "email": "PRIYA@example.com", "session_year": "2026-27", "note": "second number"},
    {"phone": "not a phone", "name": "Typo"},
    {"name": "No phone"},
    {"phone": "98333 33333", "email": "nope", "session_year": "2026-27"},
    {"phone": "98444 44444", "interest_level": "HOT", "session_year": "2026-27"},
    {"phone": "98555 55555", "interest_level": "lukewarm", "session_year": "2026-27"}
  ]$$, 'import', :batch);
SELECT r.row_number, r.outcome, r.reason, l.name
  FROM mentor.lead_import_rows r LEFT JOIN mentor.raw_leads l ON l.id = r.lead_id
 WHERE r.batch_id = (SELECT max(id) FROM mentor.lead_import_batches) ORDER BY r.row_number;
-- Merging fills what was missing and adds keys; it never overwrites.
SELECT name, extra_data FROM mentor.raw_leads WHERE phone = '+919811111111';
SELECT extra_data FROM mentor.raw_leads WHERE id = :priya;
SELECT interest_level FROM mentor.raw_leads WHERE phone = '+919844444444';
SELECT pg_temp.try($$SELECT mentor.import_leads('x', '{"phone": "1"}')$$);
SELECT pg_temp.try($$SELECT mentor.import_leads('x', '[]', 'carrier pigeon')$$);
SELECT pg_temp.tryn($$SET LOCAL ROLE mentor_app; UPDATE mentor.lead_import_batches SET inserted = 1000$$);

-- Bulk assignment of a batch's unassigned leads, in turn, through assign_lead.
SELECT u.username, b.leads, b.pending FROM mentor.assign_batch_leads(:batch, ARRAY[:sam, :sia]::bigint[]) b
  JOIN mentor.users u ON u.id = b.user_id ORDER BY u.username;
SELECT count(*) FILTER (WHERE assigned_to IS NULL) AS unassigned, count(DISTINCT assigned_to) AS people
  FROM mentor.raw_leads WHERE batch_id = :batch;
SELECT pg_temp.tryn(format('SELECT mentor.assign_batch_leads(%s, ARRAY[%s]::bigint[])', :batch, :mentee));
SELECT pg_temp.try(format('SELECT mentor.assign_batch_leads(%s, ARRAY[]::bigint[])', :batch));

-- Vendor intake (journey 7): once per key and idempotency key, promoted once.
SELECT api_key AS vkey FROM mentor.create_api_key('Lead vendor', 'leadsrus') \gset
SELECT outcome, lead_id IS NOT NULL AS promoted FROM mentor.ingest_vendor_lead(:'vkey', '{"phone": "98666 66666", "name": "Vik", "utm": "fb"}', 'v-1');
SELECT outcome FROM mentor.ingest_vendor_lead(:'vkey', '{"phone": "98666 66666", "name": "Vik", "utm": "fb"}', 'v-1');
SELECT pg_temp.try(format($q$SELECT mentor.ingest_vendor_lead(%L, '{"phone": "98666 66666", "name": "Other"}', 'v-1')$q$, :'vkey'));
-- The same person from another vendor request: merged into the lead with that phone.
SELECT outcome FROM mentor.ingest_vendor_lead(:'vkey', '{"phone": "+919866666666", "email": "vik@example.com"}', 'v-2');
SELECT l.source, l.email, l.extra_data ->> 'utm' AS utm, v.status
  FROM mentor.raw_leads l JOIN mentor.vendor_leads v ON v.raw_lead_id = l.id WHERE l.phone = '+919866666666' ORDER BY v.id;
SELECT pg_temp.try(format($q$SELECT mentor.ingest_vendor_lead(%L, '{"phone": "12"}', 'v-3')$q$, :'vkey'));
SELECT pg_temp.try(format($q$SELECT mentor.ingest_vendor_lead(%L, '{"phone": "98777 77777"}', '')$q$, :'vkey'));
SELECT pg_temp.try(format($q$SELECT mentor.ingest_vendor_lead(%L, '{"phone": "98777 77777", "email": "nope"}', 'v-5')$q$, :'vkey'));
SELECT pg_temp.try($q$SELECT mentor.ingest_vendor_lead('mk_000000000000.' || repeat('A', 43), '{"phone": "98777 77777"}', 'v-4')$q$);
SELECT pg_temp.try($q$SELECT mentor.ingest_vendor_lead('garbage', '{"phone": "98777 77777"}', 'v-4')$q$);
UPDATE mentor.api_keys SET status = 'disabled' WHERE vendor = 'leadsrus';
SELECT regexp_replace(pg_temp.try(format($q$SELECT mentor.ingest_vendor_lead(%L, '{"phone": "98777 77777"}', 'v-4')$q$, :'vkey')), 'mk_[a-z0-9]+', 'mk_...');
UPDATE mentor.api_keys SET status = 'revoked' WHERE vendor = 'leadsrus';
SELECT regexp_replace(pg_temp.try(format($q$SELECT mentor.ingest_vendor_lead(%L, '{"phone": "98777 77777"}', 'v-4')$q$, :'vkey')), 'mk_[a-z0-9]+', 'mk_...');
SELECT count(*) AS stored FROM mentor.vendor_leads;
-- Usage is counted per key and day, for the accepted requests.
SELECT calls FROM mentor.api_key_usage_daily WHERE vendor = 'leadsrus';

-- Campaign leads are a view over the one table.
INSERT INTO mentor.raw_leads (session_year, phone, source, extra_data) VALUES ('2026-27', '98888 88888', 'campaign', '{"campaign": "diwali"}');
SELECT phone, campaign FROM mentor.campaign_leads;
-- The legacy Lead shape: each lead with the user account of its email.
SELECT l.name, u.username AS user_account, a.username AS assignee, l.status
  FROM mentor.leads l LEFT JOIN mentor.users u ON u.id = l.user_id LEFT JOIN mentor.users a ON a.id = l.assigned_to
 WHERE l.email IS NOT NULL ORDER BY l.id;

-- The organisation: targets, community managers, notes.
INSERT INTO mentor.salesperson_targets (user_id, period_start, period_end, target_leads, target_conversions) VALUES (:sam, '2026-12-01', '2026-12-31', 200, 20);
SELECT pg_temp.try(format($q$INSERT INTO mentor.salesperson_targets (user_id, period_start, period_end) VALUES (%s, '2026-12-01', '2026-11-01')$q$, :sia));
INSERT INTO mentor.community_manager_assignments (manager_id, batch_id, assigned_by) VALUES (:sia, :batch, :admin);
SELECT pg_temp.try(format('INSERT INTO mentor.community_manager_assignments (manager_id, batch_id) VALUES (%s, %s)', :sia, :batch));
INSERT INTO mentor.cm_notes (author_id, student_id, batch_id, body) VALUES (:sia, :mentee, :batch, 'Missed two classes; called, back next week');
SELECT pg_temp.try(format($q$INSERT INTO mentor.cm_notes (student_id, body) VALUES (%s, '  ')$q$, :mentee));
