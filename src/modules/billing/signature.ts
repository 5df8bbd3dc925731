/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com), as Polar sends them:
 * `webhook-id`, `webhook-timestamp` (unix seconds) and `webhook-signature`, a space-separated
 * list of `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<raw body>">`.
 *
 * The HMAC key depends on when the operator's secret was made in Polar's dashboard:
 * - secrets made since 8 September 2026 are spec-compliant, `whsec_<base64>`: the key is the
 *   base64 after the prefix, decoded (what the spec and its libraries do);
 * - older secrets (`polar_whs_...`, and the first `whsec_` ones) sign with the secret's own
 *   UTF-8 bytes: Polar's SDK base64-ENCODES the secret before handing it to the standardwebhooks
 *   library, which decodes it again (polar-js src/webhooks.ts, validateEvent).
 * Polar's SDKs accept either key (polarsource/polar#14102), so does this server: both need the
 * secret, so accepting two keys does not make a forgery easier.
 *
 * Written on node:crypto rather than the `standardwebhooks` package: the scheme is a few lines,
 * the package takes one key per verifier (two keys meant two verifiers and telling their errors
 * apart), and it would be one more dependency in the binary for an optional feature.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

/** How far webhook-timestamp may be from this server's clock, either way (the spec's 5 minutes). */
export const TIMESTAMP_TOLERANCE_SECONDS = 5 * 60;

export type SignatureFailure =
  | { kind: "missing_headers"; message: string }
  | { kind: "bad_timestamp"; message: string }
  | { kind: "bad_signature"; message: string };

export type SignatureCheck = { ok: true; webhookId: string; timestamp: number } | ({ ok: false } & SignatureFailure);

/** The HMAC keys a Polar secret may sign with: the spec's decoded key first, then the secret's bytes. */
export function signingKeys(secret: string): Buffer[] {
  const keys: Buffer[] = [];
  if (secret.startsWith("whsec_")) {
    const rest = secret.slice("whsec_".length);
    // Only a real base64 key counts; Buffer.from would quietly skip characters that are not.
    if (/^[A-Za-z0-9+/]+={0,2}$/.test(rest) && rest.length % 4 === 0) keys.push(Buffer.from(rest, "base64"));
  }
  keys.push(Buffer.from(secret, "utf8"));
  return keys;
}

/** `v1,<base64>` for one key (what a sender puts in webhook-signature; the tests sign with it). */
export function signStandardWebhook(key: Uint8Array, webhookId: string, timestamp: number, body: string | Uint8Array): string {
  const mac = createHmac("sha256", key).update(`${webhookId}.${timestamp}.`).update(body).digest("base64");
  return `v1,${mac}`;
}

/** Checks the three headers against the raw body, with `nowSeconds` from this server's clock. */
export function verifyStandardWebhook(secret: string, headers: Headers, body: Uint8Array, nowSeconds: number): SignatureCheck {
  const webhookId = headers.get("webhook-id");
  const rawTimestamp = headers.get("webhook-timestamp");
  const signatures = headers.get("webhook-signature");
  if (!webhookId || !rawTimestamp || !signatures) {
    return { ok: false, kind: "missing_headers", message: "A Polar webhook needs the webhook-id, webhook-timestamp and webhook-signature headers (Standard Webhooks)." };
  }
  const given = signatures
    .split(" ")
    .map((s) => s.trim())
    .filter((s) => s.startsWith("v1,"))
    .map((s) => Buffer.from(s.slice(3), "base64"));
  if (!/^\d{1,12}$/.test(rawTimestamp)) {
    return { ok: false, kind: "bad_timestamp", message: "webhook-timestamp must be unix seconds." };
  }
  const timestamp = Number(rawTimestamp);
  // The signature first: an unsigned request learns nothing about the clock check.
  const matches = signingKeys(secret).some((key) => {
    const expected = Buffer.from(signStandardWebhook(key, webhookId, timestamp, body).slice(3), "base64");
    return given.some((g) => g.length === expected.length && timingSafeEqual(g, expected));
  });
  if (!matches) {
    return { ok: false, kind: "bad_signature", message: "The webhook signature does not match: check that LEAPOCR_POLAR_WEBHOOK_SECRET is this endpoint's secret in Polar." };
  }
  const skew = nowSeconds - timestamp;
  if (Math.abs(skew) > TIMESTAMP_TOLERANCE_SECONDS) {
    return {
      ok: false,
      kind: "bad_timestamp",
      message: `The webhook timestamp is ${Math.abs(Math.round(skew))} s ${skew > 0 ? "old" : "in the future"}; at most ${TIMESTAMP_TOLERANCE_SECONDS} s is accepted (check this server's clock).`,
    };
  }
  return { ok: true, webhookId, timestamp };
}
