/**
 * Serves the dashboard files embedded from public/ (see scripts/embed-public.ts): `/` is the
 * single-page shell, every other file at its own path. Each file is read once and kept in
 * memory with its ETag; browsers revalidate (no-cache + ETag -> 304), so a new binary's files
 * are picked up at once without hashed names. Every response carries a Content-Security-Policy
 * that allows this server alone, plus the analytics hosts only when analytics is configured.
 */
import type { Config } from "../../config";
import { analyticsCsp, analyticsEnabled, analyticsScript } from "./analytics";
import { publicAssets } from "./assets.generated";

const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  svg: "image/svg+xml",
  png: "image/png",
  ico: "image/x-icon",
  json: "application/json; charset=utf-8",
  txt: "text/plain; charset=utf-8",
  webmanifest: "application/manifest+json",
};

export function contentSecurityPolicy(config: Config): string {
  const extra = analyticsCsp(config);
  // With S3 storage the browser PUTs upload parts straight to the bucket's presigned URLs.
  if (config.storage === "s3") extra.connect.push(config.s3Endpoint ? new URL(config.s3Endpoint).origin : "https://*.amazonaws.com");
  const list = (xs: string[]) => ["'self'", ...xs].join(" ");
  return [
    "default-src 'self'",
    `script-src ${list(extra.script)}`,
    "style-src 'self'",
    `img-src ${list([...extra.img, "data:", "blob:"])}`,
    `connect-src ${list(extra.connect)}`,
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

export function securityHeaders(config: Config): Record<string, string> {
  return {
    "content-security-policy": contentSecurityPolicy(config),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
  };
}

interface Loaded {
  body: Uint8Array;
  etag: string;
  type: string;
}

export function createStaticServer(config: Config) {
  const cache = new Map<string, Loaded>();
  const headers = securityHeaders(config);
  const script = analyticsScript(config);

  async function load(path: string): Promise<Loaded | null> {
    const hit = cache.get(path);
    if (hit) return hit;
    let body: Uint8Array;
    if (path === "/analytics.js") {
      if (!script) return null;
      body = new TextEncoder().encode(script);
    } else {
      const file = publicAssets[path];
      if (!file) return null;
      body = new Uint8Array(await Bun.file(file).arrayBuffer());
      if (path === "/index.html" && analyticsEnabled(config)) {
        // Only configured deployments reference a loader at all.
        const html = new TextDecoder().decode(body).replace("</head>", '  <script src="/analytics.js" defer></script>\n</head>');
        body = new TextEncoder().encode(html);
      }
    }
    const ext = path.slice(path.lastIndexOf(".") + 1);
    const loaded = { body, etag: `"${new Bun.CryptoHasher("sha1").update(body).digest("hex").slice(0, 20)}"`, type: TYPES[ext] ?? "application/octet-stream" };
    cache.set(path, loaded);
    return loaded;
  }

  return {
    paths: [...Object.keys(publicAssets), "/analytics.js"],
    async serve(path: string, request: Request): Promise<Response> {
      const file = await load(path === "/" ? "/index.html" : path);
      if (!file) {
        return new Response(JSON.stringify({ code: "NOT_FOUND", error: { message: "No such file." } }), { status: 404, headers: { "content-type": "application/json", ...headers } });
      }
      const h = { ...headers, "content-type": file.type, etag: file.etag, "cache-control": "no-cache" };
      if (request.headers.get("if-none-match") === file.etag) return new Response(null, { status: 304, headers: h });
      return new Response(file.body, { headers: h });
    },
  };
}
