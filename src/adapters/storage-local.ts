/**
 * Local-disk storage. Files live under <root>/<key>. Multipart uploads keep their parts under
 * <root>/.uploads/<upload id>/ until complete joins them; the part URLs point at this server's
 * own PUT route and carry an HMAC signature and an expiry instead of an API key.
 */
import { mkdir, readdir, rm, stat, rename, writeFile } from "node:fs/promises";
import { createHash } from "node:crypto";
import { dirname, join, normalize, relative, sep } from "node:path";
import type { PresignedPart, StoragePort } from "../ports/storage";
import { StorageError } from "../ports/storage";
import { hmacHex, safeEqual } from "../lib/crypto";
import { KeyRing } from "../lib/encryption";
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from "../lib/private-files";

export const UPLOAD_PART_ROUTE = "/api/v1/uploads";

export class LocalStorage implements StoragePort {
  readonly kind = "local" as const;

  constructor(
    private readonly root: string,
    private readonly signingKey: string,
    /** When set, every file (parts included) is AES-256-GCM encrypted on disk. */
    private readonly keys?: KeyRing,
  ) {}

  private seal(bytes: Uint8Array): Uint8Array {
    return this.keys ? this.keys.seal(bytes) : bytes;
  }

  private unseal(bytes: Uint8Array): Uint8Array {
    return this.keys ? this.keys.open(bytes) : bytes;
  }

  /** Resolves a key inside the root; a key that would escape it is a programming error. */
  private path(key: string): string {
    const full = normalize(join(this.root, key));
    const rel = relative(this.root, full);
    if (rel.startsWith("..") || rel.startsWith(sep)) throw new Error(`storage key escapes the root: ${key}`);
    return full;
  }

  private uploadDir(uploadId: string): string {
    if (!/^[A-Za-z0-9_-]+$/.test(uploadId)) throw new StorageError("not_found", "Unknown upload.");
    return join(this.root, ".uploads", uploadId);
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    const file = this.path(key);
    await mkdir(dirname(file), { recursive: true, mode: PRIVATE_DIR_MODE });
    // Write then rename, so a crash never leaves a half-written file under the real key.
    const tmp = `${file}.tmp-${crypto.randomUUID()}`;
    await writeFile(tmp, this.seal(bytes), { mode: PRIVATE_FILE_MODE });
    await rename(tmp, file);
  }

  async get(key: string): Promise<Uint8Array | null> {
    const file = Bun.file(this.path(key));
    if (!(await file.exists())) return null;
    return this.unseal(new Uint8Array(await file.arrayBuffer()));
  }

  async head(key: string, length: number): Promise<Uint8Array | null> {
    // An encrypted file is one AES-GCM message: it is read and authenticated whole.
    if (this.keys) return (await this.get(key))?.subarray(0, length) ?? null;
    const file = Bun.file(this.path(key));
    if (!(await file.exists())) return null;
    return new Uint8Array(await file.slice(0, length).arrayBuffer());
  }

  async size(key: string): Promise<number | null> {
    let onDisk: number;
    try {
      onDisk = (await stat(this.path(key))).size;
    } catch {
      return null;
    }
    // Encrypted: the plaintext's size is the file's less its header, without decrypting it.
    if (!this.keys) return onDisk;
    return onDisk - KeyRing.overhead(new Uint8Array(await Bun.file(this.path(key)).slice(0, 5).arrayBuffer()));
  }

  async deletePrefix(prefix: string): Promise<void> {
    await rm(this.path(prefix), { recursive: true, force: true });
  }

  async list(prefix: string): Promise<string[]> {
    const base = this.path(prefix);
    try {
      const entries = await readdir(base, { recursive: true, withFileTypes: true });
      return entries
        .filter((e) => e.isFile())
        .map((e) => relative(this.root, join(e.parentPath, e.name)).split(sep).join("/"));
    } catch {
      return [];
    }
  }

  async createMultipart(key: string): Promise<{ uploadId: string }> {
    const uploadId = crypto.randomUUID();
    const dir = this.uploadDir(uploadId);
    await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
    await writeFile(join(dir, "key"), key, { mode: PRIVATE_FILE_MODE });
    return { uploadId };
  }

