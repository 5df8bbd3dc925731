/**
 * Every setting of the server: its flag, its environment variable (one prefix, LEAPOCR_),
 * its default and its valibot schema. `leapocr --help` is generated from this table, so a
 * setting cannot exist without being documented.
 */
import * as v from "valibot";
import { availableParallelism } from "node:os";
import { resolve } from "node:path";

const int = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  v.pipe(v.unknown(), v.transform(Number), v.number(), v.integer(), v.minValue(min), v.maxValue(max));
const str = () => v.pipe(v.unknown(), v.transform(String), v.string());
/** Empty, or a link a browser can open: http(s) for a page, mailto: for an address. */
const link = () =>
  v.pipe(
    str(),
    v.trim(),
    v.check((s) => {
      if (s === "") return true;
      try {
        const u = new URL(s);
        return (u.protocol === "https:" || u.protocol === "http:") ? u.hostname !== "" : u.protocol === "mailto:" && u.pathname.includes("@");
      } catch {
        return false;
      }
    }, "must be an https://, http:// or mailto: link"),
  );
const bool = () =>
  v.pipe(
    v.unknown(),
    v.transform((x) => (typeof x === "boolean" ? x : ["1", "true", "yes", "on"].includes(String(x).toLowerCase()))),
    v.boolean(),
  );

interface Setting {
  flag: string;
  env: string;
  help: string;
  default?: unknown;
  schema: v.GenericSchema<unknown, unknown>;
}

const cores = availableParallelism();

