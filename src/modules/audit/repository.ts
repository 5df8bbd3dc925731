/** The audit_log rows, on either engine (see src/db/database.ts): writing, the filtered log, names, purge. */
import { and, count, desc, eq, gte, inArray, isNull, lt, lte, or, sql, type SQL } from "drizzle-orm";
import type { Database } from "../../db/database";
import { auditRow, type AuditEntry } from "./entry";

export interface AuditFilter {
  action?: string;
  actor?: string;
  actorType?: "user" | "api_key" | "system";
  target?: string;
  from?: number;
  to?: number;
  limit: number;
  /** The last record of the previous page: [createdAt, id]. */
  after?: [number, string];
}

export interface AuditRecord {
  id: string;
  teamId: string | null;
  actorType: string;
  actorId: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  ip: string | null;
  userAgent: string | null;
  metadataJson: string | null;
  createdAt: number;
}

/** What a person reads instead of an id: a user's name and email, a key's, template's or team's name. */
export interface Named {
  name: string;
  email?: string;
}

export type Mention = Pick<AuditRecord, "actorType" | "actorId" | "targetType" | "targetId">;

export interface AuditRepository {
  /** Writes one record (inside the caller's transaction when given the transaction's handle). */
  record(entry: AuditEntry, now: number): Promise<void>;
  /** A team's records matching the filter, newest first: `limit + 1` rows at most, and how many match in all. */
  list(teamId: string, f: AuditFilter): Promise<{ rows: AuditRecord[]; total: number }>;
  /** Names of the users, keys, templates and teams the records mention, keyed by `type:id`. */
  namesOf(teamId: string, rows: Mention[]): Promise<Map<string, Named>>;
  /** Deletes records older than the cutoff, in batches; answers how many went. */
  purgeBefore(cutoff: number, batch?: number): Promise<number>;
}

export function auditRepository(db: Database): AuditRepository {
  const { auditLog, memberships, users, apiKeys, templates, teams } = db.t;

  /**
   * What a team's audit log shows: its own records, and the security events of its members that
   * belong to no team (logins, failed logins, logouts, session revocations) from the time they
   * joined this team on. A user's earlier history, made while they belonged elsewhere, is not the
   * team's to read (issue 15, finding 9): whoever adds a user must not learn their past logins.
   */
  const teamScope = (teamId: string): SQL => {
    const memberSince = sql`(select ${memberships.createdAt} from ${memberships} where ${memberships.teamId} = ${teamId} and ${memberships.userId} = ${auditLog.targetId})`;
    return or(eq(auditLog.teamId, teamId), and(isNull(auditLog.teamId), eq(auditLog.targetType, "user"), sql`${auditLog.createdAt} >= ${memberSince}`))!;
  };

  return {
    async record(entry, now) {
      await db.run((q) => q.insert(auditLog).values(auditRow(entry, now)));
    },

    async list(teamId, f) {
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
      let page = filtered;
      if (f.after) {
        const [t, id] = f.after;
        page = and(filtered, or(lt(auditLog.createdAt, t), and(eq(auditLog.createdAt, t), lt(auditLog.id, id))));
      }
      return db.run(async (q) => {
        const [counted] = await q.select({ n: count() }).from(auditLog).where(filtered);
        const rows = await q.select().from(auditLog).where(page).orderBy(desc(auditLog.createdAt), desc(auditLog.id)).limit(f.limit + 1);
        return { rows, total: counted?.n ?? 0 };
      });
    },

    /**
     * Keys, templates and teams are looked up in this team only; users anywhere, since a record
     * of this team names only people who acted in it or were acted upon. An erased user's
     * pseudonym, a deleted template or key found nowhere simply has no name.
     */
    async namesOf(teamId, rows) {
      const ids = (type: string) => [...new Set(rows.flatMap((r) => [r.actorType === type ? r.actorId : null, r.targetType === type ? r.targetId : null]).filter((x): x is string => !!x))];
      const out = new Map<string, Named>();
      const userIds = ids("user");
      const keyIds = ids("api_key");
      const templateIds = ids("template");
      const namesTeam = ids("team").includes(teamId);
      await db.run(async (q) => {
        if (userIds.length) for (const u of await q.select({ id: users.id, name: users.name, email: users.email }).from(users).where(inArray(users.id, userIds))) out.set(`user:${u.id}`, { name: u.name || u.email, email: u.email });
        if (keyIds.length) for (const k of await q.select({ id: apiKeys.id, name: apiKeys.name }).from(apiKeys).where(and(eq(apiKeys.teamId, teamId), inArray(apiKeys.id, keyIds)))) out.set(`api_key:${k.id}`, { name: k.name });
        if (templateIds.length) for (const t of await q.select({ id: templates.id, name: templates.name }).from(templates).where(and(eq(templates.teamId, teamId), inArray(templates.id, templateIds)))) out.set(`template:${t.id}`, { name: t.name });
        if (namesTeam) {
          const [t] = await q.select({ name: teams.name }).from(teams).where(eq(teams.id, teamId));
          if (t) out.set(`team:${teamId}`, { name: t.name });
        }
      });
      return out;
    },

    async purgeBefore(cutoff, batch = 5000) {
      let removed = 0;
      // In batches, each its own statement, so the writer is never held for long.
      for (;;) {
        const gone = await db.run((q) =>
          q
            .delete(auditLog)
            .where(inArray(auditLog.id, q.select({ id: auditLog.id }).from(auditLog).where(lt(auditLog.createdAt, cutoff)).limit(batch)))
            .returning({ id: auditLog.id }),
        );
        removed += gone.length;
        if (gone.length < batch) return removed;
      }
    },
  };
}
