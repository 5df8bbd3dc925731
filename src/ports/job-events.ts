/**
 * What a job's webhook event says, and what is left of it once the job is purged: one
 * definition, used by every job store adapter when it queues the event in the transaction that
 * changed the job, or scrubs the stored payloads in the one that purged it. Pure functions.
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

/** Whether a subscriber's body carries the job's results: a job.completed event, to a subscriber that asked for them. */
export const carriesResults = (type: JobEventType, includeResults: boolean) => type === "job.completed" && includeResults;

/**
 * The payload body of one event for each subscriber: the plain one, or with the results where
 * carriesResults (built once, on first use; `pages` is read only then).
 */
export function jobEventBodies(job: JobEventJob, type: JobEventType, eventId: string, now: number, extra: Record<string, unknown>, pages: () => JobEventPage[]) {
  const base = { event_type: type, event_id: eventId, timestamp: eventTimestamp(now), data: { ...jobData(job), ...extra } };
  const plain = JSON.stringify(base);
  let withResults: string | undefined;
  return (includeResults: boolean): string =>
    carriesResults(type, includeResults) ? (withResults ??= JSON.stringify({ ...base, data: { ...base.data, result: jobResult(job, pages()) } })) : plain;
}

/**
 * A stored event body without what came from the document, once its job is purged: `data.result`
 * removed with `results_removed: true` added at the end, `data.file_name` and
 * `data.error_message` set to null in place; every other key keeps its place (the body is what
 * was signed). A body whose `data` is no object is returned as it is.
 */
export function scrubbedEventBody(json: string): string {
  const body = JSON.parse(json) as { data?: unknown; results_removed?: boolean };
  if (typeof body.data !== "object" || body.data === null || Array.isArray(body.data)) return json;
  const data = body.data as Record<string, unknown>;
  if ("result" in data) {
    delete data.result;
    body.results_removed = true;
  }
  data.file_name = null;
  data.error_message = null;
  return JSON.stringify(body);
}
