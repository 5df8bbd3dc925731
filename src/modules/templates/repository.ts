/** The templates rows, on either engine (see src/db/database.ts). */
import { and, count, desc, eq, sql } from "drizzle-orm";
import { containsText, type Database, type Tables } from "../../db/database";
import { afterCursor, type Cursor } from "../jobs/paging";

export type Template = Tables["templates"]["$inferSelect"];
export type NewTemplate = Tables["templates"]["$inferInsert"];
export type TemplateChanges = Partial<Omit<NewTemplate, "id" | "teamId" | "createdAt">>;

export interface TemplateFilter {
  format?: string;
  favorite?: boolean;
  /** Part of the name. */
  search?: string;
  after: Cursor | null;
  limit: number;
}

export interface TemplateStats {
  total: number;
  markdown: number;
  structured: number;
  favorite: number;
  usage: number;
  max: number;
  min: number;
}

export interface TemplatesRepository {
  byId(teamId: string, id: string): Promise<Template | undefined>;
  bySlug(teamId: string, slug: string): Promise<Template | undefined>;
  add(row: NewTemplate): Promise<Template>;
  change(id: string, changes: TemplateChanges): Promise<void>;
  remove(id: string): Promise<void>;
  /** One more job used the template. */
  countUse(id: string, now: number): Promise<void>;
  /** The team's templates matching the filter, newest first: `limit + 1` at most, and how many match in all. */
  list(teamId: string, f: TemplateFilter): Promise<{ rows: Template[]; total: number }>;
  stats(teamId: string): Promise<TemplateStats>;
}

export function templatesRepository(db: Database): TemplatesRepository {
  const { templates } = db.t;
  const number = (expr: ReturnType<typeof sql>) => sql<number>`coalesce(${expr}, 0)`.mapWith(Number);
  return {
    async byId(teamId, id) {
      const [row] = await db.run((q) => q.select().from(templates).where(and(eq(templates.id, id), eq(templates.teamId, teamId))));
      return row;
    },
    async bySlug(teamId, slug) {
      const [row] = await db.run((q) => q.select().from(templates).where(and(eq(templates.teamId, teamId), eq(templates.slug, slug))));
      return row;
    },
    async add(row) {
      const [added] = await db.run((q) => q.insert(templates).values(row).returning());
      return added!;
    },
    async change(id, changes) {
      await db.run((q) => q.update(templates).set(changes).where(eq(templates.id, id)));
    },
    async remove(id) {
      await db.run((q) => q.delete(templates).where(eq(templates.id, id)));
    },
    async countUse(id, now) {
      await db.run((q) => q.update(templates).set({ usageCount: sql`${templates.usageCount} + 1`, lastUsedAt: now }).where(eq(templates.id, id)));
    },
    async list(teamId, f) {
      const where = and(
        eq(templates.teamId, teamId),
        f.format ? eq(templates.format, f.format) : undefined,
        f.favorite === undefined ? undefined : eq(templates.favorite, f.favorite),
        f.search ? containsText(db, templates.name, f.search) : undefined,
      );
      return db.run(async (q) => {
        const [counted] = await q.select({ n: count() }).from(templates).where(where);
        const rows = await q
          .select()
          .from(templates)
          .where(and(where, afterCursor(f.after, templates.createdAt, templates.id)))
          .orderBy(desc(templates.createdAt), desc(templates.id))
          .limit(f.limit + 1);
        return { rows, total: counted?.n ?? 0 };
      });
    },
    async stats(teamId) {
      // Counts of true values with FILTER: PostgreSQL cannot sum booleans; SQLite reads it too.
      const [r] = await db.run((q) =>
        q
          .select({
            total: count(),
            markdown: number(sql`count(*) filter (where ${templates.format} = 'markdown')`),
            structured: number(sql`count(*) filter (where ${templates.format} = 'structured')`),
            favorite: number(sql`count(*) filter (where ${templates.favorite})`),
            usage: number(sql`sum(${templates.usageCount})`),
            max: number(sql`max(${templates.usageCount})`),
            min: number(sql`min(${templates.usageCount})`),
          })
          .from(templates)
          .where(eq(templates.teamId, teamId)),
      );
      return r!;
    },
  };
}
