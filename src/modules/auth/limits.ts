/** The rate limiters of one app (per API key, per IP, failed logins) and where a request comes from. */
import type { AppContext } from "../../context";
import { isIP } from "node:net";
import { FailureThrottle, TokenBuckets } from "../../lib/rate-limit";
import { ipMatches, normalizeIp, parseIpList } from "../../lib/ip";

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

/**
 * The address of the socket the request came in on. The app's own server is asked first
 * (ctx.peerAddress): Elysia hands routes `server` only when it sees the word in their source,
 * which minification (the compiled binary) hides, and every client then shared one bucket.
 */
function peerOf(ctx: Pick<AppContext, "peerAddress">, request: Request, server?: RequestIp): string | null {
  const peer = ctx.peerAddress?.(request) ?? server?.requestIP(request)?.address ?? null;
  return peer ? normalizeIp(peer) : null;
}

/** Whether the request came from a proxy whose forwarding headers are believed (--trust-proxy, --trusted-proxies). */
function fromTrustedProxy(ctx: Pick<AppContext, "config" | "peerAddress">, peer: string | null): peer is string {
  return ctx.config.trustProxy && peer !== null && ipMatches(peer, parseIpList(ctx.config.trustedProxies));
}

/**
 * The client's address: the socket's; from a trusted proxy, the right-most X-Forwarded-For entry
 * that is not itself a trusted proxy (entries to its left are whatever the client wrote).
 */
export function clientIp(ctx: Pick<AppContext, "config" | "peerAddress">, request: Request, server?: RequestIp): string | null {
  const peer = peerOf(ctx, request, server);
  if (!fromTrustedProxy(ctx, peer)) return peer;
  const hops = (request.headers.get("x-forwarded-for") ?? "").split(",").map((h) => h.trim()).filter((h) => isIP(normalizeIp(h)));
  const trusted = parseIpList(ctx.config.trustedProxies);
  for (let i = hops.length - 1; i >= 0; i--) {
    if (!ipMatches(hops[i]!, trusted)) return normalizeIp(hops[i]!);
  }
  return hops[0] ? normalizeIp(hops[0]) : peer;
}

/** Whether the browser reached us over TLS: directly, via the public URL, or (trusted proxy) X-Forwarded-Proto. */
export function isSecureRequest(ctx: Pick<AppContext, "config" | "peerAddress">, request: Request): boolean {
  if (new URL(request.url).protocol === "https:") return true;
  if (ctx.config.publicUrl.startsWith("https://")) return true;
  return fromTrustedProxy(ctx, peerOf(ctx, request)) && request.headers.get("x-forwarded-proto")?.split(",")[0]?.trim().toLowerCase() === "https";
}
