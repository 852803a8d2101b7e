-- Shipped lifecycles: the seeds' diagrams exactly, and every lifecycle well formed.
BEGIN;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS mentor CASCADE;
RESET client_min_messages;
SELECT plan(22);

SELECT set_eq($$SELECT DISTINCT name FROM mentor.lifecycles$$,
    ARRAY['slot', 'program_application', 'candidate', 'pap_workflow', 'workflow_enrollment', 'recording',
          'token_purchase', 'enrollment', 'batch', 'course_plan', 'vendor_key', 'job_post', 'withdrawal',
          'session', 'match', 'connection', 'proxy_request', 'action_item', 'onboarding', 'reported_issue',
          'mentorship', 'suggestion', 'submission', 'interview_session', 'collaboration_session', 'crosscheck',
          'registration', 'lead', 'notification', 'task_verification', 'follow_up', 'workflow_node_run'],
    'every lifecycle the platforms name is shipped');
SELECT set_eq($$SELECT from_state, to_state FROM mentor.lifecycle_transitions WHERE name = 'task_verification'$$,
    $$VALUES ('pending', 'completed'), ('pending', 'error')$$,
    'task_verification: a pending attempt ends completed or in error; a finished one never moves');

-- Transitions drawn in seed 001 and 000, edge for edge.
SELECT set_eq($$SELECT from_state, to_state FROM mentor.lifecycle_transitions WHERE name = 'program_application'$$,
    $$VALUES ('draft', 'submitted'), ('submitted', 'under_review'), ('under_review', 'approved'),
             ('under_review', 'rejected'), ('approved', 'payment_received'), ('payment_received', 'paid'),
             ('paid', 'batch_allocated'), ('batch_allocated', 'enrolled'), ('enrolled', 'deboarded')$$,
    'program_application as drawn');
SELECT set_eq($$SELECT from_state, to_state FROM mentor.lifecycle_transitions WHERE name = 'candidate'$$,
    $$VALUES ('resume_received', 'resume_parsed'), ('resume_parsed', 'outreach_sent'), ('outreach_sent', 'quiz_invited'),
             ('quiz_invited', 'quiz_completed'), ('quiz_completed', 'voice_interview_scheduled'),
             ('voice_interview_scheduled', 'voice_interview_completed'), ('voice_interview_completed', 'scoring_complete'),
             ('scoring_complete', 'shortlisted'), ('scoring_complete', 'talent_pool'),
             ('resume_parsed', 'scoring_complete')$$,
    'candidate as drawn, plus journey 4''s step from a parsed resume to its score');
SELECT set_eq($$SELECT from_state, to_state FROM mentor.lifecycle_transitions WHERE name = 'pap_workflow'$$,
    $$VALUES ('pending_mou_details', 'pending_mou_upload'), ('pending_mou_upload', 'pending_mou_review'),
             ('pending_mou_review', 'mou_signed_approved'), ('mou_signed_approved', 'pending_payment_option'),
             ('pending_payment_option', 'pending_pap_approval'), ('pending_payment_option', 'pending_upfront_payment'),
             ('pending_pap_approval', 'enrolled'), ('pending_upfront_payment', 'enrolled'),
             ('enrolled', 'placement_under_review'), ('placement_under_review', 'payment_collection_pending'),
             ('pending_mou_details', 'pending_mou_review'), ('mou_signed_approved', 'pending_pap_approval'),
             ('mou_signed_approved', 'pending_upfront_payment')$$,
    'pap_workflow as drawn, plus journey 6''s steps (details and eSign at once, the payment option at approval)');
SELECT set_eq($$SELECT from_state, to_state FROM mentor.lifecycle_transitions WHERE name = 'workflow_enrollment'$$,
    $$VALUES ('active', 'waiting'), ('waiting', 'active'), ('active', 'paused'), ('paused', 'active'),
             ('active', 'completed'), ('active', 'failed'), ('active', 'cancelled')$$,
    'workflow_enrollment as drawn');
SELECT set_eq($$SELECT from_state, to_state FROM mentor.lifecycle_transitions WHERE name = 'slot'$$,
    $$VALUES ('tentative', 'meeting_requested'), ('meeting_requested', 'confirmed'), ('tentative', 'confirmed'),
             ('confirmed', 'under_review'), ('confirmed', 'completed'), ('confirmed', 'cancellation_requested'),
             ('cancellation_requested', 'cancelled'), ('confirmed', 'cancelled'),
             ('tentative', 'cancelled'), ('meeting_requested', 'cancelled'), ('under_review', 'completed'),
             ('under_review', 'cancelled'), ('cancellation_requested', 'confirmed')$$,
    'slot as drawn, plus the ends the sessions functions take (withdrawn slot, turned-down request, resolved review, declined cancellation)');
SELECT set_eq($$SELECT from_state, to_state FROM mentor.lifecycle_transitions WHERE name = 'crosscheck'$$,
    $$VALUES ('initial', 'distributed'), ('distributed', 'completed')$$, 'crosscheck as drawn (seed 000)');

