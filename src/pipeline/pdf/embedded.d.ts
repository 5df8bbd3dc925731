// File assets imported `with { type: "file" }`: the import is a path Bun.file() can read.
declare module "*.pfb" {
  const path: string;
  export default path;
}
declare module "*.ttf" {
  const path: string;
  export default path;
}
declare module "*.wasm" {
  const path: string;
  export default path;
}
declare module "pdfjs-dist/legacy/build/pdf.worker.mjs";
