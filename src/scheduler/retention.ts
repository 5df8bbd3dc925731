/**
 * Keeps the retention promise: jobs whose team's retention period has passed are purged
 * (file, page images, results), with an audit record each. With 0 days, the uploaded file goes
 * when the job ends and the results once read in full, or after the grace period.
 * A sweep at start removes blobs that no live job owns (a crash between database and storage).
 */
import { and, eq, isNotNull, isNull, lt, or, sql } from "drizzle-orm";
import { prepared } from "../db/prepared";
import type { AppContext } from "../context";
import { jobs, teams } from "../db/schema";
import { dropJobSource, forgetDeletedContent, purgeJob } from "../modules/jobs/purge-job";
import { SYSTEM_ACTOR } from "../modules/audit/service";
import { teamRetention } from "../modules/settings/service";
import type { Leadership } from "../ports/leadership";
import { LocalLeadership } from "../adapters/leadership-local";

const DAY = 86_400_000;
/**
 * The orphan sweep never aborts a multipart upload younger than this: another replica may be
 * joining its parts right now (the upload id leaves the job row while it does), or may have
 * started it a moment before writing its job row. Older ones no job owns are aborted.
 */
export const ORPHAN_UPLOAD_MIN_AGE_MS = 3_600_000;

export class RetentionScheduler {
  private timer: ReturnType<typeof setInterval> | null = null;
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly ctx: AppContext,
    /** Among replicas, only the leader's timer runs a pass (one process always leads). */
    private readonly leader: Leadership = new LocalLeadership(),
  ) {}

  start(): void {
    // A failed pass is logged by tick().
    this.timer = setInterval(() => void this.leader.runIfLeader(() => this.tick()).catch(() => {}), this.ctx.config.retentionSweepSeconds * 1000);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** One pass; answers how many jobs were purged. Ticks never overlap. */
  tick(): Promise<number> {
    const next = this.running.then(() => this.purgeExpired());
    this.running = next.catch((err) => this.ctx.logger.error("retention pass failed", { error: String(err) }));
    return next;
  }

  /** A job just ended: with 0-day retention its uploaded file goes now. */
  async onJobFinished(jobId: string): Promise<void> {
    const job = prepared(this.ctx.db, "retention.jobTeam", (db) =>
      db.select({ teamId: jobs.teamId }).from(jobs).where(eq(jobs.id, sql.placeholder("id"))).prepare(),
    ).get({ id: jobId });
    if (!job) return;
    const r = await teamRetention(this.ctx, job.teamId);
    if (r.autoDeleteEnabled && r.retentionPeriodDays === 0) await dropJobSource(this.ctx, jobId);
  }

  /**
   * Direct uploads never completed within uploadExpiryHours: the job row's content, the parts and
   * the unfinished multipart upload go, whatever the team's retention (an upload that is never
   * completed would otherwise hold its parts forever). Runs in each pass and once at start.
   */
  async purgeAbandonedUploads(opts: { forget?: boolean } = {}): Promise<number> {
    const { db, clock, config } = this.ctx;
    const before = clock() - config.uploadExpiryHours * 3_600_000;
    const abandoned = db.select({ id: jobs.id }).from(jobs).where(and(eq(jobs.stage, "awaiting_upload"), isNull(jobs.deletedAt), lt(jobs.createdAt, before))).all();
    for (const job of abandoned) await purgeJob(this.ctx, job.id, "abandoned", SYSTEM_ACTOR, { forget: false });
    if (abandoned.length > 0) {
      this.ctx.logger.info("removed abandoned uploads", { count: abandoned.length });
      if (opts.forget ?? true) forgetDeletedContent(this.ctx);
    }
    return abandoned.length;
  }

  private async purgeExpired(): Promise<number> {
    const { db, clock, config } = this.ctx;
    const now = clock();
    let purged = await this.purgeAbandonedUploads({ forget: false });
    for (const team of db.select({ id: teams.id }).from(teams).all()) {
      const r = await teamRetention(this.ctx, team.id);
      if (!r.autoDeleteEnabled) continue;
      const live = and(eq(jobs.teamId, team.id), eq(jobs.stage, "done"), isNull(jobs.deletedAt), isNotNull(jobs.completedAt));
      const expired =
        r.retentionPeriodDays === 0
          ? and(live, or(isNotNull(jobs.resultsReadAt), lt(jobs.completedAt, now - config.retentionGraceSeconds * 1000)))
          : and(live, lt(jobs.completedAt, now - r.retentionPeriodDays * DAY));
      // Jobs that ended before 0-day retention was chosen still hold their file.
      if (r.retentionPeriodDays === 0) {
        for (const j of db.select({ id: jobs.id }).from(jobs).where(and(live, isNull(jobs.sourceDeletedAt))).all()) await dropJobSource(this.ctx, j.id);
      }
      for (const job of db.select({ id: jobs.id }).from(jobs).where(expired).all()) {
        await purgeJob(this.ctx, job.id, "expired", SYSTEM_ACTOR, { forget: false });
        purged++;
      }
    }
    if (purged > 0) this.ctx.logger.info("retention purged jobs", { count: purged });
    if (purged > 0) forgetDeletedContent(this.ctx);
    return purged;
  }

  /** Removes stored files and unfinished uploads that belong to no live job. */
  async sweepOrphans(): Promise<number> {
    const { db, storage } = this.ctx;
    const liveJob = (id: string) => db.select({ id: jobs.id, sourceDeletedAt: jobs.sourceDeletedAt }).from(jobs).where(and(eq(jobs.id, id), isNull(jobs.deletedAt))).get();
    let removed = 0;
    const jobIds = new Set((await storage.list("jobs/")).map((k) => k.split("/")[1]).filter((id): id is string => !!id));
    for (const id of jobIds) {
      const job = liveJob(id);
      if (!job || job.sourceDeletedAt !== null) {
        await storage.deletePrefix(`jobs/${id}`);
        removed++;
      }
    }
    const youngSince = this.ctx.clock() - ORPHAN_UPLOAD_MIN_AGE_MS;
    for (const upload of await storage.listMultipart()) {
      if (upload.startedAt > youngSince) continue;
      const id = upload.key.split("/")[1] ?? "";
      const job = db.select({ uploadId: jobs.uploadId, deletedAt: jobs.deletedAt }).from(jobs).where(eq(jobs.id, id)).get();
      if (!job || job.deletedAt !== null || job.uploadId !== upload.uploadId) {
        await storage.abortMultipart(upload.key, upload.uploadId);
        removed++;
      }
    }
    if (removed > 0) this.ctx.logger.info("removed orphaned files", { count: removed });
    return removed;
  }
}
