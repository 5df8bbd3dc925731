/** An audit record as the modules describe it, and the row it is written as (one shape for every writer). */
import { newId } from "../../lib/ids";
import type { AuditActor } from "../../ports/job-store";

/** Who did it (the job store writes the audit rows of job changes with the same shape). */
export type Actor = AuditActor;

export const SYSTEM_ACTOR: Actor = { type: "system", id: "retention" };

export interface AuditEntry {
  teamId: string | null;
  actor: Actor;
  action: string;
  targetType?: string;
  targetId?: string;
  metadata?: Record<string, string | number | boolean | null>;
}

export function auditRow(entry: AuditEntry, now: number) {
  return {
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
  };
}
