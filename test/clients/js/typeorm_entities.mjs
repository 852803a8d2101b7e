// The TypeORM entities of the core tables, as the README recommends them:
// entity schemas with synchronize, so that schema sync and
// migration:generate leave the extension's tables alone; columns the
// extension keeps are insert: false, update: false.  Used by typeorm_client.mjs
// and, through typeorm_datasource.mjs, by the TypeORM CLI.
import "reflect-metadata";
import { DataSource, EntitySchema } from "typeorm";
import { connection } from "./tap.mjs";

const schema = "mentor";
// The tests also try the entities without the setting (MENTOR_TYPEORM_SYNCHRONIZE=1),
// to show what it prevents.
const synchronize = process.env.MENTOR_TYPEORM_SYNCHRONIZE === "1";
const id = { type: "bigint", primary: true, generated: "identity", generatedIdentity: "ALWAYS" };
// Columns the database fills or keeps are insert: false / update: false, so a save never sends them.
const kept = { insert: false, update: false };

export const entities = {
    // The in-app inbox, read-only to the application (rows written by mentor.notify()).
    Notification: new EntitySchema({
        name: "Notification", tableName: "notifications", schema, synchronize,
        columns: {
            id,
            user_id: { type: "bigint", ...kept },
            type_code: { type: "text", ...kept },
            channel_code: { type: "text", ...kept },
            payload: { type: "jsonb", ...kept },
            read_at: { type: "timestamptz", nullable: true, ...kept },
        },
    }),
    User: new EntitySchema({
        name: "User", tableName: "users", schema, synchronize,
        columns: {
            id,
            email: { type: "text" },
            username: { type: "text", nullable: true },
            full_name: { type: "text" },
            role: { type: "text", default: () => "'user'" },
            active: { type: "boolean", ...kept },
            created_at: { type: "timestamptz", createDate: true, ...kept },
            updated_at: { type: "timestamptz", updateDate: true },
        },
    }),
    Profile: new EntitySchema({
        name: "Profile", tableName: "profiles", schema, synchronize,
        columns: {
            id,
            user_id: { type: "bigint" },
            headline: { type: "text", nullable: true },
            years_of_experience_text: { type: "text", nullable: true },
            years_of_experience: { type: "smallint", nullable: true },
            updated_at: { type: "timestamptz", updateDate: true },
        },
    }),
    MentorProfile: new EntitySchema({
        name: "MentorProfile", tableName: "mentor_profiles", schema, synchronize,
        columns: {
            id,
            user_id: { type: "bigint" },
            headline: { type: "text", nullable: true },
            price_tokens: { type: "bigint" },
            max_mentees: { type: "int" },
            active_mentees: { type: "int", ...kept },
            availability: { type: "text", nullable: true },   // the availability type as its text form
            updated_at: { type: "timestamptz", updateDate: true },
        },
    }),
    Session: new EntitySchema({
        name: "Session", tableName: "sessions", schema, synchronize,
        columns: {
            id,
            mentor_id: { type: "bigint" },
            mentee_id: { type: "bigint", nullable: true },
            during: { type: "tstzrange" },
            starts_at: { type: "timestamptz", ...kept },
            ends_at: { type: "timestamptz", ...kept },
            status: { type: "text", ...kept },
            price_tokens: { type: "bigint" },
            title: { type: "text", nullable: true },
            description: { type: "text", nullable: true },
            updated_at: { type: "timestamptz", updateDate: true },
        },
    }),
    LedgerAccount: new EntitySchema({
        name: "LedgerAccount", tableName: "ledger_accounts", schema, synchronize,
        columns: {
            id,
            owner_id: { type: "bigint", nullable: true },
            kind: { type: "text" },
            posted: { type: "bigint" },
        },
    }),
    CourseTask: new EntitySchema({
        name: "CourseTask", tableName: "course_tasks", schema, synchronize,
        columns: { id, task_id: { type: "bigint" }, crosscheck_status: { type: "text", ...kept } },
    }),
    Note: new EntitySchema({
        name: "Note", tableName: "mentorship_notes", schema, synchronize,
        columns: {
            id,
            mentorship_id: { type: "bigint", nullable: true },
            author_id: { type: "bigint" },
            body: { type: "text" },
            shared: { type: "boolean", default: false },
        },
    }),
};

export function dataSource({ user, ...conn } = connection(), extra = {}) {
    return new DataSource({ type: "postgres", ...conn, username: user, entities: Object.values(entities),
                            synchronize, ...extra });
}
