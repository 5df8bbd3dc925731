/**
 * Tenant isolation, walked over the server's own OpenAPI document: every documented operation
 * (including ones added after this test was written) is called
 *   - with team A's key and with A's owner session on team B's ids: team- and organization-scoped
 *     paths answer 404 (never 403, which would confirm the id exists), and no body carries B's data;
 *   - with B's revoked key, B's expired key and no credentials: 401 (public routes excepted);
 *   - with B's viewer session, for every mutation: refused (401/403/404), and nothing changed;
 *   - with A's credentials on A's own paths (reads): nothing of B's appears in any list.
 * B's data is looked for in every body: its ids, names, emails, file name, document text and key
 * prefixes (strings the request itself carried, such as an id in the path, are not counted).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "../helpers/app";
import { api, seedKey, seedTenant, type ApiOptions, type Tenant } from "../helpers/auth";
import { SdkClient } from "../helpers/sdk-client";
import { digitalPdf } from "../helpers/fixtures";

/** Routes anyone may call: health, the signed part PUT (its URL carries its own signature), login. */
const PUBLIC = new Set(["GET /api/v1/health", "PUT /api/v1/uploads/{upload_id}/parts/{part_number}", "POST /api/v1/auth/login"]);
/** Mutations anyone may make on their own session; skipped in the session walks (they would end the session). */
const ENDS_SESSION = new Set(["POST /api/v1/auth/logout"]);

type Json = Record<string, any>;
interface Op {
  method: string;
  path: string;
  key: string;
  op: Json;
}

let t: TestServer;
let doc: Json;
let ops: Op[];
let A: Tenant;
let B: Tenant;
const bIds: Ids = { params: {}, objects: {} };
const aIds: Ids = { params: {}, objects: {} };
let bRevoked: { secret: string; id: string; prefix: string };
let bExpired: { secret: string; id: string; prefix: string };
let needles: string[] = [];

const B_FILE = "bravo-zx81-ledger.pdf";
const B_TEXT = "Quokka ledger entry nine hundred";

// ---------------------------------------------------------------- sample values from JSON Schema

function resolveRef(schema: Json): Json {
  let s = schema;
  for (let i = 0; s?.$ref && i < 10; i++) s = s.$ref.split("/").slice(1).reduce((o: Json, k: string) => o?.[k], doc) ?? {};
  return s ?? {};
}

function sample(schemaIn: Json | undefined, depth = 0): unknown {
  const schema = resolveRef(schemaIn ?? {});
  if (depth > 6) return null;
  if ("const" in schema) return schema.const;
  if (schema.enum) return schema.enum[0];
  if (schema.default !== undefined) return schema.default;
  const variants = schema.anyOf ?? schema.oneOf;
  if (variants) return sample(variants.find((v: Json) => resolveRef(v).type !== "null") ?? variants[0], depth + 1);
  if (schema.allOf) return Object.assign({}, ...schema.allOf.map((s: Json) => sample(s, depth + 1)));
  const type = Array.isArray(schema.type) ? schema.type.find((x: string) => x !== "null") : schema.type;
  switch (type) {
    case "object": {
      const out: Json = {};
      for (const name of schema.required ?? []) out[name] = name in HINTS ? HINTS[name] : sample(schema.properties?.[name], depth + 1);
      return out;
    }
    case "array":
      return Array.from({ length: schema.minItems ?? 0 }, () => sample(schema.items, depth + 1));
    case "integer":
    case "number":
      return Math.max(schema.minimum ?? 1, Math.min(schema.maximum ?? 1, 1));
    case "boolean":
      return false;
    case "string": {
      if (schema.format === "uuid") return crypto.randomUUID();
      if (schema.format === "email") return "sample@example.test";
      if (schema.format === "uri" || schema.format === "url") return "https://hooks.example.invalid/hook";
      if (schema.format === "date-time") return new Date().toISOString();
      const s = "sample-value";
      return s.padEnd(schema.minLength ?? 0, "x").slice(0, schema.maxLength ?? s.length);
    }
    default:
      return {};
  }
}

function bodyOf(op: Json): unknown {
  const content = op.requestBody?.content;
  if (!content) return undefined;
  const json = content["application/json"] ?? Object.values(content)[0];
  return sample((json as Json)?.schema ?? { type: "object" });
}

