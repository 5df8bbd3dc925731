/**
 * The SQLite job store. Every method is one short transaction on the one connection
 * (BEGIN IMMEDIATE under the transactor's lock), and none awaits anything inside it: the SQL
 * runs synchronously from BEGIN to COMMIT. Events go into the webhook outbox in the same
 * transaction; the dispatcher is woken after the commit.
 */
import type { Database } from "bun:sqlite";
import { DELETED_FILE_NAME } from "../ports/job-store";
import type {
  AuditActor, ClaimedJob, ClaimedPage, ExtractionOutcome, JobOptions, JobStore, NewJob, PageResultRow, PurgedJob, PurgeReason, QueueStats,
} from "../ports/job-store";
import { jobEventBodies, scrubbedEventBody, type JobEventPage, type JobEventType } from "../ports/job-events";
import { newId } from "../lib/ids";
import { SqliteTransactor } from "./sqlite-transactor";
import { eventJob, jobOptionsOf, type JobOptionsRow, type JobRow } from "./job-store-rows";
import { extractionErrorMessage, pagesErrorMessage } from "../ports/job-messages";

export interface SqliteJobStoreOptions {
  clock?: () => number;
  /** Delivery attempts of one webhook event (config webhookMaxAttempts). */
  webhookMaxAttempts?: number;
  /** Called after a transaction that queued webhook deliveries has committed. */
  onEventsQueued?: () => void;
}

export class SqliteJobStore implements JobStore {
  readonly tx: SqliteTransactor;
  private readonly now: () => number;
  private readonly maxAttempts: number;
  private eventsQueued = false;

  constructor(
    private readonly sqlite: Database,
    private readonly options: SqliteJobStoreOptions = {},
  ) {
    this.tx = new SqliteTransactor(sqlite);
    this.now = options.clock ?? Date.now;
    this.maxAttempts = options.webhookMaxAttempts ?? 8;
  }

  /** A write transaction; wakes the webhook dispatcher after it committed events. */
  private async write<T>(fn: () => T): Promise<T> {
    this.eventsQueued = false;
    const out = await this.tx.write(fn);
    if (this.eventsQueued) {
      this.eventsQueued = false;
      this.options.onEventsQueued?.();
    }
    return out;
  }

  // ------------------------------------------------------------------ events and audit

  private jobRow(jobId: string): JobRow | null {
    return this.sqlite.query<JobRow, [string]>("SELECT * FROM jobs WHERE id = ?1").get(jobId);
  }

  /** Queues `type` for the team's enabled subscribers that want it (inside the caller's transaction). */
  private emit(jobId: string, type: JobEventType, extra: Record<string, unknown> = {}): number {
    const job = this.jobRow(jobId);
    if (!job) return 0;
    const subs = this.sqlite
      .query<{ id: string; events_json: string; include_results: number }, [string]>(
        "SELECT id, events_json, include_results FROM webhook_subscriptions WHERE team_id = ?1 AND enabled = 1",
      )
      .all(job.team_id)
      .filter((s) => (JSON.parse(s.events_json) as string[]).includes(type));
    if (subs.length === 0) return 0;
    const now = this.now();
    const eventId = newId("evt");
    const pages = () =>
      this.sqlite
        .query<JobEventPage, [string]>(
          `SELECT page_number AS pageNumber, status, result, confidence, error_message AS errorMessage FROM pages WHERE job_id = ?1 ORDER BY page_number`,
        )
        .all(jobId);
    const bodyFor = jobEventBodies(eventJob(job), type, eventId, now, extra, pages);
    const insert = this.sqlite.query(
      `INSERT INTO webhook_deliveries (id, event_id, event_type, subscription_id, team_id, job_id, payload_json, status, attempts, max_attempts,
                                       next_attempt_at, created_at, updated_at)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'pending', 0, ?8, ?9, ?9, ?9)`,
    );
    for (const sub of subs) {
      insert.run(crypto.randomUUID(), eventId, type, sub.id, job.team_id, jobId, bodyFor(sub.include_results === 1), this.maxAttempts, now);
    }
    this.eventsQueued = true;
    return subs.length;
  }

