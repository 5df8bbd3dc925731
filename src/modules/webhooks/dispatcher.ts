/**
 * The webhook dispatcher: sends due rows of the persisted outbox (webhook_deliveries), signed
 * with the subscription's secret. A failed attempt is retried with exponential backoff and
 * jitter (base LEAPOCR_WEBHOOK_RETRY_BASE_MS, doubling, at most one hour, Retry-After honoured)
 * up to LEAPOCR_WEBHOOK_MAX_ATTEMPTS; after LEAPOCR_WEBHOOK_DISABLE_AFTER failed attempts in a
 * row the subscription is disabled. Rows are claimed with a lock time, so a crash in the middle
 * of a send only delays that row; delivery is at least once and receivers dedupe on
 * X-Webhook-Event-Id. The receiver's address goes through the same guard as URL uploads, on
 * every attempt, and redirects are not followed.
 */
import type { AppContext } from "../../context";
import type { Db } from "../../db/client";
import { fetchGuarded, FetchError, parseAllowHosts } from "../../lib/url-fetch";
import { auditRepository } from "../audit/repository";
import { webhooksRepository, type Delivery } from "./repository";
import { webhookHeaders } from "./signing";

const MAX_DELAY_MS = 3_600_000;
const BATCH = 16;

export interface DispatcherOptions {
  /** Jitter source in [0, 1); tests pass a constant. */
  random?: () => number;
  /** Waits between polls; tests may replace it. */
  sleep?: (ms: number, wake: Promise<void>) => Promise<void>;
}

const wakers = new Map<Db, () => void>();

/** New deliveries are queued: the dispatcher of that database looks now rather than at its next poll. */
export function wakeDispatcher(db: Db): void {
  wakers.get(db)?.();
}

/** Delay before attempt `attempts + 1`, after `attempts` failures. */
export function backoffMs(baseMs: number, attempts: number, random: () => number): number {
  const exp = Math.min(MAX_DELAY_MS, baseMs * 2 ** Math.max(0, attempts - 1));
  return Math.min(MAX_DELAY_MS, Math.round(exp * (0.5 + random())));
}

