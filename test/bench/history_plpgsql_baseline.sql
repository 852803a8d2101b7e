-- The baseline the history benchmark compares against: a minimal PL/pgSQL
-- trigger writing the same information as mentor.history_trigger() (time,
-- transaction, actor, session user, application, table, operation, key,
-- whole row on insert/delete, changed columns' old and new values on update).
CREATE TABLE bench_audit_plpgsql (
    at timestamptz NOT NULL, txid xid8 NOT NULL, actor_id bigint, db_user text, application_name text,
    table_name text NOT NULL, op "char" NOT NULL, row_key jsonb, old_row jsonb, new_row jsonb);
CREATE INDEX ON bench_audit_plpgsql (table_name, row_key);
CREATE INDEX ON bench_audit_plpgsql USING brin (at);

CREATE FUNCTION bench_plpgsql_audit() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    o jsonb; n jsonb; oc jsonb; nc jsonb;
BEGIN
    IF TG_OP = 'INSERT' THEN
        n := to_jsonb(NEW);
        INSERT INTO bench_audit_plpgsql VALUES (clock_timestamp(), pg_current_xact_id(), mentor.current_actor(), session_user,
            current_setting('application_name'), TG_TABLE_NAME, 'I', jsonb_build_object('id', n->'id'), NULL, n);
    ELSIF TG_OP = 'UPDATE' THEN
        o := to_jsonb(OLD); n := to_jsonb(NEW);
        SELECT jsonb_object_agg(key, value) INTO oc FROM jsonb_each(o) WHERE n -> key IS DISTINCT FROM value;
        IF oc IS NULL THEN
            RETURN NULL;
        END IF;
        SELECT jsonb_object_agg(key, n -> key) INTO nc FROM jsonb_object_keys(oc) key;
        INSERT INTO bench_audit_plpgsql VALUES (clock_timestamp(), pg_current_xact_id(), mentor.current_actor(), session_user,
            current_setting('application_name'), TG_TABLE_NAME, 'U', jsonb_build_object('id', n->'id'), oc, nc);
    ELSE
        o := to_jsonb(OLD);
        INSERT INTO bench_audit_plpgsql VALUES (clock_timestamp(), pg_current_xact_id(), mentor.current_actor(), session_user,
            current_setting('application_name'), TG_TABLE_NAME, 'D', jsonb_build_object('id', o->'id'), o, NULL);
    END IF;
    RETURN NULL;
END $$;
