--------------------------------------------------------------------------------
-- Module school, people (seed 000 Feedback, PrivateFeedback, StudentFeedback,
-- Resume, UserGroup, MentorRegistry, DiscordServer, Contributor,
-- RepositoryEvent): what people of a course school say about each other,
-- the CVs students show employers, and the school's own registries: user
-- groups, mentors' preferences, Discord servers, contributors, and the
-- append-only log of repository webhooks.
--------------------------------------------------------------------------------

CREATE TYPE gratitude_badge AS ENUM ('congratulations', 'expert_help', 'great_speaker', 'good_job', 'helping_hand',
                                     'hero', 'thank_you', 'outstanding_work', 'top_performer', 'job_offer');
COMMENT ON TYPE gratitude_badge IS 'The badges of public gratitude (seed 000 Feedback)';

CREATE TABLE gratitudes (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    from_user_id bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    to_user_id   bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    course_id    bigint REFERENCES courses ON DELETE SET NULL,
    badge        @extschema@.gratitude_badge NOT NULL,
    comment      text CONSTRAINT gratitudes_comment_length CHECK (length(comment) <= 2000),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT gratitudes_not_self CHECK (from_user_id <> to_user_id)
);
COMMENT ON TABLE gratitudes IS
    'Public thanks with a badge (seed 000 Feedback): from the acting user to another, optionally in a course; '
    'readable by everyone';
CREATE INDEX gratitudes_to_idx ON gratitudes (to_user_id, created_at);
CREATE INDEX gratitudes_from_idx ON gratitudes (from_user_id);
CREATE TRIGGER gratitudes_touch_updated_at BEFORE UPDATE ON gratitudes
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE private_feedback (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    from_user_id bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    to_user_id   bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    course_id    bigint NOT NULL REFERENCES courses ON DELETE CASCADE,
    comment      text NOT NULL CONSTRAINT private_feedback_comment_length CHECK (length(btrim(comment)) BETWEEN 1 AND 10000),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT private_feedback_not_self CHECK (from_user_id <> to_user_id)
);
COMMENT ON TABLE private_feedback IS
    'Feedback about a user for a course''s staff only (seed 000 PrivateFeedback): the person it is about never reads '
    'it; its author and the course''s staff do';
CREATE INDEX private_feedback_course_idx ON private_feedback (course_id, to_user_id);
CREATE TRIGGER private_feedback_touch_updated_at BEFORE UPDATE ON private_feedback
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TYPE soft_skill AS ENUM ('responsible', 'team_player', 'communicable');
COMMENT ON TYPE soft_skill IS 'The soft skills a mentor rates a student on (seed 000 StudentFeedback), 1 to 5 each';
CREATE TYPE mentor_recommendation AS ENUM ('hire', 'not_hire');
COMMENT ON TYPE mentor_recommendation IS 'A mentor''s recommendation of a student to employers';

CREATE TABLE student_feedback (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    student_id     bigint NOT NULL,
    course_id      bigint NOT NULL,
    mentor_id      bigint NOT NULL,
    author_id      bigint REFERENCES users ON DELETE SET NULL,
    recommendation @extschema@.mentor_recommendation,
    soft_skills    jsonb NOT NULL DEFAULT '{}',
    content        jsonb NOT NULL DEFAULT '{}'
                   CONSTRAINT student_feedback_content_object CHECK (jsonb_typeof(content) = 'object'),
    english_level  text CONSTRAINT student_feedback_english_level CHECK (english_level IN ('a0', 'a1', 'a2', 'b1', 'b2', 'c1', 'c2')),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT student_feedback_once UNIQUE (student_id, mentor_id),
    CONSTRAINT student_feedback_student_of_course FOREIGN KEY (student_id, course_id)
        REFERENCES students (id, course_id) ON DELETE CASCADE,
    CONSTRAINT student_feedback_mentor_of_course FOREIGN KEY (mentor_id, course_id)
        REFERENCES course_mentors (id, course_id) ON DELETE CASCADE
);
COMMENT ON TABLE student_feedback IS
    'A mentor''s structured feedback on a student of the course (seed 000 StudentFeedback), one per mentor and '
    'student: soft-skill ratings, recommendation, content. Written by the mentor, read by the mentor, the student '
    'and the course''s staff';
