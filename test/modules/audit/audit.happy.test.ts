/** The audit log: what is recorded, filters, cursor pagination, and its own retention schedule. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "../../helpers/app";
import { api, login, seedTenant, type Tenant } from "../../helpers/auth";
import { SdkClient } from "../../helpers/sdk-client";
import { digitalPdf } from "../../helpers/fixtures";
import { AuditRetentionScheduler } from "../../../src/scheduler/audit-retention";
import { auditLog } from "../../../src/db/schema";
import { recordAudit } from "../../../src/modules/audit/service";

const DAY = 86_400_000;
let t: TestServer;
let a: Tenant;
let offset = 0;

beforeAll(async () => {
  t = await startTestServer({ auditRetentionDays: 30 }, { clock: () => Date.now() + offset });
  a = await seedTenant(t, "Audited", { useDefault: true });
}, 60_000);
afterAll(() => t.close());

const list = (query = "") => api(t, "GET", `${a.base}/audit-logs${query}`, { session: a.sessions.admin });

describe("what is recorded", () => {
  test("key creation and revocation, settings changes, role changes and job deletion, with actor, IP and user agent", async () => {
    const key = await api(t, "POST", `${a.base}/api-keys`, { session: a.sessions.admin, body: { name: "audited key" }, headers: { "user-agent": "audit-test/1.0" } });
    await api(t, "DELETE", `${a.base}/api-keys/${key.body.id}`, { session: a.sessions.admin });
    await api(t, "PUT", `${a.base}/settings`, { session: a.sessions.admin, body: { retention_period_days: 5 } });
    await api(t, "PATCH", `${a.base}/members/${a.users.viewer.id}`, { session: a.sessions.owner, body: { role: "member" } });
    const client = new SdkClient(t.baseUrl, a.key.secret);
    const job = await client.upload(await digitalPdf([{ paragraphs: ["audit me"] }]), "audited.pdf");
    await client.waitForJob(job, 60_000).catch(() => undefined);
    expect((await client.call("DELETE", `/ocr/delete/${job}`)).status).toBe(200);

    const res = await list("?limit=200");
    expect(res.status).toBe(200);
    const byAction = (action: string) => res.body.data.filter((e: any) => e.action === action);
    const created = byAction("api_key.created").find((e: any) => e.target.id === key.body.id);
    expect(created).toMatchObject({ team_id: a.teamId, actor: { type: "user", id: a.users.admin.id }, target: { type: "api_key", id: key.body.id }, ip: "127.0.0.1", user_agent: "audit-test/1.0" });
    expect(created.metadata).toMatchObject({ name: "audited key", prefix: key.body.prefix });
    expect(byAction("api_key.revoked").some((e: any) => e.target.id === key.body.id)).toBe(true);
    expect(byAction("settings.updated")[0].metadata).toMatchObject({ retention_period_days: 5 });
    expect(byAction("member.role_changed")[0]).toMatchObject({ actor: { id: a.users.owner.id }, target: { id: a.users.viewer.id }, metadata: { from: "viewer", to: "member" } });
    expect(byAction("job.deleted")[0]).toMatchObject({ actor: { type: "api_key", id: a.key.id }, target: { type: "job", id: job } });
    // Members' logins (no team of their own) show in the team's log.
    expect(byAction("auth.login").some((e: any) => e.target.id === a.users.viewer.id)).toBe(true);
  });

  test("issue 18 point 6: ids come with what they stand for: a user's name and email, a key's, template's and team's name", async () => {
    const tpl = await api(t, "POST", `${a.base}/templates`, { session: a.sessions.admin, body: { name: "Named template", format: "markdown", model: "standard-v2" } });
    expect(tpl.status).toBe(201);
    const res = await list("?limit=200");
    const byAction = (action: string) => res.body.data.filter((e: any) => e.action === action);
    const created = byAction("api_key.created").find((e: any) => e.metadata?.name === "audited key");
    expect(created.actor).toEqual({ type: "user", id: a.users.admin.id, name: "admin user", email: a.users.admin.email });
    // A revoked key keeps its name.
    expect(created.target).toEqual({ type: "api_key", id: created.target.id, name: "audited key" });
    expect(byAction("job.deleted")[0].actor).toEqual({ type: "api_key", id: a.key.id, name: "Audited key" });
    expect(byAction("member.role_changed")[0].target).toEqual({ type: "user", id: a.users.viewer.id, name: "viewer user", email: a.users.viewer.email });
    expect(byAction("settings.updated")[0].target).toEqual({ type: "team", id: a.teamId, name: expect.any(String) });
    expect(byAction("template.created")[0].target).toEqual({ type: "template", id: tpl.body.id, name: "Named template" });
    // What has no name says so: a job, a system actor.
    expect(byAction("job.deleted")[0].target).toEqual({ type: "job", id: expect.any(String), name: null });
  });

  test("names of another team's keys are not looked up through this team's log", async () => {
    const other = await seedTenant(t, "Elsewhere");
    const { auditRepository } = await import("../../../src/modules/audit/repository");
    const { namesOf } = auditRepository(t.server.ctx.data);
    const names = await namesOf(a.teamId, [{ actorType: "api_key", actorId: other.key.id, targetType: "template", targetId: null }]);
    expect(names.size).toBe(0);
    expect((await namesOf(other.teamId, [{ actorType: "api_key", actorId: other.key.id, targetType: null, targetId: null }])).get(`api_key:${other.key.id}`)).toEqual({ name: "Elsewhere key" });
  });

  test("a failed login of a member shows in the team's log with the address, never the password", async () => {
    await api(t, "POST", "/api/v1/auth/login", { body: { email: a.users.member.email, password: "definitely-not-it-123" } });
    const res = await list(`?action=auth.login_failed&target=${a.users.member.id}`);
    expect(res.body.data.length).toBe(1);
    expect(res.body.data[0]).toMatchObject({ actor: { type: "user" }, ip: "127.0.0.1", metadata: { reason: "wrong_password" } });
    expect(res.text).not.toContain("definitely-not-it-123");
  });
});

describe("filters and pagination", () => {
  test("newest first; filter by exact action, action prefix, actor, target and time", async () => {
    const all = await list("?limit=200");
    const times = all.body.data.map((e: any) => Date.parse(e.created_at));
    expect([...times].sort((x, y) => y - x)).toEqual(times);

    const keys = await list("?action=api_key.*");
    expect(keys.body.data.length).toBeGreaterThan(0);
    expect(keys.body.data.every((e: any) => e.action.startsWith("api_key."))).toBe(true);
    expect(keys.body.total_count).toBe(keys.body.data.length);

    const byActor = await list(`?actor=${a.users.owner.id}`);
    expect(byActor.body.data.length).toBeGreaterThan(0);
    expect(byActor.body.data.every((e: any) => e.actor.id === a.users.owner.id)).toBe(true);

    const byTarget = await list(`?target=${a.users.viewer.id}&actor_type=user`);
    expect(byTarget.body.data.every((e: any) => e.target.id === a.users.viewer.id && e.actor.type === "user")).toBe(true);

    const future = await list(`?from=${new Date(Date.now() + 3_600_000).toISOString()}`);
    expect(future.body).toMatchObject({ data: [], total_count: 0, has_more: false, next_cursor: null });
    const past = await list(`?to=${Date.now() - 3_600_000}`);
    expect(past.body.total_count).toBe(0);
  });

  test("the cursor walks every record exactly once, with a stable total_count", async () => {
    const all = await list("?limit=200");
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 100; i++) {
      const page: any = await list(`?limit=3${cursor ? `&cursor=${cursor}` : ""}`);
      expect(page.body.total_count).toBe(all.body.total_count);
      seen.push(...page.body.data.map((e: any) => e.id));
      if (!page.body.has_more) {
        expect(page.body.next_cursor).toBeNull();
        break;
      }
      cursor = page.body.next_cursor;
    }
    expect(seen).toEqual(all.body.data.map((e: any) => e.id));
    expect(new Set(seen).size).toBe(seen.length);
  });
});

describe("audit retention", () => {
  test("records older than LEAPOCR_AUDIT_RETENTION_DAYS go on their own schedule, newer ones stay, and the purge is itself recorded", async () => {
    const ctx = t.server.ctx;
    recordAudit(ctx.db, { teamId: a.teamId, actor: { type: "system", id: "test" }, action: "test.old", targetType: "thing", targetId: "old-one" }, Date.now() - 31 * DAY);
    recordAudit(ctx.db, { teamId: a.teamId, actor: { type: "system", id: "test" }, action: "test.recent", targetType: "thing", targetId: "recent-one" }, Date.now() - 29 * DAY);
    const scheduler = new AuditRetentionScheduler(ctx);
    expect(await scheduler.tick()).toBe(1);
    const actions = ctx.db.select({ action: auditLog.action }).from(auditLog).all().map((r) => r.action);
    expect(actions).not.toContain("test.old");
    expect(actions).toContain("test.recent");
    expect(actions).toContain("audit.purged");
    expect(await scheduler.tick()).toBe(0);
    // 40 days on, the rest of today's records go too.
    offset = 40 * DAY;
    expect(await scheduler.tick()).toBeGreaterThan(5);
    offset = 0;
  });

  test("0 days keeps audit records forever", async () => {
    const t2 = await startTestServer({ auditRetentionDays: 0 });
    try {
      recordAudit(t2.server.ctx.db, { teamId: null, actor: { type: "system" }, action: "test.ancient" }, 0);
      expect(await new AuditRetentionScheduler(t2.server.ctx).tick()).toBe(0);
      expect(t2.server.ctx.db.select().from(auditLog).all().some((r) => r.action === "test.ancient")).toBe(true);
    } finally {
      await t2.close();
    }
  });

  test("a login made after the purge still lands (the writer is not blocked)", async () => {
    const s = await login(t, a.users.owner.email);
    expect(s.token).toBeTruthy();
  });
});
