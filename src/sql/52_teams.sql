--------------------------------------------------------------------------------
-- Module teams (design.md section 8, seed 000): a team distribution is a
-- window in which students of a course register to be put into teams;
-- mentor.distribute_teams forms them (src/core/teams.c).
--------------------------------------------------------------------------------

CREATE TABLE team_distributions (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    course_id        bigint NOT NULL REFERENCES courses ON DELETE CASCADE,
    name             text NOT NULL CONSTRAINT team_distributions_name_length CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    description      text,
    start_at         timestamptz NOT NULL,
    end_at           timestamptz NOT NULL,
    min_team_size    integer NOT NULL DEFAULT 2 CONSTRAINT team_distributions_min_size CHECK (min_team_size >= 1),
    max_team_size    integer NOT NULL DEFAULT 4,
    strict_team_size integer CONSTRAINT team_distributions_strict_size CHECK (strict_team_size >= 1),
    min_total_score  numeric(12,2) NOT NULL DEFAULT 0,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT team_distributions_max_size CHECK (max_team_size >= min_team_size),
    CONSTRAINT team_distributions_window CHECK (end_at > start_at),
    UNIQUE (id, course_id)
);
COMMENT ON TABLE team_distributions IS 'A team formation round of a course: registration window, size rules, score threshold';
COMMENT ON COLUMN team_distributions.start_at IS 'Registrations from this moment count';
COMMENT ON COLUMN team_distributions.end_at IS 'Registrations after this moment do not count';
COMMENT ON COLUMN team_distributions.strict_team_size IS
    'When set, every team formed has exactly this many members (students who do not fill a team are left out)';
COMMENT ON COLUMN team_distributions.min_total_score IS 'Students below this total_score are not placed';
CREATE TRIGGER team_distributions_touch_updated_at BEFORE UPDATE ON team_distributions
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE team_distribution_students (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    distribution_id bigint NOT NULL,
    course_id       bigint NOT NULL,
    student_id      bigint NOT NULL,
    active          boolean NOT NULL DEFAULT true,
    distributed     boolean NOT NULL DEFAULT false,
    registered_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (distribution_id, student_id),
    FOREIGN KEY (distribution_id, course_id) REFERENCES team_distributions (id, course_id) ON DELETE CASCADE,
    FOREIGN KEY (student_id, course_id) REFERENCES students (id, course_id) ON DELETE CASCADE
);
COMMENT ON TABLE team_distribution_students IS 'Students registered for a team distribution (of their own course)';
COMMENT ON COLUMN team_distribution_students.active IS 'false: the student withdrew and is not placed';
COMMENT ON COLUMN team_distribution_students.distributed IS 'The student has been placed in a team';

CREATE TABLE teams (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    distribution_id bigint NOT NULL REFERENCES team_distributions ON DELETE CASCADE,
    name            text NOT NULL CONSTRAINT teams_name_length CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    description     text,
    lead_student_id bigint REFERENCES students ON DELETE SET NULL,
    chat_url        text CONSTRAINT teams_chat_url_uri CHECK (chat_url ~* '^[a-z][a-z0-9+.-]*:[^[:space:][:cntrl:]]+$' AND chat_url !~* '^(javascript|data|vbscript):'),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (distribution_id, name),
    UNIQUE (id, distribution_id)
);
COMMENT ON TABLE teams IS 'A team of a distribution';
COMMENT ON COLUMN teams.lead_student_id IS 'Team lead; mentor.distribute_teams picks the best-ranked member';
COMMENT ON COLUMN teams.chat_url IS 'The team''s chat: any URI scheme (https:, discord:, slack:, ...); javascript:, data: and vbscript: are refused';
CREATE TRIGGER teams_touch_updated_at BEFORE UPDATE ON teams
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE team_members (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    team_id         bigint NOT NULL,
    distribution_id bigint NOT NULL,
    student_id      bigint NOT NULL REFERENCES students ON DELETE CASCADE,
    joined_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (distribution_id, student_id),
    FOREIGN KEY (team_id, distribution_id) REFERENCES teams (id, distribution_id) ON DELETE CASCADE
);
COMMENT ON TABLE team_members IS 'Members of a team; a student is in at most one team per distribution';
CREATE INDEX team_members_team_idx ON team_members (team_id);

