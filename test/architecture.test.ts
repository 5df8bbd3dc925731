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

/** Every import of a file, bare packages included (e.g. "bun:sqlite", "drizzle-orm"). */
function packagesOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/(?:from\s+|import\s*\(\s*)["']([^."'][^"']*)["']/g)].map((m) => m[1]!);
}

test("the pipeline reaches job state only through the JobStore port: no database module, driver or ORM", () => {
  const wrong: string[] = [];
  for (const file of sourceFiles(join(SRC, "pipeline"))) {
    const from = relative(SRC, file);
    for (const to of importsOf(file)) if (layer(to) === "db") wrong.push(`${from} -> ${to}`);
    for (const pkg of packagesOf(file)) if (pkg === "bun:sqlite" || pkg.startsWith("drizzle-orm") || pkg === "bun:sql") wrong.push(`${from} -> ${pkg}`);
  }
  expect(wrong).toEqual([]);
});

/** A file's static imports that load code (not `import type`, not lazy `import()`), as paths under src/. */
function loadedImportsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specs = [...text.matchAll(/^(?:import|export)\s+(?!type\s)[^;]*?from\s+["'](\.{1,2}\/[^"']+)["']/gm)].map((m) => m[1]!);
  return specs.map((s) => relative(SRC, resolve(dirname(file), s)));
}

test("no import cycles between source files at load time (type-only imports are erased; import() loads lazily, on purpose)", () => {
  const known = new Set(sourceFiles(SRC).map((f) => relative(SRC, f).replace(/\.ts$/, "")));
  const resolveModule = (p: string) => {
    const bare = p.replace(/\.ts$/, "");
    return known.has(bare) ? bare : known.has(`${bare}/index`) ? `${bare}/index` : null;
  };
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(SRC)) {
    graph.set(relative(SRC, file).replace(/\.ts$/, ""), loadedImportsOf(file).map(resolveModule).filter((x): x is string => x !== null));
  }
  const cycles: string[] = [];
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const visit = (node: string) => {
    state.set(node, "open");
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === "open") cycles.push([...path.slice(path.indexOf(next)), next].join(" -> "));
      else if (!state.has(next)) visit(next);
    }
    path.pop();
    state.set(node, "done");
  };
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node);
  expect(graph.get("pipeline/runner")).toContain("pipeline/work/split"); // the graph is read at all
  expect(cycles).toEqual([]);
});

test("the page box and the block types are declared once (src/ports/model.ts), not once per engine", () => {
  // A rectangle interface, a union of block-type literals, or a list of them; a type derived
  // from the shared one (Extract<BlockType, ...>) is no second declaration.
  const pattern = /^export\s+(?:interface\s+(\w*Box)\b|type\s+(\w*BlockType)\s*=\s*["']|const\s+(\w*BLOCK_TYPES)\s*(?::[^=]*)?=\s*\[)/gm;
  const declarations = sourceFiles(SRC).flatMap((file) =>
    [...readFileSync(file, "utf8").matchAll(pattern)].map((m) => `${relative(SRC, file)}: ${m[1] ?? m[2] ?? m[3]}`),
  );
  expect(declarations.sort()).toEqual(["ports/model.ts: BLOCK_TYPES", "ports/model.ts: Box"]);
});
