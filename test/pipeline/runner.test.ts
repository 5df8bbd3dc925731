import { expect, test } from "bun:test";
import { eq, inArray } from "drizzle-orm";
import { startTestServer } from "../helpers/app";
import { SdkClient } from "../helpers/sdk-client";
import { digitalPdf } from "../helpers/fixtures";
import { jobs } from "../../src/db/schema";

test("with a deep queue of new jobs, the pages of jobs already split keep moving", async () => {
  // Build the backlog with the worker stopped, then start a server on the same data with 20 queued jobs.
  const before = await startTestServer({ pageConcurrency: 1 }, {}, { keepData: true });
  await before.server.runner.stop();
  const pdf = await digitalPdf([{ heading: "Queue", paragraphs: ["One page."] }]);
  const ids: string[] = [];
  const uploader = new SdkClient(before.baseUrl, before.apiKey);
  for (let i = 0; i < 20; i++) ids.push(await uploader.upload(pdf, `q${i}.pdf`));
  await before.close();
  const t = await startTestServer({ pageConcurrency: 1 }, {}, { dataDir: before.dataDir });
  try {
    const client = new SdkClient(t.baseUrl, t.apiKey);
    for (const id of ids) expect((await client.waitForJob(id)).status).toBe("completed");
    const rows = t.server.ctx.db.select().from(jobs).where(inArray(jobs.id, ids)).all();
    const byId = new Map(rows.map((r) => [r.id, r]));
    const first = byId.get(ids[0]!)!;
    const last = byId.get(ids.at(-1)!)!;
    // Splitting everything first would finish the first job only after the last one was split.
    expect(first.completedAt!).toBeLessThan(last.startedAt!);
    expect(t.server.ctx.db.select().from(jobs).where(eq(jobs.stage, "queued")).all()).toHaveLength(0);
  } finally {
    await t.close();
  }
}, 180_000); // 20 jobs read one page at a time: over the suite's 60 s default on a loaded 2-core machine
