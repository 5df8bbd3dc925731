/**
 * The dashboard in a real browser (Debian's Chromium, headless, through playwright-core)
 * against the compiled binary, as an operator would use it: first-run admin, sign out and in,
 * upload a PDF and watch both progress bars reach 100 %, open the job and see its text and
 * boxes, create an API key (secret shown once), change retention, delete the job.
 * Every request to a host other than the server's own is blocked and recorded, and must not
 * happen. Screenshots of each main page (1280 px and 390 px, light and dark) are written to
 * test-output/screenshots/ for review.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import type { Page } from "playwright-core";
import { startBinary, type ServerProcess } from "../helpers/process";
import { openDashboard, type DashboardBrowser } from "../helpers/browser";
import { axeViolations } from "../helpers/axe";
import { digitalPdf, SAMPLE_PAGES } from "../helpers/fixtures";

// Callbacks passed to page.evaluate run in the browser; the project's tsconfig has no DOM types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type El = any;
declare const document: El;
declare function getComputedStyle(e: El): { outlineStyle: string; outlineWidth: string };

const root = join(import.meta.dir, "../..");
const shots = join(root, "test-output/screenshots");
const dir = mkdtempSync(join(tmpdir(), "leapocr-dashboard-"));
const EMAIL = "owner@example.com";
const PASSWORD = "a long enough passphrase";

let server: ServerProcess;
/** The operator's browser; `page` is its page. */
let ui: DashboardBrowser;
let page: Page;
let jobId = "";

const shot = (name: string) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
const go = async (hash: string, heading: RegExp) => {
  await page.goto(`${server.baseUrl}/#${hash}`);
  await page.getByRole("heading", { level: 1, name: heading }).waitFor();
};

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  server = await startBinary(dir);
  ui = await openDashboard(server.baseUrl);
  page = ui.page;
}, 120_000);

