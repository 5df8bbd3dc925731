/** Request and response models of the LeapOCR SDK routes: validation and OpenAPI both come from here. */
import * as v from "valibot";

export const JobStatus = v.picklist(["pending", "processing", "completed", "partially_done", "failed"]);

const jobOptions = {
  format: v.optional(v.picklist(["markdown", "structured", "per_page_structured"], "format must be markdown, structured or per_page_structured")),
  model: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(100))),
  instructions: v.optional(v.pipe(v.string(), v.maxLength(100, "instructions must be at most 100 characters"))),
  schema: v.optional(v.record(v.string(), v.unknown())),
  template_slug: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(100))),
  extract_bounding_boxes: v.optional(v.boolean()),
  save_as_template: v.optional(v.boolean()),
};

export const DirectUploadRequest = v.object({
  file_name: v.pipe(v.string(), v.minLength(1, "file_name is required"), v.maxLength(255)),
  file_size: v.pipe(v.number(), v.integer(), v.minValue(1, "file_size must be at least 1 byte"), v.maxValue(1073741824)),
  content_type: v.pipe(v.string(), v.minLength(1, "content_type is required")),
  ...jobOptions,
});
export type DirectUploadRequest = v.InferOutput<typeof DirectUploadRequest>;

export const DirectUploadResponse = v.object({
  job_id: v.pipe(v.string(), v.uuid()),
  upload_id: v.string(),
  upload_type: v.literal("multipart"),
  chunk_size: v.number(),
  total_chunks: v.number(),
  expires_at: v.string(),
  complete_url: v.string(),
  parts: v.array(v.object({ part_number: v.number(), start_byte: v.number(), end_byte: v.number(), upload_url: v.string() })),
});

export const CompleteUploadRequest = v.object({
  parts: v.pipe(
    v.array(v.object({ part_number: v.pipe(v.number(), v.integer(), v.minValue(1)), etag: v.pipe(v.string(), v.minLength(1)) })),
    v.minLength(1, "parts must list every uploaded part"),
  ),
});

export const CompleteUploadResponse = v.object({
  job_id: v.string(),
  status: JobStatus,
  message: v.string(),
  created_at: v.string(),
});

export const UrlUploadRequest = v.object({
  url: v.pipe(v.string(), v.minLength(1, "url is required"), v.maxLength(2000)),
  file_name: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(255))),
  ...jobOptions,
});
export type UrlUploadRequest = v.InferOutput<typeof UrlUploadRequest>;

export const UrlUploadResponse = v.object({
  job_id: v.string(),
  status: JobStatus,
  source_url: v.string(),
  created_at: v.string(),
});

export const JobIdParams = v.object({ job_id: v.pipe(v.string(), v.uuid("job_id must be a UUID")) });

export const StatusResponse = v.object({
  id: v.string(),
  status: JobStatus,
  file_name: v.string(),
  result_format: v.string(),
  model: v.string(),
  processed_pages: v.number(),
  total_pages: v.number(),
  progress: v.number(),
  processing_time: v.number(),
  created_at: v.string(),
  updated_at: v.string(),
  completed_at: v.optional(v.string()),
  error_message: v.optional(v.string()),
  template_name: v.optional(v.string()),
});

const Bounds = v.object({ x: v.number(), y: v.number(), width: v.number(), height: v.number() });
export const PageResponse = v.object({
  id: v.string(),
  page_number: v.number(),
  status: v.picklist(["completed", "failed"]),
  result: v.unknown(),
  confidence: v.optional(v.number()),
  has_bounding_boxes: v.boolean(),
  dimensions: v.optional(v.object({ width: v.number(), height: v.number() })),
  bounding_boxes: v.optional(v.array(v.object({ type: v.string(), text: v.string(), bounds: Bounds, metadata: v.optional(v.unknown()) }))),
  error_message: v.optional(v.string()),
});

export const ResultQuery = v.object({
  page: v.optional(v.pipe(v.string(), v.transform(Number), v.integer("page must be a whole number"), v.minValue(1)), "1"),
  limit: v.optional(v.pipe(v.string(), v.transform(Number), v.integer("limit must be a whole number"), v.minValue(1), v.maxValue(1000)), "100"),
});

export const ResultResponse = v.object({
  job_id: v.string(),
  status: JobStatus,
  file_name: v.string(),
  model: v.string(),
  result_format: v.string(),
  credits_used: v.number(),
  total_pages: v.number(),
  processed_pages: v.number(),
  completed_at: v.optional(v.string()),
  error_message: v.optional(v.string()),
  /** Structured jobs: the object extracted from the whole document (page 1's result is the same object). */
  structured_result: v.optional(v.unknown()),
  pages: v.array(PageResponse),
  pagination: v.object({ page: v.number(), limit: v.number(), total: v.number(), total_pages: v.number() }),
});

export const ResultPendingResponse = v.object({
  job_id: v.string(),
  status: JobStatus,
  processed_pages: v.number(),
  total_pages: v.number(),
  result_format: v.string(),
});

export const DeleteResponse = v.object({ job_id: v.string(), deleted: v.boolean(), message: v.string() });

export const ModelsResponse = v.object({
  count: v.number(),
  models: v.array(
    v.object({
      name: v.string(),
      display_name: v.string(),
      description: v.string(),
      credits_per_page: v.number(),
      priority: v.number(),
      surcharge_per_page: v.number(),
      supports_structured: v.boolean(),
      /** Older public names (the SDKs' standard-v1, english-pro-v1, pro-v1) that run as this model. */
      aliases: v.array(v.string()),
      routes: v.array(v.object({ name: v.string(), provider: v.string() })),
      steps: v.object({ ocr: v.array(v.string()), refine: v.array(v.string()), bounding_boxes: v.array(v.string()), structured: v.array(v.string()) }),
    }),
  ),
});

export const ErrorResponse = v.object({
  code: v.picklist(["VALIDATION_ERROR", "NOT_FOUND", "AUTHENTICATION_ERROR", "FORBIDDEN", "SYSTEM_ERROR", "BAD_REQUEST", "CONFLICT", "TOO_MANY_REQUESTS", "LESS_CREDITS"]),
  error: v.object({ message: v.string() }),
  details: v.optional(v.unknown()),
});
