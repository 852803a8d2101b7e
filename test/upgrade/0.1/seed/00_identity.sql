-- Demo data, identity module: follows the seeding of seed 002 (skills with
-- slugs, 10 users with varied roles, realistic profiles, availability and
-- notification preferences), in the order it gives: skills, then users.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS mentor CASCADE;
RESET client_min_messages;

-- Skills: the extension ships the 10 technical skills; the demo adds two.
INSERT INTO mentor.skills (name, slug, category, description) VALUES
    ('Rust', 'rust', 'engineering', 'Systems programming with Rust'),
    ('PostgreSQL', 'postgresql', 'engineering', 'Schema design, SQL and operations');

INSERT INTO mentor.users (email, username, full_name, role, time_zone, github_id, avatar_url, last_login_at) VALUES
    ('olivia.owner@mentor.example',  'olivia',  'Olivia Martins',   'owner',  'Europe/Lisbon',     'gh-1001', 'https://avatars.example/olivia.png', now() - interval '2 hours'),
    ('adam.admin@mentor.example',    'adam',    'Adam Nowak',       'admin',  'Europe/Warsaw',     'gh-1002', NULL, now() - interval '1 day'),
    ('grace.hopper@mentor.example',  'grace',   'Grace Hopper',     'mentor', 'America/New_York',  'gh-1003', 'https://avatars.example/grace.png', now() - interval '3 hours'),
    ('linus.t@mentor.example',       'linus',   'Linus Torvalds',   'mentor', 'America/Los_Angeles','gh-1004', NULL, now() - interval '5 days'),
    ('priya.sharma@mentor.example',  'priya',   'Priya Sharma',     'mentor', 'Asia/Kolkata',      'gh-1005', 'https://avatars.example/priya.png', now() - interval '30 minutes'),
    ('sam.sales@mentor.example',     'sam',     'Sam Okafor',       'sales',  'Africa/Lagos',      NULL,      NULL, now() - interval '4 hours'),
    ('mia.mentee@mentor.example',    'mia',     'Mia Schneider',    'user',   'Europe/Berlin',     'gh-1007', NULL, now() - interval '1 hour'),
    ('kenji.sato@mentor.example',    'kenji',   'Kenji Sato',       'user',   'Asia/Tokyo',        'gh-1008', NULL, now() - interval '2 days'),
    ('amara.diallo@mentor.example',  'amara',   'Amara Diallo',     'user',   'Europe/Paris',      NULL,      'https://avatars.example/amara.png', NULL),
    ('lucas.silva@mentor.example',   'lucas',   'Lucas Silva',      'user',   'America/Sao_Paulo', 'gh-1010', NULL, now() - interval '6 hours');

-- Profiles were created at signup; fill them in.
UPDATE mentor.profiles p SET
    headline = d.headline, position = d.position, organization = d.organization, department = d.department,
    location = d.location, bio = d.bio, years_of_experience = d.years,
    area_of_expertise = d.expertise, mentorship_style = d.style, preferred_communication = d.comm,
    max_mentee_capacity = d.capacity, accepting_new_mentees = d.capacity > 0,
    supports_new_mothers = d.mothers, availability = d.availability::jsonb,
    interests = d.interests::jsonb, goals = d.goals,
    notification_preferences = '{"email": {"session_reminders": true, "weekly_digest": true}, "push": {"messages": true}}'
