/**
 * The models a deployment offers, the routes behind each step, and the executor that calls a
 * step's routes: per-route and global concurrency limits, a timeout per call, retries with
 * backoff and Retry-After (retry.ts), then fallback to the next route of the step.
 * Without a config file the public names standard-v2 and pro-v2, and `offline`, all run on the
 * embedded offline engine.
 */
import type { ModelDefinition, ModelRoute, StepName } from "../ports/model";
import { DEFAULT_RETRY, RetryPolicy, RouteError, Semaphore, StepFailedError, realSleep, type Sleep } from "./retry";
import { silentLogger, type Logger } from "../lib/logger";

export interface ExecutorOptions {
  retry?: RetryPolicy;
  /** Model calls in flight at most over all external routes. */
  globalConcurrency?: number;
  sleep?: Sleep;
  logger?: Logger;
}

/** Metrics hooks (set by app.ts): one call per attempt, per retry and per fallback to the next route. */
export interface RouteObserver {
  attempt(o: { step: StepName; route: string; provider: string; seconds: number; outcome: string }): void;
  retry(o: { step: StepName; route: string; provider: string; kind: string }): void;
  fallback(o: { step: StepName; route: string; provider: string }): void;
}

const STEP_NAMES: Record<StepName, string> = { ocr: "OCR", refine: "Refinement", boxes: "Bounding boxes", structured: "Structured extraction" };

export class RouteExecutor {
  readonly retry: RetryPolicy;
  private readonly global: Semaphore;
  private readonly perRoute = new WeakMap<ModelRoute, Semaphore>();
  private readonly sleep: Sleep;
  private readonly logger: Logger;
  /** Metrics hooks; none by default. */
  observer: RouteObserver | null = null;

  constructor(o: ExecutorOptions = {}) {
    this.retry = o.retry ?? new RetryPolicy(DEFAULT_RETRY);
    this.global = new Semaphore(o.globalConcurrency ?? 64);
    this.sleep = o.sleep ?? realSleep;
    this.logger = o.logger ?? silentLogger;
  }

  private limitOf(route: ModelRoute): Semaphore | null {
    if (!route.maxConcurrency) return null;
    let s = this.perRoute.get(route);
    if (!s) this.perRoute.set(route, (s = new Semaphore(route.maxConcurrency)));
    return s;
  }

  /**
   * Runs `call` on the step's routes in order until one succeeds. Each route gets up to
   * maxAttempts attempts for retryable failures (429, 5xx, timeouts, resets); anything else, or
   * running out of attempts, moves on to the next route. Errors that are not RouteErrors (the
   * offline engine's document errors) are passed through unchanged when no route succeeds.
   */
  async run<T>(
    step: StepName,
    routes: ModelRoute[],
    call: (route: ModelRoute, signal: AbortSignal) => Promise<T>,
    ctx: { jobId?: string; page?: number; prepare?: (route: ModelRoute) => Promise<void>; signal?: AbortSignal } = {},
  ): Promise<{ value: T; route: ModelRoute; attempts: number }> {
    if (routes.length === 0) throw new StepFailedError(`${STEP_NAMES[step]} has no routes configured for this model.`);
    const reasons: string[] = [];
    let lastOther: unknown = null;
    for (const [index, route] of routes.entries()) {
      if (index > 0) this.observer?.fallback({ step, route: route.name, provider: route.provider });
      let attempt = 0;
      while (true) {
        attempt++;
        let t0 = 0;
        try {
          // Rendering happens before taking a slot, so slots are spent only on the provider's time.
          await ctx.prepare?.(route);
          t0 = performance.now();
          const value = await this.attempt(route, call, ctx.signal);
          this.observer?.attempt({ step, route: route.name, provider: route.provider, seconds: (performance.now() - t0) / 1000, outcome: "ok" });
          return { value, route, attempts: attempt };
        } catch (err) {
          if (t0) this.observer?.attempt({ step, route: route.name, provider: route.provider, seconds: (performance.now() - t0) / 1000, outcome: err instanceof RouteError ? err.kind : "error" });
          if (ctx.signal?.aborted) throw err;
          if (!(err instanceof RouteError)) {
            lastOther = err;
            reasons.push(`${route.name}: ${err instanceof Error ? err.message : String(err)}`);
            this.logger.warn("route failed", { step, route: route.name, job_id: ctx.jobId, page: ctx.page, error: String(err) });
            break;
          }
          const delay = this.retry.delayAfter(err, attempt);
          this.logger.warn("model call failed", {
            step, route: route.name, job_id: ctx.jobId, page: ctx.page, attempt, kind: err.kind, status: err.opts.status, retry_in_ms: delay, error: err.message,
          });
          if (delay === null) {
            reasons.push(`${route.name}: ${err.message}${attempt > 1 ? ` (after ${attempt} attempts)` : ""}`);
            break;
          }
          this.observer?.retry({ step, route: route.name, provider: route.provider, kind: err.kind });
          await this.sleep(delay, ctx.signal);
        }
      }
    }
    if (lastOther && reasons.length === 1) throw lastOther;
    throw new StepFailedError(
      routes.length === 1 ? `${STEP_NAMES[step]} failed: ${reasons[0]}` : `${STEP_NAMES[step]} failed on every route: ${reasons.join("; ")}`,
    );
  }

