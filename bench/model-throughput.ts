/**
 * Model route throughput benchmark
 *   bun run bench/model-throughput.ts [--pages 200] [--latency-ms 1000] [--concurrency 16] [--dpi 100]
 *
 * A loopback OpenAI-compatible model answers every call after a fixed latency L; one route with
 * max_concurrency C serves a PDF of N pages (made with pdf-lib) sent through the SDK upload
 * flow. No pipeline can beat C/L pages per second on that route, so the figure printed is the
 * server's pages/s beside that bound (target: at least 0.95 of it).
 *
 * Memory: the same run is made with N/4 pages first; peak RSS above the idle baseline is
 * printed for both, so growth with page count shows (pages stream: render, send, drop).
 *
 * Anchor in the same run: the same calls through the route layer alone (executor + real SDK +
 * the same loopback model, image pre-rendered), which isolates the cost of rendering and the
 * queue from the cost of scheduling.
 *
 * Beside it, zerox (npm, the usual "PDF to markdown with a VLM" library) on the same PDF against
 * the same loopback model at the same concurrency and image size, when it can run here: it needs
 * GraphicsMagick and Ghostscript (`apt-get install graphicsmagick ghostscript`) and Node; zerox
 * itself is installed from npm into .cache/zerox on first use (with --ignore-scripts: its
 * install script tries to apt-get LibreOffice, which only non-PDF inputs need).
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { startTestServer } from "../test/helpers/app";
import { SdkClient } from "../test/helpers/sdk-client";
import { digitalPdf } from "../test/helpers/fixtures";
import { writeModelConfig } from "../test/helpers/mock-models";
import { jobs } from "../src/db/schema";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const PAGES = arg("pages", 200);
const LATENCY_MS = arg("latency-ms", 1000);
const C = arg("concurrency", 16);
const DPI = arg("dpi", 100);
const mb = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MB`;

/** The loopback model runs in its own process, as a provider would: its work is not the server's. */
async function startLoopbackModel() {
  const proc = Bun.spawn([process.execPath, join(import.meta.dir, "lib/loopback-model.ts"), "--latency-ms", String(LATENCY_MS)], { stdout: "pipe", stderr: "inherit" });
  const reader = proc.stdout.getReader();
  let line = "";
  while (!line.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("the loopback model exited before it started");
    line += new TextDecoder().decode(value);
  }
  const { baseUrl, statsUrl } = JSON.parse(line.split("\n")[0]!) as { baseUrl: string; statsUrl: string };
  return {
    baseUrl,
    stats: async () => (await (await fetch(statsUrl)).json()) as { peakInFlight: number; arrivals: number[]; occupancy: number[] },
    close: async () => {
      proc.kill("SIGTERM");
      await proc.exited;
    },
  };
}

