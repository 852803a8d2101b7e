--------------------------------------------------------------------------------
-- Module security: grants of the extension's roles.  Later modules add their
-- own objects before this file runs, so the blanket grants below cover them;
-- row-level security policies live with the tables they protect.
--------------------------------------------------------------------------------

GRANT mentor_app TO mentor_admin;

GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA @extschema@ TO mentor_app, mentor_admin;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA @extschema@ TO mentor_app, mentor_admin;

-- Catalogues: applications read them, administrators change them.
REVOKE INSERT, UPDATE, DELETE ON lifecycle_state_defs, lifecycle_transition_defs FROM mentor_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON lifecycle_state_defs, lifecycle_transition_defs TO mentor_admin;
REVOKE INSERT, UPDATE, DELETE ON skills FROM mentor_app;
REVOKE EXECUTE ON FUNCTION define_lifecycle(text, text[]), reset_lifecycle(text),
    _ship_lifecycle(text, text[], boolean), attach_lifecycle(regclass, name, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION define_lifecycle(text, text[]), reset_lifecycle(text),
    attach_lifecycle(regclass, name, text) TO mentor_admin;

-- Analysts: catalogues and (later) analytics views; never users' secrets.
GRANT SELECT ON lifecycles, lifecycle_transitions, skills, user_skills TO mentor_analyst;

-- History: append-only for everyone; read by analysts and administrators.  The
-- trigger writes it without needing rights on it, and reads the registry.
REVOKE INSERT, UPDATE, DELETE ON history_log, history_contexts, history_tables FROM mentor_app;
-- Views read with their owner's rights: revoking the tables alone would leave history readable.
REVOKE SELECT ON history_log, history_contexts, history, history_enabled_tables FROM mentor_app;
GRANT SELECT ON history_tables TO PUBLIC;
GRANT SELECT ON history, history_log, history_contexts, history_enabled_tables TO mentor_analyst, mentor_admin;
GRANT INSERT, UPDATE ON history_tables TO mentor_admin;
GRANT DELETE ON history_log TO mentor_admin;
REVOKE EXECUTE ON FUNCTION enable_history(regclass, text[]), disable_history(regclass), prune_history(timestamptz),
    _enable_history_shipped(regclass, text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION enable_history(regclass, text[]), disable_history(regclass), prune_history(timestamptz)
    TO mentor_admin;
