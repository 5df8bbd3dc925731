/** GET /api/v1/subprocessors is computed from the live model config. */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestServer, type TestServer } from "../../helpers/app";
import { SdkClient } from "../../helpers/sdk-client";
import { writeModelConfig } from "../../helpers/mock-models";

const servers: TestServer[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const s of servers) await s.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function start(config?: unknown, env: Record<string, string> = {}) {
  let configFile = "";
  if (config) {
    const dir = mkdtempSync(join(tmpdir(), "leapocr-sub-"));
    dirs.push(dir);
    configFile = await writeModelConfig(dir, config);
  }
  const t = await startTestServer({ configFile }, { modelEnv: env });
  servers.push(t);
  return new SdkClient(t.baseUrl, t.apiKey);
}

test("with no routes configured the list is empty", async () => {
  const client = await start();
  const res = await client.call("GET", "/subprocessors");
  expect(res.status).toBe(200);
  expect(res.body).toEqual({ count: 0, subprocessors: [] });
});

test("needs an API key", async () => {
  const client = await start();
  const anon = new SdkClient(client.baseUrl, "wrong-key");
  expect((await anon.call("GET", "/subprocessors")).status).toBe(401);
});

test("lists each external endpoint, the steps that use it and what it receives; unused routes and the offline engine are not listed", async () => {
  const client = await start(
    {
      routes: {
        gemini: { provider: "gemini", api_key_env: "G_KEY", model: "gemini-2.5-flash" },
        openrouter: { provider: "openai", base_url: "https://openrouter.ai/api/v1", api_key_env: "OR_KEY", model: "qwen/qwen2.5-vl-72b-instruct" },
        unused: { provider: "openai", base_url: "https://unused.example/v1", api_key_env: "UNUSED_KEY", model: "x" },
        local: { provider: "offline" },
      },
      models: [
        { name: "standard-v2", credits_per_page: 1, steps: { ocr: ["local"] } },
        { name: "pro-v2", credits_per_page: 3, steps: { ocr: ["gemini", "openrouter"], bounding_boxes: ["gemini"] } },
        { name: "extract", credits_per_page: 2, steps: { ocr: ["offline"], structured: ["openrouter"] } },
      ],
    },
    // UNUSED_KEY is not set: an unused route needs no key.
    { G_KEY: "g", OR_KEY: "o" },
  );
  const res = await client.call("GET", "/subprocessors");
  expect(res.status).toBe(200);
  expect(res.body.count).toBe(2);
  const [gemini, openrouter] = res.body.subprocessors;
  expect(gemini).toEqual({
    provider: "gemini",
    endpoint: "https://generativelanguage.googleapis.com",
    routes: [{ name: "gemini", model: "gemini-2.5-flash" }],
    models: ["pro-v2"],
    steps: ["ocr", "bounding_boxes"],
    receives: ["page_images", "prompts", "instructions"],
  });
  expect(openrouter).toEqual({
    provider: "openai",
    endpoint: "https://openrouter.ai",
    routes: [{ name: "openrouter", model: "qwen/qwen2.5-vl-72b-instruct" }],
    models: ["extract", "pro-v2"],
    steps: ["ocr", "structured"],
    receives: ["page_images", "prompts", "instructions", "extracted_text", "schema"],
  });
  expect(JSON.stringify(res.body)).not.toContain("unused");
});
