/** Issue 15, finding 6: the failed-login limit holds under concurrency. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "../helpers/app";
import { defaultTeamOf, seedUser, TEST_PASSWORD } from "../helpers/auth";

let t: TestServer;
let email: string;
beforeAll(async () => {
  // The per-IP request bucket is off so that only the failed-login throttle (5 in 15 min) decides.
  t = await startTestServer({ loginMaxFailures: 5, rateLimitPerIp: 0 });
  email = (await seedUser(t, defaultTeamOf(t).teamId, "member")).email;
}, 60_000);
afterAll(() => t.close());

describe("finding 6: login throttle race", () => {
  test("100 concurrent logins (99 wrong, 1 right) let at most 5 passwords be checked", async () => {
    const bodies = Array.from({ length: 100 }, (_, i) => ({ email, password: i === 50 ? TEST_PASSWORD : `wrong password ${i}` }));
    const statuses = await Promise.all(
      bodies.map((b) =>
        fetch(`${t.baseUrl}/api/v1/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(b) }).then((r) => r.status),
      ),
    );
    const count = (s: number) => statuses.filter((x) => x === s).length;
    // Before the fix every wrong password was checked: 99 x 401 and 1 x 200.
    expect(count(401) + count(200)).toBeLessThanOrEqual(5);
    expect(count(429)).toBeGreaterThanOrEqual(95);
    expect(count(401) + count(200) + count(429)).toBe(100);
  });
});
