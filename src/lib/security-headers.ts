/**
 * Headers every response carries unless its route sets its own (issue 15, finding 15): no MIME
 * sniffing, no referrer, never framed, and for API answers a Content-Security-Policy that lets a
 * response load nothing at all. The dashboard's files and the docs page set their own policy
 * (src/modules/dashboard/static.ts, DOCS_CSP); a Response's own headers win over these.
 */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export function securityHeaders(csp = API_CSP): Record<string, string> {
  return {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "content-security-policy": csp,
  };
}
