/**
 * The test-wide guard (test/helpers/net-guard.ts, preloaded by bunfig.toml) lets tests reach
 * loopback only. Its refusals are proven on a loopback decoy the guard is told to treat as
 * outside (treatAsOutside), so no test hands anything a public address: were the guard broken,
 * the connection would still only reach the decoy.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import net from "node:net";
import http from "node:http";
import { forgetOutside, isLoopbackHost, takeOffenders, treatAsOutside } from "../helpers/net-guard";
import { startWorkspace, type Workspace } from "../modules/jobs/harness";

let loop: ReturnType<typeof Bun.serve>;
let decoy: ReturnType<typeof Bun.serve>;
let outside: string;
beforeAll(() => {
  loop = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("ok") });
  decoy = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("ok") });
  outside = `127.0.0.1:${decoy.port}`;
  treatAsOutside(outside);
});
afterAll(() => {
  forgetOutside();
  loop.stop(true);
  decoy.stop(true);
});

describe("the test suite connects to loopback only", () => {
  test("loopback addresses and names pass, everything else is refused", () => {
    for (const h of ["127.0.0.1", "127.9.9.9", "::1", "[::1]", "[::ffff:7f00:1]", "localhost", "a.localhost", "hooks.example.invalid"]) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ["93.184.216.34", "192.0.2.1", "10.0.0.1", "::", "2606:4700::1", "example.com", "s3.amazonaws.com", "[::7f00:1]", "64:ff9b::7f00:1", "2002:7f00:1::1", "::ffff:0:7f00:1"]) expect(isLoopbackHost(h), h).toBe(false);
  });

  test("fetch, node:net, node:http and Bun.connect are refused outside loopback and recorded", async () => {
    expect((await fetch(`http://127.0.0.1:${loop.port}/`)).status).toBe(200);
    await expect(fetch(`http://${outside}/x`)).rejects.toThrow("net-guard");
    expect(() => net.createConnection({ host: "127.0.0.1", port: decoy.port! })).toThrow("net-guard");
    expect(() => http.get(`http://${outside}/x`)).toThrow("net-guard");
    await expect(Bun.connect({ hostname: "127.0.0.1", port: decoy.port!, socket: { data() {} } })).rejects.toThrow("net-guard");
    const recorded = takeOffenders();
    expect(recorded.length).toBe(4);
    expect(recorded.every((m) => m.includes(outside))).toBe(true);
  });

  test("a server's connection it swallows itself (a webhook test delivery) is still caught", async () => {
    const w: Workspace = await startWorkspace({ urlAllowHosts: outside });
    try {
      // The server's own SSRF guard lets the allow-listed decoy through; the test guard must refuse it.
      const sub = await w.call("POST", "/webhooks", { body: { url: `http://${outside}/hook`, events: ["job.completed"] } });
      expect(sub.status).toBe(201);
      const res = await w.call("POST", `/webhooks/${sub.body.id}/test`);
      expect(res.body.success).toBe(false);
      const recorded = takeOffenders();
      expect(recorded.some((m) => m.includes(outside))).toBe(true);
    } finally {
      await w.close();
    }
  });
});
