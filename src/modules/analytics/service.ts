/**
 * Team analytics, computed from the database: jobs, pages, the credit ledger and the webhook
 * outbox, over a range (a preset such as 7d, or start/end) and, for timeseries, in buckets of an
 * hour, day (the default), week or month, with empty buckets filled in. Jobs count by their
 * creation time. Deleted and expired jobs still count (their rows stay as tombstones); page-level
 * figures (tokens, confidence, empty pages) cover the pages still held, since purging a job
 * removes its pages.
 */
import type { AppContext } from "../../context";
import { badRequest } from "../../lib/errors";
import { ledgerOf } from "../credits/service";
import type { LimitedQuery, SeriesQuery } from "./model";

type Bucket = "hour" | "day" | "week" | "month";
const DAY = 86_400_000;
const PRESETS: Record<string, number> = {
  "24h": 1, "1d": 1, day: 1, "7d": 7, week: 7, "14d": 14, "30d": 30, month: 30, "90d": 90, quarter: 90, "180d": 180, "6m": 180, "365d": 365, year: 365,
};
const MAX_BUCKETS = 5000;

export interface Range {
  teamId: string;
  from: number;
  to: number;
  bucket: Bucket;
  requested: string;
}

function parseDate(raw: string, endOfDay: boolean, name: string): number {
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(raw);
  const ms = Date.parse(dateOnly ? `${raw}T00:00:00Z` : raw);
  if (!Number.isFinite(ms)) throw badRequest(`${name} must be a date (YYYY-MM-DD) or an RFC 3339 date-time.`, { field: name });
  return dateOnly && endOfDay ? ms + DAY - 1 : ms;
}

export function resolveRange(ctx: AppContext, teamId: string, q: Partial<SeriesQuery>): Range {
  const now = ctx.clock();
  const to = q.end ? parseDate(q.end, true, "end") : now;
  const days = PRESETS[q.range ?? "30d"]!;
  const from = q.start ? parseDate(q.start, false, "start") : to - days * DAY;
  if (from > to) throw badRequest("start must be before end.", { field: "start" });
  const bucket: Bucket = q.bucket ?? q.granularity ?? (to - from <= DAY ? "hour" : "day");
  return { teamId, from, to, bucket, requested: q.start || q.end ? "custom" : (q.range ?? "30d") };
}

export const rangeOut = (r: Range) => ({ team_id: r.teamId, start: new Date(r.from).toISOString(), end: new Date(r.to).toISOString(), bucket: r.bucket, requested_range: r.requested });

/** SQL for the bucket key of a unix-ms column; bucketKey() below writes the same keys in JS. */
function bucketSql(column: string, bucket: Bucket): string {
  const t = `${column} / 1000, 'unixepoch'`;
  switch (bucket) {
    case "hour": return `strftime('%Y-%m-%dT%H:00:00Z', ${t})`;
    case "day": return `strftime('%Y-%m-%d', ${t})`;
    case "week": return `date(${t}, '-6 days', 'weekday 1')`;
    case "month": return `strftime('%Y-%m-01', ${t})`;
  }
}

function bucketStart(ms: number, bucket: Bucket): number {
  const d = new Date(ms);
  switch (bucket) {
    case "hour": return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours());
    case "day": return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
    case "week": {
      const day = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
      return day - ((d.getUTCDay() + 6) % 7) * DAY;
    }
    case "month": return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  }
}

function bucketKey(ms: number, bucket: Bucket): string {
  const iso = new Date(ms).toISOString();
  return bucket === "hour" ? `${iso.slice(0, 13)}:00:00Z` : iso.slice(0, 10);
}

function nextBucket(ms: number, bucket: Bucket): number {
  if (bucket === "month") {
    const d = new Date(ms);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  }
  return ms + (bucket === "hour" ? 3_600_000 : bucket === "day" ? DAY : 7 * DAY);
}

function bucketKeys(r: Range): string[] {
  const keys: string[] = [];
  for (let t = bucketStart(r.from, r.bucket); t <= r.to; t = nextBucket(t, r.bucket)) {
    keys.push(bucketKey(t, r.bucket));
    if (keys.length > MAX_BUCKETS) throw badRequest(`The range holds more than ${MAX_BUCKETS} ${r.bucket} buckets; choose a larger bucket.`, { field: "bucket" });
  }
  return keys;
}

