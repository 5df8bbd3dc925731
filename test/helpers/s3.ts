/**
 * A real S3-compatible server for tests: s3rver (npm), started in this process on 127.0.0.1
 * and port 0. It does not check signatures (tests of signature checking use the binary's own
 * local URLs), but it rejects expired presigned URLs and unknown keys.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
// @ts-expect-error s3rver ships no types
import S3rver from "s3rver";

export interface TestS3 {
  endpoint: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Where s3rver keeps the bucket's objects and unfinished uploads on disk. */
  directory: string;
  close(): Promise<void>;
}

export async function startTestS3(bucket = "leapocr-test"): Promise<TestS3> {
  const dir = mkdtempSync(join(tmpdir(), "leapocr-s3-"));
  const server = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory: dir, configureBuckets: [{ name: bucket }] });
  const { port } = (await server.run()) as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    accessKeyId: "S3RVER",
    secretAccessKey: "S3RVER",
    directory: dir,
    async close() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
