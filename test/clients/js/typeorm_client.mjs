// TypeORM 1.1 + pg against mentor, as a backend would use it: entity schemas of
// the core tables (synchronize: false, as the README says), the repositories'
// save(), the extension's functions through query(), and the SQLSTATE and
// detail of each refusal read from QueryFailedError.  Connects as a login
// granted mentor_app only.  Prints TAP.
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { promisify } from "node:util";
import { adminConnection, detail, done, hint, ok, sqlstate } from "./tap.mjs";
import { dataSource } from "./typeorm_entities.mjs";

// The error a statement raises inside a savepoint of the query runner's transaction.
async function refused(qr, sql, params = []) {
    await qr.query("SAVEPOINT t");
    try {
        await qr.query(sql, params);
    } catch (e) {
        await qr.query("ROLLBACK TO SAVEPOINT t");
        return e;
    }
    await qr.query("RELEASE SAVEPOINT t");
    return undefined;
}

async function inTransaction(ds, fn) {
    const qr = ds.createQueryRunner();
    await qr.connect();
    await qr.startTransaction();
    try {
        const r = await fn(qr, qr.manager);
        await qr.commitTransaction();
        return r;
    } catch (e) {
        await qr.rollbackTransaction();
        throw e;
    } finally {
        await qr.release();
    }
}

async function scalar(qr, sql, params = []) {
    const rows = await qr.query(sql, params);
    return Object.values(rows[0])[0];
}

