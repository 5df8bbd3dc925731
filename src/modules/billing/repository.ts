/** The polar_events rows (one per verified Polar webhook event), on either engine (see src/db/database.ts). */
import { eq } from "drizzle-orm";
import type { Database, Tables } from "../../db/database";

export type PolarEventRow = Tables["polarEvents"]["$inferSelect"];
type Saved = Omit<Tables["polarEvents"]["$inferInsert"], "webhookId" | "type" | "receivedAt" | "updatedAt">;

export interface BillingRepository {
  event(webhookId: string): Promise<PolarEventRow | undefined>;
  /** Records what an event did; a redelivery's row is updated (its first receipt time stays). */
  saveEvent(webhookId: string, type: string, row: Saved, now: number): Promise<void>;
}

export function billingRepository(db: Database): BillingRepository {
  const { polarEvents } = db.t;
  return {
    async event(webhookId) {
      const [row] = await db.run((q) => q.select().from(polarEvents).where(eq(polarEvents.webhookId, webhookId)));
      return row;
    },
    async saveEvent(webhookId, type, row, now) {
      await db.run((q) =>
        q
          .insert(polarEvents)
          .values({ webhookId, type, receivedAt: now, updatedAt: now, ...row })
          .onConflictDoUpdate({ target: polarEvents.webhookId, set: { ...row, updatedAt: now } }),
      );
    },
  };
}
