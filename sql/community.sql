-- Community: connections (one per pair, answered by the receiver), direct and
-- group conversations private to their members, read markers and unread
-- counts, and seed 004's directMessages as a view.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS mentor CASCADE;
RESET client_min_messages;
\set SHOW_CONTEXT never

\i sql/helpers/try.psql
\i sql/helpers/tryn.psql
INSERT INTO mentor.users (email, username, full_name) VALUES
    ('cm_ana@example.com', 'cm_ana', 'Ana'), ('cm_ben@example.com', 'cm_ben', 'Ben'),
    ('cm_cy@example.com', 'cm_cy', 'Cy'), ('cm_dee@example.com', 'cm_dee', 'Dee');
SELECT id AS ana FROM mentor.users WHERE username = 'cm_ana' \gset
SELECT id AS ben FROM mentor.users WHERE username = 'cm_ben' \gset
SELECT id AS cy FROM mentor.users WHERE username = 'cm_cy' \gset
SELECT id AS dee FROM mentor.users WHERE username = 'cm_dee' \gset
-- Each request runs as the application: mentor_app, with its acting user.
\i sql/helpers/as_user.psql

-- Connections: without an acting user, to oneself, to nobody: refused.
SELECT pg_temp.try(format('SELECT mentor.request_connection(%s)', :ben));
SELECT pg_temp.tryn(format('SELECT pg_temp.as_user(%s, $q$SELECT mentor.request_connection(%s)$q$)', :ana, :ana));
SELECT pg_temp.tryn(format('SELECT pg_temp.as_user(%s, $q$SELECT mentor.request_connection(-1)$q$)', :ana));
-- Ana asks Ben; asked again (by either), it is the same row.
SELECT pg_temp.as_user(:ana, format($q$SELECT mentor.request_connection(%s, 'Hi Ben')$q$, :ben)) AS c1 \gset
SELECT pg_temp.as_user(:ana, format('SELECT mentor.request_connection(%s)', :ben)) = :'c1' AS same_again,
       pg_temp.as_user(:ben, format('SELECT mentor.request_connection(%s)', :ana)) = :'c1' AS same_from_ben;
-- Only the receiver answers.
SELECT pg_temp.tryn(format('SELECT pg_temp.as_user(%s, $q$SELECT mentor.respond_connection(%s, true)$q$)', :ana, :'c1'));
SELECT pg_temp.tryn(format('SELECT pg_temp.as_user(%s, $q$SELECT mentor.respond_connection(%s, true)$q$)', :cy, :'c1'));
SELECT pg_temp.as_user(:ben, format('SELECT mentor.respond_connection(%s, true)', :'c1')) AS answered;
SELECT pg_temp.tryn(format('SELECT pg_temp.as_user(%s, $q$SELECT mentor.respond_connection(%s, false)$q$)', :ben, :'c1'));
SELECT mentor.is_connected(:ana, :ben) AS ana_ben, mentor.is_connected(:ben, :ana) AS ben_ana, mentor.is_connected(:ana, :cy) AS ana_cy;
-- A rejection: asking again waits community.connection_retry_after.
SELECT pg_temp.as_user(:cy, format('SELECT mentor.request_connection(%s)', :dee)) AS c2 \gset
SELECT pg_temp.as_user(:dee, format('SELECT mentor.respond_connection(%s, false)', :'c2')) AS answered;
SELECT regexp_replace(pg_temp.tryn(format('SELECT pg_temp.as_user(%s, $q$SELECT mentor.request_connection(%s)$q$)', :cy, :dee)), ' \(.*', '') AS too_soon;
INSERT INTO mentor.settings (key, value) VALUES ('community.connection_retry_after', '"0 seconds"');
SELECT pg_temp.as_user(:cy, format('SELECT mentor.request_connection(%s)', :dee)) <> :'c2' AS asked_again;
DELETE FROM mentor.settings WHERE key = 'community.connection_retry_after' AND NOT shipped;
SELECT u.username AS requester, r.username AS receiver, c.status, c.responded_at IS NOT NULL AS responded
  FROM mentor.connections c JOIN mentor.users u ON u.id = c.requester_id JOIN mentor.users r ON r.id = c.receiver_id ORDER BY c.id;
-- Each user sees their own connections only.
SELECT pg_temp.as_user(:ana, 'SELECT count(*) FROM mentor.connections') AS ana_sees,
       pg_temp.as_user(:dee, 'SELECT count(*) FROM mentor.connections') AS dee_sees;
