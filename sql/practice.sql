-- Coding practice: problems and tags with full-text search, the judge queue
-- (claims, leases, reports, exactly-once verdicts), stats and ranks kept by
-- trigger, mock interviews, pair programming, the forum and the news feed.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS mentor CASCADE;
RESET client_min_messages;
\set SHOW_CONTEXT never

\i sql/helpers/try.psql
\i sql/helpers/tryn.psql
INSERT INTO mentor.users (email, username, full_name, role) VALUES
    ('pr_ada@example.com', 'pr_ada', 'Ada', 'user'), ('pr_bo@example.com', 'pr_bo', 'Bo', 'user'),
    ('pr_cy@example.com', 'pr_cy', 'Cy', 'user'), ('pr_di@example.com', 'pr_di', 'Di', 'user'),
    ('pr_mod@example.com', 'pr_mod', 'Mod', 'admin');
SELECT id AS ada FROM mentor.users WHERE username = 'pr_ada' \gset
SELECT id AS bo FROM mentor.users WHERE username = 'pr_bo' \gset
SELECT id AS cy FROM mentor.users WHERE username = 'pr_cy' \gset
SELECT id AS di FROM mentor.users WHERE username = 'pr_di' \gset
SELECT id AS moder FROM mentor.users WHERE username = 'pr_mod' \gset
-- Requests of the application: mentor_app, with its acting user.
\i sql/helpers/as_user.psql

-- Problems and tags: unique slugs and tag names (the error names the value), searchable by
-- title, description and tags.
INSERT INTO mentor.tags (name) VALUES ('Dynamic Programming'), ('Greedy'), ('Graphs');
INSERT INTO mentor.tags (name) VALUES ('greedy');
INSERT INTO mentor.problems (slug, title, description, difficulty, leetcode_id, published, creator_id) VALUES
    ('two-sum', 'Two Sum', 'Return the indices of two numbers that add up to the target.', 'easy', 1, true, :moder),
    ('coin-change', 'Coin Change', 'The fewest coins that make up an amount.', 'medium', 322, true, :moder),
    ('word-ladder', 'Word Ladder', 'Shortest transformation sequence between two words.', 'hard', 127, true, :moder),
    ('jump-game', 'Jump Game', 'Can you reach the last index?', 'medium', 55, true, :moder);
INSERT INTO mentor.problems (slug, title, difficulty) VALUES ('two-sum', 'Again', 'easy');
INSERT INTO mentor.problems (slug, title, difficulty, leetcode_id) VALUES ('two-sum-2', 'Again', 'easy', 1);
SELECT pg_temp.try($$INSERT INTO mentor.problems (slug, title, difficulty) VALUES ('empty', '  ', 'easy')$$);
SELECT pg_temp.try($$INSERT INTO mentor.problems (slug, title, difficulty) VALUES ('Not A Slug', 'Bad slug', 'easy')$$);
INSERT INTO mentor.problem_tags (problem_id, tag_id)
SELECT p.id, t.id FROM mentor.problems p, mentor.tags t
 WHERE (p.slug, t.name) IN (('coin-change', 'dynamic programming'), ('jump-game', 'greedy'), ('jump-game', 'dynamic programming'),
                            ('word-ladder', 'graphs'));
INSERT INTO mentor.problem_tags (problem_id, tag_id)
SELECT p.id, t.id FROM mentor.problems p, mentor.tags t WHERE p.slug = 'jump-game' AND t.name = 'greedy';
SELECT slug FROM mentor.problems WHERE search @@ websearch_to_tsquery('english', 'dynamic programming') ORDER BY slug;
SELECT slug FROM mentor.problems WHERE search @@ websearch_to_tsquery('english', 'coins') ORDER BY slug;
-- A renamed tag is found under its new name.
UPDATE mentor.tags SET name = 'Breadth-First Search' WHERE name = 'graphs';
SELECT slug FROM mentor.problems WHERE search @@ websearch_to_tsquery('english', 'breadth') ORDER BY slug;
SET enable_seqscan = off;   -- four rows: show the index a real catalogue uses
EXPLAIN (COSTS OFF) SELECT slug FROM mentor.problems WHERE search @@ websearch_to_tsquery('english', 'coins');
RESET enable_seqscan;
SELECT id AS two_sum FROM mentor.problems WHERE slug = 'two-sum' \gset
SELECT id AS coin FROM mentor.problems WHERE slug = 'coin-change' \gset
SELECT id AS ladder FROM mentor.problems WHERE slug = 'word-ladder' \gset
SELECT id AS jump FROM mentor.problems WHERE slug = 'jump-game' \gset
-- The application reads problems but does not write them; staff do.
SELECT pg_temp.try(format($$SELECT pg_temp.as_user(%s, 'UPDATE mentor.problems SET title = ''Mine'' RETURNING 1')$$, :ada));

