/**
 * Retention and deletion leave nothing behind, on local disk and on a real S3 server: after
 * each purge the test lists the data directory or the bucket and finds no object of the job.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { startTestServer, type TestServer } from "../helpers/app";
import { SdkClient } from "../helpers/sdk-client";
import { startTestS3, type TestS3 } from "../helpers/s3";
import { digitalPdf, SAMPLE_PAGES } from "../helpers/fixtures";
import { auditLog, jobs, pages, teams } from "../../src/db/schema";
import type { Config } from "../../src/config";
import { createApiKey } from "../../src/modules/auth/service";

const DAY = 86_400_000;
let s3: TestS3;
let pdf: Uint8Array;
beforeAll(async () => {
  s3 = await startTestS3();
  pdf = await digitalPdf(SAMPLE_PAGES);
});
afterAll(() => s3.close());

interface Harness {
  t: TestServer;
  client: SdkClient;
  advance(ms: number): void;
  objectsOf(jobId: string): Promise<string[]>;
  settings(body: Record<string, unknown>): Promise<any>;
  finishedJob(): Promise<string>;
}

async function harness(backend: "local" | "s3", extra: Partial<Config> = {}): Promise<Harness> {
  let offset = 0;
  const s3Config: Partial<Config> =
    backend === "s3"
      ? { storage: "s3", s3Endpoint: s3.endpoint, s3Bucket: s3.bucket, s3AccessKeyId: s3.accessKeyId, s3SecretAccessKey: s3.secretAccessKey, s3ForcePathStyle: true, s3KeyPrefix: `r${Math.random().toString(36).slice(2)}/` }
      : {};
  const t = await startTestServer({ ...s3Config, ...extra }, { clock: () => Date.now() + offset });
  const client = new SdkClient(t.baseUrl, t.apiKey);
  const team = t.server.ctx.db.select().from(teams).get()!;
  // Changing retention is an admin's power; a key gets it only when named in its scopes.
  const settingsKey = createApiKey(t.server.ctx.db, team.id, "retention automation", undefined, Date.now()).secret;
  t.server.ctx.db.$client.query("UPDATE api_keys SET scopes = 'settings:read,settings:write' WHERE name = 'retention automation'").run();
  const h: Harness = {
    t,
    client,
    advance: (ms) => (offset += ms),
    async objectsOf(jobId) {
      const inStorage = (await t.server.ctx.storage.list("")).filter((k) => k.includes(jobId));
      // Also look at the disk itself, whatever the backend: nothing of the job may remain there.
      const onDisk = existsSync(join(t.dataDir, "files", "jobs")) ? readdirSync(join(t.dataDir, "files", "jobs")).filter((d) => d === jobId) : [];
      return [...inStorage, ...onDisk];
    },
    async settings(body) {
      const res = await fetch(`${t.baseUrl}/api/v1/organizations/${team.organizationId}/teams/${team.id}/settings`, {
        method: "PUT",
        headers: { "X-API-KEY": settingsKey, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: await res.json() };
    },
    async finishedJob() {
      const jobId = await client.upload(pdf, "report.pdf");
      expect((await client.waitForJob(jobId)).status).toBe("completed");
      expect((await h.objectsOf(jobId)).length).toBeGreaterThan(0);
      return jobId;
    },
  };
  return h;
}

function expectPurged(h: Harness, jobId: string) {
  const db = h.t.server.ctx.db;
  expect(db.select().from(pages).where(eq(pages.jobId, jobId)).all()).toHaveLength(0);
  const row = db.select().from(jobs).where(eq(jobs.id, jobId)).get()!;
  expect(row.deletedAt).not.toBeNull();
  expect(row.schemaJson).toBeNull();
}

for (const backend of ["local", "s3"] as const) {
  describe(`retention on ${backend} storage`, () => {
    test("default 7 days: kept at 6 days, purged after 7, with an audit record and nothing left", async () => {
      const h = await harness(backend);
      try {
        const jobId = await h.finishedJob();
        h.advance(6 * DAY);
        expect(await h.t.server.retention.tick()).toBe(0);
        expect((await h.client.call("GET", `/ocr/status/${jobId}`)).status).toBe(200);
        h.advance(DAY + 1000);
        expect(await h.t.server.retention.tick()).toBe(1);
        expect((await h.client.call("GET", `/ocr/status/${jobId}`)).status).toBe(404);
        expect(await h.objectsOf(jobId)).toEqual([]);
        expectPurged(h, jobId);
        const audit = h.t.server.ctx.db.select().from(auditLog).where(eq(auditLog.targetId, jobId)).all();
        expect(audit.map((a) => a.action)).toEqual(["job.purged"]);
        expect(audit[0]!.actorType).toBe("system");
      } finally {
        await h.t.close();
      }
    });

    test("1 day: purged after a day", async () => {
      const h = await harness(backend);
      try {
        expect((await h.settings({ retention_period_days: 1 })).body.config).toEqual({ auto_delete_enabled: true, retention_period_days: 1 });
        const jobId = await h.finishedJob();
        h.advance(DAY - 60_000);
        expect(await h.t.server.retention.tick()).toBe(0);
        h.advance(120_000);
        expect(await h.t.server.retention.tick()).toBe(1);
        expect(await h.objectsOf(jobId)).toEqual([]);
      } finally {
        await h.t.close();
      }
    });

    test("0 days: the file goes when the job ends, results once read in full or after the grace period", async () => {
      const h = await harness(backend, { retentionGraceSeconds: 3600 });
      try {
        const put = await h.settings({ retention_period_days: 0 });
        expect(put.body.description).toContain("as soon as processing ends");
        const read = await h.client.upload(pdf, "read.pdf");
        await h.client.waitForJob(read);
        const unread = await h.client.upload(pdf, "unread.pdf");
        await h.client.waitForJob(unread);
        await Bun.sleep(100); // the end-of-job hook runs right after the job finishes
        expect(await h.objectsOf(read)).toEqual([]);
        expect(await h.objectsOf(unread)).toEqual([]);
        // Results are still there until read.
        expect((await h.client.result(read)).pages[0].result).toContain("Quarterly Report");
        expect(await h.t.server.retention.tick()).toBe(1);
        expect((await h.client.call("GET", `/ocr/status/${read}`)).status).toBe(404);
        expect((await h.client.call("GET", `/ocr/status/${unread}`)).status).toBe(200);
        h.advance(3601_000);
        expect(await h.t.server.retention.tick()).toBe(1);
        expect((await h.client.call("GET", `/ocr/status/${unread}`)).status).toBe(404);
      } finally {
        await h.t.close();
      }
    });

    test("auto delete off: kept after a year", async () => {
      const h = await harness(backend);
      try {
        expect((await h.settings({ auto_delete_enabled: false })).body.description).toContain("kept until someone deletes them");
        const jobId = await h.finishedJob();
        h.advance(400 * DAY);
        expect(await h.t.server.retention.tick()).toBe(0);
        expect((await h.objectsOf(jobId)).length).toBeGreaterThan(0);
      } finally {
        await h.t.close();
      }
    });

    test("manual delete removes everything at once", async () => {
      const h = await harness(backend);
      try {
        const jobId = await h.finishedJob();
        expect((await h.client.call("DELETE", `/ocr/delete/${jobId}`)).status).toBe(200);
        expect(await h.objectsOf(jobId)).toEqual([]);
        expectPurged(h, jobId);
        const audit = h.t.server.ctx.db.select().from(auditLog).where(eq(auditLog.targetId, jobId)).all();
        expect(audit.map((a) => a.action)).toEqual(["job.deleted"]);
        expect(audit[0]!.actorType).toBe("api_key");
        expect(audit[0]!.metadataJson).not.toContain("Quarterly");
      } finally {
        await h.t.close();
      }
    });

    test("an abandoned upload is removed with its job", async () => {
      const h = await harness(backend);
      try {
        const init = await h.client.call("POST", "/ocr/uploads/direct", { file_name: "a.pdf", file_size: pdf.length, content_type: "application/pdf" });
        await fetch(init.body.parts[0].upload_url, { method: "PUT", body: pdf });
        expect((await h.client.call("DELETE", `/ocr/delete/${init.body.job_id}`)).status).toBe(200);
        expect(await h.objectsOf(init.body.job_id)).toEqual([]);
        expect(await h.t.server.ctx.storage.listMultipart()).toEqual([]);
      } finally {
        await h.t.close();
      }
    });
  });
}

test("settings refuse days outside 0..365 and another team's path", async () => {
  const h = await harness("local");
  try {
    expect((await h.settings({ retention_period_days: 366 })).status).toBe(400);
    expect((await h.settings({ retention_period_days: -1 })).status).toBe(400);
    const res = await fetch(`${h.t.baseUrl}/api/v1/organizations/org_x/teams/team_x/settings`, { headers: { "X-API-KEY": h.t.apiKey } });
    expect(res.status).toBe(404);
    const get = await fetch(`${h.t.baseUrl}/api/v1/organizations/${h.t.server.ctx.db.select().from(teams).get()!.organizationId}/teams/${h.t.server.ctx.db.select().from(teams).get()!.id}/settings`, { headers: { "X-API-KEY": h.t.apiKey } });
    expect(((await get.json()) as { config: unknown }).config).toEqual({ auto_delete_enabled: true, retention_period_days: 7 });
  } finally {
    await h.t.close();
  }
});

test("a start-up sweep removes files that belong to no live job", async () => {
  const h = await harness("local", {});
  const dataDir = h.t.dataDir;
  await h.t.server.ctx.storage.put("jobs/00000000-0000-0000-0000-000000000000/source", new Uint8Array([1, 2, 3]));
  const jobId = await h.finishedJob();
  await h.t.server.app.stop(true);
  await h.t.server.close();
  const again = await startTestServer({}, {}, { dataDir });
  try {
    const left = await again.server.ctx.storage.list("jobs/");
    expect(left.some((k) => k.includes("00000000-0000"))).toBe(false);
    expect(left.some((k) => k.includes(jobId))).toBe(true);
  } finally {
    await again.close();
  }
});

test("deleting a job while it runs stops it and leaves nothing behind", async () => {
  const h = await harness("local");
  try {
    const { scannedPdfFrom } = await import("../helpers/fixtures");
    const scanned = await scannedPdfFrom(await digitalPdf([...SAMPLE_PAGES, ...SAMPLE_PAGES]), 150);
    const jobId = await h.client.upload(scanned, "scan.pdf");
    // Wait until the job is being read, then delete it mid-way.
    while ((await h.client.call("GET", `/ocr/status/${jobId}`)).body.status !== "processing") await Bun.sleep(20);
    expect((await h.client.call("DELETE", `/ocr/delete/${jobId}`)).status).toBe(200);
    // Let any page that was being read finish; its result must not come back.
    await Bun.sleep(4000);
    expect(await h.objectsOf(jobId)).toEqual([]);
    expectPurged(h, jobId);
    const row = h.t.server.ctx.db.select().from(jobs).where(eq(jobs.id, jobId)).get()!;
    expect(row.status).toBe("failed");
    expect(row.errorMessage).toContain("Deleted before it finished");
    expect((await h.client.call("GET", `/ocr/status/${jobId}`)).status).toBe(404);
  } finally {
    await h.t.close();
  }
});
