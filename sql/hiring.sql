-- Hiring (journey 4): a job post with its salary band and screening threshold; applications,
-- one per job and email in any case; the resume analysis marks one parsed; record_screening
-- stores the verdict and routes the candidate in one step, once; salary benchmarks.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS mentor CASCADE;
RESET client_min_messages;
\set SHOW_CONTEXT never

\i sql/helpers/try.psql
\i sql/helpers/tryn.psql
INSERT INTO mentor.job_posts (title, company, roles, skills, salary_min, salary_max)
VALUES ('Backend engineer', 'Acme', '{backend}', '{python, postgresql}', 1200000, 1800000) RETURNING id AS job \gset
SELECT pg_temp.try($$INSERT INTO mentor.job_posts (title, salary_min, salary_max) VALUES ('Upside down', 10, 5)$$);
SELECT pg_temp.tryn(format($q$UPDATE mentor.job_posts SET status = 'paused' WHERE id = %s$q$, :job));
UPDATE mentor.job_posts SET status = 'active' WHERE id = :job;
INSERT INTO mentor.job_screening_configs (job_post_id, shortlist_threshold, model) VALUES (:job, 75, 'screen-v2');

-- One application per job and email, in any case.
INSERT INTO mentor.job_applications (job_post_id, candidate_email, candidate_name, resume_url)
VALUES (:job, 'Asha.Rao@example.com', 'Asha Rao', 'https://cv.example/asha') RETURNING id AS asha, status \gset
SELECT :'status' AS asha_status;
SELECT pg_temp.try(format($q$INSERT INTO mentor.job_applications (job_post_id, candidate_email) VALUES (%s, 'asha.rao@EXAMPLE.com')$q$, :job));
SELECT pg_temp.try(format($q$INSERT INTO mentor.job_applications (job_post_id, candidate_email) VALUES (%s, 'not an email')$q$, :job));
INSERT INTO mentor.job_applications (job_post_id, candidate_email, candidate_name) VALUES (:job, 'ben@example.com', 'Ben') RETURNING id AS ben \gset

-- Screening before the resume is parsed is refused by the lifecycle, and nothing is stored.
SELECT pg_temp.tryn(format('SELECT mentor.record_screening(%s, 80)', :asha));
SELECT count(*) AS results FROM mentor.screening_results;
-- The analysis marks it parsed; the screening routes it by the job's threshold (75).
INSERT INTO mentor.resume_analyses (application_id, parsed, skills, years_experience, model)
VALUES (:asha, '{"education": "B.Tech"}', '{python, postgresql, django}', 4.5, 'parser-v1');
SELECT status FROM mentor.job_applications WHERE id = :asha;
SELECT verdict, score, threshold FROM mentor.record_screening(:asha, 82.5, '{"model": "screen-v2"}', '{"skills": "strong"}');
SELECT status FROM mentor.job_applications WHERE id = :asha;
-- Once: a second screening returns the first verdict.
SELECT verdict, score FROM mentor.record_screening(:asha, 10);
INSERT INTO mentor.resume_analyses (application_id, skills) VALUES (:ben, '{excel}');
SELECT verdict FROM mentor.record_screening(:ben, 60);
SELECT candidate_name, status FROM mentor.job_applications WHERE job_post_id = :job ORDER BY candidate_name;
-- Out of range scores, verdicts by SQL, a verdict changed.
INSERT INTO mentor.job_applications (job_post_id, candidate_email, candidate_name) VALUES (:job, 'cara@example.com', 'Cara') RETURNING id AS cara \gset
INSERT INTO mentor.resume_analyses (application_id) VALUES (:cara);
SELECT pg_temp.tryn(format('SELECT mentor.record_screening(%s, 101)', :cara));
SELECT status FROM mentor.job_applications WHERE id = :cara;
SELECT pg_temp.try(format($q$SET LOCAL ROLE mentor_app; INSERT INTO mentor.screening_results (application_id, score, threshold, verdict) VALUES (%s, 99, 0, 'shortlisted')$q$, :ben));
RESET ROLE;
SELECT pg_temp.try($$SET LOCAL ROLE mentor_app; UPDATE mentor.screening_results SET verdict = 'shortlisted'$$);
RESET ROLE;
-- A shortlisted candidate cannot be sent back a step.
SELECT pg_temp.tryn(format($q$UPDATE mentor.job_applications SET status = 'outreach_sent' WHERE id = %s$q$, :asha));

