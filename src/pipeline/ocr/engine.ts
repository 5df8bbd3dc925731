import { existsSync } from "node:fs";
import type { RecognizeRequest, WorkerReply } from "./protocol.ts";
import type { OcrEngine, OcrEngineOptions, OcrResult } from "./types.ts";
import type { GreyImage } from "./upright.ts";
import { loadSharp } from "../../lib/sharp";

/**
 * The page's grey pixels at full size, for the worker to measure skew and find the text for
 * orientation detection (decoded by sharp off the JS thread; Tesseract's wasm decoder gives no
 * access to its pixels). Null when sharp cannot read the image: it is then read as it is.
 */
async function greyPixels(image: Uint8Array): Promise<GreyImage | null> {
  try {
    const sharp = await loadSharp();
    const { data, info } = await sharp(image, { failOn: "error", limitInputPixels: 100_000_000 })
      .flatten({ background: "#ffffff" })
      .greyscale()
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 1) return null;
    // A copy of our own: sharp's buffers cannot be transferred to a worker.
    return { data: new Uint8Array(data), width: info.width, height: info.height };
  } catch {
    return null;
  }
}

/** Long side (pixels) from which a page that reads empty is read again at half its size: A4 at about 180 DPI. */
const LARGE_PAGE = 2000;

async function halfSize(image: Uint8Array): Promise<{ png: Uint8Array; width: number } | null> {
  try {
    const sharp = await loadSharp();
    const img = sharp(image, { failOn: "error", limitInputPixels: 100_000_000 });
    const { width } = await img.metadata();
    if (!width) return null;
    const { data, info } = await img.resize({ width: Math.round(width / 2) }).png({ compressionLevel: 1 }).toBuffer({ resolveWithObject: true });
    return { png: new Uint8Array(data), width: info.width };
  } catch {
    return null;
  }
}

/** A result read on a copy scaled down by 1/`k`, in the pixels of the page as given. */
function scaleResult(r: OcrResult, k: number, width: number, height: number): OcrResult {
  const box = (b: { x: number; y: number; width: number; height: number }) => ({ x: Math.round(b.x * k), y: Math.round(b.y * k), width: Math.round(b.width * k), height: Math.round(b.height * k) });
  return {
    ...r,
    width,
    height,
    paragraphs: r.paragraphs.map((p) => ({
      ...p,
      bounds: box(p.bounds),
      lines: p.lines.map((l) => ({ ...l, bounds: box(l.bounds), fontHeight: l.fontHeight * k, words: l.words.map((w) => ({ ...w, bounds: box(w.bounds) })) })),
    })),
  };
}

/**
 * Where the worker script is. Under `bun run`/`bun test` it is this directory's
 * tesseract-worker.ts. Inside a `bun build --compile` executable it exists only if
 * `src/pipeline/ocr/tesseract-worker.ts` was passed to the build as an extra entrypoint; Bun
 * then stores it as .js under /$bunfs/root/ at its path relative to the lowest common
 * directory of all entrypoints (with src/main.ts: /$bunfs/root/pipeline/ocr/tesseract-worker.js),
 * while import.meta.url here is the executable's own /$bunfs/root/<name>, so a plain
 * `new URL("./tesseract-worker.ts", import.meta.url)` would miss it.
 */
export function ocrWorkerLocation(): string {
  const here = import.meta.url;
  const compiled = here.includes("/$bunfs/") || here.includes("/~BUN/");
  if (!compiled) return new URL("./tesseract-worker.ts", here).href;
  const root = import.meta.dir; // "/$bunfs/root" (or "B:/~BUN/root" on Windows)
  const suffixes = ["pipeline/ocr", "src/pipeline/ocr", "ocr", "", "main/src/pipeline/ocr"];
  for (const s of suffixes) {
    const p = `${root}/${s ? s + "/" : ""}tesseract-worker.js`;
    if (existsSync(p)) return p;
  }
  throw new Error(
    "OCR worker not found in this executable: build it with src/pipeline/ocr/tesseract-worker.ts as an extra entrypoint",
  );
}

let workerLocation: string | null = null;

function spawnWorker(): Worker {
  workerLocation ??= ocrWorkerLocation();
  return new Worker(workerLocation);
}

/** A worker is replaced after this many pages: the wasm heap only grows, and a few strings leak per page. */
const PAGES_PER_WORKER = 200;

interface Job {
  req: Omit<RecognizeRequest, "id">;
  resolve: (r: OcrResult) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker | null;
  job: (Job & { id: number }) | null;
  pages: number;
}

