/**
 * Deleted data is gone (issue 15, findings 4 and 5). A structured job read by a loopback model
 * route leaves four things the server must forget: the page text, the extracted object, the file
 * name and the instructions. They are made unique per job, and after DELETE, after a 0-day
 * retention purge and after shutdown the test looks for them in every database row, in the raw
 * bytes of every file under the data directory (database, WAL, stored files, unfinished uploads)
 * and, on S3, in the bucket's listing and the raw bytes of the bucket server's own directory.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Database } from "bun:sqlite";
import { startTestServer, type TestServer } from "../helpers/app";
import { SdkClient } from "../helpers/sdk-client";
import { api, defaultTeamOf, login, seedKey, seedTenant, seedUser } from "../helpers/auth";
import { greyPages, startMockModel, stepOf, writeModelConfig, type MockModel } from "../helpers/mock-models";
import { startTestS3, type TestS3 } from "../helpers/s3";
import { findInFiles } from "../helpers/scan";
import { startReceiver, until, type Receiver } from "../modules/jobs/harness";
import type { Config } from "../../src/config";

const SCHEMA = { type: "object", properties: { note: { type: "string" } }, required: ["note"], additionalProperties: false };

/** What one job must leave nowhere once deleted; each string occurs only in that job's data. */
interface Marks {
  text: string;
  object: string;
  fileName: string;
  instructions: string;
}
const marksOf = (tag: string): Marks => ({
  text: `Qzv${tag}PageText`,
  object: `Qzv${tag}ExtractedValue`,
  fileName: `Qzv${tag}FileName.png`,
  instructions: `Qzv${tag}Instructions`,
});
const all = (m: Marks) => [m.text, m.object, m.fileName, m.instructions];

let model: MockModel;
let rx: Receiver;
let s3: TestS3;
let dir: string;
let configFile: string;
let png: Uint8Array;
/** The tag of the job being read (jobs here run one at a time). */
let currentTag = "none";

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "leapocr-deletion-"));
  // Each job's page text and extracted object are its own.
  model = await startMockModel("openai", (call) => {
    const tag = currentTag;
    if (stepOf(call) === "ocr") return { text: `# Letter\n\n${marksOf(tag).text} and more words.` };
    if (stepOf(call) === "structured") return { text: JSON.stringify({ note: marksOf(tag).object }) };
    return { status: 400, body: { error: { message: "unexpected step" } } };
  });
  rx = startReceiver();
  s3 = await startTestS3();
  configFile = await writeModelConfig(dir, {
    routes: { loop: { provider: "openai", base_url: model.baseUrl, model: "loop-vl", max_concurrency: 2, timeout_seconds: 10 } },
    models: [{ name: "loop-v1", display_name: "Loopback", credits_per_page: 1, steps: { ocr: ["loop"], structured: ["loop"] } }],
  });
  png = (await greyPages(1))[0]!;
});

