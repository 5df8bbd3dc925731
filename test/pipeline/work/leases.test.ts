/** Lease keeping, against the real SQLite job store: renewal while work runs, giving back at shutdown, owner names. */
import { afterEach, expect, test } from "bun:test";
import { hostname } from "node:os";
import { digitalPdf, SAMPLE_PAGES } from "../../helpers/fixtures";
import { workHarness, type WorkHarness } from "../../helpers/work";
import { splitJob } from "../../../src/pipeline/work/split";
import { isOwnerAlive, renewalIntervalMs } from "../../../src/pipeline/work/leases";

let h: WorkHarness;
afterEach(async () => h?.close());

const LEASE = 3_000; // renewed every second
/** The store's clock, moved by the test; renewals run on real timers. */
let now = 1_700_000_000_000;

async function until(check: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("timed out");
    await Bun.sleep(50);
  }
}

async function splitJobWithPages(format: "markdown" | "structured" = "markdown"): Promise<string> {
  const id = await h.queueJob(await digitalPdf(SAMPLE_PAGES), { format });
  await splitJob(h.ctx, await h.claimJob());
  return id;
}

test("a held page's lease is renewed while its work runs, so another worker cannot take it after the first lease length; dropped, it is renewed no more", async () => {
  h = await workHarness({ leaseMs: LEASE, clock: () => now });
  const id = await splitJobWithPages();
  const page = (await h.store.claimNextPage(h.ctx.leases.owner, LEASE))!;
  const claimedUntil = h.pages(id)[0]!.lease_expires_at!;
  h.ctx.leases.holdPage(page, performance.now());
  now += LEASE - 500;
  await until(() => h.pages(id)[0]!.lease_expires_at! > claimedUntil);
  now += 1_000; // past the lease as claimed
  const other = h.otherWorker();
  expect((await h.store.claimNextPage(other.leases.owner, LEASE))?.pageNumber).toBe(2); // page 1 is still ours
  expect(h.ctx.leases.dropPage(page.pageId)).toBe(true);
  const renewedUntil = h.pages(id)[0]!.lease_expires_at!;
  await Bun.sleep(renewalIntervalMs(LEASE) * 1.5);
  expect(h.pages(id)[0]!.lease_expires_at).toBe(renewedUntil);
  now = renewedUntil + 1;
  expect((await h.store.claimNextPage(other.leases.owner, LEASE))?.pageNumber).toBe(1);
});

test("a split's lease is renewed while a slow fetch runs: no other worker takes the job, and the split's pages are written", async () => {
  h = await workHarness({ leaseMs: LEASE, clock: () => now });
  const pdf = await digitalPdf(SAMPLE_PAGES);
  let answer!: () => void;
  const answered = new Promise<void>((resolve) => (answer = resolve));
  let asked = false;
  const server = Bun.serve({
    hostname: "127.0.0.1", port: 0,
    fetch: async () => {
      asked = true;
      await answered; // the document takes longer than the lease to arrive
      return new Response(pdf, { headers: { "content-type": "application/pdf" } });
    },
  });
  try {
    const id = await h.queueJob(null, { url: `http://127.0.0.1:${server.port}/slow.pdf` });
    const split = splitJob(h.ctx, await h.claimJob());
    const claimedUntil = h.job(id).lease_expires_at!;
    await until(() => asked);
    now += LEASE - 500;
    await until(() => h.job(id).lease_expires_at! > claimedUntil);
    now += 1_000; // past the lease as claimed
    expect(await h.store.claimJobToSplit(h.otherWorker().leases.owner, LEASE)).toBeNull();
    answer();
    await split;
    expect(h.job(id)).toMatchObject({ stage: "pages", total_pages: 2, lease_owner: null });
    // Done: the lease is renewed no more (the job has none).
    await Bun.sleep(renewalIntervalMs(LEASE) * 1.5);
    expect(h.job(id).lease_expires_at).toBeNull();
  } finally {
    server.stop(true);
  }
});

test("an extraction's lease is renewed while it runs", async () => {
  h = await workHarness({ leaseMs: LEASE, clock: () => now });
  const id = await splitJobWithPages("structured");
  for (const page of await h.claimPages()) await h.store.completePage(page, h.ctx.leases.owner, { result: "x", confidence: null, width: 1, height: 1, boundingBoxesJson: null, route: "offline" });
  expect(await h.store.claimExtraction(id, h.ctx.leases.owner, LEASE)).toBe(true);
  const claimedUntil = h.job(id).lease_expires_at!;
  h.ctx.leases.holdExtraction(id);
  now += LEASE - 500;
  await until(() => h.job(id).lease_expires_at! > claimedUntil);
  now += 1_000;
  expect(await h.store.claimExtraction(id, h.otherWorker().leases.owner, LEASE)).toBe(false);
  h.ctx.leases.dropExtraction(id);
});

test("shutdown gives back every held page, split and extraction, and stops the keeper", async () => {
  h = await workHarness();
  const id = await splitJobWithPages();
  const pages = await h.claimPages();
  for (const p of pages) h.ctx.leases.holdPage(p, performance.now());
  const second = await h.queueJob(await digitalPdf(SAMPLE_PAGES));
  await h.claimJob();
  h.ctx.leases.holdSplit(second);
  expect(h.ctx.leases.stopped).toBe(false);
  expect(await h.ctx.leases.releaseAll()).toEqual({ pages: 2, jobs: 1, extractions: 0 });
  expect(h.ctx.leases.stopped).toBe(true);
  expect(h.ctx.leases.pagesHeld).toBe(0);
  expect(h.pages(id).map((p) => [p.status, p.lease_owner])).toEqual([["pending", null], ["pending", null]]);
  expect(h.job(second)).toMatchObject({ stage: "queued", lease_owner: null });
});

test("an owner is alive unless it names a process of this host that no longer runs, or an earlier life of this process", () => {
  const self = `${hostname()}:${process.pid}:abc`;
  expect(isOwnerAlive(self, self)).toBe(true);
  expect(isOwnerAlive(`${hostname()}:${process.pid}:older`, self)).toBe(false);
  expect(isOwnerAlive(`${hostname()}:${process.ppid}:x`, self)).toBe(true);
  expect(isOwnerAlive(`${hostname()}:2147483646:x`, self)).toBe(false);
  expect(isOwnerAlive(`another-host.invalid:1:x`, self)).toBe(true);
});
