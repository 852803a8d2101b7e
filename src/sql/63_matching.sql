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

CREATE FUNCTION _fit(nseeks integer, skills_full integer, skills_partial integer, overlap integer, wanted integer,
                     active integer, max_places integer, rating_mean float8, rating_count integer, weights float8[],
                     OUT score float8, OUT skills float8, OUT availability float8, OUT capacity float8, OUT rating float8,
                     OUT skills_full integer, OUT skills_partial integer)
    AS 'MODULE_PATHNAME', 'mn_fit_counts_sql' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION _fit(integer, integer, integer, integer, integer, integer, integer, float8, integer, float8[]) IS
    'Internal: the fit score of a mentor for a mentee and its parts, from the counts of sought skills offered at '
    'or above / below the mentee''s level (C, src/core/matching.c)';

CREATE FUNCTION _fit_score(nseeks integer, skills_full integer, skills_partial integer, overlap integer, wanted integer,
                           active integer, max_places integer, rating_mean float8, rating_count integer, weights float8[])
    RETURNS float8
    AS 'MODULE_PATHNAME', 'mn_fit_score_sql' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION _fit_score(integer, integer, integer, integer, integer, integer, integer, float8, integer, float8[]) IS
    'Internal: the score of _fit alone, to rank many candidates cheaply';

CREATE FUNCTION _match_cohort(nmentees integer, seek_mentee integer[], seek_skill bigint[], seek_level integer[],
                              offer_mentor integer[], offer_skill bigint[], offer_level integer[],
                              active integer[], max_places integer[], rating_mean float8[], rating_count integer[],
                              excluded_mentee integer[], excluded_mentor integer[], per_mentee integer, method text,
                              weights float8[])
    RETURNS TABLE (mentee integer, mentor integer, score float8, candidates integer)
    AS 'MODULE_PATHNAME', 'mn_match_cohort_sql' LANGUAGE C IMMUTABLE;
COMMENT ON FUNCTION _match_cohort(integer, integer[], bigint[], integer[], integer[], bigint[], integer[], integer[],
                                  integer[], float8[], integer[], integer[], integer[], integer, text, float8[]) IS
    'Internal: scores every pair of a cohort and assigns them (optimal, stable or greedy) under the mentors'' free '
    'places; mentees and mentors numbered from 1 (C, src/core/matching.c)';

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
    method      text NOT NULL CONSTRAINT matches_method CHECK (method IN ('optimal', 'stable', 'greedy', 'manual')),
    goal        text,
    status      @extschema@.match_status NOT NULL DEFAULT 'pending',
    approved_by bigint REFERENCES users ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    -- added in 0.2 (after the columns of 0.1, as ALTER TABLE puts them)
    decided_at    timestamptz,
    reason        text,
    mentorship_id bigint REFERENCES mentorships ON DELETE SET NULL
);
COMMENT ON TABLE matches IS 'Cohort matches (seed 004) awaiting an administrator''s approval (lifecycle "match")';
COMMENT ON COLUMN matches.approved_by IS 'The staff member who approved or rejected it (approve_match, reject_match)';
COMMENT ON COLUMN matches.decided_at IS 'When it was approved or rejected';
COMMENT ON COLUMN matches.reason IS 'Why it was rejected';
COMMENT ON COLUMN matches.mentorship_id IS 'The active mentorship its approval created';
CREATE TRIGGER matches_touch_updated_at BEFORE UPDATE ON matches
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER matches_owned_columns BEFORE INSERT OR UPDATE OF status, approved_by, decided_at, mentorship_id ON matches
    FOR EACH ROW
    EXECUTE FUNCTION _keep_owned_columns('Matches are decided by staff through mentor.approve_match and mentor.reject_match.',
                                         'status', 'approved_by', 'decided_at', 'mentorship_id');
SELECT attach_lifecycle('matches', 'status', 'match');

