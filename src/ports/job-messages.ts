/**
 * What a finished job's error_message says about its pages, written once for every adapter (it
 * was written out in each finish of each store, and the copies differed). The first failed page
 * by number gives the reason; the count says how much of the document it concerns.
 */

/** A job's pages once none is left to read; `firstFailed` is the lowest-numbered failed page. */
export interface FinishedPages {
  done: number;
  failed: number;
  total: number;
  firstFailed: { pageNumber: number; message: string } | null;
}

function failedPagesSummary(p: FinishedPages, outcome: string): string | null {
  const first = p.firstFailed;
  if (!first || p.failed === 0) return null;
  return p.failed === 1
    ? `Page ${first.pageNumber} ${outcome}: ${first.message}`
    : `${p.failed} of ${p.total} pages ${outcome.replace(/\bwas\b/, "were")}; page ${first.pageNumber}: ${first.message}`;
}

/** A markdown job: null when every page was read. */
export function pagesErrorMessage(p: FinishedPages): string | null {
  return failedPagesSummary(p, "failed");
}

/**
 * A structured job. With its object: the failed pages, which the extraction did not see. Without
 * it: the extraction's reason, except when no page could be read: then the pages' reason is
 * the job's, as for a markdown job (the extraction had nothing to work on).
 */
export function extractionErrorMessage(p: FinishedPages, outcome: { error: string } | { resultJson: string }): string | null {
  if ("resultJson" in outcome) return failedPagesSummary(p, "failed and was left out of the extraction");
  if (p.done === 0) return failedPagesSummary(p, "failed") ?? outcome.error;
  return outcome.error;
}
