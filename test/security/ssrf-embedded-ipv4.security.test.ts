/**
 * Issue 15, finding 1: the address guard judged `::ffff:127.0.0.1` by its dotted spelling only,
 * but `new URL()` rewrites it to `[::ffff:7f00:1]`, which went through to the loopback listener.
 * Every IPv6 form that carries an IPv4 address is judged by that address; the requests below use
 * the spellings `new URL()` produces, and a loopback listener proves nothing reached it.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { assertFetchableUrl, checkFetchableUrl, FetchError, isRefusedAddress } from "../../src/lib/url-fetch";
import { startTestServer, type TestServer } from "../helpers/app";
import { SdkClient } from "../helpers/sdk-client";
import { startReceiver, startWorkspace, type Receiver } from "../modules/jobs/harness";

/** A loopback listener that records every request: the target an attacker wants reached. */
let hits: string[] = [];
let inner: ReturnType<typeof Bun.serve>;
/** An allow-listed host that redirects to the listener through an IPv6 spelling. */
let redirector: ReturnType<typeof Bun.serve>;
beforeAll(() => {
  inner = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: (req) => (hits.push(`${req.method} ${new URL(req.url).pathname}`), new Response("%PDF-1.4 internal")) });
  redirector = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: (req) => new Response(null, { status: 302, headers: { location: `http://[::ffff:127.0.0.1]:${inner.port}${new URL(req.url).pathname}` } }),
  });
});
afterAll(() => {
  inner.stop(true);
  redirector.stop(true);
});

/**
 * Spellings of loopback, private and metadata addresses inside IPv6, as `new URL()` writes them.
 * Only the first three (IPv4-mapped) lead back to this machine's loopback if the guard let them
 * through; the others (translated, compatible, NAT64, 6to4, Teredo, private) would leave the box,
 * so they are judged by the guard directly and never handed to the server in a request.
 */
const MAPPED_TO_LOOPBACK = 3;
const embedded = () => [
  `http://[::ffff:127.0.0.1]:${inner.port}/a.pdf`, // mapped, becomes [::ffff:7f00:1]
  `http://[::ffff:7f00:1]:${inner.port}/a.pdf`,
  `http://[0:0:0:0:0:ffff:127.0.0.1]:${inner.port}/a.pdf`,
  `http://[::ffff:0:127.0.0.1]:${inner.port}/a.pdf`, // translated, [::ffff:0:7f00:1]
  `http://[::127.0.0.1]:${inner.port}/a.pdf`, // compatible, [::7f00:1]
  `http://[64:ff9b::127.0.0.1]:${inner.port}/a.pdf`, // NAT64, [64:ff9b::7f00:1]
  `http://[64:ff9b::169.254.169.254]/latest/meta-data/`,
  `http://[2002:7f00:1::1]:${inner.port}/a.pdf`, // 6to4 of 127.0.0.1
  `http://[2002:a9fe:a9fe::]/latest/meta-data/`, // 6to4 of 169.254.169.254
  `http://[2001:0:4136:e378:8000:63bf:80ff:fffe]:${inner.port}/a.pdf`, // Teredo, client 127.0.0.1 (inverted)
  `http://[::ffff:a00:1]/a.pdf`, // 10.0.0.1
  `http://[::ffff:c0a8:101]/a.pdf`, // 192.168.1.1
];

