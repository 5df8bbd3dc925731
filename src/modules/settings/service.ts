/** Team retention settings: on by default, 7 days; 0 days means clean up right after processing. */
import type { AppContext } from "../../context";
import { auditRepository } from "../audit/repository";
import type { Actor } from "../audit/service";
import { settingsRepository, type Retention } from "./repository";

export type { Retention } from "./repository";

export const DEFAULT_RETENTION = { autoDeleteEnabled: true, retentionPeriodDays: 7 };

export async function teamRetention(ctx: Pick<AppContext, "data">, teamId: string): Promise<Retention & { createdAt: number | null; updatedAt: number | null }> {
  return (await settingsRepository(ctx.data).retention(teamId)) ?? { ...DEFAULT_RETENTION, createdAt: null, updatedAt: null };
}

export function describeRetention(r: Retention, graceSeconds: number): string {
  if (!r.autoDeleteEnabled) return "Documents and results are kept until someone deletes them.";
  if (r.retentionPeriodDays === 0) {
    const grace = graceSeconds >= 3600 ? `${Math.round(graceSeconds / 3600)} hour(s)` : `${Math.round(graceSeconds / 60)} minute(s)`;
    return `Uploaded files and page images are deleted as soon as processing ends; results are deleted once read in full, and at the latest ${grace} after processing.`;
  }
  return `Uploaded files, page images and results are deleted ${r.retentionPeriodDays} day(s) after processing ends.`;
}

async function toResponse(ctx: AppContext, teamId: string) {
  const r = await teamRetention(ctx, teamId);
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

export async function updateTeamSettings(ctx: AppContext, teamId: string, update: { auto_delete_enabled?: boolean; retention_period_days?: number }, actor: Actor) {
  const now = ctx.clock();
  const current = await teamRetention(ctx, teamId);
  const next = {
    autoDeleteEnabled: update.auto_delete_enabled ?? current.autoDeleteEnabled,
    retentionPeriodDays: update.retention_period_days ?? current.retentionPeriodDays,
  };
  await ctx.data.transaction(async (tx) => {
    await settingsRepository(tx).saveRetention(teamId, next, now);
    await auditRepository(tx).record({ teamId, actor, action: "settings.updated", targetType: "team", targetId: teamId, metadata: { auto_delete_enabled: next.autoDeleteEnabled, retention_period_days: next.retentionPeriodDays } }, now);
  });
  return toResponse(ctx, teamId);
}
