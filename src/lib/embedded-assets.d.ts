// Native libraries and browser bundles embedded with `import ... with { type: "file" }`.
// Under `bun run` the import is the file's path in node_modules; inside the compiled binary it
// is a path in the binary's embedded file system (/$bunfs/...), readable with Bun.file().
declare module "@img/sharp-libvips-linux-x64/binary" {
  const path: string;
  export default path;
}
declare module "*/standalone.js" {
  const path: string;
  export default path;
}
