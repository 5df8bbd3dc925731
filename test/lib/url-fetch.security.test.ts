import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { assertFetchableUrl, checkFetchableUrl, fetchChecked, fetchDocumentBytes, FetchError, isRefusedAddress } from "../../src/lib/url-fetch";

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

describe("the connection goes to the address that was checked (no DNS rebinding)", () => {
  // pinned.test resolves nowhere on this machine: a request that reaches a server proves it was
  // sent to the address the check answered, not to a second lookup of the name.
  const tlsDir = join(import.meta.dir, "../fixtures/tls");
  let plain: ReturnType<typeof Bun.serve>;
  let secure: ReturnType<typeof Bun.serve>;
  beforeAll(() => {
    const echo = (req: Request) => new Response(`host=${req.headers.get("host")} path=${new URL(req.url).pathname}`);
    plain = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: echo });
    secure = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: echo, tls: { cert: Bun.file(join(tlsDir, "pinned.test.pem")), key: Bun.file(join(tlsDir, "pinned.test.key")) } });
  });
  afterAll(() => {
    plain.stop(true);
    secure.stop(true);
  });

  test("the name is resolved once, every answer is checked, and a refused one stops the fetch", async () => {
    const asked: string[] = [];
    const resolve = async (host: string) => (asked.push(host), ["93.184.216.34", "10.0.0.7"]);
    await expect(checkFetchableUrl("https://rotating.test/a.pdf", [], resolve)).rejects.toThrow("resolves to 10.0.0.7");
    expect(asked).toEqual(["rotating.test"]);
    const ok = await checkFetchableUrl("https://public.test/a.pdf", [], async () => ["2606:4700::1", "93.184.216.34"]);
    expect(ok.address).toBe("93.184.216.34");
    expect((await checkFetchableUrl("https://v6.test/a.pdf", [], async () => ["2606:4700::1"])).address).toBe("2606:4700::1");
    await expect(checkFetchableUrl("https://nowhere.test/a.pdf", [], async () => [])).rejects.toThrow("could not be resolved");
  });

  test("http: sent to the checked address, with the URL's own Host header", async () => {
    const res = await fetchChecked({ url: new URL(`http://pinned.test:${plain.port}/doc.pdf`), address: "127.0.0.1" });
    expect(await res.text()).toBe(`host=pinned.test:${plain.port} path=/doc.pdf`);
  });

  test("https: sent to the checked address, with SNI and the certificate checked against the URL's name", async () => {
    const ca = await Bun.file(join(tlsDir, "ca.pem")).text();
    const res = await fetchChecked({ url: new URL(`https://pinned.test:${secure.port}/doc.pdf`), address: "127.0.0.1" }, { tls: { ca } });
    expect(await res.text()).toBe(`host=pinned.test:${secure.port} path=/doc.pdf`);
    // The same server under another name: its certificate does not match, so nothing is sent.
    const wrong = await fetchChecked({ url: new URL(`https://other.test:${secure.port}/doc.pdf`), address: "127.0.0.1" }, { tls: { ca } }).catch((e: Error) => e);
    expect(wrong).toBeInstanceOf(Error);
    expect(String((wrong as Error).message)).toMatch(/other\.test|altname|certificate/i);
  });

  test("fetchDocumentBytes connects where its resolver pointed, for an operator-trusted name", async () => {
    const asked: string[] = [];
    const bytes = await fetchDocumentBytes(`http://pinned.test:${plain.port}/doc.pdf`, {
      maxBytes: 1000, timeoutMs: 2000, allowHosts: [`pinned.test:${plain.port}`], resolve: async (h) => (asked.push(h), ["127.0.0.1"]),
    });
    expect(new TextDecoder().decode(bytes)).toBe(`host=pinned.test:${plain.port} path=/doc.pdf`);
    expect(asked).toEqual(["pinned.test"]);
  });
});
