\echo
\echo '--- 16. Tokens: every user got a wallet at signup; purchases and the cohort allotment filled them'
SELECT u.username, b.posted, b.pending_credits AS incoming, b.available
  FROM mentor.users u CROSS JOIN LATERAL mentor.balance(mentor.wallet(u.id)) b
 WHERE u.username IN ('mia', 'kenji', 'amara', 'lucas') ORDER BY u.id;

\echo
\echo '--- 17. A purchase: Lucas''s payment is confirmed, the held tokens become his (retrying the confirmation is harmless)'
SELECT id AS lucas FROM mentor.users WHERE username = 'lucas' \gset
SELECT status FROM mentor.token_purchases WHERE id = '10000000-0000-4000-8000-000000000004';
SELECT mentor.confirm_purchase('10000000-0000-4000-8000-000000000004') IS NOT NULL AS confirmed,
       mentor.confirm_purchase('10000000-0000-4000-8000-000000000004') IS NOT NULL AS confirmed_again;
SELECT p.status, b.posted, b.pending_credits AS incoming, b.available
  FROM mentor.token_purchases p, mentor.balance(mentor.wallet(:lucas)) b
 WHERE p.id = '10000000-0000-4000-8000-000000000004';

\echo
\echo '--- 18. Promotional tokens: Mia gets 10 expiring in 30 days and 5 expiring in 7 days'
SELECT id AS mia FROM mentor.users WHERE username = 'mia' \gset
SELECT mentor.grant_promo(:mia, 10, date_trunc('day', now()) + interval '30 days', '20000000-0000-4000-8000-000000000001') IS NOT NULL AS granted,
       mentor.grant_promo(:mia, 5, date_trunc('day', now()) + interval '7 days', '20000000-0000-4000-8000-000000000002') IS NOT NULL AS granted_too;

\echo
\echo '--- 19. A spend takes promotional tokens first, earliest expiry first: Mia pays 25 for a session'
SELECT a.kind AS taken_from, t.taken, to_char(a.expires_at, 'YYYY-MM-DD') AS expires
  FROM mentor.spend_tokens(:mia, 25, mentor.system_account('revenue'), '20000000-0000-4000-8000-000000000003',
                           reference => 'session with grace') t
  JOIN mentor.ledger_accounts a ON a.id = t.source_account;

\echo
\echo '--- 20. A hold: Kenji books a session; 30 tokens are held for 15 minutes until it takes place'
SELECT id AS kenji FROM mentor.users WHERE username = 'kenji' \gset
SELECT mentor.transfer('20000000-0000-4000-8000-000000000010', mentor.wallet(:kenji), mentor.system_account('revenue'),
                       30, 'hold', 'booking: kenji with grace', pending => true, timeout => '15 minutes') AS hold_id;
SELECT posted, pending_debits AS held, available FROM mentor.balance(mentor.wallet(:kenji));
\echo 'Kenji tries to spend more than is left available (MN002 = HTTP 402):'
SELECT demo.try(format($$SELECT mentor.transfer(gen_random_uuid(), %s, mentor.system_account('revenue'), 60, 'spend')$$,
                       mentor.wallet(:kenji))) AS result;

\echo
\echo '--- 21. The session took place: the hold is posted, and Grace is credited once, however often "meeting ended" fires'
SELECT mentor.post_pending('20000000-0000-4000-8000-000000000010', '20000000-0000-4000-8000-000000000011') AS post_id;
SELECT mentor.credit_earnings((SELECT id FROM mentor.users WHERE username = 'grace'), 30,
                              '20000000-0000-4000-8000-000000000012', 'session with kenji') IS NOT NULL AS credited,
       mentor.credit_earnings((SELECT id FROM mentor.users WHERE username = 'grace'), 30,
                              '20000000-0000-4000-8000-000000000012', 'session with kenji') IS NOT NULL AS credited_again;
SELECT posted, pending_debits AS held, available FROM mentor.balance(mentor.earnings_account((SELECT id FROM mentor.users WHERE username = 'grace')));
\echo 'The same id with a different amount is refused (MN003):'
SELECT demo.try($$SELECT mentor.credit_earnings((SELECT id FROM mentor.users WHERE username = 'grace'), 300,
                                                '20000000-0000-4000-8000-000000000012', 'session with kenji')$$) AS result;

\echo
\echo '--- 22. A void: Amara books and cancels; her hold is released, and cannot be posted afterwards'
SELECT id AS amara FROM mentor.users WHERE username = 'amara' \gset
SELECT mentor.transfer('20000000-0000-4000-8000-000000000020', mentor.wallet(:amara), mentor.system_account('revenue'),
                       40, 'hold', 'booking: amara with priya', pending => true) IS NOT NULL AS held;
SELECT mentor.void_pending('20000000-0000-4000-8000-000000000020', '20000000-0000-4000-8000-000000000021') IS NOT NULL AS voided;
SELECT demo.try($$SELECT mentor.post_pending('20000000-0000-4000-8000-000000000020', gen_random_uuid())$$) AS result;
SELECT posted, pending_debits AS held, available FROM mentor.balance(mentor.wallet(:amara));

\echo
\echo '--- 23. A statement: Mia''s wallet, every entry with its running balance'
SELECT to_char(s.at, 'HH24:MI:SS.MS') AS at, s.kind, s.reference, s.amount, s.balance, c.kind AS counterparty
  FROM mentor.ledger_statement s JOIN mentor.ledger_accounts c ON c.id = s.counterparty_id
 WHERE s.account_id = mentor.wallet(:mia) ORDER BY s.at;

\echo
\echo '--- 24. Transfers are immutable, and the books balance'
SELECT demo.try($$UPDATE mentor.ledger_transfers SET amount = amount * 2$$) AS result;
SELECT count(*) AS invariant_violations FROM mentor.ledger_check();
SELECT a.asset, count(DISTINCT e.transfer_id) AS transfers, sum(e.amount) AS sum_of_all_entries
  FROM mentor.ledger_entries e JOIN mentor.ledger_accounts a ON a.id = e.account_id GROUP BY a.asset;
