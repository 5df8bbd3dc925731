/** Wrong input and refused operations on the auth, key and member routes answer the LeapOCR error body. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "../../helpers/app";
import { api, seedTenant, TEST_PASSWORD, type Tenant } from "../../helpers/auth";

let t: TestServer;
let a: Tenant;

beforeAll(async () => {
  t = await startTestServer({ loginMaxFailures: 0 });
  a = await seedTenant(t, "Err", { useDefault: true });
}, 60_000);
afterAll(() => t.close());

const expectError = (res: { status: number; body: any }, status: number, code: string) => {
  expect(res.status).toBe(status);
  expect(res.body.code).toBe(code);
  expect(typeof res.body.error.message).toBe("string");
};

describe("login", () => {
  test("a wrong password and an unknown email answer the same 401", async () => {
    const wrong = await api(t, "POST", "/api/v1/auth/login", { body: { email: a.users.owner.email, password: "not the password" } });
    const unknown = await api(t, "POST", "/api/v1/auth/login", { body: { email: "nobody@example.test", password: "not the password" } });
    expectError(wrong, 401, "AUTHENTICATION_ERROR");
    expectError(unknown, 401, "AUTHENTICATION_ERROR");
    expect(wrong.body.error.message).toBe(unknown.body.error.message);
    expect(wrong.headers.get("set-cookie")).toBeNull();
  });
  test("credentials not sent as JSON are refused (no login CSRF through a form post)", async () => {
    const res = await fetch(`${t.baseUrl}/api/v1/auth/login`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: `email=${encodeURIComponent(a.users.owner.email)}&password=${encodeURIComponent(TEST_PASSWORD)}` });
    expect(res.status).toBe(400);
    expect(res.headers.get("set-cookie")).toBeNull();
  });
  test("missing fields answer 400 VALIDATION_ERROR", async () => {
    expectError(await api(t, "POST", "/api/v1/auth/login", { body: { email: a.users.owner.email } }), 400, "VALIDATION_ERROR");
  });
});

describe("credentials", () => {
  test("no credentials answer 401 on verify", async () => {
    expectError(await api(t, "GET", "/api/v1/auth/verify"), 401, "AUTHENTICATION_ERROR");
  });
  test("a malformed Authorization header answers 401, not a fall-through to the API key", async () => {
    expectError(await api(t, "GET", "/api/v1/auth/verify", { headers: { authorization: "Basic abc" }, apiKey: a.key.secret }), 401, "AUTHENTICATION_ERROR");
    expectError(await api(t, "GET", "/api/v1/auth/verify", { session: { token: "los_made_up" } }), 401, "AUTHENTICATION_ERROR");
  });
  test("an API key cannot use the session-only routes", async () => {
    expectError(await api(t, "GET", "/api/v1/auth/sessions", { apiKey: a.key.secret }), 401, "AUTHENTICATION_ERROR");
  });
  test("an unauthenticated request with a bad body still answers 401 (auth before validation)", async () => {
    expectError(await api(t, "POST", `${a.base}/api-keys`, { body: { nonsense: true } }), 401, "AUTHENTICATION_ERROR");
    expectError(await api(t, "POST", "/api/v1/ocr/uploads/direct", { body: { nonsense: true } }), 401, "AUTHENTICATION_ERROR");
  });
});

describe("API keys", () => {
  test("an unknown scope answers 400 naming it", async () => {
    const res = await api(t, "POST", `${a.base}/api-keys`, { session: a.sessions.admin, body: { name: "x", scopes: ["jobs", "root"] } });
    expectError(res, 400, "BAD_REQUEST");
    expect(res.body.error.message).toContain("root");
  });
  test("an empty name and a zero expiry answer 400", async () => {
    expectError(await api(t, "POST", `${a.base}/api-keys`, { session: a.sessions.admin, body: { name: "  " } }), 400, "VALIDATION_ERROR");
    expectError(await api(t, "POST", `${a.base}/api-keys`, { session: a.sessions.admin, body: { name: "x", expires_in_days: 0 } }), 400, "VALIDATION_ERROR");
  });
  test("a member cannot mint a key with powers their role lacks", async () => {
    expectError(await api(t, "POST", `${a.base}/api-keys`, { session: a.sessions.member, body: { name: "x", scopes: ["settings:write"] } }), 403, "FORBIDDEN");
  });
  test("a viewer cannot list or create keys", async () => {
    expectError(await api(t, "GET", `${a.base}/api-keys`, { session: a.sessions.viewer }), 403, "FORBIDDEN");
    expectError(await api(t, "POST", `${a.base}/api-keys`, { session: a.sessions.viewer, body: { name: "x" } }), 403, "FORBIDDEN");
  });
  test("an API key cannot manage keys", async () => {
    expectError(await api(t, "GET", `${a.base}/api-keys`, { apiKey: a.key.secret }), 403, "FORBIDDEN");
    expectError(await api(t, "DELETE", `${a.base}/api-keys/${a.key.id}`, { apiKey: a.key.secret }), 403, "FORBIDDEN");
  });
  test("revoking an unknown key answers 404", async () => {
    expectError(await api(t, "DELETE", `${a.base}/api-keys/key_nope`, { session: a.sessions.admin }), 404, "NOT_FOUND");
  });
});

describe("members", () => {
  test("an admin cannot make anyone an owner, nor demote or remove an owner", async () => {
    expectError(await api(t, "PATCH", `${a.base}/members/${a.users.member.id}`, { session: a.sessions.admin, body: { role: "owner" } }), 403, "FORBIDDEN");
    expectError(await api(t, "PATCH", `${a.base}/members/${a.users.owner.id}`, { session: a.sessions.admin, body: { role: "viewer" } }), 403, "FORBIDDEN");
    expectError(await api(t, "DELETE", `${a.base}/members/${a.users.owner.id}`, { session: a.sessions.admin }), 403, "FORBIDDEN");
    expectError(await api(t, "PATCH", `${a.base}/members/${a.users.admin.id}`, { session: a.sessions.admin, body: { role: "owner" } }), 403, "FORBIDDEN");
  });
  test("the last owner cannot be demoted or removed", async () => {
    expectError(await api(t, "PATCH", `${a.base}/members/${a.users.owner.id}`, { session: a.sessions.owner, body: { role: "admin" } }), 409, "CONFLICT");
    expectError(await api(t, "DELETE", `${a.base}/members/${a.users.owner.id}`, { session: a.sessions.owner }), 409, "CONFLICT");
  });
  test("a member cannot manage members", async () => {
    expectError(await api(t, "POST", `${a.base}/members`, { session: a.sessions.member, body: { email: "x@example.test", role: "viewer" } }), 403, "FORBIDDEN");
  });
  test("inviting a current member answers 409; a password chosen by the admin, or a bad email, answers 400", async () => {
    expectError(await api(t, "POST", `${a.base}/members`, { session: a.sessions.owner, body: { email: a.users.viewer.email, role: "viewer" } }), 409, "CONFLICT");
    const pw = await api(t, "POST", `${a.base}/members`, { session: a.sessions.owner, body: { email: "fresh@example.test", role: "viewer", password: "long enough password" } });
    expectError(pw, 400, "BAD_REQUEST");
    expect(pw.body.error.message).toContain("choose their own password");
    expectError(await api(t, "POST", `${a.base}/members`, { session: a.sessions.owner, body: { email: "not-an-email", role: "viewer" } }), 400, "BAD_REQUEST");
  });
  test("accepting with a short password answers 400 and creates nobody", async () => {
    const inv = await api(t, "POST", `${a.base}/members`, { session: a.sessions.owner, body: { email: "short@example.test", role: "viewer" } });
    expectError(await api(t, "POST", "/api/v1/invitations/accept", { body: { token: inv.body.token, name: "S", password: "short" } }), 400, "BAD_REQUEST");
    expectError(await api(t, "POST", "/api/v1/invitations/lookup", { body: { token: "loi_not-a-real-token-at-all" } }), 404, "NOT_FOUND");
  });
  test("an unknown member answers 404", async () => {
    expectError(await api(t, "PATCH", `${a.base}/members/usr_nope`, { session: a.sessions.owner, body: { role: "viewer" } }), 404, "NOT_FOUND");
  });
});

describe("sessions and teams", () => {
  test("revoking a session that is not yours answers 404", async () => {
    expectError(await api(t, "DELETE", `/api/v1/auth/sessions/${a.sessions.owner.sessionId}`, { session: a.sessions.viewer }), 404, "NOT_FOUND");
    expect((await api(t, "GET", "/api/v1/auth/verify", { session: a.sessions.owner })).status).toBe(200);
  });
  test("only an owner creates teams; an API key cannot", async () => {
    expectError(await api(t, "POST", `/api/v1/organizations/${a.orgId}/teams`, { session: a.sessions.admin, body: { name: "X" } }), 403, "FORBIDDEN");
    expectError(await api(t, "POST", `/api/v1/organizations/${a.orgId}/teams`, { apiKey: a.key.secret, body: { name: "X" } }), 403, "FORBIDDEN");
  });
  test("an unknown organization answers 404", async () => {
    expectError(await api(t, "GET", "/api/v1/organizations/org_nope/teams", { session: a.sessions.owner }), 404, "NOT_FOUND");
  });
});
