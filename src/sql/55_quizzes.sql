--------------------------------------------------------------------------------
-- Module learning, quizzes (seed 001 Module, Quiz, QuizSubmission,
-- QuestionBankCategory, QuestionBankQuestion): courses are made of ordered
-- modules; a module's quizzes draw questions from a question bank; a user
-- starts attempts within the quiz's limit and time limit, and submit_quiz
-- grades in the database, once per attempt.  The correct answers are never
-- readable by the application: it reads questions through
-- quiz_questions_public, and an attempt's answers once it is closed through
-- quiz_review().
--------------------------------------------------------------------------------

CREATE TABLE course_modules (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    course_id   bigint NOT NULL REFERENCES courses ON DELETE CASCADE,
    position    integer NOT NULL CONSTRAINT course_modules_position_positive CHECK (position >= 1),
    title       text NOT NULL CONSTRAINT course_modules_title_length CHECK (length(btrim(title)) BETWEEN 1 AND 200),
    description text CONSTRAINT course_modules_description_length CHECK (length(description) <= 20000),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT course_modules_position_once UNIQUE (course_id, position) DEFERRABLE INITIALLY IMMEDIATE,
    -- the target of classes' and assignments' (module, course) keys: a module of the same course
    CONSTRAINT course_modules_id_course UNIQUE (id, course_id)
);
COMMENT ON TABLE course_modules IS
    'A course''s modules (seed 001 Module), ordered by position (unique per course, deferrable for swaps); written by '
    'the course''s staff';
