/**
 * Issue 15, findings 11, 13 and 17: what the server does with a request body before and while it
 * reads it. Bad input answers the right status and the LeapOCR error body, with a message that
 * names the field.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "../helpers/app";
import { SdkClient } from "../helpers/sdk-client";

let t: TestServer;
let client: SdkClient;
beforeAll(async () => {
  t = await startTestServer({ rateLimitPerIp: 0, loginMaxFailures: 0 });
  client = new SdkClient(t.baseUrl, t.apiKey);
});
afterAll(() => t.close());

const post = (path: string, body: string, headers: Record<string, string> = {}) =>
  fetch(`${t.baseUrl}${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });

describe("finding 17: validation errors name the field", () => {
  test("a missing field, a wrong type and a nested item are named by their path, never [object Object]", async () => {
    const missing = await post("/api/v1/auth/login", JSON.stringify({ password: "x" }));
    expect(missing.status).toBe(400);
    const m = (await missing.json()) as any;
    expect(m.code).toBe("VALIDATION_ERROR");
    expect(m.error.message).toBe("email: is required");
    expect(m.details[0]).toEqual({ field: "email", message: "is required" });

    const wrongType = await client.call("POST", "/ocr/uploads/direct", { file_name: 5, file_size: 10, content_type: "application/pdf" });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.error.message).toStartWith("file_name: ");

    const nested = await client.call("POST", "/ocr/uploads/00000000-0000-4000-8000-000000000001/complete", { parts: [{ part_number: 1, etag: "x" }, { part_number: "two", etag: "y" }] });
    expect(nested.status).toBe(400);
    expect(nested.body.error.message).toStartWith("parts.1.part_number: ");
    for (const r of [m, wrongType.body, nested.body]) expect(JSON.stringify(r)).not.toContain("[object Object]");
  });
});

/** Sends raw HTTP/1.1 bytes over a loopback socket and answers what the server replied within `ms` ("" when it waited). */
async function rawExchange(head: string, bodyStart: string, ms = 3000): Promise<string> {
  const { port } = new URL(t.baseUrl);
  let reply = "";
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port: Number(port),
    socket: { data: (_s, chunk) => void (reply += new TextDecoder().decode(chunk)) },
  });
  socket.write(`${head}\r\n\r\n${bodyStart}`);
  const end = Date.now() + ms;
  while (!reply.includes("\r\n\r\n") && Date.now() < end) await Bun.sleep(20);
  socket.end();
  return reply;
}

describe("finding 11: large request bodies are refused before they are read, and credentials are checked first", () => {
  test("an unauthenticated 100 MB JSON POST is answered 413 from its Content-Length, without the server waiting for the bytes", async () => {
    const reply = await rawExchange("POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 104857600", '{"email":"');
    expect(reply).toStartWith("HTTP/1.1 413");
    expect(reply).toContain('"code":"BAD_REQUEST"');
    expect(reply).toContain("LEAPOCR_MAX_JSON_BYTES");
  });

  test("a guarded route answers 401 before reading the body of a caller without valid credentials", async () => {
    for (const auth of ["", "\r\nX-API-KEY: lo_wrong_key_0000000000000000"]) {
      const reply = await rawExchange(`POST /api/v1/ocr/uploads/direct HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000${auth}`, '{"file_name":"');
      expect(reply, auth || "no key").toStartWith("HTTP/1.1 401");
      expect(reply).toContain('"code":"AUTHENTICATION_ERROR"');
    }
  });

  test("an authenticated JSON body over the limit is 413, a body without a length is 411, and the part PUT keeps its own limit", async () => {
    const big = JSON.stringify({ file_name: "a.pdf", file_size: 10, content_type: "application/pdf", instructions: "x".repeat(1_100_000) });
    const res = await fetch(`${t.baseUrl}/api/v1/ocr/uploads/direct`, { method: "POST", headers: { "content-type": "application/json", "x-api-key": t.apiKey }, body: big });
    expect(res.status).toBe(413);
    expect(((await res.json()) as any).code).toBe("BAD_REQUEST");
    const chunked = await fetch(`${t.baseUrl}/api/v1/ocr/uploads/direct`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": t.apiKey },
      body: new ReadableStream({ start: (c) => (c.enqueue(new TextEncoder().encode('{"file_name":"a.pdf"}')), c.close()) }),
    });
    expect(chunked.status).toBe(411);
    expect(((await chunked.json()) as any).error.message).toContain("Content-Length");
    // A 2 MB document still goes through the signed part URL.
    const init = await client.call("POST", "/ocr/uploads/direct", { file_name: "big.bin", file_size: 2_000_000, content_type: "application/pdf" });
    expect(init.status).toBe(200);
    const part = init.body.parts[0];
    const put = await fetch(part.upload_url, { method: "PUT", body: new Uint8Array(part.end_byte - part.start_byte + 1) });
    expect(put.status).toBe(200);
  });
});

describe("finding 13: very deep JSON answers 400, not 500", () => {
  test("a login body of 100 000 nested arrays", async () => {
    const deep = "[".repeat(100_000) + "]".repeat(100_000);
    for (const body of [`{"email":${deep},"password":"x"}`, deep]) {
      const res = await post("/api/v1/auth/login", body);
      expect(res.status).toBe(400);
      const b = (await res.json()) as any;
      expect(b.code).toBe("BAD_REQUEST");
      expect(b.error.message).toContain("nested more than");
    }
  });

  test("a structured job whose schema is 20 000 levels deep", async () => {
    // Written out by hand: JSON.stringify itself overflows at this depth.
    const schema = '{"type":"object","properties":{"a":'.repeat(20_000) + '{"type":"string"}' + "}}".repeat(20_000);
    const res = await post("/api/v1/ocr/uploads/direct", `{"file_name":"a.pdf","file_size":10,"content_type":"application/pdf","format":"structured","schema":${schema}}`, { "x-api-key": t.apiKey });
    expect(res.status).toBe(400);
    const b = (await res.json()) as any;
    expect(b.code).toBe("BAD_REQUEST");
    expect(b.error.message).toContain("nested more than");
  });
});
