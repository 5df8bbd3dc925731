/**
 * Guards, as Elysia macros. They run before the body is read (parse phase; transform for requests
 * without a body), so a caller without valid credentials learns nothing about a route but 401,
 * and the server reads nothing it sent.
 *
 * `{ apiKey: true }` on an SDK route resolves the X-API-KEY to its team (`auth`); the key needs
 *   jobs:read (GET), jobs:delete (DELETE) or jobs:write (the rest) among its scopes.
 * `{ team: "<permission>" }` on a workspace route (/organizations/:organization_id/teams/:team_id/...)
 *   resolves the caller (session or API key), checks the team in the path is theirs (404 otherwise,
 *   so existence is never confirmed) and that they hold the permission (403), and hands the route
 *   `team`, `principal`, `actor`.
 * `{ org: true }` on /organizations/:organization_id/... : the caller must belong to a team of it (404).
 * `{ session: true }`: a logged-in user (`user`), for the user's own account routes.
 * `{ anyAuth: true }`: any valid credential (`credential`), for /auth/verify.
 */
import { Elysia } from "elysia";
import type { AppContext } from "../../context";
import { forbidden, notFound } from "../../lib/errors";
import { apiKeyAuthById, type ApiKeyAuth } from "./service";
import { sessionStillValid } from "./sessions";
import { keyCan, principalCan, roleCan, sdkPermission, type Permission, type Role } from "./permissions";
import type { Actor } from "../audit/service";
import { actorOf, authenticate, type Credential } from "./guard";
import { isMemberOfOrganization, roleIn, teamInOrganization } from "./users";
import { clientIp, type RequestIp } from "./limits";

export { authenticate, actorOf, type Credential } from "./guard";

/** Who is acting, for the audit log: the key, and where the request came from. */
export function apiKeyActor(ctx: AppContext, auth: ApiKeyAuth, request: Request, server?: RequestIp): Actor {
  return { type: "api_key", id: auth.apiKeyId, ip: clientIp(ctx, request, server), userAgent: request.headers.get("user-agent") };
}

export type Principal =
  | { kind: "api_key"; apiKeyId: string; teamId: string; scopes: string; creatorRole: Role | null }
  | { kind: "user"; userId: string; sessionId: string; role: Role; via: "bearer" | "cookie" };

export interface TeamAccess {
  team: { id: string; organizationId: string };
  principal: Principal;
  actor: Actor;
}

export interface OrgAccess {
  organization: { id: string };
  credential: Credential;
  actor: Actor;
}

export interface UserAccess {
  user: { userId: string; sessionId: string; csrfToken: string; expiresAt: number; via: "bearer" | "cookie" };
  actor: Actor;
}

type GuardCtx = { request: Request; server: RequestIp; params?: unknown };

/** The parse or transform phase computes access; resolve hands it to the route. Keyed by the request object. */
function stash<T>() {
  const map = new WeakMap<Request, T>();
  return {
    has: (request: Request) => map.has(request),
    put: (request: Request, value: T) => void map.set(request, value),
    take: (request: Request): T => {
      const v = map.get(request);
      if (v === undefined) throw new Error("guard did not run");
      return v;
    },
  };
}

export function resolveTeamAccess(ctx: AppContext, request: Request, server: RequestIp, params: Record<string, string | undefined>, permission: Permission): TeamAccess {
  const cred = authenticate(ctx, request, server, { apiKey: true, session: true });
  const { organization_id: orgId, team_id: teamId } = params;
  const team = teamInOrganization(ctx.db, teamId ?? "", orgId ?? "");
  if (!team) throw notFound("Team not found.");
  let principal: Principal;
  if (cred.kind === "api_key") {
    if (team.id !== cred.teamId) throw notFound("Team not found.");
    principal = { kind: "api_key", apiKeyId: cred.apiKeyId, teamId: cred.teamId, scopes: cred.scopes, creatorRole: cred.creatorRole };
  } else {
    const role = roleIn(ctx.db, team.id, cred.userId);
    if (!role) throw notFound("Team not found.");
    principal = { kind: "user", userId: cred.userId, sessionId: cred.sessionId, role, via: cred.via };
  }
  if (!principalCan(principal, permission)) {
    throw forbidden(
      principal.kind === "api_key"
        ? principal.creatorRole !== null && !roleCan(principal.creatorRole, permission)
          ? `This API key may not do that (needs ${permission}): the key acts with at most its creator's current role (${principal.creatorRole}).`
          : `This API key may not do that (needs ${permission}). Use a dashboard session or a key with that scope.`
        : `Your role (${principal.role}) may not do that (needs ${permission}).`,
    );
  }
  return { team, principal, actor: actorOf(ctx, cred, request, server) };
}