export const SETTINGS = {
  port: { flag: "port", env: "LEAPOCR_PORT", help: "HTTP port (0 picks a free one)", default: 8080, schema: int(0, 65535) },
  host: { flag: "host", env: "LEAPOCR_HOST", help: "Address to listen on", default: "0.0.0.0", schema: str() },
  dataDir: { flag: "data-dir", env: "LEAPOCR_DATA_DIR", help: "Directory for the database and stored files", default: "./data", schema: str() },
  databaseUrl: { flag: "database-url", env: "LEAPOCR_DATABASE_URL", help: "PostgreSQL URL for several replicas: not supported yet (only the job store runs on PostgreSQL so far), so the server refuses to start with it; unset, the database is SQLite in the data directory", default: "", schema: str() },
  publicUrl: { flag: "public-url", env: "LEAPOCR_PUBLIC_URL", help: "External base URL used in upload URLs (default: taken from the request's Host)", default: "", schema: str() },
  bootstrapApiKey: { flag: "bootstrap-api-key", env: "LEAPOCR_BOOTSTRAP_API_KEY", help: "At first start, use this exact key as the default team's first API key", default: "", schema: str() },
  maxFileBytes: { flag: "max-file-bytes", env: "LEAPOCR_MAX_FILE_BYTES", help: "Largest accepted upload in bytes", default: 200 * 1024 * 1024, schema: int(1) },
  maxJsonBytes: { flag: "max-json-bytes", env: "LEAPOCR_MAX_JSON_BYTES", help: "Largest JSON request body in bytes; larger ones, and bodies without a Content-Length, are refused before they are read (file parts: --max-file-bytes)", default: 1024 * 1024, schema: int(1024) },
  maxPages: { flag: "max-pages", env: "LEAPOCR_MAX_PAGES", help: "Most pages accepted in one document", default: 1000, schema: int(1) },
  maxPagePixels: { flag: "max-page-pixels", env: "LEAPOCR_MAX_PAGE_PIXELS", help: "Most pixels in one page image (width x height)", default: 100_000_000, schema: int(1) },
  pageConcurrency: { flag: "page-concurrency", env: "LEAPOCR_PAGE_CONCURRENCY", help: "Pages processed at the same time", default: cores, schema: int(1, 256) },
  ocrWorkers: { flag: "ocr-workers", env: "LEAPOCR_OCR_WORKERS", help: "Offline OCR engine worker threads", default: cores, schema: int(1, 64) },
  ocrDpi: { flag: "ocr-dpi", env: "LEAPOCR_OCR_DPI", help: "DPI at which scanned PDF pages are rendered for OCR", default: 300, schema: int(72, 600) },
  ocrLangs: { flag: "ocr-langs", env: "LEAPOCR_OCR_LANGS", help: "Comma-separated OCR languages (eng is embedded; others need --ocr-lang-dir)", default: "eng", schema: str() },
  ocrLangDir: { flag: "ocr-lang-dir", env: "LEAPOCR_OCR_LANG_DIR", help: "Directory holding <lang>.traineddata files for extra OCR languages", default: "", schema: str() },
  leaseSeconds: { flag: "lease-seconds", env: "LEAPOCR_LEASE_SECONDS", help: "How long a worker's claim on a page lasts before another may take it", default: 120, schema: int(5, 3600) },
  uploadUrlTtlSeconds: { flag: "upload-url-ttl", env: "LEAPOCR_UPLOAD_URL_TTL", help: "Seconds a signed upload URL stays valid", default: 3600, schema: int(60, 7 * 86400) },
  uploadExpiryHours: { flag: "upload-expiry-hours", env: "LEAPOCR_UPLOAD_EXPIRY_HOURS", help: "Hours a direct upload may stay unfinished (complete never called) before its job, parts and files are deleted, whatever the team's retention", default: 24, schema: int(1, 720) },
  urlFetchTimeoutSeconds: { flag: "url-fetch-timeout", env: "LEAPOCR_URL_FETCH_TIMEOUT", help: "Seconds allowed to download a document given by URL", default: 60, schema: int(1, 3600) },
  storage: { flag: "storage", env: "LEAPOCR_STORAGE", help: "Where files live: local (under the data dir) or s3 (any S3-compatible bucket)", default: "local", schema: v.picklist(["local", "s3"]) },
  storageShared: { flag: "storage-shared", env: "LEAPOCR_STORAGE_SHARED", help: "With --storage local and a PostgreSQL database (several replicas): the files directory (<data dir>/files) is one file system every replica mounts at that path (NFS, EFS, CephFS). Without it local storage is refused with PostgreSQL", default: false, schema: bool() },
  s3Endpoint: { flag: "s3-endpoint", env: "LEAPOCR_S3_ENDPOINT", help: "S3 endpoint URL (empty for AWS; R2: https://<account>.r2.cloudflarestorage.com). Clients PUT uploads to it directly", default: "", schema: str() },
  s3Region: { flag: "s3-region", env: "LEAPOCR_S3_REGION", help: "S3 region (R2: auto)", default: "us-east-1", schema: str() },
  s3Bucket: { flag: "s3-bucket", env: "LEAPOCR_S3_BUCKET", help: "S3 bucket name", default: "", schema: str() },
  s3AccessKeyId: { flag: "s3-access-key-id", env: "LEAPOCR_S3_ACCESS_KEY_ID", help: "S3 access key id", default: "", schema: str() },
  s3SecretAccessKey: { flag: "s3-secret-access-key", env: "LEAPOCR_S3_SECRET_ACCESS_KEY", help: "S3 secret access key (prefer the environment variable to the flag)", default: "", schema: str() },
  s3ForcePathStyle: { flag: "s3-path-style", env: "LEAPOCR_S3_PATH_STYLE", help: "Use path-style bucket URLs (MinIO and most on-prem servers)", default: false, schema: bool() },
  s3KeyPrefix: { flag: "s3-key-prefix", env: "LEAPOCR_S3_KEY_PREFIX", help: "Prefix for every object key, e.g. leapocr/", default: "", schema: str() },
  s3ServerSideEncryption: { flag: "s3-sse", env: "LEAPOCR_S3_SSE", help: "Server-side encryption passed to S3: AES256 or aws:kms", default: "", schema: str() },
  s3SseKmsKeyId: { flag: "s3-sse-kms-key-id", env: "LEAPOCR_S3_SSE_KMS_KEY_ID", help: "KMS key id when --s3-sse is aws:kms", default: "", schema: str() },
  encryptionKeys: { flag: "encryption-keys", env: "LEAPOCR_ENCRYPTION_KEYS", help: "Encrypt local files at rest (AES-256-GCM): id:base64key[,older keys]; the first key writes", default: "", schema: str() },
  urlAllowHosts: { flag: "url-allow-hosts", env: "LEAPOCR_URL_ALLOW_HOSTS", help: "Comma-separated hosts (host or host:port) on your network that URL uploads may fetch despite the private-address guard", default: "", schema: str() },
  retentionGraceSeconds: { flag: "retention-grace", env: "LEAPOCR_RETENTION_GRACE", help: "With 0-day retention, results unread after this many seconds are deleted anyway", default: 3600, schema: int(0, 30 * 86400) },
  retentionSweepSeconds: { flag: "retention-sweep", env: "LEAPOCR_RETENTION_SWEEP", help: "How often the retention scheduler looks for expired jobs", default: 60, schema: int(1, 86400) },
  configFile: { flag: "config", env: "LEAPOCR_CONFIG", help: "JSON file declaring model routes (Gemini, OpenAI-compatible) and models; see docs/CONFIG.md", default: "", schema: str() },
  sessionIdleMinutes: { flag: "session-idle-minutes", env: "LEAPOCR_SESSION_IDLE_MINUTES", help: "A dashboard session ends after this many minutes without a request", default: 480, schema: int(1, 525_600) },
  sessionMaxHours: { flag: "session-max-hours", env: "LEAPOCR_SESSION_MAX_HOURS", help: "A dashboard session ends this many hours after login, however active", default: 168, schema: int(1, 8760) },
  streamRecheckSeconds: { flag: "stream-recheck-seconds", env: "LEAPOCR_STREAM_RECHECK_SECONDS", help: "How often an open live event stream re-checks the session or key that opened it; it ends when they no longer allow it (logout, removal, expiry)", default: 5, schema: int(1, 300) },
  trustProxy: { flag: "trust-proxy", env: "LEAPOCR_TRUST_PROXY", help: "Behind a reverse proxy: take the client IP from X-Forwarded-For and https from X-Forwarded-Proto, for requests from --trusted-proxies only", default: false, schema: bool() },
  trustedProxies: { flag: "trusted-proxies", env: "LEAPOCR_TRUSTED_PROXIES", help: "With --trust-proxy: addresses or CIDR ranges of the proxies whose forwarding headers are believed (comma-separated); other clients are taken at their socket address", default: "127.0.0.1,::1", schema: str() },
  loginMaxFailures: { flag: "login-max-failures", env: "LEAPOCR_LOGIN_MAX_FAILURES", help: "Failed logins per email and IP within the window before login answers 429 (0 = off)", default: 5, schema: int(0, 10_000) },
  loginWindowSeconds: { flag: "login-window", env: "LEAPOCR_LOGIN_WINDOW", help: "Window in seconds over which failed logins are counted", default: 900, schema: int(1, 86_400) },
  rateLimitPerKey: { flag: "rate-limit-per-key", env: "LEAPOCR_RATE_LIMIT_PER_KEY", help: "Requests a minute allowed per API key (0 = off)", default: 600, schema: int(0) },
  rateLimitPerIp: { flag: "rate-limit-per-ip", env: "LEAPOCR_RATE_LIMIT_PER_IP", help: "Requests a minute allowed per IP on unauthenticated routes: login and requests without valid credentials (0 = off)", default: 120, schema: int(0) },
  auditRetentionDays: { flag: "audit-retention-days", env: "LEAPOCR_AUDIT_RETENTION_DAYS", help: "Days audit records are kept, apart from job retention (0 = forever)", default: 365, schema: int(0, 36_500) },
  adminEmail: { flag: "admin-email", env: "LEAPOCR_ADMIN_EMAIL", help: "Unattended install: at start, create this first owner of the default team when no user exists", default: "", schema: str() },
  adminPassword: { flag: "admin-password", env: "LEAPOCR_ADMIN_PASSWORD", help: "Password of that first owner (prefer the environment variable to the flag)", default: "", schema: str() },
  metrics: { flag: "metrics", env: "LEAPOCR_METRICS", help: "Serve Prometheus metrics at /metrics", default: true, schema: bool() },
  metricsToken: { flag: "metrics-token", env: "LEAPOCR_METRICS_TOKEN", help: "When set, /metrics needs Authorization: Bearer <token>; unset, /metrics answers only this machine (loopback, no proxy between)", default: "", schema: str() },
  minFreeDiskMb: { flag: "min-free-disk-mb", env: "LEAPOCR_MIN_FREE_DISK_MB", help: "Readiness (/api/v1/ready) fails when the data directory's disk has less free space than this", default: 512, schema: int(0) },
  shutdownGraceSeconds: { flag: "shutdown-grace", env: "LEAPOCR_SHUTDOWN_GRACE_SECONDS", help: "On SIGTERM, seconds pages in flight may take to finish before their leases are given back for the next start", default: 25, schema: int(0, 3600) },
  logLevel: { flag: "log-level", env: "LEAPOCR_LOG_LEVEL", help: "debug, info, warn or error", default: "info", schema: v.picklist(["debug", "info", "warn", "error"]) },
  webhookRetryBaseMs: { flag: "webhook-retry-base-ms", env: "LEAPOCR_WEBHOOK_RETRY_BASE_MS", help: "First retry delay of a failed webhook delivery; doubles each attempt, with jitter, up to one hour", default: 30_000, schema: int(1, 3_600_000) },
  webhookMaxAttempts: { flag: "webhook-max-attempts", env: "LEAPOCR_WEBHOOK_MAX_ATTEMPTS", help: "Delivery attempts of one webhook event before it is marked failed", default: 8, schema: int(1, 50) },
  webhookDisableAfter: { flag: "webhook-disable-after", env: "LEAPOCR_WEBHOOK_DISABLE_AFTER", help: "Failed delivery attempts in a row after which a webhook subscription is disabled", default: 20, schema: int(1, 10_000) },
  webhookTimeoutSeconds: { flag: "webhook-timeout", env: "LEAPOCR_WEBHOOK_TIMEOUT", help: "Seconds a webhook receiver has to answer", default: 10, schema: int(1, 120) },
  webhookPollMs: { flag: "webhook-poll-ms", env: "LEAPOCR_WEBHOOK_POLL_MS", help: "How often the webhook dispatcher looks for due deliveries (new events wake it at once)", default: 1000, schema: int(10, 60_000) },
  polarWebhookSecret: { flag: "polar-webhook-secret", env: "LEAPOCR_POLAR_WEBHOOK_SECRET", help: "Polar billing: the webhook secret of an endpoint pointing at /api/v1/webhooks/polar; unset, that route does not exist (prefer the environment variable to the flag)", default: "", schema: str() },
  polarProducts: { flag: "polar-products", env: "LEAPOCR_POLAR_PRODUCTS", help: "Polar billing: credits granted per paid order of each product, as <product id>:<credits> pairs, comma-separated", default: "", schema: str() },
  supportUrl: { flag: "support-url", env: "LEAPOCR_SUPPORT_URL", help: "Support or booking link (https:// page or mailto:) shown in the dashboard's help menu; unset, no such link. Never requested by the server", default: "", schema: link() },
  posthogKey: { flag: "posthog-key", env: "LEAPOCR_POSTHOG_KEY", help: "PostHog project key: the dashboard loads PostHog only when set (no tracking code at all otherwise)", default: "", schema: str() },
  posthogHost: { flag: "posthog-host", env: "LEAPOCR_POSTHOG_HOST", help: "PostHog API host for the dashboard snippet (EU: https://eu.i.posthog.com, or your own proxy)", default: "https://us.i.posthog.com", schema: str() },
  gaMeasurementId: { flag: "ga-measurement-id", env: "LEAPOCR_GA_MEASUREMENT_ID", help: "Google Analytics 4 measurement id (G-XXXX): the dashboard loads gtag only when set", default: "", schema: str() },
} satisfies Record<string, Setting>;

