/**
 * /metrics: Prometheus text with HTTP requests by route template and status, job and page
 * outcomes, queue depth, storage and database timings; behind a Bearer token when one is set;
 * 404 when switched off.
 */
import { afterEach, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "../../helpers/app";
import { SdkClient } from "../../helpers/sdk-client";
import { digitalPdf, SAMPLE_PAGES } from "../../helpers/fixtures";

let t: TestServer | null = null;
afterEach(async () => {
  await t?.close();
  t = null;
});

/** The value of one sample line, e.g. value(text, 'leapocr_jobs_total{status="completed"}'). */
function value(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

test("counts requests by route template and status, jobs and pages by outcome, and times storage and the queue", async () => {
  t = await startTestServer();
  const client = new SdkClient(t.baseUrl, t.apiKey);
  const jobId = await client.upload(await digitalPdf(SAMPLE_PAGES), "report.pdf");
  expect((await client.waitForJob(jobId)).status).toBe("completed");
  expect((await client.call("GET", "/ocr/status/00000000-0000-4000-8000-000000000000")).status).toBe(404);

  const res = await fetch(`${t.baseUrl}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/plain; version=0.0.4");
  const text = await res.text();
  expect(value(text, 'leapocr_http_requests_total{method="POST",route="/api/v1/ocr/uploads/direct",status="200"}')).toBe(1);
  expect(value(text, 'leapocr_http_requests_total{method="GET",route="/api/v1/ocr/status/:job_id",status="404"}')).toBe(1);
  expect(value(text, 'leapocr_http_requests_total{method="GET",route="/api/v1/ocr/status/:job_id",status="200"}')).toBeGreaterThanOrEqual(1);
  expect(value(text, 'leapocr_http_request_duration_seconds_count{method="POST",route="/api/v1/ocr/uploads/:job_id/complete"}')).toBe(1);
  expect(value(text, 'leapocr_jobs_total{status="completed"}')).toBe(1);
  expect(value(text, 'leapocr_pages_total{outcome="completed"}')).toBe(2);
  expect(value(text, 'leapocr_page_duration_seconds_count{outcome="completed"}')).toBe(2);
  expect(value(text, 'leapocr_model_route_duration_seconds_count{step="ocr",provider="offline",route="offline",outcome="ok"}')).toBe(2);
  expect(value(text, 'leapocr_queue_depth{kind="pages_pending"}')).toBe(0);
  expect(value(text, 'leapocr_queue_depth{kind="jobs_queued"}')).toBe(0);
  expect(value(text, "leapocr_pages_in_flight")).toBe(0);
  expect(value(text, 'leapocr_storage_operation_seconds_count{backend="local",op="completeMultipart"}')).toBe(1);
  expect(value(text, 'leapocr_db_operation_seconds_count{op="claimNextPage"}')).toBeGreaterThanOrEqual(2);
  expect(value(text, 'leapocr_db_size_bytes{file="db"}')).toBeGreaterThan(0);
  expect(value(text, "leapocr_process_resident_memory_bytes")).toBeGreaterThan(0);
  // Every sample line is `name{labels} number`.
  for (const line of text.split("\n").filter((l) => l && !l.startsWith("#"))) expect(line).toMatch(/^[a-z_]+(\{.*\})? [-+0-9.eInfNa]+$/);
});

test("queue depth counts work waiting", async () => {
  t = await startTestServer();
  await t.server.runner.stop(0); // nothing takes the job
  const client = new SdkClient(t.baseUrl, t.apiKey);
  await client.upload(await digitalPdf(SAMPLE_PAGES), "report.pdf");
  const text = await (await fetch(`${t.baseUrl}/metrics`)).text();
  expect(value(text, 'leapocr_queue_depth{kind="jobs_queued"}')).toBe(1);
});

test("with a token, metrics need it as a Bearer token", async () => {
  t = await startTestServer({ metricsToken: "scrape-secret-123" });
  const none = await fetch(`${t.baseUrl}/metrics`);
  expect(none.status).toBe(401);
  expect(none.headers.get("www-authenticate")).toContain("Bearer");
  expect(((await none.json()) as any).code).toBe("AUTHENTICATION_ERROR");
  expect((await fetch(`${t.baseUrl}/metrics`, { headers: { authorization: "Bearer wrong-secret-1234" } })).status).toBe(401);
  const ok = await fetch(`${t.baseUrl}/metrics`, { headers: { authorization: "Bearer scrape-secret-123" } });
  expect(ok.status).toBe(200);
  expect(await ok.text()).toContain("leapocr_http_requests_total");
});

test("switched off, /metrics answers 404 and nothing is collected", async () => {
  t = await startTestServer({ metrics: false });
  const res = await fetch(`${t.baseUrl}/metrics`);
  expect(res.status).toBe(404);
  expect(((await res.json()) as any).error.message).toContain("LEAPOCR_METRICS");
  expect(t.server.metrics).toBeNull();
});

test("a client's X-Request-Id is echoed; an unsafe one is replaced", async () => {
  t = await startTestServer();
  const mine = await fetch(`${t.baseUrl}/api/v1/health`, { headers: { "x-request-id": "trace-abc.123" } });
  expect(mine.headers.get("x-request-id")).toBe("trace-abc.123");
  const bad = await fetch(`${t.baseUrl}/api/v1/health`, { headers: { "x-request-id": 'x" injected' } });
  expect(bad.headers.get("x-request-id")).toMatch(/^req_[0-9a-f]{24}$/);
});
