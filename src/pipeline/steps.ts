/**
 * The steps of one page, as the hosted service runs them: base OCR -> optional refinement ->
 * bounding boxes; and the document-level structured extraction once every page is read.
 * Each step goes through the executor (adapters/router.ts), which owns limits, retries and
 * fallback between the step's routes.
 */
import type { ModelDefinition, PageOutput, PageRequest, PageSource, StructuredInput, TokenUsage, PerPageEntry, StepExecutor } from "../ports/model";
import type { Logger } from "../lib/logger";

/** A page's outcome after every step; `route` names each route used, e.g. "gemini:flash+refine:openai:backup". */
export type PageStepsResult = PageOutput;

const add = (a: TokenUsage | undefined, b: TokenUsage | undefined): TokenUsage | undefined =>
  !a ? b : !b ? a : { inputTokens: a.inputTokens + b.inputTokens, outputTokens: a.outputTokens + b.outputTokens };

export async function runPageSteps(
  model: ModelDefinition,
  executor: StepExecutor,
  page: PageSource,
  request: PageRequest,
  ctx: { jobId: string; logger: Logger; signal?: AbortSignal },
): Promise<PageStepsResult> {
  const where = { jobId: ctx.jobId, page: page.pageNumber, signal: ctx.signal, prepare: (r: { prepare?(p: PageSource): Promise<void> }) => r.prepare?.(page) ?? Promise.resolve() };
  const base = await executor.run("ocr", model.routes, (route, signal) => route.readPage(page, request, signal), where);
  const out: PageStepsResult = {
    markdown: base.value.markdown,
    confidence: base.value.confidence,
    width: base.value.width,
    height: base.value.height,
    blocks: request.extractBoundingBoxes ? base.value.blocks : undefined,
    route: base.value.route,
    usage: base.value.usage,
  };

  const refine = (model.refineRoutes ?? []).filter((r) => r.refinePage);
  if (refine.length > 0) {
    const refined = await executor.run("refine", refine, (route, signal) => route.refinePage!(page, out.markdown, request, signal), where);
    out.markdown = refined.value.markdown;
    out.route += `+refine:${refined.value.route}`;
    out.usage = add(out.usage, refined.value.usage);
    // A refined page was read by a model, not taken from a text layer.
    out.confidence = undefined;
  }

  const boxRoutes = (model.boxRoutes ?? []).filter((r) => r.pageBlocks);
  if (request.extractBoundingBoxes && boxRoutes.length > 0) {
    const boxes = await executor.run("boxes", boxRoutes, (route, signal) => route.pageBlocks!(page, request, signal), where);
    out.blocks = boxes.value.blocks;
    // Boxes are in the pixels of the image the box route saw: report that size.
    out.width = boxes.value.width;
    out.height = boxes.value.height;
    out.route += `+boxes:${boxes.value.route}`;
    out.usage = add(out.usage, boxes.value.usage);
  }
  return out;
}

export type { PerPageEntry } from "../ports/model";

/**
 * per_page_structured: the structured step once per page (the executor's limits apply to each
 * call). A page whose extraction fails keeps its reason; when every page fails, so does the step.
 */
export async function runPerPageStructuredStep(
  model: ModelDefinition,
  executor: StepExecutor,
  input: StructuredInput,
  ctx: { jobId: string; signal?: AbortSignal },
): Promise<{ entries: PerPageEntry[]; usage?: TokenUsage }> {
  let usage: TokenUsage | undefined;
  let firstError: unknown = null;
  const entries = await Promise.all(
    input.pages.map(async (page): Promise<PerPageEntry> => {
      try {
        const out = await runStructuredStep(model, executor, { ...input, pages: [page] }, ctx);
        usage = add(usage, out.usage);
        return { page: page.pageNumber, value: out.value };
      } catch (err) {
        firstError ??= err;
        return { page: page.pageNumber, error: err instanceof Error ? err.message : String(err) };
      }
    }),
  );
  if (entries.every((e) => "error" in e)) throw firstError;
  return { entries, usage };
}

/** The structured step: the whole document's markdown to one object valid against the schema. */
export async function runStructuredStep(
  model: ModelDefinition,
  executor: StepExecutor,
  input: StructuredInput,
  ctx: { jobId: string; signal?: AbortSignal },
) {
  const routes = (model.structuredRoutes ?? []).filter((r) => r.extractStructured);
  const res = await executor.run("structured", routes, (route, signal) => route.extractStructured!(input, signal), { jobId: ctx.jobId, signal: ctx.signal });
  return res.value;
}