/** One entry per bucket of the range, rows where there is data and `zero` elsewhere. */
function fill<T extends { bucket: string }>(r: Range, rows: T[], zero: Omit<T, "bucket">): T[] {
  const byKey = new Map(rows.map((row) => [row.bucket, row]));
  return bucketKeys(r).map((bucket) => byKey.get(bucket) ?? ({ bucket, ...zero } as T));
}

const round = (x: number | null | undefined, digits = 2) => (x == null || !Number.isFinite(x) ? 0 : Math.round(x * 10 ** digits) / 10 ** digits);
const pct = (part: number, whole: number) => (whole > 0 ? round((part / whole) * 100) : 0);

function q<T>(ctx: AppContext, sql: string, ...args: (string | number)[]): T[] {
  return ctx.db.$client.query<T, (string | number)[]>(sql).all(...args);
}
function q1<T>(ctx: AppContext, sql: string, ...args: (string | number)[]): T {
  return ctx.db.$client.query<T, (string | number)[]>(sql).get(...args)!;
}

/** Jobs of the team created in the range: ?1 team, ?2 from, ?3 to. */
const JOBS_IN_RANGE = `j.team_id = ?1 AND j.created_at BETWEEN ?2 AND ?3`;

interface JobTotals {
  total_jobs: number; completed_jobs: number; failed_jobs: number; active_jobs: number; cancelled_jobs: number; total_pages: number;
  processed_pages: number; credits_consumed: number; avg_completion_ms: number | null; avg_active_ms: number | null;
}

function jobTotals(ctx: AppContext, r: Range): JobTotals {
  return q1<JobTotals>(
    ctx,
    `SELECT count(*) AS total_jobs, coalesce(sum(status = 'completed'), 0) AS completed_jobs, coalesce(sum(status = 'failed'), 0) AS failed_jobs,
            coalesce(sum(stage != 'done'), 0) AS active_jobs, coalesce(sum(error_message = 'Deleted before it finished.'), 0) AS cancelled_jobs,
            coalesce(sum(total_pages), 0) AS total_pages, coalesce(sum(processed_pages), 0) AS processed_pages, coalesce(sum(credits_used), 0) AS credits_consumed,
            avg(CASE WHEN stage = 'done' AND status = 'completed' THEN completed_at - created_at END) AS avg_completion_ms,
            avg(CASE WHEN stage = 'done' AND started_at IS NOT NULL THEN completed_at - started_at END) AS avg_active_ms
     FROM jobs j WHERE ${JOBS_IN_RANGE}`,
    r.teamId, r.from, r.to,
  );
}

const PAGE_COLUMNS = `count(p.id) AS total_pages, coalesce(sum(p.status = 'completed'), 0) AS completed_pages, coalesce(sum(p.status = 'failed'), 0) AS failed_pages,
  coalesce(sum(p.status = 'completed' AND trim(coalesce(p.result, '')) = ''), 0) AS empty_pages,
  coalesce(sum(p.status = 'failed' AND j.status = 'failed'), 0) AS hard_failure_pages,
  coalesce(sum(coalesce(p.input_tokens, 0) + coalesce(p.output_tokens, 0)), 0) AS total_tokens`;

export async function overview(ctx: AppContext, r: Range) {
  const j = jobTotals(ctx, r);
  const p = q1<{ total_pages: number; completed_pages: number; failed_pages: number; empty_pages: number; hard_failure_pages: number; total_tokens: number }>(
    ctx, `SELECT ${PAGE_COLUMNS} FROM pages p JOIN jobs j ON j.id = p.job_id WHERE ${JOBS_IN_RANGE}`, r.teamId, r.from, r.to,
  );
  const extraction = q1<{ t: number }>(ctx, `SELECT coalesce(sum(coalesce(extraction_input_tokens, 0) + coalesce(extraction_output_tokens, 0)), 0) AS t FROM jobs j WHERE ${JOBS_IN_RANGE}`, r.teamId, r.from, r.to).t;
  const w = q1<{ total: number; delivered: number; failed: number; pending: number; avg_ms: number | null }>(
    ctx,
    `SELECT count(*) AS total, coalesce(sum(status = 'delivered'), 0) AS delivered, coalesce(sum(status = 'failed'), 0) AS failed,
            coalesce(sum(status = 'pending'), 0) AS pending, avg(CASE WHEN status = 'delivered' THEN delivered_at - created_at END) AS avg_ms
     FROM webhook_deliveries WHERE team_id = ?1 AND created_at BETWEEN ?2 AND ?3`,
    r.teamId, r.from, r.to,
  );
  const finished = j.completed_jobs + j.failed_jobs;
  return {
    range: rangeOut(r),
    jobs: {
      total_jobs: j.total_jobs, completed_jobs: j.completed_jobs, failed_jobs: j.failed_jobs, active_jobs: j.active_jobs, cancelled_jobs: j.cancelled_jobs,
      total_pages: j.total_pages, processed_pages: j.processed_pages, credits_consumed: j.credits_consumed,
      success_rate: pct(j.completed_jobs, finished),
      avg_completion_seconds: round((j.avg_completion_ms ?? 0) / 1000),
      avg_active_seconds: round((j.avg_active_ms ?? 0) / 1000),
      throughput_jobs_per_second: round(j.total_jobs / Math.max(1, (r.to - r.from) / 1000), 6),
    },
    pages: { ...p, total_tokens: p.total_tokens + extraction },
    credits: await creditsSnapshot(ctx, r),
    webhooks: {
      total_events: w.total, processed_events: w.delivered, failed_events: w.failed, pending_events: w.pending,
      success_rate: pct(w.delivered, w.delivered + w.failed), avg_processing_seconds: round((w.avg_ms ?? 0) / 1000),
    },
  };
}

