--------------------------------------------------------------------------------
-- Module queue: the one mechanism behind every work queue of the extension
-- (the notification outbox today; the judge queue, follow-ups and workflow
-- runs use it too).  A queue is a table with the columns
--   id bigint, status (an enum under a lifecycle), lease_owner text,
--   lease_until timestamptz, attempts integer, available_at timestamptz,
--   last_error text
-- and three of its statuses named by the caller: ready (waiting to be
-- claimed), leased (held by a worker) and dead (given up on).  Claims take
-- the oldest due rows with FOR UPDATE SKIP LOCKED, so workers never wait on
-- each other and never take the same row; a lease that runs out puts its row
-- back (or, after the last attempt, to dead); only the lease holder, within
-- its lease, reports the outcome.  The queue's own functions then write the
-- outcome's columns with static SQL.  The two functions are C (src/queue.c),
-- which keeps one plan per queue and statement.
--------------------------------------------------------------------------------

CREATE FUNCTION _queue_claim(queue regclass, ready text, leased text, dead text, worker text, n integer,
                             lease interval, max_attempts integer, scope_column name DEFAULT NULL,
                             scope_value text DEFAULT NULL, also_leased text DEFAULT NULL)
RETURNS SETOF bigint
    AS 'MODULE_PATHNAME', 'mn_queue_claim' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION _queue_claim(regclass, text, text, text, text, integer, interval, integer, name, text, text) IS
    'Internal (work queues): returns expired leases of queue to ready (or dead after max_attempts), then leases up to '
    'n of the oldest due ready rows (where scope_column = scope_value) to worker, without waiting on other claims; '
    'returns their ids';

CREATE FUNCTION _queue_hold(queue regclass, what text, id bigint, worker text, leased text,
                            also_leased text DEFAULT NULL) RETURNS integer
    AS 'MODULE_PATHNAME', 'mn_queue_hold' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION _queue_hold(regclass, text, bigint, text, text, text) IS
    'Internal (work queues): locks row id of queue for its report and returns its attempts so far; P0002 if missing, '
    'MN006 if not leased, MN005 if leased to another worker, MN008 if the lease ran out';

-- A report's common case is one UPDATE whose WHERE clause holds the lease
-- conditions; when it finds nothing, this says why.
CREATE FUNCTION _queue_refuse(queue regclass, what text, id bigint, worker text, leased text,
                              also_leased text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM _queue_hold(queue, what, id, worker, leased, also_leased);
    -- The lease was fine when looked at again: the row changed between the two statements.
    RAISE EXCEPTION '% % changed while it was reported', what, id USING ERRCODE = 'serialization_failure',
        HINT = 'Retry the report.';
END
$$;
COMMENT ON FUNCTION _queue_refuse(regclass, text, bigint, text, text, text) IS
    'Internal (work queues): raises why worker cannot report row id (as _queue_hold), or 40001 if it now could';

-- A failure report: the row goes back to the queue after retry_after (default: backoff,
-- doubled per attempt, capped at 2^20 times), or to dead after max_attempts; only the
-- lease holder, within its lease, reports (else _queue_refuse says why).
CREATE FUNCTION _queue_retry(queue regclass, what text, id bigint, worker text, error text, retry_after interval,
                             ready text, leased text, dead text, max_attempts integer, backoff interval) RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    stype text := (SELECT a.atttypid::regtype::text FROM pg_attribute a WHERE a.attrelid = queue AND a.attname = 'status');
    n     bigint;
BEGIN
    IF retry_after < interval '0' THEN
        RAISE EXCEPTION 'retry_after cannot be negative (%)', retry_after USING ERRCODE = 'invalid_parameter_value';
    END IF;
    EXECUTE format($f$UPDATE %s q
                         SET status = CASE WHEN q.attempts >= $1 THEN %L::%s ELSE %L::%s END,
                             available_at = now() + coalesce($2, $3 * power(2, least(q.attempts - 1, 20))),
                             last_error = left(coalesce($4, 'unknown error'), 2000), lease_owner = NULL, lease_until = NULL
                       WHERE q.id = $5 AND q.status = %L::%s AND q.lease_owner = $6 AND q.lease_until >= now()$f$,
                   queue, dead, stype, ready, stype, leased, stype)
    USING max_attempts, retry_after, backoff, error, id, worker;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n = 0 THEN
        PERFORM _queue_refuse(queue, what, id, worker, leased);
    END IF;
END
$$;
COMMENT ON FUNCTION _queue_retry(regclass, text, bigint, text, text, interval, text, text, text, integer, interval) IS
    'Internal (work queues): the lease holder''s failure report: row id back to ready after retry_after (default '
    'backoff, doubling per attempt), or to dead after max_attempts; refusals as _queue_refuse';