async function main() {
    const ds = await dataSource().initialize();
    const users = ds.getRepository("User");
    const mentor = await users.findOneBy({ username: "cl_mentor" });
    ok(mentor && mentor.role === "mentor", "the entities map: a user read through a repository (citext, enum as text)");

    const ada = await users.save(users.create({ email: "Ada.TypeORM@Example.com", username: "ada_typeorm",
                                                full_name: "Ada TypeORM", role: "mentee" }));
    ok(ada.id !== undefined, "repository.save() signs a user up and reads the generated id back", ada);
    const same = await users.findOneBy({ email: "ada.typeorm@example.com" });
    ok(same && same.id === ada.id, "the email matches in any case (citext, search_path public, mentor)");
    const profiles = ds.getRepository("Profile");
    const profile = await profiles.findOneBy({ user_id: ada.id });
    ok(profile !== null, "the profile created at signup is there");
    const wallet = await ds.getRepository("LedgerAccount").findOneBy({ owner_id: ada.id, kind: "wallet" });
    ok(wallet && Number(wallet.posted) === 0, "the ledger accounts map read-only: the new wallet holds 0");

    profile.headline = "Compilers";
    profile.years_of_experience_text = "about 7 years";
    await profiles.save(profile);
    ok((await profiles.findOneBy({ id: profile.id })).years_of_experience === 7,
       "a profile saved through the repository (updated_at set by TypeORM); the typed experience gives its number");
    const mps = ds.getRepository("MentorProfile");
    const mp = await mps.findOneBy({ user_id: mentor.id });
    mp.headline = "Databases, from TypeORM";
    mp.availability = "Tue-Thu 10:00-12:00 @ Europe/Paris";
    await mps.save(mp);
    const mp2 = await mps.findOneBy({ user_id: mentor.id });
    ok(mp2.headline === "Databases, from TypeORM" && /10:00-12:00/.test(mp2.availability)
       && /Europe\/Paris/.test(mp2.availability),
       "a mentor profile saved, availability written and read back as text", mp2.availability);
    let e;
    try { await mps.update({ id: mp.id }, { availability: "Tue 25:00-26:00" }); } catch (x) { e = x; }
    ok(e && /^22/.test(sqlstate(e) ?? ""), "a bad availability text is refused with a 22xxx SQLSTATE", e && e.message);
    e = undefined;
    try { await ds.query("UPDATE mentor.mentor_profiles SET active_mentees = 7 WHERE id = $1", [mp.id]); } catch (x) { e = x; }
    ok(sqlstate(e) === "42501" && hint(e) !== "", "a counter the extension keeps is refused with 42501 and a hint",
       e && e.message);

    const slot = await inTransaction(ds, async (qr) => {
        await qr.query("SELECT mentor.set_actor($1)", [ada.id]);
        const s = await scalar(qr, "SELECT mentor.publish_slot($1, tstzrange(date_trunc('hour', now()) + interval '4 days', "
                                  + "date_trunc('hour', now()) + interval '4 days 1 hour'))", [mentor.id]);
        const err = await refused(qr, "SELECT mentor.book_session($1, $2, $3)", [s, ada.id, randomUUID()]);
        ok(sqlstate(err) === "MN002" && /available/.test(err.message),
           "booking without tokens: QueryFailedError carries MN002 and the balance", err && err.message);
        return s;
    });

    const admin = await dataSource(adminConnection()).initialize();
    await admin.query("SELECT mentor.transfer(gen_random_uuid(), mentor.system_account('external'), mentor.wallet($1), "
                      + "100, 'purchase')", [ada.id]);
    await admin.destroy();

    await inTransaction(ds, async (qr, manager) => {
        await qr.query("SELECT mentor.set_actor($1)", [ada.id]);
        const booking = randomUUID();
        const first = await scalar(qr, "SELECT mentor.book_session($1, $2, $3)", [slot, ada.id, booking]);
        const again = await scalar(qr, "SELECT mentor.book_session($1, $2, $3)", [slot, ada.id, booking]);
        ok(first === slot && again === slot, "book_session through query(), retried with its id, returns the session both times");
        const sessions = manager.getRepository("Session");
        const s = await sessions.findOneBy({ id: slot });
        ok(s.status === "confirmed" && typeof s.during === "string" && s.starts_at instanceof Date
           && s.ends_at - s.starts_at === 3600 * 1000,
           "the session maps: its range as text, starts_at and ends_at as Dates", s);
        s.title = "Query plans";
        s.description = "EXPLAIN ANALYZE together";
        await sessions.save(s);
        ok((await sessions.findOneBy({ id: slot })).title === "Query plans", "a session saved through the repository");
        let err = await refused(qr, "UPDATE mentor.sessions SET status = 'completed' WHERE id = $1", [slot]);
        ok(sqlstate(err) === "42501", "its status is the functions' (42501 for an UPDATE)", err && err.message);
        err = await refused(qr, "SELECT mentor.publish_slot($1, tstzrange(date_trunc('hour', now()) + interval '4 days', "
                                + "date_trunc('hour', now()) + interval '4 days 1 hour'))", [mentor.id]);
        ok(sqlstate(err) === "23P01" && /overlaps/.test(detail(err)),
           "a double booking: 23P01, the detail naming the session in the way", err && detail(err));
        err = await refused(qr, "SELECT mentor.complete_session($1)", [slot]);
        ok(sqlstate(err) === "MN006", "completing a session that has not started: MN006", err && err.message);
        const spend = randomUUID();
        await qr.query("SELECT mentor.spend_tokens($1, 5, mentor.system_account('revenue'), $2)", [ada.id, spend]);
        await qr.query("SELECT mentor.spend_tokens($1, 5, mentor.system_account('revenue'), $2)", [ada.id, spend]);
        const left = await scalar(qr, "SELECT (mentor.balance(mentor.wallet($1))).available", [ada.id]);
        ok(Number(left) === 65, "a spend retried with its id moves the tokens once (100 - 30 held - 5 = 65)", left);
    });

    // The booking told Ada in-app; she reads her own inbox through the repository, and stores a token.
    await inTransaction(ds, async (qr, manager) => {
        await qr.query("SELECT mentor.set_actor($1)", [ada.id]);
        const inbox = await manager.getRepository("Notification").find();
        ok(inbox.length >= 1 && inbox.every((n) => String(n.user_id) === String(ada.id) && n.channel_code === "in_app"),
           "the repository reads the acting user's own in-app notifications only (row-level security)", inbox.length);
        const unread = await scalar(qr, "SELECT mentor.unread_notifications()");
        ok(Number(unread) === inbox.length, "unread_notifications() counts them", unread);
        const tid = await scalar(qr, "SELECT mentor.store_token($1, 'microsoft', 'eyJ.typeorm-access', NULL)", [ada.id]);
        const [t] = await qr.query("SELECT access_token, refresh_token FROM mentor.read_token($1)", [tid]);
        ok(t.access_token === "eyJ.typeorm-access" && t.refresh_token === null, "store_token and read_token round-trip");
        const err = await refused(qr, "SELECT access_token FROM mentor.integration_tokens");
        ok(sqlstate(err) === "42501", "the ciphertext column is not selectable (42501)", err && err.message);
    });

    const ms = await inTransaction(ds, async (qr, manager) => {
        await qr.query("SELECT mentor.set_actor($1)", [mentor.id]);
        const m = await scalar(qr, "INSERT INTO mentor.mentorships (mentor_id, mentee_id) VALUES ($1, $2) RETURNING id",
                               [mentor.id, ada.id]);
        const err = await refused(qr, "SELECT mentor.complete_mentorship($1)", [m]);
        ok(sqlstate(err) === "MN001" && /may move/.test(detail(err)),
           "completing a pending mentorship: MN001, the detail listing the allowed moves", err && detail(err));
        await qr.query("SELECT mentor.activate_mentorship($1)", [m]);
        const notes = manager.getRepository("Note");
        await notes.save(notes.create({ mentorship_id: m, author_id: mentor.id, body: "private: Ada wants to teach" }));
        ok(await notes.countBy({ mentorship_id: m }) === 1, "the author reads her private note through the repository");
        return m;
    });
    await inTransaction(ds, async (qr, manager) => {
        await qr.query("SELECT mentor.set_actor($1)", [ada.id]);
        ok(await manager.getRepository("Note").countBy({ mentorship_id: ms }) === 0,
           "the mentee does not see the mentor's private note (row-level security)");
    });

    const taskId = await scalar(ds, "SELECT ct.id FROM mentor.course_tasks ct JOIN mentor.tasks t ON t.id = ct.task_id "
                                    + "WHERE t.name = 'typeorm'");
    const pairs = await scalar(ds, "SELECT mentor.crosscheck_distribute($1, seed => 1)", [taskId]);
    const task = await ds.getRepository("CourseTask").findOneBy({ id: taskId });
    const [report] = await ds.query("SELECT * FROM mentor.crosscheck_report($1)", [taskId]);
    ok(pairs === 10 && task.crosscheck_status === "distributed" && report.pairs === 10 && report.min_reviewers === 2,
       "a cross-check distributed; what it made comes back as a row (crosscheck_report)", { pairs, report });
    await ds.destroy();

    // Schema tooling: migration:generate with the entities as documented proposes nothing;
    // the same entities left to synchronize would rewrite the extension's tables.
    const cli = async (env) => {
        try {
            const r = await promisify(execFile)("npx", ["typeorm", "migration:generate", "--check", "--dryrun", "-d",
                                                        "typeorm_datasource.mjs", "migrations/Check"],
                                                { cwd: import.meta.dirname, env: { ...process.env, ...env } });
            return { code: 0, out: r.stdout + r.stderr };
        } catch (x) {
            return { code: x.code, out: `${x.stdout ?? ""}${x.stderr ?? ""}` };
        }
    };
    const kept = await cli({});
    ok(kept.code === 0 && /No changes in database schema were found/.test(kept.out),
       "typeorm migration:generate --check with synchronize: false per entity: no changes", kept.out.slice(-500));
    const loose = await cli({ MENTOR_TYPEORM_SYNCHRONIZE: "1" });
    const proposed = loose.out.split("\n").filter((l) => /await queryRunner\.query/.test(l)).length;
    ok(loose.code === 1 && proposed > 0 && /"mentor"\./.test(loose.out),
       `without it, the same entities make TypeORM propose ${proposed} statements on schema mentor`, loose.out.slice(-500));
}

main().catch((e) => ok(false, "the TypeORM scenario runs to its end", e.stack)).finally(done);
