--------------------------------------------------------------------------------
-- Module matching (design.md section 7; seeds 002, 004): explainable mentor
-- suggestions and cohort matching.  The fit score and the assignment
-- algorithms are C (src/core/matching.c); this file gathers the data.
--------------------------------------------------------------------------------

INSERT INTO settings (key, shipped, value, description) VALUES
    ('matching.weight_skills', true, '0.5', 'Weight of skill fit in the match score'),
    ('matching.weight_availability', true, '0.2', 'Weight of weekly availability overlap'),
    ('matching.weight_capacity', true, '0.15', 'Weight of free capacity (an idle mentor ranks above a nearly full one)'),
    ('matching.weight_rating', true, '0.15', 'Weight of the mentor''s rating'),
    ('matching.rating_prior_mean', true, '4.0', 'Prior mean rating (1-5) of the Bayesian rating'),
    ('matching.rating_prior_count', true, '5', 'Weight of the prior, in ratings: one 5 does not beat fifty 4.8s'),
    ('matching.partial_level_credit', true, '0.5', 'Credit (0-1) for a skill offered below the level the mentee has');

CREATE FUNCTION _matching_weights() RETURNS float8[]
LANGUAGE sql STABLE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
SELECT ARRAY[(setting('matching.weight_skills'))::float8, (setting('matching.weight_availability'))::float8,
             (setting('matching.weight_capacity'))::float8, (setting('matching.weight_rating'))::float8,
             (setting('matching.rating_prior_mean'))::float8, (setting('matching.rating_prior_count'))::float8,
             (setting('matching.partial_level_credit'))::float8]
$$;
COMMENT ON FUNCTION _matching_weights() IS 'Internal: the matching weights from settings, in the order _fit takes them';

CREATE FUNCTION _fit(seek_skills bigint[], seek_levels integer[], offer_skills bigint[], offer_levels integer[],
                     overlap integer, wanted integer, active integer, max_places integer, rating_mean float8,
                     rating_count integer, weights float8[],
                     OUT score float8, OUT skills float8, OUT availability float8, OUT capacity float8, OUT rating float8,
                     OUT skills_full integer, OUT skills_partial integer)
    AS 'MODULE_PATHNAME', 'mn_fit_sql' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION _fit(bigint[], integer[], bigint[], integer[], integer, integer, integer, integer, float8, integer, float8[]) IS
    'Internal: the fit score of a mentor for a mentee and its parts (C, src/core/matching.c)';

CREATE FUNCTION _match(mentees integer[], mentors integer[], scores float8[], capacities integer[], nmentees integer,
                       per_mentee integer, method text)
    RETURNS TABLE (mentee integer, mentor integer, score float8)
    AS 'MODULE_PATHNAME', 'mn_match_sql' LANGUAGE C IMMUTABLE;
COMMENT ON FUNCTION _match(integer[], integer[], float8[], integer[], integer, integer, text) IS
    'Internal: optimal or stable assignment of scored pairs under capacities (C, src/core/matching.c)';

CREATE TYPE suggestion_status AS ENUM ('pending', 'accepted', 'declined');
COMMENT ON TYPE suggestion_status IS 'Suggestion status (lifecycle "suggestion")';
CREATE TYPE match_status AS ENUM ('pending', 'approved', 'rejected');
COMMENT ON TYPE match_status IS 'Cohort match status (lifecycle "match"): awaiting an administrator, approved, rejected';

