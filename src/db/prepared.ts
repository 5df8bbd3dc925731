/**
 * Hot queries built and prepared once per database connection. drizzle otherwise builds the
 * SQL text and asks SQLite to prepare it on every call, which the load benchmark's profile
 * showed as the server's largest cost (about 40% of its CPU under 200 clients).
 */
import type { Db } from "./client";

const cache = new WeakMap<Db, Map<string, unknown>>();

export function prepared<T>(db: Db, key: string, build: (db: Db) => T): T {
  let perDb = cache.get(db);
  if (!perDb) cache.set(db, (perDb = new Map()));
  let query = perDb.get(key) as T | undefined;
  if (query === undefined) perDb.set(key, (query = build(db)));
  return query;
}
