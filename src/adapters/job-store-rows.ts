/**
 * The jobs row as the SQL job stores (SQLite, PostgreSQL) read it, and what the ports make of it:
 * the table is the same on both engines, so the mapping is written once. Each store converts
 * its driver's values first (PostgreSQL's int8 strings, SQLite's 0/1 booleans).
 */
import type { JobOptions } from "../ports/job-store";
import type { JobEventJob } from "../ports/job-events";

export type JobRow = {
  id: string; team_id: string; status: string; stage: string; file_name: string; format: string; model: string; template_id: string | null;
  total_pages: number; processed_pages: number; failed_pages: number; credits_used: number; error_message: string | null;
  created_at: number; completed_at: number | null; structured_result: string | null; deleted_at: number | null;
  upload_id: string | null; source: string; source_url: string | null; source_deleted_at: number | null; delete_reason: string | null;
};

export const eventJob = (r: JobRow): JobEventJob => ({
  id: r.id, status: r.status, fileName: r.file_name, format: r.format, model: r.model, templateId: r.template_id, totalPages: r.total_pages,
  processedPages: r.processed_pages, failedPages: r.failed_pages, creditsUsed: r.credits_used, errorMessage: r.error_message,
  createdAt: r.created_at, completedAt: r.completed_at, structuredResult: r.structured_result,
});

/** The columns jobOptions reads, extract_bounding_boxes as a boolean. */
export type JobOptionsRow = {
  model: string; format: string; instructions: string | null; schema_json: string | null; extract_bounding_boxes: boolean;
  detected_type: string | null; request_id: string | null;
};

export const jobOptionsOf = (row: JobOptionsRow): JobOptions => ({
  model: row.model,
  format: row.format as JobOptions["format"],
  instructions: row.instructions,
  schemaJson: row.schema_json,
  extractBoundingBoxes: row.extract_bounding_boxes,
  detectedType: row.detected_type,
  requestId: row.request_id,
});
