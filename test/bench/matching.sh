#!/usr/bin/env bash
# Benchmark of matching (issue #7), in two parts.
#  1. match_cohort: 2,000 mentees x 500 mentors with 4 free places each,
#     every pair scored (mentors offer 20 of 30 skills, mentees seek 3): the
#     whole SQL call, optimal vs. greedy (highest score first) and stable on
#     the same instance, with the total scores as ratios to greedy's.  Also
#     the core alone (test/bench/bench_matching.c) on random scores.
#  2. suggest_mentors: 99,500 more mentors (100,000 in all), 20 of 1,000
#     skills each (2 million user_skills rows), three availability patterns;
#     a mentee seeking 5 skills, with an availability: median and p95 of
#     REPEAT calls, and the plan of the candidate query.
# Runs inside pg_virtualenv (scripts/bench.sh), or against PGHOST/PGPORT.
set -euo pipefail
cd "$(dirname "$0")/../.."
REPEAT="${REPEAT:-50}"
db=mentor_bench_matching
dropdb --if-exists $db >/dev/null 2>&1; createdb $db
q() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d $db "$@"; }

out=build/bench; mkdir -p "$out"
${CC:-cc} -std=c11 -O2 -Isrc -o "$out/bench_matching" test/bench/bench_matching.c src/core/matching.c -lm
echo "## core (src/core/matching.c), 2,000 x 500, 4 places each, every pair scored"
"$out/bench_matching"

q <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION mentor CASCADE;
INSERT INTO mentor.skills (name, slug) SELECT 'Skill ' || g, 'skill-' || g FROM generate_series(1, 1030) g;
CREATE TABLE bench_skill AS SELECT id, row_number() OVER (ORDER BY id)::int AS n FROM mentor.skills WHERE slug LIKE 'skill-%';
INSERT INTO mentor.users (email, username, full_name)
SELECT format('cm%s@example.com', g), 'cm' || g, 'Cohort mentor ' || g FROM generate_series(1, 500) g;
INSERT INTO mentor.users (email, username, full_name)
SELECT format('ce%s@example.com', g), 'ce' || g, 'Cohort mentee ' || g FROM generate_series(1, 2000) g;
INSERT INTO mentor.mentor_profiles (user_id, max_mentees, rating_avg, rating_count)
SELECT id, 4, 3 + (id % 21) / 10.0, id % 40 FROM mentor.users WHERE username LIKE 'cm%';
-- each cohort mentor offers 20 of the first 30 skills, each mentee seeks 3 of them
INSERT INTO mentor.user_skills (user_id, skill_id, direction, level)
SELECT u.id, s.id, 'offers', 1 + (u.id + s.n) % 5
  FROM mentor.users u CROSS JOIN LATERAL (SELECT * FROM bench_skill s WHERE s.n <= 30 ORDER BY md5(u.id || '-' || s.n) LIMIT 20) s
 WHERE u.username LIKE 'cm%';
INSERT INTO mentor.user_skills (user_id, skill_id, direction, level)
SELECT u.id, s.id, 'seeks', 1 + (u.id * 7 + s.n) % 5
  FROM mentor.users u CROSS JOIN LATERAL (SELECT * FROM bench_skill s WHERE s.n <= 30 ORDER BY md5(u.id || '+' || s.n) LIMIT 3) s
 WHERE u.username LIKE 'ce%';
CREATE TABLE bench_cohort AS SELECT array_agg(id ORDER BY id) AS ids FROM mentor.users WHERE username LIKE 'ce%';
VACUUM ANALYZE;
SQL

echo "## match_cohort, 2,000 mentees x 500 mentors, 4 places each (the whole SQL call)"
for method in optimal greedy stable; do
    q -c "CREATE TABLE bench_$method AS SELECT 0::float8 AS seconds, 0::numeric AS total, 0::bigint AS pairs" >/dev/null
    for run in 1 2 3; do
        q >/dev/null <<SQL
DO \$\$
DECLARE t0 timestamptz := clock_timestamp(); tot numeric; n bigint;
BEGIN
    SELECT sum(score), count(mentor_id) INTO tot, n FROM mentor.match_cohort((SELECT ids FROM bench_cohort), 1, '$method');
    IF $run = 1 OR extract(epoch FROM clock_timestamp() - t0) < (SELECT seconds FROM bench_$method) THEN
        UPDATE bench_$method SET seconds = extract(epoch FROM clock_timestamp() - t0), total = tot, pairs = n;
    END IF;
END
\$\$;
SQL
    done
    q -c "SELECT format('%-8s best of 3: %s s, %s pairs, total score %s', '$method', round(seconds::numeric, 3), pairs, total)
            FROM bench_$method"
done
q -c "SELECT format('optimal / greedy total: %s   optimal / stable total: %s',
                    round(o.total / g.total, 4), round(o.total / s.total, 4))
        FROM bench_optimal o, bench_greedy g, bench_stable s"
