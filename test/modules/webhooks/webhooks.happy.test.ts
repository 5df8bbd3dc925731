import { afterAll, beforeAll, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { jobs } from "../../../src/db/schema";
import { samplePdf, startReceiver, startWorkspace, until, verify, type Receiver, type Workspace } from "../jobs/harness";

let w: Workspace;
let rx: Receiver;
beforeAll(async () => {
  rx = startReceiver();
  w = await startWorkspace({ urlAllowHosts: rx.hostPort, webhookMaxAttempts: 5, webhookDisableAfter: 50 });
});
afterAll(async () => {
  await w.close();
  rx.close();
});

test("GET /webhooks/event-types lists the job events", async () => {
  const res = await w.call("GET", "/api/v1/webhooks/event-types", { apiKey: w.t.apiKey });
  expect(res.status).toBe(200);
  expect(res.body.event_types).toEqual(expect.arrayContaining(["job.created", "job.processing", "job.completed", "job.failed", "job.deleted"]));
});

test("a subscription is created, listed, read, updated, its secret rotated, and deleted", async () => {
  const created = await w.call("POST", "/webhooks", { body: { url: rx.url, events: ["job.completed"], description: "crud" } });
  expect(created.status).toBe(201);
  expect(created.body).toMatchObject({ url: rx.url, events: ["job.completed"], enabled: true, failure_count: 0, team_id: w.tenant.teamId, organization_id: w.tenant.orgId });
  expect(created.body.secret).toMatch(/^whsec_/);
  const id = created.body.id;
  const list = await w.call("GET", "/webhooks?limit=100");
  expect(list.status).toBe(200);
  expect(list.body.data.map((s: any) => s.id)).toContain(id);
  expect(list.body).toMatchObject({ has_more: false, next_cursor: null });
  expect((await w.call("GET", `/webhooks/${id}`)).body.description).toBe("crud");
  const updated = await w.call("PUT", `/webhooks/${id}`, { body: { events: ["job.failed", "job.completed"], enabled: false } });
  expect(updated.status).toBe(200);
  expect(updated.body).toMatchObject({ events: ["job.failed", "job.completed"], enabled: false });
  expect((await w.call("GET", "/webhooks?enabled=false")).body.data.map((s: any) => s.id)).toEqual([id]);
  const rotated = await w.call("POST", `/webhooks/${id}/regenerate-secret`);
  expect(rotated.status).toBe(200);
  expect(rotated.body.secret).not.toBe(created.body.secret);
  const del = await w.call("DELETE", `/webhooks/${id}`);
  expect(del.status).toBe(204);
  expect((await w.call("GET", `/webhooks/${id}`)).status).toBe(404);
  const audit = w.t.server.ctx.db.$client.query("SELECT action, metadata_json FROM audit_log WHERE target_id = ?1 ORDER BY created_at").all(id) as any[];
  expect(audit.map((a) => a.action)).toEqual(["webhook.created", "webhook.updated", "webhook.secret_regenerated", "webhook.deleted"]);
  for (const a of audit) expect(String(a.metadata_json)).not.toContain("whsec_");
});

test("job events arrive signed from the outbox; the first deliveries fail and the retries arrive", async () => {
  const sub = (await w.call("POST", "/webhooks", { body: { url: rx.url, events: ["job.created", "job.processing", "job.completed"], include_results: true } })).body;
  const before = rx.received.length;
  // The receiver refuses the first two requests it gets from now on.
  rx.answer = (n) => (n < before + 2 ? 503 : 200);
  const jobId = await w.client.upload(await samplePdf(), "retry-me.pdf");
  await w.client.waitForJob(jobId);
  const ok = await until("three events delivered", () => {
    const got = rx.received.slice(before).filter((r) => r.answered === 200 && r.json?.data?.job_id === jobId);
    return got.length >= 3 ? got : null;
  });
  const types = ok.map((r) => r.json.event_type);
  expect(types).toEqual(expect.arrayContaining(["job.created", "job.processing", "job.completed"]));
  for (const r of rx.received.slice(before)) expect(verify(sub.secret, r)).toBe(true);
  // The refused requests were retried: the same event id came again.
  const attempts = rx.received.slice(before);
  expect(attempts.filter((r) => r.answered === 503)).toHaveLength(2);
  const retriedIds = attempts.filter((r) => r.answered === 503).map((r) => r.headers["x-webhook-event-id"]);
  for (const id of retriedIds) expect(ok.map((r) => r.headers["x-webhook-event-id"])).toContain(id);
  const completed = ok.find((r) => r.json.event_type === "job.completed")!;
  expect(completed.json.data).toMatchObject({ job_id: jobId, status: "completed", total_pages: 2 });
  expect(completed.json.data.result.pages).toHaveLength(2);
  expect(completed.json.data.result.pages[0].result).toContain("Quarterly Report");
  // Delivered results count as read (0-day retention).
  expect(w.t.server.ctx.db.select({ r: jobs.resultsReadAt }).from(jobs).where(eq(jobs.id, jobId)).get()!.r).not.toBeNull();
  // The log shows the attempts.
  const log = await w.call("GET", `/webhooks/events?subscription_id=${sub.id}&limit=100`);
  expect(log.status).toBe(200);
  const retried = log.body.data.filter((e: any) => e.processing_attempts > 1);
  expect(retried.length).toBeGreaterThanOrEqual(1);
  for (const e of log.body.data) expect(e).toMatchObject({ processing_status: "delivered", http_status: 200, webhook_url: rx.url });
  const payload = await w.call("GET", `/webhooks/events/${log.body.data[0].id}/payload`);
  expect(payload.status).toBe(200);
  expect(payload.body).toMatchObject({ event_id: log.body.data[0].event_id, enriched: false });
  rx.answer = () => 200;
  await w.call("DELETE", `/webhooks/${sub.id}`);
});

test("deleting a job sends job.deleted and strips results from stored payloads", async () => {
  const sub = (await w.call("POST", "/webhooks", { body: { url: rx.url, events: ["job.completed", "job.deleted"], include_results: true } })).body;
  const jobId = await w.client.upload(await samplePdf(), "delete-me.pdf");
  await w.client.waitForJob(jobId);
  await until("completed delivered", () => rx.received.find((r) => r.json?.event_type === "job.completed" && r.json.data.job_id === jobId));
  expect((await w.call("DELETE", `/jobs/${jobId}`)).status).toBe(204);
  const deleted = await until("deleted delivered", () => rx.received.find((r) => r.json?.event_type === "job.deleted" && r.json.data.job_id === jobId));
  expect(verify(sub.secret, deleted)).toBe(true);
  // The file name is the document's too (issue 15, finding 4): the event names the job by id only.
  expect(deleted.json.data).toMatchObject({ job_id: jobId, file_name: null, reason: "deleted" });
  const stored = w.t.server.ctx.db.$client.query("SELECT payload_json FROM webhook_deliveries WHERE job_id = ?1").all(jobId) as { payload_json: string }[];
  for (const s of stored) {
    expect(s.payload_json).not.toContain("Quarterly Report");
    expect(s.payload_json).not.toContain("delete-me.pdf");
  }
  await w.call("DELETE", `/webhooks/${sub.id}`);
});

test("the test route sends a signed webhook.test and reports the receiver's answer; health probes the receiver", async () => {
  const sub = (await w.call("POST", "/webhooks", { body: { url: rx.url, events: ["job.failed"] } })).body;
  const res = await w.call("POST", `/webhooks/${sub.id}/test`);
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ success: true, http_status: 200 });
  const got = rx.received.find((r) => r.json?.event_id === res.body.event_id)!;
  expect(got.json).toMatchObject({ event_type: "webhook.test", message: "This is a test webhook event" });
  expect(verify(sub.secret, got)).toBe(true);
  const health = await w.call("GET", `/webhooks/${sub.id}/health`);
  expect(health.status).toBe(200);
  expect(health.body).toMatchObject({ healthy: true, reachable: true, http_status: 200, enabled: true, deliveries: { delivered: 1, pending: 0, failed: 0 } });
  await w.call("DELETE", `/webhooks/${sub.id}`);
});