CREATE TRIGGER course_modules_touch_updated_at BEFORE UPDATE ON course_modules
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE question_categories (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        citext NOT NULL UNIQUE CONSTRAINT question_categories_name_length CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    description text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE question_categories IS 'Question bank categories (seed 001 QuestionBankCategory); written by staff';
CREATE TRIGGER question_categories_touch_updated_at BEFORE UPDATE ON question_categories
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TYPE question_kind AS ENUM ('single_choice', 'multiple_choice', 'text');
COMMENT ON TYPE question_kind IS
    'single_choice: one option is right; multiple_choice: a set of options is; text: any of the accepted answers';

CREATE TABLE questions (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    category_id bigint REFERENCES question_categories ON DELETE SET NULL,
    kind        @extschema@.question_kind NOT NULL,
    prompt      text NOT NULL CONSTRAINT questions_prompt_length CHECK (length(btrim(prompt)) BETWEEN 1 AND 5000),
    options     jsonb,
    correct     jsonb NOT NULL,
    points      numeric(6,2) NOT NULL DEFAULT 1 CONSTRAINT questions_points_positive CHECK (points > 0),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    -- Choices: 2 to 20 options (strings), the right ones as option indexes (0-based; one for
    -- single_choice).  Text: no options, 1 to 50 accepted answers (strings, compared trimmed
    -- and in any case).
    CONSTRAINT questions_shape CHECK (
        CASE kind
        WHEN 'text' THEN options IS NULL AND jsonb_typeof(correct) = 'array'
                         AND jsonb_array_length(correct) BETWEEN 1 AND 50
                         AND NOT jsonb_path_exists(correct, '$[*] ? (@.type() != "string")')
        ELSE jsonb_typeof(options) = 'array' AND jsonb_array_length(options) BETWEEN 2 AND 20
             AND NOT jsonb_path_exists(options, '$[*] ? (@.type() != "string")')
             AND jsonb_typeof(correct) = 'array'
             AND jsonb_array_length(correct) BETWEEN 1 AND CASE kind WHEN 'single_choice' THEN 1 ELSE 20 END
             AND NOT jsonb_path_exists(correct, '$[*] ? (@.type() != "number" || @ < 0 || @ >= $n || @ != @.floor())',
                                       jsonb_build_object('n', jsonb_array_length(options)))
        END)
);
COMMENT ON TABLE questions IS
    'The question bank (seed 001 QuestionBankQuestion): written and read by staff (mentor_admin); the application '
    'reads questions without their answers through quiz_questions_public';
COMMENT ON COLUMN questions.options IS 'The choices, a JSON array of strings (NULL for a text question)';
COMMENT ON COLUMN questions.correct IS
    'The right answer: option indexes (0-based) for choices, accepted answers (strings) for text. Never readable by mentor_app';
CREATE INDEX questions_category_idx ON questions (category_id);
CREATE TRIGGER questions_touch_updated_at BEFORE UPDATE ON questions
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE quizzes (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    module_id    bigint NOT NULL REFERENCES course_modules ON DELETE CASCADE,
    title        text NOT NULL CONSTRAINT quizzes_title_length CHECK (length(btrim(title)) BETWEEN 1 AND 200),
    max_attempts integer NOT NULL DEFAULT 1 CONSTRAINT quizzes_max_attempts CHECK (max_attempts BETWEEN 1 AND 100),
    time_limit   interval CONSTRAINT quizzes_time_limit CHECK (time_limit > interval '0' AND time_limit <= interval '1 day'),
    scoring      text NOT NULL DEFAULT 'best' CONSTRAINT quizzes_scoring CHECK (scoring IN ('best', 'latest')),
    published    boolean NOT NULL DEFAULT false,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE quizzes IS
    'A module''s quiz (seed 001 Quiz): its questions in quiz_questions; attempts per user up to max_attempts, each '
    'within time_limit (none: no limit); the best or the latest submitted attempt counts (scoring)';
CREATE INDEX quizzes_module_idx ON quizzes (module_id);
CREATE TRIGGER quizzes_touch_updated_at BEFORE UPDATE ON quizzes
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE quiz_questions (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    quiz_id     bigint NOT NULL REFERENCES quizzes ON DELETE CASCADE,
    question_id bigint NOT NULL REFERENCES questions ON DELETE RESTRICT,
    position    integer NOT NULL CONSTRAINT quiz_questions_position_positive CHECK (position >= 1),
    CONSTRAINT quiz_questions_once UNIQUE (quiz_id, question_id),
    CONSTRAINT quiz_questions_position_once UNIQUE (quiz_id, position) DEFERRABLE INITIALLY IMMEDIATE
);
COMMENT ON TABLE quiz_questions IS 'The questions a quiz draws from the bank, in order; each once per quiz';
CREATE INDEX quiz_questions_question_idx ON quiz_questions (question_id);

CREATE TABLE quiz_attempts (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    quiz_id      bigint NOT NULL REFERENCES quizzes ON DELETE CASCADE,
    user_id      bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    attempt_no   integer NOT NULL CONSTRAINT quiz_attempts_no_positive CHECK (attempt_no >= 1),
    started_at   timestamptz NOT NULL DEFAULT now(),
    deadline     timestamptz,
    submitted_at timestamptz,
    answers      jsonb,
    score        numeric(8,2),
    max_score    numeric(8,2),
    CONSTRAINT quiz_attempts_once UNIQUE (quiz_id, user_id, attempt_no),
    CONSTRAINT quiz_attempts_graded CHECK ((submitted_at IS NULL) = (score IS NULL) AND (score IS NULL) = (max_score IS NULL))
);
COMMENT ON TABLE quiz_attempts IS
    'A user''s attempts at a quiz (seed 001 QuizSubmission): started by mentor.start_quiz(), graded once by '
    'mentor.submit_quiz(); each user reads their own, staff all';
COMMENT ON COLUMN quiz_attempts.deadline IS 'started_at + the quiz''s time_limit (NULL: none); a submission after it is MN008';
COMMENT ON COLUMN quiz_attempts.answers IS 'What was submitted: {"<question id>": answer}, an option index, an array of them, or text';
COMMENT ON COLUMN quiz_attempts.score IS 'Points of the right answers (set by submit_quiz)';
CREATE INDEX quiz_attempts_user_idx ON quiz_attempts (user_id, quiz_id);

-- The quiz's questions without their answers: what the application shows.
CREATE VIEW quiz_questions_public AS
SELECT qq.quiz_id, qq.position, q.id AS question_id, q.kind, q.prompt, q.options, q.points
  FROM quiz_questions qq JOIN questions q ON q.id = qq.question_id;
COMMENT ON VIEW quiz_questions_public IS
    'A quiz''s questions in order, with their options and points but never the correct answers';

-- The counting attempt per user and quiz (best or latest, by the quiz's scoring).
CREATE VIEW quiz_results WITH (security_invoker) AS
SELECT DISTINCT ON (a.quiz_id, a.user_id) a.quiz_id, a.user_id, a.id AS attempt_id, a.score, a.max_score, a.submitted_at,
       (SELECT count(*) FROM quiz_attempts x WHERE x.quiz_id = a.quiz_id AND x.user_id = a.user_id AND x.submitted_at IS NOT NULL) AS attempts
  FROM quiz_attempts a JOIN quizzes z ON z.id = a.quiz_id
 WHERE a.submitted_at IS NOT NULL
 ORDER BY a.quiz_id, a.user_id, CASE WHEN z.scoring = 'best' THEN a.score END DESC NULLS LAST, a.submitted_at DESC;
COMMENT ON VIEW quiz_results IS
    'The attempt that counts per user and quiz: the best score, or the latest submission (quizzes.scoring); readable as '
    'the attempts are';

-- One answer against the right one (C, src/quizzes.c): a choice is right when the set of
-- options given (one index or an array of them) equals the right set; text when it is one of
-- the accepted answers, trimmed of spaces and in any case.  No answer, or one of another
-- shape, is wrong.
CREATE FUNCTION _quiz_answer_right(is_text boolean, correct jsonb, answer jsonb) RETURNS boolean
    AS 'MODULE_PATHNAME', 'mn_quiz_answer_right' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION _quiz_answer_right(boolean, jsonb, jsonb) IS 'Internal: whether an answer to a question is right';

-- One grading for learners' quizzes and candidates' (85_hiring_pipeline): one pass over the
-- questions, which also counts the answers that belong to one; any others are named (the slow
-- path, on errors only).
CREATE FUNCTION _grade_answers(question_ids bigint[], answers jsonb, what text, OUT got numeric, OUT total numeric)
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    known  bigint;
    strays text;
BEGIN
    IF jsonb_typeof(answers) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION 'answers are a JSON object keyed by question id' USING ERRCODE = 'invalid_parameter_value',
            HINT = 'For example {"12": 0, "13": [1, 2], "14": "Paris"}.';
    END IF;
    SELECT coalesce(sum(q.points) FILTER (WHERE _quiz_answer_right(q.kind = 'text', q.correct, answers -> q.id::text)), 0),
           coalesce(sum(q.points), 0), count(*) FILTER (WHERE answers ? q.id::text)
      INTO got, total, known
      FROM questions q
     WHERE q.id = ANY (question_ids);
    IF known <> (SELECT count(*) FROM jsonb_object_keys(answers)) THEN
        SELECT string_agg(k, ', ' ORDER BY k) INTO strays
          FROM jsonb_object_keys(answers) k
         WHERE k NOT IN (SELECT unnest(question_ids)::text);
        RAISE EXCEPTION 'questions % are not in %', strays, what USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Answer only the questions it lists.';
    END IF;
END
$$;
COMMENT ON FUNCTION _grade_answers(bigint[], jsonb, text) IS
    'Internal: the points got and the points possible of answers ({"<question id>": answer}) to bank questions; '
    '22023 for answers that are not an object or name questions not among them';

CREATE FUNCTION start_quiz(quiz_id bigint) RETURNS quiz_attempts
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    me   bigint := _community_actor();
    z    quizzes;
    a    quiz_attempts;
    used integer;
BEGIN
    SELECT * INTO z FROM quizzes x WHERE x.id = start_quiz.quiz_id;
    IF NOT FOUND OR NOT (z.published OR _actor_is_staff()) THEN
        RAISE EXCEPTION 'quiz % does not exist', coalesce(quiz_id::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
    -- One user's starts queue here, so two at once never make attempts past the limit.
    PERFORM pg_advisory_xact_lock(hashtextextended('mentor.quiz:' || z.id || ':' || me, 0));
    SELECT * INTO a FROM quiz_attempts x
     WHERE x.quiz_id = z.id AND x.user_id = me AND x.submitted_at IS NULL AND (x.deadline IS NULL OR x.deadline > now())
     ORDER BY x.attempt_no DESC LIMIT 1;
    IF FOUND THEN
        RETURN a;    -- an attempt still open: carry on with it
    END IF;
    SELECT count(*) INTO used FROM quiz_attempts x WHERE x.quiz_id = z.id AND x.user_id = me;
    IF used >= z.max_attempts THEN
        RAISE EXCEPTION 'no attempts left at quiz %', z.id USING ERRCODE = 'MN006',
            DETAIL = format('User %s used %s of %s.', me, used, z.max_attempts);
    END IF;
    INSERT INTO quiz_attempts (quiz_id, user_id, attempt_no, deadline)
    VALUES (z.id, me, used + 1, now() + z.time_limit)
    RETURNING * INTO a;
    RETURN a;
END
$$;
COMMENT ON FUNCTION start_quiz(bigint) IS
    'The acting user starts an attempt at a published quiz (or carries on with one still open); MN006 once max_attempts '
    'are used, P0002 for an unknown or unpublished quiz';

CREATE FUNCTION submit_quiz(attempt_id bigint, answers jsonb) RETURNS quiz_attempts
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    me        bigint := _community_actor();
    a         quiz_attempts;
    g         record;
BEGIN
    -- The attempt's row lock: a second submission of it waits, then finds it graded.
    SELECT * INTO a FROM quiz_attempts x WHERE x.id = submit_quiz.attempt_id FOR UPDATE;
    IF NOT FOUND OR a.user_id <> me THEN
        RAISE EXCEPTION 'quiz attempt % does not exist', coalesce(attempt_id::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
    IF a.submitted_at IS NOT NULL THEN
        RAISE EXCEPTION 'quiz attempt % was submitted at %', a.id, a.submitted_at USING ERRCODE = 'MN006',
            HINT = 'Start another attempt with mentor.start_quiz() if any are left.';
    END IF;
    IF a.deadline < now() THEN
        RAISE EXCEPTION 'the time of quiz attempt % ran out at %', a.id, a.deadline USING ERRCODE = 'MN008';
    END IF;
    g := _grade_answers(ARRAY(SELECT qq.question_id FROM quiz_questions qq WHERE qq.quiz_id = a.quiz_id), answers,
                        format('quiz %s', a.quiz_id));
    UPDATE quiz_attempts x
       SET submitted_at = now(), answers = submit_quiz.answers, score = g.got, max_score = g.total
     WHERE x.id = a.id
    RETURNING x.* INTO a;
    RETURN a;
END
$$;
COMMENT ON FUNCTION submit_quiz(bigint, jsonb) IS
    'The acting user submits their open attempt: {"<question id>": answer} (an option index or an array of them for '
    'choices, text for text questions); graded in the database and returned. MN006 when already submitted (also for a '
    'second submission racing the first), MN008 past the deadline, 22023 naming answers to questions not in the quiz';

CREATE FUNCTION quiz_review(attempt_id bigint)
RETURNS TABLE (question_id bigint, question_no integer, prompt text, options jsonb, answer jsonb, correct jsonb, is_right boolean, points numeric)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    me bigint := _community_actor();
    a  quiz_attempts;
BEGIN
    SELECT * INTO a FROM quiz_attempts x WHERE x.id = quiz_review.attempt_id;
    IF NOT FOUND OR NOT (a.user_id = me OR _actor_is_staff()) THEN
        RAISE EXCEPTION 'quiz attempt % does not exist', coalesce(attempt_id::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
    IF a.submitted_at IS NULL AND (a.deadline IS NULL OR a.deadline > now()) THEN
        RAISE EXCEPTION 'quiz attempt % is still open', a.id USING ERRCODE = 'MN006',
            HINT = 'The answers are shown once it is submitted or its time has run out.';
    END IF;
    RETURN QUERY
    SELECT q.id, qq.position, q.prompt, q.options, a.answers -> q.id::text, q.correct,
           _quiz_answer_right(q.kind = 'text', q.correct, a.answers -> q.id::text),
           q.points
      FROM quiz_questions qq JOIN questions q ON q.id = qq.question_id
     WHERE qq.quiz_id = a.quiz_id
     ORDER BY qq.position;
END
$$;
COMMENT ON FUNCTION quiz_review(bigint) IS
    'An attempt''s questions with the answer given, the correct one and whether it was right, once the attempt is '
    'closed (submitted or out of time; MN006 before); the attempt''s user or staff only';

ALTER TABLE course_modules ENABLE ROW LEVEL SECURITY;
CREATE POLICY course_modules_select ON course_modules FOR SELECT TO mentor_app USING (true);
CREATE POLICY course_modules_insert ON course_modules FOR INSERT TO mentor_app
    WITH CHECK (@extschema@._is_course_staff(course_id, @extschema@.current_actor()));
CREATE POLICY course_modules_update ON course_modules FOR UPDATE TO mentor_app
    USING (@extschema@._is_course_staff(course_id, @extschema@.current_actor()))
    WITH CHECK (@extschema@._is_course_staff(course_id, @extschema@.current_actor()));
CREATE POLICY course_modules_delete ON course_modules FOR DELETE TO mentor_app
    USING (@extschema@._is_course_staff(course_id, @extschema@.current_actor()));
ALTER TABLE quiz_attempts ENABLE ROW LEVEL SECURITY;
CREATE POLICY quiz_attempts_select ON quiz_attempts FOR SELECT TO mentor_app
    USING (user_id = @extschema@.current_actor() OR @extschema@._actor_is_staff());
CREATE POLICY quiz_attempts_insert ON quiz_attempts FOR INSERT TO mentor_app WITH CHECK (false);
CREATE POLICY quiz_attempts_update ON quiz_attempts FOR UPDATE TO mentor_app USING (false);
CREATE POLICY quiz_attempts_delete ON quiz_attempts FOR DELETE TO mentor_app USING (false);
