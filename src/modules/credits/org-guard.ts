/**
 * The guard of organization-level routes (/organizations/:organization_id/credits/...). It
 * resolves the caller and the teams of that organization the caller may see: for an API key,
 * its own team, when that team belongs to the organization (404 otherwise, so existence is never
 * confirmed); 403 without the permission. Sessions (users with memberships in several teams)
 * are for the auth module to add here: the teams where the user holds the permission.
 */
import { Elysia } from "elysia";
import { and, eq } from "drizzle-orm";
import type { AppContext } from "../../context";
import { teams } from "../../db/schema";
import { forbidden, notFound, unauthorized } from "../../lib/errors";
import { apiKeyActor, type Principal } from "../auth";
import { authenticateApiKey } from "../auth/service";
import { apiKeyCan, type Permission } from "../auth/permissions";

export const orgGuard = (ctx: AppContext) =>
  new Elysia({ name: "credits.org-guard" }).macro({
    orgAccess: (permission: Permission) => ({
      resolve({ headers, params, request, server }) {
        const orgId = (params as Record<string, string>).organization_id ?? "";
        const secret = headers["x-api-key"];
        if (!secret) throw unauthorized("Missing API key: send it in the X-API-KEY header.");
        const auth = authenticateApiKey(ctx.db, secret, ctx.clock());
        if (!auth) throw unauthorized("The API key is not valid, has been revoked or has expired.");
        const team = ctx.db.select({ id: teams.id, organizationId: teams.organizationId }).from(teams).where(and(eq(teams.id, auth.teamId), eq(teams.organizationId, orgId))).get();
        if (!team) throw notFound("Organization not found.");
        if (!apiKeyCan(auth.scopes, permission)) throw forbidden(`This API key may not do that (needs ${permission}).`);
        const principal: Principal = { kind: "api_key", apiKeyId: auth.apiKeyId, teamId: auth.teamId, scopes: auth.scopes };
        return { organization: { id: orgId }, team, teamIds: [team.id], principal, actor: apiKeyActor(auth, request, server) };
      },
    }),
  });
