/**
 * Team templates: named job options (format, model, instructions, schema, bounding boxes) with a
 * slug unique in the team. Jobs name one with template_slug; save_as_template makes one from a
 * job's inline options. Each job created from a template counts as a use.
 */
import type { AppContext } from "../../context";
import type { Database } from "../../db/database";
import { sha256Hex } from "../../lib/crypto";
import { badRequest, conflict, notFound } from "../../lib/errors";
import { auditRepository } from "../audit/repository";
import type { Actor } from "../audit/service";
import { decodeCursor, iso, pageOf } from "../jobs/paging";
import type { CreateTemplateRequest, TemplatesListQuery, UpdateTemplateRequest } from "./model";
import { templatesRepository, type Template } from "./repository";

export type { Template } from "./repository";

export function slugify(name: string): string {
  const s = name.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 90).replace(/-+$/, "");
  return s || "template";
}

function checksumOf(t: Pick<Template, "format" | "model" | "instructions" | "schemaJson" | "extractBoundingBoxes">): string {
  return sha256Hex(JSON.stringify([t.format, t.model, t.instructions ?? "", t.schemaJson ?? "", t.extractBoundingBoxes]));
}

export function toTemplateResponse(t: Template) {
  return {
    id: t.id,
    team_id: t.teamId,
    user_id: t.userId ?? undefined,
    name: t.name,
    slug: t.slug,
    description: t.description ?? undefined,
    format: t.format as "markdown" | "structured",
    model: t.model,
    instructions: t.instructions ?? undefined,
    schema: t.schemaJson ? (JSON.parse(t.schemaJson) as Record<string, unknown>) : undefined,
    extract_bounding_boxes: t.extractBoundingBoxes,
    tags: JSON.parse(t.tagsJson) as string[],
    color: t.color ?? undefined,
    favorite: t.favorite,
    enabled: t.enabled,
    ephemeral: false,
    internal: false,
    checksum: checksumOf(t),
    usage_count: t.usageCount,
    last_used: iso(t.lastUsedAt),
    created_at: iso(t.createdAt)!,
    updated_at: iso(t.updatedAt)!,
  };
}

/** The options must make a job this server can run: a known model, a schema for structured output. */
function checkOptions(ctx: AppContext, format: string, modelName: string, schema: Record<string, unknown> | undefined): void {
  const model = ctx.models.resolve(modelName);
  if (!model) throw badRequest(`Unknown model "${modelName}". Available models: ${ctx.models.names().join(", ")}.`, { field: "model" });
  if (format === "structured") {
    if (!schema) throw badRequest('format "structured" needs a schema (a JSON Schema object).', { field: "schema" });
    if (!model.supportsStructured) throw badRequest(`Model "${modelName}" runs on the offline engine, which only produces markdown; structured templates need a model route.`, { field: "model" });
  }
}

const slugTaken = async (db: Database, teamId: string, slug: string, exceptId?: string) => {
  const row = await templatesRepository(db).bySlug(teamId, slug);
  return row !== undefined && row.id !== exceptId;
};

/** A slug from the name, with -2, -3... when the team already has it. */
async function freeSlug(db: Database, teamId: string, base: string): Promise<string> {
  if (!(await slugTaken(db, teamId, base))) return base;
  for (let i = 2; ; i++) if (!(await slugTaken(db, teamId, `${base}-${i}`))) return `${base}-${i}`;
}

async function find(ctx: AppContext, teamId: string, id: string): Promise<Template> {
  const t = await templatesRepository(ctx.data).byId(teamId, id);
  if (!t) throw notFound(`Template ${id} not found.`);
  return t;
}

/** Creates a template (in the caller's transaction when given its handle, `tx`). */
export async function createTemplate(ctx: AppContext, teamId: string, body: CreateTemplateRequest, actor: Actor, tx?: Database, usage = 0): Promise<Template> {
  checkOptions(ctx, body.format, body.model, body.schema);
  const now = ctx.clock();
  const id = crypto.randomUUID();
  const run = async (tx: Database) => {
    if (body.slug && (await slugTaken(tx, teamId, body.slug))) throw conflict(`The team already has a template with slug "${body.slug}".`, { field: "slug" });
    const slug = body.slug ?? (await freeSlug(tx, teamId, slugify(body.name)));
    const added = await templatesRepository(tx).add({
        id, teamId, userId: actor.id ?? null, name: body.name, slug, description: body.description ?? null, format: body.format, model: body.model,
        instructions: body.instructions ?? null, schemaJson: body.schema ? JSON.stringify(body.schema) : null,
        extractBoundingBoxes: body.extract_bounding_boxes ?? false, tagsJson: JSON.stringify(body.tags ?? []), color: body.color ?? null,
        favorite: body.favorite ?? false, enabled: body.enabled ?? true, usageCount: usage, lastUsedAt: usage > 0 ? now : null, createdAt: now, updatedAt: now,
      });
    await auditRepository(tx).record({ teamId, actor, action: "template.created", targetType: "template", targetId: id, metadata: { slug, format: body.format } }, now);
    return added;
  };
  return tx ? run(tx) : ctx.data.transaction(run);
}

