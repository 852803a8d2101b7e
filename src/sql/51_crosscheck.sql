--------------------------------------------------------------------------------
-- Module crosscheck (design.md section 8, seed 000): students review each
-- other's solutions.  The assignment is computed in C (src/core/crosscheck.c)
-- and written here in one statement; reviews, completion by a known rule and
-- reviewer flags are set-based SQL.
--------------------------------------------------------------------------------

CREATE TABLE task_solutions (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    course_task_id bigint NOT NULL REFERENCES course_tasks ON DELETE CASCADE,
    student_id     bigint NOT NULL REFERENCES students ON DELETE CASCADE,
    url            text NOT NULL CONSTRAINT task_solutions_url_http CHECK (url ~ '^https?://'),
    comment        text,
    submitted_at   timestamptz NOT NULL DEFAULT now(),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (course_task_id, student_id),
    UNIQUE (id, course_task_id, student_id),
    -- added in 0.2
    late           boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE task_solutions IS 'A student''s submitted solution of a cross-checked task (one per student and task)';
COMMENT ON COLUMN task_solutions.url IS 'Where the solution is (repository, deployed page...)';
COMMENT ON COLUMN task_solutions.submitted_at IS 'When it was submitted: within the task''s student_start_at..student_end_at unless late';
COMMENT ON COLUMN task_solutions.late IS 'Accepted after the window by course staff (mentor.accept_late_solution); the distribution reports it';
CREATE TRIGGER task_solutions_touch_updated_at BEFORE UPDATE ON task_solutions
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- A solution is submitted within its task's window; only staff accept one outside it.
CREATE FUNCTION _task_solutions_window() RETURNS trigger
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    ct course_tasks;
BEGIN
    IF NEW.late OR _importing() THEN
        RETURN NEW;
    END IF;
    SELECT * INTO ct FROM course_tasks t WHERE t.id = NEW.course_task_id;
    IF NEW.submitted_at < ct.student_start_at OR NEW.submitted_at > ct.student_end_at THEN
        RAISE EXCEPTION 'course task % takes solutions from % to %', ct.id, ct.student_start_at, ct.student_end_at
            USING ERRCODE = 'MN008', DETAIL = format('This one was submitted at %s.', NEW.submitted_at),
                  HINT = 'Course staff can accept it late with mentor.accept_late_solution().';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION _task_solutions_window() IS
    'Internal: MN008 for a solution submitted outside its task''s student_start_at..student_end_at, unless late';
CREATE TRIGGER task_solutions_window BEFORE INSERT OR UPDATE OF submitted_at, course_task_id, late ON task_solutions
    FOR EACH ROW EXECUTE FUNCTION _task_solutions_window();
CREATE TRIGGER task_solutions_owned_columns BEFORE INSERT OR UPDATE OF late ON task_solutions
    FOR EACH ROW
    EXECUTE FUNCTION _keep_owned_columns('Course staff accept a late solution with mentor.accept_late_solution().', 'late');

CREATE TABLE task_solution_checkers (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    course_task_id   bigint NOT NULL,
    task_solution_id bigint NOT NULL,
    student_id       bigint NOT NULL,
    checker_id       bigint NOT NULL REFERENCES students ON DELETE CASCADE,
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (task_solution_id, checker_id),
    FOREIGN KEY (task_solution_id, course_task_id, student_id)
        REFERENCES task_solutions (id, course_task_id, student_id) ON DELETE CASCADE,
    CONSTRAINT task_solution_checkers_no_self_review CHECK (checker_id <> student_id)
);
COMMENT ON TABLE task_solution_checkers IS
    'Who reviews which solution (written by mentor.crosscheck_distribute): checker_id reviews the solution of student_id';
COMMENT ON COLUMN task_solution_checkers.student_id IS 'Author of the solution (students.id)';
COMMENT ON COLUMN task_solution_checkers.checker_id IS 'Reviewing student (students.id)';
CREATE INDEX task_solution_checkers_task_idx ON task_solution_checkers (course_task_id, checker_id);

CREATE TABLE task_solution_results (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    course_task_id    bigint NOT NULL REFERENCES course_tasks ON DELETE CASCADE,
    task_solution_id  bigint NOT NULL,
    student_id        bigint NOT NULL REFERENCES students ON DELETE CASCADE,
    checker_id        bigint NOT NULL,
    score             integer NOT NULL CONSTRAINT task_solution_results_score_nonneg CHECK (score >= 0),
    criteria          jsonb NOT NULL DEFAULT '{}'
                      CONSTRAINT task_solution_results_criteria_object CHECK (jsonb_typeof(criteria) = 'object'),
    comment           text,
    anonymous         boolean NOT NULL DEFAULT true,
    historical_scores jsonb NOT NULL DEFAULT '[]',
    messages          jsonb NOT NULL DEFAULT '[]'
                      CONSTRAINT task_solution_results_messages_array CHECK (jsonb_typeof(messages) = 'array'),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (task_solution_id, checker_id),
    FOREIGN KEY (task_solution_id, checker_id) REFERENCES task_solution_checkers (task_solution_id, checker_id)
        ON DELETE CASCADE
);
COMMENT ON TABLE task_solution_results IS
    'A cross-check review: only an assigned checker can have one (foreign key to task_solution_checkers). '
    'The reviewed student sees anonymous reviews only through mentor.my_crosscheck_reviews, without the reviewer';
COMMENT ON COLUMN task_solution_results.student_id IS 'Author of the reviewed solution (students.id)';
COMMENT ON COLUMN task_solution_results.checker_id IS 'Reviewing student (students.id)';
COMMENT ON COLUMN task_solution_results.criteria IS 'Score per criterion key of the task: {"layout": 18, ...}';
COMMENT ON COLUMN task_solution_results.anonymous IS 'Hide the reviewer from the reviewed student (row-level security)';
COMMENT ON COLUMN task_solution_results.historical_scores IS 'Every saved score of this review, oldest first';
COMMENT ON COLUMN task_solution_results.messages IS
    'Discussion between author and reviewer, appended by mentor.crosscheck_add_message: [{"from": "student"|"reviewer"|"staff", "text", "at"}]';
CREATE INDEX task_solution_results_task_idx ON task_solution_results (course_task_id, student_id);
CREATE TRIGGER task_solution_results_touch_updated_at BEFORE UPDATE ON task_solution_results
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER task_solution_results_historical_scores BEFORE INSERT OR UPDATE ON task_solution_results
    FOR EACH ROW EXECUTE FUNCTION _append_historical_score();

-- Row-level security: through mentor_app, a review is visible to its
-- reviewer, to course staff, and to the reviewed student only when it is not
-- anonymous.  The owner (the extension's functions) is not subject to it.
ALTER TABLE task_solution_results ENABLE ROW LEVEL SECURITY;
CREATE POLICY task_solution_results_visible ON task_solution_results FOR SELECT TO mentor_app
    USING (EXISTS (SELECT 1 FROM students s
                    WHERE s.id = checker_id AND s.user_id = @extschema@.current_actor())
        OR (NOT anonymous AND EXISTS (SELECT 1 FROM students s
                                       WHERE s.id = student_id AND s.user_id = @extschema@.current_actor()))
        OR EXISTS (SELECT 1 FROM course_tasks ct
                    WHERE ct.id = course_task_id AND @extschema@._is_course_staff(ct.course_id, @extschema@.current_actor())));
-- The reviewed student's view: every review of their solutions, the reviewer
-- left out when anonymous.  Runs with the owner's rights, hence the filter.
CREATE VIEW my_crosscheck_reviews WITH (security_barrier) AS
SELECT r.id, r.course_task_id, r.task_solution_id, r.student_id,
       CASE WHEN r.anonymous THEN NULL ELSE r.checker_id END AS checker_id,
       r.score, r.criteria, r.comment, r.anonymous, r.messages, r.updated_at
  FROM task_solution_results r
  JOIN students s ON s.id = r.student_id
 WHERE s.user_id = @extschema@.current_actor();
COMMENT ON VIEW my_crosscheck_reviews IS
    'Reviews received by the acting user (mentor.set_actor), reviewer hidden when anonymous';

-- The C helpers are pure: the same arguments (the seed included) give the same pairs.
CREATE FUNCTION _crosscheck_pairs(solution_ids bigint[], student_ids bigint[], k integer, seed bigint)
    RETURNS TABLE (task_solution_id bigint, student_id bigint, checker_id bigint)
    AS 'MODULE_PATHNAME', 'mn_crosscheck_pairs' LANGUAGE C IMMUTABLE;
COMMENT ON FUNCTION _crosscheck_pairs(bigint[], bigint[], integer, bigint) IS
    'Internal: the first distribution of the given solutions (C, src/core/crosscheck.c)';

CREATE FUNCTION _crosscheck_late_pairs(solution_ids bigint[], student_ids bigint[], late boolean[],
                                       existing_checkers bigint[], existing_authors bigint[], k integer, seed bigint)
    RETURNS TABLE (task_solution_id bigint, student_id bigint, checker_id bigint)
    AS 'MODULE_PATHNAME', 'mn_crosscheck_late_pairs' LANGUAGE C IMMUTABLE;
COMMENT ON FUNCTION _crosscheck_late_pairs(bigint[], bigint[], boolean[], bigint[], bigint[], integer, bigint) IS
    'Internal: reviewers for solutions that arrived after the distribution (C, src/core/crosscheck.c)';

-- Locks the course task and checks that it is a cross-checked one.
CREATE FUNCTION _crosscheck_task(course_task_id bigint, lock_mode text) RETURNS course_tasks
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    ct course_tasks;
BEGIN
    IF lock_mode = 'update' THEN
        SELECT * INTO ct FROM course_tasks t WHERE t.id = _crosscheck_task.course_task_id FOR UPDATE;
    ELSIF lock_mode = 'none' THEN
        SELECT * INTO ct FROM course_tasks t WHERE t.id = _crosscheck_task.course_task_id;
    ELSE
        SELECT * INTO ct FROM course_tasks t WHERE t.id = _crosscheck_task.course_task_id FOR SHARE;
    END IF;
    IF ct.id IS NULL THEN
        RAISE EXCEPTION 'course task % does not exist', coalesce(course_task_id::text, 'NULL')
            USING ERRCODE = 'no_data_found', HINT = 'Pass the id of a row of mentor.course_tasks.';
    END IF;
    IF ct.checker <> 'crosscheck' THEN
        RAISE EXCEPTION 'course task % is not a cross-check task', ct.id
            USING ERRCODE = 'MN006', DETAIL = format('Its checker is %s.', ct.checker),
                  HINT = 'Set course_tasks.checker to ''crosscheck'' before distributing.';
    END IF;
    RETURN ct;
END
$$;
COMMENT ON FUNCTION _crosscheck_task(bigint, text) IS
    'Internal: a cross-check course task, locked for update or share (none: read only, as reports need on a '
    'standby), or P0002/MN006';

CREATE FUNCTION accept_late_solution(course_task_id bigint, student_id bigint, url text, comment text DEFAULT NULL)
    RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    ct    course_tasks := _crosscheck_task(course_task_id, 'share');
    actor bigint := current_actor();
    sid   bigint;
BEGIN
    IF actor IS NULL OR NOT (_is_course_staff(ct.course_id, actor) OR _is_staff(actor)) THEN
        RAISE EXCEPTION 'user % is not staff of course %', coalesce(actor::text, '(no actor)'), ct.course_id
            USING ERRCODE = 'MN005', HINT = 'Course staff (or platform staff) accept late solutions; call mentor.set_actor() first.';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM students s WHERE s.id = accept_late_solution.student_id AND s.course_id = ct.course_id) THEN
        RAISE EXCEPTION 'student % is not in course %', coalesce(student_id::text, 'NULL'), ct.course_id
            USING ERRCODE = 'no_data_found';
    END IF;
    INSERT INTO task_solutions AS t (course_task_id, student_id, url, comment, submitted_at, late)
    VALUES (ct.id, accept_late_solution.student_id, accept_late_solution.url, accept_late_solution.comment, now(), true)
    ON CONFLICT ON CONSTRAINT task_solutions_course_task_id_student_id_key DO UPDATE
       SET url = excluded.url, comment = excluded.comment, submitted_at = excluded.submitted_at, late = true
    RETURNING t.id INTO sid;
    RETURN sid;
END
$$;
COMMENT ON FUNCTION accept_late_solution(bigint, bigint, text, text) IS
    'Course staff (the acting user) accept a student''s solution outside the task''s window: stored (or replaced) with '
    'late = true, and the next crosscheck_distribute gives it reviewers. MN005 for anyone else; returns the solution id';

CREATE FUNCTION crosscheck_distribute(course_task_id bigint, reviewers integer DEFAULT NULL, seed bigint DEFAULT NULL,
                                      force boolean DEFAULT false) RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    ct       course_tasks := _crosscheck_task(course_task_id, 'update');
    k        integer := coalesce(reviewers, ct.pairs_count);
    sols     bigint[];
    authors  bigint[];
    late     boolean[];
    created  integer;
    accepted_late integer;    -- solutions staff accepted after the window, still without reviewers
BEGIN
    IF k IS NULL OR k < 1 OR k > 100 THEN
        RAISE EXCEPTION 'reviewers must be between 1 and 100, got %', coalesce(k::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Pass NULL to use the task''s pairs_count.';
    END IF;
    IF ct.crosscheck_status = 'completed' THEN
        RAISE EXCEPTION 'the cross-check of course task % is already completed', ct.id
            USING ERRCODE = 'MN006', DETAIL = 'A completed cross-check takes no new reviewers.',
                  HINT = 'Results are final; change them in mentor.task_results if needed.';
    END IF;
    IF ct.crosscheck_status = 'initial' AND statement_timestamp() < ct.student_end_at AND NOT coalesce(force, false) THEN
        RAISE EXCEPTION 'the submission deadline of course task % has not passed', ct.id
            USING ERRCODE = 'MN006', DETAIL = format('Submissions are open until %s.', ct.student_end_at),
                  HINT = 'Wait for the deadline, or pass force => true to distribute the solutions submitted so far.';
    END IF;
    seed := coalesce(seed, ct.crosscheck_seed, (random() * 9.2e18)::bigint);

    -- Solutions of students still in the course, in student id order so a seed reproduces.
    SELECT array_agg(s.id ORDER BY s.student_id), array_agg(s.student_id ORDER BY s.student_id),
           array_agg(NOT EXISTS (SELECT 1 FROM task_solution_checkers c WHERE c.task_solution_id = s.id)
                     ORDER BY s.student_id)
      INTO sols, authors, late
      FROM task_solutions s JOIN students st ON st.id = s.student_id
     WHERE s.course_task_id = ct.id AND NOT st.is_expelled;

    -- Late solutions (accepted by staff after the window) are distributed like the others, and said so.
    SELECT count(*) INTO accepted_late FROM task_solutions s
     WHERE s.id = ANY (sols) AND s.late AND NOT EXISTS (SELECT 1 FROM task_solution_checkers c WHERE c.task_solution_id = s.id);
    IF accepted_late > 0 THEN
        RAISE NOTICE 'course task %: % late solution(s), accepted by staff, get reviewers', ct.id, accepted_late;
    END IF;
    IF ct.crosscheck_status = 'initial' THEN
        INSERT INTO task_solution_checkers (course_task_id, task_solution_id, student_id, checker_id)
        SELECT ct.id, p.task_solution_id, p.student_id, p.checker_id
          FROM _crosscheck_pairs(coalesce(sols, '{}'), coalesce(authors, '{}'), k, seed) p;
        GET DIAGNOSTICS created = ROW_COUNT;
        UPDATE course_tasks t
           SET crosscheck_status = 'distributed', crosscheck_seed = seed,
               crosscheck_reviewers = created / cardinality(sols)
         WHERE t.id = ct.id;
    ELSE
        IF NOT coalesce(true = ANY (late), false) THEN
            RAISE NOTICE 'course task %: every solution already has its reviewers', ct.id;
            RETURN 0;
        END IF;
        INSERT INTO task_solution_checkers (course_task_id, task_solution_id, student_id, checker_id)
        SELECT ct.id, p.task_solution_id, p.student_id, p.checker_id
          FROM _crosscheck_late_pairs(coalesce(sols, '{}'), coalesce(authors, '{}'), coalesce(late, '{}'),
                                      (SELECT coalesce(array_agg(c.checker_id), '{}') FROM task_solution_checkers c
                                        WHERE c.course_task_id = ct.id),
                                      (SELECT coalesce(array_agg(c.student_id), '{}') FROM task_solution_checkers c
                                        WHERE c.course_task_id = ct.id),
                                      k, seed) p;
        GET DIAGNOSTICS created = ROW_COUNT;
    END IF;
    RETURN created;
END
$$;
COMMENT ON FUNCTION crosscheck_distribute(bigint, integer, bigint, boolean) IS
    'Assigns cross-check reviewers and returns the pairs created. First call: every non-expelled student with a '
    'solution reviews and is reviewed by k others (k = reviewers, default pairs_count), no self, duplicate or mutual '
    'pair when n >= 2k+1; smaller classes get exact loads with mutual pairs (k+1 <= n < 2k+1) or n-1 each (n <= k), '
    'with a NOTICE; n < 2 fails with MN007 and changes nothing. Later calls give late solutions reviewers, '
    'least-loaded first. Deterministic for a seed; waits for student_end_at unless force';

-- Scores per criterion (a review's, an interview's form) against the task's criteria: every
-- wrong entry is named, so one error says all that must change.
CREATE FUNCTION _criteria_scores_problem(ct course_tasks, scores jsonb, OUT problem text, OUT known jsonb)
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    SELECT coalesce(jsonb_object_agg(c ->> 'key', (c ->> 'max')::numeric), '{}') INTO known
      FROM tasks t, jsonb_array_elements(t.criteria) c WHERE t.id = ct.task_id;
    IF jsonb_typeof(scores) <> 'object' THEN
        problem := 'criteria must be a JSON object of scores per criterion key';
    ELSE
        SELECT string_agg(CASE
                   WHEN jsonb_typeof(e.value) <> 'number' THEN format('"%s" is not a number', e.key)
                   WHEN known <> '{}' AND NOT known ? e.key THEN format('"%s" is not a criterion of the task', e.key)
                   WHEN e.value::text::numeric < 0 OR e.value::text::numeric > coalesce((known ->> e.key)::numeric, ct.max_score)
                       THEN format('"%s" must be between 0 and %s', e.key, coalesce(known ->> e.key, ct.max_score::text))
               END, '; ')
          INTO problem FROM jsonb_each(scores) e;
    END IF;
END
$$;
COMMENT ON FUNCTION _criteria_scores_problem(course_tasks, jsonb) IS
    'Internal: what is wrong with scores per criterion key for the course task (unknown keys, non-numbers, out of '
    '0..max), NULL when nothing; and the task''s criteria as {key: max}';

CREATE FUNCTION crosscheck_submit_review(course_task_id bigint, checker_student_id bigint, solution_id bigint,
                                         score integer, criteria jsonb DEFAULT '{}', comment text DEFAULT NULL,
                                         anonymous boolean DEFAULT true) RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    ct       course_tasks := _crosscheck_task(course_task_id, 'share');
    sol      task_solutions;
    known    jsonb;
    problem  text;
    actor    bigint := current_actor();
    saved    bigint;
BEGIN
    IF ct.crosscheck_status <> 'distributed' THEN
        RAISE EXCEPTION 'course task % takes no reviews now', ct.id
            USING ERRCODE = 'MN006', DETAIL = format('Its cross-check is %s.', ct.crosscheck_status),
                  HINT = CASE ct.crosscheck_status WHEN 'initial' THEN 'Reviews open after mentor.crosscheck_distribute.'
                              ELSE 'The cross-check is completed; its results are final.' END;
    END IF;
    IF ct.crosscheck_end_at IS NOT NULL AND statement_timestamp() > ct.crosscheck_end_at THEN
        RAISE EXCEPTION 'the review deadline of course task % has passed', ct.id
            USING ERRCODE = 'MN008', DETAIL = format('Reviews closed at %s.', ct.crosscheck_end_at),
                  HINT = 'A course manager can move course_tasks.crosscheck_end_at.';
    END IF;
    SELECT * INTO sol FROM task_solutions s WHERE s.id = solution_id AND s.course_task_id = ct.id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'solution % of course task % does not exist', coalesce(solution_id::text, 'NULL'), ct.id
            USING ERRCODE = 'no_data_found';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM task_solution_checkers c
                    WHERE c.task_solution_id = sol.id AND c.checker_id = checker_student_id) THEN
        RAISE EXCEPTION 'student % is not assigned to review solution %', coalesce(checker_student_id::text, 'NULL'), sol.id
            USING ERRCODE = 'MN005',
                  HINT = 'SELECT checker_id FROM mentor.task_solution_checkers WHERE task_solution_id = ... lists the reviewers.';
    END IF;
    IF actor IS NOT NULL AND NOT EXISTS (SELECT 1 FROM students st WHERE st.id = checker_student_id AND st.user_id = actor)
       AND NOT _is_course_staff(ct.course_id, actor) THEN
        RAISE EXCEPTION 'user % cannot review as student %', actor, checker_student_id
            USING ERRCODE = 'MN005', HINT = 'The acting user (mentor.set_actor) must be the reviewing student or course staff.';
    END IF;
    IF score IS NULL OR score < 0 OR score > ct.max_score THEN
        RAISE EXCEPTION 'score % is out of range', coalesce(score::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value', DETAIL = format('Scores of course task %s go from 0 to %s.', ct.id, ct.max_score);
    END IF;
    criteria := coalesce(criteria, '{}');
    SELECT r.problem, r.known INTO problem, known FROM _criteria_scores_problem(ct, criteria) r;
    IF problem IS NOT NULL THEN
        RAISE EXCEPTION 'malformed review criteria' USING ERRCODE = 'invalid_parameter_value', DETAIL = problem,
            HINT = format('Known criteria and their maxima: %s', known);
    END IF;

    PERFORM set_config('mentor.score_source', 'review', true);
    INSERT INTO task_solution_results AS r (course_task_id, task_solution_id, student_id, checker_id, score, criteria,
                                            comment, anonymous)
    VALUES (ct.id, sol.id, sol.student_id, checker_student_id, score, criteria, comment, coalesce(anonymous, true))
    ON CONFLICT ON CONSTRAINT task_solution_results_task_solution_id_checker_id_key DO UPDATE
       SET score = EXCLUDED.score, criteria = EXCLUDED.criteria, comment = EXCLUDED.comment, anonymous = EXCLUDED.anonymous
    RETURNING r.id INTO saved;
    PERFORM set_config('mentor.score_source', '', true);
    RETURN saved;
END
$$;
COMMENT ON FUNCTION crosscheck_submit_review(bigint, bigint, bigint, integer, jsonb, text, boolean) IS
    'Saves (or re-saves) the review of an assigned checker while the cross-check is distributed and before '
    'crosscheck_end_at; 0 <= score <= max_score, criteria keys and maxima from the task; every save appends to '
    'historical_scores. Returns the review id';

-- The discussion of a review: the author may answer an anonymous reviewer
-- without learning who it is, so messages name roles, not people.
CREATE FUNCTION crosscheck_add_message(review_id bigint, message text) RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    r      task_solution_results;
    actor  bigint := current_actor();
    sender text;
    entry  jsonb;
BEGIN
    SELECT * INTO r FROM task_solution_results t WHERE t.id = review_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'review % does not exist', coalesce(review_id::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
    IF message IS NULL OR length(btrim(message)) NOT BETWEEN 1 AND 5000 THEN
        RAISE EXCEPTION 'a message must have 1 to 5000 characters'
            USING ERRCODE = 'invalid_parameter_value', DETAIL = format('Got %s.', coalesce(length(btrim(message)), 0));
    END IF;
    sender := CASE
        WHEN actor IS NULL THEN NULL
        WHEN EXISTS (SELECT 1 FROM students s WHERE s.id = r.student_id AND s.user_id = actor) THEN 'student'
        WHEN EXISTS (SELECT 1 FROM students s WHERE s.id = r.checker_id AND s.user_id = actor) THEN 'reviewer'
        WHEN _is_course_staff((SELECT ct.course_id FROM course_tasks ct WHERE ct.id = r.course_task_id), actor) THEN 'staff'
    END;
    IF sender IS NULL THEN
        RAISE EXCEPTION 'user % takes no part in review %', coalesce(actor::text, '(no actor)'), r.id
            USING ERRCODE = 'MN005',
                  HINT = 'Set the acting user (mentor.set_actor) to the reviewed student, the reviewer or course staff.';
    END IF;
    entry := jsonb_build_object('from', sender, 'text', btrim(message), 'at', statement_timestamp());
    UPDATE task_solution_results t SET messages = t.messages || entry WHERE t.id = r.id;
    RETURN entry;
END
$$;
COMMENT ON FUNCTION crosscheck_add_message(bigint, text) IS
    'Appends a message of the acting user (the reviewed student, the reviewer or course staff; MN005 otherwise) to '
    'a review''s discussion and returns it; messages say the sender''s role, never who an anonymous reviewer is';

-- One row per reviewed student with the score each method gives.
CREATE FUNCTION crosscheck_complete(course_task_id bigint, method text DEFAULT 'top_k_minus_1') RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
SET work_mem = '64MB'    -- per-student windows and sums in memory for large cohorts
AS $$
DECLARE
    ct      course_tasks := _crosscheck_task(course_task_id, 'update');
    written integer;
BEGIN
    IF method IS NULL OR method NOT IN ('top_k_minus_1', 'median', 'mean') THEN
        RAISE EXCEPTION 'unknown completion method %', coalesce(quote_literal(method), 'NULL')
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Use top_k_minus_1, median or mean.';
    END IF;
    IF ct.crosscheck_status = 'initial' THEN
        RAISE EXCEPTION 'course task % has not been distributed', ct.id
            USING ERRCODE = 'MN006', HINT = 'Run mentor.crosscheck_distribute first.';
    END IF;
    PERFORM set_config('mentor.score_source', 'crosscheck:' || method, true);
    WITH received AS (
        SELECT r.student_id, r.score, r.criteria,
               row_number() OVER (PARTITION BY r.student_id ORDER BY r.score DESC) AS place
          FROM task_solution_results r
         WHERE r.course_task_id = ct.id),
    reviewers AS (     -- reviewers each solution has
        SELECT c.student_id, count(*) AS n FROM task_solution_checkers c
         WHERE c.course_task_id = ct.id GROUP BY c.student_id),
    to_do AS (         -- reviews each student was given
        SELECT c.checker_id AS student_id, count(*) AS n FROM task_solution_checkers c
         WHERE c.course_task_id = ct.id GROUP BY c.checker_id),
    done AS (          -- reviews each student submitted
        SELECT r.checker_id AS student_id, count(*) AS n FROM task_solution_results r
         WHERE r.course_task_id = ct.id GROUP BY r.checker_id),
    top AS (
        SELECT x.student_id, round(avg(x.score))::integer AS score
          FROM received x
          JOIN reviewers rv ON rv.student_id = x.student_id
          LEFT JOIN to_do td ON td.student_id = x.student_id
          LEFT JOIN done d ON d.student_id = x.student_id
         WHERE x.place <= greatest(rv.n - 1, 1)
           -- a student given no reviews to do (a late submission) owes none
           AND (coalesce(td.n, 0) = 0 OR coalesce(d.n, 0) >= greatest(td.n - 1, 1))
         GROUP BY x.student_id),
    per_criterion AS (
        SELECT q.student_id, sum(q.m) AS total
          FROM (SELECT x.student_id, ceil(percentile_cont(0.5) WITHIN GROUP (ORDER BY e.value::text::numeric)) AS m
                  FROM received x, jsonb_each(x.criteria) e
                 GROUP BY x.student_id, e.key) q
         GROUP BY q.student_id),
    median AS (
        SELECT q.student_id, least(coalesce(pc.total, q.m), ct.max_score)::integer AS score
          FROM (SELECT x.student_id, ceil(percentile_cont(0.5) WITHIN GROUP (ORDER BY x.score)) AS m
                  FROM received x GROUP BY x.student_id) q
          LEFT JOIN per_criterion pc ON pc.student_id = q.student_id),
    mean AS (
        SELECT x.student_id, round(avg(x.score))::integer AS score FROM received x GROUP BY x.student_id),
    chosen AS (
        SELECT * FROM top WHERE method = 'top_k_minus_1'
        UNION ALL SELECT * FROM median WHERE method = 'median'
        UNION ALL SELECT * FROM mean WHERE method = 'mean')
    INSERT INTO task_results AS t (course_task_id, student_id, score)
    SELECT ct.id, c.student_id, c.score FROM chosen c
    ON CONFLICT ON CONSTRAINT task_results_course_task_id_student_id_key DO UPDATE
       SET score = EXCLUDED.score, last_checker_id = NULL
     WHERE t.score IS DISTINCT FROM EXCLUDED.score;
    GET DIAGNOSTICS written = ROW_COUNT;
    PERFORM set_config('mentor.score_source', '', true);
    IF ct.crosscheck_status <> 'completed' THEN
        UPDATE course_tasks t SET crosscheck_status = 'completed' WHERE t.id = ct.id;
    END IF;
    RETURN written;
END
$$;
COMMENT ON FUNCTION crosscheck_complete(bigint, text) IS
    'Scores the cross-check into task_results and marks it completed; returns the results written. Methods: '
    'top_k_minus_1 (students who did at least max(k-1,1) of the k reviews they were given get the rounded mean of '
    'their best max(r-1,1) received scores, r = their reviewers), median (per criterion, rounded up, summed; the median score without criteria), '
    'mean (rounded mean of all received scores). Can be re-run: changed scores are overwritten, history kept';

CREATE FUNCTION crosscheck_reviewer_flags(course_task_id bigint, min_comment_length integer DEFAULT 20)
    RETURNS TABLE (review_id bigint, task_solution_id bigint, student_id bigint, checker_id bigint, score integer,
                   flag text, detail text)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    -- a report: no lock, so that it runs on a standby
    ct course_tasks := _crosscheck_task(course_task_id, 'none');
BEGIN
    RETURN QUERY
    WITH stats AS (
        SELECT r.*, count(*) OVER w AS n, sum(r.score) OVER w AS total
          FROM task_solution_results r WHERE r.course_task_id = ct.id
        WINDOW w AS (PARTITION BY r.task_solution_id))
    SELECT s.id, s.task_solution_id, s.student_id, s.checker_id, s.score, 'outlier',
           format('score %s vs %s, the mean of the %s other reviewers (accepted: %s-%s)', s.score,
                  round((s.total - s.score)::numeric / (s.n - 1), 2), s.n - 1,
                  round(0.9 * (s.total - s.score) / (s.n - 1), 2), round(1.1 * (s.total - s.score) / (s.n - 1), 2))
      FROM stats s
     WHERE s.n >= 3
       AND (s.score < 0.9 * (s.total - s.score) / (s.n - 1) OR s.score > 1.1 * (s.total - s.score) / (s.n - 1))
    UNION ALL
    SELECT s.id, s.task_solution_id, s.student_id, s.checker_id, s.score,
           CASE WHEN coalesce(btrim(s.comment), '') = '' THEN 'missing_comment' ELSE 'short_comment' END,
           format('score %s below the maximum %s with a comment of %s characters (at least %s expected)',
                  s.score, ct.max_score, length(coalesce(btrim(s.comment), '')), min_comment_length)
      FROM stats s
     WHERE s.score < ct.max_score AND length(coalesce(btrim(s.comment), '')) < min_comment_length
     ORDER BY 2, 4, 6;
END
$$;
COMMENT ON FUNCTION crosscheck_reviewer_flags(bigint, integer) IS
    'Reviews worth a second look: outlier (outside 0.9-1.1x the mean of the other reviewers of the same solution, '
    'when it has at least 3 reviews) and missing_comment / short_comment (a score below the maximum explained in '
    'fewer than min_comment_length characters)';

CREATE VIEW crosscheck_progress AS
SELECT ct.id AS course_task_id, ct.course_id, t.name AS task, ct.crosscheck_status, ct.crosscheck_reviewers,
       (SELECT count(*) FROM task_solutions s WHERE s.course_task_id = ct.id) AS solutions,
       (SELECT count(*) FROM task_solution_checkers c WHERE c.course_task_id = ct.id) AS assigned_reviews,
       (SELECT count(*) FROM task_solution_results r WHERE r.course_task_id = ct.id) AS submitted_reviews,
       (SELECT count(*) FROM task_solutions s WHERE s.course_task_id = ct.id AND s.late) AS late_solutions
  FROM course_tasks ct JOIN tasks t ON t.id = ct.task_id
 WHERE ct.checker = 'crosscheck';
COMMENT ON VIEW crosscheck_progress IS 'Per cross-check task: status, solutions, reviews assigned and submitted, late solutions';

-- What a distribution made, as a result rather than the NOTICEs it raises (most clients drop those).
CREATE FUNCTION crosscheck_report(course_task_id bigint)
    RETURNS TABLE (solutions integer, late_solutions integer, pairs integer, mutual_pairs integer,
                   min_reviewers integer, max_reviewers integer)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
SELECT (SELECT count(*) FROM task_solutions s WHERE s.course_task_id = ct.id)::integer,
       (SELECT count(*) FROM task_solutions s WHERE s.course_task_id = ct.id AND s.late)::integer,
       (SELECT count(*) FROM task_solution_checkers c WHERE c.course_task_id = ct.id)::integer,
       (SELECT count(*) / 2 FROM task_solution_checkers a JOIN task_solution_checkers b
            ON b.course_task_id = a.course_task_id AND b.checker_id = a.student_id AND b.student_id = a.checker_id
         WHERE a.course_task_id = ct.id)::integer,
       r.lo, r.hi
  FROM course_tasks ct
  LEFT JOIN LATERAL (SELECT min(k)::integer AS lo, max(k)::integer AS hi
                       FROM (SELECT count(c.id) AS k FROM task_solutions s
                               LEFT JOIN task_solution_checkers c ON c.task_solution_id = s.id
                              WHERE s.course_task_id = ct.id GROUP BY s.id) x) r ON true
 WHERE ct.id = crosscheck_report.course_task_id
$$;
COMMENT ON FUNCTION crosscheck_report(bigint) IS
    'What the distribution of a cross-check task made, as one row: solutions, late ones (accepted by staff), pairs, '
    'mutual pairs, and the fewest and most reviewers a solution has; no row for an unknown task. Counts only: who '
    'reviews whom stays private';

SELECT _enable_history_shipped('task_solutions');
-- Who reviewed whom, and what they wrote, is for administrators: reviews may be anonymous.
SELECT _enable_history_shipped('task_solution_checkers', private => ARRAY['checker_id']);
SELECT _enable_history_shipped('task_solution_results', private => ARRAY['checker_id', 'comment', 'messages']);
