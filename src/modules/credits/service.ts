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
import type { AppContext } from "../../context";
import type { Database } from "../../db/database";
import { ApiError, badRequest, notFound } from "../../lib/errors";
import { newId } from "../../lib/ids";
import { auditRepository } from "../audit/repository";
import type { Actor } from "../audit/service";
import { decodeCursor, iso, pageOf } from "../jobs/paging";
import type { GrantRequest, TransactionsQuery } from "./model";
import { creditsRepository, type CreditTransaction, type Ledger } from "./repository";

export type { Ledger } from "./repository";

const TYPE_OF: Record<string, "credit" | "consumed" | "refunded" | "adjustment" | "expiration"> = {
  grant: "credit",
  charge: "consumed",
  refund: "refunded",
  adjustment: "adjustment",
  expiration: "expiration",
};

export function ledgerOf(db: Database, teamIds: string[], range?: { from: number; to: number }): Promise<Ledger> {
  return creditsRepository(db).ledger(teamIds, range);
}

export function creditLimit(db: Database, teamId: string): Promise<number | null> {
  return creditsRepository(db).limit(teamId);
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

export async function teamBalance(ctx: Pick<AppContext, "data">, teamId: string) {
  return { team_id: teamId, ...balanceFields(await ledgerOf(ctx.data, [teamId]), await creditLimit(ctx.data, teamId)) };
}

/** Organization view: the sum over the teams the caller may see in it; the limit shown is the caller's team's. */
export async function orgBalance(ctx: AppContext, organizationId: string, teamId: string, teamIds: string[]) {
  return {
    team_id: teamId,
    organization_id: organizationId,
    ...balanceFields(await ledgerOf(ctx.data, teamIds), await creditLimit(ctx.data, teamId)),
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
export async function assertCanSpend(db: Database, teamId: string): Promise<void> {
  const limit = await creditLimit(db, teamId);
  if (limit === null) return;
  const balance = (await ledgerOf(db, [teamId])).balance;
  if (limit + balance <= 0) {
    throw new ApiError(402, "LESS_CREDITS", `This team has no credits left (balance ${balance}, limit ${limit}). Ask the operator to grant credits or raise the limit.`, { balance, credit_limit: limit });
  }
}

export async function setCreditLimit(ctx: Pick<AppContext, "data" | "clock">, teamId: string, limit: number | null, actor: Actor) {
  const now = ctx.clock();
  await ctx.data.transaction(async (tx) => {
    await creditsRepository(tx).setLimit(teamId, limit, now);
    await auditRepository(tx).record({ teamId, actor, action: "credits.limit_set", targetType: "team", targetId: teamId, metadata: { credit_limit: limit } }, now);
  });
  return teamBalance(ctx, teamId);
}

/**
 * Adds a grant or an adjustment to the ledger. With an idempotency key, a repeat answers the
 * first transaction and grants nothing more (the CLI, the API and Polar orders all use this).
 */
export function grantCredits(ctx: Pick<AppContext, "data" | "clock">, teamId: string, body: GrantBody, actor: Actor) {
  const now = ctx.clock();
  return ctx.data.transaction((tx) => writeGrant(tx, teamId, body, actor, now));
}

type GrantBody = GrantRequest & { metadata?: Record<string, unknown>; auditMetadata?: Record<string, string | number | boolean | null> };

/** grantCredits inside the caller's transaction (a Polar order writes its event row beside it). */
export async function writeGrant(tx: Database, teamId: string, body: GrantBody, actor: Actor, now: number): Promise<{ transaction: CreditTransaction; created: boolean }> {
  const kind = body.kind ?? "grant";
  if (kind === "grant" && body.amount <= 0) throw badRequest("A grant must be a positive amount; use kind \"adjustment\" to take credits away.", { field: "amount" });
  const credits = creditsRepository(tx);
  if (!(await credits.teamExists(teamId))) throw notFound(`Team ${teamId} not found.`);
  if (body.idempotency_key) {
    const existing = await credits.byIdempotencyKey(teamId, body.idempotency_key);
    if (existing) return { transaction: existing, created: false };
  }
  const id = newId("ctx");
  const transaction = await credits.add({
    id, teamId, jobId: null, kind, amount: body.amount, description: body.description ?? null, idempotencyKey: body.idempotency_key ?? null,
    metadataJson: body.metadata ? JSON.stringify(body.metadata) : null, createdAt: now,
  });
  await auditRepository(tx).record({ teamId, actor, action: kind === "grant" ? "credits.granted" : "credits.adjusted", targetType: "team", targetId: teamId, metadata: { amount: body.amount, transaction_id: id, ...body.auditMetadata } }, now);
  return { transaction, created: true };
}

export async function listTransactions(ctx: AppContext, teamIds: string[], q: TransactionsQuery) {
  const { rows, total } = await creditsRepository(ctx.data).list(teamIds, {
    from: q.created_from, to: q.created_to, model: q.model, search: q.search, after: decodeCursor(q.cursor), limit: q.limit,
  });
  return pageOf(rows.map((r) => ({ ...r, createdAt: r.t.createdAt, id: r.t.id })), q.limit, total, (r) => toTransaction(r.t, r.balanceAfter, r.organizationId));
}

export function toTransaction(t: CreditTransaction, balanceAfter: number, organizationId: string) {
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
export async function resolveTeam(db: Database, teamId: string | undefined): Promise<string> {
  const credits = creditsRepository(db);
  if (teamId) {
    if (!(await credits.teamExists(teamId))) throw notFound(`No team with id ${teamId}.`);
    return teamId;
  }
  const all = await credits.someTeams(2);
  if (all.length === 1) return all[0]!;
  throw badRequest("Name the team with --team <id>.");
}