-- Salary benchmarks: the latest on or before a date, names in any case.
INSERT INTO mentor.salary_benchmarks (role, region, p25, p50, p75, as_of) VALUES
    ('Backend engineer', 'Bengaluru', 900000, 1300000, 1800000, '2026-01-01'),
    ('Backend engineer', 'Bengaluru', 1000000, 1400000, 1900000, '2026-07-01');
SELECT p50, as_of FROM mentor.salary_benchmark('backend ENGINEER', 'bengaluru');
SELECT p50, as_of FROM mentor.salary_benchmark('Backend engineer', 'Bengaluru', '2026-03-01');
SELECT (mentor.salary_benchmark('Backend engineer', 'Pune')).p50 IS NULL AS none_for_pune;
SELECT pg_temp.try($$INSERT INTO mentor.salary_benchmarks (role, region, p25, p50, p75) VALUES ('x', 'y', 3, 2, 1)$$);

-- The talent pool: Ben (screened below the bar) is on file; so is Dev, with more skills but a
-- salary far above the next job's band.  A new job ranks them and records the matches.
SELECT candidate_name, skills, available FROM mentor.talent_pool_entries ORDER BY id;
INSERT INTO mentor.job_applications (job_post_id, candidate_email, candidate_name) VALUES (:job, 'dev@example.com', 'Dev') RETURNING id AS dev \gset
INSERT INTO mentor.resume_analyses (application_id, parsed, skills) VALUES (:dev, '{"expected_salary": 2500000}', '{SQL, Excel, Python}');
SELECT verdict FROM mentor.record_screening(:dev, 50);
INSERT INTO mentor.job_posts (title, skills, salary_min, salary_max) VALUES ('Data analyst', '{excel, sql}', 800000, 1200000) RETURNING id AS job2 \gset
SELECT e.candidate_name, m.score, m.reasons FROM mentor.match_talent_pool(:job2, 5) m JOIN mentor.talent_pool_entries e ON e.id = m.entry_id;
SELECT count(*) AS matches_recorded FROM mentor.talent_pool_matches WHERE job_post_id = :job2;
-- Run again: the same matches, updated, not duplicated; taken off the pool, a candidate is not matched.
UPDATE mentor.talent_pool_entries SET available = false WHERE candidate_name = 'Dev';
SELECT e.candidate_name FROM mentor.match_talent_pool(:job2, 5) m JOIN mentor.talent_pool_entries e ON e.id = m.entry_id;
SELECT count(*) AS matches_recorded FROM mentor.talent_pool_matches WHERE job_post_id = :job2;
SELECT pg_temp.try(format('SELECT mentor.match_talent_pool(%s, 0)', :job2));
SELECT pg_temp.tryn($$SET LOCAL ROLE mentor_app; UPDATE mentor.talent_pool_matches SET score = 1$$);
RESET ROLE;

-- Pay after placement (journey 6): each step by its role; the payment option chosen at approval;
-- an upfront payment is a ledger transfer of the batch fee.
\i sql/helpers/as_user.psql
CREATE FUNCTION pg_temp.as_user_try(u bigint, q text) RETURNS text LANGUAGE sql AS $$
    SELECT pg_temp.tryn(format('SELECT pg_temp.as_user(%s, %L)', u, q)) $$;
INSERT INTO mentor.users (email, username, full_name, role) VALUES
    ('pap_sia@example.com', 'pap_sia', 'Sia Student', 'user'), ('pap_raj@example.com', 'pap_raj', 'Raj Student', 'user'),
    ('pap_ada@example.com', 'pap_ada', 'Ada Admin', 'admin');
