/**
 * Preloaded for every test (bunfig.toml): the test suite may connect to loopback only. The
 * outbound paths the server and its libraries use are wrapped: fetch, node:net and node:tls
 * connections (node:http's go through net.Socket.prototype.connect in Bun) and Bun.connect. A
 * connection anywhere else is refused before it is made and recorded, and the test during which
 * it happened fails (afterEach), even when the server swallowed the error (a webhook delivery, a
 * health check). Chromium runs in its own process and is not covered; it only loads the
 * loopback server's pages.
 */
import { afterEach } from "bun:test";
import net from "node:net";
import tls from "node:tls";
import { embeddedIpv4, ipv6Groups } from "../../src/lib/url-fetch";

const offenders: string[] = [];

/** host:port pairs on loopback that the guard's own test marks as "outside": proving a refusal
 * then needs no public address, and a broken guard would still connect only to loopback. */
const outsideForTest = new Set<string>();
export function treatAsOutside(hostPort: string): void {
  outsideForTest.add(hostPort);
}
export function forgetOutside(): void {
  outsideForTest.clear();
}
function isAllowed(host: string, port: string | number | undefined): boolean {
  return isLoopbackHost(host) && !outsideForTest.has(`${host.replace(/^\[|\]$/g, "")}:${port ?? ""}`);
}

/** Names that reach this machine, or nothing at all (RFC 6761: .invalid never resolves). */
function isLoopbackName(host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, "");
  return h === "localhost" || h.endsWith(".localhost") || h.endsWith(".invalid");
}

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "");
  if (net.isIP(h) === 4) return h.startsWith("127.");
  const groups = ipv6Groups(h);
  // ::1, or 127.x in the IPv4-mapped form (::ffff:a.b.c.d), which the kernel delivers to
  // loopback. Other forms that embed 127.x (compatible ::a.b.c.d, NAT64 64:ff9b::, 6to4, Teredo)
  // are routed off the machine, so they are not loopback here.
  if (groups) return groups.every((g, i) => g === (i === 7 ? 1 : 0)) || (isMapped(groups) && embeddedIpv4(groups).some((v4) => v4.startsWith("127.")));
  return isLoopbackName(h);
}

function isMapped(groups: number[]): boolean {
  return groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff;
}

function refuse(what: string, host: string): Error {
  const message = `net-guard: ${what} to ${host} refused; tests may connect to loopback only (use a loopback receiver or a .invalid name)`;
  offenders.push(message);
  return new Error(message);
}

const realFetch = globalThis.fetch;
const guardedFetch = (input: string | URL | Request, init?: RequestInit & { unix?: string }) => {
  if (!init?.unix) {
    const raw = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    let url: URL | null = null;
    try {
      url = new URL(raw);
    } catch {}
    if (url && (url.protocol === "http:" || url.protocol === "https:" || url.protocol === "ws:" || url.protocol === "wss:") && !isAllowed(url.hostname, url.port || (url.protocol === "https:" || url.protocol === "wss:" ? 443 : 80))) {
      return Promise.reject(refuse("fetch", url.host));
    }
  }
  return realFetch(input, init);
};
globalThis.fetch = Object.assign(guardedFetch, realFetch) as typeof fetch;

/** The host and port of Socket#connect's arguments: (options), (port, host), (path) or an http request's URL-like options. */
function socketTarget(args: unknown[]): { host: string; port: string | number | undefined } | null {
  const [first, second] = args;
  if (typeof first === "object" && first !== null) {
    const o = first as { path?: string; host?: string; hostname?: string; port?: string | number };
    if (o.path && !o.host && !o.hostname) return null; // a unix socket
    return { host: o.host ?? o.hostname ?? "localhost", port: o.port };
  }
  if (typeof first === "number" || (typeof first === "string" && /^\d+$/.test(first))) return { host: typeof second === "string" ? second : "localhost", port: first };
  return null; // a unix socket path
}

function guardSocket(what: string, args: unknown[]): void {
  const target = socketTarget(args);
  if (target !== null && !isAllowed(target.host, target.port)) throw refuse(what, `${target.host}:${target.port ?? ""}`);
}

// net.connect / createConnection and tls.connect make their sockets without going through the
// exported Socket's prototype in Bun, so each entry point is wrapped.
type AnyFn = (...a: unknown[]) => unknown;
function wrap<T extends object>(target: T, name: keyof T & string, what: string): void {
  const real = target[name] as AnyFn;
  (target as Record<string, unknown>)[name] = Object.assign(function guarded(this: unknown, ...args: unknown[]) {
    guardSocket(what, args);
    return real.apply(this, args);
  }, real);
}
wrap(net.Socket.prototype, "connect", "socket connect");
wrap(net, "connect", "net.connect");
wrap(net, "createConnection", "net.createConnection");
wrap(tls, "connect", "tls.connect");

const realBunConnect = Bun.connect;
Bun.connect = function guardedBunConnect(options: Parameters<typeof Bun.connect>[0]) {
  const o = options as { hostname?: string; port?: number; unix?: string };
  if (!o.unix && o.hostname && !isAllowed(o.hostname, o.port)) return Promise.reject(refuse("Bun.connect", `${o.hostname}:${o.port ?? ""}`));
  return realBunConnect(options);
} as typeof Bun.connect;

/** Takes the refusals recorded so far (the guard's own test, which provokes them on purpose). */
export function takeOffenders(): string[] {
  return offenders.splice(0);
}

afterEach(() => {
  if (offenders.length === 0) return;
  const found = offenders.splice(0);
  throw new Error(`This test made the process connect outside loopback:\n  ${[...new Set(found)].join("\n  ")}`);
});
