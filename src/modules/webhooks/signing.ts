/**
 * Webhook signatures, as the hosted LeapOCR service signs them: `X-Webhook-Timestamp` is unix
 * seconds and `X-Webhook-Signature` the lower-case hex HMAC-SHA256 of "<timestamp>.<raw body>"
 * keyed by the subscription's secret. Receivers verify with the same three inputs.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

export function signWebhook(secret: string, timestamp: number | string, body: string): string {
  return createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex");
}

/** Constant-time check of a received signature (what a receiver does). */
export function verifyWebhookSignature(secret: string, timestamp: number | string, body: string, signature: string): boolean {
  const expected = Buffer.from(signWebhook(secret, timestamp, body), "utf8");
  const given = Buffer.from(signature.trim().toLowerCase(), "utf8");
  return expected.length === given.length && timingSafeEqual(expected, given);
}

export function webhookHeaders(secret: string, body: string, nowMs: number, event: { id: string; type: string; deliveryId: string }): Record<string, string> {
  const timestamp = Math.floor(nowMs / 1000);
  return {
    "content-type": "application/json",
    "user-agent": "leapocr-webhooks/1",
    "x-webhook-timestamp": String(timestamp),
    "x-webhook-signature": signWebhook(secret, timestamp, body),
    "x-webhook-event": event.type,
    "x-webhook-event-id": event.id,
    "x-webhook-delivery-id": event.deliveryId,
  };
}
