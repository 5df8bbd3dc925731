/**
 * The job queue: jobs and pages are rows, claimed with a lease (owner + expiry). A process
 * that dies leaves leases that expire, or that the next start on the same host reclaims.
 * SQL lives only in the adapter so that a PostgreSQL queue can sit beside the SQLite one.
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

export interface QueuePort {
  jobOptions(jobId: string): JobOptions | null;
  /** A job whose file is stored and waits to be split into pages. */
  claimJobToSplit(owner: string, leaseMs: number): ClaimedJob | null;
  /** Records the page count and creates the page rows; the job starts processing. */
  pagesReady(jobId: string, owner: string, totalPages: number, detectedType: string, sizeBytes: number): boolean;
  /** Ends a job that could not be split: its status becomes failed with the reason. */
  failJob(jobId: string, owner: string | null, message: string): void;
  /** The next page, taken round-robin across jobs so a large document does not starve a small one. */
  claimNextPage(owner: string, leaseMs: number): ClaimedPage | null;
  renewPageLease(pageId: string, owner: string, leaseMs: number): boolean;
  completePage(page: ClaimedPage, owner: string, row: PageResultRow): void;
  failPage(page: ClaimedPage, owner: string, message: string): void;
  /** Gives back a page without counting it (shutdown). */
  releasePage(pageId: string, owner: string): void;
  /** Gives back a job this owner was splitting: it is queued again (shutdown). Answers true when it did. */
  releaseJob(jobId: string, owner: string): boolean;
  /** Gives back a structured job's extraction this owner holds: it waits for it again (shutdown). */
  releaseExtraction(jobId: string, owner: string): boolean;
  /** Counts of queued and running work. */
  stats(): QueueStats;
  /** Finishes a markdown job when no page is left; charges credits once. Answers true when it did. */
  finishJobIfDone(jobId: string, creditsPerPage: number): boolean;
  /**
   * Structured jobs: when no page is left, takes the job for the document-level extraction step
   * (a lease like a page's, so one process runs it). Answers true when this owner has it.
   */
  claimExtraction(jobId: string, owner: string, leaseMs: number): boolean;
  /** The base OCR markdown of the job's completed pages, in page order (input of the extraction). */
  pageTexts(jobId: string): { pageNumber: number; markdown: string }[];
  /**
   * Ends a structured job: with a result it is completed and charged for its completed pages
   * (once); with an error it is failed, the error in error_message, and nothing is charged.
   */
  finishExtraction(jobId: string, owner: string, outcome: ExtractionOutcome, creditsPerPage: number): boolean;
  /** At start: frees leases held by dead processes of this host and expired ones. */
  reclaimLeases(isOwnerAlive: (owner: string) => boolean): number;
  /** Jobs stuck in the pages stage with nothing left to do (e.g. a crash between the last page and finishing). */
  jobsAwaitingFinish(): { id: string; model: string; format: string }[];
}
