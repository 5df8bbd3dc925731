/** Webhook subscriptions: CRUD, secret rotation, health, test sends and the event log. */
import type { AppContext } from "../../context";
import { randomToken } from "../../lib/crypto";
import { badRequest, notFound } from "../../lib/errors";
import { assertFetchableUrl, fetchGuarded, FetchError, parseAllowHosts } from "../../lib/url-fetch";
import { auditRepository } from "../audit/repository";
import type { Actor } from "../audit/service";
import { decodeCursor, iso, pageOf } from "../jobs/paging";
import { attemptDelivery } from "./dispatcher";
import { EVENT_TYPES, eventTimestamp, newEventId } from "./events";
import type { CreateWebhookRequest, EventsListQuery, UpdateWebhookRequest } from "./model";
import { webhooksRepository, type Delivery, type Subscription as Sub } from "./repository";

type Team = { id: string; organizationId: string };

export const newWebhookSecret = () => `whsec_${randomToken(24)}`;

/**
 * The subscription as the API shows it. The signing secret only with `withSecret`: when it is
 * created, rotated or revealed by someone who may change webhooks (issue 15, finding 8), never
 * in lists or reads, which viewers and `*` keys may make.
 */
function toResponse(team: Team, s: Sub, withSecret = false) {
  return {
    id: s.id,
    organization_id: team.organizationId,
    team_id: s.teamId,
    user_id: s.userId ?? undefined,
    url: s.url,
    description: s.description ?? undefined,
    events: JSON.parse(s.eventsJson) as string[],
    enabled: s.enabled,
    include_results: s.includeResults,
    secret: withSecret ? s.secret : undefined,
    failure_count: s.failureCount,
    disabled_reason: s.disabledReason ?? undefined,
    last_triggered_at: iso(s.lastTriggeredAt),
    created_at: iso(s.createdAt)!,
    updated_at: iso(s.updatedAt)!,
  };
}

/** Receivers are reached from this server: the same address guard as URL uploads. */
async function checkUrl(ctx: AppContext, raw: string): Promise<string> {
  try {
    return (await assertFetchableUrl(raw, parseAllowHosts(ctx.config.urlAllowHosts))).toString();
  } catch (err) {
    if (err instanceof FetchError) throw badRequest(`Webhook url refused: ${err.message}`);
    throw err;
  }
}

function checkEvents(events: string[]): string[] {
  const unknown = events.filter((e) => !EVENT_TYPES.includes(e));
  if (unknown.length > 0) throw badRequest(`Unknown event type(s): ${unknown.join(", ")}. Known: ${EVENT_TYPES.join(", ")}.`, { field: "events" });
  return [...new Set(events)];
}

async function find(ctx: AppContext, teamId: string, id: string): Promise<Sub> {
  const s = await webhooksRepository(ctx.data).teamSubscription(teamId, id);
  if (!s) throw notFound(`Webhook ${id} not found.`);
  return s;
}

export async function createWebhook(ctx: AppContext, team: Team, body: CreateWebhookRequest, actor: Actor) {
  const url = await checkUrl(ctx, body.url);
  const events = checkEvents(body.events);
  const now = ctx.clock();
  const id = crypto.randomUUID();
  const created = await ctx.data.transaction(async (tx) => {
    const row = await webhooksRepository(tx).addSubscription({
      id, teamId: team.id, userId: actor.id ?? null, url, description: body.description ?? null, eventsJson: JSON.stringify(events),
      secret: newWebhookSecret(), enabled: body.enabled ?? true, includeResults: body.include_results ?? false, createdAt: now, updatedAt: now,
    });
    await auditRepository(tx).record({ teamId: team.id, actor, action: "webhook.created", targetType: "webhook", targetId: id, metadata: { url_host: new URL(url).host, events: events.join(",") } }, now);
    return row;
  });
  return toResponse(team, created, true);
}

export async function listWebhooks(ctx: AppContext, team: Team, q: { cursor?: string; limit: number; enabled?: boolean }) {
  const { rows, total } = await webhooksRepository(ctx.data).subscriptions(team.id, { enabled: q.enabled, after: decodeCursor(q.cursor), limit: q.limit });
  return pageOf(rows, q.limit, total, (s) => toResponse(team, s));
}

