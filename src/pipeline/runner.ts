/**
 * The worker loop: takes work from the job store, at most `concurrency` at a time, and hands it
 * to the part that does it (src/pipeline/work/): splitting a queued job into pages, reading a
 * page, and (from the page that ends a job) finishing it with the structured extraction. Lease
 * keeping and the documents open in this process are shared by the parts.
 */
import type { JobStore } from "../ports/job-store";
import type { StoragePort } from "../ports/storage";
import type { ModelCatalog } from "../ports/model";
import type { Logger } from "../lib/logger";
import type { DocumentLimits } from "./document";
import type { RunnerObserver, WorkContext } from "./work/context";
import { LeaseKeeper, isOwnerAlive } from "./work/leases";
import { OpenDocuments } from "./work/documents";
import { splitJob } from "./work/split";
import { processPage } from "./work/pages";
import { finishJob } from "./work/extraction";

export { sourceKey } from "./work/documents";
export { makeOwnerId, isOwnerAlive } from "./work/leases";
export type { RunnerObserver } from "./work/context";

export interface RunnerOptions {
  store: JobStore;
  storage: StoragePort;
  models: ModelCatalog;
  limits: DocumentLimits & { maxFileBytes: number };
  concurrency: number;
  leaseMs: number;
  logger: Logger;
  /** Downloads a URL job's document (with the address guard). */
  fetchDocument: (url: string) => Promise<Uint8Array>;
  /** Called when a job ends (completed or failed); its webhook event is already queued with the change. */
  onJobFinished?: (jobId: string) => void;
  /**
   * Work this runner made for others: a job's pages written, or leases given back at shutdown
   * (the app signals every replica's workers with it).
   */
  onWorkQueued?: () => void;
  /** How long an idle runner sleeps before looking for work again (wake() cuts it short); 500 ms by default. */
  idlePollMs?: number;
  /** Metrics hooks. */
  observer?: RunnerObserver;
}

export class PipelineRunner {
  private readonly ctx: WorkContext;
  private running = false;
  private inFlight = new Set<Promise<void>>();
  private wakeUp: (() => void) | null = null;
  private loopDone: Promise<void> | null = null;
  private pagesNext = false;
  private wokenWhileBusy = false;

  constructor(private readonly o: RunnerOptions) {
    const leases = new LeaseKeeper({
      store: o.store,
      leaseMs: o.leaseMs,
      logger: o.logger,
      observer: o.observer && { pageReleased: (seconds) => o.observer!.pageEnded("released", seconds) },
    });
    this.ctx = { ...o, leases, documents: new OpenDocuments(o.storage, o.limits) };
  }

  get owner(): string {
    return this.ctx.leases.owner;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const reclaimed = await this.o.store.reclaimLeases((owner) => isOwnerAlive(owner, this.owner));
    if (reclaimed > 0) this.o.logger.info("reclaimed leases left by a previous process", { count: reclaimed });
    await this.finishStranded();
    this.loopDone = this.loop();
  }

  /**
   * Finishes jobs whose pages are all done but that were never finished (a process died between
   * a job's last page and its finish). At start, and in the leader's periodic pass (a replica
   * that died leaves them while the others run). Answers how many were found.
   */
  async finishStranded(): Promise<number> {
    const stranded = await this.o.store.jobsAwaitingFinish();
    for (const job of stranded) void finishJob(this.ctx, job);
    return stranded.length;
  }

  /** Pages being read right now. */
  get pagesInFlight(): number {
    return this.ctx.leases.pagesHeld;
  }

  /**
   * Stops taking work, lets pages in flight finish until the deadline, then gives back the
   * leases of what is still running (pages to pending, a split job to queued, an extraction to
   * its pages stage) so the next process takes them at once instead of after the lease expires.
   * Nothing this process does afterwards is written: a page that finishes late is dropped.
   */
  async stop(deadlineMs = 10_000): Promise<void> {
    this.running = false;
    this.wake();
    await this.loopDone;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([Promise.allSettled([...this.inFlight]), new Promise<void>((r) => (timer = setTimeout(r, deadlineMs)))]);
    clearTimeout(timer);
    const released = await this.ctx.leases.releaseAll();
    if (released.pages + released.jobs + released.extractions > 0) {
      this.o.logger.info("released unfinished work for the next start", { ...released });
      this.o.onWorkQueued?.();
    }
    this.ctx.documents.closeAll();
  }

  /** New work has arrived: look for it now rather than at the next poll. */
  wake(): void {
    if (this.wakeUp) this.wakeUp();
    // The loop is busy claiming (the store answers promises): it looks again instead of sleeping.
    else this.wokenWhileBusy = true;
  }

  private async loop(): Promise<void> {
    while (this.running) {
      this.wokenWhileBusy = false;
      let took = false;
      while (this.running && this.inFlight.size < this.o.concurrency) {
        const taken = await this.takeWork();
        if (!taken) break;
        const { work } = taken;
        took = true;
        const p = work.finally(() => {
          this.inFlight.delete(p);
          this.wake();
        });
        this.inFlight.add(p);
        // Let the work just taken start (send its page to a PDF worker) before claiming more:
        // claiming 32 pages back to back held the first render back by ~25 ms.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      if ((!took || this.inFlight.size >= this.o.concurrency) && !this.wokenWhileBusy) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.o.idlePollMs ?? 500);
          this.wakeUp = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wakeUp = null;
      }
    }
  }

  /**
   * Splitting and page work take turns, and splits hold at most half the slots: with a deep
   * queue of new jobs, always splitting first would leave the pages of split jobs waiting.
   * Answers the work started (wrapped: awaiting a bare promise here would wait for the work itself).
   */
  private async takeWork(): Promise<{ work: Promise<void> } | null> {
    const { store, leases } = this.ctx;
    const maySplit = leases.splitsHeld < Math.max(1, Math.floor(this.o.concurrency / 2));
    const pagesFirst = this.pagesNext || !maySplit;
    this.pagesNext = !this.pagesNext;
    if (pagesFirst) {
      const page = await store.claimNextPage(leases.owner, this.o.leaseMs);
      if (page) return { work: processPage(this.ctx, page) };
    }
    if (maySplit) {
      const job = await store.claimJobToSplit(leases.owner, this.o.leaseMs);
      if (job) return { work: splitJob(this.ctx, job) };
    }
    if (!pagesFirst) {
      const page = await store.claimNextPage(leases.owner, this.o.leaseMs);
      if (page) return { work: processPage(this.ctx, page) };
    }
    return null;
  }
}