export type Config = { [K in keyof typeof SETTINGS]: v.InferOutput<(typeof SETTINGS)[K]["schema"]> };

export class ConfigError extends Error {}

/**
 * The SQLite file in the data directory, which every command that opens the database asks for.
 * A PostgreSQL URL is refused rather than ignored: only the job store runs on PostgreSQL so far
 * (issue 16), and a server that kept its data in a local SQLite file while its operator believed
 * it shared a PostgreSQL database with other replicas would split their state without a word.
 */
export function sqliteDatabaseFile(config: Pick<Config, "dataDir" | "databaseUrl">): string {
  if (config.databaseUrl) {
    throw new ConfigError(
      "LEAPOCR_DATABASE_URL (--database-url) is set, but PostgreSQL is not yet supported for the whole server: only its job store runs on " +
        "PostgreSQL so far; users, keys, templates, webhooks and audit still live in SQLite. Unset it to run on SQLite in the data directory (" +
        `${config.dataDir}).`,
    );
  }
  return resolve(config.dataDir, "leapocr.db");
}

/**
 * Several replicas on one PostgreSQL must see the same files: an upload's parts arrive at
 * whichever replica the load balancer picks, and any replica may read its pages. Local storage
 * is one machine's disk, so with a PostgreSQL URL it is refused unless the operator says the
 * directory is shared (LEAPOCR_STORAGE_SHARED); S3/R2 is the supported choice. Without a URL
 * (SQLite, one server) there is nothing to check.
 */