COMMENT ON COLUMN student_feedback.soft_skills IS
    'Ratings per soft skill, {"responsible": 5, "team_player": 4, ...}: keys from soft_skill, whole numbers 1 to 5';
COMMENT ON COLUMN student_feedback.content IS 'The written feedback, a JSON object (suggestions, impression, ...)';
COMMENT ON COLUMN student_feedback.author_id IS 'The user who wrote it (the acting user, set by trigger)';
CREATE INDEX student_feedback_mentor_idx ON student_feedback (mentor_id);
CREATE TRIGGER student_feedback_touch_updated_at BEFORE UPDATE ON student_feedback
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE FUNCTION _student_feedback_check() RETURNS trigger
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    problem text;
BEGIN
    IF jsonb_typeof(NEW.soft_skills) IS DISTINCT FROM 'object' THEN
        problem := 'soft_skills must be a JSON object of ratings per skill';
    ELSE
        SELECT string_agg(CASE
                   WHEN NOT e.key = ANY (enum_range(NULL::soft_skill)::text[]) THEN format('"%s" is not a soft skill', e.key)
                   WHEN jsonb_typeof(e.value) <> 'number' OR e.value::text::numeric NOT IN (1, 2, 3, 4, 5)
                       THEN format('"%s" must be a whole number from 1 to 5', e.key)
               END, '; ' ORDER BY e.key)
          INTO problem FROM jsonb_each(NEW.soft_skills) e;
    END IF;
    IF problem IS NOT NULL THEN
        RAISE EXCEPTION 'malformed soft-skill ratings' USING ERRCODE = 'invalid_parameter_value', DETAIL = problem,
            HINT = format('Soft skills: %s.', array_to_string(enum_range(NULL::soft_skill)::text[], ', '));
    END IF;
    NEW.author_id := coalesce(current_actor(), NEW.author_id);
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION _student_feedback_check() IS
    'Internal: soft-skill ratings are known skills rated 1 to 5 (22023 naming each wrong one); the author is the actor';
CREATE TRIGGER student_feedback_check BEFORE INSERT OR UPDATE ON student_feedback
    FOR EACH ROW EXECUTE FUNCTION _student_feedback_check();

CREATE FUNCTION _course_mentor_is_actor(mentor_id bigint) RETURNS boolean
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$ SELECT EXISTS (SELECT 1 FROM course_mentors m WHERE m.id = _course_mentor_is_actor.mentor_id AND m.user_id = current_actor()) $$;
COMMENT ON FUNCTION _course_mentor_is_actor(bigint) IS 'Internal: the course mentor row is the acting user''s (for row-level security)';

