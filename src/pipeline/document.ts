/**
 * Opens an uploaded document as a sequence of pages, whatever its type. PDFs go through
 * pdfjs (text layer + rendering), images through sharp (every page of a multi-page TIFF).
 * Heavy libraries are imported here lazily so the server starts fast.
 */
import type { PageSource } from "../ports/model";
import type { DocumentType } from "./ingest";

export interface DocumentLimits {
  maxPages: number;
  maxPagePixels: number;
}

export interface OpenedDocument {
  readonly pageCount: number;
  page(pageNumber: number): PageSource;
  close(): Promise<void>;
}

/** A document the server cannot read; the message is shown to the user as the job's error. */
export class DocumentError extends Error {}

export async function openDocument(bytes: Uint8Array, type: DocumentType, limits: DocumentLimits): Promise<OpenedDocument> {
  const doc = type === "pdf" ? await openPdfDocument(bytes, limits) : await openImageDocument(bytes, limits);
  if (doc.pageCount > limits.maxPages) {
    await doc.close();
    throw new DocumentError(`The document has ${doc.pageCount} pages; this server accepts at most ${limits.maxPages}. Split it and upload the parts.`);
  }
  return doc;
}

/**
 * The shared pool of PDF workers (one per core), started on first use.
 */
let renderPool: Promise<import("./pdf/render-pool").RenderPool> | null = null;
const sharedRenderPool = () => (renderPool ??= import("./pdf/render-pool").then(({ createRenderPool }) => createRenderPool()));
let renderPoolUsers = 0;

/**
 * A document is on its way (an upload was started): start the PDF workers now, so that the
 * first job after the server starts does not wait ~0.1-0.2 s for them. Only while an app holds
 * the pool; idle servers keep their memory (workers start on the first upload, not at boot).
 */
export function warmRenderPool(): void {
  if (renderPoolUsers === 0 || renderPoolWarmed) return;
  renderPoolWarmed = true; // once per pool: this runs on every upload
  void sharedRenderPool().then((pool) => pool.warm()).catch(() => {});
}
let renderPoolWarmed = false;

/**
 * Each app that may render holds the shared pool while it runs; the last one to let go stops
 * the workers (so a process running several apps, as the tests do, keeps one pool).
 */
export function holdRenderPool(): () => Promise<void> {
  renderPoolUsers++;
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    if (--renderPoolUsers > 0) return;
    const pool = renderPool;
    renderPool = null;
    renderPoolWarmed = false;
    if (pool) await (await pool).close();
  };
}

/**
 * PDFs are opened, read and rendered entirely in the worker pool: pdfjs is CPU-bound and
 * single-threaded, and on the HTTP thread its ~10 ms per page would stall every request.
 */
async function openPdfDocument(bytes: Uint8Array, limits: DocumentLimits): Promise<OpenedDocument> {
  const { PdfError } = await import("./pdf/index");
  const inPool = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (err: unknown) {
      if (err instanceof PdfError) throw new DocumentError(err.message);
      throw err;
    }
  };
  let pdf: import("./pdf/render-pool").PooledDocument;
  try {
    // pdfjs may detach the buffer it is given, and refuses Node Buffers: hand it a plain copy.
    pdf = await inPool(async () => (await sharedRenderPool()).open(new Uint8Array(bytes)));
  } catch (err: unknown) {
    if (err instanceof DocumentError) throw err;
    throw new DocumentError("The PDF could not be read; it may be damaged. Open and re-save it, then upload it again.");
  }
  return {
    pageCount: pdf.pageCount,
    page: (pageNumber) => ({
      pageNumber,
      textLayer: (dpi) => inPool(() => pdf.extractText(pageNumber, dpi)),
      image: (dpi, fit) => inPool(() => pdf.render(pageNumber, dpi, { maxPixels: limits.maxPagePixels, maxLongSide: fit?.maxLongSide })),
    }),
    close: () => pdf.close(),
  };
}

async function openImageDocument(bytes: Uint8Array, limits: DocumentLimits): Promise<OpenedDocument> {
  const { probeImage, imagePageToPng, ImageError } = await import("./image/index");
  const wrap = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (err) {
      if (err instanceof ImageError) throw new DocumentError(err.message);
      throw err;
    }
  };
  const info = await wrap(() => probeImage(bytes));
  if (info.width * info.height > limits.maxPagePixels) {
    throw new DocumentError(
      `The image is ${info.width}x${info.height} pixels, more than the ${limits.maxPagePixels} pixels per page this server accepts. Scale it down and upload it again.`,
    );
  }
  return {
    pageCount: info.pages,
    page: (pageNumber) => ({
      pageNumber,
      textLayer: async () => null,
      image: () => wrap(() => imagePageToPng(bytes, pageNumber - 1, { maxPixels: limits.maxPagePixels })),
    }),
    close: async () => {},
  };
}
