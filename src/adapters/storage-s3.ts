/**
 * S3-compatible storage (AWS S3, Cloudflare R2, MinIO...). The AWS SDK is used rather than
 * Bun's S3 client because direct uploads need presigned *multipart part* URLs
 * (UploadPart with uploadId and partNumber), which Bun's client cannot sign.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type ServerSideEncryption,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import type { PresignedPart, StoragePort } from "../ports/storage";
import { StorageError } from "../ports/storage";

export interface S3StorageOptions {
  endpoint?: string;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  forcePathStyle: boolean;
  /** Every key is stored under this prefix, so one bucket can serve several deployments. */
  keyPrefix: string;
  /** Passed through as x-amz-server-side-encryption, e.g. AES256 or aws:kms. */
  serverSideEncryption?: string;
  sseKmsKeyId?: string;
}

const isMissing = (err: unknown) => {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === "NoSuchKey" || e.name === "NotFound" || e.$metadata?.httpStatusCode === 404;
};

export class S3Storage implements StoragePort {
  readonly kind = "s3" as const;
  private readonly client: S3Client;

  constructor(private readonly o: S3StorageOptions) {
    this.client = new S3Client({
      endpoint: o.endpoint || undefined,
      region: o.region,
      forcePathStyle: o.forcePathStyle,
      credentials: { accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey },
      // Checksums only where the protocol needs them: R2, MinIO and test servers reject the rest.
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
    });
  }

  private key(key: string): string {
    return `${this.o.keyPrefix}${key}`;
  }

  private sse() {
    if (!this.o.serverSideEncryption) return {};
    return { ServerSideEncryption: this.o.serverSideEncryption as ServerSideEncryption, SSEKMSKeyId: this.o.sseKmsKeyId || undefined };
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    await this.client.send(new PutObjectCommand({ Bucket: this.o.bucket, Key: this.key(key), Body: bytes, ...this.sse() }));
  }