-- A status moves only as the lifecycle allows, and never by the application's UPDATE.
SELECT pg_temp.tryn(format($$UPDATE mentor.connections SET status = 'pending' WHERE id = %s$$, :'c1'));
SELECT pg_temp.try(format($$SELECT pg_temp.as_user(%s, 'UPDATE mentor.connections SET status = ''accepted''')$$, :dee)) ~ '^42501' AS app_update_refused;

-- Direct conversations: one per pair, whoever starts it.
SELECT pg_temp.as_user(:ana, format('SELECT mentor.start_direct(%s)', :ben)) AS d \gset
SELECT pg_temp.as_user(:ben, format('SELECT mentor.start_direct(%s)', :ana)) = :'d' AS same_conversation;
SELECT pg_temp.tryn(format('SELECT pg_temp.as_user(%s, $q$SELECT mentor.start_direct(%s)$q$)', :ana, :ana));
-- A platform may require a connection for direct messages.
INSERT INTO mentor.settings (key, value) VALUES ('community.direct_requires_connection', 'true');
SELECT regexp_replace(pg_temp.tryn(format('SELECT pg_temp.as_user(%s, $q$SELECT mentor.start_direct(%s)$q$)', :ana, :cy)), ' \(.*', '') AS not_connected;
SELECT pg_temp.as_user(:ben, format('SELECT mentor.start_direct(%s)', :ana)) = :'d' AS connected_pair_still_works;
DELETE FROM mentor.settings WHERE key = 'community.direct_requires_connection' AND NOT shipped;

-- Messages: members only; the body trimmed, 1 to 10,000 characters.
SELECT pg_temp.as_user(:ana, format($q$SELECT mentor.send_message(%s, '  Hello Ben  ')$q$, :'d')) AS m1 \gset
SELECT pg_temp.as_user(:ana, format($q$SELECT mentor.send_message(%s, 'Are you free on Monday?')$q$, :'d')) AS m2 \gset
SELECT pg_temp.tryn(format('SELECT pg_temp.as_user(%s, $q$SELECT mentor.send_message(%s, $b$hi$b$)$q$)', :cy, :'d'));
SELECT pg_temp.tryn(format('SELECT pg_temp.as_user(%s, $q$SELECT mentor.send_message(%s, $b$   $b$)$q$)', :ana, :'d'));
SELECT pg_temp.tryn(format('SELECT pg_temp.as_user(%s, $q$SELECT mentor.send_message(%s, repeat($b$x$b$, 10001))$q$)', :ana, :'d'));
SELECT body FROM mentor.messages WHERE id = :m1;
-- Unread counts, read markers; the sender's own messages never count.
SELECT pg_temp.as_user(:ben, 'SELECT string_agg(unread::text, $$,$$) FROM mentor.unread_counts()') AS ben_unread,
       pg_temp.as_user(:ana, 'SELECT count(*) FROM mentor.unread_counts()') AS ana_unread;
SELECT pg_temp.as_user(:ben, format('SELECT mentor.mark_conversation_read(%s)', :'d')) = :'m2' AS read_up_to_last;
SELECT pg_temp.as_user(:ben, 'SELECT count(*) FROM mentor.unread_counts()') AS ben_unread_now;
-- Only members read a conversation, its members and messages, also through the view.
SELECT pg_temp.as_user(:cy, 'SELECT count(*) FROM mentor.messages') AS cy_messages,
       pg_temp.as_user(:cy, 'SELECT count(*) FROM mentor.conversations') AS cy_conversations,
       pg_temp.as_user(:cy, 'SELECT count(*) FROM mentor.conversation_members') AS cy_members,
       pg_temp.as_user(:cy, 'SELECT count(*) FROM mentor.direct_messages') AS cy_direct;
SELECT pg_temp.as_user(:ben, $q$SELECT string_agg(format('%s->%s %s read=%s', s.username, r.username, d.content, d.is_read), '; ' ORDER BY d.id)
                                  FROM mentor.direct_messages d JOIN mentor.users s ON s.id = d.sender_id JOIN mentor.users r ON r.id = d.receiver_id$q$) AS ben_sees;
