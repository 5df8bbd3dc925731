/** Reading claimed pages, against the real SQLite job store, local storage and the offline engine. */
import { afterEach, expect, test } from "bun:test";
import { digitalPdf, SAMPLE_PAGES } from "../../helpers/fixtures";
import { workHarness, type WorkHarness } from "../../helpers/work";
import { splitJob } from "../../../src/pipeline/work/split";
import { processPage } from "../../../src/pipeline/work/pages";

let h: WorkHarness;
afterEach(async () => h?.close());

async function splitOne(bytes: Uint8Array, o: { model?: string } = {}): Promise<string> {
  const id = await h.queueJob(bytes, o);
  await splitJob(h.ctx, await h.claimJob());
  return id;
}

test("each page is read and recorded; the page that ends the job finishes it, charges it once and closes its document", async () => {
  h = await workHarness();
  const id = await splitOne(await digitalPdf(SAMPLE_PAGES));
  const [first, second] = await h.claimPages();
  await processPage(h.ctx, first!);
  expect(h.job(id)).toMatchObject({ stage: "pages", status: "processing" });
  expect(h.finished).toEqual([]);
  await processPage(h.ctx, second!);
  const pages = h.pages(id);
  expect(pages.map((p) => p.status)).toEqual(["completed", "completed"]);
  expect(pages[0]!.result).toContain("Quarterly Report");
  expect(pages[1]!.result).toContain("Operations Summary");
  expect(pages.every((p) => p.lease_owner === null)).toBe(true);
  expect(h.job(id)).toMatchObject({ stage: "done", status: "completed", processed_pages: 2, failed_pages: 0, credits_used: 2, error_message: null });
  expect(h.finished).toEqual([id]);
  expect(h.ctx.documents.isOpen(id)).toBe(false);
  expect(h.ctx.leases.pagesHeld).toBe(0);
});

test("a page read by another process than the one that split the job opens the document from storage", async () => {
  h = await workHarness();
  const id = await splitOne(await digitalPdf(SAMPLE_PAGES));
  const other = h.otherWorker();
  const page = await h.store.claimNextPage(other.leases.owner, 60_000);
  await processPage(other, page!);
  expect(h.pages(id)[0]).toMatchObject({ status: "completed" });
  expect(h.pages(id)[0]!.result).toContain("Quarterly Report");
});

test("a page whose model is no longer configured fails with that reason, and the job ends failed with the first page's reason", async () => {
  h = await workHarness();
  const id = await splitOne(await digitalPdf(SAMPLE_PAGES), { model: "retired-model" });
  for (const page of await h.claimPages()) await processPage(h.ctx, page);
  expect(h.pages(id).map((p) => p.error_message)).toEqual([
    'The model "retired-model" is no longer configured on this server.',
    'The model "retired-model" is no longer configured on this server.',
  ]);
  expect(h.job(id)).toMatchObject({ status: "failed", failed_pages: 2, credits_used: 0, error_message: '2 of 2 pages failed; page 1: The model "retired-model" is no longer configured on this server.' });
  expect(h.finished).toEqual([id]);
});

test("a page still being read when shutdown gives its lease back is not written: it waits, pending, for the next process", async () => {
  h = await workHarness();
  const id = await splitOne(await digitalPdf(SAMPLE_PAGES));
  const first = await h.store.claimNextPage(h.ctx.leases.owner, 60_000);
  const reading = processPage(h.ctx, first!);
  expect(await h.ctx.leases.releaseAll()).toEqual({ pages: 1, jobs: 0, extractions: 0 });
  await reading;
  expect(h.pages(id).map((p) => [p.status, p.lease_owner])).toEqual([["pending", null], ["pending", null]]);
  expect(h.job(id)).toMatchObject({ stage: "pages", status: "processing" });
});
