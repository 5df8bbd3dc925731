/** Members and roles cannot be used to climb: no self-promotion, no reach into another team, removal ends access at once. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "../../helpers/app";
import { api, login, seedTenant, seedUser, type Tenant } from "../../helpers/auth";

let t: TestServer;
let a: Tenant;
let b: Tenant;
beforeAll(async () => {
  t = await startTestServer();
  a = await seedTenant(t, "MembersA", { useDefault: true });
  b = await seedTenant(t, "MembersB");
}, 60_000);
afterAll(() => t.close());

describe("members", () => {
  test("an admin cannot make themselves owner; a member cannot make themselves admin", async () => {
    expect((await api(t, "PATCH", `${a.base}/members/${a.users.admin.id}`, { session: a.sessions.admin, body: { role: "owner" } })).status).toBe(403);
    expect((await api(t, "PATCH", `${a.base}/members/${a.users.member.id}`, { session: a.sessions.member, body: { role: "admin" } })).status).toBe(403);
    const list = await api(t, "GET", `${a.base}/members`, { session: a.sessions.owner });
    const roles = Object.fromEntries(list.body.data.map((m: { user_id: string; role: string }) => [m.user_id, m.role]));
    expect(roles[a.users.admin.id]).toBe("admin");
    expect(roles[a.users.member.id]).toBe("member");
  });

  test("a role change by cookie without the CSRF token is refused", async () => {
    const res = await api(t, "PATCH", `${a.base}/members/${a.users.viewer.id}`, { cookie: a.sessions.owner, csrf: false, body: { role: "admin" } });
    expect(res.status).toBe(403);
  });

  test("another team's member id on our path answers 404, and another team's owner cannot touch our members", async () => {
    expect((await api(t, "PATCH", `${a.base}/members/${b.users.member.id}`, { session: a.sessions.owner, body: { role: "viewer" } })).status).toBe(404);
    expect((await api(t, "DELETE", `${a.base}/members/${b.users.member.id}`, { session: a.sessions.owner })).status).toBe(404);
    expect((await api(t, "GET", `${a.base}/members`, { session: b.sessions.owner })).status).toBe(404);
    expect((await api(t, "PATCH", `${a.base}/members/${a.users.viewer.id}`, { session: b.sessions.owner, body: { role: "admin" } })).status).toBe(404);
    expect((await api(t, "POST", `${a.base}/members`, { session: b.sessions.owner, body: { email: b.users.viewer.email, role: "owner" } })).status).toBe(404);
  });

  test("an API key, even with every scope, cannot list or manage members", async () => {
    expect((await api(t, "GET", `${a.base}/members`, { apiKey: a.key.secret })).status).toBe(403);
    expect((await api(t, "POST", `${a.base}/members`, { apiKey: a.key.secret, body: { email: "k@example.test", role: "owner" } })).status).toBe(403);
  });

  test("a removed member loses the team on their very next request, with the same session", async () => {
    const u = await seedUser(t, a.teamId, "member");
    const s = await login(t, u.email, u.password);
    expect((await api(t, "GET", `${a.base}/settings`, { session: s })).status).toBe(200);
    expect((await api(t, "DELETE", `${a.base}/members/${u.id}`, { session: a.sessions.admin })).status).toBe(200);
    expect((await api(t, "GET", `${a.base}/settings`, { session: s })).status).toBe(404);
    expect((await api(t, "GET", "/api/v1/auth/verify", { session: s })).body.teams).toEqual([]);
  });

  test("a demoted admin loses admin powers at once", async () => {
    const u = await seedUser(t, a.teamId, "admin");
    const s = await login(t, u.email, u.password);
    expect((await api(t, "GET", `${a.base}/audit-logs`, { session: s })).status).toBe(200);
    expect((await api(t, "PATCH", `${a.base}/members/${u.id}`, { session: a.sessions.owner, body: { role: "viewer" } })).status).toBe(200);
    expect((await api(t, "GET", `${a.base}/audit-logs`, { session: s })).status).toBe(403);
  });
});
