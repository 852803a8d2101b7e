\echo
\echo '--- 65. Hiring (journey 4): Asha applies to an active job (a second application with her email in other case is 23505), the parser reads her resume, the screening shortlists her'
SELECT id AS sam FROM mentor.users WHERE username = 'sam' \gset
BEGIN;
SET LOCAL ROLE mentor_app;
SELECT mentor.set_actor(:sam) IS NOT NULL AS as_sam;
INSERT INTO mentor.job_posts (title, company, roles, skills, salary_min, salary_max, created_by)
VALUES ('Backend engineer', 'Acme Fintech', '{backend}', '{python, postgresql}', 1200000, 1800000, mentor.current_actor())
RETURNING id AS job \gset
UPDATE mentor.job_posts SET status = 'active' WHERE id = :job;
INSERT INTO mentor.job_screening_configs (job_post_id, shortlist_threshold, model) VALUES (:job, 75, 'screen-v2');
INSERT INTO mentor.job_applications (job_post_id, candidate_email, candidate_name, resume_url)
VALUES (:job, 'asha.rao@example.com', 'Asha Rao', 'https://cv.example/asha') RETURNING id AS asha \gset
SELECT status AS asha_applied FROM mentor.job_applications WHERE id = :asha;
SELECT demo.try(format($q$INSERT INTO mentor.job_applications (job_post_id, candidate_email) VALUES (%s, 'ASHA.RAO@example.com')$q$, :job)) AS applies_again;
SELECT demo.try(format('SELECT mentor.record_screening(%s, 80)', :asha)) AS screened_before_parsing;
INSERT INTO mentor.resume_analyses (application_id, parsed, skills, years_experience, model)
VALUES (:asha, '{"education": "B.Tech, NIT Trichy"}', '{python, postgresql, django}', 4.5, 'parser-v1');
SELECT status FROM mentor.job_applications WHERE id = :asha;
SELECT verdict, score, threshold FROM mentor.record_screening(:asha, 82.5, '{"model": "screen-v2"}', '{"skills": "strong match"}');
COMMIT;
SELECT candidate_name, status FROM mentor.job_applications WHERE job_post_id = :job;
INSERT INTO mentor.salary_benchmarks (role, region, p25, p50, p75, source)
VALUES ('Backend engineer', 'Bengaluru', 1000000, 1400000, 1900000, 'demo survey');
SELECT p25, p50, p75 FROM mentor.salary_benchmark('backend engineer', 'Bengaluru');

\echo
\echo '--- 66. Pay after placement (journey 6): Kenji signs the agreement for his MAS 101 application; Adam approves it, Kenji chooses to pay after placement, Adam approves the plan'
SELECT id AS kenji FROM mentor.users WHERE username = 'kenji' \gset
SELECT id AS adam FROM mentor.users WHERE username = 'adam' \gset
SELECT p.id AS kenji_app FROM mentor.program_applications p JOIN mentor.batches b ON b.id = p.batch_id
 WHERE p.user_id = :kenji AND b.code = 'MAS101-2027-01' \gset
INSERT INTO mentor.pap_agreement_templates (name, body)
VALUES ('MAS101 pay after placement', 'The student pays 15% of the first year''s salary once placed.') RETURNING id AS tpl \gset
BEGIN;
SET LOCAL ROLE mentor_app;
SELECT mentor.set_actor(:kenji) IS NOT NULL AS as_kenji;
SELECT id AS pap FROM mentor.start_pap(:kenji_app, :tpl) \gset
SELECT status FROM mentor.pap_step(:pap, 'submit_details', '{"pan": "ABCDE1234F", "guardian": "Hiro Sato"}', 'https://esign.example/kenji.pdf');
SELECT demo.try(format($q$SELECT mentor.pap_step(%s, 'approve_mou')$q$, :pap)) AS kenji_approves_himself;
SELECT mentor.set_actor(:adam) IS NOT NULL AS as_adam;
SELECT status FROM mentor.pap_step(:pap, 'approve_mou');
SELECT mentor.set_actor(:kenji) IS NOT NULL AS as_kenji;
SELECT status, payment_option FROM mentor.pap_step(:pap, 'choose_payment', payment_option => 'pap');
SELECT mentor.set_actor(:adam) IS NOT NULL AS as_adam;
SELECT status FROM mentor.pap_step(:pap, 'approve_pap');
COMMIT;
