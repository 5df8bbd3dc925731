/**
 * Page processing: one claimed page is read through its model's routes (base OCR, optional
 * refinement, boxes) and its outcome written; a page that fails keeps its reason and the job
 * goes on. The last page of a job to end finishes the job.
 */
import type { ClaimedPage, JobOptions } from "../../ports/job-store";
import type { PageRequest } from "../../ports/model";
import { withFields } from "../../lib/logger";
import { DocumentError } from "../document";
import { runPageSteps } from "../steps";
import { userMessage } from "./failure";
import { finishJob } from "./extraction";
import type { WorkContext } from "./context";

export async function processPage(ctx: WorkContext, page: ClaimedPage): Promise<void> {
  const { store, leases } = ctx;
  const started = performance.now();
  leases.holdPage(page, started);
  ctx.observer?.pageStarted();
  let options: JobOptions | null = null;
  let outcome: "completed" | "failed" = "completed";
  let logger = ctx.logger;
  try {
    options = await store.jobOptions(page.jobId);
    logger = withFields(ctx.logger, { job_id: page.jobId, request_id: options?.requestId ?? undefined });
    if (!options) return; // deleted while queued
    const model = ctx.models.get(options.model);
    if (!model) throw new DocumentError(`The model "${options.model}" is no longer configured on this server.`);
    const doc = await ctx.documents.forJob(page.jobId, options.detectedType);
    const request: PageRequest = {
      format: options.format,
      extractBoundingBoxes: options.extractBoundingBoxes,
      instructions: options.instructions ?? undefined,
      schema: options.schemaJson ? (JSON.parse(options.schemaJson) as Record<string, unknown>) : undefined,
    };
    const output = await runPageSteps(model, ctx.models.executor, doc.page(page.pageNumber), request, { jobId: page.jobId, logger });
    if (leases.stopped) return; // released at shutdown: the next process reads it again
    await store.completePage(page, leases.owner, {
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
    if (leases.stopped) return;
    outcome = "failed";
    logger.warn("page failed", { page: page.pageNumber, error: String(err) });
    await store.failPage(page, leases.owner, userMessage(err));
  } finally {
    if (leases.dropPage(page.pageId) && options) ctx.observer?.pageEnded(outcome, (performance.now() - started) / 1000);
  }
  if (options && !leases.stopped) await finishJob(ctx, { id: page.jobId, model: options.model, format: options.format, requestId: options.requestId });
}
