/**
 * The model config file (`--config` / LEAPOCR_CONFIG): named routes (provider, base URL, the
 * NAME of the environment variable with its key, model id, limits) and models that list, per
 * step, the routes to try in order. JSON, validated with valibot; documented in docs/CONFIG.md.
 * Keys are read from the environment at start and never written anywhere; a route whose key
 * variable is unset is a start-up error that names the variable.
 */
import * as v from "valibot";
import { readFileSync } from "node:fs";
import { ConfigError } from "./config";
import type { ModelDefinition, ModelRoute } from "./ports/model";
import type { GeminiRouteOptions } from "./adapters/model-gemini";
import type { OpenAIRouteOptions } from "./adapters/model-openai";
import { VlmRoute, type ChatClient } from "./adapters/vlm";
import { DEFAULT_RETRY, RetryPolicy, type Sleep } from "./adapters/retry";
import { ModelRegistry, RouteExecutor, defaultModels, mergeModels } from "./adapters/router";
import type { Logger } from "./lib/logger";

const name = v.pipe(v.string(), v.regex(/^[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}$/, "names use letters, digits, '.', '_' and '-' (at most 64)"));
const positive = (max: number) => v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(max));

const RouteSchema = v.strictObject({
  provider: v.picklist(["gemini", "openai", "offline"]),
  /** The provider's endpoint; Gemini defaults to Google's, OpenAI-compatible routes need it. */
  base_url: v.optional(v.pipe(v.string(), v.url("base_url must be a URL"))),
  /** The NAME of the environment variable that holds the key (never the key itself). */
  api_key_env: v.optional(v.pipe(v.string(), v.regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "api_key_env is the name of an environment variable"))),
  /** The provider's model id, e.g. gemini-2.5-flash or qwen/qwen2.5-vl-72b-instruct. */
  model: v.optional(v.pipe(v.string(), v.minLength(1))),
  max_concurrency: v.optional(positive(1024), 4),
  timeout_seconds: v.optional(v.pipe(v.number(), v.minValue(0.05), v.maxValue(3600)), 120),
  /** PDF pages are rendered at this DPI for the route; images keep their own size. */
  dpi: v.optional(v.pipe(v.number(), v.integer(), v.minValue(50), v.maxValue(600))),
  /** Longest side of the image sent, in pixels. */
  max_long_side: v.optional(v.pipe(v.number(), v.integer(), v.minValue(64), v.maxValue(8192))),
  image_format: v.optional(v.picklist(["png", "jpeg"])),
  /** OpenAI-compatible only: how to ask for JSON. */
  structured_output: v.optional(v.picklist(["json_schema", "json_object", "none"])),
  box_coordinates: v.optional(v.picklist(["yxyx_1000", "xyxy_1000", "xyxy_pixels"])),
  /** Gemini only: the API version in the URL (default: the SDK's). */
  api_version: v.optional(v.string()),
  temperature: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(2))),
  max_output_tokens: v.optional(positive(1_000_000)),
  /** Extra non-secret headers, e.g. OpenRouter's HTTP-Referer and X-Title. */
  headers: v.optional(v.record(v.string(), v.string())),
});

const ModelSchema = v.strictObject({
  name,
  display_name: v.optional(v.string()),
  description: v.optional(v.string()),
  credits_per_page: v.pipe(v.number(), v.integer(), v.minValue(0)),
  priority: v.optional(v.number(), 0),
  surcharge_per_page: v.optional(v.number(), 0),
  steps: v.strictObject({
    ocr: v.pipe(v.array(name), v.minLength(1, "steps.ocr needs at least one route")),
    refine: v.optional(v.array(name), []),
    bounding_boxes: v.optional(v.array(name), []),
    structured: v.optional(v.array(name), []),
  }),
});

