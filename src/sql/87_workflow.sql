--------------------------------------------------------------------------------
-- Module workflow: seed 001's automation engine (Workflow, WorkflowEnrollment,
-- WorkflowNodeRun, WorkflowRule).  A workflow is a definition of nodes and
-- edges, validated in C when saved (src/core/workflow.c: one start node,
-- known node types with their parameters, no cycle, every node reachable).
-- A lead, user or job post is enrolled; each node it reaches becomes one node
-- run in a work queue (module queue) that workers claim and finish; finishing
-- one moves the enrollment along its edge (a branch node's by the outcome
-- reported).  Each node of an enrollment runs once: the run is unique per
-- enrollment and node, and a DAG never comes back to a node.
--------------------------------------------------------------------------------

CREATE TYPE workflow_enrollment_status AS ENUM ('active', 'waiting', 'paused', 'completed', 'failed', 'cancelled');
COMMENT ON TYPE workflow_enrollment_status IS 'Workflow enrollment status (lifecycle "workflow_enrollment", seed 001)';
CREATE TYPE workflow_node_run_status AS ENUM ('ready', 'running', 'done', 'failed', 'held', 'cancelled');
COMMENT ON TYPE workflow_node_run_status IS 'Node run status (lifecycle "workflow_node_run")';
-- Ours: ready -> running (a worker's lease) -> done, or back to ready (a retry, a lease
-- that ran out), or failed after workflow.max_attempts; held while its enrollment is paused.
SELECT _ship_lifecycle('workflow_node_run', ARRAY[
    ['[*]', 'ready'],
    ['[*]', 'held'],
    ['ready', 'running'],
    ['running', 'done'],
    ['running', 'ready'],
    ['running', 'failed'],
    ['ready', 'held'],
    ['held', 'ready'],
    ['ready', 'cancelled'],
    ['held', 'cancelled'],
    ['done', '[*]'],
    ['failed', '[*]'],
    ['cancelled', '[*]']], true);

INSERT INTO settings (key, shipped, value, description) VALUES
    ('workflow.max_attempts', true, '3', 'Tries of a node run before it (and its enrollment) fails'),
    ('workflow.retry_backoff', true, '"1 minute"',
     'Wait before a failed node run is tried again; doubles with each try (fail_node_run''s retry_after overrides)');

CREATE FUNCTION _workflow_check(node_ids text[], node_types text[], param_nodes integer[], param_names text[],
                                edge_from text[], edge_to text[], edge_when text[]) RETURNS text
    AS 'MODULE_PATHNAME', 'mn_workflow_check' LANGUAGE C IMMUTABLE STRICT;
COMMENT ON FUNCTION _workflow_check(text[], text[], integer[], text[], text[], text[], text[]) IS
    'Internal: validates a workflow graph (src/core/workflow.c) and returns its start node; 22023 naming the first problem';

