import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "../../helpers/app";
import { SdkClient } from "../../helpers/sdk-client";

let t: TestServer;
let client: SdkClient;

beforeAll(async () => {
  t = await startTestServer();
  client = new SdkClient(t.baseUrl, t.apiKey);
});
afterAll(() => t.close());

const expectLeapOcrError = (body: any, code: string) => {
  expect(body.code).toBe(code);
  expect(typeof body.error.message).toBe("string");
  expect(body.error.message.length).toBeGreaterThan(10);
};

const direct = (over: Record<string, unknown> = {}) =>
  client.call("POST", "/ocr/uploads/direct", { file_name: "a.pdf", file_size: 100, content_type: "application/pdf", ...over });

describe("authentication", () => {
  test("a missing API key answers 401 with the LeapOCR error body", async () => {
    const res = await new SdkClient(t.baseUrl, "").call("GET", "/ocr/models");
    expect(res.status).toBe(401);
    expectLeapOcrError(res.body, "AUTHENTICATION_ERROR");
  });
  test("a wrong API key answers 401", async () => {
    const res = await new SdkClient(t.baseUrl, "lo_wrong").call("POST", "/ocr/uploads/direct", { file_name: "a.pdf", file_size: 1, content_type: "application/pdf" });
    expect(res.status).toBe(401);
    expectLeapOcrError(res.body, "AUTHENTICATION_ERROR");
  });
});

describe("upload options", () => {
  test("a body that is not JSON answers 400", async () => {
    const res = await fetch(`${t.baseUrl}/api/v1/ocr/uploads/direct`, { method: "POST", headers: { "X-API-KEY": t.apiKey, "content-type": "application/json" }, body: "{not json" });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: string }).code).toMatch(/BAD_REQUEST|VALIDATION_ERROR/);
  });
  test("missing fields answer 400 VALIDATION_ERROR naming the field", async () => {
    const res = await client.call("POST", "/ocr/uploads/direct", { file_name: "a.pdf" });
    expect(res.status).toBe(400);
    expectLeapOcrError(res.body, "VALIDATION_ERROR");
    expect(JSON.stringify(res.body)).toContain("file_size");
  });
  test("instructions longer than 100 characters are refused", async () => {
    const res = await direct({ instructions: "x".repeat(101) });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain("100");
  });
  test("an unknown model answers 400 listing the available ones", async () => {
    const res = await direct({ model: "gpt-17" });
    expect(res.status).toBe(400);
    expectLeapOcrError(res.body, "BAD_REQUEST");
    expect(res.body.error.message).toContain("standard-v2");
  });
  test("structured without a model route answers 400 saying a model route is needed", async () => {
    const res = await direct({ format: "structured", schema: { type: "object", properties: { total: { type: "number" } } } });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain("model route");
  });
  test("structured or per_page_structured without a schema, on the offline engine, answers the same 400: a model route is needed", async () => {
    for (const format of ["structured", "per_page_structured"]) {
      const res = await direct({ format, instructions: "Extract the invoice total" });
      expect(res.status).toBe(400);
      expectLeapOcrError(res.body, "BAD_REQUEST");
      expect(res.body.error.message).toContain("model route");
    }
  });
  test("a file larger than the limit is refused before any byte is sent", async () => {
    const res = await direct({ file_size: 900 * 1024 * 1024 });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain("at most");
  });
  test("an unsupported declared content type is refused", async () => {
    const res = await direct({ content_type: "application/vnd.openxmlformats-officedocument.wordprocessingml.document" });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain("PDF, PNG, JPEG, WebP or TIFF");
  });
});

describe("bad files end with a clear error", () => {
  test("a Word file sent as application/pdf is refused at complete, and the job shows why", async () => {
    const zip = new Uint8Array([0x50, 0x4b, 0x03, 0x04, ...new Array(200).fill(1)]);
    const err = await client.upload(zip, "report.pdf").catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect(String(err)).toContain("400");
    expect(String(err)).toContain("ZIP");
  });
  test("a size that differs from file_size is refused at complete", async () => {
    const init = await direct({ file_size: 50 });
    const put = await fetch(init.body.parts[0].upload_url, { method: "PUT", body: new Uint8Array(20) });
    const complete = await client.call("POST", `/ocr/uploads/${init.body.job_id}/complete`, { parts: [{ part_number: 1, etag: put.headers.get("etag") }] });
    expect(complete.status).toBe(400);
    expect(complete.body.error.message).toContain("file_size");
  });
  test("a truncated PDF ends the job failed with a message a person can act on", async () => {
    const bytes = new TextEncoder().encode("%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n" + "garbage ".repeat(50));
    const jobId = await client.upload(bytes, "broken.pdf");
    const status = await client.waitForJob(jobId);
    expect(status.status).toBe("failed");
    expect(status.error_message).toMatch(/PDF|damaged|corrupt/i);
    // The server keeps running and answers other requests.
    expect((await client.call("GET", "/ocr/models")).status).toBe(200);
  });
});

