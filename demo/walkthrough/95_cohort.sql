\echo
\echo '--- 58. A program batch fills: Mia applies, is approved, pays 4,999.00 INR through the ledger and takes the last of 3 seats; Kenji gets MN004'
SELECT id AS mia FROM mentor.users WHERE username = 'mia' \gset
SELECT id AS adam FROM mentor.users WHERE username = 'adam' \gset
SELECT id AS priya FROM mentor.users WHERE username = 'priya' \gset
SELECT id AS kenji FROM mentor.users WHERE username = 'kenji' \gset
SELECT id AS batch FROM mentor.batches WHERE code = 'MAS101-2027-01' \gset
BEGIN;
SET LOCAL ROLE mentor_app;
SELECT mentor.set_actor(:mia) IS NOT NULL AS as_mia;
INSERT INTO mentor.program_applications (user_id, batch_id, answers)
VALUES (mentor.current_actor(), :batch, '{"background": "data analyst", "hours_per_week": 12}') RETURNING id AS app \gset
SELECT (mentor.submit_application(:app)).status AS mia_submits;
SELECT demo.try(format('SELECT mentor.review_application(%s, true)', :app)) AS mia_approves_herself;
SELECT mentor.set_actor(:adam) IS NOT NULL AS as_adam;
SELECT (mentor.review_application(:app, true, 'Strong SQL background')).status AS adam_reviews;
SELECT mentor.set_actor(:mia) IS NOT NULL AS as_mia;
SELECT mentor.pay_application_fee(:app, 'rzp_order_mia_1', 'e0000000-0000-4000-8000-000000000058') AS fee_hold;
SELECT (mentor.confirm_application_payment(:app)).status AS provider_confirms;
COMMIT;
SELECT posted AS revenue_inr_paise FROM mentor.balance(mentor.system_account('revenue', 'INR'));
BEGIN;
SET LOCAL ROLE mentor_app;
SELECT mentor.set_actor(:adam) IS NOT NULL AS as_adam;
SELECT (mentor.allocate_application(:app)).status AS mia_allocated;
SELECT demo.try(format('SELECT mentor.allocate_application(%s)', id)) AS kenji_allocated
  FROM mentor.program_applications WHERE user_id = :kenji AND batch_id = :batch;
SELECT (mentor.enroll_application(:app)).status AS mia_enrolled;
COMMIT;
SELECT code, seats_taken || ' of ' || capacity AS seats FROM mentor.batches WHERE id = :batch;
SELECT u.username, e.status AS enrollment FROM mentor.enrollments e JOIN mentor.users u ON u.id = e.user_id
 WHERE e.batch_id = :batch ORDER BY u.username;

\echo
\echo '--- 59. Mia attends two classes (Priya marks them): her enrollment starts, her attendance rate is 100%'
SELECT id AS student FROM mentor.students s WHERE s.user_id = :mia AND s.batch_id = :batch \gset
BEGIN;
SET LOCAL ROLE mentor_app;
SELECT mentor.set_actor(:mia) IS NOT NULL AS as_mia;
SELECT demo.try(format($q$INSERT INTO mentor.attendance (class_id, course_id, student_id, status)
    SELECT id, course_id, %s, 'present' FROM mentor.classes WHERE title = 'HTTP in practice'$q$, :student)) AS mia_marks_herself;
SELECT mentor.set_actor(:priya) IS NOT NULL AS as_priya;
INSERT INTO mentor.attendance (class_id, course_id, student_id, status)
SELECT c.id, c.course_id, :student, k.status::mentor.attendance_status
  FROM mentor.classes c JOIN (VALUES ('Kickoff and how the web works', 'present'), ('HTTP in practice', 'late')) k(title, status)
    ON k.title = c.title;
COMMIT;
SELECT c.title, a.status, m.username AS marked_by FROM mentor.attendance a JOIN mentor.classes c ON c.id = a.class_id
  JOIN mentor.users m ON m.id = a.marked_by WHERE a.student_id = :student ORDER BY c.starts_at;
SELECT u.username, r.classes_held, r.present, r.late, r.absent, r.rate || '%' AS rate, s.enrollment_status
  FROM mentor.attendance_rates r JOIN mentor.users u ON u.id = r.user_id JOIN mentor.students s ON s.id = r.student_id
 WHERE s.batch_id = :batch ORDER BY u.username;

\echo
\echo '--- 60. Mia takes the module quiz twice (graded in the database, the best attempt counts); a third start is MN006'
SELECT id AS quiz FROM mentor.quizzes WHERE title = 'HTTP check' \gset
SELECT question_id AS q1 FROM mentor.quiz_questions_public WHERE quiz_id = :quiz AND position = 1 \gset
SELECT question_id AS q2 FROM mentor.quiz_questions_public WHERE quiz_id = :quiz AND position = 2 \gset
SELECT question_id AS q3 FROM mentor.quiz_questions_public WHERE quiz_id = :quiz AND position = 3 \gset
BEGIN;
SET LOCAL ROLE mentor_app;
SELECT mentor.set_actor(:mia) IS NOT NULL AS as_mia;
SELECT position, kind, prompt, options FROM mentor.quiz_questions_public WHERE quiz_id = :quiz ORDER BY position;
SELECT (mentor.start_quiz(:quiz)).id AS attempt1 \gset
SELECT attempt_no, score, max_score FROM mentor.submit_quiz(:attempt1, format('{"%s": 0, "%s": [1], "%s": "cookie"}', :q1, :q2, :q3)::jsonb);
SELECT (mentor.start_quiz(:quiz)).id AS attempt2 \gset
SELECT attempt_no, score, max_score FROM mentor.submit_quiz(:attempt2, format('{"%s": 1, "%s": [1, 2], "%s": " Cookie "}', :q1, :q2, :q3)::jsonb);
SELECT demo.try(format('SELECT mentor.start_quiz(%s)', :quiz)) AS third_attempt;
SELECT score, max_score, attempts FROM mentor.quiz_results WHERE quiz_id = :quiz;
COMMIT;
