/**
 * The PostgreSQL job store, for several replicas sharing one database. Each method is one
 * transaction (`sql.begin`: Bun refuses a bare BEGIN on a pooled connection), and the webhook
 * events it causes are inserted in that transaction, as in the SQLite store.
 *
 * What differs from SQLite, because here other processes write at the same moment:
 * - Work is claimed with `FOR UPDATE SKIP LOCKED` in the subquery that picks the row: two
 *   replicas never take the same page or job (the same claim without it double-claimed pages
 *   when measured: issue 16). Page claims keep the round-robin across jobs and fall back to any
 *   free page when the fair pick is being taken by someone else at that moment.
 * - Time is the database's: a transaction reads `now()` (once, or inside its one statement) and
 *   leases are set and compared against it, so replicas with skewed clocks agree on when a lease
 *   has expired, and any replica reclaims an expired lease while it runs (claims take expired work).
 * - A page's hot path (claim, renew, complete, the finish check) is one statement each: round
 *   trips, not SQL, were most of its cost (bench/job-store.ts: 2-2.7x the pages/s of the first,
 *   multi-statement version).
 * - Changes to a job's state take the job row's lock first, so page outcomes, finishing,
 *   extraction, retry and purge of one job happen one after another, and always lock the job
 *   before its pages (one order, no deadlocks). Claims lock only the page they take.
 *
 * Raw SQL on Bun.sql rather than drizzle's bun-sql driver: the SQLite store is hand-written SQL
 * too, the claims need locking clauses, and the two stay readable side by side. int8 columns
 * come back as strings from Bun.sql: rows are converted where they are read.
 */
import type { SQL } from "bun";
import { DELETED_FILE_NAME } from "../ports/job-store";
import type {
  AuditActor, ClaimedJob, ClaimedPage, ExtractionOutcome, JobOptions, JobStore, NewJob, PageResultRow, PurgedJob, PurgeReason, QueueStats,
} from "../ports/job-store";
import { carriesResults, jobEventBodies, scrubbedEventBody, type JobEventPage, type JobEventType } from "../ports/job-events";
import { extractionErrorMessage, pagesErrorMessage } from "../ports/job-messages";
import { newId } from "../lib/ids";
import { eventJob, jobOptionsOf, type JobRow } from "./job-store-rows";

export interface PostgresJobStoreOptions {
  /** Delivery attempts of one webhook event (config webhookMaxAttempts). */
  webhookMaxAttempts?: number;
  /** Called after a transaction that queued webhook deliveries has committed. */
  onEventsQueued?: () => void;
  /**
   * Tests only: a clock that replaces the database's, so a test can move time exactly. Left
   * out, every transaction takes its time from the database (never from this process).
   */
  clock?: () => number;
}

/** One transaction: its client, the database time it started at (ms), whether it queued events. */
interface Tx {
  sql: SQL;
  now: number;
  events: boolean;
}

const num = (v: unknown): number => Number(v);
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

const STRUCTURED = ["structured", "per_page_structured"];

export class PostgresJobStore implements JobStore {
  private readonly maxAttempts: number;

  constructor(
    private readonly sql: SQL,
    private readonly options: PostgresJobStoreOptions = {},
  ) {
    this.maxAttempts = options.webhookMaxAttempts ?? 8;
  }

  /** One transaction on the database clock; wakes the webhook dispatcher after it committed events. */
  private async tx<T>(fn: (t: Tx) => Promise<T>): Promise<T> {
    let events = false;
    const out = await this.sql.begin(async (sql) => {
      const t: Tx = { sql, now: this.options.clock?.() ?? (await this.dbNow(sql)), events: false };
      const value = await fn(t);
      events = t.events;
      return value;
    });
    if (events) this.options.onEventsQueued?.();
    return out;
  }

  /** The transaction's start on the database clock, in ms. */
  private async dbNow(sql: SQL): Promise<number> {
    const [row] = await sql`SELECT (extract(epoch FROM now()) * 1000)::int8 AS now`;
    return num(row.now);
  }

  // ------------------------------------------------------------------ events and audit

  private async jobRow(t: Tx, jobId: string, lock = false): Promise<JobRow | null> {
    const [r] = lock ? await t.sql`SELECT * FROM jobs WHERE id = ${jobId} FOR UPDATE` : await t.sql`SELECT * FROM jobs WHERE id = ${jobId}`;
    if (!r) return null;
    return {
      ...r,
      total_pages: num(r.total_pages), processed_pages: num(r.processed_pages), failed_pages: num(r.failed_pages), credits_used: num(r.credits_used),
      created_at: num(r.created_at), completed_at: numOrNull(r.completed_at), deleted_at: numOrNull(r.deleted_at), source_deleted_at: numOrNull(r.source_deleted_at),
    } as JobRow;
  }

