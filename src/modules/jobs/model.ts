/** Workspace job routes: list (as in the LeapOCR reference), detail with the workflow, retry, delete. */
import * as v from "valibot";
import { CursorQuery, paged, QueryBool, QueryDate } from "./paging";

export const JobStatus = v.picklist(["pending", "processing", "completed", "partially_done", "failed"]);

export const JobsListQuery = v.object({
  ...CursorQuery,
  status: v.optional(JobStatus),
  model: v.optional(v.string()),
  result_format: v.optional(v.picklist(["structured", "markdown"])),
  template_id: v.optional(v.string()),
  include_deleted: v.optional(QueryBool),
  /** Part of the file name, case-insensitive. */
  search: v.optional(v.pipe(v.string(), v.maxLength(255))),
  created_from: v.optional(QueryDate),
  created_to: v.optional(QueryDate),
});
export type JobsListQuery = v.InferOutput<typeof JobsListQuery>;

export const JobListItem = v.object({
  id: v.string(),
  file_name: v.string(),
  status: JobStatus,
  /** Where the job is inside the queue: awaiting_upload, queued, splitting, pages, extracting, done. */
  stage: v.string(),
  /** The document kind sniffed from its bytes: pdf, png, jpeg, webp or tiff. */
  category: v.optional(v.string()),
  model: v.string(),
  result_format: v.string(),
  template_id: v.optional(v.string()),
  template_name: v.optional(v.string()),
  template_internal: v.boolean(),
  total_pages: v.number(),
  processed_pages: v.number(),
  /** Pages that could not be read (a finished job can be "completed" with some failed). */
  failed_pages: v.number(),
  credits_used: v.number(),
  base_credits: v.number(),
  surcharge_credits: v.number(),
  confidence: v.optional(v.number()),
  /** Seconds from start of processing to its end (or now). */
  processing_time: v.number(),
  /** Seconds from creation to the end (or now). */
  duration_seconds: v.number(),
  created_at: v.string(),
  completed_at: v.optional(v.string()),
  is_deleted: v.boolean(),
  deleted_at: v.optional(v.string()),
  /** Why the job failed, or which of its pages failed and why: the list shows it in the row. */
  error_message: v.optional(v.string()),
});

export const JobsListResponse = paged(JobListItem);

export const JobIdPath = v.object({ organization_id: v.string(), team_id: v.string(), job_id: v.pipe(v.string(), v.uuid("job_id must be a UUID")) });

export const JobPage = v.object({
  page_number: v.number(),
  status: v.picklist(["pending", "processing", "completed", "failed"]),
  attempts: v.number(),
  /** The model route that produced the page, e.g. offline:text-layer. */
  route: v.optional(v.string()),
  confidence: v.optional(v.number()),
  error_message: v.optional(v.string()),
  input_tokens: v.optional(v.number()),
  output_tokens: v.optional(v.number()),
  started_at: v.optional(v.string()),
  completed_at: v.optional(v.string()),
  duration_ms: v.optional(v.number()),
});

export const JobDetailResponse = v.object({
  ...JobListItem.entries,
  source: v.string(),
  size_bytes: v.optional(v.number()),
  attempts: v.number(),
  workflow: v.object({
    stage: v.string(),
    /** Distinct routes used by the pages, most used first. */
    routes: v.array(v.object({ route: v.string(), pages: v.number() })),
    timings: v.object({
      created_at: v.string(),
      started_at: v.optional(v.string()),
      completed_at: v.optional(v.string()),
      queued_seconds: v.optional(v.number()),
      processing_seconds: v.optional(v.number()),
    }),
    pages: v.object({ pending: v.number(), processing: v.number(), completed: v.number(), failed: v.number() }),
    /** Whether POST .../retry would take this job. */
    retryable: v.boolean(),
    source_available: v.boolean(),
    /** When retention deleted the uploaded file (absent while it is kept, or when it was never stored). */
    source_deleted_at: v.optional(v.string()),
  }),
  pages: v.array(JobPage),
});

export const RetryRequest = v.optional(
  v.object({
    /** failed (default): only the failed pages go back to the queue; all: every page is read again. */
    pages: v.optional(v.picklist(["failed", "all"])),
  }),
);

export const RetryResponse = v.object({
  job_id: v.string(),
  status: JobStatus,
  stage: v.string(),
  retried_pages: v.number(),
  message: v.string(),
});
