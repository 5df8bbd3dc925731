/**
 * Loads pdfjs so that it works the same under `bun run` and inside a `bun build --compile`
 * executable with no node_modules next to it. Imported lazily (this module is heavy: pdfjs,
 * its worker code and the skia addon) so the server's cold start does not pay for it.
 *
 * What the compiled binary needs, and why:
 * - pdfjs polyfills DOMMatrix/Path2D/ImageData by `createRequire`-ing @napi-rs/canvas, which the
 *   bundler cannot follow: set them on globalThis ourselves, before pdfjs is evaluated.
 * - pdfjs would spawn its worker from a URL next to pdf.mjs: import the worker module statically
 *   and expose it as globalThis.pdfjsWorker so pdfjs runs it in-process ("fake worker").
 * - Standard fonts and wasm are fetched from URLs: serve them from embedded file assets through
 *   a custom BinaryDataFactory (pdfjs 5.6 merged the font/cMap/wasm factories into this one).
 * - The default NodeCanvasFactory also `createRequire`s @napi-rs/canvas: pass our own.
 * - @napi-rs/canvas loads every system font when it is imported (236 MB of RSS in each PDF
 *   worker on a host with ~2,000 font files). Pages never need them: glyphs are drawn as paths
 *   from the PDF's own fonts or the embedded standard fonts (disableFontFace). So the import is
 *   dynamic, after DISABLE_SYSTEM_FONTS_LOAD is set.
 */
import type * as CanvasModule from "@napi-rs/canvas";
import * as pdfjsWorker from "pdfjs-dist/legacy/build/pdf.worker.mjs";
import { STANDARD_FONTS, WASM } from "./assets";

process.env.DISABLE_SYSTEM_FONTS_LOAD ??= "1";
const canvas: typeof CanvasModule = await import("@napi-rs/canvas");

const g = globalThis as Record<string, unknown>;
g.DOMMatrix ??= canvas.DOMMatrix;
g.Path2D ??= canvas.Path2D;
g.ImageData ??= canvas.ImageData;
g.pdfjsWorker ??= pdfjsWorker;

// Evaluated only now, after the globals above exist (a static import would be hoisted). While it
// loads, pdfjs also tries to `require("@napi-rs/canvas")` itself, which fails in a compiled
// binary and prints a harmless warning (the globals are already set): keep that line out of the logs.
const warn = console.warn;
console.warn = (...args: unknown[]) => {
  if (!String(args[0]).startsWith('Warning: Cannot load "@napi-rs/canvas"')) warn(...args);
};
let pdfjs: typeof import("pdfjs-dist/legacy/build/pdf.mjs");
try {
  pdfjs = await import("pdfjs-dist/legacy/build/pdf.mjs");
} finally {
  console.warn = warn;
}

class EmbeddedDataFactory {
  constructor(_opts: unknown) {}
  async fetch({ kind, filename }: { kind: string; filename: string }): Promise<Uint8Array> {
    const path = kind === "standardFontDataUrl" ? STANDARD_FONTS[filename] : kind === "wasmUrl" ? WASM[filename] : undefined;
    if (!path) throw new Error(`No embedded ${kind} data for ${filename}`);
    return new Uint8Array(await Bun.file(path).arrayBuffer());
  }
}

class CanvasFactory {
  constructor(_opts: unknown) {}
  create(width: number, height: number) {
    if (width <= 0 || height <= 0) throw new Error("Invalid canvas size");
    const c = canvas.createCanvas(width, height);
    return { canvas: c, context: c.getContext("2d") };
  }
  reset(cc: { canvas: CanvasModule.Canvas }, width: number, height: number) {
    cc.canvas.width = width;
    cc.canvas.height = height;
  }
  destroy(cc: { canvas: CanvasModule.Canvas | null; context: unknown }) {
    if (cc.canvas) {
      cc.canvas.width = 0;
      cc.canvas.height = 0;
    }
    cc.canvas = null;
    cc.context = null;
  }
}

/** Options for every getDocument call (the data itself is added by the caller). */
export const DOCUMENT_OPTIONS = {
  // The dummy URLs only have to be non-null with a trailing slash: pdfjs then asks our factory.
  standardFontDataUrl: "embedded:/fonts/",
  wasmUrl: "embedded:/wasm/",
  useWorkerFetch: false,
  useSystemFonts: false,
  disableFontFace: true,
  isEvalSupported: false,
  BinaryDataFactory: EmbeddedDataFactory,
  CanvasFactory,
  verbosity: 0, // errors only: hostile PDFs would otherwise print pages of warnings
  // A bomb guard: images above 64 megapixels are skipped rather than decoded.
  maxImageSize: 64 * 1024 * 1024,
  stopAtErrors: false,
};

export { pdfjs, canvas };