-- Why lock the team row: concurrent joins would each count the same members.
CREATE FUNCTION _team_members_capacity() RETURNS trigger
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    cap     integer;
    members integer;
BEGIN
    PERFORM 1 FROM teams t WHERE t.id = NEW.team_id FOR UPDATE;
    SELECT coalesce(d.strict_team_size, d.max_team_size) INTO cap
      FROM team_distributions d WHERE d.id = NEW.distribution_id;
    SELECT count(*) INTO members FROM team_members m WHERE m.team_id = NEW.team_id AND m.id IS DISTINCT FROM NEW.id;
    IF members >= cap THEN
        RAISE EXCEPTION 'team % is full', NEW.team_id
            USING ERRCODE = 'MN004', DETAIL = format('It has %s members, the distribution allows %s.', members, cap),
                  HINT = 'Join another team or raise team_distributions.max_team_size.';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION _team_members_capacity() IS 'Internal: keeps teams within their distribution''s size (MN004)';
CREATE TRIGGER team_members_capacity BEFORE INSERT OR UPDATE OF team_id ON team_members
    FOR EACH ROW EXECUTE FUNCTION _team_members_capacity();

CREATE FUNCTION _teams_plan(ranks integer[], existing_sizes integer[], min_size integer, max_size integer,
                            strict_size integer, seed bigint)
    RETURNS TABLE (student_index integer, team_index integer, is_lead boolean)
    AS 'MODULE_PATHNAME', 'mn_teams_plan' LANGUAGE C IMMUTABLE;
COMMENT ON FUNCTION _teams_plan(integer[], integer[], integer, integer, integer, bigint) IS
    'Internal: which student goes to which team, by position (C, src/core/teams.c)';

-- Who a distribution would place now: one definition for distribute_teams and the report.
CREATE FUNCTION _team_waiting(distribution_id bigint) RETURNS TABLE (student_id bigint, rank integer)
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
SELECT st.id, coalesce(st.rank, 2147483647)
  FROM team_distributions d
  JOIN team_distribution_students r ON r.distribution_id = d.id
  JOIN students st ON st.id = r.student_id
 WHERE d.id = _team_waiting.distribution_id AND r.active AND NOT r.distributed
   AND NOT st.is_expelled AND st.total_score >= d.min_total_score
   AND r.registered_at BETWEEN d.start_at AND d.end_at
   AND NOT EXISTS (SELECT 1 FROM team_members m WHERE m.distribution_id = d.id AND m.student_id = st.id)
$$;
COMMENT ON FUNCTION _team_waiting(bigint) IS
    'Internal: the students a team distribution would place now (registered in the window, active, not yet placed, '
    'not expelled, total_score at least min_total_score), with their rank (unranked last)';

CREATE FUNCTION distribute_teams(distribution_id bigint, seed bigint DEFAULT NULL) RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    d        team_distributions;
    sids     bigint[];
    ranks    integer[];
    tids     bigint[];
    sizes    integer[];
    plan_s   integer[];
    plan_t   integer[];
    plan_l   boolean[];
    new_ids  bigint[];
    nexist   integer;
    placed   integer;
