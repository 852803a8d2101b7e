--------------------------------------------------------------------------------
-- Module hiring, the candidate pipeline (seed 001 Mr-Hire: Platform,
-- HrPlatformAccount, JobPlatformPosting, QuizTemplate, CandidateQuizResponse,
-- VoiceInterview, VoiceInterviewMessage; journey 4): job posts published on
-- external job boards through linked HR accounts, candidate quizzes graded in
-- the database, voice interviews with an append-only transcript.  Each moves
-- its application along the `candidate` lifecycle, so no step is skipped.
-- The boards' APIs and the voice agent stay outside; their results land here.
--------------------------------------------------------------------------------

CREATE TABLE hr_platforms (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code       text NOT NULL CONSTRAINT hr_platforms_code_once UNIQUE
               CONSTRAINT hr_platforms_code_format CHECK (code ~ '^[a-z][a-z0-9_]{0,39}$'),
    name       text NOT NULL CONSTRAINT hr_platforms_name_length CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    active     boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE hr_platforms IS
    'External job boards (seed 001 Platform: linkedin, naukri, ...) that posts are published on; an inactive one takes '
    'no new postings';
CREATE TRIGGER hr_platforms_touch_updated_at BEFORE UPDATE ON hr_platforms
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE hr_platform_accounts (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    platform_id bigint NOT NULL REFERENCES hr_platforms ON DELETE CASCADE,
    account_ref text NOT NULL CONSTRAINT hr_platform_accounts_ref_length CHECK (length(btrim(account_ref)) BETWEEN 1 AND 200),
    connected   boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT hr_platform_accounts_once UNIQUE (platform_id, account_ref)
);
COMMENT ON TABLE hr_platform_accounts IS
    'A recruiter''s linked account on a job board (seed 001 HrPlatformAccount), once per board and account; its OAuth '
    'token is never stored here but encrypted by mentor.store_token(user_id, <board code>, ..., account_ref => '
    'account_ref), which keeps one token per user, provider and account';
COMMENT ON COLUMN hr_platform_accounts.connected IS 'false once the recruiter unlinks it: it takes no new postings';
CREATE INDEX hr_platform_accounts_user_idx ON hr_platform_accounts (user_id);
CREATE TRIGGER hr_platform_accounts_touch_updated_at BEFORE UPDATE ON hr_platform_accounts
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE job_platform_postings (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_post_id bigint NOT NULL REFERENCES job_posts ON DELETE CASCADE,
    account_id  bigint NOT NULL REFERENCES hr_platform_accounts ON DELETE CASCADE,
    status      text NOT NULL DEFAULT 'pending'
                CONSTRAINT job_platform_postings_status CHECK (status IN ('pending', 'posted', 'failed', 'removed')),
    external_id text,
    url         text CONSTRAINT job_platform_postings_url_http CHECK (url ~ '^https?://'),
    error       text CONSTRAINT job_platform_postings_error_length CHECK (length(error) <= 5000),
    attempts    integer NOT NULL DEFAULT 1,
    posted_at   timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT job_platform_postings_once UNIQUE (job_post_id, account_id),
    CONSTRAINT job_platform_postings_posted_has_id CHECK (status <> 'posted' OR external_id IS NOT NULL)
);
COMMENT ON TABLE job_platform_postings IS
    'A job post published on a board through an HR account (seed 001 JobPlatformPosting), once per post and account; '
    'status pending (queued by post_job), posted or failed (record_job_posting, what the board answered), removed '
    '(remove_job_posting); a failed or removed one is queued again by post_job';
CREATE INDEX job_platform_postings_pending_idx ON job_platform_postings (created_at) WHERE status = 'pending';
CREATE TRIGGER job_platform_postings_touch_updated_at BEFORE UPDATE ON job_platform_postings
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER job_platform_postings_owned
    BEFORE INSERT OR UPDATE OF status, external_id, url, error, attempts, posted_at ON job_platform_postings
    FOR EACH ROW EXECUTE FUNCTION _keep_owned_columns(
        'A posting moves through mentor.post_job(), record_job_posting() and remove_job_posting().',
        'status', 'external_id', 'url', 'error', 'attempts', 'posted_at');

CREATE FUNCTION post_job(job_post_id bigint, account_id bigint) RETURNS job_platform_postings
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    job  job_posts;
    acct record;
    p    job_platform_postings;
BEGIN
    -- The post's share lock: it is not closed while its posting is queued.
    SELECT * INTO job FROM job_posts j WHERE j.id = post_job.job_post_id FOR SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'job post % does not exist', coalesce(job_post_id::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
    IF job.status <> 'active' THEN
        RAISE EXCEPTION 'job post % is %, only an active post is published', job.id, job.status USING ERRCODE = 'MN006',
            HINT = 'Set the post''s status to active first.';
    END IF;
    SELECT a.id, a.connected, pl.code, pl.active INTO acct
      FROM hr_platform_accounts a JOIN hr_platforms pl ON pl.id = a.platform_id
     WHERE a.id = post_job.account_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'HR platform account % does not exist', coalesce(account_id::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
    IF NOT acct.connected OR NOT acct.active THEN
        RAISE EXCEPTION 'HR platform account % cannot publish: %', acct.id,
            CASE WHEN NOT acct.connected THEN 'it is disconnected' ELSE format('platform %s is inactive', acct.code) END
            USING ERRCODE = 'MN006', HINT = 'Link the account again or use another one.';
    END IF;
    INSERT INTO job_platform_postings AS x (job_post_id, account_id) VALUES (job.id, acct.id)
    ON CONFLICT ON CONSTRAINT job_platform_postings_once DO NOTHING
    RETURNING x.* INTO p;
    IF p.id IS NOT NULL THEN
        RETURN p;
    END IF;
    SELECT * INTO p FROM job_platform_postings x WHERE x.job_post_id = job.id AND x.account_id = acct.id FOR UPDATE;
    IF p.status IN ('failed', 'removed') THEN
        UPDATE job_platform_postings x SET status = 'pending', error = NULL, attempts = x.attempts + 1
         WHERE x.id = p.id RETURNING x.* INTO p;
    END IF;
    RETURN p;   -- pending or posted already: the same posting
END
$$;
COMMENT ON FUNCTION post_job(bigint, bigint) IS
    'Queues an active job post for publication through an HR account (pending); again: the same posting, a failed or '
    'removed one queued anew (attempts + 1). MN006 for a post that is not active or an account disconnected or on an '
    'inactive platform';

-- The posting locked for its move (P0002 when there is none).
CREATE FUNCTION _job_posting(posting_id bigint) RETURNS job_platform_postings
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    p job_platform_postings;
BEGIN
    SELECT * INTO p FROM job_platform_postings x WHERE x.id = posting_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'job posting % does not exist', coalesce(posting_id::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
    RETURN p;
END
$$;
COMMENT ON FUNCTION _job_posting(bigint) IS 'Internal: the job posting, locked for its move (P0002 when there is none)';

CREATE FUNCTION record_job_posting(posting_id bigint, external_id text DEFAULT NULL, url text DEFAULT NULL,
                                   error text DEFAULT NULL) RETURNS job_platform_postings
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    p job_platform_postings := _job_posting(posting_id);
BEGIN
    IF p.status = 'posted' AND record_job_posting.error IS NULL AND p.external_id = record_job_posting.external_id THEN
        RETURN p;   -- the board's answer delivered twice
    END IF;
    IF p.status <> 'pending' THEN
        RAISE EXCEPTION 'job posting % is %, not waiting for the board''s answer', p.id, p.status USING ERRCODE = 'MN006',
            HINT = 'Queue it again with mentor.post_job().';
    END IF;
    IF record_job_posting.error IS NULL AND (external_id IS NULL OR btrim(external_id) = '') THEN
        RAISE EXCEPTION 'a posting is recorded with the board''s id for it, or with an error' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    UPDATE job_platform_postings x
       SET status = CASE WHEN record_job_posting.error IS NULL THEN 'posted' ELSE 'failed' END,
           external_id = CASE WHEN record_job_posting.error IS NULL THEN record_job_posting.external_id END,
           url = CASE WHEN record_job_posting.error IS NULL THEN record_job_posting.url END,
           error = record_job_posting.error,
           posted_at = CASE WHEN record_job_posting.error IS NULL THEN now() END
     WHERE x.id = p.id RETURNING x.* INTO p;
    RETURN p;
END
$$;
COMMENT ON FUNCTION record_job_posting(bigint, text, text, text) IS
    'Records what the board answered for a pending posting: posted with its external_id (and url), or failed with the '
    'error; the same success twice returns the posting. MN006 for a posting not pending';

CREATE FUNCTION remove_job_posting(posting_id bigint) RETURNS job_platform_postings
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    p job_platform_postings := _job_posting(posting_id);
BEGIN
    IF p.status IN ('pending', 'posted') THEN
        UPDATE job_platform_postings x SET status = 'removed' WHERE x.id = p.id RETURNING x.* INTO p;
    END IF;
    RETURN p;
END
$$;
COMMENT ON FUNCTION remove_job_posting(bigint) IS
    'Takes a posting off its board (removed; a failed or removed one stays as it is)';

-- Candidate quizzes (seed 001 QuizTemplate, CandidateQuizResponse): questions come from the
-- question bank and are graded like the learners' quizzes, by _grade_answers().
CREATE TABLE quiz_templates (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name               text NOT NULL CONSTRAINT quiz_templates_name_length CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    role               text,
    description        text CONSTRAINT quiz_templates_description_length CHECK (length(description) <= 5000),
    pass_percent       numeric(5,2) NOT NULL DEFAULT 60
                       CONSTRAINT quiz_templates_pass_range CHECK (pass_percent BETWEEN 0 AND 100),
    time_limit_minutes integer NOT NULL DEFAULT 30
                       CONSTRAINT quiz_templates_time_limit_range CHECK (time_limit_minutes BETWEEN 1 AND 1440),
    active             boolean NOT NULL DEFAULT true,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE quiz_templates IS
    'Screening quizzes for candidates (seed 001 QuizTemplate): a role, the pass mark in percent, the time a candidate '
    'has once started; its questions are in quiz_template_questions';
CREATE UNIQUE INDEX quiz_templates_name_once ON quiz_templates (lower(name));
CREATE TRIGGER quiz_templates_touch_updated_at BEFORE UPDATE ON quiz_templates
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE quiz_template_questions (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    template_id bigint NOT NULL REFERENCES quiz_templates ON DELETE CASCADE,
    question_id bigint NOT NULL REFERENCES questions ON DELETE RESTRICT,
    position    integer NOT NULL DEFAULT 0,
    CONSTRAINT quiz_template_questions_once UNIQUE (template_id, question_id)
);
COMMENT ON TABLE quiz_template_questions IS 'The bank questions of a candidate quiz template, in position order';

CREATE TABLE candidate_quiz_responses (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    application_id bigint NOT NULL REFERENCES job_applications ON DELETE CASCADE,
    template_id    bigint NOT NULL REFERENCES quiz_templates ON DELETE RESTRICT,
    invited_at     timestamptz NOT NULL DEFAULT now(),
    expires_at     timestamptz NOT NULL,
    started_at     timestamptz,
    deadline       timestamptz,
    submitted_at   timestamptz,
    answers        jsonb,
    score          numeric(8,2),
    max_score      numeric(8,2),
    percent        numeric(5,2),
    passed         boolean,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT candidate_quiz_responses_once UNIQUE (application_id, template_id)
);
COMMENT ON TABLE candidate_quiz_responses IS
    'A candidate''s quiz (seed 001 CandidateQuizResponse), once per application and template: invited '
    '(invite_candidate_quiz), started (start_candidate_quiz: the time limit runs), submitted and graded '
    '(submit_candidate_quiz); written only by those functions';
COMMENT ON COLUMN candidate_quiz_responses.expires_at IS 'Until when the invitation may be started';
COMMENT ON COLUMN candidate_quiz_responses.deadline IS 'started_at + the template''s time limit: a later submission is MN008';
COMMENT ON COLUMN candidate_quiz_responses.passed IS 'percent >= the template''s pass_percent';
CREATE TRIGGER candidate_quiz_responses_touch_updated_at BEFORE UPDATE ON candidate_quiz_responses
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER candidate_quiz_responses_owned
    BEFORE INSERT OR UPDATE ON candidate_quiz_responses
    FOR EACH ROW EXECUTE FUNCTION _keep_owned_columns(
        'Candidate quizzes move through mentor.invite_candidate_quiz(), start_candidate_quiz() and submit_candidate_quiz().',
        'application_id', 'template_id', 'invited_at', 'expires_at', 'started_at', 'deadline', 'submitted_at', 'answers',
        'score', 'max_score', 'percent', 'passed');

-- The application's row lock serialises its moves; a step it is past already is left alone.
CREATE FUNCTION _job_application_to(application_id bigint, VARIADIC path candidate_status[]) RETURNS job_applications
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    a    job_applications;
    i    integer;
    from_i integer;
BEGIN
    SELECT * INTO a FROM job_applications x WHERE x.id = _job_application_to.application_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'job application % does not exist', coalesce(application_id::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
    -- Walk the path from where the application is on it.  Off the path, only its last step is
    -- tried, so the lifecycle says MN001 with the allowed next states (the first step is where
    -- the path starts, never taken: an application not parsed is not marked parsed here).
    from_i := coalesce(array_position(path, a.status) + 1, array_length(path, 1));
    FOR i IN from_i .. coalesce(array_length(path, 1), 0) LOOP
        UPDATE job_applications x SET status = path[i] WHERE x.id = a.id RETURNING x.* INTO a;
    END LOOP;
    RETURN a;
END
$$;
COMMENT ON FUNCTION _job_application_to(bigint, candidate_status[]) IS
    'Internal: locks an application and moves it along path (its first element the status it starts from) from where '
    'it stands; off the path, MN001 from the lifecycle; P0002 when there is none';

CREATE FUNCTION invite_candidate_quiz(application_id bigint, template_id bigint, valid_for interval DEFAULT '7 days')
RETURNS candidate_quiz_responses
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    a job_applications;
    r candidate_quiz_responses;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM quiz_templates t JOIN quiz_template_questions q ON q.template_id = t.id
                    WHERE t.id = invite_candidate_quiz.template_id AND t.active) THEN
        RAISE EXCEPTION 'quiz template % is not an active template with questions', coalesce(template_id::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Add bank questions in mentor.quiz_template_questions.';
    END IF;
    IF valid_for IS NULL OR valid_for <= interval '0' THEN
        RAISE EXCEPTION 'an invitation is valid for a positive time, not %', coalesce(valid_for::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT * INTO r FROM candidate_quiz_responses x
     WHERE x.application_id = invite_candidate_quiz.application_id AND x.template_id = invite_candidate_quiz.template_id;
    IF FOUND THEN
        RETURN r;   -- invited already
    END IF;
    -- A parsed application is reached out to and invited in one step (journey 4).
    a := _job_application_to(application_id, 'resume_parsed', 'outreach_sent', 'quiz_invited');
    INSERT INTO candidate_quiz_responses AS x (application_id, template_id, expires_at)
    VALUES (a.id, template_id, now() + valid_for)
    ON CONFLICT ON CONSTRAINT candidate_quiz_responses_once DO NOTHING
    RETURNING x.* INTO r;
    IF r.id IS NULL THEN
        SELECT * INTO r FROM candidate_quiz_responses x WHERE x.application_id = a.id AND x.template_id = invite_candidate_quiz.template_id;
    END IF;
    RETURN r;
END
$$;
COMMENT ON FUNCTION invite_candidate_quiz(bigint, bigint, interval) IS
    'Invites a candidate to a quiz template (valid 7 days unless given): a parsed application moves to outreach_sent '
    'and quiz_invited (MN001 from a status the candidate lifecycle does not lead on from); again: the same invitation; '
    '22023 for a template inactive or without questions';

-- The candidate quiz locked for its move: a second submission waits, then finds it submitted.
CREATE FUNCTION _candidate_quiz(response_id bigint) RETURNS candidate_quiz_responses
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    r candidate_quiz_responses;
BEGIN
    SELECT * INTO r FROM candidate_quiz_responses x WHERE x.id = response_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'candidate quiz % does not exist', coalesce(response_id::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
    RETURN r;
END
$$;
COMMENT ON FUNCTION _candidate_quiz(bigint) IS 'Internal: the candidate quiz, locked for its move (P0002 when there is none)';

CREATE FUNCTION start_candidate_quiz(response_id bigint) RETURNS candidate_quiz_responses
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    r candidate_quiz_responses := _candidate_quiz(response_id);
BEGIN
    IF r.started_at IS NOT NULL THEN
        RETURN r;   -- started already: the clock is not reset
    END IF;
    IF r.expires_at < now() THEN
        RAISE EXCEPTION 'the invitation to candidate quiz % expired at %', r.id, r.expires_at USING ERRCODE = 'MN008',
            HINT = 'The hiring team may invite the candidate to another template.';
    END IF;
    UPDATE candidate_quiz_responses x
       SET started_at = now(),
           deadline = now() + make_interval(mins => (SELECT t.time_limit_minutes FROM quiz_templates t WHERE t.id = x.template_id))
     WHERE x.id = r.id RETURNING x.* INTO r;
    RETURN r;
END
$$;
COMMENT ON FUNCTION start_candidate_quiz(bigint) IS
    'The candidate opens their quiz: the template''s time limit starts (deadline); again: unchanged. MN008 after the '
    'invitation expired';

CREATE FUNCTION submit_candidate_quiz(response_id bigint, answers jsonb) RETURNS candidate_quiz_responses
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    r   candidate_quiz_responses := _candidate_quiz(response_id);
    g   record;
    bar numeric;
BEGIN
    IF r.submitted_at IS NOT NULL THEN
        RAISE EXCEPTION 'candidate quiz % was submitted at %', r.id, r.submitted_at USING ERRCODE = 'MN006';
    END IF;
    IF r.started_at IS NULL THEN
        RAISE EXCEPTION 'candidate quiz % is not started', r.id USING ERRCODE = 'MN006',
            HINT = 'Call mentor.start_candidate_quiz() when the candidate opens it.';
    END IF;
    IF r.deadline < now() THEN
        RAISE EXCEPTION 'the time of candidate quiz % ran out at %', r.id, r.deadline USING ERRCODE = 'MN008';
    END IF;
    g := _grade_answers(ARRAY(SELECT q.question_id FROM quiz_template_questions q WHERE q.template_id = r.template_id),
                        answers, format('quiz template %s', r.template_id));
    SELECT t.pass_percent INTO bar FROM quiz_templates t WHERE t.id = r.template_id;
    UPDATE candidate_quiz_responses x
       SET submitted_at = now(), answers = submit_candidate_quiz.answers, score = g.got, max_score = g.total,
           percent = round(100 * g.got / nullif(g.total, 0), 2),
           passed = coalesce(100 * g.got / nullif(g.total, 0), 0) >= bar
     WHERE x.id = r.id RETURNING x.* INTO r;
    -- The application has completed its quizzes when none it was invited to is left open.
    IF NOT EXISTS (SELECT 1 FROM candidate_quiz_responses x WHERE x.application_id = r.application_id AND x.submitted_at IS NULL) THEN
        PERFORM _job_application_to(r.application_id, 'quiz_invited', 'quiz_completed');
    END IF;
    RETURN r;
END
$$;
COMMENT ON FUNCTION submit_candidate_quiz(bigint, jsonb) IS
    'Submits a started candidate quiz ({"<question id>": answer}, as for learners'' quizzes), graded in the database: '
    'score, percent, passed; the application moves to quiz_completed once no quiz it was invited to is open. MN006 '
    'when not started or submitted already (also for a racing second submission), MN008 past the deadline, 22023 for '
    'answers to questions not in the template';

-- Voice interviews (seed 001 VoiceInterview, VoiceInterviewMessage): the AI agent's call is
-- outside; its schedule, outcome and transcript are here.
CREATE TABLE voice_interviews (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    application_id   bigint NOT NULL REFERENCES job_applications ON DELETE CASCADE,
    status           text NOT NULL DEFAULT 'scheduled' CONSTRAINT voice_interviews_status
                     CHECK (status IN ('scheduled', 'in_progress', 'completed', 'failed', 'cancelled')),
    provider         text,
    provider_call_id text,
    scheduled_at     timestamptz NOT NULL,
    started_at       timestamptz,
    ended_at         timestamptz,
    score            numeric(5,2) CONSTRAINT voice_interviews_score_range CHECK (score BETWEEN 0 AND 100),
    summary          text CONSTRAINT voice_interviews_summary_length CHECK (length(summary) <= 20000),
    recording_url    text CONSTRAINT voice_interviews_recording_url_http CHECK (recording_url ~ '^https?://'),
    failure_reason   text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE voice_interviews IS
    'An AI voice interview of a candidate (seed 001 VoiceInterview): scheduled, in_progress, then completed (score, '
    'summary), failed or cancelled; at most one scheduled or in progress per application; moved only by '
    'schedule_voice_interview, start_voice_interview, complete_voice_interview and end_voice_interview';
CREATE UNIQUE INDEX voice_interviews_live_once ON voice_interviews (application_id)
    WHERE status IN ('scheduled', 'in_progress');
CREATE TRIGGER voice_interviews_touch_updated_at BEFORE UPDATE ON voice_interviews
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER voice_interviews_owned BEFORE INSERT OR UPDATE ON voice_interviews
    FOR EACH ROW EXECUTE FUNCTION _keep_owned_columns(
        'A voice interview moves through mentor.schedule_voice_interview(), start_voice_interview(), '
        'complete_voice_interview() and end_voice_interview().',
        'application_id', 'status', 'started_at', 'ended_at', 'score', 'summary', 'recording_url', 'failure_reason');

CREATE FUNCTION _voice_interview(interview_id bigint, action text, VARIADIC allowed text[]) RETURNS voice_interviews
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    v voice_interviews;
BEGIN
    SELECT * INTO v FROM voice_interviews x WHERE x.id = interview_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'voice interview % does not exist', coalesce(interview_id::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
    IF NOT v.status = ANY (allowed) THEN
        RAISE EXCEPTION 'voice interview % is %, it cannot be %', v.id, v.status, action USING ERRCODE = 'MN006',
            HINT = format('Only an interview that is %s can be %s.', array_to_string(allowed, ' or '), action);
    END IF;
    RETURN v;
END
$$;
COMMENT ON FUNCTION _voice_interview(bigint, text, text[]) IS
    'Internal: the voice interview, locked, when its status is one the move starts from (MN006 otherwise, P0002 when none)';

CREATE FUNCTION schedule_voice_interview(application_id bigint, scheduled_at timestamptz, provider text DEFAULT NULL)
RETURNS voice_interviews
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    a job_applications;
    v voice_interviews;
BEGIN
    IF scheduled_at IS NULL THEN
        RAISE EXCEPTION 'a voice interview needs its time' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    a := _job_application_to(application_id, 'quiz_completed', 'voice_interview_scheduled');
    SELECT * INTO v FROM voice_interviews x WHERE x.application_id = a.id AND x.status IN ('scheduled', 'in_progress');
    IF FOUND THEN
        RAISE EXCEPTION 'job application % has voice interview % %', a.id, v.id, replace(v.status, '_', ' ')
            USING ERRCODE = 'MN006', HINT = 'Complete or end it with mentor.end_voice_interview() first.';
    END IF;
    INSERT INTO voice_interviews AS x (application_id, scheduled_at, provider)
    VALUES (a.id, schedule_voice_interview.scheduled_at, schedule_voice_interview.provider)
    RETURNING x.* INTO v;
    RETURN v;
END
$$;
COMMENT ON FUNCTION schedule_voice_interview(bigint, timestamptz, text) IS
    'Schedules a voice interview of a candidate whose quizzes are completed (the application moves to '
    'voice_interview_scheduled; MN001 from a status the candidate lifecycle does not lead on from); after a failed or '
    'cancelled one, schedules another. MN006 while one is scheduled or in progress';

CREATE FUNCTION start_voice_interview(interview_id bigint, provider_call_id text DEFAULT NULL) RETURNS voice_interviews
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    v voice_interviews := _voice_interview(interview_id, 'started', 'scheduled');
BEGIN
    UPDATE voice_interviews x SET status = 'in_progress', started_at = now(),
           provider_call_id = coalesce(start_voice_interview.provider_call_id, x.provider_call_id)
     WHERE x.id = v.id RETURNING x.* INTO v;
    RETURN v;
END
$$;
COMMENT ON FUNCTION start_voice_interview(bigint, text) IS
    'The agent''s call begins: scheduled -> in_progress (MN006 from any other status), with the provider''s call id';

CREATE FUNCTION complete_voice_interview(interview_id bigint, score numeric, summary text DEFAULT NULL,
                                         recording_url text DEFAULT NULL) RETURNS voice_interviews
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    v voice_interviews := _voice_interview(interview_id, 'completed', 'in_progress');
BEGIN
    IF score IS NULL OR score < 0 OR score > 100 THEN
        RAISE EXCEPTION 'voice interview score % is out of range', coalesce(score::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Scores go from 0 to 100.';
    END IF;
    UPDATE voice_interviews x
       SET status = 'completed', ended_at = now(), score = complete_voice_interview.score,
           summary = complete_voice_interview.summary, recording_url = complete_voice_interview.recording_url
     WHERE x.id = v.id RETURNING x.* INTO v;
    PERFORM _job_application_to(v.application_id, 'voice_interview_scheduled', 'voice_interview_completed');
    RETURN v;
END
$$;
COMMENT ON FUNCTION complete_voice_interview(bigint, numeric, text, text) IS
    'The call ended with an outcome: in_progress -> completed with its score (0-100, 22023 otherwise), summary and '
    'recording; the application moves to voice_interview_completed, ready for record_screening. MN006 from any other status';

CREATE FUNCTION end_voice_interview(interview_id bigint, outcome text, reason text DEFAULT NULL) RETURNS voice_interviews
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    v voice_interviews;
BEGIN
    IF outcome IS NULL OR outcome NOT IN ('failed', 'cancelled') THEN
        RAISE EXCEPTION 'an interview ends failed or cancelled, not %', coalesce(outcome, 'NULL')
            USING ERRCODE = 'invalid_parameter_value', HINT = 'A finished call is recorded by mentor.complete_voice_interview().';
    END IF;
    -- A call that began can fail, not be cancelled.
    v := CASE outcome WHEN 'failed' THEN _voice_interview(interview_id, outcome, 'scheduled', 'in_progress')
                      ELSE _voice_interview(interview_id, outcome, 'scheduled') END;
    UPDATE voice_interviews x SET status = outcome, ended_at = now(), failure_reason = reason
     WHERE x.id = v.id RETURNING x.* INTO v;
    RETURN v;
END
$$;
COMMENT ON FUNCTION end_voice_interview(bigint, text, text) IS
    'Ends an interview without an outcome: failed (scheduled or in progress) or cancelled (scheduled only), with the '
    'reason; the application stays voice_interview_scheduled for another. MN006 from any other status';

CREATE TABLE voice_interview_messages (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    interview_id bigint NOT NULL REFERENCES voice_interviews ON DELETE CASCADE,
    turn         integer NOT NULL CONSTRAINT voice_interview_messages_turn_positive CHECK (turn >= 1),
    speaker      text NOT NULL CONSTRAINT voice_interview_messages_speaker CHECK (speaker IN ('agent', 'candidate')),
    body         text NOT NULL CONSTRAINT voice_interview_messages_body_length CHECK (length(body) BETWEEN 1 AND 20000),
    spoken_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT voice_interview_messages_turn_once UNIQUE (interview_id, turn)
);
COMMENT ON TABLE voice_interview_messages IS
    'The transcript of a voice interview (seed 001 VoiceInterviewMessage), one row per turn: append-only (nobody '
    'updates or deletes a turn; they go with their interview), added only while the interview is scheduled or in '
    'progress (MN006); kept out of history, being never changed';

CREATE FUNCTION _voice_interview_message_open() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    st text;
BEGIN
    -- The interview's share lock: it does not complete while a turn is being added.
    SELECT v.status INTO st FROM voice_interviews v WHERE v.id = NEW.interview_id FOR SHARE;
    IF st IS NOT NULL AND st NOT IN ('scheduled', 'in_progress') THEN
        RAISE EXCEPTION 'voice interview % is %, its transcript is closed', NEW.interview_id, st USING ERRCODE = 'MN006';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION _voice_interview_message_open() IS 'Internal: a transcript turn is added only to an interview not ended';
CREATE TRIGGER voice_interview_messages_open BEFORE INSERT ON voice_interview_messages
    FOR EACH ROW EXECUTE FUNCTION _voice_interview_message_open();
