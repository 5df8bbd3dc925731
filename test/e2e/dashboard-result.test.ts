/**
 * The job page and the result view in headless Chromium against the compiled binary (issue 18,
 * points 1-3 and 10), at 1280 px and 390 px:
 * - a failed job says why (the job's reason, each failed page's reason), never blames retention
 *   when retention is off, and offers only what exists;
 * - structured JSON is offered only with models that can produce it, and models on the offline
 *   engine say so in the model picker with their credits;
 * - the result view: page image beside the text at a readable size, zoom, sticky while the text
 *   scrolls, page navigation (buttons, menu, arrow keys), copy and download per page and for the
 *   whole document, structured JSON pretty-printed and copyable, the boxes overlay toggled;
 * - no stray focus ring on the page title after navigation; the schema check's position once.
 * Server A has a loopback OpenAI-compatible model route ("Mock VLM", structured output) beside
 * the offline models; server B has the offline engine alone. axe-core: 0 serious or critical.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { startBinary, type ServerProcess } from "../helpers/process";
import { isolatedContext, openDashboard, type DashboardBrowser } from "../helpers/browser";
import { axeViolations } from "../helpers/axe";
import { greyPages, pageOfImage, pngSize, startMockModel, stepOf, writeModelConfig, type MockModel } from "../helpers/mock-models";
import { multiPageTiff } from "../helpers/fixtures";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type El = any;
declare const document: El;
declare const navigator: El;
declare function getComputedStyle(e: El): { outlineStyle: string; outlineWidth: string; position: string };

const root = join(import.meta.dir, "../..");
const shots = join(root, "test-output/screenshots");
const dir = mkdtempSync(join(tmpdir(), "leapocr-dash-result-"));
const PASSWORD = "a long enough passphrase";
const LONG = Array.from({ length: 40 }, (_, i) => `Paragraph ${i + 1} of the body text, long enough to make the text column scroll well past the page image.`).join("\n\n");
const REFUSED = "The provider refused this page (content policy, test)";

let model: MockModel;
let withRoute: ServerProcess; // offline models + Mock VLM
let offlineOnly: ServerProcess; // the offline engine alone
/** The owner's browser on withRoute; `page` is its page. */
let ui: DashboardBrowser;
let page: Page;

const shot = (p: Page, name: string) => p.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
const heading = (p: Page, name: RegExp | string) => p.getByRole("heading", { level: 1, name }).waitFor();
const go = async (p: Page, server: ServerProcess, hash: string, name: RegExp | string) => {
  await p.goto(`${server.baseUrl}/#${hash}`);
  await heading(p, name);
};

/** Scripted model: page k of a 240 px wide scan answers markdown and boxes; page 2 of those is refused. */
async function handler(call: Parameters<MockModel["handler"]>[0]) {
  const step = stepOf(call);
  if (step === "structured") return { text: JSON.stringify({ invoice_number: "INV-7", total: 42.5, lines: [{ item: "Paper", amount: 42.5 }] }) };
  const bytes = call.image!.bytes;
  const k = await pageOfImage(bytes);
  const size = pngSize(bytes)!;
  if (size.width === 240 && k === 2) return { status: 400, body: { error: { message: REFUSED, code: 400 } } };
  if (step === "ocr") return { text: `# Title ${k}\n\nBody text of page ${k}.${k === 1 ? `\n\n${LONG}` : ""}` };
  if (step === "boxes") return { text: JSON.stringify({ blocks: [{ type: "heading", text: `Title ${k}`, box: [100, 50, 900, 120] }, { type: "paragraph", text: `Body text of page ${k}.`, box: [100, 150, 900, 220] }] }) };
  return { status: 400, body: { error: { message: "unknown step" } } };
}

async function signUp(p: Page, server: ServerProcess, email: string) {
  await p.goto(`${server.baseUrl}/`);
  await p.getByRole("heading", { name: "Create the first admin" }).waitFor();
  await p.getByLabel("Name").fill("Olivia Owner");
  await p.getByLabel("Email").fill(email);
  await p.getByLabel(/^Password/).fill(PASSWORD);
  await p.getByRole("button", { name: "Create admin and sign in" }).click();
  await heading(p, "Upload documents");
}

