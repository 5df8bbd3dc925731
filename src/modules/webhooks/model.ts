/** Webhook subscriptions, their event log and the event types, with the LeapOCR reference's field names. */
import * as v from "valibot";
import { CursorQuery, paged, QueryBool } from "../jobs/paging";

const events = v.pipe(v.array(v.pipe(v.string(), v.minLength(1))), v.minLength(1, "events must name at least one event type"), v.maxLength(20));
const url = v.pipe(v.string(), v.minLength(1, "url is required"), v.maxLength(2000));
const description = v.pipe(v.string(), v.maxLength(500, "description must be at most 500 characters"));

export const CreateWebhookRequest = v.object({
  url,
  events,
  description: v.optional(description),
  enabled: v.optional(v.boolean()),
  /** job.completed carries the job's pages and structured result (default false). */
  include_results: v.optional(v.boolean()),
});
export type CreateWebhookRequest = v.InferOutput<typeof CreateWebhookRequest>;

export const UpdateWebhookRequest = v.object({
  events,
  url: v.optional(url),
  description: v.optional(description),
  enabled: v.optional(v.boolean()),
  include_results: v.optional(v.boolean()),
});
export type UpdateWebhookRequest = v.InferOutput<typeof UpdateWebhookRequest>;

export const WebhookResponse = v.object({
  id: v.string(),
  organization_id: v.string(),
  team_id: v.string(),
  user_id: v.optional(v.string()),
  url: v.string(),
  description: v.optional(v.string()),
  events: v.array(v.string()),
  enabled: v.boolean(),
  include_results: v.boolean(),
  /**
   * Signs every delivery: HMAC-SHA256 of "<X-Webhook-Timestamp>.<raw body>", lower-case hex, in
   * X-Webhook-Signature. Present only in the answers to create, regenerate-secret and
   * reveal-secret (webhooks:write); never in lists or reads.
   */
  secret: v.optional(v.string()),
  failure_count: v.number(),
  disabled_reason: v.optional(v.string()),
  last_triggered_at: v.optional(v.string()),
  created_at: v.string(),
  updated_at: v.string(),
});

export const WebhooksListQuery = v.object({ ...CursorQuery, enabled: v.optional(QueryBool) });
export const WebhooksListResponse = paged(WebhookResponse);

export const WebhookIdPath = v.object({ organization_id: v.string(), team_id: v.string(), id: v.pipe(v.string(), v.uuid("id must be a UUID")) });
export const EventIdPath = v.object({ organization_id: v.string(), team_id: v.string(), event_id: v.pipe(v.string(), v.minLength(1), v.maxLength(100)) });

export const EventsListQuery = v.object({
  ...CursorQuery,
  /** The reference requires it; here it is optional and narrows the log to one subscription. */
  subscription_id: v.optional(v.pipe(v.string(), v.uuid("subscription_id must be a UUID"))),
  event_type: v.optional(v.string()),
  /** pending, delivered or failed. */
  processing_status: v.optional(v.picklist(["pending", "delivered", "failed"])),
});
export type EventsListQuery = v.InferOutput<typeof EventsListQuery>;

export const WebhookEventResponse = v.object({
  /** The delivery's id (one event sent to one subscription). */
  id: v.string(),
  event_id: v.string(),
  event_type: v.string(),
  subscription_id: v.string(),
  webhook_url: v.string(),
  payload: v.record(v.string(), v.unknown()),
  processing_status: v.picklist(["pending", "delivered", "failed"]),
  processing_attempts: v.number(),
  processing_error: v.optional(v.string()),
  http_status: v.optional(v.number()),
  next_attempt_at: v.optional(v.string()),
  delivered_at: v.optional(v.string()),
  created_at: v.string(),
  updated_at: v.string(),
});
export const EventsListResponse = paged(WebhookEventResponse);

export const EventPayloadResponse = v.object({
  event_id: v.string(),
  event_type: v.string(),
  payload: v.record(v.string(), v.unknown()),
  /** Always false here: the payload is the exact body that was signed and sent. */
  enriched: v.boolean(),
  note: v.optional(v.string()),
});

export const EventTypesResponse = v.object({ event_types: v.array(v.string()) });

export const WebhookHealthResponse = v.object({
  id: v.string(),
  url: v.string(),
  enabled: v.boolean(),
  /** Enabled, reachable and answering below 500. */
  healthy: v.boolean(),
  reachable: v.boolean(),
  http_status: v.optional(v.number()),
  response_time_ms: v.optional(v.number()),
  error: v.optional(v.string()),
  failure_count: v.number(),
  disabled_reason: v.optional(v.string()),
  last_triggered_at: v.optional(v.string()),
  deliveries: v.object({ pending: v.number(), delivered: v.number(), failed: v.number() }),
  checked_at: v.string(),
});

export const WebhookTestResponse = v.object({
  success: v.boolean(),
  event_id: v.string(),
  delivery_id: v.string(),
  http_status: v.optional(v.number()),
  error: v.optional(v.string()),
  duration_ms: v.number(),
  message: v.string(),
});
