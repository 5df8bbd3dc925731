/**
 * Structured output: reading a model's JSON answer (repairing fenced, truncated or otherwise
 * sloppy JSON) and validating it against the user's JSON Schema with @cfworker/json-schema.
 * Used by the SDK routes (is the schema usable?) and the model adapters (is the answer?); what
 * each provider is shown of the schema is the adapters' business (adapters/provider-schema.ts).
 *
 * The validator always checks the ORIGINAL schema: adapting only changes what a provider is
 * shown, never what the user gets.
 */
import { Validator, type OutputUnit, type SchemaDraft } from "@cfworker/json-schema";

export type JsonSchema = Record<string, unknown>;

export type ParseResult = { ok: true; value: unknown; repaired: boolean } | { ok: false; message: string };

/** Parses a model's JSON answer; repairs what can be repaired. */
export function parseModelJson(text: string): ParseResult {
  const all = parseModelJsonCandidates(text);
  return all.values.length ? { ok: true, value: all.values[0], repaired: all.repaired[0]! } : { ok: false, message: all.message };
}

/**
 * Every reading of a model's answer, best first: as it is; out of a ``` fence or prose; then,
 * for a truncated answer, closed at the last complete member. A half-written string or number
 * is never kept (it would be a wrong value that still validates): such a member is dropped,
 * and the schema check decides whether what is left is enough.
 */
export function parseModelJsonCandidates(text: string): { values: unknown[]; repaired: boolean[]; message: string } {
  const values: unknown[] = [];
  const repaired: boolean[] = [];
  const seen = new Set<string>();
  const add = (candidate: string, wasRepaired: boolean) => {
    if (seen.has(candidate)) return;
    seen.add(candidate);
    const r = tryParse(candidate);
    if (r.ok) {
      values.push(r.value);
      repaired.push(wasRepaired);
    }
  };
  let s = text.replace(/^\uFEFF/, "").trim();
  if (!s) return { values, repaired, message: "The model answered with an empty text instead of JSON." };
  add(s, false);
  // A fenced block: ```json ... ``` (the closing fence may be missing when the answer was cut).
  const fence = /```[a-zA-Z0-9_-]*[ \t]*\r?\n?([\s\S]*?)(```|$)/.exec(s);
  if (fence && fence[1]!.trim()) s = fence[1]!.trim();
  // Prose before or after the JSON.
  const start = s.search(/[{[]/);
  if (start < 0) return { values, repaired, message: "The model's answer contains no JSON object or array." };
  s = s.slice(start);
  const plain = tryParse(s);
  add(s, true);
  add(trimAfterTopLevel(s), true);
  for (const candidate of repairCandidates(s)) add(candidate, true);
  return {
    values,
    repaired,
    message: `The model's answer is not valid JSON and could not be repaired (${plain.ok ? "no complete value" : plain.message}).`,
  };
}

function tryParse(s: string): { ok: true; value: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, value: JSON.parse(s) };
  } catch (err) {
    return { ok: false, message: err instanceof Error ? err.message : String(err) };
  }
}

/**
 * Calls `visit` for each character outside JSON strings (quotes and escapes skipped) until it
 * answers true; answers whether the text ends inside an unclosed string.
 */
function eachOutsideStrings(s: string, visit: (c: string, i: number) => boolean | void): boolean {
  let inString = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (visit(c, i)) return false;
  }
  return inString;
}

/** The text up to the end of the first complete top-level value (drops trailing prose). */
function trimAfterTopLevel(s: string): string {
  let depth = 0;
  let end = -1;
  eachOutsideStrings(s, (c, i) => {
    if (c === "{" || c === "[") depth++;
    else if (c === "}" || c === "]") {
      depth--;
      if (depth === 0) return (end = i), true;
    }
  });
  return end >= 0 ? s.slice(0, end + 1) : s;
}

/**
 * Ways to close a truncated or sloppy JSON text, best first: remove trailing commas and close
 * every open string and bracket; then cut back to each earlier comma (dropping a half-written
 * member) and close from there.
 */
