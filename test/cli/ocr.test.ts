/**
 * `leapocr ocr <file>`: a PDF and an image read with the server's pipeline and no server: the
 * result on stdout (markdown with page separators, or the LeapOCR result object), progress on
 * stderr, page selection, exit codes, and nothing left behind in the working directory. The
 * last test runs the compiled binary from an empty directory.
 */
import { copyBinaryTo } from "../helpers/binary";
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { digitalPdf, renderPages, SAMPLE_PAGES } from "../helpers/fixtures";

const root = join(import.meta.dir, "../..");
const files = mkdtempSync(join(tmpdir(), "leapocr-cli-files-"));
const cwd = mkdtempSync(join(tmpdir(), "leapocr-cli-cwd-"));
const pdf = join(files, "report.pdf");
const png = join(files, "page.png");
afterAll(() => {
  rmSync(files, { recursive: true, force: true });
  rmSync(cwd, { recursive: true, force: true });
});

beforeAll(async () => {
  writeFileSync(pdf, await digitalPdf(SAMPLE_PAGES));
  writeFileSync(png, (await renderPages(await digitalPdf([SAMPLE_PAGES[1]!]), 150))[0]!);
});

async function run(cmd: string[], args: string[], dir = cwd) {
  const proc = Bun.spawn([...cmd, ...args], { cwd: dir, stdout: "pipe", stderr: "pipe", env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", LEAPOCR_OCR_WORKERS: "1" } });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { stdout, stderr, code };
}
const source = [process.execPath, join(root, "src/main.ts")];

test("a PDF: markdown on stdout, pages separated and labelled; progress lines on stderr; nothing left behind", async () => {
  const r = await run(source, ["ocr", pdf]);
  expect(r.code).toBe(0);
  expect(r.stdout).toStartWith("<!-- page 1 -->\n\n# Quarterly Report");
  expect(r.stdout).toContain("\n\n---\n\n<!-- page 2 -->\n\n# Operations Summary");
  expect(r.stdout).toContain("Customer satisfaction scores reached a record high.");
  // stderr is not a terminal here: one plain line per page, no bar, no log lines.
  expect(r.stderr.trim().split("\n")).toEqual([expect.stringMatching(/^page \d: done in [\d.]+ s \(1\/2\)$/), expect.stringMatching(/^page \d: done in [\d.]+ s \(2\/2\)$/)]);
  expect(readdirSync(cwd)).toEqual([]);
});

test("an image, as JSON: the LeapOCR result object with OCR text, confidence and dimensions", async () => {
  const r = await run(source, ["ocr", png, "--format", "json"]);
  expect(r.code).toBe(0);
  const body = JSON.parse(r.stdout);
  expect(body).toMatchObject({ status: "completed", file_name: "page.png", model: "standard-v2", result_format: "markdown", total_pages: 1, processed_pages: 1 });
  expect(body.pages[0].status).toBe("completed");
  expect(body.pages[0].result).toContain("Shipping volumes increased");
  expect(body.pages[0].confidence).toBeGreaterThan(0.5);
  expect(body.pages[0].dimensions.width).toBeGreaterThan(1000);
});

test("--pages picks pages; a page out of range, an unknown format or a missing file is bad usage (exit 2)", async () => {
  const two = await run(source, ["ocr", pdf, "--pages", "2", "--format", "json"]);
  expect(two.code).toBe(0);
  const body = JSON.parse(two.stdout);
  expect(body.pages.map((p: any) => p.page_number)).toEqual([2]);
  expect(body.total_pages).toBe(2);

  const out = await run(source, ["ocr", pdf, "--pages", "1-3"]);
  expect(out.code).toBe(2);
  expect(out.stderr).toContain("the document has 2 page(s)");
  expect(out.stdout).toBe("");
  expect((await run(source, ["ocr", pdf, "--format", "yaml"])).code).toBe(2);
  const missing = await run(source, ["ocr", join(files, "nope.pdf")]);
  expect(missing.code).toBe(2);
  expect(missing.stderr).toContain("Cannot read");
  writeFileSync(join(files, "notes.txt"), "just text");
  const text = await run(source, ["ocr", join(files, "notes.txt")]);
  expect(text.code).toBe(2);
  expect(text.stderr).toContain("cannot be processed");
  const schema = join(files, "schema.json");
  writeFileSync(schema, JSON.stringify({ type: "object", properties: { title: { type: "string" } } }));
  const structured = await run(source, ["ocr", pdf, "--schema", schema]);
  expect(structured.code).toBe(2);
  expect(structured.stderr).toContain("--schema needs a model with a structured step");
});

test("the compiled binary reads a PDF and an image from an empty directory", async () => {
  const out = copyBinaryTo(files);
  const empty = mkdtempSync(join(tmpdir(), "leapocr-cli-bin-"));
  try {
    const a = await run([out], ["ocr", pdf, "--pages", "1"], empty);
    expect(a.code).toBe(0);
    expect(a.stdout).toContain("# Quarterly Report");
    const b = await run([out], ["ocr", png], empty);
    expect(b.code).toBe(0);
    expect(b.stdout).toContain("Shipping volumes increased");
    expect(readdirSync(empty)).toEqual([]);
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
}, 120_000);