/** Uploads through the form and answers the job id once it is done. */
async function uploadThroughForm(p: Page, server: ServerProcess, file: { name: string; mimeType: string; buffer: Buffer }, setup: (p: Page) => Promise<void>): Promise<string> {
  await go(p, server, "/upload", "Upload documents");
  await p.setInputFiles("#file-input", file);
  await setup(p);
  await p.getByRole("button", { name: "Upload" }).click();
  await p.waitForFunction((name) => [...document.querySelectorAll("li.upload")].some((li: El) => li.textContent.includes(name) && (li.dataset.done || li.querySelector(".notice"))), file.name, { timeout: 90_000 });
  const me = (await (await p.context().request.get(`${server.baseUrl}/api/v1/auth/verify`)).json()) as { teams: { id: string; organization_id: string }[] };
  const t = me.teams[0]!;
  const list = (await (await p.context().request.get(`${server.baseUrl}/api/v1/organizations/${t.organization_id}/teams/${t.id}/jobs?search=${encodeURIComponent(file.name)}`)).json()) as { data: { id: string }[] };
  return list.data[0]!.id;
}

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  model = await startMockModel("openai", handler);
  const config = await writeModelConfig(dir, {
    routes: { "mock-vlm": { provider: "openai", base_url: model.baseUrl, model: "mock-vl", timeout_seconds: 20, max_concurrency: 2 } },
    retry: { max_attempts: 1 },
    models: [{ name: "mock-vlm", display_name: "Mock VLM", credits_per_page: 2, steps: { ocr: ["mock-vlm"], bounding_boxes: ["mock-vlm"], structured: ["mock-vlm"] } }],
  });
  mkdirSync(join(dir, "a"));
  mkdirSync(join(dir, "b"));
  withRoute = await startBinary(dir, { args: ["--config", config], dataDir: "./a/data" });
  offlineOnly = await startBinary(dir, { dataDir: "./b/data" });
  ui = await openDashboard(withRoute.baseUrl);
  await ui.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: withRoute.baseUrl });
  page = ui.page;
  await signUp(page, withRoute, "owner@example.com");
}, 180_000);

afterAll(async () => {
  await ui?.browser.close();
  await withRoute?.stop();
  await offlineOnly?.stop();
  await model?.close();
  rmSync(dir, { recursive: true, force: true });
});

const clipboard = () => page.evaluate(() => navigator.clipboard.readText()) as Promise<string>;

describe("structured output and the model picker (point 2)", () => {
  test("with the offline engine alone: structured JSON is not offered in the upload or template form, and the picker says offline engine and credits", async () => {
    const { context: ctxB } = await isolatedContext(ui.browser, offlineOnly.baseUrl);
    const p = await ctxB.newPage();
    try {
      await signUp(p, offlineOnly, "solo@example.com");
      for (const width of [1280, 390]) {
        await p.setViewportSize({ width, height: width === 390 ? 844 : 900 });
        await go(p, offlineOnly, "/upload", "Upload documents");
        expect(await p.getByLabel(/Structured JSON/).isDisabled()).toBe(true);
        await p.getByText(/No model on this server can produce structured JSON/).waitFor();
        const options = await p.getByLabel("Model", { exact: true }).locator("option").allInnerTexts();
        expect(options).toContain("Pro v2 · offline engine · 3 credits/page");
        expect(options).toContain("Standard v2 · offline engine · 1 credit/page");
        await p.getByLabel("Model", { exact: true }).selectOption("pro-v2");
        expect(await p.locator("#model-note").innerText()).toBe(
          "Pro v2 runs on the embedded offline engine (markdown only) at 3 credits/page. Standard v2 (1 credit/page) and Offline engine (1 credit/page) run the same engine and read pages the same way.",
        );
        expect(await axeViolations(p)).toEqual([]);
        await shot(p, `upload-offline-only-${width}-light`);
        await go(p, offlineOnly, "/templates/new", "New template");
        const structured = p.getByLabel("Format").locator('option[value="structured"]');
        expect(await structured.isDisabled()).toBe(true);
        await p.getByText(/No model on this server can produce structured JSON/).waitFor();
        expect(await axeViolations(p)).toEqual([]);
      }
    } finally {
      await ctxB.close();
    }
  }, 60_000);

  test("with a model route that can: choosing structured JSON lists only the models that can produce it", async () => {
    await page.setViewportSize({ width: 1280, height: 900 });
    await go(page, withRoute, "/upload", "Upload documents");
    const picker = page.getByLabel("Model", { exact: true });
    expect(await picker.locator("option").allInnerTexts()).toEqual([
      "Standard v2 · offline engine · 1 credit/page", "Pro v2 · offline engine · 3 credits/page", "Offline engine · offline engine · 1 credit/page", "Mock VLM · 2 credits/page",
    ]);
    await page.getByLabel(/Structured JSON/).check();
    expect(await picker.locator("option").allInnerTexts()).toEqual(["Mock VLM · 2 credits/page"]);
    expect(await page.locator("#model-note").innerText()).toBe("Mock VLM costs 2 credits/page and can produce structured JSON.");
    await go(page, withRoute, "/templates/new", "New template");
    await page.getByLabel("Format").selectOption("structured");
    expect(await page.getByLabel("Model").locator("option").allInnerTexts()).toEqual(["Mock VLM · 2 credits/page"]);
  }, 30_000);
});

