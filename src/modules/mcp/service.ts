/**
 * What each MCP tool does: the SDK routes' own services (src/modules/ocr, templates), called
 * with the key's team, so credits, tenant isolation, audit and messages are the HTTP API's.
 * Permissions are checked here per tool, with the rule the SDK routes use (keyCan).
 */
import * as v from "valibot";
import type { AppContext } from "../../context";
import { ApiError, badRequest, forbidden, notFound } from "../../lib/errors";
import { LocalStorage } from "../../adapters/storage-local";
import type { Actor } from "../audit/service";
import type { ApiKeyAuth } from "../auth/service";
import { keyCan, type Permission } from "../auth/permissions";
import * as ocr from "../ocr/service";
import { listTemplates, toTemplateResponse } from "../templates/service";
import { templatesRepository } from "../templates/repository";
import * as t from "./tools";

export interface McpCaller {
  auth: ApiKeyAuth;
  actor: Actor;
  /** Where part URLs of this server point (the direct-upload flow on S3 needs none of it). */
  baseUrl: string;
}

export interface ToolResult {
  content: { type: "text"; text: string }[];
  isError?: boolean;
  [key: string]: unknown;
}

/** Largest document sent inline as base64; bigger ones go by URL (the request body holds 4/3 of it). */
export const MAX_INLINE_BYTES = 32 * 1024 * 1024;

const PERMISSION: Record<string, Permission> = {
  read_document: "jobs:write",
  job_status: "jobs:read",
  job_result: "jobs:read",
  list_models: "jobs:read",
  list_templates: "templates:read",
  get_template: "templates:read",
  delete_job: "jobs:delete",
};

const text = (s: string): ToolResult => ({ content: [{ type: "text", text: s }] });
const json = (value: unknown): ToolResult => text(JSON.stringify(value, null, 2));
const toolError = (message: string): ToolResult => ({ content: [{ type: "text", text: message }], isError: true });

function parse<S extends v.GenericSchema>(schema: S, args: unknown): v.InferOutput<S> {
  const r = v.safeParse(schema, args ?? {});
  if (r.success) return r.output;
  const issue = r.issues[0];
  const field = issue.path?.map((p) => String(p.key)).join(".");
  throw badRequest(`${field ? `${field}: ` : ""}${issue.message}`);
}

/** Runs one tool; API errors come back as tool errors carrying the API's message. */
export async function callTool(ctx: AppContext, caller: McpCaller, name: string, args: unknown): Promise<ToolResult> {
  const permission = PERMISSION[name];
  if (!permission) return toolError(`Unknown tool "${name}". Tools: ${Object.keys(PERMISSION).join(", ")}.`);
  try {
    const { auth } = caller;
    if (!keyCan(auth.scopes, auth.creatorRole, permission)) {
      throw forbidden(`This API key may not do that (needs the ${permission} scope, and a creator whose role has it).`);
    }
    switch (name) {
      case "read_document":
        return await readDocument(ctx, caller, parse(t.ReadDocumentInput, args));
      case "job_status":
        return json(ocr.getJobStatus(ctx, auth, parse(t.JobIdInput, args).job_id));
      case "job_result": {
        const a = parse(t.JobResultInput, args);
        return await jobResult(ctx, auth, a.job_id, a.first_page, a.max_pages);
      }
      case "list_models":
        return json(ocr.listModels(ctx));
      case "list_templates": {
        const a = parse(t.ListTemplatesInput, args);
        const page = await listTemplates(ctx, auth.teamId, { limit: 50, search: a.search, format: a.format });
        return json({ total: page.total_count, templates: page.data.map((x) => ({ slug: x.slug, name: x.name, format: x.format, description: x.description, model: x.model })) });
      }
      case "get_template": {
        const { slug } = parse(t.GetTemplateInput, args);
        const row = await templatesRepository(ctx.data).bySlug(auth.teamId, slug);
        if (!row) throw notFound(`Template "${slug}" not found for this team.`);
        return json(toTemplateResponse(row));
      }
      default:
        return json(await ocr.deleteJob(ctx, auth, parse(t.JobIdInput, args).job_id, caller.actor));
    }
  } catch (err) {
    if (err instanceof ApiError) return toolError(err.message);
    throw err;
  }
}

function decodeBase64(content: string): Uint8Array {
  const clean = content.replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(clean)) throw badRequest("content_base64 is not valid base64.");
  return Buffer.from(clean, "base64");
}

