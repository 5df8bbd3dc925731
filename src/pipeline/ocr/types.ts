import type { BlockType, Box } from "../../ports/model";

/** Boxes are pixels of the input image. */
export type { Box };

export interface OcrWord {
  text: string;
  /** 0..1 */
  confidence: number;
  bounds: Box;
}

export interface OcrLine {
  text: string;
  confidence: number;
  bounds: Box;
  words: OcrWord[];
  /** Height of the line's font in pixels (x-height + ascenders + descenders as Tesseract fits the row). */
  fontHeight: number;
}

export interface OcrParagraph {
  text: string;
  confidence: number;
  bounds: Box;
  lines: OcrLine[];
}

export interface OcrResult {
  text: string;
  /** 0..1: mean word confidence weighted by word length; 0 when nothing was read. */
  confidence: number;
  width: number;
  height: number;
  paragraphs: OcrParagraph[];
  /**
   * How the page was turned before it was read (degrees clockwise: a quarter turn, then the
   * deskew). Boxes, width and height refer to the page as given, not to the turned one.
   */
  upright?: {
    rotation: number;
    deskew: number;
    /** Milliseconds spent deciding it (grey decode, skew profile, orientation detection when run). */
    ms: number;
  };
}

export interface OcrEngine {
  /** OCR one image (PNG bytes; JPEG, BMP, TIFF and WebP are read too). */
  recognize(image: Uint8Array, opts?: { lang?: string }): Promise<OcrResult>;
  /** Stops the workers; pending and later calls are rejected. */
  close(): Promise<void>;
}

export interface OcrEngineOptions {
  /** Worker threads, each with its own Tesseract instance (default 1). */
  workers?: number;
  /** Languages that may be asked for (default ["eng"]). */
  langs?: string[];
  /**
   * Turn scanned pages upright (quarter turns by orientation detection, skew up to 16 degrees)
   * before reading them. Default true.
   */
  upright?: boolean;
  /** Directory with <lang>.traineddata or <lang>.traineddata.gz for languages other than the embedded eng. */
  langDataDir?: string;
}

/** The blocks OCR can tell apart (a subset of every layout block type). */
export type OcrBlockType = Extract<BlockType, "paragraph" | "heading" | "list">;

export interface OcrBlock {
  type: OcrBlockType;
  text: string;
  bounds: Box;
}
