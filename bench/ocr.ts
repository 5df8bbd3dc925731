/**
 * OCR benchmark: the embedded engine (Tesseract wasm in Bun workers) against the `tesseract`
 * CLI run single-threaded (OMP_THREAD_LIMIT=1), on the scans with ground truth in
 * shared/benchmarks/ocr-scans/. Prints seconds per page and character error rate (Levenshtein
 * distance / reference length, whitespace collapsed) for each, and what turning pages upright
 * costs: our engine with it (the default: skew measured, orientation detected, issue 14) and
 * without it (`upright: false`), interleaved page by page in the same run.
 *
 *   bun run bench/ocr.ts [--scans DIR] [--rounds N] [--pdf FILE --pdf-pages N]
 *
 * Times are the best of --rounds (default 2) runs, ours (with and without uprighting) and the CLI
 * interleaved page by page.
 *
 * The CLI is run twice: with the model our engine embeds (4.0.0_best_int, unpacked into a
 * temporary tessdata dir: same model, so it compares the engines) and with the model Debian's
 * tesseract-ocr-eng package installs (tessdata_fast: a smaller, faster network).
 * --pdf adds pages rendered at 300 DPI with pdftoppm (timed only: no ground truth).
 */
import { mkdtempSync, readdirSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, basename } from "node:path";
import sharp from "sharp";
import engGz from "@tesseract.js-data/eng/4.0.0_best_int/eng.traineddata.gz" with { type: "file" };
import { createOcrEngine, type OcrResult } from "../src/pipeline/ocr/index.ts";

const args = process.argv.slice(2);
const arg = (name: string, def?: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
};
const scansDir = arg("--scans", join(import.meta.dir, "../../shared/benchmarks/ocr-scans"))!;
const fallbackScans = "/work/shared/benchmarks/ocr-scans";
const dir = existsSync(scansDir) ? scansDir : fallbackScans;
const pdf = arg("--pdf");
const pdfPages = Number(arg("--pdf-pages", "3"));
const rounds = Math.max(1, Number(arg("--rounds", "2")));

interface Page {
  name: string;
  png: Uint8Array;
  file: string;
  truth: string | null;
}

function normalise(s: string): string {
  return s.replace(/\s+/g, " ").trim();
}

/** Levenshtein distance over code points, two rows. */
function levenshtein(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  if (x.length === 0) return y.length;
  if (y.length === 0) return x.length;
  let prev = new Int32Array(y.length + 1);
  let cur = new Int32Array(y.length + 1);
  for (let j = 0; j <= y.length; j++) prev[j] = j;
  for (let i = 1; i <= x.length; i++) {
    cur[0] = i;
    const xi = x[i - 1];
    for (let j = 1; j <= y.length; j++) {
      const sub = prev[j - 1]! + (xi === y[j - 1] ? 0 : 1);
      const del = prev[j]! + 1;
      const ins = cur[j - 1]! + 1;
      cur[j] = sub < del ? (sub < ins ? sub : ins) : del < ins ? del : ins;
    }
    [prev, cur] = [cur, prev];
  }
  return prev[y.length]!;
}

function cer(hyp: string, truth: string | null): number | null {
  if (truth === null) return null;
  const ref = normalise(truth);
  return ref.length ? levenshtein(normalise(hyp), ref) / ref.length : null;
}