-- The k eligible mentors that fit a mentee best, with the fit and its
-- parts.  Hard filters: accepting, a free place, not the mentee, no live
-- mentorship or declined suggestion for the pair, an active account, and the
-- program flag when asked.  When the mentee seeks skills, the candidates and
-- their skill counts come from the user_skills index on (skill, direction,
-- level) including the user: the inverted list of each sought skill, read
-- index-only, so a mentor who offers none of them is never looked at.  Each
-- candidate's profile is then fetched by its key (OFFSET 0 keeps that a
-- per-candidate index probe rather than a hash of every profile) and ranked by
-- the scalar score; the parts are computed for the k kept.
CREATE FUNCTION _top_fits(mentee_id bigint, k integer, mentee_availability availability DEFAULT NULL,
                          needs_new_mothers_support boolean DEFAULT false)
    RETURNS TABLE (mentor_id bigint, score float8, skills float8, availability float8, capacity float8, rating float8,
                   skills_full integer, skills_partial integer, overlap integer, free_places integer,
                   rating_avg numeric, rating_count integer)
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    seek_skills bigint[];
    seek_levels integer[];
    nseeks      integer;
    week        timestamptz := date_trunc('week', now());
    wanted      integer := CASE WHEN mentee_availability IS NULL THEN 0
                                ELSE overlap_minutes(mentee_availability, mentee_availability, week) END;
    weights     float8[] := _matching_weights();
    -- the mentee's own exclusions, few: an array test per candidate beats
    -- rescanning mentorships and suggestions for each of thousands
    excluded    bigint[] := ARRAY(SELECT ms.mentor_id FROM mentorships ms
                                   WHERE ms.mentee_id = _top_fits.mentee_id AND ms.status IN ('pending', 'active')
                                  UNION
                                  SELECT sg.mentor_id FROM suggestions sg
                                   WHERE sg.mentee_id = _top_fits.mentee_id AND sg.status = 'declined'
                                  UNION
                                  SELECT _top_fits.mentee_id);
BEGIN
    SELECT coalesce(array_agg(us.skill_id), '{}'), coalesce(array_agg(us.level), '{}')
      INTO seek_skills, seek_levels
      FROM user_skills us WHERE us.user_id = _top_fits.mentee_id AND us.direction = 'seeks';
    nseeks := cardinality(seek_skills);
    RETURN QUERY
    WITH credit AS (
        SELECT o.user_id, (count(*) FILTER (WHERE o.level >= s.level))::int AS full,
               (count(*) FILTER (WHERE o.level < s.level))::int AS partial
          FROM unnest(seek_skills, seek_levels) s(skill, level)
          JOIN user_skills o ON o.skill_id = s.skill AND o.direction = 'offers'
         GROUP BY o.user_id
        UNION ALL
        SELECT p.user_id, 0, 0 FROM mentor_profiles p WHERE nseeks = 0),
    ranked AS (
        SELECT p.user_id, c.full, c.partial, ov.m, p.active_mentees, p.max_mentees, p.rating_avg, p.rating_count,
               _fit_score(nseeks, c.full, c.partial, ov.m, wanted, p.active_mentees, p.max_mentees,
                          p.rating_avg::float8, p.rating_count, weights) AS score
          FROM credit c
          CROSS JOIN LATERAL (SELECT * FROM mentor_profiles p
                               WHERE p.user_id = c.user_id AND p.accepting AND p.active_mentees < p.max_mentees
                                 AND p.user_id <> ALL (excluded)
                                 AND (NOT needs_new_mothers_support OR p.supports_new_mothers)
                              OFFSET 0) p
          CROSS JOIN LATERAL (SELECT CASE WHEN mentee_availability IS NULL OR p.availability IS NULL THEN 0
                                          ELSE overlap_minutes(p.availability, mentee_availability, week) END AS m) ov
         WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = p.user_id AND NOT u.active)
         ORDER BY 9 DESC, 1
         LIMIT k)
    SELECT r.user_id, f.score, f.skills, f.availability, f.capacity, f.rating, f.skills_full, f.skills_partial, r.m,
           r.max_mentees - r.active_mentees, r.rating_avg, r.rating_count
      FROM ranked r
      CROSS JOIN LATERAL _fit(nseeks, r.full, r.partial, r.m, wanted, r.active_mentees, r.max_mentees,
                              r.rating_avg::float8, r.rating_count, weights) f
     ORDER BY f.score DESC, r.user_id;
