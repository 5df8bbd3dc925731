/**
 * Routes: login/logout/verify and the user's own sessions under /api/v1/auth; the teams of an
 * organization; the API keys of a team.
 */
import { Elysia } from "elysia";
import { and, asc, eq } from "drizzle-orm";
import type { AppContext } from "../../context";
import { memberships, organizations, teams } from "../../db/schema";
import { badRequest, forbidden, notFound, unauthorized } from "../../lib/errors";
import { enforce, tooManyRequests } from "../../lib/rate-limit";
import { recordAudit } from "../audit/service";
import { orgGuard, sessionGuard, teamGuard } from "./index";
import { clientIp, isSecureRequest, limitersOf } from "./limits";
import * as m from "./model";
import { canCreateTeam, canGrantScopes, isRole, isValidScope } from "./permissions";
import { createApiKeyAudited, createTeam, getApiKey, listApiKeys, revokeApiKey, type ApiKeyRow } from "./service";
import { createSession, listSessions, revokeSession, SESSION_COOKIE } from "./sessions";
import { addMembership, findUserByEmail, getUser, normalizeEmail, teamsOfUser, verifyPassword, type UserRow } from "./users";

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));
const err = { 400: m.ErrorResponse, 401: m.ErrorResponse, 403: m.ErrorResponse, 404: m.ErrorResponse, 429: m.ErrorResponse };
const bearer: Record<string, string[]>[] = [{ bearer: [] }, { sessionCookie: [] }];
const anyAuth: Record<string, string[]>[] = [{ bearer: [] }, { sessionCookie: [] }, { apiKey: [] }];

export function userInfo(u: UserRow) {
  return { id: u.id, email: u.email, name: u.name, created_at: iso(u.createdAt) };
}

export function keyInfo(k: ApiKeyRow, now: number) {
  return {
    id: k.id, name: k.name, prefix: k.prefix, scopes: k.scopes.split(",").map((s) => s.trim()).filter(Boolean), team_id: k.teamId,
    created_at: iso(k.createdAt), created_by_user_id: k.createdByUserId, last_used_at: isoOrNull(k.lastUsedAt), expires_at: isoOrNull(k.expiresAt),
    revoked_at: isoOrNull(k.revokedAt),
    status: k.revokedAt !== null ? ("revoked" as const) : k.expiresAt !== null && k.expiresAt <= now ? ("expired" as const) : ("active" as const),
  };
}

function teamsJson(ctx: AppContext, userId: string) {
  return teamsOfUser(ctx.db, userId).map((t) => ({ id: t.teamId, name: t.teamName, organization_id: t.organizationId, organization_name: t.organizationName, role: isRole(t.role) ? t.role : null }));
}

function sessionCookie(ctx: AppContext, request: Request, value: string, maxAgeSeconds: number): string {
  const parts = [`${SESSION_COOKIE}=${value}`, "Path=/", "HttpOnly", "SameSite=Lax", `Max-Age=${maxAgeSeconds}`];
  if (isSecureRequest(ctx, request)) parts.push("Secure");
  return parts.join("; ");
}

