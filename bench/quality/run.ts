/**
 * Document quality on the olmOCR-bench sample, side by side with olmOCR's own outputs.
 *
 *   bun run bench/quality/run.ts [--model NAME] [--config FILE] [--binary dist/leapocr]
 *                                [--sample DIR] [--out DIR] [--score DIR] [--failures] [--markdown]
 *
 * 1. Builds dist/leapocr when it is missing or older than the sources (not when --binary is given).
 * 2. Starts the binary on 127.0.0.1 with a temporary data directory and a bootstrap API key
 *    (LEAPOCR_OCR_WORKERS=2 and LEAPOCR_PAGE_CONCURRENCY=2 unless set), with `--config FILE`
 *    when given, so a configured model route can be scored: `--model NAME` is sent in each upload.
 * 3. Sends every PDF under <sample>/pdfs through the SDK flow (direct upload, PUT the parts,
 *    complete, poll status, fetch the result) and keeps each page's markdown, written to
 *    <out>/<candidate>/<pdf>_pg<N>_repeat1.md (olmOCR-bench's layout, so it can be scored again).
 * 4. Scores that markdown and <sample>/olmocr_pipeline with bench/quality/checker.ts on the tests
 *    of <sample>/*.jsonl (plus a baseline test per PDF, as olmOCR-bench adds) and prints, per
 *    test type and overall, the pass rates side by side; --failures lists every failed test
 *    with the reason, --markdown prints the table as GFM for docs/BENCHMARKS.md.
 *
 * `--score DIR` skips the server and scores an existing folder of *_pg<N>_repeat<R>.md files
 * (any tool's output) against olmOCR's.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { randomBytes } from "node:crypto";
import { parseTests, scoreCandidate, withBaselines, type BenchTest, type TestResult } from "./checker";
import { formatFailures, formatMarkdown, formatTable, type Candidate } from "./report";
import { SdkClient } from "../../test/helpers/sdk-client";

const root = resolve(import.meta.dir, "../..");
const args = process.argv.slice(2);
const opt = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const flag = (name: string) => args.includes(name);

const sample = resolve(opt("--sample") ?? join(root, "../shared/benchmarks/olmocr-bench-sample"));
const model = opt("--model");
const configFile = opt("--config") ? resolve(opt("--config")!) : undefined;
const binaryGiven = opt("--binary");
const binary = resolve(root, binaryGiven ?? "dist/leapocr");
const scoreDir = opt("--score") ? resolve(opt("--score")!) : undefined;
const jobTimeoutMs = Number(opt("--job-timeout") ?? 900) * 1000;

if (!existsSync(join(sample, "pdfs"))) {
  console.error(`no olmOCR-bench sample at ${sample} (give --sample DIR)`);
  process.exit(2);
}

/** Every PDF under pdfs/, as a path relative to it (the name the tests use). */
function listPdfs(dir: string, prefix = ""): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...listPdfs(dir, rel));
    else if (e.name.toLowerCase().endsWith(".pdf")) out.push(rel);
  }
  return out.sort();
}

