-- Demo data, matching module (seeds 002, 004): six more mentors with skills,
-- capacity, availability and ratings, so that suggestions and cohort
-- matching have choices to make; student mentees of the course seek skills.
SET client_min_messages = warning;

INSERT INTO mentor.users (email, username, full_name, role, time_zone) VALUES
    ('ada.lee@mentor.example', 'ada', 'Ada Lee', 'mentor', 'Europe/London'),
    ('omar.haddad@mentor.example', 'omar', 'Omar Haddad', 'mentor', 'Europe/Paris'),
    ('sara.kim@mentor.example', 'sara', 'Sara Kim', 'mentor', 'Asia/Seoul'),
    ('lena.berg@mentor.example', 'lena', 'Lena Berg', 'mentor', 'Europe/Berlin'),
    ('raj.patel@mentor.example', 'raj', 'Raj Patel', 'mentor', 'Asia/Kolkata'),
    ('tom.reyes@mentor.example', 'tom', 'Tom Reyes', 'mentor', 'America/Chicago');
INSERT INTO mentor.user_skills (user_id, skill_id, direction, level)
SELECT u.id, s.id, x.dir::mentor.skill_direction, x.level
  FROM (VALUES ('ada', 'backend', 'offers', 4), ('ada', 'cloud', 'offers', 5), ('ada', 'devops', 'offers', 4),
               ('omar', 'security', 'offers', 5), ('omar', 'backend', 'offers', 3),
               ('sara', 'machine-learning', 'offers', 4), ('sara', 'data-science', 'offers', 3),
               ('lena', 'frontend', 'offers', 5), ('lena', 'ui-ux-design', 'offers', 4),
               ('raj', 'data-science', 'offers', 5), ('raj', 'postgresql', 'offers', 4), ('raj', 'backend', 'offers', 2),
               ('tom', 'cloud', 'offers', 3), ('tom', 'devops', 'offers', 5),
               ('st01', 'frontend', 'seeks', 2), ('st02', 'frontend', 'seeks', 3), ('st02', 'ui-ux-design', 'seeks', 1),
               ('st03', 'backend', 'seeks', 2), ('st04', 'cloud', 'seeks', 2), ('st05', 'data-science', 'seeks', 1))
         AS x(username, slug, dir, level)
  JOIN mentor.users u ON u.username = x.username JOIN mentor.skills s ON s.slug = x.slug;
INSERT INTO mentor.mentor_profiles (user_id, headline, price_tokens, max_mentees, availability, rating_avg, rating_count)
SELECT u.id, x.headline, x.price, x.cap, x.avail::mentor.availability, x.rating, x.ratings
  FROM (VALUES ('ada', 'Cloud backends at scale', 50, 2, 'Mon-Thu 17:00-20:00 @ Europe/London', 4.9, 41),
               ('omar', 'Application security', 45, 1, 'Tue-Fri 12:00-14:00 @ Europe/Paris', 4.7, 12),
               ('sara', 'Applied ML', 35, 2, 'Mon-Fri 20:00-23:00 @ Asia/Seoul', 5.0, 1),
               ('lena', 'Frontend and design systems', 40, 2, 'Mon-Fri 09:00-13:00 @ Europe/Berlin', 4.6, 25),
               ('raj', 'Data engineering', 30, 3, 'Sat-Sun 10:00-16:00 @ Asia/Kolkata', 4.4, 8),
               ('tom', 'SRE and platform', 55, 1, 'Mon-Wed 08:00-11:00 @ America/Chicago', NULL, 0))
         AS x(username, headline, price, cap, avail, rating, ratings)
  JOIN mentor.users u ON u.username = x.username;
