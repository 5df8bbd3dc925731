/**
 * One of the processes of test/adapters/job-store-race.test.ts: claims and completes pages of
 * a shared database until its time is up, making work when there is none (a job is created,
 * uploaded, claimed and split into pages), and prints what it claimed and completed as JSON.
 * Usage: bun job-store-race.worker.ts <sqlite|postgres> <file or url> <owner> <milliseconds>
 */
import { SQL } from "bun";
import type { JobStore } from "../../src/ports/job-store";
import { openDatabase } from "../../src/db/client";
import { SqliteJobStore } from "../../src/adapters/job-store-sqlite";
import { PostgresJobStore } from "../../src/adapters/job-store-postgres";

const [backend, target, owner, ms] = process.argv.slice(2) as [string, string, string, string];
const LEASE = 10 * 60_000; // longer than the run: a second claim of a page could only be a race
const PAGES = 20;

let store: JobStore;
let close: () => Promise<void>;
if (backend === "postgres") {
  const sql = new SQL(target, { max: 2 });
  store = new PostgresJobStore(sql);
  close = () => sql.close();
} else {
  const db = openDatabase(target);
  store = new SqliteJobStore(db.$client);
  close = async () => db.$client.close();
}

const claimed: string[] = [];
const completed: string[] = [];
let jobsCreated = 0;
let jobsSplit = 0;
let jobsFinished = 0;
const end = Date.now() + Number(ms);
while (Date.now() < end) {
  const page = await store.claimNextPage(owner, LEASE);
  if (page) {
    claimed.push(page.pageId);
    await store.completePage(page, owner, { result: `page ${page.pageNumber}`, confidence: 1, width: 1, height: 1, boundingBoxesJson: null, route: owner });
    completed.push(page.pageId);
    if (await store.finishJobIfDone(page.jobId, 1)) jobsFinished++;
    continue;
  }
  const job = await store.claimJobToSplit(owner, LEASE);
  if (job) {
    if (await store.pagesReady(job.id, owner, PAGES, "pdf", 100)) jobsSplit++;
    continue;
  }
  const id = crypto.randomUUID();
  await store.createJob({
    id, teamId: "t1", apiKeyId: null, fileName: "race.pdf", model: "standard-v2", format: "markdown", instructions: null, schemaJson: null,
    extractBoundingBoxes: false, templateId: null, templateSlug: null, requestId: null,
    source: { kind: "direct", declaredContentType: "application/pdf", declaredSize: 100, uploadId: `up-${id}`, uploadParts: 1, uploadExpiresAt: 0 },
  });
  await store.uploadDone(id, 100);
  jobsCreated++;
}
await close();
console.log(JSON.stringify({ owner, claimed, completed, jobsCreated, jobsSplit, jobsFinished }));
