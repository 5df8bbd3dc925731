/**
 * Worker thread of the render pool (./render-pool.ts): keeps its own pdfjs documents and renders
 * pages on request. In a compiled binary this file must be an extra entrypoint of
 * `bun build --compile` (src/pipeline/pdf/render-worker.ts).
 */
import { setPriority } from "node:os";
import { PdfError, type PdfDocumentHandle, type PdfPageText, type RenderedPage } from "./index";

declare const self: Worker;

// Rendering is background work: at nice 10 this thread yields the CPU to the HTTP thread (status
// requests, handing pages to the model routes), which needs little of it but needs it now.
// Linux keeps a nice value per thread, so this lowers only this worker; elsewhere (macOS) the
// call would lower the whole process, so it is Linux only. Where it is refused, no matter.
if (process.platform === "linux") {
  try {
    setPriority(0, 10);
  } catch {
    /* not permitted here: render at normal priority */
  }
}

export type WorkerRequest =
  | { op: "open"; id: number; doc: number; bytes: Uint8Array }
  | { op: "render"; id: number; doc: number; page: number; dpi: number; maxPixels?: number; maxLongSide?: number }
  | { op: "extract"; id: number; doc: number; page: number; dpi: number }
  | { op: "release"; id: number; doc: number }
  | { op: "warm"; id: number };

export type WorkerResponse =
  | { id: number; ok: true; pageCount?: number; page?: RenderedPage; text?: PdfPageText }
  | { id: number; ok: false; kind?: string; message: string };

const docs = new Map<number, Promise<PdfDocumentHandle>>();
// Loaded on the first message, not imported statically: the engine's module graph has a
// top-level await, and Bun drops messages that arrive before `onmessage` is assigned.
let engine: Promise<typeof import("./engine")> | null = null;

async function handle(req: WorkerRequest): Promise<WorkerResponse> {
  if (req.op === "warm") {
    await (engine ??= import("./engine"));
    return { id: req.id, ok: true };
  }
  if (req.op === "open") {
    engine ??= import("./engine");
    const opening = engine.then((m) => m.openDocument(req.bytes));
    docs.set(req.doc, opening);
    opening.catch(() => docs.delete(req.doc));
    return { id: req.id, ok: true, pageCount: (await opening).pageCount };
  }
  const doc = docs.get(req.doc);
  if (req.op === "release") {
    docs.delete(req.doc);
    await (await doc?.catch(() => null))?.close();
    return { id: req.id, ok: true };
  }
  if (!doc) throw new Error(`document ${req.doc} is not open in this worker`);
  if (req.op === "extract") return { id: req.id, ok: true, text: await (await doc).extractText(req.page, req.dpi) };
  const page = await (await doc).render(req.page, req.dpi, { maxPixels: req.maxPixels, maxLongSide: req.maxLongSide });
  return { id: req.id, ok: true, page };
}

self.onmessage = async (e: MessageEvent<WorkerRequest>) => {
  const req = e.data;
  let res: WorkerResponse;
  try {
    res = await handle(req);
  } catch (err) {
    res = err instanceof PdfError
      ? { id: req.id, ok: false, kind: err.kind, message: err.message }
      : { id: req.id, ok: false, message: String((err as Error)?.message ?? err) };
  }
  // Hand the PNG buffer over instead of copying it.
  self.postMessage(res, "page" in res && res.page ? [res.page.png.buffer as ArrayBuffer] : []);
};