SELECT pg_temp.try(format($$SELECT pg_temp.as_user(%s, 'INSERT INTO mentor.messages (conversation_id, sender_id, body) VALUES (%s, %s, ''x'')')$$, :ana, :'d', :ana)) ~ '^42501' AS app_insert_refused;
-- Editing is the sender's.
SELECT pg_temp.tryn(format('SELECT pg_temp.as_user(%s, $q$SELECT mentor.edit_message(%s, $b$changed$b$)$q$)', :ben, :'m1'));
SELECT pg_temp.as_user(:ana, format($q$SELECT mentor.edit_message(%s, 'Hello Ben!') IS NOT NULL$q$, :'m1')) AS edited;

-- Groups; each new message tells the members who had read everything, once per unread streak.
SELECT pg_temp.as_user(:cy, format('SELECT mentor.start_group(%L, ARRAY[%s, %s])', 'Study group', :ana, :dee)) AS g \gset
SELECT pg_temp.as_user(:cy, 'SELECT count(*) FROM mentor.conversation_members') AS cy_sees_members;
DELETE FROM mentor.notifications;
SELECT pg_temp.as_user(:cy, format($q$SELECT mentor.send_message(%s, 'first')$q$, :'g')) IS NOT NULL AS sent;
SELECT pg_temp.as_user(:cy, format($q$SELECT mentor.send_message(%s, 'second')$q$, :'g')) IS NOT NULL AS sent;
SELECT pg_temp.as_user(:ana, format('SELECT mentor.mark_conversation_read(%s)', :'g')) IS NOT NULL AS ana_read;
SELECT pg_temp.as_user(:cy, format($q$SELECT mentor.send_message(%s, 'third')$q$, :'g')) IS NOT NULL AS sent;
SELECT u.username, count(*) AS in_app_notifications FROM mentor.notifications n JOIN mentor.users u ON u.id = n.user_id
 WHERE n.type_code = 'message.received' AND n.channel_code = 'in_app' GROUP BY 1 ORDER BY 1;
SELECT count(*) AS bodies_in_notifications FROM mentor.notifications WHERE payload::text ~ '(first|second|third)';
SELECT count(*) AS bodies_in_history FROM mentor.history WHERE table_name = 'mentor.messages' AND new_row::text ~ '(Hello|first|second)';
SELECT pg_temp.tryn(format('SELECT pg_temp.as_user(%s, $q$SELECT mentor.start_group($t$x$t$, ARRAY[-7])$q$)', :cy));

-- Support groups: member_count follows the memberships; a full group refuses the next join.
SELECT pg_temp.as_user(:ana, $q$INSERT INTO mentor.support_groups (name, capacity, created_by) VALUES ('New parents', 2, mentor.current_actor()) RETURNING id$q$) AS sg \gset
SELECT pg_temp.as_user(:ben, format('INSERT INTO mentor.group_memberships (group_id, user_id) VALUES (%s, %s) RETURNING 1', :'sg', :ben)) AS ben_joined,
       pg_temp.as_user(:cy, format('INSERT INTO mentor.group_memberships (group_id, user_id) VALUES (%s, %s) RETURNING 1', :'sg', :cy)) AS cy_joined;
SELECT regexp_replace(pg_temp.tryn(format('SELECT pg_temp.as_user(%s, $q$INSERT INTO mentor.group_memberships (group_id, user_id) VALUES (%s, %s) RETURNING 1$q$)', :dee, :'sg', :dee)), ' \(.*', '') AS dee_joins_full;
SELECT member_count, last_active IS NOT NULL AS active FROM mentor.support_groups WHERE id = :sg;
SELECT pg_temp.try(format($$SELECT pg_temp.as_user(%s, 'UPDATE mentor.support_groups SET member_count = 0 WHERE id = %s RETURNING 1')$$, :ana, :'sg')) ~ '^42501' AS count_is_kept;
SELECT pg_temp.as_user(:ben, format('DELETE FROM mentor.group_memberships WHERE group_id = %s RETURNING 1', :'sg')) AS ben_left;
SELECT pg_temp.try(format($$SELECT pg_temp.as_user(%s, 'INSERT INTO mentor.group_memberships (group_id, user_id) VALUES (%s, %s) RETURNING 1')$$, :dee, :'sg', :ben)) ~ '^42501' AS joining_for_another_refused;
SELECT pg_temp.as_user(:dee, format('INSERT INTO mentor.group_memberships (group_id, user_id) VALUES (%s, %s) RETURNING 1', :'sg', :dee)) AS dee_joined;
SELECT member_count FROM mentor.support_groups WHERE id = :sg;
SELECT pg_temp.as_user(:ben, format('SELECT count(*) FROM mentor.group_memberships WHERE group_id = %s', :'sg')) AS members_visible_to_all;
