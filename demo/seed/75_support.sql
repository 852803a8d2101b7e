-- Community support (seed 004): a small library of resources with a comment, a ticket
-- waiting for staff, a milestone and a chat with the support assistant.
INSERT INTO mentor.resources (title, description, type, uploaded_by, url, file_path, published, category, tags)
SELECT d.title, d.description, d.type::mentor.resource_type, u.id, d.url, d.path, d.published, d.category, d.tags
  FROM (VALUES
    ('Ten minutes of calm', 'A guided breathing meditation for the first weeks back at work.', 'meditation', 'priya',
     'https://media.mentor.example/calm-10', NULL, true, 'wellbeing', '{sleep,stress,calm}'::text[]),
    ('Returning to work: a guidebook', 'How to plan the handover, the first week back and a flexible schedule.', 'guidebook', 'olivia',
     NULL, 'library/return-to-work.pdf', true, 'career', '{parental leave,planning}'::text[]),
    ('From bootcamp to backend engineer', 'Grace''s mentee tells how she changed careers at 35.', 'story', 'grace',
     'https://blog.mentor.example/bootcamp-to-backend', NULL, true, 'career', '{career change,backend}'::text[]),
    ('Rust ownership, recorded live', 'Draft: the recording of last month''s virtual session.', 'virtual_session', 'linus',
     NULL, 'recordings/rust-ownership.mp4', false, 'engineering', '{rust}'::text[])
  ) AS d(title, description, type, username, url, path, published, category, tags)
  JOIN mentor.users u ON u.username = d.username;
INSERT INTO mentor.resource_comments (resource_id, user_id, content)
SELECT r.id, u.id, 'I listen to this every morning on the train.'
  FROM mentor.resources r, mentor.users u WHERE r.title = 'Ten minutes of calm' AND u.username = 'amara';
INSERT INTO mentor.support_tickets (reporter_id, kind, title, description)
SELECT u.id, 'query', 'Can I move my session credits to next month?', 'I will be travelling for two weeks.'
  FROM mentor.users u WHERE u.username = 'kenji';
INSERT INTO mentor.milestone_logs (user_id, type, title, notes, date)
SELECT u.id, 'leave_started', 'Parental leave started', 'Handover to the team done', now() - interval '60 days'
  FROM mentor.users u WHERE u.username = 'amara';
INSERT INTO mentor.support_chats (user_id, message, is_from_user, sentiment)
SELECT u.id, d.message, d.from_user, d.sentiment
  FROM (VALUES ('I am nervous about going back next month.', true, 'anxious'),
               ('That is very common. Would a phased return, three days a week at first, help?', false, NULL)) d(message, from_user, sentiment),
       mentor.users u WHERE u.username = 'amara';
