/**
 * The job store: the one owner of every write to jobs, pages and their credit charges and
 * refunds. Each method is one transaction, and the webhook events a change causes (job.created,
 * job.processing, job.completed, job.failed, job.deleted) are queued in that same transaction,
 * so a change and its event land together or not at all. Services and the pipeline ask the
 * store; nothing else writes those tables.
 *
 * Jobs and pages are also the queue: work is claimed with a lease (owner + expiry). A process
 * that dies leaves leases that expire, or that the next start on the same host reclaims.
 * Every method answers a promise, so a PostgreSQL adapter can sit beside the SQLite one;
 * test/adapters/job-store.contract.test.ts holds every adapter to the same behaviour.
 */
import type { ResultFormat } from "./model";

export interface ClaimedJob {
  id: string;
  teamId: string;
  source: "direct" | "url";
  sourceUrl: string | null;
  /** The request that created the job (for log lines). */
  requestId: string | null;
}

export interface ClaimedPage {
  pageId: string;
  jobId: string;
  pageNumber: number;
  attempts: number;
}

export interface PageResultRow {
  result: string;
  confidence: number | null;
  width: number;
  height: number;
  boundingBoxesJson: string | null;
  route: string;
  /** Model tokens spent on the page (all its steps); null for the offline engine. */
  inputTokens?: number | null;
  outputTokens?: number | null;
}

/** How the document-level structured step ended. */
export type ExtractionOutcome =
  | { resultJson: string; inputTokens: number | null; outputTokens: number | null }
  | { error: string };

/** What a worker needs to know about a job to process its pages. */
export interface JobOptions {
  model: string;
  format: ResultFormat;
  instructions: string | null;
  schemaJson: string | null;
  extractBoundingBoxes: boolean;
  detectedType: string | null;
  /** The request that created the job (for log lines). */
  requestId: string | null;
}

/** Work waiting and in progress, read at each metrics scrape. */
export interface QueueStats {
  /** Jobs whose file is stored and that wait to be split into pages. */
  jobsQueued: number;
  /** Jobs being split or processed. */
  jobsActive: number;
  pagesPending: number;
  pagesProcessing: number;
}

/** Who did it, for the audit row the store writes with a user's change. */
export interface AuditActor {
  type: "user" | "api_key" | "system";
  id?: string | null;
  ip?: string | null;
  userAgent?: string | null;
}

/** A new job as the SDK routes create it (options already resolved and checked). */
export interface NewJob {
  id: string;
  teamId: string;
  apiKeyId: string | null;
  fileName: string;
  model: string;
  format: ResultFormat;
  instructions: string | null;
  schemaJson: string | null;
  extractBoundingBoxes: boolean;
  templateId: string | null;
  templateSlug: string | null;
  requestId: string | null;
  /** direct: waits for its upload (stage awaiting_upload); url: queued at once. */
  source:
    | { kind: "direct"; declaredContentType: string; declaredSize: number; uploadId: string; uploadParts: number; uploadExpiresAt: number }
    | { kind: "url"; url: string };
}

/** deleted: by a caller; expired: the team's retention; abandoned: an upload never completed in time. */
export type PurgeReason = "deleted" | "expired" | "abandoned";

/** What a deleted job's file name becomes: the name can say as much as the document. */
export const DELETED_FILE_NAME = "(deleted)";

/** What storage still holds of a purged job (the caller removes it after the database). */
export interface PurgedJob {
  teamId: string;
  /** An unfinished multipart upload to abort. */
  uploadId: string | null;
}

export interface JobStore {
  // ---- the SDK routes
  /** Writes the job row and queues job.created. Answers the job's created_at. */
  createJob(job: NewJob): Promise<{ createdAt: number }>;
  /**
   * Takes the job's upload for joining its parts: exactly one caller gets true (the upload id
   * leaves the row), others at the same moment or later false.
   */
  claimUpload(jobId: string, uploadId: string): Promise<boolean>;
  /** Gives a claimed upload back after a failed join, so the client can complete again. */
  releaseUpload(jobId: string, uploadId: string): Promise<void>;
  /** The upload is joined and checked: the job waits for a worker. False when it was deleted (or expired) meanwhile. */
  uploadDone(jobId: string, sizeBytes: number): Promise<boolean>;
  /** The upload was refused (size or type): the job ends failed with the reason. */
  uploadFailed(jobId: string, message: string): Promise<void>;
  /** Every page of the result has been read (starts the 0-day retention clock); once. */
  resultsRead(jobId: string): Promise<void>;

