import * as v from "valibot";

export const TeamPathParams = v.object({ organization_id: v.string(), team_id: v.string() });

const days = v.pipe(v.number(), v.integer("retention_period_days must be a whole number"), v.minValue(0, "retention_period_days must be 0 to 365"), v.maxValue(365, "retention_period_days must be 0 to 365"));

export const UpdateTeamSettingsRequest = v.object({
  auto_delete_enabled: v.optional(v.boolean()),
  retention_period_days: v.optional(days),
});

export const TeamSettingsResponse = v.object({
  team_id: v.string(),
  config: v.object({ auto_delete_enabled: v.boolean(), retention_period_days: v.number() }),
  /** A plain sentence saying what will happen to this team's documents. */
  description: v.string(),
  created_at: v.string(),
  updated_at: v.string(),
});
