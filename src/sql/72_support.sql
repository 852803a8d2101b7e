--------------------------------------------------------------------------------
-- Module community, support half (seed 004, seed 001's Issues and
-- StudentQuery): shared resources with comments and search, support tickets
-- with threads only their people and staff read, and working-mother support:
-- proxy cover for a leave (exclusion constraints keep one accepted proxy per
-- leave and one leave per proxy), milestone logs and support chats private to
-- their owner.  Rows are written by the application under row-level security
-- for the acting user (set_actor); what only staff or the other party may
-- change moves through the functions here, guarded by _keep_owned_columns.
--------------------------------------------------------------------------------

CREATE TYPE resource_type AS ENUM ('meditation', 'guidebook', 'story', 'course', 'virtual_session');
COMMENT ON TYPE resource_type IS 'What a shared resource is (seed 004 resource types)';
CREATE TYPE reported_issue_status AS ENUM ('open', 'in_progress', 'resolved');
COMMENT ON TYPE reported_issue_status IS 'Support ticket status (lifecycle "reported_issue"; a resolved ticket can be reopened)';
CREATE TYPE proxy_request_status AS ENUM ('pending', 'accepted', 'rejected', 'completed');
COMMENT ON TYPE proxy_request_status IS 'Proxy request status (lifecycle "proxy_request")';

-- text[] output is immutable; array_to_string is only declared stable because other
-- element types' output may not be.  The generated search column needs an immutable call.
CREATE FUNCTION _words(words text[]) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT pg_catalog.array_to_string(words, ' ') $$;
COMMENT ON FUNCTION _words(text[]) IS 'Internal: the words of a text array joined by spaces (for full-text documents)';

-- Resources ------------------------------------------------------------------

CREATE TABLE resources (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title       text NOT NULL CONSTRAINT resources_title_length CHECK (length(btrim(title)) BETWEEN 1 AND 300),
    description text CONSTRAINT resources_description_length CHECK (length(description) <= 20000),
    type        @extschema@.resource_type NOT NULL,
    uploaded_by bigint REFERENCES users ON DELETE SET NULL,
    url         text CONSTRAINT resources_url_http CHECK (url ~ '^https?://' AND length(url) <= 2000),
    file_path   text CONSTRAINT resources_file_path_length CHECK (length(btrim(file_path)) BETWEEN 1 AND 1000),
    published   boolean NOT NULL DEFAULT false,
    category    text CONSTRAINT resources_category_length CHECK (length(btrim(category)) BETWEEN 1 AND 100),
    tags        text[] NOT NULL DEFAULT '{}'
                CONSTRAINT resources_tags_count CHECK (cardinality(tags) <= 50 AND array_position(tags, NULL) IS NULL),
    search      tsvector GENERATED ALWAYS AS (setweight(to_tsvector('english', title), 'A')
                                              || setweight(to_tsvector('english', @extschema@._words(tags)), 'B')
                                              || setweight(to_tsvector('english', coalesce(description, '')), 'C')) STORED,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT resources_url_or_file CHECK (url IS NOT NULL OR file_path IS NOT NULL)
);
COMMENT ON TABLE resources IS
    'Learning and support materials (seed 004 resources): a URL or an uploaded file path (at least one). Published '
    'ones are read by everyone, unpublished ones by their uploader and staff; the uploader and staff edit them';
