/**
 * Model route throughput benchmark
 *   bun run bench/model-throughput.ts [--pages 200] [--concurrency 20] [--dpi 100] [--latencies 1000,3000]
 *                                     [--warm-only | --new-only] [--binary PATH | --in-process]
 *
 * The server measured is the compiled executable (bytecode, as shipped), built from this tree
 * first (or --binary PATH), in its own process: memory is that process's RSS. --in-process runs
 * the server from source inside this process instead (slower to start: no bytecode; and the SDK
 * client's memory counts too).
 *
 * A loopback OpenAI-compatible model answers every call after a fixed latency L; one route with
 * max_concurrency C serves a PDF of N pages (made with pdf-lib) sent through the SDK upload
 * flow. No pipeline can beat C/L pages per second on that route, so the figure printed is the
 * server's pages/s beside that bound (target: at least 0.95 of it).
 *
 * C/L is only reachable when N is a multiple of C: otherwise the last round of calls runs part
 * full and even a server that costs nothing needs ceil(N/C) rounds of L. Each row prints that
 * ceiling beside its figure. The default C = 20 divides 200; a C = 16 row (ceiling 0.962) is
 * printed beside for comparison with earlier figures.
 *
 * Rows, for each latency: a new server (its first document since it started: PDF workers and
 * their JIT cold), and a warm server (it has read one 50-page document of the same kind before).
 *
 * Memory: peak RSS above idle on new servers with N/4, N and 4N pages (model at L = 0.25 s), and
 * the live memory of one 2N-page job sampled after forced full collections. Peak RSS rises until
 * the garbage collector's heap reaches its working size (a few hundred pages here), then stays;
 * the live memory shows what a job keeps (pages stream: render, send, drop).
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
 *
 * BENCH_DEBUG=1 prints where the time goes (first calls, the slot gap, CPU per thread).
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Database } from "bun:sqlite";
import { startTestServer } from "../test/helpers/app";
import { SdkClient } from "../test/helpers/sdk-client";
import { digitalPdf } from "../test/helpers/fixtures";
import { writeModelConfig } from "../test/helpers/mock-models";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const PAGES = arg("pages", 200);
const C = arg("concurrency", 20);
const listArg = (name: string, fallback: number[]) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]!.split(",").map(Number) : fallback;
};
const LATENCIES = listArg("latencies", [1000, 3000]);
/**
 * The server measured: the compiled executable, as users run it (built fresh into a temp dir, or
 * --binary PATH), or with --in-process the server from source inside this process.
 */
const BINARY = (() => {
  if (process.argv.includes("--in-process")) return null;
  const i = process.argv.indexOf("--binary");
  if (i > 0) return process.argv[i + 1]!;
  const out = join(mkdtempSync(join(tmpdir(), "leapocr-bench-build-")), "leapocr");
  const b = Bun.spawnSync([process.execPath, "run", "scripts/build.ts", "--outfile", out], { cwd: join(import.meta.dir, ".."), stdout: "ignore", stderr: "inherit" });
  if (b.exitCode !== 0) throw new Error("build failed");
  process.once("exit", () => rmSync(dirname(out), { recursive: true, force: true }));
  return out;
})();

