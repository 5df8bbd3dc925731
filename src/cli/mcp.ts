/**
 * `leapocr mcp`: an MCP server over stdio for desktop agents. It reads local files with the
 * embedded engine (the pipeline `leapocr ocr` uses), with no server, database or network; model
 * routes from --config work as they do for `leapocr ocr`. stdout is the protocol: logs go to stderr.
 *
 * With `--url https://server` (and the key in LEAPOCR_API_KEY, never on the command line where
 * `ps` shows it), it forwards to that server's /api/v1/mcp instead: the remote tools, the
 * remote team's jobs, for agents that only start local (stdio) servers.
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import * as v from "valibot";
import { toJsonSchema } from "@valibot/to-json-schema";
import { ConfigError, loadConfig, type Config } from "../config";
import { createLogger, type LogLevel } from "../lib/logger";
import { DEFAULT_MODEL } from "../adapters/router";
import { sniffDocumentType } from "../pipeline/ingest";
import { holdRenderPool, openDocument } from "../pipeline/document";
import { runPageSteps, runStructuredStep } from "../pipeline/steps";
import { checkUsableSchema } from "../lib/model-json";
import { buildLocalModels, parsePages } from "./ocr";
import pkg from "../../package.json";

const ReadLocalInput = v.object({
  path: v.pipe(v.string(), v.minLength(1), v.description("Absolute path of a local PDF, PNG, JPEG, WebP or TIFF file.")),
  pages: v.optional(v.pipe(v.string(), v.description('Pages to read, e.g. "1-5,8" (default: the first 10; the answer says how to get more).'))),
  schema: v.optional(v.pipe(v.record(v.string(), v.unknown()), v.description("A JSON Schema: extract one object from the document (needs a model route with a structured step, see --config)."))),
  instructions: v.optional(v.pipe(v.string(), v.maxLength(100))),
  model: v.optional(v.pipe(v.string(), v.minLength(1), v.description("A model name from list_models; the default otherwise."))),
});

const schemaOf = (s: v.GenericSchema) => {
  const j = toJsonSchema(s as Parameters<typeof toJsonSchema>[0], { errorMode: "ignore" }) as Record<string, unknown>;
  delete j.$schema;
  return { ...j, type: "object" as const };
};

const DEFAULT_WINDOW = 10;

type Text = { content: { type: "text"; text: string }[]; isError?: boolean };
const text = (s: string): Text => ({ content: [{ type: "text", text: s }] });
const toolError = (s: string): Text => ({ content: [{ type: "text", text: s }], isError: true });

const USAGE = "Usage: leapocr mcp [--config models.json]     MCP server over stdio reading local files\n       LEAPOCR_API_KEY=lo_... leapocr mcp --url https://ocr.example.com   forward to a server's /api/v1/mcp";

/** stdio in, the remote endpoint out: tools/list and tools/call are passed through as they are. */
async function forward(url: string, key: string | undefined): Promise<void> {
  if (!key) throw new ConfigError(`--url needs the API key in LEAPOCR_API_KEY.\n${USAGE}`);
  const endpoint = new URL(url.replace(/\/+$/, "").endsWith("/api/v1/mcp") ? url : `${url.replace(/\/+$/, "")}/api/v1/mcp`);
  const [{ Server }, { StdioServerTransport }, { CallToolRequestSchema, ListToolsRequestSchema }, { Client }, { StreamableHTTPClientTransport }] = await Promise.all([
    import("@modelcontextprotocol/sdk/server/index.js"),
    import("@modelcontextprotocol/sdk/server/stdio.js"),
    import("@modelcontextprotocol/sdk/types.js"),
    import("@modelcontextprotocol/sdk/client/index.js"),
    import("@modelcontextprotocol/sdk/client/streamableHttp.js"),
  ]);
  const remote = new Client({ name: "leapocr-mcp-forward", version: pkg.version });
  await remote.connect(new StreamableHTTPClientTransport(endpoint, { requestInit: { headers: { Authorization: `Bearer ${key}` } } }));
  const server = new Server({ name: "leapocr", version: pkg.version }, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, () => remote.listTools());
  server.setRequestHandler(CallToolRequestSchema, (req) => remote.callTool(req.params));
  const closed = new Promise<void>((resolve) => (server.onclose = resolve));
  await server.connect(new StdioServerTransport());
  process.stdin.on("end", () => void server.close());
  await closed;
  await remote.close();
}

