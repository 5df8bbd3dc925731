/**
 * A model route reads one page. The offline engine and the vision-language model adapters
 * implement this; the pipeline knows only this interface.
 *
 * Steps, as the hosted service runs them (see docs/CONFIG.md):
 *   ocr         page image (or text layer) -> markdown            readPage      (every route)
 *   refine      page image + base markdown -> corrected markdown  refinePage    (VLM routes)
 *   boxes       page image -> typed blocks with pixel boxes        pageBlocks    (VLM routes)
 *   structured  whole document's markdown + schema -> one object   extractStructured (VLM routes)
 * A route makes ONE attempt per call; retries, timeouts, concurrency limits and fallback to the
 * next route belong to the executor in adapters/router.ts.
 */
/**
 * A rectangle in pixels of the page image (at the dpi the page was drawn or read at). The one
 * declaration: the PDF text layer, the OCR engine and the model routes all give their boxes in it.
 */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Every kind of block a page's layout can have, whoever found it (text layer, OCR, a model). */
export const BLOCK_TYPES = ["paragraph", "heading", "table", "figure", "caption", "list", "header", "footer"] as const;
export type BlockType = (typeof BLOCK_TYPES)[number];

export interface PageBlock {
  type: BlockType;
  text: string;
  bounds: Box;
  metadata?: Record<string, unknown>;
}

/** A page drawn as a PNG. */
export interface PageImage {
  png: Uint8Array;
  /** Size of the PNG. */
  width: number;
  height: number;
  /** Size of the page at the dpi asked for, when the PNG was drawn smaller to fit; else absent. */
  pageWidth?: number;
  pageHeight?: number;
}

/** What a route may ask of a page: its text layer (PDF only) and its image at a DPI. */
export interface PageSource {
  readonly pageNumber: number;
  /** The PDF text layer as markdown with blocks, or null for images. Coordinates at `dpi`. */
  textLayer(dpi: number): Promise<{ markdown: string; usable: boolean; blocks: PageBlock[]; width: number; height: number } | null>;
  /**
   * The page as a PNG. For PDFs rendered at `dpi`, or drawn smaller to fit `fit.maxLongSide`
   * (pageWidth/pageHeight then give the size at `dpi`); images come at their own size.
   */
  image(dpi: number, fit?: { maxLongSide?: number }): Promise<PageImage>;
}

/**
 * What a job returns: markdown per page; ONE object for the whole document (structured); or one
 * object per page (per_page_structured). Both object formats read every page as markdown first.
 */
export type ResultFormat = "markdown" | "structured" | "per_page_structured";

/** One page's object of a per_page_structured job, or why that page has none. */
export type PerPageEntry = { page: number; value: unknown } | { page: number; error: string };

export const isObjectFormat = (format: string): boolean => format === "structured" || format === "per_page_structured";

export interface PageRequest {
  format: ResultFormat;
  extractBoundingBoxes: boolean;
  instructions?: string;
  schema?: Record<string, unknown>;
}

export interface PageOutput {
  markdown: string;
  /** 0..1 when the route can tell. */
  confidence?: number;
  width: number;
  height: number;
  blocks?: PageBlock[];
  /** Which route produced it, e.g. "offline:text-layer". */
  route: string;
  usage?: TokenUsage;
}

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
}

export type StepName = "ocr" | "refine" | "boxes" | "structured";

/**
 * The input of the structured step: each page's markdown from the base OCR step (the whole
 * document, or one page for per_page_structured). Without a schema the answer is one JSON object
 * shaped by the instructions.
 */
export interface StructuredInput {
  pages: { pageNumber: number; markdown: string }[];
  schema?: Record<string, unknown>;
  instructions?: string;
}

export interface StructuredOutput {
  /** Valid against the schema. */
  value: unknown;
  route: string;
  usage?: TokenUsage;
}

export interface BlocksOutput {
  blocks: PageBlock[];
  /** Size of the page image the boxes are in. */
  width: number;
  height: number;
  route: string;
  usage?: TokenUsage;
}