export const getWebhook = async (ctx: AppContext, team: Team, id: string) => toResponse(team, await find(ctx, team.id, id));

export async function updateWebhook(ctx: AppContext, team: Team, id: string, body: UpdateWebhookRequest, actor: Actor) {
  const current = await find(ctx, team.id, id);
  const url = body.url !== undefined ? await checkUrl(ctx, body.url) : current.url;
  const events = checkEvents(body.events);
  const now = ctx.clock();
  const enabling = body.enabled === true && !current.enabled;
  await ctx.data.transaction(async (tx) => {
    await webhooksRepository(tx).changeSubscription(id, {
        url, eventsJson: JSON.stringify(events), updatedAt: now,
        ...(body.description !== undefined ? { description: body.description } : {}),
        ...(body.enabled !== undefined ? { enabled: body.enabled } : {}),
        ...(body.include_results !== undefined ? { includeResults: body.include_results } : {}),
        // Turning a disabled subscription back on starts its failure count afresh.
        ...(enabling ? { failureCount: 0, disabledReason: null } : {}),
    });
    await auditRepository(tx).record({ teamId: team.id, actor, action: "webhook.updated", targetType: "webhook", targetId: id, metadata: { url_host: new URL(url).host, events: events.join(","), enabled: body.enabled ?? current.enabled } }, now);
  });
  return toResponse(team, await find(ctx, team.id, id));
}

export async function deleteWebhook(ctx: AppContext, team: Team, id: string, actor: Actor): Promise<void> {
  await find(ctx, team.id, id);
  const now = ctx.clock();
  await ctx.data.transaction(async (tx) => {
    await webhooksRepository(tx).removeSubscription(id);
    await auditRepository(tx).record( { teamId: team.id, actor, action: "webhook.deleted", targetType: "webhook", targetId: id }, now);
  });
}

export async function regenerateSecret(ctx: AppContext, team: Team, id: string, actor: Actor) {
  await find(ctx, team.id, id);
  const now = ctx.clock();
  await ctx.data.transaction(async (tx) => {
    await webhooksRepository(tx).changeSubscription(id, { secret: newWebhookSecret(), updatedAt: now });
    await auditRepository(tx).record({ teamId: team.id, actor, action: "webhook.secret_regenerated", targetType: "webhook", targetId: id }, now);
  });
  return toResponse(team, await find(ctx, team.id, id), true);
}

/** Shows the current secret to someone who may change webhooks, and records that they saw it. */
export async function revealSecret(ctx: AppContext, team: Team, id: string, actor: Actor) {
  const sub = await find(ctx, team.id, id);
  await auditRepository(ctx.data).record({ teamId: team.id, actor, action: "webhook.secret_revealed", targetType: "webhook", targetId: id }, ctx.clock());
  return toResponse(team, sub, true);
}

/** Sends a signed webhook.test event now, once, and reports what the receiver said; it is kept in the event log. */
export async function testWebhook(ctx: AppContext, team: Team, id: string, actor: Actor) {
  const sub = await find(ctx, team.id, id);
  const now = ctx.clock();
  const eventId = newEventId();
  const payload = JSON.stringify({ event_type: "webhook.test", event_id: eventId, timestamp: eventTimestamp(now), message: "This is a test webhook event" });
  const deliveryId = crypto.randomUUID();
  const row = await ctx.data.transaction(async (tx) => {
    const added = await webhooksRepository(tx).addDelivery({
      id: deliveryId, eventId, eventType: "webhook.test", subscriptionId: sub.id, teamId: team.id, payloadJson: payload, status: "pending",
      attempts: 0, maxAttempts: 1, nextAttemptAt: now, lockedUntil: now + 3_600_000, createdAt: now, updatedAt: now,
    });
    await auditRepository(tx).record({ teamId: team.id, actor, action: "webhook.tested", targetType: "webhook", targetId: id }, now);
    return added;
  });
  const out = await attemptDelivery(ctx, row);
  return {
    success: out.ok,
    event_id: eventId,
    delivery_id: deliveryId,
    http_status: out.statusCode ?? undefined,
    error: out.error ?? undefined,
    duration_ms: out.durationMs,
    message: out.ok ? "Test webhook delivered." : `Test webhook failed: ${out.error}`,
  };
}

