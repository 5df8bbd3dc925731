/**
 * The database tables. drizzle-kit generates the SQL migrations in drizzle/ from this file
 * (`npm run db:generate`); the binary applies them at start (see migrate.ts).
 * Times are unix milliseconds in integer columns.
 */
import { sqliteTable, text, integer, real, index, uniqueIndex } from "drizzle-orm/sqlite-core";

export const organizations = sqliteTable("organizations", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  createdAt: integer("created_at").notNull(),
});

export const teams = sqliteTable("teams", {
  id: text("id").primaryKey(),
  organizationId: text("organization_id").notNull().references(() => organizations.id),
  name: text("name").notNull(),
  createdAt: integer("created_at").notNull(),
});

export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    teamId: text("team_id").notNull().references(() => teams.id),
    name: text("name").notNull(),
    /** The first characters of the secret, shown so people can recognise a key. */
    prefix: text("prefix").notNull(),
    /** SHA-256 of the whole secret: the secret itself is never stored. */
    hash: text("hash").notNull(),
    createdAt: integer("created_at").notNull(),
    lastUsedAt: integer("last_used_at"),
    expiresAt: integer("expires_at"),
    revokedAt: integer("revoked_at"),
    /** Comma-separated scopes, e.g. "ocr" or "ocr,jobs:read"; "*" for everything the team allows. */
    scopes: text("scopes").notNull().default("*"),
    createdByUserId: text("created_by_user_id"),
  },
  (t) => [uniqueIndex("api_keys_hash_idx").on(t.hash)],
);

/** Server-wide values generated once, such as the upload URL signing key. */
export const serverSecrets = sqliteTable("server_secrets", {
  name: text("name").primaryKey(),
  value: text("value").notNull(),
  createdAt: integer("created_at").notNull(),
});

/** One row that the readiness check rewrites: proves the database takes a committed write. */
export const healthProbe = sqliteTable("health_probe", {
  id: integer("id").primaryKey(),
  checkedAt: integer("checked_at").notNull(),
});

export const jobs = sqliteTable(
  "jobs",
  {
    id: text("id").primaryKey(),
    teamId: text("team_id").notNull().references(() => teams.id),
    apiKeyId: text("api_key_id"),
    /** pending | processing | completed | failed (the LeapOCR status values). */
    status: text("status").notNull(),
    /** awaiting_upload -> queued -> splitting -> pages -> done: where the job is inside the queue. */
    stage: text("stage").notNull(),
    fileName: text("file_name").notNull(),
    declaredContentType: text("declared_content_type"),
    declaredSize: integer("declared_size"),
    /** The type sniffed from the bytes: pdf | png | jpeg | webp | tiff. */
    detectedType: text("detected_type"),
    sizeBytes: integer("size_bytes"),
    source: text("source").notNull(), // direct | url
    sourceUrl: text("source_url"),
    format: text("format").notNull(), // markdown | structured
    model: text("model").notNull(),
    instructions: text("instructions"),
    schemaJson: text("schema_json"),
    templateSlug: text("template_slug"),
    /** The team template the job was created from (template_slug or save_as_template). */
    templateId: text("template_id"),
    extractBoundingBoxes: integer("extract_bounding_boxes", { mode: "boolean" }).notNull().default(false),
    uploadId: text("upload_id"),
    uploadParts: integer("upload_parts"),
    uploadExpiresAt: integer("upload_expires_at"),
    totalPages: integer("total_pages").notNull().default(0),
    processedPages: integer("processed_pages").notNull().default(0),
    failedPages: integer("failed_pages").notNull().default(0),
    creditsUsed: integer("credits_used").notNull().default(0),
    /** Structured jobs: the JSON of the one object extracted from the whole document. */
    structuredResult: text("structured_result"),
    /** Tokens of the document-level structured extraction step (page steps count on pages). */
    extractionInputTokens: integer("extraction_input_tokens"),
    extractionOutputTokens: integer("extraction_output_tokens"),
    errorMessage: text("error_message"),
    leaseOwner: text("lease_owner"),
    leaseExpiresAt: integer("lease_expires_at"),
    attempts: integer("attempts").notNull().default(0),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    startedAt: integer("started_at"),
    completedAt: integer("completed_at"),
    deletedAt: integer("deleted_at"),
    /** Why the job's content is gone: deleted (by a user) or expired (retention). */
    deleteReason: text("delete_reason"),
    /** When the uploaded file was removed (retention 0 removes it as soon as the job ends). */
    sourceDeletedAt: integer("source_deleted_at"),
    /** When every page of the result had been read, which starts the 0-day retention clock. */
    resultsReadAt: integer("results_read_at"),
    /** The X-Request-Id of the request that created the job; the worker's log lines carry it. */
    requestId: text("request_id"),
  },
  (t) => [
    index("jobs_team_created_idx").on(t.teamId, t.createdAt),
    // The queue takes the oldest job of a stage: one index walk, no sort.
    index("jobs_stage_created_idx").on(t.stage, t.createdAt),
  ],
);

