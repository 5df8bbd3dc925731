/**
 * Signals between replicas through PostgreSQL's LISTEN/NOTIFY. Bun.sql keeps one dedicated
 * connection for every LISTEN of a pool and, when it drops, reconnects with backoff and listens
 * again; notifications sent while it was down are lost, so a reconnect wakes this replica's
 * workers at once (and the pollers find the rest). A signal is a hint, never the record: the
 * rows are.
 *
 * Each instance tags what it sends with its own id and ignores its own notifications: it has
 * already called its listeners directly. Work signals are coalesced (one NOTIFY in flight, at
 * most one more queued behind it), so a burst of uploads costs a few statements, not one each.
 */
import type { SQL } from "bun";
import type { Logger } from "../lib/logger";
import { Listeners, type ReplicaSignals } from "../ports/signals";

export const WORK_CHANNEL = "leapocr_work";
export const JOBS_CHANNEL = "leapocr_jobs";

export class PostgresSignals implements ReplicaSignals {
  private readonly id = crypto.randomUUID();
  private readonly work = new Listeners<[]>();
  private readonly jobs = new Listeners<[string]>();
  private readonly subscriptions: SQL.ListenSubscription[] = [];
  private workSending: Promise<void> | null = null;
  private workAgain = false;
  private closed = false;

  private constructor(
    private readonly sql: SQL,
    private readonly logger: Logger,
  ) {}

  /** Listens on both channels; resolves once the database acknowledged them. */
  static async start(sql: SQL, logger: Logger): Promise<PostgresSignals> {
    const s = new PostgresSignals(sql, logger);
    let listening = 0;
    const relisten = () => {
      // The first acknowledgement of each channel is the start; later ones follow a reconnect,
      // across which notifications were lost: look for work now rather than at the next poll.
      if (++listening > 2) {
        s.logger.info("replica signals reconnected");
        s.work.call();
      }
    };
    s.subscriptions.push(await sql.listen(WORK_CHANNEL, (payload) => payload !== s.id && s.work.call(), relisten));
    s.subscriptions.push(
      await sql.listen(
        JOBS_CHANNEL,
        (payload) => {
          const space = payload.indexOf(" ");
          if (space > 0 && payload.slice(0, space) !== s.id) s.jobs.call(payload.slice(space + 1));
        },
        relisten,
      ),
    );
    return s;
  }

  workQueued(): void {
    this.work.call();
    this.sendWork();
  }

  /** One work NOTIFY in flight; signals meanwhile become one more after it. */
  private sendWork(): void {
    if (this.workSending) {
      this.workAgain = true;
      return;
    }
    this.workSending = this.send(WORK_CHANNEL, this.id).finally(() => {
      this.workSending = null;
      if (this.workAgain && !this.closed) {
        this.workAgain = false;
        this.sendWork();
      }
    });
  }

  onWork(listener: () => void): () => void {
    return this.work.add(listener);
  }

  jobChanged(jobId: string): void {
    this.jobs.call(jobId);
    void this.send(JOBS_CHANNEL, `${this.id} ${jobId}`);
  }

  onJobChanged(listener: (jobId: string) => void): () => void {
    return this.jobs.add(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.work.clear();
    this.jobs.clear();
    await this.workSending;
    await Promise.allSettled(this.subscriptions.map((s) => s.unlisten()));
  }

  /** A lost NOTIFY only delays the others (they poll): it is logged, never thrown. */
  private async send(channel: string, payload: string): Promise<void> {
    if (this.closed) return;
    try {
      await this.sql.notify(channel, payload);
    } catch (err) {
      this.logger.warn("replica signal not sent (the others find the change at their next poll)", { channel, error: String(err) });
    }
  }
}
