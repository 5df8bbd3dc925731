/**
 * The server's one retry mechanism for model calls (the SDKs' own retries are switched off):
 * which failures are worth another attempt, how long to wait (exponential backoff with full
 * jitter, or the provider's Retry-After when it sends one), and counting semaphores for the
 * per-route and global concurrency limits. Sleep, clock and randomness are injectable so fault
 * tests run in milliseconds.
 */

// The errors a model route raises belong to the model port (the pipeline reads them too).
import { RouteError, type RouteErrorKind } from "../ports/model";
export { RouteError, StepFailedError, type RouteErrorKind } from "../ports/model";

export function kindForStatus(status: number): RouteErrorKind {
  if (status === 429) return "rate_limited";
  if (status === 408 || status >= 500) return status === 408 ? "timeout" : "server";
  return "rejected";
}

/**
 * Reads `retry-after-ms` (OpenAI's extension) or `retry-after` (seconds or an HTTP date).
 * Answers milliseconds, or undefined when there is no usable header.
 */
export function parseRetryAfter(get: (name: string) => string | null | undefined, now: number = Date.now()): number | undefined {
  const ms = get("retry-after-ms");
  if (ms && /^\d+(\.\d+)?$/.test(ms.trim())) return Math.max(0, Math.round(Number(ms)));
  const value = get("retry-after")?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.max(0, Math.round(Number(value) * 1000));
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export interface RetryPolicyOptions {
  /** Attempts per route, the first included. */
  maxAttempts: number;
  /** Backoff base: attempt n waits a random time in [0, min(maxDelayMs, baseDelayMs * 2^(n-1))]. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is not waited for: the next route is tried instead. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicyOptions = { maxAttempts: 3, baseDelayMs: 500, maxDelayMs: 20_000, maxRetryAfterMs: 60_000 };

export class RetryPolicy {
  constructor(
    readonly o: RetryPolicyOptions = DEFAULT_RETRY,
    private readonly random: () => number = Math.random,
  ) {}

  /**
   * How long to wait before attempt `attempt + 1` after `err` on attempt `attempt` (1-based),
   * or null when the route should be given up (not retryable, attempts used, Retry-After too long).
   */
  delayAfter(err: RouteError, attempt: number): number | null {
    if (!err.retryable || attempt >= this.o.maxAttempts) return null;
    const retryAfter = err.opts.retryAfterMs;
    if (retryAfter !== undefined) return retryAfter > this.o.maxRetryAfterMs ? null : retryAfter;
    const cap = Math.min(this.o.maxDelayMs, this.o.baseDelayMs * 2 ** (attempt - 1));
    // Full jitter: spreads the retries of many pages that failed together.
    return Math.round(this.random() * cap);
  }
}

/** A counting semaphore, FIFO. */
export class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly limit: number) {
    if (!(limit >= 1)) throw new RangeError(`Semaphore limit must be >= 1, got ${limit}`);
  }

  get inUse(): number {
    return this.active;
  }

  async acquire(signal?: AbortSignal): Promise<void> {
    if (this.active < this.limit) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const grant = () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      };
      const onAbort = () => {
        const i = this.waiting.indexOf(grant);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(signal!.reason ?? new Error("aborted"));
      };
      this.waiting.push(grant);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  release(): void {
    const next = this.waiting.shift();
    // The slot passes straight to the next waiter; `active` stays the same.
    if (next) next();
    else this.active--;
  }

  async use<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.acquire(signal);
    try {
      return await work();
    } finally {
      this.release();
    }
  }
}

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export const realSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
