/**
 * Who is calling. Credentials are read in this order:
 *   1. `Authorization: Bearer <session token>` (API clients of the dashboard API);
 *   2. the session cookie (the browser), which on every state-changing request also needs the
 *      session's CSRF token in `X-CSRF-Token`;
 *   3. `X-API-KEY` (SDKs and automation).
 * Presented credentials that do not verify answer 401 (never a fall-through to the next kind).
 * Requests without valid credentials count against the per-IP limit; API keys against their own.
 */
import type { AppContext } from "../../context";
import { forbidden, unauthorized } from "../../lib/errors";
import { enforce } from "../../lib/rate-limit";
import { safeEqual } from "../../lib/crypto";
import type { Actor } from "../audit/service";
import { authenticateApiKey, type ApiKeyAuth } from "./service";
import { authenticateSession, SESSION_COOKIE, type SessionAuth } from "./sessions";
import { clientIp, limitersOf, type RequestIp } from "./limits";

export type Credential =
  | ({ kind: "api_key" } & ApiKeyAuth)
  | ({ kind: "user"; via: "bearer" | "cookie" } & SessionAuth);

export interface CredentialOptions {
  apiKey: boolean;
  session: boolean;
  /**
   * Also read `Authorization: Bearer <API key>` as an API key (MCP clients send their token
   * there). Only where sessions are not accepted, so a bearer token has one meaning per route.
   */
  bearerApiKey?: boolean;
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export function readCookie(header: string | null | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

function failAuth(ctx: AppContext, request: Request, server: RequestIp, message: string): never {
  const ip = clientIp(ctx, request, server) ?? "unknown";
  enforce(limitersOf(ctx).perIp.take(`ip:${ip}`), "Too many requests without valid credentials from this address. Wait and retry.");
  throw unauthorized(message);
}

function what(opts: CredentialOptions): string {
  if (opts.apiKey && opts.session) return "Send an API key in X-API-KEY, a session token in Authorization: Bearer, or log in.";
  if (opts.bearerApiKey) return "Missing API key: send it in the X-API-KEY header or as Authorization: Bearer <API key>.";
  if (opts.session) return "Log in (POST /api/v1/auth/login) and send the session token in Authorization: Bearer or the session cookie.";
  return "Missing API key: send it in the X-API-KEY header.";
}

/** Authenticates the request or throws 401/403/429. */
export function authenticate(ctx: AppContext, request: Request, server: RequestIp, opts: CredentialOptions): Credential {
  const now = ctx.clock();
  const headers = request.headers;
  if (opts.session) {
    const authz = headers.get("authorization");
    if (authz) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(authz);
      if (!m) failAuth(ctx, request, server, "The Authorization header must be `Bearer <session token>`.");
      const s = authenticateSession(ctx.db, m[1]!, ctx.config, now);
      if (!s) failAuth(ctx, request, server, "The session token is not valid, has expired or has been revoked. Log in again.");
      return { kind: "user", via: "bearer", ...s };
    }
    const cookie = readCookie(headers.get("cookie"), SESSION_COOKIE);
    if (cookie && !(opts.apiKey && headers.get("x-api-key"))) {
      const s = authenticateSession(ctx.db, cookie, ctx.config, now);
      if (!s) failAuth(ctx, request, server, "The session has expired or has been revoked. Log in again.");
      if (!SAFE_METHODS.has(request.method.toUpperCase())) {
        const sent = headers.get("x-csrf-token") ?? "";
        if (!sent || !safeEqual(sent, s.csrfToken)) throw forbidden("Missing or wrong CSRF token: send the session's csrf_token in the X-CSRF-Token header.");
      }
      return { kind: "user", via: "cookie", ...s };
    }
  }
  if (opts.apiKey) {
    const bearer = opts.bearerApiKey && !opts.session ? /^Bearer\s+(\S+)\s*$/i.exec(headers.get("authorization") ?? "")?.[1] : undefined;
    const secret = headers.get("x-api-key") ?? bearer;
    if (secret) {
      const auth = authenticateApiKey(ctx.db, secret, now);
      if (!auth) failAuth(ctx, request, server, "The API key is not valid, has been revoked or has expired.");
      enforce(limitersOf(ctx).perKey.take(`key:${auth.apiKeyId}`), "Rate limit of this API key exceeded. Wait and retry.");
      return { kind: "api_key", ...auth };
    }
  }
  return failAuth(ctx, request, server, what(opts));
}

/** The audit actor of a credential. */
export function actorOf(ctx: AppContext, cred: Credential, request: Request, server: RequestIp): Actor {
  return {
    type: cred.kind === "api_key" ? "api_key" : "user",
    id: cred.kind === "api_key" ? cred.apiKeyId : cred.userId,
    ip: clientIp(ctx, request, server),
    userAgent: request.headers.get("user-agent")?.slice(0, 512) ?? null,
  };
}
