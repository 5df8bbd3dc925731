/**
 * Webhook subscriptions and their outbox (webhook_deliveries), on either engine (see
 * src/db/database.ts). The job store writes job events into the outbox; this repository reads
 * and changes what the routes and the dispatcher need.
 */
import { and, count, desc, eq, inArray, isNull, lt, lte, or, sql } from "drizzle-orm";
import type { Database, Tables } from "../../db/database";
import { afterCursor, type Cursor } from "../jobs/paging";

export type Subscription = Tables["webhookSubscriptions"]["$inferSelect"];
export type NewSubscription = Tables["webhookSubscriptions"]["$inferInsert"];
export type SubscriptionChanges = Partial<Omit<NewSubscription, "id" | "teamId" | "createdAt">>;
export type Delivery = Tables["webhookDeliveries"]["$inferSelect"];
export type NewDelivery = Tables["webhookDeliveries"]["$inferInsert"];
export type DeliveryChanges = Partial<Omit<NewDelivery, "id" | "eventId" | "subscriptionId" | "teamId" | "createdAt">>;

export interface DeliveryFilter {
  subscriptionId?: string;
  eventType?: string;
  status?: string;
  after: Cursor | null;
  limit: number;
}

export interface WebhooksRepository {
  subscription(id: string): Promise<Subscription | undefined>;
  /** The team's subscription, undefined when the id is another team's or none. */
  teamSubscription(teamId: string, id: string): Promise<Subscription | undefined>;
  addSubscription(row: NewSubscription): Promise<Subscription>;
  changeSubscription(id: string, changes: SubscriptionChanges): Promise<void>;
  /** One more failed attempt in a row: answers the new count (undefined when the subscription is gone). */
  countFailure(id: string, now: number): Promise<number | undefined>;
  /** The subscription and its deliveries. */
  removeSubscription(id: string): Promise<void>;
  /** The team's subscriptions, newest first: `limit + 1` at most, and how many match in all. */
  subscriptions(teamId: string, f: { enabled?: boolean; after: Cursor | null; limit: number }): Promise<{ rows: Subscription[]; total: number }>;

  addDelivery(row: NewDelivery): Promise<Delivery>;
  changeDelivery(id: string, changes: DeliveryChanges): Promise<void>;
  /** Every pending delivery of a subscription fails with `error` (it was disabled). */
  failPending(subscriptionId: string, error: string, now: number): Promise<void>;
  /**
   * Takes up to `n` due deliveries for `lockMs` (no other dispatcher takes them meanwhile, on
   * PostgreSQL not even at the same moment: the rows are picked FOR UPDATE SKIP LOCKED).
   */
  claimDue(now: number, lockMs: number, n: number): Promise<Delivery[]>;
  /** Deliveries of one subscription by status. */
  deliveryCounts(subscriptionId: string): Promise<{ status: string; n: number }[]>;
  /** The team's deliveries with their subscription's URL, newest first: `limit + 1` at most, and the total. */
  deliveries(teamId: string, f: DeliveryFilter): Promise<{ rows: { d: Delivery; url: string }[]; total: number }>;
  /** A delivery by its id, or the newest delivery of an event id. */
  deliveryOrEvent(teamId: string, id: string): Promise<Delivery | undefined>;
}

export function webhooksRepository(db: Database): WebhooksRepository {
  const { webhookSubscriptions: subs, webhookDeliveries: d } = db.t;
  return {
    async subscription(id) {
      const [row] = await db.run((q) => q.select().from(subs).where(eq(subs.id, id)));
      return row;
    },
    async teamSubscription(teamId, id) {
      const [row] = await db.run((q) => q.select().from(subs).where(and(eq(subs.id, id), eq(subs.teamId, teamId))));
      return row;
    },
    async addSubscription(row) {
      const [added] = await db.run((q) => q.insert(subs).values(row).returning());
      return added!;
    },
    async changeSubscription(id, changes) {
      await db.run((q) => q.update(subs).set(changes).where(eq(subs.id, id)));
    },
    async countFailure(id, now) {
      const [row] = await db.run((q) =>
        q.update(subs).set({ failureCount: sql`${subs.failureCount} + 1`, lastTriggeredAt: now }).where(eq(subs.id, id)).returning({ n: subs.failureCount }),
      );
      return row?.n;
    },
    async removeSubscription(id) {
      await db.transaction((tx) =>
        tx.run(async (q) => {
          await q.delete(d).where(eq(d.subscriptionId, id));
          await q.delete(subs).where(eq(subs.id, id));
        }),
      );
    },
    async subscriptions(teamId, f) {
      const where = and(eq(subs.teamId, teamId), f.enabled === undefined ? undefined : eq(subs.enabled, f.enabled));
      return db.run(async (q) => {
        const [counted] = await q.select({ n: count() }).from(subs).where(where);
        const rows = await q
          .select()
          .from(subs)
          .where(and(where, afterCursor(f.after, subs.createdAt, subs.id)))
          .orderBy(desc(subs.createdAt), desc(subs.id))
          .limit(f.limit + 1);
        return { rows, total: counted?.n ?? 0 };
      });
    },

    async addDelivery(row) {
      const [added] = await db.run((q) => q.insert(d).values(row).returning());
      return added!;
    },
    async changeDelivery(id, changes) {
      await db.run((q) => q.update(d).set(changes).where(eq(d.id, id)));
    },
    async failPending(subscriptionId, error, now) {
      await db.run((q) => q.update(d).set({ status: "failed", lastError: error, lockedUntil: null, updatedAt: now }).where(and(eq(d.subscriptionId, subscriptionId), eq(d.status, "pending"))));
    },
    async claimDue(now, lockMs, n) {
      return db.run((q) => {
        const due = q
          .select({ id: d.id })
          .from(d)
          .where(and(eq(d.status, "pending"), lte(d.nextAttemptAt, now), or(isNull(d.lockedUntil), lt(d.lockedUntil, now))))
          .orderBy(d.nextAttemptAt)
          .limit(n);
        // SQLite has one writer and no FOR UPDATE; PostgreSQL's dispatchers claim side by side.
        const picked = db.dialect === "postgres" ? due.for("update", { skipLocked: true }) : due;
        return q.update(d).set({ lockedUntil: now + lockMs }).where(inArray(d.id, picked)).returning();
      });
    },
    async deliveryCounts(subscriptionId) {
      return db.run((q) => q.select({ status: d.status, n: count() }).from(d).where(eq(d.subscriptionId, subscriptionId)).groupBy(d.status));
    },
    async deliveries(teamId, f) {
      const where = and(
        eq(d.teamId, teamId),
        f.subscriptionId ? eq(d.subscriptionId, f.subscriptionId) : undefined,
        f.eventType ? eq(d.eventType, f.eventType) : undefined,
        f.status ? eq(d.status, f.status) : undefined,
      );
      return db.run(async (q) => {
        const [counted] = await q.select({ n: count() }).from(d).where(where);
        const rows = await q
          .select({ d, url: subs.url })
          .from(d)
          .innerJoin(subs, eq(subs.id, d.subscriptionId))
          .where(and(where, afterCursor(f.after, d.createdAt, d.id)))
          .orderBy(desc(d.createdAt), desc(d.id))
          .limit(f.limit + 1);
        return { rows, total: counted?.n ?? 0 };
      });
    },
    async deliveryOrEvent(teamId, id) {
      const [row] = await db.run((q) =>
        q.select().from(d).where(and(eq(d.teamId, teamId), or(eq(d.id, id), eq(d.eventId, id)))).orderBy(desc(d.createdAt)).limit(1),
      );
      return row;
    },
  };
}

