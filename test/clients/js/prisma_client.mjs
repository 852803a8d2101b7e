// Prisma 7.10 (prisma-client-js generator, @prisma/adapter-pg) against mentor,
// as a backend would use it: the models of prisma/schema.prisma, generated at
// test time, the client's create/update/find, the extension's functions through
// $queryRaw, and the SQLSTATE and detail of each refusal read from the driver
// adapter's error.  Connects as a login granted mentor_app only.  Prints TAP.
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import { join } from "node:path";
import { promisify } from "node:util";
import { PrismaPg } from "@prisma/adapter-pg";
import { adminConnection, connection, detail, done, ok, sqlstate } from "./tap.mjs";

const here = import.meta.dirname;

async function generate() {
    // Prisma's schema engine is a binary Prisma downloads from its own server, which
    // `make test` does not reach; generate never runs it, so it is pointed elsewhere.
    try {
        await promisify(execFile)("npx", ["prisma", "generate"], {
            cwd: here, env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: "/bin/false", PRISMA_HIDE_UPDATE_MESSAGE: "1" } });
        return null;
    } catch (x) {
        return `${x.stdout ?? ""}${x.stderr ?? ""}`;
    }
}

// The error a statement raises inside a savepoint of the interactive transaction.
async function refused(tx, run) {
    await tx.$executeRawUnsafe("SAVEPOINT t");
    try {
        await run();
    } catch (e) {
        await tx.$executeRawUnsafe("ROLLBACK TO SAVEPOINT t");
        return e;
    }
    await tx.$executeRawUnsafe("RELEASE SAVEPOINT t");
    return undefined;
}

const client = (PrismaClient, conn) => new PrismaClient({ adapter: new PrismaPg(conn, { schema: "mentor" }) });
const one = async (q) => Object.values((await q)[0])[0];

