/**
 * Readiness: 200 with every check "ok" on a healthy server; 503 with the LeapOCR error body and
 * a details entry naming the failed check when the database is locked by another writer, when
 * storage cannot be written, when the disk is below the free-space minimum, and once shutdown
 * has begun. Health (liveness) stays 200 throughout.
 */
import { afterEach, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startTestServer, type TestServer } from "../../helpers/app";

let t: TestServer | null = null;
afterEach(async () => {
  await t?.close();
  t = null;
});

const get = async (path: string) => {
  const res = await fetch(`${t!.baseUrl}${path}`);
  return { status: res.status, body: (await res.json()) as any, headers: res.headers };
};

test("a healthy server is ready, every check ok", async () => {
  t = await startTestServer({ minFreeDiskMb: 1 });
  const ready = await get("/api/v1/ready");
  expect(ready.status).toBe(200);
  expect(ready.body).toMatchObject({ status: "ready", checks: { lifecycle: "ok", database: "ok", storage: "ok", disk: "ok" } });
  expect(ready.headers.get("x-request-id")).toMatch(/^req_/);
});

test("a database locked by another writer makes it not ready; health stays up; releasing the lock makes it ready again", async () => {
  t = await startTestServer({ minFreeDiskMb: 1 });
  const other = new Database(join(t.dataDir, "leapocr.db"));
  other.exec("PRAGMA busy_timeout = 0");
  other.exec("BEGIN IMMEDIATE");
  try {
    const ready = await get("/api/v1/ready");
    expect(ready.status).toBe(503);
    expect(ready.body.code).toBe("NOT_READY");
    expect(ready.body.error.message).toContain("locked");
    expect(ready.body.details).toEqual([{ check: "database", message: "the database is locked by another writer" }]);
    expect(ready.headers.get("retry-after")).toBe("5");
    expect((await get("/api/v1/health")).status).toBe(200);
  } finally {
    other.exec("ROLLBACK");
    other.close();
  }
  expect((await get("/api/v1/ready")).status).toBe(200);
});

test("storage that cannot be written makes it not ready", async () => {
  t = await startTestServer({ minFreeDiskMb: 1 });
  // The files directory replaced by a plain file: every write under it fails (even as root).
  const files = join(t.dataDir, "files");
  rmSync(files, { recursive: true, force: true });
  writeFileSync(files, "not a directory");
  const ready = await get("/api/v1/ready");
  expect(ready.status).toBe(503);
  expect(ready.body.details.map((d: any) => d.check)).toEqual(["storage"]);
  expect(ready.body.details[0].message).toContain("local storage is not usable");
});

test("a disk below the free-space minimum makes it not ready, naming the setting", async () => {
  t = await startTestServer({ minFreeDiskMb: 1024 * 1024 * 1024 });
  const ready = await get("/api/v1/ready");
  expect(ready.status).toBe(503);
  expect(ready.body.details.map((d: any) => d.check)).toEqual(["disk"]);
  expect(ready.body.details[0].message).toContain("LEAPOCR_MIN_FREE_DISK_MB");
});

test("once shutdown begins it is not ready, before the listener closes", async () => {
  t = await startTestServer({ minFreeDiskMb: 1 });
  t.server.readiness.phase = "stopping";
  const ready = await get("/api/v1/ready");
  expect(ready.status).toBe(503);
  expect(ready.body.details).toEqual([{ check: "lifecycle", message: "shutting down" }]);
  expect((await get("/api/v1/health")).status).toBe(200);
});

test("while migrations run it is not ready", async () => {
  t = await startTestServer({ minFreeDiskMb: 1 });
  t.server.readiness.phase = "migrating";
  const ready = await get("/api/v1/ready");
  expect(ready.status).toBe(503);
  expect(ready.body.details).toEqual([{ check: "lifecycle", message: "database migrations are running" }]);
});
