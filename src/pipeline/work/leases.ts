/**
 * Lease keeping: what this process holds a lease on (pages, jobs being split, extractions), the
 * timers that renew those leases while the work runs, and giving back what did not finish at
 * shutdown so the next process takes it at once instead of after the lease expires.
 */
import { hostname } from "node:os";
import type { ClaimedPage, JobStore } from "../../ports/job-store";
import type { Logger } from "../../lib/logger";

/** Lease owners name host, pid and start so a restart can tell a dead owner from a live one. */
export function makeOwnerId(): string {
  return `${hostname()}:${process.pid}:${Date.now().toString(36)}`;
}

export function isOwnerAlive(owner: string, self: string): boolean {
  if (owner === self) return true;
  const [host, pid] = owner.split(":");
  if (host !== hostname()) return true; // another machine: wait for its lease to expire
  try {
    process.kill(Number(pid), 0);
    return Number(pid) !== process.pid; // our pid with another start time: a previous life of this process
  } catch {
    return false;
  }
}

/** A lease is renewed every third of its length (at most once a second), so two renewals can fail before it expires. */
export const renewalIntervalMs = (leaseMs: number) => Math.max(1000, leaseMs / 3);

export interface LeaseObserver {
  /** A page given back unfinished at shutdown, for the next process to take. */
  pageReleased(seconds: number): void;
}

export interface ReleasedWork {
  pages: number;
  jobs: number;
  extractions: number;
}

export class LeaseKeeper {
  readonly owner = makeOwnerId();
  private readonly pages = new Map<string, { page: ClaimedPage; started: number; stopRenewing: () => void }>();
  private readonly splits = new Map<string, () => void>();
  private readonly extractions = new Map<string, () => void>();
  private readonly finishing = new Set<string>();
  private stoppedFlag = false;

  constructor(private readonly o: { store: JobStore; leaseMs: number; logger: Logger; observer?: LeaseObserver }) {}

  /** After shutdown gave the leases back, nothing this process finishes late may be written. */
  get stopped(): boolean {
    return this.stoppedFlag;
  }

  get pagesHeld(): number {
    return this.pages.size;
  }

  get splitsHeld(): number {
    return this.splits.size;
  }

  /** Holds a claimed page and renews its lease until `dropPage`. */
  holdPage(page: ClaimedPage, started: number): void {
    const stopRenewing = this.renewEvery(() => this.o.store.renewPageLease(page.pageId, this.owner, this.o.leaseMs), "renewing a page lease failed", page.jobId);
    this.pages.set(page.pageId, { page, started, stopRenewing });
  }

  /** The page's work ended. False when shutdown gave it back first (its outcome is not this process's to report). */
  dropPage(pageId: string): boolean {
    const held = this.pages.get(pageId);
    if (!held) return false;
    held.stopRenewing();
    return this.pages.delete(pageId);
  }

  /**
   * A job being split, its lease renewed until `dropSplit`: a slow URL fetch or a large
   * document's open may outlast the lease, and another process would take the job too.
   */
  holdSplit(jobId: string): void {
    this.splits.set(jobId, this.renewEvery(() => this.o.store.renewJobLease(jobId, this.owner, this.o.leaseMs), "renewing a split's lease failed", jobId));
  }

  dropSplit(jobId: string): void {
    this.splits.get(jobId)?.();
    this.splits.delete(jobId);
  }

  /** A job this process starts finishing; false when it is finishing it already. */
  startFinishing(jobId: string): boolean {
    if (this.finishing.has(jobId)) return false;
    this.finishing.add(jobId);
    return true;
  }

  endFinishing(jobId: string): void {
    this.finishing.delete(jobId);
  }

  /** Holds a claimed extraction and renews its lease (claimExtraction by the holder renews). */
  holdExtraction(jobId: string): void {
    this.extractions.set(jobId, this.renewEvery(() => this.o.store.claimExtraction(jobId, this.owner, this.o.leaseMs), "renewing an extraction lease failed", jobId));
  }

  /** Stops renewing an extraction's lease; the job stays held until `dropExtraction` (its finish is written) or shutdown. */
  stopRenewingExtraction(jobId: string): void {
    this.extractions.get(jobId)?.();
  }

  dropExtraction(jobId: string): void {
    this.extractions.get(jobId)?.();
    this.extractions.delete(jobId);
  }

  /**
   * Shutdown: stops every renewal and gives back the leases of what is still held (pages to
   * pending, a split job to queued, an extraction to its pages stage). From here on `stopped`
   * is true and the work still running writes nothing.
   */
  async releaseAll(): Promise<ReleasedWork> {
    this.stoppedFlag = true;
    const { store } = this.o;
    const released: ReleasedWork = { pages: 0, jobs: 0, extractions: 0 };
    for (const { page, started, stopRenewing } of this.pages.values()) {
      stopRenewing();
      await store.releasePage(page.pageId, this.owner);
      this.o.observer?.pageReleased((performance.now() - started) / 1000);
      released.pages++;
    }
    for (const [jobId, stopRenewing] of this.splits) {
      stopRenewing();
      if (await store.releaseJob(jobId, this.owner)) released.jobs++;
    }
    for (const [jobId, stopRenewing] of this.extractions) {
      stopRenewing();
      if (await store.releaseExtraction(jobId, this.owner)) released.extractions++;
    }
    this.pages.clear();
    this.splits.clear();
    this.extractions.clear();
    return released;
  }

  private renewEvery(renew: () => Promise<unknown>, failure: string, jobId: string): () => void {
    const timer = setInterval(() => {
      if (!this.stoppedFlag) void renew().catch((err) => this.o.logger.error(failure, { job_id: jobId, error: String(err) }));
    }, renewalIntervalMs(this.o.leaseMs));
    return () => clearInterval(timer);
  }
}
