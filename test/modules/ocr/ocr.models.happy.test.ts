/**
 * Configured model routes end to end: a config file declares Gemini and OpenAI-compatible routes
 * (loopback servers speaking each wire format, started here), and documents go through the
 * LeapOCR SDK flow: markdown, refinement, bounding boxes, structured extraction, fair scheduling.
 * Documents are images made with sharp, so nothing here needs the offline OCR engine.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { startTestServer, type TestServer } from "../../helpers/app";
import { SdkClient } from "../../helpers/sdk-client";
import { multiPageTiff } from "../../helpers/fixtures";
import { greyPages, pageOfImage, pngSize, smartHandler, startMockModel, stepOf, writeModelConfig, type MockModel } from "../../helpers/mock-models";
import { jobs, pages } from "../../../src/db/schema";

const SCHEMA = {
  type: "object",
  properties: { title: { type: "string" }, page_count: { type: "integer" }, tags: { type: "array", items: { type: "string" } } },
  required: ["title", "page_count"],
  additionalProperties: false,
};

let dir: string;
let gemini: MockModel;
let openai: MockModel;
let t: TestServer;
let client: SdkClient;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "leapocr-models-"));
  // The structured answer counts the pages it was given, proving it read the whole document.
  const extract = (call: { text: string }) => ({ title: "Grey pages", page_count: (call.text.match(/<page number=/g) ?? []).length, tags: ["test"] });
  gemini = await startMockModel("gemini", smartHandler({ extract }));
  openai = await startMockModel("openai", smartHandler({ extract }));
  const configFile = await writeModelConfig(dir, {
    max_concurrency: 16,
    image: { dpi: 150, max_long_side: 200 },
    routes: {
      "gemini-flash": { provider: "gemini", base_url: gemini.baseUrl, api_key_env: "TEST_GEMINI_KEY", model: "gemini-2.5-flash", max_concurrency: 4, timeout_seconds: 10 },
      "vllm-qwen": { provider: "openai", base_url: openai.baseUrl, model: "Qwen/Qwen2.5-VL-7B-Instruct", max_concurrency: 4, timeout_seconds: 10, max_long_side: 160 },
    },
    models: [
      { name: "standard-v2", display_name: "Standard v2", credits_per_page: 1, steps: { ocr: ["vllm-qwen"], structured: ["vllm-qwen"] } },
      {
        name: "pro-v2",
        display_name: "Pro v2",
        credits_per_page: 3,
        steps: { ocr: ["gemini-flash"], refine: ["gemini-flash"], bounding_boxes: ["gemini-flash"], structured: ["gemini-flash", "vllm-qwen"] },
      },
    ],
  });
  t = await startTestServer({ configFile }, { modelEnv: { TEST_GEMINI_KEY: "gm-key-1" }, retrySleep: async () => {} });
  client = new SdkClient(t.baseUrl, t.apiKey);
});

afterAll(async () => {
  await t?.close();
  await gemini?.close();
  await openai?.close();
  rmSync(dir, { recursive: true, force: true });
});

const png = async (n = 1) => (await greyPages(n))[n - 1]!;

test("/ocr/models lists the configured models with their steps' routes, and keeps the offline default", async () => {
  const res = await client.call("GET", "/ocr/models");
  expect(res.status).toBe(200);
  const byName = Object.fromEntries(res.body.models.map((m: any) => [m.name, m]));
  expect(byName["standard-v2"].routes).toEqual([{ name: "vllm-qwen", provider: "openai" }]);
  expect(byName["standard-v2"].supports_structured).toBe(true);
  expect(byName["pro-v2"].steps).toEqual({ ocr: ["gemini-flash"], refine: ["gemini-flash"], bounding_boxes: ["gemini-flash"], structured: ["gemini-flash", "vllm-qwen"] });
  expect(byName["pro-v2"].credits_per_page).toBe(3);
  expect(byName.offline.routes).toEqual([{ name: "offline", provider: "offline" }]);
});

test("markdown through an OpenAI-compatible route: image sized for the route, tokens stored, 1 credit a page", async () => {
  const before = openai.calls.length;
  const jobId = await client.upload(await png(), "page.png", { contentType: "image/png", model: "standard-v2" });
  const status = await client.waitForJob(jobId);
  expect(status.status).toBe("completed");
  const result = await client.result(jobId);
  expect(result.credits_used).toBe(1);
  // 240x320 page, longest side 160 for this route.
  expect(result.pages[0].result).toBe("# Page from openai\n\nImage 120x160.");
  expect(result.pages[0].dimensions).toEqual({ width: 240, height: 320 });
  const call = openai.calls.slice(before).find((c) => stepOf(c) === "ocr")!;
  expect(call.model).toBe("Qwen/Qwen2.5-VL-7B-Instruct");
  expect(pngSize(call.image!.bytes)).toEqual({ width: 120, height: 160 });
  const row = t.server.ctx.db.select().from(pages).where(eq(pages.jobId, jobId)).get()!;
  expect(row.route).toBe("openai:vllm-qwen");
  expect(row.inputTokens).toBe(100);
  expect(row.outputTokens).toBe(20);
});

test("refinement and bounding boxes through Gemini on every page of a multi-page TIFF", async () => {
  const tiff = await multiPageTiff(await greyPages(3));
  const before = gemini.calls.length;
  const jobId = await client.upload(tiff, "scan.tiff", { contentType: "image/tiff", model: "pro-v2", extract_bounding_boxes: true });
  const status = await client.waitForJob(jobId);
  expect(status.status).toBe("completed");
  const result = await client.result(jobId);
  expect(result.credits_used).toBe(9);
  expect(result.pages).toHaveLength(3);
  for (const p of result.pages) {
    expect(p.result).toBe("# Page from gemini\n\nImage 150x200.\n\n(refined)");
    expect(p.has_bounding_boxes).toBe(true);
    expect(p.dimensions).toEqual({ width: 240, height: 320 });
    // [ymin, xmin, ymax, xmax] in 0-1000 -> pixels of the 240x320 page.
    expect(p.bounding_boxes).toEqual([
      { type: "heading", text: "Title", bounds: { x: 12, y: 32, width: 216, height: 32 } },
      { type: "paragraph", text: "Body text", bounds: { x: 12, y: 80, width: 216, height: 112 } },
    ]);
  }
  const calls = gemini.calls.slice(before);
  expect(calls.filter((c) => stepOf(c) === "ocr")).toHaveLength(3);
  expect(calls.filter((c) => stepOf(c) === "refine")).toHaveLength(3);
  expect(calls.filter((c) => stepOf(c) === "boxes")).toHaveLength(3);
  // Every page was sent as itself.
  const seen = await Promise.all(calls.filter((c) => stepOf(c) === "ocr").map((c) => pageOfImage(c.image!.bytes)));
  expect(seen.sort()).toEqual([1, 2, 3]);
  expect(calls.every((c) => c.apiKey === "gm-key-1")).toBe(true);
  const rows = t.server.ctx.db.select().from(pages).where(eq(pages.jobId, jobId)).all();
  // Three steps of 100 + 20 tokens each.
  expect(rows.every((r) => r.inputTokens === 300 && r.outputTokens === 60)).toBe(true);
});

describe("structured extraction", () => {
  test("one object for the whole document: structured_result and page 1's result, other pages null", async () => {
    const tiff = await multiPageTiff(await greyPages(2));
    const jobId = await client.upload(tiff, "doc.tiff", { contentType: "image/tiff", model: "pro-v2", format: "structured", schema: SCHEMA, instructions: "Title in English" });
    const status = await client.waitForJob(jobId);
    expect(status.status).toBe("completed");
    const result = await client.result(jobId);
    expect(result.result_format).toBe("structured");
    expect(result.structured_result).toEqual({ title: "Grey pages", page_count: 2, tags: ["test"] });
    expect(result.pages[0].result).toEqual(result.structured_result);
    expect(result.pages[1].result).toBeNull();
    expect(result.credits_used).toBe(6);
    const call = gemini.calls.filter((c) => stepOf(c) === "structured").at(-1)!;
    expect(call.text).toContain("Title in English");
    expect(call.text).toContain("(refined)");
    const job = t.server.ctx.db.select().from(jobs).where(eq(jobs.id, jobId)).get()!;
    expect(job.extractionInputTokens).toBe(100);
  });

  test("through the OpenAI-compatible route with response_format json_schema", async () => {
    const jobId = await client.upload(await png(), "one.png", { contentType: "image/png", model: "standard-v2", format: "structured", schema: SCHEMA });
    await client.waitForJob(jobId);
    const result = await client.result(jobId);
    expect(result.structured_result).toEqual({ title: "Grey pages", page_count: 1, tags: ["test"] });
    const call = openai.calls.filter((c) => stepOf(c) === "structured").at(-1)!;
    expect((call.responseFormat as any).type).toBe("json_schema");
  });

  test("a model without structured routes still answers 400", async () => {
    const res = await client.call("POST", "/ocr/uploads/direct", { file_name: "a.png", file_size: 10, content_type: "image/png", model: "offline", format: "structured", schema: SCHEMA });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain("Structured extraction needs a model route");
  });
});

test("fair scheduling: a 1-page job sent after a 60-page job finishes long before it", async () => {
  gemini.handler = smartHandler({ delayMs: 150 });
  try {
    const smallPng = await png();
    const big = await client.upload(await multiPageTiff(await greyPages(60)), "big.tiff", { contentType: "image/tiff", model: "pro-v2" });
    // Let the big job start taking pages first.
    while ((await client.call("GET", `/ocr/status/${big}`)).body.processed_pages < 2) await Bun.sleep(20);
    const small = await client.upload(smallPng, "small.png", { contentType: "image/png", model: "pro-v2" });
    const smallStatus = await client.waitForJob(small);
    const bigStatus = await client.waitForJob(big);
    expect(smallStatus.status).toBe("completed");
    expect(bigStatus.status).toBe("completed");
    expect(Date.parse(smallStatus.completed_at)).toBeLessThan(Date.parse(bigStatus.completed_at));
    // The proof that does not depend on the machine's speed: between the small job's arrival and
    // its page being taken, the big job got no more than the few slots that freed up meanwhile.
    // (With a config file the runner holds up to 2x the routes' concurrency in flight: 32 here.)
    const db = t.server.ctx.db;
    const smallJob = db.select().from(jobs).where(eq(jobs.id, small)).get()!;
    const smallPage = db.select().from(pages).where(eq(pages.jobId, small)).get()!;
    const bigPages = db.select().from(pages).where(eq(pages.jobId, big)).all();
    // (Its upload takes a few ms during which free slots rightly keep working on the big job.)
    const jumpedAhead = bigPages.filter((p) => p.startedAt! >= smallJob.createdAt && p.startedAt! < smallPage.startedAt!).length;
    expect(jumpedAhead).toBeLessThanOrEqual(4);
    // ...and it did not wait for the big job: most of the big job was still to come.
    expect(bigPages.filter((p) => p.startedAt! > smallPage.startedAt!).length).toBeGreaterThanOrEqual(20);
  } finally {
    gemini.handler = smartHandler();
  }
});
