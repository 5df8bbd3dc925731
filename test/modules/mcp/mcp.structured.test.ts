/**
 * Structured extraction through the MCP endpoint, on a loopback model server speaking the
 * OpenAI-compatible wire format: with a schema, and with a saved template by slug.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { startTestServer, type TestServer } from "../../helpers/app";
import { defaultTeamOf } from "../../helpers/auth";
import { SAMPLE_PAGES, digitalPdf } from "../../helpers/fixtures";
import { smartHandler, startMockModel, writeModelConfig, type MockModel } from "../../helpers/mock-models";
import { createTemplate } from "../../../src/modules/templates/service";
import { SYSTEM_ACTOR } from "../../../src/modules/audit/service";

const SCHEMA = { type: "object", properties: { title: { type: "string" }, page_count: { type: "integer" } }, required: ["title", "page_count"], additionalProperties: false };

let dir: string;
let model: MockModel;
let t: TestServer;
let client: Client;
const textOf = (r: object) => ((r as { content: { text: string }[] }).content).map((c) => c.text).join("\n");

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "leapocr-mcp-structured-"));
  // The answer counts the pages it was given: proof the extraction saw the whole document.
  model = await startMockModel("openai", smartHandler({ extract: (call) => ({ title: "Quarterly Report", page_count: (call.text.match(/<page number=/g) ?? []).length }) }));
  const configFile = await writeModelConfig(dir, {
    routes: { local: { provider: "openai", base_url: model.baseUrl, model: "test-vlm", max_concurrency: 2, timeout_seconds: 10 } },
    models: [{ name: "standard-v2", display_name: "Standard v2", credits_per_page: 1, steps: { ocr: ["local"], structured: ["local"] } }],
  });
  t = await startTestServer({ configFile }, { retrySleep: async () => {} });
  client = new Client({ name: "leapocr-test", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${t.baseUrl}/api/v1/mcp`), { requestInit: { headers: { Authorization: `Bearer ${t.apiKey}` } } }));
});
afterAll(async () => {
  await client?.close();
  await t?.close();
  await model?.close();
  rmSync(dir, { recursive: true, force: true });
});

const structuredOf = (out: string) => JSON.parse(/Structured result \(whole document\):\n([\s\S]*?)\n\n--- Page/.exec(out)![1]!);

describe("structured extraction over MCP", () => {
  test("with a JSON schema: one object for the whole document", async () => {
    const pdf = Buffer.from(await digitalPdf(SAMPLE_PAGES)).toString("base64");
    const r = await client.callTool({ name: "read_document", arguments: { content_base64: pdf, file_name: "report.pdf", format: "structured", schema: SCHEMA } });
    expect(r.isError).toBeFalsy();
    expect(structuredOf(textOf(r))).toEqual({ title: "Quarterly Report", page_count: 2 });
  });

  test("with a template slug; list_templates and get_template show it", async () => {
    const team = defaultTeamOf(t);
    await createTemplate(t.server.ctx, team.teamId, { name: "Report facts", format: "structured", model: "standard-v2", schema: SCHEMA }, SYSTEM_ACTOR);
    const list = JSON.parse(textOf(await client.callTool({ name: "list_templates", arguments: {} })));
    expect(list.templates.map((x: { slug: string }) => x.slug)).toEqual(["report-facts"]);
    const one = JSON.parse(textOf(await client.callTool({ name: "get_template", arguments: { slug: "report-facts" } })));
    expect(one.schema).toEqual(SCHEMA);
    const pdf = Buffer.from(await digitalPdf(SAMPLE_PAGES)).toString("base64");
    const r = await client.callTool({ name: "read_document", arguments: { content_base64: pdf, file_name: "r.pdf", template_slug: "report-facts" } });
    expect(textOf(r)).toContain("Structured result");
    expect(structuredOf(textOf(r))).toEqual({ title: "Quarterly Report", page_count: 2 });
    const missing = await client.callTool({ name: "get_template", arguments: { slug: "nope" } });
    expect(missing.isError).toBe(true);
    expect(textOf(missing)).toBe('Template "nope" not found for this team.');
  });
});