  /** The job ended (completed or failed): its event, unless it was deleted meanwhile. */
  private emitFinished(jobId: string): void {
    const row = this.sqlite.query<{ status: string; deleted_at: number | null }, [string]>("SELECT status, deleted_at FROM jobs WHERE id = ?1").get(jobId);
    if (!row || row.deleted_at !== null) return;
    this.emit(jobId, row.status === "failed" ? "job.failed" : "job.completed");
  }

  private audit(teamId: string | null, actor: AuditActor, action: string, targetId: string, metadata: Record<string, string | number | boolean | null>, now: number): void {
    this.sqlite
      .query(
        `INSERT INTO audit_log (id, team_id, actor_type, actor_id, action, target_type, target_id, ip, user_agent, metadata_json, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 'job', ?6, ?7, ?8, ?9, ?10)`,
      )
      .run(newId("aud"), teamId, actor.type, actor.id ?? null, action, targetId, actor.ip ?? null, actor.userAgent ?? null, JSON.stringify(metadata), now);
  }

  // ------------------------------------------------------------------ the SDK routes

  createJob(job: NewJob): Promise<{ createdAt: number }> {
    const now = this.now();
    const direct = job.source.kind === "direct" ? job.source : null;
    const url = job.source.kind === "url" ? job.source.url : null;
    return this.write(() => {
      this.sqlite
        .query(
          `INSERT INTO jobs (id, team_id, api_key_id, status, stage, file_name, declared_content_type, declared_size, source, source_url,
                             upload_id, upload_parts, upload_expires_at, created_at, updated_at, request_id, model, format, instructions,
                             schema_json, extract_bounding_boxes, template_id, template_slug)
           VALUES (?1, ?2, ?3, 'pending', ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)`,
        )
        .run(
          job.id, job.teamId, job.apiKeyId, direct ? "awaiting_upload" : "queued", job.fileName, direct?.declaredContentType ?? null,
          direct?.declaredSize ?? null, direct ? "direct" : "url", url, direct?.uploadId ?? null, direct?.uploadParts ?? null,
          direct?.uploadExpiresAt ?? null, now, job.requestId, job.model, job.format, job.instructions, job.schemaJson,
          job.extractBoundingBoxes ? 1 : 0, job.templateId, job.templateSlug,
        );
      this.emit(job.id, "job.created");
      return { createdAt: now };
    });
  }

  claimUpload(jobId: string, uploadId: string): Promise<boolean> {
    return this.write(
      () =>
        this.sqlite
          .query(`UPDATE jobs SET upload_id = NULL WHERE id = ?1 AND stage = 'awaiting_upload' AND upload_id = ?2 AND deleted_at IS NULL`)
          .run(jobId, uploadId).changes === 1,
    );
  }

  releaseUpload(jobId: string, uploadId: string): Promise<void> {
    return this.write(() => {
      this.sqlite
        .query(`UPDATE jobs SET upload_id = ?2 WHERE id = ?1 AND stage = 'awaiting_upload' AND upload_id IS NULL AND deleted_at IS NULL`)
        .run(jobId, uploadId);
    });
  }

  uploadDone(jobId: string, sizeBytes: number): Promise<boolean> {
    const now = this.now();
    return this.write(
      () =>
        this.sqlite
          .query(`UPDATE jobs SET stage = 'queued', upload_id = NULL, size_bytes = ?2, updated_at = ?3 WHERE id = ?1 AND stage = 'awaiting_upload' AND deleted_at IS NULL`)
          .run(jobId, sizeBytes, now).changes === 1,
    );
  }

  uploadFailed(jobId: string, message: string): Promise<void> {
    const now = this.now();
    return this.write(() => {
      this.sqlite
        .query(`UPDATE jobs SET status = 'failed', stage = 'done', error_message = ?2, updated_at = ?3, completed_at = ?3 WHERE id = ?1`)
        .run(jobId, message, now);
    });
  }

  resultsRead(jobId: string): Promise<void> {
    const now = this.now();
    return this.write(() => {
      this.sqlite.query(`UPDATE jobs SET results_read_at = ?2 WHERE id = ?1 AND results_read_at IS NULL`).run(jobId, now);
    });
  }

  // ------------------------------------------------------------------ the worker