afterAll(async () => {
  await model?.close();
  rx?.close();
  await s3?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Harness {
  t: TestServer;
  client: SdkClient;
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  structuredJob(m: Marks): Promise<string>;
  advance(ms: number): void;
}

async function harness(backend: "local" | "s3"): Promise<Harness> {
  let offset = 0;
  const s3Config: Partial<Config> =
    backend === "s3"
      ? { storage: "s3", s3Endpoint: s3.endpoint, s3Bucket: s3.bucket, s3AccessKeyId: s3.accessKeyId, s3SecretAccessKey: s3.secretAccessKey, s3ForcePathStyle: true, s3KeyPrefix: `d${Math.random().toString(36).slice(2)}/` }
      : {};
  const t = await startTestServer(
    { configFile, urlAllowHosts: rx.hostPort, webhookRetryBaseMs: 20, webhookPollMs: 20, ...s3Config },
    { clock: () => Date.now() + offset, retrySleep: async () => {} },
    { keepData: true },
  );
  const team = defaultTeamOf(t);
  const admin = seedKey(t, team.teamId, { scopes: "webhooks:read,webhooks:write,settings:read,settings:write" }).secret;
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${t.baseUrl}${team.base}${path}`, {
      method,
      headers: { "X-API-KEY": admin, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  // Every job event, with results, goes to a loopback receiver: the outbox holds the payloads.
  const sub = await call("POST", "/webhooks", { url: rx.url, events: ["job.created", "job.processing", "job.completed", "job.deleted"], include_results: true });
  expect(sub.status).toBe(201);
  const client = new SdkClient(t.baseUrl, t.apiKey);
  return {
    t,
    client,
    call,
    advance: (ms) => (offset += ms),
    async structuredJob(m) {
      currentTag = /^Qzv(\w+?)Instructions$/.exec(m.instructions)![1]!;
      const jobId = await client.upload(png, m.fileName, { contentType: "image/png", model: "loop-v1", format: "structured", schema: SCHEMA, instructions: m.instructions });
      expect((await client.waitForJob(jobId)).status).toBe("completed");
      const result = await client.result(jobId);
      expect(result.structured_result).toEqual({ note: m.object });
      // The completed event, with the object in it, has reached the receiver (and sits in the outbox).
      await until("job.completed delivered", () => rx.received.find((r) => r.json?.event_type === "job.completed" && r.json.data.job_id === jobId));
      return jobId;
    },
  };
}

/** Every row of every table, as text: what a query on the database can still find. */
function rowsContaining(sqlite: Database, needles: string[]): string[] {
  const hits: string[] = [];
  const tables = sqlite.query<{ name: string }, []>("SELECT name FROM sqlite_master WHERE type = 'table'").all();
  for (const { name } of tables) {
    for (const row of sqlite.query(`SELECT * FROM "${name}"`).all()) {
      const text = JSON.stringify(row);
      for (const n of needles) if (text.includes(n)) hits.push(`${name}: ${n}`);
    }
  }
  return hits;
}

async function bucketHolding(h: Harness, jobId: string): Promise<string[]> {
  const objects = (await h.t.server.ctx.storage.list("")).filter((k) => k.includes(jobId));
  const uploads = (await h.t.server.ctx.storage.listMultipart()).filter((u) => u.key.includes(jobId)).map((u) => `upload ${u.key}`);
  return [...objects, ...uploads];
}

async function zeroDayRetention(h: Harness) {
  expect((await h.call("PUT", "/settings", { retention_period_days: 0 })).status).toBe(200);
}

describe("finding 4: a deleted or purged job keeps none of its content in any database row", () => {
  test("DELETE and a 0-day retention purge clear the structured object, file name, instructions, error and webhook payloads", async () => {
    const h = await harness("local");
    try {
      const deleted = marksOf("F4del");
      const deletedId = await h.structuredJob(deleted);
      expect(rowsContaining(h.t.server.ctx.db.$client, all(deleted)).length).toBeGreaterThan(0);
      expect((await h.client.call("DELETE", `/ocr/delete/${deletedId}`)).status).toBe(200);
      expect(rowsContaining(h.t.server.ctx.db.$client, all(deleted))).toEqual([]);

      await zeroDayRetention(h);
      const purged = marksOf("F4ret");
      const purgedId = await h.structuredJob(purged);
      expect(await h.t.server.retention.tick()).toBe(1);
      expect((await h.client.call("GET", `/ocr/status/${purgedId}`)).status).toBe(404);
      expect(rowsContaining(h.t.server.ctx.db.$client, [...all(deleted), ...all(purged)])).toEqual([]);
      // The receiver was told about the deletion, by job id.
      const event = await until("job.deleted delivered", () => rx.received.find((r) => r.json?.event_type === "job.deleted" && r.json.data.job_id === deletedId));
      expect(event.json.data).toMatchObject({ job_id: deletedId, reason: "deleted", file_name: null });
    } finally {
      await h.t.close();
      rmSync(h.t.dataDir, { recursive: true, force: true });
    }
  });
});

for (const backend of ["local", "s3"] as const) {
  describe(`finding 5: deleted content is gone from the raw bytes of every file (${backend} storage)`, () => {
    test("after DELETE, after a 0-day purge (server running) and after shutdown", async () => {
      const h = await harness(backend);
      const dataDir = h.t.dataDir;
      const where = () => [dataDir, ...(backend === "s3" ? [s3.directory] : [])];
      const scan = (needles: string[]) => where().flatMap((d) => findInFiles(d, needles));
      let closed = false;
      try {
        const deleted = marksOf(`F5del${backend}`);
        const deletedId = await h.structuredJob(deleted);
        // The scan can see them: the text is in the database files before the deletion.
        expect(scan(all(deleted)).length).toBeGreaterThan(0);
        expect((await h.client.call("DELETE", `/ocr/delete/${deletedId}`)).status).toBe(200);
        expect(scan(all(deleted))).toEqual([]);
        expect(await bucketHolding(h, deletedId)).toEqual([]);

        await zeroDayRetention(h);
        const purged = marksOf(`F5ret${backend}`);
        const purgedId = await h.structuredJob(purged);
        expect(await h.t.server.retention.tick()).toBe(1);
        expect(scan([...all(deleted), ...all(purged)])).toEqual([]);
        expect(await bucketHolding(h, purgedId)).toEqual([]);

        await h.t.server.app.stop(true);
        await h.t.server.close();
        closed = true;
        expect(scan([...all(deleted), ...all(purged)])).toEqual([]);
      } finally {
        if (!closed) await h.t.close();
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  });
}

describe("finding 5: an erased member's email and name are in no file under the data directory", () => {
  test("after POST .../members/{id}/erase (server running) and after shutdown", async () => {
    const t = await startTestServer({}, {}, { keepData: true });
    let closed = false;
    try {
      const a = await seedTenant(t, "Erasure", { useDefault: true });
      const email = `qzv.erased.person.${crypto.randomUUID().slice(0, 6)}@example.test`;
      const name = "Qzvname Erasedperson";
      const u = await seedUser(t, a.teamId, "member", { email, name });
      await api(t, "POST", "/api/v1/auth/login", { body: { email, password: "a wrong password here" } });
      await login(t, email, u.password);
      expect(findInFiles(t.dataDir, [email, name]).length).toBeGreaterThan(0);
      expect((await api(t, "POST", `${a.base}/members/${u.id}/erase`, { session: a.sessions.owner })).status).toBe(200);
      expect(findInFiles(t.dataDir, [email, name])).toEqual([]);
      await t.server.app.stop(true);
      await t.server.close();
      closed = true;
      expect(findInFiles(t.dataDir, [email, name])).toEqual([]);
    } finally {
      if (!closed) await t.close();
      rmSync(t.dataDir, { recursive: true, force: true });
    }
  });
});
