/**
 * The audit writer: every mutation and security event is recorded here, inside the caller's
 * transaction when there is one, so the record and the change land together or not at all.
 * Never pass document content in metadata.
 */
import type { Db } from "../../db/client";
import { auditLog } from "../../db/schema";
import { newId } from "../../lib/ids";

export interface Actor {
  type: "user" | "api_key" | "system";
  id?: string | null;
  ip?: string | null;
  userAgent?: string | null;
}

export const SYSTEM_ACTOR: Actor = { type: "system", id: "retention" };

export interface AuditEntry {
  teamId: string | null;
  actor: Actor;
  action: string;
  targetType?: string;
  targetId?: string;
  metadata?: Record<string, string | number | boolean | null>;
}

type Writer = Pick<Db, "insert">;

export function recordAudit(db: Writer, entry: AuditEntry, now: number): void {
  db.insert(auditLog)
    .values({
      id: newId("aud"),
      teamId: entry.teamId,
      actorType: entry.actor.type,
      actorId: entry.actor.id ?? null,
      action: entry.action,
      targetType: entry.targetType ?? null,
      targetId: entry.targetId ?? null,
      ip: entry.actor.ip ?? null,
      userAgent: entry.actor.userAgent ?? null,
      metadataJson: entry.metadata ? JSON.stringify(entry.metadata) : null,
      createdAt: now,
    })
    .run();
}