const work = mkdtempSync(join(tmpdir(), "ocr-bench-"));
try {
  // Pages: every .tif/.png with a ground truth beside it.
  const pages: Page[] = [];
  for (const f of readdirSync(dir).sort()) {
    if (!/\.(tif|tiff|png)$/i.test(f)) continue;
    const stem = f.replace(/\.[^.]+$/, "");
    const truthFile = [`${stem}.gold.txt`, `${stem}.txt`].map((t) => join(dir, t)).find((t) => existsSync(t));
    const png = new Uint8Array(await sharp(join(dir, f)).png().toBuffer());
    const file = join(work, `${stem}.png`);
    await Bun.write(file, png);
    pages.push({ name: stem, png, file, truth: truthFile ? await Bun.file(truthFile).text() : null });
  }
  if (pdf) {
    const prefix = join(work, "pdfpage");
    const r = Bun.spawnSync(["pdftoppm", "-r", "300", "-gray", "-png", "-l", String(pdfPages), pdf, prefix]);
    if (r.exitCode !== 0) throw new Error(`pdftoppm failed: ${r.stderr}`);
    for (const f of readdirSync(work).filter((f) => f.startsWith("pdfpage")).sort()) {
      const file = join(work, f);
      pages.push({ name: `${basename(pdf)}:${f}`, png: await Bun.file(file).bytes(), file, truth: null });
    }
  }
  if (pages.length === 0) throw new Error(`no images in ${dir}`);

  // The same model as ours, for the CLI.
  const tessdata = join(work, "tessdata");
  await Bun.write(join(tessdata, "eng.traineddata"), Bun.gunzipSync(await Bun.file(engGz).bytes()));

  const cli = async (file: string, dataDir?: string) => {
    const t0 = performance.now();
    const cmd = ["tesseract", ...(dataDir ? ["--tessdata-dir", dataDir] : []), file, "stdout"];
    const p = Bun.spawn(cmd, { env: { ...process.env, OMP_THREAD_LIMIT: "1" }, stdout: "pipe", stderr: "ignore" });
    const text = await new Response(p.stdout).text();
    if ((await p.exited) !== 0) throw new Error(`tesseract failed on ${file}`);
    return { text, s: (performance.now() - t0) / 1000 };
  };
  // Bun.spawnSync throws when the executable is missing: then the CLI columns stay empty.
  const haveCli = (() => {
    try {
      return Bun.spawnSync(["tesseract", "--version"], { stdout: "ignore", stderr: "ignore" }).exitCode === 0;
    } catch {
      return false;
    }
  })();

  // The machine may be shared: run ours and the CLI interleaved page by page, several rounds,
  // and keep each one's best time, so that outside load hits both alike.
  const smallest = [...pages].sort((a, b) => a.png.length - b.png.length)[0]!;
  const one = createOcrEngine({ workers: 1 });
  const plain = createOcrEngine({ workers: 1, upright: false });
  let t0 = performance.now();
  await one.recognize(smallest.png);
  const startup = (performance.now() - t0) / 1000;
  await plain.recognize(smallest.png);
  // A server's worker reads up to 200 pages: read each page once untimed with both engines, so
  // the uprighting's JavaScript (the skew profile) is measured compiled, as on a worker's later
  // pages, and not interpreted, as on its first few (measured: +0.1 to 0.3 s CPU on a small page).
  for (const p of pages) for (const engine of [one, plain]) await engine.recognize(p.png);
  const ours: { r: OcrResult; s: number }[] = [];
  const flat: { r: OcrResult; s: number }[] = [];
  const same: { text: string; s: number }[] = [];
  const fast: { text: string; s: number }[] = [];
  const oursCpu: number[] = [];
  const flatCpu: number[] = [];
  const best = <T extends { s: number }>(arr: T[], i: number, v: T) => {
    if (!arr[i] || v.s < arr[i]!.s) arr[i] = v;
  };
  for (let round = 0; round < rounds; round++) {
    for (const [i, p] of pages.entries()) {
      // Alternate which goes first, so neither always meets a warmer cache.
      for (const engine of round % 2 ? [plain, one] : [one, plain]) {
        t0 = performance.now();
        const c0 = process.cpuUsage();
        const r = await engine.recognize(p.png);
        best(engine === one ? ours : flat, i, { r, s: (performance.now() - t0) / 1000 });
        // CPU time of the whole process (worker, main thread, sharp's threads) for this one call:
        // what the page costs, whatever else the machine is doing.
        const c = process.cpuUsage(c0);
        const cpu = engine === one ? oursCpu : flatCpu;
        cpu[i] = Math.min(cpu[i] ?? Infinity, (c.user + c.system) / 1e6);
      }
      if (haveCli) {
        best(same, i, await cli(p.file, tessdata));
        best(fast, i, await cli(p.file));
      }
    }
  }
  await one.close();
  await plain.close();

  // Two at a time: ours with 2 workers against 2 CLI processes (same model), best of the rounds.
  const two = createOcrEngine({ workers: 2 });
  await Promise.all([two.recognize(smallest.png), two.recognize(smallest.png)]);
  let twoWall = Infinity;
  let cli2Wall = haveCli ? Infinity : NaN;
  for (let round = 0; round < rounds; round++) {
    t0 = performance.now();
    await Promise.all(pages.map((p) => two.recognize(p.png)));
    twoWall = Math.min(twoWall, (performance.now() - t0) / 1000);
    if (haveCli) {
      t0 = performance.now();
      const queue = [...pages];
      await Promise.all(
        [0, 1].map(async () => {
          for (let p = queue.shift(); p; p = queue.shift()) await cli(p.file, tessdata);
        }),
      );
      cli2Wall = Math.min(cli2Wall, (performance.now() - t0) / 1000);
    }
  }
  await two.close();

  const f2 = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : "-");
  const pct = (n: number | null | undefined) => (n === null || n === undefined ? "-" : (n * 100).toFixed(2) + "%");
  const rows: string[][] = [
    ["page", "px", "ours s", "no-upright s", "upright cost", "upright s", "in-call cost", "CPU s ours / no-upright", "CPU cost", "turn", "CLI s", "ours/CLI", "CLI-fast s", "CER ours", "CER no-upright", "CER CLI", "CER CLI-fast"],
  ];
  let sumOurs = 0, sumFlat = 0, sumSame = 0, sumFast = 0;
  const ratios: number[] = [];
  const inCall: number[] = [];
  let sumUp = 0;
  let sumCpuOurs = 0, sumCpuFlat = 0;
  const cers: [number, number, number, number][] = []; // weight, ours, same, fast
  pages.forEach((p, i) => {
    const o = ours[i]!;
    const u = flat[i]!;
    const s = same[i];
    const f = fast[i];
    sumOurs += o.s;
    sumFlat += u.s;
    ratios.push(o.s / u.s);
    sumSame += s?.s ?? 0;
    sumFast += f?.s ?? 0;
    const co = cer(o.r.text, p.truth);
    const cs = s ? cer(s.text, p.truth) : null;
    const cf = f ? cer(f.text, p.truth) : null;
    if (co !== null && cs !== null && cf !== null) cers.push([normalise(p.truth!).length, co, cs, cf]);
    const turn = o.r.upright ? `${o.r.upright.rotation}/${o.r.upright.deskew}` : "-";
    // The same cost timed inside the call (uprighting vs the rest): less exposed to outside load.
    const us = (o.r.upright?.ms ?? 0) / 1000;
    sumUp += us;
    inCall.push(us / (o.s - us));
    sumCpuOurs += oursCpu[i]!;
    sumCpuFlat += flatCpu[i]!;
    rows.push([p.name, `${o.r.width}x${o.r.height}`, f2(o.s), f2(u.s), pct(o.s / u.s - 1), f2(us), pct(us / (o.s - us)), `${f2(oursCpu[i]!)} / ${f2(flatCpu[i]!)}`, pct(oursCpu[i]! / flatCpu[i]! - 1), turn, f2(s?.s ?? NaN), s ? f2(o.s / s.s) + "x" : "-", f2(f?.s ?? NaN), pct(co), pct(cer(u.r.text, p.truth)), pct(cs), pct(cf)]);
  });
  const n = pages.length;
  const wsum = cers.reduce((a, c) => a + c[0], 0);
  const wmean = (k: 1 | 2 | 3) => (wsum ? cers.reduce((a, c) => a + c[0] * c[k], 0) / wsum : null);
  rows.push([
    "mean / page",
    "",
    f2(sumOurs / n),
    f2(sumFlat / n),
    pct(sumOurs / sumFlat - 1),
    f2(sumUp / n),
    pct(sumUp / (sumOurs - sumUp)),
    `${f2(sumCpuOurs / n)} / ${f2(sumCpuFlat / n)}`,
    pct(sumCpuOurs / sumCpuFlat - 1),
    "",
    f2(sumSame / n),
    haveCli ? f2(sumOurs / sumSame) + "x" : "-",
    f2(sumFast / n),
    pct(wmean(1)),
    "",
    pct(wmean(2)),
    pct(wmean(3)),
  ]);
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const fmt = (r: string[]) => r.map((v, c) => (c === 0 ? v.padEnd(widths[c]!) : v.padStart(widths[c]!))).join("  ");
  console.log(`OCR benchmark: ${n} pages from ${dir}${pdf ? ` + ${pdf}` : ""}`);
  console.log("ours = embedded engine (tesseract.js-core simd wasm, eng 4.0.0_best_int, PSM 3), 1 worker, pages turned upright first");
  console.log("no-upright = the same engine with upright: false; upright cost = ours / no-upright - 1; upright s = time the call spent uprighting");
  console.log("in-call cost = upright s / (ours s - upright s); turn = quarter turn/deskew made (degrees)");
  console.log("CPU s = process CPU time (user + system, all threads) of one call, best of the rounds; CPU cost = ours / no-upright - 1: what uprighting costs whatever the machine's load");
  console.log("CLI = tesseract CLI, OMP_THREAD_LIMIT=1, same model; CLI-fast = same CLI with the distro's eng model");
  console.log("CER = Levenshtein / reference length after collapsing whitespace; mean weighted by reference length\n");
  console.log(fmt(rows[0]!));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of rows.slice(1)) console.log(fmt(r));
  const sorted = [...ratios].sort((a, b) => a - b);
  console.log(`\nupright cost: ${pct(sumOurs / sumFlat - 1)} of the total reading time, per page median ${pct(sorted[Math.floor(sorted.length / 2)]! - 1)}, max ${pct(sorted.at(-1)! - 1)}`);
  console.log(`upright cost timed inside each call: ${pct(sumUp / (sumOurs - sumUp))} overall, per page max ${pct(Math.max(...inCall))}`);
  console.log(`upright cost in CPU time: ${pct(sumCpuOurs / sumCpuFlat - 1)} overall, per page max ${pct(Math.max(...pages.map((_, i) => oursCpu[i]! / flatCpu[i]! - 1)))}`);
  console.log(`best of ${rounds} rounds. ours: worker start-up (wasm compile + model load + first page ${smallest.name}) ${f2(startup)} s`);
  console.log(`ours, 2 workers: ${f2(twoWall)} s for ${n} pages = ${f2(twoWall / n)} s/page throughput`);
  if (haveCli) console.log(`CLI, 2 processes at a time (same model): ${f2(cli2Wall)} s for ${n} pages = ${f2(cli2Wall / n)} s/page throughput`);
  else console.log("tesseract CLI not found: install tesseract-ocr and tesseract-ocr-eng to compare");
} finally {
  rmSync(work, { recursive: true, force: true });
}
