/**
 * Who receives what: built from the live model config, so the list cannot drift from what the
 * server really does. A provider receives data only when a configured route of some model's step
 * sends it; the offline engine is not a subprocessor. With no routes configured the list is empty.
 */
import type { AppContext } from "../../context";
import type { ModelRoute } from "../../ports/model";

type Step = "ocr" | "refine" | "bounding_boxes" | "structured";
type Data = "page_images" | "prompts" | "instructions" | "extracted_text" | "schema";

/** What each step sends (see src/adapters/vlm.ts for the requests themselves). */
const SENDS: Record<Step, Data[]> = {
  ocr: ["page_images", "prompts", "instructions"],
  refine: ["page_images", "prompts", "instructions", "extracted_text"],
  bounding_boxes: ["page_images", "prompts"],
  structured: ["prompts", "instructions", "extracted_text", "schema"],
};
const DATA_ORDER: Data[] = ["page_images", "prompts", "instructions", "extracted_text", "schema"];
const STEP_ORDER: Step[] = ["ocr", "refine", "bounding_boxes", "structured"];

function origin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

export function listSubprocessors(ctx: Pick<AppContext, "models">) {
  const byEndpoint = new Map<string, { provider: string; endpoint: string; routes: Map<string, string>; models: Set<string>; steps: Set<Step>; receives: Set<Data> }>();
  const note = (route: ModelRoute, step: Step, model: string) => {
    if (route.provider === "offline" || !route.endpoint) return;
    const endpoint = origin(route.endpoint.baseUrl);
    const key = `${route.provider} ${endpoint}`;
    let entry = byEndpoint.get(key);
    if (!entry) byEndpoint.set(key, (entry = { provider: route.provider, endpoint, routes: new Map(), models: new Set(), steps: new Set(), receives: new Set() }));
    entry.routes.set(route.name, route.endpoint.model);
    entry.models.add(model);
    entry.steps.add(step);
    for (const d of SENDS[step]) entry.receives.add(d);
  };
  for (const m of ctx.models.models) {
    for (const r of m.routes) note(r, "ocr", m.name);
    for (const r of m.refineRoutes ?? []) note(r, "refine", m.name);
    for (const r of m.boxRoutes ?? []) note(r, "bounding_boxes", m.name);
    for (const r of m.structuredRoutes ?? []) note(r, "structured", m.name);
  }
  const subprocessors = [...byEndpoint.values()].map((e) => ({
    provider: e.provider,
    endpoint: e.endpoint,
    routes: [...e.routes].map(([name, model]) => ({ name, model })),
    models: [...e.models].sort(),
    steps: STEP_ORDER.filter((s) => e.steps.has(s)),
    receives: DATA_ORDER.filter((d) => e.receives.has(d)),
  }));
  return { count: subprocessors.length, subprocessors };
}