export function checkStorageForDatabase(config: Pick<Config, "databaseUrl" | "storage" | "storageShared" | "dataDir">): void {
  if (!config.databaseUrl || config.storage !== "local" || config.storageShared) return;
  throw new ConfigError(
    "LEAPOCR_DATABASE_URL is set (several replicas on PostgreSQL), but files are on this machine's disk (LEAPOCR_STORAGE=local, " +
      `${resolve(config.dataDir, "files")}), which the other replicas cannot read: an upload sent to one replica would be missing on ` +
      "the next. Use a bucket (LEAPOCR_STORAGE=s3 with LEAPOCR_S3_BUCKET, LEAPOCR_S3_ACCESS_KEY_ID, LEAPOCR_S3_SECRET_ACCESS_KEY), or, " +
      "if that directory is one shared file system (NFS, EFS) mounted at the same path on every replica, set LEAPOCR_STORAGE_SHARED=true.",
  );
}

/** Parses `--name value`, `--name=value` and bare boolean `--name` flags. */
export function parseFlags(argv: string[]): { flags: Record<string, string>; rest: string[] } {
  const flags: Record<string, string> = {};
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("--")) {
      rest.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    if (eq > 0) flags[arg.slice(2, eq)] = arg.slice(eq + 1);
    else if (i + 1 < argv.length && !argv[i + 1]!.startsWith("--")) flags[arg.slice(2)] = argv[++i]!;
    else flags[arg.slice(2)] = "true";
  }
  return { flags, rest };
}

