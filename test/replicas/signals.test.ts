/**
 * Signals between replicas (src/ports/signals.ts): in one process they are calls; with
 * PostgreSQL, LISTEN/NOTIFY on a real cluster (test/helpers/postgres.ts), each "replica" with its
 * own connection pool. Then the two users of the signals across replicas: a runner that sleeps
 * (a one-minute poll) is woken by work queued on another replica, and a dashboard event stream
 * on one replica hears a job another replica ended, read on the database's clock.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { SQL } from "bun";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalSignals } from "../../src/adapters/signals-local";
import { PostgresSignals } from "../../src/adapters/signals-postgres";
import { PostgresJobStore } from "../../src/adapters/job-store-postgres";
import { postgresJobEventReader } from "../../src/adapters/job-events-postgres";
import { LocalStorage } from "../../src/adapters/storage-local";
import { OfflineRoute } from "../../src/adapters/model-offline";
import { buildModels } from "../../src/config-file";
import { migratePostgres } from "../../src/db/migrate-pg";
import { silentLogger } from "../../src/lib/logger";
import { PipelineRunner, sourceKey } from "../../src/pipeline/runner";
import { JobEventHub, type JobEvent } from "../../src/modules/dashboard/events";
import type { NewJob } from "../../src/ports/job-store";
import { testPostgres } from "../helpers/postgres";

const pg = await testPostgres();
const pools: SQL[] = [];
/** A replica's own connection pool to the shared database. */
const pool = () => {
  const s = new SQL((pg as { db: { url: string } }).db.url, { max: 3 });
  pools.push(s);
  return s;
};
const admin = pg.ok ? pool() : null;
if (admin) {
  await migratePostgres(admin);
  await admin`INSERT INTO organizations (id, name, created_at) VALUES ('org', 'Org', 0)`;
  await admin`INSERT INTO teams (id, organization_id, name, created_at) VALUES ('team', 'org', 'team', 0)`;
}
afterAll(async () => {
  for (const s of pools) await s.close();
  if (pg.ok) await pg.db.drop();
});

/** Resolves when `check` holds, polling every 20 ms; false after `ms`. */
async function eventually(check: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return true;
    await Bun.sleep(20);
  }
  return await check();
}

describe("in-process signals", () => {
  test("a signal calls this process's listeners at once; after close nobody hears", async () => {
    const s = new LocalSignals();
    let woken = 0;
    const jobs: string[] = [];
    s.onWork(() => woken++);
    s.onJobChanged((id) => jobs.push(id));
    s.workQueued();
    s.jobChanged("job-1");
    expect(woken).toBe(1);
    expect(jobs).toEqual(["job-1"]);
    await s.close();
    s.workQueued();
    expect(woken).toBe(1);
  });
});

