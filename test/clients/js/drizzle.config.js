// drizzle-kit as the README recommends it for mentor: only schema mentor is
// introspected (pull), and nothing is pushed or migrated there (the
// extension owns it; CREATE EXTENSION and ALTER EXTENSION UPDATE change it).
export default {
    dialect: "postgresql",
    schemaFilter: ["mentor"],
    // The lifecycle definitions are the extension's catalog; their composite keys
    // make drizzle-kit write relations with clashing names.
    tablesFilter: ["!lifecycle_state_defs", "!lifecycle_transition_defs"],
    out: process.env.DRIZZLE_OUT ?? "drizzle",
    dbCredentials: {
        host: process.env.PGHOST ?? "localhost",
        port: Number(process.env.PGPORT ?? 5432),
        user: process.env.PGUSER,
        password: process.env.PGPASSWORD,
        database: process.env.PGDATABASE,
        ssl: false,
    },
};
