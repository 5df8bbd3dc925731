/**
 * API keys resolved on this connection a moment ago, so that a status poll does not pay a SHA-256
 * and a three-table join on every request (the lookup was ~14% of the HTTP thread's CPU samples
 * under the load bench: with the job store's thread committing all the time, each read starts
 * with a cold page cache).
 *
 * Access must still end at once when a key is revoked, its creator removed, demoted or disabled.
 * Every one of those writes goes through the server's own connection (the HTTP thread's: the job
 * store's thread never writes keys, memberships or users; the CLI only adds rows), so an entry is
 * used only while that connection has written nothing since the entry was read: SQLite's
 * `total_changes()` counts every row this connection inserted, updated or deleted, whatever the
 * table and whoever wrote the code. Any write drops the whole cache (under SDK traffic the
 * connection writes a key's last-used time once a minute, little else). An entry also lives at
 * most `TTL_MS`, which bounds what a write by another process (a person with the sqlite3 shell)
 * could leave visible. Only keys that verified are kept, under their exact secret.
 */
import type { Db } from "../../db/client";

/** Longest an entry is trusted without a write on this connection. */
export const KEY_CACHE_TTL_MS = 1_000;
/** More distinct keys than this in one second: start over rather than grow. */
const MAX_ENTRIES = 1_000;

export type CachedKeyRow = {
  id: string; teamId: string; expiresAt: number | null; lastUsedAt: number | null; scopes: string;
  createdBy: string | null; creatorRole: string | null; creatorDisabledAt: number | null;
};

type Entry = { row: CachedKeyRow; changes: number; at: number };

class KeyCache {
  private readonly entries = new Map<string, Entry>();
  private readonly totalChanges: () => number;
  private seenChanges = -1;

  constructor(db: Db) {
    const statement = db.$client.query<{ n: number }, []>("SELECT total_changes() AS n");
    this.totalChanges = () => statement.get()!.n;
  }

  /** The row read for `secret` if nothing was written on the connection since and it is fresh. */
  get(secret: string, now: number): CachedKeyRow | null {
    const changes = this.totalChanges();
    if (changes !== this.seenChanges) {
      this.entries.clear();
      this.seenChanges = changes;
      return null;
    }
    const entry = this.entries.get(secret);
    if (!entry) return null;
    if (entry.changes !== changes || now < entry.at || now - entry.at >= KEY_CACHE_TTL_MS) {
      this.entries.delete(secret);
      return null;
    }
    return entry.row;
  }

  /** Keeps a row just read (and the writes this code made after reading it, already counted). */
  put(secret: string, row: CachedKeyRow, now: number): void {
    const changes = this.totalChanges();
    if (changes !== this.seenChanges) {
      this.entries.clear();
      this.seenChanges = changes;
    }
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
    this.entries.set(secret, { row, changes, at: now });
  }
}

const caches = new WeakMap<Db, KeyCache>();

export function keyCacheOf(db: Db): KeyCache {
  let cache = caches.get(db);
  if (!cache) caches.set(db, (cache = new KeyCache(db)));
  return cache;
}
