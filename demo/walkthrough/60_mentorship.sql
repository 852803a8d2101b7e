\echo
\echo '--- 34. Mentors publish their weekly availability; the type knows time zones and DST'
SELECT u.username, p.price_tokens, p.max_mentees, p.active_mentees, p.availability
  FROM mentor.mentor_profiles p JOIN mentor.users u ON u.id = p.user_id ORDER BY u.username;
\echo 'Hours a week each mentor overlaps with Mia (Berlin, weekdays 08:00-22:00):'
SELECT u.username, round(mentor.overlap_minutes(p.availability, 'Mon-Fri 08:00-22:00 @ Europe/Berlin', '2026-11-23') / 60.0, 1) AS hours
  FROM mentor.mentor_profiles p JOIN mentor.users u ON u.id = p.user_id ORDER BY 2 DESC, 1;

\echo
\echo '--- 35. Lucas books Grace''s next open slot: its price is held in the ledger (promo tokens would go first)'
SELECT id AS lucas FROM mentor.users WHERE username = 'lucas' \gset
SELECT id AS kenji FROM mentor.users WHERE username = 'kenji' \gset
SELECT id AS grace FROM mentor.users WHERE username = 'grace' \gset
SELECT s.id AS slot FROM mentor.sessions s WHERE s.mentor_id = :grace AND s.status = 'pending' ORDER BY lower(s.during) LIMIT 1 \gset
SELECT mentor.book_session(:slot, :lucas, '30000000-0000-4000-8000-000000000001') = :slot AS booked,
       mentor.book_session(:slot, :lucas, '30000000-0000-4000-8000-000000000001') = :slot AS retry_is_harmless;
SELECT s.status, s.price_tokens, b.posted, b.pending_debits AS held, b.available
  FROM mentor.sessions s, mentor.balance(mentor.wallet(:lucas)) b WHERE s.id = :slot;
\echo 'Kenji tries the same slot, and Lucas a Priya slot at the same hour:'
SELECT demo.try(format($$SELECT mentor.book_session(%s, %s, gen_random_uuid())$$, :slot, :kenji)) AS result;
SELECT demo.try(format($$SELECT mentor.book_session(%s, %s, gen_random_uuid())$$, s.id, :lucas)) AS result
  FROM mentor.sessions s JOIN mentor.users u ON u.id = s.mentor_id
 WHERE u.username = 'priya' AND s.during && (SELECT during FROM mentor.sessions WHERE id = :slot);

\echo
\echo '--- 36. The session takes place (the demo moves it into the past), and is completed twice: Grace is paid once'
UPDATE mentor.sessions SET during = tstzrange(now() - interval '2 hours', now() - interval '1 hour') WHERE id = :slot;
SELECT (mentor.balance(mentor.earnings_account(:grace))).posted AS earned_before \gset
SELECT mentor.complete_session(:slot) AS completed, mentor.complete_session(:slot) AS completed_again;
SELECT (mentor.balance(mentor.earnings_account(:grace))).posted - :earned_before AS grace_earned,
       mentor.setting('session.platform_fee_percent') AS platform_fee_percent;

\echo
\echo '--- 37. Lucas rates it; the rating is Grace''s average from now on'
INSERT INTO mentor.session_feedback (session_id, author_id, rating, comment) VALUES (:slot, :lucas, 5, 'Sharp and kind.');
SELECT rating_avg, rating_count FROM mentor.mentor_profiles WHERE user_id = :grace;
SELECT demo.try(format($$INSERT INTO mentor.session_feedback (session_id, author_id, rating) VALUES (%s, %s, 1)$$, :slot, :lucas)) AS twice;

\echo
\echo '--- 38. Cancellations by policy: 3 days ahead everything comes back; 2 hours ahead nothing does'
SELECT s.id AS early FROM mentor.sessions s WHERE s.mentor_id = :grace AND s.status = 'pending' ORDER BY lower(s.during) DESC LIMIT 1 \gset
SELECT mentor.book_session(:early, :kenji, '30000000-0000-4000-8000-000000000002') = :early AS booked;
SELECT mentor.cancel_session(:early, :kenji, 'travel') AS refunded_early;
SELECT mentor.publish_slot(:grace, tstzrange(now() + interval '2 hours', now() + interval '3 hours'), 'Short notice') AS late \gset
SELECT mentor.book_session(:late, :kenji, '30000000-0000-4000-8000-000000000003') = :late AS booked;
SELECT (mentor.balance(mentor.earnings_account(:grace))).posted AS earned_before \gset
SELECT mentor.cancel_session(:late, :kenji, 'overslept') AS refunded_late;
SELECT (mentor.balance(mentor.wallet(:kenji))).available AS kenji_available,
       (mentor.balance(mentor.earnings_account(:grace))).posted - :earned_before AS grace_earned_from_late_cancel;

\echo
\echo '--- 39. Capacity: Grace mentors two people, her maximum; a third activation is refused'
INSERT INTO mentor.mentorships (mentor_id, mentee_id, goal)
SELECT :grace, id, 'Learn Rust' FROM mentor.users WHERE username = 'lucas' RETURNING id AS third \gset
SELECT demo.try(format($$UPDATE mentor.mentorships SET status = 'active' WHERE id = %s$$, :third)) AS result;

\echo
\echo '--- 40. Private notes: Mia sees the note Grace shared, not her private one'
BEGIN;
SET LOCAL ROLE mentor_app;
SELECT mentor.set_actor(id) IS NOT NULL AS acting_as_mia FROM mentor.users WHERE username = 'mia';
SELECT body FROM mentor.mentorship_notes;
SELECT mentor.set_actor(:grace) IS NOT NULL AS acting_as_grace;
SELECT body, shared FROM mentor.mentorship_notes ORDER BY id;
COMMIT;

\echo
\echo '--- 41. Reminders: a worker lists sessions starting soon, sends, and claims them once'
SELECT mentor.publish_slot(:grace, tstzrange(now() + interval '30 minutes', now() + interval '90 minutes'), 'Quick sync') AS soon \gset
SELECT mentor.book_session(:soon, :lucas, '30000000-0000-4000-8000-000000000004') = :soon AS booked;
SELECT session_id, title FROM mentor.due_reminders('1 hour');
SELECT count(*) AS claimed FROM mentor.mark_reminded(ARRAY(SELECT session_id FROM mentor.due_reminders('1 hour')));
SELECT count(*) AS still_due FROM mentor.due_reminders('1 hour');
SELECT count(*) AS ledger_violations FROM mentor.ledger_check();
