/**
 * The LeapOCR SDK routes. Mounted twice: under /api/v1 (documented) and at the root, because
 * the Go SDK's default base URL omits the prefix.
 */
import { Elysia } from "elysia";
import type { AppContext } from "../../context";
import { apiKeyGuard, apiKeyActor } from "../auth";
import * as m from "./model";
import * as ocr from "./service";
import { notFound } from "../../lib/errors";

const DEMO_MESSAGE =
  "The /ocr/demo routes are the hosted LeapOCR service's key-less trial; this self-hosted server has no trial. Create an API key (in the dashboard, or with `leapocr admin create`) and use /ocr/uploads/direct or /ocr/uploads/url.";

const errors = { 400: m.ErrorResponse, 401: m.ErrorResponse, 404: m.ErrorResponse, 500: m.ErrorResponse };

function baseUrlOf(ctx: AppContext, request: Request): string {
  return ctx.config.publicUrl ? ctx.config.publicUrl.replace(/\/+$/, "") : new URL(request.url).origin;
}

export const ocrRoutes = (ctx: AppContext, prefix: string, documented: boolean) => {
  const detail = (summary: string, description: string) => ({ summary, description, tags: ["SDK"], security: [{ apiKey: [] }], ...(documented ? {} : { hide: true }) });
  return new Elysia({ prefix, name: `ocr${prefix}` })
    .use(apiKeyGuard(ctx))
    .post("/ocr/uploads/direct", ({ auth, body, request }) => ocr.createDirectUpload(ctx, auth, body, baseUrlOf(ctx, request)), {
      apiKey: true,
      body: m.DirectUploadRequest,
      response: { 200: m.DirectUploadResponse, ...errors },
      detail: detail("Start a direct upload", "Creates a job and answers signed part URLs. PUT the file's bytes to each `upload_url` (no API key: the URL carries a signature and expiry), then call `complete_url` with the ETags."),
    })
    .post("/ocr/uploads/:job_id/complete", ({ auth, params, body }) => ocr.completeDirectUpload(ctx, auth, params.job_id, body.parts), {
      apiKey: true,
      params: m.JobIdParams,
      body: m.CompleteUploadRequest,
      response: { 200: m.CompleteUploadResponse, 409: m.ErrorResponse, ...errors },
      detail: detail("Complete a direct upload", "Joins the uploaded parts, checks the size and the real file type, and queues the job."),
    })
    .post("/ocr/uploads/url", ({ auth, body }) => ocr.createUrlJob(ctx, auth, body), {
      apiKey: true,
      body: m.UrlUploadRequest,
      response: { 200: m.UrlUploadResponse, ...errors },
      detail: detail("Process a document from a URL", "The server downloads the document itself. Loopback, private, link-local and metadata addresses are refused."),
    })
    .get("/ocr/status/:job_id", ({ auth, params }) => ocr.getJobStatus(ctx, auth, params.job_id), {
      apiKey: true,
      params: m.JobIdParams,
      response: { 200: m.StatusResponse, ...errors },
      detail: detail("Job status", "Status and progress of a job. `status` is pending, processing, completed or failed."),
    })
    .get(
      "/ocr/result/:job_id",
      async ({ auth, params, query, set }) => {
        const result = await ocr.getJobResult(ctx, auth, params.job_id, query.page, query.limit);
        if (!result.finished) {
          set.status = 202;
          return result.body;
        }
        return result.body;
      },
      {
        apiKey: true,
        params: m.JobIdParams,
        query: m.ResultQuery,
        response: { 200: m.ResultResponse, 202: m.ResultPendingResponse, ...errors },
        detail: detail("Job result", "Pages of a finished job, paginated with `page` and `limit`. Answers 202 with progress while the job runs. Each page's `result` is markdown. A structured job produces ONE object for the whole document: it is `structured_result` at the top level and page 1's `result`; every other page's `result` is null."),
      },
    )
    .delete("/ocr/delete/:job_id", ({ auth, params, request, server }) => ocr.deleteJob(ctx, auth, params.job_id, apiKeyActor(ctx, auth, request, server)), {
      apiKey: true,
      params: m.JobIdParams,
      response: { 200: m.DeleteResponse, ...errors },
      detail: detail("Delete a job", "Deletes the uploaded file, page images and results at once, even while the job runs. Status and result then answer 404."),
    })
    // The hosted service's key-less trial (the Go SDK's generated client knows these routes). A
    // self-hosted server has no anonymous trial: a clear 404 says what to use instead.
    .all("/ocr/demo/*", () => {
      throw notFound(DEMO_MESSAGE);
    }, { detail: { hide: true } })
    .get("/ocr/models", () => ocr.listModels(ctx), {
      apiKey: true,
      response: { 200: m.ModelsResponse, 401: m.ErrorResponse },
      detail: detail("Available models", "The models this server offers, their credits per page, and the routes that back each."),
    });
};
