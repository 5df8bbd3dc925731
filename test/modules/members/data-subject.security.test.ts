/** Data-subject requests (issue 15): an admin exports everything held about a member, or erases them; both audited, neither reaching past the admin's own teams. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { startTestServer, type TestServer } from "../../helpers/app";
import { api, login, seedTenant, seedUser, TEST_PASSWORD, type Tenant } from "../../helpers/auth";
import { auditLog, sessions, users } from "../../../src/db/schema";

let t: TestServer;
let a: Tenant;
let b: Tenant;
beforeAll(async () => {
  t = await startTestServer();
  a = await seedTenant(t, "DsrA", { useDefault: true });
  b = await seedTenant(t, "DsrB");
}, 60_000);
afterAll(() => t.close());

async function subject(name: string) {
  const email = `${name}.${crypto.randomUUID().slice(0, 6)}@example.test`;
  const u = await seedUser(t, a.teamId, "member", { email, name: `${name} Person` });
  await api(t, "POST", "/api/v1/auth/login", { body: { email, password: "a wrong password here" } });
  const s = await login(t, email, u.password);
  const key = await api(t, "POST", `${a.base}/api-keys`, { session: s, body: { name: `${name}'s key` } });
  return { ...u, session: s, key: key.body.key as string, keyId: key.body.id as string };
}

describe("data-subject requests: export", () => {
  test("an admin exports a member's profile, memberships, sessions, key metadata and the audit rows about them; it is audited", async () => {
    const p = await subject("export");
    const res = await api(t, "POST", `${a.base}/members/${p.id}/export`, { session: a.sessions.admin });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-disposition")).toContain("attachment");
    expect(res.body.user).toMatchObject({ id: p.id, email: p.email, name: "export Person" });
    expect(res.body.memberships.map((m: { team_id: string; role: string }) => [m.team_id, m.role])).toEqual([[a.teamId, "member"]]);
    expect(res.body.sessions.map((s: { id: string }) => s.id)).toContain(p.session.sessionId);
    expect(res.body.sessions[0].ip).toBe("127.0.0.1");
    expect(res.body.api_keys.map((k: { id: string }) => k.id)).toEqual([p.keyId]);
    expect(res.text).not.toContain(p.key); // metadata only, never the secret
    const actions = res.body.audit_log.map((r: { action: string }) => r.action);
    expect(actions).toEqual(expect.arrayContaining(["auth.login_failed", "auth.login", "member.added", "api_key.created"]));
    const audit = await api(t, "GET", `${a.base}/audit-logs?action=user.exported&target=${p.id}`, { session: a.sessions.owner });
    expect(audit.body.data).toHaveLength(1);
    expect(audit.body.data[0].actor.id).toBe(a.users.admin.id);
  });

  test("members, viewers and keys may not; another team's admin gets 404; a person who is also in a team the admin does not run is refused", async () => {
    const p = await subject("guarded");
    expect((await api(t, "POST", `${a.base}/members/${p.id}/export`, { session: a.sessions.member })).status).toBe(403);
    expect((await api(t, "POST", `${a.base}/members/${p.id}/export`, { session: a.sessions.viewer })).status).toBe(403);
    expect((await api(t, "POST", `${a.base}/members/${p.id}/export`, { apiKey: a.key.secret })).status).toBe(403);
    expect((await api(t, "POST", `${b.base}/members/${p.id}/export`, { session: b.sessions.owner })).status).toBe(404);
    expect((await api(t, "POST", `${b.base}/members/${p.id}/erase`, { session: b.sessions.owner })).status).toBe(404);
    await seedUser(t, b.teamId, "viewer", { email: p.email });
    const res = await api(t, "POST", `${a.base}/members/${p.id}/export`, { session: a.sessions.admin });
    expect(res.status).toBe(403);
    expect(res.text).not.toContain(b.teamId);
    expect((await api(t, "POST", `${a.base}/members/${p.id}/erase`, { session: a.sessions.admin })).status).toBe(403);
    expect((await api(t, "GET", "/api/v1/auth/verify", { session: p.session })).status).toBe(200);
  });
});

describe("data-subject requests: erasure", () => {
  test("erasing revokes sessions and keys, removes personal fields, and leaves audit rows with a pseudonym only", async () => {
    const p = await subject("erase");
    const res = await api(t, "POST", `${a.base}/members/${p.id}/erase`, { cookie: a.sessions.admin });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ erased: true, keys_revoked: 1, memberships_removed: 1 });
    expect(res.body.sessions_revoked).toBeGreaterThanOrEqual(1);
    const pseudonym = res.body.pseudonym as string;
    expect(pseudonym).toMatch(/^erased_/);
    // Access has ended everywhere.
    expect((await api(t, "GET", "/api/v1/auth/verify", { session: p.session })).status).toBe(401);
    expect((await api(t, "GET", `${a.base}/jobs`, { apiKey: p.key })).status).toBe(401);
    expect((await api(t, "POST", "/api/v1/auth/login", { body: { email: p.email, password: TEST_PASSWORD } })).status).toBe(401);
    expect((await api(t, "GET", `${a.base}/members`, { session: a.sessions.admin })).text).not.toContain(p.email);
    // Personal fields are gone from the user row and the sessions.
    const db = t.server.ctx.db;
    const row = db.select().from(users).where(eq(users.id, p.id)).get()!;
    expect(row.email).not.toContain("erase.");
    expect(row.name).toBe("Erased user");
    expect(row.disabledAt).not.toBeNull();
    for (const s of db.select().from(sessions).where(eq(sessions.userId, p.id)).all()) expect([s.ip, s.userAgent, s.revokedAt === null]).toEqual([null, null, false]);
    // Audit rows keep what happened, under the pseudonym, without the id, email or addresses.
    const all = db.select().from(auditLog).all();
    const text = JSON.stringify(all);
    expect(text).not.toContain(p.id);
    expect(text).not.toContain(p.email);
    const theirs = all.filter((r) => r.actorId === pseudonym || r.targetId === pseudonym);
    expect(theirs.map((r) => r.action)).toEqual(expect.arrayContaining(["auth.login", "auth.login_failed", "member.added", "user.erased"]));
    for (const r of theirs.filter((r) => r.action.startsWith("auth."))) expect([r.ip, r.userAgent]).toEqual([null, null]);
    const erased = all.find((r) => r.action === "user.erased" && r.targetId === pseudonym)!;
    expect(erased.actorId).toBe(a.users.admin.id);
    expect(erased.teamId).toBe(a.teamId);
  });

  test("an admin cannot erase an owner, and the last owner of a team cannot be erased", async () => {
    expect((await api(t, "POST", `${a.base}/members/${a.users.owner.id}/erase`, { session: a.sessions.admin })).status).toBe(403);
    expect((await api(t, "POST", `${a.base}/members/${a.users.owner.id}/erase`, { session: a.sessions.owner })).status).toBe(409);
  });
});
