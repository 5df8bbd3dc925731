/** API keys: the secret is shown once; only its SHA-256 and a short visible prefix are stored. */
import { and, eq, isNull } from "drizzle-orm";
import type { Db } from "../../db/client";
import { apiKeys, organizations, teams } from "../../db/schema";
import { randomToken, sha256Hex } from "../../lib/crypto";
import { newId } from "../../lib/ids";

export interface ApiKeyAuth {
  teamId: string;
  apiKeyId: string;
  scopes: string;
}

const KEY_PREFIX = "lo_";
const VISIBLE_PREFIX_LENGTH = 10;

export function generateApiKeySecret(): string {
  return `${KEY_PREFIX}${randomToken(24)}`;
}

export function createApiKey(db: Db, teamId: string, name: string, secret = generateApiKeySecret(), now = Date.now()): { id: string; secret: string } {
  const id = newId("key");
  db.insert(apiKeys)
    .values({ id, teamId, name, prefix: secret.slice(0, VISIBLE_PREFIX_LENGTH), hash: sha256Hex(secret), createdAt: now })
    .run();
  return { id, secret };
}

/** Resolves the X-API-KEY header to its team; null for unknown, revoked or expired keys. */
export function authenticateApiKey(db: Db, secret: string, now = Date.now()): ApiKeyAuth | null {
  const row = db
    .select({ id: apiKeys.id, teamId: apiKeys.teamId, expiresAt: apiKeys.expiresAt, lastUsedAt: apiKeys.lastUsedAt, scopes: apiKeys.scopes })
    .from(apiKeys)
    .where(and(eq(apiKeys.hash, sha256Hex(secret)), isNull(apiKeys.revokedAt)))
    .get();
  if (!row || (row.expiresAt !== null && row.expiresAt <= now)) return null;
  // Writing on every request would serialise reads behind the writer: once a minute is plenty.
  if (row.lastUsedAt === null || now - row.lastUsedAt > 60_000) {
    db.update(apiKeys).set({ lastUsedAt: now }).where(eq(apiKeys.id, row.id)).run();
  }
  return { teamId: row.teamId, apiKeyId: row.id, scopes: row.scopes };
}

/**
 * First start: a default organization and team, and their first API key: the operator's
 * LEAPOCR_BOOTSTRAP_API_KEY when set, otherwise a generated one that is returned to be printed once.
 */
export function bootstrapTenancy(db: Db, bootstrapKey: string, now = Date.now()): { teamId: string; printedKey: string | null } {
  const existing = db.select({ id: teams.id }).from(teams).limit(1).get();
  if (existing) {
    if (bootstrapKey && !db.select({ id: apiKeys.id }).from(apiKeys).where(eq(apiKeys.hash, sha256Hex(bootstrapKey))).get()) {
      createApiKey(db, existing.id, "bootstrap", bootstrapKey, now);
    }
    return { teamId: existing.id, printedKey: null };
  }
  return db.transaction((tx) => {
    const orgId = newId("org");
    const teamId = newId("team");
    tx.insert(organizations).values({ id: orgId, name: "Default organization", createdAt: now }).run();
    tx.insert(teams).values({ id: teamId, organizationId: orgId, name: "Default team", createdAt: now }).run();
    const key = createApiKey(tx as unknown as Db, teamId, bootstrapKey ? "bootstrap" : "first key", bootstrapKey || undefined, now);
    return { teamId, printedKey: bootstrapKey ? null : key.secret };
  });
}
