/**
 * One error type for the whole server, mapped to the LeapOCR error body
 * `{code, error: {message}, details}` by the single onError hook in app.ts.
 */
export type ErrorCode =
  | "VALIDATION_ERROR"
  | "NOT_FOUND"
  | "AUTHENTICATION_ERROR"
  | "FORBIDDEN"
  | "SYSTEM_ERROR"
  | "BAD_REQUEST"
  | "CONFLICT"
  | "TOO_MANY_REQUESTS"
  | "LESS_CREDITS";

export interface ErrorBody {
  code: ErrorCode;
  error: { message: string };
  details?: unknown;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    /** Extra response headers, e.g. Retry-After on 429. */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = "ApiError";
  }

  toBody(): ErrorBody {
    const body: ErrorBody = { code: this.code, error: { message: this.message } };
    if (this.details !== undefined) body.details = this.details;
    return body;
  }
}

export const badRequest = (message: string, details?: unknown) =>
  new ApiError(400, "BAD_REQUEST", message, details);
export const validationError = (message: string, details?: unknown) =>
  new ApiError(400, "VALIDATION_ERROR", message, details);
export const notFound = (message: string) => new ApiError(404, "NOT_FOUND", message);
export const unauthorized = (message: string) => new ApiError(401, "AUTHENTICATION_ERROR", message);
export const forbidden = (message: string) => new ApiError(403, "FORBIDDEN", message);
export const conflict = (message: string, details?: unknown) =>
  new ApiError(409, "CONFLICT", message, details);
export const payloadTooLarge = (message: string, details?: unknown) =>
  new ApiError(413, "BAD_REQUEST", message, details);
export const systemError = (message = "Internal server error") =>
  new ApiError(500, "SYSTEM_ERROR", message);
