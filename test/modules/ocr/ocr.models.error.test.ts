/**
 * Faults of configured model routes, end to end through the SDK routes: a page that always
 * fails, a route that is down, 429 with Retry-After, output that never matches the schema, and
 * configuration mistakes found at start.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { startTestServer, type TestServer } from "../../helpers/app";
import { SdkClient } from "../../helpers/sdk-client";
import { multiPageTiff } from "../../helpers/fixtures";
import { greyPages, pageOfImage, smartHandler, startMockModel, stepOf, writeModelConfig, type MockModel } from "../../helpers/mock-models";
import { creditTransactions, pages } from "../../../src/db/schema";
import { ConfigError } from "../../../src/config";

const SCHEMA = { type: "object", properties: { total: { type: "number" } }, required: ["total"] };

let dir: string;
let flaky: MockModel;
let backup: MockModel;
let t: TestServer;
let client: SdkClient;
const sleeps: number[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "leapocr-models-err-"));
  // Page 2 always answers 500; structured answers never match the schema.
  flaky = await startMockModel("openai", async (call) => {
    if (stepOf(call) === "ocr" && call.image && (await pageOfImage(call.image.bytes)) === 2) return { status: 500, body: { error: { message: "model crashed" } } };
    if (stepOf(call) === "structured") return { text: JSON.stringify({ total: "12 euros" }) };
    return smartHandler()(call);
  });
  backup = await startMockModel("gemini", smartHandler());
  const configFile = await writeModelConfig(dir, {
    retry: { max_attempts: 3, base_delay_ms: 10, max_delay_ms: 50 },
    routes: {
      flaky: { provider: "openai", base_url: flaky.baseUrl, model: "flaky-vl", api_key_env: "FLAKY_KEY", max_concurrency: 2, timeout_seconds: 5 },
      down: { provider: "openai", base_url: "http://127.0.0.1:9/v1", model: "down-vl", max_concurrency: 2, timeout_seconds: 2 },
      backup: { provider: "gemini", base_url: backup.baseUrl, model: "gemini-2.5-flash", api_key_env: "BACKUP_KEY", max_concurrency: 2, timeout_seconds: 5 },
    },
    models: [
      { name: "flaky", credits_per_page: 2, steps: { ocr: ["flaky"], structured: ["flaky"] } },
      { name: "with-fallback", credits_per_page: 1, steps: { ocr: ["down", "backup"] } },
    ],
  });
  t = await startTestServer({ configFile }, { modelEnv: { FLAKY_KEY: "k1", BACKUP_KEY: "k2" }, retrySleep: async (ms) => void sleeps.push(ms) });
  client = new SdkClient(t.baseUrl, t.apiKey);
});

afterAll(async () => {
  await t?.close();
  await flaky?.close();
  await backup?.close();
  rmSync(dir, { recursive: true, force: true });
});

test("a page that always fails is recorded with its reason; the others succeed and only they are charged, once", async () => {
  const jobId = await client.upload(await multiPageTiff(await greyPages(3)), "three.tiff", { contentType: "image/tiff", model: "flaky" });
  const status = await client.waitForJob(jobId);
  expect(status.status).toBe("completed");
  expect(status.error_message).toContain("Page 2 failed");
  expect(status.error_message).toContain("HTTP 500");
  expect(status.error_message).toContain("after 3 attempts");
  const result = await client.result(jobId);
  expect(result.credits_used).toBe(4);
  const [p1, p2, p3] = result.pages;
  expect(p1.status).toBe("completed");
  expect(p3.status).toBe("completed");
  expect(p2.status).toBe("failed");
  expect(p2.error_message).toContain("model crashed");
  const charges = t.server.ctx.db.select().from(creditTransactions).where(eq(creditTransactions.jobId, jobId)).all();
  expect(charges.map((c) => c.amount)).toEqual([-4]);
  // Finishing again (a retried finalisation, a restart's sweep) charges nothing more.
  expect(await t.server.ctx.jobStore.finishJobIfDone(jobId, 2)).toBe(false);
  expect(t.server.ctx.db.select().from(creditTransactions).where(eq(creditTransactions.jobId, jobId)).all()).toHaveLength(1);
});

test("a route that is down falls back to the next route of the step", async () => {
  const jobId = await client.upload((await greyPages(1))[0]!, "one.png", { contentType: "image/png", model: "with-fallback" });
  const status = await client.waitForJob(jobId);
  expect(status.status).toBe("completed");
  const result = await client.result(jobId);
  expect(result.pages[0].result).toContain("Page from gemini");
  const row = t.server.ctx.db.select().from(pages).where(eq(pages.jobId, jobId)).get()!;
  expect(row.route).toBe("gemini:backup");
});

test("429 with Retry-After is waited for, then the page succeeds", async () => {
  let first = true;
  backup.handler = (call) => {
    if (first) {
      first = false;
      return { status: 429, headers: { "retry-after": "7" }, body: { error: { message: "quota", code: 429 } } };
    }
    return smartHandler()(call);
  };
  sleeps.length = 0;
  try {
    const jobId = await client.upload((await greyPages(1))[0]!, "one.png", { contentType: "image/png", model: "with-fallback" });
    expect((await client.waitForJob(jobId)).status).toBe("completed");
    expect(sleeps).toContain(7000);
  } finally {
    backup.handler = smartHandler();
  }
});

test("structured output that never matches the schema fails the job with the validator's message and charges nothing", async () => {
  const jobId = await client.upload((await greyPages(1))[0]!, "one.png", { contentType: "image/png", model: "flaky", format: "structured", schema: SCHEMA });
  const status = await client.waitForJob(jobId);
  expect(status.status).toBe("failed");
  expect(status.error_message).toContain("does not match the schema");
  expect(status.error_message).toContain("/total");
  const result = await client.result(jobId);
  expect(result.credits_used).toBe(0);
  expect(result.structured_result).toBeUndefined();
  // One answer, one re-ask: output problems are not retried on.
  expect(flaky.calls.filter((c) => stepOf(c) === "structured")).toHaveLength(2);
});

test("an unusable schema is refused at upload", async () => {
  const res = await client.call("POST", "/ocr/uploads/direct", { file_name: "a.png", file_size: 10, content_type: "image/png", model: "flaky", format: "structured", schema: { type: "object", properties: { a: { $ref: "#/nowhere" } } } });
  expect(res.status).toBe(400);
});

test("a route whose key variable is unset is a start-up error naming the variable", async () => {
  const configFile = await writeModelConfig(mkdtempSync(join(tmpdir(), "leapocr-cfg-")), {
    routes: { g: { provider: "gemini", api_key_env: "MISSING_GEMINI_KEY", model: "gemini-2.5-flash" } },
    models: [{ name: "m", credits_per_page: 1, steps: { ocr: ["g"] } }],
  });
  const err = await startTestServer({ configFile }, { modelEnv: {} }).catch((e) => e);
  expect(err).toBeInstanceOf(ConfigError);
  expect(err.message).toContain("MISSING_GEMINI_KEY");
});
