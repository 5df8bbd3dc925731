/**
 * The repositories' contract, run on SQLite and on PostgreSQL (a throwaway cluster,
 * test/helpers/postgres.ts; skipped, saying why, only when none can be installed or started):
 * first the rules every repository relies on (src/db/database.ts), then each converted module's
 * repository. One body of code, two engines: whatever differs between them shows up here.
 */
import { afterAll, afterEach, beforeEach, describe, expect, test } from "bun:test";
import { SQL } from "bun";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { count, eq, sql } from "drizzle-orm";
import { openDatabase } from "../../src/db/client";
import { migrate } from "../../src/db/migrate";
import { migratePostgres } from "../../src/db/migrate-pg";
import { containsText, jsonField, type Database } from "../../src/db/database";
import { sqliteDatabase } from "../../src/adapters/database-sqlite";
import { postgresDatabase } from "../../src/adapters/database-postgres";
import { settingsRepository } from "../../src/modules/settings/repository";
import { auditRepository } from "../../src/modules/audit/repository";
import { creditsRepository } from "../../src/modules/credits/repository";
import { billingRepository } from "../../src/modules/billing/repository";
import { templatesRepository } from "../../src/modules/templates/repository";
import { webhooksRepository } from "../../src/modules/webhooks/repository";
import { testPostgres } from "../helpers/postgres";

interface Backend {
  db: Database;
  close(): Promise<void>;
}