  async get(key: string): Promise<Uint8Array | null> {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.o.bucket, Key: this.key(key) }));
      return res.Body ? await res.Body.transformToByteArray() : new Uint8Array();
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }

  async head(key: string, length: number): Promise<Uint8Array | null> {
    // The size first: an empty object has no byte 0 to start a range at (S3 answers 416, and
    // s3rver hangs), and a missing key is answered without a GET.
    const size = await this.size(key);
    if (size === null) return null;
    const want = Math.min(length, size);
    if (want <= 0) return new Uint8Array();
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.o.bucket, Key: this.key(key), Range: `bytes=0-${want - 1}` }));
      const bytes = res.Body ? await res.Body.transformToByteArray() : new Uint8Array();
      // A server that ignores Range sends the whole object: keep only what was asked for.
      return bytes.subarray(0, want);
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }

  async size(key: string): Promise<number | null> {
    try {
      const res = await this.client.send(new HeadObjectCommand({ Bucket: this.o.bucket, Key: this.key(key) }));
      return res.ContentLength ?? 0;
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }

  async list(prefix: string): Promise<string[]> {
    const out: string[] = [];
    let token: string | undefined;
    do {
      const res = await this.client.send(new ListObjectsV2Command({ Bucket: this.o.bucket, Prefix: this.key(prefix), ContinuationToken: token }));
      for (const obj of res.Contents ?? []) if (obj.Key) out.push(obj.Key.slice(this.o.keyPrefix.length));
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
    return out;
  }

  async deletePrefix(prefix: string): Promise<void> {
    // A folder prefix must end in "/" so that jobs/abc does not also match jobs/abcd.
    const folder = prefix.endsWith("/") ? prefix : `${prefix}/`;
    const keys = await this.list(folder);
    for (let i = 0; i < keys.length; i += 1000) {
      await this.client.send(
        new DeleteObjectsCommand({ Bucket: this.o.bucket, Delete: { Objects: keys.slice(i, i + 1000).map((k) => ({ Key: this.key(k) })), Quiet: true } }),
      );
    }
    await this.abortUploadsUnder(folder);
  }

  /** Unfinished multipart uploads hold parts that do not show in listings; abort them too. */
  private async abortUploadsUnder(prefix: string): Promise<void> {
    try {
      const res = await this.client.send(new ListMultipartUploadsCommand({ Bucket: this.o.bucket, Prefix: this.key(prefix) }));
      for (const u of res.Uploads ?? []) {
        if (u.Key && u.UploadId) await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.o.bucket, Key: u.Key, UploadId: u.UploadId }));
      }
    } catch {
      // Some S3-compatible servers do not implement this listing; their parts expire by bucket policy.
    }
  }

  async createMultipart(key: string): Promise<{ uploadId: string }> {
    const res = await this.client.send(new CreateMultipartUploadCommand({ Bucket: this.o.bucket, Key: this.key(key), ...this.sse() }));
    if (!res.UploadId) throw new Error("The bucket did not return an upload id.");
    return { uploadId: res.UploadId };
  }

  async presignParts(key: string, uploadId: string, partSizes: number[], expiresAt: Date, _baseUrl: string): Promise<PresignedPart[]> {
    const expiresIn = Math.max(1, Math.floor((expiresAt.getTime() - Date.now()) / 1000));
    // ContentLength is signed (X-Amz-SignedHeaders names content-length): the bucket refuses a
    // part of any other size, so a URL cannot carry more than the declared file's share.
    return Promise.all(
      partSizes.map(async (size, i) => ({
        partNumber: i + 1,
        url: await getSignedUrl(this.client, new UploadPartCommand({ Bucket: this.o.bucket, Key: this.key(key), UploadId: uploadId, PartNumber: i + 1, ContentLength: size }), { expiresIn }),
      })),
    );
  }

  async completeMultipart(key: string, uploadId: string, parts: { partNumber: number; etag: string }[]): Promise<{ size: number }> {
    try {
      await this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.o.bucket,
          Key: this.key(key),
          UploadId: uploadId,
          MultipartUpload: { Parts: [...parts].sort((a, b) => a.partNumber - b.partNumber).map((p) => ({ PartNumber: p.partNumber, ETag: `"${p.etag.replaceAll('"', "")}"` })) },
        }),
      );
    } catch (err) {
      const name = (err as { name?: string }).name ?? "";
      if (name === "InvalidPart" || name === "InvalidPartOrder") throw new StorageError("etag_mismatch", "A part is missing or its ETag does not match the uploaded bytes.");
      if (name === "NoSuchUpload") throw new StorageError("not_found", "This upload does not exist or has already completed.");
      throw err;
    }
    return { size: (await this.size(key)) ?? 0 };
  }

  async listMultipart(): Promise<{ key: string; uploadId: string; startedAt: number }[]> {
    try {
      const res = await this.client.send(new ListMultipartUploadsCommand({ Bucket: this.o.bucket, Prefix: this.o.keyPrefix }));
      return (res.Uploads ?? [])
        .filter((u) => u.Key && u.UploadId)
        .map((u) => ({ key: u.Key!.slice(this.o.keyPrefix.length), uploadId: u.UploadId!, startedAt: u.Initiated?.getTime() ?? 0 }));
    } catch {
      return [];
    }
  }

  async abortMultipart(key: string, uploadId: string): Promise<void> {
    try {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.o.bucket, Key: this.key(key), UploadId: uploadId }));
    } catch (err) {
      const name = (err as { name?: string }).name ?? "";
      // Some S3-compatible servers cannot abort uploads; their parts expire by the bucket's
      // AbortIncompleteMultipartUpload lifecycle rule (docs/OPERATIONS.md asks for one).
      if (!isMissing(err) && !["NoSuchUpload", "MethodNotAllowed", "NotImplemented"].includes(name)) throw err;
    }
  }
}
