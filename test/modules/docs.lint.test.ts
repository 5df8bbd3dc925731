/**
 * The served OpenAPI document, linted by Redocly (recommended rules) and Spectral (spectral:oas)
 * from the project's devDependencies, plus what the linters do not check: examples on the SDK and
 * main workspace routes, real response descriptions, public routes marked public, servers from the
 * request's origin, and the docs page without Scalar's developer toolbar.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestServer, type TestServer } from "../helpers/app";

let t: TestServer;
let doc: any;
let dir: string;
const root = join(import.meta.dir, "../..");

beforeAll(async () => {
  // The optional Polar billing route is mounted so that it is linted too.
  t = await startTestServer({ polarWebhookSecret: "whsec_bGludC10ZXN0LXNlY3JldC0wMTIzNDU2Nzg5YWJjZGVm", polarProducts: "lint-product:10" });
  doc = await (await fetch(`${t.baseUrl}/api/v1/docs/openapi.json`)).json();
  dir = mkdtempSync(join(tmpdir(), "leapocr-lint-"));
  writeFileSync(join(dir, "openapi.json"), JSON.stringify(doc));
  writeFileSync(join(dir, ".spectral.yaml"), 'extends: ["spectral:oas"]\n');
});
afterAll(async () => {
  await t?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs a linter's CLI with node, offline: no telemetry, no update check. */
async function run(bin: string, args: string[]): Promise<string> {
  const proc = Bun.spawn(["node", join(root, "node_modules/.bin", bin), ...args], {
    cwd: dir,
    env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true", NO_UPDATE_NOTIFIER: "1", CI: "true" },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return out;
}

describe("linters", () => {
  test("Redocly's recommended rules: 0 errors", async () => {
    const out = await run("redocly", ["lint", "--extends=recommended", "--format=json", "openapi.json"]);
    const problems = (JSON.parse(out.slice(out.indexOf("{"))).problems as { ruleId: string; severity: string; message: string }[]) ?? [];
    expect(problems.filter((p) => p.severity === "error").map((p) => `${p.ruleId}: ${p.message}`)).toEqual([]);
    // Examples are checked against their schemas (a warning in Redocly's recommended set): none may be wrong.
    expect(problems.filter((p) => p.ruleId === "no-invalid-media-type-examples")).toEqual([]);
  }, 60_000);

  test("Spectral's spectral:oas: 0 errors", async () => {
    const out = await run("spectral", ["lint", "-r", ".spectral.yaml", "-f", "json", "openapi.json"]);
    const results = JSON.parse(out.slice(out.indexOf("["))) as { code: string; severity: number; message: string; path: string[] }[];
    expect(results.filter((r) => r.severity === 0).map((r) => `${r.code}: ${r.message} at ${r.path.join(".")}`)).toEqual([]);
    expect(results.filter((r) => r.code === "operation-description" || r.code === "operation-tag-defined" || r.code === "oas3-api-servers")).toEqual([]);
  }, 60_000);
});

describe("what the linters do not check", () => {
  const ops = () =>
    Object.entries(doc.paths).flatMap(([path, byMethod]: [string, any]) => Object.entries(byMethod).map(([method, op]: [string, any]) => ({ key: `${method.toUpperCase()} ${path}`, op })));
  const op = (key: string) => ops().find((o) => o.key === key)!.op;

  test("servers name the request's origin; tags are declared with descriptions; no operation carries hide", () => {
    expect(doc.servers).toEqual([{ url: t.baseUrl, description: "This server" }]);
    const declared = new Map(doc.tags.map((tag: any) => [tag.name, tag.description]));
    for (const { key, op: o } of ops()) {
      expect(o.hide).toBeUndefined();
      for (const tag of o.tags ?? []) expect(declared.get(tag), `${key} tag ${tag}`).toBeTruthy();
    }
  });

  test("no response reads 'Response for status N'; page and limit defaults are integers", () => {
    for (const { key, op: o } of ops()) for (const [status, r] of Object.entries(o.responses ?? {}) as [string, any][]) expect(r.description, `${key} ${status}`).not.toMatch(/^Response for status/);
    const params = op("GET /api/v1/ocr/result/{job_id}").parameters;
    expect(params.find((p: any) => p.name === "page").schema.default).toBe(1);
    expect(params.find((p: any) => p.name === "limit").schema.default).toBe(100);
  });

  test("every SDK route and the main workspace routes carry a response example, and a request example where they take a body", () => {
    const team = "/api/v1/organizations/{organization_id}/teams/{team_id}";
    const keys = [
      "POST /api/v1/ocr/uploads/direct", "POST /api/v1/ocr/uploads/{job_id}/complete", "POST /api/v1/ocr/uploads/url", "GET /api/v1/ocr/status/{job_id}",
      "GET /api/v1/ocr/result/{job_id}", "DELETE /api/v1/ocr/delete/{job_id}", "GET /api/v1/ocr/models", "GET /api/v1/health",
      `GET ${team}/jobs`, `GET ${team}/jobs/{job_id}`, `GET ${team}/templates`, `POST ${team}/templates`, `GET ${team}/settings`, `PUT ${team}/settings`, `GET ${team}/credits/balance`,
    ];
    for (const key of keys) {
      const o = op(key);
      const success = o.responses["200"] ?? o.responses["201"];
      expect(success.content["application/json"].example, key).toBeDefined();
      if (o.requestBody) expect(o.requestBody.content["application/json"].example, key).toBeDefined();
    }
  });

  test("public routes are marked public; the part PUT takes raw bytes; the page image is image/png; ready and metrics are documented", () => {
    expect(op("GET /api/v1/health").security).toEqual([]);
    expect(op("GET /api/v1/ready").security).toEqual([]);
    expect(op("GET /metrics").security).toEqual([{}, { metricsToken: [] }]);
    const part = op("PUT /api/v1/uploads/{upload_id}/parts/{part_number}");
    expect(part.security).toEqual([]);
    expect(Object.keys(part.requestBody.content)).toEqual(["application/octet-stream"]);
    expect(op("POST /api/v1/ocr/uploads/direct").security).toEqual([{ apiKey: [] }]);
    expect(Object.keys(op("GET /api/v1/organizations/{organization_id}/teams/{team_id}/jobs/{job_id}/pages/{page}/image").responses["200"].content)).toEqual(["image/png"]);
    expect(op("GET /api/v1/ready").responses["503"]).toBeDefined();
    const polar = op("POST /api/v1/webhooks/polar");
    expect(polar.security).toEqual([]);
    expect(Object.keys(polar.requestBody.content)).toEqual(["application/json"]);
    const flow = op("GET /api/v1/organizations/{organization_id}/teams/{team_id}/data-flow").responses["200"].content["application/json"].schema;
    expect(Object.keys(flow.properties)).toEqual(["outside_providers", "models", "storage", "analytics"]);
  });

  test("the docs page shows no developer toolbar, on loopback either", async () => {
    const html = await (await fetch(`${t.baseUrl}/api/v1/docs`)).text();
    const config = JSON.parse(html.match(/data-configuration='([^']*)'/)![1]!);
    expect(config.showDeveloperTools).toBe("never");
    expect(config.showToolbar).toBe("never");
  });
});
