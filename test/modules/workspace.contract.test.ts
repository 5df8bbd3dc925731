/**
 * The workspace section of the LeapOCR full reference that issue #6 names (jobs, templates,
 * webhooks, credits, analytics, webhooks/event-types; not billing, onboarding, the R2
 * notification or Polar) exists in this server's generated OpenAPI document under /api/v1 with
 * the same methods, and our success responses carry the reference's field names.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { hasShared, sharedPath } from "../helpers/shared";
import { join } from "node:path";
import { startTestServer, type TestServer } from "../helpers/app";

const HAS_REFERENCE = hasShared("reference/leapocr-openapi-full.json");
const reference = HAS_REFERENCE ? JSON.parse(readFileSync(sharedPath("reference/leapocr-openapi-full.json"), "utf8")) : { paths: {} };
let t: TestServer;
let doc: any;
beforeAll(async () => {
  t = await startTestServer();
  doc = await (await fetch(`${t.baseUrl}/api/v1/docs/openapi.json`)).json();
});
afterAll(() => t.close());

const IN_SCOPE = /^\/organizations\/\{organization_id\}\/(teams\/\{team_id\}\/(jobs|templates|webhooks|credits|analytics)|credits)(\/|$)|^\/webhooks\/event-types$/;
const METHODS = ["get", "post", "put", "patch", "delete"];

function resolve(d: any, schema: any, seen = new Set<string>()): any {
  if (!schema) return schema;
  if (schema.$ref) {
    const ref = schema.$ref as string;
    if (seen.has(ref)) return {};
    const target = ref.replace(/^#\//, "").split("/").reduce((o: any, k: string) => o?.[k], d);
    return resolve(d, target, new Set([...seen, ref]));
  }
  return schema;
}

/** Field names of an object schema, following $ref, allOf and (for pagination) nothing else. */
function fieldsOf(d: any, schema: any): Record<string, any> {
  const s = resolve(d, schema);
  if (!s) return {};
  if (s.allOf) return Object.assign({}, ...s.allOf.map((x: any) => fieldsOf(d, x)));
  return s.properties ?? {};
}

function successSchema(d: any, op: any): { code: string; schema: any } | null {
  for (const code of ["200", "201", "202", "204"]) {
    const r = op.responses?.[code];
    if (r) return { code, schema: r.content?.["application/json"]?.schema };
  }
  return null;
}

const operations = Object.entries<any>(reference.paths)
  .filter(([p]) => IN_SCOPE.test(p))
  .flatMap(([p, ops]) => METHODS.filter((m) => ops[m]).map((m) => ({ path: p, method: m, op: ops[m] })));

test.skipIf(!HAS_REFERENCE)("the reference's workspace section is the expected size (guards the filter)", () => {
  expect(operations.length).toBe(36);
  expect(operations.some((o) => o.path.includes("polar") || o.path.includes("onboarding") || o.path.includes("r2"))).toBe(false);
});

test.skipIf(!HAS_REFERENCE)("every in-scope operation exists with the same method and success status", () => {
  const missing: string[] = [];
  for (const { path, method, op } of operations) {
    const ours = doc.paths[`/api/v1${path}`]?.[method];
    if (!ours) {
      missing.push(`${method.toUpperCase()} ${path}`);
      continue;
    }
    const want = successSchema(reference, op)!.code;
    expect(Object.keys(ours.responses), `${method} ${path}`).toContain(want);
  }
  expect(missing).toEqual([]);
});

test.skipIf(!HAS_REFERENCE)("our success responses carry the reference's field names, and list items theirs", () => {
  const problems: string[] = [];
  for (const { path, method, op } of operations) {
    const ref = successSchema(reference, op);
    const ours = doc.paths[`/api/v1${path}`]?.[method];
    if (!ref?.schema || !ours) continue;
    const oursSchema = ours.responses[ref.code]?.content?.["application/json"]?.schema;
    const refFields = fieldsOf(reference, ref.schema);
    const ourFields = fieldsOf(doc, oursSchema);
    for (const name of Object.keys(refFields)) if (!(name in ourFields)) problems.push(`${method} ${path}: ${name}`);
    // One level down: list items and nested objects (pagination `data`, analytics `jobs`, `timeseries`...).
    for (const [name, refProp] of Object.entries<any>(refFields)) {
      const r = resolve(reference, refProp);
      const o = resolve(doc, ourFields[name]);
      if (!o) continue;
      const refInner = r?.type === "array" ? fieldsOf(reference, r.items) : fieldsOf(reference, r);
      const ourInner = o?.type === "array" ? fieldsOf(doc, o.items) : fieldsOf(doc, o);
      for (const inner of Object.keys(refInner)) if (!(inner in ourInner)) problems.push(`${method} ${path}: ${name}.${inner}`);
    }
  }
  expect(problems).toEqual([]);
});

test.skipIf(!HAS_REFERENCE)("request bodies accept the reference's field names", () => {
  const problems: string[] = [];
  for (const { path, method, op } of operations) {
    const body = op.requestBody?.content?.["application/json"]?.schema;
    if (!body) continue;
    const refSchema = body.oneOf ? body.oneOf.find((x: any) => x.$ref) : body;
    const ours = doc.paths[`/api/v1${path}`][method].requestBody?.content?.["application/json"]?.schema;
    const ourFields = fieldsOf(doc, ours);
    for (const name of Object.keys(fieldsOf(reference, refSchema))) if (!(name in ourFields)) problems.push(`${method} ${path}: ${name}`);
  }
  expect(problems).toEqual([]);
});

test.skipIf(!HAS_REFERENCE)("query parameters of the reference's lists are accepted", () => {
  const problems: string[] = [];
  for (const { path, method, op } of operations) {
    const ours = doc.paths[`/api/v1${path}`][method];
    const ourParams = new Set((ours.parameters ?? []).map((p: any) => `${p.in}:${p.name}`));
    for (const p of op.parameters ?? []) if (!ourParams.has(`${p.in}:${p.name}`)) problems.push(`${method} ${path}: ${p.in} ${p.name}`);
  }
  expect(problems).toEqual([]);
});
