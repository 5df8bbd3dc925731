/**
 * Accessibility of every dashboard view (issue 18, proof): axe-core (test/helpers/axe.ts) run in
 * headless Chromium against the compiled binary, at 1280 px and at 390 px, light and dark, must
 * find no serious or critical violation. The team has something in each list first (a finished
 * job, a template, a webhook with a delivery, a pending invitation), so the views are checked
 * with their tables, cards and result pages, not only their empty states; the help menu and a
 * webhook's opened payload are checked open.
 * The first-run form (only shown while no user exists) is checked in dashboard.test.ts.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Server } from "bun";
import type { Browser, Page } from "playwright-core";
import { copyBinaryTo } from "../helpers/binary";
import { startServerProcess, type ServerProcess } from "../helpers/process";
import { launchBrowser, isolatedContext } from "../helpers/browser";
import { axeViolations } from "../helpers/axe";
import { TEST_API_KEY } from "../helpers/app";
import { SdkClient } from "../helpers/sdk-client";
import { digitalPdf, SAMPLE_PAGES } from "../helpers/fixtures";

const dir = mkdtempSync(join(tmpdir(), "leapocr-dashboard-a11y-"));
const shots = join(import.meta.dir, "../../test-output/screenshots");
const OWNER = { email: "owner@example.com", password: "a long enough passphrase" };

let server: ServerProcess;
let receiver: Server<undefined>;
let browser: Browser;
let jobId = "";
let templateId = "";
let inviteToken = "";

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  receiver = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("ok") });
  server = await startServerProcess([copyBinaryTo(dir)], {
    cwd: dir,
    dataDir: "./data",
    env: { LEAPOCR_OCR_WORKERS: "1", LEAPOCR_ADMIN_EMAIL: OWNER.email, LEAPOCR_ADMIN_PASSWORD: OWNER.password, LEAPOCR_URL_ALLOW_HOSTS: "127.0.0.1", LEAPOCR_SUPPORT_URL: "https://support.example.invalid/" },
  });
  // Something in every list, made through the API as an integration would.
  const sdk = new SdkClient(server.baseUrl, TEST_API_KEY);
  jobId = await sdk.upload(await digitalPdf(SAMPLE_PAGES.slice(0, 2)), "invoice-2026.pdf");
  expect((await sdk.waitForJob(jobId)).status).toBe("completed");
  const me = (await sdk.call("GET", "/auth/verify")).body as { teams: { id: string; organization_id: string }[] };
  const base = `/organizations/${me.teams[0]!.organization_id}/teams/${me.teams[0]!.id}`;
  const tpl = await sdk.call("POST", `${base}/templates`, { name: "Invoice fields", format: "markdown", model: "standard-v2", description: "Invoice text" });
  expect(tpl.status).toBe(201);
  templateId = tpl.body.id;
  browser = await launchBrowser();
  // Webhooks and members are an admin's, with a session: a webhook with one delivery, and an
  // invitation for someone without an account (its link is a view of its own).
  const { context } = await isolatedContext(browser, server.baseUrl);
  const page = await context.newPage();
  await signIn(page);
  const csrf = ((await (await context.request.get(`${server.baseUrl}/api/v1/auth/verify`)).json()) as { session: { csrf_token: string } }).session.csrf_token;
  const post = (path: string, data: unknown = {}) => context.request.post(`${server.baseUrl}/api/v1${base}${path}`, { headers: { "x-csrf-token": csrf }, data });
  const hook = await post("/webhooks", { url: `http://127.0.0.1:${receiver.port}/hooks`, events: ["job.completed"] });
  expect(hook.status()).toBe(201);
  const hookId = ((await hook.json()) as { id: string }).id;
  expect(((await (await post(`/webhooks/${hookId}/test`)).json()) as { success: boolean }).success).toBe(true);
  const invited = await post("/members", { email: "new.person@example.com", role: "member" });
  expect(invited.status()).toBe(201);
  inviteToken = ((await invited.json()) as { token: string }).token;
  await context.close();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  receiver?.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

async function signIn(page: Page) {
  await page.goto(`${server.baseUrl}/#/login`);
  await page.getByLabel("Email").fill(OWNER.email);
  await page.getByLabel("Password").fill(OWNER.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { level: 1, name: "Jobs" }).waitFor();
}

/** Signed-in views: the hash, and what shows the view has its content (beyond its heading). */
const VIEWS: { hash: () => string; ready: (p: Page) => Promise<unknown> }[] = [
  { hash: () => "/upload", ready: (p) => p.getByRole("heading", { level: 1 }).waitFor() },
  { hash: () => "/jobs", ready: (p) => p.getByText("invoice-2026.pdf").first().waitFor() },
  { hash: () => `/jobs/${jobId}`, ready: (p) => p.locator(".page-text, .page").first().waitFor() },
  { hash: () => "/templates", ready: (p) => p.getByRole("link", { name: "Invoice fields" }).waitFor() },
  { hash: () => "/templates/new", ready: (p) => p.getByLabel("Name").waitFor() },
  { hash: () => `/templates/${templateId}`, ready: (p) => p.getByRole("heading", { level: 1, name: /Invoice fields/ }).waitFor() },
  { hash: () => "/team/keys", ready: (p) => p.getByText("bootstrap", { exact: true }).first().waitFor() },
  { hash: () => "/team/members", ready: (p) => p.getByText("new.person@example.com").first().waitFor() },
  { hash: () => "/team/retention", ready: (p) => p.getByRole("button").first().waitFor() },
  { hash: () => "/team/webhooks", ready: (p) => p.getByText("webhook.test", { exact: true }).first().waitFor() },
  { hash: () => "/team/usage", ready: (p) => p.locator("figure, table").first().waitFor() },
  { hash: () => "/team/audit", ready: (p) => p.getByText("template.created", { exact: true }).first().waitFor() },
  { hash: () => "/team/data-flow", ready: (p) => p.getByRole("heading", { level: 1 }).waitFor() },
  { hash: () => "/invitations", ready: (p) => p.getByRole("heading", { level: 1 }).waitFor() },
  { hash: () => "/no-such-page", ready: (p) => p.getByRole("heading", { level: 1, name: "Not found" }).waitFor() },
];

