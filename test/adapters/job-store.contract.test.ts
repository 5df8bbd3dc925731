/**
 * The job store's contract, written against the port so every adapter runs the same tests:
 * SQLite, and PostgreSQL on a throwaway cluster (test/helpers/postgres.ts; skipped, saying why,
 * only when no PostgreSQL can be installed or started). Each backend gives a fresh store on an
 * empty database, plus a harness to seed teams and webhook subscriptions and to read what the
 * store wrote (outbox, ledger, audit, rows).
 */
import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { SQL } from "bun";
import type { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AuditActor, JobStore, NewJob } from "../../src/ports/job-store";
import { openDatabase } from "../../src/db/client";
import { migrate } from "../../src/db/migrate";
import { migratePostgres } from "../../src/db/migrate-pg";
import { SqliteJobStore } from "../../src/adapters/job-store-sqlite";
import { PostgresJobStore } from "../../src/adapters/job-store-postgres";
import { WorkerJobStore } from "../../src/adapters/job-store-worker";
import { testPostgres } from "../helpers/postgres";

type Payload = { data: Record<string, unknown> & { result?: { pages: { page_number: number; result: unknown }[] } }; results_removed?: boolean };
type JobView = { stage: string; status: string; creditsUsed: number; processedPages: number; failedPages: number; errorMessage: string | null; deleted: boolean; instructions: string | null; structuredResult: string | null };

interface Harness {
  store: JobStore;
  /** Moves the store's clock. */
  advance(ms: number): void;
  team(id: string): Promise<void>;
  subscribe(teamId: string, events: string[], includeResults?: boolean): Promise<void>;
  /** Queued webhook events of a job, oldest first. */
  outbox(jobId: string): Promise<{ type: string; payload: Payload }[]>;
  /** Credit rows of a team, oldest first (refunds and detached charges carry the job in metadata). */
  ledger(teamId: string): Promise<{ kind: string; amount: number; jobId: string | null }[]>;
  auditActions(jobId: string): Promise<string[]>;
  job(jobId: string): Promise<JobView | null>;
  pages(jobId: string): Promise<{ pageNumber: number; status: string }[]>;
  /** Makes the next outbox write fail (to prove a change and its event share one transaction). */
  breakOutbox(): Promise<void>;
  close(): Promise<void>;
}

type JobRowView = { stage: string; status: string; credits_used: unknown; processed_pages: unknown; failed_pages: unknown; error_message: string | null; deleted_at: unknown; instructions: string | null; structured_result: string | null };
const jobView = (r: JobRowView | null | undefined): JobView | null =>
  r
    ? { stage: r.stage, status: r.status, creditsUsed: Number(r.credits_used), processedPages: Number(r.processed_pages), failedPages: Number(r.failed_pages), errorMessage: r.error_message, deleted: r.deleted_at !== null, instructions: r.instructions, structuredResult: r.structured_result }
    : null;

async function sqliteBackend(): Promise<Harness> {
  const db = openDatabase(":memory:");
  migrate(db);
  let now = 1_700_000_000_000;
  return sqliteHarness(db.$client, new SqliteJobStore(db.$client, { clock: () => now }), (ms) => void (now += ms), async () => db.$client.close());
}

/** The same store on its own thread and connection (what the server runs); the harness reads through a second connection. */
async function sqliteThreadBackend(): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), "leapocr-store-thread-"));
  const db = openDatabase(join(dir, "leapocr.db"));
  migrate(db);
  let now = 1_700_000_000_000;
  const store = new WorkerJobStore(join(dir, "leapocr.db"), { clock: () => now });
  return sqliteHarness(db.$client, store, (ms) => void (now += ms), async () => {
    await store.close();
    db.$client.close();
    rmSync(dir, { recursive: true, force: true });
  });
}

