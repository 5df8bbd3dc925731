/**
 * What the generated OpenAPI document needs beyond what the route models say: `servers` from the
 * request's origin, declared tags, real response descriptions, examples, integer defaults written
 * as integers, and the routes whose bodies are not JSON (the part PUT's raw bytes, the page image,
 * readiness and metrics). Applied to a copy on every request of the document.
 */
import { EXAMPLES } from "./examples";

type Json = Record<string, any>;

const TAGS: { name: string; description: string }[] = [
  { name: "SDK", description: "The LeapOCR v1 routes the official SDKs call: direct and URL uploads, status, results, delete, models. Also served without the /api/v1 prefix." },
  { name: "Operations", description: "Health, readiness and Prometheus metrics for load balancers and monitoring." },
  { name: "Jobs", description: "A team's jobs: list, workflow detail, retry, delete." },
  { name: "Templates", description: "Saved job options (format, model, instructions, schema) that uploads name by template_slug." },
  { name: "Webhooks", description: "Signed job events delivered to a team's endpoints, with delivery history and health." },
  { name: "Team Settings", description: "Retention of a team's files and results." },
  { name: "Credits", description: "Credit grants, usage and limits of teams and organizations." },
  { name: "Analytics", description: "Usage, error, document and confidence statistics of a team." },
  { name: "Authentication", description: "Dashboard sign-in: sessions by Bearer token or cookie." },
  { name: "Teams", description: "Teams of an organization." },
  { name: "API Keys", description: "A team's API keys and their scopes." },
  { name: "Members", description: "A team's members and their roles." },
  { name: "Audit Log", description: "Who changed what, and security events, per team." },
  { name: "Dashboard", description: "Routes the dashboard uses: uploads, results and page images for signed-in users." },
  { name: "Agents (MCP)", description: "The Model Context Protocol endpoint for AI agents (Streamable HTTP, stateless), with the same API keys, scopes, credits and tenant isolation as the SDK routes." },
  { name: "Deployment", description: "What this deployment sends where (model providers, storage)." },
];

const STATUS_TEXT: Record<string, string> = {
  "200": "Success.",
  "201": "Created.",
  "202": "Accepted: the job is still running; the body reports its progress.",
  "204": "Done; no body.",
  "400": "The request is invalid; the LeapOCR error body names the field or option and what to change.",
  "401": "Missing, invalid or expired credentials.",
  "402": "The team has no credits left (LESS_CREDITS).",
  "403": "The credentials are valid but may not do this (role, scope or signature).",
  "404": "No such resource in the caller's team (another team's ids answer the same).",
  "409": "The resource is in a state that does not allow this (for example an upload already completed).",
  "410": "The file was deleted by retention.",
  "413": "The body is larger than this server accepts.",
  "429": "Too many requests; Retry-After says when to try again.",
  "500": "Unexpected server error; the request id in the logs tells the operator what happened.",
  "503": "Not ready: a check failed; the body names it.",
};

const SUCCESS_TEXT: Record<string, string> = {
  "POST /api/v1/ocr/uploads/direct": "The job and the signed part URLs to PUT the file to.",
  "POST /api/v1/ocr/uploads/{job_id}/complete": "The upload is complete and the job is queued.",
  "POST /api/v1/ocr/uploads/url": "The job is created; the server downloads the document.",
  "GET /api/v1/ocr/status/{job_id}": "The job's status and progress.",
  "GET /api/v1/ocr/result/{job_id}": "The finished job's pages, paginated.",
  "DELETE /api/v1/ocr/delete/{job_id}": "The job and all its data are deleted.",
  "GET /api/v1/ocr/models": "The models this server offers.",
  "GET /api/v1/health": "The server is up.",
};

const errorBody = {
  type: "object",
  properties: { code: { type: "string" }, error: { type: "object", properties: { message: { type: "string" } }, required: ["message"] }, details: {} },
  required: ["code", "error"],
};

