/**
 * The SQLite store's transactions: a throw after an await rolls back every write (drizzle's
 * bun-sqlite `transaction(async ...)` would already have committed at the first await), and
 * two transactions that await in the middle run one after the other, not interleaved.
 */
import { Database } from "bun:sqlite";
import { beforeEach, expect, test } from "bun:test";
import { SqliteTransactor } from "../../src/adapters/sqlite-transactor";

let sqlite: Database;
let tx: SqliteTransactor;
const rows = () => sqlite.query<{ v: string }, []>("SELECT v FROM t ORDER BY rowid").all().map((r) => r.v);
const insert = (v: string) => sqlite.query("INSERT INTO t (v) VALUES (?1)").run(v);

beforeEach(() => {
  sqlite = new Database(":memory:", { strict: true });
  sqlite.exec("CREATE TABLE t (v TEXT)");
  tx = new SqliteTransactor(sqlite);
});

test("a throw after an await inside a store transaction rolls back both writes", async () => {
  const failing = tx.write(async () => {
    insert("first");
    await new Promise((r) => setTimeout(r, 5));
    insert("second");
    throw new Error("boom");
  });
  await expect(failing).rejects.toThrow("boom");
  expect(rows()).toEqual([]);
  expect(sqlite.inTransaction).toBe(false);
  // The lock was handed back: the next transaction runs and commits.
  await tx.write(() => insert("after"));
  expect(rows()).toEqual(["after"]);
});

test("a transaction that awaits holds the others back until it commits", async () => {
  sqlite.exec("CREATE TABLE counter (n INTEGER)");
  sqlite.exec("INSERT INTO counter VALUES (0)");
  const bump = () =>
    tx.write(async () => {
      const { n } = sqlite.query<{ n: number }, []>("SELECT n FROM counter").get()!;
      await new Promise((r) => setTimeout(r, 1));
      sqlite.query("UPDATE counter SET n = ?1").run(n + 1);
    });
  await Promise.all(Array.from({ length: 20 }, bump));
  // Interleaved read-modify-writes would lose updates (and a second BEGIN would throw).
  expect(sqlite.query<{ n: number }, []>("SELECT n FROM counter").get()!.n).toBe(20);
});

test("a read waits for an open transaction instead of seeing its uncommitted rows", async () => {
  let release!: () => void;
  const open = tx.write(async () => {
    insert("pending");
    await new Promise<void>((r) => (release = r));
    throw new Error("rolled back");
  });
  const read = tx.read(rows);
  release();
  await expect(open).rejects.toThrow("rolled back");
  expect(await read).toEqual([]);
});

test("a synchronous transaction commits without yielding to other work", async () => {
  let ranBetween = false;
  queueMicrotask(() => (ranBetween = sqlite.inTransaction));
  await tx.write(() => {
    insert("a");
    insert("b");
  });
  expect(ranBetween).toBe(false);
  expect(rows()).toEqual(["a", "b"]);
});
