/**
 * The repositories' Database on PostgreSQL: drizzle's bun-sql builder over Bun's client, with
 * the generated PostgreSQL tables. Transactions are drizzle's, which run in `sql.begin()` on one
 * reserved connection (Bun refuses a bare BEGIN on its pool). Outside a transaction each
 * statement autocommits on any pooled connection.
 */
import type { SQL } from "bun";
import { drizzle } from "drizzle-orm/bun-sql";
import { preparedCache, type Database, type Prepared, type QueryDb } from "../db/database";
import * as tables from "../db/schema-pg.generated";

export function postgresDatabase(client: SQL): Database {
  const root = drizzle({ client }) as unknown as QueryDb;
  const within = (tx: QueryDb): Database => {
    const inside: Database = {
      dialect: "postgres",
      t: tables,
      run: (fn) => fn(tx),
      transaction: (fn) => fn(inside),
      prepared: (_key, build, values) => build(tx).execute(values),
    };
    return inside;
  };
  const cached = preparedCache<unknown>(root);
  return {
    dialect: "postgres",
    t: tables,
    run: (fn) => fn(root),
    transaction: (fn) => root.transaction((tx) => fn(within(tx as unknown as QueryDb))),
    prepared: <T>(key: string, build: (q: QueryDb) => Prepared<T>, values: Record<string, unknown>) => (cached(key, build) as Prepared<T>).execute(values),
  };
}