CREATE TABLE suggestions (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    mentee_id     bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    mentor_id     bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    score         numeric(6,4) NOT NULL,
    reasons       jsonb NOT NULL DEFAULT '{}',
    status        @extschema@.suggestion_status NOT NULL DEFAULT 'pending',
    mentorship_id bigint REFERENCES mentorships ON DELETE SET NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE suggestions IS
    'Mentors suggested to a mentee (seed 002) with the reasons; accepted ones start a mentorship request, declined '
    'pairs are never suggested again';
COMMENT ON COLUMN suggestions.reasons IS
    'Why: skills offered at or above / below the mentee''s level, weekly overlap hours, free places, rating, score parts';
CREATE UNIQUE INDEX suggestions_one_pending_per_pair ON suggestions (mentee_id, mentor_id) WHERE status = 'pending';
CREATE INDEX suggestions_declined ON suggestions (mentee_id, mentor_id) WHERE status = 'declined';
CREATE TRIGGER suggestions_touch_updated_at BEFORE UPDATE ON suggestions
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
SELECT attach_lifecycle('suggestions', 'status', 'suggestion');

CREATE TABLE matches (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    mentor_id   bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    mentee_id   bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    score       numeric(6,4),
    method      text NOT NULL CONSTRAINT matches_method CHECK (method IN ('optimal', 'stable', 'manual')),
    goal        text,
    status      @extschema@.match_status NOT NULL DEFAULT 'pending',
    approved_by bigint REFERENCES users ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE matches IS 'Cohort matches (seed 004) awaiting an administrator''s approval (lifecycle "match")';
CREATE TRIGGER matches_touch_updated_at BEFORE UPDATE ON matches
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
SELECT attach_lifecycle('matches', 'status', 'match');

-- Every eligible mentor of a mentee with the fit and its parts.  Hard
-- filters: accepting, a free place, not the mentee, no live mentorship or
-- declined suggestion for the pair, an active account, and the program flag
-- when asked.  When the mentee seeks skills, only mentors offering one of
-- them are candidates (the user_skills index on skill is the inverted list).
CREATE FUNCTION _mentor_fits(mentee_id bigint, mentee_availability availability DEFAULT NULL,
                             needs_new_mothers_support boolean DEFAULT false)
    RETURNS TABLE (mentor_id bigint, score float8, skills float8, availability float8, capacity float8, rating float8,
                   skills_full integer, skills_partial integer, overlap integer)
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    seek_skills bigint[];
    seek_levels integer[];
    wanted      integer := CASE WHEN mentee_availability IS NULL THEN 0
                                ELSE overlap_minutes(mentee_availability, mentee_availability) END;
    weights     float8[] := _matching_weights();
BEGIN
    SELECT coalesce(array_agg(us.skill_id ORDER BY us.skill_id), '{}'), coalesce(array_agg(us.level ORDER BY us.skill_id), '{}')
      INTO seek_skills, seek_levels
      FROM user_skills us WHERE us.user_id = _mentor_fits.mentee_id AND us.direction = 'seeks';
    RETURN QUERY
    SELECT p.user_id, f.score, f.skills, f.availability, f.capacity, f.rating, f.skills_full, f.skills_partial, ov.m
      FROM mentor_profiles p
      JOIN users u ON u.id = p.user_id AND u.active
      CROSS JOIN LATERAL (SELECT coalesce(array_agg(o.skill_id ORDER BY o.skill_id), '{}') AS ids,
                                 coalesce(array_agg(o.level ORDER BY o.skill_id), '{}') AS levels
                            FROM user_skills o WHERE o.user_id = p.user_id AND o.direction = 'offers') o
      CROSS JOIN LATERAL (SELECT CASE WHEN mentee_availability IS NULL OR p.availability IS NULL THEN 0
                                      ELSE overlap_minutes(p.availability, mentee_availability) END AS m) ov
      CROSS JOIN LATERAL _fit(seek_skills, seek_levels, o.ids, o.levels, ov.m, wanted, p.active_mentees, p.max_mentees,
                              p.rating_avg::float8, p.rating_count, weights) f
     WHERE p.accepting AND p.active_mentees < p.max_mentees AND p.user_id <> _mentor_fits.mentee_id
       AND (NOT needs_new_mothers_support OR p.supports_new_mothers)
       AND (cardinality(seek_skills) = 0
            OR EXISTS (SELECT 1 FROM user_skills c WHERE c.user_id = p.user_id AND c.direction = 'offers'
                          AND c.skill_id = ANY (seek_skills)))
       AND NOT EXISTS (SELECT 1 FROM mentorships ms WHERE ms.mentor_id = p.user_id AND ms.mentee_id = _mentor_fits.mentee_id
                          AND ms.status IN ('pending', 'active'))
       AND NOT EXISTS (SELECT 1 FROM suggestions sg WHERE sg.mentor_id = p.user_id AND sg.mentee_id = _mentor_fits.mentee_id
                          AND sg.status = 'declined');
END
$$;
COMMENT ON FUNCTION _mentor_fits(bigint, availability, boolean) IS
    'Internal: the eligible mentors of a mentee with the fit score and its parts';

CREATE FUNCTION _require_user(user_id bigint, what text) RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    IF user_id IS NULL OR NOT EXISTS (SELECT 1 FROM users u WHERE u.id = _require_user.user_id) THEN
        RAISE EXCEPTION '% % does not exist', what, coalesce(user_id::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
END
$$;
COMMENT ON FUNCTION _require_user(bigint, text) IS 'Internal: P0002 unless the user exists';

CREATE FUNCTION suggest_mentors(mentee_id bigint, k integer DEFAULT 10, mentee_availability availability DEFAULT NULL,
                                needs_new_mothers_support boolean DEFAULT false)
    RETURNS TABLE (mentor_id bigint, score numeric, reasons jsonb)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM _require_user(mentee_id, 'mentee');
    IF k IS NULL OR k < 1 OR k > 1000 THEN
        RAISE EXCEPTION 'k must be between 1 and 1000, got %', coalesce(k::text, 'NULL') USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN QUERY
    WITH top AS (
        SELECT * FROM _mentor_fits(suggest_mentors.mentee_id, mentee_availability, needs_new_mothers_support) f
         ORDER BY f.score DESC, f.mentor_id LIMIT k)
    SELECT t.mentor_id, round(t.score::numeric, 4),
           jsonb_build_object(
               'skills_at_level', (SELECT coalesce(jsonb_agg(s.slug ORDER BY s.slug), '[]')
                                     FROM user_skills se JOIN user_skills o ON o.skill_id = se.skill_id
                                     JOIN skills s ON s.id = se.skill_id
                                    WHERE se.user_id = suggest_mentors.mentee_id AND se.direction = 'seeks'
                                      AND o.user_id = t.mentor_id AND o.direction = 'offers' AND o.level >= se.level),
               'skills_below_level', (SELECT coalesce(jsonb_agg(s.slug ORDER BY s.slug), '[]')
                                        FROM user_skills se JOIN user_skills o ON o.skill_id = se.skill_id
                                        JOIN skills s ON s.id = se.skill_id
                                       WHERE se.user_id = suggest_mentors.mentee_id AND se.direction = 'seeks'
                                         AND o.user_id = t.mentor_id AND o.direction = 'offers' AND o.level < se.level),
               'overlap_hours_per_week', round(t.overlap / 60.0, 1),
               'free_places', p.max_mentees - p.active_mentees,
               'rating', p.rating_avg, 'ratings', p.rating_count,
               'parts', jsonb_build_object('skills', round(t.skills::numeric, 3), 'availability', round(t.availability::numeric, 3),
                                           'capacity', round(t.capacity::numeric, 3), 'rating', round(t.rating::numeric, 3)))
      FROM top t JOIN mentor_profiles p ON p.user_id = t.mentor_id
     ORDER BY t.score DESC, t.mentor_id;
END
$$;
COMMENT ON FUNCTION suggest_mentors(bigint, integer, availability, boolean) IS
    'The k mentors that fit a mentee best, with the reasons: weighted skill fit (full credit at or above the '
    'mentee''s level, partial below), weekly availability overlap with mentee_availability, free capacity and a '
    'Bayesian rating (weights in settings, matching.*). Hard filters: accepting, a free place, not oneself, no live '
    'mentorship, not declined before, supports new mothers when asked';

CREATE FUNCTION refresh_suggestions(mentee_id bigint, k integer DEFAULT 10, mentee_availability availability DEFAULT NULL)
    RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    made integer;
BEGIN
    DELETE FROM suggestions s WHERE s.mentee_id = refresh_suggestions.mentee_id AND s.status = 'pending';
    INSERT INTO suggestions (mentee_id, mentor_id, score, reasons)
    SELECT refresh_suggestions.mentee_id, x.mentor_id, x.score, x.reasons
      FROM suggest_mentors(refresh_suggestions.mentee_id, k, mentee_availability) x;
    GET DIAGNOSTICS made = ROW_COUNT;
    RETURN made;
END
$$;
COMMENT ON FUNCTION refresh_suggestions(bigint, integer, availability) IS
    'Replaces a mentee''s pending suggestions with the current best k; returns how many were written';

CREATE FUNCTION accept_suggestion(suggestion_id bigint) RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    sg suggestions;
    ms bigint;
BEGIN
    SELECT * INTO sg FROM suggestions s WHERE s.id = suggestion_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'suggestion % does not exist', coalesce(suggestion_id::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
    IF sg.status <> 'pending' THEN
        RAISE EXCEPTION 'suggestion % is already %', sg.id, sg.status USING ERRCODE = 'MN006';
    END IF;
    INSERT INTO mentorships (mentor_id, mentee_id, goal) VALUES (sg.mentor_id, sg.mentee_id, NULL) RETURNING id INTO ms;
    UPDATE suggestions s SET status = 'accepted', mentorship_id = ms WHERE s.id = sg.id;
    RETURN ms;
END
$$;
COMMENT ON FUNCTION accept_suggestion(bigint) IS
    'Accepts a pending suggestion: a mentorship request (pending) is created and returned; MN006 if not pending';

CREATE FUNCTION decline_suggestion(suggestion_id bigint) RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    UPDATE suggestions s SET status = 'declined' WHERE s.id = suggestion_id AND s.status = 'pending';
    IF NOT FOUND THEN
        IF NOT EXISTS (SELECT 1 FROM suggestions s WHERE s.id = suggestion_id) THEN
            RAISE EXCEPTION 'suggestion % does not exist', coalesce(suggestion_id::text, 'NULL') USING ERRCODE = 'no_data_found';
        END IF;
        RAISE EXCEPTION 'suggestion % is not pending', suggestion_id USING ERRCODE = 'MN006';
    END IF;
END
$$;
COMMENT ON FUNCTION decline_suggestion(bigint) IS 'Declines a pending suggestion; the pair is never suggested again';

CREATE FUNCTION match_cohort(mentee_ids bigint[], per_mentee integer DEFAULT 1, method text DEFAULT 'optimal',
                             save boolean DEFAULT false)
    RETURNS TABLE (mentee_id bigint, mentor_id bigint, score numeric, reason text)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    unknown bigint[];
BEGIN
    IF per_mentee IS NULL OR per_mentee < 1 THEN
        RAISE EXCEPTION 'per_mentee must be at least 1, got %', coalesce(per_mentee::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF method IS NULL OR method NOT IN ('optimal', 'stable') THEN
        RAISE EXCEPTION 'unknown matching method %', coalesce(quote_literal(method), 'NULL')
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Use optimal or stable.';
    END IF;
    SELECT array_agg(DISTINCT m) INTO unknown FROM unnest(mentee_ids) m WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = m);
    IF unknown IS NOT NULL THEN
        RAISE EXCEPTION 'unknown mentees' USING ERRCODE = 'no_data_found', DETAIL = format('Users %s do not exist.', unknown);
    END IF;
    IF to_regclass('pg_temp._cohort_edges') IS NULL THEN
        CREATE TEMP TABLE _cohort_edges (mi int, ri int, mentee bigint, mentor bigint, score float8, chosen boolean)
            ON COMMIT DROP;
    ELSE
        TRUNCATE _cohort_edges;
    END IF;
    -- mentees numbered in id order, mentors by id among the candidates
    WITH cohort AS (SELECT m AS mentee, row_number() OVER (ORDER BY m)::int AS mi
                      FROM (SELECT DISTINCT m FROM unnest(mentee_ids) m) x),
         fits AS (SELECT c.mi, c.mentee, f.mentor_id AS mentor, f.score FROM cohort c, _mentor_fits(c.mentee) f)
    INSERT INTO _cohort_edges
    SELECT f.mi, dense_rank() OVER (ORDER BY f.mentor)::int, f.mentee, f.mentor, f.score, false FROM fits f;
    UPDATE _cohort_edges e SET chosen = true
      FROM _match((SELECT coalesce(array_agg(x.mi ORDER BY x.mi, x.ri), '{}') FROM _cohort_edges x),
                  (SELECT coalesce(array_agg(x.ri ORDER BY x.mi, x.ri), '{}') FROM _cohort_edges x),
                  (SELECT coalesce(array_agg(x.score ORDER BY x.mi, x.ri), '{}') FROM _cohort_edges x),
                  (SELECT coalesce(array_agg(p.max_mentees - p.active_mentees ORDER BY r.ri), '{}')
                     FROM (SELECT DISTINCT x.ri, x.mentor FROM _cohort_edges x) r
                     JOIN mentor_profiles p ON p.user_id = r.mentor),
                  (SELECT count(DISTINCT m)::int FROM unnest(mentee_ids) m), per_mentee, method) m
     WHERE m.mentee = e.mi AND m.mentor = e.ri;
    IF save THEN
        INSERT INTO matches (mentor_id, mentee_id, score, method)
        SELECT e.mentor, e.mentee, round(e.score::numeric, 4), method FROM _cohort_edges e WHERE e.chosen;
    END IF;
    RETURN QUERY
    SELECT e.mentee, e.mentor, round(e.score::numeric, 4), NULL::text FROM _cohort_edges e WHERE e.chosen
    UNION ALL
    SELECT c.m, NULL, NULL,
           CASE WHEN NOT EXISTS (SELECT 1 FROM _cohort_edges e WHERE e.mentee = c.m)
                THEN 'no eligible mentor (filters: accepting, free place, skills sought, no live mentorship)'
                ELSE 'every eligible mentor''s places went to pairs with a higher total score' END
      FROM (SELECT DISTINCT m FROM unnest(mentee_ids) m) c
     WHERE NOT EXISTS (SELECT 1 FROM _cohort_edges e WHERE e.mentee = c.m AND e.chosen)
    ORDER BY 1, 3 DESC NULLS LAST;
END
$$;
COMMENT ON FUNCTION match_cohort(bigint[], integer, text, boolean) IS
    'Matches a cohort of mentees to mentors at once: optimal (the largest total fit under every mentor''s free '
    'places and per_mentee mentors each, by min-cost flow) or stable (mentee-proposing deferred acceptance). '
    'Unmatched mentees come back with a NULL mentor and the reason. save => true also writes the pairs as matches '
    'awaiting approval. 22023 for per_mentee < 1 or an unknown method, P0002 for unknown mentees';

SELECT _enable_history_shipped('suggestions');
SELECT _enable_history_shipped('matches');
