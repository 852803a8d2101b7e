--------------------------------------------------------------------------------
-- Module import: moving another system's past into mentor.  import_rows
-- inserts rows as they were (completed sessions, finished mentorships, users
-- who signed up years ago) with their ids, while constraints, foreign keys,
-- capacity and history still apply; only what a live request would trigger
-- is left out: lifecycle entry states, the no-sessions-in-the-past check, and
-- signup's welcome tokens and login event.
--------------------------------------------------------------------------------

CREATE FUNCTION _import_flag(on_ boolean) RETURNS boolean
    AS 'MODULE_PATHNAME', 'mn_import_flag' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION _import_flag(boolean) IS 'Internal: raises or lowers the import flag of this transaction (mentor.import_rows)';
CREATE FUNCTION _importing() RETURNS boolean
    AS 'MODULE_PATHNAME', 'mn_importing_sql' LANGUAGE C STABLE;
COMMENT ON FUNCTION _importing() IS 'Internal: true while mentor.import_rows inserts rows';

-- The work, with the owner's rights (the tables' own grants keep even
-- administrators from inserting sessions directly); EXECUTE for mentor_admin.
CREATE FUNCTION _import_rows(tbl regclass, rows jsonb) RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
DECLARE
    cols     text;
    unknown  text;
    idcol    name;
    seq      text;
    app      text := current_setting('application_name');
    n        bigint;
BEGIN
    IF tbl IS NULL OR NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = tbl AND c.relnamespace = '@extschema@'::regnamespace AND c.relkind = 'r')
       OR tbl::text ~ '(^|\.)(ledger_|history_|lifecycle_|token_|withdrawals$|settings$)' THEN
        RAISE EXCEPTION 'rows cannot be imported into %', coalesce(tbl::text, 'NULL') USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'Imports go into the extension''s own data tables; tokens (ledger, purchases, allotments, '
                     'withdrawals) move only through the ledger''s functions, history and lifecycles keep themselves.';
    END IF;
    IF rows IS NULL OR jsonb_typeof(rows) <> 'array' OR EXISTS (SELECT 1 FROM jsonb_array_elements(rows) r WHERE jsonb_typeof(r) <> 'object') THEN
        RAISE EXCEPTION 'rows must be a JSON array of objects, one per row' USING ERRCODE = 'invalid_parameter_value',
            HINT = 'SELECT jsonb_agg(to_jsonb(t)) FROM old_table t builds one.';
    END IF;
    IF jsonb_array_length(rows) = 0 THEN
        RETURN 0;
    END IF;
    SELECT string_agg(quote_ident(k), ', ' ORDER BY k) FILTER (WHERE a.attname IS NOT NULL),
           string_agg(k, ', ' ORDER BY k) FILTER (WHERE a.attname IS NULL)
      INTO cols, unknown
      FROM (SELECT DISTINCT jsonb_object_keys(r) AS k FROM jsonb_array_elements(rows) r) keys
      LEFT JOIN pg_attribute a ON a.attrelid = tbl AND a.attname = keys.k AND a.attnum > 0 AND NOT a.attisdropped
                              AND a.attgenerated = '';
    IF unknown IS NOT NULL THEN
        RAISE EXCEPTION 'table % has no column % to import', tbl, unknown USING ERRCODE = 'undefined_column';
    END IF;
    -- The history of these rows names the import as the application that wrote them.
    PERFORM set_config('application_name', 'mentor.import_rows', true);
    PERFORM _import_flag(true);
    BEGIN
        EXECUTE format('INSERT INTO %s (%s) OVERRIDING SYSTEM VALUE SELECT %s FROM jsonb_populate_recordset(NULL::%s, $1)',
                       tbl, cols, cols, tbl) USING rows;
        GET DIAGNOSTICS n = ROW_COUNT;
    EXCEPTION WHEN OTHERS THEN
        PERFORM _import_flag(false);
        RAISE;
    END;
    PERFORM _import_flag(false);
    PERFORM set_config('application_name', app, true);
    -- Imported ids stay unique: the identity continues after the largest.
    SELECT a.attname, pg_get_serial_sequence(tbl::text, a.attname) INTO idcol, seq
      FROM pg_attribute a WHERE a.attrelid = tbl AND a.attidentity <> '' LIMIT 1;
    IF seq IS NOT NULL THEN
        EXECUTE format('SELECT setval(%L, greatest((SELECT max(%I) FROM %s), (SELECT last_value FROM %s)))', seq, idcol, tbl, seq);
    END IF;
    RETURN n;
END
$$;
COMMENT ON FUNCTION _import_rows(regclass, jsonb) IS 'Internal: the insert of mentor.import_rows, with the owner''s rights';

CREATE FUNCTION import_rows(tbl regclass, rows jsonb) RETURNS bigint
LANGUAGE plpgsql
SET search_path = @extschema@, pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT _current_user_is_admin() THEN
        RAISE EXCEPTION 'only administrators import rows' USING ERRCODE = 'insufficient_privilege',
            HINT = 'Run the import as a member of mentor_admin.';
    END IF;
    RETURN _import_rows(tbl, rows);
END
$$;
COMMENT ON FUNCTION import_rows(regclass, jsonb) IS
    'Administrators: inserts another system''s past rows (a JSON array of objects, keys = columns, ids kept) into one '
    'of the extension''s tables, in any state of their lifecycle, sessions in the past included, users without '
    'welcome tokens or a signup event; constraints, foreign keys, capacity and history still apply (history names '
    'the application mentor.import_rows). All rows or none; returns how many';

REVOKE EXECUTE ON FUNCTION _import_flag(boolean), _import_rows(regclass, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION _import_rows(regclass, jsonb) TO mentor_admin;