export async function listTemplates(ctx: AppContext, teamId: string, q: TemplatesListQuery) {
  const { rows, total } = await templatesRepository(ctx.data).list(teamId, { format: q.format, favorite: q.favorite, search: q.search, after: decodeCursor(q.cursor), limit: q.limit });
  return pageOf(rows, q.limit, total, toTemplateResponse);
}

export const getTemplate = async (ctx: AppContext, teamId: string, id: string) => toTemplateResponse(await find(ctx, teamId, id));

export async function updateTemplate(ctx: AppContext, teamId: string, id: string, body: UpdateTemplateRequest, actor: Actor) {
  const current = await find(ctx, teamId, id);
  const model = body.model ?? current.model;
  const schema = body.schema ?? (current.schemaJson ? (JSON.parse(current.schemaJson) as Record<string, unknown>) : undefined);
  checkOptions(ctx, body.format, model, schema);
  const now = ctx.clock();
  await ctx.data.transaction(async (tx) => {
    if (body.slug && (await slugTaken(tx, teamId, body.slug, id))) throw conflict(`The team already has a template with slug "${body.slug}".`, { field: "slug" });
    await templatesRepository(tx).change(id, {
        name: body.name, format: body.format, model, updatedAt: now,
        ...(body.slug !== undefined ? { slug: body.slug } : {}),
        ...(body.description !== undefined ? { description: body.description } : {}),
        ...(body.instructions !== undefined ? { instructions: body.instructions } : {}),
        ...(body.schema !== undefined ? { schemaJson: JSON.stringify(body.schema) } : {}),
        ...(body.extract_bounding_boxes !== undefined ? { extractBoundingBoxes: body.extract_bounding_boxes } : {}),
        ...(body.tags !== undefined ? { tagsJson: JSON.stringify(body.tags) } : {}),
        ...(body.color !== undefined ? { color: body.color } : {}),
        ...(body.favorite !== undefined ? { favorite: body.favorite } : {}),
        ...(body.enabled !== undefined ? { enabled: body.enabled } : {}),
    });
    await auditRepository(tx).record({ teamId, actor, action: "template.updated", targetType: "template", targetId: id, metadata: { slug: body.slug ?? current.slug, format: body.format } }, now);
  });
  return toTemplateResponse(await find(ctx, teamId, id));
}

export async function deleteTemplate(ctx: AppContext, teamId: string, id: string, actor: Actor): Promise<void> {
  const t = await find(ctx, teamId, id);
  const now = ctx.clock();
  await ctx.data.transaction(async (tx) => {
    await templatesRepository(tx).remove(id);
    await auditRepository(tx).record({ teamId, actor, action: "template.deleted", targetType: "template", targetId: id, metadata: { slug: t.slug } }, now);
  });
}

export async function toggleFavorite(ctx: AppContext, teamId: string, id: string, actor: Actor) {
  const t = await find(ctx, teamId, id);
  const now = ctx.clock();
  await ctx.data.transaction(async (tx) => {
    await templatesRepository(tx).change(id, { favorite: !t.favorite, updatedAt: now });
    await auditRepository(tx).record({ teamId, actor, action: "template.favorite_toggled", targetType: "template", targetId: id, metadata: { favorite: !t.favorite } }, now);
  });
  return toTemplateResponse(await find(ctx, teamId, id));
}

export async function templateStats(ctx: AppContext, teamId: string) {
  const r = await templatesRepository(ctx.data).stats(teamId);
  return {
    total_templates: r.total,
    markdown_templates: r.markdown,
    structured_templates: r.structured,
    favorite_templates: r.favorite,
    total_usage: r.usage,
    average_usage_per_template: r.total > 0 ? Math.round((r.usage / r.total) * 100) / 100 : 0,
    max_usage: r.max,
    min_usage: r.min,
  };
}

/** The template a job names by slug (404 when the team has none by that slug; 400 when disabled). */
export async function templateForJob(ctx: AppContext, teamId: string, slug: string): Promise<Template> {
  const t = await templatesRepository(ctx.data).bySlug(teamId, slug);
  if (!t) throw notFound(`Template "${slug}" not found for this team.`);
  if (!t.enabled) throw badRequest(`Template "${slug}" is disabled; enable it or send the options inline.`);
  return t;
}

/** save_as_template: a template from a job's inline options, named after the file; counts the job as its first use. */
export function saveJobOptionsAsTemplate(
  ctx: AppContext,
  teamId: string,
  fileName: string,
  options: { format: string; model: string; instructions: string | null; schemaJson: string | null; extractBoundingBoxes: boolean },
  actor: Actor,
  tx: Database,
): Promise<Template> {
  const base = fileName.replace(/\.[A-Za-z0-9]{1,5}$/, "") || "template";
  return createTemplate(
    ctx,
    teamId,
    {
      name: base.slice(0, 255),
      format: options.format as "markdown" | "structured",
      model: options.model,
      instructions: options.instructions ?? undefined,
      schema: options.schemaJson ? (JSON.parse(options.schemaJson) as Record<string, unknown>) : undefined,
      extract_bounding_boxes: options.extractBoundingBoxes,
    },
    actor,
    tx,
    1,
  );
}
