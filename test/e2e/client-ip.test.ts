/**
 * Issue 15, finding 12: in the compiled (minified) binary every client shared the per-IP bucket
 * `ip:unknown` and audit rows had no address: Elysia hands a route `server` only when it sees the
 * word in the route's source, which minification renames. The address now comes from the app's
 * own server. The binary is what the review ran, so this runs it; 127.0.0.2 is another loopback
 * address the client binds to. X-Forwarded-For is believed only from --trusted-proxies.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { copyBinaryTo } from "../helpers/binary";
import { startServerProcess, type ServerProcess } from "../helpers/process";
import { startTestServer } from "../helpers/app";
import { api } from "../helpers/auth";

/** One HTTP/1.1 request from the local address `from`; answers the status and the body. */
function requestFrom(baseUrl: string, from: string, method: string, path: string, headers: Record<string, string> = {}, body = ""): Promise<{ status: number; body: string }> {
  const { port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const head = [`${method} ${path} HTTP/1.1`, "Host: 127.0.0.1", "Connection: close", ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
    if (body) head.push("Content-Type: application/json", `Content-Length: ${Buffer.byteLength(body)}`);
    const socket = net.createConnection({ host: "127.0.0.1", port: Number(port), localAddress: from }, () => socket.write(`${head.join("\r\n")}\r\n\r\n${body}`));
    let raw = "";
    socket.on("data", (d) => (raw += d.toString()));
    socket.on("end", () => resolve({ status: Number(raw.slice(9, 12)), body: raw.slice(raw.indexOf("\r\n\r\n") + 4) }));
    socket.on("error", reject);
  });
}

const ADMIN = { email: "owner@example.invalid", password: "a long enough password 1" };

describe("finding 12: the client address comes from the socket", () => {
  let dir: string;
  let server: ServerProcess;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "leapocr-ip-"));
    server = await startServerProcess([copyBinaryTo(dir)], {
      cwd: dir,
      dataDir: join(dir, "data"),
      env: { LEAPOCR_RATE_LIMIT_PER_IP: "3", LEAPOCR_ADMIN_EMAIL: ADMIN.email, LEAPOCR_ADMIN_PASSWORD: ADMIN.password },
      timeoutMs: 60_000,
    });
  }, 600_000);
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("in the binary, one address's bad keys do not rate-limit another address", async () => {
    const bad = { "X-API-KEY": "lo_wrong_key_0000000000000000" };
    for (let i = 0; i < 3; i++) expect((await requestFrom(server.baseUrl, "127.0.0.1", "GET", "/api/v1/ocr/status/x", bad)).status).toBe(401);
    expect((await requestFrom(server.baseUrl, "127.0.0.1", "GET", "/api/v1/ocr/status/x", bad)).status).toBe(429);
    expect((await requestFrom(server.baseUrl, "127.0.0.2", "GET", "/api/v1/ocr/status/x", bad)).status).toBe(401);
  });

  test("in the binary, audit rows carry the client's address", async () => {
    const login = await requestFrom(server.baseUrl, "127.0.0.3", "POST", "/api/v1/auth/login", {}, JSON.stringify(ADMIN));
    expect(login.status).toBe(200);
    const db = new Database(join(dir, "data", "leapocr.db"), { readonly: true });
    try {
      const rows = db.query("SELECT action, ip FROM audit_log WHERE action = 'auth.login'").all() as { action: string; ip: string | null }[];
      expect(rows.map((r) => r.ip)).toEqual(["127.0.0.3"]);
    } finally {
      db.close();
    }
  });

  test("X-Forwarded-For is believed only from a trusted proxy, and only its right-most untrusted entry", async () => {
    const t = await startTestServer({ trustProxy: true, trustedProxies: "127.0.0.1", rateLimitPerIp: 0 });
    try {
      const ipOfLogin = async (from: string, xff: string) => {
        await requestFrom(t.baseUrl, from, "POST", "/api/v1/auth/login", { "X-Forwarded-For": xff }, JSON.stringify({ email: "nobody@example.invalid", password: "x" }));
        const row = t.server.ctx.db.$client.query("SELECT ip FROM audit_log WHERE action = 'auth.login_failed' ORDER BY rowid DESC LIMIT 1").get() as { ip: string };
        return row.ip;
      };
      // Through the proxy at 127.0.0.1: the client it saw, not what the client wrote before it.
      expect(await ipOfLogin("127.0.0.1", "6.6.6.6, 198.51.100.7")).toBe("198.51.100.7");
      // Straight from a client that is not a proxy: its own address, whatever it claims.
      expect(await ipOfLogin("127.0.0.2", "198.51.100.9")).toBe("127.0.0.2");
      // Without --trust-proxy the header means nothing.
      const plain = await startTestServer({ rateLimitPerIp: 0 });
      try {
        const res = await api(plain, "POST", "/api/v1/auth/login", { body: { email: "nobody@example.invalid", password: "x" }, headers: { "x-forwarded-for": "198.51.100.9" } });
        expect(res.status).toBe(401);
        expect((plain.server.ctx.db.$client.query("SELECT ip FROM audit_log WHERE action = 'auth.login_failed'").get() as { ip: string }).ip).toBe("127.0.0.1");
      } finally {
        await plain.close();
      }
    } finally {
      await t.close();
    }
  });
});