/** Flags win over environment variables, which win over defaults. */
export function loadConfig(
  flags: Record<string, string> = {},
  env: Record<string, string | undefined> = process.env,
  overrides: Partial<Config> = {},
): Config {
  const known = new Set(Object.values(SETTINGS).map((s) => s.flag));
  for (const name of Object.keys(flags)) {
    if (!known.has(name) && name !== "help") throw new ConfigError(`Unknown flag --${name}. Run with --help to list the settings.`);
  }
  const out: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries(SETTINGS) as [keyof Config, Setting][]) {
    const raw = key in overrides ? overrides[key] : (flags[setting.flag] ?? env[setting.env] ?? setting.default);
    const parsed = v.safeParse(setting.schema, raw);
    if (!parsed.success) {
      throw new ConfigError(`Invalid value for --${setting.flag} / ${setting.env}: ${JSON.stringify(raw)} (${parsed.issues[0]?.message})`);
    }
    out[key] = parsed.output;
  }
  const config = out as Config;
  config.dataDir = resolve(config.dataDir);
  return config;
}

export function helpText(): string {
  const lines = [
    "leapocr: self-hosted document OCR server speaking the LeapOCR v1 API",
    "",
    "Usage: leapocr [serve] [flags]      start the server",
    "       leapocr healthcheck          exit 0 when the local server answers /api/v1/health",
    "       leapocr ocr <file> [--format markdown|json] [--model M] [--schema s.json] [--pages 1-5,8]",
    "                                    read one document with no server; result on stdout, progress on stderr",
    "       leapocr mcp [--url URL]      MCP server over stdio for desktop agents: local files, embedded engine\n                                    (with --url and LEAPOCR_API_KEY: forwards to that server's /api/v1/mcp)",
    "       leapocr backup <file>        consistent copy of the live database (safe while the server runs)",
    "       leapocr credits grant --team <id> --amount N   grant credits (also: credits balance, credits limit --limit N|none)",
    "       leapocr admin create --email E [--password P] [--name N]   create an owner of the default team",
    "                                    (password from --password, LEAPOCR_ADMIN_PASSWORD or stdin)",
    "       leapocr keys create --name N [--scopes s,..] [--expires-days d] [--team team_id]",
    "                                    create an API key and print its secret once",
    "",
    "Settings (flag, environment variable, default):",
  ];
  for (const s of Object.values(SETTINGS) as Setting[]) {
    const def = s.default === "" ? "(unset)" : JSON.stringify(s.default);
    lines.push(`  --${s.flag.padEnd(22)} ${s.env.padEnd(30)} ${def}`, `      ${s.help}`);
  }
  return lines.join("\n");
}
