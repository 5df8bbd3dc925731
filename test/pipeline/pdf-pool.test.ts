import { afterAll, expect, test } from "bun:test";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { PDFDocument, StandardFonts } from "pdf-lib";
import { PdfError } from "../../src/pipeline/pdf/index";
import { createRenderPool } from "../../src/pipeline/pdf/render-pool";

const pool = createRenderPool({ workers: 2 });
afterAll(() => pool.close());

async function pdfOf(pages: number) {
  const pdf = await PDFDocument.create();
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  for (let i = 1; i <= pages; i++) pdf.addPage([300, 400]).drawText(`Page ${i}`, { x: 40, y: 300, size: 24, font });
  return pdf.save();
}

test("renderAll renders every page once, as PNGs of the right size", async () => {
  const seen: number[] = [];
  await pool.renderAll(await pdfOf(5), 144, (n, page) => {
    seen.push(n);
    expect([page.width, page.height]).toEqual([600, 800]);
    expect([...page.png.subarray(1, 4)]).toEqual([0x50, 0x4e, 0x47]);
  });
  expect(seen.sort()).toEqual([1, 2, 3, 4, 5]);
});

test("open + render single pages, and errors come back as PdfError", async () => {
  const doc = await pool.open(await pdfOf(3));
  expect(doc.pageCount).toBe(3);
  const [a, b] = await Promise.all([doc.render(3, 72), doc.render(1, 72, { maxPixels: 10_000 })]);
  expect([a.width, a.height]).toEqual([300, 400]);
  expect(b.width * b.height).toBeLessThanOrEqual(10_000);
  const fitted = await doc.render(2, 144, { maxLongSide: 200 });
  expect([fitted.width, fitted.height, fitted.pageWidth, fitted.pageHeight]).toEqual([150, 200, 600, 800]);
  await doc.close();

  const encrypted = new Uint8Array(await Bun.file(join(import.meta.dir, "../fixtures/pdf/encrypted-user-password.pdf")).arrayBuffer());
  const err = await pool.open(encrypted).catch((e) => e);
  expect(err).toBeInstanceOf(PdfError);
  expect(err.kind).toBe("encrypted");
  const empty = await PDFDocument.create();
  const err2 = await pool.renderAll(await empty.save({ addDefaultPage: false }), 72, () => {}).catch((e) => e);
  expect(err2.kind).toBe("empty");
});

test("warm starts every worker before any document arrives, once", async () => {
  const cold = createRenderPool({ workers: 2 });
  try {
    expect(cold.started).toBe(0);
    cold.warm();
    cold.warm();
    expect(cold.started).toBe(2);
    // The warmed workers serve the first document (no third worker, no error).
    const doc = await cold.open(await pdfOf(2));
    expect((await doc.render(2, 72)).width).toBe(300);
    expect(cold.started).toBe(2);
    await doc.close();
  } finally {
    await cold.close();
  }
});

test("a document that fails to open on every idle worker leaves the pool working on both", async () => {
  const warmed = createRenderPool({ workers: 2 });
  try {
    warmed.warm();
    const encrypted = new Uint8Array(await Bun.file(join(import.meta.dir, "../fixtures/pdf/encrypted-user-password.pdf")).arrayBuffer());
    // Both idle workers are asked to open it at once; both refuse it.
    expect((await warmed.open(encrypted).catch((e) => e)).kind).toBe("encrypted");
    const doc = await warmed.open(await pdfOf(4));
    const pages = await Promise.all([1, 2, 3, 4].map((n) => doc.render(n, 72)));
    expect(pages.map((p) => p.width)).toEqual([300, 300, 300, 300]);
    expect(warmed.started).toBe(2);
    await doc.close();
  } finally {
    await warmed.close();
  }
});

test.skipIf(process.platform !== "linux")("render workers run at nice 10 and leave the calling thread at its own priority", async () => {
  const doc = await pool.open(await pdfOf(2));
  await Promise.all([doc.render(1, 72), doc.render(2, 72)]);
  await doc.close();
  // /proc/self/task/<tid>/stat: field 19 is the thread's nice value.
  const nice = (tid: string) => Number(readFileSync(`/proc/self/task/${tid}/stat`, "utf8").split(") ")[1]!.split(" ")[16]);
  const niceOfThreads = readdirSync("/proc/self/task").map(nice);
  expect(niceOfThreads.filter((n) => n === 10).length).toBeGreaterThanOrEqual(2);
  expect(nice(String(process.pid))).toBe(0);
});
