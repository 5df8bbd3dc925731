import { afterAll, beforeAll, expect, test } from "bun:test";
import { samplePdf, startWorkspace, type Workspace } from "./harness";

let w: Workspace;
let jobId: string;
beforeAll(async () => {
  w = await startWorkspace();
  jobId = await w.client.upload(await samplePdf(), "secret-contract.pdf");
  await w.client.waitForJob(jobId);
});
afterAll(() => w.close());

test("no credential is 401", async () => {
  for (const [m, p] of [["GET", "/jobs"], ["GET", `/jobs/${jobId}`], ["POST", `/jobs/${jobId}/retry`], ["DELETE", `/jobs/${jobId}`]] as const) {
    expect((await fetch(`${w.t.baseUrl}${w.tenant.base}${p}`, { method: m })).status, `${m} ${p}`).toBe(401);
  }
});

test("another team cannot list, read, retry or delete our jobs", async () => {
  const o = { session: w.other.sessions.owner };
  expect((await w.call("GET", `${w.other.base}/jobs`, o)).body.total_count).toBe(0);
  expect((await w.call("GET", `${w.other.base}/jobs?search=secret`, o)).body.data).toEqual([]);
  expect((await w.call("GET", `${w.other.base}/jobs/${jobId}`, o)).status).toBe(404);
  expect((await w.call("POST", `${w.other.base}/jobs/${jobId}/retry`, o)).status).toBe(404);
  expect((await w.call("DELETE", `${w.other.base}/jobs/${jobId}`, o)).status).toBe(404);
  expect((await w.call("GET", "/jobs", { apiKey: w.other.key.secret })).status).toBe(404);
  expect((await w.client.call("GET", `/ocr/status/${jobId}`)).status).toBe(200);
});

test("viewers read but cannot retry or delete; a key scoped to jobs:read cannot delete", async () => {
  expect((await w.call("GET", "/jobs", { session: w.tenant.sessions.viewer })).status).toBe(200);
  expect((await w.call("POST", `/jobs/${jobId}/retry`, { session: w.tenant.sessions.viewer })).status).toBe(403);
  expect((await w.call("DELETE", `/jobs/${jobId}`, { session: w.tenant.sessions.viewer })).status).toBe(403);
  const readOnly = w.key("jobs:read");
  expect((await w.call("GET", `/jobs/${jobId}`, { apiKey: readOnly })).status).toBe(200);
  expect((await w.call("DELETE", `/jobs/${jobId}`, { apiKey: readOnly })).status).toBe(403);
  expect((await w.client.call("GET", `/ocr/status/${jobId}`)).status).toBe(200);
});
