import { Database } from "bun:sqlite";
import { drizzle, type BunSQLiteDatabase } from "drizzle-orm/bun-sqlite";
import * as schema from "./schema";

export type Db = BunSQLiteDatabase<typeof schema> & { $client: Database };

/**
 * One connection in WAL mode; SQLite serialises writers, busy_timeout absorbs short waits. The
 * job store's worker thread opens a second connection with the same settings (openSqlite).
 */
export function openDatabase(path: string): Db {
  const db = drizzle(openSqlite(path), { schema }) as Db;
  // drizzle begins transactions DEFERRED: one that reads, then writes while another connection
  // (the job store's thread, the CLI) holds or has just taken the write lock fails at once with
  // SQLITE_BUSY, without the busy timeout (SQLite cannot wait there without risking a deadlock).
  // IMMEDIATE takes the write lock at BEGIN, where the busy timeout applies.
  const transaction = db.transaction.bind(db);
  db.transaction = ((fn, config) => transaction(fn, { behavior: "immediate", ...config })) as Db["transaction"];
  return db;
}

/** A bun:sqlite connection with the server's settings (WAL, busy timeout, foreign keys, secure delete). */
export function openSqlite(path: string): Database {
  const sqlite = new Database(path, { create: true, strict: true });
  sqlite.exec("PRAGMA journal_mode = WAL");
  sqlite.exec("PRAGMA synchronous = NORMAL");
  sqlite.exec("PRAGMA busy_timeout = 5000");
  sqlite.exec("PRAGMA foreign_keys = ON");
  // Deleted rows are overwritten with zeros, not just unlinked: a deleted job's text must not stay
  // readable in free pages of the file (issue 15, finding 5). See forgetDeleted for the WAL.
  sqlite.exec("PRAGMA secure_delete = ON");
  return sqlite;
}

/**
 * After content was deleted: the WAL still holds the pages as they were before (and a reused WAL
 * keeps old frames past its new end), so copy the log into the database and cut it to zero bytes.
 * Answers false when a reader of another connection kept the checkpoint from finishing.
 */
export function forgetDeleted(sqlite: Database): boolean {
  const row = sqlite.query<{ busy: number }, []>("PRAGMA wal_checkpoint(TRUNCATE)").get();
  return (row?.busy ?? 0) === 0;
}
