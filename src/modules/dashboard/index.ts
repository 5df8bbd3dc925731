/**
 * The dashboard: the files of public/ (embedded in the binary) at `/`, the first-run form's
 * API, and the few session-friendly twins the browser needs of routes that otherwise take only
 * an API key (upload, result, models, data flow), plus live job events and page images.
 * The twins call the same service functions as the SDK routes, with the session's team, so
 * the SDK routes stay exactly as they are for API keys.
 */
import { Elysia } from "elysia";
import * as v from "valibot";
import type { AppContext } from "../../context";
import { stillAllowed, teamGuard } from "../auth";
import * as ocrModel from "../ocr/model";
import { DataFlowResponse } from "../subprocessors/model";
import * as ocr from "../ocr/service";
import { JobEventHub, eventStream, sqliteJobEventReader } from "./events";
import { aboutRoutes } from "./about";
import { setupRoutes } from "./setup";
import { createStaticServer } from "./static";
import { dataFlow, renderPageImage, teamAuth } from "./service";

const Team = v.object({ organization_id: v.string(), team_id: v.string() });
const TeamJob = v.object({ ...Team.entries, job_id: v.pipe(v.string(), v.uuid("job_id must be a UUID")) });
const TeamJobPage = v.object({ ...TeamJob.entries, page: v.pipe(v.string(), v.transform(Number), v.integer("page must be a whole number"), v.minValue(1)) });
const errors = { 400: ocrModel.ErrorResponse, 401: ocrModel.ErrorResponse, 403: ocrModel.ErrorResponse, 404: ocrModel.ErrorResponse };
const security: Record<string, string[]>[] = [{ sessionCookie: [] }, { bearer: [] }, { apiKey: [] }];
const detail = (summary: string, description: string) => ({ summary, description, tags: ["Dashboard"], security });

function baseUrlOf(ctx: AppContext, request: Request): string {
  return ctx.config.publicUrl ? ctx.config.publicUrl.replace(/\/+$/, "") : new URL(request.url).origin;
}

export const dashboardTeamRoutes = (ctx: AppContext, hub: JobEventHub) =>
  new Elysia({ prefix: "/api/v1/organizations/:organization_id/teams/:team_id", name: "dashboard.team" })
    .use(teamGuard(ctx))
    .post("/uploads/direct", ({ team, principal, body, request }) => ocr.createDirectUpload(ctx, teamAuth(team.id, principal), body, baseUrlOf(ctx, request)), {
      team: "jobs:write",
      params: Team,
      body: ocrModel.DirectUploadRequest,
      response: { 200: ocrModel.DirectUploadResponse, ...errors },
      detail: detail("Start a direct upload (dashboard)", "The dashboard's twin of POST /api/v1/ocr/uploads/direct for a signed-in user: same request and answer; the job belongs to the team in the path."),
    })
    .post("/uploads/:job_id/complete", ({ team, principal, params, body }) => ocr.completeDirectUpload(ctx, teamAuth(team.id, principal), params.job_id, body.parts), {
      team: "jobs:write",
      params: TeamJob,
      body: ocrModel.CompleteUploadRequest,
      response: { 200: ocrModel.CompleteUploadResponse, 409: ocrModel.ErrorResponse, ...errors },
      detail: detail("Complete a direct upload (dashboard)", "Twin of POST /api/v1/ocr/uploads/{job_id}/complete for a signed-in user."),
    })
    .get(
      "/jobs/:job_id/result",
      async ({ team, principal, params, query, set }) => {
        const r = await ocr.getJobResult(ctx, teamAuth(team.id, principal), params.job_id, query.page, query.limit);
        if (!r.finished) set.status = 202;
        return r.body;
      },
      {
        team: "jobs:read",
        params: TeamJob,
        query: ocrModel.ResultQuery,
        response: { 200: ocrModel.ResultResponse, 202: ocrModel.ResultPendingResponse, ...errors },
        detail: detail("Job result (dashboard)", "Twin of GET /api/v1/ocr/result/{job_id} for a signed-in user: pages with markdown or the structured object, bounding boxes and per-page errors."),
      },
    )
    .get(
      "/jobs/:job_id/pages/:page/image",
      async ({ team, params }) =>
        new Response(await renderPageImage(ctx, team.id, params.job_id, params.page), {
          headers: { "content-type": "image/png", "cache-control": "private, max-age=600", "x-content-type-options": "nosniff" },
        }),
      {
        team: "jobs:read",
        params: TeamJobPage,
        detail: detail("Page image", "One page of the job's uploaded file as a PNG at 100 DPI, rendered on demand. Bounding boxes are in the coordinates of the page's `dimensions`; scale them to the image. Answers 410 when retention has deleted the file."),
      },
    )
    .get("/jobs/events", ({ team, principal, request, server }) => {
      // Bun closes a connection idle for 10 s by default; this one is meant to stay open (until the guard says otherwise).
      server?.timeout?.(request, 0);
      return eventStream(hub, team.id, request.signal, {
        allowed: () => stillAllowed(ctx, team.id, principal, "jobs:read"),
        recheckMs: ctx.config.streamRecheckSeconds * 1000,
      });
    }, {
      team: "jobs:read",
      params: Team,
      // Hidden: a stream never ends, which API walkers (and the OpenAPI contract tests) cannot call.
      detail: { hide: true },
    })
    .get("/models", () => ocr.listModels(ctx), {
      team: "jobs:read",
      params: Team,
      response: { 200: ocrModel.ModelsResponse, ...errors },
      detail: detail("Available models (dashboard)", "Twin of GET /api/v1/ocr/models for a signed-in user."),
    })
    .get("/data-flow", () => dataFlow(ctx), {
      team: "settings:read",
      params: Team,
      response: { 200: DataFlowResponse, ...errors },
      detail: detail("Data flow", "Which outside providers receive what, generated from this server's configuration: model routes, object storage and dashboard analytics. With the offline engine and local disk alone, nothing leaves the server."),
    });

export function dashboardPlugin(ctx: AppContext) {
  const files = createStaticServer(ctx.config);
  const hub = new JobEventHub(ctx, sqliteJobEventReader(ctx));
  // Elysia registers routes on the instance itself, so a loop over the embedded files is enough.
  const staticFiles = new Elysia({ name: "dashboard.static" });
  for (const path of ["/", ...files.paths]) staticFiles.get(path, ({ request }) => files.serve(path, request), { detail: { hide: true } });
  const app = new Elysia({ name: "dashboard" }).use(setupRoutes(ctx)).use(aboutRoutes(ctx)).use(dashboardTeamRoutes(ctx, hub)).use(staticFiles);
  return { app, hub };
}
