/**
 * Job events into the webhook outbox. One function, emitJobEvent, is called wherever a job
 * changes: created (SDK routes), processing (the runner starts it, or a retry), completed or
 * failed (the runner ends it), deleted (purge). It writes one delivery row per enabled
 * subscription that wants the event, inside the caller's transaction when given one, and wakes
 * the dispatcher.
 */
import { pageResults } from "../ocr/page-results";
import { and, asc, eq, sql } from "drizzle-orm";
import { prepared } from "../../db/prepared";
import type { AppContext } from "../../context";
import type { Db } from "../../db/client";
import { jobs, pages, webhookDeliveries, webhookSubscriptions } from "../../db/schema";
import { newId } from "../../lib/ids";
import { wakeDispatcher } from "./dispatcher";

export const JOB_EVENT_TYPES = ["job.created", "job.processing", "job.completed", "job.failed", "job.deleted"] as const;
export type JobEventType = (typeof JOB_EVENT_TYPES)[number];
/** Everything a subscription may name; webhook.test is sent by the test route to one subscription. */
export const EVENT_TYPES: readonly string[] = [...JOB_EVENT_TYPES, "webhook.test"];

type Writer = Pick<Db, "select" | "insert">;
type EventCtx = Pick<AppContext, "db" | "clock" | "config">;

export const eventTimestamp = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
export const newEventId = () => newId("evt");

/** Enabled subscriptions of the team that asked for this event type. */
function subscribers(db: Db, teamId: string, type: string) {
  const query = prepared(db, "webhooks.enabledSubscriptions", (d) =>
    d
      .select()
      .from(webhookSubscriptions)
      .where(and(eq(webhookSubscriptions.teamId, sql.placeholder("teamId")), eq(webhookSubscriptions.enabled, true)))
      .prepare(),
  );
  return query.all({ teamId }).filter((s) => (JSON.parse(s.eventsJson) as string[]).includes(type));
}

const jobById = (db: Db) => prepared(db, "webhooks.jobById", (d) => d.select().from(jobs).where(eq(jobs.id, sql.placeholder("id"))).prepare());

function jobData(job: typeof jobs.$inferSelect) {
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
function jobResult(db: Writer, job: typeof jobs.$inferSelect) {
  const rows = db.select().from(pages).where(eq(pages.jobId, job.id)).orderBy(asc(pages.pageNumber)).all();
  const results = pageResults(job);
  return {
    structured_result: results.structured,
    pages: rows.map((p) => {
      const { result, error_message } = results.page(p);
      return { page_number: p.pageNumber, status: p.status, result, confidence: p.confidence, error_message: error_message ?? null };
    }),
  };
}

/** Queues `type` for the job's subscribers; answers how many deliveries were queued. */
export function emitJobEvent(ctx: EventCtx, jobId: string, type: JobEventType, writer?: Writer, extra: Record<string, unknown> = {}): number {
  const db = writer ?? ctx.db;
  // Prepared on the one connection, so they also see the caller's open transaction.
  const job = jobById(ctx.db).get({ id: jobId });
  if (!job) return 0;
  const subs = subscribers(ctx.db, job.teamId, type);
  if (subs.length === 0) return 0;
  const now = ctx.clock();
  const eventId = newEventId();
  const base = { event_type: type, event_id: eventId, timestamp: eventTimestamp(now), data: { ...jobData(job), ...extra } };
  let withResults: string | undefined;
  for (const sub of subs) {
    let body: string;
    if (type === "job.completed" && sub.includeResults) {
      withResults ??= JSON.stringify({ ...base, data: { ...base.data, result: jobResult(db, job) } });
      body = withResults;
    } else body = JSON.stringify(base);
    db.insert(webhookDeliveries)
      .values({
        id: crypto.randomUUID(), eventId, eventType: type, subscriptionId: sub.id, teamId: job.teamId, jobId, payloadJson: body,
        status: "pending", attempts: 0, maxAttempts: ctx.config.webhookMaxAttempts, nextAttemptAt: now, createdAt: now, updatedAt: now,
      })
      .run();
  }
  wakeDispatcher(ctx.db);
  return subs.length;
}

/** The runner ended the job: completed or failed. */
export function emitJobFinished(ctx: EventCtx, jobId: string): number {
  const job = jobById(ctx.db).get({ id: jobId });
  if (!job || job.deletedAt !== null) return 0;
  return emitJobEvent(ctx, jobId, job.status === "failed" ? "job.failed" : "job.completed");
}
