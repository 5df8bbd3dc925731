/**
 * The guard of organization-level routes (/organizations/:organization_id/credits/...). It
 * resolves the caller and the teams of that organization where the caller holds the permission:
 * for an API key, its own team (when that team belongs to the organization and the key's scopes
 * allow it); for a session, each team of the organization where the user's role allows it.
 * None at all: 404 (existence is never confirmed); some team but no permission: 403.
 */
import { Elysia } from "elysia";
import { and, eq } from "drizzle-orm";
import type { AppContext } from "../../context";
import { memberships, teams } from "../../db/schema";
import { forbidden, notFound } from "../../lib/errors";
import { actorOf, authenticate, beforeBody } from "../auth";
import { principalCan, type Permission, type Role } from "../auth/permissions";
import type { Actor } from "../audit/service";

type RequestIp = Parameters<typeof authenticate>[2];
interface OrgCreditAccess {
  organization: { id: string };
  /** The team the caller acts for (an API key's team; for a user, the first team listed). */
  team: { id: string; organizationId: string };
  teamIds: string[];
  actor: Actor;
}

export function resolveOrgAccess(ctx: AppContext, request: Request, server: RequestIp, orgId: string, permission: Permission): OrgCreditAccess {
  const cred = authenticate(ctx, request, server, { apiKey: true, session: true });
  const candidates =
    cred.kind === "api_key"
      ? ctx.db.select({ id: teams.id }).from(teams).where(and(eq(teams.id, cred.teamId), eq(teams.organizationId, orgId))).all().map((t) => ({ id: t.id, allowed: principalCan({ kind: "api_key", scopes: cred.scopes, creatorRole: cred.creatorRole }, permission) }))
      : ctx.db
          .select({ id: teams.id, role: memberships.role })
          .from(teams)
          .innerJoin(memberships, eq(memberships.teamId, teams.id))
          .where(and(eq(teams.organizationId, orgId), eq(memberships.userId, cred.userId)))
          .all()
          .map((t) => ({ id: t.id, allowed: principalCan({ kind: "user", role: t.role as Role }, permission) }));
  if (candidates.length === 0) throw notFound("Organization not found.");
  const allowed = candidates.filter((c) => c.allowed).map((c) => c.id).sort();
  if (allowed.length === 0) throw forbidden(`You may not do that in this organization (needs ${permission}).`);
  return { organization: { id: orgId }, team: { id: allowed[0]!, organizationId: orgId }, teamIds: allowed, actor: actorOf(ctx, cred, request, server) };
}

export const orgGuard = (ctx: AppContext) => {
  const stash = new WeakMap<Request, OrgCreditAccess>();
  return new Elysia({ name: "credits.org-guard" }).macro({
    orgAccess: (permission: Permission) => ({
      ...beforeBody(stash, ({ request, server, params }: { request: Request; server: RequestIp; params?: unknown }) => {
        const orgId = ((params ?? {}) as Record<string, string | undefined>).organization_id ?? "";
        stash.set(request, resolveOrgAccess(ctx, request, server, orgId, permission));
      }),
      resolve({ request }) {
        const a = stash.get(request);
        if (!a) throw new Error("guard did not run");
        return { organization: a.organization, team: a.team, teamIds: a.teamIds, actor: a.actor };
      },
    }),
  });
};
