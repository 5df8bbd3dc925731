/**
 * The compiled executable, as an operator runs it: copied alone into an empty directory, no
 * node_modules, no network needed; the SDK flow turns a digital PDF and a scanned page into markdown.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SdkClient } from "../helpers/sdk-client";
import { copyBinaryTo } from "../helpers/binary";
import { startServerProcess, type ServerProcess } from "../helpers/process";
import { TEST_API_KEY } from "../helpers/app";
import { digitalPdf, renderPages, scannedPdfFrom, SAMPLE_PAGES } from "../helpers/fixtures";

const dir = mkdtempSync(join(tmpdir(), "leapocr-binary-"));
const binary = join(dir, "leapocr");
let server: ServerProcess;

beforeAll(async () => {
  copyBinaryTo(dir);
  expect(readdirSync(dir)).toEqual(["leapocr"]);
  server = await startServerProcess([binary], { cwd: dir, dataDir: "./data", env: { LEAPOCR_OCR_WORKERS: "2" } });
}, 120_000);
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("the single executable", () => {
  test("--help lists the settings with their environment variables", () => {
    const res = Bun.spawnSync([binary, "--help"], { cwd: dir });
    const out = res.stdout.toString();
    expect(res.exitCode).toBe(0);
    for (const name of ["--port", "LEAPOCR_PORT", "--host", "LEAPOCR_HOST", "--data-dir", "LEAPOCR_DATA_DIR", "LEAPOCR_BOOTSTRAP_API_KEY"]) expect(out).toContain(name);
  });

  test("a bad setting stops it with a message naming the setting", () => {
    const res = Bun.spawnSync([binary, "--port", "banana"], { cwd: dir });
    expect(res.exitCode).toBe(2);
    expect(res.stderr.toString()).toContain("LEAPOCR_PORT");
  });

  test("turns a digital PDF into markdown through the SDK flow", async () => {
    const client = new SdkClient(server.baseUrl, TEST_API_KEY);
    const jobId = await client.upload(await digitalPdf(SAMPLE_PAGES), "report.pdf");
    expect((await client.waitForJob(jobId)).status).toBe("completed");
    const result = await client.result(jobId);
    expect(result.pages[0].result).toMatch(/^#{1,3} Quarterly Report/m);
    expect(result.pages[1].result).toContain("Customer satisfaction scores reached a record high.");
  });

  test("reads a scanned page with the embedded OCR engine and its embedded English data", async () => {
    const client = new SdkClient(server.baseUrl, TEST_API_KEY);
    const scanned = await scannedPdfFrom(await digitalPdf([SAMPLE_PAGES[1]!]));
    const jobId = await client.upload(scanned, "scan.pdf", { extract_bounding_boxes: true });
    expect((await client.waitForJob(jobId)).status).toBe("completed");
    const page = (await client.result(jobId)).pages[0];
    expect(page.result).toContain("Shipping volumes increased");
    expect(page.confidence).toBeGreaterThan(0.5);
    expect(page.bounding_boxes.length).toBeGreaterThan(0);
  });

  test("turns an upside-down scan upright with its embedded orientation model before reading it", async () => {
    const client = new SdkClient(server.baseUrl, TEST_API_KEY);
    const { loadSharp } = await import("../../src/lib/sharp");
    const sharp = await loadSharp();
    const [png] = await renderPages(await digitalPdf([SAMPLE_PAGES[0]!]), 200);
    const upsideDown = new Uint8Array(await sharp(png!).rotate(180).png().toBuffer());
    const jobId = await client.upload(upsideDown, "upside-down.png", {});
    expect((await client.waitForJob(jobId)).status).toBe("completed");
    // Read as it lies, the page comes out as junk (issue 14): only an upright reading has this.
    expect((await client.result(jobId)).pages[0].result).toContain("Revenue grew steadily across all regions");
  });

  test("serves its OpenAPI document and offline docs page", async () => {
    const doc = (await (await fetch(`${server.baseUrl}/api/v1/docs/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toContain("/api/v1/ocr/uploads/direct");
    expect((await fetch(`${server.baseUrl}/api/v1/docs/scalar.js`)).status).toBe(200);
  });

  test("its data stays in the data directory it was given", () => {
    expect(readdirSync(dir).sort()).toEqual(["data", "leapocr"]);
    expect(readdirSync(join(dir, "data"))).toContain("leapocr.db");
  });
});

test("first start without a bootstrap key prints a generated key once, which works", async () => {
  const other = mkdtempSync(join(tmpdir(), "leapocr-firstrun-"));
  try {
    const first = await startServerProcess([binary], { cwd: other, dataDir: "./data", env: { LEAPOCR_BOOTSTRAP_API_KEY: "" } });
    await Bun.sleep(100);
    const key = first.stdout().match(/^\s+(lo_\S{20,})$/m)?.[1]; // base64url may end in "-": no \b
    expect(key).toBeDefined();
    expect((await new SdkClient(first.baseUrl, key!).call("GET", "/ocr/models")).status).toBe(200);
    await first.stop();
    const second = await startServerProcess([binary], { cwd: other, dataDir: "./data", env: { LEAPOCR_BOOTSTRAP_API_KEY: "" } });
    await Bun.sleep(100);
    expect(second.stdout()).not.toContain(key!);
    await second.stop();
  } finally {
    rmSync(other, { recursive: true, force: true });
  }
}, 60_000);
