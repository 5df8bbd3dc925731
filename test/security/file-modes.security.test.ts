/**
 * Issue 15, finding 16: the database, its WAL and the data directories were created 0644/0755,
 * readable by every user of the host. Everything the server creates under the data directory is
 * now 0600 (files) and 0700 (directories), whatever the process's umask; an existing
 * installation is tightened at start.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestServer } from "../helpers/app";
import { SdkClient } from "../helpers/sdk-client";
import { samplePdf } from "../modules/jobs/harness";

const parent = mkdtempSync(join(tmpdir(), "leapocr-modes-"));
afterAll(() => rmSync(parent, { recursive: true, force: true }));

/** Every path under `dir` (itself included) with its permission bits. */
function modes(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (p: string, rel: string) => {
    const st = statSync(p);
    out[rel || "."] = (st.mode & 0o777).toString(8);
    if (st.isDirectory()) for (const name of readdirSync(p)) walk(join(p, name), rel ? `${rel}/${name}` : name);
  };
  walk(dir, "");
  return out;
}

describe("finding 16: the data directory is the server's alone", () => {
  test("a new data directory, the database, its WAL and stored files are 0700 / 0600 under a umask of 022", async () => {
    const old = process.umask(0o022);
    const dataDir = join(parent, "new", "data");
    const t = await startTestServer({}, {}, { dataDir, keepData: true });
    try {
      const client = new SdkClient(t.baseUrl, t.apiKey);
      const pdf = await samplePdf();
      // Leave one upload unfinished (its part files stay) and finish one (its file is stored).
      const init = await client.call("POST", "/ocr/uploads/direct", { file_name: "half.pdf", file_size: pdf.length, content_type: "application/pdf" });
      const part = init.body.parts[0];
      expect((await fetch(part.upload_url, { method: "PUT", body: pdf.subarray(part.start_byte, part.end_byte + 1) })).status).toBe(200);
      await client.waitForJob(await client.upload(pdf, "whole.pdf"));
      const found = modes(dataDir);
      expect(Object.keys(found)).toContain("leapocr.db-wal");
      expect(Object.keys(found).some((p) => p.startsWith("files/.uploads/"))).toBe(true);
      for (const [path, mode] of Object.entries(found)) {
        const isDir = statSync(join(dataDir, path)).isDirectory();
        expect(`${path} ${mode}`).toBe(`${path} ${isDir ? "700" : "600"}`);
      }
    } finally {
      await t.close();
      process.umask(old);
    }
  });

  test("an existing installation's open data directory and database are tightened at start", async () => {
    const dataDir = join(parent, "existing");
    mkdirSync(dataDir, { mode: 0o755 });
    chmodSync(dataDir, 0o755);
    const first = await startTestServer({}, {}, { dataDir, keepData: true });
    await first.close();
    chmodSync(join(dataDir, "leapocr.db"), 0o644);
    chmodSync(dataDir, 0o755);
    writeFileSync(join(dataDir, "leapocr.db-wal"), "");
    chmodSync(join(dataDir, "leapocr.db-wal"), 0o644);
    const t = await startTestServer({}, {}, { dataDir, keepData: true });
    try {
      expect((statSync(dataDir).mode & 0o777).toString(8)).toBe("700");
      expect((statSync(join(dataDir, "leapocr.db")).mode & 0o777).toString(8)).toBe("600");
      expect((statSync(join(dataDir, "leapocr.db-wal")).mode & 0o777).toString(8)).toBe("600");
    } finally {
      await t.close();
    }
  });
});
