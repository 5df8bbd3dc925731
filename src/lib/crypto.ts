import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export const sha256Hex = (input: string | Uint8Array): string =>
  createHash("sha256").update(input).digest("hex");

export const hmacHex = (key: string | Uint8Array, input: string): string =>
  createHmac("sha256", key).update(input).digest("hex");

/** Constant-time comparison of two hex/ascii strings. */
export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

/** URL-safe random token, used for API key secrets and signing keys. */
export const randomToken = (bytes = 32): string => randomBytes(bytes).toString("base64url");
