/**
 * Finishing a job whose pages are all done. Markdown jobs finish at once; structured jobs first
 * run the document-level extraction (one process, under a renewed lease) over the pages' text,
 * then finish with its object or its reason.
 */
import type { ExtractionOutcome } from "../../ports/job-store";
import { isObjectFormat } from "../../ports/model";
import { withFields } from "../../lib/logger";
import { DocumentError } from "../document";
import { runPerPageStructuredStep, runStructuredStep } from "../steps";
import { userMessage } from "./failure";
import type { WorkContext } from "./context";

export interface JobToFinish {
  id: string;
  model: string;
  format: string;
  requestId?: string | null;
}

/**
 * Finishes the job unless this process is finishing it already: the periodic sweep of jobs left
 * unfinished may meet the finish its last page started, and both would hold the same extraction
 * lease (one owner) and run the extraction twice.
 */
export async function finishJob(ctx: WorkContext, job: JobToFinish): Promise<void> {
  if (!ctx.leases.startFinishing(job.id)) return;
  try {
    await finish(ctx, job);
  } finally {
    ctx.leases.endFinishing(job.id);
  }
}

async function finish(ctx: WorkContext, job: JobToFinish): Promise<void> {
  const { store, leases } = ctx;
  const jobId = job.id;
  const logger = withFields(ctx.logger, { job_id: jobId, request_id: job.requestId ?? undefined });
  const model = ctx.models.get(job.model);
  const creditsPerPage = model?.creditsPerPage ?? 0;
  if (!isObjectFormat(job.format)) {
    if (await store.finishJobIfDone(jobId, creditsPerPage)) {
      ctx.documents.close(jobId);
      logger.info("job finished");
      ctx.onJobFinished?.(jobId);
    }
    return;
  }
  if (!(await store.claimExtraction(jobId, leases.owner, ctx.leaseMs))) return;
  leases.holdExtraction(jobId);
  ctx.documents.close(jobId);
  let outcome: ExtractionOutcome;
  try {
    const options = await store.jobOptions(jobId);
    const pages = await store.pageTexts(jobId);
    if (!options) throw new DocumentError("The job was deleted.");
    if (!model) throw new DocumentError(`The model "${job.model}" is no longer configured on this server.`);
    if (pages.length === 0) throw new DocumentError("No page could be read, so nothing was extracted.");
    const schema = options.schemaJson ? (JSON.parse(options.schemaJson) as Record<string, unknown>) : undefined;
    const input = { pages, schema, instructions: options.instructions ?? undefined };
    // per_page_structured stores one entry per page ({page, value} or {page, error}); structured one object.
    const out =
      job.format === "per_page_structured"
        ? await runPerPageStructuredStep(model, ctx.models.executor, input, { jobId }).then((r) => ({ value: r.entries, usage: r.usage }))
        : await runStructuredStep(model, ctx.models.executor, input, { jobId });
    outcome = { resultJson: JSON.stringify(out.value), inputTokens: out.usage?.inputTokens ?? null, outputTokens: out.usage?.outputTokens ?? null };
  } catch (err) {
    logger.warn("structured extraction failed", { error: String(err) });
    outcome = { error: userMessage(err) };
  } finally {
    leases.stopRenewingExtraction(jobId);
  }
  // Released at shutdown: the next process runs the extraction again.
  if (leases.stopped) return;
  leases.dropExtraction(jobId);
  if (await store.finishExtraction(jobId, leases.owner, outcome, creditsPerPage)) {
    logger.info("job finished");
    ctx.onJobFinished?.(jobId);
  }
}
