/**
 * Log lines at debug level, from a real server process that reads a document: every line is
 * one JSON object with time, level and msg; the request id answered to the client is on the
 * request's lines and on the worker's lines for the job it created; no line carries the
 * document's text, the API key, a wrong key that was tried, or the admin password.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServerProcess } from "../helpers/process";
import { TEST_API_KEY } from "../helpers/app";
import { SdkClient } from "../helpers/sdk-client";
import { digitalPdf } from "../helpers/fixtures";

const root = join(import.meta.dir, "../..");
const dataDir = mkdtempSync(join(tmpdir(), "leapocr-logs-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

test("debug logs carry request ids into the job's lines and never document text or secrets", async () => {
  const MARKER = "Xylophone7731Marker";
  const WRONG_KEY = "lo_wrong_0123456789abcdefWRONG";
  const PASSWORD = "correct-horse-battery-staple-42";
  const server = await startServerProcess([process.execPath, join(root, "src/main.ts")], {
    cwd: root,
    dataDir,
    env: { LEAPOCR_LOG_LEVEL: "debug", LEAPOCR_OCR_WORKERS: "1", LEAPOCR_ADMIN_EMAIL: "ops@example.com", LEAPOCR_ADMIN_PASSWORD: PASSWORD },
  });
  let jobId: string;
  let createRequestId: string;
  try {
    const pdf = await digitalPdf([
      { heading: `Secret heading ${MARKER}`, paragraphs: [`The confidential paragraph mentions ${MARKER} twice: ${MARKER}.`] },
      { paragraphs: [`Second page, still ${MARKER}.`] },
    ]);
    // The SDK flow, by hand, to see the request id of the request that creates the job.
    const init = await fetch(`${server.baseUrl}/api/v1/ocr/uploads/direct`, {
      method: "POST",
      headers: { "X-API-KEY": TEST_API_KEY, "content-type": "application/json", "x-request-id": "client-trace-0001" },
      body: JSON.stringify({ file_name: `${MARKER}.pdf`, file_size: pdf.length, content_type: "application/pdf" }),
    });
    expect(init.status).toBe(200);
    createRequestId = init.headers.get("x-request-id")!;
    expect(createRequestId).toBe("client-trace-0001");
    const body = (await init.json()) as any;
    jobId = body.job_id;
    const put = await fetch(body.parts[0].upload_url, { method: "PUT", body: pdf });
    const client = new SdkClient(server.baseUrl, TEST_API_KEY);
    const done = await client.call("POST", `/ocr/uploads/${jobId}/complete`, { parts: [{ part_number: 1, etag: put.headers.get("etag") }] });
    expect(done.status).toBe(200);
    expect((await client.waitForJob(jobId)).status).toBe("completed");
    expect(JSON.stringify(await client.result(jobId))).toContain(MARKER);
    // A wrong key and a failed login: secrets in requests that fail.
    expect((await new SdkClient(server.baseUrl, WRONG_KEY).call("GET", `/ocr/status/${jobId}`)).status).toBe(401);
    await fetch(`${server.baseUrl}/api/v1/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email: "ops@example.com", password: `${PASSWORD}-wrong` }) });
  } finally {
    await server.stop();
  }

  const stderr = server.stderr();
  const out = server.stdout();
  for (const secret of [MARKER, TEST_API_KEY, TEST_API_KEY.slice(8), WRONG_KEY, WRONG_KEY.slice(8), PASSWORD]) {
    expect(stderr).not.toContain(secret);
    expect(out).not.toContain(secret);
  }
  const lines = stderr.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
  for (const l of lines) {
    expect(typeof l.time).toBe("string");
    expect(["debug", "info", "warn", "error"]).toContain(l.level as string);
    expect(typeof l.msg).toBe("string");
  }
  // The request's own line, and the worker's lines for the job it created, carry its id.
  expect(lines.some((l) => l.msg === "request" && l.request_id === createRequestId && l.route === "/api/v1/ocr/uploads/direct" && l.status === 200)).toBe(true);
  const jobLines = lines.filter((l) => l.job_id === jobId);
  expect(jobLines.map((l) => l.msg)).toEqual(expect.arrayContaining(["job split into pages", "page done", "job finished"]));
  for (const l of jobLines) expect(l.request_id).toBe(createRequestId);
  expect(lines.some((l) => l.msg === "request" && l.status === 401)).toBe(true);
}, 60_000);