export interface ModelRoute {
  readonly name: string;
  readonly provider: "offline" | "gemini" | "openai";
  /** Calls in flight on this route at most; undefined: no limit of its own. */
  readonly maxConcurrency?: number;
  /** Milliseconds one call may take; undefined: no timeout. */
  readonly timeoutMs?: number;
  /** Where an external route sends data (for /subprocessors); undefined for the offline engine. */
  readonly endpoint?: { baseUrl: string; model: string };
  /** Base OCR: one page to markdown. One attempt; `signal` aborts it. */
  readPage(page: PageSource, request: PageRequest, signal?: AbortSignal): Promise<PageOutput>;
  /** Refinement: corrects `draft` (the base OCR markdown) against the page image. */
  refinePage?(page: PageSource, draft: string, request: PageRequest, signal?: AbortSignal): Promise<PageOutput>;
  /** Bounding boxes: typed blocks with pixel boxes on the page image. */
  pageBlocks?(page: PageSource, request: PageRequest, signal?: AbortSignal): Promise<BlocksOutput>;
  /** Structured extraction: the whole document to one object valid against the schema. */
  extractStructured?(input: StructuredInput, signal?: AbortSignal): Promise<StructuredOutput>;
  /** Work done before a call takes a concurrency slot (rendering the page image), shared by retries. */
  prepare?(page: PageSource): Promise<void>;
  /** Loads what the first call needs (the provider's SDK) now, so that call does not wait for it. */
  warm?(): void;
  close?(): Promise<void>;
}

/** A model as clients see it in /ocr/models, with the routes that back it. */
export interface ModelDefinition {
  name: string;
  displayName: string;
  description: string;
  creditsPerPage: number;
  priority: number;
  surchargePerPage: number;
  /** Base OCR routes, tried in order (fallback). */
  routes: ModelRoute[];
  /** Optional refinement routes; empty or absent: no refinement pass. */
  refineRoutes?: ModelRoute[];
  /** Bounding-box routes; absent: blocks come from the OCR route when it gives them. */
  boxRoutes?: ModelRoute[];
  /** Structured extraction routes; a model without them answers 400 to format "structured". */
  structuredRoutes?: ModelRoute[];
  /** Whether this model can return structured (schema-shaped) output. */
  supportsStructured: boolean;
}

/** Why a model call failed, as far as retrying and falling back are concerned. */
export type RouteErrorKind =
  /** 429: wait (Retry-After) and try again. */
  | "rate_limited"
  /** 5xx: try again after a backoff. */
  | "server"
  /** No answer within the route's timeout. */
  | "timeout"
  /** Connection refused, reset, DNS: try again after a backoff. */
  | "network"
  /** 4xx other than 429 (bad key, rejected request): no retry, next route. */
  | "rejected"
  /** The answer came but is unusable (invalid JSON after repair and one re-ask, schema mismatch). */
  | "bad_output";

/** A failed model call. `message` is safe to show to the user (no keys, no document content). */
export class RouteError extends Error {
  constructor(
    message: string,
    readonly kind: RouteErrorKind,
    readonly opts: { status?: number; retryAfterMs?: number } = {},
  ) {
    super(message);
    this.name = "RouteError";
  }

  get retryable(): boolean {
    return this.kind === "rate_limited" || this.kind === "server" || this.kind === "timeout" || this.kind === "network";
  }
}

/** A step that failed on every route; the message lists each route's last reason. */
export class StepFailedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StepFailedError";
  }
}

/** Runs one step of a model over its routes: limits, retries and fallback (adapters/router.ts). */
export interface StepExecutor {
  run<T>(
    step: StepName,
    routes: ModelRoute[],
    call: (route: ModelRoute, signal: AbortSignal) => Promise<T>,
    ctx?: { jobId?: string; page?: number; prepare?: (route: ModelRoute) => Promise<void>; signal?: AbortSignal },
  ): Promise<{ value: T; route: ModelRoute; attempts: number }>;
}

/** The configured models by name, and the executor their steps run through (what the pipeline needs of the registry). */
export interface ModelCatalog {
  get(name: string): ModelDefinition | undefined;
  readonly executor: StepExecutor;
}
