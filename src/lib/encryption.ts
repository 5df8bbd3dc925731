/**
 * AES-256-GCM encryption at rest for the local-disk backend. A key ring holds one active key
 * (used for writes) and any number of older ones (still readable), each with an id stored in
 * the file header, so keys can be rotated without rewriting files at once:
 *   LEAPOCR_ENCRYPTION_KEYS="k2:<base64 32 bytes>,k1:<base64 32 bytes>"   (first = active)
 * File layout: "LOE1" | id length (1 byte) | id | iv (12) | tag (16) | ciphertext.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

const MAGIC = Buffer.from("LOE1");

export class KeyRing {
  private constructor(
    private readonly active: { id: string; key: Buffer },
    private readonly keys: Map<string, Buffer>,
  ) {}

  /** Parses "id:base64,id:base64". Throws with a message an operator can act on. */
  static parse(spec: string): KeyRing {
    const entries = spec.split(",").map((s) => s.trim()).filter(Boolean).map((entry) => {
      const i = entry.indexOf(":");
      const id = entry.slice(0, i);
      const key = Buffer.from(entry.slice(i + 1), "base64");
      if (i <= 0 || id.length > 64 || key.length !== 32) {
        throw new Error(`Encryption key "${entry.slice(0, Math.max(i, 0))}" must be written id:<base64 of 32 random bytes> (make one with: openssl rand -base64 32).`);
      }
      return [id, key] as const;
    });
    if (entries.length === 0) throw new Error("LEAPOCR_ENCRYPTION_KEYS is set but holds no key.");
    const [id, key] = entries[0]!;
    return new KeyRing({ id, key }, new Map(entries));
  }

  seal(plain: Uint8Array): Uint8Array {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.active.key, iv);
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    const id = Buffer.from(this.active.id);
    return Buffer.concat([MAGIC, Buffer.from([id.length]), id, iv, cipher.getAuthTag(), body]);
  }

  /** Bytes a sealed file adds to its plaintext, read from the file's first 5 bytes; 0 for a plaintext file. */
  static overhead(head: Uint8Array): number {
    const idLen = sealedIdLength(head);
    return idLen === null ? 0 : 5 + idLen + 12 + 16;
  }

  /** Files written before encryption was turned on are returned as they are. */
  open(data: Uint8Array): Uint8Array {
    const idLen = sealedIdLength(data);
    if (idLen === null) return data;
    const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const id = buf.subarray(5, 5 + idLen).toString();
    const key = this.keys.get(id);
    if (!key) throw new Error(`A stored file was encrypted with key "${id}", which is not in LEAPOCR_ENCRYPTION_KEYS; add it back to read the file.`);
    const at = 5 + idLen;
    const decipher = createDecipheriv("aes-256-gcm", key, buf.subarray(at, at + 12));
    decipher.setAuthTag(buf.subarray(at + 12, at + 28));
    return Buffer.concat([decipher.update(buf.subarray(at + 28)), decipher.final()]);
  }
}

/** A sealed file starts with MAGIC and the length of its key id; null when `data` is not sealed. */
function sealedIdLength(data: Uint8Array): number | null {
  if (data.length < 5 || !MAGIC.equals(data.subarray(0, 4))) return null;
  return data[4]!;
}
