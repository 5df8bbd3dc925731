/**
 * Renders PDF pages to PNG on several threads: a pool of Bun Workers (one per core by default),
 * each with its own pdfjs copy of the documents it was given. pdfjs and the PNG encoder are
 * CPU-bound and single-threaded, so this is how rendering uses every core.
 *
 *   const pool = createRenderPool();               // workers start lazily, on first use
 *   await pool.renderAll(bytes, 150, (n, page) => save(n, page.png));
 *   const doc = await pool.open(bytes);            // or page by page:
 *   const p3 = await doc.render(3, 150, { maxPixels: 40e6 });
 *   await doc.close();
 *   await pool.close();
 *
 * Errors are PdfError (kind and message as from openPdf) or plain Errors for programming errors.
 * In a compiled binary, ./render-worker.ts must be an extra entrypoint of `bun build --compile`.
 */
import { existsSync } from "node:fs";
import { PdfError, type PdfErrorKind, type PdfPageText, type RenderOptions, type RenderedPage } from "./index";
import type { WorkerRequest, WorkerResponse } from "./render-worker";

export interface PooledDocument {
  readonly pageCount: number;
  render(pageNumber: number, dpi: number, opts?: RenderOptions): Promise<RenderedPage>;
  /** The page's text layer as markdown with blocks (as PdfDocumentHandle.extractText), read in a worker. */
  extractText(pageNumber: number, dpi: number): Promise<PdfPageText>;
  close(): Promise<void>;
}

export interface RenderPool {
  /** Registers a PDF with the pool; workers open it when they first render one of its pages. */
  open(bytes: Uint8Array): Promise<PooledDocument>;
  /**
   * Renders pages (all by default) across the pool; `onPage` is called as each page is done,
   * in completion order. Rejects with the first error after the pages in flight have settled.
   */
  renderAll(
    bytes: Uint8Array,
    dpi: number,
    onPage: (pageNumber: number, page: RenderedPage) => void | Promise<void>,
    opts?: RenderOptions & { pages?: number[] },
  ): Promise<void>;
  /** Starts every worker now and has it load pdfjs (a worker takes ~100 ms to get ready). */
  warm(): void;
  /** Workers running now. */
  readonly started: number;
  close(): Promise<void>;
}

/**
 * Where the worker's code is. Under `bun run`/`bun test` it is the file next to this one. In a
 * compiled binary `import.meta.url` is the executable's (`/$bunfs/root/<name>`) and the worker
 * entrypoint is embedded as `/$bunfs/root/<its path relative to the entrypoints' common
 * directory>.js` (e.g. `pipeline/pdf/render-worker.js` when the entrypoints are
 * src/main.ts and src/pipeline/pdf/render-worker.ts): look for it there.
 */
function workerEntry(): string {
  const here = new URL("./render-worker.ts", import.meta.url);
  if (!import.meta.url.includes("$bunfs")) return here.href;
  const dir = import.meta.dir;
  for (const rel of ["pipeline/pdf", "src/pipeline/pdf", "pdf", "."]) {
    const path = `${dir}/${rel}/render-worker.js`;
    if (existsSync(path)) return path;
  }
  throw new Error(
    "The PDF render worker is not in this binary: pass src/pipeline/pdf/render-worker.ts as an extra entrypoint of bun build --compile",
  );
}

/** Files above this size are opened on every idle worker at once (see open()). */
const EAGER_OPEN_BYTES = 256 * 1024;

type Pending = { resolve: (r: WorkerResponse & { ok: true }) => void; reject: (e: Error) => void };

class PoolWorker {
  worker: Worker;
  busy = 0;
  opened = new Map<number, Promise<WorkerResponse & { ok: true }>>();
  pending = new Map<number, Pending>();
  dead = false;

  constructor(onDeath: (w: PoolWorker) => void) {
    this.worker = new Worker(workerEntry());
    this.worker.onmessage = (e: MessageEvent<WorkerResponse>) => {
      const res = e.data;
      const p = this.pending.get(res.id);
      if (!p) return;
      this.pending.delete(res.id);
      if (res.ok) p.resolve(res);
      else p.reject(res.kind ? new PdfError(res.kind as PdfErrorKind, res.message) : new Error(res.message));
    };
    const die = (why: string) => {
      if (this.dead) return;
      this.dead = true;
      for (const p of this.pending.values()) p.reject(new Error(`PDF render worker died: ${why}`));
      this.pending.clear();
      onDeath(this);
    };
    this.worker.onerror = (e) => die(e.message);
    this.worker.addEventListener("close", () => die("exited"));
  }

  call(req: WorkerRequest, transfer: ArrayBuffer[] = []): Promise<WorkerResponse & { ok: true }> {
    if (this.dead) return Promise.reject(new Error("PDF render worker died"));
    return new Promise((resolve, reject) => {
      this.pending.set(req.id, { resolve, reject });
      this.worker.postMessage(req, transfer);
    });
  }
}

