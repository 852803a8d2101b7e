-- Demo data, mentorship module (seeds 002, 004): mentor profiles with
-- prices, capacity and weekly availability; mentorships with a goal and
-- notes; open slots published for the coming days.
SET client_min_messages = warning;

INSERT INTO mentor.mentor_profiles (user_id, headline, bio, price_tokens, max_mentees, accepting, supports_new_mothers, availability)
SELECT u.id, x.headline, x.bio, x.price, x.cap, x.accepting, x.mothers, x.avail::mentor.availability
  FROM (VALUES
    ('grace', 'Compilers and careers', 'Forty years of shipping software.', 40, 2, true, true,
     'Mon-Thu 09:00-12:00, Sat 10:00-12:00 @ America/New_York'),
    ('linus', 'Kernel and tooling', 'Direct feedback on systems code.', 60, 1, false, false,
     'Tue 16:00-19:00, Thu 16:00-19:00 @ America/Los_Angeles'),
    ('priya', 'Data science and ML', 'From notebooks to production.', 30, 4, true, true,
     'Mon-Fri 18:00-21:00 @ Asia/Kolkata')) x(username, headline, bio, price, cap, accepting, mothers, avail)
  JOIN mentor.users u ON u.username = x.username;

-- Mia and Kenji are Grace's mentees; Grace has room for two.
INSERT INTO mentor.mentorships (mentor_id, mentee_id, goal, status)
SELECT m.id, e.id, x.goal, 'pending' FROM (VALUES ('grace', 'mia', 'Become a backend engineer within a year'),
                                                  ('grace', 'kenji', 'Prepare for system design interviews'),
                                                  ('priya', 'amara', 'Move from analytics to ML engineering')) x(mentor, mentee, goal)
  JOIN mentor.users m ON m.username = x.mentor JOIN mentor.users e ON e.username = x.mentee;
UPDATE mentor.mentorships SET status = 'active';
INSERT INTO mentor.mentorship_goals (mentorship_id, title, target_date)
SELECT ms.id, 'Ship a service with tests and CI', current_date + 90 FROM mentor.mentorships ms
  JOIN mentor.users e ON e.id = ms.mentee_id WHERE e.username = 'mia';
INSERT INTO mentor.mentorship_notes (mentorship_id, author_id, body, shared)
SELECT ms.id, ms.mentor_id, x.body, x.shared FROM mentor.mentorships ms JOIN mentor.users e ON e.id = ms.mentee_id,
       (VALUES ('Mia is strong on SQL, weak on testing; push TDD next.', false),
               ('Reading list: Designing Data-Intensive Applications, ch. 1-3.', true)) x(body, shared)
 WHERE e.username = 'mia';

-- Open slots: Grace and Priya publish hours in the coming days.
SELECT count(mentor.publish_slot(u.id, tstzrange(date_trunc('hour', now()) + d * interval '1 day' + interval '2 hours',
                                                 date_trunc('hour', now()) + d * interval '1 day' + interval '3 hours'),
                                 'Office hours'))
  FROM mentor.users u, generate_series(2, 4) d WHERE u.username IN ('grace', 'priya');
