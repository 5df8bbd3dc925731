/**
 * pdfjs-backed implementation of PdfDocumentHandle (loaded lazily by ./index.ts).
 */
import { DEFAULT_MAX_PIXELS, PdfError, type PdfDocumentHandle, type PdfPageText, type RenderOptions, type RenderedPage } from "./index";
import { edgeLines, layoutPage, type EdgeLine, type Glyphs, type PageSignals } from "./layout";
import { encodePng } from "./png";
import { DOCUMENT_OPTIONS, canvas, pdfjs } from "./runtime";

type PDFDocumentProxy = Awaited<ReturnType<typeof pdfjs.getDocument>["promise"]>;
type PDFPageProxy = Awaited<ReturnType<PDFDocumentProxy["getPage"]>>;

const MSG = {
  encrypted: "The PDF is password-protected; remove the password and upload it again.",
  corrupt:
    "The PDF could not be read; it is damaged or not a real PDF. Open it and save or print it to a new PDF, then upload it again.",
  empty: "The PDF has no pages. Check that the right file was uploaded.",
  page: (n: number) =>
    `Page ${n} of the PDF could not be read; it is damaged. Open the PDF and save or print it to a new PDF, then upload it again.`,
};

/** Maps whatever pdfjs threw while opening to a PdfError a person can act on. */
export function toPdfError(err: unknown): PdfError {
  if (err instanceof PdfError) return err;
  const name = (err as { name?: string } | null)?.name;
  if (name === "PasswordException") return new PdfError("encrypted", MSG.encrypted);
  return new PdfError("corrupt", MSG.corrupt);
}

export async function openDocument(bytes: Uint8Array): Promise<PdfDocumentHandle> {
  const task = pdfjs.getDocument({ ...DOCUMENT_OPTIONS, data: bytes } as Parameters<typeof pdfjs.getDocument>[0]);
  let doc: PDFDocumentProxy;
  try {
    doc = await task.promise;
  } catch (err) {
    await task.destroy().catch(() => {});
    throw toPdfError(err);
  }
  if (!(doc.numPages > 0)) {
    await doc.destroy().catch(() => {});
    throw new PdfError("empty", MSG.empty);
  }
  return new PdfjsDocument(doc);
}

/** Pages either side of a page whose edges are compared with its own (odd/even running heads need 2). */
const NEIGHBOURS = 2;

class PdfjsDocument implements PdfDocumentHandle {
  /** Each page's edge lines once read: a few short strings per page, kept while the document is open. */
  private edges = new Map<number, Promise<EdgeLine[]>>();
  /**
   * Text runs of pages read as neighbours, kept for when the page itself is asked for (pages
   * are mostly asked in order): a handful at most, the oldest let go first.
   */
  private ahead = new Map<number, Glyphs[]>();

  /** The document's page labels (its own page numbering), or null when it has none. */
  private labels: Promise<string[] | null> | null = null;

  constructor(private doc: PDFDocumentProxy) {}

  private async label(pageNumber: number): Promise<string | undefined> {
    // Unreadable labels tell nothing: the page is laid out without them.
    this.labels ??= this.doc.getPageLabels().catch(() => null);
    return (await this.labels)?.[pageNumber - 1] || undefined;
  }

  get pageCount(): number {
    return this.doc.numPages;
  }

  private async page(n: number): Promise<PDFPageProxy> {
    if (!Number.isInteger(n) || n < 1 || n > this.doc.numPages) {
      throw new RangeError(`Page ${n} is out of range 1..${this.doc.numPages}`);
    }
    try {
      return await this.doc.getPage(n);
    } catch {
      throw new PdfError("corrupt", MSG.page(n));
    }
  }