  /** Queues `type` for the team's enabled subscribers that want it (inside the caller's transaction). */
  private async emit(t: Tx, jobId: string, type: JobEventType, extra: Record<string, unknown> = {}): Promise<void> {
    const job = await this.jobRow(t, jobId);
    if (!job) return;
    const subs = (
      (await t.sql`SELECT id, events_json, include_results FROM webhook_subscriptions WHERE team_id = ${job.team_id} AND enabled`) as {
        id: string; events_json: string; include_results: boolean;
      }[]
    ).filter((s) => (JSON.parse(s.events_json) as string[]).includes(type));
    if (subs.length === 0) return;
    const eventId = newId("evt");
    let pages: JobEventPage[] = [];
    if (subs.some((s) => carriesResults(type, s.include_results))) {
      pages = (
        (await t.sql`SELECT page_number, status, result, confidence, error_message FROM pages WHERE job_id = ${jobId} ORDER BY page_number`) as {
          page_number: unknown; status: string; result: string | null; confidence: number | null; error_message: string | null;
        }[]
      ).map((p) => ({ pageNumber: num(p.page_number), status: p.status, result: p.result, confidence: p.confidence, errorMessage: p.error_message }));
    }
    const bodyFor = jobEventBodies(eventJob(job), type, eventId, t.now, extra, () => pages);
    const rows = subs.map((sub) => ({
      id: crypto.randomUUID(), event_id: eventId, event_type: type, subscription_id: sub.id, team_id: job.team_id, job_id: jobId,
      payload_json: bodyFor(sub.include_results),
      status: "pending", attempts: 0, max_attempts: this.maxAttempts, next_attempt_at: t.now, created_at: t.now, updated_at: t.now,
    }));
    await t.sql`INSERT INTO webhook_deliveries ${t.sql(rows)}`;
    t.events = true;
  }

  /** The job ended (completed or failed): its event, unless it was deleted meanwhile. */
  private async emitFinished(t: Tx, jobId: string): Promise<void> {
    const [row] = await t.sql`SELECT status, deleted_at FROM jobs WHERE id = ${jobId}`;
    if (!row || row.deleted_at !== null) return;
    await this.emit(t, jobId, row.status === "failed" ? "job.failed" : "job.completed");
  }

  private async audit(t: Tx, teamId: string | null, actor: AuditActor, action: string, targetId: string, metadata: Record<string, string | number | boolean | null>): Promise<void> {
    await t.sql`
      INSERT INTO audit_log (id, team_id, actor_type, actor_id, action, target_type, target_id, ip, user_agent, metadata_json, created_at)
      VALUES (${newId("aud")}, ${teamId}, ${actor.type}, ${actor.id ?? null}, ${action}, 'job', ${targetId}, ${actor.ip ?? null},
              ${actor.userAgent ?? null}, ${JSON.stringify(metadata)}, ${t.now})`;
  }

  // ------------------------------------------------------------------ the SDK routes

  createJob(job: NewJob): Promise<{ createdAt: number }> {
    const direct = job.source.kind === "direct" ? job.source : null;
    const url = job.source.kind === "url" ? job.source.url : null;
    return this.tx(async (t) => {
      await t.sql`
        INSERT INTO jobs (id, team_id, api_key_id, status, stage, file_name, declared_content_type, declared_size, source, source_url,
                          upload_id, upload_parts, upload_expires_at, created_at, updated_at, request_id, model, format, instructions,
                          schema_json, extract_bounding_boxes, template_id, template_slug)
        VALUES (${job.id}, ${job.teamId}, ${job.apiKeyId}, 'pending', ${direct ? "awaiting_upload" : "queued"}, ${job.fileName},
                ${direct?.declaredContentType ?? null}, ${direct?.declaredSize ?? null}, ${direct ? "direct" : "url"}, ${url},
                ${direct?.uploadId ?? null}, ${direct?.uploadParts ?? null}, ${direct?.uploadExpiresAt ?? null}, ${t.now}, ${t.now},
                ${job.requestId}, ${job.model}, ${job.format}, ${job.instructions}, ${job.schemaJson}, ${job.extractBoundingBoxes},
                ${job.templateId}, ${job.templateSlug})`;
      await this.emit(t, job.id, "job.created");
      return { createdAt: t.now };
    });
  }

