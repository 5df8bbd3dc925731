/** Issue 15, finding 10: the live event stream ends with the access that opened it. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "../../helpers/app";
import { api, login, seedTenant, seedUser, type Tenant } from "../../helpers/auth";

let t: TestServer;
let a: Tenant;
let offset = 0;
beforeAll(async () => {
  t = await startTestServer({ streamRecheckSeconds: 1, sessionIdleMinutes: 30 }, { clock: () => Date.now() + offset });
  a = await seedTenant(t, "Stream", { useDefault: true });
}, 60_000);
afterAll(() => t.close());

/** Opens the stream and reads it in the background; `ended` settles with everything read once the server closes it. */
async function openStream(headers: Record<string, string>) {
  const res = await fetch(`${t.baseUrl}${a.base}/jobs/events`, { headers });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let text = "";
  const ended = (async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return text;
      text += dec.decode(value);
    }
  })();
  return { ended, cancel: () => reader.cancel().catch(() => {}), text: () => text };
}

/** The stream's text when it ended within `ms`, or null when it was still open. */
async function endsWithin(s: Awaited<ReturnType<typeof openStream>>, ms: number): Promise<string | null> {
  const out = await Promise.race([s.ended, Bun.sleep(ms).then(() => null)]);
  if (out === null) await s.cancel();
  return out;
}

async function freshMember() {
  const u = await seedUser(t, a.teamId, "member");
  return { user: u, session: await login(t, u.email, u.password) };
}

describe("finding 10: the live event stream ends when the session or the membership ends", () => {
  test("a stream stays open while access lasts", async () => {
    const m = await freshMember();
    const s = await openStream({ authorization: `Bearer ${m.session.token}` });
    expect(await endsWithin(s, 2500)).toBeNull();
    expect(s.text()).toContain(": connected");
  });

  test("logout ends the stream (cookie, as the browser holds it)", async () => {
    const m = await freshMember();
    const s = await openStream({ cookie: `leapocr_session=${m.session.token}` });
    expect((await api(t, "POST", "/api/v1/auth/logout", { session: m.session })).status).toBe(200);
    const text = await endsWithin(s, 5000);
    expect(text).not.toBeNull();
    expect(text).toContain("event: end");
  });

  test("removal from the team ends the stream", async () => {
    const m = await freshMember();
    const s = await openStream({ authorization: `Bearer ${m.session.token}` });
    expect((await api(t, "DELETE", `${a.base}/members/${m.user.id}`, { session: a.sessions.admin })).status).toBe(200);
    expect(await endsWithin(s, 5000)).toContain("event: end");
  });

  test("an idle session ends the stream: the open stream is not activity", async () => {
    const m = await freshMember();
    const s = await openStream({ authorization: `Bearer ${m.session.token}` });
    offset += 31 * 60_000;
    try {
      expect(await endsWithin(s, 5000)).toContain("event: end");
      expect((await api(t, "GET", "/api/v1/auth/verify", { session: m.session })).status).toBe(401);
    } finally {
      offset = 0;
    }
  });

  test("a key's stream ends when its creator is removed", async () => {
    const m = await freshMember();
    const key = (await api(t, "POST", `${a.base}/api-keys`, { session: m.session, body: { name: "stream key" } })).body.key as string;
    const s = await openStream({ "x-api-key": key });
    expect((await api(t, "DELETE", `${a.base}/members/${m.user.id}`, { session: a.sessions.owner })).status).toBe(200);
    expect(await endsWithin(s, 5000)).toContain("event: end");
  });
});
