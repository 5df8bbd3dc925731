/**
 * The SQLite job store on its own thread. Every JobStore call is sent to a worker thread
 * (./job-store-thread.ts) that owns a second connection to the same database file and runs the
 * SqliteJobStore there. The HTTP thread keeps its own connection for reads and for the other
 * tables: in WAL mode its reads never wait for the store's write transactions, and the
 * pipeline's SQL (claims, page results, finishing, outbox rows) no longer takes the HTTP
 * thread's CPU. Writes from HTTP handlers (createJob, uploadDone, ...) go to the thread too, so
 * the HTTP thread's connection never sits in SQLite's busy wait behind a pipeline transaction.
 *
 * Calls are answered in the order the thread runs them; each is one whole transaction there.
 * The caller's clock travels with each call, so a test that moves the clock moves the store's.
 */
import { existsSync } from "node:fs";
import type { JobStore } from "../ports/job-store";

export type ThreadRequest =
  | { op: "open"; path: string; webhookMaxAttempts?: number }
  | { op: "call"; id: number; method: string; args: unknown[]; now: number }
  | { op: "calls"; calls: Extract<ThreadRequest, { op: "call" }>[] }
  | { op: "hold"; flags: SharedArrayBuffer; timeoutMs: number }
  | { op: "close" };

export type ThreadError = { message: string; name: string; code?: string };

export type ThreadReply =
  | { op: "ready" }
  | { op: "opened"; ok: true }
  | { op: "opened"; ok: false; error: ThreadError }
  | { op: "result"; id: number; ok: true; value: unknown; events: boolean }
  | { op: "result"; id: number; ok: false; error: ThreadError; events: boolean }
  | { op: "results"; results: Extract<ThreadReply, { op: "result" }>[] }
  | { op: "held"; ok: boolean; error?: ThreadError }
  | { op: "closed" };

export interface WorkerJobStoreOptions {
  clock?: () => number;
  webhookMaxAttempts?: number;
  /** Called after a call whose transaction queued webhook deliveries has committed. */
  onEventsQueued?: () => void;
  /** The thread died (a bug or out of memory): pending and later calls fail; the server should be restarted. */
  onCrash?: (err: Error) => void;
}

/**
 * Where the thread's code is. Under `bun run`/`bun test` it is the file next to this one. In a
 * compiled binary the extra entrypoint is embedded as `/$bunfs/root/<its path relative to the
 * entrypoints' common directory>.js` (`adapters/job-store-thread.js` with src/main.ts).
 */
function threadEntry(): string {
  const here = new URL("./job-store-thread.ts", import.meta.url);
  if (!import.meta.url.includes("$bunfs") && !import.meta.url.includes("~BUN")) return here.href;
  const dir = import.meta.dir;
  for (const rel of ["adapters", "src/adapters", "."]) {
    const path = `${dir}/${rel}/job-store-thread.js`;
    if (existsSync(path)) return path;
  }
  throw new Error("The job store thread is not in this binary: pass src/adapters/job-store-thread.ts as an extra entrypoint of bun build --compile");
}

const toError = (e: ThreadError): Error => Object.assign(new Error(e.message), { name: e.name }, e.code ? { code: e.code } : {});

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };

export class WorkerJobStore implements JobStore {
  private readonly worker: Worker;
  private readonly now: () => number;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private outbox: Extract<ThreadRequest, { op: "call" }>[] = [];
  private dead: Error | null = null;
  private closing: Promise<void> | null = null;
  private onClosed: (() => void) | null = null;
  private onDrained: (() => void) | null = null;
  private onHeld: ((r: Extract<ThreadReply, { op: "held" }>) => void) | null = null;
  /** Settles when the thread has opened its connection (calls sent before wait in the thread's queue). */
  readonly opened: Promise<void>;

  constructor(dbPath: string, private readonly options: WorkerJobStoreOptions = {}) {
    this.now = options.clock ?? Date.now;
    this.worker = new Worker(threadEntry());
    let opened!: { resolve: () => void; reject: (e: Error) => void };
    this.opened = new Promise<void>((resolve, reject) => (opened = { resolve, reject }));
    this.opened.catch(() => {}); // reported through the calls that fail
    this.worker.onmessage = (e: MessageEvent<ThreadReply | string>) => {
      const r = typeof e.data === "string" ? (JSON.parse(e.data) as ThreadReply) : e.data;
      if (r.op === "ready") return;
      if (r.op === "opened") {
        if (r.ok) opened.resolve();
        else this.fail(toError(r.error)), opened.reject(toError(r.error));
        return;
      }
      if (r.op === "held") return this.onHeld?.(r);
      if (r.op === "closed") return this.onClosed?.();
      let events = false;
      for (const one of r.op === "results" ? r.results : [r]) {
        const p = this.pending.get(one.id);
        if (!p) continue;
        this.pending.delete(one.id);
        if (one.ok) p.resolve(one.value);
        else p.reject(toError(one.error));
        events ||= one.events;
      }
      if (events) this.options.onEventsQueued?.();
      if (this.pending.size === 0) {
        this.worker.unref();
        this.onDrained?.();
      }
    };
    this.worker.onerror = (e) => this.fail(new Error(`job store thread failed: ${e.message}`));
    this.worker.addEventListener("close", () => this.fail(new Error("the job store thread has stopped")));
    // Messages sent before the thread runs wait in its queue: "open" is first.
    this.worker.postMessage({ op: "open", path: dbPath, webhookMaxAttempts: options.webhookMaxAttempts } satisfies ThreadRequest);
    // An idle store must not keep the process alive; a call in flight does (see call()).
    this.worker.unref();
  }