export function createOcrEngine(opts: OcrEngineOptions = {}): OcrEngine {
  const count = Math.max(1, Math.floor(opts.workers ?? 1));
  const langs = opts.langs && opts.langs.length > 0 ? [...opts.langs] : ["eng"];
  const defaultLang = langs.includes("eng") ? "eng" : langs[0]!;
  const upright = opts.upright ?? true;
  const slots: Slot[] = Array.from({ length: count }, () => ({ worker: null, job: null, pages: 0 }));
  const queue: Job[] = [];
  let nextId = 1;
  let closed = false;

  function retire(slot: Slot): void {
    const w = slot.worker;
    slot.worker = null;
    slot.pages = 0;
    if (w) {
      w.onmessage = null;
      w.onerror = null;
      w.terminate();
    }
  }

  function start(slot: Slot): Worker {
    const w = spawnWorker();
    w.postMessage({ type: "init", langs, langDataDir: opts.langDataDir });
    w.onmessage = (ev: MessageEvent<WorkerReply>) => {
      const msg = ev.data;
      const job = slot.job;
      if (!job || job.id !== msg.id) return;
      slot.job = null;
      slot.pages++;
      w.unref();
      if (msg.type === "result") job.resolve(msg.result);
      else job.reject(new Error(`OCR failed: ${msg.message}`));
      if ((msg.type === "error" && msg.fatal) || slot.pages >= PAGES_PER_WORKER) retire(slot);
      pump();
    };
    w.onerror = (ev: ErrorEvent) => {
      const job = slot.job;
      slot.job = null;
      retire(slot);
      job?.reject(new Error(`OCR worker crashed: ${ev.message || "unknown error"}`));
      pump();
    };
    slot.worker = w;
    return w;
  }

  function pump(): void {
    while (!closed && queue.length > 0) {
      // Prefer a worker that is already running over starting another one.
      const slot = slots.find((s) => s.worker && !s.job) ?? slots.find((s) => !s.worker);
      if (!slot) return;
      const job = queue.shift()!;
      let w: Worker;
      try {
        w = slot.worker ?? start(slot);
      } catch (err) {
        job.reject(err instanceof Error ? err : new Error(String(err)));
        continue;
      }
      const id = nextId++;
      // A copy of our own to transfer: the caller's buffer must not be detached (and a Node
      // Buffer may be a view into a shared pool, which cannot be transferred at all).
      const image = new Uint8Array(job.req.image);
      const transfer: ArrayBuffer[] = [image.buffer];
      if (job.req.grey) transfer.push(job.req.grey.data.buffer as ArrayBuffer);
      try {
        w.postMessage({ ...job.req, type: "recognize", id, image } satisfies RecognizeRequest, transfer);
      } catch (err) {
        job.reject(err instanceof Error ? err : new Error(String(err)));
        continue;
      }
      slot.job = { ...job, id };
      w.ref(); // keep the process alive while a page is being read
    }
  }

  return {
    async recognize(image, ropts) {
      if (closed) throw new Error("OCR engine is closed");
      if (!(image instanceof Uint8Array) || image.length === 0) throw new Error("OCR needs image bytes");
      const lang = ropts?.lang?.trim() || defaultLang;
      const read = async (png: Uint8Array): Promise<OcrResult> => {
        const started = performance.now();
        const grey = upright ? await greyPixels(png) : null;
        const decodeMs = performance.now() - started;
        if (closed) throw new Error("OCR engine is closed");
        const result = await new Promise<OcrResult>((resolve, reject) => {
          queue.push({ req: { type: "recognize", image: png, lang, ...(grey ? { grey } : {}) }, resolve, reject });
          pump();
        });
        if (result.upright) result.upright.ms = Math.round((result.upright.ms + decodeMs) * 10) / 10;
        return result;
      };
      const result = await read(image);
      if (result.paragraphs.length > 0 || Math.max(result.width, result.height) < LARGE_PAGE) return result;
      // Nothing read on a large page: text drawn far larger than Tesseract's lines (a note
      // photographed close up, a poster) is taken for pictures. Read again at half the size.
      const half = await halfSize(image);
      if (!half) return result;
      const again = await read(half.png);
      return again.paragraphs.length > 0 ? scaleResult(again, result.width / half.width, result.width, result.height) : result;
    },
    async close() {
      if (closed) return;
      closed = true;
      const err = new Error("OCR engine is closed");
      for (const job of queue.splice(0)) job.reject(err);
      for (const slot of slots) {
        slot.job?.reject(err);
        slot.job = null;
        retire(slot);
      }
    },
  };
}