async function creditsSnapshot(ctx: AppContext, r: Range) {
  const inRange = await ledgerOf(ctx.data, [r.teamId], { from: r.from, to: r.to });
  const all = await ledgerOf(ctx.data, [r.teamId]);
  return { granted: inRange.granted, consumed: inRange.consumed, refunded: inRange.refunded, adjusted: inRange.adjusted, net: inRange.balance, balance: all.balance };
}

export function jobTimeseries(ctx: AppContext, r: Range) {
  const rows = q<{ bucket: string; total_jobs: number; completed_jobs: number; failed_jobs: number; active_jobs: number; total_pages: number; processed_pages: number; credits_consumed: number; avg_ms: number | null }>(
    ctx,
    `SELECT ${bucketSql("j.created_at", r.bucket)} AS bucket, count(*) AS total_jobs, sum(status = 'completed') AS completed_jobs, sum(status = 'failed') AS failed_jobs,
            sum(stage != 'done') AS active_jobs, sum(total_pages) AS total_pages, sum(processed_pages) AS processed_pages, sum(credits_used) AS credits_consumed,
            avg(CASE WHEN stage = 'done' AND status = 'completed' THEN completed_at - created_at END) AS avg_ms
     FROM jobs j WHERE ${JOBS_IN_RANGE} GROUP BY bucket`,
    r.teamId, r.from, r.to,
  ).map(({ avg_ms, ...row }) => ({ ...row, avg_completion_seconds: round((avg_ms ?? 0) / 1000) }));
  return {
    range: rangeOut(r),
    timeseries: fill(r, rows, { total_jobs: 0, completed_jobs: 0, failed_jobs: 0, active_jobs: 0, total_pages: 0, processed_pages: 0, credits_consumed: 0, avg_completion_seconds: 0 }),
  };
}

export function pageTimeseries(ctx: AppContext, r: Range) {
  const rows = q<{ bucket: string; total_pages: number; completed_pages: number; failed_pages: number; empty_pages: number; hard_failure_pages: number; total_tokens: number }>(
    ctx, `SELECT ${bucketSql("j.created_at", r.bucket)} AS bucket, ${PAGE_COLUMNS} FROM pages p JOIN jobs j ON j.id = p.job_id WHERE ${JOBS_IN_RANGE} GROUP BY bucket`, r.teamId, r.from, r.to,
  );
  return { range: rangeOut(r), timeseries: fill(r, rows, { total_pages: 0, completed_pages: 0, failed_pages: 0, empty_pages: 0, hard_failure_pages: 0, total_tokens: 0 }) };
}