  claimUpload(jobId: string, uploadId: string): Promise<boolean> {
    return this.tx(async (t) =>
      (await t.sql`UPDATE jobs SET upload_id = NULL WHERE id = ${jobId} AND stage = 'awaiting_upload' AND upload_id = ${uploadId} AND deleted_at IS NULL`).count === 1,
    );
  }

  releaseUpload(jobId: string, uploadId: string): Promise<void> {
    return this.tx(async (t) => {
      await t.sql`UPDATE jobs SET upload_id = ${uploadId} WHERE id = ${jobId} AND stage = 'awaiting_upload' AND upload_id IS NULL AND deleted_at IS NULL`;
    });
  }

  uploadDone(jobId: string, sizeBytes: number): Promise<boolean> {
    return this.tx(async (t) =>
      (await t.sql`UPDATE jobs SET stage = 'queued', upload_id = NULL, size_bytes = ${sizeBytes}, updated_at = ${t.now}
                   WHERE id = ${jobId} AND stage = 'awaiting_upload' AND deleted_at IS NULL`).count === 1,
    );
  }

  uploadFailed(jobId: string, message: string): Promise<void> {
    return this.tx(async (t) => {
      await t.sql`UPDATE jobs SET status = 'failed', stage = 'done', error_message = ${message}, updated_at = ${t.now}, completed_at = ${t.now} WHERE id = ${jobId}`;
    });
  }

  resultsRead(jobId: string): Promise<void> {
    return this.tx(async (t) => {
      await t.sql`UPDATE jobs SET results_read_at = ${t.now} WHERE id = ${jobId} AND results_read_at IS NULL`;
    });
  }

  // ------------------------------------------------------------------ the worker

  async jobOptions(jobId: string): Promise<JobOptions | null> {
    const [row] = await this.sql`
      SELECT model, format, instructions, schema_json, extract_bounding_boxes, detected_type, request_id FROM jobs WHERE id = ${jobId} AND deleted_at IS NULL`;
    return row ? jobOptionsOf({ ...row, extract_bounding_boxes: row.extract_bounding_boxes === true }) : null;
  }

  async jobStatus(jobId: string): Promise<string | null> {
    const [row] = await this.sql`SELECT status FROM jobs WHERE id = ${jobId}`;
    return row?.status ?? null;
  }

  claimJobToSplit(owner: string, leaseMs: number): Promise<ClaimedJob | null> {
    return this.tx(async (t) => {
      const take = (stage: "splitting" | "queued") => t.sql`
        UPDATE jobs SET stage = 'splitting', lease_owner = ${owner}, lease_expires_at = ${t.now + leaseMs}, attempts = attempts + 1,
                        started_at = coalesce(started_at, ${t.now}), updated_at = ${t.now}
        WHERE id = (SELECT id FROM jobs WHERE stage = ${stage} AND deleted_at IS NULL
                      AND (${stage} = 'queued' OR lease_expires_at < ${t.now})
                    ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
        RETURNING id, team_id, source, source_url, request_id`;
      // A split whose lease ran out (its replica died) first, then the oldest queued job.
      let [row] = await take("splitting");
      row ??= (await take("queued"))[0];
      if (!row) return null;
      return { id: row.id, teamId: row.team_id, source: row.source as ClaimedJob["source"], sourceUrl: row.source_url, requestId: row.request_id };
    });
  }

  pagesReady(jobId: string, owner: string, totalPages: number, detectedType: string, sizeBytes: number): Promise<boolean> {
    return this.tx(async (t) => {
      const updated = await t.sql`
        UPDATE jobs SET stage = 'pages', status = 'processing', total_pages = ${totalPages}, detected_type = ${detectedType}, size_bytes = ${sizeBytes},
               lease_owner = NULL, lease_expires_at = NULL, updated_at = ${t.now}
        WHERE id = ${jobId} AND lease_owner = ${owner} AND stage = 'splitting' AND deleted_at IS NULL`;
      if (updated.count !== 1) return false;
      const rows = Array.from({ length: totalPages }, (_, i) => ({ id: newId("page"), job_id: jobId, page_number: i + 1, status: "pending", attempts: 0 }));
      // Large documents in slices: one statement carries at most 65535 parameters.
      for (let i = 0; i < rows.length; i += 5000) await t.sql`INSERT INTO pages ${t.sql(rows.slice(i, i + 5000))} ON CONFLICT DO NOTHING`;
      await this.emit(t, jobId, "job.processing");
      return true;
    });
  }

