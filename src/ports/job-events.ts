/**
 * What a job's webhook event says: one definition, used by every job store adapter when it
 * queues the event in the transaction that changed the job. Pure functions of the rows.
 */
import { pageResults } from "./page-results";

export const JOB_EVENT_TYPES = ["job.created", "job.processing", "job.completed", "job.failed", "job.deleted"] as const;
export type JobEventType = (typeof JOB_EVENT_TYPES)[number];

/** The job fields an event shows. */
export interface JobEventJob {
  id: string;
  status: string;
  fileName: string;
  format: string;
  model: string;
  templateId: string | null;
  totalPages: number;
  processedPages: number;
  failedPages: number;
  creditsUsed: number;
  errorMessage: string | null;
  createdAt: number;
  completedAt: number | null;
  structuredResult: string | null;
}

/** The page fields a job.completed event with results shows. */
export interface JobEventPage {
  pageNumber: number;
  status: string;
  result: string | null;
  confidence: number | null;
  errorMessage: string | null;
}

export const eventTimestamp = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

function jobData(job: JobEventJob) {
  const iso = (ms: number | null) => (ms == null ? null : new Date(ms).toISOString());
  return {
    job_id: job.id,
    status: job.status,
    file_name: job.fileName,
    result_format: job.format,
    model: job.model,
    template_id: job.templateId,
    total_pages: job.totalPages,
    processed_pages: job.processedPages,
    failed_pages: job.failedPages,
    credits_used: job.creditsUsed,
    error_message: job.errorMessage,
    created_at: iso(job.createdAt),
    completed_at: iso(job.completedAt),
  };
}

/** The job's results as the result route shows them: pages, and the extracted object for structured jobs. */
function jobResult(job: JobEventJob, pages: JobEventPage[]) {
  const results = pageResults(job);
  return {
    structured_result: results.structured,
    pages: pages.map((p) => {
      const { result, error_message } = results.page(p);
      return { page_number: p.pageNumber, status: p.status, result, confidence: p.confidence, error_message: error_message ?? null };
    }),
  };
}

/**
 * The payload bodies of one event: `plain` for every subscriber, and `withResults()` (built once,
 * on first use) for a job.completed subscriber that asked for the results.
 */
export function jobEventBodies(job: JobEventJob, type: JobEventType, eventId: string, now: number, extra: Record<string, unknown>, pages: () => JobEventPage[]) {
  const base = { event_type: type, event_id: eventId, timestamp: eventTimestamp(now), data: { ...jobData(job), ...extra } };
  let withResults: string | undefined;
  return {
    plain: JSON.stringify(base),
    withResults: () => (withResults ??= JSON.stringify({ ...base, data: { ...base.data, result: jobResult(job, pages()) } })),
  };
}
