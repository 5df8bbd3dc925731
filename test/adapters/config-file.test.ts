/** The model config file: validation messages that point at the mistake, and what it builds. */
import { expect, test } from "bun:test";
import { parseConfigFile, buildModels } from "../../src/config-file";
import { ConfigError, loadConfig } from "../../src/config";
import type { ModelRoute } from "../../src/ports/model";

const offline: ModelRoute = { name: "offline", provider: "offline", readPage: async () => ({ markdown: "", width: 1, height: 1, route: "offline" }) };

const bad = (raw: unknown) => {
  try {
    parseConfigFile(raw, "models.json");
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error("expected a ConfigError");
};

test("mistakes are reported with their place", () => {
  expect(bad({ routes: { g: { provider: "gemini", model: "m" } }, models: [] })).toContain('route "g" (gemini) needs api_key_env');
  expect(bad({ routes: { o: { provider: "openai", model: "m" } } })).toContain('route "o" (openai) needs base_url');
  expect(bad({ models: [{ name: "x", credits_per_page: 1, steps: { ocr: ["nope"] } }] })).toContain('names route "nope"');
  expect(bad({ models: [{ name: "x", credits_per_page: 1, steps: { ocr: ["offline"], structured: ["offline"] } }] })).toContain("offline engine can only do the ocr step");
  expect(bad({ routes: { g: { provider: "gemini", api_key: "sk-oops", model: "m" } } })).toContain("routes.g");
  expect(bad({ models: [{ name: "x", credits_per_page: 1, steps: { ocr: [] } }] })).toContain("steps.ocr needs at least one route");
});

test("config models replace defaults of the same name and add new ones; keys come from the environment", () => {
  const file = parseConfigFile({
    max_concurrency: 8,
    routes: { g: { provider: "gemini", api_key_env: "G", model: "gemini-2.5-flash", max_concurrency: 3 }, o: { provider: "openai", base_url: "http://127.0.0.1:1/v1", model: "m", max_concurrency: 2 } },
    models: [
      { name: "standard-v2", credits_per_page: 1, steps: { ocr: ["g"], structured: ["o"] } },
      { name: "cheap", credits_per_page: 0, steps: { ocr: ["offline", "o"] } },
    ],
  });
  const built = buildModels(file, offline, { env: { G: "key" }, pageConcurrency: 2 });
  expect(built.registry.names()).toEqual(["pro-v2", "offline", "standard-v2", "cheap"]);
  const std = built.registry.get("standard-v2")!;
  expect(std.supportsStructured).toBe(true);
  expect(std.routes.map((r) => `${r.provider}:${r.name}`)).toEqual(["gemini:g"]);
  expect(std.routes[0]!.maxConcurrency).toBe(3);
  expect(built.registry.get("pro-v2")!.supportsStructured).toBe(false);
  // Enough pages in flight to fill 3 + 2 slots, and as many rendered ahead.
  expect(built.pageConcurrency).toBe(10);
  expect(() => buildModels(file, offline, { env: {}, pageConcurrency: 2 })).toThrow("environment variable G");
});

test("--config / LEAPOCR_CONFIG is a known setting", () => {
  expect(loadConfig({ config: "/etc/leapocr/models.json" }, {}).configFile).toBe("/etc/leapocr/models.json");
  expect(loadConfig({}, { LEAPOCR_CONFIG: "/x.json" }).configFile).toBe("/x.json");
  expect(loadConfig({}, {}).configFile).toBe("");
});

test("every worked example in docs/CONFIG.md is a valid config file that builds", async () => {
  const doc = await Bun.file(new URL("../../docs/CONFIG.md", import.meta.url)).text();
  const blocks = [...doc.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1]!));
  expect(blocks.length).toBe(5);
  const env = { GEMINI_API_KEY: "g", OPENROUTER_API_KEY: "o", DEEPINFRA_API_KEY: "d" };
  for (const raw of blocks) {
    const built = buildModels(parseConfigFile(raw, "docs/CONFIG.md"), offline, { env, pageConcurrency: 2 });
    expect(built.registry.models.length).toBeGreaterThan(0);
  }
});
