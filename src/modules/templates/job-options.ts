/**
 * Templates on the SDK routes. `template_slug` fills in the options a request leaves out:
 * format, model, instructions, schema and bounding boxes. `template_slug` and `format` are
 * mutually exclusive, but both are accepted when they agree (the Python SDK always sends a
 * format). `save_as_template` saves a job's inline options as a new template of the team.
 */
import { eq, sql } from "drizzle-orm";
import type { ResultFormat } from "../../ports/model";
import { prepared } from "../../db/prepared";
import type { AppContext } from "../../context";
import type { Db } from "../../db/client";
import { jobs } from "../../db/schema";
import { badRequest } from "../../lib/errors";
import type { JobOwner } from "../ocr/service";
import { emitJobEvent } from "../webhooks/events";
import { countTemplateUse, saveJobOptionsAsTemplate, templateForJob, type Template } from "./service";

export interface JobOptionsInput {
  format?: ResultFormat;
  model?: string;
  instructions?: string;
  schema?: Record<string, unknown>;
  template_slug?: string;
  extract_bounding_boxes?: boolean;
}

export function applyTemplate<T extends JobOptionsInput>(ctx: AppContext, teamId: string, input: T): { input: T; template: Template | undefined } {
  if (!input.template_slug) return { input, template: undefined };
  const template = templateForJob(ctx, teamId, input.template_slug);
  if (input.format && input.format !== template.format) {
    throw badRequest(`template_slug "${template.slug}" produces format "${template.format}" but format is "${input.format}"; send one or the other (or the same format).`);
  }
  return {
    template,
    input: {
      ...input,
      format: template.format as ResultFormat,
      model: input.model ?? template.model,
      instructions: input.instructions ?? template.instructions ?? undefined,
      schema: input.schema ?? (template.schemaJson ? (JSON.parse(template.schemaJson) as Record<string, unknown>) : undefined),
      extract_bounding_boxes: input.extract_bounding_boxes ?? template.extractBoundingBoxes,
    },
  };
}

type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

/**
 * In the transaction that created the job: count the template's use, or save the inline options
 * as a template (save_as_template), and queue the job.created event.
 */
export function onJobCreated(ctx: AppContext, auth: JobOwner, jobId: string, saveAsTemplate: boolean, tx: Tx): void {
  // Prepared on the one connection, so it sees the row the caller's transaction just wrote.
  const job = prepared(ctx.db, "templates.jobById", (d) => d.select().from(jobs).where(eq(jobs.id, sql.placeholder("id"))).prepare()).get({ id: jobId })!;
  const now = ctx.clock();
  if (job.templateId) countTemplateUse(tx, job.templateId, now);
  else if (saveAsTemplate) {
    const t = saveJobOptionsAsTemplate(ctx, job.teamId, job.fileName, job, auth.apiKeyId ? { type: "api_key", id: auth.apiKeyId } : { type: "user", id: null }, tx);
    tx.update(jobs).set({ templateId: t.id, templateSlug: t.slug }).where(eq(jobs.id, jobId)).run();
  }
  emitJobEvent(ctx, jobId, "job.created", tx);
}
