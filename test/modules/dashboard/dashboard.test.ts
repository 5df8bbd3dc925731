/**
 * The dashboard's server side, in process: embedded files are current, analytics appears only
 * when configured (and then with its hosts in the CSP), and the first-run route closes once a
 * user exists.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { startTestServer, type TestServer } from "../../helpers/app";
import { SdkClient } from "../../helpers/sdk-client";
import { digitalPdf, SAMPLE_PAGES } from "../../helpers/fixtures";
import { api, defaultTeamOf, login, seedUser } from "../../helpers/auth";
import { dropJobSource } from "../../../src/modules/jobs/purge-job";
import { generate } from "../../../scripts/embed-public";

const servers: TestServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.close();
});

/** A server with one finished two-page job (report.pdf), and a signed-in viewer of its team. */
async function finishedJobAndViewer() {
  const t = await startTestServer();
  servers.push(t);
  const client = new SdkClient(t.baseUrl, t.apiKey);
  const jobId = await client.upload(await digitalPdf(SAMPLE_PAGES), "report.pdf");
  await client.waitForJob(jobId);
  const team = defaultTeamOf(t);
  const session = await login(t, (await seedUser(t, team.teamId, "viewer")).email);
  return { t, client, jobId, team, session };
}

describe("dashboard files and analytics", () => {
  test("src/modules/dashboard/assets.generated.ts lists every file of public/ (run scripts/embed-public.ts)", async () => {
    const current = await Bun.file(join(import.meta.dir, "../../../src/modules/dashboard/assets.generated.ts")).text();
    expect(current).toBe(generate());
  });

  test("with PostHog and GA settings, the shell loads /analytics.js and the CSP admits exactly their hosts", async () => {
    const t = await startTestServer({ posthogKey: "phc_test", posthogHost: "https://eu.i.posthog.com", gaMeasurementId: "G-TEST123" });
    servers.push(t);
    const res = await fetch(`${t.baseUrl}/`);
    const html = await res.text();
    expect(html).toContain('<script src="/analytics.js" defer></script>');
    const csp = res.headers.get("content-security-policy")!;
    expect(csp).toContain("script-src 'self' https://eu-assets.i.posthog.com https://www.googletagmanager.com");
    expect(csp).toContain("https://eu.i.posthog.com");
    const js = await (await fetch(`${t.baseUrl}/analytics.js`)).text();
    expect(js).toContain('"phc_test"');
    expect(js).toContain("https://eu-assets.i.posthog.com/static/array.js");
    expect(js).toContain('"G-TEST123"');
  });

  test("without them, no loader, no outside host, and files revalidate with ETags", async () => {
    const t = await startTestServer();
    servers.push(t);
    const res = await fetch(`${t.baseUrl}/`);
    expect(await res.text()).not.toMatch(/analytics\.js|posthog|gtag|googletagmanager/i);
    expect(res.headers.get("content-security-policy")).not.toMatch(/https?:/);
    expect((await fetch(`${t.baseUrl}/analytics.js`)).status).toBe(404);
    const css = await fetch(`${t.baseUrl}/app.css`);
    expect(css.headers.get("content-type")).toBe("text/css; charset=utf-8");
    const again = await fetch(`${t.baseUrl}/app.css`, { headers: { "if-none-match": css.headers.get("etag")! } });
    expect(again.status).toBe(304);
  });
});

describe("first run", () => {
  test("creates the first owner and a session once; afterwards it answers 409", async () => {
    const t = await startTestServer();
    servers.push(t);
    expect(await (await fetch(`${t.baseUrl}/api/v1/dashboard/setup`)).json()).toEqual({ needs_setup: true });
    const post = (email: string) =>
      fetch(`${t.baseUrl}/api/v1/dashboard/setup`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email, password: "twelve chars or more" }) });
    const first = await post("first@example.com");
    expect(first.status).toBe(200);
    expect(first.headers.get("set-cookie")).toContain("HttpOnly");
    const body = (await first.json()) as { csrf_token: string; teams: { role: string }[] };
    expect(body.teams[0]!.role).toBe("owner");
    const second = await post("second@example.com");
    expect(second.status).toBe(409);
    expect(await (await fetch(`${t.baseUrl}/api/v1/dashboard/setup`)).json()).toEqual({ needs_setup: false });
  });

  test("a short password is refused with the reason", async () => {
    const t = await startTestServer();
    servers.push(t);
    const res = await fetch(`${t.baseUrl}/api/v1/dashboard/setup`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email: "a@example.com", password: "short" }) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain("at least 12 characters");
  });
});

describe("page images", () => {
  test("a page renders as a PNG of the page, and answers 410 once retention removed the uploaded file", async () => {
    const { t, client, jobId, team, session } = await finishedJobAndViewer();
    const path = `${team.base}/jobs/${jobId}/pages/2/image`;
    const ok = await fetch(`${t.baseUrl}${path}`, { headers: { authorization: `Bearer ${session.token}` } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("content-type")).toContain("image/png");
    const png = new Uint8Array(await ok.arrayBuffer());
    expect([...png.subarray(1, 4)]).toEqual([0x50, 0x4e, 0x47]);
    // 0-day retention drops the uploaded file when the job ends: the image is gone, the results are not.
    await dropJobSource(t.server.ctx, jobId);
    const gone = await api(t, "GET", path, { session });
    expect(gone.status).toBe(410);
    expect(gone.body.error.message).toContain("retention");
    expect((await client.result(jobId)).pages).toHaveLength(2);
  });

  test("a job whose upload was refused has no stored file: its page image says so without blaming retention, and the job shows no retention date", async () => {
    const t = await startTestServer();
    servers.push(t);
    const client = new SdkClient(t.baseUrl, t.apiKey);
    const junk = new TextEncoder().encode("this is not a PDF at all, just some words");
    const init = await client.call("POST", "/ocr/uploads/direct", { file_name: "broken.pdf", file_size: junk.length, content_type: "application/pdf" });
    const jobId = init.body.job_id as string;
    const put = await fetch(init.body.parts[0].upload_url, { method: "PUT", body: junk });
    const complete = await client.call("POST", `/ocr/uploads/${jobId}/complete`, { parts: [{ part_number: 1, etag: put.headers.get("etag")! }] });
    expect(complete.status).toBe(400);
    const team = defaultTeamOf(t);
    const session = await login(t, (await seedUser(t, team.teamId, "viewer")).email);
    const image = await api(t, "GET", `${team.base}/jobs/${jobId}/pages/1/image`, { session });
    expect(image.status).toBe(404);
    expect(image.body.error.message).toContain("not stored");
    expect(image.body.error.message).not.toContain("retention");
    expect(image.body.error.message).toContain(complete.body.error.message);
    const job = await api(t, "GET", `${team.base}/jobs/${jobId}`, { session });
    expect(job.body.workflow).toMatchObject({ source_available: false });
    expect(job.body.workflow.source_deleted_at).toBeUndefined();
  });

  test("once retention removed the file, the job says when (workflow.source_deleted_at)", async () => {
    const { t, jobId, team, session } = await finishedJobAndViewer();
    expect((await api(t, "GET", `${team.base}/jobs/${jobId}`, { session })).body.workflow.source_deleted_at).toBeUndefined();
    await dropJobSource(t.server.ctx, jobId);
    const job = await api(t, "GET", `${team.base}/jobs/${jobId}`, { session });
    expect(job.body.workflow.source_available).toBe(false);
    expect(Date.parse(job.body.workflow.source_deleted_at)).toBeGreaterThan(0);
  });
});
