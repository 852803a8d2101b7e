-- Teams module: team distributions, eligibility, filling existing teams,
-- snake-draft formation of new ones, size rules and capacity.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS mentor CASCADE;
RESET client_min_messages;
\set SHOW_CONTEXT never

\i sql/helpers/try.psql

-- 24 students ranked 1..24 by one task (tm01 best); tm24 is expelled.
INSERT INTO mentor.users (email, username, full_name)
SELECT format('tm%s@example.com', g), format('tm%s', lpad(g::text, 2, '0')), format('Teammate %s', g) FROM generate_series(1, 24) g;
INSERT INTO mentor.courses (name, alias, start_date, end_date) VALUES ('Team school', 'team-school', '2026-01-01', '2026-12-31')
RETURNING id AS course \gset
INSERT INTO mentor.students (course_id, user_id) SELECT :course, id FROM mentor.users WHERE username LIKE 'tm__' ORDER BY username;
SELECT array_agg(s.id ORDER BY u.username) AS s FROM mentor.students s JOIN mentor.users u ON u.id = s.user_id
 WHERE s.course_id = :course \gset
INSERT INTO mentor.tasks (name) VALUES ('Team task') RETURNING id AS task \gset
INSERT INTO mentor.course_tasks (course_id, task_id, student_start_at, student_end_at, max_score)
VALUES (:course, :task, '2026-01-01', '2026-02-01', 1000) RETURNING id AS ct \gset
INSERT INTO mentor.task_results (course_task_id, student_id, score)
SELECT :ct, s, 1000 - 10 * i FROM unnest(:'s'::bigint[]) WITH ORDINALITY AS x(s, i);
UPDATE mentor.students SET is_expelled = true WHERE id = (:'s'::bigint[])[24];
SELECT mentor.recalculate_scores(:course) AS ranked;
CREATE FUNCTION pg_temp.name(student bigint) RETURNS text LANGUAGE sql AS $$
    SELECT u.username FROM mentor.students s JOIN mentor.users u ON u.id = s.user_id WHERE s.id = student $$;

-- Size rules are checked.
SELECT pg_temp.try(format($$INSERT INTO mentor.team_distributions (course_id, name, start_at, end_at, min_team_size, max_team_size)
                           VALUES (%s, 'bad', now(), now() + interval '1 day', 4, 3)$$, :course));
SELECT pg_temp.try(format($$INSERT INTO mentor.team_distributions (course_id, name, start_at, end_at)
                           VALUES (%s, 'bad', now(), now() - interval '1 day')$$, :course));
SELECT pg_temp.try('SELECT mentor.distribute_teams(-1)');

-- A distribution: teams of 3-4, a score threshold, a registration window.
INSERT INTO mentor.team_distributions (course_id, name, start_at, end_at, min_team_size, max_team_size, min_total_score)
VALUES (:course, 'Final project', now() - interval '2 days', now() + interval '2 days', 3, 4, 800) RETURNING id AS d \gset
-- Everyone registers; tm21 too late, tm20 withdraws, tm22 and tm23 are below the threshold (790, 780).
INSERT INTO mentor.team_distribution_students (distribution_id, course_id, student_id, registered_at)
SELECT :d, :course, s, CASE WHEN i = 21 THEN now() + interval '3 days' ELSE now() - interval '1 day' END
  FROM unnest(:'s'::bigint[]) WITH ORDINALITY AS x(s, i);
UPDATE mentor.team_distribution_students SET active = false WHERE student_id = (:'s'::bigint[])[20];
-- A student of another course cannot register, whatever course_id says.
INSERT INTO mentor.courses (name, alias, start_date, end_date) VALUES ('Elsewhere', 'elsewhere', '2026-01-01', '2026-12-31')
RETURNING id AS other \gset
INSERT INTO mentor.students (course_id, user_id) SELECT :other, id FROM mentor.users WHERE username = 'tm01'
RETURNING id AS outsider \gset
SELECT pg_temp.try(format('INSERT INTO mentor.team_distribution_students (distribution_id, course_id, student_id) VALUES (%s, %s, %s)',
                          :d, :course, :outsider));
SELECT pg_temp.try(format('INSERT INTO mentor.team_distribution_students (distribution_id, course_id, student_id) VALUES (%s, %s, %s)',
                          :d, :other, :outsider));
-- tm05 and tm06 already formed a team and have room for two more.
INSERT INTO mentor.teams (distribution_id, name, lead_student_id) VALUES (:d, 'Early birds', (:'s'::bigint[])[5])
RETURNING id AS early \gset
INSERT INTO mentor.team_members (team_id, distribution_id, student_id)
VALUES (:early, :d, (:'s'::bigint[])[5]), (:early, :d, (:'s'::bigint[])[6]);
UPDATE mentor.team_distribution_students SET distributed = true WHERE student_id IN ((:'s'::bigint[])[5], (:'s'::bigint[])[6]);

