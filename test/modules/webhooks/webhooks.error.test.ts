import { afterAll, beforeAll, expect, test } from "bun:test";
import { startReceiver, startWorkspace, type Receiver, type Workspace } from "../jobs/harness";

let w: Workspace;
let rx: Receiver;
beforeAll(async () => {
  rx = startReceiver();
  w = await startWorkspace({ urlAllowHosts: rx.hostPort });
});
afterAll(async () => {
  await w.close();
  rx.close();
});

test("invalid bodies are 400 with the field named", async () => {
  const cases: [unknown, string][] = [
    [{ url: rx.url, events: [] }, "events"],
    [{ url: rx.url }, "events"],
    [{ events: ["job.completed"] }, "url"],
    [{ url: rx.url, events: ["job.exploded"] }, "job.exploded"],
    [{ url: rx.url, events: ["job.completed"], description: "x".repeat(501) }, "description"],
  ];
  for (const [body, hint] of cases) {
    const res = await w.call("POST", "/webhooks", { body });
    expect(res.status, JSON.stringify(body)).toBe(400);
    expect(JSON.stringify(res.body)).toContain(hint);
  }
  expect((await w.call("POST", "/webhooks", { body: "not json", headers: { "content-type": "application/json" } })).status).toBe(400);
});

test("unknown ids are 404, malformed ids and queries 400", async () => {
  const missing = crypto.randomUUID();
  for (const [m, p] of [["GET", `/webhooks/${missing}`], ["DELETE", `/webhooks/${missing}`], ["POST", `/webhooks/${missing}/test`], ["GET", `/webhooks/${missing}/health`], ["GET", `/webhooks/events/${missing}/payload`]] as const) {
    expect((await w.call(m, p)).status, `${m} ${p}`).toBe(404);
  }
  expect((await w.call("GET", "/webhooks/not-a-uuid")).status).toBe(400);
  expect((await w.call("GET", "/webhooks?limit=0")).status).toBe(400);
  expect((await w.call("GET", "/webhooks?limit=101")).status).toBe(400);
  expect((await w.call("GET", "/webhooks?cursor=%%%")).status).toBe(400);
  expect((await w.call("GET", "/webhooks?enabled=maybe")).status).toBe(400);
  expect((await w.call("GET", `/webhooks/events?subscription_id=${missing}`)).status).toBe(404);
});

test("a receiver that is down: the test route reports the failure, health says unreachable", async () => {
  const down = startReceiver();
  down.close();
  const w2 = await startWorkspace({ urlAllowHosts: down.hostPort });
  try {
    const sub = (await w2.call("POST", "/webhooks", { body: { url: down.url, events: ["job.completed"] } })).body;
    const res = await w2.call("POST", `/webhooks/${sub.id}/test`);
    expect(res.status).toBe(200);
    expect(res.body.success).toBe(false);
    const health = await w2.call("GET", `/webhooks/${sub.id}/health`);
    expect(health.body).toMatchObject({ healthy: false, reachable: false, deliveries: { failed: 1 } });
    // A test failure does not count toward disabling.
    expect((await w2.call("GET", `/webhooks/${sub.id}`)).body.failure_count).toBe(0);
  } finally {
    await w2.close();
  }
});