  async extractText(pageNumber: number, dpi: number): Promise<PdfPageText> {
    const page = await this.page(pageNumber);
    try {
      const viewport = page.getViewport({ scale: 1 });
      const reading = readSignals(page);
      const early = this.ahead.get(pageNumber);
      this.ahead.delete(pageNumber);
      const glyphs = early
        ? await reading.then((s) => early.map((g) => ({ ...g, bold: s.boldFonts.has(g.font) })))
        : await readGlyphs(page, reading.then((s) => s.boldFonts));
      const signals = await reading;
      if (!this.edges.has(pageNumber)) this.edges.set(pageNumber, Promise.resolve(edgeLines(glyphs, viewport.width, viewport.height)));
      const scale = dpi / 72;
      const label = await this.label(pageNumber);
      const context = { page: pageNumber, neighbours: await this.neighbours(pageNumber), ...(label !== undefined ? { label } : {}) };
      const laid = layoutPage(glyphs, viewport.width, viewport.height, signals, context);
      return {
        markdown: laid.markdown,
        usable: laid.usable,
        blocks: laid.blocks.map((b) => ({
          ...b,
          bounds: {
            x: Math.round(b.bounds.x * scale),
            y: Math.round(b.bounds.y * scale),
            width: Math.round(b.bounds.width * scale),
            height: Math.round(b.bounds.height * scale),
          },
        })),
        width: Math.round(viewport.width * scale),
        height: Math.round(viewport.height * scale),
      };
    } catch (err) {
      if (err instanceof PdfError) throw err;
      throw new PdfError("corrupt", MSG.page(pageNumber));
    } finally {
      page.cleanup();
    }
  }

  /**
   * The edge lines of the pages around a page, so that running heads and page numbers are told
   * by the document (they repeat, they count) and not guessed from one page's geometry. Only
   * the text content of those pages is read (no fonts, no drawing), once per page.
   */
  private async neighbours(pageNumber: number): Promise<Map<number, EdgeLine[]>> {
    const out = new Map<number, EdgeLine[]>();
    for (let n = Math.max(1, pageNumber - NEIGHBOURS); n <= Math.min(this.doc.numPages, pageNumber + NEIGHBOURS); n++) {
      if (n === pageNumber) continue;
      let lines = this.edges.get(n);
      if (!lines) {
        lines = this.doc.getPage(n).then(async (page) => {
          try {
            const glyphs = await readGlyphs(page, Promise.resolve(new Set()));
            this.ahead.set(n, glyphs);
            if (this.ahead.size > 2 * NEIGHBOURS) this.ahead.delete(this.ahead.keys().next().value!);
            const { width, height } = page.getViewport({ scale: 1 });
            return edgeLines(glyphs, width, height);
          } finally {
            page.cleanup();
          }
        });
        // A neighbour that cannot be read tells nothing; it does not fail this page.
        lines = lines.catch(() => []);
        this.edges.set(n, lines);
      }
      out.set(n, await lines);
    }
    return out;
  }

  async render(pageNumber: number, dpi: number, opts: RenderOptions = {}) {
    const page = await this.page(pageNumber);
    try {
      return await renderPage(page, dpi, opts.maxPixels ?? DEFAULT_MAX_PIXELS, opts.maxLongSide);
    } catch (err) {
      if (err instanceof PdfError || err instanceof RangeError) throw err;
      throw new PdfError("corrupt", MSG.page(pageNumber));
    } finally {
      page.cleanup();
    }
  }

  async close(): Promise<void> {
    await this.doc.destroy().catch(() => {});
  }
}

/** Skia's largest canvas side. */
const MAX_SIDE = 32_000;

export async function renderPage(page: PDFPageProxy, dpi: number, maxPixels: number, maxLongSide?: number): Promise<RenderedPage> {
  const base = page.getViewport({ scale: 1 });
  let scale = Math.min(dpi / 72, MAX_SIDE / Math.max(base.width, base.height));
  let fit = Math.round;
  const pixels = Math.round(base.width * scale) * Math.round(base.height * scale);
  if (pixels > maxPixels) {
    // From the exact page area, so that floor(w) * floor(h) <= w * h = maxPixels.
    scale = Math.sqrt(maxPixels / (base.width * base.height));
    fit = Math.floor;
  }
  const full = page.getViewport({ scale });
  const pageWidth = Math.max(1, fit(full.width));
  const pageHeight = Math.max(1, fit(full.height));
  let viewport = full;
  let width = pageWidth;
  let height = pageHeight;
  if (maxLongSide !== undefined && maxLongSide >= 1 && Math.max(pageWidth, pageHeight) > maxLongSide) {
    // Drawn at the size the caller will use: cheaper than drawing at dpi and scaling down.
    viewport = page.getViewport({ scale: (scale * maxLongSide) / Math.max(full.width, full.height) });
    width = Math.min(maxLongSide, Math.max(1, Math.round(viewport.width)));
    height = Math.min(maxLongSide, Math.max(1, Math.round(viewport.height)));
  }
  const c = canvas.createCanvas(width, height);
  const ctx = c.getContext("2d");
  await page.render({ canvas: c as never, canvasContext: ctx as never, viewport, background: "#ffffff" }).promise;
  const png = encodePng(c.data(), width, height);
  c.width = c.height = 0; // free the pixel buffer now rather than at the next GC
  return { png, width, height, pageWidth, pageHeight };
}