SELECT id AS sia FROM mentor.users WHERE username = 'pap_sia' \gset
SELECT id AS raj FROM mentor.users WHERE username = 'pap_raj' \gset
SELECT id AS ada FROM mentor.users WHERE username = 'pap_ada' \gset
INSERT INTO mentor.batches (code, name, enrollment_fee, fee_asset) VALUES ('PAP-1', 'PAP batch', 250000, 'INR') RETURNING id AS pbatch \gset
INSERT INTO mentor.pap_agreement_templates (name, body) VALUES ('MAS101 PAP', 'Pay 15% of the first year''s salary after placement.') RETURNING id AS tpl \gset
SELECT pg_temp.as_user(:sia, format('INSERT INTO mentor.program_applications (user_id, batch_id) VALUES (%s, %s) RETURNING id', :sia, :pbatch)) AS sia_app \gset
SELECT pg_temp.as_user(:raj, format('INSERT INTO mentor.program_applications (user_id, batch_id) VALUES (%s, %s) RETURNING id', :raj, :pbatch)) AS raj_app \gset
SELECT pg_temp.as_user_try(:raj, format('SELECT mentor.start_pap(%s, %s)', :sia_app, :tpl));
SELECT pg_temp.as_user(:sia, format('SELECT (mentor.start_pap(%s, %s)).id', :sia_app, :tpl)) AS sia_pap \gset
SELECT pg_temp.as_user(:raj, format('SELECT (mentor.start_pap(%s, %s)).id', :raj_app, :tpl)) AS raj_pap \gset
-- Sia signs at once and chooses pay after placement; staff approve the agreement and the plan.
SELECT pg_temp.as_user_try(:ada, format($q$SELECT mentor.pap_step(%s, 'submit_details', '{"employer_consent": true}')$q$, :sia_pap));
SELECT pg_temp.as_user(:sia, format($q$SELECT (mentor.pap_step(%s, 'submit_details', '{"pan": "ABCDE1234F"}', 'https://esign.example/sia.pdf')).status$q$, :sia_pap)) AS after_details;
SELECT pg_temp.as_user_try(:sia, format($q$SELECT mentor.pap_step(%s, 'approve_mou')$q$, :sia_pap));
SELECT pg_temp.as_user(:ada, format($q$SELECT (mentor.pap_step(%s, 'approve_mou')).status$q$, :sia_pap)) AS after_review;
SELECT pg_temp.as_user_try(:sia, format($q$SELECT mentor.pap_step(%s, 'choose_payment', payment_option => 'later')$q$, :sia_pap));
SELECT pg_temp.as_user(:sia, format($q$SELECT (mentor.pap_step(%s, 'choose_payment', payment_option => 'pap')).status$q$, :sia_pap)) AS after_choice;
SELECT pg_temp.as_user_try(:ada, format($q$SELECT mentor.pap_step(%s, 'confirm_upfront_payment', payment_ref => 'x', payment_id => gen_random_uuid())$q$, :sia_pap));
SELECT pg_temp.as_user(:ada, format($q$SELECT (mentor.pap_step(%s, 'approve_pap')).status$q$, :sia_pap)) AS sia_final;
-- Raj uploads his document later and pays upfront: the fee lands in revenue.
SELECT pg_temp.as_user(:raj, format($q$SELECT (mentor.pap_step(%s, 'submit_details', '{}')).status$q$, :raj_pap)) AS raj_details;
SELECT pg_temp.as_user_try(:raj, format($q$SELECT mentor.pap_step(%s, 'choose_payment', payment_option => 'upfront')$q$, :raj_pap));
SELECT pg_temp.as_user(:raj, format($q$SELECT (mentor.pap_step(%s, 'upload_document', document_url => 'https://esign.example/raj.pdf')).status$q$, :raj_pap)) AS raj_uploaded;
SELECT pg_temp.as_user(:ada, format($q$SELECT (mentor.pap_step(%s, 'approve_mou')).status$q$, :raj_pap)) AS raj_approved;
SELECT pg_temp.as_user(:raj, format($q$SELECT (mentor.pap_step(%s, 'choose_payment', payment_option => 'upfront')).status$q$, :raj_pap)) AS raj_choice;
SELECT mentor.system_account('revenue', 'INR') AS revenue_inr \gset
SELECT posted AS revenue_before FROM mentor.balance(:revenue_inr) \gset
SELECT pg_temp.as_user(:ada, format($q$SELECT (mentor.pap_step(%s, 'confirm_upfront_payment', payment_ref => 'rzp_pap_raj', payment_id => 'b0000000-0000-4000-8000-000000000001')).status$q$, :raj_pap)) AS raj_final;
SELECT pg_temp.as_user(:ada, format($q$SELECT (mentor.pap_step(%s, 'confirm_upfront_payment', payment_ref => 'rzp_pap_raj', payment_id => 'b0000000-0000-4000-8000-000000000001')).status$q$, :raj_pap)) AS retried;
SELECT posted - :revenue_before AS revenue_added FROM mentor.balance(:revenue_inr);
-- Nobody writes a workflow by SQL; each reads only their own.
SELECT pg_temp.as_user(:sia, format($q$WITH u AS (UPDATE mentor.pap_workflows SET status = 'enrolled' WHERE id = %s RETURNING 1) SELECT count(*) FROM u$q$, :raj_pap)) AS sia_moves_rajs;
SELECT pg_temp.as_user(:sia, 'SELECT count(*) FROM mentor.pap_workflows') AS sia_reads;
SELECT pg_temp.as_user_try(:sia, format($q$SELECT mentor.pap_step(%s, 'sign_later')$q$, :sia_pap));

