/**
 * The worker loop: splits queued jobs into pages, then reads pages through their model's
 * routes, at most `concurrency` at a time. Pages are the unit of work and of failure: a page
 * that fails is recorded with its reason and the job goes on.
 */
import { hostname } from "node:os";
import type { JobStore, ClaimedPage, ClaimedJob, ExtractionOutcome } from "../ports/job-store";
import type { StoragePort } from "../ports/storage";
import { isObjectFormat, RouteError, StepFailedError, type ModelCatalog, type PageRequest } from "../ports/model";
import { runPageSteps, runPerPageStructuredStep, runStructuredStep } from "./steps";
import { withFields, type Logger } from "../lib/logger";
import { FetchError } from "../lib/url-fetch";
import { IngestError, sniffDocumentType, type DocumentType } from "./ingest";
import { DocumentError, openDocument, type DocumentLimits, type OpenedDocument } from "./document";

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
  /** Metrics hooks. */
  observer?: RunnerObserver;
}

export interface RunnerObserver {
  pageStarted(): void;
  /** released: given back unfinished at shutdown, for the next process to take. */
  pageEnded(outcome: "completed" | "failed" | "released", seconds: number): void;
}

export const sourceKey = (jobId: string) => `jobs/${jobId}/source`;

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

export class PipelineRunner {
  readonly owner = makeOwnerId();
  private running = false;
  private inFlight = new Set<Promise<void>>();
  private wakeUp: (() => void) | null = null;
  private docs = new Map<string, Promise<OpenedDocument>>();
  private loopDone: Promise<void> | null = null;
  /** Work this process holds a lease on, so that shutdown can give back what did not finish. */
  private pagesHeld = new Map<string, { page: ClaimedPage; started: number }>();
  private splitsHeld = new Set<string>();
  private extractionsHeld = new Set<string>();
  private pagesNext = false;
  private wokenWhileBusy = false;
  private stopped = false;