afterAll(async () => {
  await ui?.browser.close();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** From the first element of the page (the skip link), Tab through and list what receives focus, with whether a focus ring is drawn. */
async function tabOrder(p: Page, presses: number): Promise<{ name: string; ring: boolean }[]> {
  const seen: { name: string; ring: boolean }[] = [];
  await p.locator("a.skip").focus();
  for (let i = 0; i < presses; i++) {
    if (i > 0) await p.keyboard.press("Tab");
    seen.push(
      await p.evaluate(() => {
        const el = document.activeElement as El;
        const label = (el as El).labels?.[0]?.textContent ?? el.getAttribute("aria-label") ?? el.textContent ?? "";
        const cs = getComputedStyle(el);
        return { name: `${el.tagName.toLowerCase()}:${label.trim().replace(/\s+/g, " ")}`, ring: cs.outlineStyle !== "none" && parseFloat(cs.outlineWidth) >= 2 };
      }),
    );
  }
  return seen;
}

/** Inputs, selects and textareas without a label or aria-label. */
const unlabelled = (p: Page) =>
  p.$$eval("input, select, textarea", (els) =>
    els.filter((e) => (e as El).type !== "hidden" && !(e as El).labels?.length && !e.getAttribute("aria-label") && !(e as El).closest("[hidden]")).map((e) => e.outerHTML.slice(0, 120)),
  );

describe("dashboard in headless Chromium against the binary", () => {
  test("first run: the server has no user, / offers to create the first admin, which signs in", async () => {
    await page.goto(`${server.baseUrl}/`);
    await page.getByRole("heading", { name: "Create the first admin" }).waitFor();
    expect(await unlabelled(page)).toEqual([]);
    expect(await axeViolations(page)).toEqual([]); // the one view dashboard-a11y.test.ts cannot reach
    await shot("setup-1280-light");
    await page.getByLabel("Name").fill("Olivia Owner");
    await page.getByLabel("Email").fill(EMAIL);
    await page.getByLabel(/^Password/).fill(PASSWORD);
    await page.getByRole("button", { name: "Create admin and sign in" }).click();
    await page.getByRole("heading", { name: "Upload documents" }).waitFor();
    expect(await page.textContent("#who")).toContain(EMAIL);
    // The first-run route is closed now.
    expect(((await (await fetch(`${server.baseUrl}/api/v1/dashboard/setup`)).json()) as { needs_setup: boolean }).needs_setup).toBe(false);
  }, 30_000);

  test("sign out, then sign in with the keyboard alone; Tab reaches every control with a visible focus ring", async () => {
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { name: "Sign in to LeapOCR" }).waitFor();
    expect(await unlabelled(page)).toEqual([]);
    expect(await axeViolations(page)).toEqual([]);
    await shot("login-1280-light");
    const order = await tabOrder(page, 4);
    expect(order.map((o) => o.name)).toEqual(["a:Skip to content", "input:Email", "input:Password", "button:Sign in"]);
    expect(order.slice(1).filter((o) => !o.ring)).toEqual([]); // the first was focused by the script, the rest by Tab
    await page.getByLabel("Email").focus();
    await page.keyboard.type(EMAIL);
    await page.keyboard.press("Tab");
    await page.keyboard.type("wrong password here");
    await page.keyboard.press("Enter");
    await page.getByRole("alert").filter({ hasText: "The email or the password is wrong." }).waitFor();
    await page.getByLabel("Password").fill(PASSWORD);
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { level: 1, name: "Jobs" }).waitFor();
  }, 30_000);

  test("the main navigation is reachable by keyboard, in order, with a focus ring", async () => {
    const order = await tabOrder(page, 15);
    const names = order.map((o) => o.name);
    const nav = ["Upload", "Jobs", "Templates", "API keys", "Members", "Retention", "Webhooks", "Usage", "Audit log", "Data flow", "Invitations"];
    const start = names.indexOf("a:Upload");
    expect(start).toBeGreaterThan(0);
    expect(names.slice(start, start + nav.length)).toEqual(nav.map((n) => `a:${n}`));
    // The team menu is skipped while there is only one team to pick (it is disabled).
    expect(names[start + nav.length]).toBe("button:Sign out");
    expect(names[start + nav.length + 1]).toBe("button:Help");
    expect(order.slice(1).filter((o) => !o.ring)).toEqual([]); // the first was focused by the script, the rest by Tab
    // Help opens with the keyboard; without LEAPOCR_SUPPORT_URL it offers no support link.
    await page.keyboard.press("Enter");
    const help = page.getByRole("region", { name: "Help" });
    await help.getByRole("link", { name: "API documentation" }).waitFor();
    expect(await help.getByRole("link", { name: "Contact support" }).count()).toBe(0);
    await page.keyboard.press("Escape");
    // Enter on a focused link navigates.
    await page.locator('nav a[href="#/team/usage"]').focus();
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { level: 1, name: "Credits and usage" }).waitFor();
  }, 30_000);

  test("uploading a PDF: the upload bar and then the page bar reach 100 % live, without polling", async () => {
    await go("/upload", /Upload documents/);
    expect(await unlabelled(page)).toEqual([]);
    const pdf = await digitalPdf(SAMPLE_PAGES);
    const apiCalls: string[] = [];
    page.on("request", (r) => r.url().includes("/api/") && apiCalls.push(`${r.method()} ${new URL(r.url()).pathname}`));
    await page.setInputFiles("#file-input", { name: "quarterly-report.pdf", mimeType: "application/pdf", buffer: Buffer.from(pdf) });
    await page.getByRole("button", { name: "Upload" }).click();
    const upload = page.getByRole("progressbar", { name: "Upload of quarterly-report.pdf" });
    const pages = page.getByRole("progressbar", { name: "Pages of quarterly-report.pdf" });
    await page.waitForFunction(() => (document.querySelector('progress[aria-label^="Upload of"]') as El)?.value === 100, null, { timeout: 30_000 });
    await page.waitForFunction(() => (document.querySelector("progress.pages") as El)?.value === 100, null, { timeout: 60_000 });
    expect(await upload.evaluate((e) => (e as El).value)).toBe(100);
    expect(await pages.evaluate((e) => (e as El).value)).toBe(100);
    await page.getByText("2 of 2 page(s) · 100 %").waitFor();
    await shot("upload-1280-light");
    // Progress came from the event stream: a handful of requests in all, none repeated in a loop.
    const statusReads = apiCalls.filter((c) => /^GET .*\/jobs\/[0-9a-f-]{36}$/.test(c));
    expect(statusReads.length).toBeLessThanOrEqual(1);
    expect(apiCalls.length).toBeLessThan(12);
    const link = page.getByRole("link", { name: "Open the job" });
    jobId = (await link.getAttribute("href"))!.split("/").pop()!;
    expect(jobId).toMatch(/^[0-9a-f-]{36}$/);
  }, 90_000);

  test("the jobs list shows the job with its status, pages and credits; search filters it", async () => {
    await go("/jobs", /^Jobs$/);
    const row = page.locator(`tr[data-job="${jobId}"]`);
    await row.waitFor();
    expect(await row.innerText()).toMatch(/quarterly-report\.pdf\s+completed\s+2\/2\s+2/);
    await page.getByLabel("Search").fill("no-such-file");
    await page.getByText("0 job(s)").waitFor();
    await page.getByLabel("Search").fill("quarterly");
    await row.waitFor();
    await shot("jobs-1280-light");
  }, 30_000);

  test("the job view shows each page image beside its text, with boxes linked to the text on hover", async () => {
    await go(`/jobs/${jobId}`, /quarterly-report\.pdf/);
    const first = page.locator('section.page[data-page="1"]');
    const img = first.locator("img");
    await page.waitForFunction(() => {
      const i = document.querySelector('section.page[data-page="1"] img') as El;
      return i && i.complete && i.naturalWidth > 0;
    });
    expect(await img.evaluate((i) => (i as El).naturalWidth)).toBe(850); // US Letter at 100 DPI
    await expect(first.locator(".markdown").getByRole("heading", { name: "Quarterly Report" }).isVisible()).resolves.toBe(true);
    await expect(first.locator(".markdown").getByText("Revenue grew steadily across all regions").isVisible()).resolves.toBe(true);
    const boxes = first.locator(".bbox");
    expect(await boxes.count()).toBe(2);
    // The heading's box sits near the top-left of the page, scaled to the displayed image.
    const [ib, bb] = [await img.boundingBox(), await boxes.first().boundingBox()];
    expect(bb!.x - ib!.x).toBeCloseTo((300 / 2550) * ib!.width, 0);
    expect(bb!.y - ib!.y).toBeCloseTo((220 / 3300) * ib!.height, 0);
    await boxes.first().hover();
    expect(await first.locator('[data-box="0"].hot').count()).toBe(2);
    await first.locator(".markdown").getByText("Revenue grew steadily").hover();
    expect(await boxes.nth(1).evaluate((e) => e.classList.contains("hot"))).toBe(true);
    await shot("job-1280-light");
    for (const scheme of ["light", "dark"] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.setViewportSize({ width: 390, height: 844 });
      await shot(`job-390-${scheme}`);
    }
    await page.emulateMedia({ colorScheme: "light" });
    await page.setViewportSize({ width: 1280, height: 900 });
    await first.getByRole("button", { name: "Markdown source" }).click();
    expect(await first.locator("pre").innerText()).toContain("# Quarterly Report");
  }, 30_000);

  test("creating an API key shows its secret once, and the key works", async () => {
    await go("/team/keys", /API keys/);
    await page.getByLabel("Name").fill("ci key");
    await page.getByRole("button", { name: "Create key" }).click();
    const secret = (await page.locator("#new-secret").innerText()).trim();
    expect(secret).toMatch(/^lo_/);
    // The MCP endpoint and a ready agent configuration carrying the new key.
    expect((await page.locator("#mcp-url").innerText()).trim()).toBe(`${server.baseUrl}/api/v1/mcp`);
    expect(JSON.parse(await page.locator("#mcp-config").innerText())).toEqual({ servers: { leapocr: { type: "http", url: `${server.baseUrl}/api/v1/mcp`, headers: { Authorization: `Bearer ${secret}` } } } });
    await shot("keys-1280-light");
    const res = await fetch(`${server.baseUrl}/api/v1/ocr/models`, { headers: { "x-api-key": secret } });
    expect(res.status).toBe(200);
    await page.reload();
    await page.getByRole("cell", { name: "ci key", exact: true }).waitFor();
    expect(await page.content()).not.toContain(secret);
  }, 30_000);

  test("retention: the sentence follows the form, and saving changes the team's settings", async () => {
    await go("/team/retention", /Retention/);
    const sentence = page.locator("#retention-sentence");
    await page.getByLabel(/Keep documents for/).fill("3");
    expect(await sentence.innerText()).toBe("Uploaded files, page images and results are deleted 3 days after processing ends.");
    await page.getByLabel("Delete documents automatically").uncheck();
    expect(await sentence.innerText()).toContain("kept until someone deletes them");
    await page.getByLabel("Delete documents automatically").check();
    await page.getByRole("button", { name: "Save retention" }).click();
    await page.getByText("Saved. Uploaded files, page images and results are deleted 3 day(s) after processing ends.").waitFor();
    await shot("retention-1280-light");
  }, 30_000);

  test("deleting the job asks for confirmation, then removes it", async () => {
    await go(`/jobs/${jobId}`, /quarterly-report\.pdf/);
    await page.getByRole("button", { name: "Delete job" }).click();
    const dialog = page.getByRole("dialog", { name: "Delete this job?" });
    await dialog.waitFor();
    await shot("job-delete-confirm-1280-light");
    await dialog.getByRole("button", { name: "Cancel" }).click();
    expect(await dialog.count()).toBe(0);
    await page.getByRole("button", { name: "Delete job" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Delete" }).click();
    await page.getByRole("heading", { level: 1, name: "Jobs" }).waitFor();
    await page.getByText("0 job(s)").waitFor();
    // With the page's own session (outside the page, so the expected 404 is not a console error).
    const me = (await (await ui.context.request.get(`${server.baseUrl}/api/v1/auth/verify`)).json()) as { teams: { id: string; organization_id: string }[] };
    const team = me.teams[0]!;
    const jobUrl = `${server.baseUrl}/api/v1/organizations/${team.organization_id}/teams/${team.id}/jobs/${jobId}`;
    expect((await (await ui.context.request.get(jobUrl)).json()).is_deleted).toBe(true); // the record stays, marked deleted
    expect((await ui.context.request.get(`${jobUrl}/result`)).status()).toBe(404); // its results are gone
    expect((await ui.context.request.get(`${jobUrl}/pages/1/image`)).status()).toBe(404); // and so is its file
  }, 30_000);

  test("every main page at 1280 px and at phone width, light and dark: labelled controls, no horizontal overflow", async () => {
    const pages: [string, RegExp, string][] = [
      ["/upload", /Upload documents/, "upload"], ["/jobs", /^Jobs$/, "jobs"], ["/templates", /Templates/, "templates"],
      ["/templates/new", /New template/, "template-new"], ["/team/keys", /API keys/, "keys"], ["/team/members", /Members/, "members"],
      ["/team/retention", /Retention/, "retention"], ["/team/webhooks", /Webhooks/, "webhooks"], ["/team/usage", /Credits and usage/, "usage"],
      ["/team/audit", /Audit log/, "audit"], ["/team/data-flow", /Data flow/, "data-flow"],
    ];
    const problems: string[] = [];
    for (const [scheme, width] of [["light", 390], ["dark", 390], ["dark", 1280]] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.setViewportSize({ width, height: width === 390 ? 844 : 900 });
      for (const [hash, heading, name] of pages) {
        await go(hash, heading);
        const missing = await unlabelled(page);
        if (missing.length) problems.push(`${hash}: unlabelled ${missing.join(", ")}`);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        if (overflow > 1) problems.push(`${hash} at ${width}px overflows by ${overflow}px`);
        await shot(`${name}-${width}-${scheme}`);
      }
    }
    await page.emulateMedia({ colorScheme: "light" });
    await page.setViewportSize({ width: 1280, height: 900 });
    expect(problems).toEqual([]);
  }, 90_000);

  test("the data-flow page says nothing leaves the server with the offline engine alone", async () => {
    await go("/team/data-flow", /Data flow/);
    await page.getByText("No document data leaves this server.").waitFor();
  });

  test("the pages made no request to any host but the server's own, and logged no script errors", () => {
    expect(ui.foreign).toEqual([]);
    // 401s of the signed-out state are expected; anything else is a bug.
    expect(ui.consoleErrors.filter((e) => !/401 \(Unauthorized\)/.test(e)).join("\n")).toBe("");
  });
});

describe("no tracking code without analytics settings", () => {
  test("no served dashboard file mentions PostHog or Google Analytics, and /analytics.js does not exist", async () => {
    const publicDir = join(root, "public");
    const walk = (d: string): string[] => readdirSync(d).flatMap((n) => (statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : [join(d, n)]));
    const paths = ["/", ...walk(publicDir).map((f) => `/${relative(publicDir, f)}`)];
    for (const p of paths) {
      const res = await fetch(`${server.baseUrl}${p}`);
      expect({ p, status: res.status }).toEqual({ p, status: 200 });
      const text = await res.text();
      expect({ p, hit: /posthog|gtag|googletagmanager|google-analytics/i.test(text) }).toEqual({ p, hit: false });
      const csp = res.headers.get("content-security-policy") ?? "";
      expect(csp).not.toMatch(/https?:/);
    }
    expect((await fetch(`${server.baseUrl}/analytics.js`)).status).toBe(404);
  });
});
