/**
 * What Gemini and OpenAI-compatible routes have in common: the prompts of each step, the page
 * image sized for the model (sharp, via resizeForModel), reading JSON answers (repair, then one
 * re-ask with the validator's message) and turning model boxes into pixel boxes. A provider
 * adapter only implements `ChatClient.chat`: one request in its wire format, one attempt.
 */
import type {
  BlockType, BlocksOutput, ModelRoute, PageBlock, PageOutput, PageRequest, PageSource, StructuredInput, StructuredOutput, TokenUsage,
} from "../ports/model";
import { BLOCK_TYPES } from "../ports/model";
import { RouteError } from "./retry";
import { parseModelJsonCandidates, validateAgainstSchema, type JsonSchema } from "../lib/model-json";
import { wrapRoot } from "./provider-schema";

export interface ChatImage {
  bytes: Uint8Array;
  mime: string;
}

export interface ChatTurn {
  role: "user" | "model";
  text: string;
  image?: ChatImage;
}

export interface ChatRequest {
  system: string;
  turns: ChatTurn[];
  /** Ask for JSON matching this schema (the adapter adapts it for its provider); schema null: any JSON object. */
  jsonSchema?: { name: string; schema: JsonSchema | null };
  signal?: AbortSignal;
}

export interface ChatResponse {
  text: string;
  usage?: TokenUsage;
  /** The answer was cut by the output token limit. */
  truncated: boolean;
}

export interface ChatClient {
  chat(request: ChatRequest): Promise<ChatResponse>;
  /** Loads the client now rather than on the first call. */
  warm?(): void;
}

/**
 * How a route's model writes boxes: Gemini models are trained on [ymin, xmin, ymax, xmax]
 * normalised to 0-1000; most OpenAI-compatible VLMs (Qwen-VL, InternVL) take [x0, y0, x1, y1]
 * in 0-1000; some want pixels of the image they were sent.
 */
export type BoxCoordinates = "yxyx_1000" | "xyxy_1000" | "xyxy_pixels";

export interface VlmRouteOptions {
  name: string;
  provider: "gemini" | "openai";
  model: string;
  baseUrl: string;
  /** DPI at which PDF pages are rendered for this route. */
  dpi: number;
  /** Longest side of the image sent, in pixels. */
  maxLongSide: number;
  imageFormat: "png" | "jpeg";
  boxCoordinates: BoxCoordinates;
  maxConcurrency?: number;
  timeoutMs?: number;
}

interface PreparedImage {
  bytes: Uint8Array;
  mime: string;
  /** Size of the page image before resizing: results are reported in these pixels. */
  pageWidth: number;
  pageHeight: number;
  /** Size of the image the model sees. */
  width: number;
  height: number;
}

/** Prepared images live as long as the PageSource object of the page (the runner's, per page). */
const prepared = new WeakMap<PageSource, Map<string, Promise<PreparedImage>>>();


const withInstructions = (text: string, instructions?: string) =>
  instructions ? `${text}\n\nAdditional instructions from the user (they do not override the rules above): ${instructions}` : text;

export const PROMPTS = {
  ocrSystem:
    "You transcribe document page images into Markdown. Reproduce every piece of text exactly as printed, in reading order. " +
    "Use # headings for headings, Markdown tables for tables, - for bulleted lists, and describe figures in one short line in square brackets. " +
    "Answer with the Markdown only: no commentary, no code fences.",
  ocrUser: "Transcribe this page into Markdown.",
  refineSystem:
    "You correct OCR transcriptions. Compare the draft Markdown with the page image and fix misread characters, missing or invented text, " +
    "broken tables and wrong heading levels. Keep what is right unchanged. Answer with the corrected Markdown only: no commentary, no code fences.",
  refineUser: (draft: string) => `Draft transcription of this page:\n\n${draft}\n\nReturn the corrected Markdown.`,
  boxesSystem: (coords: BoxCoordinates) =>
    "You find the layout blocks of a document page image. For each block give its type (one of " +
    BLOCK_TYPES.join(", ") +
    "), its text, and its bounding box as `box` = " +
    (coords === "yxyx_1000"
      ? "[ymin, xmin, ymax, xmax] normalised to 0-1000"
      : coords === "xyxy_1000"
        ? "[x0, y0, x1, y1] normalised to 0-1000"
        : "[x0, y0, x1, y1] in pixels of the image") +
    ". Answer with JSON only: {\"blocks\": [{\"type\": ..., \"text\": ..., \"box\": [...]}]}, blocks in reading order.",
  boxesUser: "List the layout blocks of this page.",
  structuredSystem:
    "You extract data from documents. Answer with one JSON value that is valid against the given JSON Schema, using only " +
    "information in the document; use null (where the schema allows it) for what the document does not say. JSON only: no commentary, no code fences.",
  structuredUser: (input: StructuredInput, schema: JsonSchema) =>
    withInstructions(
      `JSON Schema of the answer:\n${JSON.stringify(schema)}\n\nThe document, page by page, as Markdown:\n\n` +
        input.pages.map((p) => `<page number="${p.pageNumber}">\n${p.markdown}\n</page>`).join("\n\n"),
      input.instructions,
    ),
  /** No schema: the object's shape comes from the instructions (at most 100 characters), else from the document. */
  freeformSystem:
    "You extract data from documents. Answer with one JSON object holding the document's data, shaped as the user's instructions ask; " +
    "without instructions, use the document's main fields with short snake_case names. Use only information in the document. JSON only: no commentary, no code fences.",
  freeformUser: (input: StructuredInput) =>
    withInstructions(
      "The document, page by page, as Markdown:\n\n" + input.pages.map((p) => `<page number="${p.pageNumber}">\n${p.markdown}\n</page>`).join("\n\n"),
      input.instructions,
    ),
  reask: (problem: string) => `Your answer could not be used: ${problem} Answer again with only the corrected JSON.`,
};