async function run(pages: number, warm = false) {
  const dir = mkdtempSync(join(tmpdir(), "leapocr-bench-"));
  const mock = await startLoopbackModel();
  const configFile = await writeModelConfig(dir, {
    routes: { bench: { provider: "openai", base_url: mock.baseUrl, model: "bench-vl", max_concurrency: C, timeout_seconds: 60, dpi: DPI, max_long_side: 1024 } },
    models: [{ name: "bench", credits_per_page: 1, steps: { ocr: ["bench"] } }],
  });
  const t = await startTestServer({ configFile, maxPages: 10_000 });
  const client = new SdkClient(t.baseUrl, t.apiKey);
  const pdf = await benchPdf(pages);
  if (warm) {
    // A server that has already read a document: its PDF workers are up (they stay up).
    const small = await digitalPdf([{ heading: "Warm-up", paragraphs: ["One page."] }, { heading: "Two", paragraphs: ["Two pages."] }]);
    await client.waitForJob(await client.upload(small, "warm.pdf", { model: "bench" }), 60_000);
  }
  Bun.gc(true);
  await Bun.sleep(200);
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
  await mock.stats(); // forget the warm-up's calls
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  let lagMax = 0;
  let lagSum = 0;
  let lagN = 0;
  let last = performance.now();
  const lag = setInterval(() => {
    const now = performance.now();
    const l = now - last - 5;
    last = now;
    lagMax = Math.max(lagMax, l);
    if (process.env.BENCH_DEBUG && l > 60) console.log(`    lag ${l.toFixed(0)} ms at ${(now - wall0).toFixed(0)} ms`);
    lagSum += l;
    lagN++;
  }, 5);
  const jobId = await client.upload(pdf, "bench.pdf", { model: "bench" });
  const status = await client.waitForJob(jobId, 600_000);
  clearInterval(sampler);
  clearInterval(lag);
  const { peakInFlight, arrivals, occupancy } = await mock.stats();
  const cpu = process.cpuUsage(cpu0);
  if (process.env.BENCH_DEBUG) console.log(`  cpu ${((cpu.user + cpu.system) / 1000 / (performance.now() - wall0)).toFixed(2)} cores; event loop lag mean ${(lagSum / lagN).toFixed(1)} ms, max ${lagMax.toFixed(0)} ms`);
  const job = t.server.ctx.db.select().from(jobs).where(eq(jobs.id, jobId)).get()!;
  const seconds = (job.completedAt! - job.startedAt!) / 1000;
  const span = t.server.ctx.db.$client
    .query<{ first: number; last: number }, [string]>(`SELECT min(started_at) AS first, max(completed_at) AS last FROM pages WHERE job_id = ?1`)
    .get(jobId)!;
  if (process.env.BENCH_DEBUG) {
    const rows = t.server.ctx.db.$client.query<{ n: number; s: number; c: number }, [string]>(`SELECT page_number AS n, started_at AS s, completed_at AS c FROM pages WHERE job_id = ?1 ORDER BY completed_at`).all(jobId);
    const comp = rows.map((r) => r.c - job.startedAt!);
    console.log(`  completions (ms): ${comp.filter((_, i) => i % 5 === 0).join(",")}`);
    const first = t.server.ctx.db.$client.query<{ n: number; s: number; c: number }, [string]>(`SELECT page_number AS n, started_at AS s, completed_at AS c FROM pages WHERE job_id = ?1 ORDER BY started_at LIMIT 20`).all(jobId);
    console.log(`  first claims (page: claimed+ms -> done+ms): ${first.map((r) => `${r.n}:${r.s - job.startedAt!}->${r.c - job.startedAt!}`).join(" ")}`);
  }
  const busy = occupancy;
  if (process.env.BENCH_DEBUG) console.log(`  mean calls in flight ${(busy.reduce((a, b) => a + b, 0) / busy.length).toFixed(2)} over ${busy.length} samples; first 100: ${busy.slice(0, 100).join(",")}`);
  if (process.env.BENCH_DEBUG && arrivals.length === pages) {
    // The calls left after the first C finish on the slots that started first: the run ends
    // about L after the last call starts, and that call waited for its slot's earlier calls.
    const sorted = [...arrivals].sort((a, b) => a - b);
    const lastRound = pages - C * (Math.ceil(pages / C) - 1);
    const tk = sorted[lastRound - 1]! - job.startedAt!;
    const rounds = Math.ceil(pages / C) - 1;
    const gap = (sorted[pages - 1]! - sorted[lastRound - 1]! - rounds * LATENCY_MS) / rounds;
    console.log(`  call ${lastRound} (the last slot with ${rounds + 1} calls) started at ${tk} ms; mean time between one call's end and the next on a slot: ${gap.toFixed(1)} ms; last call started at ${sorted[pages - 1]! - job.startedAt!} ms`);
  }
  if (process.env.BENCH_DEBUG) console.log(`  first model calls arrived at (ms after the job started): ${arrivals.slice(0, 20).map((a) => a - job.startedAt!).join(",")}`);
  if (process.env.BENCH_DEBUG) console.log(`  split ${span.first - job.startedAt!} ms, pages ${span.last - span.first} ms, finish ${job.completedAt! - span.last} ms`);
  await t.close();
  await mock.close();
  rmSync(dir, { recursive: true, force: true });
  if (status.status !== "completed" || status.processed_pages !== pages) throw new Error(`job ended ${status.status}: ${status.error_message}`);
  return { pages, warm, seconds, pagesPerSecond: pages / seconds, baseline, peak, peakInFlight };
}

