/** Credits: the ledger, balance, limit with 402 LESS_CREDITS, grants by API and CLI, organization views; errors and security. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { samplePdf, startReceiver, startWorkspace, type Receiver, type Workspace } from "../jobs/harness";
import { runCreditsCli } from "../../../src/modules/credits/cli";

let w: Workspace;
/** The URL upload below goes to a loopback host the server trusts: tests connect to loopback only. */
let rx: Receiver;
beforeAll(async () => {
  rx = startReceiver();
  w = await startWorkspace({ urlAllowHosts: rx.hostPort });
});
afterAll(async () => {
  await w.close();
  rx.close();
});

const orgBase = () => `/api/v1/organizations/${w.tenant.orgId}/credits`;

describe("happy", () => {
  test("unlimited by default: jobs are charged per page and the balance goes negative without refusal", async () => {
    const jobId = await w.client.upload(await samplePdf(), "a.pdf");
    await w.client.waitForJob(jobId);
    const bal = await w.call("GET", "/credits/balance", { apiKey: w.tenant.key.secret });
    expect(bal.body).toMatchObject({ unlimited: true, credit_limit: null, credits_consumed: 2, balance: -2 });
    const tx = await w.call("GET", "/credits/transactions");
    expect(tx.body.data[0]).toMatchObject({ transaction_type: "consumed", amount: -2, balance_after: -2, job_id: jobId, team_id: w.tenant.teamId });
    expect((await w.call("GET", `/credits/transactions?search=${jobId}`)).body.total_count).toBe(1);
    expect((await w.call("GET", "/credits/transactions?search=a.pdf")).body.total_count).toBe(1);
    expect((await w.call("GET", "/credits/transactions?model=pro-v2")).body.total_count).toBe(0);
  });

  test("an owner grants credits; the idempotency key makes a repeat a no-op; balance_after runs through the ledger", async () => {
    const grant = await w.call("POST", "/credits/grants", { body: { amount: 10, description: "Order 42", idempotency_key: "order-42" } });
    expect(grant.status).toBe(201);
    expect(grant.body).toMatchObject({ transaction_type: "credit", amount: 10, idempotency_key: "order-42", balance_after: 8 });
    const again = await w.call("POST", "/credits/grants", { body: { amount: 10, idempotency_key: "order-42" } });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(grant.body.id);
    const adj = await w.call("POST", "/credits/grants", { body: { amount: -3, kind: "adjustment", description: "correction" } });
    expect(adj.body).toMatchObject({ transaction_type: "adjustment", amount: -3 });
    const list = (await w.call("GET", "/credits/transactions")).body.data;
    expect(list.map((t: any) => t.balance_after)).toEqual([5, 8, -2]);
    const audit = w.t.server.ctx.db.$client.query("SELECT action FROM audit_log WHERE action LIKE 'credits.%'").all() as any[];
    expect(audit.map((a) => a.action)).toEqual(["credits.granted", "credits.adjusted"]);
  });

  test("with a limit, uploads answer 402 LESS_CREDITS once nothing is left, and work again after a grant", async () => {
    const set = await w.call("PUT", "/credits/limit", { body: { credit_limit: 0 } });
    expect(set.body).toMatchObject({ credit_limit: 0, unlimited: false, credits_remaining: 5 });
    const jobId = await w.client.upload(await samplePdf(), "b.pdf");
    await w.client.waitForJob(jobId);
    await w.client.upload(await samplePdf(), "c.pdf").then((id) => w.client.waitForJob(id));
    // 5 - 2 - 2 = 1 left: one more goes through and overdraws by its own pages.
    await w.client.upload(await samplePdf(), "d.pdf").then((id) => w.client.waitForJob(id));
    const refused = await w.client.call("POST", "/ocr/uploads/direct", { file_name: "e.pdf", file_size: 100, content_type: "application/pdf" });
    expect(refused.status).toBe(402);
    expect(refused.body.code).toBe("LESS_CREDITS");
    expect((await w.client.call("POST", "/ocr/uploads/url", { url: `http://${rx.hostPort}/x.pdf` })).status).toBe(402);
    await runCreditsCli("grant", { team: w.tenant.teamId, amount: "20", "data-dir": w.t.dataDir }, () => {});
    expect((await w.client.call("POST", "/ocr/uploads/direct", { file_name: "e.pdf", file_size: 100, content_type: "application/pdf" })).status).toBe(200);
    const lines: string[] = [];
    await runCreditsCli("balance", { team: w.tenant.teamId, "data-dir": w.t.dataDir }, (l) => lines.push(l));
    expect(lines[0]).toContain("balance 19");
    expect((await w.call("PUT", "/credits/limit", { body: { credit_limit: null } })).body.unlimited).toBe(true);
  });

  test("organization balance and transactions cover the caller's teams in it", async () => {
    const bal = await w.call("GET", `${orgBase()}/balance`, { apiKey: w.tenant.key.secret });
    expect(bal.status).toBe(200);
    expect(bal.body).toMatchObject({ organization_id: w.tenant.orgId, team_id: w.tenant.teamId, balance: 19, plan_name: "self-hosted" });
    const tx = await w.call("GET", `${orgBase()}/transactions?limit=2`);
    expect(tx.status).toBe(200);
    expect(tx.body.data[0]).toMatchObject({ organization_id: w.tenant.orgId });
    expect(tx.body.has_more).toBe(true);
  });
});

