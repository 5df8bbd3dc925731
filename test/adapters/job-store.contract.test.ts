/**
 * The job store's contract, written against the port so every adapter runs the same tests
 * (SQLite today; a PostgreSQL adapter adds itself to `backends`). Each backend gives a fresh
 * store on an empty database, plus a harness to seed teams and webhook subscriptions and to
 * read what the store wrote (outbox, ledger, audit, rows).
 */
import { afterEach, describe, expect, test } from "bun:test";
import type { AuditActor, JobStore, NewJob } from "../../src/ports/job-store";
import { openDatabase } from "../../src/db/client";
import { migrate } from "../../src/db/migrate";
import { SqliteJobStore } from "../../src/adapters/job-store-sqlite";

interface Harness {
  store: JobStore;
  /** Moves the store's clock. */
  advance(ms: number): void;
  team(id: string): void;
  subscribe(teamId: string, events: string[], includeResults?: boolean): void;
  /** Queued webhook events of a job, oldest first. */
  outbox(jobId: string): { type: string; payload: { data: Record<string, unknown> & { result?: { pages: { page_number: number; result: unknown }[] } }; results_removed?: boolean } }[];
  /** Credit rows of a team, oldest first (refunds and detached charges carry the job in metadata). */
  ledger(teamId: string): { kind: string; amount: number; jobId: string | null }[];
  auditActions(jobId: string): string[];
  job(jobId: string): { stage: string; status: string; creditsUsed: number; processedPages: number; failedPages: number; errorMessage: string | null; deleted: boolean; instructions: string | null; structuredResult: string | null } | null;
  pages(jobId: string): { pageNumber: number; status: string }[];
  /** Makes the next outbox write fail (to prove a change and its event share one transaction). */
  breakOutbox(): void;
  close(): void;
}

function sqliteBackend(): Harness {
  const db = openDatabase(":memory:");
  migrate(db);
  const s = db.$client;
  let now = 1_700_000_000_000;
  const store = new SqliteJobStore(s, { clock: () => now });
  return {
    store,
    advance: (ms) => (now += ms),
    team(id) {
      s.query("INSERT OR IGNORE INTO organizations (id, name, created_at) VALUES ('org', 'Org', 0)").run();
      s.query("INSERT INTO teams (id, organization_id, name, created_at) VALUES (?1, 'org', ?1, 0)").run(id);
    },
    subscribe(teamId, events, includeResults = false) {
      s.query(
        `INSERT INTO webhook_subscriptions (id, team_id, url, events_json, secret, enabled, include_results, created_at, updated_at)
         VALUES (?1, ?2, 'http://127.0.0.1:9/hook', ?3, 'secret', 1, ?4, 0, 0)`,
      ).run(crypto.randomUUID(), teamId, JSON.stringify(events), includeResults ? 1 : 0);
    },
    outbox: (jobId) =>
      s
        .query<{ event_type: string; payload_json: string }, [string]>("SELECT event_type, payload_json FROM webhook_deliveries WHERE job_id = ?1 ORDER BY rowid")
        .all(jobId)
        .map((r) => ({ type: r.event_type, payload: JSON.parse(r.payload_json) })),
    ledger: (teamId) =>
      s
        .query<{ kind: string; amount: number; jobId: string | null }, [string]>("SELECT kind, amount, job_id AS jobId FROM credit_transactions WHERE team_id = ?1 ORDER BY rowid")
        .all(teamId),
    auditActions: (jobId) => s.query<{ action: string }, [string]>("SELECT action FROM audit_log WHERE target_id = ?1 ORDER BY rowid").all(jobId).map((r) => r.action),
    job(jobId) {
      const r = s
        .query<{ stage: string; status: string; credits_used: number; processed_pages: number; failed_pages: number; error_message: string | null; deleted_at: number | null; instructions: string | null; structured_result: string | null }, [string]>(
          "SELECT * FROM jobs WHERE id = ?1",
        )
        .get(jobId);
      return r
        ? { stage: r.stage, status: r.status, creditsUsed: r.credits_used, processedPages: r.processed_pages, failedPages: r.failed_pages, errorMessage: r.error_message, deleted: r.deleted_at !== null, instructions: r.instructions, structuredResult: r.structured_result }
        : null;
    },
    pages: (jobId) => s.query<{ pageNumber: number; status: string }, [string]>("SELECT page_number AS pageNumber, status FROM pages WHERE job_id = ?1 ORDER BY page_number").all(jobId),
    breakOutbox: () => s.exec("CREATE TRIGGER no_outbox BEFORE INSERT ON webhook_deliveries BEGIN SELECT RAISE(ABORT, 'outbox down'); END"),
    close: () => s.close(),
  };
}

