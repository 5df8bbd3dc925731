import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startReceiver, startWorkspace, type Receiver, type Workspace } from "../jobs/harness";

let w: Workspace;
let rx: Receiver;
let subId: string;
beforeAll(async () => {
  rx = startReceiver();
  w = await startWorkspace({ urlAllowHosts: rx.hostPort });
  subId = (await w.call("POST", "/webhooks", { body: { url: rx.url, events: ["job.completed"] } })).body.id;
});
afterAll(async () => {
  await w.close();
  rx.close();
});

test("no credential is 401 on every webhook route", async () => {
  for (const [method, path] of [["GET", "/webhooks"], ["POST", "/webhooks"], ["GET", `/webhooks/${subId}`], ["PUT", `/webhooks/${subId}`], ["DELETE", `/webhooks/${subId}`], ["GET", `/webhooks/${subId}/health`], ["POST", `/webhooks/${subId}/test`], ["POST", `/webhooks/${subId}/regenerate-secret`], ["GET", "/webhooks/events"], ["GET", `/webhooks/events/${subId}/payload`]] as const) {
    const res = await fetch(`${w.t.baseUrl}${w.tenant.base}${path}`, { method });
    expect(res.status, `${method} ${path}`).toBe(401);
  }
  expect((await fetch(`${w.t.baseUrl}/api/v1/webhooks/event-types`)).status).toBe(401);
});

test("another team sees none of our subscriptions and cannot reach them through its own path", async () => {
  const theirs = await w.call("GET", `${w.other.base}/webhooks/${subId}`, { session: w.other.sessions.owner });
  expect(theirs.status).toBe(404);
  const viaOurPath = await w.call("GET", `/webhooks/${subId}`, { session: w.other.sessions.owner });
  expect(viaOurPath.status).toBe(404);
  expect((await w.call("GET", `${w.other.base}/webhooks`, { session: w.other.sessions.owner })).body.total_count).toBe(0);
  expect((await w.call("DELETE", `${w.other.base}/webhooks/${subId}`, { session: w.other.sessions.owner })).status).toBe(404);
});

test("changing webhooks needs webhooks:write: members and ordinary keys get 403, a key that names it may", async () => {
  expect((await w.call("POST", "/webhooks", { session: w.tenant.sessions.member, body: { url: rx.url, events: ["job.failed"] } })).status).toBe(403);
  expect((await w.call("POST", `/webhooks/${subId}/regenerate-secret`, { apiKey: w.tenant.key.secret })).status).toBe(403);
  expect((await w.call("GET", "/webhooks", { session: w.tenant.sessions.viewer })).status).toBe(200);
  const automation = w.key("webhooks:read,webhooks:write");
  const res = await w.call("POST", "/webhooks", { apiKey: automation, body: { url: rx.url, events: ["job.failed"] } });
  expect(res.status).toBe(201);
  expect((await w.call("GET", "/webhooks", { apiKey: w.key("jobs") })).status).toBe(403);
});

test("webhook urls go through the address guard: loopback, private, link-local and metadata are refused", async () => {
  for (const url of ["http://127.0.0.1:9/x", "http://localhost/x", "http://10.0.0.1/x", "http://192.168.1.1/x", "http://169.254.169.254/latest/meta-data", "http://[::1]/x", "http://metadata.google.internal/", "ftp://example.com/x", "http://user:pw@example.com/"]) {
    const res = await w.call("POST", "/webhooks", { body: { url, events: ["job.completed"] } });
    expect(res.status, url).toBe(400);
    expect(res.body.code).toBe("BAD_REQUEST");
  }
  const res = await w.call("PUT", `/webhooks/${subId}`, { body: { url: "http://10.1.2.3/hook", events: ["job.completed"] } });
  expect(res.status).toBe(400);
});

