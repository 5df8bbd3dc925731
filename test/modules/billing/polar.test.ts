/**
 * Polar billing (issue 18 scope 5): a real app with real SQLite receives Polar webhooks signed
 * here with the Standard Webhooks scheme (own signer below, written from the spec, not the
 * server's code): a paid order grants its product's credits once to the team in the checkout's
 * metadata, audited; replays, forged and stale deliveries grant nothing; unknown teams and
 * products answer 200 "ignored"; refunds are recorded without a debit; without the secret the
 * route does not exist.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHmac, randomBytes, randomUUID } from "node:crypto";
import { startWorkspace, type Workspace } from "../jobs/harness";
import { startTestServer } from "../../helpers/app";
import { defaultTeamOf } from "../../helpers/auth";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { verifyStandardWebhook } from "../../../src/modules/billing/signature";

const ROUTE = "/api/v1/webhooks/polar";
/** A spec-compliant secret, as Polar issues them since September 2026: whsec_ + base64 key. */
const SECRET = `whsec_${randomBytes(32).toString("base64")}`;
const PRODUCT_100 = randomUUID();
const PRODUCT_500 = randomUUID();

/** Standard Webhooks: v1,<base64 HMAC-SHA256 over "id.timestamp.body">. */
function sign(key: Buffer, id: string, timestamp: number, body: string): string {
  return `v1,${createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64")}`;
}
const specKey = (secret: string) => Buffer.from(secret.slice("whsec_".length), "base64");
/** What Polar's SDK did before (validateEvent): the secret's UTF-8 bytes are the key. */
const legacyKey = (secret: string) => Buffer.from(secret, "utf8");

interface Delivery {
  id?: string;
  timestamp?: number;
  key?: Buffer;
  headers?: Record<string, string>;
}

async function deliver(w: { t: { baseUrl: string } }, payload: unknown, d: Delivery = {}) {
  const body = typeof payload === "string" ? payload : JSON.stringify(payload);
  const id = d.id ?? `msg_${randomUUID()}`;
  const timestamp = d.timestamp ?? Math.floor(Date.now() / 1000);
  const headers = {
    "content-type": "application/json",
    "user-agent": "polar.sh webhooks",
    "webhook-id": id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": sign(d.key ?? specKey(SECRET), id, timestamp, body),
    ...d.headers,
  };
  const res = await fetch(`${w.t.baseUrl}${ROUTE}`, { method: "POST", headers, body });
  return { status: res.status, body: (await res.json()) as any, id };
}

/** A Polar order.paid event as Polar sends it (fields from Polar's Order schema). */
function orderEvent(type: string, opts: { teamId?: string | null; productId?: string; orderId?: string; where?: "order" | "customer" } = {}) {
  const orderId = opts.orderId ?? randomUUID();
  const productId = opts.productId ?? PRODUCT_100;
  const teamMeta = opts.teamId === null ? {} : { leapocr_team_id: opts.teamId ?? w.tenant.teamId };
  const now = new Date().toISOString();
  return {
    type,
    timestamp: now,
    data: {
      id: orderId,
      created_at: now,
      modified_at: now,
      status: type === "order.refunded" ? "refunded" : "paid",
      paid: true,
      subtotal_amount: 1900,
      discount_amount: 0,
      net_amount: 1900,
      tax_amount: 0,
      total_amount: 1900,
      applied_balance_amount: 0,
      due_amount: 0,
      refunded_amount: type === "order.refunded" ? 1900 : 0,
      refunded_tax_amount: 0,
      currency: "usd",
      billing_reason: "purchase",
      billing_name: "Jane Doe",
      billing_address: { country: "SE" },
      invoice_number: "POLAR-0001",
      is_invoice_generated: false,
      customer_id: randomUUID(),
      product_id: productId,
      discount_id: null,
      subscription_id: null,
      checkout_id: randomUUID(),
      metadata: opts.where === "customer" ? {} : teamMeta,
      custom_field_data: {},
      platform_fee_amount: 0,
      customer: { id: randomUUID(), external_id: null, email: "jane@example.test", name: "Jane Doe", metadata: opts.where === "customer" ? teamMeta : {} },
      user_id: randomUUID(),
      product: { id: productId, name: "Credit pack", is_recurring: false, metadata: {} },
      discount: null,
      subscription: null,
      items: [{ id: randomUUID(), label: "Credit pack", amount: 1900, tax_amount: 0, proration: false, product_price_id: randomUUID() }],
      description: "Credit pack",
    },
  };
}

