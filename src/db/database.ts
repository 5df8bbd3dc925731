/**
 * The database as the modules' repositories see it, on either engine: SQLite (the embedded
 * default) or PostgreSQL (replicas). A repository is written once, with drizzle's query builder,
 * and awaits every query; the same code runs on both because
 * - `t` holds the tables of the engine in use (schema.ts or schema-pg.generated.ts: the same
 *   names, columns and JS row types, test/db/schema-dialects.test.ts holds that);
 * - queries are typed against the PostgreSQL builder, which has no synchronous `.get()`,
 *   `.all()` or `.run()`, so the compiler refuses SQLite-only calls; the few PostgreSQL-only ones
 *   (`.for("update")`, `db.execute`) fail on SQLite in the tests, which run every module there.
 *
 * Rules (test/db/repository.contract.test.ts proves them on both engines):
 * - rows changed: ask `.returning({ id })` and count, never the driver's result object;
 * - aggregates written in `sql` come back from PostgreSQL as strings (int8, numeric): give them
 *   `.mapWith(Number)`, or use drizzle's count();
 * - booleans are columns, never summed or compared as 0/1 in SQL text (PostgreSQL has a boolean
 *   type); a count of true values is `count(*) filter (where ...)`, which both engines read;
 * - text matching and JSON fields differ between engines: use `containsText` and `jsonField`;
 * - several statements that must land together go in `transaction`, whose callback receives the
 *   handle to use inside it (never the outer one: on SQLite that waits for itself forever).
 */
import { sql, type Column, type SQL } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import type * as tables from "./schema-pg.generated";

export type Tables = typeof tables;
/** drizzle's query builder, typed for PostgreSQL whatever the engine (see above). */
export type QueryDb = PgDatabase<PgQueryResultHKT>;
export type Dialect = "sqlite" | "postgres";

export interface Database {
  readonly dialect: Dialect;
  readonly t: Tables;
  /**
   * Statements outside a transaction: `fn` gets the query builder. On SQLite, a transaction of
   * this connection never interleaves with `fn` (each waits for the other), so a statement here
   * can never land inside someone else's transaction. Inside a transaction: joins it.
   */
  run<T>(fn: (q: QueryDb) => Promise<T>): Promise<T>;
  /** `fn`'s statements commit together, or none do (it threw). Nested: joins the outer one. */
  transaction<T>(fn: (tx: Database) => Promise<T>): Promise<T>;
  /**
   * A hot read: `build` answers drizzle's `.prepare(key)` of a query with `sql.placeholder`s; it
   * is built once per connection and run with `values` (drizzle otherwise builds the SQL text on
   * every call, the server's largest cost under load before, see db/prepared.ts). Inside a
   * transaction it is built on the transaction's connection each time.
   */
  prepared<T>(key: string, build: (q: QueryDb) => Prepared<T>, values: Record<string, unknown>): Promise<T>;
}

export interface Prepared<T> {
  execute(values?: Record<string, unknown>): Promise<T>;
}

/** Prepared queries of one connection (a Database outside any transaction), by key. */
export function preparedCache<T>(q: QueryDb): (key: string, build: (q: QueryDb) => Prepared<T>) => Prepared<T> {
  const cache = new Map<string, Prepared<T>>();
  return (key, build) => {
    let p = cache.get(key);
    if (!p) cache.set(key, (p = build(q)));
    return p;
  };
}

/** `column` contains `text` (case-insensitively for ASCII on both engines; % and _ match themselves). */
export function containsText(db: Database, column: Column | SQL, text: string): SQL {
  const pattern = `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return db.dialect === "postgres" ? sql`${column} ILIKE ${pattern} ESCAPE '\\'` : sql`${column} LIKE ${pattern} ESCAPE '\\'`;
}

/** The text of a top-level field of a JSON object stored as text (null when absent). */
export function jsonField(db: Database, column: Column, key: string): SQL<string | null> {
  if (!/^[a-z_][a-z0-9_]*$/i.test(key)) throw new Error(`jsonField: ${key} is not a plain key`);
  return db.dialect === "postgres" ? sql<string | null>`(${column}::json ->> ${sql.raw(`'${key}'`)})` : sql<string | null>`json_extract(${column}, ${sql.raw(`'$.${key}'`)})`;
}
