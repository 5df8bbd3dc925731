/** The SQLite job queue. Every state change is one short transaction on the one connection. */
import type { Database } from "bun:sqlite";
import type { ClaimedJob, ClaimedPage, ExtractionOutcome, JobOptions, PageResultRow, QueuePort, QueueStats } from "../ports/queue";
import { newId } from "../lib/ids";

export class SqliteQueue implements QueuePort {
  constructor(
    private readonly sqlite: Database,
    private readonly now: () => number = Date.now,
  ) {}

  jobOptions(jobId: string): JobOptions | null {
    const row = this.sqlite
      .query<{ model: string; format: string; instructions: string | null; schema_json: string | null; extract_bounding_boxes: number; detected_type: string | null; request_id: string | null }, [string]>(
        `SELECT model, format, instructions, schema_json, extract_bounding_boxes, detected_type, request_id FROM jobs WHERE id = ?1 AND deleted_at IS NULL`,
      )
      .get(jobId);
    if (!row) return null;
    return {
      model: row.model,
      format: row.format as JobOptions["format"],
      instructions: row.instructions,
      schemaJson: row.schema_json,
      extractBoundingBoxes: row.extract_bounding_boxes === 1,
      detectedType: row.detected_type,
      requestId: row.request_id,
    };
  }

  claimJobToSplit(owner: string, leaseMs: number): ClaimedJob | null {
    const now = this.now();
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
  }

  pagesReady(jobId: string, owner: string, totalPages: number, detectedType: string, sizeBytes: number): boolean {
    const now = this.now();
    return this.sqlite.transaction(() => {
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
      return true;
    })();
  }

  failJob(jobId: string, owner: string | null, message: string): void {
    const now = this.now();
    this.sqlite
      .query(
        `UPDATE jobs SET stage = 'done', status = 'failed', error_message = ?3, lease_owner = NULL, lease_expires_at = NULL,
                updated_at = ?4, completed_at = ?4
         WHERE id = ?1 AND stage != 'done' AND (?2 IS NULL OR lease_owner = ?2)`,
      )
      .run(jobId, owner, message, now);
  }

  claimNextPage(owner: string, leaseMs: number): ClaimedPage | null {
    const now = this.now();
    return this.sqlite.transaction(() => {
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
    })();
  }

  renewPageLease(pageId: string, owner: string, leaseMs: number): boolean {
    const now = this.now();
    return (
      this.sqlite
        .query(`UPDATE pages SET lease_expires_at = ?3 + ?4 WHERE id = ?1 AND lease_owner = ?2 AND status = 'processing'`)
        .run(pageId, owner, now, leaseMs).changes === 1
    );
  }

  private endPage(page: ClaimedPage, owner: string, status: "completed" | "failed", row: Partial<PageResultRow> & { errorMessage?: string }): void {
    const now = this.now();
    this.sqlite.transaction(() => {
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
        .query(
          `UPDATE jobs SET processed_pages = processed_pages + 1, failed_pages = failed_pages + ?2, updated_at = ?3 WHERE id = ?1`,
        )
        .run(page.jobId, status === "failed" ? 1 : 0, now);
    })();
  }

  completePage(page: ClaimedPage, owner: string, row: PageResultRow): void {
    this.endPage(page, owner, "completed", row);
  }

  failPage(page: ClaimedPage, owner: string, message: string): void {
    this.endPage(page, owner, "failed", { errorMessage: message });
  }

  releasePage(pageId: string, owner: string): void {
    this.sqlite
      .query(`UPDATE pages SET status = 'pending', lease_owner = NULL, lease_expires_at = NULL WHERE id = ?1 AND lease_owner = ?2 AND status = 'processing'`)
      .run(pageId, owner);
  }

  releaseJob(jobId: string, owner: string): boolean {
    return (
      this.sqlite
        .query(`UPDATE jobs SET stage = 'queued', lease_owner = NULL, lease_expires_at = NULL WHERE id = ?1 AND lease_owner = ?2 AND stage = 'splitting'`)
        .run(jobId, owner).changes === 1
    );
  }

  releaseExtraction(jobId: string, owner: string): boolean {
    return (
      this.sqlite
        .query(`UPDATE jobs SET stage = 'pages', lease_owner = NULL, lease_expires_at = NULL WHERE id = ?1 AND lease_owner = ?2 AND stage = 'extracting'`)
        .run(jobId, owner).changes === 1
    );
  }

