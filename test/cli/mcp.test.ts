/**
 * `leapocr mcp` over stdio, driven by the official MCP client's StdioClientTransport: a separate
 * `bun src/main.ts mcp` process reading local files with the embedded engine.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { SAMPLE_PAGES, digitalPdf } from "../helpers/fixtures";
import { startTestServer } from "../helpers/app";

let dir: string;
let client: Client;
const textOf = (r: object) => ((r as { content: { text: string }[] }).content).map((c) => c.text).join("\n");

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "leapocr-mcp-"));
  writeFileSync(join(dir, "report.pdf"), await digitalPdf(SAMPLE_PAGES));
  writeFileSync(join(dir, "notes.txt"), "just text");
  writeFileSync(join(dir, "scan.png"), await Bun.file(join(import.meta.dir, "../fixtures/ocr/phototest.png")).bytes());
  client = new Client({ name: "leapocr-test", version: "1.0.0" });
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [join(import.meta.dir, "../../src/main.ts"), "mcp", "--ocr-workers", "1"], stderr: "pipe" }));
});
afterAll(async () => {
  await client.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("leapocr mcp (stdio)", () => {
  test("lists its tools with JSON Schema inputs", async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(["list_models", "read_local_document"]);
    expect(tools.find((t) => t.name === "read_local_document")!.inputSchema.required).toEqual(["path"]);
  });

  test("reads a local digital PDF; pages carry their numbers", async () => {
    const r = await client.callTool({ name: "read_local_document", arguments: { path: join(dir, "report.pdf") } });
    expect(r.isError).toBeFalsy();
    const out = textOf(r);
    expect(out).toContain("report.pdf: 2 page(s)");
    expect(out).toContain("--- Page 1 ---");
    expect(out).toContain("Quarterly Report");
    const second = textOf(await client.callTool({ name: "read_local_document", arguments: { path: join(dir, "report.pdf"), pages: "2" } }));
    expect(second).toContain("--- Page 2 ---");
    expect(second).not.toContain("--- Page 1 ---");
  });

  test("reads a local scan with the embedded OCR engine", async () => {
    const r = await client.callTool({ name: "read_local_document", arguments: { path: join(dir, "scan.png") } });
    expect(r.isError).toBeFalsy();
    const out = textOf(r);
    expect(out).toContain("--- Page 1 ---");
    expect(out).toMatch(/quick brown dog/);
  }, 60_000);

  test("a missing file, an unsupported file and a page past the end are tool errors with a clear message", async () => {
    const missing = await client.callTool({ name: "read_local_document", arguments: { path: join(dir, "nope.pdf") } });
    expect(missing.isError).toBe(true);
    expect(textOf(missing)).toContain("Cannot read");
    const txt = await client.callTool({ name: "read_local_document", arguments: { path: join(dir, "notes.txt") } });
    expect(txt.isError).toBe(true);
    expect(textOf(txt)).toMatch(/not supported|unknown type|PDF/i);
    const past = await client.callTool({ name: "read_local_document", arguments: { path: join(dir, "report.pdf"), pages: "3" } });
    expect(past.isError).toBe(true);
    expect(textOf(past)).toContain("the document has 2 page(s)");
  });
});

test("with --url and LEAPOCR_API_KEY it forwards to a server's MCP endpoint", async () => {
  const server = await startTestServer();
  const remote = new Client({ name: "leapocr-test", version: "1.0.0" });
  try {
    await remote.connect(new StdioClientTransport({
      command: process.execPath, args: [join(import.meta.dir, "../../src/main.ts"), "mcp", "--url", server.baseUrl],
      env: { ...process.env, LEAPOCR_API_KEY: server.apiKey } as Record<string, string>, stderr: "pipe",
    }));
    const { tools } = await remote.listTools();
    expect(tools.map((t) => t.name)).toContain("read_document");
    const pdf = Buffer.from(await digitalPdf(SAMPLE_PAGES)).toString("base64");
    const out = textOf(await remote.callTool({ name: "read_document", arguments: { content_base64: pdf, file_name: "fwd.pdf" } }));
    expect(out).toContain("fwd.pdf");
    expect(out).toContain("Quarterly Report");
    const jobs = server.server.ctx.db.$client.query("SELECT file_name FROM jobs").all() as { file_name: string }[];
    expect(jobs.map((j) => j.file_name)).toEqual(["fwd.pdf"]);
  } finally {
    await remote.close().catch(() => {});
    await server.close();
  }
}, 60_000);
