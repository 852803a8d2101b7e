\echo
\echo '--- 42. Suggestions for Mia (Berlin, free weekday evenings), best first, each with its reasons'
SELECT u.username AS mentor, s.score, s.reasons -> 'skills_at_level' AS at_level, s.reasons -> 'skills_below_level' AS below,
       s.reasons -> 'overlap_hours_per_week' AS overlap_h, s.reasons -> 'free_places' AS free, s.reasons -> 'rating' AS rating,
       s.reasons -> 'ratings' AS ratings
  FROM mentor.suggest_mentors((SELECT id FROM mentor.users WHERE username = 'mia'), 5,
                              'Mon-Fri 17:00-22:00 @ Europe/Berlin') s
  JOIN mentor.users u ON u.id = s.mentor_id;
\echo 'Mia declines Raj; he is not suggested again:'
SELECT mentor.refresh_suggestions((SELECT id FROM mentor.users WHERE username = 'mia'), 5) AS suggested;
BEGIN;
SELECT mentor.set_actor(id) IS NOT NULL AS acting_as_mia FROM mentor.users WHERE username = 'mia';
SELECT mentor.decline_suggestion(s.id) FROM mentor.suggestions s JOIN mentor.users u ON u.id = s.mentor_id
 WHERE u.username = 'raj' AND s.mentee_id = (SELECT id FROM mentor.users WHERE username = 'mia');
COMMIT;
SELECT string_agg(u.username, ', ' ORDER BY s.score DESC) AS suggested_now
  FROM mentor.suggest_mentors((SELECT id FROM mentor.users WHERE username = 'mia')) s JOIN mentor.users u ON u.id = s.mentor_id;

\echo
\echo '--- 43. A program manager matches a cohort at once: optimal (best total) vs stable (mentee-proposing)'
CREATE TEMP TABLE cohort AS SELECT id FROM mentor.users WHERE username IN ('kenji', 'lucas', 'st01', 'st02', 'st03', 'st04', 'st05');
SELECT e.username AS mentee, ro.username AS optimal, o.score AS optimal_score, rs.username AS stable, s.score AS stable_score
  FROM mentor.match_cohort(ARRAY(SELECT id FROM cohort)) o
  JOIN mentor.match_cohort(ARRAY(SELECT id FROM cohort), 1, 'stable') s ON s.mentee_id = o.mentee_id
  JOIN mentor.users e ON e.id = o.mentee_id
  LEFT JOIN mentor.users ro ON ro.id = o.mentor_id LEFT JOIN mentor.users rs ON rs.id = s.mentor_id
 ORDER BY 1;
\echo 'Total fit of each method; greedy (highest score first) is the baseline the optimum never falls below:'
SELECT (SELECT sum(score) FROM mentor.match_cohort(ARRAY(SELECT id FROM cohort))) AS optimal_total,
       (SELECT sum(score) FROM mentor.match_cohort(ARRAY(SELECT id FROM cohort), 1, 'stable')) AS stable_total,
       (SELECT sum(score) FROM mentor.match_cohort(ARRAY(SELECT id FROM cohort), 1, 'greedy')) AS greedy_total;
