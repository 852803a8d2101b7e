--------------------------------------------------------------------------------
-- Module lifecycle: status state machines and the C trigger that enforces them.
--------------------------------------------------------------------------------

-- Storage.  Shipped rows come with the extension; rows with shipped = false
-- are the database's own definitions (new lifecycles or overrides of shipped
-- ones).  Keeping both lets pg_dump save only the database's own rows and a
-- restore recreate the same effective definitions.
CREATE TABLE lifecycle_state_defs (
    lifecycle   text     NOT NULL,
    state       text     NOT NULL,
    position    integer  NOT NULL,
    is_initial  boolean  NOT NULL DEFAULT false,
    is_final    boolean  NOT NULL DEFAULT false,
    shipped     boolean  NOT NULL DEFAULT false,
    PRIMARY KEY (lifecycle, shipped, state)
);
COMMENT ON TABLE lifecycle_state_defs IS
    'Storage of lifecycle states; read mentor.lifecycles, write through mentor.define_lifecycle()';
COMMENT ON COLUMN lifecycle_state_defs.position IS 'Order of first appearance in the definition (diagram order)';
COMMENT ON COLUMN lifecycle_state_defs.shipped IS
    'true: shipped with the extension; false: defined in this database (overrides a shipped lifecycle of the same name)';

CREATE TABLE lifecycle_transition_defs (
    lifecycle   text     NOT NULL,
    from_state  text     NOT NULL,
    to_state    text     NOT NULL,
    shipped     boolean  NOT NULL DEFAULT false,
    note        text,    -- added in 0.2
    PRIMARY KEY (lifecycle, shipped, from_state, to_state),
    FOREIGN KEY (lifecycle, shipped, from_state) REFERENCES lifecycle_state_defs ON DELETE CASCADE,
    FOREIGN KEY (lifecycle, shipped, to_state) REFERENCES lifecycle_state_defs ON DELETE CASCADE
);
COMMENT ON TABLE lifecycle_transition_defs IS
    'Storage of lifecycle transitions; read mentor.lifecycle_transitions, write through mentor.define_lifecycle()';
-- A column outside the two foreign keys also keeps ORMs that reflect the schema (SQLAlchemy's
-- automap) from taking the table for a many-to-many link of states to themselves, which fails.
COMMENT ON COLUMN lifecycle_transition_defs.note IS 'A note of this database on the transition (why it exists); free text';

SELECT pg_catalog.pg_extension_config_dump('lifecycle_state_defs', 'WHERE NOT shipped');
SELECT pg_catalog.pg_extension_config_dump('lifecycle_transition_defs', 'WHERE NOT shipped');

-- The effective definitions: the database's own when it has one, else the shipped one.
CREATE VIEW lifecycles AS
SELECT d.lifecycle AS name, d.state, d.is_initial, d.is_final, d.position, d.shipped
  FROM @extschema@.lifecycle_state_defs d
 WHERE NOT d.shipped
    OR NOT EXISTS (SELECT 1 FROM @extschema@.lifecycle_state_defs o
                    WHERE o.lifecycle = d.lifecycle AND NOT o.shipped);
COMMENT ON VIEW lifecycles IS 'States of every lifecycle in force (one row per state)';
COMMENT ON COLUMN lifecycles.is_initial IS 'A new row may start in this state';
COMMENT ON COLUMN lifecycles.is_final IS 'No transition leaves this state (or the definition ends it with [*])';
COMMENT ON COLUMN lifecycles.shipped IS 'Shipped with the extension (false: defined in this database)';

CREATE VIEW lifecycle_transitions AS
SELECT t.lifecycle AS name, t.from_state, t.to_state
  FROM @extschema@.lifecycle_transition_defs t
 WHERE NOT t.shipped
    OR NOT EXISTS (SELECT 1 FROM @extschema@.lifecycle_state_defs o
                    WHERE o.lifecycle = t.lifecycle AND NOT o.shipped);