/** Probes the receiver (an unsigned GET, no redirects, through the address guard) and sums up recent deliveries. */
export async function webhookHealth(ctx: AppContext, team: Team, id: string) {
  const sub = await find(ctx, team.id, id);
  const counts = await webhooksRepository(ctx.data).deliveryCounts(id);
  const deliveries = { pending: 0, delivered: 0, failed: 0 };
  for (const c of counts) if (c.status in deliveries) deliveries[c.status as keyof typeof deliveries] = c.n;
  let reachable = false;
  let httpStatus: number | undefined;
  let error: string | undefined;
  const started = performance.now();
  try {
    const res = await fetchGuarded(sub.url, parseAllowHosts(ctx.config.urlAllowHosts), { method: "GET", signal: AbortSignal.timeout(Math.min(5, ctx.config.webhookTimeoutSeconds) * 1000), headers: { "user-agent": "leapocr-webhooks/1 (health check)" } });
    await res.body?.cancel().catch(() => {});
    reachable = true;
    httpStatus = res.status;
  } catch (err) {
    error = err instanceof FetchError ? err.message : `Not reachable: ${(err as Error).message}`;
  }
  const ms = Math.round(performance.now() - started);
  return {
    id: sub.id,
    url: sub.url,
    enabled: sub.enabled,
    healthy: sub.enabled && reachable && (httpStatus ?? 500) < 500,
    reachable,
    http_status: httpStatus,
    response_time_ms: reachable ? ms : undefined,
    error,
    failure_count: sub.failureCount,
    disabled_reason: sub.disabledReason ?? undefined,
    last_triggered_at: iso(sub.lastTriggeredAt),
    deliveries,
    checked_at: new Date(ctx.clock()).toISOString(),
  };
}

type DeliveryRow = { d: Delivery; url: string };

function toEvent({ d, url }: DeliveryRow) {
  return {
    id: d.id,
    event_id: d.eventId,
    event_type: d.eventType,
    subscription_id: d.subscriptionId,
    webhook_url: url,
    payload: JSON.parse(d.payloadJson) as Record<string, unknown>,
    processing_status: d.status as "pending" | "delivered" | "failed",
    processing_attempts: d.attempts,
    processing_error: d.lastError ?? undefined,
    http_status: d.lastStatusCode ?? undefined,
    next_attempt_at: d.status === "pending" ? iso(d.nextAttemptAt) : undefined,
    delivered_at: iso(d.deliveredAt),
    created_at: iso(d.createdAt)!,
    updated_at: iso(d.updatedAt)!,
  };
}

export async function listEvents(ctx: AppContext, team: Team, q: EventsListQuery) {
  if (q.subscription_id) await find(ctx, team.id, q.subscription_id);
  const after = decodeCursor(q.cursor);
  const { rows, total } = await webhooksRepository(ctx.data).deliveries(team.id, {
    subscriptionId: q.subscription_id, eventType: q.event_type, status: q.processing_status, after, limit: q.limit,
  });
  return pageOf(rows.map((r) => ({ ...r, createdAt: r.d.createdAt, id: r.d.id })), q.limit, total, toEvent);
}

/** By delivery id (the event log's `id`) or by event id (`event_id`, shared by an event's deliveries). */
export async function eventPayload(ctx: AppContext, team: Team, eventId: string) {
  const d = await webhooksRepository(ctx.data).deliveryOrEvent(team.id, eventId);
  if (!d) throw notFound(`Webhook event ${eventId} not found.`);
  const payload = JSON.parse(d.payloadJson) as Record<string, unknown>;
  const scrubbed = payload.results_removed === true;
  return {
    event_id: d.eventId,
    event_type: d.eventType,
    payload,
    enriched: false,
    note: scrubbed ? "The job's results were removed from this payload when the job was deleted or expired." : undefined,
  };
}
