/** The LeapOCR SDK flow: create a job, receive its file, report status and results, delete. */
import { and, asc, eq, isNull, sql } from "drizzle-orm";
import type { AppContext } from "../../context";
import { prepared } from "../../db/prepared";
/** Whose job it is: the team, and the API key that created it (none for dashboard uploads). */
export interface JobOwner {
  teamId: string;
  apiKeyId: string | null;
}
import { jobs, pages } from "../../db/schema";
import { badRequest, conflict, notFound } from "../../lib/errors";
import { newJobId } from "../../lib/ids";
import { ACCEPTED_CONTENT_TYPES, IngestError, SNIFF_BYTES, SUPPORTED_TYPES_TEXT, sniffDocumentType } from "../../pipeline/ingest";
import { sourceKey } from "../../pipeline/runner";
import { StorageError } from "../../ports/storage";
import { DEFAULT_MODEL } from "../../adapters/router";
import { assertFetchableUrl, FetchError, parseAllowHosts } from "../../lib/url-fetch";
import { purgeJob } from "../jobs/purge-job";
import { applyTemplate, useTemplateForNewJob } from "../templates/job-options";
import { assertCanSpend } from "../credits/service";
import type { Actor } from "../audit/service";
import type { DirectUploadRequest, UrlUploadRequest } from "./model";
import { checkUsableSchema } from "../../lib/model-json";
import { currentRequestId } from "../../lib/request-id";
import { pageResults } from "../../ports/page-results";

/** Parts stay below S3's 5 GB limit and well below what one PUT should carry. */
const MAX_PART_BYTES = 50 * 1024 * 1024;

type JobOptionsInput = Pick<DirectUploadRequest, "format" | "model" | "instructions" | "schema" | "template_slug" | "extract_bounding_boxes">;

async function resolveJobOptions(ctx: AppContext, raw: JobOptionsInput, teamId: string) {
  // A template_slug fills in the options the request leaves out (and must agree with its format).
  const { input, template } = await applyTemplate(ctx, teamId, raw);
  const modelName = input.model ?? DEFAULT_MODEL;
  // Older names (standard-v1, pro-v1...) resolve to today's model; the job stores today's name.
  const model = ctx.models.resolve(modelName);
  if (!model) {
    throw badRequest(`Unknown model "${modelName}". Available models: ${ctx.models.names().join(", ")}.`);
  }
  const format = input.format ?? "markdown";
  if (format !== "markdown") {
    // Without a schema the model answers one JSON object shaped by the instructions.
    const unusable = input.schema ? checkUsableSchema(input.schema) : null;
    if (unusable) throw badRequest(unusable);
    if (!model.supportsStructured) {
      throw badRequest(
        `Structured extraction needs a model route (Gemini or an OpenAI-compatible endpoint); model "${modelName}" runs on the offline engine, which only produces markdown. Configure a model route (see docs/CONFIG.md) or use format "markdown".`,
      );
    }
  }
  return {
    model: model.name,
    format,
    instructions: input.instructions ?? null,
    schemaJson: input.schema ? JSON.stringify(input.schema) : null,
    extractBoundingBoxes: input.extract_bounding_boxes ?? false,
    templateId: template?.id ?? null,
    templateSlug: template?.slug ?? null,
  };
}

const iso = (ms: number | null | undefined) => (ms == null ? undefined : new Date(ms).toISOString());

