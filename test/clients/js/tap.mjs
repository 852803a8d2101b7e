// TAP output and the error plumbing the JS clients share: the SQLSTATE, detail
// and hint of a refusal, read from wherever the ORM keeps pg's error.
let n = 0;

export function ok(cond, what, diag) {
    n += 1;
    console.log(`${cond ? "ok" : "not ok"} ${n} - ${what}`);
    if (!cond && diag !== undefined) console.log(`# ${typeof diag === "string" ? diag : JSON.stringify(diag)}`);
    return cond;
}

export function done() {
    console.log(`1..${n}`);
}

// pg's DatabaseError: TypeORM copies its fields onto QueryFailedError (and keeps
// it as driverError); Drizzle wraps it in DrizzleQueryError.cause; Prisma's
// driver adapter passes it on as meta.driverAdapterError.cause (code and
// originalCode the SQLSTATE; code too, unless Prisma named the error itself).
export function pgError(e) {
    if (!e) return undefined;
    if (e.driverError) return e.driverError;
    if (e.meta?.driverAdapterError?.cause) return e.meta.driverAdapterError.cause;
    if (e.cause && e.cause.code) return e.cause;
    return e;
}

export const sqlstate = (e) => pgError(e)?.originalCode ?? pgError(e)?.code;
export const detail = (e) => pgError(e)?.detail ?? "";
export const hint = (e) => pgError(e)?.hint ?? "";

export function connection() {
    return {
        host: process.env.PGHOST || undefined,
        port: process.env.PGPORT ? Number(process.env.PGPORT) : undefined,
        database: process.env.PGDATABASE,
        user: process.env.PGUSER,
        password: process.env.PGPASSWORD,
    };
}

export function adminConnection() {
    return { ...connection(), user: process.env.CLIENT_ADMIN_USER, password: process.env.CLIENT_ADMIN_PASSWORD };
}
