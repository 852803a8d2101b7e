-- Workflow engine: definitions validated in C on save (a DAG with one start, known node
-- types and their parameters), enrollments that move one node at a time, node runs as a
-- work queue run once each, branches by outcome, waits as due times, bounded retries,
-- pause, resume and cancel, and rules that enroll by themselves.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS mentor CASCADE;
RESET client_min_messages;
\set SHOW_CONTEXT never

\i sql/helpers/try.psql
\i sql/helpers/tryn.psql
-- A three-node workflow: call the lead, branch on the answer, wait two days and remind.
INSERT INTO mentor.workflows (name, definition) VALUES ('Nurture', $${
  "nodes": [{"id": "start", "type": "start"},
            {"id": "call", "type": "task", "params": {"title": "Call the lead"}},
            {"id": "answered", "type": "branch", "params": {"condition": "did they pick up?"}},
            {"id": "wait", "type": "wait", "params": {"duration": "2 days"}},
            {"id": "remind", "type": "notify", "params": {"notification_type": "lead_follow_up"}},
            {"id": "won", "type": "end"}],
  "edges": [{"from": "start", "to": "call"}, {"from": "call", "to": "answered"},
            {"from": "answered", "to": "won", "when": "yes"}, {"from": "answered", "to": "wait", "when": "no"},
            {"from": "wait", "to": "remind"}]}$$) RETURNING id AS wf, start_node \gset
SELECT :'start_node' AS start_node;

-- Definitions that cannot run are refused with the first problem named.
SELECT pg_temp.try($$SELECT mentor.validate_workflow('{"nodes": [{"id": "s", "type": "start"}, {"id": "a", "type": "task", "params": {"title": "x"}},
  {"id": "b", "type": "branch", "params": {"condition": "c"}}], "edges": [{"from": "s", "to": "a"}, {"from": "a", "to": "b"}, {"from": "b", "to": "a", "when": "again"}]}')$$);
SELECT pg_temp.try($$SELECT mentor.validate_workflow('{"nodes": [{"id": "a", "type": "task", "params": {"title": "x"}}], "edges": []}')$$);
SELECT pg_temp.try($$SELECT mentor.validate_workflow('{"nodes": [{"id": "s", "type": "start"}, {"id": "s2", "type": "start"}]}')$$);
SELECT pg_temp.try($$SELECT mentor.validate_workflow('{"nodes": [{"id": "s", "type": "start"}, {"id": "x", "type": "teleport"}], "edges": [{"from": "s", "to": "x"}]}')$$);
SELECT pg_temp.try($$SELECT mentor.validate_workflow('{"nodes": [{"id": "s", "type": "start"}, {"id": "w", "type": "wait"}], "edges": [{"from": "s", "to": "w"}]}')$$);
SELECT pg_temp.try($$SELECT mentor.validate_workflow('{"nodes": [{"id": "s", "type": "start"}, {"id": "w", "type": "wait", "params": {"duration": "soon"}}], "edges": [{"from": "s", "to": "w"}]}')$$);
SELECT pg_temp.try($$SELECT mentor.validate_workflow('{"nodes": [{"id": "s", "type": "start"}, {"id": "w", "type": "wait", "params": {"duration": "-1 day"}}], "edges": [{"from": "s", "to": "w"}]}')$$);
SELECT pg_temp.try($$SELECT mentor.validate_workflow('{"nodes": [{"id": "s", "type": "start"}, {"id": "lost", "type": "end"}]}')$$);
SELECT pg_temp.try($$SELECT mentor.validate_workflow('{"nodes": [{"id": "s", "type": "start"}], "edges": [{"from": "s", "to": "nowhere"}]}')$$);
SELECT pg_temp.try($$SELECT mentor.validate_workflow('{"nodes": [{"id": "s", "type": "start"}, {"id": "a", "type": "end"}, {"id": "b", "type": "end"}], "edges": [{"from": "s", "to": "a"}, {"from": "s", "to": "b"}]}')$$);
SELECT pg_temp.try($$SELECT mentor.validate_workflow('{"nodes": [{"id": "s", "type": "start"}, {"id": "a", "type": "end"}], "edges": [{"from": "s", "to": "a", "when": "maybe"}]}')$$);
SELECT pg_temp.try($$SELECT mentor.validate_workflow('{"nodes": [{"id": 7, "type": "start"}]}')$$);
SELECT pg_temp.try($$SELECT mentor.validate_workflow('{"nodes": [{"id": "s", "type": "start"}], "edges": [{"from": "s"}]}')$$);
SELECT pg_temp.try($$SELECT mentor.validate_workflow('[]')$$);
SELECT pg_temp.try($$INSERT INTO mentor.workflows (name, definition) VALUES ('bad', '{"nodes": []}')$$);

