/**
 * A model route reads one page. The offline engine and the vision-language model adapters
 * implement this; the pipeline knows only this interface.
 */
export interface BlockBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

export type BlockType = "paragraph" | "heading" | "table" | "figure" | "caption" | "list" | "header" | "footer";

export interface PageBlock {
  type: BlockType;
  text: string;
  bounds: BlockBox;
  metadata?: Record<string, unknown>;
}

/** What a route may ask of a page: its text layer (PDF only) and its image at a DPI. */
export interface PageSource {
  readonly pageNumber: number;
  /** The PDF text layer as markdown with blocks, or null for images. Coordinates at `dpi`. */
  textLayer(dpi: number): Promise<{ markdown: string; usable: boolean; blocks: PageBlock[]; width: number; height: number } | null>;
  /** The page as a PNG. For PDFs rendered at `dpi`; images come at their own size. */
  image(dpi: number): Promise<{ png: Uint8Array; width: number; height: number }>;
}

export interface PageRequest {
  format: "markdown" | "structured";
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
  usage?: { inputTokens: number; outputTokens: number };
}

export interface ModelRoute {
  readonly name: string;
  readonly provider: "offline" | "gemini" | "openai";
  readPage(page: PageSource, request: PageRequest, signal?: AbortSignal): Promise<PageOutput>;
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
  /** Routes tried in order (fallback). */
  routes: ModelRoute[];
  /** Whether this model can return structured (schema-shaped) output. */
  supportsStructured: boolean;
}
