/**
 * Operations routes, outside the API key guard:
 * - GET /api/v1/health   the process is up (liveness; Docker's HEALTHCHECK uses it);
 * - GET /api/v1/ready    it can take work (readiness): 503 with the LeapOCR error body and a
 *                        details entry per failed check;
 * - GET /metrics         Prometheus text format; off with LEAPOCR_METRICS=false, behind
 *                        `Authorization: Bearer <LEAPOCR_METRICS_TOKEN>` when a token is set,
 *                        and without a token served to loopback clients only (no proxy between).
 * Ready and metrics stay out of the OpenAPI document: they are for operators, not SDK clients.
 */
import { Elysia } from "elysia";
import * as v from "valibot";
import { timingSafeEqual } from "node:crypto";
import { CONTENT_TYPE } from "../../lib/metrics";
import { normalizeIp } from "../../lib/ip";
import type { Readiness } from "./readiness";
import type { ServerMetrics } from "./metrics";

const Health = v.object({ status: v.literal("ok"), version: v.string() });

export interface OpsOptions {
  readiness: Readiness;
  /** null when metrics are off. */
  metrics: ServerMetrics | null;
  metricsToken: string;
  /** The socket address of a request (AppContext.peerAddress). */
  peerAddress?: (request: Request) => string | null;
}

/** Headers a reverse proxy adds: a request carrying one came from further away than its socket says. */
const FORWARDING = ["forwarded", "x-forwarded-for", "x-real-ip"];

/** Without a token, metrics are for this machine only: a loopback socket, and no proxy in between. */
export function isLocalScrape(request: Request, peer: string | null | undefined): boolean {
  if (!peer) return false;
  const ip = normalizeIp(peer);
  return (ip.startsWith("127.") || ip === "::1") && !FORWARDING.some((h) => request.headers.has(h));
}

function tokenMatches(header: string | null, token: string): boolean {
  const given = Buffer.from(header?.startsWith("Bearer ") ? header.slice(7).trim() : "");
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });

/** Answers once the server can take work (migrations applied, worker started). */
export const healthRoutes = (version: string, ops?: OpsOptions) => {
  const app = new Elysia({ name: "health" })
    .get("/api/v1/health", () => ({ status: "ok" as const, version }), {
      response: { 200: Health },
      detail: { summary: "Health", description: "Answers 200 while the process runs (also at /health, where the SDKs call it). No credentials needed.", tags: ["SDK"], security: [] },
    })
    .get("/health", () => ({ status: "ok" as const, version }), { response: { 200: Health }, detail: { hide: true } });
  if (!ops) return app;
  return app
    .get(
      "/api/v1/ready",
      async () => {
        const results = await ops.readiness.check();
        const failed = results.filter((r) => !r.ok);
        const checks = Object.fromEntries(results.map((r) => [r.name, r.ok ? "ok" : r.message]));
        if (failed.length === 0) return json(200, { status: "ready", version, checks });
        for (const f of failed) ops.metrics?.readinessFailures.inc({ check: f.name });
        return json(
          503,
          {
            code: "NOT_READY",
            error: { message: `Not ready: ${failed.map((f) => f.message).join("; ")}.` },
            details: failed.map((f) => ({ check: f.name, message: f.message })),
          },
          { "retry-after": "5" },
        );
      },
      { detail: { summary: "Readiness", description: "200 once the database, storage and workers can take work; 503 with the failed checks (and Retry-After) otherwise. For load balancers; no credentials needed.", tags: ["Operations"], security: [] } },
    )
    .get(
      "/metrics",
      async ({ request }) => {
        if (!ops.metrics) return json(404, { code: "NOT_FOUND", error: { message: "Metrics are switched off on this server (LEAPOCR_METRICS)." } });
        if (ops.metricsToken && !tokenMatches(request.headers.get("authorization"), ops.metricsToken)) {
          return json(401, { code: "AUTHENTICATION_ERROR", error: { message: "Metrics need Authorization: Bearer <LEAPOCR_METRICS_TOKEN>." } }, { "www-authenticate": 'Bearer realm="metrics"' });
        }
        if (!ops.metricsToken && !isLocalScrape(request, ops.peerAddress?.(request))) {
          return json(
            401,
            { code: "AUTHENTICATION_ERROR", error: { message: "Metrics are served to this machine only. To scrape from elsewhere, set LEAPOCR_METRICS_TOKEN and send Authorization: Bearer <token>." } },
            { "www-authenticate": 'Bearer realm="metrics"' },
          );
        }
        await ops.metrics.collect();
        return new Response(ops.metrics.registry.render(), { headers: { "content-type": CONTENT_TYPE } });
      },
      {
        detail: {
          summary: "Prometheus metrics",
          description: "Jobs, pages, model routes, storage and HTTP metrics in the Prometheus text format. Needs `Authorization: Bearer <LEAPOCR_METRICS_TOKEN>` when the operator set a token; 404 when metrics are switched off.",
          tags: ["Operations"],
          security: [{}, { metricsToken: [] }],
        },
      },
    );
};
