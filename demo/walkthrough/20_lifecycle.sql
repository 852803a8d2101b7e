\echo
\echo '--- 8. Shipped lifecycles (from the seed documents): states and transitions'
SELECT name, count(*) AS states, string_agg(state, ' ' ORDER BY position) AS states_in_order
  FROM mentor.lifecycles GROUP BY name ORDER BY name;

\echo
\echo '--- 9. Your own table under a shipped lifecycle: the slot of seed 001'
CREATE TABLE IF NOT EXISTS demo.slots (id int PRIMARY KEY, mentor text, status text NOT NULL DEFAULT 'tentative');
SELECT mentor.attach_lifecycle('demo.slots', 'status', 'slot');
INSERT INTO demo.slots (id, mentor) VALUES (1, 'grace'), (2, 'priya');
UPDATE demo.slots SET status = 'confirmed' WHERE id = 1;
UPDATE demo.slots SET status = 'completed' WHERE id = 1;
SELECT demo.try($$UPDATE demo.slots SET status = 'cancelled' WHERE id = 1$$) AS cancel_a_completed_slot;
SELECT demo.try($$INSERT INTO demo.slots VALUES (3, 'linus', 'confirmed')$$) AS start_confirmed;
SELECT * FROM demo.slots ORDER BY id;

\echo
\echo '--- 10. Define your own lifecycle; every session uses it from its next statement'
SELECT mentor.define_lifecycle('support_ticket', ARRAY[['[*]', 'open'], ['open', 'triaged'], ['triaged', 'resolved'],
                                                       ['open', 'resolved'], ['resolved', 'open'], ['resolved', 'closed']]) AS transitions;
SELECT state, is_initial, is_final, mentor.next_states('support_ticket', state) AS next
  FROM mentor.lifecycles WHERE name = 'support_ticket' ORDER BY position;
