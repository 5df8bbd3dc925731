/**
 * The repositories' Database on SQLite: drizzle's bun-sqlite builder on the HTTP thread's
 * connection, with the SQLite tables. Transactions are `BEGIN IMMEDIATE ... COMMIT` under the
 * connection's async lock (SqliteTransactor), never drizzle's `db.transaction(async ...)`, which
 * commits at the first await on this driver. Statements outside a transaction hold the same lock
 * while they run, so they never slip into a transaction that is awaiting its next statement.
 *
 * Code not yet behind a repository still writes through the synchronous `Db` on the same
 * connection; being synchronous, it cannot run in the middle of anything of its own, but if it
 * ran while a repository transaction awaited, a `db.transaction` of its own would fail loudly
 * ("cannot start a transaction within a transaction") rather than mix the two.
 */
import type { Db } from "../db/client";
import { preparedCache, type Database, type Prepared, type QueryDb, type Tables } from "../db/database";
import * as schema from "../db/schema";
import { SqliteTransactor } from "./sqlite-transactor";

const transactors = new WeakMap<Db, SqliteTransactor>();

/** The lock of this connection: one per connection, whoever asks (two would let BEGIN nest). */
export function transactorOf(db: Db): SqliteTransactor {
  let t = transactors.get(db);
  if (!t) transactors.set(db, (t = new SqliteTransactor(db.$client)));
  return t;
}

export function sqliteDatabase(db: Db): Database {
  const lock = transactorOf(db);
  // The builder is typed for PostgreSQL (see db/database.ts); at run time it is bun-sqlite's,
  // whose awaited queries answer the same shapes (arrays of rows, returning arrays).
  const q = db as unknown as QueryDb;
  const t = schema as unknown as Tables;
  const inside: Database = {
    dialect: "sqlite",
    t,
    run: (fn) => fn(q),
    transaction: (fn) => fn(inside),
    prepared: (_key, build, values) => build(q).execute(values),
  };
  const cached = preparedCache<unknown>(q);
  return {
    dialect: "sqlite",
    t,
    run: (fn) => lock.exclusive(() => fn(q)),
    transaction: (fn) => lock.write(() => fn(inside)),
    prepared: <T>(key: string, build: (q: QueryDb) => Prepared<T>, values: Record<string, unknown>) =>
      lock.exclusive(() => (cached(key, build) as Prepared<T>).execute(values)),
  };
}
