/** Who may read an audit log, that one team never sees another's, and that no document content is ever recorded. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "../../helpers/app";
import { api, login, seedTenant, seedUser, type Tenant } from "../../helpers/auth";
import { SdkClient } from "../../helpers/sdk-client";
import { digitalPdf } from "../../helpers/fixtures";
import { auditLog } from "../../../src/db/schema";

let t: TestServer;
let a: Tenant;
let b: Tenant;
beforeAll(async () => {
  t = await startTestServer();
  a = await seedTenant(t, "AuditA", { useDefault: true });
  b = await seedTenant(t, "AuditB");
  await api(t, "POST", `${b.base}/api-keys`, { session: b.sessions.admin, body: { name: "b-only key" } });
  await api(t, "POST", "/api/v1/auth/login", { body: { email: b.users.member.email, password: "wrong password b" } });
}, 60_000);
afterAll(() => t.close());

describe("who reads the audit log", () => {
  test("owners and admins do; members, viewers and API keys get 403", async () => {
    expect((await api(t, "GET", `${a.base}/audit-logs`, { session: a.sessions.owner })).status).toBe(200);
    expect((await api(t, "GET", `${a.base}/audit-logs`, { session: a.sessions.admin })).status).toBe(200);
    for (const creds of [{ session: a.sessions.member }, { session: a.sessions.viewer }, { apiKey: a.key.secret }]) {
      const res = await api(t, "GET", `${a.base}/audit-logs`, creds);
      expect(res.status).toBe(403);
      expect(res.body.code).toBe("FORBIDDEN");
    }
  });

  test("team A's log holds nothing of team B: not its keys, not its members' logins or failed logins", async () => {
    const res = await api(t, "GET", `${a.base}/audit-logs?limit=200`, { session: a.sessions.owner });
    expect(res.status).toBe(200);
    for (const needle of [b.teamId, b.key.id, ...Object.values(b.users).map((u) => u.id), "b-only key"]) expect(res.text).not.toContain(needle);
    expect(res.body.data.every((e: { team_id: string | null }) => e.team_id === a.teamId || e.team_id === null)).toBe(true);
  });

  test("team B's log asked for with team A's admin session answers 404", async () => {
    const res = await api(t, "GET", `${b.base}/audit-logs`, { session: a.sessions.owner });
    expect(res.status).toBe(404);
  });
});

describe("no document content", () => {
  test("uploading, reading and deleting a document leaves neither its text nor its result in any audit record", async () => {
    const secretText = "Platypus invoice total forty-two thousand";
    const client = new SdkClient(t.baseUrl, a.key.secret);
    const job = await client.upload(await digitalPdf([{ heading: "Confidential", paragraphs: [secretText] }]), "confidential.pdf");
    const status = await client.waitForJob(job, 60_000).catch(() => null);
    if (status?.status === "completed") await client.result(job);
    await client.call("DELETE", `/ocr/delete/${job}`);
    const rows = JSON.stringify(t.server.ctx.db.select().from(auditLog).all());
    expect(rows).toContain(job);
    expect(rows).not.toContain("Platypus");
    expect(rows).not.toContain("forty-two");
  });
});

describe("finding 9: audit reads are scoped to the team the row belongs to", () => {
  test("an owner who adds another team's user sees none of that user's earlier logins, only those made as a member", async () => {
    const u = b.users.member;
    // u has logged in (and failed once) as a member of B only.
    const before = await api(t, "GET", `${b.base}/audit-logs?target=${u.id}`, { session: b.sessions.owner });
    expect(before.body.data.map((e: { action: string }) => e.action)).toEqual(expect.arrayContaining(["auth.login", "auth.login_failed"]));
    await Bun.sleep(5);
    await seedUser(t, a.teamId, "viewer", { email: u.email });
    const seen = await api(t, "GET", `${a.base}/audit-logs?target=${u.id}`, { session: a.sessions.owner });
    expect(seen.status).toBe(200);
    expect(seen.body.data).toEqual([]);
    expect(seen.text).not.toContain("wrong_password");
    await Bun.sleep(5);
    await login(t, u.email, u.password);
    const after = await api(t, "GET", `${a.base}/audit-logs?target=${u.id}`, { session: a.sessions.owner });
    expect(after.body.data.map((e: { action: string }) => e.action)).toEqual(["auth.login"]);
    // B, where u was all along, still sees all of it.
    const stillB = await api(t, "GET", `${b.base}/audit-logs?target=${u.id}`, { session: b.sessions.owner });
    expect(stillB.body.data.length).toBe(before.body.data.length + 1);
  });
});
