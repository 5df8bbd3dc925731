/**
 * Transactions of the SQLite job store: `BEGIN IMMEDIATE ... COMMIT` on the one connection,
 * one at a time under an in-process async lock.
 *
 * Why not drizzle's `db.transaction(async ...)`: its bun-sqlite driver runs the callback
 * synchronously and commits when the callback returns its promise, i.e. at the first `await`;
 * a throw after that leaves the earlier writes in place. Here the COMMIT waits for the whole
 * callback, and a throw anywhere rolls everything back.
 *
 * A callback that does not return a promise runs from BEGIN to COMMIT without yielding (when the
 * lock is free, without yielding at all), so nothing else on the thread can slip a statement
 * into it. A callback that awaits must await database work only: while it waits, other code
 * on the thread may run, and a statement it issues on the same connection outside this lock
 * would join the open transaction (a nested `db.transaction` would fail loudly instead).
 * That is why every write to the store's tables goes through the store.
 */
import type { Database, Statement } from "bun:sqlite";

export class SqliteTransactor {
  private locked = false;
  private readonly waiters: (() => void)[] = [];
  private readonly begin: Statement;
  private readonly commit: Statement;
  private readonly rollback: Statement;

  constructor(private readonly sqlite: Database) {
    this.begin = sqlite.prepare("BEGIN IMMEDIATE");
    this.commit = sqlite.prepare("COMMIT");
    this.rollback = sqlite.prepare("ROLLBACK");
  }

  /** Runs `fn` in one write transaction: all its writes commit together, or none (it threw). */
  async write<T>(fn: () => T | Promise<T>): Promise<T> {
    if (this.locked) await this.acquire();
    else this.locked = true;
    try {
      this.begin.run();
      try {
        const out = fn();
        const value = out instanceof Promise ? await out : out;
        this.commit.run();
        return value;
      } catch (err) {
        if (this.sqlite.inTransaction) this.rollback.run();
        throw err;
      }
    } finally {
      this.release();
    }
  }

  /** Runs a read outside any transaction, but never in the middle of one of ours. */
  async read<T>(fn: () => T): Promise<T> {
    if (!this.locked) return fn();
    await this.acquire();
    try {
      return fn();
    } finally {
      this.release();
    }
  }

  /**
   * Runs `fn`, which may await statements, outside any transaction and while none of ours is
   * open: its statements can never join another caller's transaction (the repositories' reads
   * and single writes, src/adapters/database-sqlite.ts).
   */
  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (this.locked) await this.acquire();
    else this.locked = true;
    try {
      return await fn();
    } finally {
      this.release();
    }
  }

  private acquire(): Promise<void> {
    return new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** Hands the lock to the next waiter (it stays locked), or frees it. */
  private release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.locked = false;
  }
}