export interface AttemptOutcome {
  ok: boolean;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

/**
 * One attempt at one delivery, and the bookkeeping after it. The test route calls this directly;
 * test deliveries do not count toward disabling the subscription.
 */
export async function attemptDelivery(ctx: AppContext, row: Delivery, opts: DispatcherOptions = {}): Promise<AttemptOutcome> {
  const { config } = ctx;
  const sub = await webhooksRepository(ctx.data).subscription(row.subscriptionId);
  const isTest = row.eventType === "webhook.test";
  const started = ctx.clock();
  if (!sub || (!sub.enabled && !isTest)) {
    await webhooksRepository(ctx.data).changeDelivery(row.id, { status: "failed", lastError: "The subscription is disabled or deleted.", lockedUntil: null, updatedAt: started });
    return { ok: false, statusCode: null, error: "The subscription is disabled or deleted.", durationMs: 0 };
  }
  let statusCode: number | null = null;
  let error: string | null = null;
  let retryAfterMs = 0;
  const wallStart = performance.now();
  try {
    const res = await fetchGuarded(sub.url, parseAllowHosts(config.urlAllowHosts), {
      method: "POST",
      headers: webhookHeaders(sub.secret, row.payloadJson, ctx.clock(), { id: row.eventId, type: row.eventType, deliveryId: row.id }),
      body: row.payloadJson,
      signal: AbortSignal.timeout(config.webhookTimeoutSeconds * 1000),
    });
    statusCode = res.status;
    await res.body?.cancel().catch(() => {});
    if (res.status < 200 || res.status >= 300) {
      error = res.status >= 300 && res.status < 400 ? `The receiver answered a redirect (HTTP ${res.status}); redirects are not followed.` : `The receiver answered HTTP ${res.status}.`;
      const ra = Number(res.headers.get("retry-after"));
      if (Number.isFinite(ra) && ra > 0) retryAfterMs = ra * 1000;
    }
  } catch (err) {
    error = err instanceof FetchError ? err.message : err instanceof Error && err.name === "TimeoutError" ? `The receiver did not answer within ${config.webhookTimeoutSeconds} s.` : `The request failed: ${(err as Error).message}`;
  }
  const durationMs = Math.round(performance.now() - wallStart);
  const now = ctx.clock();
  const ok = error === null;
  await ctx.data.transaction(async (tx) => {
    const webhooks = webhooksRepository(tx);
    const attempts = row.attempts + 1;
    if (ok) {
      await webhooks.changeDelivery(row.id, { status: "delivered", attempts, lastStatusCode: statusCode, lastError: null, deliveredAt: now, lockedUntil: null, updatedAt: now });
      await webhooks.changeSubscription(sub.id, { failureCount: isTest ? sub.failureCount : 0, lastTriggeredAt: now });
      return;
    }
    const exhausted = isTest || attempts >= row.maxAttempts;
    const delay = Math.min(MAX_DELAY_MS, Math.max(backoffMs(config.webhookRetryBaseMs, attempts, opts.random ?? Math.random), retryAfterMs));
    await webhooks.changeDelivery(row.id, { status: exhausted ? "failed" : "pending", attempts, lastStatusCode: statusCode, lastError: error, nextAttemptAt: now + delay, lockedUntil: null, updatedAt: now });
    if (isTest) return;
    // Counted in the database, in this transaction: deliveries of one pass run side by side (and
    // on PostgreSQL, dispatchers of several replicas), and a count read before the request
    // would let two overlapping failures count once.
    const failures = (await webhooks.countFailure(sub.id, now)) ?? sub.failureCount + 1;
    const disable = failures >= config.webhookDisableAfter;
    const reason = `Disabled after ${failures} failed delivery attempts in a row; last: ${error}`;
    if (disable) await webhooks.changeSubscription(sub.id, { enabled: false, disabledReason: reason, updatedAt: now });
    if (disable) {
      await webhooks.failPending(sub.id, "The subscription was disabled after repeated failures.", now);
      await auditRepository(tx).record({ teamId: sub.teamId, actor: { type: "system", id: "webhooks" }, action: "webhook.disabled", targetType: "webhook", targetId: sub.id, metadata: { failures } }, now);
    }
  });
  // Results delivered by webhook count as read (the 0-day retention clock); the job store writes
  // it. After the delivery's own commit: a crash in between leaves the results unread, which
  // retention's grace period covers.
  if (ok && row.jobId && row.eventType === "job.completed" && row.payloadJson.includes('"result":')) await ctx.jobStore.resultsRead(row.jobId);
  if (!ok) ctx.logger.warn("webhook delivery failed", { delivery_id: row.id, subscription_id: sub.id, attempt: row.attempts + 1, error });
  return { ok, statusCode, error, durationMs };
}

export class WebhookDispatcher {
  private running = false;
  private loopDone: Promise<void> | null = null;
  private wakeUp: (() => void) | null = null;
  private pendingWake = false;
  private inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly ctx: AppContext,
    private readonly opts: DispatcherOptions = {},
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    wakers.set(this.ctx.db, () => this.wake());
    this.loopDone = this.loop();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (wakers.get(this.ctx.db)) wakers.delete(this.ctx.db);
    this.wake();
    await this.loopDone;
    await Promise.allSettled([...this.inFlight]);
  }

  wake(): void {
    this.pendingWake = true;
    this.wakeUp?.();
  }

  /** Claims due deliveries and sends them; answers how many it sent. */
  async tick(): Promise<number> {
    const now = this.ctx.clock();
    const lockMs = (this.ctx.config.webhookTimeoutSeconds + 30) * 1000;
    const rows = await webhooksRepository(this.ctx.data).claimDue(now, lockMs, BATCH);
    if (rows.length === 0) return 0;
    const sends = rows.map((row) => {
      const p = attemptDelivery(this.ctx, row, this.opts).catch((err) => this.ctx.logger.error("webhook dispatch error", { delivery_id: row.id, error: String(err) }));
      this.inFlight.add(p);
      return p.finally(() => this.inFlight.delete(p));
    });
    await Promise.all(sends);
    return rows.length;
  }

  private async loop(): Promise<void> {
    while (this.running) {
      this.pendingWake = false;
      let sent = 0;
      try {
        sent = await this.tick();
      } catch (err) {
        this.ctx.logger.error("webhook dispatcher pass failed", { error: String(err) });
      }
      if (!this.running) break;
      if (sent > 0 || this.pendingWake) continue;
      const woken = new Promise<void>((resolve) => (this.wakeUp = resolve));
      const pollMs = this.ctx.config.webhookPollMs;
      if (this.opts.sleep) await this.opts.sleep(pollMs, woken);
      else {
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([woken, new Promise<void>((r) => (timer = setTimeout(r, pollMs)))]);
        clearTimeout(timer);
      }
      this.wakeUp = null;
    }
  }
}
