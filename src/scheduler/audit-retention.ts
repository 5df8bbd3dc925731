/**
 * Audit records are kept on their own schedule (LEAPOCR_AUDIT_RETENTION_DAYS, default 365),
 * apart from the job retention: purging a job never purges the record that it was purged.
 */
import type { AppContext } from "../context";
import { auditRepository } from "../modules/audit/repository";
import type { Leadership } from "../ports/leadership";
import { LocalLeadership } from "../adapters/leadership-local";

const DAY = 86_400_000;

export class AuditRetentionScheduler {
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly ctx: AppContext,
    private readonly intervalMs = 3_600_000,
    /** Among replicas, only the leader's timer runs a pass (one process always leads). */
    private readonly leader: Leadership = new LocalLeadership(),
  ) {}

  start(): void {
    if (this.ctx.config.auditRetentionDays <= 0) return;
    void this.tickSafe();
    this.timer = setInterval(() => void this.tickSafe(), this.intervalMs);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async tickSafe(): Promise<void> {
    try {
      await this.leader.runIfLeader(() => this.tick());
    } catch (err) {
      this.ctx.logger.error("audit retention pass failed", { error: String(err) });
    }
  }

  /** One pass; answers how many records were deleted. 0 days keeps everything. */
  async tick(): Promise<number> {
    const days = this.ctx.config.auditRetentionDays;
    if (days <= 0) return 0;
    const now = this.ctx.clock();
    const audit = auditRepository(this.ctx.data);
    const removed = await audit.purgeBefore(now - days * DAY);
    if (removed > 0) {
      await audit.record({ teamId: null, actor: { type: "system", id: "audit-retention" }, action: "audit.purged", metadata: { count: removed, retention_days: days } }, now);
      this.ctx.logger.info("audit retention purged records", { count: removed });
    }
    return removed;
  }
}
