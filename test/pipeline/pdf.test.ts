import { describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { PDFDocument, PDFName, PDFOperator, PDFOperatorNames, StandardFonts } from "pdf-lib";
import { openPdf, PdfError } from "../../src/pipeline/pdf/index";
import { hasShared, sharedPath } from "../helpers/shared";

const FIXTURES = join(import.meta.dir, "../fixtures/pdf");
const HOSTILE = sharedPath("benchmarks/pdfjs-robustness");
const USER_PASSWORD = new Set(["issue6010_1.pdf", "issue3371.pdf", "issue6010_2.pdf", "issue21579.pdf", "bug1782186.pdf", "issue15893_reduced.pdf", "saslprep-r6.pdf"]);

const LOREM =
  "Invoices are processed in the order they arrive and every line item is checked against the purchase order before payment is approved by the finance team.";

/** Draws `text` as wrapped lines from (x, y) downwards; returns the y below the last line. */
function drawWrapped(page: ReturnType<PDFDocument["addPage"]>, font: Awaited<ReturnType<PDFDocument["embedFont"]>>, text: string, x: number, y: number, width: number, size = 10) {
  let line = "";
  for (const w of text.split(" ")) {
    if (line && font.widthOfTextAtSize(`${line} ${w}`, size) > width) {
      page.drawText(line, { x, y, size, font });
      y -= size * 1.3;
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  page.drawText(line, { x, y, size, font });
  return y - size * 1.3;
}

/**
 * `/<tag> <<props>> BDC`: marked content with properties, as tagged PDFs open their content and
 * artifacts. (pdf-lib writes a dictionary operand fine; its typings leave dictionaries out.)
 */
function bdc(pdf: PDFDocument, tag: string, props: Record<string, string | number>): PDFOperator {
  return PDFOperator.of(PDFOperatorNames.BeginMarkedContentSequence, [PDFName.of(tag), pdf.context.obj(props) as unknown as PDFName]);
}

async function rejectKind(bytes: Uint8Array) {
  try {
    const doc = await openPdf(bytes);
    await doc.close();
    return "opened";
  } catch (err) {
    expect(err).toBeInstanceOf(PdfError);
    return (err as PdfError).kind;
  }
}

describe("openPdf + extractText", () => {
  test("heading and paragraphs become markdown", async () => {
    const pdf = await PDFDocument.create();
    const bold = await pdf.embedFont(StandardFonts.HelveticaBold);
    const regular = await pdf.embedFont(StandardFonts.Helvetica);
    const page = pdf.addPage([612, 792]);
    page.drawText("Quarterly Report", { x: 72, y: 700, size: 24, font: bold });
    let y = drawWrapped(page, regular, `First paragraph. ${LOREM} The contrac- tor signs off.`, 72, 660, 468);
    drawWrapped(page, regular, `Second paragraph. ${LOREM}`, 72, y - 14, 468);
    const doc = await openPdf(await pdf.save());
    expect(doc.pageCount).toBe(1);
    const text = await doc.extractText(1, 150);
    await doc.close();
    expect(text.usable).toBe(true);
    expect(text.width).toBe(1275);
    expect(text.height).toBe(1650);
    expect(text.markdown).toMatch(/^#{1,2} Quarterly Report$/m);
    const paras = text.markdown.split("\n\n");
    expect(paras.some((p) => p.startsWith("First paragraph.") && p.includes("approved by the finance team."))).toBe(true);
    expect(paras.some((p) => p.startsWith("Second paragraph."))).toBe(true);
    const heading = text.blocks.find((b) => b.type === "heading")!;
    expect(heading.text).toBe("Quarterly Report");
    // Boxes are in 150 DPI pixels: the heading baseline is at 92 pt from the top -> ~192 px.
    expect(heading.bounds.x).toBe(150);
    expect(heading.bounds.y).toBeGreaterThan(140);
    expect(heading.bounds.y).toBeLessThan(200);
  });

  test("two columns read left column before right column", async () => {
    const pdf = await PDFDocument.create();
    const font = await pdf.embedFont(StandardFonts.TimesRoman);
    const page = pdf.addPage([612, 792]);
    const left = `Alpha column begins here. ${LOREM} ${LOREM} Alpha column ends here.`;
    const right = `Beta column begins here. ${LOREM} ${LOREM} Beta column ends here.`;
    drawWrapped(page, font, left, 72, 700, 220);
    drawWrapped(page, font, right, 320, 700, 220);
    const doc = await openPdf(await pdf.save());
    const { markdown } = await doc.extractText(1, 72);
    await doc.close();
    const order = ["Alpha column begins", "Alpha column ends", "Beta column begins", "Beta column ends"].map((s) => markdown.indexOf(s));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  test("lists, de-hyphenation, and running heads and page numbers the document shows to be furniture", async () => {
    const pdf = await PDFDocument.create();
    const font = await pdf.embedFont(StandardFonts.Helvetica);
    for (const n of [7, 8]) {
      const page = pdf.addPage([612, 792]);
      page.drawText("Running Header Text", { x: 72, y: 760, size: 9, font });
      page.drawText(String(n), { x: 300, y: 40, size: 9, font });
      if (n === 8) drawWrapped(page, font, LOREM, 72, 700, 468, 11);
    }
    const page = pdf.getPage(0);
    page.drawText("The process works as follows and is hyphen-", { x: 72, y: 700, size: 11, font });
    page.drawText("ated across two lines for this test document.", { x: 72, y: 686, size: 11, font });
    page.drawText("- first item of the list", { x: 72, y: 660, size: 11, font });
    page.drawText("- second item of the list", { x: 72, y: 646, size: 11, font });
    page.drawText("1. numbered item one", { x: 72, y: 620, size: 11, font });
    page.drawText("2. numbered item two", { x: 72, y: 606, size: 11, font });
    const doc = await openPdf(await pdf.save());
    const t = await doc.extractText(1, 72);
    await doc.close();
    expect(t.markdown).toContain("hyphenated across");
    expect(t.markdown).toContain("- first item of the list\n- second item of the list");
    expect(t.markdown).toContain("1. numbered item one\n2. numbered item two");
    expect(t.markdown).not.toContain("Running Header");
    expect(t.markdown).not.toMatch(/^7$/m);
    expect(t.blocks.some((b) => b.type === "header" && b.text === "Running Header Text")).toBe(true);
    expect(t.blocks.some((b) => b.type === "footer" && b.text === "7")).toBe(true);
  });

  test("a one-page document keeps its margin lines: nothing repeats, so nothing is furniture", async () => {
    const pdf = await PDFDocument.create();
    const font = await pdf.embedFont(StandardFonts.Helvetica);
    const page = pdf.addPage([612, 792]);
    page.drawText("Jane Doe, 12 Oak Street", { x: 400, y: 756, size: 9, font });
    drawWrapped(page, font, `${LOREM} ${LOREM}`, 72, 700, 468, 11);
    page.drawText("Payment due within 30 days.", { x: 72, y: 36, size: 9, font });
    const doc = await openPdf(await pdf.save());
    const t = await doc.extractText(1, 72);
    await doc.close();
    expect(t.markdown).toContain("Jane Doe, 12 Oak Street");
    expect(t.markdown).toContain("Payment due within 30 days.");
  });

  test("a tagged PDF's artifacts (running heads, page numbers) are furniture, even on a document of one page", async () => {
    const pdf = await PDFDocument.create();
    const font = await pdf.embedFont(StandardFonts.Helvetica);
    const page = pdf.addPage([612, 792]);
    // As a word processor tags them: header and footer `/Artifact`, the body structured content.
    page.pushOperators(bdc(pdf, "Artifact", { Type: "Pagination", Subtype: "Header" }));
    page.drawText("Annual Report 2024 | Northwind Traders", { x: 72, y: 756, size: 9, font });
    page.pushOperators(PDFOperator.of(PDFOperatorNames.EndMarkedContent));
    page.pushOperators(bdc(pdf, "P", { MCID: 0 }));
    drawWrapped(page, font, `${LOREM} ${LOREM}`, 72, 700, 468, 11);
    page.drawText("Payment due within 30 days.", { x: 72, y: 60, size: 9, font });
    page.pushOperators(PDFOperator.of(PDFOperatorNames.EndMarkedContent));
    page.pushOperators(bdc(pdf, "Artifact", { Type: "Pagination", Subtype: "Footer" }));
    page.drawText("Page 7", { x: 290, y: 36, size: 9, font });
    page.pushOperators(PDFOperator.of(PDFOperatorNames.EndMarkedContent));
    const doc = await openPdf(await pdf.save());
    const t = await doc.extractText(1, 72);
    await doc.close();
    expect(t.markdown).not.toContain("Annual Report 2024");
    expect(t.markdown).not.toContain("Page 7");
    expect(t.markdown).toContain("Payment due within 30 days.");
    expect(t.markdown).toContain("Invoices are processed");
    expect(t.blocks.some((b) => b.type === "header" && b.text === "Annual Report 2024 | Northwind Traders")).toBe(true);
    expect(t.blocks.some((b) => b.type === "footer" && b.text === "Page 7")).toBe(true);
  });

  test("a page whose every line is marked artifact keeps them all: the tags tell nothing there", async () => {
    const pdf = await PDFDocument.create();
    const font = await pdf.embedFont(StandardFonts.Helvetica);
    const page = pdf.addPage([612, 792]);
    page.pushOperators(PDFOperator.of(PDFOperatorNames.BeginMarkedContent, [PDFName.of("Artifact")]));
    page.drawText("Jane Doe, 12 Oak Street", { x: 400, y: 756, size: 9, font });
    drawWrapped(page, font, LOREM, 72, 700, 468, 11);
    page.pushOperators(PDFOperator.of(PDFOperatorNames.EndMarkedContent));
    const doc = await openPdf(await pdf.save());
    const t = await doc.extractText(1, 72);
    await doc.close();
    expect(t.markdown).toContain("Jane Doe, 12 Oak Street");
  });

  test("page labels number the pages: a page cut out of a book drops its own number, not another", async () => {
    const make = async (labelled: boolean) => {
      const pdf = await PDFDocument.create();
      const font = await pdf.embedFont(StandardFonts.Helvetica);
      const page = pdf.addPage([612, 792]);
      drawWrapped(page, font, `${LOREM} ${LOREM}`, 72, 700, 468, 11);
      page.drawText("62", { x: 300, y: 40, size: 9, font });
      // /PageLabels: decimal numbers starting at 62 (the page's number in the book it came from).
      if (labelled) pdf.catalog.set(PDFName.of("PageLabels"), pdf.context.obj({ Nums: [0, { S: "D", St: 62 }] }));
      const doc = await openPdf(await pdf.save());
      const t = await doc.extractText(1, 72);
      await doc.close();
      return t.markdown;
    };
    expect(await make(true)).not.toMatch(/^62$/m);
    // Without labels nothing shows that 62 counts with the pages: kept.
    expect(await make(false)).toMatch(/^62$/m);
  });

  test("a page with only shapes is not usable", async () => {
    const pdf = await PDFDocument.create();
    const page = pdf.addPage([612, 792]);
    page.drawRectangle({ x: 100, y: 100, width: 300, height: 200 });
    page.drawCircle({ x: 300, y: 500, size: 80 });
    const doc = await openPdf(await pdf.save());
    const t = await doc.extractText(1, 150);
    await doc.close();
    expect(t.usable).toBe(false);
    expect(t.markdown).toBe("");
  });
});

describe("errors", () => {
  test("password-protected PDF -> encrypted", async () => {
    expect(await rejectKind(new Uint8Array(await Bun.file(join(FIXTURES, "encrypted-user-password.pdf")).arrayBuffer()))).toBe("encrypted");
  });

  test("owner-password-only PDF opens", async () => {
    expect(await rejectKind(new Uint8Array(await Bun.file(join(FIXTURES, "owner-password-only.pdf")).arrayBuffer()))).toBe("opened");
  });

  test("garbage and truncated files -> corrupt", async () => {
    expect(await rejectKind(new TextEncoder().encode("%PDF-1.7\nthis is not really a pdf at all"))).toBe("corrupt");
    const pdf = await PDFDocument.create();
    pdf.addPage();
    const bytes = await pdf.save();
    expect(await rejectKind(bytes.slice(0, 40))).toBe("corrupt");
  });

  test("zero pages -> empty", async () => {
    const pdf = await PDFDocument.create();
    expect(await rejectKind(await pdf.save({ addDefaultPage: false }))).toBe("empty");
  });
});

describe("render", () => {
  test("PNG of the size the dpi asks for, scaled down to maxPixels", async () => {
    const pdf = await PDFDocument.create();
    const font = await pdf.embedFont(StandardFonts.Helvetica);
    const page = pdf.addPage([612, 792]);
    page.drawText("Rendered text", { x: 72, y: 700, size: 30, font });
    const doc = await openPdf(await pdf.save());
    const r = await doc.render(1, 150);
    expect([r.width, r.height]).toEqual([1275, 1650]);
    expect([...r.png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const view = new DataView(r.png.buffer, r.png.byteOffset);
    expect([view.getUint32(16), view.getUint32(20)]).toEqual([1275, 1650]);
    // The PNG decodes and has dark pixels where the text is.
    const img = await createImageBitmapFromPng(r.png);
    expect(img).toBe(true);
    const small = await doc.render(1, 150, { maxPixels: 500_000 });
    expect(small.width * small.height).toBeLessThanOrEqual(500_000);
    expect(small.width).toBeGreaterThan(500);
    await doc.close();
  });

  test("maxLongSide draws the page smaller and still reports its size at the dpi", async () => {
    const pdf = await PDFDocument.create();
    const font = await pdf.embedFont(StandardFonts.Helvetica);
    pdf.addPage([612, 792]).drawText("Fitted text", { x: 72, y: 700, size: 30, font });
    const doc = await openPdf(await pdf.save());
    const fitted = await doc.render(1, 150, { maxLongSide: 1000 });
    expect([fitted.width, fitted.height]).toEqual([773, 1000]);
    expect([fitted.pageWidth, fitted.pageHeight]).toEqual([1275, 1650]);
    const view = new DataView(fitted.png.buffer, fitted.png.byteOffset);
    expect([view.getUint32(16), view.getUint32(20)]).toEqual([773, 1000]);
    expect(await createImageBitmapFromPng(fitted.png)).toBe(true);
    // A page that already fits is drawn at the dpi, unchanged.
    const same = await doc.render(1, 72, { maxLongSide: 1000 });
    expect([same.width, same.height, same.pageWidth, same.pageHeight]).toEqual([612, 792, 612, 792]);
    await doc.close();
  });
});

/** Decodes the PNG with @napi-rs/canvas and checks it has both white and dark pixels. */
async function createImageBitmapFromPng(png: Uint8Array): Promise<boolean> {
  const { loadImage, createCanvas } = await import("@napi-rs/canvas");
  const img = await loadImage(Buffer.from(png));
  const c = createCanvas(img.width, img.height);
  const ctx = c.getContext("2d");
  ctx.drawImage(img, 0, 0);
  const d = ctx.getImageData(0, 0, img.width, img.height).data;
  let dark = 0;
  let white = 0;
  for (let i = 0; i < d.length; i += 4) {
    if (d[i]! < 80) dark++;
    else if (d[i]! > 250) white++;
  }
  return dark > 100 && white > d.length / 8;
}

const HAS_HOSTILE = hasShared("benchmarks/pdfjs-robustness");
describe.skipIf(!HAS_HOSTILE)("hostile PDFs", () => {
  // The body runs even when skipped (to collect the tests): list nothing then.
  const files = HAS_HOSTILE ? readdirSync(HOSTILE).filter((f) => f.endsWith(".pdf")) : [];
  test.each(files)("%s: a result or a PdfError, never a crash or a hang", async (file) => {
    const bytes = new Uint8Array(await Bun.file(join(HOSTILE, file)).arrayBuffer());
    let doc;
    try {
      doc = await openPdf(bytes);
    } catch (err) {
      expect(err).toBeInstanceOf(PdfError);
      // The ones pdf.js's manifest lists with a user password must say so.
      if (USER_PASSWORD.has(file)) expect((err as PdfError).kind).toBe("encrypted");
      return;
    }
    expect(USER_PASSWORD.has(file)).toBe(false);
    try {
      for (let n = 1; n <= Math.min(doc.pageCount, 2); n++) {
        for (const step of [() => doc.extractText(n, 72), () => doc.render(n, 72, { maxPixels: 4_000_000 })]) {
          try {
            await step();
          } catch (err) {
            expect(err).toBeInstanceOf(PdfError);
          }
        }
      }
    } finally {
      await doc.close();
    }
  }, 20_000);
});
