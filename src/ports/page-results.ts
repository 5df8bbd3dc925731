/**
 * What each page's `result` is, by the job's format (the result route and webhook payloads share
 * this): markdown jobs return the page's markdown; structured jobs ONE object for the document,
 * on page 1 only (every other page null); per_page_structured jobs each page's own object.
 * Object jobs keep each page's markdown internally (the extraction read it) but never return it.
 */
import type { PerPageEntry } from "./model";

interface JobFields {
  format: string;
  structuredResult: string | null;
}

interface PageFields {
  pageNumber: number;
  status: string;
  result: string | null;
  errorMessage: string | null;
}

export function pageResults(job: JobFields) {
  const stored = job.structuredResult ? (JSON.parse(job.structuredResult) as unknown) : undefined;
  const perPage = job.format === "per_page_structured" && Array.isArray(stored) ? new Map((stored as PerPageEntry[]).map((e) => [e.page, e])) : null;
  return {
    /** The document's one object (structured jobs only). */
    structured: job.format === "structured" ? stored : undefined,
    page(p: PageFields): { result: unknown; error_message?: string } {
      const error_message = p.errorMessage ?? undefined;
      if (job.format === "structured") return { result: p.pageNumber === 1 && p.status === "completed" ? (stored ?? null) : null, error_message };
      if (job.format === "per_page_structured") {
        const entry = perPage?.get(p.pageNumber);
        if (entry && "value" in entry) return { result: entry.value, error_message };
        return { result: null, error_message: error_message ?? (entry && "error" in entry ? entry.error : undefined) };
      }
      return { result: p.result ?? "", error_message };
    },
  };
}
