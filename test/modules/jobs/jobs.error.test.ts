import { afterAll, beforeAll, expect, test } from "bun:test";
import { samplePdf, startWorkspace, type Workspace } from "./harness";

let w: Workspace;
let jobId: string;
beforeAll(async () => {
  w = await startWorkspace({}, {});
  jobId = await w.client.upload(await samplePdf(), "ok.pdf");
  await w.client.waitForJob(jobId);
});
afterAll(() => w.close());

test("bad queries are 400", async () => {
  for (const qs of ["limit=0", "limit=500", "limit=abc", "status=done", "result_format=html", "include_deleted=yes", "created_from=yesterday", "cursor=bm9wZQ"]) {
    const res = await w.call("GET", `/jobs?${qs}`);
    expect(res.status, qs).toBe(400);
  }
  expect((await w.call("GET", "/jobs/not-a-uuid")).status).toBe(400);
});

test("unknown jobs are 404 for detail, retry and delete", async () => {
  const missing = crypto.randomUUID();
  expect((await w.call("GET", `/jobs/${missing}`)).status).toBe(404);
  expect((await w.call("POST", `/jobs/${missing}/retry`)).status).toBe(404);
  expect((await w.call("DELETE", `/jobs/${missing}`)).status).toBe(404);
});

test("retry: a completed job without failed pages and a running job are 409; so is a job whose file is gone", async () => {
  const res = await w.call("POST", `/jobs/${jobId}/retry`);
  expect(res.status).toBe(409);
  expect(res.body.error.message).toContain("nothing to retry");
  const pending = (await w.client.call("POST", "/ocr/uploads/direct", { file_name: "p.pdf", file_size: 10, content_type: "application/pdf" })).body.job_id;
  expect((await w.call("POST", `/jobs/${pending}/retry`)).status).toBe(409);
  // An upload whose bytes are not a supported type fails at complete and its file is removed.
  const bad = (await w.client.call("POST", "/ocr/uploads/direct", { file_name: "x.pdf", file_size: 5, content_type: "application/pdf" })).body;
  const put = await fetch(bad.parts[0].upload_url, { method: "PUT", body: "hello" });
  await w.client.call("POST", `/ocr/uploads/${bad.job_id}/complete`, { parts: [{ part_number: 1, etag: put.headers.get("etag") }] });
  const gone = await w.call("POST", `/jobs/${bad.job_id}/retry`);
  expect(gone.status).toBe(409);
  expect(gone.body.error.message).toContain("no longer stored");
  expect((await w.call("POST", `/jobs/${jobId}/retry`, { body: { pages: "some" } })).status).toBe(400);
});
