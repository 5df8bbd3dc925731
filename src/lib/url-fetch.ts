/**
 * Fetches a document the user named by URL, refusing addresses inside the operator's network:
 * loopback, private, link-local, cloud metadata and their IPv6 forms. The address is checked
 * on the first request and on every redirect, and the connection goes to the address that was
 * checked (fetchChecked): a name that resolves to a public address for the check and to an
 * internal one a moment later (DNS rebinding) cannot slip through.
 */
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { checkServerIdentity, type PeerCertificate } from "node:tls";

/** An error raised while downloading a URL; its message is for the user. */
export class FetchError extends Error {}

/** A host name's addresses (the system resolver by default; tests give their own). */
export type Resolve = (host: string) => Promise<string[]>;
const systemResolve: Resolve = async (host) => (await lookup(host, { all: true })).map((a) => a.address);

export interface FetchLimits {
  maxBytes: number;
  timeoutMs: number;
  maxRedirects?: number;
  /** Hosts ("host" or "host:port") an operator trusts on their own network: the address guard lets them through. */
  allowHosts?: string[];
  resolve?: Resolve;
}

/** A URL that passed the guard, and the address it was checked at: connect there and nowhere else. */
export interface CheckedUrl {
  url: URL;
  address: string;
}

export const parseAllowHosts = (csv: string): string[] => csv.split(",").map((h) => h.trim().toLowerCase()).filter(Boolean);

function isAllowListed(url: URL, allowHosts: string[]): boolean {
  const host = url.hostname.toLowerCase();
  const port = url.port || (url.protocol === "https:" ? "443" : "80");
  return allowHosts.includes(host) || allowHosts.includes(`${host}:${port}`);
}

function ipv4Refused(ip: string): boolean {
  const [a = 0, b = 0, c = 0] = ip.split(".").map(Number);
  return (
    a === 0 || a === 10 || a === 127 || (a === 100 && b >= 64 && b <= 127) || (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 192 && b === 0 && c === 0) ||
    (a === 198 && (b === 18 || b === 19)) || a >= 224
  );
}

/** An IPv6 address as eight 16-bit groups, or null when it is not one (a trailing dotted IPv4 is accepted). */
export function ipv6Groups(ip: string): number[] | null {
  let s = ip.toLowerCase().replace(/^\[|\]$/g, "");
  const zone = s.indexOf("%");
  if (zone >= 0) s = s.slice(0, zone);
  if (isIP(s) !== 6) return null;
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (dotted) {
    const [p, q, r, t] = dotted.slice(1).map(Number) as [number, number, number, number];
    s = `${s.slice(0, dotted.index)}${((p << 8) | q).toString(16)}:${((r << 8) | t).toString(16)}`;
  }
  const [head = "", tail] = s.split("::");
  const part = (x: string) => (x ? x.split(":").map((g) => parseInt(g, 16)) : []);
  const h = part(head);
  const t = tail === undefined ? [] : part(tail);
  return [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
}

const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;

/**
 * The IPv4 addresses an IPv6 address carries, by which the packets may reach an IPv4 host:
 * mapped (::ffff:0:0/96), translated (::ffff:0:0:0/96), compatible (::/96, which holds :: and
 * ::1 too), NAT64 (64:ff9b::/96), 6to4 (2002::/16) and Teredo (2001::/32: its server and its
 * client, stored inverted).
 */
export function embeddedIpv4(g: number[]): string[] {
  const zero = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  if (zero(0, 5) && g[5] === 0xffff) return [v4(g[6]!, g[7]!)];
  if (zero(0, 4) && g[4] === 0xffff && g[5] === 0) return [v4(g[6]!, g[7]!)];
  if (zero(0, 6)) return [v4(g[6]!, g[7]!)];
  if (g[0] === 0x64 && g[1] === 0xff9b && zero(2, 6)) return [v4(g[6]!, g[7]!)];
  if (g[0] === 0x2002) return [v4(g[1]!, g[2]!)];
  if (g[0] === 0x2001 && g[1] === 0) return [v4(g[2]!, g[3]!), v4(g[6]! ^ 0xffff, g[7]! ^ 0xffff)];
  return [];
}

function ipv6Refused(g: number[]): boolean {
  const first = g[0]!;
  return (
    (first & 0xffc0) === 0xfe80 || // link-local fe80::/10
    (first & 0xffc0) === 0xfec0 || // site-local fec0::/10 (deprecated, still routed inside some networks)
    (first & 0xfe00) === 0xfc00 || // unique local fc00::/7 (AWS's metadata fd00:ec2::254 is in it)
    (first & 0xff00) === 0xff00 || // multicast
    (first === 0x64 && g[1] === 0xff9b && g[2] === 1) || // local-use NAT64 64:ff9b:1::/48
    (first === 0x100 && g[1] === 0 && g[2] === 0 && g[3] === 0) // discard-only 100::/64
  );
}

/** True for addresses a server-side fetch must never reach; an IPv6 form of an IPv4 address is judged by that IPv4 address. */
export function isRefusedAddress(ip: string): boolean {
  if (isIP(ip) === 4) return ipv4Refused(ip);
  const g = ipv6Groups(ip);
  if (!g) return true; // not an address we can judge: refuse rather than guess
  const inner = embeddedIpv4(g);
  return inner.some(ipv4Refused) || ipv6Refused(g);
}

/**
 * What the person refused can do about it (issue 18, point 8): a receiver or document server on
 * the operator's own network is reached once its operator names it. Never offered for cloud
 * metadata addresses, which nobody should allow.
 */
function allowHint(url: URL): string {
  return ` If ${url.host} is a server on your own network that this server should reach, the operator can allow it with LEAPOCR_URL_ALLOW_HOSTS=${url.host} (comma-separated host or host:port).`;
}
const isMetadataAddress = (ip: string) => ip.startsWith("169.254.") || ip.toLowerCase().startsWith("fd00:ec2:") || /(^|:)169\.254\./.test(ip) || ip.toLowerCase().includes("a9fe:");

/** Checks a URL's scheme and the addresses its host resolves to; answers the URL and the address to connect to. */
export async function checkFetchableUrl(raw: string, allowHosts: string[] = [], resolve: Resolve = systemResolve): Promise<CheckedUrl> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new FetchError(`"${raw.slice(0, 200)}" is not a valid URL.`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new FetchError(`Only http and https URLs can be fetched, not ${url.protocol.replace(":", "")}.`);
  }
  if (url.username || url.password) throw new FetchError("URLs with a user name or password are not accepted.");
  const allowed = isAllowListed(url, allowHosts);
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (!allowed && (host === "localhost" || host.endsWith(".localhost") || host === "metadata.google.internal")) {
    throw new FetchError(`The URL's host ${host} is a local or metadata address, which this server does not fetch.${host === "metadata.google.internal" ? "" : allowHint(url)}`);
  }
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : await resolve(host);
  } catch {
    addresses = [];
  }
  if (addresses.length === 0) throw new FetchError(`The URL's host ${host} could not be resolved.`);
  // Every address is checked, not only the one used: a resolver may rotate them.
  const refused = allowed ? undefined : addresses.find(isRefusedAddress);
  if (refused) {
    throw new FetchError(`The URL's host ${host} resolves to ${refused}, a loopback, private, link-local or metadata address, which this server does not fetch.${isMetadataAddress(refused) ? "" : allowHint(url)}`);
  }
  // IPv4 first when there is one: a pinned connection has no happy-eyeballs fallback, and many
  // on-prem hosts have no IPv6 route.
  return { url, address: addresses.find((a) => isIP(a) === 4) ?? addresses[0]! };
}

