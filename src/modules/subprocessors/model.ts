/** Response model of GET /subprocessors: validation and OpenAPI come from here. */
import * as v from "valibot";

export const DataKind = v.picklist(["page_images", "prompts", "instructions", "extracted_text", "schema"]);

export const SubprocessorsResponse = v.object({
  count: v.number(),
  subprocessors: v.array(
    v.object({
      /** gemini or openai (any OpenAI-compatible endpoint). */
      provider: v.string(),
      /** The endpoint's origin, e.g. https://generativelanguage.googleapis.com. */
      endpoint: v.string(),
      /** The configured routes that send to this endpoint. */
      routes: v.array(v.object({ name: v.string(), model: v.string() })),
      /** The models (as clients name them) whose steps use these routes. */
      models: v.array(v.string()),
      /** Pipeline steps that use it: ocr, refine, bounding_boxes, structured. */
      steps: v.array(v.string()),
      /** What it receives. */
      receives: v.array(DataKind),
    }),
  ),
});

/** GET .../data-flow: the subprocessors above, object storage and dashboard analytics. */
export const DataFlowResponse = v.object({
  outside_providers: v.number(),
  models: SubprocessorsResponse.entries.subprocessors,
  storage: v.object({
    kind: v.picklist(["s3", "local"]),
    endpoint: v.nullable(v.string()),
    bucket: v.nullable(v.string()),
    encryption: v.nullable(v.string()),
    receives: v.array(v.string()),
  }),
  analytics: v.array(v.object({ provider: v.string(), endpoint: v.string(), receives: v.array(v.string()) })),
});