function sqliteHarness(s: Database, store: JobStore, advance: (ms: number) => void, close: () => Promise<void>): Harness {
  return {
    store,
    advance,
    async team(id) {
      s.query("INSERT OR IGNORE INTO organizations (id, name, created_at) VALUES ('org', 'Org', 0)").run();
      s.query("INSERT INTO teams (id, organization_id, name, created_at) VALUES (?1, 'org', ?1, 0)").run(id);
    },
    async subscribe(teamId, events, includeResults = false) {
      s.query(
        `INSERT INTO webhook_subscriptions (id, team_id, url, events_json, secret, enabled, include_results, created_at, updated_at)
         VALUES (?1, ?2, 'http://127.0.0.1:9/hook', ?3, 'secret', 1, ?4, 0, 0)`,
      ).run(crypto.randomUUID(), teamId, JSON.stringify(events), includeResults ? 1 : 0);
    },
    outbox: async (jobId) =>
      s
        .query<{ event_type: string; payload_json: string }, [string]>("SELECT event_type, payload_json FROM webhook_deliveries WHERE job_id = ?1 ORDER BY rowid")
        .all(jobId)
        .map((r) => ({ type: r.event_type, payload: JSON.parse(r.payload_json) })),
    ledger: async (teamId) =>
      s
        .query<{ kind: string; amount: number; jobId: string | null }, [string]>("SELECT kind, amount, job_id AS jobId FROM credit_transactions WHERE team_id = ?1 ORDER BY rowid")
        .all(teamId),
    auditActions: async (jobId) => s.query<{ action: string }, [string]>("SELECT action FROM audit_log WHERE target_id = ?1 ORDER BY rowid").all(jobId).map((r) => r.action),
    job: async (jobId) => jobView(s.query<JobRowView, [string]>("SELECT * FROM jobs WHERE id = ?1").get(jobId)),
    pages: async (jobId) => s.query<{ pageNumber: number; status: string }, [string]>("SELECT page_number AS pageNumber, status FROM pages WHERE job_id = ?1 ORDER BY page_number").all(jobId),
    breakOutbox: async () => void s.exec("CREATE TRIGGER no_outbox BEFORE INSERT ON webhook_deliveries BEGIN SELECT RAISE(ABORT, 'outbox down'); END"),
    close,
  };
}

// One database for this file, migrated once; each test starts from emptied tables.
const pg = await testPostgres();
const pgSql = pg.ok ? new SQL(pg.db.url, { max: 4 }) : null;
if (pgSql) {
  await migratePostgres(pgSql);
  // Insertion order, which SQLite's rowid gives for free: a column of this test database only.
  for (const table of ["webhook_deliveries", "credit_transactions", "audit_log"]) await pgSql.unsafe(`ALTER TABLE ${table} ADD COLUMN test_seq bigserial`);
}
afterAll(async () => {
  await pgSql?.close();
  if (pg.ok) await pg.db.drop();
});

async function postgresBackend(): Promise<Harness> {
  const s = pgSql!;
  await s.unsafe("DROP TRIGGER IF EXISTS no_outbox ON webhook_deliveries");
  const tables = (await s`SELECT tablename FROM pg_tables WHERE schemaname = 'public'`) as { tablename: string }[];
  await s.unsafe(`TRUNCATE ${tables.map((t) => `"${t.tablename}"`).join(", ")} CASCADE`);
  let now = 1_700_000_000_000;
  const store = new PostgresJobStore(s, { clock: () => now });
  return {
    store,
    advance: (ms) => void (now += ms),
    async team(id) {
      await s`INSERT INTO organizations (id, name, created_at) VALUES ('org', 'Org', 0) ON CONFLICT DO NOTHING`;
      await s`INSERT INTO teams (id, organization_id, name, created_at) VALUES (${id}, 'org', ${id}, 0)`;
    },
    async subscribe(teamId, events, includeResults = false) {
      await s`INSERT INTO webhook_subscriptions (id, team_id, url, events_json, secret, enabled, include_results, created_at, updated_at)
              VALUES (${crypto.randomUUID()}, ${teamId}, 'http://127.0.0.1:9/hook', ${JSON.stringify(events)}, 'secret', true, ${includeResults}, 0, 0)`;
    },
    outbox: async (jobId) =>
      ((await s`SELECT event_type, payload_json FROM webhook_deliveries WHERE job_id = ${jobId} ORDER BY test_seq`) as { event_type: string; payload_json: string }[]).map(
        (r) => ({ type: r.event_type, payload: JSON.parse(r.payload_json) }),
      ),
    ledger: async (teamId) =>
      ((await s`SELECT kind, amount, job_id FROM credit_transactions WHERE team_id = ${teamId} ORDER BY test_seq`) as { kind: string; amount: string; job_id: string | null }[]).map(
        (r) => ({ kind: r.kind, amount: Number(r.amount), jobId: r.job_id }),
      ),
    auditActions: async (jobId) => ((await s`SELECT action FROM audit_log WHERE target_id = ${jobId} ORDER BY test_seq`) as { action: string }[]).map((r) => r.action),
    job: async (jobId) => jobView(((await s`SELECT * FROM jobs WHERE id = ${jobId}`) as JobRowView[])[0]),
    pages: async (jobId) =>
      ((await s`SELECT page_number, status FROM pages WHERE job_id = ${jobId} ORDER BY page_number`) as { page_number: string; status: string }[]).map((r) => ({
        pageNumber: Number(r.page_number),
        status: r.status,
      })),
    async breakOutbox() {
      await s.unsafe(`CREATE OR REPLACE FUNCTION no_outbox() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'outbox down'; END $$`);
      await s.unsafe(`CREATE TRIGGER no_outbox BEFORE INSERT ON webhook_deliveries FOR EACH ROW EXECUTE FUNCTION no_outbox()`);
    },
    close: async () => {},
  };
}

