/** The team_settings rows (retention), on either engine (see src/db/database.ts). */
import { eq } from "drizzle-orm";
import type { Database } from "../../db/database";

export interface Retention {
  autoDeleteEnabled: boolean;
  retentionPeriodDays: number;
}

export interface StoredRetention extends Retention {
  createdAt: number;
  updatedAt: number;
}

export interface SettingsRepository {
  /** The team's saved retention; undefined when it never changed it (the defaults apply). */
  retention(teamId: string): Promise<StoredRetention | undefined>;
  /** Saves the team's retention (the first save also sets createdAt). */
  saveRetention(teamId: string, r: Retention, now: number): Promise<void>;
}

export function settingsRepository(db: Database): SettingsRepository {
  const { teamSettings } = db.t;
  return {
    async retention(teamId) {
      const [row] = await db.run((q) =>
        q
          .select({ autoDeleteEnabled: teamSettings.autoDeleteEnabled, retentionPeriodDays: teamSettings.retentionPeriodDays, createdAt: teamSettings.createdAt, updatedAt: teamSettings.updatedAt })
          .from(teamSettings)
          .where(eq(teamSettings.teamId, teamId)),
      );
      return row;
    },
    async saveRetention(teamId, r, now) {
      await db.run((q) =>
        q
          .insert(teamSettings)
          .values({ teamId, ...r, createdAt: now, updatedAt: now })
          .onConflictDoUpdate({ target: teamSettings.teamId, set: { ...r, updatedAt: now } }),
      );
    },
  };
}