-- The JSON's shape is checked here, the graph in C, then what only SQL can read
-- (a wait's duration).  Returns the start node.
CREATE FUNCTION validate_workflow(definition jsonb) RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    bad   bigint;
    start text;
    n     record;
    d     interval;
BEGIN
    IF jsonb_typeof(definition) IS DISTINCT FROM 'object' OR jsonb_typeof(definition -> 'nodes') IS DISTINCT FROM 'array'
       OR jsonb_typeof(coalesce(definition -> 'edges', '[]')) <> 'array' THEN
        RAISE EXCEPTION 'a workflow definition is an object with a "nodes" array and an "edges" array'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = '{"nodes": [{"id": "start", "type": "start"}, ...], "edges": [{"from": "start", "to": "..."}]}';
    END IF;
    SELECT i INTO bad FROM jsonb_array_elements(definition -> 'nodes') WITH ORDINALITY t(x, i)
     WHERE jsonb_typeof(x) <> 'object' OR jsonb_typeof(x -> 'id') IS DISTINCT FROM 'string'
        OR jsonb_typeof(x -> 'type') IS DISTINCT FROM 'string' OR jsonb_typeof(coalesce(x -> 'params', '{}')) <> 'object'
     ORDER BY i LIMIT 1;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'node % of the workflow definition is not {"id": text, "type": text, "params": {...}}', bad
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT i INTO bad FROM jsonb_array_elements(coalesce(definition -> 'edges', '[]')) WITH ORDINALITY t(x, i)
     WHERE jsonb_typeof(x) <> 'object' OR jsonb_typeof(x -> 'from') IS DISTINCT FROM 'string'
        OR jsonb_typeof(x -> 'to') IS DISTINCT FROM 'string' OR jsonb_typeof(coalesce(x -> 'when', '""')) <> 'string'
     ORDER BY i LIMIT 1;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'edge % of the workflow definition is not {"from": text, "to": text, "when": text}', bad
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    start := _workflow_check(
        ARRAY(SELECT x ->> 'id' FROM jsonb_array_elements(definition -> 'nodes') WITH ORDINALITY t(x, i) ORDER BY i),
        ARRAY(SELECT x ->> 'type' FROM jsonb_array_elements(definition -> 'nodes') WITH ORDINALITY t(x, i) ORDER BY i),
        ARRAY(SELECT i::integer FROM jsonb_array_elements(definition -> 'nodes') WITH ORDINALITY t(x, i),
                     jsonb_object_keys(coalesce(x -> 'params', '{}')) k ORDER BY i),
        ARRAY(SELECT k FROM jsonb_array_elements(definition -> 'nodes') WITH ORDINALITY t(x, i),
                     jsonb_object_keys(coalesce(x -> 'params', '{}')) k ORDER BY i),
        ARRAY(SELECT x ->> 'from' FROM jsonb_array_elements(coalesce(definition -> 'edges', '[]')) WITH ORDINALITY t(x, i) ORDER BY i),
        ARRAY(SELECT x ->> 'to' FROM jsonb_array_elements(coalesce(definition -> 'edges', '[]')) WITH ORDINALITY t(x, i) ORDER BY i),
        ARRAY(SELECT coalesce(x ->> 'when', '') FROM jsonb_array_elements(coalesce(definition -> 'edges', '[]')) WITH ORDINALITY t(x, i) ORDER BY i));
    FOR n IN SELECT x ->> 'id' AS id, x -> 'params' ->> 'duration' AS duration
               FROM jsonb_array_elements(definition -> 'nodes') x WHERE x ->> 'type' = 'wait' LOOP
        BEGIN
            d := n.duration::interval;
        EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow OR interval_field_overflow THEN
            d := NULL;
        END;
        IF d IS NULL OR d <= interval '0' THEN
            RAISE EXCEPTION 'invalid workflow definition' USING ERRCODE = 'invalid_parameter_value',
                DETAIL = format('Node "%s" waits %s, which is not a positive interval.', n.id, coalesce(quote_literal(n.duration), 'NULL')),
                HINT = 'Write durations as PostgreSQL intervals: "2 days", "3 hours".';
        END IF;
    END LOOP;
    RETURN start;
END
$$;
COMMENT ON FUNCTION validate_workflow(jsonb) IS
    'Checks a workflow definition and returns its start node: {"nodes": [{"id", "type", "params"}], "edges": '
    '[{"from", "to", "when"}]}, node types start, end, wait (duration), notify (notification_type), task (title), '
    'branch (condition), webhook (url), set_status (status); one start node, no cycle (22023 names its nodes), every '
    'node reachable, only branch nodes with labelled edges. The workflows table runs it on every save';

CREATE TABLE workflows (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL CONSTRAINT workflows_name_length CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    description text,
    definition  jsonb NOT NULL,
    start_node  text,
    steps       jsonb,
    active      boolean NOT NULL DEFAULT true,
    created_by  bigint REFERENCES users ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE workflows IS
    'Automations (seed 001 Workflow): a definition of nodes and edges, validated on every save (22023 for a cycle, '
    'a missing start, an unknown node type, ...); an inactive workflow enrolls nobody new';
COMMENT ON COLUMN workflows.definition IS 'Nodes and edges as JSON; see mentor.validate_workflow for the format';
COMMENT ON COLUMN workflows.steps IS
    'The definition as the engine reads it, set on every save: per node id its type, params and next nodes by outcome '
    '("" for the unlabelled edge)';
COMMENT ON COLUMN workflows.start_node IS 'The id of the start node, set from the definition on every save (whatever is written)';
CREATE TRIGGER workflows_touch_updated_at BEFORE UPDATE ON workflows FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE workflow_enrollments (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workflow_id  bigint NOT NULL REFERENCES workflows ON DELETE CASCADE,
    subject_type text NOT NULL CONSTRAINT workflow_enrollments_subject_type
                 CHECK (subject_type IN ('lead', 'user', 'job_post', 'job_application', 'other')),
    subject_id   bigint NOT NULL,
    status       @extschema@.workflow_enrollment_status NOT NULL DEFAULT 'active',
    current_node text,
    context      jsonb NOT NULL DEFAULT '{}' CONSTRAINT workflow_enrollments_context_object CHECK (jsonb_typeof(context) = 'object'),
    error        text,
    finished_at  timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
) WITH (fillfactor = 80);
COMMENT ON TABLE workflow_enrollments IS
    'A lead, user or job post going through a workflow (seed 001 WorkflowEnrollment): at most one live (active, '
    'waiting or paused) per workflow and subject; moved by the engine''s functions only';
COMMENT ON COLUMN workflow_enrollments.subject_id IS 'The id of the lead, user, job post or application (a soft reference, as in the seed)';
COMMENT ON COLUMN workflow_enrollments.current_node IS 'The node it is at: the one whose run is open, or the last one';
COMMENT ON COLUMN workflow_enrollments.status IS
    'Lifecycle workflow_enrollment: active, waiting (a wait is not due yet), paused, completed, failed, cancelled';
CREATE UNIQUE INDEX workflow_enrollments_live_once ON workflow_enrollments (workflow_id, subject_type, subject_id)
    WHERE status IN ('active', 'waiting', 'paused');
CREATE INDEX workflow_enrollments_subject_idx ON workflow_enrollments (subject_type, subject_id);
CREATE TRIGGER workflow_enrollments_touch_updated_at BEFORE UPDATE ON workflow_enrollments
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER workflow_enrollments_owned BEFORE INSERT OR UPDATE ON workflow_enrollments
    FOR EACH ROW EXECUTE FUNCTION _keep_owned_columns('Enrollments move through mentor.enroll(), finish_node_run() and pause/resume/cancel_enrollment().',
                                                      'status', 'current_node', 'error', 'finished_at');
SELECT attach_lifecycle('workflow_enrollments', 'status', 'workflow_enrollment');

CREATE FUNCTION _workflow_saved() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.definition IS NOT DISTINCT FROM OLD.definition THEN
        NEW.start_node := OLD.start_node;
        NEW.steps := OLD.steps;
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' AND EXISTS (SELECT 1 FROM workflow_enrollments e
                                     WHERE e.workflow_id = NEW.id AND e.status IN ('active', 'waiting', 'paused')) THEN
        RAISE EXCEPTION 'workflow % has live enrollments; its definition cannot change under them', NEW.id
            USING ERRCODE = 'MN006', HINT = 'Save the new definition as a new workflow, or cancel the enrollments first.';
    END IF;
    NEW.start_node := validate_workflow(NEW.definition);
    -- What finishing a run looks up: a node's type, params and where each outcome leads.
    NEW.steps := (SELECT jsonb_object_agg(n ->> 'id', jsonb_build_object(
                             'type', n ->> 'type', 'params', coalesce(n -> 'params', '{}'),
                             'next', (SELECT coalesce(jsonb_object_agg(coalesce(x ->> 'when', ''), x ->> 'to'), '{}')
                                        FROM jsonb_array_elements(coalesce(NEW.definition -> 'edges', '[]')) x
                                       WHERE x ->> 'from' = n ->> 'id')))
                    FROM jsonb_array_elements(NEW.definition -> 'nodes') n);
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION _workflow_saved() IS
    'Internal: a workflow''s definition is validated on every save, and not changed under live enrollments (MN006)';
CREATE TRIGGER workflows_saved BEFORE INSERT OR UPDATE ON workflows FOR EACH ROW EXECUTE FUNCTION _workflow_saved();

CREATE TABLE workflow_node_runs (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    enrollment_id bigint NOT NULL REFERENCES workflow_enrollments ON DELETE CASCADE,
    node_id       text NOT NULL,
    node_type     text NOT NULL,
    params        jsonb NOT NULL DEFAULT '{}',
    status        @extschema@.workflow_node_run_status NOT NULL DEFAULT 'ready',
    available_at  timestamptz NOT NULL DEFAULT now(),
    attempts      integer NOT NULL DEFAULT 0,
    lease_owner   text,
    lease_until   timestamptz,
    last_error    text,
    outcome       text,
    output        jsonb,
    finished_at   timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT workflow_node_runs_once UNIQUE (enrollment_id, node_id),
    CONSTRAINT workflow_node_runs_lease CHECK ((status = 'running') = (lease_owner IS NOT NULL AND lease_until IS NOT NULL)),
    CONSTRAINT workflow_node_runs_done CHECK ((status = 'done') = (finished_at IS NOT NULL))
) WITH (fillfactor = 80);
COMMENT ON TABLE workflow_node_runs IS
    'One run of one node of an enrollment (seed 001 WorkflowNodeRun), a work queue: mentor.claim_node_runs leases the '
    'due ones to workers (SKIP LOCKED), mentor.finish_node_run reports the outcome and moves the enrollment on; once '
    'per enrollment and node (23505 names workflow_node_runs_once)';
COMMENT ON COLUMN workflow_node_runs.params IS 'The node''s parameters from the definition, for the worker';
COMMENT ON COLUMN workflow_node_runs.available_at IS 'Not claimed before: a wait''s run is due when the wait is over';
COMMENT ON COLUMN workflow_node_runs.outcome IS 'What the worker reported; a branch''s outcome picks its edge';
CREATE INDEX workflow_node_runs_ready_idx ON workflow_node_runs (available_at, id) WHERE status = 'ready';
CREATE INDEX workflow_node_runs_leased_idx ON workflow_node_runs (lease_until) WHERE status = 'running';
CREATE TRIGGER workflow_node_runs_touch_updated_at BEFORE UPDATE ON workflow_node_runs
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER workflow_node_runs_owned BEFORE INSERT OR UPDATE ON workflow_node_runs
    FOR EACH ROW EXECUTE FUNCTION _keep_owned_columns('Node runs move through mentor.claim_node_runs() and finish_node_run().',
                                                      'status', 'attempts', 'lease_owner', 'lease_until', 'outcome', 'output', 'finished_at');
SELECT attach_lifecycle('workflow_node_runs', 'status', 'workflow_node_run');

-- A run that failed for good (its last try, or a lease that ran out on it) fails its enrollment.
CREATE FUNCTION _workflow_run_failed() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    -- As drawn, only an active enrollment fails (a paused one whose run was being worked, too).
    UPDATE workflow_enrollments e SET status = 'active' WHERE e.id = NEW.enrollment_id AND e.status IN ('waiting', 'paused');
    UPDATE workflow_enrollments e
       SET status = 'failed', finished_at = now(),
           error = format('node %s failed after %s tries: %s', NEW.node_id, NEW.attempts, coalesce(NEW.last_error, 'no error given'))
     WHERE e.id = NEW.enrollment_id AND e.status = 'active';
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION _workflow_run_failed() IS 'Internal: a node run that failed for good fails its enrollment';
CREATE TRIGGER workflow_node_runs_failed AFTER UPDATE OF status ON workflow_node_runs
    FOR EACH ROW WHEN (NEW.status = 'failed') EXECUTE FUNCTION _workflow_run_failed();

-- The engine, set-based: enrollments (locked by the caller) leave their nodes with the
-- outcomes reported, all in a few statements however many there are.  Each goes to the
-- node its outcome leads to (a branch's labelled edge, else the unlabelled one): its run
-- is queued (held while paused; a wait's due after the wait), or the enrollment completes
-- at an end node or where no edge leads on.  Enrollments no longer live are left alone.
CREATE FUNCTION _workflow_advance(enrollment_ids bigint[], from_nodes text[], outcomes text[]) RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    eid    bigint[];
    est    workflow_enrollment_status[];
    nxt    text[];
    nst    jsonb[];
    moving integer;
    ending integer;
    stuck  jsonb;
BEGIN
    -- One pass says where each goes, whether any moves on or ends (the statements for none
    -- are skipped), and the first branch whose outcome leads nowhere.
    SELECT array_agg(t.id), array_agg(t.status), array_agg(t.next_id), array_agg(t.next_step),
           count(*) FILTER (WHERE t.next_id IS NOT NULL AND t.next_step ->> 'type' <> 'end'),
           count(*) FILTER (WHERE t.next_id IS NULL OR t.next_step ->> 'type' = 'end'),
           (array_agg(jsonb_build_object('node', t.from_node, 'outcome', t.outcome, 'next', t.step -> 'next'))
                FILTER (WHERE t.step ->> 'type' = 'branch' AND t.next_id IS NULL))[1]
      INTO eid, est, nxt, nst, moving, ending, stuck
      FROM (SELECT e.id, e.status, n.next_id, w.steps -> n.next_id AS next_step, x.from_node, x.outcome,
                   w.steps -> x.from_node AS step
              FROM unnest(enrollment_ids, from_nodes, outcomes) x(id, from_node, outcome)
              JOIN workflow_enrollments e ON e.id = x.id AND e.status IN ('active', 'waiting', 'paused')
              JOIN workflows w ON w.id = e.workflow_id
             CROSS JOIN LATERAL (SELECT CASE WHEN w.steps -> x.from_node ->> 'type' = 'branch'
                                             THEN coalesce(w.steps -> x.from_node -> 'next' ->> x.outcome,
                                                           w.steps -> x.from_node -> 'next' ->> '')
                                             ELSE w.steps -> x.from_node -> 'next' ->> '' END AS next_id) n) t;
    IF eid IS NULL THEN
        RETURN;
    END IF;
    -- A branch must lead somewhere: an outcome it has no edge for is the worker's mistake.
    IF stuck IS NOT NULL THEN
        RAISE EXCEPTION 'branch node % has no edge for the outcome %', stuck ->> 'node',
            coalesce(quote_literal(stuck ->> 'outcome'), 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('Its outcomes are: %s.', (SELECT string_agg(k, ', ') FROM jsonb_object_keys(stuck -> 'next') k)),
                  HINT = 'Report one of them (the run stays running until its lease ends).';
    END IF;
    IF moving > 0 THEN
        INSERT INTO workflow_node_runs (enrollment_id, node_id, node_type, params, status, available_at)
        SELECT t.eid, t.nxt, t.nst ->> 'type', t.nst -> 'params',
               CASE WHEN t.est = 'paused' THEN 'held' ELSE 'ready' END::workflow_node_run_status,
               now() + CASE WHEN t.nst ->> 'type' = 'wait' THEN (t.nst -> 'params' ->> 'duration')::interval ELSE interval '0' END
          FROM unnest(eid, est, nxt, nst) t(eid, est, nxt, nst)
         WHERE t.nxt IS NOT NULL AND t.nst ->> 'type' <> 'end';
        UPDATE workflow_enrollments e
           SET current_node = t.nxt,
               status = CASE WHEN e.status = 'paused' THEN e.status
                             WHEN t.nst ->> 'type' = 'wait' THEN 'waiting'::workflow_enrollment_status
                             ELSE 'active'::workflow_enrollment_status END
          FROM unnest(eid, nxt, nst) t(eid, nxt, nst)
         WHERE e.id = t.eid AND t.nxt IS NOT NULL AND t.nst ->> 'type' <> 'end';
    END IF;
    IF ending > 0 THEN
        -- As drawn, only an active enrollment completes.
        UPDATE workflow_enrollments e SET status = 'active'
          FROM unnest(eid, nxt, nst) t(eid, nxt, nst)
         WHERE e.id = t.eid AND (t.nxt IS NULL OR t.nst ->> 'type' = 'end') AND e.status IN ('waiting', 'paused');
        UPDATE workflow_enrollments e SET status = 'completed', finished_at = now(), current_node = coalesce(t.nxt, e.current_node)
          FROM unnest(eid, nxt, nst) t(eid, nxt, nst)
         WHERE e.id = t.eid AND (t.nxt IS NULL OR t.nst ->> 'type' = 'end');
    END IF;
END
$$;
COMMENT ON FUNCTION _workflow_advance(bigint[], text[], text[]) IS
    'Internal: locked enrollments leave their nodes with the outcomes given: the next runs are queued, or the '
    'enrollments complete; 22023 for a branch outcome it has no edge for';

CREATE FUNCTION enroll(workflow_id bigint, subject_type text, subject_id bigint, context jsonb DEFAULT '{}')
RETURNS workflow_enrollments
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    w workflows;
    e workflow_enrollments;
BEGIN
    SELECT * INTO w FROM workflows x WHERE x.id = enroll.workflow_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'workflow % does not exist', coalesce(workflow_id::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
    IF NOT w.active THEN
        RAISE EXCEPTION 'workflow % is not active', w.id USING ERRCODE = 'MN006', HINT = 'Activate it first.';
    END IF;
    INSERT INTO workflow_enrollments AS x (workflow_id, subject_type, subject_id, context, current_node)
    VALUES (w.id, subject_type, subject_id, coalesce(context, '{}'), w.start_node)
    ON CONFLICT (workflow_id, subject_type, subject_id) WHERE status IN ('active', 'waiting', 'paused') DO NOTHING
    RETURNING x.* INTO e;
    IF e.id IS NULL THEN
        -- Already going through it: that enrollment.
        SELECT * INTO e FROM workflow_enrollments x
         WHERE x.workflow_id = w.id AND x.subject_type = enroll.subject_type AND x.subject_id = enroll.subject_id
           AND x.status IN ('active', 'waiting', 'paused');
        RETURN e;
    END IF;
    PERFORM _workflow_advance(ARRAY[e.id], ARRAY[w.start_node], ARRAY[NULL::text]);
    SELECT * INTO e FROM workflow_enrollments x WHERE x.id = e.id;
    RETURN e;
END
$$;
COMMENT ON FUNCTION enroll(bigint, text, bigint, jsonb) IS
    'Enrolls a subject (lead, user, job_post, job_application, other) in an active workflow and queues the run of the '
    'node after the start; a subject already going through it gets that enrollment back. MN006 for an inactive '
    'workflow';

CREATE FUNCTION claim_node_runs(worker text, n integer DEFAULT 10, lease interval DEFAULT interval '5 minutes')
RETURNS SETOF workflow_node_runs
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    ids bigint[];
BEGIN
    ids := ARRAY(SELECT _queue_claim('workflow_node_runs', 'ready', 'running', 'failed', worker, n, lease,
                                     (setting('workflow.max_attempts') #>> '{}')::integer));
    -- A wait that is over: its enrollment is active again.
    UPDATE workflow_enrollments e SET status = 'active'
      FROM workflow_node_runs r
     WHERE r.id = ANY (ids) AND r.node_type = 'wait' AND e.id = r.enrollment_id AND e.status = 'waiting';
    RETURN QUERY SELECT r.* FROM workflow_node_runs r WHERE r.id = ANY (ids) ORDER BY r.available_at, r.id;
END
$$;
COMMENT ON FUNCTION claim_node_runs(text, integer, interval) IS
    'A worker takes up to n due node runs, oldest first, leased for lease; workers never wait on each other or get '
    'the same run. Expired leases go back first (failed after workflow.max_attempts, failing the enrollment). The '
    'worker does the node''s work (a wait needs none) and reports with finish_node_run or fail_node_run';

-- A batch in a few statements: every run done (only the lease holder's, within its lease;
-- otherwise the first refused one says why and nothing of the batch is kept), then the
-- enrollments locked in id order (two workers' batches never deadlock) and advanced.
CREATE FUNCTION finish_node_runs(ids bigint[], worker text, outcomes text[] DEFAULT NULL, outputs jsonb[] DEFAULT NULL)
RETURNS SETOF workflow_node_runs
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    n       integer := coalesce(cardinality(ids), 0);
    done    bigint[];
    eids    bigint[];
    froms   text[];
    outs    text[];
    missing bigint;
BEGIN
    IF n = 0 THEN
        RETURN;
    END IF;
    IF cardinality(outcomes) <> n OR cardinality(outputs) <> n THEN
        RAISE EXCEPTION 'finish_node_runs needs one outcome and one output per run, or none' USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('%s runs, %s outcomes, %s outputs.', n, coalesce(cardinality(outcomes)::text, 'no'),
                            coalesce(cardinality(outputs)::text, 'no'));
    END IF;
    WITH o AS (SELECT * FROM unnest(ids, coalesce(outcomes, array_fill(NULL::text, ARRAY[n])),
                                    coalesce(outputs, array_fill(NULL::jsonb, ARRAY[n]))) o(id, outcome, output)),
         u AS (UPDATE workflow_node_runs q
                  SET status = 'done', finished_at = now(), outcome = o.outcome, output = o.output,
                      lease_owner = NULL, lease_until = NULL
                 FROM o
                WHERE q.id = o.id AND q.status = 'running' AND q.lease_owner = worker AND q.lease_until >= now()
               RETURNING q.id, q.enrollment_id, q.node_id, q.outcome)
    SELECT array_agg(u.id ORDER BY u.enrollment_id), array_agg(u.enrollment_id ORDER BY u.enrollment_id),
           array_agg(u.node_id ORDER BY u.enrollment_id), array_agg(u.outcome ORDER BY u.enrollment_id)
      INTO done, eids, froms, outs FROM u;
    IF coalesce(cardinality(done), 0) < n THEN
        SELECT x INTO missing FROM unnest(ids) x WHERE x IS NULL OR NOT x = ANY (coalesce(done, '{}')) LIMIT 1;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'finish_node_runs was given a run twice' USING ERRCODE = 'invalid_parameter_value';
        END IF;
        PERFORM _queue_refuse('workflow_node_runs', 'node run', missing, worker, 'running');
    END IF;
    PERFORM 1 FROM workflow_enrollments e WHERE e.id = ANY (eids) ORDER BY e.id FOR UPDATE;
    PERFORM _workflow_advance(eids, froms, outs);
    RETURN QUERY SELECT q.* FROM workflow_node_runs q WHERE q.id = ANY (done) ORDER BY q.id;
END
$$;
COMMENT ON FUNCTION finish_node_runs(bigint[], text, text[], jsonb[]) IS
    'The lease holder reports a batch of node runs done, with their outcomes and outputs (arrays in the order of '
    'ids, or NULL), and their enrollments move on, as finish_node_run does for one; all or nothing: the first run '
    'it may not report raises (MN005, MN006, MN008, P0002) and none of the batch is kept';

CREATE FUNCTION finish_node_run(id bigint, worker text, outcome text DEFAULT NULL, output jsonb DEFAULT NULL)
RETURNS workflow_node_runs
LANGUAGE sql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$ SELECT * FROM finish_node_runs(ARRAY[id], worker, ARRAY[outcome], ARRAY[output]) $$;
COMMENT ON FUNCTION finish_node_run(bigint, text, text, jsonb) IS
    'The lease holder reports a node run done, with its outcome (a branch''s picks the edge; 22023 for one it has no '
    'edge for) and output, and the enrollment moves to the next node or completes. Once: a second report is MN006; '
    'MN005 when another worker holds it, MN008 when the lease ran out, P0002 when there is no such run';

CREATE FUNCTION fail_node_run(id bigint, worker text, error text, retry_after interval DEFAULT NULL)
RETURNS workflow_node_runs
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    r workflow_node_runs;
BEGIN
    PERFORM _queue_retry('workflow_node_runs', 'node run', fail_node_run.id, worker, error, retry_after, 'ready', 'running',
                         'failed', (setting('workflow.max_attempts') #>> '{}')::integer,
                         (setting('workflow.retry_backoff') #>> '{}')::interval);
    SELECT * INTO r FROM workflow_node_runs q WHERE q.id = fail_node_run.id;
    RETURN r;
END
$$;
COMMENT ON FUNCTION fail_node_run(bigint, text, text, interval) IS
    'The lease holder reports a node run failed: it is tried again after retry_after (default workflow.retry_backoff, '
    'doubling), or after workflow.max_attempts tries it fails and so does its enrollment';

CREATE FUNCTION _live_enrollment(id bigint) RETURNS workflow_enrollments
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    e workflow_enrollments;
BEGIN
    SELECT * INTO e FROM workflow_enrollments x WHERE x.id = _live_enrollment.id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'workflow enrollment % does not exist', coalesce(id::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
    IF e.status NOT IN ('active', 'waiting', 'paused') THEN
        RAISE EXCEPTION 'workflow enrollment % is already %', e.id, e.status USING ERRCODE = 'MN006';
    END IF;
    RETURN e;
END
$$;
COMMENT ON FUNCTION _live_enrollment(bigint) IS 'Internal: locks a live enrollment (P0002 if missing, MN006 once over)';

CREATE FUNCTION pause_enrollment(id bigint) RETURNS workflow_enrollments
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    e workflow_enrollments := _live_enrollment(id);
BEGIN
    IF e.status = 'paused' THEN
        RETURN e;
    END IF;
    -- As drawn, only an active enrollment pauses: a waiting one is active again first.
    UPDATE workflow_enrollments x SET status = 'active' WHERE x.id = e.id AND x.status = 'waiting';
    UPDATE workflow_enrollments x SET status = 'paused' WHERE x.id = e.id RETURNING x.* INTO e;
    UPDATE workflow_node_runs r SET status = 'held' WHERE r.enrollment_id = e.id AND r.status = 'ready';
    RETURN e;
END
$$;
COMMENT ON FUNCTION pause_enrollment(bigint) IS
    'Pauses a live enrollment: its queued run is held (one being run finishes, and the next is held)';

CREATE FUNCTION resume_enrollment(id bigint) RETURNS workflow_enrollments
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    e workflow_enrollments := _live_enrollment(id);
BEGIN
    IF e.status <> 'paused' THEN
        RETURN e;
    END IF;
    UPDATE workflow_enrollments x SET status = 'active' WHERE x.id = e.id;
    UPDATE workflow_node_runs r SET status = 'ready' WHERE r.enrollment_id = e.id AND r.status = 'held';
    -- A wait that is not over yet: waiting again.
    UPDATE workflow_enrollments x SET status = 'waiting'
     WHERE x.id = e.id AND EXISTS (SELECT 1 FROM workflow_node_runs r WHERE r.enrollment_id = e.id AND r.status = 'ready'
                                                                        AND r.node_type = 'wait' AND r.available_at > now());
    SELECT * INTO e FROM workflow_enrollments x WHERE x.id = e.id;
    RETURN e;
END
$$;
COMMENT ON FUNCTION resume_enrollment(bigint) IS 'Resumes a paused enrollment: its held run is queued again';

CREATE FUNCTION cancel_enrollment(id bigint, reason text DEFAULT NULL) RETURNS workflow_enrollments
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    e workflow_enrollments := _live_enrollment(id);
BEGIN
    UPDATE workflow_enrollments x SET status = 'active' WHERE x.id = e.id AND x.status IN ('waiting', 'paused');
    UPDATE workflow_enrollments x SET status = 'cancelled', finished_at = now(), error = reason WHERE x.id = e.id
    RETURNING x.* INTO e;
    UPDATE workflow_node_runs r SET status = 'cancelled' WHERE r.enrollment_id = e.id AND r.status IN ('ready', 'held');
    RETURN e;
END
$$;
COMMENT ON FUNCTION cancel_enrollment(bigint, text) IS
    'Cancels a live enrollment: its queued run is cancelled; one being run may finish, and nothing follows it';

-- Trigger rules (seed 001 WorkflowRule): events that enroll their subject.
CREATE TABLE workflow_rules (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workflow_id  bigint NOT NULL REFERENCES workflows ON DELETE CASCADE,
    event        text NOT NULL CONSTRAINT workflow_rules_event CHECK (event IN ('lead_created', 'lead_status', 'job_post_status')),
    status_value text,
    job_post_id  bigint REFERENCES job_posts ON DELETE CASCADE,
    active       boolean NOT NULL DEFAULT true,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT workflow_rules_status_needed CHECK ((event = 'lead_created') = (status_value IS NULL)),
    CONSTRAINT workflow_rules_job_post_only CHECK (job_post_id IS NULL OR event = 'job_post_status')
);
COMMENT ON TABLE workflow_rules IS
    'What enrolls subjects in a workflow by itself (seed 001 WorkflowRule): a lead created, a lead reaching a status, '
    'a job post (any, or job_post_id) reaching a status';
COMMENT ON COLUMN workflow_rules.status_value IS 'The status that fires lead_status and job_post_status rules';
CREATE INDEX workflow_rules_event_idx ON workflow_rules (event) WHERE active;
-- Backends cache which events have rules (src/workflow.c); a change drops that everywhere,
-- on a logical-replication subscriber too (the row trigger, enabled for replicas only).
CREATE TRIGGER workflow_rules_cache_invalidate
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON workflow_rules
    FOR EACH STATEMENT EXECUTE FUNCTION _table_cache_changed();
CREATE TRIGGER workflow_rules_cache_invalidate_apply
    AFTER INSERT OR UPDATE OR DELETE ON workflow_rules
    FOR EACH ROW EXECUTE FUNCTION _table_cache_changed();
ALTER TABLE workflow_rules ENABLE REPLICA TRIGGER workflow_rules_cache_invalidate_apply;
-- (The trigger function's own description, from the lifecycle module, gains this table.)
COMMENT ON FUNCTION _table_cache_changed() IS
    'Internal: statement trigger that makes every backend drop what it caches from the table (lifecycles, settings, '
    'ledger accounts, workflow rules); also a row trigger enabled for replicas, for rows a subscription applies';
CREATE TRIGGER workflow_rules_touch_updated_at BEFORE UPDATE ON workflow_rules FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- C (src/workflow.c): every lead passes here, and with no rule it is one cached query.
CREATE FUNCTION _workflow_rules_fire() RETURNS trigger
    AS 'MODULE_PATHNAME', 'mn_workflow_rules_fire' LANGUAGE C;
COMMENT ON FUNCTION _workflow_rules_fire() IS 'Internal: a lead or job post event enrolls it in the workflows whose rules match';
CREATE TRIGGER raw_leads_workflow_rules AFTER INSERT ON raw_leads
    FOR EACH ROW EXECUTE FUNCTION _workflow_rules_fire();
CREATE TRIGGER raw_leads_workflow_rules_status AFTER UPDATE OF status ON raw_leads
    FOR EACH ROW WHEN (NEW.status IS DISTINCT FROM OLD.status) EXECUTE FUNCTION _workflow_rules_fire();
CREATE TRIGGER job_posts_workflow_rules AFTER UPDATE OF status ON job_posts
    FOR EACH ROW WHEN (NEW.status IS DISTINCT FROM OLD.status) EXECUTE FUNCTION _workflow_rules_fire();
