-- Core module: installation, roles, shared domains, the acting user.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS mentor CASCADE;
RESET client_min_messages;
\set SHOW_CONTEXT never

-- One schema, not relocatable, with its three dependencies.
SELECT extname, extrelocatable, extnamespace::regnamespace
  FROM pg_extension WHERE extname IN ('mentor', 'btree_gist', 'citext', 'pgcrypto') ORDER BY extname;

-- Roles for applications, analysts and administrators.
SELECT rolname, rolcanlogin FROM pg_roles WHERE rolname LIKE 'mentor\_%' ORDER BY rolname;
SELECT pg_has_role('mentor_admin', 'mentor_app', 'MEMBER') AS admin_includes_app;

-- Domains reject bad values with 23514 and name the value.
SELECT 'ada@example.com'::mentor.email, 'Ada@Example.COM'::mentor.email = 'ada@example.com'::mentor.email AS case_insensitive;
SELECT 'ada.example.com'::mentor.email;
SELECT 'ada@@example.com'::mentor.email;
SELECT 'ada@localhost'::mentor.email;
SELECT 'Europe/Berlin'::mentor.time_zone, 'UTC'::mentor.time_zone;
SELECT 'Mars/Olympus_Mons'::mentor.time_zone;
SELECT 'america/new_york'::mentor.time_zone;
SELECT '../../etc/passwd'::mentor.time_zone;
SELECT 5::mentor.rating, 1::mentor.rating;
SELECT 6::mentor.rating;
SELECT 0::mentor.rating;
SELECT 100::mentor.percent;
SELECT 101::mentor.percent;
SELECT 0::mentor.token_amount, 9223372036854775807::mentor.token_amount;
SELECT (-1)::mentor.token_amount;
SELECT 'machine-learning'::mentor.slug;
SELECT 'Machine Learning'::mentor.slug;
-- NULL passes the domains (columns say NOT NULL where they need a value).
SELECT NULL::mentor.email IS NULL AS null_ok;

-- The acting user is transaction-local.
SELECT mentor.current_actor() IS NULL AS no_actor_yet;
INSERT INTO mentor.users (email, username, full_name) VALUES ('actor@example.com', 'actor', 'Acting User');
BEGIN;
SELECT mentor.set_actor(1);
SELECT mentor.current_actor();
COMMIT;
SELECT mentor.current_actor() IS NULL AS cleared_at_commit;
BEGIN;
SELECT mentor.set_actor(1);
SELECT mentor.set_actor(NULL);
SELECT mentor.current_actor() IS NULL AS cleared_by_null;
ROLLBACK;
-- Unknown users and malformed ids are refused.
SELECT mentor.set_actor(999);
SET mentor.actor_id = 'abc';
SET mentor.actor_id = '-3';

-- updated_at follows changes; touch_updated_at refuses tables without the column.
CREATE TABLE core_t (id int PRIMARY KEY, v text);
CREATE TRIGGER t BEFORE UPDATE ON core_t FOR EACH ROW EXECUTE FUNCTION mentor.touch_updated_at();
INSERT INTO core_t VALUES (1, 'a');
UPDATE core_t SET v = 'b';
DROP TABLE core_t;
SELECT mentor.touch_updated_at();

DROP EXTENSION mentor;
