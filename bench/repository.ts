/**
 * What a repository costs on the request path, in one run
 *   bun run bench/repository.ts [--calls N]
 *
 * The upload's credit check (the team's limit, read on every direct and URL upload), three ways
 * on one SQLite file: the synchronous prepared drizzle read the modules used before
 * (`prepared(db, ...).get()`), the repository through `Database.prepared` (awaited, under the
 * connection's lock), and the same read built on every call through `Database.run`; then the
 * last two on PostgreSQL (a throwaway local cluster, loopback TCP) for scale. Calls are sequential, one
 * at a time; the figure is calls per second and the ratio to the synchronous read.
 */
import { SQL } from "bun";
import { eq, sql } from "drizzle-orm";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../src/db/client";
import { migrate } from "../src/db/migrate";
import { migratePostgres } from "../src/db/migrate-pg";
import { prepared } from "../src/db/prepared";
import { teamCredits } from "../src/db/schema";
import type { Database } from "../src/db/database";
import { sqliteDatabase } from "../src/adapters/database-sqlite";
import { postgresDatabase } from "../src/adapters/database-postgres";
import { creditsRepository } from "../src/modules/credits/repository";
import { testPostgres } from "../test/helpers/postgres";

const i = process.argv.indexOf("--calls");
const CALLS = i > 0 ? Number(process.argv[i + 1]) : 20_000;

async function time(label: string, calls: number, fn: () => unknown): Promise<number> {
  for (let n = 0; n < Math.min(1000, calls); n++) await fn(); // warm-up
  const t0 = performance.now();
  for (let n = 0; n < calls; n++) await fn();
  const perSecond = calls / ((performance.now() - t0) / 1000);
  console.log(`${label.padEnd(52)} ${Math.round(perSecond).toLocaleString("en").padStart(10)} calls/s`);
  return perSecond;
}

async function seed(db: Database): Promise<void> {
  await db.run((q) => q.insert(db.t.organizations).values({ id: "org", name: "Org", createdAt: 0 }));
  await db.run((q) => q.insert(db.t.teams).values({ id: "t1", organizationId: "org", name: "T", createdAt: 0 }));
  await creditsRepository(db).setLimit("t1", 100, 0);
}

const builtRead = (db: Database) => db.run((q) => q.select({ limit: db.t.teamCredits.creditLimit }).from(db.t.teamCredits).where(eq(db.t.teamCredits.teamId, "t1")));

const dir = mkdtempSync(join(tmpdir(), "leapocr-bench-repo-"));
try {
  console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(" ")}; ${CALLS} sequential calls each`);
  const raw = openDatabase(join(dir, "leapocr.db"));
  migrate(raw);
  const data = sqliteDatabase(raw);
  await seed(data);
  const credits = creditsRepository(data);
  const before = await time("sqlite: sync prepared drizzle read (before)", CALLS, () =>
    prepared(raw, "bench.limit", (d) => d.select({ limit: teamCredits.creditLimit }).from(teamCredits).where(eq(teamCredits.teamId, sql.placeholder("teamId"))).prepare()).get({ teamId: "t1" })?.limit,
  );
  const viaPrepared = await time("sqlite: creditsRepository.limit (Database.prepared)", CALLS, () => credits.limit("t1"));
  const viaRun = await time("sqlite: the same read through Database.run (built)", CALLS, () => builtRead(data));
  console.log(`ratios to the sync read: Database.prepared ${(viaPrepared / before).toFixed(2)}, Database.run ${(viaRun / before).toFixed(2)}`);
  raw.$client.close();

  const pg = await testPostgres();
  if (pg.ok) {
    const client = new SQL(pg.db.url, { max: 4 });
    await migratePostgres(client);
    const pgData = postgresDatabase(client);
    await seed(pgData);
    const pgCredits = creditsRepository(pgData);
    const calls = Math.min(CALLS, 5000);
    await time("postgres: creditsRepository.limit (Database.prepared)", calls, () => pgCredits.limit("t1"));
    await time("postgres: the same read through Database.run (built)", calls, () => builtRead(pgData));
    await client.close();
    await pg.db.drop();
  } else {
    console.log(pg.reason);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