export const authRoutes = (ctx: AppContext) =>
  new Elysia({ prefix: "/api/v1/auth", name: "auth.routes" })
    .use(sessionGuard(ctx))
    .post(
      "/login",
      async ({ body, request, server, set }) => {
        // A form post from another site cannot send JSON without a CORS preflight: this closes login CSRF.
        if (!(request.headers.get("content-type") ?? "").toLowerCase().startsWith("application/json")) {
          throw badRequest("Send the credentials as JSON (Content-Type: application/json).");
        }
        const ip = clientIp(ctx, request, server) ?? "unknown";
        const userAgent = request.headers.get("user-agent")?.slice(0, 512) ?? null;
        const limits = limitersOf(ctx);
        enforce(limits.perIp.take(`ip:${ip}`), "Too many requests from this address. Wait and retry.");
        const email = normalizeEmail(body.email);
        const throttleKey = `${email}|${ip}`;
        const user = findUserByEmail(ctx.db, email);
        const now = ctx.clock();
        // The attempt counts as a failure from now until the password proves right (finding 6).
        const locked = limits.login.attempt(throttleKey);
        if (!locked.allowed) {
          recordAudit(ctx.db, { teamId: null, actor: { type: "user", id: user?.id ?? null, ip, userAgent }, action: "auth.login_throttled", targetType: "user", targetId: user?.id, metadata: { retry_after_seconds: locked.retryAfterSeconds } }, now);
          throw tooManyRequests("Too many failed logins for this account from this address. Wait and retry.", locked.retryAfterSeconds);
        }
        const ok = await verifyPassword(body.password, user?.passwordHash ?? null);
        if (!ok || !user || user.disabledAt !== null) {
          // No password, and the email only when it belongs to a user (a password typed into the email field stays out).
          recordAudit(ctx.db, { teamId: null, actor: { type: "user", id: null, ip, userAgent }, action: "auth.login_failed", targetType: "user", targetId: user?.id, metadata: { reason: !user ? "unknown_email" : user.disabledAt !== null ? "disabled" : "wrong_password", ...(user ? { email: user.email } : {}) } }, now);
          throw unauthorized("The email or the password is wrong.");
        }
        limits.login.reset(throttleKey);
        const session = createSession(ctx.db, user.id, { type: "user", id: user.id, ip, userAgent }, ctx.config, now);
        set.headers["set-cookie"] = sessionCookie(ctx, request, session.token, ctx.config.sessionMaxHours * 3600);
        set.headers["cache-control"] = "no-store";
        return {
          token: session.token,
          csrf_token: session.csrfToken,
          session_id: session.row.id,
          expires_at: iso(Math.min(now + ctx.config.sessionIdleMinutes * 60_000, session.row.expiresAt)),
          user: userInfo(user),
          teams: teamsJson(ctx, user.id),
        };
      },
      {
        body: m.LoginRequest,
        response: { 200: m.LoginResponse, ...err },
        detail: {
          summary: "Log in",
          description: "Checks the email and password and starts a session: sets the HttpOnly session cookie (for the dashboard, which then sends `X-CSRF-Token` on every state-changing request) and answers the same session as a Bearer token for API clients. Repeated failures from one address answer 429 with Retry-After.",
          tags: ["Authentication"],
          security: [],
        },
      },
    )
    .post(
      "/logout",
      ({ user, actor, request, set }) => {
        revokeSession(ctx.db, user.userId, user.sessionId, actor, ctx.clock(), "auth.logout");
        set.headers["set-cookie"] = sessionCookie(ctx, request, "", 0);
        return { status: "ok" as const, message: "Logged out; the session is revoked." };
      },
      { session: true, response: { 200: m.LogoutResponse, ...err }, detail: { summary: "Log out", description: "Revokes the current session at once and clears the cookie.", tags: ["Authentication"], security: bearer } },
    )
    .get(
      "/verify",
      ({ credential }) => {
        const now = ctx.clock();
        if (credential.kind === "user") {
          const user = getUser(ctx.db, credential.userId)!;
          return {
            status: "ok" as const, message: "Authenticated with a session.", auth_type: "session" as const, user: userInfo(user),
            session: { id: credential.sessionId, expires_at: iso(credential.expiresAt), csrf_token: credential.csrfToken },
            teams: teamsJson(ctx, user.id),
          };
        }
        const key = getApiKey(ctx.db, credential.teamId, credential.apiKeyId)!;
        const team = ctx.db
          .select({ id: teams.id, name: teams.name, organizationId: teams.organizationId, organizationName: organizations.name })
          .from(teams)
          .innerJoin(organizations, eq(organizations.id, teams.organizationId))
          .where(eq(teams.id, credential.teamId))
          .get()!;
        return {
          status: "ok" as const, message: "Authenticated with an API key.", auth_type: "api_key" as const, api_key: keyInfo(key, now),
          teams: [{ id: team.id, name: team.name, organization_id: team.organizationId, organization_name: team.organizationName, role: null }],
        };
      },
      { anyAuth: true, response: { 200: m.VerifyResponse, ...err }, detail: { summary: "Who am I", description: "Answers who the caller is: the user and their teams and roles for a session (Bearer or cookie), or the key and its team for an API key.", tags: ["Authentication"], security: anyAuth } },
    )
    .get(
      "/sessions",
      ({ user }) => {
        const rows = listSessions(ctx.db, user.userId, ctx.config, ctx.clock());
        return {
          data: rows.map((s) => ({ id: s.id, created_at: iso(s.createdAt), last_seen_at: iso(s.lastSeenAt), expires_at: iso(Math.min(s.lastSeenAt + ctx.config.sessionIdleMinutes * 60_000, s.expiresAt)), ip: s.ip, user_agent: s.userAgent, current: s.id === user.sessionId })),
        };
      },
      { session: true, response: { 200: m.SessionListResponse, ...err }, detail: { summary: "My sessions", description: "The caller's sessions that are still valid.", tags: ["Authentication"], security: bearer } },
    )
    .delete(
      "/sessions/:session_id",
      ({ user, actor, params }) => {
        if (!revokeSession(ctx.db, user.userId, params.session_id, actor, ctx.clock())) throw notFound("Session not found.");
        return { id: params.session_id, revoked: true as const };
      },
      { session: true, params: m.SessionPathParams, response: { 200: m.RevokeSessionResponse, ...err }, detail: { summary: "Revoke one of my sessions", description: "Ends one of the caller's own sessions at once (e.g. a forgotten browser).", tags: ["Authentication"], security: bearer } },
    );

