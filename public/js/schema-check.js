// Checks a JSON Schema as the user types: first that it is JSON (with the line and column of
// a syntax error), then the mistakes that make a schema useless for extraction. The server
// validates again on save; this is for fast feedback.

const TYPES = new Set(["object", "array", "string", "number", "integer", "boolean", "null"]);

function position(text, err) {
  const m = /position (\d+)/.exec(err.message);
  if (!m) return "";
  const before = text.slice(0, Number(m[1]));
  const line = before.split("\n").length;
  return ` (line ${line}, column ${before.length - before.lastIndexOf("\n")})`;
}

function walk(s, path, out) {
  if (typeof s !== "object" || s === null || Array.isArray(s)) {
    out.push(`${path || "The schema"} must be an object.`);
    return;
  }
  const types = Array.isArray(s.type) ? s.type : s.type === undefined ? [] : [s.type];
  for (const t of types) if (!TYPES.has(t)) out.push(`${path || "root"}: unknown type "${t}".`);
  if (types.length === 0 && !s.enum && !s.const && !s.anyOf && !s.oneOf && !s.$ref) out.push(`${path || "root"}: give a "type".`);
  if (s.properties !== undefined) {
    if (typeof s.properties !== "object" || Array.isArray(s.properties)) out.push(`${path || "root"}: "properties" must be an object.`);
    else for (const [k, v] of Object.entries(s.properties)) walk(v, `${path}${path ? "." : ""}${k}`, out);
  }
  if (s.required !== undefined) {
    if (!Array.isArray(s.required)) out.push(`${path || "root"}: "required" must be a list of property names.`);
    else for (const r of s.required) if (!s.properties || !(r in s.properties)) out.push(`${path || "root"}: required property "${r}" is not in "properties".`);
  }
  if (types.includes("array") && s.items !== undefined) walk(s.items, `${path}[]`, out);
}

/** Returns { value, errors }: errors is empty when the schema is usable. */
export function checkSchema(text) {
  if (!text.trim()) return { value: undefined, errors: [] };
  let value;
  try {
    value = JSON.parse(text);
  } catch (err) {
    // Newer engines add their own "(line 3 column 5)": drop it, ours follows (said once).
    const message = err.message.replace(/\s*\(line \d+ column \d+\)/, "");
    return { value: undefined, errors: [`Not valid JSON: ${message}${position(text, err)}`] };
  }
  const errors = [];
  walk(value, "", errors);
  if (!errors.length && value.type !== "object") errors.push('The root must be { "type": "object", ... } so the result is one object.');
  return { value, errors };
}
