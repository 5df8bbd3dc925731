/**
 * Finishing jobs: the document-level structured extraction, against the real SQLite job store,
 * local storage, the offline engine for the pages and a loopback model server speaking the
 * OpenAI-compatible wire format for the extraction.
 */
import { afterAll, afterEach, beforeAll, expect, test } from "bun:test";
import { digitalPdf, SAMPLE_PAGES } from "../../helpers/fixtures";
import { smartHandler, startMockModel, stepOf, type MockModel } from "../../helpers/mock-models";
import { workHarness, type WorkHarness } from "../../helpers/work";
import { splitJob } from "../../../src/pipeline/work/split";
import { processPage } from "../../../src/pipeline/work/pages";
import { finishJob } from "../../../src/pipeline/work/extraction";

const SCHEMA = { type: "object", properties: { title: { type: "string" }, pages: { type: "integer" } }, required: ["title", "pages"], additionalProperties: false };
let model: MockModel;
let h: WorkHarness;
/** What the extraction answers; a test may replace it. */
let extract = smartHandler({ extract: (call) => ({ title: /Quarterly Report/.test(call.text) ? "Quarterly Report" : "?", pages: (call.text.match(/<page number=/g) ?? []).length }) });

beforeAll(async () => {
  model = await startMockModel("openai", (call) => extract(call));
});
afterAll(async () => model?.close());
afterEach(async () => h?.close());

const harness = () =>
  workHarness({
    modelConfig: {
      routes: { local: { provider: "openai", base_url: model.baseUrl, model: "test-vlm", max_concurrency: 2, timeout_seconds: 10 } },
      models: [{ name: "extractor", display_name: "Extractor", credits_per_page: 2, steps: { ocr: ["offline"], structured: ["local"] } }],
    },
  });

/** A structured job split and every page read, so it waits for its extraction. */
async function pagesRead(): Promise<string> {
  const id = await h.queueJob(await digitalPdf(SAMPLE_PAGES), { model: "extractor", format: "structured", schema: SCHEMA });
  await splitJob(h.ctx, await h.claimJob());
  const pages = await h.claimPages();
  // The first page ends without finishing the job; the last one runs the extraction.
  for (const page of pages) await processPage(h.ctx, page);
  return id;
}

const extractions = () => model.calls.filter((c) => stepOf(c) === "structured").length;

test("the page that ends a structured job runs one extraction over every page's text; the job completes with its object and is charged", async () => {
  h = await harness();
  const before = extractions();
  const id = await pagesRead();
  expect(extractions() - before).toBe(1);
  expect(h.job(id)).toMatchObject({ stage: "done", status: "completed", credits_used: 4, error_message: null, lease_owner: null });
  expect(JSON.parse(h.job(id).structured_result!)).toEqual({ title: "Quarterly Report", pages: 2 });
  expect(h.finished).toEqual([id]);
});

test("an extraction the model refuses ends the job failed with the route's reason, and nothing is charged", async () => {
  h = await harness();
  const saved = extract;
  extract = (call) => (stepOf(call) === "structured" ? { status: 400, body: { error: { message: "schema too deep" } } } : saved(call));
  try {
    const id = await pagesRead();
    expect(h.job(id)).toMatchObject({ stage: "done", status: "failed", credits_used: 0, structured_result: null });
    expect(h.job(id).error_message).toContain("400");
    expect(h.finished).toEqual([id]);
  } finally {
    extract = saved;
  }
});

test("two workers finishing the same job: only the one holding the extraction's lease runs it", async () => {
  h = await harness();
  const id = await h.queueJob(await digitalPdf(SAMPLE_PAGES), { model: "extractor", format: "structured", schema: SCHEMA });
  await splitJob(h.ctx, await h.claimJob());
  for (const page of await h.claimPages()) {
    // Pages recorded without finishing, as when the process died between its last page and the finish.
    await h.store.completePage(page, h.ctx.leases.owner, { result: `page ${page.pageNumber}`, confidence: null, width: 1, height: 1, boundingBoxesJson: null, route: "offline" });
  }
  const before = extractions();
  const other = h.otherWorker();
  const job = { id, model: "extractor", format: "structured" };
  await Promise.all([finishJob(h.ctx, job), finishJob(other, job)]);
  expect(extractions() - before).toBe(1);
  expect(h.job(id)).toMatchObject({ status: "completed", credits_used: 4 });
  expect(h.finished).toEqual([id]);
});

test("an extraction still running when shutdown gives its lease back is not written: the job waits for its extraction again", async () => {
  h = await harness();
  const saved = extract;
  let arrived!: () => void;
  const atModel = new Promise<void>((r) => (arrived = r));
  extract = (call) => {
    if (stepOf(call) !== "structured") return saved(call);
    arrived();
    return { ...(saved(call) as object), delayMs: 300 } as ReturnType<typeof saved>;
  };
  try {
    const id = await h.queueJob(await digitalPdf(SAMPLE_PAGES), { model: "extractor", format: "structured", schema: SCHEMA });
    await splitJob(h.ctx, await h.claimJob());
    const pages = await h.claimPages();
    await processPage(h.ctx, pages[0]!);
    const last = processPage(h.ctx, pages[1]!);
    await atModel;
    expect(await h.ctx.leases.releaseAll()).toEqual({ pages: 0, jobs: 0, extractions: 1 });
    await last;
    expect(h.job(id)).toMatchObject({ stage: "pages", status: "processing", structured_result: null, lease_owner: null });
    expect(h.finished).toEqual([]);
    // The next process runs it.
    await finishJob(h.otherWorker(), { id, model: "extractor", format: "structured" });
    expect(h.job(id)).toMatchObject({ stage: "done", status: "completed" });
  } finally {
    extract = saved;
  }
});

test("a markdown job is finished at once when its pages are done, and only once", async () => {
  h = await harness();
  const id = await h.queueJob(await digitalPdf(SAMPLE_PAGES), { model: "extractor" });
  await splitJob(h.ctx, await h.claimJob());
  for (const page of await h.claimPages()) {
    await h.store.completePage(page, h.ctx.leases.owner, { result: "text", confidence: null, width: 1, height: 1, boundingBoxesJson: null, route: "offline" });
  }
  await Promise.all([finishJob(h.ctx, { id, model: "extractor", format: "markdown" }), finishJob(h.otherWorker(), { id, model: "extractor", format: "markdown" })]);
  expect(h.job(id)).toMatchObject({ stage: "done", status: "completed", credits_used: 4 });
  expect(h.finished).toEqual([id]);
});
