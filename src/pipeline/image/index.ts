/**
 * Image ingest with sharp: probe an uploaded PNG/JPEG/WebP/TIFF, turn one page of it into an
 * upright, opaque, 8-bit PNG for OCR, and shrink page images for vision-model calls.
 *
 * The bytes were already sniffed (../ingest.ts); this module decodes. Whatever the bytes hold,
 * failures come back as ImageError with a message a person can act on, never as a crash:
 * - pixel counts are checked from the header before any pixel is decoded (limitInputPixels too),
 * - decoding stops on truncated or broken data (failOn: "error"; libtiff's harmless warnings
 *   about unknown tags, common in scanner output, are tolerated),
 * - every pipeline has a time limit.
 * sharp itself is loaded lazily (../../lib/sharp.ts) so importing this file costs nothing.
 */
import { loadSharp, type Sharp } from "../../lib/sharp";

export type ImageKind = "png" | "jpeg" | "webp" | "tiff";

export type ImageErrorKind = "corrupt" | "too_large" | "empty";

export class ImageError extends Error {
  constructor(
    public kind: ImageErrorKind,
    message: string,
  ) {
    super(message);
    this.name = "ImageError";
  }
}

/** 100 megapixels: an A4 page at 1200 DPI or an A1 sheet at 300 DPI still fits. */
export const DEFAULT_MAX_PIXELS = 100_000_000;
/** Seconds one decode/encode may take before it is abandoned (a decompression bomb, a huge TIFF). */
const PIPELINE_TIMEOUT_SECONDS = 120;

const KINDS: Record<string, ImageKind> = { png: "png", jpeg: "jpeg", jpg: "jpeg", webp: "webp", tiff: "tiff", tif: "tiff" };
const KIND_NAMES: Record<ImageKind, string> = { png: "PNG", jpeg: "JPEG", webp: "WebP", tiff: "TIFF" };

type SharpInstance = ReturnType<Sharp>;
type SharpOptions = NonNullable<Parameters<Sharp>[1]>;

export interface ImageInfo {
  kind: ImageKind;
  /** Pages of a multi-page TIFF; 1 for every other image (an animated WebP is read as its first frame). */
  pages: number;
  /** Size of the first page as it will be read, after EXIF rotation. */
  width: number;
  height: number;
}

const megapixels = (px: number) =>
  px >= 1e6 ? `${Math.round(px / 1e5) / 10} megapixels` : `${Math.round(px).toLocaleString("en-US")} pixels`;

function tooLarge(width: number, height: number, maxPixels: number): ImageError {
  return new ImageError(
    "too_large",
    `The image is ${width} x ${height} pixels (${megapixels(width * height)}); this server reads at most ${megapixels(maxPixels)} per page. ` +
      "Scale it down or scan at 300 DPI (plenty for OCR) and upload it again.",
  );
}

function corrupt(detail?: string): ImageError {
  const why = detail ? ` (${detail})` : "";
  return new ImageError(
    "corrupt",
    `The image could not be read: the file is damaged or incomplete${why}. Open it in an image viewer, export it again as PNG or JPEG, and upload the new file.`,
  );
}

/** libvips' message, said in words a person can use (libvips details kept only when unknown). */
function shortDetail(err: unknown): string | undefined {
  const msg = err instanceof Error ? err.message : typeof err === "string" ? err : "";
  if (/unsupported image format/i.test(msg)) return "its contents could not be recognised as an image, or the file is cut short";
  if (/corrupt header/i.test(msg)) return "its header is damaged";
  if (/premature end|truncat|read error|not enough data|end of (file|data)|out of data/i.test(msg)) return "the data is cut short or damaged";
  const line = msg
    .split("\n")
    .map((l) => l.trim())
    .find((l) => l.length > 0);
  return line ? line.replace(/^Vips\w*:\s*/i, "").slice(0, 160) : undefined;
}