/** A folder in olmOCR-bench's layout: <pdf without .pdf>_pg<page>_repeat<r>.md, subfolders kept. */
function folderPages(dir: string): (pdf: string, page: number) => string[] | null {
  return (pdf, page) => {
    const base = pdf.replace(/\.pdf$/i, "");
    const sub = join(dir, dirname(base));
    if (!existsSync(sub)) return null;
    const name = base.split("/").pop()!;
    const re = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}_pg${page}_repeat\\d+\\.md$`);
    const files = readdirSync(sub).filter((f) => re.test(f));
    return files.length ? files.map((f) => readFileSync(join(sub, f), "utf8")) : null;
  };
}

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let t = 0;
  for (const e of readdirSync(path)) if (e !== "node_modules") t = Math.max(t, newestMtime(join(path, e)));
  return t;
}

function ensureBinary(): void {
  if (binaryGiven) {
    if (!existsSync(binary)) throw new Error(`binary ${binary} not found`);
    return;
  }
  const sources = Math.max(newestMtime(join(root, "src")), newestMtime(join(root, "scripts")), newestMtime(join(root, "package.json")));
  if (existsSync(binary) && statSync(binary).mtimeMs >= sources) return;
  console.log(existsSync(binary) ? "dist/leapocr is older than the sources: building" : "building dist/leapocr");
  const build = Bun.spawnSync([process.execPath, "run", "scripts/build.ts"], { cwd: root, stdout: "inherit", stderr: "inherit", env: process.env });
  if (build.exitCode !== 0) throw new Error("build failed");
}

interface Server {
  baseUrl: string;
  apiKey: string;
  stop(): Promise<void>;
  stderr(): string;
}

async function startServer(dataDir: string): Promise<Server> {
  const port = 20000 + Math.floor(Math.random() * 30000);
  const apiKey = `lo_bench_${randomBytes(16).toString("hex")}`;
  const cmd = [binary, "--port", String(port), "--host", "127.0.0.1", "--data-dir", dataDir, ...(configFile ? ["--config", configFile] : [])];
  // The operator's environment passes through: a configured route reads its key from it.
  const proc = Bun.spawn(cmd, {
    cwd: dataDir,
    env: {
      ...process.env,
      LEAPOCR_OCR_WORKERS: process.env.LEAPOCR_OCR_WORKERS ?? "2",
      LEAPOCR_PAGE_CONCURRENCY: process.env.LEAPOCR_PAGE_CONCURRENCY ?? "2",
      LEAPOCR_BOOTSTRAP_API_KEY: apiKey,
      LEAPOCR_RATE_LIMIT_PER_KEY: "0",
    },
    stdin: "ignore",
    stdout: "ignore",
    stderr: "pipe",
  });
  let err = "";
  void (async () => {
    for await (const c of proc.stderr) err += new TextDecoder().decode(c);
  })();
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`server exited with ${proc.exitCode}: ${err}`);
    try {
      if ((await fetch(`${baseUrl}/api/v1/health`)).status === 200) break;
    } catch {}
    if (Date.now() > deadline) {
      proc.kill(9);
      throw new Error(`server did not answer /api/v1/health: ${err}`);
    }
    await Bun.sleep(20);
  }
  return {
    baseUrl,
    apiKey,
    stderr: () => err,
    async stop() {
      proc.kill("SIGTERM");
      await Promise.race([proc.exited, Bun.sleep(15_000).then(() => proc.kill(9))]);
    },
  };
}

interface Run {
  name: string;
  route: string;
  pages: number;
  seconds: number;
  failedPages: string[];
  dir: string;
}

/** Runs every PDF through the binary and writes the pages' markdown under outDir/<name>. */
async function runBinary(pdfs: string[], outDir: string): Promise<Run> {
  ensureBinary();
  const dataDir = mkdtempSync(join(tmpdir(), "leapocr-quality-data-"));
  const server = await startServer(dataDir);
  try {
    const client = new SdkClient(server.baseUrl, server.apiKey);
    const models = await client.call("GET", "/ocr/models");
    const name = model ?? "standard-v2";
    const info = (models.body?.models as Array<{ name: string; steps: { ocr: string[] } }> | undefined)?.find((m) => m.name === name);
    if (model && !info) throw new Error(`model ${model} is not offered by the server (have: ${(models.body?.models ?? []).map((m: { name: string }) => m.name).join(", ")})`);
    const route = info ? `${name} (ocr: ${info.steps.ocr.join(" -> ")})` : name;
    const dir = join(outDir, model ? `leapocr-${model}` : "leapocr");
    let pages = 0;
    const failedPages: string[] = [];
    const started = performance.now();
    const queue = [...pdfs];
    // A few documents in flight keep the server's page workers busy; the server bounds the work.
    await Promise.all(
      [0, 1, 2].map(async () => {
        for (let pdf = queue.shift(); pdf; pdf = queue.shift()) {
          const bytes = new Uint8Array(readFileSync(join(sample, "pdfs", pdf)));
          const jobId = await client.upload(bytes, pdf.split("/").pop()!, model ? { model } : {});
          const status = await client.waitForJob(jobId, jobTimeoutMs);
          const base = pdf.replace(/\.pdf$/i, "");
          mkdirSync(join(dir, dirname(base)), { recursive: true });
          if (status.status !== "completed") failedPages.push(`${pdf}: job ${status.status} ${status.error_message ?? ""}`);
          for (let p = 1; ; p++) {
            const res = await client.result(jobId, p, 100);
            for (const page of res.pages ?? []) {
              pages++;
              if (page.status !== "completed" || typeof page.result !== "string") {
                failedPages.push(`${pdf} p${page.page_number}: ${page.error_message ?? page.status}`);
                continue;
              }
              writeFileSync(join(dir, `${base}_pg${page.page_number}_repeat1.md`), page.result);
            }
            if (!res.pagination || p >= res.pagination.total_pages) break;
          }
          process.stdout.write(".");
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    process.stdout.write("\n");
    return { name: model ? `leapocr ${model}` : "leapocr (offline)", route, pages, seconds, failedPages, dir };
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const pdfs = listPdfs(join(sample, "pdfs"));
const jsonl = readdirSync(sample).filter((f) => f.endsWith(".jsonl")).sort();
const tests = withBaselines(
  jsonl.flatMap((f) => parseTests(readFileSync(join(sample, f), "utf8"), f)),
  pdfs,
) as Array<BenchTest & { source: string }>;

const outDir = resolve(opt("--out") ?? mkdtempSync(join(tmpdir(), "leapocr-quality-")));
let ours: { name: string; results: TestResult[] };
let run: Run | null = null;
if (scoreDir) {
  ours = { name: relative(process.cwd(), scoreDir) || scoreDir, results: await scoreCandidate(tests, folderPages(scoreDir)) };
} else {
  console.log(`${pdfs.length} PDFs from ${sample}/pdfs through ${relative(process.cwd(), binary)}${configFile ? ` --config ${configFile}` : ""}${model ? ` --model ${model}` : ""}`);
  run = await runBinary(pdfs, outDir);
  ours = { name: run.name, results: await scoreCandidate(tests, folderPages(run.dir)) };
}
const candidates: Candidate[] = [ours];
const peerDir = join(sample, "olmocr_pipeline");
if (existsSync(peerDir)) candidates.push({ name: "olmOCR (sample outputs)", results: await scoreCandidate(tests, folderPages(peerDir)) });

const date = new Date().toISOString().slice(0, 10);
console.log(`\nolmOCR-bench sample: ${tests.length} tests (${jsonl.join(", ")} + a baseline per PDF) on ${pdfs.length} PDFs, ${date}`);
if (run) {
  console.log(`route: ${run.route}; ${run.pages} pages in ${run.seconds.toFixed(1)} s (${(run.seconds / Math.max(1, run.pages)).toFixed(2)} s/page, 2 OCR workers, 2 pages at a time)`);
  for (const f of run.failedPages) console.log(`  page failed: ${f}`);
  console.log(`markdown: ${run.dir}`);
}
console.log();
console.log(flag("--markdown") ? formatMarkdown(candidates) : formatTable(candidates));
if (flag("--failures")) {
  console.log();
  console.log(formatFailures(candidates[0]!, candidates.slice(1)));
  if (candidates[1]) {
    console.log();
    console.log(formatFailures(candidates[1], [candidates[0]!]));
  }
}
writeFileSync(
  join(outDir, "results.json"),
  JSON.stringify(
    {
      date,
      route: run?.route ?? null,
      seconds: run?.seconds ?? null,
      candidates: candidates.map((c) => ({ name: c.name, results: c.results.map((r) => ({ id: r.test.id, type: r.test.type, pdf: r.test.pdf, page: r.test.page, passed: r.passed, explanation: r.explanation })) })),
    },
    null,
    2,
  ),
);
console.log(`\nresults: ${join(outDir, "results.json")}`);
