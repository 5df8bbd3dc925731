/** Values generated at first start and kept in the database, such as the upload signing key. */
import { eq } from "drizzle-orm";
import type { Db } from "./client";
import { serverSecrets } from "./schema";
import { randomToken } from "../lib/crypto";

export function serverSecret(db: Db, name: string, now: number): string {
  const row = db.select().from(serverSecrets).where(eq(serverSecrets.name, name)).get();
  if (row) return row.value;
  db.insert(serverSecrets).values({ name, value: randomToken(32), createdAt: now }).onConflictDoNothing().run();
  return db.select().from(serverSecrets).where(eq(serverSecrets.name, name)).get()!.value;
}
