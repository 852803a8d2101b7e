\echo
\echo '--- 11. History: Grace edits her profile twice; the second edit is a mistake'
SELECT id AS grace_id FROM mentor.users WHERE username = 'grace' \gset
SELECT id AS grace_profile FROM mentor.profiles WHERE user_id = :grace_id \gset
BEGIN;
SELECT mentor.set_actor(:grace_id) AS acting_as_grace;
UPDATE mentor.profiles SET headline = 'Compilers, careers and COBOL' WHERE id = :grace_profile;
COMMIT;
SELECT pg_sleep(0.01), clock_timestamp() AS before_mistake \gset
BEGIN;
SELECT mentor.set_actor(:grace_id) AS acting_as_grace;
UPDATE mentor.profiles SET bio = 'asdf asdf (pasted by mistake)', mentorship_style = NULL WHERE id = :grace_profile;
COMMIT;

\echo
\echo '--- 12. Who changed what, when: mentor.row_history (the seed loader''s changes summarised first)'
SELECT count(*) AS changes_by_the_seed_loader, string_agg(DISTINCT h.db_user, ', ') AS as_database_user
  FROM mentor.row_history('mentor.profiles', jsonb_build_object('id', :grace_profile)) h WHERE h.actor_id IS NULL;
SELECT to_char(h.at, 'HH24:MI:SS.MS') AS at, u.username AS who, h.op, h.old_row - 'updated_at' AS old_values,
       h.new_row - 'updated_at' AS new_values
  FROM mentor.row_history('mentor.profiles', jsonb_build_object('id', :grace_profile)) h
  JOIN mentor.users u ON u.id = h.actor_id
 ORDER BY h.at;

\echo
\echo '--- 13. The profile as it was before the mistake: mentor.row_as_of'
SELECT p ->> 'headline' AS headline, p ->> 'bio' AS bio, p ->> 'mentorship_style' AS mentorship_style
  FROM mentor.row_as_of('mentor.profiles', jsonb_build_object('id', :grace_profile), :'before_mistake') p;

\echo
\echo '--- 14. Adam (admin) restores it: mentor.restore_row, itself recorded under his name'
BEGIN;
SELECT mentor.set_actor((SELECT id FROM mentor.users WHERE username = 'adam')) AS acting_as_adam;
SELECT r ->> 'bio' AS restored_bio FROM mentor.restore_row('mentor.profiles', jsonb_build_object('id', :grace_profile), :'before_mistake') r;
COMMIT;
SELECT u.username AS who, h.old_row - 'updated_at' AS old_values, h.new_row - 'updated_at' AS new_values
  FROM mentor.row_history('mentor.profiles', jsonb_build_object('id', :grace_profile)) h
  JOIN mentor.users u ON u.id = h.actor_id
 ORDER BY h.at DESC LIMIT 1;

\echo
\echo '--- 15. Secrets never enter history: a password change records only that the row changed'
UPDATE mentor.users SET password_hash = crypt('correct horse battery staple', gen_salt('bf', 4)) WHERE id = :grace_id;
SELECT h.op, h.old_row, h.new_row
  FROM mentor.row_history('mentor.users', jsonb_build_object('id', :grace_id)) h ORDER BY h.at DESC LIMIT 1;
SELECT count(*) AS history_rows, (SELECT pg_size_pretty(sum(bytes)) FROM mentor.history_partitions) AS history_size,
       (SELECT count(*) FROM mentor.history_partitions) AS partitions
  FROM mentor.history_log;
