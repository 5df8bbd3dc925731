/**
 * Removes everything a job holds: the uploaded file (and any unfinished upload), page results
 * and bounding boxes, the structured object, the schema and instructions, the file name, error
 * messages (a validation error can quote extracted values) and the same in stored webhook
 * payloads. The job row stays as a tombstone without content, so counts and the audit trail
 * still add up. Used by manual deletion and retention. The database part is the job store's
 * purgeJob (one transaction with the job.deleted event and the audit row).
 */
import type { AppContext } from "../../context";
import type { PurgeReason } from "../../ports/job-store";
import { sourceKey } from "../../pipeline/runner";
import { forgetDeleted } from "../../db/client";
import type { Actor } from "../audit/service";

export { DELETED_FILE_NAME, type PurgeReason } from "../../ports/job-store";

/**
 * `forget: false` leaves the WAL checkpoint to the caller, who purges many jobs and checkpoints
 * once after the last (the retention pass).
 */
export async function purgeJob(ctx: Pick<AppContext, "db" | "jobStore" | "storage" | "logger">, jobId: string, reason: PurgeReason, actor: Actor, opts: { forget?: boolean } = {}): Promise<void> {
  const purged = await ctx.jobStore.purgeJob(jobId, reason, actor);
  if (!purged) return;
  if (opts.forget ?? true) forgetDeletedContent(ctx);
  // Storage after the database: if we die in between, the start-up sweep finds the orphan blobs.
  if (purged.uploadId) await ctx.storage.abortMultipart(sourceKey(jobId), purged.uploadId);
  await ctx.storage.deletePrefix(`jobs/${jobId}`);
}

/** The purged rows' old bytes leave the WAL (secure_delete has zeroed them in the database file). */
export function forgetDeletedContent(ctx: Pick<AppContext, "db" | "logger">): void {
  if (!forgetDeleted(ctx.db.$client)) ctx.logger.warn("WAL checkpoint after a purge could not finish (another connection is reading); deleted content stays in the WAL until the next one");
}

/** Retention 0: the uploaded file goes as soon as the job ends; results wait until read or the grace period. */
export async function dropJobSource(ctx: Pick<AppContext, "jobStore" | "storage">, jobId: string): Promise<void> {
  await ctx.storage.deletePrefix(`jobs/${jobId}`);
  await ctx.jobStore.sourceDropped(jobId);
}
