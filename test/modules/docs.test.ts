import { describe, expect, test } from "bun:test";
import { Elysia } from "elysia";
import * as v from "valibot";
import { docsPlugin } from "../../src/modules/docs/index";

const app = new Elysia()
  .use(docsPlugin({}))
  .post("/api/v1/x", ({ body }) => ({ echoed: body.a }), {
    body: v.object({ a: v.string(), pages: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))) }),
  });

const get = (path: string, headers: Record<string, string> = {}) => app.handle(new Request(`http://localhost${path}`, { headers }));

describe("docs plugin", () => {
  test("the OpenAPI document carries the valibot request schema as JSON Schema", async () => {
    const res = await get("/api/v1/docs/openapi.json");
    expect(res.status).toBe(200);
    const doc = (await res.json()) as any;
    expect(doc.info.title).toBe("LeapOCR self-hosted API");
    expect(doc.info.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(doc.components.securitySchemes.apiKey).toEqual({ type: "apiKey", in: "header", name: "X-API-KEY" });
    const schema = doc.paths["/api/v1/x"].post.requestBody.content["application/json"].schema;
    expect(schema.type).toBe("object");
    expect(schema.properties.a).toEqual({ type: "string" });
    expect(schema.properties.pages).toMatchObject({ type: "integer", minimum: 1 });
    expect(schema.required).toEqual(["a"]);
    // The docs' own routes are not documented.
    expect(Object.keys(doc.paths).filter((p) => p.startsWith("/api/v1/docs"))).toEqual([]);
  });

  test("the page loads Scalar from this server only, with no fonts or agent from outside", async () => {
    const res = await get("/api/v1/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    const html = await res.text();
    const srcs = [...html.matchAll(/<(?:script|link)[^>]*(?:src|href)\s*=\s*["']([^"']+)["']/gi)].map((m) => m[1]);
    expect(srcs).toEqual(["/api/v1/docs/scalar.js"]);
    expect(html).not.toContain("cdn.jsdelivr");
    expect(html).not.toMatch(/(src|href)\s*=\s*["']https?:/i);
    const config = JSON.parse(html.match(/data-configuration='([^']*)'/)![1]!);
    expect(config).toMatchObject({ url: "/api/v1/docs/openapi.json", withDefaultFonts: false, agent: { disabled: true } });
  });

  test("the embedded Scalar bundle is served, gzipped when the client accepts it", async () => {
    const plain = await get("/api/v1/docs/scalar.js");
    expect(plain.status).toBe(200);
    expect(plain.headers.get("content-type")).toContain("javascript");
    const js = await plain.text();
    expect(js.length).toBeGreaterThan(1_000_000);
    const zipped = await get("/api/v1/docs/scalar.js", { "accept-encoding": "gzip, br" });
    expect(zipped.headers.get("content-encoding")).toBe("gzip");
    const bytes = new Uint8Array(await zipped.arrayBuffer());
    expect(new TextDecoder().decode(Bun.gunzipSync(bytes))).toBe(js);
  });

  test("the documented route still validates with the same model", async () => {
    const ok = await app.handle(
      new Request("http://localhost/api/v1/x", { method: "POST", headers: { "content-type": "application/json" }, body: '{"a":"hi"}' }),
    );
    expect(await ok.json()).toEqual({ echoed: "hi" });
    const bad = await app.handle(
      new Request("http://localhost/api/v1/x", { method: "POST", headers: { "content-type": "application/json" }, body: '{"a":1}' }),
    );
    expect(bad.status).toBeGreaterThanOrEqual(400);
  });
});
