\echo
\echo '--- 51. Coding practice: problems are found by full text, tags included'
SELECT slug, title, difficulty FROM mentor.problems WHERE search @@ websearch_to_tsquery('english', 'dynamic programming') ORDER BY slug;

\echo
\echo '--- 52. Kenji, Lucas and Mia submit; two judges drain the queue (SKIP LOCKED: each submission to one judge)'
BEGIN;
SET LOCAL ROLE mentor_app;
SELECT mentor.set_actor(id) IS NOT NULL AS as_lucas FROM mentor.users WHERE username = 'lucas';
INSERT INTO mentor.submissions (problem_id, user_id, language_code, code, time_spent)
SELECT p.id, mentor.current_actor(), 'python', 'def two_sum(a, t): return [0, 0]', '12 minutes' FROM mentor.problems p WHERE p.slug = 'two-sum';
INSERT INTO mentor.submissions (problem_id, user_id, language_code, code, time_spent)
SELECT p.id, mentor.current_actor(), 'python', 'def two_sum(a, t): seen = {} ...', '8 minutes' FROM mentor.problems p WHERE p.slug = 'two-sum';
SELECT mentor.set_actor(id) IS NOT NULL AS as_kenji FROM mentor.users WHERE username = 'kenji';
INSERT INTO mentor.submissions (problem_id, user_id, language_code, code, time_spent)
SELECT p.id, mentor.current_actor(), 'rust', 'fn coin_change(c: Vec<i32>, a: i32) -> i32 { ... }', '25 minutes' FROM mentor.problems p WHERE p.slug = 'coin-change';
SELECT mentor.set_actor(id) IS NOT NULL AS as_mia FROM mentor.users WHERE username = 'mia';
INSERT INTO mentor.submissions (problem_id, user_id, language_code, code, time_spent)
SELECT p.id, mentor.current_actor(), 'cpp', 'int main( {', '3 minutes' FROM mentor.problems p WHERE p.slug = 'jump-game';
COMMIT;
SELECT id, status, lease_owner FROM mentor.claim_submissions('judge-a', 2, interval '1 minute');
SELECT id, status, lease_owner FROM mentor.claim_submissions('judge-b', 10, interval '1 minute');
\echo 'Each judge reports what it holds: running, then the verdict. Lucas''s first try is a wrong answer, his second is accepted:'
SELECT s.id, u.username, r.status, r.verdict, r.score
  FROM mentor.submissions s JOIN mentor.users u ON u.id = s.user_id
 CROSS JOIN LATERAL (SELECT mentor.report_submission(s.id, s.lease_owner, 'running')) run
 CROSS JOIN LATERAL mentor.report_submission(s.id, s.lease_owner,
        CASE WHEN s.language_code = 'cpp' THEN 'failed' ELSE 'completed' END::mentor.submission_status,
        CASE WHEN s.language_code = 'cpp' THEN 'compile_error' WHEN s.code LIKE '%[0, 0]%' THEN 'wrong_answer' ELSE 'accepted' END::mentor.submission_verdict,
        'judged', CASE WHEN s.language_code = 'cpp' THEN NULL WHEN s.code LIKE '%[0, 0]%' THEN 20 ELSE 100 END, 35, 9800) r
 WHERE s.status = 'compiling' ORDER BY s.id;
\echo 'A judge that reports for a submission it does not hold, and the same verdict reported twice:'
SELECT min(id) AS first FROM mentor.submissions \gset
SELECT demo.try(format($$SELECT mentor.report_submission(%s, 'judge-c', 'completed', 'accepted')$$, :first)) AS judge_c;
SELECT status, verdict, judged_by FROM mentor.report_submission(:first, (SELECT judged_by FROM mentor.submissions WHERE id = :first),
       'completed', 'wrong_answer', 'judged', 20) AS again;

\echo
\echo '--- 53. The stats moved with each verdict (kept by trigger), and so did the leaderboard'
SELECT u.username, s.problems_solved, s.score, s.attempts, s.acceptance_rate, s.average_score, s.time_spent
  FROM mentor.user_stats s JOIN mentor.users u ON u.id = s.user_id ORDER BY s.problems_solved DESC, s.score DESC, u.username;
SELECT rank, username, problems_solved, score FROM mentor.leaderboard LIMIT 5;
SELECT mentor.user_rank(id) AS mias_rank FROM mentor.users WHERE username = 'mia';

\echo
\echo '--- 54. A forum thread: Lucas asks, Kenji answers; the post counts its comments; an admin hides spam'
BEGIN;
SET LOCAL ROLE mentor_app;
SELECT mentor.set_actor(id) IS NOT NULL AS as_lucas FROM mentor.users WHERE username = 'lucas';
INSERT INTO mentor.forum_posts (author_id, title, content)
VALUES (mentor.current_actor(), 'Two Sum: why is my first try wrong?', 'I returned [0, 0] for every input...') RETURNING id AS post \gset
SELECT mentor.set_actor(id) IS NOT NULL AS as_kenji FROM mentor.users WHERE username = 'kenji';
INSERT INTO mentor.forum_comments (post_id, author_id, content) VALUES (:post, mentor.current_actor(), 'Keep a map of value -> index as you go.');
WITH u AS (UPDATE mentor.forum_posts SET title = 'Kenji was here' WHERE id = :post RETURNING 1)
SELECT count(*) AS posts_kenji_could_change FROM u;
SELECT title FROM mentor.forum_posts WHERE id = :post;
SELECT mentor.set_actor(id) IS NOT NULL AS as_amara FROM mentor.users WHERE username = 'amara';
INSERT INTO mentor.forum_comments (post_id, author_id, content) VALUES (:post, mentor.current_actor(), 'Cheap essays at example.biz') RETURNING id AS spam \gset
SELECT comment_count FROM mentor.forum_posts WHERE id = :post;
SELECT mentor.set_actor(id) IS NOT NULL AS as_adam FROM mentor.users WHERE username = 'adam';
SELECT (mentor.hide_forum_comment(:spam)).hidden AS spam_hidden;
SELECT comment_count AS visible_comments FROM mentor.forum_posts WHERE id = :post;
COMMIT;
SELECT type, title FROM mentor.news_items ORDER BY id;
