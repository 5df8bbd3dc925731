/**
 * Issue 18, the jobs side of the dashboard as a daily tool, in a real browser (Debian's
 * Chromium, headless, through playwright-core) against the compiled binary, at 1280 and 390 px:
 * - point 1: a failed upload says "Failed" and why, instead of a full progress bar; the jobs
 *   list shows each failed job's reason in its row;
 * - point 4: after "Upload" the progress is on screen, not below the fold;
 * - point 7: at 390 px the jobs, keys and other tables do not scroll sideways: each row is a
 *   card whose cells (Revoke, expiry, status, actions) are all on screen;
 * - point 9 / scope 3: row actions (open, download, retry failed pages, delete with
 *   confirmation) and multi-select delete, driven with the keyboard.
 * A loopback model route (OpenAI wire format) fails page 2 of a TIFF while `page2Down` is set,
 * so a job with a failed page and a real retry exist. Screenshots go to test-output/screenshots/.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Locator, Page } from "playwright-core";
import { startBinary, type ServerProcess } from "../helpers/process";
import { openDashboard, signIn, type DashboardBrowser } from "../helpers/browser";
import { TEST_API_KEY } from "../helpers/app";
import { SdkClient } from "../helpers/sdk-client";
import { axeViolations } from "../helpers/axe";
import { digitalPdf, multiPageTiff, SAMPLE_PAGES } from "../helpers/fixtures";
import { greyPages, pageOfImage, smartHandler, startMockModel, stepOf, writeModelConfig, type MockModel } from "../helpers/mock-models";

// Callbacks passed to page.evaluate run in the browser; the project's tsconfig has no DOM types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type El = any;
declare const document: El;
declare const innerHeight: number;
declare const innerWidth: number;
declare function getComputedStyle(e: El): { outlineStyle: string; outlineWidth: string };

const root = join(import.meta.dir, "../..");
const shots = join(root, "test-output/screenshots");
const dir = mkdtempSync(join(tmpdir(), "leapocr-dashboard-jobs-"));
const OWNER = { email: "owner@example.com", password: "a long enough passphrase" };
const BROKEN = new TextEncoder().encode("%PDF-1.7\nthis is not really a pdf\n%%EOF\n");
const LONG_NAME = `${"scanned_supplier_invoice_2026-11_".repeat(4)}final.pdf`;
/** The server's reason for BROKEN, read in the first test. */
let BROKEN_REASON = "";

let page2Down = true;
let model: MockModel;
let server: ServerProcess;
let client: SdkClient;
/** The owner's browser; `page` is its page. */
let ui: DashboardBrowser;
let page: Page;
let team: { id: string; organization_id: string };
const ids: Record<string, string> = {};

const teamApi = (path: string, init: RequestInit = {}) =>
  fetch(`${server.baseUrl}/api/v1/organizations/${team.organization_id}/teams/${team.id}${path}`, { ...init, headers: { "x-api-key": TEST_API_KEY, ...init.headers } });
const shot = (name: string) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
const go = async (hash: string, heading: RegExp) => {
  await page.goto(`${server.baseUrl}/#${hash}`);
  await page.getByRole("heading", { level: 1, name: heading }).waitFor();
};
const size = (width: 1280 | 390) => page.setViewportSize({ width, height: width === 390 ? 844 : 900 });
const row = (name: string) => page.locator("tr[data-job]").filter({ has: page.getByRole("link", { name, exact: true }) });

/** Whether the element is entirely inside the viewport (no scrolling needed to see it). */
const onScreen = (l: Locator) =>
  l.evaluate((e) => {
    const r = (e as El).getBoundingClientRect();
    // Layout is in fractions of a pixel, scrolling in whole ones: a quarter pixel over is still on screen.
    return r.width > 0 && r.height > 0 && r.top >= -0.5 && r.left >= -0.5 && r.bottom <= innerHeight + 0.5 && r.right <= innerWidth + 0.5;
  });
/** Whether the element lies within the viewport's width (it may be further down the page). */
const withinWidth = (l: Locator) =>
  l.evaluate((e) => {
    const r = (e as El).getBoundingClientRect();
    return r.width > 0 && r.left >= 0 && r.right <= innerWidth;
  });
