/**
 * The SQLite store's page claim order: the job with the fewest pages in flight first, then the oldest;
 * a lease that expired makes its page claimable again. Both the indexed path (some job has
 * nothing in flight) and the grouped one (every job has something in flight) are exercised.
 */
import { beforeEach, describe, expect, test } from "bun:test";
import { openDatabase } from "../../src/db/client";
import { migrate } from "../../src/db/migrate";
import { SqliteJobStore } from "../../src/adapters/job-store-sqlite";

let now = 1_000_000;
let store: SqliteJobStore;
let addJob: (id: string, createdAt: number, pages: number, stage?: string) => void;

beforeEach(() => {
  const db = openDatabase(":memory:");
  migrate(db);
  const s = db.$client;
  s.exec("PRAGMA foreign_keys = OFF");
  const insJob = s.query(
    "INSERT INTO jobs (id, team_id, status, stage, file_name, source, model, format, created_at, updated_at) VALUES (?1, 't', 'processing', ?3, 'a.pdf', 'direct', 'standard-v2', 'markdown', ?2, ?2)",
  );
  const insPage = s.query("INSERT INTO pages (id, job_id, page_number, status, attempts) VALUES (?1, ?2, ?3, 'pending', 0)");
  addJob = (id, createdAt, pages, stage = "pages") => {
    insJob.run(id, createdAt, stage);
    for (let n = 1; n <= pages; n++) insPage.run(`${id}-p${n}`, id, n);
  };
  store = new SqliteJobStore(s, { clock: () => now });
});

const claim = async () => {
  const p = await store.claimNextPage("me", 60_000);
  return p ? `${p.jobId}:${p.pageNumber}` : null;
};

describe("claimNextPage", () => {
  test("the oldest job with nothing in flight goes first, page by page in order", async () => {
    addJob("new", 20, 2);
    addJob("old", 10, 2);
    addJob("queued", 5, 3, "queued"); // not split yet: none of its pages are offered
    expect(await claim()).toBe("old:1");
    // "old" now has a page in flight, "new" has none: "new" goes next.
    expect(await claim()).toBe("new:1");
    // Both have one in flight: the oldest again (the grouped path).
    expect(await claim()).toBe("old:2");
    expect(await claim()).toBe("new:2");
    expect(await claim()).toBeNull();
  });

  test("a big job with pages in flight does not hold back a small one that arrives later", async () => {
    addJob("big", 10, 50);
    for (let i = 1; i <= 4; i++) expect(await claim()).toBe(`big:${i}`);
    addJob("small", 30, 1);
    expect(await claim()).toBe("small:1");
    expect(await claim()).toBe("big:5");
  });

  test("an expired lease makes its page claimable again, and does not count as in flight", async () => {
    addJob("a", 10, 1);
    addJob("b", 20, 1);
    expect(await claim()).toBe("a:1");
    now += 61_000; // a:1's lease has expired
    expect(await claim()).toBe("a:1");
    expect(await claim()).toBe("b:1");
    expect(await claim()).toBeNull();
  });
});
