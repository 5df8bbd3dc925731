/**
 * API documentation: the OpenAPI document generated from the routes' valibot models, and the
 * Scalar reference page, both served by the binary itself with no network access:
 *
 *   GET <path>               Scalar UI (HTML)
 *   GET <path>/openapi.json  OpenAPI 3.1 document
 *   GET <path>/scalar.js     Scalar's standalone bundle, embedded in the binary
 *
 * @elysiajs/openapi loads Scalar from jsDelivr by default and Scalar asks fonts.scalar.com for
 * web fonts: both fail on an offline or locked-down host, so the bundle is embedded as a file
 * asset and Scalar is told not to fetch fonts, telemetry or its AI agent.
 */
import { openapi } from "@elysiajs/openapi";
import { toJsonSchema } from "@valibot/to-json-schema";
import { Elysia } from "elysia";
import pkg from "../../../package.json" with { type: "json" };
import { finishDocument } from "./finish";
// No `exports` entry covers the browser bundle, hence the path into node_modules.
import scalarBundlePath from "../../../node_modules/@scalar/api-reference/dist/browser/standalone.js" with { type: "file" };

export const DOCS_PATH = "/api/v1/docs";

/**
 * The docs page's Content-Security-Policy: Scalar from this server only, the document fetched
 * from it, inline styles (Scalar writes its theme into <style> elements), never framed.
 */
export const DOCS_CSP = [
  "default-src 'self'",
  // The hash is the blank body of the page's <script id="api-reference" data-configuration=...>
  // (@elysiajs/openapi's template, pinned): Chromium would otherwise report it as blocked.
  "script-src 'self' 'sha256-TcUB1mzXiQO4GxpTRZ0EMpOXKMU3u+n/q1WrgVIcs1I='",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

export interface DocsOptions {
  /** Where the UI is served; the JSON and the script live beneath it. Default /api/v1/docs. */
  path?: string;
  /** The server's public URL (LEAPOCR_PUBLIC_URL); without it `servers` names the request's origin. */
  publicUrl?: string;
  /** The app's routes, to document request bodies (see withJsonBodies). */
  routes?: () => readonly DocumentedRoute[];
}

export interface DocumentedRoute {
  method: string;
  path: string;
  hooks: { body?: unknown };
}

type Operation = { requestBody?: { content?: Record<string, unknown> } };
type Spec = { paths?: Record<string, Record<string, Operation>> };

/**
 * The guards authenticate in Elysia's parse phase (before a body is read), and
 * @elysiajs/openapi then lists no content type for the body of a guarded route: each such body
 * is documented here as the JSON it is, from the route's own valibot model.
 */
export function withJsonBodies(spec: Spec, routes: readonly DocumentedRoute[]): Spec {
  for (const route of routes) {
    if (!route.hooks.body) continue;
    const op = spec.paths?.[route.path.replace(/:(\w+)/g, "{$1}")]?.[route.method.toLowerCase()];
    const body = op?.requestBody;
    if (!body || (body.content && Object.keys(body.content).length > 0)) continue;
    body.content = { "application/json": { schema: valibotToJsonSchema(route.hooks.body) } };
  }
  return spec;
}

type JsonSchemaObject = Record<string, unknown>;
type ScalarConfig = NonNullable<NonNullable<Parameters<typeof openapi>[0]>["scalar"]>;

/** valibot model -> JSON Schema (2020-12, as OpenAPI 3.1 uses). Parts JSON Schema cannot express
 * (transforms, custom checks) are left out rather than breaking the whole document. */
export function valibotToJsonSchema(schema: unknown): JsonSchemaObject {
  const json = toJsonSchema(schema as Parameters<typeof toJsonSchema>[0], {
    target: "draft-2020-12",
    errorMode: "ignore",
  }) as JsonSchemaObject;
  const { $schema: _dialect, ...rest } = json;
  return rest;
}

let gzippedBundle: Uint8Array<ArrayBuffer> | undefined;

async function serveScalarBundle(request: Request): Promise<Response> {
  const headers: Record<string, string> = {
    "content-type": "text/javascript; charset=utf-8",
    "cache-control": "public, max-age=86400",
    "x-content-type-options": "nosniff",
    vary: "accept-encoding",
  };
  // 4.3 MB as shipped, about 1.2 MB gzipped: compress once, on first request, and keep it.
  if (/\bgzip\b/.test(request.headers.get("accept-encoding") ?? "")) {
    gzippedBundle ??= new Uint8Array(Bun.gzipSync(new Uint8Array(await Bun.file(scalarBundlePath).arrayBuffer())));
    return new Response(gzippedBundle, { headers: { ...headers, "content-encoding": "gzip" } });
  }
  return new Response(Bun.file(scalarBundlePath), { headers });
}

export function docsPlugin(opts: DocsOptions = {}) {
  const path = (opts.path ?? DOCS_PATH).replace(/\/+$/, "");
  const specPath = `${path}/openapi.json`;
  const scriptPath = `${path}/scalar.js`;

  const originOf = (request: Request) => (opts.publicUrl ? opts.publicUrl.replace(/\/+$/, "") : new URL(request.url).origin);
  return new Elysia({ name: "leapocr-docs", seed: path })
    // The generated document, finished per request (servers from the origin; see finish.ts), its
    // guarded routes' JSON bodies written back first (see withJsonBodies).
    .onAfterHandle({ as: "global" }, ({ request, path: routePath, response }) => {
      if (routePath === specPath && response && typeof response === "object" && !(response instanceof Response)) {
        if (opts.routes) withJsonBodies(response as Spec, opts.routes());
        return finishDocument(response, originOf(request));
      }
    })
    .get(scriptPath, ({ request }) => serveScalarBundle(request), { detail: { hide: true } })
    .use(
      openapi({
        path,
        specPath,
        provider: "scalar",
        mapJsonSchema: { valibot: valibotToJsonSchema },
        documentation: {
          info: {
            title: "LeapOCR self-hosted API",
            version: pkg.version,
            description:
              "Self-hostable document OCR server that speaks the LeapOCR v1 API. Authenticate with an API key in the X-API-KEY header.",
            license: { name: "Apache-2.0", identifier: "Apache-2.0" },
          },
          components: {
            securitySchemes: {
              apiKey: { type: "apiKey", in: "header", name: "X-API-KEY" },
              bearer: { type: "http", scheme: "bearer", description: "Session token from POST /api/v1/auth/login" },
              sessionCookie: { type: "apiKey", in: "cookie", name: "leapocr_session", description: "Dashboard session; state-changing requests also need X-CSRF-Token" },
              metricsToken: { type: "http", scheme: "bearer", description: "LEAPOCR_METRICS_TOKEN, when the operator set one" },
            },
          },
          security: [{ apiKey: [] }],
        },
        exclude: { paths: [path, specPath, scriptPath] },
        scalar: {
          // Everything from this server, nothing from a CDN.
          cdn: scriptPath,
          url: specPath,
          withDefaultFonts: false,
          telemetry: false,
          hideClientButton: false,
          // No developer toolbar, on loopback either (Scalar shows it on localhost by default).
          showDeveloperTools: "never",
          showToolbar: "never",
          agent: { disabled: true },
          mcp: { disabled: true },
          authentication: { preferredSecurityScheme: "apiKey" },
          // `agent` and `mcp` are newer Scalar options than the typings @elysiajs/openapi pins.
        } as unknown as ScalarConfig,
      }),
    );
}
