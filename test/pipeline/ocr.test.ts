import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import {
  createOcrEngine,
  joinLines,
  ocrToBlocks,
  ocrToMarkdown,
  type OcrLine,
  type OcrResult,
} from "../../src/pipeline/ocr/index.ts";
import { openPdf } from "../../src/pipeline/pdf/index";
import { hasShared, sharedPath } from "../helpers/shared";

// tesseract/testing/phototest.tif (Apache-2.0) as PNG: 640x480, two paragraphs of 12 pt text.
const PHOTOTEST = new URL("../fixtures/ocr/phototest.png", import.meta.url).pathname;

// The first page also starts a worker (wasm compile + model load): allow for a busy machine.
setDefaultTimeout(30_000);

const engine = createOcrEngine({ workers: 2 });
afterAll(() => engine.close());

function svgPage(width: number, height: number, body: string): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <rect width="100%" height="100%" fill="white"/>
    <g font-family="DejaVu Sans" fill="black">${body}</g></svg>`;
  return sharp(Buffer.from(svg)).flatten({ background: "#ffffff" }).png().toBuffer();
}

function inside(r: OcrResult, b: { x: number; y: number; width: number; height: number }): boolean {
  return b.x >= 0 && b.y >= 0 && b.width > 0 && b.height > 0 && b.x + b.width <= r.width && b.y + b.height <= r.height;
}

describe("OCR engine", () => {
  test("reads a real scan with words, boxes and confidences", async () => {
    const r = await engine.recognize(await Bun.file(PHOTOTEST).bytes());
    expect(r.width).toBe(640);
    expect(r.height).toBe(480);
    for (const w of ["This", "point", "text", "quick", "brown", "dog", "jumped", "lazy", "fox"]) {
      expect(r.text).toContain(w);
    }
    expect(r.confidence).toBeGreaterThan(0.8);
    expect(r.confidence).toBeLessThanOrEqual(1);
    expect(r.paragraphs.length).toBe(2);
    const words = r.paragraphs.flatMap((p) => p.lines.flatMap((l) => l.words));
    expect(words.length).toBeGreaterThan(40);
    for (const w of words) {
      expect(inside(r, w.bounds)).toBe(true);
      expect(w.confidence).toBeGreaterThan(0);
      expect(w.confidence).toBeLessThanOrEqual(1);
    }
    const first = r.paragraphs[0]!.lines[0]!;
    expect(first.text).toBe("This is a lot of 12 point text to test the");
    expect(first.fontHeight).toBeGreaterThan(15);
    expect(first.fontHeight).toBeLessThan(45);
    // Lines and paragraphs enclose their words.
    for (const w of first.words) {
      expect(w.bounds.x).toBeGreaterThanOrEqual(first.bounds.x);
      expect(w.bounds.x + w.bounds.width).toBeLessThanOrEqual(first.bounds.x + first.bounds.width);
    }
    expect(ocrToMarkdown(r)).toBe(
      "This is a lot of 12 point text to test the ocr code and see if it works on all types of file format.\n\n" +
        "The quick brown dog jumped over the lazy fox. The quick brown dog jumped over the lazy fox. " +
        "The quick brown dog jumped over the lazy fox. The quick brown dog jumped over the lazy fox.\n",
    );
  });

  test("big-font line becomes a heading, body text paragraphs, bullets a list", async () => {
    const png = await svgPage(
      1400,
      900,
      `<text x="60" y="120" font-size="80" font-weight="bold">Quarterly Report</text>
       <text x="60" y="240" font-size="32">The committee reviewed the budget and agreed</text>
       <text x="60" y="290" font-size="32">to publish the figures before the next meeting.</text>
       <text x="60" y="420" font-size="32">Several members asked for a clearer summary</text>
       <text x="60" y="470" font-size="32">of the travel costs for the coming year.</text>
       <text x="60" y="600" font-size="32">• Approve the annual accounts</text>
       <text x="60" y="650" font-size="32">• Elect a new treasurer</text>`,
    );
    const r = await engine.recognize(png);
    const md = ocrToMarkdown(r);
    expect(md).toMatch(/^#{1,2} Quarterly Report\n\n/);
    expect(md).toContain("The committee reviewed the budget and agreed to publish the figures before the next meeting.");
    expect(md).toContain("\n\nSeveral members asked");
    const blocks = ocrToBlocks(r);
    expect(blocks[0]).toMatchObject({ type: "heading", text: "Quarterly Report" });
    expect(blocks.filter((b) => b.type === "paragraph").length).toBeGreaterThanOrEqual(1);
    for (const b of blocks) expect(inside(r, b.bounds)).toBe(true);
    // Tesseract reads "•" as "*" here, as "•", "e" or "©" with other fonts: check the list
    // whenever it read a bullet character.
    if (/^[•·*] Approve/m.test(r.text)) {
      expect(md).toContain("- Approve the annual accounts\n- Elect a new treasurer");
      expect(blocks.filter((b) => b.type === "list").map((b) => b.text)).toEqual([
        "Approve the annual accounts",
        "Elect a new treasurer",
      ]);
    }
  });

  test("a blank image gives empty text", async () => {
    const png = await sharp({ create: { width: 500, height: 300, channels: 3, background: "#ffffff" } })
      .png()
      .toBuffer();
    const r = await engine.recognize(png);
    expect(r.text).toBe("");
    expect(r.paragraphs).toEqual([]);
    expect(r.confidence).toBe(0);
    expect(r.width).toBe(500);
    expect(r.height).toBe(300);
    expect(ocrToMarkdown(r)).toBe("");
    expect(ocrToBlocks(r)).toEqual([]);
  });

  test.skipIf(!hasShared("benchmarks/olmocr-bench-sample/pdfs/buildingnotes.pdf"))(
    "a page of letters far larger than print (a note photographed close up) is read, not returned empty",
    async () => {
      // olmOCR-bench's buildingnotes: handwriting ~150 px tall at 300 DPI on a photographed sheet.
      // Read at that size Tesseract takes every letter for a picture and returns nothing.
      const doc = await openPdf(new Uint8Array(await Bun.file(sharedPath("benchmarks/olmocr-bench-sample/pdfs/buildingnotes.pdf")).arrayBuffer()));
      const page = await doc.render(1, 300);
      await doc.close();
      const r = await engine.recognize(page.png);
      expect((r.text.match(/\p{L}/gu) ?? []).length).toBeGreaterThan(20);
      // Boxes and sizes still refer to the page as given.
      expect([r.width, r.height]).toEqual([page.width, page.height]);
      const words = r.paragraphs.flatMap((p) => p.lines.flatMap((l) => l.words));
      expect(Math.max(...words.map((w) => w.bounds.x + w.bounds.width))).toBeGreaterThan(page.width / 2);
      expect(words.every((w) => w.bounds.x + w.bounds.width <= page.width && w.bounds.y + w.bounds.height <= page.height)).toBe(true);
    },
    240_000,
  );

  test("pages queue across the workers and come back in order", async () => {
    const bytes = await Bun.file(PHOTOTEST).bytes();
    const results = await Promise.all([1, 2, 3].map(() => engine.recognize(bytes)));
    for (const r of results) expect(r.text).toBe(results[0]!.text);
    expect(bytes.byteLength).toBeGreaterThan(0); // the caller's buffer is not detached
  });

  test("bad input and unknown languages are errors, not crashes", async () => {
    await expect(engine.recognize(new Uint8Array([1, 2, 3, 4]))).rejects.toThrow(/decode/);
    await expect(engine.recognize(await Bun.file(PHOTOTEST).bytes(), { lang: "deu" })).rejects.toThrow(/not enabled/);
    // The worker is still usable afterwards.
    const r = await engine.recognize(await Bun.file(PHOTOTEST).bytes());
    expect(r.text).toContain("quick brown");
  });

  test("other languages load from langDataDir", async () => {
    // Any traineddata will do to exercise the loader: the embedded English one under another code.
    const dir = mkdtempSync(join(tmpdir(), "ocr-langs-"));
    try {
      const eng = Bun.resolveSync("@tesseract.js-data/eng/4.0.0_best_int/eng.traineddata.gz", import.meta.dir);
      await Bun.write(join(dir, "xyz.traineddata.gz"), Bun.file(eng));
      const e = createOcrEngine({ langs: ["eng", "xyz"], langDataDir: dir });
      try {
        const bytes = await Bun.file(PHOTOTEST).bytes();
        expect((await e.recognize(bytes, { lang: "xyz" })).text).toContain("quick brown");
        expect((await e.recognize(bytes, { lang: "eng+xyz" })).text).toContain("quick brown");
        expect((await e.recognize(bytes)).text).toContain("quick brown");
      } finally {
        await e.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a closed engine refuses work", async () => {
    const e = createOcrEngine({});
    await e.close();
    await expect(e.recognize(new Uint8Array([1]))).rejects.toThrow(/closed/);
  });
});

describe("ocrToMarkdown on a synthetic layout", () => {
  const box = (y: number, h: number) => ({ x: 10, y, width: 500, height: h });
  const line = (text: string, y: number, fontHeight = 20): OcrLine => ({
    text,
    confidence: 0.9,
    bounds: box(y, fontHeight),
    fontHeight,
    words: text.split(" ").map((t, i) => ({ text: t, confidence: 0.9, bounds: { x: 10 + i * 50, y, width: 40, height: fontHeight } })),
  });
  const result = (paras: OcrLine[][]): OcrResult => ({
    text: "",
    confidence: 0.9,
    width: 600,
    height: 1000,
    paragraphs: paras.map((lines) => ({ text: "", confidence: 0.9, bounds: box(lines[0]!.bounds.y, 20), lines })),
  });

  test("headings by size, de-hyphenation, lists with wrapped items", () => {
    const r = result([
      [line("Title Of The Page", 10, 48)],
      [line("Section", 80, 30)],
      [line("A para-", 130), line("graph that con-", 155), line("tinues. Well-", 180), line("Known words stay.", 205)],
      [line("• first item", 260), line("wrapped here", 285), line("- second item", 310)],
      [line("1. numbered", 360), line("2) next", 385)],
      [line("# not a heading", 430)],
    ]);
    expect(ocrToMarkdown(r)).toBe(
      "# Title Of The Page\n\n## Section\n\nA paragraph that continues. Well- Known words stay.\n\n" +
        "- first item wrapped here\n- second item\n\n1. numbered\n2. next\n\n\\# not a heading\n",
    );
    expect(ocrToBlocks(r).map((b) => b.type)).toEqual(["heading", "heading", "paragraph", "list", "list", "list", "list", "paragraph"]);
  });

  test("joinLines", () => {
    expect(joinLines(["infor-", "mation is", "  ", "here"])).toBe("information is here");
    expect(joinLines(["1990-", "2000"])).toBe("1990- 2000");
  });
});