  jobOptions(jobId: string): Promise<JobOptions | null> {
    return this.tx.read(() => {
      const row = this.sqlite
        .query<Omit<JobOptionsRow, "extract_bounding_boxes"> & { extract_bounding_boxes: number }, [string]>(
          `SELECT model, format, instructions, schema_json, extract_bounding_boxes, detected_type, request_id FROM jobs WHERE id = ?1 AND deleted_at IS NULL`,
        )
        .get(jobId);
      return row ? jobOptionsOf({ ...row, extract_bounding_boxes: row.extract_bounding_boxes === 1 }) : null;
    });
  }

  jobStatus(jobId: string): Promise<string | null> {
    return this.tx.read(() => this.sqlite.query<{ status: string }, [string]>("SELECT status FROM jobs WHERE id = ?1").get(jobId)?.status ?? null);
  }

  claimJobToSplit(owner: string, leaseMs: number): Promise<ClaimedJob | null> {
    const now = this.now();
    return this.write(() => {
      // Two index walks on (stage, created_at) rather than one OR that would scan every job.
      const row = this.sqlite
        .query<{ id: string; team_id: string; source: string; source_url: string | null; request_id: string | null }, [string, number, number]>(
          `UPDATE jobs SET stage = 'splitting', lease_owner = ?1, lease_expires_at = ?2 + ?3, attempts = attempts + 1,
                           started_at = coalesce(started_at, ?2), updated_at = ?2
           WHERE id = coalesce(
             (SELECT id FROM jobs WHERE stage = 'splitting' AND lease_expires_at < ?2 AND deleted_at IS NULL ORDER BY created_at LIMIT 1),
             (SELECT id FROM jobs WHERE stage = 'queued' AND deleted_at IS NULL ORDER BY created_at LIMIT 1))
           RETURNING id, team_id, source, source_url, request_id`,
        )
        .get(owner, now, leaseMs);
      if (!row) return null;
      return { id: row.id, teamId: row.team_id, source: row.source as ClaimedJob["source"], sourceUrl: row.source_url, requestId: row.request_id };
    });
  }

  renewJobLease(jobId: string, owner: string, leaseMs: number): Promise<boolean> {
    const now = this.now();
    return this.write(
      () =>
        this.sqlite
          .query(`UPDATE jobs SET lease_expires_at = ?3 + ?4 WHERE id = ?1 AND lease_owner = ?2 AND stage = 'splitting' AND deleted_at IS NULL`)
          .run(jobId, owner, now, leaseMs).changes === 1,
    );
  }

  pagesReady(jobId: string, owner: string, totalPages: number, detectedType: string, sizeBytes: number): Promise<boolean> {
    const now = this.now();
    return this.write(() => {
      const updated = this.sqlite
        .query(
          `UPDATE jobs SET stage = 'pages', status = 'processing', total_pages = ?3, detected_type = ?4, size_bytes = ?5,
                  lease_owner = NULL, lease_expires_at = NULL, updated_at = ?6
           WHERE id = ?1 AND lease_owner = ?2 AND stage = 'splitting' AND deleted_at IS NULL`,
        )
        .run(jobId, owner, totalPages, detectedType, sizeBytes, now);
      if (updated.changes !== 1) return false;
      const insert = this.sqlite.query(
        `INSERT OR IGNORE INTO pages (id, job_id, page_number, status, attempts) VALUES (?1, ?2, ?3, 'pending', 0)`,
      );
      for (let n = 1; n <= totalPages; n++) insert.run(newId("page"), jobId, n);
      this.emit(jobId, "job.processing");
      return true;
    });
  }

  failJob(jobId: string, owner: string | null, message: string): Promise<boolean> {
    const now = this.now();
    return this.write(() => {
      const updated = this.sqlite
        .query(
          `UPDATE jobs SET stage = 'done', status = 'failed', error_message = ?3, lease_owner = NULL, lease_expires_at = NULL,
                  updated_at = ?4, completed_at = ?4
           WHERE id = ?1 AND stage != 'done' AND (?2 IS NULL OR lease_owner = ?2)`,
        )
        .run(jobId, owner, message, now);
      if (updated.changes !== 1) return false;
      this.emitFinished(jobId);
      return true;
    });
  }

