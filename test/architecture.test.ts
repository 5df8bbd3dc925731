/**
 * Dependencies point one way: modules -> pipeline -> ports; adapters implement ports and import
 * nothing above them. Read from the source's import statements (static and dynamic), so a new
 * arrow the wrong way fails here rather than in a later refactor.
 */
import { expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const SRC = resolve(import.meta.dir, "../src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

/** Every relative import of a file, as a path under src/ (e.g. "adapters/router"). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specs = [...text.matchAll(/(?:from\s+|import\s*\(\s*)["'](\.{1,2}\/[^"']+)["']/g)].map((m) => m[1]!);
  return specs.map((s) => relative(SRC, resolve(dirname(file), s)));
}

/** The engine's leaf libraries (PDF drawing, OCR, image handling): adapters may use them. */
const ENGINE = ["pipeline/pdf/", "pipeline/ocr/", "pipeline/image/"];
const isEngine = (p: string) => ENGINE.some((e) => p.startsWith(e));
const layer = (p: string) => p.split("/")[0]!;

test("ports and lib import only themselves; adapters only ports, lib, db and the engine; the pipeline no adapter or module", () => {
  const wrong: string[] = [];
  for (const file of sourceFiles(SRC)) {
    const from = relative(SRC, file);
    for (const to of importsOf(file)) {
      const bad =
        (layer(from) === "ports" && layer(to) !== "ports") ||
        (layer(from) === "lib" && layer(to) !== "lib") ||
        (layer(from) === "adapters" && !["ports", "lib", "db", "adapters"].includes(layer(to)) && !isEngine(to)) ||
        (layer(from) === "pipeline" && ["adapters", "modules", "app.ts", "context.ts"].includes(layer(to))) ||
        (isEngine(from) && layer(to) === "pipeline" && !isEngine(to) && !to.startsWith("pipeline/ingest"));
      if (bad) wrong.push(`${from} -> ${to}`);
    }
  }
  expect(wrong).toEqual([]);
});
