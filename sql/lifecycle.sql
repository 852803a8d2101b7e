-- Lifecycle module: status state machines enforced by a C trigger.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS mentor CASCADE;
RESET client_min_messages;
\set SHOW_CONTEXT never

-- Every shipped lifecycle, with its size.
SELECT l.name, count(*) AS states, string_agg(l.state, ', ' ORDER BY l.position) FILTER (WHERE l.is_initial) AS initial,
       (SELECT count(*) FROM mentor.lifecycle_transitions t WHERE t.name = l.name) AS transitions
  FROM mentor.lifecycles l GROUP BY l.name ORDER BY l.name;

-- The slot lifecycle, exactly as seed 001 draws it.
SELECT from_state, to_state FROM mentor.lifecycle_transitions WHERE name = 'slot' ORDER BY 1, 2;
SELECT state, is_initial, is_final FROM mentor.lifecycles WHERE name = 'slot' ORDER BY position;
SELECT mentor.next_states('session', 'confirmed'), mentor.next_states('session', 'completed');
SELECT mentor.next_states('session', 'bogus');
SELECT mentor.next_states('nonexistent', 'draft');
SELECT mentor.next_states('Bad Name', 'draft');

-- Enforcing a shipped lifecycle on an enum column.
CREATE TYPE slot_status AS ENUM ('tentative', 'meeting_requested', 'confirmed', 'under_review',
                                 'completed', 'cancellation_requested', 'cancelled');
CREATE TABLE slots (id int PRIMARY KEY, status slot_status NOT NULL DEFAULT 'tentative', note text);
SELECT mentor.attach_lifecycle('slots', 'status', 'slot');
INSERT INTO slots (id) VALUES (1), (2);
INSERT INTO slots VALUES (3, 'confirmed');
UPDATE slots SET status = 'meeting_requested' WHERE id = 1;
UPDATE slots SET status = 'confirmed' WHERE id = 1;
UPDATE slots SET status = 'tentative' WHERE id = 1;
UPDATE slots SET status = 'completed' WHERE id = 1;
UPDATE slots SET status = 'cancelled' WHERE id = 1;
-- Keeping the state, or changing other columns, is always fine.
UPDATE slots SET status = 'completed', note = 'done' WHERE id = 1;
UPDATE slots SET note = 'still done' WHERE id = 1;
-- A multi-row update is all or nothing.
UPDATE slots SET status = 'confirmed';
SELECT id, status, note FROM slots ORDER BY id;

-- Text columns work the same way, NULL means "no state yet".
CREATE TABLE apps (id int PRIMARY KEY, status text);
SELECT mentor.attach_lifecycle('apps', 'status', 'program_application');
INSERT INTO apps VALUES (1, 'draft'), (2, NULL);
INSERT INTO apps VALUES (3, 'Draft');
UPDATE apps SET status = 'submitted' WHERE id = 1;
UPDATE apps SET status = NULL WHERE id = 1;
UPDATE apps SET status = 'submitted' WHERE id = 2;
UPDATE apps SET status = 'draft' WHERE id = 2;
SELECT * FROM apps ORDER BY id;

-- attach_lifecycle checks its arguments before creating anything.
SELECT mentor.attach_lifecycle('apps', 'status', 'no_such_lifecycle');
SELECT mentor.attach_lifecycle('apps', 'nope', 'slot');
SELECT mentor.attach_lifecycle('no_such_table', 'status', 'slot');
CREATE TYPE short_status AS ENUM ('tentative', 'confirmed', 'archived');
CREATE TABLE short_slots (id int PRIMARY KEY, status short_status);
SELECT mentor.attach_lifecycle('short_slots', 'status', 'slot');
CREATE TABLE num_slots (id int PRIMARY KEY, status int);
SELECT mentor.attach_lifecycle('num_slots', 'status', 'slot');

-- A trigger written by hand with a wrong lifecycle or column fails clearly when it fires.
CREATE TABLE hand (id int PRIMARY KEY, status text);
CREATE TRIGGER bad_lc BEFORE INSERT ON hand FOR EACH ROW EXECUTE FUNCTION mentor.enforce_lifecycle('nope', 'status');
INSERT INTO hand VALUES (1, 'draft');
DROP TRIGGER bad_lc ON hand;
CREATE TRIGGER bad_col BEFORE INSERT ON hand FOR EACH ROW EXECUTE FUNCTION mentor.enforce_lifecycle('slot', 'state');
INSERT INTO hand VALUES (1, 'tentative');
DROP TRIGGER bad_col ON hand;
CREATE TRIGGER bad_args BEFORE INSERT ON hand FOR EACH ROW EXECUTE FUNCTION mentor.enforce_lifecycle('slot');
INSERT INTO hand VALUES (1, 'tentative');
DROP TRIGGER bad_args ON hand;
CREATE TRIGGER bad_timing AFTER INSERT ON hand FOR EACH ROW EXECUTE FUNCTION mentor.enforce_lifecycle('slot', 'status');
INSERT INTO hand VALUES (1, 'tentative');
DROP TRIGGER bad_timing ON hand;
SELECT mentor.enforce_lifecycle();
-- A dropped column is reported, not crashed on.
SELECT mentor.attach_lifecycle('hand', 'status', 'slot');
ALTER TABLE hand RENAME COLUMN status TO state;
INSERT INTO hand VALUES (1, 'tentative');
DROP TABLE hand;

