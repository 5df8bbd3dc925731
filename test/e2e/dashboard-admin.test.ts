/**
 * The dashboard's admin pages driven in a real browser (Debian's Chromium, headless, through
 * playwright-core) against the compiled binary, as an operator would use them:
 * - templates: the JSON Schema editor refuses broken schemas with a message that says what is
 *   wrong (and nothing is saved), the server's own refusal is shown, a valid structured template
 *   is created, listed and starred, and the API (with an API key) sees exactly that;
 * - members: add a member with a role, who then signs in (in another browser context) and sees
 *   what that role allows; the owner makes them a viewer, then removes them, and their session
 *   loses the team;
 * - webhooks: a loopback receiver started here, a refused address, a subscription with its
 *   secret shown once, "Send test event" reaching the receiver with a valid HMAC signature
 *   (checked here against the secret the page showed), a receiver failure reported, and both
 *   deliveries in the page's event log.
 * The first owner comes from LEAPOCR_ADMIN_EMAIL/PASSWORD; a config file declares one model
 * route (on the loopback receiver, never called) so that structured templates are possible.
 * Every request to a host other than the server's own is blocked and recorded, and must not happen.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHmac } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import type { Server } from "bun";
import { startBinary, type ServerProcess } from "../helpers/process";
import { isolatedContext, openDashboard, signIn, type DashboardBrowser } from "../helpers/browser";
import { TEST_API_KEY } from "../helpers/app";
import { SdkClient } from "../helpers/sdk-client";
import { axeViolations } from "../helpers/axe";

// Callbacks passed to page.evaluate run in the browser; the project's tsconfig has no DOM types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type El = any;
declare const document: El;

const dir = mkdtempSync(join(tmpdir(), "leapocr-dashboard-admin-"));
const OWNER = { email: "owner@example.com", password: "a long enough passphrase" };
const MEMBER = { email: "vera@example.com", name: "Vera Member", password: "vera's own long passphrase" };
const MODEL = "loopback-vlm";
const SUPPORT_URL = "https://support.example.invalid/book-a-call";
const shots = join(import.meta.dir, "../../test-output/screenshots");
const SCHEMA = {
  type: "object",
  properties: { invoice_number: { type: "string" }, total: { type: "number" }, lines: { type: "array", items: { type: "object", properties: { item: { type: "string" } } } } },
  required: ["invoice_number", "total"],
};

type Received = { method: string; path: string; headers: Record<string, string>; body: string };
const received: Received[] = [];
let receiverStatus = 200;
let receiver: Server<undefined>;
let server: ServerProcess;
/** The owner's browser; `page` is its page. */
let ui: DashboardBrowser;
let page: Page;
let team: { id: string; organization_id: string };

const teamApi = (path: string, init: RequestInit = {}) =>
  fetch(`${server.baseUrl}/api/v1/organizations/${team.organization_id}/teams/${team.id}${path}`, { ...init, headers: { "x-api-key": TEST_API_KEY, ...init.headers } });

const go = async (p: Page, hash: string, heading: RegExp) => {
  await p.goto(`${server.baseUrl}/#${hash}`);
  await p.getByRole("heading", { level: 1, name: heading }).waitFor();
};

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  receiver = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const url = new URL(req.url);
      received.push({ method: req.method, path: url.pathname, headers: Object.fromEntries(req.headers), body: await req.text() });
      return new Response(receiverStatus < 300 ? "ok" : "receiver is down", { status: receiverStatus });
    },
  });
  // One OpenAI-compatible route so that a structured template has a model that can run it;
  // no job runs here, so it is never called.
  writeFileSync(
    join(dir, "models.json"),
    JSON.stringify({
      routes: { [MODEL]: { provider: "openai", base_url: `http://127.0.0.1:${receiver.port}/v1`, model: "test-vlm", structured_output: "json_schema" } },
      models: [{ name: MODEL, display_name: "Loopback VLM", credits_per_page: 1, steps: { ocr: [MODEL], structured: [MODEL] } }],
    }),
  );
  server = await startBinary(dir, {
    env: {
      LEAPOCR_ADMIN_EMAIL: OWNER.email,
      LEAPOCR_ADMIN_PASSWORD: OWNER.password,
      LEAPOCR_URL_ALLOW_HOSTS: "127.0.0.1",
      LEAPOCR_CONFIG: join(dir, "models.json"),
      // A support link on a name that cannot resolve: the page may show it, never fetch it.
      LEAPOCR_SUPPORT_URL: SUPPORT_URL,
    },
  });
  team = await new SdkClient(server.baseUrl, TEST_API_KEY).team();
  ui = await openDashboard(server.baseUrl, { timeoutMs: 10_000 });
  page = ui.page;
}, 120_000);