  claimNextPage(owner: string, leaseMs: number): Promise<ClaimedPage | null> {
    const now = this.now();
    return this.write(() => {
      // Fairness: the job with the fewest pages in flight goes first, then the oldest job.
      // Usually some job has none in flight: the oldest such job is found by walking the
      // (stage, created_at) index, without grouping every open page (that GROUP BY grew with
      // the backlog: ~6% of the main thread under the load benchmark).
      const idle = this.sqlite
        .query<{ job_id: string }, [number]>(
          `SELECT j.id AS job_id FROM jobs j
           WHERE j.stage = 'pages' AND j.deleted_at IS NULL
             AND EXISTS (SELECT 1 FROM pages p WHERE p.job_id = j.id
                           AND (p.status = 'pending' OR (p.status = 'processing' AND p.lease_expires_at < ?1)))
             AND NOT EXISTS (SELECT 1 FROM pages p WHERE p.job_id = j.id AND p.status = 'processing' AND p.lease_expires_at >= ?1)
           ORDER BY j.created_at LIMIT 1`,
        )
        .get(now);
      const job = idle ?? this.sqlite
        .query<{ job_id: string }, [number]>(
          `SELECT p.job_id FROM pages p JOIN jobs j ON j.id = p.job_id
           WHERE j.stage = 'pages' AND j.deleted_at IS NULL
             AND (p.status IN ('pending', 'processing'))
           GROUP BY p.job_id
           HAVING sum(p.status = 'pending' OR (p.status = 'processing' AND p.lease_expires_at < ?1)) > 0
           ORDER BY sum(p.status = 'processing' AND p.lease_expires_at >= ?1), min(j.created_at)
           LIMIT 1`,
        )
        .get(now);
      if (!job) return null;
      const page = this.sqlite
        .query<{ id: string; job_id: string; page_number: number; attempts: number }, [string, string, number, number]>(
          `UPDATE pages SET status = 'processing', lease_owner = ?2, lease_expires_at = ?3 + ?4, attempts = attempts + 1,
                  started_at = ?3
           WHERE id = (SELECT id FROM pages WHERE job_id = ?1
                         AND (status = 'pending' OR (status = 'processing' AND lease_expires_at < ?3))
                       ORDER BY page_number LIMIT 1)
           RETURNING id, job_id, page_number, attempts`,
        )
        .get(job.job_id, owner, now, leaseMs);
      if (!page) return null;
      return { pageId: page.id, jobId: page.job_id, pageNumber: page.page_number, attempts: page.attempts };
    });
  }

  renewPageLease(pageId: string, owner: string, leaseMs: number): Promise<boolean> {
    const now = this.now();
    return this.write(
      () =>
        this.sqlite
          .query(`UPDATE pages SET lease_expires_at = ?3 + ?4 WHERE id = ?1 AND lease_owner = ?2 AND status = 'processing'`)
          .run(pageId, owner, now, leaseMs).changes === 1,
    );
  }

  private endPage(page: ClaimedPage, owner: string, status: "completed" | "failed", row: Partial<PageResultRow> & { errorMessage?: string }): Promise<void> {
    const now = this.now();
    return this.write(() => {
      const updated = this.sqlite
        .query(
          `UPDATE pages SET status = ?3, result = ?4, confidence = ?5, width = ?6, height = ?7, bounding_boxes_json = ?8,
                  route = ?9, error_message = ?10, lease_owner = NULL, lease_expires_at = NULL, completed_at = ?11,
                  input_tokens = ?12, output_tokens = ?13
           WHERE id = ?1 AND lease_owner = ?2 AND status = 'processing'`,
        )
        .run(
          page.pageId, owner, status, row.result ?? null, row.confidence ?? null, row.width ?? null, row.height ?? null,
          row.boundingBoxesJson ?? null, row.route ?? null, row.errorMessage ?? null, now, row.inputTokens ?? null, row.outputTokens ?? null,
        );
      // Another process took the page after our lease expired: its outcome counts, not ours.
      if (updated.changes !== 1) return;
      this.sqlite
        .query(`UPDATE jobs SET processed_pages = processed_pages + 1, failed_pages = failed_pages + ?2, updated_at = ?3 WHERE id = ?1`)
        .run(page.jobId, status === "failed" ? 1 : 0, now);
    });
  }

  completePage(page: ClaimedPage, owner: string, row: PageResultRow): Promise<void> {
    return this.endPage(page, owner, "completed", row);
  }