interface Setting {
  latencyMs: number;
  concurrency: number;
}
/** C/L in pages per second. */
const boundOf = (s: Setting) => s.concurrency / (s.latencyMs / 1000);
/** What a server that costs nothing reaches, as a fraction of C/L: N calls take ceil(N/C) rounds of L. */
const ceilingOf = (pages: number, s: Setting) => pages / Math.ceil(pages / s.concurrency) / s.concurrency;
const DPI = arg("dpi", 100);
const mb = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MB`;

/** The loopback model runs in its own process, as a provider would: its work is not the server's. */
async function startLoopbackModel(latencyMs: number) {
  const proc = Bun.spawn([process.execPath, join(import.meta.dir, "lib/loopback-model.ts"), "--latency-ms", String(latencyMs)], { stdout: "pipe", stderr: "inherit" });
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

/** The loopback model at the setting's latency, and a config file with one route to it (model "bench"). */
async function benchRoute(dir: string, setting: Setting) {
  const mock = await startLoopbackModel(setting.latencyMs);
  const configFile = await writeModelConfig(dir, {
    routes: { bench: { provider: "openai", base_url: mock.baseUrl, model: "bench-vl", max_concurrency: setting.concurrency, timeout_seconds: 60, dpi: DPI, max_long_side: 1024 } },
    models: [{ name: "bench", credits_per_page: 1, steps: { ocr: ["bench"] } }],
  });
  return { mock, configFile };
}

/** The server being measured: in this process (from source), or the compiled binary (--binary). */
interface Server {
  baseUrl: string;
  apiKey: string;
  pid: number;
  rss(): number;
  /** Its SQLite database: job and page timings are read from it. */
  sqlite: Database;
  close(): Promise<void>;
}

async function startInProcess(configFile: string): Promise<Server> {
  const t = await startTestServer({ configFile, maxPages: 10_000 });
  // The SDK client and this harness share the process: their memory is in these figures too.
  return { baseUrl: t.baseUrl, apiKey: t.apiKey, pid: process.pid, rss: () => process.memoryUsage().rss, sqlite: t.server.ctx.db.$client, close: () => t.close() };
}

/** The shipped executable (bytecode-compiled, as users run it), started on a fresh data dir. */
async function startBinary(binary: string, dir: string, configFile: string): Promise<Server> {
  const port = await freePort();
  const apiKey = "lo_bench_0123456789abcdef0123456789";
  const dataDir = join(dir, "data");
  const proc = Bun.spawn([binary, "--port", String(port), "--host", "127.0.0.1", "--data-dir", dataDir, "--config", configFile, "--max-pages", "10000"], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? "", TMPDIR: process.env.TMPDIR ?? "/tmp", LEAPOCR_BOOTSTRAP_API_KEY: apiKey, LEAPOCR_RATE_LIMIT_PER_KEY: "0", LEAPOCR_RATE_LIMIT_PER_IP: "0", LEAPOCR_LOG_LEVEL: "warn" },
    stdout: "ignore",
    stderr: "inherit",
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${baseUrl}/api/v1/ready`)).ok) break;
    } catch {}
    if (i > 500 || proc.exitCode !== null) throw new Error("the binary did not become ready");
    await Bun.sleep(10);
  }
  const sqlite = new Database(join(dataDir, "leapocr.db"), { readonly: true });
  return {
    baseUrl,
    apiKey,
    pid: proc.pid,
    rss: () => {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${proc.pid}/status`, "utf8"));
      return m ? Number(m[1]) * 1024 : 0;
    },
    sqlite,
    async close() {
      sqlite.close();
      proc.kill("SIGTERM");
      await proc.exited;
    },
  };
}

async function freePort(): Promise<number> {
  const s = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
  const port = s.port!;
  await s.stop(true);
  return port;
}

async function run(pages: number, setting: Setting, warm = false) {
  const { latencyMs: LATENCY_MS, concurrency: C } = setting;
  const dir = mkdtempSync(join(tmpdir(), "leapocr-bench-"));
  const { mock, configFile } = await benchRoute(dir, setting);
  const t = BINARY ? await startBinary(BINARY, dir, configFile) : await startInProcess(configFile);
  const client = new SdkClient(t.baseUrl, t.apiKey);
  const pdf = await benchPdf(pages);
  if (warm) {
    // A server that has already read a document: its PDF workers are up (they stay up) and
    // their JIT has compiled the drawing code, as on a server in use.
    await client.waitForJob(await client.upload(await benchPdf(50), "warm.pdf", { model: "bench" }), 120_000);
  }
  Bun.gc(true);
  await Bun.sleep(200);
  const baseline = t.rss();
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, t.rss())), 10);
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
  const cpuBefore = threadCpu(t.pid);
  const jobId = await client.upload(pdf, "bench.pdf", { model: "bench" });
  const status = await client.waitForJob(jobId, 600_000);
  if (process.env.BENCH_DEBUG) {
    const after = threadCpu(t.pid);
    const used = Object.entries(after).map(([k, v]) => [k, v - (cpuBefore[k] ?? 0)] as const).filter(([, v]) => v > 0);
    console.log(`  CPU ms per thread of the server process${BINARY ? "" : " (and the SDK client: same process)"}: ${used.map(([k, v]) => `${k}=${v}`).join(" ")}`);
  }
  clearInterval(sampler);
  clearInterval(lag);
  const { peakInFlight, arrivals, occupancy } = await mock.stats();
  const cpu = process.cpuUsage(cpu0);
  if (process.env.BENCH_DEBUG) console.log(`  cpu ${((cpu.user + cpu.system) / 1000 / (performance.now() - wall0)).toFixed(2)} cores; event loop lag mean ${(lagSum / lagN).toFixed(1)} ms, max ${lagMax.toFixed(0)} ms`);
  const job = t.sqlite.query<{ startedAt: number; completedAt: number }, [string]>(`SELECT started_at AS startedAt, completed_at AS completedAt FROM jobs WHERE id = ?1`).get(jobId)!;
  const seconds = (job.completedAt! - job.startedAt!) / 1000;
  const span = t.sqlite
    .query<{ first: number; last: number }, [string]>(`SELECT min(started_at) AS first, max(completed_at) AS last FROM pages WHERE job_id = ?1`)
    .get(jobId)!;
  if (process.env.BENCH_DEBUG) {
    const rows = t.sqlite.query<{ n: number; s: number; c: number }, [string]>(`SELECT page_number AS n, started_at AS s, completed_at AS c FROM pages WHERE job_id = ?1 ORDER BY completed_at`).all(jobId);
    const comp = rows.map((r) => r.c - job.startedAt!);
    console.log(`  completions (ms): ${comp.filter((_, i) => i % 5 === 0).join(",")}`);
    const first = t.sqlite.query<{ n: number; s: number; c: number }, [string]>(`SELECT page_number AS n, started_at AS s, completed_at AS c FROM pages WHERE job_id = ?1 ORDER BY started_at LIMIT 20`).all(jobId);
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
  return { pages, warm, setting, seconds, pagesPerSecond: pages / seconds, baseline, peak, peakInFlight };
}

/** CPU time (ms) of each thread of a process so far, by "tid:name" (Linux /proc). */
function threadCpu(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  try {
    for (const t of readdirSync(`/proc/${pid}/task`)) {
      const st = readFileSync(`/proc/${pid}/task/${t}/stat`, "utf8");
      const fields = st.slice(st.lastIndexOf(")") + 2).split(" ");
      out[`${t}:${st.slice(st.indexOf("(") + 1, st.lastIndexOf(")"))}(nice ${fields[16]})`] = (Number(fields[11]) + Number(fields[12])) * 10;
    }
  } catch {
    /* not Linux, or a thread ended while read */
  }
  return out;
}

/**
 * The same calls through the route layer alone (executor + real SDK + the same loopback model),
 * with a page image already rendered: what the scheduling costs without rendering or the queue.
 */
async function routeOnly(pages: number, setting: Setting) {
  const { openAIRoute } = await import("../src/adapters/model-openai");
  const { RouteExecutor } = await import("../src/adapters/router");
  const { loadSharp } = await import("../src/lib/sharp");
  const sharp = await loadSharp();
  const png = new Uint8Array(await sharp({ create: { width: 612, height: 792, channels: 3, background: "#ffffff" } }).png().toBuffer());
  const mock = await startLoopbackModel(setting.latencyMs);
  const route = openAIRoute({ name: "b", model: "m", baseUrl: mock.baseUrl, apiKey: "k", dpi: DPI, maxLongSide: 1024, imageFormat: "png", boxCoordinates: "xyxy_1000", maxConcurrency: setting.concurrency, timeoutMs: 60_000, structuredOutput: "json_schema" });
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
async function runZerox(pages: number, setting: Setting, oursPagesPerSecond: number): Promise<string> {
  const C = setting.concurrency;
  const bound = boundOf(setting);
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
  const mock = await startLoopbackModel(setting.latencyMs);
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

/**
 * What a job keeps, as opposed to what the garbage collector has not yet reclaimed: the server
 * from source in this process reads `pages` pages while this harness forces a full collection
 * every 50 pages done and records the live JS heap (with the memory it reports outside it) and
 * RSS right after. Pages stream when these stay flat as the page count grows.
 */
async function liveMemory(pages: number, setting: Setting): Promise<string> {
  const jsc = await import("bun:jsc");
  const dir = mkdtempSync(join(tmpdir(), "leapocr-bench-"));
  const { mock, configFile } = await benchRoute(dir, setting);
  const t = await startInProcess(configFile);
  const client = new SdkClient(t.baseUrl, t.apiKey);
  const pdf = await benchPdf(pages);
  const points: string[] = [];
  const sample = (done: number) => {
    Bun.gc(true);
    const stats = jsc.heapStats();
    points.push(`${done}: ${mb(stats.heapSize + stats.extraMemorySize)} / ${mb(process.memoryUsage().rss)}`);
  };
  try {
    const jobId = await client.upload(pdf, "bench.pdf", { model: "bench" });
    let next = 50;
    for (;;) {
      const s = (await client.call("GET", `/ocr/status/${jobId}`)).body;
      if ((s.processed_pages ?? 0) >= next) {
        sample(s.processed_pages);
        next += 50;
      }
      if (s.status === "completed" || s.status === "failed") break;
      await Bun.sleep(20);
    }
  } finally {
    await t.close();
    await mock.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return `live memory (server from source in this process, ${pages} pages, L = ${setting.latencyMs / 1000} s, C = ${setting.concurrency}; pages done: JS heap incl. its external memory / RSS, MB, right after a forced full GC): ${points.join(", ")}`;
}

type Result = Awaited<ReturnType<typeof run>>;
const describe = (r: Result) =>
  `${String(r.pages).padStart(4)} pages, L = ${r.setting.latencyMs / 1000} s, C = ${String(r.setting.concurrency).padStart(2)}, ${r.warm ? "warm server" : "new server "}: ` +
  `${r.seconds.toFixed(2)} s, ${r.pagesPerSecond.toFixed(2)} pages/s vs C/L = ${boundOf(r.setting).toFixed(2)} -> ${(r.pagesPerSecond / boundOf(r.setting)).toFixed(3)} of C/L ` +
  `(ceiling ${ceilingOf(r.pages, r.setting).toFixed(3)}); calls in flight at most ${r.peakInFlight}; RSS idle ${mb(r.baseline)}, peak ${mb(r.peak)} (+${mb(r.peak - r.baseline)})`;

console.log(`model route throughput (${BINARY ? "compiled binary" : "server from source, in this process"}): ${PAGES}-page PDF, route concurrency C = ${C}, latencies L = ${LATENCIES.map((l) => `${l / 1000} s`).join(", ")}, ${DPI} DPI, 1024 px`);
const only = process.argv.includes("--warm-only") ? "warm" : process.argv.includes("--new-only") ? "new" : null;
if (only) {
  // A quicker look at one kind of run per latency (with BENCH_DEBUG=1 for where the time goes).
  for (const latencyMs of LATENCIES) console.log(`  ${describe(await run(PAGES, { latencyMs, concurrency: C }, only === "warm"))}`);
  process.exit(0);
}
const first: Setting = { latencyMs: LATENCIES[0]!, concurrency: C };
const rows: Result[] = [];
for (const latencyMs of LATENCIES) {
  const setting = { latencyMs, concurrency: C };
  for (const warm of [false, true]) {
    const r = await run(PAGES, setting, warm);
    rows.push(r);
    console.log(`  ${describe(r)}`);
  }
}
// Beside: C = 16, where 200 pages take 13 rounds (12 full, 1 half full) whatever the server does.
const beside = C === 16 || PAGES % 16 === 0 ? null : await run(PAGES, { latencyMs: first.latencyMs, concurrency: 16 }, true);
if (beside) console.log(`  beside: ${describe(beside)}`);
const anchor = await routeOnly(PAGES, first);
console.log(
  `  route layer alone (${PAGES} calls, L = ${first.latencyMs / 1000} s, C = ${C}, image pre-rendered): ${anchor.seconds.toFixed(2)} s, ${anchor.pagesPerSecond.toFixed(2)} pages/s -> ` +
    `${(anchor.pagesPerSecond / boundOf(first)).toFixed(3)} of C/L (ceiling ${ceilingOf(PAGES, first).toFixed(3)})`,
);
const os = await import("node:os");
console.log(`  cores: ${os.availableParallelism()}; load average now: ${os.loadavg().map((x) => x.toFixed(2)).join(" ")} (the server, the loopback model and the renderer share them)`);
for (const r of rows) {
  const ratio = r.pagesPerSecond / boundOf(r.setting);
  console.log(`result, L = ${r.setting.latencyMs / 1000} s, ${r.warm ? "warm server" : "new server "}: ${ratio >= 0.95 ? "PASS" : "BELOW TARGET"} (${ratio.toFixed(4)} of C/L; target 0.95)`);
}
// Memory with page count: a new server each, the model 4x faster than above (80 pages/s), so
// garbage piles up as fast as it can here.
const fast: Setting = { latencyMs: 250, concurrency: C };
const series: Result[] = [];
for (const pages of [Math.round(PAGES / 4), PAGES, PAGES * 4]) series.push(await run(pages, fast));
console.log(
  `memory, peak RSS above idle (${BINARY ? "the binary's process" : "this process"}, new server, L = ${fast.latencyMs / 1000} s, C = ${C}): ` +
    series.map((r) => `${r.pages} pages +${mb(r.peak - r.baseline)}`).join(", ") +
    ` (x${(series[1]!.pages / series[0]!.pages).toFixed(0)} pages -> x${((series[1]!.peak - series[1]!.baseline) / (series[0]!.peak - series[0]!.baseline)).toFixed(2)}, ` +
    `x${(series[2]!.pages / series[1]!.pages).toFixed(0)} more -> x${((series[2]!.peak - series[2]!.baseline) / (series[1]!.peak - series[1]!.baseline)).toFixed(2)})`,
);
console.log(`  ${await liveMemory(PAGES * 2, fast)}`);
const bigFirst = rows[0]!;
console.log(await runZerox(PAGES, first, bigFirst.pagesPerSecond));
process.exit(0);
