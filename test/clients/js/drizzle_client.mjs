// drizzle-orm 0.45 + drizzle-kit 0.31 + pg against mentor, as a backend would
// use it.  The schema is what drizzle-kit pull writes, fixed up by the command
// and column types the README documents (read from README.md itself, so the
// README is what is tested), compiled by tsc; then the same scenario as the
// other clients through drizzle's query builder and sql``.  Connects as a
// login granted mentor_app only.  Prints TAP.
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { promisify } from "node:util";
import { and, count, eq, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import pg from "pg";
import { adminConnection, connection, detail, done, hint, ok, sqlstate } from "./tap.mjs";

const here = import.meta.dirname;
const work = join(here, "build", "drizzle");
const run = async (cmd, args, opts = {}) => {
    try {
        const r = await promisify(execFile)(cmd, args, { cwd: work, maxBuffer: 1 << 26, ...opts });
        return { code: 0, out: r.stdout + r.stderr };
    } catch (x) {
        return { code: x.code ?? 1, out: `${x.stdout ?? ""}${x.stderr ?? ""}${x.message}` };
    }
};

// The README block that starts with the given first line.
function readmeBlock(firstLine) {
    const readme = readFileSync(join(here, "..", "..", "..", "README.md"), "utf8");
    for (const m of readme.matchAll(/```(\w+)\n([\s\S]*?)```/g)) {
        if (m[2].split("\n")[0].trim() === firstLine) return m[2];
    }
    throw new Error(`README.md has no code block starting with ${firstLine}`);
}

async function pullAndCompile() {
    rmSync(work, { recursive: true, force: true });
    mkdirSync(join(work, "drizzle"), { recursive: true });
    writeFileSync(join(work, "package.json"), '{ "type": "commonjs" }\n');
    writeFileSync(join(work, "drizzle", "mentor_types.ts"), readmeBlock("// drizzle/mentor_types.ts"));
    const pull = await run("npx", ["drizzle-kit", "pull", "--config", join(here, "drizzle.config.js")],
                           { env: { ...process.env, PGOPTIONS: "-c search_path=public", DRIZZLE_OUT: join(work, "drizzle") } });
    const pulled = pull.code === 0 ? readFileSync(join(work, "drizzle", "schema.ts"), "utf8") : "";
    const tables = (pulled.match(/= mentor\.table\(/g) ?? []).length;
    ok(pull.code === 0 && tables >= 40, `drizzle-kit pull reads schema mentor (${tables} tables)`, pull.out.slice(-800));
    const fix = await run("bash", ["-c", readmeBlock("# drizzle-pull-fixup")]);
    const fixed = readFileSync(join(work, "drizzle", "schema.ts"), "utf8");
    ok(fix.code === 0 && !/unknown\(/.test(fixed) && /unknown\(/.test(pulled),
       "the README's fixup gives every column drizzle-kit could not name one of the documented types", fix.out);
    writeFileSync(join(work, "tsconfig.json"), JSON.stringify({
        compilerOptions: { target: "ES2022", module: "commonjs", strict: true, skipLibCheck: true, outDir: "js",
                           rootDir: "drizzle", types: [], typeRoots: [join(here, "node_modules", "@types")] },
        include: ["drizzle/*.ts"],
    }));
    const tsc = await run(join(here, "node_modules", ".bin", "tsc"), ["-p", "."]);
    ok(tsc.code === 0, "the pulled schema and relations compile with tsc --strict", tsc.out.slice(0, 1500));
    const require = createRequire(join(work, "js", "x.js"));
    return { ...require("./schema.js"), ...require("./relations.js") };
}

// The error a statement raises inside a nested transaction (a savepoint), undefined when it succeeds.
async function refused(tx, fn) {
    try {
        await tx.transaction(fn);
    } catch (e) {
        return e;
    }
    return undefined;
}

const one = async (db, q) => Object.values((await db.execute(q)).rows[0])[0];

async function main() {
    const schema = await pullAndCompile();
    const { usersInMentor: users, profilesInMentor: profiles, mentorProfilesInMentor: mentorProfiles,
            sessionsInMentor: sessions, ledgerAccountsInMentor: accounts, courseTasksInMentor: courseTasks,
            tasksInMentor: tasks, mentorshipNotesInMentor: notes } = schema;
    const pool = new pg.Pool(connection());
    const db = drizzle(pool, { schema });

    const [mentor] = await db.select().from(users).where(eq(users.username, "cl_mentor"));
    ok(mentor?.role === "mentor", "the pulled schema maps: a user read through the query builder (citext, enum)");
    const [lin] = await db.insert(users).values({ email: "Lin.Drizzle@Example.com", username: "lin_drizzle",
                                                  fullName: "Lin Drizzle", role: "mentee" }).returning();
    ok(lin?.id > 0 && lin.timeZone === "UTC", "an insert signs a user up and returns the row with its defaults", lin);
    const same = await db.select({ id: users.id }).from(users).where(eq(users.email, "lin.drizzle@example.com"));
    ok(same.length === 1 && same[0].id === lin.id, "the email matches in any case (citext)");
    const rel = await db.query.usersInMentor.findFirst({ where: eq(users.id, lin.id), with: { profilesInMentors: true } });
    ok(rel?.profilesInMentors?.length === 1, "the pulled relations work: the user with the profile signup made", rel);
    const [wallet] = await db.select().from(accounts).where(and(eq(accounts.ownerId, lin.id), eq(accounts.kind, "wallet")));
    ok(Number(wallet?.posted) === 0, "the ledger accounts map read-only: the new wallet holds 0");

    await db.update(profiles).set({ headline: "Distributed systems", yearsOfExperienceText: "3-5" })
        .where(eq(profiles.userId, lin.id));
    const [p] = await db.select().from(profiles).where(eq(profiles.userId, lin.id));
    ok(p.yearsOfExperience === 3, "a profile updated; the typed experience gives its number", p.yearsOfExperience);
    await db.update(mentorProfiles).set({ availability: "Sat 10:00-14:00 @ Asia/Tokyo" })
        .where(eq(mentorProfiles.userId, mentor.id));
    const [mp] = await db.select().from(mentorProfiles).where(eq(mentorProfiles.userId, mentor.id));
    ok(/Sat 10:00-14:00/.test(mp.availability) && /Asia\/Tokyo/.test(mp.availability),
       "availability written and read back through its documented column type", mp.availability);
    let e = await refused(db, (tx) => tx.update(mentorProfiles).set({ availability: "Sat 10:00" })
        .where(eq(mentorProfiles.userId, mentor.id)));
    ok(/^22/.test(sqlstate(e) ?? ""), "a bad availability text is refused with a 22xxx SQLSTATE", e?.message);
    e = await refused(db, (tx) => tx.update(mentorProfiles).set({ activeMentees: 9 }).where(eq(mentorProfiles.userId, mentor.id)));
    ok(sqlstate(e) === "42501" && hint(e) !== "", "a counter the extension keeps is refused with 42501 and a hint", e?.message);

    const slot = await db.transaction(async (tx) => {
        await tx.execute(sql`SELECT mentor.set_actor(${lin.id})`);
        const s = await one(tx, sql`SELECT mentor.publish_slot(${mentor.id}, tstzrange(date_trunc('hour', now()) + interval '5 days',
                                                                  date_trunc('hour', now()) + interval '5 days 1 hour'))`);
        const err = await refused(tx, (t) => t.execute(sql`SELECT mentor.book_session(${s}, ${lin.id}, ${randomUUID()})`));
        ok(sqlstate(err) === "MN002" && /available/.test(err?.cause?.message ?? err?.message),
           "booking without tokens: MN002 from the error's cause", err?.message);
        return Number(s);
    });
    const admin = new pg.Pool(adminConnection());
    await admin.query("SELECT mentor.transfer(gen_random_uuid(), mentor.system_account('external'), mentor.wallet($1), 100, 'purchase')",
                      [lin.id]);
    await admin.end();

    await db.transaction(async (tx) => {
        await tx.execute(sql`SELECT mentor.set_actor(${lin.id})`);
        const booking = randomUUID();
        const first = await one(tx, sql`SELECT mentor.book_session(${slot}, ${lin.id}, ${booking})`);
        const again = await one(tx, sql`SELECT mentor.book_session(${slot}, ${lin.id}, ${booking})`);
        ok(Number(first) === slot && Number(again) === slot, "book_session through sql``, retried with its id, returns the session");
        const [s] = await tx.select().from(sessions).where(eq(sessions.id, slot));
        ok(s.status === "confirmed" && typeof s.during === "string"
           && new Date(s.endsAt) - new Date(s.startsAt) === 3600 * 1000,
           "the session maps: its range as text, startsAt and endsAt as timestamps", s);
        await tx.update(sessions).set({ title: "Consensus", description: "Raft by hand" }).where(eq(sessions.id, slot));
        const [s2] = await tx.select({ title: sessions.title }).from(sessions).where(eq(sessions.id, slot));
        ok(s2.title === "Consensus", "a session's title updated through the query builder");
        let err = await refused(tx, (t) => t.update(sessions).set({ status: "completed" }).where(eq(sessions.id, slot)));
        ok(sqlstate(err) === "42501", "its status is the functions' (42501 for an UPDATE)", err?.message);
        err = await refused(tx, (t) => t.execute(sql`SELECT mentor.publish_slot(${mentor.id},
            tstzrange(date_trunc('hour', now()) + interval '5 days', date_trunc('hour', now()) + interval '5 days 1 hour'))`));
        ok(sqlstate(err) === "23P01" && /overlaps/.test(detail(err)), "a double booking: 23P01, the detail naming the session",
           err?.message);
        err = await refused(tx, (t) => t.execute(sql`SELECT mentor.complete_session(${slot})`));
        ok(sqlstate(err) === "MN006", "completing a session that has not started: MN006", err?.message);
        const spend = randomUUID();
        await tx.execute(sql`SELECT mentor.spend_tokens(${lin.id}, 5, mentor.system_account('revenue'), ${spend})`);
        await tx.execute(sql`SELECT mentor.spend_tokens(${lin.id}, 5, mentor.system_account('revenue'), ${spend})`);
        const left = await one(tx, sql`SELECT (mentor.balance(mentor.wallet(${lin.id}))).available`);
        ok(Number(left) === 65, "a spend retried with its id moves the tokens once (100 - 30 held - 5 = 65)", left);
    });

    const ms = await db.transaction(async (tx) => {
        await tx.execute(sql`SELECT mentor.set_actor(${mentor.id})`);
        const m = Number(await one(tx, sql`INSERT INTO mentor.mentorships (mentor_id, mentee_id) VALUES (${mentor.id}, ${lin.id})
                                           RETURNING id`));
        const err = await refused(tx, (t) => t.execute(sql`SELECT mentor.complete_mentorship(${m})`));
        ok(sqlstate(err) === "MN001" && /may move/.test(detail(err)), "completing a pending mentorship: MN001, the allowed moves",
           err?.message);
        await tx.execute(sql`SELECT mentor.activate_mentorship(${m})`);
        await tx.insert(notes).values({ mentorshipId: m, authorId: mentor.id, body: "private: Lin wants to lead" });
        const [c] = await tx.select({ n: count() }).from(notes).where(eq(notes.mentorshipId, m));
        ok(c.n === 1, "the author reads her private note");
        return m;
    });
    await db.transaction(async (tx) => {
        await tx.execute(sql`SELECT mentor.set_actor(${lin.id})`);
        const [c] = await tx.select({ n: count() }).from(notes).where(eq(notes.mentorshipId, ms));
        ok(c.n === 0, "the mentee does not see the mentor's private note (row-level security)");
    });

    const [task] = await db.select({ id: courseTasks.id }).from(courseTasks)
        .innerJoin(tasks, eq(tasks.id, courseTasks.taskId)).where(eq(tasks.name, "drizzle"));
    const pairs = await one(db, sql`SELECT mentor.crosscheck_distribute(${task.id}, seed => 1)`);
    const report = (await db.execute(sql`SELECT * FROM mentor.crosscheck_report(${task.id})`)).rows[0];
    const [after] = await db.select({ status: courseTasks.crosscheckStatus }).from(courseTasks).where(eq(courseTasks.id, task.id));
    ok(pairs === 10 && after.status === "distributed" && report.pairs === 10 && report.max_reviewers === 2,
       "a cross-check distributed; what it made comes back as a row (crosscheck_report)", { pairs, report });
    await pool.end();
}

main().catch((e) => ok(false, "the Drizzle scenario runs to its end", e.stack)).finally(done);
