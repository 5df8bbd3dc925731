/** Splitting a claimed job into pages, against the real SQLite job store and local storage. */
import { afterEach, expect, test } from "bun:test";
import { digitalPdf, SAMPLE_PAGES } from "../../helpers/fixtures";
import { workHarness, type WorkHarness } from "../../helpers/work";
import { splitJob } from "../../../src/pipeline/work/split";
import { sourceKey } from "../../../src/pipeline/work/documents";

let h: WorkHarness;
afterEach(async () => h?.close());

test("a queued upload becomes one pending page per page; the document stays open for the pages and the lease is let go", async () => {
  h = await workHarness();
  const id = await h.queueJob(await digitalPdf(SAMPLE_PAGES));
  const job = await h.claimJob();
  await splitJob(h.ctx, job);
  expect(h.job(id)).toMatchObject({ stage: "pages", status: "processing", total_pages: 2, lease_owner: null });
  expect(h.pages(id).map((p) => [p.page_number, p.status])).toEqual([[1, "pending"], [2, "pending"]]);
  expect(h.ctx.documents.isOpen(id)).toBe(true);
  expect(h.ctx.leases.splitsHeld).toBe(0);
  expect(h.finished).toEqual([]);
});

test("a file that is no document ends the job failed with a reason the sender can act on", async () => {
  h = await workHarness();
  const id = await h.queueJob(new TextEncoder().encode("just some words, not a document"));
  await splitJob(h.ctx, await h.claimJob());
  const row = h.job(id);
  expect(row).toMatchObject({ stage: "done", status: "failed" });
  expect(row.error_message).toMatch(/PDF|image|type/i);
  expect(h.pages(id)).toEqual([]);
  expect(h.ctx.documents.isOpen(id)).toBe(false);
  expect(h.finished).toEqual([id]);
});

test("a file over the size limit fails the job and says the limit", async () => {
  h = await workHarness({ maxFileBytes: 1000 });
  const id = await h.queueJob(await digitalPdf(SAMPLE_PAGES));
  await splitJob(h.ctx, await h.claimJob());
  expect(h.job(id).error_message).toMatch(/this server accepts at most 1000/);
});

test("a URL job's document is fetched, kept in storage as the job's source, and split", async () => {
  h = await workHarness();
  const pdf = await digitalPdf(SAMPLE_PAGES);
  const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response(pdf, { headers: { "content-type": "application/pdf" } }) });
  try {
    const id = await h.queueJob(null, { url: `http://127.0.0.1:${server.port}/doc.pdf` });
    await splitJob(h.ctx, await h.claimJob());
    expect(h.job(id)).toMatchObject({ stage: "pages", total_pages: 2 });
    expect(await h.ctx.storage.get(sourceKey(id))).toEqual(pdf);
  } finally {
    server.stop(true);
  }
});

test("a job deleted while it was being opened gets no pages, and its file is removed", async () => {
  h = await workHarness();
  const id = await h.queueJob(await digitalPdf(SAMPLE_PAGES));
  const job = await h.claimJob();
  await h.store.purgeJob(id, "deleted", { type: "system" });
  await splitJob(h.ctx, job);
  expect(h.pages(id)).toEqual([]);
  expect(await h.ctx.storage.get(sourceKey(id))).toBeNull();
  expect(h.ctx.documents.isOpen(id)).toBe(false);
});

test("a split still running when shutdown gives its lease back writes nothing: the job is queued for the next process", async () => {
  h = await workHarness();
  const id = await h.queueJob(await digitalPdf(SAMPLE_PAGES));
  const running = splitJob(h.ctx, await h.claimJob());
  expect(await h.ctx.leases.releaseAll()).toEqual({ pages: 0, jobs: 1, extractions: 0 });
  await running;
  expect(h.job(id)).toMatchObject({ stage: "queued", lease_owner: null, total_pages: 0 });
  expect(h.pages(id)).toEqual([]);
  // The next process takes it at once.
  const next = h.otherWorker();
  const again = await h.store.claimJobToSplit(next.leases.owner, 60_000);
  expect(again?.id).toBe(id);
  await splitJob(next, again!);
  expect(h.job(id)).toMatchObject({ stage: "pages", total_pages: 2 });
});
