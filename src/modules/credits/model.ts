/** Credits: the per-team ledger, balance, limit and grants (LeapOCR reference names where it has them). */
import * as v from "valibot";
import { CursorQuery, paged, QueryDate } from "../jobs/paging";

export const TransactionsQuery = v.object({
  ...CursorQuery,
  /** A job id, or part of a job's file name. */
  search: v.optional(v.pipe(v.string(), v.maxLength(255))),
  model: v.optional(v.string()),
  created_from: v.optional(QueryDate),
  created_to: v.optional(QueryDate),
});
export type TransactionsQuery = v.InferOutput<typeof TransactionsQuery>;

const TransactionType = v.picklist(["credit", "consumed", "refunded", "adjustment", "expiration"]);

const transactionFields = {
  id: v.string(),
  /** credit (a grant), consumed (a job's charge), refunded, adjustment. */
  transaction_type: TransactionType,
  /** Positive adds to the balance, negative takes from it. */
  amount: v.number(),
  balance_after: v.number(),
  description: v.optional(v.string()),
  job_id: v.optional(v.string()),
  idempotency_key: v.optional(v.string()),
  metadata: v.optional(v.record(v.string(), v.unknown())),
  expires_at: v.optional(v.string()),
  created_at: v.string(),
};

export const TeamTransaction = v.object({ ...transactionFields, team_id: v.string(), project_id: v.string() });
export const OrgTransaction = v.object({ ...transactionFields, team_id: v.string(), organization_id: v.string() });
export const TeamTransactionsResponse = paged(TeamTransaction);
export const OrgTransactionsResponse = paged(OrgTransaction);

const balanceFields = {
  credits_granted: v.number(),
  credits_consumed: v.number(),
  /** Granted + adjustments + refunds - consumed. */
  balance: v.number(),
  /** With a limit: what may still be spent (limit + balance). Without: the balance. */
  credits_remaining: v.number(),
  /** null: unlimited (the default on a self-hosted server). */
  credit_limit: v.nullable(v.number()),
  unlimited: v.boolean(),
};

export const TeamBalanceResponse = v.object({ team_id: v.string(), ...balanceFields });

export const OrgBalanceResponse = v.object({
  /** The team the caller acts for; the figures cover the teams of the organization the caller may see. */
  team_id: v.string(),
  organization_id: v.string(),
  ...balanceFields,
  plan_name: v.string(),
  trial_active: v.boolean(),
  trial_credits_granted: v.number(),
  trial_credits_remaining: v.number(),
  trial_days_remaining: v.number(),
  trial_ends_at: v.optional(v.string()),
  /** Hosted billing (Polar) structures, kept for clients that read them: always empty on a self-hosted server. */
  active_meters: v.array(v.object({ id: v.string(), meter_id: v.string(), meter_name: v.string(), balance: v.number(), consumed_units: v.number(), credited_units: v.number() })),
  active_subscriptions: v.array(
    v.object({
      id: v.string(), product_id: v.string(), product_name: v.string(), price_id: v.string(), discount_id: v.optional(v.string()), started_at: v.string(),
      ends_at: v.optional(v.string()), metadata: v.record(v.string(), v.unknown()), meters: v.array(v.unknown()),
    }),
  ),
  granted_benefits: v.array(
    v.object({ id: v.string(), benefit_id: v.string(), benefit_type: v.string(), granted_at: v.string(), properties: v.record(v.string(), v.unknown()), benefit_metadata: v.record(v.string(), v.unknown()) }),
  ),
});

export const GrantRequest = v.object({
  /** Credits to add (a grant must be positive; an adjustment may be negative, not zero). */
  amount: v.pipe(v.number(), v.integer("amount must be a whole number"), v.check((n) => n !== 0, "amount must not be 0"), v.minValue(-1_000_000_000), v.maxValue(1_000_000_000)),
  kind: v.optional(v.picklist(["grant", "adjustment"])),
  description: v.optional(v.pipe(v.string(), v.maxLength(500))),
  /** Repeating a request with the same key grants once. */
  idempotency_key: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(200))),
});
export type GrantRequest = v.InferOutput<typeof GrantRequest>;

export const LimitRequest = v.object({
  /** null removes the limit (unlimited). With a limit, uploads answer 402 LESS_CREDITS once limit + balance <= 0. */
  credit_limit: v.nullable(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(1_000_000_000))),
});

export const OrgParams = v.object({ organization_id: v.string() });