describe("a failed job explains itself (point 1)", () => {
  test("a refused upload: the real reason, no word of retention, no downloads of results that do not exist", async () => {
    const id = await uploadThroughForm(page, withRoute, { name: "not-a-pdf.pdf", mimeType: "application/pdf", buffer: Buffer.from("just some words, not a document") }, async () => {});
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: width === 390 ? 844 : 900 });
      await go(page, withRoute, `/jobs/${id}`, "not-a-pdf.pdf");
      const failure = page.locator("#job-failure");
      await failure.waitFor();
      expect(await failure.innerText()).toMatch(/^This job failed\.\s+The file looks like .*, which cannot be processed\./);
      expect(await page.locator("main").innerText()).not.toMatch(/retention/i);
      expect(await page.getByRole("button", { name: /Download|Copy/ }).count()).toBe(0);
      expect(await page.locator("section.page").count()).toBe(0);
      expect(await axeViolations(page)).toEqual([]);
      await shot(page, `job-failed-upload-${width}-light`);
    }
  }, 120_000);

  test("a job with a refused page: that page's reason on the job and on the page, downloads of the pages that were read only", async () => {
    const tiff = await multiPageTiff(await greyPages(3));
    const id = await uploadThroughForm(page, withRoute, { name: "partly-refused.tiff", mimeType: "image/tiff", buffer: Buffer.from(tiff) }, async (p) => {
      await p.getByLabel("Model", { exact: true }).selectOption("mock-vlm");
    });
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: width === 390 ? 844 : 900 });
      await go(page, withRoute, `/jobs/${id}`, "partly-refused.tiff");
      const failure = page.locator("#job-failure");
      expect(await failure.innerText()).toContain("1 of 3 page(s) could not be read");
      expect(await failure.innerText()).toContain(`Page 2: `);
      expect((await failure.innerText()).split(REFUSED)).toHaveLength(2); // said once
      expect(await page.locator("main").innerText()).not.toMatch(/retention/i);
      await page.getByRole("button", { name: "Download markdown (2 of 3 pages)" }).waitFor();
      await page.getByLabel("Page", { exact: true }).selectOption({ label: "Page 2 (failed)" });
      const p2 = page.locator('section.page[data-page="2"]');
      expect(await p2.isVisible()).toBe(true);
      expect(await p2.getByRole("alert").innerText()).toContain(REFUSED);
      expect(await p2.getByRole("button", { name: /Copy|Download/ }).count()).toBe(0);
      expect(await axeViolations(page)).toEqual([]);
      await shot(page, `job-failed-page-${width}-light`);
    }
    // The document's markdown holds the pages that were read, and nothing of the refused one.
    await page.setViewportSize({ width: 1280, height: 900 });
    const [dl] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download markdown (2 of 3 pages)" }).click()]);
    const text = readFileSync((await dl.path())!, "utf8");
    expect(text).toContain("# Title 1");
    expect(text).toContain("# Title 3");
    expect(text).not.toContain("Title 2");
  }, 150_000);
});

