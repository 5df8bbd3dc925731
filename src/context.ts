/** Everything the modules share, built once by createApp from the Config and the adapters. */
import type { Config } from "./config";
import type { Db } from "./db/client";
import type { Database } from "./db/database";
import type { StoragePort } from "./ports/storage";
import type { JobStore } from "./ports/job-store";
import type { ModelRegistry } from "./adapters/router";
import type { Logger } from "./lib/logger";

export interface AppContext {
  config: Config;
  /** The SQLite connection of the modules not yet behind a repository (synchronous drizzle). */
  db: Db;
  /** What repositories run on: the same database, either engine (src/db/database.ts). */
  data: Database;
  storage: StoragePort;
  /** The one writer of jobs, pages, their charges and refunds, and their webhook events. */
  jobStore: JobStore;
  models: ModelRegistry;
  logger: Logger;
  clock: () => number;
  /** Tells the worker that new work is queued. */
  wakeWorkers: () => void;
  /** The address of the socket a request came in on (the app's own server's answer), null when unknown. */
  peerAddress?: (request: Request) => string | null;
  /** An upload has started (its declared content type; null for a URL): get ready to read it. */
  expectDocument: (contentType: string | null) => void;
}
