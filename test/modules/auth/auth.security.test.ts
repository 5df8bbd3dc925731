/**
 * The security properties of sessions and keys: CSRF on cookie requests, idle and absolute
 * session expiry, login throttling, rate limits with Retry-After, argon2id hashes, and a database
 * file that holds no key, session token or password in clear.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { startTestServer, type TestServer } from "../../helpers/app";
import { api, defaultTeamOf, login, seedKey, seedTenant, seedUser, TEST_PASSWORD, type Tenant } from "../../helpers/auth";
import { auditLog, users } from "../../../src/db/schema";

const MIN = 60_000;

describe("CSRF", () => {
  let t: TestServer;
  let a: Tenant;
  beforeAll(async () => {
    t = await startTestServer();
    a = await seedTenant(t, "Csrf", { useDefault: true });
  }, 60_000);
  afterAll(() => t.close());

  test("a cookie request that changes state without X-CSRF-Token answers 403 and changes nothing", async () => {
    const before = await api(t, "GET", `${a.base}/api-keys`, { session: a.sessions.admin });
    const res = await api(t, "POST", `${a.base}/api-keys`, { cookie: a.sessions.admin, csrf: false, body: { name: "csrf" } });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe("FORBIDDEN");
    expect(res.body.error.message).toContain("CSRF");
    const after = await api(t, "GET", `${a.base}/api-keys`, { session: a.sessions.admin });
    expect(after.body.data.length).toBe(before.body.data.length);
  });
  test("a wrong token, or another session's token, answers 403", async () => {
    expect((await api(t, "PUT", `${a.base}/settings`, { cookie: a.sessions.admin, csrf: "x".repeat(32), body: { retention_period_days: 2 } })).status).toBe(403);
    expect((await api(t, "PUT", `${a.base}/settings`, { cookie: a.sessions.admin, csrf: a.sessions.owner.csrfToken, body: { retention_period_days: 2 } })).status).toBe(403);
    expect((await api(t, "DELETE", `${a.base}/api-keys/${a.key.id}`, { cookie: a.sessions.admin, csrf: false })).status).toBe(403);
    expect((await api(t, "POST", "/api/v1/auth/logout", { cookie: a.sessions.admin, csrf: false })).status).toBe(403);
    expect((await api(t, "GET", "/api/v1/auth/verify", { session: a.sessions.admin })).status).toBe(200);
  });
  test("with the right token the same request succeeds; reads need none; Bearer tokens need none (a browser never sends them by itself)", async () => {
    expect((await api(t, "PUT", `${a.base}/settings`, { cookie: a.sessions.admin, body: { retention_period_days: 2 } })).status).toBe(200);
    expect((await api(t, "GET", `${a.base}/settings`, { cookie: a.sessions.admin, csrf: false })).status).toBe(200);
    expect((await api(t, "PUT", `${a.base}/settings`, { session: a.sessions.admin, body: { retention_period_days: 3 } })).status).toBe(200);
  });
  test("a cookie does not stand in for an API key on the SDK routes", async () => {
    expect((await api(t, "GET", "/api/v1/ocr/models", { cookie: a.sessions.owner })).status).toBe(401);
  });
});

describe("session expiry", () => {
  let t: TestServer;
  let offset = 0;
  let email: string;
  beforeAll(async () => {
    t = await startTestServer({ sessionIdleMinutes: 30, sessionMaxHours: 2 }, { clock: () => Date.now() + offset });
    email = (await seedUser(t, defaultTeamOf(t).teamId, "member")).email;
  }, 60_000);
  afterAll(() => t.close());

  test("a session unused for longer than the idle timeout ends", async () => {
    offset = 0;
    const s = await login(t, email);
    offset = 29 * MIN;
    expect((await api(t, "GET", "/api/v1/auth/verify", { session: s })).status).toBe(200);
    // The request above moved the idle window: another 29 minutes are still fine.
    offset = 58 * MIN;
    expect((await api(t, "GET", "/api/v1/auth/verify", { session: s })).status).toBe(200);
    offset = 58 * MIN + 31 * MIN;
    const res = await api(t, "GET", "/api/v1/auth/verify", { session: s });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe("AUTHENTICATION_ERROR");
    expect((await api(t, "GET", "/api/v1/auth/verify", { cookie: s, csrf: false })).status).toBe(401);
  });
  test("an active session still ends at its absolute lifetime", async () => {
    offset = 0;
    const s = await login(t, email);
    for (let m = 20; m < 120; m += 20) {
      offset = m * MIN;
      expect((await api(t, "GET", "/api/v1/auth/verify", { session: s })).status).toBe(200);
    }
    offset = 120 * MIN + 1000;
    expect((await api(t, "GET", "/api/v1/auth/verify", { session: s })).status).toBe(401);
    offset = 0;
  });
  test("a disabled user's sessions stop working", async () => {
    offset = 0;
    const u = await seedUser(t, defaultTeamOf(t).teamId, "viewer");
    const s = await login(t, u.email);
    const { eq } = await import("drizzle-orm");
    t.server.ctx.db.update(users).set({ disabledAt: Date.now() }).where(eq(users.id, u.id)).run();
    expect((await api(t, "GET", "/api/v1/auth/verify", { session: s })).status).toBe(401);
    expect((await api(t, "POST", "/api/v1/auth/login", { body: { email: u.email, password: u.password } })).status).toBe(401);
  });
});

describe("login throttling", () => {
  let t: TestServer;
  let offset = 0;
  beforeAll(async () => {
    t = await startTestServer({ loginMaxFailures: 3, loginWindowSeconds: 600, trustProxy: true }, { clock: () => Date.now() + offset });
  }, 60_000);
  afterAll(() => t.close());

  const attempt = (email: string, password: string, ip = "203.0.113.7") => api(t, "POST", "/api/v1/auth/login", { body: { email, password }, headers: { "x-forwarded-for": ip } });

  test("after N failures for an email from one address, login answers 429 with Retry-After, even with the right password", async () => {
    const u = await seedUser(t, defaultTeamOf(t).teamId, "member");
    for (let i = 0; i < 3; i++) expect((await attempt(u.email, "wrong password")).status).toBe(401);
    const locked = await attempt(u.email, u.password);
    expect(locked.status).toBe(429);
    expect(locked.body.code).toBe("TOO_MANY_REQUESTS");
    const retry = Number(locked.headers.get("retry-after"));
    expect(retry).toBeGreaterThan(0);
    expect(retry).toBeLessThanOrEqual(600);
    // Another address is not locked out by this one.
    expect((await attempt(u.email, u.password, "198.51.100.9")).status).toBe(200);
    // Once the window has passed, the right password works again.
    offset += (retry + 1) * 1000;
    expect((await attempt(u.email, u.password)).status).toBe(200);
  });

  test("failed and throttled logins are in the audit log, without the password", async () => {
    const u = await seedUser(t, defaultTeamOf(t).teamId, "member");
    const secretGuess = "hunter2-this-is-a-guess";
    for (let i = 0; i < 4; i++) await attempt(u.email, secretGuess);
    await attempt("unknown@example.test", secretGuess);
    const rows = t.server.ctx.db.select().from(auditLog).all();
    const failed = rows.filter((r) => r.action === "auth.login_failed" && r.targetId === u.id);
    expect(failed.length).toBe(3);
    expect(failed[0]!.ip).toBe("203.0.113.7");
    expect(rows.some((r) => r.action === "auth.login_throttled" && r.targetId === u.id)).toBe(true);
    expect(rows.some((r) => r.action === "auth.login_failed" && JSON.parse(r.metadataJson ?? "{}").reason === "unknown_email")).toBe(true);
    expect(JSON.stringify(rows)).not.toContain(secretGuess);
    expect(JSON.stringify(rows)).not.toContain("unknown@example.test");
  });
});

describe("rate limits", () => {
  test("per API key: the limit answers 429 TOO_MANY_REQUESTS with Retry-After; other keys are unaffected; it refills", async () => {
    let offset = 0;
    const t = await startTestServer({ rateLimitPerKey: 3 }, { clock: () => Date.now() + offset });
    try {
      const team = defaultTeamOf(t);
      const k1 = seedKey(t, team.teamId);
      const k2 = seedKey(t, team.teamId);
      for (let i = 0; i < 3; i++) expect((await api(t, "GET", "/api/v1/ocr/models", { apiKey: k1.secret })).status).toBe(200);
      const limited = await api(t, "GET", "/api/v1/ocr/models", { apiKey: k1.secret });
      expect(limited.status).toBe(429);
      expect(limited.body.code).toBe("TOO_MANY_REQUESTS");
      expect(typeof limited.body.error.message).toBe("string");
      expect(Number(limited.headers.get("retry-after"))).toBe(20);
      // Workspace routes count against the same key.
      expect((await api(t, "GET", `${team.base}/settings`, { apiKey: k1.secret })).status).toBe(429);
      expect((await api(t, "GET", "/api/v1/ocr/models", { apiKey: k2.secret })).status).toBe(200);
      offset += 20_000;
      expect((await api(t, "GET", "/api/v1/ocr/models", { apiKey: k1.secret })).status).toBe(200);
    } finally {
      await t.close();
    }
  });

  test("per IP: login and requests without valid credentials are limited; health and authenticated keys are not", async () => {
    const t = await startTestServer({ rateLimitPerIp: 3, loginMaxFailures: 0 });
    try {
      for (let i = 0; i < 3; i++) expect((await api(t, "POST", "/api/v1/auth/login", { body: { email: "x@example.test", password: "wrong password" } })).status).toBe(401);
      const limited = await api(t, "GET", "/api/v1/ocr/models", { apiKey: "lo_guessing" });
      expect(limited.status).toBe(429);
      expect(limited.body.code).toBe("TOO_MANY_REQUESTS");
      expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
      expect((await api(t, "POST", "/api/v1/auth/login", { body: { email: "x@example.test", password: "wrong password" } })).status).toBe(429);
      expect((await api(t, "GET", "/api/v1/health")).status).toBe(200);
      expect((await api(t, "GET", "/api/v1/ocr/models", { apiKey: t.apiKey })).status).toBe(200);
    } finally {
      await t.close();
    }
  });

  test("0 turns a limit off", async () => {
    const t = await startTestServer({ rateLimitPerKey: 0 });
    try {
      for (let i = 0; i < 30; i++) expect((await api(t, "GET", "/api/v1/ocr/models", { apiKey: t.apiKey })).status).toBe(200);
    } finally {
      await t.close();
    }
  });
});

describe("secrets at rest", () => {
  test("passwords are argon2id hashes", async () => {
    const t = await startTestServer();
    try {
      await seedUser(t, defaultTeamOf(t).teamId, "owner");
      const row = t.server.ctx.db.select().from(users).get()!;
      expect(row.passwordHash).toStartWith("$argon2id$");
    } finally {
      await t.close();
    }
  });

  test("the SQLite files hold no API key, session token or password in clear", async () => {
    const t = await startTestServer({}, {}, { keepData: true });
    const secrets: string[] = [t.apiKey];
    try {
      const a = await seedTenant(t, "Vault", { useDefault: true });
      secrets.push(a.key.secret, TEST_PASSWORD);
      for (const s of Object.values(a.sessions)) secrets.push(s.token);
      const created = await api(t, "POST", `${a.base}/api-keys`, { session: a.sessions.admin, body: { name: "made by route" } });
      secrets.push(created.body.key);
      const memberPassword = "a brand new member password";
      const invited = await api(t, "POST", `${a.base}/members`, { session: a.sessions.owner, body: { email: "fresh@example.test", role: "member" } });
      secrets.push(invited.body.token);
      await api(t, "POST", "/api/v1/invitations/accept", { body: { token: invited.body.token, name: "Fresh", password: memberPassword } });
      secrets.push(memberPassword);
      const s = await login(t, "fresh@example.test", memberPassword);
      secrets.push(s.token);
      // Failed logins with a password-looking guess.
      await api(t, "POST", "/api/v1/auth/login", { body: { email: a.users.owner.email, password: "guess-number-one-xyz" } });
      secrets.push("guess-number-one-xyz");
      // Read the files while the server still runs (the WAL holds the recent writes) and after it closed.
      const scan = () => {
        for (const name of ["leapocr.db", "leapocr.db-wal", "leapocr.db-shm"]) {
          const path = join(t.dataDir, name);
          if (!existsSync(path)) continue;
          const bytes = readFileSync(path);
          for (const secret of secrets) {
            expect({ file: name, found: bytes.includes(Buffer.from(secret)) }).toEqual({ file: name, found: false });
            // Nor the secret part of a key after its visible prefix.
            if (secret.startsWith("lo_") || secret.startsWith("los_")) expect(bytes.includes(Buffer.from(secret.slice(12)))).toBe(false);
          }
        }
      };
      expect(existsSync(join(t.dataDir, "leapocr.db"))).toBe(true);
      scan();
      await t.close();
      scan();
    } finally {
      const { rmSync } = await import("node:fs");
      rmSync(t.dataDir, { recursive: true, force: true });
    }
  });
});
