/**
 * Templates on the SDK routes. `template_slug` fills in the options a request leaves out:
 * format, model, instructions, schema and bounding boxes. `template_slug` and `format` are
 * mutually exclusive, but both are accepted when they agree (the Python SDK always sends a
 * format). `save_as_template` saves a job's inline options as a new template of the team.
 */
import type { ResultFormat } from "../../ports/model";
import type { AppContext } from "../../context";
import { badRequest } from "../../lib/errors";
import type { JobOwner } from "../ocr/service";
import { templatesRepository } from "./repository";
import { saveJobOptionsAsTemplate, templateForJob, type Template } from "./service";

export interface JobOptionsInput {
  format?: ResultFormat;
  model?: string;
  instructions?: string;
  schema?: Record<string, unknown>;
  template_slug?: string;
  extract_bounding_boxes?: boolean;
}

export async function applyTemplate<T extends JobOptionsInput>(ctx: AppContext, teamId: string, input: T): Promise<{ input: T; template: Template | undefined }> {
  if (!input.template_slug) return { input, template: undefined };
  const template = await templateForJob(ctx, teamId, input.template_slug);
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

/**
 * Before the job is written: count the template's use, or save the inline options as a new
 * template (save_as_template). Answers the template the job then names.
 */
export async function useTemplateForNewJob<T extends { templateId: string | null; templateSlug: string | null; format: string; model: string; instructions: string | null; schemaJson: string | null; extractBoundingBoxes: boolean }>(
  ctx: AppContext,
  auth: JobOwner,
  fileName: string,
  options: T,
  saveAsTemplate: boolean,
): Promise<T> {
  const now = ctx.clock();
  if (options.templateId) {
    await templatesRepository(ctx.data).countUse(options.templateId, now);
    return options;
  }
  if (!saveAsTemplate) return options;
  const actor = auth.apiKeyId ? { type: "api_key" as const, id: auth.apiKeyId } : { type: "user" as const, id: null };
  const t = await ctx.data.transaction((tx) => saveJobOptionsAsTemplate(ctx, auth.teamId, fileName, options, actor, tx));
  return { ...options, templateId: t.id, templateSlug: t.slug };
}
