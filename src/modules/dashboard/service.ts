/** Data functions behind the dashboard's own routes: page images and the deployment's data flow. */
import { and, eq, isNull } from "drizzle-orm";
import type { AppContext } from "../../context";
import { jobs } from "../../db/schema";
import { ApiError, notFound } from "../../lib/errors";
import { openDocument, DocumentError } from "../../pipeline/document";
import { sniffDocumentType } from "../../pipeline/ingest";
import { sourceKey } from "../../pipeline/runner";
import { listSubprocessors } from "../subprocessors/service";
import type { JobOwner } from "../ocr/service";
import type { Principal } from "../auth";

/** Pages are shown at screen resolution, not at the OCR DPI. */
export const PREVIEW_DPI = 100;

/**
 * The SDK service functions take an API key's team; a dashboard session acts for its team too.
 * Jobs started from a session have no API key (api_key_id stays null).
 */
export function teamAuth(teamId: string, principal: Principal): JobOwner {
  return { teamId, apiKeyId: principal.kind === "api_key" ? principal.apiKeyId : null };
}

/** PNG of one page of a job's uploaded file, rendered on demand. 410 once retention removed the file. */
export async function renderPageImage(ctx: AppContext, teamId: string, jobId: string, pageNumber: number): Promise<Uint8Array> {
  const job = ctx.db.select().from(jobs).where(and(eq(jobs.id, jobId), eq(jobs.teamId, teamId), isNull(jobs.deletedAt))).get();
  if (!job) throw notFound(`Job ${jobId} not found.`);
  const gone = () => new ApiError(410, "NOT_FOUND", "The uploaded file of this job has been deleted by the team's retention settings; its page images can no longer be shown. The results remain until they expire too.");
  if (job.sourceDeletedAt !== null) throw gone();
  const bytes = await ctx.storage.get(sourceKey(jobId));
  // Not retention: the upload never completed, or was refused and discarded (job.errorMessage says why).
  if (!bytes) throw notFound(`The uploaded file of this job is not stored, so its pages cannot be shown${job.errorMessage ? `: ${job.errorMessage}` : "."}`);
  if (job.totalPages > 0 && pageNumber > job.totalPages) throw notFound(`Job ${jobId} has ${job.totalPages} page(s).`);
  let doc;
  try {
    doc = await openDocument(bytes, sniffDocumentType(bytes), { maxPages: ctx.config.maxPages, maxPagePixels: ctx.config.maxPagePixels });
  } catch (err) {
    if (err instanceof DocumentError) throw new ApiError(422 as number, "BAD_REQUEST", err.message);
    throw err;
  }
  try {
    if (pageNumber > doc.pageCount) throw notFound(`Job ${jobId} has ${doc.pageCount} page(s).`);
    return (await doc.page(pageNumber).image(PREVIEW_DPI)).png;
  } finally {
    await doc.close();
  }
}

/** Who outside this server receives what, generated from the running configuration. */
export function dataFlow(ctx: AppContext) {
  const c = ctx.config;
  const models = listSubprocessors(ctx).subprocessors;
  const analytics: { provider: string; endpoint: string; receives: string[] }[] = [];
  if (c.posthogKey) analytics.push({ provider: "PostHog", endpoint: c.posthogHost, receives: ["dashboard page views", "browser and device details"] });
  if (c.gaMeasurementId) analytics.push({ provider: "Google Analytics", endpoint: "https://www.google-analytics.com", receives: ["dashboard page views", "browser and device details"] });
  const storage =
    c.storage === "s3"
      ? { kind: "s3" as const, endpoint: c.s3Endpoint || `https://s3.${c.s3Region}.amazonaws.com`, bucket: c.s3Bucket, encryption: c.s3ServerSideEncryption || null, receives: ["uploaded files", "page images", "results"] }
      : { kind: "local" as const, endpoint: null, bucket: null, encryption: c.encryptionKeys ? "AES-256-GCM" : null, receives: [] as string[] };
  const outside = models.length + analytics.length + (storage.kind === "s3" ? 1 : 0);
  return { outside_providers: outside, models, storage, analytics };
}