  failPage(page: ClaimedPage, owner: string, message: string): Promise<void> {
    return this.endPage(page, owner, "failed", { errorMessage: message });
  }

  releasePage(pageId: string, owner: string): Promise<void> {
    return this.write(() => {
      this.sqlite
        .query(`UPDATE pages SET status = 'pending', lease_owner = NULL, lease_expires_at = NULL WHERE id = ?1 AND lease_owner = ?2 AND status = 'processing'`)
        .run(pageId, owner);
    });
  }

  releaseJob(jobId: string, owner: string): Promise<boolean> {
    return this.write(
      () =>
        this.sqlite
          .query(`UPDATE jobs SET stage = 'queued', lease_owner = NULL, lease_expires_at = NULL WHERE id = ?1 AND lease_owner = ?2 AND stage = 'splitting'`)
          .run(jobId, owner).changes === 1,
    );
  }

  releaseExtraction(jobId: string, owner: string): Promise<boolean> {
    return this.write(
      () =>
        this.sqlite
          .query(`UPDATE jobs SET stage = 'pages', lease_owner = NULL, lease_expires_at = NULL WHERE id = ?1 AND lease_owner = ?2 AND stage = 'extracting'`)
          .run(jobId, owner).changes === 1,
    );
  }

  stats(): Promise<QueueStats> {
    return this.tx.read(() => this.statsNow());
  }

  /** stats() for a synchronous caller (the metrics gauges read it at scrape time). */
  statsNow(): QueueStats {
    {
      const jobs = this.sqlite
        .query<{ queued: number | null; active: number | null }, []>(
          `SELECT sum(stage = 'queued') AS queued, sum(stage IN ('splitting', 'pages', 'extracting')) AS active
           FROM jobs WHERE stage IN ('queued', 'splitting', 'pages', 'extracting') AND deleted_at IS NULL`,
        )
        .get();
      const pages = this.sqlite
        .query<{ pending: number | null; processing: number | null }, []>(
          `SELECT sum(p.status = 'pending') AS pending, sum(p.status = 'processing') AS processing
           FROM pages p JOIN jobs j ON j.id = p.job_id WHERE j.stage = 'pages' AND j.deleted_at IS NULL AND p.status IN ('pending', 'processing')`,
        )
        .get();
      return { jobsQueued: jobs?.queued ?? 0, jobsActive: jobs?.active ?? 0, pagesPending: pages?.pending ?? 0, pagesProcessing: pages?.processing ?? 0 };
    }
  }

  /** Writes the job's one charge; the unique (job_id, kind) index makes a second impossible even if this runs twice. */
  private charge(jobId: string, credits: number, description: string, now: number): void {
    if (credits <= 0) return;
    this.sqlite
      .query(
        `INSERT OR IGNORE INTO credit_transactions (id, team_id, job_id, kind, amount, description, created_at)
         SELECT ?1, team_id, id, 'charge', ?2, ?3, ?4 FROM jobs WHERE id = ?5`,
      )
      .run(newId("ctx"), -credits, description, now, jobId);
  }

  /** The job's earlier charge is refunded and detached (its job's next finish charges again). */
  private refund(jobId: string, teamId: string, now: number): void {
    const charge = this.sqlite
      .query<{ id: string; amount: number }, [string]>(`SELECT id, amount FROM credit_transactions WHERE job_id = ?1 AND kind = 'charge'`)
      .get(jobId);
    if (!charge) return;
    const meta = JSON.stringify({ job_id: jobId, retried: true });
    this.sqlite.query(`UPDATE credit_transactions SET job_id = NULL, metadata_json = ?2 WHERE id = ?1`).run(charge.id, meta);
    this.sqlite
      .query(
        `INSERT INTO credit_transactions (id, team_id, job_id, kind, amount, description, metadata_json, created_at)
         VALUES (?1, ?2, NULL, 'refund', ?3, ?4, ?5, ?6)`,
      )
      .run(newId("ctx"), teamId, -charge.amount, `Refund before retry of job ${jobId}`, meta, now);
  }

