--------------------------------------------------------------------------------
-- Module learning (LMS), first parts: learning paths (seed 004 learningPaths,
-- userLearningProgress), and events (seed 000 Event, CourseEvent; seed 001
-- Webinar, WebinarProgress), further below.  A path is an ordered list of modules (rows); a
-- user's progress is the set of modules they completed (rows), and the
-- progress row's figures (completed_count, progress, completed_at) follow
-- those rows by trigger, under the progress row's lock, so they are always
-- completed / total, also when modules are added to or removed from a path.
-- Seed 004's JSON shapes are views over the rows.
--------------------------------------------------------------------------------

CREATE TABLE learning_paths (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title        text NOT NULL CONSTRAINT learning_paths_title_length CHECK (length(btrim(title)) BETWEEN 1 AND 200),
    category     text CONSTRAINT learning_paths_category_length CHECK (length(btrim(category)) BETWEEN 1 AND 100),
    description  text CONSTRAINT learning_paths_description_length CHECK (length(description) <= 20000),
    module_count integer NOT NULL DEFAULT 0,
    created_by   bigint REFERENCES users ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE learning_paths IS
    'Structured learning content (seed 004 learningPaths): an ordered list of learning_path_modules; written by staff '
    '(mentor_admin), read by everyone';
COMMENT ON COLUMN learning_paths.category IS 'e.g. leadership, technical';
COMMENT ON COLUMN learning_paths.module_count IS 'How many modules the path has (kept by trigger)';
-- Not on module_count: a module added is the module's change, not the path's.
CREATE TRIGGER learning_paths_touch_updated_at BEFORE UPDATE OF title, category, description, created_by ON learning_paths
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER learning_paths_owned_columns BEFORE INSERT OR UPDATE ON learning_paths
    FOR EACH ROW
    EXECUTE FUNCTION _keep_owned_columns('module_count follows learning_path_modules; leave it out.', 'module_count');

CREATE TABLE learning_path_modules (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    path_id           bigint NOT NULL REFERENCES learning_paths ON DELETE CASCADE,
    position          integer NOT NULL CONSTRAINT learning_path_modules_position_positive CHECK (position >= 1),
    title             text NOT NULL CONSTRAINT learning_path_modules_title_length CHECK (length(btrim(title)) BETWEEN 1 AND 200),
    description       text CONSTRAINT learning_path_modules_description_length CHECK (length(description) <= 20000),
    content_url       text CONSTRAINT learning_path_modules_content_url_http CHECK (content_url ~ '^https?://' AND length(content_url) <= 2000),
    estimated_minutes integer CONSTRAINT learning_path_modules_minutes CHECK (estimated_minutes BETWEEN 1 AND 10000),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    -- Deferrable: reordering (swap two positions) is one UPDATE or one transaction.
    CONSTRAINT learning_path_modules_position_once UNIQUE (path_id, position) DEFERRABLE INITIALLY IMMEDIATE
);
COMMENT ON TABLE learning_path_modules IS
    'A learning path''s modules, ordered by position (unique per path; deferrable, so positions can be swapped in one '
    'statement or transaction)';
COMMENT ON COLUMN learning_path_modules.estimated_minutes IS 'How long the module takes, as its author estimates';
CREATE TRIGGER learning_path_modules_touch_updated_at BEFORE UPDATE ON learning_path_modules
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE learning_progress (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id         bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    path_id         bigint NOT NULL REFERENCES learning_paths ON DELETE CASCADE,
    completed_count integer NOT NULL DEFAULT 0,
    progress        @extschema@.percent NOT NULL DEFAULT 0,
    started_at      timestamptz NOT NULL DEFAULT now(),
    completed_at    timestamptz,
    CONSTRAINT learning_progress_once UNIQUE (user_id, path_id)
);
COMMENT ON TABLE learning_progress IS
    'A user on a learning path (seed 004 userLearningProgress): started by an INSERT (or by the first completed '
    'module); its figures follow learning_module_completions and are never written by hand (42501)';
COMMENT ON COLUMN learning_progress.completed_count IS 'Modules of the path the user completed (kept by trigger)';
COMMENT ON COLUMN learning_progress.progress IS
    'Percent of the path completed: floor(100 * completed_count / module_count), 0 for a path without modules (kept by trigger)';
COMMENT ON COLUMN learning_progress.completed_at IS
    'When the last missing module was completed; NULL while any is missing, also again after a module is added (kept by trigger)';
CREATE INDEX learning_progress_path_idx ON learning_progress (path_id);
-- On INSERT only: no role may UPDATE the table (grants), so the triggers' own updates,
-- one per completion, pay for no guard.
CREATE TRIGGER learning_progress_owned_columns BEFORE INSERT ON learning_progress
    FOR EACH ROW
    EXECUTE FUNCTION _keep_owned_columns('Progress follows learning_module_completions: insert a completion instead.',
                                         'completed_count', 'progress', 'completed_at');

CREATE TABLE learning_module_completions (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    module_id    bigint NOT NULL REFERENCES learning_path_modules ON DELETE CASCADE,
    completed_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT learning_module_completions_once UNIQUE (user_id, module_id)
);
COMMENT ON TABLE learning_module_completions IS
    'Modules a user completed (seed 004 completedModules, as rows): each user inserts and deletes their own; once per '
    'module. The user''s learning_progress follows';
CREATE INDEX learning_module_completions_module_idx ON learning_module_completions (module_id);

-- The figures of one progress row from its counts.
CREATE FUNCTION _learning_progress_figures(done integer, total integer, OUT progress smallint, OUT complete boolean)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT CASE WHEN total > 0 THEN (100 * least(done, total) / total)::smallint ELSE 0::smallint END, total > 0 AND done >= total $$;
COMMENT ON FUNCTION _learning_progress_figures(integer, integer) IS
    'Internal: percent done (rounded down) and whether the path is complete, from completed and total modules';

CREATE FUNCTION _learning_completion_counts() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    r     learning_module_completions := CASE WHEN TG_OP = 'INSERT' THEN NEW ELSE OLD END;
    delta integer := CASE WHEN TG_OP = 'INSERT' THEN 1 ELSE -1 END;
BEGIN
    -- One statement in the common case (the user is on the path already): racing completions
    -- queue on the progress row's lock and each adds its own.  Its table lock also waits for
    -- a path being edited (_learning_modules_recount locks the table), and the statement's
    -- snapshot is taken after that wait, so the total it reads is the one that edit left.
    UPDATE learning_progress x
       SET completed_count = x.completed_count + delta,
           progress = CASE WHEN lp.module_count > 0
                           THEN 100 * least(x.completed_count + delta, lp.module_count) / lp.module_count ELSE 0 END,
           completed_at = CASE WHEN lp.module_count > 0 AND x.completed_count + delta >= lp.module_count
                               THEN coalesce(x.completed_at, r.completed_at) END
      FROM learning_path_modules m JOIN learning_paths lp ON lp.id = m.path_id
     WHERE m.id = r.module_id AND x.user_id = r.user_id AND x.path_id = m.path_id;
    IF FOUND OR delta < 0 THEN
        RETURN NULL;    -- done; or a removal without a progress row, or of a module being deleted (recounted)
    END IF;
    -- The first completion on the path starts it (or meets a start racing it).
    INSERT INTO learning_progress AS x (user_id, path_id, completed_count, progress, completed_at)
    SELECT r.user_id, m.path_id, 1, f.progress, CASE WHEN f.complete THEN r.completed_at END
      FROM learning_path_modules m JOIN learning_paths lp ON lp.id = m.path_id,
           LATERAL _learning_progress_figures(1, lp.module_count) f
     WHERE m.id = r.module_id
    ON CONFLICT ON CONSTRAINT learning_progress_once DO UPDATE
       SET completed_count = x.completed_count + 1,
           progress = (_learning_progress_figures(x.completed_count + 1,
                                                  (SELECT lp.module_count FROM learning_paths lp WHERE lp.id = x.path_id))).progress,
           completed_at = CASE WHEN (_learning_progress_figures(x.completed_count + 1,
                                                                (SELECT lp.module_count FROM learning_paths lp WHERE lp.id = x.path_id))).complete
                               THEN coalesce(x.completed_at, excluded.completed_at) END;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION _learning_completion_counts() IS
    'Internal: a completed module (or its removal) moves its user''s progress on the path, creating the progress row';
CREATE TRIGGER learning_module_completions_count AFTER INSERT OR DELETE ON learning_module_completions
    FOR EACH ROW EXECUTE FUNCTION _learning_completion_counts();

-- Modules added or removed: the path's total changes, so every progress row of the path is
-- recounted from the completions (statement level: a bulk load recounts once).
CREATE FUNCTION _learning_modules_recount() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    -- Completions wait until this transaction ends, and this waits for those in flight, so
    -- no completion computes its percentage from the total before the edit (path edits are
    -- rare; completions are not held up otherwise).
    LOCK TABLE learning_progress IN SHARE ROW EXCLUSIVE MODE;
    WITH paths AS (
        SELECT DISTINCT path_id FROM changed
    ), totals AS (
        UPDATE learning_paths lp SET module_count = (SELECT count(*) FROM learning_path_modules m WHERE m.path_id = lp.id)
         WHERE lp.id IN (SELECT path_id FROM paths)
        RETURNING lp.id, lp.module_count
    ), counts AS (
        SELECT x.id, d.done, f.progress, f.complete
          FROM learning_progress x JOIN totals t ON t.id = x.path_id
         CROSS JOIN LATERAL (SELECT count(*)::integer AS done
                               FROM learning_module_completions c JOIN learning_path_modules m ON m.id = c.module_id
                              WHERE c.user_id = x.user_id AND m.path_id = x.path_id) d
         CROSS JOIN LATERAL _learning_progress_figures(d.done, t.module_count) f
    )
    UPDATE learning_progress x
       SET completed_count = c.done,
           progress = c.progress,
           completed_at = CASE WHEN c.complete THEN coalesce(x.completed_at, now()) END
      FROM counts c
     WHERE x.id = c.id;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION _learning_modules_recount() IS
    'Internal: after modules are added to or removed from paths, their module_count and every user''s progress on them';
CREATE TRIGGER learning_path_modules_added AFTER INSERT ON learning_path_modules
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION _learning_modules_recount();
CREATE TRIGGER learning_path_modules_removed AFTER DELETE ON learning_path_modules
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION _learning_modules_recount();

-- Seed 004's shapes: a path's modules and a user's completed modules as JSON arrays.
CREATE VIEW learning_paths_json WITH (security_invoker) AS
SELECT lp.id, lp.title, lp.category, lp.description,
       coalesce((SELECT jsonb_agg(jsonb_build_object('id', m.id, 'position', m.position, 'title', m.title,
                                                     'description', m.description, 'content_url', m.content_url,
                                                     'estimated_minutes', m.estimated_minutes) ORDER BY m.position)
                   FROM learning_path_modules m WHERE m.path_id = lp.id), '[]'::jsonb) AS modules,
       lp.created_at
  FROM learning_paths lp;
COMMENT ON VIEW learning_paths_json IS
    'Seed 004''s learningPaths with modules as a JSON array (ordered), over learning_paths and learning_path_modules';
CREATE VIEW user_learning_progress WITH (security_invoker) AS
SELECT x.id, x.user_id, x.path_id,
       coalesce((SELECT jsonb_agg(c.module_id ORDER BY m.position)
                   FROM learning_module_completions c JOIN learning_path_modules m ON m.id = c.module_id
                  WHERE c.user_id = x.user_id AND m.path_id = x.path_id), '[]'::jsonb) AS completed_modules,
       x.progress, x.started_at, x.completed_at
  FROM learning_progress x;
COMMENT ON VIEW user_learning_progress IS
    'Seed 004''s userLearningProgress: completed_modules as a JSON array of module ids (in path order), over '
    'learning_progress and learning_module_completions; readable as they are';

ALTER TABLE learning_progress ENABLE ROW LEVEL SECURITY;
CREATE POLICY learning_progress_select ON learning_progress FOR SELECT TO mentor_app
    USING (user_id = @extschema@.current_actor() OR @extschema@._actor_is_staff());
CREATE POLICY learning_progress_insert ON learning_progress FOR INSERT TO mentor_app
    WITH CHECK (user_id = @extschema@.current_actor());
CREATE POLICY learning_progress_update ON learning_progress FOR UPDATE TO mentor_app USING (false);
CREATE POLICY learning_progress_delete ON learning_progress FOR DELETE TO mentor_app
    USING (user_id = @extschema@.current_actor());
ALTER TABLE learning_module_completions ENABLE ROW LEVEL SECURITY;
CREATE POLICY learning_module_completions_select ON learning_module_completions FOR SELECT TO mentor_app
    USING (user_id = @extschema@.current_actor() OR @extschema@._actor_is_staff());
CREATE POLICY learning_module_completions_insert ON learning_module_completions FOR INSERT TO mentor_app
    WITH CHECK (user_id = @extschema@.current_actor());
CREATE POLICY learning_module_completions_update ON learning_module_completions FOR UPDATE TO mentor_app USING (false);
CREATE POLICY learning_module_completions_delete ON learning_module_completions FOR DELETE TO mentor_app
    USING (user_id = @extschema@.current_actor());

-- Events (seed 000 Event, CourseEvent; seed 001 Webinar, WebinarProgress) -----

CREATE TABLE events (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name          text NOT NULL CONSTRAINT events_name_length CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    type          text NOT NULL CONSTRAINT events_type_format CHECK (type ~ '^[a-z][a-z_]{0,39}$'),
    description   text CONSTRAINT events_description_length CHECK (length(description) <= 20000),
    discipline_id bigint REFERENCES disciplines ON DELETE SET NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE events IS
    'Reusable schedule entries (seed 000 Event): a lecture, workshop, meetup... that courses schedule as course_events';
COMMENT ON COLUMN events.type IS 'lower_snake_case kind: lecture, workshop, meetup, webinar, info_session, ...';
CREATE TRIGGER events_touch_updated_at BEFORE UPDATE ON events
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- An organizer is never in two overlapping course events: the constraint holds under any
-- race, the trigger before it names the other event.
CREATE TABLE course_events (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    course_id    bigint NOT NULL REFERENCES courses ON DELETE CASCADE,
    event_id     bigint NOT NULL REFERENCES events ON DELETE RESTRICT,
    starts_at    timestamptz NOT NULL,
    ends_at      timestamptz NOT NULL,
    during       tstzrange NOT NULL GENERATED ALWAYS AS (tstzrange(starts_at, greatest(starts_at, ends_at), '[)')) STORED,
    place        text CONSTRAINT course_events_place_length CHECK (length(btrim(place)) BETWEEN 1 AND 300),
    link         text CONSTRAINT course_events_link_http CHECK (link ~ '^https?://' AND length(link) <= 2000),
    organizer_id bigint REFERENCES users ON DELETE SET NULL,
    special      text CONSTRAINT course_events_special_length CHECK (length(special) <= 1000),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT course_events_ends_after_start CHECK (ends_at > starts_at),
    CONSTRAINT course_events_organizer_no_overlap EXCLUDE USING gist (organizer_id WITH =, during WITH &&)
);
COMMENT ON TABLE course_events IS
    'An event scheduled in a course (seed 000 CourseEvent): when, where (place or link), who organizes it. An '
    'organizer is never in two overlapping course events (23P01 naming the other). Written by the course''s staff';
COMMENT ON COLUMN course_events.during IS '[starts_at, ends_at), for the organizer''s exclusion constraint and range queries';
COMMENT ON COLUMN course_events.special IS 'Free notes: what to bring, prerequisites';
CREATE INDEX course_events_course_idx ON course_events (course_id, starts_at);
CREATE TRIGGER course_events_touch_updated_at BEFORE UPDATE ON course_events
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE FUNCTION _course_event_clash() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    other record;
BEGIN
    IF NEW.organizer_id IS NULL OR NOT NEW.ends_at > NEW.starts_at THEN
        RETURN NEW;    -- nothing to clash with, or course_events_ends_after_start reports it
    END IF;
    SELECT ce.id, e.name, c.name AS course, ce.starts_at, ce.ends_at INTO other
      FROM course_events ce JOIN events e ON e.id = ce.event_id JOIN courses c ON c.id = ce.course_id
     WHERE ce.organizer_id = NEW.organizer_id AND ce.id IS DISTINCT FROM NEW.id
       AND ce.during && tstzrange(NEW.starts_at, NEW.ends_at, '[)')
     ORDER BY ce.starts_at LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'user % already organizes course event % at that time', NEW.organizer_id, other.id
            USING ERRCODE = 'exclusion_violation', CONSTRAINT = 'course_events_organizer_no_overlap',
                  DETAIL = format('"%s" of course "%s" runs from %s to %s.', other.name, other.course, other.starts_at, other.ends_at),
                  HINT = 'Move one of the two, or give it another organizer.';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION _course_event_clash() IS
    'Internal: a course event overlapping another of the same organizer is 23P01 naming that event';
CREATE TRIGGER course_events_clash BEFORE INSERT OR UPDATE OF starts_at, ends_at, organizer_id ON course_events
    FOR EACH ROW EXECUTE FUNCTION _course_event_clash();

CREATE TABLE webinars (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title            text NOT NULL CONSTRAINT webinars_title_length CHECK (length(btrim(title)) BETWEEN 1 AND 300),
    description      text CONSTRAINT webinars_description_length CHECK (length(description) <= 20000),
    host_id          bigint REFERENCES users ON DELETE SET NULL,
    starts_at        timestamptz NOT NULL,
    duration_minutes integer NOT NULL CONSTRAINT webinars_duration CHECK (duration_minutes BETWEEN 1 AND 1440),
    url              text CONSTRAINT webinars_url_http CHECK (url ~ '^https?://' AND length(url) <= 2000),
    recording_url    text CONSTRAINT webinars_recording_url_http CHECK (recording_url ~ '^https?://' AND length(recording_url) <= 2000),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE webinars IS 'Webinars (seed 001 Webinar): live at starts_at for duration_minutes, then as a recording; written by staff';
CREATE TRIGGER webinars_touch_updated_at BEFORE UPDATE ON webinars
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE webinar_progress (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id         bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    webinar_id      bigint NOT NULL REFERENCES webinars ON DELETE CASCADE,
    watched_seconds integer NOT NULL DEFAULT 0 CONSTRAINT webinar_progress_watched_nonneg CHECK (watched_seconds >= 0),
    completed_at    timestamptz,
    registered_at   timestamptz NOT NULL DEFAULT now(),
    last_watched_at timestamptz,
    CONSTRAINT webinar_progress_once UNIQUE (user_id, webinar_id)
);
COMMENT ON TABLE webinar_progress IS
    'How far a user watched a webinar (seed 001 WebinarProgress): written by the user''s player; watched_seconds '
    'never goes back, completed_at is stamped once it reaches the webinar''s length';
COMMENT ON COLUMN webinar_progress.watched_seconds IS 'The furthest point watched; a smaller value written later is ignored';
COMMENT ON COLUMN webinar_progress.completed_at IS 'When watched_seconds first reached the whole webinar (kept by trigger)';
CREATE INDEX webinar_progress_webinar_idx ON webinar_progress (webinar_id);

CREATE FUNCTION _webinar_progress_stamp() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        NEW.watched_seconds := greatest(OLD.watched_seconds, NEW.watched_seconds);
        NEW.completed_at := OLD.completed_at;
        IF NEW.watched_seconds IS DISTINCT FROM OLD.watched_seconds THEN
            NEW.last_watched_at := now();
        END IF;
    ELSE
        NEW.completed_at := NULL;
        NEW.last_watched_at := CASE WHEN NEW.watched_seconds > 0 THEN now() END;
    END IF;
    IF NEW.completed_at IS NULL
       AND NEW.watched_seconds >= (SELECT w.duration_minutes * 60 FROM webinars w WHERE w.id = NEW.webinar_id) THEN
        NEW.completed_at := now();
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION _webinar_progress_stamp() IS
    'Internal: watched_seconds only grows; completed_at is stamped when it reaches the webinar''s length, and kept';
CREATE TRIGGER webinar_progress_stamp BEFORE INSERT OR UPDATE ON webinar_progress
    FOR EACH ROW EXECUTE FUNCTION _webinar_progress_stamp();

ALTER TABLE course_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY course_events_select ON course_events FOR SELECT TO mentor_app USING (true);
CREATE POLICY course_events_insert ON course_events FOR INSERT TO mentor_app
    WITH CHECK (@extschema@._is_course_staff(course_id, @extschema@.current_actor()));
CREATE POLICY course_events_update ON course_events FOR UPDATE TO mentor_app
    USING (@extschema@._is_course_staff(course_id, @extschema@.current_actor()))
    WITH CHECK (@extschema@._is_course_staff(course_id, @extschema@.current_actor()));
CREATE POLICY course_events_delete ON course_events FOR DELETE TO mentor_app
    USING (@extschema@._is_course_staff(course_id, @extschema@.current_actor()));
ALTER TABLE webinar_progress ENABLE ROW LEVEL SECURITY;
CREATE POLICY webinar_progress_select ON webinar_progress FOR SELECT TO mentor_app
    USING (user_id = @extschema@.current_actor() OR @extschema@._actor_is_staff());
CREATE POLICY webinar_progress_insert ON webinar_progress FOR INSERT TO mentor_app
    WITH CHECK (user_id = @extschema@.current_actor());
CREATE POLICY webinar_progress_update ON webinar_progress FOR UPDATE TO mentor_app
    USING (user_id = @extschema@.current_actor()) WITH CHECK (user_id = @extschema@.current_actor());
CREATE POLICY webinar_progress_delete ON webinar_progress FOR DELETE TO mentor_app
    USING (user_id = @extschema@.current_actor());