  // ---- the worker
  jobOptions(jobId: string): Promise<JobOptions | null>;
  /** A job's LeapOCR status (for the jobs_total metric when it ends). */
  jobStatus(jobId: string): Promise<string | null>;
  /** A job whose file is stored and waits to be split into pages. */
  claimJobToSplit(owner: string, leaseMs: number): Promise<ClaimedJob | null>;
  /**
   * Extends the lease of a job this owner is splitting (a long fetch or open), so no other
   * process takes it meanwhile. False when the owner no longer holds it (the lease ran out and
   * another took it, or the job was deleted).
   */
  renewJobLease(jobId: string, owner: string, leaseMs: number): Promise<boolean>;
  /** Records the page count and creates the page rows; the job starts processing (job.processing). */
  pagesReady(jobId: string, owner: string, totalPages: number, detectedType: string, sizeBytes: number): Promise<boolean>;
  /** Ends a job that could not be split: its status becomes failed with the reason (job.failed). Answers true when it did. */
  failJob(jobId: string, owner: string | null, message: string): Promise<boolean>;
  /** The next page, taken round-robin across jobs so a large document does not starve a small one. */
  claimNextPage(owner: string, leaseMs: number): Promise<ClaimedPage | null>;
  renewPageLease(pageId: string, owner: string, leaseMs: number): Promise<boolean>;
  completePage(page: ClaimedPage, owner: string, row: PageResultRow): Promise<void>;
  failPage(page: ClaimedPage, owner: string, message: string): Promise<void>;
  /** Gives back a page without counting it (shutdown). */
  releasePage(pageId: string, owner: string): Promise<void>;
  /** Gives back a job this owner was splitting: it is queued again (shutdown). Answers true when it did. */
  releaseJob(jobId: string, owner: string): Promise<boolean>;
  /** Gives back a structured job's extraction this owner holds: it waits for it again (shutdown). */
  releaseExtraction(jobId: string, owner: string): Promise<boolean>;
  /** Counts of queued and running work. */
  stats(): Promise<QueueStats>;
  /**
   * Finishes a markdown job when no page is left, charges credits once and queues job.completed
   * or job.failed. Answers true when it did.
   */
  finishJobIfDone(jobId: string, creditsPerPage: number): Promise<boolean>;
  /**
   * Structured jobs: when no page is left, takes the job for the document-level extraction step
   * (a lease like a page's, so one process runs it); called again by the holder, it renews the
   * lease. Answers true when this owner has it.
   */
  claimExtraction(jobId: string, owner: string, leaseMs: number): Promise<boolean>;
  /** The base OCR markdown of the job's completed pages, in page order (input of the extraction). */
  pageTexts(jobId: string): Promise<{ pageNumber: number; markdown: string }[]>;
  /**
   * Ends a structured job: with a result it is completed and charged for its completed pages
   * (once); with an error it is failed, the error in error_message, and nothing is charged.
   * Queues job.completed or job.failed.
   */
  finishExtraction(jobId: string, owner: string, outcome: ExtractionOutcome, creditsPerPage: number): Promise<boolean>;
  /** At start: frees leases held by dead processes of this host and expired ones. */
  reclaimLeases(isOwnerAlive: (owner: string) => boolean): Promise<number>;
  /** Jobs stuck in the pages stage with nothing left to do (e.g. a crash between the last page and finishing). */
  jobsAwaitingFinish(): Promise<{ id: string; model: string; format: string }[]>;

  // ---- users and retention
  /**
   * Sends a finished job back to the queue: its failed pages (`failed`) or every page (`all`);
   * a job with no page rows starts again from its file. The earlier charge is refunded (the
   * next finish charges again), the audit row and job.processing are written with it.
   * Answers how many pages were reset.
   */
  retryJob(jobId: string, scope: "failed" | "all", actor: AuditActor): Promise<number>;
  /**
   * Removes a job's content from the database: pages, results, the structured object, schema
   * and instructions, file name and error messages, and the same in every stored webhook payload
   * of the job (job.deleted's too); the row stays as a tombstone. A running job stops.
   * Queues job.deleted (once) and writes the audit row. Null when there is no such job.
   */
  purgeJob(jobId: string, reason: PurgeReason, actor: AuditActor): Promise<PurgedJob | null>;
  /** The uploaded file was removed from storage (retention 0). */
  sourceDropped(jobId: string): Promise<void>;
}
