/**
 * Documents made in the test, so every fixture's text is known: digital PDFs with pdf-lib's
 * standard fonts, scanned pages made by rendering those PDFs and re-wrapping the pixels without
 * a text layer, and multi-page TIFFs of the same pixels.
 */
import { PDFDocument, StandardFonts, rgb } from "pdf-lib";

export interface FixturePage {
  heading?: string;
  paragraphs: string[];
}

export async function digitalPdf(pages: FixturePage[]): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  const regular = await pdf.embedFont(StandardFonts.Helvetica);
  const bold = await pdf.embedFont(StandardFonts.HelveticaBold);
  for (const page of pages) {
    const p = pdf.addPage([612, 792]);
    let y = 720;
    if (page.heading) {
      p.drawText(page.heading, { x: 72, y, size: 24, font: bold, color: rgb(0, 0, 0) });
      y -= 48;
    }
    for (const para of page.paragraphs) {
      for (const line of wrap(para, regular, 12, 468)) {
        p.drawText(line, { x: 72, y, size: 12, font: regular });
        y -= 16;
      }
      y -= 12;
    }
  }
  return pdf.save();
}

function wrap(text: string, font: { widthOfTextAtSize(t: string, s: number): number }, size: number, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/)) {
    const next = line ? `${line} ${word}` : word;
    if (font.widthOfTextAtSize(next, size) > width && line) {
      lines.push(line);
      line = word;
    } else line = next;
  }
  if (line) lines.push(line);
  return lines;
}

/** Renders each page of a digital PDF with the server's own renderer and wraps the pixels in a new PDF with no text layer. */
export async function scannedPdfFrom(digital: Uint8Array, dpi = 200): Promise<Uint8Array> {
  const pngs = await renderPages(digital, dpi);
  const pdf = await PDFDocument.create();
  for (const png of pngs) {
    const image = await pdf.embedPng(png);
    const page = pdf.addPage([612, 792]);
    page.drawImage(image, { x: 0, y: 0, width: 612, height: 792 });
  }
  return pdf.save();
}

export async function renderPages(digital: Uint8Array, dpi: number): Promise<Uint8Array[]> {
  const { openPdf } = await import("../../src/pipeline/pdf/index");
  const doc = await openPdf(digital.slice());
  const out: Uint8Array[] = [];
  for (let n = 1; n <= doc.pageCount; n++) out.push((await doc.render(n, dpi)).png);
  await doc.close();
  return out;
}

/** A multi-page TIFF whose pages are the given PNGs. */
export async function multiPageTiff(pngs: Uint8Array[]): Promise<Uint8Array> {
  const { loadSharp } = await import("../../src/lib/sharp");
  const sharp = await loadSharp();
  // Joined pages must share a channel layout: make each an 8-bit RGB PNG first (a scanner's colour TIFF).
  const rgb = await Promise.all(pngs.map((p) => sharp(Buffer.from(p)).toColourspace("srgb").removeAlpha().png().toBuffer()));
  const buf = await sharp(rgb, { join: { animated: true } }).tiff({ compression: "lzw" }).toBuffer();
  return new Uint8Array(buf);
}

export const SAMPLE_PAGES: FixturePage[] = [
  {
    heading: "Quarterly Report",
    paragraphs: [
      "Revenue grew steadily across all regions during the third quarter of the year.",
      "The board approved the new budget for research and development.",
    ],
  },
  {
    heading: "Operations Summary",
    paragraphs: ["Shipping volumes increased while warehouse costs remained stable.", "Customer satisfaction scores reached a record high."],
  },
];