export async function runMcp(args: string[], allFlags: Record<string, string>): Promise<void> {
  const { url, ...flags } = allFlags;
  if (args.length > 0) throw new ConfigError(USAGE);
  if (url) return forward(url, process.env.LEAPOCR_API_KEY);
  const config: Config = loadConfig({ ...flags, "log-level": flags["log-level"] ?? "warn" });
  const logger = createLogger(config.logLevel as LogLevel);
  const models = buildLocalModels(config, logger).registry;
  const [{ Server }, { StdioServerTransport }, { CallToolRequestSchema, ListToolsRequestSchema }] = await Promise.all([
    import("@modelcontextprotocol/sdk/server/index.js"),
    import("@modelcontextprotocol/sdk/server/stdio.js"),
    import("@modelcontextprotocol/sdk/types.js"),
  ]);

  async function readLocal(input: v.InferOutput<typeof ReadLocalInput>): Promise<Text> {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(readFileSync(input.path));
    } catch (err) {
      return toolError(`Cannot read ${input.path}: ${(err as Error).message}`);
    }
    if (bytes.length > config.maxFileBytes) return toolError(`${input.path} is ${bytes.length} bytes; the limit is ${config.maxFileBytes} (--max-file-bytes).`);
    const modelName = input.model ?? DEFAULT_MODEL;
    const model = models.get(modelName);
    if (!model) return toolError(`Unknown model "${modelName}". Available: ${models.names().join(", ")}.`);
    if (input.schema) {
      const unusable = checkUsableSchema(input.schema);
      if (unusable) return toolError(unusable);
      if (!model.supportsStructured) return toolError(`Structured extraction needs a model with a structured step (Gemini or an OpenAI-compatible route, see docs/CONFIG.md); "${modelName}" has none.`);
    }
    const release = holdRenderPool();
    const doc = await openDocument(bytes, sniffDocumentType(bytes), { maxPages: config.maxPages, maxPagePixels: config.maxPagePixels });
    try {
      const numbers = input.pages ? parsePages(input.pages, doc.pageCount) : Array.from({ length: Math.min(doc.pageCount, DEFAULT_WINDOW) }, (_, i) => i + 1);
      const request = { format: input.schema ? ("structured" as const) : ("markdown" as const), extractBoundingBoxes: false, instructions: input.instructions, schema: input.schema };
      const lines: string[] = [`${basename(input.path)}: ${doc.pageCount} page(s), model ${model.name}. Pages ${numbers.join(", ")}.`];
      const last = numbers[numbers.length - 1]!;
      if (!input.pages && last < doc.pageCount) lines.push(`More pages: call read_local_document again with pages "${last + 1}-${Math.min(doc.pageCount, last + DEFAULT_WINDOW)}".`);
      const texts: { pageNumber: number; markdown: string }[] = [];
      const body: string[] = [];
      for (const n of numbers) {
        body.push("", `--- Page ${n} ---`);
        try {
          const out = await runPageSteps(model, models.executor, doc.page(n), request, { jobId: "mcp", logger });
          texts.push({ pageNumber: n, markdown: out.markdown });
          body.push(out.markdown);
        } catch (err) {
          body.push(`(this page could not be read: ${(err as Error).message})`);
        }
      }
      if (input.schema) {
        if (texts.length === 0) return toolError("No page could be read, so nothing was extracted.");
        const value = (await runStructuredStep(model, models.executor, { pages: texts, schema: input.schema, instructions: input.instructions }, { jobId: "mcp" })).value;
        lines.push("", "Structured result:", JSON.stringify(value, null, 2));
      }
      return text([...lines, ...body].join("\n"));
    } finally {
      await doc.close().catch(() => {});
      await release();
    }
  }

  const server = new Server({ name: "leapocr-local", version: pkg.version }, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, () => ({
    tools: [
      {
        name: "read_local_document",
        description:
          "Read a local document (PDF or image) with OCR on this computer, nothing leaves it. Answers markdown per page, each page headed by its page number (cite them), or one structured JSON object with a schema. Reads the first 10 pages unless `pages` names others.",
        inputSchema: schemaOf(ReadLocalInput),
        annotations: { readOnlyHint: true },
      },
      { name: "list_models", description: "The models this local engine offers and whether they can do structured extraction.", inputSchema: { type: "object" as const, properties: {} }, annotations: { readOnlyHint: true } },
    ],
  }));
  server.setRequestHandler(CallToolRequestSchema, async (req) => {
    try {
      if (req.params.name === "list_models") {
        return text(JSON.stringify(models.models.map((m) => ({ name: m.name, description: m.description, supports_structured: m.supportsStructured })), null, 2));
      }
      if (req.params.name !== "read_local_document") return toolError(`Unknown tool "${req.params.name}". Tools: read_local_document, list_models.`);
      const parsed = v.safeParse(ReadLocalInput, req.params.arguments ?? {});
      if (!parsed.success) {
        const issue = parsed.issues[0];
        return toolError(`${issue.path?.map((p) => String(p.key)).join(".") ?? "arguments"}: ${issue.message}`);
      }
      return await readLocal(parsed.output);
    } catch (err) {
      // Unreadable files, bad page ranges, failed model routes: the message a person can act on.
      return toolError((err as Error).message);
    }
  });
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => (server.onclose = resolve));
  await server.connect(transport);
  process.stdin.on("end", () => void server.close());
  await closed;
  await models.close();
}