export const pages = sqliteTable(
  "pages",
  {
    id: text("id").primaryKey(),
    jobId: text("job_id").notNull().references(() => jobs.id, { onDelete: "cascade" }),
    pageNumber: integer("page_number").notNull(),
    /** pending | processing | completed | failed */
    status: text("status").notNull(),
    /** Markdown text (for structured jobs: the base OCR text the extraction read; not returned). */
    result: text("result"),
    confidence: real("confidence"),
    width: integer("width"),
    height: integer("height"),
    boundingBoxesJson: text("bounding_boxes_json"),
    /** Which route produced the result, e.g. offline:text-layer or offline:ocr. */
    route: text("route"),
    /** Model tokens spent on this page over all its steps (null for the offline engine). */
    inputTokens: integer("input_tokens"),
    outputTokens: integer("output_tokens"),
    errorMessage: text("error_message"),
    leaseOwner: text("lease_owner"),
    leaseExpiresAt: integer("lease_expires_at"),
    attempts: integer("attempts").notNull().default(0),
    startedAt: integer("started_at"),
    completedAt: integer("completed_at"),
  },
  (t) => [
    uniqueIndex("pages_job_page_idx").on(t.jobId, t.pageNumber),
    index("pages_status_idx").on(t.status),
  ],
);

export const creditTransactions = sqliteTable(
  "credit_transactions",
  {
    id: text("id").primaryKey(),
    teamId: text("team_id").notNull().references(() => teams.id),
    jobId: text("job_id"),
    /** charge | grant | adjustment; charges are negative amounts. */
    kind: text("kind").notNull(),
    amount: integer("amount").notNull(),
    description: text("description"),
    /** Grants and Polar orders: a key that makes a repeated request a no-op. */
    idempotencyKey: text("idempotency_key"),
    metadataJson: text("metadata_json"),
    createdAt: integer("created_at").notNull(),
  },
  // One charge per job, so a retried finalisation can never charge twice.
  (t) => [
    uniqueIndex("credit_tx_job_charge_idx").on(t.jobId, t.kind),
    index("credit_tx_team_idx").on(t.teamId, t.createdAt),
    uniqueIndex("credit_tx_idempotency_idx").on(t.teamId, t.idempotencyKey),
  ],
);

/**
 * Every verified Polar webhook event (issue 18): the event id (webhook-id) is the primary key,
 * so a redelivered event is recognised, and a grant is written in the same transaction as its
 * row. Events that granted nothing (unknown team or product, refunds) are kept with the reason;
 * a redelivery of those is looked at again, so fixing the config and redelivering grants.
 */
