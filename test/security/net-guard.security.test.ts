/**
 * The test-wide guard (test/helpers/net-guard.ts, preloaded by bunfig.toml) lets tests reach
 * loopback only. 192.0.2.1 (TEST-NET-1) is never routed; the guard refuses it before any packet.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import net from "node:net";
import http from "node:http";
import { isLoopbackHost, takeOffenders } from "../helpers/net-guard";
import { startWorkspace, type Workspace } from "../modules/jobs/harness";

let loop: ReturnType<typeof Bun.serve>;
beforeAll(() => {
  loop = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("ok") });
});
afterAll(() => loop.stop(true));

describe("the test suite connects to loopback only", () => {
  test("loopback addresses and names pass, everything else is refused", () => {
    for (const h of ["127.0.0.1", "127.9.9.9", "::1", "[::1]", "[::ffff:7f00:1]", "localhost", "a.localhost", "hooks.example.invalid"]) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ["93.184.216.34", "192.0.2.1", "10.0.0.1", "::", "2606:4700::1", "example.com", "s3.amazonaws.com"]) expect(isLoopbackHost(h), h).toBe(false);
  });

  test("fetch, node:net, node:http and Bun.connect are refused outside loopback and recorded", async () => {
    expect((await fetch(`http://127.0.0.1:${loop.port}/`)).status).toBe(200);
    await expect(fetch("http://192.0.2.1/x")).rejects.toThrow("net-guard");
    expect(() => net.createConnection({ host: "192.0.2.1", port: 80 })).toThrow("net-guard");
    expect(() => http.get("http://192.0.2.1/x")).toThrow("net-guard");
    await expect(Bun.connect({ hostname: "192.0.2.1", port: 80, socket: { data() {} } })).rejects.toThrow("net-guard");
    const recorded = takeOffenders();
    expect(recorded.length).toBe(4);
    expect(recorded.every((m) => m.includes("192.0.2.1"))).toBe(true);
  });

  test("a server's connection it swallows itself (a webhook test delivery) is still caught", async () => {
    const w: Workspace = await startWorkspace();
    try {
      // Stored as if the operator's DNS had once allowed it: the guard in the server lets public addresses through.
      const sub = await w.call("POST", "/webhooks", { body: { url: "http://192.0.2.1/hook", events: ["job.completed"] } });
      expect(sub.status).toBe(201);
      const res = await w.call("POST", `/webhooks/${sub.body.id}/test`);
      expect(res.body.success).toBe(false);
      const recorded = takeOffenders();
      expect(recorded.some((m) => m.includes("192.0.2.1"))).toBe(true);
    } finally {
      await w.close();
    }
  });
});
