/**
 * Local-disk storage with a PostgreSQL database (several replicas) is refused with a message
 * that says what to do, unless the operator declares the directory shared. The server refuses
 * LEAPOCR_DATABASE_URL as a whole until every table runs on PostgreSQL (test/cli/database-url),
 * so this is held at the configuration level: createApp calls the same check.
 */
import { expect, test } from "bun:test";
import { ConfigError, checkStorageForDatabase, loadConfig } from "../../src/config";

const URL = "postgres://leapocr@db.invalid:5432/leapocr";
const config = (env: Record<string, string>) => loadConfig({}, { LEAPOCR_DATA_DIR: "/srv/leapocr", ...env });

test("a PostgreSQL URL with local storage is refused, naming the directory, the bucket settings and the shared-disk switch", () => {
  let err: unknown;
  try {
    checkStorageForDatabase(config({ LEAPOCR_DATABASE_URL: URL }));
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ConfigError);
  const message = (err as Error).message;
  expect(message).toContain("/srv/leapocr/files");
  expect(message).toContain("LEAPOCR_STORAGE=s3");
  expect(message).toContain("LEAPOCR_STORAGE_SHARED=true");
  expect(message).not.toContain(URL); // the URL may carry a password
});

test("a bucket, or a local directory the operator declares shared, is accepted with PostgreSQL; SQLite with local disk is today's server", () => {
  expect(() => checkStorageForDatabase(config({ LEAPOCR_DATABASE_URL: URL, LEAPOCR_STORAGE: "s3" }))).not.toThrow();
  expect(() => checkStorageForDatabase(config({ LEAPOCR_DATABASE_URL: URL, LEAPOCR_STORAGE_SHARED: "true" }))).not.toThrow();
  expect(() => checkStorageForDatabase(config({}))).not.toThrow();
  expect(config({}).storageShared).toBe(false);
});
