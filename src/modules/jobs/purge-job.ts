/**
 * Removes everything a job holds: the uploaded file (and any unfinished upload), page results
 * and bounding boxes, the schema and instructions. The job row stays as a tombstone without
 * content, so counts and the audit trail still add up. Used by manual deletion and retention.
 */
import { and, eq, sql } from "drizzle-orm";
import type { AppContext } from "../../context";
import { jobs, pages, webhookDeliveries } from "../../db/schema";
import { sourceKey } from "../../pipeline/runner";
import { recordAudit, type Actor } from "../audit/service";
import { emitJobEvent } from "../webhooks/events";

export type PurgeReason = "deleted" | "expired";

export async function purgeJob(ctx: Pick<AppContext, "db" | "storage" | "clock" | "config">, jobId: string, reason: PurgeReason, actor: Actor): Promise<void> {
  const job = ctx.db.select().from(jobs).where(eq(jobs.id, jobId)).get();
  if (!job) return;
  const now = ctx.clock();
  const finished = job.stage === "done";
  ctx.db.transaction((tx) => {
    // The event goes out once, with the job's name still known; results kept in queued or sent webhook payloads go too.
    if (job.deletedAt === null) emitJobEvent(ctx, jobId, "job.deleted", tx, { reason });
    tx.update(webhookDeliveries)
      .set({ payloadJson: sql`json_set(json_remove(${webhookDeliveries.payloadJson}, '$.data.result'), '$.results_removed', json('true'))` })
      .where(and(eq(webhookDeliveries.jobId, jobId), sql`json_type(${webhookDeliveries.payloadJson}, '$.data.result') IS NOT NULL`))
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
        errorMessage: finished ? job.errorMessage : "Deleted before it finished.",
        completedAt: job.completedAt ?? now,
        instructions: null,
        schemaJson: null,
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
  // Storage after the database: if we die in between, the start-up sweep finds the orphan blobs.
  if (job.uploadId) await ctx.storage.abortMultipart(sourceKey(jobId), job.uploadId);
  await ctx.storage.deletePrefix(`jobs/${jobId}`);
}

/** Retention 0: the uploaded file goes as soon as the job ends; results wait until read or the grace period. */
export async function dropJobSource(ctx: Pick<AppContext, "db" | "storage" | "clock">, jobId: string): Promise<void> {
  await ctx.storage.deletePrefix(`jobs/${jobId}`);
  ctx.db.update(jobs).set({ sourceDeletedAt: ctx.clock() }).where(eq(jobs.id, jobId)).run();
}
