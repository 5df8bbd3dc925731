/**
 * The audit writer: every mutation and security event is recorded, inside the caller's
 * transaction when there is one, so the record and the change land together or not at all.
 * Never pass document content in metadata. And the reader behind the audit log route.
 *
 * Converted modules write through the repository (`auditRepository(tx).record`, tx being their
 * transaction's handle); `recordAudit` is the synchronous writer for the modules still on the
 * SQLite `Db` (auth, members, webhooks, billing), removed when the last of them moves.
 */
import type { Db } from "../../db/client";
import type { Database } from "../../db/database";
import { auditLog } from "../../db/schema";
import { badRequest } from "../../lib/errors";
import { auditRepository, type AuditFilter, type AuditRecord } from "./repository";
import { auditRow, type AuditEntry } from "./entry";

export { SYSTEM_ACTOR, type Actor, type AuditEntry } from "./entry";

type Writer = Pick<Db, "insert">;

export function recordAudit(db: Writer, entry: AuditEntry, now: number): void {
  db.insert(auditLog).values(auditRow(entry, now)).run();
}

const encodeCursor = (row: Pick<AuditRecord, "createdAt" | "id">) => Buffer.from(JSON.stringify([row.createdAt, row.id])).toString("base64url");

function decodeCursor(cursor: string): [number, string] {
  try {
    const value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown;
    if (Array.isArray(value) && typeof value[0] === "number" && typeof value[1] === "string") return [value[0], value[1]];
  } catch {}
  throw badRequest("The cursor is not valid; pass next_cursor from the previous page.");
}

/** One page of a team's log (see auditRepository.list for what a team sees). */
export async function listAudit(db: Database, teamId: string, f: Omit<AuditFilter, "after"> & { cursor?: string }) {
  const { rows, total } = await auditRepository(db).list(teamId, { ...f, after: f.cursor ? decodeCursor(f.cursor) : undefined });
  const hasMore = rows.length > f.limit;
  const data = rows.slice(0, f.limit);
  return { rows: data, hasMore, nextCursor: hasMore ? encodeCursor(data[data.length - 1]!) : null, total };
}