async function main() {
    const failed = await generate();
    ok(failed === null, "prisma generate builds the client of the hand-written models", failed?.slice(-800));
    if (failed !== null) return;
    const { PrismaClient } = createRequire(import.meta.url)("./build/prisma/index.js");
    const prisma = client(PrismaClient, connection());

    const mentor = await prisma.user.findFirst({ where: { username: "cl_mentor" } });
    ok(mentor?.role === "mentor", "the models map: a user read through findFirst (citext, enum)");
    const kai = await prisma.user.create({ data: { email: "Kai.Prisma@Example.com", username: "kai_prisma",
                                                   fullName: "Kai Prisma", role: "mentee" } });
    ok(typeof kai.id === "bigint" && kai.active === true, "create() signs a user up and returns the row with its defaults");
    const found = await prisma.user.findUnique({ where: { email: "kai.prisma@example.com" }, include: { profile: true } });
    ok(found?.id === kai.id && found.profile !== null, "the email matches in any case (citext); signup made the profile");
    const wallet = await prisma.ledgerAccount.findFirst({ where: { ownerId: kai.id, kind: "wallet" } });
    ok(wallet?.posted === 0n, "the ledger accounts map read-only: the new wallet holds 0");

    const p = await prisma.profile.update({ where: { userId: kai.id },
                                            data: { headline: "Platform engineer", yearsOfExperienceText: "12+" } });
    ok(p.yearsOfExperience === 12, "a profile updated through the client (updatedAt set by Prisma); its experience in years",
       p.yearsOfExperience);
    const mp = await prisma.mentorProfile.update({ where: { userId: mentor.id },
                                                   data: { availability: "Mon 18:00-20:00 @ America/Chicago" } });
    ok(/18:00-20:00/.test(mp.availability) && /America\/Chicago/.test(mp.availability),
       "availability written and read back as text", mp.availability);
    let e;
    try { await prisma.mentorProfile.update({ where: { userId: mentor.id }, data: { availability: "Mon 18-20" } }); } catch (x) { e = x; }
    ok(/^22/.test(sqlstate(e) ?? ""), "a bad availability text is refused with a 22xxx SQLSTATE", e?.message);
    e = undefined;
    try { await prisma.mentorProfile.update({ where: { userId: mentor.id }, data: { activeMentees: 9 } }); } catch (x) { e = x; }
    ok(sqlstate(e) === "42501", "a counter the extension keeps is refused with 42501", e?.message);

    const slot = await prisma.$transaction(async (tx) => {
        await tx.$queryRaw`SELECT mentor.set_actor(${kai.id})`;
        const s = await one(tx.$queryRaw`SELECT mentor.publish_slot(${mentor.id},
            tstzrange(date_trunc('hour', now()) + interval '6 days', date_trunc('hour', now()) + interval '6 days 1 hour'))`);
        const err = await refused(tx, () => tx.$queryRaw`SELECT mentor.book_session(${s}, ${kai.id}, ${randomUUID()}::uuid)`);
        ok(sqlstate(err) === "MN002", "booking without tokens: MN002 from the adapter's error", err?.message);
        return s;
    });
    const admin = client(PrismaClient, adminConnection());
    await admin.$queryRaw`SELECT mentor.transfer(gen_random_uuid(), mentor.system_account('external'), mentor.wallet(${kai.id}),
                                                 100, 'purchase')`;
    await admin.$disconnect();

    await prisma.$transaction(async (tx) => {
        await tx.$queryRaw`SELECT mentor.set_actor(${kai.id})`;
        const booking = randomUUID();
        const first = await one(tx.$queryRaw`SELECT mentor.book_session(${slot}, ${kai.id}, ${booking}::uuid)`);
        const again = await one(tx.$queryRaw`SELECT mentor.book_session(${slot}, ${kai.id}, ${booking}::uuid)`);
        ok(first === slot && again === slot, "book_session through $queryRaw, retried with its id, returns the session");
        const s = await tx.session.findUnique({ where: { id: slot } });
        ok(s.status === "confirmed" && s.endsAt - s.startsAt === 3600 * 1000,
           "the session maps without its range: startsAt and endsAt as Dates", s);
        await tx.session.update({ where: { id: slot }, data: { title: "Kubernetes", description: "Operators" } });
        ok((await tx.session.findUnique({ where: { id: slot } })).title === "Kubernetes", "a session updated through the client");
        let err = await refused(tx, () => tx.session.update({ where: { id: slot }, data: { status: "completed" } }));
        ok(sqlstate(err) === "42501", "its status is the functions' (42501)", err?.message);
        err = await refused(tx, () => tx.session.update({ where: { id: slot }, data: { endsAt: new Date(s.endsAt.getTime() + 3600e3) } }));
        ok(sqlstate(err) === "42501", "so are its times (42501): the reschedule functions move them", err?.message);
        err = await refused(tx, () => tx.$queryRaw`SELECT mentor.publish_slot(${mentor.id},
            tstzrange(date_trunc('hour', now()) + interval '6 days', date_trunc('hour', now()) + interval '6 days 1 hour'))`);
        ok(sqlstate(err) === "23P01" && /overlaps/.test(detail(err)), "a double booking: 23P01, the detail naming the session",
           err?.message);
        const spend = randomUUID();
        await tx.$queryRaw`SELECT count(*)::int AS n FROM mentor.spend_tokens(${kai.id}, 5, mentor.system_account('revenue'), ${spend}::uuid)`;
        await tx.$queryRaw`SELECT count(*)::int AS n FROM mentor.spend_tokens(${kai.id}, 5, mentor.system_account('revenue'), ${spend}::uuid)`;
        const left = await one(tx.$queryRaw`SELECT (mentor.balance(mentor.wallet(${kai.id}))).available`);
        ok(Number(left) === 65, "a spend retried with its id moves the tokens once (100 - 30 held - 5 = 65)", String(left));
    });

    const ms = await prisma.$transaction(async (tx) => {
        await tx.$queryRaw`SELECT mentor.set_actor(${mentor.id})`;
        const m = await one(tx.$queryRaw`INSERT INTO mentor.mentorships (mentor_id, mentee_id) VALUES (${mentor.id}, ${kai.id}) RETURNING id`);
        const err = await refused(tx, () => tx.$queryRaw`SELECT mentor.complete_mentorship(${m})`);
        ok(sqlstate(err) === "MN001" && /may move/.test(detail(err)), "completing a pending mentorship: MN001, the allowed moves",
           err?.message);
        await tx.$queryRaw`SELECT mentor.activate_mentorship(${m})`;
        await tx.note.create({ data: { mentorshipId: m, authorId: mentor.id, body: "private: Kai wants to mentor" } });
        ok(await tx.note.count({ where: { mentorshipId: m } }) === 1, "the author reads her private note");
        return m;
    });
    await prisma.$transaction(async (tx) => {
        await tx.$queryRaw`SELECT mentor.set_actor(${kai.id})`;
        ok(await tx.note.count({ where: { mentorshipId: ms } }) === 0,
           "the mentee does not see the mentor's private note (row-level security)");
    });

    const task = await prisma.courseTask.findFirst({ where: { task: { name: "prisma" } } });
    const pairs = await one(prisma.$queryRaw`SELECT mentor.crosscheck_distribute(${task.id}, seed => 1)`);
    const [report] = await prisma.$queryRaw`SELECT * FROM mentor.crosscheck_report(${task.id})`;
    const after = await prisma.courseTask.findUnique({ where: { id: task.id } });
    ok(pairs === 10 && after.crosscheckStatus === "distributed" && report.pairs === 10,
       "a cross-check distributed; what it made comes back as a row (crosscheck_report)", { pairs, report });
    await prisma.$disconnect();
}

main().catch((e) => ok(false, "the Prisma scenario runs to its end", e.stack)).finally(done);
