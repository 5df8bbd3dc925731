/**
 * Applies the migrations embedded in the binary. drizzle's bun-sqlite migrator reads a folder
 * from disk, which a compiled executable does not have; we build the same structure it builds
 * (see drizzle-orm/migrator.js readMigrationFiles) from the embedded text and hand it to the
 * dialect. This leans on drizzle internals: drizzle-orm is pinned in package.json for that reason.
 */
import { createHash } from "node:crypto";
import { migrationJournal, migrationSql } from "./migrations.generated";
import type { Db } from "./client";
import { ConfigError } from "../config";

interface MigrationMeta {
  sql: string[];
  bps: boolean;
  folderMillis: number;
  hash: string;
}

export function embeddedMigrations(): MigrationMeta[] {
  return migrationJournal.entries.map((entry) => {
    const query = migrationSql[entry.tag];
    if (query === undefined) throw new Error(`Migration ${entry.tag} is not embedded; run npm run db:generate`);
    return {
      sql: query.split("--> statement-breakpoint"),
      bps: entry.breakpoints,
      folderMillis: entry.when,
      hash: createHash("sha256").update(query).digest("hex"),
    };
  });
}

/**
 * Migrations only move forward. A database already migrated past the last migration this
 * binary carries (a newer leapocr ran on it, then an older one was started) is refused rather
 * than used with a schema the code does not know.
 */
export function assertNotNewerThanBinary(db: Db, migrations: MigrationMeta[] = embeddedMigrations()): void {
  const sqlite = db.$client;
  const table = sqlite.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '__drizzle_migrations'").get();
  if (!table) return;
  const last = sqlite.query<{ created_at: number }, []>("SELECT created_at FROM __drizzle_migrations ORDER BY created_at DESC LIMIT 1").get();
  const known = migrations.at(-1)?.folderMillis ?? 0;
  if (last && Number(last.created_at) > known) {
    throw new ConfigError(
      `This database was migrated by a newer leapocr (its last migration is from ${new Date(Number(last.created_at)).toISOString()}; this binary knows migrations up to ${new Date(known).toISOString()}). ` +
        "Migrations only move forward: run the newer version, or restore the backup taken before the upgrade.",
    );
  }
}

export function migrate(db: Db): void {
  assertNotNewerThanBinary(db);
  const internal = db as unknown as {
    dialect: { migrate(m: MigrationMeta[], session: unknown, config: object): void };
    session: unknown;
  };
  internal.dialect.migrate(embeddedMigrations(), internal.session, { migrationsFolder: "(embedded)" });
}
