-- Community support: resources with comments and full-text search, support
-- tickets with private threads, proxy cover for a leave (one accepted proxy
-- per leave, one leave per proxy), milestones and support chats private to
-- their owner.  Everything as the application does it: mentor_app with an
-- acting user.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS mentor CASCADE;
RESET client_min_messages;
\set SHOW_CONTEXT never

\i sql/helpers/try.psql
\i sql/helpers/tryn.psql
INSERT INTO mentor.users (email, username, full_name, role) VALUES
    ('su_mae@example.com', 'su_mae', 'Mae Mother', 'new_mother'), ('su_pia@example.com', 'su_pia', 'Pia Proxy', 'user'),
    ('su_quin@example.com', 'su_quin', 'Quin Proxy', 'user'), ('su_ola@example.com', 'su_ola', 'Ola Other', 'new_mother'),
    ('su_out@example.com', 'su_out', 'Otto Outsider', 'user'), ('su_sam@example.com', 'su_sam', 'Sam Staff', 'admin');
SELECT id AS mae FROM mentor.users WHERE username = 'su_mae' \gset
SELECT id AS pia FROM mentor.users WHERE username = 'su_pia' \gset
SELECT id AS quin FROM mentor.users WHERE username = 'su_quin' \gset
SELECT id AS ola FROM mentor.users WHERE username = 'su_ola' \gset
SELECT id AS otto FROM mentor.users WHERE username = 'su_out' \gset
SELECT id AS sam FROM mentor.users WHERE username = 'su_sam' \gset
-- Requests of the application: mentor_app, with its acting user.
\i sql/helpers/as_user.psql

-- Resources: a URL or a file, searchable by title, tags and description; an unpublished
-- one is its uploader's and staff's until published.
SELECT pg_temp.as_user(:mae, $q$INSERT INTO mentor.resources (title, description, type, uploaded_by, url, published, category, tags)
    VALUES ('Breathing for sleepless nights', 'A ten-minute guided meditation for new parents.', 'meditation',
            mentor.current_actor(), 'https://example.com/breathe', true, 'wellbeing', '{sleep,calm}') RETURNING id$q$) AS r1 \gset
SELECT pg_temp.as_user(:mae, $q$INSERT INTO mentor.resources (title, type, uploaded_by, file_path, tags)
    VALUES ('Returning to work: my story (draft)', 'story', mentor.current_actor(), 'uploads/mae/story.pdf', '{career}')
    RETURNING id$q$) AS r2 \gset