END
$$;
COMMENT ON FUNCTION _top_fits(bigint, integer, availability, boolean) IS
    'Internal: the k eligible mentors that fit a mentee best, with the fit score and its parts';

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
    WITH top AS (SELECT * FROM _top_fits(suggest_mentors.mentee_id, k, mentee_availability, needs_new_mothers_support))
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
               'free_places', t.free_places,
               'rating', t.rating_avg, 'ratings', t.rating_count,
               'parts', jsonb_build_object('skills', round(t.skills::numeric, 3), 'availability', round(t.availability::numeric, 3),
                                           'capacity', round(t.capacity::numeric, 3), 'rating', round(t.rating::numeric, 3)))
      FROM top t
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

-- Accepting and declining lock the suggestion first, so that of two racing
-- calls the second sees what the first did.
CREATE FUNCTION _lock_suggestion(suggestion_id bigint) RETURNS suggestions
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    sg suggestions;
BEGIN
    SELECT * INTO sg FROM suggestions s WHERE s.id = suggestion_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'suggestion % does not exist', coalesce(suggestion_id::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
    RETURN sg;
END
$$;
COMMENT ON FUNCTION _lock_suggestion(bigint) IS 'Internal: locks a suggestion row or raises P0002';

-- MN005 unless the acting user is the suggestion's mentee or staff.
CREATE FUNCTION _require_mentee(sg suggestions) RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    actor bigint := current_actor();
BEGIN
    IF actor IS NULL OR (actor <> sg.mentee_id AND NOT _is_staff(actor)) THEN
        RAISE EXCEPTION 'user % is not the mentee of suggestion %', coalesce(actor::text, '(no actor)'), sg.id
            USING ERRCODE = 'MN005', DETAIL = format('Suggestion %s is for mentee %s.', sg.id, sg.mentee_id),
                  HINT = 'Call mentor.set_actor(mentee_id) first; staff (admins, owners) may act for the mentee.';
    END IF;
END
$$;
COMMENT ON FUNCTION _require_mentee(suggestions) IS 'Internal: MN005 unless the acting user is the mentee or staff';

CREATE FUNCTION accept_suggestion(suggestion_id bigint) RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    sg suggestions := _lock_suggestion(suggestion_id);
    ms bigint;
BEGIN
    PERFORM _require_mentee(sg);
    IF sg.status <> 'pending' THEN
        RAISE EXCEPTION 'suggestion % is already %', sg.id, sg.status USING ERRCODE = 'MN006';
    END IF;
    INSERT INTO mentorships (mentor_id, mentee_id, goal) VALUES (sg.mentor_id, sg.mentee_id, NULL) RETURNING id INTO ms;
    UPDATE suggestions s SET status = 'accepted', mentorship_id = ms WHERE s.id = sg.id;
    RETURN ms;
END
$$;
COMMENT ON FUNCTION accept_suggestion(bigint) IS
    'The mentee (acting user, or staff) accepts a pending suggestion: a mentorship request (pending) is created and '
    'returned; MN005 for anyone else, MN006 if not pending';

CREATE FUNCTION decline_suggestion(suggestion_id bigint) RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    sg suggestions := _lock_suggestion(suggestion_id);
BEGIN
    PERFORM _require_mentee(sg);
    IF sg.status <> 'pending' THEN
        RAISE EXCEPTION 'suggestion % is not pending', sg.id USING ERRCODE = 'MN006';
    END IF;
    UPDATE suggestions s SET status = 'declined' WHERE s.id = sg.id;
END
$$;
COMMENT ON FUNCTION decline_suggestion(bigint) IS
    'The mentee (acting user, or staff) declines a pending suggestion; the pair is never suggested again';

-- A staff member (the acting user) decides a cohort match.  Approval creates
-- the mentorship and activates it within the mentor's capacity (MN004 when
-- full, and then nothing is approved); both stamp who decided and when.
CREATE FUNCTION _decide_match(match_id bigint, approve boolean, why text) RETURNS matches
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    mt    matches;
    actor bigint := current_actor();
    ms    bigint;
