/** Templates: saved job options a job names with template_slug, with the LeapOCR reference's fields. */
import * as v from "valibot";
import { CursorQuery, paged, QueryBool } from "../jobs/paging";

const Format = v.picklist(["markdown", "structured"], "format must be markdown or structured");
const name = v.pipe(v.string(), v.trim(), v.minLength(1, "name is required"), v.maxLength(255, "name must be at most 255 characters"));
const slug = v.pipe(v.string(), v.regex(/^[a-z0-9][a-z0-9-]{0,98}[a-z0-9]$|^[a-z0-9]$/, "slug must be 1 to 100 lower-case letters, digits and dashes"));
const common = {
  description: v.optional(v.pipe(v.string(), v.maxLength(1000, "description must be at most 1000 characters"))),
  instructions: v.optional(v.pipe(v.string(), v.maxLength(2000, "instructions must be at most 2000 characters"))),
  schema: v.optional(v.record(v.string(), v.unknown())),
  extract_bounding_boxes: v.optional(v.boolean()),
  tags: v.optional(v.pipe(v.array(v.pipe(v.string(), v.maxLength(50))), v.maxLength(20, "at most 20 tags"))),
  color: v.optional(v.pipe(v.string(), v.maxLength(20))),
  favorite: v.optional(v.boolean()),
  enabled: v.optional(v.boolean()),
  /** Unique in the team; derived from the name when left out. */
  slug: v.optional(slug),
};

export const CreateTemplateRequest = v.object({ name, format: Format, model: v.pipe(v.string(), v.minLength(1), v.maxLength(100)), ...common });
export type CreateTemplateRequest = v.InferOutput<typeof CreateTemplateRequest>;

export const UpdateTemplateRequest = v.object({ name, format: Format, model: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(100))), ...common });
export type UpdateTemplateRequest = v.InferOutput<typeof UpdateTemplateRequest>;

export const TemplateResponse = v.object({
  id: v.string(),
  team_id: v.string(),
  user_id: v.optional(v.string()),
  name: v.string(),
  slug: v.string(),
  description: v.optional(v.string()),
  format: Format,
  model: v.string(),
  instructions: v.optional(v.string()),
  schema: v.optional(v.record(v.string(), v.unknown())),
  extract_bounding_boxes: v.boolean(),
  tags: v.array(v.string()),
  color: v.optional(v.string()),
  favorite: v.boolean(),
  enabled: v.boolean(),
  ephemeral: v.boolean(),
  internal: v.boolean(),
  /** SHA-256 of the options that shape a job (format, model, instructions, schema, bounding boxes). */
  checksum: v.string(),
  usage_count: v.number(),
  last_used: v.optional(v.string()),
  created_at: v.string(),
  updated_at: v.string(),
});

export const TemplatesListQuery = v.object({
  ...CursorQuery,
  format: v.optional(Format),
  favorite: v.optional(QueryBool),
  search: v.optional(v.pipe(v.string(), v.maxLength(255))),
});
export type TemplatesListQuery = v.InferOutput<typeof TemplatesListQuery>;
export const TemplatesListResponse = paged(TemplateResponse);

export const TemplateIdPath = v.object({ organization_id: v.string(), team_id: v.string(), id: v.pipe(v.string(), v.uuid("id must be a UUID")) });

export const TemplateStatsResponse = v.object({
  total_templates: v.number(),
  markdown_templates: v.number(),
  structured_templates: v.number(),
  favorite_templates: v.number(),
  total_usage: v.number(),
  average_usage_per_template: v.number(),
  max_usage: v.number(),
  min_usage: v.number(),
});
