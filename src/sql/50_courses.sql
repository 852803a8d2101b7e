--------------------------------------------------------------------------------
-- Module courses (design.md section 8, seed 000): disciplines, courses and
-- their people (students, course mentors, staff, registrations), tasks
-- scheduled per course, task results with their score history, weighted
-- totals, ranks and the leaderboard.
--------------------------------------------------------------------------------

CREATE TYPE checker_kind AS ENUM ('auto_test', 'mentor', 'assigned', 'crosscheck', 'jury');
COMMENT ON TYPE checker_kind IS
    'Who scores a course task: auto_test (automatic tests), mentor (the student''s mentor), assigned (a named checker), '
    'crosscheck (other students, see mentor.crosscheck_distribute), jury';

CREATE TYPE registration_kind AS ENUM ('student', 'mentor');
COMMENT ON TYPE registration_kind IS 'What a course registration asks to become';

CREATE TYPE registration_status AS ENUM ('pending', 'approved', 'rejected');
COMMENT ON TYPE registration_status IS 'Registration request status (lifecycle "registration")';

CREATE TABLE disciplines (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        citext NOT NULL UNIQUE CONSTRAINT disciplines_name_length CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    description text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE disciplines IS 'Taxonomy of courses and tasks (JavaScript, Android, Data Science...)';
CREATE TRIGGER disciplines_touch_updated_at BEFORE UPDATE ON disciplines
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE courses (
    id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name                  text NOT NULL CONSTRAINT courses_name_length CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    alias                 @extschema@.slug NOT NULL UNIQUE,
    description           text,
    discipline_id         bigint REFERENCES disciplines ON DELETE SET NULL,
    start_date            date NOT NULL,
    end_date              date NOT NULL,
    registration_end_date date,
    location              text,
    planned               boolean NOT NULL DEFAULT false,
    completed             boolean NOT NULL DEFAULT false,
    invite_only           boolean NOT NULL DEFAULT false,
    certificate_threshold numeric(12,2) NOT NULL DEFAULT 0
                          CONSTRAINT courses_certificate_threshold_nonneg CHECK (certificate_threshold >= 0),
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT courses_dates_ordered CHECK (end_date >= start_date),
    CONSTRAINT courses_registration_before_end CHECK (registration_end_date IS NULL OR registration_end_date <= end_date),
    CONSTRAINT courses_not_planned_and_completed CHECK (NOT (planned AND completed))
);
COMMENT ON TABLE courses IS 'A cohort: a course run with dates, discipline and certificate rule';
COMMENT ON COLUMN courses.alias IS 'URL name of the course, e.g. js-fe-2026q1';
COMMENT ON COLUMN courses.planned IS 'Announced but not started';
COMMENT ON COLUMN courses.completed IS 'Finished; results are final';
COMMENT ON COLUMN courses.invite_only IS 'Registrations need an invitation';
COMMENT ON COLUMN courses.certificate_threshold IS 'Minimum total_score for a certificate (mentor.issue_certificates)';
CREATE TRIGGER courses_touch_updated_at BEFORE UPDATE ON courses
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE course_users (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    course_id        bigint NOT NULL REFERENCES courses ON DELETE CASCADE,
    user_id          bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    is_manager       boolean NOT NULL DEFAULT false,
    is_supervisor    boolean NOT NULL DEFAULT false,
    is_task_owner    boolean NOT NULL DEFAULT false,
    is_jury_activist boolean NOT NULL DEFAULT false,
    is_activist      boolean NOT NULL DEFAULT false,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (course_id, user_id)
);
COMMENT ON TABLE course_users IS 'Course-scoped staff roles of a user';
COMMENT ON COLUMN course_users.is_manager IS 'Runs the course: distributions, completions, scores';
COMMENT ON COLUMN course_users.is_supervisor IS 'Oversees mentors and students; sees every review';
COMMENT ON COLUMN course_users.is_task_owner IS 'Owns tasks of the course; sees their reviews';
CREATE INDEX course_users_user_idx ON course_users (user_id);
CREATE TRIGGER course_users_touch_updated_at BEFORE UPDATE ON course_users
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE course_mentors (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    course_id    bigint NOT NULL REFERENCES courses ON DELETE CASCADE,
    user_id      bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    max_students integer NOT NULL DEFAULT 2 CONSTRAINT course_mentors_max_students_nonneg CHECK (max_students >= 0),
    is_expelled  boolean NOT NULL DEFAULT false,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (course_id, user_id),
    UNIQUE (id, course_id)
);
COMMENT ON TABLE course_mentors IS 'A user mentoring students in one course';
COMMENT ON COLUMN course_mentors.max_students IS 'How many students the mentor takes; assigning more fails with MN004';
CREATE TRIGGER course_mentors_touch_updated_at BEFORE UPDATE ON course_mentors
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE students (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    course_id         bigint NOT NULL REFERENCES courses ON DELETE CASCADE,
    user_id           bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    mentor_id         bigint,
    is_expelled       boolean NOT NULL DEFAULT false,
    expelling_reason  text,
    is_failed         boolean NOT NULL DEFAULT false,
    is_completed      boolean NOT NULL DEFAULT false,
    total_score       numeric(12,2) NOT NULL DEFAULT 0,
    cross_check_score numeric(12,2) NOT NULL DEFAULT 0,
    rank              integer CONSTRAINT students_rank_positive CHECK (rank >= 1),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (course_id, user_id),
    UNIQUE (id, course_id),
    FOREIGN KEY (mentor_id, course_id) REFERENCES course_mentors (id, course_id) ON DELETE SET NULL (mentor_id)
) WITH (fillfactor = 50);
-- fillfactor 50: recalculate_scores rewrites the scores of a whole course at
-- once; with half of each page free those updates stay HOT (no index writes),
-- which makes it about 40% faster for the price of a twice larger table.
COMMENT ON TABLE students IS 'A user studying in one course, with progress flags, scores and rank';
COMMENT ON COLUMN students.mentor_id IS 'The course mentor of the student (same course), within the mentor''s max_students';
COMMENT ON COLUMN students.is_expelled IS 'Expelled students take no part in cross-checks, ranks or teams';
COMMENT ON COLUMN students.total_score IS 'Sum of score x score_weight over enabled tasks (mentor.recalculate_scores)';
COMMENT ON COLUMN students.cross_check_score IS 'The same sum over cross-check tasks only';
COMMENT ON COLUMN students.rank IS 'Rank by total_score among students not expelled, ties as 1, 2, 2, 4';
CREATE INDEX students_mentor_idx ON students (mentor_id) WHERE mentor_id IS NOT NULL;
CREATE INDEX students_user_idx ON students (user_id);
CREATE TRIGGER students_touch_updated_at BEFORE UPDATE ON students
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER students_owned_columns BEFORE INSERT OR UPDATE OF total_score, cross_check_score, rank
    ON students FOR EACH ROW
    EXECUTE FUNCTION _keep_owned_columns('Scores and ranks are computed from task_results by '
                                         'mentor.recalculate_scores(course_id); leave these columns out.',
                                         'total_score', 'cross_check_score', 'rank');

-- Why lock the mentor row: two concurrent assignments would both count the
-- same students and both fit; the row lock makes them count in turn.
CREATE FUNCTION _students_mentor_capacity() RETURNS trigger
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    cap   integer;
    taken integer;
BEGIN
    IF NEW.mentor_id IS NULL OR (TG_OP = 'UPDATE' AND NEW.mentor_id IS NOT DISTINCT FROM OLD.mentor_id) THEN
        RETURN NEW;
    END IF;
    SELECT m.max_students INTO cap FROM course_mentors m WHERE m.id = NEW.mentor_id FOR UPDATE;
    SELECT count(*) INTO taken FROM students s WHERE s.mentor_id = NEW.mentor_id AND s.id IS DISTINCT FROM NEW.id;
    IF cap IS NOT NULL AND taken >= cap THEN
        RAISE EXCEPTION 'course mentor % already has % of % students', NEW.mentor_id, taken, cap
            USING ERRCODE = 'MN004',
                  DETAIL = format('Student %s of course %s cannot be assigned to mentor %s.', NEW.id, NEW.course_id, NEW.mentor_id),
                  HINT = 'Raise course_mentors.max_students or choose another mentor.';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION _students_mentor_capacity() IS 'Internal: keeps each course mentor within max_students (MN004)';
CREATE TRIGGER students_mentor_capacity BEFORE INSERT OR UPDATE OF mentor_id ON students
    FOR EACH ROW EXECUTE FUNCTION _students_mentor_capacity();

CREATE TABLE registries (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    course_id   bigint NOT NULL REFERENCES courses ON DELETE CASCADE,
    user_id     bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    kind        @extschema@.registration_kind NOT NULL,
    status      @extschema@.registration_status NOT NULL DEFAULT 'pending',
    max_students integer CONSTRAINT registries_max_students_nonneg CHECK (max_students >= 0),
    attributes  jsonb NOT NULL DEFAULT '{}' CONSTRAINT registries_attributes_object CHECK (jsonb_typeof(attributes) = 'object'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (course_id, user_id, kind)
);
COMMENT ON TABLE registries IS
    'Requests to join a course as a student or a mentor; approving one creates the students or course_mentors row';
COMMENT ON COLUMN registries.status IS 'pending -> approved | rejected (lifecycle "registration")';
COMMENT ON COLUMN registries.max_students IS 'For mentor registrations: the capacity the mentor offers';
COMMENT ON COLUMN registries.attributes IS 'Answers of the registration form (preferences, experience...)';
CREATE TRIGGER registries_touch_updated_at BEFORE UPDATE ON registries
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
SELECT attach_lifecycle('registries', 'status', 'registration');

CREATE FUNCTION _registries_approved() RETURNS trigger
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    IF NEW.status = 'approved' AND (TG_OP = 'INSERT' OR OLD.status IS DISTINCT FROM 'approved') THEN
        IF NEW.kind = 'student' THEN
            INSERT INTO students (course_id, user_id) VALUES (NEW.course_id, NEW.user_id)
                ON CONFLICT (course_id, user_id) DO NOTHING;
        ELSE
            INSERT INTO course_mentors (course_id, user_id, max_students)
                 VALUES (NEW.course_id, NEW.user_id, coalesce(NEW.max_students, 2))
                ON CONFLICT (course_id, user_id) DO NOTHING;
        END IF;
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION _registries_approved() IS 'Internal: an approved registration enrols the user';
CREATE TRIGGER registries_approved AFTER INSERT OR UPDATE OF status ON registries
    FOR EACH ROW EXECUTE FUNCTION _registries_approved();

-- Criteria of a task: [{"key": "layout", "text": "...", "max": 20}, ...]
CREATE FUNCTION _criteria_problem(criteria jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
SELECT CASE
    WHEN criteria IS NULL THEN NULL
    WHEN jsonb_typeof(criteria) <> 'array' THEN 'criteria must be a JSON array'
    ELSE (SELECT string_agg(DISTINCT problem, '; ') FROM (
            SELECT CASE
                WHEN jsonb_typeof(c) <> 'object' THEN format('element %s is not an object', i)
                WHEN jsonb_typeof(c -> 'key') IS DISTINCT FROM 'string' OR c ->> 'key' !~ '^[a-z0-9_]{1,60}$'
                    THEN format('element %s needs a "key" of 1-60 lower-case letters, digits or _', i)
                WHEN jsonb_typeof(c -> 'max') IS DISTINCT FROM 'number' OR (c ->> 'max')::numeric <= 0
                    THEN format('element %s needs a positive number "max"', i)
                WHEN count(*) OVER (PARTITION BY c ->> 'key') > 1 THEN format('key "%s" appears twice', c ->> 'key')
            END AS problem
            FROM jsonb_array_elements(criteria) WITH ORDINALITY AS e(c, i)) p)
END
$$;
COMMENT ON FUNCTION _criteria_problem(jsonb) IS 'Internal: why a task''s criteria list is malformed, NULL when it is fine';

CREATE TABLE tasks (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name            text NOT NULL CONSTRAINT tasks_name_length CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    type            text NOT NULL DEFAULT 'htmltask' CONSTRAINT tasks_type_format CHECK (type ~ '^[a-z][a-z0-9_:-]{0,39}$'),
    description_url text CONSTRAINT tasks_description_url_http CHECK (description_url ~ '^https?://'),
    description     text,
    discipline_id   bigint REFERENCES disciplines ON DELETE SET NULL,
    skills          text[] NOT NULL DEFAULT '{}',
    tags            text[] NOT NULL DEFAULT '{}',
    criteria        jsonb NOT NULL DEFAULT '[]'
                    CONSTRAINT tasks_criteria_valid CHECK (@extschema@._criteria_problem(criteria) IS NULL),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE tasks IS 'Reusable task definitions; mentor.course_tasks schedules them in courses';
COMMENT ON COLUMN tasks.type IS 'Task kind as the platform names it (jstask, htmltask, ipynb, codewars, interview...)';
COMMENT ON COLUMN tasks.criteria IS
    'Review criteria: a JSON array of {"key", "text", "max"}; cross-check reviews score each key from 0 to max';
CREATE TRIGGER tasks_touch_updated_at BEFORE UPDATE ON tasks
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- The CHECK constraint guards the data; this says what exactly is wrong first.
CREATE FUNCTION _tasks_check_criteria() RETURNS trigger
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    problem text := _criteria_problem(NEW.criteria);
BEGIN
    IF problem IS NOT NULL THEN
        RAISE EXCEPTION 'malformed criteria for task "%"', NEW.name
            USING ERRCODE = 'invalid_parameter_value', DETAIL = problem,
                  HINT = 'Criteria are a JSON array like [{"key": "layout", "text": "Responsive layout", "max": 20}].';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION _tasks_check_criteria() IS 'Internal: explains a malformed criteria list (22023)';
CREATE TRIGGER tasks_check_criteria BEFORE INSERT OR UPDATE OF criteria ON tasks
    FOR EACH ROW EXECUTE FUNCTION _tasks_check_criteria();

CREATE TYPE crosscheck_status AS ENUM ('initial', 'distributed', 'completed');
COMMENT ON TYPE crosscheck_status IS 'Cross-check progress of a course task (lifecycle "crosscheck")';

CREATE TABLE course_tasks (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    course_id            bigint NOT NULL REFERENCES courses ON DELETE CASCADE,
    task_id              bigint NOT NULL REFERENCES tasks ON DELETE RESTRICT,
    student_start_at     timestamptz NOT NULL,
    student_end_at       timestamptz NOT NULL,
    crosscheck_end_at    timestamptz,
    max_score            integer NOT NULL DEFAULT 100 CONSTRAINT course_tasks_max_score_positive CHECK (max_score > 0),
    score_weight         numeric(6,2) NOT NULL DEFAULT 1 CONSTRAINT course_tasks_weight_nonneg CHECK (score_weight >= 0),
    checker              @extschema@.checker_kind NOT NULL DEFAULT 'auto_test',
    crosscheck_status    @extschema@.crosscheck_status NOT NULL DEFAULT 'initial',
    pairs_count          integer NOT NULL DEFAULT 4 CONSTRAINT course_tasks_pairs_count_range CHECK (pairs_count BETWEEN 1 AND 100),
    crosscheck_reviewers integer,
    crosscheck_seed      bigint,
    disabled             boolean NOT NULL DEFAULT false,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT course_tasks_dates_ordered CHECK (student_end_at >= student_start_at),
    CONSTRAINT course_tasks_crosscheck_after_submission CHECK (crosscheck_end_at IS NULL OR crosscheck_end_at >= student_end_at),
    UNIQUE (id, course_id)
);
COMMENT ON TABLE course_tasks IS 'A task scheduled in a course, with deadlines, scoring and checker';
COMMENT ON COLUMN course_tasks.student_end_at IS 'Submission deadline; cross-check distribution waits for it unless forced';
COMMENT ON COLUMN course_tasks.crosscheck_end_at IS 'Deadline of cross-check reviews (NULL: none)';
COMMENT ON COLUMN course_tasks.score_weight IS 'Multiplier of the score in the student''s total';
COMMENT ON COLUMN course_tasks.crosscheck_status IS 'initial -> distributed -> completed (lifecycle "crosscheck")';
COMMENT ON COLUMN course_tasks.pairs_count IS 'Reviewers per solution in a cross-check (k)';
COMMENT ON COLUMN course_tasks.crosscheck_reviewers IS 'Reviewers per solution the distribution actually gave (k, or n-1 in small classes)';
COMMENT ON COLUMN course_tasks.crosscheck_seed IS 'Seed of the distribution: the same seed and solutions give the same pairs';
COMMENT ON COLUMN course_tasks.disabled IS 'Disabled tasks do not count in totals';
CREATE INDEX course_tasks_course_idx ON course_tasks (course_id);
CREATE TRIGGER course_tasks_touch_updated_at BEFORE UPDATE ON course_tasks
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
SELECT attach_lifecycle('course_tasks', 'crosscheck_status', 'crosscheck');

CREATE TABLE task_results (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    course_task_id    bigint NOT NULL REFERENCES course_tasks ON DELETE CASCADE,
    student_id        bigint NOT NULL REFERENCES students ON DELETE CASCADE,
    score             integer NOT NULL CONSTRAINT task_results_score_nonneg CHECK (score >= 0),
    historical_scores jsonb NOT NULL DEFAULT '[]',
    last_checker_id   bigint REFERENCES users ON DELETE SET NULL,
    comment           text,
    github_pr_url     text CONSTRAINT task_results_pr_url_http CHECK (github_pr_url ~ '^https?://'),
    github_repo_url   text CONSTRAINT task_results_repo_url_http CHECK (github_repo_url ~ '^https?://'),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (course_task_id, student_id)
);
COMMENT ON TABLE task_results IS 'The authoritative score of a student on a course task';
COMMENT ON COLUMN task_results.historical_scores IS
    'Every score this result had, oldest first: {"score", "at", "checker_id", "actor", "source"} (appended automatically)';
COMMENT ON COLUMN task_results.last_checker_id IS 'User who set the current score (NULL for computed scores)';
CREATE INDEX task_results_student_idx ON task_results (student_id);
CREATE TRIGGER task_results_touch_updated_at BEFORE UPDATE ON task_results
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- Why a trigger: every writer (mentor, auto-test, completion, a manager in
-- psql) gets its change recorded, and no writer can rewrite the past.
CREATE FUNCTION _append_historical_score() RETURNS trigger
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    entry jsonb;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF NEW.score IS NOT DISTINCT FROM OLD.score AND NEW.historical_scores = OLD.historical_scores THEN
            RETURN NEW;
        END IF;
        NEW.historical_scores := OLD.historical_scores;     -- the past is not editable
        IF NEW.score IS NOT DISTINCT FROM OLD.score THEN
            RETURN NEW;
        END IF;
    ELSE
        NEW.historical_scores := '[]';
    END IF;
    entry := jsonb_build_object('score', NEW.score, 'at', statement_timestamp(), 'actor', current_actor(),
                                'source', nullif(current_setting('mentor.score_source', true), ''));
    -- Reviews are one checker's by construction; results name who set the score.
    IF TG_TABLE_NAME = 'task_results' THEN
        entry := entry || jsonb_build_object('checker_id', NEW.last_checker_id);
    END IF;
    NEW.historical_scores := NEW.historical_scores || entry;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION _append_historical_score() IS
    'Internal: appends each new score to historical_scores and keeps earlier entries unchanged';
CREATE TRIGGER task_results_historical_scores BEFORE INSERT OR UPDATE ON task_results
    FOR EACH ROW EXECUTE FUNCTION _append_historical_score();

CREATE TABLE certificates (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    student_id  bigint NOT NULL UNIQUE REFERENCES students ON DELETE CASCADE,
    public_id   uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
    score       numeric(12,2) NOT NULL,
    issued_at   timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE certificates IS 'Course certificates; public_id is what a verification URL shows';
COMMENT ON COLUMN certificates.score IS 'The total_score the certificate was issued for';

-- The students of a course whose totals or rank differ from what their
-- results say.  A separate function because RETURN QUERY may run its query
-- in parallel, which neither an UPDATE's subquery nor SELECT INTO may.
-- Weights are taken in hundredths as integers, so the per-row product is an
-- integer multiply and the sums run in 128-bit integers rather than numeric;
-- work_mem lets the per-student sums of a large course hash in memory.
-- Ranks are among the students who are not expelled; rank() gives ties
-- 1, 2, 2, 4.
CREATE FUNCTION _score_changes(course_id bigint)
    RETURNS TABLE (student_id bigint, total numeric, cross_check numeric, rank integer)
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_catalog, pg_temp
SET work_mem = '64MB'
AS $$
BEGIN
    RETURN QUERY
    WITH weights AS (
        SELECT ct.id, (ct.score_weight * 100)::bigint AS w, ct.checker = 'crosscheck' AS is_cross_check
          FROM course_tasks ct
         WHERE ct.course_id = _score_changes.course_id AND NOT ct.disabled),
    sums AS (
        SELECT tr.student_id AS sid,
               sum(tr.score * w.w) / 100.0 AS sum_total,
               coalesce(sum(tr.score * w.w) FILTER (WHERE w.is_cross_check), 0) / 100.0 AS sum_cross_check
          FROM weights w
          JOIN task_results tr ON tr.course_task_id = w.id
         GROUP BY tr.student_id),
    scored AS (
        SELECT s.id AS sid, coalesce(x.sum_total, 0) AS new_total, coalesce(x.sum_cross_check, 0) AS new_cross_check,
               s.is_expelled, s.total_score, s.cross_check_score, s.rank AS old_rank
          FROM students s LEFT JOIN sums x ON x.sid = s.id
         WHERE s.course_id = _score_changes.course_id),
    ranked AS (
        SELECT sc.*, CASE WHEN NOT sc.is_expelled
                          THEN rank() OVER (PARTITION BY sc.is_expelled ORDER BY sc.new_total DESC) END::integer AS new_rank
          FROM scored sc)
    SELECT r.sid, r.new_total, r.new_cross_check, r.new_rank
      FROM ranked r
     WHERE (r.total_score, r.cross_check_score, r.old_rank) IS DISTINCT FROM (r.new_total, r.new_cross_check, r.new_rank);
END
$$;
COMMENT ON FUNCTION _score_changes(bigint) IS
    'Internal: the students of a course whose total_score, cross_check_score or rank are out of date, with the new values';

CREATE FUNCTION recalculate_scores(course_id bigint) RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    changed integer;
BEGIN
    IF course_id IS NULL OR NOT EXISTS (SELECT 1 FROM courses c WHERE c.id = recalculate_scores.course_id) THEN
        RAISE EXCEPTION 'course % does not exist', coalesce(course_id::text, 'NULL')
            USING ERRCODE = 'no_data_found', HINT = 'Pass the id of a row of mentor.courses.';
    END IF;
    -- Only rows whose values change are written (and so recorded by history).
    UPDATE students s
       SET total_score = u.total, cross_check_score = u.cross_check, rank = u.rank
      FROM _score_changes(recalculate_scores.course_id) u
     WHERE s.id = u.student_id;
    GET DIAGNOSTICS changed = ROW_COUNT;
    RETURN changed;
END
$$;
COMMENT ON FUNCTION recalculate_scores(bigint) IS
    'Recomputes total_score (sum of score x score_weight over enabled tasks), cross_check_score and rank '
    '(ties as 1, 2, 2, 4; expelled students unranked) for a course; writes only rows that change and returns how many';

CREATE FUNCTION issue_certificates(course_id bigint) RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    threshold numeric;
    issued    integer;
BEGIN
    SELECT c.certificate_threshold INTO threshold FROM courses c WHERE c.id = issue_certificates.course_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'course % does not exist', coalesce(course_id::text, 'NULL')
            USING ERRCODE = 'no_data_found', HINT = 'Pass the id of a row of mentor.courses.';
    END IF;
    INSERT INTO certificates (student_id, score)
    SELECT s.id, s.total_score FROM students s
     WHERE s.course_id = issue_certificates.course_id AND NOT s.is_expelled AND NOT s.is_failed
       AND s.total_score >= threshold
    ON CONFLICT (student_id) DO NOTHING;
    GET DIAGNOSTICS issued = ROW_COUNT;
    RETURN issued;
END
$$;
COMMENT ON FUNCTION issue_certificates(bigint) IS
    'Issues a certificate to every student of the course (not expelled or failed) whose total_score reaches the '
    'course''s certificate_threshold and who has none yet; returns how many were issued. Run recalculate_scores first';

CREATE VIEW course_leaderboard AS
SELECT s.course_id, s.rank, s.id AS student_id, u.id AS user_id, u.username, u.full_name,
       s.total_score, s.cross_check_score, mu.username AS mentor_username
  FROM students s
  JOIN users u ON u.id = s.user_id
  LEFT JOIN course_mentors m ON m.id = s.mentor_id
  LEFT JOIN users mu ON mu.id = m.user_id
 WHERE NOT s.is_expelled
 ORDER BY s.course_id, s.rank, u.username;
COMMENT ON VIEW course_leaderboard IS
    'Students of each course by rank (as of the last mentor.recalculate_scores), expelled students left out';

-- Who may see everything of a course: its managers and supervisors, and platform staff.
CREATE FUNCTION _is_course_staff(course_id bigint, user_id bigint) RETURNS boolean
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
SELECT EXISTS (SELECT 1 FROM users u WHERE u.id = _is_course_staff.user_id AND _role_class(u.role) = 'staff')
    OR EXISTS (SELECT 1 FROM course_users cu
                WHERE cu.course_id = _is_course_staff.course_id AND cu.user_id = _is_course_staff.user_id
                  AND (cu.is_manager OR cu.is_supervisor OR cu.is_task_owner))
$$;
COMMENT ON FUNCTION _is_course_staff(bigint, bigint) IS
    'Internal: the user is a platform admin or a manager, supervisor or task owner of the course';

SELECT _enable_history_shipped('disciplines');
SELECT _enable_history_shipped('courses');
SELECT _enable_history_shipped('course_users');
SELECT _enable_history_shipped('course_mentors');
SELECT _enable_history_shipped('students');
SELECT _enable_history_shipped('registries');
SELECT _enable_history_shipped('tasks');
SELECT _enable_history_shipped('course_tasks');
SELECT _enable_history_shipped('task_results');
SELECT _enable_history_shipped('certificates');
