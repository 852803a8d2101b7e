-- Cohorts: batches with capacity and a fee, program applications from draft to
-- enrolled (the fee through the ledger, seats within capacity), enrollments as
-- the students rows, classes with attendance and its rate, announcements to a
-- course or a batch, assignments as course tasks of a module.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS mentor CASCADE;
RESET client_min_messages;
\set SHOW_CONTEXT never

\i sql/helpers/try.psql
\i sql/helpers/tryn.psql
INSERT INTO mentor.users (email, username, full_name, role) VALUES
    ('co_kim@example.com', 'co_kim', 'Kim Applicant', 'user'), ('co_lou@example.com', 'co_lou', 'Lou Applicant', 'user'),
    ('co_max@example.com', 'co_max', 'Max Applicant', 'user'), ('co_ann@example.com', 'co_ann', 'Ann Admin', 'admin'),
    ('co_tom@example.com', 'co_tom', 'Tom Teacher', 'mentor');
SELECT id AS kim FROM mentor.users WHERE username = 'co_kim' \gset
SELECT id AS lou FROM mentor.users WHERE username = 'co_lou' \gset
SELECT id AS max FROM mentor.users WHERE username = 'co_max' \gset
SELECT id AS ann FROM mentor.users WHERE username = 'co_ann' \gset
SELECT id AS tom FROM mentor.users WHERE username = 'co_tom' \gset
\i sql/helpers/as_user.psql
CREATE FUNCTION pg_temp.as_user_try(u bigint, q text) RETURNS text LANGUAGE sql AS $$
    SELECT pg_temp.tryn(format('SELECT pg_temp.as_user(%s, %L)', u, q)) $$;