  private fail(err: Error): void {
    if (this.dead) return;
    this.dead = err;
    if (!this.closing) this.options.onCrash?.(err);
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    this.onDrained?.();
    this.onClosed?.();
  }

  private call<T>(method: string, ...args: unknown[]): Promise<T> {
    if (this.dead) return Promise.reject(this.closing ? new Error("the job store is closed") : this.dead);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.outbox.push({ op: "call", id, method, args, now: this.now() });
      if (this.outbox.length === 1) setImmediate(this.flush);
    });
  }

  /**
   * Calls made during one turn of the event loop go in one message: a postMessage costs the HTTP
   * thread more than the call's own work (the CPU profile under load showed postMessage at ~10% of
   * the thread). The thread could not answer before the next turn anyway.
   */
  private readonly flush = () => {
    const calls = this.outbox;
    this.outbox = [];
    if (calls.length === 0 || this.dead) return;
    // As JSON text: Bun copies a string across threads for about half the cost of cloning the
    // object (measured 18-26 against 36-59 us per message), and every argument is plain JSON.
    this.worker.postMessage(JSON.stringify((calls.length === 1 ? calls[0]! : { op: "calls", calls }) satisfies ThreadRequest));
  };

  /**
   * Waits for the calls in flight, closes the thread's connection and stops the thread. Calls
   * made afterwards fail.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.pending.size > 0) await new Promise<void>((resolve) => (this.onDrained = resolve));
      if (!this.dead) {
        this.worker.ref();
        await new Promise<void>((resolve) => {
          this.onClosed = resolve;
          this.worker.postMessage({ op: "close" } satisfies ThreadRequest);
        });
      }
      this.dead ??= new Error("the job store is closed");
      this.worker.terminate();
    })();
    return this.closing;
  }

  /**
   * For tests and diagnostics: the thread takes the write lock (BEGIN IMMEDIATE plus one write
   * to `jobs`) and then blocks inside that open transaction, as a long pipeline transaction
   * would, until `release()` (or `timeoutMs`). Store calls queue behind it meanwhile.
   */
  async holdWriteTransaction(timeoutMs = 10_000): Promise<{ release(): Promise<void> }> {
    await this.opened;
    const flags = new Int32Array(new SharedArrayBuffer(8));
    this.worker.ref();
    const held = new Promise<Extract<ThreadReply, { op: "held" }>>((resolve) => (this.onHeld = resolve));
    this.worker.postMessage({ op: "hold", flags: flags.buffer as SharedArrayBuffer, timeoutMs } satisfies ThreadRequest);
    const reply = await held;
    if (!reply.ok) throw toError(reply.error!);
    // The thread posts "held" and then blocks: wait until it is really inside the wait.
    while (Atomics.load(flags, 0) !== 1) await Bun.sleep(1);
    return {
      release: async () => {
        Atomics.store(flags, 1, 1);
        Atomics.notify(flags, 1);
        await this.call("jobStatus", "-"); // answered once the thread has committed and moved on
        if (this.pending.size === 0) this.worker.unref();
      },
    };
  }

  /** A JobStore method run on the thread: the port's own signature, the thread's answer. */
  private forward<M extends keyof JobStore>(method: M): JobStore[M] {
    return ((...args: unknown[]) => this.call(method, ...args)) as JobStore[M];
  }

  // ---- the SDK routes
  readonly createJob = this.forward("createJob");
  readonly claimUpload = this.forward("claimUpload");
  readonly releaseUpload = this.forward("releaseUpload");
  readonly uploadDone = this.forward("uploadDone");
  readonly uploadFailed = this.forward("uploadFailed");
  readonly resultsRead = this.forward("resultsRead");

  // ---- the worker
  readonly jobOptions = this.forward("jobOptions");
  readonly jobStatus = this.forward("jobStatus");
  readonly claimJobToSplit = this.forward("claimJobToSplit");
  readonly renewJobLease = this.forward("renewJobLease");
  readonly pagesReady = this.forward("pagesReady");
  readonly failJob = this.forward("failJob");
  readonly claimNextPage = this.forward("claimNextPage");
  readonly renewPageLease = this.forward("renewPageLease");
  readonly completePage = this.forward("completePage");
  readonly failPage = this.forward("failPage");
  readonly releasePage = this.forward("releasePage");
  readonly releaseJob = this.forward("releaseJob");
  readonly releaseExtraction = this.forward("releaseExtraction");
  readonly stats = this.forward("stats");
  readonly finishJobIfDone = this.forward("finishJobIfDone");
  readonly claimExtraction = this.forward("claimExtraction");
  readonly pageTexts = this.forward("pageTexts");
  readonly finishExtraction = this.forward("finishExtraction");
  readonly jobsAwaitingFinish = this.forward("jobsAwaitingFinish");
  /** The predicate cannot cross threads: the owners holding leases are fetched, judged here, and the dead ones sent back. */
  async reclaimLeases(isOwnerAlive: (owner: string) => boolean): Promise<number> {
    const owners = await this.call<string[]>("leaseOwners");
    return this.call("reclaimDeadOwners", owners.filter((o) => !isOwnerAlive(o)));
  }

  // ---- users and retention
  readonly retryJob = this.forward("retryJob");
  readonly purgeJob = this.forward("purgeJob");
  readonly sourceDropped = this.forward("sourceDropped");
}
