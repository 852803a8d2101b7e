-- Programs (seed 001's MAS LMS): a course with two modules, classes and a quiz; a batch of it
-- with three seats and a fee of 4,999.00 INR, two of them taken by applicants already enrolled.
INSERT INTO mentor.courses (name, alias, description, start_date, end_date)
VALUES ('MAS 101: Full-stack in 16 weeks', 'mas101-2027', 'Mentored full-stack program with live classes',
        date_trunc('day', now() - interval '7 days'), date_trunc('day', now() + interval '105 days'));
INSERT INTO mentor.course_users (course_id, user_id, is_manager)
SELECT c.id, u.id, true FROM mentor.courses c, mentor.users u WHERE c.alias = 'mas101-2027' AND u.username = 'priya';
INSERT INTO mentor.course_modules (course_id, position, title)
SELECT c.id, m.position, m.title FROM mentor.courses c,
       (VALUES (1, 'The web and HTTP'), (2, 'SQL and data modelling')) m(position, title)
 WHERE c.alias = 'mas101-2027';
INSERT INTO mentor.classes (module_id, course_id, title, starts_at, duration, instructor_id, recording_url)
SELECT m.id, m.course_id, k.title, date_trunc('hour', now()) - k.ago, interval '90 minutes', u.id, k.recording
  FROM mentor.course_modules m JOIN mentor.courses c ON c.id = m.course_id, mentor.users u,
       (VALUES (1, 'Kickoff and how the web works', interval '3 days', 'https://videos.mas.example/101-1'),
               (1, 'HTTP in practice', interval '1 day', 'https://videos.mas.example/101-2'),
               (2, 'Tables, keys and joins', interval '-2 days', NULL)) k(module, title, ago, recording)
 WHERE c.alias = 'mas101-2027' AND m.position = k.module AND u.username = 'priya';
INSERT INTO mentor.batches (code, name, course_id, status, starts_on, ends_on, capacity, enrollment_fee, fee_asset)
SELECT 'MAS101-2027-01', 'MAS 101, first batch of 2027', c.id, 'upcoming', c.start_date, c.end_date, 3, 499900, 'INR'
  FROM mentor.courses c WHERE c.alias = 'mas101-2027';

-- Lucas and Amara went through the whole funnel: applied, approved, paid, allocated, enrolled.
BEGIN;
DO $$
DECLARE
    who   text;
    app   bigint;
    admin bigint := (SELECT id FROM mentor.users WHERE username = 'adam');
BEGIN
    FOREACH who IN ARRAY ARRAY['lucas', 'amara'] LOOP
        PERFORM mentor.set_actor((SELECT id FROM mentor.users WHERE username = who));
        INSERT INTO mentor.program_applications (user_id, batch_id, answers)
        SELECT mentor.current_actor(), b.id, '{"background": "self-taught", "hours_per_week": 15}'
          FROM mentor.batches b WHERE b.code = 'MAS101-2027-01'
        RETURNING id INTO app;
        PERFORM mentor.submit_application(app);
        PERFORM mentor.set_actor(admin);
        PERFORM mentor.review_application(app, true, 'Good fit');
        PERFORM mentor.pay_application_fee(app, 'rzp_demo_' || who, md5('demo-fee-' || who)::uuid);
        PERFORM mentor.confirm_application_payment(app);
        PERFORM mentor.allocate_application(app);
        PERFORM mentor.enroll_application(app);
    END LOOP;
    -- Kenji is approved and paid, waiting for a seat.
    PERFORM mentor.set_actor((SELECT id FROM mentor.users WHERE username = 'kenji'));
    INSERT INTO mentor.program_applications (user_id, batch_id)
    SELECT mentor.current_actor(), b.id FROM mentor.batches b WHERE b.code = 'MAS101-2027-01' RETURNING id INTO app;
    PERFORM mentor.submit_application(app);
    PERFORM mentor.set_actor(admin);
    PERFORM mentor.review_application(app, true);
    PERFORM mentor.pay_application_fee(app, 'rzp_demo_kenji', md5('demo-fee-kenji')::uuid);
    PERFORM mentor.confirm_application_payment(app);
END $$;
COMMIT;

-- A quiz of the first module: two attempts, the best counts, ten minutes each.
INSERT INTO mentor.question_categories (name) VALUES ('Web basics');
INSERT INTO mentor.questions (category_id, kind, prompt, options, correct, points)
SELECT c.id, q.kind::mentor.question_kind, q.prompt, q.options::jsonb, q.correct::jsonb, 1
  FROM mentor.question_categories c,
       (VALUES ('single_choice', 'Which HTTP method is idempotent?', '["POST", "PUT", "PATCH"]', '[1]'),
               ('multiple_choice', 'Which status codes are client errors?', '["200", "404", "422", "503"]', '[1, 2]'),
               ('text', 'Which header carries a cookie to the server?', NULL, '["Cookie"]')) q(kind, prompt, options, correct)
 WHERE c.name = 'Web basics';
INSERT INTO mentor.quizzes (module_id, title, max_attempts, time_limit, scoring, published)
SELECT m.id, 'HTTP check', 2, interval '10 minutes', 'best', true
  FROM mentor.course_modules m JOIN mentor.courses c ON c.id = m.course_id WHERE c.alias = 'mas101-2027' AND m.position = 1;
INSERT INTO mentor.quiz_questions (quiz_id, question_id, position)
SELECT z.id, q.id, row_number() OVER (ORDER BY q.id) FROM mentor.quizzes z, mentor.questions q
  JOIN mentor.question_categories c ON c.id = q.category_id WHERE z.title = 'HTTP check' AND c.name = 'Web basics';