COMMENT ON VIEW lifecycle_transitions IS 'Allowed transitions of every lifecycle in force (keeping a state is always allowed)';

CREATE FUNCTION _table_cache_changed() RETURNS trigger
    AS 'MODULE_PATHNAME', 'mn_table_cache_changed' LANGUAGE C;
COMMENT ON FUNCTION _table_cache_changed() IS
    'Internal: statement trigger that makes every backend drop what it caches from the table (lifecycles, settings, '
    'ledger accounts); also a row trigger enabled for replicas, for rows a subscription applies';

CREATE TRIGGER lifecycle_cache_invalidate
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON lifecycle_state_defs
    FOR EACH STATEMENT EXECUTE FUNCTION _table_cache_changed();
CREATE TRIGGER lifecycle_cache_invalidate
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON lifecycle_transition_defs
    FOR EACH STATEMENT EXECUTE FUNCTION _table_cache_changed();
-- The core module's settings, which C code caches too (settings.c).
CREATE TRIGGER settings_cache_invalidate
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON settings
    FOR EACH STATEMENT EXECUTE FUNCTION _table_cache_changed();
-- On a logical-replication subscriber the rows arrive through the apply worker, which
-- runs with session_replication_role = replica and fires row triggers enabled for replicas
-- only: these drop the same caches there (on a primary they never fire).
CREATE TRIGGER lifecycle_cache_invalidate_apply
    AFTER INSERT OR UPDATE OR DELETE ON lifecycle_state_defs
    FOR EACH ROW EXECUTE FUNCTION _table_cache_changed();
ALTER TABLE lifecycle_state_defs ENABLE REPLICA TRIGGER lifecycle_cache_invalidate_apply;
CREATE TRIGGER lifecycle_cache_invalidate_apply
    AFTER INSERT OR UPDATE OR DELETE ON lifecycle_transition_defs
    FOR EACH ROW EXECUTE FUNCTION _table_cache_changed();
ALTER TABLE lifecycle_transition_defs ENABLE REPLICA TRIGGER lifecycle_cache_invalidate_apply;
CREATE TRIGGER settings_cache_invalidate_apply
    AFTER INSERT OR UPDATE OR DELETE ON settings
    FOR EACH ROW EXECUTE FUNCTION _table_cache_changed();
ALTER TABLE settings ENABLE REPLICA TRIGGER settings_cache_invalidate_apply;

CREATE FUNCTION enforce_lifecycle() RETURNS trigger
    AS 'MODULE_PATHNAME', 'mn_enforce_lifecycle' LANGUAGE C;
COMMENT ON FUNCTION enforce_lifecycle() IS
    'BEFORE INSERT OR UPDATE OF col FOR EACH ROW trigger, arguments (lifecycle, column): new rows start in an '
    'initial state, updates follow a listed transition; otherwise MN001 listing the allowed next states';

CREATE FUNCTION next_states(lifecycle text, state text) RETURNS text[]
    AS 'MODULE_PATHNAME', 'mn_next_states' LANGUAGE C STABLE STRICT;
COMMENT ON FUNCTION next_states(text, text) IS
    'States one transition away from state in lifecycle, in diagram order (empty for a final state)';

CREATE FUNCTION define_lifecycle(name text, transitions text[]) RETURNS integer
    AS 'MODULE_PATHNAME', 'mn_define_lifecycle' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION define_lifecycle(text, text[]) IS
    'Defines or replaces a lifecycle from {from, to} pairs; NULL or ''[*]'' is the diagrams'' [*] '
    '(ARRAY[[NULL,''draft''],[''draft'',''done'']]). Overrides a shipped lifecycle of that name. '
    'Returns the number of transitions stored; every session honours it from its next statement';

CREATE FUNCTION _ship_lifecycle(name text, transitions text[], shipped boolean) RETURNS integer
    AS 'MODULE_PATHNAME', 'mn_define_lifecycle' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION _ship_lifecycle(text, text[], boolean) IS
    'Internal: stores a lifecycle shipped with the extension';

