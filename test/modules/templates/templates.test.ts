/** Templates: happy, error and security behaviour of the routes, and template_slug / save_as_template on the SDK routes. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { samplePdf, startWorkspace, type Workspace } from "../jobs/harness";

let w: Workspace;
beforeAll(async () => {
  w = await startWorkspace();
});
afterAll(() => w.close());

const invoice = { name: "Invoice Template", format: "markdown", model: "standard-v2", instructions: "Keep tables", tags: ["finance"], color: "#FF5733" };

describe("happy", () => {
  test("create, read, update, favorite, list and delete, with a slug unique in the team", async () => {
    const a = await w.call("POST", "/templates", { body: invoice });
    expect(a.status).toBe(201);
    expect(a.body).toMatchObject({ name: "Invoice Template", slug: "invoice-template", format: "markdown", usage_count: 0, favorite: false, enabled: true, tags: ["finance"], team_id: w.tenant.teamId });
    expect(a.body.checksum).toMatch(/^[0-9a-f]{64}$/);
    const b = await w.call("POST", "/templates", { body: invoice, apiKey: w.tenant.key.secret });
    expect(b.body.slug).toBe("invoice-template-2");
    expect((await w.call("GET", `/templates/${a.body.id}`)).body.instructions).toBe("Keep tables");
    const up = await w.call("PUT", `/templates/${a.body.id}`, { body: { name: "Invoices v2", format: "markdown", instructions: "Only totals" } });
    expect(up.status).toBe(200);
    expect(up.body).toMatchObject({ name: "Invoices v2", slug: "invoice-template", instructions: "Only totals" });
    expect(up.body.checksum).not.toBe(a.body.checksum);
    expect((await w.call("POST", `/templates/${a.body.id}/favorite`)).body.favorite).toBe(true);
    expect((await w.call("GET", "/templates?favorite=true")).body.data.map((t: any) => t.id)).toEqual([a.body.id]);
    expect((await w.call("GET", "/templates?search=v2")).body.total_count).toBe(1);
    const page1 = await w.call("GET", "/templates?limit=1");
    expect(page1.body).toMatchObject({ has_more: true, total_count: 2 });
    expect((await w.call("GET", `/templates?limit=1&cursor=${page1.body.next_cursor}`)).body.data[0].id).toBe(a.body.id);
    expect((await w.call("DELETE", `/templates/${b.body.id}`)).status).toBe(204);
    expect((await w.call("GET", `/templates/${b.body.id}`)).status).toBe(404);
    const stats = await w.call("GET", "/templates/stats");
    expect(stats.body).toMatchObject({ total_templates: 1, markdown_templates: 1, structured_templates: 0, favorite_templates: 1 });
  });

  test("template_slug on the SDK routes applies the template and counts its use; a matching format is accepted", async () => {
    const t = (await w.call("POST", "/templates", { body: { ...invoice, name: "Receipts", instructions: "receipts only" } })).body;
    const jobId = await w.client.upload(await samplePdf(), "r.pdf", { template_slug: "receipts" } as any);
    expect((await w.client.waitForJob(jobId)).status).toBe("completed");
    const ok = await w.client.call("POST", "/ocr/uploads/direct", { file_name: "x.pdf", file_size: 10, content_type: "application/pdf", template_slug: "receipts", format: "markdown" });
    expect(ok.status).toBe(200);
    const after = (await w.call("GET", `/templates/${t.id}`)).body;
    expect(after.usage_count).toBe(2);
    expect(after.last_used).toBeString();
    const listed = (await w.call("GET", `/jobs?template_id=${t.id}`)).body;
    expect(listed.total_count).toBe(2);
    expect(listed.data[0]).toMatchObject({ template_id: t.id, template_name: "Receipts" });
    const row = w.t.server.ctx.db.$client.query("SELECT instructions FROM jobs WHERE id = ?1").get(jobId) as any;
    expect(row.instructions).toBe("receipts only");
    const top = await w.call("GET", "/analytics/templates/top");
    expect(top.body.templates[0]).toMatchObject({ id: t.id, name: "Receipts", job_count: 2 });
  });

  test("save_as_template saves the inline options as a new template used once", async () => {
    const res = await w.client.call("POST", "/ocr/uploads/direct", { file_name: "Contract 2024.pdf", file_size: 10, content_type: "application/pdf", instructions: "Summarise clauses", save_as_template: true });
    expect(res.status).toBe(200);
    const list = (await w.call("GET", "/templates?search=Contract")).body.data;
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ name: "Contract 2024", slug: "contract-2024", instructions: "Summarise clauses", usage_count: 1, format: "markdown" });
    const job = w.t.server.ctx.db.$client.query("SELECT template_id, template_slug FROM jobs WHERE id = ?1").get(res.body.job_id) as any;
    expect(job).toEqual({ template_id: list[0].id, template_slug: "contract-2024" });
  });
});

describe("errors", () => {
  test("invalid bodies, unknown models, structured without schema or on the offline engine are 400", async () => {
    for (const body of [{ format: "markdown", model: "standard-v2" }, { name: "x", model: "standard-v2" }, { name: "x", format: "pdf", model: "standard-v2" }, { name: "", format: "markdown", model: "standard-v2" }, { name: "x", format: "markdown", model: "no-such-model" }, { name: "x", format: "structured", model: "standard-v2" }, { name: "x", format: "structured", model: "standard-v2", schema: { type: "object" } }, { name: "x", format: "markdown", model: "standard-v2", slug: "Bad Slug" }]) {
      expect((await w.call("POST", "/templates", { body })).status, JSON.stringify(body)).toBe(400);
    }
  });

  test("a slug already taken is 409; unknown ids 404; malformed ids 400", async () => {
    await w.call("POST", "/templates", { body: { ...invoice, name: "Taken", slug: "taken" } });
    const dup = await w.call("POST", "/templates", { body: { ...invoice, name: "Other", slug: "taken" } });
    expect(dup.status).toBe(409);
    expect(dup.body.code).toBe("CONFLICT");
    const missing = crypto.randomUUID();
    expect((await w.call("GET", `/templates/${missing}`)).status).toBe(404);
    expect((await w.call("PUT", `/templates/${missing}`, { body: { name: "x", format: "markdown" } })).status).toBe(404);
    expect((await w.call("POST", `/templates/${missing}/favorite`)).status).toBe(404);
    expect((await w.call("DELETE", `/templates/${missing}`)).status).toBe(404);
    expect((await w.call("GET", "/templates/nope")).status).toBe(400);
  });

  test("SDK routes: an unknown slug is 404, a contradicting format 400, a disabled template 400", async () => {
    const direct = (extra: object) => w.client.call("POST", "/ocr/uploads/direct", { file_name: "x.pdf", file_size: 10, content_type: "application/pdf", ...extra });
    expect((await direct({ template_slug: "no-such-template" })).status).toBe(404);
    await w.call("POST", "/templates", { body: { ...invoice, name: "Md only", slug: "md-only" } });
    const clash = await direct({ template_slug: "md-only", format: "structured" });
    expect(clash.status).toBe(400);
    expect(clash.body.error.message).toContain("md-only");
    const off = (await w.call("POST", "/templates", { body: { ...invoice, name: "Off", slug: "off", enabled: false } })).body;
    expect(off.enabled).toBe(false);
    expect((await direct({ template_slug: "off" })).status).toBe(400);
  });
});

describe("security", () => {
  test("no credential 401; another team neither sees nor uses our templates; viewers cannot write", async () => {
    const mine = (await w.call("POST", "/templates", { body: { ...invoice, name: "Private", slug: "private" } })).body;
    expect((await fetch(`${w.t.baseUrl}${w.tenant.base}/templates`)).status).toBe(401);
    expect((await fetch(`${w.t.baseUrl}${w.tenant.base}/templates/${mine.id}`, { method: "DELETE" })).status).toBe(401);
    const o = { session: w.other.sessions.owner };
    expect((await w.call("GET", `${w.other.base}/templates/${mine.id}`, o)).status).toBe(404);
    expect((await w.call("PUT", `${w.other.base}/templates/${mine.id}`, { ...o, body: { name: "x", format: "markdown" } })).status).toBe(404);
    expect((await w.call("GET", `${w.other.base}/templates`, o)).body.total_count).toBe(0);
    const theirs = await w.call("POST", "/api/v1/ocr/uploads/direct", { apiKey: w.other.key.secret, body: { file_name: "x.pdf", file_size: 10, content_type: "application/pdf", template_slug: "private" } });
    expect(theirs.status).toBe(404);
    // The other team may use the same slug for its own template.
    expect((await w.call("POST", `${w.other.base}/templates`, { ...o, body: { ...invoice, slug: "private" } })).status).toBe(201);
    expect((await w.call("POST", "/templates", { session: w.tenant.sessions.viewer, body: invoice })).status).toBe(403);
    expect((await w.call("DELETE", `/templates/${mine.id}`, { session: w.tenant.sessions.viewer })).status).toBe(403);
    expect((await w.call("GET", "/templates", { session: w.tenant.sessions.viewer })).status).toBe(200);
  });
});
