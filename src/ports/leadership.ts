/**
 * One leader among the replicas for the work that must run once, not once per replica: the
 * retention passes (jobs and audit), the purge of abandoned uploads, the sweep of orphaned files
 * and of jobs whose pages are all done but which were never finished. Every replica keeps its
 * timers; each pass asks whether this replica leads, and only the leader runs it. A replica that
 * dies loses the lead with its connection, and another takes it at its next pass.
 *
 * One process (SQLite) is always the leader (src/adapters/leadership-local.ts); with PostgreSQL
 * the leader holds a session advisory lock on a connection of its own
 * (src/adapters/leadership-postgres.ts).
 */
export interface Leadership {
  /** Runs `pass` when this replica leads (taking the lead if nobody holds it); null when another replica leads. */
  runIfLeader<T>(pass: () => Promise<T>): Promise<T | null>;
  /** Gives the lead up (shutdown), so another replica takes it at its next pass. */
  close(): Promise<void>;
}