export async function creditUsage(ctx: AppContext, r: Range) {
  const rows = q<{ bucket: string; granted: number; consumed: number; refunded: number; adjusted: number; net_change: number }>(
    ctx,
    `SELECT ${bucketSql("created_at", r.bucket)} AS bucket, coalesce(sum(CASE WHEN kind = 'grant' THEN amount END), 0) AS granted,
            coalesce(-sum(CASE WHEN kind = 'charge' THEN amount END), 0) AS consumed, coalesce(sum(CASE WHEN kind = 'refund' THEN amount END), 0) AS refunded,
            coalesce(sum(CASE WHEN kind NOT IN ('grant', 'charge', 'refund') THEN amount END), 0) AS adjusted, sum(amount) AS net_change
     FROM credit_transactions WHERE team_id = ?1 AND created_at BETWEEN ?2 AND ?3 GROUP BY bucket`,
    r.teamId, r.from, r.to,
  );
  const models = q<{ model: string; credits_consumed: number; jobs_processed: number; transactions: number }>(
    ctx,
    `SELECT j.model AS model, -sum(c.amount) AS credits_consumed, count(DISTINCT j.id) AS jobs_processed, count(*) AS transactions
     FROM credit_transactions c JOIN jobs j ON j.id = coalesce(c.job_id, json_extract(c.metadata_json, '$.job_id'))
     WHERE c.team_id = ?1 AND c.kind IN ('charge', 'refund') AND c.created_at BETWEEN ?2 AND ?3 GROUP BY j.model ORDER BY credits_consumed DESC`,
    r.teamId, r.from, r.to,
  );
  return {
    range: rangeOut(r),
    snapshot: await creditsSnapshot(ctx, r),
    timeseries: fill(r, rows, { granted: 0, consumed: 0, refunded: 0, adjusted: 0, net_change: 0 }),
    model_breakdown: models,
  };
}

/** Groups error messages into a few causes a person can act on. */
export function errorCategory(message: string): string {
  const m = message.toLowerCase();
  if (/deleted before/.test(m)) return "cancelled";
  if (/timed? ?out|timeout|took longer|did not answer/.test(m)) return "timeout";
  if (/429|rate|quota|too many/.test(m)) return "rate_limited";
  if (/download|url|fetch|resolve|http \d{3}/.test(m)) return "download";
  if (/at most|too large|larger than|limit|pixels|pages/.test(m)) return "limits";
  if (/not supported|unsupported|corrupt|could not be read|no pages|damaged|password|encrypted|missing/.test(m)) return "unreadable_document";
  if (/schema|structured|extraction|json/.test(m)) return "extraction";
  if (/route|model|gemini|openai|5\d\d/.test(m)) return "model_route";
  return "other";
}

export function errorAnalysis(ctx: AppContext, r: Range) {
  const j = jobTotals(ctx, r);
  const withErrors = q1<{ n: number }>(ctx, `SELECT count(*) AS n FROM jobs j WHERE ${JOBS_IN_RANGE} AND error_message IS NOT NULL`, r.teamId, r.from, r.to).n;
  const messages = q<{ msg: string }>(
    ctx,
    `SELECT p.error_message AS msg FROM pages p JOIN jobs j ON j.id = p.job_id WHERE ${JOBS_IN_RANGE} AND p.status = 'failed' AND p.error_message IS NOT NULL
     UNION ALL SELECT j.error_message FROM jobs j WHERE ${JOBS_IN_RANGE} AND j.status = 'failed' AND j.total_pages = 0 AND j.error_message IS NOT NULL`,
    r.teamId, r.from, r.to,
  );
  const counts = new Map<string, number>();
  for (const { msg } of messages) counts.set(errorCategory(msg), (counts.get(errorCategory(msg)) ?? 0) + 1);
  const total = messages.length;
  return {
    range: rangeOut(r),
    summary: { total_jobs: j.total_jobs, completed_jobs: j.completed_jobs, failed_jobs: j.failed_jobs, jobs_with_errors: withErrors, failure_rate_percent: pct(j.failed_jobs, j.completed_jobs + j.failed_jobs) },
    patterns: [...counts].sort((a, b) => b[1] - a[1]).map(([category, count]) => ({ category, count, percentage: pct(count, total) })),
  };
}

export function errorTimeseries(ctx: AppContext, r: Range) {
  const rows = q<{ bucket: string; total_jobs: number; completed_jobs: number; failed_jobs: number }>(
    ctx,
    `SELECT ${bucketSql("j.created_at", r.bucket)} AS bucket, count(*) AS total_jobs, sum(status = 'completed') AS completed_jobs, sum(status = 'failed') AS failed_jobs
     FROM jobs j WHERE ${JOBS_IN_RANGE} GROUP BY bucket`,
    r.teamId, r.from, r.to,
  ).map((row) => ({ ...row, failure_rate: pct(row.failed_jobs, row.completed_jobs + row.failed_jobs) }));
  return { range: rangeOut(r), timeseries: fill(r, rows, { total_jobs: 0, completed_jobs: 0, failed_jobs: 0, failure_rate: 0 }) };
}

