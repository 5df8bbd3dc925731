/** Analytics from the database: figures checked against jobs run in the test; errors and security. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { samplePdf, startWorkspace, type Workspace } from "../jobs/harness";

let w: Workspace;
beforeAll(async () => {
  w = await startWorkspace();
  const pdf = await samplePdf();
  for (const name of ["one.pdf", "two.pdf"]) await w.client.waitForJob(await w.client.upload(pdf, name));
  const broken = await w.client.upload(new TextEncoder().encode("%PDF-1.7\nbroken\n%%EOF\n"), "broken.pdf");
  await w.client.waitForJob(broken);
});
afterAll(() => w.close());

const ALL = [
  "/analytics/overview", "/analytics/compare", "/analytics/jobs/timeseries", "/analytics/pages/timeseries", "/analytics/credits/usage",
  "/analytics/errors", "/analytics/errors/timeseries", "/analytics/documents", "/analytics/documents/filetypes", "/analytics/templates/top",
  "/analytics/users/activity", "/analytics/users/top", "/analytics/confidence", "/analytics/confidence/timeseries",
];

describe("happy", () => {
  test("overview counts the jobs, pages and credits of the range", async () => {
    const res = await w.call("GET", "/analytics/overview?range=7d", { apiKey: w.tenant.key.secret });
    expect(res.status).toBe(200);
    expect(res.body.range).toMatchObject({ team_id: w.tenant.teamId, bucket: "day", requested_range: "7d" });
    expect(res.body.jobs).toMatchObject({ total_jobs: 3, completed_jobs: 2, failed_jobs: 1, active_jobs: 0, total_pages: 4, credits_consumed: 4 });
    expect(res.body.jobs.success_rate).toBeCloseTo(66.67, 1);
    expect(res.body.pages).toMatchObject({ total_pages: 4, completed_pages: 4, failed_pages: 0 });
    expect(res.body.credits).toMatchObject({ consumed: 4, balance: -4 });
  });

  test("timeseries have one bucket per day of the range, the jobs in today's", async () => {
    const res = await w.call("GET", "/analytics/jobs/timeseries?range=7d");
    expect(res.body.timeseries.length).toBeGreaterThanOrEqual(7);
    const today = new Date().toISOString().slice(0, 10);
    expect(res.body.timeseries.find((b: any) => b.bucket === today)).toMatchObject({ total_jobs: 3, completed_jobs: 2, failed_jobs: 1, total_pages: 4 });
    const hourly = await w.call("GET", "/analytics/pages/timeseries?range=24h");
    expect(hourly.body.range.bucket).toBe("hour");
    expect(hourly.body.timeseries.reduce((s: number, b: any) => s + b.total_pages, 0)).toBe(4);
    const weekly = await w.call("GET", "/analytics/errors/timeseries?range=90d&bucket=week");
    expect(weekly.body.timeseries.reduce((s: number, b: any) => s + b.failed_jobs, 0)).toBe(1);
    const credits = await w.call("GET", "/analytics/credits/usage?range=30d&granularity=month");
    expect(credits.body.snapshot.consumed).toBe(4);
    expect(credits.body.model_breakdown[0]).toMatchObject({ model: "standard-v2", credits_consumed: 4, jobs_processed: 2 });
  });

  test("errors, documents, file types, users and confidence", async () => {
    const errors = (await w.call("GET", "/analytics/errors")).body;
    expect(errors.summary).toMatchObject({ total_jobs: 3, failed_jobs: 1, jobs_with_errors: 1 });
    expect(errors.patterns[0].count).toBe(1);
    const docs = (await w.call("GET", "/analytics/documents")).body;
    expect(docs.summary).toMatchObject({ total_documents: 2, avg_pages_per_doc: 2 });
    expect(docs.distribution).toMatchObject({ medium_docs: 2 });
    const types = (await w.call("GET", "/analytics/documents/filetypes")).body.file_types;
    expect(types.reduce((s: number, t: any) => s + t.document_count, 0)).toBe(3);
    const users = (await w.call("GET", "/analytics/users/top")).body.users;
    expect(users[0]).toMatchObject({ job_count: 3, completed_jobs: 2, failed_jobs: 1 });
    expect((await w.call("GET", "/analytics/users/activity")).body.users[0]).toMatchObject({ job_count: 3, active_days: 1 });
    const conf = (await w.call("GET", "/analytics/confidence")).body;
    expect(conf.summary.total_pages).toBe(4);
    expect(conf.summary.avg_confidence).toBeGreaterThan(0);
    const cmp = (await w.call("GET", "/analytics/compare?range=7d")).body;
    expect(cmp.jobs).toMatchObject({ current: 3, previous: 0, trend: "up" });
  });

  test("a custom start/end outside the jobs' time gives zeros", async () => {
    const res = await w.call("GET", "/analytics/overview?start=2020-01-01&end=2020-01-31");
    expect(res.body.range).toMatchObject({ requested_range: "custom", start: "2020-01-01T00:00:00.000Z" });
    expect(res.body.jobs.total_jobs).toBe(0);
  });
});

describe("errors", () => {
  test("bad ranges, buckets and limits are 400", async () => {
    for (const qs of ["range=2y", "start=yesterday", "start=2024-02-01&end=2024-01-01", "bucket=minute", "range=365d&bucket=hour&start=2000-01-01"]) {
      expect((await w.call("GET", `/analytics/jobs/timeseries?${qs}`)).status, qs).toBe(400);
    }
    expect((await w.call("GET", "/analytics/users/top?limit=0")).status).toBe(400);
    expect((await w.call("GET", "/analytics/documents/filetypes?limit=500")).status).toBe(400);
  });
});

describe("security", () => {
  test("every analytics route: 401 without a credential, 404 for another team, 403 for a key without analytics", async () => {
    const noAnalytics = w.key("jobs");
    for (const p of ALL) {
      expect((await fetch(`${w.t.baseUrl}${w.tenant.base}${p}`)).status, p).toBe(401);
      expect((await w.call("GET", p, { session: w.other.sessions.owner })).status, p).toBe(404);
      expect((await w.call("GET", p, { apiKey: noAnalytics })).status, p).toBe(403);
      expect((await w.call("GET", p, { session: w.tenant.sessions.viewer })).status, p).toBe(200);
    }
    const theirs = (await w.call("GET", `${w.other.base}/analytics/overview`, { session: w.other.sessions.owner })).body;
    expect(theirs.jobs.total_jobs).toBe(0);
  });
});