/** Turns anything sharp/libvips throws while decoding user bytes into an ImageError. */
function toImageError(err: unknown, maxPixels: number): ImageError {
  if (err instanceof ImageError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  if (/pixel limit/i.test(msg)) {
    return new ImageError(
      "too_large",
      `The image is larger than the ${megapixels(maxPixels)} per page this server reads. Scale it down or scan at 300 DPI and upload it again.`,
    );
  }
  if (/timeout/i.test(msg)) {
    return new ImageError("too_large", "The image took too long to decode. Scale it down or save it with simpler compression and upload it again.");
  }
  return corrupt(shortDetail(err));
}

function inputOptions(maxPixels: number, page = 0): SharpOptions {
  return {
    page,
    pages: 1,
    failOn: "error",
    limitInputPixels: Math.max(1, Math.floor(maxPixels)),
    sequentialRead: true,
  };
}

function checkBytes(bytes: Uint8Array): void {
  if (!bytes || bytes.length === 0) throw new ImageError("empty", "The image is empty (0 bytes). Upload the file again.");
}

/**
 * The image's header. No pixel limit for the header read itself: the size checks of the callers
 * give the clearer message.
 */
async function readHeader(bytes: Uint8Array, maxPixels: number): Promise<Awaited<ReturnType<SharpInstance["metadata"]>>> {
  const sharp = await loadSharp();
  try {
    return await sharp(bytes, { ...inputOptions(maxPixels), limitInputPixels: false }).metadata();
  } catch (err) {
    throw toImageError(err, maxPixels);
  }
}

/** Reads the header only (no pixels): kind, page count, upright size of the first page. */
export async function probeImage(bytes: Uint8Array, opts: { maxPixels?: number } = {}): Promise<ImageInfo> {
  checkBytes(bytes);
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  const meta = await readHeader(bytes, maxPixels);
  const kind = meta.format ? KINDS[meta.format] : undefined;
  if (!kind) {
    throw new ImageError("corrupt", `The file is ${meta.format ? `a ${meta.format.toUpperCase()} image` : "not an image this server can read"}. Upload a PNG, JPEG, WebP or TIFF file.`);
  }
  const width = meta.autoOrient?.width ?? meta.width;
  const height = meta.autoOrient?.height ?? meta.height;
  if (!width || !height) throw corrupt("no image size in the header");
  if (width * height > maxPixels) throw tooLarge(width, height, maxPixels);
  const pages = kind === "tiff" ? Math.max(1, meta.pages ?? 1) : 1;
  return { kind, pages, width, height };
}

export interface PageToPngOptions {
  /** Refuse pages with more pixels than this (checked from the header before decoding). */
  maxPixels?: number;
  /** Shrink the page so its longer side is at most this many pixels (never enlarges). */
  maxLongSide?: number;
  /** Convert to 8-bit grayscale (smaller, and all an OCR engine needs). Default: keep colour. */
  grayscale?: boolean;
}

/**
 * One page (0-based) as an upright, opaque, 8-bit PNG: EXIF orientation applied, transparency
 * flattened onto white, 16-bit and CMYK sources converted to 8-bit sRGB (or gray).
 */
export async function imagePageToPng(
  bytes: Uint8Array,
  pageIndex: number,
  opts: PageToPngOptions = {},
): Promise<{ png: Uint8Array; width: number; height: number }> {
  checkBytes(bytes);
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (!Number.isInteger(pageIndex) || pageIndex < 0) throw new RangeError(`pageIndex must be a whole number >= 0, got ${pageIndex}`);
  const sharp = await loadSharp();
  // Header first: a page that does not exist, or one that is too big, gets a clear answer.
  const meta = await readHeader(bytes, maxPixels);
  const pages = meta.format === "tiff" ? Math.max(1, meta.pages ?? 1) : 1;
  if (pageIndex >= pages) throw new RangeError(`The image has ${pages} page(s); page index ${pageIndex} does not exist`);

  try {
    let img = sharp(bytes, { ...inputOptions(maxPixels, pageIndex), autoOrient: true }).timeout({ seconds: PIPELINE_TIMEOUT_SECONDS });
    if (pageIndex > 0) {
      // Pages of a TIFF may differ in size: check this page's own header.
      const pm = await sharp(bytes, { ...inputOptions(maxPixels, pageIndex), limitInputPixels: false }).metadata();
      if (pm.width && pm.height && pm.width * pm.height > maxPixels) throw tooLarge(pm.width, pm.height, maxPixels);
    } else if (meta.width && meta.height && meta.width * meta.height > maxPixels) {
      throw tooLarge(meta.autoOrient?.width ?? meta.width, meta.autoOrient?.height ?? meta.height, maxPixels);
    }
    if (opts.maxLongSide && opts.maxLongSide > 0) {
      const side = Math.floor(opts.maxLongSide);
      img = img.resize({ width: side, height: side, fit: "inside", withoutEnlargement: true });
    }
    img = img.flatten({ background: "#ffffff" });
    img = opts.grayscale ? img.grayscale().toColourspace("b-w") : img.toColourspace("srgb");
    const { data, info } = await img.png({ compressionLevel: 3, adaptiveFiltering: false }).toBuffer({ resolveWithObject: true });
    // Copy out of sharp's Buffer: its memory belongs to the native addon and is marked
    // untransferable, so a worker's postMessage(…, [png.buffer]) would throw DataCloneError.
    return { png: new Uint8Array(data), width: info.width, height: info.height };
  } catch (err) {
    throw toImageError(err, maxPixels);
  }
}

/**
 * Shrinks a page image (normally the PNG from imagePageToPng) for a vision-model request:
 * longer side at most `maxLongSide` (never enlarged), PNG or JPEG (quality 85, for photos).
 */
export async function resizeForModel(
  png: Uint8Array,
  opts: { maxLongSide: number; format?: "png" | "jpeg" },
): Promise<{ bytes: Uint8Array; mime: string; width: number; height: number }> {
  checkBytes(png);
  if (!(opts.maxLongSide > 0)) throw new RangeError(`maxLongSide must be > 0, got ${opts.maxLongSide}`);
  const sharp = await loadSharp();
  const side = Math.floor(opts.maxLongSide);
  try {
    let img = sharp(png, { failOn: "error", limitInputPixels: DEFAULT_MAX_PIXELS, autoOrient: true })
      .timeout({ seconds: PIPELINE_TIMEOUT_SECONDS })
      .resize({ width: side, height: side, fit: "inside", withoutEnlargement: true });
    if (opts.format === "jpeg") {
      img = img.flatten({ background: "#ffffff" }).jpeg({ quality: 85, chromaSubsampling: "4:2:0" });
    } else {
      img = img.png({ compressionLevel: 6 });
    }
    const { data, info } = await img.toBuffer({ resolveWithObject: true });
    return { bytes: new Uint8Array(data), mime: opts.format === "jpeg" ? "image/jpeg" : "image/png", width: info.width, height: info.height };
  } catch (err) {
    throw toImageError(err, DEFAULT_MAX_PIXELS);
  }
}
