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