-- Enrollment queues the node after the start; enrolling again gives the same enrollment.
SELECT id AS e1, status, current_node FROM mentor.enroll(:wf, 'lead', 1001) \gset
SELECT :'status' AS status, :'current_node' AS current_node;
SELECT id = :e1 AS same FROM mentor.enroll(:wf, 'lead', 1001);
SELECT node_id, node_type, params, status FROM mentor.workflow_node_runs WHERE enrollment_id = :e1;
-- A definition does not change under live enrollments.
SELECT pg_temp.tryn(format($q$UPDATE mentor.workflows SET definition = '{"nodes": [{"id": "s", "type": "start"}]}' WHERE id = %s$q$, :wf));
UPDATE mentor.workflows SET name = 'Nurture leads' WHERE id = :wf;

-- Workers claim and finish; the branch's outcome picks the edge.
SELECT id AS r1, node_id FROM mentor.claim_node_runs('w1', 10) \gset
SELECT :'node_id' AS claimed;
SELECT count(*) AS nothing_more FROM mentor.claim_node_runs('w2', 10);
SELECT pg_temp.tryn(format($q$SELECT mentor.finish_node_run(%s, 'w2')$q$, :r1));
SELECT status, outcome FROM mentor.finish_node_run(:r1, 'w1', 'called', '{"duration": 120}');
SELECT pg_temp.tryn(format($q$SELECT mentor.finish_node_run(%s, 'w1')$q$, :r1));
SELECT pg_temp.tryn($q$SELECT mentor.finish_node_run(NULL, 'w1')$q$);
SELECT pg_temp.tryn($q$SELECT mentor.finish_node_runs(ARRAY[0, 0], 'w1', ARRAY['a'])$q$);
SELECT id AS r2, node_id FROM mentor.claim_node_runs('w1', 10) \gset
SELECT :'node_id' AS claimed;
SELECT pg_temp.tryn(format($q$SELECT mentor.finish_node_run(%s, 'w1', 'perhaps')$q$, :r2));
SELECT status FROM mentor.finish_node_run(:r2, 'w1', 'no');
-- The wait is a run due in two days; the enrollment is waiting.
SELECT node_id, available_at > now() + interval '47 hours' AS in_two_days FROM mentor.workflow_node_runs WHERE enrollment_id = :e1 AND status = 'ready';
SELECT status, current_node FROM mentor.workflow_enrollments WHERE id = :e1;
SELECT count(*) AS not_due FROM mentor.claim_node_runs('w1', 10);
-- Pause holds it; resume queues it again (still waiting: the wait is not over).
SELECT status FROM mentor.pause_enrollment(:e1);
SELECT status FROM mentor.workflow_node_runs WHERE enrollment_id = :e1 AND node_id = 'wait';
SELECT status FROM mentor.resume_enrollment(:e1);
SELECT status FROM mentor.workflow_node_runs WHERE enrollment_id = :e1 AND node_id = 'wait';
-- Two days later (moved by hand here): the wait is claimed, the enrollment active again.
UPDATE mentor.workflow_node_runs SET available_at = now() - interval '1 second' WHERE enrollment_id = :e1 AND node_id = 'wait';
SELECT id AS r3 FROM mentor.claim_node_runs('w1', 10) \gset
SELECT status FROM mentor.workflow_enrollments WHERE id = :e1;
SELECT status FROM mentor.finish_node_run(:r3, 'w1');
SELECT id AS r4, node_id, params FROM mentor.claim_node_runs('w1', 10) \gset
SELECT :'node_id' AS claimed, :'params' AS params;
SELECT status FROM mentor.finish_node_run(:r4, 'w1', 'sent');
-- The last node had no edge: complete.  Each node ran once.
SELECT status, current_node, finished_at IS NOT NULL AS finished FROM mentor.workflow_enrollments WHERE id = :e1;
SELECT node_id, status, outcome FROM mentor.workflow_node_runs WHERE enrollment_id = :e1 ORDER BY id;
SELECT pg_temp.tryn(format('SELECT mentor.pause_enrollment(%s)', :e1));
-- Once over, the subject may be enrolled again.
SELECT id AS again, id <> :e1 AS new_enrollment FROM mentor.enroll(:wf, 'lead', 1001) \gset
SELECT :'new_enrollment' AS new_enrollment;
SELECT status FROM mentor.cancel_enrollment(:again);

