/**
 * The field-by-field reasons of a validation error, for the LeapOCR error body. Elysia's own list
 * (`ValidationError.all`) turns valibot's path items into "[object Object]", so the route's
 * schema is run again here and each path is spelled out: `nested.list.1`.
 */
export interface FieldIssue {
  field?: string;
  message: string;
}

interface StandardIssue {
  message: string;
  path?: ReadonlyArray<PropertyKey | { key: PropertyKey }>;
  /** valibot's details, when the schema is a valibot one. */
  expected?: string | null;
  received?: string;
}

type Standard = { "~standard": { validate(value: unknown): unknown } };

function standardOf(validator: unknown): Standard | null {
  const v = validator as { schema?: unknown } | null;
  if (v && typeof v === "object" && "~standard" in v) return v as Standard;
  if (v?.schema && typeof v.schema === "object" && "~standard" in v.schema) return v.schema as Standard;
  return null;
}

function describe(issue: StandardIssue): string {
  if (issue.message.startsWith("Invalid key:")) {
    if (issue.expected === "never") return "is not an accepted field";
    if (issue.received === "undefined") return "is required";
  }
  return issue.message;
}

/** Issues of an Elysia ValidationError (`validator` and `value` are its own fields). */
export function validationIssues(error: { validator?: unknown; value?: unknown; all?: unknown }): FieldIssue[] {
  const standard = standardOf(error.validator);
  const result = standard?.["~standard"].validate(error.value) as { issues?: StandardIssue[] } | undefined;
  if (!result || result instanceof Promise || !result.issues) {
    // Another kind of validator (TypeBox): its paths are JSON pointers.
    const all = Array.isArray(error.all) ? (error.all as { path?: unknown; message?: string }[]) : [];
    return all.map((i) => ({ field: typeof i.path === "string" ? i.path.replace(/^\//, "").replaceAll("/", ".") || undefined : undefined, message: i.message ?? "is not valid" }));
  }
  return result.issues.slice(0, 20).map((issue) => {
    const field = (issue.path ?? []).map((seg) => String(typeof seg === "object" && seg !== null && "key" in seg ? seg.key : seg)).join(".");
    return { field: field || undefined, message: describe(issue) };
  });
}
