/**
 * Polar billing: the parts of Polar's webhook payloads this server reads, and its answers.
 * Polar's payloads carry much more; objects are loose so new fields never break a delivery.
 */
import * as v from "valibot";

const Metadata = v.record(v.string(), v.unknown());
const WithMetadata = v.looseObject({ metadata: v.optional(v.nullable(Metadata)) });

/** Polar's Order (order.paid, order.refunded, ...): what maps it to a team and to credits. */
export const PolarOrder = v.looseObject({
  id: v.string(),
  status: v.optional(v.string()),
  paid: v.optional(v.boolean()),
  product_id: v.optional(v.nullable(v.string())),
  product: v.optional(v.nullable(v.looseObject({ id: v.string(), name: v.optional(v.string()) }))),
  /** Copied by Polar from the checkout: where the operator puts leapocr_team_id. */
  metadata: v.optional(v.nullable(Metadata)),
  subscription: v.optional(v.nullable(WithMetadata)),
  customer: v.optional(v.nullable(WithMetadata)),
  billing_reason: v.optional(v.string()),
  total_amount: v.optional(v.number()),
  refunded_amount: v.optional(v.number()),
  currency: v.optional(v.string()),
});
export type PolarOrder = v.InferOutput<typeof PolarOrder>;

/** Every Polar webhook: `{type, timestamp, data}`. */
export const PolarEvent = v.looseObject({ type: v.string(), data: v.unknown() });
export type PolarEvent = v.InferOutput<typeof PolarEvent>;

export const PolarWebhookResponse = v.object({
  /** granted: credits added; duplicate: this event (or its order) was already granted; ignored: nothing to do (see reason); recorded: noted, no credits moved (refunds). */
  status: v.picklist(["granted", "duplicate", "ignored", "recorded"]),
  reason: v.optional(v.string()),
  team_id: v.optional(v.string()),
  credits: v.optional(v.number()),
  transaction_id: v.optional(v.string()),
});
export type PolarWebhookResponse = v.InferOutput<typeof PolarWebhookResponse>;
