/**
 * /organizations/{organization_id}/teams/{team_id}/jobs: the list is the LeapOCR reference's;
 * one job's workflow, retry and delete are this server's own, under the same prefix.
 */
import { Elysia } from "elysia";
import * as v from "valibot";
import type { AppContext } from "../../context";
import { teamGuard } from "../auth";
import { ErrorResponse } from "../ocr/model";
import { WorkspaceParams } from "./paging";
import * as m from "./model";
import * as jobs from "./service";

const errors = { 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse };
const tags = ["Jobs"];
const security = [{ apiKey: [] }];

export const jobRoutes = (ctx: AppContext) =>
  new Elysia({ prefix: "/api/v1/organizations/:organization_id/teams/:team_id/jobs", name: "jobs" })
    .use(teamGuard(ctx))
    .get("", ({ team, query }) => jobs.listJobs(ctx, team.id, query), {
      team: "jobs:read",
      params: WorkspaceParams,
      query: m.JobsListQuery,
      response: { 200: m.JobsListResponse, ...errors },
      detail: { summary: "List jobs", description: "Cursor pagination, newest first. Filters: status, model, result_format, template_id, created_from/created_to (ISO 8601), search (part of the file name), include_deleted.", tags, security },
    })
    .get("/:job_id", ({ team, params }) => jobs.getJob(ctx, team.id, params.job_id), {
      team: "jobs:read",
      params: m.JobIdPath,
      response: { 200: m.JobDetailResponse, ...errors },
      detail: { summary: "Job workflow", description: "Status with the workflow: each page's state, attempts, route and error, timings, the routes used, and whether a retry is possible.", tags, security },
    })
    .post("/:job_id/retry", ({ team, params, body, actor }) => jobs.retryJob(ctx, team.id, params.job_id, body?.pages ?? "failed", actor), {
      team: "jobs:write",
      params: m.JobIdPath,
      body: m.RetryRequest,
      response: { 200: m.RetryResponse, 409: ErrorResponse, ...errors },
      detail: { summary: "Retry a job", description: "A failed job, or a finished job's failed pages (`pages: \"failed\"`, the default; `\"all\"` reads every page again), go back to the queue. Needs the uploaded file still stored: 409 otherwise. The earlier charge is refunded; finishing charges again.", tags, security },
    })
    .delete(
      "/:job_id",
      async ({ team, params, actor, set }) => {
        await jobs.deleteTeamJob(ctx, team.id, params.job_id, actor);
        set.status = 204;
      },
      {
        team: "jobs:delete",
        params: m.JobIdPath,
        response: { 204: v.undefined(), ...errors },
        detail: { summary: "Delete a job", description: "Deletes the uploaded file, page images and results at once, even while it runs; the job stays in the list with include_deleted.", tags, security },
      },
    );
