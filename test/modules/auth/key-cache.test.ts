/**
 * The API-key cache of the HTTP thread (issue 20): a lookup is served from memory only while the
 * server's connection has written nothing since, and for at most KEY_CACHE_TTL_MS; expiry is
 * judged on every request. The HTTP-level cases (revoked key, removed/demoted/disabled creator
 * right after the cache was warmed) are in test/security/key-membership.security.test.ts.
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { openDatabase } from "../../../src/db/client";
import { migrate } from "../../../src/db/migrate";
import type { Db } from "../../../src/db/client";
import { apiKeys } from "../../../src/db/schema";
import { authenticateApiKey, createApiKey, createOrganization, createTeam } from "../../../src/modules/auth/service";
import { KEY_CACHE_TTL_MS } from "../../../src/modules/auth/key-cache";

let dir: string;
let db: Db;
let teamId: string;
const T0 = 1_800_000_000_000;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "leapocr-key-cache-"));
  db = openDatabase(join(dir, "db.sqlite"));
  migrate(db);
  teamId = createTeam(db, createOrganization(db, "Org", T0).id, "Team", T0).id;
});
afterEach(() => {
  db.$client.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("API-key cache", () => {
  test("any write on the server's connection drops it: a revocation by plain SQL is seen on the next lookup", () => {
    const key = createApiKey(db, teamId, "k", undefined, T0);
    for (let i = 0; i < 3; i++) expect(authenticateApiKey(db, key.secret, T0 + i)).not.toBeNull();
    db.$client.run("UPDATE api_keys SET revoked_at = ? WHERE id = ?", [T0, key.id]);
    expect(authenticateApiKey(db, key.secret, T0 + 3)).toBeNull();
  });

  test("expiry is judged on every lookup, cached or not", () => {
    const key = createApiKey(db, teamId, "k", undefined, T0, { expiresAt: T0 + 500 });
    expect(authenticateApiKey(db, key.secret, T0)).not.toBeNull();
    expect(authenticateApiKey(db, key.secret, T0 + 499)).not.toBeNull();
    expect(authenticateApiKey(db, key.secret, T0 + 500)).toBeNull();
  });

  test("a lookup is served from memory between writes, at most KEY_CACHE_TTL_MS (what bounds another process's write)", () => {
    const key = createApiKey(db, teamId, "k", undefined, T0);
    expect(authenticateApiKey(db, key.secret, T0)).not.toBeNull();
    // Another process (here: a second connection) revokes the key. The server's connection wrote
    // nothing, so within the TTL the key is still answered from the cache; no supported command
    // revokes outside the server (the CLI only adds keys and owners), this is the bound.
    const other = openDatabase(join(dir, "db.sqlite"));
    other.update(apiKeys).set({ revokedAt: T0 }).where(eq(apiKeys.id, key.id)).run();
    other.$client.close();
    expect(authenticateApiKey(db, key.secret, T0 + KEY_CACHE_TTL_MS - 1)).not.toBeNull();
    expect(authenticateApiKey(db, key.secret, T0 + KEY_CACHE_TTL_MS)).toBeNull();
  });

  test("unknown secrets are never kept: a key created afterwards under that secret works at once", () => {
    const secret = "lo_not_yet_0123456789abcdef";
    expect(authenticateApiKey(db, secret, T0)).toBeNull();
    const other = openDatabase(join(dir, "db.sqlite"));
    createApiKey(other, teamId, "later", secret, T0);
    other.$client.close();
    expect(authenticateApiKey(db, secret, T0 + 1)).not.toBeNull();
  });
});