  finishJobIfDone(jobId: string, creditsPerPage: number): Promise<boolean> {
    const now = this.now();
    return this.write(() => {
      const counts = this.sqlite
        .query<{ open: number; done: number; failed: number; total: number }, [string]>(
          `SELECT sum(status IN ('pending', 'processing')) AS open, sum(status = 'completed') AS done,
                  sum(status = 'failed') AS failed, count(*) AS total FROM pages WHERE job_id = ?1`,
        )
        .get(jobId);
      if (!counts || counts.total === 0 || counts.open > 0) return false;
      const firstError = this.sqlite
        .query<{ page_number: number; error_message: string }, [string]>(
          `SELECT page_number, error_message FROM pages WHERE job_id = ?1 AND status = 'failed' ORDER BY page_number LIMIT 1`,
        )
        .get(jobId);
      const status = counts.done > 0 ? "completed" : "failed";
      const message = pagesErrorMessage({ ...counts, firstFailed: firstError ? { pageNumber: firstError.page_number, message: firstError.error_message } : null });
      const credits = counts.done * creditsPerPage;
      const updated = this.sqlite
        .query(
          `UPDATE jobs SET stage = 'done', status = ?2, error_message = ?3, credits_used = ?4, processed_pages = ?5,
                  failed_pages = ?6, updated_at = ?7, completed_at = ?7
           WHERE id = ?1 AND stage = 'pages' AND format NOT IN ('structured', 'per_page_structured')`,
        )
        .run(jobId, status, message, credits, counts.done + counts.failed, counts.failed, now);
      if (updated.changes !== 1) return false;
      this.charge(jobId, credits, `${counts.done} page(s)`, now);
      this.emitFinished(jobId);
      return true;
    });
  }

  claimExtraction(jobId: string, owner: string, leaseMs: number): Promise<boolean> {
    const now = this.now();
    return this.write(
      () =>
        this.sqlite
          .query(
            `UPDATE jobs SET stage = 'extracting', lease_owner = ?2, lease_expires_at = ?3 + ?4, updated_at = ?3
             WHERE id = ?1 AND deleted_at IS NULL AND format IN ('structured', 'per_page_structured')
               AND (stage = 'pages' OR (stage = 'extracting' AND (lease_expires_at < ?3 OR lease_owner = ?2)))
               AND NOT EXISTS (SELECT 1 FROM pages WHERE job_id = ?1 AND status IN ('pending', 'processing'))
               AND EXISTS (SELECT 1 FROM pages WHERE job_id = ?1)`,
          )
          .run(jobId, owner, now, leaseMs).changes === 1,
    );
  }

  pageTexts(jobId: string): Promise<{ pageNumber: number; markdown: string }[]> {
    return this.tx.read(() =>
      this.sqlite
        .query<{ pageNumber: number; markdown: string }, [string]>(
          `SELECT page_number AS pageNumber, coalesce(result, '') AS markdown FROM pages
           WHERE job_id = ?1 AND status = 'completed' ORDER BY page_number`,
        )
        .all(jobId),
    );
  }

  finishExtraction(jobId: string, owner: string, outcome: ExtractionOutcome, creditsPerPage: number): Promise<boolean> {
    const now = this.now();
    return this.write(() => {
      const counts = this.sqlite
        .query<{ done: number; failed: number; total: number }, [string]>(
          `SELECT sum(status = 'completed') AS done, sum(status = 'failed') AS failed, count(*) AS total FROM pages WHERE job_id = ?1`,
        )
        .get(jobId)!;
      const ok = "resultJson" in outcome;
      const credits = ok ? (counts.done ?? 0) * creditsPerPage : 0;
      const first = counts.failed > 0
        ? this.sqlite
            .query<{ page_number: number; error_message: string }, [string]>(
              `SELECT page_number, error_message FROM pages WHERE job_id = ?1 AND status = 'failed' ORDER BY page_number LIMIT 1`,
            )
            .get(jobId)
        : null;
      const message = extractionErrorMessage(
        { done: counts.done ?? 0, failed: counts.failed ?? 0, total: counts.total, firstFailed: first ? { pageNumber: first.page_number, message: first.error_message } : null },
        outcome,
      );
      const updated = this.sqlite
        .query(
          `UPDATE jobs SET stage = 'done', status = ?3, error_message = ?4, credits_used = ?5, structured_result = ?6,
                  extraction_input_tokens = ?7, extraction_output_tokens = ?8, processed_pages = ?9, failed_pages = ?10,
                  lease_owner = NULL, lease_expires_at = NULL, updated_at = ?11, completed_at = ?11
           WHERE id = ?1 AND stage = 'extracting' AND lease_owner = ?2`,
        )
        .run(
          jobId, owner, ok ? "completed" : "failed", message, credits, ok ? outcome.resultJson : null,
          ok ? outcome.inputTokens : null, ok ? outcome.outputTokens : null, (counts.done ?? 0) + (counts.failed ?? 0), counts.failed ?? 0, now,
        );
      if (updated.changes !== 1) return false;
      this.charge(jobId, credits, `${counts.done} page(s), structured`, now);
      this.emitFinished(jobId);
      return true;
    });
  }

