/** The rate limiters of one app (per API key, per IP, failed logins) and where a request comes from. */
import type { AppContext } from "../../context";
import { FailureThrottle, TokenBuckets } from "../../lib/rate-limit";

export interface Limiters {
  perKey: TokenBuckets;
  perIp: TokenBuckets;
  login: FailureThrottle;
}

const byApp = new WeakMap<AppContext, Limiters>();

export function limitersOf(ctx: AppContext): Limiters {
  let l = byApp.get(ctx);
  if (!l) {
    l = {
      perKey: new TokenBuckets(ctx.config.rateLimitPerKey, ctx.clock),
      perIp: new TokenBuckets(ctx.config.rateLimitPerIp, ctx.clock),
      login: new FailureThrottle(ctx.config.loginMaxFailures, ctx.config.loginWindowSeconds * 1000, ctx.clock),
    };
    byApp.set(ctx, l);
  }
  return l;
}

export type RequestIp = { requestIP(r: Request): { address: string } | null } | null | undefined;

/** The client's address: the socket's, or with --trust-proxy the first X-Forwarded-For entry. */
export function clientIp(ctx: Pick<AppContext, "config">, request: Request, server: RequestIp): string | null {
  if (ctx.config.trustProxy) {
    const forwarded = request.headers.get("x-forwarded-for")?.split(",")[0]?.trim();
    if (forwarded) return forwarded.slice(0, 64);
  }
  return server?.requestIP(request)?.address ?? null;
}

/** Whether the browser reached us over TLS: directly, via the public URL, or (trusted proxy) X-Forwarded-Proto. */
export function isSecureRequest(ctx: Pick<AppContext, "config">, request: Request): boolean {
  if (new URL(request.url).protocol === "https:") return true;
  if (ctx.config.publicUrl.startsWith("https://")) return true;
  return ctx.config.trustProxy && request.headers.get("x-forwarded-proto")?.split(",")[0]?.trim().toLowerCase() === "https";
}
