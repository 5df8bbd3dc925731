/**
 * The leader among replicas sharing a PostgreSQL: whoever holds a session-level advisory lock on
 * a connection it keeps for that alone. The lock lives exactly as long as that session, so a
 * replica that dies (or whose connection is cut) loses it without anyone having to notice, and
 * the next pass of another replica takes it (`pg_try_advisory_lock` never waits).
 *
 * Before each pass the holder asks its connection whether the lock is still its own (a query on
 * that very session): a dropped connection, a terminated backend or a restarted server shows up
 * there, and the pass is skipped; a new connection is opened at the following pass. A pass runs
 * on the pool, not on the lock's connection: a leader that loses its session in the middle of a
 * pass finishes that pass while another may start the next, so passes must be safe to run twice
 * (they are: each purge or sweep is one store transaction that checks the row's state).
 *
 * The connection is closed, never released to the pool: a released connection would carry the
 * lock into whatever borrows it next.
 */
import type { ReservedSQL, SQL } from "bun";
import type { Logger } from "../lib/logger";
import type { Leadership } from "../ports/leadership";

/** The advisory lock key of the leader ("LEAD" in ASCII), apart from the migrations' key. */
export const LEADER_LOCK = 0x4c454144;

export class PostgresLeadership implements Leadership {
  private conn: ReservedSQL | null = null;
  private held = false;
  private closed = false;
  /** Checks run one at a time (two timers may ask at once). */
  private turn: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly sql: SQL,
    private readonly logger: Logger,
  ) {}

  async runIfLeader<T>(pass: () => Promise<T>): Promise<T | null> {
    const check = this.turn.then(() => this.lead());
    this.turn = check.catch(() => {});
    return (await check) ? pass() : null;
  }

  /** The server process holding the lock's session (tests cut it). Null when this replica does not lead. */
  async backendPid(): Promise<number | null> {
    if (!this.held || !this.conn) return null;
    const [r] = await this.conn`SELECT pg_backend_pid() AS pid`;
    return Number(r.pid);
  }

  /**
   * Unlocks before closing: the server frees a closed session's locks only once its backend has
   * exited, which may come after another replica's next pass (measured under load: a handover
   * round found nobody leading).
   */
  async close(): Promise<void> {
    this.closed = true;
    await this.turn;
    const conn = this.conn;
    if (this.held && conn) await conn`SELECT pg_advisory_unlock(${LEADER_LOCK})`.catch(() => {});
    await this.drop();
  }

  /** Whether this replica leads now: confirms the lock on its own session, or tries to take it. */
  private async lead(): Promise<boolean> {
    if (this.closed) return false;
    try {
      this.conn ??= await this.sql.reserve();
      const [r] = await this.conn`
        SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted
                         AND ((classid::int8 << 32) | objid::int8) = ${LEADER_LOCK}) AS mine`;
      if (r.mine) return true;
      const [t] = await this.conn`SELECT pg_try_advisory_lock(${LEADER_LOCK}) AS ok`;
      if (t.ok && !this.held) this.logger.info("this replica leads (retention and sweeps run here)");
      this.held = Boolean(t.ok);
      return this.held;
    } catch (err) {
      // The session is gone, and the lock with it: skip this pass; the next one reconnects.
      if (this.held) this.logger.warn("this replica lost the lead (its lock connection failed)", { error: String(err) });
      await this.drop();
      return false;
    }
  }

  private async drop(): Promise<void> {
    const conn = this.conn;
    this.conn = null;
    this.held = false;
    await conn?.close().catch(() => {});
  }
}