/**
 * Whether the caller a team route let in may still do so now: for responses that stay open (the
 * live event stream), re-checked periodically. Reads without counting as activity, so an open
 * stream neither keeps a session alive nor outlives a logout, a removal or a demotion.
 */
export function stillAllowed(ctx: AppContext, teamId: string, principal: Principal, permission: Permission): boolean {
  const now = ctx.clock();
  if (principal.kind === "user") {
    if (!sessionStillValid(ctx.db, principal.sessionId, ctx.config, now)) return false;
    const role = roleIn(ctx.db, teamId, principal.userId);
    return role !== null && roleCan(role, permission);
  }
  const key = apiKeyAuthById(ctx.db, principal.apiKeyId, now);
  return key !== null && key.teamId === teamId && keyCan(key.scopes, key.creatorRole, permission);
}

/**
 * A guard's check as both parse and transform hooks, run once per request. Parse hooks run
 * before Elysia reads a body, so a caller without valid credentials is refused before the
 * server reads what it sent; Elysia runs no parse hook for a request without a body (GET), so
 * the transform hook checks those.
 */
export function beforeBody(done: { has(request: Request): boolean }, check: (c: GuardCtx) => void) {
  const once = (c: GuardCtx): undefined => {
    if (!done.has(c.request)) check(c);
    return undefined;
  };
  return { parse: once, transform: once };
}

export const apiKeyGuard = (ctx: AppContext) => {
  const s = stash<ApiKeyAuth>();
  return new Elysia({ name: "auth.api-key" }).macro({
    apiKey: {
      ...beforeBody(s, ({ request, server }) => {
        const cred = authenticate(ctx, request, server, { apiKey: true, session: false }) as Extract<Credential, { kind: "api_key" }>;
        const permission = sdkPermission(request.method);
        if (!keyCan(cred.scopes, cred.creatorRole, permission)) throw forbidden(`This API key may not do that (needs the ${permission} scope, and a creator whose role has it).`);
        s.put(request, { teamId: cred.teamId, apiKeyId: cred.apiKeyId, scopes: cred.scopes, creatorRole: cred.creatorRole });
      }),
      resolve({ request }) {
        return { auth: s.take(request) };
      },
    },
  });
};

export const teamGuard = (ctx: AppContext) => {
  const s = stash<TeamAccess>();
  return new Elysia({ name: "auth.team" }).macro({
    team: (permission: Permission) => ({
      ...beforeBody(s, ({ request, server, params }) => {
        s.put(request, resolveTeamAccess(ctx, request, server, (params ?? {}) as Record<string, string | undefined>, permission));
      }),
      resolve({ request }) {
        const a = s.take(request);
        return { team: a.team, principal: a.principal, actor: a.actor };
      },
    }),
  });
};

export const orgGuard = (ctx: AppContext) => {
  const s = stash<OrgAccess>();
  return new Elysia({ name: "auth.org" }).macro({
    org: {
      ...beforeBody(s, ({ request, server, params }) => {
        const cred = authenticate(ctx, request, server, { apiKey: true, session: true });
        const orgId = ((params ?? {}) as Record<string, string | undefined>).organization_id ?? "";
        const inOrg = cred.kind === "api_key" ? teamInOrganization(ctx.db, cred.teamId, orgId) !== null : isMemberOfOrganization(ctx.db, cred.userId, orgId);
        if (!inOrg) throw notFound("Organization not found.");
        s.put(request, { organization: { id: orgId }, credential: cred, actor: actorOf(ctx, cred, request, server) });
      }),
      resolve({ request }) {
        const a = s.take(request);
        return { organization: a.organization, credential: a.credential, actor: a.actor };
      },
    },
  });
};

export const sessionGuard = (ctx: AppContext) => {
  const s = stash<UserAccess>();
  const any = stash<{ credential: Credential; actor: Actor }>();
  return new Elysia({ name: "auth.session" }).macro({
    session: {
      ...beforeBody(s, ({ request, server }) => {
        const cred = authenticate(ctx, request, server, { apiKey: false, session: true }) as Extract<Credential, { kind: "user" }>;
        s.put(request, {
          user: { userId: cred.userId, sessionId: cred.sessionId, csrfToken: cred.csrfToken, expiresAt: cred.expiresAt, via: cred.via },
          actor: actorOf(ctx, cred, request, server),
        });
      }),
      resolve({ request }) {
        const a = s.take(request);
        return { user: a.user, actor: a.actor };
      },
    },
    anyAuth: {
      ...beforeBody(any, ({ request, server }) => {
        const cred = authenticate(ctx, request, server, { apiKey: true, session: true });
        any.put(request, { credential: cred, actor: actorOf(ctx, cred, request, server) });
      }),
      resolve({ request }) {
        const a = any.take(request);
        return { credential: a.credential, actor: a.actor };
      },
    },
  });
};
