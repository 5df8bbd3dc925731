/**
 * The worker thread of WorkerJobStore (./job-store-worker.ts): it owns its own SQLite connection
 * and a SqliteJobStore on it, and runs each store method it is sent. Every method body is
 * synchronous from BEGIN IMMEDIATE to COMMIT, so one message is one whole transaction and the
 * next message starts after it; the HTTP thread's connection only reads (WAL) meanwhile.
 *
 * In a compiled binary this file must be an extra entrypoint of `bun build --compile`
 * (scripts/build.ts lists it). No top-level await: Bun drops messages that arrive before
 * `onmessage` is assigned, and the client waits for "ready" anyway.
 */
import type { Database } from "bun:sqlite";
import { openSqlite } from "../db/client";
import { SqliteJobStore } from "./job-store-sqlite";
import type { ThreadReply, ThreadRequest } from "./job-store-worker";

declare const self: Worker;

let sqlite: Database | null = null;
let store: SqliteJobStore | null = null;
/** The caller's clock at the moment it made the call (tests move it; the store reads it synchronously). */
let now = Date.now();
let eventsQueued = false;

/** Methods a caller may run (the JobStore port, plus the lease owners for reclaimLeases). */
const METHODS = new Set([
  "createJob", "claimUpload", "releaseUpload", "uploadDone", "uploadFailed", "resultsRead", "jobOptions", "jobStatus", "claimJobToSplit", "renewJobLease",
  "pagesReady", "failJob", "claimNextPage", "renewPageLease", "completePage", "failPage", "releasePage", "releaseJob", "releaseExtraction",
  "stats", "finishJobIfDone", "claimExtraction", "pageTexts", "finishExtraction", "jobsAwaitingFinish", "retryJob", "purgeJob",
  "sourceDropped", "leaseOwners", "reclaimDeadOwners",
]);

function errorOf(err: unknown): { message: string; name: string; code?: string } {
  const e = err instanceof Error ? err : new Error(String(err));
  const code = (e as { code?: unknown }).code;
  return { message: e.message, name: e.name, ...(typeof code === "string" ? { code } : {}) };
}

async function handle(req: Exclude<ThreadRequest, { op: "calls" }>): Promise<ThreadReply | null> {
  if (req.op === "open") {
    try {
      sqlite = openSqlite(req.path);
      store = new SqliteJobStore(sqlite, { clock: () => now, webhookMaxAttempts: req.webhookMaxAttempts, onEventsQueued: () => (eventsQueued = true) });
      return { op: "opened", ok: true };
    } catch (err) {
      return { op: "opened", ok: false, error: errorOf(err) };
    }
  }
  if (req.op === "close") {
    try {
      sqlite?.close();
    } catch {}
    sqlite = null;
    store = null;
    return { op: "closed" };
  }
  if (req.op === "hold") return hold(req.flags, req.timeoutMs);
  // op === "call"
  if (!store || !METHODS.has(req.method)) {
    return { op: "result", id: req.id, ok: false, error: { message: store ? `unknown job store method ${req.method}` : "the job store is closed", name: "Error" }, events: false };
  }
  now = req.now;
  eventsQueued = false;
  try {
    const fn = (store as unknown as Record<string, (...a: unknown[]) => unknown>)[req.method]!;
    const value = await fn.apply(store, req.args);
    return { op: "result", id: req.id, ok: true, value, events: eventsQueued };
  } catch (err) {
    return { op: "result", id: req.id, ok: false, error: errorOf(err), events: false };
  }
}

/**
 * WorkerJobStore.holdWriteTransaction (tests): takes the write lock and blocks this thread inside
 * the open transaction until the caller sets flags[1] (or the timeout), then commits.
 */
function hold(flags: SharedArrayBuffer, timeoutMs: number): null | ThreadReply {
  if (!sqlite) return { op: "held", ok: false, error: { message: "the job store is closed", name: "Error" } };
  const f = new Int32Array(flags);
  try {
    sqlite.exec("BEGIN IMMEDIATE");
    sqlite.exec("UPDATE jobs SET updated_at = updated_at WHERE rowid = (SELECT max(rowid) FROM jobs)");
  } catch (err) {
    return { op: "held", ok: false, error: errorOf(err) };
  }
  self.postMessage({ op: "held", ok: true } satisfies ThreadReply);
  Atomics.store(f, 0, 1);
  Atomics.wait(f, 1, 0, timeoutMs);
  sqlite.exec("COMMIT");
  return null;
}

self.onmessage = async (e: MessageEvent<ThreadRequest | string>) => {
  // Calls come as JSON text (cheaper to pass than a cloned object) and are answered the same way.
  const req = typeof e.data === "string" ? (JSON.parse(e.data) as ThreadRequest) : e.data;
  if (req.op === "calls") {
    // One message, one answer: each call still runs alone, in order, as its own transaction.
    const results: Extract<ThreadReply, { op: "result" }>[] = [];
    for (const call of req.calls) results.push((await handle(call)) as Extract<ThreadReply, { op: "result" }>);
    self.postMessage(JSON.stringify({ op: "results", results } satisfies ThreadReply));
    return;
  }
  const reply = await handle(req);
  if (reply) self.postMessage(reply.op === "result" ? JSON.stringify(reply) : reply);
};
self.postMessage({ op: "ready" } satisfies ThreadReply);
