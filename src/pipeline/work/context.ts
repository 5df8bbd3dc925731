/** What every part of the worker (split, pages, extraction) works with. */
import type { JobStore } from "../../ports/job-store";
import type { StoragePort } from "../../ports/storage";
import type { ModelCatalog } from "../../ports/model";
import type { Logger } from "../../lib/logger";
import type { DocumentLimits } from "../document";
import type { LeaseKeeper } from "./leases";
import type { OpenDocuments } from "./documents";

export interface RunnerObserver {
  pageStarted(): void;
  /** released: given back unfinished at shutdown, for the next process to take. */
  pageEnded(outcome: "completed" | "failed" | "released", seconds: number): void;
}

export interface WorkContext {
  store: JobStore;
  storage: StoragePort;
  models: ModelCatalog;
  limits: DocumentLimits & { maxFileBytes: number };
  leaseMs: number;
  logger: Logger;
  /** Leases this process holds; its `owner` is the name every claim and write uses. */
  leases: LeaseKeeper;
  documents: OpenDocuments;
  /** Downloads a URL job's document (with the address guard). */
  fetchDocument: (url: string) => Promise<Uint8Array>;
  /** Called when a job ends (completed or failed); its webhook event is already queued with the change. */
  onJobFinished?: (jobId: string) => void;
  /** A job's pages were written: other workers (other replicas too) may take them. */
  onWorkQueued?: () => void;
  observer?: RunnerObserver;
}
