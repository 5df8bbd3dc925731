/** Team retention settings: on by default, 7 days; 0 days means clean up right after processing. */
import { eq, sql } from "drizzle-orm";
import { prepared } from "../../db/prepared";
import type { AppContext } from "../../context";
import { teamSettings } from "../../db/schema";
import { recordAudit, type Actor } from "../audit/service";

export const DEFAULT_RETENTION = { autoDeleteEnabled: true, retentionPeriodDays: 7 };

export interface Retention {
  autoDeleteEnabled: boolean;
  retentionPeriodDays: number;
}

export function teamRetention(ctx: Pick<AppContext, "db">, teamId: string): Retention & { createdAt: number | null; updatedAt: number | null } {
  const query = prepared(ctx.db, "settings.byTeam", (d) => d.select().from(teamSettings).where(eq(teamSettings.teamId, sql.placeholder("teamId"))).prepare());
  const row = query.get({ teamId });
  return row ?? { ...DEFAULT_RETENTION, createdAt: null, updatedAt: null };
}

export function describeRetention(r: Retention, graceSeconds: number): string {
  if (!r.autoDeleteEnabled) return "Documents and results are kept until someone deletes them.";
  if (r.retentionPeriodDays === 0) {
    const grace = graceSeconds >= 3600 ? `${Math.round(graceSeconds / 3600)} hour(s)` : `${Math.round(graceSeconds / 60)} minute(s)`;
    return `Uploaded files and page images are deleted as soon as processing ends; results are deleted once read in full, and at the latest ${grace} after processing.`;
  }
  return `Uploaded files, page images and results are deleted ${r.retentionPeriodDays} day(s) after processing ends.`;
}

function toResponse(ctx: AppContext, teamId: string) {
  const r = teamRetention(ctx, teamId);
  const created = new Date(r.createdAt ?? ctx.clock()).toISOString();
  return {
    team_id: teamId,
    config: { auto_delete_enabled: r.autoDeleteEnabled, retention_period_days: r.retentionPeriodDays },
    description: describeRetention(r, ctx.config.retentionGraceSeconds),
    created_at: created,
    updated_at: r.updatedAt ? new Date(r.updatedAt).toISOString() : created,
  };
}

export function getTeamSettings(ctx: AppContext, teamId: string) {
  return toResponse(ctx, teamId);
}

export function updateTeamSettings(ctx: AppContext, teamId: string, update: { auto_delete_enabled?: boolean; retention_period_days?: number }, actor: Actor) {
  const now = ctx.clock();
  const current = teamRetention(ctx, teamId);
  const next = {
    autoDeleteEnabled: update.auto_delete_enabled ?? current.autoDeleteEnabled,
    retentionPeriodDays: update.retention_period_days ?? current.retentionPeriodDays,
  };
  ctx.db.transaction((tx) => {
    tx.insert(teamSettings)
      .values({ teamId, ...next, createdAt: now, updatedAt: now })
      .onConflictDoUpdate({ target: teamSettings.teamId, set: { ...next, updatedAt: now } })
      .run();
    recordAudit(tx, { teamId, actor, action: "settings.updated", targetType: "team", targetId: teamId, metadata: { auto_delete_enabled: next.autoDeleteEnabled, retention_period_days: next.retentionPeriodDays } }, now);
  });
  return toResponse(ctx, teamId);
}