  /** A job's LeapOCR status (for the jobs_total metric when it ends). */
  jobStatus(jobId: string): string | null {
    return this.sqlite.query<{ status: string }, [string]>("SELECT status FROM jobs WHERE id = ?1").get(jobId)?.status ?? null;
  }

  stats(): QueueStats {
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

  finishJobIfDone(jobId: string, creditsPerPage: number): boolean {
    const now = this.now();
    return this.sqlite.transaction(() => {
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
      const message = firstError
        ? counts.failed === 1
          ? `Page ${firstError.page_number} failed: ${firstError.error_message}`
          : `${counts.failed} of ${counts.total} pages failed; page ${firstError.page_number}: ${firstError.error_message}`
        : null;
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
      return true;
    })();
  }

  claimExtraction(jobId: string, owner: string, leaseMs: number): boolean {
    const now = this.now();
    return (
      this.sqlite
        .query(
          `UPDATE jobs SET stage = 'extracting', lease_owner = ?2, lease_expires_at = ?3 + ?4, updated_at = ?3
           WHERE id = ?1 AND deleted_at IS NULL AND format IN ('structured', 'per_page_structured')
             AND (stage = 'pages' OR (stage = 'extracting' AND (lease_expires_at < ?3 OR lease_owner = ?2)))
             AND NOT EXISTS (SELECT 1 FROM pages WHERE job_id = ?1 AND status IN ('pending', 'processing'))
             AND EXISTS (SELECT 1 FROM pages WHERE job_id = ?1)`,
        )
        .run(jobId, owner, now, leaseMs).changes === 1
    );
  }

  pageTexts(jobId: string): { pageNumber: number; markdown: string }[] {
    return this.sqlite
      .query<{ pageNumber: number; markdown: string }, [string]>(
        `SELECT page_number AS pageNumber, coalesce(result, '') AS markdown FROM pages
         WHERE job_id = ?1 AND status = 'completed' ORDER BY page_number`,
      )
      .all(jobId);
  }

  finishExtraction(jobId: string, owner: string, outcome: ExtractionOutcome, creditsPerPage: number): boolean {
    const now = this.now();
    return this.sqlite.transaction(() => {
      const counts = this.sqlite
        .query<{ done: number; failed: number; total: number }, [string]>(
          `SELECT sum(status = 'completed') AS done, sum(status = 'failed') AS failed, count(*) AS total FROM pages WHERE job_id = ?1`,
        )
        .get(jobId)!;
      const ok = "resultJson" in outcome;
      const credits = ok ? (counts.done ?? 0) * creditsPerPage : 0;
      let message: string | null = ok ? null : outcome.error;
      if (ok && counts.failed > 0) {
        const first = this.sqlite
          .query<{ page_number: number; error_message: string }, [string]>(
            `SELECT page_number, error_message FROM pages WHERE job_id = ?1 AND status = 'failed' ORDER BY page_number LIMIT 1`,
          )
          .get(jobId);
        if (first) message = `${counts.failed} of ${counts.total} pages failed and were left out of the extraction; page ${first.page_number}: ${first.error_message}`;
      }
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
      return true;
    })();
  }

  reclaimLeases(isOwnerAlive: (owner: string) => boolean): number {
    const now = this.now();
    let reclaimed = 0;
    this.sqlite.transaction(() => {
      const owners = this.sqlite
        .query<{ owner: string }, []>(
          `SELECT DISTINCT lease_owner AS owner FROM pages WHERE status = 'processing' AND lease_owner IS NOT NULL
           UNION SELECT DISTINCT lease_owner FROM jobs WHERE stage IN ('splitting', 'extracting') AND lease_owner IS NOT NULL`,
        )
        .all();
      for (const { owner } of owners) {
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
    })();
    return reclaimed;
  }

  jobsAwaitingFinish(): { id: string; model: string; format: string }[] {
    return this.sqlite
      .query<{ id: string; model: string; format: string }, [number]>(
        `SELECT j.id, j.model, j.format FROM jobs j WHERE j.deleted_at IS NULL
           AND (j.stage = 'pages' OR (j.stage = 'extracting' AND j.lease_expires_at < ?1))
           AND NOT EXISTS (SELECT 1 FROM pages p WHERE p.job_id = j.id AND p.status IN ('pending', 'processing'))`,
      )
      .all(this.now());
  }
}
