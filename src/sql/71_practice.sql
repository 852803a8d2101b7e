--------------------------------------------------------------------------------
-- Module practice: a coding-practice site (seed 003).  Problems and their
-- tags are a catalogue staff keep; submissions wait in a judge queue that
-- external sandboxes drain through claim_submissions / report_submission (the
-- queue mechanism of 15_queue.sql); per-user stats and the rank buckets
-- behind user_rank() follow each judged submission by trigger, so they are
-- never recomputed.  Mock interviews, pair programming, the forum and the
-- news feed complete the model.
--------------------------------------------------------------------------------

INSERT INTO settings (key, shipped, value, description) VALUES
    ('practice.judge_max_attempts', true, '3',
     'How many judge leases a submission gets; when the last one runs out the submission fails'),
    ('practice.collaboration_max_participants', true, '8',
     'At most this many people in a pair-programming session, the host included (a session may set fewer)');

CREATE TYPE problem_difficulty AS ENUM ('easy', 'medium', 'hard');
COMMENT ON TYPE problem_difficulty IS 'How hard a coding problem is; a first solve earns 1, 2 or 3 points';
CREATE TYPE submission_status AS ENUM ('pending', 'compiling', 'running', 'completed', 'failed');
COMMENT ON TYPE submission_status IS 'Where a submission is in the judge queue (lifecycle "submission")';
CREATE TYPE submission_verdict AS ENUM ('accepted', 'wrong_answer', 'time_limit', 'memory_limit', 'runtime_error',
                                        'compile_error');
COMMENT ON TYPE submission_verdict IS 'What the judge found: completed submissions have any but compile_error';
CREATE TYPE interview_type AS ENUM ('technical', 'behavioral', 'coding');
COMMENT ON TYPE interview_type IS 'Kind of mock interview';
CREATE TYPE interview_status AS ENUM ('pending', 'in_progress', 'completed');
COMMENT ON TYPE interview_status IS 'Mock interview status (lifecycle "interview_session")';
CREATE TYPE collaboration_status AS ENUM ('pending', 'active', 'completed');
COMMENT ON TYPE collaboration_status IS 'Pair-programming session status (lifecycle "collaboration_session")';
CREATE TYPE news_type AS ENUM ('job', 'news', 'promotion');
COMMENT ON TYPE news_type IS 'Kind of fetched item: a job post, a news story or a promotion';

-- Problems -------------------------------------------------------------------

