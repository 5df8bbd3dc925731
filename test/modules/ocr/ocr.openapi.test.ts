import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { hasShared, sharedPath } from "../../helpers/shared";
import { join } from "node:path";
import { startTestServer, type TestServer } from "../../helpers/app";

let t: TestServer;
let doc: any;
beforeAll(async () => {
  t = await startTestServer();
  doc = await (await fetch(`${t.baseUrl}/api/v1/docs/openapi.json`)).json();
});
afterAll(() => t.close());

// The SDK contract: every operation of the public SDK document must exist here with its request fields.
const HAS_REFERENCE = hasShared("reference/leapocr-openapi-sdk.json");
const reference = HAS_REFERENCE ? JSON.parse(readFileSync(sharedPath("reference/leapocr-openapi-sdk.json"), "utf8")) : { paths: {} };

test.skipIf(!HAS_REFERENCE)("every SDK operation of the LeapOCR reference is documented under /api/v1 with its errors", () => {
  for (const [path, ops] of Object.entries<any>(reference.paths)) {
    for (const method of Object.keys(ops)) {
      const ours = doc.paths[`/api/v1${path}`]?.[method];
      expect(ours, `${method} ${path}`).toBeDefined();
      expect(Object.keys(ours.responses)).toEqual(expect.arrayContaining(["200", "400", "401"]));
      expect(ours.security).toEqual([{ apiKey: [] }]);
    }
  }
});

test.skipIf(!HAS_REFERENCE)("request bodies carry the reference's field names", () => {
  const fields = (p: string) => Object.keys(doc.paths[p].post.requestBody.content["application/json"].schema.properties);
  const refFields = (name: string) => Object.keys(reference.components.schemas[name].properties);
  expect(fields("/api/v1/ocr/uploads/direct")).toEqual(expect.arrayContaining(refFields("upload.InitiateDirectUploadRequest")));
  expect(fields("/api/v1/ocr/uploads/url")).toEqual(expect.arrayContaining(refFields("upload.RemoteURLUploadRequest")));
  expect(fields("/api/v1/ocr/uploads/{job_id}/complete")).toEqual(["parts"]);
});

test("the status response documents the fields the SDKs read", () => {
  const schema = doc.paths["/api/v1/ocr/status/{job_id}"].get.responses["200"].content["application/json"].schema;
  expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(["id", "status", "file_name", "result_format", "processed_pages", "total_pages", "processing_time", "created_at", "progress", "updated_at"]));
});

test("the unprefixed twins of the SDK routes are served but not documented twice", () => {
  expect(Object.keys(doc.paths).filter((p) => p.startsWith("/ocr/"))).toEqual([]);
});

test("the docs page loads nothing from another host", async () => {
  const html = await (await fetch(`${t.baseUrl}/api/v1/docs`)).text();
  const srcs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
  expect(srcs.length).toBeGreaterThan(0);
  for (const s of srcs) expect(s.startsWith("http://") || s.startsWith("https://") || s.startsWith("//")).toBe(false);
  const script = await fetch(`${t.baseUrl}/api/v1/docs/scalar.js`);
  expect(script.status).toBe(200);
});
