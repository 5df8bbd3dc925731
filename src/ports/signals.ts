/**
 * Signals between replicas: hints that something changed, so the others look now instead of at
 * their next poll. A signal is never the only way work or an event is found: the runner polls
 * for work, and the dashboard's event stream polls for job changes, so a signal that is lost
 * (a dropped connection, a replica starting) only delays.
 *
 * In one process (SQLite) the signals are function calls (src/adapters/signals-local.ts); with
 * PostgreSQL they are LISTEN/NOTIFY on the shared database (src/adapters/signals-postgres.ts).
 * Every signal also reaches the listeners of the replica that sends it.
 */
export interface ReplicaSignals {
  /** Work was queued (a job to split, pages to read, leases given back): every replica's workers look now. */
  workQueued(): void;
  onWork(listener: () => void): () => void;
  /** A job changed (it ended, for now): every replica's event streams read it now. */
  jobChanged(jobId: string): void;
  onJobChanged(listener: (jobId: string) => void): () => void;
  close(): Promise<void>;
}

/** Listeners of one kind of signal; a throwing listener does not stop the others. */
export class Listeners<A extends unknown[]> {
  private readonly set = new Set<(...args: A) => void>();

  add(listener: (...args: A) => void): () => void {
    this.set.add(listener);
    return () => void this.set.delete(listener);
  }

  clear(): void {
    this.set.clear();
  }

  call(...args: A): void {
    for (const l of this.set) {
      try {
        l(...args);
      } catch {
        // A listener's failure is its own (each logs what it does); the others still hear.
      }
    }
  }
}
