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
-- outcome's columns with static SQL.
--------------------------------------------------------------------------------

CREATE FUNCTION _queue_claim(queue regclass, ready text, leased text, dead text, worker text, n integer,
                             lease interval, max_attempts integer, scope_column name DEFAULT NULL,
                             scope_value text DEFAULT NULL)
RETURNS SETOF bigint
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    status_type text := (SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a
                          WHERE a.attrelid = queue AND a.attname = 'status' AND NOT a.attisdropped);
    scope       text := '';
BEGIN
    IF worker IS NULL OR length(btrim(worker)) NOT BETWEEN 1 AND 200 THEN
        RAISE EXCEPTION 'a worker name of 1 to 200 characters is required, not %', coalesce(quote_literal(worker), 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Name each worker process uniquely, for example host:pid; it is recorded as the lease owner.';
    END IF;
    IF n IS NULL OR n NOT BETWEEN 1 AND 10000 THEN
        RAISE EXCEPTION 'a claim takes 1 to 10000 rows, not %', coalesce(n::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF lease IS NULL OR lease <= interval '0' OR lease > interval '1 day' THEN
        RAISE EXCEPTION 'a lease lasts more than 0 and at most 1 day, not %', coalesce(lease::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Take a lease a little longer than one delivery can take, for example interval ''1 minute''.';
    END IF;
    IF scope_column IS NOT NULL THEN
        scope := format(' AND q.%I = %L', scope_column, scope_value);
    END IF;
    -- Leases that ran out first: back to the queue, or to dead after the last
    -- attempt.  Bounded like the claim, so a backlog of them is worked off
    -- across claims instead of in one long statement.
    EXECUTE format(
        'UPDATE %1$s q SET status = CASE WHEN q.attempts >= $1 THEN %3$L::%5$s ELSE %2$L::%5$s END,
                lease_owner = NULL, lease_until = NULL,
                last_error = concat_ws(''; '', q.last_error, ''lease of '' || q.lease_owner || '' expired'')
          WHERE q.id IN (SELECT q.id FROM %1$s q WHERE q.status = %4$L::%5$s AND q.lease_until < now()%6$s
                          ORDER BY q.lease_until LIMIT $2 FOR UPDATE SKIP LOCKED)',
        queue, ready, dead, leased, status_type, scope)
    USING max_attempts, n;
    RETURN QUERY EXECUTE format(
        'UPDATE %1$s q SET status = %3$L::%4$s, lease_owner = $1, lease_until = now() + $2, attempts = q.attempts + 1
          WHERE q.id IN (SELECT q.id FROM %1$s q WHERE q.status = %2$L::%4$s AND q.available_at <= now()%5$s
                          ORDER BY q.available_at, q.id LIMIT $3 FOR UPDATE SKIP LOCKED)
         RETURNING q.id',
        queue, ready, leased, status_type, scope)
    USING worker, lease, n;
END
$$;
COMMENT ON FUNCTION _queue_claim(regclass, text, text, text, text, integer, interval, integer, name, text) IS
    'Internal (work queues): returns expired leases of queue to ready (or dead after max_attempts), then leases up to '
    'n of the oldest due ready rows (where scope_column = scope_value) to worker, without waiting on other claims; '
    'returns their ids';

CREATE FUNCTION _queue_hold(queue regclass, what text, id bigint, worker text, leased text) RETURNS integer
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    row_status text;
    owner      text;
    until      timestamptz;
    tries      integer;
BEGIN
    EXECUTE format('SELECT q.status::text, q.lease_owner, q.lease_until, q.attempts FROM %s q WHERE q.id = $1 FOR UPDATE', queue)
       INTO row_status, owner, until, tries USING id;
    IF row_status IS NULL THEN
        RAISE EXCEPTION '% % does not exist', what, id USING ERRCODE = 'no_data_found';
    END IF;
    IF row_status <> leased THEN
        RAISE EXCEPTION '% % is %, not %', what, id, row_status, leased
            USING ERRCODE = 'MN006',
                  DETAIL = format('Only a leased %s can be reported on; its lease holder was %s.', what, coalesce(owner, 'nobody')),
                  HINT = 'Claim it again if it is back in the queue; a row already done stays done.';
    END IF;
    IF owner IS DISTINCT FROM worker THEN
        RAISE EXCEPTION '% % is leased to %, not to %', what, id, owner, worker
            USING ERRCODE = 'MN005',
                  DETAIL = 'Another worker claimed it after this worker''s lease ran out, or never had it.',
                  HINT = 'Drop the result: the lease holder reports this one.';
    END IF;
    IF until < now() THEN
        RAISE EXCEPTION 'the lease of % % by % ran out at %', what, id, worker, until
            USING ERRCODE = 'MN008',
                  HINT = 'Take leases longer than a delivery takes; this one goes back to the queue at the next claim.';
    END IF;
    RETURN tries;
END
$$;
COMMENT ON FUNCTION _queue_hold(regclass, text, bigint, text, text) IS
    'Internal (work queues): locks row id of queue for its report and returns its attempts so far; P0002 if missing, '
    'MN006 if not leased, MN005 if leased to another worker, MN008 if the lease ran out';
