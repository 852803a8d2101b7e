\echo
\echo '--- 25. A course school cohort (seed 000): 30 students, two course mentors, four tasks'
SELECT id AS course FROM mentor.courses WHERE alias = 'js-fe-2026-q4' \gset
SELECT ct.id AS portfolio FROM mentor.course_tasks ct JOIN mentor.tasks t ON t.id = ct.task_id
 WHERE ct.course_id = :course AND t.name = 'Portfolio' \gset
SELECT c.name, (SELECT count(*) FROM mentor.students s WHERE s.course_id = c.id) AS students,
       (SELECT string_agg(u.username || ' (' || m.max_students || ' max, '
                          || (SELECT count(*) FROM mentor.students s WHERE s.mentor_id = m.id) || ' assigned)', ', ')
          FROM mentor.course_mentors m JOIN mentor.users u ON u.id = m.user_id WHERE m.course_id = c.id) AS course_mentors
  FROM mentor.courses c WHERE c.id = :course;
SELECT t.name AS task, ct.checker, ct.max_score, ct.score_weight, ct.crosscheck_status
  FROM mentor.course_tasks ct JOIN mentor.tasks t ON t.id = ct.task_id WHERE ct.course_id = :course ORDER BY ct.student_end_at;
\echo 'A ninth student for Grace, who takes 8 (MN004):'
SELECT demo.try(format('UPDATE mentor.students SET mentor_id = (SELECT m.id FROM mentor.course_mentors m JOIN mentor.users u ON u.id = m.user_id
                                                                 WHERE m.course_id = %s AND u.username = ''grace'')
                         WHERE id = (SELECT s.id FROM mentor.students s JOIN mentor.users u ON u.id = s.user_id WHERE u.username = ''st20'')',
                       :course)) AS result;

\echo
\echo '--- 26. Cross-check distribution: 27 portfolios, 4 reviewers each, fair by construction'
SELECT mentor.crosscheck_distribute(:portfolio, seed => 2026) AS pairs_created;
SELECT count(DISTINCT checker_id) AS reviewers,
       min(todo) AS min_reviews_to_do, max(todo) AS max_reviews_to_do,
       (SELECT count(*) FROM mentor.task_solution_checkers c WHERE c.course_task_id = :portfolio AND c.checker_id = c.student_id) AS self_reviews,
       (SELECT count(*) FROM mentor.task_solution_checkers a JOIN mentor.task_solution_checkers b
            ON b.course_task_id = a.course_task_id AND b.checker_id = a.student_id AND b.student_id = a.checker_id
         WHERE a.course_task_id = :portfolio) AS mutual_pairs
  FROM (SELECT checker_id, count(*) AS todo FROM mentor.task_solution_checkers WHERE course_task_id = :portfolio GROUP BY 1) x;

\echo
\echo '--- 27. After the deadline st28 submits: refused; the manager moves the deadline, st28 submits and gets 4 reviewers, least-loaded first'
SELECT demo.try(format($$INSERT INTO mentor.task_solutions (course_task_id, student_id, url)
                        SELECT %s, s.id, 'https://st28.github.io/portfolio' FROM mentor.students s JOIN mentor.users u ON u.id = s.user_id
                         WHERE u.username = 'st28'$$, :portfolio)) AS after_the_deadline;
UPDATE mentor.course_tasks SET student_end_at = now() + interval '1 day' WHERE id = :portfolio;
INSERT INTO mentor.task_solutions (course_task_id, student_id, url)
SELECT :portfolio, s.id, 'https://st28.github.io/portfolio' FROM mentor.students s JOIN mentor.users u ON u.id = s.user_id
 WHERE u.username = 'st28';
SELECT mentor.crosscheck_distribute(:portfolio) AS new_pairs;
SELECT string_agg(u.username, ', ' ORDER BY u.username) AS st28_is_reviewed_by
  FROM mentor.task_solution_checkers c JOIN mentor.students s ON s.id = c.checker_id JOIN mentor.users u ON u.id = s.user_id
 WHERE c.course_task_id = :portfolio AND c.student_id = (SELECT s.id FROM mentor.students s JOIN mentor.users u ON u.id = s.user_id WHERE u.username = 'st28');

\echo
\echo '--- 28. Reviews: each checker scores the criteria; st05 and st17 do not do theirs'
SELECT count(mentor.crosscheck_submit_review(:portfolio, c.checker_id, c.task_solution_id, x.layout + x.semantics + x.interactivity,
                                             jsonb_build_object('layout', x.layout, 'semantics', x.semantics, 'interactivity', x.interactivity),
                                             CASE WHEN x.layout + x.semantics + x.interactivity < 100
                                                  THEN 'The burger menu does not close on link click; header overlaps at 768px.' END)) AS reviews_saved
  FROM mentor.task_solution_checkers c
  JOIN mentor.students s ON s.id = c.checker_id JOIN mentor.users u ON u.id = s.user_id
  CROSS JOIN LATERAL (SELECT 20 + (hashint8(c.id) & 15) AS layout, 15 + (hashint8(c.id + 1) & 15) AS semantics,
                             10 + (hashint8(c.id + 2) & 15) AS interactivity) x
 WHERE c.course_task_id = :portfolio AND u.username NOT IN ('st05', 'st17');
