/** Workspace jobs: the team's list with filters, one job's workflow, retry and delete. */
import { and, asc, count, desc, eq, gte, isNull, lte, sql, type SQL } from "drizzle-orm";
import type { AppContext } from "../../context";
import { jobs, pages, templates } from "../../db/schema";
import { conflict, notFound } from "../../lib/errors";
import { sourceKey } from "../../pipeline/runner";
import type { Actor } from "../audit/service";
import { purgeJob } from "./purge-job";
import { afterCursor, decodeCursor, iso, pageOf } from "./paging";
import type { JobsListQuery } from "./model";

type JobStatus = "pending" | "processing" | "completed" | "partially_done" | "failed";

const confidenceOf = sql<number | null>`(SELECT avg(${pages.confidence}) FROM ${pages} WHERE ${pages.jobId} = ${jobs.id})`;

const listColumns = {
  job: jobs,
  templateName: templates.name,
  confidence: confidenceOf,
};

type ListRow = { job: typeof jobs.$inferSelect; templateName: string | null; confidence: number | null };

function toItem(ctx: AppContext, { job, templateName, confidence }: ListRow) {
  const end = job.completedAt ?? ctx.clock();
  return {
    id: job.id,
    file_name: job.fileName,
    status: job.status as JobStatus,
    stage: job.stage,
    category: job.detectedType ?? undefined,
    model: job.model,
    result_format: job.format,
    template_id: job.templateId ?? undefined,
    template_name: templateName ?? job.templateSlug ?? undefined,
    template_internal: false,
    total_pages: job.totalPages,
    processed_pages: job.processedPages,
    failed_pages: job.failedPages,
    credits_used: job.creditsUsed,
    base_credits: job.creditsUsed,
    surcharge_credits: 0,
    confidence: confidence ?? undefined,
    processing_time: job.startedAt ? Math.max(0, Math.round((end - job.startedAt) / 1000)) : 0,
    duration_seconds: Math.max(0, Math.round((end - job.createdAt) / 1000)),
    created_at: iso(job.createdAt)!,
    completed_at: iso(job.completedAt),
    is_deleted: job.deletedAt !== null,
    deleted_at: iso(job.deletedAt),
    error_message: job.errorMessage ?? undefined,
  };
}

