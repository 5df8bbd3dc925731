/**
 * Polar billing (issue 18): a paid Polar order adds credits to a team's ledger, once.
 *
 * - Team: the operator puts `leapocr_team_id: <team id>` in the checkout's metadata (Polar copies
 *   it to the order and subscription); the order's metadata is read first, then its
 *   subscription's, then its customer's.
 * - Credits: LEAPOCR_POLAR_PRODUCTS maps each Polar product id to the credits one paid order of
 *   it grants. A subscription's renewal is a new paid order, so it grants again.
 * - Once: the event id (webhook-id) is the primary key of polar_events, written in the same
 *   transaction as the grant; the grant's idempotency key is the order id, so even a second
 *   event about the same order grants nothing more.
 * - Refunds (order.refunded) are recorded and audited on the team, never debited: credits may
 *   already be spent, and whether to take them back is the operator's call
 *   (`leapocr credits grant --kind adjustment --amount -N`).
 * - Anything else (other event types, no team in the metadata, an unknown team or product)
 *   answers 200 "ignored" with the reason and is logged: Polar retries only failures, and a
 *   retry cannot fix these. A redelivery of an ignored event is looked at again, so fixing the
 *   config and redelivering from Polar's dashboard grants.
 */
import * as v from "valibot";
import type { AppContext } from "../../context";
import { ConfigError } from "../../config";
import { auditRepository } from "../audit/repository";
import type { Actor } from "../audit/service";
import { creditsRepository } from "../credits/repository";
import { writeGrant } from "../credits/service";
import { billingRepository } from "./repository";
import { PolarOrder, type PolarEvent, type PolarWebhookResponse } from "./model";

export const TEAM_METADATA_KEY = "leapocr_team_id";
export const POLAR_ACTOR: Actor = { type: "system", id: "polar" };

/** `<product id>:<credits>,...` into a map; a start-up error names what is wrong. */
export function parsePolarProducts(spec: string): Map<string, number> {
  const products = new Map<string, number>();
  for (const pair of spec.split(",").map((s) => s.trim()).filter(Boolean)) {
    const at = pair.lastIndexOf(":");
    const id = pair.slice(0, at).trim();
    const credits = Number(pair.slice(at + 1).trim());
    if (at <= 0 || !Number.isInteger(credits) || credits <= 0 || credits > 1_000_000_000) {
      throw new ConfigError(`LEAPOCR_POLAR_PRODUCTS: "${pair}" is not <Polar product id>:<credits> with a whole number of credits above 0.`);
    }
    if (products.has(id)) throw new ConfigError(`LEAPOCR_POLAR_PRODUCTS names product ${id} twice.`);
    products.set(id, credits);
  }
  return products;
}

function teamIdOf(order: PolarOrder): string | null {
  for (const meta of [order.metadata, order.subscription?.metadata, order.customer?.metadata]) {
    const id = meta?.[TEAM_METADATA_KEY];
    if (typeof id === "string" && id.trim()) return id.trim();
  }
  return null;
}

type Row = Parameters<ReturnType<typeof billingRepository>["saveEvent"]>[2];

/** Acts on one verified event and answers what happened. The event row, the grant and its audit row are one transaction. */
export async function handlePolarEvent(ctx: Pick<AppContext, "data" | "clock" | "logger">, products: Map<string, number>, webhookId: string, event: PolarEvent): Promise<PolarWebhookResponse> {
  const now = ctx.clock();
  const answer = await ctx.data.transaction(
    async (tx): Promise<PolarWebhookResponse> => {
      const events = billingRepository(tx);
      const earlier = await events.event(webhookId);
      if (earlier && earlier.outcome !== "ignored") {
        return { status: "duplicate", reason: `Event ${webhookId} was already handled (${earlier.outcome}).`, team_id: earlier.teamId ?? undefined } satisfies PolarWebhookResponse;
      }
      const save = (row: Row) => events.saveEvent(webhookId, event.type, row, now);
      const ignore = async (reason: string, row: Omit<Row, "outcome" | "reason"> = {}) => {
        await save({ outcome: "ignored", reason, ...row });
        return { status: "ignored", reason, team_id: row.teamId ?? undefined } satisfies PolarWebhookResponse;
      };

      if (event.type !== "order.paid" && event.type !== "order.refunded") {
        return ignore(`Event type ${event.type} does not move credits (only order.paid grants; order.refunded is recorded).`);
      }
      const parsed = v.safeParse(PolarOrder, event.data);
      if (!parsed.success) return ignore(`The ${event.type} payload has no order in data (data.id missing).`);
      const order = parsed.output;
      const productId = order.product_id ?? order.product?.id ?? null;
      const teamId = teamIdOf(order);
      const ids = { orderId: order.id, productId };
      if (!teamId) return ignore(`Order ${order.id} carries no ${TEAM_METADATA_KEY} in its metadata (set it on the checkout).`, ids);
      if (!(await creditsRepository(tx).teamExists(teamId))) {
        return ignore(`Order ${order.id} names team ${teamId}, which does not exist on this server.`, ids);
      }

      if (event.type === "order.refunded") {
        const reason = `Refund of order ${order.id} recorded; no credits were taken back (adjust by hand if needed).`;
        await save({ outcome: "recorded", reason, ...ids, teamId });
        await auditRepository(tx).record({
          teamId, actor: POLAR_ACTOR, action: "credits.polar_refund_recorded", targetType: "team", targetId: teamId,
          metadata: { order_id: order.id, product_id: productId, refunded_amount: order.refunded_amount ?? null, currency: order.currency ?? null, webhook_id: webhookId },
        }, now);
        return { status: "recorded", reason, team_id: teamId } satisfies PolarWebhookResponse;
      }

      const credits = productId ? products.get(productId) : undefined;
      if (!productId || credits === undefined) {
        return ignore(`Product ${productId ?? "(none)"} of order ${order.id} has no credit amount in LEAPOCR_POLAR_PRODUCTS.`, { ...ids, teamId });
      }
      const { transaction, created } = await writeGrant(tx, teamId, {
        amount: credits,
        kind: "grant",
        description: `Polar order ${order.id}${order.product?.name ? ` (${order.product.name})` : ""}`,
        idempotency_key: `polar-order:${order.id}`,
        metadata: { source: "polar", order_id: order.id, product_id: productId, billing_reason: order.billing_reason, webhook_id: webhookId },
        auditMetadata: { source: "polar", order_id: order.id, product_id: productId, webhook_id: webhookId },
      }, POLAR_ACTOR, now);
      if (!created) {
        const reason = `Order ${order.id} was already granted by an earlier event (transaction ${transaction.id}).`;
        await ignore(reason, { ...ids, teamId, creditTransactionId: transaction.id });
        return { status: "duplicate", reason, team_id: teamId } satisfies PolarWebhookResponse;
      }
      await save({ outcome: "granted", reason: null, ...ids, teamId, creditTransactionId: transaction.id });
      return { status: "granted", team_id: teamId, credits, transaction_id: transaction.id } satisfies PolarWebhookResponse;
    },
  );
  const log = answer.status === "ignored" ? ctx.logger.warn : ctx.logger.info;
  log.call(ctx.logger, `polar webhook ${answer.status}`, { webhook_id: webhookId, type: event.type, team_id: answer.team_id, credits: answer.credits, reason: answer.reason });
  return answer;
}
