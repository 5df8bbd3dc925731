/**
 * Limits on request bodies, applied before anything is read (issue 15, findings 11 and 13).
 *
 * - A JSON (or any non-part) body must declare its length, and at most `maxJsonBytes`: a
 *   larger one is refused from its Content-Length header alone, and a body without a length
 *   (chunked) is refused with 411, so the server never buffers more than the limit. The route's
 *   guard then authenticates (in the parse phase, src/modules/auth/index.ts) before Elysia
 *   reads the body.
 * - The signed part PUT is exempt: its route checks the signature, then the size, itself.
 * - A parsed body nested deeper than MAX_JSON_DEPTH is refused with 400: validators and error
 *   formatting recurse and would overflow the stack on a body of 100 000 nested arrays.
 */
import { ApiError, badRequest, payloadTooLarge } from "./errors";

/** Deep enough for any JSON schema a person writes (each schema level is two JSON levels). */
export const MAX_JSON_DEPTH = 128;

export interface BodyLimits {
  maxJsonBytes: number;
  /** Path prefixes of routes that read and limit their raw body themselves. */
  rawRoutes: string[];
}

/** Elysia request hook: refuses a body over the limit, or of unknown length, before it is read. */
export function bodyGate(limits: BodyLimits) {
  return function bodyGate({ request }: { request: Request }): undefined {
    if (!request.body) return undefined;
    const path = new URL(request.url).pathname;
    if (limits.rawRoutes.some((p) => path.startsWith(p))) return undefined;
    const declared = request.headers.get("content-length");
    if (declared === null) {
      throw new ApiError(411, "BAD_REQUEST", "Send the request body with a Content-Length header (chunked bodies are not accepted here).");
    }
    if (Number(declared) > limits.maxJsonBytes) {
      throw payloadTooLarge(`The request body is ${declared} bytes; this server accepts at most ${limits.maxJsonBytes} bytes of JSON (LEAPOCR_MAX_JSON_BYTES).`);
    }
    return undefined;
  };
}

/** The nesting depth of a parsed JSON value, counted without recursion and given up past `max`. */
export function depthExceeds(value: unknown, max = MAX_JSON_DEPTH): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== "object") continue;
    if (depth > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (child !== null && typeof child === "object") stack.push([child, depth + 1]);
    }
  }
  return false;
}

/** Elysia transform hook (runs before validation): refuses a body nested too deep. */
export function depthGate({ body }: { body: unknown }): void {
  if (body !== null && typeof body === "object" && depthExceeds(body)) {
    throw badRequest(`The request body is nested more than ${MAX_JSON_DEPTH} levels deep; flatten it.`);
  }
}