let w: Workspace;
beforeAll(async () => {
  w = await startWorkspace({ polarWebhookSecret: SECRET, polarProducts: `${PRODUCT_100}:100, ${PRODUCT_500}:500` });
});
afterAll(() => w.close());

const db = () => w.t.server.ctx.db.$client;
const balanceOf = async (teamId = w.tenant.teamId) => {
  const base = teamId === w.tenant.teamId ? w.tenant.base : w.other.base;
  const res = await w.call("GET", `${base}/credits/balance`, { session: teamId === w.tenant.teamId ? w.tenant.sessions.owner : w.other.sessions.owner });
  return res.body.balance as number;
};
const grantsOf = (orderId: string) => db().query("SELECT * FROM credit_transactions WHERE idempotency_key = ?").all(`polar-order:${orderId}`) as any[];
const auditOf = (orderId: string) => (db().query("SELECT * FROM audit_log WHERE metadata_json LIKE ?").all(`%${orderId}%`) as any[]);

describe("happy", () => {
  test("a paid order grants its product's credits once to the team in the checkout metadata, audited", async () => {
    const before = await balanceOf();
    const event = orderEvent("order.paid", { productId: PRODUCT_500 });
    const res = await deliver(w, event);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "granted", team_id: w.tenant.teamId, credits: 500 });
    expect(await balanceOf()).toBe(before + 500);
    const grants = grantsOf(event.data.id);
    expect(grants).toHaveLength(1);
    expect(grants[0]).toMatchObject({ kind: "grant", amount: 500, team_id: w.tenant.teamId, id: res.body.transaction_id });
    const audit = auditOf(event.data.id);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ action: "credits.granted", actor_type: "system", actor_id: "polar", team_id: w.tenant.teamId });
    expect(JSON.parse(audit[0].metadata_json)).toMatchObject({ amount: 500, source: "polar", order_id: event.data.id, webhook_id: res.id });
    const row = db().query("SELECT * FROM polar_events WHERE webhook_id = ?").get(res.id) as any;
    expect(row).toMatchObject({ outcome: "granted", order_id: event.data.id, team_id: w.tenant.teamId, credit_transaction_id: res.body.transaction_id });
    // The team sees it in its ledger.
    const tx = await w.call("GET", "/credits/transactions");
    expect(tx.body.data[0]).toMatchObject({ transaction_type: "credit", amount: 500, idempotency_key: `polar-order:${event.data.id}` });
  });

  test("the team id may sit in the customer's metadata instead", async () => {
    const event = orderEvent("order.paid", { where: "customer" });
    const res = await deliver(w, event);
    expect(res.body).toMatchObject({ status: "granted", credits: 100 });
  });

  test("signatures made with the secret's own bytes (Polar's older key derivation) are accepted too", async () => {
    const event = orderEvent("order.paid");
    const res = await deliver(w, event, { key: legacyKey(SECRET) });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe("granted");
  });

  test("one matching signature among several (secret rotation) is enough", async () => {
    const event = orderEvent("order.paid");
    const body = JSON.stringify(event);
    const id = `msg_${randomUUID()}`;
    const ts = Math.floor(Date.now() / 1000);
    const wrong = sign(randomBytes(32), id, ts, body);
    const res = await deliver(w, body, { id, timestamp: ts, headers: { "webhook-signature": `${wrong} ${sign(specKey(SECRET), id, ts, body)}` } });
    expect(res.body.status).toBe("granted");
  });

  test("a refund is recorded and audited on the team; no credits are taken back", async () => {
    const paid = orderEvent("order.paid");
    await deliver(w, paid);
    const before = await balanceOf();
    const refund = orderEvent("order.refunded", { orderId: paid.data.id });
    const res = await deliver(w, refund);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "recorded", team_id: w.tenant.teamId });
    expect(await balanceOf()).toBe(before);
    const audit = auditOf(paid.data.id).map((a) => a.action);
    expect(audit).toEqual(expect.arrayContaining(["credits.granted", "credits.polar_refund_recorded"]));
    expect((await deliver(w, refund, { id: res.id })).body.status).toBe("duplicate");
  });
});