  private leaseOwnersNow(): string[] {
    return this.sqlite
      .query<{ owner: string }, []>(
        `SELECT DISTINCT lease_owner AS owner FROM pages WHERE status = 'processing' AND lease_owner IS NOT NULL
         UNION SELECT DISTINCT lease_owner FROM jobs WHERE stage IN ('splitting', 'extracting') AND lease_owner IS NOT NULL`,
      )
      .all()
      .map((r) => r.owner);
  }

  /** The owners holding leases now (WorkerJobStore judges them on its side: a predicate cannot cross threads). */
  leaseOwners(): Promise<string[]> {
    return this.tx.read(() => this.leaseOwnersNow());
  }

  /** reclaimLeases with the dead owners named (WorkerJobStore). */
  reclaimDeadOwners(dead: string[]): Promise<number> {
    const set = new Set(dead);
    return this.reclaimLeases((owner) => !set.has(owner));
  }

  reclaimLeases(isOwnerAlive: (owner: string) => boolean): Promise<number> {
    const now = this.now();
    return this.write(() => {
      let reclaimed = 0;
      for (const owner of this.leaseOwnersNow()) {
        if (isOwnerAlive(owner)) continue;
        reclaimed += this.sqlite
          .query(`UPDATE pages SET status = 'pending', lease_owner = NULL, lease_expires_at = NULL WHERE status = 'processing' AND lease_owner = ?1`)
          .run(owner).changes;
        reclaimed += this.sqlite
          .query(`UPDATE jobs SET stage = 'queued', lease_owner = NULL, lease_expires_at = NULL WHERE stage = 'splitting' AND lease_owner = ?1`)
          .run(owner).changes;
        // An extraction cut short goes back to waiting for it; the start-up sweep runs it again.
        reclaimed += this.sqlite
          .query(`UPDATE jobs SET stage = 'pages', lease_owner = NULL, lease_expires_at = NULL WHERE stage = 'extracting' AND lease_owner = ?1`)
          .run(owner).changes;
      }
      reclaimed += this.sqlite
        .query(`UPDATE pages SET status = 'pending', lease_owner = NULL, lease_expires_at = NULL WHERE status = 'processing' AND lease_expires_at < ?1`)
        .run(now).changes;
      return reclaimed;
    });
  }

  jobsAwaitingFinish(): Promise<{ id: string; model: string; format: string }[]> {
    return this.tx.read(() =>
      this.sqlite
        .query<{ id: string; model: string; format: string }, [number]>(
          `SELECT j.id, j.model, j.format FROM jobs j WHERE j.deleted_at IS NULL
             AND (j.stage = 'pages' OR (j.stage = 'extracting' AND j.lease_expires_at < ?1))
             AND NOT EXISTS (SELECT 1 FROM pages p WHERE p.job_id = j.id AND p.status IN ('pending', 'processing'))`,
        )
        .all(this.now()),
    );
  }

  // ------------------------------------------------------------------ users and retention