/** The page's text runs in page space at 72 DPI, origin top-left, y down. */
async function readGlyphs(page: PDFPageProxy, bold: Promise<Set<string>>): Promise<Glyphs[]> {
  const viewport = page.getViewport({ scale: 1 });
  // Marked content is read for one tag: `/Artifact`, a tagged PDF's running heads and page numbers.
  const [content, boldFonts] = await Promise.all([page.getTextContent({ includeMarkedContent: true }), bold]);
  const glyphs: Glyphs[] = [];
  const open: boolean[] = [];
  let artifacts = 0;
  for (const item of content.items) {
    if (!("str" in item)) {
      if (item.type === "beginMarkedContent" || item.type === "beginMarkedContentProps") {
        // pdfjs gives the tag name (its typings leave `tag` out).
        const artifact = (item as { tag?: string | null }).tag === "Artifact";
        open.push(artifact);
        if (artifact) artifacts++;
      } else if (item.type === "endMarkedContent" && open.pop()) artifacts--;
      continue;
    }
    if (item.str === "") continue;
    // [a b c d e f] with (e, f) the baseline start.
    const m = pdfjs.Util.transform(viewport.transform, item.transform);
    glyphs.push({
      str: item.str,
      x: m[4]!,
      y: m[5]!,
      width: item.width,
      size: Math.hypot(m[2]!, m[3]!),
      horizontal: Math.abs(m[1]!) < 0.1 * Math.abs(m[0]!) && m[0]! > 0,
      // y grows downwards in page space: a run going up the page has m[1] < 0.
      angle: (Math.atan2(-m[1]!, m[0]!) * 180) / Math.PI,
      bold: boldFonts.has(item.fontName),
      font: item.fontName,
      ...(artifacts > 0 ? { artifact: true } : {}),
    });
  }
  return glyphs;
}

const BOLD_NAME = /bold|black|heavy|semibold|demi|[-,+]b$|\bbd\b|-sb$/i;

/**
 * What the operator list tells and the text content does not: which fonts are bold (their real
 * names are only known once the fonts are loaded), how much text is invisible (render mode 3,
 * the OCR layer scanners put over a page image) and whether the page paints images.
 */
async function readSignals(page: PDFPageProxy): Promise<PageSignals & { boldFonts: Set<string> }> {
  const ops = await page.getOperatorList();
  const OPS = pdfjs.OPS;
  const boldFonts = new Set<string>();
  let mode = 0;
  const stack: number[] = [];
  let visibleText = 0;
  let invisibleText = 0;
  let images = 0;
  for (let i = 0; i < ops.fnArray.length; i++) {
    const fn = ops.fnArray[i];
    const args = ops.argsArray[i] as unknown[] | null;
    switch (fn) {
      case OPS.save:
        stack.push(mode);
        break;
      case OPS.restore:
        mode = stack.pop() ?? 0;
        break;
      case OPS.setTextRenderingMode:
        mode = Number(args?.[0]) || 0;
        break;
      case OPS.setFont: {
        const name = String(args?.[0]);
        try {
          const font = page.commonObjs.get(name) as { name?: string; bold?: boolean; black?: boolean } | null;
          if (font && (font.bold || font.black || BOLD_NAME.test(font.name ?? ""))) boldFonts.add(name);
        } catch {
          /* font failed to load: treat as regular */
        }
        break;
      }
      case OPS.showText:
      case OPS.showSpacedText:
        if ((mode & 3) === 3) invisibleText++;
        else visibleText++;
        break;
      case OPS.paintImageXObject:
      case OPS.paintInlineImageXObject:
      case OPS.paintImageXObjectRepeat:
      case OPS.paintImageMaskXObject:
        images++;
        break;
    }
  }
  return { boldFonts, visibleText, invisibleText, images };
}