export function documentStats(ctx: AppContext, r: Range) {
  const size = "coalesce(size_bytes, declared_size)";
  const s = q1<{ n: number; total: number; avg: number | null; min: number | null; max: number | null; pages: number | null; small: number; medium: number; large: number; very_large: number }>(
    ctx,
    `SELECT count(*) AS n, coalesce(sum(${size}), 0) AS total, avg(${size}) AS avg, min(${size}) AS min, max(${size}) AS max,
            avg(CASE WHEN total_pages > 0 THEN total_pages END) AS pages,
            coalesce(sum(total_pages = 1), 0) AS small, coalesce(sum(total_pages BETWEEN 2 AND 10), 0) AS medium,
            coalesce(sum(total_pages BETWEEN 11 AND 50), 0) AS large, coalesce(sum(total_pages > 50), 0) AS very_large
     FROM jobs j WHERE ${JOBS_IN_RANGE} AND total_pages > 0`,
    r.teamId, r.from, r.to,
  );
  return {
    range: rangeOut(r),
    summary: { total_documents: s.n, total_file_size: s.total, avg_file_size: round(s.avg), min_file_size: s.min ?? 0, max_file_size: s.max ?? 0, avg_pages_per_doc: round(s.pages) },
    distribution: { small_docs: s.small, medium_docs: s.medium, large_docs: s.large, very_large_docs: s.very_large },
  };
}

export function fileTypes(ctx: AppContext, r: Range, limit = 50) {
  const rows = q<{ extension: string; document_count: number; total_pages: number; total_size: number }>(
    ctx,
    `SELECT coalesce(detected_type, lower(CASE WHEN instr(file_name, '.') > 0 THEN replace(file_name, rtrim(file_name, replace(file_name, '.', '')), '') END), 'unknown') AS extension,
            count(*) AS document_count, coalesce(sum(total_pages), 0) AS total_pages, coalesce(sum(coalesce(size_bytes, declared_size)), 0) AS total_size
     FROM jobs j WHERE ${JOBS_IN_RANGE} GROUP BY extension ORDER BY document_count DESC, extension LIMIT ?4`,
    r.teamId, r.from, r.to, limit,
  );
  return { range: rangeOut(r), file_types: rows };
}

export function topTemplates(ctx: AppContext, r: Range, limit = 10) {
  const rows = q<{ id: string; name: string; usage_count: number; job_count: number; total_pages: number; credits_consumed: number }>(
    ctx,
    `SELECT t.id AS id, t.name AS name, t.usage_count AS usage_count, count(j.id) AS job_count,
            coalesce(sum(j.total_pages), 0) AS total_pages, coalesce(sum(j.credits_used), 0) AS credits_consumed
     FROM templates t JOIN jobs j ON j.template_id = t.id AND ${JOBS_IN_RANGE}
     WHERE t.team_id = ?1 GROUP BY t.id ORDER BY job_count DESC, t.name LIMIT ?4`,
    r.teamId, r.from, r.to, limit,
  );
  return { range: rangeOut(r), templates: rows };
}

/** Jobs are made by API keys; a key created by a user counts for that user, other keys for themselves. */
const USER_OF = `coalesce(k.created_by_user_id, j.api_key_id, 'unknown')`;

export function userActivity(ctx: AppContext, r: Range) {
  const rows = q<{ user_id: string; job_count: number; total_pages: number; credits_consumed: number; active_days: number; first: number; last: number }>(
    ctx,
    `SELECT ${USER_OF} AS user_id, count(*) AS job_count, coalesce(sum(j.total_pages), 0) AS total_pages, coalesce(sum(j.credits_used), 0) AS credits_consumed,
            count(DISTINCT strftime('%Y-%m-%d', j.created_at / 1000, 'unixepoch')) AS active_days, min(j.created_at) AS first, max(j.created_at) AS last
     FROM jobs j LEFT JOIN api_keys k ON k.id = j.api_key_id WHERE ${JOBS_IN_RANGE} GROUP BY user_id ORDER BY last DESC`,
    r.teamId, r.from, r.to,
  );
  return {
    range: rangeOut(r),
    users: rows.map(({ first, last, ...u }) => ({ ...u, first_activity: new Date(first).toISOString(), last_activity: new Date(last).toISOString() })),
  };
}