-- States listed by the seeds' enums.
SELECT set_eq($$SELECT state FROM mentor.lifecycles WHERE name = 'session'$$,
    ARRAY['pending', 'proposed', 'requested', 'confirmed', 'rescheduled', 'rejected', 'completed', 'cancelled'],
    'session states of seed 004');
SELECT set_eq($$SELECT state FROM mentor.lifecycles WHERE name = 'recording'$$,
    ARRAY['recording', 'processing', 'uploaded', 'failed', 'deleted'], 'recording states of seed 001');
SELECT set_eq($$SELECT state FROM mentor.lifecycles WHERE name = 'submission'$$,
    ARRAY['pending', 'compiling', 'running', 'completed', 'failed'], 'submission states of seed 003');
SELECT set_eq($$SELECT state FROM mentor.lifecycles WHERE name = 'mentorship'$$,
    ARRAY['pending', 'active', 'completed', 'rejected', 'cancelled'], 'mentorship states of design.md');
SELECT set_eq($$SELECT from_state, to_state FROM mentor.lifecycle_transitions WHERE name = 'lead'$$,
    $$VALUES ('active', 'archived'), ('archived', 'active'), ('active', 'deleted'), ('archived', 'deleted')$$,
    'lead: ACTIVE, ARCHIVED, DELETED of seed 001, deleted final');
SELECT set_eq($$SELECT state FROM mentor.lifecycles WHERE name = 'withdrawal'$$,
    ARRAY['requested', 'approved', 'rejected', 'paid'], 'withdrawal states of design.md');

-- Well formed: names, an initial state each, everything reachable, finals have no way out.
SELECT is(ARRAY(SELECT DISTINCT name || '.' || state FROM mentor.lifecycles
                 WHERE state !~ '^[a-z][a-z0-9_]*$' OR name !~ '^[a-z][a-z0-9_]*$'), '{}'::text[],
          'names and states are lower snake_case');
SELECT is(ARRAY(SELECT name FROM mentor.lifecycles GROUP BY name HAVING NOT bool_or(is_initial)), '{}'::text[],
          'every lifecycle has an initial state');
SELECT is(ARRAY(WITH RECURSIVE reach(name, state) AS (
                    SELECT name, state FROM mentor.lifecycles WHERE is_initial
                    UNION
                    SELECT t.name, t.to_state FROM reach r
                      JOIN mentor.lifecycle_transitions t ON t.name = r.name AND t.from_state = r.state)
                SELECT l.name || '.' || l.state FROM mentor.lifecycles l
                 WHERE NOT EXISTS (SELECT 1 FROM reach r WHERE r.name = l.name AND r.state = l.state)),
          '{}'::text[], 'every state is reachable from an initial state');
SELECT is(ARRAY(SELECT l.name || '.' || l.state FROM mentor.lifecycles l
                 WHERE NOT l.is_final AND NOT EXISTS (SELECT 1 FROM mentor.lifecycle_transitions t
                                                       WHERE t.name = l.name AND t.from_state = l.state)),
          '{}'::text[], 'a state with no way out is marked final');
SELECT is((SELECT count(*)::int FROM mentor.lifecycle_transitions t
            JOIN mentor.lifecycles l ON l.name = t.name AND l.state = t.from_state WHERE l.is_final AND l.name <> 'reported_issue'),
          0, 'no transition leaves a final state');

-- The trigger agrees with the catalogue for every pair of states of every lifecycle.
CREATE TEMP TABLE probe (id int PRIMARY KEY, lc text, status text);
CREATE FUNCTION pg_temp.allowed(lc text, from_state text, to_state text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('CREATE TRIGGER p BEFORE UPDATE OF status ON probe FOR EACH ROW EXECUTE FUNCTION mentor.enforce_lifecycle(%L, %L)', lc, 'status');
    BEGIN
        DELETE FROM probe;
        INSERT INTO probe VALUES (1, lc, from_state);
        UPDATE probe SET status = to_state;
        EXECUTE 'DROP TRIGGER p ON probe';
        RETURN true;
    EXCEPTION WHEN SQLSTATE 'MN001' THEN
        EXECUTE 'DROP TRIGGER p ON probe';
        RETURN false;
    END;
END $$;
SELECT is((SELECT count(*)::int FROM mentor.lifecycles a JOIN mentor.lifecycles b USING (name)
            WHERE pg_temp.allowed(name, a.state, b.state)
                  <> (a.state = b.state OR EXISTS (SELECT 1 FROM mentor.lifecycle_transitions t
                                                    WHERE t.name = a.name AND t.from_state = a.state AND t.to_state = b.state))),
          0, 'enforce_lifecycle allows exactly the listed transitions, for every pair of states');
SELECT ok((SELECT count(*) FROM mentor.lifecycles a JOIN mentor.lifecycles b USING (name)) > 500,
          'that covered more than 500 pairs');

-- A committed override is what every later statement sees.
SELECT mentor.define_lifecycle('match', ARRAY[['[*]', 'pending'], ['pending', 'approved'], ['pending', 'rejected'],
                                              ['rejected', 'pending']]);
SELECT is(mentor.next_states('match', 'rejected'), ARRAY['pending'], 'an override replaces the shipped definition');

SELECT * FROM finish();
ROLLBACK;