afterAll(async () => {
  await ui?.browser.close();
  await server?.stop();
  receiver?.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

describe("dashboard admin pages in headless Chromium against the binary", () => {
  test("the owner from LEAPOCR_ADMIN_EMAIL signs in", async () => {
    expect(((await (await fetch(`${server.baseUrl}/api/v1/dashboard/setup`)).json()) as { needs_setup: boolean }).needs_setup).toBe(false);
    await signIn(page, server.baseUrl, OWNER);
    expect(await page.textContent("#who")).toBe(`${OWNER.email} (owner)`);
  }, 30_000);

  describe("help menu", () => {
    test("Help shows the API docs, the team's organization and team ids with Copy, the server version and the operator's support link", async () => {
      await ui.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.baseUrl });
      await go(page, "/jobs", /^Jobs$/);
      const toggle = page.getByRole("button", { name: "Help" });
      expect(await toggle.getAttribute("aria-expanded")).toBe("false");
      await toggle.click();
      const panel = page.getByRole("region", { name: "Help" });
      await panel.waitFor();
      expect(await toggle.getAttribute("aria-expanded")).toBe("true");
      const docs = panel.getByRole("link", { name: "API documentation" });
      expect(await docs.getAttribute("href")).toBe("/api/v1/docs");
      expect((await fetch(`${server.baseUrl}/api/v1/docs`)).status).toBe(200);
      expect(await panel.getByRole("link", { name: "OpenAPI document (JSON)" }).getAttribute("href")).toBe("/api/v1/docs/openapi.json");
      const support = panel.getByRole("link", { name: "Contact support" });
      expect([await support.getAttribute("href"), await support.getAttribute("target"), await support.getAttribute("rel")]).toEqual([SUPPORT_URL, "_blank", "noopener noreferrer"]);
      // The ids every workspace route needs, as the API knows them.
      expect(await panel.locator("dd code").allInnerTexts()).toEqual([team.organization_id, team.id]);
      await panel.getByRole("button", { name: "Copy team id" }).click();
      await page.locator("#toast").getByText("Copied team id.").waitFor();
      expect(await page.evaluate(() => (globalThis as El).navigator.clipboard.readText())).toBe(team.id);
      await panel.getByRole("button", { name: "Copy organization id" }).click();
      await page.locator("#toast").getByText("Copied organization id.").waitFor();
      expect(await page.evaluate(() => (globalThis as El).navigator.clipboard.readText())).toBe(team.organization_id);
      const version = ((await (await fetch(`${server.baseUrl}/api/v1/health`)).json()) as { version: string }).version;
      expect(await panel.locator("#server-version").innerText()).toBe(`Server version ${version}`);
      expect(await axeViolations(page)).toEqual([]);
      await page.screenshot({ path: join(shots, "help-1280-light.png") });
      // Escape closes it and gives focus back to the button.
      await panel.getByRole("link", { name: "API documentation" }).focus();
      await page.keyboard.press("Escape");
      expect(await panel.isVisible()).toBe(false);
      expect(await page.evaluate(() => document.activeElement?.id)).toBe("help-toggle");
      // Shown, not fetched.
      expect(ui.foreign).toEqual([]);
    }, 30_000);

    test("at 390 px the help menu is inside the Menu and fits the screen", async () => {
      const phone = await ui.context.newPage();
      await phone.setViewportSize({ width: 390, height: 844 });
      await go(phone, "/jobs", /^Jobs$/);
      await phone.getByRole("button", { name: "Menu" }).click();
      await phone.getByRole("button", { name: "Help" }).click();
      const panel = phone.getByRole("region", { name: "Help" });
      await panel.waitFor();
      const box = (await panel.boundingBox())!;
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(390);
      await panel.getByRole("button", { name: "Copy team id" }).waitFor();
      expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      expect(await axeViolations(phone)).toEqual([]);
      await phone.screenshot({ path: join(shots, "help-390-light.png"), fullPage: true });
      await phone.close();
    }, 30_000);
  });

  describe("templates", () => {
    let templateId = "";

    test("the schema editor says what is wrong with a schema, and a broken one is not saved", async () => {
      await go(page, "/templates", /^Templates$/);
      await page.getByText("No templates yet.").waitFor();
      await page.getByRole("link", { name: "New template" }).click();
      await page.getByRole("heading", { level: 1, name: "New template" }).waitFor();
      const posts: string[] = [];
      page.on("request", (r) => r.method() === "POST" && r.url().includes("/templates") && posts.push(r.url()));

      await page.getByLabel("Name").fill("Invoice fields");
      const schema = page.getByRole("textbox", { name: /JSON Schema/ });
      const create = page.getByRole("button", { name: "Create template" });
      const status = page.locator("#schema-status");
      // Markdown needs no schema: the editor is hidden.
      expect(await schema.isVisible()).toBe(false);
      await page.getByLabel("Format", { exact: true }).selectOption("structured");
      expect(await schema.isVisible()).toBe(true);
      expect(await status.innerText()).toBe("A structured template needs a schema.");
      expect(await create.isDisabled()).toBe(true);

      // A JSON syntax error, with where it is.
      await schema.fill('{\n  "type": "object",\n  "properties": { "total": { "type": "number" }, }\n}');
      expect(await status.innerText()).toMatch(/^Not valid JSON: .*\(line 3, column \d+\)$/);
      expect(await schema.getAttribute("aria-invalid")).toBe("true");
      expect(await create.isDisabled()).toBe(true);

      // Valid JSON, useless schema: each mistake named.
      await schema.fill(JSON.stringify({ type: "object", properties: { total: { type: "numbr" } }, required: ["totl"] }, null, 2));
      expect((await status.locator("li").allInnerTexts()).sort()).toEqual(['root: required property "totl" is not in "properties".', 'total: unknown type "numbr".']);
      expect(await create.isDisabled()).toBe(true);
      // Even a submit that goes around the disabled button sends nothing.
      await page.locator("form").evaluate((f) => (f as El).requestSubmit());
      await Bun.sleep(200);
      expect(posts).toEqual([]);
      expect(((await (await teamApi("/templates")).json()) as { data: unknown[] }).data).toEqual([]);

      // A valid schema; models that cannot do structured output are not offered for it (issue 18 point 2).
      await schema.fill("");
      await schema.pressSequentially(JSON.stringify(SCHEMA, null, 1));
      await page.getByText("✓ The schema is valid.").waitFor();
      expect(await schema.getAttribute("aria-invalid")).toBe("false");
      expect(await create.isEnabled()).toBe(true);
      expect(await page.getByLabel("Model", { exact: true }).locator("option").evaluateAll((os) => os.map((o) => (o as El).value))).toEqual([MODEL]);
      expect(posts).toEqual([]);
    }, 30_000);

    test("a valid structured template is created, listed and starred; the API sees it", async () => {
      await page.getByLabel("Model", { exact: true }).selectOption(MODEL);
      await page.getByLabel("Description").fill("Invoice number, total and lines");
      await page.getByRole("button", { name: "Create template" }).click();
      await page.getByRole("heading", { level: 1, name: /^Templates$/ }).waitFor();
      await page.locator("#toast").getByText("Template saved.").waitFor();
      const row = page.getByRole("row").filter({ has: page.getByRole("link", { name: "Invoice fields" }) });
      await row.waitFor();
      expect((await row.getByRole("cell").allInnerTexts()).map((c) => c.trim())).toEqual(["☆", "Invoice fields\ninvoice-fields", "structured", MODEL, "0", "—"]);
      await page.getByText("1 template(s), used 0 time(s) in all.").waitFor();

      const star = page.getByRole("button", { name: "Favorite: Invoice fields" });
      expect(await star.getAttribute("aria-pressed")).toBe("false");
      await star.click();
      await page.waitForFunction(() => document.querySelector('button.star')?.getAttribute("aria-pressed") === "true");
      expect(await star.innerText()).toBe("★");
      await page.getByLabel("Favorites only").check();
      await row.waitFor();

      // The API, with an API key, sees the template as the page made it.
      const res = await teamApi("/templates?favorite=true");
      expect(res.status).toBe(200);
      const list = (await res.json()) as { data: { id: string; name: string; slug: string; format: string; model: string; favorite: boolean; schema: unknown; description: string }[] };
      expect(list.data.length).toBe(1);
      const t = list.data[0]!;
      expect({ name: t.name, slug: t.slug, format: t.format, model: t.model, favorite: t.favorite, description: t.description }).toEqual({
        name: "Invoice fields", slug: "invoice-fields", format: "structured", model: MODEL, favorite: true, description: "Invoice number, total and lines",
      });
      expect(t.schema).toEqual(SCHEMA);
      templateId = t.id;
      expect(await row.getByRole("link", { name: "Invoice fields" }).getAttribute("href")).toBe(`#/templates/${templateId}`);
    }, 30_000);

    test("opening the template shows its schema in the editor; unstarring it is seen by the API", async () => {
      await page.getByRole("link", { name: "Invoice fields" }).click();
      await page.getByRole("heading", { level: 1, name: "Template: Invoice fields" }).waitFor();
      expect(JSON.parse(await page.getByRole("textbox", { name: /JSON Schema/ }).inputValue())).toEqual(SCHEMA);
      expect(await page.getByLabel("Format", { exact: true }).inputValue()).toBe("structured");
      expect(await page.getByLabel("Model", { exact: true }).inputValue()).toBe(MODEL);
      expect(await page.getByLabel("Favorite", { exact: true }).isChecked()).toBe(true);
      await page.getByRole("link", { name: "Back" }).click();
      await page.getByRole("button", { name: "Favorite: Invoice fields" }).click();
      await page.waitForFunction(() => document.querySelector('button.star')?.getAttribute("aria-pressed") === "false");
      const t = (await (await teamApi(`/templates/${templateId}`)).json()) as { favorite: boolean };
      expect(t.favorite).toBe(false);
    }, 30_000);
  });

  describe("members", () => {
    let memberContext: BrowserContext;
    let memberPage: Page;
    let memberConsole: string[];
    let memberForeign: string[];
    let inviteUrl = "";
    let secondTeam = "";

    afterAll(() => memberContext?.close());

    test("inviting a member: the role starts and starts again at viewer; the one-time link is shown; nobody joins yet", async () => {
      await go(page, "/team/members", /^Members$/);
      expect(await page.getByRole("combobox", { name: `Role of ${OWNER.email}` }).inputValue()).toBe("owner");
      expect(await page.getByRole("button", { name: `Remove ${OWNER.email}` }).count()).toBe(0); // not oneself
      const form = page.locator("form").filter({ has: page.getByRole("heading", { name: "Invite a member" }) });
      expect(await form.getByLabel("Role").inputValue()).toBe("viewer");
      expect(await form.getByLabel(/Password/).count()).toBe(0); // the admin never chooses it
      await form.getByLabel("Email").fill(MEMBER.email);
      await form.getByLabel("Role").selectOption("member");
      await form.getByRole("button", { name: "Invite" }).click();
      await page.getByRole("status").filter({ hasText: `${MEMBER.email} is invited as member.` }).waitFor();
      inviteUrl = await page.getByLabel("Invitation link").inputValue();
      expect(inviteUrl).toMatch(new RegExp(`^${server.baseUrl}/#/invite/loi_[A-Za-z0-9_-]{40,}$`));
      // After each invitation the role is back at the least powerful one, never owner.
      expect(await form.getByLabel("Role").inputValue()).toBe("viewer");
      expect(await form.getByLabel("Email").inputValue()).toBe("");
      expect(await page.getByRole("combobox", { name: `Role of ${MEMBER.email}` }).count()).toBe(0);
      await page.getByRole("button", { name: `Revoke the invitation of ${MEMBER.email}` }).waitFor();
    }, 30_000);

    test("the invitee opens the link, chooses their own password, and lands signed in as a member", async () => {
      ({ context: memberContext, foreign: memberForeign, consoleErrors: memberConsole } = await isolatedContext(ui.browser, server.baseUrl));
      memberContext.setDefaultTimeout(10_000);
      memberPage = await memberContext.newPage();
      await memberPage.goto(inviteUrl);
      await memberPage.getByRole("heading", { level: 1, name: /^Join / }).waitFor();
      await memberPage.getByLabel("Your name").fill(MEMBER.name);
      await memberPage.getByLabel(/^Choose a password/).fill(MEMBER.password);
      await memberPage.getByLabel("Repeat the password").fill(MEMBER.password);
      await memberPage.getByRole("button", { name: "Create my account and join" }).click();
      // Two argon2id hashes (the new password, then the sign-in) on a busy machine: more than the default 10 s may pass.
      await memberPage.getByRole("heading", { level: 1, name: "Jobs" }).waitFor({ timeout: 30_000 });
      // The owner's members page, drawn again: the invitee is a member now.
      await page.reload();
      await page.getByRole("heading", { level: 1, name: /^Members$/ }).waitFor();
      const role = page.getByRole("combobox", { name: `Role of ${MEMBER.email}` });
      await role.waitFor();
      expect(await role.inputValue()).toBe("member");
      expect(await page.getByRole("row").filter({ has: role }).getByRole("cell").first().innerText()).toBe(MEMBER.name);
    }, 60_000);

    test("the new member signs in with their password and sees what a member may do", async () => {
      await memberPage.getByRole("button", { name: "Sign out" }).click();
      await signIn(memberPage, server.baseUrl, MEMBER);
      expect(await memberPage.textContent("#who")).toBe(`${MEMBER.email} (member)`);
      await go(memberPage, "/templates", /^Templates$/);
      await memberPage.getByRole("link", { name: "Invoice fields" }).waitFor();
      expect(await memberPage.getByRole("link", { name: "New template" }).count()).toBe(1);
      expect(await memberPage.getByRole("button", { name: "Favorite: Invoice fields" }).isEnabled()).toBe(true);
      await go(memberPage, "/team/members", /^Members$/);
      await memberPage.getByRole("combobox", { name: `Role of ${OWNER.email}` }).waitFor();
      expect(await memberPage.getByRole("heading", { name: "Invite a member" }).count()).toBe(0);
      expect(await memberPage.getByRole("combobox", { name: `Role of ${MEMBER.email}` }).isDisabled()).toBe(true);
    }, 30_000);

    test("the owner makes them a viewer: their next page load shows a read-only dashboard", async () => {
      const role = page.getByRole("combobox", { name: `Role of ${MEMBER.email}` });
      await role.selectOption("viewer");
      await page.locator("#toast").getByText(`${MEMBER.email} is now viewer.`).waitFor();
      await page.reload();
      await page.getByRole("heading", { level: 1, name: /^Members$/ }).waitFor();
      expect(await page.getByRole("combobox", { name: `Role of ${MEMBER.email}` }).inputValue()).toBe("viewer");

      await memberPage.goto(`${server.baseUrl}/#/templates`);
      await memberPage.reload();
      await memberPage.getByRole("heading", { level: 1, name: /^Templates$/ }).waitFor();
      expect(await memberPage.textContent("#who")).toBe(`${MEMBER.email} (viewer)`);
      await memberPage.getByRole("link", { name: "Invoice fields" }).waitFor();
      expect(await memberPage.getByRole("link", { name: "New template" }).count()).toBe(0);
      expect(await memberPage.getByRole("button", { name: "Favorite: Invoice fields" }).isDisabled()).toBe(true);
      // The server agrees, whatever the page shows.
      const verify = (await (await memberContext.request.get(`${server.baseUrl}/api/v1/auth/verify`)).json()) as { teams: { id: string; role: string }[]; session: { csrf_token: string } };
      expect(verify.teams.map((t) => [t.id, t.role])).toEqual([[team.id, "viewer"]]);
      const [tpl] = ((await (await teamApi("/templates")).json()) as { data: { id: string }[] }).data;
      const star = await memberContext.request.post(`${server.baseUrl}/api/v1/organizations/${team.organization_id}/teams/${team.id}/templates/${tpl!.id}/favorite`, {
        headers: { "x-csrf-token": verify.session.csrf_token },
      });
      expect(star.status()).toBe(403);
      expect(((await star.json()) as { error: { message: string } }).error.message).toBe("Your role (viewer) may not do that (needs templates:write).");
    }, 30_000);

    test("finding 3: an invitation to a second team is accepted on purpose and never switches the team by itself", async () => {
      const csrf = ((await (await ui.context.request.get(`${server.baseUrl}/api/v1/auth/verify`)).json()) as { session: { csrf_token: string } }).session.csrf_token;
      const second = (await (await ui.context.request.post(`${server.baseUrl}/api/v1/organizations/${team.organization_id}/teams`, { headers: { "x-csrf-token": csrf }, data: { name: "Second" } })).json()) as { id: string };
      secondTeam = second.id;
      const invited = await ui.context.request.post(`${server.baseUrl}/api/v1/organizations/${team.organization_id}/teams/${second.id}/members`, { headers: { "x-csrf-token": csrf }, data: { email: MEMBER.email, role: "owner" } });
      expect(invited.status()).toBe(201);
      // Before accepting, the member's dashboard knows one team only and works in it.
      await memberPage.reload();
      await memberPage.getByRole("heading", { level: 1 }).waitFor();
      expect(await memberPage.locator("#team-switch option").count()).toBe(1);
      await memberPage.locator("#invite-count").filter({ hasText: "1" }).waitFor();
      await go(memberPage, "/invitations", /^Invitations$/);
      await memberPage.getByRole("button", { name: "Accept the invitation to Second" }).click();
      await memberPage.getByRole("status").filter({ hasText: "You joined Default organization / Second as owner." }).waitFor();
      // Joined, listed in the menu, but the dashboard still works in the team the user chose.
      expect(await memberPage.locator("#team-switch option").count()).toBe(2);
      expect(await memberPage.locator("#team-switch").inputValue()).toBe(team.id);
      expect(await memberPage.textContent("#who")).toBe(`${MEMBER.email} (viewer)`);
      await memberPage.reload();
      await memberPage.getByRole("heading", { level: 1, name: /^Invitations$/ }).waitFor();
      expect(await memberPage.locator("#team-switch").inputValue()).toBe(team.id);
      // Switching is explicit, said, and remembered.
      await memberPage.getByLabel("Team", { exact: true }).selectOption(second.id);
      await memberPage.locator("#toast").getByText("Now working in Default organization / Second.").waitFor();
      expect(await memberPage.textContent("#who")).toBe(`${MEMBER.email} (owner)`);
      await memberPage.reload();
      await memberPage.getByRole("heading", { level: 1 }).waitFor();
      expect(await memberPage.locator("#team-switch").inputValue()).toBe(second.id);
      await memberPage.getByLabel("Team", { exact: true }).selectOption(team.id);
      await memberPage.locator("#toast").getByText("Now working in Default organization / Default team.").waitFor();
    }, 30_000);

    test("data-subject request: the owner downloads everything held about the member as JSON", async () => {
      await go(page, "/team/members", /^Members$/);
      const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: `Export data of ${MEMBER.email}` }).click()]);
      expect(download.suggestedFilename()).toMatch(/^leapocr-user-usr_[0-9a-f]+\.json$/);
      const data = JSON.parse(await Bun.file((await download.path())!).text()) as { user: { email: string; name: string }; memberships: { team_name: string }[]; sessions: unknown[] };
      expect(data.user).toMatchObject({ email: MEMBER.email, name: MEMBER.name });
      expect(data.memberships.map((m) => m.team_name).sort()).toEqual(["Default team", "Second"]);
      expect(data.sessions.length).toBeGreaterThan(0);
      await page.locator("#toast").getByText(`The data of ${MEMBER.email} was exported (recorded in the audit log).`).waitFor();
    }, 30_000);

    test("the owner removes them after confirming; their session loses the team", async () => {
      await page.getByRole("button", { name: `Remove ${MEMBER.email}` }).click();
      const dialog = page.getByRole("dialog", { name: "Remove this member?" });
      await dialog.waitFor();
      expect(await dialog.innerText()).toContain(`${MEMBER.email} loses access to this team, and the API keys they made for it are revoked.`);
      await dialog.getByRole("button", { name: "Cancel" }).click();
      expect(await page.getByRole("combobox", { name: `Role of ${MEMBER.email}` }).count()).toBe(1);
      await page.getByRole("button", { name: `Remove ${MEMBER.email}` }).click();
      await page.getByRole("dialog").getByRole("button", { name: "Remove" }).click();
      await page.waitForFunction((email) => ![...document.querySelectorAll("select")].some((s: El) => s.getAttribute("aria-label") === `Role of ${email}`), MEMBER.email);
      const teamUrl = `${server.baseUrl}/api/v1/organizations/${team.organization_id}/teams/${team.id}`;
      const left = (await (await ui.context.request.get(`${teamUrl}/members`)).json()) as { data: { email: string }[] };
      expect(left.data.map((m) => m.email)).toEqual([OWNER.email]);
      expect((await memberContext.request.get(`${teamUrl}/templates`)).status()).toBe(404); // not a member: the team is not found
      const still = (await (await memberContext.request.get(`${server.baseUrl}/api/v1/auth/verify`)).json()) as { teams: { id: string }[] };
      expect(still.teams.map((t) => t.id)).toEqual([secondTeam]);
      // Their open page says which team they lost before it shows the other one.
      await memberPage.reload();
      await memberPage.locator("#toast").getByText("You are no longer a member of the team you last used. Now showing Default organization / Second.").waitFor();
      expect(await memberPage.locator("#team-switch").inputValue()).toBe(secondTeam);
      // The owner, who made the second team, removes them there too.
      const csrf = ((await (await ui.context.request.get(`${server.baseUrl}/api/v1/auth/verify`)).json()) as { session: { csrf_token: string } }).session.csrf_token;
      const vera = (await (await memberContext.request.get(`${server.baseUrl}/api/v1/auth/verify`)).json()) as { user: { id: string } };
      const gone = await ui.context.request.delete(`${server.baseUrl}/api/v1/organizations/${team.organization_id}/teams/${secondTeam}/members/${vera.user.id}`, { headers: { "x-csrf-token": csrf } });
      expect(gone.status()).toBe(200);
      const verify = (await (await memberContext.request.get(`${server.baseUrl}/api/v1/auth/verify`)).json()) as { teams: unknown[] };
      expect(verify.teams).toEqual([]);
      // The page they still have open says so instead of failing with a script error.
      await memberPage.goto(`${server.baseUrl}/#/templates`);
      await memberPage.reload();
      await memberPage.getByRole("alert").filter({ hasText: "You are not a member of any team. Ask an owner or admin of a team to add you." }).waitFor();
      await go(memberPage, "/team/webhooks", /^Webhooks$/);
      await memberPage.getByRole("alert").filter({ hasText: "You are not a member of any team." }).waitFor();
      expect(memberForeign).toEqual([]);
      // The signed-out first load answered 401; nothing else failed.
      expect(memberConsole.filter((e) => !/status of 401 \(Unauthorized\)/.test(e))).toEqual([]);
    }, 30_000);
  });

  describe("webhooks", () => {
    let secret = "";
    const hookUrl = () => `http://127.0.0.1:${receiver.port}/hooks/leapocr`;

    test("a loopback address outside the allow-list is refused with the reason", async () => {
      await go(page, "/team/webhooks", /^Webhooks$/);
      await page.getByText("No webhooks yet.").waitFor();
      await page.getByLabel("Address").fill(`http://localhost:${receiver.port}/hooks/leapocr`);
      await page.getByRole("button", { name: "Add webhook" }).click();
      const refusal = page.getByRole("alert").filter({ hasText: "Webhook url refused: The URL's host localhost is a local or metadata address" });
      await refusal.waitFor();
      // Point 8: the message says what the operator can do about it.
      expect(await refusal.innerText()).toContain(`the operator can allow it with LEAPOCR_URL_ALLOW_HOSTS=localhost:${receiver.port}`);
      expect(((await (await teamApi("/webhooks")).json()) as { data: unknown[] }).data).toEqual([]);
    }, 30_000);

    test("adding a webhook shows its signing secret once and lists the subscription", async () => {
      await page.getByLabel("Address").fill(hookUrl());
      const created = page.getByRole("checkbox", { name: "job.created" });
      expect(await created.isChecked()).toBe(false);
      expect(await page.getByRole("checkbox", { name: "job.completed" }).isChecked()).toBe(true);
      expect(await page.getByRole("checkbox", { name: "job.failed" }).isChecked()).toBe(true);
      await created.check();
      await page.getByRole("button", { name: "Add webhook" }).click();
      const shown = page.getByRole("status").filter({ hasText: "Webhook added. Copy its signing secret now; later an admin can reveal it again (audited) or regenerate it:" }).locator("code.secret");
      await shown.waitFor();
      secret = (await shown.innerText()).trim();
      expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{20,}$/);
      // Point 8: Copy puts exactly the secret on the clipboard.
      await page.getByRole("button", { name: "Copy signing secret" }).click();
      await page.locator("#toast").getByText("Copied signing secret.").waitFor();
      expect(await page.evaluate(() => (globalThis as El).navigator.clipboard.readText())).toBe(secret);
      const card = page.locator(".card").filter({ has: page.getByText(hookUrl(), { exact: true }) });
      await card.waitFor();
      expect(await card.innerText()).toContain("enabled");
      expect(await card.innerText()).toContain("job.created, job.completed, job.failed · 0 failure(s) in a row");
      expect(received).toEqual([]); // creating sends nothing
      await page.reload();
      await page.getByText(hookUrl(), { exact: true }).waitFor();
      expect(await page.locator("#main").innerText()).not.toContain(secret);
    }, 30_000);

    test('"Send test event" reaches the receiver, signed with the secret the page showed, and is logged', async () => {
      const before = Math.floor(Date.now() / 1000);
      await page.getByRole("button", { name: "Send test event" }).click();
      await page.getByRole("status").filter({ hasText: /^Test webhook delivered\. \(HTTP 200, \d+ ms\)$/ }).waitFor();
      expect(received.length).toBe(1);
      const r = received[0]!;
      expect([r.method, r.path, r.headers["content-type"]]).toEqual(["POST", "/hooks/leapocr", "application/json"]);
      const ts = r.headers["x-webhook-timestamp"]!;
      expect(Number(ts)).toBeGreaterThanOrEqual(before - 1);
      expect(Number(ts)).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 1);
      // The receiver's check, done here from the documented scheme: hex HMAC-SHA256 of "<timestamp>.<raw body>".
      const expected = createHmac("sha256", secret).update(`${ts}.${r.body}`).digest("hex");
      expect(r.headers["x-webhook-signature"]).toBe(expected);
      expect(r.headers["x-webhook-signature"]).not.toBe(createHmac("sha256", `${secret}x`).update(`${ts}.${r.body}`).digest("hex"));
      const body = JSON.parse(r.body) as { event_type: string; event_id: string };
      expect(body.event_type).toBe("webhook.test");
      expect(r.headers["x-webhook-event"]).toBe("webhook.test");
      expect(r.headers["x-webhook-event-id"]).toBe(body.event_id);

      const row = page.locator("tbody tr").filter({ hasText: "webhook.test" });
      await row.waitFor();
      expect((await row.getByRole("cell").allInnerTexts()).slice(1, 6)).toEqual(["webhook.test", hookUrl(), "delivered", "1", "200"]);
    }, 30_000);

    test("a receiver that fails is reported as failed, in the notice and in the event log", async () => {
      receiverStatus = 503;
      await page.getByRole("button", { name: "Send test event" }).click();
      await page.getByRole("alert").filter({ hasText: /^Test webhook failed: .*503/ }).waitFor();
      expect(received.length).toBe(2);
      const rows = page.locator("tbody tr").filter({ hasText: "webhook.test" });
      await page.waitForFunction(() => document.querySelectorAll("tbody tr").length === 2);
      // Newest first.
      expect((await rows.nth(0).getByRole("cell").allInnerTexts()).slice(1, 5)).toEqual(["webhook.test", hookUrl(), "failed", "1"]);
      expect(await rows.nth(0).getByRole("cell").nth(5).innerText()).toContain("503");
      expect((await rows.nth(1).getByRole("cell").allInnerTexts()).slice(1, 6)).toEqual(["webhook.test", hookUrl(), "delivered", "1", "200"]);
      const card = page.locator(".card").filter({ has: page.getByText(hookUrl(), { exact: true }) });
      expect(await card.innerText()).toContain("0 failure(s) in a row"); // a test send does not count towards disabling
      // The API's event log agrees.
      const ev = (await (await teamApi("/webhooks/events")).json()) as { data: { event_type: string; processing_status: string; http_status?: number }[] };
      expect(ev.data.map((e) => [e.event_type, e.processing_status, e.http_status])).toEqual([["webhook.test", "failed", 503], ["webhook.test", "delivered", 200]]);
      receiverStatus = 200;
    }, 30_000);

    type Hook = { id: string; url: string; events: string[]; enabled: boolean; include_results: boolean };
    const hooks = async () => ((await (await teamApi("/webhooks")).json()) as { data: Hook[] }).data;

    test("point 8: a delivery's payload opens under its row: the very body the receiver got, with Copy", async () => {
      const rows = page.locator("tbody tr").filter({ hasText: "webhook.test" });
      const open = rows.nth(0).getByRole("button", { name: /^Payload of webhook\.test/ });
      expect(await open.getAttribute("aria-expanded")).toBe("false");
      await open.click();
      const pre = page.locator("tr.payload-row pre.json");
      await pre.waitFor();
      expect(await open.getAttribute("aria-expanded")).toBe("true");
      // The newest delivery is the failed one, received second.
      expect(JSON.parse(await pre.innerText())).toEqual(JSON.parse(received[1]!.body));
      await page.locator("tr.payload-row").getByRole("button", { name: "Copy payload" }).click();
      expect(JSON.parse(await page.evaluate(() => (globalThis as El).navigator.clipboard.readText()))).toEqual(JSON.parse(received[1]!.body));
      expect(await axeViolations(page)).toEqual([]);
      await page.screenshot({ path: join(shots, "webhooks-payload-1280-light.png"), fullPage: true });
      await open.click();
      expect(await page.locator("tr.payload-row").count()).toBe(0);
    }, 30_000);

    test("point 8: editing a webhook changes its address, events and enabled state; a refused address is said in the form, naming LEAPOCR_URL_ALLOW_HOSTS", async () => {
      const card = () => page.locator(".card").filter({ has: page.getByRole("button", { name: "Send test event" }) });
      await card().getByRole("button", { name: "Edit" }).click();
      const form = page.getByRole("form", { name: `Edit webhook ${hookUrl()}` });
      await form.waitFor();
      expect(await form.getByLabel("Address").inputValue()).toBe(hookUrl());
      expect(await form.getByRole("checkbox", { name: "job.created" }).isChecked()).toBe(true);
      await form.getByRole("checkbox", { name: "job.created" }).uncheck();
      await form.getByRole("checkbox", { name: "job.deleted" }).check();
      await form.getByRole("checkbox", { name: /^Enabled/ }).uncheck();
      await form.getByRole("button", { name: "Save" }).click();
      await page.locator("#toast").getByText("Webhook saved.").waitFor();
      expect(await card().innerText()).toContain("disabled");
      expect(await card().innerText()).toContain("job.completed, job.failed, job.deleted");
      let [hook] = await hooks();
      expect([hook!.url, hook!.events, hook!.enabled]).toEqual([hookUrl(), ["job.completed", "job.failed", "job.deleted"], false]);

      // A new address on the same receiver, enabled again.
      await card().getByRole("button", { name: "Edit" }).click();
      const again = page.getByRole("form", { name: `Edit webhook ${hookUrl()}` });
      await again.getByLabel("Address").fill(`http://localhost:${receiver.port}/hooks/moved`);
      await again.getByRole("checkbox", { name: /^Enabled/ }).check();
      await again.getByRole("button", { name: "Save" }).click();
      const refused = again.getByRole("alert");
      await refused.waitFor();
      expect(await refused.innerText()).toContain(`LEAPOCR_URL_ALLOW_HOSTS=localhost:${receiver.port}`);
      expect((await hooks())[0]!.url).toBe(hookUrl()); // nothing saved
      await again.getByLabel("Address").fill(`http://127.0.0.1:${receiver.port}/hooks/moved`);
      await again.getByRole("button", { name: "Save" }).click();
      await page.locator("#toast").getByText("Webhook saved.").waitFor();
      [hook] = await hooks();
      expect([hook!.url, hook!.enabled]).toEqual([`http://127.0.0.1:${receiver.port}/hooks/moved`, true]);
      expect(await card().innerText()).toContain("enabled");
    }, 30_000);

    test("point 8: regenerating the secret asks first, shows the new one with Copy, and deliveries are signed with it", async () => {
      const card = page.locator(".card").filter({ has: page.getByRole("button", { name: "Send test event" }) });
      await card.getByRole("button", { name: "Regenerate secret" }).click();
      const dialog = page.getByRole("dialog", { name: "Regenerate the signing secret?" });
      await dialog.waitFor();
      await dialog.getByRole("button", { name: "Cancel" }).click();
      expect(await page.locator("code.secret").count()).toBe(0);
      await card.getByRole("button", { name: "Regenerate secret" }).click();
      await page.getByRole("dialog").getByRole("button", { name: "Regenerate" }).click();
      const shown = page.getByRole("status").filter({ hasText: "New signing secret (copy it now):" }).locator("code.secret");
      await shown.waitFor();
      const fresh = (await shown.innerText()).trim();
      expect(fresh).toMatch(/^whsec_/);
      expect(fresh).not.toBe(secret);
      await page.getByRole("button", { name: "Copy signing secret" }).click();
      expect(await page.evaluate(() => (globalThis as El).navigator.clipboard.readText())).toBe(fresh);
      await card.getByRole("button", { name: "Send test event" }).click();
      await page.getByRole("status").filter({ hasText: /^Test webhook delivered\./ }).waitFor();
      const r = received.at(-1)!;
      expect(r.path).toBe("/hooks/moved");
      const ts = r.headers["x-webhook-timestamp"]!;
      expect(r.headers["x-webhook-signature"]).toBe(createHmac("sha256", fresh).update(`${ts}.${r.body}`).digest("hex"));
      expect(r.headers["x-webhook-signature"]).not.toBe(createHmac("sha256", secret).update(`${ts}.${r.body}`).digest("hex"));
    }, 30_000);
  });

  describe("audit log", () => {
    test("point 6: people and keys by name with their ids beneath, dates on one line, the IP column on screen at 1280 px", async () => {
      // One change made with the API key, so that a key is an actor in the log.
      const [tpl] = ((await (await teamApi("/templates")).json()) as { data: { id: string }[] }).data;
      expect((await teamApi(`/templates/${tpl!.id}/favorite`, { method: "POST" })).status).toBe(200);
      // The audit log is for owners and admins, not API keys: read it with the owner's session.
      const logged = (action: string) =>
        ui.context.request.get(`${server.baseUrl}/api/v1/organizations/${team.organization_id}/teams/${team.id}/audit-logs?action=${action}`).then((r) => r.json() as Promise<{ data: { actor: { id: string }; target: { id: string } }[] }>);
      const keyId = (await logged("template.favorite_toggled")).data[0]!.actor.id;
      const roleChange = (await logged("member.role_changed")).data[0]!;
      expect(keyId).toMatch(/^key_/);
      expect(roleChange.target.id).toMatch(/^usr_/);

      await go(page, "/team/audit", /^Audit log$/);
      const row = (action: string) => page.locator("tbody tr").filter({ has: page.getByText(action, { exact: true }) }).first();
      await row("template.favorite_toggled").waitFor();
      const cells = async (action: string) => (await row(action).getByRole("cell").allInnerTexts()).map((c) => c.trim());
      const [, , keyActor, template] = await cells("template.favorite_toggled");
      expect(keyActor).toBe(`bootstrap (API key)\n${keyId}`);
      expect(template).toBe(`Invoice fields (template)\n${tpl!.id}`);
      const [, , owner, vera, ip] = await cells("member.role_changed");
      expect(owner).toBe(`owner\n${OWNER.email} · ${roleChange.actor.id}`);
      expect(vera).toBe(`${MEMBER.name}\n${MEMBER.email} · ${roleChange.target.id}`);
      expect(ip).toBe("127.0.0.1");

      // Every date on one line; the whole table, IP column included, fits 1280 px without scrolling sideways.
      const lines = await page.$$eval("td.when time", (ts) => ts.map((t) => (t as El).getClientRects().length));
      expect(lines.length).toBeGreaterThan(5);
      expect(lines.filter((n) => n !== 1)).toEqual([]);
      const ipHeader = (await page.getByRole("columnheader", { name: "IP" }).boundingBox())!;
      expect(ipHeader.x + ipHeader.width).toBeLessThanOrEqual(1280);
      expect(await page.locator(".table-wrap").evaluate((w: El) => w.scrollWidth <= w.clientWidth)).toBe(true);
      expect(await axeViolations(page)).toEqual([]);
      await page.screenshot({ path: join(shots, "audit-1280-light.png"), fullPage: true });
    }, 30_000);
  });

  test("the pages made no request to any host but the server's own, and logged no unexpected script errors", () => {
    expect(ui.foreign).toEqual([]);
    // The refusals above answer 400 on purpose, and the signed-out first load 401 (the browser
    // logs each failed response); anything else is a bug.
    expect(ui.consoleErrors.filter((e) => !/status of (400 \(Bad Request\)|401 \(Unauthorized\))/.test(e)).join("\n")).toBe("");
  });
});
