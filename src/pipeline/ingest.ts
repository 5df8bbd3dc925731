/**
 * Sniffs the real type of an uploaded document from its first bytes; the file name and the
 * declared content type are never trusted. Answers a person-actionable reason when the bytes
 * are not something the server can read.
 */
export type DocumentType = "pdf" | "png" | "jpeg" | "webp" | "tiff";

export const SUPPORTED_TYPES_TEXT = "PDF, PNG, JPEG, WebP or TIFF";

export class IngestError extends Error {}

const startsWith = (b: Uint8Array, sig: number[], at = 0) => sig.every((x, i) => b[at + i] === x);
// One byte per character; only ASCII is compared. (Spreading 1,024 bytes into
// String.fromCharCode cost ~3% of the server's main thread under load.)
const latin1 = new TextDecoder("latin1");
const ascii = (b: Uint8Array, from: number, to: number) => latin1.decode(b.subarray(from, to));

/** Recognisable formats we do not read, so the error can name what was sent. */
function describeUnsupported(b: Uint8Array): string {
  if (startsWith(b, [0x50, 0x4b, 0x03, 0x04])) return "a ZIP archive (Word, Excel and PowerPoint files are ZIP archives)";
  if (ascii(b, 0, 6) === "GIF87a" || ascii(b, 0, 6) === "GIF89a") return "a GIF image";
  if (startsWith(b, [0x42, 0x4d])) return "a BMP image";
  if (startsWith(b, [0xd0, 0xcf, 0x11, 0xe0])) return "an old Microsoft Office document";
  if (ascii(b, 4, 8) === "ftyp") return "an HEIC/AVIF image or a video";
  const head = ascii(b, 0, Math.min(b.length, 64)).trimStart().toLowerCase();
  if (head.startsWith("<!doctype html") || head.startsWith("<html")) return "an HTML page";
  if (head.startsWith("{") || head.startsWith("[")) return "JSON text";
  return "a file of an unknown type";
}

/** How much of a file sniffDocumentType looks at. */
export const SNIFF_BYTES = 1024;

export function sniffDocumentType(bytes: Uint8Array): DocumentType {
  if (bytes.length === 0) throw new IngestError("The file is empty (0 bytes). Upload the document again.");
  // PDF readers accept the header anywhere in the first kilobyte.
  if (ascii(bytes, 0, Math.min(bytes.length, SNIFF_BYTES)).includes("%PDF-")) return "pdf";
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "png";
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return "jpeg";
  if (ascii(bytes, 0, 4) === "RIFF" && ascii(bytes, 8, 12) === "WEBP") return "webp";
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a])) return "tiff";
  throw new IngestError(
    `The file looks like ${describeUnsupported(bytes)}, which cannot be processed. Upload a ${SUPPORTED_TYPES_TEXT} file.`,
  );
}

/** Content types the upload routes accept as declared (the bytes are checked again later). */
export const ACCEPTED_CONTENT_TYPES = new Set([
  "application/pdf",
  "image/png",
  "image/jpeg",
  "image/jpg",
  "image/webp",
  "image/tiff",
  "image/tif",
  "application/octet-stream",
]);
