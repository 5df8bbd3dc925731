/**
 * Splitting: a claimed job's file is fetched (URL jobs) or read from storage, checked against
 * the limits, opened, and its pages are written for the page workers. A document that cannot
 * be read ends the job failed with a reason the sender can act on.
 */
import type { ClaimedJob } from "../../ports/job-store";
import { withFields } from "../../lib/logger";
import { IngestError, sniffDocumentType } from "../ingest";
import { DocumentError } from "../document";
import { sourceKey } from "./documents";
import { isDocumentProblem, userMessage } from "./failure";
import type { WorkContext } from "./context";

export async function splitJob(ctx: WorkContext, job: ClaimedJob): Promise<void> {
  const { store, storage, leases, documents, limits } = ctx;
  const log = withFields(ctx.logger, { job_id: job.id, request_id: job.requestId ?? undefined });
  leases.holdSplit(job.id);
  try {
    let bytes = await storage.get(sourceKey(job.id));
    if (!bytes && job.source === "url" && job.sourceUrl) {
      bytes = await ctx.fetchDocument(job.sourceUrl);
      await storage.put(sourceKey(job.id), bytes);
    }
    if (!bytes) throw new IngestError("The uploaded file is missing; upload the document again.");
    if (bytes.length > limits.maxFileBytes) {
      throw new IngestError(`The file is ${bytes.length} bytes; this server accepts at most ${limits.maxFileBytes}.`);
    }
    const type = sniffDocumentType(bytes);
    const doc = await documents.open(job.id, bytes, type);
    if (doc.pageCount === 0) throw new DocumentError("The document has no pages.");
    if (leases.stopped) return;
    if (!(await store.pagesReady(job.id, leases.owner, doc.pageCount, type, bytes.length))) {
      documents.close(job.id);
      // Deleted while we were fetching or opening it: leave no file behind.
      if (!(await store.jobOptions(job.id))) await storage.deletePrefix(`jobs/${job.id}`);
      return;
    }
    ctx.onWorkQueued?.();
    log.info("job split into pages", { pages: doc.pageCount, type, bytes: bytes.length });
  } catch (err) {
    documents.close(job.id);
    if (leases.stopped) return;
    if (!isDocumentProblem(err)) log.error("job split failed", { error: String(err) });
    else log.info("job failed", { reason: "unreadable document" });
    if (await store.failJob(job.id, leases.owner, userMessage(err))) ctx.onJobFinished?.(job.id);
  } finally {
    leases.dropSplit(job.id);
  }
}
