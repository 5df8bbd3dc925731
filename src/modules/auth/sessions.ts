/**
 * Dashboard sessions. The token goes to the browser in an HttpOnly cookie and to API clients as
 * a Bearer token; only its SHA-256 is stored. A session ends after an idle period, at an absolute
 * lifetime, or when revoked (logout, by the user from another session), whichever comes first.
 */
import { and, desc, eq, gt, isNull } from "drizzle-orm";
import type { Config } from "../../config";
import type { Db } from "../../db/client";
import { sessions, users } from "../../db/schema";
import { randomToken, sha256Hex } from "../../lib/crypto";
import { newId } from "../../lib/ids";
import { recordAudit, type Actor } from "../audit/service";

export const SESSION_COOKIE = "leapocr_session";
const TOKEN_PREFIX = "los_";

export type SessionRow = typeof sessions.$inferSelect;

export interface SessionAuth {
  sessionId: string;
  userId: string;
  csrfToken: string;
  expiresAt: number;
}

type SessionTimes = Pick<Config, "sessionIdleMinutes" | "sessionMaxHours">;

/** When the session ends if nothing else happens: idle timeout from the last request, capped by the absolute lifetime. */
export function sessionEndsAt(row: Pick<SessionRow, "lastSeenAt" | "expiresAt">, config: SessionTimes): number {
  return Math.min(row.lastSeenAt + config.sessionIdleMinutes * 60_000, row.expiresAt);
}

export function createSession(db: Db, userId: string, actor: Actor, config: SessionTimes, now: number): { token: string; csrfToken: string; row: SessionRow } {
  const token = `${TOKEN_PREFIX}${randomToken(32)}`;
  const row: SessionRow = {
    id: newId("ses"), userId, tokenHash: sha256Hex(token), csrfToken: randomToken(24), createdAt: now, lastSeenAt: now,
    expiresAt: now + config.sessionMaxHours * 3_600_000, revokedAt: null, ip: actor.ip ?? null, userAgent: actor.userAgent?.slice(0, 512) ?? null,
  };
  db.transaction((tx) => {
    tx.insert(sessions).values(row).run();
    recordAudit(tx, { teamId: null, actor, action: "auth.login", targetType: "user", targetId: userId, metadata: { session_id: row.id } }, now);
  });
  return { token, csrfToken: row.csrfToken, row };
}

/** Resolves a session token; null when unknown, revoked, idle too long, past its lifetime, or its user is disabled. */
export function authenticateSession(db: Db, token: string, config: SessionTimes, now: number): SessionAuth | null {
  const row = db
    .select({ s: sessions, disabledAt: users.disabledAt })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(and(eq(sessions.tokenHash, sha256Hex(token)), isNull(sessions.revokedAt)))
    .get();
  if (!row || row.disabledAt !== null) return null;
  const s = row.s;
  if (sessionEndsAt(s, config) <= now) return null;
  // Sliding idle window; written at most every 30 s so reads do not queue behind the writer.
  if (now - s.lastSeenAt > 30_000) db.update(sessions).set({ lastSeenAt: now }).where(eq(sessions.id, s.id)).run();
  return { sessionId: s.id, userId: s.userId, csrfToken: s.csrfToken, expiresAt: sessionEndsAt({ lastSeenAt: now, expiresAt: s.expiresAt }, config) };
}

/**
 * Whether a session can still be used, without counting this as activity: for long-lived
 * responses (the live event stream) that must end with the session but not keep it alive.
 */
export function sessionStillValid(db: Db, sessionId: string, config: SessionTimes, now: number): boolean {
  const row = db
    .select({ lastSeenAt: sessions.lastSeenAt, expiresAt: sessions.expiresAt, revokedAt: sessions.revokedAt, disabledAt: users.disabledAt })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(eq(sessions.id, sessionId))
    .get();
  return !!row && row.revokedAt === null && row.disabledAt === null && sessionEndsAt(row, config) > now;
}

/** Revokes one of the user's sessions; false when it is not theirs (or does not exist). */
export function revokeSession(db: Db, userId: string, sessionId: string, actor: Actor, now: number, action = "auth.session_revoked"): boolean {
  return db.transaction((tx) => {
    const row = tx.select({ id: sessions.id, revokedAt: sessions.revokedAt }).from(sessions).where(and(eq(sessions.id, sessionId), eq(sessions.userId, userId))).get();
    if (!row) return false;
    if (row.revokedAt === null) {
      tx.update(sessions).set({ revokedAt: now }).where(eq(sessions.id, sessionId)).run();
      recordAudit(tx, { teamId: null, actor, action, targetType: "user", targetId: userId, metadata: { session_id: sessionId } }, now);
    }
    return true;
  });
}

/** The user's sessions that could still be used. */
export function listSessions(db: Db, userId: string, config: SessionTimes, now: number) {
  return db
    .select()
    .from(sessions)
    .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt), gt(sessions.expiresAt, now)))
    .orderBy(desc(sessions.lastSeenAt))
    .all()
    .filter((s) => sessionEndsAt(s, config) > now);
}
