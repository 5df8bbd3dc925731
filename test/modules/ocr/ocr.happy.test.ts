import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { startTestServer, type TestServer } from "../../helpers/app";
import { SdkClient } from "../../helpers/sdk-client";
import { SAMPLE_PAGES, digitalPdf, multiPageTiff, renderPages, scannedPdfFrom } from "../../helpers/fixtures";

let t: TestServer;
let client: SdkClient;
let digital: Uint8Array;

beforeAll(async () => {
  t = await startTestServer({ urlAllowHosts: "127.0.0.1" });
  client = new SdkClient(t.baseUrl, t.apiKey);
  digital = await digitalPdf(SAMPLE_PAGES);
});
afterAll(() => t.close());

const words = (s: string) => s.toLowerCase().replace(/[^a-z0-9 ]+/g, " ").split(/\s+/).filter(Boolean);
/** Share of the expected words found in the text, in any order: a tolerant check for OCR output. */
const recall = (expected: string, got: string) => {
  const have = new Set(words(got));
  const want = words(expected);
  return want.filter((w) => have.has(w)).length / want.length;
};

describe("a digital PDF through the SDK flow", () => {
  let jobId: string;
  test("completes with markdown per page from the text layer", async () => {
    jobId = await client.upload(digital, "report.pdf");
    const status = await client.waitForJob(jobId);
    expect(status.status).toBe("completed");
    expect(status.total_pages).toBe(2);
    expect(status.processed_pages).toBe(2);
    expect(status.progress).toBe(100);
    const result = await client.result(jobId);
    expect(result.pages).toHaveLength(2);
    expect(result.credits_used).toBe(2);
    expect(result.model).toBe("standard-v2");
    const [first, second] = result.pages;
    expect(first.page_number).toBe(1);
    expect(first.result).toMatch(/^#{1,3} Quarterly Report/m);
    expect(first.result).toContain("Revenue grew steadily across all regions");
    expect(second.result).toMatch(/^#{1,3} Operations Summary/m);
    expect(first.confidence).toBe(1);
    // 612x792 pt at the 300 DPI page image.
    expect(first.dimensions).toEqual({ width: 2550, height: 3300 });
    expect(first.has_bounding_boxes).toBe(false);
  });

  test("paginates over pages", async () => {
    const page2 = await client.result(jobId, 2, 1);
    expect(page2.pages).toHaveLength(1);
    expect(page2.pages[0].page_number).toBe(2);
    expect(page2.pagination).toEqual({ page: 2, limit: 1, total: 2, total_pages: 2 });
  });

  test("works without the /api/v1 prefix, as the Go SDK's default base URL has it", async () => {
    const bare = new SdkClient(t.baseUrl, t.apiKey, "");
    const status = await bare.call("GET", `/ocr/status/${jobId}`);
    expect(status.status).toBe(200);
    expect(status.body.id).toBe(jobId);
  });

  test("delete removes the job's files and later answers 404", async () => {
    const before = readdirSync(join(t.dataDir, "files", "jobs"));
    expect(before).toContain(jobId);
    const del = await client.call("DELETE", `/ocr/delete/${jobId}`);
    expect(del.status).toBe(200);
    expect(del.body.deleted).toBe(true);
    expect(readdirSync(join(t.dataDir, "files", "jobs"))).not.toContain(jobId);
    expect((await client.call("GET", `/ocr/status/${jobId}`)).status).toBe(404);
    expect((await client.call("GET", `/ocr/result/${jobId}`)).status).toBe(404);
  });
});

test("pro-v2 charges 3 credits a page", async () => {
  const jobId = await client.upload(digital, "report.pdf", { model: "pro-v2" });
  await client.waitForJob(jobId);
  const result = await client.result(jobId);
  expect(result.credits_used).toBe(6);
});

test("bounding boxes come with typed blocks inside the page", async () => {
  const jobId = await client.upload(digital, "report.pdf", { extract_bounding_boxes: true });
  await client.waitForJob(jobId);
  const page = (await client.result(jobId)).pages[0];
  expect(page.has_bounding_boxes).toBe(true);
  const heading = page.bounding_boxes.find((b: any) => b.type === "heading");
  expect(heading.text).toContain("Quarterly Report");
  for (const b of page.bounding_boxes) {
    expect(b.bounds.x).toBeGreaterThanOrEqual(0);
    expect(b.bounds.y).toBeGreaterThanOrEqual(0);
    expect(b.bounds.x + b.bounds.width).toBeLessThanOrEqual(page.dimensions.width);
    expect(b.bounds.y + b.bounds.height).toBeLessThanOrEqual(page.dimensions.height);
  }
  // The heading sits above the first paragraph on the page.
  const para = page.bounding_boxes.find((b: any) => b.type === "paragraph");
  expect(heading.bounds.y).toBeLessThan(para.bounds.y);
});

describe("scanned pages are read by the embedded OCR engine", () => {
  test("a PDF page without a text layer", async () => {
    const scanned = await scannedPdfFrom(await digitalPdf([SAMPLE_PAGES[0]!]));
    const jobId = await client.upload(scanned, "scan.pdf", { extract_bounding_boxes: true });
    const status = await client.waitForJob(jobId);
    expect(status.status).toBe("completed");
    const page = (await client.result(jobId)).pages[0];
    expect(recall(SAMPLE_PAGES[0]!.paragraphs.join(" "), page.result)).toBeGreaterThan(0.9);
    expect(page.confidence).toBeGreaterThan(0.5);
    expect(page.confidence).toBeLessThanOrEqual(1);
    expect(page.bounding_boxes.length).toBeGreaterThan(0);
  });

  test("every page of a multi-page TIFF", async () => {
    const pngs = await renderPages(digital, 200);
    const tiff = await multiPageTiff(pngs);
    const jobId = await client.upload(tiff, "scan.tiff", { contentType: "image/tiff" });
    const status = await client.waitForJob(jobId);
    expect(status.status).toBe("completed");
    const result = await client.result(jobId);
    expect(result.total_pages).toBe(2);
    expect(recall("Quarterly Report Revenue grew steadily", result.pages[0].result)).toBeGreaterThan(0.8);
    expect(recall("Operations Summary Shipping volumes increased", result.pages[1].result)).toBeGreaterThan(0.8);
    expect(result.pages[0].dimensions.width).toBeGreaterThan(1000);
  });

  test("a PNG declared as a PDF is sniffed from its bytes and read", async () => {
    const [png] = await renderPages(await digitalPdf([SAMPLE_PAGES[1]!]), 200);
    const jobId = await client.upload(png!, "not-really.pdf", { contentType: "application/pdf" });
    await client.waitForJob(jobId);
    const page = (await client.result(jobId)).pages[0];
    expect(recall("Shipping volumes increased while warehouse costs remained stable", page.result)).toBeGreaterThan(0.8);
  });
});

test("a URL upload is fetched by the server and processed", async () => {
  const origin = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response(digital, { headers: { "content-type": "application/pdf" } }) });
  try {
    const res = await client.call("POST", "/ocr/uploads/url", { url: `http://127.0.0.1:${origin.port}/files/report.pdf` });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe("pending");
    const status = await client.waitForJob(res.body.job_id);
    expect(status.status).toBe("completed");
    expect(status.file_name).toBe("report.pdf");
  } finally {
    origin.stop(true);
  }
});

test("models lists the public names and what backs them", async () => {
  const res = await client.call("GET", "/ocr/models");
  expect(res.status).toBe(200);
  const names = res.body.models.map((m: any) => m.name);
  expect(names).toEqual(expect.arrayContaining(["standard-v2", "pro-v2", "offline"]));
  expect(res.body.count).toBe(names.length);
  const pro = res.body.models.find((m: any) => m.name === "pro-v2");
  expect(pro.credits_per_page).toBe(3);
  expect(pro.routes).toEqual([{ name: "offline", provider: "offline" }]);
});

test("health answers 200", async () => {
  const res = await fetch(`${t.baseUrl}/api/v1/health`);
  expect(res.status).toBe(200);
});
