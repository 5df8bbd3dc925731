// Files imported `with { type: "text" }` or `{ type: "file" }` are embedded by bun build --compile.
declare module "*.sql" {
  const text: string;
  export default text;
}
