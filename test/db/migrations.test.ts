/**
 * Migrations only move forward, from any schema that has shipped:
 * - for every earlier version k (the first k migrations), a database filled with rows in every
 *   table migrates to the latest with every row and every surviving column value intact and
 *   passes the integrity check; and the server starts on a database at version k and is ready;
 * - shipped migrations are never edited (their SHA-256 is pinned here; add new ones, never
 *   change these), and the journal is numbered in order;
 * - a database migrated by a newer binary is refused, not used.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase, type Db } from "../../src/db/client";
import { embeddedMigrations, migrate } from "../../src/db/migrate";
import { migrationJournal } from "../../src/db/migrations.generated";
import { startTestServer } from "../helpers/app";
import { ConfigError } from "../../src/config";

const root = join(import.meta.dir, "../..");
const work = mkdtempSync(join(tmpdir(), "leapocr-migrations-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The migrations that have shipped; a new migration is added to the journal, never by editing these. */
const SHIPPED: Record<string, string> = {
  "0000_init": "0e8515995b79aef665691576431d8ffb3c910609cfe5b1b9ee385d16b446aaf3",
  "0001_retention_audit": "53599f13f95ab1afa8534b3d24b70bf60134399f92cb9e442f6652061d28501d",
  "0002_model_routes": "c87d8405d81091ee81b929b3b8f310a67bb074160e1087d82f6de204123a22dd",
  "0003_access": "73a46750a94b4e98de3fb66000b0aa27af9b03e915689141992fdae42ccbb904",
  "0004_workspace": "082074543460e330e4280cd560b1d15f1d7e23e41d4c8f68b4cd1fab923bdf3c",
  "0005_ops_request_id": "37513f2bc45cf7d2063a1e8087312a5a90372e8cc3ef139591154ae983bff9fb",
  "0006_queue_index": "c15201736e05c6d98be3d4ab5dd4d99c757df4681a96e4adc20a448c4ba70b54",
};

const all = embeddedMigrations();
const tags = migrationJournal.entries.map((e) => e.tag);

/** A database at version k: the first k migrations applied, through drizzle's own migrator. */
function databaseAt(path: string, k: number): Db {
  const db = openDatabase(path);
  const internal = db as unknown as { dialect: { migrate(m: unknown[], s: unknown, c: object): void }; session: unknown };
  internal.dialect.migrate(all.slice(0, k), internal.session, { migrationsFolder: "(test)" });
  return db;
}

type Row = Record<string, unknown>;
const tablesOf = (sqlite: Database) =>
  sqlite
    .query<{ name: string }, []>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != '__drizzle_migrations' ORDER BY name")
    .all()
    .map((r) => r.name);
const columnsOf = (sqlite: Database, table: string) =>
  sqlite.query<{ name: string; type: string }, []>(`PRAGMA table_info("${table}")`).all();

/** Two rows in every table, every column filled with a value unique to its row and column. */
function seed(sqlite: Database): Map<string, Row[]> {
  const seeded = new Map<string, Row[]>();
  sqlite.exec("PRAGMA foreign_keys = OFF");
  for (const table of tablesOf(sqlite)) {
    const cols = columnsOf(sqlite, table);
    const rows: Row[] = [];
    for (let i = 1; i <= 2; i++) {
      const row: Row = {};
      cols.forEach((c, j) => {
        const type = c.type.toUpperCase();
        row[c.name] = type.includes("INT") ? 1_000_000 * i + j : type.includes("REAL") ? i + j / 10 : `${table}.${c.name}.${i}`;
      });
      sqlite.query(`INSERT INTO "${table}" (${cols.map((c) => `"${c.name}"`).join(", ")}) VALUES (${cols.map(() => "?").join(", ")})`).run(...(cols.map((c) => row[c.name]) as never[]));
      rows.push(row);
    }
    seeded.set(table, rows);
  }
  sqlite.exec("PRAGMA foreign_keys = ON");
  return seeded;
}

describe("upgrading from every earlier schema version", () => {
  for (let k = 1; k < all.length; k++) {
    test(`from ${tags[k - 1]} (the first ${k} migration${k > 1 ? "s" : ""}) to ${tags.at(-1)}: rows survive, checks pass, the server is ready`, async () => {
      const dir = mkdtempSync(join(work, `v${k}-`));
      const path = join(dir, "leapocr.db");
      const old = databaseAt(path, k);
      const seeded = seed(old.$client);
      old.$client.close();

      const db = openDatabase(path);
      migrate(db);
      const sqlite = db.$client;
      expect(sqlite.query<{ n: number }, []>("SELECT count(*) AS n FROM __drizzle_migrations").get()!.n).toBe(all.length);
      expect(sqlite.query("PRAGMA integrity_check").all()).toEqual([{ integrity_check: "ok" }]);
      const now = new Set(tablesOf(sqlite));
      for (const [table, rows] of seeded) {
        if (!now.has(table)) continue; // a table a later migration dropped on purpose
        const cols = columnsOf(sqlite, table).map((c) => c.name).filter((c) => c in rows[0]!);
        const after = sqlite.query<Row, []>(`SELECT ${cols.map((c) => `"${c}"`).join(", ")} FROM "${table}"`).all();
        const project = (r: Row) => JSON.stringify(cols.map((c) => r[c]));
        expect({ table, rows: after.map(project).sort() }).toEqual({ table, rows: rows.map(project).sort() });
      }
      sqlite.close();

      // The server itself upgrades a database left at this version and is ready on it.
      const real = mkdtempSync(join(work, `real${k}-`));
      databaseAt(join(real, "leapocr.db"), k).$client.close();
      const t = await startTestServer({ minFreeDiskMb: 1 }, {}, { dataDir: real });
      try {
        expect((await fetch(`${t.baseUrl}/api/v1/ready`)).status).toBe(200);
      } finally {
        await t.close();
      }
    });
  }
});

test("shipped migrations are unchanged and the journal is in order", () => {
  for (const [tag, sha] of Object.entries(SHIPPED)) {
    expect(tags).toContain(tag);
    const text = readFileSync(join(root, "drizzle", `${tag}.sql`), "utf8");
    expect({ tag, sha: createHash("sha256").update(text).digest("hex") }).toEqual({ tag, sha });
  }
  migrationJournal.entries.forEach((e, i) => {
    expect(e.idx).toBe(i);
    expect(e.tag.startsWith(String(i).padStart(4, "0") + "_")).toBe(true);
    if (i > 0) expect(e.when).toBeGreaterThan(migrationJournal.entries[i - 1]!.when);
  });
  // Every migration the journal lists is embedded in the binary.
  expect(all.length).toBe(migrationJournal.entries.length);
});

test("a database migrated by a newer version is refused with a message saying what to do", () => {
  const path = join(mkdtempSync(join(work, "newer-")), "leapocr.db");
  const db = openDatabase(path);
  migrate(db);
  db.$client.query("INSERT INTO __drizzle_migrations (hash, created_at) VALUES ('future', ?1)").run(all.at(-1)!.folderMillis + 86_400_000);
  expect(() => migrate(db)).toThrow(ConfigError);
  expect(() => migrate(db)).toThrow(/newer leapocr.*restore the backup/);
  db.$client.close();
});
