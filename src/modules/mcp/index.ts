/**
 * The remote MCP endpoint (Streamable HTTP, stateless: one MCP server per request, nothing kept
 * between requests), on the official SDK's web-standard transport.
 *
 * Authentication is the SDK routes' own (src/modules/auth/guard.ts): an API key in X-API-KEY or
 * as `Authorization: Bearer`, checked, rate-limited per key, before the body is read. The
 * body's own limit is here (app.ts lists this route among those that limit their raw body):
 * a base64 document needs more than LEAPOCR_MAX_JSON_BYTES.
 */
import { Elysia } from "elysia";
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import type { AppContext } from "../../context";
import { ApiError, badRequest, payloadTooLarge } from "../../lib/errors";
import { readAtMost } from "../../lib/read-body";
import { depthExceeds, MAX_JSON_DEPTH } from "../../lib/request-body";
import { apiKeyActor, authenticate, type Credential } from "../auth";
import { callTool, MAX_INLINE_BYTES, type McpCaller } from "./service";
import { toolList } from "./tools";
import pkg from "../../../package.json";

export const MCP_ROUTE = "/api/v1/mcp";

/** The largest MCP request body: a base64 document of the inline limit, plus the JSON around it. */
export function mcpMaxBodyBytes(ctx: AppContext): number {
  return Math.ceil(Math.min(MAX_INLINE_BYTES, ctx.config.maxFileBytes) / 3) * 4 + ctx.config.maxJsonBytes;
}

function baseUrlOf(ctx: AppContext, request: Request): string {
  return ctx.config.publicUrl ? ctx.config.publicUrl.replace(/\/+$/, "") : new URL(request.url).origin;
}

/** The SDK loads on the first MCP request, not at boot (main.ts imports nothing heavy). */
let sdk: Promise<[typeof import("@modelcontextprotocol/sdk/server/index.js"), typeof import("@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js"), typeof import("@modelcontextprotocol/sdk/types.js")]> | undefined;
const loadSdk = () =>
  (sdk ??= Promise.all([
    import("@modelcontextprotocol/sdk/server/index.js"),
    import("@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js"),
    import("@modelcontextprotocol/sdk/types.js"),
  ]));

async function mcpServer(ctx: AppContext, caller: McpCaller): Promise<{ server: Server; transport: InstanceType<Awaited<ReturnType<typeof loadSdk>>[1]["WebStandardStreamableHTTPServerTransport"]> }> {
  const [{ Server }, { WebStandardStreamableHTTPServerTransport }, { CallToolRequestSchema, ListToolsRequestSchema }] = await loadSdk();
  const server = new Server(
    { name: "leapocr", version: pkg.version },
    {
      capabilities: { tools: {} },
      instructions: "LeapOCR reads documents (PDFs, scans, images) into markdown or structured JSON. Start with read_document; long results come a few pages at a time through job_result.",
    },
  );
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: toolList() }));
  server.setRequestHandler(CallToolRequestSchema, (req) => callTool(ctx, caller, req.params.name, req.params.arguments));
  // Stateless: a fresh server and transport per request; JSON answers, no event stream.
  const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  await server.connect(transport);
  return { server, transport };
}

async function readJson(ctx: AppContext, request: Request): Promise<unknown> {
  const max = mcpMaxBodyBytes(ctx);
  const declared = request.headers.get("content-length");
  if (declared === null) throw new ApiError(411, "BAD_REQUEST", "Send the request body with a Content-Length header (chunked bodies are not accepted here).");
  const tooLarge = () => payloadTooLarge(`The request body is over ${max} bytes, the most this MCP endpoint accepts (base64 documents up to ${Math.min(MAX_INLINE_BYTES, ctx.config.maxFileBytes)} bytes; give larger ones by url).`);
  if (Number(declared) > max) throw tooLarge();
  const bytes = await readAtMost(request, max);
  if (!bytes) throw tooLarge();
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw badRequest("The request body could not be parsed; send a JSON-RPC message with Content-Type: application/json.");
  }
  if (depthExceeds(body)) throw badRequest(`The request body is nested more than ${MAX_JSON_DEPTH} levels deep; flatten it.`);
  return body;
}

export const mcpRoutes = (ctx: AppContext) =>
  new Elysia({ name: "mcp" })
    .post(
      MCP_ROUTE,
      async ({ request, server }) => {
        const cred = authenticate(ctx, request, server, { apiKey: true, session: false, bearerApiKey: true }) as Extract<Credential, { kind: "api_key" }>;
        const auth = { teamId: cred.teamId, apiKeyId: cred.apiKeyId, scopes: cred.scopes, creatorRole: cred.creatorRole };
        const parsedBody = await readJson(ctx, request);
        const caller: McpCaller = { auth, actor: apiKeyActor(ctx, auth, request, server), baseUrl: baseUrlOf(ctx, request) };
        const { server: mcp, transport } = await mcpServer(ctx, caller);
        try {
          return await transport.handleRequest(request, { parsedBody });
        } finally {
          void mcp.close();
        }
      },
      {
        // The body is read above, after the key is checked and within this route's own limit.
        parse: "none",
        detail: {
          summary: "MCP endpoint (Streamable HTTP)",
          description: "Model Context Protocol server for AI agents, stateless Streamable HTTP (JSON-RPC over POST). Authenticate with an API key in X-API-KEY or Authorization: Bearer. Tools: read_document, job_status, job_result, list_models, list_templates, get_template, delete_job.",
          tags: ["Agents (MCP)"],
          security: [{ apiKey: [] }],
        },
      },
    )
    // No server-initiated stream and no sessions in stateless mode (the client accepts 405).
    .get(MCP_ROUTE, ({ set }) => {
      set.status = 405;
      set.headers.allow = "POST";
      return { code: "BAD_REQUEST", error: { message: "This MCP endpoint is stateless: send JSON-RPC messages with POST." } };
    }, { detail: { hide: true } })
    .delete(MCP_ROUTE, ({ set }) => {
      set.status = 405;
      set.headers.allow = "POST";
      return { code: "BAD_REQUEST", error: { message: "This MCP endpoint is stateless: there is no session to end." } };
    }, { detail: { hide: true } });