async function sqliteBackend(): Promise<Backend> {
  const dir = mkdtempSync(join(tmpdir(), "leapocr-repo-"));
  const raw = openDatabase(join(dir, "leapocr.db"));
  migrate(raw);
  return {
    db: sqliteDatabase(raw),
    close: async () => {
      raw.$client.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const pg = await testPostgres();
const pgSql = pg.ok ? new SQL(pg.db.url, { max: 4 }) : null;
if (pgSql) await migratePostgres(pgSql);
afterAll(async () => {
  await pgSql?.close();
  if (pg.ok) await pg.db.drop();
});

async function postgresBackend(): Promise<Backend> {
  const s = pgSql!;
  const tables = (await s`SELECT tablename FROM pg_tables WHERE schemaname = 'public'`) as { tablename: string }[];
  await s.unsafe(`TRUNCATE ${tables.map((t) => `"${t.tablename}"`).join(", ")} CASCADE`);
  return { db: postgresDatabase(s), close: async () => {} };
}

const backends: [string, (() => Promise<Backend>) | null][] = [
  ["sqlite", sqliteBackend],
  ["postgres", pg.ok ? postgresBackend : null],
];

async function seedTeam(db: Database, id: string): Promise<void> {
  await db.run((q) => q.insert(db.t.organizations).values({ id: "org", name: "Org", createdAt: 0 }).onConflictDoNothing());
  await db.run((q) => q.insert(db.t.teams).values({ id, organizationId: "org", name: `Team ${id}`, createdAt: 0 }));
}

for (const [name, make] of backends) {
  describe.skipIf(!make)(`${name} repositories`, () => {
    let b: Backend;
    let db: Database;
    beforeEach(async () => {
      b = await make!();
      db = b.db;
      await seedTeam(db, "t1");
    });
    afterEach(() => b.close());

    describe("the rules repositories rely on", () => {
      test("rows come back with the schema's JS types: booleans, integers beyond 32 bits, nulls, text", async () => {
        const { templates } = db.t;
        const big = 2 ** 40 + 1;
        await db.run((q) =>
          q.insert(templates).values({ id: "tp1", teamId: "t1", name: "Invoice", slug: "invoice", format: "markdown", model: "m", favorite: true, enabled: false, usageCount: big, createdAt: big, updatedAt: 0 }),
        );
        const [row] = await db.run((q) => q.select().from(templates).where(eq(templates.id, "tp1")));
        expect(row).toMatchObject({ favorite: true, enabled: false, extractBoundingBoxes: false, usageCount: big, createdAt: big, lastUsedAt: null, tagsJson: "[]", description: null });
        expect(typeof row!.usageCount).toBe("number");
      });

      test("rows changed are counted with returning, on update and delete", async () => {
        const { auditLog } = db.t;
        for (let i = 0; i < 3; i++) await db.run((q) => q.insert(auditLog).values({ id: `a${i}`, actorType: "system", action: "x", createdAt: i }));
        const updated = await db.run((q) => q.update(auditLog).set({ action: "y" }).where(sql`${auditLog.createdAt} < 2`).returning({ id: auditLog.id }));
        expect(updated.length).toBe(2);
        const none = await db.run((q) => q.delete(auditLog).where(eq(auditLog.id, "nope")).returning({ id: auditLog.id }));
        expect(none).toEqual([]);
      });

      test("count() and sums written in sql answer numbers once given mapWith(Number)", async () => {
        const { creditTransactions: ct } = db.t;
        await db.run((q) =>
          q.insert(ct).values([
            { id: "c1", teamId: "t1", kind: "grant", amount: 2 ** 40, createdAt: 1 },
            { id: "c2", teamId: "t1", kind: "charge", amount: -3, createdAt: 2 },
          ]),
        );
        const [r] = await db.run((q) =>
          q.select({ n: count(), sum: sql<number>`coalesce(sum(${ct.amount}), 0)`.mapWith(Number), grants: sql<number>`count(*) filter (where ${ct.kind} = 'grant')`.mapWith(Number) }).from(ct),
        );
        expect(r).toEqual({ n: 2, sum: 2 ** 40 - 3, grants: 1 });
      });

      test("an upsert inserts once, then updates the same row", async () => {
        const { teamCredits } = db.t;
        const upsert = (limit: number | null, now: number) =>
          db.run((q) => q.insert(teamCredits).values({ teamId: "t1", creditLimit: limit, createdAt: now, updatedAt: now }).onConflictDoUpdate({ target: teamCredits.teamId, set: { creditLimit: limit, updatedAt: now } }));
        await upsert(5, 1);
        await upsert(null, 2);
        expect(await db.run((q) => q.select().from(teamCredits))).toEqual([{ teamId: "t1", creditLimit: null, createdAt: 1, updatedAt: 2 }]);
      });

      test("a transaction commits all its writes, or none when it throws after the first", async () => {
        const { teams } = db.t;
        await expect(
          db.transaction(async (tx) => {
            await tx.run((q) => q.insert(teams).values({ id: "t2", organizationId: "org", name: "Two", createdAt: 0 }));
            await tx.run((q) => q.select().from(teams));
            throw new Error("after the first write");
          }),
        ).rejects.toThrow("after the first write");
        expect(await db.run((q) => q.select({ id: teams.id }).from(teams).where(eq(teams.id, "t2")))).toEqual([]);
        await db.transaction(async (tx) => {
          await tx.run((q) => q.insert(teams).values({ id: "t2", organizationId: "org", name: "Two", createdAt: 0 }));
          await tx.transaction((inner) => inner.run((q) => q.insert(teams).values({ id: "t3", organizationId: "org", name: "Three", createdAt: 0 })));
        });
        expect((await db.run((q) => q.select({ id: teams.id }).from(teams))).map((r) => r.id).sort()).toEqual(["t1", "t2", "t3"]);
      });

      test("a statement outside a transaction never lands inside one that is awaiting", async () => {
        const { teams } = db.t;
        let release!: () => void;
        const held = new Promise<void>((r) => (release = r));
        const tx = db.transaction(async (t) => {
          await t.run((q) => q.insert(teams).values({ id: "t2", organizationId: "org", name: "Two", createdAt: 0 }));
          await held;
          throw new Error("rolled back");
        });
        // Started (not only built: drizzle's queries run when awaited) while the transaction is
        // open; it must not be rolled back with it.
        const outside = Promise.resolve(db.run((q) => q.insert(teams).values({ id: "t3", organizationId: "org", name: "Three", createdAt: 0 })));
        await Bun.sleep(20);
        release();
        await expect(tx).rejects.toThrow("rolled back");
        await outside;
        expect((await db.run((q) => q.select({ id: teams.id }).from(teams))).map((r) => r.id).sort()).toEqual(["t1", "t3"]);
      });

      test("containsText matches ASCII case-insensitively, and % and _ only as themselves", async () => {
        const { teams } = db.t;
        for (const [id, n] of [["a", "Acme Invoices"], ["b", "50% off"], ["c", "500 off"], ["d", "snake_case"], ["e", "snakeXcase"]] as const) {
          await db.run((q) => q.insert(teams).values({ id, organizationId: "org", name: n, createdAt: 0 }));
        }
        const names = async (text: string) => (await db.run((q) => q.select({ n: teams.name }).from(teams).where(containsText(db, teams.name, text)))).map((r) => r.n).sort();
        expect(await names("invoice")).toEqual(["Acme Invoices"]);
        expect(await names("0%")).toEqual(["50% off"]);
        expect(await names("e_c")).toEqual(["snake_case"]);
      });

      test("jsonField reads a field of JSON stored as text", async () => {
        const { creditTransactions: ct } = db.t;
        await db.run((q) => q.insert(ct).values({ id: "c1", teamId: "t1", kind: "refund", amount: 1, metadataJson: JSON.stringify({ job_id: "j1", n: 2 }), createdAt: 1 }));
        await db.run((q) => q.insert(ct).values({ id: "c2", teamId: "t1", kind: "grant", amount: 1, createdAt: 2 }));
        const rows = await db.run((q) => q.select({ id: ct.id, job: jsonField(db, ct.metadataJson, "job_id") }).from(ct).orderBy(ct.id));
        expect(rows).toEqual([{ id: "c1", job: "j1" }, { id: "c2", job: null }]);
      });
    });

    describe("settings", () => {
      test("no row until saved; a save then an update keep createdAt and change the rest", async () => {
        const settings = settingsRepository(db);
        expect(await settings.retention("t1")).toBeUndefined();
        await settings.saveRetention("t1", { autoDeleteEnabled: false, retentionPeriodDays: 0 }, 100);
        await settings.saveRetention("t1", { autoDeleteEnabled: true, retentionPeriodDays: 30 }, 200);
        expect(await settings.retention("t1")).toEqual({ autoDeleteEnabled: true, retentionPeriodDays: 30, createdAt: 100, updatedAt: 200 });
      });
    });

    describe("audit", () => {
      const actor = { type: "user" as const, id: "u1", ip: "127.0.0.1", userAgent: "test" };

      test("a record is written with its actor, target and metadata, and read back newest first with the total", async () => {
        const audit = auditRepository(db);
        for (let i = 1; i <= 3; i++) await audit.record({ teamId: "t1", actor, action: `thing.done`, targetType: "thing", targetId: `x${i}`, metadata: { n: i, ok: true } }, 1000 + i);
        await audit.record({ teamId: "t2", actor, action: "thing.done" }, 1000);
        const page = await audit.list("t1", { limit: 2 });
        expect(page.total).toBe(3);
        expect(page.rows.map((r) => r.targetId)).toEqual(["x3", "x2", "x1"]);
        expect(page.rows[0]).toMatchObject({ teamId: "t1", actorType: "user", actorId: "u1", ip: "127.0.0.1", userAgent: "test", createdAt: 1003 });
        expect(JSON.parse(page.rows[0]!.metadataJson!)).toEqual({ n: 3, ok: true });
        const next = await audit.list("t1", { limit: 2, after: [page.rows[1]!.createdAt, page.rows[1]!.id] });
        expect(next.rows.map((r) => r.targetId)).toEqual(["x1"]);
      });

      test("filters: an action prefix (its _ and % are plain letters), actor type, target, time range", async () => {
        const audit = auditRepository(db);
        await audit.record({ teamId: "t1", actor, action: "api_key.created", targetId: "k1" }, 10);
        await audit.record({ teamId: "t1", actor, action: "apiXkey.created", targetId: "k2" }, 20);
        await audit.record({ teamId: "t1", actor: { type: "system" }, action: "api_key.revoked", targetId: "k1" }, 30);
        const ids = async (f: Parameters<typeof audit.list>[1]) => (await audit.list("t1", f)).rows.map((r) => `${r.action}@${r.createdAt}`);
        expect(await ids({ limit: 10, action: "api_key.*" })).toEqual(["api_key.revoked@30", "api_key.created@10"]);
        expect(await ids({ limit: 10, actorType: "system" })).toEqual(["api_key.revoked@30"]);
        expect(await ids({ limit: 10, target: "k2" })).toEqual(["apiXkey.created@20"]);
        expect(await ids({ limit: 10, from: 15, to: 30 })).toEqual(["api_key.revoked@30", "apiXkey.created@20"]);
      });

      test("a member's team-less security events show from the time they joined, not before", async () => {
        const audit = auditRepository(db);
        await db.run((q) => q.insert(db.t.users).values({ id: "u9", email: "u9@example.com", name: "Nine", passwordHash: "x", createdAt: 0 }));
        await db.run((q) => q.insert(db.t.memberships).values({ teamId: "t1", userId: "u9", role: "member", createdAt: 500 }));
        await audit.record({ teamId: null, actor, action: "auth.login", targetType: "user", targetId: "u9" }, 400);
        await audit.record({ teamId: null, actor, action: "auth.login", targetType: "user", targetId: "u9" }, 600);
        const page = await audit.list("t1", { limit: 10 });
        expect(page.rows.map((r) => r.createdAt)).toEqual([600]);
        expect(page.total).toBe(1);
      });

      test("names of users anywhere, of this team's keys, templates and the team itself", async () => {
        const audit = auditRepository(db);
        await seedTeam(db, "t2");
        await db.run((q) => q.insert(db.t.users).values({ id: "u9", email: "u9@example.com", name: "", passwordHash: "x", createdAt: 0 }));
        await db.run((q) => q.insert(db.t.apiKeys).values([
          { id: "k1", teamId: "t1", name: "Mine", prefix: "p", hash: "h1", createdAt: 0 },
          { id: "k2", teamId: "t2", name: "Theirs", prefix: "p", hash: "h2", createdAt: 0 },
        ]));
        const names = await audit.namesOf("t1", [
          { actorType: "user", actorId: "u9", targetType: "api_key", targetId: "k1" },
          { actorType: "api_key", actorId: "k2", targetType: "team", targetId: "t1" },
        ]);
        expect(Object.fromEntries(names)).toEqual({ "user:u9": { name: "u9@example.com", email: "u9@example.com" }, "api_key:k1": { name: "Mine" }, "team:t1": { name: "Team t1" } });
      });

      test("purge deletes in batches everything older than the cutoff and counts it", async () => {
        const audit = auditRepository(db);
        for (let i = 0; i < 7; i++) await audit.record({ teamId: "t1", actor, action: "x" }, i * 10);
        expect(await audit.purgeBefore(45, 2)).toBe(5);
        expect(await audit.purgeBefore(45, 2)).toBe(0);
        expect((await audit.list("t1", { limit: 10 })).rows.map((r) => r.createdAt)).toEqual([60, 50]);
      });

      test("a record written in a transaction goes with it", async () => {
        await expect(
          db.transaction(async (tx) => {
            await auditRepository(tx).record({ teamId: "t1", actor, action: "x" }, 1);
            throw new Error("no");
          }),
        ).rejects.toThrow("no");
        expect((await auditRepository(db).list("t1", { limit: 10 })).total).toBe(0);
      });
    });
    describe("credits", () => {
      const tx = (id: string, kind: string, amount: number, createdAt: number, over: Record<string, unknown> = {}) => ({
        id, teamId: "t1", jobId: null, kind, amount, description: null, idempotencyKey: null, metadataJson: null, createdAt, ...over,
      });
      const job = (id: string, fileName: string, model: string) => ({
        id, teamId: "t1", status: "completed", stage: "done", fileName, source: "direct", format: "markdown", model, createdAt: 0, updatedAt: 0,
      });

      test("the ledger sums each kind, all time or in a range, as numbers", async () => {
        const credits = creditsRepository(db);
        expect(await credits.ledger([])).toEqual({ granted: 0, consumed: 0, refunded: 0, adjusted: 0, balance: 0 });
        expect(await credits.ledger(["t1"])).toEqual({ granted: 0, consumed: 0, refunded: 0, adjusted: 0, balance: 0 });
        await credits.add(tx("c1", "grant", 2 ** 40, 10));
        await credits.add(tx("c2", "charge", -7, 20));
        await credits.add(tx("c3", "refund", 2, 30));
        await credits.add(tx("c4", "adjustment", -1, 40));
        expect(await credits.ledger(["t1"])).toEqual({ granted: 2 ** 40, consumed: 7, refunded: 2, adjusted: -1, balance: 2 ** 40 - 6 });
        expect(await credits.ledger(["t1"], { from: 20, to: 30 })).toEqual({ granted: 0, consumed: 7, refunded: 2, adjusted: 0, balance: -5 });
      });

      test("a limit: none until set, then set, then taken off (read through the prepared query)", async () => {
        const credits = creditsRepository(db);
        expect(await credits.limit("t1")).toBeNull();
        await credits.setLimit("t1", 0, 1);
        expect(await credits.limit("t1")).toBe(0);
        await credits.setLimit("t1", 2 ** 40, 2);
        expect(await credits.limit("t1")).toBe(2 ** 40);
        await credits.setLimit("t1", null, 3);
        expect(await credits.limit("t1")).toBeNull();
        // The prepared read inside a transaction runs on the transaction's connection.
        await db.transaction(async (t) => {
          await creditsRepository(t).setLimit("t1", 5, 4);
          expect(await creditsRepository(t).limit("t1")).toBe(5);
        });
      });

      test("added rows come back whole; an idempotency key finds its row; teams are known or not", async () => {
        const credits = creditsRepository(db);
        const added = await credits.add(tx("c1", "grant", 5, 10, { idempotencyKey: "k", metadataJson: "{\"a\":1}" }));
        expect(added).toEqual(tx("c1", "grant", 5, 10, { idempotencyKey: "k", metadataJson: "{\"a\":1}" }));
        expect(await credits.byIdempotencyKey("t1", "k")).toEqual(added);
        expect(await credits.byIdempotencyKey("t1", "other")).toBeUndefined();
        expect(await credits.teamExists("t1")).toBe(true);
        expect(await credits.teamExists("nope")).toBe(false);
        expect(await credits.someTeams(2)).toEqual(["t1"]);
      });

      test("the list: newest first with the balance after each, the job found by column or metadata, filters and cursor", async () => {
        const credits = creditsRepository(db);
        await db.run((q) => q.insert(db.t.jobs).values([job("j1", "Invoice_2024.pdf", "standard-v2"), job("j2", "letter.pdf", "pro-v2")]));
        await credits.add(tx("c1", "grant", 100, 10));
        await credits.add(tx("c2", "charge", -3, 20, { jobId: "j1" }));
        await credits.add(tx("c3", "refund", 3, 30, { metadataJson: JSON.stringify({ job_id: "j1" }) }));
        await credits.add(tx("c4", "charge", -2, 30, { jobId: "j2" }));
        const page = await credits.list(["t1"], { after: null, limit: 10 });
        expect(page.total).toBe(4);
        expect(page.rows.map((r) => [r.t.id, r.balanceAfter, r.organizationId])).toEqual([["c4", 98, "org"], ["c3", 100, "org"], ["c2", 97, "org"], ["c1", 100, "org"]]);
        const ids = async (f: Partial<Parameters<typeof credits.list>[1]>) => (await credits.list(["t1"], { after: null, limit: 10, ...f })).rows.map((r) => r.t.id);
        expect(await ids({ search: "j1" })).toEqual(["c3", "c2"]);
        expect(await ids({ search: "INVOICE_" })).toEqual(["c3", "c2"]);
        expect(await ids({ search: "invoice%" })).toEqual([]);
        expect(await ids({ model: "pro-v2" })).toEqual(["c4"]);
        expect(await ids({ from: 20, to: 30 })).toEqual(["c4", "c3", "c2"]);
        expect(await ids({ limit: 1, after: { createdAt: 30, id: "c4" } })).toEqual(["c3", "c2"]);
        expect((await credits.list([], { after: null, limit: 10 })).total).toBe(0);
      });
    });

    describe("billing", () => {
      test("an event's row is saved, then updated by a redelivery that keeps its first receipt time", async () => {
        const billing = billingRepository(db);
        expect(await billing.event("wh1")).toBeUndefined();
        await billing.saveEvent("wh1", "order.paid", { outcome: "ignored", reason: "no team" }, 100);
        await billing.saveEvent("wh1", "order.paid", { outcome: "granted", reason: null, orderId: "o1", teamId: "t1", creditTransactionId: "c1" }, 200);
        expect(await billing.event("wh1")).toEqual({
          webhookId: "wh1", type: "order.paid", outcome: "granted", reason: null, orderId: "o1", productId: null, teamId: "t1", creditTransactionId: "c1", receivedAt: 100, updatedAt: 200,
        });
      });
    });
    describe("templates", () => {
      const tpl = (id: string, name: string, createdAt: number, over: Record<string, unknown> = {}) => ({
        id, teamId: "t1", name, slug: name.toLowerCase().replace(/\W+/g, "-"), format: "markdown", model: "standard-v2", createdAt, updatedAt: createdAt, ...over,
      });

      test("added whole (defaults filled), found by id and slug in its team only, changed, used, removed", async () => {
        const templates = templatesRepository(db);
        await seedTeam(db, "t2");
        const added = await templates.add(tpl("a", "Invoice", 10, { schemaJson: "{}", extractBoundingBoxes: true }));
        expect(added).toMatchObject({ id: "a", slug: "invoice", favorite: false, enabled: true, usageCount: 0, lastUsedAt: null, tagsJson: "[]", extractBoundingBoxes: true, schemaJson: "{}" });
        expect(await templates.byId("t1", "a")).toEqual(added);
        expect(await templates.byId("t2", "a")).toBeUndefined();
        expect((await templates.bySlug("t1", "invoice"))?.id).toBe("a");
        expect(await templates.bySlug("t2", "invoice")).toBeUndefined();
        await templates.change("a", { favorite: true, name: "Invoices", updatedAt: 20 });
        await templates.countUse("a", 30);
        await templates.countUse("a", 40);
        expect(await templates.byId("t1", "a")).toMatchObject({ favorite: true, name: "Invoices", updatedAt: 20, usageCount: 2, lastUsedAt: 40 });
        await templates.remove("a");
        expect(await templates.byId("t1", "a")).toBeUndefined();
      });

      test("the list filters by format, favorite and name (case-insensitive), newest first with a cursor", async () => {
        const templates = templatesRepository(db);
        await templates.add(tpl("a", "Invoice EU", 10));
        await templates.add(tpl("b", "Receipt", 20, { format: "structured", favorite: true }));
        await templates.add(tpl("c", "invoice_US", 20));
        const ids = async (f: Partial<Parameters<typeof templates.list>[1]>) => (await templates.list("t1", { after: null, limit: 10, ...f })).rows.map((r) => r.id);
        expect(await ids({})).toEqual(["c", "b", "a"]);
        expect(await ids({ format: "structured" })).toEqual(["b"]);
        expect(await ids({ favorite: true })).toEqual(["b"]);
        expect(await ids({ favorite: false })).toEqual(["c", "a"]);
        expect(await ids({ search: "INVOICE" })).toEqual(["c", "a"]);
        expect(await ids({ search: "e_u" })).toEqual(["c"]);
        expect(await ids({ after: { createdAt: 20, id: "c" } })).toEqual(["b", "a"]);
        expect((await templates.list("t1", { after: null, limit: 1 })).total).toBe(3);
      });

      test("stats count formats and favorites and sum the uses, as numbers", async () => {
        const templates = templatesRepository(db);
        expect(await templates.stats("t1")).toEqual({ total: 0, markdown: 0, structured: 0, favorite: 0, usage: 0, max: 0, min: 0 });
        await templates.add(tpl("a", "A", 1, { usageCount: 2 ** 40 }));
        await templates.add(tpl("b", "B", 2, { format: "structured", favorite: true, usageCount: 3 }));
        await templates.add(tpl("c", "C", 3, { favorite: true }));
        expect(await templates.stats("t1")).toEqual({ total: 3, markdown: 2, structured: 1, favorite: 2, usage: 2 ** 40 + 3, max: 2 ** 40, min: 0 });
      });
    });
    describe("webhooks", () => {
      const sub = (id: string, createdAt: number, over: Record<string, unknown> = {}) => ({
        id, teamId: "t1", url: "http://127.0.0.1:9/hook", eventsJson: "[\"job.completed\"]", secret: "s", createdAt, updatedAt: createdAt, ...over,
      });
      const delivery = (id: string, subscriptionId: string, nextAttemptAt: number, over: Record<string, unknown> = {}) => ({
        id, eventId: `evt-${id}`, eventType: "job.completed", subscriptionId, teamId: "t1", payloadJson: "{}", status: "pending", maxAttempts: 3, nextAttemptAt, createdAt: nextAttemptAt, updatedAt: nextAttemptAt, ...over,
      });

      test("subscriptions: added whole, listed by enabled with a cursor, failures counted in the database, removed with their deliveries", async () => {
        const webhooks = webhooksRepository(db);
        const a = await webhooks.addSubscription(sub("a", 10));
        expect(a).toMatchObject({ enabled: true, includeResults: false, failureCount: 0, lastTriggeredAt: null });
        await webhooks.addSubscription(sub("b", 20, { enabled: false }));
        expect((await webhooks.subscriptions("t1", { after: null, limit: 10 })).rows.map((r) => r.id)).toEqual(["b", "a"]);
        expect((await webhooks.subscriptions("t1", { enabled: true, after: null, limit: 10 })).rows.map((r) => r.id)).toEqual(["a"]);
        expect((await webhooks.subscriptions("t1", { after: { createdAt: 20, id: "b" }, limit: 10 })).rows.map((r) => r.id)).toEqual(["a"]);
        expect(await webhooks.teamSubscription("t2", "a")).toBeUndefined();
        expect(await Promise.all([webhooks.countFailure("a", 5), webhooks.countFailure("a", 6)])).toEqual(expect.arrayContaining([1, 2]));
        expect(await webhooks.countFailure("gone", 7)).toBeUndefined();
        expect(await webhooks.subscription("a")).toMatchObject({ failureCount: 2 });
        await webhooks.addDelivery(delivery("d1", "a", 1));
        await webhooks.removeSubscription("a");
        expect(await webhooks.subscription("a")).toBeUndefined();
        expect((await webhooks.deliveries("t1", { after: null, limit: 10 })).total).toBe(0);
      });

      test("due deliveries are claimed once, oldest first; a claimed one again only after its lock ends", async () => {
        const webhooks = webhooksRepository(db);
        await webhooks.addSubscription(sub("a", 1));
        await webhooks.addDelivery(delivery("late", "a", 500));
        await webhooks.addDelivery(delivery("d2", "a", 20));
        await webhooks.addDelivery(delivery("d1", "a", 10));
        await webhooks.addDelivery(delivery("done", "a", 5, { status: "delivered" }));
        const first = await webhooks.claimDue(100, 1000, 1);
        expect(first.map((d) => [d.id, d.lockedUntil])).toEqual([["d1", 1100]]);
        expect(first[0]).toMatchObject({ eventId: "evt-d1", payloadJson: "{}", attempts: 0 });
        expect((await webhooks.claimDue(100, 1000, 10)).map((d) => d.id)).toEqual(["d2"]);
        expect(await webhooks.claimDue(100, 1000, 10)).toEqual([]);
        expect((await webhooks.claimDue(1200, 1000, 10)).map((d) => d.id).sort()).toEqual(["d1", "d2", "late"]);
      });

      test("dispatchers claiming at the same moment never take one delivery twice", async () => {
        const webhooks = webhooksRepository(db);
        await webhooks.addSubscription(sub("a", 1));
        for (let i = 0; i < 40; i++) await webhooks.addDelivery(delivery(`d${i}`, "a", i));
        // Each round at a time past the previous round's locks, so every delivery is due again.
        for (let round = 0; round < 8; round++) {
          const now = 100 + round * 2000;
          const claims = await Promise.all(Array.from({ length: 8 }, () => webhooks.claimDue(now, 1000, 5)));
          const ids = claims.flat().map((d) => d.id);
          expect(new Set(ids).size).toBe(ids.length);
          expect(ids.length).toBeGreaterThan(0);
        }
      });

      test("the event log: filters, counts by status, a delivery by its id or its event id, failing what is pending", async () => {
        const webhooks = webhooksRepository(db);
        await webhooks.addSubscription(sub("a", 1));
        await webhooks.addSubscription(sub("b", 2, { url: "http://127.0.0.1:9/other" }));
        await webhooks.addDelivery(delivery("d1", "a", 10));
        await webhooks.addDelivery(delivery("d2", "a", 20, { eventType: "job.failed", eventId: "evt-shared" }));
        await webhooks.addDelivery(delivery("d3", "b", 30, { eventId: "evt-shared", status: "delivered" }));
        const page = await webhooks.deliveries("t1", { after: null, limit: 10 });
        expect(page.rows.map((r) => [r.d.id, r.url])).toEqual([["d3", "http://127.0.0.1:9/other"], ["d2", "http://127.0.0.1:9/hook"], ["d1", "http://127.0.0.1:9/hook"]]);
        expect((await webhooks.deliveries("t1", { subscriptionId: "a", eventType: "job.failed", after: null, limit: 10 })).rows.map((r) => r.d.id)).toEqual(["d2"]);
        expect((await webhooks.deliveries("t1", { status: "delivered", after: null, limit: 10 })).total).toBe(1);
        expect((await webhooks.deliveryOrEvent("t1", "evt-shared"))?.id).toBe("d3");
        expect((await webhooks.deliveryOrEvent("t1", "d1"))?.id).toBe("d1");
        expect(await webhooks.deliveryOrEvent("t2", "d1")).toBeUndefined();
        await webhooks.failPending("a", "off", 99);
        expect((await webhooks.deliveryCounts("a")).sort((x, y) => x.status.localeCompare(y.status))).toEqual([{ status: "failed", n: 2 }]);
        await webhooks.changeDelivery("d3", { status: "failed", attempts: 2 });
        expect(await webhooks.deliveryOrEvent("t1", "d3")).toMatchObject({ status: "failed", attempts: 2 });
      });
    });
  });
}