const backends: [string, (() => Promise<Harness>) | null][] = [
  ["sqlite", sqliteBackend],
  ["sqlite on its own thread", sqliteThreadBackend],
  ["postgres", pg.ok ? postgresBackend : null],
];

const USER: AuditActor = { type: "user", id: "u1" };
const LEASE = 60_000;

function newJob(id: string, teamId: string, over: Partial<NewJob> = {}): NewJob {
  return {
    id, teamId, apiKeyId: null, fileName: `${id}.pdf`, model: "standard-v2", format: "markdown", instructions: "be brief", schemaJson: null,
    extractBoundingBoxes: false, templateId: null, templateSlug: null, requestId: null,
    source: { kind: "direct", declaredContentType: "application/pdf", declaredSize: 100, uploadId: `up-${id}`, uploadParts: 1, uploadExpiresAt: 0 },
    ...over,
  };
}

for (const [name, make] of backends) {
  describe.skipIf(!make)(`${name} job store`, () => {
    let h: Harness;
    let store: JobStore;
    afterEach(() => h.close());
    const setup = async () => {
      h = await make!();
      store = h.store;
      await h.team("t1");
      await h.team("t2");
    };

    /** A direct job, uploaded and split into `pages` pages by `owner`. */
    async function splitJob(id: string, pages: number, over: Partial<NewJob> = {}, owner = "w1") {
      await store.createJob(newJob(id, "t1", over));
      await store.uploadDone(id, 100);
      const claimed = await store.claimJobToSplit(owner, LEASE);
      expect(claimed?.id).toBe(id);
      expect(await store.pagesReady(id, owner, pages, "pdf", 100)).toBe(true);
    }

    test("a new job and its job.created event are written together; it waits for its upload before a worker takes it", async () => {
      await setup();
      await h.subscribe("t1", ["job.created"]);
      await h.subscribe("t1", ["job.completed"]);
      await store.createJob(newJob("a", "t1"));
      await store.createJob(newJob("b", "t2"));
      expect((await h.outbox("a")).map((e) => e.type)).toEqual(["job.created"]);
      expect((await h.outbox("a"))[0]!.payload.data.job_id).toBe("a");
      expect((await h.outbox("b"))).toEqual([]); // t2 has no subscription
      expect((await h.job("a"))).toMatchObject({ stage: "awaiting_upload", status: "pending" });
      expect(await store.claimJobToSplit("w1", LEASE)).toBeNull();
      // One caller joins the parts; a failed join gives the upload back.
      const claims = await Promise.all([store.claimUpload("a", "up-a"), store.claimUpload("a", "up-a")]);
      expect(claims.sort()).toEqual([false, true]);
      await store.releaseUpload("a", "up-a");
      expect(await store.claimUpload("a", "up-a")).toBe(true);
      expect(await store.claimUpload("a", "up-other")).toBe(false);
      await store.uploadDone("a", 100);
      expect(await store.claimJobToSplit("w1", LEASE)).toMatchObject({ id: "a", teamId: "t1", source: "direct" });
      expect(await store.claimJobToSplit("w2", LEASE)).toBeNull();
    });

    test("when the event cannot be queued, the job is not created either", async () => {
      await setup();
      await h.subscribe("t1", ["job.created"]);
      await h.breakOutbox();
      await expect(store.createJob(newJob("a", "t1"))).rejects.toThrow();
      expect((await h.job("a"))).toBeNull();
    });

    test("a URL job is queued at once; a refused upload fails the job with its reason", async () => {
      await setup();
      await store.createJob(newJob("u", "t1", { source: { kind: "url", url: "http://docs.invalid/a.pdf" } }));
      expect(await store.claimJobToSplit("w1", LEASE)).toMatchObject({ id: "u", source: "url", sourceUrl: "http://docs.invalid/a.pdf" });
      await store.createJob(newJob("d", "t1"));
      await store.uploadFailed("d", "The uploaded file is 3 bytes but file_size said 100.");
      expect((await h.job("d"))).toMatchObject({ stage: "done", status: "failed", errorMessage: "The uploaded file is 3 bytes but file_size said 100." });
    });

    test("pages are claimed once under a lease, finish the job, and the job is charged once with its event", async () => {
      await setup();
      await h.subscribe("t1", ["job.processing", "job.completed"], true);
      await splitJob("a", 3);
      expect((await h.outbox("a")).map((e) => e.type)).toEqual(["job.processing"]);
      expect((await h.job("a"))).toMatchObject({ stage: "pages", status: "processing" });
      const p1 = (await store.claimNextPage("w1", LEASE))!;
      const p2 = (await store.claimNextPage("w2", LEASE))!;
      const p3 = (await store.claimNextPage("w1", LEASE))!;
      expect([p1.pageNumber, p2.pageNumber, p3.pageNumber]).toEqual([1, 2, 3]);
      expect(await store.claimNextPage("w3", LEASE)).toBeNull();
      const row = (text: string) => ({ result: text, confidence: 0.9, width: 10, height: 10, boundingBoxesJson: null, route: "offline:text-layer" });
      await store.completePage(p1, "w1", row("one"));
      await store.failPage(p2, "w2", "model crashed");
      expect(await store.finishJobIfDone("a", 2)).toBe(false); // page 3 still open
      await store.completePage(p3, "w1", row("three"));
      expect(await store.finishJobIfDone("a", 2)).toBe(true);
      expect((await h.job("a"))).toMatchObject({ stage: "done", status: "completed", creditsUsed: 4, processedPages: 3, failedPages: 1, errorMessage: "Page 2 failed: model crashed" });
      expect((await h.ledger("t1"))).toEqual([{ kind: "charge", amount: -4, jobId: "a" }]);
      const events = (await h.outbox("a"));
      expect(events.map((e) => e.type)).toEqual(["job.processing", "job.completed"]);
      expect(events[1]!.payload.data.result!.pages.map((p) => p.result)).toEqual(["one", "", "three"]);
      // Numbers are numbers and times ISO strings whatever the engine returns for its integer columns.
      expect(events[1]!.payload.data).toMatchObject({ status: "completed", total_pages: 3, processed_pages: 3, failed_pages: 1, credits_used: 4 });
      expect(events[1]!.payload.data.created_at).toMatch(/^\d{4}-\d\d-\d\dT/);
      expect(events[1]!.payload.data.completed_at).toMatch(/^\d{4}-\d\d-\d\dT/);
      // Finishing again (a restart's sweep) changes nothing and charges nothing.
      expect(await store.finishJobIfDone("a", 2)).toBe(false);
      expect((await h.ledger("t1"))).toHaveLength(1);
      expect((await h.outbox("a"))).toHaveLength(2);
      expect(await store.jobStatus("a")).toBe("completed");
    });

    test("a job whose every page failed ends failed, uncharged, with job.failed", async () => {
      await setup();
      await h.subscribe("t1", ["job.completed", "job.failed"]);
      await splitJob("a", 2);
      for (let i = 0; i < 2; i++) await store.failPage((await store.claimNextPage("w1", LEASE))!, "w1", "unreadable");
      expect(await store.finishJobIfDone("a", 2)).toBe(true);
      expect((await h.job("a"))).toMatchObject({ status: "failed", creditsUsed: 0, errorMessage: "2 of 2 pages failed; page 1: unreadable" });
      expect((await h.ledger("t1"))).toEqual([]);
      expect((await h.outbox("a")).map((e) => e.type)).toEqual(["job.failed"]);
    });

    test("a structured job whose every page failed ends with the pages' reason, as a markdown job does; one that lost a page says so beside its object", async () => {
      await setup();
      await splitJob("s", 2, { format: "structured", schemaJson: "{}" });
      for (let i = 0; i < 2; i++) await store.failPage((await store.claimNextPage("w1", LEASE))!, "w1", "unreadable");
      expect(await store.claimExtraction("s", "w1", LEASE)).toBe(true);
      expect(await store.finishExtraction("s", "w1", { error: "No page could be read, so nothing was extracted." }, 3)).toBe(true);
      expect((await h.job("s"))).toMatchObject({ status: "failed", creditsUsed: 0, errorMessage: "2 of 2 pages failed; page 1: unreadable" });

      await h.subscribe("t1", ["job.completed"], true);
      await splitJob("p", 3, { format: "structured", schemaJson: "{}" });
      for (let i = 0; i < 3; i++) {
        const page = (await store.claimNextPage("w1", LEASE))!;
        if (page.pageNumber === 1) await store.failPage(page, "w1", "blurred");
        else await store.completePage(page, "w1", { result: "x", confidence: null, width: 1, height: 1, boundingBoxesJson: null, route: "x" });
      }
      expect(await store.claimExtraction("p", "w1", LEASE)).toBe(true);
      expect(await store.finishExtraction("p", "w1", { resultJson: '{"total":7}', inputTokens: null, outputTokens: null }, 1)).toBe(true);
      expect((await h.job("p"))).toMatchObject({ status: "completed", creditsUsed: 2, errorMessage: "Page 1 failed and was left out of the extraction: blurred" });
      // The object lives on page 1 only when page 1 was read (as the result route shows it); it is always structured_result.
      const completed = (await h.outbox("p")).at(-1)!.payload.data as { structured_result?: unknown; result?: { structured_result?: unknown; pages: { page_number: number; result: unknown }[] } };
      expect(completed.result!.structured_result).toEqual({ total: 7 });
      expect(completed.result!.pages.map((p) => p.result)).toEqual([null, null, null]);
    });

    test("a lease keeps a page from others until it expires; renewal extends it; a stale owner's result is dropped", async () => {
      await setup();
      await splitJob("a", 1);
      const mine = (await store.claimNextPage("w1", LEASE))!;
      h.advance(LEASE / 2);
      expect(await store.renewPageLease(mine.pageId, "w1", LEASE)).toBe(true);
      expect(await store.renewPageLease(mine.pageId, "w2", LEASE)).toBe(false);
      h.advance(LEASE - 1);
      expect(await store.claimNextPage("w2", LEASE)).toBeNull(); // renewed: still held
      h.advance(2);
      const theirs = (await store.claimNextPage("w2", LEASE))!;
      expect(theirs).toMatchObject({ pageId: mine.pageId, attempts: 2 });
      await store.completePage(mine, "w1", { result: "late", confidence: null, width: 1, height: 1, boundingBoxesJson: null, route: "x" });
      expect((await h.job("a"))!.processedPages).toBe(0);
      await store.completePage(theirs, "w2", { result: "ok", confidence: null, width: 1, height: 1, boundingBoxesJson: null, route: "x" });
      expect((await h.job("a"))!.processedPages).toBe(1);
      expect(await store.pageTexts("a")).toEqual([{ pageNumber: 1, markdown: "ok" }]);
    });

    test("a split in progress renews its lease: nobody takes the job while it is renewed; another owner, a deleted job or a finished split cannot renew", async () => {
      await setup();
      await store.createJob(newJob("a", "t1"));
      await store.uploadDone("a", 100);
      expect((await store.claimJobToSplit("w1", LEASE))?.id).toBe("a");
      h.advance(LEASE / 2);
      expect(await store.renewJobLease("a", "w1", LEASE)).toBe(true);
      expect(await store.renewJobLease("a", "w2", LEASE)).toBe(false);
      h.advance(LEASE - 1); // past the first lease, within the renewed one
      expect(await store.claimJobToSplit("w2", LEASE)).toBeNull();
      h.advance(2);
      expect((await store.claimJobToSplit("w2", LEASE))?.id).toBe("a"); // not renewed again: taken
      expect(await store.renewJobLease("a", "w1", LEASE)).toBe(false); // lost to w2
      expect(await store.pagesReady("a", "w2", 1, "pdf", 100)).toBe(true);
      expect(await store.renewJobLease("a", "w2", LEASE)).toBe(false); // split done: no job lease left
      await store.createJob(newJob("b", "t1"));
      await store.uploadDone("b", 100);
      expect((await store.claimJobToSplit("w1", LEASE))?.id).toBe("b");
      await store.purgeJob("b", "deleted", USER);
      expect(await store.renewJobLease("b", "w1", LEASE)).toBe(false);
    });

    test("a split or an extraction whose lease ran out is taken by another owner while everything runs; the first owner's late writes are refused", async () => {
      await setup();
      await store.createJob(newJob("a", "t1"));
      await store.uploadDone("a", 100);
      expect((await store.claimJobToSplit("w1", LEASE))?.id).toBe("a");
      h.advance(LEASE - 1);
      expect(await store.claimJobToSplit("w2", LEASE)).toBeNull();
      h.advance(2);
      expect((await store.claimJobToSplit("w2", LEASE))?.id).toBe("a");
      expect(await store.pagesReady("a", "w1", 2, "pdf", 100)).toBe(false);
      expect(await store.pagesReady("a", "w2", 1, "pdf", 100)).toBe(true);
      expect(await h.pages("a")).toEqual([{ pageNumber: 1, status: "pending" }]);

      expect(await store.finishJobIfDone("a", 1)).toBe(false);
      await store.purgeJob("a", "deleted", USER);

      await splitJob("s", 1, { format: "structured", schemaJson: "{}" });
      await store.completePage((await store.claimNextPage("w1", LEASE))!, "w1", { result: "x", confidence: null, width: 1, height: 1, boundingBoxesJson: null, route: "x" });
      expect(await store.claimExtraction("s", "w1", LEASE)).toBe(true);
      expect(await store.jobsAwaitingFinish()).toEqual([]);
      h.advance(LEASE + 1);
      expect(await store.jobsAwaitingFinish()).toEqual([{ id: "s", model: "standard-v2", format: "structured" }]);
      expect(await store.claimExtraction("s", "w2", LEASE)).toBe(true);
      expect(await store.finishExtraction("s", "w1", { resultJson: "{}", inputTokens: null, outputTokens: null }, 1)).toBe(false);
      expect(await store.finishExtraction("s", "w2", { resultJson: '{"ok":true}', inputTokens: null, outputTokens: null }, 1)).toBe(true);
      expect(await h.job("s")).toMatchObject({ status: "completed", structuredResult: '{"ok":true}' });
    });

    test("shutdown gives work back: a released page, split job and extraction are taken again at once", async () => {
      await setup();
      await splitJob("a", 1);
      const page = (await store.claimNextPage("w1", LEASE))!;
      await store.releasePage(page.pageId, "w1");
      expect((await store.claimNextPage("w2", LEASE))?.pageId).toBe(page.pageId);

      await store.createJob(newJob("b", "t1"));
      await store.uploadDone("b", 100);
      await store.claimJobToSplit("w1", LEASE);
      expect(await store.releaseJob("b", "w2")).toBe(false);
      expect(await store.releaseJob("b", "w1")).toBe(true);
      expect((await store.claimJobToSplit("w2", LEASE))?.id).toBe("b");

      await splitJob("s", 1, { format: "structured", schemaJson: "{}" });
      await store.completePage((await store.claimNextPage("w1", LEASE))!, "w1", { result: "x", confidence: null, width: 1, height: 1, boundingBoxesJson: null, route: "x" });
      expect(await store.claimExtraction("s", "w1", LEASE)).toBe(true);
      expect(await store.releaseExtraction("s", "w1")).toBe(true);
      expect(await store.claimExtraction("s", "w2", LEASE)).toBe(true);
    });

    test("at start, leases of dead owners and expired ones are freed", async () => {
      await setup();
      await splitJob("a", 2);
      await store.claimNextPage("dead", LEASE);
      await store.claimNextPage("alive", LEASE);
      await store.createJob(newJob("b", "t1"));
      await store.uploadDone("b", 100);
      await store.claimJobToSplit("dead", LEASE);
      expect(await store.reclaimLeases((o) => o !== "dead")).toBe(2);
      expect((await h.pages("a")).map((p) => p.status)).toEqual(["pending", "processing"]);
      expect((await store.claimJobToSplit("w1", LEASE))?.id).toBe("b");
      h.advance(LEASE + 1);
      expect(await store.reclaimLeases(() => true)).toBe(1); // the live owner's lease expired
    });

    test("a structured job: one extraction holder, charged with its object; an extraction error fails it uncharged", async () => {
      await setup();
      await h.subscribe("t1", ["job.completed", "job.failed"], true);
      await splitJob("s", 2, { format: "structured", schemaJson: '{"type":"object"}' });
      const p1 = (await store.claimNextPage("w1", LEASE))!;
      expect(await store.claimExtraction("s", "w1", LEASE)).toBe(false); // pages still open
      await store.completePage(p1, "w1", { result: "one", confidence: null, width: 1, height: 1, boundingBoxesJson: null, route: "x" });
      await store.completePage((await store.claimNextPage("w1", LEASE))!, "w1", { result: "two", confidence: null, width: 1, height: 1, boundingBoxesJson: null, route: "x" });
      expect(await store.finishJobIfDone("s", 1)).toBe(false); // not for structured jobs
      expect(await store.claimExtraction("s", "w1", LEASE)).toBe(true);
      expect(await store.claimExtraction("s", "w2", LEASE)).toBe(false);
      expect(await store.claimExtraction("s", "w1", LEASE)).toBe(true); // the holder renews
      expect(await store.pageTexts("s")).toEqual([{ pageNumber: 1, markdown: "one" }, { pageNumber: 2, markdown: "two" }]);
      expect(await store.finishExtraction("s", "w2", { resultJson: "{}", inputTokens: 1, outputTokens: 1 }, 3)).toBe(false);
      expect(await store.finishExtraction("s", "w1", { resultJson: '{"total":42}', inputTokens: 10, outputTokens: 5 }, 3)).toBe(true);
      expect((await h.job("s"))).toMatchObject({ status: "completed", creditsUsed: 6, structuredResult: '{"total":42}' });
      expect((await h.ledger("t1"))).toEqual([{ kind: "charge", amount: -6, jobId: "s" }]);
      const completed = (await h.outbox("s")).at(-1)!;
      expect(completed.type).toBe("job.completed");
      expect(completed.payload.data.result!.pages.map((p) => p.result)).toEqual([{ total: 42 }, null]);

      await splitJob("e", 1, { format: "structured", schemaJson: "{}" });
      await store.completePage((await store.claimNextPage("w1", LEASE))!, "w1", { result: "x", confidence: null, width: 1, height: 1, boundingBoxesJson: null, route: "x" });
      expect(await store.jobsAwaitingFinish()).toEqual([{ id: "e", model: "standard-v2", format: "structured" }]);
      await store.claimExtraction("e", "w1", LEASE);
      expect(await store.finishExtraction("e", "w1", { error: "The model returned no JSON." }, 3)).toBe(true);
      expect((await h.job("e"))).toMatchObject({ status: "failed", creditsUsed: 0, errorMessage: "The model returned no JSON." });
      expect((await h.outbox("e")).map((e) => e.type)).toEqual(["job.failed"]);
      expect((await h.ledger("t1"))).toHaveLength(1);
    });

    test("a job that cannot be split fails once with job.failed; another owner cannot fail it", async () => {
      await setup();
      await h.subscribe("t1", ["job.failed"]);
      await store.createJob(newJob("a", "t1"));
      await store.uploadDone("a", 100);
      await store.claimJobToSplit("w1", LEASE);
      expect(await store.failJob("a", "w2", "nope")).toBe(false);
      expect(await store.failJob("a", "w1", "The document has no pages.")).toBe(true);
      expect(await store.failJob("a", null, "again")).toBe(false);
      expect((await h.job("a"))).toMatchObject({ stage: "done", status: "failed", errorMessage: "The document has no pages." });
      expect((await h.outbox("a")).map((e) => e.type)).toEqual(["job.failed"]);
    });

    test("retry refunds the charge, resets the failed pages with an audit row and job.processing; the next finish charges again", async () => {
      await setup();
      await h.subscribe("t1", ["job.processing"]);
      await splitJob("a", 2);
      await store.completePage((await store.claimNextPage("w1", LEASE))!, "w1", { result: "ok", confidence: null, width: 1, height: 1, boundingBoxesJson: null, route: "x" });
      await store.failPage((await store.claimNextPage("w1", LEASE))!, "w1", "timeout");
      await store.finishJobIfDone("a", 2);
      await store.resultsRead("a");
      expect(await store.retryJob("a", "failed", USER)).toBe(1);
      expect((await h.job("a"))).toMatchObject({ stage: "pages", status: "processing", creditsUsed: 0, processedPages: 1, failedPages: 0, errorMessage: null });
      expect((await h.pages("a")).map((p) => p.status)).toEqual(["completed", "pending"]);
      expect((await h.ledger("t1"))).toEqual([
        { kind: "charge", amount: -2, jobId: null },
        { kind: "refund", amount: 2, jobId: null },
      ]);
      expect((await h.auditActions("a"))).toEqual(["job.retried"]);
      expect((await h.outbox("a")).map((e) => e.type)).toEqual(["job.processing", "job.processing"]);
      await store.completePage((await store.claimNextPage("w1", LEASE))!, "w1", { result: "ok", confidence: null, width: 1, height: 1, boundingBoxesJson: null, route: "x" });
      expect(await store.finishJobIfDone("a", 2)).toBe(true);
      expect((await h.ledger("t1")).reduce((n, r) => n + r.amount, 0)).toBe(-4);
      // Every page again; a job that failed before it had pages starts from its file.
      expect(await store.retryJob("a", "all", USER)).toBe(2);
      await store.createJob(newJob("b", "t1"));
      await store.uploadDone("b", 100);
      await store.claimJobToSplit("w1", LEASE);
      await store.failJob("b", "w1", "unreadable");
      expect(await store.retryJob("b", "failed", USER)).toBe(0);
      expect((await h.job("b"))).toMatchObject({ stage: "queued", status: "pending" });
    });

    test("purge stops a running job, removes its content and the results in earlier payloads, and says job.deleted once", async () => {
      await setup();
      await h.subscribe("t1", ["job.completed", "job.deleted"], true);
      await splitJob("done", 1);
      await store.completePage((await store.claimNextPage("w1", LEASE))!, "w1", { result: "secret text", confidence: null, width: 1, height: 1, boundingBoxesJson: null, route: "x" });
      await store.finishJobIfDone("done", 1);
      expect(JSON.stringify((await h.outbox("done"))[0]!.payload)).toContain("secret text");
      expect(await store.purgeJob("done", "expired", { type: "system", id: "retention" })).toEqual({ teamId: "t1", uploadId: null });
      const [completed, deleted] = (await h.outbox("done"));
      expect(JSON.stringify(completed!.payload)).not.toContain("secret text");
      expect(completed!.payload.results_removed).toBe(true);
      expect(deleted!.type).toBe("job.deleted");
      expect(deleted!.payload.data.reason).toBe("expired");
      expect((await h.job("done"))).toMatchObject({ status: "completed", deleted: true, instructions: null });
      expect((await h.pages("done"))).toEqual([]);
      expect((await h.auditActions("done"))).toEqual(["job.purged"]);

      await splitJob("running", 2);
      const page = (await store.claimNextPage("w1", LEASE))!;
      expect(await store.purgeJob("running", "deleted", USER)).toEqual({ teamId: "t1", uploadId: null });
      expect((await h.job("running"))).toMatchObject({ stage: "done", status: "failed", errorMessage: "Deleted before it finished." });
      await store.completePage(page, "w1", { result: "late", confidence: null, width: 1, height: 1, boundingBoxesJson: null, route: "x" });
      expect(await store.claimNextPage("w1", LEASE)).toBeNull();
      expect(await store.finishJobIfDone("running", 1)).toBe(false);
      expect(await store.jobOptions("running")).toBeNull();
      await store.purgeJob("running", "expired", USER);
      expect((await h.outbox("running")).map((e) => e.type)).toEqual(["job.deleted"]);
      expect((await h.auditActions("running"))).toEqual(["job.deleted", "job.purged"]);

      await store.createJob(newJob("uploading", "t1"));
      expect(await store.purgeJob("uploading", "abandoned", USER)).toEqual({ teamId: "t1", uploadId: "up-uploading" });
      // Its parts were being joined meanwhile: the upload's end finds it gone.
      expect(await store.uploadDone("uploading", 100)).toBe(false);
      expect(await store.claimJobToSplit("w1", LEASE)).toBeNull();
      expect(await store.purgeJob("nope", "deleted", USER)).toBeNull();
    });

    test("pages finishing while their job is purged: both sides succeed, every time (no deadlock between them)", async () => {
      await setup();
      for (let i = 0; i < 20; i++) {
        const id = `race${i}`;
        await splitJob(id, 4);
        const held = [];
        for (let n = 0; n < 3; n++) held.push((await store.claimNextPage("w1", LEASE))!);
        const outcomes = await Promise.allSettled([
          ...held.map((p) => store.completePage(p, "w1", { result: "x", confidence: null, width: 1, height: 1, boundingBoxesJson: null, route: "x" })),
          store.purgeJob(id, "deleted", USER),
        ]);
        expect(outcomes.filter((o) => o.status === "rejected").map((o) => String((o as PromiseRejectedResult).reason))).toEqual([]);
        expect(await h.job(id)).toMatchObject({ deleted: true, stage: "done" });
        expect(await h.pages(id)).toEqual([]);
      }
    });

    test("stats count queued and running work", async () => {
      await setup();
      await splitJob("a", 3);
      await store.claimNextPage("w1", LEASE);
      await store.createJob(newJob("b", "t1"));
      await store.uploadDone("b", 100);
      expect(await store.stats()).toEqual({ jobsQueued: 1, jobsActive: 1, pagesPending: 2, pagesProcessing: 1 });
    });
  });
}

