/** Reading, repairing and validating structured model output; adapting schemas per provider. */
import { expect, test } from "bun:test";
import { checkUsableSchema, parseModelJson, parseModelJsonCandidates, validateAgainstSchema } from "../../src/lib/model-json";
import { schemaForGemini, wrapRoot } from "../../src/adapters/provider-schema";

test("plain, fenced and prose-wrapped JSON parse", () => {
  expect(parseModelJson('{"a":1}')).toEqual({ ok: true, value: { a: 1 }, repaired: false });
  expect(parseModelJson('```json\n{"a": [1, 2]}\n```')).toEqual({ ok: true, value: { a: [1, 2] }, repaired: true });
  expect(parseModelJson('Sure! Here it is: {"a": {"b": "}"}} Hope this helps.')).toEqual({ ok: true, value: { a: { b: "}" } }, repaired: true });
  expect(parseModelJson('{"a": 1, "b": [1, 2,],}')).toEqual({ ok: true, value: { a: 1, b: [1, 2] }, repaired: true });
});

test("truncated JSON is closed at the last complete member, never keeping half a value", () => {
  expect(parseModelJson('{"a": 1, "b": "hel')).toEqual({ ok: true, value: { a: 1 }, repaired: true });
  expect(parseModelJson('{"a": 1, "b": 12')).toEqual({ ok: true, value: { a: 1 }, repaired: true });
  expect(parseModelJson('{"a": [{"x": 1}, {"x": 2}, {"x"')).toEqual({ ok: true, value: { a: [{ x: 1 }, { x: 2 }] }, repaired: true });
  expect(parseModelJson('```json\n{"a": "done", "b": true')).toEqual({ ok: true, value: { a: "done", b: true }, repaired: true });
  expect(parseModelJson('{"a": "hel').ok).toBe(false);
  expect(parseModelJson("no json here")).toEqual({ ok: false, message: "The model's answer contains no JSON object or array." });
  // Several readings, best first, for the schema check to choose from.
  expect(parseModelJsonCandidates('{"a": 1, "b": {"c": 2, "d": 3').values).toEqual([{ a: 1, b: { c: 2 } }, { a: 1 }]);
});

test("validation names the failing places with the validator's messages", () => {
  const schema = { type: "object", properties: { total: { type: "number" }, items: { type: "array", items: { type: "string" } } }, required: ["total"], additionalProperties: false };
  expect(validateAgainstSchema(schema, { total: 3, items: ["a"] })).toEqual({ ok: true });
  const bad = validateAgainstSchema(schema, { total: "3", items: [1], extra: true });
  expect(bad.ok).toBe(false);
  if (!bad.ok) {
    expect(bad.message).toStartWith("The extracted data does not match the schema:");
    expect(bad.message).toContain("/total");
  }
  // Draft-07 schemas are read as draft-07.
  expect(validateAgainstSchema({ $schema: "http://json-schema.org/draft-07/schema#", type: "object", definitions: { n: { type: "number" } }, properties: { a: { $ref: "#/definitions/n" } } }, { a: "x" }).ok).toBe(false);
});

test("unusable schemas are found before a job is created", () => {
  expect(checkUsableSchema({ type: "object", properties: { a: { type: "string" } } })).toBeNull();
  expect(checkUsableSchema({ type: "banana" })).toContain('"banana" is not a JSON type');
  expect(checkUsableSchema({ type: "object", properties: { a: { $ref: "#/$defs/missing" } } })).toContain("points nowhere");
  expect(checkUsableSchema({ $defs: { x: { type: "string" } }, type: "object", properties: { a: { $ref: "#/$defs/x" } } })).toBeNull();
});

test("Gemini's schema: refs inlined, additionalProperties/const/oneOf/type arrays adapted", () => {
  const adapted = schemaForGemini({
    $schema: "https://json-schema.org/draft/2020-12/schema",
    type: "object",
    additionalProperties: false,
    properties: {
      name: { type: ["string", "null"], maxLength: 40 },
      kind: { const: "invoice" },
      amount: { oneOf: [{ type: "number" }, { type: "null" }] },
      lines: { type: "array", items: { $ref: "#/$defs/line" } },
      code: { type: "integer", enum: [1, 2] },
    },
    required: ["name", "ghost"],
    $defs: { line: { type: "object", properties: { sku: { type: "string", format: "uuid" } }, additionalProperties: false } },
  });
  expect(adapted).toEqual({
    type: "object",
    properties: {
      name: { type: "string", nullable: true, maxLength: 40 },
      kind: { enum: ["invoice"], type: "string" },
      amount: { type: "number", nullable: true },
      lines: { type: "array", items: { type: "object", properties: { sku: { type: "string" } } } },
      code: { type: "integer" },
    },
    required: ["name"],
  });
});

test("non-object roots are wrapped for providers and unwrapped after", () => {
  const { schema, unwrap } = wrapRoot({ type: "array", items: { type: "string" } });
  expect(schema).toEqual({ type: "object", properties: { result: { type: "array", items: { type: "string" } } }, required: ["result"] });
  expect(unwrap({ result: ["x"] })).toEqual(["x"]);
  const same = wrapRoot({ type: "object", properties: {} });
  expect(same.unwrap({ a: 1 })).toEqual({ a: 1 });
});