BEGIN
    SELECT * INTO d FROM team_distributions t WHERE t.id = distribute_teams.distribution_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'team distribution % does not exist', coalesce(distribution_id::text, 'NULL')
            USING ERRCODE = 'no_data_found', HINT = 'Pass the id of a row of mentor.team_distributions.';
    END IF;

    SELECT array_agg(w.student_id ORDER BY w.student_id), array_agg(w.rank ORDER BY w.student_id)
      INTO sids, ranks
      FROM _team_waiting(d.id) w;
    IF sids IS NULL THEN
        RAISE NOTICE 'team distribution %: nobody is waiting for a team', d.id
            USING DETAIL = 'Eligible: registered within the window, active, not yet placed, not expelled, '
                           'total_score at least min_total_score.';
        RETURN 0;
    END IF;
    SELECT coalesce(array_agg(t.id ORDER BY t.id), '{}'),
           coalesce(array_agg((SELECT count(*) FROM team_members m WHERE m.team_id = t.id)::integer ORDER BY t.id), '{}')
      INTO tids, sizes
      FROM teams t WHERE t.distribution_id = d.id;
    nexist := cardinality(tids);

    SELECT array_agg(p.student_index ORDER BY p.team_index, p.student_index),
           array_agg(p.team_index ORDER BY p.team_index, p.student_index),
           array_agg(p.is_lead ORDER BY p.team_index, p.student_index)
      INTO plan_s, plan_t, plan_l
      FROM _teams_plan(ranks, sizes, d.min_team_size, d.max_team_size, d.strict_team_size,
                       coalesce(seed, (random() * 9.2e18)::bigint)) p;
    placed := coalesce(cardinality(plan_s), 0);

    -- New teams, numbered after the existing ones, in plan order.
    WITH leads AS (
        SELECT p.t, p.s FROM unnest(plan_t, plan_s, plan_l) AS p(t, s, l) WHERE p.l),
    made AS (
        INSERT INTO teams (distribution_id, name, lead_student_id)
        SELECT d.id, format('Team %s', l.t), sids[l.s] FROM leads l ORDER BY l.t
        RETURNING id, lead_student_id)
    SELECT array_agg(m.id ORDER BY m.id) INTO new_ids FROM made m;

    INSERT INTO team_members (team_id, distribution_id, student_id)
    SELECT CASE WHEN p.t <= nexist THEN tids[p.t] ELSE new_ids[p.t - nexist] END, d.id, sids[p.s]
      FROM unnest(plan_t, plan_s) AS p(t, s);
    UPDATE team_distribution_students r SET distributed = true
     WHERE r.distribution_id = d.id AND r.student_id = ANY (SELECT sids[s] FROM unnest(plan_s) s);

    IF placed < cardinality(sids) THEN
        RAISE NOTICE 'team distribution %: % of % students could not be placed', d.id, cardinality(sids) - placed,
                     cardinality(sids)
            USING DETAIL = format('Teams take %s students (strict size %s); the lowest-ranked wait for the next round.',
                                  concat_ws('-', d.min_team_size, d.max_team_size), coalesce(d.strict_team_size::text, 'none'));
    END IF;
    RETURN placed;
END
$$;
COMMENT ON FUNCTION distribute_teams(bigint, bigint) IS
    'Places the eligible students of a distribution (registered within its window, active, not placed, not expelled, '
    'total_score >= min_total_score) into teams and returns how many were placed: existing teams with room first, '
    'then the fewest new teams whose sizes fit min/max (or strict) size, dealt by snake draft over rank so strength '
    'is balanced; the best-ranked member leads a new team. Deterministic for a seed';

SELECT _enable_history_shipped('team_distributions');
SELECT _enable_history_shipped('team_distribution_students');
SELECT _enable_history_shipped('teams');
SELECT _enable_history_shipped('team_members');

-- What a distribution made, as a result rather than NOTICEs (counts only).
CREATE FUNCTION team_distribution_report(distribution_id bigint)
    RETURNS TABLE (registered integer, placed integer, waiting integer, teams integer,
                   smallest_team integer, largest_team integer)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
SELECT (SELECT count(*) FROM team_distribution_students r WHERE r.distribution_id = d.id AND r.active)::integer,
       (SELECT count(*) FROM team_members m WHERE m.distribution_id = d.id)::integer,
       (SELECT count(*) FROM _team_waiting(d.id))::integer,
       (SELECT count(*) FROM teams t WHERE t.distribution_id = d.id)::integer,
       z.lo, z.hi
  FROM team_distributions d
  LEFT JOIN LATERAL (SELECT min(k)::integer AS lo, max(k)::integer AS hi
                       FROM (SELECT count(m.id) AS k FROM teams t LEFT JOIN team_members m ON m.team_id = t.id
                              WHERE t.distribution_id = d.id GROUP BY t.id) x) z ON true
 WHERE d.id = team_distribution_report.distribution_id
$$;
COMMENT ON FUNCTION team_distribution_report(bigint) IS
    'What a team distribution made, as one row: active registrations, students placed, students still waiting (whom '
    'the next distribute_teams would try to place), teams, and the smallest and largest team; no row for an unknown '
    'distribution';
