/**
 * The orphan sweep (run by the leading replica at its start) must not abort an upload another
 * replica is completing: while its parts are joined the upload id leaves the job row, and a
 * sweep at that moment took the upload for an orphan. Uploads younger than an hour are left
 * alone; an older one that no job owns is still aborted.
 */
import { afterAll, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "../helpers/app";
import { SdkClient } from "../helpers/sdk-client";
import { ORPHAN_UPLOAD_MIN_AGE_MS } from "../../src/scheduler/retention";

let offset = 0;
let t: TestServer;
afterAll(() => t?.close());

test("an upload being joined (its id out of the job row) survives the sweep; the same upload left an hour later is aborted", async () => {
  t = await startTestServer({}, { clock: () => Date.now() + offset });
  const client = new SdkClient(t.baseUrl, t.apiKey);
  const init = await client.call("POST", "/ocr/uploads/direct", { file_name: "a.pdf", file_size: 1000, content_type: "application/pdf" });
  expect(init.status).toBe(200);
  const jobId = init.body.job_id as string;
  const { storage, jobStore } = t.server.ctx;
  const [upload] = (await storage.listMultipart()).filter((u) => u.key.includes(jobId));
  expect(upload).toBeDefined();
  // Another replica takes the upload to join its parts.
  expect(await jobStore.claimUpload(jobId, upload!.uploadId)).toBe(true);
  expect(await t.server.retention.sweepOrphans()).toBe(0);
  expect((await storage.listMultipart()).map((u) => u.uploadId)).toContain(upload!.uploadId);
  // That replica died mid-join: an hour later nothing owns the upload, and the sweep aborts it.
  offset = ORPHAN_UPLOAD_MIN_AGE_MS + 60_000;
  expect(await t.server.retention.sweepOrphans()).toBe(1);
  expect((await storage.listMultipart()).map((u) => u.uploadId)).not.toContain(upload!.uploadId);
});