describe("once", () => {
  test("a replayed event (same webhook-id) grants nothing more", async () => {
    const event = orderEvent("order.paid");
    const first = await deliver(w, event);
    expect(first.body.status).toBe("granted");
    const before = await balanceOf();
    const again = await deliver(w, event, { id: first.id });
    expect(again.status).toBe(200);
    expect(again.body.status).toBe("duplicate");
    // Even sent many times at once.
    const burst = await Promise.all(Array.from({ length: 10 }, () => deliver(w, event, { id: first.id })));
    expect(burst.every((r) => r.status === 200 && r.body.status === "duplicate")).toBe(true);
    expect(await balanceOf()).toBe(before);
    expect(grantsOf(event.data.id)).toHaveLength(1);
    expect(auditOf(event.data.id)).toHaveLength(1);
  });

  test("a second event about the same order (another webhook-id) grants nothing more", async () => {
    const event = orderEvent("order.paid");
    expect((await deliver(w, event)).body.status).toBe("granted");
    const before = await balanceOf();
    const again = await deliver(w, event);
    expect(again.body.status).toBe("duplicate");
    expect(await balanceOf()).toBe(before);
    expect(grantsOf(event.data.id)).toHaveLength(1);
  });
});

describe("refused", () => {
  test("a forged signature (another secret) answers 401 and grants nothing", async () => {
    const before = await balanceOf();
    const event = orderEvent("order.paid", { productId: PRODUCT_500 });
    const forged = await deliver(w, event, { key: specKey(`whsec_${randomBytes(32).toString("base64")}`) });
    expect(forged.status).toBe(401);
    expect(forged.body).toMatchObject({ code: "AUTHENTICATION_ERROR" });
    expect(forged.body.error.message).toContain("LEAPOCR_POLAR_WEBHOOK_SECRET");
    // A genuine signature of another body does not carry over to this one.
    const genuine = JSON.stringify(orderEvent("order.paid"));
    const id = `msg_${randomUUID()}`;
    const ts = Math.floor(Date.now() / 1000);
    const swapped = await deliver(w, event, { id, timestamp: ts, headers: { "webhook-signature": sign(specKey(SECRET), id, ts, genuine) } });
    expect(swapped.status).toBe(401);
    expect(await balanceOf()).toBe(before);
    expect(grantsOf(event.data.id)).toHaveLength(0);
    expect(db().query("SELECT count(*) AS n FROM polar_events WHERE webhook_id IN (?, ?)").get(forged.id, id)).toEqual({ n: 0 });
  });

  test("a stale or future timestamp (over 5 minutes), even correctly signed, answers 400 and grants nothing", async () => {
    const before = await balanceOf();
    const event = orderEvent("order.paid");
    const now = Math.floor(Date.now() / 1000);
    const stale = await deliver(w, event, { timestamp: now - 6 * 60 });
    expect(stale.status).toBe(400);
    expect(stale.body.error.message).toMatch(/old/);
    const future = await deliver(w, event, { timestamp: now + 6 * 60 });
    expect(future.status).toBe(400);
    expect(future.body.error.message).toMatch(/future/);
    expect(await balanceOf()).toBe(before);
    expect(grantsOf(event.data.id)).toHaveLength(0);
    // Within the window it is fine.
    expect((await deliver(w, event, { timestamp: now - 4 * 60 })).body.status).toBe("granted");
  });

  test("missing signature headers answer 400", async () => {
    const res = await fetch(`${w.t.baseUrl}${ROUTE}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(orderEvent("order.paid")) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error.message).toContain("webhook-signature");
  });

  test("a body over LEAPOCR_MAX_JSON_BYTES answers 413", async () => {
    const res = await deliver(w, { type: "order.paid", data: { pad: "x".repeat(w.t.server.ctx.config.maxJsonBytes) } });
    expect(res.status).toBe(413);
  });

  test("a signed body that is not a Polar event answers 400", async () => {
    expect((await deliver(w, "not json")).status).toBe(400);
    expect((await deliver(w, { hello: "world" })).status).toBe(400);
  });
});

describe("ignored (200, so Polar does not retry what a retry cannot fix)", () => {
  test("an unknown team, a missing team, an unknown product and other event types grant nothing", async () => {
    const before = await balanceOf();
    const otherBefore = await balanceOf(w.other.teamId);
    const cases: [ReturnType<typeof orderEvent>, RegExp][] = [
      [orderEvent("order.paid", { teamId: "team_does_not_exist" }), /team_does_not_exist.*does not exist/],
      [orderEvent("order.paid", { teamId: null }), /leapocr_team_id/],
      [orderEvent("order.paid", { productId: randomUUID() }), /LEAPOCR_POLAR_PRODUCTS/],
      [orderEvent("order.created"), /order\.created does not move credits/],
      [orderEvent("order.updated", { teamId: w.other.teamId }), /does not move credits/],
    ];
    for (const [event, reason] of cases) {
      const res = await deliver(w, event);
      expect(res.status).toBe(200);
      expect(res.body.status).toBe("ignored");
      expect(res.body.reason).toMatch(reason);
      expect(grantsOf(event.data.id)).toHaveLength(0);
      expect((db().query("SELECT outcome FROM polar_events WHERE webhook_id = ?").get(res.id) as any).outcome).toBe("ignored");
    }
    expect(await balanceOf()).toBe(before);
    expect(await balanceOf(w.other.teamId)).toBe(otherBefore);
  });

  test("the other organization's team gets what its own checkout names, and only that", async () => {
    const before = await balanceOf();
    const otherBefore = await balanceOf(w.other.teamId);
    expect((await deliver(w, orderEvent("order.paid", { teamId: w.other.teamId }))).body).toMatchObject({ status: "granted", team_id: w.other.teamId });
    expect(await balanceOf(w.other.teamId)).toBe(otherBefore + 100);
    expect(await balanceOf()).toBe(before);
  });
});

test("an event ignored for an unmapped product grants when redelivered after the product is added", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "leapocr-polar-"));
  const product = randomUUID();
  try {
    const before = await startTestServer({ polarWebhookSecret: SECRET, polarProducts: `${PRODUCT_100}:100` }, {}, { dataDir, keepData: true });
    const teamId = defaultTeamOf(before).teamId;
    const event = orderEvent("order.paid", { teamId, productId: product });
    const first = await deliver({ t: before }, event);
    await before.close();
    expect(first.body).toMatchObject({ status: "ignored" });
    const after = await startTestServer({ polarWebhookSecret: SECRET, polarProducts: `${PRODUCT_100}:100,${product}:250` }, {}, { dataDir, keepData: true });
    try {
      const redelivered = await deliver({ t: after }, event, { id: first.id });
      expect(redelivered.body).toMatchObject({ status: "granted", credits: 250, team_id: teamId });
      expect((await deliver({ t: after }, event, { id: first.id })).body.status).toBe("duplicate");
      const rows = after.server.ctx.db.$client.query("SELECT outcome FROM polar_events WHERE webhook_id = ?").all(first.id);
      expect(rows).toEqual([{ outcome: "granted" }]);
    } finally {
      await after.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test("refused deliveries count against LEAPOCR_RATE_LIMIT_PER_IP (429 once spent); genuine ones are never refused for it", async () => {
  const t = await startTestServer({ polarWebhookSecret: SECRET, polarProducts: `${PRODUCT_100}:100`, rateLimitPerIp: 3 });
  try {
    const teamId = defaultTeamOf(t).teamId;
    const forged = () => deliver({ t }, orderEvent("order.paid", { teamId }), { key: randomBytes(32) });
    expect([(await forged()).status, (await forged()).status, (await forged()).status]).toEqual([401, 401, 401]);
    const limited = await forged();
    expect(limited.status).toBe(429);
    expect(limited.body.error.message).toContain("refused webhook deliveries");
    expect((await deliver({ t }, orderEvent("order.paid", { teamId }))).body.status).toBe("granted");
  } finally {
    await t.close();
  }
});

describe("off", () => {
  test("without LEAPOCR_POLAR_WEBHOOK_SECRET the route does not exist (404) and is not in the API document", async () => {
    const t = await startTestServer();
    try {
      const body = JSON.stringify(orderEvent("order.paid"));
      const res = await fetch(`${t.baseUrl}${ROUTE}`, { method: "POST", headers: { "content-type": "application/json", "webhook-id": "msg_1", "webhook-timestamp": String(Math.floor(Date.now() / 1000)), "webhook-signature": "v1,AAAA" }, body });
      expect(res.status).toBe(404);
      const doc = (await (await fetch(`${t.baseUrl}/api/v1/docs/openapi.json`)).json()) as any;
      expect(doc.paths[ROUTE]).toBeUndefined();
    } finally {
      await t.close();
    }
  });

  test("with the secret, the route is in the API document with its headers", async () => {
    const doc = (await (await fetch(`${w.t.baseUrl}/api/v1/docs/openapi.json`)).json()) as any;
    const op = doc.paths[ROUTE].post;
    expect(op.parameters.map((p: any) => p.name)).toEqual(["webhook-id", "webhook-timestamp", "webhook-signature"]);
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(["200", "400", "401"]));
  });

  test("a malformed LEAPOCR_POLAR_PRODUCTS stops the start with a message naming it", async () => {
    for (const bad of ["prod_1", "prod_1:0", "prod_1:ten", "prod_1:5,prod_1:6"]) {
      await expect(startTestServer({ polarWebhookSecret: SECRET, polarProducts: bad })).rejects.toThrow(/LEAPOCR_POLAR_PRODUCTS/);
    }
  });
});

describe("signature scheme (pure)", () => {
  const body = new TextEncoder().encode('{"type":"order.paid","data":{}}');
  const headersFor = (key: Buffer, id: string, ts: number) => new Headers({ "webhook-id": id, "webhook-timestamp": String(ts), "webhook-signature": sign(key, id, ts, new TextDecoder().decode(body)) });

  test("a legacy polar_whs_ secret signs with its UTF-8 bytes", () => {
    const secret = `polar_whs_${randomBytes(24).toString("hex")}`;
    expect(verifyStandardWebhook(secret, headersFor(legacyKey(secret), "msg_1", 1_800_000_000), body, 1_800_000_000)).toMatchObject({ ok: true, webhookId: "msg_1" });
    // Standard libraries would base64-decode it: that key is refused.
    expect(verifyStandardWebhook(secret, headersFor(Buffer.from(secret, "base64"), "msg_1", 1_800_000_000), body, 1_800_000_000)).toMatchObject({ ok: false, kind: "bad_signature" });
  });

  test("the signature binds the id and the timestamp", () => {
    const h = headersFor(specKey(SECRET), "msg_1", 1_800_000_000);
    h.set("webhook-id", "msg_2");
    expect(verifyStandardWebhook(SECRET, h, body, 1_800_000_000)).toMatchObject({ ok: false, kind: "bad_signature" });
    const h2 = headersFor(specKey(SECRET), "msg_1", 1_800_000_000);
    h2.set("webhook-timestamp", "1800000001");
    expect(verifyStandardWebhook(SECRET, h2, body, 1_800_000_000)).toMatchObject({ ok: false, kind: "bad_signature" });
  });
});
