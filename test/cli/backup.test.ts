/**
 * `leapocr backup <file>` while the server is busy writing: the copy is taken with no error on
 * either side, passes its integrity check, is readable by its owner only, and holds a
 * consistent snapshot. Restoring it (stop, replace leapocr.db, remove -wal/-shm, start) as
 * docs/OPERATIONS.md says brings back the jobs it holds, results included.
 */
import { afterAll, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { copyFileSync, existsSync, mkdtempSync, renameSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestServer } from "../helpers/app";
import { SdkClient } from "../helpers/sdk-client";
import { digitalPdf, SAMPLE_PAGES } from "../helpers/fixtures";

const root = join(import.meta.dir, "../..");
const work = mkdtempSync(join(tmpdir(), "leapocr-backup-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const cli = (args: string[]) =>
  Bun.spawn([process.execPath, join(root, "src/main.ts"), ...args], { cwd: work, stdout: "pipe", stderr: "pipe", env: { PATH: process.env.PATH ?? "" } });

test("a backup taken while jobs are being created is consistent, and restoring it brings its jobs back", async () => {
  const dataDir = join(work, "data");
  const t = await startTestServer({}, {}, { dataDir, keepData: true });
  const client = new SdkClient(t.baseUrl, t.apiKey);
  const finished = await client.upload(await digitalPdf(SAMPLE_PAGES), "report.pdf");
  expect((await client.waitForJob(finished)).status).toBe("completed");

  // A writer that keeps creating jobs (each a transaction on the server's write connection).
  const created: string[] = [];
  const failures: string[] = [];
  let writing = true;
  const writer = (async () => {
    while (writing) {
      const res = await client.call("POST", "/ocr/uploads/direct", { file_name: "w.pdf", file_size: 1000, content_type: "application/pdf" });
      if (res.status === 200) created.push(res.body.job_id);
      else failures.push(`${res.status} ${JSON.stringify(res.body)}`);
    }
  })();
  while (created.length < 20) await Bun.sleep(5);

  const file = join(work, "backup.db");
  const before = created.length;
  const proc = cli(["backup", file, "--data-dir", dataDir]);
  const code = await proc.exited;
  const after = created.length;
  while (created.length < after + 20) await Bun.sleep(5);
  writing = false;
  await writer;
  const stdout = await new Response(proc.stdout).text();
  expect({ code, stderr: await new Response(proc.stderr).text() }).toEqual({ code: 0, stderr: "" });
  expect(stdout).toMatch(/^backup: .*backup\.db \(.* MB, \d+ jobs, schema at migration \d+\) in [\d.]+ s/);
  expect(failures).toEqual([]);
  expect(after).toBeGreaterThan(before); // the server kept writing while the copy was taken

  expect(statSync(file).mode & 0o777).toBe(0o600);
  const copy = new Database(file, { readonly: true });
  const integrity = copy.query("PRAGMA integrity_check").all();
  const jobsInCopy = copy.query<{ id: string }, []>("SELECT id FROM jobs").all().map((r) => r.id);
  copy.close();
  expect(integrity).toEqual([{ integrity_check: "ok" }]);
  // A snapshot: every job created before the backup started is in it, none created after it ended.
  for (const id of [finished, ...created.slice(0, before)]) expect(jobsInCopy).toContain(id);
  for (const id of created.slice(after)) expect(jobsInCopy).not.toContain(id);

  // A second backup to the same name is refused rather than overwriting.
  const again = cli(["backup", file, "--data-dir", dataDir]);
  expect(await again.exited).toBe(2);
  expect(await new Response(again.stderr).text()).toContain("already exists");

  // Restore: stop the server, put the copy in place of leapocr.db (copy beside it, then rename),
  // remove the WAL files, start.
  await t.close();
  copyFileSync(file, join(dataDir, "leapocr.db.restore"));
  renameSync(join(dataDir, "leapocr.db.restore"), join(dataDir, "leapocr.db"));
  rmSync(join(dataDir, "leapocr.db-wal"), { force: true });
  rmSync(join(dataDir, "leapocr.db-shm"), { force: true });
  const restored = await startTestServer({}, {}, { dataDir });
  try {
    const c = new SdkClient(restored.baseUrl, restored.apiKey);
    const result = await c.result(finished);
    expect(result.pages[1].result).toContain("Customer satisfaction scores reached a record high.");
    expect((await c.call("GET", `/ocr/status/${created[0]}`)).status).toBe(200);
    expect((await c.call("GET", `/ocr/status/${created.at(-1)}`)).status).toBe(404);
    expect((await fetch(`${restored.baseUrl}/api/v1/ready`)).status).toBe(200);
  } finally {
    await restored.close();
  }
}, 60_000);

test("backup refuses a missing database and bad usage with exit code 2", async () => {
  const none = cli(["backup", join(work, "x.db"), "--data-dir", join(work, "nowhere")]);
  expect(await none.exited).toBe(2);
  expect(await new Response(none.stderr).text()).toContain("No database at");
  const usage = cli(["backup"]);
  expect(await usage.exited).toBe(2);
  expect(existsSync(join(work, "x.db"))).toBe(false);
});