/** Every table box that scrolls sideways, by how much. */
const sidewaysTables = () =>
  page.$$eval(".table-wrap", (els) => els.map((e) => (e as El).scrollWidth - (e as El).clientWidth).filter((d) => d > 1));

async function job(name: string): Promise<any> {
  return (await (await teamApi(`/jobs/${ids[name]}`)).json()) as any;
}
async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(100);
  }
}

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  model = await startMockModel("openai", async (call) => {
    // Refused (4xx: no retry, no backoff) for page 2 while the test says the route is down.
    if (page2Down && stepOf(call) === "ocr" && call.image && (await pageOfImage(call.image.bytes)) === 2) return { status: 400, body: { error: { message: "page 2 refused by the model route" } } };
    return smartHandler()(call);
  });
  const config = await writeModelConfig(dir, {
    routes: { flaky: { provider: "openai", base_url: model.baseUrl, model: "flaky-vl", max_concurrency: 2, timeout_seconds: 10 } },
    models: [{ name: "flaky", credits_per_page: 1, steps: { ocr: ["flaky"] } }],
  });
  server = await startBinary(dir, { env: { LEAPOCR_ADMIN_EMAIL: OWNER.email, LEAPOCR_ADMIN_PASSWORD: OWNER.password, LEAPOCR_CONFIG: config } });
  client = new SdkClient(server.baseUrl, TEST_API_KEY);
  team = await client.team();
  const pdf = await digitalPdf(SAMPLE_PAGES);
  // Oldest first: the list shows the newest at the top.
  // A long name without spaces must wrap in its cell, not push the table sideways.
  ids[LONG_NAME] = await client.upload(pdf, LONG_NAME);
  ids["extra-one.pdf"] = await client.upload(pdf, "extra-one.pdf");
  ids["extra-two.pdf"] = await client.upload(pdf, "extra-two.pdf");
  ids["quarterly-report.pdf"] = await client.upload(pdf, "quarterly-report.pdf");
  ids["broken.pdf"] = await client.upload(BROKEN, "broken.pdf");
  ids["two-pages.tiff"] = await client.upload(await multiPageTiff(await greyPages(2)), "two-pages.tiff", { contentType: "image/tiff", model: "flaky" });
  for (const id of Object.values(ids)) await client.waitForJob(id);
  ui = await openDashboard(server.baseUrl, { timeoutMs: 15_000 });
  page = ui.page;
  await signIn(page, server.baseUrl, OWNER);
}, 180_000);