-- Resumes (seed 000 Resume): employers are users the platform recognises as hiring.
CREATE TABLE employers (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     bigint NOT NULL CONSTRAINT employers_once UNIQUE REFERENCES users ON DELETE CASCADE,
    company     text NOT NULL CONSTRAINT employers_company_length CHECK (length(btrim(company)) BETWEEN 1 AND 200),
    verified_at timestamptz NOT NULL DEFAULT now(),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE employers IS
    'Users recognised as hiring (they see resumes shown to employers); written by staff (mentor_admin)';
CREATE TRIGGER employers_touch_updated_at BEFORE UPDATE ON employers
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TYPE resume_visibility AS ENUM ('hidden', 'employers', 'public');
COMMENT ON TYPE resume_visibility IS 'Who reads a resume: its owner only, also employers, or everyone (and its public link)';

CREATE TABLE resumes (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id          bigint NOT NULL CONSTRAINT resumes_once UNIQUE REFERENCES users ON DELETE CASCADE,
    public_id        uuid NOT NULL CONSTRAINT resumes_public_id_unique UNIQUE DEFAULT gen_random_uuid(),
    name             text CONSTRAINT resumes_name_length CHECK (length(name) <= 200),
    desired_position text CONSTRAINT resumes_desired_position_length CHECK (length(desired_position) <= 200),
    location         text CONSTRAINT resumes_location_length CHECK (length(location) <= 200),
    english_level    text CONSTRAINT resumes_english_level CHECK (english_level IN ('a0', 'a1', 'a2', 'b1', 'b2', 'c1', 'c2')),
    full_time        boolean NOT NULL DEFAULT true,
    start_from       date,
    sections         jsonb NOT NULL DEFAULT '{}'
                     CONSTRAINT resumes_sections_object CHECK (jsonb_typeof(sections) = 'object'),
    visibility       @extschema@.resume_visibility NOT NULL DEFAULT 'hidden',
    search           tsvector GENERATED ALWAYS AS (
                         to_tsvector('simple', coalesce(name, '') || ' ' || coalesce(desired_position, '') || ' ' ||
                                               coalesce(location, '') || ' ' || coalesce(sections::text, ''))) STORED,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE resumes IS
    'A user''s CV (seed 000 Resume), one per user: written by its owner; read by them, staff, employers when shown to '
    'employers, everyone when public (also by public link, resume_by_public_id)';
COMMENT ON COLUMN resumes.public_id IS 'The id of its public link';
COMMENT ON COLUMN resumes.sections IS
    'The CV''s sections, a JSON object (about, skills, experience, education, projects, contacts, ...)';
COMMENT ON COLUMN resumes.search IS 'Full-text document of the resume (generated): search with @@ websearch_to_tsquery(''simple'', ...)';
CREATE INDEX resumes_search_idx ON resumes USING gin (search);
CREATE TRIGGER resumes_touch_updated_at BEFORE UPDATE ON resumes
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE FUNCTION _resume_readable(user_id bigint, visibility resume_visibility) RETURNS boolean
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
SELECT visibility = 'public'
    OR _resume_readable.user_id = current_actor()
    OR _actor_is_staff()
    OR (visibility = 'employers' AND EXISTS (SELECT 1 FROM employers e WHERE e.user_id = current_actor()))
$$;
COMMENT ON FUNCTION _resume_readable(bigint, resume_visibility) IS
    'Internal: the acting user may read a resume of this owner and visibility (for row-level security)';

CREATE FUNCTION resume_by_public_id(public_id uuid) RETURNS resumes
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$ SELECT r.* FROM resumes r WHERE r.public_id = resume_by_public_id.public_id AND r.visibility = 'public' $$;
COMMENT ON FUNCTION resume_by_public_id(uuid) IS
    'The public resume behind a public link, for anyone (no actor needed); no row when it is not public';

-- The school's registries.
CREATE TABLE user_groups (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       citext NOT NULL CONSTRAINT user_groups_name_unique UNIQUE
               CONSTRAINT user_groups_name_length CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    roles      text[] NOT NULL DEFAULT '{}'
               CONSTRAINT user_groups_roles_known CHECK (roles <@ ARRAY['student', 'mentor', 'manager', 'supervisor',
                                                                        'task_owner', 'jury_activist', 'activist', 'admin']),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE user_groups IS
    'Named static groups of users (seed 000 UserGroup) and the course roles their members get when a course takes '
    'the group on; written by staff (mentor_admin)';
COMMENT ON COLUMN user_groups.roles IS 'Course roles (as course_roles() names them) a course gives the group''s members';
CREATE TRIGGER user_groups_touch_updated_at BEFORE UPDATE ON user_groups
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE user_group_members (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    group_id   bigint NOT NULL REFERENCES user_groups ON DELETE CASCADE,
    user_id    bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT user_group_members_once UNIQUE (group_id, user_id)
);
COMMENT ON TABLE user_group_members IS 'Who is in a user group; written by staff (mentor_admin)';
CREATE INDEX user_group_members_user_idx ON user_group_members (user_id);

CREATE TABLE mentor_registries (
    id                          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id                     bigint NOT NULL CONSTRAINT mentor_registries_once UNIQUE REFERENCES users ON DELETE CASCADE,
    preferred_course_ids        bigint[] NOT NULL DEFAULT '{}',
    preferred_student_locations text[] NOT NULL DEFAULT '{}',
    technical_mentoring         text[] NOT NULL DEFAULT '{}',
    max_students                integer NOT NULL DEFAULT 2
                                CONSTRAINT mentor_registries_max_students_range CHECK (max_students BETWEEN 0 AND 100),
    comment                     text CONSTRAINT mentor_registries_comment_length CHECK (length(comment) <= 5000),
    canceled                    boolean NOT NULL DEFAULT false,
    created_at                  timestamptz NOT NULL DEFAULT now(),
    updated_at                  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE mentor_registries IS
    'A mentor''s standing offer across courses (seed 000 MentorRegistry): preferred courses and students'' locations, '
    'technologies, how many students; written by the mentor, read by staff and the mentor';
COMMENT ON COLUMN mentor_registries.preferred_course_ids IS 'Courses the mentor would take students in (ids of courses)';
CREATE TRIGGER mentor_registries_touch_updated_at BEFORE UPDATE ON mentor_registries
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE discord_servers (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name             text NOT NULL CONSTRAINT discord_servers_name_length CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    gratitude_url    text CONSTRAINT discord_servers_gratitude_url_http CHECK (gratitude_url ~ '^https://'),
    mentors_chat_url text CONSTRAINT discord_servers_mentors_chat_url_http CHECK (mentors_chat_url ~ '^https://'),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE discord_servers IS
    'Discord servers of the school (seed 000 DiscordServer): where gratitude is announced and mentors talk; written by '
    'staff (mentor_admin)';
COMMENT ON COLUMN discord_servers.gratitude_url IS 'The webhook that announces gratitudes (https)';
CREATE TRIGGER discord_servers_touch_updated_at BEFORE UPDATE ON discord_servers
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
ALTER TABLE courses ADD COLUMN discord_server_id bigint REFERENCES discord_servers ON DELETE SET NULL;
COMMENT ON COLUMN courses.discord_server_id IS 'The course''s Discord server, if any';

CREATE TABLE contributors (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     bigint NOT NULL CONSTRAINT contributors_once UNIQUE REFERENCES users ON DELETE CASCADE,
    description text CONSTRAINT contributors_description_length CHECK (length(description) <= 2000),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE contributors IS 'People who contribute to the school itself (seed 000 Contributor); written by staff (mentor_admin)';
CREATE TRIGGER contributors_touch_updated_at BEFORE UPDATE ON contributors
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE repository_events (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    repository_url text NOT NULL CONSTRAINT repository_events_repository_url_http CHECK (repository_url ~ '^https?://'),
    action         text NOT NULL CONSTRAINT repository_events_action_format CHECK (action ~ '^[a-z][a-z0-9_.]{0,59}$'),
    github_id      text,
    user_id        bigint REFERENCES users ON DELETE SET NULL,
    payload        jsonb NOT NULL DEFAULT '{}',
    created_at     timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE repository_events IS
    'The log of repository webhooks (seed 000 RepositoryEvent: a student''s repository created, a push, ...): '
    'append-only, for every role';
COMMENT ON COLUMN repository_events.action IS 'What happened, lower case (created, push, pull_request.opened, ...)';
CREATE INDEX repository_events_repository_idx ON repository_events (repository_url, created_at);
-- A log: appended to, never changed; a deleted user's events stay, without the user.
CREATE FUNCTION _repository_events_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    -- The foreign key's SET NULL, after the user is gone, is the one change allowed.
    IF TG_OP = 'UPDATE' AND OLD.user_id IS NOT NULL AND NEW.user_id IS NULL
       AND (NEW.id, NEW.repository_url, NEW.action, NEW.github_id, NEW.payload, NEW.created_at)
           IS NOT DISTINCT FROM (OLD.id, OLD.repository_url, OLD.action, OLD.github_id, OLD.payload, OLD.created_at)
       AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = OLD.user_id) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'repository events cannot be changed or removed' USING ERRCODE = 'insufficient_privilege',
        DETAIL = 'repository_events is an append-only log.', HINT = 'Record a new event.';
END
$$;
COMMENT ON FUNCTION _repository_events_guard() IS
    'Internal: keeps repository_events append-only for every role (a deleted user''s events lose only their user)';
CREATE TRIGGER repository_events_append_only BEFORE UPDATE OR DELETE ON repository_events
    FOR EACH ROW EXECUTE FUNCTION _repository_events_guard();
CREATE TRIGGER repository_events_no_truncate BEFORE TRUNCATE ON repository_events
    FOR EACH STATEMENT EXECUTE FUNCTION _repository_events_guard();

ALTER TABLE gratitudes ENABLE ROW LEVEL SECURITY;
CREATE POLICY gratitudes_select ON gratitudes FOR SELECT TO mentor_app, mentor_analyst USING (true);
CREATE POLICY gratitudes_insert ON gratitudes FOR INSERT TO mentor_app WITH CHECK (from_user_id = @extschema@.current_actor());
CREATE POLICY gratitudes_update ON gratitudes FOR UPDATE TO mentor_app
    USING (from_user_id = @extschema@.current_actor()) WITH CHECK (from_user_id = @extschema@.current_actor());
CREATE POLICY gratitudes_delete ON gratitudes FOR DELETE TO mentor_app
    USING (from_user_id = @extschema@.current_actor() OR @extschema@._actor_is_staff());
ALTER TABLE private_feedback ENABLE ROW LEVEL SECURITY;
CREATE POLICY private_feedback_select ON private_feedback FOR SELECT TO mentor_app
    USING (from_user_id = @extschema@.current_actor() OR @extschema@._is_course_staff(course_id, @extschema@.current_actor()));
CREATE POLICY private_feedback_insert ON private_feedback FOR INSERT TO mentor_app
    WITH CHECK (from_user_id = @extschema@.current_actor());
CREATE POLICY private_feedback_update ON private_feedback FOR UPDATE TO mentor_app
    USING (from_user_id = @extschema@.current_actor()) WITH CHECK (from_user_id = @extschema@.current_actor());
CREATE POLICY private_feedback_delete ON private_feedback FOR DELETE TO mentor_app
    USING (from_user_id = @extschema@.current_actor() OR @extschema@._is_course_staff(course_id, @extschema@.current_actor()));
ALTER TABLE student_feedback ENABLE ROW LEVEL SECURITY;
CREATE POLICY student_feedback_select ON student_feedback FOR SELECT TO mentor_app
    USING (@extschema@._course_mentor_is_actor(mentor_id) OR @extschema@._own_student(student_id)
           OR @extschema@._is_course_staff(course_id, @extschema@.current_actor()));
CREATE POLICY student_feedback_insert ON student_feedback FOR INSERT TO mentor_app
    WITH CHECK (@extschema@._course_mentor_is_actor(mentor_id));
CREATE POLICY student_feedback_update ON student_feedback FOR UPDATE TO mentor_app
    USING (@extschema@._course_mentor_is_actor(mentor_id)) WITH CHECK (@extschema@._course_mentor_is_actor(mentor_id));
CREATE POLICY student_feedback_delete ON student_feedback FOR DELETE TO mentor_app
    USING (@extschema@._course_mentor_is_actor(mentor_id) OR @extschema@._is_course_staff(course_id, @extschema@.current_actor()));
ALTER TABLE resumes ENABLE ROW LEVEL SECURITY;
CREATE POLICY resumes_select ON resumes FOR SELECT TO mentor_app USING (@extschema@._resume_readable(user_id, visibility));
CREATE POLICY resumes_insert ON resumes FOR INSERT TO mentor_app WITH CHECK (user_id = @extschema@.current_actor());
CREATE POLICY resumes_update ON resumes FOR UPDATE TO mentor_app
    USING (user_id = @extschema@.current_actor()) WITH CHECK (user_id = @extschema@.current_actor());
CREATE POLICY resumes_delete ON resumes FOR DELETE TO mentor_app USING (user_id = @extschema@.current_actor());
ALTER TABLE mentor_registries ENABLE ROW LEVEL SECURITY;
CREATE POLICY mentor_registries_select ON mentor_registries FOR SELECT TO mentor_app
    USING (user_id = @extschema@.current_actor() OR @extschema@._actor_is_staff());
CREATE POLICY mentor_registries_insert ON mentor_registries FOR INSERT TO mentor_app WITH CHECK (user_id = @extschema@.current_actor());
CREATE POLICY mentor_registries_update ON mentor_registries FOR UPDATE TO mentor_app
    USING (user_id = @extschema@.current_actor() OR @extschema@._actor_is_staff())
    WITH CHECK (user_id = @extschema@.current_actor() OR @extschema@._actor_is_staff());
CREATE POLICY mentor_registries_delete ON mentor_registries FOR DELETE TO mentor_app
    USING (user_id = @extschema@.current_actor() OR @extschema@._actor_is_staff());