describe("the result view (point 3)", () => {
  let markdownJob = "";
  test("a 3-page document: page image beside the text at a readable size, sticky while the text scrolls, zoom, boxes toggle, hover linking", async () => {
    const tiff = await multiPageTiff(await greyPages(3, 300, 400));
    markdownJob = await uploadThroughForm(page, withRoute, { name: "three-pages.tiff", mimeType: "image/tiff", buffer: Buffer.from(tiff) }, async (p) => {
      await p.getByLabel("Model", { exact: true }).selectOption("mock-vlm");
    });
    await page.setViewportSize({ width: 1280, height: 900 });
    await go(page, withRoute, `/jobs/${markdownJob}`, "three-pages.tiff");
    expect(await page.locator("#job-failure").count()).toBe(0);
    expect(await page.locator("main").innerText()).not.toMatch(/\bnull\b|undefined/);
    const first = page.locator('section.page[data-page="1"]');
    const img = first.locator("img");
    await page.waitForFunction(() => {
      const i = document.querySelector('section.page[data-page="1"] img') as El;
      return i && i.complete && i.naturalWidth > 0;
    });
    // Readable: the image takes the larger share of the row (it was ~490 px of 1000).
    const w = (await img.boundingBox())!.width;
    expect(w).toBeGreaterThanOrEqual(570);
    // Sticky: after scrolling the long text, the image is still in view.
    await page.evaluate(() => document.scrollingElement.scrollTo(0, 1400));
    await page.waitForTimeout(100);
    const after = (await img.boundingBox())!;
    expect(after.y).toBeGreaterThanOrEqual(0);
    expect(after.y).toBeLessThan(100);
    await shot(page, "result-sticky-1280-light");
    await page.evaluate(() => document.scrollingElement.scrollTo(0, 0));
    // Hover linking between boxes and text is kept.
    const boxes = first.locator(".bbox");
    expect(await boxes.count()).toBe(2);
    await boxes.first().hover();
    expect(await first.locator('[data-box="0"].hot').count()).toBe(2);
    // Zoom: the image grows inside its frame, boxes stay on it.
    await page.getByRole("button", { name: "Zoom in" }).click();
    expect(await page.locator("#zoom-level").innerText()).toBe("150 %");
    expect((await img.boundingBox())!.width).toBeCloseTo(w * 1.5, -1);
    const [ib, bb] = [(await img.boundingBox())!, (await boxes.first().boundingBox())!];
    expect(bb.x - ib.x).toBeCloseTo(0.1 * ib.width, 0);
    await page.keyboard.press("-");
    expect(await page.locator("#zoom-level").innerText()).toBe("100 %");
    // The boxes overlay can be turned off and on.
    await page.getByLabel("Show boxes").uncheck();
    expect(await boxes.first().isVisible()).toBe(false);
    await page.getByLabel("Show boxes").check();
    expect(await boxes.first().isVisible()).toBe(true);
    expect(await axeViolations(page)).toEqual([]);
    await shot(page, "result-1280-light");
  }, 150_000);

  test("page navigation with buttons, the page menu and the arrow keys, at 1280 and 390 px", async () => {
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: width === 390 ? 844 : 900 });
      await go(page, withRoute, `/jobs/${markdownJob}`, "three-pages.tiff");
      const visible = () => page.$$eval("section.page", (els) => els.filter((e) => !(e as El).hidden).map((e) => (e as El).dataset.page));
      expect(await visible()).toEqual(["1"]);
      expect(await page.locator("#page-position").innerText()).toBe("Page 1 of 3");
      await page.getByRole("button", { name: "Next page" }).click();
      expect(await visible()).toEqual(["2"]);
      await page.locator("body").press("ArrowRight");
      expect(await visible()).toEqual(["3"]);
      expect(await page.getByRole("button", { name: "Next page" }).isDisabled()).toBe(true);
      await page.locator("body").press("ArrowLeft");
      expect(await visible()).toEqual(["2"]);
      expect(await page.locator("#page-position").innerText()).toBe("Page 2 of 3");
      await page.getByLabel("Page", { exact: true }).selectOption({ label: "Page 1" });
      expect(await visible()).toEqual(["1"]);
      await page.getByRole("button", { name: "Previous page" }).isDisabled();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow).toBeLessThanOrEqual(1);
      await shot(page, `result-${width}-light`);
    }
    // Dark scheme: the viewer's own colours keep their contrast.
    await page.emulateMedia({ colorScheme: "dark" });
    for (const width of [390, 1280]) {
      await page.setViewportSize({ width, height: width === 390 ? 844 : 900 });
      await go(page, withRoute, `/jobs/${markdownJob}`, "three-pages.tiff");
      expect(await axeViolations(page)).toEqual([]);
      await shot(page, `result-${width}-dark`);
    }
    await page.emulateMedia({ colorScheme: "light" });
    await page.setViewportSize({ width: 1280, height: 900 });
  }, 60_000);

  test("copy and download per page and for the whole document", async () => {
    await go(page, withRoute, `/jobs/${markdownJob}`, "three-pages.tiff");
    await page.getByRole("button", { name: "Next page" }).click();
    const p2 = page.locator('section.page[data-page="2"]');
    await p2.getByRole("button", { name: "Copy page" }).click();
    expect(await clipboard()).toBe("# Title 2\n\nBody text of page 2.");
    const [one] = await Promise.all([page.waitForEvent("download"), p2.getByRole("button", { name: "Download page" }).click()]);
    expect(one.suggestedFilename()).toBe("three-pages-page-2.md");
    expect(readFileSync((await one.path())!, "utf8")).toBe("# Title 2\n\nBody text of page 2.");
    await page.getByRole("button", { name: "Copy markdown" }).click();
    const all = await clipboard();
    for (const k of [1, 2, 3]) expect(all).toContain(`# Title ${k}`);
    const [doc] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download markdown" }).click()]);
    expect(doc.suggestedFilename()).toBe("three-pages.md");
    expect(readFileSync((await doc.path())!, "utf8")).toBe(all);
  }, 60_000);

  test("a structured job: the JSON pretty-printed and copyable, at 1280 and 390 px", async () => {
    const tiff = await multiPageTiff(await greyPages(2, 300, 400));
    const id = await uploadThroughForm(page, withRoute, { name: "invoice.tiff", mimeType: "image/tiff", buffer: Buffer.from(tiff) }, async (p) => {
      await p.getByLabel(/Structured JSON/).check();
      await p.getByLabel(/JSON Schema/).fill(JSON.stringify({ type: "object", properties: { invoice_number: { type: "string" }, total: { type: "number" }, lines: { type: "array", items: { type: "object", properties: { item: { type: "string" }, amount: { type: "number" } } } } } }));
    });
    const expected = JSON.stringify({ invoice_number: "INV-7", total: 42.5, lines: [{ item: "Paper", amount: 42.5 }] }, null, 2);
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: width === 390 ? 844 : 900 });
      await go(page, withRoute, `/jobs/${id}`, "invoice.tiff");
      const pre = page.locator('section.page[data-page="1"] pre.json');
      expect(await pre.innerText()).toBe(expected);
      await page.locator('section.page[data-page="1"]').getByRole("button", { name: "Copy JSON" }).click();
      expect(await clipboard()).toBe(expected);
      const [dl] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download JSON" }).click()]);
      expect(JSON.parse(readFileSync((await dl.path())!, "utf8"))).toEqual(JSON.parse(expected));
      expect(await axeViolations(page)).toEqual([]);
      await shot(page, `result-structured-${width}-light`);
    }
    await page.setViewportSize({ width: 1280, height: 900 });
  }, 150_000);
});

