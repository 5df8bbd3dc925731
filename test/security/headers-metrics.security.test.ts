/**
 * Issue 15, finding 15: /metrics was open to anyone by default; the docs page sent no CSP,
 * frame-ancestors or nosniff; JSON responses had no nosniff. Metrics without a token now answer
 * this machine only (a loopback socket, no proxy in between); every response carries the
 * security headers, the docs page with a policy of its own.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "../helpers/app";
import { isLocalScrape } from "../../src/modules/health";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.close());

describe("finding 15: metrics need a token or this machine, and every response carries security headers", () => {
  test("without a token, /metrics answers a direct loopback scrape and refuses a request that came through a proxy or from elsewhere", async () => {
    expect((await fetch(`${t.baseUrl}/metrics`)).status).toBe(200);
    for (const headers of [{ "x-forwarded-for": "198.51.100.7" }, { forwarded: "for=198.51.100.7" }, { "x-real-ip": "198.51.100.7" }] as Record<string, string>[]) {
      const res = await fetch(`${t.baseUrl}/metrics`, { headers });
      expect(res.status, JSON.stringify(headers)).toBe(401);
      const body = (await res.json()) as any;
      expect(body.code).toBe("AUTHENTICATION_ERROR");
      expect(body.error.message).toContain("LEAPOCR_METRICS_TOKEN");
    }
    const direct = new Request("http://x/metrics");
    expect(isLocalScrape(direct, "127.0.0.1")).toBe(true);
    expect(isLocalScrape(direct, "::ffff:127.0.0.1")).toBe(true);
    expect(isLocalScrape(direct, "::1")).toBe(true);
    expect(isLocalScrape(direct, "192.0.2.10")).toBe(false);
    expect(isLocalScrape(direct, "10.0.0.5")).toBe(false);
    expect(isLocalScrape(direct, null)).toBe(false);
  });

  test("with a token, /metrics needs it from loopback too", async () => {
    const s = await startTestServer({ metricsToken: "scrape-secret-123" });
    try {
      expect((await fetch(`${s.baseUrl}/metrics`)).status).toBe(401);
      expect((await fetch(`${s.baseUrl}/metrics`, { headers: { authorization: "Bearer scrape-secret-123", "x-forwarded-for": "198.51.100.7" } })).status).toBe(200);
    } finally {
      await s.close();
    }
  });

  test("JSON answers, errors and unknown routes carry nosniff, no framing and a CSP that loads nothing", async () => {
    for (const [path, status] of [["/api/v1/health", 200], ["/api/v1/ocr/models", 401], ["/api/v1/nothing-here", 404], ["/api/v1/docs/openapi.json", 200]] as const) {
      const res = await fetch(`${t.baseUrl}${path}`);
      expect(res.status, path).toBe(status);
      expect(res.headers.get("x-content-type-options"), path).toBe("nosniff");
      expect(res.headers.get("x-frame-options"), path).toBe("DENY");
      expect(res.headers.get("referrer-policy"), path).toBe("no-referrer");
      expect(res.headers.get("content-security-policy"), path).toStartWith("default-src 'none'");
      expect(res.headers.get("content-security-policy"), path).toContain("frame-ancestors 'none'");
    }
  });

  test("the docs page has its own CSP (this server only, never framed) and nosniff; the dashboard keeps its own", async () => {
    const docs = await fetch(`${t.baseUrl}/api/v1/docs`);
    expect(docs.status).toBe(200);
    const csp = docs.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("https:");
    expect(docs.headers.get("x-content-type-options")).toBe("nosniff");
    expect(docs.headers.get("x-frame-options")).toBe("DENY");
    const dashboard = await fetch(`${t.baseUrl}/`);
    expect(dashboard.headers.get("content-security-policy")).toContain("connect-src 'self'");
  });
});