const COMBOS = [
  { width: 1280, height: 900, scheme: "light" as const },
  { width: 1280, height: 900, scheme: "dark" as const },
  { width: 390, height: 844, scheme: "light" as const },
  { width: 390, height: 844, scheme: "dark" as const },
];

describe("every dashboard view has no serious or critical axe violation", () => {
  for (const combo of COMBOS) {
    test(`at ${combo.width} px, ${combo.scheme}`, async () => {
      const { context, foreign } = await isolatedContext(browser, server.baseUrl, { viewport: { width: combo.width, height: combo.height }, colorScheme: combo.scheme });
      context.setDefaultTimeout(15_000);
      const page = await context.newPage();
      const found: string[] = [];
      const check = async (what: string) => found.push(...(await axeViolations(page)).map((v) => `${what} @${combo.width} ${combo.scheme}: ${v}`));
      const settle = () => page.waitForTimeout(250); // live counters and late rows

      // Signed out: the sign-in page and an invitation link.
      await page.goto(`${server.baseUrl}/#/login`);
      await page.getByRole("heading", { name: "Sign in to LeapOCR" }).waitFor();
      await check("#/login");
      await page.goto(`${server.baseUrl}/#/invite/${inviteToken}`);
      await page.getByRole("heading", { level: 1 }).waitFor();
      await page.getByText("new.person@example.com").first().waitFor();
      await check("#/invite/<token>");

      await signIn(page);
      for (const v of VIEWS) {
        await page.goto(`${server.baseUrl}/#${v.hash()}`);
        await page.getByRole("heading", { level: 1 }).waitFor();
        await v.ready(page);
        await settle();
        await check(`#${v.hash().replace(jobId, "<job>").replace(templateId, "<template>")}`);
      }
      // Open states: a delivery's payload, and the help menu (inside the Menu on phones).
      await page.goto(`${server.baseUrl}/#/team/webhooks`);
      await page.getByRole("button", { name: /^Payload of webhook\.test/ }).click();
      await page.locator("tr.payload-row pre").waitFor();
      await check("#/team/webhooks, payload open");
      if (combo.width < 700) await page.getByRole("button", { name: "Menu" }).click();
      await page.getByRole("button", { name: "Help" }).click();
      await page.getByRole("region", { name: "Help" }).waitFor();
      await check("help menu open");
      await page.screenshot({ path: join(shots, `help-${combo.width}-${combo.scheme}.png`), fullPage: combo.width < 700 });

      expect(found).toEqual([]);
      expect(foreign).toEqual([]);
      await context.close();
    }, 240_000);
  }
});
