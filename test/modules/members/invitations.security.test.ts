/** Issue 15, finding 3 and the invitation flow: nobody joins a team without accepting, and invitees choose their own password. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { startTestServer, type TestServer } from "../../helpers/app";
import { api, login, seedTenant, type Tenant } from "../../helpers/auth";
import { invitations } from "../../../src/db/schema";

let t: TestServer;
let a: Tenant;
let b: Tenant;
beforeAll(async () => {
  t = await startTestServer();
  a = await seedTenant(t, "InvA", { useDefault: true });
  b = await seedTenant(t, "InvB");
}, 60_000);
afterAll(() => t.close());

const teamsOf = async (s: { token: string }) => ((await api(t, "GET", "/api/v1/auth/verify", { session: s })).body.teams as { id: string; role: string }[]);

describe("finding 3: a team cannot be pushed into another user's dashboard", () => {
  test("adding an existing user of another team makes an invitation; they are not a member until they accept", async () => {
    const victim = a.users.member;
    const add = await api(t, "POST", `${b.base}/members`, { session: b.sessions.owner, body: { email: victim.email, role: "owner" } });
    expect(add.status).toBe(201);
    expect(add.body.status).toBe("pending");
    expect((await teamsOf(a.sessions.member)).map((x) => x.id)).toEqual([a.teamId]);
    expect((await api(t, "GET", `${b.base}/jobs`, { session: a.sessions.member })).status).toBe(404);
    const members = await api(t, "GET", `${b.base}/members`, { session: b.sessions.owner });
    expect(members.body.data.map((m: { user_id: string }) => m.user_id)).not.toContain(victim.id);
    // The link alone cannot add an account that exists: its owner must sign in and accept.
    const viaLink = await api(t, "POST", "/api/v1/invitations/accept", { body: { token: add.body.token, name: "Mallory", password: "mallory's long password" } });
    expect(viaLink.status).toBe(409);
    expect((await teamsOf(a.sessions.member)).map((x) => x.id)).toEqual([a.teamId]);
    // The invitee sees it and declines: still not a member, and the invitation is closed.
    const mine = await api(t, "GET", "/api/v1/auth/invitations", { session: a.sessions.member });
    expect(mine.body.data).toHaveLength(1);
    expect(mine.body.data[0]).toMatchObject({ team_id: b.teamId, role: "owner", team_name: "InvB" });
    expect((await api(t, "POST", `/api/v1/auth/invitations/${add.body.id}/decline`, { session: a.sessions.member })).status).toBe(200);
    expect((await teamsOf(a.sessions.member)).map((x) => x.id)).toEqual([a.teamId]);
    expect((await api(t, "GET", `${b.base}/invitations`, { session: b.sessions.owner })).body.data).toEqual([]);
    expect((await api(t, "POST", `/api/v1/auth/invitations/${add.body.id}/accept`, { session: a.sessions.member })).status).toBe(404);
  });

  test("only the invited user can accept; accepting joins with the invited role", async () => {
    const add = await api(t, "POST", `${b.base}/members`, { session: b.sessions.admin, body: { email: a.users.viewer.email, role: "member" } });
    expect(add.status).toBe(201);
    expect((await api(t, "POST", `/api/v1/auth/invitations/${add.body.id}/accept`, { session: a.sessions.owner })).status).toBe(404);
    expect((await api(t, "POST", `/api/v1/auth/invitations/${add.body.id}/accept`, { session: a.sessions.viewer })).status).toBe(200);
    const roles = Object.fromEntries((await teamsOf(a.sessions.viewer)).map((x) => [x.id, x.role]));
    expect(roles).toEqual({ [a.teamId]: "viewer", [b.teamId]: "member" });
    const audit = await api(t, "GET", `${b.base}/audit-logs?target=${a.users.viewer.id}&action=member.added`, { session: b.sessions.owner });
    expect(audit.body.data[0].actor.id).toBe(a.users.viewer.id);
  });
});

describe("invitations: the invitee sets their own password through a one-time link", () => {
  test("a new person opens the link, chooses a password, and signs in with it; the link then stops working", async () => {
    const email = `new.${crypto.randomUUID().slice(0, 6)}@example.test`;
    const add = await api(t, "POST", `${a.base}/members`, { session: a.sessions.admin, body: { email, role: "viewer" } });
    expect(add.status).toBe(201);
    expect(add.body.invite_url).toMatch(/\/#\/invite\/loi_[A-Za-z0-9_-]{40,}$/);
    const seen = await api(t, "POST", "/api/v1/invitations/lookup", { body: { token: add.body.token } });
    expect(seen.body).toMatchObject({ email, role: "viewer", team_name: "Default team", account_exists: false });
    const ok = await api(t, "POST", "/api/v1/invitations/accept", { body: { token: add.body.token, name: "Nell New", password: "nell's very own password" } });
    expect(ok.status).toBe(200);
    const s = await login(t, email, "nell's very own password");
    expect((await teamsOf(s)).map((x) => [x.id, x.role])).toEqual([[a.teamId, "viewer"]]);
    expect((await api(t, "POST", "/api/v1/invitations/accept", { body: { token: add.body.token, name: "Again", password: "another long password" } })).status).toBe(404);
    expect((await api(t, "POST", "/api/v1/invitations/lookup", { body: { token: add.body.token } })).status).toBe(404);
    // Only the token's hash is stored.
    const row = t.server.ctx.db.select().from(invitations).where(eq(invitations.id, add.body.id)).get()!;
    expect(JSON.stringify(row)).not.toContain(add.body.token);
    expect(row.outcome).toBe("accepted");
  });

  test("revoked and expired links answer 404; an admin cannot invite an owner", async () => {
    const r = await api(t, "POST", `${a.base}/members`, { session: a.sessions.admin, body: { email: "revoked@example.test", role: "member" } });
    expect((await api(t, "DELETE", `${a.base}/invitations/${r.body.id}`, { session: a.sessions.admin })).status).toBe(200);
    expect((await api(t, "POST", "/api/v1/invitations/lookup", { body: { token: r.body.token } })).status).toBe(404);
    const e = await api(t, "POST", `${a.base}/members`, { session: a.sessions.admin, body: { email: "expired@example.test", role: "member" } });
    t.server.ctx.db.update(invitations).set({ expiresAt: Date.now() - 1 }).where(eq(invitations.id, e.body.id)).run();
    expect((await api(t, "POST", "/api/v1/invitations/accept", { body: { token: e.body.token, name: "Late", password: "a late long password" } })).status).toBe(404);
    expect((await api(t, "POST", `${a.base}/members`, { session: a.sessions.admin, body: { email: "boss@example.test", role: "owner" } })).status).toBe(403);
  });

  test("an invitation lapses when its inviter loses the power to give the role", async () => {
    const inviter = a.users.admin;
    const add = await api(t, "POST", `${a.base}/members`, { session: a.sessions.admin, body: { email: "lapsed@example.test", role: "admin" } });
    expect(add.status).toBe(201);
    expect((await api(t, "PATCH", `${a.base}/members/${inviter.id}`, { session: a.sessions.owner, body: { role: "member" } })).status).toBe(200);
    const res = await api(t, "POST", "/api/v1/invitations/accept", { body: { token: add.body.token, name: "Lapsed", password: "lapsed long password" } });
    expect(res.status).toBe(409);
    // Nobody was created on the way.
    expect((await api(t, "POST", "/api/v1/auth/login", { body: { email: "lapsed@example.test", password: "lapsed long password" } })).status).toBe(401);
    expect((await api(t, "PATCH", `${a.base}/members/${inviter.id}`, { session: a.sessions.owner, body: { role: "admin" } })).status).toBe(200);
  });
});