afterAll(async () => {
  await ui?.browser.close();
  await server?.stop();
  await model?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("dashboard jobs in headless Chromium against the binary (issue 18)", () => {
  test("the fixtures are what the tests below rely on", async () => {
    const broken = await job("broken.pdf");
    expect(broken.status).toBe("failed");
    expect(broken.error_message).toStartWith("The PDF could not be read");
    BROKEN_REASON = broken.error_message;
    const tiff = await job("two-pages.tiff");
    expect(tiff).toMatchObject({ status: "completed", failed_pages: 1 });
    expect(tiff.error_message).toContain("Page 2 failed");
  });

  for (const width of [1280, 390] as const) {
    test(`upload at ${width} px: the progress comes into view at once, and a failed file says "Failed" and why instead of a full bar`, async () => {
      await size(width);
      await go("/upload", /Upload documents/);
      const name = `damaged-${width}.pdf`;
      await page.setInputFiles("#file-input", { name, mimeType: "application/pdf", buffer: Buffer.from(BROKEN) });
      // As a user who scrolled down just far enough to see the button (at 1280 px it is in view already).
      const upload = page.getByRole("button", { name: "Upload", exact: true });
      await upload.evaluate((b) => {
        const below = (b as El).getBoundingClientRect().bottom + 8 - innerHeight;
        if (below > 0) (b as El).ownerDocument.defaultView.scrollBy(0, below);
      });
      expect(await onScreen(upload)).toBe(true);
      await upload.click();
      const item = page.locator("li.upload").filter({ hasText: name });
      await item.waitFor();
      // Point 4: the new upload's progress is visible without scrolling.
      expect(await onScreen(item.locator("strong").first())).toBe(true);
      expect(await onScreen(page.getByRole("progressbar", { name: `Upload of ${name}` }))).toBe(true);
      // Point 1: the job fails; its card says so in words, with the reason, and no bar claims it is complete.
      await page.locator('li.upload[data-done="failed"]').filter({ hasText: name }).waitFor({ timeout: 60_000 });
      expect(await onScreen(item)).toBe(true); // the whole card, reason included, still without scrolling
      const alert = item.getByRole("alert");
      expect(await alert.innerText()).toBe(`Failed: ${BROKEN_REASON} Open the job`);
      expect(await alert.isVisible()).toBe(true);
      expect(await page.getByRole("progressbar", { name: `Pages of ${name}` }).isVisible()).toBe(false);
      expect(await item.locator(".progress-label").nth(1).innerText()).toMatch(/Pages\s+failed/);
      expect(await axeViolations(page)).toEqual([]);
      await shot(`upload-failed-${width}-light`);
    }, 90_000);
  }

  test("upload: a file with a failed page says how many pages failed and why, beside the link to the job", async () => {
    await size(1280);
    await go("/upload", /Upload documents/);
    const name = "scan-with-bad-page.tiff";
    await page.setInputFiles("#file-input", { name, mimeType: "image/tiff", buffer: Buffer.from(await multiPageTiff(await greyPages(2))) });
    await page.getByLabel("Model").selectOption("flaky");
    await page.getByRole("button", { name: "Upload", exact: true }).click();
    const item = page.locator('li.upload[data-done="partial"]').filter({ hasText: name });
    await item.waitFor({ timeout: 60_000 });
    const status = item.getByRole("status");
    expect(await status.innerText()).toMatch(/^1 of 2 page\(s\) could not be read\. Page 2 failed: .*page 2 refused by the model route.* Open the job$/);
    expect(await onScreen(item)).toBe(true);
    expect(await axeViolations(page)).toEqual([]);
  }, 90_000);

  for (const width of [1280, 390] as const) {
    test(`jobs list at ${width} px: each failed job's reason in its row, every cell and action on screen, no sideways scrolling`, async () => {
      await size(width);
      await go("/jobs", /^Jobs$/);
      await row("two-pages.tiff").waitFor();
      expect(await row("broken.pdf").locator(".reason").innerText()).toBe(BROKEN_REASON);
      expect(await row("two-pages.tiff").locator(".reason").innerText()).toContain("Page 2 failed: ");
      expect(await row("two-pages.tiff").innerText()).toContain("2/2 (1 failed)");
      expect(await row("quarterly-report.pdf").locator(".reason").count()).toBe(0);
      expect(await sidewaysTables()).toEqual([]);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow).toBeLessThanOrEqual(1);
      for (const [name, controls] of [
        ["quarterly-report.pdf", ["Open", "Download", "Delete"]],
        [LONG_NAME, ["Open", "Download", "Delete"]],
        ["broken.pdf", ["Open", "Retry", "Delete"]],
        ["two-pages.tiff", ["Open", "Download", "Retry failed pages", "Delete"]],
      ] as const) {
        const r = row(name);
        await r.scrollIntoViewIfNeeded();
        expect(await withinWidth(r.getByRole("link", { name, exact: true }))).toBe(true);
        expect(await withinWidth(r.locator(".badge"))).toBe(true);
        expect(await r.locator(".row-actions").getByRole("link").allInnerTexts()).toEqual(["Open"]);
        expect(await r.locator(".row-actions").getByRole("button").allInnerTexts()).toEqual(controls.slice(1));
        for (const c of await r.locator(".row-actions > *").all()) expect(await withinWidth(c)).toBe(true);
        expect(await withinWidth(r.getByRole("checkbox", { name: `Select ${name}` }))).toBe(true);
      }
      expect(await axeViolations(page)).toEqual([]);
      await shot(`jobs-actions-${width}-light`);
      await page.emulateMedia({ colorScheme: "dark" });
      expect(await axeViolations(page)).toEqual([]);
      await shot(`jobs-actions-${width}-dark`);
      await page.emulateMedia({ colorScheme: "light" });
    }, 60_000);
  }

  test("row actions: Open goes to the job, Download saves its markdown", async () => {
    await size(1280);
    await go("/jobs", /^Jobs$/);
    const r = row("quarterly-report.pdf");
    const [download] = await Promise.all([page.waitForEvent("download"), r.getByRole("button", { name: "Download quarterly-report.pdf" }).click()]);
    expect(download.suggestedFilename()).toBe("quarterly-report.md");
    const text = readFileSync((await download.path())!, "utf8");
    expect(text).toContain("# Quarterly Report");
    expect(text).toContain("Revenue grew steadily across all regions");
    await r.getByRole("link", { name: "Open quarterly-report.pdf" }).click();
    await page.getByRole("heading", { level: 1, name: "quarterly-report.pdf" }).waitFor();
    expect(page.url()).toEndWith(`#/jobs/${ids["quarterly-report.pdf"]}`);
  }, 30_000);

  test("Retry failed pages reads page 2 again: the row turns complete and its reason goes", async () => {
    page2Down = false;
    await go("/jobs", /^Jobs$/);
    const r = row("two-pages.tiff");
    await r.getByRole("button", { name: "Retry failed pages of two-pages.tiff" }).click();
    await page.locator("#toast").filter({ hasText: "1 page(s) queued again." }).waitFor();
    // The row follows the job over the event stream, without a reload.
    await until("retried job done", async () => (await job("two-pages.tiff")).stage === "done" && (await job("two-pages.tiff")).failed_pages === 0);
    // The row follows over the event stream (its poll may trail the API by a tick).
    await until("the row shows the finished job", async () => {
      const text = await r.innerText();
      return /\tcompleted\t2\/2\t/.test(text) && !text.includes("failed");
    }, 15_000);
    expect(await r.locator(".reason").count()).toBe(0);
    expect(await r.getByRole("button", { name: /Retry/ }).count()).toBe(0);
  }, 60_000);

  test("Delete asks first: Cancel keeps the job, Delete removes it", async () => {
    await go("/jobs", /^Jobs$/);
    const r = row("broken.pdf");
    await r.getByRole("button", { name: "Delete broken.pdf" }).click();
    const dialog = page.getByRole("dialog", { name: "Delete this job?" });
    await dialog.waitFor();
    expect(await dialog.innerText()).toContain('"broken.pdf"');
    await dialog.getByRole("button", { name: "Cancel" }).click();
    expect(await dialog.count()).toBe(0);
    expect((await job("broken.pdf")).is_deleted).toBe(false);
    await r.getByRole("button", { name: "Delete broken.pdf" }).click();
    await dialog.getByRole("button", { name: "Delete" }).click();
    await r.waitFor({ state: "detached" });
    expect((await job("broken.pdf")).is_deleted).toBe(true);
  }, 30_000);

  test("multi-select delete with the keyboard alone: Space selects, Enter deletes after the confirmation", async () => {
    await go("/jobs", /^Jobs$/);
    const bulk = page.getByRole("button", { name: /Delete .*selected/ });
    expect(await bulk.isDisabled()).toBe(true);
    // Tab from a row's checkbox walks through that row's controls, each with a focus ring.
    await page.getByRole("checkbox", { name: "Select extra-one.pdf" }).focus();
    const walked: { name: string; ring: boolean }[] = [];
    for (let i = 0; i < 4; i++) {
      await page.keyboard.press("Tab");
      walked.push(
        await page.evaluate(() => {
          const el = document.activeElement as El;
          const cs = getComputedStyle(el);
          return { name: `${el.tagName.toLowerCase()}:${el.getAttribute("aria-label") ?? el.textContent.trim()}`, ring: cs.outlineStyle !== "none" && parseFloat(cs.outlineWidth) >= 2 };
        }),
      );
    }
    expect(walked.map((w) => w.name)).toEqual(["a:extra-one.pdf", "a:Open extra-one.pdf", "button:Download extra-one.pdf", "button:Delete extra-one.pdf"]);
    expect(walked.filter((w) => !w.ring)).toEqual([]);
    for (const name of ["extra-one.pdf", "extra-two.pdf"]) {
      await page.getByRole("checkbox", { name: `Select ${name}` }).focus();
      await page.keyboard.press("Space");
    }
    await page.getByText("2 selected", { exact: true }).waitFor();
    expect(await page.getByRole("checkbox", { name: "Select all shown" }).evaluate((e) => (e as El).indeterminate)).toBe(true);
    await page.getByRole("button", { name: "Delete 2 selected" }).focus();
    await page.keyboard.press("Enter");
    const dialog = page.getByRole("dialog", { name: "Delete 2 job(s)?" });
    await dialog.waitFor();
    expect(await dialog.innerText()).toContain('"extra-one.pdf", "extra-two.pdf"');
    await shot("jobs-bulk-delete-confirm-1280-light");
    expect(await axeViolations(page)).toEqual([]);
    await page.getByRole("button", { name: "Cancel" }).focus();
    // Cancel has the focus (the safe choice); Shift+Tab reaches Delete.
    await page.keyboard.press("Shift+Tab");
    await page.keyboard.press("Enter");
    await row("extra-two.pdf").waitFor({ state: "detached" });
    await row("extra-one.pdf").waitFor({ state: "detached" });
    expect((await job("extra-one.pdf")).is_deleted).toBe(true);
    expect((await job("extra-two.pdf")).is_deleted).toBe(true);
    expect((await job("quarterly-report.pdf")).is_deleted).toBe(false);
    expect(await bulk.isDisabled()).toBe(true);
  }, 30_000);

  test("keys page at 390 px: each key is a card with its expiry and Revoke on screen", async () => {
    await size(1280);
    await go("/team/keys", /API keys/);
    await page.getByLabel("Name").fill("phone key");
    await page.getByLabel(/Expires after/).fill("30");
    await page.getByRole("button", { name: "Create key" }).click();
    await page.locator("#new-secret").waitFor();
    await size(390);
    // Right after creation (secret and agent configuration shown) the page fits the phone too.
    const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(await overflow()).toBeLessThanOrEqual(1);
    await page.reload();
    await page.getByRole("heading", { level: 1, name: "API keys" }).waitFor();
    expect(await overflow()).toBeLessThanOrEqual(1);
    const r = page.locator("tbody tr").filter({ hasText: "phone key" });
    await r.waitFor();
    expect(await sidewaysTables()).toEqual([]);
    const revoke = r.getByRole("button", { name: "Revoke phone key" });
    await revoke.scrollIntoViewIfNeeded();
    expect(await onScreen(revoke)).toBe(true);
    const expires = r.locator('td[data-label="Expires"]');
    expect(await expires.innerText()).not.toBe("—");
    expect(await withinWidth(expires)).toBe(true);
    expect(await axeViolations(page)).toEqual([]);
    await shot("keys-cards-390-light");
  }, 30_000);

  test("every other table at 390 px becomes cards: nothing scrolls sideways", async () => {
    await size(390);
    const problems: string[] = [];
    for (const [hash, heading] of [["/team/members", /Members/], ["/templates", /Templates/], ["/team/webhooks", /Webhooks/], ["/team/audit", /Audit log/], ["/team/data-flow", /Data flow/]] as const) {
      await go(hash, heading);
      const sideways = await sidewaysTables();
      if (sideways.length) problems.push(`${hash}: ${sideways.join(", ")} px sideways`);
      for (const v of await axeViolations(page)) problems.push(`${hash}: ${v}`);
    }
    await size(1280);
    expect(problems).toEqual([]);
  }, 60_000);

  test("the pages made no request to any host but the server's own, and logged no script errors", () => {
    expect(ui.foreign).toEqual([]);
    expect(ui.consoleErrors.filter((e) => !/401 \(Unauthorized\)/.test(e)).join("\n")).toBe("");
  });
});