export async function createDirectUpload(ctx: AppContext, auth: JobOwner, body: DirectUploadRequest, baseUrl: string) {
  const { maxFileBytes, uploadUrlTtlSeconds } = ctx.config;
  if (body.file_size > maxFileBytes) {
    throw badRequest(`The file is ${body.file_size} bytes; this server accepts at most ${maxFileBytes} bytes.`);
  }
  const contentType = body.content_type.split(";")[0]!.trim().toLowerCase();
  if (!ACCEPTED_CONTENT_TYPES.has(contentType)) {
    throw badRequest(`Content type "${body.content_type}" is not supported. Upload a ${SUPPORTED_TYPES_TEXT} file.`);
  }
  const options = await resolveJobOptions(ctx, body, auth.teamId);
  await assertCanSpend(ctx.data, auth.teamId);
  const now = ctx.clock();
  const jobId = newJobId();
  const partCount = Math.ceil(body.file_size / MAX_PART_BYTES);
  // Every part but the last is exactly ceil(size / parts) bytes: the JS SDK cuts the file that way.
  const chunkSize = Math.ceil(body.file_size / partCount);
  // The part URLs never outlive the upload itself (abandoned uploads are purged after uploadExpiryHours).
  const expiresAt = new Date(now + Math.min(uploadUrlTtlSeconds, ctx.config.uploadExpiryHours * 3600) * 1000);
  ctx.expectDocument(contentType);
  const { uploadId } = await ctx.storage.createMultipart(sourceKey(jobId));
  const partSizes = Array.from({ length: partCount }, (_, i) => Math.min(chunkSize, body.file_size - i * chunkSize));
  const urls = await ctx.storage.presignParts(sourceKey(jobId), uploadId, partSizes, expiresAt, baseUrl);
  await ctx.jobStore.createJob({
    id: jobId, teamId: auth.teamId, apiKeyId: auth.apiKeyId, fileName: body.file_name, requestId: currentRequestId() ?? null,
    ...(await useTemplateForNewJob(ctx, auth, body.file_name, options, body.save_as_template ?? false)),
    source: { kind: "direct", declaredContentType: contentType, declaredSize: body.file_size, uploadId, uploadParts: partCount, uploadExpiresAt: expiresAt.getTime() },
  });
  return {
    job_id: jobId,
    upload_id: uploadId,
    upload_type: "multipart" as const,
    chunk_size: chunkSize,
    total_chunks: partCount,
    expires_at: expiresAt.toISOString(),
    complete_url: `/api/v1/ocr/uploads/${jobId}/complete`,
    parts: urls.map((p) => ({
      part_number: p.partNumber,
      start_byte: (p.partNumber - 1) * chunkSize,
      end_byte: Math.min(p.partNumber * chunkSize, body.file_size) - 1,
      upload_url: p.url,
    })),
  };
}

function findJob(ctx: AppContext, auth: JobOwner, jobId: string) {
  // Scoped by team: another team's job id answers exactly like one that does not exist.
  const query = prepared(ctx.db, "ocr.findJob", (db) =>
    db
      .select()
      .from(jobs)
      .where(and(eq(jobs.id, sql.placeholder("jobId")), eq(jobs.teamId, sql.placeholder("teamId")), isNull(jobs.deletedAt)))
      .prepare(),
  );
  const job = query.get({ jobId, teamId: auth.teamId });
  if (!job) throw notFound(`Job ${jobId} not found.`);
  return job;
}

