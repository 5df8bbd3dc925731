/**
 * GET /api/v1/dashboard/about, what the dashboard's help menu shows: version, API docs, and the
 * support link only when the operator set LEAPOCR_SUPPORT_URL, which is checked at start.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { ConfigError, loadConfig } from "../../../src/config";
import { startTestServer, type TestServer } from "../../helpers/app";
import pkg from "../../../package.json";

const servers: TestServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.close();
});

describe("about this server", () => {
  test("without LEAPOCR_SUPPORT_URL: version and docs, support_url null, no credentials needed; the docs it names answer", async () => {
    const t = await startTestServer();
    servers.push(t);
    const res = await fetch(`${t.baseUrl}/api/v1/dashboard/about`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { version: string; docs_url: string; openapi_url: string; support_url: string | null };
    expect(body).toEqual({ version: pkg.version, docs_url: "/api/v1/docs", openapi_url: "/api/v1/docs/openapi.json", support_url: null });
    expect((await fetch(`${t.baseUrl}${body.docs_url}`)).status).toBe(200);
    const spec = (await (await fetch(`${t.baseUrl}${body.openapi_url}`)).json()) as { paths: Record<string, { get?: { responses: Record<string, unknown> } }> };
    // Documented in the OpenAPI document, with its response model.
    expect(Object.keys(spec.paths["/api/v1/dashboard/about"]?.get?.responses ?? {})).toEqual(["200"]);
  });

  test("with LEAPOCR_SUPPORT_URL, the link is handed out as set", async () => {
    const t = await startTestServer({ supportUrl: "https://support.example.invalid/book-a-call" });
    servers.push(t);
    const body = (await (await fetch(`${t.baseUrl}/api/v1/dashboard/about`)).json()) as { support_url: string | null };
    expect(body.support_url).toBe("https://support.example.invalid/book-a-call");
  });

  test("a support link that is not an https://, http:// or mailto: link stops the start with a message naming the setting", () => {
    for (const bad of ["support.example.com", "javascript:alert(1)", "ftp://files.example.com/", "mailto:nobody", "https://"]) {
      expect(() => loadConfig({}, { LEAPOCR_SUPPORT_URL: bad })).toThrow(ConfigError);
      expect(() => loadConfig({}, { LEAPOCR_SUPPORT_URL: bad })).toThrow(/--support-url \/ LEAPOCR_SUPPORT_URL: .*must be an https:\/\/, http:\/\/ or mailto: link/);
    }
    expect(loadConfig({}, { LEAPOCR_SUPPORT_URL: "mailto:help@example.com" }).supportUrl).toBe("mailto:help@example.com");
    expect(loadConfig({}, { LEAPOCR_SUPPORT_URL: " https://cal.example.com/acme/30min " }).supportUrl).toBe("https://cal.example.com/acme/30min");
    expect(loadConfig({}, {}).supportUrl).toBe("");
  });
});
