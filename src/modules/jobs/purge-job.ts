/**
 * Removes everything a job holds: the uploaded file (and any unfinished upload), page results
 * and bounding boxes, the structured object, the schema and instructions, the file name, error
 * messages (a validation error can quote extracted values) and the same in stored webhook
 * payloads. The job row stays as a tombstone without content, so counts and the audit trail
 * still add up. Used by manual deletion and retention.
 */
import { and, eq, sql } from "drizzle-orm";
import type { AppContext } from "../../context";
import { jobs, pages, webhookDeliveries } from "../../db/schema";
import { sourceKey } from "../../pipeline/runner";
import { forgetDeleted } from "../../db/client";
import { recordAudit, type Actor } from "../audit/service";
import { emitJobEvent } from "../webhooks/events";

/** deleted: by a caller; expired: the team's retention; abandoned: an upload never completed in time. */
export type PurgeReason = "deleted" | "expired" | "abandoned";

/** What a deleted job's file name becomes: the name can say as much as the document. */
export const DELETED_FILE_NAME = "(deleted)";

/**
 * `forget: false` leaves the WAL checkpoint to the caller, who purges many jobs and checkpoints
 * once after the last (the retention pass).
 */
export async function purgeJob(ctx: Pick<AppContext, "db" | "storage" | "clock" | "config" | "logger">, jobId: string, reason: PurgeReason, actor: Actor, opts: { forget?: boolean } = {}): Promise<void> {
  const job = ctx.db.select().from(jobs).where(eq(jobs.id, jobId)).get();
  if (!job) return;
  const now = ctx.clock();
  const finished = job.stage === "done";
  ctx.db.transaction((tx) => {
    // The event goes out once. Then every stored payload of the job (queued or sent, this event's
    // too) loses what came from the document: results, file name, error message.
    if (job.deletedAt === null) emitJobEvent(ctx, jobId, "job.deleted", tx, { reason });
    tx.update(webhookDeliveries)
      .set({ payloadJson: sql`json_set(json_remove(${webhookDeliveries.payloadJson}, '$.data.result'), '$.results_removed', json('true'))` })
      .where(and(eq(webhookDeliveries.jobId, jobId), sql`json_type(${webhookDeliveries.payloadJson}, '$.data.result') IS NOT NULL`))
      .run();
    tx.update(webhookDeliveries)
      .set({ payloadJson: sql`json_set(${webhookDeliveries.payloadJson}, '$.data.file_name', json('null'), '$.data.error_message', json('null'))` })
      .where(and(eq(webhookDeliveries.jobId, jobId), sql`json_type(${webhookDeliveries.payloadJson}, '$.data') = 'object'`))
      .run();
    tx.delete(pages).where(eq(pages.jobId, jobId)).run();
    tx.update(jobs)
      .set({
        deletedAt: job.deletedAt ?? now,
        deleteReason: job.deleteReason ?? reason,
        updatedAt: now,
        // A running job stops: workers see the stage and the missing page rows and drop their work.
        stage: "done",
        status: finished ? job.status : "failed",
        fileName: DELETED_FILE_NAME,
        errorMessage: finished ? null : "Deleted before it finished.",
        completedAt: job.completedAt ?? now,
        instructions: null,
        schemaJson: null,
        structuredResult: null,
        sourceUrl: null,
        uploadId: null,
        leaseOwner: null,
        leaseExpiresAt: null,
        sourceDeletedAt: job.sourceDeletedAt ?? now,
      })
      .where(eq(jobs.id, jobId))
      .run();
    recordAudit(tx, { teamId: job.teamId, actor, action: reason === "deleted" ? "job.deleted" : "job.purged", targetType: "job", targetId: jobId, metadata: { reason, pages: job.totalPages } }, now);
  });
  if (opts.forget ?? true) forgetDeletedContent(ctx);
  // Storage after the database: if we die in between, the start-up sweep finds the orphan blobs.
  if (job.uploadId) await ctx.storage.abortMultipart(sourceKey(jobId), job.uploadId);
  await ctx.storage.deletePrefix(`jobs/${jobId}`);
}

/** The purged rows' old bytes leave the WAL (secure_delete has zeroed them in the database file). */
export function forgetDeletedContent(ctx: Pick<AppContext, "db" | "logger">): void {
  if (!forgetDeleted(ctx.db.$client)) ctx.logger.warn("WAL checkpoint after a purge could not finish (another connection is reading); deleted content stays in the WAL until the next one");
}

/** Retention 0: the uploaded file goes as soon as the job ends; results wait until read or the grace period. */
export async function dropJobSource(ctx: Pick<AppContext, "db" | "storage" | "clock">, jobId: string): Promise<void> {
  await ctx.storage.deletePrefix(`jobs/${jobId}`);
  ctx.db.update(jobs).set({ sourceDeletedAt: ctx.clock() }).where(eq(jobs.id, jobId)).run();
}
