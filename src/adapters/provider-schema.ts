/**
 * What each provider is shown of the user's JSON Schema: an object at the root, and the subset
 * of JSON Schema the provider accepts. Loosening only: the answer is validated against the
 * original schema afterwards (lib/model-json.ts).
 */
import type { JsonSchema } from "../lib/model-json";

/**
 * Providers want an object at the root (OpenAI's json_schema and JSON mode, Gemini's
 * responseSchema in practice). A non-object root is wrapped as `{result: ...}` and unwrapped.
 */
export function wrapRoot(schema: JsonSchema): { schema: JsonSchema; unwrap: (v: unknown) => unknown } {
  if (schema.type === "object" || (schema.properties && schema.type === undefined)) return { schema, unwrap: (v) => v };
  const { $schema, $defs, definitions, ...inner } = schema;
  const wrapped: JsonSchema = { type: "object", properties: { result: inner }, required: ["result"] };
  if ($schema) wrapped.$schema = $schema;
  if ($defs) wrapped.$defs = $defs;
  if (definitions) wrapped.definitions = definitions;
  return {
    schema: wrapped,
    unwrap: (v) => (v && typeof v === "object" && !Array.isArray(v) && "result" in v ? (v as { result: unknown }).result : v),
  };
}

/** Keys Gemini's responseSchema (an OpenAPI 3.0 subset) accepts. */
const GEMINI_KEYS = new Set([
  "type", "format", "title", "description", "nullable", "enum", "maxItems", "minItems", "properties", "required",
  "minProperties", "maxProperties", "minLength", "maxLength", "pattern", "anyOf", "propertyOrdering", "items",
  "minimum", "maximum",
]);

/**
 * Adapts a JSON Schema for Gemini's responseSchema: local $refs inlined, `additionalProperties`,
 * `$schema`, `const`, `oneOf`/`allOf` and other unsupported keywords rewritten or dropped,
 * `type: [x, "null"]` turned into `nullable`. Loosening only: the answer is validated against
 * the original schema afterwards.
 */
export function schemaForGemini(schema: JsonSchema): JsonSchema {
  const defs = { ...(schema.definitions as JsonSchema | undefined), ...(schema.$defs as JsonSchema | undefined) };
  const resolve = (ref: string): JsonSchema | undefined => {
    const m = /^#\/(?:\$defs|definitions)\/(.+)$/.exec(ref);
    return m ? (defs[decodeURIComponent(m[1]!)] as JsonSchema | undefined) : ref === "#" ? schema : undefined;
  };
  const walk = (node: unknown, depth: number): JsonSchema => {
    if (!node || typeof node !== "object" || Array.isArray(node)) return {};
    let n = node as JsonSchema;
    if (typeof n.$ref === "string") {
      const target = resolve(n.$ref);
      // Recursive schemas are cut off at a depth: Gemini has no references.
      if (!target || depth > 6) return { type: "object" };
      const { $ref, ...rest } = n;
      n = { ...target, ...rest };
    }
    if (Array.isArray(n.allOf)) {
      const merged: JsonSchema = { ...n };
      delete merged.allOf;
      for (const part of n.allOf as JsonSchema[]) {
        const p = walk(part, depth + 1);
        merged.properties = { ...(merged.properties as JsonSchema), ...(p.properties as JsonSchema) };
        merged.required = [...new Set([...((merged.required as string[]) ?? []), ...((p.required as string[]) ?? [])])];
        merged.type ??= p.type;
      }
      n = merged;
    }
    const out: JsonSchema = {};
    let type = n.type;
    if (Array.isArray(type)) {
      const nonNull = type.filter((t) => t !== "null");
      if (nonNull.length < type.length) out.nullable = true;
      if (nonNull.length === 1) type = nonNull[0];
      else {
        type = undefined;
        out.anyOf = nonNull.map((t) => ({ type: t }));
      }
    }
    if (type === "null") {
      out.nullable = true;
      type = undefined;
    }
    if (type !== undefined) out.type = type;
    if (n.const !== undefined) n = { ...n, enum: [n.const] };
    const unions = (n.anyOf ?? n.oneOf) as unknown[] | undefined;
    if (Array.isArray(unions)) {
      const variants = unions.filter((u) => !(u && typeof u === "object" && (u as JsonSchema).type === "null"));
      if (variants.length < unions.length) out.nullable = true;
      if (variants.length === 1) Object.assign(out, walk(variants[0], depth + 1), out.nullable ? { nullable: true } : {});
      else if (variants.length > 1) out.anyOf = variants.map((u) => walk(u, depth + 1));
    }
    for (const [key, value] of Object.entries(n)) {
      if (!GEMINI_KEYS.has(key) || key === "type" || key === "anyOf" || key in out) continue;
      if (key === "properties" && value && typeof value === "object") {
        out.properties = Object.fromEntries(Object.entries(value as JsonSchema).map(([k, v]) => [k, walk(v, depth + 1)]));
      } else if (key === "items") {
        out.items = walk(Array.isArray(value) ? value[0] : value, depth + 1);
      } else if (key === "enum") {
        // Gemini's enums are strings only; other enums are left to validation.
        if (Array.isArray(value) && value.every((x) => typeof x === "string")) {
          out.enum = value;
          out.type ??= "string";
        }
      } else if (key === "format") {
        if (typeof value === "string" && ["date-time", "enum", "int32", "int64", "float", "double"].includes(value)) out.format = value;
      } else out[key] = value;
    }
    if (Array.isArray(out.required) && out.properties) {
      const props = out.properties as JsonSchema;
      out.required = (out.required as string[]).filter((r) => r in props);
    } else delete out.required;
    if (out.type === "object" && out.properties && Object.keys(out.properties as JsonSchema).length === 0) delete out.properties;
    return out;
  };
  return walk(schema, 0);
}

/** OpenAI-compatible json_schema: the schema as it is, minus `$schema` (some servers refuse it). */
export function schemaForOpenAI(schema: JsonSchema): JsonSchema {
  const { $schema, ...rest } = schema;
  return rest;
}
