/**
 * Builds the whole server from a Config: database, storage, queue, model routes, worker and
 * HTTP routes. main.ts and the tests both call createApp, so tests run the real thing on a
 * temp directory.
 */
import { Elysia } from "elysia";
import { join } from "node:path";
import { ConfigError, checkStorageForDatabase, sqliteDatabaseFile, type Config } from "./config";
import type { AppContext } from "./context";
import { openDatabase } from "./db/client";
import { sqliteDatabase } from "./adapters/database-sqlite";
import { serverSecret } from "./db/server-secrets";
import { migrate } from "./db/migrate";
import { LocalStorage, UPLOAD_PART_ROUTE } from "./adapters/storage-local";
import { S3Storage } from "./adapters/storage-s3";
import type { StoragePort } from "./ports/storage";
import { KeyRing } from "./lib/encryption";
import { RetentionScheduler } from "./scheduler/retention";
import { settingsRoutes } from "./modules/settings";
import { jobRoutes } from "./modules/jobs";
import { templateRoutes } from "./modules/templates";
import { webhookRoutes } from "./modules/webhooks";
import { WebhookDispatcher, wakeDispatcher, type DispatcherOptions } from "./modules/webhooks/dispatcher";
import { creditRoutes } from "./modules/credits";
import { analyticsRoutes } from "./modules/analytics";
import { authRoutes, orgRoutes, apiKeyRoutes } from "./modules/auth/routes";
import { invitationRoutes, memberRoutes } from "./modules/members";
import { auditRoutes } from "./modules/audit";
import { bootstrapAdmin } from "./modules/auth/bootstrap";
import { AuditRetentionScheduler } from "./scheduler/audit-retention";
import { WorkerJobStore } from "./adapters/job-store-worker";
import { OfflineRoute } from "./adapters/model-offline";
import type { ModelRegistry } from "./adapters/router";
import type { Sleep } from "./adapters/retry";
import { buildModels, readConfigFile } from "./config-file";
import { subprocessorRoutes } from "./modules/subprocessors";
import { holdRenderPool, warmRenderPool } from "./pipeline/document";
import { PipelineRunner } from "./pipeline/runner";
import { errorResponse } from "./lib/error-response";
import { bodyGate, depthGate } from "./lib/request-body";
import { ensurePrivateDatabase, ensurePrivateDir } from "./lib/private-files";
import { createLogger, type Logger } from "./lib/logger";
import { fetchDocumentBytes, parseAllowHosts } from "./lib/url-fetch";
import { bootstrapTenancy } from "./modules/auth/service";
import { ocrRoutes } from "./modules/ocr";
import { uploadRoutes } from "./modules/uploads";
import { healthRoutes } from "./modules/health";
import { Readiness } from "./modules/health/readiness";
import { createServerMetrics } from "./modules/health/metrics";
import { withStorageMetrics } from "./adapters/storage-metrics";
import { timeMethods } from "./lib/metrics";
import { acceptRequestId, enterRequest } from "./lib/request-id";
import type { JobStore } from "./ports/job-store";
import type { ReplicaSignals } from "./ports/signals";
import { LocalSignals } from "./adapters/signals-local";
import type { Leadership } from "./ports/leadership";
import { LocalLeadership } from "./adapters/leadership-local";
import { DOCS_CSP, DOCS_PATH, docsPlugin, type DocumentedRoute } from "./modules/docs";
import { API_CSP, securityHeaders } from "./lib/security-headers";
import { dashboardPlugin } from "./modules/dashboard";
import { MCP_ROUTE, mcpRoutes } from "./modules/mcp";
import { POLAR_WEBHOOK_ROUTE, polarBillingRoutes } from "./modules/billing";
import pkg from "../package.json";

export interface AppDeps {
  logger?: Logger;
  clock?: () => number;
  /** Webhook dispatcher jitter, poll sleep and fetch (tests). */
  webhookDispatcher?: DispatcherOptions;
  /** Replace the model registry (tests of other routes, later the config file). */
  models?: ModelRegistry;
  /** For the config file's routes: where API keys are read (default process.env), and the retry sleep/jitter (tests). */
  modelEnv?: Record<string, string | undefined>;
  retrySleep?: Sleep;
  retryRandom?: () => number;
}

