--------------------------------------------------------------------------------
-- Module dump: pg_dump keeps the data of every table of the extension.
-- Tables created by an extension are left out of a dump unless registered;
-- catalogue tables with shipped rows registered themselves with a filter
-- (WHERE NOT shipped), everything else is registered here whole, with the
-- sequences behind identity columns so restored ids do not collide.
-- Restore with session_replication_role = replica (README, "Backup and
-- restore") so that triggers do not fire a second time on restored rows.
--------------------------------------------------------------------------------
DO $dump$
DECLARE
    registered oid[] := (SELECT coalesce(extconfig, '{}') FROM pg_extension WHERE extname = 'mentor');
    rel        record;
BEGIN
    FOR rel IN
        SELECT c.oid, c.relname FROM pg_class c
         WHERE c.relnamespace = '@extschema@'::regnamespace AND c.relkind = 'r'
           AND NOT c.oid = ANY (registered)
         ORDER BY c.oid
    LOOP
        PERFORM pg_catalog.pg_extension_config_dump(rel.oid::regclass, '');
    END LOOP;
    FOR rel IN
        SELECT s.oid FROM pg_class s
          JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = s.oid AND d.deptype IN ('a', 'i')
          JOIN pg_class t ON t.oid = d.refobjid
         WHERE s.relkind = 'S' AND t.relnamespace = '@extschema@'::regnamespace
           AND NOT s.oid = ANY (registered)
    LOOP
        PERFORM pg_catalog.pg_extension_config_dump(rel.oid::regclass, '');
    END LOOP;
END
$dump$;
