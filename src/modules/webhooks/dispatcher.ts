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
import { and, eq } from "drizzle-orm";
import type { AppContext } from "../../context";
import type { Db } from "../../db/client";
import { webhookDeliveries, webhookSubscriptions } from "../../db/schema";
import { fetchGuarded, FetchError, parseAllowHosts } from "../../lib/url-fetch";
import { recordAudit } from "../audit/service";
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

type Delivery = typeof webhookDeliveries.$inferSelect;
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
  const { db, config } = ctx;
  const sub = db.select().from(webhookSubscriptions).where(eq(webhookSubscriptions.id, row.subscriptionId)).get();
  const isTest = row.eventType === "webhook.test";
  const started = ctx.clock();
  if (!sub || (!sub.enabled && !isTest)) {
    db.update(webhookDeliveries)
      .set({ status: "failed", lastError: "The subscription is disabled or deleted.", lockedUntil: null, updatedAt: started })
      .where(eq(webhookDeliveries.id, row.id))
      .run();
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
  db.transaction((tx) => {
    const attempts = row.attempts + 1;
    if (ok) {
      tx.update(webhookDeliveries)
        .set({ status: "delivered", attempts, lastStatusCode: statusCode, lastError: null, deliveredAt: now, lockedUntil: null, updatedAt: now })
        .where(eq(webhookDeliveries.id, row.id))
        .run();
      tx.update(webhookSubscriptions).set({ failureCount: isTest ? sub.failureCount : 0, lastTriggeredAt: now }).where(eq(webhookSubscriptions.id, sub.id)).run();
      return;
    }
    const exhausted = isTest || attempts >= row.maxAttempts;
    const delay = Math.min(MAX_DELAY_MS, Math.max(backoffMs(config.webhookRetryBaseMs, attempts, opts.random ?? Math.random), retryAfterMs));
    tx.update(webhookDeliveries)
      .set({ status: exhausted ? "failed" : "pending", attempts, lastStatusCode: statusCode, lastError: error, nextAttemptAt: now + delay, lockedUntil: null, updatedAt: now })
      .where(eq(webhookDeliveries.id, row.id))
      .run();
    if (isTest) return;
    // Read again inside the transaction: deliveries of one pass run side by side, and the count
    // read before the request would let two overlapping failures count once.
    const current = tx.select({ failureCount: webhookSubscriptions.failureCount }).from(webhookSubscriptions).where(eq(webhookSubscriptions.id, sub.id)).get();
    const failures = (current?.failureCount ?? sub.failureCount) + 1;
    const disable = failures >= config.webhookDisableAfter;
    const reason = `Disabled after ${failures} failed delivery attempts in a row; last: ${error}`;
    tx.update(webhookSubscriptions)
      .set({ failureCount: failures, lastTriggeredAt: now, ...(disable ? { enabled: false, disabledReason: reason, updatedAt: now } : {}) })
      .where(eq(webhookSubscriptions.id, sub.id))
      .run();
    if (disable) {
      tx.update(webhookDeliveries)
        .set({ status: "failed", lastError: "The subscription was disabled after repeated failures.", lockedUntil: null, updatedAt: now })
        .where(and(eq(webhookDeliveries.subscriptionId, sub.id), eq(webhookDeliveries.status, "pending")))
        .run();
      recordAudit(tx, { teamId: sub.teamId, actor: { type: "system", id: "webhooks" }, action: "webhook.disabled", targetType: "webhook", targetId: sub.id, metadata: { failures } }, now);
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
    const rows = this.ctx.db.$client
      .query<{ id: string }, [number, number, number]>(
        `UPDATE webhook_deliveries SET locked_until = ?1 + ?2
         WHERE id IN (SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= ?1
                        AND (locked_until IS NULL OR locked_until < ?1) ORDER BY next_attempt_at LIMIT ?3)
         RETURNING id`,
      )
      .all(now, lockMs, BATCH);
    if (rows.length === 0) return 0;
    const sends = rows.map(({ id }) => {
      const row = this.ctx.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, id)).get();
      if (!row) return Promise.resolve();
      const p = attemptDelivery(this.ctx, row, this.opts).catch((err) => this.ctx.logger.error("webhook dispatch error", { delivery_id: id, error: String(err) }));
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
