\echo
\echo '--- 44. Lucas asks Kenji to connect; only Kenji can answer, and a request from each side is one connection'
SELECT id AS lucas FROM mentor.users WHERE username = 'lucas' \gset
SELECT id AS kenji FROM mentor.users WHERE username = 'kenji' \gset
SELECT id AS mia FROM mentor.users WHERE username = 'mia' \gset
BEGIN;
SET LOCAL ROLE mentor_app;
SELECT mentor.set_actor(:lucas) IS NOT NULL AS as_lucas;
SELECT mentor.request_connection(:kenji, 'Fellow Rust learner?') AS connection \gset
SELECT demo.try(format('SELECT mentor.respond_connection(%s, true)', :connection)) AS lucas_accepts_his_own;
SELECT mentor.set_actor(:kenji) IS NOT NULL AS as_kenji;
SELECT mentor.request_connection(:lucas) = :connection AS same_connection, mentor.respond_connection(:connection, true) AS kenji_answers;
COMMIT;

\echo
\echo '--- 45. A group conversation: Mia has unread messages; an outsider sees none of it, whatever the query'
BEGIN;
SET LOCAL ROLE mentor_app;
SELECT mentor.set_actor(:lucas) IS NOT NULL AS as_lucas;
SELECT mentor.start_group('Rust study group', ARRAY[:kenji, :mia]) AS grp \gset
SELECT mentor.send_message(:grp, 'Chapter 4 on Thursday?') IS NOT NULL AS sent, mentor.send_message(:grp, 'I will bring snacks') IS NOT NULL AS sent_again;
SELECT mentor.set_actor(:mia) IS NOT NULL AS as_mia;
SELECT unread FROM mentor.unread_counts() WHERE conversation_id = :grp;
SELECT mentor.mark_conversation_read(:grp) IS NOT NULL AS read;
SELECT count(*) AS conversations_with_unread FROM mentor.unread_counts();
SELECT mentor.set_actor(id) IS NOT NULL AS as_grace FROM mentor.users WHERE username = 'grace';
SELECT count(*) AS messages_grace_can_read FROM mentor.messages WHERE conversation_id = :grp;
SELECT demo.try(format($$SELECT mentor.send_message(%s, 'hi')$$, :grp)) AS grace_writes;
COMMIT;