-- Pay after placement, discounts and the placement (journey 6): Kim asks for a discount, a
-- member of staff other than the requester decides it, the upfront payment is the fee less it.
INSERT INTO mentor.users (email, username, full_name, role) VALUES
    ('pap_kim@example.com', 'pap_kim', 'Kim Student', 'user'), ('pap_bo@example.com', 'pap_bo', 'Bo Admin', 'admin');
SELECT id AS kim FROM mentor.users WHERE username = 'pap_kim' \gset
SELECT id AS bo FROM mentor.users WHERE username = 'pap_bo' \gset
SELECT pg_temp.as_user(:kim, format('INSERT INTO mentor.program_applications (user_id, batch_id) VALUES (%s, %s) RETURNING id', :kim, :pbatch)) AS kim_app \gset
SELECT pg_temp.as_user_try(:kim, format($q$SELECT mentor.request_discount(%s, 300000, 'Too much')$q$, :kim_app));
SELECT pg_temp.as_user_try(:sia, format($q$SELECT mentor.request_discount(%s, 50000, 'For a friend')$q$, :kim_app));
SELECT pg_temp.as_user(:kim, format($q$SELECT (mentor.request_discount(%s, 50000, 'Single parent')).status$q$, :kim_app)) AS kim_request;
SELECT pg_temp.as_user_try(:kim, format($q$SELECT mentor.request_discount(%s, 10000, 'Again')$q$, :kim_app));
SELECT id AS kim_discount FROM mentor.discount_requests WHERE application_id = :kim_app \gset
SELECT pg_temp.as_user_try(:kim, format('SELECT mentor.decide_discount(%s, true)', :kim_discount));
SELECT pg_temp.as_user(:kim, format($q$WITH u AS (UPDATE mentor.discount_requests SET status = 'approved' WHERE id = %s RETURNING 1) SELECT count(*) FROM u$q$, :kim_discount)) AS kim_approves_by_sql;
SELECT pg_temp.as_user(:sia, 'SELECT count(*) FROM mentor.discount_requests') AS sia_sees_discounts;
SELECT pg_temp.as_user(:ada, format($q$SELECT (mentor.decide_discount(%s, true, 'Scholarship rule 3')).status$q$, :kim_discount)) AS kim_decided;
SELECT pg_temp.as_user_try(:ada, format('SELECT mentor.decide_discount(%s, false)', :kim_discount));
-- Staff asking on a student's behalf is decided by someone else.
SELECT pg_temp.as_user(:ada, format($q$SELECT (mentor.request_discount(%s, 20000, 'Early bird')).id$q$, :kim_app)) AS ada_discount \gset
SELECT pg_temp.as_user_try(:ada, format('SELECT mentor.decide_discount(%s, true)', :ada_discount));
SELECT pg_temp.as_user(:bo, format('SELECT (mentor.decide_discount(%s, false)).status', :ada_discount)) AS ada_request;
SELECT pg_temp.as_user(:kim, format($q$SELECT (mentor.request_discount(%s, 5000, 'One more')).id$q$, :kim_app)) AS kim_discount2 \gset
SELECT pg_temp.as_user_try(:sia, format('SELECT mentor.cancel_discount(%s)', :kim_discount2));
SELECT pg_temp.as_user(:kim, format('SELECT (mentor.cancel_discount(%s)).status', :kim_discount2)) AS kim_cancelled;
SELECT pg_temp.as_user(:kim, format('SELECT (mentor.start_pap(%s, %s)).id', :kim_app, :tpl)) AS kim_pap \gset
SELECT pg_temp.as_user(:kim, format($q$SELECT (mentor.pap_step(%s, 'submit_details', '{}', 'https://esign.example/kim.pdf')).status$q$, :kim_pap)) AS kim_details;
SELECT pg_temp.as_user(:bo, format($q$SELECT (mentor.pap_step(%s, 'approve_mou')).status$q$, :kim_pap)) AS kim_approved;
SELECT pg_temp.as_user(:kim, format($q$SELECT (mentor.pap_step(%s, 'choose_payment', payment_option => 'upfront')).status$q$, :kim_pap)) AS kim_choice;
SELECT posted AS revenue_before FROM mentor.balance(:revenue_inr) \gset
SELECT pg_temp.as_user(:bo, format($q$SELECT (mentor.pap_step(%s, 'confirm_upfront_payment', payment_ref => 'rzp_pap_kim', payment_id => 'b0000000-0000-4000-8000-000000000002')).status$q$, :kim_pap)) AS kim_final;
SELECT posted - :revenue_before AS kim_paid FROM mentor.balance(:revenue_inr);
SELECT pg_temp.as_user_try(:kim, format($q$SELECT mentor.request_discount(%s, 1000, 'After paying')$q$, :kim_app));