CREATE TABLE languages (
    code     text PRIMARY KEY CONSTRAINT languages_code_format CHECK (code ~ '^[a-z][a-z0-9_+#-]{0,29}$'),
    name     text NOT NULL CONSTRAINT languages_name_length CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    compiled boolean NOT NULL DEFAULT false,
    shipped  boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE languages IS 'Programming languages submissions may be written in (a catalogue staff extend)';
COMMENT ON COLUMN languages.compiled IS 'The judge compiles it before running (informational: every claim starts at compiling)';
COMMENT ON COLUMN languages.shipped IS 'Shipped with the extension (not dumped by pg_dump: CREATE EXTENSION makes it)';
SELECT pg_catalog.pg_extension_config_dump('languages', 'WHERE NOT shipped');
INSERT INTO languages (code, name, compiled, shipped) VALUES
    ('python', 'Python 3', false, true),
    ('javascript', 'JavaScript (Node.js)', false, true),
    ('typescript', 'TypeScript', true, true),
    ('java', 'Java', true, true),
    ('cpp', 'C++', true, true),
    ('c', 'C', true, true),
    ('csharp', 'C#', true, true),
    ('go', 'Go', true, true),
    ('rust', 'Rust', true, true),
    ('kotlin', 'Kotlin', true, true),
    ('ruby', 'Ruby', false, true),
    ('sql', 'SQL', false, true);

CREATE TABLE tags (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        citext NOT NULL UNIQUE CONSTRAINT tags_name_length CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    description text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE tags IS 'Problem tags (Dynamic Programming, Greedy, ...), unique case-insensitively';
CREATE TRIGGER tags_touch_updated_at BEFORE UPDATE ON tags
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE problems (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug            text NOT NULL UNIQUE CONSTRAINT problems_slug_format CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) <= 200),
    title           text NOT NULL CONSTRAINT problems_title_length CHECK (length(btrim(title)) BETWEEN 1 AND 300),
    description     text CONSTRAINT problems_description_length CHECK (length(description) <= 100000),
    difficulty      @extschema@.problem_difficulty NOT NULL,
    example_input   text,
    example_output  text,
    constraints     text,
    leetcode_id     integer UNIQUE CONSTRAINT problems_leetcode_id_positive CHECK (leetcode_id > 0),
    creator_id      bigint REFERENCES users ON DELETE SET NULL,
    published       boolean NOT NULL DEFAULT false,
    search          tsvector,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE problems IS
    'Coding problems (seed 003 Problem): staff write them, applications read them; search with '
    'WHERE search @@ websearch_to_tsquery(''english'', ...)';
COMMENT ON COLUMN problems.slug IS 'URL name: lower-case words joined by hyphens, unique';
COMMENT ON COLUMN problems.leetcode_id IS 'The problem''s LeetCode number when imported from there, unique';
COMMENT ON COLUMN problems.published IS 'Shown to users; drafts are false';
COMMENT ON COLUMN problems.search IS 'Full-text document (title, tags, description; kept by trigger)';
CREATE INDEX problems_search_idx ON problems USING gin (search);
CREATE INDEX problems_difficulty_idx ON problems (difficulty) WHERE published;
CREATE TRIGGER problems_touch_updated_at BEFORE UPDATE ON problems
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE problem_tags (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    problem_id bigint NOT NULL REFERENCES problems ON DELETE CASCADE,
    tag_id     bigint NOT NULL REFERENCES tags ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT problem_tags_once UNIQUE (problem_id, tag_id)
);
COMMENT ON TABLE problem_tags IS 'Which tags a problem has (seed 003 ProblemTag), each once';
CREATE INDEX problem_tags_tag_idx ON problem_tags (tag_id);

CREATE FUNCTION _problem_document(problem_id bigint, title text, description text) RETURNS tsvector
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
SELECT setweight(to_tsvector('english', coalesce(title, '')), 'A')
    || setweight(to_tsvector('english', coalesce((SELECT string_agg(t.name::text, ' ' ORDER BY t.name)
                                                    FROM problem_tags pt JOIN tags t ON t.id = pt.tag_id
                                                   WHERE pt.problem_id = _problem_document.problem_id), '')), 'B')
    || setweight(to_tsvector('english', coalesce(description, '')), 'C')
$$;
COMMENT ON FUNCTION _problem_document(bigint, text, text) IS 'Internal: a problem''s full-text document';

CREATE FUNCTION _problems_search() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_TABLE_NAME = 'problems' THEN
        NEW.search := _problem_document(NEW.id, NEW.title, NEW.description);
        RETURN NEW;
    END IF;
    -- A tag added, removed or renamed: the problems it is on search differently.
    IF TG_TABLE_NAME = 'tags' THEN
        UPDATE problems p SET search = p.search    -- the BEFORE trigger above recomputes it
         WHERE p.id IN (SELECT pt.problem_id FROM problem_tags pt WHERE pt.tag_id = NEW.id);
        RETURN NULL;
    END IF;
    UPDATE problems p SET search = p.search
     WHERE p.id = CASE WHEN TG_OP = 'DELETE' THEN OLD.problem_id ELSE NEW.problem_id END;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION _problems_search() IS 'Internal: keeps problems.search as the title, description and tags change';
CREATE TRIGGER problems_search BEFORE INSERT OR UPDATE ON problems
    FOR EACH ROW EXECUTE FUNCTION _problems_search();
CREATE TRIGGER problem_tags_search AFTER INSERT OR DELETE ON problem_tags
    FOR EACH ROW EXECUTE FUNCTION _problems_search();
CREATE TRIGGER tags_search AFTER UPDATE OF name ON tags
    FOR EACH ROW EXECUTE FUNCTION _problems_search();

-- Submissions and the judge queue -------------------------------------------

CREATE TABLE submissions (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    problem_id    bigint NOT NULL REFERENCES problems ON DELETE CASCADE,
    user_id       bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    language_code text NOT NULL REFERENCES languages ON DELETE RESTRICT ON UPDATE CASCADE,
    code          text NOT NULL CONSTRAINT submissions_code_size CHECK (octet_length(code) BETWEEN 1 AND 1048576),
    status        @extschema@.submission_status NOT NULL DEFAULT 'pending',
    verdict       @extschema@.submission_verdict,
    result        text CONSTRAINT submissions_result_size CHECK (octet_length(result) <= 1048576),
    score         numeric(5,2) CONSTRAINT submissions_score_range CHECK (score BETWEEN 0 AND 100),
    execution_ms  integer CONSTRAINT submissions_execution_ms_positive CHECK (execution_ms >= 0),
    memory_kb     integer CONSTRAINT submissions_memory_kb_positive CHECK (memory_kb >= 0),
    time_spent    interval CONSTRAINT submissions_time_spent_positive CHECK (time_spent >= interval '0'),
    submitted_at  timestamptz NOT NULL DEFAULT now(),
    judged_at     timestamptz,
    judged_by     text,
    -- the queue's columns (15_queue.sql)
    lease_owner   text,
    lease_until   timestamptz,
    attempts      integer NOT NULL DEFAULT 0,
    available_at  timestamptz NOT NULL DEFAULT now(),
    last_error    text,
    CONSTRAINT submissions_judged_fields CHECK (status IN ('completed', 'failed')
        OR (verdict IS NULL AND result IS NULL AND score IS NULL AND execution_ms IS NULL AND memory_kb IS NULL
            AND judged_at IS NULL AND judged_by IS NULL)),
    CONSTRAINT submissions_completed_verdict CHECK (status <> 'completed' OR (verdict IS NOT NULL AND verdict <> 'compile_error')),
    CONSTRAINT submissions_compile_error_failed CHECK (verdict <> 'compile_error' OR status = 'failed'),
    CONSTRAINT submissions_failed_verdict CHECK (status <> 'failed' OR verdict IS NULL OR verdict = 'compile_error')
);
COMMENT ON TABLE submissions IS
    'Code submitted for judging (seed 003 Submission), a work queue: judges take them with '
    'mentor.claim_submissions() and report with mentor.report_submission(). Each user sees their own (staff all)';
COMMENT ON COLUMN submissions.code IS 'The submitted code, at most 1 MiB';
COMMENT ON COLUMN submissions.status IS
    'pending (queued), compiling (claimed), running, completed (judged) or failed (compile error, or given up after '
    'practice.judge_max_attempts leases ran out)';
COMMENT ON COLUMN submissions.verdict IS
    'The judge''s verdict, once judged: a completed submission has any but compile_error, a failed one compile_error or none';
COMMENT ON COLUMN submissions.result IS 'The program''s output or the judge''s message, once judged';
COMMENT ON COLUMN submissions.score IS 'Score 0-100 given by the judge (tests passed), once judged';
COMMENT ON COLUMN submissions.time_spent IS 'Time the user spent on the problem before submitting (from the application)';
COMMENT ON COLUMN submissions.judged_by IS 'The worker whose report judged it';
COMMENT ON COLUMN submissions.lease_owner IS 'The worker holding the submission while compiling or running';
COMMENT ON COLUMN submissions.attempts IS 'Leases handed out so far';
COMMENT ON COLUMN submissions.last_error IS 'Why earlier leases did not end in a verdict (a worker''s error, an expired lease)';
CREATE INDEX submissions_queue_idx ON submissions (available_at, id) WHERE status = 'pending';
CREATE INDEX submissions_leases_idx ON submissions (lease_until) WHERE status IN ('compiling', 'running');
CREATE INDEX submissions_user_idx ON submissions (user_id, submitted_at);
CREATE INDEX submissions_problem_idx ON submissions (problem_id);
CREATE TRIGGER submissions_owned_columns BEFORE INSERT OR UPDATE ON submissions
    FOR EACH ROW
    EXECUTE FUNCTION _keep_owned_columns('Submit with status pending and no result; the judge reports through mentor.report_submission().',
                                         'status', 'verdict', 'result', 'score', 'execution_ms', 'memory_kb',
                                         'judged_at', 'judged_by', 'lease_owner', 'lease_until', 'attempts', 'last_error');
SELECT attach_lifecycle('submissions', 'status', 'submission');

ALTER TABLE submissions ENABLE ROW LEVEL SECURITY;
CREATE POLICY submissions_select ON submissions FOR SELECT TO mentor_app
    USING (user_id = @extschema@.current_actor() OR @extschema@._actor_is_staff());
CREATE POLICY submissions_insert ON submissions FOR INSERT TO mentor_app
    WITH CHECK (user_id = @extschema@.current_actor());
CREATE POLICY submissions_update ON submissions FOR UPDATE TO mentor_app USING (false);
CREATE POLICY submissions_delete ON submissions FOR DELETE TO mentor_app USING (false);

CREATE FUNCTION claim_submissions(worker text, n integer DEFAULT 10, lease interval DEFAULT interval '1 minute',
                                  language text DEFAULT NULL)
RETURNS SETOF submissions
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    ids bigint[];
BEGIN
    IF language IS NOT NULL AND NOT EXISTS (SELECT 1 FROM languages l WHERE l.code = claim_submissions.language) THEN
        RAISE EXCEPTION 'unknown language %', quote_literal(language)
            USING ERRCODE = 'invalid_parameter_value', HINT = 'SELECT code FROM mentor.languages lists them.';
    END IF;
    ids := ARRAY(SELECT _queue_claim('submissions', 'pending', 'compiling', 'failed', worker, n, lease,
                                     (setting('practice.judge_max_attempts') #>> '{}')::integer,
                                     CASE WHEN language IS NOT NULL THEN 'language_code' END, language, 'running'));
    RETURN QUERY SELECT q.* FROM submissions q WHERE q.id = ANY (ids) ORDER BY q.available_at, q.id;
END
$$;
COMMENT ON FUNCTION claim_submissions(text, integer, interval, text) IS
    'A judge takes up to n pending submissions (oldest first; of one language if given), each leased to it alone '
    'for lease and moved to compiling; other workers never wait on it. Expired leases go back to the queue first '
    '(failed after practice.judge_max_attempts). 22023 for n outside 1-10000 or a lease outside (0, 1 day]';

CREATE FUNCTION report_submission(id bigint, worker text, status submission_status,
                                  verdict submission_verdict DEFAULT NULL, result text DEFAULT NULL,
                                  score numeric DEFAULT NULL, execution_ms integer DEFAULT NULL,
                                  memory_kb integer DEFAULT NULL, error text DEFAULT NULL)
RETURNS submissions
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    r submissions;
BEGIN
    IF status IS NULL OR status = 'pending' OR status = 'compiling' THEN
        RAISE EXCEPTION 'a judge reports running, completed or failed, not %', coalesce(status::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'A submission is compiling once claimed; report running when it runs, then the verdict.';
    END IF;
    IF status = 'running' AND num_nonnulls(verdict, result, score, execution_ms, memory_kb) > 0 THEN
        RAISE EXCEPTION 'a running submission has no result yet' USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Report the verdict and its figures with status completed or failed.';
    END IF;
    IF status = 'failed' AND verdict IS DISTINCT FROM 'compile_error' AND verdict IS NOT NULL THEN
        RAISE EXCEPTION 'a failed submission has verdict compile_error or none, not %', verdict
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Code that ran is completed, whatever its verdict; failed is for code that did not compile or a judge that broke.';
    END IF;
    IF status = 'completed' AND (verdict IS NULL OR verdict = 'compile_error') THEN
        RAISE EXCEPTION 'a completed submission needs a verdict other than compile_error, not %', coalesce(verdict::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Code that did not compile is reported as failed with verdict compile_error.';
    END IF;
    IF status = 'running' THEN
        UPDATE submissions q SET status = 'running'
         WHERE q.id = report_submission.id AND q.status = 'compiling' AND q.lease_owner = worker AND q.lease_until >= now()
        RETURNING q.* INTO r;
    ELSE
        UPDATE submissions q
           SET status = report_submission.status, verdict = report_submission.verdict,
               result = report_submission.result, score = report_submission.score,
               execution_ms = report_submission.execution_ms, memory_kb = report_submission.memory_kb,
               judged_at = now(), judged_by = worker, lease_owner = NULL, lease_until = NULL,
               last_error = coalesce(error, q.last_error)
         WHERE q.id = report_submission.id AND q.status IN ('compiling', 'running') AND q.lease_owner = worker
           AND q.lease_until >= now()
        RETURNING q.* INTO r;
    END IF;
    IF FOUND THEN
        RETURN r;
    END IF;
    SELECT * INTO r FROM submissions q WHERE q.id = report_submission.id;
    -- Exactly once: the same report again (a worker retrying after a lost reply) changes nothing.
    IF FOUND AND r.judged_by = worker AND r.status = report_submission.status AND r.verdict IS NOT DISTINCT FROM report_submission.verdict
       AND r.score IS NOT DISTINCT FROM report_submission.score THEN
        RETURN r;
    END IF;
    IF FOUND AND r.status = 'running' AND report_submission.status = 'running' AND r.lease_owner = worker
       AND r.lease_until >= now() THEN
        RETURN r;
    END IF;
    IF FOUND AND r.status = 'pending' THEN
        RAISE EXCEPTION 'submission % is pending: it cannot become % before a judge claims it', id, status
            USING ERRCODE = 'MN001', DETAIL = 'Lifecycle "submission": pending -> compiling happens in mentor.claim_submissions().',
                  HINT = 'Claim it with mentor.claim_submissions(), then report.';
    END IF;
    IF FOUND AND r.status IN ('completed', 'failed') AND r.judged_by IS DISTINCT FROM worker THEN
        RAISE EXCEPTION 'submission % was judged by %, not by %', id, coalesce(r.judged_by, 'nobody (it failed in the queue)'),
            coalesce(worker, 'NULL')
            USING ERRCODE = 'MN005', DETAIL = format('It is %s (%s).', r.status, coalesce(r.verdict::text, r.last_error)),
                  HINT = 'Drop the result: a submission is judged once.';
    END IF;
    IF FOUND AND r.judged_by = worker THEN
        RAISE EXCEPTION 'submission % was already judged % (%) by %', id, r.status, coalesce(r.verdict::text, 'no verdict'), worker
            USING ERRCODE = 'MN006', DETAIL = 'A submission is judged once; the first report stands.';
    END IF;
    PERFORM _queue_refuse('submissions', 'submission', report_submission.id, worker, 'compiling', 'running');
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION report_submission(bigint, text, submission_status, submission_verdict, text, numeric, integer, integer, text) IS
    'The judge holding a submission''s lease reports it running, then completed (with its verdict) or failed; the '
    'same final report again returns the row unchanged. MN005 from another worker, MN008 after the lease ran out, '
    'MN001 for a pending submission, MN006 once judged, 22023 for a report that does not fit its status';

-- Stats and ranks ------------------------------------------------------------

CREATE TABLE solved_problems (
    user_id       bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    problem_id    bigint NOT NULL REFERENCES problems ON DELETE CASCADE,
    submission_id bigint NOT NULL,
    solved_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, problem_id)
);
COMMENT ON TABLE solved_problems IS
    'The first accepted submission of each user for each problem (kept by trigger): a problem counts once however '
    'often it is solved';
COMMENT ON COLUMN solved_problems.submission_id IS 'The submission that solved it first';

CREATE TABLE user_stats (
    user_id         bigint PRIMARY KEY REFERENCES users ON DELETE CASCADE,
    problems_solved integer NOT NULL DEFAULT 0,
    easy_solved     integer NOT NULL DEFAULT 0,
    medium_solved   integer NOT NULL DEFAULT 0,
    hard_solved     integer NOT NULL DEFAULT 0,
    score           integer NOT NULL DEFAULT 0,
    attempts        integer NOT NULL DEFAULT 0,
    accepted        integer NOT NULL DEFAULT 0,
    acceptance_rate numeric GENERATED ALWAYS AS (CASE WHEN attempts > 0 THEN round(accepted * 100.0 / attempts, 2) END) STORED,
    score_total     numeric NOT NULL DEFAULT 0,
    scored          integer NOT NULL DEFAULT 0,
    average_score   numeric GENERATED ALWAYS AS (CASE WHEN scored > 0 THEN round(score_total / scored, 2) END) STORED,
    time_spent      interval NOT NULL DEFAULT interval '0',
    last_activity   timestamptz,
    study_plan      jsonb,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE user_stats IS
    'Each user''s coding stats (seed 003 UserStats), kept by trigger as submissions are judged, never recomputed; '
    'the application writes only study_plan. Rank: mentor.user_rank(user_id), mentor.leaderboard';
COMMENT ON COLUMN user_stats.problems_solved IS 'Distinct problems with an accepted submission';
COMMENT ON COLUMN user_stats.score IS 'Points of the solved problems (easy 1, medium 2, hard 3, as rated when solved); ranks ties of problems_solved';
COMMENT ON COLUMN user_stats.attempts IS 'Judged submissions (every verdict, compile errors included)';
COMMENT ON COLUMN user_stats.accepted IS 'Accepted submissions (a problem solved twice counts twice here, once in problems_solved)';
COMMENT ON COLUMN user_stats.acceptance_rate IS 'accepted / attempts in percent';
COMMENT ON COLUMN user_stats.average_score IS 'Average judge score over the judged submissions that had one';
COMMENT ON COLUMN user_stats.time_spent IS 'Sum of the judged submissions'' time_spent';
COMMENT ON COLUMN user_stats.study_plan IS 'Suggestions for the user (JSON the application writes, e.g. from an AI coach)';
CREATE INDEX user_stats_leaderboard_idx ON user_stats (problems_solved DESC, score DESC, user_id);
CREATE TRIGGER user_stats_touch_updated_at BEFORE UPDATE ON user_stats
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER user_stats_owned_columns BEFORE INSERT OR UPDATE ON user_stats
    FOR EACH ROW
    EXECUTE FUNCTION _keep_owned_columns('The stats follow the judged submissions; only study_plan is the application''s.',
                                         'problems_solved', 'easy_solved', 'medium_solved', 'hard_solved', 'score',
                                         'attempts', 'accepted', 'score_total', 'scored', 'time_spent', 'last_activity');

-- How many users share each (problems_solved, score): a rank is one short
-- range of this table, however many users there are.  Users with nothing
-- solved are not counted; they rank after everyone here.
CREATE TABLE user_rank_counts (
    problems_solved integer NOT NULL,
    score           integer NOT NULL,
    users           integer NOT NULL,
    PRIMARY KEY (problems_solved, score)
);
COMMENT ON TABLE user_rank_counts IS
    'Internal (kept by trigger): users per (problems_solved, score), for mentor.user_rank()';
CREATE TABLE user_rank_totals (
    problems_solved integer PRIMARY KEY,
    users           integer NOT NULL
);
COMMENT ON TABLE user_rank_totals IS
    'Internal (kept by trigger): users per problems_solved, for mentor.user_rank()';

-- One user moving from (from_solved, from_score) to (to_solved, to_score) in
-- both counts; 0 problems solved is not counted.  Counts only move up (a
-- first solve), so every judge locks in one order: the lower total, the
-- higher total, the lower bucket, the higher bucket.
CREATE FUNCTION _rank_count_move(from_solved integer, from_score integer, to_solved integer, to_score integer)
RETURNS void
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    IF from_solved > 0 THEN
        UPDATE user_rank_totals c SET users = c.users - 1 WHERE c.problems_solved = from_solved;
    END IF;
    IF to_solved > 0 THEN
        UPDATE user_rank_totals c SET users = c.users + 1 WHERE c.problems_solved = to_solved;
        IF NOT FOUND THEN
            INSERT INTO user_rank_totals AS c VALUES (to_solved, 1)
            ON CONFLICT (problems_solved) DO UPDATE SET users = c.users + 1;
        END IF;
    END IF;
    IF from_solved > 0 THEN
        UPDATE user_rank_counts c SET users = c.users - 1 WHERE c.problems_solved = from_solved AND c.score = from_score;
    END IF;
    IF to_solved > 0 THEN
        UPDATE user_rank_counts c SET users = c.users + 1 WHERE c.problems_solved = to_solved AND c.score = to_score;
        IF NOT FOUND THEN
            INSERT INTO user_rank_counts AS c VALUES (to_solved, to_score, 1)
            ON CONFLICT (problems_solved, score) DO UPDATE SET users = c.users + 1;
        END IF;
    END IF;
END
$$;
COMMENT ON FUNCTION _rank_count_move(integer, integer, integer, integer) IS
    'Internal: moves one user from one (problems solved, score) to another in user_rank_totals and user_rank_counts';

CREATE FUNCTION _submission_judged() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    first_solve boolean := false;
    d           problem_difficulty;
    pts         integer := 0;
    solved      integer;
    total       integer;
BEGIN
    IF NEW.verdict = 'accepted' THEN
        -- The (user, problem) key decides the first solve, also between two judged at once.
        INSERT INTO solved_problems (user_id, problem_id, submission_id, solved_at)
        VALUES (NEW.user_id, NEW.problem_id, NEW.id, NEW.judged_at)
        ON CONFLICT DO NOTHING;
        first_solve := FOUND;
        IF first_solve THEN
            SELECT p.difficulty INTO d FROM problems p WHERE p.id = NEW.problem_id;
            pts := CASE d WHEN 'easy' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END;
        END IF;
    END IF;
    -- The common case is a user with stats: one UPDATE; the first judged submission inserts.
    UPDATE user_stats x
       SET problems_solved = x.problems_solved + first_solve::integer,
           easy_solved = x.easy_solved + (first_solve AND d = 'easy')::integer,
           medium_solved = x.medium_solved + (first_solve AND d = 'medium')::integer,
           hard_solved = x.hard_solved + (first_solve AND d = 'hard')::integer,
           score = x.score + pts,
           attempts = x.attempts + 1,
           accepted = x.accepted + (NEW.verdict = 'accepted')::integer,
           score_total = x.score_total + coalesce(NEW.score, 0),
           scored = x.scored + (NEW.score IS NOT NULL)::integer,
           time_spent = x.time_spent + coalesce(NEW.time_spent, interval '0'),
           last_activity = greatest(x.last_activity, NEW.judged_at)
     WHERE x.user_id = NEW.user_id
    RETURNING x.problems_solved, x.score INTO solved, total;
    IF NOT FOUND THEN
        INSERT INTO user_stats AS x (user_id, problems_solved, easy_solved, medium_solved, hard_solved, score, attempts,
                                     accepted, score_total, scored, time_spent, last_activity)
        VALUES (NEW.user_id, first_solve::integer, (first_solve AND d = 'easy')::integer,
                (first_solve AND d = 'medium')::integer, (first_solve AND d = 'hard')::integer, pts, 1,
                (NEW.verdict = 'accepted')::integer, coalesce(NEW.score, 0), (NEW.score IS NOT NULL)::integer,
                coalesce(NEW.time_spent, interval '0'), NEW.judged_at)
        ON CONFLICT (user_id) DO UPDATE   -- another judge inserted it meanwhile
           SET problems_solved = x.problems_solved + excluded.problems_solved,
               easy_solved = x.easy_solved + excluded.easy_solved,
               medium_solved = x.medium_solved + excluded.medium_solved,
               hard_solved = x.hard_solved + excluded.hard_solved,
               score = x.score + excluded.score,
               attempts = x.attempts + 1,
               accepted = x.accepted + excluded.accepted,
               score_total = x.score_total + excluded.score_total,
               scored = x.scored + excluded.scored,
               time_spent = x.time_spent + excluded.time_spent,
               last_activity = greatest(x.last_activity, excluded.last_activity)
        RETURNING x.problems_solved, x.score INTO solved, total;
    END IF;
    IF first_solve THEN
        PERFORM _rank_count_move(solved - 1, total - pts, solved, total);
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION _submission_judged() IS
    'Internal: counts a judged submission into its user''s stats, and a first solve into solved_problems and the rank counts';
CREATE TRIGGER submissions_judged AFTER UPDATE OF status ON submissions
    FOR EACH ROW WHEN (NEW.verdict IS NOT NULL AND OLD.verdict IS NULL)
    EXECUTE FUNCTION _submission_judged();

CREATE FUNCTION _user_stats_gone() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM _rank_count_move(OLD.problems_solved, OLD.score, 0, 0);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION _user_stats_gone() IS 'Internal: a user''s stats deleted (the user was) leave their rank bucket';
CREATE TRIGGER user_stats_gone AFTER DELETE ON user_stats
    FOR EACH ROW EXECUTE FUNCTION _user_stats_gone();

CREATE FUNCTION user_rank(user_id bigint) RETURNS bigint
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    solved integer := 0;
    pts    integer := 0;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM users u WHERE u.id = user_rank.user_id) THEN
        RAISE EXCEPTION 'user % does not exist', coalesce(user_id::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
    SELECT s.problems_solved, s.score INTO solved, pts FROM user_stats s WHERE s.user_id = user_rank.user_id;
    solved := coalesce(solved, 0);
    pts := coalesce(pts, 0);
    -- Those with more problems solved (a row per count), then those with as many and more points.
    RETURN 1 + coalesce((SELECT sum(t.users) FROM user_rank_totals t WHERE t.problems_solved > solved), 0)
             + coalesce((SELECT sum(c.users) FROM user_rank_counts c WHERE c.problems_solved = solved AND c.score > pts), 0);
END
$$;
COMMENT ON FUNCTION user_rank(bigint) IS
    'A user''s leaderboard rank: by problems solved, then score; equal users share a rank and the next rank skips '
    '(1, 2, 2, 4). Users with nothing solved share the last rank. P0002 for an unknown user';

CREATE VIEW leaderboard AS
SELECT rank() OVER w AS rank, s.user_id, u.username, s.problems_solved, s.score, s.easy_solved, s.medium_solved,
       s.hard_solved, s.acceptance_rate, s.average_score, s.last_activity
  FROM user_stats s
  JOIN users u ON u.id = s.user_id
WINDOW w AS (ORDER BY s.problems_solved DESC, s.score DESC)
 ORDER BY s.problems_solved DESC, s.score DESC, s.user_id;
COMMENT ON VIEW leaderboard IS
    'Users with stats, best first, ranked as mentor.user_rank() ranks them; read the top with LIMIT (the view is '
    'ordered, so SELECT * FROM mentor.leaderboard LIMIT 100 reads 100 rows of an index)';

CREATE TABLE user_stats_daily (
    user_id         bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    day             date NOT NULL,
    problems_solved integer NOT NULL,
    score           integer NOT NULL,
    attempts        integer NOT NULL,
    accepted        integer NOT NULL,
    average_score   numeric,
    time_spent      interval NOT NULL,
    rank            bigint NOT NULL,
    taken_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, day)
);
COMMENT ON TABLE user_stats_daily IS
    'One row per user and day (the seed''s many UserStats entries per user), written by mentor.snapshot_user_stats()';

CREATE FUNCTION snapshot_user_stats(day date DEFAULT current_date) RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    n integer;
BEGIN
    IF day IS NULL THEN
        RAISE EXCEPTION 'a snapshot needs a day' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    INSERT INTO user_stats_daily AS d (user_id, day, problems_solved, score, attempts, accepted, average_score,
                                       time_spent, rank)
    SELECT s.user_id, snapshot_user_stats.day, s.problems_solved, s.score, s.attempts, s.accepted, s.average_score,
           s.time_spent, rank() OVER (ORDER BY s.problems_solved DESC, s.score DESC)
      FROM user_stats s
    ON CONFLICT ON CONSTRAINT user_stats_daily_pkey DO UPDATE
       SET problems_solved = excluded.problems_solved, score = excluded.score, attempts = excluded.attempts,
           accepted = excluded.accepted, average_score = excluded.average_score, time_spent = excluded.time_spent,
           rank = excluded.rank, taken_at = now();
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
COMMENT ON FUNCTION snapshot_user_stats(date) IS
    'Copies every user''s stats and rank into user_stats_daily for day (again on the same day: replaced); returns the rows written';

-- Mock interviews ------------------------------------------------------------

CREATE TABLE interview_sessions (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id        bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    interview_type @extschema@.interview_type NOT NULL,
    status         @extschema@.interview_status NOT NULL DEFAULT 'pending',
    start_at       timestamptz NOT NULL DEFAULT now(),
    end_at         timestamptz,
    feedback       text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT interview_sessions_end_after_start CHECK (end_at > start_at),
    CONSTRAINT interview_sessions_one_at_a_time
        EXCLUDE USING gist (user_id WITH =, tstzrange(start_at, coalesce(end_at, 'infinity')) WITH &&)
);
COMMENT ON TABLE interview_sessions IS
    'Mock interviews (seed 003 InterviewSession, lifecycle "interview_session"): a user is in at most one at a '
    'time (an open one, without end_at, lasts until it ends). Each user reads and writes their own';
COMMENT ON COLUMN interview_sessions.feedback IS 'Feedback after the interview (e.g. AI-generated)';
CREATE TRIGGER interview_sessions_touch_updated_at BEFORE UPDATE ON interview_sessions
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
SELECT attach_lifecycle('interview_sessions', 'status', 'interview_session');

CREATE TABLE interview_questions (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id       bigint NOT NULL REFERENCES interview_sessions ON DELETE CASCADE,
    position         integer NOT NULL CONSTRAINT interview_questions_position_positive CHECK (position > 0),
    question         text NOT NULL CONSTRAINT interview_questions_question_length CHECK (length(btrim(question)) BETWEEN 1 AND 10000),
    answer           text,
    submitted_answer text,
    feedback         text,
    answered_at      timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT interview_questions_order UNIQUE (session_id, position)
);
COMMENT ON TABLE interview_questions IS 'The questions of a mock interview, in order (seed 003 InterviewQuestion)';
COMMENT ON COLUMN interview_questions.answer IS 'The expected answer or a hint';
COMMENT ON COLUMN interview_questions.submitted_answer IS 'What the user answered';
CREATE TRIGGER interview_questions_touch_updated_at BEFORE UPDATE ON interview_questions
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE FUNCTION _own_interview(session_id bigint) RETURNS boolean
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
SELECT EXISTS (SELECT 1 FROM interview_sessions s WHERE s.id = _own_interview.session_id AND s.user_id = current_actor())
$$;
COMMENT ON FUNCTION _own_interview(bigint) IS 'Internal: the interview is the acting user''s';

ALTER TABLE interview_sessions ENABLE ROW LEVEL SECURITY;
CREATE POLICY interview_sessions_select ON interview_sessions FOR SELECT TO mentor_app
    USING (user_id = @extschema@.current_actor());
CREATE POLICY interview_sessions_insert ON interview_sessions FOR INSERT TO mentor_app
    WITH CHECK (user_id = @extschema@.current_actor());
CREATE POLICY interview_sessions_update ON interview_sessions FOR UPDATE TO mentor_app
    USING (user_id = @extschema@.current_actor()) WITH CHECK (user_id = @extschema@.current_actor());
CREATE POLICY interview_sessions_delete ON interview_sessions FOR DELETE TO mentor_app
    USING (user_id = @extschema@.current_actor());
ALTER TABLE interview_questions ENABLE ROW LEVEL SECURITY;
CREATE POLICY interview_questions_select ON interview_questions FOR SELECT TO mentor_app
    USING (@extschema@._own_interview(session_id));
CREATE POLICY interview_questions_insert ON interview_questions FOR INSERT TO mentor_app
    WITH CHECK (@extschema@._own_interview(session_id));
CREATE POLICY interview_questions_update ON interview_questions FOR UPDATE TO mentor_app
    USING (@extschema@._own_interview(session_id)) WITH CHECK (@extschema@._own_interview(session_id));
CREATE POLICY interview_questions_delete ON interview_questions FOR DELETE TO mentor_app
    USING (@extschema@._own_interview(session_id));

-- Pair programming -----------------------------------------------------------

CREATE TABLE collaboration_sessions (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    host_id           bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    title             text CONSTRAINT collaboration_sessions_title_length CHECK (length(btrim(title)) BETWEEN 1 AND 300),
    problem_id        bigint REFERENCES problems ON DELETE SET NULL,
    language_code     text REFERENCES languages ON DELETE SET NULL ON UPDATE CASCADE,
    code              text CONSTRAINT collaboration_sessions_code_size CHECK (octet_length(code) <= 1048576),
    status            @extschema@.collaboration_status NOT NULL DEFAULT 'pending',
    start_at          timestamptz,
    end_at            timestamptz,
    max_participants  integer CONSTRAINT collaboration_sessions_max_positive CHECK (max_participants > 0),
    participant_count integer NOT NULL DEFAULT 0,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT collaboration_sessions_end_after_start CHECK (end_at > start_at)
);
COMMENT ON TABLE collaboration_sessions IS
    'Live pair-programming sessions (seed 003 CollaborationSession, lifecycle "collaboration_session"): the host '
    'is its first participant; only participants read it and write its code (row-level security)';
COMMENT ON COLUMN collaboration_sessions.code IS 'The shared code, at most 1 MiB (NULL until someone writes some)';
COMMENT ON COLUMN collaboration_sessions.max_participants IS
    'At most this many participants, host included (NULL: setting practice.collaboration_max_participants); MN004 past it';
COMMENT ON COLUMN collaboration_sessions.participant_count IS 'Participants now, host included (kept by trigger, exact under concurrent joins)';
CREATE INDEX collaboration_sessions_host_idx ON collaboration_sessions (host_id);
CREATE TRIGGER collaboration_sessions_touch_updated_at BEFORE UPDATE ON collaboration_sessions
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER collaboration_sessions_owned_columns BEFORE INSERT OR UPDATE ON collaboration_sessions
    FOR EACH ROW
    EXECUTE FUNCTION _keep_owned_columns('participant_count follows collaboration_participants; leave it out.',
                                         'participant_count');
SELECT attach_lifecycle('collaboration_sessions', 'status', 'collaboration_session');

CREATE TABLE collaboration_participants (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id bigint NOT NULL REFERENCES collaboration_sessions ON DELETE CASCADE,
    user_id    bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    role       text NOT NULL DEFAULT 'participant'
               CONSTRAINT collaboration_participants_role CHECK (role IN ('host', 'participant')),
    joined_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT collaboration_participants_once UNIQUE (session_id, user_id)
);
COMMENT ON TABLE collaboration_participants IS
    'Who is in a pair-programming session: the host (added with the session) and the people the host adds; each '
    'may leave, the host only by ending or deleting the session';
CREATE INDEX collaboration_participants_user_idx ON collaboration_participants (user_id);

CREATE FUNCTION _collaboration_host_joins() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO collaboration_participants (session_id, user_id, role) VALUES (NEW.id, NEW.host_id, 'host');
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION _collaboration_host_joins() IS 'Internal: a new session''s host is its first participant';
CREATE TRIGGER collaboration_sessions_host_joins AFTER INSERT ON collaboration_sessions
    FOR EACH ROW EXECUTE FUNCTION _collaboration_host_joins();

CREATE FUNCTION _collaboration_participants_count() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    c       collaboration_sessions;
    allowed integer;
BEGIN
    IF TG_OP = 'INSERT' THEN
        -- The session row's lock orders racing joins: each sees the count the one before left.
        SELECT * INTO c FROM collaboration_sessions x WHERE x.id = NEW.session_id FOR UPDATE;
        IF NEW.role = 'host' AND NEW.user_id IS DISTINCT FROM c.host_id THEN
            RAISE EXCEPTION 'user % is not the host of collaboration session %', NEW.user_id, NEW.session_id
                USING ERRCODE = 'MN005', HINT = 'Add other people with role participant.';
        END IF;
        allowed := coalesce(c.max_participants, (setting('practice.collaboration_max_participants') #>> '{}')::integer);
        IF c.participant_count >= allowed THEN
            RAISE EXCEPTION 'collaboration session % is full', NEW.session_id USING ERRCODE = 'MN004',
                DETAIL = format('It has %s of %s places taken.', c.participant_count, allowed),
                HINT = 'Raise max_participants of the session or setting practice.collaboration_max_participants.';
        END IF;
        UPDATE collaboration_sessions x SET participant_count = x.participant_count + 1 WHERE x.id = NEW.session_id;
        RETURN NEW;
    END IF;
    SELECT * INTO c FROM collaboration_sessions x WHERE x.id = OLD.session_id FOR UPDATE;
    IF FOUND AND OLD.user_id = c.host_id THEN
        -- Only the session's own deletion (cascade: the session row is gone by then) removes its host.
        RAISE EXCEPTION 'the host cannot leave collaboration session %', OLD.session_id USING ERRCODE = 'MN006',
            HINT = 'Complete the session, or delete it.';
    END IF;
    UPDATE collaboration_sessions x SET participant_count = x.participant_count - 1 WHERE x.id = OLD.session_id;
    RETURN OLD;
END
$$;
COMMENT ON FUNCTION _collaboration_participants_count() IS
    'Internal: a join checks the session''s maximum (MN004) and counts itself, a leave uncounts itself (not the '
    'host''s: MN006), under the session row''s lock';
CREATE TRIGGER collaboration_participants_join BEFORE INSERT ON collaboration_participants
    FOR EACH ROW EXECUTE FUNCTION _collaboration_participants_count();
CREATE TRIGGER collaboration_participants_leave BEFORE DELETE ON collaboration_participants
    FOR EACH ROW EXECUTE FUNCTION _collaboration_participants_count();

CREATE FUNCTION _in_collaboration(session_id bigint) RETURNS boolean
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
SELECT EXISTS (SELECT 1 FROM collaboration_participants p
                WHERE p.session_id = _in_collaboration.session_id AND p.user_id = current_actor())
$$;
COMMENT ON FUNCTION _in_collaboration(bigint) IS 'Internal: the acting user takes part in the collaboration session';

CREATE FUNCTION _collaboration_host(session_id bigint) RETURNS bigint
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$ SELECT c.host_id FROM collaboration_sessions c WHERE c.id = _collaboration_host.session_id $$;
COMMENT ON FUNCTION _collaboration_host(bigint) IS 'Internal: the host of a collaboration session';

ALTER TABLE collaboration_sessions ENABLE ROW LEVEL SECURITY;
CREATE POLICY collaboration_sessions_select ON collaboration_sessions FOR SELECT TO mentor_app
    USING (host_id = @extschema@.current_actor() OR @extschema@._in_collaboration(id));
CREATE POLICY collaboration_sessions_insert ON collaboration_sessions FOR INSERT TO mentor_app
    WITH CHECK (host_id = @extschema@.current_actor());
CREATE POLICY collaboration_sessions_update ON collaboration_sessions FOR UPDATE TO mentor_app
    USING (@extschema@._in_collaboration(id)) WITH CHECK (host_id = @extschema@._collaboration_host(id));
CREATE POLICY collaboration_sessions_delete ON collaboration_sessions FOR DELETE TO mentor_app
    USING (host_id = @extschema@.current_actor());
ALTER TABLE collaboration_participants ENABLE ROW LEVEL SECURITY;
CREATE POLICY collaboration_participants_select ON collaboration_participants FOR SELECT TO mentor_app
    USING (@extschema@._in_collaboration(session_id));
CREATE POLICY collaboration_participants_insert ON collaboration_participants FOR INSERT TO mentor_app
    WITH CHECK (@extschema@._collaboration_host(session_id) = @extschema@.current_actor() AND role = 'participant');
CREATE POLICY collaboration_participants_update ON collaboration_participants FOR UPDATE TO mentor_app USING (false);
CREATE POLICY collaboration_participants_delete ON collaboration_participants FOR DELETE TO mentor_app
    USING (user_id = @extschema@.current_actor() OR @extschema@._collaboration_host(session_id) = @extschema@.current_actor());

-- Forum ----------------------------------------------------------------------

CREATE TABLE forum_posts (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    author_id        bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    title            text NOT NULL CONSTRAINT forum_posts_title_length CHECK (length(btrim(title)) BETWEEN 1 AND 300),
    content          text NOT NULL CONSTRAINT forum_posts_content_length CHECK (length(btrim(content)) BETWEEN 1 AND 100000),
    comment_count    integer NOT NULL DEFAULT 0,
    last_activity_at timestamptz NOT NULL DEFAULT now(),
    hidden           boolean NOT NULL DEFAULT false,
    hidden_by        bigint REFERENCES users ON DELETE SET NULL,
    hidden_reason    text,
    search           tsvector GENERATED ALWAYS AS (setweight(to_tsvector('english', title), 'A')
                                                   || setweight(to_tsvector('english', content), 'B')) STORED,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE forum_posts IS
    'Forum posts (seed 003 ForumPost): everyone reads them (hidden ones: their author and staff), an author edits '
    'and deletes only their own; staff hide with mentor.hide_forum_post()';
COMMENT ON COLUMN forum_posts.comment_count IS 'Visible comments (kept by trigger)';
COMMENT ON COLUMN forum_posts.last_activity_at IS 'When the post or its latest comment was written (kept by trigger)';
COMMENT ON COLUMN forum_posts.hidden IS 'Hidden by a moderator (staff); see hidden_by, hidden_reason';
COMMENT ON COLUMN forum_posts.search IS 'Full-text document (title, content)';
CREATE INDEX forum_posts_search_idx ON forum_posts USING gin (search);
CREATE INDEX forum_posts_activity_idx ON forum_posts (last_activity_at DESC) WHERE NOT hidden;
CREATE INDEX forum_posts_author_idx ON forum_posts (author_id);
CREATE TRIGGER forum_posts_touch_updated_at BEFORE UPDATE OF title, content ON forum_posts
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER forum_posts_owned_columns BEFORE INSERT OR UPDATE ON forum_posts
    FOR EACH ROW
    EXECUTE FUNCTION _keep_owned_columns('Counts and activity follow the comments; moderators hide with mentor.hide_forum_post().',
                                         'comment_count', 'last_activity_at', 'hidden', 'hidden_by', 'hidden_reason');

CREATE TABLE forum_comments (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    post_id       bigint NOT NULL REFERENCES forum_posts ON DELETE CASCADE,
    author_id     bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    content       text NOT NULL CONSTRAINT forum_comments_content_length CHECK (length(btrim(content)) BETWEEN 1 AND 20000),
    hidden        boolean NOT NULL DEFAULT false,
    hidden_by     bigint REFERENCES users ON DELETE SET NULL,
    search        tsvector GENERATED ALWAYS AS (to_tsvector('english', content)) STORED,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE forum_comments IS
    'Comments on forum posts (seed 003 PostComment): the author edits and deletes their own; staff hide them';
CREATE INDEX forum_comments_post_idx ON forum_comments (post_id, created_at);
CREATE INDEX forum_comments_search_idx ON forum_comments USING gin (search);
CREATE TRIGGER forum_comments_touch_updated_at BEFORE UPDATE OF content ON forum_comments
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER forum_comments_owned_columns BEFORE INSERT OR UPDATE ON forum_comments
    FOR EACH ROW
    EXECUTE FUNCTION _keep_owned_columns('Moderators hide comments with mentor.hide_forum_comment().', 'hidden', 'hidden_by');

CREATE FUNCTION _forum_comments_count() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    delta integer;
BEGIN
    delta := CASE TG_OP
        WHEN 'INSERT' THEN (NOT NEW.hidden)::integer
        WHEN 'DELETE' THEN -(NOT OLD.hidden)::integer
        ELSE (NOT NEW.hidden)::integer - (NOT OLD.hidden)::integer END;
    -- One UPDATE of the post row: racing comments queue on its lock and each adds its own one.
    UPDATE forum_posts p
       SET comment_count = p.comment_count + delta,
           last_activity_at = CASE WHEN TG_OP = 'INSERT' THEN greatest(p.last_activity_at, NEW.created_at)
                                   ELSE p.last_activity_at END
     WHERE p.id = CASE WHEN TG_OP = 'DELETE' THEN OLD.post_id ELSE NEW.post_id END
       AND (delta <> 0 OR TG_OP = 'INSERT');
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION _forum_comments_count() IS 'Internal: keeps forum_posts.comment_count and last_activity_at';
CREATE TRIGGER forum_comments_count AFTER INSERT OR DELETE OR UPDATE OF hidden ON forum_comments
    FOR EACH ROW EXECUTE FUNCTION _forum_comments_count();

CREATE FUNCTION hide_forum_post(post_id bigint, hide boolean DEFAULT true, reason text DEFAULT NULL) RETURNS forum_posts
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    me bigint := _staff_actor('moderate the forum');
    r  forum_posts;
BEGIN
    UPDATE forum_posts p SET hidden = hide, hidden_by = CASE WHEN hide THEN me END,
                             hidden_reason = CASE WHEN hide THEN reason END
     WHERE p.id = post_id RETURNING p.* INTO r;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'forum post % does not exist', coalesce(post_id::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
    RETURN r;
END
$$;
COMMENT ON FUNCTION hide_forum_post(bigint, boolean, text) IS
    'A moderator (the acting user, staff) hides a forum post, or shows it again with hide => false; 42501 for anyone else';

CREATE FUNCTION hide_forum_comment(comment_id bigint, hide boolean DEFAULT true) RETURNS forum_comments
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    me bigint := _staff_actor('moderate the forum');
    r  forum_comments;
BEGIN
    UPDATE forum_comments c SET hidden = hide, hidden_by = CASE WHEN hide THEN me END
     WHERE c.id = comment_id RETURNING c.* INTO r;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'forum comment % does not exist', coalesce(comment_id::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
    RETURN r;
END
$$;
COMMENT ON FUNCTION hide_forum_comment(bigint, boolean) IS
    'A moderator (the acting user, staff) hides a comment (it leaves the post''s comment_count), or shows it again';

CREATE FUNCTION _forum_post_visible(post_id bigint) RETURNS boolean
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$ SELECT EXISTS (SELECT 1 FROM forum_posts p WHERE p.id = _forum_post_visible.post_id AND NOT p.hidden) $$;
COMMENT ON FUNCTION _forum_post_visible(bigint) IS 'Internal: the post exists and is not hidden';

ALTER TABLE forum_posts ENABLE ROW LEVEL SECURITY;
CREATE POLICY forum_posts_select ON forum_posts FOR SELECT TO mentor_app
    USING (NOT hidden OR author_id = @extschema@.current_actor() OR @extschema@._actor_is_staff());
CREATE POLICY forum_posts_insert ON forum_posts FOR INSERT TO mentor_app
    WITH CHECK (author_id = @extschema@.current_actor());
CREATE POLICY forum_posts_update ON forum_posts FOR UPDATE TO mentor_app
    USING (author_id = @extschema@.current_actor()) WITH CHECK (author_id = @extschema@.current_actor());
CREATE POLICY forum_posts_delete ON forum_posts FOR DELETE TO mentor_app
    USING (author_id = @extschema@.current_actor());
ALTER TABLE forum_comments ENABLE ROW LEVEL SECURITY;
CREATE POLICY forum_comments_select ON forum_comments FOR SELECT TO mentor_app
    USING ((NOT hidden AND @extschema@._forum_post_visible(post_id)) OR author_id = @extschema@.current_actor()
           OR @extschema@._actor_is_staff());
CREATE POLICY forum_comments_insert ON forum_comments FOR INSERT TO mentor_app
    WITH CHECK (author_id = @extschema@.current_actor() AND @extschema@._forum_post_visible(post_id));
CREATE POLICY forum_comments_update ON forum_comments FOR UPDATE TO mentor_app
    USING (author_id = @extschema@.current_actor()) WITH CHECK (author_id = @extschema@.current_actor());
CREATE POLICY forum_comments_delete ON forum_comments FOR DELETE TO mentor_app
    USING (author_id = @extschema@.current_actor());

-- Tech news and job posts ----------------------------------------------------

CREATE TABLE news_sources (
    code    text PRIMARY KEY CONSTRAINT news_sources_code_format CHECK (code ~ '^[a-z][a-z0-9_]{0,39}$'),
    name    text NOT NULL CONSTRAINT news_sources_name_length CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    url     text CONSTRAINT news_sources_url_http CHECK (url ~ '^https?://'),
    shipped boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE news_sources IS 'Where news and job posts are fetched from (a catalogue staff extend)';
COMMENT ON COLUMN news_sources.shipped IS 'Shipped with the extension (not dumped by pg_dump: CREATE EXTENSION makes it)';
SELECT pg_catalog.pg_extension_config_dump('news_sources', 'WHERE NOT shipped');
INSERT INTO news_sources (code, name, url, shipped) VALUES
    ('linkedin', 'LinkedIn', 'https://www.linkedin.com', true),
    ('indeed', 'Indeed', 'https://www.indeed.com', true),
    ('codechef', 'CodeChef', 'https://www.codechef.com', true);

CREATE TABLE news_items (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source_code  text NOT NULL REFERENCES news_sources ON DELETE RESTRICT ON UPDATE CASCADE,
    type         @extschema@.news_type NOT NULL,
    title        text NOT NULL CONSTRAINT news_items_title_length CHECK (length(btrim(title)) BETWEEN 1 AND 500),
    content      text CONSTRAINT news_items_content_length CHECK (length(content) <= 200000),
    url          text NOT NULL UNIQUE CONSTRAINT news_items_url_http CHECK (url ~ '^https?://' AND length(url) <= 2000),
    published_at timestamptz,
    fetched_at   timestamptz NOT NULL DEFAULT now(),
    search       tsvector GENERATED ALWAYS AS (setweight(to_tsvector('english', title), 'A')
                                               || setweight(to_tsvector('english', coalesce(content, '')), 'B')) STORED,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE news_items IS
    'Tech news, job posts and promotions fetched from news_sources (seed 003 TechNews & JobPost); one row per URL: '
    'record with mentor.record_news_item(), which updates the row a second fetch finds';
COMMENT ON COLUMN news_items.fetched_at IS 'When the item was last fetched';
COMMENT ON COLUMN news_items.search IS 'Full-text document (title, content)';
CREATE INDEX news_items_search_idx ON news_items USING gin (search);
CREATE INDEX news_items_type_idx ON news_items (type, fetched_at DESC);
CREATE TRIGGER news_items_touch_updated_at BEFORE UPDATE ON news_items
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE FUNCTION record_news_item(source text, type news_type, title text, url text, content text DEFAULT NULL,
                                 published_at timestamptz DEFAULT NULL) RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    id bigint;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM news_sources s WHERE s.code = record_news_item.source) THEN
        RAISE EXCEPTION 'unknown news source %', coalesce(quote_literal(source), 'NULL')
            USING ERRCODE = 'invalid_parameter_value', HINT = 'SELECT code FROM mentor.news_sources lists them; staff add more.';
    END IF;
    INSERT INTO news_items AS n (source_code, type, title, url, content, published_at)
    VALUES (source, record_news_item.type, record_news_item.title, record_news_item.url, record_news_item.content,
            record_news_item.published_at)
    ON CONFLICT ON CONSTRAINT news_items_url_key DO UPDATE
       SET source_code = excluded.source_code, type = excluded.type, title = excluded.title,
           content = excluded.content, published_at = coalesce(excluded.published_at, n.published_at), fetched_at = now()
    RETURNING n.id INTO id;
    RETURN id;
END
$$;
COMMENT ON FUNCTION record_news_item(text, news_type, text, text, text, timestamptz) IS
    'Records a fetched item: a new URL adds a row, a URL already there updates it (never a duplicate); returns its id';
