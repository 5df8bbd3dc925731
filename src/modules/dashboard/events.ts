/**
 * Live job progress for the dashboard as Server-Sent Events. One timer per server (not per
 * browser tab) reads the jobs changed since its last look, every 500 ms and only while someone
 * listens, and fans each change out to the subscribers of that job's team. A quiet stream gets
 * a comment line every 15 s so proxies and Bun's idle timeout keep it open.
 *
 * Replicas: a job another replica ends arrives as a signal (`jobChanged`, src/ports/signals.ts)
 * and is read by its id at once; the poll stays the floor when a signal is lost. The poll's
 * window is on the reader's clock (the database's with PostgreSQL), never this replica's, so
 * skewed clocks between replicas lose no change.
 */
import { and, eq, gte, inArray } from "drizzle-orm";
import type { AppContext } from "../../context";
import { jobs } from "../../db/schema";
import type { JobEventReader, JobEventRow } from "../../ports/job-changes";

export type { JobEventReader, JobEventRow };

export interface JobEvent {
  id: string;
  status: string;
  stage: string;
  file_name: string;
  total_pages: number;
  processed_pages: number;
  failed_pages: number;
  credits_used: number;
  progress: number;
  deleted: boolean;
  error_message: string | null;
}

/** The reader of one process's SQLite (the HTTP thread's connection; its clock is the server's). */
export function sqliteJobEventReader(ctx: Pick<AppContext, "db" | "clock">): JobEventReader {
  return {
    async changedSince(teamIds, from, lookbackMs) {
      const now = ctx.clock();
      const rows = ctx.db.select().from(jobs).where(and(inArray(jobs.teamId, teamIds), gte(jobs.updatedAt, from ?? now - lookbackMs))).all();
      return { rows, now };
    },
    async byId(jobId) {
      return ctx.db.select().from(jobs).where(eq(jobs.id, jobId)).get() ?? null;
    },
  };
}

type Listener = (e: JobEvent) => void;

const POLL_MS = 500;
/** Rows are re-read this far back so a write landing in the same millisecond as a read is not missed; duplicates are dropped by signature. */
const OVERLAP_MS = 2000;

export class JobEventHub {
  private readonly byTeam = new Map<string, Set<Listener>>();
  private readonly lastSent = new Map<string, string>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private since: number | null = null;
  private ticking = false;

  constructor(
    private readonly ctx: Pick<AppContext, "logger">,
    private readonly reader: JobEventReader,
    /** How often the jobs are read while someone listens. */
    private readonly pollMs = POLL_MS,
  ) {}

  subscribe(teamId: string, listener: Listener): () => void {
    let set = this.byTeam.get(teamId);
    if (!set) this.byTeam.set(teamId, (set = new Set()));
    set.add(listener);
    if (!this.timer) {
      this.since = null;
      this.timer = setInterval(() => void this.tick(), this.pollMs);
    }
    return () => {
      set.delete(listener);
      if (set.size === 0) this.byTeam.delete(teamId);
      if (this.byTeam.size === 0) this.stop();
    };
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.lastSent.clear();
  }

  /** One query for all subscribed teams (one at a time: a slow read is not stacked). Exposed for tests. */
  async tick(): Promise<void> {
    const teams = [...this.byTeam.keys()];
    if (teams.length === 0 || this.ticking) return;
    this.ticking = true;
    try {
      const { rows, now } = await this.reader.changedSince(teams, this.since === null ? null : this.since - OVERLAP_MS, 2 * OVERLAP_MS);
      this.since = now;
      for (const j of rows) this.send(j);
    } catch (err) {
      this.ctx.logger.error("job events poll failed", { error: String(err) });
    } finally {
      this.ticking = false;
    }
    // Forget jobs that are finished and quiet, so the map stays small on a long-running server.
    if (this.lastSent.size > 10_000) this.lastSent.clear();
  }

  /** A job changed (here or on another replica): its subscribers hear it now rather than at the next poll. */
  async jobChanged(jobId: string): Promise<void> {
    if (!this.timer) return; // nobody listens (or the server is stopping)
    try {
      const row = await this.reader.byId(jobId);
      if (row) this.send(row);
    } catch (err) {
      this.ctx.logger.error("job event read failed", { job_id: jobId, error: String(err) });
    }
  }

  private send(j: JobEventRow): void {
    const listeners = this.byTeam.get(j.teamId);
    if (!listeners) return;
    const e: JobEvent = {
      id: j.id, status: j.status, stage: j.stage, file_name: j.fileName, total_pages: j.totalPages, processed_pages: j.processedPages,
      failed_pages: j.failedPages, credits_used: j.creditsUsed, deleted: j.deletedAt !== null, error_message: j.errorMessage,
      progress: j.stage === "done" ? 100 : j.totalPages > 0 ? Math.floor((j.processedPages / j.totalPages) * 100) : 0,
    };
    const sig = `${e.status}|${e.stage}|${e.processed_pages}|${e.total_pages}|${e.failed_pages}|${e.deleted}`;
    if (this.lastSent.get(j.id) === sig) return;
    this.lastSent.set(j.id, sig);
    for (const l of listeners) l(e);
  }
}

export interface StreamGuard {
  /** Whether whoever opened the stream may still read it (session, membership, key). */
  allowed(): boolean;
  recheckMs: number;
}

/**
 * The text/event-stream response for one subscriber. The guard is asked again every
 * `recheckMs`: after a logout, a removal from the team, a demotion below jobs:read, a revoked
 * key or a session that idled out (the stream itself is not activity), the stream sends an
 * `end` event and closes (issue 15, finding 10). The browser's reconnect then meets a 401.
 */
export function eventStream(hub: JobEventHub, teamId: string, signal: AbortSignal, guard: StreamGuard): Response {
  const enc = new TextEncoder();
  let unsubscribe = () => {};
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  let recheck: ReturnType<typeof setInterval> | undefined;
  const stop = () => {
    unsubscribe();
    if (heartbeat) clearInterval(heartbeat);
    if (recheck) clearInterval(recheck);
  };
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      let open = true;
      const send = (text: string) => {
        if (!open) return;
        try {
          controller.enqueue(enc.encode(text));
        } catch {
          close();
        }
      };
      const close = () => {
        if (!open) return;
        open = false;
        stop();
        try {
          controller.close();
        } catch {}
      };
      // retry: how long the browser's EventSource waits before reconnecting after a drop.
      send("retry: 2000\n: connected\n\n");
      const check = (): void => {
        let ok = false;
        try {
          ok = guard.allowed();
        } catch {}
        if (!ok) {
          send(`event: end\ndata: ${JSON.stringify({ reason: "access_ended", message: "Your session or access to this team has ended." })}\n\n`);
          close();
        }
      };
      unsubscribe = hub.subscribe(teamId, (e) => send(`event: job\ndata: ${JSON.stringify(e)}\n\n`));
      heartbeat = setInterval(() => send(": keep-alive\n\n"), 15_000);
      recheck = setInterval(check, guard.recheckMs);
      signal.addEventListener("abort", close, { once: true });
    },
    cancel() {
      stop();
    },
  });
  return new Response(stream, {
    headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store", "x-accel-buffering": "no", connection: "keep-alive" },
  });
}