  failJob(jobId: string, owner: string | null, message: string): Promise<boolean> {
    return this.tx(async (t) => {
      const updated = await t.sql`
        UPDATE jobs SET stage = 'done', status = 'failed', error_message = ${message}, lease_owner = NULL, lease_expires_at = NULL,
               updated_at = ${t.now}, completed_at = ${t.now}
        WHERE id = ${jobId} AND stage <> 'done' AND (${owner}::text IS NULL OR lease_owner = ${owner})`;
      if (updated.count !== 1) return false;
      await this.emitFinished(t, jobId);
      return true;
    });
  }

  /**
   * The hot path of a page (claim, renew, complete, the finish check) is one statement each, its
   * own transaction, with the time read inside it: every round trip to the server costs a context
   * switch on each side, which on a busy machine is most of a page's database time. `fixed` is
   * the test clock, null otherwise (then the database's clock).
   */
  private fixed(): number | null {
    return this.options.clock?.() ?? null;
  }

  async claimNextPage(owner: string, leaseMs: number): Promise<ClaimedPage | null> {
    const fixed = this.fixed();
    // Fairness as in the SQLite store: a job with nothing in flight first (oldest), else the job
    // with the fewest pages in flight (only computed when there is no such job: coalesce stops
    // at its first answer). The pick is a plain read; the claim locks the page it takes.
    let [page] = await this.sql`
      WITH clock AS (SELECT coalesce(${fixed}::int8, (extract(epoch FROM now()) * 1000)::int8) AS ms),
      pick AS (SELECT coalesce(
        (SELECT j.id FROM jobs j, clock
         WHERE j.stage = 'pages' AND j.deleted_at IS NULL
           AND EXISTS (SELECT 1 FROM pages p WHERE p.job_id = j.id
                         AND (p.status = 'pending' OR (p.status = 'processing' AND p.lease_expires_at < clock.ms)))
           AND NOT EXISTS (SELECT 1 FROM pages p WHERE p.job_id = j.id AND p.status = 'processing' AND p.lease_expires_at >= clock.ms)
         ORDER BY j.created_at LIMIT 1),
        (SELECT p.job_id FROM pages p JOIN jobs j ON j.id = p.job_id
         WHERE j.stage = 'pages' AND j.deleted_at IS NULL AND p.status IN ('pending', 'processing')
         GROUP BY p.job_id
         HAVING count(*) FILTER (WHERE p.status = 'pending' OR (p.status = 'processing' AND p.lease_expires_at < (SELECT ms FROM clock))) > 0
         ORDER BY count(*) FILTER (WHERE p.status = 'processing' AND p.lease_expires_at >= (SELECT ms FROM clock)), min(j.created_at)
         LIMIT 1)) AS job_id)
      UPDATE pages SET status = 'processing', lease_owner = ${owner}, lease_expires_at = (SELECT ms FROM clock) + ${leaseMs}::int8,
             attempts = attempts + 1, started_at = (SELECT ms FROM clock)
      WHERE id = (SELECT id FROM pages, clock WHERE job_id = (SELECT job_id FROM pick)
                    AND (status = 'pending' OR (status = 'processing' AND lease_expires_at < clock.ms))
                  ORDER BY page_number LIMIT 1 FOR UPDATE OF pages SKIP LOCKED)
      RETURNING id, job_id, page_number, attempts`;
    // Nothing free, or another replica is taking the picked job's free pages right now: any free page will do.
    page ??= (
      await this.sql`
        WITH clock AS (SELECT coalesce(${fixed}::int8, (extract(epoch FROM now()) * 1000)::int8) AS ms)
        UPDATE pages SET status = 'processing', lease_owner = ${owner}, lease_expires_at = (SELECT ms FROM clock) + ${leaseMs}::int8,
               attempts = attempts + 1, started_at = (SELECT ms FROM clock)
        WHERE id = (SELECT p.id FROM pages p JOIN jobs j ON j.id = p.job_id, clock
                    WHERE j.stage = 'pages' AND j.deleted_at IS NULL
                      AND (p.status = 'pending' OR (p.status = 'processing' AND p.lease_expires_at < clock.ms))
                    ORDER BY j.created_at, p.page_number LIMIT 1 FOR UPDATE OF p SKIP LOCKED)
        RETURNING id, job_id, page_number, attempts`
    )[0];
    if (!page) return null;
    return { pageId: page.id, jobId: page.job_id, pageNumber: num(page.page_number), attempts: num(page.attempts) };
  }