export async function completeDirectUpload(ctx: AppContext, auth: JobOwner, jobId: string, parts: { part_number: number; etag: string }[]) {
  const job = findJob(ctx, auth, jobId);
  if (job.stage !== "awaiting_upload" || !job.uploadId) {
    throw conflict(`The upload of job ${jobId} has already been completed.`);
  }
  const expected = job.uploadParts ?? 1;
  const numbers = new Set(parts.map((p) => p.part_number));
  if (numbers.size !== parts.length || parts.length !== expected || [...numbers].some((n) => n > expected)) {
    throw badRequest(`The upload has ${expected} part(s); list each of part_number 1..${expected} exactly once with its ETag.`);
  }
  // Exactly one caller joins the parts: the one that takes the upload id off the row. Others,
  // at the same moment or later, answer 409 (ten parallel calls gave 3 x 200 and a 500 before).
  const uploadId = job.uploadId;
  if (!(await ctx.jobStore.claimUpload(jobId, uploadId))) throw conflict(`The upload of job ${jobId} has already been completed.`);
  // A failed join gives the upload back, so the client can complete again with the right parts.
  const release = () => ctx.jobStore.releaseUpload(jobId, uploadId);
  let size: number;
  try {
    ({ size } = await ctx.storage.completeMultipart(sourceKey(jobId), uploadId, parts.map((p) => ({ partNumber: p.part_number, etag: p.etag }))));
  } catch (err) {
    await release();
    if (err instanceof StorageError) throw badRequest(err.message);
    throw err;
  }
  const fail = async (message: string) => {
    await ctx.jobStore.uploadFailed(jobId, message);
    return badRequest(message);
  };
  if (size !== job.declaredSize) {
    await ctx.storage.deletePrefix(`jobs/${jobId}`);
    throw await fail(`The uploaded file is ${size} bytes but file_size said ${job.declaredSize}. Start the upload again with the right size.`);
  }
  // Sniff now so that an unreadable type is a 400 here rather than a failed job later (the
  // first kilobyte only: on S3 a whole read would download the file on the request path).
  const head = await ctx.storage.head(sourceKey(jobId), SNIFF_BYTES);
  try {
    sniffDocumentType(head ?? new Uint8Array());
  } catch (err) {
    if (err instanceof IngestError) {
      await ctx.storage.deletePrefix(`jobs/${jobId}`);
      throw await fail(err.message);
    }
    throw err;
  }
  if (!(await ctx.jobStore.uploadDone(jobId, size))) {
    // Deleted (or expired) while its parts were being joined: the joined file goes too.
    await ctx.storage.deletePrefix(`jobs/${jobId}`);
    throw notFound(`Job ${jobId} not found.`);
  }
  ctx.wakeWorkers();
  return { job_id: jobId, status: "pending" as const, message: "Upload completed successfully, processing started", created_at: iso(job.createdAt)! };
}

export async function createUrlJob(ctx: AppContext, auth: JobOwner, body: UrlUploadRequest) {
  let url: URL;
  try {
    url = await assertFetchableUrl(body.url, parseAllowHosts(ctx.config.urlAllowHosts));
  } catch (err) {
    if (err instanceof FetchError) throw badRequest(err.message);
    throw err;
  }
  const options = await resolveJobOptions(ctx, body, auth.teamId);
  await assertCanSpend(ctx.data, auth.teamId);
  const jobId = newJobId();
  const fileName = body.file_name ?? (decodeURIComponent(url.pathname.split("/").pop() ?? "") || "document");
  ctx.expectDocument(null);
  const { createdAt } = await ctx.jobStore.createJob({
    id: jobId, teamId: auth.teamId, apiKeyId: auth.apiKeyId, fileName, requestId: currentRequestId() ?? null,
    ...(await useTemplateForNewJob(ctx, auth, fileName, options, body.save_as_template ?? false)),
    source: { kind: "url", url: url.toString() },
  });
  ctx.wakeWorkers();
  return { job_id: jobId, status: "pending" as const, source_url: url.toString(), created_at: iso(createdAt)! };
}

/**
 * Only the columns a status answers with: the row also holds the schema, instructions and a
 * structured job's whole result, which SQLite would otherwise read (overflow pages and all) and
 * bun:sqlite turn into strings on every poll (issue 20).
 */
function findJobStatus(ctx: AppContext, auth: JobOwner, jobId: string) {
  const query = prepared(ctx.db, "ocr.findJobStatus", (db) =>
    db
      .select({
        id: jobs.id, status: jobs.status, stage: jobs.stage, fileName: jobs.fileName, format: jobs.format, model: jobs.model,
        processedPages: jobs.processedPages, totalPages: jobs.totalPages, startedAt: jobs.startedAt, createdAt: jobs.createdAt,
        updatedAt: jobs.updatedAt, completedAt: jobs.completedAt, errorMessage: jobs.errorMessage,
      })
      .from(jobs)
      .where(and(eq(jobs.id, sql.placeholder("jobId")), eq(jobs.teamId, sql.placeholder("teamId")), isNull(jobs.deletedAt)))
      .prepare(),
  );
  const job = query.get({ jobId, teamId: auth.teamId });
  if (!job) throw notFound(`Job ${jobId} not found.`);
  return job;
}