/** Local disk by default; an S3-compatible bucket when --storage s3. The one place that chooses. */
function createStorage(config: Config, signingKey: string): StoragePort {
  if (config.storage === "s3") {
    const missing = (["s3Bucket", "s3AccessKeyId", "s3SecretAccessKey"] as const).filter((k) => !config[k]);
    if (missing.length > 0) throw new ConfigError(`--storage s3 needs ${missing.map((k) => `LEAPOCR_${k.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`).join(", ")}.`);
    return new S3Storage({
      endpoint: config.s3Endpoint, region: config.s3Region, bucket: config.s3Bucket, accessKeyId: config.s3AccessKeyId,
      secretAccessKey: config.s3SecretAccessKey, forcePathStyle: config.s3ForcePathStyle, keyPrefix: config.s3KeyPrefix,
      serverSideEncryption: config.s3ServerSideEncryption, sseKmsKeyId: config.s3SseKmsKeyId,
    });
  }
  let keys: KeyRing | undefined;
  if (config.encryptionKeys) {
    try {
      keys = KeyRing.parse(config.encryptionKeys);
    } catch (err) {
      throw new ConfigError((err as Error).message);
    }
  }
  return new LocalStorage(join(config.dataDir, "files"), signingKey, keys);
}

export function createApp(config: Config, deps: AppDeps = {}) {
  const logger = deps.logger ?? createLogger(config.logLevel);
  const clock = deps.clock ?? Date.now;
  const dbPath = sqliteDatabaseFile(config);
  // A no-op on SQLite; applies as soon as a PostgreSQL URL is accepted above (issue 16).
  checkStorageForDatabase(config);
  const loosened = [...(ensurePrivateDir(config.dataDir) ? [config.dataDir] : []), ...ensurePrivateDatabase(dbPath)];
  if (loosened.length > 0) logger.warn("others could read the data directory: their access is taken off", { paths: loosened });
  const db = openDatabase(dbPath);
  migrate(db);
  const metrics = config.metrics ? createServerMetrics() : null;
  const rawStorage = createStorage(config, serverSecret(db, "upload-signing-key", clock()));
  const storage = metrics ? withStorageMetrics(rawStorage, metrics.storageSeconds, metrics.storageErrors) : rawStorage;
  // The job store runs on its own thread and connection (adapters/job-store-worker.ts): the
  // pipeline's transactions take neither this thread's CPU nor this connection's lock, so status
  // reads here never queue behind them. Migrations ran above, before the thread opens the file.
  const storeThread = new WorkerJobStore(dbPath, {
    clock,
    webhookMaxAttempts: config.webhookMaxAttempts,
    onEventsQueued: () => wakeDispatcher(db),
    onCrash: (err) => logger.error("the job store thread stopped: jobs can no longer change; restart the server", { error: err.message }),
  });
  const jobStore: JobStore = metrics ? timeMethods<JobStore>(storeThread, metrics.dbSeconds, {}, metrics.dbErrors) : storeThread;
  const offline = new OfflineRoute({
    ocrDpi: config.ocrDpi,
    ocrWorkers: config.ocrWorkers,
    ocrLangs: config.ocrLangs.split(",").map((s) => s.trim()).filter(Boolean),
    ocrLangDir: config.ocrLangDir,
  });
  const built = buildModels(config.configFile ? readConfigFile(config.configFile) : null, offline, {
    env: deps.modelEnv,
    pageConcurrency: config.pageConcurrency,
    logger,
    sleep: deps.retrySleep,
    random: deps.retryRandom,
  });
  const models = deps.models ?? built.registry;
  if (metrics) models.executor.observer = metrics.routeObserver;
  const releaseRenderPool = holdRenderPool();
  // Work queued and jobs ended reach every replica's workers and event streams through these
  // signals; in one process they are calls (with PostgreSQL: LISTEN/NOTIFY, adapters/signals-postgres.ts).
  const signals: ReplicaSignals = new LocalSignals();
  // The singleton passes (retention, audit retention, sweeps) run on the one leading replica;
  // one process always leads (with PostgreSQL: an advisory lock, adapters/leadership-postgres.ts).
  const leader: Leadership = new LocalLeadership();
  let strandedTimer: ReturnType<typeof setInterval> | undefined;
  const runner = new PipelineRunner({
    store: jobStore,
    storage,
    models,
    limits: { maxPages: config.maxPages, maxPagePixels: config.maxPagePixels, maxFileBytes: config.maxFileBytes },
    concurrency: built.pageConcurrency,
    leaseMs: config.leaseSeconds * 1000,
    logger,
    fetchDocument: (url) =>
      fetchDocumentBytes(url, { maxBytes: config.maxFileBytes, timeoutMs: config.urlFetchTimeoutSeconds * 1000, allowHosts: parseAllowHosts(config.urlAllowHosts) }),
    observer: metrics?.runnerObserver,
    onWorkQueued: () => signals.workQueued(),
    // The job's event is already queued with its end (its payload may carry the results, which
    // 0-day retention then counts as delivered).
    onJobFinished: (jobId) => {
      signals.jobChanged(jobId);
      if (metrics) {
        void storeThread.jobStatus(jobId).then((status) => status && metrics.jobs.inc({ status }), () => {}); // after close: nothing to count
      }
      void retention.onJobFinished(jobId).catch((err) => logger.error("retention on job end failed", { job_id: jobId, error: String(err) }));
    },
  });
  const ctx: AppContext = {
    config, db, data: sqliteDatabase(db), storage, jobStore, models, logger, clock,
    wakeWorkers: () => signals.workQueued(),
    peerAddress: (request) => app.server?.requestIP(request)?.address ?? null,
    // PDFs (or what may be one) will need the PDF workers, and every document the model routes'
    // SDKs: load them while the file uploads.
    expectDocument: (type) => {
      if (type === null || type === "application/pdf" || type === "application/octet-stream") warmRenderPool();
      models.warm();
    },
  };
  const requestStarts = new WeakMap<Request, number>();
  const readiness = new Readiness({ sqlite: db.$client, storage, dataDir: config.dataDir, minFreeDiskMb: config.minFreeDiskMb, clock });
  metrics?.setSources({ queueStats: () => storeThread.stats(), pagesInFlight: () => runner.pagesInFlight, dbPath });
  const webhooks = new WebhookDispatcher(ctx, deps.webhookDispatcher);
  const retention = new RetentionScheduler(ctx, leader);
  const bootstrap = bootstrapTenancy(db, config.bootstrapApiKey, clock());
  bootstrapAdmin(db, config, clock());
  const auditRetention = new AuditRetentionScheduler(ctx, undefined, leader);
  const dashboard = dashboardPlugin(ctx);
  signals.onWork(() => runner.wake());
  signals.onJobChanged((jobId) => void dashboard.hub.jobChanged(jobId));
  // Polar billing: only when its webhook secret is set (the route does not exist otherwise).
  const polarBilling = polarBillingRoutes(ctx) ?? new Elysia({ name: "billing.off" });

  const app = new Elysia()
    // Request id (X-Request-Id in and out, on every log line of the request) and HTTP metrics.
    .onRequest(({ request, set }) => {
      const requestId = acceptRequestId(request.headers.get("x-request-id"));
      enterRequest({ requestId });
      set.headers["x-request-id"] = requestId;
      Object.assign(set.headers, securityHeaders(new URL(request.url).pathname === DOCS_PATH ? DOCS_CSP : API_CSP));
      requestStarts.set(request, performance.now());
    })
    // Before any body is read: its declared size (bodyGate), then the route's guard, which
    // authenticates in the parse phase; after parsing, its depth (depthGate), before validation.
    .onRequest(bodyGate({ maxJsonBytes: config.maxJsonBytes, rawRoutes: [UPLOAD_PART_ROUTE, MCP_ROUTE, POLAR_WEBHOOK_ROUTE] }))
    .onTransform(depthGate)
    .onAfterResponse(({ request, route, set, response }) => {
      const t0 = requestStarts.get(request);
      const ms = t0 === undefined ? 0 : performance.now() - t0;
      const status = response instanceof Response ? response.status : typeof set.status === "number" ? set.status : 200;
      const label = route || "unmatched";
      if (metrics) {
        metrics.httpRequests.inc({ method: request.method, route: label, status });
        metrics.httpSeconds.observe(ms / 1000, { method: request.method, route: label });
      }
      logger.debug("request", { method: request.method, route: label, status, ms: Math.round(ms * 10) / 10 });
    })
    .onError(({ code, error, set }) => {
      const { status, body, headers } = errorResponse(code, error, logger);
      set.status = status;
      if (headers) Object.assign(set.headers, headers);
      return body;
    })
    .use(docsPlugin({ publicUrl: config.publicUrl || undefined, routes: (): readonly DocumentedRoute[] => app.routes }))
    .use(healthRoutes(pkg.version, { readiness, metrics, metricsToken: config.metricsToken, peerAddress: ctx.peerAddress }))
    .use(uploadRoutes(ctx))
    .use(ocrRoutes(ctx, "/api/v1", true))
    .use(subprocessorRoutes(ctx))
    .use(ocrRoutes(ctx, "", false))
    .use(settingsRoutes(ctx))
    .use(jobRoutes(ctx))
    .use(templateRoutes(ctx))
    .use(webhookRoutes(ctx))
    .use(creditRoutes(ctx))
    .use(analyticsRoutes(ctx))
    .use(authRoutes(ctx))
    .use(orgRoutes(ctx))
    .use(apiKeyRoutes(ctx))
    .use(memberRoutes(ctx))
    .use(invitationRoutes(ctx))
    .use(auditRoutes(ctx))
    .use(mcpRoutes(ctx))
    .use(polarBilling)
    .use(dashboard.app);

  return {
    app,
    ctx,
    runner,
    readiness,
    metrics,
    retention,
    webhooks,
    /** The job store's thread (tests hold its write transaction open with holdWriteTransaction). */
    storeThread,
    /** Starts the worker and the retention scheduler, after sweeping files no live job owns. */
    async start(): Promise<void> {
      await leader
        .runIfLeader(async () => {
          // Uploads abandoned while the server was down go before the sweep keeps their parts.
          await retention.purgeAbandonedUploads().catch((err) => logger.error("abandoned upload purge failed", { error: String(err) }));
          await retention.sweepOrphans().catch((err) => logger.error("orphan sweep failed", { error: String(err) }));
        })
        .catch((err) => logger.error("start-up sweeps failed", { error: String(err) }));
      await runner.start();
      // Jobs a replica that died left between their last page and their finish (a single
      // process finds its own at start, above).
      strandedTimer = setInterval(
        () => void leader.runIfLeader(() => runner.finishStranded()).catch((err) => logger.error("unfinished job sweep failed", { error: String(err) })),
        config.retentionSweepSeconds * 1000,
      );
      retention.start();
      webhooks.start();
      auditRetention.start();
      readiness.phase = "ready";
    },
    /** The generated API key to print once at first start, when no bootstrap key was given. */
    firstApiKey: bootstrap.printedKey,
    /**
     * Stops the workers: pages in flight get `graceMs` to finish, then their leases are given
     * back; the write-ahead log is checkpointed into the database file before it is closed.
     */
    async close(graceMs = 10_000): Promise<void> {
      readiness.phase = "stopping";
      metrics?.stop();
      dashboard.hub.stop();
      clearInterval(strandedTimer);
      await retention.stop();
      await webhooks.stop();
      auditRetention.stop();
      await runner.stop(graceMs);
      await releaseRenderPool();
      await models.close();
      await signals.close();
      await leader.close();
      // Every lease is given back by now; the thread's connection closes before ours checkpoints.
      await storeThread.close();
      try {
        // The pragma answers busy = 1 (it does not throw) while the store thread's connection is
        // still letting go of its locks after it closed; a short wait lets it finish.
        let checkpoint: { busy: number; log: number; checkpointed: number } | null = null;
        for (let attempt = 0; attempt < 40; attempt++) {
          checkpoint = db.$client.query<{ busy: number; log: number; checkpointed: number }, []>("PRAGMA wal_checkpoint(TRUNCATE)").get();
          if (!checkpoint?.busy) break;
          await Bun.sleep(50);
        }
        if (checkpoint?.busy) logger.warn("WAL checkpoint at shutdown could not truncate the log", { ...checkpoint });
      } catch (err) {
        logger.warn("WAL checkpoint at shutdown failed", { error: String(err) });
      }
      db.$client.close();
    },
  };
}