-- A course, and a batch of it with two seats and a fee of 4,999.00 INR (in paise).
INSERT INTO mentor.courses (name, alias, start_date, end_date) VALUES ('MAS 101', 'co-mas101', '2027-01-01', '2027-06-30');
SELECT id AS course FROM mentor.courses WHERE alias = 'co-mas101' \gset
INSERT INTO mentor.batches (code, name, course_id, starts_on, ends_on, capacity, enrollment_fee, fee_asset)
VALUES ('MAS101-2027-01', 'MAS 101, January 2027', :course, '2027-01-10', '2027-06-30', 2, 499900, 'INR')
RETURNING id AS batch \gset
SELECT code, status, capacity, seats_taken, enrollment_fee, fee_asset FROM mentor.batches WHERE id = :batch;
-- Codes are unique in any case; fees are in a currency, not tokens; the counter is the trigger's.
SELECT pg_temp.try($$INSERT INTO mentor.batches (code, name) VALUES ('mas101-2027-01', 'again')$$);
SELECT pg_temp.try($$INSERT INTO mentor.batches (code, name, fee_asset) VALUES ('T-1', 'tokens', 'TOKEN')$$);
SELECT pg_temp.try($$INSERT INTO mentor.batches (code, name, starts_on, ends_on) VALUES ('T-2', 'backwards', '2027-02-01', '2027-01-01')$$);
-- The application may not write batches (staff's, as mentor_admin).
SELECT pg_temp.as_user_try(:ann, $$INSERT INTO mentor.batches (code, name) VALUES ('T-3', 'app')$$);

-- Kim applies: a draft, written as herself; nobody else's applications are hers to write or read.
SELECT pg_temp.as_user(:kim, format($q$INSERT INTO mentor.program_applications (user_id, batch_id, answers)
    VALUES (%s, %s, '{"why": "career change"}') RETURNING id$q$, :kim, :batch)) AS app_kim \gset
SELECT pg_temp.as_user_try(:kim, format($q$INSERT INTO mentor.program_applications (user_id, batch_id) VALUES (%s, %s)$q$, :lou, :batch));
SELECT pg_temp.as_user_try(:kim, format($q$INSERT INTO mentor.program_applications (user_id, batch_id) VALUES (%s, %s)$q$, :kim, :batch));
SELECT pg_temp.as_user(:kim, format($q$UPDATE mentor.program_applications SET answers = '{"why": "career change", "hours": 10}' WHERE id = %s RETURNING answers::text$q$, :app_kim));
SELECT pg_temp.as_user(:lou, format($q$SELECT count(*) FROM mentor.program_applications WHERE id = %s$q$, :app_kim)) AS lou_sees_kims;
-- Its status moves only through the functions.
SELECT pg_temp.as_user_try(:kim, format($q$UPDATE mentor.program_applications SET status = 'approved' WHERE id = %s$q$, :app_kim));
SELECT pg_temp.as_user_try(:lou, format('SELECT mentor.submit_application(%s)', :app_kim));
SELECT pg_temp.as_user(:kim, format('SELECT (mentor.submit_application(%s)).status', :app_kim));
SELECT pg_temp.as_user_try(:kim, format('SELECT mentor.submit_application(%s)', :app_kim));
-- A submitted application is no longer the applicant's to edit.
SELECT pg_temp.as_user(:kim, format($q$WITH u AS (UPDATE mentor.program_applications SET answers = '{}' WHERE id = %s RETURNING 1) SELECT count(*) FROM u$q$, :app_kim)) AS edited;
-- Staff review it: under review, then approved.  A student cannot.
SELECT pg_temp.as_user_try(:kim, format('SELECT mentor.review_application(%s, true)', :app_kim));
SELECT pg_temp.as_user(:ann, format('SELECT (mentor.review_application(%s)).status', :app_kim));
SELECT pg_temp.as_user(:ann, format($q$SELECT (mentor.review_application(%s, true, 'strong motivation')).status$q$, :app_kim));
SELECT pg_temp.as_user_try(:ann, format('SELECT mentor.review_application(%s, false)', :app_kim));
-- Before approval there is nothing to pay.
SELECT pg_temp.as_user(:lou, format($q$INSERT INTO mentor.program_applications (user_id, batch_id) VALUES (%s, %s) RETURNING id$q$, :lou, :batch)) AS app_lou \gset
SELECT pg_temp.as_user_try(:lou, format($q$SELECT mentor.pay_application_fee(%s, 'pay_1', gen_random_uuid())$q$, :app_lou));

-- The fee: held from external to revenue in INR, then posted when the provider confirms it.
SELECT pg_temp.as_user(:kim, format($q$SELECT mentor.pay_application_fee(%s, 'rzp_mas101_1', 'a0000000-0000-0000-0000-000000000001')$q$, :app_kim));
SELECT status, fee_amount, fee_asset, payment_ref FROM mentor.program_applications WHERE id = :app_kim;
SELECT posted, pending_credits FROM mentor.balance(mentor.system_account('revenue', 'INR'));
-- A retry is the same payment; another id is refused.
SELECT pg_temp.as_user(:kim, format($q$SELECT mentor.pay_application_fee(%s, 'rzp_mas101_1', 'a0000000-0000-0000-0000-000000000001')$q$, :app_kim));
SELECT pg_temp.as_user_try(:kim, format($q$SELECT mentor.pay_application_fee(%s, 'rzp_mas101_2', 'a0000000-0000-0000-0000-000000000002')$q$, :app_kim));
SELECT pg_temp.as_user(:kim, format('SELECT (mentor.confirm_application_payment(%s)).status', :app_kim));
SELECT pg_temp.as_user(:kim, format('SELECT (mentor.confirm_application_payment(%s)).status', :app_kim));
SELECT posted, pending_credits FROM mentor.balance(mentor.system_account('revenue', 'INR'));
SELECT kind, amount, reference FROM mentor.ledger_transfers WHERE reference = 'rzp_mas101_1' ORDER BY created_at;

-- Seats: two for three paid applicants; the third allocation is MN004.
CREATE FUNCTION pg_temp.paid_application(u bigint, b bigint, staff bigint) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE a bigint;
BEGIN
    a := pg_temp.as_user(u, format('INSERT INTO mentor.program_applications (user_id, batch_id) VALUES (%s, %s) RETURNING id', u, b));
    PERFORM pg_temp.as_user(u, format('SELECT mentor.submit_application(%s)', a));
    PERFORM pg_temp.as_user(staff, format('SELECT mentor.review_application(%s, true)', a));
    PERFORM pg_temp.as_user(u, format('SELECT mentor.pay_application_fee(%s, %L, gen_random_uuid())', a, 'ref-' || a));
    PERFORM pg_temp.as_user(u, format('SELECT mentor.confirm_application_payment(%s)', a));
    RETURN a;
END $$;
SELECT pg_temp.as_user(:lou, format('DELETE FROM mentor.program_applications WHERE id = %s RETURNING id', :app_lou)) IS NOT NULL AS lou_deleted_draft;
SELECT pg_temp.paid_application(:lou, :batch, :ann) AS app_lou \gset
SELECT pg_temp.paid_application(:max, :batch, :ann) AS app_max \gset
SELECT pg_temp.as_user_try(:kim, format('SELECT mentor.allocate_application(%s)', :app_kim));
SELECT pg_temp.as_user(:ann, format('SELECT (mentor.allocate_application(%s)).status', :app_kim));
SELECT pg_temp.as_user(:ann, format('SELECT (mentor.allocate_application(%s)).status', :app_lou));
SELECT pg_temp.as_user_try(:ann, format('SELECT mentor.allocate_application(%s)', :app_max));
SELECT status FROM mentor.program_applications WHERE id = :app_max;
SELECT seats_taken, capacity FROM mentor.batches WHERE id = :batch;
-- Lowering the capacity below the seats taken is refused.
SELECT pg_temp.try(format('UPDATE mentor.batches SET capacity = 1 WHERE id = %s', :batch));
-- Max goes to a second batch of the course instead.
INSERT INTO mentor.batches (code, name, course_id, capacity) VALUES ('MAS101-2027-02', 'MAS 101, February 2027', :course, 30)
RETURNING id AS batch2 \gset
SELECT pg_temp.as_user(:ann, format('SELECT (mentor.allocate_application(%s, %s)).batch_id = %s', :app_max, :batch2, :batch2));
SELECT code, seats_taken FROM mentor.batches WHERE id IN (:batch, :batch2) ORDER BY code;

-- Enrolling makes Kim a student of the batch's course: her enrollment, not started.
SELECT pg_temp.as_user(:ann, format('SELECT (mentor.enroll_application(%s)).status', :app_kim));
SELECT pg_temp.as_user(:ann, format('SELECT (mentor.enroll_application(%s)).status', :app_lou));
SELECT e.status, e.batch_id = :batch AS in_batch, s.is_completed
  FROM mentor.enrollments e JOIN mentor.students s ON s.id = e.id WHERE e.user_id = :kim AND e.course_id = :course;
SELECT (p.student_id = s.id) AS linked FROM mentor.program_applications p, mentor.students s
 WHERE p.id = :app_kim AND s.user_id = :kim AND s.course_id = :course;
SELECT seats_taken FROM mentor.batches WHERE id = :batch;
-- A cancelled batch takes no allocations.
INSERT INTO mentor.batches (code, name, capacity) VALUES ('OLD-1', 'Cancelled', 5) RETURNING id AS batch3 \gset
UPDATE mentor.batches SET status = 'cancelled' WHERE id = :batch3;
SELECT pg_temp.paid_application(:kim, :batch3, :ann) AS app_kim3 \gset
SELECT pg_temp.as_user_try(:ann, format('SELECT mentor.allocate_application(%s)', :app_kim3));
-- Batch statuses follow their lifecycle.
SELECT pg_temp.tryn(format($q$UPDATE mentor.batches SET status = 'completed' WHERE id = %s$q$, :batch));

-- Classes belong to a course module; the course's staff write them.
INSERT INTO mentor.course_users (course_id, user_id, is_manager) VALUES (:course, :tom, true);
SELECT pg_temp.as_user(:tom, format($q$INSERT INTO mentor.course_modules (course_id, position, title) VALUES (%s, 1, 'Foundations') RETURNING id$q$, :course)) AS module \gset
SELECT pg_temp.as_user(:tom, format($q$INSERT INTO mentor.classes (module_id, course_id, title, starts_at, duration, instructor_id)
    VALUES (%s, 0, 'Kickoff', now() - interval '2 days', '90 minutes', %s) RETURNING course_id = %s$q$, :module, :tom, :course)) AS course_from_module;
SELECT id AS class1 FROM mentor.classes WHERE title = 'Kickoff' \gset
SELECT pg_temp.as_user(:tom, format($q$INSERT INTO mentor.classes (module_id, course_id, title, starts_at, recording_url)
    VALUES (%s, %s, 'Git and SQL', now() - interval '1 day', 'https://videos.example.com/2') RETURNING id$q$, :module, :course)) AS class2 \gset
SELECT pg_temp.as_user(:tom, format($q$INSERT INTO mentor.classes (module_id, course_id, title, starts_at)
    VALUES (%s, %s, 'Next week', now() + interval '7 days') RETURNING id$q$, :module, :course)) AS class3 \gset
SELECT pg_temp.as_user_try(:kim, format($q$INSERT INTO mentor.classes (module_id, course_id, title, starts_at) VALUES (%s, %s, 'Mine', now())$q$, :module, :course));
SELECT pg_temp.try(format($q$INSERT INTO mentor.classes (module_id, course_id, title, starts_at, duration) VALUES (%s, %s, 'Long', now(), '2 days')$q$, :module, :course));
SELECT pg_temp.try($$INSERT INTO mentor.classes (module_id, course_id, title, starts_at) VALUES (0, 0, 'Nowhere', now())$$);

-- Attendance: marked by the class's staff; the first class attended starts the enrollment.
SELECT id AS kim_student FROM mentor.students WHERE user_id = :kim AND course_id = :course \gset
SELECT id AS lou_student FROM mentor.students WHERE user_id = :lou AND course_id = :course \gset
SELECT pg_temp.as_user_try(:kim, format($q$INSERT INTO mentor.attendance (class_id, course_id, student_id, status) VALUES (%s, 0, %s, 'present')$q$, :class1, :kim_student));
SELECT pg_temp.as_user(:tom, format($q$INSERT INTO mentor.attendance (class_id, course_id, student_id, status) VALUES (%s, 0, %s, 'present') RETURNING marked_by = %s$q$, :class1, :kim_student, :tom)) AS marked_by_tom;
SELECT pg_temp.as_user(:tom, format($q$INSERT INTO mentor.attendance (class_id, course_id, student_id, status) VALUES (%s, 0, %s, 'excused') RETURNING status$q$, :class1, :lou_student));
SELECT pg_temp.as_user(:tom, format($q$INSERT INTO mentor.attendance (class_id, course_id, student_id, status) VALUES (%s, 0, %s, 'late') RETURNING status$q$, :class2, :kim_student));
SELECT pg_temp.as_user_try(:tom, format($q$INSERT INTO mentor.attendance (class_id, course_id, student_id, status) VALUES (%s, 0, %s, 'absent')$q$, :class2, :kim_student));
SELECT enrollment_status FROM mentor.students WHERE id IN (:kim_student, :lou_student) ORDER BY id;
-- Only a student of the class's course is marked.
INSERT INTO mentor.courses (name, alias, start_date, end_date) VALUES ('Other', 'co-other', '2027-01-01', '2027-06-30') RETURNING id AS other \gset
INSERT INTO mentor.students (course_id, user_id) VALUES (:other, :max) RETURNING id AS max_other \gset
SELECT pg_temp.try(format($q$INSERT INTO mentor.attendance (class_id, course_id, student_id, status) VALUES (%s, 0, %s, 'present')$q$, :class1, :max_other));
-- Students read their own marks only.
SELECT pg_temp.as_user(:kim, 'SELECT string_agg(status::text, '','' ORDER BY id) FROM mentor.attendance') AS kim_reads;
SELECT pg_temp.as_user(:lou, 'SELECT string_agg(status::text, '','' ORDER BY id) FROM mentor.attendance') AS lou_reads;
-- The rate: classes held so far; Kim attended both (one late), Lou was excused from one and missed one.
SELECT u.username, r.classes_held, r.present, r.late, r.excused, r.absent, r.rate
  FROM mentor.attendance_rates r JOIN mentor.users u ON u.id = r.user_id WHERE r.course_id = :course ORDER BY u.username;

-- Enrollment status and is_completed are one fact.
SELECT pg_temp.tryn(format('UPDATE mentor.students SET is_completed = true WHERE id = %s', :kim_student));
SELECT pg_temp.tryn(format($q$UPDATE mentor.students SET enrollment_status = 'completed' WHERE id = %s$q$, :lou_student));
UPDATE mentor.students SET enrollment_status = 'completed' WHERE id = :kim_student;
SELECT enrollment_status, is_completed FROM mentor.students WHERE id = :kim_student;

-- Announcements: to the course by its staff, to a batch by platform staff; read by those addressed.
SELECT pg_temp.as_user(:tom, format($q$INSERT INTO mentor.announcements (course_id, author_id, title, body) VALUES (%s, %s, 'Welcome', 'Classes start Monday.') RETURNING title$q$, :course, :tom));
SELECT pg_temp.as_user(:tom, format($q$INSERT INTO mentor.announcements (course_id, author_id, title, body, published_at) VALUES (%s, %s, 'Later', 'Not yet.', now() + interval '1 day') RETURNING title$q$, :course, :tom));
SELECT pg_temp.as_user_try(:tom, format($q$INSERT INTO mentor.announcements (batch_id, author_id, title, body) VALUES (%s, %s, 'Batch', 'Fees due.')$q$, :batch2, :tom));
SELECT pg_temp.as_user(:ann, format($q$INSERT INTO mentor.announcements (batch_id, author_id, title, body) VALUES (%s, %s, 'Batch 2', 'Orientation on Friday.') RETURNING title$q$, :batch2, :ann));
SELECT pg_temp.as_user_try(:ann, format($q$INSERT INTO mentor.announcements (course_id, batch_id, author_id, title, body) VALUES (%s, %s, %s, 'Both', 'x')$q$, :course, :batch2, :ann));
SELECT pg_temp.as_user_try(:kim, format($q$INSERT INTO mentor.announcements (course_id, author_id, title, body) VALUES (%s, %s, 'Mine', 'x')$q$, :course, :kim));
SELECT pg_temp.as_user(:kim, 'SELECT string_agg(title, '','' ORDER BY id) FROM mentor.announcements') AS kim_reads;
SELECT pg_temp.as_user(:max, 'SELECT string_agg(title, '','' ORDER BY id) FROM mentor.announcements') AS max_reads;
SELECT pg_temp.as_user(:tom, 'SELECT string_agg(title, '','' ORDER BY id) FROM mentor.announcements') AS tom_reads;

-- Assignments: course tasks linked to a module of the same course.
INSERT INTO mentor.tasks (name, description) VALUES ('Build a CLI', 'A small command-line tool') RETURNING id AS task \gset
INSERT INTO mentor.course_tasks (course_id, task_id, student_start_at, student_end_at, module_id)
VALUES (:course, :task, '2027-01-15', '2027-01-29', :module);
SELECT title, description, due_at, max_score FROM mentor.assignments WHERE module_id = :module;
SELECT pg_temp.try(format($q$INSERT INTO mentor.course_tasks (course_id, task_id, student_start_at, student_end_at, module_id) VALUES (%s, %s, '2027-01-15', '2027-01-29', %s)$q$, :other, :task, :module));

-- Deboarding frees the seat and expels the student row (its results stay).
SELECT pg_temp.as_user_try(:ann, format('SELECT mentor.deboard_application(%s, '' '')', :app_lou));
SELECT pg_temp.as_user(:ann, format($q$SELECT (mentor.deboard_application(%s, 'moved abroad')).status$q$, :app_lou));
SELECT s.is_expelled, s.expelling_reason, b.seats_taken FROM mentor.students s, mentor.batches b
 WHERE s.id = :lou_student AND b.id = :batch;
-- Once deboarded, Lou may apply to the batch again.
SELECT pg_temp.as_user(:lou, format($q$INSERT INTO mentor.program_applications (user_id, batch_id) VALUES (%s, %s) RETURNING status$q$, :lou, :batch));
SELECT pg_temp.try('SELECT mentor.submit_application(NULL)');

-- History records each move of an application.
SELECT string_agg(h.new_row->>'status', ' > ' ORDER BY h.at, h.new_row->>'updated_at') AS moves
  FROM mentor.history h WHERE h.table_name = 'mentor.program_applications' AND (h.row_key->>'id')::bigint = :app_kim;
