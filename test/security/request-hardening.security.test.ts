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
