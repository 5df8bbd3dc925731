/**
 * The audit writer: every mutation and security event is recorded here, inside the caller's
 * transaction when there is one, so the record and the change land together or not at all.
 * Never pass document content in metadata. And the reader behind the audit log route.
 */
import { and, desc, eq, gte, isNull, lt, lte, or, sql, type SQL } from "drizzle-orm";
import type { Db } from "../../db/client";
import { auditLog, memberships } from "../../db/schema";
import { badRequest } from "../../lib/errors";
import { newId } from "../../lib/ids";
import type { AuditActor } from "../../ports/job-store";

/** Who did it (the job store writes the audit rows of job changes with the same shape). */
export type Actor = AuditActor;

export const SYSTEM_ACTOR: Actor = { type: "system", id: "retention" };

export interface AuditEntry {
  teamId: string | null;
  actor: Actor;
  action: string;
  targetType?: string;
  targetId?: string;
  metadata?: Record<string, string | number | boolean | null>;
}

type Writer = Pick<Db, "insert">;

export function recordAudit(db: Writer, entry: AuditEntry, now: number): void {
  db.insert(auditLog)
    .values({
      id: newId("aud"),
      teamId: entry.teamId,
      actorType: entry.actor.type,
      actorId: entry.actor.id ?? null,
      action: entry.action,
      targetType: entry.targetType ?? null,
      targetId: entry.targetId ?? null,
      ip: entry.actor.ip ?? null,
      userAgent: entry.actor.userAgent ?? null,
      metadataJson: entry.metadata ? JSON.stringify(entry.metadata) : null,
      createdAt: now,
    })
    .run();
}

export interface AuditFilter {
  action?: string;
  actor?: string;
  actorType?: "user" | "api_key" | "system";
  target?: string;
  from?: number;
  to?: number;
  limit: number;
  cursor?: string;
}

type AuditRow = typeof auditLog.$inferSelect;

const encodeCursor = (row: Pick<AuditRow, "createdAt" | "id">) => Buffer.from(JSON.stringify([row.createdAt, row.id])).toString("base64url");

function decodeCursor(cursor: string): [number, string] {
  try {
    const value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown;
    if (Array.isArray(value) && typeof value[0] === "number" && typeof value[1] === "string") return [value[0], value[1]];
  } catch {}
  throw badRequest("The cursor is not valid; pass next_cursor from the previous page.");
}

/**
 * What a team's audit log shows: its own records, and the security events of its members that
 * belong to no team (logins, failed logins, logouts, session revocations) from the time they
 * joined this team on. A user's earlier history, made while they belonged elsewhere, is not the
 * team's to read (issue 15, finding 9): whoever adds a user must not learn their past logins.
 */
function teamScope(teamId: string): SQL {
  const memberSince = sql`(select ${memberships.createdAt} from ${memberships} where ${memberships.teamId} = ${teamId} and ${memberships.userId} = ${auditLog.targetId})`;
  return or(eq(auditLog.teamId, teamId), and(isNull(auditLog.teamId), eq(auditLog.targetType, "user"), sql`${auditLog.createdAt} >= ${memberSince}`))!;
}

export function listAudit(db: Db, teamId: string, f: AuditFilter) {
  const conds: SQL[] = [teamScope(teamId)];
  if (f.action) {
    const prefix = f.action.slice(0, -1).replace(/[%_\\]/g, "\\$&");
    conds.push(f.action.endsWith("*") ? sql`${auditLog.action} like ${`${prefix}%`} escape '\\'` : eq(auditLog.action, f.action));
  }
  if (f.actor) conds.push(eq(auditLog.actorId, f.actor));
  if (f.actorType) conds.push(eq(auditLog.actorType, f.actorType));
  if (f.target) conds.push(eq(auditLog.targetId, f.target));
  if (f.from !== undefined) conds.push(gte(auditLog.createdAt, f.from));
  if (f.to !== undefined) conds.push(lte(auditLog.createdAt, f.to));
  const filtered = and(...conds);
  const total = db.select({ n: sql<number>`count(*)` }).from(auditLog).where(filtered).get()?.n ?? 0;
  let page = filtered;
  if (f.cursor) {
    const [t, id] = decodeCursor(f.cursor);
    page = and(filtered, or(lt(auditLog.createdAt, t), and(eq(auditLog.createdAt, t), lt(auditLog.id, id))));
  }
  const rows = db.select().from(auditLog).where(page).orderBy(desc(auditLog.createdAt), desc(auditLog.id)).limit(f.limit + 1).all();
  const hasMore = rows.length > f.limit;
  const data = rows.slice(0, f.limit);
  return { rows: data, hasMore, nextCursor: hasMore ? encodeCursor(data[data.length - 1]!) : null, total };
}

/** Deletes records older than the cutoff, in batches so the writer is never held for long. Answers how many went. */
export function purgeAuditBefore(db: Db, cutoff: number, batch = 5000): number {
  let removed = 0;
  for (;;) {
    const res = db.$client.query("DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE created_at < ? LIMIT ?)").run(cutoff, batch);
    removed += res.changes;
    if (res.changes < batch) return removed;
  }
}