const BLOCKS_SCHEMA: JsonSchema = {
  type: "object",
  properties: {
    blocks: {
      type: "array",
      items: {
        type: "object",
        properties: {
          type: { type: "string", enum: BLOCK_TYPES },
          text: { type: "string" },
          box: { type: "array", items: { type: "number" }, minItems: 4, maxItems: 4 },
        },
        required: ["type", "text", "box"],
      },
    },
  },
  required: ["blocks"],
};

/** What a structured answer without a user schema must be: one JSON object. */
const ANY_OBJECT: JsonSchema = { type: "object" };

const addUsage = (a: TokenUsage | undefined, b: TokenUsage | undefined): TokenUsage | undefined =>
  !a ? b : !b ? a : { inputTokens: a.inputTokens + b.inputTokens, outputTokens: a.outputTokens + b.outputTokens };

/** Strips a ``` fence some models wrap Markdown answers in. */
export function unfenceMarkdown(text: string): string {
  const m = /^\s*```(?:markdown|md)?[ \t]*\r?\n([\s\S]*?)\r?\n?```\s*$/i.exec(text);
  return (m ? m[1]! : text).trim();
}

export class VlmRoute implements ModelRoute {
  readonly name: string;
  readonly provider: "gemini" | "openai";
  readonly maxConcurrency?: number;
  readonly timeoutMs?: number;
  readonly endpoint: { baseUrl: string; model: string };

  constructor(
    readonly o: VlmRouteOptions,
    private readonly client: ChatClient,
  ) {
    this.name = o.name;
    this.provider = o.provider;
    this.maxConcurrency = o.maxConcurrency;
    this.timeoutMs = o.timeoutMs;
    this.endpoint = { baseUrl: o.baseUrl, model: o.model };
  }

  private get label(): string {
    return `${this.provider}:${this.name}`;
  }

  warm(): void {
    this.client.warm?.();
  }

  /** Renders and resizes the page image once per page and size; retries and other steps reuse it. */
  prepare(page: PageSource): Promise<void> {
    return this.image(page).then(() => undefined);
  }

  private image(page: PageSource): Promise<PreparedImage> {
    const key = `${this.o.dpi}:${this.o.maxLongSide}:${this.o.imageFormat}`;
    let byKey = prepared.get(page);
    if (!byKey) prepared.set(page, (byKey = new Map()));
    let p = byKey.get(key);
    if (!p) {
      p = (async () => {
        // PDF pages are drawn at the model's size; coordinates still refer to the page at dpi.
        const full = await page.image(this.o.dpi, { maxLongSide: this.o.maxLongSide });
        const pageWidth = full.pageWidth ?? full.width;
        const pageHeight = full.pageHeight ?? full.height;
        // A PNG page that already fits is sent as rendered: re-encoding it would only cost time.
        if (this.o.imageFormat === "png" && Math.max(full.width, full.height) <= this.o.maxLongSide) {
          return { bytes: full.png, mime: "image/png", pageWidth, pageHeight, width: full.width, height: full.height };
        }
        // Only now: the image module loads sharp, which the first page need not wait for.
        const { resizeForModel } = await import("../pipeline/image/index");
        const small = await resizeForModel(full.png, { maxLongSide: this.o.maxLongSide, format: this.o.imageFormat });
        return { bytes: small.bytes, mime: small.mime, pageWidth, pageHeight, width: small.width, height: small.height };
      })();
      const entry = p;
      // A failed render is not cached: the next attempt renders again.
      p.catch(() => byKey!.get(key) === entry && byKey!.delete(key));
      byKey.set(key, p);
    }
    return p;
  }

  async readPage(page: PageSource, request: PageRequest, signal?: AbortSignal): Promise<PageOutput> {
    const img = await this.image(page);
    const res = await this.client.chat({
      system: PROMPTS.ocrSystem,
      turns: [{ role: "user", text: withInstructions(PROMPTS.ocrUser, request.instructions), image: img }],
      signal,
    });
    const markdown = unfenceMarkdown(res.text);
    if (!markdown && !res.truncated) throw new RouteError(`${this.label} answered with an empty page.`, "bad_output");
    return { markdown, width: img.pageWidth, height: img.pageHeight, route: this.label, usage: res.usage };
  }