export function getJobStatus(ctx: AppContext, auth: JobOwner, jobId: string) {
  const job = findJobStatus(ctx, auth, jobId);
  const end = job.completedAt ?? ctx.clock();
  return {
    id: job.id,
    status: job.status as "pending" | "processing" | "completed" | "failed",
    file_name: job.fileName,
    result_format: job.format,
    model: job.model,
    processed_pages: job.processedPages,
    total_pages: job.totalPages,
    progress: job.stage === "done" ? 100 : job.totalPages > 0 ? Math.floor((job.processedPages / job.totalPages) * 100) : 0,
    processing_time: job.startedAt ? Math.round((end - job.startedAt) / 1000) : 0,
    created_at: iso(job.createdAt)!,
    updated_at: iso(job.updatedAt)!,
    completed_at: iso(job.completedAt),
    error_message: job.errorMessage ?? undefined,
  };
}

export async function getJobResult(ctx: AppContext, auth: JobOwner, jobId: string, page: number, limit: number) {
  const job = findJob(ctx, auth, jobId);
  const status = job.status as "pending" | "processing" | "completed" | "failed";
  if (job.stage !== "done") {
    return { finished: false as const, body: { job_id: job.id, status, processed_pages: job.processedPages, total_pages: job.totalPages, result_format: job.format } };
  }
  const results = pageResults(job);
  const rows = ctx.db
    .select()
    .from(pages)
    .where(eq(pages.jobId, jobId))
    .orderBy(asc(pages.pageNumber))
    .limit(limit)
    .offset((page - 1) * limit)
    .all();
  // Reading the last page of results counts as reading them in full (the 0-day retention clock).
  if (job.resultsReadAt === null && page * limit >= job.totalPages) {
    await ctx.jobStore.resultsRead(jobId);
  }
  return {
    finished: true as const,
    body: {
      job_id: job.id,
      status,
      file_name: job.fileName,
      model: job.model,
      result_format: job.format,
      credits_used: job.creditsUsed,
      total_pages: job.totalPages,
      processed_pages: job.processedPages,
      completed_at: iso(job.completedAt),
      error_message: job.errorMessage ?? undefined,
      // Structured jobs: the one object extracted from the whole document (also page 1's result).
      structured_result: results.structured,
      pages: rows.map((p) => {
        const boxes = p.boundingBoxesJson ? (JSON.parse(p.boundingBoxesJson) as { type: string; text: string; bounds: { x: number; y: number; width: number; height: number } }[]) : undefined;
        const { result, error_message } = results.page(p);
        return {
          id: p.id,
          page_number: p.pageNumber,
          status: p.status as "completed" | "failed",
          result,
          confidence: p.confidence ?? undefined,
          has_bounding_boxes: boxes !== undefined,
          dimensions: p.width && p.height ? { width: p.width, height: p.height } : undefined,
          bounding_boxes: boxes,
          error_message,
        };
      }),
      pagination: { page, limit, total: job.totalPages, total_pages: Math.max(1, Math.ceil(job.totalPages / limit)) },
    },
  };
}

/** Deletes the job's file, pages and results at once, even while it runs; status and result then answer 404. */
export async function deleteJob(ctx: AppContext, auth: JobOwner, jobId: string, actor: Actor) {
  findJob(ctx, auth, jobId);
  await purgeJob(ctx, jobId, "deleted", actor);
  return { job_id: jobId, deleted: true, message: "Job and all its data deleted." };
}

export function listModels(ctx: AppContext) {
  const models = ctx.models.models.map((m) => ({
    name: m.name,
    display_name: m.displayName,
    description: m.description,
    credits_per_page: m.creditsPerPage,
    priority: m.priority,
    surcharge_per_page: m.surchargePerPage,
    supports_structured: m.supportsStructured,
    aliases: ctx.models.aliasesOf(m.name),
    routes: m.routes.map((r) => ({ name: r.name, provider: r.provider })),
    steps: {
      ocr: m.routes.map((r) => r.name),
      refine: (m.refineRoutes ?? []).map((r) => r.name),
      bounding_boxes: (m.boxRoutes ?? []).map((r) => r.name),
      structured: (m.structuredRoutes ?? []).map((r) => r.name),
    },
  }));
  return { count: models.length, models };
}