/**
 * The same calls through the route layer alone (executor + real SDK + the same loopback model),
 * with a page image already rendered: what the scheduling costs without rendering or the queue.
 */
async function routeOnly(pages: number) {
  const { openAIRoute } = await import("../src/adapters/model-openai");
  const { RouteExecutor } = await import("../src/adapters/router");
  const { loadSharp } = await import("../src/lib/sharp");
  const sharp = await loadSharp();
  const png = new Uint8Array(await sharp({ create: { width: 612, height: 792, channels: 3, background: "#ffffff" } }).png().toBuffer());
  const mock = await startLoopbackModel();
  const route = openAIRoute({ name: "b", model: "m", baseUrl: mock.baseUrl, apiKey: "k", dpi: DPI, maxLongSide: 1024, imageFormat: "png", boxCoordinates: "xyxy_1000", maxConcurrency: C, timeoutMs: 60_000, structuredOutput: "json_schema" });
  const exec = new RouteExecutor();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: pages }, (_, i) =>
      exec.run("ocr", [route], (r, s) => r.readPage({ pageNumber: i + 1, textLayer: async () => null, image: async () => ({ png, width: 612, height: 792 }) }, { format: "markdown", extractBoundingBoxes: false }, s)),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  await mock.close();
  return { seconds, pagesPerSecond: pages / seconds };
}

/** zerox on the same PDF, loopback model, concurrency and image size; a line to print. */
async function runZerox(pages: number, oursPagesPerSecond: number): Promise<string> {
  const ZEROX = "1.1.20";
  const missing = ["gm", "gs", "node", "npm"].filter((c) => !Bun.which(c));
  if (missing.length) return `zerox: not run (needs ${missing.join(", ")} on PATH: apt-get install graphicsmagick ghostscript, and Node with npm)`;
  const dir = join(import.meta.dir, "../.cache/zerox");
  if (!(await Bun.file(join(dir, `node_modules/zerox/package.json`)).exists())) {
    mkdirSync(dir, { recursive: true });
    await Bun.write(join(dir, "package.json"), JSON.stringify({ name: "zerox-bench", private: true, type: "module" }));
    const install = Bun.spawnSync(["npm", "install", `zerox@${ZEROX}`, "--ignore-scripts", "--no-audit", "--no-fund"], { cwd: dir, stdout: "pipe", stderr: "pipe" });
    if (install.exitCode !== 0) return `zerox: not run (npm install zerox@${ZEROX} failed: ${install.stderr.toString().slice(-300)})`;
  }
  copyFileSync(join(import.meta.dir, "lib/zerox-run.mjs"), join(dir, "run.mjs"));
  const work = mkdtempSync(join(tmpdir(), "leapocr-zerox-"));
  const pdfPath = join(work, "bench.pdf");
  await Bun.write(pdfPath, await benchPdf(pages));
  const mock = await startLoopbackModel();
  try {
    const endpoint = mock.baseUrl.replace(/\/v1$/, "");
    const run = Bun.spawn(["node", join(dir, "run.mjs"), pdfPath, endpoint, String(C), String(DPI), "1024"], { cwd: work, stdout: "pipe", stderr: "pipe" });
    const [out, err] = [await new Response(run.stdout).text(), await new Response(run.stderr).text()];
    if ((await run.exited) !== 0) return `zerox: failed (${err.slice(-400)})`;
    const r = JSON.parse(out.trim().split("\n").pop()!) as { seconds: number; pages: number; failed: number };
    const { peakInFlight, arrivals } = await mock.stats();
    const pps = r.pages / r.seconds;
    return (
      `zerox ${ZEROX} (Node; pdf2pic + GraphicsMagick/Ghostscript; its Azure OpenAI client to the same loopback model; concurrency ${C}, ${DPI} DPI, 1024 px): ` +
      `${r.pages} pages in ${r.seconds.toFixed(2)} s = ${pps.toFixed(2)} pages/s -> ${(pps / bound).toFixed(3)} of C/L (${r.failed} failed; ${arrivals.length} calls, at most ${peakInFlight} in flight). ` +
      `leapocr on a new server: ${(oursPagesPerSecond / pps).toFixed(1)}x zerox's pages/s`
    );
  } finally {
    await mock.close();
    rmSync(work, { recursive: true, force: true });
  }
}

