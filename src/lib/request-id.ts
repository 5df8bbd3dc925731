/**
 * The request id: taken from the client's X-Request-Id when it is a sane token, otherwise
 * generated; answered in the X-Request-Id response header, carried by every log line written
 * while the request is handled (AsyncLocalStorage), stored on a job the request creates, and
 * written on the worker's log lines for that job.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { randomBytes } from "node:crypto";

export interface RequestContext {
  requestId: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** Ids clients may choose: short tokens, nothing that could forge a log line. */
const ACCEPTED = /^[A-Za-z0-9._:-]{1,128}$/;

export function newRequestId(): string {
  return `req_${randomBytes(12).toString("hex")}`;
}

export function acceptRequestId(header: string | null | undefined): string {
  return header && ACCEPTED.test(header) ? header : newRequestId();
}

/** Makes `ctx` the current request for the rest of this async call chain (Elysia's onRequest). */
export function enterRequest(ctx: RequestContext): void {
  storage.enterWith(ctx);
}

export function runInRequest<T>(ctx: RequestContext, fn: () => T): T {
  return storage.run(ctx, fn);
}

/** The id of the request being handled, or null outside a request (the worker, schedulers). */
export function currentRequestId(): string | null {
  return storage.getStore()?.requestId ?? null;
}
