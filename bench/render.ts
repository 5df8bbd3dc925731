/**
 * Rendering benchmark: 50 pages at 150 DPI to PNG with our worker pool (all cores and one
 * worker) against `pdftoppm -r 150 -png` (the whole command timed). Two documents: a generated
 * 50-page text PDF (pdf-lib: paragraphs in a few fonts and sizes, rules and boxes), and 50 real
 * pages cycled from the olmOCR-bench sample if it is present.
 *
 *   bun run bench/render.ts [--workers N]
 */
import { mkdtempSync, rmSync, readdirSync, existsSync } from "node:fs";
import { tmpdir, availableParallelism } from "node:os";
import { join } from "node:path";
import { PDFDocument, StandardFonts, rgb } from "pdf-lib";
import { createRenderPool } from "../src/pipeline/pdf/render-pool";

const DPI = 150;
const PAGES = 50;
const cores = availableParallelism();
const argWorkers = process.argv.indexOf("--workers");
const poolSize = argWorkers > 0 ? Number(process.argv[argWorkers + 1]) : cores;

const WORDS = "the of and to in a is that for it as was with be by on not he this are or his from at which but have an they you were her she there been one all we their has would when if so no will more can out other some what only time into them these may its said could two first then do any new like".split(" ");

async function textPdf(): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  const fonts = [await pdf.embedFont(StandardFonts.TimesRoman), await pdf.embedFont(StandardFonts.Helvetica), await pdf.embedFont(StandardFonts.HelveticaBold)];
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const sentence = () => {
    const n = 8 + Math.floor(rand() * 14);
    const w = Array.from({ length: n }, () => WORDS[Math.floor(rand() * WORDS.length)]!);
    return w.join(" ").replace(/^./, (c) => c.toUpperCase()) + ".";
  };
  for (let p = 1; p <= PAGES; p++) {
    const page = pdf.addPage([612, 792]);
    page.drawText(`Chapter ${p}: A study of documents`, { x: 72, y: 720, size: 18, font: fonts[2] });
    page.drawLine({ start: { x: 72, y: 710 }, end: { x: 540, y: 710 }, thickness: 1 });
    let y = 690;
    for (let para = 0; para < 6 && y > 120; para++) {
      const font = fonts[para % 2]!;
      const size = para === 3 ? 14 : 10.5;
      if (para === 3) {
        page.drawText(`Section ${p}.${para}`, { x: 72, y, size, font: fonts[2] });
        y -= 22;
        continue;
      }
      let line = "";
      const words = Array.from({ length: 5 }, sentence).join(" ").split(" ");
      for (const w of words) {
        if (font.widthOfTextAtSize(`${line} ${w}`, size) > 468) {
          page.drawText(line, { x: 72, y, size, font });
          y -= size * 1.3;
          line = w;
        } else line = line ? `${line} ${w}` : w;
      }
      page.drawText(line, { x: 72, y, size, font });
      y -= size * 2.2;
    }
    page.drawRectangle({ x: 72, y: 80, width: 468, height: 30, borderColor: rgb(0.2, 0.2, 0.6), borderWidth: 1, color: rgb(0.93, 0.93, 1) });
    page.drawText(`Page ${p}`, { x: 290, y: 50, size: 9, font: fonts[1] });
  }
  return pdf.save();
}

async function realPdf(): Promise<Uint8Array | null> {
  const dir = "/work/shared/benchmarks/olmocr-bench-sample/pdfs";
  if (!existsSync(dir)) return null;
  const out = await PDFDocument.create();
  const sources = [];
  for (const f of readdirSync(dir).filter((f) => f.endsWith(".pdf")).sort()) {
    try {
      sources.push(await PDFDocument.load(await Bun.file(join(dir, f)).arrayBuffer(), { ignoreEncryption: true }));
    } catch {
      /* skip what pdf-lib cannot read */
    }
  }
  for (let i = 0; out.getPageCount() < PAGES; i++) {
    const src = sources[i % sources.length]!;
    const [page] = await out.copyPages(src, [0]);
    out.addPage(page!);
  }
  return out.save();
}

async function ours(bytes: Uint8Array, workers: number) {
  const pool = createRenderPool({ workers });
  // Warm-up: start the workers and load pdfjs in each (a server does this once).
  await pool.renderAll(bytes, 10, () => {}, { pages: Array.from({ length: workers }, (_, i) => i + 1) });
  let bytesOut = 0;
  const t = performance.now();
  await pool.renderAll(bytes, DPI, (_n, page) => {
    if (page.png[1] !== 0x50 || page.png[2] !== 0x4e) throw new Error("not a PNG");
    bytesOut += page.png.length;
  });
  const s = (performance.now() - t) / 1000;
  await pool.close();
  return { s, bytesOut };
}

async function pdftoppm(bytes: Uint8Array) {
  const dir = mkdtempSync(join(tmpdir(), "bench-render-"));
  try {
    await Bun.write(join(dir, "in.pdf"), bytes);
    const t = performance.now();
    const proc = Bun.spawn(["pdftoppm", "-r", String(DPI), "-png", join(dir, "in.pdf"), join(dir, "p")], { stderr: "ignore" });
    await proc.exited;
    const s = (performance.now() - t) / 1000;
    const files = readdirSync(dir).filter((f) => f.endsWith(".png"));
    let bytesOut = 0;
    for (const f of files) bytesOut += Bun.file(join(dir, f)).size;
    return { s, bytesOut, pages: files.length };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const hasPdftoppm = Bun.which("pdftoppm") !== null;
const rows: string[][] = [];
for (const [name, make] of [["generated text, 50 pp", textPdf], ["olmOCR sample pages, 50 pp", realPdf]] as const) {
  const bytes = await make();
  if (!bytes) continue;
  const pool = await ours(bytes, poolSize);
  const single = await ours(bytes, 1);
  const ref = hasPdftoppm ? await pdftoppm(bytes) : null;
  const pps = (s: number) => PAGES / s;
  rows.push([
    name,
    `${pps(pool.s).toFixed(1)} (${poolSize}w)`,
    pps(single.s).toFixed(1),
    ref ? pps(ref.s).toFixed(1) : "n/a",
    ref ? `${(pps(pool.s) / pps(ref.s)).toFixed(2)}x` : "n/a",
    `${(pool.bytesOut / PAGES / 1024).toFixed(0)} / ${ref ? (ref.bytesOut / PAGES / 1024).toFixed(0) : "-"}`,
  ]);
}
const head = ["document", "ours pages/s", "ours 1 worker", "pdftoppm pages/s", "ours/pdftoppm", "KB/page ours/pdftoppm"];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const fmt = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join(" | ");
console.log(`Rendering ${PAGES} pages at ${DPI} DPI to PNG; ${cores} cores; Bun ${Bun.version}`);
console.log(fmt(head));
console.log(widths.map((w) => "-".repeat(w)).join("-|-"));
for (const r of rows) console.log(fmt(r));
