/**
 * In-memory rate limiting for one process: a token bucket per key (an API key id, an IP) and a
 * failure counter for login throttling. State is lost on restart and not shared between
 * replicas (docs/SECURITY.md, known limits). Time comes from the caller's clock so tests can
 * move it.
 */
import { ApiError } from "./errors";

export interface TakeResult {
  allowed: boolean;
  /** Whole seconds until one more request would be allowed (0 when allowed). */
  retryAfterSeconds: number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/** `perMinute` requests a minute, in bursts of up to `perMinute`; 0 turns the limit off. */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();
  private readonly ratePerMs: number;

  constructor(
    readonly perMinute: number,
    private readonly clock: () => number = Date.now,
    private readonly maxEntries = 50_000,
  ) {
    this.ratePerMs = perMinute / 60_000;
  }

  take(key: string, cost = 1): TakeResult {
    if (this.perMinute <= 0) return { allowed: true, retryAfterSeconds: 0 };
    const now = this.clock();
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= this.maxEntries) this.prune(now);
      b = { tokens: this.perMinute, updatedAt: now };
      this.buckets.set(key, b);
    }
    b.tokens = Math.min(this.perMinute, b.tokens + Math.max(0, now - b.updatedAt) * this.ratePerMs);
    b.updatedAt = now;
    if (b.tokens >= cost) {
      b.tokens -= cost;
      return { allowed: true, retryAfterSeconds: 0 };
    }
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((cost - b.tokens) / this.ratePerMs / 1000)) };
  }

  /** Drops buckets that have refilled completely: they hold no information. */
  private prune(now: number): void {
    for (const [k, b] of this.buckets) {
      if (b.tokens + (now - b.updatedAt) * this.ratePerMs >= this.perMinute) this.buckets.delete(k);
    }
    // Still full of active keys: forget the oldest rather than grow without bound.
    if (this.buckets.size >= this.maxEntries) {
      const drop = Math.ceil(this.maxEntries / 10);
      let i = 0;
      for (const k of this.buckets.keys()) {
        if (i++ >= drop) break;
        this.buckets.delete(k);
      }
    }
  }
}

/** Counts failures per key in a sliding window; at `max` failures the key is locked until the oldest one ages out. */
export class FailureThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(
    readonly max: number,
    readonly windowMs: number,
    private readonly clock: () => number = Date.now,
    private readonly maxEntries = 50_000,
  ) {}

  private recent(key: string, now: number): number[] {
    const list = (this.failures.get(key) ?? []).filter((t) => t > now - this.windowMs);
    if (list.length === 0) this.failures.delete(key);
    else this.failures.set(key, list);
    return list;
  }

  check(key: string): TakeResult {
    if (this.max <= 0) return { allowed: true, retryAfterSeconds: 0 };
    const now = this.clock();
    const list = this.recent(key, now);
    if (list.length < this.max) return { allowed: true, retryAfterSeconds: 0 };
    const unlockAt = list[list.length - this.max]! + this.windowMs;
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((unlockAt - now) / 1000)) };
  }

  /**
   * Counts an attempt before its outcome is known and answers whether it may go on: concurrent
   * attempts each take a place at once, so no more than `max` can be in flight or failed in the
   * window (checking first and counting after the slow password check let 100 parallel guesses
   * through; issue 15, finding 6). A success calls reset().
   */
  attempt(key: string): TakeResult {
    const verdict = this.check(key);
    if (verdict.allowed) this.fail(key);
    return verdict;
  }

  fail(key: string): void {
    if (this.max <= 0) return;
    const now = this.clock();
    if (!this.failures.has(key) && this.failures.size >= this.maxEntries) {
      for (const k of this.failures.keys()) {
        this.recent(k, now);
        if (this.failures.size < this.maxEntries) break;
      }
      if (this.failures.size >= this.maxEntries) this.failures.delete(this.failures.keys().next().value!);
    }
    const list = this.recent(key, now);
    list.push(now);
    // Keep only what the decision needs.
    this.failures.set(key, list.slice(-this.max));
  }

  reset(key: string): void {
    this.failures.delete(key);
  }
}

/** The LeapOCR 429: code TOO_MANY_REQUESTS and a Retry-After header. */
export function tooManyRequests(message: string, retryAfterSeconds: number): ApiError {
  return new ApiError(429, "TOO_MANY_REQUESTS", message, { retry_after_seconds: retryAfterSeconds }, { "retry-after": String(retryAfterSeconds) });
}

/** Throws the 429 when the bucket is empty. */
export function enforce(result: TakeResult, message: string): void {
  if (!result.allowed) throw tooManyRequests(message, result.retryAfterSeconds);
}
