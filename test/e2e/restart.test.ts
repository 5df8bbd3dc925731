import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SdkClient } from "../helpers/sdk-client";
import { startServerProcess } from "../helpers/process";
import { TEST_API_KEY } from "../helpers/app";
import { digitalPdf, scannedPdfFrom } from "../helpers/fixtures";

const dir = mkdtempSync(join(tmpdir(), "leapocr-restart-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const root = join(import.meta.dir, "../..");
const cmd = [process.execPath, join(root, "src/main.ts")];
const env = { LEAPOCR_OCR_WORKERS: "1", LEAPOCR_PAGE_CONCURRENCY: "1", LEAPOCR_LOG_LEVEL: "warn" };

test("a job killed with SIGKILL mid-way is picked up after a restart and finishes, each page charged once", async () => {
  const pages = Array.from({ length: 4 }, (_, i) => ({ heading: `Section ${i + 1}`, paragraphs: [`Page ${i + 1} says hello to the restart test.`] }));
  const scanned = await scannedPdfFrom(await digitalPdf(pages), 150);

  const first = await startServerProcess(cmd, { cwd: root, dataDir: dir, env });
  const client = new SdkClient(first.baseUrl, TEST_API_KEY);
  const jobId = await client.upload(scanned, "scan.pdf");
  // Wait until at least one page is done but not all, then kill -9.
  for (;;) {
    const s = await client.call("GET", `/ocr/status/${jobId}`);
    if (s.body.processed_pages >= 1) {
      expect(s.body.processed_pages).toBeLessThan(4);
      break;
    }
    await Bun.sleep(50);
  }
  await first.stop("SIGKILL");

  const second = await startServerProcess(cmd, { cwd: root, dataDir: dir, env });
  try {
    const again = new SdkClient(second.baseUrl, TEST_API_KEY);
    const status = await again.waitForJob(jobId, 120_000);
    expect(status.status).toBe("completed");
    expect(status.processed_pages).toBe(4);
    const result = await again.result(jobId);
    expect(result.pages.map((p: any) => p.status)).toEqual(["completed", "completed", "completed", "completed"]);
    expect(result.pages[3].result).toContain("Page 4");
    expect(result.credits_used).toBe(4);
  } finally {
    await second.stop();
  }
}, 180_000);
