/**
 * A real PostgreSQL for tests: a throwaway cluster per test process (initdb in a temp directory,
 * listening on a free 127.0.0.1 port, its socket and log in that directory), and one database
 * per test file, dropped after it. Tests never assume a system service.
 *
 * Where the server comes from, in order:
 * - LEAPOCR_TEST_DATABASE_URL: an existing server we may create and drop databases on;
 * - Debian's binaries under /usr/lib/postgresql/<version>/bin (newest version);
 * - as root, `apt-get install postgresql` first (Debian's package, version 15 on bookworm).
 * When none of that works the caller gets a reason and skips its PostgreSQL tests, saying why.
 *
 * The cluster runs as the `postgres` user when we are root (initdb refuses root), as ourselves
 * otherwise, with fsync off: a crash loses nothing a test needs. It is stopped and deleted when
 * the test process ends, by a watchdog (bun test runs no exit handlers).
 */
import { SQL } from "bun";
import { spawn, spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestPostgres {
  /** A connection URL for this file's own database. */
  url: string;
  /** Drops the database (after closing every connection to it). */
  drop(): Promise<void>;
}

export type PostgresOrSkip = { ok: true; db: TestPostgres } | { ok: false; reason: string };

interface Cluster {
  /** URL of the maintenance database, with the database name replaced per test file. */
  baseUrl: URL;
  stop(): void;
}

let cluster: Promise<Cluster> | null = null;

/** A fresh empty database for one test file, or why there cannot be one. */
export async function testPostgres(): Promise<PostgresOrSkip> {
  let c: Cluster;
  try {
    c = await (cluster ??= startCluster());
  } catch (err) {
    const reason = `PostgreSQL tests skipped: ${(err as Error).message}`;
    console.warn(reason);
    return { ok: false, reason };
  }
  const name = `leapocr_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const create = async (base: URL) => {
    const admin = new SQL(base.toString());
    try {
      await admin.unsafe(`CREATE DATABASE "${name}"`);
    } finally {
      await admin.close();
    }
  };
  try {
    await create(c.baseUrl);
  } catch (err) {
    // Our cluster went away (stopped from outside): start another once.
    if (process.env.LEAPOCR_TEST_DATABASE_URL) throw err;
    cluster = null;
    c = await (cluster = startCluster());
    await create(c.baseUrl);
  }
  const url = new URL(c.baseUrl);
  url.pathname = `/${name}`;
  return {
    ok: true,
    db: {
      url: url.toString(),
      async drop() {
        const sql = new SQL(c.baseUrl.toString());
        try {
          await sql.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        } finally {
          await sql.close();
        }
      },
    },
  };
}

async function startCluster(): Promise<Cluster> {
  const external = process.env.LEAPOCR_TEST_DATABASE_URL;
  if (external) return { baseUrl: new URL(external), stop() {} };
  const bin = findBinaries() ?? installBinaries();
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), "leapocr-pg-"));
  if (asRoot) chownSync(dir, uid("postgres"), gid("postgres"));
  const run = (args: string[]) => {
    const cmd = asRoot ? ["runuser", "-u", "postgres", "--", ...args] : args;
    const r = spawnSync(cmd[0]!, cmd.slice(1), { encoding: "utf8", env: { ...process.env, LC_ALL: "C" } });
    if (r.status !== 0) throw new Error(`${args[0]} failed: ${(r.stderr || r.stdout || String(r.error)).trim().slice(0, 500)}`);
  };
  run([join(bin, "initdb"), "-D", join(dir, "data"), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"]);
  const stop = () => {
    spawnSync(asRoot ? "runuser" : join(bin, "pg_ctl"), [...(asRoot ? ["-u", "postgres", "--", join(bin, "pg_ctl")] : []), "-D", join(dir, "data"), "stop", "-m", "immediate"], {
      stdio: "ignore",
    });
    rmSync(dir, { recursive: true, force: true });
  };
  // The port is free when we look; another process may take it before postgres binds: try again.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      run([
        join(bin, "pg_ctl"), "-D", join(dir, "data"), "-l", join(dir, "postgres.log"), "-w", "-t", "60",
        "-o", `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`,
        "start",
      ]);
    } catch (err) {
      if (attempt < 3) continue;
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    process.once("exit", stop);
    watchdog(process.pid, asRoot, join(bin, "pg_ctl"), dir);
    return { baseUrl: new URL(`postgres://postgres@127.0.0.1:${port}/postgres`), stop };
  }
}

/**
 * Stops the cluster and deletes its directory once this process is gone, however it ends: `bun
 * test` runs no "exit" handlers (measured: neither exit nor beforeExit fire), and a killed test
 * run must not leave a postgres behind either. A detached shell polls for our pid.
 */
function watchdog(pid: number, asRoot: boolean, pgCtl: string, dir: string): void {
  const q = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
  const stop = `${asRoot ? "runuser -u postgres -- " : ""}${q(pgCtl)} -D ${q(join(dir, "data"))} stop -m immediate`;
  const script = `while kill -0 ${pid} 2>/dev/null; do sleep 0.5; done; ${stop} >/dev/null 2>&1; rm -rf ${q(dir)}`;
  spawn("sh", ["-c", script], { detached: true, stdio: "ignore" }).unref();
}

/** The newest /usr/lib/postgresql/<version>/bin that has initdb. */
function findBinaries(): string | null {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, "bin", "initdb")))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length ? join(root, versions[0]!, "bin") : null;
}

function installBinaries(): string {
  if (process.getuid?.() !== 0) throw new Error("no PostgreSQL binaries under /usr/lib/postgresql, and not root to apt-get install postgresql");
  if (!existsSync("/usr/bin/apt-get")) throw new Error("no PostgreSQL binaries under /usr/lib/postgresql, and no apt-get to install them");
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const install = () => spawnSync("apt-get", ["install", "-y", "--no-install-recommends", "postgresql"], { encoding: "utf8", env });
  let r = install();
  if (r.status !== 0) {
    spawnSync("apt-get", ["update"], { stdio: "ignore", env });
    r = install();
  }
  const bin = findBinaries();
  if (!bin) throw new Error(`apt-get install postgresql did not give PostgreSQL binaries: ${(r.stderr || "").trim().slice(-300)}`);
  return bin;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

function idOf(flag: "-u" | "-g", user: string): number {
  const r = spawnSync("id", [flag, user], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`no ${user} user (the postgresql package creates it)`);
  return Number(r.stdout.trim());
}
const uid = (user: string) => idOf("-u", user);
const gid = (user: string) => idOf("-g", user);
