// Messages between the OCR engine (main thread) and tesseract-worker.ts. Types only.
import type { OcrResult } from "./types.ts";
import type { GreyImage } from "./upright.ts";

export interface WorkerInit {
  type: "init";
  /** Languages this engine may use ("eng" is embedded; others come from langDataDir). */
  langs: string[];
  langDataDir?: string;
}

export interface RecognizeRequest {
  type: "recognize";
  id: number;
  image: Uint8Array;
  /** Tesseract language string, e.g. "eng" or "deu+eng". */
  lang: string;
  /** The page's grey pixels (any size): given, the page is turned upright before it is read. */
  grey?: GreyImage;
}

export type WorkerRequest = WorkerInit | RecognizeRequest;

export type WorkerReply =
  | { type: "result"; id: number; result: OcrResult }
  | { type: "error"; id: number; message: string; /** the wasm module is unusable afterwards */ fatal: boolean };