export const ConfigFileSchema = v.strictObject({
  $schema: v.optional(v.string()),
  /** Model calls in flight at most over all external routes. */
  max_concurrency: v.optional(positive(4096), 64),
  /** Pages in flight at most (rendering + model calls); default: enough to fill the routes. */
  page_concurrency: v.optional(positive(1024)),
  image: v.optional(
    v.strictObject({
      dpi: v.optional(v.pipe(v.number(), v.integer(), v.minValue(50), v.maxValue(600)), 150),
      max_long_side: v.optional(v.pipe(v.number(), v.integer(), v.minValue(64), v.maxValue(8192)), 2048),
      format: v.optional(v.picklist(["png", "jpeg"]), "png"),
    }),
    {},
  ),
  retry: v.optional(
    v.strictObject({
      max_attempts: v.optional(positive(10), DEFAULT_RETRY.maxAttempts),
      base_delay_ms: v.optional(v.pipe(v.number(), v.minValue(0)), DEFAULT_RETRY.baseDelayMs),
      max_delay_ms: v.optional(v.pipe(v.number(), v.minValue(0)), DEFAULT_RETRY.maxDelayMs),
      max_retry_after_ms: v.optional(v.pipe(v.number(), v.minValue(0)), DEFAULT_RETRY.maxRetryAfterMs),
    }),
    {},
  ),
  routes: v.optional(v.record(name, RouteSchema), {}),
  models: v.optional(v.array(ModelSchema), []),
});

export type ConfigFile = v.InferOutput<typeof ConfigFileSchema>;

/** Reads and validates the file; every problem is a ConfigError that names the place. */
export function readConfigFile(path: string): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new ConfigError(`Cannot read the config file ${path}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`The config file ${path} is not valid JSON: ${(err as Error).message}`);
  }
  return parseConfigFile(raw, path);
}

export function parseConfigFile(raw: unknown, source = "config"): ConfigFile {
  const parsed = v.safeParse(ConfigFileSchema, raw);
  if (!parsed.success) {
    const issue = parsed.issues[0]!;
    const where = v.getDotPath(issue) ?? "(top level)";
    throw new ConfigError(`${source}: ${where}: ${issue.message}`);
  }
  const file = parsed.output;
  const names = new Set<string>();
  for (const m of file.models) {
    if (names.has(m.name)) throw new ConfigError(`${source}: model "${m.name}" is declared twice.`);
    names.add(m.name);
    for (const [step, list] of Object.entries(m.steps)) {
      for (const r of list) {
        if (r !== "offline" && !file.routes[r]) throw new ConfigError(`${source}: model "${m.name}" step ${step} names route "${r}", which is not declared under "routes".`);
        const provider = r === "offline" ? "offline" : file.routes[r]!.provider;
        if (provider === "offline" && step !== "ocr") throw new ConfigError(`${source}: model "${m.name}" step ${step}: the offline engine can only do the ocr step.`);
      }
    }
  }
  for (const [routeName, r] of Object.entries(file.routes)) {
    if (r.provider === "openai" && !r.base_url) throw new ConfigError(`${source}: route "${routeName}" (openai) needs base_url.`);
    if (r.provider !== "offline" && !r.model) throw new ConfigError(`${source}: route "${routeName}" needs model (the provider's model id).`);
    if (r.provider === "gemini" && !r.api_key_env) throw new ConfigError(`${source}: route "${routeName}" (gemini) needs api_key_env.`);
  }
  return file;
}

/** The SDKs load on the first call, not at start: a server without routes never loads them. */
function lazyClient(load: () => Promise<ChatClient>): ChatClient {
  let client: Promise<ChatClient> | null = null;
  return {
    chat(request) {
      client ??= load();
      return client.then((c) => c.chat(request));
    },
    warm() {
      client ??= load();
      client.catch(() => {}); // a failed load is reported by the first call
    },
  };
}

function geminiRoute(o: GeminiRouteOptions): VlmRoute {
  return new VlmRoute({ ...o, provider: "gemini" }, lazyClient(async () => new (await import("./adapters/model-gemini")).GeminiChatClient(o)));
}

function openAIRoute(o: OpenAIRouteOptions): VlmRoute {
  return new VlmRoute({ ...o, provider: "openai" }, lazyClient(async () => new (await import("./adapters/model-openai")).OpenAIChatClient(o)));
}

export interface BuiltModels {
  registry: ModelRegistry;
  /** Pages in flight the runner should allow so the routes can be kept busy. */
  pageConcurrency: number;
}

/**
 * Builds the registry: the default models, replaced or extended by the file's. Keys are read
 * from `env` now; a missing one is a ConfigError naming the variable.
 */
