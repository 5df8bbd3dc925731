/**
 * What the official SDKs send that is not today's public API: the older model names
 * (standard-v1, english-pro-v1, pro-v1: the Python SDK's enum, the Go SDK's constants and
 * default), format "structured" without a schema (the Python SDK's default), format
 * "per_page_structured", and the hosted service's /ocr/demo routes. Model routes are loopback
 * servers speaking the OpenAI wire format, driven by the real openai client.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestServer, type TestServer } from "../../helpers/app";
import { SdkClient } from "../../helpers/sdk-client";
import { multiPageTiff } from "../../helpers/fixtures";
import { greyPages, pageOfImage, startMockModel, stepOf, writeModelConfig, type MockModel } from "../../helpers/mock-models";

describe("offline engine only (no config file)", () => {
  let t: TestServer;
  let client: SdkClient;
  beforeAll(async () => {
    t = await startTestServer();
    client = new SdkClient(t.baseUrl, t.apiKey);
  });
  afterAll(() => t.close());

  test("the older model names are accepted and run as today's models, named in /ocr/models", async () => {
    const models = await client.call("GET", "/ocr/models");
    const byName = Object.fromEntries(models.body.models.map((m: any) => [m.name, m]));
    expect(byName["standard-v2"].aliases).toEqual(["standard-v1"]);
    expect(byName["pro-v2"].aliases).toEqual(["english-pro-v1", "pro-v1"]);
    expect(byName.offline.aliases).toEqual([]);
    const png = (await greyPages(1))[0]!;
    for (const [old, today] of [["standard-v1", "standard-v2"], ["english-pro-v1", "pro-v2"], ["pro-v1", "pro-v2"]] as const) {
      const jobId = await client.upload(png, "grey.png", { contentType: "image/png", model: old, format: "markdown" });
      const status = await client.call("GET", `/ocr/status/${jobId}`);
      expect(status.body.model).toBe(today);
    }
  });

  test("an unknown model is still a 400 that lists the models", async () => {
    const res = await client.call("POST", "/ocr/uploads/direct", { file_name: "a.pdf", file_size: 10, content_type: "application/pdf", model: "pro-v3" });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe("BAD_REQUEST");
    expect(res.body.error.message).toContain("standard-v2");
  });

  test("the demo routes answer 404 in the LeapOCR error body, with and without the /api/v1 prefix, with or without a key", async () => {
    const paths = ["/api/v1/ocr/demo/initiate", "/ocr/demo/initiate", "/api/v1/ocr/demo/0b6f0c1e-8f0a-4c4e-9f55-3d2f4f7f2a10/complete", "/api/v1/ocr/demo/result/0b6f0c1e-8f0a-4c4e-9f55-3d2f4f7f2a10"];
    for (const path of paths) {
      for (const method of ["POST", "GET"]) {
        const res = await fetch(`${t.baseUrl}${path}`, { method, headers: { "content-type": "application/json" }, body: method === "POST" ? "{}" : undefined });
        expect(res.status).toBe(404);
        const body = (await res.json()) as any;
        expect(body.code).toBe("NOT_FOUND");
        expect(body.error.message).toContain("API key");
      }
    }
  });
});

describe("with a model route", () => {
  let dir: string;
  let openai: MockModel;
  let gemini: MockModel;
  let t: TestServer;
  let client: SdkClient;
  /** Page k of a per-page call fails when the test says so. */
  let failPage: number | null = null;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "leapocr-compat-"));
    openai = await startMockModel("openai", async (call) => {
      const step = stepOf(call);
      if (step === "ocr") return { text: `Page ${await pageOfImage(call.image!.bytes)} of the report. Total 12.50 EUR.` };
      if (step === "structured") {
        // The first user turn holds the document (a re-ask adds turns after it).
        const first = call.raw.messages.find((m: any) => m.role === "user");
        const text = typeof first.content === "string" ? first.content : first.content.map((p: any) => p.text ?? "").join("");
        const pages = [...text.matchAll(/<page number="(\d+)">/g)].map((m) => Number(m[1]));
        if (failPage !== null && pages.length === 1 && pages[0] === failPage) return { text: "I cannot do that." };
        if (/array please/.test(text)) return { text: "[1, 2, 3]" };
        return { text: JSON.stringify({ pages_seen: pages, total: "12.50 EUR" }) };
      }
      return { status: 400, body: { error: { message: "unexpected step" } } };
    });
    gemini = await startMockModel("gemini", (call) => (stepOf(call) === "ocr" ? { text: "Total 3 EUR" } : { text: '{"total": "3 EUR"}' }));
    const configFile = await writeModelConfig(dir, {
      routes: {
        vlm: { provider: "openai", base_url: openai.baseUrl, model: "qwen-vl", timeout_seconds: 10 },
        gem: { provider: "gemini", base_url: gemini.baseUrl, api_key_env: "TEST_GEMINI_KEY", model: "gemini-2.5-flash", timeout_seconds: 10 },
      },
      models: [
        { name: "standard-v2", display_name: "Standard v2", credits_per_page: 1, steps: { ocr: ["vlm"], structured: ["vlm"] } },
        { name: "pro-v2", display_name: "Pro v2", credits_per_page: 3, steps: { ocr: ["gem"], structured: ["gem"] } },
      ],
    });
    t = await startTestServer({ configFile }, { modelEnv: { TEST_GEMINI_KEY: "k" }, retrySleep: async () => {} });
    client = new SdkClient(t.baseUrl, t.apiKey);
  });
  afterAll(async () => {
    await t?.close();
    await openai?.close();
    await gemini?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("structured without a schema: the model is asked for one JSON object shaped by the instructions (JSON mode, no schema)", async () => {
    const before = openai.calls.length;
    // The Python SDK's Model.STANDARD_V1 and its default format.
    const jobId = await client.upload((await greyPages(2))[1]!, "p.png", { contentType: "image/png", model: "standard-v1", format: "structured", instructions: "Extract the total" });
    expect((await client.waitForJob(jobId)).status).toBe("completed");
    const result = await client.result(jobId);
    expect(result.model).toBe("standard-v2");
    expect(result.result_format).toBe("structured");
    expect(result.pages[0].result).toEqual({ pages_seen: [1], total: "12.50 EUR" });
    expect(result.structured_result).toEqual({ pages_seen: [1], total: "12.50 EUR" });
    const call = openai.calls.slice(before).find((c) => stepOf(c) === "structured")!;
    expect(call.responseFormat).toEqual({ type: "json_object" });
    expect(call.text).toContain("Extract the total");
    expect(call.text).not.toContain("JSON Schema");
  });

  test("structured without a schema through Gemini: JSON mode without a responseSchema (english-pro-v1 runs as pro-v2)", async () => {
    const jobId = await client.upload((await greyPages(1))[0]!, "p.png", { contentType: "image/png", model: "english-pro-v1", format: "structured" });
    expect((await client.waitForJob(jobId)).status).toBe("completed");
    expect((await client.result(jobId)).pages[0].result).toEqual({ total: "3 EUR" });
    const call = gemini.calls.find((c) => stepOf(c) === "structured")!;
    expect(call.responseFormat).toEqual({ mime: "application/json", schema: undefined });
  });

  test("structured without a schema: an answer that is JSON but not one object is refused after one re-ask, and the job fails saying why", async () => {
    const before = openai.calls.length;
    const jobId = await client.upload((await greyPages(1))[0]!, "p.png", { contentType: "image/png", format: "structured", instructions: "array please" });
    const status = await client.waitForJob(jobId);
    expect(status.status).toBe("failed");
    expect(status.error_message).toContain("object");
    expect(openai.calls.slice(before).filter((c) => stepOf(c) === "structured")).toHaveLength(2);
  });

  test("per_page_structured: one object per page, each page's result; a page whose extraction fails is null with its reason", async () => {
    const tiff = await multiPageTiff(await greyPages(3));
    let jobId = await client.upload(tiff, "scan.tiff", { contentType: "image/tiff", format: "per_page_structured", instructions: "Extract the total" });
    expect((await client.waitForJob(jobId)).status).toBe("completed");
    let result = await client.result(jobId);
    expect(result.result_format).toBe("per_page_structured");
    expect(result.structured_result).toBeUndefined();
    expect(result.pages.map((p: any) => p.result)).toEqual([1, 2, 3].map((k) => ({ pages_seen: [k], total: "12.50 EUR" })));
    expect(result.credits_used).toBe(3);
    // Pagination returns each page's own object.
    const second = await client.result(jobId, 2, 1);
    expect(second.pages).toHaveLength(1);
    expect(second.pages[0].result).toEqual({ pages_seen: [2], total: "12.50 EUR" });

    failPage = 2;
    try {
      jobId = await client.upload(tiff, "scan.tiff", { contentType: "image/tiff", format: "per_page_structured" });
      expect((await client.waitForJob(jobId)).status).toBe("completed");
      result = await client.result(jobId);
    } finally {
      failPage = null;
    }
    expect(result.pages[0].result).toEqual({ pages_seen: [1], total: "12.50 EUR" });
    expect(result.pages[1].result).toBeNull();
    expect(result.pages[1].error_message).toContain("contains no JSON object");
    expect(result.pages[2].result).toEqual({ pages_seen: [3], total: "12.50 EUR" });
  });
});
