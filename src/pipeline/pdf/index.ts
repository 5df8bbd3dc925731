/**
 * The PDF half of the embedded offline engine: open a PDF, read a page's text layer as
 * markdown with typed blocks, render a page to PNG. pdfjs is heavy, so it is only loaded on the
 * first `openPdf` call (dynamic import) and the server's cold start does not pay for it.
 *
 * Rendering many pages in parallel: see ./render-pool.ts.
 */
import type { BlockType, Box } from "../../ports/model";

export type PdfErrorKind = "encrypted" | "corrupt" | "empty";

/** A PDF that cannot be processed; `message` tells a person what to do about it. */
export class PdfError extends Error {
  constructor(
    public kind: PdfErrorKind,
    message: string,
  ) {
    super(message);
    this.name = "PdfError";
  }
}

/** Boxes are pixels in the space of the page image rendered at the `dpi` asked for. */
export type { Box, BlockType };

export interface TextBlock {
  type: BlockType;
  text: string;
  bounds: Box;
  /** Heading level (1-3) for headings. */
  level?: number;
}

export interface PdfPageText {
  /** The page in reading order as markdown; running headers, footers and page numbers left out. */
  markdown: string;
  /** False when the text layer is missing, too small or junk: OCR the rendered page instead. */
  usable: boolean;
  /** Typed blocks in reading order (headers/footers included), boxes in page-image pixels. */
  blocks: TextBlock[];
  /** Page size in pixels at `dpi` (points * dpi / 72, rounded). */
  width: number;
  height: number;
}

export interface RenderOptions {
  /** Largest image to produce, in pixels (width * height): the dpi is lowered to fit. */
  maxPixels?: number;
  /**
   * Longest side of the image to produce: the page is drawn smaller to fit, rather than drawn
   * at `dpi` and scaled down afterwards (a model route's image size). pageWidth/pageHeight
   * still give the size at `dpi`, which coordinates refer to.
   */
  maxLongSide?: number;
}

export interface RenderedPage {
  png: Uint8Array;
  /** Size of the PNG. */
  width: number;
  height: number;
  /** Size of the page at `dpi` (lowered to fit maxPixels): equal to width/height unless maxLongSide shrank it. */
  pageWidth: number;
  pageHeight: number;
}

export interface PdfDocumentHandle {
  readonly pageCount: number;
  /** Text layer of a page (1-based). Throws PdfError("corrupt") if the page cannot be read. */
  extractText(pageNumber: number, dpi: number): Promise<PdfPageText>;
  /** Renders a page (1-based) to PNG at `dpi`, lowered to fit `opts.maxPixels`. */
  render(pageNumber: number, dpi: number, opts?: RenderOptions): Promise<RenderedPage>;
  close(): Promise<void>;
}

/** Default guard when the caller gives no maxPixels: about 10,000 x 10,000. */
export const DEFAULT_MAX_PIXELS = 100_000_000;

/**
 * Opens a PDF. Throws PdfError: "encrypted" when a password is needed to open it, "corrupt"
 * when it cannot be parsed, "empty" when it has no pages. pdfjs may take ownership of (detach)
 * the buffer it is given; pass a copy if you still need the bytes.
 */
export async function openPdf(bytes: Uint8Array): Promise<PdfDocumentHandle> {
  const { openDocument } = await import("./engine");
  return openDocument(bytes);
}