function repairCandidates(text: string): string[] {
  const s = text.replace(/,(\s*[}\]])/g, "$1");
  const stack: string[] = [];
  const cuts: { at: number; stack: string[] }[] = [];
  const inString = eachOutsideStrings(s, (c, i) => {
    if (c === "{") stack.push("}");
    else if (c === "[") stack.push("]");
    else if (c === "}" || c === "]") stack.pop();
    else if (c === ",") cuts.push({ at: i, stack: [...stack] });
  });
  const close = (body: string, open: string[]) => {
    let b = body.replace(/\s+$/, "");
    // A dangling key or separator at the cut: `"key":`, `"key"` inside an object, or `,`.
    b = b.replace(/,\s*$/, "").replace(/,?\s*"(?:[^"\\]|\\.)*"\s*:\s*$/, "");
    if (open.at(-1) === "}") b = b.replace(/,\s*"(?:[^"\\]|\\.)*"\s*$/, "");
    b = b.replace(/,\s*$/, "");
    return b + [...open].reverse().join("");
  };
  const out: string[] = [];
  // Closing everything as it stands only when the text ends on a complete value.
  if (!inString && /(["}\]]|true|false|null)\s*$/.test(s)) out.push(close(s, stack));
  for (const cut of cuts.reverse().slice(0, 20)) out.push(close(s.slice(0, cut.at), cut.stack));
  return out;
}

const DRAFTS: Record<string, SchemaDraft> = {
  "draft-04": "4",
  "draft-07": "7",
  "draft-06": "7",
  "2019-09": "2019-09",
  "2020-12": "2020-12",
};

function draftOf(schema: JsonSchema): SchemaDraft {
  const id = typeof schema.$schema === "string" ? schema.$schema : "";
  for (const [needle, draft] of Object.entries(DRAFTS)) if (id.includes(needle)) return draft;
  return "2020-12";
}

export type ValidationResult = { ok: true } | { ok: false; message: string };

/** Validates `value` against the user's schema; the message names up to three failing places. */
export function validateAgainstSchema(schema: JsonSchema, value: unknown): ValidationResult {
  let result: { valid: boolean; errors: OutputUnit[] };
  try {
    result = new Validator(schema, draftOf(schema), false).validate(value);
  } catch (err) {
    return { ok: false, message: `The schema could not be used for validation: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (result.valid) return { ok: true };
  // Container keywords only repeat what their children say: keep the leaves.
  const wrappers = new Set(["properties", "items", "prefixItems", "allOf", "$ref", "additionalProperties", "unevaluatedProperties", "$dynamicRef"]);
  const leaves = result.errors.filter((e) => !wrappers.has(e.keyword));
  const picked = (leaves.length ? leaves : result.errors).slice(0, 3);
  const text = picked.map((e) => `${e.instanceLocation.replace(/^#/, "") || "/"}: ${e.error}`).join("; ");
  return { ok: false, message: `The extracted data does not match the schema: ${text}` };
}

const JSON_TYPES = new Set(["object", "array", "string", "number", "integer", "boolean", "null"]);

/**
 * Whether a user's schema is usable at all (checked when the job is created, so a mistake is a
 * 400 rather than a failed job): every `type` is a JSON type and every local `$ref` resolves.
 */
export function checkUsableSchema(schema: JsonSchema): string | null {
  const problems: string[] = [];
  const resolves = (ref: string) => {
    if (!ref.startsWith("#")) return true; // remote refs are the validator's business
    let node: unknown = schema;
    for (const raw of ref.slice(1).split("/").filter(Boolean)) {
      const key = decodeURIComponent(raw).replaceAll("~1", "/").replaceAll("~0", "~");
      if (!node || typeof node !== "object" || !(key in node)) return false;
      node = (node as Record<string, unknown>)[key];
    }
    return true;
  };
  const walk = (node: unknown, path: string, depth: number) => {
    if (depth > 64 || problems.length > 2 || !node || typeof node !== "object") return;
    if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${path}/${i}`, depth + 1));
    const n = node as JsonSchema;
    const types = Array.isArray(n.type) ? n.type : n.type === undefined ? [] : [n.type];
    for (const t of types) if (typeof t !== "string" || !JSON_TYPES.has(t)) problems.push(`${path || "/"}: "type" ${JSON.stringify(t)} is not a JSON type`);
    if (typeof n.$ref === "string" && !resolves(n.$ref)) problems.push(`${path || "/"}: "$ref" ${n.$ref} points nowhere in the schema`);
    for (const [k, v] of Object.entries(n)) if (k !== "enum" && k !== "const" && k !== "examples" && k !== "default") walk(v, `${path}/${k}`, depth + 1);
  };
  walk(schema, "", 0);
  try {
    new Validator(schema, draftOf(schema), true).validate({});
  } catch (err) {
    problems.push(err instanceof Error ? err.message : String(err));
  }
  return problems.length ? `The schema is not a usable JSON Schema: ${problems.slice(0, 3).join("; ")}` : null;
}
