/** Logging in, who-am-I, sessions, API keys, teams and members: the paths that should just work. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "../../helpers/app";
import { api, login, seedTenant, seedUser, TEST_PASSWORD, type Tenant } from "../../helpers/auth";

let t: TestServer;
let a: Tenant;

beforeAll(async () => {
  t = await startTestServer();
  a = await seedTenant(t, "Acme", { useDefault: true });
}, 60_000);
afterAll(() => t.close());

describe("login", () => {
  test("answers a Bearer token, a CSRF token and the user's teams, and sets an HttpOnly SameSite=Lax cookie", async () => {
    const res = await api(t, "POST", "/api/v1/auth/login", { body: { email: a.users.member.email.toUpperCase(), password: TEST_PASSWORD } });
    expect(res.status).toBe(200);
    expect(res.body.token).toMatch(/^los_/);
    expect(res.body.csrf_token.length).toBeGreaterThan(20);
    expect(res.body.user.email).toBe(a.users.member.email);
    expect(res.body.teams).toEqual([expect.objectContaining({ id: a.teamId, organization_id: a.orgId, role: "member" })]);
    expect(Date.parse(res.body.expires_at)).toBeGreaterThan(Date.now());
    const cookie = res.headers.get("set-cookie")!;
    expect(cookie).toContain(`leapocr_session=${res.body.token}`);
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Lax");
    expect(cookie).toContain("Path=/");
    // Plain http on loopback: a Secure cookie would never come back.
    expect(cookie).not.toContain("Secure");
    expect(res.headers.get("cache-control")).toBe("no-store");
  });

  test("behind a TLS proxy the operator trusts, the cookie is Secure", async () => {
    const t2 = await startTestServer({ trustProxy: true });
    try {
      const u = await seedUser(t2, (await import("../../helpers/auth")).defaultTeamOf(t2).teamId, "owner");
      const res = await api(t2, "POST", "/api/v1/auth/login", { body: { email: u.email, password: u.password }, headers: { "x-forwarded-proto": "https" } });
      expect(res.status).toBe(200);
      expect(res.headers.get("set-cookie")).toContain("Secure");
      // Without the operator's trust, the same header is ignored.
      const t3 = await startTestServer();
      try {
        const u3 = await seedUser(t3, (await import("../../helpers/auth")).defaultTeamOf(t3).teamId, "owner");
        const r3 = await api(t3, "POST", "/api/v1/auth/login", { body: { email: u3.email, password: u3.password }, headers: { "x-forwarded-proto": "https" } });
        expect(r3.headers.get("set-cookie")).not.toContain("Secure");
      } finally {
        await t3.close();
      }
    } finally {
      await t2.close();
    }
  });

  test("the first admin comes from LEAPOCR_ADMIN_EMAIL and LEAPOCR_ADMIN_PASSWORD on an unattended install", async () => {
    const t2 = await startTestServer({ adminEmail: "Root@Example.test", adminPassword: "a long enough password" });
    try {
      const s = await login(t2, "root@example.test", "a long enough password");
      const me = await api(t2, "GET", "/api/v1/auth/verify", { session: s });
      expect(me.body.teams[0].role).toBe("owner");
    } finally {
      await t2.close();
    }
  });
});

describe("verify", () => {
  test("with a Bearer session token: the user, the session and their teams with roles", async () => {
    const res = await api(t, "GET", "/api/v1/auth/verify", { session: a.sessions.admin });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "ok", auth_type: "session", user: { id: a.users.admin.id, email: a.users.admin.email }, session: { id: a.sessions.admin.sessionId } });
    expect(res.body.teams[0]).toMatchObject({ id: a.teamId, role: "admin" });
  });
  test("with the cookie: the same, and the CSRF token the page needs after a reload", async () => {
    const res = await api(t, "GET", "/api/v1/auth/verify", { cookie: a.sessions.viewer, csrf: false });
    expect(res.status).toBe(200);
    expect(res.body.session.csrf_token).toBe(a.sessions.viewer.csrfToken);
  });
  test("with an API key: the key (prefix, scopes, never the secret) and its team", async () => {
    const res = await api(t, "GET", "/api/v1/auth/verify", { apiKey: a.key.secret });
    expect(res.status).toBe(200);
    expect(res.body.auth_type).toBe("api_key");
    expect(res.body.api_key).toMatchObject({ id: a.key.id, prefix: a.key.prefix, scopes: ["*"], team_id: a.teamId, status: "active" });
    expect(res.text).not.toContain(a.key.secret);
  });
});

describe("sessions", () => {
  test("a user lists their sessions and revokes another one, which stops working at once", async () => {
    const other = await login(t, a.users.member.email);
    const current = await login(t, a.users.member.email);
    const list = await api(t, "GET", "/api/v1/auth/sessions", { session: current });
    expect(list.status).toBe(200);
    const ids = list.body.data.map((s: { id: string }) => s.id);
    expect(ids).toContain(other.sessionId);
    expect(list.body.data.find((s: { id: string; current: boolean }) => s.id === current.sessionId).current).toBe(true);
    const del = await api(t, "DELETE", `/api/v1/auth/sessions/${other.sessionId}`, { session: current });
    expect(del.status).toBe(200);
    expect((await api(t, "GET", "/api/v1/auth/verify", { session: other })).status).toBe(401);
    expect((await api(t, "GET", "/api/v1/auth/verify", { session: current })).status).toBe(200);
  });
  test("logout revokes the session and clears the cookie", async () => {
    const s = await login(t, a.users.viewer.email);
    const out = await api(t, "POST", "/api/v1/auth/logout", { cookie: s });
    expect(out.status).toBe(200);
    expect(out.headers.get("set-cookie")).toContain("Max-Age=0");
    expect((await api(t, "GET", "/api/v1/auth/verify", { cookie: s, csrf: false })).status).toBe(401);
    expect((await api(t, "GET", "/api/v1/auth/verify", { session: s })).status).toBe(401);
  });
});

describe("API keys", () => {
  test("created with a name, scopes and an expiry; the secret is shown once; listed by prefix; last use recorded", async () => {
    const created = await api(t, "POST", `${a.base}/api-keys`, { cookie: a.sessions.member, body: { name: "ci", scopes: ["jobs"], expires_in_days: 30 } });
    expect(created.status).toBe(200);
    const secret = created.body.key as string;
    expect(secret.startsWith(created.body.prefix)).toBe(true);
    expect(created.body).toMatchObject({ name: "ci", scopes: ["jobs"], status: "active", created_by_user_id: a.users.member.id, last_used_at: null });
    expect(Date.parse(created.body.expires_at) - Date.now()).toBeGreaterThan(29 * 86_400_000);

    const models = await api(t, "GET", "/api/v1/ocr/models", { apiKey: secret });
    expect(models.status).toBe(200);

    const list = await api(t, "GET", `${a.base}/api-keys`, { session: a.sessions.member });
    expect(list.status).toBe(200);
    const row = list.body.data.find((k: { id: string }) => k.id === created.body.id);
    expect(row.prefix).toBe(created.body.prefix);
    expect(row.last_used_at).not.toBeNull();
    expect(list.text).not.toContain(secret);
  });

  test("revocation takes effect on the very next request", async () => {
    const created = await api(t, "POST", `${a.base}/api-keys`, { session: a.sessions.admin, body: { name: "short-lived" } });
    const secret = created.body.key;
    expect((await api(t, "GET", "/api/v1/ocr/models", { apiKey: secret })).status).toBe(200);
    const del = await api(t, "DELETE", `${a.base}/api-keys/${created.body.id}`, { session: a.sessions.admin });
    expect(del.status).toBe(200);
    expect(del.body.status).toBe("revoked");
    expect((await api(t, "GET", "/api/v1/ocr/models", { apiKey: secret })).status).toBe(401);
    expect((await api(t, "GET", `${a.base}/settings`, { apiKey: secret })).status).toBe(401);
  });

  test("a key scoped to jobs:read reads but cannot upload", async () => {
    const created = await api(t, "POST", `${a.base}/api-keys`, { session: a.sessions.member, body: { name: "reader", scopes: ["jobs:read"] } });
    expect((await api(t, "GET", "/api/v1/ocr/models", { apiKey: created.body.key })).status).toBe(200);
    const up = await api(t, "POST", "/api/v1/ocr/uploads/direct", { apiKey: created.body.key, body: { file_name: "a.pdf", file_size: 10, content_type: "application/pdf" } });
    expect(up.status).toBe(403);
    expect(up.body.code).toBe("FORBIDDEN");
  });

  test("an admin may give a key settings:write, and that key can change settings", async () => {
    const created = await api(t, "POST", `${a.base}/api-keys`, { session: a.sessions.admin, body: { name: "retention bot", scopes: ["settings:read", "settings:write"] } });
    expect(created.status).toBe(200);
    const put = await api(t, "PUT", `${a.base}/settings`, { apiKey: created.body.key, body: { retention_period_days: 3 } });
    expect(put.status).toBe(200);
  });
});

describe("teams and members", () => {
  test("the organization's teams the caller belongs to; an owner creates a new team and owns it", async () => {
    const list = await api(t, "GET", `/api/v1/organizations/${a.orgId}/teams`, { session: a.sessions.viewer });
    expect(list.status).toBe(200);
    expect(list.body.data).toEqual([expect.objectContaining({ id: a.teamId, role: "viewer" })]);
    const created = await api(t, "POST", `/api/v1/organizations/${a.orgId}/teams`, { cookie: a.sessions.owner, body: { name: "Research" } });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ name: "Research", organization_id: a.orgId, role: "owner" });
    const mine = await api(t, "GET", `/api/v1/organizations/${a.orgId}/teams`, { session: a.sessions.owner });
    expect(mine.body.data.map((x: { id: string }) => x.id)).toContain(created.body.id);
    // The new team is not the viewer's.
    expect((await api(t, "GET", `/api/v1/organizations/${a.orgId}/teams/${created.body.id}/settings`, { session: a.sessions.viewer })).status).toBe(404);
  });

  test("an admin invites a person who sets their own password, changes their role and removes them; each step is audited", async () => {
    const email = `new.${crypto.randomUUID().slice(0, 6)}@example.test`;
    const add = await api(t, "POST", `${a.base}/members`, { cookie: a.sessions.admin, body: { email, role: "viewer" } });
    expect(add.status).toBe(201);
    expect(add.body).toMatchObject({ email, role: "viewer", status: "pending" });
    expect(add.body.invite_url).toEndWith(`/#/invite/${add.body.token}`);
    const accepted = await api(t, "POST", "/api/v1/invitations/accept", { body: { token: add.body.token, name: "New Person", password: "twelve chars at least" } });
    expect(accepted.status).toBe(200);
    const userId = accepted.body.user_id;
    const s = await login(t, email, "twelve chars at least");
    expect((await api(t, "GET", `${a.base}/members`, { session: s })).status).toBe(200);

    const promote = await api(t, "PATCH", `${a.base}/members/${userId}`, { session: a.sessions.admin, body: { role: "member" } });
    expect(promote.status).toBe(200);
    expect(promote.body.role).toBe("member");
    // A member's logins belong to no team; the team's audit log shows them while they are a member.
    const logins = await api(t, "GET", `${a.base}/audit-logs?target=${userId}&action=auth.*`, { session: a.sessions.owner });
    expect(logins.body.data.map((e: { action: string }) => e.action)).toEqual(["auth.login"]);
    const remove = await api(t, "DELETE", `${a.base}/members/${userId}`, { session: a.sessions.admin });
    expect(remove.status).toBe(200);
    // Removed: the same session no longer reaches the team.
    expect((await api(t, "GET", `${a.base}/members`, { session: s })).status).toBe(404);

    const audit = await api(t, "GET", `${a.base}/audit-logs?target=${userId}`, { session: a.sessions.owner });
    const actions = audit.body.data.map((e: { action: string }) => e.action);
    for (const action of ["user.created", "member.added", "member.role_changed", "member.removed"]) expect(actions).toContain(action);
    const change = audit.body.data.find((e: { action: string }) => e.action === "member.role_changed");
    expect(change.metadata).toEqual({ from: "viewer", to: "member" });
    expect(change.actor).toEqual({ type: "user", id: a.users.admin.id, name: "admin user", email: a.users.admin.email });
  });

  test("an existing user is invited to another team by email and joins when they accept", async () => {
    const created = await api(t, "POST", `/api/v1/organizations/${a.orgId}/teams`, { session: a.sessions.owner, body: { name: "Ops" } });
    const base = `/api/v1/organizations/${a.orgId}/teams/${created.body.id}`;
    const add = await api(t, "POST", `${base}/members`, { session: a.sessions.owner, body: { email: a.users.viewer.email, role: "member" } });
    expect(add.status).toBe(201);
    const mine = await api(t, "GET", "/api/v1/auth/invitations", { session: a.sessions.viewer });
    expect(mine.body.data.map((i: { id: string }) => i.id)).toEqual([add.body.id]);
    expect((await api(t, "POST", `/api/v1/auth/invitations/${add.body.id}/accept`, { cookie: a.sessions.viewer })).status).toBe(200);
    const me = await api(t, "GET", "/api/v1/auth/verify", { session: a.sessions.viewer });
    expect(me.body.teams.map((x: { role: string }) => x.role).sort()).toEqual(["member", "viewer"]);
  });
});