const backends: [string, () => Harness][] = [["sqlite", sqliteBackend]];

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
  describe(`${name} job store`, () => {
    let h: Harness;
    let store: JobStore;
    afterEach(() => h.close());
    const setup = () => {
      h = make();
      store = h.store;
      h.team("t1");
      h.team("t2");
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
      setup();
      h.subscribe("t1", ["job.created"]);
      h.subscribe("t1", ["job.completed"]);
      await store.createJob(newJob("a", "t1"));
      await store.createJob(newJob("b", "t2"));
      expect(h.outbox("a").map((e) => e.type)).toEqual(["job.created"]);
      expect(h.outbox("a")[0]!.payload.data.job_id).toBe("a");
      expect(h.outbox("b")).toEqual([]); // t2 has no subscription
      expect(h.job("a")).toMatchObject({ stage: "awaiting_upload", status: "pending" });
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
      setup();
      h.subscribe("t1", ["job.created"]);
      h.breakOutbox();
      await expect(store.createJob(newJob("a", "t1"))).rejects.toThrow();
      expect(h.job("a")).toBeNull();
    });

    test("a URL job is queued at once; a refused upload fails the job with its reason", async () => {
      setup();
      await store.createJob(newJob("u", "t1", { source: { kind: "url", url: "http://docs.invalid/a.pdf" } }));
      expect(await store.claimJobToSplit("w1", LEASE)).toMatchObject({ id: "u", source: "url", sourceUrl: "http://docs.invalid/a.pdf" });
      await store.createJob(newJob("d", "t1"));
      await store.uploadFailed("d", "The uploaded file is 3 bytes but file_size said 100.");
      expect(h.job("d")).toMatchObject({ stage: "done", status: "failed", errorMessage: "The uploaded file is 3 bytes but file_size said 100." });
    });

    test("pages are claimed once under a lease, finish the job, and the job is charged once with its event", async () => {
      setup();
      h.subscribe("t1", ["job.processing", "job.completed"], true);
      await splitJob("a", 3);
      expect(h.outbox("a").map((e) => e.type)).toEqual(["job.processing"]);
      expect(h.job("a")).toMatchObject({ stage: "pages", status: "processing" });
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
      expect(h.job("a")).toMatchObject({ stage: "done", status: "completed", creditsUsed: 4, processedPages: 3, failedPages: 1, errorMessage: "Page 2 failed: model crashed" });
      expect(h.ledger("t1")).toEqual([{ kind: "charge", amount: -4, jobId: "a" }]);
      const events = h.outbox("a");
      expect(events.map((e) => e.type)).toEqual(["job.processing", "job.completed"]);
      expect(events[1]!.payload.data.result!.pages.map((p) => p.result)).toEqual(["one", "", "three"]);
      // Finishing again (a restart's sweep) changes nothing and charges nothing.
      expect(await store.finishJobIfDone("a", 2)).toBe(false);
      expect(h.ledger("t1")).toHaveLength(1);
      expect(h.outbox("a")).toHaveLength(2);
      expect(await store.jobStatus("a")).toBe("completed");
    });

    test("a job whose every page failed ends failed, uncharged, with job.failed", async () => {
      setup();
      h.subscribe("t1", ["job.completed", "job.failed"]);
      await splitJob("a", 2);
      for (let i = 0; i < 2; i++) await store.failPage((await store.claimNextPage("w1", LEASE))!, "w1", "unreadable");
      expect(await store.finishJobIfDone("a", 2)).toBe(true);
      expect(h.job("a")).toMatchObject({ status: "failed", creditsUsed: 0, errorMessage: "2 of 2 pages failed; page 1: unreadable" });
      expect(h.ledger("t1")).toEqual([]);
      expect(h.outbox("a").map((e) => e.type)).toEqual(["job.failed"]);
    });

    test("a lease keeps a page from others until it expires; renewal extends it; a stale owner's result is dropped", async () => {
      setup();
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
      expect(h.job("a")!.processedPages).toBe(0);
      await store.completePage(theirs, "w2", { result: "ok", confidence: null, width: 1, height: 1, boundingBoxesJson: null, route: "x" });
      expect(h.job("a")!.processedPages).toBe(1);
      expect(await store.pageTexts("a")).toEqual([{ pageNumber: 1, markdown: "ok" }]);
    });

    test("shutdown gives work back: a released page, split job and extraction are taken again at once", async () => {
      setup();
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
      setup();
      await splitJob("a", 2);
      await store.claimNextPage("dead", LEASE);
      await store.claimNextPage("alive", LEASE);
      await store.createJob(newJob("b", "t1"));
      await store.uploadDone("b", 100);
      await store.claimJobToSplit("dead", LEASE);
      expect(await store.reclaimLeases((o) => o !== "dead")).toBe(2);
      expect(h.pages("a").map((p) => p.status)).toEqual(["pending", "processing"]);
      expect((await store.claimJobToSplit("w1", LEASE))?.id).toBe("b");
      h.advance(LEASE + 1);
      expect(await store.reclaimLeases(() => true)).toBe(1); // the live owner's lease expired
    });

    test("a structured job: one extraction holder, charged with its object; an extraction error fails it uncharged", async () => {
      setup();
      h.subscribe("t1", ["job.completed", "job.failed"], true);
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
      expect(h.job("s")).toMatchObject({ status: "completed", creditsUsed: 6, structuredResult: '{"total":42}' });
      expect(h.ledger("t1")).toEqual([{ kind: "charge", amount: -6, jobId: "s" }]);
      const completed = h.outbox("s").at(-1)!;
      expect(completed.type).toBe("job.completed");
      expect(completed.payload.data.result!.pages.map((p) => p.result)).toEqual([{ total: 42 }, null]);

      await splitJob("e", 1, { format: "structured", schemaJson: "{}" });
      await store.completePage((await store.claimNextPage("w1", LEASE))!, "w1", { result: "x", confidence: null, width: 1, height: 1, boundingBoxesJson: null, route: "x" });
      expect(await store.jobsAwaitingFinish()).toEqual([{ id: "e", model: "standard-v2", format: "structured" }]);
      await store.claimExtraction("e", "w1", LEASE);
      expect(await store.finishExtraction("e", "w1", { error: "The model returned no JSON." }, 3)).toBe(true);
      expect(h.job("e")).toMatchObject({ status: "failed", creditsUsed: 0, errorMessage: "The model returned no JSON." });
      expect(h.outbox("e").map((e) => e.type)).toEqual(["job.failed"]);
      expect(h.ledger("t1")).toHaveLength(1);
    });

    test("a job that cannot be split fails once with job.failed; another owner cannot fail it", async () => {
      setup();
      h.subscribe("t1", ["job.failed"]);
      await store.createJob(newJob("a", "t1"));
      await store.uploadDone("a", 100);
      await store.claimJobToSplit("w1", LEASE);
      expect(await store.failJob("a", "w2", "nope")).toBe(false);
      expect(await store.failJob("a", "w1", "The document has no pages.")).toBe(true);
      expect(await store.failJob("a", null, "again")).toBe(false);
      expect(h.job("a")).toMatchObject({ stage: "done", status: "failed", errorMessage: "The document has no pages." });
      expect(h.outbox("a").map((e) => e.type)).toEqual(["job.failed"]);
    });

    test("retry refunds the charge, resets the failed pages with an audit row and job.processing; the next finish charges again", async () => {
      setup();
      h.subscribe("t1", ["job.processing"]);
      await splitJob("a", 2);
      await store.completePage((await store.claimNextPage("w1", LEASE))!, "w1", { result: "ok", confidence: null, width: 1, height: 1, boundingBoxesJson: null, route: "x" });
      await store.failPage((await store.claimNextPage("w1", LEASE))!, "w1", "timeout");
      await store.finishJobIfDone("a", 2);
      await store.resultsRead("a");
      expect(await store.retryJob("a", "failed", USER)).toBe(1);
      expect(h.job("a")).toMatchObject({ stage: "pages", status: "processing", creditsUsed: 0, processedPages: 1, failedPages: 0, errorMessage: null });
      expect(h.pages("a").map((p) => p.status)).toEqual(["completed", "pending"]);
      expect(h.ledger("t1")).toEqual([
        { kind: "charge", amount: -2, jobId: null },
        { kind: "refund", amount: 2, jobId: null },
      ]);
      expect(h.auditActions("a")).toEqual(["job.retried"]);
      expect(h.outbox("a").map((e) => e.type)).toEqual(["job.processing", "job.processing"]);
      await store.completePage((await store.claimNextPage("w1", LEASE))!, "w1", { result: "ok", confidence: null, width: 1, height: 1, boundingBoxesJson: null, route: "x" });
      expect(await store.finishJobIfDone("a", 2)).toBe(true);
      expect(h.ledger("t1").reduce((n, r) => n + r.amount, 0)).toBe(-4);
      // Every page again; a job that failed before it had pages starts from its file.
      expect(await store.retryJob("a", "all", USER)).toBe(2);
      await store.createJob(newJob("b", "t1"));
      await store.uploadDone("b", 100);
      await store.claimJobToSplit("w1", LEASE);
      await store.failJob("b", "w1", "unreadable");
      expect(await store.retryJob("b", "failed", USER)).toBe(0);
      expect(h.job("b")).toMatchObject({ stage: "queued", status: "pending" });
    });

    test("purge stops a running job, removes its content and the results in earlier payloads, and says job.deleted once", async () => {
      setup();
      h.subscribe("t1", ["job.completed", "job.deleted"], true);
      await splitJob("done", 1);
      await store.completePage((await store.claimNextPage("w1", LEASE))!, "w1", { result: "secret text", confidence: null, width: 1, height: 1, boundingBoxesJson: null, route: "x" });
      await store.finishJobIfDone("done", 1);
      expect(JSON.stringify(h.outbox("done")[0]!.payload)).toContain("secret text");
      expect(await store.purgeJob("done", "expired", { type: "system", id: "retention" })).toEqual({ teamId: "t1", uploadId: null });
      const [completed, deleted] = h.outbox("done");
      expect(JSON.stringify(completed!.payload)).not.toContain("secret text");
      expect(completed!.payload.results_removed).toBe(true);
      expect(deleted!.type).toBe("job.deleted");
      expect(deleted!.payload.data.reason).toBe("expired");
      expect(h.job("done")).toMatchObject({ status: "completed", deleted: true, instructions: null });
      expect(h.pages("done")).toEqual([]);
      expect(h.auditActions("done")).toEqual(["job.purged"]);

      await splitJob("running", 2);
      const page = (await store.claimNextPage("w1", LEASE))!;
      expect(await store.purgeJob("running", "deleted", USER)).toEqual({ teamId: "t1", uploadId: null });
      expect(h.job("running")).toMatchObject({ stage: "done", status: "failed", errorMessage: "Deleted before it finished." });
      await store.completePage(page, "w1", { result: "late", confidence: null, width: 1, height: 1, boundingBoxesJson: null, route: "x" });
      expect(await store.claimNextPage("w1", LEASE)).toBeNull();
      expect(await store.finishJobIfDone("running", 1)).toBe(false);
      expect(await store.jobOptions("running")).toBeNull();
      await store.purgeJob("running", "expired", USER);
      expect(h.outbox("running").map((e) => e.type)).toEqual(["job.deleted"]);
      expect(h.auditActions("running")).toEqual(["job.deleted", "job.purged"]);

      await store.createJob(newJob("uploading", "t1"));
      expect(await store.purgeJob("uploading", "abandoned", USER)).toEqual({ teamId: "t1", uploadId: "up-uploading" });
      // Its parts were being joined meanwhile: the upload's end finds it gone.
      expect(await store.uploadDone("uploading", 100)).toBe(false);
      expect(await store.claimJobToSplit("w1", LEASE)).toBeNull();
      expect(await store.purgeJob("nope", "deleted", USER)).toBeNull();
    });

    test("stats count queued and running work", async () => {
      setup();
      await splitJob("a", 3);
      await store.claimNextPage("w1", LEASE);
      await store.createJob(newJob("b", "t1"));
      await store.uploadDone("b", 100);
      expect(await store.stats()).toEqual({ jobsQueued: 1, jobsActive: 1, pagesPending: 2, pagesProcessing: 1 });
    });
  });
}
