/**
 * Lazy, cached loader for sharp that also works inside the `bun build --compile` binary.
 *
 * Why not `import sharp from "sharp"`:
 * - cold start: sharp + libvips cost tens of ms and ~20 MB; load them on the first image only;
 * - the compiled binary: sharp's ESM entry loads its addon via `createRequire`, which the bundler
 *   cannot follow; the CommonJS entry (`require("sharp")`) is followed and `sharp-linux-x64.node`
 *   is embedded. The addon then needs `libvips-cpp.so.<version>` (~18 MB), found by soname through
 *   an rpath into node_modules, which does not exist beside the binary. So the .so is embedded as a
 *   file asset, written once to a cache directory, and dlopen'ed before sharp is required: the
 *   dynamic linker then satisfies the addon's DT_NEEDED with the already-loaded library.
 *
 * Under `bun run`/`bun test` the embedded path is the real node_modules path and nothing is copied.
 */
import { closeSync, existsSync, fsyncSync, lstatSync, mkdirSync, openSync, renameSync, statSync, unlinkSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import libvipsAsset from "@img/sharp-libvips-linux-x64/binary" with { type: "file" };

export type Sharp = typeof import("sharp").default;

let cached: Promise<Sharp> | undefined;
let nativeCacheDir: string | undefined;
// Keep the handle alive for the life of the process: closing it would unload libvips under sharp.
let libvipsHandle: unknown;

/**
 * Where the embedded native library is unpacked (compiled binary only). Call before the first
 * `loadSharp()`, e.g. with `<dataDir>/native`; default `LEAPOCR_NATIVE_DIR` or `<tmpdir>/leapocr-native-<uid>`.
 */
export function setNativeCacheDir(dir: string): void {
  nativeCacheDir = dir;
}

/** True inside a `bun build --compile` executable (embedded files live under /$bunfs/). */
export function isCompiledBinary(): boolean {
  return libvipsAsset.startsWith("/$bunfs/") || libvipsAsset.includes("~BUN");
}

export function loadSharp(): Promise<Sharp> {
  cached ??= (async () => {
    if (isCompiledBinary()) await preloadEmbeddedLibvips();
    // CommonJS entry on purpose (see the header). `require` is evaluated only here, lazily.
    const sharp = require("sharp") as Sharp;
    // Every upload is a new image: libvips' operation cache (50 MB by default) would only hold
    // memory that is never hit again.
    sharp.cache(false);
    return sharp;
  })().catch((err: unknown) => {
    cached = undefined; // let a later call retry (e.g. after the tmp dir was fixed)
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`The image library (sharp/libvips) could not be loaded: ${reason}`, { cause: err });
  });
  return cached;
}

function defaultCacheDir(): string {
  const fromEnv = process.env.LEAPOCR_NATIVE_DIR;
  if (fromEnv) return fromEnv;
  const uid = typeof process.getuid === "function" ? process.getuid() : 0;
  return join(tmpdir(), `leapocr-native-${uid}`);
}

/** A directory we own and nobody else can write to (the .so is about to be executed from it). */
function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  if (!st.isDirectory()) throw new Error(`${dir} is not a directory`);
  const uid = typeof process.getuid === "function" ? process.getuid() : undefined;
  if (uid !== undefined && st.uid !== uid) {
    throw new Error(`${dir} belongs to another user; set LEAPOCR_NATIVE_DIR to a directory of your own`);
  }
  if ((st.mode & 0o022) !== 0) {
    throw new Error(`${dir} is writable by other users; set LEAPOCR_NATIVE_DIR to a private directory`);
  }
}

async function preloadEmbeddedLibvips(): Promise<void> {
  const asset = Bun.file(libvipsAsset);
  const size = asset.size;
  // Bun names the embedded file with a content hash (e.g. libvips-cpp.so.8.18-61s4p4t6.7), so the
  // name is a cache key per build. The file name does not matter to the addon: the dynamic linker
  // matches its DT_NEEDED against the SONAME of the already-loaded library.
  const root = nativeCacheDir ?? defaultCacheDir();
  const target = join(root, `${basename(libvipsAsset)}-${size}`);

  ensurePrivateDir(root);
  if (!(existsSync(target) && statSync(target).size === size)) {
    // Several processes may start at once: each writes its own temp file, then renames it into
    // place atomically; the last rename wins and every copy is identical.
    const tmp = `${target}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    const bytes = new Uint8Array(await asset.arrayBuffer());
    const fd = openSync(tmp, "wx", 0o500);
    try {
      let off = 0;
      while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    try {
      renameSync(tmp, target);
    } catch (err) {
      try {
        unlinkSync(tmp);
      } catch {}
      if (!(existsSync(target) && statSync(target).size === size)) throw err;
    }
  }

  const { dlopen, FFIType } = await import("bun:ffi");
  libvipsHandle = dlopen(target, { vips_version: { args: [FFIType.i32], returns: FFIType.i32 } });
}