-- Submissions: inserted by their user (as mentor_app), pending and without a result.
SELECT pg_temp.as_user(:ada, format($$INSERT INTO mentor.submissions (problem_id, user_id, language_code, code, time_spent)
    VALUES (%s, %s, 'python', 'def two_sum(a, t): return []', '10 minutes') RETURNING id$$, :two_sum, :ada)) AS s1 \gset
SELECT pg_temp.try(format($$SELECT pg_temp.as_user(%s, 'INSERT INTO mentor.submissions (problem_id, user_id, language_code, code)
    VALUES (%s, %s, ''python'', ''x'') RETURNING 1')$$, :ada, :two_sum, :bo));
SELECT pg_temp.try(format($$SELECT pg_temp.as_user(%s, 'INSERT INTO mentor.submissions (problem_id, user_id, language_code, code, verdict)
    VALUES (%s, %s, ''python'', ''x'', ''accepted'') RETURNING 1')$$, :ada, :two_sum, :ada));
SELECT pg_temp.try(format($$INSERT INTO mentor.submissions (problem_id, user_id, language_code, code, result)
    VALUES (%s, %s, 'python', 'x', 'output before judging')$$, :two_sum, :ada));
SELECT pg_temp.try(format($$INSERT INTO mentor.submissions (problem_id, user_id, language_code, code)
    VALUES (%s, %s, 'python', repeat('x', 1048577))$$, :two_sum, :ada));
SELECT pg_temp.try(format($$INSERT INTO mentor.submissions (problem_id, user_id, language_code, code)
    VALUES (%s, %s, 'cobol', 'x')$$, :two_sum, :ada));
-- Each user sees their own submissions; staff see all.
SELECT pg_temp.as_user(:bo, 'SELECT count(*) FROM mentor.submissions') AS bo_sees,
       pg_temp.as_user(:ada, 'SELECT count(*) FROM mentor.submissions') AS ada_sees,
       pg_temp.as_user(:moder, 'SELECT count(*) FROM mentor.submissions') AS staff_sees;

-- The judge queue: bad claims, then a claim that moves the oldest pending to compiling.
SELECT pg_temp.try($$SELECT * FROM mentor.claim_submissions('judge-1', 0, interval '1 minute')$$);
SELECT pg_temp.try($$SELECT * FROM mentor.claim_submissions('judge-1', 1, interval '-1 minute')$$);
SELECT pg_temp.try($$SELECT * FROM mentor.claim_submissions('', 1, interval '1 minute')$$);
SELECT pg_temp.try($$SELECT * FROM mentor.claim_submissions('judge-1', 1, interval '1 minute', 'cobol')$$);
-- A verdict for a pending submission: MN001, the lifecycle's order.
SELECT pg_temp.tryn(format($$SELECT mentor.report_submission(%s, 'judge-1', 'completed', 'accepted')$$, :s1));
SELECT id = :s1 AS oldest, status, lease_owner, attempts FROM mentor.claim_submissions('judge-1', 5, interval '1 minute');
-- Only the lease holder reports (MN005); a report must fit its status (22023).
SELECT pg_temp.tryn(format($$SELECT mentor.report_submission(%s, 'judge-2', 'running')$$, :s1));
SELECT pg_temp.try(format($$SELECT mentor.report_submission(%s, 'judge-1', 'running', 'accepted')$$, :s1));
SELECT pg_temp.try(format($$SELECT mentor.report_submission(%s, 'judge-1', 'completed')$$, :s1));
SELECT pg_temp.try(format($$SELECT mentor.report_submission(%s, 'judge-1', 'completed', 'compile_error')$$, :s1));
SELECT pg_temp.try(format($$SELECT mentor.report_submission(%s, 'judge-1', 'pending')$$, :s1));
SELECT pg_temp.try(format($$SELECT mentor.report_submission(%s, 'judge-1', 'failed', 'accepted')$$, :s1));
-- running must come first (compiling -> completed is not a transition).
SELECT pg_temp.tryn(format($$SELECT mentor.report_submission(%s, 'judge-1', 'completed', 'wrong_answer')$$, :s1));
SELECT status FROM mentor.report_submission(:s1, 'judge-1', 'running');
SELECT status FROM mentor.report_submission(:s1, 'judge-1', 'running');   -- progress again: unchanged
SELECT status, verdict, score, execution_ms, judged_by, lease_owner
  FROM mentor.report_submission(:s1, 'judge-1', 'completed', 'wrong_answer', '[]', 40, 12, 2048);
-- Exactly once: the same report again changes nothing; a different one, or from another worker, is refused.
SELECT status, verdict, score, judged_at = (SELECT judged_at FROM mentor.submissions WHERE id = :s1) AS same_row
  FROM mentor.report_submission(:s1, 'judge-1', 'completed', 'wrong_answer', '[]', 40, 12, 2048);
SELECT pg_temp.tryn(format($$SELECT mentor.report_submission(%s, 'judge-1', 'completed', 'accepted', '[0,1]', 100)$$, :s1));
SELECT pg_temp.tryn(format($$SELECT mentor.report_submission(%s, 'judge-2', 'completed', 'accepted', '[0,1]', 100)$$, :s1));
SELECT pg_temp.tryn('SELECT mentor.report_submission(-1, ''judge-1'', ''running'')');
SELECT problems_solved, attempts, accepted, acceptance_rate, average_score, time_spent
  FROM mentor.user_stats WHERE user_id = :ada;

-- A lease that runs out: the report is MN008, the submission goes back to the queue at the
-- next claim and another judge takes it; after the last attempt it fails with the reason.
INSERT INTO mentor.settings (key, value) VALUES ('practice.judge_max_attempts', '2');
INSERT INTO mentor.submissions (problem_id, user_id, language_code, code) VALUES (:coin, :bo, 'rust', 'fn main() {}')
RETURNING id AS s2 \gset
SELECT id = :s2 AS got_it, attempts FROM mentor.claim_submissions('judge-1', 1, interval '100 milliseconds', 'rust');
SELECT pg_sleep(0.2);
SELECT pg_temp.tryn(format($$SELECT mentor.report_submission(%s, 'judge-1', 'running')$$, :s2));
SELECT id = :s2 AS taken_again, status, lease_owner, attempts, last_error
  FROM mentor.claim_submissions('judge-2', 1, interval '100 milliseconds', 'rust');
SELECT status FROM mentor.report_submission(:s2, 'judge-2', 'running');
SELECT pg_sleep(0.2);
-- The running lease ran out on the last attempt: failed, with why, and no verdict counted.
SELECT count(*) AS claimed FROM mentor.claim_submissions('judge-3', 1, interval '1 minute', 'rust');
SELECT status, verdict, attempts, last_error FROM mentor.submissions WHERE id = :s2;
SELECT count(*) AS bo_stats FROM mentor.user_stats WHERE user_id = :bo;
DELETE FROM mentor.settings WHERE key = 'practice.judge_max_attempts' AND NOT shipped;
-- Code that does not compile fails with its verdict and counts as an attempt.
INSERT INTO mentor.submissions (problem_id, user_id, language_code, code) VALUES (:coin, :bo, 'cpp', 'int main( {')
RETURNING id AS s3 \gset
SELECT count(*) FROM mentor.claim_submissions('judge-1', 1, interval '1 minute', 'cpp');
SELECT status, verdict, result FROM mentor.report_submission(:s3, 'judge-1', 'failed', 'compile_error', 'expected '')''');
SELECT problems_solved, attempts, accepted FROM mentor.user_stats WHERE user_id = :bo;

-- Stats and ranks.  judge(user, problem, verdict, score): submit, claim, run and report.
CREATE FUNCTION pg_temp.judge(u bigint, p bigint, v mentor.submission_verdict, score numeric) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    sid bigint;
BEGIN
    INSERT INTO mentor.submissions (problem_id, user_id, language_code, code, time_spent)
    VALUES (p, u, 'sql', 'SELECT 1', '5 minutes') RETURNING id INTO sid;
    PERFORM mentor.claim_submissions('judge-s', 1, interval '1 minute', 'sql');
    PERFORM mentor.report_submission(sid, 'judge-s', 'running');
    RETURN (mentor.report_submission(sid, 'judge-s', 'completed', v, NULL, score, 5, 100)).verdict;
END $$;
SELECT pg_temp.judge(:ada, :two_sum, 'accepted', 100);
-- A second accepted submission of the same problem: solved still counts it once.
SELECT pg_temp.judge(:ada, :two_sum, 'accepted', 80);
SELECT problems_solved, easy_solved, score, attempts, accepted, acceptance_rate, average_score, time_spent
  FROM mentor.user_stats WHERE user_id = :ada;
SELECT pg_temp.judge(:ada, :ladder, 'accepted', 100);        -- Ada: 2 solved, 4 points
SELECT pg_temp.judge(:bo, :coin, 'accepted', 100);           -- Bo: 1 solved, 2 points
SELECT pg_temp.judge(:cy, :jump, 'time_limit', 0);
SELECT pg_temp.judge(:cy, :jump, 'accepted', 90);            -- Cy: 1 solved, 2 points
SELECT pg_temp.judge(:di, :two_sum, 'accepted', 100);        -- Di: 1 solved, 1 point
-- Ties share a rank and the next one skips: 1, 2, 2, 4; a user who solved nothing ranks last.
SELECT u.username, mentor.user_rank(u.id) FROM mentor.users u WHERE u.username LIKE 'pr\_%' ORDER BY 2, 1;
SELECT rank, username, problems_solved, score, easy_solved, medium_solved, hard_solved
  FROM mentor.leaderboard WHERE username LIKE 'pr\_%';
SELECT pg_temp.tryn('SELECT mentor.user_rank(-1)');
-- The application writes a study plan, and nothing else of the stats.
SELECT pg_temp.as_user(:di, format($$UPDATE mentor.user_stats SET study_plan = '{"next": ["coin-change"]}' WHERE user_id = %s RETURNING study_plan::text$$, :di));
SELECT pg_temp.try(format($$SELECT pg_temp.as_user(%s, 'UPDATE mentor.user_stats SET problems_solved = 99 WHERE user_id = %s RETURNING 1')$$, :di, :di));
-- The daily snapshot (the seed's many UserStats rows per user), again on the same day: replaced.
SELECT mentor.snapshot_user_stats(date '2026-06-01') > 0 AS snapshot_taken;
SELECT mentor.snapshot_user_stats(date '2026-06-01') = (SELECT count(*) FROM mentor.user_stats) AS replaced;
SELECT u.username, d.problems_solved, d.score, d.rank FROM mentor.user_stats_daily d JOIN mentor.users u ON u.id = d.user_id
 WHERE d.day = '2026-06-01' AND u.username LIKE 'pr\_%' ORDER BY d.rank, u.username;
-- A user deleted leaves the ranks: the next one moves up.
DELETE FROM mentor.users WHERE id = :ada;
SELECT mentor.user_rank(:bo) AS bo_rank_now, (SELECT sum(users) FROM mentor.user_rank_counts) >= 3 AS buckets_kept;

-- Mock interviews: ordered questions; one interview at a time per user.
SELECT pg_temp.as_user(:bo, $$INSERT INTO mentor.interview_sessions (user_id, interview_type, start_at)
    VALUES (mentor.current_actor(), 'technical', '2026-06-01 10:00Z') RETURNING id$$) AS iv \gset
SELECT pg_temp.as_user(:bo, format($$INSERT INTO mentor.interview_questions (session_id, position, question, answer)
    VALUES (%s, 1, 'Reverse a linked list.', 'Iterate with three pointers'), (%s, 2, 'Explain a hash map.', NULL) RETURNING 2$$, :iv, :iv));
SELECT pg_temp.try(format($$SELECT pg_temp.as_user(%s, 'INSERT INTO mentor.interview_questions (session_id, position, question) VALUES (%s, 2, ''Again'') RETURNING 1')$$, :bo, :iv));
SELECT pg_temp.try(format($$SELECT pg_temp.as_user(%s, 'INSERT INTO mentor.interview_sessions (user_id, interview_type, start_at)
    VALUES (%s, ''coding'', ''2026-06-01 11:00Z'') RETURNING 1')$$, :bo, :bo));
SELECT pg_temp.as_user(:bo, format($$UPDATE mentor.interview_sessions SET status = 'in_progress' WHERE id = %s RETURNING status$$, :iv));
SELECT pg_temp.try(format($$SELECT pg_temp.as_user(%s, 'UPDATE mentor.interview_sessions SET status = ''pending'' WHERE id = %s RETURNING 1')$$, :bo, :iv));
SELECT pg_temp.as_user(:bo, format($$UPDATE mentor.interview_sessions SET status = 'completed', end_at = '2026-06-01 10:45Z',
    feedback = 'Clear reasoning' WHERE id = %s RETURNING status$$, :iv));
-- Once it has ended, the next one may start; others never see Bo's interviews.
SELECT pg_temp.as_user(:bo, $$INSERT INTO mentor.interview_sessions (user_id, interview_type, start_at)
    VALUES (mentor.current_actor(), 'behavioral', '2026-06-01 11:00Z') RETURNING 'started'$$);
SELECT pg_temp.as_user(:cy, 'SELECT count(*) FROM mentor.interview_sessions') AS cy_sees_sessions,
       pg_temp.as_user(:cy, 'SELECT count(*) FROM mentor.interview_questions') AS cy_sees_questions,
       pg_temp.as_user(:bo, 'SELECT string_agg(question, '' | '' ORDER BY position) FROM mentor.interview_questions') AS bo_sees;

-- Pair programming: the host is in automatically; the host adds people up to the maximum
-- (MN004 beyond it); only participants read and write the code.
SELECT pg_temp.as_user(:bo, $$INSERT INTO mentor.collaboration_sessions (host_id, title, language_code, max_participants)
    VALUES (mentor.current_actor(), 'Graphs practice', 'python', 2) RETURNING id$$) AS cs \gset
SELECT pg_temp.as_user(:bo, format('SELECT participant_count FROM mentor.collaboration_sessions WHERE id = %s', :cs)) AS with_host;
SELECT pg_temp.try(format($$SELECT pg_temp.as_user(%s, 'INSERT INTO mentor.collaboration_participants (session_id, user_id) VALUES (%s, %s) RETURNING 1')$$, :cy, :cs, :cy));
SELECT pg_temp.as_user(:bo, format('INSERT INTO mentor.collaboration_participants (session_id, user_id) VALUES (%s, %s) RETURNING user_id = %s', :cs, :cy, :cy));
SELECT pg_temp.tryn(format($$SELECT pg_temp.as_user(%s, 'INSERT INTO mentor.collaboration_participants (session_id, user_id) VALUES (%s, %s) RETURNING 1')$$, :bo, :cs, :di));
SELECT pg_temp.as_user(:cy, format($$UPDATE mentor.collaboration_sessions SET code = 'def bfs(g): ...', status = 'active',
    start_at = now() WHERE id = %s RETURNING status$$, :cs));
SELECT pg_temp.as_user(:di, 'SELECT count(*) FROM mentor.collaboration_sessions') AS di_sees,
       pg_temp.as_user(:di, format($$UPDATE mentor.collaboration_sessions SET code = 'stolen' WHERE id = %s RETURNING 1$$, :cs)) AS di_writes,
       pg_temp.as_user(:cy, format('SELECT code FROM mentor.collaboration_sessions WHERE id = %s', :cs)) AS cy_reads;
SELECT pg_temp.try(format($$SELECT pg_temp.as_user(%s, 'UPDATE mentor.collaboration_sessions SET participant_count = 1 WHERE id = %s RETURNING 1')$$, :bo, :cs));
SELECT pg_temp.tryn(format($$SELECT pg_temp.as_user(%s, 'DELETE FROM mentor.collaboration_participants WHERE session_id = %s AND user_id = %s RETURNING 1')$$, :bo, :cs, :bo));
SELECT pg_temp.as_user(:cy, format('DELETE FROM mentor.collaboration_participants WHERE session_id = %s AND user_id = %s RETURNING 1', :cs, :cy)) AS cy_left,
       pg_temp.as_user(:bo, format('SELECT participant_count FROM mentor.collaboration_sessions WHERE id = %s', :cs)) AS count_now;
SELECT pg_temp.as_user(:bo, format('DELETE FROM mentor.collaboration_sessions WHERE id = %s RETURNING 1', :cs)) AS host_deletes;

-- Forum: an author edits only their own; comments count; staff hide.
SELECT pg_temp.as_user(:bo, $$INSERT INTO mentor.forum_posts (author_id, title, content)
    VALUES (mentor.current_actor(), 'Dijkstra with a heap', 'Why is my priority queue solution slow on dense graphs?') RETURNING id$$) AS post \gset
SELECT pg_temp.try(format($$SELECT pg_temp.as_user(%s, 'INSERT INTO mentor.forum_posts (author_id, title, content) VALUES (%s, '''', ''x'') RETURNING 1')$$, :bo, :bo));
SELECT pg_temp.as_user(:cy, format($$UPDATE mentor.forum_posts SET title = 'Hijacked' WHERE id = %s RETURNING 1$$, :post)) AS cy_edits,
       pg_temp.as_user(:bo, format($$UPDATE mentor.forum_posts SET content = content || ' (edited)' WHERE id = %s RETURNING 'edited'$$, :post)) AS bo_edits;
SELECT pg_temp.as_user(:cy, format($$INSERT INTO mentor.forum_comments (post_id, author_id, content)
    VALUES (%s, mentor.current_actor(), 'Use a Fibonacci heap, or just an array for dense graphs.') RETURNING id$$, :post)) AS c1 \gset
SELECT pg_temp.as_user(:di, format($$INSERT INTO mentor.forum_comments (post_id, author_id, content)
    VALUES (%s, mentor.current_actor(), 'Buy my course!') RETURNING id$$, :post)) AS c2 \gset
SELECT comment_count, last_activity_at >= created_at AS activity_moved FROM mentor.forum_posts WHERE id = :post;
SELECT pg_temp.tryn(format('SELECT pg_temp.as_user(%s, ''SELECT mentor.hide_forum_comment(%s)::text'')', :cy, :c2));
SELECT pg_temp.as_user(:moder, format('SELECT (mentor.hide_forum_comment(%s)).hidden', :c2)) AS hidden;
SELECT comment_count FROM mentor.forum_posts WHERE id = :post;
SELECT pg_temp.as_user(:cy, format('SELECT count(*) FROM mentor.forum_comments WHERE post_id = %s', :post)) AS cy_sees_comments,
       pg_temp.as_user(:di, format('SELECT count(*) FROM mentor.forum_comments WHERE post_id = %s', :post)) AS di_sees_own;
SELECT pg_temp.as_user(:moder, format($$SELECT (mentor.hide_forum_post(%s, true, 'off topic')).hidden$$, :post)) AS post_hidden;
SELECT pg_temp.as_user(:cy, 'SELECT count(*) FROM mentor.forum_posts') AS cy_sees_posts,
       pg_temp.as_user(:bo, 'SELECT count(*) FROM mentor.forum_posts') AS author_sees;
SELECT pg_temp.try(format($$SELECT pg_temp.as_user(%s, 'INSERT INTO mentor.forum_comments (post_id, author_id, content) VALUES (%s, %s, ''late'') RETURNING 1')$$, :cy, :post, :cy));
SELECT pg_temp.as_user(:moder, format('SELECT (mentor.hide_forum_post(%s, false)).hidden', :post)) AS shown_again;
SELECT title FROM mentor.forum_posts WHERE search @@ websearch_to_tsquery('english', 'priority queue');
SELECT pg_temp.as_user(:cy, format('DELETE FROM mentor.forum_comments WHERE id = %s RETURNING 1', :c1)) AS cy_deletes_own;
SELECT comment_count FROM mentor.forum_posts WHERE id = :post;

-- News and jobs: one row per URL; a second fetch updates it.
SELECT mentor.record_news_item('linkedin', 'job', 'Backend engineer (Go)', 'https://www.linkedin.com/jobs/1', 'Remote, EU') AS n1 \gset
SELECT mentor.record_news_item('linkedin', 'job', 'Senior backend engineer (Go)', 'https://www.linkedin.com/jobs/1', 'Remote, EU') = :n1 AS same_row;
SELECT mentor.record_news_item('codechef', 'promotion', 'Starters 150', 'https://www.codechef.com/START150', 'Rated for all') IS NOT NULL AS added;
SELECT count(*) AS items, string_agg(title, ', ' ORDER BY title) FROM mentor.news_items;
SELECT title FROM mentor.news_items WHERE search @@ websearch_to_tsquery('english', 'senior backend');
SELECT pg_temp.try($$SELECT mentor.record_news_item('myspace', 'news', 'x', 'https://x.io')$$);
SELECT pg_temp.try($$SELECT mentor.record_news_item('indeed', 'news', 'x', 'ftp://x.io')$$);

-- History: problem edits and each submission's status moves, without the code.
SELECT count(*) > 0 AS problems_audited FROM mentor.history WHERE table_name = 'mentor.problems';
SELECT h.op, h.old_row ->> 'status' AS was, h.new_row ->> 'status' AS now, h.new_row ? 'code' AS has_code
  FROM mentor.history h WHERE h.table_name = 'mentor.submissions' AND h.key_id = :s3 ORDER BY h.at, h.txid;
