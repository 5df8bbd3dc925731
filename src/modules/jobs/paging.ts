/**
 * Cursor pagination shared by the workspace lists (jobs, templates, webhooks, events, credit
 * transactions): newest first, ordered by (created_at, id); the cursor is the last row's pair,
 * base64url-encoded so clients treat it as opaque. Answers `{data, has_more, next_cursor,
 * total_count, total_pages}` as the LeapOCR reference does.
 */
import * as v from "valibot";
import { and, eq, lt, or, type Column, type SQL } from "drizzle-orm";
import { badRequest } from "../../lib/errors";

export const CursorQuery = {
  cursor: v.optional(v.pipe(v.string(), v.maxLength(200))),
  limit: v.optional(v.pipe(v.string(), v.regex(/^\d+$/, "limit must be a whole number"), v.transform(Number), v.minValue(1, "limit must be 1 to 100"), v.maxValue(100, "limit must be 1 to 100")), "20"),
};

/** Query-string booleans: "true"/"false" (also 1/0). */
export const QueryBool = v.pipe(v.picklist(["true", "false", "1", "0"], "use true or false"), v.transform((s) => s === "true" || s === "1"));

/** A date-time or YYYY-MM-DD query value, as unix ms. */
export const QueryDate = v.pipe(
  v.string(),
  v.transform((s) => Date.parse(s)),
  v.check((n) => Number.isFinite(n), "use an ISO 8601 date or date-time"),
);

export const paged = <T extends v.GenericSchema>(item: T) =>
  v.object({
    data: v.array(item),
    has_more: v.boolean(),
    next_cursor: v.nullable(v.string()),
    total_count: v.number(),
    total_pages: v.number(),
  });

export interface Cursor {
  createdAt: number;
  id: string;
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(`${c.createdAt}:${c.id}`).toString("base64url");
}

export function decodeCursor(raw: string | undefined): Cursor | null {
  if (!raw) return null;
  const text = Buffer.from(raw, "base64url").toString("utf8");
  const m = /^(\d+):(.+)$/.exec(text);
  if (!m) throw badRequest("cursor is not valid; pass next_cursor from the previous page unchanged.");
  return { createdAt: Number(m[1]), id: m[2]! };
}

/** The WHERE part that continues after the cursor (newest first). */
export function afterCursor(cursor: Cursor | null, createdAt: Column, id: Column): SQL | undefined {
  if (!cursor) return undefined;
  return or(lt(createdAt, cursor.createdAt), and(eq(createdAt, cursor.createdAt), lt(id, cursor.id)));
}

/** Builds the page from `limit + 1` fetched rows. */
export function pageOf<R extends { createdAt: number; id: string }, O>(rows: R[], limit: number, total: number, map: (r: R) => O) {
  const hasMore = rows.length > limit;
  const slice = hasMore ? rows.slice(0, limit) : rows;
  const last = slice[slice.length - 1];
  return {
    data: slice.map(map),
    has_more: hasMore,
    next_cursor: hasMore && last ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : null,
    total_count: total,
    total_pages: Math.ceil(total / limit),
  };
}

export const iso = (ms: number | null | undefined): string | undefined => (ms == null ? undefined : new Date(ms).toISOString());

export const WorkspaceParams = v.object({ organization_id: v.string(), team_id: v.string() });
