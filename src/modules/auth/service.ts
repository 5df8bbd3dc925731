/**
 * Tenancy and API keys. The secret of a key is shown once; only its SHA-256 and a short visible
 * prefix are stored. Organizations contain teams; every key belongs to one team.
 */
import { and, asc, desc, eq, isNull, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { prepared } from "../../db/prepared";
import { apiKeys, memberships, organizations, teams, users } from "../../db/schema";
import { randomToken, sha256Hex } from "../../lib/crypto";
import { newId } from "../../lib/ids";
import { recordAudit, type Actor } from "../audit/service";
import { keyCacheOf } from "./key-cache";
import { isRole, type Role } from "./permissions";

export interface ApiKeyAuth {
  teamId: string;
  apiKeyId: string;
  scopes: string;
  /**
   * The role its creator holds in the key's team now: the key acts with at most these powers.
   * null for keys no user made (the bootstrap key, `leapocr keys create`): the operator's.
   */
  creatorRole: Role | null;
}

const KEY_PREFIX = "lo_";
const VISIBLE_PREFIX_LENGTH = 10;

/** Anything that can write: the database or a transaction of it. */
export type Tx = Pick<Db, "insert" | "update" | "select" | "delete">;

export function generateApiKeySecret(): string {
  return `${KEY_PREFIX}${randomToken(24)}`;
}

export interface ApiKeyOptions {
  scopes?: string;
  expiresAt?: number | null;
  createdByUserId?: string | null;
}

export function createApiKey(db: Tx, teamId: string, name: string, secret = generateApiKeySecret(), now = Date.now(), opts: ApiKeyOptions = {}): { id: string; secret: string; prefix: string } {
  const id = newId("key");
  const prefix = secret.slice(0, VISIBLE_PREFIX_LENGTH);
  db.insert(apiKeys)
    .values({
      id, teamId, name, prefix, hash: sha256Hex(secret), createdAt: now,
      scopes: opts.scopes ?? "*", expiresAt: opts.expiresAt ?? null, createdByUserId: opts.createdByUserId ?? null,
    })
    .run();
  return { id, secret, prefix };
}

/**
 * Resolves the X-API-KEY header to its team; null for unknown, revoked or expired keys, and for
 * keys whose creator is no longer a member of the key's team or has been disabled (issue 15,
 * finding 2): a key never outlives its creator's membership. Checked on every request, so a
 * demotion narrows the key at once; the row may come from the key cache (./key-cache.ts), which
 * is dropped by any write on this connection.
 */
export function authenticateApiKey(db: Db, secret: string, now = Date.now()): ApiKeyAuth | null {
  const cache = keyCacheOf(db);
  let row = cache.get(secret, now);
  const fresh = row === null;
  if (!row) {
    const query = prepared(db, "auth.apiKeyByHash", (d) =>
      d
        .select({
          id: apiKeys.id, teamId: apiKeys.teamId, expiresAt: apiKeys.expiresAt, lastUsedAt: apiKeys.lastUsedAt, scopes: apiKeys.scopes,
          createdBy: apiKeys.createdByUserId, creatorRole: memberships.role, creatorDisabledAt: users.disabledAt,
        })
        .from(apiKeys)
        .leftJoin(memberships, and(eq(memberships.teamId, apiKeys.teamId), eq(memberships.userId, apiKeys.createdByUserId)))
        .leftJoin(users, eq(users.id, apiKeys.createdByUserId))
        .where(and(eq(apiKeys.hash, sql.placeholder("hash")), isNull(apiKeys.revokedAt)))
        .prepare(),
    );
    row = query.get({ hash: sha256Hex(secret) }) ?? null;
    if (!row) return null;
  }
  const auth = keyAuthOf(row, now);
  if (!auth) return null;
  // Writing on every request would serialise reads behind the writer: once a minute is plenty.
  if (row.lastUsedAt === null || now - row.lastUsedAt > 60_000) {
    db.update(apiKeys).set({ lastUsedAt: now }).where(eq(apiKeys.id, row.id)).run();
    row = { ...row, lastUsedAt: now };
  }
  // Kept after that write, which would otherwise drop it at once; a cached row is not kept longer.
  if (fresh) cache.put(secret, row, now);
  return auth;
}

type KeyRowWithCreator = { id: string; teamId: string; expiresAt: number | null; scopes: string; createdBy: string | null; creatorRole: string | null; creatorDisabledAt: number | null };

function keyAuthOf(row: KeyRowWithCreator, now: number): ApiKeyAuth | null {
  if (row.expiresAt !== null && row.expiresAt <= now) return null;
  let creatorRole: Role | null = null;
  if (row.createdBy !== null) {
    if (row.creatorRole === null || !isRole(row.creatorRole) || row.creatorDisabledAt !== null) return null;
    creatorRole = row.creatorRole;
  }
  return { teamId: row.teamId, apiKeyId: row.id, scopes: row.scopes, creatorRole };
}

/** The key's powers now, by id (for long-lived responses that re-check the key that opened them); null once it may no longer be used. */
export function apiKeyAuthById(db: Db, keyId: string, now: number): ApiKeyAuth | null {
  const row = db
    .select({
      id: apiKeys.id, teamId: apiKeys.teamId, expiresAt: apiKeys.expiresAt, scopes: apiKeys.scopes,
      createdBy: apiKeys.createdByUserId, creatorRole: memberships.role, creatorDisabledAt: users.disabledAt,
    })
    .from(apiKeys)
    .leftJoin(memberships, and(eq(memberships.teamId, apiKeys.teamId), eq(memberships.userId, apiKeys.createdByUserId)))
    .leftJoin(users, eq(users.id, apiKeys.createdByUserId))
    .where(and(eq(apiKeys.id, keyId), isNull(apiKeys.revokedAt)))
    .get();
  return row ? keyAuthOf(row, now) : null;
}

/** Revokes every live key a user made in a team, each with its audit record; the caller owns the transaction. */
export function revokeKeysOfCreator(tx: Tx, teamId: string, userId: string, actor: Actor, reason: string, now: number): number {
  const rows = tx.select().from(apiKeys).where(and(eq(apiKeys.teamId, teamId), eq(apiKeys.createdByUserId, userId), isNull(apiKeys.revokedAt))).all();
  for (const row of rows) {
    tx.update(apiKeys).set({ revokedAt: now }).where(eq(apiKeys.id, row.id)).run();
    recordAudit(tx, { teamId, actor, action: "api_key.revoked", targetType: "api_key", targetId: row.id, metadata: { name: row.name, prefix: row.prefix, reason } }, now);
  }
  return rows.length;
}

export type ApiKeyRow = typeof apiKeys.$inferSelect;

export function listApiKeys(db: Db, teamId: string): ApiKeyRow[] {
  return db.select().from(apiKeys).where(eq(apiKeys.teamId, teamId)).orderBy(desc(apiKeys.createdAt), asc(apiKeys.id)).all();
}

export function getApiKey(db: Db, teamId: string, keyId: string): ApiKeyRow | undefined {
  return db.select().from(apiKeys).where(and(eq(apiKeys.id, keyId), eq(apiKeys.teamId, teamId))).get();
}

/** Creates a key and its audit record together. */
export function createApiKeyAudited(db: Db, teamId: string, name: string, opts: ApiKeyOptions, actor: Actor, now: number) {
  return db.transaction((tx) => {
    const key = createApiKey(tx, teamId, name, undefined, now, opts);
    recordAudit(tx, { teamId, actor, action: "api_key.created", targetType: "api_key", targetId: key.id, metadata: { name, prefix: key.prefix, scopes: opts.scopes ?? "*", expires_at: opts.expiresAt ?? null } }, now);
    return key;
  });
}

/** Revokes at once: the next request with the key is refused. Answers the row, or undefined if not in the team. */
export function revokeApiKey(db: Db, teamId: string, keyId: string, actor: Actor, now: number): ApiKeyRow | undefined {
  return db.transaction((tx) => {
    const row = tx.select().from(apiKeys).where(and(eq(apiKeys.id, keyId), eq(apiKeys.teamId, teamId))).get();
    if (!row) return undefined;
    if (row.revokedAt !== null) return row;
    tx.update(apiKeys).set({ revokedAt: now }).where(eq(apiKeys.id, keyId)).run();
    recordAudit(tx, { teamId, actor, action: "api_key.revoked", targetType: "api_key", targetId: keyId, metadata: { name: row.name, prefix: row.prefix } }, now);
    return { ...row, revokedAt: now };
  });
}

export function createOrganization(db: Tx, name: string, now = Date.now()): { id: string } {
  const id = newId("org");
  db.insert(organizations).values({ id, name, createdAt: now }).run();
  return { id };
}

export function createTeam(db: Tx, organizationId: string, name: string, now = Date.now()): { id: string; organizationId: string } {
  const id = newId("team");
  db.insert(teams).values({ id, organizationId, name, createdAt: now }).run();
  return { id, organizationId };
}

export function getTeam(db: Db, teamId: string) {
  return db.select().from(teams).where(eq(teams.id, teamId)).get();
}

/** The first team made: the default team of a fresh install. */
export function defaultTeam(db: Db) {
  return db.select().from(teams).orderBy(asc(teams.createdAt), asc(teams.id)).limit(1).get();
}

/**
 * First start: a default organization and team, and their first API key: the operator's
 * LEAPOCR_BOOTSTRAP_API_KEY when set, otherwise a generated one that is returned to be printed once.
 */
export function bootstrapTenancy(db: Db, bootstrapKey: string, now = Date.now()): { teamId: string; printedKey: string | null } {
  const existing = defaultTeam(db);
  if (existing) {
    if (bootstrapKey && !db.select({ id: apiKeys.id }).from(apiKeys).where(eq(apiKeys.hash, sha256Hex(bootstrapKey))).get()) {
      createApiKey(db, existing.id, "bootstrap", bootstrapKey, now);
    }
    return { teamId: existing.id, printedKey: null };
  }
  return db.transaction((tx) => {
    const org = createOrganization(tx, "Default organization", now);
    const team = createTeam(tx, org.id, "Default team", now);
    const key = createApiKey(tx, team.id, bootstrapKey ? "bootstrap" : "first key", bootstrapKey || undefined, now);
    recordAudit(tx, { teamId: team.id, actor: { type: "system", id: "bootstrap" }, action: "api_key.created", targetType: "api_key", targetId: key.id, metadata: { name: bootstrapKey ? "bootstrap" : "first key", prefix: key.prefix, scopes: "*", expires_at: null } }, now);
    return { teamId: team.id, printedKey: bootstrapKey ? null : key.secret };
  });
}