  private signature(uploadId: string, partNumber: number, expires: number, maxBytes: number): string {
    return hmacHex(this.signingKey, `PUT\n${uploadId}\n${partNumber}\n${expires}\n${maxBytes}`);
  }

  async presignParts(_key: string, uploadId: string, partSizes: number[], expiresAt: Date, baseUrl: string): Promise<PresignedPart[]> {
    const expires = Math.floor(expiresAt.getTime() / 1000);
    return partSizes.map((size, i) => {
      const partNumber = i + 1;
      const sig = this.signature(uploadId, partNumber, expires, size);
      return { partNumber, url: `${baseUrl}${UPLOAD_PART_ROUTE}/${uploadId}/parts/${partNumber}?expires=${expires}&size=${size}&signature=${sig}` };
    });
  }

  /**
   * Checks a part URL's signature (which covers the part's largest size) and expiry; throws
   * StorageError when it does not hold.
   */
  verifyPartSignature(uploadId: string, partNumber: number, expires: number, maxBytes: number, signature: string, nowMs = Date.now()): void {
    if (!Number.isFinite(expires) || !Number.isSafeInteger(maxBytes) || !safeEqual(this.signature(uploadId, partNumber, expires, maxBytes), signature)) {
      throw new StorageError("bad_signature", "The upload URL's signature is not valid. Request a new upload URL.");
    }
    if (expires * 1000 < nowMs) {
      throw new StorageError("expired", "The upload URL has expired. Start the upload again to get a new URL.");
    }
  }

  /** Stores one part's bytes; answers the ETag (quoted MD5, as S3 does). */
  async writePart(uploadId: string, partNumber: number, bytes: Uint8Array): Promise<string> {
    const dir = this.uploadDir(uploadId);
    if (!(await Bun.file(join(dir, "key")).exists())) throw new StorageError("not_found", "This upload does not exist or has already completed.");
    await writeFile(join(dir, `part-${partNumber}`), this.seal(bytes), { mode: PRIVATE_FILE_MODE });
    return `"${createHash("md5").update(bytes).digest("hex")}"`;
  }

  async completeMultipart(key: string, uploadId: string, parts: { partNumber: number; etag: string }[]): Promise<{ size: number }> {
    const dir = this.uploadDir(uploadId);
    const sorted = [...parts].sort((a, b) => a.partNumber - b.partNumber);
    const chunks: Uint8Array[] = [];
    for (const part of sorted) {
      const file = Bun.file(join(dir, `part-${part.partNumber}`));
      if (!(await file.exists())) throw new StorageError("missing_part", `Part ${part.partNumber} was never uploaded.`);
      const bytes = this.unseal(new Uint8Array(await file.arrayBuffer()));
      const etag = `"${createHash("md5").update(bytes).digest("hex")}"`;
      if (etag !== `"${part.etag.replaceAll('"', "")}"`) {
        throw new StorageError("etag_mismatch", `The ETag given for part ${part.partNumber} does not match the uploaded bytes.`);
      }
      chunks.push(bytes);
    }
    const joined = Buffer.concat(chunks);
    await this.put(key, joined);
    await rm(dir, { recursive: true, force: true });
    return { size: joined.length };
  }

  async listMultipart(): Promise<{ key: string; uploadId: string; startedAt: number }[]> {
    const base = join(this.root, ".uploads");
    const ids = await readdir(base).catch(() => [] as string[]);
    const out: { key: string; uploadId: string; startedAt: number }[] = [];
    for (const uploadId of ids) {
      const keyFile = join(base, uploadId, "key");
      const key = await Bun.file(keyFile).text().catch(() => null);
      const started = await stat(keyFile).then((s) => s.mtimeMs).catch(() => 0);
      out.push({ key: key ?? "", uploadId, startedAt: started });
    }
    return out;
  }

  async abortMultipart(_key: string, uploadId: string): Promise<void> {
    await rm(this.uploadDir(uploadId), { recursive: true, force: true });
  }
}