test("issue 18 point 8: refusing a receiver on the operator's network names LEAPOCR_URL_ALLOW_HOSTS in the API's message; a metadata address gets no such hint", async () => {
  const lan = await w.call("POST", "/webhooks", { body: { url: "http://127.0.0.2:8443/hooks", events: ["job.completed"] } });
  expect(lan.status).toBe(400);
  expect(lan.body.error.message).toBe(
    "Webhook url refused: The URL's host 127.0.0.2 resolves to 127.0.0.2, a loopback, private, link-local or metadata address, which this server does not fetch. " +
      "If 127.0.0.2:8443 is a server on your own network that this server should reach, the operator can allow it with LEAPOCR_URL_ALLOW_HOSTS=127.0.0.2:8443 (comma-separated host or host:port).",
  );
  const local = await w.call("PUT", `/webhooks/${subId}`, { body: { url: "http://localhost:8080/hooks", events: ["job.completed"] } });
  expect(local.status).toBe(400);
  expect(local.body.error.message).toContain("allow it with LEAPOCR_URL_ALLOW_HOSTS=localhost:8080");
  for (const url of ["http://169.254.169.254/latest/meta-data", "http://metadata.google.internal/"]) {
    const meta = await w.call("POST", "/webhooks", { body: { url, events: ["job.completed"] } });
    expect(meta.status, url).toBe(400);
    expect(meta.body.error.message, url).not.toContain("LEAPOCR_URL_ALLOW_HOSTS");
  }
});

test("a receiver's redirect is not followed", async () => {
  const target = startReceiver();
  const redirector = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response(null, { status: 302, headers: { location: target.url } }) });
  const w2 = await startWorkspace({ urlAllowHosts: `127.0.0.1:${redirector.port},${target.hostPort}` });
  try {
    const sub = (await w2.call("POST", "/webhooks", { body: { url: `http://127.0.0.1:${redirector.port}/`, events: ["job.created"] } })).body;
    const res = await w2.call("POST", `/webhooks/${sub.id}/test`);
    expect(res.body.success).toBe(false);
    expect(res.body.error).toContain("redirect");
    expect(target.received).toHaveLength(0);
  } finally {
    await w2.close();
    redirector.stop(true);
    target.close();
  }
});

test("a webhook to an allow-listed host name is sent to the address that name was checked at, under its own name", async () => {
  const named = startReceiver();
  const port = named.hostPort.split(":")[1]!;
  const w2 = await startWorkspace({ urlAllowHosts: `localhost:${port}` });
  try {
    const sub = (await w2.call("POST", "/webhooks", { body: { url: `http://localhost:${port}/hooks`, events: ["job.created"] } })).body;
    const res = await w2.call("POST", `/webhooks/${sub.id}/test`);
    expect(res.status).toBe(200);
    expect(named.received.length).toBe(1);
    // Connected to the resolved address (the receiver listens on 127.0.0.1 only), Host kept.
    expect(named.received[0]!.headers.host).toBe(`localhost:${port}`);
  } finally {
    await w2.close();
    named.close();
  }
});

describe("finding 8: webhook signing secrets are shown to admins only, when created, rotated or revealed", () => {
  test("viewers, `*` keys and admins never read the secret from a list or a read", async () => {
    for (const opts of [{ session: w.tenant.sessions.viewer }, { session: w.tenant.sessions.member }, { session: w.tenant.sessions.admin }, { apiKey: w.tenant.key.secret }]) {
      const list = await w.call("GET", "/webhooks", opts);
      expect(list.status).toBe(200);
      expect(list.body.data.length).toBeGreaterThan(0);
      for (const s of list.body.data) expect(s.secret).toBeUndefined();
      const one = await w.call("GET", `/webhooks/${subId}`, opts);
      expect(one.status).toBe(200);
      expect(one.body.secret).toBeUndefined();
      expect(one.text).not.toContain("whsec_");
    }
  });

  test("an admin reveals the secret on purpose; the reveal is audited; viewers and `*` keys may not", async () => {
    expect((await w.call("POST", `/webhooks/${subId}/reveal-secret`, { session: w.tenant.sessions.viewer })).status).toBe(403);
    expect((await w.call("POST", `/webhooks/${subId}/reveal-secret`, { apiKey: w.tenant.key.secret })).status).toBe(403);
    const shown = await w.call("POST", `/webhooks/${subId}/reveal-secret`, { session: w.tenant.sessions.admin });
    expect(shown.status).toBe(200);
    expect(shown.body.secret).toMatch(/^whsec_/);
    const rotated = await w.call("POST", `/webhooks/${subId}/regenerate-secret`, { session: w.tenant.sessions.admin });
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(shown.body.secret);
    const audit = await w.call("GET", `/audit-logs?action=webhook.secret_revealed&target=${subId}`, { session: w.tenant.sessions.owner });
    expect(audit.body.data).toHaveLength(1);
    expect(audit.body.data[0].actor.id).toBe(w.tenant.users.admin.id);
    expect(JSON.stringify(audit.body)).not.toContain("whsec_");
  });
});
