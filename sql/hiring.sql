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