describe("finding 1: SSRF via IPv4-mapped IPv6", () => {
  test("the guard judges every IPv6 form by the IPv4 address inside it, in the spelling new URL() produces", async () => {
    for (const raw of embedded()) {
      const host = new URL(raw).hostname;
      expect(isRefusedAddress(host.slice(1, -1)), `${raw} -> ${host}`).toBe(true);
      await expect(checkFetchableUrl(raw), raw).rejects.toThrow(FetchError);
      // The webhook and URL-upload validators go through the same guard.
      await expect(assertFetchableUrl(raw), raw).rejects.toThrow("loopback, private");
    }
    // Public addresses in the same forms stay fetchable.
    for (const ip of ["::ffff:808:808", "64:ff9b::808:808", "2002:808:808::1", "2606:4700:4700::1111"]) expect(isRefusedAddress(ip), ip).toBe(false);
  });

  test("a URL upload to [::ffff:7f00:1] is refused and the loopback listener receives nothing", async () => {
    const t = await startTestServer();
    try {
      const client = new SdkClient(t.baseUrl, t.apiKey);
      hits = [];
      for (const url of embedded().slice(0, MAPPED_TO_LOOPBACK)) {
        const res = await client.call("POST", "/ocr/uploads/url", { url, file_name: "a.pdf" });
        expect(res.status, url).toBe(400);
        expect(res.body.code).toBe("BAD_REQUEST");
        expect(res.body.error.message).toContain("loopback, private");
      }
      await Bun.sleep(300);
      expect(hits).toEqual([]);
    } finally {
      await t.close();
    }
  });

  test("a redirect from an allowed host to [::ffff:7f00:1] is refused: the job fails and the listener receives nothing", async () => {
    const t = await startTestServer({ urlAllowHosts: `127.0.0.1:${redirector.port}` });
    try {
      const client = new SdkClient(t.baseUrl, t.apiKey);
      hits = [];
      const res = await client.call("POST", "/ocr/uploads/url", { url: `http://127.0.0.1:${redirector.port}/doc.pdf`, file_name: "doc.pdf" });
      expect(res.status).toBe(200);
      const job = await client.waitForJob(res.body.job_id, 20_000);
      expect(job.status).toBe("failed");
      expect(hits).toEqual([]);
    } finally {
      await t.close();
    }
  });

  describe("webhooks", () => {
    let rx: Receiver;
    beforeAll(() => {
      rx = startReceiver();
    });
    afterAll(() => rx.close());

    test("a webhook URL at [::ffff:7f00:1] is refused when created or changed", async () => {
      const w = await startWorkspace({ urlAllowHosts: rx.hostPort });
      try {
        const port = rx.hostPort.split(":")[1];
        // Mapped forms only: the others are judged by the guard test above (the same guard).
        for (const url of [`http://[::ffff:127.0.0.1]:${port}/hooks`, `http://[::ffff:7f00:1]:${port}/hooks`, `http://[0:0:0:0:0:ffff:127.0.0.1]:${port}/hooks`]) {
          const res = await w.call("POST", "/webhooks", { body: { url, events: ["job.completed"] } });
          expect(res.status, url).toBe(400);
          expect(res.body.code).toBe("BAD_REQUEST");
        }
        const sub = (await w.call("POST", "/webhooks", { body: { url: rx.url, events: ["job.completed"] } })).body;
        const put = await w.call("PUT", `/webhooks/${sub.id}`, { body: { url: `http://[::ffff:7f00:1]:${port}/hooks`, events: ["job.completed"] } });
        expect(put.status).toBe(400);
      } finally {
        await w.close();
      }
    });

    test("a stored webhook at [::ffff:7f00:1] is neither health-checked nor delivered to", async () => {
      const mapped = `[::ffff:7f00:1]:${inner.port}`;
      // The operator once allowed the address (a stored subscription), then took it off the list.
      const w = await startWorkspace({ urlAllowHosts: mapped });
      try {
        const created = await w.call("POST", "/webhooks", { body: { url: `http://${mapped}/hooks`, events: ["job.completed"] } });
        expect(created.status).toBe(201);
        w.t.server.ctx.config.urlAllowHosts = "";
        hits = [];
        const health = await w.call("GET", `/webhooks/${created.body.id}/health`);
        expect(health.status).toBe(200);
        expect(health.body.reachable).toBe(false);
        expect(health.body.error).toContain("loopback, private");
        const sent = await w.call("POST", `/webhooks/${created.body.id}/test`);
        expect(sent.body.success).toBe(false);
        await Bun.sleep(200);
        expect(hits).toEqual([]);
      } finally {
        await w.close();
      }
    });
  });
});
