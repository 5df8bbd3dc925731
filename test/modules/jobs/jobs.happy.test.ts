import { afterAll, beforeAll, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { creditTransactions, jobs, pages } from "../../../src/db/schema";
import { samplePdf, startWorkspace, until, type Workspace } from "./harness";

let w: Workspace;
let done: string[] = [];
beforeAll(async () => {
  w = await startWorkspace();
  const pdf = await samplePdf();
  for (const name of ["alpha-invoice.pdf", "beta-report.pdf", "gamma_100%.pdf"]) done.push(await w.client.upload(pdf, name));
  for (const id of done) await w.client.waitForJob(id);
});
afterAll(() => w.close());

test("the list pages through the team's jobs with a cursor, newest first, with the reference's fields", async () => {
  const first = await w.call("GET", "/jobs?limit=2", { apiKey: w.tenant.key.secret });
  expect(first.status).toBe(200);
  expect(first.body).toMatchObject({ has_more: true, total_count: 3, total_pages: 2 });
  const second = await w.call("GET", `/jobs?limit=2&cursor=${first.body.next_cursor}`);
  expect(second.body.has_more).toBe(false);
  const all = [...first.body.data, ...second.body.data];
  expect(all.map((j: any) => j.id)).toEqual([...done].reverse());
  expect(all[0]).toMatchObject({ status: "completed", stage: "done", total_pages: 2, processed_pages: 2, result_format: "markdown", category: "pdf", credits_used: 2, is_deleted: false });
  expect(all[0].confidence).toBeGreaterThan(0);
});

test("filters: status, format, model, search by file name (literal % and _), date range", async () => {
  const q = async (qs: string) => (await w.call("GET", `/jobs?${qs}`)).body;
  expect((await q("status=completed")).total_count).toBe(3);
  expect((await q("status=failed")).total_count).toBe(0);
  expect((await q("result_format=structured")).total_count).toBe(0);
  expect((await q("model=standard-v2")).total_count).toBe(3);
  expect((await q("search=REPORT")).data.map((j: any) => j.file_name)).toEqual(["beta-report.pdf"]);
  expect((await q("search=100%25")).data.map((j: any) => j.file_name)).toEqual(["gamma_100%.pdf"]);
  expect((await q("search=a_1")).total_count).toBe(1);
  expect((await q("search=a%25i")).total_count).toBe(0);
  expect((await q(`created_from=${new Date(Date.now() + 60_000).toISOString()}`)).total_count).toBe(0);
  expect((await q(`created_to=${new Date(Date.now() + 60_000).toISOString()}&created_from=2020-01-01`)).total_count).toBe(3);
});

test("one job's workflow: pages with their state, route and timings", async () => {
  const res = await w.call("GET", `/jobs/${done[0]}`);
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ id: done[0], status: "completed", failed_pages: 0, workflow: { stage: "done", pages: { completed: 2, failed: 0 }, retryable: false, source_available: true } });
  expect(res.body.workflow.routes[0]).toMatchObject({ pages: 2 });
  expect(res.body.pages.map((p: any) => p.page_number)).toEqual([1, 2]);
  expect(res.body.pages[0]).toMatchObject({ status: "completed", attempts: 1 });
  expect(res.body.pages[0].route).toBeString();
  expect(res.body.workflow.timings.processing_seconds).toBeGreaterThanOrEqual(0);
});

test("retrying a finished job's failed page reads only that page again and keeps the ledger right", async () => {
  const db = w.t.server.ctx.db;
  const jobId = done[1]!;
  // A page failed (as a model route outage would leave it).
  db.update(pages).set({ status: "failed", errorMessage: "Route offline failed: HTTP 503", result: null }).where(eq(pages.jobId, jobId)).run();
  db.$client.query("UPDATE pages SET status = 'completed' WHERE job_id = ?1 AND page_number = 1").run(jobId);
  db.update(jobs).set({ failedPages: 1, errorMessage: "Page 2 failed: Route offline failed: HTTP 503" }).where(eq(jobs.id, jobId)).run();
  const before = (await w.call("GET", `/jobs/${jobId}`)).body;
  expect(before.workflow.retryable).toBe(true);
  expect(before.pages[1]).toMatchObject({ status: "failed", error_message: "Route offline failed: HTTP 503" });
  // The list row says it too, so the dashboard's jobs list can show the reason (issue 18).
  const listed = (await w.call("GET", "/jobs?limit=100")).body.data.find((j: any) => j.id === jobId);
  expect(listed).toMatchObject({ status: "completed", failed_pages: 1, error_message: "Page 2 failed: Route offline failed: HTTP 503" });
  const res = await w.call("POST", `/jobs/${jobId}/retry`, { apiKey: w.tenant.key.secret, body: {} });
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ job_id: jobId, status: "processing", stage: "pages", retried_pages: 1 });
  const after = await until("retried job done", async () => {
    const j = (await w.call("GET", `/jobs/${jobId}`)).body;
    return j.stage === "done" ? j : null;
  });
  expect(after).toMatchObject({ status: "completed", failed_pages: 0, credits_used: 2 });
  expect(after.pages.map((p: any) => p.attempts)).toEqual([1, 1]);
  const ledger = db.select().from(creditTransactions).all().filter((t) => t.jobId === jobId || (t.metadataJson ?? "").includes(jobId));
  expect(ledger.map((t) => [t.kind, t.amount]).sort()).toEqual([["charge", -2], ["charge", -2], ["refund", 2]].sort());
  const audit = db.$client.query("SELECT action FROM audit_log WHERE target_id = ?1 AND action = 'job.retried'").all(jobId);
  expect(audit).toHaveLength(1);
});

test("a job that failed before it was split goes back to the queue from its stored file", async () => {
  // A PDF header with nothing behind it: the upload is accepted, splitting fails.
  const broken = new TextEncoder().encode("%PDF-1.7\nthis is not really a pdf\n%%EOF\n");
  const jobId = await w.client.upload(broken, "broken.pdf");
  const status = await w.client.waitForJob(jobId);
  expect(status.status).toBe("failed");
  const listed = (await w.call("GET", "/jobs?status=failed")).body.data;
  expect(listed.map((j: any) => j.id)).toEqual([jobId]);
  expect(listed[0].error_message).toStartWith("The PDF could not be read");
  const detail = (await w.call("GET", `/jobs/${jobId}`)).body;
  expect(detail).toMatchObject({ total_pages: 0, workflow: { retryable: true } });
  const res = await w.call("POST", `/jobs/${jobId}/retry`);
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ retried_pages: 0 });
  const again = await w.client.waitForJob(jobId);
  expect(again.status).toBe("failed");
  expect((await w.call("GET", `/jobs/${jobId}`)).body.attempts).toBe(2);
});

test("delete removes the job's content; it stays listed with include_deleted", async () => {
  const jobId = done[2]!;
  expect((await w.call("DELETE", `/jobs/${jobId}`, { apiKey: w.tenant.key.secret })).status).toBe(204);
  expect((await w.client.call("GET", `/ocr/status/${jobId}`)).status).toBe(404);
  expect((await w.call("GET", "/jobs")).body.data.map((j: any) => j.id)).not.toContain(jobId);
  const withDeleted = (await w.call("GET", "/jobs?include_deleted=true&limit=100")).body.data.find((j: any) => j.id === jobId);
  expect(withDeleted).toMatchObject({ is_deleted: true });
  expect(withDeleted.deleted_at).toBeString();
  expect(w.t.server.ctx.db.select().from(pages).where(eq(pages.jobId, jobId)).all()).toHaveLength(0);
});
