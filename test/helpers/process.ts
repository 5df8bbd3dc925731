/** Starts the server as a separate process (bun on the source, or the compiled binary) as a user would. */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { TEST_API_KEY } from "./app";
import { copyBinaryTo } from "./binary";

export interface ServerProcess {
  baseUrl: string;
  proc: Subprocess<"ignore", "pipe", "pipe">;
  stdout: () => string;
  stderr: () => string;
  /** ms from spawn to the first 200 on /api/v1/health */
  startupMs: number;
  stop(signal?: NodeJS.Signals | number): Promise<void>;
}

type StartOptions = { cwd: string; dataDir: string; env?: Record<string, string>; timeoutMs?: number };

/** Picks a random port; if another process holds it, tries again with another. */
export async function startServerProcess(cmd: string[], opts: StartOptions): Promise<ServerProcess> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(cmd, opts, 20000 + Math.floor(Math.random() * 30000));
    } catch (err) {
      if (attempt >= 5 || !/port .* in use|EADDRINUSE/i.test(String(err))) throw err;
    }
  }
}

/**
 * The compiled binary as an operator runs it: copied into `dir` (once: a second server in the same
 * folder runs the same copy) and started there with one OCR worker and its data in `dataDir`
 * (./data). `env` adds to or overrides that; `args` go after the binary's path.
 */
export function startBinary(dir: string, opts: { env?: Record<string, string>; args?: string[]; dataDir?: string } = {}): Promise<ServerProcess> {
  const path = join(dir, "leapocr");
  if (!existsSync(path)) copyBinaryTo(dir);
  return startServerProcess([path, ...(opts.args ?? [])], { cwd: dir, dataDir: opts.dataDir ?? "./data", env: { LEAPOCR_OCR_WORKERS: "1", ...opts.env } });
}

async function startOnce(cmd: string[], opts: StartOptions, port: number): Promise<ServerProcess> {
  const started = performance.now();
  const proc = Bun.spawn([...cmd, "--port", String(port), "--host", "127.0.0.1", "--data-dir", opts.dataDir], {
    cwd: opts.cwd,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/tmp", TMPDIR: process.env.TMPDIR ?? "/tmp", LEAPOCR_BOOTSTRAP_API_KEY: TEST_API_KEY, ...opts.env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  let out = "";
  let err = "";
  void (async () => {
    for await (const c of proc.stdout) out += new TextDecoder().decode(c);
  })();
  void (async () => {
    for await (const c of proc.stderr) err += new TextDecoder().decode(c);
  })();
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`server exited with ${proc.exitCode}: ${err}`);
    try {
      const res = await fetch(`${baseUrl}/api/v1/health`);
      if (res.status === 200) break;
    } catch {}
    if (Date.now() > deadline) {
      proc.kill(9);
      throw new Error(`server did not answer /api/v1/health: ${err}`);
    }
    await Bun.sleep(5);
  }
  const startupMs = performance.now() - started;
  return {
    baseUrl,
    proc,
    stdout: () => out,
    stderr: () => err,
    startupMs,
    async stop(signal = "SIGTERM") {
      proc.kill(signal);
      await proc.exited;
    },
  };
}
