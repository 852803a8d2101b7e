\echo
\echo '--- 55. Support: Mia reports a problem; staff assign it (to staff only), work on it and resolve it in a private thread'
SELECT id AS mia FROM mentor.users WHERE username = 'mia' \gset
SELECT id AS adam FROM mentor.users WHERE username = 'adam' \gset
SELECT id AS grace FROM mentor.users WHERE username = 'grace' \gset
SELECT id AS kenji FROM mentor.users WHERE username = 'kenji' \gset
BEGIN;
SET LOCAL ROLE mentor_app;
SELECT mentor.set_actor(:mia) IS NOT NULL AS as_mia;
INSERT INTO mentor.support_tickets (reporter_id, title, description)
VALUES (mentor.current_actor(), 'My session recording is missing', 'The session with Grace on Monday has no recording.') RETURNING id AS ticket \gset
INSERT INTO mentor.ticket_messages (ticket_id, author_id, body) VALUES (:ticket, mentor.current_actor(), 'It was the 4 pm session.');
SELECT demo.try(format('SELECT mentor.assign_ticket(%s, %s)', :ticket, :adam)) AS mia_assigns;
SELECT mentor.set_actor(:adam) IS NOT NULL AS as_adam;
SELECT demo.try(format('SELECT mentor.assign_ticket(%s, %s)', :ticket, :grace)) AS to_a_mentor;
SELECT (mentor.assign_ticket(:ticket, :adam)).assignee_id = :adam AS adam_takes_it,
       (mentor.set_ticket_status(:ticket, 'in_progress')).status;
INSERT INTO mentor.ticket_messages (ticket_id, author_id, body) VALUES (:ticket, mentor.current_actor(), 'Found it: re-uploaded to your session page.');
SELECT status, resolved_at IS NOT NULL AS resolved_at_stamped FROM mentor.set_ticket_status(:ticket, 'resolved');
SELECT mentor.set_actor(:kenji) IS NOT NULL AS as_kenji;
SELECT count(*) AS tickets_kenji_sees, (SELECT count(*) FROM mentor.ticket_messages WHERE ticket_id = :ticket) AS messages_kenji_sees
  FROM mentor.support_tickets WHERE id = :ticket;
COMMIT;

\echo
\echo '--- 56. Cover for a leave: Amara asks Linus and Priya; Linus accepts, so Priya cannot cover the same weeks (23P01)'
SELECT id AS amara FROM mentor.users WHERE username = 'amara' \gset
SELECT id AS linus FROM mentor.users WHERE username = 'linus' \gset
SELECT id AS priya FROM mentor.users WHERE username = 'priya' \gset
BEGIN;
SET LOCAL ROLE mentor_app;
SELECT mentor.set_actor(:amara) IS NOT NULL AS as_amara;
INSERT INTO mentor.proxy_requests (mother_id, proxy_id, start_date, expected_end_date, notes)
VALUES (mentor.current_actor(), :linus, date_trunc('day', now()) + interval '30 days', date_trunc('day', now()) + interval '120 days',
        'Weekly mentee check-ins') RETURNING id AS to_linus \gset
INSERT INTO mentor.proxy_requests (mother_id, proxy_id, start_date, expected_end_date)
VALUES (mentor.current_actor(), :priya, date_trunc('day', now()) + interval '60 days', date_trunc('day', now()) + interval '150 days')
RETURNING id AS to_priya \gset
SELECT mentor.set_actor(:linus) IS NOT NULL AS as_linus;
SELECT mentor.respond_proxy_request(:to_linus, true) AS linus_answers;
SELECT mentor.set_actor(:priya) IS NOT NULL AS as_priya;
SELECT demo.try(format('SELECT mentor.respond_proxy_request(%s, true)', :to_priya)) AS priya_accepts;
SELECT mentor.set_actor(:amara) IS NOT NULL AS as_amara;
SELECT demo.try(format($$INSERT INTO mentor.proxy_requests (mother_id, proxy_id, start_date, expected_end_date)
                         VALUES (%s, %s, now() + interval '90 days', now() + interval '100 days')$$, :amara, :priya)) AS asks_again;
SELECT p.status, u.username AS proxy, lower(p.leave)::date AS from_day, upper(p.leave)::date AS to_day
  FROM mentor.proxy_requests p JOIN mentor.users u ON u.id = p.proxy_id ORDER BY p.id;
COMMIT;

\echo
\echo '--- 57. Learning paths: Mia completes two of four modules (50%); a fifth module added by staff makes it 40%'
BEGIN;
SET LOCAL ROLE mentor_app;
SELECT mentor.set_actor(:mia) IS NOT NULL AS as_mia;
INSERT INTO mentor.learning_module_completions (user_id, module_id)
SELECT mentor.current_actor(), m.id FROM mentor.learning_path_modules m JOIN mentor.learning_paths p ON p.id = m.path_id
 WHERE p.title = 'Leading your first team' AND m.position IN (1, 2);
SELECT p.title, x.completed_count || ' of ' || p.module_count AS done, x.progress || '%' AS progress
  FROM mentor.learning_progress x JOIN mentor.learning_paths p ON p.id = x.path_id;
SELECT demo.try('UPDATE mentor.learning_progress SET progress = 100') AS mia_sets_100;
SELECT completed_modules FROM mentor.user_learning_progress;
COMMIT;
INSERT INTO mentor.learning_path_modules (path_id, position, title)
SELECT id, 5, 'Leading through change' FROM mentor.learning_paths WHERE title = 'Leading your first team';
SELECT u.username, p.title, x.progress || '%' AS progress
  FROM mentor.learning_progress x JOIN mentor.learning_paths p ON p.id = x.path_id JOIN mentor.users u ON u.id = x.user_id
 ORDER BY u.username, p.title;