describe("focus and the schema check (point 10)", () => {
  test("after navigating (mouse or keyboard) the page title has focus but draws no ring", async () => {
    await go(page, withRoute, "/jobs", /^Jobs$/);
    const ring = () =>
      page.evaluate(() => {
        const el = document.activeElement as El;
        const cs = getComputedStyle(el);
        return { tag: el.tagName, ring: cs.outlineStyle !== "none" && parseFloat(cs.outlineWidth) > 0 };
      });
    await page.locator('nav a[href="#/templates"]').click();
    await heading(page, "Templates");
    expect(await ring()).toEqual({ tag: "H1", ring: false });
    await page.locator('nav a[href="#/team/usage"]').focus();
    await page.keyboard.press("Enter");
    await heading(page, "Credits and usage");
    expect(await ring()).toEqual({ tag: "H1", ring: false });
  }, 30_000);

  test("the live schema check gives the position of a JSON error once", async () => {
    await go(page, withRoute, "/templates/new", "New template");
    await page.getByLabel("Format").selectOption("structured");
    await page.getByLabel(/JSON Schema/).fill('{ "type": "object",\n  "properties": { oops } }');
    const text = await page.locator("#schema-status").innerText();
    expect(text).toMatch(/\(line 2, column \d+\)$/);
    expect(text.match(/line \d+/g)).toHaveLength(1);
  }, 30_000);

  test("no request to another host, no script errors", () => {
    expect(ui.foreign).toEqual([]);
    expect(ui.consoleErrors.filter((e) => !/401 \(Unauthorized\)|400 \(Bad Request\)/.test(e)).join("\n")).toBe("");
  });
});