  constructor(private readonly o: RunnerOptions) {}

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const reclaimed = await this.o.store.reclaimLeases((owner) => isOwnerAlive(owner, this.owner));
    if (reclaimed > 0) this.o.logger.info("reclaimed leases left by a previous process", { count: reclaimed });
    for (const job of await this.o.store.jobsAwaitingFinish()) void this.finish(job.id, job.model, job.format);
    this.loopDone = this.loop();
  }

  /** Pages being read right now. */
  get pagesInFlight(): number {
    return this.pagesHeld.size;
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
    this.stopped = true;
    const released = { pages: 0, jobs: 0, extractions: 0 };
    for (const { page, started } of this.pagesHeld.values()) {
      await this.o.store.releasePage(page.pageId, this.owner);
      this.o.observer?.pageEnded("released", (performance.now() - started) / 1000);
      released.pages++;
    }
    for (const jobId of this.splitsHeld) if (await this.o.store.releaseJob(jobId, this.owner)) released.jobs++;
    for (const jobId of this.extractionsHeld) if (await this.o.store.releaseExtraction(jobId, this.owner)) released.extractions++;
    this.pagesHeld.clear();
    this.splitsHeld.clear();
    this.extractionsHeld.clear();
    if (released.pages + released.jobs + released.extractions > 0) this.o.logger.info("released unfinished work for the next start", released);
    for (const doc of this.docs.values()) void doc.then((d) => d.close()).catch(() => {});
    this.docs.clear();
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
          const timer = setTimeout(resolve, 500);
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
   */
  /** The work started (wrapped: awaiting a bare promise here would wait for the work itself). */
  private async takeWork(): Promise<{ work: Promise<void> } | null> {
    const maySplit = this.splitsHeld.size < Math.max(1, Math.floor(this.o.concurrency / 2));
    const pagesFirst = this.pagesNext || !maySplit;
    this.pagesNext = !this.pagesNext;
    if (pagesFirst) {
      const page = await this.o.store.claimNextPage(this.owner, this.o.leaseMs);
      if (page) return { work: this.processPage(page) };
    }
    if (maySplit) {
      const job = await this.o.store.claimJobToSplit(this.owner, this.o.leaseMs);
      if (job) return { work: this.split(job) };
    }
    if (!pagesFirst) {
      const page = await this.o.store.claimNextPage(this.owner, this.o.leaseMs);
      if (page) return { work: this.processPage(page) };
    }
    return null;
  }

  private async split(job: ClaimedJob): Promise<void> {
    const log = withFields(this.o.logger, { job_id: job.id, request_id: job.requestId ?? undefined });
    this.splitsHeld.add(job.id);
    try {
      let bytes = await this.o.storage.get(sourceKey(job.id));
      if (!bytes && job.source === "url" && job.sourceUrl) {
        bytes = await this.o.fetchDocument(job.sourceUrl);
        await this.o.storage.put(sourceKey(job.id), bytes);
      }
      if (!bytes) throw new IngestError("The uploaded file is missing; upload the document again.");
      if (bytes.length > this.o.limits.maxFileBytes) {
        throw new IngestError(`The file is ${bytes.length} bytes; this server accepts at most ${this.o.limits.maxFileBytes}.`);
      }
      const type = sniffDocumentType(bytes);
      const doc = await this.openDoc(job.id, bytes, type);
      if (doc.pageCount === 0) throw new DocumentError("The document has no pages.");
      if (this.stopped) return;
      if (!(await this.o.store.pagesReady(job.id, this.owner, doc.pageCount, type, bytes.length))) {
        this.dropDoc(job.id);
        // Deleted while we were fetching or opening it: leave no file behind.
        if (!(await this.o.store.jobOptions(job.id))) await this.o.storage.deletePrefix(`jobs/${job.id}`);
        return;
      }
      log.info("job split into pages", { pages: doc.pageCount, type, bytes: bytes.length });
    } catch (err) {
      this.dropDoc(job.id);
      if (this.stopped) return;
      const message = userMessage(err);
      if (!(err instanceof IngestError || err instanceof DocumentError || err instanceof FetchError)) {
        log.error("job split failed", { error: String(err) });
      } else log.info("job failed", { reason: "unreadable document" });
      if (await this.o.store.failJob(job.id, this.owner, message)) this.o.onJobFinished?.(job.id);
    } finally {
      this.splitsHeld.delete(job.id);
    }
  }

  private openDoc(jobId: string, bytes: Uint8Array, type: DocumentType): Promise<OpenedDocument> {
    const opened = openDocument(bytes, type, this.o.limits);
    this.docs.set(jobId, opened);
    opened.catch(() => this.docs.delete(jobId));
    return opened;
  }

  private async docFor(jobId: string, type: string | null): Promise<OpenedDocument> {
    const cached = this.docs.get(jobId);
    if (cached) return cached;
    const bytes = await this.o.storage.get(sourceKey(jobId));
    if (!bytes) throw new DocumentError("The uploaded file is missing from storage.");
    return this.openDoc(jobId, bytes, (type ?? sniffDocumentType(bytes)) as DocumentType);
  }

  private dropDoc(jobId: string): void {
    const doc = this.docs.get(jobId);
    this.docs.delete(jobId);
    void doc?.then((d) => d.close()).catch(() => {});
  }

  private async processPage(page: ClaimedPage): Promise<void> {
    const { store } = this.o;
    const started = performance.now();
    this.pagesHeld.set(page.pageId, { page, started });
    this.o.observer?.pageStarted();
    const renew = setInterval(() => {
      if (!this.stopped) void store.renewPageLease(page.pageId, this.owner, this.o.leaseMs).catch((err) => this.o.logger.error("renewing a page lease failed", { error: String(err) }));
    }, Math.max(1000, this.o.leaseMs / 3));
    let options: Awaited<ReturnType<JobStore["jobOptions"]>> = null;
    let outcome: "completed" | "failed" = "completed";
    let logger = this.o.logger;
    try {
      options = await store.jobOptions(page.jobId);
      logger = withFields(this.o.logger, { job_id: page.jobId, request_id: options?.requestId ?? undefined });
      if (!options) return; // deleted while queued
      const model = this.o.models.get(options.model);
      if (!model) throw new DocumentError(`The model "${options.model}" is no longer configured on this server.`);
      const doc = await this.docFor(page.jobId, options.detectedType);
      const request: PageRequest = {
        format: options.format,
        extractBoundingBoxes: options.extractBoundingBoxes,
        instructions: options.instructions ?? undefined,
        schema: options.schemaJson ? (JSON.parse(options.schemaJson) as Record<string, unknown>) : undefined,
      };
      const output = await runPageSteps(model, this.o.models.executor, doc.page(page.pageNumber), request, { jobId: page.jobId, logger });
      if (this.stopped) return; // released at shutdown: the next process reads it again
      await store.completePage(page, this.owner, {
        result: output.markdown,
        confidence: output.confidence ?? null,
        width: output.width,
        height: output.height,
        boundingBoxesJson: output.blocks ? JSON.stringify(output.blocks) : null,
        route: output.route,
        inputTokens: output.usage?.inputTokens ?? null,
        outputTokens: output.usage?.outputTokens ?? null,
      });
      logger.debug("page done", { page: page.pageNumber, route: output.route, ms: Math.round(performance.now() - started) });
    } catch (err) {
      if (this.stopped) return;
      outcome = "failed";
      logger.warn("page failed", { page: page.pageNumber, error: String(err) });
      await store.failPage(page, this.owner, userMessage(err));
    } finally {
      clearInterval(renew);
      if (this.pagesHeld.delete(page.pageId) && options) this.o.observer?.pageEnded(outcome, (performance.now() - started) / 1000);
    }
    if (options && !this.stopped) await this.finish(page.jobId, options.model, options.format, options.requestId);
  }

  /**
   * Ends a job whose pages are all done. Markdown jobs finish at once; structured jobs first run
   * the document-level extraction (one process, under a lease), then finish with its object or
   * its reason.
   */
  private async finish(jobId: string, modelName: string, format: string, requestId?: string | null): Promise<void> {
    const { store } = this.o;
    const logger = withFields(this.o.logger, { job_id: jobId, request_id: requestId ?? undefined });
    const model = this.o.models.get(modelName);
    const creditsPerPage = model?.creditsPerPage ?? 0;
    if (!isObjectFormat(format)) {
      if (await store.finishJobIfDone(jobId, creditsPerPage)) {
        this.dropDoc(jobId);
        logger.info("job finished");
        this.o.onJobFinished?.(jobId);
      }
      return;
    }
    if (!(await store.claimExtraction(jobId, this.owner, this.o.leaseMs))) return;
    this.extractionsHeld.add(jobId);
    this.dropDoc(jobId);
    const renew = setInterval(() => {
      if (!this.stopped) void store.claimExtraction(jobId, this.owner, this.o.leaseMs).catch((err) => logger.error("renewing an extraction lease failed", { error: String(err) }));
    }, Math.max(1000, this.o.leaseMs / 3));
    let outcome: ExtractionOutcome;
    try {
      const options = await store.jobOptions(jobId);
      const pages = await store.pageTexts(jobId);
      if (!options) throw new DocumentError("The job was deleted.");
      if (!model) throw new DocumentError(`The model "${modelName}" is no longer configured on this server.`);
      if (pages.length === 0) throw new DocumentError("No page could be read, so nothing was extracted.");
      const schema = options.schemaJson ? (JSON.parse(options.schemaJson) as Record<string, unknown>) : undefined;
      const input = { pages, schema, instructions: options.instructions ?? undefined };
      // per_page_structured stores one entry per page ({page, value} or {page, error}); structured one object.
      const out =
        format === "per_page_structured"
          ? await runPerPageStructuredStep(model, this.o.models.executor, input, { jobId }).then((r) => ({ value: r.entries, usage: r.usage }))
          : await runStructuredStep(model, this.o.models.executor, input, { jobId });
      outcome = { resultJson: JSON.stringify(out.value), inputTokens: out.usage?.inputTokens ?? null, outputTokens: out.usage?.outputTokens ?? null };
    } catch (err) {
      logger.warn("structured extraction failed", { error: String(err) });
      outcome = { error: userMessage(err) };
    } finally {
      clearInterval(renew);
    }
    if (this.stopped) return;
    this.extractionsHeld.delete(jobId);
    if (await store.finishExtraction(jobId, this.owner, outcome, creditsPerPage)) {
      logger.info("job finished");
      this.o.onJobFinished?.(jobId);
    }
  }
}

function userMessage(err: unknown): string {
  // Model failures say which route failed and why (HTTP status, timeout, the validator's message).
  if (err instanceof RouteError || err instanceof StepFailedError) return err.message;
  if (err instanceof IngestError || err instanceof DocumentError || err instanceof FetchError) return err.message;
  if (err instanceof Error && err.name === "PdfError") return err.message;
  return "Processing failed because of an internal error; try again, and contact the operator if it persists.";
}
