/**
 * Builds the single executable dist/leapocr (npm run build).
 *
 *   bun run scripts/build.ts [--outfile dist/leapocr] [--no-minify] [--entry <file>] [--smoke]
 *
 * 1. regenerates the embedded migrations (scripts/embed-migrations.ts) when that script exists;
 * 2. `bun build --compile --bytecode --format=esm --minify` with src/main.ts plus every worker
 *    file (Bun runs a `new Worker(...)` file inside the binary only when it is an entrypoint);
 * 3. prints the binary's size; with --smoke, runs `<binary> --help` from an empty directory.
 *
 * `--bytecode --format=esm` cut cold start from ~300 ms to ~80 ms; `--bytecode` alone fails on a
 * dependency's top-level await. The Bun CLI is spawned rather than Bun.build() so the command
 * below is exactly what a person would type to reproduce a build.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";

/** Entry of the server. */
const MAIN_ENTRY = "src/main.ts";

/**
 * Files started with `new Worker(...)`: each must be an extra entrypoint of the compiled binary.
 * Listed here once; a file that does not exist (yet) is skipped with a notice.
 */
const WORKER_ENTRIES = ["src/pipeline/ocr/tesseract-worker.ts", "src/pipeline/pdf/render-worker.ts", "src/adapters/job-store-thread.ts"];

/** Run before compiling when present: they turn drizzle/*.sql and public/ into imports the binary embeds. */
const PREBUILD_SCRIPTS = ["scripts/embed-migrations.ts", "scripts/embed-public.ts"];

const root = join(import.meta.dir, "..");

function flag(name: string): boolean {
  return process.argv.includes(name);
}
function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function run(cmd: string[], cwd = root): void {
  console.log(`$ ${cmd.map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(" ")}`);
  const res = Bun.spawnSync(cmd, { cwd, stdout: "inherit", stderr: "inherit", env: process.env });
  if (res.exitCode !== 0) {
    console.error(`build: command failed with exit code ${res.exitCode}`);
    process.exit(res.exitCode ?? 1);
  }
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

const bun = process.execPath; // the bun running this script (node_modules/.bin/bun under npm)
const outfile = resolve(root, option("--outfile") ?? "dist/leapocr");
const entry = option("--entry") ?? MAIN_ENTRY;
const minify = !flag("--no-minify");

if (!existsSync(resolve(root, entry))) {
  console.error(`build: entry ${entry} does not exist`);
  process.exit(1);
}

for (const script of PREBUILD_SCRIPTS) {
  if (existsSync(join(root, script))) run([bun, "run", script]);
}

const workers = WORKER_ENTRIES.filter((w) => {
  const present = existsSync(join(root, w));
  if (!present) console.log(`build: worker entry ${w} not found, skipped`);
  return present;
});

mkdirSync(dirname(outfile), { recursive: true });
const started = performance.now();
run([
  bun,
  "build",
  "--compile",
  "--bytecode",
  "--format=esm",
  ...(minify ? ["--minify"] : []),
  ...(process.env.LEAPOCR_BUILD_TARGET ? [`--target=${process.env.LEAPOCR_BUILD_TARGET}`] : []),
  entry,
  ...workers,
  "--outfile",
  relative(root, outfile),
]);
const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(`build: ${relative(root, outfile)} ${mb(statSync(outfile).size)} (${statSync(outfile).size} bytes) in ${seconds} s`);
console.log(`build: entrypoints ${[entry, ...workers].join(", ")}`);

if (flag("--smoke")) {
  // From an empty directory, so nothing can come from node_modules.
  const dir = mkdtempSync(join(tmpdir(), "leapocr-smoke-"));
  try {
    const res = Bun.spawnSync([outfile, "--help"], { cwd: dir, stdout: "pipe", stderr: "pipe" });
    if (res.exitCode !== 0) {
      console.error(`build: smoke test failed (exit ${res.exitCode})\n${res.stderr.toString()}`);
      process.exit(1);
    }
    console.log("build: smoke test ok (--help from an empty directory)");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