/** The benchmark's PDF: N text pages. */
const benchPdf = (pages: number) =>
  digitalPdf(
    Array.from({ length: pages }, (_, i) => ({ heading: `Section ${i + 1}`, paragraphs: ["The quick brown fox jumps over the lazy dog. ".repeat(30), "Second paragraph with figures 12.50 and 99.99."] })),
  );

const bound = C / (LATENCY_MS / 1000);
console.log(`model route throughput: ${PAGES}-page PDF, latency L = ${LATENCY_MS} ms, route concurrency C = ${C}, ${DPI} DPI`);
if (process.argv.includes("--warm-only")) {
  // A quicker look at one warm run (with BENCH_DEBUG=1 for where the time goes).
  const r = await run(PAGES, true);
  console.log(`  ${r.pages} pages, warm server: ${r.seconds.toFixed(2)} s -> ${(r.pagesPerSecond / (C / (LATENCY_MS / 1000))).toFixed(3)} of C/L`);
  process.exit(0);
}
const small = await run(Math.max(10, Math.round(PAGES / 4)));
const big = await run(PAGES);
const bigWarm = await run(PAGES, true);
for (const r of [small, big, bigWarm]) {
  console.log(
    `  ${String(r.pages).padStart(4)} pages, ${r.warm ? "warm server" : "new server "}: ${r.seconds.toFixed(2)} s, ${r.pagesPerSecond.toFixed(2)} pages/s vs bound C/L = ${bound.toFixed(2)} ` +
      `-> ${(r.pagesPerSecond / bound).toFixed(3)} of the bound; calls in flight at most ${r.peakInFlight}; ` +
      `RSS idle ${mb(r.baseline)}, peak ${mb(r.peak)} (+${mb(r.peak - r.baseline)})`,
  );
}
const anchor = await routeOnly(PAGES);
const rounds = Math.ceil(PAGES / C);
console.log(
  `  route layer alone (${PAGES} calls, image pre-rendered): ${anchor.seconds.toFixed(2)} s, ${anchor.pagesPerSecond.toFixed(2)} pages/s -> ${(anchor.pagesPerSecond / bound).toFixed(3)} of the bound ` +
    `(${rounds} rounds of L: at best ${(PAGES / (rounds * LATENCY_MS / 1000) / bound).toFixed(3)})`,
);
const os = await import("node:os");
console.log(`  cores: ${os.availableParallelism()}; load average now: ${os.loadavg().map((x) => x.toFixed(2)).join(" ")} (the server, the loopback model and the renderer share them)`);
for (const r of [big, bigWarm]) {
  const ratio = r.pagesPerSecond / bound;
  console.log(`result, ${r.warm ? "warm server" : "new server "}: ${ratio >= 0.95 ? "PASS" : "BELOW TARGET"} (${ratio.toFixed(4)} of C/L; target 0.95)`);
}
console.log(
  `memory: peak above idle ${mb(small.peak - small.baseline)} at ${small.pages} pages, ${mb(big.peak - big.baseline)} at ${big.pages} pages ` +
    `(x${(big.pages / small.pages).toFixed(0)} pages -> x${((big.peak - big.baseline) / Math.max(1, small.peak - small.baseline)).toFixed(2)} memory)`,
);
const zx = await runZerox(PAGES, big.pagesPerSecond);
console.log(zx);
process.exit(0);
