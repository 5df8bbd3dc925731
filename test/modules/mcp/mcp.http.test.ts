/**
 * The remote MCP endpoint, driven by the official MCP client (same SDK) over Streamable HTTP
 * against a real app: tools, a digital PDF, paging, bad key, another team's job, credits.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { startTestServer, type TestServer } from "../../helpers/app";
import { seedKey, seedTeam } from "../../helpers/auth";
import { SAMPLE_PAGES, digitalPdf, scannedPdfFrom } from "../../helpers/fixtures";
import { setCreditLimit } from "../../../src/modules/credits/service";
import { SYSTEM_ACTOR } from "../../../src/modules/audit/service";

let t: TestServer;
const clients: Client[] = [];

async function connect(headers: Record<string, string>): Promise<Client> {
  const client = new Client({ name: "leapocr-test", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${t.baseUrl}/api/v1/mcp`), { requestInit: { headers } }));
  clients.push(client);
  return client;
}

type Content = { type: string; text: string }[];
const textOf = (r: object) => ((r as { content?: unknown }).content as Content).map((c) => c.text).join("\n");
const jobCount = () => (t.server.ctx.db.$client.query("SELECT count(*) AS n FROM jobs").get() as { n: number }).n;

beforeAll(async () => {
  t = await startTestServer({ maxFileBytes: 200_000 });
});
afterAll(async () => {
  for (const c of clients) await c.close().catch(() => {});
  await t.close();
});

describe("MCP over Streamable HTTP", () => {
  let client: Client;
  let jobId: string;

  test("lists the tools, each with a JSON Schema input and a description", async () => {
    client = await connect({ Authorization: `Bearer ${t.apiKey}` });
    const { tools } = await client.listTools();
    expect(tools.map((x) => x.name).sort()).toEqual(["delete_job", "get_template", "job_result", "job_status", "list_models", "list_templates", "read_document"]);
    const read = tools.find((x) => x.name === "read_document")!;
    expect(read.inputSchema.type).toBe("object");
    expect(Object.keys(read.inputSchema.properties ?? {})).toEqual(expect.arrayContaining(["url", "content_base64", "file_name", "format", "schema", "template_slug", "wait_seconds"]));
    expect(read.description!.length).toBeGreaterThan(100);
  });

  test("read_document reads a digital PDF sent as base64; pages carry their numbers", async () => {
    const pdf = await digitalPdf(SAMPLE_PAGES);
    const r = await client.callTool({ name: "read_document", arguments: { content_base64: Buffer.from(pdf).toString("base64"), file_name: "report.pdf" } });
    expect(r.isError).toBeFalsy();
    const out = textOf(r);
    expect(out).toContain("--- Page 1 ---");
    expect(out).toContain("--- Page 2 ---");
    expect(out).toContain("Quarterly Report");
    expect(out).toContain("Revenue grew steadily");
    jobId = /Job ([0-9a-f-]{36})/.exec(out)![1]!;
    const status = await client.callTool({ name: "job_status", arguments: { job_id: jobId } });
    expect(JSON.parse(textOf(status))).toMatchObject({ id: jobId, status: "completed", total_pages: 2 });
  });

  test("read_document reads a scan (no text layer) with the OCR engine", async () => {
    const scan = await scannedPdfFrom(await digitalPdf([SAMPLE_PAGES[0]!]), 150);
    const r = await client.callTool({ name: "read_document", arguments: { content_base64: Buffer.from(scan).toString("base64"), file_name: "scan.pdf", wait_seconds: 120 } });
    expect(r.isError).toBeFalsy();
    const out = textOf(r);
    expect(out).toContain("--- Page 1 ---");
    expect(out.toLowerCase()).toContain("quarterly report");
    expect(out.toLowerCase()).toContain("revenue");
  }, 150_000);

  test("when the job outlasts wait_seconds, read_document answers its job id to poll", async () => {
    const pdf = Buffer.from(await digitalPdf(SAMPLE_PAGES)).toString("base64");
    const out = textOf(await client.callTool({ name: "read_document", arguments: { content_base64: pdf, file_name: "later.pdf", wait_seconds: 0 } }));
    expect(out).toMatch(/^Job [0-9a-f-]{36} is still (pending|processing)/);
    expect(out).toContain("Poll job_status");
    const id = /Job ([0-9a-f-]{36})/.exec(out)![1]!;
    let status = "";
    for (let i = 0; i < 200 && status !== "completed"; i++) {
      status = JSON.parse(textOf(await client.callTool({ name: "job_status", arguments: { job_id: id } }))).status;
      if (status !== "completed") await Bun.sleep(100);
    }
    expect(status).toBe("completed");
    expect(textOf(await client.callTool({ name: "job_result", arguments: { job_id: id } }))).toContain("Quarterly Report");
  });

  test("job_result pages through a long result, one window at a time", async () => {
    // Distinct words per page (lines repeating across pages with only digits changed are page furniture).
    const names = ["Alpha", "Bravo", "Charlie", "Delta", "Echo"];
    const pages = names.map((n, i) => ({ heading: `${n} chapter`, paragraphs: [`${["Apples", "Rivers", "Mountains", "Lanterns", "Harbors"][i]} are described here in detail.`] }));
    const pdf = await digitalPdf(pages);
    const first = textOf(await client.callTool({ name: "read_document", arguments: { content_base64: Buffer.from(pdf).toString("base64"), file_name: "long.pdf", max_pages: 2 } }));
    const id = /Job ([0-9a-f-]{36})/.exec(first)![1]!;
    expect(first).toContain("Pages 1-2 of 5.");
    expect(first).toContain("Bravo chapter");
    expect(first).not.toContain("--- Page 3 ---");
    expect(first).toContain(`first_page 3`);
    const next = textOf(await client.callTool({ name: "job_result", arguments: { job_id: id, first_page: 3, max_pages: 2 } }));
    expect(next).toContain("Pages 3-4 of 5.");
    expect(next).toContain("--- Page 3 ---");
    expect(next).toContain("Delta chapter");
    expect(next).not.toContain("Bravo chapter");
    const last = textOf(await client.callTool({ name: "job_result", arguments: { job_id: id, first_page: 5 } }));
    expect(last).toContain("Pages 5-5 of 5.");
    expect(last).toContain("Echo chapter");
    expect(last).not.toContain("More pages");
  });

  test("X-API-KEY works too; list_models answers the server's models", async () => {
    const other = await connect({ "X-API-KEY": t.apiKey });
    const r = await other.callTool({ name: "list_models", arguments: {} });
    expect(JSON.parse(textOf(r)).models.map((m: { name: string }) => m.name)).toContain("standard-v2");
  });

  test("a bad key is refused before anything is done", async () => {
    const before = jobCount();
    await expect(connect({ Authorization: "Bearer lo_not_a_real_key_000000000000" })).rejects.toThrow(/401|not valid/);
    // Even a well-formed tool call with a bad key creates nothing.
    const res = await fetch(`${t.baseUrl}/api/v1/mcp`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream", "x-api-key": "lo_wrong" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "read_document", arguments: { url: "http://127.0.0.1:1/a.pdf" } } }),
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain("not valid");
    expect(jobCount()).toBe(before);
  });

  test("another team's job id answers not found, and stays", async () => {
    const team = seedTeam(t, "Other");
    const stranger = await connect({ Authorization: `Bearer ${seedKey(t, team.teamId).secret}` });
    for (const name of ["job_status", "job_result", "delete_job"]) {
      const r = await stranger.callTool({ name, arguments: { job_id: jobId } });
      expect(r.isError).toBe(true);
      expect(textOf(r)).toBe(`Job ${jobId} not found.`);
    }
    const mine = await client.callTool({ name: "job_status", arguments: { job_id: jobId } });
    expect(mine.isError).toBeFalsy();
  });

  test("a key without the scope gets the API's 403 message as a tool error", async () => {
    const readOnly = await connect({ Authorization: `Bearer ${seedKey(t, seedTeam(t, "RO").teamId, { scopes: "jobs:read" }).secret}` });
    const r = await readOnly.callTool({ name: "read_document", arguments: { url: "http://127.0.0.1:1/a.pdf" } });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toContain("needs the jobs:write scope");
  });

  test("a file over the server's limit is a clear tool error", async () => {
    const big = new Uint8Array(210_000);
    big.set(new TextEncoder().encode("%PDF-1.7\n"));
    const before = jobCount();
    const r = await client.callTool({ name: "read_document", arguments: { content_base64: Buffer.from(big).toString("base64"), file_name: "big.pdf" } });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toBe("The file is 210000 bytes; this server accepts at most 200000 bytes.");
    expect(jobCount()).toBe(before);
  });

  test("with no credits left, read_document answers the API's 402 message and creates no job", async () => {
    const team = seedTeam(t, "Broke");
    await setCreditLimit(t.server.ctx, team.teamId, 0, SYSTEM_ACTOR);
    const broke = await connect({ "X-API-KEY": seedKey(t, team.teamId).secret });
    const before = jobCount();
    const pdf = await digitalPdf(SAMPLE_PAGES);
    const r = await broke.callTool({ name: "read_document", arguments: { content_base64: Buffer.from(pdf).toString("base64"), file_name: "x.pdf" } });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toBe("This team has no credits left (balance 0, limit 0). Ask the operator to grant credits or raise the limit.");
    expect(jobCount()).toBe(before);
  });

  test("delete_job deletes the caller's job; it is then not found", async () => {
    const r = await client.callTool({ name: "delete_job", arguments: { job_id: jobId } });
    expect(JSON.parse(textOf(r))).toMatchObject({ job_id: jobId, deleted: true });
    const audit = t.server.ctx.db.$client.query("SELECT actor_type FROM audit_log WHERE action = 'job.deleted' AND target_id = ?").all(jobId) as { actor_type: string }[];
    expect(audit.map((a) => a.actor_type)).toEqual(["api_key"]);
    const gone = await client.callTool({ name: "job_status", arguments: { job_id: jobId } });
    expect(textOf(gone)).toBe(`Job ${jobId} not found.`);
  });
});