  /** One statement, on the database clock like every lease. */
  async renewJobLease(jobId: string, owner: string, leaseMs: number): Promise<boolean> {
    const fixed = this.fixed();
    const updated = await this.sql`
      UPDATE jobs SET lease_expires_at = coalesce(${fixed}::int8, (extract(epoch FROM now()) * 1000)::int8) + ${leaseMs}::int8
      WHERE id = ${jobId} AND lease_owner = ${owner} AND stage = 'splitting' AND deleted_at IS NULL`;
    return updated.count === 1;
  }

  async renewPageLease(pageId: string, owner: string, leaseMs: number): Promise<boolean> {
    const fixed = this.fixed();
    const updated = await this.sql`
      UPDATE pages SET lease_expires_at = coalesce(${fixed}::int8, (extract(epoch FROM now()) * 1000)::int8) + ${leaseMs}::int8
      WHERE id = ${pageId} AND lease_owner = ${owner} AND status = 'processing'`;
    return updated.count === 1;
  }

  private async endPage(page: ClaimedPage, owner: string, status: "completed" | "failed", row: Partial<PageResultRow> & { errorMessage?: string }): Promise<void> {
    const fixed = this.fixed();
    // One statement: the job row is locked first (as every method that changes a job does:
    // finish, retry and purge lock it, then its pages; one order cannot deadlock), then the page
    // is written if this owner still holds it, then the job's counters move only if it was.
    // Another process took the page after our lease expired: its outcome counts, not ours.
    await this.sql`
      WITH job AS (SELECT id FROM jobs WHERE id = ${page.jobId} FOR UPDATE),
      clock AS (SELECT coalesce(${fixed}::int8, (extract(epoch FROM now()) * 1000)::int8) AS ms),
      done AS (
        UPDATE pages SET status = ${status}, result = ${row.result ?? null}, confidence = ${row.confidence ?? null}, width = ${row.width ?? null},
               height = ${row.height ?? null}, bounding_boxes_json = ${row.boundingBoxesJson ?? null}, route = ${row.route ?? null},
               error_message = ${row.errorMessage ?? null}, lease_owner = NULL, lease_expires_at = NULL, completed_at = (SELECT ms FROM clock),
               input_tokens = ${row.inputTokens ?? null}, output_tokens = ${row.outputTokens ?? null}
        WHERE id = ${page.pageId} AND lease_owner = ${owner} AND status = 'processing' AND EXISTS (SELECT 1 FROM job)
        RETURNING 1)
      UPDATE jobs SET processed_pages = processed_pages + 1, failed_pages = failed_pages + ${status === "failed" ? 1 : 0}::int8,
             updated_at = (SELECT ms FROM clock)
      WHERE id = ${page.jobId} AND EXISTS (SELECT 1 FROM done)`;
  }

  completePage(page: ClaimedPage, owner: string, row: PageResultRow): Promise<void> {
    return this.endPage(page, owner, "completed", row);
  }

  failPage(page: ClaimedPage, owner: string, message: string): Promise<void> {
    return this.endPage(page, owner, "failed", { errorMessage: message });
  }

  releasePage(pageId: string, owner: string): Promise<void> {
    return this.tx(async (t) => {
      await t.sql`UPDATE pages SET status = 'pending', lease_owner = NULL, lease_expires_at = NULL WHERE id = ${pageId} AND lease_owner = ${owner} AND status = 'processing'`;
    });
  }

  releaseJob(jobId: string, owner: string): Promise<boolean> {
    return this.tx(async (t) =>
      (await t.sql`UPDATE jobs SET stage = 'queued', lease_owner = NULL, lease_expires_at = NULL WHERE id = ${jobId} AND lease_owner = ${owner} AND stage = 'splitting'`)
        .count === 1,
    );
  }

  releaseExtraction(jobId: string, owner: string): Promise<boolean> {
    return this.tx(async (t) =>
      (await t.sql`UPDATE jobs SET stage = 'pages', lease_owner = NULL, lease_expires_at = NULL WHERE id = ${jobId} AND lease_owner = ${owner} AND stage = 'extracting'`)
        .count === 1,
    );
  }

  async stats(): Promise<QueueStats> {
    const [jobs] = await this.sql`
      SELECT count(*) FILTER (WHERE stage = 'queued')::int AS queued, count(*) FILTER (WHERE stage IN ('splitting', 'pages', 'extracting'))::int AS active
      FROM jobs WHERE stage IN ('queued', 'splitting', 'pages', 'extracting') AND deleted_at IS NULL`;
    const [pages] = await this.sql`
      SELECT count(*) FILTER (WHERE p.status = 'pending')::int AS pending, count(*) FILTER (WHERE p.status = 'processing')::int AS processing
      FROM pages p JOIN jobs j ON j.id = p.job_id WHERE j.stage = 'pages' AND j.deleted_at IS NULL AND p.status IN ('pending', 'processing')`;
    return { jobsQueued: jobs.queued, jobsActive: jobs.active, pagesPending: pages.pending, pagesProcessing: pages.processing };
  }