export function buildModels(
  file: ConfigFile | null,
  offline: ModelRoute,
  opts: { env?: Record<string, string | undefined>; pageConcurrency: number; logger?: Logger; sleep?: Sleep; random?: () => number },
): BuiltModels {
  const env = opts.env ?? process.env;
  if (!file) return { registry: new ModelRegistry(defaultModels(offline), new RouteExecutor({ logger: opts.logger })), pageConcurrency: opts.pageConcurrency };
  const used = new Set(file.models.flatMap((m) => [...m.steps.ocr, ...m.steps.refine, ...m.steps.bounding_boxes, ...m.steps.structured]));
  const routes = new Map<string, ModelRoute>([["offline", offline]]);
  for (const [routeName, r] of Object.entries(file.routes)) {
    if (r.provider === "offline") {
      routes.set(routeName, offline);
      continue;
    }
    // Unused routes are not built: they need no key and receive nothing.
    if (!used.has(routeName)) continue;
    let apiKey = "";
    if (r.api_key_env) {
      apiKey = env[r.api_key_env] ?? "";
      if (!apiKey) throw new ConfigError(`Route "${routeName}" reads its API key from the environment variable ${r.api_key_env}, which is not set.`);
    }
    const common = {
      name: routeName,
      model: r.model!,
      dpi: r.dpi ?? file.image.dpi,
      maxLongSide: r.max_long_side ?? file.image.max_long_side,
      imageFormat: r.image_format ?? file.image.format,
      maxConcurrency: r.max_concurrency,
      timeoutMs: Math.round(r.timeout_seconds * 1000),
      temperature: r.temperature,
      maxOutputTokens: r.max_output_tokens,
      headers: r.headers,
      apiKey,
    };
    routes.set(
      routeName,
      r.provider === "gemini"
        ? geminiRoute({ ...common, baseUrl: r.base_url ?? "https://generativelanguage.googleapis.com", apiVersion: r.api_version, boxCoordinates: r.box_coordinates ?? "yxyx_1000" })
        : openAIRoute({
            ...common,
            baseUrl: r.base_url!,
            // Local servers need no key, but the SDK wants one.
            apiKey: apiKey || "not-needed",
            structuredOutput: r.structured_output ?? "json_schema",
            boxCoordinates: r.box_coordinates ?? "xyxy_1000",
          }),
    );
  }
  const pick = (list: string[]) => list.map((n) => routes.get(n)!);
  const models: ModelDefinition[] = file.models.map((m) => {
    const structuredRoutes = pick(m.steps.structured);
    const ocr = pick(m.steps.ocr);
    return {
      name: m.name,
      displayName: m.display_name ?? m.name,
      description: m.description ?? `Model routes: ${ocr.map((r) => `${r.provider}:${r.name}`).join(", ")}.`,
      creditsPerPage: m.credits_per_page,
      priority: m.priority,
      surchargePerPage: m.surcharge_per_page,
      routes: ocr,
      refineRoutes: pick(m.steps.refine),
      boxRoutes: pick(m.steps.bounding_boxes),
      structuredRoutes,
      supportsStructured: structuredRoutes.length > 0,
    };
  });
  const executor = new RouteExecutor({
    retry: new RetryPolicy(
      { maxAttempts: file.retry.max_attempts, baseDelayMs: file.retry.base_delay_ms, maxDelayMs: file.retry.max_delay_ms, maxRetryAfterMs: file.retry.max_retry_after_ms },
      opts.random,
    ),
    globalConcurrency: file.max_concurrency,
    sleep: opts.sleep,
    logger: opts.logger,
  });
  const external = [...routes.values()].filter((r) => r.provider !== "offline");
  const fill = Math.min(file.max_concurrency, external.reduce((n, r) => n + (r.maxConcurrency ?? 0), 0));
  // Twice the slots: while C pages wait on the provider, the next C are rendered and ready, so a
  // slot never waits for a render. Memory stays bounded by this number, not by the page count.
  const pageConcurrency = file.page_concurrency ?? Math.max(opts.pageConcurrency, Math.min(1024, fill * 2));
  return { registry: new ModelRegistry(mergeModels(defaultModels(offline), models), executor), pageConcurrency };
}
