/**
 * Shared set-up of the workspace tests: a real app on a temp dir with real SQLite, a tenant with
 * one user per role (sessions) and keys, a loopback webhook receiver, and small helpers.
 */
import type { Config } from "../../../src/config";
import type { AppDeps } from "../../../src/app";
import { startTestServer, type TestServer } from "../../helpers/app";
import { api, defaultTeamOf, seedKey, seedTenant, type ApiOptions, type Tenant } from "../../helpers/auth";
import { SdkClient } from "../../helpers/sdk-client";
import { digitalPdf, SAMPLE_PAGES } from "../../helpers/fixtures";
import { verifyWebhookSignature } from "../../../src/modules/webhooks/signing";

export interface Received {
  headers: Record<string, string>;
  body: string;
  json: any;
  answered: number;
}

export interface Receiver {
  url: string;
  hostPort: string;
  received: Received[];
  /** Status to answer for the n-th request (0-based); 200 by default. */
  answer: (n: number, r: Received) => number;
  close(): void;
}

export function startReceiver(): Receiver {
  const received: Received[] = [];
  const rec: Receiver = {
    url: "",
    hostPort: "",
    received,
    answer: () => 200,
    close: () => server.stop(true),
  };
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      const body = await req.text();
      let json: unknown = null;
      try {
        json = JSON.parse(body);
      } catch {}
      const r: Received = { headers: Object.fromEntries(req.headers), body, json, answered: 0 };
      r.answered = req.method === "POST" ? rec.answer(received.length, r) : 200;
      if (req.method === "POST") received.push(r);
      return new Response(r.answered < 300 ? "ok" : "nope", { status: r.answered });
    },
  });
  rec.url = `http://127.0.0.1:${server.port}/hooks`;
  rec.hostPort = `127.0.0.1:${server.port}`;
  return rec;
}

export const verify = (secret: string, r: Received) => verifyWebhookSignature(secret, r.headers["x-webhook-timestamp"]!, r.body, r.headers["x-webhook-signature"]!);

export interface Workspace {
  t: TestServer;
  tenant: Tenant;
  /** Another organization's tenant, for isolation tests. */
  other: Tenant;
  client: SdkClient;
  /** Requests with the tenant's owner session (Bearer) unless other credentials are given. */
  call(method: string, path: string, opts?: ApiOptions): ReturnType<typeof api>;
  key(scopes: string): string;
  close(): Promise<void>;
}

export async function startWorkspace(overrides: Partial<Config> = {}, deps: AppDeps = {}): Promise<Workspace> {
  const t = await startTestServer({ webhookRetryBaseMs: 20, webhookPollMs: 20, ...overrides }, deps);
  const tenant = await seedTenant(t, "Acme", { useDefault: true });
  const other = await seedTenant(t, "Other");
  const client = new SdkClient(t.baseUrl, t.apiKey);
  return {
    t,
    tenant,
    other,
    client,
    call: (method, path, opts = {}) => api(t, method, path.startsWith("/api/") ? path : `${tenant.base}${path}`, opts.apiKey || opts.session || opts.cookie ? opts : { ...opts, session: tenant.sessions.owner }),
    key: (scopes) => seedKey(t, defaultTeamOf(t).teamId, { scopes }).secret,
    close: () => t.close(),
  };
}

let pdf: Uint8Array | undefined;
export async function samplePdf(): Promise<Uint8Array> {
  pdf ??= await digitalPdf(SAMPLE_PAGES);
  return pdf;
}

export async function until<T>(what: string, f: () => T | Promise<T>, timeoutMs = 20_000): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(20);
  }
}