describe("documents the server cannot read", () => {
  const fixture = (name: string) => Bun.file(new URL(`../../fixtures/pdf/${name}`, import.meta.url)).bytes();
  test("a password-protected PDF fails with a message saying to remove the password", async () => {
    const jobId = await client.upload(await fixture("encrypted-user-password.pdf"), "locked.pdf");
    const status = await client.waitForJob(jobId);
    expect(status.status).toBe("failed");
    expect(status.error_message).toMatch(/password/i);
  });
  test("an empty file is refused at complete", async () => {
    const init = await direct({ file_size: 1 });
    // A zero-byte part cannot be sent; a 1-byte file that is not a document is refused by type.
    const put = await fetch(init.body.parts[0].upload_url, { method: "PUT", body: new Uint8Array([0]) });
    const res = await client.call("POST", `/ocr/uploads/${init.body.job_id}/complete`, { parts: [{ part_number: 1, etag: put.headers.get("etag") }] });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain("PDF, PNG, JPEG, WebP or TIFF");
  });
  test("a truncated PNG fails with a message about a damaged image", async () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 73, 72, 68, 82, 0, 0, 1, 0]);
    const jobId = await client.upload(png, "cut.png", { contentType: "image/png" });
    const status = await client.waitForJob(jobId);
    expect(status.status).toBe("failed");
    expect(status.error_message).toMatch(/damaged|incomplete/i);
  });
  test("a page over the pixel limit fails with the limit in the message, and other jobs are untouched", async () => {
    const small = await startTestServer({ maxPagePixels: 10_000 });
    try {
      const c = new SdkClient(small.baseUrl, small.apiKey);
      const { loadSharp } = await import("../../../src/lib/sharp");
      const sharp = await loadSharp();
      const big = new Uint8Array(await sharp({ create: { width: 400, height: 400, channels: 3, background: "#fff" } }).png().toBuffer());
      const jobId = await c.upload(big, "big.png", { contentType: "image/png" });
      const status = await c.waitForJob(jobId);
      expect(status.status).toBe("failed");
      expect(status.error_message).toContain("10000");
    } finally {
      await small.close();
    }
  });
  test("a document over the page limit fails naming the limit", async () => {
    const few = await startTestServer({ maxPages: 1 });
    try {
      const c = new SdkClient(few.baseUrl, few.apiKey);
      const { digitalPdf, SAMPLE_PAGES } = await import("../../helpers/fixtures");
      const jobId = await c.upload(await digitalPdf(SAMPLE_PAGES), "two-pages.pdf");
      const status = await c.waitForJob(jobId);
      expect(status.status).toBe("failed");
      expect(status.error_message).toContain("at most 1");
    } finally {
      await few.close();
    }
  });
});

describe("signed part URLs", () => {
  test("a tampered signature answers 403 and stores nothing", async () => {
    const init = await direct();
    const url = new URL(init.body.parts[0].upload_url);
    url.searchParams.set("signature", "0".repeat(64));
    const res = await fetch(url, { method: "PUT", body: new Uint8Array(100) });
    expect(res.status).toBe(403);
    expectLeapOcrError(await res.json(), "FORBIDDEN");
  });
  test("an expired URL answers 403 saying it expired", async () => {
    let offsetMs = 0;
    const expiring = await startTestServer({ uploadUrlTtlSeconds: 60 }, { clock: () => Date.now() + offsetMs });
    try {
      const c = new SdkClient(expiring.baseUrl, expiring.apiKey);
      const init = await c.call("POST", "/ocr/uploads/direct", { file_name: "a.pdf", file_size: 10, content_type: "application/pdf" });
      offsetMs = 61_000; // the server's clock moves past the URL's expiry
      const res = await fetch(init.body.parts[0].upload_url, { method: "PUT", body: new Uint8Array(10) });
      expect(res.status).toBe(403);
      expect(((await res.json()) as { error: { message: string } }).error.message).toContain("expired");
    } finally {
      await expiring.close();
    }
  });
  test("complete with a wrong ETag answers 400", async () => {
    const init = await direct({ file_size: 10 });
    await fetch(init.body.parts[0].upload_url, { method: "PUT", body: new Uint8Array(10) });
    const res = await client.call("POST", `/ocr/uploads/${init.body.job_id}/complete`, { parts: [{ part_number: 1, etag: '"abc"' }] });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain("ETag");
  });
});

describe("unknown jobs", () => {
  const id = "123e4567-e89b-12d3-a456-426614174000";
  test("status, result and delete of an unknown job answer 404", async () => {
    for (const [method, path] of [["GET", `/ocr/status/${id}`], ["GET", `/ocr/result/${id}`], ["DELETE", `/ocr/delete/${id}`]] as const) {
      const res = await client.call(method, path);
      expect(res.status).toBe(404);
      expectLeapOcrError(res.body, "NOT_FOUND");
    }
  });
  test("a job id that is not a UUID answers 400", async () => {
    const res = await client.call("GET", "/ocr/status/not-a-uuid");
    expect(res.status).toBe(400);
    expectLeapOcrError(res.body, "VALIDATION_ERROR");
  });
  test("an unknown route answers 404 with the LeapOCR body", async () => {
    const res = await client.call("GET", "/nope");
    expect(res.status).toBe(404);
    expectLeapOcrError(res.body, "NOT_FOUND");
  });
});

describe("URL uploads", () => {
  test("loopback, private and metadata addresses are refused with 400", async () => {
    for (const url of ["http://127.0.0.1/a.pdf", "http://localhost:8080/a.pdf", "http://10.0.0.5/a.pdf", "http://169.254.169.254/latest/meta-data", "http://[::1]/a.pdf", "file:///etc/passwd"]) {
      const res = await client.call("POST", "/ocr/uploads/url", { url });
      expect(res.status).toBe(400);
      expectLeapOcrError(res.body, "BAD_REQUEST");
    }
  });
  test("a string that is not a URL answers 400", async () => {
    const res = await client.call("POST", "/ocr/uploads/url", { url: "not a url" });
    expect(res.status).toBe(400);
  });
});
