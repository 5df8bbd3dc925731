/** The retry policy and the semaphores behind the concurrency limits. */
import { expect, test } from "bun:test";
import { RetryPolicy, RouteError, Semaphore, parseRetryAfter } from "../../src/adapters/retry";

const h = (headers: Record<string, string>) => (name: string) => headers[name] ?? null;

test("Retry-After in seconds, as an HTTP date, and OpenAI's retry-after-ms", () => {
  expect(parseRetryAfter(h({ "retry-after": "3" }))).toBe(3000);
  expect(parseRetryAfter(h({ "retry-after-ms": "250", "retry-after": "3" }))).toBe(250);
  expect(parseRetryAfter(h({ "retry-after": new Date(10_000).toUTCString() }), 4_000)).toBe(6000);
  expect(parseRetryAfter(h({ "retry-after": "soon" }))).toBeUndefined();
  expect(parseRetryAfter(h({}))).toBeUndefined();
});

test("exponential backoff with full jitter, capped; Retry-After wins; non-retryable errors stop", () => {
  const policy = new RetryPolicy({ maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 500, maxRetryAfterMs: 10_000 }, () => 1);
  const server = new RouteError("x", "server");
  expect([1, 2, 3, 4].map((a) => policy.delayAfter(server, a))).toEqual([100, 200, 400, 500]);
  expect(policy.delayAfter(server, 5)).toBeNull();
  expect(policy.delayAfter(new RouteError("x", "rate_limited", { retryAfterMs: 2500 }), 1)).toBe(2500);
  // A wait longer than the cap: give the route up and fall back instead.
  expect(policy.delayAfter(new RouteError("x", "rate_limited", { retryAfterMs: 60_000 }), 1)).toBeNull();
  expect(policy.delayAfter(new RouteError("x", "rejected", { status: 401 }), 1)).toBeNull();
  expect(policy.delayAfter(new RouteError("x", "bad_output"), 1)).toBeNull();
  for (const kind of ["timeout", "network"] as const) expect(policy.delayAfter(new RouteError("x", kind), 1)).toBe(100);
  const jittered = new RetryPolicy({ maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 500, maxRetryAfterMs: 0 }, () => 0.25);
  expect(jittered.delayAfter(server, 2)).toBe(50);
});

test("a semaphore admits at most its limit, first come first served", async () => {
  const s = new Semaphore(2);
  const order: number[] = [];
  let active = 0;
  let peak = 0;
  await Promise.all(
    [1, 2, 3, 4, 5].map((i) =>
      s.use(async () => {
        active++;
        peak = Math.max(peak, active);
        order.push(i);
        await Bun.sleep(5);
        active--;
      }),
    ),
  );
  expect(peak).toBe(2);
  expect(order).toEqual([1, 2, 3, 4, 5]);
  expect(s.inUse).toBe(0);
});
