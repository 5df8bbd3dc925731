/**
 * LEAPOCR_DATABASE_URL is refused, not ignored: only the job store runs on PostgreSQL so far, and
 * a server that quietly kept its data in a local SQLite file while its operator believed it shared
 * a database with other replicas would split their state. (Before: the variable was unknown and
 * the server started on SQLite.) The URL names a `.invalid` host: nothing may connect anywhere.
 */
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = join(import.meta.dir, "../..");
const dataDir = mkdtempSync(join(tmpdir(), "leapocr-dburl-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

async function run(args: string[]) {
  const proc = Bun.spawn(["bun", "run", "src/main.ts", ...args, "--data-dir", dataDir], {
    cwd: root,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/tmp", LEAPOCR_DATABASE_URL: "postgres://leapocr@db.invalid:5432/leapocr" },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  // A server that started anyway never exits by itself: stop it and report that.
  const timer = setTimeout(() => proc.kill(), 20_000);
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  return { code, stdout, stderr, killed: proc.signalCode !== null };
}

test("the server refuses to start with LEAPOCR_DATABASE_URL, saying PostgreSQL is not yet supported, and writes no SQLite file", async () => {
  const r = await run(["serve", "--port", "0", "--host", "127.0.0.1"]);
  expect({ killed: r.killed, code: r.code }).toEqual({ killed: false, code: 2 });
  expect(r.stderr).toContain("PostgreSQL is not yet supported for the whole server");
  expect(r.stderr).toContain("Unset it to run on SQLite");
  expect(existsSync(join(dataDir, "leapocr.db"))).toBe(false);
}, 30_000);

test("so do the commands that write the database (keys create, backup)", async () => {
  for (const args of [["keys", "create", "--name", "ci"], ["backup", join(dataDir, "copy.db")]]) {
    const r = await run(args);
    expect({ args, code: r.code }).toEqual({ args, code: 2 });
    expect(r.stderr).toContain("PostgreSQL is not yet supported");
  }
  expect(existsSync(join(dataDir, "leapocr.db"))).toBe(false);
}, 60_000);