-- The yes branch ends at the end node.
SELECT id AS e2 FROM mentor.enroll(:wf, 'user', 7) \gset
SELECT id AS r FROM mentor.claim_node_runs('w1', 1) \gset
SELECT status FROM mentor.finish_node_run(:r, 'w1');
SELECT id AS r FROM mentor.claim_node_runs('w1', 1) \gset
SELECT status FROM mentor.finish_node_run(:r, 'w1', 'yes');
SELECT status, current_node FROM mentor.workflow_enrollments WHERE id = :e2;

-- Failures: tried again after the backoff, then the run and its enrollment fail.
UPDATE mentor.settings SET value = '2' WHERE key = 'workflow.max_attempts' AND shipped;
SELECT id AS e3 FROM mentor.enroll(:wf, 'lead', 1003) \gset
SELECT id AS r FROM mentor.claim_node_runs('w1', 1) \gset
SELECT status, attempts, available_at > now() AS backing_off FROM mentor.fail_node_run(:r, 'w1', 'dialler down');
UPDATE mentor.workflow_node_runs SET available_at = now() WHERE id = :r;
SELECT attempts FROM mentor.claim_node_runs('w1', 1);
SELECT status, attempts FROM mentor.fail_node_run(:r, 'w1', 'dialler still down', interval '0');
SELECT status, error FROM mentor.workflow_enrollments WHERE id = :e3;
SELECT pg_temp.try(format($q$SELECT mentor.fail_node_run(%s, 'w1', 'x', interval '-1 minute')$q$, :r));
-- A lease that runs out on the last try fails it too.
SELECT id AS e4 FROM mentor.enroll(:wf, 'lead', 1004) \gset
SELECT id AS r FROM mentor.claim_node_runs('w1', 1, interval '1 minute') \gset
UPDATE mentor.workflow_node_runs SET lease_until = now() - interval '1 second', attempts = 2 WHERE id = :r;
SELECT count(*) AS claimed FROM mentor.claim_node_runs('w2', 10);   -- the expiry fails it; nothing else is due
SELECT r.status, e.status AS enrollment FROM mentor.workflow_node_runs r JOIN mentor.workflow_enrollments e ON e.id = r.enrollment_id WHERE r.id = :r;
SELECT pg_temp.tryn(format($q$SELECT mentor.finish_node_run(%s, 'w1')$q$, :r));
-- Paused while its run was being worked: the run's last failure still fails the enrollment.
SELECT id AS e8 FROM mentor.enroll(:wf, 'lead', 1008) \gset
SELECT id AS r FROM mentor.claim_node_runs('w1', 1) \gset
UPDATE mentor.workflow_node_runs SET attempts = 2 WHERE id = :r;
SELECT status FROM mentor.pause_enrollment(:e8);
SELECT status FROM mentor.fail_node_run(:r, 'w1', 'no line');
SELECT status, error FROM mentor.workflow_enrollments WHERE id = :e8;
UPDATE mentor.settings SET value = '3' WHERE key = 'workflow.max_attempts' AND shipped;

-- Cancel: the queued run is cancelled; a run being worked finishes and nothing follows.
SELECT id AS e5 FROM mentor.enroll(:wf, 'lead', 1005) \gset
SELECT id AS r FROM mentor.claim_node_runs('w1', 1) \gset
SELECT status FROM mentor.cancel_enrollment(:e5, 'lead unsubscribed');
SELECT status FROM mentor.finish_node_run(:r, 'w1');
SELECT count(*) AS runs FROM mentor.workflow_node_runs WHERE enrollment_id = :e5;
SELECT id AS e6 FROM mentor.enroll(:wf, 'lead', 1006) \gset
SELECT status FROM mentor.cancel_enrollment(:e6);
SELECT status FROM mentor.workflow_node_runs WHERE enrollment_id = :e6;
SELECT pg_temp.tryn(format('SELECT mentor.cancel_enrollment(%s)', :e6));
SELECT pg_temp.tryn('SELECT mentor.cancel_enrollment(0)');

