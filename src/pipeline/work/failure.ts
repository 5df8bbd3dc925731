/** What a failed page or job says to the person who sent it. */
import { RouteError, StepFailedError } from "../../ports/model";
import { FetchError } from "../../lib/url-fetch";
import { IngestError } from "../ingest";
import { DocumentError } from "../document";

/** The document itself is the problem (unreadable, too large, missing): not worth an error log line. */
export const isDocumentProblem = (err: unknown) => err instanceof IngestError || err instanceof DocumentError || err instanceof FetchError;

export function userMessage(err: unknown): string {
  // Model failures say which route failed and why (HTTP status, timeout, the validator's message).
  if (err instanceof RouteError || err instanceof StepFailedError) return err.message;
  if (isDocumentProblem(err)) return (err as Error).message;
  if (err instanceof Error && err.name === "PdfError") return err.message;
  return "Processing failed because of an internal error; try again, and contact the operator if it persists.";
}
