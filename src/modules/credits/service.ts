/**
 * The credit ledger. Every change is a row of credit_transactions: charges (written by the
 * queue when a job ends, negative), grants (positive), refunds (a retried job's earlier charge)
 * and adjustments. The balance is their sum. A team has no limit by default (self-hosted:
 * unlimited). With a limit L, the team may spend while L + balance > 0, so L = 0 means
 * "prepaid: grants only" and L = 1000 means "1000 credits on account plus whatever is granted".
 *
 * The rule at upload: a direct upload does not know its page count yet, so the check is only
 * that something is left (L + balance > 0); a job in flight may take the balance below that by
 * its own pages, and the next upload is then refused with 402 LESS_CREDITS.
 */
import { and, count, desc, eq, inArray, or, sql, type SQL } from "drizzle-orm";
import type { AppContext } from "../../context";
import { prepared } from "../../db/prepared";
import type { Db } from "../../db/client";
import { creditTransactions, jobs, teamCredits, teams } from "../../db/schema";
import { ApiError, badRequest, notFound } from "../../lib/errors";
import { newId } from "../../lib/ids";
import { recordAudit, type Actor } from "../audit/service";
import { afterCursor, decodeCursor, iso, pageOf } from "../jobs/paging";
import type { GrantRequest, TransactionsQuery } from "./model";

type Reader = Pick<Db, "select">;

const TYPE_OF: Record<string, "credit" | "consumed" | "refunded" | "adjustment" | "expiration"> = {
  grant: "credit",
  charge: "consumed",
  refund: "refunded",
  adjustment: "adjustment",
  expiration: "expiration",
};

export interface Ledger {
  granted: number;
  consumed: number;
  refunded: number;
  adjusted: number;
  balance: number;
}

export function ledgerOf(db: Reader, teamIds: string[], range?: { from: number; to: number }): Ledger {
  if (teamIds.length === 0) return { granted: 0, consumed: 0, refunded: 0, adjusted: 0, balance: 0 };
  const ct = creditTransactions;
  const r = db
    .select({
      granted: sql<number>`coalesce(sum(CASE WHEN ${ct.kind} = 'grant' THEN ${ct.amount} END), 0)`,
      consumed: sql<number>`coalesce(-sum(CASE WHEN ${ct.kind} = 'charge' THEN ${ct.amount} END), 0)`,
      refunded: sql<number>`coalesce(sum(CASE WHEN ${ct.kind} = 'refund' THEN ${ct.amount} END), 0)`,
      adjusted: sql<number>`coalesce(sum(CASE WHEN ${ct.kind} NOT IN ('grant', 'charge', 'refund') THEN ${ct.amount} END), 0)`,
      balance: sql<number>`coalesce(sum(${ct.amount}), 0)`,
    })
    .from(ct)
    .where(and(inArray(ct.teamId, teamIds), range ? sql`${ct.createdAt} BETWEEN ${range.from} AND ${range.to}` : undefined))
    .get()!;
  return r;
}

export function creditLimit(db: Reader, teamId: string): number | null {
  return db.select({ limit: teamCredits.creditLimit }).from(teamCredits).where(eq(teamCredits.teamId, teamId)).get()?.limit ?? null;
}

function balanceFields(ledger: Ledger, limit: number | null) {
  return {
    credits_granted: ledger.granted,
    credits_consumed: ledger.consumed,
    balance: ledger.balance,
    credits_remaining: limit === null ? ledger.balance : limit + ledger.balance,
    credit_limit: limit,
    unlimited: limit === null,
  };
}

export function teamBalance(ctx: AppContext, teamId: string) {
  return { team_id: teamId, ...balanceFields(ledgerOf(ctx.db, [teamId]), creditLimit(ctx.db, teamId)) };
}

/** Organization view: the sum over the teams the caller may see in it; the limit shown is the caller's team's. */
export function orgBalance(ctx: AppContext, organizationId: string, teamId: string, teamIds: string[]) {
  return {
    team_id: teamId,
    organization_id: organizationId,
    ...balanceFields(ledgerOf(ctx.db, teamIds), creditLimit(ctx.db, teamId)),
    plan_name: "self-hosted",
    trial_active: false,
    trial_credits_granted: 0,
    trial_credits_remaining: 0,
    trial_days_remaining: 0,
    trial_ends_at: undefined,
    active_meters: [],
    active_subscriptions: [],
    granted_benefits: [],
  };
}

/** 402 LESS_CREDITS when the team has a limit and nothing is left to spend. */
export function assertCanSpend(db: Db, teamId: string): void {
  // On every upload: prepared once (most teams have no limit and stop here).
  const limitQuery = prepared(db, "credits.limitByTeam", (d) =>
    d.select({ limit: teamCredits.creditLimit }).from(teamCredits).where(eq(teamCredits.teamId, sql.placeholder("teamId"))).prepare(),
  );
  const limit = limitQuery.get({ teamId })?.limit ?? null;
  if (limit === null) return;
  const balance = ledgerOf(db, [teamId]).balance;
  if (limit + balance <= 0) {
    throw new ApiError(402, "LESS_CREDITS", `This team has no credits left (balance ${balance}, limit ${limit}). Ask the operator to grant credits or raise the limit.`, { balance, credit_limit: limit });
  }
}

export function setCreditLimit(ctx: AppContext, teamId: string, limit: number | null, actor: Actor) {
  const now = ctx.clock();
  ctx.db.transaction((tx) => {
    tx.insert(teamCredits)
      .values({ teamId, creditLimit: limit, createdAt: now, updatedAt: now })
      .onConflictDoUpdate({ target: teamCredits.teamId, set: { creditLimit: limit, updatedAt: now } })
      .run();
    recordAudit(tx, { teamId, actor, action: "credits.limit_set", targetType: "team", targetId: teamId, metadata: { credit_limit: limit } }, now);
  });
  return teamBalance(ctx, teamId);
}