q -c "SELECT CASE WHEN o.total >= g.total THEN 'optimal >= greedy: yes' ELSE 'optimal >= greedy: NO' END
        FROM bench_optimal o, bench_greedy g"

q <<'SQL'
SET client_min_messages = warning;
INSERT INTO mentor.users (email, username, full_name)
SELECT format('bm%s@example.com', g), 'bm' || g, 'Mentor ' || g FROM generate_series(1, 99500) g;
INSERT INTO mentor.mentor_profiles (user_id, max_mentees, rating_avg, rating_count, availability, accepting)
SELECT id, 3 + id % 5, CASE WHEN id % 7 = 0 THEN NULL ELSE 3 + (id % 21) / 10.0 END,
       CASE WHEN id % 7 = 0 THEN 0 ELSE id % 60 END,
       (CASE id % 3 WHEN 0 THEN 'Mon 09:00-12:00, Wed 18:00-20:00 @ Europe/Berlin'
                    WHEN 1 THEN 'Tue 07:00-09:00, Thu 17:00-21:00 @ America/New_York'
                    ELSE 'Mon-Fri 19:00-21:00 @ Asia/Kolkata' END)::mentor.availability,
       id % 50 <> 0
  FROM mentor.users WHERE username LIKE 'bm%';
-- 20 distinct skills of skills 31..1030 per mentor
INSERT INTO mentor.user_skills (user_id, skill_id, direction, level)
SELECT u.id, s.id, 'offers', 1 + (u.id + i) % 5
  FROM mentor.users u CROSS JOIN generate_series(1, 20) i JOIN bench_skill s ON s.n = 31 + (u.id * 7919 + i * 53) % 1000
 WHERE u.username LIKE 'bm%';
INSERT INTO mentor.users (email, username, full_name) VALUES ('seeker@example.com', 'seeker', 'Seeker');
INSERT INTO mentor.user_skills (user_id, skill_id, direction, level)
SELECT (SELECT id FROM mentor.users WHERE username = 'seeker'), s.id, 'seeks', 1 + s.n % 5
  FROM bench_skill s WHERE s.n IN (36, 148, 373, 631, 902);
VACUUM ANALYZE;
CREATE TABLE bench_suggest (ms float8);
SQL

echo "## suggest_mentors, 100,000 mentors x 20 skills (2,000,000 user_skills rows), k = 10"
q -c "SELECT format('%s mentors, %s skill rows; the mentee seeks 5 skills offered by %s mentors',
                    (SELECT count(*) FROM mentor.mentor_profiles), (SELECT count(*) FROM mentor.user_skills),
                    (SELECT count(DISTINCT o.user_id) FROM mentor.user_skills o JOIN mentor.user_skills s
                        ON s.skill_id = o.skill_id AND s.direction = 'seeks' AND o.direction = 'offers'
                     JOIN mentor.users u ON u.id = s.user_id AND u.username = 'seeker'))"
q >/dev/null <<SQL
DO \$\$
DECLARE t0 timestamptz; me bigint := (SELECT id FROM mentor.users WHERE username = 'seeker'); n int;
BEGIN
    FOR i IN 1..$REPEAT LOOP
        t0 := clock_timestamp();
        SELECT count(*) INTO n FROM mentor.suggest_mentors(me, 10, 'Mon-Fri 18:00-21:00 @ Europe/Berlin');
        IF n <> 10 THEN RAISE EXCEPTION 'expected 10 suggestions, got %', n; END IF;
        INSERT INTO bench_suggest VALUES (extract(epoch FROM clock_timestamp() - t0) * 1000);
    END LOOP;
END
\$\$;
SQL
q -c "SELECT format('%s calls: median %s ms, p95 %s ms (target < 50 ms)', count(*),
                    round((percentile_cont(0.5) WITHIN GROUP (ORDER BY ms))::numeric, 1),
                    round((percentile_cont(0.95) WITHIN GROUP (ORDER BY ms))::numeric, 1)) FROM bench_suggest"
echo "## plan of the candidate query (auto_explain of _top_fits, one call)"
psql -X -q -d $db -v ON_ERROR_STOP=1 2>&1 <<'SQL' \
  | awk '/Query Text: WITH credit/ {on = 1; next} on && /(CONTEXT|duration):/ {exit} on && /\(cost=/ {print}' \
  | sed -E -e 's/^\t//' -e 's/\(cost=[^)]*\) //'
LOAD 'auto_explain';
SET auto_explain.log_min_duration = 0;
SET auto_explain.log_analyze = on;
SET auto_explain.log_nested_statements = on;
SET auto_explain.log_timing = off;
SET client_min_messages = log;
SET auto_explain.log_level = log;
SELECT count(*) FROM mentor.suggest_mentors((SELECT id FROM mentor.users WHERE username = 'seeker'), 10,
                                            'Mon-Fri 18:00-21:00 @ Europe/Berlin');
SQL
echo "(the sort key is the score: overlap_minutes and _fit_score for every candidate)"
[ -n "${KEEP:-}" ] || dropdb $db
