-- The catalog of the mentor extension as sorted text, one line per fact, with
-- names instead of OIDs, so that two databases can be compared by diff: a
-- database updated from an older version must print exactly what a fresh
-- install prints.  The rows the extension ships into its catalogue tables
-- (lifecycles, skills, settings, audited tables) count as catalog too.  Used
-- by test/scripts/upgrade.sh.  Partitions of the history log are data (made as history is
-- written, dumped as tables), not catalog: they are left out.
\pset format unaligned
\pset tuples_only on
\pset footer off
WITH ext AS (SELECT oid, extnamespace FROM pg_extension WHERE extname = 'mentor'),
-- The log's partitions and their indexes (which are not partitions of an index: the log has none).
parts(oid) AS (
    SELECT c.oid FROM pg_class c WHERE c.relispartition
    UNION SELECT i.indexrelid FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid WHERE t.relispartition
),
acl(obj, a) AS (
    SELECT c.oid::regclass::text, c.relacl FROM pg_class c, ext WHERE c.relnamespace = ext.extnamespace AND c.oid NOT IN (SELECT oid FROM parts)
    UNION ALL SELECT p.oid::regprocedure::text, p.proacl FROM pg_proc p, ext WHERE p.pronamespace = ext.extnamespace
    UNION ALL SELECT t.oid::regtype::text, t.typacl FROM pg_type t, ext WHERE t.typnamespace = ext.extnamespace
),
facts(line) AS (
    -- every member of the extension
    SELECT 'member ' || pg_describe_object(d.classid, d.objid, d.objsubid)
      FROM pg_depend d, ext WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = ext.oid AND d.deptype = 'e'
    UNION ALL
    SELECT format('extension version=%s relocatable=%s schema=%s', e.extversion, e.extrelocatable, e.extnamespace::regnamespace)
      FROM pg_extension e WHERE e.extname = 'mentor'
    UNION ALL
    SELECT format('dumped %s %s', x.rel::regclass, x.cond)
      FROM pg_extension e, unnest(e.extconfig, e.extcondition) AS x(rel, cond) WHERE e.extname = 'mentor'
    UNION ALL
    -- relations: kind, options, row-level security; comments
    SELECT format('relation %s kind=%s persistence=%s options=%s rls=%s force_rls=%s comment=%s', c.oid::regclass, c.relkind,
                  c.relpersistence, c.reloptions, c.relrowsecurity, c.relforcerowsecurity, obj_description(c.oid, 'pg_class'))
      FROM pg_class c, ext WHERE c.relnamespace = ext.extnamespace AND c.oid NOT IN (SELECT oid FROM parts)
    UNION ALL
    -- columns, in their order among the live ones
    SELECT format('column %s.%s #%s %s notnull=%s default=%s identity=%s generated=%s collation=%s comment=%s acl=%s',
                  a.attrelid::regclass, a.attname,
                  rank() OVER (PARTITION BY a.attrelid ORDER BY a.attnum),
                  format_type(a.atttypid, a.atttypmod), a.attnotnull, pg_get_expr(ad.adbin, ad.adrelid), a.attidentity,
                  a.attgenerated, a.attcollation::regcollation, col_description(a.attrelid, a.attnum),
                  (SELECT string_agg(format('%s:%s', x.grantee::regrole, x.privilege_type), ',' ORDER BY 1)
                     FROM aclexplode(a.attacl) x))
      FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN ext ON c.relnamespace = ext.extnamespace
      LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
     WHERE a.attnum > 0 AND NOT a.attisdropped AND c.oid NOT IN (SELECT oid FROM parts)
    UNION ALL
    SELECT format('constraint %s %s %s', coalesce(con.conrelid::regclass::text, con.contypid::regtype::text), con.conname,
                  pg_get_constraintdef(con.oid))
      FROM pg_constraint con, ext WHERE con.connamespace = ext.extnamespace
       AND coalesce(con.conrelid, 0) NOT IN (SELECT oid FROM parts)
    UNION ALL
    SELECT 'index ' || pg_get_indexdef(i.indexrelid)
      FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN ext ON c.relnamespace = ext.extnamespace
     WHERE c.oid NOT IN (SELECT oid FROM parts)
    UNION ALL
    SELECT format('trigger %s enabled=%s', pg_get_triggerdef(t.oid), t.tgenabled)
      FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN ext ON c.relnamespace = ext.extnamespace
     WHERE NOT t.tgisinternal AND c.oid NOT IN (SELECT oid FROM parts)
    UNION ALL
    SELECT format('policy %s.%s %s permissive=%s roles=%s using=%s check=%s', p.schemaname, p.tablename, p.policyname,
                  p.cmd, p.permissive, p.roles, p.qual, p.with_check)
      FROM pg_policies p, ext WHERE p.schemaname = ext.extnamespace::regnamespace::text
    UNION ALL
    SELECT format('view %s %s', c.oid::regclass, pg_get_viewdef(c.oid))
      FROM pg_class c, ext WHERE c.relnamespace = ext.extnamespace AND c.relkind IN ('v', 'm')
    UNION ALL
    SELECT format('sequence %s %s %s %s %s %s', s.seqrelid::regclass, s.seqtypid::regtype, s.seqstart, s.seqincrement,
                  s.seqmax, s.seqcycle)
      FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid JOIN ext ON c.relnamespace = ext.extnamespace
    UNION ALL
    SELECT format('function %s comment=%s %s', p.oid::regprocedure, obj_description(p.oid, 'pg_proc'),
                  CASE WHEN p.prokind = 'a' THEN 'aggregate' ELSE pg_get_functiondef(p.oid) END)
      FROM pg_proc p, ext WHERE p.pronamespace = ext.extnamespace
    UNION ALL
    SELECT format('type %s kind=%s comment=%s labels=%s base=%s', t.oid::regtype, t.typtype, obj_description(t.oid, 'pg_type'),
                  (SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid),
                  nullif(t.typbasetype, 0)::regtype)
      FROM pg_type t, ext WHERE t.typnamespace = ext.extnamespace AND t.typtype <> 'c' AND t.typcategory <> 'A'
    UNION ALL
    SELECT format('operator %s(%s,%s) -> %s via %s', o.oprname, o.oprleft::regtype, o.oprright::regtype,
                  o.oprresult::regtype, o.oprcode::regproc)
      FROM pg_operator o, ext WHERE o.oprnamespace = ext.extnamespace
    UNION ALL
    SELECT format('shipped state %s.%s position=%s initial=%s final=%s', d.lifecycle, d.state, d.position, d.is_initial, d.is_final)
      FROM mentor.lifecycle_state_defs d WHERE d.shipped
    UNION ALL
    SELECT format('shipped transition %s %s -> %s', t.lifecycle, t.from_state, t.to_state)
      FROM mentor.lifecycle_transition_defs t WHERE t.shipped
    UNION ALL
    SELECT format('shipped skill %s slug=%s category=%s description=%s', k.name, k.slug, k.category, k.description)
      FROM mentor.skills k WHERE k.shipped
    UNION ALL
    SELECT format('shipped setting %s = %s (%s)', x.key, x.value, x.description) FROM mentor.settings x WHERE x.shipped
    UNION ALL
    SELECT format('shipped history of %s key=%s types=%s excluded=%s private=%s enabled=%s', h.table_name, h.key_columns,
                  h.key_types, h.excluded, h.private, h.enabled)
      FROM mentor.history_tables h WHERE h.shipped
    UNION ALL
    SELECT format('grant %s to %s: %s%s', acl.obj, coalesce(nullif(x.grantee, 0)::regrole::text, 'PUBLIC'), x.privilege_type,
                  CASE WHEN x.is_grantable THEN ' with grant option' ELSE '' END)
      FROM acl, aclexplode(acl.a) x
)
SELECT line FROM facts ORDER BY line COLLATE "C";