export function listJobs(ctx: AppContext, teamId: string, q: JobsListQuery) {
  const limit = q.limit;
  const filters: (SQL | undefined)[] = [
    eq(jobs.teamId, teamId),
    q.include_deleted ? undefined : isNull(jobs.deletedAt),
    q.status ? eq(jobs.status, q.status) : undefined,
    q.model ? eq(jobs.model, q.model) : undefined,
    q.result_format ? eq(jobs.format, q.result_format) : undefined,
    q.template_id ? eq(jobs.templateId, q.template_id) : undefined,
    q.search ? sql`${jobs.fileName} LIKE ${`%${q.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`} ESCAPE '\\'` : undefined,
    q.created_from !== undefined ? gte(jobs.createdAt, q.created_from) : undefined,
    q.created_to !== undefined ? lte(jobs.createdAt, q.created_to) : undefined,
  ];
  const where = and(...filters);
  const total = ctx.db.select({ n: count() }).from(jobs).where(where).get()!.n;
  const rows = ctx.db
    .select(listColumns)
    .from(jobs)
    .leftJoin(templates, eq(templates.id, jobs.templateId))
    .where(and(where, afterCursor(decodeCursor(q.cursor), jobs.createdAt, jobs.id)))
    .orderBy(desc(jobs.createdAt), desc(jobs.id))
    .limit(limit + 1)
    .all();
  return pageOf(rows.map((r) => ({ ...r, createdAt: r.job.createdAt, id: r.job.id })), limit, total, (r) => toItem(ctx, r));
}

function findTeamJob(ctx: AppContext, teamId: string, jobId: string, includeDeleted = false) {
  const row = ctx.db
    .select(listColumns)
    .from(jobs)
    .leftJoin(templates, eq(templates.id, jobs.templateId))
    .where(and(eq(jobs.id, jobId), eq(jobs.teamId, teamId), includeDeleted ? undefined : isNull(jobs.deletedAt)))
    .get();
  if (!row) throw notFound(`Job ${jobId} not found.`);
  return row;
}

async function sourceAvailable(ctx: AppContext, job: typeof jobs.$inferSelect): Promise<boolean> {
  if (job.deletedAt !== null) return false;
  if (job.sourceDeletedAt === null && (await ctx.storage.size(sourceKey(job.id))) !== null) return true;
  // A URL job that failed before its file was stored can fetch it again.
  return job.source === "url" && job.sourceUrl !== null && job.totalPages === 0;
}

function isRetryable(job: typeof jobs.$inferSelect): boolean {
  return job.deletedAt === null && job.stage === "done" && (job.status === "failed" || job.failedPages > 0);
}

export async function getJob(ctx: AppContext, teamId: string, jobId: string) {
  const row = findTeamJob(ctx, teamId, jobId, true);
  const job = row.job;
  const pageRows = ctx.db.select().from(pages).where(eq(pages.jobId, jobId)).orderBy(asc(pages.pageNumber)).all();
  const byStatus = { pending: 0, processing: 0, completed: 0, failed: 0 };
  const routes = new Map<string, number>();
  for (const p of pageRows) {
    byStatus[p.status as keyof typeof byStatus]++;
    if (p.route) routes.set(p.route, (routes.get(p.route) ?? 0) + 1);
  }
  const available = await sourceAvailable(ctx, job);
  return {
    ...toItem(ctx, row),
    source: job.source,
    size_bytes: job.sizeBytes ?? job.declaredSize ?? undefined,
    attempts: job.attempts,
    workflow: {
      stage: job.stage,
      routes: [...routes].sort((a, b) => b[1] - a[1]).map(([route, n]) => ({ route, pages: n })),
      timings: {
        created_at: iso(job.createdAt)!,
        started_at: iso(job.startedAt),
        completed_at: iso(job.completedAt),
        queued_seconds: job.startedAt ? Math.round((job.startedAt - job.createdAt) / 100) / 10 : undefined,
        processing_seconds: job.startedAt && job.completedAt ? Math.round((job.completedAt - job.startedAt) / 100) / 10 : undefined,
      },
      pages: byStatus,
      retryable: isRetryable(job) && available,
      source_available: available,
      // Set only when retention removed the file; a file that was never kept has no date.
      source_deleted_at: job.deletedAt === null ? iso(job.sourceDeletedAt) : undefined,
    },
    pages: pageRows.map((p) => ({
      page_number: p.pageNumber,
      status: p.status as "pending" | "processing" | "completed" | "failed",
      attempts: p.attempts,
      route: p.route ?? undefined,
      confidence: p.confidence ?? undefined,
      error_message: p.errorMessage ?? undefined,
      input_tokens: p.inputTokens ?? undefined,
      output_tokens: p.outputTokens ?? undefined,
      started_at: iso(p.startedAt),
      completed_at: iso(p.completedAt),
      duration_ms: p.startedAt && p.completedAt ? p.completedAt - p.startedAt : undefined,
    })),
  };
}

/**
 * Sends a failed job, or a finished job's failed pages, back to the queue. A job that failed
 * before it was split starts again from its stored file; pages need the file too. The earlier
 * charge is refunded in the ledger, since finishing charges again for every completed page.
 */
export async function retryJob(ctx: AppContext, teamId: string, jobId: string, which: "failed" | "all", actor: Actor) {
  const job = findTeamJob(ctx, teamId, jobId).job;
  if (job.stage !== "done") throw conflict(`Job ${jobId} is still ${job.status}; only a finished job can be retried.`);
  if (!isRetryable(job)) throw conflict(`Job ${jobId} completed with no failed page; there is nothing to retry.`);
  if (!(await sourceAvailable(ctx, job))) {
    throw conflict(`The uploaded file of job ${jobId} is no longer stored (retention or deletion removed it), so the job cannot be retried; upload the document again.`);
  }
  const retried = await ctx.jobStore.retryJob(jobId, which, actor);
  ctx.wakeWorkers();
  const after = findTeamJob(ctx, teamId, jobId).job;
  return {
    job_id: jobId,
    status: after.status as JobStatus,
    stage: after.stage,
    retried_pages: retried,
    message: retried === 0 ? "The job is queued again and will be split from its stored file." : `${retried} page(s) queued again.`,
  };
}

export async function deleteTeamJob(ctx: AppContext, teamId: string, jobId: string, actor: Actor): Promise<void> {
  findTeamJob(ctx, teamId, jobId);
  await purgeJob(ctx, jobId, "deleted", actor);
}
