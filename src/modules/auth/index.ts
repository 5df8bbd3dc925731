/** The API key guard: a route declares `{ apiKey: true }` and receives `auth` (its team). */
import { Elysia } from "elysia";
import type { AppContext } from "../../context";
import { unauthorized } from "../../lib/errors";
import { authenticateApiKey, type ApiKeyAuth } from "./service";
import type { Actor } from "../audit/service";

/** Who is acting, for the audit log: the key, and where the request came from. */
export function apiKeyActor(auth: ApiKeyAuth, request: Request, server: { requestIP(r: Request): { address: string } | null } | null): Actor {
  return { type: "api_key", id: auth.apiKeyId, ip: server?.requestIP(request)?.address ?? null, userAgent: request.headers.get("user-agent") };
}

export const apiKeyGuard = (ctx: AppContext) =>
  new Elysia({ name: "auth.api-key" }).macro({
    apiKey: {
      resolve({ headers }) {
        const secret = headers["x-api-key"];
        if (!secret) throw unauthorized("Missing API key: send it in the X-API-KEY header.");
        const auth = authenticateApiKey(ctx.db, secret, ctx.clock());
        if (!auth) throw unauthorized("The API key is not valid, has been revoked or has expired.");
        return { auth };
      },
    },
  });
