/**
 * The compiled executable for the tests that run it. `bun test` runs every test file in one
 * process, so it is built once per run (into a temp dir, never over dist/) and each test copies it
 * where it wants it: four tests used to build it four times.
 */
import { chmodSync, copyFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = join(import.meta.dir, "../..");
let built: string | null = null;

export function compiledBinary(): string {
  if (built && existsSync(built)) return built;
  const dir = mkdtempSync(join(tmpdir(), "leapocr-build-"));
  const out = join(dir, "leapocr");
  const build = Bun.spawnSync([process.execPath, "run", "scripts/build.ts", "--outfile", out], { cwd: root, stdout: "pipe", stderr: "pipe" });
  if (build.exitCode !== 0) throw new Error(`build failed: ${build.stdout.toString()}${build.stderr.toString()}`);
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  return (built = out);
}

/** Copies the binary into `dir` as `leapocr` (executable) and answers its path. */
export function copyBinaryTo(dir: string): string {
  const path = join(dir, "leapocr");
  copyFileSync(compiledBinary(), path);
  chmodSync(path, 0o755);
  return path;
}
