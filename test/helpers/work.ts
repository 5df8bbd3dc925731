/**
 * A worker's parts on real infrastructure, without the HTTP app: the SQLite job store on a temp
 * database, local-disk storage, the real model catalog (offline engine, or a config file's routes
 * on a loopback model server), the real lease keeper and open documents. Tests create jobs
 * through the store as the SDK routes do, then call split / pages / extraction themselves.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../../src/db/client";
import { migrate } from "../../src/db/migrate";
import { SqliteJobStore } from "../../src/adapters/job-store-sqlite";
import { LocalStorage } from "../../src/adapters/storage-local";
import { OfflineRoute } from "../../src/adapters/model-offline";
import { buildModels, parseConfigFile } from "../../src/config-file";
import { silentLogger } from "../../src/lib/logger";
import { fetchDocumentBytes } from "../../src/lib/url-fetch";
import { holdRenderPool } from "../../src/pipeline/document";
import { LeaseKeeper } from "../../src/pipeline/work/leases";
import { OpenDocuments, sourceKey } from "../../src/pipeline/work/documents";
import type { WorkContext } from "../../src/pipeline/work/context";
import type { ClaimedJob, ClaimedPage, NewJob } from "../../src/ports/job-store";
import type { ResultFormat } from "../../src/ports/model";

export const TEAM = "team-work";

export interface JobRow {
  stage: string;
  status: string;
  total_pages: number | null;
  processed_pages: number;
  failed_pages: number;
  credits_used: number;
  error_message: string | null;
  structured_result: string | null;
  lease_owner: string | null;
  lease_expires_at: number | null;
}

export interface PageRow {
  page_number: number;
  status: string;
  result: string | null;
  error_message: string | null;
  lease_owner: string | null;
  lease_expires_at: number | null;
}

export interface WorkHarness {
  ctx: WorkContext;
  store: SqliteJobStore;
  /** Jobs whose end onJobFinished reported, in order. */
  finished: string[];
  /** Another process's lease keeper on the same database (a second worker). */
  otherWorker(): WorkContext;
  /** A job as the SDK routes create it, its file stored and queued for a worker. */
  queueJob(bytes: Uint8Array | null, o?: { format?: ResultFormat; model?: string; schema?: object; url?: string }): Promise<string>;
  claimJob(): Promise<ClaimedJob>;
  claimPages(): Promise<ClaimedPage[]>;
  job(id: string): JobRow;
  pages(id: string): PageRow[];
  close(): Promise<void>;
}

export async function workHarness(o: { modelConfig?: unknown; leaseMs?: number; clock?: () => number; maxFileBytes?: number } = {}): Promise<WorkHarness> {
  const dir = mkdtempSync(join(tmpdir(), "leapocr-work-"));
  const db = openDatabase(join(dir, "leapocr.db"));
  migrate(db);
  const sqlite = db.$client;
  sqlite.query("INSERT INTO organizations (id, name, created_at) VALUES ('org', 'Org', 0)").run();
  sqlite.query("INSERT INTO teams (id, organization_id, name, created_at) VALUES (?1, 'org', ?1, 0)").run(TEAM);
  const store = new SqliteJobStore(sqlite, { clock: o.clock ?? Date.now });
  const storage = new LocalStorage(join(dir, "files"), "work-test-signing-key");
  const offline = new OfflineRoute({ ocrDpi: 150, ocrWorkers: 1, ocrLangs: ["eng"] });
  const models = buildModels(o.modelConfig ? parseConfigFile(o.modelConfig) : null, offline, { pageConcurrency: 2, logger: silentLogger, sleep: async () => {} }).registry;
  const releaseRenderPool = holdRenderPool();
  const leaseMs = o.leaseMs ?? 60_000;
  const limits = { maxPages: 50, maxPagePixels: 50_000_000, maxFileBytes: o.maxFileBytes ?? 20_000_000 };
  const finished: string[] = [];
  const workers: WorkContext[] = [];
  const worker = (): WorkContext => {
    const ctx: WorkContext = {
      store, storage, models, limits, leaseMs, logger: silentLogger,
      leases: new LeaseKeeper({ store, leaseMs, logger: silentLogger }),
      documents: new OpenDocuments(storage, limits),
      fetchDocument: (url) => fetchDocumentBytes(url, { maxBytes: limits.maxFileBytes, timeoutMs: 10_000, allowHosts: ["127.0.0.1"] }),
      onJobFinished: (id) => finished.push(id),
    };
    workers.push(ctx);
    return ctx;
  };
  const ctx = worker();
  const row = <T>(sql: string, id: string) => sqlite.query<T, [string]>(sql).get(id)!;
  return {
    ctx,
    store,
    finished,
    otherWorker: worker,
    async queueJob(bytes, j = {}) {
      const id = crypto.randomUUID();
      const job: NewJob = {
        id, teamId: TEAM, apiKeyId: null, fileName: "doc.pdf", model: j.model ?? "standard-v2", format: j.format ?? "markdown",
        instructions: null, schemaJson: j.schema ? JSON.stringify(j.schema) : null, extractBoundingBoxes: false, templateId: null,
        templateSlug: null, requestId: null,
        source: j.url ? { kind: "url", url: j.url } : { kind: "direct", declaredContentType: "application/pdf", declaredSize: bytes?.length ?? 0, uploadId: "up-1", uploadParts: 1, uploadExpiresAt: Date.now() + 3_600_000 },
      };
      await store.createJob(job);
      if (!j.url) {
        if (bytes) await storage.put(sourceKey(id), bytes);
        if (!(await store.claimUpload(id, "up-1")) || !(await store.uploadDone(id, bytes?.length ?? 0))) throw new Error("upload not accepted");
      }
      return id;
    },
    async claimJob() {
      const job = await store.claimJobToSplit(ctx.leases.owner, leaseMs);
      if (!job) throw new Error("no job to split");
      return job;
    },
    async claimPages() {
      const out: ClaimedPage[] = [];
      for (let p = await store.claimNextPage(ctx.leases.owner, leaseMs); p; p = await store.claimNextPage(ctx.leases.owner, leaseMs)) out.push(p);
      return out;
    },
    job: (id) => row<JobRow>("SELECT * FROM jobs WHERE id = ?1", id),
    pages: (id) => sqlite.query<PageRow, [string]>("SELECT * FROM pages WHERE job_id = ?1 ORDER BY page_number").all(id),
    async close() {
      for (const w of workers) {
        if (!w.leases.stopped) await w.leases.releaseAll();
        w.documents.closeAll();
      }
      await models.close();
      await releaseRenderPool();
      sqlite.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