describe.skipIf(!pg.ok)("signals across replicas on PostgreSQL", () => {
  test("work and job signals reach every replica once (the sender's own listeners directly, not twice); a burst of work is a few NOTIFYs", async () => {
    const [a, b, c] = await Promise.all([PostgresSignals.start(pool(), silentLogger), PostgresSignals.start(pool(), silentLogger), PostgresSignals.start(pool(), silentLogger)]);
    try {
      const woken = { a: 0, b: 0, c: 0 };
      const jobsB: string[] = [];
      a.onWork(() => woken.a++);
      b.onWork(() => woken.b++);
      c.onWork(() => woken.c++);
      b.onJobChanged((id) => jobsB.push(id));
      a.workQueued();
      expect(woken.a).toBe(1); // directly, before any round trip
      expect(await eventually(() => woken.b === 1 && woken.c === 1, 5_000)).toBe(true);
      a.jobChanged("job-42");
      expect(await eventually(() => jobsB.length === 1, 5_000)).toBe(true);
      expect(jobsB).toEqual(["job-42"]);
      await Bun.sleep(300);
      expect(woken.a).toBe(1); // its own notification came back and was ignored

      for (let i = 0; i < 50; i++) a.workQueued();
      expect(woken.a).toBe(51);
      expect(await eventually(() => woken.c >= 2, 5_000)).toBe(true);
      await Bun.sleep(300);
      expect(woken.c - 1).toBeLessThanOrEqual(2); // one in flight, one queued behind it
    } finally {
      await Promise.all([a.close(), b.close(), c.close()]);
    }
  });

  test("a dropped listening connection comes back by itself, wakes its workers (signals sent meanwhile were lost) and hears again", async () => {
    const sa = pool();
    const sb = pool();
    const [a, b] = await Promise.all([PostgresSignals.start(sa, silentLogger), PostgresSignals.start(sb, silentLogger)]);
    try {
      let woken = 0;
      b.onWork(() => woken++);
      // The server ends every LISTEN connection (as a restart or a network cut would).
      const killed = await admin!`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'LISTEN%' AND pid <> pg_backend_pid()`;
      expect(killed.length).toBeGreaterThanOrEqual(2);
      expect(await eventually(() => woken >= 1, 15_000)).toBe(true); // the reconnect's wake-up
      const before = woken;
      a.workQueued();
      expect(await eventually(() => woken > before, 5_000)).toBe(true);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  }, 30_000);

  test("work queued on replica A wakes replica B's sleeping runner (a one-minute poll): without the signal it does not look", async () => {
    const dir = mkdtempSync(join(tmpdir(), "leapocr-signals-"));
    const store = new PostgresJobStore(pool());
    const storage = new LocalStorage(join(dir, "files"), "signals-test-key");
    const models = buildModels(null, new OfflineRoute({ ocrDpi: 150, ocrWorkers: 1, ocrLangs: ["eng"] }), { pageConcurrency: 1, logger: silentLogger }).registry;
    const signalsA = await PostgresSignals.start(pool(), silentLogger);
    const signalsB = await PostgresSignals.start(pool(), silentLogger);
    const runnerB = new PipelineRunner({
      store, storage, models, limits: { maxPages: 10, maxPagePixels: 50_000_000, maxFileBytes: 1_000_000 }, concurrency: 1, leaseMs: 30_000,
      logger: silentLogger, fetchDocument: async () => new Uint8Array(), idlePollMs: 60_000, onWorkQueued: () => signalsB.workQueued(),
    });
    signalsB.onWork(() => runnerB.wake());
    const status = async (id: string) => ((await admin!`SELECT status FROM jobs WHERE id = ${id}`) as { status: string }[])[0]?.status;
    /** A job replica A's SDK route queued: its file stored (not a document: the split fails it at once). */
    const queue = async () => {
      const id = crypto.randomUUID();
      const job: NewJob = {
        id, teamId: "team", apiKeyId: null, fileName: "x.bin", model: "standard-v2", format: "markdown", instructions: null, schemaJson: null,
        extractBoundingBoxes: false, templateId: null, templateSlug: null, requestId: null,
        source: { kind: "direct", declaredContentType: "application/pdf", declaredSize: 5, uploadId: "up", uploadParts: 1, uploadExpiresAt: Date.now() + 3_600_000 },
      };
      await store.createJob(job);
      await storage.put(sourceKey(id), new TextEncoder().encode("hello"));
      expect(await store.claimUpload(id, "up")).toBe(true);
      expect(await store.uploadDone(id, 5)).toBe(true);
      return id;
    };
    try {
      await runnerB.start();
      await Bun.sleep(300); // it looked, found nothing, and sleeps for a minute
      const quiet = await queue();
      await Bun.sleep(1_500);
      expect(await status(quiet)).toBe("pending"); // nobody told B: it did not look
      signalsA.workQueued();
      expect(await eventually(async () => (await status(quiet)) === "failed", 10_000)).toBe(true);
    } finally {
      await runnerB.stop(1_000);
      await Promise.all([signalsA.close(), signalsB.close(), models.close()]);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  test("a dashboard stream on replica B hears a job replica A ended at once, and its poll reads on the database's clock (B's clock an hour ahead loses nothing)", async () => {
    const store = new PostgresJobStore(pool());
    const signalsA = await PostgresSignals.start(pool(), silentLogger);
    const signalsB = await PostgresSignals.start(pool(), silentLogger);
    const sqlB = pool();
    // Replica B's stream polls once a minute: only the signal can bring the end in time.
    const hubB = new JobEventHub({ logger: silentLogger }, postgresJobEventReader(sqlB), 60_000);
    signalsB.onJobChanged((id) => void hubB.jobChanged(id));
    const seen: JobEvent[] = [];
    const unsubscribe = hubB.subscribe("team", (e) => seen.push(e));
    const realNow = Date.now;
    try {
      const id = crypto.randomUUID();
      await store.createJob({
        id, teamId: "team", apiKeyId: null, fileName: "a.pdf", model: "standard-v2", format: "markdown", instructions: null, schemaJson: null,
        extractBoundingBoxes: false, templateId: null, templateSlug: null, requestId: null, source: { kind: "url", url: "https://example.invalid/a.pdf" },
      });
      const claimed = await store.claimJobToSplit("replica-a", 30_000);
      expect(claimed?.id).toBe(id);
      expect(await store.failJob(id, "replica-a", "The document could not be read.")).toBe(true);
      signalsA.jobChanged(id);
      expect(await eventually(() => seen.some((e) => e.id === id && e.status === "failed"), 5_000)).toBe(true);

      // The poll: B believes it is an hour later than the database does. Its window is the
      // database's, so a change written now is still found.
      Date.now = () => realNow() + 3_600_000;
      const pollB = new JobEventHub({ logger: silentLogger }, postgresJobEventReader(sqlB), 60_000);
      const polled: JobEvent[] = [];
      const stopPolled = pollB.subscribe("team", (e) => polled.push(e));
      await pollB.tick(); // the first look
      const other = crypto.randomUUID();
      await store.createJob({
        id: other, teamId: "team", apiKeyId: null, fileName: "b.pdf", model: "standard-v2", format: "markdown", instructions: null, schemaJson: null,
        extractBoundingBoxes: false, templateId: null, templateSlug: null, requestId: null, source: { kind: "url", url: "https://example.invalid/b.pdf" },
      });
      await pollB.tick();
      expect(polled.map((e) => e.id)).toContain(other);
      stopPolled();
    } finally {
      Date.now = realNow;
      unsubscribe();
      await Promise.all([signalsA.close(), signalsB.close()]);
    }
  });
});
