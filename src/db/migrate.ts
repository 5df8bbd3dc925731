/**
 * Applies the migrations embedded in the binary. drizzle's bun-sqlite migrator reads a folder
 * from disk, which a compiled executable does not have; we build the same structure it builds
 * (see drizzle-orm/migrator.js readMigrationFiles) from the embedded text and hand it to the
 * dialect. This leans on drizzle internals: drizzle-orm is pinned in package.json for that reason.
 */
import { createHash } from "node:crypto";
import { migrationJournal, migrationSql } from "./migrations.generated";
import type { Db } from "./client";

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

export function migrate(db: Db): void {
  const internal = db as unknown as {
    dialect: { migrate(m: MigrationMeta[], session: unknown, config: object): void };
    session: unknown;
  };
  internal.dialect.migrate(embeddedMigrations(), internal.session, { migrationsFolder: "(embedded)" });
}
