/** Analytics responses, with the LeapOCR reference's field names. All figures come from this server's database. */
import * as v from "valibot";

const n = v.number();

export const RangeQuery = v.object({
  range: v.optional(v.picklist(["24h", "1d", "day", "7d", "week", "14d", "30d", "month", "90d", "quarter", "180d", "6m", "365d", "year"])),
  start: v.optional(v.string()),
  end: v.optional(v.string()),
});
export const SeriesQuery = v.object({
  ...RangeQuery.entries,
  bucket: v.optional(v.picklist(["hour", "day", "week", "month"])),
  granularity: v.optional(v.picklist(["hour", "day", "week", "month"])),
});
export const LimitedQuery = v.object({
  ...RangeQuery.entries,
  limit: v.optional(v.pipe(v.string(), v.regex(/^\d+$/, "limit must be a whole number"), v.transform(Number), v.minValue(1, "limit must be 1 to 100"), v.maxValue(100, "limit must be 1 to 100"))),
});
export type SeriesQuery = v.InferOutput<typeof SeriesQuery>;
export type LimitedQuery = v.InferOutput<typeof LimitedQuery>;

export const Range = v.object({ team_id: v.string(), start: v.string(), end: v.string(), bucket: v.string(), requested_range: v.string() });

export const CreditsOverview = v.object({ granted: n, consumed: n, refunded: n, adjusted: n, net: n, balance: n });
export const JobOverview = v.object({
  total_jobs: n, completed_jobs: n, failed_jobs: n, active_jobs: n, cancelled_jobs: n, total_pages: n, processed_pages: n,
  credits_consumed: n, success_rate: n, avg_completion_seconds: n, avg_active_seconds: n, throughput_jobs_per_second: n,
});
export const PageOverview = v.object({ total_pages: n, completed_pages: n, failed_pages: n, empty_pages: n, hard_failure_pages: n, total_tokens: n });
export const WebhookSummary = v.object({ total_events: n, processed_events: n, failed_events: n, pending_events: n, success_rate: n, avg_processing_seconds: n });

export const OverviewResponse = v.object({ range: Range, jobs: JobOverview, pages: PageOverview, credits: CreditsOverview, webhooks: WebhookSummary });

export const JobTimeseriesResponse = v.object({
  range: Range,
  timeseries: v.array(v.object({ bucket: v.string(), total_jobs: n, completed_jobs: n, failed_jobs: n, active_jobs: n, total_pages: n, processed_pages: n, credits_consumed: n, avg_completion_seconds: n })),
});
export const PageTimeseriesResponse = v.object({
  range: Range,
  timeseries: v.array(v.object({ bucket: v.string(), total_pages: n, completed_pages: n, failed_pages: n, empty_pages: n, hard_failure_pages: n, total_tokens: n })),
});
export const CreditsUsageResponse = v.object({
  range: Range,
  snapshot: CreditsOverview,
  timeseries: v.array(v.object({ bucket: v.string(), granted: n, consumed: n, refunded: n, adjusted: n, net_change: n })),
  model_breakdown: v.array(v.object({ model: v.string(), credits_consumed: n, jobs_processed: n, transactions: n, user_id: v.optional(v.string()) })),
});
export const ErrorAnalysisResponse = v.object({
  range: Range,
  summary: v.object({ total_jobs: n, completed_jobs: n, failed_jobs: n, jobs_with_errors: n, failure_rate_percent: n }),
  patterns: v.array(v.object({ category: v.string(), count: n, percentage: n })),
});
export const ErrorTimeseriesResponse = v.object({
  range: Range,
  timeseries: v.array(v.object({ bucket: v.string(), total_jobs: n, completed_jobs: n, failed_jobs: n, failure_rate: n })),
});
export const DocumentStatsResponse = v.object({
  range: Range,
  summary: v.object({ total_documents: n, total_file_size: n, avg_file_size: n, min_file_size: n, max_file_size: n, avg_pages_per_doc: n }),
  /** By pages: small 1, medium 2-10, large 11-50, very large over 50. */
  distribution: v.object({ small_docs: n, medium_docs: n, large_docs: n, very_large_docs: n }),
});
export const FileTypeResponse = v.object({
  range: Range,
  file_types: v.array(v.object({ extension: v.string(), document_count: n, total_pages: n, total_size: n })),
});
export const TopTemplatesResponse = v.object({
  range: Range,
  templates: v.array(v.object({ id: v.string(), name: v.string(), usage_count: n, job_count: n, total_pages: n, credits_consumed: n })),
});
export const UserActivityResponse = v.object({
  range: Range,
  users: v.array(v.object({ user_id: v.string(), job_count: n, total_pages: n, credits_consumed: n, active_days: n, first_activity: v.string(), last_activity: v.string() })),
});
export const TopUsersResponse = v.object({
  range: Range,
  users: v.array(v.object({ user_id: v.string(), job_count: n, completed_jobs: n, failed_jobs: n, success_rate: n, total_pages: n, credits_consumed: n })),
});
export const ConfidenceResponse = v.object({
  range: Range,
  summary: v.object({ avg_confidence: n, min_confidence: n, max_confidence: n, total_pages: n, unscored_count: n }),
  /** low < 0.5 <= medium < 0.75 <= high < 0.9 <= very_high. */
  distribution: v.object({ low: n, medium: n, high: n, very_high: n }),
});
export const ConfidenceTimeseriesResponse = v.object({
  range: Range,
  timeseries: v.array(v.object({ bucket: v.string(), avg_confidence: n, total_pages: n, high_confidence_count: n, low_confidence_count: n })),
});
const Delta = v.object({ current: n, previous: n, change: n, change_rate: n, trend: v.picklist(["up", "down", "flat"]) });
export const CompareResponse = v.object({ current_range: Range, previous_range: Range, jobs: Delta, pages: Delta, credits_used: Delta, failure_rate: Delta });
