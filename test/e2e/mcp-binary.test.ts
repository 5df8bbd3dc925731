/**
 * The compiled executable serves MCP both ways: `leapocr mcp` over stdio (the SDK loaded from
 * inside the binary, local files read by the embedded engine) and /api/v1/mcp over HTTP.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { copyBinaryTo } from "../helpers/binary";
import { startServerProcess, type ServerProcess } from "../helpers/process";
import { TEST_API_KEY } from "../helpers/app";
import { digitalPdf, SAMPLE_PAGES } from "../helpers/fixtures";

const dir = mkdtempSync(join(tmpdir(), "leapocr-mcp-binary-"));
const binary = join(dir, "leapocr");
let server: ServerProcess;
const clients: Client[] = [];
const textOf = (r: object) => ((r as { content: { text: string }[] }).content).map((c) => c.text).join("\n");

beforeAll(async () => {
  copyBinaryTo(dir);
  writeFileSync(join(dir, "report.pdf"), await digitalPdf(SAMPLE_PAGES));
  server = await startServerProcess([binary], { cwd: dir, dataDir: "./data", env: { LEAPOCR_OCR_WORKERS: "1" } });
}, 180_000);
afterAll(async () => {
  for (const c of clients) await c.close().catch(() => {});
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("MCP in the single executable", () => {
  test("leapocr mcp over stdio reads a local PDF", async () => {
    const client = new Client({ name: "leapocr-test", version: "1.0.0" });
    clients.push(client);
    await client.connect(new StdioClientTransport({ command: binary, args: ["mcp", "--ocr-workers", "1"], cwd: dir, stderr: "pipe" }));
    const out = textOf(await client.callTool({ name: "read_local_document", arguments: { path: join(dir, "report.pdf") } }));
    expect(out).toContain("--- Page 2 ---");
    expect(out).toContain("Quarterly Report");
  }, 60_000);

  test("the server's /api/v1/mcp reads a PDF sent as base64", async () => {
    const client = new Client({ name: "leapocr-test", version: "1.0.0" });
    clients.push(client);
    await client.connect(new StreamableHTTPClientTransport(new URL(`${server.baseUrl}/api/v1/mcp`), { requestInit: { headers: { Authorization: `Bearer ${TEST_API_KEY}` } } }));
    const pdf = Buffer.from(await digitalPdf(SAMPLE_PAGES)).toString("base64");
    const out = textOf(await client.callTool({ name: "read_document", arguments: { content_base64: pdf, file_name: "report.pdf" } }));
    expect(out).toContain("--- Page 1 ---");
    expect(out).toContain("Quarterly Report");
  }, 60_000);
});