SELECT pg_temp.try($$INSERT INTO mentor.resources (title, type) VALUES ('Nowhere', 'guidebook')$$);
SELECT pg_temp.try($$INSERT INTO mentor.resources (title, type, url) VALUES ('Bad link', 'guidebook', 'ftp://example.com')$$);
SELECT pg_temp.try($$INSERT INTO mentor.resources (title, type, url) VALUES ('Bad type', 'podcast', 'https://example.com')$$);
SELECT pg_temp.tryn(format($q$SELECT pg_temp.as_user(%s, 'INSERT INTO mentor.resources (title, type, uploaded_by, url)
    VALUES (''For someone else'', ''course'', %s, ''https://example.com/c'')')$q$, :otto, :mae));
SELECT pg_temp.as_user(:otto, 'SELECT string_agg(title, '' | '' ORDER BY id) FROM mentor.resources') AS outsider_sees;
SELECT pg_temp.as_user(:mae, 'SELECT string_agg(title, '' | '' ORDER BY id) FROM mentor.resources') AS uploader_sees;
SELECT pg_temp.as_user(:sam, 'SELECT string_agg(title, '' | '' ORDER BY id) FROM mentor.resources') AS staff_sees;
SELECT title FROM mentor.resources WHERE search @@ websearch_to_tsquery('english', 'calm') ORDER BY id;
SELECT title FROM mentor.resources WHERE search @@ websearch_to_tsquery('english', 'parents meditation') ORDER BY id;
SELECT title FROM mentor.resources WHERE search @@ websearch_to_tsquery('english', 'career') ORDER BY id;
SET enable_seqscan = off;   -- two rows: show the index a real library uses
EXPLAIN (COSTS OFF) SELECT title FROM mentor.resources WHERE search @@ websearch_to_tsquery('english', 'calm');
RESET enable_seqscan;
-- Someone else's resource is not theirs to edit (row-level security: nothing matches).
SELECT pg_temp.as_user(:otto, format($q$WITH u AS (UPDATE mentor.resources SET published = false WHERE id = %s RETURNING 1)
    SELECT count(*) FROM u$q$, :r1)) AS outsider_updated;
-- Comments: on what one can read.
SELECT pg_temp.as_user(:otto, format($q$INSERT INTO mentor.resource_comments (resource_id, user_id, content)
    VALUES (%s, mentor.current_actor(), 'This helped, thank you.') RETURNING 'commented'$q$, :r1));
SELECT pg_temp.tryn(format($q$SELECT pg_temp.as_user(%s, 'INSERT INTO mentor.resource_comments (resource_id, user_id, content)
    VALUES (%s, mentor.current_actor(), ''I should not see this draft'')')$q$, :otto, :r2));
SELECT pg_temp.try(format($q$INSERT INTO mentor.resource_comments (resource_id, user_id, content) VALUES (%s, %s, '   ')$q$, :r1, :otto));
SELECT pg_temp.as_user(:mae, format('SELECT count(*) FROM mentor.resource_comments WHERE resource_id = %s', :r1)) AS comments;

-- Support tickets: the reporter opens one; staff assign it to staff only; the status moves
-- along reported_issue, resolved_at stamped and cleared on reopening.
SELECT pg_temp.as_user(:mae, $q$INSERT INTO mentor.support_tickets (reporter_id, title, description)
    VALUES (mentor.current_actor(), 'Cannot upload my story', 'The upload stops at 90%.') RETURNING id$q$) AS t1 \gset
SELECT pg_temp.as_user(:otto, $q$INSERT INTO mentor.support_tickets (reporter_id, kind, title, description)
    VALUES (mentor.current_actor(), 'query', 'How do groups work?', 'Can I join more than one?') RETURNING id$q$) AS t2 \gset
SELECT pg_temp.tryn(format($q$SELECT pg_temp.as_user(%s, 'UPDATE mentor.support_tickets SET status = ''resolved'' WHERE id = %s')$q$, :mae, :t1));
SELECT pg_temp.tryn(format($q$SELECT pg_temp.as_user(%s, 'UPDATE mentor.support_tickets SET assignee_id = %s WHERE id = %s')$q$, :mae, :sam, :t1));
SELECT pg_temp.tryn(format('SELECT pg_temp.as_user(%s, $$SELECT mentor.assign_ticket(%s, %s)$$)', :mae, :t1, :sam));
SELECT pg_temp.tryn(format('SELECT pg_temp.as_user(%s, $$SELECT mentor.assign_ticket(%s, %s)$$)', :sam, :t1, :pia));
SELECT pg_temp.tryn(format('SELECT pg_temp.as_user(%s, $$SELECT mentor.assign_ticket(-1, %s)$$)', :sam, :sam));
SELECT pg_temp.as_user(:sam, format('SELECT (mentor.assign_ticket(%s, %s)).assignee_id = mentor.current_actor()', :t1, :sam)) AS assigned;
-- The reporter resolves or reopens; putting it in progress is staff's.
SELECT pg_temp.tryn(format($q$SELECT pg_temp.as_user(%s, 'SELECT mentor.set_ticket_status(%s, ''in_progress'')')$q$, :mae, :t1));
SELECT pg_temp.tryn(format($q$SELECT pg_temp.as_user(%s, 'SELECT mentor.set_ticket_status(%s, ''resolved'')')$q$, :otto, :t1));
SELECT pg_temp.as_user(:sam, format($q$SELECT (mentor.set_ticket_status(%s, 'in_progress')).status$q$, :t1)) AS status;
SELECT pg_temp.as_user(:sam, format($q$SELECT (mentor.set_ticket_status(%s, 'in_progress')).status$q$, :t1)) AS again;
SELECT pg_temp.as_user(:sam, format($q$SELECT (t).status || ', resolved_at stamped: ' || ((t).resolved_at IS NOT NULL)
    FROM mentor.set_ticket_status(%s, 'resolved') t$q$, :t1)) AS resolved;
SELECT pg_temp.as_user(:mae, format($q$SELECT (t).status || ', resolved_at cleared: ' || ((t).resolved_at IS NULL)
    FROM mentor.set_ticket_status(%s, 'open') t$q$, :t1)) AS reopened;
SELECT pg_temp.as_user(:mae, format($q$SELECT (mentor.set_ticket_status(%s, 'resolved')).status$q$, :t1)) AS resolved_by_reporter;
-- Written directly (here by the superuser), the assignee must still be staff.
SELECT pg_temp.tryn(format('UPDATE mentor.support_tickets SET assignee_id = %s WHERE id = %s', :otto, :t2));
-- The thread: the reporter, the assignee and staff only; never edited.
SELECT pg_temp.as_user(:mae, format($q$INSERT INTO mentor.ticket_messages (ticket_id, author_id, body)
    VALUES (%s, mentor.current_actor(), 'It happens on my phone.') RETURNING 'posted'$q$, :t1));
SELECT pg_temp.as_user(:sam, format($q$INSERT INTO mentor.ticket_messages (ticket_id, author_id, body)
    VALUES (%s, mentor.current_actor(), 'Fixed in the new upload page.') RETURNING 'posted'$q$, :t1));
SELECT pg_temp.tryn(format($q$SELECT pg_temp.as_user(%s, 'INSERT INTO mentor.ticket_messages (ticket_id, author_id, body)
    VALUES (%s, mentor.current_actor(), ''me too'')')$q$, :otto, :t1));
SELECT pg_temp.as_user(:otto, 'SELECT count(*) FROM mentor.ticket_messages') AS outsider_thread;
SELECT pg_temp.as_user(:otto, 'SELECT string_agg(title, '' | '') FROM mentor.support_tickets') AS outsider_tickets;
SELECT pg_temp.as_user(:mae, format('SELECT count(*) FROM mentor.ticket_messages WHERE ticket_id = %s', :t1)) AS reporter_thread;
SELECT pg_temp.as_user(:sam, 'SELECT count(*) FROM mentor.support_tickets') AS staff_tickets;
SELECT pg_temp.tryn(format($q$SELECT pg_temp.as_user(%s, 'UPDATE mentor.ticket_messages SET body = ''edited'' WHERE ticket_id = %s')$q$, :mae, :t1));
SELECT pg_temp.try(format($q$INSERT INTO mentor.ticket_messages (ticket_id, author_id, body) VALUES (%s, %s, '')$q$, :t1, :mae));

-- Proxy cover: the mother asks, only the proxy answers; one accepted proxy per leave period,
-- one leave per proxy at a time (23P01 naming the conflict); completion stamps the end.
SELECT pg_temp.as_user(:mae, $q$INSERT INTO mentor.proxy_requests (mother_id, proxy_id, start_date, expected_end_date, notes)
    VALUES (mentor.current_actor(), (SELECT id FROM mentor.users WHERE username = 'su_pia'),
            '2027-03-01', '2027-06-01', 'Weekly client calls') RETURNING id$q$) AS p1 \gset
SELECT pg_temp.as_user(:mae, $q$INSERT INTO mentor.proxy_requests (mother_id, proxy_id, start_date, expected_end_date)
    VALUES (mentor.current_actor(), (SELECT id FROM mentor.users WHERE username = 'su_quin'), '2027-04-01', '2027-07-01')
    RETURNING id$q$) AS p2 \gset
SELECT pg_temp.try(format($q$INSERT INTO mentor.proxy_requests (mother_id, proxy_id, start_date, expected_end_date)
    VALUES (%s, %s, '2027-03-01', '2027-06-01')$q$, :mae, :mae));
SELECT pg_temp.try(format($q$INSERT INTO mentor.proxy_requests (mother_id, proxy_id, start_date, expected_end_date)
    VALUES (%s, %s, '2027-06-01', '2027-03-01')$q$, :mae, :pia));
SELECT pg_temp.tryn(format('SELECT pg_temp.as_user(%s, $$SELECT mentor.respond_proxy_request(%s, true)$$)', :mae, :p1));
SELECT pg_temp.tryn(format('SELECT pg_temp.as_user(%s, $$SELECT mentor.respond_proxy_request(%s, true)$$)', :otto, :p1));
SELECT pg_temp.tryn(format($q$SELECT pg_temp.as_user(%s, 'UPDATE mentor.proxy_requests SET status = ''accepted'' WHERE id = %s')$q$, :mae, :p1));
SELECT pg_temp.as_user(:pia, format('SELECT mentor.respond_proxy_request(%s, true)', :p1)) AS pia_answers;
SELECT pg_temp.tryn(format('SELECT pg_temp.as_user(%s, $$SELECT mentor.respond_proxy_request(%s, false)$$)', :pia, :p1));
-- Quin accepting the overlapping second request would give Mae two proxies at once.
SELECT pg_temp.tryn(format('SELECT pg_temp.as_user(%s, $$SELECT mentor.respond_proxy_request(%s, true)$$)', :quin, :p2));
SELECT pg_temp.as_user(:quin, format('SELECT mentor.respond_proxy_request(%s, false)', :p2)) AS quin_answers;
-- A new request for a covered period is refused when made.
SELECT pg_temp.tryn(format($q$SELECT pg_temp.as_user(%s, 'INSERT INTO mentor.proxy_requests (mother_id, proxy_id, start_date, expected_end_date)
    VALUES (mentor.current_actor(), %s, ''2027-05-01'', ''2027-08-01'')')$q$, :mae, :quin));
-- Pia covers one leave at a time: Ola's overlapping leave cannot have her too.
SELECT pg_temp.as_user(:ola, format($q$INSERT INTO mentor.proxy_requests (mother_id, proxy_id, start_date, expected_end_date)
    VALUES (mentor.current_actor(), %s, '2027-05-15', '2027-09-01') RETURNING id$q$, :pia)) AS p3 \gset
SELECT pg_temp.tryn(format('SELECT pg_temp.as_user(%s, $$SELECT mentor.respond_proxy_request(%s, true)$$)', :pia, :p3));
-- Cover that ends early frees the rest of the period: Pia ends Mae's cover on 2027-05-01.
SELECT pg_temp.tryn(format($q$SELECT pg_temp.as_user(%s, 'SELECT mentor.complete_proxy_request(%s, ''2027-01-01'')')$q$, :pia, :p1));
SELECT pg_temp.as_user(:pia, format($q$SELECT (r).status || ' ' || (r).leave FROM mentor.complete_proxy_request(%s, '2027-05-01 00:00+00') r$q$, :p1)) AS completed;
SELECT pg_temp.as_user(:pia, format($q$SELECT (r).status || ' ' || (r).leave FROM mentor.complete_proxy_request(%s, '2027-05-20 00:00+00') r$q$, :p1)) AS again;
SELECT pg_temp.as_user(:pia, format('SELECT mentor.respond_proxy_request(%s, true)', :p3)) AS pia_covers_ola;
-- Cover that was never accepted does not complete.
SELECT pg_temp.tryn(format($q$SELECT pg_temp.as_user(%s, 'SELECT mentor.complete_proxy_request(%s, ''2027-05-01'')')$q$, :quin, :p2));
SELECT pg_temp.as_user(:otto, 'SELECT count(*) FROM mentor.proxy_requests') AS outsider_requests;
SELECT pg_temp.as_user(:pia, 'SELECT count(*) FROM mentor.proxy_requests') AS proxy_requests_seen;

-- Milestones and support chats: their owner's alone, staff included.
SELECT pg_temp.as_user(:mae, $q$INSERT INTO mentor.milestone_logs (user_id, type, title, notes, date)
    VALUES (mentor.current_actor(), 'first_day_back', 'First day back at work', 'Went better than feared', '2027-06-01')
    RETURNING 'logged'$q$);
SELECT pg_temp.as_user(:mae, $q$INSERT INTO mentor.support_chats (user_id, message, is_from_user, sentiment)
    VALUES (mentor.current_actor(), 'I feel overwhelmed this week.', true, 'anxious'),
           (mentor.current_actor(), 'That is common in the first weeks back. What is weighing most?', false, NULL)
    RETURNING 'chatted'$q$);
SELECT pg_temp.as_user(:sam, 'SELECT count(*) FROM mentor.milestone_logs') AS staff_milestones,
       pg_temp.as_user(:sam, 'SELECT count(*) FROM mentor.support_chats') AS staff_chats,
       pg_temp.as_user(:mae, 'SELECT count(*) FROM mentor.support_chats') AS own_chats;
SELECT pg_temp.tryn(format($q$SELECT pg_temp.as_user(%s, 'INSERT INTO mentor.support_chats (user_id, message, is_from_user) VALUES (%s, ''hi'', true)')$q$, :otto, :mae));
SELECT pg_temp.tryn(format($q$SELECT pg_temp.as_user(%s, 'UPDATE mentor.support_chats SET message = ''changed''')$q$, :mae));

-- History: tickets and cover are recorded (their text private to administrators), thread
-- bodies and milestone contents are not, chats not at all.
SELECT table_name, count(*) FROM mentor.history
 WHERE table_name IN ('mentor.resources', 'mentor.resource_comments', 'mentor.support_tickets', 'mentor.ticket_messages',
                      'mentor.proxy_requests', 'mentor.milestone_logs', 'mentor.support_chats')
 GROUP BY 1 ORDER BY 1;
SELECT count(*) AS bodies_in_history FROM mentor.history
 WHERE table_name IN ('mentor.ticket_messages', 'mentor.milestone_logs')
   AND (new_row ? 'body' OR new_row ? 'notes' OR new_row ? 'title');
