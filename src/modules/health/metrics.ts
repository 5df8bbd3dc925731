/**
 * Every metric the server exposes at /metrics, in one place (docs/OPERATIONS.md lists them).
 * Counters and histograms are fed by hooks in the HTTP layer, the runner, the route executor,
 * the storage decorator and the queue decorator; gauges read the queue at scrape time.
 */
import { statSync } from "node:fs";
import { Registry } from "../../lib/metrics";
import type { QueueStats } from "../../ports/job-store";
import type { RouteObserver } from "../../adapters/router";
import type { RunnerObserver } from "../../pipeline/runner";

export interface MetricSources {
  /** Read before each scrape (the store answers from its own thread). */
  queueStats: () => Promise<QueueStats>;
  pagesInFlight: () => number;
  dbPath: string;
}

export function createServerMetrics() {
  const registry = new Registry();
  let sources: MetricSources | null = null;
  let queueStats: QueueStats | null = null;
  const started = Date.now();

  const m = {
    registry,
    httpRequests: registry.counter("leapocr_http_requests_total", "HTTP requests answered, by method, route template and status.", ["method", "route", "status"]),
    httpSeconds: registry.histogram("leapocr_http_request_duration_seconds", "Time to answer an HTTP request, by method and route template.", ["method", "route"]),
    jobs: registry.counter("leapocr_jobs_total", "Jobs that ended, by status (completed or failed).", ["status"]),
    pages: registry.counter("leapocr_pages_total", "Pages that ended, by outcome: completed, failed, or released at shutdown. rate() of it is pages per second.", ["outcome"]),
    pageSeconds: registry.histogram("leapocr_page_duration_seconds", "Time to read one page, all steps.", ["outcome"]),
    routeSeconds: registry.histogram("leapocr_model_route_duration_seconds", "One model call attempt, by step, provider, route and outcome (ok or the failure kind).", ["step", "provider", "route", "outcome"]),
    routeRetries: registry.counter("leapocr_model_route_retries_total", "Model call attempts retried, by step, provider, route and failure kind.", ["step", "provider", "route", "kind"]),
    routeFallbacks: registry.counter("leapocr_model_route_fallbacks_total", "Steps that moved on to this next route after the previous failed.", ["step", "provider", "route"]),
    storageSeconds: registry.histogram("leapocr_storage_operation_seconds", "Storage calls, by backend and operation.", ["backend", "op"]),
    storageErrors: registry.counter("leapocr_storage_errors_total", "Storage calls that failed, by backend and operation.", ["backend", "op"]),
    dbSeconds: registry.histogram("leapocr_db_operation_seconds", "Job queue database operations (one short transaction each), by operation.", ["op"]),
    dbErrors: registry.counter("leapocr_db_errors_total", "Job queue database operations that failed, by operation.", ["op"]),
    readinessFailures: registry.counter("leapocr_readiness_failures_total", "Readiness checks that failed, by check.", ["check"]),
    queue: registry.gauge("leapocr_queue_depth", "Work in the queue: jobs queued or active, pages pending or processing (all processes sharing the database).", ["kind"], (g) => {
      const s = queueStats;
      if (!s) return;
      g.set(s.jobsQueued, { kind: "jobs_queued" });
      g.set(s.jobsActive, { kind: "jobs_active" });
      g.set(s.pagesPending, { kind: "pages_pending" });
      g.set(s.pagesProcessing, { kind: "pages_processing" });
    }),
    inFlight: registry.gauge("leapocr_pages_in_flight", "Pages this process is reading right now.", [], (g) => {
      if (sources) g.set(sources.pagesInFlight());
    }),
    dbSize: registry.gauge("leapocr_db_size_bytes", "Size of the database file and of its write-ahead log.", ["file"], (g) => {
      if (!sources) return;
      for (const [file, path] of [["db", sources.dbPath], ["wal", `${sources.dbPath}-wal`]] as const) {
        try {
          g.set(statSync(path).size, { file });
        } catch {
          g.set(0, { file });
        }
      }
    }),
    process: registry.gauge("leapocr_process_resident_memory_bytes", "Resident memory of the server process.", [], (g) => g.set(process.memoryUsage.rss())),
    uptime: registry.gauge("leapocr_process_uptime_seconds", "Seconds since the server started.", [], (g) => g.set(Math.round((Date.now() - started) / 1000))),

    eventLoopLag: registry.histogram("leapocr_event_loop_lag_seconds", "How late a 100 ms timer fires: time the main thread was busy or blocked.", [], [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]),

    setSources(s: MetricSources) {
      sources = s;
    },
    /** Reads what the gauges need from asynchronous sources; call before rendering a scrape. */
    async collect(): Promise<void> {
      if (sources) queueStats = await sources.queueStats();
    },
  };

  // Event loop lag: everything (HTTP, SQLite, PDF parsing) shares the main thread.
  let expected = performance.now() + 100;
  const lagTimer = setInterval(() => {
    const now = performance.now();
    m.eventLoopLag.observe(Math.max(0, now - expected) / 1000);
    expected = now + 100;
  }, 100);
  lagTimer.unref?.();

  const runnerObserver: RunnerObserver = {
    pageStarted() {},
    pageEnded(outcome, seconds) {
      m.pages.inc({ outcome });
      m.pageSeconds.observe(seconds, { outcome });
    },
  };
  const routeObserver: RouteObserver = {
    attempt: (o) => m.routeSeconds.observe(o.seconds, { step: o.step, provider: o.provider, route: o.route, outcome: o.outcome }),
    retry: (o) => m.routeRetries.inc({ step: o.step, provider: o.provider, route: o.route, kind: o.kind }),
    fallback: (o) => m.routeFallbacks.inc({ step: o.step, provider: o.provider, route: o.route }),
  };
  return { ...m, runnerObserver, routeObserver, stop: () => clearInterval(lagTimer) };
}

export type ServerMetrics = ReturnType<typeof createServerMetrics>;
