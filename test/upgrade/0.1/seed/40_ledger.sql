-- Demo data, ledger module: the token economy of seed 001.  Every user got a
-- wallet at signup; the mentees bought tokens (one payment still pending),
-- the platform welcomed a cohort with an allotment, and Grace earned from two
-- completed sessions.  Ids are fixed so that re-running the seed is a no-op.
SELECT count(*) AS purchases FROM (
    SELECT mentor.purchase_tokens(u.id, p.amount, p.ref, p.id::uuid)
      FROM (VALUES ('mia', 120, 'rzp_order_1001', '10000000-0000-4000-8000-000000000001'),
                   ('kenji', 60, 'rzp_order_1002', '10000000-0000-4000-8000-000000000002'),
                   ('amara', 200, 'rzp_order_1003', '10000000-0000-4000-8000-000000000003'),
                   ('lucas', 90, 'rzp_order_1004', '10000000-0000-4000-8000-000000000004')) p(username, amount, ref, id)
      JOIN mentor.users u ON u.username = p.username) x;
-- The payment provider confirmed three of them; Lucas's is still pending.
SELECT count(*) AS confirmed FROM (
    SELECT mentor.confirm_purchase(id::uuid)
      FROM unnest(ARRAY['10000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000002',
                        '10000000-0000-4000-8000-000000000003']) id) x;
SELECT count(*) AS allotted FROM mentor.allot_tokens(
    (SELECT array_agg(id ORDER BY id) FROM mentor.users WHERE username IN ('mia', 'kenji', 'amara', 'lucas')),
    20, '10000000-0000-4000-8000-000000000010', 'Cohort 12 welcome tokens');
SELECT count(*) AS earnings FROM (
    SELECT mentor.credit_earnings((SELECT id FROM mentor.users WHERE username = 'grace'), 30, id::uuid, ref)
      FROM (VALUES ('10000000-0000-4000-8000-000000000020', 'session with kenji, 2026-11-02'),
                   ('10000000-0000-4000-8000-000000000021', 'session with amara, 2026-11-09')) e(id, ref)) x;