export async function assertFetchableUrl(raw: string, allowHosts: string[] = [], resolve?: Resolve): Promise<URL> {
  return (await checkFetchableUrl(raw, allowHosts, resolve)).url;
}

/**
 * fetch() to the address the guard checked rather than to whatever the name resolves to when
 * the connection is made. The URL's host still goes in the Host header and, for https, in SNI
 * and the certificate's name check, so the request is the same as a plain fetch of the URL.
 * `tls` is passed through (tests give their own CA).
 */
export function fetchChecked(target: CheckedUrl, init: RequestInit & { tls?: Record<string, unknown> } = {}): Promise<Response> {
  const { url, address } = target;
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (isIP(host)) return fetch(url, init);
  const pinned = new URL(url);
  pinned.hostname = isIP(address) === 6 ? `[${address}]` : address;
  const headers = new Headers(init.headers);
  headers.set("host", url.host);
  const tls =
    url.protocol === "https:"
      ? { ...init.tls, serverName: host, checkServerIdentity: (_ip: string, cert: PeerCertificate) => checkServerIdentity(host, cert) }
      : init.tls;
  return fetch(pinned, { ...init, headers, ...(tls ? { tls } : {}) } as RequestInit);
}

/** One request to a URL that passes the guard, sent to the address it was checked at; redirects are not followed. */
export async function fetchGuarded(raw: string, allowHosts: string[], init: RequestInit): Promise<Response> {
  return fetchChecked(await checkFetchableUrl(raw, allowHosts), { ...init, redirect: "manual" });
}

export async function fetchDocumentBytes(raw: string, limits: FetchLimits): Promise<Uint8Array> {
  const maxRedirects = limits.maxRedirects ?? 5;
  const deadline = AbortSignal.timeout(limits.timeoutMs);
  let current = raw;
  for (let hop = 0; hop <= maxRedirects; hop++) {
    const checked = await checkFetchableUrl(current, limits.allowHosts, limits.resolve);
    const url = checked.url;
    let res: Response;
    try {
      res = await fetchChecked(checked, { redirect: "manual", signal: deadline });
    } catch (err) {
      if (deadline.aborted) throw new FetchError(`Downloading the URL took longer than ${Math.round(limits.timeoutMs / 1000)} s.`);
      throw new FetchError(`The URL could not be downloaded: ${(err as Error).message}`);
    }
    if (res.status >= 300 && res.status < 400 && res.headers.get("location")) {
      current = new URL(res.headers.get("location")!, url).toString();
      await res.body?.cancel();
      continue;
    }
    if (!res.ok) throw new FetchError(`The URL answered HTTP ${res.status}; check that the document is publicly reachable.`);
    const declared = Number(res.headers.get("content-length") ?? "0");
    if (declared > limits.maxBytes) throw new FetchError(`The document is ${declared} bytes; this server accepts at most ${limits.maxBytes}.`);
    return await readLimited(res, limits.maxBytes);
  }
  throw new FetchError(`The URL redirected more than ${maxRedirects} times.`);
}

async function readLimited(res: Response, maxBytes: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = res.body?.getReader();
  if (!reader) return new Uint8Array();
  for (;;) {
    const { done, value: chunk } = await reader.read();
    if (done) break;
    total += chunk.length;
    if (total > maxBytes) {
      await reader.cancel();
      throw new FetchError(`The document is larger than the ${maxBytes} bytes this server accepts.`);
    }
    chunks.push(chunk);
  }
  // A plain Uint8Array: Node Buffers may be views into a shared pool, and pdfjs refuses them.
  return new Uint8Array(Buffer.concat(chunks));
}