function queryOf(op: Json): string {
  const q = new URLSearchParams();
  for (const p of op.parameters ?? []) if (p.in === "query" && p.required) q.set(p.name, String(sample(p.schema)));
  const s = q.toString();
  return s ? `?${s}` : "";
}

/**
 * Values for properties whose shape the schema cannot say (a URL the server may fetch, a model
 * that exists). The URL is a loopback receiver the server is told to trust: the walk reaches
 * webhook tests and health checks, and tests connect to loopback only.
 */
const receiver = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("ok") });
const HINTS: Record<string, unknown> = { url: `http://127.0.0.1:${receiver.port}/hook`, model: "standard-v2", events: ["job.completed"] };

/** Ids of one team: the well-known params, and objects by the collection path they live under. */
interface Ids {
  params: Record<string, string>;
  objects: Record<string, string>;
}

/** Fills {params}: team ids, then the object made under that collection, else a fixed made-up UUID (which must be a 404 anyway). */
const MADE_UP_ID = "00000000-0000-4000-8000-00000000beef";
function fill(path: string, ids: Ids): string {
  return path.replace(/\{(\w+)\}/g, (whole: string, name: string, offset: number) => {
    const collection = path.slice(0, offset - 1);
    return encodeURIComponent(ids.params[name] ?? ids.objects[collection] ?? MADE_UP_ID);
  });
}

/** Makes one object in a collection through its documented POST; answers its id. */
async function makeObject(collection: string, ids: Ids, owner: ApiOptions): Promise<string | undefined> {
  const post = doc.paths[collection]?.post;
  if (!post) return undefined;
  const res = await api(t, "POST", fill(collection, ids), { ...owner, body: bodyOf(post) ?? {} });
  if (res.status >= 200 && res.status < 300 && typeof res.body === "object") return res.body.id ?? res.body.data?.id;
  if (process.env.ISOLATION_DEBUG) console.log("could not make", collection, res.status, res.text.slice(0, 300));
  return undefined;
}

// ---------------------------------------------------------------- helpers

const isScoped = (path: string) => /\{(organization_id|team_id)\}/.test(path);
const acceptsApiKey = (op: Op) => (op.op.security ?? doc.security ?? []).some((s: Json) => "apiKey" in s);
/** Sessions work on the workspace (team and organization) routes and wherever the document says so; the SDK routes take keys only. */
const acceptsSession = (op: Op) => isScoped(op.path) || (op.op.security ?? []).some((s: Json) => "bearer" in s || "sessionCookie" in s);
/** No credentials needed: `security: []`, or an empty requirement among the alternatives (metrics without a token). */
const isPublic = (op: Op) => PUBLIC.has(op.key) || (Array.isArray(op.op.security) && (op.op.security.length === 0 || op.op.security.some((s: Json) => Object.keys(s).length === 0)));
/** Public routes that answer 200 to anyone by design (probes and scrapers); other public routes need a signature or a body. */
const OPEN = new Set(["GET /api/v1/health", "GET /api/v1/ready", "GET /metrics", "GET /api/v1/dashboard/about"]);
const isMutation = (op: Op) => !["GET", "HEAD", "OPTIONS"].includes(op.method);

/** B's data that appears in a body without having been in the request. */
function leaks(text: string, request: string): string[] {
  return needles.filter((n) => !request.includes(n) && text.includes(n));
}

async function call(op: Op, ids: Ids, creds: ApiOptions) {
  const url = fill(op.path, ids) + queryOf(op.op);
  const body = isMutation(op) ? (bodyOf(op.op) ?? {}) : undefined;
  const res = await api(t, op.method, url, { ...creds, body });
  return { ...res, url, request: url + JSON.stringify(body ?? "") };
}

