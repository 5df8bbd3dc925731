/**
 * Several processes claim and complete pages from one database at the same time (issue 16's
 * proof for replicas): 0 pages claimed twice, 0 completions lost, each finished job charged
 * once for exactly its pages. PostgreSQL for 15 s (skipped, saying why, only when no PostgreSQL
 * can be installed or started); SQLite, several processes on one file, for 5 s.
 * LEAPOCR_RACE_SECONDS overrides both. Throughput is printed (docs/BENCHMARKS.md keeps it).
 */
import { afterAll, describe, expect, test } from "bun:test";
import { SQL } from "bun";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../../src/db/client";
import { migrate } from "../../src/db/migrate";
import { migratePostgres } from "../../src/db/migrate-pg";
import { testPostgres } from "../helpers/postgres";

const WORKERS = 4;
const override = Number(process.env.LEAPOCR_RACE_SECONDS) || 0;

interface WorkerReport {
  owner: string;
  claimed: string[];
  completed: string[];
  jobsCreated: number;
  jobsSplit: number;
  jobsFinished: number;
}

/** Starts the workers together and waits for their reports. */
async function race(backend: "sqlite" | "postgres", target: string, seconds: number): Promise<WorkerReport[]> {
  const procs = Array.from({ length: WORKERS }, (_, i) =>
    Bun.spawn([process.execPath, join(import.meta.dir, "job-store-race.worker.ts"), backend, target, `w${i}:${backend}`, String(seconds * 1000)], {
      stdout: "pipe",
      stderr: "pipe",
    }),
  );
  return Promise.all(
    procs.map(async (p) => {
      const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
      if (code !== 0) throw new Error(`worker exited ${code}: ${err.slice(-2000)}`);
      return JSON.parse(out.trim().split("\n").at(-1)!) as WorkerReport;
    }),
  );
}

/** What the database says of the run's pages and charges. */
interface Outcome {
  pages: { id: string; status: string; attempts: number; route: string | null }[];
  jobs: { id: string; stage: string; completedPages: number; charges: number; charged: number }[];
}

function check(reports: WorkerReport[], db: Outcome, seconds: number, backend: string) {
  const claims = reports.flatMap((r) => r.claimed);
  const twice = claims.length - new Set(claims).size;
  const byId = new Map(db.pages.map((p) => [p.id, p]));
  // A completion is lost when the page is not completed by the worker that reported it.
  const lost = reports.flatMap((r) => r.completed.filter((id) => byId.get(id)?.status !== "completed" || byId.get(id)?.route !== r.owner));
  const rate = Math.round(claims.length / seconds);
  console.log(
    `${backend}: ${WORKERS} processes, ${seconds} s: ${claims.length} pages claimed and completed (${rate}/s), ` +
      `${reports.reduce((n, r) => n + r.jobsSplit, 0)} jobs split, ${reports.reduce((n, r) => n + r.jobsFinished, 0)} finished; ${twice} claimed twice, ${lost.length} completions lost`,
  );
  expect(claims.length).toBeGreaterThan(WORKERS * 10); // they really raced
  expect(new Set(reports.filter((r) => r.claimed.length > 0).map((r) => r.owner)).size).toBeGreaterThan(1);
  expect(twice).toBe(0);
  expect(db.pages.filter((p) => p.attempts > 1)).toEqual([]);
  expect(lost).toEqual([]);
  expect(db.pages.filter((p) => p.status === "processing")).toEqual([]); // each worker finished what it held
  expect(db.pages.filter((p) => p.status === "completed").length).toBe(claims.length);
  for (const job of db.jobs) {
    if (job.stage === "done") expect({ id: job.id, charges: job.charges, charged: job.charged }).toEqual({ id: job.id, charges: 1, charged: -job.completedPages });
    else expect({ id: job.id, charges: job.charges }).toEqual({ id: job.id, charges: 0 });
  }
  expect(db.jobs.filter((j) => j.stage === "done").length).toBe(reports.reduce((n, r) => n + r.jobsFinished, 0));
}

const JOBS_QUERY = `
  SELECT j.id, j.stage,
         (SELECT count(*) FROM pages p WHERE p.job_id = j.id AND p.status = 'completed') AS "completedPages",
         (SELECT count(*) FROM credit_transactions c WHERE c.job_id = j.id AND c.kind = 'charge') AS charges,
         coalesce((SELECT sum(amount) FROM credit_transactions c WHERE c.job_id = j.id AND c.kind = 'charge'), 0) AS charged
  FROM jobs j`;

const pg = await testPostgres();

describe.skipIf(!pg.ok)("postgres: several processes claiming from one database", () => {
  afterAll(async () => {
    if (pg.ok) await pg.db.drop();
  });
  const seconds = override || 15;
  test(`${WORKERS} processes for ${seconds} s: no page claimed twice, no completion lost, each job charged once`, async () => {
    if (!pg.ok) return;
    const sql = new SQL(pg.db.url, { max: 2 });
    await migratePostgres(sql);
    await sql`INSERT INTO organizations (id, name, created_at) VALUES ('org', 'Org', 0)`;
    await sql`INSERT INTO teams (id, organization_id, name, created_at) VALUES ('t1', 'org', 't1', 0)`;
    const reports = await race("postgres", pg.db.url, seconds);
    const pages = ((await sql`SELECT id, status, attempts, route FROM pages`) as { id: string; status: string; attempts: string; route: string | null }[]).map((p) => ({
      ...p,
      attempts: Number(p.attempts),
    }));
    const jobs = ((await sql.unsafe(JOBS_QUERY)) as Record<string, string>[]).map((j) => ({
      id: j.id!, stage: j.stage!, completedPages: Number(j.completedPages), charges: Number(j.charges), charged: Number(j.charged),
    }));
    await sql.close();
    check(reports, { pages, jobs }, seconds, "postgres");
  }, (override || 15) * 1000 + 30_000);
});

describe("sqlite: several processes claiming from one file", () => {
  const seconds = override || 5;
  test(`${WORKERS} processes for ${seconds} s: no page claimed twice, no completion lost, each job charged once`, async () => {
    const dir = mkdtempSync(join(tmpdir(), "leapocr-race-"));
    try {
      const file = join(dir, "leapocr.db");
      const db = openDatabase(file);
      migrate(db);
      const s = db.$client;
      s.exec("INSERT INTO organizations (id, name, created_at) VALUES ('org', 'Org', 0)");
      s.exec("INSERT INTO teams (id, organization_id, name, created_at) VALUES ('t1', 'org', 't1', 0)");
      const reports = await race("sqlite", file, seconds);
      const pages = s.query<{ id: string; status: string; attempts: number; route: string | null }, []>("SELECT id, status, attempts, route FROM pages").all();
      const jobs = s.query<{ id: string; stage: string; completedPages: number; charges: number; charged: number }, []>(JOBS_QUERY).all();
      s.close();
      check(reports, { pages, jobs }, seconds, "sqlite");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, (override || 5) * 1000 + 30_000);
});