CREATE FUNCTION reset_lifecycle(name text) RETURNS boolean
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    DELETE FROM lifecycle_state_defs d WHERE d.lifecycle = reset_lifecycle.name AND NOT d.shipped;
    RETURN FOUND;
END
$$;
COMMENT ON FUNCTION reset_lifecycle(text) IS
    'Removes this database''s definition of a lifecycle: a shipped one returns to its shipped form, '
    'a custom one disappears. True if there was a definition to remove';

CREATE FUNCTION attach_lifecycle(tbl regclass, col name, lifecycle text) RETURNS void
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    coltype   oid;
    relname   text := tbl::text;
    missing   text[];
    chosen    text := lifecycle;       -- the lifecycle in force ('setting:<key>': the setting's value)
BEGIN
    IF lifecycle LIKE 'setting:%' THEN
        chosen := setting(substr(lifecycle, 9)) #>> '{}';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM lifecycles l WHERE l.name = chosen) THEN
        RAISE EXCEPTION 'lifecycle "%" does not exist', chosen
            USING ERRCODE = 'undefined_object',
                  HINT = 'SELECT DISTINCT name FROM mentor.lifecycles lists them; mentor.define_lifecycle() adds one.';
    END IF;
    SELECT a.atttypid INTO coltype
      FROM pg_attribute a
     WHERE a.attrelid = tbl AND a.attname = col AND a.attnum > 0 AND NOT a.attisdropped;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'column "%" of table % does not exist', col, relname
            USING ERRCODE = 'undefined_column';
    END IF;
    -- An enum label that is not a state could be stored but never judged.  A lifecycle
    -- chosen by a setting is one of several over the same enum, each using part of it.
    IF lifecycle LIKE 'setting:%' THEN
        NULL;
    ELSIF EXISTS (SELECT 1 FROM pg_type WHERE oid = coltype AND typtype = 'e') THEN
        SELECT array_agg(e.enumlabel::text ORDER BY e.enumsortorder) INTO missing
          FROM pg_enum e
         WHERE e.enumtypid = coltype
           AND NOT EXISTS (SELECT 1 FROM lifecycles l
                            WHERE l.name = attach_lifecycle.lifecycle AND l.state = e.enumlabel::text);
        IF missing IS NOT NULL THEN
            RAISE EXCEPTION 'enum % of column % has labels that are not states of lifecycle "%"',
                            coltype::regtype, col, lifecycle
                USING ERRCODE = 'invalid_parameter_value',
                      DETAIL = format('Labels without a state: %s.', array_to_string(missing, ', ')),
                      HINT = 'Add the states with mentor.define_lifecycle(), or use a matching enum.';
        END IF;
    ELSIF NOT EXISTS (SELECT 1 FROM pg_type WHERE oid = coltype AND typcategory = 'S') THEN
        RAISE EXCEPTION 'column % of table % has type %, which cannot hold lifecycle states',
                        col, relname, coltype::regtype
            USING ERRCODE = 'datatype_mismatch',
                  HINT = 'Use an enum or a string column (text, varchar, citext).';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = tbl AND tgname = 'lifecycle_' || col) THEN
        EXECUTE format('DROP TRIGGER %I ON %s', 'lifecycle_' || col, tbl);
    END IF;
    EXECUTE format('CREATE TRIGGER %I BEFORE INSERT OR UPDATE OF %I ON %s FOR EACH ROW '
                   'EXECUTE FUNCTION @extschema@.enforce_lifecycle(%L, %L)',
                   'lifecycle_' || col, col, tbl, lifecycle, col);
END
$$;
COMMENT ON FUNCTION attach_lifecycle(regclass, name, text) IS
    'Creates (or replaces) the trigger lifecycle_<col> that enforces a lifecycle on a status column, '
    'after checking that the lifecycle and column exist and an enum column''s labels are all states. '
    'lifecycle ''setting:<key>'' lets a setting name the lifecycle (sessions: ''setting:session.flow'')';