-- The engine's columns and runs are its own; runs are once per enrollment and node.
SELECT id AS e7 FROM mentor.enroll(:wf, 'lead', 1007) \gset
SELECT pg_temp.tryn(format($q$SET LOCAL ROLE mentor_app; UPDATE mentor.workflow_enrollments SET status = 'paused' WHERE id = %s$q$, :e7));
SELECT pg_temp.tryn(format($q$SET LOCAL ROLE mentor_app; UPDATE mentor.workflow_node_runs SET status = 'running', lease_owner = 'me', lease_until = now() + interval '1 hour' WHERE enrollment_id = %s$q$, :e7));
SELECT pg_temp.tryn(format($q$SET LOCAL ROLE mentor_app; UPDATE mentor.workflow_enrollments SET status = 'completed' WHERE id = %s$q$, :e6));
SELECT status FROM mentor.cancel_enrollment(:e7);
SELECT pg_temp.tryn(format($q$INSERT INTO mentor.workflow_node_runs (enrollment_id, node_id, node_type) VALUES (%s, 'call', 'task')$q$, :e1));
UPDATE mentor.workflows SET active = false WHERE id = :wf;
SELECT pg_temp.tryn(format($q$SELECT mentor.enroll(%s, 'lead', 1)$q$, :wf));
SELECT pg_temp.tryn($q$SELECT mentor.enroll(0, 'lead', 1)$q$);
UPDATE mentor.workflows SET active = true WHERE id = :wf;

-- Rules: a new lead, a lead reaching a status, a job post going active.
INSERT INTO mentor.workflows (name, definition) VALUES ('Welcome', '{"nodes": [{"id": "s", "type": "start"}, {"id": "hello", "type": "notify", "params": {"notification_type": "welcome"}}], "edges": [{"from": "s", "to": "hello"}]}')
RETURNING id AS welcome \gset
INSERT INTO mentor.workflow_rules (workflow_id, event) VALUES (:welcome, 'lead_created');
INSERT INTO mentor.workflow_rules (workflow_id, event, status_value) VALUES (:wf, 'lead_status', 'archived');
INSERT INTO mentor.workflow_rules (workflow_id, event, status_value) VALUES (:welcome, 'job_post_status', 'active');
SELECT pg_temp.try(format($q$INSERT INTO mentor.workflow_rules (workflow_id, event) VALUES (%s, 'lead_status')$q$, :wf));
INSERT INTO mentor.raw_leads (session_year, phone) VALUES ('2026', '+919000000001') RETURNING id AS lead \gset
UPDATE mentor.raw_leads SET status = 'archived' WHERE id = :lead;
SELECT w.name, e.status, e.context FROM mentor.workflow_enrollments e JOIN mentor.workflows w ON w.id = e.workflow_id
 WHERE e.subject_type = 'lead' AND e.subject_id = :lead ORDER BY e.id;
INSERT INTO mentor.job_posts (title) VALUES ('Workflow job') RETURNING id AS job \gset
UPDATE mentor.job_posts SET status = 'active' WHERE id = :job;
SELECT count(*) AS job_enrollments FROM mentor.workflow_enrollments WHERE subject_type = 'job_post' AND subject_id = :job;

-- A batch report is all or nothing: one run it may not report, and none of the batch is kept.
SELECT count(*) AS enrolled FROM (SELECT mentor.enroll(:wf, 'lead', g) FROM generate_series(2001, 2002) g) x;
SELECT array_agg(id ORDER BY id) AS batch FROM mentor.claim_node_runs('w9', 10) \gset
SELECT cardinality(:'batch'::bigint[]) >= 2 AS claimed_both;
SELECT pg_temp.tryn(format($q$SELECT mentor.finish_node_runs(%L::bigint[] || 0::bigint, 'w9')$q$, :'batch'));
SELECT count(*) FILTER (WHERE status = 'running') = cardinality(:'batch'::bigint[]) AS all_still_running
  FROM mentor.workflow_node_runs WHERE id = ANY (:'batch'::bigint[]);
SELECT count(*) = cardinality(:'batch'::bigint[]) AS all_done, min(outcome) AS outcome
  FROM mentor.finish_node_runs(:'batch'::bigint[], 'w9', array_fill('x'::text, ARRAY[cardinality(:'batch'::bigint[])]));
SELECT e.subject_id, e.current_node FROM mentor.workflow_enrollments e WHERE e.subject_type = 'lead' AND e.subject_id IN (2001, 2002) ORDER BY 1;
SELECT pg_temp.try($q$SELECT mentor.finish_node_runs(ARRAY[1, 2]::bigint[], 'w9', ARRAY['x'])$q$);