BEGIN
    IF actor IS NULL OR NOT _is_staff(actor) THEN
        RAISE EXCEPTION 'user % is not staff and may not decide match %', coalesce(actor::text, '(no actor)'), match_id
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Matches are approved by an administrator or owner: call mentor.set_actor(staff_user_id) first.';
    END IF;
    SELECT * INTO mt FROM matches m WHERE m.id = match_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'match % does not exist', coalesce(match_id::text, 'NULL') USING ERRCODE = 'no_data_found';
    END IF;
    IF mt.status <> 'pending' THEN
        RAISE EXCEPTION 'match % is already %', mt.id, mt.status
            USING ERRCODE = 'MN006', HINT = 'A match is decided once.';
    END IF;
    IF approve THEN
        INSERT INTO mentorships (mentor_id, mentee_id, goal) VALUES (mt.mentor_id, mt.mentee_id, mt.goal) RETURNING id INTO ms;
        UPDATE mentorships m SET status = 'active', approved_by = actor WHERE m.id = ms;
    END IF;
    UPDATE matches m SET status = CASE WHEN approve THEN 'approved' ELSE 'rejected' END::match_status,
           approved_by = actor, decided_at = now(), reason = why, mentorship_id = ms
     WHERE m.id = mt.id RETURNING * INTO mt;
    RETURN mt;
END
$$;
COMMENT ON FUNCTION _decide_match(bigint, boolean, text) IS 'Internal: approves or rejects a pending match for staff';

CREATE FUNCTION approve_match(match_id bigint) RETURNS bigint
LANGUAGE sql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$ SELECT (@extschema@._decide_match(match_id, true, NULL)).mentorship_id $$;
COMMENT ON FUNCTION approve_match(bigint) IS
    'Staff (the acting user) approve a pending match: an active mentorship is created within the mentor''s capacity '
    '(MN004 when full) and returned; approved_by and decided_at are stamped. 42501 for non-staff, MN006 if decided';

CREATE FUNCTION reject_match(match_id bigint, reason text DEFAULT NULL) RETURNS void
LANGUAGE sql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$ SELECT NULL::void FROM @extschema@._decide_match(match_id, false, reason) $$;
COMMENT ON FUNCTION reject_match(bigint, text) IS
    'Staff (the acting user) reject a pending match, with a reason; 42501 for non-staff, MN006 if decided';

CREATE FUNCTION match_cohort(mentee_ids bigint[], per_mentee integer DEFAULT 1, method text DEFAULT 'optimal',
                             save boolean DEFAULT false)
    RETURNS TABLE (mentee_id bigint, mentor_id bigint, score numeric, reason text)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    unknown    bigint[];
    mentees    bigint[];
    mentors    bigint[];
    scores     float8[];
    candidates integer[];
