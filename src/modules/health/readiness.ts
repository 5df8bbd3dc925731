/**
 * Readiness: can this process take work right now? Fails while the server is starting or
 * migrating, once shutdown has begun, when the database does not take a committed write, when
 * storage does not take a write/read/delete, or when the data directory's disk is nearly full.
 * Checks run on demand; concurrent probes share one run.
 */
import { statfsSync } from "node:fs";
import type { Database } from "bun:sqlite";
import type { StoragePort } from "../../ports/storage";

export type Phase = "starting" | "migrating" | "ready" | "stopping";

export interface CheckResult {
  name: "lifecycle" | "database" | "storage" | "disk";
  ok: boolean;
  message: string;
  ms: number;
}

export interface ReadinessOptions {
  sqlite: Database;
  storage: StoragePort;
  dataDir: string;
  minFreeDiskMb: number;
  clock?: () => number;
  /** How long the database check waits for the write lock (ms). */
  dbLockWaitMs?: number;
  storageTimeoutMs?: number;
  /** The connection's normal busy timeout, restored after the check. */
  busyTimeoutMs?: number;
}

const PROBE_KEY = "_health/probe";

export class Readiness {
  phase: Phase = "starting";
  private running: Promise<CheckResult[]> | null = null;

  constructor(private readonly o: ReadinessOptions) {}

  check(): Promise<CheckResult[]> {
    this.running ??= this.run().finally(() => (this.running = null));
    return this.running;
  }

  private async run(): Promise<CheckResult[]> {
    const results: CheckResult[] = [];
    const phaseOk = this.phase === "ready";
    results.push({
      name: "lifecycle",
      ok: phaseOk,
      message: phaseOk ? "ok" : this.phase === "stopping" ? "shutting down" : this.phase === "migrating" ? "database migrations are running" : "starting",
      ms: 0,
    });
    if (this.phase === "stopping" || this.phase === "migrating") return results;
    results.push(this.database());
    results.push(await this.storageCheck());
    results.push(this.disk());
    return results;
  }

  /** A committed write: a full disk, a read-only file system or a lock held elsewhere all fail it. */
  private database(): CheckResult {
    const t0 = performance.now();
    const { sqlite } = this.o;
    try {
      sqlite.exec(`PRAGMA busy_timeout = ${this.o.dbLockWaitMs ?? 250}`);
      try {
        sqlite.query("INSERT INTO health_probe (id, checked_at) VALUES (1, ?1) ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at").run((this.o.clock ?? Date.now)());
      } finally {
        sqlite.exec(`PRAGMA busy_timeout = ${this.o.busyTimeoutMs ?? 5000}`);
      }
      return { name: "database", ok: true, message: "ok", ms: performance.now() - t0 };
    } catch (err) {
      const code = (err as { code?: string }).code;
      const message = code === "SQLITE_BUSY" ? "the database is locked by another writer" : `the database does not take writes: ${(err as Error).message}`;
      return { name: "database", ok: false, message, ms: performance.now() - t0 };
    }
  }

  private async storageCheck(): Promise<CheckResult> {
    const t0 = performance.now();
    const { storage } = this.o;
    const timeoutMs = this.o.storageTimeoutMs ?? 5000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const probe = new TextEncoder().encode(String(Date.now()));
      await Promise.race([
        (async () => {
          await storage.put(PROBE_KEY, probe);
          const back = await storage.get(PROBE_KEY);
          if (!back || back.length !== probe.length) throw new Error("what was written could not be read back");
          await storage.deletePrefix("_health/");
        })(),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs))),
      ]);
      return { name: "storage", ok: true, message: "ok", ms: performance.now() - t0 };
    } catch (err) {
      return { name: "storage", ok: false, message: `${storage.kind} storage is not usable: ${(err as Error).message}`, ms: performance.now() - t0 };
    } finally {
      clearTimeout(timer);
    }
  }

  private disk(): CheckResult {
    const t0 = performance.now();
    try {
      const s = statfsSync(this.o.dataDir);
      const freeMb = Math.floor((s.bavail * s.bsize) / 1024 / 1024);
      const ok = freeMb >= this.o.minFreeDiskMb;
      return {
        name: "disk",
        ok,
        message: ok ? "ok" : `${freeMb} MB free on the data directory's disk, below the ${this.o.minFreeDiskMb} MB minimum (LEAPOCR_MIN_FREE_DISK_MB)`,
        ms: performance.now() - t0,
      };
    } catch (err) {
      return { name: "disk", ok: false, message: `cannot read the data directory's disk usage: ${(err as Error).message}`, ms: performance.now() - t0 };
    }
  }
}
