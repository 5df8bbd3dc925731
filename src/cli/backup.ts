/**
 * `leapocr backup <file>`: a consistent copy of the live database, taken while the server runs.
 * SQLite's VACUUM INTO reads one snapshot (a read transaction: in WAL mode the server's writes
 * go on meanwhile) and writes a compact new database file; the copy is checked with
 * integrity_check before it is given its final name. Restore: see docs/OPERATIONS.md.
 */
import { Database } from "bun:sqlite";
import { chmodSync, existsSync, renameSync, rmSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { ConfigError, loadConfig, sqliteDatabaseFile } from "../config";

export interface BackupSummary {
  file: string;
  bytes: number;
  seconds: number;
  migrations: number;
  jobs: number;
}

export function backupDatabase(dataDir: string, target: string): BackupSummary {
  const source = join(dataDir, "leapocr.db");
  if (!existsSync(source)) throw new ConfigError(`No database at ${source}; pass the server's --data-dir (or LEAPOCR_DATA_DIR).`);
  const file = resolve(target);
  if (existsSync(file)) throw new ConfigError(`${file} already exists; choose a new file name (a backup never overwrites).`);
  const partial = `${file}.partial-${process.pid}`;
  const t0 = performance.now();
  const db = new Database(source);
  try {
    db.exec("PRAGMA busy_timeout = 10000");
    db.query("VACUUM INTO ?1").run(partial);
  } catch (err) {
    rmSync(partial, { force: true });
    throw err;
  } finally {
    db.close();
  }
  let migrations = 0;
  let jobs = 0;
  const copy = new Database(partial);
  try {
    const check = copy.query<{ integrity_check: string }, []>("PRAGMA integrity_check").all();
    if (check.length !== 1 || check[0]!.integrity_check !== "ok") throw new Error(`the copy failed its integrity check: ${JSON.stringify(check.slice(0, 3))}`);
    migrations = copy.query<{ n: number }, []>("SELECT count(*) AS n FROM __drizzle_migrations").get()!.n;
    jobs = copy.query<{ n: number }, []>("SELECT count(*) AS n FROM jobs").get()!.n;
  } catch (err) {
    copy.close();
    rmSync(partial, { force: true });
    throw err;
  }
  copy.close();
  // It holds the server's secrets (upload signing key, key hashes): readable by its owner only.
  chmodSync(partial, 0o600);
  renameSync(partial, file);
  return { file, bytes: statSync(file).size, seconds: (performance.now() - t0) / 1000, migrations, jobs };
}

export async function runBackup(args: string[], flags: Record<string, string>): Promise<void> {
  const target = args[0];
  if (!target || args.length > 1) throw new ConfigError("Usage: leapocr backup <file> [--data-dir DIR]");
  const config = loadConfig(flags);
  sqliteDatabaseFile(config); // a PostgreSQL URL is refused: there is no SQLite file of it to copy
  const s = backupDatabase(config.dataDir, target);
  console.log(
    `backup: ${s.file} (${(s.bytes / 1024 / 1024).toFixed(1)} MB, ${s.jobs} jobs, schema at migration ${s.migrations}) in ${s.seconds.toFixed(2)} s`,
  );
  console.log("backup: stored files are not in it: copy the data directory's files/ folder (or the bucket) after it.");
}
