/** The credit ledger (credit_transactions) and team credit limits (team_credits), on either engine (see src/db/database.ts). */
import { and, between, count, desc, eq, gte, inArray, lte, or, sql, type SQL } from "drizzle-orm";
import { containsText, jsonField, type Database, type Tables } from "../../db/database";
import { afterCursor, type Cursor } from "../jobs/paging";

export type CreditTransaction = Tables["creditTransactions"]["$inferSelect"];
export type NewCreditTransaction = Tables["creditTransactions"]["$inferInsert"];

export interface Ledger {
  granted: number;
  consumed: number;
  refunded: number;
  adjusted: number;
  balance: number;
}

export interface TransactionFilter {
  from?: number;
  to?: number;
  /** The model of the job a transaction belongs to. */
  model?: string;
  /** A job id, or part of the job's file name. */
  search?: string;
  after: Cursor | null;
  limit: number;
}

export interface LedgerLine {
  t: CreditTransaction;
  /** The team's balance right after this transaction. */
  balanceAfter: number;
  organizationId: string;
}

export interface CreditsRepository {
  /** Sums of the teams' ledgers, all time or in a range of creation times. */
  ledger(teamIds: string[], range?: { from: number; to: number }): Promise<Ledger>;
  /** The team's credit limit; null: unlimited (no row, or a null limit). */
  limit(teamId: string): Promise<number | null>;
  setLimit(teamId: string, limit: number | null, now: number): Promise<void>;
  teamExists(teamId: string): Promise<boolean>;
  /** Up to `n` team ids (the CLI's "the only team"). */
  someTeams(n: number): Promise<string[]>;
  byIdempotencyKey(teamId: string, key: string): Promise<CreditTransaction | undefined>;
  add(row: NewCreditTransaction): Promise<CreditTransaction>;
  /** The teams' transactions matching the filter, newest first: `limit + 1` at most, and how many match in all. */
  list(teamIds: string[], f: TransactionFilter): Promise<{ rows: LedgerLine[]; total: number }>;
}

export function creditsRepository(db: Database): CreditsRepository {
  const { creditTransactions: ct, teamCredits, teams, jobs } = db.t;
  const sum = (expr: SQL) => sql<number>`coalesce(${expr}, 0)`.mapWith(Number);
  return {
    async ledger(teamIds, range) {
      if (teamIds.length === 0) return { granted: 0, consumed: 0, refunded: 0, adjusted: 0, balance: 0 };
      const [r] = await db.run((q) =>
        q
          .select({
            granted: sum(sql`sum(CASE WHEN ${ct.kind} = 'grant' THEN ${ct.amount} END)`),
            consumed: sum(sql`-sum(CASE WHEN ${ct.kind} = 'charge' THEN ${ct.amount} END)`),
            refunded: sum(sql`sum(CASE WHEN ${ct.kind} = 'refund' THEN ${ct.amount} END)`),
            adjusted: sum(sql`sum(CASE WHEN ${ct.kind} NOT IN ('grant', 'charge', 'refund') THEN ${ct.amount} END)`),
            balance: sum(sql`sum(${ct.amount})`),
          })
          .from(ct)
          .where(and(inArray(ct.teamId, teamIds), range ? between(ct.createdAt, range.from, range.to) : undefined)),
      );
      return r!;
    },

    async limit(teamId) {
      // On every upload (most teams have no limit and stop here): prepared once.
      const rows = await db.prepared(
        "credits.limitByTeam",
        (q) => q.select({ limit: teamCredits.creditLimit }).from(teamCredits).where(eq(teamCredits.teamId, sql.placeholder("teamId"))).prepare("credits_limit_by_team"),
        { teamId },
      );
      return rows[0]?.limit ?? null;
    },

    async setLimit(teamId, limit, now) {
      await db.run((q) =>
        q
          .insert(teamCredits)
          .values({ teamId, creditLimit: limit, createdAt: now, updatedAt: now })
          .onConflictDoUpdate({ target: teamCredits.teamId, set: { creditLimit: limit, updatedAt: now } }),
      );
    },

    async teamExists(teamId) {
      return (await db.run((q) => q.select({ id: teams.id }).from(teams).where(eq(teams.id, teamId)))).length > 0;
    },

    async someTeams(n) {
      return (await db.run((q) => q.select({ id: teams.id }).from(teams).limit(n))).map((t) => t.id);
    },

    async byIdempotencyKey(teamId, key) {
      const [row] = await db.run((q) => q.select().from(ct).where(and(eq(ct.teamId, teamId), eq(ct.idempotencyKey, key))));
      return row;
    },

    async add(row) {
      const [added] = await db.run((q) => q.insert(ct).values(row).returning());
      return added!;
    },

    async list(teamIds, f) {
      // Refunds and detached charges name their job in the metadata.
      const jobOf = sql<string | null>`coalesce(${ct.jobId}, ${jsonField(db, ct.metadataJson, "job_id")})`;
      const where = and(
        inArray(ct.teamId, teamIds),
        f.from !== undefined ? gte(ct.createdAt, f.from) : undefined,
        f.to !== undefined ? lte(ct.createdAt, f.to) : undefined,
        f.model ? eq(jobs.model, f.model) : undefined,
        f.search ? or(eq(jobOf, f.search), containsText(db, jobs.fileName, f.search)) : undefined,
      );
      const joinOn = eq(jobs.id, jobOf);
      const balanceAfter = sql<number>`(SELECT sum(b.amount) FROM credit_transactions b WHERE b.team_id = ${ct.teamId}
        AND (b.created_at < ${ct.createdAt} OR (b.created_at = ${ct.createdAt} AND b.id <= ${ct.id})))`.mapWith(Number);
      return db.run(async (q) => {
        const [counted] = await q.select({ n: count() }).from(ct).leftJoin(jobs, joinOn).where(where);
        const rows = await q
          .select({ t: ct, balanceAfter, organizationId: teams.organizationId })
          .from(ct)
          .leftJoin(jobs, joinOn)
          .innerJoin(teams, eq(teams.id, ct.teamId))
          .where(and(where, afterCursor(f.after, ct.createdAt, ct.id)))
          .orderBy(desc(ct.createdAt), desc(ct.id))
          .limit(f.limit + 1);
        return { rows, total: counted?.n ?? 0 };
      });
    },
  };
}