describe.skipIf(!pg.ok)("postgres job store without a test clock", () => {
  test("leases are set and compared on the database clock, never this process's: a replica with a wrong clock neither keeps nor steals a lease", async () => {
    const h = await postgresBackend();
    const store = new PostgresJobStore(pgSql!); // no clock: the database's
    await h.team("t1");
    const realNow = Date.now;
    try {
      await store.createJob(newJob("a", "t1"));
      // This process believes it is 1970, then 2100: the store must not care.
      Date.now = () => 0;
      await store.uploadDone("a", 100);
      expect((await store.claimJobToSplit("w1", LEASE))?.id).toBe("a");
      expect(await store.pagesReady("a", "w1", 1, "pdf", 100)).toBe(true);
      const page = (await store.claimNextPage("w1", 1_000))!;
      expect(page).not.toBeNull();
      Date.now = () => 4_102_444_800_000;
      expect(await store.claimNextPage("w2", LEASE)).toBeNull(); // held for another second by the database's clock
      const [row] = await pgSql!`SELECT lease_expires_at - (extract(epoch FROM now()) * 1000)::int8 AS left_ms FROM pages WHERE id = ${page.pageId}`;
      expect(Number(row.left_ms)).toBeGreaterThan(0);
      expect(Number(row.left_ms)).toBeLessThanOrEqual(1_000);
      // Once the database says the lease ran out, any replica takes the page at run time.
      await Bun.sleep(1_100);
      expect((await store.claimNextPage("w2", LEASE))?.pageId).toBe(page.pageId);
    } finally {
      Date.now = realNow;
    }
  });
});