  async refinePage(page: PageSource, draft: string, request: PageRequest, signal?: AbortSignal): Promise<PageOutput> {
    const img = await this.image(page);
    const res = await this.client.chat({
      system: PROMPTS.refineSystem,
      turns: [{ role: "user", text: withInstructions(PROMPTS.refineUser(draft), request.instructions), image: img }],
      signal,
    });
    const markdown = unfenceMarkdown(res.text);
    if (!markdown) throw new RouteError(`${this.label} answered with an empty refinement.`, "bad_output");
    return { markdown, width: img.pageWidth, height: img.pageHeight, route: this.label, usage: res.usage };
  }

  async pageBlocks(page: PageSource, _request: PageRequest, signal?: AbortSignal): Promise<BlocksOutput> {
    const img = await this.image(page);
    const { value, usage } = await this.askJson(
      PROMPTS.boxesSystem(this.o.boxCoordinates),
      [{ role: "user", text: PROMPTS.boxesUser, image: img }],
      { name: "page_blocks", schema: BLOCKS_SCHEMA },
      signal,
    );
    const raw = (value as { blocks: { type: BlockType; text: string; box: number[] }[] }).blocks;
    const blocks = raw.map((b) => ({ type: b.type, text: b.text, bounds: this.toPixels(b.box, img) })).filter((b): b is PageBlock => b.bounds !== null);
    return { blocks, width: img.pageWidth, height: img.pageHeight, route: this.label, usage };
  }

  async extractStructured(input: StructuredInput, signal?: AbortSignal): Promise<StructuredOutput> {
    if (!input.schema) {
      // JSON mode without a schema; the answer must still be one object.
      const { value, usage } = await this.askJson(
        PROMPTS.freeformSystem,
        [{ role: "user", text: PROMPTS.freeformUser(input) }],
        { name: "extraction", schema: null },
        signal,
        undefined,
        ANY_OBJECT,
      );
      return { value, route: this.label, usage };
    }
    const { schema, unwrap } = wrapRoot(input.schema);
    const { value, usage } = await this.askJson(
      PROMPTS.structuredSystem,
      [{ role: "user", text: PROMPTS.structuredUser(input, input.schema) }],
      { name: "extraction", schema },
      signal,
      unwrap,
      input.schema,
    );
    return { value, route: this.label, usage };
  }

  /**
   * Asks for JSON; repairs the answer when it can (fences, prose, truncation), else asks once more
   * with the parser's or validator's message; fails with that message (kind bad_output).
   */
  private async askJson(
    system: string,
    turns: ChatTurn[],
    jsonSchema: { name: string; schema: JsonSchema | null },
    signal: AbortSignal | undefined,
    unwrap: (v: unknown) => unknown = (v) => v,
    validateWith: JsonSchema = jsonSchema.schema ?? ANY_OBJECT,
  ): Promise<{ value: unknown; usage?: TokenUsage }> {
    let usage: TokenUsage | undefined;
    let conversation = turns;
    let problem = "";
    for (let attempt = 1; attempt <= 2; attempt++) {
      const res = await this.client.chat({ system, turns: conversation, jsonSchema, signal });
      usage = addUsage(usage, res.usage);
      const parsed = parseModelJsonCandidates(res.text);
      problem = parsed.message;
      let firstInvalid = "";
      for (const candidate of parsed.values) {
        const value = unwrap(candidate);
        const check = validateAgainstSchema(validateWith, value);
        if (check.ok) return { value, usage };
        firstInvalid ||= check.message;
      }
      if (firstInvalid) problem = firstInvalid;
      if (res.truncated && !parsed.values.length) problem = `${problem} The answer was cut off by the output token limit.`;
      conversation = [...turns, { role: "model", text: res.text.slice(0, 20_000) }, { role: "user", text: PROMPTS.reask(problem) }];
    }
    throw new RouteError(problem, "bad_output");
  }

  private toPixels(box: number[], img: PreparedImage): PageBlock["bounds"] | null {
    if (box.length !== 4 || box.some((n) => !Number.isFinite(n))) return null;
    let [x0, y0, x1, y1] = this.o.boxCoordinates === "yxyx_1000" ? [box[1]!, box[0]!, box[3]!, box[2]!] : [box[0]!, box[1]!, box[2]!, box[3]!];
    // Normalised or pixels of the image sent -> pixels of the page image.
    const sx = this.o.boxCoordinates === "xyxy_pixels" ? img.pageWidth / img.width : img.pageWidth / 1000;
    const sy = this.o.boxCoordinates === "xyxy_pixels" ? img.pageHeight / img.height : img.pageHeight / 1000;
    if (x1 < x0) [x0, x1] = [x1, x0];
    if (y1 < y0) [y0, y1] = [y1, y0];
    const clampX = (v: number) => Math.min(img.pageWidth, Math.max(0, Math.round(v * sx)));
    const clampY = (v: number) => Math.min(img.pageHeight, Math.max(0, Math.round(v * sy)));
    const x = clampX(x0);
    const y = clampY(y0);
    const width = clampX(x1) - x;
    const height = clampY(y1) - y;
    return width > 0 && height > 0 ? { x, y, width, height } : null;
  }
}
