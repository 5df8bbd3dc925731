/** Client addresses: one spelling per address, and matching against a list of addresses and CIDR ranges. */
import { isIP } from "node:net";
import { ipv6Groups } from "./url-fetch";

/** `::ffff:127.0.0.1` (an IPv4 client of a dual-stack socket) is 127.0.0.1; IPv6 in lower case. */
export function normalizeIp(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return mapped ? mapped[1]! : ip.toLowerCase();
}

function bits(ip: string): bigint | null {
  if (isIP(ip) === 4) return ip.split(".").reduce((acc, n) => (acc << 8n) | BigInt(Number(n)), 0n);
  const g = ipv6Groups(ip);
  return g ? g.reduce((acc, n) => (acc << 16n) | BigInt(n), 0n) : null;
}

/** Whether `ip` is one of `list` ("10.0.0.1", "10.0.0.0/8", "fd00::/8"); malformed entries match nothing. */
export function ipMatches(ip: string, list: string[]): boolean {
  const addr = normalizeIp(ip);
  const family = isIP(addr);
  const value = bits(addr);
  if (value === null) return false;
  return list.some((entry) => {
    const [base = "", prefixText] = entry.split("/");
    const baseIp = normalizeIp(base);
    if (isIP(baseIp) !== family) return false;
    const width = family === 4 ? 32 : 128;
    const prefix = prefixText === undefined ? width : Number(prefixText);
    const b = bits(baseIp);
    if (b === null || !Number.isInteger(prefix) || prefix < 0 || prefix > width) return false;
    const shift = BigInt(width - prefix);
    return value >> shift === b >> shift;
  });
}

export const parseIpList = (csv: string): string[] => csv.split(",").map((s) => s.trim()).filter(Boolean);
