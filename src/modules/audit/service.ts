/**
 * The audit writer: every mutation and security event is recorded here, inside the caller's
 * transaction when there is one, so the record and the change land together or not at all.
 * Never pass document content in metadata. And the reader behind the audit log route.
 */
import { and, desc, eq, gte, inArray, isNull, lt, lte, or, sql, type SQL } from "drizzle-orm";
import type { Db } from "../../db/client";
import { apiKeys, auditLog, memberships, teams, templates, users } from "../../db/schema";
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

/** What a person reads instead of an id: a user's name and email, a key's, template's or team's name. */
export interface Named {
  name: string;
  email?: string;
}

/**
 * Names for the users, API keys, templates and teams a page of records mentions, keyed by
 * `type:id`, so the log reads "Olivia Owner" instead of usr_3f9a… (issue 18, point 6). Keys,
 * templates and teams are looked up in this team only; users anywhere, since a record of this
 * team names only people who acted in it or were acted upon. An erased user's pseudonym, a
 * deleted template or key found nowhere simply has no name.
 */
export function namesOf(db: Db, teamId: string, rows: Pick<AuditRow, "actorType" | "actorId" | "targetType" | "targetId">[]): Map<string, Named> {
  const ids = (type: string) => [...new Set(rows.flatMap((r) => [r.actorType === type ? r.actorId : null, r.targetType === type ? r.targetId : null]).filter((x): x is string => !!x))];
  const out = new Map<string, Named>();
  const userIds = ids("user");
  if (userIds.length) for (const u of db.select({ id: users.id, name: users.name, email: users.email }).from(users).where(inArray(users.id, userIds)).all()) out.set(`user:${u.id}`, { name: u.name || u.email, email: u.email });
  const keyIds = ids("api_key");
  if (keyIds.length) for (const k of db.select({ id: apiKeys.id, name: apiKeys.name }).from(apiKeys).where(and(eq(apiKeys.teamId, teamId), inArray(apiKeys.id, keyIds))).all()) out.set(`api_key:${k.id}`, { name: k.name });
  const templateIds = ids("template");
  if (templateIds.length) for (const t of db.select({ id: templates.id, name: templates.name }).from(templates).where(and(eq(templates.teamId, teamId), inArray(templates.id, templateIds))).all()) out.set(`template:${t.id}`, { name: t.name });
  if (ids("team").includes(teamId)) {
    const t = db.select({ name: teams.name }).from(teams).where(eq(teams.id, teamId)).get();
    if (t) out.set(`team:${teamId}`, { name: t.name });
  }
  return out;
}