/**
 * Adds a grant or an adjustment to the ledger. With an idempotency key, a repeat answers the
 * first transaction and grants nothing more (the CLI, the API and Polar orders all use this).
 */
export function grantCredits(ctx: Pick<AppContext, "db" | "clock">, teamId: string, body: GrantBody, actor: Actor) {
  const now = ctx.clock();
  return ctx.db.transaction((tx) => writeGrant(tx, teamId, body, actor, now));
}

type GrantBody = GrantRequest & { metadata?: Record<string, unknown>; auditMetadata?: Record<string, string | number | boolean | null> };
type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

/** grantCredits inside the caller's transaction (a Polar order writes its event row beside it). */
export function writeGrant(tx: Tx, teamId: string, body: GrantBody, actor: Actor, now: number) {
  const kind = body.kind ?? "grant";
  if (kind === "grant" && body.amount <= 0) throw badRequest("A grant must be a positive amount; use kind \"adjustment\" to take credits away.", { field: "amount" });
  if (!tx.select({ id: teams.id }).from(teams).where(eq(teams.id, teamId)).get()) throw notFound(`Team ${teamId} not found.`);
  const ct = creditTransactions;
  if (body.idempotency_key) {
    const existing = tx.select().from(ct).where(and(eq(ct.teamId, teamId), eq(ct.idempotencyKey, body.idempotency_key))).get();
    if (existing) return { transaction: existing, created: false };
  }
  const id = newId("ctx");
  tx.insert(ct)
    .values({ id, teamId, jobId: null, kind, amount: body.amount, description: body.description ?? null, idempotencyKey: body.idempotency_key ?? null, metadataJson: body.metadata ? JSON.stringify(body.metadata) : null, createdAt: now })
    .run();
  recordAudit(tx, { teamId, actor, action: kind === "grant" ? "credits.granted" : "credits.adjusted", targetType: "team", targetId: teamId, metadata: { amount: body.amount, transaction_id: id, ...body.auditMetadata } }, now);
  return { transaction: tx.select().from(ct).where(eq(ct.id, id)).get()!, created: true };
}

export function listTransactions(ctx: AppContext, teamIds: string[], q: TransactionsQuery) {
  const ct = creditTransactions;
  const jobOf = sql`coalesce(${ct.jobId}, json_extract(${ct.metadataJson}, '$.job_id'))`;
  const filters: (SQL | undefined)[] = [
    inArray(ct.teamId, teamIds),
    q.created_from !== undefined ? sql`${ct.createdAt} >= ${q.created_from}` : undefined,
    q.created_to !== undefined ? sql`${ct.createdAt} <= ${q.created_to}` : undefined,
    q.model ? eq(jobs.model, q.model) : undefined,
    q.search
      ? or(eq(jobOf, q.search), sql`${jobs.fileName} LIKE ${`%${q.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`} ESCAPE '\\'`)
      : undefined,
  ];
  const where = and(...filters);
  const joinOn = eq(jobs.id, jobOf);
  const total = ctx.db.select({ n: count() }).from(ct).leftJoin(jobs, joinOn).where(where).get()!.n;
  const balanceAfter = sql<number>`(SELECT sum(b.amount) FROM credit_transactions b WHERE b.team_id = ${ct.teamId}
    AND (b.created_at < ${ct.createdAt} OR (b.created_at = ${ct.createdAt} AND b.id <= ${ct.id})))`;
  const rows = ctx.db
    .select({ t: ct, balanceAfter, orgId: teams.organizationId })
    .from(ct)
    .leftJoin(jobs, joinOn)
    .innerJoin(teams, eq(teams.id, ct.teamId))
    .where(and(where, afterCursor(decodeCursor(q.cursor), ct.createdAt, ct.id)))
    .orderBy(desc(ct.createdAt), desc(ct.id))
    .limit(q.limit + 1)
    .all();
  return pageOf(rows.map((r) => ({ ...r, createdAt: r.t.createdAt, id: r.t.id })), q.limit, total, (r) => toTransaction(r.t, r.balanceAfter, r.orgId));
}

export function toTransaction(t: typeof creditTransactions.$inferSelect, balanceAfter: number, organizationId: string) {
  const metadata = t.metadataJson ? (JSON.parse(t.metadataJson) as Record<string, unknown>) : undefined;
  const jobId = t.jobId ?? (typeof metadata?.job_id === "string" ? metadata.job_id : undefined);
  return {
    id: t.id,
    transaction_type: TYPE_OF[t.kind] ?? "adjustment",
    amount: t.amount,
    balance_after: balanceAfter,
    description: t.description ?? undefined,
    job_id: jobId,
    idempotency_key: t.idempotencyKey ?? undefined,
    metadata,
    expires_at: undefined,
    created_at: iso(t.createdAt)!,
    team_id: t.teamId,
    project_id: t.teamId,
    organization_id: organizationId,
  };
}

/** For the CLI: a team by id, or the only team when there is just one. */
export function resolveTeam(db: Reader, teamId: string | undefined): string {
  if (teamId) {
    if (!db.select({ id: teams.id }).from(teams).where(eq(teams.id, teamId)).get()) throw notFound(`No team with id ${teamId}.`);
    return teamId;
  }
  const all = db.select({ id: teams.id }).from(teams).limit(2).all();
  if (all.length === 1) return all[0]!.id;
  throw badRequest("Name the team with --team <id>.");
}
