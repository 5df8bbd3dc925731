/**
 * Embedded offline OCR: Tesseract 5 (LSTM engine, page segmentation mode 3 "auto") compiled
 * to WebAssembly, run in Bun worker threads, with the English model embedded. Nothing is
 * downloaded, ever.
 *
 * Cheap to import: the wasm module and traineddata load inside a worker on the first
 * recognize() call, and workers stay alive for the next pages.
 *
 * Building the single executable: pass the worker as an extra entrypoint, e.g.
 *   bun build --compile --bytecode --format=esm src/main.ts src/pipeline/ocr/tesseract-worker.ts
 */
export type {
  Box,
  OcrBlock,
  OcrBlockType,
  OcrEngine,
  OcrEngineOptions,
  OcrLine,
  OcrParagraph,
  OcrResult,
  OcrWord,
} from "./types.ts";
export { createOcrEngine } from "./engine.ts";
export { bodyFontHeight, joinLines, ocrToBlocks, ocrToMarkdown } from "./markdown.ts";

/** Path of the worker entrypoint, relative to the repository root, for build scripts. */
export const OCR_WORKER_ENTRYPOINT = "src/pipeline/ocr/tesseract-worker.ts";