-- 17 eligible students (tm01-tm19 without tm05, tm06): 2 fill the early team, 15 make 4 teams (4, 4, 4, 3).
SELECT mentor.distribute_teams(:d, seed => 11) AS placed;
SELECT t.name, pg_temp.name(t.lead_student_id) AS lead, count(*) AS size,
       string_agg(pg_temp.name(m.student_id), ' ' ORDER BY pg_temp.name(m.student_id)) AS members
  FROM mentor.teams t JOIN mentor.team_members m ON m.team_id = t.id WHERE t.distribution_id = :d
 GROUP BY t.id, t.name, t.lead_student_id ORDER BY t.id;
-- Each new team's lead is its best-ranked member; strength is balanced by the snake draft.
SELECT bool_and(lead_rank = best_rank) AS leads_are_best, max(rank_sum) - min(rank_sum) AS rank_sum_spread_of_full_teams
  FROM (SELECT t.id, min(s.rank) AS best_rank, (SELECT l.rank FROM mentor.students l WHERE l.id = t.lead_student_id) AS lead_rank,
               CASE WHEN count(*) = 4 THEN sum(s.rank) END AS rank_sum
          FROM mentor.teams t JOIN mentor.team_members m ON m.team_id = t.id JOIN mentor.students s ON s.id = m.student_id
         WHERE t.distribution_id = :d AND t.id <> :early GROUP BY t.id) x;
SELECT string_agg(pg_temp.name(student_id), ' ' ORDER BY pg_temp.name(student_id)) AS not_placed
  FROM mentor.team_distribution_students WHERE distribution_id = :d AND NOT distributed;
-- Nobody is left waiting: a second run places no one.
SELECT mentor.distribute_teams(:d) AS placed_again;

-- A full team refuses another member (MN004).
SELECT pg_temp.try(format('INSERT INTO mentor.team_members (team_id, distribution_id, student_id) VALUES (%s, %s, %s)',
                          :early, :d, (:'s'::bigint[])[20]));
-- A student is in one team per distribution.
SELECT pg_temp.try(format('INSERT INTO mentor.team_members (team_id, distribution_id, student_id) VALUES (%s, %s, %s)',
                          (SELECT team_id FROM mentor.team_members WHERE distribution_id = :d GROUP BY team_id
                            HAVING count(*) < 4), :d, (:'s'::bigint[])[5]));

-- Strict size 4: 19 eligible students make 4 teams of 4; the 3 lowest-ranked wait.
INSERT INTO mentor.team_distributions (course_id, name, start_at, end_at, min_team_size, max_team_size, strict_team_size)
VALUES (:course, 'Hackathon', now() - interval '2 days', now() + interval '2 days', 2, 6, 4) RETURNING id AS strict \gset
INSERT INTO mentor.team_distribution_students (distribution_id, course_id, student_id)
SELECT :strict, :course, s FROM unnest((:'s'::bigint[])[1:19]) s;
SELECT mentor.distribute_teams(:strict, seed => 3) AS placed;
SELECT count(*) AS teams, min(n) AS smallest, max(n) AS largest
  FROM (SELECT count(*) AS n FROM mentor.team_members WHERE distribution_id = :strict GROUP BY team_id) x;
SELECT string_agg(pg_temp.name(student_id), ' ' ORDER BY pg_temp.name(student_id)) AS waiting
  FROM mentor.team_distribution_students WHERE distribution_id = :strict AND NOT distributed;
-- The same figures as a result, for applications that do not read NOTICEs.
SELECT * FROM mentor.team_distribution_report(:strict);
SELECT count(*) AS unknown_distribution FROM mentor.team_distribution_report(-1);

-- The same seed over the same students gives the same teams.
INSERT INTO mentor.team_distributions (course_id, name, start_at, end_at, min_team_size, max_team_size, strict_team_size)
VALUES (:course, 'Hackathon twin', now() - interval '2 days', now() + interval '2 days', 2, 6, 4) RETURNING id AS twin \gset
INSERT INTO mentor.team_distribution_students (distribution_id, course_id, student_id)
SELECT :twin, :course, s FROM unnest((:'s'::bigint[])[1:19]) s;
SELECT mentor.distribute_teams(:twin, seed => 3) AS placed;
SELECT count(*) AS differing_teams FROM (
    (SELECT t.name, array_agg(m.student_id ORDER BY m.student_id) FROM mentor.teams t JOIN mentor.team_members m ON m.team_id = t.id
      WHERE t.distribution_id = :strict GROUP BY t.name
     EXCEPT
     SELECT t.name, array_agg(m.student_id ORDER BY m.student_id) FROM mentor.teams t JOIN mentor.team_members m ON m.team_id = t.id
      WHERE t.distribution_id = :twin GROUP BY t.name)) x;
