import { expect, test } from "bun:test";
import { signWebhook, verifyWebhookSignature, webhookHeaders } from "../../../src/modules/webhooks/signing";

// The known vector of API-COMPAT.md, byte for byte.
const SECRET = "my-secret-key";
const TIMESTAMP = "1704067200";
const BODY = '{"event_type":"webhook.test","event_id":"evt_123","timestamp":"2024-01-01T00:00:00Z","message":"This is a test webhook event"}';
const SIGNATURE = "51033b9251a1db2003caf73152dc990d20c3efd8c97d176603de1dc034aa1bc1";

test("the known LeapOCR signature vector is reproduced exactly", () => {
  expect(signWebhook(SECRET, TIMESTAMP, BODY)).toBe(SIGNATURE);
  expect(signWebhook(SECRET, 1704067200, BODY)).toBe(SIGNATURE);
});

test("a receiver verifies the vector and rejects any change to secret, timestamp or body", () => {
  expect(verifyWebhookSignature(SECRET, TIMESTAMP, BODY, SIGNATURE)).toBe(true);
  expect(verifyWebhookSignature(SECRET, TIMESTAMP, BODY, SIGNATURE.toUpperCase())).toBe(true);
  expect(verifyWebhookSignature("other", TIMESTAMP, BODY, SIGNATURE)).toBe(false);
  expect(verifyWebhookSignature(SECRET, "1704067201", BODY, SIGNATURE)).toBe(false);
  expect(verifyWebhookSignature(SECRET, TIMESTAMP, `${BODY} `, SIGNATURE)).toBe(false);
  expect(verifyWebhookSignature(SECRET, TIMESTAMP, BODY, "00")).toBe(false);
});

test("delivery headers carry unix seconds and the signature of exactly the body sent", () => {
  const h = webhookHeaders(SECRET, BODY, 1704067200_999, { id: "evt_123", type: "webhook.test", deliveryId: "d1" });
  expect(h["x-webhook-timestamp"]).toBe(TIMESTAMP);
  expect(h["x-webhook-signature"]).toBe(SIGNATURE);
  expect(h["content-type"]).toBe("application/json");
  expect(h["x-webhook-event-id"]).toBe("evt_123");
});
