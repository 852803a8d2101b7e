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

\echo
\echo '--- 67. The candidate pipeline (journey 4): Sam publishes a post from a template on LinkedIn, invites Rohan to the quiz the database grades, the AI agent interviews him (an append-only transcript), the screening shortlists him'
INSERT INTO mentor.hr_platforms (code, name) VALUES ('linkedin', 'LinkedIn') ON CONFLICT DO NOTHING;
INSERT INTO mentor.quiz_templates (name, role, pass_percent, time_limit_minutes) VALUES ('Web basics screen', 'backend', 60, 15)
RETURNING id AS qtpl \gset
INSERT INTO mentor.quiz_template_questions (template_id, question_id, position)
SELECT :qtpl, q.id, row_number() OVER (ORDER BY q.id) FROM mentor.questions q JOIN mentor.question_categories c ON c.id = q.category_id
 WHERE c.name = 'Web basics';
BEGIN;
SET LOCAL ROLE mentor_app;
SELECT mentor.set_actor(:sam) IS NOT NULL AS as_sam;
INSERT INTO mentor.job_templates (owner_id, name, title, company, roles, skills, salary_min, salary_max)
VALUES (mentor.current_actor(), 'Platform engineer', 'Platform engineer', 'Acme Fintech', '{platform}', '{go, postgresql}', 1500000, 2200000)
RETURNING id AS jtpl \gset
SELECT id AS job2, title, status FROM mentor.job_post_from_template(:jtpl) \gset
SELECT :'title' AS from_template, :'status' AS status;
UPDATE mentor.job_posts SET status = 'active' WHERE id = :job2;
INSERT INTO mentor.hr_platform_accounts (user_id, platform_id, account_ref)
SELECT mentor.current_actor(), id, 'acme-fintech' FROM mentor.hr_platforms WHERE code = 'linkedin' RETURNING id AS acct \gset
SELECT id AS posting, status FROM mentor.post_job(:job2, :acct) \gset
SELECT status, external_id FROM mentor.record_job_posting(:posting, 'li-40917', 'https://www.linkedin.example/jobs/40917');
INSERT INTO mentor.job_applications (job_post_id, candidate_email, candidate_name, resume_url)
VALUES (:job2, 'rohan.mehta@example.com', 'Rohan Mehta', 'https://cv.example/rohan') RETURNING id AS rohan \gset
INSERT INTO mentor.resume_analyses (application_id, skills, years_experience, model) VALUES (:rohan, '{go, postgresql, kubernetes}', 6, 'parser-v1');
SELECT id AS rquiz FROM mentor.invite_candidate_quiz(:rohan, :qtpl) \gset
SELECT status AS after_invite FROM mentor.job_applications WHERE id = :rohan;
SELECT deadline - started_at AS time_to_answer FROM mentor.start_candidate_quiz(:rquiz);
SELECT score, max_score, percent, passed
  FROM mentor.submit_candidate_quiz(:rquiz, (SELECT jsonb_object_agg(q.question_id, CASE q.position WHEN 1 THEN '1'::jsonb WHEN 2 THEN '[1, 2]' ELSE '"cookie"' END)
                                              FROM mentor.quiz_template_questions q WHERE q.template_id = :qtpl));
SELECT id AS vcall FROM mentor.schedule_voice_interview(:rohan, now() + interval '1 hour', 'voice-agent') \gset
SELECT status FROM mentor.start_voice_interview(:vcall, 'call-77a1');
INSERT INTO mentor.voice_interview_messages (interview_id, turn, speaker, body) VALUES
    (:vcall, 1, 'agent', 'How would you roll out a schema change with no downtime?'),
    (:vcall, 2, 'candidate', 'Expand and contract: add the column, backfill, switch reads, then drop the old one.');
SELECT demo.try(format($q$UPDATE mentor.voice_interview_messages SET body = 'I would take the site down.' WHERE interview_id = %s AND turn = 2$q$, :vcall)) AS rewrite_transcript;
SELECT status, score FROM mentor.complete_voice_interview(:vcall, 84, 'Solid on migrations and Postgres operations');
SELECT demo.try(format($q$INSERT INTO mentor.voice_interview_messages (interview_id, turn, speaker, body) VALUES (%s, 3, 'agent', 'One more thing')$q$, :vcall)) AS after_the_call;
SELECT verdict, score FROM mentor.record_screening(:rohan, 86, '{"model": "screen-v2"}');
COMMIT;

\echo
\echo '--- 68. Pay after placement, the end (journey 6): Kenji is placed, Adam approves the placement and collects the fee on the ledger; for his next program Adam asks for a discount on his behalf, Olivia approves it (Adam may not decide his own request) and the fee charged is the lower one'
SELECT id AS olivia FROM mentor.users WHERE username = 'olivia' \gset
INSERT INTO mentor.batches (code, name, status, capacity, enrollment_fee, fee_asset)
VALUES ('MAS201-2027-01', 'MAS 201, first batch of 2027', 'upcoming', 20, 799900, 'INR') RETURNING id AS mas201 \gset
BEGIN;
SET LOCAL ROLE mentor_app;
SELECT mentor.set_actor(:kenji) IS NOT NULL AS as_kenji;
SELECT status FROM mentor.pap_step(:pap, 'report_placement', '{"employer": "Acme Fintech", "role": "Backend engineer", "salary": 1600000}');
SELECT demo.try(format($q$SELECT mentor.pap_step(%s, 'approve_placement')$q$, :pap)) AS kenji_approves;
SELECT mentor.set_actor(:adam) IS NOT NULL AS as_adam;
SELECT status FROM mentor.pap_step(:pap, 'approve_placement');
SELECT collected_amount, collected_at IS NOT NULL AS settled
  FROM mentor.pap_step(:pap, 'collect_payment', payment_ref => 'nach_kenji_1', payment_id => 'c0000000-0000-4000-8000-000000000068');
SELECT mentor.set_actor(:kenji) IS NOT NULL AS as_kenji;
SELECT demo.try(format($q$SELECT mentor.request_discount(%s, 100000, 'Relocating')$q$, :kenji_app)) AS discount_after_paying;
INSERT INTO mentor.program_applications (user_id, batch_id, answers)
VALUES (mentor.current_actor(), :mas201, '{"motivation": "Go deeper into systems"}') RETURNING id AS kenji_app2 \gset
SELECT status FROM mentor.submit_application(:kenji_app2);
SELECT mentor.set_actor(:adam) IS NOT NULL AS as_adam;
SELECT status FROM mentor.review_application(:kenji_app2, true, 'Strong MAS 101 record');
SELECT id AS disc, status AS requested FROM mentor.request_discount(:kenji_app2, 200000, 'Alumni of MAS 101') \gset
SELECT demo.try(format('SELECT mentor.decide_discount(%s, true)', :disc)) AS adam_decides_his_own;
SELECT mentor.set_actor(:olivia) IS NOT NULL AS as_olivia;
SELECT status FROM mentor.decide_discount(:disc, true, 'Alumni rate');
SELECT mentor.set_actor(:kenji) IS NOT NULL AS as_kenji;
SELECT mentor.pay_application_fee(:kenji_app2, 'rzp_kenji_201', 'c0000000-0000-4000-8000-000000000069') IS NOT NULL AS paid;
SELECT fee_amount, fee_asset FROM mentor.program_applications WHERE id = :kenji_app2;
COMMIT;
SELECT kind, reference, amount FROM mentor.ledger_statement WHERE transfer_id = 'c0000000-0000-4000-8000-000000000068' AND amount > 0;
