/** GET /organizations/{organization_id}/teams/{team_id}/audit-logs: who did what, filtered, newest first. */
import { Elysia } from "elysia";
import type { AppContext } from "../../context";
import { badRequest } from "../../lib/errors";
import { teamGuard } from "../auth";
import * as m from "./model";
import { listAudit } from "./service";
import { auditRepository } from "./repository";

const err = { 400: m.ErrorResponse, 401: m.ErrorResponse, 403: m.ErrorResponse, 404: m.ErrorResponse, 429: m.ErrorResponse };

function parseTime(name: string, s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const ms = /^\d+$/.test(s) ? Number(s) : Date.parse(s);
  if (Number.isNaN(ms)) throw badRequest(`${name} must be an ISO 8601 time or unix milliseconds.`);
  return ms;
}

function parseMetadata(json: string | null): Record<string, unknown> | null {
  if (!json) return null;
  try {
    return JSON.parse(json) as Record<string, unknown>;
  } catch {
    return null;
  }
}

export const auditRoutes = (ctx: AppContext) =>
  new Elysia({ prefix: "/api/v1/organizations/:organization_id/teams/:team_id", name: "audit.routes" })
    .use(teamGuard(ctx))
    .get(
      "/audit-logs",
      async ({ team, query }) => {
        const page = await listAudit(ctx.data, team.id, {
          action: query.action, actor: query.actor, actorType: query.actor_type, target: query.target,
          from: parseTime("from", query.from), to: parseTime("to", query.to), limit: query.limit, cursor: query.cursor,
        });
        const names = await auditRepository(ctx.data).namesOf(team.id, page.rows);
        const named = (type: string | null, id: string | null) => {
          const n = type && id ? names.get(`${type}:${id}`) : undefined;
          return { name: n?.name ?? null, ...(n?.email ? { email: n.email } : {}) };
        };
        return {
          data: page.rows.map((r) => ({
            id: r.id, team_id: r.teamId, action: r.action,
            actor: { type: r.actorType as "user" | "api_key" | "system", id: r.actorId, ...named(r.actorType, r.actorId) },
            target: { type: r.targetType, id: r.targetId, ...named(r.targetType, r.targetId) },
            ip: r.ip, user_agent: r.userAgent, metadata: parseMetadata(r.metadataJson), created_at: new Date(r.createdAt).toISOString(),
          })),
          has_more: page.hasMore,
          next_cursor: page.nextCursor,
          total_count: page.total,
        };
      },
      {
        team: "audit:read",
        params: m.AuditPathParams,
        query: m.AuditQuery,
        response: { 200: m.AuditListResponse, ...err },
        detail: {
          summary: "Audit log",
          description: "Every change and security event of the team (and its members' logins), newest first. Filter by `action` (exact, or a prefix ending in `*`), `actor`, `actor_type`, `target`, `from`, `to`; page with `limit` and `cursor` (the previous page's `next_cursor`). Records carry who, what, when, the IP and user agent; never document content. `actor.name` and `target.name` give the name of the user (with `email`), API key, template or team an id stands for, when it still exists.",
          tags: ["Audit Log"],
          security: [{ bearer: [] }, { sessionCookie: [] }, { apiKey: [] }],
        },
      },
    );
