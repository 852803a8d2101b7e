--------------------------------------------------------------------------------
-- Module school (seed 000 TaskVerification, TaskChecker, TaskArtefact,
-- Session's course roles): every way a course school scores a student ends in
-- task_results.  Auto-checked tasks post numbered attempts within the task's
-- window and attempt limit, and the best or latest attempt becomes the result;
-- assigned checkers (or the student's mentor) are the only ones besides the
-- course's staff who may write a result on a task they check; artefacts are a
-- student's links per task; course_roles() says what a user is in a course.
--------------------------------------------------------------------------------

CREATE FUNCTION course_roles(user_id bigint, course_id bigint) RETURNS text[]
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
SELECT coalesce(array_agg(r ORDER BY r), '{}') FROM (
    SELECT 'admin' AS r FROM users u WHERE u.id = course_roles.user_id AND _role_class(u.role) = 'staff' AND u.active
    UNION ALL
    SELECT 'student' FROM students s
     WHERE s.user_id = course_roles.user_id AND s.course_id = course_roles.course_id AND NOT s.is_expelled
    UNION ALL
    SELECT 'mentor' FROM course_mentors m
     WHERE m.user_id = course_roles.user_id AND m.course_id = course_roles.course_id AND NOT m.is_expelled
    UNION ALL
    SELECT x.r FROM course_users cu
     CROSS JOIN LATERAL (VALUES ('manager', cu.is_manager), ('supervisor', cu.is_supervisor),
                                ('task_owner', cu.is_task_owner), ('jury_activist', cu.is_jury_activist),
                                ('activist', cu.is_activist)) x(r, has)
     WHERE cu.user_id = course_roles.user_id AND cu.course_id = course_roles.course_id AND x.has) roles
$$;
COMMENT ON FUNCTION course_roles(bigint, bigint) IS
    'The roles a user holds in a course (seed 000 Session): admin (platform staff), student (not expelled), mentor '
    '(not expelled), manager, supervisor, task_owner, jury_activist, activist; sorted, empty when none';

CREATE FUNCTION has_course_role(user_id bigint, course_id bigint, VARIADIC roles text[]) RETURNS boolean
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$ SELECT course_roles(user_id, course_id) && roles $$;
COMMENT ON FUNCTION has_course_role(bigint, bigint, text[]) IS
    'Whether the user holds any of the roles in the course, e.g. has_course_role(7, 3, ''manager'', ''supervisor'')';

-- Attempts of auto-checked tasks: how many, and which counts.
ALTER TABLE course_tasks
    ADD COLUMN max_attempts integer CONSTRAINT course_tasks_max_attempts_positive CHECK (max_attempts >= 1),
    ADD COLUMN attempt_scoring text NOT NULL DEFAULT 'best'
        CONSTRAINT course_tasks_attempt_scoring CHECK (attempt_scoring IN ('best', 'latest'));
COMMENT ON COLUMN course_tasks.max_attempts IS 'Auto-check attempts per student (NULL: no limit); one more is MN006';
COMMENT ON COLUMN course_tasks.attempt_scoring IS 'Which completed auto-check attempt is the result: best or latest';

SELECT _ship_lifecycle('task_verification', ARRAY[
    ['[*]', 'pending'],
    ['[*]', 'completed'],
    ['[*]', 'error'],
    ['pending', 'completed'],
    ['pending', 'error'],
    ['completed', '[*]'],
    ['error', '[*]']], true);

CREATE TYPE task_verification_status AS ENUM ('pending', 'completed', 'error');
COMMENT ON TYPE task_verification_status IS
    'An auto-check attempt: pending (being checked), completed (scored) or error (the checker failed; not counted)';

CREATE TABLE task_verifications (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    course_task_id bigint NOT NULL,
    course_id      bigint NOT NULL,
    student_id     bigint NOT NULL,
    attempt_no     integer NOT NULL DEFAULT 0,
    status         @extschema@.task_verification_status NOT NULL DEFAULT 'pending',
    score          integer CONSTRAINT task_verifications_score_nonneg CHECK (score >= 0),
    answers        jsonb,
    metadata       jsonb NOT NULL DEFAULT '{}'
                   CONSTRAINT task_verifications_metadata_object CHECK (jsonb_typeof(metadata) = 'object'),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT task_verifications_attempt_once UNIQUE (course_task_id, student_id, attempt_no),
    CONSTRAINT task_verifications_course_task FOREIGN KEY (course_task_id, course_id)
        REFERENCES course_tasks (id, course_id) ON DELETE CASCADE,
    CONSTRAINT task_verifications_student_of_course FOREIGN KEY (student_id, course_id)
        REFERENCES students (id, course_id) ON DELETE CASCADE,
    CONSTRAINT task_verifications_scored CHECK (status <> 'completed' OR score IS NOT NULL)
);
COMMENT ON TABLE task_verifications IS
    'Auto-check attempts (seed 000 TaskVerification): numbered per student and course task, posted within the task''s '
    'window and max_attempts; the best or latest completed one is the student''s task_results score';
COMMENT ON COLUMN task_verifications.course_id IS 'The course task''s course (set by trigger); the student must be of it';
COMMENT ON COLUMN task_verifications.attempt_no IS 'The attempt''s number for this student and task, from 1 (set by trigger)';
COMMENT ON COLUMN task_verifications.status IS 'Lifecycle task_verification: pending, then completed (with a score) or error';
COMMENT ON COLUMN task_verifications.score IS 'The score the checker gave, at most the course task''s max_score';
COMMENT ON COLUMN task_verifications.answers IS 'What the student submitted (test answers, a repository, ...)';
COMMENT ON COLUMN task_verifications.metadata IS 'The checker''s details (test output, timings), a JSON object';
CREATE INDEX task_verifications_student_idx ON task_verifications (student_id);
CREATE TRIGGER task_verifications_touch_updated_at BEFORE UPDATE ON task_verifications
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER task_verifications_owned_columns BEFORE UPDATE OF course_task_id, course_id, student_id, attempt_no
    ON task_verifications FOR EACH ROW
    EXECUTE FUNCTION _keep_owned_columns('An attempt stays the attempt it was posted as; post another.',
                                         'course_task_id', 'course_id', 'student_id', 'attempt_no');
SELECT attach_lifecycle('task_verifications', 'status', 'task_verification');

-- Why the student row's lock: two attempts posted at once would both count the
-- same earlier ones and take the same number; the lock numbers them in turn.
CREATE FUNCTION _task_verification_attempt() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    ct   course_tasks;
    used integer;
    last integer;
BEGIN
    SELECT * INTO ct FROM course_tasks x WHERE x.id = NEW.course_task_id;
    -- A missing task gives course 0, so that the foreign key names it.
    NEW.course_id := coalesce(ct.course_id, 0);
    IF NOT FOUND THEN
        RETURN NEW;
    END IF;
    IF ct.checker <> 'auto_test' THEN
        RAISE EXCEPTION 'course task % is checked by %, not by auto-tests', ct.id, ct.checker
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Post attempts on auto_test course tasks.';
    END IF;
    IF now() < ct.student_start_at OR now() > ct.student_end_at THEN
        RAISE EXCEPTION 'course task % takes attempts from % to %', ct.id, ct.student_start_at, ct.student_end_at
            USING ERRCODE = 'MN008', DETAIL = format('It is %s.', now()),
                  HINT = 'Course staff may widen the window (course_tasks.student_start_at, student_end_at).';
    END IF;
    PERFORM 1 FROM students s WHERE s.id = NEW.student_id FOR UPDATE;
    -- Numbers go on after the last (a deleted attempt leaves a gap and gives its try back).
    SELECT count(*), coalesce(max(v.attempt_no), 0) INTO used, last FROM task_verifications v
     WHERE v.course_task_id = NEW.course_task_id AND v.student_id = NEW.student_id;
    IF ct.max_attempts IS NOT NULL AND used >= ct.max_attempts THEN
        RAISE EXCEPTION 'no attempts left at course task %', ct.id USING ERRCODE = 'MN006',
            DETAIL = format('Student %s used %s of %s.', NEW.student_id, used, ct.max_attempts);
    END IF;
    IF NEW.score > ct.max_score THEN
        RAISE EXCEPTION 'score % is above the task''s maximum of %', NEW.score, ct.max_score
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    NEW.attempt_no := last + 1;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION _task_verification_attempt() IS
    'Internal: an attempt is of an auto_test task (22023), within its window (MN008) and max_attempts (MN006), scored '
    'at most max_score, and '
    'numbered after the student''s earlier ones under the student row''s lock';
CREATE TRIGGER task_verifications_attempt BEFORE INSERT ON task_verifications
    FOR EACH ROW EXECUTE FUNCTION _task_verification_attempt();

CREATE FUNCTION _task_verification_score_range() RETURNS trigger
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    IF NEW.score > (SELECT ct.max_score FROM course_tasks ct WHERE ct.id = NEW.course_task_id) THEN
        RAISE EXCEPTION 'score % is above the task''s maximum', NEW.score USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION _task_verification_score_range() IS 'Internal: a checked attempt''s score is at most the task''s max_score';
CREATE TRIGGER task_verifications_score_range BEFORE UPDATE OF score ON task_verifications
    FOR EACH ROW EXECUTE FUNCTION _task_verification_score_range();

-- The result follows the attempts: the best or the latest completed one.
CREATE FUNCTION _task_verification_result() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    v       task_verifications := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    scoring text;
    counted task_verifications;
BEGIN
    IF v.status <> 'completed' THEN
        RETURN NULL;
    END IF;
    SELECT ct.attempt_scoring INTO scoring FROM course_tasks ct WHERE ct.id = v.course_task_id;
    SELECT * INTO counted FROM task_verifications x
     WHERE x.course_task_id = v.course_task_id AND x.student_id = v.student_id AND x.status = 'completed'
     ORDER BY CASE WHEN scoring = 'best' THEN x.score END DESC NULLS LAST, x.attempt_no DESC
     LIMIT 1;
    IF counted.id IS NULL THEN
        -- The last completed attempt was deleted: no result is left to show.
        DELETE FROM task_results r WHERE r.course_task_id = v.course_task_id AND r.student_id = v.student_id;
        RETURN NULL;
    END IF;
    PERFORM set_config('mentor.score_source', 'auto_test:attempt ' || counted.attempt_no, true);
    INSERT INTO task_results AS r (course_task_id, student_id, score)
    VALUES (v.course_task_id, v.student_id, counted.score)
    ON CONFLICT (course_task_id, student_id) DO UPDATE SET score = excluded.score, last_checker_id = NULL
     WHERE r.score IS DISTINCT FROM excluded.score;
    PERFORM set_config('mentor.score_source', '', true);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION _task_verification_result() IS
    'Internal: a completed attempt (or one deleted) makes the best (or latest) completed attempt''s score the task '
    'result, recorded in historical_scores with source auto_test; none left, no result';
CREATE TRIGGER task_verifications_result AFTER INSERT OR UPDATE OF status, score OR DELETE ON task_verifications
    FOR EACH ROW EXECUTE FUNCTION _task_verification_result();

-- A changed rule (best <-> latest) rescores every student of the task at once.
CREATE FUNCTION _course_task_attempt_rescore() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM set_config('mentor.score_source', 'auto_test:' || NEW.attempt_scoring, true);
    -- The same order as _task_verification_result's, for every student at once.
    UPDATE task_results r SET score = c.score, last_checker_id = NULL
      FROM (SELECT DISTINCT ON (v.student_id) v.student_id, v.score
              FROM task_verifications v
             WHERE v.course_task_id = NEW.id AND v.status = 'completed'
             ORDER BY v.student_id, CASE WHEN NEW.attempt_scoring = 'best' THEN v.score END DESC NULLS LAST,
                      v.attempt_no DESC) c
     WHERE r.course_task_id = NEW.id AND r.student_id = c.student_id AND r.score <> c.score;
    PERFORM set_config('mentor.score_source', '', true);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION _course_task_attempt_rescore() IS
    'Internal: a course task whose attempt_scoring changes gets each student''s result from the new rule';
CREATE TRIGGER course_tasks_attempt_rescore AFTER UPDATE OF attempt_scoring ON course_tasks
    FOR EACH ROW WHEN (NEW.attempt_scoring IS DISTINCT FROM OLD.attempt_scoring)
    EXECUTE FUNCTION _course_task_attempt_rescore();

CREATE TABLE task_checkers (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    course_task_id bigint NOT NULL,
    course_id      bigint NOT NULL,
    student_id     bigint NOT NULL,
    mentor_id      bigint NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT task_checkers_once UNIQUE (course_task_id, student_id),
    CONSTRAINT task_checkers_course_task FOREIGN KEY (course_task_id, course_id)
        REFERENCES course_tasks (id, course_id) ON DELETE CASCADE,
    CONSTRAINT task_checkers_student_of_course FOREIGN KEY (student_id, course_id)
        REFERENCES students (id, course_id) ON DELETE CASCADE,
    CONSTRAINT task_checkers_mentor_of_course FOREIGN KEY (mentor_id, course_id)
        REFERENCES course_mentors (id, course_id) ON DELETE CASCADE
);
COMMENT ON TABLE task_checkers IS
    'A course mentor assigned to check one student on an assigned or mentor course task (seed 000 TaskChecker); '
    'written by the course''s staff. Only that checker or the course''s staff write the student''s result (MN005)';
COMMENT ON COLUMN task_checkers.course_id IS 'The course task''s course (set by trigger); student and mentor must be of it';
CREATE INDEX task_checkers_mentor_idx ON task_checkers (mentor_id);
CREATE TRIGGER task_checkers_touch_updated_at BEFORE UPDATE ON task_checkers
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE FUNCTION _task_checkers_task() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    ct course_tasks;
BEGIN
    SELECT * INTO ct FROM course_tasks x WHERE x.id = NEW.course_task_id;
    NEW.course_id := coalesce(ct.course_id, 0);
    IF FOUND AND ct.checker NOT IN ('assigned', 'mentor') THEN
        RAISE EXCEPTION 'course task % is checked by %, not by an assigned checker', ct.id, ct.checker
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Assign checkers on course tasks whose checker is assigned or mentor.';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION _task_checkers_task() IS
    'Internal: checkers are assigned on assigned or mentor course tasks only (22023), in the task''s course';
CREATE TRIGGER task_checkers_task BEFORE INSERT OR UPDATE OF course_task_id, course_id ON task_checkers
    FOR EACH ROW EXECUTE FUNCTION _task_checkers_task();

-- Who checks a student on a task: the assigned checker, or on a mentor task without one the
-- student's own course mentor.
CREATE FUNCTION _task_checker_user(course_task_id bigint, student_id bigint) RETURNS bigint
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
SELECT coalesce(
    (SELECT m.user_id FROM task_checkers tc JOIN course_mentors m ON m.id = tc.mentor_id
      WHERE tc.course_task_id = _task_checker_user.course_task_id AND tc.student_id = _task_checker_user.student_id),
    (SELECT m.user_id FROM course_tasks ct, students s JOIN course_mentors m ON m.id = s.mentor_id
      WHERE ct.id = _task_checker_user.course_task_id AND ct.checker = 'mentor' AND s.id = _task_checker_user.student_id))
$$;
COMMENT ON FUNCTION _task_checker_user(bigint, bigint) IS
    'Internal: the user who checks the student on the course task (the assigned checker, else on a mentor task the '
    'student''s mentor), NULL when none';

-- Not SECURITY DEFINER: whether the writer is an administrator is the writer's role, not the owner's.
CREATE FUNCTION _task_results_checker() RETURNS trigger
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    me      bigint := current_actor();
    ct      course_tasks;
    checker bigint;
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.score IS NOT DISTINCT FROM OLD.score THEN
        RETURN NEW;
    END IF;
    SELECT * INTO ct FROM course_tasks x WHERE x.id = NEW.course_task_id;
    IF NOT FOUND OR ct.checker NOT IN ('assigned', 'mentor') THEN
        RETURN NEW;
    END IF;
    -- Administrators' tools (psql as mentor_admin, imports) work without an actor.
    IF me IS NULL AND _current_user_is_admin() THEN
        RETURN NEW;
    END IF;
    checker := _task_checker_user(NEW.course_task_id, NEW.student_id);
    IF me IS NULL OR (me IS DISTINCT FROM checker AND NOT _is_course_staff(ct.course_id, me)) THEN
        RAISE EXCEPTION 'only the checker of student % or the course''s staff score course task %', NEW.student_id, ct.id
            USING ERRCODE = 'MN005',
                  DETAIL = format('The acting user is %s; the checker is %s.', coalesce(me::text, 'not set'),
                                  coalesce(checker::text, 'not assigned')),
                  HINT = 'Assign a checker in mentor.task_checkers, or act as the course''s staff.';
    END IF;
    NEW.last_checker_id := me;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION _task_results_checker() IS
    'Internal: on assigned and mentor course tasks a score is written by the student''s checker or the course''s staff '
    '(MN005 otherwise), who becomes last_checker_id';
-- Named to run before task_results_historical_scores, which records last_checker_id.
CREATE TRIGGER task_results_checker BEFORE INSERT OR UPDATE OF score ON task_results
    FOR EACH ROW EXECUTE FUNCTION _task_results_checker();

CREATE TABLE task_artefacts (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    course_task_id   bigint NOT NULL,
    course_id        bigint NOT NULL,
    student_id       bigint NOT NULL,
    video_url        text CONSTRAINT task_artefacts_video_url_http CHECK (video_url ~ '^https?://'),
    presentation_url text CONSTRAINT task_artefacts_presentation_url_http CHECK (presentation_url ~ '^https?://'),
    notes            text CONSTRAINT task_artefacts_notes_length CHECK (length(notes) <= 20000),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT task_artefacts_once UNIQUE (course_task_id, student_id),
    CONSTRAINT task_artefacts_course_task FOREIGN KEY (course_task_id, course_id)
        REFERENCES course_tasks (id, course_id) ON DELETE CASCADE,
    CONSTRAINT task_artefacts_student_of_course FOREIGN KEY (student_id, course_id)
        REFERENCES students (id, course_id) ON DELETE CASCADE
);
COMMENT ON TABLE task_artefacts IS
    'A student''s artefacts for a course task (seed 000 TaskArtefact): video, presentation, notes; written by the '
    'student, read by them, their checker and the course''s staff';
COMMENT ON COLUMN task_artefacts.course_id IS 'The course task''s course (set by trigger); the student must be of it';
CREATE TRIGGER task_artefacts_touch_updated_at BEFORE UPDATE ON task_artefacts
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE FUNCTION _course_task_course() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    -- A missing task gives course 0, so that the foreign key names it.
    NEW.course_id := coalesce((SELECT ct.course_id FROM course_tasks ct WHERE ct.id = NEW.course_task_id), 0);
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION _course_task_course() IS 'Internal: a row about a course task belongs to the task''s course';
CREATE TRIGGER task_artefacts_course BEFORE INSERT OR UPDATE OF course_task_id, course_id ON task_artefacts
    FOR EACH ROW EXECUTE FUNCTION _course_task_course();

CREATE FUNCTION _own_student(student_id bigint) RETURNS boolean
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$ SELECT EXISTS (SELECT 1 FROM students s WHERE s.id = _own_student.student_id AND s.user_id = current_actor()) $$;
COMMENT ON FUNCTION _own_student(bigint) IS 'Internal: the students row is the acting user''s (for row-level security)';

ALTER TABLE task_verifications ENABLE ROW LEVEL SECURITY;
CREATE POLICY task_verifications_select ON task_verifications FOR SELECT TO mentor_app
    USING (@extschema@._own_student(student_id)
           OR @extschema@._task_checker_user(course_task_id, student_id) = @extschema@.current_actor()
           OR @extschema@._is_course_staff(course_id, @extschema@.current_actor()));
CREATE POLICY task_verifications_insert ON task_verifications FOR INSERT TO mentor_app
    WITH CHECK (@extschema@._own_student(student_id) OR @extschema@._is_course_staff(course_id, @extschema@.current_actor()));
CREATE POLICY task_verifications_update ON task_verifications FOR UPDATE TO mentor_app
    USING (@extschema@._own_student(student_id) OR @extschema@._is_course_staff(course_id, @extschema@.current_actor()))
    WITH CHECK (@extschema@._own_student(student_id) OR @extschema@._is_course_staff(course_id, @extschema@.current_actor()));
CREATE POLICY task_verifications_delete ON task_verifications FOR DELETE TO mentor_app
    USING (@extschema@._is_course_staff(course_id, @extschema@.current_actor()));
ALTER TABLE task_checkers ENABLE ROW LEVEL SECURITY;
CREATE POLICY task_checkers_select ON task_checkers FOR SELECT TO mentor_app USING (true);
CREATE POLICY task_checkers_insert ON task_checkers FOR INSERT TO mentor_app
    WITH CHECK (@extschema@._is_course_staff(course_id, @extschema@.current_actor()));
CREATE POLICY task_checkers_update ON task_checkers FOR UPDATE TO mentor_app
    USING (@extschema@._is_course_staff(course_id, @extschema@.current_actor()))
    WITH CHECK (@extschema@._is_course_staff(course_id, @extschema@.current_actor()));
CREATE POLICY task_checkers_delete ON task_checkers FOR DELETE TO mentor_app
    USING (@extschema@._is_course_staff(course_id, @extschema@.current_actor()));
ALTER TABLE task_artefacts ENABLE ROW LEVEL SECURITY;
CREATE POLICY task_artefacts_select ON task_artefacts FOR SELECT TO mentor_app
    USING (@extschema@._own_student(student_id)
           OR @extschema@._task_checker_user(course_task_id, student_id) = @extschema@.current_actor()
           OR @extschema@._is_course_staff(course_id, @extschema@.current_actor()));
CREATE POLICY task_artefacts_insert ON task_artefacts FOR INSERT TO mentor_app
    WITH CHECK (@extschema@._own_student(student_id));
CREATE POLICY task_artefacts_update ON task_artefacts FOR UPDATE TO mentor_app
    USING (@extschema@._own_student(student_id)) WITH CHECK (@extschema@._own_student(student_id));
CREATE POLICY task_artefacts_delete ON task_artefacts FOR DELETE TO mentor_app
    USING (@extschema@._own_student(student_id));
