/**
 * Startup benchmark of the compiled binary
 *   bun run bench/startup.ts [--build] [--runs N] [--binary path/to/leapocr]
 *
 * Runs dist/leapocr (built first when missing, or always with --build) from an empty directory
 * with a temp data dir and a free port, and measures:
 * - cold start: ms from spawn to the first 200 on /api/v1/health, median of N runs,
 *   for a first start (fresh data dir: migrations, first key) and a restart (same data dir);
 * - idle memory: VmRSS of the server 500 ms after its first 200;
 * - the binary's size;
 * and, as the anchor measured in the same run, the cold start of a minimal `Bun.serve` binary
 * compiled with the same flags (the floor the runtime itself sets).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const TARGET_COLD_START_MS = 200;
const root = join(import.meta.dir, "..");
const binaryArg = process.argv.indexOf("--binary");
const binary = binaryArg > 0 ? process.argv[binaryArg + 1]! : join(root, "dist/leapocr");
const runsArg = process.argv.indexOf("--runs");
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

function freePort(): number {
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  return port;
}

function rssKb(pid: number): number {
  const m = readFileSync(`/proc/${pid}/status`, "utf8").match(/^VmRSS:\s+(\d+)\s+kB/m);
  return m ? Number(m[1]) : NaN;
}

interface Sample {
  ms: number;
  rssKb: number;
}

/** Spawns `cmd` (which must serve /api/v1/health on `port`) and times it to the first 200. */
async function startOnce(cmd: string[], port: number, cwd: string, logFile: string): Promise<Sample> {
  const url = `http://127.0.0.1:${port}/api/v1/health`;
  const t0 = performance.now();
  const proc = Bun.spawn(cmd, { cwd, stdout: "ignore", stderr: Bun.file(logFile), env: { ...process.env } });
  try {
    let ms = NaN;
    while (performance.now() - t0 < 15_000) {
      if (proc.exitCode !== null) break;
      try {
        const res = await fetch(url);
        if (res.status === 200) {
          ms = performance.now() - t0;
          break;
        }
      } catch {
        // not listening yet
      }
      await sleep(1);
    }
    if (Number.isNaN(ms)) {
      const log = existsSync(logFile) ? readFileSync(logFile, "utf8").slice(-2000) : "";
      throw new Error(`no 200 from ${url} (exit code ${proc.exitCode})\n${log}`);
    }
    await sleep(500);
    return { ms, rssKb: rssKb(proc.pid) };
  } finally {
    proc.kill("SIGTERM");
    const exited = await Promise.race([proc.exited.then(() => true), sleep(5000).then(() => false)]);
    if (!exited) proc.kill("SIGKILL");
    await proc.exited;
  }
}

function build(): void {
  console.log("building dist/leapocr ...");
  const res = Bun.spawnSync([process.execPath, "run", "scripts/build.ts"], { cwd: root, stdout: "ignore", stderr: "inherit" });
  if (res.exitCode !== 0) throw new Error("build failed");
}

/** The runtime's own floor: a compiled binary that only answers the health route. */
function buildAnchor(dir: string): string {
  const entry = join(dir, "anchor.ts");
  writeFileSync(
    entry,
    `const i = process.argv.indexOf("--port");
Bun.serve({ hostname: "127.0.0.1", port: Number(process.argv[i + 1]), fetch: () => Response.json({ status: "ok" }) });
`,
  );
  const out = join(dir, "anchor");
  const res = Bun.spawnSync(
    [process.execPath, "build", "--compile", "--bytecode", "--format=esm", "--minify", entry, "--outfile", out],
    { cwd: dir, stdout: "ignore", stderr: "inherit" },
  );
  if (res.exitCode !== 0) throw new Error("anchor build failed");
  return out;
}

if (binaryArg < 0 && (process.argv.includes("--build") || !existsSync(binary))) build();

const work = mkdtempSync(join(tmpdir(), "leapocr-bench-startup-"));
try {
  const empty = mkdtempSync(join(work, "cwd-"));
  const anchor = buildAnchor(mkdtempSync(join(work, "anchor-")));

  const first: Sample[] = [];
  const restart: Sample[] = [];
  const anchorSamples: Sample[] = [];
  for (let i = 0; i < RUNS; i++) {
    const dataDir = mkdtempSync(join(work, "data-"));
    const args = (port: number) => [binary, "--port", String(port), "--host", "127.0.0.1", "--data-dir", dataDir];
    let port = freePort();
    first.push(await startOnce(args(port), port, empty, join(work, `first-${i}.log`)));
    port = freePort();
    restart.push(await startOnce(args(port), port, empty, join(work, `restart-${i}.log`)));
    port = freePort();
    anchorSamples.push(await startOnce([anchor, "--port", String(port)], port, empty, join(work, `anchor-${i}.log`)));
  }

  const size = statSync(binary).size;
  const firstMs = median(first.map((s) => s.ms));
  const restartMs = median(restart.map((s) => s.ms));
  const anchorMs = median(anchorSamples.map((s) => s.ms));
  const rss = median(restart.map((s) => s.rssKb)) * 1024;
  const anchorRss = median(anchorSamples.map((s) => s.rssKb)) * 1024;
  const verdict = (ms: number) => (ms < TARGET_COLD_START_MS ? "ok" : "OVER TARGET");
  const fmt = (xs: Sample[]) => xs.map((s) => s.ms.toFixed(0)).join(", ");

  console.log(`\nleapocr startup, ${RUNS} runs each, median (all runs in ms)`);
  console.log(`  binary size                  ${mb(size)}   (anchor ${mb(statSync(anchor).size)})`);
  console.log(`  cold start, first start      ${firstMs.toFixed(0)} ms   target < ${TARGET_COLD_START_MS} ms: ${verdict(firstMs)}   [${fmt(first)}]`);
  console.log(`  cold start, restart          ${restartMs.toFixed(0)} ms   target < ${TARGET_COLD_START_MS} ms: ${verdict(restartMs)}   [${fmt(restart)}]`);
  console.log(`  anchor (bare Bun.serve bin)  ${anchorMs.toFixed(0)} ms   [${fmt(anchorSamples)}]`);
  console.log(`  ratio restart / anchor       ${(restartMs / anchorMs).toFixed(1)}x`);
  console.log(`  idle RSS after start         ${mb(rss)}   (anchor ${mb(anchorRss)}, ratio ${(rss / anchorRss).toFixed(1)}x)`);
  if (firstMs >= TARGET_COLD_START_MS || restartMs >= TARGET_COLD_START_MS) process.exitCode = 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}
