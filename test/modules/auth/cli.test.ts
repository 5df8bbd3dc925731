/** `leapocr admin create` and `leapocr keys create`, run as a user would, against a data directory a server then opens. */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestServer } from "../../helpers/app";
import { api, login } from "../../helpers/auth";

const root = join(import.meta.dir, "../../..");
const dataDir = mkdtempSync(join(tmpdir(), "leapocr-cli-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

async function run(args: string[], opts: { stdin?: string; env?: Record<string, string> } = {}) {
  const proc = Bun.spawn(["bun", "run", "src/main.ts", ...args, "--data-dir", dataDir], {
    cwd: root,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/tmp", ...opts.env },
    stdin: opts.stdin !== undefined ? new TextEncoder().encode(opts.stdin) : "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  return { code: await proc.exited, stdout, stderr };
}

describe("leapocr admin create / keys create", () => {
  test("creates an owner (password on stdin) and a scoped, expiring key whose secret is printed once; the server accepts both", async () => {
    const admin = await run(["admin", "create", "--email", "Ops@Example.test", "--name", "Ops"], { stdin: "a long cli password\n" });
    expect(admin.code).toBe(0);
    expect(admin.stdout).toContain("ops@example.test");
    expect(admin.stdout).not.toContain("a long cli password");

    const key = await run(["keys", "create", "--name", "ci", "--scopes", "jobs:read", "--expires-days", "7"]);
    expect(key.code).toBe(0);
    const secret = key.stdout.trim().split("\n").pop()!;
    expect(secret).toMatch(/^lo_/);

    const again = await run(["admin", "create", "--email", "ops@example.test"], { env: { LEAPOCR_ADMIN_PASSWORD: "another long password" } });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("already exists");
    const short = await run(["admin", "create", "--email", "x@example.test", "--password", "short"]);
    expect(short.code).toBe(2);
    const badScope = await run(["keys", "create", "--name", "x", "--scopes", "root"]);
    expect(badScope.code).toBe(2);

    const t = await startTestServer({ bootstrapApiKey: "" }, {}, { dataDir, keepData: true });
    try {
      const s = await login(t, "ops@example.test", "a long cli password");
      const me = await api(t, "GET", "/api/v1/auth/verify", { session: s });
      expect(me.body.teams[0].role).toBe("owner");
      const verify = await api(t, "GET", "/api/v1/auth/verify", { apiKey: secret });
      expect(verify.body.api_key).toMatchObject({ name: "ci", scopes: ["jobs:read"], status: "active" });
      expect(Date.parse(verify.body.api_key.expires_at) - Date.now()).toBeGreaterThan(6 * 86_400_000);
      const audit = await api(t, "GET", `/api/v1/organizations/${me.body.teams[0].organization_id}/teams/${me.body.teams[0].id}/audit-logs?actor=cli`, { session: s });
      expect(audit.body.data.map((e: { action: string }) => e.action).sort()).toEqual(["api_key.created", "member.added", "user.created"]);
    } finally {
      await t.close();
    }
  }, 60_000);
});
