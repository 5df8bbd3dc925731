// Modules the OCR worker imports. The .wasm and .gz are imported `with { type: "file" }`: the
// import is a path Bun.file() can read (node_modules under `bun run`, /$bunfs/... in the binary).
// Named exactly (not "*.wasm") so they never clash with other wildcard declarations.
declare module "tesseract.js-core/tesseract-core-simd.wasm" {
  const path: string;
  export default path;
}
declare module "@tesseract.js-data/eng/4.0.0_best_int/eng.traineddata.gz" {
  const path: string;
  export default path;
}
declare module "@tesseract.js-data/osd/4.0.0_best_int/osd.traineddata.gz" {
  const path: string;
  export default path;
}
declare module "tesseract.js-core/tesseract-core-simd.js" {
  /** The Emscripten module factory of tesseract.js-core (typed loosely: see tesseract-worker.ts). */
  const factory: (moduleArg?: Record<string, unknown>) => Promise<any>;
  export default factory;
}