COMMENT ON COLUMN resources.file_path IS 'Where the application stored the upload (the file itself is outside the database)';
COMMENT ON COLUMN resources.tags IS 'Free tags (seed 004''s JSON array), searched with the title and description';
COMMENT ON COLUMN resources.search IS 'Full-text document (title, tags, description): WHERE search @@ websearch_to_tsquery(''english'', ...)';
CREATE INDEX resources_search_idx ON resources USING gin (search);
CREATE INDEX resources_published_idx ON resources (type, created_at DESC) WHERE published;
CREATE INDEX resources_uploaded_by_idx ON resources (uploaded_by);
CREATE TRIGGER resources_touch_updated_at BEFORE UPDATE ON resources
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE resource_comments (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    resource_id bigint NOT NULL REFERENCES resources ON DELETE CASCADE,
    user_id     bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    content     text NOT NULL CONSTRAINT resource_comments_content_length CHECK (length(btrim(content)) BETWEEN 1 AND 5000),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE resource_comments IS
    'Comments on resources (seed 004 resourceComments): read by whoever reads the resource; each user writes, edits '
    'and deletes their own (staff delete any)';
CREATE INDEX resource_comments_resource_idx ON resource_comments (resource_id, created_at);
CREATE INDEX resource_comments_user_idx ON resource_comments (user_id);
CREATE TRIGGER resource_comments_touch_updated_at BEFORE UPDATE ON resource_comments
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE FUNCTION _resource_visible(resource_id bigint) RETURNS boolean
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
SELECT EXISTS (SELECT 1 FROM resources r
                WHERE r.id = _resource_visible.resource_id
                  AND (r.published OR r.uploaded_by = current_actor() OR _actor_is_staff()))
$$;
COMMENT ON FUNCTION _resource_visible(bigint) IS 'Internal: the acting user may read the resource (published, theirs, or staff)';

ALTER TABLE resources ENABLE ROW LEVEL SECURITY;
CREATE POLICY resources_select ON resources FOR SELECT TO mentor_app
    USING (published OR uploaded_by = @extschema@.current_actor() OR @extschema@._actor_is_staff());
CREATE POLICY resources_insert ON resources FOR INSERT TO mentor_app
    WITH CHECK (uploaded_by = @extschema@.current_actor());
CREATE POLICY resources_update ON resources FOR UPDATE TO mentor_app
    USING (uploaded_by = @extschema@.current_actor() OR @extschema@._actor_is_staff())
    WITH CHECK (uploaded_by = @extschema@.current_actor() OR @extschema@._actor_is_staff());
CREATE POLICY resources_delete ON resources FOR DELETE TO mentor_app
    USING (uploaded_by = @extschema@.current_actor() OR @extschema@._actor_is_staff());
ALTER TABLE resource_comments ENABLE ROW LEVEL SECURITY;
CREATE POLICY resource_comments_select ON resource_comments FOR SELECT TO mentor_app
    USING (@extschema@._resource_visible(resource_id));
CREATE POLICY resource_comments_insert ON resource_comments FOR INSERT TO mentor_app
    WITH CHECK (user_id = @extschema@.current_actor() AND @extschema@._resource_visible(resource_id));
CREATE POLICY resource_comments_update ON resource_comments FOR UPDATE TO mentor_app
    USING (user_id = @extschema@.current_actor()) WITH CHECK (user_id = @extschema@.current_actor());
CREATE POLICY resource_comments_delete ON resource_comments FOR DELETE TO mentor_app
    USING (user_id = @extschema@.current_actor() OR @extschema@._actor_is_staff());

-- Support tickets ------------------------------------------------------------

CREATE TABLE support_tickets (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    reporter_id bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    kind        text NOT NULL DEFAULT 'issue' CONSTRAINT support_tickets_kind CHECK (kind IN ('issue', 'query')),
    title       text NOT NULL CONSTRAINT support_tickets_title_length CHECK (length(btrim(title)) BETWEEN 1 AND 300),
    description text NOT NULL CONSTRAINT support_tickets_description_length CHECK (length(btrim(description)) BETWEEN 1 AND 20000),
    status      @extschema@.reported_issue_status NOT NULL DEFAULT 'open',
    assignee_id bigint REFERENCES users ON DELETE SET NULL,
    resolved_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT support_tickets_resolved_stamped CHECK ((status = 'resolved') = (resolved_at IS NOT NULL))
);
COMMENT ON TABLE support_tickets IS
    'Problems and questions reported to staff (seed 004 reportedIssues, seed 001 Issues and StudentQuery; lifecycle '
    '"reported_issue"). The reporter opens and edits theirs; staff assign with mentor.assign_ticket(); status moves '
    'with mentor.set_ticket_status(). Read by the reporter, the assignee and staff';
COMMENT ON COLUMN support_tickets.kind IS 'issue (something is wrong, seed 004 / 001 Issues) or query (a question, seed 001 StudentQuery)';
COMMENT ON COLUMN support_tickets.assignee_id IS 'The staff member working on it (an admin, owner or superadmin; anyone else is 22023)';
COMMENT ON COLUMN support_tickets.resolved_at IS 'When it was last resolved (stamped by set_ticket_status; cleared when reopened)';
CREATE INDEX support_tickets_reporter_idx ON support_tickets (reporter_id, created_at DESC);
CREATE INDEX support_tickets_queue_idx ON support_tickets (status, created_at) WHERE status <> 'resolved';
CREATE INDEX support_tickets_assignee_idx ON support_tickets (assignee_id) WHERE assignee_id IS NOT NULL;
CREATE TRIGGER support_tickets_touch_updated_at BEFORE UPDATE ON support_tickets
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER support_tickets_owned_columns BEFORE INSERT OR UPDATE ON support_tickets
    FOR EACH ROW
    EXECUTE FUNCTION _keep_owned_columns('Staff assign with mentor.assign_ticket(); the status moves with mentor.set_ticket_status().',
                                         'status', 'assignee_id', 'resolved_at');
SELECT attach_lifecycle('support_tickets', 'status', 'reported_issue');

-- Whoever writes it (a function, an administrator, a restore), the assignee is staff.
CREATE FUNCTION _support_ticket_assignee() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    IF NEW.assignee_id IS NOT NULL AND NOT _is_staff(NEW.assignee_id) THEN
        RAISE EXCEPTION 'user % is not staff and cannot be assigned ticket %', NEW.assignee_id, NEW.id
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Assign tickets to an active admin, owner or superadmin.';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION _support_ticket_assignee() IS 'Internal: a ticket''s assignee is active staff (22023 otherwise)';
CREATE TRIGGER support_tickets_assignee BEFORE INSERT OR UPDATE OF assignee_id ON support_tickets
    FOR EACH ROW EXECUTE FUNCTION _support_ticket_assignee();

CREATE TABLE ticket_messages (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id  bigint NOT NULL REFERENCES support_tickets ON DELETE CASCADE,
    author_id  bigint REFERENCES users ON DELETE SET NULL,
    body       text NOT NULL CONSTRAINT ticket_messages_body_length CHECK (length(btrim(body)) BETWEEN 1 AND 10000),
    created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE ticket_messages IS
    'A ticket''s thread (seed 004 issueMessages): written and read by the reporter, the assignee and staff only; '
    'never edited (the thread is the record)';
CREATE INDEX ticket_messages_ticket_idx ON ticket_messages (ticket_id, id);

CREATE FUNCTION _ticket_party(ticket_id bigint) RETURNS boolean
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
SELECT EXISTS (SELECT 1 FROM support_tickets t
                WHERE t.id = _ticket_party.ticket_id
                  AND (t.reporter_id = current_actor() OR t.assignee_id = current_actor() OR _actor_is_staff()))
$$;
COMMENT ON FUNCTION _ticket_party(bigint) IS 'Internal: the acting user is the ticket''s reporter, its assignee or staff';

CREATE FUNCTION assign_ticket(ticket_id bigint, assignee_id bigint) RETURNS support_tickets
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    r support_tickets;
BEGIN
    PERFORM _staff_actor('assign tickets');
    UPDATE support_tickets t SET assignee_id = assign_ticket.assignee_id WHERE t.id = assign_ticket.ticket_id
    RETURNING t.* INTO r;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'ticket % does not exist', coalesce(ticket_id::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
    RETURN r;
END
$$;
COMMENT ON FUNCTION assign_ticket(bigint, bigint) IS
    'Staff (the acting user) give a ticket to a staff member, or take it back with NULL; 42501 for anyone else, '
    '22023 for an assignee who is not staff, P0002 for an unknown ticket';

CREATE FUNCTION set_ticket_status(ticket_id bigint, status reported_issue_status) RETURNS support_tickets
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    me bigint := _community_actor();
    t  support_tickets;
BEGIN
    SELECT * INTO t FROM support_tickets x WHERE x.id = set_ticket_status.ticket_id FOR UPDATE;
    IF NOT FOUND OR NOT (t.reporter_id = me OR t.assignee_id IS NOT DISTINCT FROM me OR _is_staff(me)) THEN
        -- Someone else's ticket is as absent as one that does not exist: its existence is not theirs to learn.
        RAISE EXCEPTION 'ticket % does not exist', coalesce(ticket_id::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
    IF t.reporter_id = me AND t.assignee_id IS DISTINCT FROM me AND NOT _is_staff(me) AND status = 'in_progress' THEN
        RAISE EXCEPTION 'the reporter of ticket % resolves or reopens it; staff put it in progress', ticket_id
            USING ERRCODE = 'MN005';
    END IF;
    IF t.status = status THEN
        RETURN t;    -- already there: a retried call changes nothing
    END IF;
    -- The lifecycle (attached to the column) refuses a move it does not have, with MN001.
    UPDATE support_tickets x
       SET status = set_ticket_status.status,
           resolved_at = CASE WHEN set_ticket_status.status = 'resolved' THEN now() END
     WHERE x.id = t.id RETURNING x.* INTO t;
    RETURN t;
END
$$;
COMMENT ON FUNCTION set_ticket_status(bigint, reported_issue_status) IS
    'Moves a ticket along "reported_issue" (open -> in_progress -> resolved, resolved -> open), stamping resolved_at. '
    'Staff and the assignee make any move; the reporter resolves or reopens their own (MN005 for in_progress). The '
    'same status again changes nothing; P0002 for a ticket the acting user is not a party to; MN001 for a move the '
    'lifecycle lacks';

ALTER TABLE support_tickets ENABLE ROW LEVEL SECURITY;
CREATE POLICY support_tickets_select ON support_tickets FOR SELECT TO mentor_app
    USING (reporter_id = @extschema@.current_actor() OR assignee_id = @extschema@.current_actor()
           OR @extschema@._actor_is_staff());
CREATE POLICY support_tickets_insert ON support_tickets FOR INSERT TO mentor_app
    WITH CHECK (reporter_id = @extschema@.current_actor());
CREATE POLICY support_tickets_update ON support_tickets FOR UPDATE TO mentor_app
    USING (reporter_id = @extschema@.current_actor()) WITH CHECK (reporter_id = @extschema@.current_actor());
CREATE POLICY support_tickets_delete ON support_tickets FOR DELETE TO mentor_app
    USING (@extschema@._actor_is_staff());
ALTER TABLE ticket_messages ENABLE ROW LEVEL SECURITY;
CREATE POLICY ticket_messages_select ON ticket_messages FOR SELECT TO mentor_app
    USING (@extschema@._ticket_party(ticket_id));
CREATE POLICY ticket_messages_insert ON ticket_messages FOR INSERT TO mentor_app
    WITH CHECK (author_id = @extschema@.current_actor() AND @extschema@._ticket_party(ticket_id));
CREATE POLICY ticket_messages_update ON ticket_messages FOR UPDATE TO mentor_app USING (false);
CREATE POLICY ticket_messages_delete ON ticket_messages FOR DELETE TO mentor_app USING (false);

-- Working-mother support -----------------------------------------------------

-- A leave is [start_date, actual_end_date or expected_end_date).  Accepted and completed
-- cover counts: one proxy per mother's leave period, one leave per proxy at a time.
CREATE TABLE proxy_requests (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    mother_id         bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    proxy_id          bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    status            @extschema@.proxy_request_status NOT NULL DEFAULT 'pending',
    start_date        timestamptz NOT NULL,
    expected_end_date timestamptz NOT NULL,
    actual_end_date   timestamptz,
    notes             text CONSTRAINT proxy_requests_notes_length CHECK (length(notes) <= 5000),
    leave             tstzrange NOT NULL GENERATED ALWAYS AS
                          (tstzrange(start_date, greatest(start_date, coalesce(actual_end_date, expected_end_date)), '[)')) STORED,
    responded_at      timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT proxy_requests_not_self CHECK (proxy_id <> mother_id),
    CONSTRAINT proxy_requests_dates CHECK (expected_end_date > start_date
                                           AND (actual_end_date IS NULL OR actual_end_date > start_date)),
    CONSTRAINT proxy_requests_completed_stamped CHECK ((status = 'completed') = (actual_end_date IS NOT NULL)),
    CONSTRAINT proxy_requests_one_proxy_per_leave EXCLUDE USING gist (mother_id WITH =, leave WITH &&)
        WHERE (status IN ('accepted', 'completed')),
    CONSTRAINT proxy_requests_one_leave_per_proxy EXCLUDE USING gist (proxy_id WITH =, leave WITH &&)
        WHERE (status IN ('accepted', 'completed'))
);
COMMENT ON TABLE proxy_requests IS
    'Cover for a mother''s leave (seed 004 proxyRequests; lifecycle "proxy_request"): the mother asks a proxy '
    '(INSERT), the proxy accepts or rejects (mentor.respond_proxy_request), either completes it '
    '(mentor.complete_proxy_request). Read by the two of them';
COMMENT ON COLUMN proxy_requests.leave IS 'The period covered: [start_date, actual_end_date, else expected_end_date)';
COMMENT ON COLUMN proxy_requests.actual_end_date IS 'When the cover ended (stamped on completion)';
COMMENT ON COLUMN proxy_requests.responded_at IS 'When the proxy accepted or rejected';
CREATE INDEX proxy_requests_proxy_idx ON proxy_requests (proxy_id, status);
CREATE INDEX proxy_requests_mother_idx ON proxy_requests (mother_id, start_date);
CREATE TRIGGER proxy_requests_touch_updated_at BEFORE UPDATE ON proxy_requests
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER proxy_requests_owned_columns BEFORE INSERT OR UPDATE ON proxy_requests
    FOR EACH ROW
    EXECUTE FUNCTION _keep_owned_columns('The proxy answers with mentor.respond_proxy_request(); cover ends with mentor.complete_proxy_request().',
                                         'status', 'actual_end_date', 'responded_at');
SELECT attach_lifecycle('proxy_requests', 'status', 'proxy_request');

-- A request for a period already covered is refused when it is made, not only when
-- accepted (the exclusion constraints see accepted rows only, so they allow asking).
CREATE FUNCTION _proxy_request_check() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    ends  timestamptz := coalesce(NEW.actual_end_date, NEW.expected_end_date);
    other proxy_requests;
BEGIN
    IF NOT ends > NEW.start_date THEN
        RETURN NEW;    -- proxy_requests_dates reports it
    END IF;
    SELECT * INTO other FROM proxy_requests p
     WHERE p.mother_id = NEW.mother_id AND p.id <> NEW.id AND p.status IN ('accepted', 'completed')
       AND p.leave && tstzrange(NEW.start_date, ends, '[)')
     ORDER BY p.start_date LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'user % already has cover for part of that period (proxy request %)', NEW.mother_id, other.id
            USING ERRCODE = 'exclusion_violation', CONSTRAINT = 'proxy_requests_one_proxy_per_leave',
                  DETAIL = format('User %s is %s as proxy for %s.', other.proxy_id, other.status, other.leave),
                  HINT = 'Ask for a period that does not overlap it, or complete that cover first.';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION _proxy_request_check() IS
    'Internal: a request (or new dates) overlapping the mother''s accepted or completed cover is 23P01 naming it';
CREATE TRIGGER proxy_requests_check BEFORE INSERT OR UPDATE OF start_date, expected_end_date ON proxy_requests
    FOR EACH ROW EXECUTE FUNCTION _proxy_request_check();

CREATE FUNCTION respond_proxy_request(request_id bigint, accept boolean) RETURNS proxy_request_status
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    me bigint := _community_actor();
    r  proxy_requests;
BEGIN
    SELECT * INTO r FROM proxy_requests p WHERE p.id = request_id FOR UPDATE;
    IF NOT FOUND OR me NOT IN (r.mother_id, r.proxy_id) THEN
        RAISE EXCEPTION 'proxy request % does not exist', coalesce(request_id::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
    IF r.proxy_id <> me THEN
        RAISE EXCEPTION 'only the proxy answers proxy request %', request_id USING ERRCODE = 'MN005',
            DETAIL = format('User %s asked user %s; the acting user is %s.', r.mother_id, r.proxy_id, me);
    END IF;
    IF r.status <> 'pending' THEN
        RAISE EXCEPTION 'proxy request % is already %', request_id, r.status USING ERRCODE = 'MN006';
    END IF;
    -- Accepting checks the exclusion constraints: 23P01 names the overlapping cover.
    UPDATE proxy_requests p SET status = CASE WHEN accept THEN 'accepted'::proxy_request_status ELSE 'rejected' END,
                                responded_at = now()
     WHERE p.id = request_id RETURNING p.status INTO r.status;
    RETURN r.status;
END
$$;
COMMENT ON FUNCTION respond_proxy_request(bigint, boolean) IS
    'The proxy accepts or rejects a pending request; MN005 for the mother, MN006 once answered, 23P01 when accepting '
    'would give the mother two proxies or the proxy two leaves at once';

CREATE FUNCTION complete_proxy_request(request_id bigint, ended_at timestamptz DEFAULT now()) RETURNS proxy_requests
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    me bigint := _community_actor();
    r  proxy_requests;
BEGIN
    SELECT * INTO r FROM proxy_requests p WHERE p.id = request_id FOR UPDATE;
    IF NOT FOUND OR me NOT IN (r.mother_id, r.proxy_id) THEN
        RAISE EXCEPTION 'proxy request % does not exist', coalesce(request_id::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
    IF r.status = 'completed' THEN
        RETURN r;    -- a retried completion changes nothing
    END IF;
    IF ended_at IS NULL OR ended_at <= r.start_date THEN
        RAISE EXCEPTION 'cover of proxy request % cannot end at %', request_id, coalesce(ended_at::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('It starts at %s.', r.start_date);
    END IF;
    -- Only accepted cover completes: the lifecycle refuses pending -> completed with MN001.
    UPDATE proxy_requests p SET status = 'completed', actual_end_date = ended_at
     WHERE p.id = request_id RETURNING p.* INTO r;
    RETURN r;
END
$$;
COMMENT ON FUNCTION complete_proxy_request(bigint, timestamptz) IS
    'The mother or the proxy ends accepted cover, stamping actual_end_date (default now; after the start, else '
    '22023). Again changes nothing; MN001 for a request that was never accepted';

ALTER TABLE proxy_requests ENABLE ROW LEVEL SECURITY;
CREATE POLICY proxy_requests_select ON proxy_requests FOR SELECT TO mentor_app
    USING (mother_id = @extschema@.current_actor() OR proxy_id = @extschema@.current_actor());
CREATE POLICY proxy_requests_insert ON proxy_requests FOR INSERT TO mentor_app
    WITH CHECK (mother_id = @extschema@.current_actor());
CREATE POLICY proxy_requests_update ON proxy_requests FOR UPDATE TO mentor_app
    USING (mother_id = @extschema@.current_actor()) WITH CHECK (mother_id = @extschema@.current_actor());
CREATE POLICY proxy_requests_delete ON proxy_requests FOR DELETE TO mentor_app
    USING (mother_id = @extschema@.current_actor() AND status = 'pending');

CREATE TABLE milestone_logs (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    type       text NOT NULL CONSTRAINT milestone_logs_type_length CHECK (length(btrim(type)) BETWEEN 1 AND 50),
    title      text NOT NULL CONSTRAINT milestone_logs_title_length CHECK (length(btrim(title)) BETWEEN 1 AND 300),
    notes      text CONSTRAINT milestone_logs_notes_length CHECK (length(notes) <= 10000),
    date       timestamptz NOT NULL DEFAULT now(),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE milestone_logs IS
    'A new mother''s milestones (seed 004 milestoneLogs): private to their owner, staff included';
COMMENT ON COLUMN milestone_logs.type IS 'The application''s milestone kind (e.g. birth, first_day_back)';
CREATE INDEX milestone_logs_user_idx ON milestone_logs (user_id, date DESC);
CREATE TRIGGER milestone_logs_touch_updated_at BEFORE UPDATE ON milestone_logs
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE support_chats (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    message      text NOT NULL CONSTRAINT support_chats_message_length CHECK (length(btrim(message)) BETWEEN 1 AND 10000),
    is_from_user boolean NOT NULL,
    sentiment    text CONSTRAINT support_chats_sentiment_length CHECK (length(btrim(sentiment)) BETWEEN 1 AND 50),
    created_at   timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE support_chats IS
    'A user''s conversation with the support assistant (seed 004 mentalHealthChats): private to the user, staff '
    'included, and never in history; the application writes the assistant''s replies acting as the user';
COMMENT ON COLUMN support_chats.is_from_user IS 'true: the user wrote it; false: the assistant''s reply';
COMMENT ON COLUMN support_chats.sentiment IS 'The assistant''s reading of the message (free text, e.g. positive, anxious)';
CREATE INDEX support_chats_user_idx ON support_chats (user_id, created_at);

ALTER TABLE milestone_logs ENABLE ROW LEVEL SECURITY;
CREATE POLICY milestone_logs_select ON milestone_logs FOR SELECT TO mentor_app
    USING (user_id = @extschema@.current_actor());
CREATE POLICY milestone_logs_insert ON milestone_logs FOR INSERT TO mentor_app
    WITH CHECK (user_id = @extschema@.current_actor());
CREATE POLICY milestone_logs_update ON milestone_logs FOR UPDATE TO mentor_app
    USING (user_id = @extschema@.current_actor()) WITH CHECK (user_id = @extschema@.current_actor());
CREATE POLICY milestone_logs_delete ON milestone_logs FOR DELETE TO mentor_app
    USING (user_id = @extschema@.current_actor());
ALTER TABLE support_chats ENABLE ROW LEVEL SECURITY;
CREATE POLICY support_chats_select ON support_chats FOR SELECT TO mentor_app
    USING (user_id = @extschema@.current_actor());
CREATE POLICY support_chats_insert ON support_chats FOR INSERT TO mentor_app
    WITH CHECK (user_id = @extschema@.current_actor());
CREATE POLICY support_chats_update ON support_chats FOR UPDATE TO mentor_app USING (false);
CREATE POLICY support_chats_delete ON support_chats FOR DELETE TO mentor_app
    USING (user_id = @extschema@.current_actor());