BEGIN
    IF per_mentee IS NULL OR per_mentee < 1 THEN
        RAISE EXCEPTION 'per_mentee must be at least 1, got %', coalesce(per_mentee::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF method IS NULL OR method NOT IN ('optimal', 'stable', 'greedy') THEN
        RAISE EXCEPTION 'unknown matching method %', coalesce(quote_literal(method), 'NULL')
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Use optimal, stable or greedy.';
    END IF;
    SELECT array_agg(DISTINCT m) INTO unknown FROM unnest(mentee_ids) m WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = m);
    IF unknown IS NOT NULL THEN
        RAISE EXCEPTION 'unknown mentees' USING ERRCODE = 'no_data_found', DETAIL = format('Users %s do not exist.', unknown);
    END IF;
    -- Mentees and the eligible mentors are numbered by id; their skills,
    -- profiles and the excluded pairs go to C as arrays, where every pair is
    -- scored and assigned.  The result is kept in arrays, so that only save
    -- writes: without it the function runs anywhere, a hot standby included.
    WITH cohort AS (SELECT m AS id, row_number() OVER (ORDER BY m)::int AS i
                      FROM (SELECT DISTINCT m FROM unnest(mentee_ids) m) x),
         pool AS (SELECT p.user_id AS id, row_number() OVER (ORDER BY p.user_id)::int AS j, p.active_mentees,
                         p.max_mentees, coalesce(p.rating_avg, 0)::float8 AS rating_avg, p.rating_count
                    FROM mentor_profiles p
                   WHERE p.accepting AND p.active_mentees < p.max_mentees
                     AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = p.user_id AND NOT u.active)),
         excluded AS (SELECT c.i, r.j FROM cohort c JOIN pool r ON r.id = c.id
                      UNION
                      SELECT c.i, r.j FROM mentorships ms JOIN cohort c ON c.id = ms.mentee_id
                        JOIN pool r ON r.id = ms.mentor_id WHERE ms.status IN ('pending', 'active')
                      UNION
                      SELECT c.i, r.j FROM suggestions sg JOIN cohort c ON c.id = sg.mentee_id
                        JOIN pool r ON r.id = sg.mentor_id WHERE sg.status = 'declined'),
         result AS (
             SELECT c.id AS mentee, r.id AS mentor, x.score, x.candidates
               FROM (SELECT array_agg(c.i) AS i, array_agg(us.skill_id) AS skill, array_agg(us.level::int) AS level
                       FROM cohort c JOIN user_skills us ON us.user_id = c.id AND us.direction = 'seeks') sk,
                    (SELECT array_agg(r.j) AS j, array_agg(us.skill_id) AS skill, array_agg(us.level::int) AS level
                       FROM pool r JOIN user_skills us ON us.user_id = r.id AND us.direction = 'offers') ok,
                    (SELECT array_agg(r.active_mentees ORDER BY r.j) AS active, array_agg(r.max_mentees ORDER BY r.j) AS max,
                            array_agg(r.rating_avg ORDER BY r.j) AS mean, array_agg(r.rating_count ORDER BY r.j) AS cnt
                       FROM pool r) pr,
                    (SELECT array_agg(e.i) AS i, array_agg(e.j) AS j FROM excluded e) ex,
                    _match_cohort((SELECT count(*)::int FROM cohort), coalesce(sk.i, '{}'), coalesce(sk.skill, '{}'),
                                  coalesce(sk.level, '{}'), coalesce(ok.j, '{}'), coalesce(ok.skill, '{}'),
                                  coalesce(ok.level, '{}'), coalesce(pr.active, '{}'), coalesce(pr.max, '{}'),
                                  coalesce(pr.mean, '{}'), coalesce(pr.cnt, '{}'), coalesce(ex.i, '{}'),
                                  coalesce(ex.j, '{}'), per_mentee, method, _matching_weights()) x
               JOIN cohort c ON c.i = x.mentee
               LEFT JOIN pool r ON r.j = x.mentor)
    SELECT array_agg(r.mentee), array_agg(r.mentor), array_agg(r.score), array_agg(r.candidates)
      INTO mentees, mentors, scores, candidates
      FROM result r;
    IF save THEN
        INSERT INTO matches (mentor_id, mentee_id, score, method)
        SELECT r.mentor, r.mentee, round(r.score::numeric, 4), match_cohort.method
          FROM unnest(mentees, mentors, scores) r(mentee, mentor, score) WHERE r.mentor IS NOT NULL;
    END IF;
    RETURN QUERY
    SELECT r.mentee, r.mentor, round(r.score::numeric, 4),
           CASE WHEN r.mentor IS NOT NULL THEN NULL
                WHEN r.candidates = 0
                THEN 'no eligible mentor (filters: accepting, free place, skills sought, no live mentorship)'
                WHEN match_cohort.method = 'stable'
                THEN 'every eligible mentor''s places went to mentees the mentor ranks higher'
                ELSE 'every eligible mentor''s places went to pairs with a higher total score' END
      FROM unnest(mentees, mentors, scores, candidates) r(mentee, mentor, score, candidates)
     ORDER BY 1, 3 DESC NULLS LAST, 2;
END
$$;
COMMENT ON FUNCTION match_cohort(bigint[], integer, text, boolean) IS
    'Matches a cohort of mentees to mentors at once: optimal (the largest total fit under every mentor''s free '
    'places and per_mentee mentors each, by min-cost flow), stable (mentee-proposing deferred acceptance) or '
    'greedy (highest score first, the baseline). Unmatched mentees come back with a NULL mentor and the reason. '
    'save => true also writes the pairs as matches awaiting approval. 22023 for per_mentee < 1 or an unknown '
    'method, P0002 for unknown mentees, 54000 past 8 million candidate pairs';

SELECT _enable_history_shipped('suggestions');
SELECT _enable_history_shipped('matches');
