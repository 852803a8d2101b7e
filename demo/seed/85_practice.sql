-- Coding practice (seed 003): a few problems with tags, written by the platform's admin.
INSERT INTO mentor.tags (name) VALUES ('Array'), ('Hash Table'), ('Dynamic Programming'), ('Graphs'), ('Greedy');
INSERT INTO mentor.problems (slug, title, description, difficulty, example_input, example_output, constraints, leetcode_id, published, creator_id)
SELECT d.slug, d.title, d.description, d.difficulty::mentor.problem_difficulty, d.input, d.output, d.constraints, d.lc, true, u.id
  FROM (VALUES
    ('two-sum', 'Two Sum', 'Given an array of integers and a target, return the indices of the two numbers that add up to the target.',
     'easy', '[2,7,11,15], 9', '[0,1]', '2 <= n <= 10^4', 1),
    ('coin-change', 'Coin Change', 'Return the fewest number of coins that make up the amount, or -1.',
     'medium', '[1,2,5], 11', '3', '1 <= coins.length <= 12', 322),
    ('jump-game', 'Jump Game', 'Each element is the maximum jump from there: can you reach the last index?',
     'medium', '[2,3,1,1,4]', 'true', '1 <= n <= 10^4', 55),
    ('word-ladder', 'Word Ladder', 'The number of words in the shortest transformation sequence from begin to end.',
     'hard', 'hit, cog, [hot,dot,dog,lot,log,cog]', '5', 'words of equal length', 127)
  ) AS d(slug, title, description, difficulty, input, output, constraints, lc)
  JOIN mentor.users u ON u.username = 'adam';
INSERT INTO mentor.problem_tags (problem_id, tag_id)
SELECT p.id, t.id FROM mentor.problems p JOIN mentor.tags t
    ON (p.slug, t.name) IN (('two-sum', 'array'), ('two-sum', 'hash table'), ('coin-change', 'dynamic programming'),
                            ('jump-game', 'greedy'), ('jump-game', 'dynamic programming'), ('word-ladder', 'graphs'));
SELECT mentor.record_news_item('linkedin', 'job', 'Backend engineer (Rust), remote', 'https://www.linkedin.com/jobs/view/demo-1',
                               'A payments team is hiring.') IS NOT NULL AS news,
       mentor.record_news_item('codechef', 'promotion', 'Starters 160: rated for all', 'https://www.codechef.com/START160') IS NOT NULL AS contest
\g /dev/null