/** Responses and bodies of routes that answer something other than a JSON model. */
function documentRawRoutes(paths: Json): void {
  const part = paths["/api/v1/uploads/{upload_id}/parts/{part_number}"]?.put;
  if (part) {
    part.requestBody = {
      required: true,
      description: "The part's raw bytes: every part but the last is exactly `chunk_size` bytes.",
      content: { "application/octet-stream": { schema: { type: "string", contentMediaType: "application/octet-stream" } } },
    };
    part.responses["200"] = { description: "The part is stored; the ETag header carries its checksum for the complete call.", headers: { ETag: { schema: { type: "string" }, description: "Quoted MD5 of the part" } } };
  }
  const image = paths["/api/v1/organizations/{organization_id}/teams/{team_id}/jobs/{job_id}/pages/{page}/image"]?.get;
  if (image) {
    image.responses = {
      "200": { description: "The page as a PNG.", content: { "image/png": { schema: { type: "string", contentMediaType: "image/png" } } } },
      "401": { description: STATUS_TEXT["401"], content: { "application/json": { schema: errorBody } } },
      "404": { description: STATUS_TEXT["404"], content: { "application/json": { schema: errorBody } } },
      "410": { description: STATUS_TEXT["410"], content: { "application/json": { schema: errorBody } } },
    };
  }
  const polar = paths["/api/v1/webhooks/polar"]?.post;
  if (polar) {
    polar.parameters = ["webhook-id", "webhook-timestamp", "webhook-signature"].map((name) => ({
      name,
      in: "header",
      required: true,
      schema: { type: "string" },
      description: { "webhook-id": "The event id: an event is acted on once.", "webhook-timestamp": "Unix seconds; more than 5 minutes from this server's clock is refused.", "webhook-signature": "`v1,<base64 HMAC-SHA256 of id.timestamp.body>`, space-separated when several." }[name],
    }));
    polar.requestBody = {
      required: true,
      description: "Polar's event exactly as sent (the signature covers these bytes).",
      content: { "application/json": { schema: { type: "object", properties: { type: { type: "string" }, timestamp: { type: "string" }, data: { type: "object" } }, required: ["type", "data"] } } },
    };
    polar.responses["400"].description = "Missing webhook headers, a timestamp more than 5 minutes off, or a body that is not a Polar event.";
    polar.responses["401"].description = "The signature does not match LEAPOCR_POLAR_WEBHOOK_SECRET.";
  }
  const ready = paths["/api/v1/ready"]?.get;
  if (ready) {
    ready.responses = {
      "200": {
        description: "Ready: every check passed.",
        content: { "application/json": { schema: { type: "object", properties: { status: { const: "ready" }, version: { type: "string" }, checks: { type: "object", additionalProperties: { type: "string" } } }, required: ["status", "version", "checks"] }, example: { status: "ready", version: "0.1.0", checks: { database: "ok", storage: "ok", workers: "ok" } } } },
      },
      "503": { description: STATUS_TEXT["503"], headers: { "Retry-After": { schema: { type: "integer" }, description: "Seconds" } }, content: { "application/json": { schema: errorBody } } },
    };
  }
  const metrics = paths["/metrics"]?.get;
  if (metrics) {
    metrics.responses = {
      "200": { description: "Metrics in the Prometheus text format.", content: { "text/plain": { schema: { type: "string" }, example: "# HELP leapocr_jobs_total Jobs created\n# TYPE leapocr_jobs_total counter\nleapocr_jobs_total 12\n" } } },
      "401": { description: "LEAPOCR_METRICS_TOKEN is set and the Bearer token is missing or wrong.", content: { "application/json": { schema: errorBody } } },
      "404": { description: "Metrics are switched off on this server.", content: { "application/json": { schema: errorBody } } },
    };
  }
}

export function finishDocument(generated: unknown, origin: string): Json {
  const doc = structuredClone(generated) as Json;
  doc.servers = [{ url: origin, description: "This server" }];
  doc.tags = TAGS;
  const paths = (doc.paths ?? {}) as Json;
  documentRawRoutes(paths);
  for (const [path, ops] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(ops as Json)) {
      if (!op || typeof op !== "object") continue;
      delete op.hide;
      const key = `${method.toUpperCase()} ${path}`;
      for (const p of op.parameters ?? []) {
        // Query strings arrive as strings, but the documented value is the number.
        const t = p.schema?.type;
        if ((t === "integer" || t === "number") && typeof p.schema.default === "string" && /^-?\d+(\.\d+)?$/.test(p.schema.default)) p.schema.default = Number(p.schema.default);
      }
      const example = EXAMPLES[key];
      if (example?.request !== undefined && op.requestBody?.content?.["application/json"]) op.requestBody.content["application/json"].example = example.request;
      for (const [status, response] of Object.entries((op.responses ?? {}) as Json)) {
        if (!response.description || /^Response for status/.test(response.description)) {
          response.description = status.startsWith("2") ? (SUCCESS_TEXT[key] ?? `${op.summary ?? "Success"}.`) : (STATUS_TEXT[status] ?? `HTTP ${status}.`);
        }
        if (example && (status === "200" || status === "201") && response.content?.["application/json"]) response.content["application/json"].example = example.response;
      }
    }
  }
  return doc;
}
