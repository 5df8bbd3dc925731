import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { assertFetchableUrl, fetchDocumentBytes, FetchError, isRefusedAddress } from "../../src/lib/url-fetch";

let origin: ReturnType<typeof Bun.serve>;
let other: ReturnType<typeof Bun.serve>;
beforeAll(() => {
  other = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("secret internal data") });
  origin = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch(req) {
      const path = new URL(req.url).pathname;
      if (path === "/to-metadata") return Response.redirect("http://169.254.169.254/latest/meta-data/", 302);
      if (path === "/to-internal") return Response.redirect(`http://127.0.0.1:${other.port}/`, 302);
      if (path === "/to-file") return new Response(null, { status: 302, headers: { location: "file:///etc/passwd" } });
      if (path === "/loop") return Response.redirect(`http://127.0.0.1:${origin.port}/loop`, 302);
      if (path === "/big") return new Response(new Uint8Array(2_000_000));
      if (path === "/slow") return new Promise<Response>((r) => setTimeout(() => r(new Response("late")), 2000));
      if (path === "/missing") return new Response("no", { status: 404 });
      return new Response("%PDF-1.4 ok");
    },
  });
});
afterAll(() => {
  origin.stop(true);
  other.stop(true);
});

const allow = () => [`127.0.0.1:${origin.port}`];
const limits = () => ({ maxBytes: 1_000_000, timeoutMs: 1000, allowHosts: allow() });

describe("the address guard", () => {
  test("refuses loopback, private, link-local, metadata and their IPv6 forms", () => {
    for (const ip of ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "::1", "::", "fe80::1", "fd00::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1"]) {
      expect(isRefusedAddress(ip), ip).toBe(true);
    }
    for (const ip of ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111"]) expect(isRefusedAddress(ip), ip).toBe(false);
  });

  test("refuses schemes other than http and https", async () => {
    await expect(assertFetchableUrl("file:///etc/passwd")).rejects.toThrow("Only http and https");
    await expect(assertFetchableUrl("gopher://example.com")).rejects.toThrow(FetchError);
  });

  test("refuses a loopback host that is not on the allow-list", async () => {
    await expect(assertFetchableUrl(`http://127.0.0.1:${origin.port}/a.pdf`)).rejects.toThrow("loopback, private");
    await expect(assertFetchableUrl("http://localhost/a.pdf")).rejects.toThrow("local or metadata");
  });

  test("an allow-listed host is fetched", async () => {
    const bytes = await fetchDocumentBytes(`http://127.0.0.1:${origin.port}/doc.pdf`, limits());
    expect(new TextDecoder().decode(bytes)).toBe("%PDF-1.4 ok");
  });
});

describe("every redirect is checked again", () => {
  test("a redirect to the metadata address is refused", async () => {
    await expect(fetchDocumentBytes(`http://127.0.0.1:${origin.port}/to-metadata`, limits())).rejects.toThrow("169.254.169.254");
  });
  test("a redirect to another loopback port not on the allow-list is refused", async () => {
    await expect(fetchDocumentBytes(`http://127.0.0.1:${origin.port}/to-internal`, limits())).rejects.toThrow("loopback, private");
  });
  test("a redirect to file: is refused", async () => {
    await expect(fetchDocumentBytes(`http://127.0.0.1:${origin.port}/to-file`, limits())).rejects.toThrow("Only http and https");
  });
  test("a redirect loop stops at the limit", async () => {
    await expect(fetchDocumentBytes(`http://127.0.0.1:${origin.port}/loop`, limits())).rejects.toThrow("redirected more than");
  });
});

describe("limits", () => {
  test("a body over the byte limit is cut off", async () => {
    await expect(fetchDocumentBytes(`http://127.0.0.1:${origin.port}/big`, limits())).rejects.toThrow("accepts at most");
  });
  test("a slow server is given up on at the time limit", async () => {
    await expect(fetchDocumentBytes(`http://127.0.0.1:${origin.port}/slow`, { ...limits(), timeoutMs: 200 })).rejects.toThrow("longer than");
  });
  test("an HTTP error is reported with its status", async () => {
    await expect(fetchDocumentBytes(`http://127.0.0.1:${origin.port}/missing`, limits())).rejects.toThrow("HTTP 404");
  });
});
