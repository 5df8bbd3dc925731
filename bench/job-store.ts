/**
 * Job store throughput, SQLite beside PostgreSQL, in one run
 *   bun run bench/job-store.ts [--seconds S] [--workers 1,4]
 *
 * For each backend and each process count, that many processes claim, complete and finish pages
 * of one database for S seconds (the race test's worker: test/adapters/job-store-race.worker.ts,
 * making and splitting 20-page jobs when idle), and the run prints pages/s (each page: one claim,
 * one completion, one finish check; a job split every 20 pages). SQLite: one file, WAL, several
 * processes; PostgreSQL: a throwaway local cluster (test/helpers/postgres.ts), fsync off,
 * loopback TCP. Also prints the machine's load average: on a shared machine it sets the level.
 */
import { SQL } from "bun";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../src/db/client";
import { migrate } from "../src/db/migrate";
import { migratePostgres } from "../src/db/migrate-pg";
import { testPostgres } from "../test/helpers/postgres";

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const SECONDS = Number(arg("seconds", "10"));
const WORKERS = arg("workers", "1,4").split(",").map(Number);
const WORKER = join(import.meta.dir, "../test/adapters/job-store-race.worker.ts");

async function run(backend: "sqlite" | "postgres", target: string, workers: number): Promise<{ pages: number; twice: number }> {
  const procs = Array.from({ length: workers }, (_, i) =>
    Bun.spawn([process.execPath, WORKER, backend, target, `w${i}`, String(SECONDS * 1000)], { stdout: "pipe", stderr: "inherit" }),
  );
  const claims = (
    await Promise.all(procs.map(async (p) => (JSON.parse((await new Response(p.stdout).text()).trim()) as { claimed: string[] }).claimed))
  ).flat();
  return { pages: claims.length, twice: claims.length - new Set(claims).size };
}

async function sqliteTarget(): Promise<{ target: string; done(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), "leapocr-bench-"));
  const file = join(dir, "leapocr.db");
  const db = openDatabase(file);
  migrate(db);
  db.$client.exec("INSERT INTO organizations (id, name, created_at) VALUES ('org', 'Org', 0); INSERT INTO teams (id, organization_id, name, created_at) VALUES ('t1', 'org', 't1', 0)");
  db.$client.close();
  return { target: file, done: async () => rmSync(dir, { recursive: true, force: true }) };
}

async function postgresTarget(): Promise<{ target: string; done(): Promise<void> } | null> {
  const pg = await testPostgres();
  if (!pg.ok) return null;
  const sql = new SQL(pg.db.url, { max: 1 });
  await migratePostgres(sql);
  await sql`INSERT INTO organizations (id, name, created_at) VALUES ('org', 'Org', 0)`;
  await sql`INSERT INTO teams (id, organization_id, name, created_at) VALUES ('t1', 'org', 't1', 0)`;
  await sql.close();
  return { target: pg.db.url, done: () => pg.db.drop() };
}

console.log(`job store: ${SECONDS} s per run, load average before: ${loadavg().map((l) => l.toFixed(1)).join(" ")}`);
console.log("backend    processes  pages/s  claimed twice");
for (const workers of WORKERS) {
  for (const backend of ["sqlite", "postgres"] as const) {
    const t = backend === "sqlite" ? await sqliteTarget() : await postgresTarget();
    if (!t) {
      console.log(`${backend.padEnd(10)} (skipped: no PostgreSQL)`);
      continue;
    }
    const r = await run(backend, t.target, workers);
    await t.done();
    console.log(`${backend.padEnd(10)} ${String(workers).padStart(9)}  ${(r.pages / SECONDS).toFixed(0).padStart(7)}  ${String(r.twice).padStart(13)}`);
  }
}
console.log(`load average after: ${loadavg().map((l) => l.toFixed(1)).join(" ")}`);
process.exit(0);
