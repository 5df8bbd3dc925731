/** Bad filters and cursors on the audit log answer 400 with the LeapOCR error body. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "../../helpers/app";
import { api, seedTenant, type Tenant } from "../../helpers/auth";

let t: TestServer;
let a: Tenant;
beforeAll(async () => {
  t = await startTestServer();
  a = await seedTenant(t, "AuditErr", { useDefault: true });
}, 60_000);
afterAll(() => t.close());

const list = (query: string) => api(t, "GET", `${a.base}/audit-logs${query}`, { session: a.sessions.owner });

describe("audit log filters", () => {
  test("a cursor that was not made by the server answers 400", async () => {
    const res = await list("?cursor=not-a-cursor");
    expect(res.status).toBe(400);
    expect(res.body.code).toBe("BAD_REQUEST");
    expect(res.body.error.message).toContain("cursor");
  });
  test("a time that is neither ISO 8601 nor unix milliseconds answers 400", async () => {
    const res = await list("?from=yesterday");
    expect(res.status).toBe(400);
    expect(res.body.code).toBe("VALIDATION_ERROR");
  });
  test("limit outside 1..200 answers 400", async () => {
    expect((await list("?limit=0")).status).toBe(400);
    expect((await list("?limit=201")).status).toBe(400);
    expect((await list("?limit=abc")).status).toBe(400);
  });
  test("an unknown actor_type answers 400", async () => {
    expect((await list("?actor_type=robot")).status).toBe(400);
  });
  test("an unknown team answers 404", async () => {
    const res = await api(t, "GET", `/api/v1/organizations/${a.orgId}/teams/team_nope/audit-logs`, { session: a.sessions.owner });
    expect(res.status).toBe(404);
    expect(res.body.code).toBe("NOT_FOUND");
  });
});