-- Sia (enrolled on pay after placement) is placed: she reports it, staff approve it and collect
-- the placement fee (the template's, 400000) as a ledger transfer, once.
SELECT pg_temp.as_user_try(:raj, format($q$SELECT mentor.pap_step(%s, 'report_placement', '{"employer": "Acme"}')$q$, :sia_pap));
SELECT pg_temp.as_user_try(:sia, format($q$SELECT mentor.pap_step(%s, 'report_placement', '"Acme"')$q$, :sia_pap));
SELECT pg_temp.as_user_try(:ada, format($q$SELECT mentor.pap_step(%s, 'collect_payment', payment_ref => 'x', payment_id => gen_random_uuid())$q$, :sia_pap));
SELECT pg_temp.as_user(:sia, format($q$SELECT (mentor.pap_step(%s, 'report_placement', '{"employer": "Acme", "salary": 1400000}')).status$q$, :sia_pap)) AS sia_placed;
SELECT pg_temp.as_user_try(:sia, format($q$SELECT mentor.pap_step(%s, 'approve_placement')$q$, :sia_pap));
SELECT pg_temp.as_user(:ada, format($q$SELECT (mentor.pap_step(%s, 'approve_placement')).status$q$, :sia_pap)) AS sia_approved;
UPDATE mentor.pap_agreement_templates SET placement_fee = 400000 WHERE id = :tpl;
SELECT posted AS revenue_before FROM mentor.balance(:revenue_inr) \gset
SELECT pg_temp.as_user(:ada, format($q$SELECT (mentor.pap_step(%s, 'collect_payment', payment_ref => 'nach_sia_1', payment_id => 'b0000000-0000-4000-8000-000000000003')).collected_amount$q$, :sia_pap)) AS collected;
SELECT pg_temp.as_user(:ada, format($q$SELECT (mentor.pap_step(%s, 'collect_payment', payment_ref => 'nach_sia_1', payment_id => 'b0000000-0000-4000-8000-000000000003')).collected_amount$q$, :sia_pap)) AS retried;
SELECT pg_temp.as_user_try(:ada, format($q$SELECT mentor.pap_step(%s, 'collect_payment', payment_ref => 'nach_sia_2', payment_id => gen_random_uuid())$q$, :sia_pap));
SELECT posted - :revenue_before AS revenue_added FROM mentor.balance(:revenue_inr);

-- Job templates: a reusable post, copied into a draft.
INSERT INTO mentor.job_templates (name, title, roles, skills, salary_min, salary_max)
VALUES ('Backend', 'Backend engineer', '{backend}', '{python, go}', 1000000, 1600000) RETURNING id AS jtpl \gset
SELECT pg_temp.try($$INSERT INTO mentor.job_templates (name, title) VALUES ('BACKEND', 'Another')$$);
SELECT pg_temp.try($$INSERT INTO mentor.job_templates (name, title, salary_min, salary_max) VALUES ('Odd', 'Odd', 9, 1)$$);
SELECT title, skills, salary_min, status, platform, template_id = :jtpl AS from_template
  FROM mentor.job_post_from_template(:jtpl, 'Senior backend engineer', 'hire');
SELECT pg_temp.tryn('SELECT mentor.job_post_from_template(0)');

-- Job boards: a post is published through a linked HR account, once per account; the board's
-- answer is recorded; a failed or removed posting is queued again.
INSERT INTO mentor.hr_platforms (code, name) VALUES ('linkedin', 'LinkedIn'), ('naukri', 'Naukri') ;
SELECT id AS linkedin FROM mentor.hr_platforms WHERE code = 'linkedin' \gset
INSERT INTO mentor.hr_platform_accounts (user_id, platform_id, account_ref) VALUES (:ada, :linkedin, 'acme-hr') RETURNING id AS acct \gset
SELECT pg_temp.try(format($q$INSERT INTO mentor.hr_platform_accounts (user_id, platform_id, account_ref) VALUES (%s, %s, 'acme-hr')$q$, :sia, :linkedin));
SELECT pg_temp.tryn(format('SELECT mentor.post_job(%s, %s)', :job2, :acct));
SELECT pg_temp.try(format('SELECT mentor.post_job(%s, %s)', :job, 0));
SELECT id AS posting, status, attempts FROM mentor.post_job(:job, :acct) \gset
SELECT :'status' AS queued, :attempts AS attempts;
SELECT id = :posting AS same_posting, status FROM mentor.post_job(:job, :acct);
SELECT pg_temp.tryn(format('SELECT mentor.record_job_posting(%s)', :posting));
SELECT status, external_id, url FROM mentor.record_job_posting(:posting, 'li-778', 'https://linkedin.example/jobs/778');
SELECT status FROM mentor.record_job_posting(:posting, 'li-778', 'https://linkedin.example/jobs/778');
SELECT pg_temp.tryn(format($q$SELECT mentor.record_job_posting(%s, error => 'late')$q$, :posting));
SELECT status FROM mentor.remove_job_posting(:posting);
SELECT status, attempts FROM mentor.post_job(:job, :acct);
SELECT status, external_id, error FROM mentor.record_job_posting(:posting, error => 'rate limited');
SELECT pg_temp.tryn(format($q$SET LOCAL ROLE mentor_app; UPDATE mentor.job_platform_postings SET status = 'posted', external_id = 'x' WHERE id = %s$q$, :posting));
RESET ROLE;
UPDATE mentor.hr_platform_accounts SET connected = false WHERE id = :acct;
SELECT pg_temp.tryn(format('SELECT mentor.post_job(%s, %s)', :job, :acct));

-- Candidate quizzes: a parsed candidate is invited (outreach_sent, quiz_invited), starts, submits;
-- graded in the database from the question bank.
INSERT INTO mentor.questions (kind, prompt, options, correct, points) VALUES
    ('single_choice', 'Which index suits a range scan?', '["hash", "btree"]', '[1]', 2) RETURNING id AS hq1 \gset
INSERT INTO mentor.questions (kind, prompt, correct) VALUES ('text', 'The SQL keyword that ends a transaction', '["commit"]') RETURNING id AS hq2 \gset
INSERT INTO mentor.quiz_templates (name, role, pass_percent, time_limit_minutes) VALUES ('Backend basics', 'backend', 60, 20) RETURNING id AS qt \gset
INSERT INTO mentor.quiz_templates (name) VALUES ('Empty') RETURNING id AS qt_empty \gset
INSERT INTO mentor.quiz_template_questions (template_id, question_id, position) VALUES (:qt, :hq1, 1), (:qt, :hq2, 2);
INSERT INTO mentor.job_applications (job_post_id, candidate_email, candidate_name) VALUES (:job, 'eve@example.com', 'Eve') RETURNING id AS eve \gset
SELECT pg_temp.tryn(format('SELECT mentor.invite_candidate_quiz(%s, %s)', :eve, :qt));
SELECT status FROM mentor.job_applications WHERE id = :eve;
INSERT INTO mentor.resume_analyses (application_id, skills) VALUES (:eve, '{python, postgresql}');
SELECT pg_temp.tryn(format('SELECT mentor.invite_candidate_quiz(%s, %s)', :eve, :qt_empty));
SELECT pg_temp.try(format($q$SELECT mentor.invite_candidate_quiz(%s, %s, '-1 day')$q$, :eve, :qt));
SELECT id AS eve_quiz FROM mentor.invite_candidate_quiz(:eve, :qt) \gset
SELECT id = :eve_quiz AS same_invitation FROM mentor.invite_candidate_quiz(:eve, :qt);
SELECT status FROM mentor.job_applications WHERE id = :eve;
SELECT pg_temp.tryn(format($q$SELECT mentor.submit_candidate_quiz(%s, '{}')$q$, :eve_quiz));
SELECT deadline - started_at AS time_limit FROM mentor.start_candidate_quiz(:eve_quiz);
SELECT pg_temp.tryn(format($q$SELECT mentor.submit_candidate_quiz(%s, '{"0": 1}')$q$, :eve_quiz));
SELECT pg_temp.try(format($q$SELECT mentor.submit_candidate_quiz(%s, '[1]')$q$, :eve_quiz));
SELECT score, max_score, percent, passed
  FROM mentor.submit_candidate_quiz(:eve_quiz, jsonb_build_object(:'hq1', 1, :'hq2', ' COMMIT '));
SELECT pg_temp.tryn(format($q$SELECT mentor.submit_candidate_quiz(%s, '{}')$q$, :eve_quiz));
SELECT status FROM mentor.job_applications WHERE id = :eve;
SELECT pg_temp.tryn(format($q$SET LOCAL ROLE mentor_app; UPDATE mentor.candidate_quiz_responses SET score = 0 WHERE id = %s$q$, :eve_quiz));
RESET ROLE;
SELECT pg_temp.try(format($q$SET LOCAL ROLE mentor_app; INSERT INTO mentor.candidate_quiz_responses (application_id, template_id, expires_at) VALUES (%s, %s, now())$q$, :eve, :qt_empty));
RESET ROLE;
-- An invitation not started in time has expired; a started quiz submitted late is MN008.
INSERT INTO mentor.job_applications (job_post_id, candidate_email, candidate_name) VALUES (:job, 'fay@example.com', 'Fay') RETURNING id AS fay \gset
INSERT INTO mentor.resume_analyses (application_id) VALUES (:fay);
SELECT id AS fay_quiz FROM mentor.invite_candidate_quiz(:fay, :qt, '1 microsecond') \gset
SELECT pg_sleep(0.01) IS NOT NULL AS waited;
BEGIN;
SELECT pg_temp.tryn(format('SELECT mentor.start_candidate_quiz(%s)', :fay_quiz));
ROLLBACK;

-- Voice interviews: scheduled once the quizzes are done, the transcript appended while the call
-- runs and closed after it; the outcome moves the application on to screening.
SELECT pg_temp.tryn(format($q$SELECT mentor.schedule_voice_interview(%s, now() + interval '1 day')$q$, :fay));
SELECT id AS eve_call, status FROM mentor.schedule_voice_interview(:eve, now() + interval '1 day', 'vapi') \gset
SELECT :'status' AS call_status, status AS application FROM mentor.job_applications WHERE id = :eve;
SELECT pg_temp.tryn(format($q$SELECT mentor.schedule_voice_interview(%s, now() + interval '2 days')$q$, :eve));
SELECT pg_temp.tryn(format('SELECT mentor.complete_voice_interview(%s, 80)', :eve_call));
SELECT status FROM mentor.end_voice_interview(:eve_call, 'failed', 'no answer');
SELECT pg_temp.try(format($q$SELECT mentor.end_voice_interview(%s, 'done')$q$, :eve_call));
SELECT id AS eve_call, status FROM mentor.schedule_voice_interview(:eve, now() + interval '2 days', 'vapi') \gset
SELECT status FROM mentor.start_voice_interview(:eve_call, 'call-9f2');
SELECT pg_temp.tryn(format($q$SELECT mentor.end_voice_interview(%s, 'cancelled')$q$, :eve_call));
INSERT INTO mentor.voice_interview_messages (interview_id, turn, speaker, body) VALUES
    (:eve_call, 1, 'agent', 'Tell me about a slow query you fixed.'),
    (:eve_call, 2, 'candidate', 'An index on the join key took it from 4 s to 20 ms.');
SELECT pg_temp.try(format($q$INSERT INTO mentor.voice_interview_messages (interview_id, turn, speaker, body) VALUES (%s, 2, 'agent', 'again')$q$, :eve_call));
SELECT pg_temp.try(format($q$INSERT INTO mentor.voice_interview_messages (interview_id, turn, speaker, body) VALUES (%s, 3, 'bot', 'x')$q$, :eve_call));
SELECT pg_temp.try(format('SELECT mentor.complete_voice_interview(%s, 101)', :eve_call));
SELECT status, score FROM mentor.complete_voice_interview(:eve_call, 78, 'Clear on indexing', 'https://rec.example/9f2');
SELECT pg_temp.tryn(format($q$INSERT INTO mentor.voice_interview_messages (interview_id, turn, speaker, body) VALUES (%s, 3, 'agent', 'late')$q$, :eve_call));
SELECT pg_temp.try($$SET LOCAL ROLE mentor_app; UPDATE mentor.voice_interview_messages SET body = 'edited'$$);
RESET ROLE;
SELECT pg_temp.try($$SET LOCAL ROLE mentor_app; DELETE FROM mentor.voice_interview_messages$$);
RESET ROLE;
SELECT pg_temp.tryn(format($q$SET LOCAL ROLE mentor_app; UPDATE mentor.voice_interviews SET score = 100 WHERE id = %s$q$, :eve_call));
RESET ROLE;
SELECT turn, speaker FROM mentor.voice_interview_messages WHERE interview_id = :eve_call ORDER BY turn;
SELECT status FROM mentor.job_applications WHERE id = :eve;
SELECT verdict FROM mentor.record_screening(:eve, 81);
