/**
 * Guards. `{ apiKey: true }` on an SDK route resolves the X-API-KEY to its team.
 * `{ team: "<permission>" }` on a workspace route (/organizations/:organization_id/teams/:team_id/...)
 * resolves the caller, checks the team in the path is theirs (404 otherwise, so existence is never
 * confirmed) and that they hold the permission (403), and hands the route `team`, `principal`, `actor`.
 */
import { Elysia } from "elysia";
import { and, eq } from "drizzle-orm";
import type { AppContext } from "../../context";
import { teams } from "../../db/schema";
import { forbidden, notFound, unauthorized } from "../../lib/errors";
import { authenticateApiKey, type ApiKeyAuth } from "./service";
import { apiKeyCan, type Permission } from "./permissions";
import type { Actor } from "../audit/service";

type RequestIp = { requestIP(r: Request): { address: string } | null } | null;

/** Who is acting, for the audit log: the key, and where the request came from. */
export function apiKeyActor(auth: ApiKeyAuth, request: Request, server: RequestIp): Actor {
  return { type: "api_key", id: auth.apiKeyId, ip: server?.requestIP(request)?.address ?? null, userAgent: request.headers.get("user-agent") };
}

export type Principal = { kind: "api_key"; apiKeyId: string; teamId: string; scopes: string };

export interface TeamAccess {
  team: { id: string; organizationId: string };
  principal: Principal;
  actor: Actor;
}

function requireApiKey(ctx: AppContext, headers: Record<string, string | undefined>): ApiKeyAuth & { scopes: string } {
  const secret = headers["x-api-key"];
  if (!secret) throw unauthorized("Missing API key: send it in the X-API-KEY header.");
  const auth = authenticateApiKey(ctx.db, secret, ctx.clock());
  if (!auth) throw unauthorized("The API key is not valid, has been revoked or has expired.");
  return auth;
}

export const apiKeyGuard = (ctx: AppContext) =>
  new Elysia({ name: "auth.api-key" }).macro({
    apiKey: {
      resolve({ headers }) {
        return { auth: requireApiKey(ctx, headers) };
      },
    },
  });

export const teamGuard = (ctx: AppContext) =>
  new Elysia({ name: "auth.team" }).macro({
    team: (permission: Permission) => ({
      resolve({ headers, params, request, server }) {
        const { organization_id: orgId, team_id: teamId } = params as Record<string, string>;
        const auth = requireApiKey(ctx, headers);
        const team = ctx.db.select({ id: teams.id, organizationId: teams.organizationId }).from(teams).where(and(eq(teams.id, teamId ?? ""), eq(teams.organizationId, orgId ?? ""))).get();
        if (!team || team.id !== auth.teamId) throw notFound("Team not found.");
        if (!apiKeyCan(auth.scopes, permission)) throw forbidden(`This API key may not do that (needs ${permission}). Use a dashboard session or a key with that scope.`);
        return {
          team,
          principal: { kind: "api_key", apiKeyId: auth.apiKeyId, teamId: auth.teamId, scopes: auth.scopes },
          actor: apiKeyActor(auth, request, server),
        };
      },
    }),
  });