/** The direct-upload flow of the SDK routes, with the bytes given inline: create, store the parts, complete. */
async function uploadInline(ctx: AppContext, caller: McpCaller, a: t.ReadDocumentInput): Promise<string> {
  if (!a.file_name) throw badRequest("file_name is required with content_base64 (e.g. report.pdf).");
  const bytes = decodeBase64(a.content_base64!);
  if (bytes.length === 0) throw badRequest("content_base64 decodes to an empty file.");
  const inlineLimit = Math.min(MAX_INLINE_BYTES, ctx.config.maxFileBytes);
  if (bytes.length > inlineLimit && bytes.length <= ctx.config.maxFileBytes) {
    throw badRequest(`The file is ${bytes.length} bytes; inline (base64) documents may be at most ${inlineLimit} bytes. Give a url instead.`);
  }
  // The real type is sniffed from the bytes when the upload completes, as for any upload.
  const contentType = "application/octet-stream";
  const created = await ocr.createDirectUpload(
    ctx, caller.auth,
    { file_name: a.file_name, file_size: bytes.length, content_type: contentType, format: a.format, model: a.model, instructions: a.instructions, schema: a.schema, template_slug: a.template_slug },
    caller.baseUrl,
  );
  const parts: { part_number: number; etag: string }[] = [];
  for (const p of created.parts) {
    const chunk = bytes.subarray(p.start_byte, p.end_byte + 1);
    // Local disk: write the part as the signed PUT would; a bucket: PUT to its presigned URL.
    const etag = ctx.storage instanceof LocalStorage
      ? await ctx.storage.writePart(created.upload_id, p.part_number, chunk)
      : await putPart(p.upload_url, chunk);
    parts.push({ part_number: p.part_number, etag });
  }
  await ocr.completeDirectUpload(ctx, caller.auth, created.job_id, parts);
  return created.job_id;
}

async function putPart(url: string, chunk: Uint8Array): Promise<string> {
  const res = await fetch(url, { method: "PUT", body: chunk });
  const etag = res.headers.get("etag");
  if (!res.ok || !etag) throw new ApiError(502, "SYSTEM_ERROR", `Storing the document failed (storage answered ${res.status}).`);
  return etag;
}

async function readDocument(ctx: AppContext, caller: McpCaller, a: t.ReadDocumentInput): Promise<ToolResult> {
  if ((a.url === undefined) === (a.content_base64 === undefined)) {
    throw badRequest("Give either url, or content_base64 with file_name (not both).");
  }
  const jobId = a.url !== undefined
    ? (await ocr.createUrlJob(ctx, caller.auth, { url: a.url, file_name: a.file_name, format: a.format, model: a.model, instructions: a.instructions, schema: a.schema, template_slug: a.template_slug })).job_id
    : await uploadInline(ctx, caller, a);
  const deadline = Date.now() + a.wait_seconds * 1000;
  for (;;) {
    const status = ocr.getJobStatus(ctx, caller.auth, jobId);
    if (status.status === "completed" || status.status === "failed") break;
    if (Date.now() >= deadline) {
      return text(
        `Job ${jobId} is still ${status.status} (${status.processed_pages}/${status.total_pages} pages) after ${a.wait_seconds} s. ` +
          `Poll job_status with job_id "${jobId}", then call job_result when it is completed.`,
      );
    }
    await Bun.sleep(Math.min(250, Math.max(0, deadline - Date.now())));
  }
  return jobResult(ctx, caller.auth, jobId, a.first_page, a.max_pages);
}

/** A window of a finished job's pages, each headed by its page number, and how to get the next ones. */
async function jobResult(ctx: AppContext, auth: ApiKeyAuth, jobId: string, firstPage: number, maxPages: number): Promise<ToolResult> {
  // The SDK route's paging is aligned pages of `limit`; read up to the window's end and keep the window.
  const lastWanted = firstPage + maxPages - 1;
  const r = await ocr.getJobResult(ctx, auth, jobId, 1, lastWanted);
  if (!r.finished) {
    return text(`Job ${jobId} is ${r.body.status} (${r.body.processed_pages}/${r.body.total_pages} pages); call job_result again when job_status says completed.`);
  }
  const b = r.body;
  if (b.status === "failed" && b.total_pages === 0) return toolError(`Job ${jobId} failed: ${b.error_message ?? "no page could be read"}.`);
  const window = b.pages.filter((p) => p.page_number >= firstPage);
  const last = window.length > 0 ? window[window.length - 1]!.page_number : firstPage - 1;
  const lines = [
    `Job ${jobId} (${b.file_name}): ${b.status}, ${b.total_pages} page(s), model ${b.model}, ${b.credits_used} credit(s) used.`,
    window.length > 0 ? `Pages ${firstPage}-${last} of ${b.total_pages}.` : `No pages from page ${firstPage} on (the document has ${b.total_pages}).`,
  ];
  if (last < b.total_pages) lines.push(`More pages: call job_result with job_id "${jobId}" and first_page ${last + 1}.`);
  if (b.structured_result !== undefined && b.structured_result !== null) {
    lines.push("", "Structured result (whole document):", JSON.stringify(b.structured_result, null, 2));
  }
  for (const p of window) {
    lines.push("", `--- Page ${p.page_number} ---`);
    if (p.status === "failed") lines.push(`(this page could not be read: ${p.error_message ?? "unknown error"})`);
    else if (typeof p.result === "string") lines.push(p.result);
    else if (p.result !== null && p.result !== undefined && b.structured_result === undefined) lines.push(JSON.stringify(p.result, null, 2));
  }
  return text(lines.join("\n"));
}
