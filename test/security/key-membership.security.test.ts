/** Issue 15, finding 2: an API key acts with at most its creator's current powers, and dies with their membership. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { startTestServer, type TestServer } from "../helpers/app";
import { api, login, seedTenant, seedUser, type Tenant } from "../helpers/auth";
import { users } from "../../src/db/schema";

let t: TestServer;
let a: Tenant;
beforeAll(async () => {
  t = await startTestServer();
  a = await seedTenant(t, "KeysFollow", { useDefault: true });
}, 60_000);
afterAll(() => t.close());

const someJob = "00000000-0000-4000-8000-000000000000";

async function memberWithKey(role: "member" | "admin" = "member") {
  const u = await seedUser(t, a.teamId, role);
  const s = await login(t, u.email, u.password);
  const made = await api(t, "POST", `${a.base}/api-keys`, { session: s, body: { name: `${role}'s key` } });
  expect(made.status).toBe(200);
  return { user: u, session: s, key: made.body.key as string, keyId: made.body.id as string };
}

describe("finding 2: keys follow their creator's membership", () => {
  test("a demoted member's `*` key loses the powers the new role lacks on its next request", async () => {
    const m = await memberWithKey();
    // jobs:delete is a member's power: an unknown job answers 404, not 403.
    expect((await api(t, "DELETE", `/api/v1/ocr/delete/${someJob}`, { apiKey: m.key })).status).toBe(404);
    expect((await api(t, "PUT", `${a.base}/templates/${someJob}`, { apiKey: m.key, body: { name: "x", format: "markdown" } })).status).not.toBe(403);
    expect((await api(t, "PATCH", `${a.base}/members/${m.user.id}`, { session: a.sessions.owner, body: { role: "viewer" } })).status).toBe(200);
    const del = await api(t, "DELETE", `/api/v1/ocr/delete/${someJob}`, { apiKey: m.key });
    expect(del.status).toBe(403);
    expect((await api(t, "PUT", `${a.base}/templates/${someJob}`, { apiKey: m.key, body: { name: "x", format: "markdown" } })).status).toBe(403);
    // What a viewer may still do, the key still may.
    expect((await api(t, "GET", `${a.base}/jobs`, { apiKey: m.key })).status).toBe(200);
  });

  test("removing the member revokes their keys at once, with an audit record per key", async () => {
    const m = await memberWithKey();
    expect((await api(t, "GET", `${a.base}/jobs`, { apiKey: m.key })).status).toBe(200);
    expect((await api(t, "GET", `${a.base}/webhooks`, { apiKey: m.key })).status).toBe(200);
    expect((await api(t, "DELETE", `${a.base}/members/${m.user.id}`, { session: a.sessions.admin })).status).toBe(200);
    expect((await api(t, "GET", `${a.base}/jobs`, { apiKey: m.key })).status).toBe(401);
    expect((await api(t, "GET", `${a.base}/webhooks`, { apiKey: m.key })).status).toBe(401);
    expect((await api(t, "GET", `/api/v1/ocr/status/${someJob}`, { apiKey: m.key })).status).toBe(401);
    const keys = await api(t, "GET", `${a.base}/api-keys`, { session: a.sessions.admin });
    expect(keys.body.data.find((k: { id: string }) => k.id === m.keyId).status).toBe("revoked");
    const audit = await api(t, "GET", `${a.base}/audit-logs?action=api_key.revoked&target=${m.keyId}`, { session: a.sessions.owner });
    expect(audit.body.data).toHaveLength(1);
    expect(audit.body.data[0].metadata.reason).toBe("member_removed");
  });

  test("a key whose creator is disabled, or lost the membership some other way, is refused", async () => {
    const m = await memberWithKey();
    t.server.ctx.db.update(users).set({ disabledAt: Date.now() }).where(eq(users.id, m.user.id)).run();
    expect((await api(t, "GET", `${a.base}/jobs`, { apiKey: m.key })).status).toBe(401);
  });

  // Issue 20: keys are kept in a short cache on the HTTP thread (src/modules/auth/key-cache.ts).
  // Each case warms it with reads first, then expects the very next request to be refused.
  const warm = async (key: string) => {
    for (let i = 0; i < 5; i++) expect((await api(t, "GET", `/api/v1/ocr/status/${someJob}`, { apiKey: key })).status).toBe(404);
  };

  test("a revoked key is refused on the very next request after it was used (cache warm)", async () => {
    const m = await memberWithKey();
    await warm(m.key);
    expect((await api(t, "DELETE", `${a.base}/api-keys/${m.keyId}`, { session: m.session })).status).toBe(200);
    expect((await api(t, "GET", `/api/v1/ocr/status/${someJob}`, { apiKey: m.key })).status).toBe(401);
  });

  test("a removed member's key, a demoted member's key and a disabled creator's key change on the very next request (cache warm)", async () => {
    const removed = await memberWithKey();
    await warm(removed.key);
    expect((await api(t, "DELETE", `${a.base}/members/${removed.user.id}`, { session: a.sessions.admin })).status).toBe(200);
    expect((await api(t, "GET", `/api/v1/ocr/status/${someJob}`, { apiKey: removed.key })).status).toBe(401);

    const demoted = await memberWithKey();
    await warm(demoted.key);
    expect((await api(t, "DELETE", `/api/v1/ocr/delete/${someJob}`, { apiKey: demoted.key })).status).toBe(404);
    expect((await api(t, "PATCH", `${a.base}/members/${demoted.user.id}`, { session: a.sessions.owner, body: { role: "viewer" } })).status).toBe(200);
    expect((await api(t, "DELETE", `/api/v1/ocr/delete/${someJob}`, { apiKey: demoted.key })).status).toBe(403);

    const disabled = await memberWithKey();
    await warm(disabled.key);
    t.server.ctx.db.update(users).set({ disabledAt: Date.now() }).where(eq(users.id, disabled.user.id)).run();
    expect((await api(t, "GET", `/api/v1/ocr/status/${someJob}`, { apiKey: disabled.key })).status).toBe(401);
  });

  test("keys no user made (bootstrap, CLI) keep their scopes; other members' keys are untouched by a removal", async () => {
    const m1 = await memberWithKey();
    const m2 = await memberWithKey();
    expect((await api(t, "DELETE", `${a.base}/members/${m1.user.id}`, { session: a.sessions.admin })).status).toBe(200);
    expect((await api(t, "GET", `${a.base}/jobs`, { apiKey: m2.key })).status).toBe(200);
    expect((await api(t, "DELETE", `/api/v1/ocr/delete/${someJob}`, { apiKey: t.apiKey })).status).toBe(404);
  });
});
