/** /organizations/{organization_id}/teams/{team_id}/templates/..., as in the LeapOCR full reference. */
import { Elysia } from "elysia";
import * as v from "valibot";
import type { AppContext } from "../../context";
import { teamGuard } from "../auth";
import { ErrorResponse } from "../ocr/model";
import { WorkspaceParams } from "../jobs/paging";
import * as m from "./model";
import * as t from "./service";

const errors = { 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse };
const tags = ["Templates"];
const security = [{ apiKey: [] }];

export const templateRoutes = (ctx: AppContext) =>
  new Elysia({ prefix: "/api/v1/organizations/:organization_id/teams/:team_id/templates", name: "templates" })
    .use(teamGuard(ctx))
    .get("", ({ team, query }) => t.listTemplates(ctx, team.id, query), {
      team: "templates:read",
      params: WorkspaceParams,
      query: m.TemplatesListQuery,
      response: { 200: m.TemplatesListResponse, ...errors },
      detail: { summary: "List templates", description: "Cursor pagination, newest first; filter by format, favorite, or a part of the name (`search`).", tags, security },
    })
    .post(
      "",
      async ({ team, body, actor, set }) => {
        const out = t.toTemplateResponse(await t.createTemplate(ctx, team.id, body, actor));
        set.status = 201;
        return out;
      },
      {
        team: "templates:write",
        params: WorkspaceParams,
        body: m.CreateTemplateRequest,
        response: { 201: m.TemplateResponse, 409: ErrorResponse, ...errors },
        detail: { summary: "Create a template", description: "The slug, unique in the team, comes from the name (or `slug`); jobs name the template with `template_slug`.", tags, security },
      },
    )
    .get("/stats", ({ team }) => t.templateStats(ctx, team.id), {
      team: "templates:read",
      params: WorkspaceParams,
      response: { 200: m.TemplateStatsResponse, ...errors },
      detail: { summary: "Template statistics", description: "How many templates the team has, by format, and how often they were used.", tags, security },
    })
    .get("/:id", ({ team, params }) => t.getTemplate(ctx, team.id, params.id), {
      team: "templates:read",
      params: m.TemplateIdPath,
      response: { 200: m.TemplateResponse, ...errors },
      detail: { summary: "Get a template", description: "One template with its options (format, model, instructions, schema) and usage.", tags, security },
    })
    .put("/:id", ({ team, params, body, actor }) => t.updateTemplate(ctx, team.id, params.id, body, actor), {
      team: "templates:write",
      params: m.TemplateIdPath,
      body: m.UpdateTemplateRequest,
      response: { 200: m.TemplateResponse, 409: ErrorResponse, ...errors },
      detail: { summary: "Update a template", description: "The slug stays unless `slug` is given.", tags, security },
    })
    .delete(
      "/:id",
      async ({ team, params, actor, set }) => {
        await t.deleteTemplate(ctx, team.id, params.id, actor);
        set.status = 204;
      },
      {
        team: "templates:write",
        params: m.TemplateIdPath,
        response: { 204: v.undefined(), ...errors },
        detail: { summary: "Delete a template", description: "Jobs made from it keep their options.", tags, security },
      },
    )
    .post("/:id/favorite", ({ team, params, actor }) => t.toggleFavorite(ctx, team.id, params.id, actor), {
      team: "templates:write",
      params: m.TemplateIdPath,
      response: { 200: m.TemplateResponse, ...errors },
      detail: { summary: "Toggle favorite", description: "Marks the template as a favorite, or unmarks it; favorites can be listed with `favorite=true`.", tags, security },
    });