  /** Writes the job's one charge; the unique (job_id, kind) index makes a second impossible even if this runs twice. */
  private async charge(t: Tx, jobId: string, credits: number, description: string): Promise<void> {
    if (credits <= 0) return;
    await t.sql`
      INSERT INTO credit_transactions (id, team_id, job_id, kind, amount, description, created_at)
      SELECT ${newId("ctx")}, team_id, id, 'charge', ${-credits}, ${description}, ${t.now} FROM jobs WHERE id = ${jobId}
      ON CONFLICT DO NOTHING`;
  }

  /** The job's earlier charge is refunded and detached (its job's next finish charges again). */
  private async refund(t: Tx, jobId: string, teamId: string): Promise<void> {
    const [charge] = await t.sql`SELECT id, amount FROM credit_transactions WHERE job_id = ${jobId} AND kind = 'charge'`;
    if (!charge) return;
    const meta = JSON.stringify({ job_id: jobId, retried: true });
    await t.sql`UPDATE credit_transactions SET job_id = NULL, metadata_json = ${meta} WHERE id = ${charge.id}`;
    await t.sql`
      INSERT INTO credit_transactions (id, team_id, job_id, kind, amount, description, metadata_json, created_at)
      VALUES (${newId("ctx")}, ${teamId}, NULL, 'refund', ${-num(charge.amount)}, ${`Refund before retry of job ${jobId}`}, ${meta}, ${t.now})`;
  }

  /** Page counts of a job and its first failed page (the finished job's message names it). */
  private async pageCounts(t: Tx, jobId: string) {
    const [c] = await t.sql`
      SELECT count(*) FILTER (WHERE status IN ('pending', 'processing'))::int AS open, count(*) FILTER (WHERE status = 'completed')::int AS done,
             count(*) FILTER (WHERE status = 'failed')::int AS failed, count(*)::int AS total
      FROM pages WHERE job_id = ${jobId}`;
    const [first] = c.failed > 0
      ? await t.sql`SELECT page_number, error_message FROM pages WHERE job_id = ${jobId} AND status = 'failed' ORDER BY page_number LIMIT 1`
      : [];
    return {
      open: c.open as number, done: c.done as number, failed: c.failed as number, total: c.total as number,
      firstError: first ? { pageNumber: num(first.page_number), message: first.error_message as string } : null,
    };
  }

  async finishJobIfDone(jobId: string, creditsPerPage: number): Promise<boolean> {
    // Called after every page: while pages are open, one read answers (no transaction). The last
    // page's completer reads after its own commit and every earlier one, so it sees none open.
    const [open] = await this.sql`SELECT EXISTS (SELECT 1 FROM pages WHERE job_id = ${jobId} AND status IN ('pending', 'processing')) AS open`;
    if (open?.open === true) return false;
    return this.tx(async (t) => {
      const job = await this.jobRow(t, jobId, true);
      if (!job || job.stage !== "pages" || STRUCTURED.includes(job.format)) return false;
      const counts = await this.pageCounts(t, jobId);
      if (counts.total === 0 || counts.open > 0) return false;
      const status = counts.done > 0 ? "completed" : "failed";
      const message = pagesErrorMessage({ ...counts, firstFailed: counts.firstError });
      const credits = counts.done * creditsPerPage;
      await t.sql`
        UPDATE jobs SET stage = 'done', status = ${status}, error_message = ${message}, credits_used = ${credits}, processed_pages = ${counts.done + counts.failed},
               failed_pages = ${counts.failed}, updated_at = ${t.now}, completed_at = ${t.now}
        WHERE id = ${jobId}`;
      await this.charge(t, jobId, credits, `${counts.done} page(s)`);
      await this.emitFinished(t, jobId);
      return true;
    });
  }

  claimExtraction(jobId: string, owner: string, leaseMs: number): Promise<boolean> {
    return this.tx(async (t) => {
      const job = await this.jobRow(t, jobId, true);
      if (!job || job.deleted_at !== null || !STRUCTURED.includes(job.format)) return false;
      return (
        (await t.sql`
          UPDATE jobs SET stage = 'extracting', lease_owner = ${owner}, lease_expires_at = ${t.now + leaseMs}, updated_at = ${t.now}
          WHERE id = ${jobId}
            AND (stage = 'pages' OR (stage = 'extracting' AND (lease_expires_at < ${t.now} OR lease_owner = ${owner})))
            AND NOT EXISTS (SELECT 1 FROM pages WHERE job_id = ${jobId} AND status IN ('pending', 'processing'))
            AND EXISTS (SELECT 1 FROM pages WHERE job_id = ${jobId})`).count === 1
      );
    });
  }