export function createRenderPool(opts: { workers?: number } = {}): RenderPool {
  const size = Math.max(1, opts.workers ?? navigator.hardwareConcurrency ?? 2);
  const workers: PoolWorker[] = [];
  const docs = new Map<number, Uint8Array>();
  const waiting: Array<() => void> = [];
  let nextId = 1;
  let nextDoc = 1;
  let closed = false;

  const onDeath = (w: PoolWorker) => {
    const i = workers.indexOf(w);
    if (i >= 0) workers.splice(i, 1);
    waiting.shift()?.();
  };

  /**
   * An idle worker (starting one if the pool is not full), waiting for one if all are busy.
   * The worker is marked busy here, before any await: callers that raced through an async
   * acquire would otherwise all see the same idle worker and pile every request onto it.
   */
  async function acquire(): Promise<PoolWorker> {
    for (;;) {
      if (closed) throw new Error("The render pool is closed");
      const idle = workers.find((w) => w.busy === 0 && !w.dead);
      if (idle) {
        idle.busy++;
        return idle;
      }
      if (workers.length < size) {
        const w = new PoolWorker(onDeath);
        workers.push(w);
        w.busy++;
        return w;
      }
      await new Promise<void>((r) => waiting.push(r));
    }
  }

  async function renderOn(doc: number, page: number, dpi: number, o: RenderOptions): Promise<RenderedPage> {
    return (await onWorker(doc, { op: "render", page, dpi, maxPixels: o.maxPixels, maxLongSide: o.maxLongSide })).page!;
  }

  /** Runs one page request on an idle worker, opening the document there first if needed. */
  async function onWorker(
    doc: number,
    req: { op: "render"; page: number; dpi: number; maxPixels?: number; maxLongSide?: number } | { op: "extract"; page: number; dpi: number },
  ): Promise<WorkerResponse & { ok: true }> {
    const w = await acquire();
    try {
      openOn(w, doc);
      const opening = w.opened.get(doc);
      if (!opening) throw new Error("The document was closed");
      await opening;
      return await w.call({ ...req, id: nextId++, doc });
    } finally {
      w.busy--;
      waiting.shift()?.();
    }
  }

  /** Has `w` open `doc` now unless it has already; a failure surfaces on the first real use. */
  function openOn(w: PoolWorker, doc: number): void {
    const bytes = docs.get(doc);
    if (!bytes || w.dead || w.opened.has(doc)) return;
    // Each worker gets its own copy (pdfjs takes ownership of the buffer it parses).
    const opening = w.call({ op: "open", id: nextId++, doc, bytes: bytes.slice() });
    opening.catch(() => {});
    w.opened.set(doc, opening);
  }

  function warm(): void {
    while (workers.length < size && !closed) {
      const w = new PoolWorker(onDeath);
      workers.push(w);
      w.call({ op: "warm", id: nextId++ }).catch(() => {});
    }
  }

  async function open(bytes: Uint8Array): Promise<PooledDocument> {
    const doc = nextDoc++;
    docs.set(doc, bytes.slice());
    const w = await acquire();
    // The first document of a cold pool starts the other workers too, so that they load pdfjs
    // while this one opens it (a worker takes ~100 ms to get ready; they then stay up).
    warm();
    // Opened up front in one worker: validates the PDF and learns the page count. Idle workers
    // open it now too, at the same time: a long document will be rendered on all of them, and
    // opening it only once the page count is known delayed the second worker's first page by
    // the length of an open (~10-40 ms for 200 pages). A small file (most often one page) is
    // opened by the others only once its page count says so: each open and its release are two
    // messages from the caller's thread, which is the HTTP thread, and waking an idle worker
    // costs it ~10-40 us each (postMessage was ~10% of its CPU samples under bench/load.ts).
    openOn(w, doc);
    if (bytes.length > EAGER_OPEN_BYTES) for (const other of workers) if (other.busy === 0) openOn(other, doc);
    let pageCount: number;
    try {
      pageCount = (await w.opened.get(doc)!).pageCount!;
    } catch (err) {
      docs.delete(doc);
      // The others' copies (opened, or failing the same way): let them go.
      for (const other of workers) if (other.opened.delete(doc) && other !== w) other.call({ op: "release", id: nextId++, doc }).catch(() => {});
      throw err;
    } finally {
      w.busy--;
      waiting.shift()?.();
    }
    // A document with several pages will be rendered on several workers: the busy ones open it
    // now too, rather than one after the other as its first pages reach them.
    if (pageCount > 1) for (const other of workers.slice(0, Math.min(size, pageCount))) openOn(other, doc);
    return {
      pageCount,
      render: (n, dpi, o = {}) => renderOn(doc, n, dpi, o),
      extractText: async (n, dpi) => (await onWorker(doc, { op: "extract", page: n, dpi })).text!,
      async close() {
        docs.delete(doc);
        await Promise.all(
          workers.filter((w) => w.opened.delete(doc)).map((w) => w.call({ op: "release", id: nextId++, doc }).catch(() => {})),
        );
      },
    };
  }

  return {
    open,
    warm,
    get started() {
      return workers.length;
    },
    async renderAll(bytes, dpi, onPage, o = {}) {
      const doc = await open(bytes);
      try {
        const pages = o.pages ?? Array.from({ length: doc.pageCount }, (_, i) => i + 1);
        let next = 0;
        let failure: unknown = null;
        // One loop per worker pulls the next page: at most `size` renders in flight.
        const loop = async () => {
          while (failure === null && next < pages.length) {
            const n = pages[next++]!;
            try {
              await onPage(n, await doc.render(n, dpi, o));
            } catch (err) {
              failure ??= err;
            }
          }
        };
        await Promise.all(Array.from({ length: Math.min(size, pages.length) }, loop));
        if (failure !== null) throw failure;
      } finally {
        await doc.close();
      }
    },
    async close() {
      closed = true;
      for (const r of waiting.splice(0)) r();
      for (const w of workers.splice(0)) {
        for (const p of w.pending.values()) p.reject(new Error("The render pool was closed"));
        w.pending.clear();
        w.dead = true;
        w.worker.terminate();
      }
    },
  };
}
