/** Signals within one process (SQLite, one server): a signal is a call to this process's listeners. */
import { Listeners, type ReplicaSignals } from "../ports/signals";

export class LocalSignals implements ReplicaSignals {
  private readonly work = new Listeners<[]>();
  private readonly jobs = new Listeners<[string]>();

  workQueued(): void {
    this.work.call();
  }

  onWork(listener: () => void): () => void {
    return this.work.add(listener);
  }

  jobChanged(jobId: string): void {
    this.jobs.call(jobId);
  }

  onJobChanged(listener: (jobId: string) => void): () => void {
    return this.jobs.add(listener);
  }

  /** Nothing is heard after close (a job ending late during shutdown wakes nobody). */
  async close(): Promise<void> {
    this.work.clear();
    this.jobs.clear();
  }
}