export function topUsers(ctx: AppContext, r: Range, limit = 10) {
  const rows = q<{ user_id: string; job_count: number; completed_jobs: number; failed_jobs: number; total_pages: number; credits_consumed: number }>(
    ctx,
    `SELECT ${USER_OF} AS user_id, count(*) AS job_count, coalesce(sum(j.status = 'completed'), 0) AS completed_jobs, coalesce(sum(j.status = 'failed'), 0) AS failed_jobs,
            coalesce(sum(j.total_pages), 0) AS total_pages, coalesce(sum(j.credits_used), 0) AS credits_consumed
     FROM jobs j LEFT JOIN api_keys k ON k.id = j.api_key_id WHERE ${JOBS_IN_RANGE} GROUP BY user_id ORDER BY job_count DESC, user_id LIMIT ?4`,
    r.teamId, r.from, r.to, limit,
  );
  return { range: rangeOut(r), users: rows.map((u) => ({ ...u, success_rate: pct(u.completed_jobs, u.completed_jobs + u.failed_jobs) })) };
}

export function confidence(ctx: AppContext, r: Range) {
  const s = q1<{ avg: number | null; min: number | null; max: number | null; total: number; unscored: number; low: number; medium: number; high: number; very_high: number }>(
    ctx,
    `SELECT avg(p.confidence) AS avg, min(p.confidence) AS min, max(p.confidence) AS max, count(*) AS total, coalesce(sum(p.confidence IS NULL), 0) AS unscored,
            coalesce(sum(p.confidence < 0.5), 0) AS low, coalesce(sum(p.confidence >= 0.5 AND p.confidence < 0.75), 0) AS medium,
            coalesce(sum(p.confidence >= 0.75 AND p.confidence < 0.9), 0) AS high, coalesce(sum(p.confidence >= 0.9), 0) AS very_high
     FROM pages p JOIN jobs j ON j.id = p.job_id WHERE ${JOBS_IN_RANGE} AND p.status = 'completed'`,
    r.teamId, r.from, r.to,
  );
  return {
    range: rangeOut(r),
    summary: { avg_confidence: round(s.avg, 4), min_confidence: round(s.min, 4), max_confidence: round(s.max, 4), total_pages: s.total, unscored_count: s.unscored },
    distribution: { low: s.low, medium: s.medium, high: s.high, very_high: s.very_high },
  };
}

export function confidenceTimeseries(ctx: AppContext, r: Range) {
  const rows = q<{ bucket: string; avg_confidence: number | null; total_pages: number; high_confidence_count: number; low_confidence_count: number }>(
    ctx,
    `SELECT ${bucketSql("j.created_at", r.bucket)} AS bucket, avg(p.confidence) AS avg_confidence, count(*) AS total_pages,
            coalesce(sum(p.confidence >= 0.9), 0) AS high_confidence_count, coalesce(sum(p.confidence < 0.5), 0) AS low_confidence_count
     FROM pages p JOIN jobs j ON j.id = p.job_id WHERE ${JOBS_IN_RANGE} AND p.status = 'completed' GROUP BY bucket`,
    r.teamId, r.from, r.to,
  ).map((row) => ({ ...row, avg_confidence: round(row.avg_confidence, 4) }));
  return { range: rangeOut(r), timeseries: fill(r, rows, { avg_confidence: 0, total_pages: 0, high_confidence_count: 0, low_confidence_count: 0 }) };
}

function delta(current: number, previous: number) {
  const change = round(current - previous);
  return { current, previous, change, change_rate: previous !== 0 ? round((change / previous) * 100) : current !== 0 ? 100 : 0, trend: change > 0 ? ("up" as const) : change < 0 ? ("down" as const) : ("flat" as const) };
}

export function compare(ctx: AppContext, r: Range) {
  const prev: Range = { ...r, from: r.from - (r.to - r.from) - 1, to: r.from - 1 };
  const a = jobTotals(ctx, r);
  const b = jobTotals(ctx, prev);
  const rate = (t: JobTotals) => pct(t.failed_jobs, t.completed_jobs + t.failed_jobs);
  return {
    current_range: rangeOut(r),
    previous_range: rangeOut(prev),
    jobs: delta(a.total_jobs, b.total_jobs),
    pages: delta(a.total_pages, b.total_pages),
    credits_used: delta(a.credits_consumed, b.credits_consumed),
    failure_rate: delta(rate(a), rate(b)),
  };
}

export type { LimitedQuery };