\echo 'A student who was not assigned that solution (MN005), and a score above the maximum (22023):'
SELECT demo.try(format('SELECT mentor.crosscheck_submit_review(%s, %s, %s, 50)', :portfolio, c.student_id, c.task_solution_id)) AS result
  FROM mentor.task_solution_checkers c WHERE c.course_task_id = :portfolio ORDER BY c.id LIMIT 1;
SELECT demo.try(format('SELECT mentor.crosscheck_submit_review(%s, %s, %s, 120)', :portfolio, c.checker_id, c.task_solution_id)) AS result
  FROM mentor.task_solution_checkers c WHERE c.course_task_id = :portfolio ORDER BY c.id LIMIT 1;
SELECT * FROM mentor.crosscheck_progress WHERE course_task_id = :portfolio;

\echo
\echo '--- 29. Reviews worth a second look (outliers vs the other reviewers, unexplained low scores)'
SELECT f.flag, count(*) AS reviews FROM mentor.crosscheck_reviewer_flags(:portfolio) f GROUP BY f.flag ORDER BY 1;
SELECT f.flag, f.score, f.detail FROM mentor.crosscheck_reviewer_flags(:portfolio) f WHERE f.flag = 'outlier' LIMIT 3;

\echo
\echo '--- 30. The reviewed student sees the reviews of their portfolio, reviewers hidden (anonymous by default)'
BEGIN;
SELECT mentor.set_actor(u.id) IS NOT NULL AS acting_as_st03 FROM mentor.users u WHERE u.username = 'st03';
SET LOCAL ROLE mentor_app;
SELECT count(*) AS rows_visible_in_the_table FROM mentor.task_solution_results r
 WHERE r.student_id = (SELECT s.id FROM mentor.students s JOIN mentor.users u ON u.id = s.user_id WHERE u.username = 'st03');
SELECT score, criteria, checker_id AS reviewer FROM mentor.my_crosscheck_reviews WHERE course_task_id = :portfolio ORDER BY score;
COMMIT;

\echo
\echo '--- 31. Completion (top_k_minus_1: the mean of the best 3 of 4, for students who did at least 3 of their 4 reviews)'
SELECT mentor.crosscheck_complete(:portfolio) AS results_written;
SELECT u.username, r.score, r.historical_scores -> -1 ->> 'source' AS source
  FROM mentor.task_results r JOIN mentor.students s ON s.id = r.student_id JOIN mentor.users u ON u.id = s.user_id
 WHERE r.course_task_id = :portfolio AND u.username IN ('st01', 'st02', 'st05', 'st17', 'st28') ORDER BY 1;
\echo 'st05 and st17 skipped their reviews, so they get no cross-check score; st28 (late) had none to do;'
\echo 'st29 and st30 did not submit.'

\echo
\echo '--- 32. Scores and the leaderboard (weighted totals, ties ranked 1, 2, 2, 4)'
SELECT mentor.recalculate_scores(:course) AS students_updated;
SELECT rank, username, total_score, cross_check_score, mentor_username FROM mentor.course_leaderboard
 WHERE course_id = :course ORDER BY rank, username LIMIT 10;
SELECT mentor.issue_certificates(:course) AS certificates_issued;

\echo
\echo '--- 33. Teams for stage 2: 3-4 per team, balanced by a snake draft over rank, the best-ranked leads'
SELECT mentor.distribute_teams(d.id, seed => 7) AS students_placed FROM mentor.team_distributions d WHERE d.course_id = :course;
SELECT t.name, lu.username AS lead, count(*) AS size, round(avg(s.rank), 1) AS avg_rank,
       string_agg(u.username, ' ' ORDER BY s.rank) AS members_by_rank
  FROM mentor.teams t JOIN mentor.team_members m ON m.team_id = t.id
  JOIN mentor.students s ON s.id = m.student_id JOIN mentor.users u ON u.id = s.user_id
  LEFT JOIN mentor.students ls ON ls.id = t.lead_student_id LEFT JOIN mentor.users lu ON lu.id = ls.user_id
 WHERE t.distribution_id = (SELECT id FROM mentor.team_distributions WHERE course_id = :course)
 GROUP BY t.id, t.name, lu.username ORDER BY t.id;