export const polarEvents = sqliteTable(
  "polar_events",
  {
    webhookId: text("webhook_id").primaryKey(),
    type: text("type").notNull(),
    /** granted | ignored | recorded (a refund, noted without a debit). */
    outcome: text("outcome").notNull(),
    reason: text("reason"),
    orderId: text("order_id"),
    productId: text("product_id"),
    teamId: text("team_id"),
    creditTransactionId: text("credit_transaction_id"),
    receivedAt: integer("received_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("polar_events_order_idx").on(t.orderId)],
);

/** Per-team retention, as in the LeapOCR team settings: on by default, 7 days, 0 = right after processing. */
export const teamSettings = sqliteTable("team_settings", {
  teamId: text("team_id").primaryKey().references(() => teams.id),
  autoDeleteEnabled: integer("auto_delete_enabled", { mode: "boolean" }).notNull(),
  retentionPeriodDays: integer("retention_period_days").notNull(),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

/** Who did what, when, from where. Never document content. Kept on its own schedule. */
export const auditLog = sqliteTable(
  "audit_log",
  {
    id: text("id").primaryKey(),
    teamId: text("team_id"),
    /** user | api_key | system */
    actorType: text("actor_type").notNull(),
    actorId: text("actor_id"),
    action: text("action").notNull(),
    targetType: text("target_type"),
    targetId: text("target_id"),
    ip: text("ip"),
    userAgent: text("user_agent"),
    metadataJson: text("metadata_json"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("audit_team_created_idx").on(t.teamId, t.createdAt)],
);

export const users = sqliteTable(
  "users",
  {
    id: text("id").primaryKey(),
    email: text("email").notNull(),
    name: text("name").notNull(),
    /** argon2id via Bun.password; never the password itself. */
    passwordHash: text("password_hash").notNull(),
    createdAt: integer("created_at").notNull(),
    disabledAt: integer("disabled_at"),
  },
  (t) => [uniqueIndex("users_email_idx").on(t.email)],
);

/** A user's role in a team: owner, admin, member or viewer (powers in docs/SECURITY.md). */
export const memberships = sqliteTable(
  "memberships",
  {
    teamId: text("team_id").notNull().references(() => teams.id),
    userId: text("user_id").notNull().references(() => users.id),
    role: text("role").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [uniqueIndex("memberships_team_user_idx").on(t.teamId, t.userId)],
);

/** Dashboard sessions and Bearer tokens; only the token's SHA-256 is stored. */
export const sessions = sqliteTable(
  "sessions",
  {
    id: text("id").primaryKey(),
    userId: text("user_id").notNull().references(() => users.id),
    tokenHash: text("token_hash").notNull(),
    /** Bound to the session; sent back in X-CSRF-Token on state-changing dashboard requests. */
    csrfToken: text("csrf_token").notNull(),
    createdAt: integer("created_at").notNull(),
    lastSeenAt: integer("last_seen_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
    revokedAt: integer("revoked_at"),
    ip: text("ip"),
    userAgent: text("user_agent"),
  },
  (t) => [uniqueIndex("sessions_token_idx").on(t.tokenHash)],
);

/** Per-team credit policy. No row, or a null limit: unlimited (the on-prem default). */
export const teamCredits = sqliteTable("team_credits", {
  teamId: text("team_id").primaryKey().references(() => teams.id),
  /** Credits the team may spend beyond its balance; with a limit set, uploads answer 402 once limit + balance <= 0. */
  creditLimit: integer("credit_limit"),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

/** Saved job options (format, schema, instructions, model) a job names by template_slug. */
export const templates = sqliteTable(
  "templates",
  {
    id: text("id").primaryKey(),
    teamId: text("team_id").notNull().references(() => teams.id),
    /** The user or API key that created it. */
    userId: text("user_id"),
    name: text("name").notNull(),
    slug: text("slug").notNull(),
    description: text("description"),
    format: text("format").notNull(),
    model: text("model").notNull(),
    instructions: text("instructions"),
    schemaJson: text("schema_json"),
    extractBoundingBoxes: integer("extract_bounding_boxes", { mode: "boolean" }).notNull().default(false),
    tagsJson: text("tags_json").notNull().default("[]"),
    color: text("color"),
    favorite: integer("favorite", { mode: "boolean" }).notNull().default(false),
    enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
    usageCount: integer("usage_count").notNull().default(0),
    lastUsedAt: integer("last_used_at"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [uniqueIndex("templates_team_slug_idx").on(t.teamId, t.slug), index("templates_team_created_idx").on(t.teamId, t.createdAt)],
);

/** Where a team wants job events POSTed, signed with the subscription's secret. */
export const webhookSubscriptions = sqliteTable(
  "webhook_subscriptions",
  {
    id: text("id").primaryKey(),
    teamId: text("team_id").notNull().references(() => teams.id),
    userId: text("user_id"),
    url: text("url").notNull(),
    description: text("description"),
    /** JSON array of event types. */
    eventsJson: text("events_json").notNull(),
    secret: text("secret").notNull(),
    enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
    /** job.completed carries the job's pages when set. */
    includeResults: integer("include_results", { mode: "boolean" }).notNull().default(false),
    /** Failed delivery attempts in a row; reset by a success. The subscription is disabled at the configured bound. */
    failureCount: integer("failure_count").notNull().default(0),
    disabledReason: text("disabled_reason"),
    lastTriggeredAt: integer("last_triggered_at"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("webhook_subs_team_idx").on(t.teamId, t.createdAt)],
);

/** The outbox: one row per event and subscription, retried with backoff until delivered or out of attempts. */
export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    id: text("id").primaryKey(),
    /** Shared by the deliveries of one event to several subscriptions. */
    eventId: text("event_id").notNull(),
    eventType: text("event_type").notNull(),
    subscriptionId: text("subscription_id").notNull().references(() => webhookSubscriptions.id, { onDelete: "cascade" }),
    teamId: text("team_id").notNull(),
    jobId: text("job_id"),
    /** The exact body that is signed and sent. */
    payloadJson: text("payload_json").notNull(),
    /** pending | delivered | failed */
    status: text("status").notNull(),
    attempts: integer("attempts").notNull().default(0),
    maxAttempts: integer("max_attempts").notNull(),
    nextAttemptAt: integer("next_attempt_at").notNull(),
    /** A dispatcher's claim on the row while it sends. */
    lockedUntil: integer("locked_until"),
    lastStatusCode: integer("last_status_code"),
    lastError: text("last_error"),
    deliveredAt: integer("delivered_at"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    index("webhook_deliveries_due_idx").on(t.status, t.nextAttemptAt),
    index("webhook_deliveries_sub_idx").on(t.subscriptionId, t.createdAt),
    index("webhook_deliveries_job_idx").on(t.jobId),
  ],
);

/**
 * An invitation to join a team. Adding a member by email makes one: nobody joins a team without
 * accepting (issue 15, finding 3). The link carries a random token; only its SHA-256 is stored.
 */
export const invitations = sqliteTable(
  "invitations",
  {
    id: text("id").primaryKey(),
    teamId: text("team_id").notNull().references(() => teams.id),
    email: text("email").notNull(),
    role: text("role").notNull(),
    tokenHash: text("token_hash").notNull(),
    invitedByUserId: text("invited_by_user_id"),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
    /** When it stopped being usable, and why: accepted | declined | revoked. */
    closedAt: integer("closed_at"),
    outcome: text("outcome"),
    acceptedUserId: text("accepted_user_id"),
  },
  (t) => [uniqueIndex("invitations_token_idx").on(t.tokenHash), index("invitations_email_idx").on(t.email), index("invitations_team_idx").on(t.teamId, t.createdAt)],
);
