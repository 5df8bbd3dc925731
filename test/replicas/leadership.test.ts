/**
 * One leader for the singleton passes (src/ports/leadership.ts): one process always leads; on
 * PostgreSQL, three replicas (each its own pool) contend for a session advisory lock on a real
 * cluster. Each round every replica asks at once, and exactly one runs the pass; when the
 * leader's connection is cut or the leader shuts down, another takes over at the next round.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { SQL } from "bun";
import { LocalLeadership } from "../../src/adapters/leadership-local";
import { PostgresLeadership } from "../../src/adapters/leadership-postgres";
import { silentLogger } from "../../src/lib/logger";
import { PostgresJobStore } from "../../src/adapters/job-store-postgres";
import { LocalStorage } from "../../src/adapters/storage-local";
import { OfflineRoute } from "../../src/adapters/model-offline";
import { buildModels } from "../../src/config-file";
import { migratePostgres } from "../../src/db/migrate-pg";
import { PipelineRunner } from "../../src/pipeline/runner";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { testPostgres } from "../helpers/postgres";

const pg = await testPostgres();
const pools: SQL[] = [];
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

test("one process always leads", async () => {
  const leader = new LocalLeadership();
  expect(await leader.runIfLeader(async () => 7)).toBe(7);
  expect(await leader.runIfLeader(async () => 8)).toBe(8);
});

describe.skipIf(!pg.ok)("leadership among replicas on PostgreSQL", () => {
  /** Every replica asks at once; answers the indexes of those that ran the pass. */
  async function round(replicas: PostgresLeadership[]): Promise<number[]> {
    const ran = await Promise.all(replicas.map((r, i) => r.runIfLeader(async () => i)));
    return ran.filter((i): i is number => i !== null);
  }

  test("exactly one of three runs each pass, the same one while it lives; a cut connection or a shutdown hands the lead to another", async () => {
    const replicas = [0, 1, 2].map(() => new PostgresLeadership(pool(), silentLogger));
    try {
      const first = await round(replicas);
      expect(first.length).toBe(1);
      const leader = first[0]!;
      for (let i = 0; i < 5; i++) expect(await round(replicas)).toEqual([leader]);

      // The leader's session is cut (a crashed host, a network cut): the server frees its lock.
      const pid = await replicas[leader]!.backendPid();
      expect(pid).not.toBeNull();
      await admin!`SELECT pg_terminate_backend(${pid})`;
      // The old leader's next pass finds its session gone and does not run (the lock went with it).
      expect(await replicas[leader]!.runIfLeader(async () => "stale")).toBeNull();
      // That replica is dead from here on; the server frees the lock once the backend has
      // exited, and within a few passes one of the others leads: never two at once.
      const alive = replicas.filter((_, i) => i !== leader);
      let after: number[] = [];
      for (let i = 0; i < 50 && after.length === 0; i++) {
        after = await round(alive);
        expect(after.length).toBeLessThanOrEqual(1);
        if (after.length === 0) await Bun.sleep(100);
      }
      expect(after.length).toBe(1);
      const second = replicas.indexOf(alive[after[0]!]!);
      for (let i = 0; i < 3; i++) expect(await round(replicas)).toEqual([second]);

      // The new leader shuts down: it unlocks first, so another takes over at the very next pass.
      await replicas[second]!.close();
      const left = await round(replicas);
      expect(left.length).toBe(1);
      expect(left[0]).not.toBe(second);
      expect(await replicas[second]!.runIfLeader(async () => "closed")).toBeNull();
    } finally {
      await Promise.all(replicas.map((r) => r.close()));
    }
  });

  test("two passes asked at once on the leader both run (one check at a time), and the lock is taken once", async () => {
    const a = new PostgresLeadership(pool(), silentLogger);
    const b = new PostgresLeadership(pool(), silentLogger);
    try {
      const [x, y] = await Promise.all([a.runIfLeader(async () => "retention"), a.runIfLeader(async () => "audit")]);
      expect([x, y]).toEqual(["retention", "audit"]);
      expect(await b.runIfLeader(async () => "b")).toBeNull();
      const [locks] = await admin!`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND objid = ${0x4c454144}`;
      expect(locks.n).toBe(1);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  test("the leader's periodic pass finishes a job a dead replica left between its last page and its finish; the other replica's pass does nothing", async () => {
    const dir = mkdtempSync(join(tmpdir(), "leapocr-leader-"));
    const store = new PostgresJobStore(pool());
    const storage = new LocalStorage(join(dir, "files"), "leader-test-key");
    const models = buildModels(null, new OfflineRoute({ ocrDpi: 150, ocrWorkers: 1, ocrLangs: ["eng"] }), { pageConcurrency: 1, logger: silentLogger }).registry;
    const finished: string[] = [];
    const runner = () =>
      new PipelineRunner({
        store, storage, models, limits: { maxPages: 10, maxPagePixels: 50_000_000, maxFileBytes: 1_000_000 }, concurrency: 1, leaseMs: 30_000,
        logger: silentLogger, fetchDocument: async () => new Uint8Array(), onJobFinished: (id) => finished.push(id),
      });
    const replicas = [runner(), runner()];
    const leaders = [new PostgresLeadership(pool(), silentLogger), new PostgresLeadership(pool(), silentLogger)];
    try {
      // A replica read the job's only page and died before finishing the job.
      const id = crypto.randomUUID();
      await store.createJob({
        id, teamId: "team", apiKeyId: null, fileName: "a.pdf", model: "standard-v2", format: "markdown", instructions: null, schemaJson: null,
        extractBoundingBoxes: false, templateId: null, templateSlug: null, requestId: null, source: { kind: "url", url: "https://example.invalid/a.pdf" },
      });
      expect((await store.claimJobToSplit("dead", 30_000))?.id).toBe(id);
      expect(await store.pagesReady(id, "dead", 1, "application/pdf", 10)).toBe(true);
      const page = (await store.claimNextPage("dead", 30_000))!;
      await store.completePage(page, "dead", { result: "text", confidence: 1, width: 10, height: 10, boundingBoxesJson: null, route: "offline" });
      const found = await Promise.all(replicas.map((r, i) => leaders[i]!.runIfLeader(() => r.finishStranded())));
      expect(found.filter((n) => n !== null)).toEqual([1]); // one pass ran, on the leader, and found the job
      await Bun.sleep(300);
      expect(finished).toEqual([id]);
      const [row] = await admin!`SELECT status FROM jobs WHERE id = ${id}`;
      expect(row.status).toBe("completed");
    } finally {
      await Promise.all(leaders.map((l) => l.close()));
      await models.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
