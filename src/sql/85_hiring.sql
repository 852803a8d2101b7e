--------------------------------------------------------------------------------
-- Module hiring, first part (seed 001 Mr-Hire: JobPost, JobScreeningConfig,
-- JobApplication, ResumeAnalysis, ScreeningResult, SalaryBenchmark; journey 4):
-- job posts under the `job_post` lifecycle, applications under `candidate`
-- (one per job and email, in any case), the resume analysis that marks an
-- application parsed, and record_screening(), which stores the verdict and
-- routes the candidate by the job's threshold in one step.  The AI parts (the
-- parser, the screening model) stay outside; their results land here.
--------------------------------------------------------------------------------

CREATE TYPE job_post_status AS ENUM ('draft', 'active', 'paused', 'closed');
COMMENT ON TYPE job_post_status IS 'A job post''s status (lifecycle "job_post")';
CREATE TYPE candidate_status AS ENUM ('resume_received', 'resume_parsed', 'outreach_sent', 'quiz_invited',
                                      'quiz_completed', 'voice_interview_scheduled', 'voice_interview_completed',
                                      'scoring_complete', 'shortlisted', 'talent_pool');
COMMENT ON TYPE candidate_status IS 'A job application''s status (lifecycle "candidate")';

-- Job templates (seed 001 JobTemplate): a recruiter's reusable post, copied into a draft post.
CREATE TABLE job_templates (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner_id    bigint REFERENCES users ON DELETE CASCADE,
    name        text NOT NULL CONSTRAINT job_templates_name_length CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    title       text NOT NULL CONSTRAINT job_templates_title_length CHECK (length(btrim(title)) BETWEEN 1 AND 200),
    company     text CONSTRAINT job_templates_company_length CHECK (length(company) <= 200),
    description text CONSTRAINT job_templates_description_length CHECK (length(description) <= 50000),
    roles       text[] NOT NULL DEFAULT '{}',
    skills      text[] NOT NULL DEFAULT '{}',
    location    text,
    salary_min  numeric(12,2) CONSTRAINT job_templates_salary_min_nonneg CHECK (salary_min >= 0),
    salary_max  numeric(12,2),
    currency    text NOT NULL DEFAULT 'INR' CONSTRAINT job_templates_currency CHECK (currency ~ '^[A-Z]{3}$'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT job_templates_salary_band CHECK (salary_max >= salary_min)
);
COMMENT ON TABLE job_templates IS
    'Reusable job posts (seed 001 JobTemplate): a name, unique per owner (NULL: the whole hiring team''s), and the '
    'fields job_post_from_template() copies into a new draft post';
-- NULLS NOT DISTINCT: one "Backend engineer" among the team-wide templates too.
CREATE UNIQUE INDEX job_templates_name_once ON job_templates (owner_id, lower(name)) NULLS NOT DISTINCT;
CREATE TRIGGER job_templates_touch_updated_at BEFORE UPDATE ON job_templates
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE job_posts (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title       text NOT NULL CONSTRAINT job_posts_title_length CHECK (length(btrim(title)) BETWEEN 1 AND 200),
    company     text CONSTRAINT job_posts_company_length CHECK (length(company) <= 200),
    description text CONSTRAINT job_posts_description_length CHECK (length(description) <= 50000),
    roles       text[] NOT NULL DEFAULT '{}',
    skills      text[] NOT NULL DEFAULT '{}',
    location    text,
    salary_min  numeric(12,2) CONSTRAINT job_posts_salary_min_nonneg CHECK (salary_min >= 0),
    salary_max  numeric(12,2),
    currency    text NOT NULL DEFAULT 'INR' CONSTRAINT job_posts_currency CHECK (currency ~ '^[A-Z]{3}$'),
    status      @extschema@.job_post_status NOT NULL DEFAULT 'draft',
    platform    text NOT NULL DEFAULT 'mas' CONSTRAINT job_posts_platform CHECK (platform ~ '^[a-z][a-z0-9_]{0,39}$'),
    created_by  bigint REFERENCES users ON DELETE SET NULL,
    template_id bigint REFERENCES job_templates ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT job_posts_salary_band CHECK (salary_max >= salary_min)
);
COMMENT ON TABLE job_posts IS
    'Job openings (seed 001 JobPost): roles, skills, salary band (min <= max), status under lifecycle job_post, the '
    'tenant platform; written by the hiring team through the application';
COMMENT ON COLUMN job_posts.platform IS 'Seed 001''s multi-tenant platform column (which product or tenant posts it)';
CREATE INDEX job_posts_status_idx ON job_posts (status, platform);
CREATE TRIGGER job_posts_touch_updated_at BEFORE UPDATE ON job_posts
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
SELECT attach_lifecycle('job_posts', 'status', 'job_post');
COMMENT ON COLUMN job_posts.template_id IS 'The job template it was made from (job_post_from_template), if any';

CREATE FUNCTION job_post_from_template(template_id bigint, title text DEFAULT NULL, platform text DEFAULT NULL)
RETURNS job_posts
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    t job_templates;
    p job_posts;
BEGIN
    SELECT * INTO t FROM job_templates x WHERE x.id = job_post_from_template.template_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'job template % does not exist', coalesce(template_id::text, 'NULL') USING ERRCODE = 'no_data_found',
            HINT = 'mentor.job_templates lists them.';
    END IF;
    INSERT INTO job_posts AS x (title, company, description, roles, skills, location, salary_min, salary_max, currency,
                                platform, created_by, template_id)
    VALUES (coalesce(job_post_from_template.title, t.title), t.company, t.description, t.roles, t.skills, t.location,
            t.salary_min, t.salary_max, t.currency, coalesce(job_post_from_template.platform, 'mas'), current_actor(), t.id)
    RETURNING x.* INTO p;
    RETURN p;
END
$$;
COMMENT ON FUNCTION job_post_from_template(bigint, text, text) IS
    'A new draft job post copied from a template (its title, or the one given; platform mas unless given), created by '
    'the acting user; P0002 for an unknown template. Runs with the caller''s rights: who may insert posts may use it';

CREATE TABLE job_screening_configs (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_post_id         bigint NOT NULL CONSTRAINT job_screening_configs_once UNIQUE REFERENCES job_posts ON DELETE CASCADE,
    shortlist_threshold numeric(5,2) NOT NULL DEFAULT 70
                        CONSTRAINT job_screening_configs_threshold_range CHECK (shortlist_threshold BETWEEN 0 AND 100),
    model               text,
    config              jsonb NOT NULL DEFAULT '{}'
                        CONSTRAINT job_screening_configs_config_object CHECK (jsonb_typeof(config) = 'object'),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE job_screening_configs IS
    'How a job''s applications are screened (seed 001 JobScreeningConfig): a score at or above shortlist_threshold '
    'shortlists, below it goes to the talent pool (no row: 70)';
CREATE TRIGGER job_screening_configs_touch_updated_at BEFORE UPDATE ON job_screening_configs
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE job_applications (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_post_id     bigint NOT NULL REFERENCES job_posts ON DELETE CASCADE,
    candidate_email @extschema@.email NOT NULL,
    candidate_name  text CONSTRAINT job_applications_name_length CHECK (length(candidate_name) <= 200),
    user_id         bigint REFERENCES users ON DELETE SET NULL,
    status          @extschema@.candidate_status NOT NULL DEFAULT 'resume_received',
    priority        integer NOT NULL DEFAULT 0,
    platform        text NOT NULL DEFAULT 'mas' CONSTRAINT job_applications_platform CHECK (platform ~ '^[a-z][a-z0-9_]{0,39}$'),
    resume_url      text CONSTRAINT job_applications_resume_url_http CHECK (resume_url ~ '^https?://'),
    applied_at      timestamptz NOT NULL DEFAULT now(),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    -- One application per job and email; candidate_email is citext, so in any case.
    CONSTRAINT job_applications_once UNIQUE (job_post_id, candidate_email)
) WITH (fillfactor = 70);
-- An application moves three or more times in its first transaction (parsed, scored, routed):
-- with its status left out of every index and room on the page (fillfactor 70) those updates
-- are HOT, so none of them inserts into the indexes (the email's unique check among them).
COMMENT ON TABLE job_applications IS
    'Candidates'' applications (seed 001 JobApplication), one per job post and email in any case (23505 names '
    'job_applications_once); status under lifecycle candidate, never skipping a step it forbids; not readable by analysts';
COMMENT ON COLUMN job_applications.status IS
    'Lifecycle candidate: resume_received, resume_parsed (set by its resume analysis), ..., scoring_complete, then '
    'shortlisted or talent_pool (set by record_screening)';
COMMENT ON COLUMN job_applications.priority IS 'The recruiter''s ordering (higher first)';
CREATE INDEX job_applications_queue_idx ON job_applications (job_post_id, priority DESC);
CREATE TRIGGER job_applications_touch_updated_at BEFORE UPDATE ON job_applications
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
SELECT attach_lifecycle('job_applications', 'status', 'candidate');

CREATE TABLE resume_analyses (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    application_id   bigint NOT NULL CONSTRAINT resume_analyses_once UNIQUE REFERENCES job_applications ON DELETE CASCADE,
    parsed           jsonb NOT NULL DEFAULT '{}'
                     CONSTRAINT resume_analyses_parsed_object CHECK (jsonb_typeof(parsed) = 'object'),
    skills           text[] NOT NULL DEFAULT '{}',
    years_experience numeric(4,1) CONSTRAINT resume_analyses_years_range CHECK (years_experience BETWEEN 0 AND 80),
    model            text,
    analyzed_at      timestamptz NOT NULL DEFAULT now(),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE resume_analyses IS
    'The parser''s reading of an application''s resume (seed 001 ResumeAnalysis), one per application; inserting it '
    'moves a received application to resume_parsed';
CREATE TRIGGER resume_analyses_touch_updated_at BEFORE UPDATE ON resume_analyses
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE FUNCTION _resume_analysis_parsed() RETURNS trigger
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    UPDATE job_applications a SET status = 'resume_parsed' WHERE a.id = NEW.application_id AND a.status = 'resume_received';
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION _resume_analysis_parsed() IS 'Internal: a received application whose resume is analysed is resume_parsed';
CREATE TRIGGER resume_analyses_parsed AFTER INSERT ON resume_analyses
    FOR EACH ROW EXECUTE FUNCTION _resume_analysis_parsed();

CREATE TABLE screening_results (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    application_id bigint NOT NULL CONSTRAINT screening_results_once UNIQUE REFERENCES job_applications ON DELETE CASCADE,
    score          numeric(5,2) NOT NULL CONSTRAINT screening_results_score_range CHECK (score BETWEEN 0 AND 100),
    threshold      numeric(5,2) NOT NULL,
    verdict        @extschema@.candidate_status NOT NULL
                   CONSTRAINT screening_results_verdict CHECK (verdict IN ('shortlisted', 'talent_pool')),
    model_config   jsonb NOT NULL DEFAULT '{}',
    reasons        jsonb NOT NULL DEFAULT '{}',
    screened_at    timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE screening_results IS
    'The screening verdict of an application (seed 001 ScreeningResult), one per application, written only by '
    'record_screening(): the score, the threshold it was held against, the verdict, the model''s configuration';
CREATE TRIGGER screening_results_owned BEFORE INSERT OR UPDATE ON screening_results
    FOR EACH ROW EXECUTE FUNCTION _keep_owned_columns('Screening results are recorded by mentor.record_screening().',
                                                      'score', 'threshold', 'verdict', 'model_config', 'reasons', 'screened_at');

CREATE FUNCTION record_screening(application_id bigint, score numeric, model_config jsonb DEFAULT '{}',
                                 reasons jsonb DEFAULT '{}') RETURNS screening_results
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    a       job_applications;
    bar     numeric;
    verdict candidate_status;
    saved   screening_results;
BEGIN
    -- The application's row lock: a second screening of it waits, then finds the verdict.
    SELECT * INTO a FROM job_applications x WHERE x.id = record_screening.application_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'job application % does not exist', coalesce(application_id::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
    SELECT * INTO saved FROM screening_results r WHERE r.application_id = a.id;
    IF FOUND THEN
        RETURN saved;   -- one verdict per application: a retry or a racing screening gets it
    END IF;
    IF score IS NULL OR score < 0 OR score > 100 THEN
        RAISE EXCEPTION 'screening score % is out of range', coalesce(score::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Scores go from 0 to 100.';
    END IF;
    bar := coalesce((SELECT c.shortlist_threshold FROM job_screening_configs c WHERE c.job_post_id = a.job_post_id), 70);
    verdict := CASE WHEN score >= bar THEN 'shortlisted' ELSE 'talent_pool' END;
    -- The lifecycle refuses an application not parsed yet (MN001), so nothing is stored for it.
    IF a.status <> 'scoring_complete' THEN
        UPDATE job_applications x SET status = 'scoring_complete' WHERE x.id = a.id;
    END IF;
    UPDATE job_applications x SET status = verdict WHERE x.id = a.id;
    INSERT INTO screening_results AS r (application_id, score, threshold, verdict, model_config, reasons)
    VALUES (a.id, score, bar, verdict, coalesce(model_config, '{}'), coalesce(reasons, '{}'))
    RETURNING r.* INTO saved;
    RETURN saved;
END
$$;
COMMENT ON FUNCTION record_screening(bigint, numeric, jsonb, jsonb) IS
    'Stores an application''s screening (score 0-100, 22023 otherwise) and moves it to scoring_complete and on to '
    'shortlisted (score >= the job''s shortlist_threshold, 70 without a config) or talent_pool, in one step; MN001 '
    'for an application whose resume is not parsed yet. Once per application: a retry or a racing call returns the '
    'verdict recorded';

CREATE TABLE salary_benchmarks (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    role       citext NOT NULL CONSTRAINT salary_benchmarks_role_length CHECK (length(btrim(role)) BETWEEN 1 AND 200),
    region     citext NOT NULL CONSTRAINT salary_benchmarks_region_length CHECK (length(btrim(region)) BETWEEN 1 AND 100),
    currency   text NOT NULL DEFAULT 'INR' CONSTRAINT salary_benchmarks_currency CHECK (currency ~ '^[A-Z]{3}$'),
    p25        numeric(12,2) NOT NULL,
    p50        numeric(12,2) NOT NULL,
    p75        numeric(12,2) NOT NULL,
    as_of      date NOT NULL DEFAULT current_date,
    source     text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT salary_benchmarks_once UNIQUE (role, region, as_of),
    CONSTRAINT salary_benchmarks_percentiles_ordered CHECK (0 <= p25 AND p25 <= p50 AND p50 <= p75)
);
COMMENT ON TABLE salary_benchmarks IS
    'Salary percentiles per role and region as of a date (seed 001 SalaryBenchmark); read with salary_benchmark()';
CREATE TRIGGER salary_benchmarks_touch_updated_at BEFORE UPDATE ON salary_benchmarks
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE FUNCTION salary_benchmark(role text, region text, as_of date DEFAULT current_date) RETURNS salary_benchmarks
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
SELECT b.* FROM salary_benchmarks b
 WHERE lower(b.role::text) = lower(salary_benchmark.role) AND lower(b.region::text) = lower(salary_benchmark.region)
   AND b.as_of <= salary_benchmark.as_of
 ORDER BY b.as_of DESC LIMIT 1
$$;
COMMENT ON FUNCTION salary_benchmark(text, text, date) IS
    'The latest benchmark of a role in a region on or before a date (names in any case); no row when there is none';

-- The talent pool (seed 001 TalentPoolEntry, TalentPoolMatch): candidates screened below a
-- job's bar stay on file and are matched to the next jobs.
CREATE TABLE talent_pool_entries (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    application_id  bigint NOT NULL CONSTRAINT talent_pool_entries_once UNIQUE REFERENCES job_applications ON DELETE CASCADE,
    candidate_email @extschema@.email NOT NULL,
    candidate_name  text,
    skills          text[] NOT NULL DEFAULT '{}',
    expected_salary numeric(12,2) CONSTRAINT talent_pool_entries_salary_nonneg CHECK (expected_salary >= 0),
    available       boolean NOT NULL DEFAULT true,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE talent_pool_entries IS
    'Candidates kept for later jobs (seed 001 TalentPoolEntry): one per application routed to talent_pool, created '
    'with its skills (and expected_salary, when the parser read one) by trigger; available until taken off';
CREATE INDEX talent_pool_entries_available_idx ON talent_pool_entries (available) WHERE available;
CREATE TRIGGER talent_pool_entries_touch_updated_at BEFORE UPDATE ON talent_pool_entries
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE FUNCTION _job_application_pooled() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO talent_pool_entries (application_id, candidate_email, candidate_name, skills, expected_salary)
    SELECT NEW.id, NEW.candidate_email, NEW.candidate_name, coalesce(r.skills, '{}'),
           CASE WHEN jsonb_typeof(r.parsed -> 'expected_salary') = 'number' AND (r.parsed ->> 'expected_salary')::numeric >= 0
                THEN (r.parsed ->> 'expected_salary')::numeric END
      FROM (SELECT 1) one LEFT JOIN resume_analyses r ON r.application_id = NEW.id
    ON CONFLICT ON CONSTRAINT talent_pool_entries_once DO NOTHING;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION _job_application_pooled() IS 'Internal: an application routed to talent_pool puts its candidate in the pool';
CREATE TRIGGER job_applications_pooled AFTER INSERT OR UPDATE OF status ON job_applications
    FOR EACH ROW WHEN (NEW.status = 'talent_pool') EXECUTE FUNCTION _job_application_pooled();

CREATE TABLE talent_pool_matches (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    entry_id    bigint NOT NULL REFERENCES talent_pool_entries ON DELETE CASCADE,
    job_post_id bigint NOT NULL REFERENCES job_posts ON DELETE CASCADE,
    score       numeric(6,4) NOT NULL,
    reasons     jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT talent_pool_matches_once UNIQUE (entry_id, job_post_id)
);
COMMENT ON TABLE talent_pool_matches IS
    'Pool candidates matched to a job (seed 001 TalentPoolMatch) by match_talent_pool(), with the score and why';
CREATE INDEX talent_pool_matches_job_idx ON talent_pool_matches (job_post_id, score DESC);
CREATE TRIGGER talent_pool_matches_touch_updated_at BEFORE UPDATE ON talent_pool_matches
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER talent_pool_matches_owned BEFORE INSERT OR UPDATE ON talent_pool_matches
    FOR EACH ROW EXECUTE FUNCTION _keep_owned_columns('Matches are recorded by mentor.match_talent_pool().', 'score', 'reasons');

-- Skills count 0.7 (the share of the job's skills the candidate has, names in any case; all of
-- them when the job names none), salary 0.3 (1 inside the band or unknown, less the further
-- outside it).
CREATE FUNCTION match_talent_pool(job_post_id bigint, k integer DEFAULT 10) RETURNS SETOF talent_pool_matches
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    j job_posts;
BEGIN
    SELECT * INTO j FROM job_posts x WHERE x.id = match_talent_pool.job_post_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'job post % does not exist', coalesce(job_post_id::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
    IF k IS NULL OR k < 1 OR k > 1000 THEN
        RAISE EXCEPTION 'k must be from 1 to 1000, not %', coalesce(k::text, 'NULL') USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN QUERY
    WITH wanted AS (
        SELECT array_agg(DISTINCT lower(x)) AS skills FROM unnest(j.skills) x
    ), scored AS (
        SELECT e.id, f.skills_share, f.salary_fit, round((0.7 * f.skills_share + 0.3 * f.salary_fit)::numeric, 4) AS score,
               f.matched
          FROM talent_pool_entries e
          JOIN job_applications a ON a.id = e.application_id
          CROSS JOIN wanted w
          CROSS JOIN LATERAL (
              SELECT coalesce((SELECT array_agg(DISTINCT lower(x)) FROM unnest(e.skills) x WHERE lower(x) = ANY (w.skills)), '{}') AS matched) m
          CROSS JOIN LATERAL (
              SELECT m.matched,
                     CASE WHEN coalesce(cardinality(w.skills), 0) = 0 THEN 1.0
                          ELSE cardinality(m.matched)::numeric / cardinality(w.skills) END AS skills_share,
                     CASE WHEN e.expected_salary IS NULL OR j.salary_min IS NULL OR j.salary_max IS NULL THEN 1.0
                          WHEN e.expected_salary BETWEEN j.salary_min AND j.salary_max THEN 1.0
                          WHEN j.salary_max = 0 THEN 0.0
                          ELSE greatest(0, 1 - abs(e.expected_salary - CASE WHEN e.expected_salary < j.salary_min
                                                                            THEN j.salary_min ELSE j.salary_max END)
                                                   / j.salary_max) END AS salary_fit) f
         WHERE e.available AND a.job_post_id <> j.id
         ORDER BY 4 DESC, e.id
         LIMIT k
    ), saved AS (
        INSERT INTO talent_pool_matches AS t (entry_id, job_post_id, score, reasons)
        SELECT s.id, j.id, s.score,
               jsonb_build_object('skills_share', round(s.skills_share, 4), 'skills_matched', to_jsonb(s.matched),
                                  'salary_fit', round(s.salary_fit, 4))
          FROM scored s
        ON CONFLICT ON CONSTRAINT talent_pool_matches_once DO UPDATE SET score = excluded.score, reasons = excluded.reasons
        RETURNING t.*
    )
    SELECT * FROM saved ORDER BY score DESC, entry_id;
END
$$;
COMMENT ON FUNCTION match_talent_pool(bigint, integer) IS
    'Ranks the available talent-pool candidates (from other jobs) for a job and records the best k as '
    'talent_pool_matches (again: updated): 0.7 x the share of the job''s skills they have + 0.3 x salary fit (1 inside '
    'the band or unknown, decreasing outside it); the reasons say which skills matched';
