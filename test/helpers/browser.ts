/**
 * Headless Chromium for end-to-end tests: Debian's `chromium` driven by playwright-core
 * (`npx playwright install` cannot download browsers here). Installs the package with apt-get
 * when it is missing (CI runs as root with Debian's mirrors reachable), then launches it with
 * background networking off so the only traffic is the page's own.
 */
import { existsSync } from "node:fs";
import { chromium, type Browser, type BrowserContext, type Page, type Request } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

function sh(cmd: string[]): { ok: boolean; out: string } {
  const r = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  return { ok: r.exitCode === 0, out: r.stdout.toString() + r.stderr.toString() };
}

/** Idempotent: a no-op (one stat) when Chromium is already there. */
export function ensureChromium(): string {
  if (existsSync(CHROMIUM)) return CHROMIUM;
  let r = sh(["apt-get", "install", "-y", "--no-install-recommends", "chromium"]);
  if (!r.ok) {
    sh(["apt-get", "update"]);
    r = sh(["apt-get", "install", "-y", "--no-install-recommends", "chromium"]);
  }
  if (!r.ok || !existsSync(CHROMIUM)) throw new Error(`could not install chromium with apt-get:\n${r.out.slice(-2000)}`);
  return CHROMIUM;
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: ensureChromium(),
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-default-apps", "--disable-extensions"],
  });
}

/**
 * A browser context that lets requests reach `origin` only: every other request is aborted
 * and recorded in `foreign`, so a test can assert the pages talked to nobody else.
 */
export async function isolatedContext(browser: Browser, origin: string, opts: Parameters<Browser["newContext"]>[0] = {}): Promise<{ context: BrowserContext; foreign: string[]; consoleErrors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...opts });
  const foreign: string[] = [];
  const consoleErrors: string[] = [];
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith(`${origin}/`) || url === origin || url.startsWith("data:") || url.startsWith("blob:")) return route.continue();
    foreign.push(url);
    return route.abort("blockedbyclient");
  });
  context.on("request", (req: Request) => {
    const url = req.url();
    if (!url.startsWith(origin) && !url.startsWith("data:") && !url.startsWith("blob:") && !foreign.includes(url)) foreign.push(url);
  });
  context.on("page", (p: Page) => p.on("console", (m) => m.type() === "error" && consoleErrors.push(m.text())));
  return { context, foreign, consoleErrors };
}

/** One dashboard user's browser: Chromium, a context that reaches only the server (isolatedContext), and its first page. */
export interface DashboardBrowser {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Requests to any other host, aborted: a test ends by asserting there were none. */
  foreign: string[];
  consoleErrors: string[];
}

/** Launches Chromium on the dashboard at `origin`; `timeoutMs` is the context's default wait for a locator or a navigation. */
export async function openDashboard(origin: string, opts: { timeoutMs?: number } = {}): Promise<DashboardBrowser> {
  const browser = await launchBrowser();
  const { context, foreign, consoleErrors } = await isolatedContext(browser, origin);
  if (opts.timeoutMs !== undefined) context.setDefaultTimeout(opts.timeoutMs);
  return { browser, context, page: await context.newPage(), foreign, consoleErrors };
}

/** Signs in through the dashboard's sign-in form, as a person would, and waits for the jobs list it lands on. */
export async function signIn(page: Page, origin: string, user: { email: string; password: string }): Promise<void> {
  await page.goto(`${origin}/`);
  await page.getByRole("heading", { name: "Sign in to LeapOCR" }).waitFor();
  await page.getByLabel("Email").fill(user.email);
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { level: 1, name: "Jobs" }).waitFor();
}