beforeAll(async () => {
  t = await startTestServer({ rateLimitPerIp: 0, rateLimitPerKey: 0, loginMaxFailures: 0, urlAllowHosts: `127.0.0.1:${receiver.port}` });
  A = await seedTenant(t, "Alpha", { useDefault: true });
  B = await seedTenant(t, "Bravo-ZX81");
  // A document of team B, uploaded the way the SDKs do it.
  const pdf = await digitalPdf([{ heading: "Bravo quarterly", paragraphs: [B_TEXT] }]);
  const bClient = new SdkClient(t.baseUrl, B.key.secret);
  const bJob = await bClient.upload(pdf, B_FILE);
  await bClient.waitForJob(bJob, 60_000).catch(() => undefined);
  bRevoked = seedKey(t, B.teamId, { name: "bravo revoked", revoked: true });
  bExpired = seedKey(t, B.teamId, { name: "bravo expired", expiresAt: Date.now() - 1000 });
  const aPdf = await digitalPdf([{ heading: "Alpha notes", paragraphs: ["Nothing to see in team A."] }]);
  const aJob = await new SdkClient(t.baseUrl, A.key.secret).upload(aPdf, "alpha.pdf");

  doc = (await (await fetch(`${t.baseUrl}/api/v1/docs/openapi.json`)).json()) as Json;
  ops = Object.entries<Json>(doc.paths).flatMap(([path, byMethod]) =>
    Object.entries<Json>(byMethod).filter(([m]) => ["get", "post", "put", "patch", "delete"].includes(m)).map(([m, op]) => ({ method: m.toUpperCase(), path, key: `${m.toUpperCase()} ${path}`, op })),
  );

  Object.assign(bIds.params, { organization_id: B.orgId, team_id: B.teamId, job_id: bJob, key_id: B.key.id, user_id: B.users.member.id, session_id: B.sessions.owner.sessionId });
  Object.assign(aIds.params, { organization_id: A.orgId, team_id: A.teamId, job_id: aJob, key_id: A.key.id, user_id: A.users.member.id, session_id: A.sessions.viewer.sessionId });
  // Objects of other kinds (templates, webhooks, ...): one made in each team through the collection's own POST.
  const collections = new Set<string>();
  for (const op of ops) {
    for (const m of op.path.matchAll(/\{(\w+)\}/g)) {
      if (!(m[1]! in bIds.params)) collections.add(op.path.slice(0, m.index! - 1));
    }
  }
  for (const c of collections) {
    const b = await makeObject(c, bIds, { session: B.sessions.owner });
    if (b) bIds.objects[c] = b;
    const a = await makeObject(c, aIds, { session: A.sessions.owner });
    if (a) aIds.objects[c] = a;
  }

  needles = [
    B.orgId, B.teamId, bJob, B_FILE, B_TEXT, "Quokka", "Bravo-ZX81",
    B.key.id, B.key.prefix, B.key.secret, bRevoked.id, bRevoked.prefix, bExpired.id, bExpired.prefix,
    ...Object.values(B.users).flatMap((u) => [u.id, u.email]),
    ...Object.values(B.sessions).flatMap((s) => [s.sessionId, s.token, s.csrfToken]),
    ...Object.values(bIds.objects),
  ];
}, 120_000);
afterAll(async () => {
  await t.close();
  receiver.stop(true);
});

