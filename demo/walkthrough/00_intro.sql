-- Walkthrough helpers: demo.try() runs a statement that is expected to fail
-- and shows the error the way an application receives it.
CREATE SCHEMA IF NOT EXISTS demo;
CREATE OR REPLACE FUNCTION demo.try(stmt text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    msg text; detail text; code text;
BEGIN
    EXECUTE stmt;
    RETURN 'succeeded';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL, code = RETURNED_SQLSTATE;
    RETURN format('ERROR %s: %s', code, msg) || CASE WHEN detail <> '' THEN E'\n  DETAIL: ' || detail ELSE '' END;
END
$$;
-- Steps that act as the application (SET ROLE mentor_app) show their refusals with it too.
GRANT USAGE ON SCHEMA demo TO mentor_app;
\pset footer off
\echo '================================================================'
\echo ' mentor walkthrough: each step prints what it does, then the result'
\echo '================================================================'