describe("errors", () => {
  test("bad grants and limits are 400; the CLI refuses bad input", async () => {
    for (const body of [{ amount: 0 }, { amount: -5 }, { amount: 1.5 }, { amount: "10" }, {}]) {
      expect((await w.call("POST", "/credits/grants", { body })).status, JSON.stringify(body)).toBe(400);
    }
    expect((await w.call("PUT", "/credits/limit", { body: { credit_limit: -1 } })).status).toBe(400);
    expect((await w.call("GET", "/credits/transactions?created_from=nope")).status).toBe(400);
    await expect(runCreditsCli("grant", { team: w.tenant.teamId, amount: "x", "data-dir": w.t.dataDir }, () => {})).rejects.toThrow("--amount");
    await expect(runCreditsCli("grant", { team: "team_nope", amount: "5", "data-dir": w.t.dataDir }, () => {})).rejects.toThrow("team_nope");
  });
});

describe("security", () => {
  test("granting and limits need credits:write: admins, members and API keys get 403", async () => {
    for (const opts of [{ session: w.tenant.sessions.admin }, { session: w.tenant.sessions.member }, { apiKey: w.tenant.key.secret }]) {
      expect((await w.call("POST", "/credits/grants", { ...opts, body: { amount: 100 } })).status).toBe(403);
      expect((await w.call("PUT", "/credits/limit", { ...opts, body: { credit_limit: null } })).status).toBe(403);
    }
    expect((await w.call("GET", "/credits/balance", { session: w.tenant.sessions.viewer })).status).toBe(200);
  });

  test("no credential 401; another team or organization is 404 and sees none of our ledger", async () => {
    expect((await fetch(`${w.t.baseUrl}${w.tenant.base}/credits/transactions`)).status).toBe(401);
    expect((await fetch(`${w.t.baseUrl}${orgBase()}/balance`)).status).toBe(401);
    const o = { session: w.other.sessions.owner };
    expect((await w.call("POST", "/credits/grants", { ...o, body: { amount: 100 } })).status).toBe(404);
    expect((await w.call("GET", `${orgBase()}/transactions`, o)).status).toBe(404);
    expect((await w.call("GET", `${orgBase()}/balance`, { apiKey: w.other.key.secret })).status).toBe(404);
    const theirs = await w.call("GET", `/api/v1/organizations/${w.other.orgId}/credits/transactions`, o);
    expect(theirs.body.total_count).toBe(0);
  });
});