export const orgRoutes = (ctx: AppContext) =>
  new Elysia({ prefix: "/api/v1/organizations/:organization_id", name: "auth.org-routes" })
    .use(orgGuard(ctx))
    .get(
      "/teams",
      ({ organization, credential }) => {
        const rows =
          credential.kind === "api_key"
            ? ctx.db.select({ id: teams.id, name: teams.name, organizationId: teams.organizationId, createdAt: teams.createdAt, role: teams.id }).from(teams).where(eq(teams.id, credential.teamId)).all().map((t) => ({ ...t, role: null }))
            : ctx.db
                .select({ id: teams.id, name: teams.name, organizationId: teams.organizationId, createdAt: teams.createdAt, role: memberships.role })
                .from(teams)
                .innerJoin(memberships, eq(memberships.teamId, teams.id))
                .where(and(eq(teams.organizationId, organization.id), eq(memberships.userId, credential.userId)))
                .orderBy(asc(teams.createdAt))
                .all();
        return { data: rows.map((t) => ({ id: t.id, name: t.name, organization_id: t.organizationId, role: t.role && isRole(t.role) ? t.role : null, created_at: iso(t.createdAt) })) };
      },
      { org: true, params: m.OrgPathParams, response: { 200: m.TeamListResponse, ...err }, detail: { summary: "Teams of the organization", description: "The teams of this organization the caller belongs to, with the caller's role (an API key sees its own team).", tags: ["Teams"], security: anyAuth } },
    )
    .post(
      "/teams",
      ({ organization, credential, actor, body }) => {
        if (credential.kind !== "user") throw forbidden("API keys cannot create teams; log in as an owner.");
        const roles = teamsOfUser(ctx.db, credential.userId).filter((t) => t.organizationId === organization.id).map((t) => t.role).filter(isRole);
        if (!canCreateTeam(roles)) throw forbidden("Only an owner of one of this organization's teams may create a team.");
        const now = ctx.clock();
        const team = ctx.db.transaction((tx) => {
          const t = createTeam(tx, organization.id, body.name, now);
          addMembership(tx, t.id, credential.userId, "owner", now);
          recordAudit(tx, { teamId: t.id, actor, action: "team.created", targetType: "team", targetId: t.id, metadata: { name: body.name } }, now);
          return t;
        });
        return { id: team.id, name: body.name, organization_id: organization.id, role: "owner" as const, created_at: iso(now) };
      },
      { org: true, params: m.OrgPathParams, body: m.CreateTeamRequest, response: { 200: m.TeamResponse, ...err }, detail: { summary: "Create a team", description: "An owner of any team of the organization creates a new team and becomes its owner.", tags: ["Teams"], security: anyAuth } },
    );

export const apiKeyRoutes = (ctx: AppContext) =>
  new Elysia({ prefix: "/api/v1/organizations/:organization_id/teams/:team_id", name: "auth.key-routes" })
    .use(teamGuard(ctx))
    .get("/api-keys", ({ team }) => ({ data: listApiKeys(ctx.db, team.id).map((k) => keyInfo(k, ctx.clock())) }), {
      team: "keys:read",
      params: m.TeamPathParams,
      response: { 200: m.ApiKeyListResponse, ...err },
      detail: { summary: "List API keys", description: "The team's keys with their visible prefix, scopes, expiry, last use and revocation. Never the secrets.", tags: ["API Keys"], security: anyAuth },
    })
    .post(
      "/api-keys",
      ({ team, principal, actor, body }) => {
        const scopes = [...new Set((body.scopes ?? ["*"]).map((s) => s.trim()))];
        const bad = scopes.filter((s) => !isValidScope(s));
        if (bad.length > 0) throw badRequest(`Unknown scope(s): ${bad.join(", ")}. Use "*", a resource such as "jobs", or a permission such as "jobs:read" or "settings:write".`);
        const scopeText = scopes.join(",");
        if (principal.kind !== "user" || !canGrantScopes(principal.role, scopeText)) throw forbidden("You may only give a key powers your own role has.");
        const now = ctx.clock();
        const expiresAt = body.expires_in_days ? now + body.expires_in_days * DAY : null;
        const key = createApiKeyAudited(ctx.db, team.id, body.name, { scopes: scopeText, expiresAt, createdByUserId: principal.userId }, actor, now);
        return { ...keyInfo(getApiKey(ctx.db, team.id, key.id)!, now), key: key.secret };
      },
      {
        team: "keys:write",
        params: m.TeamPathParams,
        body: m.CreateApiKeyRequest,
        response: { 200: m.CreateApiKeyResponse, ...err },
        detail: { summary: "Create an API key", description: "Answers the secret in `key` this once; only its SHA-256 is stored. Scopes narrow what the key may do (default `*`: everything an API key may do, see docs/SECURITY.md); nobody can give a key a power their role lacks.", tags: ["API Keys"], security: anyAuth },
      },
    )
    .delete(
      "/api-keys/:key_id",
      ({ team, actor, params }) => {
        const row = revokeApiKey(ctx.db, team.id, params.key_id, actor, ctx.clock());
        if (!row) throw notFound("API key not found.");
        return keyInfo(row, ctx.clock());
      },
      { team: "keys:write", params: m.KeyPathParams, response: { 200: m.ApiKeyInfo, ...err }, detail: { summary: "Revoke an API key", description: "Takes effect at once: the next request with the key answers 401.", tags: ["API Keys"], security: anyAuth } },
    );
