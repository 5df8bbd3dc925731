/** Reading the jobs that changed, for the dashboard's live event stream (src/modules/dashboard/events.ts). */
/** The columns of a job an event is made of. */
export interface JobEventRow {
  id: string;
  teamId: string;
  status: string;
  stage: string;
  fileName: string;
  totalPages: number;
  processedPages: number;
  failedPages: number;
  creditsUsed: number;
  deletedAt: number | null;
  errorMessage: string | null;
}

/** Where the dashboard's event stream reads jobs: this server's SQLite (modules/dashboard/events.ts), or the shared PostgreSQL (adapters/job-events-postgres.ts). */
export interface JobEventReader {
  /**
   * The teams' jobs updated at or after `from` (null, the first look: `lookbackMs` before now),
   * and the reader's clock at the read, from which the next look starts.
   */
  changedSince(teamIds: string[], from: number | null, lookbackMs: number): Promise<{ rows: JobEventRow[]; now: number }>;
  byId(jobId: string): Promise<JobEventRow | null>;
}