FROM (VALUES
    ('olivia', 'Founder',                  'CEO',                 'Mentor Co.',   'Leadership',  'Lisbon, PT',        'Runs the platform.', 18, 'Leadership', NULL, 'email', 0, false, '{}', '["leadership"]', NULL),
    ('adam',   'Platform administrator',   'Operations Lead',     'Mentor Co.',   'Operations',  'Warsaw, PL',        'Keeps things running.', 9, 'Operations', NULL, 'chat', 0, false, '{}', '["operations"]', NULL),
    ('grace',  'Compilers and careers',    'Principal Engineer',  'Navy Labs',    'Engineering', 'Arlington, US',     'Forty years of shipping software; happy to help you ship yours.', 40, 'Backend', 'Hands-on, code reviews', 'video', 3, true,
               '{"mon": ["09:00-12:00"], "wed": ["18:00-20:30"]}', '["compilers", "teaching"]', 'Grow new engineers'),
    ('linus',  'Kernel and tooling',       'Fellow',              'Open Source',  'Engineering', 'Portland, US',      'Direct feedback, deep dives into systems code.', 33, 'DevOps', 'Direct and technical', 'email', 2, false,
               '{"tue": ["16:00-18:00"]}', '["git", "kernels"]', 'Help people read code'),
    ('priya',  'Data science mentor',      'Staff Data Scientist','Analytics Ltd','Data',        'Bengaluru, IN',     'From analyst to ML lead; I mentor career switchers and returning mothers.', 12, 'Machine Learning', 'Structured, goal-based', 'video', 4, true,
               '{"mon": ["19:00-21:00"], "sat": ["10:00-13:00"]}', '["ml", "career switching"]', 'Mentor 4 mentees a quarter'),
    ('sam',    'Partnerships',             'Sales Manager',       'Mentor Co.',   'Sales',       'Lagos, NG',         'Finds programs for companies.', 7, NULL, NULL, 'phone', 0, false, '{}', '[]', NULL),
    ('mia',    'Junior backend developer', 'Software Engineer I', 'Startup GmbH', 'Engineering', 'Berlin, DE',        'Two years in; want to grow into a backend lead.', 2, NULL, NULL, 'video', 0, false,
               '{"mon": ["18:00-21:00"], "thu": ["18:00-21:00"]}', '["distributed systems"]', 'Become a backend lead in 2 years'),
    ('kenji',  'Frontend developer',       'Frontend Engineer',   'Shop KK',      'Engineering', 'Tokyo, JP',         'React by day, learning cloud by night.', 4, NULL, NULL, 'chat', 0, false,
               '{"sat": ["09:00-12:00"]}', '["cloud", "design systems"]', 'Move into full-stack'),
    ('amara',  'Returning to tech',        'Data Analyst',        NULL,           NULL,          'Paris, FR',         'Back from parental leave, moving into data science.', 6, NULL, NULL, 'video', 0, false,
               '{"tue": ["10:00-12:00"]}', '["data science"]', 'Land a data science role'),
    ('lucas',  'Student',                  'CS student',          'USP',          NULL,          'São Paulo, BR',     'Final-year student looking for a first job.', 0, NULL, NULL, 'chat', 0, false,
               '{"wed": ["20:00-22:00"]}', '["security"]', 'First internship')
) AS d(username, headline, position, organization, department, location, bio, years, expertise, style, comm, capacity, mothers,
       availability, interests, goals)
JOIN mentor.users u ON u.username = d.username
WHERE p.user_id = u.id;

-- Onboarding: most users finished it, two are midway, one has not started.
UPDATE mentor.profiles SET onboarding_status = 'in_progress', onboarding_step = 2;
UPDATE mentor.profiles p SET onboarding_status = 'completed', onboarding_step = 5
  FROM mentor.users u WHERE u.id = p.user_id AND u.username NOT IN ('kenji', 'lucas', 'amara');
UPDATE mentor.profiles p SET onboarding_status = 'in_progress', onboarding_step = 1
  FROM mentor.users u WHERE u.id = p.user_id AND u.username = 'amara';

-- Skills offered by mentors and sought by mentees (levels 1-5).
INSERT INTO mentor.user_skills (user_id, skill_id, direction, level)
SELECT u.id, s.id, d.direction::mentor.skill_direction, d.level
  FROM (VALUES ('grace', 'backend', 'offers', 5), ('grace', 'postgresql', 'offers', 4), ('grace', 'devops', 'offers', 3),
               ('linus', 'devops', 'offers', 5), ('linus', 'backend', 'offers', 4), ('linus', 'security', 'offers', 4),
               ('priya', 'data-science', 'offers', 5), ('priya', 'machine-learning', 'offers', 5), ('priya', 'postgresql', 'offers', 3),
               ('mia', 'backend', 'seeks', 2), ('mia', 'postgresql', 'seeks', 2), ('mia', 'devops', 'seeks', 1),
               ('kenji', 'cloud', 'seeks', 1), ('kenji', 'frontend', 'offers', 4), ('kenji', 'backend', 'seeks', 2),
               ('amara', 'data-science', 'seeks', 2), ('amara', 'machine-learning', 'seeks', 1),
               ('lucas', 'security', 'seeks', 1), ('lucas', 'backend', 'seeks', 1)) d(username, slug, direction, level)
  JOIN mentor.users u ON u.username = d.username
  JOIN mentor.skills s ON s.slug = d.slug;

INSERT INTO mentor.external_accounts (user_id, service, username, profile_url)
SELECT u.id, d.service, d.handle, d.url
  FROM (VALUES ('mia', 'codewars', 'mia-codes', 'https://www.codewars.com/users/mia-codes'),
               ('kenji', 'leetcode', 'kenji_s', 'https://leetcode.com/u/kenji_s'),
               ('lucas', 'codewars', 'lucas-silva', 'https://www.codewars.com/users/lucas-silva'),
               ('grace', 'github', 'ghopper', 'https://github.com/ghopper')) d(username, service, handle, url)
  JOIN mentor.users u ON u.username = d.username;

-- Amara shows her location only to mentors and keeps her goals to herself.
INSERT INTO mentor.profile_visibility (user_id, field, visibility)
SELECT u.id, d.field, d.vis::mentor.visibility
  FROM (VALUES ('amara', 'location', 'mentor'), ('amara', 'goals', 'private'), ('grace', 'email', 'student')) d(username, field, vis)
  JOIN mentor.users u ON u.username = d.username;

\echo loaded: 12 skills, 10 users with profiles, skills, external accounts and visibility rules
