/**
 * The one mapping from what a request threw to the LeapOCR error body `{code, error: {message},
 * details}` and its status (app.ts's onError hook calls it for every route).
 */
import { ApiError, type ErrorBody } from "./errors";
import { validationIssues } from "./validation-issues";
import type { Logger } from "./logger";

export function errorResponse(code: string | number, error: unknown, logger: Logger): { status: number; body: ErrorBody; headers?: Record<string, string> } {
  if (error instanceof ApiError) return { status: error.status, body: error.toBody(), headers: error.headers };
  // Elysia wraps what a parse hook throws (the body gate, a guard's 401) in its ParseError.
  const cause = (error as { cause?: unknown } | null)?.cause;
  if (code === "PARSE" && cause instanceof ApiError) return { status: cause.status, body: cause.toBody(), headers: cause.headers };
  switch (code) {
    case "VALIDATION": {
      const issues = validationIssues(error as Parameters<typeof validationIssues>[0]);
      const first = issues[0];
      const message = first ? `${first.field ? `${first.field}: ` : ""}${first.message}` : "The request is not valid.";
      return { status: 400, body: { code: "VALIDATION_ERROR", error: { message }, details: issues } };
    }
    case "PARSE":
      return { status: 400, body: { code: "BAD_REQUEST", error: { message: "The request body could not be parsed; send valid JSON with Content-Type: application/json." } } };
    case "NOT_FOUND":
      return { status: 404, body: { code: "NOT_FOUND", error: { message: "No such route. The API lives under /api/v1; see /api/v1/docs." } } };
    default:
      logger.error("unhandled error", { code: String(code), error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      return { status: 500, body: { code: "SYSTEM_ERROR", error: { message: "Internal server error." } } };
  }
}
