/** The audit log list: filters, cursor pagination and the entry shape. */
import * as v from "valibot";

export { ErrorResponse } from "../ocr/model";

export const AuditPathParams = v.object({ organization_id: v.string(), team_id: v.string() });

const time = v.pipe(v.string(), v.check((s) => !Number.isNaN(Date.parse(s)) || /^\d+$/.test(s), "must be an ISO 8601 time or unix milliseconds"));

export const AuditQuery = v.object({
  /** Exact action, or a prefix ending in `*` (e.g. `api_key.*`). */
  action: v.optional(v.pipe(v.string(), v.maxLength(100))),
  /** The actor's id: a user id, an API key id, or a system actor such as `retention`. */
  actor: v.optional(v.pipe(v.string(), v.maxLength(100))),
  actor_type: v.optional(v.picklist(["user", "api_key", "system"])),
  /** The target's id (a job, a key, a user...). */
  target: v.optional(v.pipe(v.string(), v.maxLength(100))),
  from: v.optional(time),
  to: v.optional(time),
  limit: v.optional(v.pipe(v.unknown(), v.transform(Number), v.number(), v.integer(), v.minValue(1), v.maxValue(200)), 50),
  cursor: v.optional(v.pipe(v.string(), v.maxLength(200))),
});
export type AuditQuery = v.InferOutput<typeof AuditQuery>;

/** What the id stands for, for people: null when it is gone (a deleted key, an erased user) or not a user, key, template or team. */
const Named = v.object({
  name: v.pipe(v.nullable(v.string()), v.description("The user's name (their email when they gave none), or the API key's, template's or team's name; null when unknown.")),
  email: v.optional(v.pipe(v.string(), v.description("A user's email."))),
});

export const AuditEntry = v.object({
  id: v.string(),
  team_id: v.nullable(v.string()),
  action: v.string(),
  actor: v.object({ type: v.picklist(["user", "api_key", "system"]), id: v.nullable(v.string()), ...Named.entries }),
  target: v.object({ type: v.nullable(v.string()), id: v.nullable(v.string()), ...Named.entries }),
  ip: v.nullable(v.string()),
  user_agent: v.nullable(v.string()),
  metadata: v.nullable(v.record(v.string(), v.unknown())),
  created_at: v.string(),
});

export const AuditListResponse = v.object({
  data: v.array(AuditEntry),
  has_more: v.boolean(),
  next_cursor: v.nullable(v.string()),
  total_count: v.number(),
});
