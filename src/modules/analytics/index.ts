/** /organizations/{organization_id}/teams/{team_id}/analytics/..., as in the LeapOCR full reference; all need analytics:read. */
import { Elysia } from "elysia";
import type { GenericSchema } from "valibot";
import type { AppContext } from "../../context";
import { teamGuard } from "../auth";
import { ErrorResponse } from "../ocr/model";
import { WorkspaceParams } from "../jobs/paging";
import * as m from "./model";
import * as a from "./service";

const errors = { 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse };
const tags = ["Analytics"];
const security = [{ apiKey: [] }];
const doc = (summary: string, description?: string) => ({ summary, description, tags, security });
const opts = <Q extends GenericSchema, R extends GenericSchema>(query: Q, response: R, summary: string, description?: string) => ({
  team: "analytics:read" as const,
  params: WorkspaceParams,
  query,
  response: { 200: response, ...errors },
  detail: doc(summary, description),
});

export const analyticsRoutes = (ctx: AppContext) =>
  new Elysia({ prefix: "/api/v1/organizations/:organization_id/teams/:team_id/analytics", name: "analytics" })
    .use(teamGuard(ctx))
    .get("/overview", ({ team, query }) => a.overview(ctx, a.resolveRange(ctx, team.id, query)), opts(m.RangeQuery, m.OverviewResponse, "Overview", "Jobs, pages, credits and webhook deliveries over the range (default 30d; `range` preset or `start`/`end`)."))
    .get("/compare", ({ team, query }) => a.compare(ctx, a.resolveRange(ctx, team.id, query)), opts(m.RangeQuery, m.CompareResponse, "Compare with the previous period", "The overview's figures for the range and for the period of the same length just before it, with the change of each."))
    .get("/jobs/timeseries", ({ team, query }) => a.jobTimeseries(ctx, a.resolveRange(ctx, team.id, query)), opts(m.SeriesQuery, m.JobTimeseriesResponse, "Jobs over time", "Buckets of an hour, day (default), week or month; empty buckets are included."))
    .get("/pages/timeseries", ({ team, query }) => a.pageTimeseries(ctx, a.resolveRange(ctx, team.id, query)), opts(m.SeriesQuery, m.PageTimeseriesResponse, "Pages over time", "Pages read and failed per bucket (hour, day, week or month); empty buckets are included."))
    .get("/credits/usage", ({ team, query }) => a.creditUsage(ctx, a.resolveRange(ctx, team.id, query)), opts(m.SeriesQuery, m.CreditsUsageResponse, "Credits over time", "Grants, charges, refunds and adjustments per bucket, and charges per model."))
    .get("/errors", ({ team, query }) => a.errorAnalysis(ctx, a.resolveRange(ctx, team.id, query)), opts(m.RangeQuery, m.ErrorAnalysisResponse, "Errors", "Failure rate and failed pages grouped by cause."))
    .get("/errors/timeseries", ({ team, query }) => a.errorTimeseries(ctx, a.resolveRange(ctx, team.id, query)), opts(m.SeriesQuery, m.ErrorTimeseriesResponse, "Errors over time", "Failed jobs and pages per bucket; empty buckets are included."))
    .get("/documents", ({ team, query }) => a.documentStats(ctx, a.resolveRange(ctx, team.id, query)), opts(m.RangeQuery, m.DocumentStatsResponse, "Documents", "Sizes and page counts of the documents processed."))
    .get("/documents/filetypes", ({ team, query }) => a.fileTypes(ctx, a.resolveRange(ctx, team.id, query), query.limit ?? 50), opts(m.LimitedQuery, m.FileTypeResponse, "File types", "Jobs, pages and failures per detected file type (PDF, PNG, JPEG, TIFF...), most used first."))
    .get("/templates/top", ({ team, query }) => a.topTemplates(ctx, a.resolveRange(ctx, team.id, query), query.limit ?? 10), opts(m.LimitedQuery, m.TopTemplatesResponse, "Top templates", "The templates used by the most jobs in the range."))
    .get("/users/activity", ({ team, query }) => a.userActivity(ctx, a.resolveRange(ctx, team.id, query)), opts(m.RangeQuery, m.UserActivityResponse, "User activity", "Per user (or per API key not made by a user): jobs, pages, credits, active days."))
    .get("/users/top", ({ team, query }) => a.topUsers(ctx, a.resolveRange(ctx, team.id, query), query.limit ?? 10), opts(m.LimitedQuery, m.TopUsersResponse, "Top users", "The users (or API keys) that created the most jobs in the range."))
    .get("/confidence", ({ team, query }) => a.confidence(ctx, a.resolveRange(ctx, team.id, query)), opts(m.RangeQuery, m.ConfidenceResponse, "Confidence", "Page confidence (0 to 1) of completed pages."))
    .get("/confidence/timeseries", ({ team, query }) => a.confidenceTimeseries(ctx, a.resolveRange(ctx, team.id, query)), opts(m.SeriesQuery, m.ConfidenceTimeseriesResponse, "Confidence over time", "Average page confidence per bucket."));
