/**
 * Where documents live: local disk or an S3-compatible bucket. Keys are relative paths such
 * as `jobs/<job id>/source`. Multipart uploads mirror S3's: create, a signed URL per part that
 * the client PUTs to directly, then complete (which joins the parts into the key).
 */
export interface PresignedPart {
  partNumber: number;
  url: string;
}

export interface StoragePort {
  readonly kind: "local" | "s3";
  put(key: string, bytes: Uint8Array): Promise<void>;
  /** null when the key does not exist. */
  get(key: string): Promise<Uint8Array | null>;
  /** The first `length` bytes (fewer when the file is shorter); null when the key does not exist. Reads no more than it must. */
  head(key: string, length: number): Promise<Uint8Array | null>;
  size(key: string): Promise<number | null>;
  /** Deletes every key under the prefix (a job's folder); missing keys are not an error. */
  deletePrefix(prefix: string): Promise<void>;
  list(prefix: string): Promise<string[]>;

  createMultipart(key: string): Promise<{ uploadId: string }>;
  /**
   * One URL per part. Part n may carry at most partSizes[n - 1] bytes: the local URLs sign the
   * limit (the PUT route checks it), S3's sign the Content-Length (the bucket refuses another).
   */
  presignParts(key: string, uploadId: string, partSizes: number[], expiresAt: Date, baseUrl: string): Promise<PresignedPart[]>;
  /** Joins the parts, in order, into `key`. Throws StorageError when a part is missing or an ETag does not match. */
  completeMultipart(key: string, uploadId: string, parts: { partNumber: number; etag: string }[]): Promise<{ size: number }>;
  abortMultipart(key: string, uploadId: string): Promise<void>;
  /** Multipart uploads not yet completed or aborted (for the orphan sweep at start). */
  listMultipart(): Promise<{ key: string; uploadId: string; startedAt: number }[]>;
}

export class StorageError extends Error {
  constructor(
    readonly kind: "missing_part" | "etag_mismatch" | "bad_signature" | "expired" | "not_found",
    message: string,
  ) {
    super(message);
  }
}