  async pageTexts(jobId: string): Promise<{ pageNumber: number; markdown: string }[]> {
    const rows = await this.sql`
      SELECT page_number, coalesce(result, '') AS markdown FROM pages WHERE job_id = ${jobId} AND status = 'completed' ORDER BY page_number`;
    return (rows as { page_number: unknown; markdown: string }[]).map((r) => ({ pageNumber: num(r.page_number), markdown: r.markdown }));
  }

  finishExtraction(jobId: string, owner: string, outcome: ExtractionOutcome, creditsPerPage: number): Promise<boolean> {
    return this.tx(async (t) => {
      const job = await this.jobRow(t, jobId, true);
      if (!job) return false;
      const counts = await this.pageCounts(t, jobId);
      const ok = "resultJson" in outcome;
      const credits = ok ? counts.done * creditsPerPage : 0;
      const message = extractionErrorMessage({ ...counts, firstFailed: counts.firstError }, outcome);
      const updated = await t.sql`
        UPDATE jobs SET stage = 'done', status = ${ok ? "completed" : "failed"}, error_message = ${message}, credits_used = ${credits},
               structured_result = ${ok ? outcome.resultJson : null}, extraction_input_tokens = ${ok ? outcome.inputTokens : null},
               extraction_output_tokens = ${ok ? outcome.outputTokens : null}, processed_pages = ${counts.done + counts.failed},
               failed_pages = ${counts.failed}, lease_owner = NULL, lease_expires_at = NULL, updated_at = ${t.now}, completed_at = ${t.now}
        WHERE id = ${jobId} AND stage = 'extracting' AND lease_owner = ${owner}`;
      if (updated.count !== 1) return false;
      await this.charge(t, jobId, credits, `${counts.done} page(s), structured`);
      await this.emitFinished(t, jobId);
      return true;
    });
  }

  reclaimLeases(isOwnerAlive: (owner: string) => boolean): Promise<number> {
    return this.tx(async (t) => {
      let reclaimed = 0;
      const owners = (await t.sql`
        SELECT DISTINCT lease_owner AS owner FROM pages WHERE status = 'processing' AND lease_owner IS NOT NULL
        UNION SELECT DISTINCT lease_owner FROM jobs WHERE stage IN ('splitting', 'extracting') AND lease_owner IS NOT NULL`) as { owner: string }[];
      const dead = owners.map((o) => o.owner).filter((o) => !isOwnerAlive(o));
      if (dead.length > 0) {
        reclaimed += (await t.sql`UPDATE pages SET status = 'pending', lease_owner = NULL, lease_expires_at = NULL WHERE status = 'processing' AND lease_owner = ANY(${dead})`).count;
        reclaimed += (await t.sql`UPDATE jobs SET stage = 'queued', lease_owner = NULL, lease_expires_at = NULL WHERE stage = 'splitting' AND lease_owner = ANY(${dead})`).count;
        // An extraction cut short goes back to waiting for it; the sweep runs it again.
        reclaimed += (await t.sql`UPDATE jobs SET stage = 'pages', lease_owner = NULL, lease_expires_at = NULL WHERE stage = 'extracting' AND lease_owner = ANY(${dead})`).count;
      }
      reclaimed += (await t.sql`UPDATE pages SET status = 'pending', lease_owner = NULL, lease_expires_at = NULL WHERE status = 'processing' AND lease_expires_at < ${t.now}`).count;
      return reclaimed;
    });
  }

  jobsAwaitingFinish(): Promise<{ id: string; model: string; format: string }[]> {
    return this.tx(async (t) =>
      [
        ...(await t.sql`
          SELECT j.id, j.model, j.format FROM jobs j WHERE j.deleted_at IS NULL
            AND (j.stage = 'pages' OR (j.stage = 'extracting' AND j.lease_expires_at < ${t.now}))
            AND NOT EXISTS (SELECT 1 FROM pages p WHERE p.job_id = j.id AND p.status IN ('pending', 'processing'))
          ORDER BY j.created_at`),
      ] as { id: string; model: string; format: string }[],
    );
  }

  // ------------------------------------------------------------------ users and retention