  retryJob(jobId: string, scope: "failed" | "all", actor: AuditActor): Promise<number> {
    const now = this.now();
    return this.write(() => {
      const job = this.jobRow(jobId);
      if (!job) return 0;
      this.refund(jobId, job.team_id, now);
      const statuses = this.sqlite.query<{ status: string }, [string]>("SELECT status FROM pages WHERE job_id = ?1").all(jobId);
      if (statuses.length === 0) {
        this.sqlite
          .query(
            `UPDATE jobs SET stage = 'queued', status = 'pending', error_message = NULL, completed_at = NULL, lease_owner = NULL,
                    lease_expires_at = NULL, credits_used = 0, updated_at = ?2 WHERE id = ?1`,
          )
          .run(jobId, now);
        this.audit(job.team_id, actor, "job.retried", jobId, { scope: "job", pages: 0 }, now);
        return 0;
      }
      // A failed job with no failed page failed after its pages (the structured extraction): read everything again.
      const which = scope === "all" || statuses.every((p) => p.status !== "failed") ? "all" : "failed";
      const reset = this.sqlite
        .query(
          `UPDATE pages SET status = 'pending', attempts = 0, error_message = NULL, result = NULL, confidence = NULL, bounding_boxes_json = NULL,
                  route = NULL, lease_owner = NULL, lease_expires_at = NULL, started_at = NULL, completed_at = NULL, input_tokens = NULL, output_tokens = NULL
           WHERE job_id = ?1 AND (?2 = 'all' OR status = 'failed')`,
        )
        .run(jobId, which).changes;
      this.sqlite
        .query(
          `UPDATE jobs SET stage = 'pages', status = 'processing', error_message = NULL, completed_at = NULL, structured_result = NULL,
                  lease_owner = NULL, lease_expires_at = NULL, credits_used = 0, results_read_at = NULL, updated_at = ?2,
                  processed_pages = (SELECT count(*) FROM pages WHERE job_id = ?1 AND status IN ('completed', 'failed')),
                  failed_pages = (SELECT count(*) FROM pages WHERE job_id = ?1 AND status = 'failed')
           WHERE id = ?1`,
        )
        .run(jobId, now);
      this.audit(job.team_id, actor, "job.retried", jobId, { scope: which, pages: reset }, now);
      this.emit(jobId, "job.processing");
      return reset;
    });
  }

  purgeJob(jobId: string, reason: PurgeReason, actor: AuditActor): Promise<PurgedJob | null> {
    const now = this.now();
    return this.write(() => {
      const job = this.jobRow(jobId);
      if (!job) return null;
      // The event goes out once. Then every stored payload of the job (queued or sent, this event's
      // too) loses what came from the document: results, file name, error message.
      if (job.deleted_at === null) this.emit(jobId, "job.deleted", { reason });
      const payloads = this.sqlite.query<{ id: string; payload_json: string }, [string]>("SELECT id, payload_json FROM webhook_deliveries WHERE job_id = ?1").all(jobId);
      const scrub = this.sqlite.query("UPDATE webhook_deliveries SET payload_json = ?2 WHERE id = ?1");
      for (const row of payloads) {
        const cleaned = scrubbedEventBody(row.payload_json);
        if (cleaned !== row.payload_json) scrub.run(row.id, cleaned);
      }
      this.sqlite.query("DELETE FROM pages WHERE job_id = ?1").run(jobId);
      const finished = job.stage === "done";
      // A running job stops: workers see the stage and the missing page rows and drop their work.
      this.sqlite
        .query(
          `UPDATE jobs SET deleted_at = ?2, delete_reason = ?3, updated_at = ?4, stage = 'done', status = ?5, error_message = ?6,
                  completed_at = ?7, file_name = ?9, instructions = NULL, schema_json = NULL, structured_result = NULL, source_url = NULL,
                  upload_id = NULL, lease_owner = NULL, lease_expires_at = NULL, source_deleted_at = ?8
           WHERE id = ?1`,
        )
        .run(
          jobId, job.deleted_at ?? now, job.delete_reason ?? reason, now, finished ? job.status : "failed",
          finished ? null : "Deleted before it finished.", job.completed_at ?? now, job.source_deleted_at ?? now, DELETED_FILE_NAME,
        );
      this.audit(job.team_id, actor, reason === "deleted" ? "job.deleted" : "job.purged", jobId, { reason, pages: job.total_pages }, now);
      return { teamId: job.team_id, uploadId: job.upload_id };
    });
  }

  sourceDropped(jobId: string): Promise<void> {
    const now = this.now();
    return this.write(() => {
      this.sqlite.query("UPDATE jobs SET source_deleted_at = ?2 WHERE id = ?1").run(jobId, now);
    });
  }
}