test("after the configured number of failed attempts in a row a subscription is disabled", async () => {
  const rx2 = startReceiver();
  rx2.answer = () => 500;
  const w2 = await startWorkspace({ urlAllowHosts: rx2.hostPort, webhookMaxAttempts: 2, webhookDisableAfter: 3 });
  try {
    const sub = (await w2.call("POST", "/webhooks", { body: { url: rx2.url, events: ["job.created"] } })).body;
    for (const name of ["a.pdf", "b.pdf", "c.pdf"]) {
      expect((await w2.client.call("POST", "/ocr/uploads/direct", { file_name: name, file_size: 100, content_type: "application/pdf" })).status).toBe(200);
    }
    const disabled = await until("disabled", async () => {
      const s = (await w2.call("GET", `/webhooks/${sub.id}`)).body;
      return s.enabled === false ? s : null;
    });
    expect(disabled.failure_count).toBe(3);
    expect(disabled.disabled_reason).toContain("3 failed delivery attempts");
    expect(rx2.received).toHaveLength(3);
    const failed = await w2.call("GET", `/webhooks/events?subscription_id=${sub.id}&processing_status=failed`);
    expect(failed.body.total_count).toBe(3);
    // Re-enabling starts afresh.
    const back = await w2.call("PUT", `/webhooks/${sub.id}`, { body: { events: ["job.created"], enabled: true } });
    expect(back.body).toMatchObject({ enabled: true, failure_count: 0 });
  } finally {
    await w2.close();
    rx2.close();
  }
});

test("list pages with a cursor", async () => {
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) ids.push((await w.call("POST", "/webhooks", { body: { url: rx.url, events: ["job.failed"], description: `page ${i}` } })).body.id);
  const first = await w.call("GET", "/webhooks?limit=2");
  expect(first.body).toMatchObject({ has_more: true, total_count: 3, total_pages: 2 });
  const second = await w.call("GET", `/webhooks?limit=2&cursor=${first.body.next_cursor}`);
  expect(second.body.has_more).toBe(false);
  expect([...first.body.data, ...second.body.data].map((s: any) => s.id).sort()).toEqual(ids.sort());
  for (const id of ids) await w.call("DELETE", `/webhooks/${id}`);
});