  retryJob(jobId: string, scope: "failed" | "all", actor: AuditActor): Promise<number> {
    return this.tx(async (t) => {
      const job = await this.jobRow(t, jobId, true);
      if (!job) return 0;
      await this.refund(t, jobId, job.team_id);
      const statuses = (await t.sql`SELECT status FROM pages WHERE job_id = ${jobId}`) as { status: string }[];
      if (statuses.length === 0) {
        await t.sql`
          UPDATE jobs SET stage = 'queued', status = 'pending', error_message = NULL, completed_at = NULL, lease_owner = NULL,
                 lease_expires_at = NULL, credits_used = 0, updated_at = ${t.now} WHERE id = ${jobId}`;
        await this.audit(t, job.team_id, actor, "job.retried", jobId, { scope: "job", pages: 0 });
        return 0;
      }
      // A failed job with no failed page failed after its pages (the structured extraction): read everything again.
      const which = scope === "all" || statuses.every((p) => p.status !== "failed") ? "all" : "failed";
      const reset = (
        await t.sql`
          UPDATE pages SET status = 'pending', attempts = 0, error_message = NULL, result = NULL, confidence = NULL, bounding_boxes_json = NULL,
                 route = NULL, lease_owner = NULL, lease_expires_at = NULL, started_at = NULL, completed_at = NULL, input_tokens = NULL, output_tokens = NULL
          WHERE job_id = ${jobId} AND (${which} = 'all' OR status = 'failed')`
      ).count;
      await t.sql`
        UPDATE jobs SET stage = 'pages', status = 'processing', error_message = NULL, completed_at = NULL, structured_result = NULL,
               lease_owner = NULL, lease_expires_at = NULL, credits_used = 0, results_read_at = NULL, updated_at = ${t.now},
               processed_pages = (SELECT count(*) FROM pages WHERE job_id = ${jobId} AND status IN ('completed', 'failed')),
               failed_pages = (SELECT count(*) FROM pages WHERE job_id = ${jobId} AND status = 'failed')
        WHERE id = ${jobId}`;
      await this.audit(t, job.team_id, actor, "job.retried", jobId, { scope: which, pages: reset });
      await this.emit(t, jobId, "job.processing");
      return reset;
    });
  }

  purgeJob(jobId: string, reason: PurgeReason, actor: AuditActor): Promise<PurgedJob | null> {
    return this.tx(async (t) => {
      const job = await this.jobRow(t, jobId, true);
      if (!job) return null;
      // The event goes out once. Then every stored payload of the job (queued or sent, this event's
      // too) loses what came from the document: results, file name, error message. Edited here
      // rather than with jsonb operators, which would reorder the keys of the body that is signed.
      if (job.deleted_at === null) await this.emit(t, jobId, "job.deleted", { reason });
      const payloads = (await t.sql`SELECT id, payload_json FROM webhook_deliveries WHERE job_id = ${jobId} FOR UPDATE`) as { id: string; payload_json: string }[];
      for (const row of payloads) {
        const cleaned = scrubbedEventBody(row.payload_json);
        if (cleaned !== row.payload_json) await t.sql`UPDATE webhook_deliveries SET payload_json = ${cleaned} WHERE id = ${row.id}`;
      }
      await t.sql`DELETE FROM pages WHERE job_id = ${jobId}`;
      const finished = job.stage === "done";
      // A running job stops: workers see the stage and the missing page rows and drop their work.
      await t.sql`
        UPDATE jobs SET deleted_at = ${job.deleted_at ?? t.now}, delete_reason = ${job.delete_reason ?? reason}, updated_at = ${t.now}, stage = 'done',
               status = ${finished ? job.status : "failed"}, error_message = ${finished ? null : "Deleted before it finished."},
               completed_at = ${job.completed_at ?? t.now}, file_name = ${DELETED_FILE_NAME}, instructions = NULL, schema_json = NULL,
               structured_result = NULL, source_url = NULL, upload_id = NULL, lease_owner = NULL, lease_expires_at = NULL,
               source_deleted_at = ${job.source_deleted_at ?? t.now}
        WHERE id = ${jobId}`;
      await this.audit(t, job.team_id, actor, reason === "deleted" ? "job.deleted" : "job.purged", jobId, { reason, pages: job.total_pages });
      return { teamId: job.team_id, uploadId: job.upload_id };
    });
  }

  sourceDropped(jobId: string): Promise<void> {
    return this.tx(async (t) => {
      await t.sql`UPDATE jobs SET source_deleted_at = ${t.now} WHERE id = ${jobId}`;
    });
  }
}