  /** One call under the route's and the global limit, aborted at the route's timeout. */
  private async attempt<T>(route: ModelRoute, call: (route: ModelRoute, signal: AbortSignal) => Promise<T>, outer?: AbortSignal): Promise<T> {
    const external = route.provider !== "offline";
    const limit = this.limitOf(route);
    if (limit) await limit.acquire(outer);
    try {
      if (external) await this.global.acquire(outer);
      try {
        const controller = new AbortController();
        const onOuter = () => controller.abort(outer!.reason);
        outer?.addEventListener("abort", onOuter, { once: true });
        let timer: ReturnType<typeof setTimeout> | undefined;
        const timeoutMs = route.timeoutMs;
        const timedOut = new Promise<never>((_, reject) => {
          if (!timeoutMs) return;
          timer = setTimeout(() => {
            const err = new RouteError(`${route.provider}:${route.name} did not answer within ${Math.round(timeoutMs / 100) / 10} s.`, "timeout");
            controller.abort(err);
            reject(err);
          }, timeoutMs);
        });
        timedOut.catch(() => {});
        try {
          // Raced, so that a client that ignores the signal cannot hold the slot past the timeout.
          return await Promise.race([call(route, controller.signal), timedOut]);
        } catch (err) {
          if (controller.signal.aborted && controller.signal.reason instanceof RouteError) throw controller.signal.reason;
          throw err;
        } finally {
          clearTimeout(timer);
          outer?.removeEventListener("abort", onOuter);
        }
      } finally {
        if (external) this.global.release();
      }
    } finally {
      limit?.release();
    }
  }
}

/**
 * Older public model names the official SDKs still send (the Python SDK's Model enum, the Go
 * SDK's constants and default), and today's model each one runs as. A deployment that
 * configures a model under one of these names keeps its own model: the alias then does nothing.
 */
export const LEGACY_MODEL_ALIASES: Readonly<Record<string, string>> = {
  "standard-v1": "standard-v2",
  "english-pro-v1": "pro-v2",
  "pro-v1": "pro-v2",
};

export class ModelRegistry {
  private readonly byName: Map<string, ModelDefinition>;

  constructor(
    readonly models: ModelDefinition[],
    readonly executor: RouteExecutor = new RouteExecutor(),
  ) {
    this.byName = new Map(models.map((m) => [m.name, m]));
  }

  /** The model of exactly this name (what a job row stores). */
  get(name: string): ModelDefinition | undefined {
    return this.byName.get(name);
  }

  /** The model a client's name means: its own name first, then a legacy alias. */
  resolve(name: string): ModelDefinition | undefined {
    const alias = LEGACY_MODEL_ALIASES[name];
    return this.byName.get(name) ?? (alias === undefined ? undefined : this.byName.get(alias));
  }

  /** The legacy names that resolve to `model` (none when a model of that name is configured). */
  aliasesOf(model: string): string[] {
    return Object.entries(LEGACY_MODEL_ALIASES)
      .filter(([alias, target]) => target === model && !this.byName.has(alias))
      .map(([alias]) => alias);
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  /** Every distinct route of every model and step. */
  routes(): ModelRoute[] {
    return [...new Set(this.models.flatMap((m) => [...m.routes, ...(m.refineRoutes ?? []), ...(m.boxRoutes ?? []), ...(m.structuredRoutes ?? [])]))];
  }

  private warmed = false;

  /** Has every route load its provider's SDK now (~40-90 ms each), not during the first page. Once: it runs on every upload. */
  warm(): void {
    if (this.warmed) return;
    this.warmed = true;
    for (const r of this.routes()) r.warm?.();
  }

  async close(): Promise<void> {
    await Promise.all(this.routes().map((r) => r.close?.()));
  }
}

export function defaultModels(offline: ModelRoute): ModelDefinition[] {
  const backed = "Runs on the embedded offline engine (PDF text layer, OCR for scanned pages).";
  return [
    { name: "standard-v2", displayName: "Standard v2", description: `LeapOCR's standard model name. ${backed}`, creditsPerPage: 1, priority: 1, surchargePerPage: 0, routes: [offline], supportsStructured: false },
    { name: "pro-v2", displayName: "Pro v2", description: `LeapOCR's pro model name. ${backed}`, creditsPerPage: 3, priority: 2, surchargePerPage: 2, routes: [offline], supportsStructured: false },
    { name: "offline", displayName: "Offline engine", description: `${backed} Needs no model key and no network.`, creditsPerPage: 1, priority: 0, surchargePerPage: 0, routes: [offline], supportsStructured: false },
  ];
}

/** The defaults, with the config file's models replacing those of the same name and added after. */
export function mergeModels(defaults: ModelDefinition[], configured: ModelDefinition[]): ModelDefinition[] {
  const names = new Set(configured.map((m) => m.name));
  return [...defaults.filter((m) => !names.has(m.name)), ...configured];
}

export const DEFAULT_MODEL = "standard-v2";