describe("isolation over every documented route", () => {
  test("the document lists the routes this test relies on", () => {
    const keys = ops.map((o) => o.key);
    for (const k of ["GET /api/v1/ocr/status/{job_id}", "GET /api/v1/organizations/{organization_id}/teams/{team_id}/settings", "GET /api/v1/organizations/{organization_id}/teams/{team_id}/api-keys", "GET /api/v1/organizations/{organization_id}/teams/{team_id}/audit-logs", "GET /api/v1/auth/verify"]) {
      expect(keys).toContain(k);
    }
    // Every operation is either public by the table / `security: []`, or declares how it authenticates.
    for (const op of ops) if (!isPublic(op)) expect({ op: op.key, security: (op.op.security ?? doc.security ?? []).length > 0 }).toEqual({ op: op.key, security: true });
  });

  test("another team's key and another team's session get 404 on team B's paths, and never B's data", async () => {
    const problems: string[] = [];
    for (const op of ops) {
      if (isPublic(op)) continue;
      for (const [who, creds] of [["A's key", { apiKey: A.key.secret }], ["A's owner session", { session: A.sessions.owner }]] as const) {
        if (who !== "A's key" && ENDS_SESSION.has(op.key)) continue;
        const res = await call(op, bIds, creds);
        const keyRefused = who === "A's key" ? !acceptsApiKey(op) : !acceptsSession(op);
        const expected = keyRefused ? [401] : isScoped(op.path) || /\{(job_id|key_id|user_id|session_id|id|event_id)\}/.test(op.path) ? [404] : null;
        if (expected && !expected.includes(res.status)) problems.push(`${who} ${op.method} ${res.url}: ${res.status}, expected ${expected.join("/")}: ${res.text.slice(0, 200)}`);
        if (!expected && (res.status >= 500 || (res.status >= 200 && res.status < 300 && isMutation(op) && /\{/.test(op.path)))) problems.push(`${who} ${op.method} ${res.url}: ${res.status}`);
        const leaked = leaks(res.text, res.request);
        if (leaked.length > 0) problems.push(`${who} ${op.method} ${res.url}: body carries B's ${leaked.join(", ")}`);
      }
    }
    expect(problems).toEqual([]);
  }, 120_000);

  test("a revoked key, an expired key and no credentials get 401 everywhere but the public routes", async () => {
    const problems: string[] = [];
    for (const op of ops) {
      for (const [who, creds] of [["B's revoked key", { apiKey: bRevoked.secret }], ["B's expired key", { apiKey: bExpired.secret }], ["no credentials", {}]] as const) {
        const res = await call(op, bIds, creds);
        if (isPublic(op)) {
          if (res.status >= 500 || (op.method !== "POST" && res.status < 300 && !OPEN.has(op.key))) problems.push(`${who} ${op.key}: ${res.status}`);
        } else if (res.status !== 401) {
          problems.push(`${who} ${op.method} ${res.url}: ${res.status}, expected 401: ${res.text.slice(0, 200)}`);
        } else if (res.body?.code !== "AUTHENTICATION_ERROR") {
          problems.push(`${who} ${op.key}: 401 without the LeapOCR error body`);
        }
        const leaked = leaks(res.text, res.request);
        if (leaked.length > 0) problems.push(`${who} ${op.key}: body carries B's ${leaked.join(", ")}`);
      }
    }
    expect(problems).toEqual([]);
  }, 120_000);

  test("a viewer's session is refused every mutation of its own team, which stays unchanged", async () => {
    const snapshot = async () => {
      const out: Record<string, string> = {};
      for (const op of ops) {
        if (op.method !== "GET" || !isScoped(op.path) || op.path.includes("audit-logs")) continue;
        const res = await call(op, bIds, { session: B.sessions.owner });
        // Times move (ranges ending now, last use, a health check's round trip); everything else must be as it was.
        const text = res.text.replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, "<time>").replace(/"response_time_ms":\d+/g, '"response_time_ms":"<ms>"');
        out[op.key] = `${res.status} ${text}`;
      }
      return out;
    };
    const before = await snapshot();
    const problems: string[] = [];
    for (const op of ops) {
      if (!isMutation(op) || isPublic(op) || ENDS_SESSION.has(op.key)) continue;
      const res = await call(op, bIds, { session: B.sessions.viewer });
      const expected = acceptsSession(op) ? [403, 404] : [401];
      if (!expected.includes(res.status)) problems.push(`viewer ${op.method} ${res.url}: ${res.status}, expected ${expected.join("/")}: ${res.text.slice(0, 200)}`);
    }
    expect(problems).toEqual([]);
    const after = await snapshot();
    expect(after).toEqual(before);
    // Team B's job, key and viewer session are all still there.
    expect((await api(t, "GET", `/api/v1/ocr/status/${bIds.params.job_id}`, { apiKey: B.key.secret })).status).toBe(200);
    expect((await api(t, "GET", "/api/v1/auth/verify", { session: B.sessions.viewer })).status).toBe(200);
  }, 120_000);

  test("team A's own reads and lists never include team B's data", async () => {
    const problems: string[] = [];
    for (const op of ops) {
      if (op.method !== "GET" || isPublic(op)) continue;
      for (const [who, creds] of [["A's key", { apiKey: A.key.secret }], ["A's owner session", { session: A.sessions.owner }]] as const) {
        const res = await call(op, aIds, creds);
        if (res.status >= 500) problems.push(`${who} ${op.key}: ${res.status}`);
        const leaked = leaks(res.text, res.request);
        if (leaked.length > 0) problems.push(`${who} ${op.method} ${res.url}: body carries B's ${leaked.join(", ")}`);
      }
    }
    expect(problems).toEqual([]);
  }, 120_000);

  test("the walk covered the objects of team B it could make", () => {
    // At least a job, a key, a member and a session of B were real ids in the walk.
    for (const k of ["job_id", "key_id", "user_id", "session_id"]) expect(needles).toContain(bIds.params[k]!);
    if (process.env.ISOLATION_DEBUG) console.log("objects of B", bIds.objects);
  });
});