-- Defining lifecycles: {from, to} rows, '[*]' or NULL for the start/end marker.
SELECT mentor.define_lifecycle('review', ARRAY[['[*]', 'draft'], ['draft', 'in_review'],
                                               ['in_review', 'draft'], ['in_review', 'published'],
                                               ['published', NULL]]);
SELECT state, is_initial, is_final, shipped FROM mentor.lifecycles WHERE name = 'review' ORDER BY position;
CREATE TABLE docs (id int PRIMARY KEY, status text NOT NULL);
SELECT mentor.attach_lifecycle('docs', 'status', 'review');
INSERT INTO docs VALUES (1, 'draft');
UPDATE docs SET status = 'published';
-- The new definition is used from the next statement on, in the same transaction too.
BEGIN;
SELECT mentor.define_lifecycle('review', ARRAY[['[*]', 'draft'], ['draft', 'in_review'], ['draft', 'published'],
                                               ['in_review', 'published']]);
UPDATE docs SET status = 'published';
ROLLBACK;
-- ... and forgotten when that transaction rolls back.
UPDATE docs SET status = 'published';
SELECT status FROM docs;

-- Bad definitions are refused whole.
SELECT mentor.define_lifecycle('broken', ARRAY[['a', 'b'], ['b', 'a']]);
SELECT mentor.define_lifecycle('broken', ARRAY[['[*]', 'a'], ['c', 'b']]);
SELECT mentor.define_lifecycle('broken', ARRAY[['[*]', 'Draft']]);
SELECT mentor.define_lifecycle('broken', ARRAY['[*]', 'a']);
SELECT mentor.define_lifecycle('broken', ARRAY[['[*]', 'a', 'b']]);
SELECT mentor.define_lifecycle('Broken!', ARRAY[['[*]', 'a']]);
SELECT mentor.define_lifecycle(NULL, ARRAY[['[*]', 'a']]);
SELECT mentor.define_lifecycle('broken', '{}');
SELECT count(*) AS broken_rows FROM mentor.lifecycles WHERE name = 'broken';

-- Shipped lifecycles can be overridden and reset; the override is what pg_dump keeps.
SELECT mentor.define_lifecycle('suggestion', ARRAY[['[*]', 'pending'], ['pending', 'accepted'],
                                                   ['pending', 'declined'], ['declined', 'pending']]);
SELECT mentor.next_states('suggestion', 'declined');
SELECT lifecycle, count(*) FROM mentor.lifecycle_state_defs WHERE NOT shipped GROUP BY 1 ORDER BY 1;
SELECT mentor.reset_lifecycle('suggestion');
SELECT mentor.next_states('suggestion', 'declined');
SELECT mentor.reset_lifecycle('suggestion');

-- The platforms' own journeys take shortcuts past their diagrams; the shipped lifecycles allow them.
CREATE TABLE journeys (id int PRIMARY KEY, candidate text, pap text, lead text);
SELECT mentor.attach_lifecycle('journeys', 'candidate', 'candidate');
SELECT mentor.attach_lifecycle('journeys', 'pap', 'pap_workflow');
SELECT mentor.attach_lifecycle('journeys', 'lead', 'lead');
INSERT INTO journeys VALUES (1, 'resume_received', 'pending_mou_details', 'active');
UPDATE journeys SET candidate = 'resume_parsed', pap = 'pending_mou_review', lead = 'archived';
UPDATE journeys SET candidate = 'scoring_complete', pap = 'mou_signed_approved', lead = 'active';
UPDATE journeys SET candidate = 'shortlisted', pap = 'pending_pap_approval', lead = 'deleted';
UPDATE journeys SET pap = 'enrolled';
SELECT * FROM journeys;
UPDATE journeys SET lead = 'active';

-- Moving an application's upper-case statuses onto a lifecycle: lower-case them, then attach.
CREATE TYPE legacy_status AS ENUM ('TENTATIVE', 'CONFIRMED', 'COMPLETED');
CREATE TABLE legacy (id int PRIMARY KEY, status legacy_status, note_status text);
INSERT INTO legacy VALUES (1, 'TENTATIVE', 'TENTATIVE'), (2, 'CONFIRMED', 'CONFIRMED');
SELECT mentor.attach_lifecycle('legacy', 'status', 'slot');
DO $$ DECLARE l text; BEGIN
    FOREACH l IN ARRAY enum_range(NULL::legacy_status)::text[] LOOP
        EXECUTE format('ALTER TYPE legacy_status RENAME VALUE %L TO %L', l, lower(l));
    END LOOP;
END $$;
UPDATE legacy SET note_status = lower(note_status);
SELECT mentor.attach_lifecycle('legacy', 'status', 'slot');
SELECT mentor.attach_lifecycle('legacy', 'note_status', 'slot');
UPDATE legacy SET status = 'confirmed', note_status = 'confirmed' WHERE id = 1;
UPDATE legacy SET status = 'tentative' WHERE id = 2;
SELECT * FROM legacy ORDER BY id;

DROP TABLE slots, apps, short_slots, num_slots, docs, journeys, legacy;
DROP TYPE slot_status, short_status, legacy_status;
DROP EXTENSION mentor;
