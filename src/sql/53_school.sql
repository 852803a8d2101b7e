--------------------------------------------------------------------------------
-- Module school (seed 000 TaskVerification, TaskChecker, TaskArtefact,
-- Session's course roles): every way a course school scores a student ends in
-- task_results.  Auto-checked tasks post numbered attempts within the task's
-- window and attempt limit, and the best or latest attempt becomes the result;
-- assigned checkers (or the student's mentor) are the only ones besides the
-- course's staff who may write a result on a task they check; artefacts are a
-- student's links per task; course_roles() says what a user is in a course.
--------------------------------------------------------------------------------

-- Staff as the acting user, for the 0.2 modules' row-level security policies and functions
-- (this is the first of them).
CREATE FUNCTION _actor_is_staff() RETURNS boolean
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$ SELECT current_actor() IS NOT NULL AND _is_staff(current_actor()) $$;
COMMENT ON FUNCTION _actor_is_staff() IS 'Internal: the acting user is platform staff (for row-level security policies)';

CREATE FUNCTION _staff_actor(action text) RETURNS bigint
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    me bigint := current_actor();
BEGIN
    IF me IS NULL OR NOT _is_staff(me) THEN
        RAISE EXCEPTION 'only staff %', action USING ERRCODE = 'insufficient_privilege',
            DETAIL = format('The acting user is %s.', coalesce(me::text, 'not set')),
            HINT = 'Call mentor.set_actor() with an admin''s id first.';
    END IF;
    RETURN me;
END
$$;
COMMENT ON FUNCTION _staff_actor(text) IS 'Internal: the acting user when staff, 42501 (saying who may do the action) otherwise';

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

CREATE FUNCTION _task_verification_update() RETURNS trigger
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    -- A checked attempt is what it was checked as: only a pending one gets its score.
    IF OLD.status <> 'pending' AND (NEW.score, NEW.answers) IS DISTINCT FROM (OLD.score, OLD.answers) THEN
        RAISE EXCEPTION 'attempt % is %: its score and answers are final', OLD.id, OLD.status USING ERRCODE = 'MN006',
            HINT = 'Post another attempt, or have staff delete this one.';
    END IF;
    IF NEW.score > (SELECT ct.max_score FROM course_tasks ct WHERE ct.id = NEW.course_task_id) THEN
        RAISE EXCEPTION 'score % is above the task''s maximum', NEW.score USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION _task_verification_update() IS
    'Internal: a checked (completed or errored) attempt''s score and answers are final (MN006); a score is at most the '
    'task''s max_score (22023)';
CREATE TRIGGER task_verifications_update BEFORE UPDATE ON task_verifications
    FOR EACH ROW EXECUTE FUNCTION _task_verification_update();

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

-- Task interviews (seed 000 TaskInterviewStudent, TaskInterviewResult): course mentors
-- interview the students who register, each within a capacity, and score them.
CREATE TABLE task_interviewers (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    course_task_id bigint NOT NULL,
    course_id      bigint NOT NULL,
    mentor_id      bigint NOT NULL,
    capacity       integer NOT NULL DEFAULT 5 CONSTRAINT task_interviewers_capacity_nonneg CHECK (capacity >= 0),
    assigned_count integer NOT NULL DEFAULT 0,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT task_interviewers_once UNIQUE (course_task_id, mentor_id),
    CONSTRAINT task_interviewers_course_task FOREIGN KEY (course_task_id, course_id)
        REFERENCES course_tasks (id, course_id) ON DELETE CASCADE,
    CONSTRAINT task_interviewers_mentor_of_course FOREIGN KEY (mentor_id, course_id)
        REFERENCES course_mentors (id, course_id) ON DELETE CASCADE,
    -- The assignment trigger says MN004 first; this catches a capacity lowered below the count.
    CONSTRAINT task_interviewers_within_capacity CHECK (assigned_count <= capacity)
);
COMMENT ON TABLE task_interviewers IS
    'The course mentors who interview on an interview task, each for at most capacity students; written by the '
    'course''s staff';
COMMENT ON COLUMN task_interviewers.course_id IS 'The course task''s course (set by trigger); the mentor must be of it';
COMMENT ON COLUMN task_interviewers.assigned_count IS 'Students assigned (kept by trigger, exact under concurrent registrations)';
CREATE TRIGGER task_interviewers_touch_updated_at BEFORE UPDATE ON task_interviewers
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER task_interviewers_owned_columns BEFORE INSERT OR UPDATE OF assigned_count ON task_interviewers
    FOR EACH ROW EXECUTE FUNCTION _keep_owned_columns('assigned_count follows the assigned registrations; leave it out.',
                                                      'assigned_count');

CREATE FUNCTION _interview_task_course() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    kind text;
BEGIN
    SELECT ct.course_id, t.type INTO NEW.course_id, kind
      FROM course_tasks ct JOIN tasks t ON t.id = ct.task_id WHERE ct.id = NEW.course_task_id;
    NEW.course_id := coalesce(NEW.course_id, 0);   -- a missing task: the foreign key names it
    IF kind IS DISTINCT FROM 'interview' AND kind IS DISTINCT FROM 'stage_interview' AND NEW.course_id <> 0 THEN
        RAISE EXCEPTION 'course task % is not an interview (its task''s type is %)', NEW.course_task_id, kind
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Interviews run on course tasks whose task has type interview or stage_interview.';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION _interview_task_course() IS
    'Internal: interview rows belong to an interview task (tasks.type interview or stage_interview, 22023 otherwise) '
    'and its course';
CREATE TRIGGER task_interviewers_course BEFORE INSERT OR UPDATE OF course_task_id, course_id ON task_interviewers
    FOR EACH ROW EXECUTE FUNCTION _interview_task_course();

CREATE TABLE task_interview_students (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    course_task_id bigint NOT NULL,
    course_id      bigint NOT NULL,
    student_id     bigint NOT NULL,
    interviewer_id bigint REFERENCES task_interviewers ON DELETE SET NULL,
    preferred_mentor_ids bigint[] NOT NULL DEFAULT '{}',
    interviewer_user_id bigint REFERENCES users ON DELETE SET NULL,
    during         tstzrange CONSTRAINT task_interview_students_during_bounded
                   CHECK (NOT isempty(during) AND NOT lower_inf(during) AND NOT upper_inf(during)),
    decision       text CONSTRAINT task_interview_students_decision CHECK (decision IN ('accepted', 'rejected')),
    decided_by     bigint REFERENCES users ON DELETE SET NULL,
    decided_at     timestamptz,
    registered_at  timestamptz NOT NULL DEFAULT now(),
    assigned_at    timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT task_interview_students_once UNIQUE (course_task_id, student_id),
    -- Scheduled interviews never overlap for an interviewer or a student.
    CONSTRAINT task_interview_students_interviewer_free
        EXCLUDE USING gist (interviewer_user_id WITH =, during WITH &&) WHERE (during IS NOT NULL),
    CONSTRAINT task_interview_students_student_free
        EXCLUDE USING gist (student_id WITH =, during WITH &&) WHERE (during IS NOT NULL),
    CONSTRAINT task_interview_students_course_task FOREIGN KEY (course_task_id, course_id)
        REFERENCES course_tasks (id, course_id) ON DELETE CASCADE,
    CONSTRAINT task_interview_students_student_of_course FOREIGN KEY (student_id, course_id)
        REFERENCES students (id, course_id) ON DELETE CASCADE
);
COMMENT ON TABLE task_interview_students IS
    'Students registered for an interview task (seed 000 TaskInterviewStudent), through register_for_interview(); '
    'an interviewer of the task is assigned within capacity (NULL while none has room)';
COMMENT ON COLUMN task_interview_students.interviewer_id IS
    'The task interviewer assigned (NULL: waiting); never a mentor who interviewed the student in the course before';
COMMENT ON COLUMN task_interview_students.preferred_mentor_ids IS
    'Course mentors the student would like as interviewer (stage interviews: distribute_interviews prefers them)';
COMMENT ON COLUMN task_interview_students.interviewer_user_id IS 'The assigned interviewer''s user (kept by trigger)';
COMMENT ON COLUMN task_interview_students.during IS
    'When the interview takes place (schedule_interview): never overlapping another of the interviewer or the student';
COMMENT ON COLUMN task_interview_students.decision IS
    'accepted or rejected, by the interviewer or the course''s staff after the result (decide_interview)';
CREATE INDEX task_interview_students_interviewer_idx ON task_interview_students (interviewer_id);
CREATE INDEX task_interview_students_student_idx ON task_interview_students (student_id);
CREATE TRIGGER task_interview_students_touch_updated_at BEFORE UPDATE ON task_interview_students
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER task_interview_students_course BEFORE INSERT OR UPDATE OF course_task_id, course_id ON task_interview_students
    FOR EACH ROW EXECUTE FUNCTION _interview_task_course();
CREATE TRIGGER task_interview_students_owned_columns
    BEFORE INSERT OR UPDATE OF interviewer_id, assigned_at, interviewer_user_id, during, decision, decided_by, decided_at
    ON task_interview_students FOR EACH ROW
    EXECUTE FUNCTION _keep_owned_columns('Interviews move through mentor.register_for_interview(), distribute_interviews(), '
                                         'assign_interviewer(), schedule_interview() and decide_interview().',
                                         'interviewer_id', 'assigned_at', 'interviewer_user_id', 'during', 'decision',
                                         'decided_by', 'decided_at');

-- A student meets each interviewer (course mentor) once: the interview task they already had
-- with this one, NULL when none (leaving one registration out: the one being assigned).
CREATE FUNCTION _interviewed_before(student_id bigint, mentor_id bigint, except_registration bigint DEFAULT NULL)
RETURNS bigint
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
SELECT o.course_task_id FROM task_interview_students o JOIN task_interviewers x ON x.id = o.interviewer_id
 WHERE o.student_id = _interviewed_before.student_id AND x.mentor_id = _interviewed_before.mentor_id
   AND o.id IS DISTINCT FROM except_registration
 LIMIT 1
$$;
COMMENT ON FUNCTION _interviewed_before(bigint, bigint, bigint) IS
    'Internal: the course task of an earlier interview of the student by this course mentor, NULL when none';

-- Why the interviewer row's lock: racing assignments would each see the same free place.
CREATE FUNCTION _task_interview_assignment() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    i     task_interviewers;
    prior bigint;
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.interviewer_id IS NOT NULL
       AND (TG_OP = 'DELETE' OR NEW.interviewer_id IS DISTINCT FROM OLD.interviewer_id) THEN
        UPDATE task_interviewers x SET assigned_count = x.assigned_count - 1 WHERE x.id = OLD.interviewer_id;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    IF NEW.interviewer_id IS NOT NULL AND (TG_OP = 'INSERT' OR NEW.interviewer_id IS DISTINCT FROM OLD.interviewer_id) THEN
        SELECT * INTO i FROM task_interviewers x WHERE x.id = NEW.interviewer_id FOR UPDATE;
        IF i.course_task_id <> NEW.course_task_id THEN
            RAISE EXCEPTION 'interviewer % does not interview on course task %', i.id, NEW.course_task_id
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF i.assigned_count >= i.capacity THEN
            RAISE EXCEPTION 'interviewer % is full', i.id USING ERRCODE = 'MN004',
                DETAIL = format('Mentor %s interviews %s of %s students on course task %s.', i.mentor_id, i.assigned_count,
                                i.capacity, i.course_task_id),
                HINT = 'Raise task_interviewers.capacity or assign another interviewer.';
        END IF;
        prior := _interviewed_before(NEW.student_id, i.mentor_id, NEW.id);
        IF prior IS NOT NULL THEN
            RAISE EXCEPTION 'mentor % interviews student % already (course task %)', i.mentor_id, NEW.student_id, prior
                USING ERRCODE = 'invalid_parameter_value', HINT = 'A student meets each interviewer once: assign another.';
        END IF;
        UPDATE task_interviewers x SET assigned_count = x.assigned_count + 1 WHERE x.id = i.id;
        NEW.assigned_at := now();
    END IF;
    IF TG_OP = 'INSERT' OR NEW.interviewer_id IS DISTINCT FROM OLD.interviewer_id THEN
        -- Another interviewer: the old one's appointment is not theirs.
        NEW.interviewer_user_id := (SELECT m.user_id FROM task_interviewers x JOIN course_mentors m ON m.id = x.mentor_id
                                     WHERE x.id = NEW.interviewer_id);
        NEW.during := NULL;
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION _task_interview_assignment() IS
    'Internal: an assignment takes a place of the interviewer within capacity (MN004), never a mentor the student had '
    '(22023), under the interviewer row''s lock; an unassignment gives it back';
CREATE TRIGGER task_interview_students_assignment BEFORE INSERT OR UPDATE OF interviewer_id ON task_interview_students
    FOR EACH ROW EXECUTE FUNCTION _task_interview_assignment();
CREATE TRIGGER task_interview_students_freed AFTER DELETE ON task_interview_students
    FOR EACH ROW EXECUTE FUNCTION _task_interview_assignment();

CREATE TABLE task_interview_results (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    registration_id bigint NOT NULL CONSTRAINT task_interview_results_once UNIQUE
                   REFERENCES task_interview_students ON DELETE CASCADE,
    interviewer_id bigint REFERENCES users ON DELETE SET NULL,
    score          integer NOT NULL CONSTRAINT task_interview_results_score_nonneg CHECK (score >= 0),
    form           jsonb NOT NULL DEFAULT '{}',
    comment        text CONSTRAINT task_interview_results_comment_length CHECK (length(comment) <= 20000),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE task_interview_results IS
    'An interview''s result (seed 000 TaskInterviewResult): score, the form''s scores per criterion of the task, '
    'comment; written by submit_interview_result(), which makes the score the task result';
COMMENT ON COLUMN task_interview_results.interviewer_id IS 'The user who interviewed (the acting user when saved)';
COMMENT ON COLUMN task_interview_results.form IS 'Scores per criterion key of the task, {"algorithms": 8, ...}';
CREATE TRIGGER task_interview_results_touch_updated_at BEFORE UPDATE ON task_interview_results
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- Who checks a student on a task: the assigned checker (or interviewer), or on a mentor task
-- without one the student's own course mentor.
CREATE FUNCTION _task_checker_user(course_task_id bigint, student_id bigint) RETURNS bigint
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
SELECT coalesce(
    (SELECT m.user_id FROM task_checkers tc JOIN course_mentors m ON m.id = tc.mentor_id
      WHERE tc.course_task_id = _task_checker_user.course_task_id AND tc.student_id = _task_checker_user.student_id),
    (SELECT m.user_id FROM task_interview_students r JOIN task_interviewers i ON i.id = r.interviewer_id
       JOIN course_mentors m ON m.id = i.mentor_id
      WHERE r.course_task_id = _task_checker_user.course_task_id AND r.student_id = _task_checker_user.student_id),
    (SELECT m.user_id FROM course_tasks ct, students s JOIN course_mentors m ON m.id = s.mentor_id
      WHERE ct.id = _task_checker_user.course_task_id AND ct.checker = 'mentor' AND s.id = _task_checker_user.student_id))
$$;
COMMENT ON FUNCTION _task_checker_user(bigint, bigint) IS
    'Internal: the user who checks the student on the course task (the assigned checker or interviewer, else on a '
    'mentor task the student''s mentor), NULL when none';

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

CREATE FUNCTION register_for_interview(course_task_id bigint, preferred_mentor_ids bigint[] DEFAULT '{}')
RETURNS task_interview_students
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    me  bigint := current_actor();
    ct  course_tasks;
    st  students;
    reg task_interview_students;
    pick bigint;
    strays text;
BEGIN
    SELECT * INTO ct FROM course_tasks x WHERE x.id = register_for_interview.course_task_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'course task % does not exist', coalesce(course_task_id::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
    SELECT * INTO st FROM students s WHERE s.course_id = ct.course_id AND s.user_id = me AND NOT s.is_expelled;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'only a student of course % registers for its interviews', ct.course_id
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = format('The acting user is %s.', coalesce(me::text, 'not set'));
    END IF;
    SELECT string_agg(p::text, ', ') INTO strays FROM unnest(coalesce(preferred_mentor_ids, '{}')) p
     WHERE NOT EXISTS (SELECT 1 FROM task_interviewers i WHERE i.course_task_id = ct.id AND i.mentor_id = p);
    IF strays IS NOT NULL THEN
        RAISE EXCEPTION 'course mentors % do not interview on course task %', strays, ct.id
            USING ERRCODE = 'invalid_parameter_value', HINT = 'mentor.task_interviewers lists the task''s interviewers.';
    END IF;
    INSERT INTO task_interview_students AS r (course_task_id, course_id, student_id, preferred_mentor_ids)
    VALUES (ct.id, ct.course_id, st.id, coalesce(preferred_mentor_ids, '{}'))
    ON CONFLICT ON CONSTRAINT task_interview_students_once DO UPDATE SET preferred_mentor_ids = excluded.preferred_mentor_ids
     WHERE r.interviewer_id IS NULL AND cardinality(excluded.preferred_mentor_ids) > 0;
    SELECT * INTO reg FROM task_interview_students r WHERE r.course_task_id = ct.id AND r.student_id = st.id FOR UPDATE;
    -- Stage interviews are paired for the whole group at once (distribute_interviews).
    IF reg.interviewer_id IS NULL AND (SELECT t.type FROM tasks t WHERE t.id = ct.task_id) = 'interview' THEN
        -- Every interviewer of the task is locked in one order, so racing registrations pick in turn:
        -- the one with most room whom the student has not met.
        PERFORM 1 FROM task_interviewers i WHERE i.course_task_id = ct.id ORDER BY i.id FOR UPDATE;
        SELECT i.id INTO pick FROM task_interviewers i
         WHERE i.course_task_id = ct.id AND i.assigned_count < i.capacity
           AND _interviewed_before(st.id, i.mentor_id) IS NULL
         ORDER BY i.capacity - i.assigned_count DESC, i.id LIMIT 1;
        IF pick IS NOT NULL THEN
            UPDATE task_interview_students r SET interviewer_id = pick WHERE r.id = reg.id RETURNING * INTO reg;
        END IF;
    END IF;
    RETURN reg;
END
$$;
COMMENT ON FUNCTION register_for_interview(bigint, bigint[]) IS
    'The acting student registers for an interview task, naming the interviewers (course mentor ids) they prefer '
    '(again: the same registration). On an interview task they are assigned at once the interviewer with most room '
    'whom they have not met, or wait (interviewer_id NULL); on a stage_interview task distribute_interviews() pairs '
    'them. 42501 for someone not a student of the course, 22023 for preferred mentors who do not interview there';

CREATE FUNCTION assign_interviewer(registration_id bigint, interviewer_id bigint) RETURNS task_interview_students
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    reg task_interview_students;
BEGIN
    SELECT * INTO reg FROM task_interview_students r WHERE r.id = assign_interviewer.registration_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'interview registration % does not exist', coalesce(registration_id::text, 'NULL')
            USING ERRCODE = 'no_data_found';
    END IF;
    IF NOT _is_course_staff(reg.course_id, current_actor()) THEN
        RAISE EXCEPTION 'only the course''s staff assign interviewers' USING ERRCODE = 'insufficient_privilege',
            DETAIL = format('The acting user is %s.', coalesce(current_actor()::text, 'not set'));
    END IF;
    UPDATE task_interview_students r SET interviewer_id = assign_interviewer.interviewer_id
     WHERE r.id = reg.id RETURNING * INTO reg;
    RETURN reg;
END
$$;
COMMENT ON FUNCTION assign_interviewer(bigint, bigint) IS
    'The course''s staff assign (or with NULL unassign) a registration''s interviewer: MN004 when full, 22023 for a '
    'mentor the student met or an interviewer of another task';

CREATE FUNCTION submit_interview_result(registration_id bigint, score integer, form jsonb DEFAULT '{}',
                                        comment text DEFAULT NULL) RETURNS task_interview_results
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    me      bigint := current_actor();
    reg     task_interview_students;
    ct      course_tasks;
    problem text;
    known   jsonb;
    saved   task_interview_results;
BEGIN
    SELECT * INTO reg FROM task_interview_students r WHERE r.id = submit_interview_result.registration_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'interview registration % does not exist', coalesce(registration_id::text, 'NULL')
            USING ERRCODE = 'no_data_found';
    END IF;
    SELECT * INTO ct FROM course_tasks x WHERE x.id = reg.course_task_id;
    IF me IS NULL OR (me IS DISTINCT FROM _task_checker_user(reg.course_task_id, reg.student_id)
                      AND NOT _is_course_staff(ct.course_id, me)) THEN
        RAISE EXCEPTION 'only the interviewer of student % or the course''s staff score this interview', reg.student_id
            USING ERRCODE = 'MN005', DETAIL = format('The acting user is %s.', coalesce(me::text, 'not set'));
    END IF;
    IF score IS NULL OR score < 0 OR score > ct.max_score THEN
        RAISE EXCEPTION 'score % is out of range', coalesce(score::text, 'NULL') USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('Scores of course task %s go from 0 to %s.', ct.id, ct.max_score);
    END IF;
    form := coalesce(form, '{}');
    SELECT r.problem, r.known INTO problem, known FROM _criteria_scores_problem(ct, form) r;
    IF problem IS NOT NULL THEN
        RAISE EXCEPTION 'malformed interview form' USING ERRCODE = 'invalid_parameter_value', DETAIL = problem,
            HINT = format('Known criteria and their maxima: %s', known);
    END IF;
    INSERT INTO task_interview_results AS x (registration_id, interviewer_id, score, form, comment)
    VALUES (reg.id, me, score, form, comment)
    ON CONFLICT ON CONSTRAINT task_interview_results_once DO UPDATE
       SET interviewer_id = excluded.interviewer_id, score = excluded.score, form = excluded.form, comment = excluded.comment
    RETURNING x.* INTO saved;
    PERFORM set_config('mentor.score_source', 'interview', true);
    INSERT INTO task_results AS r (course_task_id, student_id, score, last_checker_id, comment)
    VALUES (reg.course_task_id, reg.student_id, score, me, comment)
    ON CONFLICT (course_task_id, student_id) DO UPDATE
       SET score = excluded.score, last_checker_id = excluded.last_checker_id, comment = excluded.comment;
    PERFORM set_config('mentor.score_source', '', true);
    RETURN saved;
END
$$;
COMMENT ON FUNCTION submit_interview_result(bigint, integer, jsonb, text) IS
    'The interviewer (or the course''s staff) saves an interview''s result: 0 <= score <= max_score, the form''s scores '
    'per criterion of the task (22023 naming every unknown or out-of-range field); the score becomes the task result '
    '(historical_scores source interview). MN005 for anyone else';

-- Pairs for a whole group at once (stage interviews): the matching core's optimal assignment
-- over the pairs allowed, a preferred interviewer scoring higher.
CREATE FUNCTION _match_pairs(nmentees integer, capacity integer[], pair_mentee integer[], pair_mentor integer[],
                             pair_score float8[], per_mentee integer, method text)
    RETURNS TABLE (mentee integer, mentor integer, score float8, candidates integer)
    AS 'MODULE_PATHNAME', 'mn_match_pairs_sql' LANGUAGE C IMMUTABLE;
COMMENT ON FUNCTION _match_pairs(integer, integer[], integer[], integer[], float8[], integer, text) IS
    'Internal: the optimal (or stable, greedy) assignment of mentees to mentors over pairs scored by the caller, '
    'within each mentor''s capacity; numbered from 1 (C, src/core/matching.c)';

CREATE FUNCTION distribute_interviews(course_task_id bigint) RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    ct       course_tasks;
    assigned integer := 0;
BEGIN
    SELECT * INTO ct FROM course_tasks x WHERE x.id = distribute_interviews.course_task_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'course task % does not exist', coalesce(course_task_id::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
    IF NOT _is_course_staff(ct.course_id, current_actor()) THEN
        RAISE EXCEPTION 'only the course''s staff distribute interviews' USING ERRCODE = 'insufficient_privilege',
            DETAIL = format('The acting user is %s.', coalesce(current_actor()::text, 'not set'));
    END IF;
    -- The interviewers' rows in one order: registrations and other distributions wait.
    PERFORM 1 FROM task_interviewers i WHERE i.course_task_id = ct.id ORDER BY i.id FOR UPDATE;
    WITH waiting AS (
        SELECT r.id, r.student_id, r.preferred_mentor_ids, row_number() OVER (ORDER BY r.id)::integer AS n
          FROM task_interview_students r
         WHERE r.course_task_id = ct.id AND r.interviewer_id IS NULL
    ), interviewers AS (
        SELECT i.id, i.mentor_id, m.user_id, greatest(i.capacity - i.assigned_count, 0) AS free,
               row_number() OVER (ORDER BY i.id)::integer AS n
          FROM task_interviewers i JOIN course_mentors m ON m.id = i.mentor_id
         WHERE i.course_task_id = ct.id
    ), pairs AS (
        -- Not the student's own mentor, not someone in the student's team, not a mentor met before.
        SELECT w.n AS mentee, v.n AS mentor, CASE WHEN v.mentor_id = ANY (w.preferred_mentor_ids) THEN 2.0 ELSE 1.0 END::float8 AS score
          FROM waiting w JOIN students s ON s.id = w.student_id CROSS JOIN interviewers v
         WHERE s.mentor_id IS DISTINCT FROM v.mentor_id
           AND NOT EXISTS (SELECT 1 FROM team_members tm JOIN team_members tv ON tv.team_id = tm.team_id
                             JOIN students sv ON sv.id = tv.student_id
                            WHERE tm.student_id = w.student_id AND sv.user_id = v.user_id)
           AND _interviewed_before(w.student_id, v.mentor_id) IS NULL
    ), chosen AS (
        SELECT m.mentee, m.mentor
          FROM _match_pairs((SELECT count(*)::integer FROM waiting),
                            coalesce((SELECT array_agg(free ORDER BY n) FROM interviewers), '{}'),
                            coalesce((SELECT array_agg(mentee) FROM pairs), '{}'),
                            coalesce((SELECT array_agg(mentor) FROM pairs), '{}'),
                            coalesce((SELECT array_agg(score) FROM pairs), '{}'), 1, 'optimal') m
         WHERE m.mentor IS NOT NULL
    ), moved AS (
        UPDATE task_interview_students r SET interviewer_id = v.id
          FROM chosen c JOIN waiting w ON w.n = c.mentee JOIN interviewers v ON v.n = c.mentor
         WHERE r.id = w.id
        RETURNING 1
    )
    SELECT count(*) INTO assigned FROM moved;
    RETURN assigned;
END
$$;
COMMENT ON FUNCTION distribute_interviews(bigint) IS
    'The course''s staff pair the waiting registrations of an interview task with its interviewers at once: the '
    'matching core''s optimal assignment within each interviewer''s free places, a preferred interviewer counting '
    'double, never the student''s own mentor, a member of their team or a mentor they met. Returns how many were '
    'assigned; the rest keep waiting';

CREATE FUNCTION _interview_party(reg task_interview_students, action text) RETURNS bigint
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    me bigint := current_actor();
BEGIN
    IF me IS NULL OR (me IS DISTINCT FROM reg.interviewer_user_id AND NOT _is_course_staff(reg.course_id, me)) THEN
        RAISE EXCEPTION 'only the interviewer or the course''s staff %', action USING ERRCODE = 'MN005',
            DETAIL = format('The acting user is %s; the interviewer is %s.', coalesce(me::text, 'not set'),
                            coalesce(reg.interviewer_user_id::text, 'not assigned'));
    END IF;
    RETURN me;
END
$$;
COMMENT ON FUNCTION _interview_party(task_interview_students, text) IS
    'Internal: the acting user when they are the registration''s interviewer or the course''s staff, MN005 otherwise';

CREATE FUNCTION _interview_registration(registration_id bigint) RETURNS task_interview_students
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    reg task_interview_students;
BEGIN
    SELECT * INTO reg FROM task_interview_students r WHERE r.id = registration_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'interview registration % does not exist', coalesce(registration_id::text, 'NULL')
            USING ERRCODE = 'no_data_found';
    END IF;
    RETURN reg;
END
$$;
COMMENT ON FUNCTION _interview_registration(bigint) IS 'Internal: the interview registration, locked (P0002 when none)';

CREATE FUNCTION schedule_interview(registration_id bigint, during tstzrange) RETURNS task_interview_students
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    reg task_interview_students := _interview_registration(registration_id);
BEGIN
    PERFORM _interview_party(reg, 'schedule this interview');
    IF reg.interviewer_id IS NULL THEN
        RAISE EXCEPTION 'interview registration % has no interviewer yet', reg.id USING ERRCODE = 'MN006';
    END IF;
    UPDATE task_interview_students r SET during = schedule_interview.during WHERE r.id = reg.id RETURNING * INTO reg;
    RETURN reg;
END
$$;
COMMENT ON FUNCTION schedule_interview(bigint, tstzrange) IS
    'The interviewer (or the course''s staff) sets when an assigned interview takes place (NULL: unscheduled); '
    '23P01 when it overlaps another interview of the interviewer or of the student, MN006 before an interviewer is '
    'assigned';

CREATE FUNCTION decide_interview(registration_id bigint, accept boolean, assign_mentor boolean DEFAULT false)
RETURNS task_interview_students
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    reg task_interview_students := _interview_registration(registration_id);
    me  bigint := _interview_party(reg, 'decide this interview');
BEGIN
    IF accept IS NULL THEN
        RAISE EXCEPTION 'a decision accepts (true) or rejects (false)' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM task_interview_results x WHERE x.registration_id = reg.id) THEN
        RAISE EXCEPTION 'interview registration % has no result yet', reg.id USING ERRCODE = 'MN006',
            HINT = 'Save it with mentor.submit_interview_result() first.';
    END IF;
    UPDATE task_interview_students r
       SET decision = CASE WHEN accept THEN 'accepted' ELSE 'rejected' END, decided_by = me, decided_at = now()
     WHERE r.id = reg.id RETURNING * INTO reg;
    IF accept AND coalesce(assign_mentor, false) THEN
        -- The interviewer becomes the student's mentor, within their max_students (MN004).
        UPDATE students s SET mentor_id = (SELECT x.mentor_id FROM task_interviewers x WHERE x.id = reg.interviewer_id)
         WHERE s.id = reg.student_id;
    END IF;
    RETURN reg;
END
$$;
COMMENT ON FUNCTION decide_interview(bigint, boolean, boolean) IS
    'The interviewer (or the course''s staff) accepts or rejects a student after the interview''s result (MN006 '
    'before); accepted with assign_mentor, the interviewer becomes the student''s course mentor (MN004 when they are '
    'full). MN005 for anyone else';

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
ALTER TABLE task_interviewers ENABLE ROW LEVEL SECURITY;
CREATE POLICY task_interviewers_select ON task_interviewers FOR SELECT TO mentor_app USING (true);
CREATE POLICY task_interviewers_insert ON task_interviewers FOR INSERT TO mentor_app
    WITH CHECK (@extschema@._is_course_staff(course_id, @extschema@.current_actor()));
CREATE POLICY task_interviewers_update ON task_interviewers FOR UPDATE TO mentor_app
    USING (@extschema@._is_course_staff(course_id, @extschema@.current_actor()))
    WITH CHECK (@extschema@._is_course_staff(course_id, @extschema@.current_actor()));
CREATE POLICY task_interviewers_delete ON task_interviewers FOR DELETE TO mentor_app
    USING (@extschema@._is_course_staff(course_id, @extschema@.current_actor()));
ALTER TABLE task_interview_students ENABLE ROW LEVEL SECURITY;
CREATE POLICY task_interview_students_select ON task_interview_students FOR SELECT TO mentor_app
    USING (@extschema@._own_student(student_id)
           OR @extschema@._task_checker_user(course_task_id, student_id) = @extschema@.current_actor()
           OR @extschema@._is_course_staff(course_id, @extschema@.current_actor()));
CREATE POLICY task_interview_students_insert ON task_interview_students FOR INSERT TO mentor_app WITH CHECK (false);
CREATE POLICY task_interview_students_update ON task_interview_students FOR UPDATE TO mentor_app USING (false);
CREATE POLICY task_interview_students_delete ON task_interview_students FOR DELETE TO mentor_app
    USING (@extschema@._own_student(student_id) OR @extschema@._is_course_staff(course_id, @extschema@.current_actor()));
ALTER TABLE task_interview_results ENABLE ROW LEVEL SECURITY;
CREATE POLICY task_interview_results_select ON task_interview_results FOR SELECT TO mentor_app
    USING (interviewer_id = @extschema@.current_actor()
           OR EXISTS (SELECT 1 FROM @extschema@.task_interview_students r
                       WHERE r.id = registration_id
                         AND (@extschema@._own_student(r.student_id)
                              OR @extschema@._is_course_staff(r.course_id, @extschema@.current_actor()))));
CREATE POLICY task_interview_results_insert ON task_interview_results FOR INSERT TO mentor_app WITH CHECK (false);
CREATE POLICY task_interview_results_update ON task_interview_results FOR UPDATE TO mentor_app USING (false);
CREATE POLICY task_interview_results_delete ON task_interview_results FOR DELETE TO mentor_app USING (false);
